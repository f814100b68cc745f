/* SPDX-License-Identifier: Apache-2.0 */
/* Decimal text <-> IEEE 754 binary64, exact, without the C library: the
 * Float case of text/plain, SenML and link-format attributes. It replaces
 * strtod and snprintf("%.*g"), which on a microcontroller pull in some
 * 20 KB of newlib (gdtoa, stdio, soft-float arithmetic), allocate from the
 * heap inside strtod, and follow the C locale's decimal point.
 *
 * Both directions reduce to one exact step: floor(num / den) of two big
 * integers whose quotient is below 2^64, plus whether a remainder is left.
 * A decimal D x 10^E is D x 5^E x 2^E: the power of two only moves the
 * binary exponent, so num and den hold D and a power of five, shifted so
 * that the quotient has 63 or 64 bits; those bits and the remainder flag
 * round correctly (to nearest, ties to even) to 53 bits, or fewer below
 * the normal range. A double m x 2^e goes the other way with 18 or 19
 * decimal digits of quotient, from which the 15, 16 and 17 digit roundings
 * are exact. No floating-point arithmetic is used anywhere: doubles are
 * taken apart and put together as bits, so a soft-float target links no
 * double routines for this.
 *
 * Output is exactly what the previous snprintf version gave under glibc:
 * the shortest of %.15g, %.16g and %.17g that reads back as the same
 * double. Input is the syntax of tether_num_is_decimal(), at most 256
 * bytes; every digit counts (no truncation), so parsing is correctly
 * rounded for every input accepted.
 *
 * Cost: two big integers of BIG_WORDS words on the stack (about 600 bytes
 * deep on a Cortex-M4, frames included), no static data, no allocation. Time: a few thousand
 * word operations per conversion. A build with TETHER_LWM2M_NO_FLOAT_TEXT
 * has none of it: parsing fails and formatting gives 0, always. */
#include "num_internal.h"

#include <string.h>

#include "tether_poison.h"

#ifdef TETHER_LWM2M_NO_FLOAT_TEXT

/* The footprint switch (tether/client_config.h): no float text at all. */
int tether_num_parse_double(const uint8_t *buf, size_t len, double *out)
{
    (void)buf;
    (void)len;
    (void)out;
    return -1;
}

size_t tether_num_format_double(double v, uint8_t *out, size_t cap)
{
    (void)v;
    (void)out;
    (void)cap;
    return 0;
}

#else

#define DOUBLE_TEXT_MAX 256

/* Big enough for the largest operand either direction builds, with one
 * spare word for big_shl(): parsing 256 significant digits times 10^-579
 * (the smallest exponent not yet known to give 0) needs 5^579, 1346 bits,
 * and a numerator 63 bits longer. Formatting needs about 850 bits. */
#define BIG_WORDS 46

typedef struct big {
    uint32_t n; /* words in use; w[n - 1] != 0, or n == 0 for zero */
    uint32_t w[BIG_WORDS];
} big;

static void big_set(big *b, uint64_t v)
{
    b->n = 0;
    while (v != 0) {
        b->w[b->n++] = (uint32_t)v;
        v >>= 32;
    }
}

static void big_trim(big *b)
{
    while (b->n > 0 && b->w[b->n - 1] == 0)
        b->n--;
}

/* b = b * m + a. The callers' range checks keep the result in BIG_WORDS. */
static void big_mul_add(big *b, uint32_t m, uint32_t a)
{
    uint64_t carry = a;

    for (uint32_t i = 0; i < b->n; i++) {
        uint64_t t = (uint64_t)b->w[i] * m + carry;
        b->w[i] = (uint32_t)t;
        carry = t >> 32;
    }
    if (carry != 0)
        b->w[b->n++] = (uint32_t)carry;
}

/* b = b * 5^k, 13 factors at a time (5^13 < 2^32). */
static void big_mul_pow5(big *b, uint32_t k)
{
    while (k > 0) {
        uint32_t step = k < 13 ? k : 13, m = 1;
        for (uint32_t i = 0; i < step; i++)
            m *= 5;
        big_mul_add(b, m, 0);
        k -= step;
    }
}

static uint32_t big_bits(const big *b)
{
    uint32_t top, n;

    if (b->n == 0)
        return 0;
    top = b->w[b->n - 1];
    for (n = 0; top != 0; n++)
        top >>= 1;
    return 32 * (b->n - 1) + n;
}

/* b = b << s. */
static void big_shl(big *b, uint32_t s)
{
    uint32_t ws = s / 32, bs = s % 32, n = b->n;

    if (n == 0)
        return;
    b->w[n + ws] = bs != 0 ? b->w[n - 1] >> (32 - bs) : 0;
    for (uint32_t k = n; k-- > 0;)
        b->w[k + ws] = b->w[k] << bs | (k > 0 && bs != 0 ? b->w[k - 1] >> (32 - bs) : 0);
    memset(b->w, 0, ws * sizeof(b->w[0]));
    b->n = n + ws + 1;
    big_trim(b);
}

static void big_shr1(big *b)
{
    for (uint32_t i = 0; i < b->n; i++)
        b->w[i] = b->w[i] >> 1 | (i + 1 < b->n ? b->w[i + 1] << 31 : 0);
    big_trim(b);
}

static int big_cmp(const big *a, const big *b)
{
    if (a->n != b->n)
        return a->n < b->n ? -1 : 1;
    for (uint32_t i = a->n; i-- > 0;)
        if (a->w[i] != b->w[i])
            return a->w[i] < b->w[i] ? -1 : 1;
    return 0;
}

/* a = a - b, for a >= b. */
static void big_sub(big *a, const big *b)
{
    uint32_t borrow = 0;

    for (uint32_t i = 0; i < a->n; i++) {
        uint32_t bw = i < b->n ? b->w[i] : 0;
        uint64_t t = (uint64_t)a->w[i] - bw - borrow;
        a->w[i] = (uint32_t)t;
        borrow = (uint32_t)(t >> 63);
    }
    big_trim(a);
}

/* floor(num / den) for a quotient below 2^64, by shift and subtract; num
 * keeps the remainder, den comes back unchanged. */
static uint64_t big_div(big *num, big *den)
{
    uint64_t q = 0;

    big_shl(den, 63);
    for (int i = 63; i >= 0; i--) {
        q <<= 1;
        if (big_cmp(num, den) >= 0) {
            big_sub(num, den);
            q |= 1;
        }
        if (i > 0)
            big_shr1(den);
    }
    return q;
}

/* num / den scaled by 2^-s so that the quotient has 63 or 64 bits. */
static uint64_t big_div_scaled(big *num, big *den, int32_t *s)
{
    int32_t shift = (int32_t)big_bits(den) - (int32_t)big_bits(num) + 63;

    if (shift > 0)
        big_shl(num, (uint32_t)shift);
    else
        big_shl(den, (uint32_t)-shift);
    *s = shift;
    return big_div(num, den);
}

#define EXP_BIAS 1023
#define MANT_BITS 52
#define SIGN_BIT ((uint64_t)1 << 63)
#define INF_BITS ((uint64_t)0x7FF << MANT_BITS)

/* D x 10^e10 (D in num, not zero) to the bits of the nearest double, ties
 * to even. Returns 0, or -1 when it rounds beyond DBL_MAX. num and den are
 * scratch; e10 must keep the operands within BIG_WORDS (see the callers). */
static int decimal_to_bits(big *num, big *den, int32_t e10, uint64_t *bits)
{
    int32_t s, top, keep, len = 0;
    uint64_t q, m = 0, rest, half;

    big_set(den, 1);
    if (e10 >= 0)
        big_mul_pow5(num, (uint32_t)e10);
    else
        big_mul_pow5(den, (uint32_t)-e10);
    q = big_div_scaled(num, den, &s); /* D x 10^e10 = (q + r) x 2^(e10 - s) */
    /* Fold "a remainder is left" into bit 0: at least 10 bits are dropped
     * below, so it only ever breaks a tie, as it must. */
    q |= num->n != 0;
    for (uint64_t t = q; t != 0; t >>= 1)
        len++;
    top = len - 1 + e10 - s; /* the value is in [2^top, 2^(top+1)) */
    if (top > EXP_BIAS)
        return -1;
    keep = top + EXP_BIAS + MANT_BITS; /* bits down to 2^-1074 (subnormal) */
    if (keep > MANT_BITS + 1) {
        keep = MANT_BITS + 1; /* normal */
        m = (uint64_t)(top + EXP_BIAS - 1) << MANT_BITS;
    }
    *bits = 0;
    if (keep < 0)
        return 0; /* below half of 2^-1074 */
    half = (uint64_t)1 << (len - keep - 1);
    rest = q & ((half << 1) - 1); /* all of q when nothing is kept */
    q = q >> (len - keep - 1) >> 1;
    if (rest > half || (rest == half && (q & 1)))
        q++;
    /* A carry out of the mantissa moves into the exponent field, which is
     * exactly the next power of two (and subnormal becomes normal). */
    m += q;
    if (m >= INF_BITS)
        return -1;
    *bits = m;
    return 0;
}

/* The digits in [p, end) (a '.' among them is skipped) times 10^e10, as
 * the bits of the nearest double; num and den are scratch. Returns 0, or
 * -1 beyond DBL_MAX. The range checks keep every operand in BIG_WORDS. */
static int text_to_bits(big *num, big *den, const uint8_t *p, const uint8_t *end, int32_t e10,
                        uint64_t *bits)
{
    int32_t nd = 0;

    big_set(num, 0);
    for (; p < end; p++) {
        if (*p != '.' && (nd > 0 || *p != '0')) {
            big_mul_add(num, 10, (uint32_t)(*p - '0'));
            nd++;
        }
    }
    *bits = 0;
    /* D has nd digits: the value is in [10^(nd-1+e10), 10^(nd+e10)). */
    if (nd > 0 && nd + e10 - 1 > 308)
        return -1; /* at least 1e309 */
    if (nd > 0 && nd + e10 > -324)
        return decimal_to_bits(num, den, e10, bits);
    return 0; /* zero, or below 1e-324: rounds to zero */
}

int tether_num_parse_double(const uint8_t *buf, size_t len, double *out)
{
    big num, den;
    const uint8_t *p = buf, *end = buf + len, *mant;
    uint64_t bits;
    int32_t e10 = 0;
    int neg = 0, exneg = 0, frac = -1;

    if (!tether_num_is_decimal(buf, len, 1) || len > DOUBLE_TEXT_MAX)
        return -1;
    /* The syntax is known good: [sign] digits ['.' digits] [e [sign] digits]. */
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    for (mant = p; p < end && *p != 'e' && *p != 'E'; p++)
        if (frac >= 0 || *p == '.')
            frac++; /* digits after the point */
    if (p < end) {
        const uint8_t *x = p + 1;
        if (*x == '-' || *x == '+')
            exneg = *x++ == '-';
        for (; x < end; x++)
            if (e10 < 100000) /* far past any double; keeps int32 safe */
                e10 = e10 * 10 + (*x - '0');
        if (exneg)
            e10 = -e10;
    }
    if (text_to_bits(&num, &den, mant, p, e10 - (frac > 0 ? frac : 0), &bits) != 0)
        return -1;
    bits |= neg ? SIGN_BIT : 0;
    memcpy(out, &bits, sizeof(*out));
    return 0;
}

/* floor(log10(2^e)) for |e| <= 1700 (the constant is 2^20 log10 2 rounded
 * up, as in Dragonbox), written so a negative product floors too. */
static int32_t floor_log10_pow2(int32_t e)
{
    int32_t t = e * 315653;

    return t >= 0 ? t >> 20 : -((-t + (1 << 20) - 1) >> 20);
}

/* %g layout of the decimal dig x 10^(x - p + 1), dig being p digits: plain
 * when -4 <= x < p, else d.ddde+XX; trailing zeros dropped, as printf does.
 * Digit i has place value 10^(x - i); the point goes before digit pt (after
 * the first when an exponent follows), and places outside the digits are
 * zeros ("0.00ddd", "ddd00"). */
static size_t render(uint8_t *o, int neg, const uint8_t *dig, int p, int32_t x)
{
    size_t k = 0;
    int n = p, expo = x < -4 || x >= p;
    int32_t pt = expo ? 1 : x + 1;

    while (n > 1 && dig[n - 1] == '0')
        n--;
    if (neg)
        o[k++] = '-';
    for (int32_t i = pt > 0 ? 0 : pt - 1; i < (n > pt ? n : pt); i++) {
        if (i == pt)
            o[k++] = '.';
        o[k++] = i >= 0 && i < n ? dig[i] : '0';
    }
    if (expo) {
        uint32_t ax = (uint32_t)(x < 0 ? -x : x);
        o[k++] = 'e';
        o[k++] = x < 0 ? '-' : '+';
        if (ax < 10)
            o[k++] = '0';
        k += tether_num_format_u64(ax, o + k, 4);
    }
    return k;
}

size_t tether_num_format_double(double v, uint8_t *out, size_t cap)
{
    uint8_t tmp[TETHER_NUM_DOUBLE_MAX], q[20], r[18];
    const uint8_t *d = (const uint8_t *)"0";
    big num, den;
    uint64_t bits, m, back;
    int32_t be, e, x = 0, k, xp = 0;
    int neg, p = 1, nq, sticky;
    size_t n;

    memcpy(&bits, &v, sizeof(bits));
    neg = (int)(bits >> 63);
    bits &= ~SIGN_BIT;
    if (bits >= INF_BITS)
        return 0; /* infinity or NaN */
    if (bits != 0) {
        be = (int32_t)(bits >> MANT_BITS);
        m = bits & (((uint64_t)1 << MANT_BITS) - 1);
        if (be != 0)
            m |= (uint64_t)1 << MANT_BITS;
        e = (be != 0 ? be : 1) - EXP_BIAS - MANT_BITS; /* v = m x 2^e */
        for (uint64_t t = m; t > 1; t >>= 1)
            x++;
        x = floor_log10_pow2(x + e); /* 10^x <= v < 10^(x+2) */
        /* q = floor(v / 10^k) has 18 or 19 digits: the 15, 16 and 17 digit
         * roundings are exact from them and "a remainder is left". */
        k = x - 17;
        big_set(&num, m);
        big_set(&den, 1);
        big_mul_pow5(k < 0 ? &num : &den, (uint32_t)(k < 0 ? -k : k));
        if (e - k >= 0)
            big_shl(&num, (uint32_t)(e - k));
        else
            big_shl(&den, (uint32_t)(k - e));
        nq = (int)tether_num_format_u64(big_div(&num, &den), q, sizeof(q));
        sticky = num.n != 0;
        for (p = 15;; p++) {
            int up = sticky;
            for (int i = p + 1; i < nq; i++)
                up |= q[i] != '0';
            /* Ties to even; '0' is even, so a digit's parity is its char's. */
            up = q[p] > '5' || (q[p] == '5' && (up || (q[p - 1] & 1)));
            r[0] = '0'; /* room for a carry */
            memcpy(r + 1, q, (size_t)p);
            for (int i = p; up && i >= 0; i--) {
                up = r[i] == '9';
                r[i] = up ? '0' : (uint8_t)(r[i] + 1);
            }
            xp = k + nq - 1;
            d = r + 1;
            if (r[0] == '1') { /* 9.99... rounded up to 10.0...: p digits "100..." */
                d = r;
                xp++;
            }
            if (p == 17)
                break; /* 17 digits always read back */
            if (text_to_bits(&num, &den, d, d + p, xp - p + 1, &back) == 0 && back == bits)
                break;
        }
    }
    n = render(tmp, neg, d, p, xp);
    if (n > cap)
        return 0;
    memcpy(out, tmp, n);
    return n;
}

#endif /* TETHER_LWM2M_NO_FLOAT_TEXT */
