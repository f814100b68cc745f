/* SPDX-License-Identifier: Apache-2.0 */
/* The registration directory; see registry_internal.h for the record layout,
 * the costs and what it leaves to the engine. */
#define TETHER_ALLOW_ALLOC
#include "server/registry_internal.h"

#include <stddef.h>
#include <string.h>

#include "tether/err.h"
#include "tether_poison.h"

#define REC_OF(ptr, field) \
    ((struct tether_server_reg *)(void *)((char *)(ptr) - offsetof(struct tether_server_reg, field)))

static uint32_t id_hash(const tether_hnode *n)
{
    return REC_OF(n, by_id)->hash_id;
}

static int id_eq(const tether_hnode *n, const void *key, size_t len)
{
    return len == TETHER_SERVER_ID_LEN && memcmp(REC_OF(n, by_id)->id, key, len) == 0;
}

static uint32_t ep_hash(const tether_hnode *n)
{
    return REC_OF(n, by_ep)->hash_ep;
}

static int ep_eq(const tether_hnode *n, const void *key, size_t len)
{
    struct tether_server_reg *rec = REC_OF(n, by_ep);
    return rec->ep_len == len && memcmp(tether_reg_ep(rec), key, len) == 0;
}

static const tether_hindex_ops id_ops = {id_hash, id_eq};
static const tether_hindex_ops ep_ops = {ep_hash, ep_eq};

void tether_registry_init(tether_registry *r, tether_alloc_fn alloc, void *alloc_user,
                          const uint8_t seed[16])
{
    memset(r, 0, sizeof(*r));
    r->alloc = alloc;
    r->alloc_user = alloc_user;
    memcpy(r->seed, seed, 16);
    tether_hindex_init(&r->by_id, &id_ops, alloc, alloc_user);
    tether_hindex_init(&r->by_ep, &ep_ops, alloc, alloc_user);
    tether_heap_init(&r->expiry, NULL, 0);
}

void tether_registry_fini(tether_registry *r)
{
    for (size_t i = 0; i < r->expiry.len; i++)
        r->alloc(r->alloc_user, REC_OF(r->expiry.items[i], expiry), 0);
    if (r->expiry.items != NULL)
        r->alloc(r->alloc_user, r->expiry.items, 0);
    tether_heap_init(&r->expiry, NULL, 0);
    tether_hindex_fini(&r->by_id);
    tether_hindex_fini(&r->by_ep);
}

uint32_t tether_registry_hash(const tether_registry *r, const void *key, size_t len)
{
    return tether_hindex_hash(r->seed, key, len);
}

struct tether_server_reg *tether_registry_new_record(tether_registry *r, const char *ep,
                                                     size_t ep_len, size_t sms_len,
                                                     size_t root_len, size_t n_objs)
{
    struct tether_server_reg *rec;
    size_t bytes;

    if (ep_len > TETHER_SERVER_EP_MAX || sms_len > TETHER_SERVER_SMS_MAX ||
        root_len > TETHER_SERVER_ROOT_MAX || n_objs > UINT16_MAX)
        return NULL;
    bytes = sizeof(*rec) + n_objs * sizeof(tether_server_obj) + ep_len + 1 + sms_len + 1 +
            root_len + 1;
    rec = r->alloc(r->alloc_user, NULL, bytes);
    if (rec == NULL)
        return NULL;
    memset(rec, 0, sizeof(*rec));
    rec->expiry.index = TETHER_HEAP_NONE;
    rec->rec_bytes = (uint32_t)bytes;
    rec->n_objs = (uint16_t)n_objs;
    rec->ep_len = (uint8_t)ep_len;
    rec->sms_len = (uint8_t)sms_len;
    rec->root_len = (uint8_t)root_len;
    memcpy(tether_reg_ep(rec), ep, ep_len);
    tether_reg_ep(rec)[ep_len] = '\0';
    memset(tether_reg_sms(rec), 0, sms_len + 1);
    memset(tether_reg_root(rec), 0, root_len + 1);
    rec->hash_ep = tether_registry_hash(r, ep, ep_len);
    return rec;
}

void tether_registry_free_record(tether_registry *r, struct tether_server_reg *rec)
{
    if (rec != NULL)
        r->alloc(r->alloc_user, rec, 0);
}

/* Make room for one more heap slot: the array doubles, so pushes are O(1)
 * amortised (the copy is the one O(n) step, once per doubling). */
static int heap_reserve(tether_registry *r)
{
    tether_heap *h = &r->expiry;
    tether_heap_entry **items;
    size_t cap;

    if (h->len < h->cap)
        return 0;
    cap = h->cap == 0 ? 64 : h->cap * 2;
    if (cap > SIZE_MAX / sizeof(*items))
        return TETHER_ERR_NOMEM;
    items = r->alloc(r->alloc_user, h->items, cap * sizeof(*items));
    if (items == NULL)
        return TETHER_ERR_NOMEM;
    h->items = items;
    h->cap = cap;
    return 0;
}

int tether_registry_insert(tether_registry *r, struct tether_server_reg *rec,
                           tether_time deadline)
{
    int err;

    rec->hash_id = tether_registry_hash(r, rec->id, TETHER_SERVER_ID_LEN);
    err = heap_reserve(r);
    if (err != 0)
        return err;
    err = tether_hindex_insert(&r->by_id, &rec->by_id, rec->hash_id);
    if (err != 0)
        return err;
    err = tether_hindex_insert(&r->by_ep, &rec->by_ep, rec->hash_ep);
    if (err != 0) {
        tether_hindex_remove(&r->by_id, &rec->by_id, rec->hash_id);
        return err;
    }
    /* Cannot fail: heap_reserve made room. */
    (void)tether_heap_push(&r->expiry, &rec->expiry, deadline);
    return 0;
}

void tether_registry_remove(tether_registry *r, struct tether_server_reg *rec)
{
    tether_hindex_remove(&r->by_id, &rec->by_id, rec->hash_id);
    tether_hindex_remove(&r->by_ep, &rec->by_ep, rec->hash_ep);
    if (tether_heap_contains(&rec->expiry))
        tether_heap_remove(&r->expiry, &rec->expiry);
}

void tether_registry_swap(tether_registry *r, struct tether_server_reg *old,
                          struct tether_server_reg *fresh)
{
    fresh->hash_id = old->hash_id;
    fresh->hash_ep = old->hash_ep;
    tether_hindex_swap(&r->by_id, &old->by_id, &fresh->by_id, old->hash_id);
    tether_hindex_swap(&r->by_ep, &old->by_ep, &fresh->by_ep, old->hash_ep);
    /* The heap slot keeps its position: only the pointer in it changes. */
    fresh->expiry = old->expiry;
    if (old->expiry.index != TETHER_HEAP_NONE)
        r->expiry.items[old->expiry.index] = &fresh->expiry;
    old->expiry.index = TETHER_HEAP_NONE;
}

struct tether_server_reg *tether_registry_find_id(const tether_registry *r, const char *id,
                                                  size_t len)
{
    tether_hnode *n;

    if (len != TETHER_SERVER_ID_LEN)
        return NULL;
    n = tether_hindex_find(&r->by_id, tether_registry_hash(r, id, len), id, len);
    return n != NULL ? REC_OF(n, by_id) : NULL;
}

struct tether_server_reg *tether_registry_find_ep(const tether_registry *r, const char *ep,
                                                  size_t len)
{
    tether_hnode *n = tether_hindex_find(&r->by_ep, tether_registry_hash(r, ep, len), ep, len);
    return n != NULL ? REC_OF(n, by_ep) : NULL;
}

void tether_registry_set_deadline(tether_registry *r, struct tether_server_reg *rec,
                                  tether_time deadline)
{
    if (tether_heap_contains(&rec->expiry))
        tether_heap_update(&r->expiry, &rec->expiry, deadline);
}

struct tether_server_reg *tether_registry_due(const tether_registry *r, tether_time now)
{
    tether_heap_entry *top = tether_heap_top(&r->expiry);

    if (top == NULL || top->key > now)
        return NULL;
    return REC_OF(top, expiry);
}

tether_time tether_registry_next_deadline(const tether_registry *r)
{
    tether_heap_entry *top = tether_heap_top(&r->expiry);
    return top != NULL ? top->key : TETHER_TIME_NEVER;
}
