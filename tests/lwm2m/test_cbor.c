/* SPDX-License-Identifier: Apache-2.0 */
/* CBOR, content format 60 (LwM2M 1.1 §7.4.6): the RFC 8949 Appendix A
 * examples that are single LwM2M values, both ways byte for byte (integers
 * and floats in their preferred, shortest serialization), tags, and every
 * item the header refuses. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "tether/lwm2m_cbor.h"

/* A build without libcbor reports UNSUPPORTED: nothing to test then. */
static int have_cbor(void)
{
    static const uint8_t zero[] = {0};
    tether_lwm2m_value v;
    return tether_lwm2m_cbor_decode(zero, 1, &v) != TETHER_ERR_UNSUPPORTED;
}

#define SKIP_WITHOUT_CBOR()                                                                 \
    do {                                                                                    \
        if (!have_cbor())                                                                   \
            skip();                                                                         \
    } while (0)

typedef struct {
    tether_lwm2m_value v;
    const char *hex;
} vector;

static size_t unhex(const char *hex, uint8_t *out)
{
    size_t n = 0;
    for (; hex[0] && hex[1]; hex += 2) {
        unsigned b;
        sscanf(hex, "%2x", &b);
        out[n++] = (uint8_t)b;
    }
    return n;
}

static int same(const tether_lwm2m_value *a, const tether_lwm2m_value *b)
{
    if (a->type != b->type)
        return 0;
    switch (a->type) {
    case TETHER_LWM2M_STRING:
    case TETHER_LWM2M_OPAQUE:
        return a->bytes.len == b->bytes.len &&
               (a->bytes.len == 0 || memcmp(a->bytes.ptr, b->bytes.ptr, a->bytes.len) == 0);
    case TETHER_LWM2M_FLOAT:
        return (isnan(a->f) && isnan(b->f)) || (a->f == b->f && signbit(a->f) == signbit(b->f));
    case TETHER_LWM2M_UNSIGNED:
        return a->u == b->u;
    case TETHER_LWM2M_BOOLEAN:
        return a->b == b->b;
    case TETHER_LWM2M_OBJLNK:
        return a->lnk.obj == b->lnk.obj && a->lnk.inst == b->lnk.inst;
    default:
        return a->i == b->i;
    }
}

static void test_cbor_rfc8949_examples(void **state)
{
    static const uint8_t bin[] = {1, 2, 3, 4};
    const vector vec[] = {
        {tether_lwm2m_value_int(0), "00"},
        {tether_lwm2m_value_int(1), "01"},
        {tether_lwm2m_value_int(10), "0a"},
        {tether_lwm2m_value_int(23), "17"},
        {tether_lwm2m_value_int(24), "1818"},
        {tether_lwm2m_value_int(25), "1819"},
        {tether_lwm2m_value_int(100), "1864"},
        {tether_lwm2m_value_int(1000), "1903e8"},
        {tether_lwm2m_value_int(1000000), "1a000f4240"},
        {tether_lwm2m_value_int(1000000000000), "1b000000e8d4a51000"},
        {tether_lwm2m_value_int(INT64_MAX), "1b7fffffffffffffff"},
        {tether_lwm2m_value_uint(UINT64_MAX), "1bffffffffffffffff"},
        {tether_lwm2m_value_int(INT64_MIN), "3b7fffffffffffffff"},
        {tether_lwm2m_value_int(-1), "20"},
        {tether_lwm2m_value_int(-10), "29"},
        {tether_lwm2m_value_int(-100), "3863"},
        {tether_lwm2m_value_int(-1000), "3903e7"},
        {tether_lwm2m_value_float(0.0), "f90000"},
        {tether_lwm2m_value_float(-0.0), "f98000"},
        {tether_lwm2m_value_float(1.0), "f93c00"},
        {tether_lwm2m_value_float(1.1), "fb3ff199999999999a"},
        {tether_lwm2m_value_float(1.5), "f93e00"},
        {tether_lwm2m_value_float(65504.0), "f97bff"},
        {tether_lwm2m_value_float(100000.0), "fa47c35000"},
        {tether_lwm2m_value_float(3.4028234663852886e+38), "fa7f7fffff"},
        {tether_lwm2m_value_float(1.0e+300), "fb7e37e43c8800759c"},
        {tether_lwm2m_value_float(5.960464477539063e-8), "f90001"},
        {tether_lwm2m_value_float(0.00006103515625), "f90400"},
        {tether_lwm2m_value_float(-4.0), "f9c400"},
        {tether_lwm2m_value_float(-4.1), "fbc010666666666666"},
        {tether_lwm2m_value_float(INFINITY), "f97c00"},
        {tether_lwm2m_value_float(NAN), "f97e00"},
        {tether_lwm2m_value_float(-INFINITY), "f9fc00"},
        {tether_lwm2m_value_bool(0), "f4"},
        {tether_lwm2m_value_bool(1), "f5"},
        {tether_lwm2m_value_string("", 0), "60"},
        {tether_lwm2m_value_cstr("a"), "6161"},
        {tether_lwm2m_value_cstr("IETF"), "6449455446"},
        {tether_lwm2m_value_cstr("\"\\"), "62225c"},
        {tether_lwm2m_value_cstr("\xc3\xbc"), "62c3bc"},
        {tether_lwm2m_value_cstr("\xe6\xb0\xb4"), "63e6b0b4"},
        {tether_lwm2m_value_opaque(NULL, 0), "40"},
        {tether_lwm2m_value_opaque(bin, 4), "4401020304"},
        {tether_lwm2m_value_time(1363896240), "c11a514b67b0"},
        {tether_lwm2m_value_time(-1), "c120"},
        /* A subnormal half with more than one bit set: 3 * 2^-24. */
        {tether_lwm2m_value_float(1.78813934326171875e-07), "f90003"},
        /* Exact in single, not in half (2049 needs 12 bits). */
        {tether_lwm2m_value_float(2049.0), "fa45001000"},
    };
    (void)state;
    SKIP_WITHOUT_CBOR();
    for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
        uint8_t want[16], out[16];
        size_t n = unhex(vec[i].hex, want), len = 99;
        tether_lwm2m_value back;
        if (tether_lwm2m_cbor_encode(&vec[i].v, out, sizeof(out), &len) != 0 || len != n ||
            memcmp(out, want, n) != 0)
            fail_msg("encode #%zu, want %s", i, vec[i].hex);
        /* Every shorter buffer: NOSPACE and len untouched. */
        for (size_t cap = 0; cap < n; cap++) {
            len = 99;
            assert_int_equal(tether_lwm2m_cbor_encode(&vec[i].v, out, cap, &len),
                             TETHER_ERR_NOSPACE);
            assert_int_equal(len, 99);
        }
        assert_int_equal(tether_lwm2m_cbor_decode(want, n, &back), 0);
        if (!same(&back, &vec[i].v))
            fail_msg("decode #%zu (%s)", i, vec[i].hex);
    }
}

/* Objlnk travels as text: it decodes as a string that converts back. */
static void test_cbor_objlnk(void **state)
{
    tether_lwm2m_value v = tether_lwm2m_value_objlnk(66, 65535), back, lnk;
    uint8_t out[16];
    size_t len;
    (void)state;
    SKIP_WITHOUT_CBOR();
    assert_int_equal(tether_lwm2m_cbor_encode(&v, out, sizeof(out), &len), 0);
    assert_int_equal(len, 9);
    assert_memory_equal(out, "\x68" "66:65535", 9);
    assert_int_equal(tether_lwm2m_cbor_decode(out, len, &back), 0);
    assert_int_equal(back.type, TETHER_LWM2M_STRING);
    assert_int_equal(tether_lwm2m_value_convert(&back, TETHER_LWM2M_OBJLNK, NULL, 0, &lnk), 0);
    assert_int_equal(lnk.lnk.obj, 66);
    assert_int_equal(lnk.lnk.inst, 65535);
}

/* Decoding takes what a sender may legally write: longer heads, single
 * and double floats, one tag (RFC 8949 Appendix A, Wakaama's cases). */
static void test_cbor_decode_accepts(void **state)
{
    static const uint8_t bin[] = {1, 2, 3, 4}, ietf[] = {0x64, 0x49, 0x45, 0x54, 0x46};
    const vector vec[] = {
        {tether_lwm2m_value_int(0), "1800"},
        {tether_lwm2m_value_int(5), "1b0000000000000005"},
        {tether_lwm2m_value_float(1.0), "fb3ff0000000000000"},
        {tether_lwm2m_value_float(1.5), "fa3fc00000"},
        {tether_lwm2m_value_float(INFINITY), "fa7f800000"},
        {tether_lwm2m_value_float(-INFINITY), "fbfff0000000000000"},
        {tether_lwm2m_value_float(NAN), "fb7ff8000000000000"},
        {tether_lwm2m_value_float(1363896240.5), "c1fb41d452d9ec200000"},
        {tether_lwm2m_value_cstr("2013-03-21T20:04:00Z"),
         "c074323031332d30332d32315432303a30343a30305a"},
        {tether_lwm2m_value_opaque(bin, 4), "d74401020304"},
        {tether_lwm2m_value_opaque(ietf, 5), "d818456449455446"},
        {tether_lwm2m_value_cstr("http://www.example.com"),
         "d82076687474703a2f2f7777772e6578616d706c652e636f6d"},
    };
    (void)state;
    SKIP_WITHOUT_CBOR();
    for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
        uint8_t in[64];
        size_t n = unhex(vec[i].hex, in);
        tether_lwm2m_value back;
        if (tether_lwm2m_cbor_decode(in, n, &back) != 0 || !same(&back, &vec[i].v))
            fail_msg("decode %s", vec[i].hex);
    }
}

static void test_cbor_decode_refuses(void **state)
{
    static const char *bad[] = {
        "",                       /* nothing */
        "3bffffffffffffffff",     /* -2^64: below INT64_MIN */
        "f6",                     /* null */
        "f7",                     /* undefined */
        "f0",                     /* simple(16) */
        "f818",                   /* simple(24) */
        "f8ff",                   /* simple(255) */
        "80",                     /* [] */
        "83010203",               /* [1, 2, 3] */
        "a0",                     /* {} */
        "a201020304",             /* {1: 2, 3: 4} */
        "9fff",                   /* [_ ] */
        "bf6346756ef563416d7421ff", /* {_ "Fun": true, "Amt": -2} */
        "5f42010243030405ff",     /* (_ h'0102', h'030405') */
        "7f657374726561646d696e67ff", /* (_ "strea", "ming") */
        "d820d82076687474703a2f2f7777772e6578616d706c652e636f6d", /* two tags */
        "c1f5",                   /* tag 1 on a boolean */
        "c163616263",             /* tag 1 on text */
        "c14100",                 /* tag 1 on bytes */
        "c11bffffffffffffffff",   /* a time past int64 */
        "c1",                     /* a tag and nothing */
        "0001",                   /* trailing byte */
        "f4f4",                   /* two items */
        "1903",                   /* truncated head */
        "62c3",                   /* truncated string */
        "1c",                     /* reserved additional information */
        "ff",                     /* a lone break */
        "61ff",                   /* text that is not UTF-8 */
        "62c0af",                 /* overlong UTF-8 */
    };
    (void)state;
    SKIP_WITHOUT_CBOR();
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t in[64];
        size_t n = unhex(bad[i], in);
        tether_lwm2m_value v = tether_lwm2m_value_int(77);
        if (tether_lwm2m_cbor_decode(in, n, &v) != TETHER_ERR_MALFORMED)
            fail_msg("accepted: %s", bad[i]);
        assert_int_equal(v.type, TETHER_LWM2M_INTEGER);
        assert_int_equal(v.i, 77);
    }
    assert_int_equal(tether_lwm2m_cbor_decode(NULL, 1, NULL), TETHER_ERR_INVAL);
}

static void test_cbor_encode_refuses(void **state)
{
    tether_lwm2m_value none, b = tether_lwm2m_value_bool(1);
    tether_lwm2m_value s = tether_lwm2m_value_string("\xff", 1);
    uint8_t out[16];
    size_t len = 99;
    (void)state;
    SKIP_WITHOUT_CBOR();
    memset(&none, 0, sizeof(none));
    b.b = 2;
    assert_int_equal(tether_lwm2m_cbor_encode(&none, out, sizeof(out), &len), TETHER_ERR_INVAL);
    assert_int_equal(tether_lwm2m_cbor_encode(&b, out, sizeof(out), &len), TETHER_ERR_INVAL);
    assert_int_equal(tether_lwm2m_cbor_encode(&s, out, sizeof(out), &len), TETHER_ERR_INVAL);
    assert_int_equal(len, 99);
}

/* Every double that is a half, single or double writes the shortest and
 * reads back exactly; sweep exponents and mantissas. */
static void test_cbor_float_round_trip(void **state)
{
    (void)state;
    SKIP_WITHOUT_CBOR();
    for (int e = -1080; e <= 1030; e += 3) {
        for (int m = 1; m < 4096; m = m * 3 + 1) {
            double d = ldexp((double)m, e);
            tether_lwm2m_value v = tether_lwm2m_value_float(d), back;
            uint8_t out[16];
            size_t len;
            if (!isfinite(d))
                continue;
            assert_int_equal(tether_lwm2m_cbor_encode(&v, out, sizeof(out), &len), 0);
            if (len == 3)
                assert_int_equal(out[0], 0xf9);
            else if (len == 5)
                assert_true(out[0] == 0xfa && (double)(float)d == d);
            else
                assert_true(len == 9 && out[0] == 0xfb);
            assert_int_equal(tether_lwm2m_cbor_decode(out, len, &back), 0);
            assert_true(back.type == TETHER_LWM2M_FLOAT && back.f == d);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cbor_rfc8949_examples),
        cmocka_unit_test(test_cbor_objlnk),
        cmocka_unit_test(test_cbor_decode_accepts),
        cmocka_unit_test(test_cbor_decode_refuses),
        cmocka_unit_test(test_cbor_encode_refuses),
        cmocka_unit_test(test_cbor_float_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
