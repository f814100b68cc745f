/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the LwM2M JSON iterator: every accepted payload yields exactly
 * count() good records; writing them back with the writer (base: the root,
 * so every record keeps its path) and decoding that again gives the same
 * records, types included; too few tokens or scratch fail cleanly. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tether/lwm2m_json.h"

#include "fuzz_records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_RECORDS 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static tether_json_token toks[4096], toks2[16384];
    static uint8_t scratch[1 << 16], scratch2[1 << 16], out[1 << 18];
    static tether_lwm2m_record recs[MAX_RECORDS];
    tether_lwm2m_json_iter it, small;
    tether_lwm2m_json_writer w;
    tether_lwm2m_record r;
    size_t n = 0, len;
    int rc;

    /* Starved of tokens or scratch: a clean refusal, never a crash. */
    (void)tether_lwm2m_json_iter_init(&small, data, size, toks, 3, scratch, 2);
    if (tether_lwm2m_json_iter_init(&it, data, size, toks, 4096, scratch, sizeof(scratch)) != 0)
        return 0;
    tether_lwm2m_json_writer_init(&w, out, sizeof(out), NULL);
    while ((rc = tether_lwm2m_json_next(&it, &r)) == 0) {
        check_record(&r, data, size, scratch, sizeof(scratch));
        check(r.value.type != TETHER_LWM2M_NONE);
        if (n < MAX_RECORDS) {
            recs[n] = r;
            /* The scratch is reused by the next record: keep a copy. */
            if ((r.value.type == TETHER_LWM2M_STRING || r.value.type == TETHER_LWM2M_OPAQUE) &&
                r.value.bytes.ptr >= scratch && r.value.bytes.ptr < scratch + sizeof(scratch))
                recs[n].value.bytes.ptr = NULL, recs[n].value.bytes.len = (size_t)-1;
        }
        check(tether_lwm2m_json_write(&w, &r.path, &r.value, r.has_time ? &r.time : NULL) == 0);
        n++;
    }
    check(rc == TETHER_ERR_NOT_FOUND);
    check(n == tether_lwm2m_json_count(&it));
    check(tether_lwm2m_json_writer_finish(&w, &len) == 0);
    check(tether_lwm2m_json_iter_init(&it, out, len, toks2, 16384, scratch2, sizeof(scratch2)) ==
          0);
    for (size_t i = 0; i < n; i++) {
        check(tether_lwm2m_json_next(&it, &r) == 0);
        if (i < MAX_RECORDS && recs[i].value.bytes.len != (size_t)-1)
            check(records_equal(&r, &recs[i]));
        else if (i < MAX_RECORDS)
            check(tether_lwm2m_path_equal(&r.path, &recs[i].path));
    }
    check(tether_lwm2m_json_next(&it, &r) == TETHER_ERR_NOT_FOUND);
    return 0;
}
