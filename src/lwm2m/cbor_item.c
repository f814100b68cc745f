/* SPDX-License-Identifier: Apache-2.0 */
/* CBOR items for the CBOR and SenML CBOR codecs, over libcbor. Reading:
 * cbor_stream_decode() decodes exactly one item head per call and reports
 * it through a callback; the callbacks below copy it into a
 * tether_cbor_item, so the codecs read CBOR as a pull parser over a
 * borrowed buffer with no allocation. Writing: libcbor's cbor_encode_*
 * functions write heads into the caller buffer; half floats are written
 * here because libcbor's cbor_encode_half() drops the low bits of
 * subnormal halves, and we only ever write a half that is exact. */
#include "cbor_internal.h"

#include <float.h>
#include <math.h>
#include <string.h>

#ifdef TETHER_HAVE_CBOR
#include <cbor/callbacks.h>
#include <cbor/encoding.h>
#include <cbor/streaming.h>
#endif

#include "num_internal.h"

#include "tether_poison.h"

#ifdef TETHER_HAVE_CBOR

static void set(void *ctx, int kind, uint64_t u)
{
    tether_cbor_item *it = ctx;
    it->kind = kind;
    it->u = u;
}

static void on_u8(void *c, uint8_t v) { set(c, TETHER_CBOR_UINT, v); }
static void on_u16(void *c, uint16_t v) { set(c, TETHER_CBOR_UINT, v); }
static void on_u32(void *c, uint32_t v) { set(c, TETHER_CBOR_UINT, v); }
static void on_u64(void *c, uint64_t v) { set(c, TETHER_CBOR_UINT, v); }
static void on_n8(void *c, uint8_t v) { set(c, TETHER_CBOR_NEGINT, v); }
static void on_n16(void *c, uint16_t v) { set(c, TETHER_CBOR_NEGINT, v); }
static void on_n32(void *c, uint32_t v) { set(c, TETHER_CBOR_NEGINT, v); }
static void on_n64(void *c, uint64_t v) { set(c, TETHER_CBOR_NEGINT, v); }
static void on_bytes_indef(void *c) { set(c, TETHER_CBOR_INDEF_BYTES, 0); }
static void on_text_indef(void *c) { set(c, TETHER_CBOR_INDEF_TEXT, 0); }
static void on_array_indef(void *c) { set(c, TETHER_CBOR_INDEF_ARRAY, 0); }
static void on_map_indef(void *c) { set(c, TETHER_CBOR_INDEF_MAP, 0); }
static void on_array(void *c, size_t n) { set(c, TETHER_CBOR_ARRAY, n); }
static void on_map(void *c, size_t n) { set(c, TETHER_CBOR_MAP, n); }
static void on_tag(void *c, uint64_t v) { set(c, TETHER_CBOR_TAG, v); }
static void on_null(void *c) { set(c, TETHER_CBOR_NULL, 0); }
static void on_undef(void *c) { set(c, TETHER_CBOR_UNDEF, 0); }
static void on_break(void *c) { set(c, TETHER_CBOR_BREAK, 0); }

static void on_bool(void *c, bool v)
{
    set(c, TETHER_CBOR_BOOL, 0);
    ((tether_cbor_item *)c)->b = v ? 1 : 0;
}

static void on_float(void *c, float v)
{
    set(c, TETHER_CBOR_FLOAT, 0);
    ((tether_cbor_item *)c)->f = (double)v;
}

static void on_double(void *c, double v)
{
    set(c, TETHER_CBOR_FLOAT, 0);
    ((tether_cbor_item *)c)->f = v;
}

static void on_string(tether_cbor_item *it, int kind, cbor_data p, size_t n)
{
    set(it, kind, 0);
    it->ptr = p;
    it->len = n;
}

static void on_bytes(void *c, cbor_data p, size_t n) { on_string(c, TETHER_CBOR_BYTES, p, n); }
static void on_text(void *c, cbor_data p, size_t n) { on_string(c, TETHER_CBOR_TEXT, p, n); }

static const struct cbor_callbacks callbacks = {
    .uint8 = on_u8,
    .uint16 = on_u16,
    .uint32 = on_u32,
    .uint64 = on_u64,
    .negint8 = on_n8,
    .negint16 = on_n16,
    .negint32 = on_n32,
    .negint64 = on_n64,
    .byte_string_start = on_bytes_indef,
    .byte_string = on_bytes,
    .string = on_text,
    .string_start = on_text_indef,
    .indef_array_start = on_array_indef,
    .array_start = on_array,
    .indef_map_start = on_map_indef,
    .map_start = on_map,
    .tag = on_tag,
    .float2 = on_float,
    .float4 = on_float,
    .float8 = on_double,
    .undefined = on_undef,
    .null = on_null,
    .boolean = on_bool,
    .indef_break = on_break,
};

#endif /* TETHER_HAVE_CBOR */

int tether_cbor_read(const uint8_t *buf, size_t len, size_t *pos, tether_cbor_item *it)
{
#ifdef TETHER_HAVE_CBOR
    tether_cbor_item tmp;
    struct cbor_decoder_result r;

    if (*pos >= len)
        return TETHER_ERR_MALFORMED;
    memset(&tmp, 0, sizeof(tmp));
    r = cbor_stream_decode(buf + *pos, len - *pos, &callbacks, &tmp);
    if (r.status != CBOR_DECODER_FINISHED || r.read == 0 || r.read > len - *pos ||
        tmp.kind == 0)
        return TETHER_ERR_MALFORMED;
    if (tmp.kind == TETHER_CBOR_TEXT && !tether_lwm2m_utf8_valid(tmp.ptr, tmp.len))
        return TETHER_ERR_MALFORMED;
    *pos += r.read;
    *it = tmp;
    return 0;
#else
    (void)buf, (void)len, (void)pos, (void)it;
    return TETHER_ERR_UNSUPPORTED;
#endif
}

int tether_cbor_skip(const uint8_t *buf, size_t len, size_t *pos)
{
    struct {
        uint64_t left; /* items still to come (definite) */
        uint64_t seen; /* items seen (indefinite map: must end even) */
        uint8_t indef, map;
    } st[TETHER_CBOR_DEPTH_MAX];
    int depth = 0, tagged = 0;
    size_t p = *pos;
    tether_cbor_item it;
    int rc;

    for (;;) {
        if ((rc = tether_cbor_read(buf, len, &p, &it)) != 0)
            return rc;
        switch (it.kind) {
        case TETHER_CBOR_TAG:
            tagged = 1;
            continue; /* the tagged item is the one that counts */
        case TETHER_CBOR_BREAK:
            if (tagged || depth == 0 || !st[depth - 1].indef ||
                (st[depth - 1].map && st[depth - 1].seen % 2 != 0))
                return TETHER_ERR_MALFORMED;
            depth--;
            break; /* the container just ended: one complete item */
        case TETHER_CBOR_ARRAY:
        case TETHER_CBOR_MAP:
        case TETHER_CBOR_INDEF_ARRAY:
        case TETHER_CBOR_INDEF_MAP: {
            int map = it.kind == TETHER_CBOR_MAP || it.kind == TETHER_CBOR_INDEF_MAP;
            int indef = it.kind == TETHER_CBOR_INDEF_ARRAY || it.kind == TETHER_CBOR_INDEF_MAP;
            tagged = 0;
            if (!indef && map && it.u > UINT64_MAX / 2)
                return TETHER_ERR_MALFORMED;
            if (!indef && it.u == 0)
                break; /* empty: complete */
            if (depth == TETHER_CBOR_DEPTH_MAX)
                return TETHER_ERR_MALFORMED;
            st[depth].left = map ? it.u * 2 : it.u;
            st[depth].seen = 0;
            st[depth].indef = (uint8_t)indef;
            st[depth].map = (uint8_t)map;
            depth++;
            continue;
        }
        case TETHER_CBOR_INDEF_BYTES:
        case TETHER_CBOR_INDEF_TEXT: {
            int chunk = it.kind == TETHER_CBOR_INDEF_BYTES ? TETHER_CBOR_BYTES : TETHER_CBOR_TEXT;
            tagged = 0;
            for (;;) {
                if ((rc = tether_cbor_read(buf, len, &p, &it)) != 0)
                    return rc;
                if (it.kind == TETHER_CBOR_BREAK)
                    break;
                if (it.kind != chunk)
                    return TETHER_ERR_MALFORMED;
            }
            break;
        }
        default:
            tagged = 0;
            break; /* a scalar or a definite string: complete */
        }
        /* One complete item: count it in its container(s). */
        while (depth > 0) {
            if (st[depth - 1].indef) {
                st[depth - 1].seen++;
                break;
            }
            if (--st[depth - 1].left > 0)
                break;
            depth--; /* that container is complete too */
        }
        if (depth == 0) {
            *pos = p;
            return 0;
        }
    }
}

int tether_cbor_int_value(const tether_cbor_item *it, tether_lwm2m_value *v)
{
    tether_lwm2m_value r;

    memset(&r, 0, sizeof(r));
    if (it->kind == TETHER_CBOR_UINT) {
        if (it->u <= (uint64_t)INT64_MAX) {
            r.type = TETHER_LWM2M_INTEGER;
            r.i = (int64_t)it->u;
        } else {
            r.type = TETHER_LWM2M_UNSIGNED;
            r.u = it->u;
        }
    } else if (it->kind == TETHER_CBOR_NEGINT && it->u <= (uint64_t)INT64_MAX) {
        r.type = TETHER_LWM2M_INTEGER;
        r.i = -1 - (int64_t)it->u;
    } else {
        return TETHER_ERR_MALFORMED;
    }
    *v = r;
    return 0;
}

int tether_cbor_double(const tether_cbor_item *it, double *out)
{
    tether_lwm2m_value v;

    if (it->kind == TETHER_CBOR_FLOAT) {
        *out = it->f;
        return 0;
    }
    if (tether_cbor_int_value(it, &v) != 0)
        return TETHER_ERR_MALFORMED;
    *out = v.type == TETHER_LWM2M_INTEGER ? (double)v.i : (double)v.u;
    return 0;
}

/* --- output ------------------------------------------------------------------ */

void tether_cbor_out_init(tether_cbor_out *o, uint8_t *buf, size_t cap)
{
    o->buf = buf;
    o->cap = buf != NULL ? cap : 0;
    o->len = 0;
    o->err = 0;
}

static void fail(tether_cbor_out *o, int err)
{
    if (o->err == 0)
        o->err = err;
}

static void put_raw(tether_cbor_out *o, const void *s, size_t n)
{
    if (o->err)
        return;
    if (o->cap - o->len < n) {
        fail(o, TETHER_ERR_NOSPACE);
        return;
    }
    if (n > 0)
        memcpy(o->buf + o->len, s, n);
    o->len += n;
}

#ifdef TETHER_HAVE_CBOR
/* Account for what a cbor_encode_* call wrote: 0 means it did not fit. */
static void wrote(tether_cbor_out *o, size_t n)
{
    if (n == 0)
        fail(o, TETHER_ERR_NOSPACE);
    else
        o->len += n;
}
#define ENCODE(o, call)                                                       \
    do {                                                                      \
        if ((o)->err == 0)                                                    \
            wrote((o), call);                                                 \
    } while (0)
#define AT(o) ((o)->buf + (o)->len), ((o)->cap - (o)->len)
#else
#define ENCODE(o, call) fail((o), TETHER_ERR_UNSUPPORTED)
#endif

void tether_cbor_put_uint(tether_cbor_out *o, uint64_t v)
{
    ENCODE(o, cbor_encode_uint(v, AT(o)));
}

void tether_cbor_put_int(tether_cbor_out *o, int64_t v)
{
    if (v >= 0)
        tether_cbor_put_uint(o, (uint64_t)v);
    else
        ENCODE(o, cbor_encode_negint((uint64_t)(-1 - v), AT(o)));
}

void tether_cbor_put_number(tether_cbor_out *o, double v)
{
    if (v == floor(v) && v >= -9223372036854775808.0 && v < 9223372036854775808.0)
        tether_cbor_put_int(o, (int64_t)v);
    else
        tether_cbor_put_float(o, v);
}

/* The binary16 bits of v when it holds v exactly (RFC 8949 §3.3). */
static int half_exact(double v, uint16_t *h)
{
    uint16_t sign = signbit(v) ? 0x8000 : 0;
    double a = fabs(v);
    int e;

    if (isnan(v)) {
        *h = 0x7e00;
        return 1;
    }
    if (isinf(v)) {
        *h = sign | 0x7c00;
        return 1;
    }
    if (a == 0) {
        *h = sign;
        return 1;
    }
    if (a > 65504.0 || a < 5.9604644775390625e-08) /* max half, 2^-24 */
        return 0;
    if (a < 6.103515625e-05) { /* 2^-14: subnormal, a multiple of 2^-24 */
        double m = ldexp(a, 24);
        if (m != floor(m))
            return 0;
        *h = sign | (uint16_t)m;
        return 1;
    }
    (void)frexp(a, &e); /* a = f * 2^e, f in [0.5, 1) */
    {
        double m = ldexp(a, 11 - e); /* 11 significant bits: [1024, 2048) */
        if (m != floor(m))
            return 0;
        *h = sign | (uint16_t)((e - 1 + 15) << 10) | (uint16_t)((uint32_t)m - 1024);
        return 1;
    }
}

void tether_cbor_put_float(tether_cbor_out *o, double v)
{
    uint16_t h;

    if (half_exact(v, &h)) {
        uint8_t b[3] = {0xF9, (uint8_t)(h >> 8), (uint8_t)h};
#ifndef TETHER_HAVE_CBOR
        fail(o, TETHER_ERR_UNSUPPORTED);
#endif
        put_raw(o, b, sizeof(b));
        return;
    }
    /* The range test first: converting an out-of-range double to float is
     * undefined in C. */
    if (fabs(v) <= FLT_MAX && (double)(float)v == v)
        ENCODE(o, cbor_encode_single((float)v, AT(o)));
    else
        ENCODE(o, cbor_encode_double(v, AT(o)));
}

void tether_cbor_put_bool(tether_cbor_out *o, int v)
{
    ENCODE(o, cbor_encode_bool(v != 0, AT(o)));
}

void tether_cbor_put_tag(tether_cbor_out *o, uint64_t tag)
{
    ENCODE(o, cbor_encode_tag(tag, AT(o)));
}

void tether_cbor_put_map(tether_cbor_out *o, size_t pairs)
{
    ENCODE(o, cbor_encode_map_start(pairs, AT(o)));
}

void tether_cbor_put_text(tether_cbor_out *o, const void *s, size_t n)
{
    if (o->err)
        return;
    if ((s == NULL && n > 0) || !tether_lwm2m_utf8_valid(s, n)) {
        fail(o, TETHER_ERR_INVAL);
        return;
    }
    ENCODE(o, cbor_encode_string_start(n, AT(o)));
    put_raw(o, s, n);
}

void tether_cbor_put_bytes(tether_cbor_out *o, const void *s, size_t n)
{
    if (o->err)
        return;
    if (s == NULL && n > 0) {
        fail(o, TETHER_ERR_INVAL);
        return;
    }
    ENCODE(o, cbor_encode_bytestring_start(n, AT(o)));
    put_raw(o, s, n);
}

void tether_cbor_put_objlnk(tether_cbor_out *o, tether_lwm2m_objlnk l)
{
    uint8_t tmp[16];
    size_t n = tether_num_format_u64(l.obj, tmp, sizeof(tmp));

    tmp[n++] = ':';
    n += tether_num_format_u64(l.inst, tmp + n, sizeof(tmp) - n);
    tether_cbor_put_text(o, tmp, n);
}
