/* SPDX-License-Identifier: Apache-2.0 */
/* OMA-TLV (LwM2M 1.0 §6.4.3) decoding and encoding over caller buffers.
 * The decoder reads one header at a time, bounded by its level's end, so a
 * lying length can never take it outside the value it is nested in. The
 * encoder reserves the largest header for a nested entry and, when the
 * entry is closed, writes the real (shortest) header and slides the value
 * down over the unused bytes: one memmove per nested entry buys headers
 * that match what every other implementation writes. Floats are converted
 * between binary32 and binary64 on their bits, exactly, so no
 * floating-point arithmetic (soft-float code on a microcontroller) is
 * needed. */
#include "tether/lwm2m_tlv.h"

#include <string.h>

#include "tether_poison.h"

/* --- decoding ------------------------------------------------------------ */

void tether_tlv_iter_init(tether_tlv_iter *it, const uint8_t *buf, size_t len)
{
    memset(it, 0, sizeof(*it));
    it->p = it->start = buf;
    it->end = buf != NULL ? buf + len : buf;
    it->parent = -1;
}

int tether_tlv_iter_enter(tether_tlv_iter *child, const tether_tlv_entry *e)
{
    if (child == NULL || e == NULL ||
        (e->type != TETHER_TLV_OBJECT_INSTANCE && e->type != TETHER_TLV_MULTIPLE_RESOURCE) ||
        (e->val == NULL && e->len > 0))
        return TETHER_ERR_INVAL;
    tether_tlv_iter_init(child, e->val, e->len);
    child->parent = (int8_t)e->type;
    return 0;
}

static int allowed_in(int parent, int type)
{
    switch (parent) {
    case -1:
        return 1;
    case TETHER_TLV_OBJECT_INSTANCE:
        return type == TETHER_TLV_RESOURCE || type == TETHER_TLV_MULTIPLE_RESOURCE;
    case TETHER_TLV_MULTIPLE_RESOURCE:
        return type == TETHER_TLV_RESOURCE_INSTANCE;
    default:
        return 0;
    }
}

/* Read one header at p (bounded by end) into e; returns the byte after the
 * value, or NULL when malformed. */
static const uint8_t *read_entry(const uint8_t *p, const uint8_t *end, int parent,
                                 tether_tlv_entry *e)
{
    uint8_t t;
    size_t idw, lenw, vlen;
    uint32_t id;

    if (p >= end)
        return NULL;
    t = *p++;
    idw = (t & 0x20) ? 2 : 1;
    lenw = (size_t)(t >> 3) & 3;
    if ((size_t)(end - p) < idw + lenw)
        return NULL;
    id = idw == 2 ? (uint32_t)p[0] << 8 | p[1] : p[0];
    p += idw;
    if (id == TETHER_LWM2M_ID_RESERVED)
        return NULL;
    if (lenw == 0) {
        vlen = t & 7;
    } else {
        vlen = 0;
        for (size_t i = 0; i < lenw; i++)
            vlen = vlen << 8 | p[i];
        p += lenw;
    }
    if ((size_t)(end - p) < vlen)
        return NULL;
    e->type = (uint8_t)(t >> 6);
    if (!allowed_in(parent, e->type))
        return NULL;
    e->id = (uint16_t)id;
    e->val = p;
    e->len = vlen;
    return p + vlen;
}

int tether_tlv_next(tether_tlv_iter *it, tether_tlv_entry *e)
{
    tether_tlv_entry tmp;
    const uint8_t *next;

    if (it == NULL || e == NULL)
        return TETHER_ERR_INVAL;
    if (it->err)
        return it->err;
    if (it->p == NULL || it->p >= it->end)
        return TETHER_ERR_NOT_FOUND;
    next = read_entry(it->p, it->end, it->parent, &tmp);
    if (next == NULL) {
        it->err = TETHER_ERR_MALFORMED;
        return it->err;
    }
    it->p = next;
    *e = tmp;
    return 0;
}

int tether_tlv_validate(const uint8_t *buf, size_t len)
{
    tether_tlv_iter lv[3];
    tether_tlv_entry e;
    int depth = 0;

    if (buf == NULL && len > 0)
        return TETHER_ERR_MALFORMED;
    tether_tlv_iter_init(&lv[0], buf, len);
    for (;;) {
        int rc = tether_tlv_next(&lv[depth], &e);
        if (rc == TETHER_ERR_NOT_FOUND) {
            if (depth == 0)
                return 0;
            depth--;
            continue;
        }
        if (rc != 0)
            return TETHER_ERR_MALFORMED;
        if (e.type == TETHER_TLV_OBJECT_INSTANCE || e.type == TETHER_TLV_MULTIPLE_RESOURCE) {
            /* allowed_in() bounds the depth at three levels. */
            if (depth == 2)
                return TETHER_ERR_MALFORMED;
            tether_tlv_iter_enter(&lv[depth + 1], &e);
            depth++;
        }
    }
}

int tether_tlv_find(const tether_tlv_iter *it, int type, uint16_t id, tether_tlv_entry *e)
{
    tether_tlv_iter scan;
    tether_tlv_entry cur;
    int rc;

    if (it == NULL || e == NULL)
        return TETHER_ERR_INVAL;
    scan = *it;
    scan.p = it->start;
    scan.err = 0;
    while ((rc = tether_tlv_next(&scan, &cur)) == 0) {
        if (cur.type == type && cur.id == id) {
            *e = cur;
            return 0;
        }
    }
    return rc;
}

/* binary32 bits to binary64 bits, exactly (IEEE 754 widening): the
 * exponent rebiased, the fraction moved up, a subnormal normalised, NaN
 * quieted with its payload kept, as hardware does. */
static uint64_t widen(uint32_t f)
{
    uint64_t sign = (uint64_t)(f >> 31) << 63, m = f & 0x7FFFFFu;
    int32_t e = (int32_t)(f >> 23 & 0xFF);

    if (e == 0xFF)
        return sign | (uint64_t)0x7FF << 52 | m << 29 | (m != 0 ? (uint64_t)1 << 51 : 0);
    if (e == 0) {
        if (m == 0)
            return sign;
        for (e = 1; !(m & 0x800000u); e--)
            m <<= 1; /* subnormal: normalise */
        m &= 0x7FFFFFu;
    }
    return sign | (uint64_t)(e - 127 + 1023) << 52 | m << 29;
}

/* val[0..len) as a value of type into *v (whose type the caller set), by
 * LwM2M 1.0 §6.4.3: integers in 1, 2, 4 or 8 bytes, big-endian two's
 * complement; floats binary32 or binary64; Boolean one byte 0 or 1; Objlnk
 * two 16-bit ids; strings and opaque as they are (a view into val).
 * Returns 0, TETHER_ERR_MALFORMED (a length or byte the type does not
 * allow), or TETHER_ERR_INVAL (not a value type). */
static int decode_bytes(const uint8_t *val, size_t len, int type, tether_lwm2m_value *v)
{
    uint64_t u = 0;
    int sized = len == 1 || len == 2 || len == 4 || len == 8;

    if (type == TETHER_LWM2M_STRING || type == TETHER_LWM2M_OPAQUE) {
        v->bytes.ptr = val;
        v->bytes.len = len;
        return 0;
    }
    if (type < TETHER_LWM2M_STRING || type > TETHER_LWM2M_UNSIGNED)
        return TETHER_ERR_INVAL;
    if (val == NULL || len > 8)
        return TETHER_ERR_MALFORMED;
    for (size_t i = 0; i < len; i++)
        u = u << 8 | val[i];
    switch ((tether_lwm2m_type)type) {
    case TETHER_LWM2M_INTEGER:
    case TETHER_LWM2M_TIME:
        if (!sized)
            return TETHER_ERR_MALFORMED;
        /* Sign-extend from the top bit of the first byte. */
        if (len < 8 && (val[0] & 0x80))
            u |= ~(uint64_t)0 << (len * 8);
        v->i = (int64_t)u;
        return 0;
    case TETHER_LWM2M_UNSIGNED:
        if (!sized)
            return TETHER_ERR_MALFORMED;
        v->u = u;
        return 0;
    case TETHER_LWM2M_FLOAT:
        if (len != 4 && len != 8)
            return TETHER_ERR_MALFORMED;
        if (len == 4)
            u = widen((uint32_t)u);
        memcpy(&v->f, &u, sizeof(v->f));
        return 0;
    case TETHER_LWM2M_BOOLEAN:
        if (len != 1 || u > 1)
            return TETHER_ERR_MALFORMED;
        v->b = (uint8_t)u;
        return 0;
    case TETHER_LWM2M_OBJLNK:
        if (len != 4)
            return TETHER_ERR_MALFORMED;
        v->lnk.obj = (uint16_t)(u >> 16);
        v->lnk.inst = (uint16_t)u;
        return 0;
    case TETHER_LWM2M_NONE:
    case TETHER_LWM2M_STRING:
    case TETHER_LWM2M_OPAQUE:
    case TETHER_LWM2M_CORELNK: /* carried as a STRING: see tether/lwm2m.h */
        break;
    }
    return TETHER_ERR_INVAL;
}

/* The typed decoders are decode_bytes() into a value made here; out is
 * written only on success. */
int tether_tlv_decode_int(const uint8_t *val, size_t len, int64_t *out)
{
    tether_lwm2m_value v;

    if (out == NULL || decode_bytes(val, len, TETHER_LWM2M_INTEGER, &v) != 0)
        return TETHER_ERR_MALFORMED;
    *out = v.i;
    return 0;
}

int tether_tlv_decode_uint(const uint8_t *val, size_t len, uint64_t *out)
{
    tether_lwm2m_value v;

    if (out == NULL || decode_bytes(val, len, TETHER_LWM2M_UNSIGNED, &v) != 0)
        return TETHER_ERR_MALFORMED;
    *out = v.u;
    return 0;
}

int tether_tlv_decode_float(const uint8_t *val, size_t len, double *out)
{
    tether_lwm2m_value v;

    if (out == NULL || decode_bytes(val, len, TETHER_LWM2M_FLOAT, &v) != 0)
        return TETHER_ERR_MALFORMED;
    *out = v.f;
    return 0;
}

int tether_tlv_decode_bool(const uint8_t *val, size_t len, uint8_t *out)
{
    tether_lwm2m_value v;

    if (out == NULL || decode_bytes(val, len, TETHER_LWM2M_BOOLEAN, &v) != 0)
        return TETHER_ERR_MALFORMED;
    *out = v.b;
    return 0;
}

int tether_tlv_decode_objlnk(const uint8_t *val, size_t len, tether_lwm2m_objlnk *out)
{
    tether_lwm2m_value v;

    if (out == NULL || decode_bytes(val, len, TETHER_LWM2M_OBJLNK, &v) != 0)
        return TETHER_ERR_MALFORMED;
    *out = v.lnk;
    return 0;
}

int tether_tlv_decode_value(const tether_tlv_entry *e, int type, tether_lwm2m_value *out)
{
    tether_lwm2m_value v;
    int rc;

    if (e == NULL || out == NULL ||
        (e->type != TETHER_TLV_RESOURCE && e->type != TETHER_TLV_RESOURCE_INSTANCE) ||
        (e->val == NULL && e->len > 0))
        return TETHER_ERR_INVAL;
    memset(&v, 0, sizeof(v));
    v.type = (uint8_t)type;
    rc = decode_bytes(e->val, e->len, type, &v);
    if (rc != 0)
        return rc;
    *out = v;
    return 0;
}

/* --- encoding ------------------------------------------------------------ */

static int wfail(tether_tlv_writer *w, int err)
{
    if (w->err == 0)
        w->err = err;
    return w->err;
}

/* The shortest header for (type, id, len) into h; returns its size. */
static size_t make_header(uint8_t h[TETHER_TLV_HEADER_MAX], int type, uint16_t id, size_t len)
{
    size_t n = 1, lenw;
    uint8_t t = (uint8_t)(type << 6);

    if (id > 255) {
        t |= 0x20;
        h[n++] = (uint8_t)(id >> 8);
    }
    h[n++] = (uint8_t)id;
    if (len < 8) {
        t |= (uint8_t)len;
        lenw = 0;
    } else {
        lenw = len <= 0xFF ? 1 : len <= 0xFFFF ? 2 : 3;
        t |= (uint8_t)(lenw << 3);
        for (size_t i = lenw; i > 0; i--)
            h[n++] = (uint8_t)(len >> (8 * (i - 1)));
    }
    h[0] = t;
    return n;
}

static int check_type(tether_tlv_writer *w, int type, uint16_t id)
{
    if (w->err)
        return w->err;
    if (type < 0 || type > 3 || id == TETHER_LWM2M_ID_RESERVED)
        return wfail(w, TETHER_ERR_INVAL);
    if (!allowed_in(w->depth == 0 ? -1 : w->open_type[w->depth - 1], type))
        return wfail(w, TETHER_ERR_STATE);
    return 0;
}

void tether_tlv_writer_init(tether_tlv_writer *w, uint8_t *buf, size_t cap)
{
    memset(w, 0, sizeof(*w));
    w->buf = buf;
    w->cap = buf != NULL ? cap : 0;
}

int tether_tlv_begin(tether_tlv_writer *w, int type, uint16_t id)
{
    if (check_type(w, type, id) != 0)
        return w->err;
    if (type != TETHER_TLV_OBJECT_INSTANCE && type != TETHER_TLV_MULTIPLE_RESOURCE)
        return wfail(w, TETHER_ERR_INVAL);
    if (w->depth >= 2)
        return wfail(w, TETHER_ERR_STATE); /* not reachable: allowed_in nests at most 2 */
    if (w->cap - w->len < TETHER_TLV_HEADER_MAX)
        return wfail(w, TETHER_ERR_NOSPACE);
    w->open_at[w->depth] = w->len;
    w->open_type[w->depth] = (uint8_t)type;
    w->open_id[w->depth] = id;
    w->depth++;
    w->len += TETHER_TLV_HEADER_MAX;
    return 0;
}

int tether_tlv_end(tether_tlv_writer *w)
{
    uint8_t h[TETHER_TLV_HEADER_MAX];
    size_t at, vstart, vlen, hn;

    if (w->err)
        return w->err;
    if (w->depth == 0)
        return wfail(w, TETHER_ERR_STATE);
    w->depth--;
    at = w->open_at[w->depth];
    vstart = at + TETHER_TLV_HEADER_MAX;
    vlen = w->len - vstart;
    if (vlen > TETHER_TLV_LEN_MAX)
        return wfail(w, TETHER_ERR_TOO_LARGE);
    hn = make_header(h, w->open_type[w->depth], w->open_id[w->depth], vlen);
    memcpy(w->buf + at, h, hn);
    if (hn < TETHER_TLV_HEADER_MAX)
        memmove(w->buf + at + hn, w->buf + vstart, vlen);
    w->len = at + hn + vlen;
    return 0;
}

int tether_tlv_write_raw(tether_tlv_writer *w, int type, uint16_t id, const void *val,
                         size_t len)
{
    uint8_t h[TETHER_TLV_HEADER_MAX];
    size_t hn;

    if (check_type(w, type, id) != 0)
        return w->err;
    if (val == NULL && len > 0)
        return wfail(w, TETHER_ERR_INVAL);
    if (len > TETHER_TLV_LEN_MAX)
        return wfail(w, TETHER_ERR_TOO_LARGE);
    hn = make_header(h, type, id, len);
    if (w->cap - w->len < hn || w->cap - w->len - hn < len)
        return wfail(w, TETHER_ERR_NOSPACE);
    memcpy(w->buf + w->len, h, hn);
    if (len > 0)
        memcpy(w->buf + w->len + hn, val, len);
    w->len += hn + len;
    return 0;
}

static void put_be(uint8_t *out, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

/* The binary32 bits of the double with bits u when it is exactly one
 * (zeros, infinities, normal and subnormal binary32 values); 0 and *f
 * untouched otherwise (NaN included: it keeps 8 bytes and its payload). */
static int narrow(uint64_t u, uint32_t *f)
{
    uint32_t sign = (uint32_t)(u >> 63) << 31;
    int32_t e = (int32_t)(u >> 52 & 0x7FF) - 1023 + 127; /* binary32 exponent */
    uint64_t m = u & (((uint64_t)1 << 52) - 1);
    uint32_t shift;

    if ((u << 1) == 0 || (u << 1) == (uint64_t)0x7FF << 53) {
        *f = sign | (uint32_t)(u >> 32 & 0x7FF00000u ? 0x7F800000u : 0); /* zero, infinity */
        return 1;
    }
    if (e >= 255 || e < -22 || (u >> 52 & 0x7FF) == 0)
        return 0; /* NaN, too large, too small, or a binary64 subnormal */
    m |= (uint64_t)1 << 52;
    shift = e >= 1 ? 29 : (uint32_t)(30 - e); /* binary32 subnormal: fewer bits */
    if (m & (((uint64_t)1 << shift) - 1))
        return 0; /* bits binary32 does not have */
    *f = sign | (e >= 1 ? (uint32_t)e << 23 | (uint32_t)(m >> 29 & 0x7FFFFF) : (uint32_t)(m >> shift));
    return 1;
}

int tether_tlv_write_value(tether_tlv_writer *w, int type, uint16_t id,
                           const tether_lwm2m_value *v)
{
    uint8_t b[8];
    const void *p = b;
    size_t n = 8;
    uint64_t u = 0;
    uint32_t f;

    if (w->err)
        return w->err;
    if (v == NULL || (type != TETHER_TLV_RESOURCE && type != TETHER_TLV_RESOURCE_INSTANCE))
        return wfail(w, TETHER_ERR_INVAL);
    switch ((tether_lwm2m_type)v->type) {
    case TETHER_LWM2M_STRING:
    case TETHER_LWM2M_OPAQUE:
        p = v->bytes.ptr;
        n = v->bytes.len;
        break;
    case TETHER_LWM2M_INTEGER:
    case TETHER_LWM2M_TIME:
        /* The fewest bytes that sign-extend back to v. */
        u = (uint64_t)v->i;
        n = v->i >= INT8_MIN && v->i <= INT8_MAX     ? 1
            : v->i >= INT16_MIN && v->i <= INT16_MAX ? 2
            : v->i >= INT32_MIN && v->i <= INT32_MAX ? 4
                                                     : 8;
        break;
    case TETHER_LWM2M_UNSIGNED:
        u = v->u;
        n = u <= UINT8_MAX ? 1 : u <= UINT16_MAX ? 2 : u <= UINT32_MAX ? 4 : 8;
        break;
    case TETHER_LWM2M_FLOAT:
        memcpy(&u, &v->f, sizeof(u));
        if (narrow(u, &f)) { /* 4 bytes when binary32 holds v exactly */
            u = f;
            n = 4;
        }
        break;
    case TETHER_LWM2M_BOOLEAN:
        if (v->b > 1)
            return wfail(w, TETHER_ERR_INVAL);
        u = v->b;
        n = 1;
        break;
    case TETHER_LWM2M_OBJLNK:
        u = (uint32_t)v->lnk.obj << 16 | v->lnk.inst;
        n = 4;
        break;
    case TETHER_LWM2M_NONE:
    default:
        return wfail(w, TETHER_ERR_INVAL);
    }
    if (p == b)
        put_be(b, u, n);
    return tether_tlv_write_raw(w, type, id, p, n);
}

/* The typed writers are write_value() on a value made here. */
static int write_typed(tether_tlv_writer *w, int type, uint16_t id, tether_lwm2m_value v)
{
    return tether_tlv_write_value(w, type, id, &v);
}

int tether_tlv_write_int(tether_tlv_writer *w, int type, uint16_t id, int64_t v)
{
    return write_typed(w, type, id, tether_lwm2m_value_int(v));
}

int tether_tlv_write_uint(tether_tlv_writer *w, int type, uint16_t id, uint64_t v)
{
    return write_typed(w, type, id, tether_lwm2m_value_uint(v));
}

int tether_tlv_write_float(tether_tlv_writer *w, int type, uint16_t id, double v)
{
    return write_typed(w, type, id, tether_lwm2m_value_float(v));
}

int tether_tlv_write_bool(tether_tlv_writer *w, int type, uint16_t id, int v)
{
    return write_typed(w, type, id, tether_lwm2m_value_bool(v));
}

int tether_tlv_write_objlnk(tether_tlv_writer *w, int type, uint16_t id, uint16_t obj,
                            uint16_t inst)
{
    return write_typed(w, type, id, tether_lwm2m_value_objlnk(obj, inst));
}

/* Strings and opaque values go as they are (a NULL p with len > 0 is
 * TETHER_ERR_INVAL from write_raw()). */
int tether_tlv_write_string(tether_tlv_writer *w, int type, uint16_t id, const char *s,
                            size_t len)
{
    return tether_tlv_write_opaque(w, type, id, s, len);
}

int tether_tlv_write_opaque(tether_tlv_writer *w, int type, uint16_t id, const void *p,
                            size_t len)
{
    tether_lwm2m_value v = tether_lwm2m_value_opaque(NULL, 0);

    v.bytes.ptr = p;
    v.bytes.len = len;
    return tether_tlv_write_value(w, type, id, &v);
}

int tether_tlv_writer_finish(const tether_tlv_writer *w, size_t *len)
{
    if (w == NULL)
        return TETHER_ERR_INVAL;
    if (w->err)
        return w->err;
    if (w->depth != 0)
        return TETHER_ERR_STATE;
    if (len != NULL)
        *len = w->len;
    return 0;
}
