/* SPDX-License-Identifier: Apache-2.0 */
/* Observations across registrations, end to end: the server engine
 * (src/server/observe.c) against the real client engine, both sans-I/O,
 * wired together in memory on one virtual clock. R21: a client that stores
 * notifications while disabled (R20: Execute /1/0/4, De-register, silence
 * for the Disable Timeout, Register again) delivers them, in order, to the
 * very observation callback that was set up before the Disable, with no
 * RST anywhere; with storing off none of them arrive. The same across an
 * outage (the network drops everything until the client counts itself
 * offline and the server's registration expires). And a client that
 * reboots and registers again gets its observations back from the server
 * (RFC 7641 §4.1, the same token). */
#define DUO_SEED 0x5EED21
#include "common/duo.h"
#include "client/observe_harness.h"

typedef struct world {
    harness h; /* the client; its server 0 is the engine below */
    sensor s;
    tether_server *srv;
    tether_peer client_peer;
    note notes[64];
    int nnotes;
    int rst_to_client; /* RSTs the server sent */
    int down;          /* the network drops every datagram */
    int srv_obs_end;
} world;

static void srv_event(void *user, tether_time now, const tether_server_event *ev)
{
    world *w = user;
    (void)now;
    if (ev->type == TETHER_SERVER_EV_OBSERVE_END)
        w->srv_obs_end++;
}

static void on_note(void *arg, tether_time now, int status, const tether_server_response *r)
{
    world *w = arg;
    duo_note(w->notes, &w->nnotes, now, status, r);
}

static void on_done(void *arg, tether_time now, int status, const tether_server_response *r)
{
    (void)arg;
    (void)now;
    assert_int_equal(status, 0);
    assert_int_equal(TETHER_COAP_CLASS(r->code), 2);
}

static void pump(world *w)
{
    duo_pump(&w->h, w->srv, &w->client_peer, &w->down, &w->rst_to_client);
}

static void run_until(world *w, tether_time to)
{
    duo_run_until(&w->h, w->srv, &w->client_peer, &w->down, &w->rst_to_client, to);
}

static void start_client_lt(world *w, int64_t lt)
{
    h_init_client(&w->h);
    assert_int_equal(tether_client_add_object(w->h.c, w->h.now, &sensor_obj, &w->s), 0);
    h_add_server(&w->h, 0, 1, lt, NULL);
    assert_int_equal(tether_client_start(w->h.c, w->h.now), 0);
    pump(w);
    assert_int_equal(tether_client_server_state(w->h.c, 1), TETHER_CLIENT_REGISTERED);
}

static void start_client(world *w)
{
    start_client_lt(w, 200000);
}

static void setup_lt(world *w, int64_t lt)
{
    tether_server_config cfg;
    tether_server_callbacks cb = {srv_event};

    memset(w, 0, sizeof(*w));
    h_init_cfg(&w->h, "dev1");
    w->s.value[0] = 21.5;
    w->s.exists[0] = 1;
    w->client_peer = h_peer(9);
    duo_config(&cfg);
    assert_int_equal(tether_server_new(&w->srv, &cfg, &cb, w), 0);
    start_client_lt(w, lt);
}

static void setup(world *w)
{
    setup_lt(w, 200000);
}

static void teardown(world *w)
{
    tether_server_free(w->srv);
    tether_client_fini(w->h.c);
}

static void set_value(world *w, double v)
{
    tether_lwm2m_path p = tether_lwm2m_path_make(3, T_OID, 0, T_VALUE, 0);
    w->s.value[0] = v;
    assert_int_equal(tether_client_changed(w->h.c, w->h.now, &p), 0);
    pump(w);
}

/* Observe /3303/0/5700, then Disable the client for 30 s with storing
 * set to storing ("1" or "0"); change the value three times while it is
 * disabled. */
static void observe_then_disable(world *w, const char *storing)
{
    assert_int_equal(tether_server_observe(w->srv, w->h.now, "dev1", "/3303/0/5700",
                                           TETHER_SERVER_NO_FORMAT, on_note, w, NULL), 0);
    pump(w);
    assert_int_equal(w->nnotes, 1);
    assert_string_equal(w->notes[0].payload, "21.5");
    assert_int_equal(tether_server_write(w->srv, w->h.now, "dev1", "/1/0/6", TETHER_FMT_TEXT,
                                         storing, 1, 0, on_done, w), 0);
    assert_int_equal(tether_server_write(w->srv, w->h.now, "dev1", "/1/0/5", TETHER_FMT_TEXT, "30",
                                         2, 0, on_done, w), 0);
    assert_int_equal(tether_server_execute(w->srv, w->h.now, "dev1", "/1/0/4", NULL, 0, on_done,
                                           w), 0);
    pump(w);
    /* R20: the client answered, de-registered and went quiet. */
    assert_int_equal(tether_client_server_state(w->h.c, 1), TETHER_CLIENT_DISABLED);
    assert_null(tether_server_find_ep(w->srv, "dev1", 4));
    assert_int_equal(w->nnotes, 1); /* the server did not end the observation */
    for (int i = 0; i < 3; i++) {
        run_until(w, w->h.now + 1000);
        set_value(w, 10 + i);
    }
    assert_int_equal(w->nnotes, 1);
}

static void test_R21_stored_notifications_reach_the_same_observation_in_order(void **state)
{
    world w;
    tether_client_notify_stats st;
    tether_server_stats ss;
    (void)state;

    setup(&w);
    observe_then_disable(&w, "1");
    assert_int_equal(o_stats(&w.h, 1).stored, 3);
    tether_server_get_stats(w.srv, &ss);
    assert_int_equal(ss.parked, 1);
    run_until(&w, w.h.now + 30000);
    assert_int_equal(tether_client_server_state(w.h.c, 1), TETHER_CLIENT_REGISTERED);
    st = o_stats(&w.h, 1);
    assert_int_equal(st.stored, 0);
    assert_int_equal(st.sent, 3);
    /* The stored ones, in order, on the same callback; then the answer to
     * the server's GET with the same token (the value now). */
    assert_int_equal(w.nnotes, 5);
    assert_string_equal(w.notes[1].payload, "10");
    assert_string_equal(w.notes[2].payload, "11");
    assert_string_equal(w.notes[3].payload, "12");
    assert_string_equal(w.notes[4].payload, "12");
    for (int i = 1; i < 5; i++) {
        assert_int_equal(w.notes[i].status, 0);
        assert_int_equal(w.notes[i].final, 0);
        assert_true(w.notes[i].seq > w.notes[i - 1].seq);
    }
    assert_int_equal(w.rst_to_client, 0);
    assert_int_equal(w.srv_obs_end, 0);
    assert_int_equal(h_count_events(&w.h, TETHER_CLIENT_EV_OBSERVE_CANCELLED), 1); /* replaced */
    assert_int_equal(st.observations, 1);
    tether_server_get_stats(w.srv, &ss);
    assert_int_equal(ss.parked, 0);
    assert_int_equal(ss.observations, 1);
    assert_int_equal(ss.coap.exchanges_in_flight, 0); /* it holds no slot */
    /* And it goes on as before. */
    set_value(&w, 50);
    assert_int_equal(w.nnotes, 6);
    assert_string_equal(w.notes[5].payload, "50");
    assert_int_equal(w.notes[5].final, 0);
    teardown(&w);
}

static void test_R21_nothing_stored_arrives_when_storing_is_off(void **state)
{
    world w;
    tether_client_notify_stats st;
    (void)state;

    setup(&w);
    observe_then_disable(&w, "0");
    st = o_stats(&w.h, 1);
    assert_int_equal(st.stored, 0);
    assert_int_equal(st.discarded, 3);
    run_until(&w, w.h.now + 30000);
    assert_int_equal(tether_client_server_state(w.h.c, 1), TETHER_CLIENT_REGISTERED);
    assert_int_equal(o_stats(&w.h, 1).sent, 0);
    /* Only the answer to the server's new GET: the value now, none of
     * the three produced while disabled. */
    assert_int_equal(w.nnotes, 2);
    assert_string_equal(w.notes[1].payload, "12");
    assert_int_equal(w.notes[1].final, 0);
    assert_int_equal(w.rst_to_client, 0);
    set_value(&w, 60);
    assert_int_equal(w.nnotes, 3);
    assert_string_equal(w.notes[2].payload, "60");
    teardown(&w);
}

/* R21 across an outage: the network goes down, the client's Update fails
 * and it counts itself offline (storing what it notifies), the server's
 * registration expires meanwhile (the observation is parked); when the
 * network is back the client registers again and what it stored reaches
 * the same observation, in order. */
static void test_R21_stored_across_an_outage_reach_the_observation(void **state)
{
    world w;
    tether_server_stats ss;
    tether_time t;
    int changes = 0;
    (void)state;

    setup_lt(&w, 60);
    assert_int_equal(tether_server_observe(w.srv, w.h.now, "dev1", "/3303/0/5700",
                                           TETHER_SERVER_NO_FORMAT, on_note, &w, NULL), 0);
    pump(&w);
    assert_int_equal(w.nnotes, 1);
    w.down = 1;
    /* Until the client gives its registration up and the server's expires. */
    for (t = w.h.now + 1000; t < w.h.now + 600000; t += 1000) {
        run_until(&w, t);
        if (tether_client_server_state(w.h.c, 1) != TETHER_CLIENT_REGISTERED &&
            tether_client_server_state(w.h.c, 1) != TETHER_CLIENT_UPDATE_SENT &&
            tether_server_find_ep(w.srv, "dev1", 4) == NULL)
            break;
    }
    assert_null(tether_server_find_ep(w.srv, "dev1", 4));
    tether_server_get_stats(w.srv, &ss);
    assert_int_equal(ss.parked, 1);
    assert_int_equal(w.nnotes, 1);
    /* Offline now: what changes is stored. */
    for (int i = 0; i < 3; i++) {
        run_until(&w, w.h.now + 1000);
        set_value(&w, 40 + i);
        changes++;
    }
    assert_int_equal(o_stats(&w.h, 1).stored, (uint32_t)changes);
    w.down = 0;
    for (t = w.h.now + 1000; t < w.h.now + 600000; t += 1000) {
        run_until(&w, t);
        if (tether_client_server_state(w.h.c, 1) == TETHER_CLIENT_REGISTERED)
            break;
    }
    run_until(&w, w.h.now + 1000);
    assert_int_equal(tether_client_server_state(w.h.c, 1), TETHER_CLIENT_REGISTERED);
    assert_int_equal(o_stats(&w.h, 1).stored, 0);
    assert_true(w.nnotes >= 5);
    assert_string_equal(w.notes[1].payload, "40");
    assert_string_equal(w.notes[2].payload, "41");
    assert_string_equal(w.notes[3].payload, "42");
    for (int i = 1; i < w.nnotes; i++) {
        assert_int_equal(w.notes[i].final, 0);
        assert_true(w.notes[i].seq > w.notes[i - 1].seq);
    }
    assert_int_equal(w.rst_to_client, 0);
    assert_int_equal(w.srv_obs_end, 0);
    assert_int_equal(o_stats(&w.h, 1).observations, 1);
    teardown(&w);
}

/* A client that reboots forgets its observations; its new Register makes
 * the server observe again with the same tokens, and notifications flow to
 * the callback set up before the reboot. */
static void test_R15_rebooted_client_gets_its_observations_back(void **state)
{
    world w;
    (void)state;

    setup(&w);
    assert_int_equal(tether_server_observe(w.srv, w.h.now, "dev1", "/3303/0/5700",
                                           TETHER_SERVER_NO_FORMAT, on_note, &w, NULL), 0);
    pump(&w);
    assert_int_equal(w.nnotes, 1);
    run_until(&w, w.h.now + 5000);
    tether_client_fini(w.h.c);
    w.s.value[0] = 33;
    start_client(&w);
    assert_int_equal(o_stats(&w.h, 1).observations, 1);
    assert_int_equal(w.nnotes, 2);
    assert_string_equal(w.notes[1].payload, "33");
    assert_int_equal(w.notes[1].final, 0);
    set_value(&w, 34);
    assert_int_equal(w.nnotes, 3);
    assert_string_equal(w.notes[2].payload, "34");
    assert_int_equal(w.rst_to_client, 0);
    assert_int_equal(w.srv_obs_end, 0);
    teardown(&w);
}

int main(void)
{
#if TETHER_CLIENT_MAX_OBSERVATIONS == 0 || TETHER_CLIENT_NOTIFY_STORE_BYTES < 64
    puts("observation or storing compiled out: nothing to test");
    return 0;
#endif
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_R21_stored_notifications_reach_the_same_observation_in_order),
        cmocka_unit_test(test_R21_nothing_stored_arrives_when_storing_is_off),
        cmocka_unit_test(test_R21_stored_across_an_outage_reach_the_observation),
        cmocka_unit_test(test_R15_rebooted_client_gets_its_observations_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
