/* SPDX-License-Identifier: Apache-2.0 */
/* The object-model registry: a sorted array of definition pointers, found by
 * binary search. It is tiny (tens to a few hundred objects) and written only
 * at start-up, so a sorted array beats a hash table on memory, on iteration
 * order (ascending id, what a listing wants) and on simplicity; an insert
 * costs O(n) moves, which nobody will ever notice. DDF loading is in
 * model_ddf.c, the built-in tables in model_builtin.c, typed decoding in
 * model_decode.c. */
#define TETHER_ALLOW_ALLOC
#include "tether/model.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/model_internal.h"
#include "tether_poison.h"

static void *libc_alloc(void *user, void *ptr, size_t size)
{
    (void)user;
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, size);
}

void *tether_model_alloc(tether_model_registry *reg, void *ptr, size_t size)
{
    return reg->alloc(reg->alloc_user, ptr, size);
}

int tether_model_set_err(tether_model_registry *reg, int err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(reg->errmsg, sizeof(reg->errmsg), fmt, ap);
    va_end(ap);
    return err;
}

/* Index of the first entry whose id is >= id. */
static size_t lower_bound(const tether_model_registry *reg, uint16_t id)
{
    size_t lo = 0, hi = reg->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (reg->v[mid].def->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int tether_model_commit(tether_model_registry *reg, const tether_model_entry *e, size_t n)
{
    size_t fresh = 0;

    for (size_t k = 0; k < n; k++) {
        size_t i = lower_bound(reg, e[k].def->id);
        if (i >= reg->n || reg->v[i].def->id != e[k].def->id)
            fresh++;
    }
    /* Grow first, so that nothing can fail once entries start moving. */
    if (reg->n + fresh > reg->cap) {
        size_t cap = reg->cap ? reg->cap : 16;
        tether_model_entry *v;
        while (cap < reg->n + fresh)
            cap *= 2;
        v = tether_model_alloc(reg, reg->v, cap * sizeof(*v));
        if (v == NULL)
            return tether_model_set_err(reg, TETHER_ERR_NOMEM,
                                        "out of memory for the object index");
        reg->v = v;
        reg->cap = cap;
    }
    for (size_t k = 0; k < n; k++) {
        size_t i = lower_bound(reg, e[k].def->id);
        if (i < reg->n && reg->v[i].def->id == e[k].def->id) {
            if (reg->v[i].owned != NULL)
                tether_model_alloc(reg, reg->v[i].owned, 0);
        } else {
            memmove(&reg->v[i + 1], &reg->v[i], (reg->n - i) * sizeof(reg->v[0]));
            reg->n++;
        }
        reg->v[i] = e[k];
    }
    return 0;
}

int tether_model_check(const tether_model_object *o, const char **why)
{
    if (o->name == NULL || o->urn == NULL || o->version == NULL || o->lwm2m_version == NULL ||
        o->description == NULL) {
        *why = "a string of the object is NULL";
        return 0;
    }
    if (o->id > TETHER_LWM2M_ID_MAX) {
        *why = "the object id is 65535";
        return 0;
    }
    if (o->n_resources > 0 && o->resources == NULL) {
        *why = "resources is NULL";
        return 0;
    }
    for (size_t i = 0; i < o->n_resources; i++) {
        const tether_model_resource *r = &o->resources[i];
        if (r->name == NULL || r->range == NULL || r->units == NULL || r->description == NULL) {
            *why = "a string of a resource is NULL";
            return 0;
        }
        if (r->id > TETHER_LWM2M_ID_MAX) {
            *why = "a resource id is 65535";
            return 0;
        }
        if (i > 0 && r->id <= o->resources[i - 1].id) {
            *why = "resources are not sorted by id, or an id is there twice";
            return 0;
        }
    }
    return 1;
}

int tether_model_registry_new(tether_model_registry **out, tether_alloc_fn alloc,
                              void *alloc_user)
{
    tether_model_registry *reg;
    int rc = 0;

    if (out == NULL)
        return TETHER_ERR_INVAL;
    if (alloc == NULL)
        alloc = libc_alloc;
    reg = alloc(alloc_user, NULL, sizeof(*reg));
    if (reg == NULL)
        return TETHER_ERR_NOMEM;
    memset(reg, 0, sizeof(*reg));
    reg->alloc = alloc;
    reg->alloc_user = alloc_user;
    for (size_t i = 0; i < tether_model_n_builtins && rc == 0; i++) {
        tether_model_entry e = {tether_model_builtins[i], NULL};
        rc = tether_model_commit(reg, &e, 1);
    }
    if (rc != 0) {
        tether_model_registry_free(reg);
        return rc;
    }
    reg->errmsg[0] = '\0';
    *out = reg;
    return 0;
}

void tether_model_registry_free(tether_model_registry *reg)
{
    if (reg == NULL)
        return;
    for (size_t i = 0; i < reg->n; i++)
        if (reg->v[i].owned != NULL)
            tether_model_alloc(reg, reg->v[i].owned, 0);
    if (reg->v != NULL)
        tether_model_alloc(reg, reg->v, 0);
    reg->alloc(reg->alloc_user, reg, 0);
}

const tether_model_object *tether_model_find(const tether_model_registry *reg, uint16_t obj)
{
    size_t i;

    if (reg == NULL)
        return NULL;
    i = lower_bound(reg, obj);
    return i < reg->n && reg->v[i].def->id == obj ? reg->v[i].def : NULL;
}

const tether_model_resource *tether_model_resource_find(const tether_model_object *o,
                                                        uint16_t res)
{
    size_t lo = 0, hi;

    if (o == NULL)
        return NULL;
    hi = o->n_resources;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (o->resources[mid].id < res)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < o->n_resources && o->resources[lo].id == res ? &o->resources[lo] : NULL;
}

const tether_model_resource *tether_model_find_resource(const tether_model_registry *reg,
                                                        uint16_t obj, uint16_t res)
{
    return tether_model_resource_find(tether_model_find(reg, obj), res);
}

size_t tether_model_count(const tether_model_registry *reg)
{
    return reg != NULL ? reg->n : 0;
}

const tether_model_object *tether_model_at(const tether_model_registry *reg, size_t i)
{
    return reg != NULL && i < reg->n ? reg->v[i].def : NULL;
}

int tether_model_foreach(const tether_model_registry *reg, tether_model_object_fn fn,
                         void *user)
{
    if (reg == NULL || fn == NULL)
        return TETHER_ERR_INVAL;
    for (size_t i = 0; i < reg->n; i++) {
        int rc = fn(user, reg->v[i].def);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int tether_model_add(tether_model_registry *reg, const tether_model_object *def)
{
    tether_model_entry e;
    const char *why;

    if (reg == NULL || def == NULL)
        return TETHER_ERR_INVAL;
    reg->errmsg[0] = '\0';
    if (!tether_model_check(def, &why))
        return tether_model_set_err(reg, TETHER_ERR_INVAL, "object %u: %s", (unsigned)def->id,
                                    why);
    e.def = def;
    e.owned = NULL;
    return tether_model_commit(reg, &e, 1);
}

const char *tether_model_errmsg(const tether_model_registry *reg)
{
    return reg != NULL ? reg->errmsg : "";
}

const char *tether_model_ops_name(int ops)
{
    switch (ops) {
    case TETHER_LWM2M_OP_R:
        return "R";
    case TETHER_LWM2M_OP_W:
        return "W";
    case TETHER_LWM2M_OP_RW:
        return "RW";
    case TETHER_LWM2M_OP_E:
        return "E";
    default:
        return "";
    }
}
