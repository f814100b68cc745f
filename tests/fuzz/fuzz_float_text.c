/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the float text converter (src/lwm2m/float_text.c) both ways: any
 * bytes it parses as a decimal must format and parse back to the same
 * double, and the first 8 bytes taken as a double's bits must format to
 * text that is decimal, short, and reads back bit for bit. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lwm2m/num_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
    if (!cond)
        __builtin_trap();
}

static void round_trip(uint64_t bits)
{
    uint8_t out[TETHER_NUM_DOUBLE_MAX];
    double v, back;
    uint64_t bb;
    size_t n;

    memcpy(&v, &bits, sizeof(v));
    n = tether_num_format_double(v, out, sizeof(out));
    if (((bits >> 52) & 0x7FF) == 0x7FF) {
        check(n == 0); /* infinity and NaN have no text */
        return;
    }
    check(n > 0 && n <= TETHER_NUM_DOUBLE_MAX);
    check(tether_num_is_decimal(out, n, 0));
    check(tether_num_parse_double(out, n, &back) == 0);
    memcpy(&bb, &back, sizeof(bb));
    check(bb == bits);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    double v;

    if (tether_num_parse_double(data, size, &v) == 0) {
        uint64_t bits;
        memcpy(&bits, &v, sizeof(bits));
        round_trip(bits);
    }
    if (size >= 8) {
        uint64_t bits = 0;
        for (size_t i = 0; i < 8; i++)
            bits = bits << 8 | data[i];
        round_trip(bits);
    }
    return 0;
}
