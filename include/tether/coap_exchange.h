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
 *
 * Matching (RFC 7252 §4.4, §5.3.2): an ACK or RST is matched to our CON (or
 * NON request) by (peer, Message ID), a response to our request by (peer,
 * token), each through a hash index, so the cost does not grow with the
 * number of exchanges in flight. Deduplication keeps the last dedup_entries
 * (peer, Message ID) pairs of incoming CON and NON messages in a ring whose
 * order is their expiry order; when it is full the oldest is evicted early
 * (counted in dedup_evicted). Expired entries are dropped lazily, so dedup
 * never needs a wake-up of its own.
 * A firmware build may define TETHER_COAP_LINEAR to scan instead of hash
 * (same behaviour, smaller code, cost linear in the table sizes; see
 * tether/client_config.h).
 *
 * Randomness, in the order it is drawn (tests rely on it): at init 4 bytes
 * (hash seed) then 2 bytes (first message id, big-endian; later ids count
 * up from it); tether_coap_msg_begin() with token NULL draws token_len bytes
 * (and again at tether_coap_msg_send() only if that token collides with a
 * live request to the same peer); each CON leaving through msg_send,
 * reply_send or ping draws 4 bytes: the top 24 bits of their big-endian
 * value r pick the first timeout ACK_TIMEOUT + (ACK_TIMEOUT * (FACTOR - 1)) *
 * r / (2^24 - 1), uniform over [ACK_TIMEOUT, ACK_TIMEOUT * FACTOR] with both
 * ends reachable. Each retransmission doubles the timeout, measured from the
 * `now` of the on_timeout() call that sent it.
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
 * until its callback has reported the final outcome. 0 is never a valid id.
 * It holds a slot number and a 16-bit generation, so a stale id is only
 * mistaken for a new exchange after 65536 reuses of the same slot. */
typedef uint32_t tether_coap_xid;

/* An incoming request, as handed to on_request. A small value: copy it to
 * answer later (a separate response, RFC 7252 §5.2.2). */
typedef struct tether_coap_incoming {
    tether_peer peer;
    uint16_t mid;
    uint8_t type; /* CON or NON */
    uint8_t tkl;
    uint8_t token[TETHER_COAP_MAX_TOKEN];
    uint8_t answered;  /* private: nonzero once an answer went out through this copy */
    uint32_t dedup;    /* private: dedup entry + generation, 0 if none */
} tether_coap_incoming;

/* The outcome of an outgoing exchange.
 * status: 0 with resp set (a response: piggybacked, separate, or one
 *         notification of an observation kept with TETHER_COAP_KEEP);
 *         0 with resp NULL (a CON that carried no request, e.g. a separate
 *         response or a notification, was acknowledged; or a ping was
 *         answered by RST or ACK);
 *         TETHER_ERR_TIMEOUT, TETHER_ERR_RESET or TETHER_ERR_CANCELLED.
 * resp: borrowed for the call. The callback may start new exchanges and
 * cancel any, including this one (for a final outcome the exchange is
 * already over: cancelling it then returns TETHER_ERR_NOT_FOUND). It must
 * not call tether_coap_recv(), tether_coap_on_timeout() or
 * tether_coap_fini(). */
typedef void (*tether_coap_done_fn)(void *arg, tether_time now, int status,
                                    const tether_coap_msg *resp);

typedef struct tether_coap_callbacks {
    /* A new request (duplicates never reach here). Answer before returning
     * for a piggybacked response (copy *in and pass the copy to
     * tether_coap_reply_*), or keep the copy and answer later: for a CON
     * the layer then sends an empty ACK when this returns, and the later
     * answer goes as a separate CON response. req: borrowed for the call.
     * When NULL, incoming requests are rejected with RST. */
    void (*on_request)(void *user, tether_time now, const tether_coap_msg *req,
                       const tether_coap_incoming *in);
    /* An RST that matched nothing we track (e.g. against a NON notification
     * whose mid the upper layer remembers). peer: borrowed. Optional. */
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
    uint16_t max_message;      /* largest datagram built or cached for retransmission,
                                  >= 12, 1152 */
    uint16_t max_exchanges;    /* outgoing exchanges in flight at once, >= 1, 16 */
    uint16_t dedup_entries;    /* remembered incoming (peer, mid) pairs, >= 1, 64 */
    uint16_t dedup_reply_max;  /* bytes of a reply kept for replay; longer replies are
                                  not replayed and their duplicates are dropped, 128
                                  (capped at max_message) */
    uint32_t txq_bytes;        /* datagrams waiting for tether_coap_send(), 8192; each
                                  takes its length + TETHER_COAP_TXQ_OVERHEAD bytes, and
                                  one of max_message must fit */
    uint8_t token_len;         /* length of the tokens we generate, 1..8, 8 */
    tether_rand_fn rand;       /* required */
    void *rand_user;
    tether_log_fn log;         /* optional */
    void *log_user;
} tether_coap_config;

/* Bytes of send-queue space each queued datagram takes besides its own. */
#define TETHER_COAP_TXQ_OVERHEAD (sizeof(tether_peer) + 2)

/* Accepted ranges: ack_timeout_ms 1..86400000, ack_random_factor_milli
 * 1000..10000, max_retransmit 0..20, exchange_lifetime_ms and
 * non_lifetime_ms >= 1, the sizes as noted above. */

/* Fill cfg with the RFC 7252 defaults above. */
void tether_coap_config_default(tether_coap_config *cfg);

/* Bytes of memory tether_coap_init() needs for cfg (0 if cfg is invalid). */
size_t tether_coap_mem_size(const tether_coap_config *cfg);

/* Build a context inside mem.
 * out: gets the context, which lives in mem. mem: kept until
 * tether_coap_fini(), memsz >= tether_coap_mem_size(cfg), aligned for any
 * type (malloc or _Alignas(max_align_t)). cfg, cb: copied. user: kept, passed
 * to every callback.
 * Returns 0, TETHER_ERR_INVAL (cfg out of range, no rand, NULL or misaligned
 * mem) or TETHER_ERR_NOMEM (memsz too small); *out untouched on error. */
int tether_coap_init(tether_coap_ctx **out, void *mem, size_t memsz,
                     const tether_coap_config *cfg, const tether_coap_callbacks *cb,
                     void *user);

/* A response that matches none of our exchanges by (peer, token): a
 * notification of an observation that the layer above keeps by token
 * instead of in an exchange slot (RFC 7641 §3.2), or a stray. peer, resp:
 * borrowed for the call. Called for a CON or NON response: return 0 to take
 * it -- a CON then gets an empty ACK and the (peer, Message ID) goes into
 * the dedup table, so a retransmission gets the ACK again without a second
 * call -- or nonzero to reject it with RST (RFC 7252 §5.3.2, RFC 7641
 * §3.6). Also called for a piggybacked response in an ACK whose Message ID
 * matches nothing (its request ended, e.g. a notification with the same
 * token came first as a separate response, RFC 7252 §5.2.2); then the
 * return value is ignored and nothing is sent. The callback may start and
 * cancel exchanges, as tether_coap_done_fn. */
typedef int (*tether_coap_unmatched_fn)(void *user, tether_time now, const tether_peer *peer,
                                        const tether_coap_msg *resp);

/* Install fn (NULL: none, the default, which rejects every unmatched
 * response with RST) for ctx; it gets the user pointer of
 * tether_coap_init(). Kept out of tether_coap_callbacks so that existing
 * initialisers of that struct stay complete. ctx NULL is a no-op. */
void tether_coap_set_unmatched(tether_coap_ctx *ctx, tether_coap_unmatched_fn fn);

/* Cancel every exchange (their callbacks see TETHER_ERR_CANCELLED, with the
 * last `now` the context was given; starting exchanges from them fails with
 * TETHER_ERR_STATE); after this the memory is the caller's again. NULL is a
 * no-op. Must not be called from a tether callback (then it does nothing). */
void tether_coap_fini(tether_coap_ctx *ctx);

/* Feed one received datagram.
 * peer, buf: borrowed (copied where kept). now: never decreasing.
 * Returns 0 (including a duplicate answered from the cache, a ping answered
 * with RST, a stray message ignored or rejected with RST), or
 * TETHER_ERR_MALFORMED and friends for a datagram that does not parse: it is
 * dropped, or rejected with RST when it is a version-1 CON (RFC 7252 §4.2).
 * A NON that is Empty, an ACK that carries a request and an RST that is not
 * Empty are format errors too: dropped with TETHER_ERR_MALFORMED. All of
 * these count in rx_malformed. Must not be called from a tether callback
 * (TETHER_ERR_REENTRANT, nothing done); TETHER_ERR_INVAL for a NULL peer or
 * buf or a peer len above TETHER_PEER_ADDR_MAX.
 * What comes in and what goes out:
 *   CON/NON request, new       -> on_request; a CON left unanswered gets an
 *                                 empty ACK when on_request returns
 *   CON/NON, duplicate         -> CON: the cached piggybacked answer, else
 *                                 an empty ACK, else (answer too long to
 *                                 cache) nothing; NON: nothing
 *   CON/NON response, ours     -> the exchange's callback; a CON gets an
 *                                 empty ACK first
 *   CON/NON response, unknown  -> the unmatched hook: empty ACK (CON) when
 *                                 it takes it; RST when it refuses or there
 *                                 is none (tether_coap_set_unmatched())
 *   ACK (empty or piggybacked) -> ends the wait for the ACK; unknown: ignored
 *                                 (a piggybacked one goes to the hook first)
 *   RST                        -> the exchange ends with TETHER_ERR_RESET
 *                                 (a ping with status 0); unknown: on_reset
 *   Empty CON (ping)           -> RST
 *   CON with a reserved code class (1, 3, 6, 7) -> RST */
int tether_coap_recv(tether_coap_ctx *ctx, tether_time now, const tether_peer *peer,
                     const uint8_t *buf, size_t len);

/* Take the next datagram to send, oldest first. peer: out. buf: cap bytes;
 * *len gets the datagram length, 0 when nothing is waiting. Returns 0, or
 * TETHER_ERR_NOSPACE when cap is smaller than the waiting datagram (it
 * stays queued). May be called from a callback. */
int tether_coap_send(tether_coap_ctx *ctx, tether_time now, tether_peer *peer,
                     uint8_t *buf, size_t cap, size_t *len);

/* When tether_coap_on_timeout() should next be called; TETHER_TIME_NEVER if
 * nothing is pending. */
tether_time tether_coap_next_deadline(const tether_coap_ctx *ctx);

/* Run due retransmissions and give up on exchanges past their last one
 * (their callbacks see TETHER_ERR_TIMEOUT). Cheap to call early. A
 * retransmission that finds the send queue full is lost as if the network
 * had dropped it (counted in txq_full); the schedule goes on.
 * Returns 0, or TETHER_ERR_REENTRANT from a callback (nothing done). */
int tether_coap_on_timeout(tether_coap_ctx *ctx, tether_time now);

/* --- sending ------------------------------------------------------------- */

/* Start an outgoing message in the context's scratch buffer.
 * type: CON or NON. code: a method for a request, a response code (2.xx,
 * 4.xx, 5.xx) for a notification or other response that we start. token:
 * copied; NULL makes a fresh random token of cfg.token_len (for a new
 * request); tkl ignored then. The layer picks the message id when the
 * message is sent. b: out, a builder over the scratch buffer.
 * Returns 0 or TETHER_ERR_INVAL; add options and payload to *b, then call
 * tether_coap_msg_send() before any other call on ctx. */
int tether_coap_msg_begin(tether_coap_ctx *ctx, tether_coap_builder *b, uint8_t type,
                          uint8_t code, const uint8_t *token, uint8_t tkl);

/* Flags for tether_coap_msg_send(). */
#define TETHER_COAP_KEEP 1u /* a request whose token stays matched after the first
                               response (Observe): the callback sees every response
                               (status 0) until tether_coap_cancel(), which reports
                               TETHER_ERR_CANCELLED. A response with a code >= 4.00
                               or without an Observe option is the last one: the
                               exchange ends with it (the callback cannot tell from
                               status, it reads resp). Once a response has come the
                               exchange has no deadline and no longer matches RST. */

/* Queue the message started with tether_coap_msg_begin() for peer.
 * peer: copied. b: borrowed, from tether_coap_msg_begin() on this ctx.
 * done: may be NULL (nothing to report); arg: kept for it.
 * xid: out, may be NULL; 0 for a NON response, which is not tracked.
 * A request (method code) waits for its response: done gets it, or
 * TETHER_ERR_TIMEOUT after the last retransmission's timeout (CON; after an
 * empty ACK, exchange_lifetime after that ACK) or non_lifetime (NON), or
 * TETHER_ERR_RESET when an RST matches its message id. A CON response waits
 * for its ACK (status 0, resp NULL), RST or timeout.
 * A NON response is fire-and-forget: done is not called (an RST against it
 * goes to on_reset). On success b's buffer holds the message as queued,
 * Message ID included (tether_coap_build_mid()), until the next
 * tether_coap_msg_begin() or tether_coap_reply_begin() on ctx.
 * Returns 0, or with nothing sent and done never called:
 * TETHER_ERR_BUSY (no free exchange slot, the send queue is full (counted
 * in txq_full), or no unused random token left for that peer),
 * TETHER_ERR_EXISTS (a caller-given request token is in use with that peer),
 * TETHER_ERR_INVAL (bad flags: TETHER_COAP_KEEP on a non-request; a builder
 * from elsewhere; peer len too big), TETHER_ERR_STATE (inside
 * tether_coap_fini()), or the builder's error. */
int tether_coap_msg_send(tether_coap_ctx *ctx, tether_time now, const tether_peer *peer,
                         tether_coap_builder *b, uint32_t flags, tether_coap_done_fn done,
                         void *arg, tether_coap_xid *xid);

/* Stop an exchange: no more retransmissions, and its callback runs once with
 * TETHER_ERR_CANCELLED before this returns (also for TETHER_COAP_KEEP
 * requests). A late response for it is then answered with RST. May be
 * called from a callback. Returns 0 or TETHER_ERR_NOT_FOUND (already
 * finished, or never was). */
int tether_coap_cancel(tether_coap_ctx *ctx, tether_time now, tether_coap_xid xid);

/* Cancel every exchange with peer (a registration went away), as
 * tether_coap_cancel() each; exchanges that their callbacks start are left
 * alone. peer: borrowed. Cost: the exchanges in peer's hash bucket. */
void tether_coap_cancel_peer(tether_coap_ctx *ctx, tether_time now, const tether_peer *peer);

/* --- answering ----------------------------------------------------------- */

/* Start the answer to an incoming request: piggybacked on the ACK when the
 * CON was not acknowledged yet, i.e. when called from on_request for that
 * very request; else a separate CON response (RFC 7252 §5.2.2), retransmitted
 * until ACKed; NON for a NON request. Same token; a message id of the layer's
 * choosing, except for the piggybacked ACK, which carries the request's.
 * in: borrowed, a copy of what on_request got. code: 2.xx, 4.xx or 5.xx.
 * Returns 0, TETHER_ERR_INVAL, or TETHER_ERR_STATE (this copy already
 * answered). Finish with tether_coap_reply_send(). */
int tether_coap_reply_begin(tether_coap_ctx *ctx, tether_coap_builder *b,
                            const tether_coap_incoming *in, uint8_t code);

/* Queue the answer. in: updated (marks it answered). b: borrowed, from
 * tether_coap_reply_begin() with the same in. A piggybacked answer of at
 * most dedup_reply_max bytes is also stored in the dedup cache, so a
 * retransmitted request gets the same bytes again without reaching
 * on_request. A separate CON answer takes an exchange slot; nobody is told
 * whether it was ACKed.
 * Returns 0, TETHER_ERR_BUSY (queue full or no slot: nothing sent, in not
 * marked), TETHER_ERR_STATE (already answered), TETHER_ERR_INVAL, or the
 * builder's error. */
int tether_coap_reply_send(tether_coap_ctx *ctx, tether_time now, tether_coap_incoming *in,
                           tether_coap_builder *b);

/* Shorthand: an answer with a code and nothing else. */
int tether_coap_reply_code(tether_coap_ctx *ctx, tether_time now, tether_coap_incoming *in,
                           uint8_t code);

/* Send a CoAP ping (empty CON, RFC 7252 §4.3) to peer, retransmitted like
 * any CON; done sees status 0 when the peer answers with RST (or ACK:
 * alive), or TETHER_ERR_TIMEOUT. peer: copied. arg: kept. xid: out, may be
 * NULL. Returns 0, TETHER_ERR_BUSY, TETHER_ERR_INVAL or TETHER_ERR_STATE,
 * as tether_coap_msg_send(). */
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
    uint32_t dedup_used;            /* dedup entries live now, <= dedup_entries */
} tether_coap_stats;

/* out: filled. The counters are 0 in a build with TETHER_COAP_NO_STATS
 * (tether/client_config.h); the two gauges are always true. */
void tether_coap_get_stats(const tether_coap_ctx *ctx, tether_coap_stats *out);

/* A sentence about the last error a call on ctx returned ("" if the last
 * call succeeded). Valid until the next call on ctx; never NULL. Always ""
 * in a build with TETHER_NO_ERRMSG (tether/client_config.h). */
const char *tether_coap_errmsg(const tether_coap_ctx *ctx);

#ifdef __cplusplus
}
#endif
#endif /* TETHER_COAP_EXCHANGE_H */
