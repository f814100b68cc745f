/* SPDX-License-Identifier: Apache-2.0 */
/* LwM2M paths: text and Uri-Path parsing, formatting, ordering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tether/lwm2m.h"

static int parse(const char *s, tether_lwm2m_path *p)
{
    return tether_lwm2m_path_parse(p, s, strlen(s));
}

static void test_path_parses_every_depth(void **state)
{
    tether_lwm2m_path p;
    (void)state;
    assert_int_equal(parse("/", &p), 0);
    assert_int_equal(p.len, 0);
    assert_int_equal(parse("/3", &p), 0);
    assert_int_equal(p.len, 1);
    assert_int_equal(p.ids[0], 3);
    assert_int_equal(parse("/3/0/1", &p), 0);
    assert_int_equal(p.len, 3);
    assert_int_equal(p.ids[2], 1);
    assert_int_equal(parse("/65534/65534/65534/65534", &p), 0);
    assert_int_equal(p.len, 4);
    assert_int_equal(p.ids[3], 65534);
    assert_true(tether_lwm2m_path_valid(&p));
}

static void test_path_rejects_malformed_text(void **state)
{
    static const char *bad[] = {
        "", "3/0", "//", "/3/", "/3//0", "/65535", "/3/65535", "/99999", "/-1", "/+1",
        "/01", "/3/00", "/a", "/3/0x1", "/1/2/3/4/5", "/3 ", " /3", "/1.0",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        tether_lwm2m_path p = tether_lwm2m_path_make(2, 7, 7, 0, 0);
        if (parse(bad[i], &p) != TETHER_ERR_MALFORMED)
            fail_msg("accepted \"%s\"", bad[i]);
        /* untouched on error */
        assert_int_equal(p.len, 2);
        assert_int_equal(p.ids[0], 7);
    }
}

static void test_path_never_reads_past_len(void **state)
{
    tether_lwm2m_path p;
    (void)state;
    /* "/3/0" followed by bytes that are not part of the input */
    assert_int_equal(tether_lwm2m_path_parse(&p, "/3/0/1", 4), 0);
    assert_int_equal(p.len, 2);
    assert_int_equal(tether_lwm2m_path_parse(&p, "/3/", 2), 0);
    assert_int_equal(p.len, 1);
}

static void test_path_formats(void **state)
{
    char out[TETHER_LWM2M_PATH_STR_MAX];
    size_t n;
    tether_lwm2m_path p = tether_lwm2m_path_make(4, 65534, 1, 22, 0);
    tether_lwm2m_path root = tether_lwm2m_path_make(0, 0, 0, 0, 0);
    tether_lwm2m_path bad = tether_lwm2m_path_make(1, 65535, 0, 0, 0);
    (void)state;
    assert_int_equal(tether_lwm2m_path_format(&p, out, sizeof(out), &n), 0);
    assert_string_equal(out, "/65534/1/22/0");
    assert_int_equal(n, 13);
    assert_int_equal(tether_lwm2m_path_format(&root, out, sizeof(out), &n), 0);
    assert_string_equal(out, "/");
    assert_int_equal(tether_lwm2m_path_format(&p, out, 13, &n), TETHER_ERR_NOSPACE);
    assert_int_equal(tether_lwm2m_path_format(&bad, out, sizeof(out), &n), TETHER_ERR_INVAL);
    /* the longest path fits the documented maximum */
    p = tether_lwm2m_path_make(4, 65534, 65534, 65534, 65534);
    assert_int_equal(tether_lwm2m_path_format(&p, out, sizeof(out), &n), 0);
    assert_int_equal(n + 1, TETHER_LWM2M_PATH_STR_MAX);
}

static void test_path_compare_and_prefix(void **state)
{
    tether_lwm2m_path root = tether_lwm2m_path_make(0, 0, 0, 0, 0);
    tether_lwm2m_path o1 = tether_lwm2m_path_make(1, 1, 0, 0, 0);
    tether_lwm2m_path o1i0 = tether_lwm2m_path_make(2, 1, 0, 0, 0);
    tether_lwm2m_path o1i0r0 = tether_lwm2m_path_make(3, 1, 0, 0, 0);
    tether_lwm2m_path o1i1 = tether_lwm2m_path_make(2, 1, 1, 0, 0);
    tether_lwm2m_path o2 = tether_lwm2m_path_make(1, 2, 0, 0, 0);
    (void)state;
    assert_true(tether_lwm2m_path_compare(&root, &o1) < 0);
    assert_true(tether_lwm2m_path_compare(&o1, &o1i0) < 0);
    assert_true(tether_lwm2m_path_compare(&o1i0, &o1i0r0) < 0);
    assert_true(tether_lwm2m_path_compare(&o1i0r0, &o1i1) < 0);
    assert_true(tether_lwm2m_path_compare(&o1i1, &o2) < 0);
    assert_true(tether_lwm2m_path_compare(&o2, &o1i1) > 0);
    assert_int_equal(tether_lwm2m_path_compare(&o1i0, &o1i0), 0);
    assert_true(tether_lwm2m_path_equal(&o1i0, &o1i0));
    assert_false(tether_lwm2m_path_equal(&o1, &o1i0));
    assert_true(tether_lwm2m_path_is_prefix(&root, &o1i0r0));
    assert_true(tether_lwm2m_path_is_prefix(&o1, &o1i0r0));
    assert_true(tether_lwm2m_path_is_prefix(&o1i0, &o1i0));
    assert_false(tether_lwm2m_path_is_prefix(&o1i0r0, &o1i0));
    assert_false(tether_lwm2m_path_is_prefix(&o1i1, &o1i0r0));
}

/* Build a request with the given Uri-Path segments and parse it. */
static void make_msg(tether_coap_msg *m, uint8_t *buf, size_t cap, const char *path)
{
    tether_coap_builder b;
    size_t len;
    tether_coap_build_init(&b, buf, cap, TETHER_COAP_CON, TETHER_COAP_GET, 1, NULL, 0);
    tether_coap_build_path(&b, TETHER_COAP_OPT_URI_PATH, path);
    tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_ACCEPT, TETHER_FMT_TLV);
    assert_int_equal(tether_coap_build_finish(&b, &len), 0);
    assert_int_equal(tether_coap_parse(m, buf, len), 0);
}

static void test_path_from_msg(void **state)
{
    uint8_t buf[128];
    tether_coap_msg m;
    tether_lwm2m_path p;
    (void)state;
    make_msg(&m, buf, sizeof(buf), "3/0/13");
    assert_int_equal(tether_lwm2m_path_from_msg(&p, &m, NULL), 0);
    assert_int_equal(p.len, 3);
    assert_int_equal(p.ids[2], 13);
    assert_int_equal(tether_lwm2m_path_from_msg(&p, &m, "lwm2m"), TETHER_ERR_NOT_FOUND);

    make_msg(&m, buf, sizeof(buf), "lwm2m/3/0");
    assert_int_equal(tether_lwm2m_path_from_msg(&p, &m, "/lwm2m"), 0);
    assert_int_equal(p.len, 2);
    p = tether_lwm2m_path_make(1, 9, 0, 0, 0);
    assert_int_equal(tether_lwm2m_path_from_msg(&p, &m, ""), TETHER_ERR_MALFORMED);
    assert_int_equal(p.ids[0], 9);

    make_msg(&m, buf, sizeof(buf), "a/b");
    assert_int_equal(tether_lwm2m_path_from_msg(&p, &m, "a/b"), 0);
    assert_int_equal(p.len, 0);
    assert_int_equal(tether_lwm2m_path_from_msg(&p, &m, "a/b/c"), TETHER_ERR_NOT_FOUND);

    make_msg(&m, buf, sizeof(buf), "");
    assert_int_equal(tether_lwm2m_path_from_msg(&p, &m, NULL), 0);
    assert_int_equal(p.len, 0);

    make_msg(&m, buf, sizeof(buf), "1/2/3/4/5");
    assert_int_equal(tether_lwm2m_path_from_msg(&p, &m, NULL), TETHER_ERR_MALFORMED);
    make_msg(&m, buf, sizeof(buf), "3/65535");
    assert_int_equal(tether_lwm2m_path_from_msg(&p, &m, NULL), TETHER_ERR_MALFORMED);
}

static void test_path_build_round_trips(void **state)
{
    uint8_t buf[128];
    const uint8_t want[] = {0x40, 0x01, 0x00, 0x07, 0xB5, 'l', 'w', 'm', '2', 'm',
                            0x01, '3',  0x01, '0',  0x02, '1', '3'};
    tether_coap_builder b;
    tether_coap_msg m;
    tether_lwm2m_path p = tether_lwm2m_path_make(3, 3, 0, 13, 0), back;
    tether_lwm2m_path bad = tether_lwm2m_path_make(1, 65535, 0, 0, 0);
    size_t len;
    (void)state;
    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_CON, TETHER_COAP_GET, 7, NULL, 0);
    assert_int_equal(tether_lwm2m_path_build(&b, &p, "lwm2m"), 0);
    assert_int_equal(tether_coap_build_finish(&b, &len), 0);
    assert_int_equal(len, sizeof(want));
    assert_memory_equal(buf, want, len);
    assert_int_equal(tether_coap_parse(&m, buf, len), 0);
    assert_int_equal(tether_lwm2m_path_from_msg(&back, &m, "lwm2m"), 0);
    assert_true(tether_lwm2m_path_equal(&p, &back));

    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_CON, TETHER_COAP_GET, 7, NULL, 0);
    assert_int_equal(tether_lwm2m_path_build(&b, &bad, NULL), TETHER_ERR_INVAL);
    assert_int_equal(tether_coap_build_finish(&b, &len), TETHER_ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_parses_every_depth),
        cmocka_unit_test(test_path_rejects_malformed_text),
        cmocka_unit_test(test_path_never_reads_past_len),
        cmocka_unit_test(test_path_formats),
        cmocka_unit_test(test_path_compare_and_prefix),
        cmocka_unit_test(test_path_from_msg),
        cmocka_unit_test(test_path_build_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
