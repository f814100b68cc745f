/* SPDX-License-Identifier: Apache-2.0 */
/* Float text without the C library (src/lwm2m/float_text.c): exact outputs
 * for known values, and differential checks against glibc -- the old
 * implementation was "shortest of %.15g/%.16g/%.17g that strtod reads
 * back", so glibc is the reference for every byte written and every double
 * read: random doubles of every magnitude, every power of two, every power
 * of ten, and decimal strings at, just above and just below the midpoints
 * between neighbouring doubles, where a rounding error would show. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lwm2m/num_internal.h"

/* What the snprintf/strtod version wrote. */
static size_t ref_format(double v, char *out, size_t cap)
{
    int r = 0;

    for (int p = 15; p <= 17; p++) {
        r = snprintf(out, cap, "%.*g", p, v);
        if (strtod(out, NULL) == v)
            break;
    }
    return (size_t)r;
}

static uint64_t bits_of(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof(b));
    return b;
}

static double of_bits(uint64_t b)
{
    double v;
    memcpy(&v, &b, sizeof(v));
    return v;
}

static uint64_t rng = 0x9E3779B97F4A7C15u;

static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Format v, compare with glibc's bytes, and read it back bit-exactly. */
static void format_matches_glibc(double v)
{
    char want[64];
    uint8_t got[TETHER_NUM_DOUBLE_MAX];
    size_t wn = ref_format(v, want, sizeof(want));
    size_t gn = tether_num_format_double(v, got, sizeof(got));
    double back;

    if (gn != wn || memcmp(got, want, wn) != 0)
        fail_msg("%a: glibc \"%s\", got \"%.*s\"", v, want, (int)gn, (const char *)got);
    if (tether_num_parse_double(got, gn, &back) != 0 || bits_of(back) != bits_of(v))
        fail_msg("%a: \"%.*s\" does not read back", v, (int)gn, (const char *)got);
}

/* Parse s and compare with strtod: the same double, or -1 where strtod
 * overflows to infinity. */
static void parse_matches_glibc(const char *s)
{
    size_t n = strlen(s);
    double want = strtod(s, NULL), got = 0;
    int rc = tether_num_parse_double((const uint8_t *)s, n, &got);

    if (isinf(want)) {
        if (rc != -1)
            fail_msg("\"%s\" overflows, accepted as %a", s, got);
        return;
    }
    if (rc != 0 || bits_of(got) != bits_of(want))
        fail_msg("\"%s\": strtod %a, got %a (rc %d)", s, want, got, rc);
}

static void format_is(double v, const char *want)
{
    uint8_t out[TETHER_NUM_DOUBLE_MAX];
    size_t n = tether_num_format_double(v, out, sizeof(out));

    if (n != strlen(want) || memcmp(out, want, n) != 0)
        fail_msg("%a: want \"%s\", got \"%.*s\"", v, want, (int)n, (const char *)out);
}

static double parse_ok(const char *s)
{
    double v = -1;
    assert_int_equal(tether_num_parse_double((const uint8_t *)s, strlen(s), &v), 0);
    return v;
}

static void test_float_text_known_outputs(void **state)
{
    (void)state;
    format_is(0.0, "0");
    format_is(-0.0, "-0");
    format_is(1.0, "1");
    format_is(0.1, "0.1");
    format_is(-1.5, "-1.5");
    format_is(123.456, "123.456");
    format_is(0.0001, "0.0001");
    format_is(0.00001, "1e-05");
    format_is(1e15, "1e+15"); /* %.15g switches to an exponent at 10^15 */
    format_is(123456789012345.0, "123456789012345");
    format_is(1234567890123456.0, "1234567890123456");
    format_is(12345678901234567.0, "12345678901234568");
    format_is(1e100, "1e+100");
    format_is(0.30000000000000004, "0.30000000000000004");
    format_is(1.0 / 3.0, "0.3333333333333333");
    format_is(2.0 / 3.0, "0.6666666666666666");
    format_is(9007199254740993.0, "9007199254740992"); /* 2^53 + 1 is not a double */
    format_is(1.7976931348623157e308, "1.7976931348623157e+308");
    format_is(2.2250738585072014e-308, "2.2250738585072014e-308");
    format_is(4.9406564584124654e-324, "4.94065645841247e-324"); /* 15 digits suffice */
    format_is(5e-324, "4.94065645841247e-324");
    format_is(1e23, "1e+23");
    format_is(-273.15, "-273.15");
    format_is(3.14159265358979, "3.14159265358979");
}

static void test_float_text_refuses_what_is_not_finite(void **state)
{
    uint8_t out[TETHER_NUM_DOUBLE_MAX];
    (void)state;
    assert_int_equal(tether_num_format_double(INFINITY, out, sizeof(out)), 0);
    assert_int_equal(tether_num_format_double(-INFINITY, out, sizeof(out)), 0);
    assert_int_equal(tether_num_format_double(NAN, out, sizeof(out)), 0);
    /* Too small a buffer: nothing useful, 0. */
    assert_int_equal(tether_num_format_double(0.1, out, 2), 0);
    assert_int_equal(tether_num_format_double(0.1, out, 3), 3);
    assert_memory_equal(out, "0.1", 3);
}

static void test_float_text_known_inputs(void **state)
{
    static const char *bad[] = {"", "-", "+", ".5", "5.", "1e", "1e+", "inf", "nan", "0x1p3",
                                "1,5", " 1", "1 ", "1.5.2", "1e309", "-1e309", "1e99999999999",
                                "1.797693134862315808e308"};
    char longest[258];
    double v;
    (void)state;
    assert_true(parse_ok("1.5") == 1.5);
    assert_true(parse_ok("+1.5") == 1.5);
    assert_true(parse_ok("-0.125") == -0.125);
    assert_true(parse_ok("2e3") == 2000.0);
    assert_true(parse_ok("1E-2") == 0.01);
    assert_true(parse_ok("000012.5000") == 12.5);
    assert_int_equal(bits_of(parse_ok("-0")), bits_of(-0.0));
    assert_int_equal(bits_of(parse_ok("-0.0e-999999")), bits_of(-0.0));
    assert_int_equal(bits_of(parse_ok("1e-400")), 0);
    assert_int_equal(bits_of(parse_ok("2.4703282292062327e-324")), 0); /* below half: 0 */
    assert_int_equal(bits_of(parse_ok("2.4703282292062328e-324")), 1); /* above: 2^-1074 */
    assert_int_equal(bits_of(parse_ok("1.7976931348623158e308")), 0x7FEFFFFFFFFFFFFFu);
    assert_int_equal(bits_of(parse_ok("9007199254740993")), bits_of(9007199254740992.0));
    assert_int_equal(bits_of(parse_ok("9007199254740995")), bits_of(9007199254740996.0));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (tether_num_parse_double((const uint8_t *)bad[i], strlen(bad[i]), &v) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
    /* 256 bytes is the limit; every digit of it counts. */
    memset(longest, '0', sizeof(longest));
    longest[0] = '0';
    longest[1] = '.';
    longest[255] = '1';
    assert_int_equal(tether_num_parse_double((const uint8_t *)longest, 256, &v), 0);
    assert_true(v == 1e-254);
    assert_int_equal(tether_num_parse_double((const uint8_t *)longest, 257, &v), -1);
}

static void test_float_text_random_doubles_match_glibc(void **state)
{
    (void)state;
    for (int i = 0; i < 40000; i++) {
        uint64_t b = next_rand();
        switch (i % 4) {
        case 0: /* near 1: most digits of everyday values */
            b = (b & 0x800FFFFFFFFFFFFFu) | (uint64_t)(1023 + (int)(next_rand() % 100) - 50) << 52;
            break;
        case 1: /* subnormal or the first normal binade */
            b &= 0x801FFFFFFFFFFFFFu;
            break;
        case 2: /* top of the range */
            b = (b & 0x800FFFFFFFFFFFFFu) | (uint64_t)(2046 - next_rand() % 8) << 52;
            break;
        default: /* anything finite */
            break;
        }
        if (((b >> 52) & 0x7FF) == 0x7FF)
            continue;
        format_matches_glibc(of_bits(b));
    }
    /* Short decimals: the values people write. */
    for (int i = 0; i < 4000; i++) {
        char s[32];
        snprintf(s, sizeof(s), "%d.%0*d", (int)(next_rand() % 2000) - 1000, (int)(next_rand() % 6),
                 (int)(next_rand() % 1000));
        format_matches_glibc(strtod(s, NULL));
    }
}

static void test_float_text_every_power_of_two_and_ten(void **state)
{
    char s[16];
    (void)state;
    for (int e = -1074; e <= 1023; e++) {
        format_matches_glibc(ldexp(1.0, e));
        format_matches_glibc(nextafter(ldexp(1.0, e), 0.0));
        format_matches_glibc(nextafter(ldexp(1.0, e), INFINITY));
    }
    for (int e = -330; e <= 310; e++) {
        snprintf(s, sizeof(s), "1e%d", e);
        parse_matches_glibc(s);
        snprintf(s, sizeof(s), "9.5e%d", e);
        parse_matches_glibc(s);
        if (isfinite(strtod(s, NULL)))
            format_matches_glibc(strtod(s, NULL));
    }
}

/* Decimal text of the exact midpoint between v and its upper neighbour,
 * and of values a hair above and below it (truncated to 255 significant
 * digits, which is below the midpoint when it has more). */
static void check_midpoints(double v)
{
    double w = nextafter(v, INFINITY);
    long double mid;
    char s[300], up[340], dn[300], ex[16], *e, *t;

    if (isinf(w))
        return;
    mid = ((long double)v + (long double)w) / 2; /* 64-bit mantissa: exact */
    snprintf(s, sizeof(s), "%.*Le", 200, mid);
    e = strchr(s, 'e');
    snprintf(ex, sizeof(ex), "%s", e);
    for (t = e - 1; *t == '0'; t--)
        ;
    t[1] = '\0';
    snprintf(up, sizeof(up), "%s%s", s, ex);
    parse_matches_glibc(up);
    snprintf(up, sizeof(up), "%s1%s", s, ex);
    parse_matches_glibc(up);
    snprintf(dn, sizeof(dn), "%s", s);
    for (t = dn + strlen(dn) - 1; *t == '0' || *t == '.'; t--)
        ;
    (*t)--;
    snprintf(up, sizeof(up), "%s99%s", dn, ex);
    parse_matches_glibc(up);
}

static void test_float_text_midpoints_round_like_strtod(void **state)
{
    (void)state;
    for (int i = 0; i < 20000; i++) {
        uint64_t b = next_rand() & 0x000FFFFFFFFFFFFFu;
        switch (i % 3) {
        case 0:
            b |= (uint64_t)(1023 + (int)(next_rand() % 200) - 100) << 52;
            break;
        case 1:
            b |= (uint64_t)(next_rand() % 3) << 52; /* subnormal edge */
            break;
        default:
            b |= (uint64_t)(2046 - next_rand() % 2) << 52;
            break;
        }
        check_midpoints(of_bits(b));
    }
    /* Halfway between 2^53 and its neighbours, with ties to even. */
    parse_matches_glibc("9007199254740993.0000000000000000000000000000000000000001");
    parse_matches_glibc("9007199254740992.9999999999999999999999999999999999999999");
    parse_matches_glibc("2.2250738585072011e-308");
    parse_matches_glibc("2.2250738585072012e-308");
}

static void test_float_text_random_decimals_match_strtod(void **state)
{
    (void)state;
    for (int i = 0; i < 40000; i++) {
        char s[80];
        int k = 0, nd = 1 + (int)(next_rand() % 30);
        if (next_rand() % 2)
            s[k++] = '-';
        for (int j = 0; j < nd; j++) {
            s[k++] = (char)('0' + next_rand() % 10);
            if (j == 0 && nd > 1 && next_rand() % 3 == 0)
                s[k++] = '.';
        }
        snprintf(s + k, sizeof(s) - (size_t)k, "e%d", (int)(next_rand() % 700) - 350);
        parse_matches_glibc(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_float_text_known_outputs),
        cmocka_unit_test(test_float_text_refuses_what_is_not_finite),
        cmocka_unit_test(test_float_text_known_inputs),
        cmocka_unit_test(test_float_text_random_doubles_match_glibc),
        cmocka_unit_test(test_float_text_every_power_of_two_and_ten),
        cmocka_unit_test(test_float_text_midpoints_round_like_strtod),
        cmocka_unit_test(test_float_text_random_decimals_match_strtod),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
