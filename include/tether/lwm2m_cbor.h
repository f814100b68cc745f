/* SPDX-License-Identifier: Apache-2.0 */
/* CBOR, content format 60 (LwM2M 1.1 §7.4.6): a single resource or
 * resource instance value as one CBOR data item (RFC 8949). Like text/plain
 * it has no path and one value; unlike text it carries a type. SenML CBOR
 * (112), which carries records, is in tether/lwm2m_senml.h.
 *
 *   Integer         major type 0 / 1 (INTEGER; UNSIGNED above INT64_MAX)
 *   Unsigned        major type 0
 *   Float           major type 7: half, single or double
 *   Boolean         major type 7: false / true
 *   String          major type 3, UTF-8
 *   Opaque          major type 2
 *   Time            tag 1 (epoch seconds) on an integer
 *   Objlnk          a text string "obj:inst" (decodes as STRING; convert
 *                   with tether_lwm2m_value_convert)
 *
 * Decoding accepts one item with at most one tag in front: tag 1 on an
 * integer gives TIME (on a float, FLOAT), tag 1 on anything else is
 * refused, any other tag is ignored. Refused: null, undefined and other
 * simple values, arrays, maps, indefinite-length strings, a negative
 * integer below INT64_MIN, a text string that is not UTF-8, two tags,
 * anything after the item. Decoding uses libcbor's streaming decoder and
 * allocates nothing; a build without libcbor reports
 * TETHER_ERR_UNSUPPORTED.
 */
#ifndef TETHER_LWM2M_CBOR_H
#define TETHER_LWM2M_CBOR_H

#include <stddef.h>
#include <stdint.h>

#include "tether/err.h"
#include "tether/lwm2m.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Decode buf as one value. out: untouched on error; for STRING and OPAQUE
 * its view points into buf (kept). buf: len bytes.
 * Returns 0, TETHER_ERR_MALFORMED (4.00), TETHER_ERR_UNSUPPORTED (no
 * libcbor) or TETHER_ERR_INVAL (out NULL, buf NULL with len > 0). */
int tether_lwm2m_cbor_decode(const uint8_t *buf, size_t len, tether_lwm2m_value *out);

/* Encode v (see the table; Float in the shortest of half, single and
 * double that holds it exactly, NaN as half 0x7e00) into out. len: out.
 * Returns 0, TETHER_ERR_NOSPACE (*len untouched), TETHER_ERR_INVAL (NONE,
 * a boolean other than 0/1, a string that is not UTF-8) or
 * TETHER_ERR_UNSUPPORTED (no libcbor). */
int tether_lwm2m_cbor_encode(const tether_lwm2m_value *v, uint8_t *out, size_t cap, size_t *len);

/* Private: the output side shared by the CBOR writers (sticky error). */
typedef struct tether_cbor_out {
    uint8_t *buf;
    size_t cap;
    size_t len;
    int err;
} tether_cbor_out;

#ifdef __cplusplus
}
#endif
#endif /* TETHER_LWM2M_CBOR_H */
