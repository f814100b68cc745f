/* SPDX-License-Identifier: Apache-2.0 */
/* The single-value content formats: text/plain (0, LwM2M 1.0 §6.4.1) and
 * application/octet-stream (42, §6.4.2). Text is exact: no whitespace, no
 * '+' on integers, booleans only "0"/"1", floats finite and in plain
 * decimal, objlnk "obj:inst". Anything else is 4.00 for the engines. */
#include "tether/lwm2m.h"

#include <string.h>

#include "num_internal.h"

#include "tether_poison.h"

/* The footprint switch (tether/client_config.h), as a constant. */
#ifdef TETHER_LWM2M_NO_FLOAT_TEXT
#define FLOAT_TEXT 0
#else
#define FLOAT_TEXT 1
#endif

int tether_lwm2m_text_supports(int type)
{
    return type >= TETHER_LWM2M_STRING && type <= TETHER_LWM2M_CORELNK &&
           type != TETHER_LWM2M_OPAQUE && (FLOAT_TEXT || type != TETHER_LWM2M_FLOAT);
}

static int decode_objlnk(const uint8_t *buf, size_t len, tether_lwm2m_objlnk *out)
{
    const uint8_t *colon = len > 0 ? memchr(buf, ':', len) : NULL;
    uint64_t o, i;

    if (colon == NULL)
        return -1;
    if (tether_num_parse_u64(buf, (size_t)(colon - buf), 65535, &o) != 0 ||
        tether_num_parse_u64(colon + 1, len - (size_t)(colon - buf) - 1, 65535, &i) != 0)
        return -1;
    out->obj = (uint16_t)o;
    out->inst = (uint16_t)i;
    return 0;
}

int tether_lwm2m_text_decode(const uint8_t *buf, size_t len, int type, tether_lwm2m_value *out)
{
    tether_lwm2m_value v;

    if (out == NULL || (buf == NULL && len > 0))
        return TETHER_ERR_INVAL;
    memset(&v, 0, sizeof(v));
    v.type = (uint8_t)type;
    switch ((tether_lwm2m_type)type) {
    case TETHER_LWM2M_STRING:
        v.bytes.ptr = buf;
        v.bytes.len = len;
        break;
    case TETHER_LWM2M_INTEGER:
    case TETHER_LWM2M_TIME:
        if (tether_num_parse_i64(buf, len, &v.i) != 0)
            return TETHER_ERR_MALFORMED;
        break;
    case TETHER_LWM2M_UNSIGNED:
        if (tether_num_parse_u64(buf, len, UINT64_MAX, &v.u) != 0)
            return TETHER_ERR_MALFORMED;
        break;
    case TETHER_LWM2M_FLOAT:
        if (!FLOAT_TEXT)
            return TETHER_ERR_UNSUPPORTED;
        if (len > 0 && buf[0] == '+')
            return TETHER_ERR_MALFORMED;
        if (tether_num_parse_double(buf, len, &v.f) != 0)
            return TETHER_ERR_MALFORMED;
        break;
    case TETHER_LWM2M_BOOLEAN:
        if (len != 1 || (buf[0] != '0' && buf[0] != '1'))
            return TETHER_ERR_MALFORMED;
        v.b = buf[0] == '1';
        break;
    case TETHER_LWM2M_OBJLNK:
        if (decode_objlnk(buf, len, &v.lnk) != 0)
            return TETHER_ERR_MALFORMED;
        break;
    case TETHER_LWM2M_OPAQUE:
        return TETHER_ERR_UNSUPPORTED;
    case TETHER_LWM2M_NONE:
    default:
        return TETHER_ERR_INVAL;
    }
    *out = v;
    return 0;
}

int tether_lwm2m_text_encode(const tether_lwm2m_value *v, uint8_t *out, size_t cap, size_t *len)
{
    uint8_t tmp[TETHER_NUM_DOUBLE_MAX + 16];
    size_t n;

    if (v == NULL || len == NULL || (out == NULL && cap > 0))
        return TETHER_ERR_INVAL;
    switch ((tether_lwm2m_type)v->type) {
    case TETHER_LWM2M_STRING:
        if (v->bytes.len > 0 && v->bytes.ptr == NULL)
            return TETHER_ERR_INVAL;
        if (v->bytes.len > cap)
            return TETHER_ERR_NOSPACE;
        if (v->bytes.len > 0)
            memcpy(out, v->bytes.ptr, v->bytes.len);
        *len = v->bytes.len;
        return 0;
    case TETHER_LWM2M_INTEGER:
    case TETHER_LWM2M_TIME:
        n = tether_num_format_i64(v->i, tmp, sizeof(tmp));
        break;
    case TETHER_LWM2M_UNSIGNED:
        n = tether_num_format_u64(v->u, tmp, sizeof(tmp));
        break;
    case TETHER_LWM2M_FLOAT:
        if (!FLOAT_TEXT)
            return TETHER_ERR_UNSUPPORTED;
        n = tether_num_format_double(v->f, tmp, sizeof(tmp));
        if (n == 0)
            return TETHER_ERR_INVAL; /* infinity or NaN has no text/plain form */
        break;
    case TETHER_LWM2M_BOOLEAN:
        if (v->b > 1)
            return TETHER_ERR_INVAL;
        tmp[0] = (uint8_t)('0' + v->b);
        n = 1;
        break;
    case TETHER_LWM2M_OBJLNK:
        n = tether_num_format_u64(v->lnk.obj, tmp, sizeof(tmp));
        tmp[n++] = ':';
        n += tether_num_format_u64(v->lnk.inst, tmp + n, sizeof(tmp) - n);
        break;
    case TETHER_LWM2M_OPAQUE:
        return TETHER_ERR_UNSUPPORTED;
    case TETHER_LWM2M_NONE:
    default:
        return TETHER_ERR_INVAL;
    }
    if (n > cap)
        return TETHER_ERR_NOSPACE;
    memcpy(out, tmp, n);
    *len = n;
    return 0;
}

int tether_lwm2m_opaque_decode(const uint8_t *buf, size_t len, int type, tether_lwm2m_value *out)
{
    if (out == NULL || (buf == NULL && len > 0))
        return TETHER_ERR_INVAL;
    if (type != TETHER_LWM2M_OPAQUE)
        return TETHER_ERR_UNSUPPORTED;
    *out = tether_lwm2m_value_opaque(buf, len);
    return 0;
}

int tether_lwm2m_single_decode(uint32_t fmt, const uint8_t *buf, size_t len, int type,
                               tether_lwm2m_value *out)
{
    switch (fmt) {
    case TETHER_FMT_TEXT:
        return tether_lwm2m_text_decode(buf, len, type, out);
    case TETHER_FMT_OPAQUE:
        return tether_lwm2m_opaque_decode(buf, len, type, out);
    default:
        return TETHER_ERR_UNSUPPORTED;
    }
}
