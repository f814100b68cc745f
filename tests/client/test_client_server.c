/* SPDX-License-Identifier: Apache-2.0 */
/* The client engine against the server engine (tether/server.h, what
 * tetherd runs), both sans-I/O, wired together in memory on one virtual
 * clock: every datagram one queues is handed to the other. What the server
 * sees (its events and registry) proves the client's side of the
 * Registration Interface; the server's device management drives the
 * client's Server object (R8, R20, R23). A "link" flag drops datagrams both
 * ways to simulate a partition (R6, R7). */
#include "common/duo.h"

typedef struct sev {
    int type;
    unsigned changed;
    uint32_t lifetime;
    tether_time when;
} sev;

typedef struct world {
    harness h; /* the client; its server 0 is the engine below */
    tether_server *srv;
    tether_peer client_peer;
    int link_down;
    sev ev[64];
    int nev;
    int responses;
    uint8_t last_code;
} world;

static void srv_event(void *user, tether_time now, const tether_server_event *ev)
{
    world *w = user;
    sev *e;

    assert_true(w->nev < 64);
    e = &w->ev[w->nev++];
    e->type = ev->type;
    e->changed = ev->changed;
    e->lifetime = tether_server_reg_lifetime(ev->reg);
    e->when = now;
}

static void on_response(void *arg, tether_time now, int status, const tether_server_response *r)
{
    world *w = arg;
    (void)now;
    assert_int_equal(status, 0);
    w->responses++;
    w->last_code = r->code;
}

/* Move datagrams both ways until neither engine has anything to send. */
static void pump(world *w)
{
    duo_pump(&w->h, w->srv, &w->client_peer, &w->link_down, NULL);
}

/* Run both engines' timers up to `to`, pumping after each. */
static void run_until(world *w, tether_time to)
{
    duo_run_until(&w->h, w->srv, &w->client_peer, &w->link_down, NULL, to);
}

static int count(const world *w, int type)
{
    int n = 0;
    for (int i = 0; i < w->nev; i++)
        n += w->ev[i].type == type;
    return n;
}

static const sev *last(const world *w, int type)
{
    for (int i = w->nev - 1; i >= 0; i--)
        if (w->ev[i].type == type)
            return &w->ev[i];
    return NULL;
}

/* Client "dev1", lifetime lt, registered with the server engine. */
static void setup(world *w, int64_t lt)
{
    tether_server_config cfg;
    tether_server_callbacks cb = {srv_event};

    memset(w, 0, sizeof(*w));
    h_init_cfg(&w->h, "dev1");
    h_init_client(&w->h);
    h_add_server(&w->h, 0, 1, lt, NULL);
    w->client_peer = h_peer(9);
    duo_config(&cfg);
    assert_int_equal(tether_server_new(&w->srv, &cfg, &cb, w), 0);
    assert_int_equal(tether_client_start(w->h.c, w->h.now), 0);
    pump(w);
    assert_int_equal(count(w, TETHER_SERVER_EV_REGISTERED), 1);
    assert_int_equal(tether_client_server_state(w->h.c, 1), TETHER_CLIENT_REGISTERED);
}

static void teardown(world *w)
{
    tether_server_free(w->srv);
    tether_client_fini(w->h.c);
}

static const tether_server_reg *reg_of(world *w)
{
    return tether_server_find_ep(w->srv, "dev1", 4);
}

static void test_R2_register_update_deregister_with_the_server_engine(void **state)
{
    world w;
    char objs[64];
    (void)state;

    setup(&w, 10);
    assert_non_null(reg_of(&w));
    assert_int_equal(tether_server_reg_lifetime(reg_of(&w)), 10); /* R9 */
    assert_int_equal(tether_server_reg_objects_str(reg_of(&w), objs, sizeof(objs), NULL), 0);
    assert_string_equal(objs, "</1/0>,</3/0>"); /* R18 */
    assert_int_equal(tether_server_reg_syncing(reg_of(&w)), 0); /* lt given: no R10 read */
    /* R5: ten lifetimes pass, the registration never lapses (R6 stays quiet). */
    run_until(&w, w.h.now + 100 * 1000);
    assert_int_equal(count(&w, TETHER_SERVER_EV_EXPIRED), 0);
    assert_true(count(&w, TETHER_SERVER_EV_UPDATED) >= 19);
    assert_int_equal(last(&w, TETHER_SERVER_EV_UPDATED)->changed, 0); /* bare Updates */
    /* R11 */
    assert_int_equal(tether_client_stop(w.h.c, w.h.now), 0);
    pump(&w);
    assert_int_equal(count(&w, TETHER_SERVER_EV_DEREGISTERED), 1);
    assert_int_equal(tether_server_count(w.srv), 0);
    assert_true(tether_client_stopped(w.h.c));
    teardown(&w);
}

static void test_R4_the_registration_lifetime_is_the_lifetime_resource(void **state)
{
    world w;
    (void)state;

    setup(&w, 77);
    assert_int_equal(tether_server_reg_lifetime(reg_of(&w)), 77);
    assert_int_equal(tether_client_lifetime(w.h.c, 1), 77);
    assert_int_equal(tether_client_set_lifetime(w.h.c, w.h.now, 1, 33), 0); /* locally (R8) */
    pump(&w);
    assert_int_equal(tether_server_reg_lifetime(reg_of(&w)), 33);
    /* Soft state: the server's expiry follows the resource, not the old value. */
    assert_true(tether_server_reg_expires(reg_of(&w)) <= w.h.now + 33 * 1000);
    teardown(&w);
}

static void test_R8_server_writes_the_lifetime(void **state)
{
    world w;
    const sev *e;
    (void)state;

    setup(&w, 300);
    assert_int_equal(tether_server_write(w.srv, w.h.now, "dev1", "/1/0/1", TETHER_FMT_TEXT, "45",
                                         2, 0, on_response, &w),
                     0);
    pump(&w);
    assert_int_equal(w.last_code, TETHER_COAP_CHANGED);
    e = last(&w, TETHER_SERVER_EV_UPDATED);
    assert_non_null(e);
    assert_int_equal(e->changed, TETHER_CHANGED_LIFETIME);
    assert_int_equal(tether_server_reg_lifetime(reg_of(&w)), 45); /* R8 on both sides */
    run_until(&w, w.h.now + 10 * 45 * 1000);
    assert_int_equal(count(&w, TETHER_SERVER_EV_EXPIRED), 0);
    /* A refused value changes nothing anywhere (R19). */
    assert_int_equal(tether_server_write(w.srv, w.h.now, "dev1", "/1/0/1", TETHER_FMT_TEXT, "-1",
                                         2, 0, on_response, &w),
                     0);
    pump(&w);
    assert_int_equal(w.last_code, TETHER_COAP_BAD_REQUEST);
    assert_int_equal(tether_server_reg_lifetime(reg_of(&w)), 45);
    teardown(&w);
}

static void test_R23_server_executes_the_update_trigger(void **state)
{
    world w;
    int before;
    (void)state;

    setup(&w, 300);
    before = count(&w, TETHER_SERVER_EV_UPDATED);
    assert_int_equal(tether_server_execute(w.srv, w.h.now, "dev1", "/1/0/8", NULL, 0, on_response,
                                           &w),
                     0);
    pump(&w);
    assert_int_equal(w.last_code, TETHER_COAP_CHANGED);
    assert_int_equal(count(&w, TETHER_SERVER_EV_UPDATED), before + 1);
    teardown(&w);
}

static void test_R22_server_writes_the_binding(void **state)
{
    world w;
    char b[8];
    (void)state;

    setup(&w, 300);
    assert_int_equal(tether_server_write(w.srv, w.h.now, "dev1", "/1/0/7", TETHER_FMT_TEXT, "UQ",
                                         2, 0, on_response, &w),
                     0);
    pump(&w);
    assert_int_equal(last(&w, TETHER_SERVER_EV_UPDATED)->changed, TETHER_CHANGED_BINDING);
    assert_string_equal(tether_server_reg_binding_str(reg_of(&w), b, sizeof(b)), "UQ");
    teardown(&w);
}

static void test_R20_server_disables_the_client(void **state)
{
    world w;
    tether_time t;
    (void)state;

    setup(&w, 300);
    assert_int_equal(tether_server_write(w.srv, w.h.now, "dev1", "/1/0/5", TETHER_FMT_TEXT, "60",
                                         2, 0, on_response, &w),
                     0);
    assert_int_equal(tether_server_execute(w.srv, w.h.now, "dev1", "/1/0/4", NULL, 0, on_response,
                                           &w),
                     0);
    pump(&w);
    assert_int_equal(w.responses, 2);
    assert_int_equal(w.last_code, TETHER_COAP_CHANGED);
    assert_int_equal(count(&w, TETHER_SERVER_EV_DEREGISTERED), 1);
    assert_null(reg_of(&w));
    t = w.h.now;
    run_until(&w, t + 59 * 1000);
    assert_int_equal(count(&w, TETHER_SERVER_EV_REGISTERED), 1);
    run_until(&w, t + 61 * 1000);
    assert_int_equal(count(&w, TETHER_SERVER_EV_REGISTERED), 2);
    assert_true(last(&w, TETHER_SERVER_EV_REGISTERED)->when == t + 60 * 1000);
    teardown(&w);
}

static void test_R7_after_a_partition_the_client_registers_again(void **state)
{
    world w;
    tether_time t;
    (void)state;

    setup(&w, 60);
    w.link_down = 1;
    t = w.h.now;
    run_until(&w, t + 200 * 1000);
    assert_int_equal(count(&w, TETHER_SERVER_EV_EXPIRED), 1); /* R6 */
    assert_null(reg_of(&w));
    w.link_down = 0;
    /* The client gave up on the Update and Registers (with back-off): the
     * server gets a new registration, not an Update of a dead one (R7). */
    run_until(&w, w.h.now + 600 * 1000);
    assert_int_equal(count(&w, TETHER_SERVER_EV_REGISTERED), 2);
    assert_non_null(reg_of(&w));
    assert_int_equal(tether_client_server_state(w.h.c, 1), TETHER_CLIENT_REGISTERED);
    teardown(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_R2_register_update_deregister_with_the_server_engine),
        cmocka_unit_test(test_R4_the_registration_lifetime_is_the_lifetime_resource),
        cmocka_unit_test(test_R8_server_writes_the_lifetime),
        cmocka_unit_test(test_R23_server_executes_the_update_trigger),
        cmocka_unit_test(test_R22_server_writes_the_binding),
        cmocka_unit_test(test_R20_server_disables_the_client),
        cmocka_unit_test(test_R7_after_a_partition_the_client_registers_again),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
