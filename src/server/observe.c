/* SPDX-License-Identifier: Apache-2.0 */
/* Information Reporting on the server (LwM2M 1.0 §5.5, RFC 7641):
 * observations, their notifications, and their end.
 *
 * An observation is a request (dm_req, kind DM_OBSERVE) whose GET carries
 * Observe 0 and a token we draw ourselves (8 bytes); the CoAP layer keeps
 * the exchange matched after the first answer (TETHER_COAP_KEEP), so every
 * notification comes back to tether_dm_obs_done() with the request as its
 * argument. The observation is indexed by that token (its id, O(1)), which
 * is how tether_server_cancel() finds it.
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
 * GET with Observe 1 and the same token); the registration going away or
 * moving to a new address (TETHER_ERR_CANCELLED with a reason). Each end
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
    resp.ep = rec != NULL ? tether_reg_ep(rec) : "";
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

void tether_dm_obs_done(void *arg, tether_time now, int status, const tether_coap_msg *msg)
{
    dm_req *req = arg;
    tether_server *srv = req->srv;
    tether_dm *dm = srv->dm;
    char id[TETHER_SERVER_ID_LEN + 1];
    tether_coap_block blk;
    uint32_t seq = 0;
    int final;

    if (req->cancelling || req->state == DS_DONE)
        return;
    if (status != 0 || msg == NULL) {
        const char *ep = tether_dm_rec(srv, req->sess) != NULL
                             ? tether_reg_ep(tether_dm_rec(srv, req->sess))
                             : "?";
        req->xid = 0;
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
    /* The CoAP layer's own rule: this answer ended the exchange. */
    final = TETHER_COAP_CLASS(msg->code) >= 4 || tether_coap_observe(msg, &seq) != 0;
    if (final) {
        req->xid = 0;
        if (req->state == DS_OBSERVING) {
            fetch_abandon(srv, now, req);
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
                               tether_reg_ep(tether_dm_rec(srv, req->sess)), tether_strerror(rc));
        } else {
            tether_dm_end(srv, now, req, 0, msg, NULL, 0, NULL);
        }
        goto spoke;
    }
    if (req->state == DS_SENT) {
        /* Established: no deadline any more; one CoAP slot held until it ends. */
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
                   tether_reg_ep(tether_dm_rec(srv, req->sess)), (unsigned)seq,
                   (unsigned)req->seq);
        goto spoke;
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
        goto spoke;
    }
    {
        uint32_t cf;
        if (tether_coap_content_format(msg, &cf) != 0)
            cf = TETHER_SERVER_NO_FORMAT;
        deliver(srv, now, req, msg->code, cf, msg->payload, msg->payload_len, seq);
    }
spoke:
    tether_dm_spoke(srv, now, id);
}

void tether_dm_obs_drop(tether_server *srv, tether_time now, dm_sess *sess, const char *reason)
{
    sess->busy++;
    for (;;) {
        dm_req *r = sess->head;
        while (r != NULL && r->kind != DM_OBSERVE)
            r = r->next;
        if (r == NULL)
            break;
        tether_dm_end(srv, now, r, TETHER_ERR_CANCELLED, NULL, NULL, 0, reason);
    }
    sess->busy--;
}
