/* SPDX-License-Identifier: Apache-2.0 */
/* The CoAP exchange layer (RFC 7252 §4 and §5.2), sans-I/O.
 *
 * It owns what UDP transport needs below the request/response model:
 * message ids, tokens, confirmable retransmission with exponential back-off,
 * matching ACK/RST/responses to the requests they answer, empty ACKs and
 * separate responses, CoAP ping, and deduplication of incoming CON/NON by
 * (peer, Message ID) with the cached answer replayed for EXCHANGE_LIFETIME.
 * It never touches a socket, a clock or a random source: datagrams come in
 * through tether_coap_recv(), go out through tether_coap_send(), time is an
 * argument and randomness a callback. Block-wise transfer and observation
 * bookkeeping sit above it (tether/coap_block.h); the layers above never see
 * a message id.
 *
 * Memory: every table is sized once from the config and lives in one block
 * the caller provides (tether_coap_mem_size()), so nothing is allocated after
 * init and a firmware build can place it in static memory.
 *
 * The adapter loop: feed every received datagram to tether_coap_recv(); call
 * tether_coap_on_timeout() when tether_coap_next_deadline() has passed; then
 * call tether_coap_send() until it yields len == 0; sleep until the next
 * deadline or the next datagram.
 */
#ifndef TETHER_COAP_EXCHANGE_H
#define TETHER_COAP_EXCHANGE_H

#include <stddef.h>
#include <stdint.h>

#include "tether/coap.h"
#include "tether/err.h"
#include "tether/types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tether_coap_ctx tether_coap_ctx;

/* An outgoing exchange, as returned by tether_coap_msg_send(): stays valid
 * until its callback has reported the final outcome. 0 is never a valid id. */
typedef uint32_t tether_coap_xid;

/* An incoming request, as handed to on_request. A small value: copy it to
 * answer later (a separate response, RFC 7252 §5.2.2). */
typedef struct tether_coap_incoming {
    tether_peer peer;
    uint16_t mid;
    uint8_t type; /* CON or NON */
    uint8_t tkl;
    uint8_t token[TETHER_COAP_MAX_TOKEN];
    uint8_t answered;  /* private: a piggybacked reply or an empty ACK went out */
    uint32_t dedup;    /* private: dedup entry + generation, 0 if none */
} tether_coap_incoming;

/* The outcome of an outgoing exchange.
 * status: 0 with resp set (a response: piggybacked, separate, or one
 *         notification of an observation kept with TETHER_COAP_KEEP);
 *         0 with resp NULL (a CON that carried no request, e.g. a separate
 *         response or a notification, was acknowledged);
 *         TETHER_ERR_TIMEOUT, TETHER_ERR_RESET or TETHER_ERR_CANCELLED.
 * resp: borrowed for the call. The callback may start new exchanges and
 * cancel any, including this one. */
typedef void (*tether_coap_done_fn)(void *arg, tether_time now, int status,
                                    const tether_coap_msg *resp);

typedef struct tether_coap_callbacks {
    /* A new request (duplicates never reach here). Answer before returning
     * for a piggybacked response, or copy *in and answer later: for a CON
     * the layer then sends an empty ACK when this returns. */
    void (*on_request)(void *user, tether_time now, const tether_coap_msg *req,
                       const tether_coap_incoming *in);
    /* An RST that matched nothing we track (e.g. against a NON notification
     * whose mid the upper layer remembers). Optional. */
    void (*on_reset)(void *user, tether_time now, const tether_peer *peer, uint16_t mid);
} tether_coap_callbacks;

typedef struct tether_coap_config {
    /* RFC 7252 §4.8 transmission parameters. */
    uint32_t ack_timeout_ms;            /* ACK_TIMEOUT, 2000 */
    uint32_t ack_random_factor_milli;   /* ACK_RANDOM_FACTOR x1000, 1500 */
    uint8_t max_retransmit;             /* MAX_RETRANSMIT, 4 */
    uint32_t exchange_lifetime_ms;      /* EXCHANGE_LIFETIME, 247000 */
    uint32_t non_lifetime_ms;           /* how long a NON request waits for its answer, 145000 */
    /* Sizes, each fixed at init. */
    uint16_t max_message;      /* largest datagram built or cached for retransmission, 1152 */
    uint16_t max_exchanges;    /* outgoing exchanges in flight at once, 16 */
    uint16_t dedup_entries;    /* remembered incoming (peer, mid) pairs, 64 */
    uint16_t dedup_reply_max;  /* bytes of a reply kept for replay; longer replies are
                                  not replayed and their duplicates are dropped, 128 */
    uint32_t txq_bytes;        /* datagrams waiting for tether_coap_send(), 8192 */
    uint8_t token_len;         /* length of the tokens we generate, 1..8, 8 */
    tether_rand_fn rand;       /* required */
    void *rand_user;
    tether_log_fn log;         /* optional */
    void *log_user;
} tether_coap_config;

/* Fill cfg with the RFC 7252 defaults above. */
void tether_coap_config_default(tether_coap_config *cfg);

/* Bytes of memory tether_coap_init() needs for cfg (0 if cfg is invalid). */
size_t tether_coap_mem_size(const tether_coap_config *cfg);

/* Build a context inside mem.
 * out: gets the context, which lives in mem. mem: kept until
 * tether_coap_fini(), memsz >= tether_coap_mem_size(cfg), aligned for any
 * type (malloc or _Alignas(max_align_t)). cfg, cb: copied. user: kept, passed
 * to every callback.
 * Returns 0, TETHER_ERR_INVAL (cfg out of range, no rand) or TETHER_ERR_NOMEM
 * (memsz too small). */
int tether_coap_init(tether_coap_ctx **out, void *mem, size_t memsz,
                     const tether_coap_config *cfg, const tether_coap_callbacks *cb,
                     void *user);

/* Cancel every exchange (their callbacks see TETHER_ERR_CANCELLED); after
 * this the memory is the caller's again. NULL is a no-op. */
void tether_coap_fini(tether_coap_ctx *ctx);

/* Feed one received datagram.
 * peer, buf: borrowed (copied where kept). now: never decreasing.
 * Returns 0 (including a duplicate answered from the cache, a ping answered
 * with RST, a stray message ignored or rejected with RST), or
 * TETHER_ERR_MALFORMED and friends for a datagram that does not parse: it is
 * dropped, or rejected with RST when its header could be read (RFC 7252
 * §4.2). Must not be called from a tether callback (TETHER_ERR_REENTRANT). */
int tether_coap_recv(tether_coap_ctx *ctx, tether_time now, const tether_peer *peer,
                     const uint8_t *buf, size_t len);

/* Take the next datagram to send. peer: out. buf: cap bytes; *len gets the
 * datagram length, 0 when nothing is waiting. Returns 0, or
 * TETHER_ERR_NOSPACE when cap is smaller than the waiting datagram (it
 * stays queued). */
int tether_coap_send(tether_coap_ctx *ctx, tether_time now, tether_peer *peer,
                     uint8_t *buf, size_t cap, size_t *len);

/* When tether_coap_on_timeout() should next be called; TETHER_TIME_NEVER if
 * nothing is pending. */
tether_time tether_coap_next_deadline(const tether_coap_ctx *ctx);

/* Run due retransmissions and give up on exchanges past their last one
 * (their callbacks see TETHER_ERR_TIMEOUT). Cheap to call early. */
int tether_coap_on_timeout(tether_coap_ctx *ctx, tether_time now);

/* --- sending ------------------------------------------------------------- */

/* Start an outgoing message in the context's scratch buffer.
 * type: CON or NON. code: a method for a request, a response code for a
 * notification or other response that we start. token: copied; NULL makes
 * a fresh random token of cfg.token_len (for a new request); tkl ignored
 * then. The layer picks the message id.
 * Returns 0 or TETHER_ERR_INVAL; add options and payload to *b, then call
 * tether_coap_msg_send() before any other call on ctx. */
int tether_coap_msg_begin(tether_coap_ctx *ctx, tether_coap_builder *b, uint8_t type,
                          uint8_t code, const uint8_t *token, uint8_t tkl);

/* Flags for tether_coap_msg_send(). */
#define TETHER_COAP_KEEP 1u /* a request whose token stays matched after the first
                               response (Observe): the callback sees every response
                               until tether_coap_cancel() */

/* Queue the message started with tether_coap_msg_begin() for peer.
 * peer: copied. done: may be NULL (nothing to report); arg: kept for it.
 * xid: out, may be NULL.
 * A request (method code) waits for its response: done gets it, or
 * TETHER_ERR_TIMEOUT after the last retransmission (CON) or non_lifetime
 * (NON), or TETHER_ERR_RESET. A CON response waits for its ACK.
 * A NON response is fire-and-forget: done is not called.
 * Returns 0, TETHER_ERR_BUSY (no free exchange slot, or the send queue is
 * full: nothing was sent and done will not be called), or the builder's error.
 * Must not be called with a builder from another context. */
int tether_coap_msg_send(tether_coap_ctx *ctx, tether_time now, const tether_peer *peer,
                         tether_coap_builder *b, uint32_t flags, tether_coap_done_fn done,
                         void *arg, tether_coap_xid *xid);

/* Stop an exchange: no more retransmissions, and its callback runs once with
 * TETHER_ERR_CANCELLED (also for TETHER_COAP_KEEP requests). Returns 0 or
 * TETHER_ERR_NOT_FOUND (already finished). */
int tether_coap_cancel(tether_coap_ctx *ctx, tether_time now, tether_coap_xid xid);

/* Cancel every exchange with peer (a registration went away). */
void tether_coap_cancel_peer(tether_coap_ctx *ctx, tether_time now, const tether_peer *peer);

/* --- answering ----------------------------------------------------------- */

/* Start the answer to an incoming request: piggybacked on the ACK when the
 * CON was not acknowledged yet, else a separate CON response (RFC 7252
 * §5.2.2); NON for a NON request. Same token, layer-chosen message id.
 * Returns 0 or TETHER_ERR_INVAL. Finish with tether_coap_reply_send(). */
int tether_coap_reply_begin(tether_coap_ctx *ctx, tether_coap_builder *b,
                            const tether_coap_incoming *in, uint8_t code);

/* Queue the answer. in: updated (marks it answered). A piggybacked answer
 * is also stored in the dedup cache, so a retransmitted request gets the
 * same bytes again without reaching on_request.
 * Returns 0, TETHER_ERR_BUSY or the builder's error. */
int tether_coap_reply_send(tether_coap_ctx *ctx, tether_time now, tether_coap_incoming *in,
                           tether_coap_builder *b);

/* Shorthand: an answer with a code and nothing else. */
int tether_coap_reply_code(tether_coap_ctx *ctx, tether_time now, tether_coap_incoming *in,
                           uint8_t code);

/* Send a CoAP ping (empty CON, RFC 7252 §4.3) to peer; done sees status 0
 * when the peer answers with RST (alive) or TETHER_ERR_TIMEOUT. */
int tether_coap_ping(tether_coap_ctx *ctx, tether_time now, const tether_peer *peer,
                     tether_coap_done_fn done, void *arg, tether_coap_xid *xid);

/* --- counters ------------------------------------------------------------ */

typedef struct tether_coap_stats {
    uint64_t rx, tx;                /* datagrams */
    uint64_t rx_malformed;          /* dropped or RST for not parsing */
    uint64_t rx_duplicate;          /* answered from the dedup cache or dropped */
    uint64_t retransmissions;
    uint64_t timeouts;
    uint64_t dedup_evicted;         /* entries dropped before EXCHANGE_LIFETIME: cache too small */
    uint64_t txq_full;              /* datagrams refused because the send queue was full */
    uint32_t exchanges_in_flight;
} tether_coap_stats;

void tether_coap_get_stats(const tether_coap_ctx *ctx, tether_coap_stats *out);

#ifdef __cplusplus
}
#endif
#endif /* TETHER_COAP_EXCHANGE_H */
