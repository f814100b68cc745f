/* SPDX-License-Identifier: Apache-2.0 */
/* Intrusive binary min-heap; see heap_internal.h for the invariant. */
#include "common/heap_internal.h"

#include "tether/err.h"
#include "tether_poison.h"

static void place(tether_heap *h, size_t i, tether_heap_entry *e)
{
    h->items[i] = e;
    e->index = i;
}

static void sift_up(tether_heap *h, size_t i)
{
    tether_heap_entry *e = h->items[i];

    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (h->items[parent]->key <= e->key)
            break;
        place(h, i, h->items[parent]);
        i = parent;
    }
    place(h, i, e);
}

static void sift_down(tether_heap *h, size_t i)
{
    tether_heap_entry *e = h->items[i];

    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= h->len)
            break;
        if (child + 1 < h->len && h->items[child + 1]->key < h->items[child]->key)
            child++;
        if (e->key <= h->items[child]->key)
            break;
        place(h, i, h->items[child]);
        i = child;
    }
    place(h, i, e);
}

void tether_heap_init(tether_heap *h, tether_heap_entry **items, size_t cap)
{
    h->items = items;
    h->len = 0;
    h->cap = cap;
}

int tether_heap_push(tether_heap *h, tether_heap_entry *e, uint64_t key)
{
    if (h->len == h->cap)
        return TETHER_ERR_NOMEM;
    e->key = key;
    place(h, h->len++, e);
    sift_up(h, h->len - 1);
    return 0;
}

tether_heap_entry *tether_heap_top(const tether_heap *h)
{
    return h->len > 0 ? h->items[0] : NULL;
}

void tether_heap_remove(tether_heap *h, tether_heap_entry *e)
{
    size_t i = e->index;
    tether_heap_entry *last;

    if (i == TETHER_HEAP_NONE || i >= h->len || h->items[i] != e)
        return;
    e->index = TETHER_HEAP_NONE;
    last = h->items[--h->len];
    if (i == h->len)
        return;
    place(h, i, last);
    if (i > 0 && h->items[(i - 1) / 2]->key > last->key)
        sift_up(h, i);
    else
        sift_down(h, i);
}

void tether_heap_update(tether_heap *h, tether_heap_entry *e, uint64_t key)
{
    uint64_t old = e->key;

    e->key = key;
    if (key < old)
        sift_up(h, e->index);
    else
        sift_down(h, e->index);
}
