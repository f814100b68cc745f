/* SPDX-License-Identifier: Apache-2.0 */
/* The LwM2M client engine: object model, device management answered on the
 * client, and one registration state machine per LwM2M Server account.
 *
 * Sans-I/O. The engine never touches a socket, a clock or a random source:
 * datagrams come in through tether_client_recv() and go out through
 * tether_client_send(), `now` is an argument (ms, monotonic), randomness a
 * callback. Those four calls have the tether_coap_* shapes, so an adapter
 * drives a client exactly like a bare CoAP context. Everything below the
 * request/response model (message ids, retransmission, deduplication) is the
 * CoAP exchange layer's (tether/coap_exchange.h), whose context lives inside
 * the client's memory.
 *
 * Memory: one block from the caller, sized by tether_client_mem_size(), holds
 * the engine and its CoAP context; sizes are compile-time
 * (tether/client_config.h). Nothing is allocated after init. Strings the
 * engine only reads back (server URIs, Device object strings) are kept by
 * pointer; those it must own are copied.
 *
 * Bodies larger than one datagram move block-wise (RFC 7959, up to
 * TETHER_CLIENT_MAX_BODY bytes): a long object list in Block1 blocks, a
 * large Read answer in Block2 slices, a large Write reassembled from Block1.
 *
 * Objects. Security (/0), Server (/1) and Device (/3) are built in; an
 * application adds its own with tether_client_add_object(). A server account
 * is one Security instance plus, unless it is a Bootstrap-Server (R25), one
 * Server instance with the same Short Server ID. The Security object is
 * never reachable through device management (every operation on /0 is
 * refused with 4.01 Unauthorized, LwM2M 1.0.2 §E.1) and never listed (R18).
 *
 * Registration, per Server instance (R12), states named for what is on the
 * wire:
 *
 *   IDLE --start--> WAIT_REGISTER --hold-off/back-off due--> REGISTER_SENT
 *   REGISTER_SENT --2.01--> REGISTERED;  --4.xx/5.xx/timeout--> WAIT_REGISTER
 *                                        (back-off, see below)
 *   REGISTERED --Update due, or something to tell--> UPDATE_SENT
 *   UPDATE_SENT --2.04--> REGISTERED
 *   UPDATE_SENT --4.xx/5.xx/timeout/RST, or the lifetime ran out--> REGISTER_SENT (R7)
 *   any registered state --Disable executed--> DEREGISTER_SENT --> DISABLED
 *   DISABLED --Disable Timeout over--> REGISTER_SENT (R20)
 *   any state --stop--> DEREGISTER_SENT (if registered) --> IDLE (R11)
 *
 * Update schedule. A registration sent at time T with lifetime lt seconds
 * lapses on the server at T + lt at the earliest (the server counts from
 * when it received it). The next Update is due at
 *
 *     T + d - j,  d = lt - MAX_TRANSMIT_WAIT   when lt >= 2 * MAX_TRANSMIT_WAIT
 *                 d = lt / 2                   otherwise
 *                 j = random in [0, d / 20]    (jitter from the rand callback)
 *
 * MAX_TRANSMIT_WAIT comes from the CoAP config (RFC 7252 §4.8.2: ACK_TIMEOUT
 * * (2^(MAX_RETRANSMIT + 1) - 1) * ACK_RANDOM_FACTOR, 93 s by default), so
 * for long lifetimes an Update that needs every retransmission still lands
 * before the registration lapses; for short ones (below 186 s) the Update
 * goes at half the lifetime, proportionally earlier, which keeps a margin of
 * half the lifetime for retransmissions (with lt = 10 s: at 4.75..5 s). The
 * jitter (up to 5%, always earlier) keeps a fleet that registered together
 * from updating in lock-step. If the lifetime runs out while an Update is
 * still unanswered, the Update is abandoned and a Register sent (R7).
 *
 * An Update carries lt only when /1/x/1 changed since the last successful
 * Register or Update (R8, R9: it then equals the resource), b only when
 * /1/x/7 changed, never sms (fixed at init, sent with every Register), and
 * the object list only when objects or instances changed; a plain refresh
 * has no parameters (R5).
 *
 * Back-off. A failed Register (any 4.xx/5.xx, RST, or no answer after every
 * retransmission) is retried after a delay drawn uniformly from [D/2, D],
 * D = min(retry_initial_s * 2^(n-1), retry_max_s) for the n-th consecutive
 * failure: never a tight loop, never silent (each failure is an event), and
 * never giving up.
 *
 * Information reporting (LwM2M 1.0 §5.5, RFC 7641). A GET with Observe 0 on
 * an object, instance or resource registers an observation keyed by the
 * server and the request's token (the same token again replaces it) and is
 * answered 2.05 with the Observe option and the current value, in the
 * format a Read would use. A GET with Observe 1, an RST against a
 * notification, or a CON notification left unacknowledged after every
 * retransmission cancels it; so does tether_client_stop(). Notifications
 * carry the observation's token, its content format and an Observe value
 * that grows with every message the engine sends (one 24-bit counter for
 * the whole client, so it also grows across a re-registration).
 *
 * When a notification goes, with the attributes in force for that server
 * (Write-Attributes, PUT with Uri-Query only, on object, instance and
 * resource; a resource's own value wins over its instance's, which wins
 * over its object's; pmin and pmax not set at any level come from the
 * Server object's /1/x/2 (absent: 0) and /1/x/3 (absent or 0: none), R24):
 *   - the value changed (the application says so with
 *     tether_client_changed(); a server Write, Create or Delete says so by
 *     itself) and a change condition holds: without gt, lt and st any
 *     change; with them, the value crossed gt or lt (in either direction)
 *     or moved by st or more from the last notified value. Then it goes at
 *     pmin seconds after the previous notification at the earliest;
 *   - pmax seconds after the previous notification, changed or not (a pmax
 *     smaller than pmin is ignored, LwM2M 1.0 §5.1.2).
 * gt, lt and st belong to numeric (Integer, Float, Unsigned) single
 * resources only; lt < gt and lt + 2 * st < gt must hold, st >= 0, pmin <=
 * pmax when both are written at one level, or the request is answered 4.00
 * and nothing changes. An attribute without a value ("pmin") removes it.
 * Discover lists each entry's own attributes, and for a resource those it
 * inherits too.
 *
 * Notifications go NON, except CON when the observation's last CON is
 * notify_con_interval_s old (RFC 7641 §4.5: at least once a day, so a
 * server that forgot us says so with an RST), or when notify_con_on_change
 * is set and the notification reports a change rather than pmax running
 * out. While a CON notification of an observation waits for its ACK, newer
 * values of that observation wait for it too. A notification whose value
 * can no longer be read (its instance was deleted) goes as that error
 * (4.04) without Observe option and ends the observation (RFC 7641 §3.2).
 *
 * Notification storing (R21). While a server is disabled (R20) or the
 * client is offline for it (not registered: Register pending, failed or
 * backing off), its notifications are encoded when due, as they would have
 * been sent, and appended to that server's store
 * (TETHER_CLIENT_NOTIFY_STORE_BYTES) when /1/x/6 is true, or discarded
 * (counted) when it is false. Once registered again, the store is sent
 * first, oldest first, each with a fresh Observe value; notifications
 * produced meanwhile queue behind it, so the server sees them in order.
 * Overflow drops the oldest stored notification (counted in `dropped`).
 * Stored notifications of an observation that ended meanwhile are dropped
 * unsent. tether_client_get_notify_stats() reports all of it.
 *
 * Queue mode (LwM2M 1.0 §5.3.1.1 and §8.3, binding "UQ"). A server whose
 * current binding (/1/x/7) has Q is reachable only for an awake window
 * (queue_awake_ms, MAX_TRANSMIT_WAIT by default: 93 s) after the last
 * datagram the client sent to or received from it, and while an exchange
 * with it is in flight. Then the engine reports TETHER_CLIENT_EV_SLEEPING
 * and drops whatever that server sends until the client next sends it
 * something (a notification, an Update, a Register), which reports
 * TETHER_CLIENT_EV_AWAKE and opens a new window. tether_client_listening()
 * says whether any server is reachable now: an adapter may power its radio
 * down (or stop reading the socket) while it is 0 and must bring it up
 * before sending, which it does anyway when tether_client_send() yields a
 * datagram; the engine's deadline still wakes it for Updates and pmax.
 *
 * LwM2M 1.1 (config lwm2m_version = TETHER_LWM2M_V1_1). Register says
 * lwm2m=1.1 and b= the binding letters without Q; queue mode is the bare
 * parameter Q instead (1.1 §6.2.1.1: "Queue Mode" is its own Register
 * parameter and the 1.0 "UQ"/"SQ" bindings are gone). An Update whose b
 * is due (the binding changed) carries b and Q by the same rule. The
 * Server object's Binding /1/x/7 keeps its 1.0 values: a server writing
 * "UQ" still means UDP + queue mode, which is how Wakaama tracks it too
 * ("Queue mode is still tracked internally as part of the binding mode,
 * but is sent separately by LWM2M 1.1 clients", eclipse/wakaama#418), so
 * the queue-mode behaviour above is the same in both versions. Limit: 1.1
 * has no way to say "queue mode off" in an Update (a 1.1 server keeps
 * queue mode when b comes without Q), so a change from UQ to U reaches a
 * 1.1 server only at the next Register.
 */
#ifndef TETHER_CLIENT_H
#define TETHER_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "tether/client_config.h"
#include "tether/coap.h"
#include "tether/coap_exchange.h"
#include "tether/err.h"
#include "tether/lwm2m.h"
#include "tether/types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tether_client tether_client;

/* --- registration states and events ------------------------------------ */

typedef enum tether_client_reg_state {
    TETHER_CLIENT_IDLE = 0,            /* not started, or stopped */
    TETHER_CLIENT_WAIT_REGISTER = 1,   /* nothing in flight; Register goes at the deadline
                                          (hold-off at start, back-off after a failure) */
    TETHER_CLIENT_REGISTER_SENT = 2,   /* Register in flight */
    TETHER_CLIENT_REGISTERED = 3,      /* registered; the next Update is scheduled */
    TETHER_CLIENT_UPDATE_SENT = 4,     /* Update in flight */
    TETHER_CLIENT_DEREGISTER_SENT = 5, /* De-register in flight (stop or Disable) */
    TETHER_CLIENT_DISABLED = 6,        /* R20: silent until the Disable Timeout is over */
} tether_client_reg_state;

/* "IDLE", "REGISTER_SENT", ...; "?" for anything else. Static storage. */
const char *tether_client_reg_state_name(int state);

typedef enum tether_client_event_type {
    TETHER_CLIENT_EV_REGISTERED = 1,   /* 2.01 Created: location set; at = next Update */
    TETHER_CLIENT_EV_UPDATED,          /* 2.04 Changed; at = next Update */
    TETHER_CLIENT_EV_REGISTER_FAILED,  /* code or err says why; at = next attempt */
    TETHER_CLIENT_EV_UPDATE_FAILED,    /* code or err says why; a Register follows (R7) */
    TETHER_CLIENT_EV_DEREGISTERED,     /* De-register answered (code) or not (err) */
    TETHER_CLIENT_EV_DISABLED,         /* /1/x/4 executed and De-register done; at = end (R20) */
    TETHER_CLIENT_EV_ENABLED,          /* the Disable Timeout is over; Registering (R20) */
    TETHER_CLIENT_EV_WRITTEN,          /* a server changed a value: path (R8, R22) */
    TETHER_CLIENT_EV_REBOOT,           /* /3/0/4 Reboot executed: the application reboots */
    TETHER_CLIENT_EV_OBSERVED,         /* a server observes path (Observe 0 answered) */
    TETHER_CLIENT_EV_OBSERVE_CANCELLED, /* an observation of path ended; err says why:
                                           0 (Observe 1 or a replaced token),
                                           RESET (RST), TIMEOUT (CON not ACKed),
                                           NOT_FOUND (the target went away),
                                           CANCELLED (stop) */
    TETHER_CLIENT_EV_SLEEPING,         /* queue mode: the awake window for ssid ended,
                                          its datagrams are dropped now */
    TETHER_CLIENT_EV_AWAKE,            /* queue mode: the client sends to ssid again */
} tether_client_event_type;

/* "REGISTERED", ...; "?" for anything else. Static storage. */
const char *tether_client_event_name(int type);

typedef struct tether_client_event {
    int type;             /* tether_client_event_type */
    uint16_t ssid;        /* the server concerned, 0 for none (REBOOT) */
    uint8_t code;         /* the CoAP response code behind it, 0 if none */
    int err;              /* TETHER_ERR_TIMEOUT / RESET / CANCELLED / NOMEM..., or 0 */
    tether_time at;       /* see each type; TETHER_TIME_NEVER if none */
    const char *location; /* REGISTERED: "rd/5a3f", borrowed for the call; else NULL */
    tether_lwm2m_path path; /* WRITTEN: what changed; OBSERVED, OBSERVE_CANCELLED:
                               the observed target (len 0 otherwise) */
} tether_client_event;

/* One callback for everything the application hears about (STYLE rule 10).
 * ev: borrowed for the call. It may call the tether_client_* accessors; any
 * other engine call returns TETHER_ERR_REENTRANT. */
typedef void (*tether_client_event_fn)(void *user, tether_time now,
                                       const tether_client_event *ev);

/* --- application objects ----------------------------------------------- */

/* A handler's refusal: a negated CoAP response code, e.g.
 * TETHER_CLIENT_REFUSE(TETHER_COAP_BAD_REQUEST). Any other negative return
 * is answered 5.00 and logged. */
#define TETHER_CLIENT_REFUSE(code) (-(int)(code))

typedef struct tether_client_res_def {
    uint16_t id;
    uint8_t ops;      /* TETHER_LWM2M_OP_R / _W / _E bits; 0: not reachable */
    uint8_t type;     /* tether_lwm2m_type; NONE for an executable resource */
    uint8_t multiple; /* nonzero for a Multiple-Instance resource */
} tether_client_res_def;

/* An object, as the application defines it: static const, kept by the
 * engine. Handlers get the `user` given to tether_client_add_object().
 * Ids are checked by the engine before a handler sees them: the instance
 * exists (next_instance listed it) and the resource is in res[] with the
 * operation allowed. */
typedef struct tether_client_object {
    uint16_t oid;
    uint8_t multi_instance;          /* Create and Delete allowed (with the handlers) */
    uint16_t nres;
    const tether_client_res_def *res; /* nres entries, ascending id */

    /* The instance after prev (-1 for the first), in ascending order; -1
     * when there is none. Required. */
    int32_t (*next_instance)(void *user, int32_t prev);
    /* Nonzero when optional resource rid is present in instance iid.
     * NULL: every resource in res[] is present. */
    int (*present)(void *user, uint16_t iid, uint16_t rid);
    /* Multiple-Instance resources: the instance after prev (-1 first) or -1. */
    int32_t (*next_res_instance)(void *user, uint16_t iid, uint16_t rid, int32_t prev);
    /* Read one value (riid is TETHER_LWM2M_ID_RESERVED for a single
     * resource). out: fill with the resource's type; a string or opaque view
     * must stay valid until the handler is called again. Returns 0 or a
     * TETHER_CLIENT_REFUSE() code. */
    int (*read)(void *user, uint16_t iid, uint16_t rid, uint16_t riid,
                tether_lwm2m_value *out);
    /* Write one value, already decoded to the resource's type. v: borrowed,
     * its views point into the request (copy what you keep). A write runs
     * twice: with commit 0 for every value of the request (check only,
     * change nothing; refuse here), then with commit 1 for every value
     * (apply; must not fail). So a refused request changes nothing (R19).
     * NULL: resources are read-only whatever res[] says. */
    int (*write)(void *user, uint16_t iid, uint16_t rid, uint16_t riid,
                 const tether_lwm2m_value *v, int commit);
    /* Execute. arg: the request payload, borrowed, may be NULL. */
    int (*execute)(void *user, uint16_t iid, uint16_t rid, const uint8_t *arg, size_t len);
    /* Create instance iid (chosen by the server or by the engine); the
     * values of the request are then written through write(). Returns 0 or
     * a refusal; the engine deletes the instance again when a value is
     * refused. */
    int (*create)(void *user, uint16_t iid);
    /* Delete instance iid. */
    int (*remove)(void *user, uint16_t iid);
} tether_client_object;

/* --- configuration -------------------------------------------------------- */

typedef struct tether_client_config {
    const char *endpoint;     /* copied; 1..TETHER_CLIENT_MAX_ENDPOINT bytes, required (R13) */
    const char *sms_number;   /* copied; "sms" parameter when non-NULL */
    const char *alt_path;     /* copied; alternate root path like "/lwm2m", NULL for none */
    /* Device object /3/0; all kept by pointer, NULL leaves the resource out. */
    const char *manufacturer; /* /3/0/0 */
    const char *model;        /* /3/0/1 */
    const char *serial;       /* /3/0/2 */
    const char *firmware;     /* /3/0/3 */
    const char *supported_bindings; /* /3/0/16, "UQ": the bindings /1/x/7 may take (R22);
                                       "U" with TETHER_CLIENT_NO_QUEUE_MODE, and no Q */
    uint32_t retry_initial_s; /* Register back-off, first delay: 60 (LwM2M 1.1's default
                                 Communication Retry Timer) */
    uint32_t retry_max_s;     /* Register back-off cap: 3600 */
    uint32_t notify_con_interval_s; /* a notification goes CON when its observation's
                                       last CON is this old: 86400 (RFC 7641 §4.5);
                                       0: every notification goes CON */
    uint8_t notify_con_on_change;   /* nonzero: notifications that report a change go
                                       CON (pmax ones stay NON): 0 */
    uint32_t queue_awake_ms;  /* queue mode awake window; 0: MAX_TRANSMIT_WAIT of the
                                 CoAP config (93 s with its defaults): 0 */
    uint8_t advertise_json;   /* nonzero: the object list of Register and Update opens
                                 with the root link `</>;rt="oma.lwm2m";ct=11543`, which
                                 tells a 1.0 server the client takes LwM2M JSON for all
                                 its objects (LwM2M 1.0 §5.3.1); only where this build
                                 both decodes and encodes LwM2M JSON, ignored otherwise.
                                 1.0 has no way to name the 1.1 formats: 0 */
    uint8_t lwm2m_version;    /* tether_lwm2m_version the client registers with:
                                 TETHER_LWM2M_V1_0 (0 means the same) or TETHER_LWM2M_V1_1;
                                 anything else is refused (TETHER_ERR_INVAL), and so is
                                 1.1 with TETHER_CLIENT_NO_QUEUE_MODE. 1.1 changes
                                 only the Register/Update query: see "LwM2M 1.1" above.
                                 TETHER_LWM2M_V1_0 */
    tether_coap_config coap;  /* the exchange layer; rand and log below are copied into it */
    tether_rand_fn rand;      /* required: jitter, tokens, message ids */
    void *rand_user;
    tether_log_fn log;        /* optional */
    void *log_user;
} tether_client_config;

/* Fill cfg with the defaults above and the CoAP defaults sized for a client:
 * TETHER_CLIENT_MAX_SERVERS + 2 exchanges in flight, 16 remembered requests
 * whose answers up to 256 bytes are replayed to duplicates, a send queue of
 * 4 messages. */
void tether_client_config_default(tether_client_config *cfg);

/* One server account: a Security instance, plus a Server instance unless
 * bootstrap is set (R25). Values are the resources' initial values. */
typedef struct tether_client_server_config {
    const char *uri;          /* /0/x/0, kept; informational, the adapter resolves it */
    tether_peer peer;         /* copied: where the adapter reaches this server */
    uint8_t bootstrap;        /* /0/x/1: a Bootstrap-Server, which gets no Server
                                 instance and no registration (R25) */
    uint16_t ssid;            /* /0/x/10 and /1/x/0, 1..65535 (unused for bootstrap) */
    uint32_t hold_off_s;      /* /0/x/11: wait before the first Register, 0 */
    int64_t lifetime;         /* /1/x/1 seconds, 1..2^31-1, 86400 */
    int64_t default_pmin;     /* /1/x/2, 0 */
    int64_t default_pmax;     /* /1/x/3, 0 (none) */
    int64_t disable_timeout;  /* /1/x/5 seconds, 86400 */
    uint8_t notification_storing; /* /1/x/6, 1 */
    const char *binding;      /* /1/x/7, copied, valid (R17) and supported, "U" */
} tether_client_server_config;

void tether_client_server_config_default(tether_client_server_config *sc);

/* --- constructor and destructor ------------------------------------------- */

/* Bytes tether_client_init() needs for cfg (0 if cfg is invalid). */
size_t tether_client_mem_size(const tether_client_config *cfg);

/* Build a client inside mem.
 * out: gets the client, which lives in mem. mem: kept until
 * tether_client_fini(), memsz >= tether_client_mem_size(cfg), aligned for any
 * type. cfg: copied (its strings as documented there). on_event: may be
 * NULL; user: kept, passed to it.
 * Returns 0, TETHER_ERR_INVAL (no endpoint or one too long, no rand, bad
 * alt_path or CoAP config) or TETHER_ERR_NOMEM (memsz too small). */
int tether_client_init(tether_client **out, void *mem, size_t memsz,
                       const tether_client_config *cfg, tether_client_event_fn on_event,
                       void *user);

/* Drop everything at once: no De-register is sent (call tether_client_stop()
 * and wait for tether_client_stopped() first for R11). NULL is a no-op. */
void tether_client_fini(tether_client *c);

/* --- setting up --------------------------------------------------------- */

/* Add a server account (before or after start; after start it registers at
 * once). sc: copied (uri kept).
 * Returns 0, TETHER_ERR_INVAL (ssid 0, a lifetime or binding the Server
 * object would refuse), TETHER_ERR_EXISTS (ssid already used) or
 * TETHER_ERR_NOMEM (TETHER_CLIENT_MAX_SERVERS reached). Nothing changes on
 * error. */
int tether_client_add_server(tether_client *c, tether_time now,
                             const tether_client_server_config *sc);

/* Add an application object. def: kept until fini (static const). user:
 * kept, passed to its handlers.
 * Returns 0, TETHER_ERR_INVAL (oid 0, 1 or 3, res not ascending, no
 * next_instance), TETHER_ERR_EXISTS or TETHER_ERR_NOMEM
 * (TETHER_CLIENT_MAX_OBJECTS). After start, the object list changed: every
 * server gets an Update with it. */
int tether_client_add_object(tether_client *c, tether_time now,
                             const tether_client_object *def, void *user);

/* Register with every Server instance (R12): each gets a Register after its
 * hold-off. Returns 0 or TETHER_ERR_STATE (already started). */
int tether_client_start(tether_client *c, tether_time now);

/* De-register from every registered server (R11) and stop: Registers in
 * flight are cancelled, nothing new is scheduled. Keep driving the engine
 * until tether_client_stopped() (or give up: De-register may wait for its
 * retransmissions). Returns 0. */
int tether_client_stop(tether_client *c, tether_time now);

/* Nonzero when no server has anything in flight after tether_client_stop()
 * (every state IDLE). */
int tether_client_stopped(const tether_client *c);

/* --- the sans-I/O engine (STYLE rule 9) ------------------------------------ */

/* Feed one received datagram. Datagrams from a peer that is no server's,
 * from a disabled server (R20), or from a queue-mode server whose awake
 * window is over, are dropped unread.
 * peer, buf: borrowed. now: never decreasing.
 * Returns 0, or the CoAP layer's error for a datagram that does not parse
 * (dropped). Must not be called from the event callback (TETHER_ERR_REENTRANT). */
int tether_client_recv(tether_client *c, tether_time now, const tether_peer *peer,
                       const uint8_t *buf, size_t len);

/* Take the next datagram to send: as tether_coap_send(). A datagram to a
 * queue-mode server that was asleep wakes it (TETHER_CLIENT_EV_AWAKE, from
 * this call); when the CoAP queue runs dry, stored notifications that were
 * waiting for room are queued and the first of them returned. */
int tether_client_send(tether_client *c, tether_time now, tether_peer *peer, uint8_t *buf,
                       size_t cap, size_t *len);

/* When tether_client_on_timeout() should next be called (the earliest of
 * the CoAP layer's, the registration, notification and awake-window
 * timers); TETHER_TIME_NEVER if none. Cost: O(TETHER_CLIENT_MAX_SERVERS +
 * TETHER_CLIENT_MAX_OBSERVATIONS); each observation keeps its own
 * deadline, worked out when something it depends on changes. */
tether_time tether_client_next_deadline(const tether_client *c);

/* Run what is due: retransmissions, Registers, Updates, the end of a
 * Disable, notifications (and the stores of servers that are back), the
 * end of awake windows. Cheap to call early. Returns 0. */
int tether_client_on_timeout(tether_client *c, tether_time now);

/* --- local changes ---------------------------------------------------------- */

/* Set /1/x/1 locally, as a server Write would (R8): a different value
 * becomes the registration lifetime and is sent in an Update with lt; the
 * same value changes nothing.
 * Returns 0, TETHER_ERR_NOT_FOUND (no such ssid) or TETHER_ERR_INVAL
 * (outside 1..2^31-1; nothing changes). */
int tether_client_set_lifetime(tether_client *c, tether_time now, uint16_t ssid,
                               int64_t lifetime);

/* Send an Update to that server now, as executing /1/x/8 does (R23).
 * Returns 0, TETHER_ERR_NOT_FOUND or TETHER_ERR_STATE (not registered). */
int tether_client_trigger_update(tether_client *c, tether_time now, uint16_t ssid);

/* The application created or deleted instances of its objects by itself:
 * every registered server gets an Update with the object list. Returns 0. */
int tether_client_objects_changed(tether_client *c, tether_time now);

/* The value of path changed (a sensor reading, a local setting): the
 * observations it touches (on path, inside it or around it) are looked at
 * now, and notify when their attributes say so (with gt, lt or st the
 * value is read through the object's read handler right away). Cost:
 * O(TETHER_CLIENT_MAX_OBSERVATIONS), nothing sent when nothing observes
 * path. path: borrowed, depth 1..4. Must not be called from an object
 * handler (note the change, report it after the engine call returns) nor
 * from the event callback (TETHER_ERR_REENTRANT).
 * Returns 0, or TETHER_ERR_INVAL (bad path). */
int tether_client_changed(tether_client *c, tether_time now, const tether_lwm2m_path *path);

/* --- accessors ------------------------------------------------------------ */

/* The registration state for ssid, or -1 when there is no such server. */
int tether_client_server_state(const tether_client *c, uint16_t ssid);

/* The current registration lifetime /1/x/1, or -1 for no such server. */
int64_t tether_client_lifetime(const tether_client *c, uint16_t ssid);

/* The location ("rd/5a3f") of the registration with ssid, NUL-terminated,
 * into out. Returns 0, TETHER_ERR_NOT_FOUND (no server or not registered)
 * or TETHER_ERR_NOSPACE. */
int tether_client_location(const tether_client *c, uint16_t ssid, char *out, size_t cap);

/* The engine's last error sentence (STYLE rule 7), "" when none. Valid
 * until the next engine call. Always "" in a build with TETHER_NO_ERRMSG
 * (tether/client_config.h). */
const char *tether_client_errmsg(const tether_client *c);

/* The CoAP layer's counters. */
void tether_client_coap_stats(const tether_client *c, tether_coap_stats *out);

/* Information reporting and notification storing (R21) for one server. */
typedef struct tether_client_notify_stats {
    uint32_t observations; /* observations of that server now */
    uint32_t stored;       /* notifications waiting in its store now */
    uint32_t stored_bytes; /* bytes of the store they take */
    uint64_t sent;         /* notifications sent (stored ones included) */
    uint64_t stored_total; /* notifications that went into the store */
    uint64_t dropped;      /* stored notifications dropped: overflow (oldest first),
                              or their observation ended before they could go */
    uint64_t discarded;    /* produced offline with /1/x/6 false (or no store
                              compiled in): never stored */
} tether_client_notify_stats;

/* out: filled (all zero with observation compiled out).
 * Returns 0 or TETHER_ERR_NOT_FOUND (no such server). */
int tether_client_get_notify_stats(const tether_client *c, uint16_t ssid,
                                   tether_client_notify_stats *out);

/* Nonzero while some server can reach the client: one that is not in queue
 * mode, or one in queue mode inside its awake window. See "Queue mode". */
int tether_client_listening(const tether_client *c);

#ifdef __cplusplus
}
#endif
#endif /* TETHER_CLIENT_H */
