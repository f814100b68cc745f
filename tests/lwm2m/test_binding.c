/* SPDX-License-Identifier: Apache-2.0 */
/* LwM2M versions and binding strings (LwM2M 1.0 §5.3.1.1, R17). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tether/lwm2m.h"

static int valid(const char *s, int v)
{
    return tether_lwm2m_binding_valid(s, strlen(s), v);
}

static void test_R17_every_1_0_binding_accepted(void **state)
{
    static const struct {
        const char *s;
        uint8_t flags;
    } ok[] = {
        {"U", TETHER_LWM2M_BIND_U},
        {"UQ", TETHER_LWM2M_BIND_U | TETHER_LWM2M_BIND_Q},
        {"S", TETHER_LWM2M_BIND_S},
        {"SQ", TETHER_LWM2M_BIND_S | TETHER_LWM2M_BIND_Q},
        {"US", TETHER_LWM2M_BIND_U | TETHER_LWM2M_BIND_S},
        {"UQS", TETHER_LWM2M_BIND_U | TETHER_LWM2M_BIND_Q | TETHER_LWM2M_BIND_S},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        uint8_t f = 0;
        char back[8];
        assert_int_equal(tether_lwm2m_binding_parse(ok[i].s, strlen(ok[i].s), TETHER_LWM2M_V1_0, &f), 0);
        assert_int_equal(f, ok[i].flags);
        assert_true(valid(ok[i].s, TETHER_LWM2M_V1_0));
        assert_int_equal(tether_lwm2m_binding_format(f, TETHER_LWM2M_V1_0, back, sizeof(back)), 0);
        assert_string_equal(back, ok[i].s);
    }
}

static void test_R17_invalid_1_0_bindings_rejected(void **state)
{
    static const char *bad[] = {
        "",    "Q",   "UU",    "QU",   "SU",  "UQSQ", "u",   "uq",  "T",    "N",  "UT",
        "UQS ", " U", "U ",    "USQ",  "QS",  "SS",   "UQQ", "SQU", "UQSU", "US\n", "M",
        "H",   "UQ,S", "U\0",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t f = 0x55;
        size_t len = strlen(bad[i]) + (i == sizeof(bad) / sizeof(bad[0]) - 1); /* "U\0": 2 bytes */
        if (tether_lwm2m_binding_parse(bad[i], len, TETHER_LWM2M_V1_0, &f) != TETHER_ERR_MALFORMED)
            fail_msg("1.0 binding accepted \"%s\"", bad[i]);
        assert_int_equal(f, 0x55); /* untouched */
    }
}

static void test_R17_binding_reads_only_len_bytes(void **state)
{
    (void)state;
    /* "UQS" cut to one byte is "U": valid; cut to zero is "": invalid */
    assert_true(tether_lwm2m_binding_valid("UQS", 1, TETHER_LWM2M_V1_0));
    assert_true(tether_lwm2m_binding_valid("UQS", 2, TETHER_LWM2M_V1_0));
    assert_false(tether_lwm2m_binding_valid("UQS", 0, TETHER_LWM2M_V1_0));
    assert_false(tether_lwm2m_binding_valid(NULL, 0, TETHER_LWM2M_V1_0));
}

static void test_binding_1_1_letters(void **state)
{
    static const char *ok11[] = {"U", "T", "S", "N", "UT", "TU", "UTSN", "NSTU", "US", "M", "H", "UMHTSN"};
    static const char *bad11[] = {"", "UQ", "Q", "UU", "UTU", "MM", "HUH", "UMU", "u", "X", "U S"};
    static const char *ok12[] = {"M", "H", "UMHTSN", "HM"};
    static const char *bad12[] = {"UQ", "MM", "UMHTSNU", "Q"};
    uint8_t f;
    (void)state;
    for (size_t i = 0; i < sizeof(ok11) / sizeof(ok11[0]); i++) {
        if (!valid(ok11[i], TETHER_LWM2M_V1_1))
            fail_msg("1.1 binding refused \"%s\"", ok11[i]);
        if (!valid(ok11[i], TETHER_LWM2M_V1_2))
            fail_msg("1.2 binding refused \"%s\"", ok11[i]);
    }
    for (size_t i = 0; i < sizeof(bad11) / sizeof(bad11[0]); i++)
        if (valid(bad11[i], TETHER_LWM2M_V1_1))
            fail_msg("1.1 binding accepted \"%s\"", bad11[i]);
    for (size_t i = 0; i < sizeof(ok12) / sizeof(ok12[0]); i++)
        if (!valid(ok12[i], TETHER_LWM2M_V1_2))
            fail_msg("1.2 binding refused \"%s\"", ok12[i]);
    for (size_t i = 0; i < sizeof(bad12) / sizeof(bad12[0]); i++)
        if (valid(bad12[i], TETHER_LWM2M_V1_2))
            fail_msg("1.2 binding accepted \"%s\"", bad12[i]);
    assert_int_equal(tether_lwm2m_binding_parse("NSTU", 4, TETHER_LWM2M_V1_1, &f), 0);
    assert_int_equal(f, TETHER_LWM2M_BIND_U | TETHER_LWM2M_BIND_T | TETHER_LWM2M_BIND_S |
                            TETHER_LWM2M_BIND_N);
    assert_int_equal(tether_lwm2m_binding_parse("U", 1, 0x13, &f), TETHER_ERR_INVAL);
}

static void test_binding_format(void **state)
{
    char out[8];
    (void)state;
    assert_int_equal(tether_lwm2m_binding_format(TETHER_LWM2M_BIND_N | TETHER_LWM2M_BIND_U,
                                                 TETHER_LWM2M_V1_1, out, sizeof(out)), 0);
    assert_string_equal(out, "UN");
    assert_int_equal(tether_lwm2m_binding_format(TETHER_LWM2M_BIND_U | TETHER_LWM2M_BIND_Q,
                                                 TETHER_LWM2M_V1_1, out, sizeof(out)),
                     TETHER_ERR_INVAL);
    assert_int_equal(tether_lwm2m_binding_format(TETHER_LWM2M_BIND_M, TETHER_LWM2M_V1_1, out,
                                                 sizeof(out)), 0);
    assert_string_equal(out, "M");
    assert_int_equal(tether_lwm2m_binding_format(TETHER_LWM2M_BIND_M, TETHER_LWM2M_V1_0, out,
                                                 sizeof(out)), TETHER_ERR_INVAL);
    assert_int_equal(tether_lwm2m_binding_format(TETHER_LWM2M_BIND_Q, TETHER_LWM2M_V1_0, out,
                                                 sizeof(out)), TETHER_ERR_INVAL);
    assert_int_equal(tether_lwm2m_binding_format(0, TETHER_LWM2M_V1_1, out, sizeof(out)),
                     TETHER_ERR_INVAL);
    assert_int_equal(tether_lwm2m_binding_format(TETHER_LWM2M_BIND_U | TETHER_LWM2M_BIND_Q |
                                                     TETHER_LWM2M_BIND_S,
                                                 TETHER_LWM2M_V1_0, out, 3), TETHER_ERR_NOSPACE);
}

static void test_binding_versions(void **state)
{
    static const char *malformed[] = {"", "1", "1.", ".0", "1.0.1", "v1.0", "1.0 ", "01.0",
                                      "1.00", "1,0", "-1.0", "1.-0", "256.0"};
    static const char *unsupported[] = {"1.3", "2.0", "0.9", "1.10", "9.9"};
    tether_lwm2m_version v = TETHER_LWM2M_V1_2;
    (void)state;
    assert_int_equal(tether_lwm2m_version_parse("1.0", 3, &v), 0);
    assert_int_equal(v, TETHER_LWM2M_V1_0);
    assert_int_equal(tether_lwm2m_version_parse("1.1", 3, &v), 0);
    assert_int_equal(v, TETHER_LWM2M_V1_1);
    assert_int_equal(tether_lwm2m_version_parse("1.2", 3, &v), 0);
    assert_int_equal(v, TETHER_LWM2M_V1_2);
    for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++)
        if (tether_lwm2m_version_parse(malformed[i], strlen(malformed[i]), &v) != TETHER_ERR_MALFORMED)
            fail_msg("version not malformed \"%s\"", malformed[i]);
    for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
        if (tether_lwm2m_version_parse(unsupported[i], strlen(unsupported[i]), &v) !=
            TETHER_ERR_UNSUPPORTED)
            fail_msg("version not unsupported \"%s\"", unsupported[i]);
    assert_int_equal(v, TETHER_LWM2M_V1_2); /* untouched */
    assert_string_equal(tether_lwm2m_version_str(TETHER_LWM2M_V1_1), "1.1");
    assert_string_equal(tether_lwm2m_version_str(0), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_R17_every_1_0_binding_accepted),
        cmocka_unit_test(test_R17_invalid_1_0_bindings_rejected),
        cmocka_unit_test(test_R17_binding_reads_only_len_bytes),
        cmocka_unit_test(test_binding_1_1_letters),
        cmocka_unit_test(test_binding_format),
        cmocka_unit_test(test_binding_versions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
