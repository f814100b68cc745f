/* SPDX-License-Identifier: Apache-2.0 */
/* CBOR, content format 60 (LwM2M 1.1 §7.4.6): one value as one CBOR item.
 * The reader takes at most one tag, then a scalar; Time is the only tag
 * with a meaning here (1, epoch seconds), others are ignored as RFC 8949
 * §3.4 allows a decoder to. */
#include "tether/lwm2m_cbor.h"

#include <string.h>

#include "cbor_internal.h"

#include "tether_poison.h"

int tether_lwm2m_cbor_decode(const uint8_t *buf, size_t len, tether_lwm2m_value *out)
{
    tether_cbor_item it;
    tether_lwm2m_value v;
    size_t p = 0;
    uint64_t tag = 0;
    int tagged = 0, rc;

    if (out == NULL || (buf == NULL && len > 0))
        return TETHER_ERR_INVAL;
    if ((rc = tether_cbor_read(buf, len, &p, &it)) != 0)
        return rc;
    if (it.kind == TETHER_CBOR_TAG) {
        tagged = 1;
        tag = it.u;
        if ((rc = tether_cbor_read(buf, len, &p, &it)) != 0)
            return rc;
    }
    switch (it.kind) {
    case TETHER_CBOR_UINT:
    case TETHER_CBOR_NEGINT:
        if (tether_cbor_int_value(&it, &v) != 0)
            return TETHER_ERR_MALFORMED;
        if (tagged && tag == 1) {
            if (v.type != TETHER_LWM2M_INTEGER)
                return TETHER_ERR_MALFORMED; /* a time past int64 */
            v.type = TETHER_LWM2M_TIME;
        }
        break;
    case TETHER_CBOR_FLOAT:
        v = tether_lwm2m_value_float(it.f);
        break;
    case TETHER_CBOR_BOOL:
        if (tagged && tag == 1)
            return TETHER_ERR_MALFORMED;
        v = tether_lwm2m_value_bool(it.b);
        break;
    case TETHER_CBOR_TEXT:
        if (tagged && tag == 1)
            return TETHER_ERR_MALFORMED;
        v = tether_lwm2m_value_string(it.ptr, it.len);
        break;
    case TETHER_CBOR_BYTES:
        if (tagged && tag == 1)
            return TETHER_ERR_MALFORMED;
        v = tether_lwm2m_value_opaque(it.ptr, it.len);
        break;
    default: /* a second tag, null, undefined, containers, chunked strings */
        return TETHER_ERR_MALFORMED;
    }
    if (p != len)
        return TETHER_ERR_MALFORMED;
    *out = v;
    return 0;
}

int tether_lwm2m_cbor_encode(const tether_lwm2m_value *v, uint8_t *out, size_t cap, size_t *len)
{
    tether_cbor_out o;

    if (v == NULL || len == NULL || (out == NULL && cap > 0))
        return TETHER_ERR_INVAL;
    tether_cbor_out_init(&o, out, cap);
    switch ((tether_lwm2m_type)v->type) {
    case TETHER_LWM2M_INTEGER:
        tether_cbor_put_int(&o, v->i);
        break;
    case TETHER_LWM2M_TIME:
        tether_cbor_put_tag(&o, 1);
        tether_cbor_put_int(&o, v->i);
        break;
    case TETHER_LWM2M_UNSIGNED:
        tether_cbor_put_uint(&o, v->u);
        break;
    case TETHER_LWM2M_FLOAT:
        tether_cbor_put_float(&o, v->f);
        break;
    case TETHER_LWM2M_BOOLEAN:
        if (v->b > 1)
            return TETHER_ERR_INVAL;
        tether_cbor_put_bool(&o, v->b);
        break;
    case TETHER_LWM2M_STRING:
        tether_cbor_put_text(&o, v->bytes.ptr, v->bytes.len);
        break;
    case TETHER_LWM2M_OPAQUE:
        tether_cbor_put_bytes(&o, v->bytes.ptr, v->bytes.len);
        break;
    case TETHER_LWM2M_OBJLNK:
        tether_cbor_put_objlnk(&o, v->lnk);
        break;
    case TETHER_LWM2M_NONE:
    default:
        return TETHER_ERR_INVAL;
    }
    if (o.err)
        return o.err;
    *len = o.len;
    return 0;
}
