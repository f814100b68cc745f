/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the CoAP parser and everything that reads a parsed message. */
#include <stddef.h>
#include <stdint.h>

#include "tether/coap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tether_coap_msg m;
    tether_coap_opt_iter it;
    tether_coap_opt o, many[4];
    tether_coap_block blk;
    const uint8_t *v;
    size_t n;
    uint32_t u;
    char path[64];

    if (tether_coap_parse(&m, data, size) != 0)
        return 0;
    tether_coap_opt_iter_init(&it, &m);
    while (tether_coap_opt_next(&it, &o) == 0)
        (void)tether_coap_uint_decode(o.val, o.len, &u);
    (void)tether_coap_opt_collect(&m, TETHER_COAP_OPT_URI_PATH, many, 4, &n);
    (void)tether_coap_block_get(&m, TETHER_COAP_OPT_BLOCK1, &blk);
    (void)tether_coap_block_get(&m, TETHER_COAP_OPT_BLOCK2, &blk);
    (void)tether_coap_query_find(&m, "ep", &v, &n);
    (void)tether_coap_path_equals(&m, "rd/abc");
    (void)tether_coap_path_string(&m, TETHER_COAP_OPT_URI_PATH, path, sizeof(path));
    (void)tether_coap_content_format(&m, &u);
    (void)tether_coap_observe(&m, &u);
    return 0;
}
