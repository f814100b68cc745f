/* SPDX-License-Identifier: Apache-2.0 */
/* tether_udp_coap_ops: the exchange layer's four entry points in the shape
 * of tether_engine_ops, so tether_udp_run_once() drives a tether_coap_ctx
 * directly. Thin wrappers rather than casts of the function pointers:
 * calling a function through a pointer of another type is undefined. */
#include "tether/net.h"

#include "tether/coap_exchange.h"

static int ops_recv(void *e, tether_time now, const tether_peer *peer, const uint8_t *buf,
                    size_t len)
{
    return tether_coap_recv(e, now, peer, buf, len);
}

static int ops_send(void *e, tether_time now, tether_peer *peer, uint8_t *buf, size_t cap,
                    size_t *len)
{
    return tether_coap_send(e, now, peer, buf, cap, len);
}

static tether_time ops_next_deadline(void *e)
{
    return tether_coap_next_deadline(e);
}

static int ops_on_timeout(void *e, tether_time now)
{
    return tether_coap_on_timeout(e, now);
}

const tether_engine_ops tether_udp_coap_ops = {ops_recv, ops_send, ops_next_deadline,
                                               ops_on_timeout};
