/* SPDX-License-Identifier: Apache-2.0 */
/* Queue mode on the client (src/client/queue_mode.c; binding "UQ", LwM2M
 * 1.0 §5.3.1.1 and §8.3): the awake window after the last exchange, what
 * is dropped while asleep, and the wake-ups -- a notification, an Update.
 * The window is MAX_TRANSMIT_WAIT (93 s with the CoAP defaults) unless
 * configured; the clock is virtual. */
#include "client/observe_harness.h"

#define LT_LONG 200000
#define MTW 93000 /* MAX_TRANSMIT_WAIT with ACK_TIMEOUT 2 s, 4 retransmissions, 1.5 */

static int sleeping_events(const harness *h)
{
    return h_count_events(h, TETHER_CLIENT_EV_SLEEPING);
}

/* A GET from the server: answered (1) or dropped (0). */
static int server_reaches_client(harness *h)
{
    o_req r = {TETHER_COAP_GET, "3303/0/5701", -1, 0x31, -1, {NULL}, NULL};
    h_dgram d;

    o_request(h, 0, &r, NULL);
    if (!h_take(h, &d))
        return 0;
    assert_int_equal(d.m.type, TETHER_COAP_ACK);
    assert_int_equal(d.m.code, TETHER_COAP_CONTENT);
    return 1;
}

static void test_queue_mode_sleeps_after_the_awake_window(void **state)
{
    harness h;
    sensor s;
    tether_time t0;
    const h_event *e;
    (void)state;

    h_init_cfg(&h, "dev1");
    h_init_client(&h);
    assert_int_equal(tether_client_listening(h.c), 0); /* not started */
    memset(&s, 0, sizeof(s));
    s.exists[0] = 1;
    assert_int_equal(tether_client_add_object(h.c, h.now, &sensor_obj, &s), 0);
    h_add_server(&h, 0, 1, LT_LONG, "UQ");
    assert_int_equal(tether_client_start(h.c, h.now), 0);
    h_register(&h, 0, "rd/q");
    t0 = h.now; /* the Register's answer: the last exchange */
    assert_int_equal(tether_client_listening(h.c), 1);
    h_advance_to(&h, t0 + MTW - 1);
    assert_int_equal(sleeping_events(&h), 0);
    assert_int_equal(tether_client_listening(h.c), 1);
    h_advance_to(&h, t0 + MTW);
    assert_int_equal(sleeping_events(&h), 1);
    e = h_last_event(&h, TETHER_CLIENT_EV_SLEEPING);
    assert_int_equal(e->ssid, 1);
    assert_int_equal(e->when, t0 + MTW);
    assert_int_equal(tether_client_listening(h.c), 0);
    /* What the server sends now is dropped: no answer, not even an ACK. */
    assert_int_equal(server_reaches_client(&h), 0);
    h_advance(&h, 3600000);
    h_expect_none(&h);
    assert_int_equal(sleeping_events(&h), 1);
}

#if TETHER_CLIENT_MAX_OBSERVATIONS > 0
static void test_queue_mode_a_notification_wakes_the_client(void **state)
{
    harness h;
    sensor s;
    h_dgram d;
    tether_time t1;
    (void)state;

    o_setup(&h, &s, LT_LONG, "UQ", NULL);
    o_observe(&h, "3303/0/5700", 1, -1, &d);
    h_advance(&h, MTW);
    assert_int_equal(sleeping_events(&h), 1);
    assert_int_equal(server_reaches_client(&h), 0);
    h_advance(&h, 600000);
    o_set(&h, &s, 0, 30); /* something to send */
    h_expect(&h, &d);
    o_assert_notify(&d, TETHER_COAP_NON, 1, TETHER_FMT_TEXT, "30");
    t1 = h.now;
    assert_int_equal(h_count_events(&h, TETHER_CLIENT_EV_AWAKE), 1);
    assert_int_equal(h_last_event(&h, TETHER_CLIENT_EV_AWAKE)->at, t1 + MTW);
    assert_int_equal(tether_client_listening(h.c), 1);
    /* Awake: the server's queued request gets through, and restarts the window. */
    h_advance(&h, 5000);
    assert_int_equal(server_reaches_client(&h), 1);
    h_advance_to(&h, t1 + 5000 + MTW - 1);
    assert_int_equal(sleeping_events(&h), 1);
    h_advance(&h, 1);
    assert_int_equal(sleeping_events(&h), 2);
    assert_int_equal(server_reaches_client(&h), 0);
}
#endif

static void test_queue_mode_the_update_wakes_the_client(void **state)
{
    harness h;
    sensor s;
    h_dgram d;
    tether_time t_upd;
    char p[32];
    (void)state;

    o_setup(&h, &s, 300, "UQ", NULL); /* Update at about 150 s */
    h_advance(&h, MTW);
    assert_int_equal(sleeping_events(&h), 1);
    assert_true(h_run_until_sent(&h, 200000, &d));
    assert_string_equal(h_path(&d, p, sizeof(p)), "rd/o");
    t_upd = h.now;
    assert_true(t_upd > h.ev[0].when + 140000);
    assert_int_equal(h_count_events(&h, TETHER_CLIENT_EV_AWAKE), 1);
    assert_int_equal(tether_client_listening(h.c), 1);
    h_advance(&h, 1000);
    h_answer(&h, 0, &d, TETHER_COAP_CHANGED, NULL);
    h_advance_to(&h, t_upd + 1000 + MTW - 1);
    assert_int_equal(sleeping_events(&h), 1);
    h_advance(&h, 1);
    assert_int_equal(sleeping_events(&h), 2);
}

static void short_window(harness *h)
{
    h->cfg.queue_awake_ms = 10000;
    h->rand_zero = 1; /* retransmissions at exactly 2, 6, 14, 30 s */
}

static void test_queue_mode_stays_awake_while_an_exchange_is_in_flight(void **state)
{
    harness h;
    sensor s;
    h_dgram d, first;
    tether_time t;
    (void)state;

    o_setup(&h, &s, 300, "UQ", short_window);
    h_advance(&h, 10000);
    assert_int_equal(sleeping_events(&h), 1); /* the configured 10 s */
    assert_true(h_run_until_sent(&h, 200000, &first)); /* the Update */
    t = h.now;
    /* Retransmitted at 2, 6, 14 and 30 s; the window (10 s after each)
     * would end at 40 s, but the Update is still unanswered. */
    h_advance_to(&h, t + 50000);
    while (h_take(&h, &d))
        assert_int_equal(d.m.mid, first.m.mid);
    assert_int_equal(sleeping_events(&h), 1);
    assert_int_equal(tether_client_listening(h.c), 1);
    h_answer(&h, 0, &first, TETHER_COAP_CHANGED, NULL);
    h_advance_to(&h, t + 60000 - 1);
    assert_int_equal(sleeping_events(&h), 1);
    h_advance(&h, 1);
    assert_int_equal(sleeping_events(&h), 2);
}

static void test_queue_mode_binding_u_never_sleeps(void **state)
{
    harness h;
    sensor s;
    (void)state;

    o_setup(&h, &s, LT_LONG, NULL, NULL);
    h_advance(&h, 24ull * 3600000);
    assert_int_equal(sleeping_events(&h), 0);
    assert_int_equal(tether_client_listening(h.c), 1);
    assert_int_equal(server_reaches_client(&h), 1);
}

static void test_queue_mode_follows_a_written_binding(void **state)
{
    harness h;
    sensor s;
    h_dgram d;
    char q[64];
    (void)state;

    o_setup(&h, &s, LT_LONG, NULL, NULL);
    assert_int_equal(h_put_text(&h, "1/0/7", "UQ", &d), TETHER_COAP_CHANGED); /* R22 */
    h_expect(&h, &d);
    assert_string_equal(h_query(&d, q, sizeof(q)), "b=UQ");
    h_advance(&h, 500);
    h_answer(&h, 0, &d, TETHER_COAP_CHANGED, NULL);
    h_advance(&h, MTW - 1);
    assert_int_equal(sleeping_events(&h), 0);
    h_advance(&h, 1);
    assert_int_equal(sleeping_events(&h), 1);
    assert_int_equal(tether_client_listening(h.c), 0);
}

static void test_queue_mode_disabled_server_is_not_listened_to(void **state)
{
    harness h;
    sensor s;
    h_dgram d;
    (void)state;

    o_setup(&h, &s, LT_LONG, NULL, NULL);
    assert_int_equal(h_post(&h, "1/0/4", -1, NULL, 0, &d), TETHER_COAP_CHANGED);
    h_expect(&h, &d);
    h_answer(&h, 0, &d, TETHER_COAP_DELETED, NULL);
    assert_int_equal(tether_client_listening(h.c), 0); /* R20: nothing to hear */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queue_mode_sleeps_after_the_awake_window),
#if TETHER_CLIENT_MAX_OBSERVATIONS > 0
        cmocka_unit_test(test_queue_mode_a_notification_wakes_the_client),
#endif
        cmocka_unit_test(test_queue_mode_the_update_wakes_the_client),
        cmocka_unit_test(test_queue_mode_stays_awake_while_an_exchange_is_in_flight),
        cmocka_unit_test(test_queue_mode_binding_u_never_sleeps),
        cmocka_unit_test(test_queue_mode_follows_a_written_binding),
        cmocka_unit_test(test_queue_mode_disabled_server_is_not_listened_to),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
