/* SPDX-License-Identifier: Apache-2.0 */
/* What the client engine's files share: the engine record, one record per
 * server account (Security instance + Server instance + registration state
 * machine), the object table, and the calls between client.c (engine shell),
 * register.c (the state machine), dm.c (device management) and the built-in
 * objects (obj_security.c, obj_server.c, obj_device.c).
 *
 * Invariant: a server slot with in_use set is a Security instance; if it is
 * not a bootstrap account it is also a Server instance (R25), with a unique
 * ssid and srv_iid. At most one registration exchange per server is in
 * flight (the one in xid), and the state says which kind it is; CON
 * notifications are tracked by their observation (observe.c), at most one
 * each. Information reporting lives in observe.c (observations and
 * notifications), attrs.c (Write-Attributes) and notify_store.c (R21);
 * queue mode in queue_mode.c. */
#ifndef TETHER_CLIENT_INTERNAL_H
#define TETHER_CLIENT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tether/client.h"
#include "tether/coap_block.h"
#include "tether/coap_exchange.h"
#include "tether/lwm2m_json.h"

#include "common/errmsg_internal.h"

/* Block-wise transfer is compiled in when the body limit is not 0. */
#define CLIENT_BLOCKWISE (TETHER_CLIENT_MAX_BODY > 0)
/* Whether the client uses an alternate root path, and has an SMS number:
 * constant false, so the code for them compiles out, when their size is 0
 * (tether/client_config.h). */
#define CLIENT_HAS_ALT_PATH(c) (TETHER_CLIENT_MAX_ALT_PATH > 0 && (c)->alt_path[0] != '\0')
#define CLIENT_HAS_SMS(c) (TETHER_CLIENT_MAX_SMS > 0 && (c)->sms[0] != '\0')
/* Observation, Write-Attributes and notification storing are compiled in
 * when there is room for one observation; storing also needs bytes. */
#define CLIENT_OBSERVE (TETHER_CLIENT_MAX_OBSERVATIONS > 0)
#define CLIENT_STORE (CLIENT_OBSERVE && TETHER_CLIENT_NOTIFY_STORE_BYTES > 0)
#if CLIENT_STORE && TETHER_CLIENT_NOTIFY_STORE_BYTES > 65535
#error "TETHER_CLIENT_NOTIFY_STORE_BYTES: at most 65535 (16-bit offsets)"
#endif
#if TETHER_CLIENT_MAX_OBSERVATIONS > 255 || TETHER_CLIENT_MAX_SERVERS > 255
#error "observations and servers are indexed by a byte"
#endif

/* Content formats beyond text/plain, opaque and TLV (client_config.h's
 * footprint switches): an encoding (JSON, CBOR) and a model (LwM2M JSON,
 * SenML) make a format, and each switch takes away one of them. */
#ifdef TETHER_CLIENT_NO_JSON
#define CLIENT_JSON 0
#else
#define CLIENT_JSON 1
#endif
#ifdef TETHER_CLIENT_NO_CBOR
#define CLIENT_CBOR 0
#else
#define CLIENT_CBOR 1
#endif
#ifdef TETHER_CLIENT_NO_SENML
#define CLIENT_SENML_JSON 0
#define CLIENT_SENML_CBOR 0
#else
#define CLIENT_SENML_JSON CLIENT_JSON
#define CLIENT_SENML_CBOR CLIENT_CBOR
#endif
/* The JSON decoders' memory is in the engine when either JSON format is. */
#define CLIENT_JSON_DEC (CLIENT_JSON || CLIENT_SENML_JSON)

#define CLIENT_LOG_MODULE "client"

/* Largest Short Server ID (LwM2M 1.0 appendix D.1: 1..65535). */
#define CLIENT_SSID_MAX 65535
/* Lifetime range we accept for /1/x/1. The spec gives none. 0 would lapse
 * the registration at once and make the client Update in a loop, and a
 * negative lifetime means nothing; the top keeps seconds * 1000 and the
 * Update arithmetic well inside 64 bits and is 68 years. */
#define CLIENT_LIFETIME_MIN 1
#define CLIENT_LIFETIME_MAX INT32_MAX
/* When the CoAP layer has no free slot, try again this much later. */
#define CLIENT_BUSY_RETRY_MS 1000u

/* Pending work noted while answering a request and run after the answer is
 * queued, so that the response always leaves first (R20, R23). */
enum client_pending {
    PEND_UPDATE = 0x01,  /* send an Update as soon as the state allows */
    PEND_DISABLE = 0x02, /* /1/x/4 executed */
};

/* What a Register or Update carries besides its path (sent_flags). */
enum client_msg_flags {
    MSG_LT = 0x01,   /* lt= */
    MSG_B = 0x02,    /* b= */
    MSG_LIST = 0x04, /* the object list as payload */
};

/* Inputs of the registration state machine (register.c, reg_step()). */
enum client_reg_input {
    REG_IN_START,      /* the engine started, or the server was added after */
    REG_IN_TIMER,      /* the server's deadline passed */
    REG_IN_DONE,       /* the exchange in flight finished (status, resp) */
    REG_IN_UPDATE_NOW, /* something to tell the server (R8, R22, R23, objects) */
    REG_IN_DISABLE,    /* /1/x/4 executed, answer already queued (R20) */
    REG_IN_STOP,       /* tether_client_stop() (R11) */
};

#if CLIENT_OBSERVE
/* Write-Attributes bits (attrs.c). */
enum client_attr_bits {
    ATTR_PMIN = 0x01,
    ATTR_PMAX = 0x02,
    ATTR_GT = 0x04,
    ATTR_LT = 0x08,
    ATTR_ST = 0x10,
};

/* The attributes one server wrote on one object, instance or resource. */
typedef struct client_attr {
    uint8_t srv; /* index into servers[] */
    uint8_t set; /* ATTR_* present; 0: the slot is free */
    tether_lwm2m_path path;
    uint32_t pmin, pmax; /* seconds */
    double gt, lt, st;
} client_attr;

/* What applies to one observation: attributes merged over the levels,
 * then the Server object's defaults (R24). */
typedef struct client_eff {
    uint64_t pmin_ms;
    uint64_t pmax_ms; /* 0: no periodic notification */
    uint8_t num;      /* ATTR_GT / ATTR_LT / ATTR_ST in force */
    double gt, lt, st;
} client_eff;

/* One observation: (server, token) on a path. */
typedef struct client_obs {
    struct tether_client *owner; /* for the CON notification callback */
    uint8_t in_use;
    uint8_t srv;      /* index into servers[] */
    uint8_t gen;      /* bumped when the slot is reused: stored notifications
                         of an ended observation are recognised and dropped */
    uint8_t changed;  /* a change condition held since the last notification */
    uint8_t numeric;  /* a single numeric resource: seen / last are kept */
    uint8_t has_mid;  /* non_mid is the last NON notification's Message ID */
    uint8_t tkl;
    uint8_t token[TETHER_COAP_MAX_TOKEN];
    uint16_t fmt;     /* content format of the notifications */
    uint16_t non_mid;
    tether_lwm2m_path path;
    tether_coap_xid xid;    /* CON notification in flight, 0 if none */
    tether_time last_sent;  /* the last notification, or the Observe answer */
    tether_time last_con;   /* the last CON notification, or the Observe answer */
    tether_time due;        /* when observe.c looks at it next; NEVER if nothing */
    double last_val;        /* numeric: the value last notified (st) */
    double seen_val;        /* numeric: the value last seen (gt, lt crossings) */
} client_obs;
#endif

typedef struct client_server {
    struct tether_client *owner; /* for the exchange callbacks */
    uint8_t in_use;
    /* --- Security object instance (/0/sec_iid) --- */
    uint8_t bootstrap;   /* /0/x/1; R25: no Server instance, no registration */
    uint16_t sec_iid;
    const char *uri;     /* /0/x/0, kept */
    uint32_t hold_off_s; /* /0/x/11 */
    tether_peer peer;
    /* --- Server object instance (/1/srv_iid) --- */
    uint16_t srv_iid;
    uint16_t ssid;            /* /1/x/0 and /0/x/10 */
    int64_t lifetime;         /* /1/x/1 */
    int64_t pmin, pmax;       /* /1/x/2, /1/x/3 */
    int64_t disable_timeout;  /* /1/x/5 */
    uint8_t notif_storing;    /* /1/x/6 */
    /* /1/x/7. This and acked_b/sent_b are zero past the NUL, so that they
     * compare as bytes (register.c). */
    char binding[TETHER_CLIENT_MAX_BINDING + 1];
    /* --- registration --- */
    uint8_t state;       /* tether_client_reg_state */
    uint8_t pending;     /* client_pending bits */
    uint8_t disabling;   /* DEREGISTER_SENT because of Disable, not stop */
    uint8_t failures;    /* consecutive failed Registers, for the back-off */
    tether_coap_xid xid; /* the exchange in flight, 0 if none */
    tether_time deadline;  /* the state's timer, TETHER_TIME_NEVER if none */
    tether_time sent_at;   /* when the Register/Update in flight left */
    tether_time expires;   /* our (early) view of when the registration lapses */
    /* What the last successful Register/Update told the server, and what the
     * one in flight tells it: an Update carries only what differs. */
    int64_t acked_lt, sent_lt;
    char acked_b[TETHER_CLIENT_MAX_BINDING + 1], sent_b[TETHER_CLIENT_MAX_BINDING + 1];
    uint32_t acked_gen, sent_gen; /* object list generation */
    uint8_t sent_full;            /* the message in flight is a Register */
    uint8_t sent_flags;           /* what it carries (MSG_*), fixed for all its blocks */
#if CLIENT_BLOCKWISE
    uint8_t btx_active;           /* its object list goes out in Block1 blocks */
    tether_block1_tx btx;
#endif
    /* Location-Path segments of 2.01, each a length byte then the bytes. */
    uint8_t loc[TETHER_CLIENT_MAX_LOCATION];
    uint8_t loc_len;
    /* --- queue mode (queue_mode.c) --- */
    uint8_t asleep;          /* the awake window ended: datagrams are dropped */
    tether_time awake_until; /* end of the awake window */
#if CLIENT_OBSERVE
    /* --- notifications (observe.c, notify_store.c) --- */
    uint8_t was_online;      /* registered at the last look: a change sends the store */
    uint32_t n_sent, n_stored, n_dropped, n_discarded; /* tether_client_notify_stats */
#endif
#if CLIENT_STORE
    tether_time store_retry; /* send the store from then on (0: now; NEVER: waiting for
                                a CON notification's ACK) */
    uint16_t store_len;      /* bytes used */
    uint16_t store_count;    /* notifications in it */
    uint8_t store[TETHER_CLIENT_NOTIFY_STORE_BYTES]; /* records, oldest first */
#endif
} client_server;

typedef struct client_object_slot {
    const tether_client_object *def;
    void *user;
} client_object_slot;

/* Built-in objects other than Security, plus the application's. */
#define CLIENT_MAX_OBJECT_SLOTS (2 + TETHER_CLIENT_MAX_OBJECTS)

struct tether_client {
    tether_coap_ctx *coap;
    tether_client_event_fn on_event;
    void *user;
    tether_rand_fn rand_fn;
    void *rand_user;
    tether_log_fn log;
    void *log_user;
    uint64_t max_transmit_wait_ms; /* from the CoAP config, RFC 7252 §4.8.2 */
    uint32_t retry_initial_s, retry_max_s;
    uint64_t con_interval_ms;  /* notify_con_interval_s */
    uint64_t awake_ms;         /* queue mode awake window */
#ifndef TETHER_CLIENT_NO_QUEUE_MODE
    uint8_t v11;               /* registers as LwM2M 1.1 (register.c) */
#endif
    uint8_t con_on_change;
    uint8_t started;
    uint8_t stopping;
    uint8_t in_callback; /* the event callback is running: mutators refuse */
    uint8_t reboot_pending;
    uint32_t objects_gen; /* bumped when objects or instances come or go */
    char endpoint[TETHER_CLIENT_MAX_ENDPOINT + 1];
    char sms[TETHER_CLIENT_MAX_SMS + 1];
    char alt_path[TETHER_CLIENT_MAX_ALT_PATH + 1]; /* "/lwm2m" or "" */
    const char *manufacturer, *model, *serial, *firmware;
    char supported_bindings[TETHER_CLIENT_MAX_BINDING + 1];
    client_server servers[TETHER_CLIENT_MAX_SERVERS];
    client_object_slot objects[CLIENT_MAX_OBJECT_SLOTS]; /* ascending oid */
    uint8_t nobjects;
#if CLIENT_BLOCKWISE
    uint8_t *body;         /* TETHER_CLIENT_MAX_BODY bytes of scratch in the caller's
                              block: a whole body is rendered here, then cut into blocks */
    tether_block1_rx *rx;  /* one reassembly slot for Block1 Writes */
#endif
    const char *errmsg; /* static sentence, "" when none (STYLE rule 7) */
#if CLIENT_JSON_DEC
    uint8_t advertise_json; /* Register: </>;ct=11543 */
    /* JSON Writes are tokenized here (dm.c); without block-wise, their
     * escaped strings and base64 values are decoded into json_scratch. */
    tether_json_token json_tok[TETHER_CLIENT_JSON_TOKENS];
#if !CLIENT_BLOCKWISE
    uint8_t json_scratch[TETHER_CLIENT_JSON_SCRATCH];
#endif
#endif
#if CLIENT_OBSERVE
    uint32_t obs_seq; /* the last Observe value used (24 bits) */
    client_obs obs[TETHER_CLIENT_MAX_OBSERVATIONS];
    client_attr attrs[TETHER_CLIENT_MAX_ATTRS > 0 ? TETHER_CLIENT_MAX_ATTRS : 1];
#endif
};

/* The index of s in c->servers (observations and attributes name their
 * server by it; at most 255 servers, checked above). */
static inline uint8_t client_server_index(const tether_client *c, const client_server *s)
{
    return (uint8_t)(s - c->servers);
}

/* --- client.c --- */
void client_emit(tether_client *c, tether_time now, tether_client_event *ev);
/* msg: static storage (a literal): a fixed sentence costs no RAM and no
 * formatter, which a firmware build would otherwise have to link. Called
 * through the macro, which is nothing at all in a build with
 * TETHER_NO_ERRMSG (common/errmsg_internal.h): no call, no literal. */
void client_errmsg_set(tether_client *c, const char *msg);
#ifdef TETHER_NO_ERRMSG
#define client_set_errmsg(c, msg) ((void)(c))
#else
#define client_set_errmsg(c, msg) client_errmsg_set((c), (msg))
#endif
uint32_t client_rand32(tether_client *c);
client_server *client_server_by_ssid(tether_client *c, uint16_t ssid);
client_server *client_server_by_srv_iid(tether_client *c, uint16_t iid);
const client_object_slot *client_object(const tether_client *c, uint16_t oid);
/* Note a change of objects or instances: every server will hear of it. */
void client_objects_changed(tether_client *c);
/* Run the work noted in each server's pending bits. */
void client_run_pending(tether_client *c, tether_time now);

/* --- register.c --- */
void client_reg_step(tether_client *c, client_server *s, int input, tether_time now,
                     int status, const tether_coap_msg *resp);
/* The Update delay for a lifetime, without jitter (ms). Exposed for tests of
 * the schedule through the header's formula. */
uint64_t client_update_delay_ms(const tether_client *c, int64_t lifetime_s);
/* Write the object list (R18: never /0) into a link-format writer. */
struct tether_lwm2m_link_writer;
int client_write_object_list(const tether_client *c, struct tether_lwm2m_link_writer *w);

/* --- dm.c --- */
/* Nonzero when this build speaks content format ct (legacy numbers
 * included) and can do all of need with it (TETHER_LWM2M_FMT_DECODE,
 * _ENCODE). */
int client_fmt_can(uint32_t ct, uint8_t need);
void client_dm_handle(tether_client *c, client_server *s, tether_time now,
                      const tether_coap_msg *req, tether_coap_incoming *in);

#if CLIENT_OBSERVE
/* The current value of p (resolved now, readable) encoded as fmt into dst.
 * Returns a CoAP code: 0, 4.04 (gone), 4.05, a handler's refusal, 5.00 (a
 * handler failed), or 4.13 (CLIENT_TOO_BIG: does not fit in avail). */
#define CLIENT_TOO_BIG TETHER_COAP_REQUEST_ENTITY_TOO_LARGE
uint8_t client_dm_encode(tether_client *c, const tether_lwm2m_path *p, uint32_t fmt,
                         uint8_t *dst, size_t avail, size_t *n);
/* Nonzero when p is a readable single resource of a numeric type
 * (Integer, Float, Unsigned): gt, lt and st apply to it. */
int client_dm_is_numeric(const tether_client *c, const tether_lwm2m_path *p);
/* Its value as a double. Returns 0 or -1 (not numeric, or not readable now). */
int client_dm_read_number(tether_client *c, const tether_lwm2m_path *p, double *out);

/* --- attrs.c --- */
/* Write-Attributes (LwM2M 1.0 §5.4.4): the Uri-Query options of req on
 * path p (r: its resource definition when p is a resource) for server s.
 * Returns the answer code: 2.04, 4.00, 4.05, or 5.00 (table full). */
uint8_t client_attrs_write(tether_client *c, client_server *s, const tether_lwm2m_path *p,
                           const tether_client_res_def *r, const tether_coap_msg *req);
/* What applies to an observation of p by s (R24 defaults included). */
void client_attrs_effective(const tether_client *c, const client_server *s,
                            const tether_lwm2m_path *p, client_eff *e);
/* Discover: the attributes s wrote on p itself (inherit 0), or on p and
 * the levels above it (inherit 1, for a resource), as link attributes. */
void client_attrs_link(const tether_client *c, const client_server *s,
                       const tether_lwm2m_path *p, int inherit,
                       struct tether_lwm2m_link_writer *w);

/* --- observe.c --- */
/* A GET with Observe 0 from s: register (or replace) the observation of
 * (s, token) on p with format fmt. Returns the slot, or -1 when the table
 * is full (answer as a plain Read). *seq: the Observe value to answer with. */
int client_obs_begin(tether_client *c, client_server *s, const tether_coap_incoming *in,
                     const tether_lwm2m_path *p, uint32_t fmt, tether_time now, uint32_t *seq);
/* The answer to it went out (ok) or was an error (the slot is freed). */
void client_obs_finish(tether_client *c, int slot, tether_time now, int ok);
/* A GET with Observe 1: the observation of (s, token) ends. */
void client_obs_cancel_token(tether_client *c, client_server *s, const tether_coap_incoming *in,
                             tether_time now);
/* The value of p changed: mark the observations it touches. Sends nothing;
 * client_obs_run() does. */
void client_obs_changed(tether_client *c, const tether_lwm2m_path *p);
/* Attributes or Server defaults changed: work out every schedule again. */
void client_obs_reschedule(tether_client *c);
/* Send (or store) what is due, and the stores of servers that are back. */
void client_obs_run(tether_client *c, tether_time now);
/* Stored notifications only (tether_client_send() found the queue empty). */
void client_obs_refill(tether_client *c, tether_time now);
tether_time client_obs_deadline(const tether_client *c);
/* An RST that matched no exchange: maybe against a NON notification. */
void client_obs_on_reset(tether_client *c, tether_time now, const tether_peer *peer, uint16_t mid);
/* End every observation of s (and its stored notifications). */
void client_obs_drop_server(tether_client *c, client_server *s, tether_time now);
/* Nonzero while a CON notification to s waits for its ACK. */
int client_obs_inflight(const tether_client *c, const client_server *s);

/* --- notify_store.c (R21) --- */
/* The encoder a record is made with: fill dst (avail bytes) with the
 * payload of observation o, set *n. Returns a CoAP code (0 ok). */
typedef uint8_t (*client_store_encode_fn)(tether_client *c, client_obs *o, uint8_t *dst,
                                          size_t avail, size_t *n);
/* Append a notification of o to s's store, dropping the oldest while it
 * does not fit. scratch: cap bytes to encode into first (NULL: encode in
 * place). Returns 0 (stored), CLIENT_TOO_BIG (larger than the store), or
 * the encoder's code (nothing stored). */
uint8_t client_store_append(tether_client *c, client_server *s, client_obs *o,
                            client_store_encode_fn encode, uint8_t *scratch, size_t cap);
/* The oldest record: its observation slot and generation, format and
 * payload (a view into the store, valid until the store changes).
 * Returns 0, or -1 when the store is empty. */
int client_store_peek(const client_server *s, uint8_t *slot, uint8_t *gen, uint16_t *fmt,
                      const uint8_t **payload, size_t *len);
void client_store_pop(client_server *s);
void client_store_clear(client_server *s);
#endif

/* --- queue_mode.c --- */
#ifdef TETHER_CLIENT_NO_QUEUE_MODE
/* Registering as 1.1 came with queue mode (issue 5) and goes with it, so
 * that the footprint profile pays nothing for it: 1.0 only. */
#define CLIENT_V11(c) ((void)(c), 0)
/* Queue mode compiled out (tether/client_config.h): no binding has Q, so
 * no server is ever in queue mode and every hook is nothing. */
#define client_queue_mode(s) ((void)(s), 0)
#define client_queue_sent(c, s, now) ((void)0)
#define client_queue_heard(c, s, now) ((void)0)
#define client_queue_asleep(s) ((void)(s), 0)
#define client_queue_run(c, now) ((void)0)
#define client_queue_deadline(c) TETHER_TIME_NEVER
#else
#define CLIENT_V11(c) ((c)->v11) /* registers as LwM2M 1.1 */
/* Nonzero when s is in queue mode now (its binding has Q). */
int client_queue_mode(const client_server *s);
/* The client sends a datagram to s / heard from s: the window restarts. */
void client_queue_sent(tether_client *c, client_server *s, tether_time now);
void client_queue_heard(tether_client *c, client_server *s, tether_time now);
/* Nonzero when datagrams from s are dropped: queue mode, window over. */
int client_queue_asleep(const client_server *s);
/* End the awake windows that are over (events). */
void client_queue_run(tether_client *c, tether_time now);
tether_time client_queue_deadline(const tether_client *c);
#endif

/* --- objects --- */
extern const tether_client_object client_obj_server;
extern const tether_client_object client_obj_device;
/* R17 + R22: nonzero when binding (len bytes) is valid for 1.0 and every
 * letter of it is in the client's supported bindings (/3/0/16). */
int client_binding_supported(const tether_client *c, const char *binding, size_t len);
/* Security object rules (obj_security.c). */
int client_security_check(const tether_client_server_config *sc);
/* Nonzero when a device management request on p must be refused with 4.01
 * because it touches the Security object. */
int client_security_hidden(const tether_lwm2m_path *p);

#endif /* TETHER_CLIENT_INTERNAL_H */
