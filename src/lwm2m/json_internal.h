/* SPDX-License-Identifier: Apache-2.0 */
/* JSON shared by the LwM2M JSON and SenML JSON codecs: tokenizing with jsmn
 * into caller tokens, strict validation (RFC 8259) of what jsmn leaves
 * unchecked, read access to tokens by index, and the output helpers the
 * writers use. jsmn is included by json_doc.c alone.
 *
 * After tether_json_parse() succeeds, every accessor below works on a
 * valid document and cannot fail on syntax; they still check types, so a
 * format layer asks "is token i a string?" and gets a plain answer. */
#ifndef TETHER_LWM2M_JSON_INTERNAL_H
#define TETHER_LWM2M_JSON_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tether/lwm2m.h"
#include "tether/lwm2m_json.h"

enum tether_json_type {
    TETHER_JSON_OBJECT = 1,
    TETHER_JSON_ARRAY = 2,
    TETHER_JSON_STRING = 3,
    TETHER_JSON_PRIMITIVE = 4,
};

/* Deepest nesting accepted; LwM2M needs 3 (object, array, record). */
#define TETHER_JSON_DEPTH_MAX 16

/* Tokenize and validate buf[0..len) (len > 0). d: out, untouched on error.
 * Returns 0, TETHER_ERR_MALFORMED, TETHER_ERR_TOO_LARGE (tokens, len) or
 * TETHER_ERR_UNSUPPORTED (no jsmn). */
int tether_json_parse(tether_json_doc *d, const uint8_t *buf, size_t len,
                      tether_json_token *tok, size_t ntok);

int tether_json_type(const tether_json_doc *d, size_t i);
/* Keys of an object, elements of an array, 0 otherwise. */
size_t tether_json_size(const tether_json_doc *d, size_t i);
/* The token after i and everything nested in it. */
size_t tether_json_skip(const tether_json_doc *d, size_t i);

/* Strings (token i must be a string; these return 0 / false otherwise). */
int tether_json_str_eq(const tether_json_doc *d, size_t i, const char *lit);
/* The last byte of the unescaped string, or -1 when it is empty. */
int tether_json_str_last(const tether_json_doc *d, size_t i);
/* Nonzero when the string holds no escape: *v is its bytes in the text. */
int tether_json_str_view(const tether_json_doc *d, size_t i, tether_lwm2m_view *v);
/* Length of the unescaped string. */
size_t tether_json_str_len(const tether_json_doc *d, size_t i);
/* Unescape into out[0..cap). Returns 0 or TETHER_ERR_NOSPACE. */
int tether_json_str_copy(const tether_json_doc *d, size_t i, uint8_t *out, size_t cap,
                         size_t *len);

/* Value helpers the LwM2M JSON and SenML JSON readers share.
 * A short string (a name, an objlnk) unescaped into buf: not a string, or
 * longer than cap, is TETHER_ERR_MALFORMED. */
int tether_json_small_str(const tether_json_doc *d, size_t i, uint8_t *buf, size_t cap,
                          size_t *len);
/* A string value: a view into the text when it has no escape, else
 * unescaped into scratch (TETHER_ERR_TOO_LARGE when it does not fit). */
int tether_json_str_value(const tether_json_doc *d, size_t i, uint8_t *scratch, size_t cap,
                          tether_lwm2m_view *v);
/* An objlnk written "o:i" as a string. */
int tether_json_objlnk_value(const tether_json_doc *d, size_t i, tether_lwm2m_value *v);

/* Primitives. Return 0, or TETHER_ERR_MALFORMED when token i is not of
 * that kind (or, for numbers, not representable: see tether/lwm2m_json.h). */
int tether_json_number(const tether_json_doc *d, size_t i, tether_lwm2m_value *v);
int tether_json_double(const tether_json_doc *d, size_t i, double *out);
int tether_json_bool(const tether_json_doc *d, size_t i, uint8_t *out);

/* --- output ------------------------------------------------------------------ */

void tether_json_out_init(tether_json_out *o, uint8_t *buf, size_t cap);
/* Each appends, or records the first error (sticky) and does nothing. */
void tether_json_put(tether_json_out *o, const char *s);
void tether_json_put_n(tether_json_out *o, const void *s, size_t n);
/* s quoted and escaped; TETHER_ERR_INVAL when it is not UTF-8. */
void tether_json_put_str(tether_json_out *o, const uint8_t *s, size_t n);
/* The bytes as a quoted base64 string (TETHER_B64_STD padded / URL bare). */
void tether_json_put_b64(tether_json_out *o, const uint8_t *s, size_t n, int alphabet);
/* A number: decimal for integers; the shortest exact text for doubles,
 * with ".0" added when it would read back as an integer and keep_float is
 * set. Non-finite doubles: TETHER_ERR_INVAL. */
void tether_json_put_i64(tether_json_out *o, int64_t v);
void tether_json_put_u64(tether_json_out *o, uint64_t v);
void tether_json_put_double(tether_json_out *o, double v, int keep_float);
void tether_json_put_objlnk(tether_json_out *o, tether_lwm2m_objlnk l);

#endif /* TETHER_LWM2M_JSON_INTERNAL_H */
