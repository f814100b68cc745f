/* SPDX-License-Identifier: Apache-2.0 */
/* Peer comparison and hashing, and log level names: the small shared
 * vocabulary of include/tether/types.h. */
#include "tether/types.h"

#include <string.h>

#include "tether_poison.h"

int tether_peer_equal(const tether_peer *a, const tether_peer *b)
{
    return a->iface == b->iface && a->len == b->len && memcmp(a->addr, b->addr, a->len) == 0;
}

/* FNV-1a: peers are short and adapter-chosen, so a simple mixing hash is
 * enough; tables that face attacker-chosen keys add a random seed on top. */
uint32_t tether_peer_hash(const tether_peer *p)
{
    uint32_t h = 2166136261u;
    size_t n = p->len <= TETHER_PEER_ADDR_MAX ? p->len : TETHER_PEER_ADDR_MAX;

    h = (h ^ (p->iface & 0xFFu)) * 16777619u;
    h = (h ^ (p->iface >> 8)) * 16777619u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p->addr[i]) * 16777619u;
    return h;
}

const char *tether_log_level_name(int level)
{
    switch (level) {
    case TETHER_LOG_ERROR: return "ERROR";
    case TETHER_LOG_WARN: return "WARN";
    case TETHER_LOG_INFO: return "INFO";
    case TETHER_LOG_DEBUG: return "DEBUG";
    case TETHER_LOG_TRACE: return "TRACE";
    }
    return "?";
}
