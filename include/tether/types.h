/* SPDX-License-Identifier: Apache-2.0 */
/* Types every Tether layer shares: time, peers, randomness and logging.
 *
 * Engines never read a clock, never open a socket and never draw random
 * numbers on their own: time arrives as an argument, randomness through a
 * callback, and a peer is a small value the adapter fills and compares. */
#ifndef TETHER_TYPES_H
#define TETHER_TYPES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Milliseconds on the caller's monotonic clock; never decreases. */
typedef uint64_t tether_time;
#define TETHER_TIME_NEVER UINT64_MAX

/* A peer as the adapter names it. Engines only copy, compare and hash it;
 * the adapter decides what the bytes mean (a sockaddr for UDP, a session
 * index for DTLS) and which of its sockets or sessions `iface` is, so an
 * answer leaves through the socket the request came in on (NAT-friendly).
 * Two peers are the same when iface, len and addr[0..len) are equal. */
#define TETHER_PEER_ADDR_MAX 28 /* sizeof(struct sockaddr_in6) */
typedef struct tether_peer {
    uint16_t iface;
    uint8_t len;
    uint8_t addr[TETHER_PEER_ADDR_MAX];
} tether_peer;

int tether_peer_equal(const tether_peer *a, const tether_peer *b);
uint32_t tether_peer_hash(const tether_peer *p);

/* Fill buf with len random bytes. Engines call it for tokens, message ids,
 * registration ids and jitter; the quality needed is "unguessable" for ids. */
typedef void (*tether_rand_fn)(void *user, void *buf, size_t len);

typedef enum tether_log_level {
    TETHER_LOG_ERROR = 0,
    TETHER_LOG_WARN = 1,
    TETHER_LOG_INFO = 2,
    TETHER_LOG_DEBUG = 3,
    TETHER_LOG_TRACE = 4,
} tether_log_level;

/* One log line. module: "coap", "server", ...; msg: no trailing newline.
 * Both borrowed for the call. */
typedef void (*tether_log_fn)(void *user, int level, const char *module, const char *msg);

/* "ERROR", "WARN", ... ; "?" for anything else. */
const char *tether_log_level_name(int level);

#ifdef __cplusplus
}
#endif
#endif /* TETHER_TYPES_H */
