/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the OMA-TLV decoder at every level and every value helper, and
 * check that validate() and a full nested walk agree; then re-encode what
 * was read and require the same structure back. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tether/lwm2m_tlv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
    if (!cond)
        __builtin_trap();
}

static const int types[] = {TETHER_LWM2M_STRING, TETHER_LWM2M_INTEGER, TETHER_LWM2M_FLOAT,
                            TETHER_LWM2M_BOOLEAN, TETHER_LWM2M_OPAQUE, TETHER_LWM2M_TIME,
                            TETHER_LWM2M_OBJLNK, TETHER_LWM2M_UNSIGNED};

/* Walk one level, copying it into w. Returns 0 or the first error. */
static int walk(tether_tlv_iter *it, tether_tlv_writer *w, const uint8_t *data, size_t size,
                size_t *count, int depth)
{
    tether_tlv_entry e;
    int rc;

    check(depth <= 3);
    while ((rc = tether_tlv_next(it, &e)) == 0) {
        tether_lwm2m_value v;
        check(e.val >= data && e.val + e.len <= data + size);
        (*count)++;
        if (e.type == TETHER_TLV_OBJECT_INSTANCE || e.type == TETHER_TLV_MULTIPLE_RESOURCE) {
            tether_tlv_iter sub;
            check(tether_tlv_iter_enter(&sub, &e) == 0);
            tether_tlv_begin(w, e.type, e.id);
            if ((rc = walk(&sub, w, data, size, count, depth + 1)) != 0)
                return rc;
            tether_tlv_end(w);
            continue;
        }
        for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k++)
            (void)tether_tlv_decode_value(&e, types[k], &v);
        tether_tlv_write_raw(w, e.type, e.id, e.val, e.len);
    }
    return rc == TETHER_ERR_NOT_FOUND ? 0 : rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t out[1 << 17];
    tether_tlv_iter it;
    tether_tlv_writer w;
    tether_tlv_entry e;
    size_t count = 0, count2 = 0, len;
    int valid = tether_tlv_validate(data, size);
    int walked;

    tether_tlv_iter_init(&it, data, size);
    tether_tlv_writer_init(&w, out, sizeof(out));
    walked = walk(&it, &w, data, size, &count, 0);
    check((valid == 0) == (walked == 0));
    tether_tlv_iter_init(&it, data, size);
    (void)tether_tlv_find(&it, TETHER_TLV_RESOURCE, 0, &e);
    if (valid != 0)
        return 0;
    /* Re-encoded with shortest headers: valid, never longer, same entries. */
    check(tether_tlv_writer_finish(&w, &len) == 0);
    check(len <= size);
    check(tether_tlv_validate(out, len) == 0);
    tether_tlv_iter_init(&it, out, len);
    tether_tlv_writer_init(&w, out + len, sizeof(out) - len);
    check(walk(&it, &w, out, len, &count2, 0) == 0);
    check(count2 == count);
    return 0;
}
