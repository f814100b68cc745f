/* SPDX-License-Identifier: Apache-2.0 */
/* SenML as LwM2M 1.1 uses it (§7.4.4, §7.4.5; RFC 8428): SenML JSON
 * (content format 110) and SenML CBOR (112). For each, an iterator over the
 * records of a payload and a writer that produces one, over caller memory
 * with no allocation.
 *
 *   [{"bn":"/3/0/","bt":25462634,"n":"0","vs":"Open Mobile Alliance"},
 *    {"n":"9","v":100},               number: Integer, Unsigned, Float, Time
 *    {"n":"6/0","v":1,"t":-5},        a resource instance, at bt + t
 *    {"n":"x","vb":true},             Boolean
 *    {"n":"y","vd":"q83v"},           Opaque (base64url, RFC 4648 §5)
 *    {"n":"z","vlo":"66:1"},          Objlnk (LwM2M extension)
 *    {"n":"/1/0/1"}]                  a name without a value (Read-Composite)
 *
 * SenML CBOR is the same records as CBOR maps with integer labels
 * (RFC 8428 §6): bver -1, bn -2, bt -3, bu -4, bv -5, bs -6, n 0, u 1, v 2,
 * vs 3, vb 4, s 5, t 6, ut 7, vd 8 (a byte string), and the text label
 * "vlo". Its strings are views into the payload, so it needs no scratch.
 *
 * Resolution (RFC 8428 §4.5): bn and bt apply to their record and every
 * later one until replaced; a record's path is bn + n as text, which must
 * be a valid LwM2M path (tether_lwm2m_path_parse: leading '/', canonical
 * ids); its time is bt + t (has_time when either is present; SenML's
 * "relative to now" reading of small times is left to the caller).
 *
 * Validated when the iterator starts, so that next() cannot fail:
 *   - the encoding: JSON as for LwM2M JSON (tether/lwm2m_json.h); CBOR well
 *     formed (RFC 8949), text strings UTF-8, nesting at most 16 deep,
 *     nothing after the top-level item; the records, their keys and the
 *     values of known fields are untagged and definite-length strings
 *     (the value of an unknown field may be any well-formed item);
 *   - the shape: an array of maps; keys are strings (JSON) or integers and
 *     strings (CBOR); each known field has its type (bn, n, vs, vlo, u, bu
 *     strings; bt, t, v, ut numbers; vb boolean; vd base64url / bytes;
 *     bver an integer 1..10); no known field twice; at most one value;
 *   - refused: bv, s and bs (base value and sums: LwM2M does not use them
 *     and honouring them would change values), and any unknown label ending
 *     in '_' (RFC 8428 §4.4 "must understand"); other unknown labels and
 *     their values are skipped;
 *   - names resolve to paths; numbers are in range (an integer becomes
 *     INTEGER, or UNSIGNED above INT64_MAX; a CBOR negative integer below
 *     INT64_MIN is refused); vlo is "obj:inst" with each 0..65535.
 * An empty payload (0 bytes) has no records.
 */
#ifndef TETHER_LWM2M_SENML_H
#define TETHER_LWM2M_SENML_H

#include <stddef.h>
#include <stdint.h>

#include "tether/err.h"
#include "tether/lwm2m.h"
#include "tether/lwm2m_cbor.h"
#include "tether/lwm2m_json.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Tokens that always suffice for n SenML JSON records carrying bn, bt, n,
 * a value and t each. */
#define TETHER_SENML_JSON_TOKENS(n) (1u + 11u * (size_t)(n))

/* --- SenML JSON, content format 110 ------------------------------------------ */

/* Iterator state: private. */
typedef struct tether_senml_json_iter {
    tether_json_doc doc;
    uint8_t *scratch;
    size_t scratch_cap;
    size_t at, left, count;
    long bn; /* token of the current base name, -1 when none */
    double bt;
    uint8_t has_bt;
} tether_senml_json_iter;

/* Tokenize and validate buf and position the iterator before the first
 * record. Arguments and ownership as tether_lwm2m_json_iter_init(); scratch
 * also receives the decoded bytes of each "vd" (cap >= len suffices).
 * Returns 0, TETHER_ERR_MALFORMED (4.00), TETHER_ERR_TOO_LARGE (tokens,
 * len > INT_MAX, a string or vd larger than cap: 4.13),
 * TETHER_ERR_UNSUPPORTED (built without jsmn) or TETHER_ERR_INVAL. */
int tether_senml_json_iter_init(tether_senml_json_iter *it, const uint8_t *buf, size_t len,
                                tether_json_token *tokens, size_t ntokens, uint8_t *scratch,
                                size_t cap);

/* The next record. r: out; views into buf, or into scratch until the next
 * call. Returns 0 or TETHER_ERR_NOT_FOUND after the last (r untouched). */
int tether_senml_json_next(tether_senml_json_iter *it, tether_lwm2m_record *r);

size_t tether_senml_json_count(const tether_senml_json_iter *it);

/* --- SenML CBOR, content format 112 ------------------------------------------ */

/* Iterator state: private. */
typedef struct tether_senml_cbor_iter {
    const uint8_t *buf;
    size_t len;
    size_t pos; /* offset of the next record */
    size_t left, count;
    tether_lwm2m_view bn;
    uint8_t has_bn;
    double bt;
    uint8_t has_bt;
} tether_senml_cbor_iter;

/* Validate buf and position the iterator before the first record.
 * it: out, untouched on error. buf: kept by it and by the records' views.
 * Returns 0, TETHER_ERR_MALFORMED (4.00), TETHER_ERR_UNSUPPORTED (built
 * without libcbor) or TETHER_ERR_INVAL. */
int tether_senml_cbor_iter_init(tether_senml_cbor_iter *it, const uint8_t *buf, size_t len);

int tether_senml_cbor_next(tether_senml_cbor_iter *it, tether_lwm2m_record *r);

size_t tether_senml_cbor_count(const tether_senml_cbor_iter *it);

/* --- writers -------------------------------------------------------------------
 *
 * Sticky-error writers like tether_lwm2m_json_writer, with the same choice
 * of base name (written in the first record) and the same rules: every
 * record lies under the base path, and a record at the base comes first:
 *
 *   base /3/0, records /3/0/0 and /3/0/6/0:
 *     [{"bn":"/3/0/","n":"0","vs":"..."},{"n":"6/0","v":1}]
 *   base /3/0/0, one record at /3/0/0:   [{"bn":"/3/0/0","vs":"..."}]
 *   base / (root):                        [{"n":"/3/0/0","vs":"..."},...]
 *
 * Values: Integer, Time, Unsigned, Float as v (JSON: a float keeps a ".0"
 * when integral; CBOR: the shortest of half, single and double that holds
 * it exactly, NaN as half 0x7e00); String as vs (UTF-8); Boolean as vb;
 * Opaque as vd (JSON: base64url without padding; CBOR: a byte string);
 * Objlnk as vlo "obj:inst"; NONE writes a record with a name and no value.
 * A time goes out as t. Map keys in CBOR come in the order bn, n, value, t. */

typedef struct tether_senml_json_writer {
    tether_json_out out;
    tether_lwm2m_path base;
    uint8_t mode, done; /* private */
    size_t count;
} tether_senml_json_writer;

/* buf: kept until finish; cap bytes. base: copied; NULL is the root. */
void tether_senml_json_writer_init(tether_senml_json_writer *w, uint8_t *buf, size_t cap,
                                   const tether_lwm2m_path *base);
/* p, v: borrowed. t: NULL or seconds. Returns 0, TETHER_ERR_NOSPACE,
 * TETHER_ERR_INVAL (path not under the base, bad value, non-finite float
 * or time, string not UTF-8), TETHER_ERR_STATE (after finish). */
int tether_senml_json_write(tether_senml_json_writer *w, const tether_lwm2m_path *p,
                            const tether_lwm2m_value *v, const double *t);
int tether_senml_json_writer_finish(tether_senml_json_writer *w, size_t *len);

/* The array header is written last: a 5-byte header is reserved and the
 * records slide down over what the real (shortest) header does not use. */
typedef struct tether_senml_cbor_writer {
    tether_cbor_out out;
    tether_lwm2m_path base;
    uint8_t mode, done; /* private */
    size_t count;
} tether_senml_cbor_writer;

void tether_senml_cbor_writer_init(tether_senml_cbor_writer *w, uint8_t *buf, size_t cap,
                                   const tether_lwm2m_path *base);
/* As tether_senml_json_write(); non-finite floats are written (CBOR holds
 * them), a non-finite time is TETHER_ERR_INVAL; TETHER_ERR_UNSUPPORTED
 * when built without libcbor. */
int tether_senml_cbor_write(tether_senml_cbor_writer *w, const tether_lwm2m_path *p,
                            const tether_lwm2m_value *v, const double *t);
int tether_senml_cbor_writer_finish(tether_senml_cbor_writer *w, size_t *len);

#ifdef __cplusplus
}
#endif
#endif /* TETHER_LWM2M_SENML_H */
