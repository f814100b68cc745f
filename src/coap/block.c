/* SPDX-License-Identifier: Apache-2.0 */
/* Block-wise transfer helpers (RFC 7959): Block1 reassembly in a slot table,
 * a Block1 sender, stateless Block2 slicing and Block2 reassembly. Sending,
 * retransmission and tokens are the exchange layer's and the caller's; this
 * file only does byte-offset bookkeeping over caller memory. Invariant: a
 * block's byte offset is always NUM * 2^(SZX+4) of the message that carried
 * it, and a slot's or receiver's bytes [0, next_offset) are contiguous and
 * were all received in the current pass. */
#include "tether/coap_block.h"

#include <stdalign.h>
#include <string.h>

#include "tether_poison.h"

/* Request-Tag (RFC 9175 §3): part of a Block1 transfer's key. */
#define OPT_REQUEST_TAG 292

uint8_t tether_block_answer_code(int err)
{
    switch (err) {
    case TETHER_ERR_TOO_LARGE: return TETHER_COAP_REQUEST_ENTITY_TOO_LARGE;
    case TETHER_ERR_BLOCK_INCOMPLETE: return TETHER_COAP_REQUEST_ENTITY_INCOMPLETE;
    case TETHER_ERR_MALFORMED: return TETHER_COAP_BAD_REQUEST;
    case TETHER_ERR_BAD_OPTION: return TETHER_COAP_BAD_OPTION;
    case TETHER_ERR_BUSY: return TETHER_COAP_SERVICE_UNAVAILABLE;
    }
    return TETHER_COAP_INTERNAL_SERVER_ERROR;
}

int tether_block_szx_fit(size_t room, uint8_t max_szx, uint8_t *szx)
{
    uint8_t s;

    if (max_szx > TETHER_BLOCK_SZX_MAX || szx == NULL)
        return TETHER_ERR_INVAL;
    if (room < TETHER_COAP_BLOCK_SIZE(0))
        return TETHER_ERR_NOSPACE;
    s = max_szx;
    while (s > 0 && TETHER_COAP_BLOCK_SIZE(s) > room)
        s--;
    *szx = s;
    return 0;
}

/* A Block option as this file wants it: MALFORMED for a bad value (RFC 7959
 * §2.2 answers SZX 7 with 4.00), NOT_FOUND when absent. */
static int block_opt(const tether_coap_msg *m, uint16_t num, tether_coap_block *blk)
{
    int rc = tether_coap_block_get(m, num, blk);

    if (rc == TETHER_ERR_BAD_OPTION)
        return TETHER_ERR_MALFORMED;
    return rc;
}

/* M=1 blocks are exactly one block long; the last block at most that. */
static int block_len_ok(const tether_coap_block *b, size_t len)
{
    size_t size = TETHER_COAP_BLOCK_SIZE(b->szx);

    return b->more ? len == size : len <= size;
}

static uint8_t min_u8(uint8_t a, uint8_t b)
{
    return a < b ? a : b;
}

/* ======================================================================== */
/* Block1 reassembly                                                        */
/* ======================================================================== */

enum { SLOT_FREE = 0, SLOT_RECV = 1, SLOT_COMPLETE = 2 };

typedef struct block1_slot {
    tether_peer peer;
    uint64_t key;        /* hash of the request target (see target_hash) */
    tether_time last;    /* when its last block arrived */
    size_t next_offset;  /* bytes [0, next_offset) received */
    uint8_t *body;       /* max_body bytes in the table's memory */
    uint8_t method;
    uint8_t state;
} block1_slot;

struct tether_block1_rx {
    tether_block1_rx_config cfg;
    block1_slot *slots;
    uint64_t completed, evicted, expired, rejected;
};

void tether_block1_rx_config_default(tether_block1_rx_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->slots = 4;
    cfg->max_body = 4096;
    cfg->idle_timeout_ms = 247000;
    cfg->szx = TETHER_BLOCK_SZX_MAX;
}

static size_t align_up(size_t n)
{
    size_t a = alignof(max_align_t);

    return (n + a - 1) / a * a;
}

size_t tether_block1_rx_mem_size(size_t slots, size_t max_body)
{
    size_t head = align_up(sizeof(struct tether_block1_rx));
    size_t table, bodies;

    if (slots == 0 || max_body == 0 || slots > UINT16_MAX || max_body > UINT32_MAX)
        return 0;
    table = align_up(slots * sizeof(block1_slot));
    if (max_body > (SIZE_MAX - head - table) / slots)
        return 0;
    bodies = slots * max_body;
    return head + table + bodies;
}

int tether_block1_rx_init(tether_block1_rx **out, void *mem, size_t memsz,
                          const tether_block1_rx_config *cfg)
{
    tether_block1_rx *rx;
    uint8_t *p, *bodies;
    size_t need;

    if (out == NULL || mem == NULL || cfg == NULL || cfg->slots == 0 || cfg->max_body == 0 ||
        cfg->szx > TETHER_BLOCK_SZX_MAX)
        return TETHER_ERR_INVAL;
    need = tether_block1_rx_mem_size(cfg->slots, cfg->max_body);
    if (need == 0)
        return TETHER_ERR_INVAL;
    if (memsz < need)
        return TETHER_ERR_NOMEM;
    p = mem;
    rx = mem;
    memset(rx, 0, sizeof(*rx));
    rx->cfg = *cfg;
    rx->slots = (block1_slot *)(void *)(p + align_up(sizeof(*rx)));
    bodies = (uint8_t *)(rx->slots) + align_up((size_t)cfg->slots * sizeof(block1_slot));
    for (size_t i = 0; i < cfg->slots; i++) {
        memset(&rx->slots[i], 0, sizeof(block1_slot));
        rx->slots[i].state = SLOT_FREE;
        rx->slots[i].body = bodies + i * (size_t)cfg->max_body;
    }
    *out = rx;
    return 0;
}

/* 64-bit FNV-1a over the method and the options that name the request
 * target, each as (number, length, value) so that segment boundaries count:
 * /a/bc and /ab/c differ. Only one peer's own transfers can collide (peer is
 * compared exactly), so no secret seed is needed against forged collisions. */
static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static uint64_t target_hash(const tether_coap_msg *req)
{
    tether_coap_opt_iter it;
    tether_coap_opt o;
    uint64_t h = 14695981039346656037ull;

    h = fnv(h, &req->code, 1);
    tether_coap_opt_iter_init(&it, req);
    while (tether_coap_opt_next(&it, &o) == 0) {
        uint8_t hdr[4];
        if (o.num != TETHER_COAP_OPT_URI_HOST && o.num != TETHER_COAP_OPT_URI_PORT &&
            o.num != TETHER_COAP_OPT_URI_PATH && o.num != TETHER_COAP_OPT_URI_QUERY &&
            o.num != OPT_REQUEST_TAG)
            continue;
        hdr[0] = (uint8_t)(o.num >> 8);
        hdr[1] = (uint8_t)o.num;
        hdr[2] = (uint8_t)(o.len >> 8);
        hdr[3] = (uint8_t)o.len;
        h = fnv(h, hdr, sizeof(hdr));
        h = fnv(h, o.val, o.len);
    }
    return h;
}

static int slot_dead(const tether_block1_rx *rx, const block1_slot *s, tether_time now)
{
    return s->state != SLOT_FREE && now >= s->last && now - s->last >= rx->cfg.idle_timeout_ms;
}

static void slot_free(block1_slot *s)
{
    s->state = SLOT_FREE;
    s->next_offset = 0;
}

/* Free dead slots and find the live one for this key. O(slots). */
static block1_slot *slot_find(tether_block1_rx *rx, tether_time now, const tether_peer *peer,
                              uint8_t method, uint64_t key)
{
    block1_slot *found = NULL;

    for (size_t i = 0; i < rx->cfg.slots; i++) {
        block1_slot *s = &rx->slots[i];
        if (s->state == SLOT_FREE)
            continue;
        if (slot_dead(rx, s, now)) {
            slot_free(s);
            rx->expired++;
            continue;
        }
        if (found == NULL && s->key == key && s->method == method &&
            tether_peer_equal(&s->peer, peer))
            found = s;
    }
    return found;
}

/* A slot for a new transfer: a free one, else the one idle longest,
 * completed ones first (their client already has its answer coming). */
static block1_slot *slot_take(tether_block1_rx *rx)
{
    block1_slot *victim = NULL;

    for (size_t i = 0; i < rx->cfg.slots; i++) {
        block1_slot *s = &rx->slots[i];
        if (s->state == SLOT_FREE)
            return s;
        if (victim == NULL || (s->state == SLOT_COMPLETE && victim->state != SLOT_COMPLETE) ||
            (s->state == victim->state && s->last < victim->last))
            victim = s;
    }
    rx->evicted++;
    return victim;
}

/* Refuse a block. A transfer in progress ends (its client must start over);
 * a completed one stays, because the caller may still hold its body. */
static int reject(tether_block1_rx *rx, block1_slot *s, int err)
{
    if (s != NULL && s->state == SLOT_RECV)
        slot_free(s);
    rx->rejected++;
    return err;
}

int tether_block1_rx_feed(tether_block1_rx *rx, tether_time now, const tether_peer *peer,
                          const tether_coap_msg *req, tether_block1_rx_result *out)
{
    tether_coap_block blk;
    block1_slot *s;
    uint32_t size1;
    size_t size, offset, end, plen;
    uint64_t key;
    uint8_t szx;
    int rc;

    if (rx == NULL || peer == NULL || req == NULL || out == NULL)
        return TETHER_ERR_INVAL;
    rc = block_opt(req, TETHER_COAP_OPT_BLOCK1, &blk);
    if (rc == TETHER_ERR_NOT_FOUND)
        return rc;
    if (rc != 0 || !block_len_ok(&blk, req->payload_len))
        return reject(rx, NULL, TETHER_ERR_MALFORMED);

    plen = req->payload_len;
    size = TETHER_COAP_BLOCK_SIZE(blk.szx);
    offset = (size_t)blk.num * size; /* < 2^30: NUM has 20 bits, size <= 2^10 */
    end = offset + plen;
    szx = min_u8(blk.szx, rx->cfg.szx);
    key = target_hash(req);
    s = slot_find(rx, now, peer, req->code, key);

    /* RFC 7959 §4: Size1 in a request announces the total; refuse early. */
    rc = tether_coap_opt_uint(req, TETHER_COAP_OPT_SIZE1, &size1);
    if (rc == 0 && size1 > rx->cfg.max_body)
        return reject(rx, s, TETHER_ERR_TOO_LARGE);
    if (end > rx->cfg.max_body)
        return reject(rx, s, TETHER_ERR_TOO_LARGE);

    if (blk.num == 0) {
        if (!blk.more) {
            /* A transfer of one block: nothing to keep. */
            if (s != NULL)
                slot_free(s);
            memset(out, 0, sizeof(*out));
            out->status = TETHER_BLOCK1_COMPLETE;
            out->block1.num = 0;
            out->block1.more = 0;
            out->block1.szx = szx;
            out->body = req->payload;
            out->body_len = plen;
            out->slot = -1;
            return 0;
        }
        if (s == NULL)
            s = slot_take(rx);
        s->peer = *peer;
        s->key = key;
        s->method = req->code;
        s->state = SLOT_RECV;
        s->next_offset = 0;
    } else if (s == NULL) {
        return reject(rx, NULL, TETHER_ERR_BLOCK_INCOMPLETE); /* never saw block 0 */
    }

    if (offset > s->next_offset)
        return reject(rx, s, TETHER_ERR_BLOCK_INCOMPLETE); /* a block is missing */

    if (end <= s->next_offset) {
        /* All its bytes are here already: a retransmission, acknowledged
         * again. A last block must end exactly where the body ends. */
        if (!blk.more && end != s->next_offset)
            return reject(rx, s, TETHER_ERR_BLOCK_INCOMPLETE);
        if (blk.more && s->state == SLOT_COMPLETE && end == s->next_offset)
            return reject(rx, s, TETHER_ERR_BLOCK_INCOMPLETE); /* says more, body ended */
    } else {
        if (s->state == SLOT_COMPLETE)
            return reject(rx, s, TETHER_ERR_BLOCK_INCOMPLETE); /* data past a finished body */
        memcpy(s->body + offset, req->payload, plen);
        s->next_offset = end;
    }
    s->last = now;

    memset(out, 0, sizeof(*out));
    out->block1.num = blk.num;
    out->block1.szx = szx;
    out->slot = (int)(s - rx->slots);
    if (blk.more) {
        out->status = TETHER_BLOCK1_CONTINUE;
        out->block1.more = 1;
        out->body = NULL;
        out->body_len = 0;
        return 0;
    }
    if (s->state != SLOT_COMPLETE) {
        s->state = SLOT_COMPLETE;
        rx->completed++;
    }
    out->status = TETHER_BLOCK1_COMPLETE;
    out->block1.more = 0;
    out->body = s->body;
    out->body_len = s->next_offset;
    return 0;
}

void tether_block1_rx_release(tether_block1_rx *rx, int slot)
{
    if (rx == NULL || slot < 0 || (size_t)slot >= rx->cfg.slots)
        return;
    slot_free(&rx->slots[slot]);
}

void tether_block1_rx_release_peer(tether_block1_rx *rx, const tether_peer *peer)
{
    if (rx == NULL || peer == NULL)
        return;
    for (size_t i = 0; i < rx->cfg.slots; i++)
        if (rx->slots[i].state != SLOT_FREE && tether_peer_equal(&rx->slots[i].peer, peer))
            slot_free(&rx->slots[i]);
}

uint32_t tether_block1_rx_max_body(const tether_block1_rx *rx)
{
    return rx->cfg.max_body;
}

void tether_block1_rx_get_stats(const tether_block1_rx *rx, tether_time now,
                                tether_block1_rx_stats *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < rx->cfg.slots; i++)
        if (rx->slots[i].state != SLOT_FREE && !slot_dead(rx, &rx->slots[i], now))
            out->in_use++;
    out->completed = rx->completed;
    out->evicted = rx->evicted;
    out->expired = rx->expired;
    out->rejected = rx->rejected;
}

/* ======================================================================== */
/* Block1 sending                                                           */
/* ======================================================================== */

enum { TX_SENDING = 0, TX_DONE = 1, TX_FAILED = 2 };

/* Can body_len be cut into blocks of szx without NUM overflowing 20 bits? */
static int blocks_fit(size_t body_len, uint8_t szx)
{
    size_t size = TETHER_COAP_BLOCK_SIZE(szx);

    return body_len == 0 || (body_len - 1) / size <= TETHER_BLOCK_NUM_MAX;
}

int tether_block1_tx_init(tether_block1_tx *tx, const uint8_t *body, size_t body_len,
                          uint8_t szx)
{
    if (tx == NULL || szx > TETHER_BLOCK_SZX_MAX || (body == NULL && body_len > 0) ||
        !blocks_fit(body_len, szx))
        return TETHER_ERR_INVAL;
    memset(tx, 0, sizeof(*tx));
    tx->body = body;
    tx->body_len = body_len;
    tx->offset = 0;
    tx->szx = szx;
    tx->blockwise = body_len > TETHER_COAP_BLOCK_SIZE(szx);
    tx->state = TX_SENDING;
    return 0;
}

/* Length of the block at tx->offset. */
static size_t tx_len(const tether_block1_tx *tx)
{
    size_t rest = tx->body_len - tx->offset;
    size_t size = TETHER_COAP_BLOCK_SIZE(tx->szx);

    if (!tx->blockwise)
        return tx->body_len;
    return rest < size ? rest : size;
}

int tether_block1_tx_next(const tether_block1_tx *tx, tether_block1_tx_block *out)
{
    size_t len;

    if (tx == NULL || out == NULL)
        return TETHER_ERR_INVAL;
    if (tx->state != TX_SENDING)
        return TETHER_ERR_STATE;
    len = tx_len(tx);
    memset(out, 0, sizeof(*out));
    out->data = tx->body != NULL ? tx->body + tx->offset : NULL;
    out->offset = tx->offset;
    out->len = len;
    out->use_block1 = tx->blockwise;
    if (tx->blockwise) {
        out->block1.num = (uint32_t)(tx->offset / TETHER_COAP_BLOCK_SIZE(tx->szx));
        out->block1.more = tx->offset + len < tx->body_len;
        out->block1.szx = tx->szx;
        out->send_size1 = tx->offset == 0;
    }
    out->size1 = tx->body_len > UINT32_MAX ? UINT32_MAX : (uint32_t)tx->body_len;
    return 0;
}

int tether_block1_tx_write(const tether_block1_tx *tx, tether_coap_builder *b)
{
    tether_block1_tx_block blk;
    int rc = tether_block1_tx_next(tx, &blk);

    if (rc != 0)
        return rc;
    if (blk.use_block1) {
        tether_coap_build_block(b, TETHER_COAP_OPT_BLOCK1, &blk.block1);
        if (blk.send_size1)
            tether_coap_build_opt_uint(b, TETHER_COAP_OPT_SIZE1, blk.size1);
    }
    return tether_coap_build_payload(b, blk.data, blk.len);
}

static int tx_fail(tether_block1_tx *tx, int err)
{
    tx->state = TX_FAILED;
    return err;
}

/* Move past the block in flight; shrink to new_szx if the server asked and
 * the body still fits in 2^20 blocks. Never grow: offsets are multiples of
 * the current size, not necessarily of a larger one. */
static void tx_advance(tether_block1_tx *tx, uint8_t new_szx)
{
    tx->offset += tx_len(tx);
    if (new_szx < tx->szx && blocks_fit(tx->body_len, new_szx))
        tx->szx = new_szx;
}

int tether_block1_tx_on_response(tether_block1_tx *tx, const tether_coap_msg *resp, int *more)
{
    tether_coap_block rb;
    int rc, has_b1, last;

    if (tx == NULL || resp == NULL || more == NULL)
        return TETHER_ERR_INVAL;
    if (tx->state != TX_SENDING)
        return TETHER_ERR_STATE;
    rc = block_opt(resp, TETHER_COAP_OPT_BLOCK1, &rb);
    has_b1 = rc == 0;
    last = tx->offset + tx_len(tx) >= tx->body_len;

    if (resp->code == TETHER_COAP_CONTINUE) {
        /* The NUM echoed is not checked: servers differ on whether they
         * rescale it after asking for a smaller size; the token already
         * tied this response to our block. */
        if (!tx->blockwise || !has_b1 || last)
            return tx_fail(tx, TETHER_ERR_MALFORMED);
        tx_advance(tx, rb.szx);
        *more = 1;
        return 0;
    }
    if (TETHER_COAP_CLASS(resp->code) == 2) {
        if (tx->blockwise && !last && has_b1) {
            tx_advance(tx, rb.szx); /* non-atomic server: acted on this block */
            *more = 1;
            return 0;
        }
        tx->state = TX_DONE;
        *more = 0;
        return 0;
    }
    if (resp->code == TETHER_COAP_REQUEST_ENTITY_TOO_LARGE) {
        /* RFC 7959 §2.9.3: a Block1 in a 4.13 names the size the server
         * would take. Start over in it if that is progress; szx strictly
         * decreasing bounds the retries. */
        if (has_b1 && (!tx->blockwise || rb.szx < tx->szx) && blocks_fit(tx->body_len, rb.szx)) {
            tx->offset = 0;
            tx->szx = rb.szx;
            tx->blockwise = 1;
            *more = 1;
            return 0;
        }
        return tx_fail(tx, TETHER_ERR_TOO_LARGE);
    }
    if (resp->code == TETHER_COAP_REQUEST_ENTITY_INCOMPLETE)
        return tx_fail(tx, TETHER_ERR_BLOCK_INCOMPLETE);
    tx->state = TX_DONE; /* the server's final word, e.g. 4.00 or 5.03 */
    *more = 0;
    return 0;
}

/* ======================================================================== */
/* Block2 slicing                                                           */
/* ======================================================================== */

int tether_block2_slice_get(const tether_coap_msg *req, size_t body_len, size_t room,
                            uint8_t max_szx, tether_block2_slice *out)
{
    tether_block2_slice s;
    tether_coap_block rb;
    tether_coap_opt o;
    size_t size, offset;
    uint8_t szx;
    int rc, has_b2, has_size2;

    if (req == NULL || out == NULL || max_szx > TETHER_BLOCK_SZX_MAX)
        return TETHER_ERR_INVAL;
    rc = block_opt(req, TETHER_COAP_OPT_BLOCK2, &rb);
    if (rc != 0 && rc != TETHER_ERR_NOT_FOUND)
        return rc;
    has_b2 = rc == 0;
    has_size2 = tether_coap_opt_find(req, TETHER_COAP_OPT_SIZE2, &o) == 0;

    memset(&s, 0, sizeof(s));
    s.size2 = body_len > UINT32_MAX ? UINT32_MAX : (uint32_t)body_len;
    s.send_size2 = (uint8_t)has_size2;
    if (!has_b2 && body_len <= room) {
        s.offset = 0;
        s.len = body_len;
        s.use_block2 = 0;
        *out = s;
        return 0;
    }
    rc = tether_block_szx_fit(room, max_szx, &szx);
    if (rc != 0)
        return rc;
    offset = 0;
    if (has_b2) {
        offset = (size_t)rb.num * TETHER_COAP_BLOCK_SIZE(rb.szx);
        szx = min_u8(szx, rb.szx); /* early or late negotiation */
    }
    if (offset > 0 && offset >= body_len)
        return TETHER_ERR_BAD_OPTION;
    size = TETHER_COAP_BLOCK_SIZE(szx);
    /* offset is a multiple of the request's size, hence of any smaller one. */
    if (offset / size > TETHER_BLOCK_NUM_MAX)
        return TETHER_ERR_NOSPACE;
    s.offset = offset;
    s.len = body_len - offset < size ? body_len - offset : size;
    s.use_block2 = 1;
    s.block2.num = (uint32_t)(offset / size);
    s.block2.more = offset + s.len < body_len;
    s.block2.szx = szx;
    s.send_size2 = (uint8_t)(has_size2 || s.block2.num == 0);
    *out = s;
    return 0;
}

int tether_block2_slice_write(const tether_block2_slice *s, const uint8_t *body,
                              tether_coap_builder *b)
{
    if (s == NULL || b == NULL || (body == NULL && s->len > 0))
        return TETHER_ERR_INVAL;
    if (s->use_block2)
        tether_coap_build_block(b, TETHER_COAP_OPT_BLOCK2, &s->block2);
    if (s->send_size2)
        tether_coap_build_opt_uint(b, TETHER_COAP_OPT_SIZE2, s->size2);
    if (s->len == 0)
        return tether_coap_build_payload(b, body, 0); /* the builder's sticky error */
    return tether_coap_build_payload(b, body + s->offset, s->len);
}

/* ======================================================================== */
/* Block2 receiving                                                         */
/* ======================================================================== */

enum { RX2_RECV = 0, RX2_COMPLETE = 1, RX2_FAILED = 2 };
#define RX2_NO_ETAG_YET 0xFF

int tether_block2_rx_init(tether_block2_rx *rx, uint8_t *buf, size_t cap, uint8_t szx)
{
    if (rx == NULL || szx > TETHER_BLOCK_SZX_MAX || (buf == NULL && cap > 0))
        return TETHER_ERR_INVAL;
    memset(rx, 0, sizeof(*rx));
    rx->buf = buf;
    rx->cap = cap;
    rx->len = 0;
    rx->szx = szx;
    rx->state = RX2_RECV;
    rx->etag_len = RX2_NO_ETAG_YET;
    return 0;
}

int tether_block2_rx_next(const tether_block2_rx *rx, tether_coap_block *blk)
{
    if (rx == NULL || blk == NULL)
        return TETHER_ERR_INVAL;
    if (rx->state != RX2_RECV)
        return TETHER_ERR_STATE;
    blk->num = (uint32_t)(rx->len / TETHER_COAP_BLOCK_SIZE(rx->szx));
    blk->more = 0;
    blk->szx = rx->szx;
    return 0;
}

static int rx2_fail(tether_block2_rx *rx, int err)
{
    rx->state = RX2_FAILED;
    return err;
}

int tether_block2_rx_feed(tether_block2_rx *rx, const tether_coap_msg *resp,
                          tether_block2_rx_result *out)
{
    tether_coap_block b;
    tether_coap_opt etag;
    uint32_t size2;
    size_t size, offset, plen;
    int rc, has_etag;

    if (rx == NULL || resp == NULL || out == NULL)
        return TETHER_ERR_INVAL;
    if (rx->state != RX2_RECV)
        return TETHER_ERR_STATE;
    if (TETHER_COAP_CLASS(resp->code) != 2)
        return TETHER_ERR_INVAL;
    plen = resp->payload_len;
    rc = block_opt(resp, TETHER_COAP_OPT_BLOCK2, &b);
    if (rc == TETHER_ERR_MALFORMED)
        return rx2_fail(rx, rc);
    if (rc == TETHER_ERR_NOT_FOUND) {
        /* No Block2: the whole representation in one message. */
        if (plen > rx->cap)
            return rx2_fail(rx, TETHER_ERR_TOO_LARGE);
        if (plen > 0)
            memcpy(rx->buf, resp->payload, plen);
        rx->len = plen;
        rx->state = RX2_COMPLETE;
        memset(out, 0, sizeof(*out));
        out->complete = 1;
        out->len = plen;
        return 0;
    }
    has_etag = tether_coap_opt_find(resp, TETHER_COAP_OPT_ETAG, &etag) == 0;
    if (has_etag && etag.len > sizeof(rx->etag))
        return rx2_fail(rx, TETHER_ERR_MALFORMED); /* RFC 7252 §5.10.6: 1..8 bytes */
    if (!block_len_ok(&b, plen))
        return rx2_fail(rx, TETHER_ERR_MALFORMED);
    size = TETHER_COAP_BLOCK_SIZE(b.szx);
    offset = (size_t)b.num * size;
    if (offset != rx->len)
        return rx2_fail(rx, TETHER_ERR_BLOCK_INCOMPLETE);
    if (rx->etag_len == RX2_NO_ETAG_YET) {
        /* RFC 7959 §4: Size2 announces the total; refuse early. */
        if (tether_coap_opt_uint(resp, TETHER_COAP_OPT_SIZE2, &size2) == 0 && size2 > rx->cap)
            return rx2_fail(rx, TETHER_ERR_TOO_LARGE);
    } else {
        size_t elen = has_etag ? etag.len : 0;
        if (elen != rx->etag_len || (elen > 0 && memcmp(etag.val, rx->etag, elen) != 0))
            return rx2_fail(rx, TETHER_ERR_BLOCK_INCOMPLETE); /* representation changed */
    }
    if (plen > rx->cap - rx->len)
        return rx2_fail(rx, TETHER_ERR_TOO_LARGE);
    if (b.more) {
        uint8_t next_szx = min_u8(rx->szx, b.szx);
        /* The next NUM must fit 20 bits (only for bodies past 16 MiB). */
        if ((rx->len + plen) / TETHER_COAP_BLOCK_SIZE(next_szx) > TETHER_BLOCK_NUM_MAX)
            return rx2_fail(rx, TETHER_ERR_TOO_LARGE);
        rx->szx = next_szx;
    }
    if (rx->etag_len == RX2_NO_ETAG_YET) {
        rx->etag_len = has_etag ? (uint8_t)etag.len : 0;
        if (has_etag)
            memcpy(rx->etag, etag.val, etag.len);
    }
    if (plen > 0)
        memcpy(rx->buf + rx->len, resp->payload, plen);
    rx->len += plen;
    memset(out, 0, sizeof(*out));
    out->len = rx->len;
    if (b.more) {
        out->complete = 0;
        out->next.num = (uint32_t)(rx->len / TETHER_COAP_BLOCK_SIZE(rx->szx));
        out->next.more = 0;
        out->next.szx = rx->szx;
        return 0;
    }
    rx->state = RX2_COMPLETE;
    out->complete = 1;
    return 0;
}
