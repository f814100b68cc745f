/* SPDX-License-Identifier: Apache-2.0 */
/* LwM2M versions and binding strings. LwM2M 1.0 §5.3.1.1 lists the six
 * bindings a 1.0 client may use, and nothing else is one (R17). From 1.1 a
 * binding is a set of transport letters and queue mode travels in its own
 * "Q" parameter, so Q inside "b" is refused there. The letters are U, M,
 * H, T, S and N, each at most once: 1.1 reserved M (MQTT) and H (HTTP) and
 * 1.2 defined them, and a server that accepts them from 1.1 on loses nothing
 * while interoperating with 1.1 clients that announce them early. */
#include "tether/lwm2m.h"

#include <string.h>

#include "num_internal.h"

#include "tether_poison.h"

int tether_lwm2m_version_parse(const char *s, size_t len, tether_lwm2m_version *v)
{
    const uint8_t *b = (const uint8_t *)s;
    const uint8_t *dot;
    uint64_t major, minor;

    if (s == NULL || len == 0)
        return TETHER_ERR_MALFORMED;
    dot = memchr(b, '.', len);
    if (dot == NULL)
        return TETHER_ERR_MALFORMED;
    /* "major.minor", each canonical decimal up to 255. */
    if (tether_num_parse_u64(b, (size_t)(dot - b), 255, &major) != 0 ||
        tether_num_parse_u64(dot + 1, len - (size_t)(dot - b) - 1, 255, &minor) != 0 ||
        (dot - b > 1 && b[0] == '0') || (len - (size_t)(dot - b) - 1 > 1 && dot[1] == '0'))
        return TETHER_ERR_MALFORMED;
    if (major != 1 || minor > 2)
        return TETHER_ERR_UNSUPPORTED;
    *v = (tether_lwm2m_version)(0x10 | (int)minor);
    return 0;
}

const char *tether_lwm2m_version_str(int v)
{
    switch (v) {
    case TETHER_LWM2M_V1_0:
        return "1.0";
    case TETHER_LWM2M_V1_1:
        return "1.1";
    case TETHER_LWM2M_V1_2:
        return "1.2";
    default:
        return "?";
    }
}

static int version_known(int v)
{
    return v == TETHER_LWM2M_V1_0 || v == TETHER_LWM2M_V1_1 || v == TETHER_LWM2M_V1_2;
}

/* The 1.0 table, LwM2M 1.0 §5.3.1.1; also the canonical 1.0 spellings.
 * Arrays rather than pointers: no string literals to link besides. */
static const struct {
    char s[sizeof("UQS")];
    uint8_t flags;
} bindings_1_0[] = {
    {"U", TETHER_LWM2M_BIND_U},
    {"UQ", TETHER_LWM2M_BIND_U | TETHER_LWM2M_BIND_Q},
    {"S", TETHER_LWM2M_BIND_S},
    {"SQ", TETHER_LWM2M_BIND_S | TETHER_LWM2M_BIND_Q},
    {"US", TETHER_LWM2M_BIND_U | TETHER_LWM2M_BIND_S},
    {"UQS", TETHER_LWM2M_BIND_U | TETHER_LWM2M_BIND_Q | TETHER_LWM2M_BIND_S},
};

/* 1.1 and later: letter, flag, first version with it. Canonical order. */
static const struct {
    char c;
    uint8_t flag;
    uint8_t since;
} letters[] = {
    {'U', TETHER_LWM2M_BIND_U, TETHER_LWM2M_V1_1},
    {'T', TETHER_LWM2M_BIND_T, TETHER_LWM2M_V1_1},
    {'S', TETHER_LWM2M_BIND_S, TETHER_LWM2M_V1_1},
    {'N', TETHER_LWM2M_BIND_N, TETHER_LWM2M_V1_1},
    {'M', TETHER_LWM2M_BIND_M, TETHER_LWM2M_V1_1},
    {'H', TETHER_LWM2M_BIND_H, TETHER_LWM2M_V1_1},
};

int tether_lwm2m_binding_parse(const char *s, size_t len, int v, uint8_t *flags)
{
    uint8_t f = 0;

    if (!version_known(v))
        return TETHER_ERR_INVAL;
    if (s == NULL || len == 0)
        return TETHER_ERR_MALFORMED;
    if (v == TETHER_LWM2M_V1_0) {
        for (size_t i = 0; i < sizeof(bindings_1_0) / sizeof(bindings_1_0[0]); i++) {
            if (strlen(bindings_1_0[i].s) == len && memcmp(bindings_1_0[i].s, s, len) == 0) {
                if (flags != NULL)
                    *flags = bindings_1_0[i].flags;
                return 0;
            }
        }
        return TETHER_ERR_MALFORMED;
    }
    for (size_t i = 0; i < len; i++) {
        size_t k;
        for (k = 0; k < sizeof(letters) / sizeof(letters[0]); k++)
            if (letters[k].c == s[i] && v >= letters[k].since)
                break;
        if (k == sizeof(letters) / sizeof(letters[0]) || (f & letters[k].flag))
            return TETHER_ERR_MALFORMED;
        f |= letters[k].flag;
    }
    if (flags != NULL)
        *flags = f;
    return 0;
}

int tether_lwm2m_binding_valid(const char *s, size_t len, int v)
{
    return tether_lwm2m_binding_parse(s, len, v, NULL) == 0;
}

int tether_lwm2m_binding_format(uint8_t flags, int v, char *out, size_t cap)
{
    char tmp[8];
    size_t n = 0;

    if (!version_known(v) || out == NULL)
        return TETHER_ERR_INVAL;
    if (v == TETHER_LWM2M_V1_0) {
        size_t i;
        for (i = 0; i < sizeof(bindings_1_0) / sizeof(bindings_1_0[0]); i++)
            if (bindings_1_0[i].flags == flags)
                break;
        if (i == sizeof(bindings_1_0) / sizeof(bindings_1_0[0]))
            return TETHER_ERR_INVAL;
        n = strlen(bindings_1_0[i].s);
        memcpy(tmp, bindings_1_0[i].s, n);
    } else {
        uint8_t left = flags;
        for (size_t k = 0; k < sizeof(letters) / sizeof(letters[0]); k++) {
            if ((flags & letters[k].flag) && v >= letters[k].since) {
                tmp[n++] = letters[k].c;
                left = (uint8_t)(left & ~letters[k].flag);
            }
        }
        if (n == 0 || left != 0)
            return TETHER_ERR_INVAL;
    }
    if (n + 1 > cap)
        return TETHER_ERR_NOSPACE;
    memcpy(out, tmp, n);
    out[n] = '\0';
    return 0;
}
