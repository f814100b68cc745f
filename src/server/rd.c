/* SPDX-License-Identifier: Apache-2.0 */
/* The Client Registration Interface on the server (LwM2M 1.0 §5.3, §8.2.3):
 *
 *   POST   /rd?ep=..&lt=..&lwm2m=..&b=..&sms=..   Register     2.01 + Location-Path rd/{id}
 *   POST   /rd/{id}?lt=..&b=..&sms=..             Update       2.04
 *   DELETE /rd/{id}                               De-register  2.02
 *
 * Every refusal is a CoAP code with a sentence in tether_server_errmsg():
 * 4.00 for a missing or bad parameter or payload, 4.12 for an LwM2M version
 * we do not speak, 4.04 for an unknown path or registration, 4.05 for a
 * method the path does not take, 4.02 for an unrecognised critical option,
 * 4.15 for a payload that is not link-format, 4.13 for one larger than the
 * configured maximum, 5.03 when the registration limit is reached, 5.00 when
 * memory runs out. A refused Update changes nothing.
 *
 * Query parameters and link-format come from tether/lwm2m.h and
 * tether/lwm2m_link.h; Block1 reassembly from tether/coap_block.h. The
 * update path (no payload, no new SMS number) allocates nothing: header
 * fields change in place and the expiry entry moves in O(log n). */
#define TETHER_ALLOW_ALLOC
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/log_internal.h"
#include "server/server_internal.h"
#include "tether/lwm2m.h"
#include "tether/lwm2m_link.h"
#include "tether_poison.h"

/* --- answering ------------------------------------------------------------- */

#if defined(__GNUC__)
__attribute__((format(__printf__, 5, 6)))
#endif
static void reject(tether_server *srv, tether_time now, const tether_coap_incoming *in,
                   uint8_t code, const char *fmt, ...)
{
    tether_coap_incoming inc = *in;
    char cs[5];
    va_list ap;
    int n;

    n = snprintf(srv->errmsg, sizeof(srv->errmsg), "%s: ", tether_coap_code_str(code, cs));
    if (n < 0 || (size_t)n >= sizeof(srv->errmsg))
        n = 0;
    va_start(ap, fmt);
    vsnprintf(srv->errmsg + n, sizeof(srv->errmsg) - (size_t)n, fmt, ap);
    va_end(ap);
    TETHER_LOG(srv->cfg.log, srv->cfg.log_user, TETHER_LOG_DEBUG, "server", "%s", srv->errmsg);
    srv->stats.rejected++;
    (void)tether_coap_reply_code(srv->coap, now, &inc, code);
}

/* An answer with an optional Location-Path rd/{id} and an optional Block1. */
static int answer(tether_server *srv, tether_time now, const tether_coap_incoming *in,
                  uint8_t code, const char *id, const tether_coap_block *block1)
{
    tether_coap_incoming inc = *in;
    tether_coap_builder b;
    int err;

    err = tether_coap_reply_begin(srv->coap, &b, &inc, code);
    if (err != 0)
        return err;
    if (id != NULL) {
        tether_coap_build_opt_str(&b, TETHER_COAP_OPT_LOCATION_PATH, "rd");
        tether_coap_build_opt(&b, TETHER_COAP_OPT_LOCATION_PATH, id, TETHER_SERVER_ID_LEN);
    }
    if (block1 != NULL)
        tether_coap_build_block(&b, TETHER_COAP_OPT_BLOCK1, block1);
    return tether_coap_reply_send(srv->coap, now, &inc, &b);
}

/* --- the request body, Block1 or not ---------------------------------------- */

typedef struct body {
    const uint8_t *p;
    size_t len;
    int slot;             /* Block1 slot to release, -1 when none */
    int blockwise;        /* the final answer carries block1 */
    tether_coap_block block1;
} body;

/* Returns 0 with *out, or 1 when the request has been answered here (2.31
 * Continue for a middle block, or an error). */
static int take_body(tether_server *srv, tether_time now, const tether_coap_msg *req,
                     const tether_coap_incoming *in, const char *op, body *out)
{
    tether_block1_rx_result res;
    int err;

    memset(out, 0, sizeof(*out));
    out->slot = -1;
    err = tether_block1_rx_feed(srv->b1, now, &in->peer, req, &res);
    if (err == TETHER_ERR_NOT_FOUND) {
        if (req->payload_len > srv->cfg.max_register_payload) {
            reject(srv, now, in, TETHER_COAP_REQUEST_ENTITY_TOO_LARGE,
                   "%s payload of %zu bytes is over the %zu-byte limit", op,
                   req->payload_len, srv->cfg.max_register_payload);
            return 1;
        }
        out->p = req->payload;
        out->len = req->payload_len;
        return 0;
    }
    if (err != 0) {
        tether_coap_incoming inc = *in;
        tether_coap_builder b;
        uint8_t code = tether_block_answer_code(err);
        char cs[5];

        snprintf(srv->errmsg, sizeof(srv->errmsg), "%s: %s Block1 refused: %s",
                 tether_coap_code_str(code, cs), op, tether_strerror(err));
        srv->stats.rejected++;
        if (tether_coap_reply_begin(srv->coap, &b, &inc, code) == 0) {
            if (code == TETHER_COAP_REQUEST_ENTITY_TOO_LARGE)
                tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_SIZE1,
                                           tether_block1_rx_max_body(srv->b1));
            (void)tether_coap_reply_send(srv->coap, now, &inc, &b);
        }
        return 1;
    }
    if (res.status == TETHER_BLOCK1_CONTINUE) {
        tether_coap_incoming inc = *in;
        tether_coap_builder b;
        if (tether_coap_reply_begin(srv->coap, &b, &inc, TETHER_COAP_CONTINUE) == 0) {
            tether_coap_build_block(&b, TETHER_COAP_OPT_BLOCK1, &res.block1);
            (void)tether_coap_reply_send(srv->coap, now, &inc, &b);
        }
        return 1;
    }
    out->p = res.body;
    out->len = res.body_len;
    out->slot = res.slot;
    out->blockwise = 1;
    out->block1 = res.block1;
    return 0;
}

static void release_body(tether_server *srv, const body *bd)
{
    if (bd->slot >= 0)
        tether_block1_rx_release(srv->b1, bd->slot);
}

/* --- the object list ------------------------------------------------------- */

/* A validated link-format payload, summarised before a record is sized. */
typedef struct links {
    tether_lwm2m_link_iter it; /* positioned before the first entry */
    tether_lwm2m_view root;
    size_t n_objs;             /* entries stored: not the root, not /0 (R18) */
    size_t n_security;
    uint8_t formats;           /* tether_server_ct bits from the root's ct */
} links;

static uint8_t format_bit(uint16_t fmt)
{
    switch (fmt) {
    case TETHER_FMT_TEXT: return TETHER_CT_TEXT;
    case TETHER_FMT_OPAQUE: return TETHER_CT_OPAQUE;
    case TETHER_FMT_TLV:
    case TETHER_FMT_TLV_LEGACY: return TETHER_CT_TLV;
    case TETHER_FMT_JSON:
    case TETHER_FMT_JSON_LEGACY: return TETHER_CT_JSON;
    case TETHER_FMT_SENML_JSON: return TETHER_CT_SENML_JSON;
    case TETHER_FMT_SENML_CBOR: return TETHER_CT_SENML_CBOR;
    case TETHER_FMT_CBOR: return TETHER_CT_CBOR;
    case TETHER_FMT_LINK: return TETHER_CT_LINK;
    default: return 0;
    }
}

/* Returns NULL, or why the payload is refused (4.00). */
static const char *links_parse(links *l, const uint8_t *p, size_t len)
{
    tether_lwm2m_link_iter it;
    tether_lwm2m_link e;

    memset(l, 0, sizeof(*l));
    if (len == 0)
        return "no object list (an empty payload)";
    if (tether_lwm2m_link_iter_init(&l->it, p, len) != 0)
        return "the object list is not valid link-format";
    /* Table 6: the object list is required. Entries that are not LwM2M
     * paths (RFC 6690 allows other links) are skipped by the iterator, but
     * a list of nothing else names no object at all. */
    if (tether_lwm2m_link_count(&l->it) == 0)
        return "the object list names no LwM2M object";
    l->root = tether_lwm2m_link_root(&l->it);
    if (l->root.len > TETHER_SERVER_ROOT_MAX)
        return "the root path is too long";
    it = l->it;
    while (tether_lwm2m_link_next(&it, &e) == 0) {
        if (e.is_root) {
            size_t pos = 0;
            uint16_t fmt;
            while (tether_lwm2m_link_ct_next(&e, &pos, &fmt) == 0)
                l->formats |= format_bit(fmt);
            continue;
        }
        /* A Register or Update names objects and instances only. */
        if (e.path.len < TETHER_LWM2M_OBJECT || e.path.len > TETHER_LWM2M_INSTANCE)
            return "an object list entry is not </object> or </object/instance>";
        if (e.is_security) {
            l->n_security++; /* R18: not stored */
            continue;
        }
        l->n_objs++;
    }
    if (l->n_objs > UINT16_MAX)
        return "the object list is too long";
    return NULL;
}

static void links_fill(struct tether_server_reg *rec, const links *l)
{
    tether_lwm2m_link_iter it = l->it;
    tether_lwm2m_link e;
    size_t i = 0;

    while (tether_lwm2m_link_next(&it, &e) == 0 && i < rec->n_objs) {
        if (e.is_root || e.is_security)
            continue;
        rec->objs[i].oid = e.path.ids[0];
        rec->objs[i].iid = e.path.len >= TETHER_LWM2M_INSTANCE ? e.path.ids[1]
                                                              : (uint16_t)TETHER_SERVER_NO_IID;
        rec->objs[i].ver_major = e.has_ver ? e.ver_major : 0;
        rec->objs[i].ver_minor = e.has_ver ? e.ver_minor : 0;
        i++;
    }
    if (l->root.len > 0)
        memcpy(tether_reg_root(rec), l->root.ptr, l->root.len);
    tether_reg_root(rec)[l->root.len] = '\0';
    rec->formats = l->formats;
}

static void log_security(tether_server *srv, const char *ep, size_t ep_len, size_t n)
{
    /* R18: the Security Object must not be listed; we drop it and say so,
     * at INFO like the registration event it comes with. */
    TETHER_LOG(srv->cfg.log, srv->cfg.log_user, TETHER_LOG_INFO, "server",
               "ep=%.*s: object list names the Security Object (/0) %zu time%s: not stored (R18)",
               (int)ep_len, ep, n, n == 1 ? "" : "s");
}

/* Content-Format of a payload: absent or 40 is fine. */
static int format_ok(const tether_coap_msg *req)
{
    uint32_t fmt;
    int err = tether_coap_content_format(req, &fmt);
    if (err == TETHER_ERR_NOT_FOUND)
        return 1;
    return err == 0 && fmt == TETHER_FMT_LINK;
}

/* --- Register ---------------------------------------------------------------- */

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* A fresh location id: TETHER_SERVER_ID_BITS random bits as base64url,
 * retried on the (2^-60-ish) chance it is in use. Returns 0 or
 * TETHER_ERR_EXISTS when the random source keeps repeating itself. */
static int make_id(tether_server *srv, char out[TETHER_SERVER_ID_LEN + 1])
{
    for (int attempt = 0; attempt < 8; attempt++) {
        uint8_t r[8];
        uint64_t v = 0;
        tether_server_random(&srv->cfg, r, sizeof(r));
        for (int i = 0; i < 8; i++)
            v = (v << 8) | r[i];
        for (int i = 0; i < TETHER_SERVER_ID_LEN; i++)
            out[i] = b64url[(v >> (6 * i)) & 63];
        out[TETHER_SERVER_ID_LEN] = '\0';
        if (tether_registry_find_id(&srv->reg, out, TETHER_SERVER_ID_LEN) == NULL)
            return 0;
    }
    return TETHER_ERR_EXISTS;
}

/* Endpoint names go into log lines and JSON: no control characters. */
static int ep_ok(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] < 0x20 || p[i] == 0x7F)
            return 0;
    return 1;
}

static void do_register(tether_server *srv, tether_time now, const tether_coap_msg *req,
                        const tether_coap_incoming *in)
{
    tether_lwm2m_reg_query q;
    tether_lwm2m_query_error why;
    struct tether_server_reg *rec, *old;
    tether_server_event ev;
    const char *bad;
    links l;
    body bd;
    int err;

    err = tether_lwm2m_reg_query_parse(req, TETHER_LWM2M_REGISTER, 0, &q, &why);
    if (err == TETHER_ERR_UNSUPPORTED) {
        const uint8_t *v = NULL;
        size_t vlen = 0;
        (void)tether_coap_query_find(req, "lwm2m", &v, &vlen);
        reject(srv, now, in, TETHER_COAP_PRECONDITION_FAILED,
               "Register refused: lwm2m=%.*s is not a version this server speaks",
               (int)(vlen > 16 ? 16 : vlen), v != NULL ? (const char *)v : "");
        return;
    }
    if (err != 0) {
        reject(srv, now, in, TETHER_COAP_BAD_REQUEST, "Register refused: %s",
               tether_lwm2m_query_strerror(why));
        return;
    }
    if (q.ep.len > TETHER_SERVER_EP_MAX || !ep_ok(q.ep.ptr, q.ep.len)) {
        reject(srv, now, in, TETHER_COAP_BAD_REQUEST,
               "Register refused: ep is longer than %d bytes or has control characters",
               TETHER_SERVER_EP_MAX);
        return;
    }
    if ((q.present & TETHER_LWM2M_Q_SMS) && q.sms.len > TETHER_SERVER_SMS_MAX) {
        reject(srv, now, in, TETHER_COAP_BAD_REQUEST,
               "Register refused: sms is longer than %d bytes", TETHER_SERVER_SMS_MAX);
        return;
    }
    if (take_body(srv, now, req, in, "Register", &bd))
        return;
    if (!format_ok(req)) {
        release_body(srv, &bd);
        reject(srv, now, in, TETHER_COAP_UNSUPPORTED_CONTENT_FORMAT,
               "Register refused: the payload is not application/link-format (40)");
        return;
    }
    bad = links_parse(&l, bd.p, bd.len);
    if (bad != NULL) {
        release_body(srv, &bd);
        reject(srv, now, in, TETHER_COAP_BAD_REQUEST, "Register from ep=%.*s refused: %s",
               (int)q.ep.len, (const char *)q.ep.ptr, bad);
        return;
    }
    old = tether_registry_find_ep(&srv->reg, (const char *)q.ep.ptr, q.ep.len);
    if (old == NULL && srv->cfg.max_registrations != 0 &&
        tether_registry_count(&srv->reg) >= srv->cfg.max_registrations) {
        release_body(srv, &bd);
        reject(srv, now, in, TETHER_COAP_SERVICE_UNAVAILABLE,
               "Register refused: the limit of %zu registrations is reached",
               srv->cfg.max_registrations);
        return;
    }
    rec = tether_registry_new_record(&srv->reg, (const char *)q.ep.ptr, q.ep.len,
                                     (q.present & TETHER_LWM2M_Q_SMS) ? q.sms.len : 0,
                                     l.root.len, l.n_objs);
    if (rec == NULL || make_id(srv, rec->id) != 0) {
        tether_registry_free_record(&srv->reg, rec);
        release_body(srv, &bd);
        reject(srv, now, in, TETHER_COAP_INTERNAL_SERVER_ERROR,
               "Register refused: out of memory");
        return;
    }
    rec->peer = in->peer; /* R14 */
    rec->registered = now;
    rec->lifetime_s = (q.present & TETHER_LWM2M_Q_LT) ? q.lt : srv->cfg.default_lifetime_s;
    rec->binding = q.binding;
    rec->version = q.version;
    rec->flags = q.queue ? TETHER_REG_QUEUE : 0;
    if (q.present & TETHER_LWM2M_Q_SMS)
        memcpy(tether_reg_sms(rec), q.sms.ptr, q.sms.len);
    links_fill(rec, &l);
    if (l.n_security > 0)
        log_security(srv, (const char *)q.ep.ptr, q.ep.len, l.n_security);

    if (old != NULL) {
        /* R15: the old registration goes first, so its location answers
         * 4.04 from now on, then the new one is performed. */
        memset(&ev, 0, sizeof(ev));
        ev.type = TETHER_SERVER_EV_REPLACED;
        ev.reg = old;
        srv->stats.replaced++;
        tether_registry_remove(&srv->reg, old);
        tether_server_emit(srv, now, &ev);
        tether_server_dm_gone(srv, now, old, TETHER_SERVER_EV_REPLACED);
        tether_registry_free_record(&srv->reg, old);
    }
    err = tether_registry_insert(&srv->reg, rec,
                                 tether_server_deadline(srv, now, rec->lifetime_s));
    if (err == 0)
        err = answer(srv, now, in, TETHER_COAP_CREATED, rec->id, bd.blockwise ? &bd.block1 : NULL);
    release_body(srv, &bd);
    if (err != 0) {
        /* Nothing told the client: leave no registration behind. */
        if (tether_heap_contains(&rec->expiry))
            tether_registry_remove(&srv->reg, rec);
        tether_registry_free_record(&srv->reg, rec);
        tether_server_set_err(srv, "Register of ep=%.*s failed: %s", (int)q.ep.len,
                              (const char *)q.ep.ptr, tether_strerror(err));
        srv->stats.rejected++;
        tether_server_dm_register_failed(srv, now);
        return;
    }
    srv->stats.registered++;
    memset(&ev, 0, sizeof(ev));
    ev.type = TETHER_SERVER_EV_REGISTERED;
    ev.reg = rec;
    tether_server_emit(srv, now, &ev);
    /* R10: no lt, so the Lifetime resource must be read or written. The
     * callback above cannot remove rec (it may only send requests). */
    if (!(q.present & TETHER_LWM2M_Q_LT))
        tether_server_sync_start(srv, now, rec);
    /* Queue mode starts awake; requests queued for the endpoint's old
     * registration go out now. */
    tether_server_dm_registered(srv, now, rec);
}

/* --- Update ---------------------------------------------------------------- */

static int objs_equal(const struct tether_server_reg *rec, const links *l)
{
    tether_lwm2m_link_iter it = l->it;
    tether_lwm2m_link e;
    size_t i = 0;

    if (rec->n_objs != l->n_objs || rec->root_len != l->root.len ||
        (l->root.len > 0 &&
         memcmp(tether_reg_root((struct tether_server_reg *)rec), l->root.ptr, l->root.len) != 0) ||
        rec->formats != l->formats)
        return 0;
    while (tether_lwm2m_link_next(&it, &e) == 0) {
        const tether_server_obj *o;
        if (e.is_root || e.is_security)
            continue;
        o = &rec->objs[i++];
        if (o->oid != e.path.ids[0] ||
            o->iid != (e.path.len >= TETHER_LWM2M_INSTANCE ? e.path.ids[1]
                                                          : (uint16_t)TETHER_SERVER_NO_IID) ||
            o->ver_major != (e.has_ver ? e.ver_major : 0) ||
            o->ver_minor != (e.has_ver ? e.ver_minor : 0))
            return 0;
    }
    return 1;
}

static void do_update(tether_server *srv, tether_time now, const tether_coap_msg *req,
                      const tether_coap_incoming *in, const tether_coap_opt *idopt)
{
    struct tether_server_reg *rec;
    tether_lwm2m_reg_query q;
    tether_lwm2m_query_error why;
    tether_server_event ev;
    unsigned changed = 0;
    int has_sms, new_tail, err;
    links l;
    body bd;

    rec = tether_registry_find_id(&srv->reg, (const char *)idopt->val, idopt->len);
    if (rec == NULL) {
        reject(srv, now, in, TETHER_COAP_NOT_FOUND, "Update refused: no registration rd/%.*s",
               (int)idopt->len, (const char *)idopt->val);
        return;
    }
    err = tether_lwm2m_reg_query_parse(req, TETHER_LWM2M_UPDATE, rec->version, &q, &why);
    if (err != 0) {
        reject(srv, now, in, TETHER_COAP_BAD_REQUEST, "Update of ep=%s refused: %s",
               tether_reg_ep(rec), tether_lwm2m_query_strerror(why));
        return;
    }
    has_sms = (q.present & TETHER_LWM2M_Q_SMS) != 0;
    if (has_sms && q.sms.len > TETHER_SERVER_SMS_MAX) {
        reject(srv, now, in, TETHER_COAP_BAD_REQUEST,
               "Update of ep=%s refused: sms is longer than %d bytes", tether_reg_ep(rec),
               TETHER_SERVER_SMS_MAX);
        return;
    }
    if (take_body(srv, now, req, in, "Update", &bd))
        return;
    memset(&l, 0, sizeof(l));
    if (bd.len > 0) {
        const char *bad;
        if (!format_ok(req)) {
            release_body(srv, &bd);
            reject(srv, now, in, TETHER_COAP_UNSUPPORTED_CONTENT_FORMAT,
                   "Update of ep=%s refused: the payload is not application/link-format (40)",
                   tether_reg_ep(rec));
            return;
        }
        bad = links_parse(&l, bd.p, bd.len);
        if (bad != NULL) {
            release_body(srv, &bd);
            reject(srv, now, in, TETHER_COAP_BAD_REQUEST, "Update of ep=%s refused: %s",
                   tether_reg_ep(rec), bad);
            return;
        }
        if (!objs_equal(rec, &l))
            changed |= TETHER_CHANGED_OBJECTS;
    }
    if (has_sms && (q.sms.len != rec->sms_len ||
                    memcmp(q.sms.ptr, tether_reg_sms(rec), q.sms.len) != 0))
        changed |= TETHER_CHANGED_SMS;

    /* A new tail (object list, SMS number) means a new record, swapped in
     * where the old one is; everything else changes in place. */
    new_tail = (changed & (TETHER_CHANGED_OBJECTS | TETHER_CHANGED_SMS)) != 0;
    if (new_tail) {
        struct tether_server_reg *fresh;
        size_t sms_len = has_sms ? q.sms.len : rec->sms_len;
        const void *sms = has_sms ? (const void *)q.sms.ptr : (const void *)tether_reg_sms(rec);
        size_t n_objs = bd.len > 0 ? l.n_objs : rec->n_objs;
        size_t root_len = bd.len > 0 ? l.root.len : rec->root_len;

        fresh = tether_registry_new_record(&srv->reg, tether_reg_ep(rec), rec->ep_len, sms_len,
                                           root_len, n_objs);
        if (fresh == NULL) {
            release_body(srv, &bd);
            reject(srv, now, in, TETHER_COAP_INTERNAL_SERVER_ERROR,
                   "Update of ep=%s refused: out of memory", tether_reg_ep(rec));
            return;
        }
        memcpy(fresh->id, rec->id, sizeof(rec->id));
        fresh->peer = rec->peer;
        fresh->registered = rec->registered;
        fresh->lifetime_s = rec->lifetime_s;
        fresh->binding = rec->binding;
        fresh->version = rec->version;
        fresh->flags = rec->flags;
        memcpy(tether_reg_sms(fresh), sms, sms_len);
        if (bd.len > 0) {
            links_fill(fresh, &l);
        } else {
            memcpy(fresh->objs, rec->objs, rec->n_objs * sizeof(rec->objs[0]));
            memcpy(tether_reg_root(fresh), tether_reg_root(rec), rec->root_len);
            fresh->formats = rec->formats;
        }
        tether_registry_swap(&srv->reg, rec, fresh);
        tether_registry_free_record(&srv->reg, rec);
        rec = fresh;
    }
    if (l.n_security > 0)
        log_security(srv, tether_reg_ep(rec), rec->ep_len, l.n_security);

    /* R14: later requests go where this Update came from. */
    if (!tether_peer_equal(&rec->peer, &in->peer)) {
        rec->peer = in->peer;
        changed |= TETHER_CHANGED_ADDRESS;
    }
    if (q.present & TETHER_LWM2M_Q_LT) {
        /* R8: the client's lt is the Lifetime resource's value now; an
         * R10 answer still in flight is older news. */
        rec->flags &= (uint8_t)~TETHER_REG_SYNCING;
        if (q.lt != rec->lifetime_s) {
            rec->lifetime_s = q.lt;
            changed |= TETHER_CHANGED_LIFETIME;
        }
    }
    if (q.present & TETHER_LWM2M_Q_B) {
        uint8_t flags = rec->flags;
        /* 1.0 carries queue mode inside b (UQ); from 1.1 it is the Q
         * parameter of Register and b alone leaves it as it was. */
        if (rec->version == TETHER_LWM2M_V1_0)
            flags = (uint8_t)(q.queue ? flags | TETHER_REG_QUEUE : flags & ~TETHER_REG_QUEUE);
        if (q.binding != rec->binding || flags != rec->flags)
            changed |= TETHER_CHANGED_BINDING;
        rec->binding = q.binding;
        rec->flags = flags;
    }
    if ((q.present & TETHER_LWM2M_Q_QUEUE) && !(rec->flags & TETHER_REG_QUEUE)) {
        rec->flags |= TETHER_REG_QUEUE;
        changed |= TETHER_CHANGED_BINDING;
    }
    /* R6: the lifetime runs from this Update. */
    tether_registry_set_deadline(&srv->reg, rec, tether_server_deadline(srv, now, rec->lifetime_s));
    err = answer(srv, now, in, TETHER_COAP_CHANGED, NULL, bd.blockwise ? &bd.block1 : NULL);
    release_body(srv, &bd);
    if (err != 0)
        tether_server_set_err(srv, "Update of ep=%s: answer not sent: %s", tether_reg_ep(rec),
                              tether_strerror(err));
    srv->stats.updated++;
    memset(&ev, 0, sizeof(ev));
    ev.type = TETHER_SERVER_EV_UPDATED;
    ev.reg = rec;
    ev.changed = changed;
    tether_server_emit(srv, now, &ev);
    /* The client spoke: queue mode wakes and sends what waited. */
    tether_server_dm_updated(srv, now, rec, changed);
}

/* --- De-register ------------------------------------------------------------ */

static void do_deregister(tether_server *srv, tether_time now, const tether_coap_incoming *in,
                          const tether_coap_opt *idopt)
{
    struct tether_server_reg *rec;
    tether_server_event ev;

    rec = tether_registry_find_id(&srv->reg, (const char *)idopt->val, idopt->len);
    if (rec == NULL) {
        reject(srv, now, in, TETHER_COAP_NOT_FOUND,
               "De-register refused: no registration rd/%.*s", (int)idopt->len,
               (const char *)idopt->val);
        return;
    }
    (void)answer(srv, now, in, TETHER_COAP_DELETED, NULL, NULL);
    srv->stats.deregistered++;
    memset(&ev, 0, sizeof(ev));
    ev.type = TETHER_SERVER_EV_DEREGISTERED;
    ev.reg = rec;
    tether_registry_remove(&srv->reg, rec);
    tether_server_emit(srv, now, &ev);
    tether_server_dm_gone(srv, now, rec, TETHER_SERVER_EV_DEREGISTERED);
    tether_registry_free_record(&srv->reg, rec);
}

/* --- dispatch ---------------------------------------------------------------- */

/* RFC 7252 §5.4.1: a request with an unrecognised critical (odd) option is
 * answered 4.02. Returns the first such option number, or 0. */
static uint16_t unknown_critical(const tether_coap_msg *req)
{
    tether_coap_opt_iter it;
    tether_coap_opt o;

    tether_coap_opt_iter_init(&it, req);
    while (tether_coap_opt_next(&it, &o) == 0) {
        if (!(o.num & 1))
            continue;
        switch (o.num) {
        case TETHER_COAP_OPT_URI_HOST:
        case TETHER_COAP_OPT_URI_PORT:
        case TETHER_COAP_OPT_URI_PATH:
        case TETHER_COAP_OPT_URI_QUERY:
        case TETHER_COAP_OPT_ACCEPT:
        case TETHER_COAP_OPT_BLOCK2:
        case TETHER_COAP_OPT_BLOCK1:
            continue;
        default:
            return o.num;
        }
    }
    return 0;
}

void tether_server_rd_request(tether_server *srv, tether_time now, const tether_coap_msg *req,
                              const tether_coap_incoming *in)
{
    tether_coap_opt seg[3];
    size_t nseg = 0;
    uint16_t crit;
    char cs[5];

    if (TETHER_COAP_CLASS(req->code) != 0 || req->code == TETHER_COAP_EMPTY)
        return;
    crit = unknown_critical(req);
    if (crit != 0) {
        reject(srv, now, in, TETHER_COAP_BAD_OPTION, "unrecognised critical option %u",
               (unsigned)crit);
        return;
    }
    (void)tether_coap_opt_collect(req, TETHER_COAP_OPT_URI_PATH, seg, 3, &nseg);
    if (nseg == 0 || nseg > 2 || seg[0].len != 2 || memcmp(seg[0].val, "rd", 2) != 0 ||
        (nseg == 2 && seg[1].len == 0)) {
        char path[64];
        if (tether_coap_path_string(req, TETHER_COAP_OPT_URI_PATH, path, sizeof(path)) != 0)
            strcpy(path, "(long)");
        reject(srv, now, in, TETHER_COAP_NOT_FOUND, "no resource /%s", path);
        return;
    }
    if (nseg == 1) {
        if (req->code == TETHER_COAP_POST)
            do_register(srv, now, req, in);
        else
            reject(srv, now, in, TETHER_COAP_METHOD_NOT_ALLOWED, "/rd takes POST, not %s",
                   tether_coap_code_str(req->code, cs));
        return;
    }
    if (req->code == TETHER_COAP_POST)
        do_update(srv, now, req, in, &seg[1]);
    else if (req->code == TETHER_COAP_DELETE)
        do_deregister(srv, now, in, &seg[1]);
    else
        reject(srv, now, in, TETHER_COAP_METHOD_NOT_ALLOWED,
               "/rd/{id} takes POST or DELETE, not %s", tether_coap_code_str(req->code, cs));
}
