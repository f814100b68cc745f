/* SPDX-License-Identifier: Apache-2.0 */
/* What src/coap/exchange.c needs before tether_poison.h is included.
 *
 * The config's random source is read through one accessor, so the engine
 * has a single place where randomness enters. (tether_poison.h once
 * poisoned `rand`, which also forbade the member name; a lint test now
 * catches calls to libc's rand instead.) */
#ifndef TETHER_COAP_EXCHANGE_INTERNAL_H
#define TETHER_COAP_EXCHANGE_INTERNAL_H

#include "tether/coap_exchange.h"

static inline tether_rand_fn tether_coap_cfg_rand(const tether_coap_config *cfg)
{
    return cfg->rand;
}

#endif /* TETHER_COAP_EXCHANGE_INTERNAL_H */
