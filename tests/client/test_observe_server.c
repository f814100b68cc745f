/* SPDX-License-Identifier: Apache-2.0 */
/* Information reporting and queue mode end to end: the client engine
 * against the server engine (tether/server.h, what tetherd runs), both
 * sans-I/O, wired together in memory on one virtual clock. The server
 * writes attributes, observes and cancels through its own API; what its
 * callbacks receive (values in order, Observe values, timing) proves the
 * client's side. Queue mode: the server holds a request for the sleeping
 * client and delivers it when a notification wakes the client. */
#include "common/duo.h"
#include "client/observe_harness.h"

typedef struct world {
    harness h; /* the client; its server 0 is the engine below */
    sensor s;
    tether_server *srv;
    tether_peer client_peer;
    note notes[64];
    int nnotes;
    int reads;
    uint8_t read_code;
    int srv_sleeping, srv_awake;
} world;

/* Nonzero: the server ends observations with the registration
 * (obs_park_s 0), as servers that do not keep them across a Disable. */
static int server_forgets;

static void srv_event(void *user, tether_time now, const tether_server_event *ev)
{
    world *w = user;
    (void)now;
    if (ev->type == TETHER_SERVER_EV_SLEEPING)
        w->srv_sleeping++;
    if (ev->type == TETHER_SERVER_EV_AWAKE)
        w->srv_awake++;
}

static void on_note(void *arg, tether_time now, int status, const tether_server_response *r)
{
    world *w = arg;
    duo_note(w->notes, &w->nnotes, now, status, r);
}

static void on_read(void *arg, tether_time now, int status, const tether_server_response *r)
{
    world *w = arg;
    (void)now;
    assert_int_equal(status, 0);
    w->reads++;
    w->read_code = r->code;
}

static void on_done(void *arg, tether_time now, int status, const tether_server_response *r)
{
    (void)arg;
    (void)now;
    assert_int_equal(status, 0);
    assert_int_equal(r->code, TETHER_COAP_CHANGED);
}

static void pump(world *w)
{
    duo_pump(&w->h, w->srv, &w->client_peer, NULL, NULL);
}

static void run_until(world *w, tether_time to)
{
    duo_run_until(&w->h, w->srv, &w->client_peer, NULL, NULL, to);
}

/* Client "dev1" with the sensor, lifetime lt, binding, registered with the
 * server engine. */
static void setup(world *w, int64_t lt, const char *binding)
{
    tether_server_config cfg;
    tether_server_callbacks cb = {srv_event};

    memset(w, 0, sizeof(*w));
    h_init_cfg(&w->h, "dev1");
    h_init_client(&w->h);
    w->s.value[0] = 21.5;
    w->s.exists[0] = 1;
    assert_int_equal(tether_client_add_object(w->h.c, w->h.now, &sensor_obj, &w->s), 0);
    h_add_server(&w->h, 0, 1, lt, binding);
    w->client_peer = h_peer(9);
    duo_config(&cfg);
    if (server_forgets)
        cfg.obs_park_s = 0;
    assert_int_equal(tether_server_new(&w->srv, &cfg, &cb, w), 0);
    assert_int_equal(tether_client_start(w->h.c, w->h.now), 0);
    pump(w);
    assert_int_equal(tether_client_server_state(w->h.c, 1), TETHER_CLIENT_REGISTERED);
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

static void write_attrs(world *w, const char *path, const tether_server_attrs *a)
{
    assert_int_equal(tether_server_write_attrs(w->srv, w->h.now, "dev1", path, a, on_done, w), 0);
    pump(w);
}

static void test_observe_server_engine_gets_values_in_order_with_pmin(void **state)
{
    world w;
    tether_server_attrs a = {0};
    tether_server_req_id id;
    tether_time t0;
    (void)state;

    setup(&w, 200000, NULL);
    a.set = TETHER_ATTR_PMIN | TETHER_ATTR_ST;
    a.pmin = 5;
    a.st = 0.5;
    write_attrs(&w, "/3303/0/5700", &a);
    assert_int_equal(tether_server_observe(w.srv, w.h.now, "dev1", "/3303/0/5700",
                                           TETHER_SERVER_NO_FORMAT, on_note, &w, &id), 0);
    pump(&w);
    t0 = w.h.now;
    assert_int_equal(w.nnotes, 1); /* the answer that establishes it */
    assert_int_equal(w.notes[0].code, TETHER_COAP_CONTENT);
    assert_string_equal(w.notes[0].payload, "21.5");
    assert_int_equal(w.notes[0].final, 0);
    run_until(&w, t0 + 1000);
    set_value(&w, 21.7); /* below st */
    run_until(&w, t0 + 2000);
    set_value(&w, 22.5); /* a step, but inside pmin */
    assert_int_equal(w.nnotes, 1);
    run_until(&w, t0 + 5000);
    assert_int_equal(w.nnotes, 2);
    assert_string_equal(w.notes[1].payload, "22.5");
    assert_int_equal(w.notes[1].when, t0 + 5000);
    assert_true(w.notes[1].seq > w.notes[0].seq);
    run_until(&w, t0 + 20000);
    set_value(&w, 30);
    assert_int_equal(w.nnotes, 3);
    assert_string_equal(w.notes[2].payload, "30");
    assert_true(w.notes[2].seq > w.notes[1].seq);
    /* Active cancel: Observe 1 from the server ends it on the client too. */
    assert_int_equal(tether_server_cancel(w.srv, w.h.now, id, TETHER_SERVER_CANCEL_ACTIVE), 0);
    pump(&w);
    assert_int_equal(o_stats(&w.h, 1).observations, 0);
    set_value(&w, 40);
    assert_int_equal(w.nnotes, 4); /* only the final "cancelled" call */
    assert_int_equal(w.notes[3].final, 1);
    teardown(&w);
}

static void test_observe_server_engine_passive_cancel_is_an_rst(void **state)
{
    world w;
    tether_server_req_id id;
    (void)state;

    setup(&w, 200000, NULL);
    assert_int_equal(tether_server_observe(w.srv, w.h.now, "dev1", "/3303/0/5700",
                                           TETHER_SERVER_NO_FORMAT, on_note, &w, &id), 0);
    pump(&w);
    assert_int_equal(tether_server_cancel(w.srv, w.h.now, id, TETHER_SERVER_CANCEL_PASSIVE), 0);
    assert_int_equal(o_stats(&w.h, 1).observations, 1);
    set_value(&w, 25); /* the notification meets an RST */
    assert_int_equal(o_stats(&w.h, 1).observations, 0);
    assert_int_equal(h_last_event(&w.h, TETHER_CLIENT_EV_OBSERVE_CANCELLED)->err,
                     TETHER_ERR_RESET);
    teardown(&w);
}

static void test_R24_server_engine_sets_the_default_maximum_period(void **state)
{
    world w;
    tether_time t0;
    (void)state;

    setup(&w, 200000, NULL);
    assert_int_equal(tether_server_write(w.srv, w.h.now, "dev1", "/1/0/3", TETHER_FMT_TEXT, "10",
                                         2, 0, on_done, &w), 0);
    pump(&w);
    assert_int_equal(tether_server_observe(w.srv, w.h.now, "dev1", "/3303/0/5701",
                                           TETHER_SERVER_NO_FORMAT, on_note, &w, NULL), 0);
    pump(&w);
    t0 = w.h.now;
    run_until(&w, t0 + 35000);
    assert_int_equal(w.nnotes, 4); /* the answer, then at 10, 20, 30 s */
    for (int i = 1; i < 4; i++) {
        assert_string_equal(w.notes[i].payload, "Cel");
        assert_int_equal(w.notes[i].when, t0 + 10000u * (uint64_t)i);
    }
    teardown(&w);
}

static void test_queue_mode_server_request_waits_for_a_notification(void **state)
{
    world w;
    tether_time t0;
    (void)state;

    setup(&w, 200000, "UQ");
    assert_int_equal(tether_server_observe(w.srv, w.h.now, "dev1", "/3303/0/5700",
                                           TETHER_SERVER_NO_FORMAT, on_note, &w, NULL), 0);
    pump(&w);
    t0 = w.h.now;
    run_until(&w, t0 + 100000); /* both sides count the client asleep */
    assert_int_equal(tether_client_listening(w.h.c), 0);
    assert_int_equal(h_count_events(&w.h, TETHER_CLIENT_EV_SLEEPING), 1);
    assert_int_equal(w.srv_sleeping, 1);
    /* The server holds a Read for the sleeping client. */
    assert_int_equal(tether_server_read(w.srv, w.h.now, "dev1", "/3303/0/5701",
                                        TETHER_SERVER_NO_FORMAT, on_read, &w), 0);
    run_until(&w, t0 + 200000);
    assert_int_equal(w.reads, 0);
    /* A notification wakes the client; the server sends what it held. */
    set_value(&w, 19);
    assert_int_equal(w.nnotes, 2);
    assert_string_equal(w.notes[1].payload, "19");
    assert_int_equal(w.srv_awake, 1);
    assert_int_equal(w.reads, 1);
    assert_int_equal(w.read_code, TETHER_COAP_CONTENT);
    assert_int_equal(h_count_events(&w.h, TETHER_CLIENT_EV_AWAKE), 1);
    teardown(&w);
}

/* What R21 meets with a server that ends an observation when the
 * registration goes away (De-register on Disable; ours does so with
 * obs_park_s 0, by default it keeps them: tests/server/
 * test_observe_client.c), so the stored
 * notifications sent after the new Register (NON, all at once) each draw
 * an RST, and the one against the latest ends the observation on the
 * client too: nothing more is sent into the void. */
static void test_R21_stored_notifications_meet_a_server_that_forgot(void **state)
{
    world w;
    tether_client_notify_stats st;
    (void)state;

    server_forgets = 1;
    setup(&w, 200000, NULL);
    server_forgets = 0;
    assert_int_equal(tether_server_observe(w.srv, w.h.now, "dev1", "/3303/0/5700",
                                           TETHER_SERVER_NO_FORMAT, on_note, &w, NULL), 0);
    pump(&w);
    assert_int_equal(tether_server_write(w.srv, w.h.now, "dev1", "/1/0/5", TETHER_FMT_TEXT, "30",
                                         2, 0, on_done, &w), 0);
    assert_int_equal(tether_server_execute(w.srv, w.h.now, "dev1", "/1/0/4", NULL, 0, on_done,
                                           &w), 0);
    pump(&w);
    assert_int_equal(tether_client_server_state(w.h.c, 1), TETHER_CLIENT_DISABLED);
    assert_int_equal(w.notes[w.nnotes - 1].final, 1); /* the server's side ended */
    for (int i = 0; i < 3; i++) {
        run_until(&w, w.h.now + 1000);
        set_value(&w, 10 + i);
    }
    assert_int_equal(o_stats(&w.h, 1).stored, 3);
    run_until(&w, w.h.now + 30000);
    assert_int_equal(tether_client_server_state(w.h.c, 1), TETHER_CLIENT_REGISTERED);
    st = o_stats(&w.h, 1);
    assert_int_equal(st.stored, 0);
    assert_int_equal(st.sent, 3);
    assert_int_equal(st.observations, 0);
    assert_int_equal(h_last_event(&w.h, TETHER_CLIENT_EV_OBSERVE_CANCELLED)->err,
                     TETHER_ERR_RESET);
    set_value(&w, 50);
    assert_int_equal(o_stats(&w.h, 1).sent, 3);
    teardown(&w);
}

int main(void)
{
#if TETHER_CLIENT_MAX_OBSERVATIONS == 0 || TETHER_CLIENT_NOTIFY_STORE_BYTES < 64
    puts("observation or storing compiled out: nothing to test");
    return 0;
#endif
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_observe_server_engine_gets_values_in_order_with_pmin),
        cmocka_unit_test(test_observe_server_engine_passive_cancel_is_an_rst),
        cmocka_unit_test(test_R24_server_engine_sets_the_default_maximum_period),
        cmocka_unit_test(test_queue_mode_server_request_waits_for_a_notification),
        cmocka_unit_test(test_R21_stored_notifications_meet_a_server_that_forgot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
