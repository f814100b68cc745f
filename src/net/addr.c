/* SPDX-License-Identifier: Apache-2.0 */
/* Address strings and peers for the UDP adapter: "HOST:PORT" and
 * "coap://HOST:PORT/..." in, normalised sockaddr bytes in a tether_peer out,
 * and back to "[::1]:5683" for people. Numeric hosts never touch the
 * resolver; names go through getaddrinfo. The normal form (sin_zero and
 * sin6_flowinfo cleared, scope id kept) is what makes one remote always
 * produce equal peer bytes; see tether/net.h. */
#include "net/udp_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "tether/net.h"

int tether_net_seterr(char *err, size_t cap, int code, const char *fmt, ...)
{
    va_list ap;

    if (err != NULL && cap > 0) {
        va_start(ap, fmt);
        vsnprintf(err, cap, fmt, ap);
        va_end(ap);
    }
    return code;
}

int tether_net_peer_from_sockaddr(const void *sa, size_t salen, uint16_t iface, tether_peer *out)
{
    sa_family_t fam;

    if (salen < sizeof(sa_family_t))
        return TETHER_ERR_INVAL;
    memcpy(&fam, sa, sizeof(fam));
    memset(out, 0, sizeof(*out));
    out->iface = iface;
    if (fam == AF_INET && salen >= sizeof(struct sockaddr_in)) {
        struct sockaddr_in in, v;
        memcpy(&in, sa, sizeof(in));
        memset(&v, 0, sizeof(v));
        v.sin_family = AF_INET;
        v.sin_port = in.sin_port;
        v.sin_addr = in.sin_addr;
        memcpy(out->addr, &v, sizeof(v));
        out->len = (uint8_t)sizeof(v);
        return 0;
    }
    if (fam == AF_INET6 && salen >= sizeof(struct sockaddr_in6)) {
        struct sockaddr_in6 in6, v6;
        memcpy(&in6, sa, sizeof(in6));
        memset(&v6, 0, sizeof(v6));
        v6.sin6_family = AF_INET6;
        v6.sin6_port = in6.sin6_port;
        v6.sin6_addr = in6.sin6_addr;
        v6.sin6_scope_id = in6.sin6_scope_id;
        memcpy(out->addr, &v6, sizeof(v6));
        out->len = (uint8_t)sizeof(v6);
        return 0;
    }
    return TETHER_ERR_INVAL;
}

int tether_net_peer_to_sockaddr(const tether_peer *p, struct sockaddr_storage *ss,
                                socklen_t *sslen)
{
    memset(ss, 0, sizeof(*ss));
    if (p->len != sizeof(struct sockaddr_in) && p->len != sizeof(struct sockaddr_in6))
        return TETHER_ERR_INVAL;
    memcpy(ss, p->addr, p->len);
    if (ss->ss_family == AF_INET && p->len == sizeof(struct sockaddr_in)) {
        *sslen = (socklen_t)sizeof(struct sockaddr_in);
        return 0;
    }
    if (ss->ss_family == AF_INET6 && p->len == sizeof(struct sockaddr_in6)) {
        *sslen = (socklen_t)sizeof(struct sockaddr_in6);
        return 0;
    }
    return TETHER_ERR_INVAL;
}

int tether_net_peer_family(const tether_peer *p)
{
    struct sockaddr_storage ss;
    socklen_t len;

    if (tether_net_peer_to_sockaddr(p, &ss, &len) != 0)
        return -1;
    return ss.ss_family;
}

/* Parse a decimal port of 1..5 digits into *port. */
static int parse_port(const char *s, size_t n, const char *whole, uint16_t *port, char *err,
                      size_t errcap)
{
    unsigned long v = 0;

    if (n == 0)
        return tether_net_seterr(err, errcap, TETHER_ERR_INVAL, "missing port after ':' in %s",
                                 whole);
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return tether_net_seterr(err, errcap, TETHER_ERR_INVAL, "bad port \"%.*s\" in %s",
                                     (int)n, s, whole);
        if (v <= 65535)
            v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v > 65535)
        return tether_net_seterr(err, errcap, TETHER_ERR_INVAL, "port %.*s out of range in %s",
                                 (int)n, s, whole);
    *port = (uint16_t)v;
    return 0;
}

int tether_net_split(const char *s, int flags, char *host, size_t hostcap, uint16_t *port,
                     char *err, size_t errcap)
{
    const char *p, *end, *colon = NULL, *hs, *he;
    size_t hlen;

    if (s == NULL || *s == '\0')
        return tether_net_seterr(err, errcap, TETHER_ERR_INVAL, "empty address");
    p = strstr(s, "://");
    if (p != NULL) {
        size_t slen = (size_t)(p - s);
        if (slen == 4 && strncasecmp(s, "coap", 4) == 0) {
            p += 3;
        } else if (slen == 5 && strncasecmp(s, "coaps", 5) == 0) {
            return tether_net_seterr(err, errcap, TETHER_ERR_UNSUPPORTED,
                                     "%s: coaps:// needs DTLS, not plain UDP", s);
        } else {
            return tether_net_seterr(err, errcap, TETHER_ERR_UNSUPPORTED,
                                     "%s: unsupported scheme (want coap://)", s);
        }
        /* The authority ends at the path, query or fragment. */
        end = p + strcspn(p, "/?#");
        if (*end != '\0' && !(flags & TETHER_NET_SPLIT_PATH_OK))
            return tether_net_seterr(err, errcap, TETHER_ERR_INVAL,
                                     "%s: a path is not allowed here", s);
    } else {
        p = s;
        end = s + strlen(s);
        if (strcspn(s, "/?#") != strlen(s))
            return tether_net_seterr(err, errcap, TETHER_ERR_INVAL,
                                     "%s: expected HOST:PORT (a path needs coap://)", s);
    }
    if (*p == '[') {
        const char *rb = memchr(p, ']', (size_t)(end - p));
        if (rb == NULL)
            return tether_net_seterr(err, errcap, TETHER_ERR_INVAL, "missing ']' in %s", s);
        hs = p + 1;
        he = rb;
        if (rb + 1 < end) {
            if (rb[1] != ':')
                return tether_net_seterr(err, errcap, TETHER_ERR_INVAL,
                                         "expected ':' after ']' in %s", s);
            colon = rb + 1;
        }
        if (memchr(hs, ':', (size_t)(he - hs)) == NULL)
            return tether_net_seterr(err, errcap, TETHER_ERR_INVAL,
                                     "brackets hold an IPv6 address in %s", s);
    } else {
        const char *c1 = memchr(p, ':', (size_t)(end - p));
        if (c1 != NULL && memchr(c1 + 1, ':', (size_t)(end - c1 - 1)) != NULL)
            return tether_net_seterr(err, errcap, TETHER_ERR_INVAL,
                                     "IPv6 address needs brackets in %s: [ADDR]:PORT", s);
        hs = p;
        he = c1 != NULL ? c1 : end;
        colon = c1;
    }
    hlen = (size_t)(he - hs);
    if (hlen == 0)
        return tether_net_seterr(err, errcap, TETHER_ERR_INVAL, "missing host in %s", s);
    if (hlen >= hostcap)
        return tether_net_seterr(err, errcap, TETHER_ERR_INVAL, "host too long in %s", s);
    if (colon != NULL) {
        int rc = parse_port(colon + 1, (size_t)(end - colon - 1), s, port, err, errcap);
        if (rc != 0)
            return rc;
    } else {
        *port = TETHER_UDP_COAP_PORT;
    }
    memcpy(host, hs, hlen);
    host[hlen] = '\0';
    return 0;
}

int tether_net_resolve(const char *s, int flags, tether_peer *out, size_t max, size_t *n,
                       char *err, size_t errcap)
{
    char host[TETHER_NET_HOST_MAX];
    char portstr[8];
    uint16_t port;
    struct addrinfo hints, *res = NULL, *ai;
    struct in_addr a4;
    int rc, gai;
    size_t k = 0;

    rc = tether_net_split(s, flags, host, sizeof(host), &port, err, errcap);
    if (rc != 0)
        return rc;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICSERV;
    snprintf(portstr, sizeof(portstr), "%u", (unsigned)port);
    if (strchr(host, ':') != NULL) {
        /* From brackets: numeric IPv6, with an optional %scope. */
        hints.ai_family = AF_INET6;
        hints.ai_flags |= AI_NUMERICHOST;
        if (getaddrinfo(host, portstr, &hints, &res) != 0 || res == NULL)
            return tether_net_seterr(err, errcap, TETHER_ERR_INVAL, "bad IPv6 address in %s",
                                     s);
    } else if (inet_pton(AF_INET, host, &a4) == 1) {
        struct sockaddr_in sin;
        memset(&sin, 0, sizeof(sin));
        sin.sin_family = AF_INET;
        sin.sin_port = htons(port);
        sin.sin_addr = a4;
        *n = 1;
        return tether_net_peer_from_sockaddr(&sin, sizeof(sin), 0, &out[0]);
    } else if (strspn(host, "0123456789.") == strlen(host)) {
        /* getaddrinfo would take inet_aton's "1.2" shorthand; nobody means it. */
        return tether_net_seterr(err, errcap, TETHER_ERR_INVAL, "bad IPv4 address in %s", s);
    } else {
        hints.ai_family = AF_UNSPEC;
        gai = getaddrinfo(host, portstr, &hints, &res);
        if (gai != 0 || res == NULL) {
            const char *why = gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai);
            if (res != NULL)
                freeaddrinfo(res);
            return tether_net_seterr(err, errcap, TETHER_ERR_NOT_FOUND, "resolve %s: %s", host,
                                     why);
        }
    }
    for (ai = res; ai != NULL && k < max; ai = ai->ai_next) {
        if (tether_net_peer_from_sockaddr(ai->ai_addr, ai->ai_addrlen, 0, &out[k]) == 0)
            k++;
    }
    freeaddrinfo(res);
    if (k == 0)
        return tether_net_seterr(err, errcap, TETHER_ERR_NOT_FOUND,
                                 "resolve %s: no IPv4 or IPv6 address", host);
    *n = k;
    return 0;
}

int tether_udp_addr_parse(const char *s, tether_peer *out, char *err, size_t errcap)
{
    tether_peer p;
    size_t n = 0;
    int rc;

    if (err != NULL && errcap > 0)
        err[0] = '\0';
    if (out == NULL)
        return tether_net_seterr(err, errcap, TETHER_ERR_INVAL, "no output peer");
    rc = tether_net_resolve(s, TETHER_NET_SPLIT_PATH_OK, &p, 1, &n, err, errcap);
    if (rc != 0)
        return rc;
    *out = p;
    return 0;
}

int tether_udp_peer_str(const tether_peer *peer, char *out, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    char ip[INET6_ADDRSTRLEN];
    char scope[IF_NAMESIZE + 12];
    int w;

    if (out == NULL || cap == 0)
        return TETHER_ERR_NOSPACE;
    if (peer == NULL || tether_net_peer_to_sockaddr(peer, &ss, &sl) != 0) {
        snprintf(out, cap, "?");
        return TETHER_ERR_INVAL;
    }
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
        w = snprintf(out, cap, "%s:%u", ip, (unsigned)ntohs(in->sin_port));
    } else {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
        scope[0] = '\0';
        if (in6->sin6_scope_id != 0) {
            char name[IF_NAMESIZE];
            if (if_indextoname(in6->sin6_scope_id, name) != NULL)
                snprintf(scope, sizeof(scope), "%%%s", name);
            else
                snprintf(scope, sizeof(scope), "%%%u", (unsigned)in6->sin6_scope_id);
        }
        w = snprintf(out, cap, "[%s%s]:%u", ip, scope, (unsigned)ntohs(in6->sin6_port));
    }
    return w < 0 || (size_t)w >= cap ? TETHER_ERR_NOSPACE : 0;
}

uint16_t tether_udp_peer_port(const tether_peer *peer)
{
    struct sockaddr_storage ss;
    socklen_t sl;

    if (peer == NULL || tether_net_peer_to_sockaddr(peer, &ss, &sl) != 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)&ss)->sin_port);
    return ntohs(((const struct sockaddr_in6 *)&ss)->sin6_port);
}
