/* SPDX-License-Identifier: Apache-2.0 */
/* CoAP codec: parse and build (RFC 7252 §3, RFC 7959 §2.2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tether/coap.h"

/* RFC 7252 appendix A, figure 16: CON GET, MID 0x7d34, Uri-Path "temperature". */
static const uint8_t rfc7252_get[] = {
    0x40, 0x01, 0x7d, 0x34, 0xbb, 't', 'e', 'm', 'p', 'e', 'r', 'a', 't', 'u', 'r', 'e'};

static void test_msg_parses_rfc7252_appendix_a_get(void **state)
{
    tether_coap_msg m;
    (void)state;
    assert_int_equal(tether_coap_parse(&m, rfc7252_get, sizeof(rfc7252_get)), 0);
    assert_int_equal(m.type, TETHER_COAP_CON);
    assert_int_equal(m.code, TETHER_COAP_GET);
    assert_int_equal(m.mid, 0x7d34);
    assert_int_equal(m.tkl, 0);
    assert_true(tether_coap_path_equals(&m, "temperature"));
    assert_int_equal(m.payload_len, 0);
}

static void test_msg_builds_rfc7252_appendix_a_get(void **state)
{
    uint8_t buf[64];
    size_t len;
    tether_coap_builder b;
    (void)state;
    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_CON, TETHER_COAP_GET, 0x7d34, NULL, 0);
    tether_coap_build_path(&b, TETHER_COAP_OPT_URI_PATH, "temperature");
    assert_int_equal(tether_coap_build_finish(&b, &len), 0);
    assert_int_equal(len, sizeof(rfc7252_get));
    assert_memory_equal(buf, rfc7252_get, len);
}

static void test_msg_rejects_malformed(void **state)
{
    tether_coap_msg m;
    const uint8_t v2[] = {0x80, 0x01, 0, 1};
    const uint8_t tkl9[] = {0x49, 0x01, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    const uint8_t nib15[] = {0x40, 0x01, 0, 1, 0xF1, 0};
    const uint8_t trunc[] = {0x40, 0x01, 0, 1, 0xB5, 'a'};
    const uint8_t empty_pl[] = {0x40, 0x01, 0, 1, 0xFF};
    (void)state;
    assert_int_equal(tether_coap_parse(&m, v2, sizeof(v2)), TETHER_ERR_BAD_VERSION);
    assert_int_equal(tether_coap_parse(&m, tkl9, sizeof(tkl9)), TETHER_ERR_BAD_TOKEN_LEN);
    assert_int_equal(tether_coap_parse(&m, nib15, sizeof(nib15)), TETHER_ERR_BAD_OPTION_NIBBLE);
    assert_int_equal(tether_coap_parse(&m, trunc, sizeof(trunc)), TETHER_ERR_TRUNCATED_OPTION);
    assert_int_equal(tether_coap_parse(&m, empty_pl, sizeof(empty_pl)), TETHER_ERR_EMPTY_PAYLOAD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_msg_parses_rfc7252_appendix_a_get),
        cmocka_unit_test(test_msg_builds_rfc7252_appendix_a_get),
        cmocka_unit_test(test_msg_rejects_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
