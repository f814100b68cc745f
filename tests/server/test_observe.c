/* SPDX-License-Identifier: Apache-2.0 */
/* Observation on the server (src/server/observe.c): the Observe request on
 * the wire, notifications delivered in order with RFC 7641 §3.4's freshness
 * rule, block-wise notifications, active and passive cancellation, and
 * observations ending with their registration (R6, R14, R15). The client is
 * hand-built datagrams on a virtual clock. */
#include "server/server_fixture.h"

#include "server/dm_internal.h"

/* --- helpers ------------------------------------------------------------------- */

#define MAXN 16

typedef struct olog {
    int calls;
    int finals;
    int status;
    uint8_t code;
    uint32_t seq[MAXN];
    char payload[MAXN][64];
    size_t len;
    uint8_t body[2048];
    char reason[256];
    tether_server_req_id id;
    fx *f;
    int cancel_on; /* cancel the observation from the callback at this call */
} olog;

static void on_obs(void *arg, tether_time now, int status, const tether_server_response *r)
{
    olog *l = arg;
    int i = l->calls++;

    assert_non_null(r);
    assert_int_equal(r->op, TETHER_SERVER_OP_OBSERVE);
    l->status = status;
    l->code = r->code;
    l->finals += r->final;
    l->id = r->id;
    l->len = r->payload_len;
    if (r->payload_len <= sizeof(l->body) && r->payload_len > 0)
        memcpy(l->body, r->payload, r->payload_len);
    snprintf(l->reason, sizeof(l->reason), "%s", r->reason);
    if (i < MAXN) {
        l->seq[i] = r->has_seq ? r->observe_seq : 0xFFFFFFFFu;
        snprintf(l->payload[i], sizeof(l->payload[i]), "%.*s", (int)r->payload_len,
                 r->payload ? (const char *)r->payload : "");
    }
    if (!r->final)
        assert_int_equal(status, 0);
    if (l->cancel_on != 0 && l->calls == l->cancel_on)
        assert_int_equal(tether_server_cancel(l->f->srv, now, r->id, TETHER_SERVER_CANCEL_PASSIVE), 0);
}

/* The observation request in f->msg, kept for building notifications. */
typedef struct obs_req {
    uint8_t token[8];
    uint8_t tkl;
    uint16_t mid;
} obs_req;

static obs_req keep(fx *f)
{
    obs_req o;
    o.tkl = f->msg.tkl;
    memcpy(o.token, f->msg.token, f->msg.tkl);
    o.mid = f->msg.mid;
    return o;
}

/* A message from the client with o's token: type ACK answers the request
 * (piggybacked), CON or NON is a notification. seq < 0: no Observe. */
static void notify(fx *f, const tether_peer *from, const obs_req *o, uint8_t type, uint8_t code,
                   int64_t seq, const tether_coap_block *b2, const void *payload, size_t len)
{
    uint8_t buf[2048];
    tether_coap_builder b;
    size_t n;

    tether_coap_build_init(&b, buf, sizeof(buf), type, code,
                           type == TETHER_COAP_ACK ? o->mid : f->mid++, o->token, o->tkl);
    if (seq >= 0)
        tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_OBSERVE, (uint32_t)seq);
    tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_CONTENT_FORMAT, TETHER_FMT_TEXT);
    if (b2 != NULL)
        tether_coap_build_block(&b, TETHER_COAP_OPT_BLOCK2, b2);
    if (len > 0)
        tether_coap_build_payload(&b, payload, len);
    assert_int_equal(tether_coap_build_finish(&b, &n), 0);
    assert_int_equal(tether_server_recv(f->srv, f->now, from, buf, n), 0);
}

static tether_peer reg(fx *f, const char *ep, char id[16])
{
    tether_peer dev = fx_peer(0, 1);
    char q[64];
    snprintf(q, sizeof(q), "ep=%s&lt=60", ep);
    assert_int_equal(fx_register(f, &dev, q, "</3303/0>", id), TETHER_COAP_CREATED);
    return dev;
}

/* Observe /3303/0/5700 on ep d and answer 2.05 with Observe first_seq. */
static obs_req observe(fx *f, const tether_peer *dev, olog *l, tether_server_req_id *id,
                       int64_t first_seq)
{
    obs_req o;
    assert_int_equal(tether_server_observe(f->srv, f->now, "d", "/3303/0/5700", TETHER_SERVER_NO_FORMAT,
                                           on_obs, l, id),
                     0);
    assert_true(fx_pop(f));
    o = keep(f);
    notify(f, dev, &o, TETHER_COAP_ACK, TETHER_COAP_CONTENT, first_seq, NULL, "20.0", 4);
    return o;
}

/* End the server while the test's logs still live: what is left ends
 * with TETHER_ERR_CANCELLED into them. A fresh one is there for teardown. */
static void restart(fx *f)
{
    tether_server_free(f->srv);
    f->srv = NULL;
    fx_start(f);
}

static size_t stat_obs(fx *f)
{
    tether_server_stats st;
    tether_server_get_stats(f->srv, &st);
    return st.observations;
}

/* --- the request ----------------------------------------------------------------- */

static void test_observe_sends_get_with_observe_and_its_own_token(void **state)
{
    fx *f = *state;
    char rid[16];
    tether_peer dev = reg(f, "d", rid);
    tether_server_req_id id = 0, tok = 0;
    olog l = {0};
    uint32_t v;

    assert_int_equal(tether_server_observe(f->srv, f->now, "d", "/3303/0/5700", TETHER_FMT_TEXT,
                                           on_obs, &l, &id),
                     0);
    assert_true(fx_pop(f));
    assert_int_equal(f->msg.type, TETHER_COAP_CON);
    assert_int_equal(f->msg.code, TETHER_COAP_GET);
    assert_string_equal(fx_path(f), "3303/0/5700");
    assert_int_equal(tether_coap_observe(&f->msg, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(tether_coap_accept(&f->msg, &v), 0);
    assert_int_equal(v, TETHER_FMT_TEXT);
    assert_true(tether_peer_equal(&f->out_peer, &dev));
    /* The id is the token: the registry is keyed by it. */
    assert_int_equal(f->msg.tkl, 8);
    for (int i = 0; i < 8; i++)
        tok = tok << 8 | f->msg.token[i];
    assert_int_equal(id, tok);
    /* A second observation gets another token. */
    {
        olog l2 = {0};
        tether_server_req_id id2 = 0;
        assert_int_equal(tether_server_observe(f->srv, f->now, "d", "/3303/0/5700",
                                               TETHER_SERVER_NO_FORMAT, on_obs, &l2, &id2),
                         0);
        assert_int_not_equal(id2, id);
        assert_int_equal(tether_server_cancel(f->srv, f->now, id2, TETHER_SERVER_CANCEL_PASSIVE), 0);
        assert_int_equal(l2.finals, 1);
    }
    assert_int_equal(tether_server_observe(f->srv, f->now, "d", "/3303/x", TETHER_SERVER_NO_FORMAT,
                                           on_obs, &l, &id),
                     TETHER_ERR_INVAL);
    assert_int_equal(tether_server_observe(f->srv, f->now, "nobody", "/3303", TETHER_SERVER_NO_FORMAT,
                                           on_obs, &l, &id),
                     TETHER_ERR_NOT_FOUND);
    restart(f);
    assert_int_equal(l.finals, 1);
    assert_int_equal(l.status, TETHER_ERR_CANCELLED);
}

/* --- notifications ---------------------------------------------------------------- */

static void test_observe_notifications_in_order_stale_dropped(void **state)
{
    fx *f = *state;
    char rid[16];
    tether_peer dev = reg(f, "d", rid);
    tether_server_req_id id;
    olog l = {0};
    obs_req o = observe(f, &dev, &l, &id, 5);
    tether_server_stats st;

    assert_int_equal(l.calls, 1);
    assert_int_equal(l.finals, 0);
    assert_int_equal(l.seq[0], 5);
    assert_string_equal(l.payload[0], "20.0");
    assert_int_equal(stat_obs(f), 1);
    assert_int_equal(fx_count(f, TETHER_SERVER_EV_NOTIFICATION), 1);
    /* A CON notification is acknowledged and delivered. */
    notify(f, &dev, &o, TETHER_COAP_CON, TETHER_COAP_CONTENT, 6, NULL, "21.0", 4);
    assert_true(fx_pop(f));
    assert_int_equal(f->msg.type, TETHER_COAP_ACK);
    assert_int_equal(f->msg.code, TETHER_COAP_EMPTY);
    assert_int_equal(l.calls, 2);
    assert_int_equal(l.seq[1], 6);
    /* NON 8 overtakes NON 7: 7 is stale when it arrives. */
    notify(f, &dev, &o, TETHER_COAP_NON, TETHER_COAP_CONTENT, 8, NULL, "23.0", 4);
    notify(f, &dev, &o, TETHER_COAP_NON, TETHER_COAP_CONTENT, 7, NULL, "22.0", 4);
    assert_int_equal(l.calls, 3);
    assert_int_equal(l.seq[2], 8);
    assert_string_equal(l.payload[2], "23.0");
    /* The same number again is not fresh either. */
    notify(f, &dev, &o, TETHER_COAP_NON, TETHER_COAP_CONTENT, 8, NULL, "23.5", 4);
    assert_int_equal(l.calls, 3);
    tether_server_get_stats(f->srv, &st);
    assert_int_equal(st.stale_notifications, 2);
    assert_int_equal(st.notifications, 3);
    /* After 128 s any number is fresh (the client may have restarted). */
    f->now += 128001;
    notify(f, &dev, &o, TETHER_COAP_NON, TETHER_COAP_CONTENT, 2, NULL, "24.0", 4);
    assert_int_equal(l.calls, 4);
    assert_int_equal(l.seq[3], 2);
    assert_int_equal(fx_count(f, TETHER_SERVER_EV_NOTIFICATION), 4);
    assert_int_equal(l.finals, 0);
    assert_false(fx_pop(f)); /* NON notifications need no answer */
    restart(f);
}

static void test_observe_freshness_rule_wraps_around(void **state)
{
    (void)state;
    /* RFC 7641 §3.4 on 24-bit numbers. */
    assert_true(tether_dm_obs_fresh(5, 0, 6, 0));
    assert_false(tether_dm_obs_fresh(6, 0, 5, 0));
    assert_false(tether_dm_obs_fresh(6, 0, 6, 0));
    assert_true(tether_dm_obs_fresh(0xFFFFF0, 0, 3, 0));      /* wrapped */
    assert_false(tether_dm_obs_fresh(3, 0, 0xFFFFF0, 0));
    assert_true(tether_dm_obs_fresh(0, 0, (1u << 23) - 1, 0));
    assert_false(tether_dm_obs_fresh(0, 0, 1u << 23, 0));     /* too far ahead: older */
    assert_false(tether_dm_obs_fresh(9, 1000, 8, 129000));
    assert_true(tether_dm_obs_fresh(9, 1000, 8, 129001));     /* T2 > T1 + 128 s */
}

static void test_observe_notification_in_blocks_is_completed(void **state)
{
    fx *f = *state;
    char rid[16];
    tether_peer dev = reg(f, "d", rid);
    tether_server_req_id id;
    olog l = {0};
    obs_req o = observe(f, &dev, &l, &id, 1);
    char body[100];
    tether_coap_block b0 = {0, 1, 2}, b1 = {1, 0, 2}, blk;
    uint32_t v;

    for (size_t i = 0; i < sizeof(body); i++)
        body[i] = (char)('a' + i % 26);
    notify(f, &dev, &o, TETHER_COAP_NON, TETHER_COAP_CONTENT, 2, &b0, body, 64);
    assert_int_equal(l.calls, 1); /* not yet */
    assert_true(fx_pop(f));
    assert_int_equal(f->msg.code, TETHER_COAP_GET);
    assert_string_equal(fx_path(f), "3303/0/5700");
    assert_int_not_equal(tether_coap_observe(&f->msg, &v), 0); /* no Observe */
    assert_int_equal(tether_coap_block_get(&f->msg, TETHER_COAP_OPT_BLOCK2, &blk), 0);
    assert_int_equal(blk.num, 1);
    assert_int_equal(blk.szx, 2);
    assert_false(f->msg.tkl == o.tkl && memcmp(f->msg.token, o.token, o.tkl) == 0);
    {
        obs_req fetch = keep(f);
        notify(f, &dev, &fetch, TETHER_COAP_ACK, TETHER_COAP_CONTENT, -1, &b1, body + 64, 36);
    }
    assert_int_equal(l.calls, 2);
    assert_int_equal(l.seq[1], 2);
    assert_int_equal(l.len, sizeof(body));
    assert_memory_equal(l.body, body, sizeof(body));
    assert_int_equal(l.finals, 0);
    /* The observation goes on. */
    notify(f, &dev, &o, TETHER_COAP_NON, TETHER_COAP_CONTENT, 3, NULL, "x", 1);
    assert_int_equal(l.calls, 3);
    restart(f);
}

/* --- ends ----------------------------------------------------------------------- */

static void test_observe_answer_without_observe_ends_it(void **state)
{
    fx *f = *state;
    char rid[16];
    tether_peer dev = reg(f, "d", rid);
    olog l = {0};
    obs_req o;

    assert_int_equal(tether_server_observe(f->srv, f->now, "d", "/3303/0/5700", TETHER_SERVER_NO_FORMAT,
                                           on_obs, &l, NULL),
                     0);
    assert_true(fx_pop(f));
    o = keep(f);
    /* RFC 7641 §3.1: a server that cannot observe answers like a GET. */
    notify(f, &dev, &o, TETHER_COAP_ACK, TETHER_COAP_CONTENT, -1, NULL, "20.0", 4);
    assert_int_equal(l.calls, 1);
    assert_int_equal(l.finals, 1);
    assert_int_equal(l.status, 0);
    assert_int_equal(l.code, TETHER_COAP_CONTENT);
    assert_int_equal(stat_obs(f), 0);
    assert_int_equal(fx_count(f, TETHER_SERVER_EV_OBSERVE_END), 1);
    assert_int_equal(fx_last(f)->status, 0);

    /* An error code ends an established one too. */
    o = observe(f, &dev, &l, NULL, 1);
    assert_int_equal(stat_obs(f), 1);
    notify(f, &dev, &o, TETHER_COAP_NON, TETHER_COAP_NOT_FOUND, -1, NULL, NULL, 0);
    assert_int_equal(l.finals, 2);
    assert_int_equal(l.code, TETHER_COAP_NOT_FOUND);
    assert_int_equal(stat_obs(f), 0);
    /* ...and what comes after is answered with RST. */
    notify(f, &dev, &o, TETHER_COAP_NON, TETHER_COAP_CONTENT, 9, NULL, "z", 1);
    assert_true(fx_pop(f));
    assert_int_equal(f->msg.type, TETHER_COAP_RST);
    assert_int_equal(l.finals, 2);
}

static void test_observe_reset_or_silence_fails_it(void **state)
{
    fx *f = *state;
    char rid[16];
    tether_peer dev = reg(f, "d", rid);
    tether_server_request r = {0};
    olog l = {0}, t = {0};
    uint8_t rst[4];
    tether_coap_builder b;
    size_t n;

    assert_int_equal(tether_server_observe(f->srv, f->now, "d", "/3303/0/5700", TETHER_SERVER_NO_FORMAT,
                                           on_obs, &l, NULL),
                     0);
    assert_true(fx_pop(f));
    tether_coap_build_init(&b, rst, sizeof(rst), TETHER_COAP_RST, TETHER_COAP_EMPTY, f->msg.mid,
                           NULL, 0);
    assert_int_equal(tether_coap_build_finish(&b, &n), 0);
    assert_int_equal(tether_server_recv(f->srv, f->now, &dev, rst, n), 0);
    assert_int_equal(l.calls, 1);
    assert_int_equal(l.status, TETHER_ERR_RESET);
    assert_non_null(strstr(l.reason, "RST"));

    /* The timeout covers the first answer only. */
    r.op = TETHER_SERVER_OP_OBSERVE;
    r.path = "/3303/0/5700";
    r.accept = TETHER_SERVER_NO_FORMAT;
    r.timeout_ms = 3000;
    assert_int_equal(tether_server_submit(f->srv, f->now, "d", &r, on_obs, &t, NULL), 0);
    assert_true(fx_pop(f));
    fx_at(f, f->now + 3000);
    assert_int_equal(t.calls, 1);
    assert_int_equal(t.status, TETHER_ERR_TIMEOUT);
    assert_int_equal(t.finals, 1);
    while (fx_pop(f)) /* its retransmissions, queued before the timeout */
        ;
    memset(&t, 0, sizeof(t));
    assert_int_equal(tether_server_submit(f->srv, f->now, "d", &r, on_obs, &t, NULL), 0);
    assert_true(fx_pop(f));
    {
        obs_req o = keep(f);
        notify(f, &dev, &o, TETHER_COAP_ACK, TETHER_COAP_CONTENT, 1, NULL, "1", 1);
    }
    fx_at(f, f->now + 30000);
    assert_int_equal(t.calls, 1);
    assert_int_equal(t.finals, 0);
    assert_int_equal(stat_obs(f), 1);
    restart(f);
}

static void test_observe_cancel_passive_then_rst(void **state)
{
    fx *f = *state;
    char rid[16];
    tether_peer dev = reg(f, "d", rid);
    tether_server_req_id id;
    olog l = {0};
    obs_req o = observe(f, &dev, &l, &id, 1);

    assert_int_equal(tether_server_cancel(f->srv, f->now, id, TETHER_SERVER_CANCEL_PASSIVE), 0);
    assert_int_equal(l.calls, 2);
    assert_int_equal(l.finals, 1);
    assert_int_equal(l.status, TETHER_ERR_CANCELLED);
    assert_string_equal(l.reason, "cancelled by the caller");
    assert_false(fx_pop(f)); /* nothing sent */
    assert_int_equal(stat_obs(f), 0);
    assert_int_equal(fx_last(f)->type, TETHER_SERVER_EV_OBSERVE_END);
    assert_int_equal(fx_last(f)->status, TETHER_ERR_CANCELLED);
    /* RFC 7641 §3.6: the next notification is rejected with RST. */
    notify(f, &dev, &o, TETHER_COAP_CON, TETHER_COAP_CONTENT, 2, NULL, "21.0", 4);
    assert_true(fx_pop(f));
    assert_int_equal(f->msg.type, TETHER_COAP_RST);
    assert_int_equal(l.calls, 2);
    assert_int_equal(tether_server_cancel(f->srv, f->now, id, TETHER_SERVER_CANCEL_PASSIVE),
                     TETHER_ERR_NOT_FOUND);
}

static void test_observe_cancel_active_sends_observe_1(void **state)
{
    fx *f = *state;
    char rid[16];
    tether_peer dev = reg(f, "d", rid);
    tether_server_req_id id;
    olog l = {0};
    obs_req o = observe(f, &dev, &l, &id, 1);
    uint32_t v;

    assert_int_equal(tether_server_cancel(f->srv, f->now, id, TETHER_SERVER_CANCEL_ACTIVE), 0);
    assert_int_equal(l.finals, 1);
    assert_int_equal(l.status, TETHER_ERR_CANCELLED);
    assert_true(fx_pop(f));
    assert_int_equal(f->msg.code, TETHER_COAP_GET);
    assert_string_equal(fx_path(f), "3303/0/5700");
    assert_int_equal(tether_coap_observe(&f->msg, &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(f->msg.tkl, o.tkl);
    assert_memory_equal(f->msg.token, o.token, o.tkl);
    /* Its answer goes nowhere but the log. */
    {
        obs_req c = keep(f);
        notify(f, &dev, &c, TETHER_COAP_ACK, TETHER_COAP_CONTENT, -1, NULL, "20.5", 4);
    }
    assert_int_equal(l.calls, 2);
    assert_false(fx_pop(f));
}

static void test_observe_cancel_from_its_own_callback(void **state)
{
    fx *f = *state;
    char rid[16];
    tether_peer dev = reg(f, "d", rid);
    tether_server_req_id id;
    olog l = {0};
    obs_req o;

    l.f = f;
    l.cancel_on = 2;
    o = observe(f, &dev, &l, &id, 1);
    notify(f, &dev, &o, TETHER_COAP_NON, TETHER_COAP_CONTENT, 2, NULL, "x", 1);
    assert_int_equal(l.calls, 3);
    assert_int_equal(l.finals, 1);
    assert_int_equal(l.status, TETHER_ERR_CANCELLED);
    assert_int_equal(stat_obs(f), 0);
}

static size_t stat_parked(fx *f)
{
    tether_server_stats st;
    tether_server_get_stats(f->srv, &st);
    return st.parked;
}

/* The GET after a new Register: Observe 0, o's token, to dev. */
static void expect_reobserve(fx *f, const tether_peer *dev, const obs_req *o)
{
    uint32_t v = 99;
    assert_true(fx_pop(f));
    assert_int_equal(f->msg.type, TETHER_COAP_CON);
    assert_int_equal(f->msg.code, TETHER_COAP_GET);
    assert_string_equal(fx_path(f), "3303/0/5700");
    assert_int_equal(tether_coap_observe(&f->msg, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(f->msg.tkl, o->tkl);
    assert_memory_equal(f->msg.token, o->token, o->tkl); /* RFC 7641 §4.1 */
    assert_true(tether_peer_equal(&f->out_peer, dev));
}

static void test_R21_observation_outlives_expiry_and_comes_back_on_register(void **state)
{
    fx *f = *state;
    char rid[16];
    tether_peer dev = reg(f, "d", rid);
    olog l = {0};
    obs_req o = observe(f, &dev, &l, NULL, 1), o2;

    fx_at(f, f->now + 60000);
    assert_null(tether_server_find_ep(f->srv, "d", 1));
    assert_int_equal(l.finals, 0); /* parked, not ended */
    assert_int_equal(fx_count(f, TETHER_SERVER_EV_OBSERVE_END), 0);
    assert_int_equal(stat_obs(f), 0);
    assert_int_equal(stat_parked(f), 1);
    /* A notification from its last address while parked is still taken. */
    notify(f, &dev, &o, TETHER_COAP_CON, TETHER_COAP_CONTENT, 2, NULL, "21.0", 4);
    assert_true(fx_pop(f));
    assert_int_equal(f->msg.type, TETHER_COAP_ACK);
    assert_int_equal(l.calls, 2);
    assert_string_equal(l.payload[1], "21.0");
    /* ... but not from anywhere else. */
    {
        tether_peer other = fx_peer(0, 7);
        notify(f, &other, &o, TETHER_COAP_NON, TETHER_COAP_CONTENT, 3, NULL, "66", 2);
        assert_true(fx_pop(f));
        assert_int_equal(f->msg.type, TETHER_COAP_RST);
        assert_int_equal(l.calls, 2);
    }
    /* Register again: the observation carries over and is observed again. */
    (void)reg(f, "d", rid);
    expect_reobserve(f, &dev, &o);
    o2 = keep(f);
    assert_int_equal(stat_obs(f), 1);
    assert_int_equal(stat_parked(f), 0);
    /* Stored notifications (R21) come first, as separate responses ... */
    notify(f, &dev, &o, TETHER_COAP_NON, TETHER_COAP_CONTENT, 3, NULL, "22.0", 4);
    notify(f, &dev, &o, TETHER_COAP_CON, TETHER_COAP_CONTENT, 4, NULL, "23.0", 4);
    assert_true(fx_pop(f));
    assert_int_equal(f->msg.type, TETHER_COAP_ACK); /* not RST */
    /* ... then the piggybacked answer to the GET, after its request ended. */
    notify(f, &dev, &o2, TETHER_COAP_ACK, TETHER_COAP_CONTENT, 5, NULL, "24.0", 4);
    assert_false(fx_pop(f));
    assert_int_equal(l.calls, 5);
    assert_string_equal(l.payload[2], "22.0");
    assert_string_equal(l.payload[3], "23.0");
    assert_string_equal(l.payload[4], "24.0");
    assert_int_equal(l.finals, 0);
    restart(f);
    assert_int_equal(l.finals, 1);
}

static void test_R15_observations_carry_over_to_the_new_registration(void **state)
{
    fx *f = *state;
    char rid[16];
    tether_peer dev = reg(f, "d", rid);
    olog a = {0}, b = {0};
    obs_req oa, ob;
    tether_server_req_id ida, idb;

    oa = observe(f, &dev, &a, &ida, 1);
    ob = observe(f, &dev, &b, &idb, 1);
    assert_int_equal(stat_obs(f), 2);
    (void)reg(f, "d", rid);
    assert_int_equal(a.finals, 0);
    assert_int_equal(b.finals, 0);
    expect_reobserve(f, &dev, &oa);
    /* The client answers without Observe: it no longer observes. */
    notify(f, &dev, &oa, TETHER_COAP_ACK, TETHER_COAP_NOT_FOUND, -1, NULL, NULL, 0);
    assert_int_equal(a.finals, 1);
    assert_int_equal(a.status, 0);
    assert_int_equal(a.code, TETHER_COAP_NOT_FOUND);
    expect_reobserve(f, &dev, &ob);
    assert_false(fx_pop(f));
    /* An RST to the second ends it with RESET. */
    {
        uint8_t rst[4] = {0x70, 0x00, (uint8_t)(f->msg.mid >> 8), (uint8_t)f->msg.mid};
        assert_int_equal(tether_server_recv(f->srv, f->now, &dev, rst, sizeof(rst)), 0);
    }
    assert_int_equal(b.finals, 1);
    assert_int_equal(b.status, TETHER_ERR_RESET);
    assert_int_equal(fx_count(f, TETHER_SERVER_EV_OBSERVE_END), 2);
    assert_int_equal(stat_obs(f), 0);
    assert_int_equal(tether_server_cancel(f->srv, f->now, ida, TETHER_SERVER_CANCEL_PASSIVE),
                     TETHER_ERR_NOT_FOUND);
}

/* With one exchange slot, the GETs after a Register go out one by one as
 * each is answered (the wait FIFO), each with its observation's token. */
static void test_R21_reobservations_wait_for_free_slots(void **state)
{
    fx *f = *state;
    char rid[16];
    tether_peer dev;
    olog l[3];
    obs_req o[3];
    tether_server_stats st;

    memset(l, 0, sizeof(l));
    f->cfg.coap.max_exchanges = 1;
    restart(f);
    dev = reg(f, "d", rid);
    for (int i = 0; i < 3; i++)
        o[i] = observe(f, &dev, &l[i], NULL, 1);
    (void)reg(f, "d", rid);
    for (int i = 0; i < 3; i++) {
        obs_req again;
        expect_reobserve(f, &dev, &o[i]);
        again = keep(f);
        assert_false(fx_pop(f)); /* one at a time */
        tether_server_get_stats(f->srv, &st);
        assert_int_equal(st.waiting, (size_t)(2 - i));
        notify(f, &dev, &again, TETHER_COAP_ACK, TETHER_COAP_CONTENT, 5, NULL, "again", 5);
        assert_int_equal(l[i].calls, 2);
        assert_string_equal(l[i].payload[1], "again");
    }
    assert_false(fx_pop(f));
    tether_server_get_stats(f->srv, &st);
    assert_int_equal(st.observations, 3);
    /* Ending one while it waits takes it out of the FIFO. */
    (void)reg(f, "d", rid);
    expect_reobserve(f, &dev, &o[0]);
    o[0] = keep(f);
    assert_int_equal(tether_server_cancel(f->srv, f->now, l[1].id, TETHER_SERVER_CANCEL_PASSIVE), 0);
    tether_server_get_stats(f->srv, &st);
    assert_int_equal(st.waiting, 1);
    notify(f, &dev, &o[0], TETHER_COAP_ACK, TETHER_COAP_CONTENT, 9, NULL, "x", 1);
    expect_reobserve(f, &dev, &o[2]);
    restart(f);
}

static void test_R14_observations_follow_the_client_to_a_new_address(void **state)
{
    fx *f = *state;
    char rid[16];
    tether_peer dev = reg(f, "d", rid), moved = fx_peer(1, 9);
    olog a = {0};
    obs_req o;

    o = observe(f, &dev, &a, NULL, 1);
    assert_int_equal(fx_update(f, &moved, rid, NULL, NULL), TETHER_COAP_CHANGED);
    assert_int_equal(a.finals, 0);
    /* Taken from the registration's current address only. */
    notify(f, &dev, &o, TETHER_COAP_NON, TETHER_COAP_CONTENT, 2, NULL, "old", 3);
    assert_true(fx_pop(f));
    assert_int_equal(f->msg.type, TETHER_COAP_RST);
    notify(f, &moved, &o, TETHER_COAP_NON, TETHER_COAP_CONTENT, 3, NULL, "new", 3);
    assert_false(fx_pop(f));
    assert_int_equal(a.calls, 2);
    assert_string_equal(a.payload[1], "new");
    /* De-register parks it; obs_park_s later it ends with a reason. */
    assert_int_equal(fx_deregister(f, &moved, rid), TETHER_COAP_DELETED);
    assert_int_equal(a.finals, 0);
    assert_int_equal(stat_parked(f), 1);
    assert_int_equal(tether_server_next_deadline(f->srv), f->now + f->cfg.obs_park_s * 1000ull);
    fx_at(f, f->now + f->cfg.obs_park_s * 1000ull - 1);
    assert_int_equal(a.finals, 0);
    fx_at(f, f->now + 1);
    assert_int_equal(a.finals, 1);
    assert_int_equal(a.status, TETHER_ERR_CANCELLED);
    assert_non_null(strstr(a.reason, "did not register again within 90000 s"));
    assert_int_equal(stat_parked(f), 0);
    notify(f, &moved, &o, TETHER_COAP_NON, TETHER_COAP_CONTENT, 4, NULL, "x", 1);
    assert_true(fx_pop(f));
    assert_int_equal(f->msg.type, TETHER_COAP_RST);
}

static void test_R21_parked_observations_are_bounded_oldest_endpoint_first(void **state)
{
    fx *f = *state;
    char ida[16], idb[16];
    tether_peer pa = fx_peer(0, 1), pb = fx_peer(0, 2);
    olog a = {0}, b = {0};
    obs_req o;

    f->cfg.obs_park_max = 1;
    restart(f);
    assert_int_equal(fx_register(f, &pa, "ep=a&lt=60", "</3303/0>", ida), TETHER_COAP_CREATED);
    assert_int_equal(fx_register(f, &pb, "ep=b&lt=60", "</3303/0>", idb), TETHER_COAP_CREATED);
    assert_int_equal(tether_server_observe(f->srv, f->now, "a", "/3303/0/5700",
                                           TETHER_SERVER_NO_FORMAT, on_obs, &a, NULL), 0);
    assert_true(fx_pop(f));
    o = keep(f);
    notify(f, &pa, &o, TETHER_COAP_ACK, TETHER_COAP_CONTENT, 1, NULL, "1", 1);
    assert_int_equal(tether_server_observe(f->srv, f->now, "b", "/3303/0/5700",
                                           TETHER_SERVER_NO_FORMAT, on_obs, &b, NULL), 0);
    assert_true(fx_pop(f));
    o = keep(f);
    notify(f, &pb, &o, TETHER_COAP_ACK, TETHER_COAP_CONTENT, 1, NULL, "1", 1);
    assert_int_equal(fx_deregister(f, &pa, ida), TETHER_COAP_DELETED);
    assert_int_equal(stat_parked(f), 1);
    f->now += 1000;
    assert_int_equal(fx_deregister(f, &pb, idb), TETHER_COAP_DELETED);
    /* a left first: it gives way. */
    assert_int_equal(a.finals, 1);
    assert_int_equal(a.status, TETHER_ERR_CANCELLED);
    assert_non_null(strstr(a.reason, "obs_park_max"));
    assert_int_equal(b.finals, 0);
    assert_int_equal(stat_parked(f), 1);
    restart(f);
    assert_int_equal(b.finals, 1);
}

static void test_observe_parking_off_ends_observations_with_the_registration(void **state)
{
    fx *f = *state;
    char rid[16];
    tether_peer dev;
    olog l = {0};
    obs_req o;

    f->cfg.obs_park_s = 0;
    restart(f);
    dev = reg(f, "d", rid);
    o = observe(f, &dev, &l, NULL, 1);
    assert_int_equal(fx_deregister(f, &dev, rid), TETHER_COAP_DELETED);
    assert_int_equal(l.finals, 1);
    assert_int_equal(l.status, TETHER_ERR_CANCELLED);
    assert_string_equal(l.reason, "ep=d de-registered");
    notify(f, &dev, &o, TETHER_COAP_NON, TETHER_COAP_CONTENT, 2, NULL, "x", 1);
    assert_true(fx_pop(f));
    assert_int_equal(f->msg.type, TETHER_COAP_RST);
}

/* Observations hold no CoAP exchange slot: many more than max_exchanges
 * live at once, and a Read still finds a slot. */
static void test_observe_observations_hold_no_exchange_slot(void **state)
{
    fx *f = *state;
    char rid[16];
    tether_peer dev;
    olog l[6];
    obs_req o[6];
    tether_server_stats st;

    memset(l, 0, sizeof(l));
    f->cfg.coap.max_exchanges = 2;
    restart(f);
    dev = reg(f, "d", rid);
    for (int i = 0; i < 6; i++)
        o[i] = observe(f, &dev, &l[i], NULL, 1);
    tether_server_get_stats(f->srv, &st);
    assert_int_equal(st.observations, 6);
    assert_int_equal(st.coap.exchanges_in_flight, 0);
    for (int i = 0; i < 6; i++) {
        notify(f, &dev, &o[i], TETHER_COAP_CON, TETHER_COAP_CONTENT, 2, NULL, "n", 1);
        assert_true(fx_pop(f));
        assert_int_equal(f->msg.type, TETHER_COAP_ACK);
        assert_int_equal(l[i].calls, 2);
    }
    /* A retransmitted CON notification gets its ACK again, once delivered. */
    f->mid--;
    notify(f, &dev, &o[5], TETHER_COAP_CON, TETHER_COAP_CONTENT, 2, NULL, "n", 1);
    f->mid++;
    assert_true(fx_pop(f));
    assert_int_equal(f->msg.type, TETHER_COAP_ACK);
    assert_int_equal(l[5].calls, 2);
    restart(f);
    for (int i = 0; i < 6; i++)
        assert_int_equal(l[i].finals, 1);
}

static void test_observe_server_free_ends_observations(void **state)
{
    fx *f = *state;
    char rid[16];
    tether_peer dev = reg(f, "d", rid);
    olog l = {0};
    size_t n_ev;

    (void)observe(f, &dev, &l, NULL, 1);
    n_ev = f->n_ev;
    tether_server_free(f->srv);
    f->srv = NULL;
    assert_int_equal(l.finals, 1);
    assert_int_equal(l.status, TETHER_ERR_CANCELLED);
    assert_int_equal(f->n_ev, n_ev); /* no events while freeing */
    fx_start(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_observe_sends_get_with_observe_and_its_own_token, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_observe_notifications_in_order_stale_dropped, fx_setup, fx_teardown),
        cmocka_unit_test(test_observe_freshness_rule_wraps_around),
        cmocka_unit_test_setup_teardown(test_observe_notification_in_blocks_is_completed, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_observe_answer_without_observe_ends_it, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_observe_reset_or_silence_fails_it, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_observe_cancel_passive_then_rst, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_observe_cancel_active_sends_observe_1, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_observe_cancel_from_its_own_callback, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R21_observation_outlives_expiry_and_comes_back_on_register, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R15_observations_carry_over_to_the_new_registration, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R21_reobservations_wait_for_free_slots, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R14_observations_follow_the_client_to_a_new_address, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R21_parked_observations_are_bounded_oldest_endpoint_first, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_observe_parking_off_ends_observations_with_the_registration, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_observe_observations_hold_no_exchange_slot, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_observe_server_free_ends_observations, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
