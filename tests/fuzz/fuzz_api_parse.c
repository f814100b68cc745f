/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz tetherd's REST API URL parsing (apps/tetherd/api_parse.c). Input:
 * "URL?QUERY". A URL under /api/clients/ is split into the endpoint name
 * and the rest, which (any other URL: all of it) is parsed as the
 * device-management target; QUERY is split at '&' into name[=value]
 * arguments the way libmicrohttpd hands them over (first one wins) and
 * ?format=, ?timeout= and the attributes are parsed from them. Each piece
 * sits in its own heap block of exact size, so a read past a length shows.
 * Checked: a parsed target's text is NUL-terminated, canonical (formats
 * back to itself) and parses back to the same path, its suffix is one of
 * the three; an error names a part inside the input; a format is a
 * 16-bit number or none; a timeout is 1 ms .. 3600 s; attribute bits are
 * the five known ones, never both set and cleared. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            __builtin_trap();                                                                      \
    } while (0)

#define MAX_ARGS 32

typedef struct args {
    char *name[MAX_ARGS], *value[MAX_ARGS];
    size_t n;
} args;

static const char *get_arg(void *user, const char *name)
{
    const args *a = user;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->name[i], name) == 0)
            return a->value[i];
    return NULL;
}

static char *dup_n(const uint8_t *p, size_t n)
{
    char *s = malloc(n + 1);
    CHECK(s != NULL);
    if (n > 0)
        memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

static void check_target(const char *rest, size_t len)
{
    char *copy = malloc(len ? len : 1); /* exactly len bytes: no NUL after */
    api_dm_target t;
    int err;

    CHECK(copy != NULL);
    if (len > 0)
        memcpy(copy, rest, len);
    err = api_parse_dm_target(copy, len, &t);
    if (err == 0) {
        tether_lwm2m_path p2;
        char s[TETHER_LWM2M_PATH_STR_MAX];
        size_t n = strlen(t.path);
        CHECK(n > 0 && n < sizeof(t.path));
        CHECK(t.p.len >= 1 && t.p.len <= 4);
        CHECK(tether_lwm2m_path_parse(&p2, t.path, n) == 0 && tether_lwm2m_path_equal(&p2, &t.p));
        CHECK(tether_lwm2m_path_format(&t.p, s, sizeof(s), NULL) == 0 && strcmp(s, t.path) == 0);
        CHECK(memcmp(copy, t.path, n) == 0);
        CHECK(strcmp(t.suffix, "") == 0 || strcmp(t.suffix, "discover") == 0 ||
              strcmp(t.suffix, "attributes") == 0 || strcmp(t.suffix, "observe") == 0);
    } else {
        CHECK(err == API_PARSE_NO_SUCH_SUFFIX || err == API_PARSE_BAD_PATH);
        CHECK(t.bad_off <= len && t.bad_len <= len - t.bad_off);
    }
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *q = memchr(data, '?', size);
    size_t ulen = q != NULL ? (size_t)(q - data) : size;
    static const char clients[] = "/api/clients/";
    args a = {{NULL}, {NULL}, 0};
    tether_server_attrs at;
    uint32_t ct, ms;
    char why[256];

    if (ulen >= sizeof(clients) - 1 && memcmp(data, clients, sizeof(clients) - 1) == 0) {
        size_t elen = ulen - (sizeof(clients) - 1), off;
        char *ep = malloc(elen ? elen : 1), name[TETHER_SERVER_EP_MAX + 1];
        CHECK(ep != NULL);
        if (elen > 0)
            memcpy(ep, data + sizeof(clients) - 1, elen);
        if (api_parse_client_ep(ep, elen, name, &off) == 0) {
            CHECK(off > 0 && off <= elen && off <= 3 * TETHER_SERVER_EP_MAX);
            CHECK(strlen(name) > 0 && strlen(name) <= off && strlen(name) <= TETHER_SERVER_EP_MAX);
            CHECK(memchr(ep, '/', off) == NULL);
            if (off < elen) {
                CHECK(ep[off] == '/');
                check_target(ep + off, elen - off);
            }
        }
        free(ep);
    } else {
        check_target((const char *)data, ulen);
    }

    if (q == NULL)
        return 0;
    /* The query: name[=value] separated by '&'. */
    for (const uint8_t *p = q + 1, *end = data + size; p <= end && a.n < MAX_ARGS;) {
        const uint8_t *amp = memchr(p, '&', (size_t)(end - p));
        const uint8_t *stop = amp != NULL ? amp : end;
        const uint8_t *eq = memchr(p, '=', (size_t)(stop - p));
        a.name[a.n] = dup_n(p, (size_t)((eq != NULL ? eq : stop) - p));
        a.value[a.n] = eq != NULL ? dup_n(eq + 1, (size_t)(stop - eq - 1)) : dup_n(p, 0);
        a.n++;
        if (amp == NULL)
            break;
        p = amp + 1;
    }
    if (api_parse_format(get_arg(&a, "format"), &ct) == 0)
        CHECK(ct <= 65535 || ct == TETHER_SERVER_NO_FORMAT);
    if (api_parse_timeout(get_arg(&a, "timeout"), 30000, &ms) == 0)
        CHECK(ms >= 1 && ms <= 3600000);
    memset(why, 'x', sizeof(why));
    if (api_parse_attrs(get_arg, &a, &at, why, sizeof(why)) == 0) {
        unsigned all = TETHER_ATTR_PMIN | TETHER_ATTR_PMAX | TETHER_ATTR_GT | TETHER_ATTR_LT |
                       TETHER_ATTR_ST;
        CHECK((at.set | at.clear) != 0 && ((at.set | at.clear) & ~all) == 0);
        CHECK((at.set & at.clear) == 0);
    } else {
        CHECK(memchr(why, '\0', sizeof(why)) != NULL);
    }
    for (size_t i = 0; i < a.n; i++) {
        free(a.name[i]);
        free(a.value[i]);
    }
    return 0;
}
