/* SPDX-License-Identifier: Apache-2.0 */
/* Test fixture for the server engine: a server on a virtual clock, devices
 * that are nothing but peers and hand-built datagrams, and an event log.
 * Header-only so each tests/server/test_*.c stays one executable. */
#ifndef TETHER_TEST_SERVER_FIXTURE_H
#define TETHER_TEST_SERVER_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tether/coap.h"
#include "tether/server.h"

/* --- deterministic randomness and a counting allocator --------------------- */

static uint64_t fx_rng_state = 0x9E3779B97F4A7C15ULL;

static inline void fx_rand(void *user, void *buf, size_t len)
{
    uint8_t *p = buf;
    (void)user;
    for (size_t i = 0; i < len; i++) {
        fx_rng_state ^= fx_rng_state << 13;
        fx_rng_state ^= fx_rng_state >> 7;
        fx_rng_state ^= fx_rng_state << 17;
        p[i] = (uint8_t)(fx_rng_state >> 24);
    }
}

typedef struct fx_alloc_stats {
    size_t live, allocs;
} fx_alloc_stats;

typedef struct {
    size_t size;
    max_align_t pad[];
} fx_hdr;

static inline void *fx_alloc(void *user, void *ptr, size_t size)
{
    fx_alloc_stats *c = user;
    fx_hdr *h = ptr != NULL ? (fx_hdr *)ptr - 1 : NULL;

    if (size == 0) {
        if (h != NULL) {
            c->live -= h->size;
            free(h);
        }
        return NULL;
    }
    if (h != NULL)
        c->live -= h->size;
    h = realloc(h, sizeof(fx_hdr) + size);
    if (h == NULL)
        return NULL;
    h->size = size;
    c->live += size;
    c->allocs++;
    return h + 1;
}

/* --- the fixture ------------------------------------------------------------- */

#define FX_MAX_EVENTS 64

typedef struct fx_event {
    tether_server_event_type type;
    char ep[64];
    char id[16];
    unsigned changed;
    int status;
    uint8_t code;
    uint32_t lifetime;
    int via;
    uint32_t queued;
    tether_time when;
} fx_event;

typedef struct fx {
    tether_server *srv;
    tether_server_config cfg;
    tether_time now;
    fx_alloc_stats mem;
    fx_event ev[FX_MAX_EVENTS];
    size_t n_ev;
    uint16_t mid;
    char log[4096];
    /* the last datagram taken from the server */
    uint8_t out[2048];
    size_t out_len;
    tether_peer out_peer;
    tether_coap_msg msg;
} fx;

static inline void fx_on_event(void *user, tether_time now, const tether_server_event *e)
{
    fx *f = user;
    fx_event *r;
    if (f->n_ev >= FX_MAX_EVENTS)
        return;
    r = &f->ev[f->n_ev++];
    memset(r, 0, sizeof(*r));
    r->type = e->type;
    snprintf(r->ep, sizeof(r->ep), "%s", tether_server_reg_ep(e->reg));
    snprintf(r->id, sizeof(r->id), "%s", tether_server_reg_id(e->reg));
    r->changed = e->changed;
    r->status = e->status;
    r->code = e->code;
    r->lifetime = tether_server_reg_lifetime(e->reg);
    r->via = (int)e->via;
    r->queued = e->queued;
    r->when = now;
}

static inline void fx_log(void *user, int level, const char *module, const char *msg)
{
    fx *f = user;
    size_t n = strlen(f->log);
    (void)module;
    snprintf(f->log + n, sizeof(f->log) - n, "%s %s\n", tether_log_level_name(level), msg);
}

/* Configure with fx_config(), adjust f->cfg, then fx_start(). */
static inline void fx_config(fx *f)
{
    memset(f, 0, sizeof(*f));
    tether_server_config_default(&f->cfg);
    f->cfg.rand = fx_rand;
    f->cfg.alloc = fx_alloc;
    f->cfg.alloc_user = &f->mem;
    f->cfg.log = fx_log;
    f->cfg.log_user = f;
    f->now = 1000000;
    f->mid = 0x100;
}

static inline void fx_start(fx *f)
{
    tether_server_callbacks cb = {fx_on_event};
    assert_int_equal(tether_server_new(&f->srv, &f->cfg, &cb, f), 0);
}

static inline void fx_stop(fx *f)
{
    tether_server_free(f->srv);
    f->srv = NULL;
    assert_int_equal(f->mem.live, 0);
}

/* cmocka setup and teardown: *state is a started fx with the defaults,
 * owned by the test until fx_teardown stops (no allocation may be left
 * live) and frees it. */
static inline int fx_setup(void **state)
{
    fx *f = calloc(1, sizeof(fx));
    fx_config(f);
    fx_start(f);
    *state = f;
    return 0;
}

static inline int fx_teardown(void **state)
{
    fx *f = *state;
    fx_stop(f);
    free(f);
    return 0;
}

static inline tether_peer fx_peer(uint16_t iface, uint8_t n)
{
    tether_peer p;
    memset(&p, 0, sizeof(p));
    p.iface = iface;
    p.len = 16;
    p.addr[0] = 2;          /* looks like AF_INET */
    p.addr[2] = 0x16;       /* port 5683 + n */
    p.addr[3] = (uint8_t)(0x33 + n);
    p.addr[4] = 127;
    p.addr[7] = n;
    return p;
}

/* Build a request. path "rd/abc" (NULL: none); query "ep=x&lt=5" split on
 * '&' (NULL: none); cf < 0: no Content-Format; block1: NULL or the option. */
static inline size_t fx_build(fx *f, uint8_t *buf, size_t cap, uint8_t type, uint8_t code,
                       const char *path, const char *query, int cf,
                       const tether_coap_block *block1, const void *payload, size_t plen)
{
    tether_coap_builder b;
    uint8_t tok[4] = {0xA0, 0xB1, (uint8_t)(f->mid >> 8), (uint8_t)f->mid};
    size_t len;

    tether_coap_build_init(&b, buf, cap, type, code, f->mid++, tok, sizeof(tok));
    if (path != NULL)
        tether_coap_build_path(&b, TETHER_COAP_OPT_URI_PATH, path);
    if (cf >= 0)
        tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_CONTENT_FORMAT, (uint32_t)cf);
    if (query != NULL) {
        const char *s = query;
        while (*s) {
            const char *e = strchr(s, '&');
            size_t n = e ? (size_t)(e - s) : strlen(s);
            tether_coap_build_opt(&b, TETHER_COAP_OPT_URI_QUERY, s, n);
            s += n;
            if (*s == '&')
                s++;
        }
    }
    if (block1 != NULL)
        tether_coap_build_block(&b, TETHER_COAP_OPT_BLOCK1, block1);
    if (plen > 0)
        tether_coap_build_payload(&b, payload, plen);
    assert_int_equal(tether_coap_build_finish(&b, &len), 0);
    return len;
}

/* Take the next datagram the server sends; 0 when none. */
static inline int fx_pop(fx *f)
{
    assert_int_equal(tether_server_send(f->srv, f->now, &f->out_peer, f->out, sizeof(f->out),
                                        &f->out_len),
                     0);
    if (f->out_len == 0)
        return 0;
    assert_int_equal(tether_coap_parse(&f->msg, f->out, f->out_len), 0);
    return 1;
}

/* Send a CON request and return the code of the piggybacked answer. */
static inline uint8_t fx_request(fx *f, const tether_peer *from, uint8_t code, const char *path,
                          const char *query, int cf, const void *payload, size_t plen)
{
    uint8_t buf[2048];
    size_t len = fx_build(f, buf, sizeof(buf), TETHER_COAP_CON, code, path, query, cf, NULL,
                          payload, plen);
    uint16_t mid = (uint16_t)(f->mid - 1);

    assert_int_equal(tether_server_recv(f->srv, f->now, from, buf, len), 0);
    assert_true(fx_pop(f));
    assert_int_equal(f->msg.type, TETHER_COAP_ACK);
    assert_int_equal(f->msg.mid, mid);
    assert_true(tether_peer_equal(&f->out_peer, from));
    return f->msg.code;
}

static const char fx_objects[] = "</1/0>,</3/0>,</5>";

/* Register; returns the code and, on 2.01, the location id in id[]. */
static inline uint8_t fx_register(fx *f, const tether_peer *from, const char *query,
                           const char *links, char id[16])
{
    uint8_t code = fx_request(f, from, TETHER_COAP_POST, "rd", query, 40, links,
                              links ? strlen(links) : 0);
    if (code == TETHER_COAP_CREATED && id != NULL) {
        tether_coap_opt lp[3];
        size_t n = 0;
        assert_int_equal(tether_coap_opt_collect(&f->msg, TETHER_COAP_OPT_LOCATION_PATH, lp, 3, &n), 0);
        assert_int_equal(n, 2);
        assert_int_equal(lp[0].len, 2);
        assert_memory_equal(lp[0].val, "rd", 2);
        assert_true(lp[1].len <= 12);
        memcpy(id, lp[1].val, lp[1].len);
        id[lp[1].len] = '\0';
    }
    return code;
}

static inline uint8_t fx_update(fx *f, const tether_peer *from, const char *id, const char *query,
                         const char *links)
{
    char path[32];
    snprintf(path, sizeof(path), "rd/%s", id);
    return fx_request(f, from, TETHER_COAP_POST, path, query, links ? 40 : -1, links,
                      links ? strlen(links) : 0);
}

static inline uint8_t fx_deregister(fx *f, const tether_peer *from, const char *id)
{
    char path[32];
    snprintf(path, sizeof(path), "rd/%s", id);
    return fx_request(f, from, TETHER_COAP_DELETE, path, NULL, -1, NULL, 0);
}

/* Answer the server-initiated request in f->msg with a piggybacked ACK. */
static inline void fx_answer(fx *f, const tether_peer *from, uint8_t code, int cf, const void *payload,
                      size_t plen)
{
    uint8_t buf[1024];
    tether_coap_builder b;
    size_t len;

    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_ACK, code, f->msg.mid,
                           f->msg.token, f->msg.tkl);
    if (cf >= 0)
        tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_CONTENT_FORMAT, (uint32_t)cf);
    if (plen > 0)
        tether_coap_build_payload(&b, payload, plen);
    assert_int_equal(tether_coap_build_finish(&b, &len), 0);
    assert_int_equal(tether_server_recv(f->srv, f->now, from, buf, len), 0);
}

/* The request's Uri-Path as "1/0/1". */
static inline const char *fx_path(fx *f)
{
    static char p[128];
    assert_int_equal(tether_coap_path_string(&f->msg, TETHER_COAP_OPT_URI_PATH, p, sizeof(p)), 0);
    return p;
}

static inline size_t fx_count(const fx *f, tether_server_event_type t)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n_ev; i++)
        n += f->ev[i].type == t;
    return n;
}

static inline const fx_event *fx_last(const fx *f)
{
    assert_true(f->n_ev > 0);
    return &f->ev[f->n_ev - 1];
}

/* Run the loop's timer step at time t. */
static inline void fx_at(fx *f, tether_time t)
{
    f->now = t;
    assert_int_equal(tether_server_on_timeout(f->srv, f->now), 0);
}

#endif /* TETHER_TEST_SERVER_FIXTURE_H */
