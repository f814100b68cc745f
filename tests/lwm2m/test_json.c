/* SPDX-License-Identifier: Apache-2.0 */
/* LwM2M JSON (LwM2M 1.0 §6.4.4): the TS examples decoded and re-encoded
 * byte for byte, a round trip for every type, and every malformation the
 * header promises to refuse, each leaving the iterator untouched. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "tether/lwm2m_json.h"

static tether_json_token toks[512];
static uint8_t scratch[256];

#define S(lit) (const uint8_t *)(lit), (sizeof(lit) - 1)

static int decode(tether_lwm2m_json_iter *it, const uint8_t *buf, size_t len)
{
    return tether_lwm2m_json_iter_init(it, buf, len, toks, 512, scratch, sizeof(scratch));
}

static tether_lwm2m_record next_ok(tether_lwm2m_json_iter *it)
{
    tether_lwm2m_record r;
    assert_int_equal(tether_lwm2m_json_next(it, &r), 0);
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

/* LwM2M 1.0 §6.4.4: Read /3/0, the Device Object instance. */
static const char device[] =
    "{\"bn\":\"/3/0/\",\"e\":["
    "{\"n\":\"0\",\"sv\":\"Open Mobile Alliance\"},"
    "{\"n\":\"1\",\"sv\":\"Lightweight M2M Client\"},"
    "{\"n\":\"2\",\"sv\":\"345000123\"},"
    "{\"n\":\"3\",\"sv\":\"1.0\"},"
    "{\"n\":\"6/0\",\"v\":1},"
    "{\"n\":\"6/1\",\"v\":5},"
    "{\"n\":\"7/0\",\"v\":3800},"
    "{\"n\":\"7/1\",\"v\":5000},"
    "{\"n\":\"8/0\",\"v\":125},"
    "{\"n\":\"8/1\",\"v\":900},"
    "{\"n\":\"9\",\"v\":100},"
    "{\"n\":\"10\",\"v\":15},"
    "{\"n\":\"11/0\",\"v\":0},"
    "{\"n\":\"13\",\"v\":1367491215},"
    "{\"n\":\"14\",\"sv\":\"+02:00\"},"
    "{\"n\":\"16\",\"sv\":\"U\"}]}";

static void test_json_device_example(void **state)
{
    tether_lwm2m_json_iter it;
    tether_lwm2m_record r;
    (void)state;
    assert_int_equal(decode(&it, S(device)), 0);
    assert_int_equal(tether_lwm2m_json_count(&it), 16);
    r = next_ok(&it);
    assert_str(&r, "/3/0/0", "Open Mobile Alliance");
    assert_false(r.has_time);
    assert_int_equal(r.raw, TETHER_LWM2M_RAW_NONE);
    /* Strings without escapes are views into the payload. */
    assert_true(r.value.bytes.ptr > (const uint8_t *)device &&
                r.value.bytes.ptr < (const uint8_t *)device + sizeof(device));
    assert_str((r = next_ok(&it), &r), "/3/0/1", "Lightweight M2M Client");
    assert_str((r = next_ok(&it), &r), "/3/0/2", "345000123");
    assert_str((r = next_ok(&it), &r), "/3/0/3", "1.0");
    assert_int((r = next_ok(&it), &r), "/3/0/6/0", 1);
    assert_int((r = next_ok(&it), &r), "/3/0/6/1", 5);
    assert_int((r = next_ok(&it), &r), "/3/0/7/0", 3800);
    assert_int((r = next_ok(&it), &r), "/3/0/7/1", 5000);
    assert_int((r = next_ok(&it), &r), "/3/0/8/0", 125);
    assert_int((r = next_ok(&it), &r), "/3/0/8/1", 900);
    assert_int((r = next_ok(&it), &r), "/3/0/9", 100);
    assert_int((r = next_ok(&it), &r), "/3/0/10", 15);
    assert_int((r = next_ok(&it), &r), "/3/0/11/0", 0);
    assert_int((r = next_ok(&it), &r), "/3/0/13", 1367491215);
    assert_str((r = next_ok(&it), &r), "/3/0/14", "+02:00");
    assert_str((r = next_ok(&it), &r), "/3/0/16", "U");
    memset(&r, 0xAB, sizeof(r));
    assert_int_equal(tether_lwm2m_json_next(&it, &r), TETHER_ERR_NOT_FOUND);
    assert_int_equal(r.path.len, 0xAB);
    assert_int_equal(tether_lwm2m_json_next(&it, &r), TETHER_ERR_NOT_FOUND);
}

/* The same instance written by our writer: byte for byte the example. */
static void test_json_device_encode(void **state)
{
    static const struct {
        uint16_t r, ri;
        uint8_t multi, is_str;
        const char *s;
        int64_t v;
    } res[] = {
        {0, 0, 0, 1, "Open Mobile Alliance", 0}, {1, 0, 0, 1, "Lightweight M2M Client", 0},
        {2, 0, 0, 1, "345000123", 0}, {3, 0, 0, 1, "1.0", 0}, {6, 0, 1, 0, NULL, 1},
        {6, 1, 1, 0, NULL, 5}, {7, 0, 1, 0, NULL, 3800}, {7, 1, 1, 0, NULL, 5000},
        {8, 0, 1, 0, NULL, 125}, {8, 1, 1, 0, NULL, 900}, {9, 0, 0, 0, NULL, 100},
        {10, 0, 0, 0, NULL, 15}, {11, 0, 1, 0, NULL, 0}, {13, 0, 0, 0, NULL, 1367491215},
        {14, 0, 0, 1, "+02:00", 0}, {16, 0, 0, 1, "U", 0},
    };
    tether_lwm2m_path base = tether_lwm2m_path_make(2, 3, 0, 0, 0);
    uint8_t out[600];
    size_t len = 0;
    (void)state;
    /* Every buffer shorter than the payload fails with NOSPACE. */
    for (size_t cap = 0; cap <= sizeof(device) - 1; cap++) {
        tether_lwm2m_json_writer w;
        int rc = 0;
        tether_lwm2m_json_writer_init(&w, out, cap, &base);
        for (size_t i = 0; i < sizeof(res) / sizeof(res[0]); i++) {
            tether_lwm2m_path p = tether_lwm2m_path_make(res[i].multi ? 4 : 3, 3, 0, res[i].r,
                                                         res[i].ri);
            tether_lwm2m_value v = res[i].is_str ? tether_lwm2m_value_cstr(res[i].s)
                                                 : tether_lwm2m_value_int(res[i].v);
            rc = tether_lwm2m_json_write(&w, &p, &v, NULL);
        }
        if (cap < sizeof(device) - 1) {
            assert_int_equal(tether_lwm2m_json_writer_finish(&w, &len), TETHER_ERR_NOSPACE);
            continue;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(tether_lwm2m_json_writer_finish(&w, &len), 0);
    }
    assert_int_equal(len, sizeof(device) - 1);
    assert_memory_equal(out, device, len);
}

/* LwM2M 1.0 §6.4.4, Objlnk example (Read on the root of objects 65-67);
 * the spec writes the null link as 0xFFFF:0xFFFF, which the "ov" grammar
 * (decimal) makes 65535:65535. */
static const char objlnk[] =
    "{\"bn\":\"/\",\"e\":["
    "{\"n\":\"65/0/0/0\",\"ov\":\"66:0\"},"
    "{\"n\":\"65/0/0/1\",\"ov\":\"66:1\"},"
    "{\"n\":\"65/0/1\",\"sv\":\"8613800755500\"},"
    "{\"n\":\"65/0/2\",\"v\":1},"
    "{\"n\":\"66/0/0\",\"sv\":\"myService 1\"},"
    "{\"n\":\"66/0/1\",\"sv\":\"Internet.15.234\"},"
    "{\"n\":\"66/0/2\",\"ov\":\"67:0\"},"
    "{\"n\":\"66/1/0\",\"sv\":\"myService 2\"},"
    "{\"n\":\"66/1/1\",\"sv\":\"Internet.15.235\"},"
    "{\"n\":\"66/1/2\",\"ov\":\"65535:65535\"},"
    "{\"n\":\"67/0/0\",\"sv\":\"85.76.76.84\"},"
    "{\"n\":\"67/0/1\",\"sv\":\"85.76.255.255\"}]}";

static void test_json_multiple_instances_example(void **state)
{
    tether_lwm2m_json_iter it;
    tether_lwm2m_record r;
    (void)state;
    assert_int_equal(decode(&it, S(objlnk)), 0);
    assert_int_equal(tether_lwm2m_json_count(&it), 12);
    r = next_ok(&it);
    assert_path(&r, "/65/0/0/0");
    assert_int_equal(r.value.type, TETHER_LWM2M_OBJLNK);
    assert_int_equal(r.value.lnk.obj, 66);
    assert_int_equal(r.value.lnk.inst, 0);
    r = next_ok(&it);
    assert_int_equal(r.value.lnk.inst, 1);
    assert_str((r = next_ok(&it), &r), "/65/0/1", "8613800755500");
    assert_int((r = next_ok(&it), &r), "/65/0/2", 1);
    assert_str((r = next_ok(&it), &r), "/66/0/0", "myService 1");
    assert_str((r = next_ok(&it), &r), "/66/0/1", "Internet.15.234");
    r = next_ok(&it);
    assert_path(&r, "/66/0/2");
    assert_int_equal(r.value.lnk.obj, 67);
    assert_str((r = next_ok(&it), &r), "/66/1/0", "myService 2");
    assert_str((r = next_ok(&it), &r), "/66/1/1", "Internet.15.235");
    r = next_ok(&it);
    assert_path(&r, "/66/1/2");
    assert_int_equal(r.value.lnk.obj, 65535);
    assert_int_equal(r.value.lnk.inst, 65535);
    assert_str((r = next_ok(&it), &r), "/67/0/0", "85.76.76.84");
    assert_str((r = next_ok(&it), &r), "/67/0/1", "85.76.255.255");
    assert_int_equal(tether_lwm2m_json_next(&it, &r), TETHER_ERR_NOT_FOUND);
}

/* LwM2M 1.0 §6.4.4: a resource with a history; "bt" may come after "e",
 * and whitespace anywhere between tokens is fine. */
static void test_json_timestamps(void **state)
{
    static const char pl[] = "{ \"e\" : [ {\"n\":\"1/2\",\"v\":22.4,\"t\":-5},\n"
                             "{\"n\":\"1/2\",\"v\":22.9,\"t\":-30},\n"
                             "{\"n\":\"1/2\",\"v\":24.1,\"t\":-50} ],\n"
                             " \"bt\":25462634, \"bn\":\"/72/\" }";
    tether_lwm2m_json_iter it;
    tether_lwm2m_record r;
    (void)state;
    assert_int_equal(decode(&it, S(pl)), 0);
    r = next_ok(&it);
    assert_path(&r, "/72/1/2");
    assert_int_equal(r.value.type, TETHER_LWM2M_FLOAT);
    assert_true(r.value.f == 22.4);
    assert_true(r.has_time);
    assert_true(r.time == 25462629.0);
    r = next_ok(&it);
    assert_true(r.time == 25462604.0);
    r = next_ok(&it);
    assert_true(r.value.f == 24.1);
    assert_true(r.time == 25462584.0);
}

/* Leshan's encoding of a resource history: the base name is the resource,
 * records have no name. */
static void test_json_encode_timestamped(void **state)
{
    static const char want[] = "{\"bn\":\"/1024/0/1\",\"e\":[{\"v\":22.9,\"t\":500},"
                               "{\"v\":22.4,\"t\":510},{\"v\":24.1,\"t\":520}]}";
    tether_lwm2m_path p = tether_lwm2m_path_make(3, 1024, 0, 1, 0);
    tether_lwm2m_json_writer w;
    double vals[] = {22.9, 22.4, 24.1}, times[] = {500, 510, 520};
    uint8_t out[256];
    size_t len;
    (void)state;
    tether_lwm2m_json_writer_init(&w, out, sizeof(out), &p);
    for (int i = 0; i < 3; i++) {
        tether_lwm2m_value v = tether_lwm2m_value_float(vals[i]);
        assert_int_equal(tether_lwm2m_json_write(&w, &p, &v, &times[i]), 0);
    }
    assert_int_equal(tether_lwm2m_json_writer_finish(&w, &len), 0);
    assert_int_equal(len, sizeof(want) - 1);
    assert_memory_equal(out, want, len);
}

/* Escapes are undone into the scratch buffer; a name may be escaped too. */
static void test_json_escapes(void **state)
{
    static const char pl[] = "{\"bn\":\"\\/3\\/0\\/\",\"e\":[{\"n\":\"1\",\"sv\":"
                             "\"q\\\"b\\\\s\\/n\\nt\\tu\\u00e9\\ud83d\\ude00\\u0000\"},"
                             "{\"\\u006e\":\"2\",\"v\":1}]}";
    static const uint8_t want[] = "q\"b\\s/n\nt\tu\xc3\xa9\xf0\x9f\x98\x80";
    tether_lwm2m_json_iter it;
    tether_lwm2m_record r;
    (void)state;
    assert_int_equal(decode(&it, S(pl)), 0);
    r = next_ok(&it);
    assert_path(&r, "/3/0/1");
    assert_int_equal(r.value.bytes.len, sizeof(want)); /* the \u0000 counts */
    assert_memory_equal(r.value.bytes.ptr, want, sizeof(want));
    assert_ptr_equal(r.value.bytes.ptr, scratch);
    assert_int((r = next_ok(&it), &r), "/3/0/2", 1);
    /* Scratch too small for the unescaped string: refused up front. */
    assert_int_equal(tether_lwm2m_json_iter_init(&it, S(pl), toks, 512, scratch, 10),
                     TETHER_ERR_TOO_LARGE);
    /* Without escapes no scratch is needed at all. */
    assert_int_equal(tether_lwm2m_json_iter_init(&it, S(device), toks, 512, NULL, 0), 0);
}

static void test_json_tokens_and_empty(void **state)
{
    tether_lwm2m_json_iter it;
    tether_lwm2m_record r;
    (void)state;
    assert_int_equal(tether_lwm2m_json_iter_init(&it, S(device), toks, 20, NULL, 0),
                     TETHER_ERR_TOO_LARGE);
    assert_int_equal(tether_lwm2m_json_iter_init(&it, S(device), toks,
                                                 TETHER_LWM2M_JSON_TOKENS(16), NULL, 0),
                     0);
    assert_int_equal(tether_lwm2m_json_iter_init(&it, S(device), NULL, 0, NULL, 0),
                     TETHER_ERR_TOO_LARGE);
    /* An empty payload, and an empty record list, have no records. */
    assert_int_equal(decode(&it, NULL, 0), 0);
    assert_int_equal(tether_lwm2m_json_count(&it), 0);
    assert_int_equal(tether_lwm2m_json_next(&it, &r), TETHER_ERR_NOT_FOUND);
    assert_int_equal(decode(&it, S("{\"bn\":\"/3/0/\",\"e\":[]}")), 0);
    assert_int_equal(tether_lwm2m_json_next(&it, &r), TETHER_ERR_NOT_FOUND);
    assert_int_equal(tether_lwm2m_json_iter_init(NULL, S(device), toks, 512, NULL, 0),
                     TETHER_ERR_INVAL);
    assert_int_equal(decode(&it, NULL, 5), TETHER_ERR_INVAL);
}

/* Numbers: integers by size, floats by spelling, and the ranges. */
static void test_json_numbers(void **state)
{
    static const struct {
        const char *num;
        int type;
        int64_t i;
        uint64_t u;
        double f;
    } cases[] = {
        {"0", TETHER_LWM2M_INTEGER, 0, 0, 0},
        {"-0", TETHER_LWM2M_INTEGER, 0, 0, 0},
        {"9223372036854775807", TETHER_LWM2M_INTEGER, INT64_MAX, 0, 0},
        {"-9223372036854775808", TETHER_LWM2M_INTEGER, INT64_MIN, 0, 0},
        {"9223372036854775808", TETHER_LWM2M_UNSIGNED, 0, 9223372036854775808u, 0},
        {"18446744073709551615", TETHER_LWM2M_UNSIGNED, 0, UINT64_MAX, 0},
        {"18446744073709551616", TETHER_LWM2M_FLOAT, 0, 0, 18446744073709551616.0},
        {"-9223372036854775809", TETHER_LWM2M_FLOAT, 0, 0, -9223372036854775808.0},
        {"1.5", TETHER_LWM2M_FLOAT, 0, 0, 1.5},
        {"23.0", TETHER_LWM2M_FLOAT, 0, 0, 23.0},
        {"1.638435E9", TETHER_LWM2M_FLOAT, 0, 0, 1638435000.0},
        {"-2e-3", TETHER_LWM2M_FLOAT, 0, 0, -0.002},
        {"1e308", TETHER_LWM2M_FLOAT, 0, 0, 1e308},
    };
    char pl[128];
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tether_lwm2m_json_iter it;
        tether_lwm2m_record r;
        int n = snprintf(pl, sizeof(pl), "{\"e\":[{\"n\":\"/1/0/1\",\"v\":%s}]}", cases[i].num);
        assert_int_equal(decode(&it, (const uint8_t *)pl, (size_t)n), 0);
        r = next_ok(&it);
        if (r.value.type != cases[i].type)
            fail_msg("%s: type %d", cases[i].num, r.value.type);
        if (cases[i].type == TETHER_LWM2M_INTEGER)
            assert_true(r.value.i == cases[i].i);
        else if (cases[i].type == TETHER_LWM2M_UNSIGNED)
            assert_true(r.value.u == cases[i].u);
        else
            assert_true(r.value.f == cases[i].f);
    }
}

/* Every type through the writer and back, with and without a time. */
static void test_json_round_trip_every_type(void **state)
{
    static const uint8_t bytes[] = {0, 1, 0xfe, 0xff, '"'};
    const tether_lwm2m_value vals[] = {
        tether_lwm2m_value_int(-42),
        tether_lwm2m_value_int(INT64_MIN),
        tether_lwm2m_value_uint(UINT64_MAX),
        tether_lwm2m_value_float(23.0),
        tether_lwm2m_value_float(-0.1),
        tether_lwm2m_value_float(1e300),
        tether_lwm2m_value_float(5e-324),
        tether_lwm2m_value_bool(1),
        tether_lwm2m_value_bool(0),
        tether_lwm2m_value_cstr("ctl\x01\x1f \"q\" \\ \xc3\xa9"),
        tether_lwm2m_value_string("", 0),
        tether_lwm2m_value_string(NULL, 0), /* as decoders hand out an empty string */
        tether_lwm2m_value_opaque(bytes, sizeof(bytes)),
        tether_lwm2m_value_opaque(NULL, 0),
        tether_lwm2m_value_time(1367491215),
        tether_lwm2m_value_objlnk(65535, 65535),
    };
    (void)state;
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        for (int timed = 0; timed < 2; timed++) {
            tether_lwm2m_path base = tether_lwm2m_path_make(2, 1024, 7, 0, 0);
            tether_lwm2m_path p = tether_lwm2m_path_make(4, 1024, 7, (uint16_t)i, 3);
            tether_lwm2m_json_writer w;
            tether_lwm2m_json_iter it;
            tether_lwm2m_record r;
            tether_lwm2m_value back;
            uint8_t out[256], sc[64];
            double t = -12.5;
            size_t len;
            tether_lwm2m_json_writer_init(&w, out, sizeof(out), &base);
            assert_int_equal(tether_lwm2m_json_write(&w, &p, &vals[i], timed ? &t : NULL), 0);
            assert_int_equal(tether_lwm2m_json_writer_finish(&w, &len), 0);
            assert_int_equal(decode(&it, out, len), 0);
            r = next_ok(&it);
            assert_true(tether_lwm2m_path_equal(&r.path, &p));
            assert_int_equal(r.has_time, timed);
            if (timed)
                assert_true(r.time == t);
            assert_int_equal(tether_lwm2m_value_convert(&r.value, vals[i].type, sc, sizeof(sc),
                                                        &back),
                             0);
            switch (vals[i].type) {
            case TETHER_LWM2M_STRING:
            case TETHER_LWM2M_OPAQUE:
                assert_int_equal(back.bytes.len, vals[i].bytes.len);
                if (back.bytes.len > 0)
                    assert_memory_equal(back.bytes.ptr, vals[i].bytes.ptr, back.bytes.len);
                break;
            case TETHER_LWM2M_FLOAT:
                /* A float stays a float on the wire, even when integral. */
                assert_int_equal(r.value.type, TETHER_LWM2M_FLOAT);
                assert_true(back.f == vals[i].f);
                break;
            case TETHER_LWM2M_UNSIGNED:
                assert_true(back.u == vals[i].u);
                break;
            case TETHER_LWM2M_BOOLEAN:
                assert_int_equal(back.b, vals[i].b);
                break;
            case TETHER_LWM2M_OBJLNK:
                assert_int_equal(back.lnk.obj, vals[i].lnk.obj);
                assert_int_equal(back.lnk.inst, vals[i].lnk.inst);
                break;
            default:
                assert_true(back.i == vals[i].i);
                break;
            }
        }
    }
}

static void test_json_writer_base_names(void **state)
{
    tether_lwm2m_path root = tether_lwm2m_path_make(0, 0, 0, 0, 0);
    tether_lwm2m_path res = tether_lwm2m_path_make(3, 3, 0, 0, 0);
    tether_lwm2m_path obj = tether_lwm2m_path_make(1, 3, 0, 0, 0);
    tether_lwm2m_value v = tether_lwm2m_value_cstr("x");
    tether_lwm2m_json_writer w;
    uint8_t out[128];
    size_t len;
    (void)state;
    tether_lwm2m_json_writer_init(&w, out, sizeof(out), NULL);
    assert_int_equal(tether_lwm2m_json_write(&w, &res, &v, NULL), 0);
    assert_int_equal(tether_lwm2m_json_writer_finish(&w, &len), 0);
    assert_memory_equal(out, "{\"e\":[{\"n\":\"/3/0/0\",\"sv\":\"x\"}]}", len);
    tether_lwm2m_json_writer_init(&w, out, sizeof(out), &res);
    assert_int_equal(tether_lwm2m_json_write(&w, &res, &v, NULL), 0);
    assert_int_equal(tether_lwm2m_json_writer_finish(&w, &len), 0);
    assert_memory_equal(out, "{\"bn\":\"/3/0/0\",\"e\":[{\"sv\":\"x\"}]}", len);
    tether_lwm2m_json_writer_init(&w, out, sizeof(out), &obj);
    assert_int_equal(tether_lwm2m_json_write(&w, &res, &v, NULL), 0);
    assert_int_equal(tether_lwm2m_json_writer_finish(&w, &len), 0);
    assert_memory_equal(out, "{\"bn\":\"/3/\",\"e\":[{\"n\":\"0/0\",\"sv\":\"x\"}]}", len);
    /* No records. */
    tether_lwm2m_json_writer_init(&w, out, sizeof(out), &obj);
    assert_int_equal(tether_lwm2m_json_writer_finish(&w, &len), 0);
    assert_memory_equal(out, "{\"bn\":\"/3/\",\"e\":[]}", len);
    tether_lwm2m_json_writer_init(&w, out, sizeof(out), &root);
    assert_int_equal(tether_lwm2m_json_writer_finish(&w, &len), 0);
    assert_memory_equal(out, "{\"e\":[]}", len);
}

static void test_json_writer_errors(void **state)
{
    tether_lwm2m_path base = tether_lwm2m_path_make(2, 3, 0, 0, 0);
    tether_lwm2m_path in = tether_lwm2m_path_make(3, 3, 0, 1, 0);
    tether_lwm2m_path out_of_base = tether_lwm2m_path_make(3, 3, 1, 1, 0);
    tether_lwm2m_path bad = tether_lwm2m_path_make(3, 3, 0, 65535, 0);
    tether_lwm2m_value ok = tether_lwm2m_value_int(1), none, nan_v = tether_lwm2m_value_float(NAN);
    tether_lwm2m_value notutf8 = tether_lwm2m_value_string("\xff", 1);
    tether_lwm2m_value badbool = tether_lwm2m_value_bool(1);
    tether_lwm2m_json_writer w;
    uint8_t out[128];
    double inf = INFINITY;
    size_t len;
    (void)state;
    memset(&none, 0, sizeof(none));
    badbool.b = 2;
    const struct {
        const tether_lwm2m_path *p;
        const tether_lwm2m_value *v;
        const double *t;
    } cases[] = {
        {&out_of_base, &ok, NULL}, {&bad, &ok, NULL},    {&in, &none, NULL},
        {&in, &nan_v, NULL},       {&in, &ok, &inf},     {&in, &notutf8, NULL},
        {&in, &badbool, NULL},     {NULL, &ok, NULL},    {&in, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tether_lwm2m_json_writer_init(&w, out, sizeof(out), &base);
        assert_int_equal(tether_lwm2m_json_write(&w, cases[i].p, cases[i].v, cases[i].t),
                         TETHER_ERR_INVAL);
        /* Sticky: a good record afterwards fails the same way. */
        assert_int_equal(tether_lwm2m_json_write(&w, &in, &ok, NULL), TETHER_ERR_INVAL);
        assert_int_equal(tether_lwm2m_json_writer_finish(&w, &len), TETHER_ERR_INVAL);
    }
    tether_lwm2m_json_writer_init(&w, out, sizeof(out), &bad);
    assert_int_equal(tether_lwm2m_json_writer_finish(&w, &len), TETHER_ERR_INVAL);
    tether_lwm2m_json_writer_init(&w, out, sizeof(out), &base);
    assert_int_equal(tether_lwm2m_json_writer_finish(&w, &len), 0);
    assert_int_equal(tether_lwm2m_json_write(&w, &in, &ok, NULL), TETHER_ERR_STATE);
}

/* Everything the header lists as refused, each with the iterator left as
 * it was. */
static void test_json_malformed(void **state)
{
    static const char *bad[] = {
        /* not JSON */
        " ",
        "{",
        "}",
        "{\"e\":[]}x",
        "{\"e\":[]} {}",
        "{\"e\":[],}",
        "{,\"e\":[]}",
        "{\"e\" []}",
        "{\"e\":[] \"bn\":\"/\"}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"v\":1}{\"n\":\"/1/0/1\",\"v\":1}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"v\":1 \"t\":2}]}",
        "{\"e\":[{\"n\":\"/1/0/0\" \"v\":1}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"v\":1},]}",
        "{\"e\":[,{\"n\":\"/1/0/0\",\"v\":1}]}",
        "{\"e\":[{\"n\":\"/1/0/0\"::\"v\":1}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"v\":1]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"v\":1}}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"sv\":\"abc}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"sv\":\"a\\xb\"}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"sv\":\"a\\u12\"}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"sv\":\"a\\u12g4\"}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"sv\":\"\\udc00\"}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"sv\":\"\\ud800\"}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"sv\":\"\\ud800\\u0041\"}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"sv\":\"tab\there\"}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"sv\":\"\xc3\"}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"sv\":\"\xed\xa0\x80\"}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"v\":01}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"v\":1.}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"v\":.5}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"v\":+1}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"v\":1e}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"v\":-}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"v\":NaN}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"v\":Infinity}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"v\":0x10}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"bv\":tru}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"bv\":True}]}",
        "{'e':[]}",
        "{\"e\":[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]}",
        /* not the LwM2M JSON shape */
        "[]",
        "\"e\"",
        "{}",
        "{\"bn\":\"/3/0/\"}",
        "{\"e\":{}}",
        "{\"e\":null}",
        "{\"e\":[],\"e\":[]}",
        "{\"bn\":\"/3/\",\"bn\":\"/3/\",\"e\":[]}",
        "{\"bn\":3,\"e\":[]}",
        "{\"bt\":\"1\",\"e\":[]}",
        "{\"ver\":1,\"e\":[]}",
        "{\"e\":[1]}",
        "{\"e\":[\"x\"]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"v\":1,\"u\":\"s\"}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"n\":\"/1/0/1\",\"v\":1}]}",
        "{\"e\":[{\"n\":\"/1/0/0\"}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"v\":1,\"sv\":\"1\"}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"v\":1,\"v\":1}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"v\":\"1\"}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"v\":true}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"v\":null}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"sv\":1}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"bv\":\"true\"}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"bv\":1}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"ov\":\"66\"}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"ov\":\"66:65536\"}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"ov\":\"-1:0\"}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"ov\":660}]}",
        "{\"e\":[{\"n\":1,\"v\":1}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"v\":1,\"t\":\"5\"}]}",
        /* names that are not paths */
        "{\"e\":[{\"v\":1}]}",
        "{\"e\":[{\"n\":\"\",\"v\":1}]}",
        "{\"e\":[{\"n\":\"3/0/0\",\"v\":1}]}",
        "{\"bn\":\"3/0/\",\"e\":[{\"n\":\"0\",\"v\":1}]}",
        "{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"x\",\"v\":1}]}",
        "{\"bn\":\"/3/0/\",\"e\":[{\"v\":1}]}",
        "{\"e\":[{\"n\":\"/3/00/1\",\"v\":1}]}",
        "{\"e\":[{\"n\":\"/65535/0\",\"v\":1}]}",
        "{\"e\":[{\"n\":\"/1/2/3/4/5\",\"v\":1}]}",
        "{\"e\":[{\"n\":\"/1//3\",\"v\":1}]}",
        "{\"bn\":\"/1/0/1/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/\",\"e\":[{\"n\":\"0\",\"v\":1}]}",
        /* numbers out of range */
        "{\"e\":[{\"n\":\"/1/0/0\",\"v\":1e400}]}",
        "{\"e\":[{\"n\":\"/1/0/0\",\"v\":-1e400}]}",
        "{\"bt\":1e308,\"e\":[{\"n\":\"/1/0/0\",\"v\":1,\"t\":1e308}]}",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        tether_lwm2m_json_iter it;
        memset(&it, 0x5A, sizeof(it));
        if (decode(&it, (const uint8_t *)bad[i], strlen(bad[i])) != TETHER_ERR_MALFORMED)
            fail_msg("accepted or wrong code: %s", bad[i]);
        assert_int_equal(it.count, (size_t)0x5A5A5A5A5A5A5A5Au);
    }
}

/* A NUL inside a string, or after the payload, is not JSON (jsmn stops at
 * NUL; the walk sees what follows). */
static void test_json_nul_bytes(void **state)
{
    static const char a[] = "{\"e\":[{\"n\":\"/1/0/0\",\"sv\":\"a\0b\"}]}";
    static const char b[] = "{\"e\":[]}\0";
    tether_lwm2m_json_iter it;
    (void)state;
    assert_int_equal(decode(&it, (const uint8_t *)a, sizeof(a) - 1), TETHER_ERR_MALFORMED);
    assert_int_equal(decode(&it, (const uint8_t *)b, sizeof(b) - 1), TETHER_ERR_MALFORMED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_device_example),
        cmocka_unit_test(test_json_device_encode),
        cmocka_unit_test(test_json_multiple_instances_example),
        cmocka_unit_test(test_json_timestamps),
        cmocka_unit_test(test_json_encode_timestamped),
        cmocka_unit_test(test_json_escapes),
        cmocka_unit_test(test_json_tokens_and_empty),
        cmocka_unit_test(test_json_numbers),
        cmocka_unit_test(test_json_round_trip_every_type),
        cmocka_unit_test(test_json_writer_base_names),
        cmocka_unit_test(test_json_writer_errors),
        cmocka_unit_test(test_json_malformed),
        cmocka_unit_test(test_json_nul_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
