/* SPDX-License-Identifier: Apache-2.0 */
/* An intrusive chained hash index with incremental resizing (after Redis's
 * dict.c), used by the registry for location ids and endpoint names.
 *
 * A node lives inside its owner's record and is one pointer; the owner caches
 * the node's 32-bit hash, which the index reads back through ops->hash when it
 * moves nodes between tables. Tables have power-of-two sizes. When the count
 * reaches the size (load 1) a table twice as large is allocated and buckets
 * move over a few at a time, on each insert and remove, so no single call
 * pays for a whole rehash; when the count falls below an eighth of the size
 * the same mechanism shrinks it. A failed table allocation is not an error:
 * the index keeps working at a higher load. Look-ups never move anything, so
 * they take a const index.
 *
 * Invariant: with no resize in progress every node is in t[0]; during one,
 * a node whose t[0] bucket index is below `moved` is in t[1], every other
 * node in t[0], so a look-up searches exactly one chain.
 *
 * Keys are attacker-chosen (endpoint names), so hashes come from SipHash-1-3
 * with a per-instance random key (tether_hindex_hash()). */
#ifndef TETHER_HINDEX_INTERNAL_H
#define TETHER_HINDEX_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tether/server.h"

typedef struct tether_hnode {
    struct tether_hnode *next;
} tether_hnode;

typedef struct tether_hindex_ops {
    /* The node's cached hash (the one it was inserted with). */
    uint32_t (*hash)(const tether_hnode *n);
    /* Nonzero when the node's key is key[0..len). */
    int (*eq)(const tether_hnode *n, const void *key, size_t len);
} tether_hindex_ops;

typedef struct tether_hindex {
    const tether_hindex_ops *ops;
    tether_hnode **t[2];
    size_t size[2];  /* 0 or a power of two */
    size_t count;    /* nodes in both tables */
    size_t moved;    /* resize in progress (t[1] != NULL): t[0] buckets [0, moved) are done */
    tether_alloc_fn alloc;
    void *alloc_user;
} tether_hindex;

#define TETHER_HINDEX_MIN_SIZE 16
/* Buckets moved per insert/remove during a resize (empty ones count 1/8). */
#define TETHER_HINDEX_STEP 4

/* ops: kept (static storage). alloc: the hook, never NULL here. No table is
 * allocated until the first insert. O(1). */
void tether_hindex_init(tether_hindex *ix, const tether_hindex_ops *ops, tether_alloc_fn alloc,
                        void *alloc_user);

/* Free the tables (not the nodes: they belong to their records). O(1). */
void tether_hindex_fini(tether_hindex *ix);

/* The node with key[0..len) and hash h, or NULL. O(1) expected: one chain. */
tether_hnode *tether_hindex_find(const tether_hindex *ix, uint32_t h, const void *key,
                                 size_t len);

/* Add n (hash h; its key must not be present: find first). Moves up to
 * TETHER_HINDEX_STEP buckets of a resize in progress, and may start one.
 * Returns 0, or TETHER_ERR_NOMEM only when not even the first table could be
 * allocated (n is then not in the index). O(1) amortised. */
int tether_hindex_insert(tether_hindex *ix, tether_hnode *n, uint32_t h);

/* Remove n (hash h), which must be in the index. O(1) expected (walks one
 * chain to find the predecessor), plus a resize step. */
void tether_hindex_remove(tether_hindex *ix, tether_hnode *n, uint32_t h);

/* Put fresh in old's place (same key, same hash h): for a record that had to
 * be reallocated. O(1) expected. */
void tether_hindex_swap(tether_hindex *ix, tether_hnode *old, tether_hnode *fresh, uint32_t h);

/* Buckets allocated in both tables (memory accounting). O(1). */
size_t tether_hindex_buckets(const tether_hindex *ix);

/* SipHash-1-3 of key[0..len) under the 128-bit key seed, folded to 32 bits. */
uint32_t tether_hindex_hash(const uint64_t seed[2], const void *key, size_t len);

#endif /* TETHER_HINDEX_INTERNAL_H */
