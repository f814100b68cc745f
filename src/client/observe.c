/* SPDX-License-Identifier: Apache-2.0 */
/* Information reporting on the client (LwM2M 1.0 §5.5, RFC 7641): the
 * observation table, when each observation notifies, and how a
 * notification leaves -- NON or CON, live or through the server's store
 * (R21, notify_store.c). dm.c hands over GETs with Observe; attrs.c says
 * which pmin / pmax / gt / lt / st apply; tether/client.h states the rules
 * as the application sees them.
 *
 * Each observation keeps one deadline, `due`: the earliest moment a
 * notification could go (the previous one + pmin when a change is waiting,
 * the previous one + pmax otherwise), NEVER while its CON notification
 * waits for an ACK or when nothing can make it notify. It is worked out
 * again whenever something it depends on changes (a value, an attribute,
 * /1/x/2 or /1/x/3, an ACK), so client_obs_run() only looks at the ones
 * that are due, and every deadline it leaves behind is in the future or
 * NEVER: a caller that loops on the deadline always makes progress.
 *
 * Change conditions (LwM2M 1.0 §5.1.2) are judged when the change is
 * reported, not when the notification goes: for a numeric resource with
 * gt / lt / st the value is read then and compared with the last value seen
 * (a crossing of gt or lt, either way) and the last value notified (a move
 * of st or more). So a value that crosses a threshold and comes back
 * within pmin still notifies, and one that wanders below st does not. */
#include <string.h>

#include "client/client_internal.h"
#include "common/log_internal.h"
#include "tether/coap_block.h"
#include "tether_poison.h"

#if CLIENT_OBSERVE

#define OBS_SEQ_MASK 0xFFFFFFu /* RFC 7641 §3.4: the Observe value has 24 bits */

enum obs_outcome {
    OBS_SENT = 0,
    OBS_LOST = 1, /* produced but could not be encoded or sent: counted, dropped */
    OBS_GONE = 2, /* the observation ended */
};

/* Registered with that server: notifications may go now. Anything else --
 * Register pending or backing off, De-register, disabled (R20) -- is
 * "offline" for R21. */
static int online(const client_server *s)
{
    return s->state == TETHER_CLIENT_REGISTERED || s->state == TETHER_CLIENT_UPDATE_SENT;
}

static int store_empty(const client_server *s)
{
#if CLIENT_STORE
    return s->store_len == 0;
#else
    (void)s;
    return 1;
#endif
}

static uint32_t next_seq(tether_client *c)
{
    c->obs_seq = (c->obs_seq + 1) & OBS_SEQ_MASK;
    return c->obs_seq;
}

static void obs_schedule(tether_client *c, client_obs *o)
{
    client_eff e;
    tether_time t = TETHER_TIME_NEVER;

    if (o->xid != 0) { /* worked out again when the ACK comes */
        o->due = TETHER_TIME_NEVER;
        return;
    }
    client_attrs_effective(c, &c->servers[o->srv], &o->path, &e);
    if (o->changed)
        t = o->last_sent + e.pmin_ms;
    if (e.pmax_ms > 0 && o->last_sent + e.pmax_ms < t)
        t = o->last_sent + e.pmax_ms;
    o->due = t;
}

static void obs_event(tether_client *c, const client_obs *o, tether_time now, int type, int err)
{
    tether_client_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.type = type;
    ev.ssid = c->servers[o->srv].ssid;
    ev.err = err;
    ev.at = TETHER_TIME_NEVER;
    ev.path = o->path;
    client_emit(c, now, &ev);
}

/* The observation ends: its CON (if any) is cancelled, its stored
 * notifications are recognised by gen and dropped when they come up. */
static void obs_end(tether_client *c, client_obs *o, tether_time now, int err)
{
    tether_coap_xid xid = o->xid;
    client_obs gone = *o;

    o->xid = 0;
    o->in_use = 0;
    o->gen++;
    o->due = TETHER_TIME_NEVER;
    if (xid != 0)
        (void)tether_coap_cancel(c->coap, now, xid); /* con_done ignores it */
    TETHER_LOG(c->log, c->log_user, TETHER_LOG_INFO, CLIENT_LOG_MODULE,
               "%s: observation of /%u/%u/%u (depth %u) by ssid %u ended: %s", c->endpoint,
               gone.path.ids[0], gone.path.ids[1], gone.path.ids[2], gone.path.len,
               c->servers[gone.srv].ssid, err != 0 ? tether_strerror(err) : "cancelled");
    obs_event(c, &gone, now, TETHER_CLIENT_EV_OBSERVE_CANCELLED, err);
}

/* RFC 7641 §4.5: CON at least every con_interval, so a server that lost
 * the observation says so with an RST; CON for changes when configured. */
static int obs_con(const tether_client *c, const client_obs *o, tether_time now, int by_change)
{
    if (c->con_interval_ms == 0 || now - o->last_con >= c->con_interval_ms)
        return 1;
    return by_change && c->con_on_change;
}

static void con_done(void *arg, tether_time now, int status, const tether_coap_msg *resp)
{
    client_obs *o = arg;
    tether_client *c = o->owner;

    (void)resp;
    if (!o->in_use || o->xid == 0)
        return; /* ended by obs_end, which cancelled it */
    o->xid = 0;
#if CLIENT_STORE
    c->servers[o->srv].store_retry = 0; /* a store waiting for this ACK goes on */
#endif
    /* ACKed; or cancelled from below (Disable cancels everything with that
     * server, R20): the observation itself stays. */
    if (status == 0 || status == TETHER_ERR_CANCELLED) {
        obs_schedule(c, o);
        return;
    }
    obs_end(c, o, now, status); /* RST, or no ACK after every retransmission */
}

/* body as the notification's payload: whole when it fits, else its first
 * Block2 block (RFC 7959 §3.4: the server GETs the rest). */
static int put_body(tether_coap_builder *b, const uint8_t *body, size_t n)
{
#if CLIENT_BLOCKWISE
    tether_block2_slice slice;
    tether_coap_msg none;
    uint8_t *dst;
    size_t avail;
    int rc = tether_coap_build_payload_reserve(b, &dst, &avail);

    if (rc != 0 || n <= avail)
        return rc != 0 ? rc : tether_coap_build_payload(b, body, n);
    memset(&none, 0, sizeof(none)); /* no Block2 asked for: the first block */
    avail = avail > TETHER_BLOCK_OPTS_OVERHEAD ? avail - TETHER_BLOCK_OPTS_OVERHEAD : 0;
    rc = tether_block2_slice_get(&none, n, avail, TETHER_BLOCK_SZX_MAX, &slice);
    return rc != 0 ? rc : tether_block2_slice_write(&slice, body, b);
#else
    return tether_coap_build_payload(b, body, n);
#endif
}

/* The value cannot be read any more (its instance was deleted): RFC 7641
 * §3.2, a final notification with the error code and no Observe option. */
static void send_error(tether_client *c, client_server *s, client_obs *o, tether_time now,
                       uint8_t code)
{
    tether_coap_builder b;

    if (tether_coap_msg_begin(c->coap, &b, TETHER_COAP_NON, code, o->token, o->tkl) == 0)
        (void)tether_coap_msg_send(c->coap, now, &s->peer, &b, 0, NULL, NULL, NULL);
}

/* Put one notification of o on the wire. stored: a payload from the store
 * (fmt its format), or NULL to read the value now. Returns OBS_SENT,
 * OBS_LOST, OBS_GONE, or TETHER_ERR_BUSY (nothing sent; try again later). */
static int obs_send(tether_client *c, client_server *s, client_obs *o, tether_time now,
                    int by_change, const uint8_t *stored, size_t stored_len, uint16_t fmt)
{
    tether_coap_builder b;
    int con = obs_con(c, o, now, by_change);
    uint8_t code = 0;
    int rc;

    rc = tether_coap_msg_begin(c->coap, &b, con ? TETHER_COAP_CON : TETHER_COAP_NON,
                               TETHER_COAP_CONTENT, o->token, o->tkl);
    if (rc != 0)
        return TETHER_ERR_BUSY;
    (void)tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_OBSERVE, next_seq(c));
    (void)tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_CONTENT_FORMAT,
                                     stored != NULL ? fmt : o->fmt);
    if (stored != NULL) {
        rc = put_body(&b, stored, stored_len);
    } else {
        size_t n = 0;
#if CLIENT_BLOCKWISE
        code = client_dm_encode(c, &o->path, o->fmt, c->body, TETHER_CLIENT_MAX_BODY, &n);
        if (code == 0)
            rc = put_body(&b, c->body, n);
#else
        uint8_t *dst;
        size_t avail;
        rc = tether_coap_build_payload_reserve(&b, &dst, &avail);
        if (rc == 0)
            code = client_dm_encode(c, &o->path, o->fmt, dst, avail, &n);
        if (rc == 0 && code == 0)
            rc = tether_coap_build_payload_commit(&b, n);
#endif
    }
    if (code != 0 && code != CLIENT_TOO_BIG && code != TETHER_COAP_INTERNAL_SERVER_ERROR) {
        send_error(c, s, o, now, code);
        obs_end(c, o, now, TETHER_ERR_NOT_FOUND);
        return OBS_GONE;
    }
    if (code != 0 || rc != 0) {
        TETHER_LOG(c->log, c->log_user, TETHER_LOG_WARN, CLIENT_LOG_MODULE,
                   "%s: notification of /%u/%u/%u for ssid %u %s, dropped", c->endpoint,
                   o->path.ids[0], o->path.ids[1], o->path.ids[2], s->ssid,
                   code == TETHER_COAP_INTERNAL_SERVER_ERROR ? "could not be read"
                                                             : "does not fit a message");
        return OBS_LOST;
    }
    rc = tether_coap_msg_send(c->coap, now, &s->peer, &b, 0, con ? con_done : NULL, o,
                              con ? &o->xid : NULL);
    if (rc == TETHER_ERR_BUSY)
        return TETHER_ERR_BUSY;
    if (rc != 0)
        return OBS_LOST;
    if (con) {
        o->last_con = now;
        o->due = TETHER_TIME_NEVER;
    } else if (tether_coap_build_mid(&b, &o->non_mid) == 0) {
        o->has_mid = 1; /* an RST naming it cancels (RFC 7641 §3.6) */
    }
    s->n_sent++;
    return OBS_SENT;
}

#if CLIENT_STORE
static uint8_t store_encode(tether_client *c, client_obs *o, uint8_t *dst, size_t avail,
                            size_t *n)
{
    return client_dm_encode(c, &o->path, o->fmt, dst, avail, n);
}

/* R21: send s's stored notifications, oldest first, for as long as the
 * CoAP layer takes them. */
static void store_flush(tether_client *c, client_server *s, tether_time now)
{
    while (online(s) && s->store_len > 0) {
        const uint8_t *payload;
        uint8_t slot, gen;
        uint16_t fmt;
        size_t len;
        client_obs *o;
        int rc;

        (void)client_store_peek(s, &slot, &gen, &fmt, &payload, &len);
        o = slot < TETHER_CLIENT_MAX_OBSERVATIONS ? &c->obs[slot] : NULL;
        if (o == NULL || !o->in_use || o->gen != gen || o->srv != client_server_index(c, s)) {
            client_store_pop(s); /* its observation ended meanwhile */
            s->n_dropped++;
            continue;
        }
        if (o->xid != 0) { /* in order: after that CON's ACK (con_done) */
            s->store_retry = TETHER_TIME_NEVER;
            return;
        }
        rc = obs_send(c, s, o, now, 0, payload, len, fmt);
        if (rc == TETHER_ERR_BUSY) {
            s->store_retry = now + CLIENT_BUSY_RETRY_MS;
            return;
        }
        client_store_pop(s);
        if (rc != OBS_SENT)
            s->n_dropped++;
    }
}
#endif

/* o is due: notify now if a condition holds. */
static void obs_fire(tether_client *c, client_obs *o, tether_time now)
{
    client_server *s = &c->servers[o->srv];
    client_eff e;
    int by_change, by_pmax;

    client_attrs_effective(c, s, &o->path, &e);
    by_change = o->changed && now >= o->last_sent + e.pmin_ms;
    by_pmax = e.pmax_ms > 0 && now >= o->last_sent + e.pmax_ms;
    if (!by_change && !by_pmax) {
        obs_schedule(c, o);
        return;
    }
    if (online(s) && store_empty(s)) {
        int rc = obs_send(c, s, o, now, by_change, NULL, 0, 0);
        if (rc == TETHER_ERR_BUSY) {
            o->due = now + CLIENT_BUSY_RETRY_MS;
            return;
        }
        if (rc == OBS_GONE)
            return;
        if (rc == OBS_LOST)
            s->n_dropped++;
    } else if (online(s) || s->notif_storing) {
        /* R21: offline with storing on -- or online behind older stored
         * ones, which must leave first. */
#if CLIENT_STORE
#if CLIENT_BLOCKWISE
        uint8_t code = client_store_append(c, s, o, store_encode, c->body, TETHER_CLIENT_MAX_BODY);
#else
        uint8_t code = client_store_append(c, s, o, store_encode, NULL, 0);
#endif
        if (code != 0 && code != CLIENT_TOO_BIG && code != TETHER_COAP_INTERNAL_SERVER_ERROR) {
            obs_end(c, o, now, TETHER_ERR_NOT_FOUND); /* the value is gone */
            return;
        }
        if (code != 0)
            s->n_dropped++; /* larger than the whole store */
#else
        s->n_discarded++;
#endif
    } else {
        s->n_discarded++; /* R21: /1/x/6 false */
    }
    o->last_sent = now;
    o->changed = 0;
    if (o->numeric) {
        double v;
        if (client_dm_read_number(c, &o->path, &v) == 0)
            o->last_val = o->seen_val = v;
    }
    obs_schedule(c, o);
}

/* --- for dm.c ------------------------------------------------------------------------ */

static client_obs *obs_by_token(tether_client *c, const client_server *s,
                                const tether_coap_incoming *in)
{
    for (size_t i = 0; i < TETHER_CLIENT_MAX_OBSERVATIONS; i++) {
        client_obs *o = &c->obs[i];
        if (o->in_use && o->srv == client_server_index(c, s) && o->tkl == in->tkl &&
            memcmp(o->token, in->token, in->tkl) == 0)
            return o;
    }
    return NULL;
}

int client_obs_begin(tether_client *c, client_server *s, const tether_coap_incoming *in,
                     const tether_lwm2m_path *p, uint32_t fmt, tether_time now, uint32_t *seq)
{
    client_obs *o = obs_by_token(c, s, in);
    uint8_t gen;

    if (o != NULL) /* RFC 7641 §4.1: the same token again replaces the entry */
        obs_end(c, o, now, 0);
    o = NULL;
    for (size_t i = 0; i < TETHER_CLIENT_MAX_OBSERVATIONS && o == NULL; i++)
        if (!c->obs[i].in_use)
            o = &c->obs[i];
    if (o == NULL) {
        TETHER_LOG(c->log, c->log_user, TETHER_LOG_WARN, CLIENT_LOG_MODULE,
                   "%s: TETHER_CLIENT_MAX_OBSERVATIONS reached: Observe answered as a Read",
                   c->endpoint);
        return -1;
    }
    gen = o->gen;
    memset(o, 0, sizeof(*o));
    o->owner = c;
    o->in_use = 1;
    o->gen = gen;
    o->srv = client_server_index(c, s);
    o->tkl = in->tkl;
    memcpy(o->token, in->token, in->tkl);
    o->fmt = (uint16_t)fmt;
    o->path = *p;
    o->last_sent = now;
    o->last_con = now;
    o->due = TETHER_TIME_NEVER;
    o->numeric = client_dm_is_numeric(c, p) ? 1 : 0;
    if (o->numeric && client_dm_read_number(c, p, &o->last_val) == 0)
        o->seen_val = o->last_val;
    *seq = next_seq(c);
    return (int)(o - c->obs);
}

void client_obs_finish(tether_client *c, int slot, tether_time now, int ok)
{
    client_obs *o = &c->obs[slot];

    if (!ok) { /* the answer was an error: no observation (RFC 7641 §4.1) */
        o->in_use = 0;
        o->gen++;
        return;
    }
    obs_schedule(c, o);
    TETHER_LOG(c->log, c->log_user, TETHER_LOG_INFO, CLIENT_LOG_MODULE,
               "%s: ssid %u observes /%u/%u/%u (depth %u)", c->endpoint,
               c->servers[o->srv].ssid, o->path.ids[0], o->path.ids[1], o->path.ids[2],
               o->path.len);
    obs_event(c, o, now, TETHER_CLIENT_EV_OBSERVED, 0);
}

void client_obs_cancel_token(tether_client *c, client_server *s, const tether_coap_incoming *in,
                             tether_time now)
{
    client_obs *o = obs_by_token(c, s, in);

    if (o != NULL)
        obs_end(c, o, now, 0); /* RFC 7641 §3.6: Observe 1 */
}

/* Did the value move from prev to v across threshold t (either way)? */
static int crossed(double prev, double v, double t)
{
    return (prev > t) != (v > t);
}

void client_obs_changed(tether_client *c, const tether_lwm2m_path *p)
{
    for (size_t i = 0; i < TETHER_CLIENT_MAX_OBSERVATIONS; i++) {
        client_obs *o = &c->obs[i];
        client_eff e;
        double v, d;

        if (!o->in_use ||
            !(tether_lwm2m_path_is_prefix(p, &o->path) || tether_lwm2m_path_is_prefix(&o->path, p)))
            continue;
        client_attrs_effective(c, &c->servers[o->srv], &o->path, &e);
        if (!o->numeric || e.num == 0 || client_dm_read_number(c, &o->path, &v) != 0) {
            o->changed = 1; /* no change condition: any change notifies */
        } else {
            d = v - o->last_val;
            if ((e.num & ATTR_GT) && crossed(o->seen_val, v, e.gt))
                o->changed = 1;
            /* lt is crossed when the value goes below it or back */
            if ((e.num & ATTR_LT) && crossed(-o->seen_val, -v, -e.lt))
                o->changed = 1;
            if ((e.num & ATTR_ST) && (d < 0 ? -d : d) >= e.st)
                o->changed = 1;
            o->seen_val = v;
        }
        obs_schedule(c, o);
    }
}

void client_obs_reschedule(tether_client *c)
{
    for (size_t i = 0; i < TETHER_CLIENT_MAX_OBSERVATIONS; i++)
        if (c->obs[i].in_use)
            obs_schedule(c, &c->obs[i]);
}

void client_obs_refill(tether_client *c, tether_time now)
{
#if CLIENT_STORE
    for (size_t i = 0; i < TETHER_CLIENT_MAX_SERVERS; i++) {
        client_server *s = &c->servers[i];
        if (s->in_use && !s->bootstrap && s->store_len > 0 && online(s) && s->store_retry <= now)
            store_flush(c, s, now);
    }
#else
    (void)c;
    (void)now;
#endif
}

void client_obs_run(tether_client *c, tether_time now)
{
    for (size_t i = 0; i < TETHER_CLIENT_MAX_SERVERS; i++) {
        client_server *s = &c->servers[i];
        uint8_t on = (uint8_t)online(s);

        if (!s->in_use || s->bootstrap)
            continue;
#if CLIENT_STORE
        if (on && !s->was_online)
            s->store_retry = 0; /* back online (R21): the store goes first */
#endif
        s->was_online = on;
    }
    client_obs_refill(c, now);
    for (size_t i = 0; i < TETHER_CLIENT_MAX_OBSERVATIONS; i++) {
        client_obs *o = &c->obs[i];
        if (o->in_use && o->due <= now)
            obs_fire(c, o, now);
    }
}

tether_time client_obs_deadline(const tether_client *c)
{
    tether_time t = TETHER_TIME_NEVER;

    for (size_t i = 0; i < TETHER_CLIENT_MAX_OBSERVATIONS; i++)
        if (c->obs[i].in_use && c->obs[i].due < t)
            t = c->obs[i].due;
#if CLIENT_STORE
    for (size_t i = 0; i < TETHER_CLIENT_MAX_SERVERS; i++) {
        const client_server *s = &c->servers[i];
        if (s->in_use && !s->bootstrap && s->store_len > 0 && online(s) && s->store_retry < t)
            t = s->store_retry;
    }
#endif
    return t;
}

void client_obs_on_reset(tether_client *c, tether_time now, const tether_peer *peer, uint16_t mid)
{
    for (size_t i = 0; i < TETHER_CLIENT_MAX_OBSERVATIONS; i++) {
        client_obs *o = &c->obs[i];
        if (o->in_use && o->has_mid && o->non_mid == mid &&
            tether_peer_equal(&c->servers[o->srv].peer, peer)) {
            obs_end(c, o, now, TETHER_ERR_RESET); /* RFC 7641 §3.6 */
            return;
        }
    }
}

void client_obs_drop_server(tether_client *c, client_server *s, tether_time now)
{
    for (size_t i = 0; i < TETHER_CLIENT_MAX_OBSERVATIONS; i++) {
        client_obs *o = &c->obs[i];
        if (o->in_use && o->srv == client_server_index(c, s))
            obs_end(c, o, now, TETHER_ERR_CANCELLED);
    }
#if CLIENT_STORE
    client_store_clear(s);
#endif
}

int client_obs_inflight(const tether_client *c, const client_server *s)
{
    for (size_t i = 0; i < TETHER_CLIENT_MAX_OBSERVATIONS; i++) {
        const client_obs *o = &c->obs[i];
        if (o->in_use && o->xid != 0 && o->srv == client_server_index(c, s))
            return 1;
    }
    return 0;
}

#else
typedef int client_observe_unused; /* observation compiled out */
#endif /* CLIENT_OBSERVE */
