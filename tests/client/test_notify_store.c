/* SPDX-License-Identifier: Apache-2.0 */
/* Notification storing, R21 (src/client/notify_store.c and its use in
 * observe.c): notifications produced while the server is disabled (R20)
 * or while the client is offline (Update refused, Register failing) are
 * stored when /1/x/6 is true and sent in order once registered again;
 * when false they are discarded; overflow drops the oldest; records of an
 * observation that ended are dropped. On a virtual clock, reading the
 * notifications off the wire. */
#include "client/observe_harness.h"

#define LT_LONG 200000

/* Disable the server for `secs` seconds (R20): Execute /1/0/4, answer the
 * De-register. */
static void disable(harness *h, const char *secs)
{
    h_dgram d;

    assert_int_equal(h_put_text(h, "1/0/5", secs, &d), TETHER_COAP_CHANGED);
    assert_int_equal(h_post(h, "1/0/4", -1, NULL, 0, &d), TETHER_COAP_CHANGED);
    h_expect(h, &d);
    assert_int_equal(d.m.code, TETHER_COAP_DELETE);
    h_answer(h, 0, &d, TETHER_COAP_DELETED, NULL);
    assert_int_equal(tether_client_server_state(h->c, 1), TETHER_CLIENT_DISABLED);
}

/* Three changes, a second apart, 22, 23, 24: nothing may go on the wire. */
static void three_changes(harness *h, sensor *s)
{
    for (int i = 0; i < 3; i++) {
        h_advance(h, 1000);
        o_set(h, s, 0, 22 + i);
        h_expect_none(h);
    }
}

/* The next three datagrams are the stored 22, 23, 24, in order, NON, with
 * growing Observe values above after; returns the last one. */
static uint32_t expect_three(harness *h, uint32_t after)
{
    static const char *const v[] = {"22", "23", "24"};
    h_dgram d;

    for (int i = 0; i < 3; i++) {
        uint32_t seq;
        h_expect(h, &d);
        seq = o_assert_notify(&d, TETHER_COAP_NON, 1, TETHER_FMT_TEXT, v[i]);
        assert_true(seq > after);
        after = seq;
    }
    return after;
}

static void test_R21_notifications_stored_across_a_disable_go_in_order(void **state)
{
    harness h;
    sensor s;
    h_dgram d;
    tether_client_notify_stats st;
    uint32_t seq;
    (void)state;

    o_setup(&h, &s, LT_LONG, NULL, NULL);
    seq = o_observe(&h, "3303/0/5700", 1, -1, &d);
    disable(&h, "60");
    three_changes(&h, &s);
    st = o_stats(&h, 1);
    assert_int_equal(st.stored, 3);
    assert_int_equal(st.stored_total, 3);
    assert_int_equal(st.stored_bytes, 3 * (6 + 2));
    assert_int_equal(st.sent, 0);
    /* The Disable Timeout ends: Register, and once it is answered the store. */
    h_register(&h, 0, "rd/back");
    seq = expect_three(&h, seq);
    h_expect_none(&h);
    st = o_stats(&h, 1);
    assert_int_equal(st.stored, 0);
    assert_int_equal(st.stored_bytes, 0);
    assert_int_equal(st.sent, 3);
    assert_int_equal(st.dropped, 0);
    /* And live again. */
    o_set(&h, &s, 0, 25);
    h_expect(&h, &d);
    assert_true(o_assert_notify(&d, TETHER_COAP_NON, 1, TETHER_FMT_TEXT, "25") > seq);
}

static void test_R21_notifications_stored_across_an_outage_go_in_order(void **state)
{
    harness h;
    sensor s;
    h_dgram d;
    uint32_t seq;
    (void)state;

    o_setup(&h, &s, 300, NULL, NULL);
    seq = o_observe(&h, "3303/0/5700", 1, -1, &d);
    /* The periodic Update is refused: Register, which fails too. */
    assert_true(h_run_until_sent(&h, 400000, &d));
    assert_int_equal(d.m.code, TETHER_COAP_POST);
    h_answer(&h, 0, &d, TETHER_COAP_NOT_FOUND, NULL);
    h_expect(&h, &d);
    h_assert_request(&d, TETHER_COAP_POST, "rd", "ep=dev1&lt=300&lwm2m=1.0&b=U",
                     "</1/0>,</3/0>,</3303/0>,</3303/1>");
    h_answer(&h, 0, &d, TETHER_COAP_SERVICE_UNAVAILABLE, NULL);
    assert_int_equal(tether_client_server_state(h.c, 1), TETHER_CLIENT_WAIT_REGISTER);
    three_changes(&h, &s);
    assert_int_equal(o_stats(&h, 1).stored, 3);
    /* The back-off ends, the Register goes through, the store follows. */
    h_register(&h, 0, "rd/again");
    expect_three(&h, seq);
    h_expect_none(&h);
    assert_int_equal(o_stats(&h, 1).sent, 3);
}

static void test_R21_periodic_notifications_are_stored_too(void **state)
{
    harness h;
    sensor s;
    h_dgram d;
    (void)state;

    o_setup(&h, &s, LT_LONG, NULL, NULL);
    assert_int_equal(o_attrs(&h, "3303/0/5700", "pmax=10", NULL, NULL, NULL),
                     TETHER_COAP_CHANGED);
    o_observe(&h, "3303/0/5700", 1, -1, &d);
    disable(&h, "35");
    h_advance(&h, 34000); /* pmax at 10, 20, 30 s from the observation */
    h_expect_none(&h);
    assert_int_equal(o_stats(&h, 1).stored, 3);
}

static void test_R21_overflow_drops_the_oldest_and_counts_it(void **state)
{
    harness h;
    sensor s;
    h_dgram d;
    tether_client_notify_stats st;
    /* Each record: 6 bytes + "100".."159" (3): 9 bytes; 512 / 9 = 56 fit. */
    const int produced = 60, fit = TETHER_CLIENT_NOTIFY_STORE_BYTES / 9;
    char want[8];
    (void)state;

    o_setup(&h, &s, LT_LONG, NULL, NULL);
    o_observe(&h, "3303/0/5700", 1, -1, &d);
    disable(&h, "3600");
    for (int i = 0; i < produced; i++) {
        h_advance(&h, 1000);
        o_set(&h, &s, 0, 100 + i);
    }
    h_expect_none(&h);
    st = o_stats(&h, 1);
    assert_int_equal(st.stored, fit);
    assert_int_equal(st.stored_total, produced);
    assert_int_equal(st.dropped, produced - fit);
    h_register(&h, 0, "rd/back");
    /* The newest `fit` ones, oldest first. */
    for (int i = produced - fit; i < produced; i++) {
        h_expect(&h, &d);
        snprintf(want, sizeof(want), "%d", 100 + i);
        o_assert_notify(&d, TETHER_COAP_NON, 1, TETHER_FMT_TEXT, want);
    }
    h_expect_none(&h);
    st = o_stats(&h, 1);
    assert_int_equal(st.sent, fit);
    assert_int_equal(st.dropped, produced - fit);
}

static void test_R21_storing_false_discards(void **state)
{
    harness h;
    sensor s;
    h_dgram d;
    tether_client_notify_stats st;
    (void)state;

    o_setup(&h, &s, LT_LONG, NULL, NULL);
    assert_int_equal(h_put_text(&h, "1/0/6", "0", &d), TETHER_COAP_CHANGED);
    o_observe(&h, "3303/0/5700", 1, -1, &d);
    disable(&h, "60");
    three_changes(&h, &s);
    st = o_stats(&h, 1);
    assert_int_equal(st.stored, 0);
    assert_int_equal(st.stored_total, 0);
    assert_int_equal(st.discarded, 3);
    h_register(&h, 0, "rd/back");
    h_expect_none(&h); /* nothing stored, nothing sent */
    /* The observation itself lives on. */
    o_set(&h, &s, 0, 30);
    h_expect(&h, &d);
    o_assert_notify(&d, TETHER_COAP_NON, 1, TETHER_FMT_TEXT, "30");
}

/* After more than a day away the first stored notification goes CON (24 h
 * rule); the rest wait for its ACK, and live ones queue behind them: one
 * of the same observation (which waits for its CON anyway) and one of
 * another observation (which goes into the store behind them). */
static void test_R21_store_waits_for_a_con_and_keeps_live_ones_behind(void **state)
{
    harness h;
    sensor s;
    h_dgram d;
    (void)state;

    o_setup(&h, &s, LT_LONG, NULL, NULL);
    o_observe(&h, "3303/0/5700", 1, -1, &d);
    o_observe(&h, "3303/1/5700", 2, -1, &d);
    disable(&h, "90000");
    three_changes(&h, &s);
    h_advance(&h, 89990000);
    h_register(&h, 0, "rd/back");
    h_expect(&h, &d);
    o_assert_notify(&d, TETHER_COAP_CON, 1, TETHER_FMT_TEXT, "22");
    h_expect_none(&h);
    o_set(&h, &s, 1, 77); /* live, another observation: into the store */
    o_set(&h, &s, 0, 99); /* live, this observation: after its CON */
    h_expect_none(&h);
    assert_int_equal(o_stats(&h, 1).stored, 3);
    o_empty(&h, 0, &d, TETHER_COAP_ACK);
    h_expect(&h, &d);
    o_assert_notify(&d, TETHER_COAP_NON, 1, TETHER_FMT_TEXT, "23");
    h_expect(&h, &d);
    o_assert_notify(&d, TETHER_COAP_NON, 1, TETHER_FMT_TEXT, "24");
    h_expect(&h, &d); /* a day since its observation began too: CON */
    o_assert_notify(&d, TETHER_COAP_CON, 2, TETHER_FMT_TEXT, "77");
    o_empty(&h, 0, &d, TETHER_COAP_ACK);
    h_expect(&h, &d);
    o_assert_notify(&d, TETHER_COAP_NON, 1, TETHER_FMT_TEXT, "99");
    h_expect_none(&h);
    assert_int_equal(o_stats(&h, 1).stored, 0);
}

static void test_R21_stored_notifications_of_an_ended_observation_are_dropped(void **state)
{
    harness h;
    sensor s;
    h_dgram d;
    tether_client_notify_stats st;
    (void)state;

    o_setup(&h, &s, LT_LONG, NULL, NULL);
    o_observe(&h, "3303/0/5700", 1, -1, &d);
    disable(&h, "90000");
    three_changes(&h, &s);
    h_advance(&h, 89990000);
    h_register(&h, 0, "rd/back");
    h_expect(&h, &d);
    o_assert_notify(&d, TETHER_COAP_CON, 1, TETHER_FMT_TEXT, "22");
    /* The server lost the observation with the old registration: RST. */
    o_empty(&h, 0, &d, TETHER_COAP_RST);
    h_expect_none(&h);
    st = o_stats(&h, 1);
    assert_int_equal(st.observations, 0);
    assert_int_equal(st.stored, 0);
    assert_int_equal(st.sent, 1);
    assert_int_equal(st.dropped, 2);
}

static void test_R21_stop_clears_the_store(void **state)
{
    harness h;
    sensor s;
    h_dgram d;
    (void)state;

    o_setup(&h, &s, LT_LONG, NULL, NULL);
    o_observe(&h, "3303/0/5700", 1, -1, &d);
    disable(&h, "60");
    three_changes(&h, &s);
    assert_int_equal(tether_client_stop(h.c, h.now), 0);
    assert_int_equal(o_stats(&h, 1).stored, 0);
    h_advance(&h, 120000);
    h_expect_none(&h);
}

#if TETHER_CLIENT_MAX_BODY >= 2048
static uint8_t blob[1000]; /* larger than the whole 512-byte store */
static const tether_client_res_def blob_res[] = {{0, TETHER_LWM2M_OP_R, TETHER_LWM2M_OPAQUE, 0}};

static int32_t blob_next(void *user, int32_t prev)
{
    (void)user;
    return prev < 0 ? 0 : -1;
}

static int blob_read(void *user, uint16_t iid, uint16_t rid, uint16_t riid,
                     tether_lwm2m_value *out)
{
    (void)user;
    (void)iid;
    (void)rid;
    (void)riid;
    *out = tether_lwm2m_value_opaque(blob, sizeof(blob));
    return 0;
}

static const tether_client_object blob_obj = {
    .oid = 32770, .nres = 1, .res = blob_res, .next_instance = blob_next, .read = blob_read,
};

static void add_blob(harness *h)
{
    h_dgram d;
    assert_int_equal(tether_client_add_object(h->c, h->now, &blob_obj, NULL), 0);
    h_expect(h, &d); /* the Update with the new object list */
    h_answer(h, 0, &d, TETHER_COAP_CHANGED, NULL);
}

static void test_R21_a_notification_larger_than_the_store_drops_only_itself(void **state)
{
    harness h;
    sensor s;
    h_dgram d;
    tether_lwm2m_path p = tether_lwm2m_path_make(3, 32770, 0, 0, 0);
    tether_client_notify_stats st;
    (void)state;

    o_setup(&h, &s, LT_LONG, NULL, NULL);
    add_blob(&h);
    o_observe(&h, "3303/0/5700", 1, -1, &d);
    o_observe(&h, "32770/0/0", 2, -1, &d);
    disable(&h, "60");
    o_set(&h, &s, 0, 22);
    h_advance(&h, 1000);
    blob[0]++;
    assert_int_equal(tether_client_changed(h.c, h.now, &p), 0);
    h_advance(&h, 1000);
    o_set(&h, &s, 0, 23);
    st = o_stats(&h, 1);
    assert_int_equal(st.stored, 2);
    assert_int_equal(st.dropped, 1);
    h_register(&h, 0, "rd/back");
    h_expect(&h, &d);
    o_assert_notify(&d, TETHER_COAP_NON, 1, TETHER_FMT_TEXT, "22");
    h_expect(&h, &d);
    o_assert_notify(&d, TETHER_COAP_NON, 1, TETHER_FMT_TEXT, "23");
    h_expect_none(&h);
}
#endif

int main(void)
{
#if TETHER_CLIENT_MAX_OBSERVATIONS == 0 || TETHER_CLIENT_NOTIFY_STORE_BYTES < 512
    puts("notification storing compiled out or smaller than the tests assume");
    return 0;
#endif
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_R21_notifications_stored_across_a_disable_go_in_order),
        cmocka_unit_test(test_R21_notifications_stored_across_an_outage_go_in_order),
        cmocka_unit_test(test_R21_periodic_notifications_are_stored_too),
        cmocka_unit_test(test_R21_overflow_drops_the_oldest_and_counts_it),
        cmocka_unit_test(test_R21_storing_false_discards),
        cmocka_unit_test(test_R21_store_waits_for_a_con_and_keeps_live_ones_behind),
        cmocka_unit_test(test_R21_stored_notifications_of_an_ended_observation_are_dropped),
        cmocka_unit_test(test_R21_stop_clears_the_store),
#if TETHER_CLIENT_MAX_BODY >= 2048
        cmocka_unit_test(test_R21_a_notification_larger_than_the_store_drops_only_itself),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
