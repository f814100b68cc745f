/* SPDX-License-Identifier: Apache-2.0 */
/* Block-wise transfer helpers (RFC 7959): the spec's figures, every error
 * answer, slot expiry and eviction, slicing at exact boundaries, and both
 * senders driven to completion against both receivers over real encoded
 * messages. The clock is the test's `now`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tether/coap.h"
#include "tether/coap_block.h"

/* ---- helpers -------------------------------------------------------------- */

typedef struct wire {
    uint8_t buf[2048];
    size_t len;
    tether_coap_msg msg;
} wire;

/* Options a test request may carry; absent ones are NULL / negative. */
typedef struct req_spec {
    uint8_t code;
    const char *path;
    const char *query;
    const tether_coap_block *block1;
    const tether_coap_block *block2;
    long size1, size2; /* < 0: absent */
    const uint8_t *payload;
    size_t payload_len;
    uint8_t token; /* one-byte token */
} req_spec;

static void build_req(wire *w, const req_spec *r)
{
    tether_coap_builder b;
    tether_coap_build_init(&b, w->buf, sizeof(w->buf), TETHER_COAP_CON, r->code, 0x1234,
                           &r->token, 1);
    if (r->path)
        tether_coap_build_path(&b, TETHER_COAP_OPT_URI_PATH, r->path);
    if (r->query)
        tether_coap_build_opt_str(&b, TETHER_COAP_OPT_URI_QUERY, r->query);
    if (r->block2)
        tether_coap_build_block(&b, TETHER_COAP_OPT_BLOCK2, r->block2);
    if (r->block1)
        tether_coap_build_block(&b, TETHER_COAP_OPT_BLOCK1, r->block1);
    if (r->size2 >= 0)
        tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_SIZE2, (uint32_t)r->size2);
    if (r->size1 >= 0)
        tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_SIZE1, (uint32_t)r->size1);
    tether_coap_build_payload(&b, r->payload, r->payload_len);
    assert_int_equal(tether_coap_build_finish(&b, &w->len), 0);
    assert_int_equal(tether_coap_parse(&w->msg, w->buf, w->len), 0);
}

/* A request PUT /options carrying Block1 NUM/M/SZX and the matching slice. */
static void block1_put(wire *w, const char *path, uint32_t num, int more, uint8_t szx,
                       const uint8_t *body, size_t plen)
{
    tether_coap_block blk = {num, (uint8_t)more, szx};
    req_spec r = {TETHER_COAP_PUT, path, NULL, &blk, NULL, -1, -1, body, plen, (uint8_t)num};
    build_req(w, &r);
}

static tether_peer peer_n(uint8_t n)
{
    tether_peer p;
    memset(&p, 0, sizeof(p));
    p.len = 6;
    p.addr[0] = 127;
    p.addr[3] = 1;
    p.addr[5] = n;
    return p;
}

static void fill_pattern(uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (uint8_t)(seed >> 16);
    }
}

static void assert_block(const tether_coap_block *b, uint32_t num, int more, uint8_t szx)
{
    assert_int_equal(b->num, num);
    assert_int_equal(b->more, more);
    assert_int_equal(b->szx, szx);
}

/* A reassembly table in test-owned memory. */
typedef struct table {
    _Alignas(max_align_t) uint8_t mem[64 * 1024];
    tether_block1_rx *rx;
} table;

static void table_init(table *t, uint16_t slots, uint32_t max_body, uint32_t idle, uint8_t szx)
{
    tether_block1_rx_config cfg;
    tether_block1_rx_config_default(&cfg);
    cfg.slots = slots;
    cfg.max_body = max_body;
    cfg.idle_timeout_ms = idle;
    cfg.szx = szx;
    assert_true(tether_block1_rx_mem_size(slots, max_body) <= sizeof(t->mem));
    assert_int_equal(tether_block1_rx_init(&t->rx, t->mem, sizeof(t->mem), &cfg), 0);
}

/* Answer built from a reassembly result, parsed back: what the client sees. */
static void answer_block1(wire *w, uint8_t code, const tether_block1_rx_result *res)
{
    tether_coap_builder b;
    uint8_t tok = 0;
    tether_coap_build_init(&b, w->buf, sizeof(w->buf), TETHER_COAP_ACK, code, 0x1234, &tok, 1);
    tether_coap_build_block(&b, TETHER_COAP_OPT_BLOCK1, &res->block1);
    assert_int_equal(tether_coap_build_finish(&b, &w->len), 0);
    assert_int_equal(tether_coap_parse(&w->msg, w->buf, w->len), 0);
}

static void plain_response(wire *w, uint8_t code, const tether_coap_block *block1, long size1)
{
    tether_coap_builder b;
    uint8_t tok = 0;
    tether_coap_build_init(&b, w->buf, sizeof(w->buf), TETHER_COAP_ACK, code, 0x1234, &tok, 1);
    if (block1)
        tether_coap_build_block(&b, TETHER_COAP_OPT_BLOCK1, block1);
    if (size1 >= 0)
        tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_SIZE1, (uint32_t)size1);
    assert_int_equal(tether_coap_build_finish(&b, &w->len), 0);
    assert_int_equal(tether_coap_parse(&w->msg, w->buf, w->len), 0);
}

/* ---- common --------------------------------------------------------------- */

static void test_block_answer_codes(void **state)
{
    (void)state;
    assert_int_equal(tether_block_answer_code(TETHER_ERR_TOO_LARGE), TETHER_COAP_CODE(4, 13));
    assert_int_equal(tether_block_answer_code(TETHER_ERR_BLOCK_INCOMPLETE), TETHER_COAP_CODE(4, 8));
    assert_int_equal(tether_block_answer_code(TETHER_ERR_MALFORMED), TETHER_COAP_CODE(4, 0));
    assert_int_equal(tether_block_answer_code(TETHER_ERR_BAD_OPTION), TETHER_COAP_CODE(4, 2));
    assert_int_equal(tether_block_answer_code(TETHER_ERR_BUSY), TETHER_COAP_CODE(5, 3));
    assert_int_equal(tether_block_answer_code(TETHER_ERR_INVAL), TETHER_COAP_CODE(5, 0));
}

static void test_block_szx_fit(void **state)
{
    uint8_t szx = 99;
    (void)state;
    assert_int_equal(tether_block_szx_fit(15, 6, &szx), TETHER_ERR_NOSPACE);
    assert_int_equal(szx, 99);
    assert_int_equal(tether_block_szx_fit(16, 6, &szx), 0);
    assert_int_equal(szx, 0);
    assert_int_equal(tether_block_szx_fit(1023, 6, &szx), 0);
    assert_int_equal(szx, 5);
    assert_int_equal(tether_block_szx_fit(1024, 6, &szx), 0);
    assert_int_equal(szx, 6);
    assert_int_equal(tether_block_szx_fit(5000, 2, &szx), 0);
    assert_int_equal(szx, 2);
    assert_int_equal(tether_block_szx_fit(5000, 7, &szx), TETHER_ERR_INVAL);
}

/* ---- Block1 reassembly ---------------------------------------------------- */

/* RFC 7959 §3.2, figure 6: the server asks for 32-byte blocks in its first
 * 2.31; the client continues at NUM 4 (byte 128) and the server echoes each
 * block, the final answer with M=0. */
static void test_block_rfc7959_fig6_block1_server_asks_smaller(void **state)
{
    static table t;
    tether_peer peer = peer_n(1);
    tether_block1_rx_result res;
    uint8_t body[128 + 32 + 32 + 20];
    wire w, a;
    /* 2.31 Continue, token 00, Block1 1:0/1/32 -> option 27 value 0x09. */
    const uint8_t first_answer[] = {0x61, 0x5F, 0x12, 0x34, 0x00, 0xD1, 0x0E, 0x09};
    (void)state;

    fill_pattern(body, sizeof(body), 6);
    table_init(&t, 2, 1024, 247000, 1 /* 32 bytes */);

    block1_put(&w, "options", 0, 1, 3, body, 128);
    assert_int_equal(tether_block1_rx_feed(t.rx, 0, &peer, &w.msg, &res), 0);
    assert_int_equal(res.status, TETHER_BLOCK1_CONTINUE);
    assert_block(&res.block1, 0, 1, 1);
    answer_block1(&a, TETHER_COAP_CONTINUE, &res);
    assert_int_equal(a.len, sizeof(first_answer));
    assert_memory_equal(a.buf, first_answer, sizeof(first_answer));

    block1_put(&w, "options", 4, 1, 1, body + 128, 32);
    assert_int_equal(tether_block1_rx_feed(t.rx, 10, &peer, &w.msg, &res), 0);
    assert_int_equal(res.status, TETHER_BLOCK1_CONTINUE);
    assert_block(&res.block1, 4, 1, 1);

    block1_put(&w, "options", 5, 1, 1, body + 160, 32);
    assert_int_equal(tether_block1_rx_feed(t.rx, 20, &peer, &w.msg, &res), 0);
    assert_block(&res.block1, 5, 1, 1);

    block1_put(&w, "options", 6, 0, 1, body + 192, 20);
    assert_int_equal(tether_block1_rx_feed(t.rx, 30, &peer, &w.msg, &res), 0);
    assert_int_equal(res.status, TETHER_BLOCK1_COMPLETE);
    assert_block(&res.block1, 6, 0, 1);
    assert_int_equal(res.body_len, sizeof(body));
    assert_memory_equal(res.body, body, sizeof(body));
    assert_true(res.slot >= 0);
}

/* The same exchange driven by our sender: it must produce NUM 0 at 128
 * bytes, then NUM 4, 5, 6 at 32 bytes, exactly as in figure 6. */
static void test_block_rfc7959_fig6_sender_follows_smaller_szx(void **state)
{
    static table t;
    tether_peer peer = peer_n(1);
    tether_block1_tx tx;
    tether_block1_tx_block blk;
    tether_block1_rx_result res;
    uint8_t body[128 + 32 + 32 + 20];
    const uint32_t want_num[] = {0, 4, 5, 6};
    const size_t want_len[] = {128, 32, 32, 20};
    wire w, a;
    int more = 1;
    (void)state;

    fill_pattern(body, sizeof(body), 7);
    table_init(&t, 2, 1024, 247000, 1);
    assert_int_equal(tether_block1_tx_init(&tx, body, sizeof(body), 3), 0);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(more, 1);
        assert_int_equal(tether_block1_tx_next(&tx, &blk), 0);
        assert_true(blk.use_block1);
        assert_int_equal(blk.block1.num, want_num[i]);
        assert_int_equal(blk.len, want_len[i]);
        assert_int_equal(blk.block1.more, i < 3);
        assert_int_equal(blk.send_size1, i == 0);
        block1_put(&w, "options", blk.block1.num, blk.block1.more, blk.block1.szx, blk.data,
                   blk.len);
        assert_int_equal(tether_block1_rx_feed(t.rx, (tether_time)i, &peer, &w.msg, &res), 0);
        answer_block1(&a, res.status == TETHER_BLOCK1_CONTINUE ? TETHER_COAP_CONTINUE
                                                               : TETHER_COAP_CHANGED,
                      &res);
        assert_int_equal(tether_block1_tx_on_response(&tx, &a.msg, &more), 0);
    }
    assert_int_equal(more, 0);
    assert_int_equal(res.status, TETHER_BLOCK1_COMPLETE);
    assert_memory_equal(res.body, body, sizeof(body));
    assert_int_equal(tether_block1_tx_next(&tx, &blk), TETHER_ERR_STATE);
    assert_int_equal(tether_block1_tx_on_response(&tx, &a.msg, &more), TETHER_ERR_STATE);
}

/* RFC 7959 §3.2, figure 5: an atomic PUT in three 128-byte blocks. */
static void test_block_rfc7959_fig5_block1_atomic_put(void **state)
{
    static table t;
    tether_peer peer = peer_n(2);
    tether_block1_rx_result res;
    uint8_t body[300];
    wire w;
    (void)state;

    fill_pattern(body, sizeof(body), 5);
    table_init(&t, 1, 512, 247000, 6);
    block1_put(&w, "options", 0, 1, 3, body, 128);
    assert_int_equal(tether_block1_rx_feed(t.rx, 0, &peer, &w.msg, &res), 0);
    assert_block(&res.block1, 0, 1, 3);
    assert_null(res.body);
    block1_put(&w, "options", 1, 1, 3, body + 128, 128);
    assert_int_equal(tether_block1_rx_feed(t.rx, 0, &peer, &w.msg, &res), 0);
    assert_block(&res.block1, 1, 1, 3);
    block1_put(&w, "options", 2, 0, 3, body + 256, 44);
    assert_int_equal(tether_block1_rx_feed(t.rx, 0, &peer, &w.msg, &res), 0);
    assert_int_equal(res.status, TETHER_BLOCK1_COMPLETE);
    assert_block(&res.block1, 2, 0, 3);
    assert_int_equal(res.body_len, 300);
    assert_memory_equal(res.body, body, 300);
}

static void test_block_block1_too_large_answers_4_13_with_size1(void **state)
{
    static table t;
    tether_peer peer = peer_n(3);
    tether_block1_rx_result res, before;
    tether_coap_builder b;
    uint8_t body[512], out[32];
    size_t len;
    wire w;
    /* 4.13, token 00, Size1 (60) = 256: delta 60 -> 13+47, length 2. */
    const uint8_t want[] = {0x61, 0x8D, 0x12, 0x34, 0x00, 0xD2, 0x2F, 0x01, 0x00};
    (void)state;

    fill_pattern(body, sizeof(body), 3);
    table_init(&t, 2, 256, 247000, 6);
    block1_put(&w, "rd", 0, 1, 3, body, 128);
    assert_int_equal(tether_block1_rx_feed(t.rx, 0, &peer, &w.msg, &res), 0);
    block1_put(&w, "rd", 1, 1, 3, body + 128, 128);
    assert_int_equal(tether_block1_rx_feed(t.rx, 0, &peer, &w.msg, &res), 0);
    memcpy(&before, &res, sizeof(res));
    block1_put(&w, "rd", 2, 0, 3, body + 256, 1); /* byte 257 of a 256 limit */
    assert_int_equal(tether_block1_rx_feed(t.rx, 0, &peer, &w.msg, &res), TETHER_ERR_TOO_LARGE);
    assert_memory_equal(&res, &before, sizeof(res)); /* output untouched */
    assert_int_equal(tether_block_answer_code(TETHER_ERR_TOO_LARGE),
                     TETHER_COAP_REQUEST_ENTITY_TOO_LARGE);
    assert_int_equal(tether_block1_rx_max_body(t.rx), 256);

    /* What the caller sends back. */
    uint8_t tok = 0;
    tether_coap_build_init(&b, out, sizeof(out), TETHER_COAP_ACK,
                           tether_block_answer_code(TETHER_ERR_TOO_LARGE), 0x1234, &tok, 1);
    tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_SIZE1, tether_block1_rx_max_body(t.rx));
    assert_int_equal(tether_coap_build_finish(&b, &len), 0);
    assert_int_equal(len, sizeof(want));
    assert_memory_equal(out, want, sizeof(want));

    /* The slot was freed: the transfer is over. */
    block1_put(&w, "rd", 2, 0, 3, body + 256, 0);
    assert_int_equal(tether_block1_rx_feed(t.rx, 0, &peer, &w.msg, &res),
                     TETHER_ERR_BLOCK_INCOMPLETE);

    /* A single block over the limit, and a Size1 that announces too much. */
    {
        tether_coap_block blk = {0, 1, 3};
        req_spec r = {TETHER_COAP_POST, "rd", NULL, &blk, NULL, 257, -1, body, 128, 9};
        build_req(&w, &r);
        assert_int_equal(tether_block1_rx_feed(t.rx, 0, &peer, &w.msg, &res),
                         TETHER_ERR_TOO_LARGE);
        r.size1 = 256;
        build_req(&w, &r);
        assert_int_equal(tether_block1_rx_feed(t.rx, 0, &peer, &w.msg, &res), 0);
    }
    {
        static table small;
        table_init(&small, 1, 100, 247000, 6);
        block1_put(&w, "rd", 0, 0, 3, body, 101);
        assert_int_equal(tether_block1_rx_feed(small.rx, 0, &peer, &w.msg, &res),
                         TETHER_ERR_TOO_LARGE);
    }
}

static void test_block_block1_missing_block_4_08(void **state)
{
    static table t;
    tether_peer peer = peer_n(4);
    tether_block1_rx_result res;
    uint8_t body[256];
    tether_block1_rx_stats st;
    wire w;
    (void)state;

    fill_pattern(body, sizeof(body), 4);
    table_init(&t, 2, 1024, 247000, 6);
    block1_put(&w, "a", 0, 1, 2, body, 64);
    assert_int_equal(tether_block1_rx_feed(t.rx, 0, &peer, &w.msg, &res), 0);
    block1_put(&w, "a", 2, 1, 2, body + 128, 64); /* block 1 never came */
    assert_int_equal(tether_block1_rx_feed(t.rx, 0, &peer, &w.msg, &res),
                     TETHER_ERR_BLOCK_INCOMPLETE);
    assert_int_equal(tether_block_answer_code(TETHER_ERR_BLOCK_INCOMPLETE),
                     TETHER_COAP_REQUEST_ENTITY_INCOMPLETE);
    /* The transfer is gone: the late block 1 is out of order too. */
    block1_put(&w, "a", 1, 1, 2, body + 64, 64);
    assert_int_equal(tether_block1_rx_feed(t.rx, 0, &peer, &w.msg, &res),
                     TETHER_ERR_BLOCK_INCOMPLETE);
    tether_block1_rx_get_stats(t.rx, 0, &st);
    assert_int_equal(st.in_use, 0);
    assert_int_equal(st.rejected, 2);

    /* A last block that ends before data we already hold is inconsistent. */
    block1_put(&w, "a", 0, 1, 2, body, 64);
    assert_int_equal(tether_block1_rx_feed(t.rx, 0, &peer, &w.msg, &res), 0);
    block1_put(&w, "a", 1, 1, 2, body + 64, 64);
    assert_int_equal(tether_block1_rx_feed(t.rx, 0, &peer, &w.msg, &res), 0);
    block1_put(&w, "a", 0, 1, 4, body, 256); /* 256-byte block 0 restarts */
    assert_int_equal(tether_block1_rx_feed(t.rx, 0, &peer, &w.msg, &res), 0);
    block1_put(&w, "a", 3, 0, 2, body + 192, 10); /* ends at 202 < 256 held */
    assert_int_equal(tether_block1_rx_feed(t.rx, 0, &peer, &w.msg, &res),
                     TETHER_ERR_BLOCK_INCOMPLETE);
}

static void test_block_block1_not_starting_at_zero_4_08(void **state)
{
    static table t;
    tether_peer peer = peer_n(5);
    tether_block1_rx_result res;
    uint8_t body[64] = {0};
    wire w;
    (void)state;

    table_init(&t, 2, 1024, 247000, 6);
    block1_put(&w, "a", 1, 1, 0, body, 16);
    assert_int_equal(tether_block1_rx_feed(t.rx, 0, &peer, &w.msg, &res),
                     TETHER_ERR_BLOCK_INCOMPLETE);
    block1_put(&w, "a", 3, 0, 0, body, 5);
    assert_int_equal(tether_block1_rx_feed(t.rx, 0, &peer, &w.msg, &res),
                     TETHER_ERR_BLOCK_INCOMPLETE);
}

static void test_block_block1_retransmitted_block_idempotent(void **state)
{
    static table t;
    tether_peer peer = peer_n(6);
    tether_block1_rx_result res, again;
    tether_block1_rx_stats st;
    uint8_t body[16 * 2 + 7];
    wire w;
    (void)state;

    fill_pattern(body, sizeof(body), 66);
    table_init(&t, 2, 1024, 247000, 6);
    block1_put(&w, "a", 0, 1, 0, body, 16);
    assert_int_equal(tether_block1_rx_feed(t.rx, 0, &peer, &w.msg, &res), 0);
    block1_put(&w, "a", 1, 1, 0, body + 16, 16);
    assert_int_equal(tether_block1_rx_feed(t.rx, 1, &peer, &w.msg, &res), 0);
    /* Our 2.31 was lost; the same block again (with a new token). */
    w.msg.token[0] ^= 0x55;
    assert_int_equal(tether_block1_rx_feed(t.rx, 2, &peer, &w.msg, &again), 0);
    assert_memory_equal(&res, &again, sizeof(res));
    /* Even an older block is acknowledged again without harm. */
    block1_put(&w, "a", 1, 1, 0, body + 16, 16);
    assert_int_equal(tether_block1_rx_feed(t.rx, 3, &peer, &w.msg, &again), 0);
    assert_int_equal(again.status, TETHER_BLOCK1_CONTINUE);

    block1_put(&w, "a", 2, 0, 0, body + 32, 7);
    assert_int_equal(tether_block1_rx_feed(t.rx, 4, &peer, &w.msg, &res), 0);
    assert_int_equal(res.status, TETHER_BLOCK1_COMPLETE);
    assert_int_equal(res.body_len, sizeof(body));
    assert_memory_equal(res.body, body, sizeof(body));
    /* The final block repeated: the same completion, counted once. */
    assert_int_equal(tether_block1_rx_feed(t.rx, 5, &peer, &w.msg, &again), 0);
    assert_memory_equal(&res, &again, sizeof(res));
    tether_block1_rx_get_stats(t.rx, 5, &st);
    assert_int_equal(st.completed, 1);
    assert_int_equal(st.in_use, 1);
    /* A block that contradicts the finished body (M=1 where it ended, data
     * past its end) is refused; the body the caller holds stays intact. */
    {
        wire w2;
        block1_put(&w2, "a", 2, 1, 0, body, 16); /* contents irrelevant */
        assert_int_equal(tether_block1_rx_feed(t.rx, 5, &peer, &w2.msg, &again),
                         TETHER_ERR_BLOCK_INCOMPLETE);
        block1_put(&w2, "a", 4, 0, 0, body, 1);
        assert_int_equal(tether_block1_rx_feed(t.rx, 5, &peer, &w2.msg, &again),
                         TETHER_ERR_BLOCK_INCOMPLETE);
        assert_int_equal(tether_block1_rx_feed(t.rx, 5, &peer, &w.msg, &again), 0);
        assert_memory_equal(&res, &again, sizeof(res));
        assert_memory_equal(res.body, body, sizeof(body));
        /* Body of exactly two blocks: its last block again with M=1. */
        block1_put(&w2, "b", 0, 1, 0, body, 16);
        assert_int_equal(tether_block1_rx_feed(t.rx, 5, &peer, &w2.msg, &again), 0);
        block1_put(&w2, "b", 1, 0, 0, body + 16, 16);
        assert_int_equal(tether_block1_rx_feed(t.rx, 5, &peer, &w2.msg, &again), 0);
        assert_int_equal(again.status, TETHER_BLOCK1_COMPLETE);
        block1_put(&w2, "b", 1, 1, 0, body + 16, 16);
        assert_int_equal(tether_block1_rx_feed(t.rx, 5, &peer, &w2.msg, &again),
                         TETHER_ERR_BLOCK_INCOMPLETE);
        tether_block1_rx_release(t.rx, again.slot);
    }
    /* Released: the view is gone and the final block no longer matches. */
    tether_block1_rx_release(t.rx, res.slot);
    tether_block1_rx_get_stats(t.rx, 5, &st);
    assert_int_equal(st.in_use, 0);
    assert_int_equal(tether_block1_rx_feed(t.rx, 6, &peer, &w.msg, &again),
                     TETHER_ERR_BLOCK_INCOMPLETE);
}

static void test_block_block1_bad_option_4_00(void **state)
{
    static table t;
    tether_peer peer = peer_n(7);
    tether_block1_rx_result res;
    tether_coap_builder b;
    uint8_t body[64] = {0};
    wire w;
    uint8_t tok = 1;
    const uint8_t szx7 = 0x07, four[] = {0, 0, 0, 0x08};
    (void)state;

    table_init(&t, 2, 1024, 247000, 6);
    /* SZX 7 (RFC 7959 §2.2: 4.00 Bad Request). */
    tether_coap_build_init(&b, w.buf, sizeof(w.buf), TETHER_COAP_CON, TETHER_COAP_PUT, 1, &tok, 1);
    tether_coap_build_opt(&b, TETHER_COAP_OPT_BLOCK1, &szx7, 1);
    tether_coap_build_payload(&b, body, 16);
    assert_int_equal(tether_coap_build_finish(&b, &w.len), 0);
    assert_int_equal(tether_coap_parse(&w.msg, w.buf, w.len), 0);
    assert_int_equal(tether_block1_rx_feed(t.rx, 0, &peer, &w.msg, &res), TETHER_ERR_MALFORMED);
    assert_int_equal(tether_block_answer_code(TETHER_ERR_MALFORMED), TETHER_COAP_BAD_REQUEST);
    /* A 4-byte Block1. */
    tether_coap_build_init(&b, w.buf, sizeof(w.buf), TETHER_COAP_CON, TETHER_COAP_PUT, 1, &tok, 1);
    tether_coap_build_opt(&b, TETHER_COAP_OPT_BLOCK1, four, sizeof(four));
    tether_coap_build_payload(&b, body, 16);
    assert_int_equal(tether_coap_build_finish(&b, &w.len), 0);
    assert_int_equal(tether_coap_parse(&w.msg, w.buf, w.len), 0);
    assert_int_equal(tether_block1_rx_feed(t.rx, 0, &peer, &w.msg, &res), TETHER_ERR_MALFORMED);
    /* M=1 with a payload shorter or longer than its block; M=0 longer. */
    block1_put(&w, "a", 0, 1, 1, body, 31);
    assert_int_equal(tether_block1_rx_feed(t.rx, 0, &peer, &w.msg, &res), TETHER_ERR_MALFORMED);
    block1_put(&w, "a", 0, 1, 1, body, 33);
    assert_int_equal(tether_block1_rx_feed(t.rx, 0, &peer, &w.msg, &res), TETHER_ERR_MALFORMED);
    block1_put(&w, "a", 0, 0, 1, body, 33);
    assert_int_equal(tether_block1_rx_feed(t.rx, 0, &peer, &w.msg, &res), TETHER_ERR_MALFORMED);
    /* No Block1 at all: an ordinary request, not ours. */
    {
        req_spec r = {TETHER_COAP_PUT, "a", NULL, NULL, NULL, -1, -1, body, 10, 1};
        build_req(&w, &r);
        assert_int_equal(tether_block1_rx_feed(t.rx, 0, &peer, &w.msg, &res),
                         TETHER_ERR_NOT_FOUND);
    }
}

/* Tokens change per block; peer, method, Uri-Path and Uri-Query pick the
 * transfer. Interleave five transfers that differ in one element each. */
static void test_block_block1_keyed_by_target_not_token(void **state)
{
    static table t;
    tether_peer p1 = peer_n(10), p2 = peer_n(11);
    tether_block1_rx_result res;
    uint8_t body[5][48];
    struct {
        const tether_peer *peer;
        uint8_t code;
        const char *path, *query;
    } xfer[5] = {
        {&p1, TETHER_COAP_POST, "rd", "ep=a"},
        {&p2, TETHER_COAP_POST, "rd", "ep=a"},
        {&p1, TETHER_COAP_PUT, "rd", "ep=a"},
        {&p1, TETHER_COAP_POST, "rd", "ep=b"},
        {&p1, TETHER_COAP_POST, "r/d", "ep=a"},
    };
    wire w;
    (void)state;

    table_init(&t, 5, 64, 247000, 6);
    for (int blk = 0; blk < 3; blk++) {
        for (int i = 0; i < 5; i++) {
            tether_coap_block b1 = {(uint32_t)blk, blk < 2, 0};
            req_spec r = {xfer[i].code, xfer[i].path, xfer[i].query, &b1, NULL, -1, -1,
                          body[i] + 16 * blk, 16, (uint8_t)(blk * 16 + i)};
            if (blk == 0)
                fill_pattern(body[i], sizeof(body[i]), (uint32_t)(100 + i));
            build_req(&w, &r);
            assert_int_equal(tether_block1_rx_feed(t.rx, 0, xfer[i].peer, &w.msg, &res), 0);
            if (blk == 2) {
                assert_int_equal(res.status, TETHER_BLOCK1_COMPLETE);
                assert_int_equal(res.body_len, 48);
                assert_memory_equal(res.body, body[i], 48);
            }
        }
    }
}

static void test_block_block1_slot_expiry(void **state)
{
    static table t;
    tether_peer peer = peer_n(12);
    tether_block1_rx_result res;
    tether_block1_rx_stats st;
    uint8_t body[64] = {0};
    wire w;
    (void)state;

    table_init(&t, 1, 256, 1000, 6);
    block1_put(&w, "a", 0, 1, 0, body, 16);
    assert_int_equal(tether_block1_rx_feed(t.rx, 5000, &peer, &w.msg, &res), 0);
    block1_put(&w, "a", 1, 1, 0, body, 16);
    assert_int_equal(tether_block1_rx_feed(t.rx, 5999, &peer, &w.msg, &res), 0); /* just in time */
    tether_block1_rx_get_stats(t.rx, 6998, &st);
    assert_int_equal(st.in_use, 1);
    tether_block1_rx_get_stats(t.rx, 6999, &st);
    assert_int_equal(st.in_use, 0);
    block1_put(&w, "a", 2, 0, 0, body, 3);
    assert_int_equal(tether_block1_rx_feed(t.rx, 6999, &peer, &w.msg, &res),
                     TETHER_ERR_BLOCK_INCOMPLETE);
    tether_block1_rx_get_stats(t.rx, 6999, &st);
    assert_int_equal(st.expired, 1);
    assert_int_equal(st.evicted, 0);
}

static void test_block_block1_slot_eviction_oldest(void **state)
{
    static table t;
    tether_peer pa = peer_n(20), pb = peer_n(21), pc = peer_n(22), pd = peer_n(23);
    tether_block1_rx_result res;
    tether_block1_rx_stats st;
    uint8_t body[64] = {0};
    wire w;
    (void)state;

    table_init(&t, 2, 256, 247000, 6);
    block1_put(&w, "a", 0, 1, 0, body, 16);
    assert_int_equal(tether_block1_rx_feed(t.rx, 10, &pa, &w.msg, &res), 0);
    assert_int_equal(tether_block1_rx_feed(t.rx, 20, &pb, &w.msg, &res), 0);
    block1_put(&w, "a", 1, 1, 0, body, 16);
    assert_int_equal(tether_block1_rx_feed(t.rx, 30, &pa, &w.msg, &res), 0); /* a is fresher now */
    block1_put(&w, "a", 0, 1, 0, body, 16);
    assert_int_equal(tether_block1_rx_feed(t.rx, 40, &pc, &w.msg, &res), 0); /* evicts b */
    tether_block1_rx_get_stats(t.rx, 40, &st);
    assert_int_equal(st.evicted, 1);
    assert_int_equal(st.in_use, 2);
    block1_put(&w, "a", 1, 1, 0, body, 16);
    assert_int_equal(tether_block1_rx_feed(t.rx, 50, &pb, &w.msg, &res),
                     TETHER_ERR_BLOCK_INCOMPLETE);
    block1_put(&w, "a", 2, 0, 0, body, 16);
    assert_int_equal(tether_block1_rx_feed(t.rx, 60, &pa, &w.msg, &res), 0);
    assert_int_equal(res.status, TETHER_BLOCK1_COMPLETE);
    /* a is complete but unreleased, c is older and in progress: a completed
     * slot is taken first. */
    block1_put(&w, "a", 0, 1, 0, body, 16);
    assert_int_equal(tether_block1_rx_feed(t.rx, 70, &pd, &w.msg, &res), 0);
    block1_put(&w, "a", 1, 0, 0, body, 4);
    assert_int_equal(tether_block1_rx_feed(t.rx, 80, &pc, &w.msg, &res), 0);
    assert_int_equal(res.status, TETHER_BLOCK1_COMPLETE);
    assert_int_equal(res.body_len, 20);
    assert_int_equal(tether_block1_rx_feed(t.rx, 90, &pd, &w.msg, &res), 0);
    assert_int_equal(res.body_len, 20);
    tether_block1_rx_get_stats(t.rx, 90, &st);
    assert_int_equal(st.evicted, 2);
    assert_int_equal(st.completed, 3);

    /* Again with the completed slot second in the table and the older
     * in-progress one first: the completed one still goes. */
    table_init(&t, 2, 256, 247000, 6);
    block1_put(&w, "a", 0, 1, 0, body, 16);
    assert_int_equal(tether_block1_rx_feed(t.rx, 10, &pa, &w.msg, &res), 0);
    assert_int_equal(res.slot, 0);
    assert_int_equal(tether_block1_rx_feed(t.rx, 20, &pb, &w.msg, &res), 0);
    assert_int_equal(res.slot, 1);
    block1_put(&w, "a", 1, 0, 0, body, 4);
    assert_int_equal(tether_block1_rx_feed(t.rx, 30, &pb, &w.msg, &res), 0);
    assert_int_equal(res.status, TETHER_BLOCK1_COMPLETE);
    block1_put(&w, "a", 0, 1, 0, body, 16);
    assert_int_equal(tether_block1_rx_feed(t.rx, 40, &pc, &w.msg, &res), 0);
    assert_int_equal(res.slot, 1);
    block1_put(&w, "a", 1, 0, 0, body, 4);
    assert_int_equal(tether_block1_rx_feed(t.rx, 50, &pa, &w.msg, &res), 0);
    assert_int_equal(res.body_len, 20);
}

static void test_block_block1_single_block_takes_no_slot(void **state)
{
    static table t;
    tether_peer pa = peer_n(30), pb = peer_n(31);
    tether_block1_rx_result res;
    tether_block1_rx_stats st;
    uint8_t body[64];
    wire w;
    (void)state;

    fill_pattern(body, sizeof(body), 30);
    table_init(&t, 1, 256, 247000, 6);
    block1_put(&w, "a", 0, 1, 0, body, 16);
    assert_int_equal(tether_block1_rx_feed(t.rx, 0, &pa, &w.msg, &res), 0);
    block1_put(&w, "a", 0, 0, 2, body, 50);
    assert_int_equal(tether_block1_rx_feed(t.rx, 1, &pb, &w.msg, &res), 0);
    assert_int_equal(res.status, TETHER_BLOCK1_COMPLETE);
    assert_int_equal(res.slot, -1);
    assert_ptr_equal(res.body, w.msg.payload);
    assert_int_equal(res.body_len, 50);
    assert_block(&res.block1, 0, 0, 2);
    tether_block1_rx_get_stats(t.rx, 1, &st);
    assert_int_equal(st.evicted, 0);
    block1_put(&w, "a", 1, 0, 0, body + 16, 3);
    assert_int_equal(tether_block1_rx_feed(t.rx, 2, &pa, &w.msg, &res), 0);
    assert_int_equal(res.body_len, 19);
    assert_memory_equal(res.body, body, 19);
    tether_block1_rx_release(t.rx, -1); /* harmless */
    tether_block1_rx_release(t.rx, 99);
    tether_block1_rx_release_peer(t.rx, &pa);
    tether_block1_rx_get_stats(t.rx, 2, &st);
    assert_int_equal(st.in_use, 0);
}

static void test_block_block1_init_rejects_bad_config(void **state)
{
    static table t;
    tether_block1_rx_config cfg;
    tether_block1_rx *rx = (tether_block1_rx *)(uintptr_t)1;
    (void)state;

    assert_int_equal(tether_block1_rx_mem_size(0, 10), 0);
    assert_int_equal(tether_block1_rx_mem_size(4, 0), 0);
    assert_int_equal(tether_block1_rx_mem_size(2, SIZE_MAX / 2), 0);
    tether_block1_rx_config_default(&cfg);
    assert_int_equal(tether_block1_rx_init(&rx, t.mem, tether_block1_rx_mem_size(4, 4096) - 1,
                                           &cfg),
                     TETHER_ERR_NOMEM);
    cfg.szx = 7;
    assert_int_equal(tether_block1_rx_init(&rx, t.mem, sizeof(t.mem), &cfg), TETHER_ERR_INVAL);
    assert_ptr_equal(rx, (tether_block1_rx *)(uintptr_t)1);
}

/* ---- Block1 sending ------------------------------------------------------- */

static void test_block_block1_tx_small_body_plain_request(void **state)
{
    tether_block1_tx tx;
    tether_block1_tx_block blk;
    tether_coap_builder b;
    uint8_t body[64], out[128];
    size_t len;
    wire a;
    int more = 7;
    (void)state;

    fill_pattern(body, sizeof(body), 1);
    assert_int_equal(tether_block1_tx_init(&tx, body, 64, 2), 0); /* exactly one 64 block */
    assert_int_equal(tether_block1_tx_next(&tx, &blk), 0);
    assert_false(blk.use_block1);
    assert_int_equal(blk.len, 64);
    uint8_t tok = 0;
    tether_coap_build_init(&b, out, sizeof(out), TETHER_COAP_CON, TETHER_COAP_POST, 1, &tok, 1);
    assert_int_equal(tether_block1_tx_write(&tx, &b), 0);
    assert_int_equal(tether_coap_build_finish(&b, &len), 0);
    assert_int_equal(len, 4 + 1 + 1 + 64); /* no options: header, token, marker, body */
    assert_int_equal(out[5], 0xFF);
    /* A 2.31 to a plain request makes no sense. */
    plain_response(&a, TETHER_COAP_CONTINUE, &(tether_coap_block){0, 1, 2}, -1);
    assert_int_equal(tether_block1_tx_on_response(&tx, &a.msg, &more), TETHER_ERR_MALFORMED);
    assert_int_equal(more, 7);
    assert_int_equal(tether_block1_tx_next(&tx, &blk), TETHER_ERR_STATE);

    /* Empty body; and the final answer is whatever the server said. */
    assert_int_equal(tether_block1_tx_init(&tx, NULL, 0, 6), 0);
    assert_int_equal(tether_block1_tx_next(&tx, &blk), 0);
    assert_int_equal(blk.len, 0);
    plain_response(&a, TETHER_COAP_FORBIDDEN, NULL, -1);
    assert_int_equal(tether_block1_tx_on_response(&tx, &a.msg, &more), 0);
    assert_int_equal(more, 0);

    assert_int_equal(tether_block1_tx_init(&tx, NULL, 5, 6), TETHER_ERR_INVAL);
    assert_int_equal(tether_block1_tx_init(&tx, body, 5, 7), TETHER_ERR_INVAL);
}

static void test_block_block1_tx_writes_block1_and_size1(void **state)
{
    tether_block1_tx tx;
    tether_coap_builder b;
    uint8_t body[40], out[128];
    size_t len;
    wire a;
    int more;
    uint8_t tok = 0xAB;
    /* POST /rd, Block1 0/1/16 (0x08), Size1 40 (0x28), then 16 bytes. */
    const uint8_t head[] = {0x41, 0x02, 0x00, 0x01, 0xAB, 0xB2, 'r', 'd',
                            0xD1, 0x03, 0x08, 0xD1, 0x14, 0x28, 0xFF};
    (void)state;

    fill_pattern(body, sizeof(body), 2);
    assert_int_equal(tether_block1_tx_init(&tx, body, sizeof(body), 0), 0);
    tether_coap_build_init(&b, out, sizeof(out), TETHER_COAP_CON, TETHER_COAP_POST, 1, &tok, 1);
    tether_coap_build_path(&b, TETHER_COAP_OPT_URI_PATH, "rd");
    assert_int_equal(tether_block1_tx_write(&tx, &b), 0);
    assert_int_equal(tether_coap_build_finish(&b, &len), 0);
    assert_int_equal(len, sizeof(head) + 16);
    assert_memory_equal(out, head, sizeof(head));
    assert_memory_equal(out + sizeof(head), body, 16);

    plain_response(&a, TETHER_COAP_CONTINUE, &(tether_coap_block){0, 1, 0}, -1);
    assert_int_equal(tether_block1_tx_on_response(&tx, &a.msg, &more), 0);
    assert_int_equal(more, 1);
    /* Block 1: Block1 1/1/16 (0x18), no Size1. */
    tether_coap_build_init(&b, out, sizeof(out), TETHER_COAP_CON, TETHER_COAP_POST, 2, &tok, 1);
    tether_coap_build_path(&b, TETHER_COAP_OPT_URI_PATH, "rd");
    assert_int_equal(tether_block1_tx_write(&tx, &b), 0);
    assert_int_equal(tether_coap_build_finish(&b, &len), 0);
    assert_int_equal(len, 8 + 3 + 1 + 16);
    assert_int_equal(out[10], 0x18);
    assert_int_equal(out[11], 0xFF);
}

static void test_block_block1_tx_4_13_retry_smaller_or_fail(void **state)
{
    tether_block1_tx tx;
    tether_block1_tx_block blk;
    uint8_t body[300];
    wire a;
    int more = 5;
    (void)state;

    fill_pattern(body, sizeof(body), 3);
    /* Sent plain (fits 512); the server wants 64-byte blocks: start over. */
    assert_int_equal(tether_block1_tx_init(&tx, body, sizeof(body), 5), 0);
    assert_int_equal(tether_block1_tx_next(&tx, &blk), 0);
    assert_false(blk.use_block1);
    plain_response(&a, TETHER_COAP_REQUEST_ENTITY_TOO_LARGE, &(tether_coap_block){0, 0, 2}, -1);
    assert_int_equal(tether_block1_tx_on_response(&tx, &a.msg, &more), 0);
    assert_int_equal(more, 1);
    assert_int_equal(tether_block1_tx_next(&tx, &blk), 0);
    assert_true(blk.use_block1);
    assert_int_equal(blk.offset, 0);
    assert_int_equal(blk.len, 64);
    assert_block(&blk.block1, 0, 1, 2);
    /* Mid-way, 4.13 again with an even smaller size: start over again. */
    plain_response(&a, TETHER_COAP_CONTINUE, &(tether_coap_block){0, 1, 2}, -1);
    assert_int_equal(tether_block1_tx_on_response(&tx, &a.msg, &more), 0);
    plain_response(&a, TETHER_COAP_REQUEST_ENTITY_TOO_LARGE, &(tether_coap_block){1, 0, 1}, -1);
    assert_int_equal(tether_block1_tx_on_response(&tx, &a.msg, &more), 0);
    assert_int_equal(tether_block1_tx_next(&tx, &blk), 0);
    assert_block(&blk.block1, 0, 1, 1);
    /* Same size again: no progress possible, fail. */
    more = 5;
    plain_response(&a, TETHER_COAP_REQUEST_ENTITY_TOO_LARGE, &(tether_coap_block){0, 0, 1}, -1);
    assert_int_equal(tether_block1_tx_on_response(&tx, &a.msg, &more), TETHER_ERR_TOO_LARGE);
    assert_int_equal(more, 5);

    /* Size1 only: the whole body is too big for the server. */
    assert_int_equal(tether_block1_tx_init(&tx, body, sizeof(body), 2), 0);
    plain_response(&a, TETHER_COAP_REQUEST_ENTITY_TOO_LARGE, NULL, 200);
    assert_int_equal(tether_block1_tx_on_response(&tx, &a.msg, &more), TETHER_ERR_TOO_LARGE);
    assert_int_equal(tether_block1_tx_next(&tx, &blk), TETHER_ERR_STATE);

    /* 4.08: fail. */
    assert_int_equal(tether_block1_tx_init(&tx, body, sizeof(body), 2), 0);
    plain_response(&a, TETHER_COAP_CONTINUE, &(tether_coap_block){0, 1, 2}, -1);
    assert_int_equal(tether_block1_tx_on_response(&tx, &a.msg, &more), 0);
    plain_response(&a, TETHER_COAP_REQUEST_ENTITY_INCOMPLETE, NULL, -1);
    assert_int_equal(tether_block1_tx_on_response(&tx, &a.msg, &more),
                     TETHER_ERR_BLOCK_INCOMPLETE);

    /* 2.31 with no Block1: malformed. */
    assert_int_equal(tether_block1_tx_init(&tx, body, sizeof(body), 2), 0);
    plain_response(&a, TETHER_COAP_CONTINUE, NULL, -1);
    assert_int_equal(tether_block1_tx_on_response(&tx, &a.msg, &more), TETHER_ERR_MALFORMED);
}

/* A non-atomic server acts on each block and answers 2.04 with Block1. */
static void test_block_block1_tx_non_atomic_server(void **state)
{
    tether_block1_tx tx;
    tether_block1_tx_block blk;
    uint8_t body[40];
    wire a;
    int more;
    (void)state;

    fill_pattern(body, sizeof(body), 8);
    assert_int_equal(tether_block1_tx_init(&tx, body, sizeof(body), 0), 0);
    for (uint32_t n = 0; n < 3; n++) {
        assert_int_equal(tether_block1_tx_next(&tx, &blk), 0);
        assert_int_equal(blk.block1.num, n);
        plain_response(&a, TETHER_COAP_CHANGED, &(tether_coap_block){n, 0, 0}, -1);
        assert_int_equal(tether_block1_tx_on_response(&tx, &a.msg, &more), 0);
        assert_int_equal(more, n < 2);
    }
}

/* Our sender against our reassembler, every SZX pair, many sizes, random
 * contents and tokens: the reassembled body is the sent body. */
static void test_block_block1_roundtrip_random(void **state)
{
    static table t;
    static uint8_t body[6000];
    tether_peer peer = peer_n(40);
    uint32_t seed = 12345;
    const size_t sizes[] = {0, 1, 15, 16, 17, 63, 64, 65, 1023, 1024, 1025, 2048, 4095, 4096};
    (void)state;

    for (uint8_t rx_szx = 0; rx_szx <= 6; rx_szx++) {
        table_init(&t, 2, 4096, 247000, rx_szx);
        for (uint8_t tx_szx = 0; tx_szx <= 6; tx_szx++) {
            for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]) + 6; k++) {
                tether_block1_tx tx;
                tether_block1_tx_block blk;
                tether_block1_rx_result res;
                size_t len;
                int more = 1, rounds = 0;
                wire w, a;

                seed = seed * 1664525u + 1013904223u;
                len = k < sizeof(sizes) / sizeof(sizes[0]) ? sizes[k] : seed % 4097;
                fill_pattern(body, len, seed);
                assert_int_equal(tether_block1_tx_init(&tx, body, len, tx_szx), 0);
                memset(&res, 0, sizeof(res));
                while (more) {
                    assert_true(++rounds <= 300);
                    assert_int_equal(tether_block1_tx_next(&tx, &blk), 0);
                    if (!blk.use_block1) {
                        /* Plain request: the engine uses the payload as is. */
                        assert_int_equal(blk.len, len);
                        res.status = TETHER_BLOCK1_COMPLETE;
                        res.body = blk.data;
                        res.body_len = blk.len;
                        res.slot = -1;
                        plain_response(&a, TETHER_COAP_CHANGED, NULL, -1);
                    } else {
                        tether_coap_block b1 = blk.block1;
                        req_spec r = {TETHER_COAP_PUT, "5/0/1", "x=1", &b1, NULL,
                                      blk.send_size1 ? (long)blk.size1 : -1, -1, blk.data,
                                      blk.len, (uint8_t)(seed + (uint32_t)rounds)};
                        build_req(&w, &r);
                        assert_int_equal(tether_block1_rx_feed(t.rx, 0, &peer, &w.msg, &res), 0);
                        answer_block1(&a,
                                      res.status == TETHER_BLOCK1_CONTINUE ? TETHER_COAP_CONTINUE
                                                                           : TETHER_COAP_CHANGED,
                                      &res);
                    }
                    assert_int_equal(tether_block1_tx_on_response(&tx, &a.msg, &more), 0);
                    assert_int_equal(more, res.status == TETHER_BLOCK1_CONTINUE);
                }
                assert_int_equal(res.status, TETHER_BLOCK1_COMPLETE);
                assert_int_equal(res.body_len, len);
                if (len > 0)
                    assert_memory_equal(res.body, body, len);
                tether_block1_rx_release(t.rx, res.slot);
            }
        }
    }
}

/* ---- Block2 slicing ------------------------------------------------------- */

static void get_req(wire *w, const tether_coap_block *b2, long size2)
{
    req_spec r = {TETHER_COAP_GET, "status", NULL, NULL, b2, -1, size2, NULL, 0, 1};
    build_req(w, &r);
}

/* RFC 7959 §3.1, figure 2: a plain GET, the server picks 128-byte blocks
 * (its datagram room), the client follows with NUM 1, 2. */
static void test_block_rfc7959_fig2_block2_simple_get(void **state)
{
    tether_block2_slice s;
    wire w;
    (void)state;

    get_req(&w, NULL, -1);
    assert_int_equal(tether_block2_slice_get(&w.msg, 380, 200, 6, &s), 0);
    assert_true(s.use_block2);
    assert_block(&s.block2, 0, 1, 3);
    assert_int_equal(s.offset, 0);
    assert_int_equal(s.len, 128);
    assert_true(s.send_size2);
    assert_int_equal(s.size2, 380);
    get_req(&w, &(tether_coap_block){1, 0, 3}, -1);
    assert_int_equal(tether_block2_slice_get(&w.msg, 380, 200, 6, &s), 0);
    assert_block(&s.block2, 1, 1, 3);
    assert_int_equal(s.offset, 128);
    assert_false(s.send_size2);
    get_req(&w, &(tether_coap_block){2, 0, 3}, -1);
    assert_int_equal(tether_block2_slice_get(&w.msg, 380, 200, 6, &s), 0);
    assert_block(&s.block2, 2, 0, 3);
    assert_int_equal(s.offset, 256);
    assert_int_equal(s.len, 124);
}

/* RFC 7959 §3.1, figure 3: early negotiation -- the first GET carries
 * 2:0/0/64 and every answer is 64 bytes, 2:0/1/64 .. 2:4/0/64. Driven by
 * our Block2 receiver, the bytes on the wire of the first answer checked. */
static void test_block_rfc7959_fig3_block2_early_negotiation(void **state)
{
    static uint8_t body[300], got[1024];
    tether_block2_rx rx;
    tether_block2_rx_result res;
    tether_coap_block ask;
    tether_block2_slice s;
    tether_coap_builder b;
    wire w, a;
    uint8_t tok = 1;
    int n = 0;
    (void)state;

    fill_pattern(body, sizeof(body), 3);
    assert_int_equal(tether_block2_rx_init(&rx, got, sizeof(got), 2), 0);
    assert_int_equal(tether_block2_rx_next(&rx, &ask), 0);
    assert_block(&ask, 0, 0, 2);
    for (;;) {
        get_req(&w, &ask, -1);
        assert_int_equal(tether_block2_slice_get(&w.msg, sizeof(body), 1000, 6, &s), 0);
        assert_block(&s.block2, (uint32_t)n, n < 4, 2);
        tether_coap_build_init(&b, a.buf, sizeof(a.buf), TETHER_COAP_ACK, TETHER_COAP_CONTENT,
                               0x1234, &tok, 1);
        assert_int_equal(tether_block2_slice_write(&s, body, &b), 0);
        assert_int_equal(tether_coap_build_finish(&b, &a.len), 0);
        if (n == 0) {
            /* 2.05, Block2 (23) 0/1/64 = 0x0A, Size2 (28) 300 = 0x012C. */
            const uint8_t head[] = {0x61, 0x45, 0x12, 0x34, 0x01, 0xD1, 0x0A,
                                    0x0A, 0x52, 0x01, 0x2C, 0xFF};
            assert_int_equal(a.len, sizeof(head) + 64);
            assert_memory_equal(a.buf, head, sizeof(head));
            assert_memory_equal(a.buf + sizeof(head), body, 64);
        }
        assert_int_equal(tether_coap_parse(&a.msg, a.buf, a.len), 0);
        assert_int_equal(tether_block2_rx_feed(&rx, &a.msg, &res), 0);
        n++;
        if (res.complete)
            break;
        ask = res.next;
    }
    assert_int_equal(n, 5);
    assert_int_equal(res.len, sizeof(body));
    assert_memory_equal(got, body, sizeof(body));
    assert_int_equal(tether_block2_rx_next(&rx, &ask), TETHER_ERR_STATE);
    assert_int_equal(tether_block2_rx_feed(&rx, &a.msg, &res), TETHER_ERR_STATE);
}

/* RFC 7959 §3.1, figure 4: late negotiation -- block 0 came at 128, the
 * client asks 2:2/0/64 (byte 128) and continues in 64s to 2:5/0/64. */
static void test_block_rfc7959_fig4_block2_late_negotiation(void **state)
{
    static uint8_t body[380], got[512];
    tether_block2_rx rx;
    tether_block2_rx_result res;
    tether_block2_slice s;
    tether_coap_builder b;
    wire w, a;
    uint8_t tok = 1;
    (void)state;

    fill_pattern(body, sizeof(body), 4);
    assert_int_equal(tether_block2_rx_init(&rx, got, sizeof(got), 6), 0);
    get_req(&w, NULL, -1);
    assert_int_equal(tether_block2_slice_get(&w.msg, sizeof(body), 128, 6, &s), 0);
    assert_block(&s.block2, 0, 1, 3);
    tether_coap_build_init(&b, a.buf, sizeof(a.buf), TETHER_COAP_ACK, TETHER_COAP_CONTENT, 1,
                           &tok, 1);
    tether_block2_slice_write(&s, body, &b);
    assert_int_equal(tether_coap_build_finish(&b, &a.len), 0);
    assert_int_equal(tether_coap_parse(&a.msg, a.buf, a.len), 0);
    assert_int_equal(tether_block2_rx_feed(&rx, &a.msg, &res), 0);
    assert_block(&res.next, 1, 0, 3);
    /* The client decides on 64 now: same byte offset 128, so NUM 2. The
     * receiver only checks offsets, so it follows whatever was asked. */
    res.next = (tether_coap_block){2, 0, 2};
    for (uint32_t n = 2; n <= 5; n++) {
        get_req(&w, &res.next, -1);
        assert_int_equal(tether_block2_slice_get(&w.msg, sizeof(body), 128, 6, &s), 0);
        assert_block(&s.block2, n, n < 5, 2);
        tether_coap_build_init(&b, a.buf, sizeof(a.buf), TETHER_COAP_ACK, TETHER_COAP_CONTENT,
                               1, &tok, 1);
        tether_block2_slice_write(&s, body, &b);
        assert_int_equal(tether_coap_build_finish(&b, &a.len), 0);
        assert_int_equal(tether_coap_parse(&a.msg, a.buf, a.len), 0);
        assert_int_equal(tether_block2_rx_feed(&rx, &a.msg, &res), 0);
    }
    assert_true(res.complete);
    assert_int_equal(res.len, sizeof(body));
    assert_memory_equal(got, body, sizeof(body));
}

/* Bodies of k*size, k*size+1 and 0, at and around every boundary. */
static void test_block_block2_slice_exact_boundaries(void **state)
{
    tether_block2_slice s;
    wire w;
    (void)state;

    /* Fits the room, no Block2 in the request: no Block2 in the answer. */
    get_req(&w, NULL, -1);
    assert_int_equal(tether_block2_slice_get(&w.msg, 64, 64, 6, &s), 0);
    assert_false(s.use_block2);
    assert_int_equal(s.len, 64);
    assert_int_equal(tether_block2_slice_get(&w.msg, 0, 64, 6, &s), 0);
    assert_false(s.use_block2);
    assert_int_equal(s.len, 0);
    assert_false(s.send_size2);
    /* One byte over the room: block-wise, 64-byte blocks, M=1 then 1 byte. */
    assert_int_equal(tether_block2_slice_get(&w.msg, 65, 64, 6, &s), 0);
    assert_true(s.use_block2);
    assert_block(&s.block2, 0, 1, 2);
    assert_int_equal(s.len, 64);
    get_req(&w, &(tether_coap_block){1, 0, 2}, -1);
    assert_int_equal(tether_block2_slice_get(&w.msg, 65, 64, 6, &s), 0);
    assert_block(&s.block2, 1, 0, 2);
    assert_int_equal(s.offset, 64);
    assert_int_equal(s.len, 1);
    /* k*size: the last block is full and has M=0; NUM k is past the end. */
    get_req(&w, &(tether_coap_block){2, 0, 2}, -1);
    assert_int_equal(tether_block2_slice_get(&w.msg, 192, 64, 6, &s), 0);
    assert_block(&s.block2, 2, 0, 2);
    assert_int_equal(s.len, 64);
    get_req(&w, &(tether_coap_block){3, 0, 2}, -1);
    memset(&s, 0xA5, sizeof(s));
    assert_int_equal(tether_block2_slice_get(&w.msg, 192, 64, 6, &s), TETHER_ERR_BAD_OPTION);
    assert_int_equal(((uint8_t *)&s)[0], 0xA5); /* untouched */
    assert_int_equal(tether_block_answer_code(TETHER_ERR_BAD_OPTION), TETHER_COAP_BAD_OPTION);
    /* k*size+1: NUM k carries the single last byte. */
    assert_int_equal(tether_block2_slice_get(&w.msg, 193, 64, 6, &s), 0);
    assert_block(&s.block2, 3, 0, 2);
    assert_int_equal(s.len, 1);
    /* Empty body asked with Block2 NUM 0: an empty block, M=0. */
    get_req(&w, &(tether_coap_block){0, 0, 2}, -1);
    assert_int_equal(tether_block2_slice_get(&w.msg, 0, 64, 6, &s), 0);
    assert_true(s.use_block2);
    assert_block(&s.block2, 0, 0, 2);
    assert_int_equal(s.len, 0);
    get_req(&w, &(tether_coap_block){1, 0, 2}, -1);
    assert_int_equal(tether_block2_slice_get(&w.msg, 0, 64, 6, &s), TETHER_ERR_BAD_OPTION);
    /* Block2 in the request: always answered with Block2, even if it fits. */
    get_req(&w, &(tether_coap_block){0, 0, 6}, -1);
    assert_int_equal(tether_block2_slice_get(&w.msg, 10, 1024, 6, &s), 0);
    assert_true(s.use_block2);
    assert_block(&s.block2, 0, 0, 6);
    /* Room too small for even 16 bytes. */
    get_req(&w, NULL, -1);
    assert_int_equal(tether_block2_slice_get(&w.msg, 100, 15, 6, &s), TETHER_ERR_NOSPACE);
}

/* The client asks for 1024-byte block 1; we can only fit 256: same byte
 * offset 1024, so NUM 4 at 256 bytes. And a bad Block2 is 4.00. */
static void test_block_block2_slice_rescales_num(void **state)
{
    tether_block2_slice s;
    tether_coap_builder b;
    const uint8_t szx7 = 0x17;
    uint8_t tok = 1;
    wire w;
    (void)state;

    get_req(&w, &(tether_coap_block){1, 0, 6}, -1);
    assert_int_equal(tether_block2_slice_get(&w.msg, 3000, 300, 6, &s), 0);
    assert_block(&s.block2, 4, 1, 4);
    assert_int_equal(s.offset, 1024);
    assert_int_equal(s.len, 256);
    assert_int_equal(tether_block2_slice_get(&w.msg, 3000, 300, 3, &s), 0);
    assert_block(&s.block2, 8, 1, 3);

    tether_coap_build_init(&b, w.buf, sizeof(w.buf), TETHER_COAP_CON, TETHER_COAP_GET, 1, &tok, 1);
    tether_coap_build_opt(&b, TETHER_COAP_OPT_BLOCK2, &szx7, 1);
    assert_int_equal(tether_coap_build_finish(&b, &w.len), 0);
    assert_int_equal(tether_coap_parse(&w.msg, w.buf, w.len), 0);
    assert_int_equal(tether_block2_slice_get(&w.msg, 3000, 300, 6, &s), TETHER_ERR_MALFORMED);
    assert_int_equal(tether_block2_slice_get(&w.msg, 3000, 300, 7, &s), TETHER_ERR_INVAL);
}

/* RFC 7959 §4: a request with Size2 0 asks for the total size. */
static void test_block_block2_size2_hint(void **state)
{
    tether_block2_slice s;
    tether_coap_builder b;
    uint8_t body[20], out[64], tok = 1;
    size_t len;
    wire w;
    /* 2.05, Size2 (28) = 20 = 0x14, then the body: no Block2, it fits. */
    const uint8_t head[] = {0x61, 0x45, 0x00, 0x01, 0x01, 0xD1, 0x0F, 0x14, 0xFF};
    (void)state;

    fill_pattern(body, sizeof(body), 9);
    get_req(&w, NULL, 0);
    assert_int_equal(tether_block2_slice_get(&w.msg, sizeof(body), 100, 6, &s), 0);
    assert_false(s.use_block2);
    assert_true(s.send_size2);
    assert_int_equal(s.size2, 20);
    tether_coap_build_init(&b, out, sizeof(out), TETHER_COAP_ACK, TETHER_COAP_CONTENT, 1, &tok, 1);
    assert_int_equal(tether_block2_slice_write(&s, body, &b), 0);
    assert_int_equal(tether_coap_build_finish(&b, &len), 0);
    assert_int_equal(len, sizeof(head) + 20);
    assert_memory_equal(out, head, sizeof(head));
    assert_memory_equal(out + sizeof(head), body, 20);
}

/* TETHER_BLOCK_OPTS_OVERHEAD covers the worst case: measure the bytes the
 * writers add besides the payload with extended option deltas, a 3-byte
 * NUM and a 4-byte Size (a body past 16 MiB). */
static void test_block_write_overhead_fits(void **state)
{
    static uint8_t big[(1u << 24) + 100]; /* only the touched pages are mapped */
    const size_t big_len = sizeof(big);
    tether_block2_slice s;
    tether_block1_tx tx;
    tether_coap_builder b;
    static uint8_t out[2048];
    uint8_t tok[8] = {0};
    size_t before, after;
    int more;
    wire w, a;
    (void)state;

    /* Response after Observe (6): Block2 (delta 17, extended), NUM 262145 at
     * 64 bytes (3-byte value), Size2 asked for by the request (4 bytes). */
    tether_coap_build_init(&b, out, sizeof(out), TETHER_COAP_ACK, TETHER_COAP_CONTENT, 1, tok, 8);
    tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_OBSERVE, 0xFFFFFF);
    tether_coap_build_finish(&b, &before);
    get_req(&w, &(tether_coap_block){(uint32_t)((big_len - 1) >> 6), 0, 2}, 0);
    assert_int_equal(tether_block2_slice_get(&w.msg, big_len, 64, 6, &s), 0);
    assert_true(s.block2.num > 0xFFFF);
    assert_true(s.send_size2);
    assert_true(s.size2 > 0xFFFFFF);
    assert_int_equal(tether_block2_slice_write(&s, big, &b), 0);
    assert_int_equal(tether_coap_build_finish(&b, &after), 0);
    assert_true(after - before - s.len <= TETHER_BLOCK_OPTS_OVERHEAD);
    /* Whole body with Size2 right after Content-Format (delta 16). */
    tether_coap_build_init(&b, out, sizeof(out), TETHER_COAP_ACK, TETHER_COAP_CONTENT, 1, tok, 8);
    tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_CONTENT_FORMAT, TETHER_FMT_TLV);
    tether_coap_build_finish(&b, &before);
    memset(&s, 0, sizeof(s));
    s.len = 10;
    s.size2 = UINT32_MAX;
    s.send_size2 = 1;
    assert_int_equal(tether_block2_slice_write(&s, big, &b), 0);
    assert_int_equal(tether_coap_build_finish(&b, &after), 0);
    assert_true(after - before - s.len <= TETHER_BLOCK_OPTS_OVERHEAD);

    /* Request after Content-Format (12): Block1 (delta 15, extended) and
     * Size1 (delta 33, extended, 4 bytes) on block 0; later blocks carry a
     * wider NUM but no Size1. */
    assert_int_equal(tether_block1_tx_init(&tx, big, big_len, 0), TETHER_ERR_INVAL); /* > 2^20 */
    assert_int_equal(tether_block1_tx_init(&tx, big, big_len, 6), 0);
    for (int k = 0; k < 2; k++) {
        tether_block1_tx_block blk;
        tether_coap_build_init(&b, out, sizeof(out), TETHER_COAP_CON, TETHER_COAP_PUT, 1, tok, 8);
        tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_CONTENT_FORMAT, TETHER_FMT_TLV);
        tether_coap_build_finish(&b, &before);
        assert_int_equal(tether_block1_tx_next(&tx, &blk), 0);
        assert_int_equal(blk.send_size1, k == 0);
        assert_int_equal(tether_block1_tx_write(&tx, &b), 0);
        assert_int_equal(tether_coap_build_finish(&b, &after), 0);
        assert_true(after - before - blk.len <= TETHER_BLOCK_OPTS_OVERHEAD);
        plain_response(&a, TETHER_COAP_CONTINUE, &blk.block1, -1);
        assert_int_equal(tether_block1_tx_on_response(&tx, &a.msg, &more), 0);
    }
}

/* ---- Block2 receiving ----------------------------------------------------- */

static void content(wire *w, const tether_coap_block *b2, const uint8_t *etag, size_t etag_len,
                    long size2, const uint8_t *p, size_t n)
{
    tether_coap_builder b;
    uint8_t tok = 1;
    tether_coap_build_init(&b, w->buf, sizeof(w->buf), TETHER_COAP_ACK, TETHER_COAP_CONTENT, 1,
                           &tok, 1);
    if (etag)
        tether_coap_build_opt(&b, TETHER_COAP_OPT_ETAG, etag, etag_len);
    if (b2)
        tether_coap_build_block(&b, TETHER_COAP_OPT_BLOCK2, b2);
    if (size2 >= 0)
        tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_SIZE2, (uint32_t)size2);
    tether_coap_build_payload(&b, p, n);
    assert_int_equal(tether_coap_build_finish(&b, &w->len), 0);
    assert_int_equal(tether_coap_parse(&w->msg, w->buf, w->len), 0);
}

static void test_block_block2_rx_errors(void **state)
{
    uint8_t got[100], body[128];
    const uint8_t e1[] = {1, 2}, e2[] = {1, 3};
    tether_block2_rx rx;
    tether_block2_rx_result res, before;
    wire a;
    (void)state;

    fill_pattern(body, sizeof(body), 11);
    /* Out of order: block 2 after block 0. */
    tether_block2_rx_init(&rx, got, sizeof(got), 6);
    content(&a, &(tether_coap_block){0, 1, 0}, NULL, 0, -1, body, 16);
    assert_int_equal(tether_block2_rx_feed(&rx, &a.msg, &res), 0);
    assert_block(&res.next, 1, 0, 0);
    before = res;
    content(&a, &(tether_coap_block){2, 1, 0}, NULL, 0, -1, body, 16);
    assert_int_equal(tether_block2_rx_feed(&rx, &a.msg, &res), TETHER_ERR_BLOCK_INCOMPLETE);
    assert_memory_equal(&res, &before, sizeof(res));
    assert_int_equal(tether_block2_rx_next(&rx, &res.next), TETHER_ERR_STATE);

    /* SZX changed mid-transfer: accepted when the byte offset matches. */
    tether_block2_rx_init(&rx, got, sizeof(got), 6);
    content(&a, &(tether_coap_block){0, 1, 1}, NULL, 0, -1, body, 32);
    assert_int_equal(tether_block2_rx_feed(&rx, &a.msg, &res), 0);
    assert_block(&res.next, 1, 0, 1);
    content(&a, &(tether_coap_block){2, 0, 0}, NULL, 0, -1, body + 32, 10);
    assert_int_equal(tether_block2_rx_feed(&rx, &a.msg, &res), 0);
    assert_true(res.complete);
    assert_int_equal(res.len, 42);
    assert_memory_equal(got, body, 42);

    /* Past the buffer; and a Size2 that says so up front. */
    tether_block2_rx_init(&rx, got, sizeof(got), 6);
    content(&a, &(tether_coap_block){0, 0, 3}, NULL, 0, -1, body, 101);
    assert_int_equal(tether_block2_rx_feed(&rx, &a.msg, &res), TETHER_ERR_TOO_LARGE);
    tether_block2_rx_init(&rx, got, sizeof(got), 6);
    content(&a, &(tether_coap_block){0, 1, 0}, NULL, 0, 101, body, 16);
    assert_int_equal(tether_block2_rx_feed(&rx, &a.msg, &res), TETHER_ERR_TOO_LARGE);
    tether_block2_rx_init(&rx, got, sizeof(got), 6);
    content(&a, NULL, NULL, 0, -1, body, 101);
    assert_int_equal(tether_block2_rx_feed(&rx, &a.msg, &res), TETHER_ERR_TOO_LARGE);

    /* ETag changed between blocks: the representation changed. */
    tether_block2_rx_init(&rx, got, sizeof(got), 6);
    content(&a, &(tether_coap_block){0, 1, 0}, e1, 2, -1, body, 16);
    assert_int_equal(tether_block2_rx_feed(&rx, &a.msg, &res), 0);
    content(&a, &(tether_coap_block){1, 1, 0}, e1, 2, -1, body + 16, 16);
    assert_int_equal(tether_block2_rx_feed(&rx, &a.msg, &res), 0);
    content(&a, &(tether_coap_block){2, 0, 0}, e2, 2, -1, body + 32, 1);
    assert_int_equal(tether_block2_rx_feed(&rx, &a.msg, &res), TETHER_ERR_BLOCK_INCOMPLETE);

    /* M=1 with a short block. */
    tether_block2_rx_init(&rx, got, sizeof(got), 6);
    content(&a, &(tether_coap_block){0, 1, 1}, NULL, 0, -1, body, 31);
    assert_int_equal(tether_block2_rx_feed(&rx, &a.msg, &res), TETHER_ERR_MALFORMED);

    /* An error response is the caller's to handle; rx unchanged. */
    tether_block2_rx_init(&rx, got, sizeof(got), 6);
    plain_response(&a, TETHER_COAP_NOT_FOUND, NULL, -1);
    assert_int_equal(tether_block2_rx_feed(&rx, &a.msg, &res), TETHER_ERR_INVAL);
    /* No Block2: the whole body at once. */
    content(&a, NULL, NULL, 0, -1, body, 77);
    assert_int_equal(tether_block2_rx_feed(&rx, &a.msg, &res), 0);
    assert_true(res.complete);
    assert_int_equal(res.len, 77);
    assert_memory_equal(got, body, 77);
}

/* Slicer against receiver over many sizes, rooms and SZX limits. */
static void test_block_block2_roundtrip_random(void **state)
{
    static uint8_t body[5000], got[5000];
    uint32_t seed = 777;
    (void)state;

    for (int k = 0; k < 200; k++) {
        tether_block2_rx rx;
        tether_block2_rx_result res;
        tether_coap_block ask;
        tether_block2_slice s;
        tether_coap_builder b;
        wire w, a;
        size_t len, room;
        uint8_t tok = 1, max_szx, want_szx;
        int first = 1, rounds = 0;

        seed = seed * 1664525u + 1013904223u;
        len = (seed >> 8) % 5001;
        room = 16 + (seed >> 3) % 1100;
        max_szx = (uint8_t)((seed >> 20) % 7);
        want_szx = (uint8_t)((seed >> 24) % 7);
        fill_pattern(body, len, seed);
        assert_int_equal(tether_block2_rx_init(&rx, got, sizeof(got), want_szx), 0);
        for (;;) {
            assert_true(++rounds <= 400);
            assert_int_equal(tether_block2_rx_next(&rx, &ask), 0);
            /* A plain first GET for odd k, early negotiation for even k. */
            get_req(&w, (first && (k & 1)) ? NULL : &ask, -1);
            first = 0;
            assert_int_equal(tether_block2_slice_get(&w.msg, len, room, max_szx, &s), 0);
            tether_coap_build_init(&b, a.buf, sizeof(a.buf), TETHER_COAP_ACK,
                                   TETHER_COAP_CONTENT, 1, &tok, 1);
            assert_int_equal(tether_block2_slice_write(&s, body, &b), 0);
            assert_int_equal(tether_coap_build_finish(&b, &a.len), 0);
            assert_int_equal(tether_coap_parse(&a.msg, a.buf, a.len), 0);
            assert_int_equal(tether_block2_rx_feed(&rx, &a.msg, &res), 0);
            if (res.complete)
                break;
        }
        assert_int_equal(res.len, len);
        if (len > 0)
            assert_memory_equal(got, body, len);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_block_answer_codes),
        cmocka_unit_test(test_block_szx_fit),
        cmocka_unit_test(test_block_rfc7959_fig6_block1_server_asks_smaller),
        cmocka_unit_test(test_block_rfc7959_fig6_sender_follows_smaller_szx),
        cmocka_unit_test(test_block_rfc7959_fig5_block1_atomic_put),
        cmocka_unit_test(test_block_block1_too_large_answers_4_13_with_size1),
        cmocka_unit_test(test_block_block1_missing_block_4_08),
        cmocka_unit_test(test_block_block1_not_starting_at_zero_4_08),
        cmocka_unit_test(test_block_block1_retransmitted_block_idempotent),
        cmocka_unit_test(test_block_block1_bad_option_4_00),
        cmocka_unit_test(test_block_block1_keyed_by_target_not_token),
        cmocka_unit_test(test_block_block1_slot_expiry),
        cmocka_unit_test(test_block_block1_slot_eviction_oldest),
        cmocka_unit_test(test_block_block1_single_block_takes_no_slot),
        cmocka_unit_test(test_block_block1_init_rejects_bad_config),
        cmocka_unit_test(test_block_block1_tx_small_body_plain_request),
        cmocka_unit_test(test_block_block1_tx_writes_block1_and_size1),
        cmocka_unit_test(test_block_block1_tx_4_13_retry_smaller_or_fail),
        cmocka_unit_test(test_block_block1_tx_non_atomic_server),
        cmocka_unit_test(test_block_block1_roundtrip_random),
        cmocka_unit_test(test_block_rfc7959_fig2_block2_simple_get),
        cmocka_unit_test(test_block_rfc7959_fig3_block2_early_negotiation),
        cmocka_unit_test(test_block_rfc7959_fig4_block2_late_negotiation),
        cmocka_unit_test(test_block_block2_slice_exact_boundaries),
        cmocka_unit_test(test_block_block2_slice_rescales_num),
        cmocka_unit_test(test_block_block2_size2_hint),
        cmocka_unit_test(test_block_write_overhead_fits),
        cmocka_unit_test(test_block_block2_rx_errors),
        cmocka_unit_test(test_block_block2_roundtrip_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
