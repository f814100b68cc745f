/* SPDX-License-Identifier: Apache-2.0 */
/* The Server object /1 (src/client/obj_server.c) as a management server
 * sees it: its values, what writing and executing them does to the
 * registration (R8, R20, R22, R23), and every refusal of R19. */
#include "client/client_harness.h"

/* A registered client (lifetime 300, location rd/s). */
static void setup_registered(harness *h)
{
    h_setup(h, 300);
    h_register(h, 0, "rd/s");
}

static const char *text_of(harness *h, const char *path, char *buf, size_t cap)
{
    h_dgram d;
    assert_int_equal(h_get(h, path, -1, &d), TETHER_COAP_CONTENT);
    assert_int_equal(h_ct(&d), TETHER_FMT_TEXT);
    return h_payload(&d, buf, cap);
}

/* --- reading -------------------------------------------------------------------- */

static const uint8_t server_tlv[] = {
    0xC1, 0x00, 0x01,                   /* 0 Short Server ID 1 */
    0xC2, 0x01, 0x01, 0x2C,             /* 1 Lifetime 300 */
    0xC1, 0x02, 0x00,                   /* 2 Default Minimum Period 0 */
    0xC1, 0x03, 0x00,                   /* 3 Default Maximum Period 0 */
    0xC4, 0x05, 0x00, 0x01, 0x51, 0x80, /* 5 Disable Timeout 86400 */
    0xC1, 0x06, 0x01,                   /* 6 Notification Storing true */
    0xC1, 0x07, 'U',                    /* 7 Binding "U" */
};

static void test_obj_server_reads_as_text_and_tlv(void **state)
{
    harness h;
    h_dgram d;
    char buf[256];
    (void)state;

    setup_registered(&h);
    assert_string_equal(text_of(&h, "1/0/0", buf, sizeof(buf)), "1");
    assert_string_equal(text_of(&h, "1/0/1", buf, sizeof(buf)), "300");
    assert_string_equal(text_of(&h, "1/0/5", buf, sizeof(buf)), "86400");
    assert_string_equal(text_of(&h, "1/0/6", buf, sizeof(buf)), "1");
    assert_string_equal(text_of(&h, "1/0/7", buf, sizeof(buf)), "U");

    assert_int_equal(h_get(&h, "1/0", -1, &d), TETHER_COAP_CONTENT);
    assert_int_equal(h_ct(&d), TETHER_FMT_TLV);
    assert_int_equal(d.m.payload_len, sizeof(server_tlv));
    assert_memory_equal(d.m.payload, server_tlv, sizeof(server_tlv));

    assert_int_equal(h_get(&h, "1", TETHER_FMT_TLV, &d), TETHER_COAP_CONTENT);
    assert_int_equal(d.m.payload_len, 3 + sizeof(server_tlv));
    assert_int_equal(d.m.payload[0], 0x08); /* object instance, 8-bit length */
    assert_int_equal(d.m.payload[1], 0x00);
    assert_int_equal(d.m.payload[2], sizeof(server_tlv));
    assert_memory_equal(d.m.payload + 3, server_tlv, sizeof(server_tlv));

    assert_int_equal(h_get(&h, "1/0/7", TETHER_FMT_TLV_LEGACY, &d), TETHER_COAP_CONTENT);
    assert_int_equal(h_ct(&d), TETHER_FMT_TLV_LEGACY);
    assert_int_equal(d.m.payload_len, 3);
    assert_memory_equal(d.m.payload, "\xC1\x07U", 3);

    assert_int_equal(h_get(&h, "1/0", TETHER_FMT_LINK, &d), TETHER_COAP_CONTENT);
    assert_int_equal(h_ct(&d), TETHER_FMT_LINK);
    assert_string_equal(h_payload(&d, buf, sizeof(buf)),
                        "</1/0>,</1/0/0>,</1/0/1>,</1/0/2>,</1/0/3>,</1/0/4>,</1/0/5>,"
                        "</1/0/6>,</1/0/7>,</1/0/8>");
    assert_int_equal(h_get(&h, "1/0/1", TETHER_FMT_LINK, &d), TETHER_COAP_CONTENT);
    assert_string_equal(h_payload(&d, buf, sizeof(buf)), "</1/0/1>");
    h_expect_none(&h);
}

/* --- R8 ------------------------------------------------------------------------- */

static void test_R8_server_write_of_lifetime_answers_then_updates_with_lt(void **state)
{
    harness h;
    h_dgram d;
    char buf[16];
    const h_event *e;
    (void)state;

    setup_registered(&h);
    assert_int_equal(h_put_text(&h, "1/0/1", "600", &d), TETHER_COAP_CHANGED);
    assert_int_equal(d.m.type, TETHER_COAP_ACK); /* the answer leaves first */
    h_expect(&h, &d);
    h_assert_request(&d, TETHER_COAP_POST, "rd/s", "lt=600", NULL);
    e = h_last_event(&h, TETHER_CLIENT_EV_WRITTEN);
    assert_non_null(e);
    assert_int_equal(e->path.len, 3);
    assert_int_equal(e->path.ids[0], 1);
    assert_int_equal(e->path.ids[2], 1);
    assert_string_equal(text_of(&h, "1/0/1", buf, sizeof(buf)), "600");
    assert_int_equal(tether_client_lifetime(h.c, 1), 600);
    h_answer(&h, 0, &d, TETHER_COAP_CHANGED, NULL);
    /* The new lifetime drives the schedule: the next Update at 600 - 93 s. */
    {
        tether_time t = h.now;
        assert_true(h_run_until_sent(&h, 600 * 1000, &d));
        assert_true(h.now > t + 480 * 1000 && h.now <= t + 507 * 1000);
        h_assert_request(&d, TETHER_COAP_POST, "rd/s", "", NULL);
    }
}

static void test_R8_server_write_of_same_lifetime_changes_nothing(void **state)
{
    harness h;
    h_dgram d;
    (void)state;

    setup_registered(&h);
    assert_int_equal(h_put_text(&h, "1/0/1", "300", &d), TETHER_COAP_CHANGED);
    h_expect_none(&h);
}

static void test_R8_tlv_instance_write_of_lifetime_updates_with_lt(void **state)
{
    static const uint8_t tlv[] = {0xC1, 0x01, 0x78, 0xC1, 0x02, 0x05}; /* lt 120, pmin 5 */
    harness h;
    h_dgram d;
    char buf[16];
    h_req r = {TETHER_COAP_PUT, "1/0", TETHER_FMT_TLV, -1, tlv, sizeof(tlv), NULL, 0};
    (void)state;

    setup_registered(&h);
    h_request(&h, 0, &r, &d);
    assert_int_equal(d.m.code, TETHER_COAP_CHANGED);
    h_expect(&h, &d);
    h_assert_request(&d, TETHER_COAP_POST, "rd/s", "lt=120", NULL);
    assert_string_equal(text_of(&h, "1/0/2", buf, sizeof(buf)), "5");
}

/* --- R23 ------------------------------------------------------------------------- */

static void test_R23_update_trigger_sends_update_after_the_answer(void **state)
{
    harness h;
    h_dgram d, upd;
    (void)state;

    setup_registered(&h);
    assert_int_equal(h_post(&h, "1/0/8", -1, NULL, 0, &d), TETHER_COAP_CHANGED);
    h_expect(&h, &upd);
    h_assert_request(&upd, TETHER_COAP_POST, "rd/s", "", NULL);
    h_expect_none(&h);
    /* Triggered again while that Update is out: one more, after it. */
    assert_int_equal(h_post(&h, "1/0/8", -1, NULL, 0, &d), TETHER_COAP_CHANGED);
    h_expect_none(&h);
    h_answer(&h, 0, &upd, TETHER_COAP_CHANGED, NULL);
    h_expect(&h, &upd);
    h_assert_request(&upd, TETHER_COAP_POST, "rd/s", "", NULL);
    h_answer(&h, 0, &upd, TETHER_COAP_CHANGED, NULL);
    h_expect_none(&h);
    assert_int_equal(h_count_events(&h, TETHER_CLIENT_EV_UPDATED), 2);
}

/* --- R22 ------------------------------------------------------------------------- */

static void test_R22_supported_binding_is_used_and_announced(void **state)
{
    harness h;
    h_dgram d;
    char buf[16];
    (void)state;

    setup_registered(&h);
    assert_int_equal(h_put_text(&h, "1/0/7", "UQ", &d), TETHER_COAP_CHANGED);
    h_expect(&h, &d);
    h_assert_request(&d, TETHER_COAP_POST, "rd/s", "b=UQ", NULL);
    h_answer(&h, 0, &d, TETHER_COAP_CHANGED, NULL);
    assert_string_equal(text_of(&h, "1/0/7", buf, sizeof(buf)), "UQ");
    /* Announced once; a Register after a failure carries the new binding. */
    assert_true(h_run_until_sent(&h, 300 * 1000, &d));
    h_assert_request(&d, TETHER_COAP_POST, "rd/s", "", NULL);
    h_answer(&h, 0, &d, TETHER_COAP_NOT_FOUND, NULL);
    h_expect(&h, &d);
    h_assert_request(&d, TETHER_COAP_POST, "rd", "ep=dev1&lt=300&lwm2m=1.0&b=UQ", "</1/0>,</3/0>");
    /* And back to U. */
    h_answer(&h, 0, &d, TETHER_COAP_CREATED, "rd/t");
    assert_int_equal(h_put_text(&h, "1/0/7", "U", &d), TETHER_COAP_CHANGED);
    h_expect(&h, &d);
    h_assert_request(&d, TETHER_COAP_POST, "rd/t", "b=U", NULL);
}

static void test_R22_unsupported_or_invalid_binding_is_refused(void **state)
{
    static const char *bad[] = {"S", "SQ", "US", "UQS", "X", "u", "UU", "QU", "U Q"};
    harness h;
    h_dgram d;
    char buf[16];
    (void)state;

    setup_registered(&h);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(h_put_text(&h, "1/0/7", bad[i], &d), TETHER_COAP_BAD_REQUEST);
        h_expect_none(&h);
    }
    assert_string_equal(text_of(&h, "1/0/7", buf, sizeof(buf)), "U");
    assert_int_equal(h_count_events(&h, TETHER_CLIENT_EV_WRITTEN), 0);
}

/* --- R20 ------------------------------------------------------------------------- */

static void test_R20_disable_answers_deregisters_and_goes_silent(void **state)
{
    harness h;
    h_dgram d;
    tether_time t_disabled;
    const h_event *e;
    (void)state;

    setup_registered(&h);
    assert_int_equal(h_put_text(&h, "1/0/5", "30", &d), TETHER_COAP_CHANGED);
    assert_int_equal(h_post(&h, "1/0/4", -1, NULL, 0, &d), TETHER_COAP_CHANGED);
    assert_int_equal(d.m.type, TETHER_COAP_ACK); /* the response goes first */
    h_expect(&h, &d);
    h_assert_request(&d, TETHER_COAP_DELETE, "rd/s", "", NULL);
    h_answer(&h, 0, &d, TETHER_COAP_DELETED, NULL);
    t_disabled = h.now;
    assert_int_equal(tether_client_server_state(h.c, 1), TETHER_CLIENT_DISABLED);
    e = h_last_event(&h, TETHER_CLIENT_EV_DISABLED);
    assert_non_null(e);
    assert_int_equal(e->at, t_disabled + 30000);

    /* Everything from that server is ignored: no answer, not even an ACK. */
    {
        h_req r = {TETHER_COAP_GET, "1/0/1", -1, -1, NULL, 0, NULL, 0};
        h_request(&h, 0, &r, NULL);
        h_expect_none(&h);
        r.code = TETHER_COAP_POST;
        r.path = "1/0/8";
        h_request(&h, 0, &r, NULL);
        h_expect_none(&h);
    }
    h_advance_to(&h, t_disabled + 29999);
    h_expect_none(&h);
    assert_int_equal(h_count_events(&h, TETHER_CLIENT_EV_ENABLED), 0);

    /* Then Register again. */
    assert_true(h_run_until_sent(&h, 1, &d));
    assert_int_equal(h.now, t_disabled + 30000);
    h_assert_request(&d, TETHER_COAP_POST, "rd", "ep=dev1&lt=300&lwm2m=1.0&b=U", "</1/0>,</3/0>");
    assert_int_equal(h_count_events(&h, TETHER_CLIENT_EV_ENABLED), 1);
    h_answer(&h, 0, &d, TETHER_COAP_CREATED, "rd/n");
    assert_int_equal(tether_client_server_state(h.c, 1), TETHER_CLIENT_REGISTERED);
}

static void test_R20_disable_timeout_defaults_to_a_day(void **state)
{
    harness h;
    h_dgram d;
    tether_time t;
    char buf[16];
    (void)state;

    setup_registered(&h);
    assert_string_equal(text_of(&h, "1/0/5", buf, sizeof(buf)), "86400");
    assert_int_equal(h_post(&h, "1/0/4", -1, NULL, 0, &d), TETHER_COAP_CHANGED);
    h_expect(&h, &d);
    h_answer(&h, 0, &d, TETHER_COAP_DELETED, NULL);
    t = h.now;
    assert_true(h_run_until_sent(&h, 2 * 86400 * 1000ull, &d));
    assert_int_equal(h.now, t + 86400 * 1000ull);
    assert_int_equal(d.m.code, TETHER_COAP_POST);
}

static void test_R20_requests_while_deregistering_are_ignored(void **state)
{
    harness h;
    h_dgram d, del;
    h_req r = {TETHER_COAP_GET, "1/0/1", -1, -1, NULL, 0, NULL, 0};
    (void)state;

    setup_registered(&h);
    assert_int_equal(h_post(&h, "1/0/4", -1, NULL, 0, &d), TETHER_COAP_CHANGED);
    h_expect(&h, &del);
    h_request(&h, 0, &r, NULL);
    h_expect_none(&h);
    h_answer(&h, 0, &del, TETHER_COAP_DELETED, NULL);
    assert_int_equal(tether_client_server_state(h.c, 1), TETHER_CLIENT_DISABLED);
}

static void test_R20_unanswered_deregister_still_disables(void **state)
{
    harness h;
    h_dgram d;
    tether_time t;
    (void)state;

    setup_registered(&h);
    assert_int_equal(h_put_text(&h, "1/0/5", "600", &d), TETHER_COAP_CHANGED);
    assert_int_equal(h_post(&h, "1/0/4", -1, NULL, 0, &d), TETHER_COAP_CHANGED);
    h_expect(&h, &d);
    h_assert_request(&d, TETHER_COAP_DELETE, "rd/s", "", NULL);
    while (tether_client_server_state(h.c, 1) != TETHER_CLIENT_DISABLED) {
        tether_time dl = tether_client_next_deadline(h.c);
        assert_true(dl != TETHER_TIME_NEVER);
        h_advance_to(&h, dl);
    }
    t = h.now;
    while (h_take(&h, &d))
        assert_int_equal(d.m.code, TETHER_COAP_DELETE); /* retransmissions only */
    assert_true(h_run_until_sent(&h, 3600 * 1000, &d));
    assert_int_equal(h.now, t + 600 * 1000);
    assert_int_equal(d.m.code, TETHER_COAP_POST);
}

static void test_R20_other_servers_are_not_disabled(void **state)
{
    harness h;
    h_dgram d1, d2;
    char buf[16];
    (void)state;

    h_init_cfg(&h, "dev1");
    h_init_client(&h);
    h_add_server(&h, 0, 1, 300, NULL);
    h_add_server(&h, 1, 2, 300, NULL);
    assert_int_equal(tether_client_start(h.c, h.now), 0);
    h_expect(&h, &d1);
    h_expect(&h, &d2);
    h_answer(&h, 0, &d1, TETHER_COAP_CREATED, "rd/a");
    h_answer(&h, 1, &d2, TETHER_COAP_CREATED, "rd/b");
    assert_int_equal(h_post(&h, "1/0/4", -1, NULL, 0, &d1), TETHER_COAP_CHANGED);
    h_expect(&h, &d1);
    h_answer(&h, 0, &d1, TETHER_COAP_DELETED, NULL);
    assert_int_equal(tether_client_server_state(h.c, 1), TETHER_CLIENT_DISABLED);
    assert_int_equal(tether_client_server_state(h.c, 2), TETHER_CLIENT_REGISTERED);
    {
        h_req r = {TETHER_COAP_GET, "1/1/0", -1, -1, NULL, 0, NULL, 0};
        h_request(&h, 1, &r, &d2);
        assert_int_equal(d2.m.code, TETHER_COAP_CONTENT);
        assert_string_equal(h_payload(&d2, buf, sizeof(buf)), "2");
    }
}

/* --- R19 ------------------------------------------------------------------------- */

static void expect_code(harness *h, uint8_t method, const char *path, int ct, const char *text,
                        uint8_t code)
{
    h_dgram d;
    char cs1[5], cs2[5];
    h_req r = {method, path, ct, -1, text, text ? strlen(text) : 0, NULL, 0};

    h_request(h, 0, &r, &d);
    if (d.m.code != code)
        fail_msg("%s /%s: got %s, want %s", method == TETHER_COAP_GET ? "GET" : "op", path,
                 tether_coap_code_str(d.m.code, cs1), tether_coap_code_str(code, cs2));
}

static void test_R19_operations_outside_the_table_are_405(void **state)
{
    harness h;
    char buf[16];
    (void)state;

    setup_registered(&h);
    /* Write on read-only, Execute on values, Read and Write on executables. */
    expect_code(&h, TETHER_COAP_PUT, "1/0/0", 0, "5", TETHER_COAP_METHOD_NOT_ALLOWED);
    for (int r = 0; r <= 7; r++) {
        char p[8];
        if (r == 4)
            continue;
        snprintf(p, sizeof(p), "1/0/%d", r);
        expect_code(&h, TETHER_COAP_POST, p, -1, NULL, TETHER_COAP_METHOD_NOT_ALLOWED);
    }
    expect_code(&h, TETHER_COAP_GET, "1/0/4", -1, NULL, TETHER_COAP_METHOD_NOT_ALLOWED);
    expect_code(&h, TETHER_COAP_GET, "1/0/8", -1, NULL, TETHER_COAP_METHOD_NOT_ALLOWED);
    expect_code(&h, TETHER_COAP_PUT, "1/0/4", 0, "1", TETHER_COAP_METHOD_NOT_ALLOWED);
    expect_code(&h, TETHER_COAP_PUT, "1/0/8", 0, "1", TETHER_COAP_METHOD_NOT_ALLOWED);
    /* Create and Delete of server accounts, writes on the object. */
    expect_code(&h, TETHER_COAP_POST, "1", TETHER_FMT_TLV, "\xC1\x00\x05",
                TETHER_COAP_METHOD_NOT_ALLOWED);
    expect_code(&h, TETHER_COAP_DELETE, "1/0", -1, NULL, TETHER_COAP_METHOD_NOT_ALLOWED);
    expect_code(&h, TETHER_COAP_DELETE, "1", -1, NULL, TETHER_COAP_METHOD_NOT_ALLOWED);
    expect_code(&h, TETHER_COAP_DELETE, "1/0/1", -1, NULL, TETHER_COAP_METHOD_NOT_ALLOWED);
    expect_code(&h, TETHER_COAP_PUT, "1", TETHER_FMT_TLV, "\xC1\x01\x05",
                TETHER_COAP_METHOD_NOT_ALLOWED);
    expect_code(&h, TETHER_COAP_FETCH, "1/0/1", -1, NULL, TETHER_COAP_METHOD_NOT_ALLOWED);
    expect_code(&h, TETHER_COAP_IPATCH, "1/0/1", -1, NULL, TETHER_COAP_METHOD_NOT_ALLOWED);
    assert_string_equal(text_of(&h, "1/0/0", buf, sizeof(buf)), "1");
    h_expect_none(&h); /* no Update, no De-register */
    assert_int_equal(tether_client_server_state(h.c, 1), TETHER_CLIENT_REGISTERED);
}

static void test_R19_values_outside_range_or_type_are_400(void **state)
{
    static const struct { const char *path, *text; } bad[] = {
        {"1/0/1", "0"},     {"1/0/1", "-5"},       {"1/0/1", "abc"},   {"1/0/1", "2147483648"},
        {"1/0/1", "1.5"},   {"1/0/1", " 60"},      {"1/0/1", "99999999999999999999"},
        {"1/0/2", "-1"},    {"1/0/3", "-1"},       {"1/0/5", "-1"},    {"1/0/6", "2"},
        {"1/0/6", "true"},  {"1/0/7", ""},
    };
    harness h;
    h_dgram d;
    char buf[32];
    (void)state;

    setup_registered(&h);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_code(&h, TETHER_COAP_PUT, bad[i].path, TETHER_FMT_TEXT, bad[i].text,
                    TETHER_COAP_BAD_REQUEST);
    /* Nothing changed, nothing sent. */
    assert_int_equal(h_get(&h, "1/0", -1, &d), TETHER_COAP_CONTENT);
    assert_memory_equal(d.m.payload, server_tlv, sizeof(server_tlv));
    h_expect_none(&h);
    assert_string_equal(text_of(&h, "1/0/1", buf, sizeof(buf)), "300");
    /* The top of each range is fine. */
    expect_code(&h, TETHER_COAP_PUT, "1/0/5", TETHER_FMT_TEXT, "0", TETHER_COAP_CHANGED);
    expect_code(&h, TETHER_COAP_PUT, "1/0/1", TETHER_FMT_TEXT, "2147483647", TETHER_COAP_CHANGED);
    h_expect(&h, &d);
    h_assert_request(&d, TETHER_COAP_POST, "rd/s", "lt=2147483647", NULL);
}

static void test_R19_refused_tlv_write_changes_nothing(void **state)
{
    static const uint8_t lt_and_bad_pmin[] = {0xC1, 0x01, 0x78, 0xC1, 0x02, 0xFF};
    static const uint8_t lt_and_ssid[] = {0xC1, 0x01, 0x78, 0xC1, 0x00, 0x05};
    static const uint8_t lt_and_bad_binding[] = {0xC1, 0x01, 0x32, 0xC1, 0x07, 'S'};
    static const uint8_t lt_and_unknown[] = {0xC1, 0x01, 0x32, 0xC1, 0x09, 0x01};
    static const uint8_t truncated[] = {0xC1, 0x01, 0x32, 0xC2, 0x02, 0x01};
    static const uint8_t wrong_instance[] = {0x03, 0x01, 0xC1, 0x01, 0x32};
    static const struct { uint8_t method; const uint8_t *p; size_t n; uint8_t code; } cases[] = {
        {TETHER_COAP_PUT, lt_and_bad_pmin, sizeof(lt_and_bad_pmin), TETHER_COAP_BAD_REQUEST},
        {TETHER_COAP_POST, lt_and_bad_pmin, sizeof(lt_and_bad_pmin), TETHER_COAP_BAD_REQUEST},
        {TETHER_COAP_PUT, lt_and_ssid, sizeof(lt_and_ssid), TETHER_COAP_METHOD_NOT_ALLOWED},
        {TETHER_COAP_POST, lt_and_bad_binding, sizeof(lt_and_bad_binding), TETHER_COAP_BAD_REQUEST},
        {TETHER_COAP_POST, lt_and_unknown, sizeof(lt_and_unknown), TETHER_COAP_NOT_FOUND},
        {TETHER_COAP_POST, truncated, sizeof(truncated), TETHER_COAP_BAD_REQUEST},
        {TETHER_COAP_PUT, wrong_instance, sizeof(wrong_instance), TETHER_COAP_BAD_REQUEST},
    };
    harness h;
    h_dgram d;
    (void)state;

    setup_registered(&h);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        h_req r = {cases[i].method, "1/0", TETHER_FMT_TLV, -1, cases[i].p, cases[i].n, NULL, 0};
        h_request(&h, 0, &r, &d);
        assert_int_equal(d.m.code, cases[i].code);
        h_expect_none(&h);
    }
    assert_int_equal(h_get(&h, "1/0", -1, &d), TETHER_COAP_CONTENT);
    assert_memory_equal(d.m.payload, server_tlv, sizeof(server_tlv));
    assert_int_equal(h_count_events(&h, TETHER_CLIENT_EV_WRITTEN), 0);
}

static void test_R19_unknown_paths_are_404(void **state)
{
    harness h;
    (void)state;

    setup_registered(&h);
    expect_code(&h, TETHER_COAP_GET, "1/1", -1, NULL, TETHER_COAP_NOT_FOUND);
    expect_code(&h, TETHER_COAP_GET, "1/0/9", -1, NULL, TETHER_COAP_NOT_FOUND);
    expect_code(&h, TETHER_COAP_PUT, "1/0/9", 0, "1", TETHER_COAP_NOT_FOUND);
    expect_code(&h, TETHER_COAP_POST, "1/3/8", -1, NULL, TETHER_COAP_NOT_FOUND);
    expect_code(&h, TETHER_COAP_GET, "1/0/1/0", -1, NULL, TETHER_COAP_NOT_FOUND);
    expect_code(&h, TETHER_COAP_GET, "1/0/x", -1, NULL, TETHER_COAP_NOT_FOUND);
    expect_code(&h, TETHER_COAP_GET, "1/65535", -1, NULL, TETHER_COAP_NOT_FOUND);
    expect_code(&h, TETHER_COAP_GET, "2", -1, NULL, TETHER_COAP_NOT_FOUND);
    expect_code(&h, TETHER_COAP_GET, "rd", -1, NULL, TETHER_COAP_NOT_FOUND);
    h_expect_none(&h);
}

static void test_R19_unsupported_content_formats(void **state)
{
    harness h;
    h_dgram d;
    (void)state;

    setup_registered(&h);
    /* 4.15: a format we do not take (50 is plain application/json, which
     * LwM2M does not use), or one that cannot carry the target. */
    expect_code(&h, TETHER_COAP_PUT, "1/0/1", 50, "{}", TETHER_COAP_UNSUPPORTED_CONTENT_FORMAT);
    expect_code(&h, TETHER_COAP_PUT, "1/0", TETHER_FMT_CBOR, "\x18\x3c",
                TETHER_COAP_UNSUPPORTED_CONTENT_FORMAT);
    expect_code(&h, TETHER_COAP_PUT, "1/0/1", TETHER_FMT_OPAQUE, "\x01", TETHER_COAP_UNSUPPORTED_CONTENT_FORMAT);
    expect_code(&h, TETHER_COAP_PUT, "1/0", TETHER_FMT_TEXT, "60", TETHER_COAP_UNSUPPORTED_CONTENT_FORMAT);
    expect_code(&h, TETHER_COAP_POST, "1/0", TETHER_FMT_LINK, "</1>", TETHER_COAP_UNSUPPORTED_CONTENT_FORMAT);
    /* 4.06: an Accept we cannot produce. */
    assert_int_equal(h_get(&h, "1/0/1", 50, &d), TETHER_COAP_NOT_ACCEPTABLE);
    assert_int_equal(h_get(&h, "1/0/1", TETHER_FMT_OPAQUE, &d), TETHER_COAP_NOT_ACCEPTABLE);
    assert_int_equal(h_get(&h, "1/0", TETHER_FMT_TEXT, &d), TETHER_COAP_NOT_ACCEPTABLE);
    assert_int_equal(h_get(&h, "1", TETHER_FMT_CBOR, &d), TETHER_COAP_NOT_ACCEPTABLE); /* one value */
    h_expect_none(&h);
    assert_int_equal(tether_client_lifetime(h.c, 1), 300);
}

/* A PUT with only a query is Write-Attributes (test_observe.c has the
 * rules); without one and without a payload it is a bad Write. */
static void test_obj_server_write_attributes_is_a_put_with_only_a_query(void **state)
{
    harness h;
    h_dgram d;
    h_req r = {TETHER_COAP_PUT, "1/0/1", -1, -1, NULL, 0, "pmin=10", 0};
    (void)state;

    setup_registered(&h);
    h_request(&h, 0, &r, &d);
#if TETHER_CLIENT_MAX_OBSERVATIONS > 0
    assert_int_equal(d.m.code, TETHER_COAP_CHANGED);
#else
    assert_int_equal(d.m.code, TETHER_COAP_NOT_IMPLEMENTED);
#endif
    assert_int_equal(tether_client_lifetime(h.c, 1), 300); /* not a Write of the value */
    r.query = NULL;
    h_request(&h, 0, &r, &d);
    assert_int_equal(d.m.code, TETHER_COAP_BAD_REQUEST);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_obj_server_reads_as_text_and_tlv),
        cmocka_unit_test(test_R8_server_write_of_lifetime_answers_then_updates_with_lt),
        cmocka_unit_test(test_R8_server_write_of_same_lifetime_changes_nothing),
        cmocka_unit_test(test_R8_tlv_instance_write_of_lifetime_updates_with_lt),
        cmocka_unit_test(test_R23_update_trigger_sends_update_after_the_answer),
        cmocka_unit_test(test_R22_supported_binding_is_used_and_announced),
        cmocka_unit_test(test_R22_unsupported_or_invalid_binding_is_refused),
        cmocka_unit_test(test_R20_disable_answers_deregisters_and_goes_silent),
        cmocka_unit_test(test_R20_disable_timeout_defaults_to_a_day),
        cmocka_unit_test(test_R20_requests_while_deregistering_are_ignored),
        cmocka_unit_test(test_R20_unanswered_deregister_still_disables),
        cmocka_unit_test(test_R20_other_servers_are_not_disabled),
        cmocka_unit_test(test_R19_operations_outside_the_table_are_405),
        cmocka_unit_test(test_R19_values_outside_range_or_type_are_400),
        cmocka_unit_test(test_R19_refused_tlv_write_changes_nothing),
        cmocka_unit_test(test_R19_unknown_paths_are_404),
        cmocka_unit_test(test_R19_unsupported_content_formats),
        cmocka_unit_test(test_obj_server_write_attributes_is_a_put_with_only_a_query),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
