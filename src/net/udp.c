/* SPDX-License-Identifier: Apache-2.0 */
/* UDP sockets and the epoll loop that drives a sans-I/O engine
 * (tether/net.h). Each turn sends what the engine queued, sleeps until a
 * descriptor is ready or the engine's deadline, drains readable sockets in
 * recvmmsg batches (sending the engine's answers after each batch, so its
 * send queue never has to hold more than one batch of replies), runs
 * timers, and sends again in sendmmsg batches. Epoll entries carry a kind
 * and an index (and a generation for watched descriptors), never a
 * pointer, so a socket closed or a watch removed during a turn cannot be
 * reached through an event collected before. */
#include "tether/net.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tether/os.h"
#include "net/udp_internal.h"

#define MAX_EVENTS 64
#define MAX_SOCKETS 0xFFFFu /* iface is a uint16_t */

/* epoll_event.data.u64 = kind << 62 | generation << 32 | index */
enum { KIND_SOCK = 0, KIND_WATCH = 1, KIND_WAKE = 2 };
#define EV_DATA(kind, gen, idx) \
    (((uint64_t)(kind) << 62) | ((uint64_t)((gen) & 0x3FFFFFFFu) << 32) | (uint64_t)(idx))
#define EV_KIND(d) ((unsigned)((d) >> 62))
#define EV_GEN(d) ((uint32_t)(((d) >> 32) & 0x3FFFFFFFu))
#define EV_IDX(d) ((uint32_t)(d))

struct udp_sock {
    int fd; /* -1 once closed */
    int family;
    uint16_t port;
    uint8_t client; /* opened by tether_udp_connect(): reused by later connects */
};

struct udp_watch {
    int fd; /* -1 when the slot is free */
    uint32_t gen;
    uint32_t events;
    tether_udp_fd_fn cb;
    void *user;
};

struct tether_udp {
    tether_udp_config cfg;
    int epfd, evfd;
    struct udp_sock *socks;
    size_t nsocks, capsocks;
    struct udp_watch *watches;
    size_t nwatches;
    size_t rr; /* next socket tether_udp_recv() looks at */
    int in_turn;
    atomic_int stop;

    /* Batch buffers, cfg.batch slots of cfg.max_datagram bytes each way. */
    uint8_t *rxbuf, *txbuf;
    struct mmsghdr *rxmsg, *txmsg;
    struct iovec *rxiov, *txiov;
    struct sockaddr_storage *rxaddr, *txaddr;
    tether_peer *txpeer;

    tether_udp_stats st;
    char err[TETHER_UDP_ERRMSG_MAX];
};

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int fail(tether_udp *u, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(u->err, sizeof(u->err), fmt, ap);
    va_end(ap);
    return code;
}

static const char *errstr(int e, char *buf, size_t cap)
{
    return strerror_r(e, buf, cap); /* GNU variant: _GNU_SOURCE is on */
}

void tether_udp_config_default(tether_udp_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->rcvbuf_bytes = 4u << 20;
    cfg->sndbuf_bytes = 1u << 20;
    cfg->max_datagram = 2048;
    cfg->batch = 32;
    cfg->max_drain = 1024;
    cfg->reuse_addr = 0;
}

int tether_udp_new(tether_udp **out, const tether_udp_config *cfg)
{
    tether_udp_config c;
    tether_udp *u;
    size_t b, md;
    struct epoll_event ev;

    if (out == NULL)
        return TETHER_ERR_INVAL;
    *out = NULL;
    if (cfg != NULL)
        c = *cfg;
    else
        tether_udp_config_default(&c);
    if (c.max_datagram < 4 || c.max_datagram > 65507 || c.batch < 1 || c.batch > 1024 ||
        c.max_drain < 1 || c.rcvbuf_bytes > INT_MAX || c.sndbuf_bytes > INT_MAX)
        return TETHER_ERR_INVAL;
    u = calloc(1, sizeof(*u));
    if (u == NULL)
        return TETHER_ERR_NOMEM;
    u->cfg = c;
    u->epfd = -1;
    u->evfd = -1;
    b = c.batch;
    md = c.max_datagram;
    u->rxbuf = malloc(b * md);
    u->txbuf = malloc(b * md);
    u->rxmsg = calloc(b, sizeof(*u->rxmsg));
    u->txmsg = calloc(b, sizeof(*u->txmsg));
    u->rxiov = calloc(b, sizeof(*u->rxiov));
    u->txiov = calloc(b, sizeof(*u->txiov));
    u->rxaddr = calloc(b, sizeof(*u->rxaddr));
    u->txaddr = calloc(b, sizeof(*u->txaddr));
    u->txpeer = calloc(b, sizeof(*u->txpeer));
    if (!u->rxbuf || !u->txbuf || !u->rxmsg || !u->txmsg || !u->rxiov || !u->txiov ||
        !u->rxaddr || !u->txaddr || !u->txpeer) {
        tether_udp_free(u);
        return TETHER_ERR_NOMEM;
    }
    u->epfd = epoll_create1(EPOLL_CLOEXEC);
    u->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (u->epfd < 0 || u->evfd < 0) {
        tether_udp_free(u);
        return TETHER_ERR_SYS;
    }
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN;
    ev.data.u64 = EV_DATA(KIND_WAKE, 0, 0);
    if (epoll_ctl(u->epfd, EPOLL_CTL_ADD, u->evfd, &ev) != 0) {
        tether_udp_free(u);
        return TETHER_ERR_SYS;
    }
    atomic_init(&u->stop, 0);
    *out = u;
    return 0;
}

void tether_udp_free(tether_udp *u)
{
    if (u == NULL)
        return;
    for (size_t i = 0; i < u->nsocks; i++) {
        if (u->socks[i].fd >= 0)
            close(u->socks[i].fd);
    }
    if (u->epfd >= 0)
        close(u->epfd);
    if (u->evfd >= 0)
        close(u->evfd);
    free(u->socks);
    free(u->watches);
    free(u->rxbuf);
    free(u->txbuf);
    free(u->rxmsg);
    free(u->txmsg);
    free(u->rxiov);
    free(u->txiov);
    free(u->rxaddr);
    free(u->txaddr);
    free(u->txpeer);
    free(u);
}

const char *tether_udp_errmsg(const tether_udp *u)
{
    return u != NULL ? u->err : "no adapter";
}

/* --- sockets ------------------------------------------------------------ */

static void set_buffer(int fd, int force_opt, int opt, uint32_t bytes)
{
    int v = (int)bytes;

    if (bytes == 0)
        return;
    /* Best effort: FORCE needs CAP_NET_ADMIN; the plain option is capped by
     * net.core.[rw]mem_max. Read the result back with getsockopt. */
    if (setsockopt(fd, SOL_SOCKET, force_opt, &v, sizeof(v)) != 0)
        (void)setsockopt(fd, SOL_SOCKET, opt, &v, sizeof(v));
}

static const struct udp_sock *sock_at(const tether_udp *u, uint16_t iface)
{
    if (u == NULL || iface >= u->nsocks || u->socks[iface].fd < 0)
        return NULL;
    return &u->socks[iface];
}

/* Open a socket bound to addr (a normalised peer); label names it in the
 * sentence. On success the socket gets the next index. */
static int open_socket(tether_udp *u, const tether_peer *addr, const char *label, int client,
                       uint16_t *iface)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    char eb[128];
    int fd, one = 1, zero = 0, e;
    struct epoll_event ev;
    struct udp_sock *s;

    if (tether_net_peer_to_sockaddr(addr, &ss, &sl) != 0)
        return fail(u, TETHER_ERR_INVAL, "%s: not an IPv4 or IPv6 address", label);
    if (u->nsocks >= MAX_SOCKETS)
        return fail(u, TETHER_ERR_NOMEM, "%s: too many sockets", label);
    if (u->nsocks == u->capsocks) {
        size_t nc = u->capsocks ? u->capsocks * 2 : 4;
        struct udp_sock *ns = realloc(u->socks, nc * sizeof(*ns));
        if (ns == NULL)
            return fail(u, TETHER_ERR_NOMEM, "%s: out of memory", label);
        u->socks = ns;
        u->capsocks = nc;
    }
    fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        e = errno;
        return fail(u, TETHER_ERR_SYS, "socket %s: %s", label, errstr(e, eb, sizeof(eb)));
    }
    if (u->cfg.reuse_addr && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0)
        goto sys;
    if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
        /* The wildcard takes IPv4 too (dual stack), whatever the sysctl
         * net.ipv6.bindv6only says; a specific address is one family anyway. */
        if (memcmp(&in6->sin6_addr, &in6addr_any, sizeof(in6addr_any)) == 0 &&
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) != 0)
            goto sys;
    }
    set_buffer(fd, SO_RCVBUFFORCE, SO_RCVBUF, u->cfg.rcvbuf_bytes);
    set_buffer(fd, SO_SNDBUFFORCE, SO_SNDBUF, u->cfg.sndbuf_bytes);
    if (bind(fd, (const struct sockaddr *)&ss, sl) != 0) {
        e = errno;
        close(fd);
        return fail(u, TETHER_ERR_SYS, "bind %s: %s", label, errstr(e, eb, sizeof(eb)));
    }
    sl = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
        goto sys;
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN;
    ev.data.u64 = EV_DATA(KIND_SOCK, 0, u->nsocks);
    if (epoll_ctl(u->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
        goto sys;
    s = &u->socks[u->nsocks];
    s->fd = fd;
    s->family = ss.ss_family;
    s->port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                            : ((struct sockaddr_in6 *)&ss)->sin6_port);
    s->client = (uint8_t)client;
    if (iface != NULL)
        *iface = (uint16_t)u->nsocks;
    u->nsocks++;
    return 0;
sys:
    e = errno;
    close(fd);
    return fail(u, TETHER_ERR_SYS, "socket %s: %s", label, errstr(e, eb, sizeof(eb)));
}

int tether_udp_listen(tether_udp *u, const char *addr, uint16_t *iface)
{
    tether_peer cand[TETHER_NET_RESOLVE_MAX];
    size_t n = 0;
    int rc;

    if (u == NULL)
        return TETHER_ERR_INVAL;
    u->err[0] = '\0';
    rc = tether_net_resolve(addr, 0, cand, TETHER_NET_RESOLVE_MAX, &n, u->err, sizeof(u->err));
    if (rc != 0)
        return rc;
    /* A name may resolve to ::1 and 127.0.0.1: take the first that binds. */
    for (size_t i = 0; i < n; i++) {
        rc = open_socket(u, &cand[i], addr, 0, iface);
        if (rc == 0) {
            u->err[0] = '\0';
            return 0;
        }
    }
    return rc;
}

int tether_udp_connect(tether_udp *u, const char *uri, tether_peer *peer)
{
    tether_peer p, any;
    size_t n = 0;
    int rc, fam;
    uint16_t iface = 0;
    size_t i;

    if (u == NULL || peer == NULL)
        return TETHER_ERR_INVAL;
    u->err[0] = '\0';
    rc = tether_net_resolve(uri, TETHER_NET_SPLIT_PATH_OK, &p, 1, &n, u->err, sizeof(u->err));
    if (rc != 0)
        return rc;
    fam = tether_net_peer_family(&p);
    for (i = 0; i < u->nsocks; i++) {
        if (u->socks[i].fd >= 0 && u->socks[i].client && u->socks[i].family == fam)
            break;
    }
    if (i < u->nsocks) {
        iface = (uint16_t)i;
    } else {
        const char *label = fam == AF_INET ? "0.0.0.0:0" : "[::]:0";
        size_t k = 0;
        rc = tether_net_resolve(label, 0, &any, 1, &k, u->err, sizeof(u->err));
        if (rc == 0)
            rc = open_socket(u, &any, label, 1, &iface);
        if (rc != 0)
            return rc;
    }
    p.iface = iface;
    *peer = p;
    return 0;
}

int tether_udp_close(tether_udp *u, uint16_t iface)
{
    if (u == NULL)
        return TETHER_ERR_INVAL;
    u->err[0] = '\0';
    if (sock_at(u, iface) == NULL)
        return fail(u, TETHER_ERR_INVAL, "close: no open socket %u", (unsigned)iface);
    epoll_ctl(u->epfd, EPOLL_CTL_DEL, u->socks[iface].fd, NULL);
    close(u->socks[iface].fd);
    u->socks[iface].fd = -1;
    return 0;
}

size_t tether_udp_count(const tether_udp *u)
{
    return u != NULL ? u->nsocks : 0;
}

uint16_t tether_udp_port(const tether_udp *u, uint16_t iface)
{
    const struct udp_sock *s = sock_at(u, iface);
    return s != NULL ? s->port : 0;
}

int tether_udp_fd(const tether_udp *u, uint16_t iface)
{
    const struct udp_sock *s = sock_at(u, iface);
    return s != NULL ? s->fd : -1;
}

/* --- single datagrams --------------------------------------------------- */

int tether_udp_send(tether_udp *u, const tether_peer *peer, const uint8_t *buf, size_t len)
{
    const struct udp_sock *s;
    struct sockaddr_storage ss;
    socklen_t sl;
    char eb[128];
    ssize_t n;

    if (u == NULL)
        return TETHER_ERR_INVAL;
    u->err[0] = '\0';
    if (peer == NULL || (buf == NULL && len > 0))
        return fail(u, TETHER_ERR_INVAL, "send: no peer or buffer");
    s = sock_at(u, peer->iface);
    if (s == NULL)
        return fail(u, TETHER_ERR_INVAL, "send: no open socket %u", (unsigned)peer->iface);
    if (tether_net_peer_to_sockaddr(peer, &ss, &sl) != 0)
        return fail(u, TETHER_ERR_INVAL, "send: peer is not an IPv4 or IPv6 address");
    do {
        n = sendto(s->fd, buf, len, 0, (const struct sockaddr *)&ss, sl);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        int e = errno;
        char ps[TETHER_UDP_ADDRSTR_MAX];
        tether_udp_peer_str(peer, ps, sizeof(ps));
        if (e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS) {
            u->st.tx_dropped++;
            return fail(u, TETHER_ERR_BUSY, "send to %s: %s", ps, errstr(e, eb, sizeof(eb)));
        }
        u->st.tx_errors++;
        return fail(u, TETHER_ERR_SYS, "send to %s: %s", ps, errstr(e, eb, sizeof(eb)));
    }
    u->st.tx++;
    u->st.tx_bytes += (uint64_t)n;
    return 0;
}

int tether_udp_recv(tether_udp *u, tether_peer *peer, uint8_t *buf, size_t cap, size_t *len)
{
    char eb[128];

    if (u == NULL || peer == NULL || len == NULL || (buf == NULL && cap > 0))
        return TETHER_ERR_INVAL;
    u->err[0] = '\0';
    *len = 0;
    for (size_t tried = 0; tried < u->nsocks; tried++) {
        size_t i = (u->rr + tried) % u->nsocks;
        struct udp_sock *s = &u->socks[i];
        if (s->fd < 0)
            continue;
        for (;;) {
            struct sockaddr_storage ss;
            socklen_t sl = sizeof(ss);
            ssize_t n = recvfrom(s->fd, buf, cap, MSG_DONTWAIT | MSG_TRUNC,
                                 (struct sockaddr *)&ss, &sl);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                break;
            if (n < 0) {
                int e = errno;
                u->st.rx_errors++;
                return fail(u, TETHER_ERR_SYS, "recv on socket %zu: %s", i,
                            errstr(e, eb, sizeof(eb)));
            }
            if ((size_t)n > cap) {
                u->st.rx_truncated++;
                continue;
            }
            if (tether_net_peer_from_sockaddr(&ss, sl, (uint16_t)i, peer) != 0)
                continue;
            u->st.rx++;
            u->st.rx_bytes += (uint64_t)n;
            *len = (size_t)n;
            u->rr = (i + 1) % u->nsocks;
            return 0;
        }
    }
    return 0;
}

/* --- the loop ------------------------------------------------------------ */

/* sendmmsg the prepared txmsg[i..j), all for socket iface. */
static void send_group(tether_udp *u, uint16_t iface, size_t i, size_t j)
{
    const struct udp_sock *s = sock_at(u, iface);
    size_t off = i;

    if (s == NULL) {
        u->st.tx_errors += j - i;
        return;
    }
    while (off < j) {
        int r = sendmmsg(s->fd, &u->txmsg[off], (unsigned)(j - off), 0);
        if (r > 0) {
            for (size_t k = off; k < off + (size_t)r; k++)
                u->st.tx_bytes += u->txmsg[k].msg_len;
            u->st.tx += (uint64_t)r;
            off += (size_t)r;
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
            /* Buffer full: the rest would fail too. Dropped, see net.h. */
            u->st.tx_dropped += j - off;
            return;
        }
        /* This datagram's own fault (unreachable, bad address): skip it. */
        u->st.tx_errors++;
        off++;
    }
}

/* Send the n datagrams collected in the tx slots, in order, one sendmmsg
 * per run of consecutive datagrams for the same socket. */
static void send_batch(tether_udp *u, size_t n)
{
    size_t k = 0, i = 0;

    /* Compact the slots whose peer is no sockaddr out of the vector. */
    for (size_t m = 0; m < n; m++) {
        socklen_t sl;
        if (tether_net_peer_to_sockaddr(&u->txpeer[m], &u->txaddr[k], &sl) != 0) {
            u->st.tx_errors++;
            continue;
        }
        u->txpeer[k].iface = u->txpeer[m].iface;
        u->txiov[k].iov_base = u->txbuf + m * u->cfg.max_datagram;
        u->txiov[k].iov_len = u->txmsg[m].msg_len; /* staged by flush() */
        memset(&u->txmsg[k].msg_hdr, 0, sizeof(u->txmsg[k].msg_hdr));
        u->txmsg[k].msg_hdr.msg_name = &u->txaddr[k];
        u->txmsg[k].msg_hdr.msg_namelen = sl;
        u->txmsg[k].msg_hdr.msg_iov = &u->txiov[k];
        u->txmsg[k].msg_hdr.msg_iovlen = 1;
        u->txmsg[k].msg_len = 0;
        k++;
    }
    while (i < k) {
        size_t j = i + 1;
        while (j < k && u->txpeer[j].iface == u->txpeer[i].iface)
            j++;
        send_group(u, u->txpeer[i].iface, i, j);
        i = j;
    }
}

static int flush(tether_udp *u, const tether_engine_ops *ops, void *e, tether_time now)
{
    size_t md = u->cfg.max_datagram;

    if (ops == NULL || ops->send == NULL)
        return 0;
    for (;;) {
        size_t n = 0;
        int rc = 0;
        while (n < u->cfg.batch) {
            size_t len = 0;
            rc = ops->send(e, now, &u->txpeer[n], u->txbuf + n * md, md, &len);
            if (rc < 0 || len == 0)
                break;
            if (len > md) {
                rc = TETHER_ERR_INTERNAL;
                break;
            }
            /* msg_len stages the length until send_batch() builds headers. */
            u->txmsg[n].msg_len = (unsigned)len;
            n++;
        }
        send_batch(u, n);
        if (rc == TETHER_ERR_NOSPACE)
            return fail(u, rc, "engine datagram larger than max_datagram %zu", md);
        if (rc < 0)
            return fail(u, rc, "engine send: %s", tether_strerror(rc));
        if (n < u->cfg.batch)
            return 0;
    }
}

/* Read socket idx in batches until it is empty or max_drain datagrams. */
static int drain(tether_udp *u, uint32_t idx, const tether_engine_ops *ops, void *e)
{
    const struct udp_sock *s = sock_at(u, (uint16_t)idx);
    size_t md = u->cfg.max_datagram, total = 0;
    char eb[128];

    while (s != NULL && total < u->cfg.max_drain) {
        size_t want = u->cfg.batch;
        tether_time now;
        int r, rc;

        if (want > u->cfg.max_drain - total)
            want = u->cfg.max_drain - total;
        for (size_t k = 0; k < want; k++) {
            u->rxiov[k].iov_base = u->rxbuf + k * md;
            u->rxiov[k].iov_len = md;
            memset(&u->rxmsg[k].msg_hdr, 0, sizeof(u->rxmsg[k].msg_hdr));
            u->rxmsg[k].msg_hdr.msg_name = &u->rxaddr[k];
            u->rxmsg[k].msg_hdr.msg_namelen = sizeof(u->rxaddr[k]);
            u->rxmsg[k].msg_hdr.msg_iov = &u->rxiov[k];
            u->rxmsg[k].msg_hdr.msg_iovlen = 1;
        }
        r = recvmmsg(s->fd, u->rxmsg, (unsigned)want, MSG_DONTWAIT, NULL);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (r < 0) {
            /* E.g. a queued ICMP error; the socket stays usable. */
            int er = errno;
            u->st.rx_errors++;
            fail(u, 0, "recv on socket %u: %s", (unsigned)idx, errstr(er, eb, sizeof(eb)));
            return 0;
        }
        now = tether_os_now_ms();
        for (int k = 0; k < r; k++) {
            tether_peer p;
            size_t len = u->rxmsg[k].msg_len;
            if (u->rxmsg[k].msg_hdr.msg_flags & MSG_TRUNC) {
                u->st.rx_truncated++;
                continue;
            }
            if (tether_net_peer_from_sockaddr(&u->rxaddr[k], u->rxmsg[k].msg_hdr.msg_namelen,
                                              (uint16_t)idx, &p) != 0)
                continue;
            u->st.rx++;
            u->st.rx_bytes += len;
            if (ops == NULL || ops->recv == NULL)
                continue;
            rc = ops->recv(e, now, &p, u->rxbuf + (size_t)k * md, len);
            if (rc < 0) {
                u->st.engine_rejected++;
                if (tether_err_is_fatal(rc))
                    return fail(u, rc, "engine recv: %s", tether_strerror(rc));
            }
        }
        rc = flush(u, ops, e, now);
        if (rc != 0)
            return rc;
        total += (size_t)r;
        if ((size_t)r < want)
            return 0; /* short batch: the socket is empty */
        s = sock_at(u, (uint16_t)idx); /* unchanged: no callbacks ran */
    }
    return 0;
}

static int wait_ms(const tether_udp *u, const tether_engine_ops *ops, void *e, tether_time now,
                   int max_wait_ms)
{
    tether_time d = TETHER_TIME_NEVER;

    if (atomic_load(&u->stop))
        return 0;
    if (ops != NULL && ops->next_deadline != NULL && ops->on_timeout != NULL)
        d = ops->next_deadline(e);
    if (d == TETHER_TIME_NEVER)
        return max_wait_ms < 0 ? -1 : max_wait_ms;
    if (d <= now)
        return 0;
    if (d - now < (tether_time)INT_MAX && (max_wait_ms < 0 || (int)(d - now) < max_wait_ms))
        return (int)(d - now);
    return max_wait_ms < 0 ? INT_MAX : max_wait_ms;
}

int tether_udp_run_once(tether_udp *u, const tether_engine_ops *ops, void *engine,
                        int max_wait_ms)
{
    struct epoll_event evs[MAX_EVENTS];
    tether_time now;
    int n, rc;
    char eb[128];

    if (u == NULL)
        return TETHER_ERR_INVAL;
    if (u->in_turn)
        return fail(u, TETHER_ERR_REENTRANT, "run_once: called from a watch callback");
    u->err[0] = '\0';
    u->in_turn = 1;
    u->st.turns++;
    now = tether_os_now_ms();
    rc = flush(u, ops, engine, now);
    if (rc != 0)
        goto out;
    n = epoll_wait(u->epfd, evs, MAX_EVENTS, wait_ms(u, ops, engine, now, max_wait_ms));
    if (n < 0) {
        int er = errno;
        if (er != EINTR) {
            rc = fail(u, TETHER_ERR_SYS, "epoll_wait: %s", errstr(er, eb, sizeof(eb)));
            goto out;
        }
        n = 0;
    }
    for (int i = 0; i < n; i++) {
        uint64_t d = evs[i].data.u64;
        uint32_t idx = EV_IDX(d);
        if (EV_KIND(d) == KIND_SOCK) {
            rc = drain(u, idx, ops, engine);
            if (rc != 0)
                goto out;
        } else if (EV_KIND(d) == KIND_WATCH) {
            struct udp_watch *w;
            if (idx >= u->nwatches)
                continue;
            w = &u->watches[idx];
            if (w->fd < 0 || (w->gen & 0x3FFFFFFFu) != EV_GEN(d))
                continue; /* unwatched during this turn */
            w->cb(w->user, w->fd, evs[i].events);
        } else {
            uint64_t cnt;
            ssize_t r = read(u->evfd, &cnt, sizeof(cnt));
            (void)r;
        }
    }
    now = tether_os_now_ms();
    if (ops != NULL && ops->next_deadline != NULL && ops->on_timeout != NULL &&
        ops->next_deadline(engine) <= now) {
        rc = ops->on_timeout(engine, now);
        if (rc < 0 && tether_err_is_fatal(rc)) {
            rc = fail(u, rc, "engine timeout: %s", tether_strerror(rc));
            goto out;
        }
        rc = 0;
    }
    rc = flush(u, ops, engine, now);
out:
    u->in_turn = 0;
    return rc;
}

int tether_udp_run(tether_udp *u, const tether_engine_ops *ops, void *engine)
{
    int rc = 0;

    if (u == NULL)
        return TETHER_ERR_INVAL;
    while (!atomic_load(&u->stop)) {
        rc = tether_udp_run_once(u, ops, engine, -1);
        if (rc != 0)
            break;
    }
    atomic_store(&u->stop, 0);
    return rc;
}

int tether_udp_flush(tether_udp *u, const tether_engine_ops *ops, void *engine)
{
    if (u == NULL)
        return TETHER_ERR_INVAL;
    u->err[0] = '\0';
    return flush(u, ops, engine, tether_os_now_ms());
}

void tether_udp_wakeup(tether_udp *u)
{
    uint64_t one = 1;
    ssize_t r;

    if (u == NULL)
        return;
    /* EAGAIN means the counter is already non-zero: it is awake anyway. */
    r = write(u->evfd, &one, sizeof(one));
    (void)r;
}

void tether_udp_stop(tether_udp *u)
{
    if (u == NULL)
        return;
    atomic_store(&u->stop, 1);
    tether_udp_wakeup(u);
}

int tether_udp_stopping(const tether_udp *u)
{
    return u != NULL && atomic_load(&((tether_udp *)u)->stop);
}

int tether_udp_watch_fd(tether_udp *u, int fd, uint32_t events, tether_udp_fd_fn cb, void *user)
{
    struct epoll_event ev;
    struct udp_watch *w = NULL;
    size_t idx;
    char eb[128];

    if (u == NULL)
        return TETHER_ERR_INVAL;
    u->err[0] = '\0';
    if (fd < 0 || cb == NULL)
        return fail(u, TETHER_ERR_INVAL, "watch: bad descriptor or no callback");
    for (idx = 0; idx < u->nwatches; idx++) {
        if (u->watches[idx].fd == fd)
            return fail(u, TETHER_ERR_EXISTS, "watch: descriptor %d already watched", fd);
    }
    for (idx = 0; idx < u->nwatches; idx++) {
        if (u->watches[idx].fd < 0) {
            w = &u->watches[idx];
            break;
        }
    }
    if (w == NULL) {
        struct udp_watch *nw = realloc(u->watches, (u->nwatches + 1) * sizeof(*nw));
        if (nw == NULL)
            return fail(u, TETHER_ERR_NOMEM, "watch: out of memory");
        u->watches = nw;
        idx = u->nwatches++;
        w = &u->watches[idx];
        w->fd = -1;
        w->gen = 0;
    }
    /* A new generation: events collected for the slot's previous fd in
     * this turn no longer match. */
    w->gen++;
    memset(&ev, 0, sizeof(ev));
    ev.events = events;
    ev.data.u64 = EV_DATA(KIND_WATCH, w->gen, idx);
    if (epoll_ctl(u->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        int e = errno;
        return fail(u, TETHER_ERR_SYS, "watch %d: %s", fd, errstr(e, eb, sizeof(eb)));
    }
    w->fd = fd;
    w->events = events;
    w->cb = cb;
    w->user = user;
    return 0;
}

int tether_udp_unwatch_fd(tether_udp *u, int fd)
{
    if (u == NULL)
        return TETHER_ERR_INVAL;
    u->err[0] = '\0';
    for (size_t i = 0; i < u->nwatches; i++) {
        if (u->watches[i].fd == fd && fd >= 0) {
            epoll_ctl(u->epfd, EPOLL_CTL_DEL, fd, NULL);
            u->watches[i].fd = -1;
            return 0;
        }
    }
    return fail(u, TETHER_ERR_NOT_FOUND, "unwatch: descriptor %d is not watched", fd);
}

int tether_udp_epoll_fd(const tether_udp *u)
{
    return u != NULL ? u->epfd : -1;
}

void tether_udp_get_stats(const tether_udp *u, tether_udp_stats *out)
{
    if (u != NULL && out != NULL)
        *out = u->st;
}
