/* SPDX-License-Identifier: Apache-2.0 */
/* CoAP message codec (RFC 7252 §3, with the options of RFC 7641 and RFC 7959).
 *
 * Parsing fills a tether_coap_msg whose pointers are views into the caller's
 * buffer: nothing is allocated or copied, and the buffer must outlive the
 * view. The whole option sequence is validated once by tether_coap_parse(),
 * so iterating options afterwards cannot fail. Building writes into a
 * caller buffer through a tether_coap_builder with a sticky error: every
 * build call after the first failure does nothing and the error comes back
 * from tether_coap_build_finish(). Retransmission, message ids, tokens and
 * deduplication belong to the exchange layer (tether/coap_exchange.h);
 * block-wise bookkeeping to tether/coap_block.h.
 *
 * Wire layout (RFC 7252 §3):
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Ver| T |  TKL  |      Code     |          Message ID           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |   Token (0..8 bytes) ...      |  <- msg.token, msg.tkl
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |   Options ...                 |  <- msg.opts .. msg.opts+opts_len
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |1 1 1 1 1 1 1 1|    Payload ...   <- msg.payload, payload_len (> 0)
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Each option: a byte of (delta nibble << 4 | length nibble); nibble 13 adds
 * one byte (value - 13), nibble 14 adds two (value - 269), nibble 15 is only
 * legal as the 0xFF payload marker. Option numbers are the running sum of
 * deltas, so they come out in ascending order.
 */
#ifndef TETHER_COAP_H
#define TETHER_COAP_H

#include <stddef.h>
#include <stdint.h>

#include "tether/err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TETHER_COAP_HEADER_SIZE 4
#define TETHER_COAP_MAX_TOKEN 8

typedef enum tether_coap_type {
    TETHER_COAP_CON = 0,
    TETHER_COAP_NON = 1,
    TETHER_COAP_ACK = 2,
    TETHER_COAP_RST = 3,
} tether_coap_type;

/* A code is class << 5 | detail: "4.04" is TETHER_COAP_CODE(4, 4). */
#define TETHER_COAP_CODE(cls, detail) ((uint8_t)(((cls) << 5) | (detail)))
#define TETHER_COAP_CLASS(code) ((uint8_t)(code) >> 5)
#define TETHER_COAP_DETAIL(code) ((uint8_t)(code) & 0x1F)

enum tether_coap_code {
    TETHER_COAP_EMPTY = TETHER_COAP_CODE(0, 0),
    TETHER_COAP_GET = TETHER_COAP_CODE(0, 1),
    TETHER_COAP_POST = TETHER_COAP_CODE(0, 2),
    TETHER_COAP_PUT = TETHER_COAP_CODE(0, 3),
    TETHER_COAP_DELETE = TETHER_COAP_CODE(0, 4),
    TETHER_COAP_FETCH = TETHER_COAP_CODE(0, 5),
    TETHER_COAP_PATCH = TETHER_COAP_CODE(0, 6),
    TETHER_COAP_IPATCH = TETHER_COAP_CODE(0, 7),

    TETHER_COAP_CREATED = TETHER_COAP_CODE(2, 1),
    TETHER_COAP_DELETED = TETHER_COAP_CODE(2, 2),
    TETHER_COAP_VALID = TETHER_COAP_CODE(2, 3),
    TETHER_COAP_CHANGED = TETHER_COAP_CODE(2, 4),
    TETHER_COAP_CONTENT = TETHER_COAP_CODE(2, 5),
    TETHER_COAP_CONTINUE = TETHER_COAP_CODE(2, 31),

    TETHER_COAP_BAD_REQUEST = TETHER_COAP_CODE(4, 0),
    TETHER_COAP_UNAUTHORIZED = TETHER_COAP_CODE(4, 1),
    TETHER_COAP_BAD_OPTION = TETHER_COAP_CODE(4, 2),
    TETHER_COAP_FORBIDDEN = TETHER_COAP_CODE(4, 3),
    TETHER_COAP_NOT_FOUND = TETHER_COAP_CODE(4, 4),
    TETHER_COAP_METHOD_NOT_ALLOWED = TETHER_COAP_CODE(4, 5),
    TETHER_COAP_NOT_ACCEPTABLE = TETHER_COAP_CODE(4, 6),
    TETHER_COAP_REQUEST_ENTITY_INCOMPLETE = TETHER_COAP_CODE(4, 8),
    TETHER_COAP_PRECONDITION_FAILED = TETHER_COAP_CODE(4, 12),
    TETHER_COAP_REQUEST_ENTITY_TOO_LARGE = TETHER_COAP_CODE(4, 13),
    TETHER_COAP_UNSUPPORTED_CONTENT_FORMAT = TETHER_COAP_CODE(4, 15),

    TETHER_COAP_INTERNAL_SERVER_ERROR = TETHER_COAP_CODE(5, 0),
    TETHER_COAP_NOT_IMPLEMENTED = TETHER_COAP_CODE(5, 1),
    TETHER_COAP_BAD_GATEWAY = TETHER_COAP_CODE(5, 2),
    TETHER_COAP_SERVICE_UNAVAILABLE = TETHER_COAP_CODE(5, 3),
    TETHER_COAP_GATEWAY_TIMEOUT = TETHER_COAP_CODE(5, 4),
};

enum tether_coap_option {
    TETHER_COAP_OPT_IF_MATCH = 1,
    TETHER_COAP_OPT_URI_HOST = 3,
    TETHER_COAP_OPT_ETAG = 4,
    TETHER_COAP_OPT_IF_NONE_MATCH = 5,
    TETHER_COAP_OPT_OBSERVE = 6, /* RFC 7641 */
    TETHER_COAP_OPT_URI_PORT = 7,
    TETHER_COAP_OPT_LOCATION_PATH = 8,
    TETHER_COAP_OPT_URI_PATH = 11,
    TETHER_COAP_OPT_CONTENT_FORMAT = 12,
    TETHER_COAP_OPT_MAX_AGE = 14,
    TETHER_COAP_OPT_URI_QUERY = 15,
    TETHER_COAP_OPT_ACCEPT = 17,
    TETHER_COAP_OPT_LOCATION_QUERY = 20,
    TETHER_COAP_OPT_BLOCK2 = 23, /* RFC 7959 */
    TETHER_COAP_OPT_BLOCK1 = 27, /* RFC 7959 */
    TETHER_COAP_OPT_SIZE2 = 28,  /* RFC 7959 */
    TETHER_COAP_OPT_PROXY_URI = 35,
    TETHER_COAP_OPT_PROXY_SCHEME = 39,
    TETHER_COAP_OPT_SIZE1 = 60,
};

/* Content-Format numbers used by LwM2M (LwM2M 1.1 TS Core §7). */
enum tether_coap_format {
    TETHER_FMT_TEXT = 0,
    TETHER_FMT_LINK = 40,
    TETHER_FMT_OPAQUE = 42,
    TETHER_FMT_CBOR = 60,
    TETHER_FMT_SENML_JSON = 110,
    TETHER_FMT_SENML_CBOR = 112,
    TETHER_FMT_TLV_LEGACY = 1542,
    TETHER_FMT_JSON_LEGACY = 1543,
    TETHER_FMT_TLV = 11542,
    TETHER_FMT_JSON = 11543,
};

/* A parsed message: views into the parsed buffer, valid while it lives. */
typedef struct tether_coap_msg {
    uint8_t type; /* tether_coap_type */
    uint8_t code;
    uint16_t mid;
    uint8_t tkl;
    uint8_t token[TETHER_COAP_MAX_TOKEN];
    const uint8_t *opts; /* validated option bytes, opts_len long */
    size_t opts_len;
    const uint8_t *payload; /* NULL when payload_len == 0 */
    size_t payload_len;
} tether_coap_msg;

/* One option: number, and a view of its value. len is 32 bits because the
 * wire allows lengths up to 65804 (nibble 14: 269 + 0xFFFF). */
typedef struct tether_coap_opt {
    uint16_t num;
    uint32_t len;
    const uint8_t *val;
} tether_coap_opt;

typedef struct tether_coap_opt_iter {
    const uint8_t *p, *end;
    uint16_t num;
} tether_coap_opt_iter;

/* RFC 7959 §2.2 block option value: NUM, M and SZX (block size 2^(SZX+4)). */
typedef struct tether_coap_block {
    uint32_t num; /* 0 .. 2^20-1 */
    uint8_t more;
    uint8_t szx; /* 0..6; 7 is reserved and rejected */
} tether_coap_block;

#define TETHER_COAP_BLOCK_SIZE(szx) ((size_t)16 << (szx))

/* --- parsing ------------------------------------------------------------- */

/* Parse one datagram.
 * msg: out, untouched on error. buf: kept by the views in *msg; len bytes.
 * Returns 0, or one of TETHER_ERR_MALFORMED (shorter than a header or buf
 * NULL, token longer than the bytes left, an Empty message with more than a
 * header, option number past 65535),
 * TETHER_ERR_BAD_VERSION, TETHER_ERR_BAD_TOKEN_LEN, TETHER_ERR_BAD_OPTION_NIBBLE,
 * TETHER_ERR_TRUNCATED_OPTION, TETHER_ERR_EMPTY_PAYLOAD.
 * Reads only buf[0..len). */
int tether_coap_parse(tether_coap_msg *msg, const uint8_t *buf, size_t len);

/* Iterate a parsed message's options in wire (ascending) order. */
void tether_coap_opt_iter_init(tether_coap_opt_iter *it, const tether_coap_msg *msg);

/* Next option into *opt. Returns 0, or TETHER_ERR_NOT_FOUND at the end. */
int tether_coap_opt_next(tether_coap_opt_iter *it, tether_coap_opt *opt);

/* First option numbered num. Returns 0 or TETHER_ERR_NOT_FOUND. */
int tether_coap_opt_find(const tether_coap_msg *msg, uint16_t num, tether_coap_opt *opt);

/* Up to max options numbered num, in order, into out[]; *n gets how many were
 * found in all (may exceed max: then only max were stored and the call
 * returns TETHER_ERR_NOSPACE). Returns 0 otherwise, also when none. */
int tether_coap_opt_collect(const tether_coap_msg *msg, uint16_t num,
                            tether_coap_opt *out, size_t max, size_t *n);

/* Decode an unsigned option value (RFC 7252 §3.2: big-endian, leading zeros
 * allowed, empty is 0). Returns 0 or TETHER_ERR_BAD_OPTION when len > 4. */
int tether_coap_uint_decode(const uint8_t *val, size_t len, uint32_t *out);

/* The first option num as an unsigned integer.
 * Returns 0, TETHER_ERR_NOT_FOUND, or TETHER_ERR_BAD_OPTION. */
int tether_coap_opt_uint(const tether_coap_msg *msg, uint16_t num, uint32_t *out);

/* Content-Format / Accept / Observe (RFC 7641 §2: at most 3 bytes) / Size1 /
 * Size2, each a thin tether_coap_opt_uint() with the option's own range. */
int tether_coap_content_format(const tether_coap_msg *msg, uint32_t *fmt);
int tether_coap_accept(const tether_coap_msg *msg, uint32_t *fmt);
int tether_coap_observe(const tether_coap_msg *msg, uint32_t *seq);

/* Block1 or Block2 (pass the option number). Returns 0, TETHER_ERR_NOT_FOUND,
 * or TETHER_ERR_BAD_OPTION (longer than 3 bytes, or SZX 7). */
int tether_coap_block_get(const tether_coap_msg *msg, uint16_t num, tether_coap_block *blk);
int tether_coap_block_decode(const uint8_t *val, size_t len, tether_coap_block *blk);
uint32_t tether_coap_block_value(const tether_coap_block *blk);

/* Find a Uri-Query option "key=value" (or a bare "key", which yields an empty
 * value) and return a view of its value. Returns 0 or TETHER_ERR_NOT_FOUND. */
int tether_coap_query_find(const tether_coap_msg *msg, const char *key,
                           const uint8_t **val, size_t *len);

/* Nonzero when the Uri-Path options are exactly the segments of path, split
 * as tether_coap_build_path() splits it: "rd/5a" is "rd", "5a"; "rd/" is
 * "rd", ""; "" and "/" are the root (no Uri-Path). path: borrowed, NUL-ended. */
int tether_coap_path_equals(const tether_coap_msg *msg, const char *path);

/* Write Uri-Path (or Location-Path, by num) segments joined with '/' into out
 * as a NUL-terminated string: no leading '/', no percent-encoding, "" when
 * there is none. Segments "rd", "" give "rd/", the inverse of
 * tether_coap_build_path(). out: borrowed, cap bytes.
 * Returns 0, or TETHER_ERR_NOSPACE with out "" (when cap > 0). */
int tether_coap_path_string(const tether_coap_msg *msg, uint16_t num, char *out, size_t cap);

/* --- building ------------------------------------------------------------ */

/* A message under construction in a caller buffer.
 * Fields are private; read the length with tether_coap_build_finish(). */
typedef struct tether_coap_builder {
    uint8_t *buf;
    size_t cap;
    size_t len;
    uint16_t last_opt;
    uint8_t has_payload;
    int err; /* sticky: first failure */
} tether_coap_builder;

/* Start a message. buf: kept until finish; cap bytes. token: copied, tkl <= 8.
 * An Empty message (code 0.00: ACK, RST, ping) is the header alone (RFC 7252
 * §4.1): it takes no token, and options or payload added to it fail with
 * TETHER_ERR_INVAL, so the builder never makes what the parser refuses.
 * Returns 0, TETHER_ERR_INVAL (tkl > 8, type > 3, token NULL with tkl > 0,
 * Empty with a token) or TETHER_ERR_NOSPACE. */
int tether_coap_build_init(tether_coap_builder *b, uint8_t *buf, size_t cap, uint8_t type,
                           uint8_t code, uint16_t mid, const uint8_t *token, uint8_t tkl);

/* Append an option. Numbers must not decrease (RFC 7252 §3.1): a smaller one
 * fails with TETHER_ERR_OPTION_ORDER; equal numbers repeat the option.
 * val: copied, len <= 65804. Returns 0 or the sticky error. */
int tether_coap_build_opt(tether_coap_builder *b, uint16_t num, const void *val, size_t len);

/* The same for an unsigned value in the fewest bytes (0 is empty). */
int tether_coap_build_opt_uint(tether_coap_builder *b, uint16_t num, uint32_t v);

/* The same for a NUL-terminated string. */
int tether_coap_build_opt_str(tether_coap_builder *b, uint16_t num, const char *s);

/* Each '/'-separated segment of path as one option num (Uri-Path,
 * Location-Path), split as RFC 7252 §6.4 splits a URI path: one leading '/'
 * is dropped, "" or "/" adds nothing, and every other segment counts, empty
 * ones included ("a/" is "a" then ""; "a//b" is "a", "", "b").
 * path: borrowed, NUL-ended. Returns 0 or the sticky error. */
int tether_coap_build_path(tether_coap_builder *b, uint16_t num, const char *path);

/* Block1 / Block2 option. */
int tether_coap_build_block(tether_coap_builder *b, uint16_t num, const tether_coap_block *blk);

/* Append payload (marker added on the first non-empty call). After a
 * payload no option may follow (TETHER_ERR_OPTION_ORDER). n == 0 adds nothing.
 * p: copied, n bytes; NULL only when n == 0, else TETHER_ERR_INVAL. */
int tether_coap_build_payload(tether_coap_builder *b, const void *p, size_t n);

/* Zero-copy payload: *dst gets where the next payload byte goes and *avail
 * how many fit; write up to *avail bytes there, then commit how many. */
int tether_coap_build_payload_reserve(tether_coap_builder *b, uint8_t **dst, size_t *avail);
int tether_coap_build_payload_commit(tether_coap_builder *b, size_t n);

/* The final length. Returns 0 or the first error of the build. */
int tether_coap_build_finish(const tether_coap_builder *b, size_t *len);

/* The Message ID in the header of the message in b. The exchange layer
 * writes the id it picks into the builder's buffer when it sends (see
 * tether_coap_msg_send()), so this is how the sender of a NON, which is not
 * tracked, learns the id an RST against it would carry. mid: out.
 * Returns 0, or TETHER_ERR_INVAL (no header: the build failed at init). */
int tether_coap_build_mid(const tether_coap_builder *b, uint16_t *mid);

/* Human form of a code: "2.05". out must hold 5 bytes. Returns out. */
char *tether_coap_code_str(uint8_t code, char out[5]);

#ifdef __cplusplus
}
#endif
#endif /* TETHER_COAP_H */
