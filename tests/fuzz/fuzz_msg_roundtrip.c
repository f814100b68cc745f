/* SPDX-License-Identifier: Apache-2.0 */
/* Round-trip fuzz of the CoAP codec: every datagram tether_coap_parse()
 * accepts is built again with the builder from its parsed header, token,
 * options and payload, and must come out byte for byte the same.
 *
 * No exception is needed, because CoAP's option encoding has exactly one form
 * per value (RFC 7252 §3.1): nibbles 0..12 are the value itself, nibble 13 and
 * one byte cover only 13..268, nibble 14 and two bytes only 269..65804, so
 * there is no "non-minimal" extended form for the parser to accept and the
 * builder to shorten. The parser accepts nothing the builder cannot express
 * (token <= 8 bytes, option numbers ascending and <= 65535, lengths <= 65804,
 * a payload marker only before a non-empty payload, an Empty message only as
 * a bare header). Any difference is a bug in one side: __builtin_trap().
 *
 * Also checked: the exact-size build fits, one byte less fails with NOSPACE
 * and writes nothing past its capacity, and the payload goes in through
 * build_payload() or through reserve/commit, chosen by the input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tether/coap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                           \
    do {                                                                                      \
        if (!(cond))                                                                          \
            __builtin_trap();                                                                 \
    } while (0)

/* Rebuild m into out (cap bytes). Returns the builder's result. */
static int rebuild(const tether_coap_msg *m, uint8_t *out, size_t cap, int zero_copy,
                   size_t *len)
{
    tether_coap_builder b;
    tether_coap_opt_iter it;
    tether_coap_opt o;

    tether_coap_build_init(&b, out, cap, m->type, m->code, m->mid, m->token, m->tkl);
    tether_coap_opt_iter_init(&it, m);
    while (tether_coap_opt_next(&it, &o) == 0)
        tether_coap_build_opt(&b, o.num, o.val, o.len);
    if (!zero_copy) {
        tether_coap_build_payload(&b, m->payload, m->payload_len);
    } else if (m->payload_len > 0) {
        uint8_t *dst = NULL;
        size_t avail = 0;
        if (tether_coap_build_payload_reserve(&b, &dst, &avail) == 0 && dst != NULL) {
            size_t n = avail < m->payload_len ? avail : m->payload_len;
            memcpy(dst, m->payload, n);
            tether_coap_build_payload_commit(&b, n);
        }
        /* Commit the whole length: fails with NOSPACE if it did not fit. */
        if (avail < m->payload_len)
            tether_coap_build_payload_commit(&b, m->payload_len);
    }
    return tether_coap_build_finish(&b, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tether_coap_msg m, again;
    uint8_t *out;
    size_t len = 0;
    int zero_copy;

    if (tether_coap_parse(&m, data, size) != 0)
        return 0;
    CHECK(size >= TETHER_COAP_HEADER_SIZE);
    zero_copy = data[size - 1] & 1;

    /* Exact size, on the heap: a write past it is an ASan report. */
    out = malloc(size);
    CHECK(out != NULL);
    CHECK(rebuild(&m, out, size, zero_copy, &len) == 0);
    CHECK(len == size);
    CHECK(memcmp(out, data, size) == 0);
    CHECK(tether_coap_parse(&again, out, len) == 0);
    CHECK(again.type == m.type && again.code == m.code && again.mid == m.mid);
    CHECK(again.tkl == m.tkl && memcmp(again.token, m.token, m.tkl) == 0);
    CHECK(again.opts_len == m.opts_len && again.payload_len == m.payload_len);

    /* One byte short: NOSPACE, and the byte past cap stays as it was. */
    out[size - 1] = 0xA5;
    CHECK(rebuild(&m, out, size - 1, zero_copy, &len) == TETHER_ERR_NOSPACE);
    CHECK(out[size - 1] == 0xA5);
    free(out);
    return 0;
}
