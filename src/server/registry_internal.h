/* SPDX-License-Identifier: Apache-2.0 */
/* The registration directory: one compact record per registration, found in
 * O(1) by location id and by endpoint name, expired in O(log n) from a
 * min-heap keyed by deadline. It knows nothing of CoAP or of what a valid
 * registration is (the engine checks that); it owns the records' memory.
 *
 * A record is one allocation: the fixed header below, then its variable
 * tail, laid out as
 *
 *   +----------------------------+  <- struct tether_server_reg (fixed)
 *   | index nodes, heap entry,   |
 *   | peer, lifetime, flags, id  |
 *   +----------------------------+  <- objs[0]   (tether_server_obj, 6 B each)
 *   | objs[n_objs]               |
 *   +----------------------------+  <- ep: ep_len bytes + NUL
 *   | sms: sms_len bytes + NUL   |
 *   | root: root_len bytes + NUL |
 *   +----------------------------+
 *
 * so a device with a 20-character name and three objects costs about 150
 * bytes of record (tests/server/test_registry.c prints the figure). A change
 * of the tail's sizes (a new object list or SMS number in an Update) builds a
 * new record and swaps it in with tether_registry_swap(); the common Update
 * (lifetime, binding, address) changes the header in place and allocates
 * nothing.
 *
 * Costs, n registrations: find by id or endpoint O(1) expected; insert O(1)
 * amortised (index resizes move a few buckets per call; the heap array
 * doubles) + O(log n) heap; remove O(1) + O(log n); deadline change
 * O(log n); next deadline O(1). Nothing scans all records except
 * tether_registry_fini(). */
#ifndef TETHER_REGISTRY_INTERNAL_H
#define TETHER_REGISTRY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/heap_internal.h"
#include "server/hindex_internal.h"
#include "tether/server.h"
#include "tether/types.h"

/* Record flags. */
#define TETHER_REG_SYNCING 0x01u /* R10 read/write outstanding */

struct tether_server_reg {
    tether_hnode by_id;
    tether_hnode by_ep;
    tether_heap_entry expiry; /* key: last Register/Update + lifetime + grace, ms */
    tether_peer peer;         /* R14: source of the latest Register/Update */
    tether_time registered;   /* engine clock at the Register, ms (kept by Updates) */
    uint32_t hash_id, hash_ep;
    uint32_t lifetime_s;
    uint32_t rec_bytes;       /* size of this allocation */
    uint16_t n_objs;
    uint8_t ep_len, sms_len, root_len;
    uint8_t binding;          /* TETHER_LWM2M_BIND_* bits */
    uint8_t version;          /* tether_lwm2m_version (0x10 ..) */
    uint8_t formats;          /* tether_server_ct bits */
    uint8_t flags;            /* TETHER_REG_* */
    char id[TETHER_SERVER_ID_LEN + 1];
    tether_server_obj objs[]; /* then ep, sms, root: see the diagram */
};

static inline char *tether_reg_ep(struct tether_server_reg *r)
{
    return (char *)&r->objs[r->n_objs];
}
static inline char *tether_reg_sms(struct tether_server_reg *r)
{
    return tether_reg_ep(r) + r->ep_len + 1;
}
static inline char *tether_reg_root(struct tether_server_reg *r)
{
    return tether_reg_sms(r) + r->sms_len + 1;
}

typedef struct tether_registry {
    tether_hindex by_id, by_ep;
    tether_heap expiry;
    uint64_t seed[2];
    tether_alloc_fn alloc;
    void *alloc_user;
} tether_registry;

/* alloc: the hook, never NULL here. seed: copied, 16 random bytes keying the
 * hashes. Allocates nothing yet. O(1). */
void tether_registry_init(tether_registry *r, tether_alloc_fn alloc, void *alloc_user,
                          const uint8_t seed[16]);

/* Free every record (O(n): the one full pass) and the tables. */
void tether_registry_fini(tether_registry *r);

/* A new record, not yet in the registry: tail sized for the lengths, ep
 * copied in and NUL-terminated, sms and root empty strings of their lengths
 * to be filled by the caller, objs uninitialised, id empty, heap entry out.
 * ep: copied. Returns NULL when out of memory or a length is over its max. O(1). */
struct tether_server_reg *tether_registry_new_record(tether_registry *r, const char *ep,
                                                     size_t ep_len, size_t sms_len,
                                                     size_t root_len, size_t n_objs);

/* Free a record that is not in the registry. NULL is a no-op. O(1). */
void tether_registry_free_record(tether_registry *r, struct tether_server_reg *rec);

/* Add rec, whose id is set and unique and whose endpoint is not registered,
 * with expiry deadline. Returns 0 or TETHER_ERR_NOMEM (rec not added).
 * O(1) amortised + O(log n). */
int tether_registry_insert(tether_registry *r, struct tether_server_reg *rec,
                           tether_time deadline);

/* Take rec out of both indexes and the heap (it is not freed). O(log n). */
void tether_registry_remove(tether_registry *r, struct tether_server_reg *rec);

/* Put fresh (a copy of old's header with a new tail: same id, same endpoint)
 * where old is, deadline included; old is then out and may be freed. O(1). */
void tether_registry_swap(tether_registry *r, struct tether_server_reg *old,
                          struct tether_server_reg *fresh);

/* O(1) look-ups; NULL when absent. */
struct tether_server_reg *tether_registry_find_id(const tether_registry *r, const char *id,
                                                  size_t len);
struct tether_server_reg *tether_registry_find_ep(const tether_registry *r, const char *ep,
                                                  size_t len);

/* Move rec's expiry to deadline. O(log n). */
void tether_registry_set_deadline(tether_registry *r, struct tether_server_reg *rec,
                                  tether_time deadline);

/* The record with the earliest deadline if that deadline is <= now, else
 * NULL. O(1). */
struct tether_server_reg *tether_registry_due(const tether_registry *r, tether_time now);

/* The earliest deadline, TETHER_TIME_NEVER when empty. O(1). */
tether_time tether_registry_next_deadline(const tether_registry *r);

static inline size_t tether_registry_count(const tether_registry *r)
{
    return r->expiry.len;
}

/* Seeded hash of a key, as the indexes use it. O(len). */
uint32_t tether_registry_hash(const tether_registry *r, const void *key, size_t len);

#endif /* TETHER_REGISTRY_INTERNAL_H */
