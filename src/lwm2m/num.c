/* SPDX-License-Identifier: Apache-2.0 */
/* Strict decimal numbers for the lwm2m codecs. Integers are parsed by hand
 * so that every byte is checked and overflow is exact. Doubles are in
 * float_text.c. */
#include "num_internal.h"

#include "tether_poison.h"

int tether_num_parse_u64(const uint8_t *buf, size_t len, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;

    if (buf == NULL || len == 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned d;
        if (buf[i] < '0' || buf[i] > '9')
            return -1;
        d = (unsigned)(buf[i] - '0');
        if (v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int tether_num_parse_i64(const uint8_t *buf, size_t len, int64_t *out)
{
    uint64_t mag;

    if (buf == NULL || len == 0)
        return -1;
    if (buf[0] == '-') {
        if (tether_num_parse_u64(buf + 1, len - 1, (uint64_t)INT64_MAX + 1, &mag) != 0)
            return -1;
        /* -(2^63) has no positive twin: build it from INT64_MIN. */
        *out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
        return 0;
    }
    if (tether_num_parse_u64(buf, len, (uint64_t)INT64_MAX, &mag) != 0)
        return -1;
    *out = (int64_t)mag;
    return 0;
}

static size_t digits(const uint8_t *p, const uint8_t *end)
{
    size_t n = 0;
    while (p + n < end && p[n] >= '0' && p[n] <= '9')
        n++;
    return n;
}

int tether_num_is_decimal(const uint8_t *buf, size_t len, int allow_plus)
{
    const uint8_t *p = buf, *end = buf + len;
    size_t n;

    if (buf == NULL || len == 0)
        return 0;
    if (*p == '-' || (allow_plus && *p == '+'))
        p++;
    if ((n = digits(p, end)) == 0)
        return 0;
    p += n;
    if (p < end && *p == '.') {
        p++;
        if ((n = digits(p, end)) == 0)
            return 0;
        p += n;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if ((n = digits(p, end)) == 0)
            return 0;
        p += n;
    }
    return p == end;
}

size_t tether_num_format_u64(uint64_t v, uint8_t *out, size_t cap)
{
    uint8_t tmp[20];
    size_t n = 0;

    do {
        tmp[n++] = (uint8_t)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    if (n > cap)
        return 0;
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

size_t tether_num_format_i64(int64_t v, uint8_t *out, size_t cap)
{
    uint64_t mag;
    size_t n;

    if (v >= 0)
        return tether_num_format_u64((uint64_t)v, out, cap);
    mag = (uint64_t)0 - (uint64_t)v; /* exact for INT64_MIN too */
    if (cap < 2)
        return 0;
    n = tether_num_format_u64(mag, out + 1, cap - 1);
    if (n == 0)
        return 0;
    out[0] = '-';
    return n + 1;
}
