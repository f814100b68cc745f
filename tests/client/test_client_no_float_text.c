/* SPDX-License-Identifier: Apache-2.0 */
/* The footprint switch TETHER_LWM2M_NO_FLOAT_TEXT (tether/client_config.h)
 * as a device sees it: the text/plain codec and the float converter are
 * compiled in here with it, and device management (dm.c), whose text/plain
 * follows it (the library's own copies are then not linked).
 * A Float resource still works, in TLV: a Read without Accept answers TLV,
 * a TLV Write is taken; text/plain is refused with 4.06 (Accept) and 4.15
 * (Write), and nothing changes on a refusal. */
#define TETHER_LWM2M_NO_FLOAT_TEXT 1
#define TETHER_NO_POISON /* the test cases below print and allocate */
#include "lwm2m/float_text.c"
#include "lwm2m/text.c"
#include "client/dm.c" /* its text/plain carries no Float either */

#include "client/client_harness.h"
#include "tether/lwm2m_tlv.h"

/* /3303/0/5700 Sensor Value, a Float. */
static double sensor = 21.5;

static const tether_client_res_def temp_res[] = {
    {5700, TETHER_LWM2M_OP_RW, TETHER_LWM2M_FLOAT, 0},
};

static int32_t temp_next(void *user, int32_t prev)
{
    (void)user;
    return prev < 0 ? 0 : -1;
}

static int temp_read(void *user, uint16_t iid, uint16_t rid, uint16_t riid, tether_lwm2m_value *out)
{
    (void)user, (void)iid, (void)rid, (void)riid;
    *out = tether_lwm2m_value_float(sensor);
    return 0;
}

static int temp_write(void *user, uint16_t iid, uint16_t rid, uint16_t riid,
                      const tether_lwm2m_value *v, int commit)
{
    (void)user, (void)iid, (void)rid, (void)riid;
    if (commit)
        sensor = v->f;
    return 0;
}

static const tether_client_object temp_obj = {
    .oid = 3303,
    .nres = 1,
    .res = temp_res,
    .next_instance = temp_next,
    .read = temp_read,
    .write = temp_write,
};

static void setup_temp(harness *h)
{
    sensor = 21.5;
    h_init_cfg(h, "dev1");
    h_init_client(h);
    h_add_server(h, 0, 1, 300, NULL);
    assert_int_equal(tether_client_add_object(h->c, h->now, &temp_obj, NULL), 0);
    assert_int_equal(tether_client_start(h->c, h->now), 0);
    h_register(h, 0, "rd/t");
}

static void test_client_no_float_text_codec(void **state)
{
    tether_lwm2m_value v = tether_lwm2m_value_float(1.5);
    uint8_t out[32];
    size_t n = 0;
    double d;
    (void)state;
    assert_false(tether_lwm2m_text_supports(TETHER_LWM2M_FLOAT));
    assert_true(tether_lwm2m_text_supports(TETHER_LWM2M_INTEGER));
    assert_false(tether_lwm2m_text_supports(TETHER_LWM2M_OPAQUE));
    assert_int_equal(tether_lwm2m_text_encode(&v, out, sizeof(out), &n), TETHER_ERR_UNSUPPORTED);
    assert_int_equal(tether_lwm2m_text_decode((const uint8_t *)"1.5", 3, TETHER_LWM2M_FLOAT, &v),
                     TETHER_ERR_UNSUPPORTED);
    assert_int_equal(tether_num_parse_double((const uint8_t *)"1.5", 3, &d), -1);
    assert_int_equal(tether_num_format_double(1.5, out, sizeof(out)), 0);
}

static void test_client_no_float_text_read_is_tlv(void **state)
{
    /* 21.5 is a binary32: 41 AC 00 00, resource 5700 (16-bit id). */
    static const uint8_t want[] = {0xE4, 0x16, 0x44, 0x41, 0xAC, 0x00, 0x00};
    harness h;
    h_dgram d;
    uint32_t ct;
    (void)state;
    setup_temp(&h);
    assert_int_equal(h_get(&h, "3303/0/5700", -1, &d), TETHER_COAP_CONTENT);
    assert_int_equal(tether_coap_content_format(&d.m, &ct), 0);
    assert_int_equal(ct, TETHER_FMT_TLV);
    assert_int_equal(d.m.payload_len, sizeof(want));
    assert_memory_equal(d.m.payload, want, sizeof(want));
    assert_int_equal(h_get(&h, "3303/0/5700", TETHER_FMT_TEXT, &d), TETHER_COAP_NOT_ACCEPTABLE);
}

static void test_client_no_float_text_writes(void **state)
{
    /* 22.25 as a binary32 TLV resource. */
    static const uint8_t tlv[] = {0xE4, 0x16, 0x44, 0x41, 0xB2, 0x00, 0x00};
    harness h;
    h_dgram d;
    h_req r = {TETHER_COAP_PUT, "3303/0/5700", TETHER_FMT_TLV, -1, tlv, sizeof(tlv), NULL, 0};
    (void)state;
    setup_temp(&h);
    assert_int_equal(h_put_text(&h, "3303/0/5700", "22.5", &d),
                     TETHER_COAP_UNSUPPORTED_CONTENT_FORMAT);
    assert_true(sensor == 21.5);
    h_request(&h, 0, &r, &d);
    assert_int_equal(d.m.code, TETHER_COAP_CHANGED);
    assert_true(sensor == 22.25);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_no_float_text_codec),
        cmocka_unit_test(test_client_no_float_text_read_is_tlv),
        cmocka_unit_test(test_client_no_float_text_writes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
