/* SPDX-License-Identifier: Apache-2.0 */
/* Test harness for the client engine: a client in a static block, fake
 * servers that are only peers, a virtual clock the test owns, and helpers to
 * take the client's datagrams, answer them, and send it requests built by
 * hand. Nothing sleeps; time moves only through h_advance(). Each test
 * asserts the bytes the client put on the wire. */
#ifndef TETHER_TESTS_CLIENT_HARNESS_H
#define TETHER_TESTS_CLIENT_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tether/client.h"
#include "tether/coap.h"
#include "tether/lwm2m_tlv.h"

#define H_UNUSED __attribute__((unused))
#define H_MAX_EVENTS 64
#define H_MAX_SERVERS 4

typedef struct h_event {
    int type;
    uint16_t ssid;
    uint8_t code;
    int err;
    tether_time at;
    tether_time when;
    tether_lwm2m_path path;
    char location[64];
} h_event;

/* One datagram the client sent. */
typedef struct h_dgram {
    tether_peer peer;
    uint8_t buf[1152];
    size_t len;
    tether_coap_msg m;
} h_dgram;

typedef struct harness {
    tether_client *c;
    _Alignas(max_align_t) uint8_t mem[96 * 1024];
    tether_client_config cfg;
    tether_time now;
    uint32_t rng;
    int rand_zero; /* draw only zeros: jitter 0, first CoAP timeout = ACK_TIMEOUT */
    h_event ev[H_MAX_EVENTS];
    int nev;
    tether_peer peers[H_MAX_SERVERS];
    uint16_t next_mid;
    int verbose;
} harness;

static void h_rand(void *user, void *buf, size_t len)
{
    harness *h = user;
    uint8_t *p = buf;

    for (size_t i = 0; i < len; i++) {
        if (h->rand_zero) {
            p[i] = 0;
            continue;
        }
        h->rng ^= h->rng << 13;
        h->rng ^= h->rng >> 17;
        h->rng ^= h->rng << 5;
        p[i] = (uint8_t)h->rng;
    }
}

static void h_log(void *user, int level, const char *module, const char *msg)
{
    harness *h = user;
    if (h->verbose)
        fprintf(stderr, "[%s] %s: %s\n", tether_log_level_name(level), module, msg);
}

static void h_on_event(void *user, tether_time now, const tether_client_event *ev)
{
    harness *h = user;
    h_event *e;

    assert_true(h->nev < H_MAX_EVENTS);
    e = &h->ev[h->nev++];
    memset(e, 0, sizeof(*e));
    e->type = ev->type;
    e->ssid = ev->ssid;
    e->code = ev->code;
    e->err = ev->err;
    e->at = ev->at;
    e->when = now;
    e->path = ev->path;
    if (ev->location != NULL)
        snprintf(e->location, sizeof(e->location), "%s", ev->location);
    /* The callback may read but not drive the engine. */
    assert_int_equal(tether_client_on_timeout(h->c, now), TETHER_ERR_REENTRANT);
}

/* The n-th server's peer: 127.0.0.(n+1):5683 as bytes; iface 0. */
static tether_peer h_peer(int n)
{
    tether_peer p;
    memset(&p, 0, sizeof(p));
    p.len = 6;
    p.addr[0] = 127;
    p.addr[3] = (uint8_t)(n + 1);
    p.addr[4] = 0x16;
    p.addr[5] = 0x33;
    return p;
}

H_UNUSED static void h_init_cfg(harness *h, const char *endpoint)
{
    memset(h, 0, sizeof(*h));
    h->rng = 0x12345678u;
    h->now = 1000000;
    h->next_mid = 0x4000;
    h->verbose = getenv("TETHER_TEST_VERBOSE") != NULL;
    tether_client_config_default(&h->cfg);
    h->cfg.endpoint = endpoint;
    h->cfg.rand = h_rand;
    h->cfg.rand_user = h;
    h->cfg.log = h_log;
    h->cfg.log_user = h;
    h->cfg.manufacturer = "Tether";
    h->cfg.model = "test";
    for (int i = 0; i < H_MAX_SERVERS; i++)
        h->peers[i] = h_peer(i);
}

H_UNUSED static void h_init_client(harness *h)
{
    size_t need = tether_client_mem_size(&h->cfg);
    assert_true(need > 0);
    assert_true(need <= sizeof(h->mem));
    assert_int_equal(tether_client_init(&h->c, h->mem, sizeof(h->mem), &h->cfg, h_on_event, h), 0);
}

H_UNUSED static void h_add_server(harness *h, int n, uint16_t ssid, int64_t lifetime,
                                  const char *binding)
{
    tether_client_server_config sc;
    tether_client_server_config_default(&sc);
    sc.uri = "coap://127.0.0.1:5683";
    sc.peer = h->peers[n];
    sc.ssid = ssid;
    sc.lifetime = lifetime;
    if (binding != NULL)
        sc.binding = binding;
    assert_int_equal(tether_client_add_server(h->c, h->now, &sc), 0);
}

/* A client "dev1" with one server (ssid 1, lifetime lt, binding U), started. */
H_UNUSED static void h_setup(harness *h, int64_t lt)
{
    h_init_cfg(h, "dev1");
    h_init_client(h);
    h_add_server(h, 0, 1, lt, NULL);
    assert_int_equal(tether_client_start(h->c, h->now), 0);
}

/* Take the next datagram the client sends, or return 0 when none. */
static int h_take(harness *h, h_dgram *d)
{
    memset(d, 0, sizeof(*d));
    assert_int_equal(tether_client_send(h->c, h->now, &d->peer, d->buf, sizeof(d->buf), &d->len), 0);
    if (d->len == 0)
        return 0;
    assert_int_equal(tether_coap_parse(&d->m, d->buf, d->len), 0);
    return 1;
}

/* The next datagram must exist. */
H_UNUSED static void h_expect(harness *h, h_dgram *d)
{
    assert_true(h_take(h, d));
}

H_UNUSED static void h_expect_none(harness *h)
{
    h_dgram d;
    if (h_take(h, &d)) {
        char cs[5];
        fail_msg("unexpected datagram, code %s", tether_coap_code_str(d.m.code, cs));
    }
}

/* Deliver bytes from server n. */
static void h_deliver(harness *h, int n, const uint8_t *buf, size_t len)
{
    assert_int_equal(tether_client_recv(h->c, h->now, &h->peers[n], buf, len), 0);
}

/* Answer the client's CON request d with a piggybacked response. loc: the
 * Location-Path as "rd/abc" or NULL. */
H_UNUSED static void h_answer(harness *h, int n, const h_dgram *d, uint8_t code, const char *loc)
{
    uint8_t buf[256];
    tether_coap_builder b;
    size_t len;

    assert_int_equal(d->m.type, TETHER_COAP_CON);
    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_ACK, code, d->m.mid, d->m.token,
                           d->m.tkl);
    if (loc != NULL)
        tether_coap_build_path(&b, TETHER_COAP_OPT_LOCATION_PATH, loc);
    assert_int_equal(tether_coap_build_finish(&b, &len), 0);
    h_deliver(h, n, buf, len);
}

/* Advance the virtual clock to `to`, running every deadline on the way
 * (exactly at its time). Datagrams sent meanwhile stay queued. */
H_UNUSED static void h_advance_to(harness *h, tether_time to)
{
    for (;;) {
        tether_time d = tether_client_next_deadline(h->c);
        if (d > to)
            break;
        if (d > h->now)
            h->now = d;
        assert_int_equal(tether_client_on_timeout(h->c, h->now), 0);
    }
    if (to > h->now)
        h->now = to;
}

H_UNUSED static void h_advance(harness *h, uint64_t ms)
{
    h_advance_to(h, h->now + ms);
}

/* Advance until the client has something to send, at most `max` ms; the
 * clock stops at the deadline that produced it. Returns 1 and fills d, or 0. */
H_UNUSED static int h_run_until_sent(harness *h, uint64_t max, h_dgram *d)
{
    tether_time end = h->now + max;

    if (h_take(h, d))
        return 1;
    for (;;) {
        tether_time t = tether_client_next_deadline(h->c);
        if (t > end) {
            h->now = end;
            return 0;
        }
        if (t > h->now)
            h->now = t;
        assert_int_equal(tether_client_on_timeout(h->c, h->now), 0);
        if (h_take(h, d))
            return 1;
    }
}

/* --- building requests from a server -------------------------------------- */

typedef struct h_req {
    uint8_t code;
    const char *path; /* "1/0/1" */
    int ct;           /* -1: none */
    int accept;       /* -1: none */
    const void *payload;
    size_t payload_len;
    const char *query; /* one Uri-Query or NULL */
    uint8_t type;      /* CON (default 0) or NON */
} h_req;

/* Send a request from server n; return the client's answer in d (the next
 * datagram, which must answer it: same token). */
H_UNUSED static void h_request(harness *h, int n, const h_req *r, h_dgram *d)
{
    uint8_t buf[1024];
    uint8_t tok[4] = {0xA1, 0xB2, 0xC3, (uint8_t)h->next_mid};
    tether_coap_builder b;
    size_t len;

    tether_coap_build_init(&b, buf, sizeof(buf), r->type, r->code, h->next_mid++, tok, 4);
    tether_coap_build_path(&b, TETHER_COAP_OPT_URI_PATH, r->path);
    if (r->ct >= 0)
        tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_CONTENT_FORMAT, (uint32_t)r->ct);
    if (r->query != NULL)
        tether_coap_build_opt_str(&b, TETHER_COAP_OPT_URI_QUERY, r->query);
    if (r->accept >= 0)
        tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_ACCEPT, (uint32_t)r->accept);
    tether_coap_build_payload(&b, r->payload, r->payload_len);
    assert_int_equal(tether_coap_build_finish(&b, &len), 0);
    h_deliver(h, n, buf, len);
    if (d == NULL)
        return;
    h_expect(h, d);
    assert_int_equal(d->m.tkl, 4);
    assert_memory_equal(d->m.token, tok, 4);
}

/* Shorthands: the answer's code. */
H_UNUSED static uint8_t h_get(harness *h, const char *path, int accept, h_dgram *d)
{
    h_req r = {TETHER_COAP_GET, path, -1, accept, NULL, 0, NULL, 0};
    h_request(h, 0, &r, d);
    return d->m.code;
}

H_UNUSED static uint8_t h_put_text(harness *h, const char *path, const char *text, h_dgram *d)
{
    h_req r = {TETHER_COAP_PUT, path, TETHER_FMT_TEXT, -1, text, strlen(text), NULL, 0};
    h_request(h, 0, &r, d);
    return d->m.code;
}

H_UNUSED static uint8_t h_post(harness *h, const char *path, int ct, const void *p, size_t n,
                               h_dgram *d)
{
    h_req r = {TETHER_COAP_POST, path, ct, -1, p, n, NULL, 0};
    h_request(h, 0, &r, d);
    return d->m.code;
}

H_UNUSED static uint8_t h_method(harness *h, uint8_t method, const char *path, h_dgram *d)
{
    h_req r = {method, path, -1, -1, NULL, 0, NULL, 0};
    h_request(h, 0, &r, d);
    return d->m.code;
}

/* --- reading what the client sent -------------------------------------------- */

/* Uri-Path of d joined by '/'. */
H_UNUSED static const char *h_path(const h_dgram *d, char *out, size_t cap)
{
    assert_int_equal(tether_coap_path_string(&d->m, TETHER_COAP_OPT_URI_PATH, out, cap), 0);
    return out;
}

/* All Uri-Query options of d joined by '&' ("" when none). */
H_UNUSED static const char *h_query(const h_dgram *d, char *out, size_t cap)
{
    tether_coap_opt_iter it;
    tether_coap_opt o;
    size_t n = 0;

    out[0] = '\0';
    tether_coap_opt_iter_init(&it, &d->m);
    while (tether_coap_opt_next(&it, &o) == 0) {
        if (o.num != TETHER_COAP_OPT_URI_QUERY)
            continue;
        assert_true(n + o.len + 2 < cap);
        if (n > 0)
            out[n++] = '&';
        memcpy(out + n, o.val, o.len);
        n += o.len;
        out[n] = '\0';
    }
    return out;
}

/* The payload of d as a NUL-terminated string. */
H_UNUSED static const char *h_payload(const h_dgram *d, char *out, size_t cap)
{
    assert_true(d->m.payload_len < cap);
    if (d->m.payload_len > 0)
        memcpy(out, d->m.payload, d->m.payload_len);
    out[d->m.payload_len] = '\0';
    return out;
}

H_UNUSED static int h_ct(const h_dgram *d)
{
    uint32_t f;
    return tether_coap_content_format(&d->m, &f) == 0 ? (int)f : -1;
}

/* Assert d is a CON request of code method to path with query and payload
 * (NULL: none). */
H_UNUSED static void h_assert_request(const h_dgram *d, uint8_t method, const char *path,
                                      const char *query, const char *payload)
{
    char buf[512];

    assert_int_equal(d->m.type, TETHER_COAP_CON);
    assert_int_equal(d->m.code, method);
    assert_string_equal(h_path(d, buf, sizeof(buf)), path);
    assert_string_equal(h_query(d, buf, sizeof(buf)), query);
    if (payload == NULL) {
        assert_int_equal(d->m.payload_len, 0);
        assert_int_equal(h_ct(d), -1);
    } else {
        assert_string_equal(h_payload(d, buf, sizeof(buf)), payload);
        assert_int_equal(h_ct(d), TETHER_FMT_LINK);
    }
}

/* Register the started client with server n: answer its Register with
 * 2.01 rd/<loc>. Returns the time the Register left. */
H_UNUSED static tether_time h_register(harness *h, int n, const char *loc)
{
    h_dgram d;
    char path[64];
    assert_true(h_run_until_sent(h, 3600 * 1000, &d));
    assert_int_equal(d.m.code, TETHER_COAP_POST);
    assert_string_equal(h_path(&d, path, sizeof(path)), "rd");
    h_answer(h, n, &d, TETHER_COAP_CREATED, loc);
    return h->now;
}

H_UNUSED static int h_count_events(const harness *h, int type)
{
    int n = 0;
    for (int i = 0; i < h->nev; i++)
        n += h->ev[i].type == type;
    return n;
}

H_UNUSED static const h_event *h_last_event(const harness *h, int type)
{
    for (int i = h->nev - 1; i >= 0; i--)
        if (h->ev[i].type == type)
            return &h->ev[i];
    return NULL;
}

#endif /* TETHER_TESTS_CLIENT_HARNESS_H */
