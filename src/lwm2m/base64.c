/* SPDX-License-Identifier: Apache-2.0 */
/* Base64 (RFC 4648 §4, §5) encoding and strict decoding for the lwm2m
 * codecs. The decoder validates the whole input before it writes a byte,
 * so a refused input leaves the output buffer as it was, and it reads each
 * group of four characters before writing its three bytes, which is what
 * makes decoding in place safe. */
#include "base64_internal.h"

#include "tether/err.h"

#include "tether_poison.h"

static const char std_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The 6-bit value of c in the alphabet, or -1. */
static int sextet(uint8_t c, int alphabet)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (alphabet == TETHER_B64_URL)
        return c == '-' ? 62 : c == '_' ? 63 : -1;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

size_t tether_b64_encoded_len(size_t n, int pad)
{
    size_t full = n / 3 * 4;
    switch (n % 3) {
    case 1:
        return full + (pad ? 4 : 2);
    case 2:
        return full + (pad ? 4 : 3);
    default:
        return full;
    }
}

int tether_b64_encode(const uint8_t *in, size_t n, int alphabet, int pad, uint8_t *out,
                      size_t cap, size_t *outlen)
{
    const char *a = alphabet == TETHER_B64_URL ? url_chars : std_chars;
    size_t need = tether_b64_encoded_len(n, pad), o = 0, i = 0;

    if (need > cap || (out == NULL && need > 0))
        return TETHER_ERR_NOSPACE;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = (uint8_t)a[v >> 18];
        out[o++] = (uint8_t)a[(v >> 12) & 63];
        out[o++] = (uint8_t)a[(v >> 6) & 63];
        out[o++] = (uint8_t)a[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = (uint8_t)a[v >> 18];
        out[o++] = (uint8_t)a[(v >> 12) & 63];
        if (pad) {
            out[o++] = '=';
            out[o++] = '=';
        }
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = (uint8_t)a[v >> 18];
        out[o++] = (uint8_t)a[(v >> 12) & 63];
        out[o++] = (uint8_t)a[(v >> 6) & 63];
        if (pad)
            out[o++] = '=';
    }
    *outlen = o;
    return 0;
}

/* The number of data characters (padding stripped) when in is valid. */
static int check(const uint8_t *in, size_t n, int alphabet, size_t *chars)
{
    size_t m = n;

    if (in == NULL && n > 0)
        return TETHER_ERR_MALFORMED;
    /* Padding: only as the last one or two characters of a multiple of 4. */
    if (n > 0 && n % 4 == 0 && in[n - 1] == '=') {
        m = n - 1;
        if (in[m - 1] == '=')
            m--;
    }
    if (m % 4 == 1)
        return TETHER_ERR_MALFORMED;
    for (size_t i = 0; i < m; i++)
        if (sextet(in[i], alphabet) < 0)
            return TETHER_ERR_MALFORMED;
    /* The bits after the last whole byte must be zero: one spelling each. */
    if (m % 4 == 2 && (sextet(in[m - 1], alphabet) & 0x0F) != 0)
        return TETHER_ERR_MALFORMED;
    if (m % 4 == 3 && (sextet(in[m - 1], alphabet) & 0x03) != 0)
        return TETHER_ERR_MALFORMED;
    *chars = m;
    return 0;
}

int tether_b64_decoded_len(const uint8_t *in, size_t n, int alphabet, size_t *len)
{
    size_t m;
    int rc = check(in, n, alphabet, &m);

    if (rc != 0)
        return rc;
    *len = m / 4 * 3 + (m % 4 == 0 ? 0 : m % 4 - 1);
    return 0;
}

int tether_b64_decode(const uint8_t *in, size_t n, int alphabet, uint8_t *out, size_t cap,
                      size_t *outlen)
{
    size_t m, len, o = 0, i = 0;
    int rc = tether_b64_decoded_len(in, n, alphabet, &len);

    if (rc != 0)
        return rc;
    (void)check(in, n, alphabet, &m);
    if (len > cap || (out == NULL && len > 0))
        return TETHER_ERR_NOSPACE;
    for (; i + 4 <= m; i += 4) {
        uint32_t v = (uint32_t)sextet(in[i], alphabet) << 18 |
                     (uint32_t)sextet(in[i + 1], alphabet) << 12 |
                     (uint32_t)sextet(in[i + 2], alphabet) << 6 |
                     (uint32_t)sextet(in[i + 3], alphabet);
        out[o++] = (uint8_t)(v >> 16);
        out[o++] = (uint8_t)(v >> 8);
        out[o++] = (uint8_t)v;
    }
    if (m - i >= 2) {
        uint32_t v = (uint32_t)sextet(in[i], alphabet) << 18 |
                     (uint32_t)sextet(in[i + 1], alphabet) << 12;
        if (m - i == 3)
            v |= (uint32_t)sextet(in[i + 2], alphabet) << 6;
        out[o++] = (uint8_t)(v >> 16);
        if (m - i == 3)
            out[o++] = (uint8_t)(v >> 8);
    }
    *outlen = o;
    return 0;
}
