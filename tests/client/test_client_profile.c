/* SPDX-License-Identifier: Apache-2.0 */
/* The firmware profile that scripts/footprint.sh measures, run: every
 * client source, the exchange layer and the text codec are compiled in
 * here with that profile's switches and sizes (the library's own copies are
 * then not linked), and the client is driven through what a device does --
 * Register, Reads and Writes in each format it has (text/plain, opaque,
 * TLV; JSON, SenML and CBOR are compiled out), Discover, a retransmitted
 * request, an Update with the new lifetime, Disable -- asserting the bytes
 * it sends. Observation and queue mode are compiled out in this profile (an
 * Observe is answered as a Read; bindings are "U"). Keep the definitions below in step with footprint.sh and the
 * CoAP sizes with bench/client_footprint.c. */
#define TETHER_CLIENT_MAX_SERVERS 1
#define TETHER_CLIENT_MAX_OBJECTS 2
#define TETHER_CLIENT_MAX_ENDPOINT 64
#define TETHER_CLIENT_MAX_LOCATION 32
#define TETHER_CLIENT_MAX_BODY 0
#define TETHER_CLIENT_MAX_ALT_PATH 0
#define TETHER_CLIENT_MAX_SMS 0
#define TETHER_CLIENT_MAX_OBSERVATIONS 0
#define TETHER_CLIENT_NO_QUEUE_MODE 1
#define TETHER_LOG_MAX_LEVEL (-1)
#define TETHER_COAP_LINEAR 1
#define TETHER_NO_ERRMSG 1
#define TETHER_LWM2M_NO_FLOAT_TEXT 1
#define TETHER_COAP_NO_STATS 1
#define TETHER_CLIENT_NO_JSON 1
#define TETHER_CLIENT_NO_SENML 1
#define TETHER_CLIENT_NO_CBOR 1
#define TETHER_NO_POISON /* the test cases below print and allocate */
/* One unit for sources written as separate ones: a local may share a name
 * with another file's type (dm.c's `slot`, exchange.c's). */
#pragma GCC diagnostic ignored "-Wshadow"
#include "coap/exchange.c"
#include "lwm2m/float_text.c"
#include "lwm2m/text.c"
#include "client/client.c"
#include "client/register.c"
#include "client/dm.c"
#include "client/obj_device.c"
#include "client/obj_security.c"
#include "client/obj_server.c"
#include "client/attrs.c"
#include "client/notify_store.c"
#include "client/observe.c"
#include "client/queue_mode.c"

#include "client/client_harness.h"

/* bench/client_footprint.c's firmware_profile(). */
static void profile_coap(tether_client_config *cfg)
{
    cfg->coap.max_message = 256;
    cfg->coap.max_exchanges = TETHER_CLIENT_MAX_SERVERS + 1;
    cfg->coap.dedup_entries = 4;
    cfg->coap.dedup_reply_max = 64;
    cfg->coap.txq_bytes = 2u * (256u + (uint32_t)TETHER_COAP_TXQ_OVERHEAD);
}

/* /3303/0: 5700 Sensor Value (Float, R), 5750 Application Type (String, RW). */
static double temp_value = 21.5;
static char temp_type[16] = "room";

static const tether_client_res_def temp_res[] = {
    {5700, TETHER_LWM2M_OP_R, TETHER_LWM2M_FLOAT, 0},
    {5750, TETHER_LWM2M_OP_RW, TETHER_LWM2M_STRING, 0},
};

static int32_t temp_next(void *user, int32_t prev)
{
    (void)user;
    return prev < 0 ? 0 : -1;
}

static int temp_read(void *user, uint16_t iid, uint16_t rid, uint16_t riid, tether_lwm2m_value *out)
{
    (void)user, (void)iid, (void)riid;
    *out = rid == 5700 ? tether_lwm2m_value_float(temp_value) : tether_lwm2m_value_cstr(temp_type);
    return 0;
}

static int temp_write(void *user, uint16_t iid, uint16_t rid, uint16_t riid,
                      const tether_lwm2m_value *v, int commit)
{
    (void)user, (void)iid, (void)rid, (void)riid;
    if (v->bytes.len >= sizeof(temp_type))
        return TETHER_CLIENT_REFUSE(TETHER_COAP_BAD_REQUEST);
    if (commit) {
        memcpy(temp_type, v->bytes.ptr, v->bytes.len);
        temp_type[v->bytes.len] = '\0';
    }
    return 0;
}

static const tether_client_object temp_obj = {
    .oid = 3303,
    .nres = 2,
    .res = temp_res,
    .next_instance = temp_next,
    .read = temp_read,
    .write = temp_write,
};

static void start(harness *h)
{
    temp_value = 21.5;
    strcpy(temp_type, "room");
    h_init_cfg(h, "dev1");
    profile_coap(&h->cfg);
    h_init_client(h);
    h_add_server(h, 0, 1, 300, NULL);
    assert_int_equal(tether_client_add_object(h->c, h->now, &temp_obj, NULL), 0);
    assert_int_equal(tether_client_start(h->c, h->now), 0);
}

static void test_client_profile_register_read_write(void **state)
{
    static const uint8_t tlv_value[] = {0xE4, 0x16, 0x44, 0x41, 0xAC, 0x00, 0x00};
    harness h;
    h_dgram d;
    char buf[256];
    (void)state;

    start(&h);
    assert_true(h_run_until_sent(&h, 1000, &d));
    h_assert_request(&d, TETHER_COAP_POST, "rd", "ep=dev1&lt=300&lwm2m=1.0&b=U",
                     "</1/0>,</3/0>,</3303/0>");
    h_answer(&h, 0, &d, TETHER_COAP_CREATED, "rd/s");
    assert_int_equal(tether_client_server_state(h.c, 1), TETHER_CLIENT_REGISTERED);

    /* text/plain for an Integer, TLV for a Float (no float text here). */
    assert_int_equal(h_get(&h, "1/0/1", -1, &d), TETHER_COAP_CONTENT);
    assert_string_equal(h_payload(&d, buf, sizeof(buf)), "300");
    assert_int_equal(h_get(&h, "3303/0/5700", -1, &d), TETHER_COAP_CONTENT);
    assert_int_equal(h_ct(&d), TETHER_FMT_TLV);
    assert_int_equal(d.m.payload_len, sizeof(tlv_value));
    assert_memory_equal(d.m.payload, tlv_value, sizeof(tlv_value));
    assert_int_equal(h_get(&h, "3303/0/5700", TETHER_FMT_TEXT, &d), TETHER_COAP_NOT_ACCEPTABLE);
    assert_int_equal(h_get(&h, "3303/0", -1, &d), TETHER_COAP_CONTENT);
    assert_int_equal(h_ct(&d), TETHER_FMT_TLV);
    assert_int_equal(h_put_text(&h, "3303/0/5750", "kitchen", &d), TETHER_COAP_CHANGED);
    assert_string_equal(temp_type, "kitchen");
    assert_int_equal(h_put_text(&h, "3303/0/5700", "1.5", &d), TETHER_COAP_METHOD_NOT_ALLOWED);

    /* JSON, SenML and CBOR are compiled out: as formats never heard of. */
    assert_int_equal(h_get(&h, "3303/0", TETHER_FMT_JSON, &d), TETHER_COAP_NOT_ACCEPTABLE);
    assert_int_equal(h_get(&h, "3303/0", TETHER_FMT_SENML_JSON, &d), TETHER_COAP_NOT_ACCEPTABLE);
    assert_int_equal(h_get(&h, "3303/0/5750", TETHER_FMT_CBOR, &d), TETHER_COAP_NOT_ACCEPTABLE);
    {
        h_req r = {TETHER_COAP_PUT, "3303/0/5750", TETHER_FMT_SENML_JSON, -1,
                   "[{\"vs\":\"x\"}]", 12, NULL, 0};
        h_request(&h, 0, &r, &d);
        assert_int_equal(d.m.code, TETHER_COAP_UNSUPPORTED_CONTENT_FORMAT);
        assert_string_equal(temp_type, "kitchen");
    }

    /* R22: a binding this build cannot take is refused; /3/0/16 says "U". */
    assert_int_equal(h_put_text(&h, "1/0/7", "UQ", &d), TETHER_COAP_BAD_REQUEST);
    assert_int_equal(h_get(&h, "3/0/16", -1, &d), TETHER_COAP_CONTENT);
    assert_string_equal(h_payload(&d, buf, sizeof(buf)), "U");
    assert_true(tether_client_listening(h.c));

    /* Discover, link-format. */
    {
        h_req r = {TETHER_COAP_GET, "3303/0", -1, TETHER_FMT_LINK, NULL, 0, NULL, 0};
        h_request(&h, 0, &r, &d);
        assert_int_equal(d.m.code, TETHER_COAP_CONTENT);
        assert_string_equal(h_payload(&d, buf, sizeof(buf)),
                            "</3303/0>,</3303/0/5700>,</3303/0/5750>");
    }

    /* R8: a new lifetime goes out in an Update with lt. */
    assert_int_equal(h_put_text(&h, "1/0/1", "600", &d), TETHER_COAP_CHANGED);
    assert_true(h_run_until_sent(&h, 1000, &d));
    h_assert_request(&d, TETHER_COAP_POST, "rd/s", "lt=600", NULL);
    h_answer(&h, 0, &d, TETHER_COAP_CHANGED, NULL);
    assert_int_equal(tether_client_server_state(h.c, 1), TETHER_CLIENT_REGISTERED);
    assert_string_equal(tether_client_errmsg(h.c), "");
    {
        /* No counters, true gauges. */
        tether_coap_stats st;
        memset(&st, 0xA5, sizeof(st));
        tether_client_coap_stats(h.c, &st);
        assert_true(st.rx == 0 && st.tx == 0 && st.retransmissions == 0);
        assert_int_equal(st.exchanges_in_flight, 0);
    }
}

static void test_client_profile_duplicate_gets_same_answer(void **state)
{
    uint8_t req[32], first[256], again[256];
    tether_peer to;
    size_t n, len1, len2;
    harness h;
    (void)state;

    start(&h);
    h_register(&h, 0, "rd/s");
    /* CON GET /1/0/1, mid 0x7001, token 0x42, sent twice. */
    n = 0;
    req[n++] = 0x41;
    req[n++] = TETHER_COAP_GET;
    req[n++] = 0x70;
    req[n++] = 0x01;
    req[n++] = 0x42;
    req[n++] = 0xB1;
    req[n++] = '1';
    req[n++] = 0x01;
    req[n++] = '0';
    req[n++] = 0x01;
    req[n++] = '1';
    h_deliver(&h, 0, req, n);
    assert_int_equal(tether_client_send(h.c, h.now, &to, first, sizeof(first), &len1), 0);
    h_deliver(&h, 0, req, n);
    assert_int_equal(tether_client_send(h.c, h.now, &to, again, sizeof(again), &len2), 0);
    assert_true(len1 > 4);
    assert_int_equal(len1, len2);
    assert_memory_equal(first, again, len1); /* the same ACK, replayed (RFC 7252 §4.5) */
}

static void test_client_profile_disable_and_refusals(void **state)
{
    harness h;
    h_dgram d;
    char path[64];
    tether_client *c2;
    (void)state;

    start(&h);
    h_register(&h, 0, "rd/s");
    /* R20: the answer first, then De-register. */
    assert_int_equal(h_method(&h, TETHER_COAP_POST, "1/0/4", &d), TETHER_COAP_CHANGED);
    assert_true(h_run_until_sent(&h, 1000, &d));
    assert_int_equal(d.m.code, TETHER_COAP_DELETE);
    assert_string_equal(h_path(&d, path, sizeof(path)), "rd/s");
    h_answer(&h, 0, &d, TETHER_COAP_DELETED, NULL);
    assert_int_equal(tether_client_server_state(h.c, 1), TETHER_CLIENT_DISABLED);

    /* What this profile compiles out is refused at init, with no sentence. */
    h.cfg.alt_path = "/lwm2m";
    assert_int_equal(tether_client_init(&c2, h.mem, sizeof(h.mem), &h.cfg, NULL, NULL),
                     TETHER_ERR_INVAL);
    h.cfg.alt_path = NULL;
    h.cfg.sms_number = "+15551234";
    assert_int_equal(tether_client_init(&c2, h.mem, sizeof(h.mem), &h.cfg, NULL, NULL),
                     TETHER_ERR_INVAL);
    h.cfg.sms_number = NULL;
    h.cfg.supported_bindings = "UQ"; /* no queue mode here */
    assert_int_equal(tether_client_init(&c2, h.mem, sizeof(h.mem), &h.cfg, NULL, NULL),
                     TETHER_ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_profile_register_read_write),
        cmocka_unit_test(test_client_profile_duplicate_gets_same_answer),
        cmocka_unit_test(test_client_profile_disable_and_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
