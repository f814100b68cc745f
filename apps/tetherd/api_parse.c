/* SPDX-License-Identifier: Apache-2.0 */
/* The REST API's URL parsing (api_parse.h): pure functions, no I/O, no
 * libmicrohttpd, so tetherd and the fuzz target tests/fuzz/fuzz_api_parse.c
 * build the same code. The route's shape (docs/API.md):
 * /api/clients/{ep}/{o}[/{i}[/{r}[/{ri}]]][/discover|/attributes|/observe]
 * with the query values parsed here one by one (libmicrohttpd splits the
 * query string and decodes its %-escapes). */
#include "api_parse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tether/lwm2m_fmt.h"

int api_parse_dm_target(const char *rest, size_t len, api_dm_target *t)
{
    static const char *const sfx[] = {"discover", "attributes", "observe"};
    size_t n = len;
    const char *last;

    memset(t, 0, sizeof(*t));
    t->suffix = "";
    if (n > 0 && rest[n - 1] == '/')
        n--;
    last = rest + n;
    while (last > rest && last[-1] != '/')
        last--;
    if (last < rest + n && (*last < '0' || *last > '9')) {
        size_t sl = (size_t)(rest + n - last);
        for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++)
            if (strlen(sfx[i]) == sl && strncmp(last, sfx[i], sl) == 0)
                t->suffix = sfx[i];
        if (*t->suffix == '\0') {
            t->bad_off = (size_t)(last - rest);
            t->bad_len = sl;
            return API_PARSE_NO_SUCH_SUFFIX;
        }
        if (last == rest) { /* a suffix with no '/' before it: no path */
            t->suffix = "";
            t->bad_len = n < 64 ? n : 64;
            return API_PARSE_BAD_PATH;
        }
        n = (size_t)(last - rest) - 1;
    }
    if (n == 0 || n >= sizeof(t->path) || tether_lwm2m_path_parse(&t->p, rest, n) != 0 ||
        t->p.len == 0) {
        t->bad_len = n < 64 ? n : 64;
        return API_PARSE_BAD_PATH;
    }
    memcpy(t->path, rest, n);
    t->path[n] = '\0';
    return 0;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

size_t api_pct_decode(const char *s, size_t n, char *out, int *nul)
{
    size_t o = 0;

    *nul = 0;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < n && (hi = hexval(s[i + 1])) >= 0 &&
            (lo = hexval(s[i + 2])) >= 0) {
            out[o] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[o] = s[i];
        }
        *nul |= out[o++] == '\0'; /* %00, or a NUL in s itself */
    }
    out[o] = '\0';
    return o;
}

int api_parse_client_ep(const char *url, size_t len, char name[TETHER_SERVER_EP_MAX + 1],
                        size_t *rest_off)
{
    /* The raw segment up to the next '/', decoded on its own, so that %2F
     * stays in the name; an escaped name is at most three bytes a byte. */
    const char *slash = len > 0 ? memchr(url, '/', len) : NULL;
    size_t n = slash != NULL ? (size_t)(slash - url) : len;
    char buf[3 * TETHER_SERVER_EP_MAX + 1];
    int nul = 0;

    name[0] = '\0';
    *rest_off = n;
    if (n == 0 || n >= sizeof(buf))
        return -1;
    n = api_pct_decode(url, n, buf, &nul);
    if (n == 0 || n > TETHER_SERVER_EP_MAX || nul)
        return -1;
    memcpy(name, buf, n + 1);
    return 0;
}

static const struct {
    const char *name;
    uint32_t ct;
} formats[] = {
    {"TEXT", TETHER_FMT_TEXT},   {"OPAQUE", TETHER_FMT_OPAQUE},
    {"TLV", TETHER_FMT_TLV},     {"JSON", TETHER_FMT_JSON},
    {"SENML_JSON", TETHER_FMT_SENML_JSON}, {"SENML_CBOR", TETHER_FMT_SENML_CBOR},
    {"CBOR", TETHER_FMT_CBOR},   {"LINK", TETHER_FMT_LINK},
};

int api_parse_format(const char *s, uint32_t *ct)
{
    char *end;
    unsigned long v;

    *ct = TETHER_SERVER_NO_FORMAT;
    if (s == NULL)
        return 0; /* absent; an empty value is as bad as an unknown name */
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
        if (strcasecmp(s, formats[i].name) == 0) {
            *ct = formats[i].ct;
            return 0;
        }
    if (*s < '0' || *s > '9')
        return -1;
    v = strtoul(s, &end, 10);
    if (*end != '\0' || v > 65535)
        return -1;
    *ct = (uint32_t)v;
    return 0;
}

int api_parse_timeout(const char *s, uint32_t def_ms, uint32_t *ms)
{
    char *end;
    double t;

    *ms = def_ms;
    if (s == NULL)
        return 0;
    t = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || !(t > 0) || t > 3600)
        return -1;
    *ms = (uint32_t)ceil(t * 1000.0);
    return 0;
}

int api_parse_attrs(api_arg_fn arg, void *user, tether_server_attrs *a, char *why, size_t cap)
{
    static const struct {
        const char *name;
        unsigned bit;
        int is_float;
    } names[] = {{"pmin", TETHER_ATTR_PMIN, 0}, {"pmax", TETHER_ATTR_PMAX, 0},
                 {"gt", TETHER_ATTR_GT, 1},     {"lt", TETHER_ATTR_LT, 1},
                 {"st", TETHER_ATTR_ST, 1}};

    memset(a, 0, sizeof(*a));
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *s = arg(user, names[i].name);
        tether_lwm2m_value v;
        if (s == NULL)
            continue;
        if (*s == '\0') {
            a->clear |= names[i].bit;
            continue;
        }
        if (tether_lwm2m_text_decode((const uint8_t *)s, strlen(s),
                                     names[i].is_float ? TETHER_LWM2M_FLOAT
                                                       : TETHER_LWM2M_UNSIGNED,
                                     &v) != 0 ||
            (!names[i].is_float && v.u > UINT32_MAX)) {
            snprintf(why, cap, "%s=%s is not a %s", names[i].name, s,
                     names[i].is_float ? "number" : "number of seconds");
            return -1;
        }
        a->set |= names[i].bit;
        switch (names[i].bit) {
        case TETHER_ATTR_PMIN: a->pmin = (uint32_t)v.u; break;
        case TETHER_ATTR_PMAX: a->pmax = (uint32_t)v.u; break;
        case TETHER_ATTR_GT: a->gt = v.f; break;
        case TETHER_ATTR_LT: a->lt = v.f; break;
        default: a->st = v.f; break;
        }
    }
    if (a->set == 0 && a->clear == 0) {
        snprintf(why, cap, "give at least one of pmin, pmax, gt, lt, st");
        return -1;
    }
    return 0;
}
