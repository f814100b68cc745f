/* SPDX-License-Identifier: Apache-2.0 */
/* Information Reporting on the server (LwM2M 1.0 §5.5, RFC 7641):
 * observations, their notifications, and their end.
 *
 * An observation is a request (dm_req, kind DM_OBSERVE) whose GET carries
 * Observe 0 and a token we draw ourselves (8 bytes). The GET is a plain
 * exchange that ends with its answer; from then on the observation holds
 * no CoAP exchange slot. It is indexed by its token (its id, O(1)): the
 * CoAP layer hands every response it cannot match to
 * tether_dm_obs_notify(), which takes it (empty ACK for a CON) when the
 * token is an observation's and the sender is the registration's current
 * address (R14), and has it rejected with RST otherwise (RFC 7641 §3.6).
 * tether_server_cancel() finds an observation the same way.
 *
 * Across registrations (R21): when a registration ends (De-register,
 * expiry, a new Register of the same endpoint) its established
 * observations are parked under the endpoint name, for cfg.obs_park_s and
 * at most cfg.obs_park_max of them in all (the oldest park gives way).
 * When the endpoint registers again they join the new registration and
 * each is observed again with its own token (RFC 7641 §4.1: the client
 * replaces its entry, or makes it again after a reboot), so notifications
 * the client stored while disabled or offline are taken, in order, on the
 * same callback. While parked, notifications from the registration's last
 * address are still taken.
 *
 * Order: notifications can overtake each other on UDP. One is delivered
 * only when it is fresher than the last delivered by RFC 7641 §3.4's rule
 * on the 24-bit Observe values V and arrival times T:
 *   (V1 < V2 and V2 - V1 < 2^23) or (V1 > V2 and V1 - V2 > 2^23)
 *   or T2 > T1 + 128 s
 * and dropped (counted in stale_notifications) otherwise.
 *
 * A notification sent in blocks (RFC 7959 §2.6: its first block carries
 * Block2 with M=1) is completed with GETs for the other blocks, without
 * Observe; a newer notification abandons a fetch still running.
 *
 * Ends: the client's answer without Observe or with an error code (final
 * callback, status 0); an RST or no answer to the first GET; cancellation
 * (tether_server_cancel(): passive forgets the token, so the client's next
 * notification is answered with RST by the CoAP layer; active also sends
 * GET with Observe 1 and the same token); the registration going away
 * with the observation still unanswered, or
 * parked for longer than cfg.obs_park_s (TETHER_ERR_CANCELLED with a
 * reason). A client moving to a new address keeps its observations:
 * their notifications are taken from the new one. Each end
 * is also a TETHER_SERVER_EV_OBSERVE_END event, every delivered
 * notification a TETHER_SERVER_EV_NOTIFICATION event. */
#define TETHER_ALLOW_ALLOC
#include <string.h>

#include "common/log_internal.h"
#include "server/dm_internal.h"
#include "tether_poison.h"

int tether_dm_obs_fresh(uint32_t v1, tether_time t1, uint32_t v2, tether_time t2)
{
    const uint32_t half = 1u << 23;

    v1 &= 0xFFFFFFu;
    v2 &= 0xFFFFFFu;
    if (v1 < v2 && v2 - v1 < half)
        return 1;
    if (v1 > v2 && v1 - v2 > half)
        return 1;
    return t2 > t1 + 128000u;
}

int tether_dm_obs_token(tether_server *srv, dm_req *req)
{
    for (int tries = 0; tries < 8; tries++) {
        uint8_t t[8];
        tether_server_req_id id = 0;
        tether_server_random(&srv->cfg, t, sizeof(t));
        for (int i = 0; i < 8; i++)
            id = id << 8 | t[i];
        if (tether_dm_req_index(srv, req, id) == 0) {
            memcpy(req->token, t, sizeof(t));
            return 0;
        }
    }
    return TETHER_ERR_BUSY;
}

/* Hand one notification to the embedder: the event, then the callback. */
static void deliver(tether_server *srv, tether_time now, dm_req *req, uint8_t code, uint32_t cf,
                    const uint8_t *payload, size_t len, uint32_t seq)
{
    struct tether_server_reg *rec = tether_dm_rec(srv, req->sess);
    tether_server_response resp;
    tether_server_event ev;
    void *values = NULL;

    memset(&resp, 0, sizeof(resp));
    resp.code = code;
    resp.content_format = cf;
    resp.payload = len > 0 ? payload : NULL;
    resp.payload_len = len;
    resp.reason = "";
    resp.id = req->id;
    resp.op = TETHER_SERVER_OP_OBSERVE;
    resp.ep = req->park != NULL ? req->park->ep : rec != NULL ? tether_reg_ep(rec) : "";
    resp.path = req->path;
    resp.created_iid = TETHER_SERVER_NO_IID;
    resp.observe_seq = seq;
    resp.has_seq = 1;
    resp.final = 0;
    if (code == TETHER_COAP_CONTENT)
        resp.values_status = tether_dm_values(srv, &req->path, cf, payload, len, &resp, &values);
    srv->stats.notifications++;
    tether_dm_hold(req);
    if (rec != NULL) {
        memset(&ev, 0, sizeof(ev));
        ev.type = TETHER_SERVER_EV_NOTIFICATION;
        ev.reg = rec;
        ev.code = code;
        ev.resp = &resp;
        tether_server_emit(srv, now, &ev);
    }
    if (req->state != DS_DONE) {
        srv->depth++;
        req->cb(req->arg, now, 0, &resp);
        srv->depth--;
    }
    if (values != NULL)
        tether_server_alloc(srv, values, 0);
    (void)tether_dm_put(srv, req);
}

/* Stop a Block2 fetch still running for an older notification. */
static void fetch_abandon(tether_server *srv, tether_time now, dm_req *req)
{
    if (req->fetch_xid != 0) {
        req->cancelling = 1;
        (void)tether_coap_cancel(srv->coap, now, req->fetch_xid);
        req->cancelling = 0;
        req->fetch_xid = 0;
    }
    if (req->rx != NULL)
        tether_server_alloc(srv, req->rx, 0);
    req->rx = NULL;
    req->rx_cap = 0;
    req->b2_active = 0;
}

void tether_dm_obs_fetched(tether_server *srv, tether_time now, dm_req *req, int status,
                           const uint8_t *body, size_t len)
{
    if (status != 0) {
        struct tether_server_reg *rec = tether_dm_rec(srv, req->sess);
        TETHER_LOG(srv->cfg.log, srv->cfg.log_user, TETHER_LOG_DEBUG, "server",
                   "ep=%s: a notification in blocks was dropped: %s",
                   rec != NULL ? tether_reg_ep(rec) : "?", tether_strerror(status));
        fetch_abandon(srv, now, req);
        return;
    }
    tether_dm_hold(req);
    deliver(srv, now, req, TETHER_COAP_CONTENT, req->b2_active ? req->b2_format : TETHER_SERVER_NO_FORMAT,
            body, len, req->pending_seq);
    if (tether_dm_put(srv, req))
        fetch_abandon(srv, now, req);
}

/* The endpoint name of req: its registration's, or its park's. */
static const char *obs_ep(tether_server *srv, const dm_req *req)
{
    struct tether_server_reg *rec;

    if (req->park != NULL)
        return req->park->ep;
    rec = tether_dm_rec(srv, req->sess);
    return rec != NULL ? tether_reg_ep(rec) : "?";
}

/* One answer for observation req: the answer to its GET (first or again
 * after a new Register), or a notification. */
static void obs_answer(tether_server *srv, tether_time now, dm_req *req, const tether_coap_msg *msg)
{
    tether_dm *dm = srv->dm;
    tether_coap_block blk;
    uint32_t seq = 0;
    int final;

    /* RFC 7641 §3.2, §4.1: an error code or no Observe option ends it. */
    final = TETHER_COAP_CLASS(msg->code) >= 4 || tether_coap_observe(msg, &seq) != 0;
    if (final) {
        if (req->state == DS_PARKED) {
            tether_dm_end(srv, now, req, 0, msg, NULL, 0, NULL);
            return;
        }
        if (req->state == DS_OBSERVING) {
            fetch_abandon(srv, now, req);
            if (req->xid != 0) {
                req->cancelling = 1;
                (void)tether_coap_cancel(srv->coap, now, req->xid);
                req->cancelling = 0;
                req->xid = 0;
            }
            req->state = DS_SENT; /* a plain answer now; counted as in flight */
            dm->observations--;
            dm->in_flight++;
        }
        if (TETHER_COAP_CLASS(msg->code) == 2 &&
            tether_coap_block_get(msg, TETHER_COAP_OPT_BLOCK2, &blk) == 0 &&
            (blk.more || blk.num > 0)) {
            size_t len = 0;
            int rc = tether_dm_block2(srv, now, req, msg, &len);
            if (rc == 1)
                tether_dm_end(srv, now, req, 0, msg, req->rx, len, NULL);
            else if (rc < 0)
                tether_dm_fail(srv, now, req, rc == TETHER_ERR_TOO_LARGE ? rc : TETHER_ERR_MALFORMED,
                               "ep=%s: the answer to observe came in blocks we could not take: %s",
                               obs_ep(srv, req), tether_strerror(rc));
        } else {
            tether_dm_end(srv, now, req, 0, msg, NULL, 0, NULL);
        }
        return;
    }
    if (req->state == DS_SENT) {
        /* Established: no deadline, no exchange; found by token from now on. */
        req->state = DS_OBSERVING;
        if (tether_heap_contains(&req->deadline))
            tether_heap_remove(&dm->timeouts, &req->deadline);
        dm->in_flight--;
        dm->observations++;
    }
    if (req->has_seq && !tether_dm_obs_fresh(req->seq, req->seq_time, seq, now)) {
        srv->stats.stale_notifications++;
        TETHER_LOG(srv->cfg.log, srv->cfg.log_user, TETHER_LOG_DEBUG, "server",
                   "ep=%s: stale notification %u after %u dropped (RFC 7641 3.4)",
                   obs_ep(srv, req), (unsigned)seq, (unsigned)req->seq);
        return;
    }
    req->has_seq = 1;
    req->seq = seq;
    req->seq_time = now;
    if (TETHER_COAP_CLASS(msg->code) == 2 &&
        tether_coap_block_get(msg, TETHER_COAP_OPT_BLOCK2, &blk) == 0 && (blk.more || blk.num > 0)) {
        size_t len = 0;
        int rc;
        fetch_abandon(srv, now, req);
        req->pending_seq = seq;
        rc = tether_dm_block2(srv, now, req, msg, &len);
        if (rc == 1)
            tether_dm_obs_fetched(srv, now, req, 0, req->rx, len);
        else if (rc < 0)
            tether_dm_obs_fetched(srv, now, req, rc, NULL, 0);
        return;
    }
    {
        uint32_t cf;
        if (tether_coap_content_format(msg, &cf) != 0)
            cf = TETHER_SERVER_NO_FORMAT;
        deliver(srv, now, req, msg->code, cf, msg->payload, msg->payload_len, seq);
    }
}

void tether_dm_obs_done(void *arg, tether_time now, int status, const tether_coap_msg *msg)
{
    dm_req *req = arg;
    tether_server *srv = req->srv;
    char id[TETHER_SERVER_ID_LEN + 1];
    int again;

    if (req->cancelling || req->state == DS_DONE)
        return;
    /* The GET is a plain exchange: this is its only callback. */
    req->xid = 0;
    again = req->state == DS_OBSERVING; /* the GET after a new Register */
    if (status != 0 || msg == NULL) {
        const char *ep = obs_ep(srv, req);
        if (again && status == TETHER_ERR_TIMEOUT) {
            /* The client may still hold it (R21) and notify; its
             * registration's expiry settles the rest. */
            TETHER_LOG(srv->cfg.log, srv->cfg.log_user, TETHER_LOG_DEBUG, "server",
                       "ep=%s did not answer the re-observation; the observation stays", ep);
            return;
        }
        if (status == TETHER_ERR_RESET)
            tether_dm_fail(srv, now, req, status, "ep=%s answered the observation with RST", ep);
        else if (status == TETHER_ERR_TIMEOUT)
            tether_dm_fail(srv, now, req, status,
                           "ep=%s did not answer the observation (CoAP gave up)", ep);
        else if (status == TETHER_ERR_CANCELLED)
            tether_dm_fail(srv, now, req, status, "the server is shutting down");
        else
            tether_dm_fail(srv, now, req, status ? status : TETHER_ERR_MALFORMED,
                           "ep=%s: observation failed: %s", ep,
                           tether_strerror(status ? status : TETHER_ERR_MALFORMED));
        return;
    }
    memcpy(id, req->sess->id, sizeof(id));
    obs_answer(srv, now, req, msg);
    tether_dm_spoke(srv, now, id);
}

int tether_dm_obs_notify(tether_server *srv, tether_time now, const tether_peer *peer,
                         const tether_coap_msg *msg)
{
    tether_server_req_id id = 0;
    const tether_peer *want;
    char sid[TETHER_SERVER_ID_LEN + 1];
    dm_req *req;
    int parked;

    if (srv->dm == NULL || msg->tkl != sizeof(req->token))
        return TETHER_ERR_NOT_FOUND;
    for (size_t i = 0; i < sizeof(req->token); i++)
        id = id << 8 | msg->token[i];
    req = tether_dm_req_find(srv, id);
    if (req == NULL || req->kind != DM_OBSERVE ||
        (req->state != DS_OBSERVING && req->state != DS_PARKED))
        return TETHER_ERR_NOT_FOUND;
    parked = req->state == DS_PARKED;
    if (parked) {
        want = &req->park->peer;
    } else {
        struct tether_server_reg *rec = tether_dm_rec(srv, req->sess);
        if (rec == NULL)
            return TETHER_ERR_NOT_FOUND;
        want = &rec->peer;
    }
    /* R14: what we observe talks to us from where it registered. */
    if (!tether_peer_equal(peer, want))
        return TETHER_ERR_NOT_FOUND;
    if (!parked)
        memcpy(sid, req->sess->id, sizeof(sid));
    obs_answer(srv, now, req, msg);
    if (!parked)
        tether_dm_spoke(srv, now, sid);
    return 0;
}

/* --- parking (R21) ------------------------------------------------------------ */

#define PARK_OF(ptr, field) ((dm_park *)(void *)((char *)(ptr) - offsetof(dm_park, field)))

static uint32_t park_hash(const tether_hnode *n)
{
    return PARK_OF(n, node)->hash;
}

static int park_eq(const tether_hnode *n, const void *key, size_t len)
{
    const dm_park *p = PARK_OF(n, node);
    return p->ep_len == len && memcmp(p->ep, key, len) == 0;
}

static const tether_hindex_ops park_ops = {park_hash, park_eq};

void tether_dm_obs_park_init(tether_server *srv)
{
    tether_hindex_init(&srv->dm->parks, &park_ops, srv->cfg.alloc, srv->cfg.alloc_user);
    tether_heap_init(&srv->dm->park_heap, NULL, 0);
}

/* After every request ended: the parks are empty. */
void tether_dm_obs_park_fini(tether_server *srv)
{
    tether_dm *dm = srv->dm;
    tether_heap_entry *e;

    while ((e = tether_heap_top(&dm->park_heap)) != NULL) {
        dm_park *p = PARK_OF(e, expiry);
        tether_heap_remove(&dm->park_heap, e);
        tether_hindex_remove(&dm->parks, &p->node, p->hash);
        tether_server_alloc(srv, p, 0);
    }
    if (dm->park_heap.items != NULL)
        tether_server_alloc(srv, dm->park_heap.items, 0);
    tether_hindex_fini(&dm->parks);
}

static dm_park *park_find(tether_server *srv, const char *ep, size_t len)
{
    tether_dm *dm = srv->dm;
    tether_hnode *n;

    if (dm->parks.count == 0)
        return NULL;
    n = tether_hindex_find(&dm->parks, tether_registry_hash(&srv->reg, ep, len), ep, len);
    return n != NULL ? PARK_OF(n, node) : NULL;
}

void tether_dm_park_release(tether_server *srv, dm_park *p)
{
    tether_dm *dm = srv->dm;

    if (p == NULL || p->busy > 0 || p->head != NULL)
        return;
    if (tether_heap_contains(&p->expiry))
        tether_heap_remove(&dm->park_heap, &p->expiry);
    tether_hindex_remove(&dm->parks, &p->node, p->hash);
    tether_server_alloc(srv, p, 0);
}

static dm_park *park_get(tether_server *srv, tether_time now, struct tether_server_reg *rec)
{
    tether_dm *dm = srv->dm;
    const char *ep = tether_reg_ep(rec);
    size_t len = strlen(ep);
    dm_park *p = park_find(srv, ep, len);

    if (p != NULL)
        return p;
    if (len > TETHER_SERVER_EP_MAX || tether_dm_heap_reserve(srv, &dm->park_heap) != 0)
        return NULL;
    p = tether_server_alloc(srv, NULL, sizeof(*p));
    if (p == NULL)
        return NULL;
    memset(p, 0, sizeof(*p));
    memcpy(p->ep, ep, len);
    p->ep_len = len;
    p->peer = rec->peer;
    p->hash = tether_registry_hash(&srv->reg, ep, len);
    p->expiry.index = TETHER_HEAP_NONE;
    if (tether_hindex_insert(&dm->parks, &p->node, p->hash) != 0) {
        tether_server_alloc(srv, p, 0);
        return NULL;
    }
    (void)tether_heap_push(&dm->park_heap, &p->expiry,
                           now + (tether_time)srv->cfg.obs_park_s * 1000u);
    return p;
}

/* Room for one more parked observation besides mine: the oldest park gives
 * way. Returns nonzero when there is room. */
static int park_room(tether_server *srv, tether_time now, dm_park *mine)
{
    tether_dm *dm = srv->dm;

    while (dm->parked >= srv->cfg.obs_park_max) {
        tether_heap_entry *e = tether_heap_top(&dm->park_heap);
        dm_park *p = e != NULL ? PARK_OF(e, expiry) : NULL;
        if (p == NULL || p == mine || p->head == NULL)
            return 0;
        tether_dm_fail(srv, now, p->head, TETHER_ERR_CANCELLED,
                       "ep=%s's observation was given up while it had no registration: "
                       "obs_park_max (%zu) observations were waiting",
                       p->ep, srv->cfg.obs_park_max);
    }
    return 1;
}

void tether_dm_obs_park(tether_server *srv, tether_time now, dm_sess *sess,
                        struct tether_server_reg *rec, const char *reason)
{
    tether_dm *dm = srv->dm;
    dm_park *p = NULL;
    dm_req *r;

    if (srv->cfg.obs_park_s > 0 && srv->cfg.obs_park_max > 0 && !srv->freeing) {
        for (r = sess->head; r != NULL; r = r->next)
            if (r->kind == DM_OBSERVE && r->state == DS_OBSERVING)
                break;
        if (r != NULL)
            p = park_get(srv, now, rec);
    }
    if (p == NULL)
        return; /* the caller ends them all */
    p->busy++;
    /* From the head each time: a callback of what ends here may end other
     * requests of the session. What is parked or ended leaves the list. */
    for (;;) {
        for (r = sess->head; r != NULL; r = r->next)
            if (r->kind == DM_OBSERVE && r->state == DS_OBSERVING)
                break;
        if (r == NULL)
            break;
        if (!park_room(srv, now, p)) {
            tether_dm_end(srv, now, r, TETHER_ERR_CANCELLED, NULL, NULL, 0, reason);
            continue;
        }
        /* Its exchanges (a re-observation, a Block2 fetch) go: the client
         * is gone, and answers would find no registration anyway. */
        fetch_abandon(srv, now, r);
        tether_dm_wait_unlink(dm, r);
        if (r->xid != 0) {
            r->cancelling = 1;
            (void)tether_coap_cancel(srv->coap, now, r->xid);
            r->cancelling = 0;
            r->xid = 0;
        }
        if (r->prev != NULL)
            r->prev->next = r->next;
        else
            sess->head = r->next;
        if (r->next != NULL)
            r->next->prev = r->prev;
        else
            sess->tail = r->prev;
        r->prev = p->tail;
        r->next = NULL;
        if (p->tail != NULL)
            p->tail->next = r;
        else
            p->head = r;
        p->tail = r;
        p->n++;
        r->sess = NULL;
        r->park = p;
        r->state = DS_PARKED;
        dm->observations--;
        dm->parked++;
    }
    p->busy--;
    TETHER_LOG(srv->cfg.log, srv->cfg.log_user, TETHER_LOG_DEBUG, "server",
               "ep=%s: %zu observation(s) kept for %u s until it registers again (R21)",
               p->ep, p->n, (unsigned)srv->cfg.obs_park_s);
    tether_dm_park_release(srv, p);
}

void tether_dm_obs_unpark(tether_server *srv, tether_time now, struct tether_server_reg *rec)
{
    tether_dm *dm = srv->dm;
    const char *ep = tether_reg_ep(rec);
    dm_park *p = park_find(srv, ep, strlen(ep));
    dm_sess *s;
    size_t n = 0, sent = 0;

    if (p == NULL)
        return;
    s = tether_dm_sess_get(srv, rec);
    p->busy++;
    if (s == NULL) {
        while (p->head != NULL)
            tether_dm_fail(srv, now, p->head, TETHER_ERR_NOMEM,
                           "ep=%s registered again; out of memory for its observations", ep);
        p->busy--;
        tether_dm_park_release(srv, p);
        return;
    }
    s->busy++;
    while (p->head != NULL) {
        dm_req *r = p->head;
        p->head = r->next;
        if (p->head != NULL)
            p->head->prev = NULL;
        else
            p->tail = NULL;
        p->n--;
        dm->parked--;
        r->park = NULL;
        r->sess = s;
        r->state = DS_OBSERVING;
        r->prev = s->tail;
        r->next = NULL;
        if (s->tail != NULL)
            s->tail->next = r;
        else
            s->head = r;
        s->tail = r;
        dm->observations++;
        /* A client that rebooted counts its Observe values afresh: the
         * sequence starts again with what comes now (stored notifications
         * first, then the answer to the GET). */
        r->has_seq = 0;
        n++;
        /* RFC 7641 §4.1: the same token again; the client replaces its
         * entry (or makes one again, after a reboot). */
        if (tether_dm_wait_reobserve(srv, now, r) == 0)
            sent++;
    }
    TETHER_LOG(srv->cfg.log, srv->cfg.log_user, TETHER_LOG_DEBUG, "server",
               "ep=%s id=%s: %zu observation(s) carried over, %zu observed again (or waiting "
               "for a slot)", ep, rec->id,
               n, sent);
    p->busy--;
    tether_dm_park_release(srv, p);
    s->busy--;
    tether_dm_sess_release(srv, s);
}

tether_time tether_dm_obs_park_deadline(const tether_server *srv)
{
    tether_heap_entry *e = tether_heap_top(&srv->dm->park_heap);
    return e != NULL ? e->key : TETHER_TIME_NEVER;
}

void tether_dm_obs_park_expire(tether_server *srv, tether_time now)
{
    tether_dm *dm = srv->dm;
    tether_heap_entry *e;

    while ((e = tether_heap_top(&dm->park_heap)) != NULL && e->key <= now) {
        dm_park *p = PARK_OF(e, expiry);
        tether_heap_remove(&dm->park_heap, e);
        p->busy++;
        while (p->head != NULL)
            tether_dm_fail(srv, now, p->head, TETHER_ERR_CANCELLED,
                           "ep=%s did not register again within %u s (obs_park_s): its "
                           "observation ends",
                           p->ep, (unsigned)srv->cfg.obs_park_s);
        p->busy--;
        tether_dm_park_release(srv, p);
    }
}
