/* SPDX-License-Identifier: Apache-2.0 */
/* Strict decimal numbers for the lwm2m codecs. Integers are parsed by hand
 * so that every byte is checked and overflow is exact; doubles go through
 * strtod/snprintf for correct rounding, on a bounded stack copy whose
 * decimal point is swapped for the locale's, so "1.5" means 1.5 even under
 * a locale that writes "1,5". */
#include "num_internal.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tether_poison.h"

#define DOUBLE_TEXT_MAX 256

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

int tether_num_parse_double(const uint8_t *buf, size_t len, double *out)
{
    char tmp[DOUBLE_TEXT_MAX + 8];
    const char *dp = localeconv()->decimal_point;
    size_t dpl = (dp != NULL && dp[0] != '\0') ? strlen(dp) : 1;
    size_t n = 0;
    char *endp;
    double v;

    if (!tether_num_is_decimal(buf, len, 1) || len > DOUBLE_TEXT_MAX || dpl > 4)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '.' && dp != NULL && dp[0] != '\0') {
            memcpy(tmp + n, dp, dpl);
            n += dpl;
        } else {
            tmp[n++] = (char)buf[i];
        }
    }
    tmp[n] = '\0';
    v = strtod(tmp, &endp);
    if (endp != tmp + n || !isfinite(v))
        return -1;
    *out = v;
    return 0;
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

size_t tether_num_format_double(double v, uint8_t *out, size_t cap)
{
    char tmp[64];
    const char *dp = localeconv()->decimal_point;
    size_t dpl = (dp != NULL && dp[0] != '\0') ? strlen(dp) : 0;
    size_t n = 0;
    double back;

    if (!isfinite(v))
        return 0;
    for (int prec = 15; prec <= 17; prec++) {
        int r = snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
        size_t i = 0;
        if (r <= 0 || (size_t)r >= sizeof(tmp))
            return 0;
        /* Copy with the locale's decimal point turned back into '.'. */
        n = 0;
        while (i < (size_t)r) {
            if (dpl > 0 && (size_t)r - i >= dpl && memcmp(tmp + i, dp, dpl) == 0 &&
                !(tmp[i] >= '0' && tmp[i] <= '9') && tmp[i] != '-' && tmp[i] != 'e') {
                tmp[n++] = '.';
                i += dpl;
            } else {
                tmp[n++] = tmp[i++];
            }
        }
        if (tether_num_parse_double((const uint8_t *)tmp, n, &back) == 0 && back == v)
            break;
    }
    if (n > cap || n > TETHER_NUM_DOUBLE_MAX)
        return 0;
    memcpy(out, tmp, n);
    return n;
}
