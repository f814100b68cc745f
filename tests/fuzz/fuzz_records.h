/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the record-format fuzz targets (JSON, SenML JSON,
 * SenML CBOR, CBOR): invariants of a decoded record, every type conversion, and
 * exact record equality for the re-encode round trips. Static inline
 * functions in a header so that each target stays one file plus this. */
#ifndef TETHER_FUZZ_RECORDS_H
#define TETHER_FUZZ_RECORDS_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tether/lwm2m.h"

static inline void check(int cond)
{
    if (!cond)
        __builtin_trap();
}

static const int all_types[] = {TETHER_LWM2M_STRING, TETHER_LWM2M_INTEGER, TETHER_LWM2M_FLOAT,
                                TETHER_LWM2M_BOOLEAN, TETHER_LWM2M_OPAQUE, TETHER_LWM2M_TIME,
                                TETHER_LWM2M_OBJLNK, TETHER_LWM2M_UNSIGNED};

/* A decoded record: valid path, views inside the payload or the scratch,
 * a finite time, and every conversion either works or leaves out alone. */
static inline void check_record(const tether_lwm2m_record *r, const uint8_t *data, size_t size,
                         const uint8_t *scratch, size_t scratch_len)
{
    check(tether_lwm2m_path_valid(&r->path));
    check(r->raw == TETHER_LWM2M_RAW_NONE);
    if (r->has_time)
        check(isfinite(r->time));
    if (r->value.type == TETHER_LWM2M_STRING || r->value.type == TETHER_LWM2M_OPAQUE) {
        const uint8_t *p = r->value.bytes.ptr;
        size_t n = r->value.bytes.len;
        check(n == 0 || (p >= data && p + n <= data + size) ||
              (p >= scratch && p + n <= scratch + scratch_len));
        if (r->value.type == TETHER_LWM2M_STRING)
            check(tether_lwm2m_utf8_valid(p, n));
    }
    for (size_t k = 0; k < sizeof(all_types) / sizeof(all_types[0]); k++) {
        static uint8_t conv[1 << 16];
        tether_lwm2m_value out, before;
        memset(&out, 0x77, sizeof(out));
        before = out;
        if (tether_lwm2m_value_convert(&r->value, all_types[k], conv, sizeof(conv), &out) == 0)
            check(out.type == all_types[k]);
        else
            check(memcmp(&out, &before, sizeof(out)) == 0);
    }
}

static inline int values_equal(const tether_lwm2m_value *a, const tether_lwm2m_value *b)
{
    if (a->type != b->type)
        return 0;
    switch (a->type) {
    case TETHER_LWM2M_NONE:
        return 1;
    case TETHER_LWM2M_STRING:
    case TETHER_LWM2M_OPAQUE:
        return a->bytes.len == b->bytes.len &&
               (a->bytes.len == 0 || memcmp(a->bytes.ptr, b->bytes.ptr, a->bytes.len) == 0);
    case TETHER_LWM2M_INTEGER:
    case TETHER_LWM2M_TIME:
        return a->i == b->i;
    case TETHER_LWM2M_UNSIGNED:
        return a->u == b->u;
    case TETHER_LWM2M_FLOAT:
        return (a->f == b->f && signbit(a->f) == signbit(b->f)) || (isnan(a->f) && isnan(b->f));
    case TETHER_LWM2M_BOOLEAN:
        return a->b == b->b;
    case TETHER_LWM2M_OBJLNK:
        return a->lnk.obj == b->lnk.obj && a->lnk.inst == b->lnk.inst;
    default:
        return 0;
    }
}

static inline int records_equal(const tether_lwm2m_record *a, const tether_lwm2m_record *b)
{
    return tether_lwm2m_path_equal(&a->path, &b->path) && a->has_time == b->has_time &&
           (!a->has_time || a->time == b->time) && values_equal(&a->value, &b->value);
}

#endif /* TETHER_FUZZ_RECORDS_H */
