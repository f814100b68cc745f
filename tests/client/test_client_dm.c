/* SPDX-License-Identifier: Apache-2.0 */
/* Device management on the client (src/client/dm.c) over an application
 * object with every kind of resource, the Device object, and the Security
 * object that no management server may reach (R18). Not named test_dm.c:
 * tests/server/test_dm.c already names that CMake target. */
#include "client/client_harness.h"

/* --- an application object: /32769 "thing" ---------------------------------------- */

#define THING_MAX 4

typedef struct thing {
    int used;
    int64_t value;       /* 0: Integer RW */
    uint8_t blob[16];    /* 1: Opaque RW */
    size_t blob_len;
    int64_t list[3];     /* 2: Integer RW, multiple; instances 0..nlist-1 */
    int nlist;
    int executed;        /* 3: E */
    const char *name;    /* 4: String R */
    double ratio;        /* 5: Float RW */
} thing;

typedef struct things {
    thing t[THING_MAX];
    int fail_read;       /* make read of resource 0 answer this (negative) */
    int creates, removes;
} things;

static const tether_client_res_def thing_res[] = {
    {0, TETHER_LWM2M_OP_RW, TETHER_LWM2M_INTEGER, 0},
    {1, TETHER_LWM2M_OP_RW, TETHER_LWM2M_OPAQUE, 0},
    {2, TETHER_LWM2M_OP_RW, TETHER_LWM2M_INTEGER, 1},
    {3, TETHER_LWM2M_OP_E, TETHER_LWM2M_NONE, 0},
    {4, TETHER_LWM2M_OP_R, TETHER_LWM2M_STRING, 0},
    {5, TETHER_LWM2M_OP_RW, TETHER_LWM2M_FLOAT, 0},
};

static int32_t thing_next(void *user, int32_t prev)
{
    things *ts = user;
    for (int32_t i = prev + 1; i < THING_MAX; i++)
        if (ts->t[i].used)
            return i;
    return -1;
}

static int32_t thing_next_ri(void *user, uint16_t iid, uint16_t rid, int32_t prev)
{
    things *ts = user;
    (void)rid;
    return prev + 1 < ts->t[iid].nlist ? prev + 1 : -1;
}

static int thing_read(void *user, uint16_t iid, uint16_t rid, uint16_t riid,
                      tether_lwm2m_value *out)
{
    things *ts = user;
    thing *t = &ts->t[iid];

    switch (rid) {
    case 0:
        if (ts->fail_read)
            return ts->fail_read;
        *out = tether_lwm2m_value_int(t->value);
        return 0;
    case 1: *out = tether_lwm2m_value_opaque(t->blob, t->blob_len); return 0;
    case 2: *out = tether_lwm2m_value_int(t->list[riid]); return 0;
    case 4: *out = tether_lwm2m_value_cstr(t->name); return 0;
    case 5: *out = tether_lwm2m_value_float(t->ratio); return 0;
    }
    return TETHER_CLIENT_REFUSE(TETHER_COAP_NOT_FOUND);
}

static int thing_write(void *user, uint16_t iid, uint16_t rid, uint16_t riid,
                       const tether_lwm2m_value *v, int commit)
{
    things *ts = user;
    thing *t = &ts->t[iid];

    switch (rid) {
    case 0:
        if (v->i > 1000) /* the application's own range */
            return TETHER_CLIENT_REFUSE(TETHER_COAP_BAD_REQUEST);
        if (commit)
            t->value = v->i;
        return 0;
    case 1:
        if (v->bytes.len > sizeof(t->blob))
            return TETHER_CLIENT_REFUSE(TETHER_COAP_REQUEST_ENTITY_TOO_LARGE);
        if (commit) {
            memcpy(t->blob, v->bytes.ptr, v->bytes.len);
            t->blob_len = v->bytes.len;
        }
        return 0;
    case 2:
        if (riid >= 3)
            return TETHER_CLIENT_REFUSE(TETHER_COAP_BAD_REQUEST);
        if (commit) {
            t->list[riid] = v->i;
            if (riid >= t->nlist)
                t->nlist = riid + 1;
        }
        return 0;
    case 5:
        if (commit)
            t->ratio = v->f;
        return 0;
    }
    return TETHER_CLIENT_REFUSE(TETHER_COAP_METHOD_NOT_ALLOWED);
}

static int thing_execute(void *user, uint16_t iid, uint16_t rid, const uint8_t *arg, size_t len)
{
    things *ts = user;
    (void)rid;
    (void)arg;
    if (len > 0)
        return -77; /* not a CoAP code: the engine answers 5.00 */
    ts->t[iid].executed++;
    return 0;
}

static int thing_create(void *user, uint16_t iid)
{
    things *ts = user;
    if (iid >= THING_MAX)
        return TETHER_CLIENT_REFUSE(TETHER_COAP_BAD_REQUEST);
    memset(&ts->t[iid], 0, sizeof(ts->t[iid]));
    ts->t[iid].used = 1;
    ts->t[iid].name = "new";
    ts->creates++;
    return 0;
}

static int thing_remove(void *user, uint16_t iid)
{
    things *ts = user;
    ts->t[iid].used = 0;
    ts->removes++;
    return 0;
}

static const tether_client_object thing_obj = {
    .oid = 32769,
    .multi_instance = 1,
    .nres = sizeof(thing_res) / sizeof(thing_res[0]),
    .res = thing_res,
    .next_instance = thing_next,
    .next_res_instance = thing_next_ri,
    .read = thing_read,
    .write = thing_write,
    .execute = thing_execute,
    .create = thing_create,
    .remove = thing_remove,
};

/* A registered client with /32769/0 {value 42, blob 01 02, list [7, 300],
 * name "first", ratio 0.5}. */
static void setup(harness *h, things *ts)
{
    memset(ts, 0, sizeof(*ts));
    ts->t[0] = (thing){1, 42, {1, 2}, 2, {7, 300}, 2, 0, "first", 0.5};
    h_init_cfg(h, "dev1");
    h_init_client(h);
    h_add_server(h, 0, 1, 300, NULL);
    assert_int_equal(tether_client_add_object(h->c, h->now, &thing_obj, ts), 0);
    assert_int_equal(tether_client_start(h->c, h->now), 0);
    h_register(h, 0, "rd/s");
}

static void expect(harness *h, const h_req *r, uint8_t code, h_dgram *d)
{
    h_dgram local;
    char a[5], b[5];
    if (d == NULL)
        d = &local;
    h_request(h, 0, r, d);
    if (d->m.code != code)
        fail_msg("/%s: got %s, want %s", r->path, tether_coap_code_str(d->m.code, a),
                 tether_coap_code_str(code, b));
}

/* --- Read ------------------------------------------------------------------------------ */

static void test_dm_read_formats(void **state)
{
    harness h;
    things ts;
    h_dgram d;
    char buf[256];
    h_req r = {TETHER_COAP_GET, "32769/0/0", -1, -1, NULL, 0, NULL, 0};
    (void)state;

    setup(&h, &ts);
    expect(&h, &r, TETHER_COAP_CONTENT, &d);
    assert_string_equal(h_payload(&d, buf, sizeof(buf)), "42");
    r.path = "32769/0/5";
    expect(&h, &r, TETHER_COAP_CONTENT, &d);
    assert_string_equal(h_payload(&d, buf, sizeof(buf)), "0.5");
    r.path = "32769/0/4";
    expect(&h, &r, TETHER_COAP_CONTENT, &d);
    assert_string_equal(h_payload(&d, buf, sizeof(buf)), "first");

    /* Opaque: as octets by default, never as text. */
    r.path = "32769/0/1";
    expect(&h, &r, TETHER_COAP_CONTENT, &d);
    assert_int_equal(h_ct(&d), TETHER_FMT_OPAQUE);
    assert_int_equal(d.m.payload_len, 2);
    assert_memory_equal(d.m.payload, "\x01\x02", 2);
    r.accept = TETHER_FMT_TEXT;
    expect(&h, &r, TETHER_COAP_NOT_ACCEPTABLE, NULL);
    r.accept = TETHER_FMT_TLV;
    expect(&h, &r, TETHER_COAP_CONTENT, &d);
    assert_int_equal(d.m.payload_len, 4);
    assert_memory_equal(d.m.payload, "\xC2\x01\x01\x02", 4);

    /* Multiple resource: TLV only. */
    r.path = "32769/0/2";
    r.accept = -1;
    expect(&h, &r, TETHER_COAP_CONTENT, &d);
    assert_int_equal(h_ct(&d), TETHER_FMT_TLV);
    {
        static const uint8_t want[] = {0x87, 0x02, 0x41, 0x00, 0x07, 0x42, 0x01, 0x01, 0x2C};
        assert_int_equal(d.m.payload_len, sizeof(want));
        assert_memory_equal(d.m.payload, want, sizeof(want));
    }
    r.accept = TETHER_FMT_TEXT;
    expect(&h, &r, TETHER_COAP_NOT_ACCEPTABLE, NULL);
    /* One of its instances. */
    r.path = "32769/0/2/1";
    r.accept = -1;
    expect(&h, &r, TETHER_COAP_CONTENT, &d);
    assert_string_equal(h_payload(&d, buf, sizeof(buf)), "300");
    r.path = "32769/0/2/2";
    expect(&h, &r, TETHER_COAP_NOT_FOUND, NULL);

    /* Executable: not readable; instance read leaves it out. */
    r.path = "32769/0/3";
    expect(&h, &r, TETHER_COAP_METHOD_NOT_ALLOWED, NULL);
    r.path = "32769/0";
    expect(&h, &r, TETHER_COAP_CONTENT, &d);
    {
        tether_tlv_iter it;
        tether_tlv_entry e;
        uint16_t ids[8];
        int n = 0;
        tether_tlv_iter_init(&it, d.m.payload, d.m.payload_len);
        while (tether_tlv_next(&it, &e) == 0)
            ids[n++] = e.id;
        assert_int_equal(n, 5);
        assert_int_equal(ids[0], 0);
        assert_int_equal(ids[2], 2);
        assert_int_equal(ids[3], 4); /* no 3 */
    }
}

static void test_dm_handler_errors_become_codes(void **state)
{
    harness h;
    things ts;
    h_req r = {TETHER_COAP_GET, "32769/0/0", -1, -1, NULL, 0, NULL, 0};
    (void)state;

    setup(&h, &ts);
    ts.fail_read = TETHER_CLIENT_REFUSE(TETHER_COAP_SERVICE_UNAVAILABLE);
    expect(&h, &r, TETHER_COAP_SERVICE_UNAVAILABLE, NULL);
    ts.fail_read = -12345;
    expect(&h, &r, TETHER_COAP_INTERNAL_SERVER_ERROR, NULL);
    r.path = "32769/0";
    expect(&h, &r, TETHER_COAP_INTERNAL_SERVER_ERROR, NULL);
    ts.fail_read = 0;
    r.code = TETHER_COAP_POST;
    r.path = "32769/0/3";
    r.payload = "x";
    r.payload_len = 1;
    expect(&h, &r, TETHER_COAP_INTERNAL_SERVER_ERROR, NULL);
    assert_int_equal(ts.t[0].executed, 0);
}

/* --- Write ---------------------------------------------------------------------------- */

static void test_dm_write_resource_in_every_format(void **state)
{
    harness h;
    things ts;
    h_req r = {TETHER_COAP_PUT, "32769/0/0", TETHER_FMT_TEXT, -1, "-17", 3, NULL, 0};
    (void)state;

    setup(&h, &ts);
    expect(&h, &r, TETHER_COAP_CHANGED, NULL);
    assert_int_equal(ts.t[0].value, -17);
    r.ct = TETHER_FMT_TLV;
    r.payload = "\xC1\x00\x05";
    expect(&h, &r, TETHER_COAP_CHANGED, NULL);
    assert_int_equal(ts.t[0].value, 5);
    r.payload = "\xC1\x01\x05"; /* names resource 1 on the path of 0 */
    expect(&h, &r, TETHER_COAP_BAD_REQUEST, NULL);
    r.ct = -1; /* no Content-Format: text/plain */
    r.payload = "99";
    r.payload_len = 2;
    expect(&h, &r, TETHER_COAP_CHANGED, NULL);
    assert_int_equal(ts.t[0].value, 99);
    r.ct = TETHER_FMT_TEXT;
    r.payload = "1001"; /* the application's range */
    r.payload_len = 4;
    expect(&h, &r, TETHER_COAP_BAD_REQUEST, NULL);
    assert_int_equal(ts.t[0].value, 99);

    r.path = "32769/0/1";
    r.ct = TETHER_FMT_OPAQUE;
    r.payload = "\x00\xFF\x10";
    r.payload_len = 3;
    expect(&h, &r, TETHER_COAP_CHANGED, NULL);
    assert_int_equal(ts.t[0].blob_len, 3);
    assert_memory_equal(ts.t[0].blob, "\x00\xFF\x10", 3);
    r.ct = TETHER_FMT_TEXT;
    expect(&h, &r, TETHER_COAP_UNSUPPORTED_CONTENT_FORMAT, NULL);

    r.path = "32769/0/5";
    r.ct = TETHER_FMT_TEXT;
    r.payload = "2.25";
    r.payload_len = 4;
    expect(&h, &r, TETHER_COAP_CHANGED, NULL);
    assert_true(ts.t[0].ratio == 2.25);

    r.path = "32769/0/4"; /* read-only */
    expect(&h, &r, TETHER_COAP_METHOD_NOT_ALLOWED, NULL);
    r.path = "32769/0/2/0"; /* 1.0 writes no single resource instance */
    expect(&h, &r, TETHER_COAP_METHOD_NOT_ALLOWED, NULL);
}

static void test_dm_write_multiple_resource_and_instance(void **state)
{
    static const uint8_t list[] = {0x86, 0x02, 0x41, 0x00, 0x01, 0x41, 0x02, 0x03};
    static const uint8_t inst[] = {0xC1, 0x00, 0x0B, 0xC3, 0x01, 0xAA, 0xBB, 0xCC};
    static const uint8_t bad_int[] = {0xC3, 0x00, 0x01, 0x02, 0x03}; /* 3-byte Integer */
    harness h;
    things ts;
    h_req r = {TETHER_COAP_PUT, "32769/0/2", TETHER_FMT_TLV, -1, list, sizeof(list), NULL, 0};
    (void)state;

    setup(&h, &ts);
    expect(&h, &r, TETHER_COAP_CHANGED, NULL);
    assert_int_equal(ts.t[0].list[0], 1);
    assert_int_equal(ts.t[0].list[2], 3);
    assert_int_equal(ts.t[0].nlist, 3);
    r.ct = TETHER_FMT_TEXT;
    expect(&h, &r, TETHER_COAP_UNSUPPORTED_CONTENT_FORMAT, NULL);

    r.code = TETHER_COAP_POST;
    r.path = "32769/0";
    r.ct = TETHER_FMT_TLV;
    r.payload = inst;
    r.payload_len = sizeof(inst);
    expect(&h, &r, TETHER_COAP_CHANGED, NULL);
    assert_int_equal(ts.t[0].value, 11);
    assert_int_equal(ts.t[0].blob_len, 3);
    r.payload = bad_int;
    r.payload_len = sizeof(bad_int);
    expect(&h, &r, TETHER_COAP_BAD_REQUEST, NULL);
    assert_int_equal(ts.t[0].value, 11);
    r.path = "32769/3";
    expect(&h, &r, TETHER_COAP_NOT_FOUND, NULL);
    assert_int_equal(h_count_events(&h, TETHER_CLIENT_EV_WRITTEN), 2);
}

/* --- Execute, Create, Delete ----------------------------------------------------------- */

static void test_dm_execute(void **state)
{
    harness h;
    things ts;
    h_dgram d;
    (void)state;

    setup(&h, &ts);
    assert_int_equal(h_post(&h, "32769/0/3", -1, NULL, 0, &d), TETHER_COAP_CHANGED);
    assert_int_equal(ts.t[0].executed, 1);
    assert_int_equal(h_post(&h, "32769/0/0", -1, NULL, 0, &d), TETHER_COAP_METHOD_NOT_ALLOWED);
    assert_int_equal(h_post(&h, "32769/0/2/0", -1, NULL, 0, &d), TETHER_COAP_METHOD_NOT_ALLOWED);
    h_expect_none(&h);
}

static void test_dm_duplicate_request_runs_once(void **state)
{
    harness h;
    things ts;
    uint8_t req[] = {0x44, TETHER_COAP_POST, 0x77, 0x01, 1, 2, 3, 4,
                     0xB5, '3', '2', '7', '6', '9', 0x01, '0', 0x01, '3'};
    h_dgram a, b;
    (void)state;

    setup(&h, &ts);
    h_deliver(&h, 0, req, sizeof(req));
    h_expect(&h, &a);
    h_deliver(&h, 0, req, sizeof(req)); /* retransmitted by the server */
    h_expect(&h, &b);
    assert_int_equal(ts.t[0].executed, 1);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.buf, b.buf, a.len);
}

static void test_dm_create_and_delete(void **state)
{
    static const uint8_t values[] = {0xC1, 0x00, 0x03};
    static const uint8_t wrapped[] = {0x03, 0x02, 0xC1, 0x00, 0x04};
    static const uint8_t refused[] = {0xC2, 0x00, 0x03, 0xE9}; /* 1001 */
    harness h;
    things ts;
    h_dgram d;
    char buf[64];
    (void)state;

    setup(&h, &ts);
    /* Create with values, the client picks the id. */
    assert_int_equal(h_post(&h, "32769", TETHER_FMT_TLV, values, sizeof(values), &d),
                     TETHER_COAP_CREATED);
    assert_int_equal(tether_coap_path_string(&d.m, TETHER_COAP_OPT_LOCATION_PATH, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "32769/1");
    assert_true(ts.t[1].used);
    assert_int_equal(ts.t[1].value, 3);
    /* The object list changed: an Update tells the server. */
    h_expect(&h, &d);
    h_assert_request(&d, TETHER_COAP_POST, "rd/s", "", "</1/0>,</3/0>,</32769/0>,</32769/1>");
    h_answer(&h, 0, &d, TETHER_COAP_CHANGED, NULL);

    /* Create with an instance id of the server's choice. */
    assert_int_equal(h_post(&h, "32769", TETHER_FMT_TLV, wrapped, sizeof(wrapped), &d),
                     TETHER_COAP_CREATED);
    assert_int_equal(tether_coap_path_string(&d.m, TETHER_COAP_OPT_LOCATION_PATH, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "32769/2");
    assert_int_equal(ts.t[2].value, 4);
    h_expect(&h, &d);
    h_answer(&h, 0, &d, TETHER_COAP_CHANGED, NULL);
    /* An id that exists, a refused value: nothing created. */
    assert_int_equal(h_post(&h, "32769", TETHER_FMT_TLV, wrapped, sizeof(wrapped), &d),
                     TETHER_COAP_BAD_REQUEST);
    assert_int_equal(h_post(&h, "32769", TETHER_FMT_TLV, refused, sizeof(refused), &d),
                     TETHER_COAP_BAD_REQUEST);
    assert_false(ts.t[3].used);
    assert_int_equal(h_post(&h, "32769", TETHER_FMT_TEXT, "1", 1, &d),
                     TETHER_COAP_UNSUPPORTED_CONTENT_FORMAT);
    h_expect_none(&h);
    /* Create with nothing: an empty instance. */
    assert_int_equal(h_post(&h, "32769", -1, NULL, 0, &d), TETHER_COAP_CREATED);
    assert_true(ts.t[3].used);
    h_expect(&h, &d);
    h_answer(&h, 0, &d, TETHER_COAP_CHANGED, NULL);

    /* Delete. */
    assert_int_equal(h_method(&h, TETHER_COAP_DELETE, "32769/1", &d), TETHER_COAP_DELETED);
    assert_false(ts.t[1].used);
    h_expect(&h, &d);
    h_assert_request(&d, TETHER_COAP_POST, "rd/s", "", "</1/0>,</3/0>,</32769/0>,</32769/2>,</32769/3>");
    assert_int_equal(h_method(&h, TETHER_COAP_DELETE, "32769/1", &d), TETHER_COAP_NOT_FOUND);
    assert_int_equal(h_method(&h, TETHER_COAP_DELETE, "32769", &d), TETHER_COAP_METHOD_NOT_ALLOWED);
    assert_int_equal(h_method(&h, TETHER_COAP_DELETE, "32769/0/0", &d), TETHER_COAP_METHOD_NOT_ALLOWED);
    assert_int_equal(h_method(&h, TETHER_COAP_DELETE, "3/0", &d), TETHER_COAP_METHOD_NOT_ALLOWED);
    assert_int_equal(h_post(&h, "3", TETHER_FMT_TLV, values, sizeof(values), &d),
                     TETHER_COAP_METHOD_NOT_ALLOWED);
}

/* --- Discover ------------------------------------------------------------------------------ */

static void test_dm_discover(void **state)
{
    harness h;
    things ts;
    h_dgram d;
    char buf[512];
    (void)state;

    setup(&h, &ts);
    assert_int_equal(h_get(&h, "32769/0", TETHER_FMT_LINK, &d), TETHER_COAP_CONTENT);
    assert_string_equal(h_payload(&d, buf, sizeof(buf)),
                        "</32769/0>,</32769/0/0>,</32769/0/1>,</32769/0/2>;dim=2,</32769/0/3>,"
                        "</32769/0/4>,</32769/0/5>");
    assert_int_equal(h_get(&h, "32769/0/2", TETHER_FMT_LINK, &d), TETHER_COAP_CONTENT);
    assert_string_equal(h_payload(&d, buf, sizeof(buf)), "</32769/0/2>;dim=2");
    assert_int_equal(h_get(&h, "3", TETHER_FMT_LINK, &d), TETHER_COAP_CONTENT);
    assert_string_equal(h_payload(&d, buf, sizeof(buf)),
                        "</3>,</3/0>,</3/0/0>,</3/0/1>,</3/0/4>,</3/0/11>;dim=1,</3/0/16>");
    assert_int_equal(h_get(&h, "", TETHER_FMT_LINK, &d), TETHER_COAP_METHOD_NOT_ALLOWED);
    assert_int_equal(h_get(&h, "32769/0/2/0", TETHER_FMT_LINK, &d), TETHER_COAP_METHOD_NOT_ALLOWED);
    assert_int_equal(h_get(&h, "", -1, &d), TETHER_COAP_METHOD_NOT_ALLOWED);
}

/* --- the Device object ------------------------------------------------------------------------ */

static void test_dm_device_object(void **state)
{
    harness h;
    things ts;
    h_dgram d;
    char buf[256];
    (void)state;

    setup(&h, &ts);
    assert_int_equal(h_get(&h, "3/0/0", -1, &d), TETHER_COAP_CONTENT);
    assert_string_equal(h_payload(&d, buf, sizeof(buf)), "Tether");
    assert_int_equal(h_get(&h, "3/0/16", -1, &d), TETHER_COAP_CONTENT);
    assert_string_equal(h_payload(&d, buf, sizeof(buf)), "UQ");
    assert_int_equal(h_get(&h, "3/0/2", -1, &d), TETHER_COAP_NOT_FOUND); /* no serial given */
    assert_int_equal(h_get(&h, "3/0/11", -1, &d), TETHER_COAP_CONTENT);
    assert_int_equal(d.m.payload_len, 5);
    assert_memory_equal(d.m.payload, "\x83\x0B\x41\x00\x00", 5);
    assert_int_equal(h_get(&h, "3/0", -1, &d), TETHER_COAP_CONTENT);
    {
        static const uint8_t want[] = {
            0xC6, 0x00, 'T', 'e', 't', 'h', 'e', 'r', 0xC4, 0x01, 't', 'e', 's', 't',
            0x83, 0x0B, 0x41, 0x00, 0x00, 0xC2, 0x10, 'U', 'Q'};
        assert_int_equal(d.m.payload_len, sizeof(want));
        assert_memory_equal(d.m.payload, want, sizeof(want));
    }
    assert_int_equal(h_put_text(&h, "3/0/0", "x", &d), TETHER_COAP_METHOD_NOT_ALLOWED);
    /* Reboot: answered first, then the application hears of it. */
    assert_int_equal(h_count_events(&h, TETHER_CLIENT_EV_REBOOT), 0);
    assert_int_equal(h_post(&h, "3/0/4", -1, NULL, 0, &d), TETHER_COAP_CHANGED);
    assert_int_equal(h_count_events(&h, TETHER_CLIENT_EV_REBOOT), 1);
    assert_int_equal(h_post(&h, "3/0/11", -1, NULL, 0, &d), TETHER_COAP_METHOD_NOT_ALLOWED);
}

/* --- R18: the Security object ------------------------------------------------------------------- */

static void test_R18_security_object_is_unreachable(void **state)
{
    static const struct { uint8_t method; const char *path; int accept; } ops[] = {
        {TETHER_COAP_GET, "0", -1},          {TETHER_COAP_GET, "0/0", -1},
        {TETHER_COAP_GET, "0/0/0", -1},      {TETHER_COAP_GET, "0/0/10", -1},
        {TETHER_COAP_GET, "0/0", TETHER_FMT_LINK}, {TETHER_COAP_GET, "0", TETHER_FMT_TLV},
        {TETHER_COAP_GET, "0/7", -1},        {TETHER_COAP_PUT, "0/0/0", -1},
        {TETHER_COAP_PUT, "0/0", -1},        {TETHER_COAP_POST, "0", -1},
        {TETHER_COAP_POST, "0/0", -1},       {TETHER_COAP_POST, "0/0/1", -1},
        {TETHER_COAP_DELETE, "0/0", -1},     {TETHER_COAP_DELETE, "0", -1},
    };
    harness h;
    things ts;
    h_dgram d;
    char buf[512];
    (void)state;

    setup(&h, &ts);
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        h_req r = {ops[i].method, ops[i].path, ops[i].method == TETHER_COAP_GET ? -1 : TETHER_FMT_TEXT,
                   ops[i].accept, "coap://evil:5683", 16, NULL, 0};
        h_request(&h, 0, &r, &d);
        assert_int_equal(d.m.code, TETHER_COAP_UNAUTHORIZED);
        assert_int_equal(d.m.payload_len, 0);
    }
    /* Nor does it leak through the object list or a Discover of the root. */
    assert_int_equal(tether_client_trigger_update(h.c, h.now, 1), 0);
    h_expect(&h, &d);
    h_answer(&h, 0, &d, TETHER_COAP_NOT_FOUND, NULL);
    h_expect(&h, &d); /* the Register after R7 */
    assert_null(strstr(h_payload(&d, buf, sizeof(buf)), "</0"));
}

/* --- transport-level refusals -------------------------------------------------------------------- */

static void test_dm_strangers_and_bad_block1(void **state)
{
    harness h;
    things ts;
    h_dgram d;
    tether_peer stranger = h_peer(3);
    uint8_t get[] = {0x40, TETHER_COAP_GET, 0x12, 0x34, 0xB1, '1'};
    uint8_t block[] = {0x40, TETHER_COAP_PUT, 0x12, 0x35, 0xB1, '1', 0x01, '0', 0x01, '1',
                       0x10, /* Content-Format 0 */ 0xD1, 0x02, 0x0A /* Block1 0/M/64 */,
                       0xFF, '6', '0'};
    (void)state;

    setup(&h, &ts);
    assert_int_equal(tether_client_recv(h.c, h.now, &stranger, get, sizeof(get)), 0);
    h_expect_none(&h); /* a client answers nobody but its servers */
    h_deliver(&h, 0, block, sizeof(block));
    h_expect(&h, &d);
    /* M=1 with 2 bytes where the block size says 64: RFC 7959 §2.3. */
    assert_int_equal(d.m.code, TETHER_COAP_BAD_REQUEST);
    assert_int_equal(tether_client_lifetime(h.c, 1), 300);
    /* Garbage is dropped. */
    assert_true(tether_client_recv(h.c, h.now, &h.peers[0], (const uint8_t *)"\x80", 1) < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dm_read_formats),
        cmocka_unit_test(test_dm_handler_errors_become_codes),
        cmocka_unit_test(test_dm_write_resource_in_every_format),
        cmocka_unit_test(test_dm_write_multiple_resource_and_instance),
        cmocka_unit_test(test_dm_execute),
        cmocka_unit_test(test_dm_duplicate_request_runs_once),
        cmocka_unit_test(test_dm_create_and_delete),
        cmocka_unit_test(test_dm_discover),
        cmocka_unit_test(test_dm_device_object),
        cmocka_unit_test(test_R18_security_object_is_unreachable),
        cmocka_unit_test(test_dm_strangers_and_bad_block1),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
