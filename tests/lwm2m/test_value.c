/* SPDX-License-Identifier: Apache-2.0 */
/* Typed values: constructors, type names, UTF-8 check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tether/lwm2m.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_value_constructors),
        cmocka_unit_test(test_value_type_names),
        cmocka_unit_test(test_value_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
