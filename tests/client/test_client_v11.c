/* SPDX-License-Identifier: Apache-2.0 */
/* The client registering as LwM2M 1.1 (config lwm2m_version,
 * src/client/register.c; tether/client.h "LwM2M 1.1"): Register says
 * lwm2m=1.1 and carries queue mode as the bare Q parameter with b= the
 * letters without Q (1.1 §6.2.1.1), an Update after /1/x/7 became "UQ"
 * carries b=U and Q, the awake window is the 1.0 one, and the server engine
 * reads such a client as a 1.1 queue-mode client that falls asleep. */
#include "common/duo.h"
#include "client/observe_harness.h"

#define MTW 93000 /* MAX_TRANSMIT_WAIT with the CoAP defaults */

static void v11(harness *h)
{
    h->cfg.lwm2m_version = TETHER_LWM2M_V1_1;
}

/* Start a 1.1 client (or 1.0 when version is 0) with one server of binding
 * b and return its Register in *d, unanswered. */
static void start(harness *h, uint8_t version, const char *b, h_dgram *d)
{
    h_init_cfg(h, "dev1");
    h->cfg.lwm2m_version = version;
    h_init_client(h);
    h_add_server(h, 0, 1, 300, b);
    assert_int_equal(tether_client_start(h->c, h->now), 0);
    assert_true(h_run_until_sent(h, 3600 * 1000, d));
}

static void test_client_v11_register_with_q(void **state)
{
    harness h;
    h_dgram d;
    (void)state;

    start(&h, TETHER_LWM2M_V1_1, "UQ", &d);
    h_assert_request(&d, TETHER_COAP_POST, "rd", "ep=dev1&lt=300&lwm2m=1.1&b=U&Q",
                     "</1/0>,</3/0>");
}

static void test_client_v11_register_without_q(void **state)
{
    harness h;
    h_dgram d;
    (void)state;

    start(&h, TETHER_LWM2M_V1_1, "U", &d);
    h_assert_request(&d, TETHER_COAP_POST, "rd", "ep=dev1&lt=300&lwm2m=1.1&b=U",
                     "</1/0>,</3/0>");
}

static void test_client_v11_default_stays_1_0(void **state)
{
    harness h;
    h_dgram d;
    tether_client_config cfg;
    (void)state;

    tether_client_config_default(&cfg);
    assert_int_equal(cfg.lwm2m_version, TETHER_LWM2M_V1_0);
    start(&h, TETHER_LWM2M_V1_0, "UQ", &d);
    h_assert_request(&d, TETHER_COAP_POST, "rd", "ep=dev1&lt=300&lwm2m=1.0&b=UQ",
                     "</1/0>,</3/0>");
}

static void test_client_v11_refuses_other_versions(void **state)
{
    harness h;
    (void)state;

    h_init_cfg(&h, "dev1");
    h.cfg.lwm2m_version = TETHER_LWM2M_V1_2;
    assert_int_equal(tether_client_mem_size(&h.cfg), 0);
    assert_int_equal(tether_client_init(&h.c, h.mem, sizeof(h.mem), &h.cfg, h_on_event, &h),
                     TETHER_ERR_INVAL);
}

static void test_client_v11_update_after_binding_uq_carries_q(void **state)
{
    harness h;
    sensor s;
    h_dgram d;
    char q[64];
    (void)state;

    o_setup(&h, &s, 200000, NULL, v11);
    assert_int_equal(h_put_text(&h, "1/0/7", "UQ", &d), TETHER_COAP_CHANGED); /* R22 */
    h_expect(&h, &d);
    assert_string_equal(h_query(&d, q, sizeof(q)), "b=U&Q");
    h_advance(&h, 500);
    h_answer(&h, 0, &d, TETHER_COAP_CHANGED, NULL);
    /* /1/x/7 keeps the 1.0 form. */
    assert_int_equal(h_get(&h, "1/0/7", TETHER_FMT_TEXT, &d), TETHER_COAP_CONTENT);
    assert_string_equal(h_payload(&d, q, sizeof(q)), "UQ");
    /* The same awake window as 1.0. */
    h_advance(&h, MTW - 1);
    assert_int_equal(h_count_events(&h, TETHER_CLIENT_EV_SLEEPING), 0);
    h_advance(&h, 1);
    assert_int_equal(h_count_events(&h, TETHER_CLIENT_EV_SLEEPING), 1);
    assert_int_equal(tether_client_listening(h.c), 0);
}

static void test_client_v11_queue_mode_with_the_server_engine(void **state)
{
    harness h;
    tether_server *srv;
    tether_server_config cfg;
    tether_server_callbacks cb = {NULL};
    tether_peer client_peer = h_peer(9);
    const tether_server_reg *reg;
    tether_time t0;
    (void)state;

    h_init_cfg(&h, "dev1");
    v11(&h);
    h_init_client(&h);
    h_add_server(&h, 0, 1, 200000, "UQ");
    duo_config(&cfg);
    assert_int_equal(cfg.awake_window_ms, MTW);
    assert_int_equal(tether_server_new(&srv, &cfg, &cb, NULL), 0);
    assert_int_equal(tether_client_start(h.c, h.now), 0);
    duo_pump(&h, srv, &client_peer, NULL, NULL);
    t0 = h.now;
    assert_int_equal(tether_client_server_state(h.c, 1), TETHER_CLIENT_REGISTERED);
    reg = tether_server_find_ep(srv, "dev1", 4);
    assert_non_null(reg);
    assert_string_equal(tether_server_reg_version_str(reg), "1.1");
    assert_true(tether_server_reg_queue(reg));
    assert_int_equal(tether_server_reg_sleeping(srv, reg), 0);
    duo_run_until(&h, srv, &client_peer, NULL, NULL, t0 + MTW + 1);
    assert_true(tether_server_reg_sleeping(srv, reg));
    assert_int_equal(h_count_events(&h, TETHER_CLIENT_EV_SLEEPING), 1);
    assert_int_equal(tether_client_listening(h.c), 0);
    tether_server_free(srv);
    tether_client_fini(h.c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_v11_register_with_q),
        cmocka_unit_test(test_client_v11_register_without_q),
        cmocka_unit_test(test_client_v11_default_stays_1_0),
        cmocka_unit_test(test_client_v11_refuses_other_versions),
        cmocka_unit_test(test_client_v11_update_after_binding_uq_carries_q),
        cmocka_unit_test(test_client_v11_queue_mode_with_the_server_engine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
