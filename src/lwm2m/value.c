/* SPDX-License-Identifier: Apache-2.0 */
/* Typed LwM2M values: constructors, type names, a UTF-8 check, and the
 * conversion from the type a content format carried to the type a resource
 * has. A value never owns bytes: strings and opaque data are views the
 * caller keeps. */
#include "tether/lwm2m.h"

#include <math.h>
#include <string.h>

#include "base64_internal.h"
#include "num_internal.h"

#include "tether_poison.h"

static tether_lwm2m_value make(uint8_t type)
{
    tether_lwm2m_value v;
    memset(&v, 0, sizeof(v));
    v.type = type;
    return v;
}

tether_lwm2m_value tether_lwm2m_value_int(int64_t i)
{
    tether_lwm2m_value v = make(TETHER_LWM2M_INTEGER);
    v.i = i;
    return v;
}

tether_lwm2m_value tether_lwm2m_value_uint(uint64_t u)
{
    tether_lwm2m_value v = make(TETHER_LWM2M_UNSIGNED);
    v.u = u;
    return v;
}

tether_lwm2m_value tether_lwm2m_value_float(double f)
{
    tether_lwm2m_value v = make(TETHER_LWM2M_FLOAT);
    v.f = f;
    return v;
}

tether_lwm2m_value tether_lwm2m_value_bool(int b)
{
    tether_lwm2m_value v = make(TETHER_LWM2M_BOOLEAN);
    v.b = b != 0;
    return v;
}

tether_lwm2m_value tether_lwm2m_value_time(int64_t t)
{
    tether_lwm2m_value v = make(TETHER_LWM2M_TIME);
    v.i = t;
    return v;
}

tether_lwm2m_value tether_lwm2m_value_objlnk(uint16_t obj, uint16_t inst)
{
    tether_lwm2m_value v = make(TETHER_LWM2M_OBJLNK);
    v.lnk.obj = obj;
    v.lnk.inst = inst;
    return v;
}

tether_lwm2m_value tether_lwm2m_value_string(const void *s, size_t len)
{
    tether_lwm2m_value v = make(TETHER_LWM2M_STRING);
    v.bytes.ptr = s;
    v.bytes.len = s != NULL ? len : 0;
    return v;
}

tether_lwm2m_value tether_lwm2m_value_cstr(const char *s)
{
    return tether_lwm2m_value_string(s, s != NULL ? strlen(s) : 0);
}

tether_lwm2m_value tether_lwm2m_value_opaque(const void *p, size_t len)
{
    tether_lwm2m_value v = make(TETHER_LWM2M_OPAQUE);
    v.bytes.ptr = p;
    v.bytes.len = p != NULL ? len : 0;
    return v;
}

const char *tether_lwm2m_type_name(int type)
{
    switch ((tether_lwm2m_type)type) {
    case TETHER_LWM2M_NONE:
        return "None";
    case TETHER_LWM2M_STRING:
        return "String";
    case TETHER_LWM2M_INTEGER:
        return "Integer";
    case TETHER_LWM2M_FLOAT:
        return "Float";
    case TETHER_LWM2M_BOOLEAN:
        return "Boolean";
    case TETHER_LWM2M_OPAQUE:
        return "Opaque";
    case TETHER_LWM2M_TIME:
        return "Time";
    case TETHER_LWM2M_OBJLNK:
        return "Objlnk";
    case TETHER_LWM2M_UNSIGNED:
        return "Unsigned Integer";
    case TETHER_LWM2M_CORELNK:
        return "Corelnk";
    }
    return "?";
}

int tether_lwm2m_utf8_valid(const uint8_t *buf, size_t len)
{
    size_t i = 0;

    while (i < len) {
        uint8_t c = buf[i];
        size_t n;
        uint32_t cp, min;
        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xE0) == 0xC0) {
            n = 1, cp = c & 0x1Fu, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2, cp = c & 0x0Fu, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3, cp = c & 0x07u, min = 0x10000;
        } else {
            return 0;
        }
        if (len - i - 1 < n)
            return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((buf[i + k] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (buf[i + k] & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += n + 1;
    }
    return 1;
}

/* --- conversion to a resource's type ------------------------------------- */

/* 2^63 and 2^64 as doubles, exactly. */
#define TWO63 9223372036854775808.0
#define TWO64 18446744073709551616.0

static int objlnk_from_text(const uint8_t *s, size_t len, tether_lwm2m_objlnk *out)
{
    const uint8_t *colon = len > 0 ? memchr(s, ':', len) : NULL;
    uint64_t o, i;

    if (colon == NULL ||
        tether_num_parse_u64(s, (size_t)(colon - s), 65535, &o) != 0 ||
        tether_num_parse_u64(colon + 1, len - (size_t)(colon - s) - 1, 65535, &i) != 0)
        return TETHER_ERR_MALFORMED;
    out->obj = (uint16_t)o;
    out->inst = (uint16_t)i;
    return 0;
}

int tether_lwm2m_value_convert(const tether_lwm2m_value *in, int type, uint8_t *scratch,
                               size_t cap, tether_lwm2m_value *out)
{
    tether_lwm2m_value v;
    int it;

    if (in == NULL || out == NULL)
        return TETHER_ERR_INVAL;
    it = in->type;
    v = make((uint8_t)type);
    switch ((tether_lwm2m_type)type) {
    case TETHER_LWM2M_INTEGER:
    case TETHER_LWM2M_TIME:
        if (it == TETHER_LWM2M_INTEGER || it == TETHER_LWM2M_TIME)
            v.i = in->i;
        else if (it == TETHER_LWM2M_UNSIGNED && in->u <= (uint64_t)INT64_MAX)
            v.i = (int64_t)in->u;
        else if (it == TETHER_LWM2M_FLOAT && in->f == floor(in->f) && in->f >= -TWO63 &&
                 in->f < TWO63)
            v.i = (int64_t)in->f;
        else
            return TETHER_ERR_MALFORMED;
        break;
    case TETHER_LWM2M_UNSIGNED:
        if (it == TETHER_LWM2M_UNSIGNED)
            v.u = in->u;
        else if ((it == TETHER_LWM2M_INTEGER || it == TETHER_LWM2M_TIME) && in->i >= 0)
            v.u = (uint64_t)in->i;
        else if (it == TETHER_LWM2M_FLOAT && in->f == floor(in->f) && in->f >= 0 &&
                 in->f < TWO64)
            v.u = (uint64_t)in->f;
        else
            return TETHER_ERR_MALFORMED;
        break;
    case TETHER_LWM2M_FLOAT:
        if (it == TETHER_LWM2M_FLOAT)
            v.f = in->f;
        else if (it == TETHER_LWM2M_INTEGER || it == TETHER_LWM2M_TIME)
            v.f = (double)in->i;
        else if (it == TETHER_LWM2M_UNSIGNED)
            v.f = (double)in->u;
        else
            return TETHER_ERR_MALFORMED;
        break;
    case TETHER_LWM2M_BOOLEAN:
        if (it != TETHER_LWM2M_BOOLEAN || in->b > 1)
            return TETHER_ERR_MALFORMED;
        v.b = in->b;
        break;
    case TETHER_LWM2M_STRING:
        if (it != TETHER_LWM2M_STRING)
            return TETHER_ERR_MALFORMED;
        v.bytes = in->bytes;
        break;
    case TETHER_LWM2M_OBJLNK:
        if (it == TETHER_LWM2M_OBJLNK)
            v.lnk = in->lnk;
        else if (it != TETHER_LWM2M_STRING ||
                 objlnk_from_text(in->bytes.ptr, in->bytes.len, &v.lnk) != 0)
            return TETHER_ERR_MALFORMED;
        break;
    case TETHER_LWM2M_OPAQUE:
        if (it == TETHER_LWM2M_OPAQUE) {
            v.bytes = in->bytes;
        } else if (it == TETHER_LWM2M_STRING) {
            size_t n;
            int rc = tether_b64_decode(in->bytes.ptr, in->bytes.len, TETHER_B64_STD, scratch,
                                       cap, &n);
            if (rc != 0)
                return rc;
            v.bytes.ptr = n > 0 ? scratch : NULL;
            v.bytes.len = n;
        } else {
            return TETHER_ERR_MALFORMED;
        }
        break;
    case TETHER_LWM2M_NONE:
    default:
        return TETHER_ERR_INVAL;
    }
    *out = v;
    return 0;
}
