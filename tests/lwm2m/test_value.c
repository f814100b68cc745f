/* SPDX-License-Identifier: Apache-2.0 */
/* Typed values: constructors, type names, UTF-8 check, conversion to a
 * resource's type (and the base64 it uses for opaque strings). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tether/lwm2m.h"

#include "lwm2m/base64_internal.h"

static void test_value_constructors(void **state)
{
    const char *s = "abc";
    tether_lwm2m_value v;
    (void)state;
    v = tether_lwm2m_value_int(-5);
    assert_int_equal(v.type, TETHER_LWM2M_INTEGER);
    assert_int_equal(v.i, -5);
    v = tether_lwm2m_value_bool(7);
    assert_int_equal(v.type, TETHER_LWM2M_BOOLEAN);
    assert_int_equal(v.b, 1);
    v = tether_lwm2m_value_cstr(s);
    assert_int_equal(v.type, TETHER_LWM2M_STRING);
    assert_ptr_equal(v.bytes.ptr, s);
    assert_int_equal(v.bytes.len, 3);
    v = tether_lwm2m_value_opaque(NULL, 5);
    assert_int_equal(v.bytes.len, 0);
    v = tether_lwm2m_value_objlnk(1, 2);
    assert_int_equal(v.type, TETHER_LWM2M_OBJLNK);
    assert_int_equal(v.lnk.obj, 1);
    assert_int_equal(v.lnk.inst, 2);
    v = tether_lwm2m_value_time(-1);
    assert_int_equal(v.type, TETHER_LWM2M_TIME);
    v = tether_lwm2m_value_uint(5);
    assert_int_equal(v.type, TETHER_LWM2M_UNSIGNED);
    v = tether_lwm2m_value_float(0.5);
    assert_true(v.f == 0.5);
}

static void test_value_type_names(void **state)
{
    (void)state;
    assert_string_equal(tether_lwm2m_type_name(TETHER_LWM2M_INTEGER), "Integer");
    assert_string_equal(tether_lwm2m_type_name(TETHER_LWM2M_OBJLNK), "Objlnk");
    assert_string_equal(tether_lwm2m_type_name(TETHER_LWM2M_CORELNK), "Corelnk");
    assert_string_equal(tether_lwm2m_type_name(42), "?");
}

static void test_value_utf8(void **state)
{
    static const struct {
        const char *s;
        size_t len;
        int ok;
    } cases[] = {
        {"", 0, 1},
        {"plain", 5, 1},
        {"\xc3\xa9", 2, 1},          /* é */
        {"\xe2\x82\xac", 3, 1},      /* € */
        {"\xf0\x9f\x98\x80", 4, 1},  /* U+1F600 */
        {"\xc3", 1, 0},              /* truncated */
        {"\xc0\xaf", 2, 0},          /* overlong '/' */
        {"\xe0\x80\xaf", 3, 0},      /* overlong */
        {"\xed\xa0\x80", 3, 0},      /* surrogate */
        {"\xf4\x90\x80\x80", 4, 0},  /* > U+10FFFF */
        {"\xff", 1, 0},
        {"\x80", 1, 0},
        {"a\xe2\x82", 3, 0},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (tether_lwm2m_utf8_valid((const uint8_t *)cases[i].s, cases[i].len) != cases[i].ok)
            fail_msg("utf8 case %zu", i);
}

static tether_lwm2m_value conv_ok(tether_lwm2m_value in, int type)
{
    tether_lwm2m_value out;
    int rc = tether_lwm2m_value_convert(&in, type, NULL, 0, &out);
    if (rc != 0)
        fail_msg("convert %s -> %s: %d", tether_lwm2m_type_name(in.type),
                 tether_lwm2m_type_name(type), rc);
    assert_int_equal(out.type, type);
    return out;
}

static int conv_rc(tether_lwm2m_value in, int type)
{
    tether_lwm2m_value out = tether_lwm2m_value_bool(1);
    int rc = tether_lwm2m_value_convert(&in, type, NULL, 0, &out);
    if (rc != 0) /* untouched on error */
        assert_int_equal(out.type, TETHER_LWM2M_BOOLEAN);
    return rc;
}

static void test_value_convert_numbers(void **state)
{
    (void)state;
    assert_int_equal(conv_ok(tether_lwm2m_value_int(-7), TETHER_LWM2M_INTEGER).i, -7);
    assert_int_equal(conv_ok(tether_lwm2m_value_int(1367491215), TETHER_LWM2M_TIME).i,
                     1367491215);
    assert_int_equal(conv_ok(tether_lwm2m_value_time(5), TETHER_LWM2M_INTEGER).i, 5);
    assert_true(conv_ok(tether_lwm2m_value_int(7), TETHER_LWM2M_UNSIGNED).u == 7);
    assert_true(conv_ok(tether_lwm2m_value_int(-3), TETHER_LWM2M_FLOAT).f == -3.0);
    assert_true(conv_ok(tether_lwm2m_value_uint(UINT64_MAX), TETHER_LWM2M_FLOAT).f ==
                18446744073709551616.0);
    assert_int_equal(conv_ok(tether_lwm2m_value_uint(INT64_MAX), TETHER_LWM2M_INTEGER).i,
                     INT64_MAX);
    /* "v":1.0 for an integer, 1.638435E9 for a time (Leshan sends that). */
    assert_int_equal(conv_ok(tether_lwm2m_value_float(1.0), TETHER_LWM2M_INTEGER).i, 1);
    assert_int_equal(conv_ok(tether_lwm2m_value_float(1.638435e9), TETHER_LWM2M_TIME).i,
                     1638435000);
    assert_int_equal(conv_ok(tether_lwm2m_value_float(-9223372036854775808.0),
                             TETHER_LWM2M_INTEGER).i,
                     INT64_MIN);
    assert_true(conv_ok(tether_lwm2m_value_float(18446744073709549568.0),
                        TETHER_LWM2M_UNSIGNED).u == 18446744073709549568u);
    /* Out of range, fractions, wrong kinds. */
    assert_int_equal(conv_rc(tether_lwm2m_value_int(-1), TETHER_LWM2M_UNSIGNED),
                     TETHER_ERR_MALFORMED);
    assert_int_equal(conv_rc(tether_lwm2m_value_uint((uint64_t)INT64_MAX + 1),
                             TETHER_LWM2M_INTEGER),
                     TETHER_ERR_MALFORMED);
    assert_int_equal(conv_rc(tether_lwm2m_value_float(1.5), TETHER_LWM2M_INTEGER),
                     TETHER_ERR_MALFORMED);
    assert_int_equal(conv_rc(tether_lwm2m_value_float(9223372036854775808.0),
                             TETHER_LWM2M_INTEGER),
                     TETHER_ERR_MALFORMED);
    assert_int_equal(conv_rc(tether_lwm2m_value_float(18446744073709551616.0),
                             TETHER_LWM2M_UNSIGNED),
                     TETHER_ERR_MALFORMED);
    assert_int_equal(conv_rc(tether_lwm2m_value_float(-1.0), TETHER_LWM2M_UNSIGNED),
                     TETHER_ERR_MALFORMED);
    assert_int_equal(conv_rc(tether_lwm2m_value_float(NAN), TETHER_LWM2M_INTEGER),
                     TETHER_ERR_MALFORMED);
    assert_int_equal(conv_rc(tether_lwm2m_value_float(INFINITY), TETHER_LWM2M_TIME),
                     TETHER_ERR_MALFORMED);
    assert_int_equal(conv_rc(tether_lwm2m_value_cstr("1"), TETHER_LWM2M_INTEGER),
                     TETHER_ERR_MALFORMED);
    assert_int_equal(conv_rc(tether_lwm2m_value_bool(1), TETHER_LWM2M_INTEGER),
                     TETHER_ERR_MALFORMED);
}

static void test_value_convert_others(void **state)
{
    tether_lwm2m_value v, none;
    (void)state;
    memset(&none, 0, sizeof(none));
    assert_int_equal(conv_ok(tether_lwm2m_value_bool(1), TETHER_LWM2M_BOOLEAN).b, 1);
    assert_int_equal(conv_rc(tether_lwm2m_value_int(1), TETHER_LWM2M_BOOLEAN),
                     TETHER_ERR_MALFORMED);
    assert_int_equal(conv_rc(tether_lwm2m_value_cstr("true"), TETHER_LWM2M_BOOLEAN),
                     TETHER_ERR_MALFORMED);
    v = conv_ok(tether_lwm2m_value_cstr("abc"), TETHER_LWM2M_STRING);
    assert_memory_equal(v.bytes.ptr, "abc", 3);
    assert_int_equal(conv_rc(tether_lwm2m_value_opaque("a", 1), TETHER_LWM2M_STRING),
                     TETHER_ERR_MALFORMED);
    v = conv_ok(tether_lwm2m_value_cstr("66:65535"), TETHER_LWM2M_OBJLNK);
    assert_int_equal(v.lnk.obj, 66);
    assert_int_equal(v.lnk.inst, 65535);
    v = conv_ok(tether_lwm2m_value_objlnk(1, 2), TETHER_LWM2M_OBJLNK);
    assert_int_equal(v.lnk.inst, 2);
    assert_int_equal(conv_rc(tether_lwm2m_value_cstr("66"), TETHER_LWM2M_OBJLNK),
                     TETHER_ERR_MALFORMED);
    assert_int_equal(conv_rc(tether_lwm2m_value_cstr("66:65536"), TETHER_LWM2M_OBJLNK),
                     TETHER_ERR_MALFORMED);
    assert_int_equal(conv_rc(tether_lwm2m_value_cstr(":1"), TETHER_LWM2M_OBJLNK),
                     TETHER_ERR_MALFORMED);
    assert_int_equal(conv_rc(none, TETHER_LWM2M_STRING), TETHER_ERR_MALFORMED);
    assert_int_equal(conv_rc(tether_lwm2m_value_int(1), TETHER_LWM2M_NONE), TETHER_ERR_INVAL);
    assert_int_equal(conv_rc(tether_lwm2m_value_int(1), 99), TETHER_ERR_INVAL);
}

/* LwM2M JSON carries opaque values as base64 in "sv" (Leshan's "AQIDBAU="). */
static void test_value_convert_base64(void **state)
{
    uint8_t scratch[16];
    char inplace[] = "AQIDBAU";
    tether_lwm2m_value in = tether_lwm2m_value_cstr("AQIDBAU="), out;
    static const uint8_t want[] = {1, 2, 3, 4, 5};
    (void)state;
    assert_int_equal(tether_lwm2m_value_convert(&in, TETHER_LWM2M_OPAQUE, scratch,
                                                sizeof(scratch), &out),
                     0);
    assert_int_equal(out.type, TETHER_LWM2M_OPAQUE);
    assert_int_equal(out.bytes.len, 5);
    assert_ptr_equal(out.bytes.ptr, scratch);
    assert_memory_equal(out.bytes.ptr, want, 5);
    /* In place, and without the padding. */
    in = tether_lwm2m_value_string(inplace, 7);
    assert_int_equal(tether_lwm2m_value_convert(&in, TETHER_LWM2M_OPAQUE, (uint8_t *)inplace,
                                                sizeof(inplace), &out),
                     0);
    assert_memory_equal(inplace, want, 5);
    /* Too small, bad alphabet, bad padding, stray bits. */
    in = tether_lwm2m_value_cstr("AQIDBAU=");
    assert_int_equal(tether_lwm2m_value_convert(&in, TETHER_LWM2M_OPAQUE, scratch, 4, &out),
                     TETHER_ERR_NOSPACE);
    in = tether_lwm2m_value_cstr("AQ-D");
    assert_int_equal(tether_lwm2m_value_convert(&in, TETHER_LWM2M_OPAQUE, scratch,
                                                sizeof(scratch), &out),
                     TETHER_ERR_MALFORMED);
    in = tether_lwm2m_value_cstr("AQ=D");
    assert_int_equal(tether_lwm2m_value_convert(&in, TETHER_LWM2M_OPAQUE, scratch,
                                                sizeof(scratch), &out),
                     TETHER_ERR_MALFORMED);
    in = tether_lwm2m_value_cstr("AR==");
    assert_int_equal(tether_lwm2m_value_convert(&in, TETHER_LWM2M_OPAQUE, scratch,
                                                sizeof(scratch), &out),
                     TETHER_ERR_MALFORMED);
    in = tether_lwm2m_value_cstr("");
    assert_int_equal(tether_lwm2m_value_convert(&in, TETHER_LWM2M_OPAQUE, scratch,
                                                sizeof(scratch), &out),
                     0);
    assert_int_equal(out.bytes.len, 0);
}

static void test_value_base64_vectors(void **state)
{
    /* RFC 4648 §10. */
    static const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *padded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
                                   "Zm9vYmFy"};
    static const char *bare[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    uint8_t out[16];
    size_t n;
    (void)state;
    for (size_t i = 0; i < 7; i++) {
        size_t pl = strlen(plain[i]);
        assert_int_equal(tether_b64_encode((const uint8_t *)plain[i], pl, TETHER_B64_STD, 1,
                                           out, sizeof(out), &n),
                         0);
        assert_int_equal(n, strlen(padded[i]));
        assert_memory_equal(out, padded[i], n);
        assert_int_equal(tether_b64_encode((const uint8_t *)plain[i], pl, TETHER_B64_URL, 0,
                                           out, sizeof(out), &n),
                         0);
        assert_int_equal(n, strlen(bare[i]));
        assert_memory_equal(out, bare[i], n);
        assert_int_equal(tether_b64_decode((const uint8_t *)bare[i], strlen(bare[i]),
                                           TETHER_B64_URL, out, sizeof(out), &n),
                         0);
        assert_int_equal(n, pl);
        assert_memory_equal(out, plain[i], n);
    }
    /* The two alphabets: 0xfb 0xff is "+/8" / "-_8". */
    assert_int_equal(tether_b64_decode((const uint8_t *)"-_8", 3, TETHER_B64_URL, out, 16, &n),
                     0);
    assert_int_equal(out[0], 0xfb);
    assert_int_equal(tether_b64_decode((const uint8_t *)"+/8", 3, TETHER_B64_URL, out, 16, &n),
                     TETHER_ERR_MALFORMED);
    assert_int_equal(tether_b64_decode((const uint8_t *)"Z", 1, TETHER_B64_URL, out, 16, &n),
                     TETHER_ERR_MALFORMED);
    assert_int_equal(tether_b64_decode((const uint8_t *)"Zm9v\n", 6, TETHER_B64_URL, out, 16,
                                       &n),
                     TETHER_ERR_MALFORMED);
    assert_int_equal(tether_b64_encode((const uint8_t *)"foo", 3, TETHER_B64_STD, 1, out, 3,
                                       &n),
                     TETHER_ERR_NOSPACE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_value_constructors),
        cmocka_unit_test(test_value_type_names),
        cmocka_unit_test(test_value_utf8),
        cmocka_unit_test(test_value_convert_numbers),
        cmocka_unit_test(test_value_convert_others),
        cmocka_unit_test(test_value_convert_base64),
        cmocka_unit_test(test_value_base64_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
