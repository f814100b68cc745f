/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the Register / Update query parser on whole CoAP messages, and the
 * path, version, binding and text decoders on the same bytes. Whatever the
 * query parser accepts must be rebuilt and parsed back to the same values. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tether/lwm2m.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
    if (!cond)
        __builtin_trap();
}

static int same(tether_lwm2m_view a, tether_lwm2m_view b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static void text_values(const uint8_t *data, size_t size)
{
    static const int types[] = {TETHER_LWM2M_STRING, TETHER_LWM2M_INTEGER, TETHER_LWM2M_FLOAT,
                                TETHER_LWM2M_BOOLEAN, TETHER_LWM2M_OPAQUE, TETHER_LWM2M_TIME,
                                TETHER_LWM2M_OBJLNK, TETHER_LWM2M_UNSIGNED};
    for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
        tether_lwm2m_value v, back;
        uint8_t out[64];
        size_t n;
        if (tether_lwm2m_text_decode(data, size, types[k], &v) != 0 || v.type == TETHER_LWM2M_STRING)
            continue;
        /* a decoded number re-encodes and decodes to the same value */
        check(tether_lwm2m_text_encode(&v, out, sizeof(out), &n) == 0);
        check(tether_lwm2m_text_decode(out, n, types[k], &back) == 0);
        check(memcmp(&v, &back, sizeof(v)) == 0 || (v.type == TETHER_LWM2M_FLOAT && v.f == back.f));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t again[2048];
    tether_coap_msg m, m2;
    tether_lwm2m_reg_query q, q2;
    tether_lwm2m_query_error why;
    tether_lwm2m_path p;
    tether_lwm2m_version ver;
    uint8_t flags;
    char s[TETHER_LWM2M_PATH_STR_MAX];

    /* The raw bytes as a path, a version, a binding and text values. */
    if (tether_lwm2m_path_parse(&p, (const char *)data, size) == 0) {
        size_t n;
        check(tether_lwm2m_path_format(&p, s, sizeof(s), &n) == 0);
        check(n == size && memcmp(s, data, n) == 0); /* canonical */
    }
    (void)tether_lwm2m_version_parse((const char *)data, size, &ver);
    for (int v = TETHER_LWM2M_V1_0; v <= TETHER_LWM2M_V1_2; v++) {
        if (tether_lwm2m_binding_parse((const char *)data, size, v, &flags) == 0) {
            char b[8];
            check(tether_lwm2m_binding_format(flags, v, b, sizeof(b)) == 0);
        }
    }
    text_values(data, size);

    if (tether_coap_parse(&m, data, size) != 0)
        return 0;
    (void)tether_lwm2m_path_from_msg(&p, &m, NULL);
    (void)tether_lwm2m_path_from_msg(&p, &m, "rd");
    for (int op = 0; op < 2; op++) {
        tether_coap_builder b;
        size_t len;
        if (tether_lwm2m_reg_query_parse(&m, op, TETHER_LWM2M_V1_0, &q, &why) != 0)
            continue;
        check(why == TETHER_LWM2M_QERR_NONE);
        tether_coap_build_init(&b, again, sizeof(again), TETHER_COAP_CON, TETHER_COAP_POST, 1, NULL, 0);
        if (tether_lwm2m_reg_query_build(&b, &q) != 0 || tether_coap_build_finish(&b, &len) != 0)
            continue; /* a parameter longer than the builder writes */
        check(tether_coap_parse(&m2, again, len) == 0);
        check(tether_lwm2m_reg_query_parse(&m2, op, TETHER_LWM2M_V1_0, &q2, &why) == 0);
        check(q2.present == q.present && q2.lt == q.lt && q2.version == q.version &&
              q2.binding == q.binding && q2.queue == q.queue);
        check(same(q.ep, q2.ep) && same(q.b, q2.b) && same(q.sms, q2.sms) &&
              same(q.lwm2m, q2.lwm2m));
    }
    return 0;
}
