/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the CoAP exchange layer: arbitrary datagrams from four peers, mixed
 * with the calls an application makes (requests, pings, cancels, separate
 * answers, notifications), on a clock that the input advances. Each input
 * gets a fresh context in a static block, and the send queue is drained
 * after every step. Invariants that must hold whatever comes in are checked
 * with __builtin_trap(), so libFuzzer and the replay driver both stop.
 *
 * Input: a sequence of steps, each starting with a control byte
 *   bits 0-2 op: 0-3 datagram (then a length byte and that many bytes),
 *                4 request (then a flags byte: 1 NON, 2 KEEP, 4 POST),
 *                5 ping, 6 cancel (then an index byte),
 *                7 app action (then a byte: 0 cancel_peer, 1 answer a
 *                  deferred request, 2 NON notification, 3 CON notification)
 *   bits 3-4 peer 0..3
 *   bits 5-7 a: the clock advances a*a*1000 ms before the step
 * The random source counts 0, 1, 2, ...: the first message id is 0x0405,
 * the first request token 0x06 (token_len 1), so seeds can answer it. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tether/coap_exchange.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NX 8
#define ND 4

static struct {
    tether_coap_ctx *ctx;
    uint8_t counter;
    tether_time now;
    tether_coap_xid xids[NX]; /* the last NX exchanges started */
    unsigned nx, xi;
    tether_coap_incoming deferred[ND];
    unsigned nd;
} F;

static void remember(tether_coap_xid xid)
{
    if (xid == 0)
        return;
    F.xids[F.xi++ % NX] = xid;
    if (F.nx < NX)
        F.nx++;
}

static _Alignas(max_align_t) uint8_t mem[256 * 1024];

static void frand(void *user, void *buf, size_t len)
{
    uint8_t *p = buf;
    (void)user;
    for (size_t i = 0; i < len; i++)
        p[i] = F.counter++;
}

static tether_peer peer_n(unsigned n)
{
    tether_peer p;
    memset(&p, 0, sizeof(p));
    p.iface = (uint16_t)(n & 1);
    p.len = 6;
    p.addr[0] = 192;
    p.addr[3] = (uint8_t)n;
    p.addr[5] = 0x33;
    return p;
}

static void done(void *arg, tether_time now, int status, const tether_coap_msg *resp)
{
    uintptr_t tag = (uintptr_t)arg;
    (void)resp;
    /* fini reports the last `now` the engine was given, which may trail
     * the clock when the last step made no call. */
    if (now > F.now)
        __builtin_trap();
    /* Some callbacks poke the engine back: cancel another exchange, start
     * a new one. Both are allowed from a callback. */
    if ((tag & 3) == 1 && F.nx > 0)
        (void)tether_coap_cancel(F.ctx, now, F.xids[(tag >> 2) % F.nx]);
    if ((tag & 3) == 2 && status != 0) {
        tether_coap_builder b;
        tether_peer p = peer_n((unsigned)(tag >> 2) & 3);
        if (tether_coap_msg_begin(F.ctx, &b, TETHER_COAP_CON, TETHER_COAP_GET, NULL, 0) == 0)
            (void)tether_coap_msg_send(F.ctx, now, &p, &b, 0, done, (void *)(uintptr_t)0, NULL);
    }
    {
        tether_peer p = peer_n(0);
        static const uint8_t ping[] = {0x40, 0, 0, 0};
        if (tether_coap_recv(F.ctx, now, &p, ping, sizeof(ping)) != TETHER_ERR_REENTRANT ||
            tether_coap_on_timeout(F.ctx, now) != TETHER_ERR_REENTRANT)
            __builtin_trap();
    }
}

static void on_request(void *user, tether_time now, const tether_coap_msg *req,
                       const tether_coap_incoming *in)
{
    tether_coap_incoming c = *in;
    tether_coap_builder b;
    (void)user;
    switch (req->mid & 3) {
    case 0: /* piggybacked */
        if (tether_coap_reply_begin(F.ctx, &b, &c, TETHER_COAP_CONTENT) == 0) {
            tether_coap_build_payload(&b, "abc", 3);
            (void)tether_coap_reply_send(F.ctx, now, &c, &b);
        }
        break;
    case 1: /* later */
        if (F.nd < ND)
            F.deferred[F.nd++] = c;
        break;
    case 2: { /* long: too big for the dedup cache */
        uint8_t big[100];
        memset(big, 'b', sizeof(big));
        if (tether_coap_reply_begin(F.ctx, &b, &c, TETHER_COAP_CONTENT) == 0) {
            tether_coap_build_payload(&b, big, sizeof(big));
            (void)tether_coap_reply_send(F.ctx, now, &c, &b);
        }
        break;
    }
    default: /* no answer */
        break;
    }
}

static void check(void)
{
    tether_coap_stats st;
    tether_coap_get_stats(F.ctx, &st);
    if (st.exchanges_in_flight > 8 || st.dedup_used > 8)
        __builtin_trap();
    if (st.exchanges_in_flight == 0 && tether_coap_next_deadline(F.ctx) != TETHER_TIME_NEVER)
        __builtin_trap();
}

static void drain(void)
{
    uint8_t buf[512];
    tether_peer p;
    size_t len;
    tether_coap_msg m;

    for (;;) {
        if (tether_coap_send(F.ctx, F.now, &p, buf, sizeof(buf), &len) != 0 || len == 0)
            break;
        /* Everything we send must parse. */
        if (tether_coap_parse(&m, buf, len) != 0)
            __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tether_coap_config cfg;
    tether_coap_callbacks cb = {on_request, NULL};
    size_t i = 0;

    memset(&F, 0, sizeof(F));
    tether_coap_config_default(&cfg);
    cfg.rand = frand;
    cfg.max_message = 256;
    cfg.max_exchanges = 8;
    cfg.dedup_entries = 8;
    cfg.dedup_reply_max = 32;
    cfg.txq_bytes = 2048;
    cfg.token_len = 1;
    cfg.exchange_lifetime_ms = 20000;
    cfg.non_lifetime_ms = 10000;
    if (tether_coap_mem_size(&cfg) > sizeof(mem) ||
        tether_coap_init(&F.ctx, mem, sizeof(mem), &cfg, &cb, NULL) != 0)
        __builtin_trap();

    while (i < size) {
        uint8_t ctl = data[i++];
        unsigned op = ctl & 7, pn = (ctl >> 3) & 3, a = ctl >> 5;
        tether_peer p = peer_n(pn);
        F.now += (tether_time)a * a * 1000;

        if (op < 4) {
            size_t len = i < size ? data[i++] : 0;
            if (len > size - i)
                len = size - i;
            (void)tether_coap_recv(F.ctx, F.now, &p, data + i, len);
            i += len;
        } else if (op == 4) {
            uint8_t fl = i < size ? data[i++] : 0;
            tether_coap_builder b;
            tether_coap_xid xid = 0;
            if (tether_coap_msg_begin(F.ctx, &b, (fl & 1) ? TETHER_COAP_NON : TETHER_COAP_CON,
                                      (fl & 4) ? TETHER_COAP_POST : TETHER_COAP_GET, NULL, 0) == 0) {
                if (fl & 2)
                    tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_OBSERVE, 0);
                tether_coap_build_path(&b, TETHER_COAP_OPT_URI_PATH, "3/0");
                if (tether_coap_msg_send(F.ctx, F.now, &p, &b, (fl & 2) ? TETHER_COAP_KEEP : 0,
                                         done, (void *)(uintptr_t)(fl >> 3), &xid) == 0)
                    remember(xid);
            }
        } else if (op == 5) {
            tether_coap_xid xid = 0;
            if (tether_coap_ping(F.ctx, F.now, &p, done, (void *)(uintptr_t)1, &xid) == 0)
                remember(xid);
        } else if (op == 6) {
            uint8_t k = i < size ? data[i++] : 0;
            if (F.nx > 0)
                (void)tether_coap_cancel(F.ctx, F.now, F.xids[k % F.nx]);
        } else {
            uint8_t k = i < size ? data[i++] : 0;
            tether_coap_builder b;
            switch (k & 3) {
            case 0:
                tether_coap_cancel_peer(F.ctx, F.now, &p);
                break;
            case 1:
                if (F.nd > 0) {
                    tether_coap_incoming *in = &F.deferred[(k >> 2) % F.nd];
                    (void)tether_coap_reply_code(F.ctx, F.now, in, TETHER_COAP_CHANGED);
                }
                break;
            default: {
                static const uint8_t tok[] = {0x77};
                uint8_t type = (k & 3) == 2 ? TETHER_COAP_NON : TETHER_COAP_CON;
                tether_coap_xid xid = 0;
                if (tether_coap_msg_begin(F.ctx, &b, type, TETHER_COAP_CONTENT, tok, 1) == 0) {
                    tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_OBSERVE, k);
                    if (tether_coap_msg_send(F.ctx, F.now, &p, &b, 0, done,
                                             (void *)(uintptr_t)(k >> 2), &xid) == 0)
                        remember(xid);
                }
                break;
            }
            }
        }
        if (tether_coap_next_deadline(F.ctx) <= F.now)
            (void)tether_coap_on_timeout(F.ctx, F.now);
        if (tether_coap_next_deadline(F.ctx) <= F.now)
            __builtin_trap(); /* on_timeout must leave nothing overdue */
        drain();
        check();
    }
    tether_coap_fini(F.ctx);
    return 0;
}
