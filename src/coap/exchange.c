/* SPDX-License-Identifier: Apache-2.0 */
/* The CoAP exchange layer (RFC 7252 §4, §5.2): message ids, tokens,
 * retransmission of CON messages, matching of ACK/RST/responses, empty ACKs
 * and separate responses, ping, and deduplication of what comes in. It
 * leaves sockets, clocks and randomness to the caller and the meaning of
 * requests to the layers above.
 *
 * Everything lives in the caller's block, carved once by layout():
 *
 *   ctx | slots[max_exchanges] | slot bytes[max_exchanges][max_message]
 *       | mid, token and peer buckets | heap pointers[max_exchanges]
 *       | dedup ring[dedup_entries] | dedup replies[dedup_entries][reply_max]
 *       | dedup buckets | send queue[txq_bytes] | scratch[max_message]
 *
 * An outgoing exchange is a slot. A live slot is in the peer index; in the
 * mid index while an ACK or RST can still match it (a CON not yet
 * acknowledged, a NON request without a response yet); in the token index
 * when it is a request; in the deadline heap while it has a deadline. A free
 * slot is in none of them and sits on the free list (chained through its
 * mid link). Indexes are chained hash tables with a random seed and 16-bit
 * links (NIL = 0xFFFF; counts are at most 65535, so no index equals NIL).
 * The dedup ring holds entries in arrival order, which is also expiry order
 * because `now` never decreases; the head is the oldest.
 *
 * Built with TETHER_COAP_LINEAR (a firmware switch, see
 * tether/client_config.h) there are no buckets, no heap and no links: a
 * lookup scans the slots (their SF_IN_* flags say which lookups a slot
 * takes part in) or the dedup ring, and the next deadline is the smallest
 * among the slots. For the handful of exchanges and dedup entries a device
 * keeps that is less work and far less code than hashing; behaviour on the
 * wire is the same.
 *
 * Invariant: a callback never runs while a slot or an index is half
 * updated, and nothing touches a slot after a callback without checking its
 * generation first, so a callback may start and cancel any exchange. */
#include "tether/coap_exchange.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/errmsg_internal.h"
#include "common/heap_internal.h"
#include "common/log_internal.h"
#include "coap/exchange_internal.h"
#include "tether_poison.h"

/* The footprint switch (tether/client_config.h), as a constant. */
#ifdef TETHER_COAP_LINEAR
#define LINEAR 1
#else
#define LINEAR 0
#endif

#define NIL 0xFFFFu
#define REC_HDR TETHER_COAP_TXQ_OVERHEAD
#define MOD "coap"
#define MAX_TOKEN_TRIES 16

enum { IX_MID, IX_TOK, IX_PEER, IX_COUNT };

enum slot_kind { K_FREE, K_REQUEST, K_RESPONSE, K_PING };

enum slot_flag {
    SF_CON = 1 << 0,
    SF_KEEP = 1 << 1,
    SF_ACKED = 1 << 2, /* empty ACK came: waiting for a separate response */
    SF_MARK = 1 << 3,  /* chosen by tether_coap_cancel_peer() */
    SF_IN_MID = 1 << 4,
    SF_IN_TOK = 1 << 5,
    SF_IN_PEER = 1 << 6,
};

typedef struct slot {
    tether_heap_entry he; /* first: a heap entry pointer is a slot pointer */
    tether_peer peer;
    tether_coap_done_fn done;
    void *arg;
    uint64_t timeout; /* the current retransmission timeout, ms */
#if !LINEAR
    uint16_t next[IX_COUNT];
#endif
    uint16_t mid;
    uint16_t gen;
    uint16_t len; /* bytes kept for retransmission (CON only) */
    uint8_t kind;
    uint8_t flags;
    uint8_t retransmits;
    uint8_t tkl;
    uint8_t token[TETHER_COAP_MAX_TOKEN];
} slot;

enum dedup_flag {
    DF_LIVE = 1 << 0,
    DF_CON = 1 << 1,
    DF_ACKED = 1 << 2,   /* the answer so far is an empty ACK */
    DF_REPLIED = 1 << 3, /* a piggybacked response went out */
    DF_CACHED = 1 << 4,  /* ... and its bytes are kept for replay */
};

typedef struct dentry {
    tether_peer peer;
    tether_time expires;
    uint16_t mid;
#if !LINEAR
    uint16_t next;
#endif
    uint16_t gen;
    uint16_t reply_len;
    uint8_t flags;
} dentry;

struct tether_coap_ctx {
    tether_coap_config cfg;
    tether_coap_callbacks cb;
    tether_coap_unmatched_fn unmatched; /* tether_coap_set_unmatched(), or NULL */
    void *user;
    uint32_t seed;
    uint16_t next_mid;
#if !LINEAR
    uint16_t free_head;
#endif
    unsigned depth; /* callbacks running */
    uint8_t closing;
    uint8_t scratch_tok_drawn; /* the scratch token came from rand */
    tether_time last_now;

    slot *slots;
    uint8_t *slot_bytes;
#if !LINEAR
    uint16_t *sbuckets[IX_COUNT];
    uint32_t smask;
    tether_heap heap;
#endif

    dentry *dd;
    uint8_t *dd_bytes;
#if !LINEAR
    uint16_t *dbuckets;
    uint32_t dmask;
#endif
    uint32_t dhead, dcount;
    size_t reply_max;

    uint8_t *txq;
    size_t txq_cap, txq_head, txq_tail;
    uint8_t *scratch;

    /* The request on_request is looking at, so that a reply to it can be
     * piggybacked; NULL outside on_request. */
    const tether_coap_incoming *cur;
    uint8_t cur_answered;

    tether_coap_stats st;
    const char *errmsg;
};

/* --- memory layout ------------------------------------------------------- */

typedef struct layout {
    size_t slots, slot_bytes, sbuckets[IX_COUNT], heap, dd, dd_bytes, dbuckets;
    size_t txq, scratch, total;
    uint32_t snb, dnb;
    size_t reply_max;
    uint64_t end; /* running end of the regions so far */
} layout;

/* Reserve bytes aligned to align after the regions so far; returns where.
 * In 64 bits no sum of these regions can overflow (each is below 2^33),
 * so compute_layout() checks against SIZE_MAX once, at the end: a 32-bit
 * or 16-bit target can exceed it. */
static size_t region(layout *L, size_t align, uint64_t bytes)
{
    size_t at;

    L->end = (L->end + align - 1) & ~(uint64_t)(align - 1);
    at = (size_t)L->end;
    L->end += bytes;
    return at;
}

#if !LINEAR
/* A power of two at least twice n: chains stay short at full load. */
static uint32_t bucket_count(uint32_t n)
{
    uint32_t b = 2;

    while (b < 2 * n)
        b <<= 1;
    return b;
}
#endif

static int cfg_valid(const tether_coap_config *c)
{
    return c != NULL && tether_coap_cfg_rand(c) != NULL && c->ack_timeout_ms >= 1 &&
           c->ack_timeout_ms <= 86400000u && c->ack_random_factor_milli >= 1000 &&
           c->ack_random_factor_milli <= 10000 && c->max_retransmit <= 20 &&
           c->exchange_lifetime_ms >= 1 && c->non_lifetime_ms >= 1 &&
           c->max_message >= TETHER_COAP_HEADER_SIZE + TETHER_COAP_MAX_TOKEN &&
           c->max_exchanges >= 1 && c->dedup_entries >= 1 && c->token_len >= 1 &&
           c->token_len <= TETHER_COAP_MAX_TOKEN &&
           c->txq_bytes >= (uint64_t)REC_HDR + c->max_message;
}

static int compute_layout(const tether_coap_config *c, layout *L)
{
    uint64_t nx, nd;

    if (!cfg_valid(c))
        return -1;
    memset(L, 0, sizeof(*L));
    nx = c->max_exchanges;
    nd = c->dedup_entries;
#if !LINEAR
    L->snb = bucket_count(c->max_exchanges);
    L->dnb = bucket_count(c->dedup_entries);
#endif
    L->reply_max = c->dedup_reply_max < c->max_message ? c->dedup_reply_max : c->max_message;
    (void)region(L, alignof(tether_coap_ctx), sizeof(tether_coap_ctx));
    L->slots = region(L, alignof(slot), nx * sizeof(slot));
    L->slot_bytes = region(L, 1, nx * c->max_message);
#if !LINEAR
    for (int i = 0; i < IX_COUNT; i++)
        L->sbuckets[i] = region(L, alignof(uint16_t), (uint64_t)L->snb * sizeof(uint16_t));
    L->heap = region(L, alignof(tether_heap_entry *), nx * sizeof(tether_heap_entry *));
#endif
    L->dd = region(L, alignof(dentry), nd * sizeof(dentry));
    L->dd_bytes = region(L, 1, nd * L->reply_max);
#if !LINEAR
    L->dbuckets = region(L, alignof(uint16_t), (uint64_t)L->dnb * sizeof(uint16_t));
#endif
    L->txq = region(L, 1, c->txq_bytes);
    L->scratch = region(L, 1, c->max_message);
    if (L->end > SIZE_MAX)
        return -1;
    L->total = (size_t)L->end;
    return 0;
}

/* --- small helpers ------------------------------------------------------- */

/* why: a literal. Inlined everywhere, so with TETHER_NO_ERRMSG the
 * literals are dead and not linked. */
static int fail(tether_coap_ctx *ctx, int err, const char *why)
{
    TETHER_SET_ERRMSG(ctx->errmsg, why);
    return err;
}

/* One more of a 64-bit counter. Not inlined: on a 32-bit device each
 * increment is a load, add with carry and store, and there are a dozen.
 * Nothing at all with TETHER_COAP_NO_STATS (tether/client_config.h). */
#ifdef TETHER_COAP_NO_STATS
#define count(counter) ((void)0)
#else
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void count(uint64_t *counter)
{
    (*counter)++;
}
#endif

/* The start of every call that takes a time: a fresh sentence, the clock. */
static void enter(tether_coap_ctx *ctx, tether_time now)
{
    TETHER_SET_ERRMSG(ctx->errmsg, "");
    if (now > ctx->last_now)
        ctx->last_now = now;
}

static int peer_ok(const tether_peer *p)
{
    return p != NULL && p->len <= TETHER_PEER_ADDR_MAX;
}

#if !LINEAR
static uint32_t fmix(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85EBCA6Bu;
    h ^= h >> 13;
    h *= 0xC2B2AE35u;
    h ^= h >> 16;
    return h;
}

/* FNV-1a over the peer, started from the context's random seed: peers,
 * message ids and tokens are chosen by the network, and a fixed hash would
 * let a sender pile every entry into one chain. Not a keyed PRF, but the
 * seed is unknown to the sender. */
static uint32_t hash_peer(const tether_coap_ctx *ctx, const tether_peer *p)
{
    uint32_t h = 2166136261u ^ ctx->seed;

    h = (h ^ (p->iface & 0xFFu)) * 16777619u;
    h = (h ^ (uint32_t)(p->iface >> 8)) * 16777619u;
    h = (h ^ p->len) * 16777619u;
    for (size_t i = 0; i < p->len; i++)
        h = (h ^ p->addr[i]) * 16777619u;
    return h;
}

static uint32_t hash_mid(const tether_coap_ctx *ctx, const tether_peer *p, uint16_t mid)
{
    return fmix(hash_peer(ctx, p) ^ ((uint32_t)mid * 0x9E3779B1u));
}

static uint32_t hash_tok(const tether_coap_ctx *ctx, const tether_peer *p, const uint8_t *tok,
                         uint8_t tkl)
{
    uint32_t h = hash_peer(ctx, p);

    h = (h ^ tkl) * 16777619u;
    for (size_t i = 0; i < tkl; i++)
        h = (h ^ tok[i]) * 16777619u;
    return fmix(h);
}

#endif

static void draw(tether_coap_ctx *ctx, void *buf, size_t n)
{
    tether_coap_cfg_rand(&ctx->cfg)(ctx->cfg.rand_user, buf, n);
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static int is_request_code(uint8_t code)
{
    return TETHER_COAP_CLASS(code) == 0 && code != TETHER_COAP_EMPTY;
}

static int is_response_code(uint8_t code)
{
    uint8_t c = TETHER_COAP_CLASS(code);
    return c == 2 || c == 4 || c == 5;
}

/* --- slot indexes -------------------------------------------------------- */

static uint16_t slot_index(const tether_coap_ctx *ctx, const slot *s)
{
    return (uint16_t)(s - ctx->slots);
}

static uint8_t ix_flag(int ix)
{
    return ix == IX_MID ? SF_IN_MID : ix == IX_TOK ? SF_IN_TOK : SF_IN_PEER;
}

#if LINEAR
/* Scanning: a slot takes part in a lookup while it has the flag. */
static void ix_link(tether_coap_ctx *ctx, slot *s, int ix)
{
    (void)ctx;
    s->flags |= ix_flag(ix);
}

static void ix_unlink(tether_coap_ctx *ctx, slot *s, int ix)
{
    (void)ctx;
    s->flags &= (uint8_t)~ix_flag(ix);
}

/* The slot with peer p in the lookup `in` (SF_IN_MID: by message id mid,
 * SF_IN_TOK: by token). Cost: max_exchanges comparisons. */
static slot *find_slot(tether_coap_ctx *ctx, const tether_peer *p, uint8_t in, uint16_t mid,
                       const uint8_t *tok, uint8_t tkl)
{
    for (uint32_t i = 0; i < ctx->cfg.max_exchanges; i++) {
        slot *s = &ctx->slots[i];
        if ((s->flags & in) &&
            (in == SF_IN_MID ? s->mid == mid
                             : s->tkl == tkl && memcmp(s->token, tok, tkl) == 0) &&
            tether_peer_equal(&s->peer, p))
            return s;
    }
    return NULL;
}

static slot *find_by_mid(tether_coap_ctx *ctx, const tether_peer *p, uint16_t mid)
{
    return find_slot(ctx, p, SF_IN_MID, mid, NULL, 0);
}

static slot *find_by_token(tether_coap_ctx *ctx, const tether_peer *p, const uint8_t *tok,
                           uint8_t tkl)
{
    return find_slot(ctx, p, SF_IN_TOK, 0, tok, tkl);
}

static slot *slot_alloc(tether_coap_ctx *ctx)
{
    slot *s = ctx->slots;

    while (s->kind != K_FREE) /* can_queue() saw one */
        s++;
    s->flags = 0;
    s->retransmits = 0;
    s->len = 0;
    s->he.index = TETHER_HEAP_NONE;
    ctx->st.exchanges_in_flight++;
    return s;
}

/* The generation bump makes any xid that named s stale. */
static void slot_release(tether_coap_ctx *ctx, slot *s)
{
    s->he.index = TETHER_HEAP_NONE;
    s->kind = K_FREE;
    s->flags = 0;
    s->gen++;
    s->done = NULL;
    s->arg = NULL;
    ctx->st.exchanges_in_flight--;
}

/* Deadlines: he.key, valid while he.index is not TETHER_HEAP_NONE. */
static void due_set(tether_coap_ctx *ctx, slot *s, uint64_t key)
{
    (void)ctx;
    s->he.key = key;
    s->he.index = 0;
}

static void due_clear(tether_coap_ctx *ctx, slot *s)
{
    (void)ctx;
    s->he.index = TETHER_HEAP_NONE;
}

/* The slot with the earliest deadline (the lowest index among equals), or
 * NULL. Cost: max_exchanges comparisons. */
static slot *due_first(const tether_coap_ctx *ctx)
{
    slot *best = NULL;

    for (uint32_t i = 0; i < ctx->cfg.max_exchanges; i++) {
        slot *s = &ctx->slots[i];
        if (tether_heap_contains(&s->he) && (best == NULL || s->he.key < best->he.key))
            best = s;
    }
    return best;
}

#else
/* Deadlines: the heap of slots. */
static void due_set(tether_coap_ctx *ctx, slot *s, uint64_t key)
{
    if (tether_heap_contains(&s->he))
        tether_heap_update(&ctx->heap, &s->he, key);
    else
        (void)tether_heap_push(&ctx->heap, &s->he, key); /* cap == slots: fits */
}

static void due_clear(tether_coap_ctx *ctx, slot *s)
{
    if (tether_heap_contains(&s->he))
        tether_heap_remove(&ctx->heap, &s->he);
}

static slot *due_first(const tether_coap_ctx *ctx)
{
    return (slot *)(void *)tether_heap_top(&ctx->heap);
}

static uint32_t slot_hash(const tether_coap_ctx *ctx, const slot *s, int ix)
{
    switch (ix) {
    case IX_MID: return hash_mid(ctx, &s->peer, s->mid);
    case IX_TOK: return hash_tok(ctx, &s->peer, s->token, s->tkl);
    default: return fmix(hash_peer(ctx, &s->peer));
    }
}

static void ix_link(tether_coap_ctx *ctx, slot *s, int ix)
{
    uint32_t b = slot_hash(ctx, s, ix) & ctx->smask;

    s->next[ix] = ctx->sbuckets[ix][b];
    ctx->sbuckets[ix][b] = slot_index(ctx, s);
    s->flags |= ix_flag(ix);
}

/* Cost: the length of one chain, short since buckets >= 2 x slots. */
static void ix_unlink(tether_coap_ctx *ctx, slot *s, int ix)
{
    uint16_t *pp, me = slot_index(ctx, s);

    if (!(s->flags & ix_flag(ix)))
        return;
    pp = &ctx->sbuckets[ix][slot_hash(ctx, s, ix) & ctx->smask];
    while (*pp != NIL) {
        if (*pp == me) {
            *pp = s->next[ix];
            break;
        }
        pp = &ctx->slots[*pp].next[ix];
    }
    s->next[ix] = NIL;
    s->flags &= (uint8_t)~ix_flag(ix);
}

static slot *find_by_mid(tether_coap_ctx *ctx, const tether_peer *p, uint16_t mid)
{
    uint16_t i = ctx->sbuckets[IX_MID][hash_mid(ctx, p, mid) & ctx->smask];

    while (i != NIL) {
        slot *s = &ctx->slots[i];
        if (s->mid == mid && tether_peer_equal(&s->peer, p))
            return s;
        i = s->next[IX_MID];
    }
    return NULL;
}

static slot *find_by_token(tether_coap_ctx *ctx, const tether_peer *p, const uint8_t *tok,
                           uint8_t tkl)
{
    uint16_t i = ctx->sbuckets[IX_TOK][hash_tok(ctx, p, tok, tkl) & ctx->smask];

    while (i != NIL) {
        slot *s = &ctx->slots[i];
        if (s->tkl == tkl && memcmp(s->token, tok, tkl) == 0 && tether_peer_equal(&s->peer, p))
            return s;
        i = s->next[IX_TOK];
    }
    return NULL;
}

static slot *slot_alloc(tether_coap_ctx *ctx)
{
    slot *s;

    if (ctx->free_head == NIL)
        return NULL;
    s = &ctx->slots[ctx->free_head];
    ctx->free_head = s->next[IX_MID];
    s->next[IX_MID] = s->next[IX_TOK] = s->next[IX_PEER] = NIL;
    s->flags = 0;
    s->retransmits = 0;
    s->len = 0;
    s->he.index = TETHER_HEAP_NONE;
    ctx->st.exchanges_in_flight++;
    return s;
}

/* Take s out of every index and the heap and put it on the free list. The
 * generation bump makes any xid that named it stale. */
static void slot_release(tether_coap_ctx *ctx, slot *s)
{
    for (int ix = 0; ix < IX_COUNT; ix++)
        ix_unlink(ctx, s, ix);
    due_clear(ctx, s);
    s->kind = K_FREE;
    s->flags = 0;
    s->gen++;
    s->done = NULL;
    s->arg = NULL;
    s->next[IX_MID] = ctx->free_head;
    ctx->free_head = slot_index(ctx, s);
    ctx->st.exchanges_in_flight--;
}

#endif

static tether_coap_xid slot_xid(const tether_coap_ctx *ctx, const slot *s)
{
    return (uint32_t)s->gen << 16 | (uint32_t)(slot_index(ctx, s) + 1u);
}

static slot *slot_from_xid(tether_coap_ctx *ctx, tether_coap_xid xid)
{
    uint32_t i = (xid & 0xFFFFu);
    slot *s;

    if (i == 0 || i > ctx->cfg.max_exchanges)
        return NULL;
    s = &ctx->slots[i - 1];
    if (s->kind == K_FREE || s->gen != (uint16_t)(xid >> 16))
        return NULL;
    return s;
}

/* End an exchange for good, then tell its owner. Nothing touches s after
 * the callback: it may already be someone else's exchange. */
static void finish(tether_coap_ctx *ctx, slot *s, tether_time now, int status,
                   const tether_coap_msg *resp)
{
    tether_coap_done_fn done = s->done;
    void *arg = s->arg;

    slot_release(ctx, s);
    if (done != NULL) {
        ctx->depth++;
        done(arg, now, status, resp);
        ctx->depth--;
    }
}

/* --- send queue ---------------------------------------------------------- */

/* Records of [peer][len, 2 bytes BE][datagram] between head and tail. The
 * free space at the front is reclaimed by moving the queue down when a
 * record does not fit at the end: each byte moves at most once per pass
 * through the buffer, and the queue is small. */
static int txq_room(const tether_coap_ctx *ctx, size_t len)
{
    return ctx->txq_cap - (ctx->txq_tail - ctx->txq_head) >= REC_HDR + len;
}

static int txq_push(tether_coap_ctx *ctx, const tether_peer *p, const uint8_t *d, size_t len)
{
    uint8_t *w;

    if (!txq_room(ctx, len)) {
        count(&ctx->st.txq_full);
        TETHER_LOG(ctx->cfg.log, ctx->cfg.log_user, TETHER_LOG_DEBUG, MOD,
                   "send queue full: %zu bytes dropped", len);
        return TETHER_ERR_BUSY;
    }
    if (ctx->txq_cap - ctx->txq_tail < REC_HDR + len) {
        memmove(ctx->txq, ctx->txq + ctx->txq_head, ctx->txq_tail - ctx->txq_head);
        ctx->txq_tail -= ctx->txq_head;
        ctx->txq_head = 0;
    }
    w = ctx->txq + ctx->txq_tail;
    memcpy(w, p, sizeof(*p));
    put16(w + sizeof(*p), (uint16_t)len);
    memcpy(w + REC_HDR, d, len);
    ctx->txq_tail += REC_HDR + len;
    return 0;
}

/* An Empty ACK or RST answering mid (RFC 7252 §4.2, §4.3). */
static int send_empty(tether_coap_ctx *ctx, const tether_peer *p, uint8_t type, uint16_t mid)
{
    uint8_t m[TETHER_COAP_HEADER_SIZE];

    m[0] = (uint8_t)(1u << 6 | (unsigned)type << 4);
    m[1] = TETHER_COAP_EMPTY;
    put16(m + 2, mid);
    return txq_push(ctx, p, m, sizeof(m));
}

/* --- deduplication ------------------------------------------------------- */

#if LINEAR
/* Cost: the live entries, oldest first. */
static dentry *dd_find(tether_coap_ctx *ctx, const tether_peer *p, uint16_t mid)
{
    for (uint32_t k = 0; k < ctx->dcount; k++) {
        dentry *e = &ctx->dd[(ctx->dhead + k) % ctx->cfg.dedup_entries];
        if (e->mid == mid && tether_peer_equal(&e->peer, p))
            return e;
    }
    return NULL;
}

static void dd_link(tether_coap_ctx *ctx, dentry *e)
{
    (void)ctx;
    (void)e;
}

static void dd_unlink(tether_coap_ctx *ctx, dentry *e)
{
    (void)ctx;
    (void)e;
}
#else
static uint32_t dd_bucket(const tether_coap_ctx *ctx, const tether_peer *p, uint16_t mid)
{
    return hash_mid(ctx, p, mid) & ctx->dmask;
}

static dentry *dd_find(tether_coap_ctx *ctx, const tether_peer *p, uint16_t mid)
{
    uint16_t i = ctx->dbuckets[dd_bucket(ctx, p, mid)];

    while (i != NIL) {
        dentry *e = &ctx->dd[i];
        if (e->mid == mid && tether_peer_equal(&e->peer, p))
            return e;
        i = e->next;
    }
    return NULL;
}

static void dd_link(tether_coap_ctx *ctx, dentry *e)
{
    uint32_t b = dd_bucket(ctx, &e->peer, e->mid);

    e->next = ctx->dbuckets[b];
    ctx->dbuckets[b] = (uint16_t)(e - ctx->dd);
}

static void dd_unlink(tether_coap_ctx *ctx, dentry *e)
{
    uint16_t *pp = &ctx->dbuckets[dd_bucket(ctx, &e->peer, e->mid)];

    while (*pp != NIL) {
        if (&ctx->dd[*pp] == e) {
            *pp = e->next;
            break;
        }
        pp = &ctx->dd[*pp].next;
    }
}
#endif

/* Forget the oldest entry (the ring's head). */
static void dd_pop(tether_coap_ctx *ctx)
{
    dentry *e = &ctx->dd[ctx->dhead];

    dd_unlink(ctx, e);
    e->flags = 0;
    e->gen++;
    ctx->dhead = (ctx->dhead + 1) % ctx->cfg.dedup_entries;
    ctx->dcount--;
}

/* Drop entries past EXCHANGE_LIFETIME: they sit at the head, in order.
 * Each entry is popped once, so the cost is O(1) amortized per insert. */
static void dd_expire(tether_coap_ctx *ctx, tether_time now)
{
    while (ctx->dcount > 0 && ctx->dd[ctx->dhead].expires <= now)
        dd_pop(ctx);
}

static dentry *dd_insert(tether_coap_ctx *ctx, const tether_peer *p, uint16_t mid,
                         tether_time now, uint8_t flags)
{
    dentry *e;

    if (ctx->dcount == ctx->cfg.dedup_entries) {
        dd_pop(ctx);
        count(&ctx->st.dedup_evicted);
        TETHER_LOG(ctx->cfg.log, ctx->cfg.log_user, TETHER_LOG_DEBUG, MOD,
                   "dedup cache full: oldest entry evicted early");
    }
    e = &ctx->dd[(ctx->dhead + ctx->dcount) % ctx->cfg.dedup_entries];
    e->peer = *p;
    e->mid = mid;
    e->expires = now + ctx->cfg.exchange_lifetime_ms;
    e->flags = (uint8_t)(DF_LIVE | flags);
    e->reply_len = 0;
    dd_link(ctx, e);
    ctx->dcount++;
    return e;
}

static uint32_t dd_id(const tether_coap_ctx *ctx, const dentry *e)
{
    return (uint32_t)e->gen << 16 | (uint32_t)(e - ctx->dd + 1);
}

/* The entry an incoming handle refers to, if it is still that one. */
static dentry *dd_from_in(tether_coap_ctx *ctx, const tether_coap_incoming *in)
{
    uint32_t i = in->dedup & 0xFFFFu;
    dentry *e;

    if (i == 0 || i > ctx->cfg.dedup_entries)
        return NULL;
    e = &ctx->dd[i - 1];
    if (!(e->flags & DF_LIVE) || e->gen != (uint16_t)(in->dedup >> 16) || e->mid != in->mid ||
        !tether_peer_equal(&e->peer, &in->peer))
        return NULL;
    return e;
}

/* --- config, init, fini -------------------------------------------------- */

void tether_coap_config_default(tether_coap_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->ack_timeout_ms = 2000;
    cfg->ack_random_factor_milli = 1500;
    cfg->max_retransmit = 4;
    cfg->exchange_lifetime_ms = 247000;
    cfg->non_lifetime_ms = 145000;
    cfg->max_message = 1152;
    cfg->max_exchanges = 16;
    cfg->dedup_entries = 64;
    cfg->dedup_reply_max = 128;
    cfg->txq_bytes = 8192;
    cfg->token_len = 8;
}

size_t tether_coap_mem_size(const tether_coap_config *cfg)
{
    layout L;

    if (compute_layout(cfg, &L) != 0)
        return 0;
    return L.total;
}

int tether_coap_init(tether_coap_ctx **out, void *mem, size_t memsz,
                     const tether_coap_config *cfg, const tether_coap_callbacks *cb, void *user)
{
    layout L;
    uint8_t *base = mem;
    tether_coap_ctx *ctx;
    uint8_t r[6];

    if (out == NULL || mem == NULL || compute_layout(cfg, &L) != 0 ||
        (uintptr_t)mem % alignof(max_align_t) != 0)
        return TETHER_ERR_INVAL;
    if (memsz < L.total)
        return TETHER_ERR_NOMEM;
    ctx = (tether_coap_ctx *)(void *)base;
    /* Context, slots, their bytes (and the indexes) and the dedup ring are
     * consecutive: one memset zeroes them. */
    memset(base, 0, L.dd + (size_t)cfg->dedup_entries * sizeof(dentry));
    ctx->cfg = *cfg;
    if (cb != NULL)
        ctx->cb = *cb;
    ctx->user = user;
    TETHER_SET_ERRMSG(ctx->errmsg, "");
    ctx->slots = (slot *)(void *)(base + L.slots);
    ctx->slot_bytes = base + L.slot_bytes;
    ctx->dd = (dentry *)(void *)(base + L.dd);
    ctx->dd_bytes = base + L.dd_bytes;
#if !LINEAR
    for (int i = 0; i < IX_COUNT; i++) {
        ctx->sbuckets[i] = (uint16_t *)(void *)(base + L.sbuckets[i]);
        memset(ctx->sbuckets[i], 0xFF, L.snb * sizeof(uint16_t));
    }
    ctx->smask = L.snb - 1;
    tether_heap_init(&ctx->heap, (tether_heap_entry **)(void *)(base + L.heap),
                     cfg->max_exchanges);
    ctx->dbuckets = (uint16_t *)(void *)(base + L.dbuckets);
    memset(ctx->dbuckets, 0xFF, L.dnb * sizeof(uint16_t));
    ctx->dmask = L.dnb - 1;
#endif
    ctx->reply_max = L.reply_max;
    ctx->txq = base + L.txq;
    ctx->txq_cap = cfg->txq_bytes;
    ctx->scratch = base + L.scratch;

#if !LINEAR
    ctx->free_head = NIL;
#endif
    for (uint32_t i = cfg->max_exchanges; i-- > 0;) {
        slot *s = &ctx->slots[i];
        s->he.index = TETHER_HEAP_NONE;
#if !LINEAR
        s->next[IX_MID] = ctx->free_head;
        s->next[IX_TOK] = s->next[IX_PEER] = NIL;
        ctx->free_head = (uint16_t)i;
#endif
    }

    draw(ctx, r, 4);
    ctx->seed = (uint32_t)r[0] << 24 | (uint32_t)r[1] << 16 | (uint32_t)r[2] << 8 | r[3];
    draw(ctx, r + 4, 2);
    ctx->next_mid = get16(r + 4);
    *out = ctx;
    TETHER_LOG(cfg->log, cfg->log_user, TETHER_LOG_DEBUG, MOD,
               "exchange layer ready: %u exchanges, %u dedup entries, %zu bytes",
               (unsigned)cfg->max_exchanges, (unsigned)cfg->dedup_entries, L.total);
    return 0;
}

void tether_coap_set_unmatched(tether_coap_ctx *ctx, tether_coap_unmatched_fn fn)
{
    if (ctx != NULL)
        ctx->unmatched = fn;
}

void tether_coap_fini(tether_coap_ctx *ctx)
{
    if (ctx == NULL || ctx->depth > 0)
        return;
    ctx->closing = 1;
    for (uint32_t i = 0; i < ctx->cfg.max_exchanges; i++)
        if (ctx->slots[i].kind != K_FREE)
            finish(ctx, &ctx->slots[i], ctx->last_now, TETHER_ERR_CANCELLED, NULL);
}

/* --- outgoing ------------------------------------------------------------ */

/* The next message id not in use with p. At most 65535 slots exist, so
 * one of the 65536 ids is free. */
static uint16_t mid_alloc(tether_coap_ctx *ctx, const tether_peer *p)
{
    for (uint32_t n = 0; n < 0x10000u; n++) {
        uint16_t m = ctx->next_mid++;
        if (find_by_mid(ctx, p, m) == NULL)
            return m;
    }
    return ctx->next_mid++;
}

/* RFC 7252 §4.2: the first timeout is uniform in [ACK_TIMEOUT,
 * ACK_TIMEOUT * ACK_RANDOM_FACTOR]; 24 bits of rand keep the product in
 * 64 bits for every accepted config. */
static uint64_t first_timeout(tether_coap_ctx *ctx)
{
    uint8_t r[4];
    uint64_t base = ctx->cfg.ack_timeout_ms;
    uint64_t span = base * (ctx->cfg.ack_random_factor_milli - 1000u) / 1000u;
    uint64_t v;

    draw(ctx, r, sizeof(r));
    v = ((uint64_t)r[0] << 16 | (uint64_t)r[1] << 8 | r[2]);
    return base + span * v / 0xFFFFFFu;
}

/* Give the datagram m (len bytes, built in place) the next free message id
 * and queue it. A kind other than K_FREE also opens an exchange on it
 * (token taken from m): its bytes are kept when it is a CON, and its clock
 * starts. The caller checked can_queue(). Returns the slot, or NULL. */
static slot *launch(tether_coap_ctx *ctx, tether_time now, const tether_peer *peer, uint8_t *m,
                    size_t len, uint8_t kind, uint8_t flags, tether_coap_done_fn done, void *arg)
{
    uint16_t mid = mid_alloc(ctx, peer);
    uint64_t deadline;
    slot *s;

    put16(m + 2, mid);
    (void)txq_push(ctx, peer, m, len);
    if (kind == K_FREE)
        return NULL;
    s = slot_alloc(ctx);
    s->kind = kind;
    s->flags = flags;
    s->peer = *peer;
    s->mid = mid;
    s->tkl = (uint8_t)(m[0] & 0x0F);
    memcpy(s->token, m + TETHER_COAP_HEADER_SIZE, s->tkl);
    s->done = done;
    s->arg = arg;
    if (flags & SF_CON) {
        memcpy(ctx->slot_bytes + (size_t)slot_index(ctx, s) * ctx->cfg.max_message, m, len);
        s->len = (uint16_t)len;
        s->timeout = first_timeout(ctx);
        deadline = now + s->timeout;
    } else {
        deadline = now + ctx->cfg.non_lifetime_ms;
    }
    ix_link(ctx, s, IX_MID);
    ix_link(ctx, s, IX_PEER);
    if (kind == K_REQUEST)
        ix_link(ctx, s, IX_TOK);
    due_set(ctx, s, deadline);
    return s;
}

/* Room for one more datagram of len bytes, and a free slot if need_slot:
 * 0, or TETHER_ERR_BUSY with the sentence set. */
static int can_queue(tether_coap_ctx *ctx, int need_slot, size_t len)
{
    if (need_slot && ctx->st.exchanges_in_flight == ctx->cfg.max_exchanges)
        return fail(ctx, TETHER_ERR_BUSY, "no free exchange slot");
    if (!txq_room(ctx, len)) {
        count(&ctx->st.txq_full);
        return fail(ctx, TETHER_ERR_BUSY, "send queue full");
    }
    return 0;
}

int tether_coap_msg_begin(tether_coap_ctx *ctx, tether_coap_builder *b, uint8_t type,
                          uint8_t code, const uint8_t *token, uint8_t tkl)
{
    uint8_t tok[TETHER_COAP_MAX_TOKEN];

    if (ctx == NULL || b == NULL)
        return TETHER_ERR_INVAL;
    memset(b, 0, sizeof(*b));
    TETHER_SET_ERRMSG(ctx->errmsg, "");
    if ((type != TETHER_COAP_CON && type != TETHER_COAP_NON) ||
        (!is_request_code(code) && !is_response_code(code)))
        return fail(ctx, TETHER_ERR_INVAL, "message type must be CON or NON with a "
                                           "request or response code");
    if (token == NULL) {
        tkl = ctx->cfg.token_len;
        draw(ctx, tok, tkl);
        token = tok;
        ctx->scratch_tok_drawn = 1;
    } else {
        if (tkl > TETHER_COAP_MAX_TOKEN)
            return fail(ctx, TETHER_ERR_INVAL, "token longer than 8 bytes");
        ctx->scratch_tok_drawn = 0;
    }
    return tether_coap_build_init(b, ctx->scratch, ctx->cfg.max_message, type, code, 0, token,
                                  tkl);
}

/* The finished scratch message of builder b, or an error. */
static int scratch_finish(tether_coap_ctx *ctx, const tether_coap_builder *b, size_t *len)
{
    int rc;

    if (b == NULL || b->buf != ctx->scratch || b->cap != ctx->cfg.max_message)
        return fail(ctx, TETHER_ERR_INVAL, "builder does not belong to this context");
    rc = tether_coap_build_finish(b, len);
    if (rc != 0)
        return fail(ctx, rc, "message could not be built");
    return 0;
}

int tether_coap_msg_send(tether_coap_ctx *ctx, tether_time now, const tether_peer *peer,
                         tether_coap_builder *b, uint32_t flags, tether_coap_done_fn done,
                         void *arg, tether_coap_xid *xid)
{
    size_t len;
    uint8_t type, tkl, sflags;
    int request, rc;
    slot *s;
    uint8_t *m;

    if (ctx == NULL)
        return TETHER_ERR_INVAL;
    enter(ctx, now);
    if (ctx->closing)
        return fail(ctx, TETHER_ERR_STATE, "context is closing");
    if (!peer_ok(peer))
        return fail(ctx, TETHER_ERR_INVAL, "bad peer");
    if ((rc = scratch_finish(ctx, b, &len)) != 0)
        return rc;
    m = ctx->scratch;
    type = (uint8_t)(m[0] >> 4 & 3);
    tkl = (uint8_t)(m[0] & 0x0F);
    request = is_request_code(m[1]);
    if ((flags & ~TETHER_COAP_KEEP) != 0 || ((flags & TETHER_COAP_KEEP) && !request) ||
        (type != TETHER_COAP_CON && type != TETHER_COAP_NON))
        return fail(ctx, TETHER_ERR_INVAL, "bad flags or message type");
    if ((rc = can_queue(ctx, type == TETHER_COAP_CON || request, len)) != 0)
        return rc;
    if (request) {
        /* RFC 7252 §5.3.1: a token in use with this peer would make its
         * responses ambiguous. A drawn token is drawn again. */
        for (int tries = 0; find_by_token(ctx, peer, m + TETHER_COAP_HEADER_SIZE, tkl);
             tries++) {
            if (!ctx->scratch_tok_drawn)
                return fail(ctx, TETHER_ERR_EXISTS, "token in use with this peer");
            if (tries == MAX_TOKEN_TRIES)
                return fail(ctx, TETHER_ERR_BUSY, "no unused token for this peer");
            draw(ctx, m + TETHER_COAP_HEADER_SIZE, tkl);
        }
    }
    sflags = (uint8_t)((type == TETHER_COAP_CON ? SF_CON : 0) |
                       ((flags & TETHER_COAP_KEEP) ? SF_KEEP : 0));
    /* A NON response is fire and forget: no slot. */
    s = launch(ctx, now, peer, m, len,
               request ? K_REQUEST : type == TETHER_COAP_CON ? K_RESPONSE : K_FREE, sflags, done,
               arg);
    if (xid != NULL)
        *xid = s != NULL ? slot_xid(ctx, s) : 0;
    return 0;
}

int tether_coap_ping(tether_coap_ctx *ctx, tether_time now, const tether_peer *peer,
                     tether_coap_done_fn done, void *arg, tether_coap_xid *xid)
{
    uint8_t m[TETHER_COAP_HEADER_SIZE];
    slot *s;
    int rc;

    if (ctx == NULL)
        return TETHER_ERR_INVAL;
    enter(ctx, now);
    if (ctx->closing)
        return fail(ctx, TETHER_ERR_STATE, "context is closing");
    if (!peer_ok(peer))
        return fail(ctx, TETHER_ERR_INVAL, "bad peer");
    if ((rc = can_queue(ctx, 1, sizeof(m))) != 0)
        return rc;
    m[0] = (uint8_t)(1u << 6 | (unsigned)TETHER_COAP_CON << 4);
    m[1] = TETHER_COAP_EMPTY;
    s = launch(ctx, now, peer, m, sizeof(m), K_PING, SF_CON, done, arg);
    if (xid != NULL)
        *xid = slot_xid(ctx, s);
    return 0;
}

int tether_coap_cancel(tether_coap_ctx *ctx, tether_time now, tether_coap_xid xid)
{
    slot *s;

    if (ctx == NULL)
        return TETHER_ERR_INVAL;
    enter(ctx, now);
    s = slot_from_xid(ctx, xid);
    if (s == NULL)
        return fail(ctx, TETHER_ERR_NOT_FOUND, "no such exchange in flight");
    finish(ctx, s, now, TETHER_ERR_CANCELLED, NULL);
    return 0;
}

void tether_coap_cancel_peer(tether_coap_ctx *ctx, tether_time now, const tether_peer *peer)
{
    uint16_t i;

    if (ctx == NULL || !peer_ok(peer))
        return;
    enter(ctx, now);
    /* Mark first, then cancel marked ones one by one, looking again after
     * each callback (which may have changed the slots): exchanges that the
     * callbacks start are not marked, so this ends. */
#if LINEAR
    for (i = 0; i < ctx->cfg.max_exchanges; i++)
        if (ctx->slots[i].kind != K_FREE && tether_peer_equal(&ctx->slots[i].peer, peer))
            ctx->slots[i].flags |= SF_MARK;
    /* One pass does: a slot a callback frees or reuses has lost its mark. */
    for (i = 0; i < ctx->cfg.max_exchanges; i++)
        if (ctx->slots[i].flags & SF_MARK)
            finish(ctx, &ctx->slots[i], now, TETHER_ERR_CANCELLED, NULL);
#else
    uint16_t *bucket = &ctx->sbuckets[IX_PEER][fmix(hash_peer(ctx, peer)) & ctx->smask];

    for (i = *bucket; i != NIL; i = ctx->slots[i].next[IX_PEER])
        if (tether_peer_equal(&ctx->slots[i].peer, peer))
            ctx->slots[i].flags |= SF_MARK;
    for (;;) {
        for (i = *bucket; i != NIL; i = ctx->slots[i].next[IX_PEER])
            if (ctx->slots[i].flags & SF_MARK)
                break;
        if (i == NIL)
            break;
        finish(ctx, &ctx->slots[i], now, TETHER_ERR_CANCELLED, NULL);
    }
#endif
}

/* --- answering ----------------------------------------------------------- */

static int is_current(const tether_coap_ctx *ctx, const tether_coap_incoming *in)
{
    const tether_coap_incoming *c = ctx->cur;

    return c != NULL && c->dedup == in->dedup && c->mid == in->mid && c->type == in->type &&
           tether_peer_equal(&c->peer, &in->peer);
}

int tether_coap_reply_begin(tether_coap_ctx *ctx, tether_coap_builder *b,
                            const tether_coap_incoming *in, uint8_t code)
{
    uint8_t type;
    uint16_t mid = 0;

    if (ctx == NULL || b == NULL)
        return TETHER_ERR_INVAL;
    memset(b, 0, sizeof(*b));
    TETHER_SET_ERRMSG(ctx->errmsg, "");
    if (in == NULL || !peer_ok(&in->peer) || in->tkl > TETHER_COAP_MAX_TOKEN ||
        (in->type != TETHER_COAP_CON && in->type != TETHER_COAP_NON) || !is_response_code(code))
        return fail(ctx, TETHER_ERR_INVAL, "bad incoming request or response code");
    if (in->answered)
        return fail(ctx, TETHER_ERR_STATE, "request already answered");
    if (in->type == TETHER_COAP_NON) {
        type = TETHER_COAP_NON;
    } else if (is_current(ctx, in) && !ctx->cur_answered) {
        type = TETHER_COAP_ACK; /* piggybacked, RFC 7252 §5.2.1 */
        mid = in->mid;
    } else {
        type = TETHER_COAP_CON; /* separate, RFC 7252 §5.2.2 */
    }
    ctx->scratch_tok_drawn = 0;
    return tether_coap_build_init(b, ctx->scratch, ctx->cfg.max_message, type, code, mid,
                                  in->token, in->tkl);
}

int tether_coap_reply_send(tether_coap_ctx *ctx, tether_time now, tether_coap_incoming *in,
                           tether_coap_builder *b)
{
    size_t len;
    uint8_t type;
    uint8_t *m;
    int rc;

    if (ctx == NULL)
        return TETHER_ERR_INVAL;
    enter(ctx, now);
    if (in == NULL || !peer_ok(&in->peer))
        return fail(ctx, TETHER_ERR_INVAL, "bad incoming request");
    if (in->answered)
        return fail(ctx, TETHER_ERR_STATE, "request already answered");
    if ((rc = scratch_finish(ctx, b, &len)) != 0)
        return rc;
    m = ctx->scratch;
    type = (uint8_t)(m[0] >> 4 & 3);
    if (!is_response_code(m[1]) || (m[0] & 0x0F) != in->tkl ||
        memcmp(m + TETHER_COAP_HEADER_SIZE, in->token, in->tkl) != 0)
        return fail(ctx, TETHER_ERR_INVAL, "builder was not started by reply_begin");

    if (type == TETHER_COAP_ACK) {
        dentry *e;
        if (!is_current(ctx, in) || ctx->cur_answered || get16(m + 2) != in->mid)
            return fail(ctx, TETHER_ERR_STATE, "piggybacked answer outside on_request");
        if (txq_push(ctx, &in->peer, m, len) != 0)
            return fail(ctx, TETHER_ERR_BUSY, "send queue full");
        ctx->cur_answered = 1;
        in->answered = 1;
        e = dd_from_in(ctx, in);
        if (e != NULL) {
            e->flags |= DF_REPLIED;
            if (len <= ctx->reply_max) {
                memcpy(ctx->dd_bytes + (size_t)(e - ctx->dd) * ctx->reply_max, m, len);
                e->reply_len = (uint16_t)len;
                e->flags |= DF_CACHED;
            }
        }
        return 0;
    }
    if (ctx->closing)
        return fail(ctx, TETHER_ERR_STATE, "context is closing");
    if ((rc = can_queue(ctx, type == TETHER_COAP_CON, len)) != 0)
        return rc;
    in->answered = 1;
    if (is_current(ctx, in))
        ctx->cur_answered = 1;
    /* A NON answer is fire and forget; a separate CON one waits for its ACK. */
    (void)launch(ctx, now, &in->peer, m, len, type == TETHER_COAP_CON ? K_RESPONSE : K_FREE,
                 SF_CON, NULL, NULL);
    return 0;
}

int tether_coap_reply_code(tether_coap_ctx *ctx, tether_time now, tether_coap_incoming *in,
                           uint8_t code)
{
    tether_coap_builder b;
    int rc = tether_coap_reply_begin(ctx, &b, in, code);

    if (rc != 0)
        return rc;
    return tether_coap_reply_send(ctx, now, in, &b);
}

/* --- incoming ------------------------------------------------------------ */

/* A response for s arrived (piggybacked, separate or a notification). */
static void deliver(tether_coap_ctx *ctx, slot *s, tether_time now, const tether_coap_msg *msg)
{
    uint32_t obs;

    if (!(s->flags & SF_KEEP) || TETHER_COAP_CLASS(msg->code) >= 4 ||
        tether_coap_observe(msg, &obs) != 0) {
        finish(ctx, s, now, 0, msg);
        return;
    }
    /* An observation goes on: no more retransmission or deadline, and the
     * token alone matches what comes next. */
    ix_unlink(ctx, s, IX_MID);
    due_clear(ctx, s);
    s->flags |= SF_ACKED;
    if (s->done != NULL) {
        ctx->depth++;
        s->done(s->arg, now, 0, msg);
        ctx->depth--;
    }
}

static void on_duplicate(tether_coap_ctx *ctx, dentry *e, const tether_peer *peer,
                         const tether_coap_msg *msg)
{
    count(&ctx->st.rx_duplicate);
    TETHER_LOG(ctx->cfg.log, ctx->cfg.log_user, TETHER_LOG_TRACE, MOD, "duplicate mid %u",
               (unsigned)msg->mid);
    if (msg->type != TETHER_COAP_CON)
        return; /* RFC 7252 §4.5: duplicate NON is ignored */
    if (e->flags & DF_CACHED) {
        (void)txq_push(ctx, peer, ctx->dd_bytes + (size_t)(e - ctx->dd) * ctx->reply_max,
                       e->reply_len);
    } else if (!(e->flags & DF_REPLIED)) {
        /* The answer is an empty ACK (a separate response is pending or
         * went): send it again, also if it once found the queue full. */
        if (send_empty(ctx, peer, TETHER_COAP_ACK, msg->mid) == 0)
            e->flags |= DF_ACKED;
    }
    /* else: answered with a piggybacked response too long to keep: drop. */
}

static void on_new_request(tether_coap_ctx *ctx, tether_time now, const tether_peer *peer,
                       const tether_coap_msg *msg)
{
    tether_coap_incoming in;
    dentry *e;

    if (ctx->cb.on_request == NULL) {
        (void)send_empty(ctx, peer, TETHER_COAP_RST, msg->mid);
        return;
    }
    e = dd_insert(ctx, peer, msg->mid, now,
                  msg->type == TETHER_COAP_CON ? (uint8_t)DF_CON : (uint8_t)0);
    memset(&in, 0, sizeof(in));
    in.peer = *peer;
    in.mid = msg->mid;
    in.type = msg->type;
    in.tkl = msg->tkl;
    memcpy(in.token, msg->token, msg->tkl);
    in.dedup = dd_id(ctx, e);

    ctx->cur = &in;
    ctx->cur_answered = 0;
    ctx->depth++;
    ctx->cb.on_request(ctx->user, now, msg, &in);
    ctx->depth--;
    ctx->cur = NULL;
    /* No recv can run inside on_request, so e is still this request's. */
    if (msg->type == TETHER_COAP_CON && !(e->flags & DF_REPLIED)) {
        /* RFC 7252 §5.2.2: acknowledge now, answer separately later. */
        if (send_empty(ctx, peer, TETHER_COAP_ACK, msg->mid) == 0)
            e->flags |= DF_ACKED;
    }
}

static void on_response(tether_coap_ctx *ctx, tether_time now, const tether_peer *peer,
                        const tether_coap_msg *msg)
{
    slot *s = find_by_token(ctx, peer, msg->token, msg->tkl);

    if (s == NULL) {
        int rc = TETHER_ERR_NOT_FOUND;
        /* A notification of an observation the layer above keeps by token
         * (RFC 7641 §3.2) holds no slot: it decides. */
        if (ctx->unmatched != NULL) {
            ctx->depth++;
            rc = ctx->unmatched(ctx->user, now, peer, msg);
            ctx->depth--;
        }
        if (rc != 0) {
            /* RFC 7252 §5.3.2, RFC 7641 §3.6: reject what we did not ask for. */
            TETHER_LOG(ctx->cfg.log, ctx->cfg.log_user, TETHER_LOG_DEBUG, MOD,
                       "response mid %u matches no request: RST", (unsigned)msg->mid);
            (void)send_empty(ctx, peer, TETHER_COAP_RST, msg->mid);
            return;
        }
        /* Accepted: acknowledged, and its duplicates absorbed, like ours. */
    }
    if (msg->type == TETHER_COAP_CON) {
        dentry *e = dd_insert(ctx, peer, msg->mid, now, DF_CON);
        if (send_empty(ctx, peer, TETHER_COAP_ACK, msg->mid) == 0)
            e->flags |= DF_ACKED;
    } else {
        (void)dd_insert(ctx, peer, msg->mid, now, 0);
    }
    if (s != NULL)
        deliver(ctx, s, now, msg);
}

static void on_ack(tether_coap_ctx *ctx, tether_time now, const tether_peer *peer,
                   const tether_coap_msg *msg)
{
    slot *s = find_by_mid(ctx, peer, msg->mid);

    if (s == NULL && msg->code != TETHER_COAP_EMPTY && ctx->unmatched != NULL) {
        /* A piggybacked answer whose request already ended (a notification
         * with the same token overtook it as a separate response, §5.2.2):
         * the layer above may still want it. Nothing is sent either way. */
        ctx->depth++;
        (void)ctx->unmatched(ctx->user, now, peer, msg);
        ctx->depth--;
        return;
    }
    if (s == NULL || !(s->flags & SF_CON))
        return; /* RFC 7252 §4.2: an ACK we cannot match is ignored */
    if (s->kind != K_REQUEST) {
        finish(ctx, s, now, 0, NULL); /* a CON response or a ping was acknowledged */
        return;
    }
    if (msg->code != TETHER_COAP_EMPTY) {
        if (msg->tkl == s->tkl && memcmp(msg->token, s->token, s->tkl) == 0)
            deliver(ctx, s, now, msg);
        return; /* §5.3.2: a piggybacked answer to another token is not ours */
    }
    /* Empty ACK: stop retransmitting, wait for the separate response. */
    ix_unlink(ctx, s, IX_MID);
    s->flags |= SF_ACKED;
    due_set(ctx, s, now + ctx->cfg.exchange_lifetime_ms);
}

static void on_rst(tether_coap_ctx *ctx, tether_time now, const tether_peer *peer, uint16_t mid)
{
    slot *s = find_by_mid(ctx, peer, mid);

    if (s == NULL) {
        if (ctx->cb.on_reset != NULL) {
            ctx->depth++;
            ctx->cb.on_reset(ctx->user, now, peer, mid);
            ctx->depth--;
        }
        return;
    }
    finish(ctx, s, now, s->kind == K_PING ? 0 : TETHER_ERR_RESET, NULL);
}

static int malformed(tether_coap_ctx *ctx, int rc, const char *why)
{
    count(&ctx->st.rx_malformed);
    TETHER_LOG(ctx->cfg.log, ctx->cfg.log_user, TETHER_LOG_DEBUG, MOD, "dropped: %s", why);
    return fail(ctx, rc, why);
}

int tether_coap_recv(tether_coap_ctx *ctx, tether_time now, const tether_peer *peer,
                     const uint8_t *buf, size_t len)
{
    tether_coap_msg msg;
    dentry *e;
    int rc;

    if (ctx == NULL)
        return TETHER_ERR_INVAL;
    if (ctx->depth > 0)
        return TETHER_ERR_REENTRANT; /* errmsg belongs to the outer call */
    TETHER_SET_ERRMSG(ctx->errmsg, "");
    if (!peer_ok(peer) || (buf == NULL && len > 0))
        return fail(ctx, TETHER_ERR_INVAL, "bad peer or buffer");
    if (now > ctx->last_now)
        ctx->last_now = now;
    count(&ctx->st.rx);
    dd_expire(ctx, now);

    rc = tether_coap_parse(&msg, buf, len);
    if (rc != 0) {
        /* RFC 7252 §4.2: a CON with a format error is rejected with RST
         * when its header can be read; anything else is dropped. */
        if (len >= TETHER_COAP_HEADER_SIZE && buf[0] >> 6 == 1 &&
            (buf[0] >> 4 & 3) == TETHER_COAP_CON)
            (void)send_empty(ctx, peer, TETHER_COAP_RST, get16(buf + 2));
        return malformed(ctx, rc, "datagram does not parse");
    }

    switch (msg.type) {
    case TETHER_COAP_ACK:
        if (msg.code != TETHER_COAP_EMPTY && !is_response_code(msg.code))
            return malformed(ctx, TETHER_ERR_MALFORMED, "ACK carries neither response nor nothing");
        on_ack(ctx, now, peer, &msg);
        return 0;
    case TETHER_COAP_RST:
        if (msg.code != TETHER_COAP_EMPTY)
            return malformed(ctx, TETHER_ERR_MALFORMED, "RST is not empty");
        on_rst(ctx, now, peer, msg.mid);
        return 0;
    case TETHER_COAP_NON:
        if (msg.code == TETHER_COAP_EMPTY)
            return malformed(ctx, TETHER_ERR_MALFORMED, "NON is empty");
        break;
    default: /* CON */
        if (msg.code == TETHER_COAP_EMPTY) {
            (void)send_empty(ctx, peer, TETHER_COAP_RST, msg.mid); /* ping, §4.3 */
            return 0;
        }
        break;
    }

    if (!is_request_code(msg.code) && !is_response_code(msg.code)) {
        /* A reserved code class: we lack the context to process it. */
        if (msg.type == TETHER_COAP_CON)
            (void)send_empty(ctx, peer, TETHER_COAP_RST, msg.mid);
        return 0;
    }
    e = dd_find(ctx, peer, msg.mid);
    if (e != NULL) {
        on_duplicate(ctx, e, peer, &msg);
        return 0;
    }
    if (is_request_code(msg.code))
        on_new_request(ctx, now, peer, &msg);
    else
        on_response(ctx, now, peer, &msg);
    return 0;
}

/* --- output and time ----------------------------------------------------- */

int tether_coap_send(tether_coap_ctx *ctx, tether_time now, tether_peer *peer, uint8_t *buf,
                     size_t cap, size_t *len)
{
    const uint8_t *r;
    size_t n;

    if (ctx == NULL || peer == NULL || len == NULL)
        return TETHER_ERR_INVAL;
    (void)now;
    TETHER_SET_ERRMSG(ctx->errmsg, "");
    *len = 0;
    if (ctx->txq_head == ctx->txq_tail)
        return 0;
    r = ctx->txq + ctx->txq_head;
    n = get16(r + sizeof(*peer));
    if (buf == NULL || cap < n)
        return fail(ctx, TETHER_ERR_NOSPACE, "buffer smaller than the next datagram");
    memcpy(peer, r, sizeof(*peer));
    memcpy(buf, r + REC_HDR, n);
    ctx->txq_head += REC_HDR + n;
    if (ctx->txq_head == ctx->txq_tail)
        ctx->txq_head = ctx->txq_tail = 0;
    count(&ctx->st.tx);
    *len = n;
    return 0;
}

tether_time tether_coap_next_deadline(const tether_coap_ctx *ctx)
{
    const slot *s;

    if (ctx == NULL)
        return TETHER_TIME_NEVER;
    s = due_first(ctx);
    return s != NULL ? s->he.key : TETHER_TIME_NEVER;
}

int tether_coap_on_timeout(tether_coap_ctx *ctx, tether_time now)
{
    slot *s;

    if (ctx == NULL)
        return TETHER_ERR_INVAL;
    if (ctx->depth > 0)
        return TETHER_ERR_REENTRANT;
    enter(ctx, now);
    dd_expire(ctx, now);
    /* Re-read the first each turn: a callback may add or remove exchanges.
     * What it adds is due later than now, so the loop ends. */
    while ((s = due_first(ctx)) != NULL && s->he.key <= now) {
        if ((s->flags & (SF_CON | SF_IN_MID)) == (SF_CON | SF_IN_MID) &&
            s->retransmits < ctx->cfg.max_retransmit) {
            s->retransmits++;
            count(&ctx->st.retransmissions);
            (void)txq_push(ctx, &s->peer,
                           ctx->slot_bytes + (size_t)slot_index(ctx, s) * ctx->cfg.max_message,
                           s->len);
            s->timeout *= 2;
            due_set(ctx, s, now + s->timeout);
            continue;
        }
        count(&ctx->st.timeouts);
        TETHER_LOG(ctx->cfg.log, ctx->cfg.log_user, TETHER_LOG_DEBUG, MOD,
                   "exchange mid %u timed out", (unsigned)s->mid);
        finish(ctx, s, now, TETHER_ERR_TIMEOUT, NULL);
    }
    return 0;
}

/* --- counters ------------------------------------------------------------ */

void tether_coap_get_stats(const tether_coap_ctx *ctx, tether_coap_stats *out)
{
    if (ctx == NULL || out == NULL)
        return;
    *out = ctx->st;
    out->dedup_used = ctx->dcount;
}

const char *tether_coap_errmsg(const tether_coap_ctx *ctx)
{
    return ctx != NULL && ctx->errmsg != NULL ? TETHER_GET_ERRMSG(ctx->errmsg) : "";
}
