/* SPDX-License-Identifier: Apache-2.0 */
/* text/plain (LwM2M 1.0 §6.4.1) and opaque (§6.4.2) single values. */
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tether/lwm2m.h"

static int dec(const char *s, int type, tether_lwm2m_value *v)
{
    return tether_lwm2m_text_decode((const uint8_t *)s, strlen(s), type, v);
}

/* Encode v and compare the text. */
static void enc_is(tether_lwm2m_value v, const char *want)
{
    uint8_t out[64];
    size_t n = 999;
    assert_int_equal(tether_lwm2m_text_encode(&v, out, sizeof(out), &n), 0);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(out, want, n);
}

static void test_text_integers(void **state)
{
    tether_lwm2m_value v;
    (void)state;
    assert_int_equal(dec("0", TETHER_LWM2M_INTEGER, &v), 0);
    assert_int_equal(v.type, TETHER_LWM2M_INTEGER);
    assert_int_equal(v.i, 0);
    assert_int_equal(dec("-42", TETHER_LWM2M_INTEGER, &v), 0);
    assert_int_equal(v.i, -42);
    assert_int_equal(dec("9223372036854775807", TETHER_LWM2M_INTEGER, &v), 0);
    assert_true(v.i == INT64_MAX);
    assert_int_equal(dec("-9223372036854775808", TETHER_LWM2M_INTEGER, &v), 0);
    assert_true(v.i == INT64_MIN);
    assert_int_equal(dec("86400", TETHER_LWM2M_TIME, &v), 0);
    assert_int_equal(v.type, TETHER_LWM2M_TIME);
    assert_int_equal(v.i, 86400);
    assert_int_equal(dec("18446744073709551615", TETHER_LWM2M_UNSIGNED, &v), 0);
    assert_true(v.u == UINT64_MAX);

    enc_is(tether_lwm2m_value_int(INT64_MIN), "-9223372036854775808");
    enc_is(tether_lwm2m_value_int(INT64_MAX), "9223372036854775807");
    enc_is(tether_lwm2m_value_int(0), "0");
    enc_is(tether_lwm2m_value_int(-1), "-1");
    enc_is(tether_lwm2m_value_time(1367491215), "1367491215");
    enc_is(tether_lwm2m_value_uint(UINT64_MAX), "18446744073709551615");
}

static void test_text_rejects_bad_numbers(void **state)
{
    static const char *bad_int[] = {"", "-", "+1", " 1", "1 ", "1.0", "0x10", "1e3", "abc",
                                    "9223372036854775808", "-9223372036854775809", "--1"};
    static const char *bad_uint[] = {"", "-1", "+1", "18446744073709551616", "1 "};
    static const char *bad_float[] = {"", "-", "+1", ".5", "5.", "1e", "1e+", "inf", "nan",
                                      "0x1p3", "1,5", " 1", "1e999", "-1e999", "1.5.2"};
    tether_lwm2m_value v = tether_lwm2m_value_int(77);
    (void)state;
    for (size_t i = 0; i < sizeof(bad_int) / sizeof(bad_int[0]); i++)
        if (dec(bad_int[i], TETHER_LWM2M_INTEGER, &v) != TETHER_ERR_MALFORMED)
            fail_msg("integer accepted \"%s\"", bad_int[i]);
    for (size_t i = 0; i < sizeof(bad_uint) / sizeof(bad_uint[0]); i++)
        if (dec(bad_uint[i], TETHER_LWM2M_UNSIGNED, &v) != TETHER_ERR_MALFORMED)
            fail_msg("unsigned accepted \"%s\"", bad_uint[i]);
    for (size_t i = 0; i < sizeof(bad_float) / sizeof(bad_float[0]); i++)
        if (dec(bad_float[i], TETHER_LWM2M_FLOAT, &v) != TETHER_ERR_MALFORMED)
            fail_msg("float accepted \"%s\"", bad_float[i]);
    /* out untouched by every failure */
    assert_int_equal(v.type, TETHER_LWM2M_INTEGER);
    assert_int_equal(v.i, 77);
}

static void test_text_floats(void **state)
{
    tether_lwm2m_value v;
    (void)state;
    assert_int_equal(dec("-1.5", TETHER_LWM2M_FLOAT, &v), 0);
    assert_true(v.f == -1.5);
    assert_int_equal(dec("2e3", TETHER_LWM2M_FLOAT, &v), 0);
    assert_true(v.f == 2000.0);
    assert_int_equal(dec("0.1", TETHER_LWM2M_FLOAT, &v), 0);
    assert_true(v.f == 0.1);
    assert_int_equal(dec("12", TETHER_LWM2M_FLOAT, &v), 0);
    assert_true(v.f == 12.0);
    assert_int_equal(dec("1E-2", TETHER_LWM2M_FLOAT, &v), 0);
    assert_true(v.f == 0.01);

    enc_is(tether_lwm2m_value_float(0.1), "0.1");
    enc_is(tether_lwm2m_value_float(-1.5), "-1.5");
    enc_is(tether_lwm2m_value_float(3.0), "3");
    enc_is(tether_lwm2m_value_float(1e100), "1e+100");
    enc_is(tether_lwm2m_value_float(0.30000000000000004), "0.30000000000000004");
}

static void test_text_float_round_trips(void **state)
{
    static const double vals[] = {0.0, -0.0, 1.0, 0.1, 1.0 / 3.0, 2.0 / 3.0, 123456.789e-300,
                                  1.7976931348623157e308, 4.9e-324, 2.2250738585072014e-308,
                                  -9007199254740993.0, 3.14159265358979};
    (void)state;
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        tether_lwm2m_value v = tether_lwm2m_value_float(vals[i]), back;
        uint8_t out[64];
        size_t n;
        assert_int_equal(tether_lwm2m_text_encode(&v, out, sizeof(out), &n), 0);
        assert_int_equal(tether_lwm2m_text_decode(out, n, TETHER_LWM2M_FLOAT, &back), 0);
        if (memcmp(&back.f, &vals[i], sizeof(double)) != 0)
            fail_msg("%.17g did not round-trip (%.*s)", vals[i], (int)n, (const char *)out);
    }
}

static void test_text_supports_every_type_but_opaque(void **state)
{
    (void)state;
    for (int t = TETHER_LWM2M_STRING; t <= TETHER_LWM2M_CORELNK; t++)
        assert_int_equal(tether_lwm2m_text_supports(t) != 0, t != TETHER_LWM2M_OPAQUE);
    assert_false(tether_lwm2m_text_supports(TETHER_LWM2M_NONE));
    assert_false(tether_lwm2m_text_supports(99));
}

static void test_text_float_ignores_locale(void **state)
{
    tether_lwm2m_value v;
    (void)state;
    /* Only meaningful where a comma locale is installed; skipped otherwise. */
    if (setlocale(LC_NUMERIC, "de_DE.UTF-8") == NULL && setlocale(LC_NUMERIC, "fr_FR.UTF-8") == NULL)
        skip();
    assert_int_equal(dec("1.5", TETHER_LWM2M_FLOAT, &v), 0);
    assert_true(v.f == 1.5);
    assert_int_equal(dec("1,5", TETHER_LWM2M_FLOAT, &v), TETHER_ERR_MALFORMED);
    enc_is(tether_lwm2m_value_float(2.25), "2.25");
    setlocale(LC_NUMERIC, "C");
}

static void test_text_booleans(void **state)
{
    static const char *bad[] = {"", "2", "true", "false", "00", "01", "1 ", "-0"};
    tether_lwm2m_value v, bad_b = tether_lwm2m_value_bool(1);
    uint8_t out[4];
    size_t n;
    (void)state;
    assert_int_equal(dec("1", TETHER_LWM2M_BOOLEAN, &v), 0);
    assert_int_equal(v.b, 1);
    assert_int_equal(dec("0", TETHER_LWM2M_BOOLEAN, &v), 0);
    assert_int_equal(v.b, 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (dec(bad[i], TETHER_LWM2M_BOOLEAN, &v) != TETHER_ERR_MALFORMED)
            fail_msg("boolean accepted \"%s\"", bad[i]);
    enc_is(tether_lwm2m_value_bool(1), "1");
    enc_is(tether_lwm2m_value_bool(0), "0");
    bad_b.b = 2;
    assert_int_equal(tether_lwm2m_text_encode(&bad_b, out, sizeof(out), &n), TETHER_ERR_INVAL);
}

static void test_text_objlnk(void **state)
{
    static const char *bad[] = {"", ":", "1:", ":1", "1", "1:2:3", "65536:0", "0:65536",
                                "-1:0", "1 :2", "a:b"};
    tether_lwm2m_value v;
    (void)state;
    assert_int_equal(dec("3:0", TETHER_LWM2M_OBJLNK, &v), 0);
    assert_int_equal(v.lnk.obj, 3);
    assert_int_equal(v.lnk.inst, 0);
    /* 65535:65535 is the null link, legal in a value */
    assert_int_equal(dec("65535:65535", TETHER_LWM2M_OBJLNK, &v), 0);
    assert_int_equal(v.lnk.obj, 65535);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (dec(bad[i], TETHER_LWM2M_OBJLNK, &v) != TETHER_ERR_MALFORMED)
            fail_msg("objlnk accepted \"%s\"", bad[i]);
    enc_is(tether_lwm2m_value_objlnk(10, 65535), "10:65535");
}

static void test_text_strings_are_views(void **state)
{
    const uint8_t buf[] = "Open Mobile Alliance";
    tether_lwm2m_value v;
    (void)state;
    assert_int_equal(tether_lwm2m_text_decode(buf, 4, TETHER_LWM2M_STRING, &v), 0);
    assert_ptr_equal(v.bytes.ptr, buf);
    assert_int_equal(v.bytes.len, 4);
    assert_int_equal(tether_lwm2m_text_decode(buf, 0, TETHER_LWM2M_STRING, &v), 0);
    assert_int_equal(v.bytes.len, 0);
    enc_is(tether_lwm2m_value_cstr("Lightweight M2M Client"), "Lightweight M2M Client");
    enc_is(tether_lwm2m_value_cstr(""), "");
}

static void test_text_refuses_opaque_and_none(void **state)
{
    const uint8_t raw[] = {0xde, 0xad};
    tether_lwm2m_value v = tether_lwm2m_value_opaque(raw, 2), none;
    uint8_t out[8];
    size_t n;
    (void)state;
    memset(&none, 0, sizeof(none));
    assert_int_equal(tether_lwm2m_text_decode(raw, 2, TETHER_LWM2M_OPAQUE, &v),
                     TETHER_ERR_UNSUPPORTED);
    assert_int_equal(tether_lwm2m_text_encode(&v, out, sizeof(out), &n), TETHER_ERR_UNSUPPORTED);
    assert_int_equal(tether_lwm2m_text_decode(raw, 2, TETHER_LWM2M_NONE, &v), TETHER_ERR_INVAL);
    assert_int_equal(tether_lwm2m_text_decode(raw, 2, 99, &v), TETHER_ERR_INVAL);
    assert_int_equal(tether_lwm2m_text_encode(&none, out, sizeof(out), &n), TETHER_ERR_INVAL);
}

static void test_text_encode_nospace(void **state)
{
    tether_lwm2m_value v = tether_lwm2m_value_int(-12345);
    tether_lwm2m_value s = tether_lwm2m_value_cstr("hello");
    uint8_t out[8];
    size_t n = 77;
    (void)state;
    assert_int_equal(tether_lwm2m_text_encode(&v, out, 5, &n), TETHER_ERR_NOSPACE);
    assert_int_equal(n, 77);
    assert_int_equal(tether_lwm2m_text_encode(&s, out, 4, &n), TETHER_ERR_NOSPACE);
    assert_int_equal(tether_lwm2m_text_encode(&v, out, 6, &n), 0);
    assert_int_equal(n, 6);
}

static void test_text_opaque_format(void **state)
{
    const uint8_t raw[] = {0x00, 0xff, 0x10};
    tether_lwm2m_value v;
    (void)state;
    assert_int_equal(tether_lwm2m_single_decode(TETHER_FMT_OPAQUE, raw, 3, TETHER_LWM2M_OPAQUE, &v), 0);
    assert_int_equal(v.type, TETHER_LWM2M_OPAQUE);
    assert_ptr_equal(v.bytes.ptr, raw);
    assert_int_equal(v.bytes.len, 3);
    assert_int_equal(tether_lwm2m_single_decode(TETHER_FMT_OPAQUE, raw, 3, TETHER_LWM2M_INTEGER, &v),
                     TETHER_ERR_UNSUPPORTED);
    assert_int_equal(tether_lwm2m_single_decode(TETHER_FMT_TEXT, (const uint8_t *)"17", 2,
                                                TETHER_LWM2M_INTEGER, &v), 0);
    assert_int_equal(v.i, 17);
    assert_int_equal(tether_lwm2m_single_decode(TETHER_FMT_TLV, raw, 3, TETHER_LWM2M_INTEGER, &v),
                     TETHER_ERR_UNSUPPORTED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_integers),
        cmocka_unit_test(test_text_rejects_bad_numbers),
        cmocka_unit_test(test_text_floats),
        cmocka_unit_test(test_text_float_round_trips),
        cmocka_unit_test(test_text_float_ignores_locale),
        cmocka_unit_test(test_text_supports_every_type_but_opaque),
        cmocka_unit_test(test_text_booleans),
        cmocka_unit_test(test_text_objlnk),
        cmocka_unit_test(test_text_strings_are_views),
        cmocka_unit_test(test_text_refuses_opaque_and_none),
        cmocka_unit_test(test_text_encode_nospace),
        cmocka_unit_test(test_text_opaque_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
