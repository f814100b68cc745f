/* SPDX-License-Identifier: Apache-2.0 */
/* The LwM2M server engine: the Client Registration Interface (LwM2M 1.0 §5.3,
 * as clarified by the change request behind REQUIREMENTS R1..R18), Device
 * Management (§5.4: Read, Write, Execute, Discover, Create, Delete,
 * Write-Attributes), Information Reporting (§5.5: Observe, with RFC 7641
 * freshness) and Queue Mode (§8.3.1 / 1.1 §6.5), sans-I/O on a CoAP exchange
 * context.
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
 * tether_server_read() and friends; typed decoding of what comes back is
 * tether/model.h's job, or the caller's).
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
#include "tether/lwm2m.h"
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
    TETHER_SERVER_EV_NOTIFICATION = 7, /* a fresh notification of an observation (resp;
                                          not while it is parked: no registration);
                                          stale ones (RFC 7641 §3.4) are dropped */
    TETHER_SERVER_EV_OBSERVE_END = 8,  /* an observation ended, for any reason: status
                                          and resp->reason say why */
    TETHER_SERVER_EV_SLEEPING = 9,     /* queue mode: the awake window passed with no
                                          message from the client */
    TETHER_SERVER_EV_AWAKE = 10,       /* queue mode: a sleeping client spoke; its
                                          queued requests (queued) go out next */
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
    /* NOTIFICATION, OBSERVE_END: the response as the observation's callback
     * sees it (borrowed for the call). OBSERVE_END: status as that final
     * callback's. */
    const struct tether_server_response *resp;
    uint32_t queued; /* AWAKE: requests waiting for the client, sent next */
} tether_server_event;

/* One callback for every event. now: the engine's time of the event. */
typedef void (*tether_server_event_fn)(void *user, tether_time now, const tether_server_event *ev);

/* --- device management requests and responses ------------------------------
 *
 * Every operation is one tether_server_submit() (or one of the shorthands
 * below). The engine copies what it needs, sends the CoAP request to the
 * address and socket of the registration's latest Register or Update (R14),
 * and calls the callback exactly once with the outcome -- or, for an
 * observation, once per notification and once more, final, when it ends.
 * A call that fails never calls it.
 *
 *   operation         method  path             options / payload
 *   Read              GET     /o[/i[/r[/ri]]]  Accept (optional)
 *   Discover          GET     /o[/i[/r]]       Accept: 40; answer parsed into links
 *   Write (replace)   PUT     /o/i[/r[/ri]]    Content-Format + payload
 *   Write (partial)   POST    /o/i[/r[/ri]]    Content-Format + payload
 *   Execute           POST    /o/i/r           arguments as text/plain (§5.4.5)
 *   Create            POST    /o               Content-Format + payload (TLV: the
 *                                              instance, or its resources);
 *                                              2.01's Location-Path gives the id
 *   Delete            DELETE  /o/i
 *   Write-Attributes  PUT     /o[/i[/r[/ri]]]  Uri-Query pmin, pmax, gt, lt, st
 *   Observe           GET     /o[/i[/r[/ri]]]  Observe: 0, Accept (optional)
 *
 * Large bodies move block-wise (RFC 7959): a payload that does not fit one
 * datagram goes out in Block1 blocks, an answer the client sends in Block2
 * blocks is fetched block by block and handed over whole -- for every
 * operation, with the request's own method and options and no payload
 * (§2.4, and §3.3 for POST: an Execute, Create or Write answered in blocks
 * goes on as POST or PUT with Block2, never as GET).
 *
 * Timeouts: a request fails with TETHER_ERR_TIMEOUT when no final answer came
 * within its timeout (tether_server_request.timeout_ms, else
 * cfg.request_timeout_ms) counted from when it was sent, or earlier when the
 * CoAP layer gives up (no ACK after MAX_RETRANSMIT, or no separate response
 * within EXCHANGE_LIFETIME of the empty ACK). An observation's timeout covers
 * only its first answer. Time spent queued for a sleeping client does not
 * count: the queue is bounded per registration instead, and emptied when the
 * registration goes away.
 *
 * When the registration goes away (De-register, expiry, a new Register of the
 * same endpoint), every request to it that is in flight (or waiting for an
 * exchange slot) ends at once with TETHER_ERR_CANCELLED and a reason
 * sentence (resp->reason: "ep=dev1 de-registered", "...'s registration
 * expired (R6)", "...registered again (R15)"), and so does an observation
 * whose Observe has not been answered yet. A request already in flight when
 * the client moves keeps retransmitting to the old address until it ends
 * (its next block, if any, goes to the new one); the CoAP layer matches
 * answers by address and token. Requests still queued for a sleeping
 * client are the exception on a new Register: they were addressed to the
 * endpoint and go to the new registration, right after its 2.01.
 *
 * Observations and the registration (R21). Established observations do
 * not end with the registration: they belong to the endpoint. When its
 * registration ends (De-register -- e.g. the R20 Disable --, expiry, or a
 * new Register replacing it) they are parked under the endpoint name, for
 * cfg.obs_park_s at most and cfg.obs_park_max in all; when the endpoint
 * registers again they carry over to the new registration, and right after
 * its 2.01 the server observes each again: GET with Observe 0 and the SAME
 * token (RFC 7641 §4.1: the client replaces its entry). So a client that
 * kept them (R21: it stored notifications while disabled or offline and
 * sends them once registered again) finds the server still listening on
 * those tokens -- its stored notifications reach the same callback, in
 * order, before the answer to the new GET -- and a client that lost them
 * (a reboot) gets them back. RFC 7641 §3.4's freshness starts afresh at
 * that point (a rebooted client counts its Observe values from the start).
 * A parked observation that outlives obs_park_s, or gives way to newer
 * ones beyond obs_park_max, ends with TETHER_ERR_CANCELLED and a reason;
 * the client's next notification for it then meets RST and ends it there.
 * Notifications are matched by token and taken only from the
 * registration's current address (R14; a parked one: its last address).
 * A client that moves to a new address with an Update keeps its
 * observations. An answer without Observe or with an error code to the
 * new GET ends the observation (final call, status 0), an RST ends it with
 * TETHER_ERR_RESET; no answer at all leaves it standing (the client may
 * still notify; expiry settles it).
 * Why, and how others differ: the LwM2M TS ties an observation to the
 * registration it was made in (OMA change request 2016-0024R01, "Clarify
 * observation lifetime over registrations", from OMA_LwM2M_for_Developers
 * issue #71) and, as Wakaama's maintainers read it (eclipse-wakaama PR
 * #407: "the server MUST reinitiate observations"), expects the server to
 * observe again after a new Register. R21 (Notification Storing, /1/x/6)
 * only works if the server still knows the tokens when the stored
 * notifications arrive, right after that Register. Eclipse Leshan removes
 * an endpoint's observations with its registration
 * (RegistrationStore.addRegistration() returns the old registration with
 * its removed observations) and leaves observing again to the application;
 * Wakaama's registration_freeClient() frees the observation list with the
 * client record. Both answer stored notifications with RST, which makes R21
 * moot. We do re-initiate every observation after the Register, but with
 * its old token (RFC 7641 §4.1: a GET whose endpoint/token pair is already
 * in the list of observers replaces that entry), and keep listening on
 * that token in between,
 * bounded: that takes the stored notifications, is harmless to a client
 * that kept its observations, and repairs one that did not (a reboot).
 * Observations hold no CoAP exchange slot: they are found by token when a
 * notification comes, so each costs only its request record.
 */

#define TETHER_SERVER_NO_FORMAT UINT32_MAX

typedef enum tether_server_op {
    TETHER_SERVER_OP_READ = 1,
    TETHER_SERVER_OP_WRITE = 2,         /* replace: PUT */
    TETHER_SERVER_OP_WRITE_PARTIAL = 3, /* partial update: POST */
    TETHER_SERVER_OP_EXECUTE = 4,
    TETHER_SERVER_OP_DISCOVER = 5,
    TETHER_SERVER_OP_CREATE = 6,
    TETHER_SERVER_OP_DELETE = 7,
    TETHER_SERVER_OP_WRITE_ATTRS = 8,
    TETHER_SERVER_OP_OBSERVE = 9,
} tether_server_op;

/* "read", "write", ... ; "?" for anything else. Static storage. */
const char *tether_server_op_name(int op);

/* Notification attributes (LwM2M 1.0 §5.1.2) as bits of tether_server_attrs. */
enum tether_server_attr {
    TETHER_ATTR_PMIN = 1u << 0, /* minimum period, s */
    TETHER_ATTR_PMAX = 1u << 1, /* maximum period, s */
    TETHER_ATTR_GT = 1u << 2,   /* greater than */
    TETHER_ATTR_LT = 1u << 3,   /* less than */
    TETHER_ATTR_ST = 1u << 4,   /* step */
    TETHER_ATTR_DIM = 1u << 5,  /* number of resource instances: Discover answers only */
};

typedef struct tether_server_attrs {
    unsigned set;   /* tether_server_attr bits that carry a value below */
    unsigned clear; /* Write-Attributes: bits sent without a value ("?pmin"),
                       which removes the attribute on the client */
    uint32_t pmin, pmax;
    double gt, lt, st;
    uint32_t dim;
} tether_server_attrs;

/* Check attributes for Write-Attributes: only PMIN..ST in set and clear, no
 * bit in both, gt / lt / st finite, st >= 0, pmax >= pmin when both are
 * set, and (LwM2M 1.0 §5.1.2) lt < gt and lt + 2*st < gt when those are
 * set. a: borrowed. why: out, may be NULL; a static sentence on error.
 * Returns 0 or TETHER_ERR_INVAL. */
int tether_server_attrs_check(const tether_server_attrs *a, const char **why);

/* One entry of a Discover answer: the path, relative to the client's root,
 * and the attributes the client listed for it (set bits; dim included). */
typedef struct tether_server_link {
    tether_lwm2m_path path;
    tether_server_attrs attrs;
    uint8_t has_ver; /* ver attribute (object version, 1.1) */
    uint8_t ver_major, ver_minor;
} tether_server_link;

/* A request's handle: nonzero, unique among live requests. An observation's
 * id is its CoAP token (8 bytes, read big-endian), so what a capture shows
 * on the wire maps to it; plain requests count up from 1. */
typedef uint64_t tether_server_req_id;

typedef struct tether_server_request {
    tether_server_op op;
    const char *path;           /* borrowed: "/3/0/1" (no root path: the engine adds
                                   the client's alternate root, e.g. /lwm2m) */
    uint32_t format;            /* Write, Create: the payload's Content-Format
                                   (required); others: ignored */
    uint32_t accept;            /* Read, Observe: Accept, or TETHER_SERVER_NO_FORMAT
                                   for none; others: ignored (Discover asks for 40) */
    const void *payload;        /* copied; Write, Create, Execute (arguments
                                   "0='abc',1", checked against §5.4.5's grammar) */
    size_t len;
    const tether_server_attrs *attrs; /* copied; Write-Attributes (checked as
                                   tether_server_attrs_check()) */
    uint32_t timeout_ms;        /* 0: cfg.request_timeout_ms */
} tether_server_request;

/* One typed value of an answer (Read, a notification), decoded from its
 * content format with the object models of cfg.models. */
typedef struct tether_server_value {
    tether_lwm2m_path path;   /* full: /o/i/r or /o/i/r/ri (or shorter for an
                                 empty instance or multiple resource: type NONE) */
    tether_lwm2m_value value; /* STRING and OPAQUE views are borrowed for the call */
    /* 0: value has the resource's type by its object model. Otherwise the
     * value is what the format gave (TLV and octet-stream bytes as OPAQUE,
     * text as STRING, a JSON/SenML/CBOR value with the type it carries) and
     * err says why it is not typed: TETHER_ERR_NOT_FOUND (no model for the
     * object or resource, or no cfg.models), TETHER_ERR_MALFORMED (it does
     * not fit the model's type), TETHER_ERR_UNSUPPORTED (the format cannot
     * carry that type). */
    int err;
    uint8_t has_time;         /* SenML / LwM2M JSON: a time came with it */
    double time;              /* seconds */
} tether_server_value;

typedef struct tether_server_response {
    uint8_t code;            /* e.g. TETHER_COAP_CONTENT, TETHER_COAP_NOT_FOUND; 0 when
                                status is not 0 (no answer) */
    uint32_t content_format; /* TETHER_SERVER_NO_FORMAT when the answer has none */
    const uint8_t *payload;  /* borrowed for the call; NULL when payload_len == 0;
                                a Block2 answer is whole here */
    size_t payload_len;
    /* Since the device-management issue: */
    const char *reason;      /* never NULL: "" with status 0, else a sentence naming
                                the endpoint and why ("ep=dev1 de-registered") */
    tether_server_req_id id; /* the request's handle; 0 for internal requests */
    tether_server_op op;
    const char *ep;          /* the endpoint name, borrowed for the call */
    tether_lwm2m_path path;  /* the request's path */
    uint16_t created_iid;    /* Create answered 2.01 with a Location-Path: the new
                                instance id; else TETHER_SERVER_NO_IID */
    const tether_server_link *links; /* Discover answered 2.05 in link-format:
                                the entries, borrowed for the call; else NULL */
    size_t n_links;
    /* Read, Observe (and notifications) answered 2.05 in a record format
     * (text, opaque, TLV, CBOR, SenML JSON/CBOR, LwM2M JSON): the values,
     * borrowed for the call; values_status 0, or why the payload could not
     * be decoded (TETHER_ERR_UNSUPPORTED: a format this build cannot read;
     * TETHER_ERR_MALFORMED). NULL, 0 and 0 for other answers. */
    const tether_server_value *values;
    size_t n_values;
    int values_status;
    uint32_t observe_seq;    /* a notification's Observe value, when has_seq */
    uint8_t has_seq;
    uint8_t final;           /* 1 on the last call for this request (always, but
                                for an observation's notifications) */
} tether_server_response;

/* The outcome of a request. resp is never NULL.
 * Plain requests: called exactly once (final 1). status 0: resp is the
 * client's answer, any code (4.04 is an answer, not a failure). Otherwise
 * resp->code is 0 and status is TETHER_ERR_TIMEOUT, TETHER_ERR_RESET (the
 * client answered RST), TETHER_ERR_CANCELLED (the registration went away,
 * tether_server_cancel(), or the server was freed), TETHER_ERR_MALFORMED (a
 * block-wise transfer the client broke off or garbled) or
 * TETHER_ERR_TOO_LARGE (a Block2 answer beyond cfg.max_response_body); see
 * resp->reason.
 * Observations: the first call carries the answer to the Observe request;
 * when it is 2.xx with an Observe option the observation is established and
 * every fresh notification comes as another call (status 0, final 0) in
 * order -- one that is older than the last delivered (RFC 7641 §3.4) is
 * dropped. The observation ends with exactly one final call: the client's
 * answer without Observe or with an error code (status 0), or a failure
 * status as above.
 * The callback may submit and cancel requests (this one included) but not
 * call tether_server_recv(), _on_timeout() or _free(). */
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
    /* Device management, observation and queue mode: */
    uint32_t request_timeout_ms;  /* a request's timeout when the call gives none,
                                     from when it is sent; 120000 (longer than
                                     MAX_TRANSMIT_WAIT, 93 s, so CoAP's own
                                     retransmissions run their course first) */
    size_t max_request_body;      /* largest Write / Create / Execute payload, sent in
                                     Block1 blocks beyond one datagram; 65536 */
    size_t max_response_body;     /* largest answer reassembled from Block2; 65536 */
    uint32_t awake_window_ms;     /* queue mode: how long a client listens after its
                                     last message before it counts as sleeping;
                                     93000 (MAX_TRANSMIT_WAIT, LwM2M 1.1 §6.5) */
    const struct tether_model_registry *models; /* optional, kept: object models
                                     (tether/model.h) that type the values of
                                     answers; without them TLV values stay OPAQUE */
    uint16_t queue_max;           /* queue mode: requests held for one sleeping
                                     registration; beyond it a request fails with
                                     TETHER_ERR_BUSY; 16 */
    /* Observations across registrations (R21; see "Observations and the
     * registration" above): */
    uint32_t obs_park_s;          /* how long the observations of an endpoint whose
                                     registration ended (De-register, expiry) wait
                                     for its next Register; 90000 (25 h: R20's
                                     default Disable Timeout, 86400 s, plus an hour
                                     for the client's Register to get through).
                                     0: they end at once (TETHER_ERR_CANCELLED) */
    size_t obs_park_max;          /* observations waiting so, all endpoints together;
                                     when full, the endpoint that left first gives
                                     its up; 4096 (each costs its request record,
                                     plus one park record per endpoint) */
    size_t slot_wait_max;         /* requests (R10's lifetime reads and writes
                                     included) waiting for a free CoAP exchange slot,
                                     started first come, first served as slots free
                                     up; beyond it tether_server_submit() fails with
                                     TETHER_ERR_BUSY and an R10 sync with a LIFETIME
                                     event of that status; 16384 */
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
 * max_exchanges 4096, dedup_entries 4096, txq_bytes 256 KiB: a server talks to
 * many peers at once. Every request in flight, R10's lifetime reads
 * included, holds one exchange while it waits for its answer; more wait in
 * a FIFO (slot_wait_max) instead of failing. Established observations hold
 * none.) */
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

/* Start an operation (see the table above) on the registered endpoint ep.
 * ep: copied. req: borrowed (everything it points to is copied). cb:
 * required; arg: kept for it. id: out, may be NULL; the handle for
 * tether_server_cancel(). May be called from any tether callback.
 * When the registration is in queue mode and its client sleeps, the request
 * waits in the registration's queue and goes out when the client next
 * speaks (Register, Update, a notification or any answer).
 * Returns 0 (cb will run as described at tether_server_response_fn), or, cb
 * never called and tether_server_errmsg() saying why:
 *   TETHER_ERR_NOT_FOUND  no such endpoint;
 *   TETHER_ERR_INVAL      cb NULL, op unknown, path not an LwM2M path of a
 *                         depth the operation takes, a Write or Create
 *                         without a format, bad Execute arguments, bad
 *                         attributes;
 *   TETHER_ERR_TOO_LARGE  payload over cfg.max_request_body;
 *   TETHER_ERR_BUSY       the sleeping client's queue is full, or no CoAP
 *                         exchange slot or send-queue space right now and
 *                         cfg.slot_wait_max requests already wait for one
 *                         (below that the request waits, first come first
 *                         served, and its timeout runs while it waits);
 *   TETHER_ERR_NOMEM. */
int tether_server_submit(tether_server *srv, tether_time now, const char *ep,
                         const tether_server_request *req, tether_server_response_fn cb,
                         void *arg, tether_server_req_id *id);

/* Read (GET) path ("/3/0/1", "/1", ...) on the registered endpoint ep.
 * accept: a Content-Format for the Accept option, or TETHER_SERVER_NO_FORMAT
 * for none. As tether_server_submit() with the default timeout. */
int tether_server_read(tether_server *srv, tether_time now, const char *ep, const char *path,
                       uint32_t accept, tether_server_response_fn cb, void *arg);

/* Write payload (format: its Content-Format) to path: PUT (replace) or, with
 * partial nonzero, POST (partial update). payload: copied, len bytes, at most
 * cfg.max_request_body (Block1 beyond a datagram). As tether_server_submit(). */
int tether_server_write(tether_server *srv, tether_time now, const char *ep, const char *path,
                        uint32_t format, const void *payload, size_t len, int partial,
                        tether_server_response_fn cb, void *arg);

/* Execute (POST) path, a resource, with optional arguments (text, LwM2M 1.0
 * §5.4.5: "0='abc',1"; may be NULL with len 0). As tether_server_submit(). */
int tether_server_execute(tether_server *srv, tether_time now, const char *ep,
                          const char *path, const void *args, size_t len,
                          tether_server_response_fn cb, void *arg);

/* Discover (GET, Accept 40) path: resp->links holds the parsed answer. */
int tether_server_discover(tether_server *srv, tether_time now, const char *ep,
                           const char *path, tether_server_response_fn cb, void *arg);

/* Create an instance of object path ("/3303") from payload (format: its
 * Content-Format, usually TLV). resp->created_iid gives the new id. */
int tether_server_create(tether_server *srv, tether_time now, const char *ep, const char *path,
                         uint32_t format, const void *payload, size_t len,
                         tether_server_response_fn cb, void *arg);

/* Delete the instance path ("/3303/1"). */
int tether_server_delete(tether_server *srv, tether_time now, const char *ep, const char *path,
                         tether_server_response_fn cb, void *arg);

/* Write-Attributes on path. attrs: copied, checked as tether_server_attrs_check(). */
int tether_server_write_attrs(tether_server *srv, tether_time now, const char *ep,
                              const char *path, const tether_server_attrs *attrs,
                              tether_server_response_fn cb, void *arg);

/* Observe path (GET with Observe 0 and a fresh 8-byte token; notifications
 * are matched by that token, from the registration's current address).
 * accept: as tether_server_read(). id: out,
 * may be NULL: the token, for tether_server_cancel(). Notifications come to cb
 * (see tether_server_response_fn) and as TETHER_SERVER_EV_NOTIFICATION
 * events. Only the Observe request holds a CoAP exchange slot, until it is
 * answered; established observations are kept by token (see "Observations
 * and the registration" above for what a new Register does to them). */
int tether_server_observe(tether_server *srv, tether_time now, const char *ep,
                          const char *path, uint32_t accept, tether_server_response_fn cb,
                          void *arg, tether_server_req_id *id);

/* Write, partial Write or Create (req->op) with typed values: recs (n of
 * them, borrowed, each at or under req->path) are encoded in req->format
 * (any record format this build encodes: tether/lwm2m_fmt.h; TLV records
 * are put in path order, others go as given; has_time is honoured by the
 * timed formats), then sent as tether_server_submit() would send that
 * payload (req->payload is ignored). Returns what tether_server_submit()
 * returns, or TETHER_ERR_UNSUPPORTED (a format we cannot encode) and
 * TETHER_ERR_INVAL (a record the format refuses; errmsg names it). */
int tether_server_submit_values(tether_server *srv, tether_time now, const char *ep,
                                const tether_server_request *req,
                                const tether_lwm2m_record *recs, size_t n,
                                tether_server_response_fn cb, void *arg,
                                tether_server_req_id *id);

typedef enum tether_server_cancel_mode {
    /* Forget the request. An observation's token is forgotten: the client's
     * next notification is answered with RST, which ends it there (RFC 7641
     * §3.6). */
    TETHER_SERVER_CANCEL_PASSIVE = 0,
    /* Observations only (else as PASSIVE): also send GET with Observe 1 and
     * the same token (RFC 7641 §3.6), queued like any request for a sleeping
     * client; its answer is not reported. */
    TETHER_SERVER_CANCEL_ACTIVE = 1,
} tether_server_cancel_mode;

/* Stop request or observation id: its callback runs once more, final, with
 * TETHER_ERR_CANCELLED ("cancelled by the caller") before this returns. May
 * be called from a callback. O(1).
 * Returns 0 or TETHER_ERR_NOT_FOUND (no live request has that id). */
int tether_server_cancel(tether_server *srv, tether_time now, tether_server_req_id id,
                         tether_server_cancel_mode mode);

/* Nonzero when the registration is in queue mode and its client counts as
 * sleeping (no message for cfg.awake_window_ms). */
int tether_server_reg_sleeping(const tether_server *srv, const tether_server_reg *reg);

/* Requests waiting in the registration's queue for its client to wake. */
size_t tether_server_reg_queued(const tether_server *srv, const tether_server_reg *reg);

/* --- look-up and accessors ------------------------------------------------- */

/* The registration of endpoint name ep (len bytes), or NULL. O(1). */
const tether_server_reg *tether_server_find_ep(const tether_server *srv, const char *ep,
                                               size_t len);

/* The registration with location id (len bytes), or NULL. O(1). */
const tether_server_reg *tether_server_find_id(const tether_server *srv, const char *id,
                                               size_t len);

/* Call fn for every live registration, in no particular order, until it
 * returns nonzero. fn must not change the server (no submit, no recv).
 * Returns 0 or the first nonzero value fn returned. O(n). */
typedef int (*tether_server_foreach_fn)(void *user, const tether_server_reg *reg);
int tether_server_foreach(const tether_server *srv, tether_server_foreach_fn fn, void *user);

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
/* When the registration was made (its Register) and last refreshed (its
 * latest Register or Update), ms on the engine's clock. */
tether_time tether_server_reg_registered(const tether_server_reg *reg);
tether_time tether_server_reg_updated(const tether_server *srv, const tether_server_reg *reg);
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

/* --- restoring registrations from storage ---------------------------------- */

/* A registration as a store saved it: what the accessors above read, so
 * that tether_server_restore() of what they returned puts it back as it
 * was. Times are on the engine's clock of the restoring call (the caller
 * converts: now - (wall time now - wall time saved)); a time before that
 * clock's origin (a host rebooted since) is that difference modulo 2^64,
 * which the engine only ever subtracts from now. */
typedef struct tether_server_saved_reg {
    const char *ep;                /* borrowed, ep_len bytes, 1..TETHER_SERVER_EP_MAX */
    size_t ep_len;
    const char *id;                /* borrowed, TETHER_SERVER_ID_LEN base64url chars */
    tether_peer peer;              /* the latest Register/Update's source (R14) */
    uint32_t lifetime_s;           /* >= 1 */
    unsigned binding;              /* TETHER_LWM2M_BIND_* bits, at least one */
    unsigned version;              /* a tether_lwm2m_version */
    int queue;                     /* nonzero: queue mode */
    const char *sms;               /* borrowed, sms_len bytes; NULL when 0 */
    size_t sms_len;
    const char *root;              /* borrowed, "" or "/lwm2m"; NULL when 0 */
    size_t root_len;
    unsigned formats;              /* tether_server_ct bits */
    const tether_server_obj *objs; /* borrowed, n_objs entries, none of /0 (R18) */
    size_t n_objs;
    tether_time registered;        /* its Register, engine clock */
    tether_time updated;           /* its latest Register or Update, engine clock */
} tether_server_saved_reg;

/* Put a saved registration back (tetherd's store on start-up): same
 * endpoint, location id, address and object list, so the client's next
 * Update to rd/{id} is answered 2.04. It expires at updated + lifetime +
 * grace, exactly when it would have without the restart. No event is
 * reported. A queue-mode registration whose client spoke more than
 * cfg.awake_window_ms before now starts sleeping (requests wait for it);
 * one that spoke since starts awake for the rest of the window.
 * s: borrowed (everything is copied). now: ms, as for tether_server_recv().
 * Must not be called from a tether callback (TETHER_ERR_REENTRANT).
 * Returns 0, or, nothing restored and tether_server_errmsg() saying why:
 *   TETHER_ERR_INVAL   a field out of range (lengths, id alphabet, control
 *                      characters in ep, no binding, an unknown version,
 *                      lifetime 0, object /0, registered after updated or
 *                      either after now);
 *   TETHER_ERR_EXISTS  its endpoint or location id is registered already;
 *   TETHER_ERR_STATE   it has expired (now >= updated + lifetime + grace);
 *   TETHER_ERR_NOMEM   out of memory, or cfg.max_registrations reached.
 * Cost: O(1) amortised + O(log n), as a Register. */
int tether_server_restore(tether_server *srv, tether_time now, const tether_server_saved_reg *s);

/* --- counters and errors --------------------------------------------------- */

typedef struct tether_server_stats {
    uint64_t registered, updated, deregistered, expired, replaced;
    uint64_t rejected;      /* requests answered 4.xx or 5.xx */
    uint64_t sync_ok, sync_failed;
    uint64_t requests;      /* device-management requests submitted (accepted) */
    uint64_t requests_failed; /* ... that ended with a nonzero status */
    uint64_t notifications; /* delivered */
    uint64_t stale_notifications; /* dropped by the RFC 7641 §3.4 freshness rule */
    uint64_t queued_total;  /* requests that had to wait for a sleeping client */
    size_t in_flight;       /* requests sent, not yet final (observations excluded) */
    size_t observations;    /* live */
    size_t queued;          /* waiting for sleeping clients now */
    size_t parked;          /* observations of endpoints with no registration now,
                               waiting for their next Register (R21) */
    size_t waiting;         /* requests waiting for a free CoAP exchange slot (and
                               observations waiting to send their GET again) */
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
