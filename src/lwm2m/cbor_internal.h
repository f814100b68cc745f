/* SPDX-License-Identifier: Apache-2.0 */
/* CBOR (RFC 8949) shared by the CBOR and SenML CBOR codecs: a pull reader
 * that hands out one item head at a time (libcbor's streaming decoder does
 * the bytes, with callbacks filling a caller struct: nothing allocated), a
 * skipper for whole items, and writer helpers over libcbor's encoders.
 * Every read is bounded by the buffer; a truncated item is malformed. */
#ifndef TETHER_LWM2M_CBOR_INTERNAL_H
#define TETHER_LWM2M_CBOR_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tether/lwm2m.h"
#include "tether/lwm2m_cbor.h"

enum tether_cbor_kind {
    TETHER_CBOR_UINT = 1,    /* u */
    TETHER_CBOR_NEGINT,      /* -1 - u */
    TETHER_CBOR_BYTES,       /* ptr, len (definite) */
    TETHER_CBOR_TEXT,        /* ptr, len (definite, UTF-8 checked) */
    TETHER_CBOR_ARRAY,       /* u elements follow */
    TETHER_CBOR_MAP,         /* u pairs follow */
    TETHER_CBOR_TAG,         /* tag number u; the tagged item follows */
    TETHER_CBOR_FLOAT,       /* f */
    TETHER_CBOR_BOOL,        /* b */
    TETHER_CBOR_NULL,
    TETHER_CBOR_UNDEF,
    TETHER_CBOR_BREAK,
    TETHER_CBOR_INDEF_BYTES, /* chunks follow, then a break */
    TETHER_CBOR_INDEF_TEXT,
    TETHER_CBOR_INDEF_ARRAY,
    TETHER_CBOR_INDEF_MAP,
};

typedef struct tether_cbor_item {
    int kind;
    uint64_t u;
    double f;
    uint8_t b;
    const uint8_t *ptr;
    size_t len;
} tether_cbor_item;

/* Deepest nesting tether_cbor_skip() follows. */
#define TETHER_CBOR_DEPTH_MAX 16

/* One item head at buf[*pos..len) (a definite string with its bytes).
 * Advances *pos. Returns 0, TETHER_ERR_MALFORMED (bad or truncated, a text
 * string that is not UTF-8; *pos untouched) or TETHER_ERR_UNSUPPORTED. */
int tether_cbor_read(const uint8_t *buf, size_t len, size_t *pos, tether_cbor_item *it);

/* Skip one whole item (tags, nested containers, chunked strings).
 * Returns 0 or TETHER_ERR_MALFORMED. */
int tether_cbor_skip(const uint8_t *buf, size_t len, size_t *pos);

/* An integer item (UINT / NEGINT) as INTEGER, or UNSIGNED above INT64_MAX.
 * Returns 0 or TETHER_ERR_MALFORMED (not an integer, below INT64_MIN). */
int tether_cbor_int_value(const tether_cbor_item *it, tether_lwm2m_value *v);

/* A number item (integer or float) as a double. 0 or MALFORMED. */
int tether_cbor_double(const tether_cbor_item *it, double *out);

/* --- output (sticky, like tether_json_out) --------------------------------- */

void tether_cbor_out_init(tether_cbor_out *o, uint8_t *buf, size_t cap);
void tether_cbor_put_uint(tether_cbor_out *o, uint64_t v);
void tether_cbor_put_int(tether_cbor_out *o, int64_t v);
/* A number: an integer when integral and within int64, else a float. */
void tether_cbor_put_number(tether_cbor_out *o, double v);
/* The shortest of half, single, double holding v exactly; NaN as 0xf97e00. */
void tether_cbor_put_float(tether_cbor_out *o, double v);
void tether_cbor_put_bool(tether_cbor_out *o, int v);
void tether_cbor_put_tag(tether_cbor_out *o, uint64_t tag);
void tether_cbor_put_map(tether_cbor_out *o, size_t pairs);
/* TETHER_ERR_INVAL when s is not UTF-8. */
void tether_cbor_put_text(tether_cbor_out *o, const void *s, size_t n);
void tether_cbor_put_bytes(tether_cbor_out *o, const void *s, size_t n);
void tether_cbor_put_objlnk(tether_cbor_out *o, tether_lwm2m_objlnk l);

#endif /* TETHER_LWM2M_CBOR_INTERNAL_H */
