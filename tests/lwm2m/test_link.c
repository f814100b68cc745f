/* SPDX-License-Identifier: Apache-2.0 */
/* Link-format (RFC 6690) object lists and Discover answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tether/lwm2m_link.h"

static int init(tether_lwm2m_link_iter *it, const char *s)
{
    return tether_lwm2m_link_iter_init(it, (const uint8_t *)s, strlen(s));
}

static int view_is(tether_lwm2m_view v, const char *s)
{
    return v.len == strlen(s) && memcmp(v.ptr, s, v.len) == 0;
}

static void test_link_register_payload(void **state)
{
    const char *s = "</>;rt=\"oma.lwm2m\";ct=11543,</1/0>,</3/0>,</5>,</3303/0>;ver=\"1.1\"";
    tether_lwm2m_link_iter it;
    tether_lwm2m_link e;
    uint16_t fmt;
    size_t pos = 0;
    (void)state;
    assert_int_equal(init(&it, s), 0);
    assert_int_equal(tether_lwm2m_link_root(&it).len, 0);
    assert_int_equal(tether_lwm2m_link_count(&it), 4);
    assert_int_equal(tether_lwm2m_link_security_count(&it), 0);

    assert_int_equal(tether_lwm2m_link_next(&it, &e), 0);
    assert_true(e.is_root);
    assert_int_equal(e.path.len, 0);
    assert_true(view_is(e.rt, "oma.lwm2m"));
    assert_true(view_is(e.ct, "11543"));
    assert_int_equal(tether_lwm2m_link_ct_next(&e, &pos, &fmt), 0);
    assert_int_equal(fmt, 11543);
    assert_int_equal(tether_lwm2m_link_ct_next(&e, &pos, &fmt), TETHER_ERR_NOT_FOUND);

    assert_int_equal(tether_lwm2m_link_next(&it, &e), 0);
    assert_false(e.is_root);
    assert_int_equal(e.path.len, 2);
    assert_int_equal(e.path.ids[0], 1);
    assert_int_equal(e.path.ids[1], 0);
    assert_true(view_is(e.uri, "/1/0"));

    assert_int_equal(tether_lwm2m_link_next(&it, &e), 0);
    assert_int_equal(e.path.ids[0], 3);
    assert_int_equal(tether_lwm2m_link_next(&it, &e), 0);
    assert_int_equal(e.path.len, 1);
    assert_int_equal(e.path.ids[0], 5);
    assert_false(e.has_ver);

    assert_int_equal(tether_lwm2m_link_next(&it, &e), 0);
    assert_int_equal(e.path.ids[0], 3303);
    assert_true(e.has_ver);
    assert_int_equal(e.ver_major, 1);
    assert_int_equal(e.ver_minor, 1);

    memset(&e, 0x5A, sizeof(e));
    assert_int_equal(tether_lwm2m_link_next(&it, &e), TETHER_ERR_NOT_FOUND);
    assert_int_equal(e.is_root, 0x5A); /* untouched at the end */
    assert_int_equal(tether_lwm2m_link_next(&it, &e), TETHER_ERR_NOT_FOUND);
}

static void test_link_alternate_root(void **state)
{
    const char *s = "</lwm2m>;rt=\"oma.lwm2m\",</lwm2m/1/0>,</lwm2m/3/0>,</lwm2m/3303/0>;ver=1.1";
    /* the root entry may come after the objects it roots */
    const char *late = "</lwm2m/1/0>,</lwm2m>;rt=\"oma.lwm2m\"";
    tether_lwm2m_link_iter it;
    tether_lwm2m_link e;
    size_t n = 0;
    (void)state;
    assert_int_equal(init(&it, s), 0);
    assert_true(view_is(tether_lwm2m_link_root(&it), "/lwm2m"));
    assert_int_equal(tether_lwm2m_link_count(&it), 3);
    while (tether_lwm2m_link_next(&it, &e) == 0) {
        if (n++ == 0) {
            assert_true(e.is_root);
            continue;
        }
        assert_false(e.is_root);
        assert_int_equal(e.path.len, 2);
    }
    assert_int_equal(n, 4);
    assert_true(e.has_ver); /* unquoted ver=1.1 */

    assert_int_equal(init(&it, late), 0);
    assert_int_equal(tether_lwm2m_link_next(&it, &e), 0);
    assert_false(e.is_root);
    assert_int_equal(e.path.ids[0], 1);
    assert_int_equal(tether_lwm2m_link_next(&it, &e), 0);
    assert_true(e.is_root);
}

static void test_link_without_root_entry(void **state)
{
    tether_lwm2m_link_iter it;
    tether_lwm2m_link e;
    (void)state;
    assert_int_equal(init(&it, "</1/0>"), 0);
    assert_int_equal(tether_lwm2m_link_root(&it).len, 0);
    assert_int_equal(tether_lwm2m_link_count(&it), 1);
    assert_int_equal(tether_lwm2m_link_next(&it, &e), 0);
    assert_int_equal(e.path.len, 2);
}

static void test_link_foreign_entries_skipped(void **state)
{
    /* RFC 6690 lets a client list other resources: they are not LwM2M
     * paths, so they are counted and skipped, not fatal. */
    const char *s = "</>;rt=\"oma.lwm2m\";ct=11543,</1/0>,</3/0>,</5>,</lwm2m/3303/0>;ver=\"1.1\"";
    const char *alt = "</lwm2m>;rt=\"oma.lwm2m\",</1/0>,</lwm2m/3/0>,</lwm2mx/1>,</lwm2m/>,<//1>,<1/0>,"
                      "</foo>;ct=40";
    tether_lwm2m_link_iter it;
    tether_lwm2m_link e;
    size_t n = 0;
    (void)state;
    assert_int_equal(init(&it, s), 0);
    assert_int_equal(tether_lwm2m_link_count(&it), 3);
    assert_int_equal(tether_lwm2m_link_foreign_count(&it), 1);
    while (tether_lwm2m_link_next(&it, &e) == 0) {
        assert_true(e.is_root || e.path.ids[0] != 3303);
        n++;
    }
    assert_int_equal(n, 4); /* root + 3 */

    assert_int_equal(init(&it, alt), 0);
    assert_int_equal(tether_lwm2m_link_count(&it), 1);
    assert_int_equal(tether_lwm2m_link_foreign_count(&it), 6);
    assert_int_equal(tether_lwm2m_link_next(&it, &e), 0);
    assert_true(e.is_root);
    assert_int_equal(tether_lwm2m_link_next(&it, &e), 0);
    assert_true(view_is(e.uri, "/lwm2m/3/0"));
    assert_int_equal(tether_lwm2m_link_next(&it, &e), TETHER_ERR_NOT_FOUND);
}

static void test_R18_security_object_entries_flagged(void **state)
{
    const char *s = "</0/0>,</0/1>,</1/0>,</10>";
    tether_lwm2m_link_iter it;
    tether_lwm2m_link e;
    int sec = 0, other = 0;
    (void)state;
    assert_int_equal(init(&it, s), 0);
    assert_int_equal(tether_lwm2m_link_count(&it), 4);
    assert_int_equal(tether_lwm2m_link_security_count(&it), 2);
    while (tether_lwm2m_link_next(&it, &e) == 0) {
        if (tether_lwm2m_link_is_security(&e)) {
            assert_true(e.is_security);
            assert_int_equal(e.path.ids[0], 0);
            sec++;
        } else {
            assert_false(e.is_security);
            other++;
        }
    }
    assert_int_equal(sec, 2);
    assert_int_equal(other, 2);
}

static void test_link_rejects_malformed(void **state)
{
    static const char *bad[] = {
        "",
        "<",
        "</1/0",                        /* unterminated '<' */
        "</1/0>,",                      /* trailing comma */
        ",</1/0>",
        "</1/0>,,</3/0>",
        "<>",
        "</1/0> ,</3/0>",               /* junk between entries */
        "</1/0>x",
        "</1/0>;",
        "</1/0>;=1",
        "</1/0>;ct=",
        "</1/a>",                       /* bad numbers */
        "</1/-1>",
        "</1/01>",
        "</65535>",                     /* reserved id */
        "</1/65536>",
        "</1/2/3/4/5>",
        "</lwm2m>;rt=\"oma.lwm2m\",</lwm2m/3/a>",
        "</lwm2m>;rt=\"oma.lwm2m\",</lwm2m/65535>",
        "</1/>",
        "</>;rt=\"oma.lwm2m",           /* unbalanced quote */
        "</3303>;ver=\"1.1",
        "</3303>;ver=\"1.1\\\"",        /* escaped closing quote, then nothing */
        "</3303>;ver=1",                /* bad ver */
        "</3303>;ver=1.1.1",
        "</3303>;ver",
        "</>;rt=\"oma.lwm2m\";ct=abc",  /* bad ct */
        "</>;rt=\"oma.lwm2m\";ct=65536",
        "</>;rt=\"oma.lwm2m\";ct=\"60 \"",
        "</>;rt=\"oma.lwm2m\";ct=1;ct=2", /* known attribute twice */
        "</>;rt=\"oma.lwm2m\",</lwm2m>;rt=\"oma.lwm2m\"", /* two roots */
        "</lwm2m/>;rt=\"oma.lwm2m\"",
        "</3/0/1>;pmin=-1",
        "</3/0/1>;pmax=1.5",
        "</3/0/1>;dim=4294967296",
        "</3/0/1>;gt=abc",
        "</3/0/1>;st=",
        "</1 /0>",
        "</1/0>\n",
        "</1/0>;a\"b",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        tether_lwm2m_link_iter it;
        memset(&it, 0x77, sizeof(it));
        if (init(&it, bad[i]) != TETHER_ERR_MALFORMED)
            fail_msg("accepted [%s]", bad[i]);
        assert_int_equal(it.has_root_entry, 0x77); /* untouched */
    }
}

static void test_link_never_reads_past_len(void **state)
{
    /* A copy of exactly len bytes on the heap: ASan sees any overread. */
    const char *s = "</1/0>,</3/0>;ver=\"1.0\"";
    tether_lwm2m_link_iter it;
    (void)state;
    for (size_t n = 0; n <= strlen(s); n++) {
        uint8_t *copy = malloc(n ? n : 1);
        int rc;
        memcpy(copy, s, n);
        rc = tether_lwm2m_link_iter_init(&it, copy, n);
        /* only these prefixes are complete payloads (";v" is a bare attribute) */
        if (n == 6 || n == 13 || n == 15 || n == 16 || n == strlen(s))
            assert_int_equal(rc, 0);
        else
            assert_int_equal(rc, TETHER_ERR_MALFORMED);
        free(copy);
    }
}

static void test_link_discover_attributes(void **state)
{
    const char *s = "</3/0>;pmin=10;pmax=60,</3/0/1>,</3/0/6>;dim=8,</3/0/7>;gt=50.5;lt=-2e3;st=1;"
                    "title=\"a;b,c\\\"d\";obs,</3/0/6/1>";
    tether_lwm2m_link_iter it;
    tether_lwm2m_link e;
    tether_lwm2m_view name, val;
    int hv;
    size_t pos = 0;
    (void)state;
    assert_int_equal(init(&it, s), 0);
    assert_int_equal(tether_lwm2m_link_count(&it), 5);
    assert_int_equal(tether_lwm2m_link_next(&it, &e), 0);
    assert_int_equal(tether_lwm2m_link_attr_next(&e, &pos, &name, &val, &hv), 0);
    assert_true(view_is(name, "pmin"));
    assert_true(view_is(val, "10"));
    assert_int_equal(hv, 1);
    assert_int_equal(tether_lwm2m_link_attr_next(&e, &pos, &name, &val, &hv), 0);
    assert_true(view_is(name, "pmax"));
    assert_int_equal(tether_lwm2m_link_attr_next(&e, &pos, &name, &val, &hv), TETHER_ERR_NOT_FOUND);

    assert_int_equal(tether_lwm2m_link_next(&it, &e), 0);
    assert_int_equal(e.path.len, 3);
    assert_int_equal(e.attrs.len, 0);
    assert_int_equal(tether_lwm2m_link_next(&it, &e), 0);
    assert_int_equal(tether_lwm2m_link_attr_find(&e, "dim", &val), 0);
    assert_true(view_is(val, "8"));
    assert_int_equal(tether_lwm2m_link_attr_find(&e, "pmin", &val), TETHER_ERR_NOT_FOUND);

    assert_int_equal(tether_lwm2m_link_next(&it, &e), 0);
    assert_int_equal(tether_lwm2m_link_attr_find(&e, "lt", &val), 0);
    assert_true(view_is(val, "-2e3"));
    assert_int_equal(tether_lwm2m_link_attr_find(&e, "title", &val), 0);
    assert_true(view_is(val, "a;b,c\\\"d")); /* escapes kept as sent */
    pos = 0;
    while (tether_lwm2m_link_attr_next(&e, &pos, &name, &val, &hv) == 0)
        ;
    assert_true(view_is(name, "obs"));
    assert_int_equal(hv, 0);

    assert_int_equal(tether_lwm2m_link_next(&it, &e), 0);
    assert_int_equal(e.path.len, 4);
    assert_int_equal(e.path.ids[3], 1);
}

static void test_link_ct_list(void **state)
{
    const char *s = "</>;rt=\"oma.lwm2m\";ct=\"60 110 112 11542 11543\",</1/0>";
    static const uint16_t want[] = {60, 110, 112, 11542, 11543};
    tether_lwm2m_link_iter it;
    tether_lwm2m_link e;
    size_t pos = 0, n = 0;
    uint16_t f;
    (void)state;
    assert_int_equal(init(&it, s), 0);
    assert_int_equal(tether_lwm2m_link_next(&it, &e), 0);
    while (tether_lwm2m_link_ct_next(&e, &pos, &f) == 0) {
        assert_true(n < 5);
        assert_int_equal(f, want[n++]);
    }
    assert_int_equal(n, 5);
}

static void test_link_rt_list_names_root(void **state)
{
    tether_lwm2m_link_iter it;
    (void)state;
    assert_int_equal(init(&it, "</a/b>;rt=\"x oma.lwm2m\",</a/b/1>"), 0);
    assert_true(view_is(tether_lwm2m_link_root(&it), "/a/b"));
    assert_int_equal(tether_lwm2m_link_count(&it), 1);
    /* an rt that merely contains the name does not: both entries foreign */
    assert_int_equal(init(&it, "</a>;rt=\"oma.lwm2mx\",</a/1>"), 0);
    assert_int_equal(tether_lwm2m_link_root(&it).len, 0);
    assert_int_equal(tether_lwm2m_link_count(&it), 0);
    assert_int_equal(tether_lwm2m_link_foreign_count(&it), 2);
}

static void test_link_writer_register_payload(void **state)
{
    uint8_t buf[128];
    tether_lwm2m_link_writer w;
    tether_lwm2m_path p10 = tether_lwm2m_path_make(2, 1, 0, 0, 0);
    tether_lwm2m_path p3303 = tether_lwm2m_path_make(2, 3303, 0, 0, 0);
    const char *want = "</>;rt=\"oma.lwm2m\";ct=11543,</1/0>,</3303/0>;ver=1.1";
    tether_lwm2m_link_iter it;
    size_t len;
    (void)state;
    assert_int_equal(tether_lwm2m_link_writer_init(&w, buf, sizeof(buf), NULL), 0);
    tether_lwm2m_link_write_root(&w, TETHER_FMT_JSON);
    tether_lwm2m_link_write_path(&w, &p10);
    tether_lwm2m_link_write_path(&w, &p3303);
    tether_lwm2m_link_write_attr_token(&w, "ver", "1.1", 3);
    assert_int_equal(tether_lwm2m_link_writer_finish(&w, &len), 0);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(buf, want, len);
    assert_int_equal(tether_lwm2m_link_iter_init(&it, buf, len), 0);
    assert_int_equal(tether_lwm2m_link_count(&it), 2);
}

static void test_link_writer_alternate_root_and_discover(void **state)
{
    uint8_t buf[256];
    tether_lwm2m_link_writer w;
    tether_lwm2m_path p30 = tether_lwm2m_path_make(2, 3, 0, 0, 0);
    tether_lwm2m_path p306 = tether_lwm2m_path_make(3, 3, 0, 6, 0);
    const char *want = "</lwm2m>;rt=\"oma.lwm2m\",</lwm2m/3/0>;pmin=10;pmax=60;gt=50.5,"
                       "</lwm2m/3/0/6>;dim=2;title=\"q\\\"b\\\\\";obs";
    tether_lwm2m_link_iter it;
    tether_lwm2m_link e;
    size_t len;
    (void)state;
    assert_int_equal(tether_lwm2m_link_writer_init(&w, buf, sizeof(buf), "/lwm2m"), 0);
    tether_lwm2m_link_write_root(&w, -1);
    tether_lwm2m_link_write_path(&w, &p30);
    tether_lwm2m_link_write_attr_uint(&w, "pmin", 10);
    tether_lwm2m_link_write_attr_uint(&w, "pmax", 60);
    tether_lwm2m_link_write_attr_float(&w, "gt", 50.5);
    tether_lwm2m_link_write_path(&w, &p306);
    tether_lwm2m_link_write_attr_uint(&w, "dim", 2);
    tether_lwm2m_link_write_attr_quoted(&w, "title", "q\"b\\", 4);
    tether_lwm2m_link_write_attr_flag(&w, "obs");
    assert_int_equal(tether_lwm2m_link_writer_finish(&w, &len), 0);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(buf, want, len);
    assert_int_equal(tether_lwm2m_link_iter_init(&it, buf, len), 0);
    assert_int_equal(tether_lwm2m_link_next(&it, &e), 0);
    assert_int_equal(tether_lwm2m_link_next(&it, &e), 0);
    assert_int_equal(e.path.len, 2);
}

static void test_link_writer_errors(void **state)
{
    uint8_t buf[16];
    tether_lwm2m_link_writer w;
    tether_lwm2m_path p = tether_lwm2m_path_make(2, 1, 0, 0, 0);
    tether_lwm2m_path root = tether_lwm2m_path_make(0, 0, 0, 0, 0);
    tether_lwm2m_path bad = tether_lwm2m_path_make(1, 65535, 0, 0, 0);
    size_t len = 99;
    (void)state;
    /* attribute before any entry */
    tether_lwm2m_link_writer_init(&w, buf, sizeof(buf), NULL);
    assert_int_equal(tether_lwm2m_link_write_attr_uint(&w, "pmin", 1), TETHER_ERR_STATE);
    assert_int_equal(tether_lwm2m_link_write_path(&w, &p), TETHER_ERR_STATE); /* sticky */
    assert_int_equal(tether_lwm2m_link_writer_finish(&w, &len), TETHER_ERR_STATE);
    assert_int_equal(len, 99);
    /* bad paths, names, values */
    tether_lwm2m_link_writer_init(&w, buf, sizeof(buf), NULL);
    assert_int_equal(tether_lwm2m_link_write_path(&w, &root), TETHER_ERR_INVAL);
    tether_lwm2m_link_writer_init(&w, buf, sizeof(buf), NULL);
    assert_int_equal(tether_lwm2m_link_write_path(&w, &bad), TETHER_ERR_INVAL);
    tether_lwm2m_link_writer_init(&w, buf, sizeof(buf), NULL);
    tether_lwm2m_link_write_path(&w, &p);
    assert_int_equal(tether_lwm2m_link_write_attr_flag(&w, "a b"), TETHER_ERR_INVAL);
    tether_lwm2m_link_writer_init(&w, buf, sizeof(buf), NULL);
    tether_lwm2m_link_write_path(&w, &p);
    assert_int_equal(tether_lwm2m_link_write_attr_token(&w, "v", "a,b", 3), TETHER_ERR_INVAL);
    tether_lwm2m_link_writer_init(&w, buf, sizeof(buf), NULL);
    tether_lwm2m_link_write_path(&w, &p);
    assert_int_equal(tether_lwm2m_link_write_attr_float(&w, "gt", 1.0 / 0.0), TETHER_ERR_INVAL);
    /* bad roots */
    assert_int_equal(tether_lwm2m_link_writer_init(&w, buf, sizeof(buf), "lwm2m"), TETHER_ERR_INVAL);
    assert_int_equal(tether_lwm2m_link_writer_init(&w, buf, sizeof(buf), "/lwm2m/"), TETHER_ERR_INVAL);
    assert_int_equal(tether_lwm2m_link_writer_init(&w, buf, sizeof(buf), "/a b"), TETHER_ERR_INVAL);
    /* out of room */
    tether_lwm2m_link_writer_init(&w, buf, sizeof(buf), NULL);
    tether_lwm2m_link_write_root(&w, 11543);
    assert_int_equal(tether_lwm2m_link_writer_finish(&w, &len), TETHER_ERR_NOSPACE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_link_register_payload),
        cmocka_unit_test(test_link_alternate_root),
        cmocka_unit_test(test_link_without_root_entry),
        cmocka_unit_test(test_link_foreign_entries_skipped),
        cmocka_unit_test(test_R18_security_object_entries_flagged),
        cmocka_unit_test(test_link_rejects_malformed),
        cmocka_unit_test(test_link_never_reads_past_len),
        cmocka_unit_test(test_link_discover_attributes),
        cmocka_unit_test(test_link_ct_list),
        cmocka_unit_test(test_link_rt_list_names_root),
        cmocka_unit_test(test_link_writer_register_payload),
        cmocka_unit_test(test_link_writer_alternate_root_and_discover),
        cmocka_unit_test(test_link_writer_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
