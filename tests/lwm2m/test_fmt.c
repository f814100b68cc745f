/* SPDX-License-Identifier: Apache-2.0 */
/* The content-format selector: finding formats by number (legacy ones
 * too), the generic decoder over every format (TLV records resolved
 * against the request path, the TS TLV examples), record values by
 * resource type, the generic encoder (TLV shaped from paths, byte for byte
 * against the TS), and one Device instance through every format and back. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tether/lwm2m_fmt.h"

static tether_json_token toks[256];
static uint8_t scratch[256];
static const tether_lwm2m_workspace ws = {toks, 256, scratch, sizeof(scratch)};

static tether_lwm2m_path P(int len, int a, int b, int c, int d)
{
    return tether_lwm2m_path_make((uint8_t)len, (uint16_t)a, (uint16_t)b, (uint16_t)c,
                                  (uint16_t)d);
}

static void assert_path(const tether_lwm2m_record *r, const char *want)
{
    char got[TETHER_LWM2M_PATH_STR_MAX];
    assert_int_equal(tether_lwm2m_path_format(&r->path, got, sizeof(got), NULL), 0);
    assert_string_equal(got, want);
}

static int have(uint32_t ct, int flag)
{
    const tether_lwm2m_fmt *f = tether_lwm2m_fmt_find(ct);
    return f != NULL && (f->flags & flag);
}

/* §6.4.3.1: the Device Object instance as resources (as in test_tlv.c). */
static const uint8_t device_0[] = {
    0xC8, 0x00, 0x14, 'O', 'p', 'e', 'n', ' ', 'M', 'o', 'b', 'i', 'l', 'e', ' ', 'A', 'l', 'l',
    'i', 'a', 'n', 'c', 'e',
    0xC8, 0x01, 0x16, 'L', 'i', 'g', 'h', 't', 'w', 'e', 'i', 'g', 'h', 't', ' ', 'M', '2', 'M',
    ' ', 'C', 'l', 'i', 'e', 'n', 't',
    0xC8, 0x02, 0x09, '3', '4', '5', '0', '0', '0', '1', '2', '3',
    0xC3, 0x03, '1', '.', '0',
    0x86, 0x06, 0x41, 0x00, 0x01, 0x41, 0x01, 0x05,
    0x88, 0x07, 0x08, 0x42, 0x00, 0x0E, 0xD8, 0x42, 0x01, 0x13, 0x88,
    0x87, 0x08, 0x41, 0x00, 0x7D, 0x42, 0x01, 0x03, 0x84,
    0xC1, 0x09, 0x64,
    0xC1, 0x0A, 0x0F,
    0x83, 0x0B, 0x41, 0x00, 0x00,
    0xC4, 0x0D, 0x51, 0x82, 0x42, 0x8F,
    0xC6, 0x0E, '+', '0', '2', ':', '0', '0',
    0xC1, 0x10, 'U',
};

/* §6.4.3.2: Access Control, two instances (as in test_tlv.c). */
static const uint8_t acl_two[] = {
    0x08, 0x00, 0x0E, 0xC1, 0x00, 0x01, 0xC1, 0x01, 0x00, 0x83, 0x02, 0x41, 0x7F, 0x07,
    0xC1, 0x03, 0x7F, 0x08, 0x02, 0x12, 0xC1, 0x00, 0x03, 0xC1, 0x01, 0x00, 0x87, 0x02,
    0x41, 0x7F, 0x07, 0x61, 0x01, 0x36, 0x01, 0xC1, 0x03, 0x7F,
};

/* The Device instance as typed records (type per resource). */
typedef struct {
    tether_lwm2m_path p;
    tether_lwm2m_value v;
} rec;

static size_t device_records(rec *out)
{
    size_t n = 0;
#define ADD(path, val) (out[n].p = (path), out[n].v = (val), n++)
    ADD(P(3, 3, 0, 0, 0), tether_lwm2m_value_cstr("Open Mobile Alliance"));
    ADD(P(3, 3, 0, 1, 0), tether_lwm2m_value_cstr("Lightweight M2M Client"));
    ADD(P(3, 3, 0, 2, 0), tether_lwm2m_value_cstr("345000123"));
    ADD(P(3, 3, 0, 3, 0), tether_lwm2m_value_cstr("1.0"));
    ADD(P(4, 3, 0, 6, 0), tether_lwm2m_value_int(1));
    ADD(P(4, 3, 0, 6, 1), tether_lwm2m_value_int(5));
    ADD(P(4, 3, 0, 7, 0), tether_lwm2m_value_int(3800));
    ADD(P(4, 3, 0, 7, 1), tether_lwm2m_value_int(5000));
    ADD(P(4, 3, 0, 8, 0), tether_lwm2m_value_int(125));
    ADD(P(4, 3, 0, 8, 1), tether_lwm2m_value_int(900));
    ADD(P(3, 3, 0, 9, 0), tether_lwm2m_value_int(100));
    ADD(P(3, 3, 0, 10, 0), tether_lwm2m_value_int(15));
    ADD(P(4, 3, 0, 11, 0), tether_lwm2m_value_int(0));
    ADD(P(3, 3, 0, 13, 0), tether_lwm2m_value_time(1367491215));
    ADD(P(3, 3, 0, 14, 0), tether_lwm2m_value_cstr("+02:00"));
    ADD(P(3, 3, 0, 16, 0), tether_lwm2m_value_cstr("U"));
#undef ADD
    return n;
}

static void test_fmt_find(void **state)
{
    static const uint32_t cts[] = {0, 42, 60, 110, 112, 11542, 11543};
    (void)state;
    for (size_t i = 0; i < sizeof(cts) / sizeof(cts[0]); i++) {
        const tether_lwm2m_fmt *f = tether_lwm2m_fmt_find(cts[i]);
        assert_non_null(f);
        assert_int_equal(f->ct, cts[i]);
        assert_non_null(f->name);
        assert_true(f->flags & TETHER_LWM2M_FMT_ENCODE || cts[i] == 60 || cts[i] == 112);
    }
    assert_ptr_equal(tether_lwm2m_fmt_find(1542), tether_lwm2m_fmt_find(11542));
    assert_ptr_equal(tether_lwm2m_fmt_find(1543), tether_lwm2m_fmt_find(11543));
    assert_int_equal(tether_lwm2m_fmt_find(1543)->ct, 11543);
    assert_null(tether_lwm2m_fmt_find(40));
    assert_null(tether_lwm2m_fmt_find(50));
    assert_null(tether_lwm2m_fmt_find(65536 + 42));
    assert_true(tether_lwm2m_fmt_find(11542)->flags & TETHER_LWM2M_FMT_MULTI);
    assert_false(tether_lwm2m_fmt_find(11542)->flags & TETHER_LWM2M_FMT_TYPED);
    assert_true(tether_lwm2m_fmt_find(110)->flags & TETHER_LWM2M_FMT_TIMED);
    assert_false(tether_lwm2m_fmt_find(0)->flags & TETHER_LWM2M_FMT_MULTI);
}

/* Read /3/0 answered in TLV: full paths, raw values decoded by type. */
static void test_fmt_tlv_device_instance(void **state)
{
    tether_lwm2m_path base = P(2, 3, 0, 0, 0);
    tether_lwm2m_dec d;
    tether_lwm2m_record r;
    tether_lwm2m_value v;
    rec want[16];
    size_t n = device_records(want);
    (void)state;
    assert_int_equal(tether_lwm2m_dec_init(&d, 11542, &base, device_0, sizeof(device_0), NULL), 0);
    assert_int_equal(tether_lwm2m_dec_count(&d), n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(tether_lwm2m_dec_next(&d, &r), 0);
        assert_true(tether_lwm2m_path_equal(&r.path, &want[i].p));
        assert_int_equal(r.raw, TETHER_LWM2M_RAW_TLV);
        assert_int_equal(tether_lwm2m_record_value(&r, want[i].v.type, NULL, 0, &v), 0);
        assert_int_equal(v.type, want[i].v.type);
        if (v.type == TETHER_LWM2M_STRING)
            assert_memory_equal(v.bytes.ptr, want[i].v.bytes.ptr, v.bytes.len);
        else
            assert_true(v.i == want[i].v.i);
    }
    assert_int_equal(tether_lwm2m_dec_next(&d, &r), TETHER_ERR_NOT_FOUND);
    /* The same payload wrapped in its instance answers for /3 and /3/0. */
    {
        uint8_t wrapped[3 + sizeof(device_0)] = {0x08, 0x00, 0x79};
        memcpy(wrapped + 3, device_0, sizeof(device_0));
        base = P(1, 3, 0, 0, 0);
        assert_int_equal(tether_lwm2m_dec_init(&d, 11542, &base, wrapped, sizeof(wrapped), NULL),
                         0);
        assert_int_equal(tether_lwm2m_dec_count(&d), n);
        assert_int_equal(tether_lwm2m_dec_next(&d, &r), 0);
        assert_path(&r, "/3/0/0");
        base = P(2, 3, 0, 0, 0);
        assert_int_equal(tether_lwm2m_dec_init(&d, 1542, &base, wrapped, sizeof(wrapped), NULL),
                         0);
        /* ...but not for /3/1: the instance id disagrees. */
        base = P(2, 3, 1, 0, 0);
        assert_int_equal(tether_lwm2m_dec_init(&d, 11542, &base, wrapped, sizeof(wrapped), NULL),
                         TETHER_ERR_MALFORMED);
    }
    /* Resources at the top of a payload for /3 have no instance. */
    base = P(1, 3, 0, 0, 0);
    assert_int_equal(tether_lwm2m_dec_init(&d, 11542, &base, device_0, sizeof(device_0), NULL),
                     TETHER_ERR_MALFORMED);
    /* A TLV payload cannot answer for the root. */
    assert_int_equal(tether_lwm2m_dec_init(&d, 11542, NULL, device_0, sizeof(device_0), NULL),
                     TETHER_ERR_MALFORMED);
}

static void test_fmt_tlv_instances_and_multiple_resources(void **state)
{
    static const uint8_t direct[] = {0x41, 0x00, 0x01, 0x41, 0x01, 0x05};
    static const uint8_t wrapped[] = {0x86, 0x06, 0x41, 0x00, 0x01, 0x41, 0x01, 0x05};
    static const uint8_t empties[] = {0x00, 0x05, 0x02, 0x06, 0x80, 0x07};
    static const char *acl[] = {"/2/0/0", "/2/0/1", "/2/0/2/127", "/2/0/3",
                                "/2/2/0", "/2/2/1", "/2/2/2/127", "/2/2/2/310", "/2/2/3"};
    tether_lwm2m_path base = P(1, 2, 0, 0, 0);
    tether_lwm2m_dec d;
    tether_lwm2m_record r;
    tether_lwm2m_value v;
    (void)state;
    assert_int_equal(tether_lwm2m_dec_init(&d, 11542, &base, acl_two, sizeof(acl_two), NULL), 0);
    for (size_t i = 0; i < sizeof(acl) / sizeof(acl[0]); i++) {
        assert_int_equal(tether_lwm2m_dec_next(&d, &r), 0);
        assert_path(&r, acl[i]);
    }
    assert_int_equal(tether_lwm2m_record_value(&r, TETHER_LWM2M_INTEGER, NULL, 0, &v), 0);
    assert_int_equal(v.i, 127);
    /* /3/0/6 answered with resource instances alone or in their resource. */
    base = P(3, 3, 0, 6, 0);
    for (int k = 0; k < 2; k++) {
        const uint8_t *pl = k ? wrapped : direct;
        size_t n = k ? sizeof(wrapped) : sizeof(direct);
        assert_int_equal(tether_lwm2m_dec_init(&d, 11542, &base, pl, n, NULL), 0);
        assert_int_equal(tether_lwm2m_dec_next(&d, &r), 0);
        assert_path(&r, "/3/0/6/0");
        assert_int_equal(tether_lwm2m_dec_next(&d, &r), 0);
        assert_path(&r, "/3/0/6/1");
        assert_int_equal(tether_lwm2m_record_value(&r, TETHER_LWM2M_INTEGER, NULL, 0, &v), 0);
        assert_int_equal(v.i, 5);
    }
    /* ...but not for /3/0/7, nor /3/0/6/1 (the instance 0 is outside). */
    base = P(3, 3, 0, 7, 0);
    assert_int_equal(tether_lwm2m_dec_init(&d, 11542, &base, wrapped, sizeof(wrapped), NULL),
                     TETHER_ERR_MALFORMED);
    base = P(4, 3, 0, 6, 1);
    assert_int_equal(tether_lwm2m_dec_init(&d, 11542, &base, wrapped, sizeof(wrapped), NULL),
                     TETHER_ERR_MALFORMED);
    /* Empty containers are records without a value: instance 5 of /3 is
     * empty; instance 6 has an empty multiple resource 7. */
    base = P(1, 3, 0, 0, 0);
    assert_int_equal(tether_lwm2m_dec_init(&d, 11542, &base, empties, sizeof(empties), NULL), 0);
    assert_int_equal(tether_lwm2m_dec_count(&d), 2);
    assert_int_equal(tether_lwm2m_dec_next(&d, &r), 0);
    assert_path(&r, "/3/5");
    assert_int_equal(r.value.type, TETHER_LWM2M_NONE);
    assert_int_equal(r.raw, TETHER_LWM2M_RAW_NONE);
    assert_int_equal(tether_lwm2m_dec_next(&d, &r), 0);
    assert_path(&r, "/3/6/7");
    assert_int_equal(r.value.type, TETHER_LWM2M_NONE);
    assert_int_equal(tether_lwm2m_record_value(&r, TETHER_LWM2M_INTEGER, NULL, 0, &v),
                     TETHER_ERR_MALFORMED);
    /* A single resource answering for itself (C1 09 64 in the example),
     * and a malformed TLV. */
    assert_memory_equal(device_0 + 93, "\xC1\x09\x64", 3);
    base = P(3, 3, 0, 9, 0);
    assert_int_equal(tether_lwm2m_dec_init(&d, 11542, &base, device_0 + 93, 3, NULL), 0);
    assert_int_equal(tether_lwm2m_dec_next(&d, &r), 0);
    assert_path(&r, "/3/0/9");
    assert_int_equal(tether_lwm2m_dec_init(&d, 11542, &base, device_0, 5, NULL),
                     TETHER_ERR_MALFORMED);
}

static void test_fmt_single_value_formats(void **state)
{
    tether_lwm2m_path base = P(3, 3, 0, 9, 0), obj = P(2, 3, 0, 0, 0);
    static const uint8_t cbor_1000[] = {0x19, 0x03, 0xe8};
    tether_lwm2m_dec d;
    tether_lwm2m_record r;
    tether_lwm2m_value v;
    (void)state;
    assert_int_equal(tether_lwm2m_dec_init(&d, 0, &base, (const uint8_t *)"100", 3, NULL), 0);
    assert_int_equal(tether_lwm2m_dec_count(&d), 1);
    assert_int_equal(tether_lwm2m_dec_next(&d, &r), 0);
    assert_path(&r, "/3/0/9");
    assert_int_equal(r.raw, TETHER_LWM2M_RAW_TEXT);
    assert_int_equal(tether_lwm2m_record_value(&r, TETHER_LWM2M_INTEGER, NULL, 0, &v), 0);
    assert_int_equal(v.i, 100);
    assert_int_equal(tether_lwm2m_record_value(&r, TETHER_LWM2M_FLOAT, NULL, 0, &v), 0);
    assert_true(v.f == 100.0);
    assert_int_equal(tether_lwm2m_record_value(&r, TETHER_LWM2M_BOOLEAN, NULL, 0, &v),
                     TETHER_ERR_MALFORMED);
    assert_int_equal(tether_lwm2m_record_value(&r, TETHER_LWM2M_OPAQUE, NULL, 0, &v),
                     TETHER_ERR_UNSUPPORTED);
    assert_int_equal(tether_lwm2m_dec_next(&d, &r), TETHER_ERR_NOT_FOUND);
    /* An empty text payload is an empty string. */
    assert_int_equal(tether_lwm2m_dec_init(&d, 0, &base, NULL, 0, NULL), 0);
    assert_int_equal(tether_lwm2m_dec_next(&d, &r), 0);
    assert_int_equal(tether_lwm2m_record_value(&r, TETHER_LWM2M_STRING, NULL, 0, &v), 0);
    assert_int_equal(v.bytes.len, 0);
    /* Octet-stream: opaque only. */
    assert_int_equal(tether_lwm2m_dec_init(&d, 42, &base, (const uint8_t *)"\x00\x01", 2, NULL),
                     0);
    assert_int_equal(tether_lwm2m_dec_next(&d, &r), 0);
    assert_int_equal(r.raw, TETHER_LWM2M_RAW_OPAQUE);
    assert_int_equal(tether_lwm2m_record_value(&r, TETHER_LWM2M_OPAQUE, NULL, 0, &v), 0);
    assert_int_equal(v.bytes.len, 2);
    assert_int_equal(tether_lwm2m_record_value(&r, TETHER_LWM2M_STRING, NULL, 0, &v),
                     TETHER_ERR_UNSUPPORTED);
    /* CBOR: typed. */
    if (have(60, TETHER_LWM2M_FMT_DECODE)) {
        assert_int_equal(tether_lwm2m_dec_init(&d, 60, &base, cbor_1000, 3, NULL), 0);
        assert_int_equal(tether_lwm2m_dec_next(&d, &r), 0);
        assert_int_equal(r.raw, TETHER_LWM2M_RAW_NONE);
        assert_int_equal(r.value.type, TETHER_LWM2M_INTEGER);
        assert_int_equal(tether_lwm2m_record_value(&r, TETHER_LWM2M_UNSIGNED, NULL, 0, &v), 0);
        assert_true(v.u == 1000);
        assert_int_equal(tether_lwm2m_dec_init(&d, 60, &base, cbor_1000, 2, NULL),
                         TETHER_ERR_MALFORMED);
        assert_int_equal(tether_lwm2m_dec_init(&d, 60, &obj, cbor_1000, 3, NULL),
                         TETHER_ERR_MALFORMED);
    }
    /* One value cannot answer for an object instance. */
    assert_int_equal(tether_lwm2m_dec_init(&d, 0, &obj, (const uint8_t *)"1", 1, NULL),
                     TETHER_ERR_MALFORMED);
    assert_int_equal(tether_lwm2m_dec_init(&d, 42, &obj, (const uint8_t *)"1", 1, NULL),
                     TETHER_ERR_MALFORMED);
}

static void test_fmt_named_formats_check_the_base(void **state)
{
    static const char json[] = "{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"0\",\"sv\":\"x\"}]}";
    static const char senml[] = "[{\"bn\":\"/3/0/\",\"n\":\"0\",\"vs\":\"x\"},"
                                "{\"n\":\"/1/0/1\",\"v\":1}]";
    tether_lwm2m_path inst = P(2, 3, 0, 0, 0), other = P(2, 3, 1, 0, 0);
    tether_lwm2m_dec d;
    tether_lwm2m_record r;
    tether_lwm2m_path bad = P(1, 65535, 0, 0, 0);
    (void)state;
    if (!have(11543, TETHER_LWM2M_FMT_DECODE))
        skip();
    assert_int_equal(tether_lwm2m_dec_init(&d, 11543, &inst, (const uint8_t *)json,
                                           sizeof(json) - 1, &ws),
                     0);
    assert_int_equal(tether_lwm2m_dec_next(&d, &r), 0);
    assert_path(&r, "/3/0/0");
    assert_int_equal(tether_lwm2m_dec_init(&d, 1543, &inst, (const uint8_t *)json,
                                           sizeof(json) - 1, &ws),
                     0);
    assert_int_equal(tether_lwm2m_dec_init(&d, 11543, NULL, (const uint8_t *)json,
                                           sizeof(json) - 1, &ws),
                     0);
    /* A record outside the request path is refused. */
    assert_int_equal(tether_lwm2m_dec_init(&d, 11543, &other, (const uint8_t *)json,
                                           sizeof(json) - 1, &ws),
                     TETHER_ERR_MALFORMED);
    /* "/3/0/" + "/1/0/1" is no path either. */
    assert_int_equal(tether_lwm2m_dec_init(&d, 110, NULL, (const uint8_t *)senml,
                                           sizeof(senml) - 1, &ws),
                     TETHER_ERR_MALFORMED);
    /* No workspace: no tokens. */
    assert_int_equal(tether_lwm2m_dec_init(&d, 11543, &inst, (const uint8_t *)json,
                                           sizeof(json) - 1, NULL),
                     TETHER_ERR_TOO_LARGE);
    /* Not record formats, bad arguments. */
    assert_int_equal(tether_lwm2m_dec_init(&d, 40, &inst, (const uint8_t *)"</1>", 4, NULL),
                     TETHER_ERR_UNSUPPORTED);
    assert_int_equal(tether_lwm2m_dec_init(&d, 11543, &bad, (const uint8_t *)json,
                                           sizeof(json) - 1, &ws),
                     TETHER_ERR_INVAL);
    assert_int_equal(tether_lwm2m_dec_init(NULL, 0, &inst, NULL, 0, NULL), TETHER_ERR_INVAL);
    assert_int_equal(tether_lwm2m_dec_init(&d, 0, &inst, NULL, 1, NULL), TETHER_ERR_INVAL);
}

/* The generic encoder shapes TLV from paths: the TS examples come out. */
static void test_fmt_tlv_encoder_shapes(void **state)
{
    static const uint8_t multi[] = {0x86, 0x06, 0x41, 0x00, 0x01, 0x41, 0x01, 0x05};
    tether_lwm2m_path inst = P(2, 3, 0, 0, 0), obj = P(1, 3, 0, 0, 0);
    tether_lwm2m_enc e;
    rec recs[16];
    size_t n = device_records(recs), len;
    uint8_t out[256];
    (void)state;
    /* Read /3/0: resources. */
    assert_int_equal(tether_lwm2m_enc_init(&e, 11542, &inst, out, sizeof(out)), 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(tether_lwm2m_enc_write(&e, &recs[i].p, &recs[i].v), 0);
    assert_int_equal(tether_lwm2m_enc_finish(&e, &len), 0);
    assert_int_equal(len, sizeof(device_0));
    assert_memory_equal(out, device_0, len);
    /* Read /3: the same, in its instance. */
    assert_int_equal(tether_lwm2m_enc_init(&e, 1542, &obj, out, sizeof(out)), 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(tether_lwm2m_enc_write(&e, &recs[i].p, &recs[i].v), 0);
    assert_int_equal(tether_lwm2m_enc_finish(&e, &len), 0);
    assert_int_equal(len, sizeof(device_0) + 3);
    assert_memory_equal(out, "\x08\x00\x79", 3);
    assert_memory_equal(out + 3, device_0, sizeof(device_0));
    /* Read /3/0/6: a multiple resource; Read /3/0/6/1: one instance. */
    {
        tether_lwm2m_path res = P(3, 3, 0, 6, 0), ri = P(4, 3, 0, 6, 1);
        assert_int_equal(tether_lwm2m_enc_init(&e, 11542, &res, out, sizeof(out)), 0);
        assert_int_equal(tether_lwm2m_enc_write(&e, &recs[4].p, &recs[4].v), 0);
        assert_int_equal(tether_lwm2m_enc_write(&e, &recs[5].p, &recs[5].v), 0);
        assert_int_equal(tether_lwm2m_enc_finish(&e, &len), 0);
        assert_int_equal(len, sizeof(multi));
        assert_memory_equal(out, multi, len);
        assert_int_equal(tether_lwm2m_enc_init(&e, 11542, &ri, out, sizeof(out)), 0);
        assert_int_equal(tether_lwm2m_enc_write(&e, &recs[5].p, &recs[5].v), 0);
        assert_int_equal(tether_lwm2m_enc_finish(&e, &len), 0);
        assert_int_equal(len, 3);
        assert_memory_equal(out, "\x41\x01\x05", 3);
    }
}

static void test_fmt_tlv_encoder_acl_and_empties(void **state)
{
    tether_lwm2m_path obj = P(1, 2, 0, 0, 0);
    const rec acl[] = {
        {P(3, 2, 0, 0, 0), tether_lwm2m_value_int(1)},
        {P(3, 2, 0, 1, 0), tether_lwm2m_value_int(0)},
        {P(4, 2, 0, 2, 127), tether_lwm2m_value_int(7)},
        {P(3, 2, 0, 3, 0), tether_lwm2m_value_int(127)},
        {P(3, 2, 2, 0, 0), tether_lwm2m_value_int(3)},
        {P(3, 2, 2, 1, 0), tether_lwm2m_value_int(0)},
        {P(4, 2, 2, 2, 127), tether_lwm2m_value_int(7)},
        {P(4, 2, 2, 2, 310), tether_lwm2m_value_int(1)},
        {P(3, 2, 2, 3, 0), tether_lwm2m_value_int(127)},
    };
    tether_lwm2m_value none;
    tether_lwm2m_enc e;
    tether_lwm2m_path p5 = P(2, 3, 5, 0, 0), p67 = P(3, 3, 6, 7, 0), obj3 = P(1, 3, 0, 0, 0);
    uint8_t out[128];
    size_t len;
    (void)state;
    memset(&none, 0, sizeof(none));
    assert_int_equal(tether_lwm2m_enc_init(&e, 11542, &obj, out, sizeof(out)), 0);
    for (size_t i = 0; i < sizeof(acl) / sizeof(acl[0]); i++)
        assert_int_equal(tether_lwm2m_enc_write(&e, &acl[i].p, &acl[i].v), 0);
    assert_int_equal(tether_lwm2m_enc_finish(&e, &len), 0);
    assert_int_equal(len, sizeof(acl_two));
    assert_memory_equal(out, acl_two, len);
    /* Empty instance, empty multiple resource: what the decoder reads. */
    assert_int_equal(tether_lwm2m_enc_init(&e, 11542, &obj3, out, sizeof(out)), 0);
    assert_int_equal(tether_lwm2m_enc_write(&e, &p5, &none), 0);
    assert_int_equal(tether_lwm2m_enc_write(&e, &p67, &none), 0);
    assert_int_equal(tether_lwm2m_enc_finish(&e, &len), 0);
    assert_int_equal(len, 6);
    assert_memory_equal(out, "\x00\x05\x02\x06\x80\x07", 6);
}

static void test_fmt_encoder_errors(void **state)
{
    tether_lwm2m_path inst = P(2, 3, 0, 0, 0), res = P(3, 3, 0, 9, 0), r0 = P(3, 3, 0, 0, 0);
    tether_lwm2m_path ri = P(4, 3, 0, 6, 0), other = P(3, 3, 1, 0, 0), bad = P(3, 3, 0, 65535, 0);
    tether_lwm2m_value i1 = tether_lwm2m_value_int(1), none, op = tether_lwm2m_value_opaque("a", 1);
    tether_lwm2m_enc e;
    uint8_t out[64];
    size_t len;
    (void)state;
    memset(&none, 0, sizeof(none));
    /* TLV: order, times, paths outside, values where none may be. */
    assert_int_equal(tether_lwm2m_enc_init(&e, 11542, &inst, out, sizeof(out)), 0);
    assert_int_equal(tether_lwm2m_enc_write(&e, &res, &i1), 0);
    assert_int_equal(tether_lwm2m_enc_write(&e, &r0, &i1), TETHER_ERR_STATE);
    assert_int_equal(tether_lwm2m_enc_finish(&e, &len), TETHER_ERR_STATE);
    assert_int_equal(tether_lwm2m_enc_init(&e, 11542, &inst, out, sizeof(out)), 0);
    assert_int_equal(tether_lwm2m_enc_write(&e, &r0, &none), 0); /* empty multiple resource */
    ri.ids[2] = 0;
    assert_int_equal(tether_lwm2m_enc_write(&e, &ri, &i1), TETHER_ERR_STATE);
    assert_int_equal(tether_lwm2m_enc_init(&e, 11542, &inst, out, sizeof(out)), 0);
    assert_int_equal(tether_lwm2m_enc_write_timed(&e, &res, &i1, 5.0), TETHER_ERR_UNSUPPORTED);
    assert_int_equal(tether_lwm2m_enc_init(&e, 11542, &inst, out, sizeof(out)), 0);
    assert_int_equal(tether_lwm2m_enc_write(&e, &other, &i1), TETHER_ERR_INVAL);
    assert_int_equal(tether_lwm2m_enc_init(&e, 11542, &inst, out, sizeof(out)), 0);
    assert_int_equal(tether_lwm2m_enc_write(&e, &inst, &none), TETHER_ERR_INVAL);
    assert_int_equal(tether_lwm2m_enc_init(&e, 11542, &inst, out, sizeof(out)), 0);
    assert_int_equal(tether_lwm2m_enc_write(&e, &bad, &i1), TETHER_ERR_INVAL);
    assert_int_equal(tether_lwm2m_enc_init(&e, 11542, NULL, out, sizeof(out)), TETHER_ERR_INVAL);
    /* Single-value formats: one record, at the base. */
    assert_int_equal(tether_lwm2m_enc_init(&e, 0, &res, out, sizeof(out)), 0);
    assert_int_equal(tether_lwm2m_enc_write(&e, &res, &i1), 0);
    assert_int_equal(tether_lwm2m_enc_write(&e, &res, &i1), TETHER_ERR_STATE);
    assert_int_equal(tether_lwm2m_enc_init(&e, 0, &res, out, sizeof(out)), 0);
    assert_int_equal(tether_lwm2m_enc_finish(&e, &len), TETHER_ERR_STATE);
    assert_int_equal(tether_lwm2m_enc_init(&e, 0, &res, out, sizeof(out)), 0);
    assert_int_equal(tether_lwm2m_enc_write(&e, &r0, &i1), TETHER_ERR_INVAL);
    assert_int_equal(tether_lwm2m_enc_init(&e, 0, &res, out, sizeof(out)), 0);
    assert_int_equal(tether_lwm2m_enc_write(&e, &res, &op), TETHER_ERR_UNSUPPORTED);
    assert_int_equal(tether_lwm2m_enc_init(&e, 0, &res, out, 0), 0);
    assert_int_equal(tether_lwm2m_enc_write(&e, &res, &i1), TETHER_ERR_NOSPACE);
    assert_int_equal(tether_lwm2m_enc_init(&e, 0, &res, out, sizeof(out)), 0);
    assert_int_equal(tether_lwm2m_enc_write_timed(&e, &res, &i1, 1.0), TETHER_ERR_UNSUPPORTED);
    assert_int_equal(tether_lwm2m_enc_init(&e, 0, &inst, out, sizeof(out)), TETHER_ERR_INVAL);
    assert_int_equal(tether_lwm2m_enc_write(&e, &res, &i1), TETHER_ERR_INVAL);
    assert_int_equal(tether_lwm2m_enc_init(&e, 42, &res, out, sizeof(out)), 0);
    assert_int_equal(tether_lwm2m_enc_write(&e, &res, &i1), TETHER_ERR_UNSUPPORTED);
    assert_int_equal(tether_lwm2m_enc_init(&e, 42, &res, out, sizeof(out)), 0);
    assert_int_equal(tether_lwm2m_enc_write(&e, &res, &op), 0);
    assert_int_equal(tether_lwm2m_enc_finish(&e, &len), 0);
    assert_int_equal(len, 1);
    assert_int_equal(out[0], 'a');
    /* Not a record format: every later call says so. */
    assert_int_equal(tether_lwm2m_enc_init(&e, 40, &res, out, sizeof(out)),
                     TETHER_ERR_UNSUPPORTED);
    assert_int_equal(tether_lwm2m_enc_write(&e, &res, &i1), TETHER_ERR_UNSUPPORTED);
    assert_int_equal(tether_lwm2m_enc_finish(&e, &len), TETHER_ERR_UNSUPPORTED);
}

/* One Device instance through every multi-record format: encoded under
 * /3/0, decoded back through the generic decoder, read by resource type. */
static void test_fmt_every_format_round_trip(void **state)
{
    static const uint32_t cts[] = {11542, 11543, 110, 112};
    tether_lwm2m_path inst = P(2, 3, 0, 0, 0);
    rec recs[16];
    size_t n = device_records(recs);
    (void)state;
    for (size_t k = 0; k < sizeof(cts) / sizeof(cts[0]); k++) {
        tether_lwm2m_enc e;
        tether_lwm2m_dec d;
        tether_lwm2m_record r;
        uint8_t out[512];
        size_t len;
        if (!have(cts[k], TETHER_LWM2M_FMT_DECODE) || !have(cts[k], TETHER_LWM2M_FMT_ENCODE))
            continue;
        assert_int_equal(tether_lwm2m_enc_init(&e, cts[k], &inst, out, sizeof(out)), 0);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(tether_lwm2m_enc_write(&e, &recs[i].p, &recs[i].v), 0);
        assert_int_equal(tether_lwm2m_enc_finish(&e, &len), 0);
        assert_int_equal(tether_lwm2m_dec_init(&d, cts[k], &inst, out, len, &ws), 0);
        assert_int_equal(tether_lwm2m_dec_count(&d), n);
        for (size_t i = 0; i < n; i++) {
            tether_lwm2m_value v;
            assert_int_equal(tether_lwm2m_dec_next(&d, &r), 0);
            assert_true(tether_lwm2m_path_equal(&r.path, &recs[i].p));
            assert_int_equal(tether_lwm2m_record_value(&r, recs[i].v.type, scratch,
                                                       sizeof(scratch), &v),
                             0);
            if (v.type == TETHER_LWM2M_STRING) {
                assert_int_equal(v.bytes.len, recs[i].v.bytes.len);
                assert_memory_equal(v.bytes.ptr, recs[i].v.bytes.ptr, v.bytes.len);
            } else {
                assert_true(v.i == recs[i].v.i);
            }
        }
        assert_int_equal(tether_lwm2m_dec_next(&d, &r), TETHER_ERR_NOT_FOUND);
    }
}

/* Timed formats carry a time through the generic encoder. */
static void test_fmt_timed_round_trip(void **state)
{
    static const uint32_t cts[] = {11543, 110, 112};
    tether_lwm2m_path res = P(3, 3303, 0, 5700, 0);
    tether_lwm2m_value v = tether_lwm2m_value_float(-128.8);
    (void)state;
    for (size_t k = 0; k < sizeof(cts) / sizeof(cts[0]); k++) {
        tether_lwm2m_enc e;
        tether_lwm2m_dec d;
        tether_lwm2m_record r;
        uint8_t out[128];
        size_t len;
        if (!have(cts[k], TETHER_LWM2M_FMT_DECODE))
            continue;
        assert_int_equal(tether_lwm2m_enc_init(&e, cts[k], &res, out, sizeof(out)), 0);
        assert_int_equal(tether_lwm2m_enc_write_timed(&e, &res, &v, 1699877805.766), 0);
        assert_int_equal(tether_lwm2m_enc_write_timed(&e, &res, &v, 1699877805.867), 0);
        assert_int_equal(tether_lwm2m_enc_finish(&e, &len), 0);
        assert_int_equal(tether_lwm2m_dec_init(&d, cts[k], &res, out, len, &ws), 0);
        assert_int_equal(tether_lwm2m_dec_next(&d, &r), 0);
        assert_true(r.has_time && r.time == 1699877805.766);
        assert_true(r.value.f == -128.8);
        assert_int_equal(tether_lwm2m_dec_next(&d, &r), 0);
        assert_true(r.time == 1699877805.867);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fmt_find),
        cmocka_unit_test(test_fmt_tlv_device_instance),
        cmocka_unit_test(test_fmt_tlv_instances_and_multiple_resources),
        cmocka_unit_test(test_fmt_single_value_formats),
        cmocka_unit_test(test_fmt_named_formats_check_the_base),
        cmocka_unit_test(test_fmt_tlv_encoder_shapes),
        cmocka_unit_test(test_fmt_tlv_encoder_acl_and_empties),
        cmocka_unit_test(test_fmt_encoder_errors),
        cmocka_unit_test(test_fmt_every_format_round_trip),
        cmocka_unit_test(test_fmt_timed_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
