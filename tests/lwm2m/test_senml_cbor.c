/* SPDX-License-Identifier: Apache-2.0 */
/* SenML CBOR (RFC 8428 §6, LwM2M 1.1 §7.4.5): the TS examples (the CBOR
 * forms of Tables 7.4.4-2 to -8, as Wakaama's tests spell them) decoded
 * and written back byte for byte, indefinite lengths, unknown labels,
 * every type round-tripped, every malformation refused. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "tether/lwm2m_senml.h"

static int have_cbor(void)
{
    static const uint8_t empty_pack[] = {0x80};
    tether_senml_cbor_iter it;
    return tether_senml_cbor_iter_init(&it, empty_pack, 1) != TETHER_ERR_UNSUPPORTED;
}

#define SKIP_WITHOUT_CBOR()                                                                 \
    do {                                                                                    \
        if (!have_cbor())                                                                   \
            skip();                                                                         \
    } while (0)

static size_t unhex(const char *hex, uint8_t *out)
{
    size_t n = 0;
    for (; hex[0] && hex[1]; hex += 2) {
        if (hex[0] == ' ') {
            hex--;
            continue;
        }
        unsigned b;
        sscanf(hex, "%2x", &b);
        out[n++] = (uint8_t)b;
    }
    return n;
}

static tether_lwm2m_record next_ok(tether_senml_cbor_iter *it)
{
    tether_lwm2m_record r;
    assert_int_equal(tether_senml_cbor_next(it, &r), 0);
    return r;
}

static void assert_path(const tether_lwm2m_record *r, const char *want)
{
    char got[TETHER_LWM2M_PATH_STR_MAX];
    assert_int_equal(tether_lwm2m_path_format(&r->path, got, sizeof(got), NULL), 0);
    assert_string_equal(got, want);
}

static void assert_str(const tether_lwm2m_record *r, const char *path, const char *s)
{
    assert_path(r, path);
    assert_int_equal(r->value.type, TETHER_LWM2M_STRING);
    assert_int_equal(r->value.bytes.len, strlen(s));
    assert_memory_equal(r->value.bytes.ptr, s, strlen(s));
}

static void assert_int(const tether_lwm2m_record *r, const char *path, int64_t v)
{
    assert_path(r, path);
    assert_int_equal(r->value.type, TETHER_LWM2M_INTEGER);
    assert_int_equal(r->value.i, v);
}

/* Table 7.4.4-2 in CBOR: Read /3/0.
 * [{-2: "/3/0/", 0: "0", 3: "Open Mobile Alliance"}, {0: "1", 3: ...}, ...] */
static const uint8_t device[] = {
    0x90, 0xa3, 0x21, 0x65, '/', '3', '/', '0', '/', 0x00, 0x61, '0', 0x03, 0x74, 'O', 'p',
    'e', 'n', ' ', 'M', 'o', 'b', 'i', 'l', 'e', ' ', 'A', 'l', 'l', 'i', 'a', 'n', 'c', 'e',
    0xa2, 0x00, 0x61, '1', 0x03, 0x76, 'L', 'i', 'g', 'h', 't', 'w', 'e', 'i', 'g', 'h', 't',
    ' ', 'M', '2', 'M', ' ', 'C', 'l', 'i', 'e', 'n', 't', 0xa2, 0x00, 0x61, '2', 0x03, 0x69,
    '3', '4', '5', '0', '0', '0', '1', '2', '3', 0xa2, 0x00, 0x61, '3', 0x03, 0x63, '1', '.',
    '0', 0xa2, 0x00, 0x63, '6', '/', '0', 0x02, 0x01, 0xa2, 0x00, 0x63, '6', '/', '1', 0x02,
    0x05, 0xa2, 0x00, 0x63, '7', '/', '0', 0x02, 0x19, 0x0e, 0xd8, 0xa2, 0x00, 0x63, '7', '/',
    '1', 0x02, 0x19, 0x13, 0x88, 0xa2, 0x00, 0x63, '8', '/', '0', 0x02, 0x18, 0x7d, 0xa2, 0x00,
    0x63, '8', '/', '1', 0x02, 0x19, 0x03, 0x84, 0xa2, 0x00, 0x61, '9', 0x02, 0x18, 0x64, 0xa2,
    0x00, 0x62, '1', '0', 0x02, 0x0f, 0xa2, 0x00, 0x64, '1', '1', '/', '0', 0x02, 0x00, 0xa2,
    0x00, 0x62, '1', '3', 0x02, 0x1a, 0x51, 0x82, 0x42, 0x8f, 0xa2, 0x00, 0x62, '1', '4', 0x03,
    0x66, '+', '0', '2', ':', '0', '0', 0xa2, 0x00, 0x62, '1', '6', 0x03, 0x61, 'U'};

static void test_senml_cbor_device_example(void **state)
{
    static const char *paths[] = {"/3/0/6/0", "/3/0/6/1", "/3/0/7/0", "/3/0/7/1", "/3/0/8/0",
                                  "/3/0/8/1", "/3/0/9",   "/3/0/10",  "/3/0/11/0", "/3/0/13"};
    static const int64_t ints[] = {1, 5, 3800, 5000, 125, 900, 100, 15, 0, 1367491215};
    tether_senml_cbor_iter it;
    tether_senml_cbor_writer w;
    tether_lwm2m_record r;
    tether_lwm2m_path base = tether_lwm2m_path_make(2, 3, 0, 0, 0);
    uint8_t out[300];
    size_t len;
    (void)state;
    SKIP_WITHOUT_CBOR();
    assert_int_equal(tether_senml_cbor_iter_init(&it, device, sizeof(device)), 0);
    assert_int_equal(tether_senml_cbor_count(&it), 16);
    r = next_ok(&it);
    assert_str(&r, "/3/0/0", "Open Mobile Alliance");
    /* A view into the payload: CBOR strings need no copy. */
    assert_true(r.value.bytes.ptr > device && r.value.bytes.ptr < device + sizeof(device));
    assert_str((r = next_ok(&it), &r), "/3/0/1", "Lightweight M2M Client");
    assert_str((r = next_ok(&it), &r), "/3/0/2", "345000123");
    assert_str((r = next_ok(&it), &r), "/3/0/3", "1.0");
    for (int i = 0; i < 10; i++)
        assert_int((r = next_ok(&it), &r), paths[i], ints[i]);
    assert_str((r = next_ok(&it), &r), "/3/0/14", "+02:00");
    assert_str((r = next_ok(&it), &r), "/3/0/16", "U");
    assert_int_equal(tether_senml_cbor_next(&it, &r), TETHER_ERR_NOT_FOUND);
    /* Written back: the same bytes. */
    assert_int_equal(tether_senml_cbor_iter_init(&it, device, sizeof(device)), 0);
    tether_senml_cbor_writer_init(&w, out, sizeof(out), &base);
    while (tether_senml_cbor_next(&it, &r) == 0)
        assert_int_equal(tether_senml_cbor_write(&w, &r.path, &r.value, NULL), 0);
    assert_int_equal(tether_senml_cbor_writer_finish(&w, &len), 0);
    assert_int_equal(len, sizeof(device));
    assert_memory_equal(out, device, len);
    /* Every shorter buffer fails with NOSPACE. */
    for (size_t cap = 0; cap < sizeof(device); cap++) {
        assert_int_equal(tether_senml_cbor_iter_init(&it, device, sizeof(device)), 0);
        tether_senml_cbor_writer_init(&w, out, cap, &base);
        while (tether_senml_cbor_next(&it, &r) == 0)
            (void)tether_senml_cbor_write(&w, &r.path, &r.value, NULL);
        assert_int_equal(tether_senml_cbor_writer_finish(&w, &len), TETHER_ERR_NOSPACE);
    }
}

/* Table 7.4.4-3 in CBOR: [{-2: "/72/", -3: 25462634, 0: "1/2", 2: 22.4,
 * 6: -5}, {0: "1/2", 2: 22.9, 6: -30}, {0: "1/2", 2: 24.1, 6: -50}] */
static void test_senml_cbor_timestamps(void **state)
{
    static const uint8_t pl[] = {
        0x83, 0xa5, 0x21, 0x64, '/',  '7',  '2',  '/',  0x22, 0x1a, 0x01, 0x84, 0x87, 0x6a,
        0x00, 0x63, '1',  '/',  '2',  0x02, 0xfb, 0x40, 0x36, 0x66, 0x66, 0x66, 0x66, 0x66,
        0x66, 0x06, 0x24, 0xa3, 0x00, 0x63, '1',  '/',  '2',  0x02, 0xfb, 0x40, 0x36, 0xe6,
        0x66, 0x66, 0x66, 0x66, 0x66, 0x06, 0x38, 0x1d, 0xa3, 0x00, 0x63, '1',  '/',  '2',
        0x02, 0xfb, 0x40, 0x38, 0x19, 0x99, 0x99, 0x99, 0x99, 0x9a, 0x06, 0x38, 0x31};
    tether_senml_cbor_iter it;
    tether_lwm2m_record r;
    (void)state;
    SKIP_WITHOUT_CBOR();
    assert_int_equal(tether_senml_cbor_iter_init(&it, pl, sizeof(pl)), 0);
    r = next_ok(&it);
    assert_path(&r, "/72/1/2");
    assert_int_equal(r.value.type, TETHER_LWM2M_FLOAT);
    assert_true(r.value.f == 22.4);
    assert_true(r.has_time && r.time == 25462629.0);
    r = next_ok(&it);
    assert_true(r.value.f == 22.9 && r.time == 25462604.0);
    r = next_ok(&it);
    assert_true(r.value.f == 24.1 && r.time == 25462584.0);
}

/* Table 7.4.4-4 in CBOR: objlnk values under the root ("vlo" is a text
 * label). The spec's hex instance of the null link is decimal here. */
static void test_senml_cbor_objlnk_example(void **state)
{
    static const char hex[] =
        "8ca321612f0068 36352f302f302f30 63766c6f 6436363a30"
        "a2006836352f302f302f3163766c6f6436363a31"
        "a2006636352f302f31036d38363133383030373535353030"
        "a2006636352f302f320201"
        "a2006636362f302f30036a6d7953657276696365 31"
        "a2006636362f302f31036f496e7465726e65742e31352e323334"
        "a2006636362f302f3263766c6f6436373a30"
        "a2006636362f312f30036a6d795365727669636532"
        "a2006636362f312f31036f496e7465726e65742e31352e323335"
        "a2006636362f312f3263766c6f6b36353533353a3635353335"
        "a2006636372f302f30036b38352e37362e37362e3834"
        "a2006636372f302f31036d38352e37362e3235352e323535";
    uint8_t pl[512];
    size_t n = unhex(hex, pl);
    tether_senml_cbor_iter it;
    tether_lwm2m_record r;
    (void)state;
    SKIP_WITHOUT_CBOR();
    assert_int_equal(tether_senml_cbor_iter_init(&it, pl, n), 0);
    assert_int_equal(tether_senml_cbor_count(&it), 12);
    r = next_ok(&it);
    assert_path(&r, "/65/0/0/0");
    assert_int_equal(r.value.type, TETHER_LWM2M_OBJLNK);
    assert_int_equal(r.value.lnk.obj, 66);
    assert_int_equal(r.value.lnk.inst, 0);
    r = next_ok(&it);
    assert_int_equal(r.value.lnk.inst, 1);
    assert_str((r = next_ok(&it), &r), "/65/0/1", "8613800755500");
    assert_int((r = next_ok(&it), &r), "/65/0/2", 1);
    assert_str((r = next_ok(&it), &r), "/66/0/0", "myService1");
    r = next_ok(&it);
    r = next_ok(&it);
    assert_path(&r, "/66/0/2");
    assert_int_equal(r.value.lnk.obj, 67);
    r = next_ok(&it);
    r = next_ok(&it);
    r = next_ok(&it);
    assert_path(&r, "/66/1/2");
    assert_int_equal(r.value.lnk.obj, 65535);
    assert_int_equal(r.value.lnk.inst, 65535);
    r = next_ok(&it);
    assert_str((r = next_ok(&it), &r), "/67/0/1", "85.76.255.255");
}

/* Tables 7.4.4-5 to -8 in CBOR, both ways. */
static void test_senml_cbor_composite_examples(void **state)
{
    static const struct {
        const char *hex;
        int root; /* written under the root, else under the first path */
    } ex[] = {
        /* 7.4.4-5: [{-2: "/3/0/0", 3: "Open Mobile Alliance"}] */
        {"81a221662f332f302f300374 4f70656e204d6f62696c6520416c6c69616e6365", 0},
        /* 7.4.4-6: [{0: "/3/0/0"}, {0: "/3/0/9"}, {0: "/1/0/1"}] */
        {"83a100662f332f302f30a100662f332f302f39a100662f312f302f31", 1},
        /* 7.4.4-7: [{0: "/3/0/0", 3: "Open..."}, {0: "/3/0/9", 2: 95},
         *           {0: "/1/0/1", 2: 86400}] */
        {"83a200662f332f302f3003744f70656e204d6f62696c6520416c6c69616e6365"
         "a200662f332f302f3902185fa200662f312f302f31021a00015180",
         1},
        /* 7.4.4-8: [{0: "/3311/0/5850", 4: false}, {0: "/3311/1/5850", 4: false},
         *           {0: "/3311/2/5851", 2: 20}, {0: "/3308/0/5900", 2: 18}] */
        {"84a2006c2f333331312f302f3538353004f4a2006c2f333331312f312f3538353004f4"
         "a2006c2f333331312f322f353835310214a2006c2f333330382f302f353930300212",
         1},
        /* Leshan: [{-2: "/0/0/3", 8: h'ABCDEF'}] */
        {"81a221662f302f302f330843abcdef", 0},
    };
    (void)state;
    SKIP_WITHOUT_CBOR();
    for (size_t i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
        uint8_t pl[256], out[256];
        size_t n = unhex(ex[i].hex, pl), len;
        tether_senml_cbor_iter it;
        tether_senml_cbor_writer w;
        tether_lwm2m_record r;
        int first = 1;
        assert_int_equal(tether_senml_cbor_iter_init(&it, pl, n), 0);
        while (tether_senml_cbor_next(&it, &r) == 0) {
            if (first)
                tether_senml_cbor_writer_init(&w, out, sizeof(out), ex[i].root ? NULL : &r.path);
            first = 0;
            assert_int_equal(tether_senml_cbor_write(&w, &r.path, &r.value, NULL), 0);
        }
        assert_int_equal(tether_senml_cbor_writer_finish(&w, &len), 0);
        if (len != n || memcmp(out, pl, n) != 0)
            fail_msg("example %zu differs", i);
    }
}

/* Indefinite-length arrays and maps, labels in any order, unknown labels
 * with any value skipped, bver, units. */
static void test_senml_cbor_lenient_where_allowed(void **state)
{
    static const char *ok[] = {
        /* [_ {_ 0: "/1/0/0", 2: 1}] */
        "9fbf00662f312f302f300201ffff",
        /* [{2: 2015, 0: "/1/0/0"}] (Wakaama's order test) */
        "81a20219 07df00662f312f302f30",
        /* [{0: "/1/0/0", 2: 1, 23: [1, {_ 2: h''}], "xyz": 1(2), -1: 10, 1: "s", -4: "s", 7: 60.5}] */
        "81a800662f312f302f3002011782 01bf0240ff6378797ac10220 0a01617323617307f95390",
    };
    (void)state;
    SKIP_WITHOUT_CBOR();
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        uint8_t pl[128];
        size_t n = unhex(ok[i], pl);
        tether_senml_cbor_iter it;
        tether_lwm2m_record r;
        if (tether_senml_cbor_iter_init(&it, pl, n) != 0)
            fail_msg("refused %s", ok[i]);
        r = next_ok(&it);
        assert_path(&r, "/1/0/0");
        assert_int_equal(r.value.type, TETHER_LWM2M_INTEGER);
        assert_int_equal(tether_senml_cbor_next(&it, &r), TETHER_ERR_NOT_FOUND);
    }
}

static void test_senml_cbor_round_trip_every_type(void **state)
{
    static const uint8_t bytes[] = {0, 0xff, 0x80};
    tether_lwm2m_value none;
    tether_lwm2m_value vals[] = {
        tether_lwm2m_value_int(-42),         tether_lwm2m_value_int(INT64_MIN),
        tether_lwm2m_value_int(INT64_MAX),   tether_lwm2m_value_uint(UINT64_MAX),
        tether_lwm2m_value_float(22.4),      tether_lwm2m_value_float(1.5),
        tether_lwm2m_value_float(NAN),       tether_lwm2m_value_float(-INFINITY),
        tether_lwm2m_value_bool(1),          tether_lwm2m_value_bool(0),
        tether_lwm2m_value_cstr("\xe2\x82\xac 1"), tether_lwm2m_value_string("", 0),
        tether_lwm2m_value_opaque(bytes, 3), tether_lwm2m_value_time(1367491215),
        tether_lwm2m_value_objlnk(66, 0),    tether_lwm2m_value_int(0),
    };
    (void)state;
    SKIP_WITHOUT_CBOR();
    memset(&none, 0, sizeof(none));
    vals[sizeof(vals) / sizeof(vals[0]) - 1] = none;
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        for (int timed = 0; timed < 3; timed++) {
            tether_lwm2m_path base = tether_lwm2m_path_make(1, 5, 0, 0, 0);
            tether_lwm2m_path p = tether_lwm2m_path_make(4, 5, 1, 2, (uint16_t)i);
            tether_senml_cbor_writer w;
            tether_senml_cbor_iter it;
            tether_lwm2m_record r;
            tether_lwm2m_value back;
            uint8_t out[128];
            double t = timed == 1 ? -5.0 : 1.5e9 + 0.25;
            size_t len;
            tether_senml_cbor_writer_init(&w, out, sizeof(out), &base);
            assert_int_equal(tether_senml_cbor_write(&w, &p, &vals[i], timed ? &t : NULL), 0);
            assert_int_equal(tether_senml_cbor_writer_finish(&w, &len), 0);
            assert_int_equal(tether_senml_cbor_iter_init(&it, out, len), 0);
            r = next_ok(&it);
            assert_true(tether_lwm2m_path_equal(&r.path, &p));
            assert_int_equal(r.has_time, timed != 0);
            if (timed)
                assert_true(r.time == t);
            if (vals[i].type == TETHER_LWM2M_NONE) {
                assert_int_equal(r.value.type, TETHER_LWM2M_NONE);
                continue;
            }
            assert_int_equal(tether_lwm2m_value_convert(&r.value, vals[i].type, NULL, 0, &back),
                             0);
            switch (vals[i].type) {
            case TETHER_LWM2M_STRING:
            case TETHER_LWM2M_OPAQUE:
                assert_int_equal(r.value.type, vals[i].type);
                assert_int_equal(back.bytes.len, vals[i].bytes.len);
                if (back.bytes.len)
                    assert_memory_equal(back.bytes.ptr, vals[i].bytes.ptr, back.bytes.len);
                break;
            case TETHER_LWM2M_FLOAT:
                assert_int_equal(r.value.type, TETHER_LWM2M_FLOAT);
                assert_true((isnan(back.f) && isnan(vals[i].f)) || back.f == vals[i].f);
                break;
            case TETHER_LWM2M_UNSIGNED:
                assert_true(back.u == vals[i].u);
                break;
            case TETHER_LWM2M_BOOLEAN:
                assert_int_equal(back.b, vals[i].b);
                break;
            case TETHER_LWM2M_OBJLNK:
                assert_int_equal(r.value.type, TETHER_LWM2M_OBJLNK);
                assert_int_equal(back.lnk.obj, 66);
                break;
            default:
                assert_true(back.i == vals[i].i);
                break;
            }
        }
    }
}

static void test_senml_cbor_writer_errors(void **state)
{
    tether_lwm2m_path base = tether_lwm2m_path_make(2, 3, 0, 0, 0);
    tether_lwm2m_path in = tether_lwm2m_path_make(3, 3, 0, 1, 0);
    tether_lwm2m_path other = tether_lwm2m_path_make(3, 3, 1, 1, 0);
    tether_lwm2m_value ok = tether_lwm2m_value_int(1);
    tether_lwm2m_value bad = tether_lwm2m_value_string("\xed\xa0\x80", 3);
    tether_senml_cbor_writer w;
    uint8_t out[64];
    double inf = INFINITY;
    size_t len;
    (void)state;
    SKIP_WITHOUT_CBOR();
    tether_senml_cbor_writer_init(&w, out, sizeof(out), &base);
    assert_int_equal(tether_senml_cbor_write(&w, &other, &ok, NULL), TETHER_ERR_INVAL);
    assert_int_equal(tether_senml_cbor_write(&w, &in, &ok, NULL), TETHER_ERR_INVAL);
    assert_int_equal(tether_senml_cbor_writer_finish(&w, &len), TETHER_ERR_INVAL);
    tether_senml_cbor_writer_init(&w, out, sizeof(out), &base);
    assert_int_equal(tether_senml_cbor_write(&w, &in, &bad, NULL), TETHER_ERR_INVAL);
    tether_senml_cbor_writer_init(&w, out, sizeof(out), &base);
    assert_int_equal(tether_senml_cbor_write(&w, &in, &ok, &inf), TETHER_ERR_INVAL);
    tether_senml_cbor_writer_init(&w, out, 4, &base);
    assert_int_equal(tether_senml_cbor_writer_finish(&w, &len), TETHER_ERR_NOSPACE);
    /* An empty pack is one byte. */
    tether_senml_cbor_writer_init(&w, out, sizeof(out), &base);
    assert_int_equal(tether_senml_cbor_writer_finish(&w, &len), 0);
    assert_int_equal(len, 1);
    assert_int_equal(out[0], 0x80);
    assert_int_equal(tether_senml_cbor_write(&w, &in, &ok, NULL), TETHER_ERR_STATE);
}

static void test_senml_cbor_malformed(void **state)
{
    static const char *bad[] = {
        "a0",                           /* a map, not an array */
        "8101",                         /* an array of a non-map */
        "8180",                         /* an array of an array */
        "80 00",                        /* trailing bytes */
        "81a1 00",                      /* truncated */
        "82a200662f312f302f300201",     /* array of 2, one record */
        "9fa200662f312f302f300201",     /* [_ without its break */
        "81a2f93c0001 00662f312f302f30", /* a float key */
        "81a24100 01 00662f312f302f30",  /* a bytes key */
        "81a28000 00662f312f302f30",     /* an array key */
        "81a2210100662f312f302f30",      /* bn: 1 */
        "81a2004a2f312f302f30",          /* n as bytes */
        "81a200662f312f302f30026131",    /* v: "1" */
        "81a200662f312f302f300301",      /* vs: 1 */
        "81a200662f312f302f300401",      /* vb: 1 */
        "81a200662f312f302f30086131",    /* vd: "1" */
        "81a200662f312f302f3063766c6f623636", /* vlo: "66" */
        "81a200662f312f302f3063766c6f1842",   /* vlo: 66 */
        "81a300662f312f302f3002010661 31",    /* t: "1" */
        "81a300662f312f302f30020122 6131",    /* bt: "1" */
        "81a300662f312f302f30020101 01",      /* u: 1 */
        "81a300662f312f302f30020107 6131",    /* ut: "1" */
        "81a300662f312f302f30020120 0b",      /* bver: 11 */
        "81a300662f312f302f30020120 00",      /* bver: 0 */
        "81a300662f312f302f30020120 20",      /* bver: -1 */
        "81a300662f312f302f300201036131",     /* v and vs */
        "81a300662f312f302f3000662f312f302f300201", /* n twice */
        "81a300662f312f302f30020124 01",      /* bv (-5) */
        "81a200662f312f302f300501",           /* s */
        "81a300662f312f302f30020125 01",      /* bs (-6) */
        "81a300662f312f302f3002016466 6f6f5f01", /* "foo_" must understand */
        "81a10201",                           /* no name */
        "81a20065332f302f300201",             /* "3/0/0" */
        "81a200662f332f302f2f0201",           /* "/3/0//" */
        "81a221652f332f302f0201",             /* bn "/3/0/" alone */
        "81a2007f642f312f3062 2f30ff0201",    /* n as a chunked string */
        "81a200662f312f302f3002c105",         /* v: 1(5): a tag */
        "81a20062 2fff0201",                  /* n not UTF-8 */
        "81a200662f312f302f30023bffffffffffffffff", /* v below INT64_MIN */
        "81a300662f312f302f300201"
        "17 818181818181818181818181818181818100", /* unknown label, 17 deep */
        "81bf00662f312f302f300201 01ff",      /* indefinite map, odd items */
        "81a300662f312f302f300201ff",         /* break in a definite map */
        "81a4 00662f312f302f30 0201 22fb7fe1ccf385ebc8a0 06fb7fe1ccf385ebc8a0", /* bt + t = inf */
        "ff",
        "9fff 00",
    };
    (void)state;
    SKIP_WITHOUT_CBOR();
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t pl[128];
        size_t n = unhex(bad[i], pl);
        tether_senml_cbor_iter it;
        memset(&it, 0x5A, sizeof(it));
        if (tether_senml_cbor_iter_init(&it, pl, n) != TETHER_ERR_MALFORMED)
            fail_msg("accepted or wrong code: #%zu %s", i, bad[i]);
        assert_int_equal(it.count, (size_t)0x5A5A5A5A5A5A5A5Au);
    }
}

static void test_senml_cbor_empty(void **state)
{
    tether_senml_cbor_iter it;
    tether_lwm2m_record r;
    static const uint8_t empty_indef[] = {0x9f, 0xff};
    (void)state;
    SKIP_WITHOUT_CBOR();
    assert_int_equal(tether_senml_cbor_iter_init(&it, NULL, 0), 0);
    assert_int_equal(tether_senml_cbor_next(&it, &r), TETHER_ERR_NOT_FOUND);
    assert_int_equal(tether_senml_cbor_iter_init(&it, empty_indef, 2), 0);
    assert_int_equal(tether_senml_cbor_count(&it), 0);
    assert_int_equal(tether_senml_cbor_iter_init(&it, NULL, 2), TETHER_ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_senml_cbor_device_example),
        cmocka_unit_test(test_senml_cbor_timestamps),
        cmocka_unit_test(test_senml_cbor_objlnk_example),
        cmocka_unit_test(test_senml_cbor_composite_examples),
        cmocka_unit_test(test_senml_cbor_lenient_where_allowed),
        cmocka_unit_test(test_senml_cbor_round_trip_every_type),
        cmocka_unit_test(test_senml_cbor_writer_errors),
        cmocka_unit_test(test_senml_cbor_malformed),
        cmocka_unit_test(test_senml_cbor_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
