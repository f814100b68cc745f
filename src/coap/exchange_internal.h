/* SPDX-License-Identifier: Apache-2.0 */
/* What src/coap/exchange.c needs before tether_poison.h is included.
 *
 * tether_poison.h poisons the identifier `rand` (no library code may call
 * libc's rand()), and a poisoned identifier may not appear at all, not even
 * as the struct member tether_coap_config.rand. This header is included
 * before the poison, so the member is named here once, in an accessor, and
 * the engine code calls the accessor. Engines with a `rand` member in their
 * own config (client, server) can do the same. */
#ifndef TETHER_COAP_EXCHANGE_INTERNAL_H
#define TETHER_COAP_EXCHANGE_INTERNAL_H

#include "tether/coap_exchange.h"

static inline tether_rand_fn tether_coap_cfg_rand(const tether_coap_config *cfg)
{
    return cfg->rand;
}

#endif /* TETHER_COAP_EXCHANGE_INTERNAL_H */
