/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the SenML CBOR iterator: every accepted pack yields exactly count()
 * good records; writing them back (base: the root) and decoding that
 * again gives the same records, types included. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tether/lwm2m_senml.h"

#include "fuzz_records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_RECORDS 1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t out[1 << 18];
    static tether_lwm2m_record recs[MAX_RECORDS];
    tether_senml_cbor_iter it;
    tether_senml_cbor_writer w;
    tether_lwm2m_record r;
    size_t n = 0, len;
    int rc;

    if (tether_senml_cbor_iter_init(&it, data, size) != 0)
        return 0;
    tether_senml_cbor_writer_init(&w, out, sizeof(out), NULL);
    while ((rc = tether_senml_cbor_next(&it, &r)) == 0) {
        check_record(&r, data, size, NULL, 0);
        if (n < MAX_RECORDS)
            recs[n] = r;
        check(tether_senml_cbor_write(&w, &r.path, &r.value, r.has_time ? &r.time : NULL) == 0);
        n++;
    }
    check(rc == TETHER_ERR_NOT_FOUND);
    check(n == tether_senml_cbor_count(&it));
    check(tether_senml_cbor_writer_finish(&w, &len) == 0);
    check(tether_senml_cbor_iter_init(&it, out, len) == 0);
    for (size_t i = 0; i < n; i++) {
        check(tether_senml_cbor_next(&it, &r) == 0);
        if (i < MAX_RECORDS)
            check(records_equal(&r, &recs[i]));
    }
    check(tether_senml_cbor_next(&it, &r) == TETHER_ERR_NOT_FOUND);
    return 0;
}
