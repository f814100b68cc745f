/* SPDX-License-Identifier: Apache-2.0 */
/* Intrusive hash index with incremental resizing; see hindex_internal.h for
 * the invariant. Allocation goes through the server's hook only. */
#define TETHER_ALLOW_ALLOC
#include "server/hindex_internal.h"

#include <string.h>

#include "tether/err.h"
#include "tether_poison.h"

void tether_hindex_init(tether_hindex *ix, const tether_hindex_ops *ops, tether_alloc_fn alloc,
                        void *alloc_user)
{
    memset(ix, 0, sizeof(*ix));
    ix->ops = ops;
    ix->alloc = alloc;
    ix->alloc_user = alloc_user;
}

void tether_hindex_fini(tether_hindex *ix)
{
    for (int i = 0; i < 2; i++) {
        if (ix->t[i] != NULL)
            ix->alloc(ix->alloc_user, ix->t[i], 0);
        ix->t[i] = NULL;
        ix->size[i] = 0;
    }
    ix->count = 0;
    ix->moved = 0;
}

static tether_hnode **alloc_table(tether_hindex *ix, size_t size)
{
    tether_hnode **t;

    if (size > SIZE_MAX / sizeof(*t))
        return NULL;
    t = ix->alloc(ix->alloc_user, NULL, size * sizeof(*t));
    if (t != NULL)
        memset(t, 0, size * sizeof(*t));
    return t;
}

/* The chain head that holds (or would hold) hash h. */
static tether_hnode **bucket_of(const tether_hindex *ix, uint32_t h)
{
    size_t b = h & (ix->size[0] - 1);

    if (ix->t[1] != NULL && b < ix->moved)
        return &ix->t[1][h & (ix->size[1] - 1)];
    return &ix->t[0][b];
}

static void finish_resize(tether_hindex *ix)
{
    ix->alloc(ix->alloc_user, ix->t[0], 0);
    ix->t[0] = ix->t[1];
    ix->size[0] = ix->size[1];
    ix->t[1] = NULL;
    ix->size[1] = 0;
    ix->moved = 0;
}

/* Move up to `steps` buckets (an empty bucket costs 1/8 of a step, as in
 * dict.c's empty-visit bound), keeping the invariant between moves. */
static void resize_step(tether_hindex *ix, size_t steps)
{
    size_t budget = steps * 8;

    while (ix->t[1] != NULL && budget > 0) {
        tether_hnode *n = ix->t[0][ix->moved];
        if (n == NULL) {
            budget--;
        } else {
            ix->t[0][ix->moved] = NULL;
            while (n != NULL) {
                tether_hnode *next = n->next;
                tether_hnode **head = &ix->t[1][ix->ops->hash(n) & (ix->size[1] - 1)];
                n->next = *head;
                *head = n;
                n = next;
            }
            budget = budget > 8 ? budget - 8 : 0;
        }
        if (++ix->moved == ix->size[0])
            finish_resize(ix);
    }
}

static void maybe_start_resize(tether_hindex *ix)
{
    size_t target = 0;

    if (ix->t[1] != NULL)
        return;
    if (ix->count >= ix->size[0] && ix->size[0] <= SIZE_MAX / 4)
        target = ix->size[0] * 2;
    else if (ix->size[0] > TETHER_HINDEX_MIN_SIZE && ix->count < ix->size[0] / 8)
        target = ix->size[0] / 2;
    if (target == 0)
        return;
    /* A failed allocation leaves the load higher; the next insert retries. */
    ix->t[1] = alloc_table(ix, target);
    if (ix->t[1] == NULL)
        return;
    ix->size[1] = target;
    ix->moved = 0;
}

tether_hnode *tether_hindex_find(const tether_hindex *ix, uint32_t h, const void *key,
                                 size_t len)
{
    tether_hnode *n;

    if (ix->t[0] == NULL)
        return NULL;
    for (n = *bucket_of(ix, h); n != NULL; n = n->next)
        if (ix->ops->hash(n) == h && ix->ops->eq(n, key, len))
            return n;
    return NULL;
}

int tether_hindex_insert(tether_hindex *ix, tether_hnode *n, uint32_t h)
{
    tether_hnode **head;

    if (ix->t[0] == NULL) {
        ix->t[0] = alloc_table(ix, TETHER_HINDEX_MIN_SIZE);
        if (ix->t[0] == NULL)
            return TETHER_ERR_NOMEM;
        ix->size[0] = TETHER_HINDEX_MIN_SIZE;
    }
    resize_step(ix, TETHER_HINDEX_STEP);
    head = bucket_of(ix, h);
    n->next = *head;
    *head = n;
    ix->count++;
    maybe_start_resize(ix);
    return 0;
}

static tether_hnode **link_to(tether_hindex *ix, tether_hnode *n, uint32_t h)
{
    tether_hnode **pp = bucket_of(ix, h);

    while (*pp != NULL && *pp != n)
        pp = &(*pp)->next;
    return pp;
}

void tether_hindex_remove(tether_hindex *ix, tether_hnode *n, uint32_t h)
{
    tether_hnode **pp;

    if (ix->t[0] == NULL)
        return;
    pp = link_to(ix, n, h);
    if (*pp == NULL)
        return;
    *pp = n->next;
    n->next = NULL;
    ix->count--;
    resize_step(ix, TETHER_HINDEX_STEP);
    maybe_start_resize(ix);
}

void tether_hindex_swap(tether_hindex *ix, tether_hnode *old, tether_hnode *fresh, uint32_t h)
{
    tether_hnode **pp;

    if (ix->t[0] == NULL)
        return;
    pp = link_to(ix, old, h);
    if (*pp == NULL)
        return;
    fresh->next = old->next;
    *pp = fresh;
    old->next = NULL;
}

size_t tether_hindex_buckets(const tether_hindex *ix)
{
    return ix->size[0] + ix->size[1];
}

/* --- SipHash-1-3 (Aumasson & Bernstein), 64-bit output -------------------- */

static inline uint64_t rotl(uint64_t x, int b)
{
    return (x << b) | (x >> (64 - b));
}

#define SIPROUND                                                                   \
    do {                                                                           \
        v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);                  \
        v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;                                     \
        v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;                                     \
        v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);                  \
    } while (0)

uint32_t tether_hindex_hash(const uint64_t seed[2], const void *key, size_t len)
{
    const uint8_t *p = key;
    uint64_t v0 = 0x736f6d6570736575ULL ^ seed[0];
    uint64_t v1 = 0x646f72616e646f6dULL ^ seed[1];
    uint64_t v2 = 0x6c7967656e657261ULL ^ seed[0];
    uint64_t v3 = 0x7465646279746573ULL ^ seed[1];
    uint64_t b = (uint64_t)len << 56;
    size_t i, left = len & 7;

    for (i = 0; i + 8 <= len; i += 8) {
        uint64_t m = 0;
        for (int k = 7; k >= 0; k--)
            m = (m << 8) | p[i + (size_t)k];
        v3 ^= m;
        SIPROUND;
        v0 ^= m;
    }
    for (size_t k = 0; k < left; k++)
        b |= (uint64_t)p[i + k] << (8 * k);
    v3 ^= b;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    b = v0 ^ v1 ^ v2 ^ v3;
    return (uint32_t)(b ^ (b >> 32));
}
