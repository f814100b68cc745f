/* SPDX-License-Identifier: Apache-2.0 */
/* The UDP adapter: sockets, peers and one epoll loop for sans-I/O engines.
 *
 * A tether_udp owns a set of non-blocking UDP sockets (IPv4, IPv6, or dual
 * stack) and one epoll instance. Each socket has an index, its `iface`:
 * a datagram that arrives on socket i yields a tether_peer with iface i and
 * the remote sockaddr as its bytes, and a datagram sent to that peer leaves
 * through socket i again, so an answer comes from the address and port the
 * client talked to (what NATs and firewalls expect). Engines never see a
 * socket: tether_udp_run_once() reads datagrams, feeds them to any engine
 * through a tether_engine_ops table, runs its timers and sends what it
 * queued. Other descriptors (an HTTP server, a signalfd) join the same
 * epoll set with tether_udp_watch_fd(), and tether_udp_wakeup() /
 * tether_udp_stop() interrupt a sleeping loop from a signal handler or
 * another thread.
 *
 * Peer bytes are normalised so that one remote always yields equal bytes
 * (tether_peer_equal() and tether_peer_hash() work on them directly):
 * a struct sockaddr_in (16 bytes, sin_zero cleared) or a struct
 * sockaddr_in6 (28 bytes, flowinfo cleared, scope id kept). An IPv4 client
 * of a dual-stack socket stays the v4-mapped IPv6 address it arrived as.
 *
 * Errors: every call returns 0 or a negative tether_err; calls on a
 * tether_udp also leave a sentence ("bind [::]:5683: Address already in
 * use") readable with tether_udp_errmsg() until the next call that can
 * fail. Nothing here prints. The adapter allocates (it is not part of the
 * allocation-free core): once at tether_udp_new() for its batch buffers,
 * and when sockets or watched descriptors are added.
 *
 * Not thread-safe, except tether_udp_wakeup() and tether_udp_stop(), which
 * may be called from any thread or a signal handler. Linux only (epoll,
 * recvmmsg, sendmmsg, eventfd).
 */
#ifndef TETHER_NET_H
#define TETHER_NET_H

#include <stddef.h>
#include <stdint.h>

#include "tether/err.h"
#include "tether/types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tether_udp tether_udp;

/* Room for any tether_udp_peer_str() result, "[v6 with scope]:65535" included. */
#define TETHER_UDP_ADDRSTR_MAX 72
/* Size of the last-error sentence, NUL included; longer sentences are cut. */
#define TETHER_UDP_ERRMSG_MAX 192
/* Default CoAP port (RFC 7252 §6.1), used when a URI or address has none. */
#define TETHER_UDP_COAP_PORT 5683

/* --- the engine interface ---------------------------------------------- */

/* Any sans-I/O engine, seen by the loop (STYLE.md rule 9). e is the engine
 * instance given to tether_udp_run_once(). The signatures match
 * tether_coap_recv/send/next_deadline/on_timeout with the context as void *:
 * tether_udp_coap_ops (below) drives a tether_coap_ctx directly.
 *   recv:          one datagram; peer and buf borrowed. A negative return
 *                  is counted (stats.engine_rejected); a fatal one
 *                  (tether_err_is_fatal) ends run_once with that code.
 *   send:          the next datagram to send into buf (cap bytes), its
 *                  length in *len, 0 when nothing waits. Called until
 *                  *len == 0. TETHER_ERR_NOSPACE (datagram larger than
 *                  cfg.max_datagram) ends run_once with that code.
 *   next_deadline: when on_timeout wants to run; TETHER_TIME_NEVER if never.
 *   on_timeout:    called when the deadline has passed.
 * send, next_deadline and on_timeout may be NULL (nothing to send, no timers). */
typedef struct tether_engine_ops {
    int (*recv)(void *e, tether_time now, const tether_peer *peer, const uint8_t *buf,
                size_t len);
    int (*send)(void *e, tether_time now, tether_peer *peer, uint8_t *buf, size_t cap,
                size_t *len);
    tether_time (*next_deadline)(void *e);
    int (*on_timeout)(void *e, tether_time now);
} tether_engine_ops;

/* The exchange layer (tether/coap_exchange.h) as an engine: pass a
 * tether_coap_ctx * as the engine. */
extern const tether_engine_ops tether_udp_coap_ops;

/* --- configuration and lifetime --------------------------------------- */

typedef struct tether_udp_config {
    /* Socket receive buffer, bytes, for every socket opened: SO_RCVBUFFORCE
     * (works as root / CAP_NET_ADMIN, above rmem_max), falling back to
     * SO_RCVBUF (capped by net.core.rmem_max). The kernel default (~208 KiB)
     * drops a registration storm of a few thousand datagrams. 0 leaves the
     * kernel default. Default 4 MiB. */
    uint32_t rcvbuf_bytes;
    /* Socket send buffer, the same way (SO_SNDBUFFORCE, then SO_SNDBUF).
     * 0 leaves the kernel default. Default 1 MiB. */
    uint32_t sndbuf_bytes;
    /* Largest datagram received or sent. A bigger incoming datagram is
     * dropped and counted (stats.rx_truncated). Default 2048, which holds a
     * 1024-byte block with its options; at most 65507. */
    uint16_t max_datagram;
    /* Datagrams per recvmmsg/sendmmsg call. Default 32, 1..1024. */
    uint16_t batch;
    /* Datagrams read from one socket in one run_once before the others get
     * their turn (bounded work per turn, STYLE.md rule 11). Default 1024. */
    uint32_t max_drain;
    /* Set SO_REUSEADDR on listening sockets. Default 0, on purpose: for UDP
     * on Linux it does not just skip a TIME_WAIT (UDP has none), it lets a
     * second process bind the very same address and port and silently take
     * its datagrams, so a second tetherd would "start" without an error and
     * steal the first one's traffic. Set it only to share a port on
     * purpose (multicast, or a hand-over between two processes). */
    uint8_t reuse_addr;
} tether_udp_config;

/* Fill cfg with the defaults above. */
void tether_udp_config_default(tether_udp_config *cfg);

/* Create an adapter with no sockets yet.
 * out: gets the adapter. cfg: copied; NULL means the defaults.
 * Returns 0, TETHER_ERR_INVAL (cfg out of range), TETHER_ERR_NOMEM, or
 * TETHER_ERR_SYS (epoll or eventfd could not be created). */
int tether_udp_new(tether_udp **out, const tether_udp_config *cfg);

/* Close every socket (watched descriptors are not closed: they are the
 * caller's) and free the adapter. NULL is a no-op. */
void tether_udp_free(tether_udp *u);

/* The last error sentence, "" after a call that succeeded. Valid until the
 * next call on u. Never NULL. */
const char *tether_udp_errmsg(const tether_udp *u);

/* --- sockets ------------------------------------------------------------ */

/* Open, configure and bind one UDP socket on addr, "HOST:PORT":
 *   "[::]:5683"        IPv6 any, dual stack (IPV6_V6ONLY off): IPv4 clients
 *                      appear as ::ffff:a.b.c.d
 *   "0.0.0.0:5683"     IPv4 any
 *   "127.0.0.1:0"      port 0: the kernel picks one; see tether_udp_port()
 *   "[::1]:0", "[fe80::1%eth0]:5683"
 *   "localhost:5683"   a name, resolved with getaddrinfo (first address
 *                      that binds)
 * The port may be left out (5683). The socket is non-blocking, close-on-exec,
 * has the configured buffer sizes (and SO_REUSEADDR if cfg.reuse_addr), and
 * joins the epoll set.
 * addr: borrowed. iface: out, may be NULL: the socket's index, stable for
 * the adapter's life (closed sockets keep their index).
 * Returns 0, TETHER_ERR_INVAL (bad address: see tether_udp_errmsg),
 * TETHER_ERR_NOT_FOUND (name does not resolve), TETHER_ERR_SYS (socket or
 * bind failed: "bind 127.0.0.1:5683: Address already in use"),
 * TETHER_ERR_NOMEM. Nothing is left open on error. */
int tether_udp_listen(tether_udp *u, const char *addr, uint16_t *iface);

/* Prepare to talk to a server: resolve uri ("coap://HOST[:PORT][/path...]",
 * or "HOST[:PORT]"; port 5683 by default; any path or query is ignored)
 * into *peer, and set peer->iface to an ephemeral socket of the right
 * family: the one an earlier tether_udp_connect() opened, if still open,
 * else a new one bound to the wildcard address, port 0. So one client
 * talks to all its servers from one port per family.
 * uri: borrowed. peer: out, untouched on error.
 * Returns 0, TETHER_ERR_INVAL, TETHER_ERR_UNSUPPORTED ("coaps://": DTLS is
 * another adapter), TETHER_ERR_NOT_FOUND, TETHER_ERR_SYS, TETHER_ERR_NOMEM. */
int tether_udp_connect(tether_udp *u, const char *uri, tether_peer *peer);

/* Close socket iface (a client dropping a server, LwM2M R20). Its index is
 * not reused; sending through it then fails with TETHER_ERR_INVAL.
 * Returns 0 or TETHER_ERR_INVAL (no such open socket). */
int tether_udp_close(tether_udp *u, uint16_t iface);

/* Number of socket indexes handed out so far (open or closed). */
size_t tether_udp_count(const tether_udp *u);

/* The local port socket iface is bound to (the real one after port 0);
 * 0 if iface is not an open socket. */
uint16_t tether_udp_port(const tether_udp *u, uint16_t iface);

/* The socket's descriptor, -1 if iface is not an open socket. For
 * inspection (getsockopt) only: reading from it steals the engine's data. */
int tether_udp_fd(const tether_udp *u, uint16_t iface);

/* --- datagrams, one at a time ------------------------------------------- */

/* Send one datagram to peer through socket peer->iface.
 * peer, buf: borrowed. Returns 0, TETHER_ERR_INVAL (no such socket, or the
 * peer bytes are no sockaddr), TETHER_ERR_BUSY (socket buffer full: the
 * datagram was dropped and counted; UDP loses datagrams anyway and the
 * CoAP layer retransmits CON), TETHER_ERR_SYS (other send failure). */
int tether_udp_send(tether_udp *u, const tether_peer *peer, const uint8_t *buf, size_t len);

/* Read one waiting datagram from any socket without blocking (for tests and
 * simple tools; the loop uses batches). peer: out. buf: cap bytes. *len gets
 * the datagram length, 0 when nothing waits. A datagram longer than cap is
 * dropped and counted (rx_truncated), and the next one is tried.
 * Returns 0 or TETHER_ERR_SYS. */
int tether_udp_recv(tether_udp *u, tether_peer *peer, uint8_t *buf, size_t cap, size_t *len);

/* --- the loop ------------------------------------------------------------ */

/* One turn: send what the engine has queued; sleep in epoll_wait until a
 * datagram, a watched descriptor, a wakeup, the engine's deadline, or
 * max_wait_ms (-1: no limit; 0: do not sleep); drain each readable socket
 * (recvmmsg, batch by batch, feeding each datagram to ops->recv and
 * sending the engine's answers after each batch, up to cfg.max_drain per
 * socket); run callbacks of watched descriptors; call ops->on_timeout when
 * the deadline has passed; send again until the engine yields len 0
 * (sendmmsg, consecutive datagrams for one socket per call).
 * Send policy: a datagram refused with EAGAIN/ENOBUFS (socket buffer full)
 * is dropped and counted in stats.tx_dropped, not kept: the send buffer is
 * large, the engine retransmits CON, and holding datagrams would need an
 * unbounded queue. Other send errors (unreachable, bad peer) count in
 * stats.tx_errors and do not stop the loop.
 * ops, engine: borrowed. now is read from tether_os_now_ms().
 * Returns 0 (also when interrupted by a signal or when stopped), a fatal
 * engine error, TETHER_ERR_NOSPACE (engine datagram over max_datagram),
 * or TETHER_ERR_SYS (epoll failed). Must not be called from a watch
 * callback (TETHER_ERR_REENTRANT). */
int tether_udp_run_once(tether_udp *u, const tether_engine_ops *ops, void *engine,
                        int max_wait_ms);

/* Call tether_udp_run_once() until tether_udp_stop() or an error.
 * Returns 0 after a stop, else the error. Clears the stop flag on return. */
int tether_udp_run(tether_udp *u, const tether_engine_ops *ops, void *engine);

/* Send what the engine has queued now (the first step of run_once), for
 * callers that start exchanges outside the loop. Same returns. */
int tether_udp_flush(tether_udp *u, const tether_engine_ops *ops, void *engine);

/* Make a sleeping or the next run_once return promptly. Async-signal-safe
 * and thread-safe (an eventfd write). */
void tether_udp_wakeup(tether_udp *u);

/* Ask tether_udp_run() to return after the current turn, and wake it.
 * Async-signal-safe and thread-safe. */
void tether_udp_stop(tether_udp *u);

/* Nonzero once tether_udp_stop() was called (until tether_udp_run clears it). */
int tether_udp_stopping(const tether_udp *u);

/* Callback for a watched descriptor: events are EPOLLIN/EPOLLOUT/... bits.
 * It may watch and unwatch descriptors (itself included) and start engine
 * exchanges (they are sent at the end of the turn). */
typedef void (*tether_udp_fd_fn)(void *user, int fd, uint32_t events);

/* Add fd to the epoll set (level-triggered) with events (EPOLLIN, ...).
 * fd: kept, stays the caller's (never closed here); unwatch before closing
 * it. user: kept, passed to cb. Returns 0, TETHER_ERR_EXISTS,
 * TETHER_ERR_NOMEM or TETHER_ERR_SYS (epoll_ctl refused the fd). */
int tether_udp_watch_fd(tether_udp *u, int fd, uint32_t events, tether_udp_fd_fn cb,
                        void *user);

/* Remove fd from the epoll set; no callback for it after this returns,
 * even for events already collected in the current turn.
 * Returns 0 or TETHER_ERR_NOT_FOUND. */
int tether_udp_unwatch_fd(tether_udp *u, int fd);

/* The epoll descriptor, to nest this loop in another (it is readable when a
 * turn has work). Stays owned by u. */
int tether_udp_epoll_fd(const tether_udp *u);

/* --- addresses ---------------------------------------------------------- */

/* Resolve "coap://HOST[:PORT][/...]" or "HOST[:PORT]" (numeric forms as for
 * tether_udp_listen; names through getaddrinfo, first result) into a peer
 * with iface 0, without opening anything.
 * s: borrowed. out: untouched on error. err: optional (NULL, 0), gets a
 * sentence on error ("port 70000 out of range in 127.0.0.1:70000").
 * Returns 0, TETHER_ERR_INVAL, TETHER_ERR_UNSUPPORTED (coaps:// or another
 * scheme), TETHER_ERR_NOT_FOUND (name does not resolve). */
int tether_udp_addr_parse(const char *s, tether_peer *out, char *err, size_t errcap);

/* Write peer's address as "127.0.0.1:40000" or "[::1]:5683" (with
 * "%scope" for a link-local scope) into out, NUL-terminated; cap >=
 * TETHER_UDP_ADDRSTR_MAX always suffices. The iface is not shown.
 * Returns 0, TETHER_ERR_INVAL (not a sockaddr: out gets "?") or
 * TETHER_ERR_NOSPACE (cut to fit). */
int tether_udp_peer_str(const tether_peer *peer, char *out, size_t cap);

/* The port of peer's address, 0 if it is no sockaddr. */
uint16_t tether_udp_peer_port(const tether_peer *peer);

/* --- counters ------------------------------------------------------------ */

typedef struct tether_udp_stats {
    uint64_t rx, tx;             /* datagrams */
    uint64_t rx_bytes, tx_bytes;
    uint64_t rx_truncated;       /* longer than max_datagram: dropped */
    uint64_t rx_errors;          /* receive calls that failed (not EAGAIN) */
    uint64_t tx_dropped;         /* socket buffer full (EAGAIN/ENOBUFS): dropped */
    uint64_t tx_errors;          /* other send failures: dropped */
    uint64_t engine_rejected;    /* datagrams ops->recv returned an error for */
    uint64_t turns;              /* run_once calls */
} tether_udp_stats;

void tether_udp_get_stats(const tether_udp *u, tether_udp_stats *out);

#ifdef __cplusplus
}
#endif
#endif /* TETHER_NET_H */
