/* SPDX-License-Identifier: Apache-2.0 */
/* An intrusive binary min-heap of deadlines.
 *
 * Each entry lives inside its owner's record (a registration, an exchange
 * slot) and stores its own position, so insert, remove and update are
 * O(log n) with no search (ngtcp2's pq does the same). The heap only keeps
 * an array of pointers, which the caller provides and sizes: nothing here
 * allocates. Invariant: for every i > 0, at(parent(i))->key <= at(i)->key,
 * and at(i)->index == i; an entry outside the heap has index HEAP_NONE. */
#ifndef TETHER_HEAP_INTERNAL_H
#define TETHER_HEAP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#define TETHER_HEAP_NONE SIZE_MAX

typedef struct tether_heap_entry {
    uint64_t key; /* the deadline; smallest comes out first */
    size_t index; /* position in the heap, TETHER_HEAP_NONE when out */
} tether_heap_entry;

typedef struct tether_heap {
    tether_heap_entry **items; /* caller memory, cap pointers */
    size_t len, cap;
} tether_heap;

/* items: kept, cap pointers (the caller may grow it: copy, then swap in). */
void tether_heap_init(tether_heap *h, tether_heap_entry **items, size_t cap);

/* Add e with key. Returns 0, or TETHER_ERR_NOMEM when full. e must be out. */
int tether_heap_push(tether_heap *h, tether_heap_entry *e, uint64_t key);

/* The smallest entry, or NULL when empty. O(1). */
tether_heap_entry *tether_heap_top(const tether_heap *h);

/* Remove e (which must be in h). O(log n). e->index becomes TETHER_HEAP_NONE. */
void tether_heap_remove(tether_heap *h, tether_heap_entry *e);

/* Change e's key and restore order. O(log n). */
void tether_heap_update(tether_heap *h, tether_heap_entry *e, uint64_t key);

static inline int tether_heap_contains(const tether_heap_entry *e)
{
    return e->index != TETHER_HEAP_NONE;
}

#endif /* TETHER_HEAP_INTERNAL_H */
