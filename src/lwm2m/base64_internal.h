/* SPDX-License-Identifier: Apache-2.0 */
/* Base64 (RFC 4648) for the lwm2m codecs: the standard alphabet (§4) that
 * LwM2M JSON uses for opaque "sv" values, and the URL-safe one (§5) that
 * SenML JSON "vd" uses (RFC 8428 §5, padding omitted). Decoding is strict
 * about everything that changes meaning -- only the chosen alphabet, no
 * whitespace, '=' only as correct final padding, zero bits after the last
 * byte -- and lenient only about whether the padding is there.
 * Pure functions over caller memory; outputs untouched on error. */
#ifndef TETHER_LWM2M_BASE64_INTERNAL_H
#define TETHER_LWM2M_BASE64_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

enum tether_b64_alphabet {
    TETHER_B64_STD = 0, /* A-Z a-z 0-9 + / */
    TETHER_B64_URL = 1, /* A-Z a-z 0-9 - _ */
};

/* The exact encoded length of n bytes, with or without '=' padding. */
size_t tether_b64_encoded_len(size_t n, int pad);

/* Encode in[0..n) into out[0..cap). Returns 0 or TETHER_ERR_NOSPACE. */
int tether_b64_encode(const uint8_t *in, size_t n, int alphabet, int pad, uint8_t *out,
                      size_t cap, size_t *outlen);

/* Validate in[0..n) and give its decoded length.
 * Returns 0 or TETHER_ERR_MALFORMED (*len untouched). */
int tether_b64_decoded_len(const uint8_t *in, size_t n, int alphabet, size_t *len);

/* Decode in[0..n) into out[0..cap). out may equal in (in-place decoding
 * writes behind what it reads) but must not overlap it otherwise.
 * Returns 0, TETHER_ERR_MALFORMED or TETHER_ERR_NOSPACE. */
int tether_b64_decode(const uint8_t *in, size_t n, int alphabet, uint8_t *out, size_t cap,
                      size_t *outlen);

#endif /* TETHER_LWM2M_BASE64_INTERNAL_H */
