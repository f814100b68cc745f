/* SPDX-License-Identifier: Apache-2.0 */
/* What the server engine's files share: the engine struct, the request slot
 * pool for server-initiated requests, and the calls between the
 * Registration Interface (rd.c), device management and lifetime
 * synchronisation (dm.c) and the core (server.c). Nothing here is API. */
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

/* What a request slot is for. */
enum dm_kind {
    DM_FREE = 0,
    DM_USER = 1,          /* tether_server_read/write/execute: report to cb */
    DM_SYNC_READ_RES = 2, /* R10: GET /1/{i}/1, adopt */
    DM_SYNC_READ_OBJ = 3, /* R10: GET /1 (TLV), pick our instance, adopt */
    DM_SYNC_FIND_OBJ = 4, /* R10 write: GET /1 (TLV) to find our instance, then write */
    DM_SYNC_WRITE = 5,    /* R10: PUT /1/{i}/1 with the default lifetime */
};

/* One server-initiated request in flight. The registration is named by its
 * location id, not a pointer: it may be updated (record swapped), replaced
 * or removed before the answer comes, and an O(1) look-up on completion
 * tells which. */
typedef struct dm_slot {
    tether_server *srv;
    tether_server_response_fn cb;
    void *arg;
    int32_t next_free;
    uint8_t kind; /* enum dm_kind */
    char id[TETHER_SERVER_ID_LEN + 1];
} dm_slot;

struct tether_server {
    tether_server_config cfg;
    tether_server_callbacks cb;
    void *user;
    tether_coap_ctx *coap;
    void *coap_mem;
    tether_block1_rx *b1;
    void *b1_mem;
    tether_registry reg;
    dm_slot *slots;
    uint32_t n_slots;
    int32_t free_slot; /* head of the free list, -1 when none */
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

#endif /* TETHER_SERVER_INTERNAL_H */
