/* SPDX-License-Identifier: Apache-2.0 */
/* Number text shared by the lwm2m codecs (text/plain, link-format
 * attributes, query parameters): strict decimal parsing over (buf, len)
 * with range checks, and float text that does not depend on the C locale.
 * Every function reads only buf[0..len) and writes its output only on
 * success. */
#ifndef TETHER_LWM2M_NUM_INTERNAL_H
#define TETHER_LWM2M_NUM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* Decimal digits only (at least one, leading zeros allowed), value <= max.
 * Returns 0 or -1. */
int tether_num_parse_u64(const uint8_t *buf, size_t len, uint64_t max, uint64_t *out);

/* Optional '-', then as above, within int64. Returns 0 or -1. */
int tether_num_parse_i64(const uint8_t *buf, size_t len, int64_t *out);

/* Nonzero when buf is a decimal number: ['-'] digits ['.' digits]
 * [('e'|'E') ['+'|'-'] digits]. With allow_plus a leading '+' is also fine. */
int tether_num_is_decimal(const uint8_t *buf, size_t len, int allow_plus);

/* A decimal number (tether_num_is_decimal, leading '+' allowed) to the
 * nearest double, ties to even, exact for every digit given (float_text.c,
 * no C library, no locale). Returns 0, or -1 (syntax, longer than 256
 * bytes, or beyond DBL_MAX once rounded). Underflow gives 0 or a subnormal,
 * with the sign kept. Always -1 with TETHER_LWM2M_NO_FLOAT_TEXT. */
int tether_num_parse_double(const uint8_t *buf, size_t len, double *out);

/* Decimal text of v, no NUL, into out[0..cap). Returns the length, or 0
 * when cap is too small (nothing useful written). */
size_t tether_num_format_u64(uint64_t v, uint8_t *out, size_t cap);
size_t tether_num_format_i64(int64_t v, uint8_t *out, size_t cap);

/* The shortest of %.15g, %.16g, %.17g that reads back as v, byte for byte
 * what glibc's printf writes (exact, ties to even), with '.' as the decimal
 * point whatever the locale (float_text.c). Returns the length (at most
 * TETHER_NUM_DOUBLE_MAX), or 0 when v is not finite or cap is too small
 * (always 0 with TETHER_LWM2M_NO_FLOAT_TEXT). */
#define TETHER_NUM_DOUBLE_MAX 32
size_t tether_num_format_double(double v, uint8_t *out, size_t cap);

#endif /* TETHER_LWM2M_NUM_INTERNAL_H */
