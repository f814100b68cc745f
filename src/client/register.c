/* SPDX-License-Identifier: Apache-2.0 */
/* The registration state machine, one per Server Object Instance (R12), and
 * the Register / Update / De-register messages it puts on the wire (LwM2M
 * 1.0 §5.3, §8.2.3). Every state change happens in client_reg_step(), which
 * first decides the transition from (state, input) and then performs the
 * one send the transition asks for; the senders only build and queue
 * messages. The schedule and the back-off are the ones documented in
 * tether/client.h. Timers are one deadline per server, read by
 * tether_client_next_deadline(). */
#include <string.h>

#include "client/client_internal.h"
#include "common/log_internal.h"
#include "tether/lwm2m_fmt.h"
#include "tether/lwm2m_link.h"
#include "tether_poison.h"

/* Transition actions: what goes on the wire after a transition. */
enum reg_action {
    ACT_NONE,
    ACT_REGISTER,   /* send Register -> REGISTER_SENT */
    ACT_UPDATE,     /* send Update -> UPDATE_SENT */
    ACT_DEREGISTER, /* send De-register -> DEREGISTER_SENT */
    ACT_BACKOFF,    /* a Register failed: WAIT_REGISTER until the back-off ends */
    ACT_SCHEDULE,   /* just (re)registered: schedule the next Update, or send
                       one now if something changed meanwhile */
    ACT_NEXT_BLOCK, /* the Register/Update in flight goes on with its next block */
};


/* --- schedule ------------------------------------------------------------------- */

uint64_t client_update_delay_ms(const tether_client *c, int64_t lifetime_s)
{
    uint64_t lt_ms = (uint64_t)lifetime_s * 1000u;
    uint64_t mtw = c->max_transmit_wait_ms;

    /* Long lifetimes: leave a full MAX_TRANSMIT_WAIT for retransmissions.
     * Short ones: half the lifetime, so the margin shrinks in proportion. */
    if (lt_ms >= 2 * mtw)
        return lt_ms - mtw;
    return lt_ms / 2;
}

/* A random fraction of span, in [0, span): 16 bits of the rand callback. */
static uint64_t random_part(tether_client *c, uint64_t span)
{
    return span * (client_rand32(c) >> 16) / 65536u;
}

static tether_time next_update_at(tether_client *c, const client_server *s)
{
    uint64_t d = client_update_delay_ms(c, s->acked_lt);

    return s->sent_at + d - random_part(c, d / 20u);
}

static uint64_t backoff_ms(tether_client *c, unsigned failures)
{
    uint64_t d = (uint64_t)c->retry_initial_s * 1000u;
    uint64_t max = (uint64_t)c->retry_max_s * 1000u;

    for (unsigned i = 1; i < failures && d < max; i++)
        d *= 2;
    if (d > max)
        d = max;
    return d / 2 + random_part(c, d / 2 + 1);
}

/* --- messages --------------------------------------------------------------------- */

/* Whether the root link says ct=11543 (LwM2M 1.0 §5.3.1: "If the LwM2M
 * Client supports the JSON data format for all the Objects it SHOULD
 * inform the LwM2M Server by including the content type in the root path
 * link"): asked for, and LwM2M JSON both ways in this build. 1.0 defines
 * ct there for JSON only, so the 1.1 formats are not named. */
static int root_ct_json(const tether_client *c)
{
#if CLIENT_JSON
    return c->advertise_json &&
           client_fmt_can(TETHER_FMT_JSON, TETHER_LWM2M_FMT_DECODE | TETHER_LWM2M_FMT_ENCODE);
#else
    (void)c;
    return 0;
#endif
}

int client_write_object_list(const tether_client *c, tether_lwm2m_link_writer *w)
{
    int json = root_ct_json(c);

    if (CLIENT_HAS_ALT_PATH(c) || json)
        (void)tether_lwm2m_link_write_root(w, json ? TETHER_FMT_JSON : -1);
    /* R18: the Security object is not in the object table at all. */
    for (size_t i = 0; i < c->nobjects; i++) {
        const client_object_slot *o = &c->objects[i];
        tether_lwm2m_path p;
        int32_t iid = o->def->next_instance(o->user, -1);

        if (iid < 0) {
            p = tether_lwm2m_path_make(1, o->def->oid, 0, 0, 0);
            (void)tether_lwm2m_link_write_path(w, &p);
        }
        for (; iid >= 0; iid = o->def->next_instance(o->user, iid)) {
            p = tether_lwm2m_path_make(2, o->def->oid, (uint16_t)iid, 0, 0);
            (void)tether_lwm2m_link_write_path(w, &p);
        }
    }
    return w->err;
}

/* Binding buffers are zero past their NUL (client_internal.h), so equal
 * strings are equal bytes (and the C library's strcmp is not linked). */
static int same_binding(const char *a, const char *b)
{
    return memcmp(a, b, TETHER_CLIENT_MAX_BINDING + 1) == 0;
}

static tether_lwm2m_view view_of(const char *s)
{
    tether_lwm2m_view v;

    v.ptr = (const uint8_t *)s;
    v.len = strlen(s);
    return v;
}

/* The object list as the payload of b (Content-Format already added).
 * Block-wise: the whole list is rendered into the body scratch and the
 * block due is cut from it; first starts a transfer (its block size from
 * the room left in the datagram), a later call sends the next block of the
 * same bytes (the caller checked the list did not change). Without: the
 * list goes straight into the datagram and must fit. */
static int add_object_list(tether_client *c, client_server *s, tether_coap_builder *b, int first)
{
    tether_lwm2m_link_writer w;
    uint8_t *dst;
    size_t avail, n;
    int rc;

    rc = tether_coap_build_payload_reserve(b, &dst, &avail);
    if (rc != 0)
        return rc;
#if CLIENT_BLOCKWISE
    (void)dst;
    (void)tether_lwm2m_link_writer_init(&w, c->body, TETHER_CLIENT_MAX_BODY,
                                        CLIENT_HAS_ALT_PATH(c) ? c->alt_path : NULL);
    (void)client_write_object_list(c, &w);
    rc = tether_lwm2m_link_writer_finish(&w, &n);
    if (rc != 0)
        return rc == TETHER_ERR_NOSPACE ? TETHER_ERR_TOO_LARGE : rc; /* > MAX_BODY */
    if (first) {
        uint8_t szx;
        /* Room for the payload after the Block1 and Size1 options. */
        avail = avail > TETHER_BLOCK_OPTS_OVERHEAD ? avail - TETHER_BLOCK_OPTS_OVERHEAD : 0;
        if (n > avail) {
            rc = tether_block_szx_fit(avail, TETHER_BLOCK_SZX_MAX, &szx);
            if (rc != 0)
                return rc;
        } else {
            szx = TETHER_BLOCK_SZX_MAX; /* fits: goes out whole, no Block1 */
        }
        rc = tether_block1_tx_init(&s->btx, c->body, n, n > avail ? szx : TETHER_BLOCK_SZX_MAX);
        if (rc != 0)
            return rc;
        s->btx_active = n > avail;
        if (!s->btx_active)
            return tether_coap_build_payload(b, c->body, n);
    }
    return tether_block1_tx_write(&s->btx, b);
#else
    (void)s;
    (void)first;
    (void)tether_lwm2m_link_writer_init(&w, dst, avail,
                                        CLIENT_HAS_ALT_PATH(c) ? c->alt_path : NULL);
    (void)client_write_object_list(c, &w);
    rc = tether_lwm2m_link_writer_finish(&w, &n);
    if (rc != 0)
        return rc; /* TETHER_ERR_NOSPACE: a larger max_message is needed */
    return tether_coap_build_payload_commit(b, n);
#endif
}

static void add_location(tether_coap_builder *b, const client_server *s)
{
    for (size_t i = 0; i < s->loc_len;) {
        size_t n = s->loc[i++];
        (void)tether_coap_build_opt(b, TETHER_COAP_OPT_URI_PATH, s->loc + i, n);
        i += n;
    }
}

static void exchange_done(void *arg, tether_time now, int status, const tether_coap_msg *resp)
{
    client_server *s = arg;

    /* Only we cancel (a superseded exchange, stop, Disable, fini): the
     * transition that cancelled it has already happened. */
    if (status == TETHER_ERR_CANCELLED || s->owner->coap == NULL)
        return;
    s->xid = 0;
    client_reg_step(s->owner, s, REG_IN_DONE, now, status, resp);
}

/* Register: CON POST /rd?ep=&lt=&lwm2m=&b=[&sms=] with the object list
 * (R3, R9, R16, R18). lt is always sent: R9 then holds by construction, and
 * the server needs no Read of /1/x/1 (R10).
 * Update: CON POST /{location}[?lt=][&b=] [object list], each only when it
 * changed since the last successful Register or Update (R5, R8, R9, R22).
 * first: a new message (what it carries is decided and remembered now);
 * else the next Block1 block of the one in flight, with the same options. */
static int send_reg_message(tether_client *c, client_server *s, tether_time now, int update,
                            int first)
{
    tether_coap_builder b;
    tether_lwm2m_reg_query q;
#ifndef TETHER_CLIENT_NO_QUEUE_MODE
    uint8_t b11[TETHER_CLIENT_MAX_BINDING];
#endif
    int rc;

    if (first) {
        s->sent_lt = s->lifetime;
        memcpy(s->sent_b, s->binding, sizeof(s->sent_b));
        s->sent_gen = c->objects_gen;
        s->sent_full = !update;
        s->sent_flags = MSG_LT | MSG_B | MSG_LIST;
        if (update) {
            s->sent_flags = 0;
            if (s->lifetime != s->acked_lt)
                s->sent_flags |= MSG_LT;
            if (!same_binding(s->binding, s->acked_b))
                s->sent_flags |= MSG_B;
            if (c->objects_gen != s->acked_gen)
                s->sent_flags |= MSG_LIST;
        }
#if CLIENT_BLOCKWISE
        s->btx_active = 0;
#endif
    }
    rc = tether_coap_msg_begin(c->coap, &b, TETHER_COAP_CON, TETHER_COAP_POST, NULL, 0);
    if (rc != 0)
        return rc;
    memset(&q, 0, sizeof(q));
    if (!update) {
        (void)tether_coap_build_path(&b, TETHER_COAP_OPT_URI_PATH, "rd");
        q.present = TETHER_LWM2M_Q_EP | TETHER_LWM2M_Q_LWM2M;
        q.ep = view_of(c->endpoint);
        /* R17: the version we speak (config lwm2m_version). */
        q.lwm2m = view_of(CLIENT_V11(c) ? "1.1" : "1.0");
        if (CLIENT_HAS_SMS(c)) {
            q.present |= TETHER_LWM2M_Q_SMS;
            q.sms = view_of(c->sms);
        }
    } else {
        add_location(&b, s);
    }
    if (s->sent_flags & MSG_LIST)
        (void)tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_CONTENT_FORMAT, TETHER_FMT_LINK);
    if (s->sent_flags & MSG_LT) {
        q.present |= TETHER_LWM2M_Q_LT;
        q.lt = (uint32_t)s->sent_lt; /* R9: the Lifetime resource as it was sent */
    }
    if (s->sent_flags & MSG_B) {
        q.present |= TETHER_LWM2M_Q_B; /* R3: Binding from /1/x/7; R22 */
        q.b = view_of(s->sent_b);
#ifndef TETHER_CLIENT_NO_QUEUE_MODE
        if (CLIENT_V11(c) && memchr(s->sent_b, 'Q', q.b.len) != NULL) {
            /* 1.1 §6.2.1.1: b has no Q; queue mode is the bare Q parameter.
             * /1/x/7 keeps the 1.0 form (tether/client.h, "LwM2M 1.1"). */
            size_t n = 0;
            for (size_t i = 0; i < q.b.len; i++)
                if (s->sent_b[i] != 'Q')
                    b11[n++] = (uint8_t)s->sent_b[i];
            q.b.ptr = b11;
            q.b.len = n;
            q.present |= TETHER_LWM2M_Q_QUEUE;
        }
#endif
    }
    rc = tether_lwm2m_reg_query_build(&b, &q);
    if (rc == 0 && (s->sent_flags & MSG_LIST))
        rc = add_object_list(c, s, &b, first);
    if (rc != 0)
        return rc;
    rc = tether_coap_msg_send(c->coap, now, &s->peer, &b, 0, exchange_done, s, &s->xid);
    if (rc != 0)
        return rc;
    if (first)
        s->sent_at = now;
    TETHER_LOG(c->log, c->log_user, TETHER_LOG_DEBUG, CLIENT_LOG_MODULE,
               "%s: %s to ssid %u%s%s%s%s", c->endpoint, update ? "Update" : "Register", s->ssid,
               (s->sent_flags & MSG_LT) ? " lt" : "", (s->sent_flags & MSG_B) ? " b" : "",
               (s->sent_flags & MSG_LIST) ? " objects" : "", first ? "" : " (next block)");
    return 0;
}

/* CON DELETE /{location} (R11, R20). */
static int send_deregister(tether_client *c, client_server *s, tether_time now)
{
    tether_coap_builder b;
    int rc;

    rc = tether_coap_msg_begin(c->coap, &b, TETHER_COAP_CON, TETHER_COAP_DELETE, NULL, 0);
    if (rc != 0)
        return rc;
    add_location(&b, s);
    rc = tether_coap_msg_send(c->coap, now, &s->peer, &b, 0, exchange_done, s, &s->xid);
    if (rc == 0)
        TETHER_LOG(c->log, c->log_user, TETHER_LOG_DEBUG, CLIENT_LOG_MODULE,
                   "%s: De-register from ssid %u", c->endpoint, s->ssid);
    return rc;
}

/* Keep the Location-Path segments of a 2.01 (LwM2M 1.0 §8.2.3).
 * Returns 0, or TETHER_ERR_NOT_FOUND (none) / TETHER_ERR_TOO_LARGE. */
static int store_location(client_server *s, const tether_coap_msg *resp)
{
    uint8_t loc[TETHER_CLIENT_MAX_LOCATION];
    size_t n = 0;
    tether_coap_opt_iter it;
    tether_coap_opt o;

    tether_coap_opt_iter_init(&it, resp);
    while (tether_coap_opt_next(&it, &o) == 0) {
        if (o.num != TETHER_COAP_OPT_LOCATION_PATH)
            continue;
        if (o.len > 255 || n + 1 + o.len > sizeof(loc))
            return TETHER_ERR_TOO_LARGE;
        loc[n++] = (uint8_t)o.len;
        memcpy(loc + n, o.val, o.len);
        n += o.len;
    }
    if (n == 0)
        return TETHER_ERR_NOT_FOUND;
    memcpy(s->loc, loc, n);
    s->loc_len = (uint8_t)n;
    return 0;
}

static void cancel_inflight(tether_client *c, client_server *s, tether_time now)
{
    tether_coap_xid xid = s->xid;

    s->xid = 0;
#if CLIENT_BLOCKWISE
    s->btx_active = 0;
#endif
    if (xid != 0)
        (void)tether_coap_cancel(c->coap, now, xid);
}

/* The events whose `at` is the state's new deadline (tether/client.h):
 * the next Update, the next Register attempt, the end of Disable. */
#define EV_AT_DEADLINE                                                                   \
    (1u << TETHER_CLIENT_EV_REGISTERED | 1u << TETHER_CLIENT_EV_UPDATED |                \
     1u << TETHER_CLIENT_EV_REGISTER_FAILED | 1u << TETHER_CLIENT_EV_DISABLED)

static void emit(tether_client *c, client_server *s, tether_time now, int type, uint8_t code,
                 int err)
{
    tether_client_event ev;
    char loc[TETHER_CLIENT_MAX_LOCATION + 1];

    memset(&ev, 0, sizeof(ev));
    ev.type = type;
    ev.ssid = s->ssid;
    ev.code = code;
    ev.err = err;
    ev.at = (EV_AT_DEADLINE >> type & 1u) ? s->deadline : TETHER_TIME_NEVER;
    if (type == TETHER_CLIENT_EV_REGISTERED &&
        tether_client_location(c, s->ssid, loc, sizeof(loc)) == 0)
        ev.location = loc;
    client_emit(c, now, &ev);
}

static void log_outcome(tether_client *c, client_server *s, const char *what, uint8_t code,
                        int err)
{
    char cs[5];

    (void)cs;
    if (code != 0)
        TETHER_LOG(c->log, c->log_user, TETHER_LOG_WARN, CLIENT_LOG_MODULE,
                   "%s: %s for ssid %u answered %s", c->endpoint, what, s->ssid,
                   tether_coap_code_str(code, cs));
    else
        TETHER_LOG(c->log, c->log_user, TETHER_LOG_WARN, CLIENT_LOG_MODULE,
                   "%s: %s for ssid %u failed: %s", c->endpoint, what, s->ssid,
                   tether_strerror(err));
}

/* --- the state machine ----------------------------------------------------------- */

void client_reg_step(tether_client *c, client_server *s, int input, tether_time now,
                     int status, const tether_coap_msg *resp)
{
    uint8_t code = (status == 0 && resp != NULL) ? resp->code : 0;
    int fail_err = status;
    int act = ACT_NONE;

    switch (input) {
    case REG_IN_START:
        if (s->state != TETHER_CLIENT_IDLE)
            return;
        s->failures = 0;
        s->disabling = 0;
        if (s->hold_off_s > 0) {
            s->state = TETHER_CLIENT_WAIT_REGISTER;
            s->deadline = now + (uint64_t)s->hold_off_s * 1000u;
            return;
        }
        act = ACT_REGISTER;
        break;

    case REG_IN_TIMER:
        s->deadline = TETHER_TIME_NEVER;
        switch ((tether_client_reg_state)s->state) {
        case TETHER_CLIENT_WAIT_REGISTER:
            act = ACT_REGISTER;
            break;
        case TETHER_CLIENT_REGISTERED:
            act = ACT_UPDATE; /* R5: the periodic Update */
            break;
        case TETHER_CLIENT_UPDATE_SENT:
            /* R7: the registration lapsed while the Update went unanswered:
             * only a Register may follow. */
            cancel_inflight(c, s, now);
            log_outcome(c, s, "Update", 0, TETHER_ERR_TIMEOUT);
            emit(c, s, now, TETHER_CLIENT_EV_UPDATE_FAILED, 0, TETHER_ERR_TIMEOUT);
            act = ACT_REGISTER;
            break;
        case TETHER_CLIENT_DISABLED:
            /* R20: "After this period, the LwM2M Client MUST perform
             * registration process to the Server." */
            emit(c, s, now, TETHER_CLIENT_EV_ENABLED, 0, 0);
            s->failures = 0;
            act = ACT_REGISTER;
            break;
        case TETHER_CLIENT_IDLE:
        case TETHER_CLIENT_REGISTER_SENT:
        case TETHER_CLIENT_DEREGISTER_SENT:
            break;
        }
        break;

    case REG_IN_DONE:
        s->xid = 0;
#if CLIENT_BLOCKWISE
        if (s->btx_active && (s->state == TETHER_CLIENT_REGISTER_SENT ||
                              s->state == TETHER_CLIENT_UPDATE_SENT)) {
            int more = 0;
            if (status == 0 && resp != NULL) {
                int rc = tether_block1_tx_on_response(&s->btx, resp, &more);
                if (rc != 0) { /* a block answer we cannot go on from */
                    status = fail_err = rc;
                    code = 0;
                    more = 0;
                }
            }
            if (more) {
                act = ACT_NEXT_BLOCK; /* 2.31 Continue: same state, next block */
                break;
            }
            s->btx_active = 0;
        }
#endif
        switch ((tether_client_reg_state)s->state) {
        case TETHER_CLIENT_REGISTER_SENT:
        case TETHER_CLIENT_UPDATE_SENT: {
            int reg = s->state == TETHER_CLIENT_REGISTER_SENT;
            if (reg ? code == TETHER_COAP_CREATED && (fail_err = store_location(s, resp)) == 0
                    : code != 0 && TETHER_COAP_CLASS(code) == 2) {
                /* What the message carried is now the server's view. */
                s->state = TETHER_CLIENT_REGISTERED;
                s->acked_lt = s->sent_lt;
                memcpy(s->acked_b, s->sent_b, sizeof(s->acked_b));
                s->acked_gen = s->sent_gen;
                s->expires = s->sent_at + (uint64_t)s->acked_lt * 1000u;
                s->deadline = next_update_at(c, s);
                if (reg) {
                    s->failures = 0;
                    TETHER_LOG(c->log, c->log_user, TETHER_LOG_INFO, CLIENT_LOG_MODULE,
                               "%s: registered with ssid %u", c->endpoint, s->ssid);
                }
                emit(c, s, now, reg ? TETHER_CLIENT_EV_REGISTERED : TETHER_CLIENT_EV_UPDATED,
                     code, 0);
                act = ACT_SCHEDULE;
            } else if (reg) {
                if (code == TETHER_COAP_CREATED)
                    client_set_errmsg(c, "2.01 without a usable Location-Path");
                act = ACT_BACKOFF;
            } else {
                /* R7: any 4.xx/5.xx, RST or silence: fall back to Register. */
                log_outcome(c, s, "Update", code, status);
                emit(c, s, now, TETHER_CLIENT_EV_UPDATE_FAILED, code, status);
                act = ACT_REGISTER;
            }
            break;
        }
        case TETHER_CLIENT_DEREGISTER_SENT:
            s->loc_len = 0;
            emit(c, s, now, TETHER_CLIENT_EV_DEREGISTERED, code, status);
            if (s->disabling && !c->stopping) {
                /* R20: the connection is closed and the server silenced for
                 * Disable Timeout seconds: nothing of ours stays in flight. */
                s->disabling = 0;
                s->state = TETHER_CLIENT_DISABLED;
                s->deadline = now + (uint64_t)s->disable_timeout * 1000u;
                tether_coap_cancel_peer(c->coap, now, &s->peer);
                TETHER_LOG(c->log, c->log_user, TETHER_LOG_INFO, CLIENT_LOG_MODULE,
                           "%s: ssid %u disabled for %lld s", c->endpoint, s->ssid,
                           (long long)s->disable_timeout);
                emit(c, s, now, TETHER_CLIENT_EV_DISABLED, 0, 0);
            } else {
                s->disabling = 0;
                s->state = TETHER_CLIENT_IDLE;
                s->deadline = TETHER_TIME_NEVER;
            }
            break;
        case TETHER_CLIENT_IDLE:
        case TETHER_CLIENT_WAIT_REGISTER:
        case TETHER_CLIENT_REGISTERED:
        case TETHER_CLIENT_DISABLED:
            break;
        }
        break;

    case REG_IN_UPDATE_NOW:
        if (s->state == TETHER_CLIENT_REGISTERED)
            act = ACT_UPDATE;
        else if (s->state != TETHER_CLIENT_UPDATE_SENT)
            s->pending &= (uint8_t)~PEND_UPDATE; /* the next Register says it all */
        /* UPDATE_SENT: stays pending, sent once the Update in flight ends */
        break;

    case REG_IN_DISABLE:
        switch ((tether_client_reg_state)s->state) {
        case TETHER_CLIENT_REGISTERED:
        case TETHER_CLIENT_UPDATE_SENT:
            /* R20: the answer is queued already; now De-register. */
            cancel_inflight(c, s, now);
            s->disabling = 1;
            act = ACT_DEREGISTER;
            break;
        case TETHER_CLIENT_WAIT_REGISTER:
        case TETHER_CLIENT_REGISTER_SENT:
            cancel_inflight(c, s, now);
            s->state = TETHER_CLIENT_DEREGISTER_SENT; /* nothing to De-register */
            s->disabling = 1;
            client_reg_step(c, s, REG_IN_DONE, now, TETHER_ERR_CANCELLED, NULL);
            return;
        case TETHER_CLIENT_IDLE:
        case TETHER_CLIENT_DEREGISTER_SENT:
        case TETHER_CLIENT_DISABLED:
            break;
        }
        break;

    case REG_IN_STOP:
        switch ((tether_client_reg_state)s->state) {
        case TETHER_CLIENT_REGISTERED:
        case TETHER_CLIENT_UPDATE_SENT:
            cancel_inflight(c, s, now);
            s->disabling = 0;
            act = ACT_DEREGISTER; /* R11 */
            break;
        case TETHER_CLIENT_DEREGISTER_SENT:
            s->disabling = 0; /* ends IDLE instead of DISABLED */
            break;
        case TETHER_CLIENT_WAIT_REGISTER:
        case TETHER_CLIENT_REGISTER_SENT:
        case TETHER_CLIENT_DISABLED:
            cancel_inflight(c, s, now);
            s->state = TETHER_CLIENT_IDLE;
            s->deadline = TETHER_TIME_NEVER;
            break;
        case TETHER_CLIENT_IDLE:
            break;
        }
        break;

    default:
        return;
    }

    /* Put on the wire what the transition asked for. Each step ends in a
     * state; a failed send turns into the transition for that failure. */
    while (act != ACT_NONE) {
        int next = ACT_NONE;
        int rc;

        switch (act) {
        case ACT_SCHEDULE:
            if ((s->pending & PEND_UPDATE) || s->lifetime != s->acked_lt ||
                !same_binding(s->binding, s->acked_b) || c->objects_gen != s->acked_gen)
                next = ACT_UPDATE; /* changed while the last message was out */
            break;
        case ACT_REGISTER:
        case ACT_UPDATE: {
            int update = act == ACT_UPDATE;
            if (!update)
                s->loc_len = 0;
            rc = send_reg_message(c, s, now, update, 1);
            if (rc == 0) {
                s->state = update ? TETHER_CLIENT_UPDATE_SENT : TETHER_CLIENT_REGISTER_SENT;
                /* R7: an Update lapsing unanswered means Register. */
                s->deadline = update ? s->expires : TETHER_TIME_NEVER;
                s->pending &= (uint8_t)~PEND_UPDATE;
            } else if (rc == TETHER_ERR_BUSY) {
                s->state = update ? TETHER_CLIENT_REGISTERED : TETHER_CLIENT_WAIT_REGISTER;
                s->deadline = now + CLIENT_BUSY_RETRY_MS;
            } else if (update) {
                client_set_errmsg(c, "Update could not be built (object list too large?)");
                emit(c, s, now, TETHER_CLIENT_EV_UPDATE_FAILED, 0, rc);
                next = ACT_REGISTER;
            } else {
                client_set_errmsg(c, "Register could not be built (object list too large?)");
                code = 0;
                fail_err = rc;
                next = ACT_BACKOFF;
            }
            break;
        }
        case ACT_DEREGISTER:
            rc = send_deregister(c, s, now);
            s->state = TETHER_CLIENT_DEREGISTER_SENT;
            s->deadline = TETHER_TIME_NEVER;
            if (rc != 0) { /* cannot even try: done, unanswered */
                client_reg_step(c, s, REG_IN_DONE, now, rc, NULL);
                return;
            }
            break;
#if CLIENT_BLOCKWISE
        case ACT_NEXT_BLOCK: {
            int update = s->state == TETHER_CLIENT_UPDATE_SENT;
            /* The list changed mid-transfer: start over with the new one. */
            rc = send_reg_message(c, s, now, update, c->objects_gen != s->sent_gen);
            if (rc == 0)
                break;
            client_set_errmsg(c, "next block of a Register or Update could not be sent");
            if (update) {
                emit(c, s, now, TETHER_CLIENT_EV_UPDATE_FAILED, 0, rc);
                next = ACT_REGISTER;
            } else {
                code = 0;
                fail_err = rc;
                next = ACT_BACKOFF;
            }
            break;
        }
#endif
        case ACT_BACKOFF:
            if (s->failures < 32)
                s->failures++;
            s->state = TETHER_CLIENT_WAIT_REGISTER;
            s->deadline = now + backoff_ms(c, s->failures);
            log_outcome(c, s, "Register", code, fail_err);
            emit(c, s, now, TETHER_CLIENT_EV_REGISTER_FAILED, code, fail_err);
            break;
        default:
            break;
        }
        act = next;
    }
}
