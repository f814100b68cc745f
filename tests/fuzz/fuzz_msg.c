/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the CoAP parser and everything that reads a parsed message, and
 * check what must hold for any input: a refused datagram leaves the output
 * untouched; an accepted one is exactly header + token + options + marker +
 * payload; options come out in ascending order; find, collect and the typed
 * readers agree with the iterator. A violation is __builtin_trap(). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tether/coap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                           \
    do {                                                                                      \
        if (!(cond))                                                                          \
            __builtin_trap();                                                                 \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tether_coap_msg m, before;
    tether_coap_opt_iter it;
    tether_coap_opt o, first_path = {0, 0, NULL}, many[4];
    tether_coap_block blk;
    const uint8_t *v;
    size_t n, n_path = 0, n_opts = 0;
    uint32_t u, last = 0;
    char path[64];
    int rc, plain = 1; /* Uri-Path segments print and split back unchanged */

    memset(&m, 0x5A, sizeof(m));
    before = m;
    rc = tether_coap_parse(&m, data, size);
    if (rc != 0) {
        CHECK(rc < 0);
        CHECK(memcmp(&m, &before, sizeof(m)) == 0);
        return 0;
    }
    CHECK(m.tkl <= TETHER_COAP_MAX_TOKEN && m.type <= 3);
    CHECK(TETHER_COAP_HEADER_SIZE + m.tkl + m.opts_len + (m.payload_len ? 1 + m.payload_len : 0) ==
          size);
    CHECK((m.payload == NULL) == (m.payload_len == 0));
    if (m.code == TETHER_COAP_EMPTY)
        CHECK(size == TETHER_COAP_HEADER_SIZE);

    tether_coap_opt_iter_init(&it, &m);
    while (tether_coap_opt_next(&it, &o) == 0) {
        CHECK(o.num >= last);
        CHECK(o.len <= 65804);
        CHECK(o.val >= data && o.val + o.len <= data + size);
        if (o.num == TETHER_COAP_OPT_URI_PATH) {
            if (n_path++ == 0)
                first_path = o;
            if ((n_path == 1 && o.len == 0) || memchr(o.val, '/', o.len) != NULL ||
                memchr(o.val, '\0', o.len) != NULL)
                plain = 0;
        }
        last = o.num;
        n_opts++;
        (void)tether_coap_uint_decode(o.val, o.len, &u);
    }
    CHECK(n_opts > 0 || m.opts_len == 0);

    rc = tether_coap_opt_collect(&m, TETHER_COAP_OPT_URI_PATH, many, 4, &n);
    CHECK(n == n_path && (rc == 0) == (n_path <= 4));
    rc = tether_coap_opt_find(&m, TETHER_COAP_OPT_URI_PATH, &o);
    CHECK((rc == 0) == (n_path > 0));
    if (rc == 0)
        CHECK(o.val == first_path.val && o.len == first_path.len && many[0].val == o.val);

    if (tether_coap_block_get(&m, TETHER_COAP_OPT_BLOCK1, &blk) == 0)
        CHECK(blk.szx < 7 && blk.num < (1u << 20) && blk.more <= 1);
    if (tether_coap_block_get(&m, TETHER_COAP_OPT_BLOCK2, &blk) == 0)
        CHECK(blk.szx < 7 && blk.num < (1u << 20) && blk.more <= 1);
    if (tether_coap_query_find(&m, "ep", &v, &n) == 0)
        CHECK(v >= data && v + n <= data + size);
    (void)tether_coap_path_equals(&m, "rd/abc");
    (void)tether_coap_path_equals(&m, "");
    rc = tether_coap_path_string(&m, TETHER_COAP_OPT_URI_PATH, path, sizeof(path));
    CHECK(rc == 0 ? strlen(path) < sizeof(path) : path[0] == '\0');
    if (rc == 0 && plain)
        CHECK(tether_coap_path_equals(&m, path));
    (void)tether_coap_path_string(&m, TETHER_COAP_OPT_LOCATION_PATH, path, sizeof(path));
    if (tether_coap_content_format(&m, &u) == 0)
        CHECK(u <= 0xFFFF);
    if (tether_coap_accept(&m, &u) == 0)
        CHECK(u <= 0xFFFF);
    if (tether_coap_observe(&m, &u) == 0)
        CHECK(u <= 0xFFFFFF);
    (void)tether_coap_opt_uint(&m, TETHER_COAP_OPT_SIZE1, &u);
    return 0;
}
