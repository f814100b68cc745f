/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the CBOR (content format 60) single-value decoder and the CBOR item
 * skipper the SenML CBOR decoder relies on: a value we accept re-encodes
 * (in preferred serialization, never longer) to one that decodes to the
 * same value; the skipper stays inside the buffer and agrees with itself. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tether/lwm2m_cbor.h"

#include "lwm2m/cbor_internal.h"

#include "fuzz_records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t out[1 << 17];
    tether_lwm2m_value v, back;
    size_t len, pos = 0;

    /* Skip whole items until the buffer ends or an item is bad. */
    while (pos < size) {
        size_t before = pos;
        if (tether_cbor_skip(data, size, &pos) != 0) {
            check(pos == before);
            break;
        }
        check(pos > before && pos <= size);
    }
    if (tether_lwm2m_cbor_decode(data, size, &v) != 0)
        return 0;
    check(v.type != TETHER_LWM2M_NONE);
    if (v.type == TETHER_LWM2M_STRING || v.type == TETHER_LWM2M_OPAQUE)
        check(v.bytes.len == 0 || (v.bytes.ptr >= data && v.bytes.ptr + v.bytes.len <= data + size));
    check(tether_lwm2m_cbor_encode(&v, out, sizeof(out), &len) == 0);
    check(len <= size);
    check(tether_lwm2m_cbor_decode(out, len, &back) == 0);
    check(values_equal(&v, &back));
    return 0;
}
