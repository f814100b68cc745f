/* SPDX-License-Identifier: Apache-2.0 */
/* The registration state machine (src/client/register.c) on a virtual
 * clock: what Register, Update and De-register put on the wire, when the
 * Updates go, the fall-back to Register, the back-off, and the start and
 * stop of every Server instance. */
#include "client/client_harness.h"

/* A dummy application object /3303 with two instances, for object lists. */
static int32_t temp_next(void *user, int32_t prev)
{
    (void)user;
    return prev < 0 ? 0 : prev == 0 ? 2 : -1;
}

static const tether_client_res_def temp_res[] = {
    {5700, TETHER_LWM2M_OP_R, TETHER_LWM2M_FLOAT, 0},
};

static const tether_client_object temp_obj = {
    .oid = 3303,
    .multi_instance = 1,
    .nres = 1,
    .res = temp_res,
    .next_instance = temp_next,
};

/* --- Register --------------------------------------------------------------------- */

static void test_R3_register_bytes_on_the_wire(void **state)
{
    /* CON POST, Uri-Path rd, Content-Format 40, Uri-Query ep lt lwm2m b,
     * then the object list. Written out by hand from RFC 7252 §3.1. */
    static const uint8_t opts[] = {
        0xB2, 'r', 'd',                                     /* Uri-Path (11) "rd" */
        0x11, 0x28,                                         /* Content-Format (12) 40 */
        0x37, 'e', 'p', '=', 'd', 'e', 'v', '1',            /* Uri-Query (15) */
        0x06, 'l', 't', '=', '3', '0', '0',                 /* Uri-Query */
        0x09, 'l', 'w', 'm', '2', 'm', '=', '1', '.', '0',  /* Uri-Query */
        0x03, 'b', '=', 'U',                                /* Uri-Query */
        0xFF, '<', '/', '1', '/', '0', '>', ',', '<', '/', '3', '/', '0', '>'};
    harness h;
    h_dgram d;
    (void)state;

    h_setup(&h, 300);
    h_expect(&h, &d);
    assert_memory_equal(&d.peer, &h.peers[0], sizeof(tether_peer));
    assert_int_equal(d.buf[0], 0x40 | 8); /* version 1, CON, 8-byte token */
    assert_int_equal(d.buf[1], TETHER_COAP_POST);
    assert_int_equal(d.len, 4 + 8 + sizeof(opts));
    assert_memory_equal(d.buf + 12, opts, sizeof(opts));
    h_expect_none(&h);
    assert_int_equal(tether_client_server_state(h.c, 1), TETHER_CLIENT_REGISTER_SENT);
}

static void test_R2_register_update_deregister_cycle(void **state)
{
    harness h;
    h_dgram d;
    char loc[32];
    const h_event *e;
    (void)state;

    h_setup(&h, 300);
    h_register(&h, 0, "rd/5a3f");
    assert_int_equal(tether_client_server_state(h.c, 1), TETHER_CLIENT_REGISTERED);
    assert_int_equal(tether_client_location(h.c, 1, loc, sizeof(loc)), 0);
    assert_string_equal(loc, "rd/5a3f");
    e = h_last_event(&h, TETHER_CLIENT_EV_REGISTERED);
    assert_non_null(e);
    assert_string_equal(e->location, "rd/5a3f");
    assert_int_equal(e->ssid, 1);

    assert_true(h_run_until_sent(&h, 300 * 1000, &d));
    h_assert_request(&d, TETHER_COAP_POST, "rd/5a3f", "", NULL);
    h_answer(&h, 0, &d, TETHER_COAP_CHANGED, NULL);
    assert_int_equal(h_count_events(&h, TETHER_CLIENT_EV_UPDATED), 1);

    assert_int_equal(tether_client_stop(h.c, h.now), 0);
    h_expect(&h, &d);
    h_assert_request(&d, TETHER_COAP_DELETE, "rd/5a3f", "", NULL);
    assert_false(tether_client_stopped(h.c));
    h_answer(&h, 0, &d, TETHER_COAP_DELETED, NULL);
    assert_true(tether_client_stopped(h.c));
    e = h_last_event(&h, TETHER_CLIENT_EV_DEREGISTERED);
    assert_non_null(e);
    assert_int_equal(e->code, TETHER_COAP_DELETED);
    h_advance(&h, 7 * 86400 * 1000ull);
    h_expect_none(&h);
}

static void test_R9_register_lt_is_the_lifetime_resource(void **state)
{
    harness h;
    h_dgram d;
    char q[128];
    (void)state;

    h_init_cfg(&h, "dev1");
    h_init_client(&h);
    h_add_server(&h, 0, 1, 300, NULL);
    assert_int_equal(tether_client_set_lifetime(h.c, h.now, 1, 1234), 0);
    assert_int_equal(tether_client_start(h.c, h.now), 0);
    h_expect(&h, &d);
    assert_string_equal(h_query(&d, q, sizeof(q)), "ep=dev1&lt=1234&lwm2m=1.0&b=U");
}

static void test_R16_register_carries_sms_and_binding(void **state)
{
    harness h;
    h_dgram d;
    char q[128];
    (void)state;

    h_init_cfg(&h, "urn:imei:490154203237518");
    h.cfg.sms_number = "+15551234567";
    h_init_client(&h);
    h_add_server(&h, 0, 1, 60, "UQ");
    assert_int_equal(tether_client_start(h.c, h.now), 0);
    h_expect(&h, &d);
    assert_string_equal(h_query(&d, q, sizeof(q)),
                        "ep=urn:imei:490154203237518&lt=60&lwm2m=1.0&b=UQ&sms=+15551234567");
}

static void test_R18_object_list_never_lists_security(void **state)
{
    harness h;
    h_dgram d;
    char p[256];
    (void)state;

    h_init_cfg(&h, "dev1");
    h_init_client(&h);
    h_add_server(&h, 0, 1, 300, NULL);
    assert_int_equal(tether_client_add_object(h.c, h.now, &temp_obj, NULL), 0);
    assert_int_equal(tether_client_start(h.c, h.now), 0);
    h_expect(&h, &d);
    assert_string_equal(h_payload(&d, p, sizeof(p)), "</1/0>,</3/0>,</3303/0>,</3303/2>");
    assert_null(strstr(p, "</0"));
}

static void test_register_alternate_root_path(void **state)
{
    harness h;
    h_dgram d;
    char p[256];
    (void)state;

    h_init_cfg(&h, "dev1");
    h.cfg.alt_path = "/lwm2m";
    h_init_client(&h);
    h_add_server(&h, 0, 1, 300, NULL);
    assert_int_equal(tether_client_start(h.c, h.now), 0);
    h_expect(&h, &d);
    assert_string_equal(h_payload(&d, p, sizeof(p)),
                        "</lwm2m>;rt=\"oma.lwm2m\",</lwm2m/1/0>,</lwm2m/3/0>");
    h_answer(&h, 0, &d, TETHER_COAP_CREATED, "rd/1");
    /* Requests are addressed under the root. */
    assert_int_equal(h_get(&h, "lwm2m/1/0/1", -1, &d), TETHER_COAP_CONTENT);
    assert_string_equal(h_payload(&d, p, sizeof(p)), "300");
    assert_int_equal(h_get(&h, "1/0/1", -1, &d), TETHER_COAP_NOT_FOUND);
}

static void test_R13_register_always_names_the_endpoint(void **state)
{
    harness h;
    h_dgram d;
    const uint8_t *v;
    size_t n;
    (void)state;

    /* No endpoint, no client: a Register without ep cannot happen. */
    h_init_cfg(&h, "dev1");
    h.cfg.endpoint = NULL;
    assert_int_equal(tether_client_mem_size(&h.cfg), 0);
    h_setup(&h, 300);
    h_expect(&h, &d);
    assert_int_equal(tether_coap_query_find(&d.m, "ep", &v, &n), 0);
    assert_int_equal(n, 4);
    assert_memory_equal(v, "dev1", 4);
}

static void test_R17_defaults_are_lwm2m_1_0_and_binding_U(void **state)
{
    harness h;
    h_dgram d;
    tether_client_server_config sc;
    char q[128];
    (void)state;

    tether_client_server_config_default(&sc);
    assert_string_equal(sc.binding, "U");
    h_setup(&h, 300);
    h_expect(&h, &d);
    assert_string_equal(h_query(&d, q, sizeof(q)), "ep=dev1&lt=300&lwm2m=1.0&b=U");
}

static void test_R12_registers_with_every_server_instance(void **state)
{
    harness h;
    h_dgram d1, d2;
    char p[256];
    (void)state;

    h_init_cfg(&h, "dev1");
    h_init_client(&h);
    h_add_server(&h, 0, 1, 300, NULL);
    h_add_server(&h, 1, 2, 600, NULL);
    h_expect_none(&h); /* nothing before start */
    assert_int_equal(tether_client_start(h.c, h.now), 0);
    h_expect(&h, &d1);
    h_expect(&h, &d2);
    h_expect_none(&h);
    assert_memory_equal(&d1.peer, &h.peers[0], sizeof(tether_peer));
    assert_memory_equal(&d2.peer, &h.peers[1], sizeof(tether_peer));
    assert_string_equal(h_payload(&d1, p, sizeof(p)), "</1/0>,</1/1>,</3/0>");
    assert_string_equal(h_query(&d1, p, sizeof(p)), "ep=dev1&lt=300&lwm2m=1.0&b=U");
    assert_string_equal(h_query(&d2, p, sizeof(p)), "ep=dev1&lt=600&lwm2m=1.0&b=U");
    h_answer(&h, 0, &d1, TETHER_COAP_CREATED, "rd/a");
    h_answer(&h, 1, &d2, TETHER_COAP_CREATED, "rd/b");
    assert_int_equal(tether_client_server_state(h.c, 1), TETHER_CLIENT_REGISTERED);
    assert_int_equal(tether_client_server_state(h.c, 2), TETHER_CLIENT_REGISTERED);
    /* Each server's answer only moves its own registration. */
    assert_int_equal(h_count_events(&h, TETHER_CLIENT_EV_REGISTERED), 2);
    assert_int_equal(h.ev[0].ssid, 1);
    assert_int_equal(h.ev[1].ssid, 2);
}

static void test_R12_server_added_after_start_registers(void **state)
{
    harness h;
    h_dgram d;
    char p[256];
    (void)state;

    h_setup(&h, 300);
    h_register(&h, 0, "rd/a");
    h_add_server(&h, 1, 7, 300, NULL);
    /* The new server gets a Register, the old one an Update with the new
     * object list (there is a new /1 instance). */
    h_expect(&h, &d);
    assert_memory_equal(&d.peer, &h.peers[1], sizeof(tether_peer));
    assert_string_equal(h_path(&d, p, sizeof(p)), "rd");
    assert_string_equal(h_payload(&d, p, sizeof(p)), "</1/0>,</1/1>,</3/0>");
    h_expect(&h, &d);
    assert_memory_equal(&d.peer, &h.peers[0], sizeof(tether_peer));
    h_assert_request(&d, TETHER_COAP_POST, "rd/a", "", "</1/0>,</1/1>,</3/0>");
    h_expect_none(&h);
}

static void test_R25_bootstrap_server_gets_no_registration(void **state)
{
    harness h;
    h_dgram d;
    char p[256];
    tether_client_server_config sc;
    (void)state;

    h_init_cfg(&h, "dev1");
    h_init_client(&h);
    tether_client_server_config_default(&sc);
    sc.uri = "coap://bs.example:5683";
    sc.peer = h.peers[1];
    sc.bootstrap = 1;
    sc.ssid = 0; /* a Bootstrap-Server has no Short Server ID to give */
    assert_int_equal(tether_client_add_server(h.c, h.now, &sc), 0);
    h_add_server(&h, 0, 1, 300, NULL);
    assert_int_equal(tether_client_start(h.c, h.now), 0);
    h_expect(&h, &d);
    h_expect_none(&h);
    assert_memory_equal(&d.peer, &h.peers[0], sizeof(tether_peer));
    /* One Server instance (/1/0), for the LwM2M Server only. */
    assert_string_equal(h_payload(&d, p, sizeof(p)), "</1/0>,</3/0>");
    assert_int_equal(tether_client_server_state(h.c, 0), -1);
    h_answer(&h, 0, &d, TETHER_COAP_CREATED, "rd/x");
    assert_int_equal(h_get(&h, "1", TETHER_FMT_LINK, &d), TETHER_COAP_CONTENT);
    assert_string_equal(h_payload(&d, p, sizeof(p)),
                        "</1>,</1/0>,</1/0/0>,</1/0/1>,</1/0/2>,</1/0/3>,</1/0/4>,</1/0/5>,"
                        "</1/0/6>,</1/0/7>,</1/0/8>");
    /* The bootstrap account's peer is not a management server. */
    {
        uint8_t get[] = {0x40, TETHER_COAP_GET, 0x12, 0x34, 0xB1, '1'};
        assert_int_equal(tether_client_recv(h.c, h.now, &h.peers[1], get, sizeof(get)), 0);
        h_expect_none(&h);
    }
}

static void test_register_hold_off_delays_first_register(void **state)
{
    harness h;
    h_dgram d;
    tether_client_server_config sc;
    tether_time t0;
    (void)state;

    h_init_cfg(&h, "dev1");
    h_init_client(&h);
    tether_client_server_config_default(&sc);
    sc.peer = h.peers[0];
    sc.hold_off_s = 30;
    assert_int_equal(tether_client_add_server(h.c, h.now, &sc), 0);
    t0 = h.now;
    assert_int_equal(tether_client_start(h.c, h.now), 0);
    h_expect_none(&h);
    assert_int_equal(tether_client_server_state(h.c, 1), TETHER_CLIENT_WAIT_REGISTER);
    assert_true(h_run_until_sent(&h, 60000, &d));
    assert_int_equal(h.now, t0 + 30000);
}

/* --- the Update schedule ------------------------------------------------------------- */

/* Run n lifetimes: each Update must come in [T + d - d/20, T + d], where T
 * is when the last Register or Update left, and carry nothing. */
static void run_update_schedule(int64_t lt, uint64_t expect_d, int n)
{
    harness h;
    h_dgram d;
    tether_time t;
    (void)expect_d;

    h_setup(&h, lt);
    t = h_register(&h, 0, "rd/s");
    for (int i = 0; i < n; i++) {
        assert_true(h_run_until_sent(&h, (uint64_t)lt * 1000, &d));
        assert_true(h.now <= t + expect_d);
        assert_true(h.now >= t + expect_d - expect_d / 20);
        assert_true(h.now < t + (uint64_t)lt * 1000); /* before the lifetime runs out */
        h_assert_request(&d, TETHER_COAP_POST, "rd/s", "", NULL);
        t = h.now;
        h_answer(&h, 0, &d, TETHER_COAP_CHANGED, NULL);
        assert_int_equal(h_last_event(&h, TETHER_CLIENT_EV_UPDATED)->at >= t + expect_d - expect_d / 20, 1);
    }
    assert_int_equal(h_count_events(&h, TETHER_CLIENT_EV_UPDATED), n);
    assert_int_equal(h_count_events(&h, TETHER_CLIENT_EV_REGISTERED), 1);
}

static void test_R5_updates_before_a_long_lifetime_runs_out(void **state)
{
    (void)state;
    /* MAX_TRANSMIT_WAIT (93 s) before the end of a day. */
    run_update_schedule(86400, (86400 - 93) * 1000ull, 4);
}

static void test_R5_updates_at_half_of_a_10s_lifetime(void **state)
{
    (void)state;
    run_update_schedule(10, 5000, 20);
}

static void test_R5_update_schedule_around_twice_max_transmit_wait(void **state)
{
    (void)state;
    run_update_schedule(186, 93000, 3);  /* both rules agree here */
    run_update_schedule(185, 92500, 3);  /* half */
    run_update_schedule(300, 207000, 3); /* lt - 93 s */
}

static void test_R5_update_jitter_spreads_a_fleet(void **state)
{
    /* Same lifetime, different random streams: not all at the same time. */
    tether_time first = 0;
    int differ = 0;
    (void)state;

    for (uint32_t seed = 1; seed <= 8; seed++) {
        harness h;
        h_dgram d;
        tether_time t;
        h_init_cfg(&h, "dev1");
        h.rng = seed * 0x9E3779B9u;
        h_init_client(&h);
        h_add_server(&h, 0, 1, 3600, NULL);
        assert_int_equal(tether_client_start(h.c, h.now), 0);
        t = h_register(&h, 0, "rd/s");
        assert_true(h_run_until_sent(&h, 3600 * 1000, &d));
        if (seed == 1)
            first = h.now - t;
        else if (h.now - t != first)
            differ = 1;
    }
    assert_true(differ);
}

/* --- lt in Update (R8, R9) ------------------------------------------------------------- */

static void test_R8_local_lifetime_change_sends_update_with_lt(void **state)
{
    harness h;
    h_dgram d;
    tether_time t;
    (void)state;

    h_setup(&h, 300);
    h_register(&h, 0, "rd/s");
    assert_int_equal(tether_client_set_lifetime(h.c, h.now, 1, 300), 0);
    h_expect_none(&h); /* R8: the same value changes nothing */
    assert_int_equal(tether_client_set_lifetime(h.c, h.now, 1, 0), TETHER_ERR_INVAL);
    assert_int_equal(tether_client_set_lifetime(h.c, h.now, 1, -1), TETHER_ERR_INVAL);
    assert_int_equal(tether_client_lifetime(h.c, 1), 300);
    h_expect_none(&h);

    assert_int_equal(tether_client_set_lifetime(h.c, h.now, 1, 10), 0);
    h_expect(&h, &d);
    h_assert_request(&d, TETHER_COAP_POST, "rd/s", "lt=10", NULL);
    t = h.now;
    h_answer(&h, 0, &d, TETHER_COAP_CHANGED, NULL);
    /* R8: 10 s is the registration lifetime now; R9: the next Update has
     * no lt, since it did not change again. */
    assert_true(h_run_until_sent(&h, 10000, &d));
    assert_true(h.now <= t + 5000);
    h_assert_request(&d, TETHER_COAP_POST, "rd/s", "", NULL);
}

static void test_R9_lifetime_changed_during_update_goes_in_the_next(void **state)
{
    harness h;
    h_dgram d;
    (void)state;

    h_setup(&h, 300);
    h_register(&h, 0, "rd/s");
    assert_int_equal(tether_client_trigger_update(h.c, h.now, 1), 0);
    h_expect(&h, &d);
    h_assert_request(&d, TETHER_COAP_POST, "rd/s", "", NULL);
    /* Changed while the Update is out: not lost, sent right after. */
    assert_int_equal(tether_client_set_lifetime(h.c, h.now, 1, 120), 0);
    h_expect_none(&h);
    h_answer(&h, 0, &d, TETHER_COAP_CHANGED, NULL);
    h_expect(&h, &d);
    h_assert_request(&d, TETHER_COAP_POST, "rd/s", "lt=120", NULL);
}

static void test_R9_lifetime_changed_during_register_follows_with_update(void **state)
{
    harness h;
    h_dgram d;
    char q[128];
    (void)state;

    h_setup(&h, 300);
    h_expect(&h, &d);
    assert_string_equal(h_query(&d, q, sizeof(q)), "ep=dev1&lt=300&lwm2m=1.0&b=U");
    assert_int_equal(tether_client_set_lifetime(h.c, h.now, 1, 77), 0);
    h_expect_none(&h);
    h_answer(&h, 0, &d, TETHER_COAP_CREATED, "rd/s");
    h_expect(&h, &d);
    h_assert_request(&d, TETHER_COAP_POST, "rd/s", "lt=77", NULL);
}

static void test_register_object_change_sends_object_list(void **state)
{
    harness h;
    h_dgram d;
    (void)state;

    h_setup(&h, 300);
    h_register(&h, 0, "rd/s");
    assert_int_equal(tether_client_add_object(h.c, h.now, &temp_obj, NULL), 0);
    h_expect(&h, &d);
    h_assert_request(&d, TETHER_COAP_POST, "rd/s", "", "</1/0>,</3/0>,</3303/0>,</3303/2>");
    h_answer(&h, 0, &d, TETHER_COAP_CHANGED, NULL);
    /* Told once: the next periodic Update is bare again. */
    assert_true(h_run_until_sent(&h, 300 * 1000, &d));
    h_assert_request(&d, TETHER_COAP_POST, "rd/s", "", NULL);
    assert_int_equal(tether_client_objects_changed(h.c, h.now), 0);
}

/* --- R7: fall back to Register ------------------------------------------------------------ */

static void expect_register_after_failed_update(uint8_t code)
{
    harness h;
    h_dgram d;
    char q[128];
    const h_event *e;
    (void)q;

    h_setup(&h, 300);
    h_register(&h, 0, "rd/s");
    assert_true(h_run_until_sent(&h, 300 * 1000, &d));
    h_assert_request(&d, TETHER_COAP_POST, "rd/s", "", NULL);
    h_answer(&h, 0, &d, code, NULL);
    e = h_last_event(&h, TETHER_CLIENT_EV_UPDATE_FAILED);
    assert_non_null(e);
    assert_int_equal(e->code, code);
    /* At once, a full Register: Update is not enough (R7). */
    h_expect(&h, &d);
    h_assert_request(&d, TETHER_COAP_POST, "rd", "ep=dev1&lt=300&lwm2m=1.0&b=U", "</1/0>,</3/0>");
    assert_int_equal(tether_client_server_state(h.c, 1), TETHER_CLIENT_REGISTER_SENT);
    assert_int_equal(tether_client_location(h.c, 1, q, sizeof(q)), TETHER_ERR_NOT_FOUND);
    h_answer(&h, 0, &d, TETHER_COAP_CREATED, "rd/t");
    assert_true(h_run_until_sent(&h, 300 * 1000, &d));
    h_assert_request(&d, TETHER_COAP_POST, "rd/t", "", NULL);
}

static void test_R7_update_answered_404_falls_back_to_register(void **state)
{
    (void)state;
    expect_register_after_failed_update(TETHER_COAP_NOT_FOUND);
}

static void test_R7_update_answered_400_or_500_falls_back_to_register(void **state)
{
    (void)state;
    expect_register_after_failed_update(TETHER_COAP_BAD_REQUEST);
    expect_register_after_failed_update(TETHER_COAP_INTERNAL_SERVER_ERROR);
    expect_register_after_failed_update(TETHER_COAP_SERVICE_UNAVAILABLE);
}

static void test_R7_unanswered_update_falls_back_to_register(void **state)
{
    harness h;
    h_dgram d, upd;
    tether_time t_reg, t_upd;
    int retrans = 0;
    (void)state;

    h_setup(&h, 86400);
    t_reg = h_register(&h, 0, "rd/s");
    assert_true(h_run_until_sent(&h, 86400 * 1000ull, &upd));
    t_upd = h.now;
    h_assert_request(&upd, TETHER_COAP_POST, "rd/s", "", NULL);
    /* Silence: retransmissions of the same message, then a Register. */
    for (;;) {
        assert_true(h_run_until_sent(&h, 200 * 1000, &d));
        if (d.m.mid != upd.m.mid)
            break;
        retrans++;
    }
    assert_int_equal(retrans, 4); /* MAX_RETRANSMIT */
    h_assert_request(&d, TETHER_COAP_POST, "rd", "ep=dev1&lt=86400&lwm2m=1.0&b=U",
                     "</1/0>,</3/0>");
    assert_true(h.now <= t_upd + 93000);
    assert_true(h.now <= t_reg + 86400 * 1000ull); /* never after the lifetime ran out */
    assert_int_equal(h_last_event(&h, TETHER_CLIENT_EV_UPDATE_FAILED)->err, TETHER_ERR_TIMEOUT);
}

static void test_R7_registration_lapsing_during_update_means_register(void **state)
{
    /* With 10 s, the Update at 5 s still retransmits when the lifetime runs
     * out: at that moment the Update is dropped and a Register goes. */
    harness h;
    h_dgram d, upd;
    tether_time t_reg;
    (void)state;

    h_setup(&h, 10);
    t_reg = h_register(&h, 0, "rd/s");
    assert_true(h_run_until_sent(&h, 10000, &upd));
    h_assert_request(&upd, TETHER_COAP_POST, "rd/s", "", NULL);
    for (;;) {
        assert_true(h_run_until_sent(&h, 20000, &d));
        if (d.m.mid != upd.m.mid)
            break;
    }
    assert_int_equal(h.now, t_reg + 10000);
    h_assert_request(&d, TETHER_COAP_POST, "rd", "ep=dev1&lt=10&lwm2m=1.0&b=U", "</1/0>,</3/0>");
    /* The late answer to the abandoned Update changes nothing. */
    h_answer(&h, 0, &upd, TETHER_COAP_CHANGED, NULL);
    assert_int_equal(tether_client_server_state(h.c, 1), TETHER_CLIENT_REGISTER_SENT);
    h_answer(&h, 0, &d, TETHER_COAP_CREATED, "rd/u");
    assert_int_equal(tether_client_server_state(h.c, 1), TETHER_CLIENT_REGISTERED);
}

/* --- back-off ------------------------------------------------------------------------------ */

static void test_register_failures_back_off_exponentially_and_cap(void **state)
{
    harness h;
    h_dgram d;
    uint64_t D[] = {60, 120, 240, 300, 300, 300};
    (void)state;

    h_init_cfg(&h, "dev1");
    h.cfg.retry_initial_s = 60;
    h.cfg.retry_max_s = 300;
    h_init_client(&h);
    h_add_server(&h, 0, 1, 300, NULL);
    assert_int_equal(tether_client_start(h.c, h.now), 0);
    h_expect(&h, &d);
    for (size_t i = 0; i < sizeof(D) / sizeof(D[0]); i++) {
        tether_time t;
        const h_event *e;
        h_answer(&h, 0, &d, TETHER_COAP_FORBIDDEN, NULL);
        t = h.now;
        e = h_last_event(&h, TETHER_CLIENT_EV_REGISTER_FAILED);
        assert_int_equal(e->code, TETHER_COAP_FORBIDDEN);
        h_expect_none(&h); /* never a tight loop */
        assert_true(h_run_until_sent(&h, 3600 * 1000, &d));
        assert_int_equal(h.now, e->at);
        assert_true(h.now - t >= D[i] * 1000 / 2);
        assert_true(h.now - t <= D[i] * 1000);
        assert_int_equal(d.m.code, TETHER_COAP_POST);
    }
    assert_int_equal(h_count_events(&h, TETHER_CLIENT_EV_REGISTER_FAILED), 6);
    /* A success resets the back-off. */
    h_answer(&h, 0, &d, TETHER_COAP_CREATED, "rd/s");
    assert_int_equal(tether_client_server_state(h.c, 1), TETHER_CLIENT_REGISTERED);
}

static void test_register_unanswered_retries_after_back_off(void **state)
{
    harness h;
    h_dgram d, reg;
    (void)state;

    h_setup(&h, 300);
    h_expect(&h, &reg);
    for (;;) {
        assert_true(h_run_until_sent(&h, 400 * 1000, &d));
        if (d.m.mid != reg.m.mid)
            break;
    }
    assert_int_equal(h_count_events(&h, TETHER_CLIENT_EV_REGISTER_FAILED), 1);
    assert_int_equal(h_last_event(&h, TETHER_CLIENT_EV_REGISTER_FAILED)->err, TETHER_ERR_TIMEOUT);
    assert_int_equal(d.m.code, TETHER_COAP_POST);
    assert_string_equal(h_path(&d, (char[8]){0}, 8), "rd");
}

static void test_register_created_without_location_is_a_failure(void **state)
{
    harness h;
    h_dgram d;
    (void)state;

    h_setup(&h, 300);
    h_expect(&h, &d);
    h_answer(&h, 0, &d, TETHER_COAP_CREATED, NULL);
    assert_int_equal(tether_client_server_state(h.c, 1), TETHER_CLIENT_WAIT_REGISTER);
    assert_int_equal(h_count_events(&h, TETHER_CLIENT_EV_REGISTER_FAILED), 1);
}

/* --- R11 ------------------------------------------------------------------------------------ */

static void test_R11_stop_deregisters_from_every_server(void **state)
{
    harness h;
    h_dgram d1, d2;
    (void)state;

    h_init_cfg(&h, "dev1");
    h_init_client(&h);
    h_add_server(&h, 0, 1, 300, NULL);
    h_add_server(&h, 1, 2, 300, NULL);
    assert_int_equal(tether_client_start(h.c, h.now), 0);
    h_expect(&h, &d1);
    h_expect(&h, &d2);
    h_answer(&h, 0, &d1, TETHER_COAP_CREATED, "rd/one");
    h_answer(&h, 1, &d2, TETHER_COAP_CREATED, "rd/two");
    assert_int_equal(tether_client_stop(h.c, h.now), 0);
    h_expect(&h, &d1);
    h_expect(&h, &d2);
    h_assert_request(&d1, TETHER_COAP_DELETE, "rd/one", "", NULL);
    h_assert_request(&d2, TETHER_COAP_DELETE, "rd/two", "", NULL);
    h_answer(&h, 0, &d1, TETHER_COAP_DELETED, NULL);
    assert_false(tether_client_stopped(h.c));
    h_answer(&h, 1, &d2, TETHER_COAP_NOT_FOUND, NULL); /* already gone: done all the same */
    assert_true(tether_client_stopped(h.c));
    assert_int_equal(h_count_events(&h, TETHER_CLIENT_EV_DEREGISTERED), 2);
}

static void test_R11_stop_finishes_even_if_deregister_is_unanswered(void **state)
{
    harness h;
    h_dgram d;
    (void)state;

    h_setup(&h, 300);
    h_register(&h, 0, "rd/s");
    assert_int_equal(tether_client_stop(h.c, h.now), 0);
    h_expect(&h, &d);
    h_assert_request(&d, TETHER_COAP_DELETE, "rd/s", "", NULL);
    h_advance(&h, 100 * 1000);
    assert_true(tether_client_stopped(h.c));
    assert_int_equal(h_last_event(&h, TETHER_CLIENT_EV_DEREGISTERED)->err, TETHER_ERR_TIMEOUT);
    /* Nothing new is scheduled afterwards. */
    while (h_take(&h, &d))
        assert_int_equal(d.m.code, TETHER_COAP_DELETE);
    assert_int_equal(tether_client_next_deadline(h.c), TETHER_TIME_NEVER);
}

static void test_R11_stop_before_registered_sends_nothing_more(void **state)
{
    harness h;
    h_dgram d;
    (void)state;

    h_setup(&h, 300);
    h_expect(&h, &d); /* the Register, unanswered */
    assert_int_equal(tether_client_stop(h.c, h.now), 0);
    assert_true(tether_client_stopped(h.c));
    h_advance(&h, 3600 * 1000);
    h_expect_none(&h);
}

/* --- the API's refusals ------------------------------------------------------------------------ */

static void test_register_config_is_checked(void **state)
{
    harness h;
    tether_client_server_config sc;
    char longname[TETHER_CLIENT_MAX_ENDPOINT + 2];
    (void)state;

    h_init_cfg(&h, "");
    assert_int_equal(tether_client_mem_size(&h.cfg), 0);
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    h_init_cfg(&h, longname);
    assert_int_equal(tether_client_init(&h.c, h.mem, sizeof(h.mem), &h.cfg, NULL, NULL),
                     TETHER_ERR_INVAL);
    h_init_cfg(&h, "dev1");
    assert_int_equal(tether_client_init(&h.c, h.mem, 64, &h.cfg, NULL, NULL), TETHER_ERR_NOMEM);
    h_init_client(&h);
    tether_client_server_config_default(&sc);
    sc.peer = h.peers[0];
    sc.ssid = 0;
    assert_int_equal(tether_client_add_server(h.c, h.now, &sc), TETHER_ERR_INVAL);
    sc.ssid = 1;
    sc.lifetime = 0;
    assert_int_equal(tether_client_add_server(h.c, h.now, &sc), TETHER_ERR_INVAL);
    sc.lifetime = 60;
    sc.binding = "S"; /* valid (R17) but not supported by "UQ" */
    assert_int_equal(tether_client_add_server(h.c, h.now, &sc), TETHER_ERR_INVAL);
    sc.binding = "U";
    assert_int_equal(tether_client_add_server(h.c, h.now, &sc), 0);
    assert_int_equal(tether_client_add_server(h.c, h.now, &sc), TETHER_ERR_EXISTS);
    for (uint16_t i = 2; i <= TETHER_CLIENT_MAX_SERVERS; i++) {
        sc.ssid = i;
        assert_int_equal(tether_client_add_server(h.c, h.now, &sc), 0);
    }
    sc.ssid = 99;
    assert_int_equal(tether_client_add_server(h.c, h.now, &sc), TETHER_ERR_NOMEM);
    assert_int_equal(tether_client_start(h.c, h.now), 0);
    assert_int_equal(tether_client_start(h.c, h.now), TETHER_ERR_STATE);
    assert_int_equal(tether_client_trigger_update(h.c, h.now, 1), TETHER_ERR_STATE);
    assert_int_equal(tether_client_trigger_update(h.c, h.now, 42), TETHER_ERR_NOT_FOUND);
    tether_client_fini(h.c);
    tether_client_fini(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_R3_register_bytes_on_the_wire),
        cmocka_unit_test(test_R2_register_update_deregister_cycle),
        cmocka_unit_test(test_R9_register_lt_is_the_lifetime_resource),
        cmocka_unit_test(test_R16_register_carries_sms_and_binding),
        cmocka_unit_test(test_R18_object_list_never_lists_security),
        cmocka_unit_test(test_register_alternate_root_path),
        cmocka_unit_test(test_R13_register_always_names_the_endpoint),
        cmocka_unit_test(test_R17_defaults_are_lwm2m_1_0_and_binding_U),
        cmocka_unit_test(test_R12_registers_with_every_server_instance),
        cmocka_unit_test(test_R12_server_added_after_start_registers),
        cmocka_unit_test(test_R25_bootstrap_server_gets_no_registration),
        cmocka_unit_test(test_register_hold_off_delays_first_register),
        cmocka_unit_test(test_R5_updates_before_a_long_lifetime_runs_out),
        cmocka_unit_test(test_R5_updates_at_half_of_a_10s_lifetime),
        cmocka_unit_test(test_R5_update_schedule_around_twice_max_transmit_wait),
        cmocka_unit_test(test_R5_update_jitter_spreads_a_fleet),
        cmocka_unit_test(test_R8_local_lifetime_change_sends_update_with_lt),
        cmocka_unit_test(test_R9_lifetime_changed_during_update_goes_in_the_next),
        cmocka_unit_test(test_R9_lifetime_changed_during_register_follows_with_update),
        cmocka_unit_test(test_register_object_change_sends_object_list),
        cmocka_unit_test(test_R7_update_answered_404_falls_back_to_register),
        cmocka_unit_test(test_R7_update_answered_400_or_500_falls_back_to_register),
        cmocka_unit_test(test_R7_unanswered_update_falls_back_to_register),
        cmocka_unit_test(test_R7_registration_lapsing_during_update_means_register),
        cmocka_unit_test(test_register_failures_back_off_exponentially_and_cap),
        cmocka_unit_test(test_register_unanswered_retries_after_back_off),
        cmocka_unit_test(test_register_created_without_location_is_a_failure),
        cmocka_unit_test(test_R11_stop_deregisters_from_every_server),
        cmocka_unit_test(test_R11_stop_finishes_even_if_deregister_is_unanswered),
        cmocka_unit_test(test_R11_stop_before_registered_sends_nothing_more),
        cmocka_unit_test(test_register_config_is_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
