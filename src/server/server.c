/* SPDX-License-Identifier: Apache-2.0 */
/* The server engine's core: construction, the sans-I/O loop (recv, send,
 * next_deadline, on_timeout) over its CoAP context, expiry (R6), events,
 * and the read-only accessors. The Registration Interface is in rd.c,
 * server-initiated requests and lifetime synchronisation in dm.c.
 *
 * Invariant: srv->depth > 0 exactly while an embedder callback runs; the
 * calls that would re-enter the CoAP context's receive or timer paths refuse
 * then (TETHER_ERR_REENTRANT), while requests (tether_server_read() & co.)
 * are allowed. */
#define TETHER_ALLOW_ALLOC
#include "tether/server.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log_internal.h"
#include "server/dm_internal.h"
#include "server/server_internal.h"
#include "tether/lwm2m.h"
#include "tether_poison.h"

/* --- allocation, errors, events ------------------------------------------- */

static void *libc_alloc(void *user, void *ptr, size_t size)
{
    (void)user;
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, size);
}

void *tether_server_alloc(tether_server *srv, void *ptr, size_t size)
{
    return srv->cfg.alloc(srv->cfg.alloc_user, ptr, size);
}

void tether_server_set_err(tether_server *srv, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(srv->errmsg, sizeof(srv->errmsg), fmt, ap);
    va_end(ap);
    TETHER_LOG(srv->cfg.log, srv->cfg.log_user, TETHER_LOG_DEBUG, "server", "%s", srv->errmsg);
}

void tether_server_emit(tether_server *srv, tether_time now, const tether_server_event *ev)
{
    if (srv->freeing || srv->cb.on_event == NULL)
        return;
    srv->depth++;
    srv->cb.on_event(srv->user, now, ev);
    srv->depth--;
}

tether_time tether_server_deadline(const tether_server *srv, tether_time now, uint32_t lt_s)
{
    return now + ((uint64_t)lt_s + srv->cfg.grace_s) * 1000u;
}

void tether_server_drop(tether_server *srv, struct tether_server_reg *rec)
{
    tether_registry_remove(&srv->reg, rec);
    tether_registry_free_record(&srv->reg, rec);
}

/* --- construction ----------------------------------------------------------- */

void tether_server_config_default(tether_server_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->default_lifetime_s = 86400;
    cfg->grace_s = 0;
    cfg->ssid = 0;
    cfg->lifetime_sync = TETHER_SERVER_SYNC_READ;
    cfg->max_registrations = 0;
    cfg->max_register_payload = 16384;
    cfg->max_block1_transfers = 16;
    cfg->expire_slice = 1024;
    cfg->request_timeout_ms = 120000;
    cfg->max_request_body = 65536;
    cfg->max_response_body = 65536;
    cfg->awake_window_ms = 93000;
    cfg->queue_max = 16;
    cfg->obs_park_s = 90000;
    cfg->obs_park_max = 4096;
    cfg->slot_wait_max = 16384;
    tether_coap_config_default(&cfg->coap);
    cfg->coap.max_exchanges = 4096;
    cfg->coap.dedup_entries = 4096;
    cfg->coap.txq_bytes = 256u * 1024u;
}

static void on_request(void *user, tether_time now, const tether_coap_msg *req,
                       const tether_coap_incoming *in)
{
    tether_server_rd_request(user, now, req, in);
}

static int on_unmatched(void *user, tether_time now, const tether_peer *peer,
                        const tether_coap_msg *resp)
{
    return tether_dm_obs_notify(user, now, peer, resp);
}

static int make_block1(tether_server *srv)
{
    tether_block1_rx_config bc;
    size_t sz;

    tether_block1_rx_config_default(&bc);
    bc.slots = srv->cfg.max_block1_transfers;
    bc.max_body = (uint32_t)srv->cfg.max_register_payload;
    sz = tether_block1_rx_mem_size(bc.slots, bc.max_body);
    if (sz == 0)
        return TETHER_ERR_INVAL;
    srv->b1_mem = tether_server_alloc(srv, NULL, sz);
    if (srv->b1_mem == NULL)
        return TETHER_ERR_NOMEM;
    return tether_block1_rx_init(&srv->b1, srv->b1_mem, sz, &bc);
}

static int make_coap(tether_server *srv)
{
    tether_coap_callbacks ccb = {on_request, NULL};
    tether_coap_config cc = tether_server_coap_config(&srv->cfg);
    size_t sz;
    int err;

    srv->cfg.coap = cc;
    sz = tether_coap_mem_size(&cc);
    if (sz == 0)
        return TETHER_ERR_INVAL;
    srv->coap_mem = tether_server_alloc(srv, NULL, sz);
    if (srv->coap_mem == NULL)
        return TETHER_ERR_NOMEM;
    err = tether_coap_init(&srv->coap, srv->coap_mem, sz, &cc, &ccb, srv);
    if (err == 0)
        tether_coap_set_unmatched(srv->coap, on_unmatched);
    return err;
}

static void destroy(tether_server *srv)
{
    srv->freeing = 1;
    if (srv->coap != NULL)
        tether_coap_fini(srv->coap); /* pending requests see CANCELLED */
    tether_server_dm_fini(srv);
    tether_registry_fini(&srv->reg);
    if (srv->coap_mem != NULL)
        tether_server_alloc(srv, srv->coap_mem, 0);
    if (srv->b1_mem != NULL)
        tether_server_alloc(srv, srv->b1_mem, 0);
    tether_server_alloc(srv, srv, 0);
}

int tether_server_new(tether_server **out, const tether_server_config *cfg,
                      const tether_server_callbacks *cb, void *user)
{
    tether_server_config c;
    tether_server *srv;
    uint8_t seed[16];
    int err;

    if (out == NULL || cfg == NULL || !tether_server_has_random(cfg) || cfg->default_lifetime_s == 0 ||
        cfg->max_register_payload == 0 || cfg->max_block1_transfers == 0 ||
        cfg->expire_slice == 0 || cfg->request_timeout_ms == 0 || cfg->max_response_body == 0)
        return TETHER_ERR_INVAL;
    c = *cfg;
    if (c.alloc == NULL) {
        c.alloc = libc_alloc;
        c.alloc_user = NULL;
    }
    srv = c.alloc(c.alloc_user, NULL, sizeof(*srv));
    if (srv == NULL)
        return TETHER_ERR_NOMEM;
    memset(srv, 0, sizeof(*srv));
    srv->cfg = c;
    if (cb != NULL)
        srv->cb = *cb;
    srv->user = user;
    tether_server_random(&c, seed, sizeof(seed));
    tether_registry_init(&srv->reg, c.alloc, c.alloc_user, seed);
    err = make_coap(srv);
    if (err == 0)
        err = make_block1(srv);
    if (err == 0)
        err = tether_server_dm_init(srv);
    if (err != 0) {
        destroy(srv);
        return err;
    }
    *out = srv;
    return 0;
}

void tether_server_free(tether_server *srv)
{
    if (srv == NULL || srv->depth > 0)
        return;
    destroy(srv);
}

/* --- the loop --------------------------------------------------------------- */

int tether_server_recv(tether_server *srv, tether_time now, const tether_peer *peer,
                       const uint8_t *buf, size_t len)
{
    int err;

    if (srv->depth > 0)
        return TETHER_ERR_REENTRANT;
    srv->errmsg[0] = '\0';
    err = tether_coap_recv(srv->coap, now, peer, buf, len);
    /* Whatever ended frees a slot for a request waiting for one. */
    tether_dm_wait_drain(srv, now);
    return err;
}

int tether_server_send(tether_server *srv, tether_time now, tether_peer *peer, uint8_t *buf,
                       size_t cap, size_t *len)
{
    return tether_coap_send(srv->coap, now, peer, buf, cap, len);
}

tether_time tether_server_next_deadline(const tether_server *srv)
{
    tether_time a = tether_coap_next_deadline(srv->coap);
    tether_time b = tether_registry_next_deadline(&srv->reg);
    tether_time c = tether_server_dm_next_deadline(srv);
    a = a < b ? a : b;
    return a < c ? a : c;
}

/* R6: remove what is due, at most expire_slice per call so that a mass
 * expiry cannot stall the loop; the rest is due at once on the next turn. */
static void expire(tether_server *srv, tether_time now)
{
    struct tether_server_reg *rec;
    uint32_t n = 0;

    while (n < srv->cfg.expire_slice && (rec = tether_registry_due(&srv->reg, now)) != NULL) {
        tether_server_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.type = TETHER_SERVER_EV_EXPIRED;
        ev.reg = rec;
        srv->stats.expired++;
        TETHER_LOG(srv->cfg.log, srv->cfg.log_user, TETHER_LOG_DEBUG, "server",
                   "ep=%s id=%s: expired (lifetime %u s)", tether_reg_ep(rec), rec->id,
                   (unsigned)rec->lifetime_s);
        /* Out of the heap before the callback, so nothing it does sees a
         * registration that is both due and being expired. */
        tether_registry_remove(&srv->reg, rec);
        tether_server_emit(srv, now, &ev);
        tether_server_dm_gone(srv, now, rec, TETHER_SERVER_EV_EXPIRED);
        tether_registry_free_record(&srv->reg, rec);
        n++;
    }
}

int tether_server_on_timeout(tether_server *srv, tether_time now)
{
    int err;

    if (srv->depth > 0)
        return TETHER_ERR_REENTRANT;
    err = tether_coap_on_timeout(srv->coap, now);
    if (err != 0)
        return err;
    expire(srv, now);
    tether_server_dm_on_timeout(srv, now);
    return 0;
}

/* --- look-up and accessors ------------------------------------------------ */

const tether_server_reg *tether_server_find_ep(const tether_server *srv, const char *ep,
                                               size_t len)
{
    return tether_registry_find_ep(&srv->reg, ep, len);
}

const tether_server_reg *tether_server_find_id(const tether_server *srv, const char *id,
                                               size_t len)
{
    return tether_registry_find_id(&srv->reg, id, len);
}

size_t tether_server_count(const tether_server *srv)
{
    return tether_registry_count(&srv->reg);
}

const char *tether_server_reg_ep(const tether_server_reg *reg)
{
    return tether_reg_ep((struct tether_server_reg *)reg);
}

const char *tether_server_reg_id(const tether_server_reg *reg)
{
    return reg->id;
}

const char *tether_server_reg_sms(const tether_server_reg *reg)
{
    return tether_reg_sms((struct tether_server_reg *)reg);
}

const char *tether_server_reg_root(const tether_server_reg *reg)
{
    return tether_reg_root((struct tether_server_reg *)reg);
}

const tether_peer *tether_server_reg_peer(const tether_server_reg *reg)
{
    return &reg->peer;
}

uint32_t tether_server_reg_lifetime(const tether_server_reg *reg)
{
    return reg->lifetime_s;
}

tether_time tether_server_reg_expires(const tether_server_reg *reg)
{
    return reg->expiry.key;
}

tether_time tether_server_reg_registered(const tether_server_reg *reg)
{
    return reg->registered;
}

tether_time tether_server_reg_updated(const tether_server *srv, const tether_server_reg *reg)
{
    /* The deadline is last + (lifetime + grace) s (tether_server_deadline),
     * so the time of the last Register/Update needs no field of its own. */
    return reg->expiry.key - ((uint64_t)reg->lifetime_s + srv->cfg.grace_s) * 1000u;
}

int tether_server_foreach(const tether_server *srv, tether_server_foreach_fn fn, void *user)
{
    /* The expiry heap's array holds every registration exactly once, so it
     * is the one list to walk; its order is the heap's, not a sort. */
    const tether_heap *h = &srv->reg.expiry;
    for (size_t i = 0; i < h->len; i++) {
        const struct tether_server_reg *rec =
            (const struct tether_server_reg *)((const char *)h->items[i] -
                                               offsetof(struct tether_server_reg, expiry));
        int rc = fn(user, rec);
        if (rc != 0)
            return rc;
    }
    return 0;
}

unsigned tether_server_reg_binding(const tether_server_reg *reg)
{
    return reg->binding;
}

int tether_server_reg_queue(const tether_server_reg *reg)
{
    return (reg->flags & TETHER_REG_QUEUE) != 0;
}

const char *tether_server_reg_binding_str(const tether_server_reg *reg, char *out, size_t cap)
{
    if (cap == 0)
        return out;
    if (tether_lwm2m_binding_format(reg->binding, reg->version, out, cap) != 0)
        out[0] = '\0';
    return out;
}

unsigned tether_server_reg_version(const tether_server_reg *reg)
{
    return reg->version;
}

const char *tether_server_reg_version_str(const tether_server_reg *reg)
{
    return tether_lwm2m_version_str(reg->version);
}

unsigned tether_server_reg_formats(const tether_server_reg *reg)
{
    return reg->formats;
}

int tether_server_reg_syncing(const tether_server_reg *reg)
{
    return (reg->flags & TETHER_REG_SYNCING) != 0;
}

size_t tether_server_reg_object_count(const tether_server_reg *reg)
{
    return reg->n_objs;
}

int tether_server_reg_object(const tether_server_reg *reg, size_t i, tether_server_obj *out)
{
    if (i >= reg->n_objs)
        return TETHER_ERR_NOT_FOUND;
    *out = reg->objs[i];
    return 0;
}

int tether_server_reg_objects_str(const tether_server_reg *reg, char *out, size_t cap,
                                  size_t *len)
{
    size_t n = 0;
    int err = 0;

    if (cap == 0)
        return TETHER_ERR_NOSPACE;
    out[0] = '\0';
    for (size_t i = 0; i < reg->n_objs; i++) {
        char one[24];
        int k;
        if (reg->objs[i].iid == TETHER_SERVER_NO_IID)
            k = snprintf(one, sizeof(one), "%s</%u>", i ? "," : "", reg->objs[i].oid);
        else
            k = snprintf(one, sizeof(one), "%s</%u/%u>", i ? "," : "", reg->objs[i].oid,
                         reg->objs[i].iid);
        if (n + (size_t)k + 1 > cap) {
            /* Truncate with "..." where it still fits. */
            while (n > 0 && n + 4 > cap)
                n--;
            if (n + 4 <= cap) {
                memcpy(out + n, "...", 4);
                n += 3;
            } else {
                out[n] = '\0';
            }
            err = TETHER_ERR_NOSPACE;
            break;
        }
        memcpy(out + n, one, (size_t)k + 1);
        n += (size_t)k;
    }
    if (len != NULL)
        *len = n;
    return err;
}

size_t tether_server_reg_record_bytes(const tether_server_reg *reg)
{
    return reg->rec_bytes;
}

/* --- counters --------------------------------------------------------------- */

void tether_server_get_stats(const tether_server *srv, tether_server_stats *out)
{
    *out = srv->stats;
    out->registrations = tether_registry_count(&srv->reg);
    out->index_buckets =
        tether_hindex_buckets(&srv->reg.by_id) + tether_hindex_buckets(&srv->reg.by_ep);
    out->heap_capacity = srv->reg.expiry.cap;
    tether_server_dm_stats(srv, out);
    tether_coap_get_stats(srv->coap, &out->coap);
}

const char *tether_server_errmsg(const tether_server *srv)
{
    return srv->errmsg;
}
