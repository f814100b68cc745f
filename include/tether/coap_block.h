/* SPDX-License-Identifier: Apache-2.0 */
/* Block-wise transfer helpers (RFC 7959), sans-I/O and allocation-free.
 *
 * The exchange layer (tether/coap_exchange.h) knows nothing of blocks: every
 * block is an ordinary request/response pair to it. The LwM2M engines call
 * these helpers explicitly, one per direction:
 *
 *   we receive a big request body  -> tether_block1_rx_*   (table of slots)
 *   we send a big request body     -> tether_block1_tx_*   (one small struct)
 *   we send a big response body    -> tether_block2_slice  (stateless)
 *   we receive a big response body -> tether_block2_rx_*   (one small struct)
 *
 * None of them reads a clock, sends, or allocates: time is an argument, the
 * caller builds and sends every message, and all memory is the caller's.
 * Offsets are always computed as NUM * 2^(SZX+4) bytes, so a peer may change
 * the block size between blocks (RFC 7959 §2.3/§2.4) without confusing us.
 *
 * Errors: 0 or a negative tether_err; outputs are untouched on error. When an
 * error is the answer to a peer's request, tether_block_answer_code() gives
 * the CoAP code to send back:
 *
 *   TETHER_ERR_TOO_LARGE        4.13 Request Entity Too Large (add Size1)
 *   TETHER_ERR_BLOCK_INCOMPLETE 4.08 Request Entity Incomplete
 *   TETHER_ERR_MALFORMED        4.00 Bad Request (Block option of 4+ bytes,
 *                               SZX 7 (RFC 7959 §2.2), block payload whose
 *                               size does not match its SZX)
 *   TETHER_ERR_BAD_OPTION       4.02 Bad Option (Block2 NUM past the end)
 *   TETHER_ERR_BUSY             5.03 Service Unavailable
 *   anything else               5.00 Internal Server Error
 */
#ifndef TETHER_COAP_BLOCK_H
#define TETHER_COAP_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "tether/coap.h"
#include "tether/err.h"
#include "tether/types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TETHER_BLOCK_SZX_MIN 0 /* 16 bytes */
#define TETHER_BLOCK_SZX_MAX 6 /* 1024 bytes; 7 is reserved (RFC 7959 §2.2) */
#define TETHER_BLOCK_NUM_MAX ((1u << 20) - 1) /* NUM is 20 bits in a 3-byte option */

/* Bytes the *_write() functions add besides the payload, at most: a Block
 * option (1 header + 1 extended delta + 3 value), a Size option (1 + 1 + 4)
 * and the payload marker -- an upper bound: the combinations that occur
 * need 11 (tested). A datagram's room for payload is its capacity minus the
 * message built so far minus this. */
#define TETHER_BLOCK_OPTS_OVERHEAD 12

/* The CoAP code to answer a request with after a block helper returned err
 * (table above). Never fails; 0 is answered as 5.00 too. */
uint8_t tether_block_answer_code(int err);

/* The largest SZX whose block fits in room bytes, capped at max_szx.
 * szx: out. Returns 0, TETHER_ERR_NOSPACE when room < 16, or
 * TETHER_ERR_INVAL (max_szx > 6, szx NULL); *szx untouched on error. */
int tether_block_szx_fit(size_t room, uint8_t max_szx, uint8_t *szx);

/* =========================================================================
 * Block1 reassembly: receiving a request body in blocks (RFC 7959 §2.5)
 * =========================================================================
 *
 * A table of slots, each reassembling one transfer. A transfer is keyed by
 * the peer, the method, and the request target: the Uri-Host, Uri-Port,
 * Uri-Path and Uri-Query options, and Request-Tag (RFC 9175) when present.
 * The token is not part of the key: a client may change it per block. The
 * target is stored as a 64-bit hash; peer and method are compared exactly, so
 * a hash collision can only mix two transfers of one peer to one method.
 *
 * Memory, in one caller block (tether_block1_rx_mem_size()):
 *
 *   +-----------+----------------------------+-------------------------------+
 *   | rx header | slot[0] .. slot[slots-1]   | body[0] .. body[slots-1]      |
 *   |           | (key, offsets, last active)| max_body bytes each           |
 *   +-----------+----------------------------+-------------------------------+
 *
 * A slot's body grows from offset 0; next_offset is where the next new block
 * must start:
 *
 *   body[i]:  [ received, contiguous .......... | not yet ............ ]
 *             0                          next_offset             max_body
 *
 * Rules per block (offset = NUM * block size of the request's SZX):
 *   - NUM 0 always (re)starts the transfer: RFC 7959 lets a client start
 *     over at any time. (A late duplicate of block 0 is normally absorbed by
 *     the exchange layer's deduplication before it gets here.)
 *   - NUM 0 with M=0 is a transfer of one block: it completes at once, takes
 *     no slot, and frees any slot the key had.
 *   - NUM > 0 with no live slot for the key: TETHER_ERR_BLOCK_INCOMPLETE.
 *   - offset + len <= next_offset (a block we already have): acknowledged
 *     again, nothing changes (idempotent retransmission).
 *   - offset > next_offset (a gap): TETHER_ERR_BLOCK_INCOMPLETE, slot freed.
 *   - offset + len > max_body, or a Size1 option above max_body:
 *     TETHER_ERR_TOO_LARGE, slot freed.
 *   - M=1 requires a payload of exactly the block size; M=0 at most that.
 *   - "Slot freed" applies to a transfer in progress. A completed transfer
 *     keeps its slot (and body) through any refused block: only release, a
 *     NUM 0 for its key, expiry or eviction end it. A block that contradicts
 *     a completed body (M=1 where it ended, data past its end) is refused
 *     with TETHER_ERR_BLOCK_INCOMPLETE.
 *
 * Slots: a slot idle (no block) for idle_timeout_ms is dead and reused. When
 * a new transfer finds no free or dead slot, it takes (evicts) the slot idle
 * the longest, completed ones first: a client that stalls cannot hold the
 * table hostage, and the evicted client gets 4.08 on its next block and can
 * start over. We chose eviction over 5.03 because the table is small by
 * design and the stalled transfer is the one least likely to finish.
 */

typedef struct tether_block1_rx tether_block1_rx;

typedef struct tether_block1_rx_config {
    uint16_t slots;           /* transfers in progress at once, 4 */
    uint32_t max_body;        /* largest reassembled body, bytes, 4096 */
    uint32_t idle_timeout_ms; /* a slot with no block for this long is dead; 247000
                                 (EXCHANGE_LIFETIME, RFC 7252 §4.8.2) */
    uint8_t szx;              /* largest block we want; asked for in 2.31 when the
                                 client sends bigger ones, 6 (1024) */
} tether_block1_rx_config;

/* Fill cfg with the defaults above. */
void tether_block1_rx_config_default(tether_block1_rx_config *cfg);

/* Bytes of memory tether_block1_rx_init() needs for slots slots of max_body
 * bytes each; 0 when slots is 0 or above 65535, max_body is 0 or above
 * UINT32_MAX, or the size overflows. */
size_t tether_block1_rx_mem_size(size_t slots, size_t max_body);

/* Build a reassembly table inside mem.
 * out: gets the table, which lives in mem. mem: kept until the caller stops
 * using the table (there is no fini: nothing to release); memsz >=
 * tether_block1_rx_mem_size(cfg->slots, cfg->max_body); aligned for any type.
 * cfg: copied.
 * Returns 0, TETHER_ERR_INVAL (slots or max_body 0, szx > 6) or
 * TETHER_ERR_NOMEM (memsz too small); *out untouched on error. */
int tether_block1_rx_init(tether_block1_rx **out, void *mem, size_t memsz,
                          const tether_block1_rx_config *cfg);

typedef enum tether_block1_rx_status {
    TETHER_BLOCK1_CONTINUE = 1, /* answer 2.31 Continue carrying block1 */
    TETHER_BLOCK1_COMPLETE = 2, /* act on body; the final answer carries block1 */
} tether_block1_rx_status;

typedef struct tether_block1_rx_result {
    tether_block1_rx_status status;
    /* The Block1 option for the answer (RFC 7959 §2.3): the request's NUM,
     * M=1 for CONTINUE (M=0 for COMPLETE), and SZX = min(request's, cfg.szx):
     * a smaller SZX asks the client for smaller blocks from now on. */
    tether_coap_block block1;
    /* COMPLETE only (NULL, 0 for CONTINUE): the whole body. Valid until the
     * slot is released, reused for another transfer (after its release,
     * expiry or eviction), or -- for a one-block transfer (slot < 0), which is
     * a view of req's payload -- until req's buffer is reused. */
    const uint8_t *body;
    size_t body_len;
    /* COMPLETE: the slot holding body, for tether_block1_rx_release(); -1
     * when none was used. CONTINUE: the slot in use. */
    int slot;
} tether_block1_rx_result;

/* Feed one request (any method) that may carry Block1.
 * rx: the table. now: ms, never decreasing. peer: borrowed (copied into the
 * slot). req: borrowed; a parsed request whose buffer the caller keeps for the
 * call (and longer for a one-block COMPLETE, see body). out: written on 0.
 * A completed slot stays COMPLETE (a retransmitted final block gets the same
 * result again) until tether_block1_rx_release(), a NUM 0 for its key, expiry
 * or eviction; release it as soon as the body has been acted on.
 * Returns 0 with *out; TETHER_ERR_NOT_FOUND when req has no Block1 (an
 * ordinary request: handle it as usual, the table is unchanged); or, with
 * *out untouched, TETHER_ERR_MALFORMED, TETHER_ERR_BLOCK_INCOMPLETE or
 * TETHER_ERR_TOO_LARGE (answer with tether_block_answer_code(); add Size1 =
 * tether_block1_rx_max_body() to a 4.13), TETHER_ERR_INVAL (NULL argument).
 * Cost: O(slots). */
int tether_block1_rx_feed(tether_block1_rx *rx, tether_time now, const tether_peer *peer,
                          const tether_coap_msg *req, tether_block1_rx_result *out);

/* Free a slot (a result's slot; a negative or out-of-range slot is a no-op).
 * The body view of that slot ends here. */
void tether_block1_rx_release(tether_block1_rx *rx, int slot);

/* Free every slot of peer (it went away or re-registered). Cost: O(slots). */
void tether_block1_rx_release_peer(tether_block1_rx *rx, const tether_peer *peer);

/* The configured max_body: the Size1 value of a 4.13 answer (RFC 7959 §4). */
uint32_t tether_block1_rx_max_body(const tether_block1_rx *rx);

typedef struct tether_block1_rx_stats {
    uint32_t in_use;    /* live slots (in progress or complete, not expired) at `now` */
    uint64_t completed; /* transfers of 2+ blocks completed */
    uint64_t evicted;   /* live transfers taken over for lack of slots */
    uint64_t expired;   /* slots freed for being idle past idle_timeout_ms */
    uint64_t rejected;  /* blocks answered with an error */
} tether_block1_rx_stats;

/* Counters since init, and live slots at now. out: written. Cost: O(slots). */
void tether_block1_rx_get_stats(const tether_block1_rx *rx, tether_time now,
                                tether_block1_rx_stats *out);

/* =========================================================================
 * Block1 sending: a request body in blocks (RFC 7959 §2.5)
 * =========================================================================
 *
 * One small struct per outgoing request over the caller's body. The body is
 * cut at byte offsets; each block is a new request (new token, new message
 * id) that the caller builds with the same method, Uri and Content-Format:
 *
 *   body: [ acknowledged ...... | in flight: len bytes | rest ........ ]
 *         0                   offset            offset+len        body_len
 *
 * NUM = offset / block size. When the server answers 2.31 with a smaller
 * SZX, the next block starts at offset+len in the new size, so NUM jumps
 * (e.g. 0 at 128 bytes, then 4 at 32 bytes: RFC 7959 §3.2, figure 6). A
 * body that fits in one block of the starting size goes out without Block1.
 * Fields are private: read them with tether_block1_tx_next().
 */

typedef struct tether_block1_tx {
    /* private */
    const uint8_t *body;
    size_t body_len;
    size_t offset;   /* first byte of the block in flight */
    uint8_t szx;     /* current block size */
    uint8_t blockwise; /* 0: one plain request without Block1 */
    uint8_t state;   /* in flight / done / failed */
} tether_block1_tx;

/* Start sending body.
 * body: kept until the transfer is done or abandoned (there is nothing to
 * release); body_len bytes, may be 0. szx: the largest block size to use
 * (0..6), e.g. from tether_block_szx_fit() on the datagram's room after
 * the request's other options and TETHER_BLOCK_OPTS_OVERHEAD.
 * Returns 0, or TETHER_ERR_INVAL (szx > 6, NULL body with body_len > 0,
 * more than 2^20 blocks); *tx untouched on error. */
int tether_block1_tx_init(tether_block1_tx *tx, const uint8_t *body, size_t body_len,
                          uint8_t szx);

typedef struct tether_block1_tx_block {
    const uint8_t *data;    /* view of body: valid while body is kept */
    size_t offset, len;     /* data = body + offset */
    uint8_t use_block1;     /* 0: send as a plain request, no Block1/Size1 */
    tether_coap_block block1;
    uint32_t size1;         /* body_len, for a Size1 option in the NUM 0 request */
    uint8_t send_size1;     /* 1 on block NUM 0 of a block-wise transfer */
} tether_block1_tx_block;

/* The block to send now. out: written on 0.
 * Returns 0 or TETHER_ERR_STATE (the transfer is done or failed). */
int tether_block1_tx_next(const tether_block1_tx *tx, tether_block1_tx_block *out);

/* Add the current block to a request under construction: Block1 (27) and
 * Size1 (60) when due, then the payload. b: borrowed; options numbered
 * below 27 (Uri-*, Content-Format) must already be in it, none above 60
 * may follow. Returns 0, TETHER_ERR_STATE, or the builder's error. */
int tether_block1_tx_write(const tether_block1_tx *tx, tether_coap_builder *b);

/* Feed the response to the block in flight. resp: borrowed.
 * *more: 1 -> send the next block (tether_block1_tx_next()/_write());
 *        0 -> done: resp is the server's final answer to the whole body (any
 *             code: 2.xx, or a 4.xx/5.xx other than those below).
 * Handled here: 2.31 Continue (advance; adopt a smaller SZX the server asks
 * for); a 2.xx with Block1 before the last block (a non-atomic server acting
 * per block, RFC 7959 §2.3: advance); 4.13 carrying Block1 with an SZX below
 * the one we used (or any SZX when we sent without Block1): start over at
 * offset 0 with that size, *more = 1.
 * Returns 0 with *more, or, with *more untouched and tx failed:
 * TETHER_ERR_TOO_LARGE (4.13 we cannot satisfy by shrinking blocks: the
 * server's Size1, if any, is in resp), TETHER_ERR_BLOCK_INCOMPLETE (4.08),
 * TETHER_ERR_MALFORMED (2.31 with no valid Block1, to a plain request, or
 * to the last block); TETHER_ERR_STATE (done or failed already, tx
 * unchanged); TETHER_ERR_INVAL (NULL argument, tx unchanged). */
int tether_block1_tx_on_response(tether_block1_tx *tx, const tether_coap_msg *resp, int *more);

/* =========================================================================
 * Block2 slicing: sending a response body in blocks (RFC 7959 §2.4)
 * =========================================================================
 *
 * Stateless: each request names the block it wants and we cut it from the
 * whole body again (the caller regenerates or caches the body; an ETag lets
 * the client notice if it changed between blocks).
 *
 *   body: [ ........ | slice: len bytes | ........ ]
 *         0        offset          offset+len    body_len
 *
 * offset = NUM * block size. SZX = min(request's SZX, the largest that fits
 * room, max_szx): a request with NUM 0 and a small SZX asks for small blocks
 * from the start (early negotiation); when we answer a NUM > 0 request with
 * a smaller SZX than it asked, NUM is rescaled to the same byte offset.
 * Without Block2 in the request, a body that fits in room goes out whole with
 * no Block2 option. With Block2 in the request, the answer always carries
 * Block2 (M=0 when the body fits in one block).
 */

typedef struct tether_block2_slice {
    size_t offset, len;      /* the bytes to send: body[offset .. offset+len) */
    uint8_t use_block2;      /* 0: send the whole body with no Block2 option */
    tether_coap_block block2;
    uint32_t size2;          /* body_len (saturated at UINT32_MAX) */
    uint8_t send_size2;      /* request carried Size2 (RFC 7959 §4), or first block */
} tether_block2_slice;

/* Decide what to send for req.
 * req: borrowed, the request (its Block2 and Size2 options are read).
 * body_len: the whole body. room: payload bytes that fit in the response
 * datagram after its other options and TETHER_BLOCK_OPTS_OVERHEAD.
 * max_szx: our largest block, 0..6.
 * Returns 0 with *out; or, *out untouched: TETHER_ERR_MALFORMED (bad Block2
 * option: answer 4.00), TETHER_ERR_BAD_OPTION (NUM at or past the end of a
 * non-empty body: answer 4.02 -- RFC 7959 does not name a code; 4.02 says
 * "this option's value cannot be honoured", which is what happened),
 * TETHER_ERR_NOSPACE (room < 16 and the body does not fit, or the slice's
 * NUM would pass 2^20-1: answer 5.00), TETHER_ERR_INVAL (max_szx > 6, NULL
 * argument). */
int tether_block2_slice_get(const tether_coap_msg *req, size_t body_len, size_t room,
                            uint8_t max_szx, tether_block2_slice *out);

/* Add the slice to a response under construction: Block2 (23) and Size2 (28)
 * when due, then body[offset .. offset+len) as payload.
 * body: borrowed, at least s->offset + s->len bytes. b: borrowed; options
 * numbered below 23 (Content-Format, ETag, Observe, Max-Age) must already be
 * in it. Returns 0 or the builder's error. */
int tether_block2_slice_write(const tether_block2_slice *s, const uint8_t *body,
                              tether_coap_builder *b);

/* =========================================================================
 * Block2 receiving: a response body in blocks into a caller buffer
 * =========================================================================
 *
 *   buf:  [ received, contiguous ........ | room ................ ]
 *         0                              len                    cap
 *
 * Each response must carry the block that starts at len (offset = NUM *
 * its block size). The first request may carry Block2 NUM 0 with our SZX to
 * ask for small blocks from the start (early negotiation, RFC 7959 §2.4);
 * without it the peer picks the size. An ETag in the first block is
 * remembered, and a later block with a different ETag fails the transfer
 * (the representation changed: start over).
 */

typedef struct tether_block2_rx {
    /* private */
    uint8_t *buf;
    size_t cap;
    size_t len;
    uint8_t szx;        /* size we ask for next */
    uint8_t state;      /* receiving / complete / failed */
    uint8_t etag_len;   /* 0xFF: no block seen yet */
    uint8_t etag[8];
} tether_block2_rx;

/* Start receiving into buf.
 * buf: kept until the transfer is complete or abandoned; cap bytes.
 * szx: the largest block we want, 0..6.
 * Returns 0 or TETHER_ERR_INVAL (szx > 6, NULL buf with cap > 0). */
int tether_block2_rx_init(tether_block2_rx *rx, uint8_t *buf, size_t cap, uint8_t szx);

/* The Block2 option for the next request: NUM = len / block size, M=0,
 * the SZX to ask for. For the first request it is optional (see above).
 * Returns 0 or TETHER_ERR_STATE (complete or failed). */
int tether_block2_rx_next(const tether_block2_rx *rx, tether_coap_block *blk);

typedef struct tether_block2_rx_result {
    uint8_t complete;        /* 1: the body is buf[0 .. len) */
    tether_coap_block next;  /* !complete: Block2 for the next request */
    size_t len;              /* bytes received so far (the body when complete) */
} tether_block2_rx_result;

/* Feed a 2.xx response to the last request. resp: borrowed (payload copied
 * into buf). A response without Block2 is taken as the whole body.
 * Returns 0 with *out, or, *out untouched and rx failed:
 * TETHER_ERR_TOO_LARGE (past cap, a Size2 above cap, or a next NUM past
 * 2^20-1),
 * TETHER_ERR_BLOCK_INCOMPLETE (block does not start at len, or ETag changed),
 * TETHER_ERR_MALFORMED (bad Block2 option; M=1 with a payload not exactly the
 * block size); TETHER_ERR_INVAL (resp not 2.xx: rx unchanged, handle it
 * yourself); TETHER_ERR_STATE (already complete or failed, rx unchanged). */
int tether_block2_rx_feed(tether_block2_rx *rx, const tether_coap_msg *resp,
                          tether_block2_rx_result *out);

#ifdef __cplusplus
}
#endif
#endif /* TETHER_COAP_BLOCK_H */
