/* SPDX-License-Identifier: Apache-2.0 */
/* What the server engine's files share: the engine struct and the calls
 * between the Registration Interface (rd.c), device management, observation,
 * queue mode and lifetime synchronisation (dm*.c, observe.c, queue.c; their
 * own shared state is in dm_internal.h) and the core (server.c). Nothing
 * here is API. */
#ifndef TETHER_SERVER_INTERNAL_H
#define TETHER_SERVER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "server/registry_internal.h"
#include "tether/coap_block.h"
#include "tether/coap_exchange.h"
#include "tether/server.h"

/* Record flags beyond TETHER_REG_SYNCING. */
#define TETHER_REG_QUEUE 0x02u /* queue mode (1.0: Q in b; 1.1: the Q parameter) */

struct tether_dm; /* dm_internal.h */

struct tether_server {
    tether_server_config cfg;
    tether_server_callbacks cb;
    void *user;
    tether_coap_ctx *coap;
    void *coap_mem;
    tether_block1_rx *b1;
    void *b1_mem;
    tether_registry reg;
    struct tether_dm *dm; /* requests, observations, queue mode */
    uint32_t depth;    /* > 0 while a user callback runs */
    uint8_t freeing;   /* tether_server_free() in progress: no events */
    tether_server_stats stats;
    char errmsg[192];
};

/* Randomness enters the engine in one place: these accessors. */
static inline void tether_server_random(const tether_server_config *cfg, void *buf, size_t len)
{
    cfg->rand(cfg->rand_user, buf, len);
}

static inline int tether_server_has_random(const tether_server_config *cfg)
{
    return cfg->rand != NULL;
}

/* The CoAP context's config: cfg->coap with the server's randomness and log. */
static inline tether_coap_config tether_server_coap_config(const tether_server_config *cfg)
{
    tether_coap_config cc = cfg->coap;
    cc.rand = cfg->rand;
    cc.rand_user = cfg->rand_user;
    cc.log = cfg->log;
    cc.log_user = cfg->log_user;
    return cc;
}

/* --- server.c ------------------------------------------------------------- */

void *tether_server_alloc(tether_server *srv, void *ptr, size_t size);

/* Set the last-error sentence (printf-style). */
#if defined(__GNUC__)
__attribute__((format(__printf__, 2, 3)))
#endif
void tether_server_set_err(tether_server *srv, const char *fmt, ...);

/* Report an event to the embedder (no-op while freeing). */
void tether_server_emit(tether_server *srv, tether_time now, const tether_server_event *ev);

/* Deadline for a registration refreshed at now with lifetime lt_s. */
tether_time tether_server_deadline(const tether_server *srv, tether_time now, uint32_t lt_s);

/* Take rec out of the registry and free it. */
void tether_server_drop(tether_server *srv, struct tether_server_reg *rec);

/* --- rd.c: the Registration Interface -------------------------------------- */

/* Handle a request to the server's resources (Register, Update,
 * De-register, and the 4.04 / 4.05 for everything else). */
void tether_server_rd_request(tether_server *srv, tether_time now, const tether_coap_msg *req,
                              const tether_coap_incoming *in);

/* --- dm.c: server-initiated requests --------------------------------------- */

int tether_server_dm_init(tether_server *srv);
void tether_server_dm_fini(tether_server *srv);

/* R10: start lifetime synchronisation for a registration without lt. */
void tether_server_sync_start(tether_server *srv, tether_time now,
                              struct tether_server_reg *rec);

/* The registration interface tells device management what happened, after
 * the event went out. */

/* rec was removed (why: DEREGISTERED, EXPIRED or REPLACED) and is freed on
 * return: its requests end with TETHER_ERR_CANCELLED, its established
 * observations are parked for the endpoint's next Register (R21); on
 * REPLACED its queued requests wait for the new registration. Cost: the
 * registration's own requests. */
void tether_server_dm_gone(tether_server *srv, tether_time now, struct tether_server_reg *rec,
                           tether_server_event_type why);

/* rec was registered (its 2.01 went out): queue mode starts awake, the
 * endpoint's parked observations join it and are observed again with
 * their tokens, and requests carried over from the registration it
 * replaced go out. */
void tether_server_dm_registered(tether_server *srv, tether_time now,
                                 struct tether_server_reg *rec);

/* A Register that replaced a registration failed after all: requests
 * carried over end with TETHER_ERR_CANCELLED. */
void tether_server_dm_register_failed(tether_server *srv, tether_time now);

/* rec was updated (changed: tether_server_change bits): the client is
 * awake. A new address (R14) keeps observations: their notifications are
 * taken from it. O(1). */
void tether_server_dm_updated(tether_server *srv, tether_time now, struct tether_server_reg *rec,
                              unsigned changed);

/* Request timeouts and awake windows. O(1) / O(log n) per item due. */
tether_time tether_server_dm_next_deadline(const tether_server *srv);
void tether_server_dm_on_timeout(tether_server *srv, tether_time now);

/* Fill the device-management counters of *out. */
void tether_server_dm_stats(const tether_server *srv, tether_server_stats *out);

#endif /* TETHER_SERVER_INTERNAL_H */
