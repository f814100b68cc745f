/* SPDX-License-Identifier: Apache-2.0 */
/* CoAP codec: parse and build (RFC 7252 §3, RFC 7641 §2, RFC 7959 §2.2).
 *
 * Every case asserts exact bytes on the wire and, where it parses, builds the
 * same message again from its fields: a codec that only agrees with itself
 * would pass a parse-only or build-only test. Malformed inputs are parsed from
 * heap copies of their exact length, so the ASan build catches a read one
 * byte past the end, and each must leave the output struct untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tether/coap.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Largest option value the wire can carry: nibble 14, 0xFFFF + 269. */
#define OPT_LEN_MAX 65804u

/* --- helpers ------------------------------------------------------------- */

static void parse_ok(tether_coap_msg *m, const uint8_t *wire, size_t len)
{
    int rc = tether_coap_parse(m, wire, len);
    if (rc != 0)
        fail_msg("parse failed: %s", tether_err_name(rc));
}

/* Parse an exact-length heap copy: must fail with err and leave *out as it
 * was (house rule 13). Returns the code so callers can collect it. */
static int parse_fails(const uint8_t *wire, size_t len, int err)
{
    tether_coap_msg m, before;
    uint8_t *copy = malloc(len ? len : 1);
    int rc;

    assert_non_null(copy);
    if (len > 0)
        memcpy(copy, wire, len);
    memset(&m, 0xA5, sizeof(m));
    memcpy(&before, &m, sizeof(m));
    rc = tether_coap_parse(&m, copy, len);
    free(copy);
    if (rc != err)
        fail_msg("parse of %zu bytes: got %s, want %s", len, tether_err_name(rc),
                 tether_err_name(err));
    assert_memory_equal(&m, &before, sizeof(m));
    return rc;
}

/* Build the message again from what the parser saw: header, token, every
 * option in wire order, payload. */
static int rebuild(const tether_coap_msg *m, uint8_t *out, size_t cap, size_t *len)
{
    tether_coap_builder b;
    tether_coap_opt_iter it;
    tether_coap_opt o;

    tether_coap_build_init(&b, out, cap, m->type, m->code, m->mid, m->token, m->tkl);
    tether_coap_opt_iter_init(&it, m);
    while (tether_coap_opt_next(&it, &o) == 0)
        tether_coap_build_opt(&b, o.num, o.val, o.len);
    tether_coap_build_payload(&b, m->payload, m->payload_len);
    return tether_coap_build_finish(&b, len);
}

static uint8_t big_out[OPT_LEN_MAX + 64];

/* wire parses, and rebuilding it gives the same bytes. */
static void assert_roundtrip(const uint8_t *wire, size_t len)
{
    tether_coap_msg m;
    size_t n = 0;

    parse_ok(&m, wire, len);
    assert_int_equal(rebuild(&m, big_out, sizeof(big_out), &n), 0);
    assert_int_equal(n, len);
    assert_memory_equal(big_out, wire, len);
}

/* The n-th option (0-based) of a parsed message. */
static tether_coap_opt nth_opt(const tether_coap_msg *m, size_t n)
{
    tether_coap_opt_iter it;
    tether_coap_opt o;

    tether_coap_opt_iter_init(&it, m);
    for (size_t i = 0; i <= n; i++)
        assert_int_equal(tether_coap_opt_next(&it, &o), 0);
    return o;
}

static size_t opt_count(const tether_coap_msg *m)
{
    tether_coap_opt_iter it;
    tether_coap_opt o;
    size_t n = 0;

    tether_coap_opt_iter_init(&it, m);
    while (tether_coap_opt_next(&it, &o) == 0)
        n++;
    return n;
}

/* --- option encoding boundaries (RFC 7252 §3.1) -------------------------- */

/* Lengths 0, 12 | 13, 268 | 269, 65804: the last of each nibble form and the
 * first of the next, with their exact header and extended bytes. */
static void test_msg_opt_length_boundaries_exact_bytes(void **state)
{
    static const struct {
        uint32_t len;
        uint8_t head; /* delta 11 (Uri-Path) << 4 | length nibble */
        uint8_t ext[2];
        size_t next;
    } cases[] = {
        {0, 0xB0, {0}, 0},           {12, 0xBC, {0}, 0},
        {13, 0xBD, {0x00}, 1},       {268, 0xBD, {0xFF}, 1},
        {269, 0xBE, {0x00, 0x00}, 2}, {OPT_LEN_MAX, 0xBE, {0xFF, 0xFF}, 2},
    };
    static uint8_t val[OPT_LEN_MAX + 1];
    static uint8_t buf[OPT_LEN_MAX + 64];
    (void)state;

    for (size_t i = 0; i < sizeof(val); i++)
        val[i] = (uint8_t)(i * 7 + 1);
    for (size_t c = 0; c < LEN(cases); c++) {
        tether_coap_builder b;
        tether_coap_msg m;
        tether_coap_opt o;
        size_t n = 0, hdr = TETHER_COAP_HEADER_SIZE + 1 + cases[c].next;

        assert_int_equal(tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_CON,
                                                TETHER_COAP_GET, 0x0102, NULL, 0), 0);
        assert_int_equal(tether_coap_build_opt(&b, TETHER_COAP_OPT_URI_PATH, val, cases[c].len), 0);
        assert_int_equal(tether_coap_build_finish(&b, &n), 0);
        assert_int_equal(n, hdr + cases[c].len);
        assert_int_equal(buf[4], cases[c].head);
        assert_memory_equal(buf + 5, cases[c].ext, cases[c].next);
        assert_memory_equal(buf + hdr, val, cases[c].len);

        parse_ok(&m, buf, n);
        assert_int_equal(opt_count(&m), 1);
        o = nth_opt(&m, 0);
        assert_int_equal(o.num, TETHER_COAP_OPT_URI_PATH);
        assert_int_equal(o.len, cases[c].len);
        assert_ptr_equal(o.val, buf + hdr);
        assert_int_equal(m.payload_len, 0);
        assert_roundtrip(buf, n);
    }
}

static void test_msg_opt_length_65805_refused_by_builder(void **state)
{
    static uint8_t val[OPT_LEN_MAX + 1];
    static uint8_t buf[OPT_LEN_MAX + 64];
    tether_coap_builder b;
    size_t n = 1234;
    (void)state;

    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_CON, TETHER_COAP_GET, 1, NULL, 0);
    assert_int_equal(tether_coap_build_opt(&b, 11, val, OPT_LEN_MAX + 1), TETHER_ERR_INVAL);
    assert_int_equal(tether_coap_build_finish(&b, &n), TETHER_ERR_INVAL);
    assert_int_equal(n, 1234);
}

/* Deltas 0, 12 | 13, 268 | 269 and the largest number, 65535, as the first
 * option of a message (delta == number), with an empty value. */
static void test_msg_opt_delta_boundaries_exact_bytes(void **state)
{
    static const struct {
        uint16_t num;
        uint8_t wire[3];
        size_t n;
    } cases[] = {
        {0, {0x00}, 1},           {12, {0xC0}, 1},          {13, {0xD0, 0x00}, 2},
        {268, {0xD0, 0xFF}, 2},   {269, {0xE0, 0x00, 0x00}, 3},
        {65535, {0xE0, 0xFE, 0xF2}, 3},
    };
    (void)state;

    for (size_t c = 0; c < LEN(cases); c++) {
        uint8_t buf[16], want[16] = {0x40, 0x01, 0x00, 0x07};
        tether_coap_builder b;
        tether_coap_msg m;
        size_t n = 0;

        memcpy(want + 4, cases[c].wire, cases[c].n);
        tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_CON, TETHER_COAP_GET, 7, NULL, 0);
        assert_int_equal(tether_coap_build_opt(&b, cases[c].num, NULL, 0), 0);
        assert_int_equal(tether_coap_build_finish(&b, &n), 0);
        assert_int_equal(n, 4 + cases[c].n);
        assert_memory_equal(buf, want, n);
        parse_ok(&m, buf, n);
        assert_int_equal(nth_opt(&m, 0).num, cases[c].num);
        assert_int_equal(nth_opt(&m, 0).len, 0);
        assert_roundtrip(buf, n);
    }
}

/* A delta is relative to the previous option; the delta's extended bytes come
 * before the length's (RFC 7252 figure 8). */
static void test_msg_opt_delta_relative_and_ext_order(void **state)
{
    static const uint8_t want[] = {
        0x40, 0x02, 0x00, 0x09,
        0x11, 'a',                    /* 1: delta 1, len 1 */
        0xED, 0x00, 0x01, 0x01,       /* 271: delta 270 (E:00 01), len 14 (D:01) */
        'b', 'b', 'b', 'b', 'b', 'b', 'b', 'b', 'b', 'b', 'b', 'b', 'b', 'b',
        0xD0, 0x00,                   /* 284: delta 13 */
        0x00,                         /* 284 again: delta 0 */
    };
    uint8_t buf[64];
    tether_coap_builder b;
    tether_coap_msg m;
    size_t n = 0;
    (void)state;

    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_CON, TETHER_COAP_POST, 9, NULL, 0);
    tether_coap_build_opt(&b, 1, "a", 1);
    tether_coap_build_opt(&b, 271, "bbbbbbbbbbbbbb", 14);
    tether_coap_build_opt(&b, 284, NULL, 0);
    tether_coap_build_opt(&b, 284, NULL, 0);
    assert_int_equal(tether_coap_build_finish(&b, &n), 0);
    assert_int_equal(n, sizeof(want));
    assert_memory_equal(buf, want, n);

    parse_ok(&m, want, sizeof(want));
    assert_int_equal(opt_count(&m), 4);
    assert_int_equal(nth_opt(&m, 0).num, 1);
    assert_int_equal(nth_opt(&m, 1).num, 271);
    assert_int_equal(nth_opt(&m, 1).len, 14);
    assert_int_equal(nth_opt(&m, 2).num, 284);
    assert_int_equal(nth_opt(&m, 3).num, 284);
}

static void test_msg_opt_length_and_delta_ext_combined(void **state)
{
    static uint8_t val[300];
    static uint8_t buf[700];
    tether_coap_builder b;
    tether_coap_msg m;
    size_t n = 0;
    (void)state;

    memset(val, 'v', sizeof(val));
    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_NON, TETHER_COAP_PUT, 0xBEEF, NULL, 0);
    tether_coap_build_opt(&b, 269, val, 269); /* E E 00 00 00 00 */
    tether_coap_build_opt(&b, 282, val, 13);  /* D D 00 00 */
    assert_int_equal(tether_coap_build_finish(&b, &n), 0);
    assert_int_equal(n, 4 + 5 + 269 + 3 + 13);
    assert_memory_equal(buf + 4, ((const uint8_t[]){0xEE, 0, 0, 0, 0}), 5);
    assert_memory_equal(buf + 4 + 5 + 269, ((const uint8_t[]){0xDD, 0, 0}), 3);
    parse_ok(&m, buf, n);
    assert_int_equal(nth_opt(&m, 0).len, 269);
    assert_int_equal(nth_opt(&m, 1).num, 282);
    assert_int_equal(nth_opt(&m, 1).len, 13);
    assert_roundtrip(buf, n);
}

/* 65804 on the wire as a length parses; one byte short of it is truncated. */
static void test_msg_opt_length_max_on_wire(void **state)
{
    static uint8_t wire[4 + 3 + OPT_LEN_MAX];
    tether_coap_msg m;
    (void)state;

    memset(wire, 'z', sizeof(wire));
    memcpy(wire, ((const uint8_t[]){0x40, 0x01, 0, 1, 0xBE, 0xFF, 0xFF}), 7);
    parse_ok(&m, wire, sizeof(wire));
    assert_int_equal(nth_opt(&m, 0).len, OPT_LEN_MAX);
    parse_fails(wire, sizeof(wire) - 1, TETHER_ERR_TRUNCATED_OPTION);
}

/* --- option order and repetition (RFC 7252 §3.1, §5.4.5) ----------------- */

static void test_msg_builder_refuses_decreasing_option(void **state)
{
    uint8_t buf[64];
    tether_coap_builder b;
    size_t n = 77;
    (void)state;

    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_CON, TETHER_COAP_GET, 1, NULL, 0);
    assert_int_equal(tether_coap_build_opt_str(&b, TETHER_COAP_OPT_URI_PATH, "a"), 0);
    assert_int_equal(tether_coap_build_opt_str(&b, TETHER_COAP_OPT_URI_HOST, "h"),
                     TETHER_ERR_OPTION_ORDER);
    /* Sticky: a valid call after the failure does nothing and repeats it. */
    assert_int_equal(tether_coap_build_opt_str(&b, TETHER_COAP_OPT_URI_QUERY, "q"),
                     TETHER_ERR_OPTION_ORDER);
    assert_int_equal(tether_coap_build_payload(&b, "p", 1), TETHER_ERR_OPTION_ORDER);
    assert_int_equal(tether_coap_build_finish(&b, &n), TETHER_ERR_OPTION_ORDER);
    assert_int_equal(n, 77);
}

static void test_msg_builder_refuses_option_after_payload(void **state)
{
    uint8_t buf[64];
    tether_coap_builder b;
    size_t n = 0;
    (void)state;

    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_CON, TETHER_COAP_POST, 1, NULL, 0);
    assert_int_equal(tether_coap_build_payload(&b, "x", 1), 0);
    assert_int_equal(tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_SIZE1, 1),
                     TETHER_ERR_OPTION_ORDER);
    assert_int_equal(tether_coap_build_finish(&b, &n), TETHER_ERR_OPTION_ORDER);
}

/* Register-like request: repeated Uri-Path and Uri-Query, ascending on parse. */
static const uint8_t repeated_wire[] = {
    0x42, 0x02, 0x30, 0x39, 0xAA, 0xBB,
    0xB2, 'r', 'd',                          /* 11 Uri-Path "rd" */
    0x03, 'a', 'b', 'c',                     /* 11 Uri-Path "abc" */
    0x11, 0x28,                              /* 12 Content-Format 40 */
    0x37, 'e', 'p', '=', 'n', 'o', 'd', 'e', /* 15 Uri-Query ep=node */
    0x08, 'l', 't', '=', '8', '6', '4', '0', '0',
    0x01, 'b',                               /* bare key */
    0xFF, '<', '/', '1', '/', '0', '>',
};

static void test_msg_repeated_options_build_and_parse(void **state)
{
    uint8_t buf[64];
    const uint8_t tok[] = {0xAA, 0xBB};
    tether_coap_builder b;
    tether_coap_msg m;
    tether_coap_opt_iter it;
    tether_coap_opt o;
    const uint16_t want[] = {11, 11, 12, 15, 15, 15};
    size_t n = 0, i = 0;
    (void)state;

    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_CON, TETHER_COAP_POST, 12345, tok, 2);
    tether_coap_build_path(&b, TETHER_COAP_OPT_URI_PATH, "rd/abc");
    tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_CONTENT_FORMAT, TETHER_FMT_LINK);
    tether_coap_build_opt_str(&b, TETHER_COAP_OPT_URI_QUERY, "ep=node");
    tether_coap_build_opt_str(&b, TETHER_COAP_OPT_URI_QUERY, "lt=86400");
    tether_coap_build_opt_str(&b, TETHER_COAP_OPT_URI_QUERY, "b");
    tether_coap_build_payload(&b, "</1/0>", 6);
    assert_int_equal(tether_coap_build_finish(&b, &n), 0);
    assert_int_equal(n, sizeof(repeated_wire));
    assert_memory_equal(buf, repeated_wire, n);

    parse_ok(&m, repeated_wire, sizeof(repeated_wire));
    tether_coap_opt_iter_init(&it, &m);
    while (tether_coap_opt_next(&it, &o) == 0) {
        assert_true(i < LEN(want));
        assert_int_equal(o.num, want[i]);
        i++;
    }
    assert_int_equal(i, LEN(want));
    assert_int_equal(tether_coap_opt_next(&it, &o), TETHER_ERR_NOT_FOUND);
    assert_int_equal(m.payload_len, 6);
    assert_memory_equal(m.payload, "</1/0>", 6);
    assert_roundtrip(repeated_wire, sizeof(repeated_wire));
}

/* An iterator over a zeroed message (no parse) ends at once. */
static void test_msg_iter_over_empty_msg_ends(void **state)
{
    tether_coap_msg m;
    tether_coap_opt_iter it;
    tether_coap_opt o;
    (void)state;

    memset(&m, 0, sizeof(m));
    tether_coap_opt_iter_init(&it, &m);
    assert_int_equal(tether_coap_opt_next(&it, &o), TETHER_ERR_NOT_FOUND);
    assert_int_equal(tether_coap_opt_find(&m, 11, &o), TETHER_ERR_NOT_FOUND);
}

/* The iterator trusts what parse validated; a view forged by hand that does
 * not decode ends the iteration instead of running past it. */
static void test_msg_iter_stops_on_forged_view(void **state)
{
    static const uint8_t bad[] = {0xB1, 'a', 0xF0, 0x00};
    tether_coap_msg m;
    tether_coap_opt_iter it;
    tether_coap_opt o;
    (void)state;

    memset(&m, 0, sizeof(m));
    m.opts = bad;
    m.opts_len = sizeof(bad);
    tether_coap_opt_iter_init(&it, &m);
    assert_int_equal(tether_coap_opt_next(&it, &o), 0);
    assert_int_equal(o.num, 11);
    assert_int_equal(tether_coap_opt_next(&it, &o), TETHER_ERR_NOT_FOUND);
    assert_int_equal(tether_coap_opt_next(&it, &o), TETHER_ERR_NOT_FOUND);
}

/* --- RFC 7252 appendix A, figures 16..23 --------------------------------- */
/* Bytes written from the figures' header, token, option and payload fields
 * (the RFC draws figures 16 and 17 bit by bit; 18..23 give the fields). */

#define UP_TEMPERATURE 0xBB, 't', 'e', 'm', 'p', 'e', 'r', 'a', 't', 'u', 'r', 'e'
#define PL_22_3_C 0xFF, '2', '2', '.', '3', ' ', 'C'

static const uint8_t f16_req[] = {0x40, 0x01, 0x7d, 0x34, UP_TEMPERATURE};
static const uint8_t f16_rsp[] = {0x60, 0x45, 0x7d, 0x34, PL_22_3_C};
static const uint8_t f17_req[] = {0x41, 0x01, 0x7d, 0x35, 0x20, UP_TEMPERATURE};
static const uint8_t f17_rsp[] = {0x61, 0x45, 0x7d, 0x35, 0x20, PL_22_3_C};
static const uint8_t f18_req[] = {0x41, 0x01, 0x7d, 0x36, 0x31, UP_TEMPERATURE};
static const uint8_t f18_rsp[] = {0x61, 0x45, 0x7d, 0x36, 0x31, PL_22_3_C};
static const uint8_t f19_req[] = {0x41, 0x01, 0x7d, 0x37, 0x42, UP_TEMPERATURE};
static const uint8_t f19_rsp[] = {0x61, 0x45, 0x7d, 0x37, 0x42, PL_22_3_C};
static const uint8_t f20_req[] = {0x41, 0x01, 0x7d, 0x38, 0x53, UP_TEMPERATURE};
static const uint8_t f20_ack[] = {0x60, 0x00, 0x7d, 0x38};
static const uint8_t f20_rsp[] = {0x41, 0x45, 0xad, 0x7b, 0x53, PL_22_3_C};
static const uint8_t f20_ack2[] = {0x60, 0x00, 0xad, 0x7b};
static const uint8_t f21_req[] = {0x41, 0x01, 0x7d, 0x39, 0x64, UP_TEMPERATURE};
static const uint8_t f21_ack[] = {0x60, 0x00, 0x7d, 0x39};
static const uint8_t f21_rsp[] = {0x41, 0x45, 0xad, 0x7c, 0x64, PL_22_3_C};
static const uint8_t f21_rst[] = {0x70, 0x00, 0xad, 0x7c};
static const uint8_t f22_req[] = {0x51, 0x01, 0x7d, 0x40, 0x75, UP_TEMPERATURE};
static const uint8_t f22_rsp[] = {0x51, 0x45, 0xad, 0x7d, 0x75, PL_22_3_C};
static const uint8_t f23_req[] = {0x51, 0x01, 0x7d, 0x41, 0x86, UP_TEMPERATURE};
static const uint8_t f23_rsp_a[] = {0x51, 0x45, 0x60, 0xb1, 0x86, PL_22_3_C};
static const uint8_t f23_rsp_b[] = {0x51, 0x45, 0x01, 0xa0, 0x86, 0xFF, '2', '0', '.', '9', ' ', 'C'};
static const uint8_t f23_rsp_c[] = {0x51, 0x84, 0x95, 0x2a, 0x86};

typedef struct rfc_example {
    const char *what;
    const uint8_t *wire;
    size_t len;
    uint8_t type, code;
    uint16_t mid;
    uint8_t tkl, token; /* appendix A tokens are 0 or 1 byte */
    const char *path;   /* Uri-Path, NULL for none */
    const char *payload;
} rfc_example;

#define EX(w) w, sizeof(w)
static const rfc_example appendix_a[] = {
    {"fig16 GET", EX(f16_req), TETHER_COAP_CON, TETHER_COAP_GET, 0x7d34, 0, 0, "temperature", NULL},
    {"fig16 2.05", EX(f16_rsp), TETHER_COAP_ACK, TETHER_COAP_CONTENT, 0x7d34, 0, 0, NULL, "22.3 C"},
    {"fig17 GET", EX(f17_req), TETHER_COAP_CON, TETHER_COAP_GET, 0x7d35, 1, 0x20, "temperature", NULL},
    {"fig17 2.05", EX(f17_rsp), TETHER_COAP_ACK, TETHER_COAP_CONTENT, 0x7d35, 1, 0x20, NULL, "22.3 C"},
    {"fig18 GET", EX(f18_req), TETHER_COAP_CON, TETHER_COAP_GET, 0x7d36, 1, 0x31, "temperature", NULL},
    {"fig18 2.05", EX(f18_rsp), TETHER_COAP_ACK, TETHER_COAP_CONTENT, 0x7d36, 1, 0x31, NULL, "22.3 C"},
    {"fig19 GET", EX(f19_req), TETHER_COAP_CON, TETHER_COAP_GET, 0x7d37, 1, 0x42, "temperature", NULL},
    {"fig19 2.05", EX(f19_rsp), TETHER_COAP_ACK, TETHER_COAP_CONTENT, 0x7d37, 1, 0x42, NULL, "22.3 C"},
    {"fig20 GET", EX(f20_req), TETHER_COAP_CON, TETHER_COAP_GET, 0x7d38, 1, 0x53, "temperature", NULL},
    {"fig20 ACK", EX(f20_ack), TETHER_COAP_ACK, TETHER_COAP_EMPTY, 0x7d38, 0, 0, NULL, NULL},
    {"fig20 2.05", EX(f20_rsp), TETHER_COAP_CON, TETHER_COAP_CONTENT, 0xad7b, 1, 0x53, NULL, "22.3 C"},
    {"fig20 ACK2", EX(f20_ack2), TETHER_COAP_ACK, TETHER_COAP_EMPTY, 0xad7b, 0, 0, NULL, NULL},
    {"fig21 GET", EX(f21_req), TETHER_COAP_CON, TETHER_COAP_GET, 0x7d39, 1, 0x64, "temperature", NULL},
    {"fig21 ACK", EX(f21_ack), TETHER_COAP_ACK, TETHER_COAP_EMPTY, 0x7d39, 0, 0, NULL, NULL},
    {"fig21 2.05", EX(f21_rsp), TETHER_COAP_CON, TETHER_COAP_CONTENT, 0xad7c, 1, 0x64, NULL, "22.3 C"},
    {"fig21 RST", EX(f21_rst), TETHER_COAP_RST, TETHER_COAP_EMPTY, 0xad7c, 0, 0, NULL, NULL},
    {"fig22 GET", EX(f22_req), TETHER_COAP_NON, TETHER_COAP_GET, 0x7d40, 1, 0x75, "temperature", NULL},
    {"fig22 2.05", EX(f22_rsp), TETHER_COAP_NON, TETHER_COAP_CONTENT, 0xad7d, 1, 0x75, NULL, "22.3 C"},
    {"fig23 GET", EX(f23_req), TETHER_COAP_NON, TETHER_COAP_GET, 0x7d41, 1, 0x86, "temperature", NULL},
    {"fig23 A", EX(f23_rsp_a), TETHER_COAP_NON, TETHER_COAP_CONTENT, 0x60b1, 1, 0x86, NULL, "22.3 C"},
    {"fig23 B", EX(f23_rsp_b), TETHER_COAP_NON, TETHER_COAP_CONTENT, 0x01a0, 1, 0x86, NULL, "20.9 C"},
    {"fig23 C", EX(f23_rsp_c), TETHER_COAP_NON, TETHER_COAP_NOT_FOUND, 0x952a, 1, 0x86, NULL, NULL},
};

static void test_msg_rfc7252_appendix_a_sizes(void **state)
{
    (void)state;
    /* The text states them: 16 and 11 bytes (fig. 16), 17 and 12 (fig. 17). */
    assert_int_equal(sizeof(f16_req), 16);
    assert_int_equal(sizeof(f16_rsp), 11);
    assert_int_equal(sizeof(f17_req), 17);
    assert_int_equal(sizeof(f17_rsp), 12);
}

static void test_msg_rfc7252_appendix_a_parses(void **state)
{
    (void)state;
    for (size_t i = 0; i < LEN(appendix_a); i++) {
        const rfc_example *e = &appendix_a[i];
        tether_coap_msg m;
        char path[32];

        parse_ok(&m, e->wire, e->len);
        assert_int_equal(m.type, e->type);
        assert_int_equal(m.code, e->code);
        assert_int_equal(m.mid, e->mid);
        assert_int_equal(m.tkl, e->tkl);
        if (e->tkl)
            assert_int_equal(m.token[0], e->token);
        assert_int_equal(opt_count(&m), e->path ? 1 : 0);
        assert_int_equal(tether_coap_path_string(&m, TETHER_COAP_OPT_URI_PATH, path, sizeof(path)), 0);
        assert_string_equal(path, e->path ? e->path : "");
        if (e->payload) {
            assert_int_equal(m.payload_len, strlen(e->payload));
            assert_memory_equal(m.payload, e->payload, m.payload_len);
        } else {
            assert_int_equal(m.payload_len, 0);
            assert_null(m.payload);
        }
    }
}

static void test_msg_rfc7252_appendix_a_builds(void **state)
{
    (void)state;
    for (size_t i = 0; i < LEN(appendix_a); i++) {
        const rfc_example *e = &appendix_a[i];
        uint8_t buf[64];
        tether_coap_builder b;
        size_t n = 0;

        assert_int_equal(tether_coap_build_init(&b, buf, sizeof(buf), e->type, e->code, e->mid,
                                                &e->token, e->tkl), 0);
        if (e->path)
            tether_coap_build_path(&b, TETHER_COAP_OPT_URI_PATH, e->path);
        if (e->payload)
            tether_coap_build_payload(&b, e->payload, strlen(e->payload));
        assert_int_equal(tether_coap_build_finish(&b, &n), 0);
        assert_int_equal(n, e->len);
        assert_memory_equal(buf, e->wire, n);
    }
}

/* RFC 7252 appendix B, last example: empty and odd segments survive. */
static void test_msg_rfc7252_appendix_b_empty_segments(void **state)
{
    static const uint8_t want[] = {
        0x40, 0x01, 0x00, 0x01,
        0xB0, 0x01, '/', 0x00, 0x00, /* Uri-Path "", "/", "", "" */
        0x42, '/', '/', 0x02, '?', '&', /* Uri-Query "//", "?&" */
    };
    uint8_t buf[32];
    tether_coap_builder b;
    tether_coap_msg m;
    tether_coap_opt q[4];
    size_t n = 0;
    char path[16];
    (void)state;

    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_CON, TETHER_COAP_GET, 1, NULL, 0);
    tether_coap_build_opt(&b, TETHER_COAP_OPT_URI_PATH, "", 0);
    tether_coap_build_opt(&b, TETHER_COAP_OPT_URI_PATH, "/", 1);
    tether_coap_build_opt(&b, TETHER_COAP_OPT_URI_PATH, "", 0);
    tether_coap_build_opt(&b, TETHER_COAP_OPT_URI_PATH, "", 0);
    tether_coap_build_opt_str(&b, TETHER_COAP_OPT_URI_QUERY, "//");
    tether_coap_build_opt_str(&b, TETHER_COAP_OPT_URI_QUERY, "?&");
    assert_int_equal(tether_coap_build_finish(&b, &n), 0);
    assert_int_equal(n, sizeof(want));
    assert_memory_equal(buf, want, n);

    parse_ok(&m, want, sizeof(want));
    assert_int_equal(tether_coap_opt_collect(&m, TETHER_COAP_OPT_URI_QUERY, q, 4, &n), 0);
    assert_int_equal(n, 2);
    assert_memory_equal(q[1].val, "?&", 2);
    /* Segments joined with '/', not percent-encoded: "" "/" "" "" -> "////". */
    assert_int_equal(tether_coap_path_string(&m, TETHER_COAP_OPT_URI_PATH, path, sizeof(path)), 0);
    assert_string_equal(path, "////");
}

/* --- RFC 7641 Observe, RFC 9176 Location-Path ---------------------------- */

/* RFC 7641 §1.2 figure: GET 0x41011633, Token 0x4a, Observe 0 (register);
 * 2.05 0x61451633 Observe 9 Max-Age 15 "18.5 Cel"; 2.05 0x51457b50 Observe 16
 * Max-Age 15 "19.2 Cel". Options encoded here from those fields. */
static const uint8_t obs_req[] = {0x41, 0x01, 0x16, 0x33, 0x4a, 0x60, /* Observe 6, empty */
                                  0x5B, 't', 'e', 'm', 'p', 'e', 'r', 'a', 't', 'u', 'r', 'e'};
static const uint8_t obs_rsp[] = {0x61, 0x45, 0x16, 0x33, 0x4a, 0x61, 0x09, 0x81, 0x0f,
                                  0xFF, '1', '8', '.', '5', ' ', 'C', 'e', 'l'};
static const uint8_t obs_ntf[] = {0x51, 0x45, 0x7b, 0x50, 0x4a, 0x61, 0x10, 0x81, 0x0f,
                                  0xFF, '1', '9', '.', '2', ' ', 'C', 'e', 'l'};

static void test_msg_rfc7641_observe_exchange(void **state)
{
    static const struct {
        const uint8_t *wire;
        size_t len;
        uint8_t type, code;
        uint16_t mid;
        uint32_t seq;
        const char *payload;
    } ex[] = {
        {EX(obs_req), TETHER_COAP_CON, TETHER_COAP_GET, 0x1633, 0, NULL},
        {EX(obs_rsp), TETHER_COAP_ACK, TETHER_COAP_CONTENT, 0x1633, 9, "18.5 Cel"},
        {EX(obs_ntf), TETHER_COAP_NON, TETHER_COAP_CONTENT, 0x7b50, 16, "19.2 Cel"},
    };
    const uint8_t tok = 0x4a;
    (void)state;

    for (size_t i = 0; i < LEN(ex); i++) {
        tether_coap_msg m;
        tether_coap_builder b;
        uint8_t buf[64];
        uint32_t seq = 99, age = 0;
        size_t n = 0;

        parse_ok(&m, ex[i].wire, ex[i].len);
        assert_int_equal(m.type, ex[i].type);
        assert_int_equal(m.code, ex[i].code);
        assert_int_equal(m.mid, ex[i].mid);
        assert_int_equal(tether_coap_observe(&m, &seq), 0);
        assert_int_equal(seq, ex[i].seq);

        tether_coap_build_init(&b, buf, sizeof(buf), ex[i].type, ex[i].code, ex[i].mid, &tok, 1);
        tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_OBSERVE, ex[i].seq);
        if (ex[i].payload == NULL) {
            assert_int_equal(tether_coap_opt_uint(&m, TETHER_COAP_OPT_MAX_AGE, &age),
                             TETHER_ERR_NOT_FOUND);
            tether_coap_build_path(&b, TETHER_COAP_OPT_URI_PATH, "temperature");
        } else {
            assert_int_equal(tether_coap_opt_uint(&m, TETHER_COAP_OPT_MAX_AGE, &age), 0);
            assert_int_equal(age, 15);
            tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_MAX_AGE, 15);
            tether_coap_build_payload(&b, ex[i].payload, strlen(ex[i].payload));
        }
        assert_int_equal(tether_coap_build_finish(&b, &n), 0);
        assert_int_equal(n, ex[i].len);
        assert_memory_equal(buf, ex[i].wire, n);
    }
}

/* RFC 9176 (Resource Directory) example: POST /rd?ep=node1, ct 40, link
 * payload; 2.01 Created with Location-Path rd/4521. The RFC gives no MID or
 * token; 0x0042 and 0xa1b2 are made up. */
#define RD_LINKS "</sensors/temp>;rt=temperature-c;if=sensor"
static const uint8_t rd_req[] = {
    0x42, 0x02, 0x00, 0x42, 0xa1, 0xb2,
    0xB2, 'r', 'd', 0x11, 0x28, 0x38, 'e', 'p', '=', 'n', 'o', 'd', 'e', '1',
    0xFF, '<', '/', 's', 'e', 'n', 's', 'o', 'r', 's', '/', 't', 'e', 'm', 'p', '>', ';',
    'r', 't', '=', 't', 'e', 'm', 'p', 'e', 'r', 'a', 't', 'u', 'r', 'e', '-', 'c', ';',
    'i', 'f', '=', 's', 'e', 'n', 's', 'o', 'r'};
static const uint8_t rd_rsp[] = {
    0x62, 0x41, 0x00, 0x42, 0xa1, 0xb2, 0x82, 'r', 'd', 0x04, '4', '5', '2', '1'};

static void test_msg_rd_register_and_location_path(void **state)
{
    const uint8_t tok[] = {0xa1, 0xb2};
    tether_coap_builder b;
    tether_coap_msg m;
    uint8_t buf[96];
    const uint8_t *v;
    size_t n = 0, vlen = 0;
    uint32_t ct = 0;
    char loc[16];
    (void)state;

    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_CON, TETHER_COAP_POST, 0x42, tok, 2);
    tether_coap_build_path(&b, TETHER_COAP_OPT_URI_PATH, "rd");
    tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_CONTENT_FORMAT, TETHER_FMT_LINK);
    tether_coap_build_opt_str(&b, TETHER_COAP_OPT_URI_QUERY, "ep=node1");
    tether_coap_build_payload(&b, RD_LINKS, strlen(RD_LINKS));
    assert_int_equal(tether_coap_build_finish(&b, &n), 0);
    assert_int_equal(n, sizeof(rd_req));
    assert_memory_equal(buf, rd_req, n);

    parse_ok(&m, rd_req, sizeof(rd_req));
    assert_true(tether_coap_path_equals(&m, "rd"));
    assert_int_equal(tether_coap_content_format(&m, &ct), 0);
    assert_int_equal(ct, TETHER_FMT_LINK);
    assert_int_equal(tether_coap_query_find(&m, "ep", &v, &vlen), 0);
    assert_int_equal(vlen, 5);
    assert_memory_equal(v, "node1", 5);

    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_ACK, TETHER_COAP_CREATED, 0x42, tok, 2);
    tether_coap_build_path(&b, TETHER_COAP_OPT_LOCATION_PATH, "rd/4521");
    assert_int_equal(tether_coap_build_finish(&b, &n), 0);
    assert_int_equal(n, sizeof(rd_rsp));
    assert_memory_equal(buf, rd_rsp, n);

    parse_ok(&m, rd_rsp, sizeof(rd_rsp));
    assert_int_equal(tether_coap_path_string(&m, TETHER_COAP_OPT_LOCATION_PATH, loc, sizeof(loc)), 0);
    assert_string_equal(loc, "rd/4521");
    /* Location-Path is not Uri-Path. */
    assert_true(tether_coap_path_equals(&m, ""));
    assert_int_equal(tether_coap_path_string(&m, TETHER_COAP_OPT_URI_PATH, loc, sizeof(loc)), 0);
    assert_string_equal(loc, "");
}

/* --- RFC 7959 block options ---------------------------------------------- */

static const struct {
    uint32_t num;
    uint8_t more, szx;
    size_t len;
    uint8_t wire[3];
} block_values[] = {
    {0, 0, 0, 0, {0}},                    /* all zero: empty value */
    {0, 1, 3, 1, {0x0B}},                 /* §3 fig. 2: 2:0/1/128 */
    {1, 0, 3, 1, {0x13}},                 /* 2:1/0/128 */
    {1, 1, 3, 1, {0x1B}},                 /* 2:1/1/128 */
    {2, 0, 3, 1, {0x23}},                 /* 2:2/0/128 */
    {0, 0, 2, 1, {0x02}},                 /* fig. 3: 2:0/0/64 */
    {5, 0, 2, 1, {0x52}},                 /* 2:5/0/64 */
    {4, 1, 1, 1, {0x49}},                 /* fig. 6 (PUT): 1:4/1/32 */
    {15, 1, 6, 1, {0xFE}},                /* largest 1-byte form */
    {16, 0, 0, 2, {0x01, 0x00}},          /* smallest 2-byte form */
    {4095, 1, 6, 2, {0xFF, 0xFE}},        /* largest 2-byte form */
    {4096, 0, 0, 3, {0x01, 0x00, 0x00}},  /* smallest 3-byte form */
    {(1u << 20) - 1, 1, 6, 3, {0xFF, 0xFF, 0xFE}},
    {(1u << 20) - 1, 0, 0, 3, {0xFF, 0xFF, 0xF0}},
};

static void test_msg_block_values_encode_and_decode(void **state)
{
    (void)state;
    for (size_t i = 0; i < LEN(block_values); i++) {
        tether_coap_block blk = {block_values[i].num, block_values[i].more, block_values[i].szx};
        tether_coap_block got;
        tether_coap_builder b;
        tether_coap_msg m;
        uint8_t buf[16];
        size_t n = 0, len = block_values[i].len;

        tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_CON, TETHER_COAP_GET, 1, NULL, 0);
        assert_int_equal(tether_coap_build_block(&b, TETHER_COAP_OPT_BLOCK2, &blk), 0);
        assert_int_equal(tether_coap_build_finish(&b, &n), 0);
        /* Block2 = 23: delta nibble 13, extended byte 10, then the value. */
        assert_int_equal(n, 4 + 2 + len);
        assert_int_equal(buf[4], 0xD0 | len);
        assert_int_equal(buf[5], 10);
        assert_memory_equal(buf + 6, block_values[i].wire, len);

        parse_ok(&m, buf, n);
        memset(&got, 0xEE, sizeof(got));
        assert_int_equal(tether_coap_block_get(&m, TETHER_COAP_OPT_BLOCK2, &got), 0);
        assert_int_equal(got.num, blk.num);
        assert_int_equal(got.more, blk.more);
        assert_int_equal(got.szx, blk.szx);
        assert_int_equal(tether_coap_block_get(&m, TETHER_COAP_OPT_BLOCK1, &got),
                         TETHER_ERR_NOT_FOUND);
        assert_int_equal(tether_coap_block_value(&blk),
                         blk.num << 4 | (uint32_t)blk.more << 3 | blk.szx);
        assert_int_equal(TETHER_COAP_BLOCK_SIZE(blk.szx), (size_t)16 << blk.szx);
    }
    assert_int_equal(TETHER_COAP_BLOCK_SIZE(0), 16);
    assert_int_equal(TETHER_COAP_BLOCK_SIZE(6), 1024);
}

static void test_msg_block_bad_values_rejected(void **state)
{
    static const struct {
        uint8_t wire[4];
        size_t len;
    } bad[] = {
        {{0x07}, 1},             /* SZX 7 */
        {{0x0F}, 1},             /* SZX 7, M */
        {{0xFF, 0xFF, 0xFF}, 3}, /* SZX 7 in the 3-byte form */
        {{0x00, 0x00, 0x00, 0x0B}, 4}, /* 4 bytes, even with a good value */
    };
    tether_coap_block blk, before;
    tether_coap_builder b;
    uint8_t buf[16];
    size_t n;
    (void)state;

    for (size_t i = 0; i < LEN(bad); i++) {
        memset(&blk, 0x5A, sizeof(blk));
        before = blk;
        assert_int_equal(tether_coap_block_decode(bad[i].wire, bad[i].len, &blk),
                         TETHER_ERR_BAD_OPTION);
        assert_memory_equal(&blk, &before, sizeof(blk));
    }
    /* The builder refuses SZX 7 and NUM 2^20. */
    blk = (tether_coap_block){0, 0, 7};
    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_CON, TETHER_COAP_GET, 1, NULL, 0);
    assert_int_equal(tether_coap_build_block(&b, TETHER_COAP_OPT_BLOCK1, &blk), TETHER_ERR_INVAL);
    assert_int_equal(tether_coap_build_finish(&b, &n), TETHER_ERR_INVAL);
    blk = (tether_coap_block){1u << 20, 0, 0};
    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_CON, TETHER_COAP_GET, 1, NULL, 0);
    assert_int_equal(tether_coap_build_block(&b, TETHER_COAP_OPT_BLOCK1, &blk), TETHER_ERR_INVAL);
}

/* RFC 7959 §3 figure 2 (simple block-wise GET of /status, 128-byte blocks)
 * and the atomic PUT of §3 (Block1 with 2.31 Continue), bytes written from
 * the figures' fields; payload contents are not given, 'x' stands in. */
static void test_msg_rfc7959_block_exchanges(void **state)
{
    static const uint8_t get1[] = {0x40, 0x01, 0x04, 0xd3, 0xB6, 's', 't', 'a', 't', 'u', 's',
                                   0xC1, 0x13}; /* 2:1/0/128 (delta 12) */
    static const uint8_t ack0_head[] = {0x60, 0x45, 0x04, 0xd2, 0xD1, 0x0A, 0x0B, 0xFF};
    static const uint8_t put0_head[] = {0x40, 0x03, 0x04, 0xd2, 0xB7, 'o', 'p', 't', 'i', 'o', 'n',
                                        's', 0xD1, 0x03, 0x0B, 0xFF}; /* 1:0/1/128 (delta 16) */
    static const uint8_t cont0[] = {0x60, 0x5F, 0x04, 0xd2, 0xD1, 0x0E, 0x0B};   /* 2.31 */
    static const uint8_t changed[] = {0x60, 0x44, 0x04, 0xd4, 0xD1, 0x0E, 0x23}; /* 2.04 1:2/0/128 */
    uint8_t want[sizeof(put0_head) + 128], buf[200], block[128];
    tether_coap_block blk;
    tether_coap_builder b;
    tether_coap_msg m;
    size_t n = 0;
    (void)state;

    memset(block, 'x', sizeof(block));

    /* GET /status, Block2 1/0/128. */
    blk = (tether_coap_block){1, 0, 3};
    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_CON, TETHER_COAP_GET, 1235, NULL, 0);
    tether_coap_build_path(&b, TETHER_COAP_OPT_URI_PATH, "status");
    tether_coap_build_block(&b, TETHER_COAP_OPT_BLOCK2, &blk);
    assert_int_equal(tether_coap_build_finish(&b, &n), 0);
    assert_int_equal(n, sizeof(get1));
    assert_memory_equal(buf, get1, n);

    /* ACK 2.05, Block2 0/1/128 and 128 bytes. */
    memcpy(want, ack0_head, sizeof(ack0_head));
    memcpy(want + sizeof(ack0_head), block, 128);
    blk = (tether_coap_block){0, 1, 3};
    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_ACK, TETHER_COAP_CONTENT, 1234, NULL, 0);
    tether_coap_build_block(&b, TETHER_COAP_OPT_BLOCK2, &blk);
    tether_coap_build_payload(&b, block, 128);
    assert_int_equal(tether_coap_build_finish(&b, &n), 0);
    assert_int_equal(n, sizeof(ack0_head) + 128);
    assert_memory_equal(buf, want, n);
    parse_ok(&m, buf, n);
    assert_int_equal(tether_coap_block_get(&m, TETHER_COAP_OPT_BLOCK2, &blk), 0);
    assert_true(blk.num == 0 && blk.more == 1 && TETHER_COAP_BLOCK_SIZE(blk.szx) == m.payload_len);

    /* CON PUT /options, Block1 0/1/128 and 128 bytes. */
    memcpy(want, put0_head, sizeof(put0_head));
    memcpy(want + sizeof(put0_head), block, 128);
    blk = (tether_coap_block){0, 1, 3};
    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_CON, TETHER_COAP_PUT, 1234, NULL, 0);
    tether_coap_build_path(&b, TETHER_COAP_OPT_URI_PATH, "options");
    tether_coap_build_block(&b, TETHER_COAP_OPT_BLOCK1, &blk);
    tether_coap_build_payload(&b, block, 128);
    assert_int_equal(tether_coap_build_finish(&b, &n), 0);
    assert_int_equal(n, sizeof(want));
    assert_memory_equal(buf, want, n);

    /* 2.31 Continue and the final 2.04 echo Block1 (delta 27: 13 + 14). */
    assert_roundtrip(cont0, sizeof(cont0));
    parse_ok(&m, changed, sizeof(changed));
    assert_int_equal(tether_coap_block_get(&m, TETHER_COAP_OPT_BLOCK1, &blk), 0);
    assert_true(blk.num == 2 && blk.more == 0 && blk.szx == 3);
    assert_roundtrip(changed, sizeof(changed));
}

/* --- malformed input: each with its own code, output untouched ----------- */

static void test_msg_malformed_short_header(void **state)
{
    const uint8_t hdr[] = {0x40, 0x01, 0x00};
    tether_coap_msg m, before;
    (void)state;

    for (size_t len = 0; len < 4; len++)
        parse_fails(hdr, len, TETHER_ERR_MALFORMED);
    memset(&m, 0x33, sizeof(m));
    before = m;
    assert_int_equal(tether_coap_parse(&m, NULL, 4), TETHER_ERR_MALFORMED);
    assert_memory_equal(&m, &before, sizeof(m));
}

static void test_msg_malformed_version(void **state)
{
    (void)state;
    for (unsigned v = 0; v < 4; v++) {
        const uint8_t wire[] = {(uint8_t)(v << 6), 0x01, 0x00, 0x01};
        if (v == 1) {
            tether_coap_msg m;
            parse_ok(&m, wire, sizeof(wire));
            continue;
        }
        parse_fails(wire, sizeof(wire), TETHER_ERR_BAD_VERSION);
    }
}

static void test_msg_malformed_token_length_9_to_15(void **state)
{
    (void)state;
    for (uint8_t tkl = 9; tkl <= 15; tkl++) {
        uint8_t wire[4 + 15 + 2] = {(uint8_t)(0x40 | tkl), 0x01, 0x00, 0x01};
        /* Exactly tkl bytes follow, and also fewer and more: still the same code. */
        parse_fails(wire, 4 + tkl, TETHER_ERR_BAD_TOKEN_LEN);
        parse_fails(wire, 4, TETHER_ERR_BAD_TOKEN_LEN);
        parse_fails(wire, sizeof(wire), TETHER_ERR_BAD_TOKEN_LEN);
    }
}

static void test_msg_malformed_token_past_end(void **state)
{
    const uint8_t wire[] = {0x48, 0x01, 0x00, 0x01, 1, 2, 3, 4, 5, 6, 7};
    (void)state;
    parse_fails(wire, sizeof(wire), TETHER_ERR_MALFORMED);
}

static void test_msg_malformed_nibble_15(void **state)
{
    (void)state;
    /* Delta nibble 15 with any length nibble but the marker's. */
    for (unsigned lo = 0; lo < 15; lo++) {
        const uint8_t wire[] = {0x40, 0x01, 0x00, 0x01, (uint8_t)(0xF0 | lo), 0, 0, 0};
        parse_fails(wire, sizeof(wire), TETHER_ERR_BAD_OPTION_NIBBLE);
    }
    /* Length nibble 15 with any delta nibble but the marker's. */
    for (unsigned hi = 0; hi < 15; hi++) {
        const uint8_t wire[] = {0x40, 0x01, 0x00, 0x01, (uint8_t)(hi << 4 | 0x0F), 0, 0, 0};
        parse_fails(wire, sizeof(wire), TETHER_ERR_BAD_OPTION_NIBBLE);
    }
    /* The same after a good option, and after an option with extended bytes. */
    const uint8_t after[] = {0x40, 0x01, 0x00, 0x01, 0xB1, 'a', 0x1F, 0};
    parse_fails(after, sizeof(after), TETHER_ERR_BAD_OPTION_NIBBLE);
    const uint8_t after_ext[] = {0x40, 0x01, 0x00, 0x01, 0xD0, 0x00, 0xF0};
    parse_fails(after_ext, sizeof(after_ext), TETHER_ERR_BAD_OPTION_NIBBLE);
}

static void test_msg_malformed_truncated_option(void **state)
{
    static const struct {
        const char *what;
        uint8_t opts[20];
        size_t n;
    } cases[] = {
        {"delta 13, extended byte missing", {0xD0}, 1},
        {"delta 14, both extended bytes missing", {0xE0}, 1},
        {"delta 14, one extended byte missing", {0xE0, 0x00}, 2},
        {"length 13, extended byte missing", {0x0D}, 1},
        {"length 14, both extended bytes missing", {0x0E}, 1},
        {"length 14, one extended byte missing", {0x0E, 0x00}, 2},
        {"delta 13 present, length 13 missing", {0xDD, 0x00}, 2},
        {"delta 14 present, length 14 short", {0xEE, 0x00, 0x00, 0x00}, 4},
        {"value shorter than length", {0x03, 'a', 'b'}, 3},
        {"length 13 + 0, 12 bytes", {0x0D, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 14},
        {"second option cut", {0xB1, 'a', 0x02, 'b'}, 4},
        {"value missing entirely", {0x01}, 1},
    };
    (void)state;

    for (size_t i = 0; i < LEN(cases); i++) {
        uint8_t wire[32] = {0x40, 0x01, 0x00, 0x01};
        memcpy(wire + 4, cases[i].opts, cases[i].n);
        print_message("%s\n", cases[i].what);
        parse_fails(wire, 4 + cases[i].n, TETHER_ERR_TRUNCATED_OPTION);
    }
}

static void test_msg_malformed_marker_without_payload(void **state)
{
    const uint8_t bare[] = {0x40, 0x01, 0x00, 0x01, 0xFF};
    const uint8_t after_opt[] = {0x41, 0x45, 0x00, 0x01, 0x7a, 0xB1, 'a', 0xFF};
    tether_coap_msg m;
    (void)state;

    parse_fails(bare, sizeof(bare), TETHER_ERR_EMPTY_PAYLOAD);
    parse_fails(after_opt, sizeof(after_opt), TETHER_ERR_EMPTY_PAYLOAD);
    /* One payload byte is enough, and it may itself be 0xFF. */
    const uint8_t ff[] = {0x40, 0x01, 0x00, 0x01, 0xFF, 0xFF};
    parse_ok(&m, ff, sizeof(ff));
    assert_int_equal(m.payload_len, 1);
    assert_int_equal(m.payload[0], 0xFF);
    assert_int_equal(m.opts_len, 0);
}

static void test_msg_malformed_empty_message_with_content(void **state)
{
    const uint8_t with_token[] = {0x41, 0x00, 0x00, 0x01, 0xAA};
    const uint8_t tkl_no_bytes[] = {0x61, 0x00, 0x00, 0x01};
    const uint8_t with_option[] = {0x60, 0x00, 0x00, 0x01, 0xB0};
    const uint8_t with_payload[] = {0x70, 0x00, 0x00, 0x01, 0xFF, 'x'};
    const uint8_t one_byte[] = {0x40, 0x00, 0x00, 0x01, 0x00};
    const uint8_t ping[] = {0x40, 0x00, 0x12, 0x34};
    tether_coap_msg m;
    (void)state;

    parse_fails(with_token, sizeof(with_token), TETHER_ERR_MALFORMED);
    parse_fails(tkl_no_bytes, sizeof(tkl_no_bytes), TETHER_ERR_MALFORMED);
    parse_fails(with_option, sizeof(with_option), TETHER_ERR_MALFORMED);
    parse_fails(with_payload, sizeof(with_payload), TETHER_ERR_MALFORMED);
    parse_fails(one_byte, sizeof(one_byte), TETHER_ERR_MALFORMED);
    /* CON Empty is a ping (RFC 7252 §4.3): 4 bytes, fine. */
    parse_ok(&m, ping, sizeof(ping));
    assert_int_equal(m.type, TETHER_COAP_CON);
    assert_int_equal(m.code, TETHER_COAP_EMPTY);
    assert_int_equal(m.mid, 0x1234);
}

static void test_msg_malformed_option_number_past_65535(void **state)
{
    const uint8_t delta_max[] = {0x40, 0x01, 0x00, 0x01, 0xE0, 0xFF, 0xFF};
    const uint8_t delta_65536[] = {0x40, 0x01, 0x00, 0x01, 0xE0, 0xFE, 0xF3};
    const uint8_t sum_past[] = {0x40, 0x01, 0x00, 0x01, 0xE0, 0xFE, 0xF2, 0x10};
    const uint8_t at_max[] = {0x40, 0x01, 0x00, 0x01, 0xE0, 0xFE, 0xF2, 0x00};
    tether_coap_msg m;
    (void)state;

    parse_fails(delta_max, sizeof(delta_max), TETHER_ERR_MALFORMED);
    parse_fails(delta_65536, sizeof(delta_65536), TETHER_ERR_MALFORMED);
    parse_fails(sum_past, sizeof(sum_past), TETHER_ERR_MALFORMED);
    parse_ok(&m, at_max, sizeof(at_max));
    assert_int_equal(nth_opt(&m, 1).num, 65535);
}

/* The codec's failures are told apart by code alone, each has a name, and
 * none is fatal (bad input never is). */
static void test_msg_error_codes_distinct(void **state)
{
    const uint8_t short_msg[] = {0x40, 0x01};
    const uint8_t v2[] = {0x80, 0x01, 0, 1};
    const uint8_t tkl9[] = {0x49, 0x01, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    const uint8_t nib[] = {0x40, 0x01, 0, 1, 0xF1, 0};
    const uint8_t trunc[] = {0x40, 0x01, 0, 1, 0xB5, 'a'};
    const uint8_t empty_pl[] = {0x40, 0x01, 0, 1, 0xFF};
    const uint8_t five[] = {1, 2, 3, 4, 5};
    uint8_t buf[8];
    tether_coap_builder b;
    tether_coap_msg m;
    tether_coap_opt o;
    uint32_t u;
    int codes[11];
    size_t k = 0;
    (void)state;

    codes[k++] = parse_fails(short_msg, sizeof(short_msg), TETHER_ERR_MALFORMED);
    codes[k++] = parse_fails(v2, sizeof(v2), TETHER_ERR_BAD_VERSION);
    codes[k++] = parse_fails(tkl9, sizeof(tkl9), TETHER_ERR_BAD_TOKEN_LEN);
    codes[k++] = parse_fails(nib, sizeof(nib), TETHER_ERR_BAD_OPTION_NIBBLE);
    codes[k++] = parse_fails(trunc, sizeof(trunc), TETHER_ERR_TRUNCATED_OPTION);
    codes[k++] = parse_fails(empty_pl, sizeof(empty_pl), TETHER_ERR_EMPTY_PAYLOAD);
    codes[k++] = tether_coap_uint_decode(five, 5, &u);
    parse_ok(&m, f16_rsp, sizeof(f16_rsp));
    codes[k++] = tether_coap_opt_find(&m, 11, &o);
    tether_coap_build_init(&b, buf, sizeof(buf), 0, 1, 1, NULL, 0);
    codes[k++] = tether_coap_build_payload(&b, "toolongforit", 12);
    tether_coap_build_init(&b, buf, sizeof(buf), 0, 1, 1, NULL, 0);
    tether_coap_build_opt(&b, 4, NULL, 0);
    codes[k++] = tether_coap_build_opt(&b, 3, NULL, 0);
    codes[k++] = tether_coap_build_init(&b, buf, sizeof(buf), 0, 1, 1, NULL, 9);

    assert_int_equal(codes[6], TETHER_ERR_BAD_OPTION);
    assert_int_equal(codes[7], TETHER_ERR_NOT_FOUND);
    assert_int_equal(codes[8], TETHER_ERR_NOSPACE);
    assert_int_equal(codes[9], TETHER_ERR_OPTION_ORDER);
    assert_int_equal(codes[10], TETHER_ERR_INVAL);
    for (size_t i = 0; i < k; i++) {
        assert_true(codes[i] < 0);
        assert_false(tether_err_is_fatal(codes[i]));
        assert_string_not_equal(tether_err_name(codes[i]), "TETHER_ERR_UNKNOWN");
        for (size_t j = i + 1; j < k; j++)
            assert_int_not_equal(codes[i], codes[j]);
    }
}

/* --- readers ------------------------------------------------------------- */

static void test_msg_query_find(void **state)
{
    static const uint8_t wire[] = {
        0x40, 0x02, 0x00, 0x01,
        0xB2, 'r', 'd',
        0x47, 'e', 'p', 'x', '=', 'n', 'o', '1', /* 15: "epx=no1": not "ep" */
        0x08, 'e', 'p', '=', 'n', 'o', 'd', 'e', '1',
        0x08, 'e', 'p', '=', 'n', 'o', 'd', 'e', '2', /* repeated: first wins */
        0x01, 'b',
        0x05, 'k', '=', 'a', '=', 'b', /* value may hold '=' */
        0x03, 'e', '=', '=',
        0x21, 'Q', /* 17 Accept, not a query */
    };
    tether_coap_msg m;
    const uint8_t *v = (const uint8_t *)"untouched";
    size_t len = 42;
    (void)state;

    parse_ok(&m, wire, sizeof(wire));
    assert_int_equal(tether_coap_query_find(&m, "ep", &v, &len), 0);
    assert_int_equal(len, 5);
    assert_memory_equal(v, "node1", 5);
    assert_int_equal(tether_coap_query_find(&m, "epx", &v, &len), 0);
    assert_memory_equal(v, "no1", 3);
    assert_int_equal(tether_coap_query_find(&m, "b", &v, &len), 0);
    assert_int_equal(len, 0);
    assert_ptr_equal(v, wire + 4 + 3 + 8 + 9 + 9 + 2);
    assert_int_equal(tether_coap_query_find(&m, "k", &v, &len), 0);
    assert_int_equal(len, 3);
    assert_memory_equal(v, "a=b", 3);
    assert_int_equal(tether_coap_query_find(&m, "e", &v, &len), 0);
    assert_int_equal(len, 1);
    assert_memory_equal(v, "=", 1);

    v = (const uint8_t *)"untouched";
    len = 42;
    assert_int_equal(tether_coap_query_find(&m, "lt", &v, &len), TETHER_ERR_NOT_FOUND);
    assert_int_equal(tether_coap_query_find(&m, "rd", &v, &len), TETHER_ERR_NOT_FOUND);
    assert_int_equal(tether_coap_query_find(&m, "Q", &v, &len), TETHER_ERR_NOT_FOUND);
    assert_int_equal(tether_coap_query_find(&m, "node1", &v, &len), TETHER_ERR_NOT_FOUND);
    parse_ok(&m, f16_req, sizeof(f16_req)); /* no Uri-Query at all */
    assert_int_equal(tether_coap_query_find(&m, "ep", &v, &len), TETHER_ERR_NOT_FOUND);
    assert_string_equal((const char *)v, "untouched");
    assert_int_equal(len, 42);
}

static void test_msg_path_equals(void **state)
{
    static const uint8_t rd_abc[] = {0x40, 0x01, 0, 1, 0xB2, 'r', 'd', 0x03, 'a', 'b', 'c',
                                     0x41, 'q'};
    static const uint8_t trailing[] = {0x40, 0x01, 0, 1, 0xB2, 'r', 'd', 0x00};
    static const uint8_t middle[] = {0x40, 0x01, 0, 1, 0xB1, 'a', 0x00, 0x01, 'b'};
    static const uint8_t none[] = {0x40, 0x01, 0, 1, 0x81, 'x', 0x71, 'q'};
    tether_coap_msg m;
    (void)state;

    parse_ok(&m, rd_abc, sizeof(rd_abc));
    assert_true(tether_coap_path_equals(&m, "rd/abc"));
    assert_true(tether_coap_path_equals(&m, "/rd/abc"));
    assert_false(tether_coap_path_equals(&m, "rd"));
    assert_false(tether_coap_path_equals(&m, "rd/ab"));
    assert_false(tether_coap_path_equals(&m, "rd/abcd"));
    assert_false(tether_coap_path_equals(&m, "rd/abd")); /* same length, other bytes */
    assert_false(tether_coap_path_equals(&m, "rd/abc/d"));
    assert_false(tether_coap_path_equals(&m, "rd/abc/"));
    assert_false(tether_coap_path_equals(&m, "rdabc"));
    assert_false(tether_coap_path_equals(&m, ""));

    /* "/rd/" is Uri-Path "rd" and "" (RFC 7252 §6.4), not "rd". */
    parse_ok(&m, trailing, sizeof(trailing));
    assert_true(tether_coap_path_equals(&m, "rd/"));
    assert_false(tether_coap_path_equals(&m, "rd"));
    parse_ok(&m, rd_abc, sizeof(rd_abc));
    assert_false(tether_coap_path_equals(&m, "rd/abc/"));

    parse_ok(&m, middle, sizeof(middle));
    assert_true(tether_coap_path_equals(&m, "a//b"));
    assert_false(tether_coap_path_equals(&m, "a/b"));

    /* No Uri-Path (Location-Path 8 and Uri-Query 15 do not count): root. */
    parse_ok(&m, none, sizeof(none));
    assert_true(tether_coap_path_equals(&m, ""));
    assert_true(tether_coap_path_equals(&m, "/"));
    assert_false(tether_coap_path_equals(&m, "x"));
}

static void test_msg_path_string(void **state)
{
    tether_coap_msg m;
    char out[16];
    (void)state;

    parse_ok(&m, repeated_wire, sizeof(repeated_wire));
    /* "rd/abc" is 6 characters: 7 bytes fit, 6 do not. */
    assert_int_equal(tether_coap_path_string(&m, TETHER_COAP_OPT_URI_PATH, out, 7), 0);
    assert_string_equal(out, "rd/abc");
    memset(out, 'Z', sizeof(out));
    assert_int_equal(tether_coap_path_string(&m, TETHER_COAP_OPT_URI_PATH, out, 6),
                     TETHER_ERR_NOSPACE);
    assert_int_equal(out[0], '\0');
    assert_int_equal(out[6], 'Z');
    assert_int_equal(tether_coap_path_string(&m, TETHER_COAP_OPT_URI_PATH, out, 0),
                     TETHER_ERR_NOSPACE);
    assert_int_equal(tether_coap_path_string(&m, TETHER_COAP_OPT_URI_PATH, out, 1),
                     TETHER_ERR_NOSPACE);
    /* No such option: the empty string, which fits in 1 byte. */
    assert_int_equal(tether_coap_path_string(&m, TETHER_COAP_OPT_LOCATION_PATH, out, 1), 0);
    assert_string_equal(out, "");

    /* A leading empty segment still gets its separator: "", "a" is "/a". */
    static const uint8_t lead[] = {0x40, 0x01, 0, 1, 0xB0, 0x01, 'a'};
    parse_ok(&m, lead, sizeof(lead));
    assert_int_equal(tether_coap_path_string(&m, TETHER_COAP_OPT_URI_PATH, out, sizeof(out)), 0);
    assert_string_equal(out, "/a");
    assert_true(tether_coap_path_equals(&m, "/a") == 0); /* leading '/' is stripped */
    assert_true(tether_coap_path_equals(&m, "//a"));
}

static void test_msg_collect(void **state)
{
    tether_coap_msg m;
    tether_coap_opt out[3];
    size_t n = 99;
    (void)state;

    parse_ok(&m, repeated_wire, sizeof(repeated_wire));
    assert_int_equal(tether_coap_opt_collect(&m, TETHER_COAP_OPT_URI_QUERY, out, 3, &n), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(out[0].val, "ep=node", 7);
    assert_memory_equal(out[1].val, "lt=86400", 8);
    assert_int_equal(out[2].len, 1);

    memset(out, 0, sizeof(out));
    assert_int_equal(tether_coap_opt_collect(&m, TETHER_COAP_OPT_URI_QUERY, out, 2, &n),
                     TETHER_ERR_NOSPACE);
    assert_int_equal(n, 3); /* how many there are, not how many fit */
    assert_memory_equal(out[1].val, "lt=86400", 8);
    assert_null(out[2].val); /* nothing written past max */

    assert_int_equal(tether_coap_opt_collect(&m, TETHER_COAP_OPT_URI_PATH, NULL, 0, &n),
                     TETHER_ERR_NOSPACE);
    assert_int_equal(n, 2);
    assert_int_equal(tether_coap_opt_collect(&m, TETHER_COAP_OPT_ETAG, out, 3, &n), 0);
    assert_int_equal(n, 0);
}

static void test_msg_uint_decode(void **state)
{
    const uint8_t v[] = {0x00, 0x01, 0x02, 0x03, 0x04};
    const uint8_t ff[] = {0xFF, 0xFF, 0xFF, 0xFF};
    uint32_t out = 7;
    (void)state;

    assert_int_equal(tether_coap_uint_decode(v, 0, &out), 0);
    assert_int_equal(out, 0);
    assert_int_equal(tether_coap_uint_decode(v + 1, 1, &out), 0);
    assert_int_equal(out, 1);
    assert_int_equal(tether_coap_uint_decode(v, 4, &out), 0); /* leading zero allowed */
    assert_int_equal(out, 0x010203);
    assert_int_equal(tether_coap_uint_decode(ff, 4, &out), 0);
    assert_int_equal(out, 0xFFFFFFFFu);
    out = 7;
    assert_int_equal(tether_coap_uint_decode(v, 5, &out), TETHER_ERR_BAD_OPTION);
    assert_int_equal(out, 7);
}

/* Observe allows 3 bytes, Content-Format and Accept 2, a plain uint 4. */
static void test_msg_uint_options_ranges(void **state)
{
    static const uint8_t good[] = {0x40, 0x01, 0, 1,
                                   0x63, 0xFF, 0xFF, 0xFF, /* 6 Observe 2^24-1 */
                                   0x62, 0x2D, 0x16,       /* 12 Content-Format 11542 */
                                   0x52, 0x2D, 0x17,       /* 17 Accept 11543 */
                                   0xD4, 0x1E, 0xFF, 0xFF, 0xFF, 0xFF}; /* 60 Size1 */
    static const uint8_t too_long[] = {0x40, 0x01, 0, 1,
                                       0x64, 0, 0, 0, 1,   /* Observe 4 bytes */
                                       0x63, 0, 0, 1,      /* Content-Format 3 bytes */
                                       0x53, 0, 0, 1,      /* Accept 3 bytes */
                                       0xD5, 0x1E, 0, 0, 0, 0, 1}; /* Size1 5 bytes */
    tether_coap_msg m;
    uint32_t u = 5;
    (void)state;

    parse_ok(&m, good, sizeof(good));
    assert_int_equal(tether_coap_observe(&m, &u), 0);
    assert_int_equal(u, 0xFFFFFF);
    assert_int_equal(tether_coap_content_format(&m, &u), 0);
    assert_int_equal(u, TETHER_FMT_TLV);
    assert_int_equal(tether_coap_accept(&m, &u), 0);
    assert_int_equal(u, TETHER_FMT_JSON);
    assert_int_equal(tether_coap_opt_uint(&m, TETHER_COAP_OPT_SIZE1, &u), 0);
    assert_int_equal(u, 0xFFFFFFFFu);

    parse_ok(&m, too_long, sizeof(too_long));
    u = 5;
    assert_int_equal(tether_coap_observe(&m, &u), TETHER_ERR_BAD_OPTION);
    assert_int_equal(tether_coap_content_format(&m, &u), TETHER_ERR_BAD_OPTION);
    assert_int_equal(tether_coap_accept(&m, &u), TETHER_ERR_BAD_OPTION);
    assert_int_equal(tether_coap_opt_uint(&m, TETHER_COAP_OPT_SIZE1, &u), TETHER_ERR_BAD_OPTION);
    assert_int_equal(u, 5);

    parse_ok(&m, f16_req, sizeof(f16_req));
    assert_int_equal(tether_coap_observe(&m, &u), TETHER_ERR_NOT_FOUND);
    assert_int_equal(tether_coap_content_format(&m, &u), TETHER_ERR_NOT_FOUND);
    assert_int_equal(u, 5);
}

static void test_msg_code_str(void **state)
{
    static const struct {
        uint8_t code;
        const char *str;
    } cases[] = {
        {TETHER_COAP_EMPTY, "0.00"},     {TETHER_COAP_GET, "0.01"},
        {TETHER_COAP_IPATCH, "0.07"},    {TETHER_COAP_CREATED, "2.01"},
        {TETHER_COAP_CONTENT, "2.05"},   {TETHER_COAP_CONTINUE, "2.31"},
        {TETHER_COAP_NOT_FOUND, "4.04"}, {TETHER_COAP_PRECONDITION_FAILED, "4.12"},
        {TETHER_COAP_REQUEST_ENTITY_TOO_LARGE, "4.13"},
        {TETHER_COAP_SERVICE_UNAVAILABLE, "5.03"}, {0xFF, "7.31"},
    };
    char out[5];
    (void)state;

    for (size_t i = 0; i < LEN(cases); i++) {
        memset(out, 'Z', sizeof(out));
        assert_ptr_equal(tether_coap_code_str(cases[i].code, out), out);
        assert_string_equal(out, cases[i].str);
    }
    assert_int_equal(TETHER_COAP_CODE(4, 4), 0x84);
    assert_int_equal(TETHER_COAP_CLASS(0x84), 4);
    assert_int_equal(TETHER_COAP_DETAIL(0x84), 4);
}

/* --- builder ------------------------------------------------------------- */

static void test_msg_builder_uint_fewest_bytes(void **state)
{
    static const struct {
        uint32_t v;
        size_t n;
        uint8_t bytes[4];
    } cases[] = {
        {0, 0, {0}},           {1, 1, {1}},          {255, 1, {0xFF}},
        {256, 2, {1, 0}},      {65535, 2, {0xFF, 0xFF}}, {65536, 3, {1, 0, 0}},
        {0x01000000, 4, {1, 0, 0, 0}}, {0xFFFFFFFF, 4, {0xFF, 0xFF, 0xFF, 0xFF}},
    };
    (void)state;

    for (size_t i = 0; i < LEN(cases); i++) {
        uint8_t buf[16];
        tether_coap_builder b;
        tether_coap_msg m;
        uint32_t u = 1234;
        size_t n = 0;

        tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_CON, TETHER_COAP_GET, 1, NULL, 0);
        assert_int_equal(tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_MAX_AGE, cases[i].v), 0);
        assert_int_equal(tether_coap_build_finish(&b, &n), 0);
        /* Max-Age 14: delta nibble 13 and extended byte 1. */
        assert_int_equal(n, 6 + cases[i].n);
        assert_int_equal(buf[4], 0xD0 | cases[i].n);
        assert_int_equal(buf[5], 0x01);
        assert_memory_equal(buf + 6, cases[i].bytes, cases[i].n);
        parse_ok(&m, buf, n);
        assert_int_equal(tether_coap_opt_uint(&m, TETHER_COAP_OPT_MAX_AGE, &u), 0);
        assert_int_equal(u, cases[i].v);
    }
}

static void test_msg_builder_init_refusals(void **state)
{
    uint8_t buf[16];
    const uint8_t tok[8] = {0};
    tether_coap_builder b;
    size_t n = 5;
    (void)state;

    assert_int_equal(tether_coap_build_init(&b, buf, sizeof(buf), 0, 1, 1, tok, 9), TETHER_ERR_INVAL);
    assert_int_equal(tether_coap_build_finish(&b, &n), TETHER_ERR_INVAL);
    assert_int_equal(tether_coap_build_init(&b, buf, sizeof(buf), 4, 1, 1, NULL, 0), TETHER_ERR_INVAL);
    assert_int_equal(tether_coap_build_init(&b, buf, sizeof(buf), 0, 1, 1, NULL, 1), TETHER_ERR_INVAL);
    assert_int_equal(tether_coap_build_init(&b, NULL, 0, 0, 1, 1, NULL, 0), TETHER_ERR_NOSPACE);
    assert_int_equal(tether_coap_build_opt(&b, 1, "x", 1), TETHER_ERR_NOSPACE);
    assert_int_equal(tether_coap_build_finish(&b, &n), TETHER_ERR_NOSPACE);
    assert_int_equal(n, 5);
    /* An 8-byte token is the most there is, and fits. */
    assert_int_equal(tether_coap_build_init(&b, buf, 12, 0, 1, 1, tok, 8), 0);
    assert_int_equal(tether_coap_build_finish(&b, &n), 0);
    assert_int_equal(n, 12);
}

/* The builder never emits what the parser refuses: an Empty message is the
 * header alone (RFC 7252 §4.1). */
static void test_msg_builder_empty_message_is_header_only(void **state)
{
    uint8_t buf[16];
    const uint8_t tok = 1;
    tether_coap_builder b;
    size_t n = 0;
    (void)state;

    assert_int_equal(tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_ACK,
                                            TETHER_COAP_EMPTY, 0x7d38, NULL, 0), 0);
    assert_int_equal(tether_coap_build_finish(&b, &n), 0);
    assert_int_equal(n, 4);
    assert_memory_equal(buf, f20_ack, 4);

    assert_int_equal(tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_RST,
                                            TETHER_COAP_EMPTY, 1, &tok, 1), TETHER_ERR_INVAL);
    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_RST, TETHER_COAP_EMPTY, 1, NULL, 0);
    assert_int_equal(tether_coap_build_opt(&b, 11, "a", 1), TETHER_ERR_INVAL);
    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_RST, TETHER_COAP_EMPTY, 1, NULL, 0);
    assert_int_equal(tether_coap_build_payload(&b, "a", 1), TETHER_ERR_INVAL);
    assert_int_equal(tether_coap_build_finish(&b, &n), TETHER_ERR_INVAL);
    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_CON, TETHER_COAP_EMPTY, 1, NULL, 0);
    assert_int_equal(tether_coap_build_payload_commit(&b, 1), TETHER_ERR_INVAL);
}

/* The first error is the one reported, whatever follows. */
static void test_msg_builder_sticky_first_error(void **state)
{
    static uint8_t big[OPT_LEN_MAX + 1];
    uint8_t buf[16];
    tether_coap_builder b;
    uint8_t *dst = (uint8_t *)1;
    size_t n = 3, avail = 3;
    (void)state;

    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_CON, TETHER_COAP_GET, 1, NULL, 0);
    assert_int_equal(tether_coap_build_opt(&b, 11, big, sizeof(big)), TETHER_ERR_INVAL);
    assert_int_equal(tether_coap_build_opt(&b, 11, big, 100), TETHER_ERR_INVAL); /* not NOSPACE */
    assert_int_equal(tether_coap_build_opt(&b, 1, NULL, 0), TETHER_ERR_INVAL);   /* not ORDER */
    assert_int_equal(tether_coap_build_path(&b, 11, "a/b"), TETHER_ERR_INVAL);
    assert_int_equal(tether_coap_build_path(&b, 11, ""), TETHER_ERR_INVAL);
    assert_int_equal(tether_coap_build_opt_uint(&b, 12, 0), TETHER_ERR_INVAL);
    assert_int_equal(tether_coap_build_block(&b, 23, &(tether_coap_block){0, 0, 0}), TETHER_ERR_INVAL);
    assert_int_equal(tether_coap_build_payload(&b, "x", 1), TETHER_ERR_INVAL);
    assert_int_equal(tether_coap_build_payload(&b, "x", 0), TETHER_ERR_INVAL);
    assert_int_equal(tether_coap_build_payload_reserve(&b, &dst, &avail), TETHER_ERR_INVAL);
    assert_int_equal(tether_coap_build_payload_commit(&b, 0), TETHER_ERR_INVAL);
    assert_int_equal(tether_coap_build_finish(&b, &n), TETHER_ERR_INVAL);
    assert_int_equal(n, 3);

    /* NOSPACE first, then an order violation: NOSPACE stays. */
    tether_coap_build_init(&b, buf, 6, TETHER_COAP_CON, TETHER_COAP_GET, 1, NULL, 0);
    assert_int_equal(tether_coap_build_opt(&b, 11, "abc", 3), TETHER_ERR_NOSPACE);
    assert_int_equal(tether_coap_build_opt(&b, 1, NULL, 0), TETHER_ERR_NOSPACE);
    assert_int_equal(tether_coap_build_finish(&b, &n), TETHER_ERR_NOSPACE);
}

/* A 28-byte message built into every smaller buffer: each stage (header,
 * token, option header, extended length, value, payload marker, payload)
 * runs out in turn, reports NOSPACE, and writes nothing past cap. */
static void test_msg_builder_nospace_at_every_stage(void **state)
{
    static const uint8_t want[] = {
        0x42, 0x01, 0x00, 0x05, 0x0A, 0x0B,
        0xBD, 0x03, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p',
        0xFF, 'x', 'y', 'z',
    };
    const uint8_t tok[] = {0x0A, 0x0B};
    (void)state;

    for (size_t cap = 0; cap <= sizeof(want); cap++) {
        uint8_t buf[sizeof(want) + 8];
        tether_coap_builder b;
        int rc_init, rc_opt, rc_pl;
        size_t n = 0;

        memset(buf, 0xEE, sizeof(buf));
        rc_init = tether_coap_build_init(&b, buf, cap, TETHER_COAP_CON, TETHER_COAP_GET, 5, tok, 2);
        rc_opt = tether_coap_build_opt_str(&b, TETHER_COAP_OPT_URI_PATH, "abcdefghijklmnop");
        rc_pl = tether_coap_build_payload(&b, "xyz", 3);

        for (size_t i = cap; i < sizeof(buf); i++)
            assert_int_equal(buf[i], 0xEE);
        if (cap == sizeof(want)) {
            assert_int_equal(rc_pl, 0);
            assert_int_equal(tether_coap_build_finish(&b, &n), 0);
            assert_int_equal(n, sizeof(want));
            assert_memory_equal(buf, want, n);
            continue;
        }
        assert_int_equal(tether_coap_build_finish(&b, &n), TETHER_ERR_NOSPACE);
        if (cap < 6) { /* header (0..3) or token (4, 5) */
            assert_int_equal(rc_init, TETHER_ERR_NOSPACE);
        } else if (cap < 24) { /* option header, extended length, value */
            assert_int_equal(rc_init, 0);
            assert_int_equal(rc_opt, TETHER_ERR_NOSPACE);
        } else { /* marker (24) or payload (25..27) */
            assert_int_equal(rc_opt, 0);
            assert_int_equal(rc_pl, TETHER_ERR_NOSPACE);
            assert_memory_equal(buf, want, 24);
        }
    }
}

static void test_msg_builder_payload_reserve_commit(void **state)
{
    uint8_t buf[16];
    tether_coap_builder b;
    tether_coap_msg m;
    uint8_t *dst;
    size_t avail, n = 0;
    (void)state;

    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_ACK, TETHER_COAP_CONTENT, 9, NULL, 0);
    assert_int_equal(tether_coap_build_payload_reserve(&b, &dst, &avail), 0);
    assert_ptr_equal(dst, buf + 5); /* after the marker's place */
    assert_int_equal(avail, 11);
    /* Committing nothing adds nothing, not even the marker. */
    assert_int_equal(tether_coap_build_payload_commit(&b, 0), 0);
    assert_int_equal(tether_coap_build_finish(&b, &n), 0);
    assert_int_equal(n, 4);

    memcpy(dst, "abc", 3);
    assert_int_equal(tether_coap_build_payload_commit(&b, 3), 0);
    /* A second reserve continues the payload: no second marker. */
    assert_int_equal(tether_coap_build_payload_reserve(&b, &dst, &avail), 0);
    assert_ptr_equal(dst, buf + 8);
    assert_int_equal(avail, 8);
    memcpy(dst, "de", 2);
    assert_int_equal(tether_coap_build_payload_commit(&b, 2), 0);
    assert_int_equal(tether_coap_build_payload(&b, "f", 1), 0);
    assert_int_equal(tether_coap_build_finish(&b, &n), 0);
    assert_int_equal(n, 11);
    assert_memory_equal(buf, ((const uint8_t[]){0x60, 0x45, 0, 9, 0xFF, 'a', 'b', 'c', 'd', 'e', 'f'}), 11);
    parse_ok(&m, buf, n);
    assert_int_equal(m.payload_len, 6);
    assert_int_equal(tether_coap_build_opt(&b, 60, NULL, 0), TETHER_ERR_OPTION_ORDER);

    /* Committing more than reserved fails and is sticky. */
    tether_coap_build_init(&b, buf, 8, TETHER_COAP_ACK, TETHER_COAP_CONTENT, 9, NULL, 0);
    assert_int_equal(tether_coap_build_payload_reserve(&b, &dst, &avail), 0);
    assert_int_equal(avail, 3);
    assert_int_equal(tether_coap_build_payload_commit(&b, 4), TETHER_ERR_NOSPACE);
    assert_int_equal(tether_coap_build_finish(&b, &n), TETHER_ERR_NOSPACE);

    /* No room for the marker: nothing to reserve, and that is not an error. */
    tether_coap_build_init(&b, buf, 4, TETHER_COAP_ACK, TETHER_COAP_CONTENT, 9, NULL, 0);
    assert_int_equal(tether_coap_build_payload_reserve(&b, &dst, &avail), 0);
    assert_null(dst);
    assert_int_equal(avail, 0);
    assert_int_equal(tether_coap_build_finish(&b, &n), 0);
    assert_int_equal(n, 4);
    /* Room for the marker only: zero bytes available. */
    tether_coap_build_init(&b, buf, 5, TETHER_COAP_ACK, TETHER_COAP_CONTENT, 9, NULL, 0);
    assert_int_equal(tether_coap_build_payload_reserve(&b, &dst, &avail), 0);
    assert_int_equal(avail, 0);
    assert_int_equal(tether_coap_build_payload_commit(&b, 1), TETHER_ERR_NOSPACE);
}

static void test_msg_builder_null_arguments(void **state)
{
    uint8_t buf[16];
    tether_coap_builder b;
    size_t n = 0;
    (void)state;

    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_CON, TETHER_COAP_POST, 1, NULL, 0);
    assert_int_equal(tether_coap_build_payload(&b, NULL, 0), 0);
    assert_int_equal(tether_coap_build_payload(&b, NULL, 3), TETHER_ERR_INVAL);
    assert_int_equal(tether_coap_build_opt(&b, 11, NULL, 2), TETHER_ERR_INVAL);

    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_CON, TETHER_COAP_POST, 1, NULL, 0);
    assert_int_equal(tether_coap_build_path(&b, 11, NULL), TETHER_ERR_INVAL);

    /* A NULL string is an empty option value. */
    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_CON, TETHER_COAP_POST, 1, NULL, 0);
    assert_int_equal(tether_coap_build_opt_str(&b, TETHER_COAP_OPT_IF_NONE_MATCH, NULL), 0);
    assert_int_equal(tether_coap_build_finish(&b, &n), 0);
    assert_int_equal(n, 5);
    assert_int_equal(buf[4], 0x50);
}

/* build_path splits like RFC 7252 §6.4: "" and "/" add nothing, a trailing
 * '/' is an empty last segment, and the three readers agree with it. */
static void test_msg_builder_mid_reads_the_header(void **state)
{
    uint8_t buf[16];
    tether_coap_builder b;
    uint16_t mid = 0;
    (void)state;

    assert_int_equal(tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_NON,
                                            TETHER_COAP_CONTENT, 0xBEEF, NULL, 0), 0);
    assert_int_equal(tether_coap_build_mid(&b, &mid), 0);
    assert_int_equal(mid, 0xBEEF);
    buf[2] = 0x12; /* as the exchange layer does when it sends */
    buf[3] = 0x34;
    assert_int_equal(tether_coap_build_mid(&b, &mid), 0);
    assert_int_equal(mid, 0x1234);
    assert_int_equal(tether_coap_build_init(&b, buf, 2, TETHER_COAP_NON, TETHER_COAP_CONTENT,
                                            1, NULL, 0), TETHER_ERR_NOSPACE);
    assert_int_equal(tether_coap_build_mid(&b, &mid), TETHER_ERR_INVAL);
    assert_int_equal(mid, 0x1234);
}

static void test_msg_builder_path_segments(void **state)
{
    static const struct {
        const char *path;
        size_t nseg;
        const char *str; /* what path_string gives back */
    } cases[] = {
        {"", 0, ""},          {"/", 0, ""},           {"rd", 1, "rd"},
        {"/rd", 1, "rd"},     {"rd/", 2, "rd/"},      {"rd/5a3f", 2, "rd/5a3f"},
        {"3/0/1", 3, "3/0/1"}, {"a//b", 3, "a//b"},   {"//", 2, "/"},
    };
    (void)state;

    for (size_t i = 0; i < LEN(cases); i++) {
        uint8_t buf[32];
        tether_coap_builder b;
        tether_coap_msg m;
        size_t n = 0;
        char out[16];

        tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_CON, TETHER_COAP_GET, 1, NULL, 0);
        assert_int_equal(tether_coap_build_path(&b, TETHER_COAP_OPT_URI_PATH, cases[i].path), 0);
        assert_int_equal(tether_coap_build_finish(&b, &n), 0);
        parse_ok(&m, buf, n);
        print_message("path \"%s\"\n", cases[i].path);
        assert_int_equal(opt_count(&m), cases[i].nseg);
        assert_true(tether_coap_path_equals(&m, cases[i].path));
        assert_int_equal(tether_coap_path_string(&m, TETHER_COAP_OPT_URI_PATH, out, sizeof(out)), 0);
        assert_string_equal(out, cases[i].str);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_msg_opt_length_boundaries_exact_bytes),
        cmocka_unit_test(test_msg_opt_length_65805_refused_by_builder),
        cmocka_unit_test(test_msg_opt_delta_boundaries_exact_bytes),
        cmocka_unit_test(test_msg_opt_delta_relative_and_ext_order),
        cmocka_unit_test(test_msg_opt_length_and_delta_ext_combined),
        cmocka_unit_test(test_msg_opt_length_max_on_wire),
        cmocka_unit_test(test_msg_builder_refuses_decreasing_option),
        cmocka_unit_test(test_msg_builder_refuses_option_after_payload),
        cmocka_unit_test(test_msg_repeated_options_build_and_parse),
        cmocka_unit_test(test_msg_iter_over_empty_msg_ends),
        cmocka_unit_test(test_msg_iter_stops_on_forged_view),
        cmocka_unit_test(test_msg_rfc7252_appendix_a_sizes),
        cmocka_unit_test(test_msg_rfc7252_appendix_a_parses),
        cmocka_unit_test(test_msg_rfc7252_appendix_a_builds),
        cmocka_unit_test(test_msg_rfc7252_appendix_b_empty_segments),
        cmocka_unit_test(test_msg_rfc7641_observe_exchange),
        cmocka_unit_test(test_msg_rd_register_and_location_path),
        cmocka_unit_test(test_msg_block_values_encode_and_decode),
        cmocka_unit_test(test_msg_block_bad_values_rejected),
        cmocka_unit_test(test_msg_rfc7959_block_exchanges),
        cmocka_unit_test(test_msg_malformed_short_header),
        cmocka_unit_test(test_msg_malformed_version),
        cmocka_unit_test(test_msg_malformed_token_length_9_to_15),
        cmocka_unit_test(test_msg_malformed_token_past_end),
        cmocka_unit_test(test_msg_malformed_nibble_15),
        cmocka_unit_test(test_msg_malformed_truncated_option),
        cmocka_unit_test(test_msg_malformed_marker_without_payload),
        cmocka_unit_test(test_msg_malformed_empty_message_with_content),
        cmocka_unit_test(test_msg_malformed_option_number_past_65535),
        cmocka_unit_test(test_msg_error_codes_distinct),
        cmocka_unit_test(test_msg_query_find),
        cmocka_unit_test(test_msg_path_equals),
        cmocka_unit_test(test_msg_path_string),
        cmocka_unit_test(test_msg_collect),
        cmocka_unit_test(test_msg_uint_decode),
        cmocka_unit_test(test_msg_uint_options_ranges),
        cmocka_unit_test(test_msg_code_str),
        cmocka_unit_test(test_msg_builder_uint_fewest_bytes),
        cmocka_unit_test(test_msg_builder_init_refusals),
        cmocka_unit_test(test_msg_builder_empty_message_is_header_only),
        cmocka_unit_test(test_msg_builder_sticky_first_error),
        cmocka_unit_test(test_msg_builder_nospace_at_every_stage),
        cmocka_unit_test(test_msg_builder_payload_reserve_commit),
        cmocka_unit_test(test_msg_builder_null_arguments),
        cmocka_unit_test(test_msg_builder_path_segments),
        cmocka_unit_test(test_msg_builder_mid_reads_the_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
