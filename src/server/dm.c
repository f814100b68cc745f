/* SPDX-License-Identifier: Apache-2.0 */
/* Server-initiated requests: Read, Write and Execute for the embedder
 * (LwM2M 1.0 §5.4, §8.2.4), and the Lifetime synchronisation that R10
 * demands after a Register without lt.
 *
 * Each request takes a slot from a fixed pool sized like the CoAP context's
 * exchange table (nothing can be in flight beyond that anyway), so sending
 * allocates nothing. A slot names its registration by location id; the
 * answer looks the id up again in O(1), so an Update that swapped the record,
 * or a De-register, Replace or expiry that removed it, is seen, never a
 * dangling pointer. Every request goes to the address of the latest
 * Register or Update, out of the adapter socket that carried it (R14).
 *
 * R10 strategies (cfg.lifetime_sync):
 *   read  -- one Server Object instance listed: GET /1/{i}/1, text or TLV
 *            answer; otherwise GET /1 with Accept TLV and pick the instance
 *            whose Short Server ID (/1/x/0) is cfg.ssid (with one instance,
 *            that one). The value read becomes the lifetime, counted from
 *            the last Register/Update (R4, R8).
 *   write -- PUT /1/{i}/1 with the default lifetime as text; without a
 *            single listed instance, GET /1 first to find ours.
 * Until the answer comes the default lifetime applies; a failure is an
 * event (TETHER_SERVER_EV_LIFETIME with a status) and leaves it in force. */
#define TETHER_ALLOW_ALLOC
#include <stdio.h>
#include <string.h>

#include "common/log_internal.h"
#include "server/server_internal.h"
#include "tether/lwm2m.h"
#include "tether/lwm2m_tlv.h"
#include "tether_poison.h"

/* --- the slot pool ---------------------------------------------------------- */

int tether_server_dm_init(tether_server *srv)
{
    uint32_t n = srv->cfg.coap.max_exchanges;

    if (n == 0)
        return TETHER_ERR_INVAL;
    srv->slots = tether_server_alloc(srv, NULL, n * sizeof(dm_slot));
    if (srv->slots == NULL)
        return TETHER_ERR_NOMEM;
    memset(srv->slots, 0, n * sizeof(dm_slot));
    srv->n_slots = n;
    for (uint32_t i = 0; i < n; i++) {
        srv->slots[i].srv = srv;
        srv->slots[i].next_free = i + 1 < n ? (int32_t)(i + 1) : -1;
    }
    srv->free_slot = 0;
    return 0;
}

void tether_server_dm_fini(tether_server *srv)
{
    if (srv->slots != NULL)
        tether_server_alloc(srv, srv->slots, 0);
    srv->slots = NULL;
    srv->n_slots = 0;
    srv->free_slot = -1;
}

static dm_slot *slot_get(tether_server *srv)
{
    dm_slot *s;

    if (srv->free_slot < 0)
        return NULL;
    s = &srv->slots[srv->free_slot];
    srv->free_slot = s->next_free;
    s->next_free = -1;
    return s;
}

static void slot_put(tether_server *srv, dm_slot *s)
{
    s->kind = DM_FREE;
    s->cb = NULL;
    s->arg = NULL;
    s->next_free = srv->free_slot;
    srv->free_slot = (int32_t)(s - srv->slots);
}

/* --- sending ---------------------------------------------------------------- */

static void dm_done(void *arg, tether_time now, int status, const tether_coap_msg *resp);

/* Build and queue one CON request to rec for slot s. On error s is still
 * the caller's. */
static int send_request(tether_server *srv, tether_time now, struct tether_server_reg *rec,
                        uint8_t method, const tether_lwm2m_path *p, uint32_t format,
                        uint32_t accept, const void *payload, size_t len, dm_slot *s)
{
    const char *root = tether_reg_root(rec);
    tether_coap_builder b;
    int err;

    err = tether_coap_msg_begin(srv->coap, &b, TETHER_COAP_CON, method, NULL, 0);
    if (err != 0)
        return err;
    /* Errors stick in the builder; msg_send reports them and must follow
     * msg_begin in any case. */
    (void)tether_lwm2m_path_build(&b, p, root[0] == '/' ? root + 1 : root);
    if (format != TETHER_SERVER_NO_FORMAT)
        tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_CONTENT_FORMAT, format);
    if (accept != TETHER_SERVER_NO_FORMAT)
        tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_ACCEPT, accept);
    if (len > 0)
        tether_coap_build_payload(&b, payload, len);
    memcpy(s->id, rec->id, sizeof(s->id));
    err = tether_coap_msg_send(srv->coap, now, &rec->peer, &b, 0, dm_done, s, NULL);
    if (err == TETHER_ERR_NOSPACE)
        err = TETHER_ERR_TOO_LARGE;
    return err;
}

/* --- R10 ------------------------------------------------------------------ */

static void sync_event(tether_server *srv, tether_time now, struct tether_server_reg *rec,
                       int status, uint8_t code, tether_server_lifetime_sync via)
{
    tether_server_event ev;
    char cs[5];

    rec->flags &= (uint8_t)~TETHER_REG_SYNCING;
    if (status == 0) {
        srv->stats.sync_ok++;
    } else {
        srv->stats.sync_failed++;
        /* DEBUG: the LIFETIME event carries the failure to the embedder. */
        TETHER_LOG(srv->cfg.log, srv->cfg.log_user, TETHER_LOG_DEBUG, "server",
                   "ep=%s id=%s: lifetime %s failed (%s%s%s); keeping %u s",
                   tether_reg_ep(rec), rec->id, via == TETHER_SERVER_SYNC_READ ? "read" : "write",
                   tether_strerror(status), code ? ", answer " : "",
                   code ? tether_coap_code_str(code, cs) : "", (unsigned)rec->lifetime_s);
    }
    memset(&ev, 0, sizeof(ev));
    ev.type = TETHER_SERVER_EV_LIFETIME;
    ev.reg = rec;
    ev.status = status;
    ev.code = code;
    ev.via = via;
    tether_server_emit(srv, now, &ev);
}

/* R4/R8: the value read is the lifetime, counted from the last Register or
 * Update (not from the answer). */
static void adopt(tether_server *srv, struct tether_server_reg *rec, uint32_t lt)
{
    uint64_t last = rec->expiry.key - ((uint64_t)rec->lifetime_s + srv->cfg.grace_s) * 1000u;

    if (lt != rec->lifetime_s) {
        rec->lifetime_s = lt;
        tether_registry_set_deadline(&srv->reg, rec, tether_server_deadline(srv, last, lt));
    }
}

static int is_tlv(uint32_t fmt)
{
    return fmt == TETHER_FMT_TLV || fmt == TETHER_FMT_TLV_LEGACY;
}

static int lifetime_value(int64_t v, uint32_t *lt)
{
    if (v < 1 || v > (int64_t)UINT32_MAX)
        return TETHER_ERR_MALFORMED;
    *lt = (uint32_t)v;
    return 0;
}

/* The Lifetime from the answer to GET /1/{i}/1: text/plain (also when no
 * Content-Format is given) or a TLV resource, bare or inside its instance. */
static int parse_lifetime_resource(const tether_coap_msg *resp, uint32_t *lt)
{
    uint32_t fmt = TETHER_FMT_TEXT;
    tether_lwm2m_value v;

    (void)tether_coap_content_format(resp, &fmt);
    if (fmt == TETHER_FMT_TEXT) {
        if (tether_lwm2m_text_decode(resp->payload, resp->payload_len, TETHER_LWM2M_INTEGER,
                                     &v) != 0)
            return TETHER_ERR_MALFORMED;
        return lifetime_value(v.i, lt);
    }
    if (is_tlv(fmt)) {
        tether_tlv_iter it;
        tether_tlv_entry e;
        int64_t i;

        if (tether_tlv_validate(resp->payload, resp->payload_len) != 0)
            return TETHER_ERR_MALFORMED;
        tether_tlv_iter_init(&it, resp->payload, resp->payload_len);
        if (tether_tlv_next(&it, &e) != 0)
            return TETHER_ERR_MALFORMED;
        if (e.type == TETHER_TLV_OBJECT_INSTANCE) {
            tether_tlv_iter in;
            if (tether_tlv_iter_enter(&in, &e) != 0 ||
                tether_tlv_find(&in, TETHER_TLV_RESOURCE, 1, &e) != 0)
                return TETHER_ERR_MALFORMED;
        }
        if (e.type != TETHER_TLV_RESOURCE || e.id != 1 ||
            tether_tlv_decode_int(e.val, e.len, &i) != 0)
            return TETHER_ERR_MALFORMED;
        return lifetime_value(i, lt);
    }
    return TETHER_ERR_MALFORMED;
}

/* Our instance in the answer to GET /1 (TLV): the one whose Short Server ID
 * is ssid, or with ssid 0 the only one. *iid gets it; *lt its Lifetime when
 * has_lt is set. Returns 0, TETHER_ERR_NOT_FOUND or TETHER_ERR_MALFORMED. */
static int parse_server_object(const tether_coap_msg *resp, uint16_t ssid, uint16_t *iid,
                               uint32_t *lt, int *has_lt)
{
    tether_tlv_iter it;
    tether_tlv_entry e;
    uint32_t fmt = TETHER_FMT_TLV;
    int found = 0, instances = 0;

    (void)tether_coap_content_format(resp, &fmt);
    if (!is_tlv(fmt) || tether_tlv_validate(resp->payload, resp->payload_len) != 0)
        return TETHER_ERR_MALFORMED;
    tether_tlv_iter_init(&it, resp->payload, resp->payload_len);
    while (tether_tlv_next(&it, &e) == 0) {
        tether_tlv_iter in;
        tether_tlv_entry r;
        int64_t v;
        int mine;

        if (e.type != TETHER_TLV_OBJECT_INSTANCE)
            return TETHER_ERR_MALFORMED;
        instances++;
        if (tether_tlv_iter_enter(&in, &e) != 0)
            return TETHER_ERR_MALFORMED;
        if (ssid == 0) {
            mine = 1;
        } else {
            mine = tether_tlv_find(&in, TETHER_TLV_RESOURCE, 0, &r) == 0 &&
                   tether_tlv_decode_int(r.val, r.len, &v) == 0 && v == ssid;
        }
        if (!mine || found)
            continue;
        found = 1;
        *iid = e.id;
        *has_lt = 0;
        if (tether_tlv_find(&in, TETHER_TLV_RESOURCE, 1, &r) == 0) {
            if (tether_tlv_decode_int(r.val, r.len, &v) != 0 || lifetime_value(v, lt) != 0)
                return TETHER_ERR_MALFORMED;
            *has_lt = 1;
        }
    }
    /* Without an ssid the choice is only clear with exactly one instance. */
    if (!found || (ssid == 0 && instances != 1))
        return TETHER_ERR_NOT_FOUND;
    return 0;
}

static int sync_write(tether_server *srv, tether_time now, struct tether_server_reg *rec,
                      uint16_t iid)
{
    tether_lwm2m_path p = tether_lwm2m_path_make(3, 1, iid, 1, 0);
    char text[12];
    dm_slot *s = slot_get(srv);
    int n, err;

    if (s == NULL)
        return TETHER_ERR_BUSY;
    n = snprintf(text, sizeof(text), "%u", (unsigned)srv->cfg.default_lifetime_s);
    s->kind = DM_SYNC_WRITE;
    err = send_request(srv, now, rec, TETHER_COAP_PUT, &p, TETHER_FMT_TEXT,
                       TETHER_SERVER_NO_FORMAT, text, (size_t)n, s);
    if (err != 0)
        slot_put(srv, s);
    return err;
}

static void sync_done(tether_server *srv, tether_time now, uint8_t kind, const char *id,
                      int status, const tether_coap_msg *resp)
{
    struct tether_server_reg *rec = tether_registry_find_id(&srv->reg, id, TETHER_SERVER_ID_LEN);
    tether_server_lifetime_sync via =
        kind == DM_SYNC_READ_RES || kind == DM_SYNC_READ_OBJ ? TETHER_SERVER_SYNC_READ
                                                             : TETHER_SERVER_SYNC_WRITE;
    uint8_t code = resp != NULL ? resp->code : 0;
    uint32_t lt = 0;
    uint16_t iid = 0;
    int has_lt = 0, err;

    /* Gone, replaced, or overtaken by an Update carrying lt: old news. */
    if (rec == NULL || !(rec->flags & TETHER_REG_SYNCING))
        return;
    if (status != 0) {
        sync_event(srv, now, rec, status, 0, via);
        return;
    }
    if (resp == NULL) {
        sync_event(srv, now, rec, TETHER_ERR_MALFORMED, 0, via);
        return;
    }
    if (kind == DM_SYNC_WRITE) {
        sync_event(srv, now, rec, code == TETHER_COAP_CHANGED ? 0 : TETHER_ERR_UNSUPPORTED, code,
                   via);
        return;
    }
    if (code != TETHER_COAP_CONTENT) {
        sync_event(srv, now, rec, TETHER_ERR_UNSUPPORTED, code, via);
        return;
    }
    if (kind == DM_SYNC_READ_RES) {
        err = parse_lifetime_resource(resp, &lt);
        has_lt = err == 0;
    } else {
        err = parse_server_object(resp, srv->cfg.ssid, &iid, &lt, &has_lt);
        if (err == 0 && kind == DM_SYNC_READ_OBJ && !has_lt)
            err = TETHER_ERR_MALFORMED;
    }
    if (err != 0) {
        sync_event(srv, now, rec, err, code, via);
        return;
    }
    if (kind == DM_SYNC_FIND_OBJ) {
        err = sync_write(srv, now, rec, iid);
        if (err != 0)
            sync_event(srv, now, rec, err, 0, via);
        return;
    }
    adopt(srv, rec, lt);
    TETHER_LOG(srv->cfg.log, srv->cfg.log_user, TETHER_LOG_DEBUG, "server",
               "ep=%s id=%s: lifetime %u s read from the client (R10)", tether_reg_ep(rec),
               rec->id, (unsigned)lt);
    sync_event(srv, now, rec, 0, code, via);
}

void tether_server_sync_start(tether_server *srv, tether_time now,
                              struct tether_server_reg *rec)
{
    tether_lwm2m_path p;
    size_t instances = 0;
    uint16_t iid = 0;
    dm_slot *s;
    int err;

    for (size_t i = 0; i < rec->n_objs; i++) {
        if (rec->objs[i].oid == 1 && rec->objs[i].iid != TETHER_SERVER_NO_IID) {
            instances++;
            iid = rec->objs[i].iid;
        }
    }
    if (srv->cfg.lifetime_sync == TETHER_SERVER_SYNC_WRITE && instances == 1) {
        rec->flags |= TETHER_REG_SYNCING;
        err = sync_write(srv, now, rec, iid);
        if (err != 0)
            sync_event(srv, now, rec, err, 0, TETHER_SERVER_SYNC_WRITE);
        return;
    }
    s = slot_get(srv);
    if (s == NULL) {
        sync_event(srv, now, rec, TETHER_ERR_BUSY, 0, srv->cfg.lifetime_sync);
        return;
    }
    if (srv->cfg.lifetime_sync == TETHER_SERVER_SYNC_WRITE) {
        s->kind = DM_SYNC_FIND_OBJ;
        p = tether_lwm2m_path_make(1, 1, 0, 0, 0);
        err = send_request(srv, now, rec, TETHER_COAP_GET, &p, TETHER_SERVER_NO_FORMAT,
                           TETHER_FMT_TLV, NULL, 0, s);
    } else if (instances == 1) {
        s->kind = DM_SYNC_READ_RES;
        p = tether_lwm2m_path_make(3, 1, iid, 1, 0);
        err = send_request(srv, now, rec, TETHER_COAP_GET, &p, TETHER_SERVER_NO_FORMAT,
                           TETHER_SERVER_NO_FORMAT, NULL, 0, s);
    } else {
        s->kind = DM_SYNC_READ_OBJ;
        p = tether_lwm2m_path_make(1, 1, 0, 0, 0);
        err = send_request(srv, now, rec, TETHER_COAP_GET, &p, TETHER_SERVER_NO_FORMAT,
                           TETHER_FMT_TLV, NULL, 0, s);
    }
    if (err != 0) {
        slot_put(srv, s);
        sync_event(srv, now, rec, err, 0, srv->cfg.lifetime_sync);
        return;
    }
    rec->flags |= TETHER_REG_SYNCING;
}

/* --- completion ------------------------------------------------------------ */

static void dm_done(void *arg, tether_time now, int status, const tether_coap_msg *resp)
{
    dm_slot *s = arg;
    tether_server *srv = s->srv;
    tether_server_response_fn cb = s->cb;
    void *cb_arg = s->arg;
    uint8_t kind = s->kind;
    char id[TETHER_SERVER_ID_LEN + 1];

    memcpy(id, s->id, sizeof(id));
    /* Free first: the callback may start the next request. */
    slot_put(srv, s);
    if (kind == DM_USER) {
        tether_server_response r;
        if (status == 0 && resp == NULL)
            status = TETHER_ERR_MALFORMED; /* a request always gets a response */
        if (status == 0) {
            memset(&r, 0, sizeof(r));
            r.code = resp->code;
            if (tether_coap_content_format(resp, &r.content_format) != 0)
                r.content_format = TETHER_SERVER_NO_FORMAT;
            r.payload = resp->payload;
            r.payload_len = resp->payload_len;
        }
        srv->depth++;
        cb(cb_arg, now, status, status == 0 ? &r : NULL);
        srv->depth--;
        return;
    }
    if (!srv->freeing)
        sync_done(srv, now, kind, id, status, resp);
}

/* --- the embedder's requests --------------------------------------------------- */

static int user_request(tether_server *srv, tether_time now, const char *ep, const char *path,
                        uint8_t method, uint8_t min_depth, uint8_t max_depth, uint32_t format,
                        uint32_t accept, const void *payload, size_t len,
                        tether_server_response_fn cb, void *arg)
{
    struct tether_server_reg *rec;
    tether_lwm2m_path p;
    dm_slot *s;
    int err;

    if (srv == NULL || ep == NULL || path == NULL || cb == NULL || (len > 0 && payload == NULL))
        return TETHER_ERR_INVAL;
    srv->errmsg[0] = '\0';
    if (tether_lwm2m_path_parse(&p, path, strlen(path)) != 0 || p.len < min_depth ||
        p.len > max_depth) {
        tether_server_set_err(srv, "%s is not an LwM2M path for this operation", path);
        return TETHER_ERR_INVAL;
    }
    rec = tether_registry_find_ep(&srv->reg, ep, strlen(ep));
    if (rec == NULL) {
        tether_server_set_err(srv, "ep=%s is not registered", ep);
        return TETHER_ERR_NOT_FOUND;
    }
    s = slot_get(srv);
    if (s == NULL) {
        tether_server_set_err(srv, "all %u request slots are in use", (unsigned)srv->n_slots);
        return TETHER_ERR_BUSY;
    }
    s->kind = DM_USER;
    s->cb = cb;
    s->arg = arg;
    err = send_request(srv, now, rec, method, &p, format, accept, payload, len, s);
    if (err != 0) {
        slot_put(srv, s);
        tether_server_set_err(srv, "request to ep=%s not sent: %s", ep, tether_strerror(err));
    }
    return err;
}

int tether_server_read(tether_server *srv, tether_time now, const char *ep, const char *path,
                       uint32_t accept, tether_server_response_fn cb, void *arg)
{
    return user_request(srv, now, ep, path, TETHER_COAP_GET, TETHER_LWM2M_OBJECT,
                        TETHER_LWM2M_RINSTANCE, TETHER_SERVER_NO_FORMAT, accept, NULL, 0, cb,
                        arg);
}

int tether_server_write(tether_server *srv, tether_time now, const char *ep, const char *path,
                        uint32_t format, const void *payload, size_t len, int partial,
                        tether_server_response_fn cb, void *arg)
{
    if (format == TETHER_SERVER_NO_FORMAT || format > 0xFFFF)
        return TETHER_ERR_INVAL;
    return user_request(srv, now, ep, path, partial ? TETHER_COAP_POST : TETHER_COAP_PUT,
                        TETHER_LWM2M_INSTANCE, TETHER_LWM2M_RINSTANCE, format,
                        TETHER_SERVER_NO_FORMAT, payload, len, cb, arg);
}

int tether_server_execute(tether_server *srv, tether_time now, const char *ep,
                          const char *path, const void *args, size_t len,
                          tether_server_response_fn cb, void *arg)
{
    return user_request(srv, now, ep, path, TETHER_COAP_POST, TETHER_LWM2M_RESOURCE,
                        TETHER_LWM2M_RESOURCE, len > 0 ? TETHER_FMT_TEXT : TETHER_SERVER_NO_FORMAT,
                        TETHER_SERVER_NO_FORMAT, args, len, cb, arg);
}
