/* SPDX-License-Identifier: Apache-2.0 */
/* What the server's device-management files share (dm.c: requests and
 * their lifecycle, block-wise steps, timeouts, R10; dm_ops.c: what each
 * operation puts on the wire and reads back; observe.c: observations;
 * queue.c: queue mode). Nothing here is API.
 *
 * A request (dm_req) is one allocation with its payload copied behind it.
 * It belongs to the session (dm_sess) of its registration, found by
 * location id, never by pointer: an Update may swap the registration's
 * record, and the session outlives that. A session exists while its
 * registration has requests, observations or queue mode, and is freed when
 * the registration goes away (tether_server_dm_gone()) or falls idle.
 *
 *   tether_dm
 *     sessions  hindex by location id ---> dm_sess
 *     reqs      hindex by request id  ---> dm_req (user requests; an
 *                                          observation's id is its token)
 *     timeouts  heap of dm_req.deadline   (sent, not yet answered)
 *     sleeps    heap of dm_sess.awake     (queue mode: when it falls asleep)
 *     parks     hindex by endpoint name ---> dm_park (observations of an
 *                                          endpoint with no registration)
 *     park_heap heap of dm_park.expiry    (when they are given up)
 *     wait      FIFO through dm_req.wprev/wnext: requests waiting for a
 *               free CoAP exchange slot (also in their session's active
 *               list), and observations waiting to send their GET again
 *   dm_sess
 *     active    requests in flight (or waiting for a slot) and
 *               observations, in submission order
 *     queued    requests waiting for the sleeping client, in order
 *
 * Invariants: a live request is in exactly one of its session's two lists
 * (or, between a Replace and the new Register, in tether_dm.carry; or, an
 * observation, in one park); it is in the timeout heap exactly while it
 * waits for a slot or its first answer; its state says which exchange
 * callback may still come. An established observation holds no exchange:
 * it is found by its token (tether_dm.reqs) when a notification comes. */
#ifndef TETHER_DM_INTERNAL_H
#define TETHER_DM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/heap_internal.h"
#include "server/hindex_internal.h"
#include "server/server_internal.h"
#include "tether/coap_block.h"
#include "tether/server.h"

/* Room for a reason sentence: an endpoint name and some words. */
#define DM_REASON_MAX (TETHER_SERVER_EP_MAX + 192)

/* What a request is for. */
enum dm_kind {
    DM_USER = 1,          /* tether_server_submit() & co.: report to cb */
    DM_OBSERVE = 2,       /* tether_server_observe(): report every notification */
    DM_OBS_CANCEL = 3,    /* GET Observe=1 after an active cancel: nobody told */
    DM_SYNC_READ_RES = 4, /* R10: GET /1/{i}/1, adopt */
    DM_SYNC_READ_OBJ = 5, /* R10: GET /1 (TLV), pick our instance, adopt */
    DM_SYNC_FIND_OBJ = 6, /* R10 write: GET /1 (TLV) to find our instance, then write */
    DM_SYNC_WRITE = 7,    /* R10: PUT /1/{i}/1 with the default lifetime */
};

enum dm_state {
    DS_NEW = 0,       /* built, not sent yet */
    DS_QUEUED = 1,    /* waiting for a sleeping client */
    DS_SENT = 2,      /* an exchange in flight (first block, next block, ...) */
    DS_OBSERVING = 3, /* an observation answered with Observe: notifications come */
    DS_DONE = 4,      /* over; freed once no frame holds it */
    DS_PARKED = 5,    /* an observation whose endpoint has no registration now:
                         in a dm_park until the endpoint registers again (R21) */
    DS_WAITING = 6,   /* waiting for a free exchange slot (tether_dm.wait) */
};

struct dm_sess;
struct dm_park;

typedef struct dm_req {
    tether_hnode by_id;
    tether_server *srv;
    uint32_t hash;
    tether_server_req_id id;      /* 0: internal, not indexed */
    struct dm_req *prev, *next;   /* the session's active or queued list, or carry */
    struct dm_req *all_prev, *all_next; /* every live request (for fini) */
    struct dm_sess *sess;
    struct dm_park *park;         /* DS_PARKED: where it waits, else NULL */
    struct dm_req *wprev, *wnext; /* DS_WAITING: tether_dm.wait */
    tether_heap_entry deadline;   /* request timeout, in tether_dm.timeouts */
    tether_server_response_fn cb;
    void *arg;
    tether_coap_xid xid;          /* the main exchange in flight, 0 when none */
    tether_coap_xid fetch_xid;    /* an observation's Block2 fetch, 0 when none */
    uint32_t timeout_ms;
    uint32_t format, accept;      /* TETHER_SERVER_NO_FORMAT when not sent */
    uint8_t kind;                 /* enum dm_kind */
    uint8_t op;                   /* tether_server_op */
    uint8_t method;
    uint8_t state;                /* enum dm_state */
    uint8_t busy;                 /* frames using it across a user callback */
    uint8_t cancelling;           /* we are cancelling its exchange: ignore the callback */
    uint8_t in_wait;              /* in tether_dm.wait: DS_WAITING, or an observation
                                     waiting to send its GET again */
    uint8_t b1_started;
    uint8_t b2_active;            /* reassembling a Block2 answer into rx */
    uint8_t has_seq;              /* observation: seq/seq_time hold the last delivered */
    uint8_t token[8];             /* observations: the token of the KEEP exchange */
    uint32_t seq;                 /* RFC 7641 §3.4: V1, and T1 below */
    tether_time seq_time;
    uint32_t pending_seq;         /* the notification whose blocks are being fetched */
    uint32_t b2_format;
    tether_lwm2m_path path;
    tether_server_attrs attrs;    /* Write-Attributes */
    tether_block1_tx b1;
    tether_block2_rx b2;
    uint8_t *rx;                  /* Block2 buffer, allocated for the transfer */
    size_t rx_cap;
    size_t body_cap;              /* room behind this struct */
    size_t body_len;              /* the payload, copied behind this struct */
    uint8_t body[];
} dm_req;

typedef struct dm_sess {
    tether_hnode node;
    uint32_t hash;
    char id[TETHER_SERVER_ID_LEN + 1];
    dm_req *head, *tail;          /* active: in flight and observing */
    dm_req *q_head, *q_tail;      /* queued for a sleeping client */
    struct dm_sess *all_prev, *all_next;
    uint32_t n_queued;
    tether_heap_entry awake;      /* queue mode: deadline of the awake window */
    uint8_t queue_mode;
    uint8_t sleeping;
    uint8_t busy;                 /* a frame iterates it: do not free */
} dm_sess;

/* Observations of one endpoint between the end of its registration
 * (De-register, expiry, a new Register) and its next Register. */
typedef struct dm_park {
    tether_hnode node;
    uint32_t hash;
    tether_heap_entry expiry;     /* in tether_dm.park_heap */
    tether_peer peer;             /* the registration's last address */
    dm_req *head, *tail;
    size_t n;
    uint8_t busy;                 /* a frame uses it: do not free */
    size_t ep_len;
    char ep[TETHER_SERVER_EP_MAX + 1];
} dm_park;

typedef struct tether_dm {
    tether_hindex sessions;
    tether_hindex reqs;
    tether_heap timeouts;
    tether_heap sleeps;
    dm_req *all;                  /* every live request */
    dm_sess *all_sess;
    dm_sess *spare;               /* freed sessions kept for reuse (all_next chain) */
    size_t n_spare;
    dm_req *spare_reqs;           /* freed small requests kept for reuse (next chain) */
    size_t n_spare_reqs;
    uint64_t next_id;
    /* Queued requests of a registration that a Register of the same
     * endpoint replaced, waiting for the new one (R15, queue mode). */
    dm_req *carry_head, *carry_tail;
    char carry_ep[TETHER_SERVER_EP_MAX + 1];
    /* The registration tether_server_dm_gone() is ending: out of the
     * registry, still readable. */
    struct tether_server_reg *gone;
    tether_hindex parks;
    tether_heap park_heap;
    size_t parked;                /* observations in parks */
    dm_req *wait_head, *wait_tail;
    size_t waiting;
    size_t in_flight, observations, queued;
    tether_time last_now;         /* for what ends in tether_server_free() */
    uint8_t closing;              /* the CoAP context is gone: cancel no exchange */
} tether_dm;

/* --- dm.c ------------------------------------------------------------------ */

/* The live request with id, or NULL. O(1). */
dm_req *tether_dm_req_find(tether_server *srv, tether_server_req_id id);

/* Start the requests waiting for a free exchange slot, oldest first, until
 * the CoAP layer has no room again. O(started). */
void tether_dm_wait_drain(tether_server *srv, tether_time now);

/* Send observation req's GET again (after a Register), now or, when no
 * slot is free, from the wait FIFO. Returns 0 (sent or waiting) or an
 * error (not sent; it stays established without). */
int tether_dm_wait_reobserve(tether_server *srv, tether_time now, dm_req *req);

/* Take req out of the wait FIFO when it is in. */
void tether_dm_wait_unlink(tether_dm *dm, dm_req *req);

/* The session of location id, or NULL. O(1). */
dm_sess *tether_dm_sess_find(tether_server *srv, const char *id);

/* The session of rec, created when missing. NULL when out of memory. */
dm_sess *tether_dm_sess_get(tether_server *srv, struct tether_server_reg *rec);

/* Free sess when nothing needs it any more (no requests, not queue mode,
 * no frame iterating it). */
void tether_dm_sess_release(tether_server *srv, dm_sess *sess);

/* The registration of sess: in the registry, or the one being removed. */
struct tether_server_reg *tether_dm_rec(tether_server *srv, const dm_sess *sess);

/* A new request of kind for session sess (may be NULL until attached),
 * payload copied. NULL when out of memory. */
dm_req *tether_dm_req_new(tether_server *srv, uint8_t kind, const void *body, size_t len);

/* Index req under id (requests by count, observations by token).
 * Returns 0, TETHER_ERR_EXISTS (id 0 or taken) or TETHER_ERR_NOMEM. */
int tether_dm_req_index(tether_server *srv, dm_req *req, tether_server_req_id id);
void tether_dm_req_unindex(tether_server *srv, dm_req *req);

/* Put req on the wire now (state NEW or QUEUED -> SENT, timeout armed), or
 * queue it when its session's client sleeps. On error req is untouched and
 * still the caller's (state NEW, in no list). */
int tether_dm_start(tether_server *srv, tether_time now, dm_req *req);

/* Send the request's current exchange (the first, the next Block1 block,
 * or, with b2 set, a GET for that Block2 block). */
int tether_dm_send(tether_server *srv, tether_time now, dm_req *req, const tether_coap_block *b2);

/* End req: out of every list and index, exchanges cancelled, callback (or
 * internal handler) called once with status, then freed. status 0 needs
 * msg (the final answer; body/len override its payload when body is set).
 * reason: a sentence for a nonzero status (copied). */
void tether_dm_end(tether_server *srv, tether_time now, dm_req *req, int status,
                   const tether_coap_msg *msg, const uint8_t *body, size_t len,
                   const char *reason);

/* tether_dm_end() with a formatted reason and no answer. */
#if defined(__GNUC__)
__attribute__((format(__printf__, 5, 6)))
#endif
void tether_dm_fail(tether_server *srv, tether_time now, dm_req *req, int status,
                    const char *fmt, ...);

/* Keep req alive across a user callback; tether_dm_put() frees it when it
 * ended meanwhile. Returns nonzero when req is still live after the put. */
void tether_dm_hold(dm_req *req);
int tether_dm_put(tether_server *srv, dm_req *req);

/* Feed a 2.xx answer carrying Block2 to req's reassembly. Returns 1 when
 * the body is complete in req->rx (length *len), 0 when the next block was
 * requested, or a negative error (req not ended; the caller ends it). */
int tether_dm_block2(tether_server *srv, tether_time now, dm_req *req, const tether_coap_msg *msg,
                     size_t *len);

/* The client of session id spoke at now (queue mode bookkeeping). */
void tether_dm_spoke(tether_server *srv, tether_time now, const char *id);

/* --- dm_ops.c --------------------------------------------------------------- */

/* Check a request for op before anything is built: path depth, format,
 * Execute arguments, attributes. why: out, a static sentence on error.
 * Returns 0 or TETHER_ERR_INVAL. */
int tether_dm_op_check(const tether_server_request *r, const tether_lwm2m_path *p,
                       const char **why);

/* The CoAP method of op. */
uint8_t tether_dm_op_method(int op);

/* Add the Write-Attributes Uri-Query options of a to b. */
int tether_dm_build_attrs(tether_coap_builder *b, const tether_server_attrs *a);

/* Fill what an answer means for op: created_iid from a 2.01's
 * Location-Path, links from a Discover's link-format (allocated through the
 * server: free with tether_dm_links_free()). */
void tether_dm_parse_answer(tether_server *srv, const dm_req *req, const tether_coap_msg *msg,
                            tether_server_response *resp, tether_server_link **links);
void tether_dm_links_free(tether_server *srv, tether_server_link *links);

/* --- dm_values.c ------------------------------------------------------------- */

/* Decode an answer's payload (content format cf, for the request's path)
 * into resp->values / n_values, typed with cfg.models. *block: what to
 * free with tether_server_alloc(srv, *block, 0) after the callback (NULL
 * when nothing was allocated). Returns 0 (also when there is nothing to
 * decode), TETHER_ERR_UNSUPPORTED, TETHER_ERR_MALFORMED or
 * TETHER_ERR_NOMEM: resp->values_status. */
int tether_dm_values(tether_server *srv, const tether_lwm2m_path *path, uint32_t cf,
                     const uint8_t *payload, size_t len, tether_server_response *resp,
                     void **block);

/* --- observe.c -------------------------------------------------------------- */

/* The exchange callback of an observation's GET (the first, or the one
 * after a new Register). */
void tether_dm_obs_done(void *arg, tether_time now, int status, const tether_coap_msg *msg);

/* A Block2 fetch for an observation completed (or failed): deliver it as a
 * notification. */
void tether_dm_obs_fetched(tether_server *srv, tether_time now, dm_req *req, int status,
                           const uint8_t *body, size_t len);

/* The unmatched-response hook of the CoAP layer: a notification (or a late
 * piggybacked answer) for the observation with that token, from the
 * registration's current address (or, parked, its last one). Returns 0
 * when taken, TETHER_ERR_NOT_FOUND (RST) otherwise. */
int tether_dm_obs_notify(tether_server *srv, tether_time now, const tether_peer *peer,
                         const tether_coap_msg *msg);

/* Park every established observation of sess (its registration rec is
 * going away) under rec's endpoint name; the ones still waiting for their
 * first answer end with CANCELLED and reason. */
void tether_dm_obs_park(tether_server *srv, tether_time now, dm_sess *sess,
                        struct tether_server_reg *rec, const char *reason);

/* rec registered: its endpoint's parked observations join sess and are
 * observed again with their tokens (RFC 7641 §4.1). */
void tether_dm_obs_unpark(tether_server *srv, tether_time now, struct tether_server_reg *rec);

/* Free park p when it is empty and no frame uses it. */
void tether_dm_park_release(tether_server *srv, dm_park *p);

/* Parks whose time ran out; and the next such time. */
void tether_dm_obs_park_expire(tether_server *srv, tether_time now);
tether_time tether_dm_obs_park_deadline(const tether_server *srv);

/* Index and free the parks (init / fini). */
void tether_dm_obs_park_init(tether_server *srv);
void tether_dm_obs_park_fini(tether_server *srv);

/* Draw a fresh token for an observation and index it by it. */
int tether_dm_obs_token(tether_server *srv, dm_req *req);

/* RFC 7641 §3.4: nonzero when (v2, t2) is newer than (v1, t1). */
int tether_dm_obs_fresh(uint32_t v1, tether_time t1, uint32_t v2, tether_time t2);

/* --- queue.c ---------------------------------------------------------------- */

/* Queue mode on or off for sess (from the registration's flags). */
void tether_dm_queue_mode(tether_server *srv, tether_time now, dm_sess *sess, int on);

/* The client spoke: restart the awake window; when it slept, report AWAKE
 * and send what waited. */
void tether_dm_queue_touch(tether_server *srv, tether_time now, dm_sess *sess);

/* Send every queued request of sess (the client is awake). */
void tether_dm_queue_flush(tether_server *srv, tether_time now, dm_sess *sess);

/* Awake windows that ran out by now: mark sleeping, report SLEEPING. */
void tether_dm_queue_expire(tether_server *srv, tether_time now);

/* Heap helper: make room for one more entry (the array doubles). */
int tether_dm_heap_reserve(tether_server *srv, tether_heap *h);

#endif /* TETHER_DM_INTERNAL_H */
