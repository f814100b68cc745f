/* SPDX-License-Identifier: Apache-2.0 */
/* Server-initiated requests (src/server/dm.c): R10 lifetime
 * synchronisation by read and by write, the Read / Write / Execute API and
 * its callback rule, and R14 routing to the latest address and socket. */
#include "server/server_fixture.h"

#include "tether/lwm2m_tlv.h"

static int setup_write(void **state)
{
    fx *f = calloc(1, sizeof(fx));
    fx_config(f);
    f->cfg.lifetime_sync = TETHER_SERVER_SYNC_WRITE;
    f->cfg.default_lifetime_s = 3600;
    fx_start(f);
    *state = f;
    return 0;
}

/* A Server Object TLV: instances (iid, ssid, lifetime). */
static size_t server_tlv(uint8_t *buf, size_t cap, const uint16_t (*inst)[3], size_t n)
{
    tether_tlv_writer w;
    size_t len;

    tether_tlv_writer_init(&w, buf, cap);
    for (size_t i = 0; i < n; i++) {
        tether_tlv_begin(&w, TETHER_TLV_OBJECT_INSTANCE, inst[i][0]);
        tether_tlv_write_int(&w, TETHER_TLV_RESOURCE, 0, inst[i][1]);
        tether_tlv_write_int(&w, TETHER_TLV_RESOURCE, 1, inst[i][2]);
        tether_tlv_write_bool(&w, TETHER_TLV_RESOURCE, 6, 1);
        tether_tlv_write_string(&w, TETHER_TLV_RESOURCE, 7, "U", 1);
        tether_tlv_end(&w);
    }
    assert_int_equal(tether_tlv_writer_finish(&w, &len), 0);
    return len;
}

/* R10 read, one Server instance listed: GET /1/0/1 right after the 2.01,
 * to the registering address; the text answer becomes the lifetime,
 * counted from the Register. */
static void test_R10_read_single_instance_adopts_lifetime(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(2, 1);
    tether_time t0 = f->now;
    const tether_server_reg *r;
    char id[16];
    uint32_t accept;

    assert_int_equal(fx_register(f, &dev, "ep=r10", "</1/0>,</3/0>", id), TETHER_COAP_CREATED);
    r = tether_server_find_ep(f->srv, "r10", 3);
    assert_int_equal(tether_server_reg_lifetime(r), 86400);
    assert_true(tether_server_reg_syncing(r));
    assert_true(fx_pop(f));
    assert_int_equal(f->msg.type, TETHER_COAP_CON);
    assert_int_equal(f->msg.code, TETHER_COAP_GET);
    assert_string_equal(fx_path(f), "1/0/1");
    assert_int_not_equal(tether_coap_accept(&f->msg, &accept), 0);
    assert_true(tether_peer_equal(&f->out_peer, &dev));
    assert_int_equal(f->out_peer.iface, 2);
    assert_false(fx_pop(f));

    f->now += 300;
    fx_answer(f, &dev, TETHER_COAP_CONTENT, 0, "120", 3);
    r = tether_server_find_ep(f->srv, "r10", 3);
    assert_int_equal(tether_server_reg_lifetime(r), 120);
    assert_false(tether_server_reg_syncing(r));
    assert_int_equal(tether_server_reg_expires(r), t0 + 120000);
    assert_int_equal(fx_last(f)->type, TETHER_SERVER_EV_LIFETIME);
    assert_int_equal(fx_last(f)->status, 0);
    assert_int_equal(fx_last(f)->lifetime, 120);
    assert_int_equal(fx_last(f)->via, TETHER_SERVER_SYNC_READ);
    /* R6 then applies to the adopted lifetime. */
    fx_at(f, t0 + 119999);
    assert_non_null(tether_server_find_ep(f->srv, "r10", 3));
    fx_at(f, t0 + 120000);
    assert_null(tether_server_find_ep(f->srv, "r10", 3));
}

/* R10 read with a TLV answer to /1/{i}/1 also works. */
static void test_R10_read_single_instance_tlv_answer(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    uint8_t tlv[16];
    tether_tlv_writer w;
    size_t len;
    char id[16];

    assert_int_equal(fx_register(f, &dev, "ep=tlv1", "</1/4>,</3/0>", id), TETHER_COAP_CREATED);
    assert_true(fx_pop(f));
    assert_string_equal(fx_path(f), "1/4/1");
    tether_tlv_writer_init(&w, tlv, sizeof(tlv));
    tether_tlv_write_int(&w, TETHER_TLV_RESOURCE, 1, 7200);
    assert_int_equal(tether_tlv_writer_finish(&w, &len), 0);
    fx_answer(f, &dev, TETHER_COAP_CONTENT, TETHER_FMT_TLV, tlv, len);
    assert_int_equal(tether_server_reg_lifetime(tether_server_find_ep(f->srv, "tlv1", 4)), 7200);
}

/* R10 read, several instances: GET /1 with Accept TLV, the instance with
 * our Short Server ID wins. */
static void test_R10_read_object_picks_our_ssid(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    const uint16_t inst[2][3] = {{0, 101, 300}, {1, 102, 500}};
    uint8_t tlv[128];
    size_t len;
    uint32_t accept;
    char id[16];

    fx_stop(f);
    fx_config(f);
    f->cfg.ssid = 102;
    fx_start(f);
    assert_int_equal(fx_register(f, &dev, "ep=multi", "</1/0>,</1/1>,</3/0>", id), TETHER_COAP_CREATED);
    assert_true(fx_pop(f));
    assert_string_equal(fx_path(f), "1");
    assert_int_equal(tether_coap_accept(&f->msg, &accept), 0);
    assert_int_equal(accept, TETHER_FMT_TLV);
    len = server_tlv(tlv, sizeof(tlv), inst, 2);
    fx_answer(f, &dev, TETHER_COAP_CONTENT, TETHER_FMT_TLV, tlv, len);
    assert_int_equal(tether_server_reg_lifetime(tether_server_find_ep(f->srv, "multi", 5)), 500);
    assert_int_equal(fx_last(f)->status, 0);
}

/* Without --ssid and with one instance in the answer, that one. With two
 * and no ssid, nothing is guessed: the default stays. */
static void test_R10_read_object_without_ssid(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    const uint16_t one[1][3] = {{3, 1, 999}};
    const uint16_t two[2][3] = {{0, 1, 300}, {1, 2, 500}};
    uint8_t tlv[128];
    size_t len;
    char id[16];

    assert_int_equal(fx_register(f, &dev, "ep=o1", "</1>,</3/0>", id), TETHER_COAP_CREATED);
    assert_true(fx_pop(f));
    assert_string_equal(fx_path(f), "1");
    len = server_tlv(tlv, sizeof(tlv), one, 1);
    fx_answer(f, &dev, TETHER_COAP_CONTENT, TETHER_FMT_TLV, tlv, len);
    assert_int_equal(tether_server_reg_lifetime(tether_server_find_ep(f->srv, "o1", 2)), 999);

    assert_int_equal(fx_register(f, &dev, "ep=o2", "</1/0>,</1/1>", id), TETHER_COAP_CREATED);
    assert_true(fx_pop(f));
    len = server_tlv(tlv, sizeof(tlv), two, 2);
    fx_answer(f, &dev, TETHER_COAP_CONTENT, TETHER_FMT_TLV, tlv, len);
    assert_int_equal(tether_server_reg_lifetime(tether_server_find_ep(f->srv, "o2", 2)), 86400);
    assert_int_equal(fx_last(f)->type, TETHER_SERVER_EV_LIFETIME);
    assert_int_equal(fx_last(f)->status, TETHER_ERR_NOT_FOUND);
}

/* A failed read (error code, garbage, timeout) is reported and leaves the
 * default lifetime in force. */
static void test_R10_read_failure_keeps_default(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    char id[16];

    assert_int_equal(fx_register(f, &dev, "ep=f1", "</1/0>", id), TETHER_COAP_CREATED);
    assert_true(fx_pop(f));
    fx_answer(f, &dev, TETHER_COAP_NOT_FOUND, -1, NULL, 0);
    assert_int_equal(fx_last(f)->type, TETHER_SERVER_EV_LIFETIME);
    assert_int_equal(fx_last(f)->status, TETHER_ERR_UNSUPPORTED);
    assert_int_equal(fx_last(f)->code, TETHER_COAP_NOT_FOUND);
    assert_int_equal(tether_server_reg_lifetime(tether_server_find_ep(f->srv, "f1", 2)), 86400);
    assert_non_null(strstr(f->log, "lifetime read failed"));

    assert_int_equal(fx_register(f, &dev, "ep=f2", "</1/0>", id), TETHER_COAP_CREATED);
    assert_true(fx_pop(f));
    fx_answer(f, &dev, TETHER_COAP_CONTENT, 0, "0", 1);
    assert_int_equal(fx_last(f)->status, TETHER_ERR_MALFORMED);
    assert_int_equal(tether_server_reg_lifetime(tether_server_find_ep(f->srv, "f2", 2)), 86400);

    assert_int_equal(fx_register(f, &dev, "ep=f3", "</1/0>", id), TETHER_COAP_CREATED);
    assert_true(fx_pop(f));
    /* No answer: retransmissions, then a timeout (about 93 s, RFC 7252). */
    for (int i = 0; i < 400 && fx_last(f)->type != TETHER_SERVER_EV_LIFETIME; i++) {
        fx_at(f, f->now + 1000);
        while (fx_pop(f))
            assert_string_equal(fx_path(f), "1/0/1");
    }
    assert_int_equal(fx_last(f)->type, TETHER_SERVER_EV_LIFETIME);
    assert_int_equal(fx_last(f)->status, TETHER_ERR_TIMEOUT);
    assert_int_equal(tether_server_reg_lifetime(tether_server_find_ep(f->srv, "f3", 2)), 86400);
}

/* Register with lt: nothing is read or written. */
static void test_R10_register_with_lt_sends_nothing(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    char id[16];

    assert_int_equal(fx_register(f, &dev, "ep=lt&lt=500", "</1/0>,</3/0>", id), TETHER_COAP_CREATED);
    assert_false(fx_pop(f));
    assert_false(tether_server_reg_syncing(tether_server_find_ep(f->srv, "lt", 2)));
}

/* An Update carrying lt while the read is in flight wins over the late
 * answer (R8: the client's lt is the resource's current value). */
static void test_R10_read_overtaken_by_update_with_lt(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    char id[16];
    uint8_t get[256];
    size_t get_len;
    tether_coap_msg saved;

    assert_int_equal(fx_register(f, &dev, "ep=race", "</1/0>", id), TETHER_COAP_CREATED);
    assert_true(fx_pop(f));
    memcpy(get, f->out, f->out_len);
    get_len = f->out_len;
    assert_int_equal(fx_update(f, &dev, id, "lt=45", NULL), TETHER_COAP_CHANGED);
    assert_int_equal(tether_coap_parse(&saved, get, get_len), 0);
    f->msg = saved;
    fx_answer(f, &dev, TETHER_COAP_CONTENT, 0, "999", 3);
    assert_int_equal(tether_server_reg_lifetime(tether_server_find_ep(f->srv, "race", 4)), 45);
    assert_int_equal(fx_count(f, TETHER_SERVER_EV_LIFETIME), 0);
}

/* R10 write, one instance: PUT /1/{i}/1 with our default lifetime as text. */
static void test_R10_write_single_instance(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(1, 4);
    uint32_t cf;
    char id[16];

    assert_int_equal(fx_register(f, &dev, "ep=w1", "</1/2>,</3/0>", id), TETHER_COAP_CREATED);
    assert_true(fx_pop(f));
    assert_int_equal(f->msg.code, TETHER_COAP_PUT);
    assert_string_equal(fx_path(f), "1/2/1");
    assert_int_equal(tether_coap_content_format(&f->msg, &cf), 0);
    assert_int_equal(cf, TETHER_FMT_TEXT);
    assert_int_equal(f->msg.payload_len, 4);
    assert_memory_equal(f->msg.payload, "3600", 4);
    assert_true(tether_peer_equal(&f->out_peer, &dev));
    fx_answer(f, &dev, TETHER_COAP_CHANGED, -1, NULL, 0);
    assert_int_equal(fx_last(f)->type, TETHER_SERVER_EV_LIFETIME);
    assert_int_equal(fx_last(f)->status, 0);
    assert_int_equal(fx_last(f)->via, TETHER_SERVER_SYNC_WRITE);
    assert_int_equal(tether_server_reg_lifetime(tether_server_find_ep(f->srv, "w1", 2)), 3600);
}

/* R10 write without a single listed instance: read /1 to find ours, then
 * write it. A refused write is reported. */
static void test_R10_write_finds_instance_first(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    const uint16_t one[1][3] = {{7, 1, 60}};
    uint8_t tlv[64];
    size_t len;
    char id[16];

    assert_int_equal(fx_register(f, &dev, "ep=w2", "</1>,</3/0>", id), TETHER_COAP_CREATED);
    assert_true(fx_pop(f));
    assert_int_equal(f->msg.code, TETHER_COAP_GET);
    assert_string_equal(fx_path(f), "1");
    len = server_tlv(tlv, sizeof(tlv), one, 1);
    fx_answer(f, &dev, TETHER_COAP_CONTENT, TETHER_FMT_TLV, tlv, len);
    assert_true(fx_pop(f));
    assert_int_equal(f->msg.code, TETHER_COAP_PUT);
    assert_string_equal(fx_path(f), "1/7/1");
    fx_answer(f, &dev, TETHER_COAP_METHOD_NOT_ALLOWED, -1, NULL, 0);
    assert_int_equal(fx_last(f)->type, TETHER_SERVER_EV_LIFETIME);
    assert_int_equal(fx_last(f)->status, TETHER_ERR_UNSUPPORTED);
    assert_int_equal(fx_last(f)->via, TETHER_SERVER_SYNC_WRITE);
}

/* --- the device-management API ------------------------------------------- */

typedef struct resp_log {
    int calls;
    int status;
    uint8_t code;
    uint32_t cf;
    char payload[64];
} resp_log;

static void on_resp(void *arg, tether_time now, int status, const tether_server_response *resp)
{
    resp_log *l = arg;
    (void)now;
    l->calls++;
    l->status = status;
    if (resp != NULL) {
        l->code = resp->code;
        l->cf = resp->content_format;
        snprintf(l->payload, sizeof(l->payload), "%.*s", (int)resp->payload_len,
                 (const char *)resp->payload);
    }
}

/* Read: the callback runs exactly once with the answer; calls that fail
 * never run it. */
static void test_server_read_callback_exactly_once(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    resp_log l = {0};
    uint32_t accept;
    char id[16];

    assert_int_equal(fx_register(f, &dev, "ep=dm&lt=60", "</lwm2m>;rt=\"oma.lwm2m\",</lwm2m/3/0>", id),
                     TETHER_COAP_CREATED);
    assert_int_equal(tether_server_read(f->srv, f->now, "nobody", "/3/0/0", TETHER_SERVER_NO_FORMAT,
                                        on_resp, &l),
                     TETHER_ERR_NOT_FOUND);
    assert_int_equal(tether_server_read(f->srv, f->now, "dm", "/3/x", TETHER_SERVER_NO_FORMAT, on_resp, &l),
                     TETHER_ERR_INVAL);
    assert_int_equal(tether_server_read(f->srv, f->now, "dm", "/3/0/0", 0, NULL, &l), TETHER_ERR_INVAL);
    assert_false(fx_pop(f));
    assert_int_equal(tether_server_read(f->srv, f->now, "dm", "/3/0/0", TETHER_FMT_TEXT, on_resp, &l), 0);
    assert_true(fx_pop(f));
    assert_int_equal(f->msg.code, TETHER_COAP_GET);
    /* The client's root path comes first. */
    assert_string_equal(fx_path(f), "lwm2m/3/0/0");
    assert_int_equal(tether_coap_accept(&f->msg, &accept), 0);
    assert_int_equal(accept, TETHER_FMT_TEXT);
    fx_answer(f, &dev, TETHER_COAP_CONTENT, 0, "Tether", 6);
    assert_int_equal(l.calls, 1);
    assert_int_equal(l.status, 0);
    assert_int_equal(l.code, TETHER_COAP_CONTENT);
    assert_int_equal(l.cf, 0);
    assert_string_equal(l.payload, "Tether");
    /* A duplicate answer changes nothing. */
    fx_answer(f, &dev, TETHER_COAP_CONTENT, 0, "Tether", 6);
    assert_int_equal(l.calls, 1);
    assert_int_equal(fx_count(f, TETHER_SERVER_EV_LIFETIME), 0);
}

/* Write (PUT / POST) and Execute put the right method, format and payload
 * on the wire. */
static void test_server_write_and_execute_on_the_wire(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    resp_log w = {0}, x = {0}, p = {0};
    uint32_t cf;
    char id[16];

    assert_int_equal(fx_register(f, &dev, "ep=dm&lt=60", "</3/0>", id), TETHER_COAP_CREATED);
    assert_int_equal(tether_server_write(f->srv, f->now, "dm", "/1/0/1", TETHER_FMT_TEXT, "77", 2, 0,
                                         on_resp, &w),
                     0);
    assert_true(fx_pop(f));
    assert_int_equal(f->msg.code, TETHER_COAP_PUT);
    assert_string_equal(fx_path(f), "1/0/1");
    assert_int_equal(tether_coap_content_format(&f->msg, &cf), 0);
    assert_int_equal(cf, 0);
    assert_memory_equal(f->msg.payload, "77", 2);
    fx_answer(f, &dev, TETHER_COAP_CHANGED, -1, NULL, 0);
    assert_int_equal(w.calls, 1);
    assert_int_equal(w.code, TETHER_COAP_CHANGED);
    assert_int_equal(w.cf, TETHER_SERVER_NO_FORMAT);

    assert_int_equal(tether_server_write(f->srv, f->now, "dm", "/1/0", TETHER_FMT_TLV, "\xC1\x01\x05", 3,
                                         1, on_resp, &p),
                     0);
    assert_true(fx_pop(f));
    assert_int_equal(f->msg.code, TETHER_COAP_POST);
    fx_answer(f, &dev, TETHER_COAP_CHANGED, -1, NULL, 0);
    assert_int_equal(p.calls, 1);

    assert_int_equal(tether_server_execute(f->srv, f->now, "dm", "/1/0", NULL, 0, on_resp, &x),
                     TETHER_ERR_INVAL);
    assert_int_equal(tether_server_execute(f->srv, f->now, "dm", "/1/0/8", NULL, 0, on_resp, &x), 0);
    assert_true(fx_pop(f));
    assert_int_equal(f->msg.code, TETHER_COAP_POST);
    assert_string_equal(fx_path(f), "1/0/8");
    assert_int_equal(f->msg.payload_len, 0);
    fx_answer(f, &dev, TETHER_COAP_CHANGED, -1, NULL, 0);
    assert_int_equal(x.calls, 1);
    assert_int_equal(x.code, TETHER_COAP_CHANGED);
}

/* A payload over max_request_body is refused up front; the callback never
 * runs and nothing is sent. */
static void test_server_write_too_large_fails_without_callback(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    static uint8_t big[65537];
    resp_log l = {0};
    char id[16];

    assert_int_equal(fx_register(f, &dev, "ep=dm&lt=60", "</3/0>", id), TETHER_COAP_CREATED);
    assert_int_equal(tether_server_write(f->srv, f->now, "dm", "/3/0/1", TETHER_FMT_OPAQUE, big,
                                         sizeof(big), 0, on_resp, &l),
                     TETHER_ERR_TOO_LARGE);
    assert_non_null(strstr(tether_server_errmsg(f->srv), "ep=dm"));
    assert_false(fx_pop(f));
    assert_int_equal(tether_server_write(f->srv, f->now, "dm", "/3/0/1", TETHER_SERVER_NO_FORMAT, "x",
                                         1, 0, on_resp, &l),
                     TETHER_ERR_INVAL);
    /* The slot was given back: a normal request still goes out. */
    assert_int_equal(tether_server_read(f->srv, f->now, "dm", "/3/0/1", TETHER_SERVER_NO_FORMAT,
                                        on_resp, &l),
                     0);
    assert_true(fx_pop(f));
    fx_answer(f, &dev, TETHER_COAP_CONTENT, 0, "v", 1);
    assert_int_equal(l.calls, 1);
}

/* With every request slot in use, a request is BUSY (no callback) and a
 * Register without lt reports its lifetime sync as BUSY, default kept. */
static size_t stat_waiting(fx *f)
{
    tether_server_stats st;
    tether_server_get_stats(f->srv, &st);
    return st.waiting;
}

/* With every exchange slot taken, requests and R10 lifetime reads wait in
 * a FIFO instead of failing, and go out as slots free up. */
static void test_R10_sync_waits_for_a_free_slot(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1), dev2 = fx_peer(0, 2);
    resp_log l[3], extra = {0};
    char id[16];
    uint16_t mids[3];
    uint8_t toks[3][8];

    memset(l, 0, sizeof(l));
    fx_stop(f);
    fx_config(f);
    f->cfg.coap.max_exchanges = 3;
    fx_start(f);
    assert_int_equal(fx_register(f, &dev, "ep=dm&lt=60", "</3/0>", id), TETHER_COAP_CREATED);
    for (int i = 0; i < 3; i++)
        assert_int_equal(tether_server_read(f->srv, f->now, "dm", "/3/0", TETHER_SERVER_NO_FORMAT,
                                            on_resp, &l[i]),
                         0);
    assert_int_equal(tether_server_read(f->srv, f->now, "dm", "/3/0/1", TETHER_SERVER_NO_FORMAT,
                                        on_resp, &extra),
                     0);
    for (int i = 0; i < 3; i++) {
        assert_true(fx_pop(f)); /* the three reads, left unanswered for now */
        mids[i] = f->msg.mid;
        memcpy(toks[i], f->msg.token, f->msg.tkl);
    }
    assert_false(fx_pop(f));
    assert_int_equal(fx_register(f, &dev2, "ep=busy", "</1/0>", id), TETHER_COAP_CREATED);
    assert_false(fx_pop(f)); /* no slot for the lifetime read yet */
    assert_true(tether_server_reg_syncing(tether_server_find_ep(f->srv, "busy", 4)));
    assert_int_equal(stat_waiting(f), 2);
    /* The first read is answered: its slot goes to the oldest waiting. */
    f->msg.mid = mids[0];
    memcpy(f->msg.token, toks[0], 8);
    f->msg.tkl = 8;
    fx_answer(f, &dev, TETHER_COAP_CONTENT, 0, "a", 1);
    assert_int_equal(l[0].calls, 1);
    assert_true(fx_pop(f));
    assert_string_equal(fx_path(f), "3/0/1"); /* extra, not the R10 read */
    assert_true(tether_peer_equal(&f->out_peer, &dev));
    assert_false(fx_pop(f));
    fx_answer(f, &dev, TETHER_COAP_CONTENT, 0, "b", 1);
    assert_int_equal(extra.calls, 1);
    assert_string_equal(extra.payload, "b");
    assert_true(fx_pop(f));
    assert_string_equal(fx_path(f), "1/0/1");
    assert_true(tether_peer_equal(&f->out_peer, &dev2));
    assert_int_equal(stat_waiting(f), 0);
    fx_answer(f, &dev2, TETHER_COAP_CONTENT, 0, "77", 2);
    assert_int_equal(fx_last(f)->type, TETHER_SERVER_EV_LIFETIME);
    assert_int_equal(fx_last(f)->status, 0);
    assert_int_equal(tether_server_reg_lifetime(tether_server_find_ep(f->srv, "busy", 4)), 77);
    tether_server_free(f->srv);
    f->srv = NULL;
    assert_int_equal(l[1].status, TETHER_ERR_CANCELLED);
    assert_int_equal(l[2].status, TETHER_ERR_CANCELLED);
    fx_start(f);
}

/* A storm of Registers without lt on a server with 2 exchange slots: every
 * one gets its lifetime read, in the order they registered. */
typedef struct pend {
    int who;
    uint16_t mid;
    uint8_t tok[8];
    uint8_t tkl;
} pend;

static void collect(fx *f, const tether_peer *dev, int n, pend *p, int *np)
{
    while (fx_pop(f)) {
        int who = -1;
        for (int i = 0; i < n; i++)
            if (tether_peer_equal(&f->out_peer, &dev[i]))
                who = i;
        assert_true(who >= 0);
        assert_int_equal(f->msg.code, TETHER_COAP_GET);
        assert_string_equal(fx_path(f), "1/0/1");
        p[*np].who = who;
        p[*np].mid = f->msg.mid;
        p[*np].tkl = f->msg.tkl;
        memcpy(p[*np].tok, f->msg.token, f->msg.tkl);
        (*np)++;
    }
}

static void test_R10_register_storm_all_get_their_lifetime_read(void **state)
{
    fx *f = *state;
    enum { N = 12 };
    tether_peer dev[N];
    pend p[N + 4];
    int np = 0, done = 0;
    char id[16], ep[16], q[32];

    fx_stop(f);
    fx_config(f);
    f->cfg.coap.max_exchanges = 2;
    fx_start(f);
    for (int i = 0; i < N; i++) {
        dev[i] = fx_peer(0, (uint8_t)(10 + i));
        snprintf(q, sizeof(q), "ep=s%d", i);
        assert_int_equal(fx_register(f, &dev[i], q, "</1/0>", id), TETHER_COAP_CREATED);
        collect(f, dev, N, p, &np);
    }
    assert_int_equal(np, 2); /* two slots: the others wait */
    assert_int_equal(stat_waiting(f), N - 2);
    /* Each answer frees a slot for the next in line. */
    while (done < np) {
        f->now += 10;
        f->msg.mid = p[done].mid;
        f->msg.tkl = p[done].tkl;
        memcpy(f->msg.token, p[done].tok, p[done].tkl);
        assert_int_equal(p[done].who, done); /* first come, first served */
        snprintf(q, sizeof(q), "%d", 100 + p[done].who);
        fx_answer(f, &dev[p[done].who], TETHER_COAP_CONTENT, 0, q, strlen(q));
        done++;
        collect(f, dev, N, p, &np);
    }
    assert_int_equal(done, N);
    for (int i = 0; i < N; i++) {
        snprintf(ep, sizeof(ep), "s%d", i);
        assert_int_equal(tether_server_reg_lifetime(tether_server_find_ep(f->srv, ep, strlen(ep))),
                         100 + i);
    }
    assert_int_equal(stat_waiting(f), 0);
    assert_int_equal(fx_count(f, TETHER_SERVER_EV_LIFETIME), N);
}

/* The wait is bounded: beyond slot_wait_max a request fails with BUSY, and
 * one that waits longer than its timeout fails with TIMEOUT. */
static void test_R10_slot_wait_is_bounded(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    resp_log l = {0}, w = {0}, extra = {0};
    tether_server_request r;
    char id[16];

    fx_stop(f);
    fx_config(f);
    f->cfg.coap.max_exchanges = 1;
    f->cfg.slot_wait_max = 1;
    fx_start(f);
    assert_int_equal(fx_register(f, &dev, "ep=dm&lt=600", "</3/0>", id), TETHER_COAP_CREATED);
    assert_int_equal(tether_server_read(f->srv, f->now, "dm", "/3/0", TETHER_SERVER_NO_FORMAT,
                                        on_resp, &l),
                     0);
    memset(&r, 0, sizeof(r));
    r.op = TETHER_SERVER_OP_READ;
    r.path = "/3/0/1";
    r.accept = TETHER_SERVER_NO_FORMAT;
    r.timeout_ms = 5000;
    assert_int_equal(tether_server_submit(f->srv, f->now, "dm", &r, on_resp, &w, NULL), 0);
    assert_int_equal(tether_server_read(f->srv, f->now, "dm", "/3/0/2", TETHER_SERVER_NO_FORMAT,
                                        on_resp, &extra),
                     TETHER_ERR_BUSY);
    assert_int_equal(extra.calls, 0);
    assert_true(fx_pop(f));
    assert_false(fx_pop(f));
    assert_true(tether_server_next_deadline(f->srv) <= f->now + 5000);
    fx_at(f, f->now + 5000);
    assert_int_equal(w.calls, 1);
    assert_int_equal(w.status, TETHER_ERR_TIMEOUT);
    assert_int_equal(stat_waiting(f), 0);
    assert_int_equal(l.calls, 0);
    fx_stop(f);
    fx_start(f);
}

/* Freeing the server with a request in flight: its callback sees
 * TETHER_ERR_CANCELLED, once. */
static void test_server_free_cancels_pending_requests(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    resp_log l = {0};
    char id[16];

    assert_int_equal(fx_register(f, &dev, "ep=dm&lt=60", "</3/0>", id), TETHER_COAP_CREATED);
    assert_int_equal(tether_server_read(f->srv, f->now, "dm", "/3/0", TETHER_SERVER_NO_FORMAT, on_resp, &l), 0);
    tether_server_free(f->srv);
    f->srv = NULL;
    assert_int_equal(l.calls, 1);
    assert_int_equal(l.status, TETHER_ERR_CANCELLED);
    fx_start(f); /* for teardown */
}

/* R14: after an Update from a new address and socket, requests go there. */
static void test_R14_requests_go_to_latest_address_and_socket(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1), moved = fx_peer(3, 2);
    resp_log l = {0};
    char id[16];

    assert_int_equal(fx_register(f, &dev, "ep=nat&lt=60", "</3/0>", id), TETHER_COAP_CREATED);
    assert_int_equal(tether_server_read(f->srv, f->now, "nat", "/3/0/0", TETHER_SERVER_NO_FORMAT, on_resp, &l), 0);
    assert_true(fx_pop(f));
    assert_true(tether_peer_equal(&f->out_peer, &dev));
    fx_answer(f, &dev, TETHER_COAP_CONTENT, 0, "a", 1);
    assert_int_equal(fx_update(f, &moved, id, NULL, NULL), TETHER_COAP_CHANGED);
    assert_int_equal(tether_server_read(f->srv, f->now, "nat", "/3/0/0", TETHER_SERVER_NO_FORMAT, on_resp, &l), 0);
    assert_true(fx_pop(f));
    assert_true(tether_peer_equal(&f->out_peer, &moved));
    assert_int_equal(f->out_peer.iface, 3);
    fx_answer(f, &moved, TETHER_COAP_CONTENT, 0, "b", 1);
    assert_int_equal(l.calls, 2);
    assert_string_equal(l.payload, "b");
}

/* Requests may be sent from the event callback (e.g. read /3 on
 * registration); recv from a callback is refused. */
typedef struct cb_ctx {
    fx *f;
    resp_log l;
    int recv_err;
} cb_ctx;

static void on_event_reads(void *user, tether_time now, const tether_server_event *ev)
{
    cb_ctx *c = user;
    uint8_t junk[4] = {0x40, 0x01, 0, 0};
    if (ev->type != TETHER_SERVER_EV_REGISTERED)
        return;
    c->recv_err = tether_server_recv(c->f->srv, now, tether_server_reg_peer(ev->reg), junk, 4);
    assert_int_equal(tether_server_read(c->f->srv, now, tether_server_reg_ep(ev->reg), "/3/0",
                                        TETHER_FMT_TLV, on_resp, &c->l),
                     0);
}

static void test_server_callbacks_may_send_requests(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    tether_server_callbacks cb = {on_event_reads};
    cb_ctx c;
    char id[16];

    memset(&c, 0, sizeof(c));
    c.f = f;
    tether_server_free(f->srv);
    assert_int_equal(tether_server_new(&f->srv, &f->cfg, &cb, &c), 0);
    assert_int_equal(fx_register(f, &dev, "ep=cb&lt=60", "</3/0>", id), TETHER_COAP_CREATED);
    assert_int_equal(c.recv_err, TETHER_ERR_REENTRANT);
    assert_true(fx_pop(f));
    assert_string_equal(fx_path(f), "3/0");
    fx_answer(f, &dev, TETHER_COAP_CONTENT, TETHER_FMT_TLV, "\xC1\x00\x01", 3);
    assert_int_equal(c.l.calls, 1);
}

/* The R10 read after a Register without lt costs no allocation of its own
 * once warm: one Register with lt and one without (answered) allocate the
 * same. */
static void test_R10_sync_allocates_nothing_when_warm(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    size_t before, with_lt, without_lt;
    char id[16], q[32];

    for (int i = 0; i < 20; i++) {
        snprintf(q, sizeof(q), "ep=warm%d", i);
        assert_int_equal(fx_register(f, &dev, q, "</1/0>", id), TETHER_COAP_CREATED);
        assert_true(fx_pop(f));
        fx_answer(f, &dev, TETHER_COAP_CONTENT, 0, "120", 3);
    }
    before = f->mem.allocs;
    assert_int_equal(fx_register(f, &dev, "ep=a&lt=60", "</1/0>", id), TETHER_COAP_CREATED);
    with_lt = f->mem.allocs - before;
    before = f->mem.allocs;
    assert_int_equal(fx_register(f, &dev, "ep=b", "</1/0>", id), TETHER_COAP_CREATED);
    assert_true(fx_pop(f));
    fx_answer(f, &dev, TETHER_COAP_CONTENT, 0, "120", 3);
    without_lt = f->mem.allocs - before;
    assert_int_equal(fx_last(f)->status, 0);
    assert_int_equal(without_lt, with_lt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_R10_read_single_instance_adopts_lifetime, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R10_read_single_instance_tlv_answer, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R10_read_object_picks_our_ssid, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R10_read_object_without_ssid, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R10_read_failure_keeps_default, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R10_register_with_lt_sends_nothing, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R10_read_overtaken_by_update_with_lt, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R10_write_single_instance, setup_write, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R10_write_finds_instance_first, setup_write, fx_teardown),
        cmocka_unit_test_setup_teardown(test_server_read_callback_exactly_once, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_server_write_and_execute_on_the_wire, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_server_write_too_large_fails_without_callback, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R10_sync_waits_for_a_free_slot, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R10_register_storm_all_get_their_lifetime_read, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R10_slot_wait_is_bounded, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_server_free_cancels_pending_requests, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R14_requests_go_to_latest_address_and_socket, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_server_callbacks_may_send_requests, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R10_sync_allocates_nothing_when_warm, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
