/* SPDX-License-Identifier: Apache-2.0 */
/* CoAP exchange layer (RFC 7252 §4, §5.2): retransmission, matching,
 * separate responses, ping, deduplication, send queue, re-entrancy. A
 * virtual clock (H.now) and a scripted random source make every datagram
 * predictable, so the tests compare bytes on the wire. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tether/coap_exchange.h"

/* --- harness ------------------------------------------------------------- */

enum { RAND_SEQ, RAND_CONST, RAND_PRNG };
enum { REQ_PIGGY, REQ_DEFER, REQ_NOTHING, REQ_RECV, REQ_BIG };
enum { ACT_NONE, ACT_CANCEL_SELF, ACT_CANCEL_OTHER, ACT_START_NEW };

typedef struct rec {
    int calls;
    int status;
    int has_resp;
    uint8_t code;
    uint8_t payload[64];
    size_t plen;
    tether_time at;
    int action;
    int action_on_call; /* run the action on this call number */
    tether_coap_xid self, other, started;
    int action_rc;
    int cancelled_seen;
} rec;

static struct harness {
    void *mem;
    tether_coap_ctx *ctx;
    tether_coap_config cfg;
    tether_coap_callbacks cb;
    tether_time now;
    int rmode;
    uint8_t rbyte;
    uint32_t prng;
    int req_mode;
    uint8_t req_code;
    int req_calls;
    tether_coap_incoming saved;
    uint8_t last_req_code;
    int reply_rc;
    int reentrant_rc[2];
    int reset_calls;
    uint16_t reset_mid;
    int log_lines_above_debug;
    rec started_rec;
    int closing; /* teardown: recs of the finished test are gone */
    int unmatched_calls;
    int unmatched_rc;       /* what the unmatched hook returns */
    uint8_t unmatched_type; /* of the last response it saw */
    uint8_t unmatched_code;
    tether_peer unmatched_peer;
    tether_coap_xid unmatched_start; /* the hook starts an exchange */
    int unmatched_start_rc;
} H;

static const tether_peer PA = {1, 6, {10, 0, 0, 1, 0x16, 0x33}};
static const tether_peer PB = {1, 6, {10, 0, 0, 2, 0x16, 0x33}};

static void test_rand(void *user, void *buf, size_t len)
{
    uint8_t *p = buf;
    (void)user;
    for (size_t i = 0; i < len; i++) {
        if (H.rmode == RAND_PRNG) { /* xorshift32 */
            H.prng ^= H.prng << 13;
            H.prng ^= H.prng >> 17;
            H.prng ^= H.prng << 5;
            p[i] = (uint8_t)(H.prng >> 24);
        } else {
            p[i] = H.rmode == RAND_SEQ ? H.rbyte++ : H.rbyte;
        }
    }
}

static void test_log(void *user, int level, const char *module, const char *msg)
{
    (void)user;
    (void)module;
    (void)msg;
    if (level < TETHER_LOG_DEBUG)
        H.log_lines_above_debug++;
}

static void on_request(void *user, tether_time now, const tether_coap_msg *req,
                       const tether_coap_incoming *in)
{
    tether_coap_builder b;
    (void)user;
    H.req_calls++;
    H.last_req_code = req->code;
    H.saved = *in;
    switch (H.req_mode) {
    case REQ_PIGGY:
        assert_int_equal(tether_coap_reply_begin(H.ctx, &b, &H.saved, H.req_code), 0);
        tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_CONTENT_FORMAT, 0);
        tether_coap_build_payload(&b, "v=1", 3);
        H.reply_rc = tether_coap_reply_send(H.ctx, now, &H.saved, &b);
        break;
    case REQ_BIG: {
        uint8_t big[40];
        memset(big, 'x', sizeof(big));
        assert_int_equal(tether_coap_reply_begin(H.ctx, &b, &H.saved, H.req_code), 0);
        tether_coap_build_payload(&b, big, sizeof(big));
        H.reply_rc = tether_coap_reply_send(H.ctx, now, &H.saved, &b);
        break;
    }
    case REQ_RECV: {
        static const uint8_t ping[] = {0x40, 0x00, 0x00, 0x01};
        H.reentrant_rc[0] = tether_coap_recv(H.ctx, now, &PA, ping, sizeof(ping));
        H.reentrant_rc[1] = tether_coap_on_timeout(H.ctx, now);
        break;
    }
    default:
        break;
    }
}

static void on_reset(void *user, tether_time now, const tether_peer *peer, uint16_t mid)
{
    (void)user;
    (void)now;
    (void)peer;
    H.reset_calls++;
    H.reset_mid = mid;
}

static void done_cb(void *arg, tether_time now, int status, const tether_coap_msg *resp);

/* A CON GET /t to peer with a drawn token, its first timeout drawn from
 * `jitter` (0x00: ACK_TIMEOUT; 0xFF: ACK_TIMEOUT * 1.5). */
static int start_get(const tether_peer *peer, uint8_t type, uint32_t flags, uint8_t jitter,
                     rec *r, tether_coap_xid *xid)
{
    tether_coap_builder b;
    int rc, saved_mode = H.rmode;
    uint8_t saved_byte;

    assert_int_equal(tether_coap_msg_begin(H.ctx, &b, type, TETHER_COAP_GET, NULL, 0), 0);
    if (flags & TETHER_COAP_KEEP)
        tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_OBSERVE, 0);
    tether_coap_build_path(&b, TETHER_COAP_OPT_URI_PATH, "t");
    saved_byte = H.rbyte;
    H.rmode = RAND_CONST;
    H.rbyte = jitter;
    rc = tether_coap_msg_send(H.ctx, H.now, peer, &b, flags, done_cb, r, xid);
    H.rmode = saved_mode;
    H.rbyte = saved_byte;
    return rc;
}

static void done_cb(void *arg, tether_time now, int status, const tether_coap_msg *resp)
{
    rec *r = arg;
    if (H.closing)
        return;
    r->calls++;
    r->status = status;
    r->at = now;
    r->has_resp = resp != NULL;
    if (status == TETHER_ERR_CANCELLED)
        r->cancelled_seen++;
    if (resp != NULL) {
        r->code = resp->code;
        r->plen = resp->payload_len < sizeof(r->payload) ? resp->payload_len : sizeof(r->payload);
        if (r->plen)
            memcpy(r->payload, resp->payload, r->plen);
    }
    if (r->action != ACT_NONE && r->calls == r->action_on_call) {
        switch (r->action) {
        case ACT_CANCEL_SELF:
            r->action_rc = tether_coap_cancel(H.ctx, now, r->self);
            break;
        case ACT_CANCEL_OTHER:
            r->action_rc = tether_coap_cancel(H.ctx, now, r->other);
            break;
        case ACT_START_NEW:
            r->action_rc = start_get(&PA, TETHER_COAP_CON, 0, 0, &H.started_rec, &r->started);
            break;
        }
    }
}

static tether_coap_config base_cfg(void)
{
    tether_coap_config c;
    tether_coap_config_default(&c);
    c.rand = test_rand;
    c.log = test_log;
    return c;
}

static void start_with(const tether_coap_config *cfg)
{
    size_t sz = tether_coap_mem_size(cfg);
    assert_true(sz > 0);
    H.cfg = *cfg;
    H.mem = malloc(sz);
    assert_non_null(H.mem);
    H.cb.on_request = on_request;
    H.cb.on_reset = on_reset;
    assert_int_equal(tether_coap_init(&H.ctx, H.mem, sz, cfg, &H.cb, NULL), 0);
}

static int setup(void **state)
{
    tether_coap_config c;
    (void)state;
    memset(&H, 0, sizeof(H));
    H.rmode = RAND_SEQ;
    H.rbyte = 0x10;
    H.req_code = TETHER_COAP_CONTENT;
    c = base_cfg();
    start_with(&c);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    H.closing = 1;
    tether_coap_fini(H.ctx);
    free(H.mem);
    H.ctx = NULL;
    /* Nothing per datagram may be logged above DEBUG. */
    assert_int_equal(H.log_lines_above_debug, 0);
    return 0;
}

static void restart_with(const tether_coap_config *cfg)
{
    tether_coap_fini(H.ctx);
    free(H.mem);
    H.rbyte = 0x10;
    start_with(cfg);
}

static size_t pull(tether_peer *p, uint8_t *buf, size_t cap)
{
    size_t len = 99;
    tether_peer dummy;
    assert_int_equal(tether_coap_send(H.ctx, H.now, p ? p : &dummy, buf, cap, &len), 0);
    return len;
}

static void expect_nothing(void)
{
    uint8_t buf[2048];
    assert_int_equal(pull(NULL, buf, sizeof(buf)), 0);
}

/* Pull one datagram and check it is exactly exp[0..n) for peer. */
static void expect_bytes(const tether_peer *peer, const uint8_t *exp, size_t n)
{
    uint8_t buf[2048];
    tether_peer p;
    size_t len = pull(&p, buf, sizeof(buf));
    assert_int_equal(len, n);
    assert_memory_equal(buf, exp, n);
    assert_true(tether_peer_equal(&p, peer));
}

/* Pull one datagram, parse it into *m (views into buf). */
static size_t expect_msg(const tether_peer *peer, uint8_t *buf, size_t cap, tether_coap_msg *m)
{
    tether_peer p;
    size_t len = pull(&p, buf, cap);
    assert_true(len > 0);
    assert_true(tether_peer_equal(&p, peer));
    assert_int_equal(tether_coap_parse(m, buf, len), 0);
    return len;
}

static int feed(const tether_peer *peer, const uint8_t *buf, size_t len)
{
    return tether_coap_recv(H.ctx, H.now, peer, buf, len);
}

/* Build a datagram: optional Observe (obs >= 0) and text payload. */
static size_t mk(uint8_t *buf, size_t cap, uint8_t type, uint8_t code, uint16_t mid,
                 const uint8_t *tok, uint8_t tkl, long obs, const char *payload)
{
    tether_coap_builder b;
    size_t len;
    tether_coap_build_init(&b, buf, cap, type, code, mid, tok, tkl);
    if (obs >= 0)
        tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_OBSERVE, (uint32_t)obs);
    if (code == TETHER_COAP_GET)
        tether_coap_build_path(&b, TETHER_COAP_OPT_URI_PATH, "3/0/1");
    if (payload)
        tether_coap_build_payload(&b, payload, strlen(payload));
    assert_int_equal(tether_coap_build_finish(&b, &len), 0);
    return len;
}

static void empty(uint8_t out[4], uint8_t type, uint16_t mid)
{
    out[0] = (uint8_t)(0x40 | type << 4);
    out[1] = 0;
    out[2] = (uint8_t)(mid >> 8);
    out[3] = (uint8_t)mid;
}

static tether_coap_stats stats(void)
{
    tether_coap_stats s;
    tether_coap_get_stats(H.ctx, &s);
    return s;
}

static void advance_to(tether_time t)
{
    H.now = t;
    assert_int_equal(tether_coap_on_timeout(H.ctx, t), 0);
}

/* --- retransmission ------------------------------------------------------ */

static void check_schedule(uint8_t jitter, tether_time t0)
{
    rec r = {0};
    uint8_t first[64], buf[64];
    size_t n;
    tether_coap_msg m;
    tether_time t = 0, wait = t0;

    H.now = 0;
    assert_int_equal(start_get(&PA, TETHER_COAP_CON, 0, jitter, &r, NULL), 0);
    n = expect_msg(&PA, first, sizeof(first), &m);
    assert_int_equal(m.type, TETHER_COAP_CON);
    for (int k = 1; k <= 4; k++) {
        t += wait;
        assert_int_equal(tether_coap_next_deadline(H.ctx), t);
        advance_to(t - 1);
        expect_nothing();
        advance_to(t);
        expect_bytes(&PA, first, n); /* the same datagram, same mid */
        assert_int_equal(r.calls, 0);
        wait *= 2;
    }
    t += wait; /* 16 x the first timeout after the 4th retransmission */
    assert_int_equal(tether_coap_next_deadline(H.ctx), t);
    advance_to(t - 1);
    assert_int_equal(r.calls, 0);
    advance_to(t);
    expect_nothing();
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.status, TETHER_ERR_TIMEOUT);
    assert_int_equal(r.at, t);
    assert_int_equal(tether_coap_next_deadline(H.ctx), TETHER_TIME_NEVER);
    advance_to(t + 1000000);
    assert_int_equal(r.calls, 1);
    assert_int_equal(stats().retransmissions, 4);
    assert_int_equal(stats().timeouts, 1);
    assert_int_equal(stats().exchanges_in_flight, 0);
    (void)buf;
}

static void test_exchange_retransmission_schedule_doubles(void **state)
{
    (void)state;
    check_schedule(0x00, 2000); /* 2, 6, 14, 30 s; TIMEOUT at 62 s */
}

static void test_exchange_retransmission_schedule_upper_bound(void **state)
{
    (void)state;
    check_schedule(0xFF, 3000); /* ACK_TIMEOUT * ACK_RANDOM_FACTOR; TIMEOUT at 93 s */
}

static void test_exchange_first_timeout_within_ack_random_range(void **state)
{
    (void)state;
    /* 0x80 0x80 0x80: 2000 + 1000 * 0x808080 / 0xFFFFFF = 2501 ms (floor) */
    for (int i = 0; i < 3; i++) {
        static const uint8_t j[] = {0x00, 0x80, 0xFF};
        static const tether_time want[] = {2000, 2501, 3000};
        rec r = {0};
        tether_coap_xid xid;
        uint8_t buf[64];
        assert_int_equal(start_get(&PA, TETHER_COAP_CON, 0, j[i], &r, &xid), 0);
        assert_int_equal(tether_coap_next_deadline(H.ctx), want[i]);
        assert_int_equal(tether_coap_cancel(H.ctx, 0, xid), 0);
        assert_true(pull(NULL, buf, sizeof(buf)) > 0);
    }
}

static void test_exchange_retransmission_parameters_configurable(void **state)
{
    tether_coap_config c = base_cfg();
    rec r = {0};
    uint8_t buf[64];
    (void)state;
    c.ack_timeout_ms = 100;
    c.ack_random_factor_milli = 1000;
    c.max_retransmit = 1;
    restart_with(&c);
    assert_int_equal(start_get(&PA, TETHER_COAP_CON, 0, 0x77, &r, NULL), 0);
    assert_true(pull(NULL, buf, sizeof(buf)) > 0);
    assert_int_equal(tether_coap_next_deadline(H.ctx), 100);
    advance_to(100);
    assert_true(pull(NULL, buf, sizeof(buf)) > 0);
    assert_int_equal(tether_coap_next_deadline(H.ctx), 300);
    advance_to(300);
    expect_nothing();
    assert_int_equal(r.status, TETHER_ERR_TIMEOUT);
    assert_int_equal(r.calls, 1);
}

/* --- ids ------------------------------------------------------------------ */

static void test_exchange_token_and_mid_come_from_rand(void **state)
{
    /* rand yields 0x10, 0x11, ...: the seed takes 10..13, the first mid is
     * 0x1415, the first token 16..1D, then the jitter (forced to 0 here). */
    static const uint8_t want1[] = {0x48, 0x01, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19,
                                    0x1A, 0x1B, 0x1C, 0x1D, 0xB1, 't'};
    static const uint8_t want2[] = {0x48, 0x01, 0x14, 0x16, 0x1E, 0x1F, 0x20, 0x21,
                                    0x22, 0x23, 0x24, 0x25, 0xB1, 't'};
    rec r1 = {0}, r2 = {0};
    (void)state;
    assert_int_equal(start_get(&PA, TETHER_COAP_CON, 0, 0, &r1, NULL), 0);
    assert_int_equal(start_get(&PB, TETHER_COAP_CON, 0, 0, &r2, NULL), 0);
    expect_bytes(&PA, want1, sizeof(want1));
    expect_bytes(&PB, want2, sizeof(want2));
}

static void test_exchange_token_len_configurable_and_collision_redrawn(void **state)
{
    tether_coap_config c = base_cfg();
    rec r1 = {0}, r2 = {0};
    uint8_t b1[64], b2[64];
    tether_coap_msg m1, m2;
    (void)state;
    tether_coap_builder b;
    c.token_len = 1;
    restart_with(&c);
    /* token 0x16, jitter 17 18 19 1A */
    assert_int_equal(tether_coap_msg_begin(H.ctx, &b, TETHER_COAP_CON, TETHER_COAP_GET, NULL, 0), 0);
    assert_int_equal(tether_coap_msg_send(H.ctx, 0, &PA, &b, 0, done_cb, &r1, NULL), 0);
    H.rbyte = 0x16; /* the same token byte again: drawn anew at send (0x17) */
    assert_int_equal(tether_coap_msg_begin(H.ctx, &b, TETHER_COAP_CON, TETHER_COAP_GET, NULL, 0), 0);
    assert_int_equal(tether_coap_msg_send(H.ctx, 0, &PA, &b, 0, done_cb, &r2, NULL), 0);
    expect_msg(&PA, b1, sizeof(b1), &m1);
    expect_msg(&PA, b2, sizeof(b2), &m2);
    assert_int_equal(m1.tkl, 1);
    assert_int_equal(m2.tkl, 1);
    assert_int_equal(m1.token[0], 0x16);
    assert_int_equal(m2.token[0], 0x17);
    /* Every 1-byte token in use with PB: the 257th request is refused. */
    H.rmode = RAND_PRNG;
    H.prng = 12345;
    {
        static rec many[256];
        int ok = 0, busy = 0;
        tether_coap_config c2 = base_cfg();
        c2.token_len = 1;
        c2.max_exchanges = 300;
        c2.txq_bytes = 64 * 1024;
        restart_with(&c2);
        H.rmode = RAND_PRNG;
        for (int i = 0; i < 256; i++) {
            assert_int_equal(tether_coap_msg_begin(H.ctx, &b, TETHER_COAP_CON, TETHER_COAP_GET,
                                                   (const uint8_t[]){(uint8_t)i}, 1), 0);
            assert_int_equal(tether_coap_msg_send(H.ctx, 0, &PB, &b, 0, done_cb, &many[i], NULL), 0);
        }
        for (int i = 0; i < 4; i++) {
            int rc;
            assert_int_equal(tether_coap_msg_begin(H.ctx, &b, TETHER_COAP_CON, TETHER_COAP_GET, NULL, 0), 0);
            rc = tether_coap_msg_send(H.ctx, 0, &PB, &b, 0, done_cb, &r2, NULL);
            ok += rc == 0;
            busy += rc == TETHER_ERR_BUSY;
        }
        assert_int_equal(ok, 0);
        assert_int_equal(busy, 4);
        assert_int_equal(stats().exchanges_in_flight, 256);
    }
    assert_int_equal(m2.mid, (uint16_t)(m1.mid + 1));
}

static void test_exchange_caller_token_in_use_is_refused(void **state)
{
    static const uint8_t tok[] = {0xAA, 0xBB};
    tether_coap_builder b;
    rec r = {0};
    (void)state;
    assert_int_equal(tether_coap_msg_begin(H.ctx, &b, TETHER_COAP_CON, TETHER_COAP_GET, tok, 2), 0);
    assert_int_equal(tether_coap_msg_send(H.ctx, 0, &PA, &b, 0, done_cb, &r, NULL), 0);
    assert_int_equal(tether_coap_msg_begin(H.ctx, &b, TETHER_COAP_CON, TETHER_COAP_GET, tok, 2), 0);
    assert_int_equal(tether_coap_msg_send(H.ctx, 0, &PA, &b, 0, done_cb, &r, NULL),
                     TETHER_ERR_EXISTS);
    /* Another peer may use the same token. */
    assert_int_equal(tether_coap_msg_begin(H.ctx, &b, TETHER_COAP_CON, TETHER_COAP_GET, tok, 2), 0);
    assert_int_equal(tether_coap_msg_send(H.ctx, 0, &PB, &b, 0, done_cb, &r, NULL), 0);
    assert_int_equal(stats().exchanges_in_flight, 2);
}

/* --- responses ----------------------------------------------------------- */

static void test_exchange_piggybacked_response_completes_request(void **state)
{
    rec r = {0};
    uint8_t buf[64], in[64];
    tether_coap_msg m;
    size_t n;
    (void)state;
    assert_int_equal(start_get(&PA, TETHER_COAP_CON, 0, 0, &r, NULL), 0);
    expect_msg(&PA, buf, sizeof(buf), &m);
    H.now = 500;
    n = mk(in, sizeof(in), TETHER_COAP_ACK, TETHER_COAP_CONTENT, m.mid, m.token, m.tkl, -1, "21.5");
    assert_int_equal(feed(&PA, in, n), 0);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.code, TETHER_COAP_CONTENT);
    assert_int_equal(r.plen, 4);
    assert_memory_equal(r.payload, "21.5", 4);
    assert_int_equal(r.at, 500);
    assert_int_equal(tether_coap_next_deadline(H.ctx), TETHER_TIME_NEVER);
    assert_int_equal(stats().exchanges_in_flight, 0);
    /* A repeated ACK matches nothing now: ignored, no RST. */
    assert_int_equal(feed(&PA, in, n), 0);
    expect_nothing();
    assert_int_equal(r.calls, 1);
}

static void test_exchange_ack_from_other_peer_does_not_match(void **state)
{
    rec r = {0};
    uint8_t buf[64], in[64];
    tether_coap_msg m;
    size_t n;
    (void)state;
    assert_int_equal(start_get(&PA, TETHER_COAP_CON, 0, 0, &r, NULL), 0);
    expect_msg(&PA, buf, sizeof(buf), &m);
    n = mk(in, sizeof(in), TETHER_COAP_ACK, TETHER_COAP_CONTENT, m.mid, m.token, m.tkl, -1, NULL);
    assert_int_equal(feed(&PB, in, n), 0);
    expect_nothing();
    assert_int_equal(r.calls, 0);
    assert_int_equal(stats().exchanges_in_flight, 1);
}

static void test_exchange_separate_response_is_acked_and_delivered(void **state)
{
    rec r = {0};
    uint8_t buf[64], in[64], ack[4], want_ack[4];
    tether_coap_msg m;
    size_t n;
    (void)state;
    assert_int_equal(start_get(&PA, TETHER_COAP_CON, 0, 0, &r, NULL), 0);
    expect_msg(&PA, buf, sizeof(buf), &m);
    H.now = 100;
    empty(ack, TETHER_COAP_ACK, m.mid);
    assert_int_equal(feed(&PA, ack, 4), 0);
    expect_nothing();
    /* Acknowledged: no retransmission at 2 s. */
    advance_to(2000);
    expect_nothing();
    assert_int_equal(stats().retransmissions, 0);
    assert_int_equal(r.calls, 0);

    H.now = 5000;
    n = mk(in, sizeof(in), TETHER_COAP_CON, TETHER_COAP_CONTENT, 0x7777, m.token, m.tkl, -1, "ok");
    assert_int_equal(feed(&PA, in, n), 0);
    empty(want_ack, TETHER_COAP_ACK, 0x7777);
    expect_bytes(&PA, want_ack, 4); /* 60 00 77 77 */
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.code, TETHER_COAP_CONTENT);
    assert_memory_equal(r.payload, "ok", 2);

    /* Our ACK got lost: the retransmitted response is ACKed again but not
     * delivered twice. */
    assert_int_equal(feed(&PA, in, n), 0);
    expect_bytes(&PA, want_ack, 4);
    assert_int_equal(r.calls, 1);
    assert_int_equal(stats().rx_duplicate, 1);
}

static void test_exchange_separate_response_before_ack_stops_retransmission(void **state)
{
    rec r = {0};
    uint8_t buf[64], in[64], want_ack[4];
    tether_coap_msg m;
    size_t n;
    (void)state;
    assert_int_equal(start_get(&PA, TETHER_COAP_CON, 0, 0, &r, NULL), 0);
    expect_msg(&PA, buf, sizeof(buf), &m);
    n = mk(in, sizeof(in), TETHER_COAP_CON, TETHER_COAP_CONTENT, 0x0102, m.token, m.tkl, -1, NULL);
    assert_int_equal(feed(&PA, in, n), 0);
    empty(want_ack, TETHER_COAP_ACK, 0x0102);
    expect_bytes(&PA, want_ack, 4);
    assert_int_equal(r.calls, 1);
    advance_to(100000);
    expect_nothing();
    assert_int_equal(r.calls, 1);
}

static void test_exchange_separate_response_timeout(void **state)
{
    rec r = {0};
    uint8_t buf[64], ack[4];
    tether_coap_msg m;
    (void)state;
    assert_int_equal(start_get(&PA, TETHER_COAP_CON, 0, 0, &r, NULL), 0);
    expect_msg(&PA, buf, sizeof(buf), &m);
    H.now = 1000;
    empty(ack, TETHER_COAP_ACK, m.mid);
    assert_int_equal(feed(&PA, ack, 4), 0);
    assert_int_equal(tether_coap_next_deadline(H.ctx), 1000 + 247000);
    advance_to(1000 + 247000 - 1);
    assert_int_equal(r.calls, 0);
    advance_to(1000 + 247000);
    expect_nothing();
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.status, TETHER_ERR_TIMEOUT);
    assert_int_equal(stats().timeouts, 1);
}

static void test_exchange_rst_completes_with_reset(void **state)
{
    rec r = {0};
    uint8_t buf[64], rst[4];
    tether_coap_msg m;
    (void)state;
    assert_int_equal(start_get(&PA, TETHER_COAP_CON, 0, 0, &r, NULL), 0);
    expect_msg(&PA, buf, sizeof(buf), &m);
    empty(rst, TETHER_COAP_RST, m.mid);
    assert_int_equal(feed(&PA, rst, 4), 0);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.status, TETHER_ERR_RESET);
    assert_int_equal(r.has_resp, 0);
    assert_int_equal(H.reset_calls, 0);
    assert_int_equal(tether_coap_next_deadline(H.ctx), TETHER_TIME_NEVER);
    /* The same RST again matches nothing: on_reset. */
    assert_int_equal(feed(&PA, rst, 4), 0);
    assert_int_equal(r.calls, 1);
    assert_int_equal(H.reset_calls, 1);
    assert_int_equal(H.reset_mid, m.mid);
}

static void test_exchange_rst_completes_non_request(void **state)
{
    rec r = {0};
    uint8_t buf[64], rst[4];
    tether_coap_msg m;
    (void)state;
    assert_int_equal(start_get(&PA, TETHER_COAP_NON, 0, 0, &r, NULL), 0);
    expect_msg(&PA, buf, sizeof(buf), &m);
    assert_int_equal(m.type, TETHER_COAP_NON);
    empty(rst, TETHER_COAP_RST, m.mid);
    assert_int_equal(feed(&PA, rst, 4), 0);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.status, TETHER_ERR_RESET);
}

static void test_exchange_unknown_response_gets_rst_unknown_ack_ignored(void **state)
{
    static const uint8_t tok[] = {9, 9, 9};
    uint8_t in[64], want[4];
    size_t n;
    (void)state;
    n = mk(in, sizeof(in), TETHER_COAP_CON, TETHER_COAP_CONTENT, 0x4242, tok, 3, -1, "x");
    assert_int_equal(feed(&PA, in, n), 0);
    empty(want, TETHER_COAP_RST, 0x4242);
    expect_bytes(&PA, want, 4);
    n = mk(in, sizeof(in), TETHER_COAP_NON, TETHER_COAP_CONTENT, 0x4243, tok, 3, 5, "x");
    assert_int_equal(feed(&PA, in, n), 0);
    empty(want, TETHER_COAP_RST, 0x4243);
    expect_bytes(&PA, want, 4);
    empty(in, TETHER_COAP_ACK, 0x4244);
    assert_int_equal(feed(&PA, in, 4), 0);
    n = mk(in, sizeof(in), TETHER_COAP_ACK, TETHER_COAP_CONTENT, 0x4245, tok, 3, -1, NULL);
    assert_int_equal(feed(&PA, in, n), 0);
    expect_nothing();
    assert_int_equal(H.req_calls, 0);
}

/* --- the unmatched-response hook (observations kept by token above) ----- */

static int on_unmatched(void *user, tether_time now, const tether_peer *peer,
                        const tether_coap_msg *resp)
{
    (void)user;
    H.unmatched_calls++;
    H.unmatched_type = resp->type;
    H.unmatched_code = resp->code;
    H.unmatched_peer = *peer;
    if (H.unmatched_start == 1)
        H.unmatched_start_rc = start_get(peer, TETHER_COAP_CON, 0, 0, &H.started_rec,
                                         &H.unmatched_start);
    /* The layer is inside a callback: recv is refused. */
    assert_int_equal(tether_coap_on_timeout(H.ctx, now), TETHER_ERR_REENTRANT);
    return H.unmatched_rc;
}

static void test_exchange_unmatched_response_taken_by_the_hook_is_acked(void **state)
{
    static const uint8_t tok[] = {7, 7, 7, 7};
    uint8_t in[64], want[4];
    size_t n;
    (void)state;
    tether_coap_set_unmatched(H.ctx, on_unmatched);
    /* CON notification: the hook takes it, the layer ACKs it. */
    n = mk(in, sizeof(in), TETHER_COAP_CON, TETHER_COAP_CONTENT, 0x5001, tok, 4, 7, "n1");
    assert_int_equal(feed(&PA, in, n), 0);
    assert_int_equal(H.unmatched_calls, 1);
    assert_int_equal(H.unmatched_type, TETHER_COAP_CON);
    assert_true(tether_peer_equal(&H.unmatched_peer, &PA));
    empty(want, TETHER_COAP_ACK, 0x5001);
    expect_bytes(&PA, want, 4);
    expect_nothing();
    /* Its retransmission is a duplicate: the ACK again, no second call. */
    assert_int_equal(feed(&PA, in, n), 0);
    assert_int_equal(H.unmatched_calls, 1);
    expect_bytes(&PA, want, 4);
    assert_int_equal(stats().rx_duplicate, 1);
    /* NON: taken, nothing sent; its duplicate is dropped. */
    n = mk(in, sizeof(in), TETHER_COAP_NON, TETHER_COAP_CONTENT, 0x5002, tok, 4, 8, "n2");
    assert_int_equal(feed(&PA, in, n), 0);
    assert_int_equal(feed(&PA, in, n), 0);
    assert_int_equal(H.unmatched_calls, 2);
    expect_nothing();
    /* Refused: RST, and the duplicate is refused again (nothing remembered). */
    H.unmatched_rc = TETHER_ERR_NOT_FOUND;
    n = mk(in, sizeof(in), TETHER_COAP_CON, TETHER_COAP_CONTENT, 0x5003, tok, 4, 9, "n3");
    assert_int_equal(feed(&PA, in, n), 0);
    empty(want, TETHER_COAP_RST, 0x5003);
    expect_bytes(&PA, want, 4);
    assert_int_equal(feed(&PA, in, n), 0);
    expect_bytes(&PA, want, 4);
    assert_int_equal(H.unmatched_calls, 4);
    /* A piggybacked answer in an ACK that matches nothing: shown to the
     * hook, nothing sent whatever it says; an empty one is not shown. */
    n = mk(in, sizeof(in), TETHER_COAP_ACK, TETHER_COAP_CONTENT, 0x5004, tok, 4, 10, "late");
    assert_int_equal(feed(&PA, in, n), 0);
    assert_int_equal(H.unmatched_calls, 5);
    assert_int_equal(H.unmatched_type, TETHER_COAP_ACK);
    empty(in, TETHER_COAP_ACK, 0x5005);
    assert_int_equal(feed(&PA, in, 4), 0);
    assert_int_equal(H.unmatched_calls, 5);
    expect_nothing();
    /* Requests never reach it. */
    n = mk(in, sizeof(in), TETHER_COAP_CON, TETHER_COAP_GET, 0x5006, tok, 4, -1, NULL);
    assert_int_equal(feed(&PA, in, n), 0);
    assert_int_equal(H.unmatched_calls, 5);
    assert_int_equal(H.req_calls, 1);
}

/* A response that matches one of ours goes to that exchange, not the hook;
 * the hook may start an exchange; and with the hook removed, RST again. */
static void test_exchange_unmatched_hook_sees_only_what_matches_nothing(void **state)
{
    rec r = {0};
    uint8_t buf[128], in[64], want[4];
    tether_coap_msg m;
    size_t n;
    (void)state;
    tether_coap_set_unmatched(H.ctx, on_unmatched);
    assert_int_equal(start_get(&PA, TETHER_COAP_CON, 0, 0, &r, NULL), 0);
    (void)expect_msg(&PA, buf, sizeof(buf), &m);
    n = mk(in, sizeof(in), TETHER_COAP_CON, TETHER_COAP_CONTENT, 0x6001, m.token, m.tkl, -1, "mine");
    /* From another peer it is not ours: the hook sees it. */
    assert_int_equal(feed(&PB, in, n), 0);
    assert_int_equal(H.unmatched_calls, 1);
    assert_true(tether_peer_equal(&H.unmatched_peer, &PB));
    empty(want, TETHER_COAP_ACK, 0x6001);
    expect_bytes(&PB, want, 4);
    n = mk(in, sizeof(in), TETHER_COAP_CON, TETHER_COAP_CONTENT, 0x6002, m.token, m.tkl, -1, "mine");
    assert_int_equal(feed(&PA, in, n), 0);
    assert_int_equal(H.unmatched_calls, 1);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, TETHER_COAP_CONTENT);
    empty(want, TETHER_COAP_ACK, 0x6002);
    expect_bytes(&PA, want, 4);
    /* The hook starts an exchange from inside. */
    H.unmatched_start = 1;
    n = mk(in, sizeof(in), TETHER_COAP_NON, TETHER_COAP_CONTENT, 0x6003, m.token, m.tkl, 3, "x");
    assert_int_equal(feed(&PA, in, n), 0);
    assert_int_equal(H.unmatched_start_rc, 0);
    assert_int_not_equal(H.unmatched_start, 1);
    (void)expect_msg(&PA, buf, sizeof(buf), &m);
    assert_int_equal(m.code, TETHER_COAP_GET);
    /* Removed: unmatched responses meet RST as before. */
    tether_coap_set_unmatched(H.ctx, NULL);
    n = mk(in, sizeof(in), TETHER_COAP_NON, TETHER_COAP_CONTENT, 0x6004, (const uint8_t *)"zz", 2, 4, "x");
    assert_int_equal(feed(&PA, in, n), 0);
    empty(want, TETHER_COAP_RST, 0x6004);
    expect_bytes(&PA, want, 4);
    assert_int_equal(H.unmatched_calls, 2);
}

/* --- ping ---------------------------------------------------------------- */

static void test_exchange_ping_is_answered_with_rst(void **state)
{
    static const uint8_t ping[] = {0x40, 0x00, 0xBE, 0xEF};
    static const uint8_t rst[] = {0x70, 0x00, 0xBE, 0xEF};
    (void)state;
    assert_int_equal(feed(&PA, ping, sizeof(ping)), 0);
    expect_bytes(&PA, rst, sizeof(rst));
    assert_int_equal(H.req_calls, 0);
}

static void test_exchange_ping_reports_alive_on_rst(void **state)
{
    rec r = {0};
    uint8_t rst[4];
    /* The mid after init is 0x1415 (rand 0x10.. : seed 10..13, mid 14 15). */
    static const uint8_t want[] = {0x40, 0x00, 0x14, 0x15};
    (void)state;
    assert_int_equal(tether_coap_ping(H.ctx, 0, &PA, done_cb, &r, NULL), 0);
    expect_bytes(&PA, want, sizeof(want));
    empty(rst, TETHER_COAP_RST, 0x1415);
    H.now = 40;
    assert_int_equal(feed(&PA, rst, 4), 0);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.has_resp, 0);
    assert_int_equal(stats().exchanges_in_flight, 0);
}

static void test_exchange_ping_times_out(void **state)
{
    rec r = {0};
    uint8_t buf[16];
    (void)state;
    H.rmode = RAND_CONST;
    H.rbyte = 0;
    assert_int_equal(tether_coap_ping(H.ctx, 0, &PA, done_cb, &r, NULL), 0);
    for (tether_time t = 0; t <= 62000; t += 500)
        advance_to(t);
    for (int i = 0; i < 5; i++)
        assert_int_equal(pull(NULL, buf, sizeof(buf)), 4);
    expect_nothing();
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.status, TETHER_ERR_TIMEOUT);
}

/* --- incoming requests and dedup ------------------------------------------ */

static void test_exchange_duplicate_request_replayed_byte_for_byte(void **state)
{
    static const uint8_t tok[] = {0xAB, 0xCD};
    /* ACK 2.05, mid 1000, token AB CD, Content-Format 0 (empty), "v=1" */
    static const uint8_t want[] = {0x62, 0x45, 0x10, 0x00, 0xAB, 0xCD, 0xC0, 0xFF, 'v', '=', '1'};
    uint8_t in[64];
    size_t n;
    (void)state;
    n = mk(in, sizeof(in), TETHER_COAP_CON, TETHER_COAP_GET, 0x1000, tok, 2, -1, NULL);
    assert_int_equal(feed(&PA, in, n), 0);
    assert_int_equal(H.req_calls, 1);
    assert_int_equal(H.reply_rc, 0);
    expect_bytes(&PA, want, sizeof(want));
    expect_nothing();
    H.now = 3000;
    assert_int_equal(feed(&PA, in, n), 0);
    expect_bytes(&PA, want, sizeof(want));
    expect_nothing();
    assert_int_equal(H.req_calls, 1);
    assert_int_equal(stats().rx_duplicate, 1);
    /* The same mid from another peer is a new request. */
    assert_int_equal(feed(&PB, in, n), 0);
    assert_int_equal(H.req_calls, 2);
}

static void test_exchange_duplicate_of_deferred_request_gets_empty_ack(void **state)
{
    static const uint8_t tok[] = {0x01};
    static const uint8_t want_ack[] = {0x60, 0x00, 0x20, 0x00};
    uint8_t in[64], buf[64];
    tether_coap_msg m;
    size_t n;
    (void)state;
    H.req_mode = REQ_DEFER;
    n = mk(in, sizeof(in), TETHER_COAP_CON, TETHER_COAP_GET, 0x2000, tok, 1, -1, NULL);
    assert_int_equal(feed(&PA, in, n), 0);
    expect_bytes(&PA, want_ack, sizeof(want_ack));
    assert_int_equal(feed(&PA, in, n), 0);
    expect_bytes(&PA, want_ack, sizeof(want_ack));
    assert_int_equal(H.req_calls, 1);

    /* The separate response: CON, our next mid (0x1415), same token. */
    H.now = 700;
    assert_int_equal(tether_coap_reply_code(H.ctx, H.now, &H.saved, TETHER_COAP_CHANGED), 0);
    {
        static const uint8_t want[] = {0x41, 0x44, 0x14, 0x15, 0x01};
        expect_bytes(&PA, want, sizeof(want));
    }
    /* Answering twice is refused. */
    assert_int_equal(tether_coap_reply_code(H.ctx, H.now, &H.saved, TETHER_COAP_CHANGED),
                     TETHER_ERR_STATE);
    /* A duplicate of the request after the separate response: still the
     * empty ACK, never a second on_request. */
    assert_int_equal(feed(&PA, in, n), 0);
    expect_bytes(&PA, want_ack, sizeof(want_ack));
    assert_int_equal(H.req_calls, 1);
    /* The separate response is retransmitted until ACKed. */
    assert_int_equal(stats().exchanges_in_flight, 1);
    advance_to(H.now + 3000);
    expect_msg(&PA, buf, sizeof(buf), &m);
    assert_int_equal(m.type, TETHER_COAP_CON);
    assert_int_equal(m.mid, 0x1415);
    {
        uint8_t ack[4];
        empty(ack, TETHER_COAP_ACK, 0x1415);
        assert_int_equal(feed(&PA, ack, 4), 0);
    }
    assert_int_equal(stats().exchanges_in_flight, 0);
    assert_int_equal(tether_coap_next_deadline(H.ctx), TETHER_TIME_NEVER);
}

static void test_exchange_long_reply_not_cached_duplicate_dropped(void **state)
{
    tether_coap_config c = base_cfg();
    static const uint8_t tok[] = {0x05};
    uint8_t in[64], buf[128];
    tether_coap_msg m;
    size_t n;
    (void)state;
    c.dedup_reply_max = 16;
    restart_with(&c);
    H.req_mode = REQ_BIG;
    n = mk(in, sizeof(in), TETHER_COAP_CON, TETHER_COAP_GET, 0x3000, tok, 1, -1, NULL);
    assert_int_equal(feed(&PA, in, n), 0);
    expect_msg(&PA, buf, sizeof(buf), &m);
    assert_int_equal(m.type, TETHER_COAP_ACK);
    assert_int_equal(m.payload_len, 40);
    assert_int_equal(feed(&PA, in, n), 0);
    expect_nothing();
    assert_int_equal(H.req_calls, 1);
    assert_int_equal(stats().rx_duplicate, 1);
}

static void test_exchange_dedup_eviction_is_bounded(void **state)
{
    tether_coap_config c = base_cfg();
    static const uint8_t tok[] = {0x07};
    uint8_t in[64], buf[64];
    size_t n;
    (void)state;
    c.dedup_entries = 4;
    restart_with(&c);
    H.req_mode = REQ_PIGGY;
    for (uint16_t mid = 1; mid <= 10; mid++) {
        n = mk(in, sizeof(in), TETHER_COAP_NON, TETHER_COAP_GET, mid, tok, 1, -1, NULL);
        assert_int_equal(feed(&PA, in, n), 0);
        assert_true(pull(NULL, buf, sizeof(buf)) > 0); /* the NON response */
        assert_true(stats().dedup_used <= 4);
    }
    assert_int_equal(stats().dedup_used, 4);
    assert_int_equal(stats().dedup_evicted, 6);
    assert_int_equal(H.req_calls, 10);
    /* mid 10 is remembered: dropped. mid 1 was evicted: new again. */
    n = mk(in, sizeof(in), TETHER_COAP_NON, TETHER_COAP_GET, 10, tok, 1, -1, NULL);
    assert_int_equal(feed(&PA, in, n), 0);
    expect_nothing();
    assert_int_equal(H.req_calls, 10);
    n = mk(in, sizeof(in), TETHER_COAP_NON, TETHER_COAP_GET, 1, tok, 1, -1, NULL);
    assert_int_equal(feed(&PA, in, n), 0);
    assert_int_equal(H.req_calls, 11);
    assert_int_equal(stats().dedup_evicted, 7);
    assert_int_equal(stats().dedup_used, 4);
}

static void test_exchange_dedup_expires_after_exchange_lifetime(void **state)
{
    static const uint8_t tok[] = {0x08};
    uint8_t in[64], buf[64];
    size_t n;
    (void)state;
    n = mk(in, sizeof(in), TETHER_COAP_CON, TETHER_COAP_GET, 0x5555, tok, 1, -1, NULL);
    H.now = 10;
    assert_int_equal(feed(&PA, in, n), 0);
    assert_true(pull(NULL, buf, sizeof(buf)) > 0);
    H.now = 10 + 247000 - 1;
    assert_int_equal(feed(&PA, in, n), 0);
    assert_true(pull(NULL, buf, sizeof(buf)) > 0);
    assert_int_equal(H.req_calls, 1);
    assert_int_equal(stats().dedup_used, 1);
    H.now = 10 + 247000;
    assert_int_equal(feed(&PA, in, n), 0);
    assert_true(pull(NULL, buf, sizeof(buf)) > 0);
    assert_int_equal(H.req_calls, 2);
    assert_int_equal(stats().dedup_evicted, 0);
    /* Expiry needs no wake-up: nothing is scheduled for it. */
    assert_int_equal(tether_coap_next_deadline(H.ctx), TETHER_TIME_NEVER);
    /* And the cache empties by time alone. */
    advance_to(H.now + 247000);
    assert_int_equal(stats().dedup_used, 0);
}

static void test_exchange_non_request_and_response(void **state)
{
    static const uint8_t tok[] = {0x31, 0x32};
    rec r = {0};
    uint8_t in[64], buf[64];
    tether_coap_msg m;
    size_t n;
    (void)state;
    /* Incoming NON request: answered with a NON response, our mid. */
    n = mk(in, sizeof(in), TETHER_COAP_NON, TETHER_COAP_GET, 0x6000, tok, 2, -1, NULL);
    assert_int_equal(feed(&PA, in, n), 0);
    {
        static const uint8_t want[] = {0x52, 0x45, 0x14, 0x15, 0x31, 0x32, 0xC0, 0xFF, 'v', '=', '1'};
        expect_bytes(&PA, want, sizeof(want));
    }
    /* A duplicate NON is dropped silently. */
    assert_int_equal(feed(&PA, in, n), 0);
    expect_nothing();
    assert_int_equal(H.req_calls, 1);

    /* Outgoing NON request: never retransmitted, completed by a NON response. */
    assert_int_equal(start_get(&PB, TETHER_COAP_NON, 0, 0, &r, NULL), 0);
    expect_msg(&PB, buf, sizeof(buf), &m);
    assert_int_equal(m.type, TETHER_COAP_NON);
    assert_int_equal(tether_coap_next_deadline(H.ctx), 145000);
    advance_to(10000);
    expect_nothing();
    n = mk(in, sizeof(in), TETHER_COAP_NON, TETHER_COAP_CONTENT, 0x6001, m.token, m.tkl, -1, "n");
    assert_int_equal(feed(&PB, in, n), 0);
    expect_nothing(); /* no ACK for a NON */
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, TETHER_COAP_CONTENT);
}

static void test_exchange_non_request_times_out_after_non_lifetime(void **state)
{
    rec r = {0};
    uint8_t buf[64];
    (void)state;
    assert_int_equal(start_get(&PA, TETHER_COAP_NON, 0, 0, &r, NULL), 0);
    assert_true(pull(NULL, buf, sizeof(buf)) > 0);
    advance_to(144999);
    assert_int_equal(r.calls, 0);
    advance_to(145000);
    expect_nothing();
    assert_int_equal(r.status, TETHER_ERR_TIMEOUT);
    assert_int_equal(stats().retransmissions, 0);
}

static void test_exchange_no_on_request_rejects_with_rst(void **state)
{
    tether_coap_config c = base_cfg();
    static const uint8_t tok[] = {1};
    uint8_t in[64], want[4];
    size_t n;
    (void)state;
    H.cb.on_request = NULL;
    tether_coap_fini(H.ctx);
    free(H.mem);
    H.mem = malloc(tether_coap_mem_size(&c));
    assert_int_equal(tether_coap_init(&H.ctx, H.mem, tether_coap_mem_size(&c), &c, &H.cb, NULL), 0);
    n = mk(in, sizeof(in), TETHER_COAP_CON, TETHER_COAP_GET, 0x0909, tok, 1, -1, NULL);
    assert_int_equal(feed(&PA, in, n), 0);
    empty(want, TETHER_COAP_RST, 0x0909);
    expect_bytes(&PA, want, 4);
}

/* --- observe-style exchanges ---------------------------------------------- */

static void test_exchange_keep_sees_several_responses_then_cancel(void **state)
{
    rec r = {0};
    tether_coap_xid xid;
    uint8_t buf[64], in[64], want[4];
    tether_coap_msg m;
    size_t n;
    (void)state;
    assert_int_equal(start_get(&PA, TETHER_COAP_CON, TETHER_COAP_KEEP, 0, &r, &xid), 0);
    assert_int_not_equal(xid, 0);
    expect_msg(&PA, buf, sizeof(buf), &m);
    n = mk(in, sizeof(in), TETHER_COAP_ACK, TETHER_COAP_CONTENT, m.mid, m.token, m.tkl, 1, "a");
    assert_int_equal(feed(&PA, in, n), 0);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.status, 0);
    /* An observation has no deadline. */
    assert_int_equal(tether_coap_next_deadline(H.ctx), TETHER_TIME_NEVER);

    H.now = 60000;
    n = mk(in, sizeof(in), TETHER_COAP_CON, TETHER_COAP_CONTENT, 0x0A01, m.token, m.tkl, 2, "b");
    assert_int_equal(feed(&PA, in, n), 0);
    empty(want, TETHER_COAP_ACK, 0x0A01);
    expect_bytes(&PA, want, 4);
    assert_int_equal(r.calls, 2);
    assert_memory_equal(r.payload, "b", 1);

    n = mk(in, sizeof(in), TETHER_COAP_NON, TETHER_COAP_CONTENT, 0x0A02, m.token, m.tkl, 3, "c");
    assert_int_equal(feed(&PA, in, n), 0);
    expect_nothing();
    assert_int_equal(r.calls, 3);
    assert_memory_equal(r.payload, "c", 1);
    /* A duplicate notification is not delivered again. */
    assert_int_equal(feed(&PA, in, n), 0);
    assert_int_equal(r.calls, 3);

    assert_int_equal(tether_coap_cancel(H.ctx, H.now, xid), 0);
    assert_int_equal(r.calls, 4);
    assert_int_equal(r.status, TETHER_ERR_CANCELLED);
    assert_int_equal(tether_coap_cancel(H.ctx, H.now, xid), TETHER_ERR_NOT_FOUND);

    /* Later notifications are rejected (RFC 7641 §3.6). */
    n = mk(in, sizeof(in), TETHER_COAP_CON, TETHER_COAP_CONTENT, 0x0A03, m.token, m.tkl, 4, "d");
    assert_int_equal(feed(&PA, in, n), 0);
    empty(want, TETHER_COAP_RST, 0x0A03);
    expect_bytes(&PA, want, 4);
    assert_int_equal(r.calls, 4);
}

static void test_exchange_keep_ends_on_response_without_observe(void **state)
{
    rec r = {0};
    tether_coap_xid xid;
    uint8_t buf[64], in[64];
    tether_coap_msg m;
    size_t n;
    (void)state;
    assert_int_equal(start_get(&PA, TETHER_COAP_CON, TETHER_COAP_KEEP, 0, &r, &xid), 0);
    expect_msg(&PA, buf, sizeof(buf), &m);
    n = mk(in, sizeof(in), TETHER_COAP_ACK, TETHER_COAP_CONTENT, m.mid, m.token, m.tkl, 7, NULL);
    assert_int_equal(feed(&PA, in, n), 0);
    assert_int_equal(stats().exchanges_in_flight, 1);
    n = mk(in, sizeof(in), TETHER_COAP_NON, TETHER_COAP_NOT_FOUND, 0x0B00, m.token, m.tkl, 8, NULL);
    assert_int_equal(feed(&PA, in, n), 0);
    assert_int_equal(r.calls, 2);
    assert_int_equal(r.code, TETHER_COAP_NOT_FOUND);
    assert_int_equal(stats().exchanges_in_flight, 0);
    assert_int_equal(tether_coap_cancel(H.ctx, H.now, xid), TETHER_ERR_NOT_FOUND);
}

/* --- callbacks ----------------------------------------------------------- */

static void test_exchange_cancel_inside_callback(void **state)
{
    rec r = {0};
    uint8_t buf[64], in[64];
    tether_coap_msg m;
    size_t n;
    (void)state;
    /* A KEEP exchange that cancels itself from its second notification. */
    assert_int_equal(start_get(&PA, TETHER_COAP_CON, TETHER_COAP_KEEP, 0, &r, &r.self), 0);
    r.action = ACT_CANCEL_SELF;
    r.action_on_call = 2;
    expect_msg(&PA, buf, sizeof(buf), &m);
    n = mk(in, sizeof(in), TETHER_COAP_ACK, TETHER_COAP_CONTENT, m.mid, m.token, m.tkl, 1, NULL);
    assert_int_equal(feed(&PA, in, n), 0);
    n = mk(in, sizeof(in), TETHER_COAP_NON, TETHER_COAP_CONTENT, 0x0C00, m.token, m.tkl, 2, NULL);
    assert_int_equal(feed(&PA, in, n), 0);
    assert_int_equal(r.action_rc, 0);
    assert_int_equal(r.calls, 3); /* 2 notifications, then CANCELLED */
    assert_int_equal(r.cancelled_seen, 1);
    assert_int_equal(stats().exchanges_in_flight, 0);
}

static void test_exchange_callback_cancels_other_and_starts_new(void **state)
{
    rec a = {0}, b = {0};
    uint8_t ba[64], bb[64], in[64];
    tether_coap_msg ma, mb;
    size_t n;
    (void)state;
    assert_int_equal(start_get(&PA, TETHER_COAP_CON, 0, 0, &a, &a.self), 0);
    assert_int_equal(start_get(&PA, TETHER_COAP_CON, 0, 0, &b, &b.self), 0);
    expect_msg(&PA, ba, sizeof(ba), &ma);
    expect_msg(&PA, bb, sizeof(bb), &mb);
    a.action = ACT_CANCEL_OTHER;
    a.other = b.self;
    a.action_on_call = 1;
    n = mk(in, sizeof(in), TETHER_COAP_ACK, TETHER_COAP_CONTENT, ma.mid, ma.token, ma.tkl, -1, NULL);
    assert_int_equal(feed(&PA, in, n), 0);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.action_rc, 0);
    assert_int_equal(b.calls, 1);
    assert_int_equal(b.status, TETHER_ERR_CANCELLED);
    /* Cancelling itself from its final callback: already over. */
    {
        rec c = {0};
        uint8_t bc[64];
        tether_coap_msg mc;
        assert_int_equal(start_get(&PB, TETHER_COAP_CON, 0, 0, &c, &c.self), 0);
        expect_msg(&PB, bc, sizeof(bc), &mc);
        c.action = ACT_CANCEL_SELF;
        c.action_on_call = 1;
        empty(in, TETHER_COAP_RST, mc.mid);
        assert_int_equal(feed(&PB, in, 4), 0);
        assert_int_equal(c.calls, 1);
        assert_int_equal(c.action_rc, TETHER_ERR_NOT_FOUND);
    }
    /* A final callback that starts a new exchange, which then works. */
    {
        rec d = {0};
        uint8_t bd[64];
        tether_coap_msg md;
        assert_int_equal(start_get(&PA, TETHER_COAP_CON, 0, 0, &d, &d.self), 0);
        expect_msg(&PA, bd, sizeof(bd), &md);
        d.action = ACT_START_NEW;
        d.action_on_call = 1;
        advance_to(2000);
        advance_to(6000);
        advance_to(14000);
        advance_to(30000);
        advance_to(62000); /* d times out; its callback starts another */
        assert_int_equal(d.calls, 1);
        assert_int_equal(d.status, TETHER_ERR_TIMEOUT);
        assert_int_equal(d.action_rc, 0);
        assert_int_equal(stats().exchanges_in_flight, 1);
        assert_int_equal(tether_coap_next_deadline(H.ctx), 62000 + 2000);
        assert_int_equal(tether_coap_cancel(H.ctx, H.now, d.started), 0);
        assert_int_equal(H.started_rec.calls, 1);
        assert_int_equal(H.started_rec.status, TETHER_ERR_CANCELLED);
    }
    /* b's late response finds nothing: RST. */
    while (pull(NULL, in, sizeof(in)) > 0)
        ;
    n = mk(in, sizeof(in), TETHER_COAP_CON, TETHER_COAP_CONTENT, 0x0D00, mb.token, mb.tkl, -1, NULL);
    assert_int_equal(feed(&PA, in, n), 0);
    {
        uint8_t want[4];
        empty(want, TETHER_COAP_RST, 0x0D00);
        expect_bytes(&PA, want, 4);
    }
    assert_int_equal(b.calls, 1);
}

static void test_exchange_recv_from_callback_is_reentrant(void **state)
{
    static const uint8_t tok[] = {1};
    uint8_t in[64], want[4];
    size_t n;
    (void)state;
    H.req_mode = REQ_RECV;
    n = mk(in, sizeof(in), TETHER_COAP_CON, TETHER_COAP_GET, 0x0E00, tok, 1, -1, NULL);
    assert_int_equal(feed(&PA, in, n), 0);
    assert_int_equal(H.reentrant_rc[0], TETHER_ERR_REENTRANT);
    assert_int_equal(H.reentrant_rc[1], TETHER_ERR_REENTRANT);
    /* The nested ping had no effect; the outer request got its empty ACK. */
    empty(want, TETHER_COAP_ACK, 0x0E00);
    expect_bytes(&PA, want, 4);
    expect_nothing();
    assert_int_equal(stats().rx, 1);
}

static void test_exchange_failed_send_never_calls_back(void **state)
{
    tether_coap_config c = base_cfg();
    rec r1 = {0}, r2 = {0};
    uint8_t buf[64];
    (void)state;
    c.max_exchanges = 1;
    restart_with(&c);
    assert_int_equal(start_get(&PA, TETHER_COAP_CON, 0, 0, &r1, NULL), 0);
    assert_int_equal(start_get(&PA, TETHER_COAP_CON, 0, 0, &r2, NULL), TETHER_ERR_BUSY);
    assert_string_equal(tether_coap_errmsg(H.ctx), "no free exchange slot");
    assert_int_equal(tether_coap_ping(H.ctx, 0, &PB, done_cb, &r2, NULL), TETHER_ERR_BUSY);
    assert_true(pull(NULL, buf, sizeof(buf)) > 0);
    expect_nothing();
    for (tether_time t = 0; t <= 100000; t += 1000)
        advance_to(t);
    assert_int_equal(r1.calls, 1);
    assert_int_equal(r1.status, TETHER_ERR_TIMEOUT);
    assert_int_equal(r2.calls, 0);
    tether_coap_fini(H.ctx);
    assert_int_equal(r2.calls, 0);
}

/* --- send queue ---------------------------------------------------------- */

static void test_exchange_send_queue_full_is_busy_without_side_effects(void **state)
{
    tether_coap_config c = base_cfg();
    static const uint8_t tok[] = {0x44};
    rec r1 = {0}, r2 = {0};
    tether_coap_builder b;
    uint8_t pay[100], buf[256], in[64];
    tether_coap_msg m;
    tether_coap_stats s0;
    tether_time dl;
    size_t n;
    (void)state;
    c.max_message = 128;
    c.txq_bytes = (uint32_t)(TETHER_COAP_TXQ_OVERHEAD + 128);
    restart_with(&c);
    memset(pay, 'p', sizeof(pay));
    /* One datagram of 4 + 8 + 2 + 1 + 100 = 115 bytes nearly fills the queue. */
    assert_int_equal(tether_coap_msg_begin(H.ctx, &b, TETHER_COAP_CON, TETHER_COAP_PUT, NULL, 0), 0);
    tether_coap_build_path(&b, TETHER_COAP_OPT_URI_PATH, "t");
    tether_coap_build_payload(&b, pay, sizeof(pay));
    assert_int_equal(tether_coap_msg_send(H.ctx, 0, &PA, &b, 0, done_cb, &r1, NULL), 0);
    s0 = stats();
    dl = tether_coap_next_deadline(H.ctx);
    assert_int_equal(start_get(&PA, TETHER_COAP_CON, 0, 0, &r2, NULL), TETHER_ERR_BUSY);
    assert_string_equal(tether_coap_errmsg(H.ctx), "send queue full");
    assert_int_equal(stats().txq_full, s0.txq_full + 1);
    assert_int_equal(stats().exchanges_in_flight, s0.exchanges_in_flight);
    assert_int_equal(tether_coap_next_deadline(H.ctx), dl);
    /* An answer that does not fit is dropped and counted too. */
    n = mk(in, sizeof(in), TETHER_COAP_CON, TETHER_COAP_GET, 0x0F00, tok, 1, -1, NULL);
    H.req_mode = REQ_PIGGY;
    assert_int_equal(feed(&PA, in, n), 0);
    assert_int_equal(H.reply_rc, TETHER_ERR_BUSY);
    assert_int_equal(stats().txq_full, s0.txq_full + 3); /* the reply, then the empty ACK */
    /* A small buffer leaves the datagram queued. */
    {
        size_t len = 1;
        tether_peer p;
        assert_int_equal(tether_coap_send(H.ctx, 0, &p, buf, 10, &len), TETHER_ERR_NOSPACE);
        assert_int_equal(len, 0);
    }
    assert_int_equal(expect_msg(&PA, buf, sizeof(buf), &m), 115);
    expect_nothing();
    /* After draining, the next exchange takes the very next mid: the
     * refused one consumed none. */
    assert_int_equal(start_get(&PA, TETHER_COAP_CON, 0, 0, &r2, NULL), 0);
    {
        tether_coap_msg m2;
        uint8_t b2[64];
        expect_msg(&PA, b2, sizeof(b2), &m2);
        assert_int_equal(m2.mid, (uint16_t)(m.mid + 1));
    }
    /* The request's duplicate now gets its empty ACK. */
    assert_int_equal(feed(&PA, in, n), 0);
    {
        uint8_t want[4];
        empty(want, TETHER_COAP_ACK, 0x0F00);
        expect_bytes(&PA, want, 4);
    }
    assert_int_equal(r1.calls + r2.calls, 0);
}

static void test_exchange_retransmission_into_full_queue_is_lost_not_fatal(void **state)
{
    tether_coap_config c = base_cfg();
    rec r = {0};
    tether_coap_builder b;
    uint8_t pay[100], buf[256];
    (void)state;
    c.max_message = 128;
    c.txq_bytes = (uint32_t)(TETHER_COAP_TXQ_OVERHEAD + 128);
    restart_with(&c);
    memset(pay, 'p', sizeof(pay));
    H.rmode = RAND_CONST;
    H.rbyte = 0;
    assert_int_equal(tether_coap_msg_begin(H.ctx, &b, TETHER_COAP_CON, TETHER_COAP_PUT, NULL, 0), 0);
    tether_coap_build_payload(&b, pay, sizeof(pay));
    assert_int_equal(tether_coap_msg_send(H.ctx, 0, &PA, &b, 0, done_cb, &r, NULL), 0);
    advance_to(2000); /* first copy still queued: the retransmission is lost */
    assert_int_equal(stats().txq_full, 1);
    assert_int_equal(stats().retransmissions, 1);
    assert_true(pull(NULL, buf, sizeof(buf)) > 0);
    expect_nothing();
    advance_to(6000);
    assert_true(pull(NULL, buf, sizeof(buf)) > 0);
    assert_int_equal(r.calls, 0);
}

static void test_exchange_send_queue_keeps_order_when_space_is_reclaimed(void **state)
{
    tether_coap_config c = base_cfg();
    enum { REC = TETHER_COAP_TXQ_OVERHEAD };
    uint8_t ping[4], buf[64];
    tether_peer p;
    (void)state;
    /* Room for three 4-byte records and a bit: the fourth goes in only
     * after the drained front is reclaimed. */
    c.max_message = 16;
    c.txq_bytes = (uint32_t)(3 * (REC + 4) + 2);
    restart_with(&c);
    for (uint16_t mid = 1; mid <= 3; mid++) {
        empty(ping, TETHER_COAP_CON, mid);
        assert_int_equal(feed(mid == 2 ? &PB : &PA, ping, 4), 0);
    }
    empty(ping, TETHER_COAP_CON, 4);
    assert_int_equal(feed(&PA, ping, 4), 0); /* queue full: this RST is dropped */
    assert_int_equal(stats().txq_full, 1);
    assert_int_equal(pull(&p, buf, sizeof(buf)), 4);
    assert_int_equal(buf[3], 1);
    for (uint16_t mid = 5; mid <= 6; mid++) { /* 5 fits after reclaiming, 6 does not */
        empty(ping, TETHER_COAP_CON, mid);
        assert_int_equal(feed(&PA, ping, 4), 0);
    }
    assert_int_equal(stats().txq_full, 2);
    {
        static const uint8_t want2[] = {0x70, 0, 0, 2}, want3[] = {0x70, 0, 0, 3},
                             want5[] = {0x70, 0, 0, 5};
        expect_bytes(&PB, want2, 4);
        expect_bytes(&PA, want3, 4);
        expect_bytes(&PA, want5, 4);
    }
    expect_nothing();
    /* Empty again: a full-size datagram fits. */
    assert_int_equal(stats().tx, 4);
}

static void test_exchange_reply_misuse_is_refused(void **state)
{
    static const uint8_t tok[] = {0x21};
    tether_coap_builder b;
    tether_coap_incoming bogus;
    uint8_t in[64];
    size_t n;
    (void)state;
    H.req_mode = REQ_DEFER;
    n = mk(in, sizeof(in), TETHER_COAP_CON, TETHER_COAP_GET, 0x2100, tok, 1, -1, NULL);
    assert_int_equal(feed(&PA, in, n), 0);
    assert_true(pull(NULL, in, sizeof(in)) > 0); /* the empty ACK */
    /* A request code is not an answer. */
    assert_int_equal(tether_coap_reply_begin(H.ctx, &b, &H.saved, TETHER_COAP_GET), TETHER_ERR_INVAL);
    /* A builder from msg_begin is not a reply. */
    assert_int_equal(tether_coap_msg_begin(H.ctx, &b, TETHER_COAP_CON, TETHER_COAP_GET, NULL, 0), 0);
    assert_int_equal(tether_coap_reply_send(H.ctx, 0, &H.saved, &b), TETHER_ERR_INVAL);
    /* A builder over someone else's buffer is refused. */
    {
        uint8_t other[32];
        tether_coap_build_init(&b, other, sizeof(other), TETHER_COAP_CON, TETHER_COAP_CONTENT, 0, tok, 1);
        assert_int_equal(tether_coap_reply_send(H.ctx, 0, &H.saved, &b), TETHER_ERR_INVAL);
        assert_string_equal(tether_coap_errmsg(H.ctx), "builder does not belong to this context");
    }
    /* An incoming that is neither CON nor NON. */
    bogus = H.saved;
    bogus.type = TETHER_COAP_ACK;
    assert_int_equal(tether_coap_reply_begin(H.ctx, &b, &bogus, TETHER_COAP_CONTENT), TETHER_ERR_INVAL);
    /* Nothing went out, and the real answer still can. */
    expect_nothing();
    assert_int_equal(tether_coap_reply_code(H.ctx, 0, &H.saved, TETHER_COAP_CONTENT), 0);
    assert_string_equal(tether_coap_errmsg(H.ctx), "");
    assert_true(pull(NULL, in, sizeof(in)) > 0);
}

static void test_exchange_fini_callbacks_cannot_start_exchanges(void **state)
{
    rec r = {0};
    (void)state;
    assert_int_equal(start_get(&PA, TETHER_COAP_CON, 0, 0, &r, &r.self), 0);
    r.action = ACT_START_NEW;
    r.action_on_call = 1;
    tether_coap_fini(H.ctx);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.status, TETHER_ERR_CANCELLED);
    assert_int_equal(r.action_rc, TETHER_ERR_STATE);
    assert_int_equal(stats().exchanges_in_flight, 0);
}

/* --- bad input ----------------------------------------------------------- */

static void test_exchange_malformed_datagrams_dropped_or_rst_and_counted(void **state)
{
    static const uint8_t con_tkl9[] = {0x49, 0x01, 0x12, 0x34, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    static const uint8_t con_trunc[] = {0x40, 0x01, 0x12, 0x35, 0xB5, 'a'};
    static const uint8_t non_trunc[] = {0x50, 0x01, 0x12, 0x36, 0xB5, 'a'};
    static const uint8_t v2[] = {0x80, 0x01, 0x12, 0x37};
    static const uint8_t shorty[] = {0x40, 0x01, 0x12};
    static const uint8_t non_empty[] = {0x50, 0x00, 0x12, 0x38};
    static const uint8_t rst_code[] = {0x70, 0x45, 0x12, 0x39};
    static const uint8_t ack_req[] = {0x60, 0x01, 0x12, 0x3A};
    static const uint8_t con_empty_tok[] = {0x41, 0x00, 0x12, 0x3B, 0x00};
    static const uint8_t con_reserved[] = {0x40, 0x25, 0x12, 0x3C}; /* code 1.05 */
    static const uint8_t rst1234[] = {0x70, 0x00, 0x12, 0x34};
    static const uint8_t rst1235[] = {0x70, 0x00, 0x12, 0x35};
    static const uint8_t rst123b[] = {0x70, 0x00, 0x12, 0x3B};
    static const uint8_t rst123c[] = {0x70, 0x00, 0x12, 0x3C};
    (void)state;
    assert_int_equal(feed(&PA, con_tkl9, sizeof(con_tkl9)), TETHER_ERR_BAD_TOKEN_LEN);
    expect_bytes(&PA, rst1234, 4);
    assert_int_equal(feed(&PA, con_trunc, sizeof(con_trunc)), TETHER_ERR_TRUNCATED_OPTION);
    expect_bytes(&PA, rst1235, 4);
    assert_int_equal(feed(&PA, non_trunc, sizeof(non_trunc)), TETHER_ERR_TRUNCATED_OPTION);
    assert_int_equal(feed(&PA, v2, sizeof(v2)), TETHER_ERR_BAD_VERSION);
    assert_int_equal(feed(&PA, shorty, sizeof(shorty)), TETHER_ERR_MALFORMED);
    assert_int_equal(feed(&PA, non_empty, sizeof(non_empty)), TETHER_ERR_MALFORMED);
    assert_int_equal(feed(&PA, rst_code, sizeof(rst_code)), TETHER_ERR_MALFORMED);
    assert_int_equal(feed(&PA, ack_req, sizeof(ack_req)), TETHER_ERR_MALFORMED);
    expect_nothing();
    assert_int_equal(feed(&PA, con_empty_tok, sizeof(con_empty_tok)), TETHER_ERR_MALFORMED);
    expect_bytes(&PA, rst123b, 4);
    assert_int_equal(stats().rx_malformed, 9);
    assert_int_equal(stats().rx, 9);
    /* A reserved code class is not malformed, but we cannot process it. */
    assert_int_equal(feed(&PA, con_reserved, sizeof(con_reserved)), 0);
    expect_bytes(&PA, rst123c, 4);
    assert_int_equal(H.req_calls, 0);
    assert_int_equal(H.reset_calls, 0);
    assert_int_equal(stats().dedup_used, 0);
    /* Bad arguments. */
    {
        tether_peer bad = PA;
        bad.len = TETHER_PEER_ADDR_MAX + 1;
        assert_int_equal(feed(&bad, v2, sizeof(v2)), TETHER_ERR_INVAL);
        assert_int_equal(tether_coap_recv(H.ctx, 0, NULL, v2, sizeof(v2)), TETHER_ERR_INVAL);
    }
}

/* --- memory -------------------------------------------------------------- */

static void test_exchange_mem_size_too_small_is_nomem(void **state)
{
    tether_coap_config c = base_cfg();
    tether_coap_ctx *ctx = (tether_coap_ctx *)(uintptr_t)1;
    size_t sz = tether_coap_mem_size(&c);
    void *mem = malloc(sz + 64);
    (void)state;
    assert_non_null(mem);
    assert_int_equal(tether_coap_init(&ctx, mem, sz - 1, &c, NULL, NULL), TETHER_ERR_NOMEM);
    assert_ptr_equal(ctx, (tether_coap_ctx *)(uintptr_t)1);
    assert_int_equal(tether_coap_init(&ctx, (uint8_t *)mem + 1, sz, &c, NULL, NULL),
                     TETHER_ERR_INVAL);
    assert_int_equal(tether_coap_init(&ctx, mem, sz, &c, NULL, NULL), 0);
    tether_coap_fini(ctx);
    /* Bad configs have no size and do not init. */
    c.rand = NULL;
    assert_int_equal(tether_coap_mem_size(&c), 0);
    assert_int_equal(tether_coap_init(&ctx, mem, sz, &c, NULL, NULL), TETHER_ERR_INVAL);
    c = base_cfg();
    c.token_len = 9;
    assert_int_equal(tether_coap_mem_size(&c), 0);
    c = base_cfg();
    c.txq_bytes = c.max_message; /* one full datagram must fit */
    assert_int_equal(tether_coap_mem_size(&c), 0);
    c = base_cfg();
    c.max_exchanges = 0;
    assert_int_equal(tether_coap_mem_size(&c), 0);
    /* The size grows with the tables, no allocation happens elsewhere. */
    c = base_cfg();
    {
        size_t small = tether_coap_mem_size(&c);
        c.max_exchanges = 1000;
        c.dedup_entries = 5000;
        assert_true(tether_coap_mem_size(&c) > small + 1000 * 1152u);
    }
    free(mem);
}

/* --- scale: indexes, not scans -------------------------------------------- */

static void test_exchange_many_exchanges_match_through_indexes(void **state)
{
    tether_coap_config c = base_cfg();
    enum { N = 2000 };
    static rec recs[N];
    static uint16_t mids[N];
    static uint8_t toks[N][8];
    uint8_t buf[64], in[64];
    tether_coap_msg m;
    size_t n;
    (void)state;
    c.max_exchanges = N;
    c.txq_bytes = 64 * 1024;
    restart_with(&c);
    H.rmode = RAND_PRNG;
    H.prng = 0xC0FFEE;
    memset(recs, 0, sizeof(recs));
    for (int i = 0; i < N; i++) {
        tether_peer p = PA;
        p.addr[3] = (uint8_t)(i % 7); /* a handful of peers */
        assert_int_equal(start_get(&p, TETHER_COAP_CON, 0, 0, &recs[i], NULL), 0);
        n = pull(NULL, buf, sizeof(buf));
        assert_int_equal(tether_coap_parse(&m, buf, n), 0);
        mids[i] = m.mid;
        memcpy(toks[i], m.token, 8);
    }
    assert_int_equal(stats().exchanges_in_flight, N);
    /* Answer in reverse: odd ones piggybacked, even ones separately. */
    for (int i = N - 1; i >= 0; i--) {
        tether_peer p = PA;
        p.addr[3] = (uint8_t)(i % 7);
        if (i % 2) {
            n = mk(in, sizeof(in), TETHER_COAP_ACK, TETHER_COAP_CONTENT, mids[i], toks[i], 8, -1, NULL);
        } else {
            empty(in, TETHER_COAP_ACK, mids[i]);
            assert_int_equal(feed(&p, in, 4), 0);
            n = mk(in, sizeof(in), TETHER_COAP_NON, TETHER_COAP_CONTENT, (uint16_t)i, toks[i], 8, -1, NULL);
        }
        assert_int_equal(feed(&p, in, n), 0);
        assert_int_equal(recs[i].calls, 1);
        assert_int_equal(recs[i].status, 0);
    }
    expect_nothing();
    assert_int_equal(stats().exchanges_in_flight, 0);
    assert_int_equal(tether_coap_next_deadline(H.ctx), TETHER_TIME_NEVER);
}

/* --- lifecycle ----------------------------------------------------------- */

static void test_exchange_cancel_peer_and_fini_cancel_everything(void **state)
{
    rec a1 = {0}, a2 = {0}, b1 = {0};
    uint8_t buf[64];
    (void)state;
    assert_int_equal(start_get(&PA, TETHER_COAP_CON, 0, 0, &a1, NULL), 0);
    assert_int_equal(start_get(&PB, TETHER_COAP_CON, 0, 0, &b1, NULL), 0);
    assert_int_equal(tether_coap_ping(H.ctx, 0, &PA, done_cb, &a2, NULL), 0);
    tether_coap_cancel_peer(H.ctx, 10, &PA);
    assert_int_equal(a1.status, TETHER_ERR_CANCELLED);
    assert_int_equal(a2.status, TETHER_ERR_CANCELLED);
    assert_int_equal(a1.calls + a2.calls, 2);
    assert_int_equal(b1.calls, 0);
    assert_int_equal(stats().exchanges_in_flight, 1);
    while (pull(NULL, buf, sizeof(buf)) > 0)
        ;
    tether_coap_fini(H.ctx);
    assert_int_equal(b1.calls, 1);
    assert_int_equal(b1.status, TETHER_ERR_CANCELLED);
    assert_int_equal(b1.at, 10);
    tether_coap_fini(NULL);
}

static void test_exchange_con_notification_waits_for_ack(void **state)
{
    static const uint8_t tok[] = {0x0B, 0x0C};
    rec r = {0};
    tether_coap_builder b;
    tether_coap_xid xid = 77;
    uint8_t ack[4];
    (void)state;
    assert_int_equal(tether_coap_msg_begin(H.ctx, &b, TETHER_COAP_CON, TETHER_COAP_CONTENT, tok, 2), 0);
    tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_OBSERVE, 12);
    assert_int_equal(tether_coap_msg_send(H.ctx, 0, &PA, &b, 0, done_cb, &r, &xid), 0);
    assert_int_not_equal(xid, 0);
    {
        static const uint8_t want[] = {0x42, 0x45, 0x14, 0x15, 0x0B, 0x0C, 0x61, 0x0C};
        expect_bytes(&PA, want, sizeof(want));
    }
    empty(ack, TETHER_COAP_ACK, 0x1415);
    assert_int_equal(feed(&PA, ack, 4), 0);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.has_resp, 0);
    /* A NON notification is fire-and-forget; its RST reaches on_reset. */
    assert_int_equal(tether_coap_msg_begin(H.ctx, &b, TETHER_COAP_NON, TETHER_COAP_CONTENT, tok, 2), 0);
    assert_int_equal(tether_coap_msg_send(H.ctx, 0, &PA, &b, 0, done_cb, &r, &xid), 0);
    assert_int_equal(xid, 0);
    assert_int_equal(stats().exchanges_in_flight, 0);
    empty(ack, TETHER_COAP_RST, 0x1416);
    assert_int_equal(feed(&PA, ack, 4), 0);
    assert_int_equal(H.reset_calls, 1);
    assert_int_equal(H.reset_mid, 0x1416);
    /* KEEP is only for requests. */
    assert_int_equal(tether_coap_msg_begin(H.ctx, &b, TETHER_COAP_NON, TETHER_COAP_CONTENT, tok, 2), 0);
    assert_int_equal(tether_coap_msg_send(H.ctx, 0, &PA, &b, TETHER_COAP_KEEP, done_cb, &r, NULL),
                     TETHER_ERR_INVAL);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_exchange_retransmission_schedule_doubles),
        T(test_exchange_retransmission_schedule_upper_bound),
        T(test_exchange_first_timeout_within_ack_random_range),
        T(test_exchange_retransmission_parameters_configurable),
        T(test_exchange_token_and_mid_come_from_rand),
        T(test_exchange_token_len_configurable_and_collision_redrawn),
        T(test_exchange_caller_token_in_use_is_refused),
        T(test_exchange_piggybacked_response_completes_request),
        T(test_exchange_ack_from_other_peer_does_not_match),
        T(test_exchange_separate_response_is_acked_and_delivered),
        T(test_exchange_separate_response_before_ack_stops_retransmission),
        T(test_exchange_separate_response_timeout),
        T(test_exchange_rst_completes_with_reset),
        T(test_exchange_rst_completes_non_request),
        T(test_exchange_unknown_response_gets_rst_unknown_ack_ignored),
        T(test_exchange_ping_is_answered_with_rst),
        T(test_exchange_ping_reports_alive_on_rst),
        T(test_exchange_ping_times_out),
        T(test_exchange_duplicate_request_replayed_byte_for_byte),
        T(test_exchange_duplicate_of_deferred_request_gets_empty_ack),
        T(test_exchange_long_reply_not_cached_duplicate_dropped),
        T(test_exchange_dedup_eviction_is_bounded),
        T(test_exchange_dedup_expires_after_exchange_lifetime),
        T(test_exchange_non_request_and_response),
        T(test_exchange_non_request_times_out_after_non_lifetime),
        T(test_exchange_no_on_request_rejects_with_rst),
        T(test_exchange_keep_sees_several_responses_then_cancel),
        T(test_exchange_keep_ends_on_response_without_observe),
        T(test_exchange_cancel_inside_callback),
        T(test_exchange_callback_cancels_other_and_starts_new),
        T(test_exchange_recv_from_callback_is_reentrant),
        T(test_exchange_failed_send_never_calls_back),
        T(test_exchange_send_queue_full_is_busy_without_side_effects),
        T(test_exchange_retransmission_into_full_queue_is_lost_not_fatal),
        T(test_exchange_send_queue_keeps_order_when_space_is_reclaimed),
        T(test_exchange_reply_misuse_is_refused),
        T(test_exchange_fini_callbacks_cannot_start_exchanges),
        T(test_exchange_malformed_datagrams_dropped_or_rst_and_counted),
        T(test_exchange_mem_size_too_small_is_nomem),
        T(test_exchange_many_exchanges_match_through_indexes),
        T(test_exchange_cancel_peer_and_fini_cancel_everything),
        T(test_exchange_con_notification_waits_for_ack),
        T(test_exchange_unmatched_response_taken_by_the_hook_is_acked),
        T(test_exchange_unmatched_hook_sees_only_what_matches_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
