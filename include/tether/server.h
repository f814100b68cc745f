/* SPDX-License-Identifier: Apache-2.0 */
/* The LwM2M server engine: the Client Registration Interface (LwM2M 1.0 §5.3,
 * as clarified by the change request behind REQUIREMENTS R1..R18) and a small
 * device-management request API, sans-I/O on a CoAP exchange context.
 *
 * The engine owns a tether_coap_ctx and exposes the same four calls as the
 * exchange layer (recv, send, next_deadline, on_timeout), so any adapter loop
 * that drives a CoAP context drives a server. It never touches a socket, a
 * clock or a random source: time is an argument, randomness the config's
 * callback. Unlike coap/ and client/, the server allocates: one compact record
 * per registration, hash tables that grow (and shrink) incrementally and the
 * expiry heap, all through the config's allocator hook. The update path
 * (POST /rd/{id} without a payload) allocates nothing.
 *
 * What it leaves to others: sockets and address formatting (the adapter owns
 * tether_peer), persistence, DTLS identities (a later issue), and the meaning
 * of a device's objects (the embedding code reads and writes them through
 * tether_server_read() and friends).
 *
 * Invariant: every registration is in three places at once -- the index by
 * location id, the index by endpoint name, and the expiry heap keyed by
 * last Register/Update + lifetime + grace -- and nowhere else.
 */
#ifndef TETHER_SERVER_H
#define TETHER_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "tether/coap.h"
#include "tether/coap_exchange.h"
#include "tether/err.h"
#include "tether/types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tether_server tether_server;

/* One registration. Read it only through the accessors below; a pointer is
 * valid until the next tether_server_recv(), tether_server_on_timeout() or
 * tether_server_free() (a callback may read the one it is handed). */
typedef struct tether_server_reg tether_server_reg;

/* Realloc-shaped allocator hook: ptr NULL allocates, size 0 frees (and
 * returns NULL), otherwise resizes. NULL in the config means libc. */
typedef void *(*tether_alloc_fn)(void *user, void *ptr, size_t size);

/* Location ids are TETHER_SERVER_ID_LEN characters of base64url: 60 random
 * bits (LwM2M 1.0 §5.3.1 leaves the form to the server; >= 48 bits keeps
 * them unguessable, <= 12 characters keeps the Location-Path short). */
#define TETHER_SERVER_ID_LEN 10
#define TETHER_SERVER_ID_BITS 60

/* Longest endpoint client name and SMS number accepted (4.00 beyond). */
#define TETHER_SERVER_EP_MAX 255
#define TETHER_SERVER_SMS_MAX 32
/* Longest root path ("/lwm2m") kept from a link-format payload. */
#define TETHER_SERVER_ROOT_MAX 64

/* --- what a registration records ------------------------------------------ */

/* One entry of the object list: </oid> or </oid/iid>, with the object's
 * version attribute ("ver", 1.x) when the client gave one. */
#define TETHER_SERVER_NO_IID 0xFFFFu
typedef struct tether_server_obj {
    uint16_t oid;
    uint16_t iid;      /* TETHER_SERVER_NO_IID for an object without instances */
    uint8_t ver_major; /* 0 when the link carries no ver attribute */
    uint8_t ver_minor;
} tether_server_obj;

/* Content formats named in the root link's ct attribute, as a bit set. */
enum tether_server_ct {
    TETHER_CT_TEXT = 1u << 0,
    TETHER_CT_OPAQUE = 1u << 1,
    TETHER_CT_TLV = 1u << 2,
    TETHER_CT_JSON = 1u << 3,
    TETHER_CT_SENML_JSON = 1u << 4,
    TETHER_CT_SENML_CBOR = 1u << 5,
    TETHER_CT_CBOR = 1u << 6,
    TETHER_CT_LINK = 1u << 7,
};

/* --- events ---------------------------------------------------------------- */

typedef enum tether_server_event_type {
    TETHER_SERVER_EV_REGISTERED = 1,   /* a new registration (after the 2.01 went out) */
    TETHER_SERVER_EV_UPDATED = 2,      /* an Update was accepted; see changed */
    TETHER_SERVER_EV_DEREGISTERED = 3, /* a De-register was accepted */
    TETHER_SERVER_EV_EXPIRED = 4,      /* R6: lifetime (+ grace) ran out */
    TETHER_SERVER_EV_REPLACED = 5,     /* R15: removed by a new Register of its endpoint;
                                          the new one's REGISTERED follows */
    TETHER_SERVER_EV_LIFETIME = 6,     /* R10: outcome of the lifetime read or write */
} tether_server_event_type;

/* What an Update changed (tether_server_event.changed). */
enum tether_server_change {
    TETHER_CHANGED_LIFETIME = 1u << 0,
    TETHER_CHANGED_BINDING = 1u << 1,
    TETHER_CHANGED_SMS = 1u << 2,
    TETHER_CHANGED_OBJECTS = 1u << 3,
    TETHER_CHANGED_ADDRESS = 1u << 4, /* R14: the client came from a new address */
};

typedef enum tether_server_lifetime_sync {
    TETHER_SERVER_SYNC_READ = 0,  /* GET /1 (Accept TLV) or /1/{i}/1, adopt the value */
    TETHER_SERVER_SYNC_WRITE = 1, /* PUT our default lifetime to /1/{i}/1 */
} tether_server_lifetime_sync;

typedef struct tether_server_event {
    tether_server_event_type type;
    const tether_server_reg *reg; /* borrowed for the call; for DEREGISTERED, EXPIRED
                                     and REPLACED it is already out of the registry
                                     (look-ups miss it) and is freed on return */
    unsigned changed;             /* UPDATED: tether_server_change bits */
    /* LIFETIME: status 0 when the lifetime was adopted (read) or written
     * (write); else TETHER_ERR_TIMEOUT, TETHER_ERR_RESET, TETHER_ERR_MALFORMED
     * (an answer we could not use), TETHER_ERR_UNSUPPORTED (the client answered
     * with an error code, see code), TETHER_ERR_NOT_FOUND (no instance for our
     * Short Server ID) or TETHER_ERR_BUSY (could not send). The registration
     * keeps the default lifetime on failure. code: the CoAP answer, 0 if none. */
    int status;
    uint8_t code;
    tether_server_lifetime_sync via;
} tether_server_event;

/* One callback for every event. now: the engine's time of the event. */
typedef void (*tether_server_event_fn)(void *user, tether_time now, const tether_server_event *ev);

/* --- device management responses ------------------------------------------ */

#define TETHER_SERVER_NO_FORMAT UINT32_MAX

typedef struct tether_server_response {
    uint8_t code;            /* e.g. TETHER_COAP_CONTENT, TETHER_COAP_NOT_FOUND */
    uint32_t content_format; /* TETHER_SERVER_NO_FORMAT when the answer has none */
    const uint8_t *payload;  /* borrowed for the call; NULL when payload_len == 0 */
    size_t payload_len;
} tether_server_response;

/* The outcome of tether_server_read() / _write() / _execute(): called exactly
 * once for a call that returned 0, never for one that failed.
 * status 0: resp is the device's answer (any code). Otherwise resp is NULL and
 * status is TETHER_ERR_TIMEOUT, TETHER_ERR_RESET or TETHER_ERR_CANCELLED
 * (the server was freed). */
typedef void (*tether_server_response_fn)(void *arg, tether_time now, int status,
                                          const tether_server_response *resp);

/* --- configuration --------------------------------------------------------- */

typedef struct tether_server_callbacks {
    tether_server_event_fn on_event; /* optional */
} tether_server_callbacks;

typedef struct tether_server_config {
    uint32_t default_lifetime_s;  /* lifetime without lt, until R10 says otherwise; 86400 */
    uint32_t grace_s;             /* added to every lifetime before expiry (R6); 0 */
    uint16_t ssid;                /* our Short Server ID for R10; 0: the only instance */
    tether_server_lifetime_sync lifetime_sync; /* READ */
    size_t max_registrations;     /* 0: no limit; beyond it Register gets 5.03 */
    size_t max_register_payload;  /* largest link-format payload, Block1 included; 65536 */
    uint16_t max_block1_transfers; /* Block1 Registers in progress at once; 64 */
    uint32_t expire_slice;        /* registrations expired per on_timeout call at most; 1024 */
    tether_coap_config coap;      /* the exchange layer's config; rand and log are
                                     taken from below */
    tether_rand_fn rand;          /* required: ids, tokens, the hash seed */
    void *rand_user;
    tether_log_fn log;            /* optional */
    void *log_user;
    tether_alloc_fn alloc;        /* optional: libc when NULL */
    void *alloc_user;
} tether_server_config;

/* Fill cfg with the defaults above (coap: tether_coap_config_default() with
 * max_exchanges 256, dedup_entries 4096, txq_bytes 256 KiB: a server talks to
 * many peers at once). */
void tether_server_config_default(tether_server_config *cfg);

/* --- construction ---------------------------------------------------------- */

/* Create a server.
 * out: gets the server. cfg, cb: copied. user: kept, passed to on_event.
 * Returns 0, TETHER_ERR_INVAL (no rand, default lifetime 0, bad coap config)
 * or TETHER_ERR_NOMEM; *out is untouched on error. */
int tether_server_new(tether_server **out, const tether_server_config *cfg,
                      const tether_server_callbacks *cb, void *user);

/* Free the server and every registration. Pending device-management calls
 * see TETHER_ERR_CANCELLED first; no events are reported. NULL is a no-op.
 * Must not be called from a tether callback. */
void tether_server_free(tether_server *srv);

/* --- the sans-I/O loop (same shape as tether_coap_*) ----------------------- */

/* Hand one received datagram to the engine.
 * peer: copied (a registration records it, R14). buf: borrowed, len bytes.
 * now: ms, never decreasing.
 * Returns 0 (also when the request was answered with a 4.xx or 5.xx: that is
 * a protocol outcome, counted in the stats), TETHER_ERR_MALFORMED and
 * friends for a datagram that does not parse (dropped or RST, state
 * unchanged), or TETHER_ERR_REENTRANT from inside a callback.
 * Implements R1, R13..R18 (the Registration Interface). */
int tether_server_recv(tether_server *srv, tether_time now, const tether_peer *peer,
                       const uint8_t *buf, size_t len);

/* Take the next datagram to send; repeat until *len == 0. peer: out, the
 * address and adapter socket (iface) to send from. Returns 0 or
 * TETHER_ERR_NOSPACE (cap too small; the datagram stays queued). */
int tether_server_send(tether_server *srv, tether_time now, tether_peer *peer, uint8_t *buf,
                       size_t cap, size_t *len);

/* The earliest of the CoAP timers and the next expiry; TETHER_TIME_NEVER if
 * none. O(1). */
tether_time tether_server_next_deadline(const tether_server *srv);

/* Run CoAP retransmissions and expire registrations whose deadline has
 * passed (at most cfg.expire_slice per call; when more are due the next
 * deadline is already past, so the loop comes straight back). Each expiry
 * costs O(log n). Returns 0 or TETHER_ERR_REENTRANT. Implements R6. */
int tether_server_on_timeout(tether_server *srv, tether_time now);

/* --- device management ----------------------------------------------------- */

/* Read (GET) path ("/3/0/1", "/1", ...) on the registered endpoint ep.
 * Sent to the address of its latest Register or Update, from the adapter
 * socket it used (R14). accept: a Content-Format for the Accept option, or
 * TETHER_SERVER_NO_FORMAT for none. ep, path: copied. cb: required; arg: kept
 * for it. May be called from any tether callback.
 * Returns 0 (cb will run exactly once), TETHER_ERR_NOT_FOUND (no such
 * endpoint), TETHER_ERR_INVAL (path is not an LwM2M path, cb NULL) or
 * TETHER_ERR_BUSY (no exchange slot or send queue space); cb never runs on
 * error. */
int tether_server_read(tether_server *srv, tether_time now, const char *ep, const char *path,
                       uint32_t accept, tether_server_response_fn cb, void *arg);

/* Write payload (format: its Content-Format) to path: PUT (replace) or, with
 * partial nonzero, POST (partial update). payload: copied, len bytes; it must
 * fit one datagram (TETHER_ERR_TOO_LARGE otherwise). Other rules as
 * tether_server_read(). */
int tether_server_write(tether_server *srv, tether_time now, const char *ep, const char *path,
                        uint32_t format, const void *payload, size_t len, int partial,
                        tether_server_response_fn cb, void *arg);

/* Execute (POST) path, a resource, with optional arguments (text, LwM2M 1.0
 * §5.4.5; may be NULL with len 0). Other rules as tether_server_read(). */
int tether_server_execute(tether_server *srv, tether_time now, const char *ep,
                          const char *path, const void *args, size_t len,
                          tether_server_response_fn cb, void *arg);

/* --- look-up and accessors ------------------------------------------------- */

/* The registration of endpoint name ep (len bytes), or NULL. O(1). */
const tether_server_reg *tether_server_find_ep(const tether_server *srv, const char *ep,
                                               size_t len);

/* The registration with location id (len bytes), or NULL. O(1). */
const tether_server_reg *tether_server_find_id(const tether_server *srv, const char *id,
                                               size_t len);

/* Number of live registrations. O(1). */
size_t tether_server_count(const tether_server *srv);

/* NUL-terminated views, valid as long as reg. */
const char *tether_server_reg_ep(const tether_server_reg *reg);
const char *tether_server_reg_id(const tether_server_reg *reg);
const char *tether_server_reg_sms(const tether_server_reg *reg);  /* "" when none */
const char *tether_server_reg_root(const tether_server_reg *reg); /* "" or "/lwm2m" */
const tether_peer *tether_server_reg_peer(const tether_server_reg *reg);
uint32_t tether_server_reg_lifetime(const tether_server_reg *reg); /* seconds */
/* When it expires (ms, the engine's clock): last Register/Update + lifetime + grace. */
tether_time tether_server_reg_expires(const tether_server_reg *reg);
/* The binding as TETHER_LWM2M_BIND_* bits (tether/lwm2m.h); with lwm2m 1.0
 * TETHER_LWM2M_BIND_Q is part of it (UQ, SQ, UQS). */
unsigned tether_server_reg_binding(const tether_server_reg *reg);
/* Nonzero in queue mode (1.0: Q in the binding; 1.1+: the Q parameter). */
int tether_server_reg_queue(const tether_server_reg *reg);
/* The binding in its canonical text for the registration's version ("UQS",
 * "UT"): out, cap >= 8 bytes, NUL-terminated. Returns out. */
const char *tether_server_reg_binding_str(const tether_server_reg *reg, char *out, size_t cap);
/* The version as a tether_lwm2m_version (0x10, 0x11, 0x12), and as text
 * ("1.0", static storage). */
unsigned tether_server_reg_version(const tether_server_reg *reg);
const char *tether_server_reg_version_str(const tether_server_reg *reg);
unsigned tether_server_reg_formats(const tether_server_reg *reg); /* tether_server_ct bits */
/* Nonzero while the R10 read/write is outstanding. */
int tether_server_reg_syncing(const tether_server_reg *reg);
size_t tether_server_reg_object_count(const tether_server_reg *reg);
/* Entry i (< object_count) into *out. Returns 0 or TETHER_ERR_NOT_FOUND. */
int tether_server_reg_object(const tether_server_reg *reg, size_t i, tether_server_obj *out);

/* The object list as compact text, "</1/0>,</3/0>,</5>": out gets a
 * NUL-terminated string (truncated with "..." when it does not fit cap),
 * *len its length (may be NULL). Returns 0, or TETHER_ERR_NOSPACE when it
 * was truncated. */
int tether_server_reg_objects_str(const tether_server_reg *reg, char *out, size_t cap,
                                  size_t *len);

/* Bytes the registration's record occupies (header, strings, object list;
 * not counting allocator overhead, its two hash slots or its heap slot). */
size_t tether_server_reg_record_bytes(const tether_server_reg *reg);

/* --- counters and errors --------------------------------------------------- */

typedef struct tether_server_stats {
    uint64_t registered, updated, deregistered, expired, replaced;
    uint64_t rejected;      /* requests answered 4.xx or 5.xx */
    uint64_t sync_ok, sync_failed;
    size_t registrations;   /* live */
    size_t index_buckets;   /* both indexes, all tables (memory accounting) */
    size_t heap_capacity;   /* expiry heap slots */
    tether_coap_stats coap;
} tether_server_stats;

void tether_server_get_stats(const tether_server *srv, tether_server_stats *out);

/* The last error sentence ("Register rejected: lt=0 is not in 1..4294967295"),
 * set by the top-level call that last failed or rejected something; "" when
 * none. Valid until the next call on srv. */
const char *tether_server_errmsg(const tether_server *srv);

#ifdef __cplusplus
}
#endif
#endif /* TETHER_SERVER_H */
