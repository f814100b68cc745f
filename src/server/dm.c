/* SPDX-License-Identifier: Apache-2.0 */
/* Server-initiated requests (LwM2M 1.0 §5.4, §8.2.4): their lifecycle from
 * tether_server_submit() to the one final callback, the block-wise steps in
 * between (RFC 7959: Block1 for large payloads, Block2 for large answers),
 * per-request timeouts, the end of everything a registration had in flight
 * when it goes away, and the Lifetime synchronisation that R10 demands after
 * a Register without lt.
 *
 * What each operation puts on the wire is in dm_ops.c, observations in
 * observe.c, queue mode in queue.c; the shared structures and their
 * invariants in dm_internal.h. Every request goes to the address of the
 * registration's latest Register or Update, out of the adapter socket that
 * carried it (R14), looked up again at each block.
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
 * event (TETHER_SERVER_EV_LIFETIME with a status) and leaves it in force.
 *
 * Slots: a request that finds no free CoAP exchange slot (or no room in
 * the send queue) does not fail: it waits in one FIFO (tether_dm.wait, at
 * most cfg.slot_wait_max) with its timeout running, and goes out when
 * something ends -- tether_dm_wait_drain() runs after every datagram, timer
 * step and cancel. New requests queue behind those already waiting, so a
 * storm of Registers without lt gets its R10 reads out in arrival order.
 *
 * Costs: submit, answer, cancel and timeout are O(1) plus O(log n) for the
 * timeout heap; a registration going away costs O(its own requests). */
#define TETHER_ALLOW_ALLOC
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/log_internal.h"
#include "server/dm_internal.h"
#include "tether/lwm2m.h"
#include "tether/lwm2m_tlv.h"
#include "tether_poison.h"

#define REQ_OF(ptr, field) ((dm_req *)(void *)((char *)(ptr) - offsetof(dm_req, field)))
/* Freed sessions and small requests kept for reuse. */
#define DM_SPARE_SESSIONS 64
#define DM_SPARE_REQS 64
/* Payload room of a request that may be reused (a text lifetime fits). */
#define DM_SMALL_BODY 32

#define SESS_OF(ptr, field) ((dm_sess *)(void *)((char *)(ptr) - offsetof(dm_sess, field)))

/* --- indexes ---------------------------------------------------------------- */

static uint32_t sess_hash(const tether_hnode *n)
{
    return SESS_OF(n, node)->hash;
}

static int sess_eq(const tether_hnode *n, const void *key, size_t len)
{
    return len == TETHER_SERVER_ID_LEN && memcmp(SESS_OF(n, node)->id, key, len) == 0;
}

static uint32_t req_hash(const tether_hnode *n)
{
    return REQ_OF(n, by_id)->hash;
}

static int req_eq(const tether_hnode *n, const void *key, size_t len)
{
    return len == sizeof(tether_server_req_id) &&
           memcmp(&REQ_OF(n, by_id)->id, key, sizeof(tether_server_req_id)) == 0;
}

static const tether_hindex_ops sess_ops = {sess_hash, sess_eq};
static const tether_hindex_ops req_ops = {req_hash, req_eq};

int tether_dm_heap_reserve(tether_server *srv, tether_heap *h)
{
    tether_heap_entry **items;
    size_t cap;

    if (h->len < h->cap)
        return 0;
    cap = h->cap == 0 ? 16 : h->cap * 2;
    if (cap > SIZE_MAX / sizeof(*items))
        return TETHER_ERR_NOMEM;
    items = tether_server_alloc(srv, h->items, cap * sizeof(*items));
    if (items == NULL)
        return TETHER_ERR_NOMEM;
    h->items = items;
    h->cap = cap;
    return 0;
}

dm_req *tether_dm_req_find(tether_server *srv, tether_server_req_id id)
{
    tether_dm *dm = srv->dm;
    tether_hnode *n =
        tether_hindex_find(&dm->reqs, tether_registry_hash(&srv->reg, &id, sizeof(id)), &id,
                           sizeof(id));
    return n != NULL ? REQ_OF(n, by_id) : NULL;
}

/* Index req under id. Returns 0, TETHER_ERR_EXISTS or TETHER_ERR_NOMEM. */
int tether_dm_req_index(tether_server *srv, dm_req *req, tether_server_req_id id)
{
    if (id == 0 || tether_dm_req_find(srv, id) != NULL)
        return TETHER_ERR_EXISTS;
    req->id = id;
    req->hash = tether_registry_hash(&srv->reg, &id, sizeof(id));
    if (tether_hindex_insert(&srv->dm->reqs, &req->by_id, req->hash) != 0) {
        req->id = 0;
        return TETHER_ERR_NOMEM;
    }
    return 0;
}

void tether_dm_req_unindex(tether_server *srv, dm_req *req)
{
    if (req->id != 0)
        tether_hindex_remove(&srv->dm->reqs, &req->by_id, req->hash);
    req->id = 0;
}

/* --- sessions --------------------------------------------------------------- */

dm_sess *tether_dm_sess_find(tether_server *srv, const char *id)
{
    tether_dm *dm = srv->dm;
    tether_hnode *n;

    if (dm == NULL || dm->sessions.count == 0)
        return NULL;
    n = tether_hindex_find(&dm->sessions,
                           tether_registry_hash(&srv->reg, id, TETHER_SERVER_ID_LEN), id,
                           TETHER_SERVER_ID_LEN);
    return n != NULL ? SESS_OF(n, node) : NULL;
}

dm_sess *tether_dm_sess_get(tether_server *srv, struct tether_server_reg *rec)
{
    tether_dm *dm = srv->dm;
    dm_sess *s = tether_dm_sess_find(srv, rec->id);

    if (s != NULL)
        return s;
    if (dm->spare != NULL) {
        s = dm->spare;
        dm->spare = s->all_next;
        dm->n_spare--;
    } else {
        s = tether_server_alloc(srv, NULL, sizeof(*s));
        if (s == NULL)
            return NULL;
    }
    memset(s, 0, sizeof(*s));
    memcpy(s->id, rec->id, sizeof(s->id));
    s->hash = tether_registry_hash(&srv->reg, s->id, TETHER_SERVER_ID_LEN);
    s->awake.index = TETHER_HEAP_NONE;
    if (tether_hindex_insert(&dm->sessions, &s->node, s->hash) != 0) {
        tether_server_alloc(srv, s, 0);
        return NULL;
    }
    s->all_prev = NULL;
    s->all_next = dm->all_sess;
    if (dm->all_sess != NULL)
        dm->all_sess->all_prev = s;
    dm->all_sess = s;
    return s;
}

static void sess_free(tether_server *srv, dm_sess *s)
{
    tether_dm *dm = srv->dm;

    tether_hindex_remove(&dm->sessions, &s->node, s->hash);
    if (tether_heap_contains(&s->awake))
        tether_heap_remove(&dm->sleeps, &s->awake);
    if (s->all_prev != NULL)
        s->all_prev->all_next = s->all_next;
    else
        dm->all_sess = s->all_next;
    if (s->all_next != NULL)
        s->all_next->all_prev = s->all_prev;
    /* A few are kept: a session comes and goes with each request to an
     * otherwise quiet registration, and with each queue-mode toggle. */
    if (dm->n_spare < DM_SPARE_SESSIONS && !dm->closing) {
        s->all_next = dm->spare;
        dm->spare = s;
        dm->n_spare++;
        return;
    }
    tether_server_alloc(srv, s, 0);
}

void tether_dm_sess_release(tether_server *srv, dm_sess *s)
{
    if (s != NULL && s->busy == 0 && s->head == NULL && s->q_head == NULL && !s->queue_mode)
        sess_free(srv, s);
}

struct tether_server_reg *tether_dm_rec(tether_server *srv, const dm_sess *sess)
{
    struct tether_server_reg *rec;

    if (sess == NULL)
        return NULL;
    rec = tether_registry_find_id(&srv->reg, sess->id, TETHER_SERVER_ID_LEN);
    if (rec == NULL && srv->dm->gone != NULL &&
        memcmp(srv->dm->gone->id, sess->id, TETHER_SERVER_ID_LEN) == 0)
        rec = srv->dm->gone;
    return rec;
}

/* --- request objects -------------------------------------------------------- */

dm_req *tether_dm_req_new(tether_server *srv, uint8_t kind, const void *body, size_t len)
{
    tether_dm *dm = srv->dm;
    size_t cap = len < DM_SMALL_BODY ? DM_SMALL_BODY : len;
    dm_req *r;

    if (len > SIZE_MAX - sizeof(*r))
        return NULL;
    if (cap == DM_SMALL_BODY && dm->spare_reqs != NULL) {
        r = dm->spare_reqs;
        dm->spare_reqs = r->next;
        dm->n_spare_reqs--;
    } else {
        r = tether_server_alloc(srv, NULL, sizeof(*r) + cap);
        if (r == NULL)
            return NULL;
    }
    memset(r, 0, sizeof(*r));
    r->srv = srv;
    r->kind = kind;
    r->deadline.index = TETHER_HEAP_NONE;
    r->format = TETHER_SERVER_NO_FORMAT;
    r->accept = TETHER_SERVER_NO_FORMAT;
    r->timeout_ms = srv->cfg.request_timeout_ms;
    r->body_cap = cap;
    r->body_len = len;
    if (len > 0)
        memcpy(r->body, body, len);
    r->all_next = dm->all;
    if (dm->all != NULL)
        dm->all->all_prev = r;
    dm->all = r;
    return r;
}

static void rx_free(tether_server *srv, dm_req *r)
{
    if (r->rx != NULL)
        tether_server_alloc(srv, r->rx, 0);
    r->rx = NULL;
    r->rx_cap = 0;
    r->b2_active = 0;
}

static void req_free(tether_server *srv, dm_req *r)
{
    tether_dm *dm = srv->dm;

    rx_free(srv, r);
    if (r->all_prev != NULL)
        r->all_prev->all_next = r->all_next;
    else
        dm->all = r->all_next;
    if (r->all_next != NULL)
        r->all_next->all_prev = r->all_prev;
    /* Small ones are kept for reuse: the R10 read after each Register
     * without lt then allocates nothing. */
    if (r->body_cap == DM_SMALL_BODY && dm->n_spare_reqs < DM_SPARE_REQS && !dm->closing) {
        r->next = dm->spare_reqs;
        dm->spare_reqs = r;
        dm->n_spare_reqs++;
        return;
    }
    tether_server_alloc(srv, r, 0);
}

void tether_dm_hold(dm_req *req)
{
    req->busy++;
}

int tether_dm_put(tether_server *srv, dm_req *req)
{
    req->busy--;
    if (req->state != DS_DONE)
        return 1;
    if (req->busy == 0)
        req_free(srv, req);
    return 0;
}

/* Doubly linked lists through prev/next with a head and a tail. */
static void list_append(dm_req **head, dm_req **tail, dm_req *r)
{
    r->next = NULL;
    r->prev = *tail;
    if (*tail != NULL)
        (*tail)->next = r;
    else
        *head = r;
    *tail = r;
}

static void list_unlink(dm_req **head, dm_req **tail, dm_req *r)
{
    if (r->prev != NULL)
        r->prev->next = r->next;
    else
        *head = r->next;
    if (r->next != NULL)
        r->next->prev = r->prev;
    else
        *tail = r->prev;
    r->prev = r->next = NULL;
}

/* --- init and fini -------------------------------------------------------------- */

int tether_server_dm_init(tether_server *srv)
{
    tether_dm *dm = tether_server_alloc(srv, NULL, sizeof(*dm));

    if (dm == NULL)
        return TETHER_ERR_NOMEM;
    memset(dm, 0, sizeof(*dm));
    tether_hindex_init(&dm->sessions, &sess_ops, srv->cfg.alloc, srv->cfg.alloc_user);
    tether_hindex_init(&dm->reqs, &req_ops, srv->cfg.alloc, srv->cfg.alloc_user);
    tether_heap_init(&dm->timeouts, NULL, 0);
    tether_heap_init(&dm->sleeps, NULL, 0);
    srv->dm = dm;
    tether_dm_obs_park_init(srv);
    return 0;
}

/* After tether_coap_fini(): every exchange is over. What is left (queued,
 * carried, or never answered) ends here, then the tables go. */
void tether_server_dm_fini(tether_server *srv)
{
    tether_dm *dm = srv->dm;

    if (dm == NULL)
        return;
    dm->closing = 1;
    while (dm->all != NULL) {
        dm_req *r = dm->all;
        if (r->state == DS_DONE) { /* held by nobody now: we are not in a callback */
            req_free(srv, r);
            continue;
        }
        tether_dm_fail(srv, dm->last_now, r, TETHER_ERR_CANCELLED, "the server is shutting down");
    }
    while (dm->all_sess != NULL)
        sess_free(srv, dm->all_sess);
    tether_dm_obs_park_fini(srv);
    while (dm->spare != NULL) {
        dm_sess *s = dm->spare;
        dm->spare = s->all_next;
        tether_server_alloc(srv, s, 0);
    }
    while (dm->spare_reqs != NULL) {
        dm_req *r = dm->spare_reqs;
        dm->spare_reqs = r->next;
        tether_server_alloc(srv, r, 0);
    }
    if (dm->timeouts.items != NULL)
        tether_server_alloc(srv, dm->timeouts.items, 0);
    if (dm->sleeps.items != NULL)
        tether_server_alloc(srv, dm->sleeps.items, 0);
    tether_hindex_fini(&dm->sessions);
    tether_hindex_fini(&dm->reqs);
    tether_server_alloc(srv, dm, 0);
    srv->dm = NULL;
}

/* --- sending ------------------------------------------------------------------ */

static void xch_done(void *arg, tether_time now, int status, const tether_coap_msg *msg);
static const char *ep_of(tether_server *srv, const dm_sess *s);

int tether_dm_send(tether_server *srv, tether_time now, dm_req *req, const tether_coap_block *b2)
{
    struct tether_server_reg *rec = tether_dm_rec(srv, req->sess);
    int observe = req->kind == DM_OBSERVE && b2 == NULL;
    int own_token = observe || req->kind == DM_OBS_CANCEL;
    /* RFC 7959 §2.4: the rest of a Block2 answer is fetched with "further
     * requests with the same options as the initial request and a Block2
     * Option" -- so the same method: a POST (Execute, Create, partial
     * Write) or PUT answered in blocks goes on as POST or PUT with Block2
     * and no payload, as in §3.3's POST example (Figure 14), not as GET. The
     * payload and what describes it (Content-Format, Block1) are not sent
     * again. Only a notification's blocks are fetched with GET, without
     * Observe (RFC 7959 §2.6). */
    uint8_t method = b2 != NULL && req->kind == DM_OBSERVE ? TETHER_COAP_GET : req->method;
    tether_coap_builder b;
    tether_coap_xid xid = 0;
    const char *root;
    int err;

    if (rec == NULL)
        return TETHER_ERR_NOT_FOUND;
    root = tether_reg_root(rec);
    err = tether_coap_msg_begin(srv->coap, &b, TETHER_COAP_CON, method,
                                own_token ? req->token : NULL, own_token ? 8 : 0);
    if (err != 0)
        return err;
    /* Options ascend: Observe 6, Uri-Path 11, Content-Format 12, Uri-Query
     * 15, Accept 17, Block2 23, Block1 27, Size1 60. Errors stick in the
     * builder and come back from msg_send. */
    if (observe)
        tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_OBSERVE, 0);
    else if (req->kind == DM_OBS_CANCEL)
        tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_OBSERVE, 1);
    (void)tether_lwm2m_path_build(&b, &req->path, root[0] == '/' ? root + 1 : root);
    if (b2 == NULL && req->format != TETHER_SERVER_NO_FORMAT)
        tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_CONTENT_FORMAT, req->format);
    if (req->op == TETHER_SERVER_OP_WRITE_ATTRS && req->kind == DM_USER)
        (void)tether_dm_build_attrs(&b, &req->attrs);
    if (req->accept != TETHER_SERVER_NO_FORMAT)
        tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_ACCEPT, req->accept);
    if (b2 != NULL)
        tether_coap_build_block(&b, TETHER_COAP_OPT_BLOCK2, b2);
    if (b2 == NULL && req->body_len > 0) {
        if (!req->b1_started) {
            /* The block size is fixed by the first request's room; the
             * others carry the same options. */
            size_t used = b.len + TETHER_BLOCK_OPTS_OVERHEAD;
            uint8_t szx;
            err = tether_block_szx_fit(b.cap > used ? b.cap - used : 0, TETHER_BLOCK_SZX_MAX,
                                       &szx);
            if (err == 0)
                err = tether_block1_tx_init(&req->b1, req->body, req->body_len, szx);
            if (err != 0)
                return TETHER_ERR_TOO_LARGE; /* the builder is simply abandoned */
            req->b1_started = 1;
        }
        (void)tether_block1_tx_write(&req->b1, &b);
    }
    /* An observation's GET is a plain exchange: once answered, the
     * observation holds no slot (tether_dm_obs_notify() takes what follows). */
    err = tether_coap_msg_send(srv->coap, now, &rec->peer, &b, 0,
                               observe ? tether_dm_obs_done : xch_done, req, &xid);
    if (err == TETHER_ERR_NOSPACE)
        err = TETHER_ERR_TOO_LARGE;
    if (err != 0)
        return err;
    if (b2 != NULL && req->state == DS_OBSERVING)
        req->fetch_xid = xid;
    else
        req->xid = xid;
    return 0;
}

static void wait_append(tether_dm *dm, dm_req *req);

/* No exchange slot (or send-queue room) now: wait in the FIFO, with the
 * request's timeout armed so that a wait cannot outlast it. Returns 0, or
 * TETHER_ERR_BUSY when cfg.slot_wait_max requests already wait. */
static int wait_slot(tether_server *srv, tether_time now, dm_req *req)
{
    tether_dm *dm = srv->dm;
    dm_sess *s = req->sess;

    if (dm->waiting >= srv->cfg.slot_wait_max)
        return TETHER_ERR_BUSY;
    req->state = DS_WAITING;
    (void)tether_heap_push(&dm->timeouts, &req->deadline,
                           now + (req->timeout_ms ? req->timeout_ms : srv->cfg.request_timeout_ms));
    list_append(&s->head, &s->tail, req);
    wait_append(dm, req);
    return 0;
}

static void wait_append(tether_dm *dm, dm_req *req)
{
    req->in_wait = 1;
    req->wnext = NULL;
    req->wprev = dm->wait_tail;
    if (dm->wait_tail != NULL)
        dm->wait_tail->wnext = req;
    else
        dm->wait_head = req;
    dm->wait_tail = req;
    dm->waiting++;
}

int tether_dm_wait_reobserve(tether_server *srv, tether_time now, dm_req *req)
{
    tether_dm *dm = srv->dm;
    int err;

    if (dm->wait_head == NULL) {
        err = tether_dm_send(srv, now, req, NULL);
        if (err != TETHER_ERR_BUSY)
            return err;
    }
    if (dm->waiting >= srv->cfg.slot_wait_max)
        return TETHER_ERR_BUSY;
    wait_append(dm, req);
    return 0;
}

void tether_dm_wait_unlink(tether_dm *dm, dm_req *req)
{
    if (!req->in_wait)
        return;
    req->in_wait = 0;
    if (req->wprev != NULL)
        req->wprev->wnext = req->wnext;
    else
        dm->wait_head = req->wnext;
    if (req->wnext != NULL)
        req->wnext->wprev = req->wprev;
    else
        dm->wait_tail = req->wprev;
    req->wprev = req->wnext = NULL;
    dm->waiting--;
}

void tether_dm_wait_drain(tether_server *srv, tether_time now)
{
    tether_dm *dm = srv->dm;

    while (dm != NULL && dm->wait_head != NULL && !dm->closing) {
        dm_req *req = dm->wait_head;
        int err;

        if (req->state == DS_OBSERVING) {
            /* The GET again after a Register (RFC 7641 §4.1). */
            err = tether_dm_send(srv, now, req, NULL);
            if (err == TETHER_ERR_BUSY)
                return;
            tether_dm_wait_unlink(dm, req);
            if (err != 0)
                TETHER_LOG(srv->cfg.log, srv->cfg.log_user, TETHER_LOG_DEBUG, "server",
                           "ep=%s: observation not observed again: %s", ep_of(srv, req->sess),
                           tether_strerror(err));
            continue;
        }
        req->state = DS_SENT;
        err = tether_dm_send(srv, now, req, NULL);
        if (err == TETHER_ERR_BUSY) {
            req->state = DS_WAITING;
            req->b1_started = 0;
            return;
        }
        if (err != 0) {
            req->state = DS_WAITING;
            req->b1_started = 0;
            tether_dm_fail(srv, now, req, err, "ep=%s: %s not sent: %s", ep_of(srv, req->sess),
                           tether_server_op_name(req->op), tether_strerror(err));
            continue;
        }
        tether_dm_wait_unlink(dm, req);
        dm->in_flight++;
        /* Its timeout counts from now, as for one sent at once. */
        if (tether_heap_contains(&req->deadline))
            tether_heap_remove(&dm->timeouts, &req->deadline);
        (void)tether_heap_push(&dm->timeouts, &req->deadline,
                               now + (req->timeout_ms ? req->timeout_ms : srv->cfg.request_timeout_ms));
    }
}

int tether_dm_start(tether_server *srv, tether_time now, dm_req *req)
{
    tether_dm *dm = srv->dm;
    dm_sess *s = req->sess;
    int err;

    if (s->queue_mode && s->sleeping) {
        if (s->n_queued >= srv->cfg.queue_max)
            return TETHER_ERR_BUSY;
        req->state = DS_QUEUED;
        list_append(&s->q_head, &s->q_tail, req);
        s->n_queued++;
        dm->queued++;
        srv->stats.queued_total++;
        return 0;
    }
    err = tether_dm_heap_reserve(srv, &dm->timeouts);
    if (err != 0)
        return err;
    /* First come, first served: behind what already waits for a slot. */
    if (dm->wait_head != NULL)
        return wait_slot(srv, now, req);
    req->state = DS_SENT;
    err = tether_dm_send(srv, now, req, NULL);
    if (err == TETHER_ERR_BUSY) {
        req->state = DS_NEW;
        req->b1_started = 0;
        return wait_slot(srv, now, req);
    }
    if (err != 0) {
        req->state = DS_NEW;
        req->b1_started = 0;
        return err;
    }
    (void)tether_heap_push(&dm->timeouts, &req->deadline,
                           now + (req->timeout_ms ? req->timeout_ms : srv->cfg.request_timeout_ms));
    list_append(&s->head, &s->tail, req);
    dm->in_flight++;
    return 0;
}

/* --- ending --------------------------------------------------------------------- */

static void sync_done(tether_server *srv, tether_time now, dm_req *req, int status,
                      const tether_server_response *resp);

static const char *ep_of(tether_server *srv, const dm_sess *s)
{
    struct tether_server_reg *rec = tether_dm_rec(srv, s);

    if (rec != NULL)
        return tether_reg_ep(rec);
    return srv->dm->carry_ep;
}

void tether_dm_end(tether_server *srv, tether_time now, dm_req *req, int status,
                   const tether_coap_msg *msg, const uint8_t *body, size_t len,
                   const char *reason)
{
    tether_dm *dm = srv->dm;
    dm_sess *s = req->sess;
    dm_park *park = NULL;
    uint8_t was = req->state;
    tether_server_req_id rid = req->id;
    tether_server_response resp;
    tether_server_link *links = NULL;
    void *values = NULL;
    char why[DM_REASON_MAX];

    if (was == DS_DONE)
        return;
    if (now > dm->last_now)
        dm->last_now = now;
    /* Out of everything first: whatever the callback does sees it gone. */
    req->state = DS_DONE;
    tether_dm_req_unindex(srv, req);
    if (tether_heap_contains(&req->deadline))
        tether_heap_remove(&dm->timeouts, &req->deadline);
    if (was == DS_QUEUED) {
        if (s != NULL) {
            list_unlink(&s->q_head, &s->q_tail, req);
            s->n_queued--;
        } else {
            list_unlink(&dm->carry_head, &dm->carry_tail, req);
        }
        dm->queued--;
    } else if (was == DS_SENT || was == DS_OBSERVING || was == DS_WAITING) {
        list_unlink(&s->head, &s->tail, req);
        if (was == DS_SENT)
            dm->in_flight--;
        else if (was == DS_OBSERVING)
            dm->observations--;
    } else if (was == DS_PARKED) {
        park = req->park;
        if (req->prev != NULL)
            req->prev->next = req->next;
        else
            park->head = req->next;
        if (req->next != NULL)
            req->next->prev = req->prev;
        else
            park->tail = req->prev;
        req->prev = req->next = NULL;
        park->n--;
        park->busy++; /* its ep is resp.ep until the callback returns */
        dm->parked--;
    }
    tether_dm_wait_unlink(dm, req);
    req->cancelling = 1;
    if (!dm->closing) {
        if (req->xid != 0)
            (void)tether_coap_cancel(srv->coap, now, req->xid);
        if (req->fetch_xid != 0)
            (void)tether_coap_cancel(srv->coap, now, req->fetch_xid);
    }
    req->xid = req->fetch_xid = 0;

    snprintf(why, sizeof(why), "%s", status != 0 && reason != NULL ? reason : "");
    memset(&resp, 0, sizeof(resp));
    resp.content_format = TETHER_SERVER_NO_FORMAT;
    resp.created_iid = TETHER_SERVER_NO_IID;
    resp.reason = why;
    resp.id = rid;
    resp.op = (tether_server_op)req->op;
    resp.ep = park != NULL ? park->ep : ep_of(srv, s);
    resp.path = req->path;
    resp.final = 1;
    if (status == 0 && msg != NULL) {
        resp.code = msg->code;
        if (body != NULL && req->b2_active) {
            resp.content_format = req->b2_format;
        } else if (tether_coap_content_format(msg, &resp.content_format) != 0) {
            resp.content_format = TETHER_SERVER_NO_FORMAT;
        }
        resp.payload = body != NULL ? body : msg->payload;
        resp.payload_len = body != NULL ? len : msg->payload_len;
        if (resp.payload_len == 0)
            resp.payload = NULL;
        if (req->kind == DM_USER || req->kind == DM_OBSERVE) {
            tether_dm_parse_answer(srv, req, msg, &resp, &links);
            if ((req->op == TETHER_SERVER_OP_READ || req->op == TETHER_SERVER_OP_OBSERVE) &&
                resp.code == TETHER_COAP_CONTENT)
                resp.values_status =
                    tether_dm_values(srv, &req->path, resp.content_format, resp.payload,
                                     resp.payload_len, &resp, &values);
        }
    } else if (status == 0) {
        status = TETHER_ERR_MALFORMED;
        snprintf(why, sizeof(why), "ep=%s: no answer to report", resp.ep);
    }
    if (status != 0 && (req->kind == DM_USER || req->kind == DM_OBSERVE))
        srv->stats.requests_failed++;
    tether_dm_hold(req);
    switch (req->kind) {
    case DM_USER:
    case DM_OBSERVE:
        if (req->kind == DM_OBSERVE) {
            struct tether_server_reg *rec = tether_dm_rec(srv, s);
            if (rec != NULL) {
                tether_server_event ev;
                memset(&ev, 0, sizeof(ev));
                ev.type = TETHER_SERVER_EV_OBSERVE_END;
                ev.reg = rec;
                ev.status = status;
                ev.code = resp.code;
                ev.resp = &resp;
                tether_server_emit(srv, now, &ev);
            }
        }
        if (status != 0)
            TETHER_LOG(srv->cfg.log, srv->cfg.log_user, TETHER_LOG_DEBUG, "server",
                       "ep=%s: %s ended: %s: %s", resp.ep, tether_server_op_name(req->op),
                       tether_err_name(status), why);
        srv->depth++;
        req->cb(req->arg, now, status, &resp);
        srv->depth--;
        break;
    case DM_OBS_CANCEL:
        TETHER_LOG(srv->cfg.log, srv->cfg.log_user, TETHER_LOG_DEBUG, "server",
                   "ep=%s: observation cancel (Observe 1) answered: %s", resp.ep,
                   status == 0 ? "ok" : why);
        break;
    default:
        if (s != NULL)
            sync_done(srv, now, req, status, &resp);
        break;
    }
    tether_dm_links_free(srv, links);
    if (values != NULL)
        tether_server_alloc(srv, values, 0);
    req->sess = NULL;
    req->park = NULL;
    (void)tether_dm_put(srv, req);
    tether_dm_sess_release(srv, s);
    if (park != NULL) {
        park->busy--;
        tether_dm_park_release(srv, park);
    }
}

void tether_dm_fail(tether_server *srv, tether_time now, dm_req *req, int status,
                    const char *fmt, ...)
{
    char why[DM_REASON_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    tether_dm_end(srv, now, req, status, NULL, NULL, 0, why);
}

/* A sentence for a failure the CoAP layer reported. */
static void fail_coap(tether_server *srv, tether_time now, dm_req *req, int status)
{
    const char *ep = ep_of(srv, req->sess);

    switch (status) {
    case TETHER_ERR_TIMEOUT:
        tether_dm_fail(srv, now, req, status,
                       "ep=%s did not answer %s (CoAP gave up after its retransmissions)", ep,
                       tether_server_op_name(req->op));
        break;
    case TETHER_ERR_RESET:
        tether_dm_fail(srv, now, req, status, "ep=%s answered %s with RST", ep,
                       tether_server_op_name(req->op));
        break;
    case TETHER_ERR_CANCELLED:
        tether_dm_fail(srv, now, req, status, "the server is shutting down");
        break;
    default:
        tether_dm_fail(srv, now, req, status, "ep=%s: %s failed: %s", ep,
                       tether_server_op_name(req->op), tether_strerror(status));
        break;
    }
}

/* --- answers -------------------------------------------------------------------- */

int tether_dm_block2(tether_server *srv, tether_time now, dm_req *req, const tether_coap_msg *msg,
                     size_t *len)
{
    tether_block2_rx_result res;
    int err;

    if (!req->b2_active) {
        tether_coap_block blk;
        uint32_t size2 = 0;
        size_t cap = srv->cfg.max_response_body;

        if (tether_coap_block_get(msg, TETHER_COAP_OPT_BLOCK2, &blk) != 0)
            return TETHER_ERR_MALFORMED;
        if (tether_coap_opt_uint(msg, TETHER_COAP_OPT_SIZE2, &size2) == 0 && size2 > 0) {
            if (size2 > cap)
                return TETHER_ERR_TOO_LARGE;
            /* Size2 is an estimate (RFC 7959 §4): leave a block of slack. */
            if ((size_t)size2 + 1024 < cap)
                cap = (size_t)size2 + 1024;
        }
        rx_free(srv, req);
        req->rx = tether_server_alloc(srv, NULL, cap);
        if (req->rx == NULL)
            return TETHER_ERR_NOMEM;
        req->rx_cap = cap;
        err = tether_block2_rx_init(&req->b2, req->rx, cap, blk.szx);
        if (err != 0)
            return err;
        req->b2_active = 1;
        if (tether_coap_content_format(msg, &req->b2_format) != 0)
            req->b2_format = TETHER_SERVER_NO_FORMAT;
    }
    err = tether_block2_rx_feed(&req->b2, msg, &res);
    if (err != 0)
        return err;
    if (res.complete) {
        *len = res.len;
        return 1;
    }
    return tether_dm_send(srv, now, req, &res.next);
}

/* Nonzero when msg is a 2.xx that is one block of several (so the rest must
 * be fetched), or a block of a transfer in progress. */
static int wants_block2(const dm_req *req, const tether_coap_msg *msg)
{
    tether_coap_block blk;

    if (TETHER_COAP_CLASS(msg->code) != 2 ||
        tether_coap_block_get(msg, TETHER_COAP_OPT_BLOCK2, &blk) != 0)
        return 0;
    return req->b2_active || blk.more || blk.num > 0;
}

static const char *block_sentence(int err)
{
    switch (err) {
    case TETHER_ERR_TOO_LARGE: return "its answer is larger than max_response_body";
    case TETHER_ERR_BLOCK_INCOMPLETE: return "a Block2 block came out of order or its ETag changed";
    case TETHER_ERR_MALFORMED: return "a Block2 block was malformed";
    case TETHER_ERR_NOMEM: return "out of memory for its answer";
    default: return tether_strerror(err);
    }
}

/* The exchange callback of every request but an observation's GET (and of
 * an observation's Block2 fetches). */
static void xch_done(void *arg, tether_time now, int status, const tether_coap_msg *msg)
{
    dm_req *req = arg;
    tether_server *srv = req->srv;
    int fetch = req->state == DS_OBSERVING;
    char id[TETHER_SERVER_ID_LEN + 1];
    size_t len = 0;
    int rc;

    if (req->cancelling || req->state == DS_DONE)
        return;
    if (fetch)
        req->fetch_xid = 0;
    else
        req->xid = 0;
    if (status != 0 || msg == NULL) {
        if (fetch)
            tether_dm_obs_fetched(srv, now, req, status != 0 ? status : TETHER_ERR_MALFORMED,
                                  NULL, 0);
        else
            fail_coap(srv, now, req, status != 0 ? status : TETHER_ERR_MALFORMED);
        return;
    }
    memcpy(id, req->sess->id, sizeof(id));
    if (!fetch && req->b1_started) {
        int more = 0;
        rc = tether_block1_tx_on_response(&req->b1, msg, &more);
        if (rc == 0 && more) {
            rc = tether_dm_send(srv, now, req, NULL);
            if (rc != 0)
                tether_dm_fail(srv, now, req, rc, "ep=%s: the next Block1 block of %s was not sent: %s",
                               ep_of(srv, req->sess), tether_server_op_name(req->op),
                               tether_strerror(rc));
            goto spoke;
        }
        if (rc == TETHER_ERR_MALFORMED) {
            tether_dm_fail(srv, now, req, rc, "ep=%s broke the Block1 transfer of %s off",
                           ep_of(srv, req->sess), tether_server_op_name(req->op));
            goto spoke;
        }
        /* Otherwise msg is the final answer (4.13 and 4.08 included). */
    }
    if (wants_block2(req, msg)) {
        rc = tether_dm_block2(srv, now, req, msg, &len);
        if (rc == 1) {
            if (fetch)
                tether_dm_obs_fetched(srv, now, req, 0, req->rx, len);
            else
                tether_dm_end(srv, now, req, 0, msg, req->rx, len, NULL);
        } else if (rc < 0) {
            if (fetch)
                tether_dm_obs_fetched(srv, now, req, rc, NULL, 0);
            else
                tether_dm_fail(srv, now, req, rc == TETHER_ERR_TOO_LARGE ? rc : TETHER_ERR_MALFORMED,
                               "ep=%s: %s: %s", ep_of(srv, req->sess),
                               tether_server_op_name(req->op), block_sentence(rc));
        }
        goto spoke;
    }
    if (fetch)
        tether_dm_obs_fetched(srv, now, req,
                              TETHER_COAP_CLASS(msg->code) == 2 ? 0 : TETHER_ERR_UNSUPPORTED,
                              msg->payload, msg->payload_len);
    else
        tether_dm_end(srv, now, req, 0, msg, NULL, 0, NULL);
spoke:
    tether_dm_spoke(srv, now, id);
}

/* --- timeouts ------------------------------------------------------------------ */

tether_time tether_server_dm_next_deadline(const tether_server *srv)
{
    const tether_dm *dm = srv->dm;
    tether_time t = TETHER_TIME_NEVER;
    tether_heap_entry *e;

    if (dm == NULL)
        return t;
    e = tether_heap_top(&dm->timeouts);
    if (e != NULL)
        t = e->key;
    e = tether_heap_top(&dm->sleeps);
    if (e != NULL && e->key < t)
        t = e->key;
    if (tether_dm_obs_park_deadline(srv) < t)
        t = tether_dm_obs_park_deadline(srv);
    return t;
}

void tether_server_dm_on_timeout(tether_server *srv, tether_time now)
{
    tether_dm *dm = srv->dm;
    tether_heap_entry *e;

    while ((e = tether_heap_top(&dm->timeouts)) != NULL && e->key <= now) {
        dm_req *req = REQ_OF(e, deadline);
        tether_heap_remove(&dm->timeouts, e);
        tether_dm_fail(srv, now, req, TETHER_ERR_TIMEOUT, "ep=%s did not answer %s within %u ms",
                       ep_of(srv, req->sess), tether_server_op_name(req->op),
                       (unsigned)(req->timeout_ms ? req->timeout_ms
                                                  : srv->cfg.request_timeout_ms));
    }
    tether_dm_queue_expire(srv, now);
    tether_dm_obs_park_expire(srv, now);
    tether_dm_wait_drain(srv, now);
}

/* --- the registration interface's hooks --------------------------------------- */

void tether_server_dm_gone(tether_server *srv, tether_time now, struct tether_server_reg *rec,
                           tether_server_event_type why)
{
    tether_dm *dm = srv->dm;
    dm_sess *s = tether_dm_sess_find(srv, rec->id);
    char reason[DM_REASON_MAX];

    if (s == NULL)
        return;
    switch (why) {
    case TETHER_SERVER_EV_DEREGISTERED:
        snprintf(reason, sizeof(reason), "ep=%s de-registered", tether_reg_ep(rec));
        break;
    case TETHER_SERVER_EV_EXPIRED:
        snprintf(reason, sizeof(reason), "ep=%s's registration expired (R6)", tether_reg_ep(rec));
        break;
    default:
        snprintf(reason, sizeof(reason), "ep=%s registered again (R15): its old registration is gone",
                 tether_reg_ep(rec));
        break;
    }
    dm->gone = rec;
    s->busy++;
    /* R21: established observations wait for the endpoint's next Register. */
    tether_dm_obs_park(srv, now, s, rec, reason);
    while (s->head != NULL)
        tether_dm_end(srv, now, s->head, TETHER_ERR_CANCELLED, NULL, NULL, 0, reason);
    if (why == TETHER_SERVER_EV_REPLACED && s->q_head != NULL) {
        /* Queued requests were addressed to the endpoint: they wait for the
         * new registration (tether_server_dm_registered()). */
        snprintf(dm->carry_ep, sizeof(dm->carry_ep), "%s", tether_reg_ep(rec));
        while (s->q_head != NULL) {
            dm_req *r = s->q_head;
            list_unlink(&s->q_head, &s->q_tail, r);
            s->n_queued--;
            r->sess = NULL;
            list_append(&dm->carry_head, &dm->carry_tail, r);
        }
    }
    while (s->q_head != NULL)
        tether_dm_end(srv, now, s->q_head, TETHER_ERR_CANCELLED, NULL, NULL, 0, reason);
    s->busy--;
    dm->gone = NULL;
    s->queue_mode = 0;
    sess_free(srv, s);
}

static void carry_cancel(tether_server *srv, tether_time now, const char *why)
{
    tether_dm *dm = srv->dm;

    while (dm->carry_head != NULL)
        tether_dm_fail(srv, now, dm->carry_head, TETHER_ERR_CANCELLED, "ep=%s %s",
                       dm->carry_ep, why);
}

void tether_server_dm_registered(tether_server *srv, tether_time now,
                                 struct tether_server_reg *rec)
{
    tether_dm *dm = srv->dm;
    dm_sess *s = NULL;

    if (rec->flags & TETHER_REG_QUEUE) {
        s = tether_dm_sess_get(srv, rec);
        if (s != NULL)
            tether_dm_queue_mode(srv, now, s, 1);
    }
    tether_dm_obs_unpark(srv, now, rec);
    if (dm->carry_head == NULL)
        return;
    if (s == NULL)
        s = tether_dm_sess_get(srv, rec);
    if (s == NULL) {
        carry_cancel(srv, now, "registered again; out of memory for its queued requests");
        return;
    }
    while (dm->carry_head != NULL) {
        dm_req *r = dm->carry_head;
        list_unlink(&dm->carry_head, &dm->carry_tail, r);
        r->sess = s;
        list_append(&s->q_head, &s->q_tail, r);
        s->n_queued++;
    }
    s->busy++;
    tether_dm_queue_flush(srv, now, s);
    s->busy--;
    tether_dm_sess_release(srv, s);
}

void tether_server_dm_register_failed(tether_server *srv, tether_time now)
{
    carry_cancel(srv, now, "registered again, but the new registration failed");
}

void tether_server_dm_updated(tether_server *srv, tether_time now, struct tether_server_reg *rec,
                              unsigned changed)
{
    dm_sess *s = tether_dm_sess_find(srv, rec->id);
    int q = (rec->flags & TETHER_REG_QUEUE) != 0;

    (void)changed; /* a new address (R14) keeps observations: notifications
                      are taken from wherever the registration now is */
    if (s == NULL) {
        if (!q)
            return;
        s = tether_dm_sess_get(srv, rec);
        if (s == NULL)
            return;
    }
    s->busy++;
    tether_dm_queue_mode(srv, now, s, q);
    tether_dm_queue_touch(srv, now, s);
    s->busy--;
    tether_dm_sess_release(srv, s);
}

void tether_dm_spoke(tether_server *srv, tether_time now, const char *id)
{
    dm_sess *s = tether_dm_sess_find(srv, id);

    if (s == NULL)
        return;
    s->busy++;
    tether_dm_queue_touch(srv, now, s);
    s->busy--;
    tether_dm_sess_release(srv, s);
}

void tether_server_dm_stats(const tether_server *srv, tether_server_stats *out)
{
    const tether_dm *dm = srv->dm;

    out->in_flight = dm->in_flight;
    out->observations = dm->observations;
    out->queued = dm->queued;
    out->parked = dm->parked;
    out->waiting = dm->waiting;
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
static int parse_lifetime_resource(const tether_server_response *resp, uint32_t *lt)
{
    uint32_t fmt = resp->content_format == TETHER_SERVER_NO_FORMAT ? TETHER_FMT_TEXT
                                                                    : resp->content_format;
    tether_lwm2m_value v;

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
static int parse_server_object(const tether_server_response *resp, uint16_t ssid,
                               uint16_t *iid, uint32_t *lt, int *has_lt)
{
    tether_tlv_iter it;
    tether_tlv_entry e;
    uint32_t fmt = resp->content_format == TETHER_SERVER_NO_FORMAT ? TETHER_FMT_TLV
                                                                    : resp->content_format;
    int found = 0, instances = 0;

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

/* An internal request to rec; internal ones have no id and no callback. */
static int sync_send(tether_server *srv, tether_time now, struct tether_server_reg *rec,
                     uint8_t kind, uint8_t method, const tether_lwm2m_path *p, uint32_t format,
                     uint32_t accept, const void *body, size_t len)
{
    dm_req *req;
    dm_sess *s;
    int err;

    s = tether_dm_sess_get(srv, rec);
    if (s == NULL)
        return TETHER_ERR_NOMEM;
    req = tether_dm_req_new(srv, kind, body, len);
    if (req == NULL) {
        tether_dm_sess_release(srv, s);
        return TETHER_ERR_NOMEM;
    }
    req->sess = s;
    req->op = method == TETHER_COAP_PUT ? TETHER_SERVER_OP_WRITE : TETHER_SERVER_OP_READ;
    req->method = method;
    req->path = *p;
    req->format = format;
    req->accept = accept;
    err = tether_dm_start(srv, now, req);
    if (err != 0) {
        req->sess = NULL;
        req_free(srv, req);
        tether_dm_sess_release(srv, s);
    }
    return err;
}

static int sync_write(tether_server *srv, tether_time now, struct tether_server_reg *rec,
                      uint16_t iid)
{
    tether_lwm2m_path p = tether_lwm2m_path_make(3, 1, iid, 1, 0);
    char text[12];
    int n = snprintf(text, sizeof(text), "%u", (unsigned)srv->cfg.default_lifetime_s);

    return sync_send(srv, now, rec, DM_SYNC_WRITE, TETHER_COAP_PUT, &p, TETHER_FMT_TEXT,
                     TETHER_SERVER_NO_FORMAT, text, (size_t)n);
}

static void sync_done(tether_server *srv, tether_time now, dm_req *req, int status,
                      const tether_server_response *resp)
{
    struct tether_server_reg *rec =
        tether_registry_find_id(&srv->reg, req->sess->id, TETHER_SERVER_ID_LEN);
    uint8_t kind = req->kind;
    tether_server_lifetime_sync via =
        kind == DM_SYNC_READ_RES || kind == DM_SYNC_READ_OBJ ? TETHER_SERVER_SYNC_READ
                                                             : TETHER_SERVER_SYNC_WRITE;
    uint8_t code = resp->code;
    uint32_t lt = 0;
    uint16_t iid = 0;
    int has_lt = 0, err;

    /* Gone, replaced, or overtaken by an Update carrying lt: old news. */
    if (rec == NULL || !(rec->flags & TETHER_REG_SYNCING) || srv->freeing)
        return;
    if (status != 0) {
        sync_event(srv, now, rec, status, 0, via);
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
    int err;

    for (size_t i = 0; i < rec->n_objs; i++) {
        if (rec->objs[i].oid == 1 && rec->objs[i].iid != TETHER_SERVER_NO_IID) {
            instances++;
            iid = rec->objs[i].iid;
        }
    }
    /* Set first: the request may complete (fail) before this returns. */
    rec->flags |= TETHER_REG_SYNCING;
    if (srv->cfg.lifetime_sync == TETHER_SERVER_SYNC_WRITE && instances == 1) {
        err = sync_write(srv, now, rec, iid);
    } else if (srv->cfg.lifetime_sync == TETHER_SERVER_SYNC_WRITE) {
        p = tether_lwm2m_path_make(1, 1, 0, 0, 0);
        err = sync_send(srv, now, rec, DM_SYNC_FIND_OBJ, TETHER_COAP_GET, &p,
                        TETHER_SERVER_NO_FORMAT, TETHER_FMT_TLV, NULL, 0);
    } else if (instances == 1) {
        p = tether_lwm2m_path_make(3, 1, iid, 1, 0);
        err = sync_send(srv, now, rec, DM_SYNC_READ_RES, TETHER_COAP_GET, &p,
                        TETHER_SERVER_NO_FORMAT, TETHER_SERVER_NO_FORMAT, NULL, 0);
    } else {
        p = tether_lwm2m_path_make(1, 1, 0, 0, 0);
        err = sync_send(srv, now, rec, DM_SYNC_READ_OBJ, TETHER_COAP_GET, &p,
                        TETHER_SERVER_NO_FORMAT, TETHER_FMT_TLV, NULL, 0);
    }
    if (err != 0)
        sync_event(srv, now, rec, err, 0, srv->cfg.lifetime_sync);
}

/* --- the embedder's requests --------------------------------------------------- */

int tether_server_submit(tether_server *srv, tether_time now, const char *ep,
                         const tether_server_request *r, tether_server_response_fn cb,
                         void *arg, tether_server_req_id *id)
{
    struct tether_server_reg *rec;
    tether_lwm2m_path p;
    const char *why = NULL;
    dm_sess *s;
    dm_req *req;
    int err;

    if (srv == NULL || ep == NULL || r == NULL || cb == NULL ||
        (r->len > 0 && r->payload == NULL))
        return TETHER_ERR_INVAL;
    srv->errmsg[0] = '\0';
    if (srv->freeing)
        return TETHER_ERR_STATE;
    if (r->path == NULL || tether_lwm2m_path_parse(&p, r->path, strlen(r->path)) != 0) {
        tether_server_set_err(srv, "%s is not an LwM2M path", r->path ? r->path : "(null)");
        return TETHER_ERR_INVAL;
    }
    if (tether_dm_op_check(r, &p, &why) != 0) {
        tether_server_set_err(srv, "%s %s refused: %s", tether_server_op_name(r->op), r->path, why);
        return TETHER_ERR_INVAL;
    }
    if (r->len > srv->cfg.max_request_body) {
        tether_server_set_err(srv, "%s %s to ep=%s refused: %zu bytes is over max_request_body (%zu)",
                              tether_server_op_name(r->op), r->path, ep, r->len,
                              srv->cfg.max_request_body);
        return TETHER_ERR_TOO_LARGE;
    }
    rec = tether_registry_find_ep(&srv->reg, ep, strlen(ep));
    if (rec == NULL) {
        tether_server_set_err(srv, "ep=%s is not registered", ep);
        return TETHER_ERR_NOT_FOUND;
    }
    s = tether_dm_sess_get(srv, rec);
    req = s != NULL ? tether_dm_req_new(srv, r->op == TETHER_SERVER_OP_OBSERVE ? DM_OBSERVE : DM_USER,
                                        r->payload, r->len)
                    : NULL;
    if (req == NULL) {
        tether_dm_sess_release(srv, s);
        tether_server_set_err(srv, "%s %s to ep=%s: out of memory", tether_server_op_name(r->op),
                              r->path, ep);
        return TETHER_ERR_NOMEM;
    }
    req->sess = s;
    req->cb = cb;
    req->arg = arg;
    req->op = (uint8_t)r->op;
    req->method = tether_dm_op_method(r->op);
    req->path = p;
    if (r->timeout_ms != 0)
        req->timeout_ms = r->timeout_ms;
    switch (r->op) {
    case TETHER_SERVER_OP_WRITE:
    case TETHER_SERVER_OP_WRITE_PARTIAL:
    case TETHER_SERVER_OP_CREATE:
        req->format = r->format;
        break;
    case TETHER_SERVER_OP_EXECUTE:
        if (r->len > 0)
            req->format = TETHER_FMT_TEXT;
        break;
    case TETHER_SERVER_OP_READ:
    case TETHER_SERVER_OP_OBSERVE:
        req->accept = r->accept;
        break;
    case TETHER_SERVER_OP_DISCOVER:
        req->accept = TETHER_FMT_LINK;
        break;
    case TETHER_SERVER_OP_WRITE_ATTRS:
        req->attrs = *r->attrs;
        break;
    default:
        break;
    }
    for (int tries = 0;; tries++) {
        if (req->kind == DM_OBSERVE) {
            err = tether_dm_obs_token(srv, req);
        } else {
            do
                err = tether_dm_req_index(srv, req, ++srv->dm->next_id);
            while (err == TETHER_ERR_EXISTS);
        }
        if (err == 0)
            err = tether_dm_start(srv, now, req);
        /* A token another request to this peer happens to use: draw again. */
        if (err == TETHER_ERR_EXISTS && req->kind == DM_OBSERVE && tries < 4) {
            tether_dm_req_unindex(srv, req);
            continue;
        }
        break;
    }
    if (err != 0) {
        tether_dm_req_unindex(srv, req);
        req->sess = NULL;
        req_free(srv, req);
        tether_dm_sess_release(srv, s);
        if (err == TETHER_ERR_BUSY && s != NULL && s->queue_mode && s->sleeping)
            tether_server_set_err(srv, "%s %s to ep=%s refused: it is sleeping and its queue of %u requests is full",
                                  tether_server_op_name(r->op), r->path, ep,
                                  (unsigned)srv->cfg.queue_max);
        else
            tether_server_set_err(srv, "%s %s to ep=%s not sent: %s", tether_server_op_name(r->op),
                                  r->path, ep, tether_strerror(err));
        return err;
    }
    srv->stats.requests++;
    if (id != NULL)
        *id = req->id;
    return 0;
}

int tether_server_cancel(tether_server *srv, tether_time now, tether_server_req_id id,
                         tether_server_cancel_mode mode)
{
    dm_req *req;
    dm_req *c = NULL;
    struct tether_server_reg *rec;

    if (srv == NULL || srv->dm == NULL)
        return TETHER_ERR_INVAL;
    req = id != 0 ? tether_dm_req_find(srv, id) : NULL;
    if (req == NULL)
        return TETHER_ERR_NOT_FOUND;
    rec = tether_dm_rec(srv, req->sess);
    /* RFC 7641 §3.6: GET with Observe 1 and the observation's token; it
     * goes out after any exchange of the observation (its GET again after
     * a Register) is cancelled, so the token is free. A parked one has no
     * registration to send to: its cancel is passive. */
    if (mode == TETHER_SERVER_CANCEL_ACTIVE && req->kind == DM_OBSERVE && rec != NULL &&
        (req->state == DS_SENT || req->state == DS_OBSERVING)) {
        c = tether_dm_req_new(srv, DM_OBS_CANCEL, NULL, 0);
        if (c != NULL) {
            memcpy(c->token, req->token, sizeof(c->token));
            c->op = TETHER_SERVER_OP_OBSERVE;
            c->method = TETHER_COAP_GET;
            c->path = req->path;
            c->accept = req->accept;
        }
    }
    tether_dm_fail(srv, now, req, TETHER_ERR_CANCELLED, "cancelled by the caller");
    if (c != NULL) {
        dm_sess *s = tether_dm_sess_get(srv, rec);
        int err = s != NULL ? 0 : TETHER_ERR_NOMEM;
        c->sess = s;
        if (err == 0)
            err = tether_dm_start(srv, now, c);
        if (err != 0) {
            TETHER_LOG(srv->cfg.log, srv->cfg.log_user, TETHER_LOG_DEBUG, "server",
                       "ep=%s: observation cancel (Observe 1) not sent: %s", tether_reg_ep(rec),
                       tether_strerror(err));
            c->sess = NULL;
            req_free(srv, c);
            tether_dm_sess_release(srv, s);
        }
    }
    tether_dm_wait_drain(srv, now); /* its slot may be free now */
    return 0;
}

static int simple(tether_server *srv, tether_time now, const char *ep, tether_server_op op,
                  const char *path, uint32_t format, uint32_t accept, const void *payload,
                  size_t len, tether_server_response_fn cb, void *arg)
{
    tether_server_request r;

    memset(&r, 0, sizeof(r));
    r.op = op;
    r.path = path;
    r.format = format;
    r.accept = accept;
    r.payload = payload;
    r.len = len;
    return tether_server_submit(srv, now, ep, &r, cb, arg, NULL);
}

int tether_server_read(tether_server *srv, tether_time now, const char *ep, const char *path,
                       uint32_t accept, tether_server_response_fn cb, void *arg)
{
    return simple(srv, now, ep, TETHER_SERVER_OP_READ, path, TETHER_SERVER_NO_FORMAT, accept,
                  NULL, 0, cb, arg);
}

int tether_server_write(tether_server *srv, tether_time now, const char *ep, const char *path,
                        uint32_t format, const void *payload, size_t len, int partial,
                        tether_server_response_fn cb, void *arg)
{
    return simple(srv, now, ep, partial ? TETHER_SERVER_OP_WRITE_PARTIAL : TETHER_SERVER_OP_WRITE,
                  path, format, TETHER_SERVER_NO_FORMAT, payload, len, cb, arg);
}

int tether_server_execute(tether_server *srv, tether_time now, const char *ep,
                          const char *path, const void *args, size_t len,
                          tether_server_response_fn cb, void *arg)
{
    return simple(srv, now, ep, TETHER_SERVER_OP_EXECUTE, path, TETHER_SERVER_NO_FORMAT,
                  TETHER_SERVER_NO_FORMAT, args, len, cb, arg);
}

int tether_server_discover(tether_server *srv, tether_time now, const char *ep,
                           const char *path, tether_server_response_fn cb, void *arg)
{
    return simple(srv, now, ep, TETHER_SERVER_OP_DISCOVER, path, TETHER_SERVER_NO_FORMAT,
                  TETHER_SERVER_NO_FORMAT, NULL, 0, cb, arg);
}

int tether_server_create(tether_server *srv, tether_time now, const char *ep, const char *path,
                         uint32_t format, const void *payload, size_t len,
                         tether_server_response_fn cb, void *arg)
{
    return simple(srv, now, ep, TETHER_SERVER_OP_CREATE, path, format, TETHER_SERVER_NO_FORMAT,
                  payload, len, cb, arg);
}

int tether_server_delete(tether_server *srv, tether_time now, const char *ep, const char *path,
                         tether_server_response_fn cb, void *arg)
{
    return simple(srv, now, ep, TETHER_SERVER_OP_DELETE, path, TETHER_SERVER_NO_FORMAT,
                  TETHER_SERVER_NO_FORMAT, NULL, 0, cb, arg);
}

int tether_server_write_attrs(tether_server *srv, tether_time now, const char *ep,
                              const char *path, const tether_server_attrs *attrs,
                              tether_server_response_fn cb, void *arg)
{
    tether_server_request r;

    memset(&r, 0, sizeof(r));
    r.op = TETHER_SERVER_OP_WRITE_ATTRS;
    r.path = path;
    r.attrs = attrs;
    return tether_server_submit(srv, now, ep, &r, cb, arg, NULL);
}

int tether_server_observe(tether_server *srv, tether_time now, const char *ep,
                          const char *path, uint32_t accept, tether_server_response_fn cb,
                          void *arg, tether_server_req_id *id)
{
    tether_server_request r;

    memset(&r, 0, sizeof(r));
    r.op = TETHER_SERVER_OP_OBSERVE;
    r.path = path;
    r.accept = accept;
    return tether_server_submit(srv, now, ep, &r, cb, arg, id);
}
