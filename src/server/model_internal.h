/* SPDX-License-Identifier: Apache-2.0 */
/* What the object-model files share: the registry's layout, the built-in
 * tables, and the commit step that DDF loading and tether_model_add() both
 * end in. Private to src/server/model*.c. */
#ifndef TETHER_SERVER_MODEL_INTERNAL_H
#define TETHER_SERVER_MODEL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tether/model.h"

/* One definition in the index. owned: the allocation that holds def when
 * the registry loaded it (freed with it), NULL for built-in and added
 * definitions. */
typedef struct tether_model_entry {
    const tether_model_object *def;
    void *owned;
} tether_model_entry;

struct tether_model_registry {
    tether_alloc_fn alloc;
    void *alloc_user;
    tether_model_entry *v; /* sorted by def->id, no id twice */
    size_t n, cap;
    char errmsg[TETHER_MODEL_ERRMSG_MAX];
};

/* The built-in definitions, ascending id, and their count. */
extern const tether_model_object *const tether_model_builtins[];
extern const size_t tether_model_n_builtins;

void *tether_model_alloc(tether_model_registry *reg, void *ptr, size_t size);

/* Format the error sentence. Returns err, so `return set_err(...)` reads. */
int tether_model_set_err(tether_model_registry *reg, int err, const char *fmt, ...)
    __attribute__((format(__printf__, 3, 4)));

/* Insert or replace the definitions e[0..n) at once: either all go in, or
 * (TETHER_ERR_NOMEM) none and the registry is unchanged. The caller made
 * sure no id appears twice in e. A replaced owned definition is freed.
 * O(n_registry + n log n_registry). */
int tether_model_commit(tether_model_registry *reg, const tether_model_entry *e, size_t n);

/* Nonzero when o's resources are sorted by id with no id twice and every
 * string is set; why is set to a sentence on failure. */
int tether_model_check(const tether_model_object *o, const char **why);

#endif /* TETHER_SERVER_MODEL_INTERNAL_H */
