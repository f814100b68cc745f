/* SPDX-License-Identifier: Apache-2.0 */
/* What the UDP adapter's files share: address splitting and resolution
 * (addr.c) for the socket code (udp.c), and the sockaddr <-> tether_peer
 * normal form. Not installed; apps use tether/net.h. */
#ifndef TETHER_NET_UDP_INTERNAL_H
#define TETHER_NET_UDP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "tether/types.h"

#define TETHER_NET_HOST_MAX 256     /* longest host part accepted, NUL included */
#define TETHER_NET_RESOLVE_MAX 8    /* candidates kept from getaddrinfo */
#define TETHER_NET_SPLIT_PATH_OK 1u /* a coap:// URI may carry a path (ignored) */

/* Write a sentence into err (if non-NULL) and return code. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
int tether_net_seterr(char *err, size_t cap, int code, const char *fmt, ...);

/* Split "coap://HOST:PORT/..." or "HOST:PORT" into host (brackets removed,
 * NUL-terminated) and port (5683 when absent). Returns 0, TETHER_ERR_INVAL
 * or TETHER_ERR_UNSUPPORTED with a sentence in err. */
int tether_net_split(const char *s, int flags, char *host, size_t hostcap, uint16_t *port,
                     char *err, size_t errcap);

/* Split and resolve s into up to max peers (iface 0), in resolver order.
 * Returns 0 with *n >= 1, or an error with a sentence. */
int tether_net_resolve(const char *s, int flags, tether_peer *out, size_t max, size_t *n,
                       char *err, size_t errcap);

/* sa (salen bytes) in normal form into *out with iface. Returns 0 or
 * TETHER_ERR_INVAL (not AF_INET / AF_INET6). */
int tether_net_peer_from_sockaddr(const void *sa, size_t salen, uint16_t iface, tether_peer *out);

/* The peer's bytes as a sockaddr. Returns 0 or TETHER_ERR_INVAL. */
int tether_net_peer_to_sockaddr(const tether_peer *p, struct sockaddr_storage *ss,
                                socklen_t *sslen);

/* AF_INET, AF_INET6, or -1 when the peer is no sockaddr. */
int tether_net_peer_family(const tether_peer *p);

#endif /* TETHER_NET_UDP_INTERNAL_H */
