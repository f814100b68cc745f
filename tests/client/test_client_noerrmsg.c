/* SPDX-License-Identifier: Apache-2.0 */
/* The firmware switches TETHER_NO_ERRMSG and TETHER_COAP_LINEAR together,
 * as scripts/footprint.sh builds the client: the exchange layer and the
 * client shell are compiled in here with them (so the library's own copies
 * are not linked). Errors keep their codes and lose their sentences, and
 * the engine still registers. */
#define TETHER_NO_ERRMSG 1
#define TETHER_COAP_LINEAR 1
#define TETHER_NO_POISON /* the test cases below print and allocate */
#include "coap/exchange.c"
#include "client/client.c"

#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <cmocka.h>

static void zero_rand(void *user, void *buf, size_t len)
{
    (void)user;
    memset(buf, 0, len);
}

static void test_client_noerrmsg_codes_without_sentences(void **state)
{
    static _Alignas(max_align_t) uint8_t mem[96 * 1024];
    static const tether_peer srv = {1, 6, {10, 0, 0, 9, 0x16, 0x33}};
    tether_client_config cfg;
    tether_client_server_config sc;
    tether_client *c;
    tether_coap_builder b;
    tether_peer to;
    uint8_t out[512], foreign[16];
    size_t len;
    (void)state;

    tether_client_config_default(&cfg);
    cfg.endpoint = "noerrmsg";
    cfg.rand = zero_rand;
    assert_int_equal(tether_client_init(&c, mem, sizeof(mem), &cfg, NULL, NULL), 0);
    tether_client_server_config_default(&sc);
    sc.peer = srv;

    /* Client shell: the code, no sentence. */
    sc.lifetime = 0;
    assert_int_equal(tether_client_add_server(c, 0, &sc), TETHER_ERR_INVAL);
    assert_string_equal(tether_client_errmsg(c), "");

    /* Exchange layer: the code, no sentence. */
    tether_coap_build_init(&b, foreign, sizeof(foreign), TETHER_COAP_CON, TETHER_COAP_GET, 0,
                           NULL, 0);
    assert_int_equal(tether_coap_msg_send(c->coap, 0, &srv, &b, 0, NULL, NULL, NULL),
                     TETHER_ERR_INVAL);
    assert_string_equal(tether_coap_errmsg(c->coap), "");

    /* And the engine works: Register goes out, 2.01 makes it registered. */
    sc.lifetime = 300;
    assert_int_equal(tether_client_add_server(c, 0, &sc), 0);
    assert_int_equal(tether_client_start(c, 0), 0);
    assert_int_equal(tether_client_send(c, 0, &to, out, sizeof(out), &len), 0);
    assert_true(len > 4);
    assert_int_equal(out[0] >> 4 & 3, TETHER_COAP_CON);
    assert_int_equal(out[1], TETHER_COAP_POST);
    {
        uint8_t ack[32] = {0x60 | (out[0] & 0x0F), TETHER_COAP_CREATED, out[2], out[3]};
        size_t n = 4 + (out[0] & 0x0Fu);
        memcpy(ack + 4, out + 4, out[0] & 0x0Fu);
        ack[n++] = 0x82; /* Location-Path "rd" */
        ack[n++] = 'r';
        ack[n++] = 'd';
        ack[n++] = 0x02; /* Location-Path "42" */
        ack[n++] = '4';
        ack[n++] = '2';
        assert_int_equal(tether_client_recv(c, 1, &srv, ack, n), 0);
    }
    assert_int_equal(tether_client_server_state(c, 1), TETHER_CLIENT_REGISTERED);
    tether_client_fini(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_noerrmsg_codes_without_sentences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
