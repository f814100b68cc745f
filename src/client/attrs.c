/* SPDX-License-Identifier: Apache-2.0 */
/* Write-Attributes on the client (LwM2M 1.0 §5.4.4, attributes of §5.1.2):
 * the notification attributes pmin, pmax, gt, lt and st that each server
 * writes on objects, instances and resources, kept per (server, path) in a
 * fixed table (TETHER_CLIENT_MAX_ATTRS), the values an observation works
 * with (a resource's own value wins over its instance's, which wins over
 * its object's; pmin and pmax then fall back to the Server object's /1/x/2
 * and /1/x/3, R24), and their rendering in Discover answers. A request is
 * parsed and checked whole before anything is stored, so a refused one
 * changes nothing. The rules checked (4.00 otherwise):
 *   - only pmin, pmax, gt, lt, st, each at most once; "name" alone removes
 *     the attribute, "name=value" sets it;
 *   - pmin, pmax: decimal 0..2^31-1 seconds; gt, lt, st: decimal numbers,
 *     st >= 0;
 *   - gt, lt, st only on a single numeric resource (LwM2M 1.0 Table 14
 *     attaches them to resources, of numeric type);
 *   - on the level written, after the request: pmin <= pmax, lt < gt, and
 *     lt + 2 * st < gt (LwM2M 1.0 §5.1.2), so that a value moving by st
 *     cannot cross both thresholds at once unseen.
 * A pmax smaller than an inherited pmin is not refused (the levels are
 * written separately); the observation then ignores pmax, as §5.1.2 says. */
#include <string.h>

#include "client/client_internal.h"
#include "tether/lwm2m_link.h"
#include "tether_poison.h"

#if CLIENT_OBSERVE

/* Seconds beyond this would mean nothing for a device and overflow nobody. */
#define ATTR_SECONDS_MAX 2147483647

static const char *const attr_names[] = {"pmin", "pmax", "gt", "lt", "st"};

/* A variable, not the macro: a firmware may set the table size to 0. */
static const size_t attr_slots = TETHER_CLIENT_MAX_ATTRS;

static client_attr *attr_find(tether_client *c, uint8_t srv, const tether_lwm2m_path *p)
{
    for (size_t i = 0; i < attr_slots; i++) {
        client_attr *a = &c->attrs[i];
        if (a->set != 0 && a->srv == srv && tether_lwm2m_path_equal(&a->path, p))
            return a;
    }
    return NULL;
}

static const client_attr *attr_find_const(const tether_client *c, uint8_t srv,
                                          const tether_lwm2m_path *p)
{
    return attr_find((tether_client *)c, srv, p);
}

/* One Uri-Query option "name[=value]" into a. Returns 0 or 4.00. */
static uint8_t parse_one(const tether_coap_opt *o, uint8_t *seen, client_attr *a)
{
    const uint8_t *eq = memchr(o->val, '=', o->len);
    size_t nlen = eq != NULL ? (size_t)(eq - o->val) : o->len;
    tether_lwm2m_value v;
    uint8_t bit = 0;
    size_t k;

    for (k = 0; k < sizeof(attr_names) / sizeof(attr_names[0]); k++) {
        if (strlen(attr_names[k]) == nlen && memcmp(attr_names[k], o->val, nlen) == 0) {
            bit = (uint8_t)(1u << k);
            break;
        }
    }
    if (bit == 0 || (*seen & bit))
        return TETHER_COAP_BAD_REQUEST; /* unknown (epmin is 1.1) or twice */
    *seen |= bit;
    if (eq == NULL) { /* "pmin": remove it */
        a->set &= (uint8_t)~bit;
        return 0;
    }
    eq++;
    if (bit == ATTR_PMIN || bit == ATTR_PMAX) {
        if (tether_lwm2m_text_decode(eq, o->len - nlen - 1, TETHER_LWM2M_INTEGER, &v) != 0 ||
            v.i < 0 || v.i > ATTR_SECONDS_MAX)
            return TETHER_COAP_BAD_REQUEST;
        if (bit == ATTR_PMIN)
            a->pmin = (uint32_t)v.i;
        else
            a->pmax = (uint32_t)v.i;
    } else {
        if (tether_lwm2m_text_decode(eq, o->len - nlen - 1, TETHER_LWM2M_FLOAT, &v) != 0)
            return TETHER_COAP_BAD_REQUEST;
        if (bit == ATTR_GT)
            a->gt = v.f;
        else if (bit == ATTR_LT)
            a->lt = v.f;
        else if (v.f < 0)
            return TETHER_COAP_BAD_REQUEST;
        else
            a->st = v.f;
    }
    a->set |= bit;
    return 0;
}

uint8_t client_attrs_write(tether_client *c, client_server *s, const tether_lwm2m_path *p,
                           const tether_client_res_def *r, const tether_coap_msg *req)
{
    const uint8_t num = ATTR_GT | ATTR_LT | ATTR_ST;
    client_attr *cur, next;
    tether_coap_opt_iter it;
    tether_coap_opt o;
    uint8_t seen = 0, code;

    if (p->len == 3 && !(r->ops & TETHER_LWM2M_OP_R))
        return TETHER_COAP_METHOD_NOT_ALLOWED; /* nothing to observe there */
    cur = attr_find(c, client_server_index(c, s), p);
    if (cur != NULL) {
        next = *cur;
    } else {
        memset(&next, 0, sizeof(next));
        next.srv = client_server_index(c, s);
        next.path = *p;
    }
    tether_coap_opt_iter_init(&it, req);
    while (tether_coap_opt_next(&it, &o) == 0) {
        if (o.num != TETHER_COAP_OPT_URI_QUERY)
            continue;
        code = parse_one(&o, &seen, &next);
        if (code != 0)
            return code;
    }
    if ((seen & num) && !client_dm_is_numeric(c, p))
        return TETHER_COAP_BAD_REQUEST;
    if ((next.set & (ATTR_PMIN | ATTR_PMAX)) == (ATTR_PMIN | ATTR_PMAX) && next.pmax < next.pmin)
        return TETHER_COAP_BAD_REQUEST;
    if ((next.set & (ATTR_GT | ATTR_LT)) == (ATTR_GT | ATTR_LT) && !(next.lt < next.gt))
        return TETHER_COAP_BAD_REQUEST;
    if ((next.set & num) == num && !(next.lt + 2 * next.st < next.gt))
        return TETHER_COAP_BAD_REQUEST;
    if (cur == NULL && next.set != 0) {
        for (size_t i = 0; i < attr_slots && cur == NULL; i++)
            if (c->attrs[i].set == 0)
                cur = &c->attrs[i];
        if (cur == NULL) {
            client_set_errmsg(c, "Write-Attributes: TETHER_CLIENT_MAX_ATTRS reached");
            return TETHER_COAP_INTERNAL_SERVER_ERROR;
        }
    }
    if (cur != NULL)
        *cur = next; /* set 0 frees the slot */
    return TETHER_COAP_CHANGED;
}

void client_attrs_effective(const tether_client *c, const client_server *s,
                            const tether_lwm2m_path *p, client_eff *e)
{
    uint8_t got = 0, srv = client_server_index(c, s);
    uint64_t pmin = 0, pmax = 0;

    memset(e, 0, sizeof(*e));
    for (uint8_t len = p->len > 3 ? 3 : p->len; len >= 1; len--) {
        tether_lwm2m_path q = tether_lwm2m_path_make(len, p->ids[0], p->ids[1], p->ids[2], 0);
        const client_attr *a = attr_find_const(c, srv, &q);

        if (a == NULL)
            continue;
        if ((a->set & ATTR_PMIN) && !(got & ATTR_PMIN)) {
            pmin = a->pmin;
            got |= ATTR_PMIN;
        }
        if ((a->set & ATTR_PMAX) && !(got & ATTR_PMAX)) {
            pmax = a->pmax;
            got |= ATTR_PMAX;
        }
        if (len == 3 && p->len == 3) {
            e->num = a->set & (ATTR_GT | ATTR_LT | ATTR_ST);
            e->gt = a->gt;
            e->lt = a->lt;
            e->st = a->st;
        }
    }
    /* R24: the Server object's Default Minimum / Maximum Period for what
     * the observation has no attribute for; /1/x/3 of 0 means none. */
    if (!(got & ATTR_PMIN))
        pmin = (uint64_t)s->pmin;
    if (!(got & ATTR_PMAX))
        pmax = (uint64_t)s->pmax;
    if (pmax < pmin) /* LwM2M 1.0 §5.1.2: pmax below pmin is ignored */
        pmax = 0;
    e->pmin_ms = pmin * 1000u;
    e->pmax_ms = pmax * 1000u;
}

static void link_attr(tether_lwm2m_link_writer *w, const client_attr *a, uint8_t bits)
{
    if (bits & ATTR_PMIN)
        (void)tether_lwm2m_link_write_attr_uint(w, "pmin", a->pmin);
    if (bits & ATTR_PMAX)
        (void)tether_lwm2m_link_write_attr_uint(w, "pmax", a->pmax);
    if (bits & ATTR_GT)
        (void)tether_lwm2m_link_write_attr_float(w, "gt", a->gt);
    if (bits & ATTR_LT)
        (void)tether_lwm2m_link_write_attr_float(w, "lt", a->lt);
    if (bits & ATTR_ST)
        (void)tether_lwm2m_link_write_attr_float(w, "st", a->st);
}

void client_attrs_link(const tether_client *c, const client_server *s,
                       const tether_lwm2m_path *p, int inherit, tether_lwm2m_link_writer *w)
{
    client_attr merged;
    uint8_t srv = client_server_index(c, s);

    if (!inherit) {
        const client_attr *a = attr_find_const(c, srv, p);
        if (a != NULL)
            link_attr(w, a, a->set);
        return;
    }
    /* The nearest level's pmin and pmax, and the resource's own gt, lt, st. */
    memset(&merged, 0, sizeof(merged));
    for (uint8_t len = p->len; len >= 1; len--) {
        tether_lwm2m_path q = tether_lwm2m_path_make(len, p->ids[0], p->ids[1], p->ids[2], 0);
        const client_attr *a = attr_find_const(c, srv, &q);
        uint8_t take;

        if (a == NULL)
            continue;
        take = (uint8_t)(a->set & ~merged.set & (len == p->len ? 0xFF : ATTR_PMIN | ATTR_PMAX));
        if (take & ATTR_PMIN)
            merged.pmin = a->pmin;
        if (take & ATTR_PMAX)
            merged.pmax = a->pmax;
        if (take & ATTR_GT)
            merged.gt = a->gt;
        if (take & ATTR_LT)
            merged.lt = a->lt;
        if (take & ATTR_ST)
            merged.st = a->st;
        merged.set |= take;
    }
    link_attr(w, &merged, merged.set);
}

#else
typedef int client_attrs_unused; /* observation compiled out */
#endif /* CLIENT_OBSERVE */
