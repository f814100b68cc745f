/* SPDX-License-Identifier: Apache-2.0 */
/* The client engine's shell: configuration, memory layout, server accounts
 * and objects, the sans-I/O entry points, and events. It decides which
 * datagrams reach the CoAP layer at all (only those from a server account,
 * never those from a disabled one, R20) and leaves registration to
 * register.c and device management to dm.c. Work noted while answering a
 * request runs after the answer is queued (client_run_pending()), so a
 * response always leaves before the Update or De-register it causes. */
#include "tether/client.h"

#include <stdalign.h>
#include <stddef.h>
#include <string.h>

#include "client/client_internal.h"
#include "common/log_internal.h"
#include "tether_poison.h"

/* --- names ------------------------------------------------------------------ */

const char *tether_client_reg_state_name(int state)
{
    switch ((tether_client_reg_state)state) {
    case TETHER_CLIENT_IDLE: return "IDLE";
    case TETHER_CLIENT_WAIT_REGISTER: return "WAIT_REGISTER";
    case TETHER_CLIENT_REGISTER_SENT: return "REGISTER_SENT";
    case TETHER_CLIENT_REGISTERED: return "REGISTERED";
    case TETHER_CLIENT_UPDATE_SENT: return "UPDATE_SENT";
    case TETHER_CLIENT_DEREGISTER_SENT: return "DEREGISTER_SENT";
    case TETHER_CLIENT_DISABLED: return "DISABLED";
    }
    return "?";
}

const char *tether_client_event_name(int type)
{
    switch ((tether_client_event_type)type) {
    case TETHER_CLIENT_EV_REGISTERED: return "REGISTERED";
    case TETHER_CLIENT_EV_UPDATED: return "UPDATED";
    case TETHER_CLIENT_EV_REGISTER_FAILED: return "REGISTER_FAILED";
    case TETHER_CLIENT_EV_UPDATE_FAILED: return "UPDATE_FAILED";
    case TETHER_CLIENT_EV_DEREGISTERED: return "DEREGISTERED";
    case TETHER_CLIENT_EV_DISABLED: return "DISABLED";
    case TETHER_CLIENT_EV_ENABLED: return "ENABLED";
    case TETHER_CLIENT_EV_WRITTEN: return "WRITTEN";
    case TETHER_CLIENT_EV_REBOOT: return "REBOOT";
    case TETHER_CLIENT_EV_OBSERVED: return "OBSERVED";
    case TETHER_CLIENT_EV_OBSERVE_CANCELLED: return "OBSERVE_CANCELLED";
    case TETHER_CLIENT_EV_SLEEPING: return "SLEEPING";
    case TETHER_CLIENT_EV_AWAKE: return "AWAKE";
    }
    return "?";
}

/* --- configuration ---------------------------------------------------------- */

void tether_client_config_default(tether_client_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
#ifdef TETHER_CLIENT_NO_QUEUE_MODE
    cfg->supported_bindings = "U"; /* queue mode compiled out */
#else
    cfg->supported_bindings = "UQ";
#endif
    cfg->retry_initial_s = 60;
    cfg->retry_max_s = 3600;
    cfg->lwm2m_version = TETHER_LWM2M_V1_0;
    cfg->notify_con_interval_s = 86400; /* RFC 7641 §4.5: "at least every 24 hours" */
    tether_coap_config_default(&cfg->coap);
    /* A client has one Register/Update/De-register in flight per server,
     * plus room for a couple of notifications or separate responses. */
    cfg->coap.max_exchanges = TETHER_CLIENT_MAX_SERVERS + 2;
    /* Requests come from a handful of servers, a few per minute at most. */
    cfg->coap.dedup_entries = 16;
    /* A retransmitted request must get the same answer (RFC 7252 §4.5);
     * answers up to this size are replayed, larger ones dropped (the
     * server then retries until its own timeout). 256 bytes holds a Read
     * of an instance in TLV or a Discover of /1 or /3. */
    cfg->coap.dedup_reply_max = 256;
    /* An answer plus a Register or Update per server waits at most. */
    cfg->coap.txq_bytes = (uint32_t)cfg->coap.max_message * 4;
}

void tether_client_server_config_default(tether_client_server_config *sc)
{
    memset(sc, 0, sizeof(*sc));
    sc->ssid = 1;
    sc->lifetime = 86400;
    sc->disable_timeout = 86400; /* appendix D.1: "a default timeout value is 86400" */
    sc->notification_storing = 1; /* appendix D.1: "The default value is true" */
    sc->binding = "U";            /* R17 */
}

static size_t round_up(size_t n)
{
    size_t a = alignof(max_align_t);
    return (n + a - 1) / a * a;
}

/* The caller's block: [client][body scratch][Block1 reassembly][CoAP]. */
static size_t client_part_size(void)
{
    size_t n = round_up(sizeof(struct tether_client));
#if CLIENT_BLOCKWISE
    n += round_up(TETHER_CLIENT_MAX_BODY) +
         round_up(tether_block1_rx_mem_size(1, TETHER_CLIENT_MAX_BODY));
#endif
    return n;
}

static int copy_str(char *dst, size_t cap, const char *src)
{
    size_t n;

    if (src == NULL) {
        dst[0] = '\0';
        return 0;
    }
    n = strlen(src);
    if (n >= cap)
        return TETHER_ERR_INVAL;
    memcpy(dst, src, n + 1);
    return 0;
}

static int config_check(const tether_client_config *cfg, tether_coap_config *coap)
{
    size_t n;

    if (cfg == NULL || cfg->endpoint == NULL || cfg->rand == NULL)
        return TETHER_ERR_INVAL;
    n = strlen(cfg->endpoint);
    if (n == 0 || n > TETHER_CLIENT_MAX_ENDPOINT)
        return TETHER_ERR_INVAL;
    if (cfg->sms_number != NULL &&
        (cfg->sms_number[0] == '\0' || strlen(cfg->sms_number) > TETHER_CLIENT_MAX_SMS))
        return TETHER_ERR_INVAL;
    if (cfg->alt_path != NULL && cfg->alt_path[0] != '\0') {
        n = strlen(cfg->alt_path);
        if (cfg->alt_path[0] != '/' || n > TETHER_CLIENT_MAX_ALT_PATH || n < 2 ||
            cfg->alt_path[n - 1] == '/')
            return TETHER_ERR_INVAL;
    }
    if (cfg->supported_bindings == NULL ||
        strlen(cfg->supported_bindings) > TETHER_CLIENT_MAX_BINDING ||
        !tether_lwm2m_binding_valid(cfg->supported_bindings, strlen(cfg->supported_bindings),
                                    TETHER_LWM2M_V1_0))
        return TETHER_ERR_INVAL;
#ifdef TETHER_CLIENT_NO_QUEUE_MODE
    if (strchr(cfg->supported_bindings, 'Q') != NULL)
        return TETHER_ERR_INVAL; /* queue mode compiled out */
#endif
    if (cfg->retry_initial_s == 0 || cfg->retry_max_s < cfg->retry_initial_s)
        return TETHER_ERR_INVAL;
#ifdef TETHER_CLIENT_NO_QUEUE_MODE
    if (cfg->lwm2m_version != 0 && cfg->lwm2m_version != TETHER_LWM2M_V1_0)
        return TETHER_ERR_INVAL; /* 1.1 comes with queue mode (client_internal.h) */
#else
    if (cfg->lwm2m_version != 0 && cfg->lwm2m_version != TETHER_LWM2M_V1_0 &&
        cfg->lwm2m_version != TETHER_LWM2M_V1_1)
        return TETHER_ERR_INVAL;
#endif
    *coap = cfg->coap;
    coap->rand = cfg->rand;
    coap->rand_user = cfg->rand_user;
    coap->log = cfg->log;
    coap->log_user = cfg->log_user;
    return 0;
}

size_t tether_client_mem_size(const tether_client_config *cfg)
{
    tether_coap_config coap;
    size_t n;

    if (config_check(cfg, &coap) != 0)
        return 0;
    n = tether_coap_mem_size(&coap);
    if (n == 0)
        return 0;
    return client_part_size() + n;
}

static void on_coap_request(void *user, tether_time now, const tether_coap_msg *req,
                            const tether_coap_incoming *in);
#if CLIENT_OBSERVE
static void on_coap_reset(void *user, tether_time now, const tether_peer *peer, uint16_t mid);
#endif

static int object_insert(tether_client *c, const tether_client_object *def, void *user)
{
    size_t i;

    if (c->nobjects >= CLIENT_MAX_OBJECT_SLOTS)
        return TETHER_ERR_NOMEM;
    for (i = 0; i < c->nobjects; i++) {
        if (c->objects[i].def->oid == def->oid)
            return TETHER_ERR_EXISTS;
        if (c->objects[i].def->oid > def->oid)
            break;
    }
    memmove(&c->objects[i + 1], &c->objects[i], (c->nobjects - i) * sizeof(c->objects[0]));
    c->objects[i].def = def;
    c->objects[i].user = user;
    c->nobjects++;
    return 0;
}

int tether_client_init(tether_client **out, void *mem, size_t memsz,
                       const tether_client_config *cfg, tether_client_event_fn on_event,
                       void *user)
{
    tether_coap_config coap;
    tether_coap_callbacks cb;
    tether_client *c = mem;
    size_t need, off = client_part_size();
    uint64_t mtw;
    int rc;

    if (out == NULL || mem == NULL)
        return TETHER_ERR_INVAL;
    rc = config_check(cfg, &coap);
    if (rc != 0)
        return rc;
    need = tether_client_mem_size(cfg);
    if (need == 0)
        return TETHER_ERR_INVAL;
    if (memsz < need)
        return TETHER_ERR_NOMEM;
    memset(c, 0, sizeof(*c));
    c->on_event = on_event;
    c->user = user;
    c->rand_fn = cfg->rand;
    c->rand_user = cfg->rand_user;
    c->log = cfg->log;
    c->log_user = cfg->log_user;
    c->retry_initial_s = cfg->retry_initial_s;
    c->retry_max_s = cfg->retry_max_s;
    c->objects_gen = 1;
    TETHER_SET_ERRMSG(c->errmsg, "");
    (void)copy_str(c->endpoint, sizeof(c->endpoint), cfg->endpoint);
    if (TETHER_CLIENT_MAX_SMS > 0) /* else none: config_check() refused one */
        (void)copy_str(c->sms, sizeof(c->sms), cfg->sms_number);
    if (TETHER_CLIENT_MAX_ALT_PATH > 0)
        (void)copy_str(c->alt_path, sizeof(c->alt_path), cfg->alt_path);
    (void)copy_str(c->supported_bindings, sizeof(c->supported_bindings),
                   cfg->supported_bindings);
    c->manufacturer = cfg->manufacturer;
    c->model = cfg->model;
    c->serial = cfg->serial;
    c->firmware = cfg->firmware;
    /* RFC 7252 §4.8.2: MAX_TRANSMIT_WAIT = ACK_TIMEOUT * (2^(MAX_RETRANSMIT + 1)
     * - 1) * ACK_RANDOM_FACTOR. */
    mtw = (uint64_t)coap.ack_timeout_ms * ((2ull << coap.max_retransmit) - 1u);
    c->max_transmit_wait_ms = mtw * coap.ack_random_factor_milli / 1000u;
    c->con_interval_ms = (uint64_t)cfg->notify_con_interval_s * 1000u;
    c->con_on_change = cfg->notify_con_on_change ? 1 : 0;
#if CLIENT_JSON
    c->advertise_json = cfg->advertise_json != 0;
#endif
#ifndef TETHER_CLIENT_NO_QUEUE_MODE
    c->v11 = cfg->lwm2m_version == TETHER_LWM2M_V1_1;
#endif
    c->awake_ms = cfg->queue_awake_ms != 0 ? cfg->queue_awake_ms : c->max_transmit_wait_ms;
    for (size_t i = 0; i < TETHER_CLIENT_MAX_SERVERS; i++)
        c->servers[i].deadline = TETHER_TIME_NEVER;
    (void)object_insert(c, &client_obj_server, c);
    (void)object_insert(c, &client_obj_device, c);

#if CLIENT_BLOCKWISE
    {
        tether_block1_rx_config rxc;
        size_t body_at = round_up(sizeof(struct tether_client));
        size_t rx_at = body_at + round_up(TETHER_CLIENT_MAX_BODY);
        tether_block1_rx_config_default(&rxc);
        rxc.slots = 1; /* one Write in blocks at a time; a second evicts the first */
        rxc.max_body = TETHER_CLIENT_MAX_BODY;
        c->body = (uint8_t *)mem + body_at;
        rc = tether_block1_rx_init(&c->rx, (uint8_t *)mem + rx_at, off - rx_at, &rxc);
        if (rc != 0)
            return rc;
    }
#endif
    memset(&cb, 0, sizeof(cb));
    cb.on_request = on_coap_request;
#if CLIENT_OBSERVE
    cb.on_reset = on_coap_reset; /* an RST against a NON notification */
#endif
    rc = tether_coap_init(&c->coap, (uint8_t *)mem + off, memsz - off, &coap, &cb, c);
    if (rc != 0)
        return rc;
    *out = c;
    return 0;
}

void tether_client_fini(tether_client *c)
{
    if (c == NULL)
        return;
    c->stopping = 1; /* exchange callbacks now see CANCELLED and do nothing */
    tether_coap_fini(c->coap);
    c->coap = NULL;
}

/* --- shared helpers ----------------------------------------------------------- */

void client_emit(tether_client *c, tether_time now, tether_client_event *ev)
{
    if (c->on_event == NULL)
        return;
    c->in_callback = 1;
    c->on_event(c->user, now, ev);
    c->in_callback = 0;
}

void client_errmsg_set(tether_client *c, const char *msg)
{
    c->errmsg = msg;
}

uint32_t client_rand32(tether_client *c)
{
    uint8_t b[4];

    c->rand_fn(c->rand_user, b, sizeof(b));
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

client_server *client_server_by_ssid(tether_client *c, uint16_t ssid)
{
    for (size_t i = 0; i < TETHER_CLIENT_MAX_SERVERS; i++) {
        client_server *s = &c->servers[i];
        if (s->in_use && !s->bootstrap && s->ssid == ssid)
            return s;
    }
    return NULL;
}

client_server *client_server_by_srv_iid(tether_client *c, uint16_t iid)
{
    for (size_t i = 0; i < TETHER_CLIENT_MAX_SERVERS; i++) {
        client_server *s = &c->servers[i];
        if (s->in_use && !s->bootstrap && s->srv_iid == iid)
            return s;
    }
    return NULL;
}

/* Peers are few (TETHER_CLIENT_MAX_SERVERS): a scan is the cheapest index.
 * Two accounts on one address would be told apart by nothing on the wire;
 * the first one wins. */
static client_server *server_by_peer(tether_client *c, const tether_peer *peer)
{
    for (size_t i = 0; i < TETHER_CLIENT_MAX_SERVERS; i++) {
        client_server *s = &c->servers[i];
        if (s->in_use && !s->bootstrap && tether_peer_equal(&s->peer, peer))
            return s;
    }
    return NULL;
}

const client_object_slot *client_object(const tether_client *c, uint16_t oid)
{
    for (size_t i = 0; i < c->nobjects; i++) {
        if (c->objects[i].def->oid == oid)
            return &c->objects[i];
    }
    return NULL;
}

void client_objects_changed(tether_client *c)
{
    c->objects_gen++;
    for (size_t i = 0; i < TETHER_CLIENT_MAX_SERVERS; i++) {
        if (c->servers[i].in_use && !c->servers[i].bootstrap)
            c->servers[i].pending |= PEND_UPDATE;
    }
}

void client_run_pending(tether_client *c, tether_time now)
{
    if (c->reboot_pending) {
        tether_client_event ev;
        c->reboot_pending = 0;
        memset(&ev, 0, sizeof(ev));
        ev.type = TETHER_CLIENT_EV_REBOOT;
        ev.at = TETHER_TIME_NEVER;
        client_emit(c, now, &ev);
    }
    for (size_t i = 0; i < TETHER_CLIENT_MAX_SERVERS; i++) {
        client_server *s = &c->servers[i];
        if (!s->in_use || s->bootstrap)
            continue;
        if (s->pending & PEND_DISABLE) {
            s->pending &= (uint8_t)~PEND_DISABLE;
            client_reg_step(c, s, REG_IN_DISABLE, now, 0, NULL);
        }
        if ((s->pending & PEND_UPDATE) && c->started && !c->stopping)
            client_reg_step(c, s, REG_IN_UPDATE_NOW, now, 0, NULL);
    }
}

/* --- setting up ------------------------------------------------------------------ */

int tether_client_add_server(tether_client *c, tether_time now,
                             const tether_client_server_config *sc)
{
    client_server *s = NULL;
    uint16_t sec_iid = 0, srv_iid = 0;
    int rc;

    if (c->in_callback)
        return TETHER_ERR_REENTRANT;
    rc = client_security_check(sc);
    if (rc != 0) {
        client_set_errmsg(c, "bad Security instance: ssid 0 or no peer");
        return rc;
    }
    if (!sc->bootstrap) {
        if (sc->lifetime < CLIENT_LIFETIME_MIN || sc->lifetime > CLIENT_LIFETIME_MAX ||
            sc->default_pmin < 0 || sc->default_pmax < 0 || sc->disable_timeout < 0 ||
            sc->disable_timeout > CLIENT_LIFETIME_MAX || sc->binding == NULL ||
            !client_binding_supported(c, sc->binding, strlen(sc->binding))) {
            client_set_errmsg(c, "a Server resource value the Server object would refuse");
            return TETHER_ERR_INVAL;
        }
        if (client_server_by_ssid(c, sc->ssid) != NULL) {
            client_set_errmsg(c, "Short Server ID already used");
            return TETHER_ERR_EXISTS;
        }
    }
    /* Lowest free instance ids, for /0 and /1 separately. */
    for (;; sec_iid++) {
        size_t i;
        for (i = 0; i < TETHER_CLIENT_MAX_SERVERS; i++)
            if (c->servers[i].in_use && c->servers[i].sec_iid == sec_iid)
                break;
        if (i == TETHER_CLIENT_MAX_SERVERS)
            break;
    }
    for (;; srv_iid++) {
        if (client_server_by_srv_iid(c, srv_iid) == NULL)
            break;
    }
    for (size_t i = 0; i < TETHER_CLIENT_MAX_SERVERS; i++) {
        if (!c->servers[i].in_use) {
            s = &c->servers[i];
            break;
        }
    }
    if (s == NULL) {
        client_set_errmsg(c, "TETHER_CLIENT_MAX_SERVERS reached");
        return TETHER_ERR_NOMEM;
    }
    memset(s, 0, sizeof(*s));
    s->owner = c;
    s->in_use = 1;
    s->bootstrap = sc->bootstrap ? 1 : 0;
    s->sec_iid = sec_iid;
    s->uri = sc->uri;
    s->hold_off_s = sc->hold_off_s;
    s->peer = sc->peer;
    s->deadline = TETHER_TIME_NEVER;
    s->state = TETHER_CLIENT_IDLE;
    if (s->bootstrap) /* R25: a Security instance only, no state machine */
        return 0;
    s->srv_iid = srv_iid;
    s->ssid = sc->ssid;
    s->lifetime = sc->lifetime;
    s->pmin = sc->default_pmin;
    s->pmax = sc->default_pmax;
    s->disable_timeout = sc->disable_timeout;
    s->notif_storing = sc->notification_storing ? 1 : 0;
    (void)copy_str(s->binding, sizeof(s->binding), sc->binding);
    /* A new Server instance is an object list change for the others. */
    client_objects_changed(c);
    s->pending = 0;
    if (c->started && !c->stopping) {
        client_reg_step(c, s, REG_IN_START, now, 0, NULL);
        client_run_pending(c, now);
    }
    return 0;
}

int tether_client_add_object(tether_client *c, tether_time now,
                             const tether_client_object *def, void *user)
{
    int rc;

    if (c->in_callback)
        return TETHER_ERR_REENTRANT;
    if (def == NULL || def->next_instance == NULL || def->oid == 0 || def->oid == 1 ||
        def->oid == 3 || def->oid > TETHER_LWM2M_ID_MAX || (def->nres > 0 && def->res == NULL))
        return TETHER_ERR_INVAL;
    for (uint16_t i = 1; i < def->nres; i++)
        if (def->res[i].id <= def->res[i - 1].id)
            return TETHER_ERR_INVAL;
    if (c->nobjects >= CLIENT_MAX_OBJECT_SLOTS)
        return TETHER_ERR_NOMEM;
    rc = object_insert(c, def, user);
    if (rc != 0)
        return rc;
    client_objects_changed(c);
    if (c->started)
        client_run_pending(c, now);
    return 0;
}

int tether_client_start(tether_client *c, tether_time now)
{
    if (c->in_callback)
        return TETHER_ERR_REENTRANT;
    if (c->started)
        return TETHER_ERR_STATE;
    c->started = 1;
    /* R12: a Register to every server we have a Server instance for. */
    for (size_t i = 0; i < TETHER_CLIENT_MAX_SERVERS; i++) {
        client_server *s = &c->servers[i];
        if (s->in_use && !s->bootstrap) {
            s->pending = 0;
            client_reg_step(c, s, REG_IN_START, now, 0, NULL);
        }
    }
    return 0;
}

int tether_client_stop(tether_client *c, tether_time now)
{
    if (c->in_callback)
        return TETHER_ERR_REENTRANT;
    c->stopping = 1;
    for (size_t i = 0; i < TETHER_CLIENT_MAX_SERVERS; i++) {
        client_server *s = &c->servers[i];
        if (s->in_use && !s->bootstrap) {
            s->pending = 0;
#if CLIENT_OBSERVE
            client_obs_drop_server(c, s, now); /* nothing more to tell it */
#endif
            client_reg_step(c, s, REG_IN_STOP, now, 0, NULL);
        }
    }
    return 0;
}

int tether_client_stopped(const tether_client *c)
{
    for (size_t i = 0; i < TETHER_CLIENT_MAX_SERVERS; i++) {
        const client_server *s = &c->servers[i];
        if (s->in_use && !s->bootstrap && s->state != TETHER_CLIENT_IDLE)
            return 0;
    }
    return 1;
}

/* --- sans-I/O ------------------------------------------------------------------------ */

static void on_coap_request(void *user, tether_time now, const tether_coap_msg *req,
                            const tether_coap_incoming *in)
{
    tether_client *c = user;
    tether_coap_incoming copy = *in;
    client_server *s = server_by_peer(c, &in->peer);

    if (s == NULL) /* filtered in tether_client_recv(); kept as a guard */
        return;
    client_dm_handle(c, s, now, req, &copy);
}

#if CLIENT_OBSERVE
static void on_coap_reset(void *user, tether_time now, const tether_peer *peer, uint16_t mid)
{
    client_obs_on_reset(user, now, peer, mid);
}
#endif

/* Everything that may be due after an input: work noted by a request,
 * then notifications (which go after the answers and Updates it caused). */
static void run_after(tether_client *c, tether_time now)
{
    client_run_pending(c, now);
#if CLIENT_OBSERVE
    client_obs_run(c, now);
#endif
}

int tether_client_recv(tether_client *c, tether_time now, const tether_peer *peer,
                       const uint8_t *buf, size_t len)
{
    client_server *s;
    int rc;

    if (c->in_callback)
        return TETHER_ERR_REENTRANT;
    TETHER_SET_ERRMSG(c->errmsg, "");
    s = server_by_peer(c, peer);
    if (s == NULL) {
        /* Not one of our servers: a client answers nobody else. */
        TETHER_LOG(c->log, c->log_user, TETHER_LOG_DEBUG, CLIENT_LOG_MODULE,
                   "%s: datagram from an unknown peer dropped", c->endpoint);
        return 0;
    }
    switch ((tether_client_reg_state)s->state) {
    case TETHER_CLIENT_DISABLED:
    case TETHER_CLIENT_IDLE:
        /* R20: "ignore all the messages from the LwM2M Server for the
         * period"; an idle account has nothing to say to anyone either. */
        return 0;
    case TETHER_CLIENT_DEREGISTER_SENT:
        /* R20: after the Disable answer the server is already being left:
         * only what completes our De-register (ACK, RST, a response) gets
         * through; its requests would otherwise draw an ACK from us. */
        if (s->disabling && len >= 2) {
            uint8_t type = (uint8_t)((buf[0] >> 4) & 3);
            if (type != TETHER_COAP_ACK && type != TETHER_COAP_RST &&
                TETHER_COAP_CLASS(buf[1]) < 2)
                return 0;
        }
        break;
    case TETHER_CLIENT_WAIT_REGISTER:
    case TETHER_CLIENT_REGISTER_SENT:
    case TETHER_CLIENT_REGISTERED:
    case TETHER_CLIENT_UPDATE_SENT:
        break;
    }
    if (client_queue_asleep(s)) {
        /* Queue mode: the awake window is over, we are not listening. */
        TETHER_LOG(c->log, c->log_user, TETHER_LOG_DEBUG, CLIENT_LOG_MODULE,
                   "%s: queue mode: datagram from ssid %u while asleep dropped", c->endpoint,
                   s->ssid);
        return 0;
    }
    client_queue_heard(c, s, now);
    rc = tether_coap_recv(c->coap, now, peer, buf, len);
    run_after(c, now);
    return rc;
}

int tether_client_send(tether_client *c, tether_time now, tether_peer *peer, uint8_t *buf,
                       size_t cap, size_t *len)
{
    client_server *s;
    int rc;

    if (c->in_callback)
        return TETHER_ERR_REENTRANT;
    rc = tether_coap_send(c->coap, now, peer, buf, cap, len);
#if CLIENT_OBSERVE
    if (rc == 0 && *len == 0) {
        /* The queue ran dry: stored notifications waiting for room go on. */
        client_obs_refill(c, now);
        rc = tether_coap_send(c->coap, now, peer, buf, cap, len);
    }
#endif
    if (rc == 0 && *len > 0 && (s = server_by_peer(c, peer)) != NULL)
        client_queue_sent(c, s, now); /* queue mode: the window restarts */
    return rc;
}

tether_time tether_client_next_deadline(const tether_client *c)
{
    tether_time t = tether_coap_next_deadline(c->coap), q;

    for (size_t i = 0; i < TETHER_CLIENT_MAX_SERVERS; i++) {
        const client_server *s = &c->servers[i];
        if (s->in_use && s->deadline < t)
            t = s->deadline;
    }
#if CLIENT_OBSERVE
    q = client_obs_deadline(c);
    if (q < t)
        t = q;
#endif
    q = client_queue_deadline(c);
    return q < t ? q : t;
}

int tether_client_on_timeout(tether_client *c, tether_time now)
{
    if (c->in_callback)
        return TETHER_ERR_REENTRANT;
    TETHER_SET_ERRMSG(c->errmsg, "");
    (void)tether_coap_on_timeout(c->coap, now);
    for (size_t i = 0; i < TETHER_CLIENT_MAX_SERVERS; i++) {
        client_server *s = &c->servers[i];
        if (s->in_use && !s->bootstrap && s->deadline <= now)
            client_reg_step(c, s, REG_IN_TIMER, now, 0, NULL);
    }
    client_queue_run(c, now);
    run_after(c, now);
    return 0;
}

/* --- local changes ------------------------------------------------------------------ */

int tether_client_set_lifetime(tether_client *c, tether_time now, uint16_t ssid,
                               int64_t lifetime)
{
    client_server *s;

    if (c->in_callback)
        return TETHER_ERR_REENTRANT;
    s = client_server_by_ssid(c, ssid);
    if (s == NULL)
        return TETHER_ERR_NOT_FOUND;
    if (lifetime < CLIENT_LIFETIME_MIN || lifetime > CLIENT_LIFETIME_MAX) {
        client_set_errmsg(c, "lifetime outside 1..2147483647 s");
        return TETHER_ERR_INVAL;
    }
    if (lifetime == s->lifetime) /* R8: the same value changes nothing */
        return 0;
    s->lifetime = lifetime;
    s->pending |= PEND_UPDATE; /* R8: the new lifetime goes out in an Update */
    client_run_pending(c, now);
    return 0;
}

int tether_client_trigger_update(tether_client *c, tether_time now, uint16_t ssid)
{
    client_server *s;

    if (c->in_callback)
        return TETHER_ERR_REENTRANT;
    s = client_server_by_ssid(c, ssid);
    if (s == NULL)
        return TETHER_ERR_NOT_FOUND;
    if (s->state != TETHER_CLIENT_REGISTERED && s->state != TETHER_CLIENT_UPDATE_SENT)
        return TETHER_ERR_STATE;
    s->pending |= PEND_UPDATE;
    client_run_pending(c, now);
    return 0;
}

int tether_client_objects_changed(tether_client *c, tether_time now)
{
    if (c->in_callback)
        return TETHER_ERR_REENTRANT;
    client_objects_changed(c);
    client_run_pending(c, now);
    return 0;
}

int tether_client_changed(tether_client *c, tether_time now, const tether_lwm2m_path *path)
{
    if (c->in_callback)
        return TETHER_ERR_REENTRANT;
    if (path == NULL || path->len < 1 || !tether_lwm2m_path_valid(path))
        return TETHER_ERR_INVAL;
#if CLIENT_OBSERVE
    client_obs_changed(c, path);
    client_obs_run(c, now);
#else
    (void)now;
#endif
    return 0;
}

/* --- accessors ------------------------------------------------------------------------ */

int tether_client_server_state(const tether_client *c, uint16_t ssid)
{
    const client_server *s = client_server_by_ssid((tether_client *)c, ssid);
    return s != NULL ? s->state : -1;
}

int64_t tether_client_lifetime(const tether_client *c, uint16_t ssid)
{
    const client_server *s = client_server_by_ssid((tether_client *)c, ssid);
    return s != NULL ? s->lifetime : -1;
}

int tether_client_location(const tether_client *c, uint16_t ssid, char *out, size_t cap)
{
    const client_server *s = client_server_by_ssid((tether_client *)c, ssid);
    size_t o = 0;

    if (s == NULL || s->loc_len == 0 ||
        (s->state != TETHER_CLIENT_REGISTERED && s->state != TETHER_CLIENT_UPDATE_SENT))
        return TETHER_ERR_NOT_FOUND;
    for (size_t i = 0; i < s->loc_len;) {
        size_t n = s->loc[i++];
        if (o + (o > 0) + n + 1 > cap)
            return TETHER_ERR_NOSPACE;
        if (o > 0)
            out[o++] = '/';
        memcpy(out + o, s->loc + i, n);
        o += n;
        i += n;
    }
    if (cap == 0)
        return TETHER_ERR_NOSPACE;
    out[o] = '\0';
    return 0;
}

const char *tether_client_errmsg(const tether_client *c)
{
    return TETHER_GET_ERRMSG(c->errmsg);
}

void tether_client_coap_stats(const tether_client *c, tether_coap_stats *out)
{
    tether_coap_get_stats(c->coap, out);
}

int tether_client_get_notify_stats(const tether_client *c, uint16_t ssid,
                                   tether_client_notify_stats *out)
{
    const client_server *s = client_server_by_ssid((tether_client *)c, ssid);

    if (s == NULL)
        return TETHER_ERR_NOT_FOUND;
    memset(out, 0, sizeof(*out));
#if CLIENT_OBSERVE
    for (size_t i = 0; i < TETHER_CLIENT_MAX_OBSERVATIONS; i++)
        if (c->obs[i].in_use && &c->servers[c->obs[i].srv] == s)
            out->observations++;
    out->sent = s->n_sent;
    out->stored_total = s->n_stored;
    out->dropped = s->n_dropped;
    out->discarded = s->n_discarded;
#endif
#if CLIENT_STORE
    out->stored = s->store_count;
    out->stored_bytes = s->store_len;
#endif
    return 0;
}
