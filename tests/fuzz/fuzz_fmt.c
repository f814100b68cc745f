/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the content-format selector's generic decoder (the TLV record
 * walker and the under-the-base check are only here): byte 0 picks the
 * format, byte 1 the base path, the rest is the payload. Every record of
 * an accepted payload lies under the base, count() is right, every value
 * reads as every type or leaves the output alone, and writing the records
 * back with the generic encoder never misbehaves (TLV may refuse an order
 * it cannot nest; the named formats must take them all but a record at the
 * base after one below it). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tether/lwm2m_fmt.h"

#include "fuzz_records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint32_t cts[] = {0, 42, 60, 110, 112, 11542, 11543, 1542, 1543, 40};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static tether_json_token toks[2048];
    static uint8_t scratch[1 << 16], conv[1 << 16], out[1 << 17];
    tether_lwm2m_workspace ws = {toks, 2048, scratch, sizeof(scratch)};
    tether_lwm2m_dec d;
    tether_lwm2m_enc e;
    tether_lwm2m_record r;
    tether_lwm2m_path base;
    uint32_t ct;
    size_t n = 0, len;
    int rc, named, dead = 0;

    if (size < 2)
        return 0;
    ct = cts[data[0] % (sizeof(cts) / sizeof(cts[0]))];
    base = tether_lwm2m_path_make(data[1] % 5, 3, data[1] >> 5, 6, data[1] >> 7);
    named = ct == 110 || ct == 112 || ct == 11543 || ct == 1543;
    if (tether_lwm2m_dec_init(&d, ct, &base, data + 2, size - 2, &ws) != 0)
        return 0;
    (void)tether_lwm2m_enc_init(&e, ct, &base, out, sizeof(out));
    while ((rc = tether_lwm2m_dec_next(&d, &r)) == 0) {
        check(tether_lwm2m_path_valid(&r.path));
        check(tether_lwm2m_path_is_prefix(&base, &r.path));
        for (size_t k = 0; k < sizeof(all_types) / sizeof(all_types[0]); k++) {
            tether_lwm2m_value v, before;
            memset(&v, 0x33, sizeof(v));
            before = v;
            if (tether_lwm2m_record_value(&r, all_types[k], conv, sizeof(conv), &v) == 0)
                check(v.type == all_types[k]);
            else
                check(memcmp(&v, &before, sizeof(v)) == 0);
        }
        if (r.raw == TETHER_LWM2M_RAW_NONE) {
            rc = r.has_time ? tether_lwm2m_enc_write_timed(&e, &r.path, &r.value, r.time)
                            : tether_lwm2m_enc_write(&e, &r.path, &r.value);
            /* The base name is fixed by the first record: a record at the
             * base after one below it is refused (see lwm2m_json.h). */
            if (named && !dead)
                check(rc == 0 || (rc == TETHER_ERR_INVAL && tether_lwm2m_path_equal(&r.path, &base)));
            dead |= rc != 0;
        }
        n++;
    }
    check(rc == TETHER_ERR_NOT_FOUND);
    check(n == tether_lwm2m_dec_count(&d));
    rc = tether_lwm2m_enc_finish(&e, &len);
    if (named && !dead)
        check(rc == 0 && len <= sizeof(out));
    return 0;
}
