/* SPDX-License-Identifier: Apache-2.0 */
/* LwM2M JSON, content format 11543 (legacy 1543 on input), LwM2M 1.0
 * §6.4.4: an iterator over the records of a payload and a writer that
 * produces one, both over caller memory with no allocation. SenML JSON
 * (110) shares the JSON machinery and lives in tether/lwm2m_senml.h.
 *
 *   {"bn":"/3/0/","bt":25462634,
 *    "e":[{"n":"0","sv":"Open Mobile Alliance"},   String
 *         {"n":"9","v":100},                       number: Integer, Float, Time...
 *         {"n":"6/0","v":1},                       a resource instance
 *         {"n":"x","bv":true},                     Boolean
 *         {"n":"y","ov":"66:1"},                   Objlnk
 *         {"n":"1","v":22.4,"t":-5}]}              with a time (bt + t)
 *
 * A record's path is bn + n as strings ("/3/0/" + "6/0"), which must be a
 * valid LwM2M path (tether_lwm2m_path_parse: leading '/', canonical ids);
 * either part may be absent but not both. Opaque values travel as base64
 * in "sv" (tether_lwm2m_value_convert turns them back).
 *
 * Decoding uses jsmn (a header-only tokenizer, no allocation): the caller
 * lends an array of tokens, about TETHER_LWM2M_JSON_TOKENS(records). The
 * iterator validates the whole payload when it starts, so next() cannot
 * fail afterwards:
 *   - JSON itself (RFC 8259): structure, separators, string escapes and
 *     surrogate pairs, UTF-8, control characters, number syntax, nothing
 *     but whitespace after the top-level value;
 *   - the shape: an object with "e" (an array of record objects), optional
 *     "bn" (string) and "bt" (number); a record has optional "n" (string)
 *     and "t" (number) and exactly one of "v" (number), "sv" (string),
 *     "bv" (boolean), "ov" (string "obj:inst"); no other keys, no key twice;
 *   - every name resolves to a path; numbers are within range (integers of
 *     any size become INTEGER, UNSIGNED or FLOAT by magnitude; a float
 *     beyond the double range, or spelled in more than 256 characters, is
 *     refused; bt + t must be finite);
 *   - strings with escapes fit the scratch buffer (see init).
 * An empty payload (0 bytes) has no records.
 */
#ifndef TETHER_LWM2M_JSON_H
#define TETHER_LWM2M_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "tether/err.h"
#include "tether/lwm2m.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Storage for one JSON token (jsmn's jsmntok_t with parent links). The
 * caller provides an array; the decoder alone reads and writes it. */
typedef struct tether_json_token {
    int priv_[5];
} tether_json_token;

/* Tokens that always suffice for a payload of n LwM2M JSON records with
 * "n", a value and "t" each, plus the top-level object with "bn" and "bt". */
#define TETHER_LWM2M_JSON_TOKENS(n) (8u + 7u * (size_t)(n))

/* Private: a tokenized, validated JSON text. */
typedef struct tether_json_doc {
    const uint8_t *buf;
    size_t len;
    const tether_json_token *tok;
    size_t ntok;
} tether_json_doc;

/* Private: the output side shared by the JSON writers (sticky error). */
typedef struct tether_json_out {
    uint8_t *buf;
    size_t cap;
    size_t len;
    int err;
} tether_json_out;

/* --- decoding --------------------------------------------------------------- */

/* Iterator state: private. */
typedef struct tether_lwm2m_json_iter {
    tether_json_doc doc;
    uint8_t *scratch;
    size_t scratch_cap;
    size_t at;    /* token of the next record */
    size_t left;  /* records not yet returned */
    size_t count; /* records in the payload */
    long bn;      /* token of the "bn" string, -1 when absent */
    double bt;
    uint8_t has_bt;
} tether_lwm2m_json_iter;

/* Tokenize and validate buf, positioning the iterator before the first
 * record.
 * it: out, untouched on error. buf: kept by the iterator and by the views
 * of the records it yields; len bytes (at most INT_MAX), no NUL needed.
 * tokens: kept until the iterator is dropped; ntokens entries.
 * scratch: kept likewise; cap bytes; may be NULL when cap is 0. A string
 * value written with escapes ("a\"b", "\u00e9") is unescaped there; one
 * without escapes is a view into buf. cap >= len always suffices.
 * Returns 0, or
 *   TETHER_ERR_MALFORMED    not valid (see the list above): 4.00;
 *   TETHER_ERR_TOO_LARGE    more tokens than ntokens, len > INT_MAX, or an
 *                           escaped string longer than cap: 4.13;
 *   TETHER_ERR_UNSUPPORTED  built without jsmn;
 *   TETHER_ERR_INVAL        it NULL, or buf NULL with len > 0. */
int tether_lwm2m_json_iter_init(tether_lwm2m_json_iter *it, const uint8_t *buf, size_t len,
                                tether_json_token *tokens, size_t ntokens, uint8_t *scratch,
                                size_t cap);

/* The next record, in payload order. r: out; its views point into buf, or
 * into scratch until the next call. Returns 0, or TETHER_ERR_NOT_FOUND
 * after the last one (r untouched). Cannot fail otherwise. */
int tether_lwm2m_json_next(tether_lwm2m_json_iter *it, tether_lwm2m_record *r);

/* Number of records in the payload, known after init. */
size_t tether_lwm2m_json_count(const tether_lwm2m_json_iter *it);

/* --- encoding ----------------------------------------------------------------
 *
 * A writer with a sticky error: after the first failure every call does
 * nothing and returns it, and finish() reports it.
 *
 *   tether_lwm2m_json_writer_init(&w, buf, sizeof(buf), &p_3_0);
 *   tether_lwm2m_json_write(&w, &p_3_0_0, &manufacturer, NULL);
 *   tether_lwm2m_json_write(&w, &p_3_0_6_0, &source, NULL);
 *   tether_lwm2m_json_writer_finish(&w, &len);
 *     -> {"bn":"/3/0/","e":[{"n":"0","sv":"..."},{"n":"6/0","v":1}]}
 *
 * The base name comes from the base path and the first record: the base
 * itself when the first record is at the base ({"bn":"/3/0/0","e":[{"v":1}]}),
 * else the base followed by '/'; no "bn" for the root, whose records carry
 * their full path. Every record must lie under the base; once the base name
 * ends in '/', a record at the base itself has no name and is refused
 * (TETHER_ERR_INVAL): write it first.
 * Values: Integer, Time, Unsigned as "v" decimal; Float as "v" in the
 * shortest text that reads back exactly, with ".0" added to an integral
 * one so that it decodes as a float again; String as "sv" (escaped, must be
 * UTF-8); Opaque as "sv" base64 (RFC 4648 §4, padded); Boolean as "bv";
 * Objlnk as "ov":"obj:inst". A time goes out as "t". */
typedef struct tether_lwm2m_json_writer {
    tether_json_out out;
    tether_lwm2m_path base;
    uint8_t mode; /* private: how the base name was written */
    uint8_t done; /* private: finished */
    size_t count;
} tether_lwm2m_json_writer;

/* buf: kept until finish; cap bytes. base: copied; NULL means the root.
 * An invalid base makes the writer fail with TETHER_ERR_INVAL. */
void tether_lwm2m_json_writer_init(tether_lwm2m_json_writer *w, uint8_t *buf, size_t cap,
                                   const tether_lwm2m_path *base);

/* Add a record. p, v: borrowed (bytes copied). t: NULL, or a time in
 * seconds (finite). Returns 0, or TETHER_ERR_NOSPACE, TETHER_ERR_INVAL (p
 * invalid or not under the base, v NONE or unknown, a non-finite float or
 * time, a string that is not UTF-8, a boolean other than 0/1). */
int tether_lwm2m_json_write(tether_lwm2m_json_writer *w, const tether_lwm2m_path *p,
                            const tether_lwm2m_value *v, const double *t);

/* Close the payload. len: out. Returns 0 or the first error. The writer
 * stays finished: further writes fail with TETHER_ERR_STATE. */
int tether_lwm2m_json_writer_finish(tether_lwm2m_json_writer *w, size_t *len);

#ifdef __cplusplus
}
#endif
#endif /* TETHER_LWM2M_JSON_H */
