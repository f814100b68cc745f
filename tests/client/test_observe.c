/* SPDX-License-Identifier: Apache-2.0 */
/* Information reporting on the client (src/client/observe.c, attrs.c):
 * Observe and its cancellation, Write-Attributes and Discover, when
 * notifications go (pmin, pmax, gt, lt, st, the Server object's defaults
 * of R24), NON and CON, and what ends an observation (RST, an unanswered
 * CON, Observe 1, a deleted instance). A virtual clock; every case reads
 * the notifications off the wire: type, token, Observe value, content
 * format and payload. */
#include "client/observe_harness.h"

#define LT_LONG 200000 /* no Update within a test unless it wants one */

static void setup(harness *h, sensor *s)
{
    o_setup(h, s, LT_LONG, NULL, NULL);
}

/* --- Observe --------------------------------------------------------------------- */

static void test_observe_resource_answers_with_observe_and_value(void **state)
{
    harness h;
    sensor s;
    h_dgram d;
    char buf[64];
    uint32_t seq;
    (void)state;

    setup(&h, &s);
    seq = o_observe(&h, "3303/0/5700", 1, -1, &d);
    assert_int_equal(h_ct(&d), TETHER_FMT_TEXT);
    assert_string_equal(h_payload(&d, buf, sizeof(buf)), "21.5");
    assert_true(seq > 0);
    assert_int_equal(h_count_events(&h, TETHER_CLIENT_EV_OBSERVED), 1);
    assert_int_equal(h_last_event(&h, TETHER_CLIENT_EV_OBSERVED)->path.len, 3);
    assert_int_equal(o_stats(&h, 1).observations, 1);
    /* Nothing changes, no pmax: nothing is sent, however long we wait. */
    h_advance(&h, 48ull * 3600 * 1000);
    h_expect_none(&h);
}

static void test_observe_change_notifies_non_with_growing_observe_values(void **state)
{
    harness h;
    sensor s;
    h_dgram d;
    uint32_t seq0, seq1, seq2;
    (void)state;

    setup(&h, &s);
    seq0 = o_observe(&h, "3303/0/5700", 7, -1, &d);
    h_advance(&h, 1000);
    o_set(&h, &s, 0, 22.25);
    h_expect(&h, &d);
    seq1 = o_assert_notify(&d, TETHER_COAP_NON, 7, TETHER_FMT_TEXT, "22.25");
    h_advance(&h, 1000);
    o_set(&h, &s, 0, -3);
    h_expect(&h, &d);
    seq2 = o_assert_notify(&d, TETHER_COAP_NON, 7, TETHER_FMT_TEXT, "-3");
    assert_true(seq0 < seq1 && seq1 < seq2);
    /* A change elsewhere in the object does not concern it. */
    o_set(&h, &s, 1, 99);
    h_expect_none(&h);
    assert_int_equal(o_stats(&h, 1).sent, 2);
}

static void test_observe_instance_and_object_notify_as_tlv(void **state)
{
    harness h;
    sensor s;
    h_dgram d;
    tether_tlv_iter it;
    tether_tlv_entry e;
    (void)state;

    setup(&h, &s);
    o_observe(&h, "3303/1", 2, -1, &d);
    assert_int_equal(h_ct(&d), TETHER_FMT_TLV);
    o_observe(&h, "3303", 3, -1, &d);
    assert_int_equal(h_ct(&d), TETHER_FMT_TLV);
    o_set(&h, &s, 1, 12.5);
    /* Both observations are touched; each notifies once, in table order. */
    h_expect(&h, &d);
    o_assert_notify(&d, TETHER_COAP_NON, 2, TETHER_FMT_TLV, NULL);
    tether_tlv_iter_init(&it, d.m.payload, d.m.payload_len);
    assert_int_equal(tether_tlv_next(&it, &e), 0);
    assert_int_equal(e.id, T_VALUE); /* the instance's first readable resource */
    h_expect(&h, &d);
    o_assert_notify(&d, TETHER_COAP_NON, 3, TETHER_FMT_TLV, NULL);
    tether_tlv_iter_init(&it, d.m.payload, d.m.payload_len);
    assert_int_equal(tether_tlv_next(&it, &e), 0);
    assert_int_equal(e.type, TETHER_TLV_OBJECT_INSTANCE);
    h_expect_none(&h);
}

static void test_observe_with_accept_keeps_that_format(void **state)
{
    harness h;
    sensor s;
    h_dgram d;
    (void)state;

    setup(&h, &s);
    o_observe(&h, "3303/0/5700", 4, TETHER_FMT_TLV, &d);
    assert_int_equal(h_ct(&d), TETHER_FMT_TLV);
    o_set(&h, &s, 0, 1);
    h_expect(&h, &d);
    o_assert_notify(&d, TETHER_COAP_NON, 4, TETHER_FMT_TLV, NULL);
}

static void test_observe_1_cancels_and_answers_as_a_read(void **state)
{
    harness h;
    sensor s;
    h_dgram d;
    o_req r = {TETHER_COAP_GET, "3303/0/5700", 1, 9, -1, {NULL}, NULL};
    uint32_t seq;
    (void)state;

    setup(&h, &s);
    o_observe(&h, "3303/0/5700", 9, -1, &d);
    o_request(&h, 0, &r, &d);
    assert_int_equal(d.m.code, TETHER_COAP_CONTENT);
    assert_int_equal(tether_coap_observe(&d.m, &seq), TETHER_ERR_NOT_FOUND);
    assert_int_equal(h_count_events(&h, TETHER_CLIENT_EV_OBSERVE_CANCELLED), 1);
    assert_int_equal(h_last_event(&h, TETHER_CLIENT_EV_OBSERVE_CANCELLED)->err, 0);
    o_set(&h, &s, 0, 5);
    h_expect_none(&h);
    assert_int_equal(o_stats(&h, 1).observations, 0);
}

static void test_observe_same_token_replaces_the_observation(void **state)
{
    harness h;
    sensor s;
    h_dgram d;
    (void)state;

    setup(&h, &s);
    o_observe(&h, "3303/0/5700", 5, -1, &d);
    o_observe(&h, "3303/1/5700", 5, -1, &d); /* same token, another target */
    assert_int_equal(o_stats(&h, 1).observations, 1);
    o_set(&h, &s, 0, 5);
    h_expect_none(&h);
    o_set(&h, &s, 1, 6);
    h_expect(&h, &d);
    o_assert_notify(&d, TETHER_COAP_NON, 5, TETHER_FMT_TEXT, "6");
}

static void test_observe_refused_target_registers_nothing(void **state)
{
    harness h;
    sensor s;
    h_dgram d;
    o_req r = {TETHER_COAP_GET, "3303/0/5605", 0, 1, -1, {NULL}, NULL};
    uint32_t seq;
    (void)state;

    setup(&h, &s);
    o_request(&h, 0, &r, &d); /* Execute-only */
    assert_int_equal(d.m.code, TETHER_COAP_METHOD_NOT_ALLOWED);
    r.path = "3303/7";
    o_request(&h, 0, &r, &d);
    assert_int_equal(d.m.code, TETHER_COAP_NOT_FOUND);
    assert_int_equal(tether_coap_observe(&d.m, &seq), TETHER_ERR_NOT_FOUND);
    assert_int_equal(o_stats(&h, 1).observations, 0);
    assert_int_equal(h_count_events(&h, TETHER_CLIENT_EV_OBSERVED), 0);
}

static void test_observe_table_full_answers_as_a_plain_read(void **state)
{
    harness h;
    sensor s;
    h_dgram d;
    uint32_t seq;
    o_req r = {TETHER_COAP_GET, "3303/0/5700", 0, 0, -1, {NULL}, NULL};
    (void)state;

    setup(&h, &s);
    for (int i = 0; i < TETHER_CLIENT_MAX_OBSERVATIONS; i++)
        o_observe(&h, "3303/0/5700", (uint8_t)(0x80 + i), -1, &d);
    o_request(&h, 0, &r, &d); /* RFC 7641 §4.1: no room, no Observe option */
    assert_int_equal(d.m.code, TETHER_COAP_CONTENT);
    assert_int_equal(tether_coap_observe(&d.m, &seq), TETHER_ERR_NOT_FOUND);
    assert_int_equal(o_stats(&h, 1).observations, TETHER_CLIENT_MAX_OBSERVATIONS);
}

static void test_observe_server_write_is_a_change(void **state)
{
    harness h;
    sensor s;
    h_dgram d;
    o_req w = {TETHER_COAP_PUT, "3303/0/5750", -1, 0x22, -1, {NULL}, "17"};
    (void)state;

    setup(&h, &s);
    o_observe(&h, "3303/0/5750", 1, -1, &d);
    o_request(&h, 0, &w, &d);
    assert_int_equal(d.m.code, TETHER_COAP_CHANGED); /* the answer leaves first */
    h_expect(&h, &d);
    o_assert_notify(&d, TETHER_COAP_NON, 1, TETHER_FMT_TEXT, "17");
}

static void test_observe_deleted_instance_ends_with_404(void **state)
{
    harness h;
    sensor s;
    h_dgram d;
    o_req del = {TETHER_COAP_DELETE, "3303/1", -1, 0x23, -1, {NULL}, NULL};
    uint32_t seq;
    (void)state;

    setup(&h, &s);
    o_observe(&h, "3303/1/5700", 6, -1, &d);
    o_request(&h, 0, &del, &d);
    assert_int_equal(d.m.code, TETHER_COAP_DELETED);
    h_expect(&h, &d); /* the Update with the new object list */
    assert_int_equal(d.m.code, TETHER_COAP_POST);
    h_expect(&h, &d); /* RFC 7641 §3.2: the error ends it, without Observe */
    assert_int_equal(d.m.code, TETHER_COAP_NOT_FOUND);
    assert_int_equal(d.m.token[1], 6);
    assert_int_equal(tether_coap_observe(&d.m, &seq), TETHER_ERR_NOT_FOUND);
    assert_int_equal(h_last_event(&h, TETHER_CLIENT_EV_OBSERVE_CANCELLED)->err,
                     TETHER_ERR_NOT_FOUND);
    assert_int_equal(o_stats(&h, 1).observations, 0);
}

/* --- pmin / pmax ------------------------------------------------------------------- */

static void test_observe_pmin_holds_a_change_back(void **state)
{
    harness h;
    sensor s;
    h_dgram d[4];
    tether_time at[4], t0;
    (void)state;

    setup(&h, &s);
    assert_int_equal(o_attrs(&h, "3303/0/5700", "pmin=10", NULL, NULL, NULL),
                     TETHER_COAP_CHANGED);
    o_observe(&h, "3303/0/5700", 1, -1, &d[0]);
    t0 = h.now;
    h_advance(&h, 2000);
    o_set(&h, &s, 0, 23);
    h_expect_none(&h); /* pmin: not before t0 + 10 s */
    h_advance(&h, 3000);
    o_set(&h, &s, 0, 24); /* a second change meanwhile: one notification, the latest value */
    assert_int_equal(o_collect(&h, t0 + 30000, d, at, 4), 1);
    assert_int_equal(at[0], t0 + 10000);
    o_assert_notify(&d[0], TETHER_COAP_NON, 1, TETHER_FMT_TEXT, "24");
    /* Long after the last one, a change goes at once. */
    o_set(&h, &s, 0, 25);
    h_expect(&h, &d[0]);
    o_assert_notify(&d[0], TETHER_COAP_NON, 1, TETHER_FMT_TEXT, "25");
}

static void test_observe_pmax_notifies_without_change(void **state)
{
    harness h;
    sensor s;
    h_dgram d[8];
    tether_time at[8], t0;
    uint32_t prev = 0;
    (void)state;

    setup(&h, &s);
    assert_int_equal(o_attrs(&h, "3303/0/5700", "pmax=30", NULL, NULL, NULL),
                     TETHER_COAP_CHANGED);
    prev = o_observe(&h, "3303/0/5700", 1, -1, &d[0]);
    t0 = h.now;
    assert_int_equal(o_collect(&h, t0 + 95000, d, at, 8), 3);
    for (int i = 0; i < 3; i++) {
        uint32_t seq = o_assert_notify(&d[i], TETHER_COAP_NON, 1, TETHER_FMT_TEXT, "21.5");
        assert_int_equal(at[i], t0 + 30000u * (uint64_t)(i + 1));
        assert_true(seq > prev);
        prev = seq;
    }
    /* A change restarts the period. */
    o_set(&h, &s, 0, 1);
    h_expect(&h, &d[0]);
    assert_int_equal(o_collect(&h, h.now + 29999, d, at, 8), 0);
    assert_int_equal(o_collect(&h, h.now + 1, d, at, 8), 1);
}

static void test_observe_pmax_below_pmin_is_ignored(void **state)
{
    harness h;
    sensor s;
    h_dgram d[4];
    (void)state;

    setup(&h, &s);
    /* Written at two levels, so neither request is refused. */
    assert_int_equal(o_attrs(&h, "3303", "pmin=20", NULL, NULL, NULL), TETHER_COAP_CHANGED);
    assert_int_equal(o_attrs(&h, "3303/0/5700", "pmax=5", NULL, NULL, NULL),
                     TETHER_COAP_CHANGED);
    o_observe(&h, "3303/0/5700", 1, -1, &d[0]);
    assert_int_equal(o_collect(&h, h.now + 3600000, d, NULL, 4), 0);
}

/* --- R24: the Server object's Default Minimum / Maximum Period --------------------- */

static void test_R24_defaults_apply_when_the_observation_has_none(void **state)
{
    harness h;
    sensor s;
    h_dgram d[8];
    tether_time at[8], t0;
    (void)state;

    setup(&h, &s);
    /* The server sets /1/0/2 = 5 and /1/0/3 = 20; no attributes anywhere. */
    assert_int_equal(h_put_text(&h, "1/0/2", "5", &d[0]), TETHER_COAP_CHANGED);
    assert_int_equal(h_put_text(&h, "1/0/3", "20", &d[0]), TETHER_COAP_CHANGED);
    o_observe(&h, "3303/0/5700", 1, -1, &d[0]);
    t0 = h.now;
    /* pmax 20 from /1/0/3 */
    assert_int_equal(o_collect(&h, t0 + 20000, d, at, 8), 1);
    assert_int_equal(at[0], t0 + 20000);
    o_assert_notify(&d[0], TETHER_COAP_NON, 1, TETHER_FMT_TEXT, "21.5");
    /* pmin 5 from /1/0/2: a change 1 s after it waits until 5 s after it. */
    h_advance(&h, 1000);
    o_set(&h, &s, 0, 30);
    h_expect_none(&h);
    assert_int_equal(o_collect(&h, t0 + 45000, d, at, 8), 2);
    assert_int_equal(at[0], t0 + 25000);
    o_assert_notify(&d[0], TETHER_COAP_NON, 1, TETHER_FMT_TEXT, "30");
    assert_int_equal(at[1], t0 + 45000); /* and pmax counts from there */
    o_assert_notify(&d[1], TETHER_COAP_NON, 1, TETHER_FMT_TEXT, "30");
}

static void test_R24_absent_default_pmin_is_0_and_pmax_none(void **state)
{
    harness h;
    sensor s;
    h_dgram d[2];
    (void)state;

    setup(&h, &s); /* default_pmin 0, default_pmax 0 (none) */
    o_observe(&h, "3303/0/5700", 1, -1, &d[0]);
    assert_int_equal(o_collect(&h, h.now + 48ull * 3600000, d, NULL, 2), 0);
    o_set(&h, &s, 0, 1); /* pmin 0: at once -- and CON, the last one is 2 days old */
    h_expect(&h, &d[0]);
    o_assert_notify(&d[0], TETHER_COAP_CON, 1, TETHER_FMT_TEXT, "1");
}

static void test_R24_defaults_changed_while_observing_apply_at_once(void **state)
{
    harness h;
    sensor s;
    h_dgram d[8];
    tether_time at[8], t0;
    (void)state;

    setup(&h, &s);
    o_observe(&h, "3303/0/5700", 1, -1, &d[0]);
    t0 = h.now;
    assert_int_equal(o_collect(&h, t0 + 3600000, d, NULL, 8), 0); /* /1/0/3 absent: none */
    t0 = h.now;
    assert_int_equal(h_put_text(&h, "1/0/3", "60", &d[0]), TETHER_COAP_CHANGED);
    /* pmax counts from the last notification, long past: one goes now. */
    assert_int_equal(o_collect(&h, t0 + 60000, d, at, 8), 2);
    assert_int_equal(at[0], t0);
    assert_int_equal(at[1], t0 + 60000);
}

static void test_R24_explicit_attributes_override_the_defaults(void **state)
{
    harness h;
    sensor s;
    h_dgram d[8];
    tether_time at[8], t0;
    (void)state;

    setup(&h, &s);
    assert_int_equal(h_put_text(&h, "1/0/2", "5", &d[0]), TETHER_COAP_CHANGED);
    assert_int_equal(h_put_text(&h, "1/0/3", "20", &d[0]), TETHER_COAP_CHANGED);
    assert_int_equal(o_attrs(&h, "3303/0", "pmax=50", NULL, NULL, NULL), TETHER_COAP_CHANGED);
    assert_int_equal(o_attrs(&h, "3303/0/5700", "pmin=0", NULL, NULL, NULL),
                     TETHER_COAP_CHANGED);
    o_observe(&h, "3303/0/5700", 1, -1, &d[0]);
    t0 = h.now;
    assert_int_equal(o_collect(&h, t0 + 49999, d, at, 8), 0); /* not the default 20 */
    assert_int_equal(o_collect(&h, t0 + 50000, d, at, 8), 1);
    o_set(&h, &s, 0, 2); /* pmin 0, not the default 5: at once */
    h_expect(&h, &d[0]);
    o_assert_notify(&d[0], TETHER_COAP_NON, 1, TETHER_FMT_TEXT, "2");
    /* The resource's pmin written away: the default comes back. */
    assert_int_equal(o_attrs(&h, "3303/0/5700", "pmin", NULL, NULL, NULL), TETHER_COAP_CHANGED);
    h_advance(&h, 1000);
    o_set(&h, &s, 0, 3);
    h_expect_none(&h);
    assert_int_equal(o_collect(&h, h.now + 4000, d, at, 8), 1);
    assert_int_equal(at[0], h.now);
}

static void test_observe_attributes_inherit_resource_over_instance_over_object(void **state)
{
    harness h;
    sensor s;
    h_dgram d[8];
    tether_time at[8], t0;
    (void)state;

    setup(&h, &s);
    assert_int_equal(o_attrs(&h, "3303", "pmax=100", NULL, NULL, NULL), TETHER_COAP_CHANGED);
    assert_int_equal(o_attrs(&h, "3303/0", "pmax=50", NULL, NULL, NULL), TETHER_COAP_CHANGED);
    assert_int_equal(o_attrs(&h, "3303/0/5700", "pmax=20", NULL, NULL, NULL),
                     TETHER_COAP_CHANGED);
    o_observe(&h, "3303/0/5700", 1, -1, &d[0]);
    o_observe(&h, "3303/1", 2, -1, &d[0]); /* only the object's applies to it */
    t0 = h.now;
    assert_int_equal(o_collect(&h, t0 + 100000, d, at, 8), 6);
    for (int i = 0; i < 5; i++) { /* the resource's own 20 s */
        assert_int_equal(d[i].m.token[1], 1);
        assert_int_equal(at[i], t0 + 20000u * (uint64_t)(i + 1));
    }
    assert_int_equal(d[5].m.token[1], 2); /* the object's 100 s */
    assert_int_equal(at[5], t0 + 100000);
    /* Without the resource's, the instance's 50 s. */
    assert_int_equal(o_attrs(&h, "3303/0/5700", "pmax", NULL, NULL, NULL), TETHER_COAP_CHANGED);
    assert_int_equal(o_collect(&h, t0 + 150000, d, at, 8), 1);
    assert_int_equal(at[0], t0 + 150000);
    assert_int_equal(d[0].m.token[1], 1);
    /* Without that either, the object's 100 s. */
    assert_int_equal(o_attrs(&h, "3303/0", "pmax", NULL, NULL, NULL), TETHER_COAP_CHANGED);
    assert_int_equal(o_collect(&h, t0 + 250000, d, at, 8), 2);
    assert_int_equal(at[0], t0 + 200000); /* /3303/1 */
    assert_int_equal(d[0].m.token[1], 2);
    assert_int_equal(at[1], t0 + 250000); /* 5700, 100 s after 150 s */
    assert_int_equal(d[1].m.token[1], 1);
}

/* --- gt / lt / st ------------------------------------------------------------------ */

static void test_observe_gt_and_lt_notify_on_crossing_either_way(void **state)
{
    harness h;
    sensor s;
    h_dgram d;
    static const struct {
        double v;
        const char *notify; /* NULL: none */
    } steps[] = {
        {22, NULL},    /* 21.5 -> 22: inside */
        {26, "26"},    /* above gt */
        {28, NULL},    /* still above */
        {24, "24"},    /* back below gt */
        {16, NULL},    /* inside */
        {14, "14"},    /* below lt */
        {15, "15"},    /* back to lt: no longer below */
        {25, NULL},    /* reaches gt without passing it */
        {30, "30"},
    };
    (void)state;

    setup(&h, &s);
    assert_int_equal(o_attrs(&h, "3303/0/5700", "gt=25", "lt=15", NULL, NULL),
                     TETHER_COAP_CHANGED);
    o_observe(&h, "3303/0/5700", 1, -1, &d);
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        h_advance(&h, 1000);
        o_set(&h, &s, 0, steps[i].v);
        if (steps[i].notify == NULL) {
            h_expect_none(&h);
        } else {
            h_expect(&h, &d);
            o_assert_notify(&d, TETHER_COAP_NON, 1, TETHER_FMT_TEXT, steps[i].notify);
        }
    }
}

static void test_observe_st_notifies_on_a_step_from_the_last_notified_value(void **state)
{
    harness h;
    sensor s;
    h_dgram d;
    static const struct {
        double v;
        const char *notify;
    } steps[] = {
        {22, NULL},     /* 0.5 from 21.5 */
        {23, NULL},     /* 1.5 */
        {23.5, "23.5"}, /* 2 */
        {22, NULL},     /* 1.5 from 23.5 */
        {21.5, "21.5"}, /* 2 down */
    };
    (void)state;

    setup(&h, &s);
    assert_int_equal(o_attrs(&h, "3303/0/5700", "st=2", NULL, NULL, NULL), TETHER_COAP_CHANGED);
    o_observe(&h, "3303/0/5700", 1, -1, &d);
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        h_advance(&h, 1000);
        o_set(&h, &s, 0, steps[i].v);
        if (steps[i].notify == NULL) {
            h_expect_none(&h);
        } else {
            h_expect(&h, &d);
            o_assert_notify(&d, TETHER_COAP_NON, 1, TETHER_FMT_TEXT, steps[i].notify);
        }
    }
}

static void test_observe_crossing_within_pmin_still_notifies_after_it(void **state)
{
    harness h;
    sensor s;
    h_dgram d[2];
    tether_time at[2], t0;
    (void)state;

    setup(&h, &s);
    assert_int_equal(o_attrs(&h, "3303/0/5700", "gt=25", "pmin=10", NULL, NULL),
                     TETHER_COAP_CHANGED);
    o_observe(&h, "3303/0/5700", 1, -1, &d[0]);
    t0 = h.now;
    h_advance(&h, 1000);
    o_set(&h, &s, 0, 26); /* crosses ... */
    h_advance(&h, 1000);
    o_set(&h, &s, 0, 24); /* ... and back, inside pmin */
    assert_int_equal(o_collect(&h, t0 + 20000, d, at, 2), 1);
    assert_int_equal(at[0], t0 + 10000);
    o_assert_notify(&d[0], TETHER_COAP_NON, 1, TETHER_FMT_TEXT, "24");
}

static void test_observe_integer_resource_takes_gt(void **state)
{
    harness h;
    sensor s;
    h_dgram d;
    tether_lwm2m_path p = tether_lwm2m_path_make(3, T_OID, 0, T_COUNT, 0);
    (void)state;

    setup(&h, &s);
    assert_int_equal(o_attrs(&h, "3303/0/5750", "gt=10", NULL, NULL, NULL), TETHER_COAP_CHANGED);
    o_observe(&h, "3303/0/5750", 1, -1, &d);
    s.count[0] = 9;
    assert_int_equal(tether_client_changed(h.c, h.now, &p), 0);
    h_expect_none(&h);
    s.count[0] = 11;
    assert_int_equal(tether_client_changed(h.c, h.now, &p), 0);
    h_expect(&h, &d);
    o_assert_notify(&d, TETHER_COAP_NON, 1, TETHER_FMT_TEXT, "11");
}

/* --- Write-Attributes rules and Discover --------------------------------------------- */

static void test_write_attributes_refuses_bad_values_and_changes_nothing(void **state)
{
    harness h;
    sensor s;
    h_dgram d;
    char buf[256];
    (void)state;

    setup(&h, &s);
    assert_int_equal(o_attrs(&h, "3303/0/5700", "pmin=3", "pmax=9", "gt=30", "lt=10"),
                     TETHER_COAP_CHANGED);
#define BAD(path, a, b) assert_int_equal(o_attrs(&h, path, a, b, NULL, NULL), TETHER_COAP_BAD_REQUEST)
    BAD("3303/0/5700", "pmin=-1", NULL);
    BAD("3303/0/5700", "pmin=abc", NULL);
    BAD("3303/0/5700", "pmin=", NULL);
    BAD("3303/0/5700", "pmax=2147483648", NULL);
    BAD("3303/0/5700", "foo=1", NULL);
    BAD("3303/0/5700", "epmin=1", NULL); /* LwM2M 1.1 only */
    BAD("3303/0/5700", "pmin=1", "pmin=2");
    BAD("3303/0/5700", "pmin=10", NULL); /* above pmax 9 */
    BAD("3303/0/5700", "pmax=1", "pmin=2");
    BAD("3303/0/5700", "gt=9", NULL);    /* lt 10 < gt */
    BAD("3303/0/5700", "st=10", NULL);   /* 10 + 2 * 10 < 30 fails */
    BAD("3303/0/5700", "st=-1", NULL);
    BAD("3303/0/5700", "gt=nan", NULL);
    BAD("3303/0", "gt=1", NULL);         /* gt, lt, st: resources only */
    BAD("3303", "st=1", NULL);
    BAD("3303/0/5701", "lt=1", NULL);    /* a String */
#undef BAD
    assert_int_equal(o_attrs(&h, "3303/0/5605", "pmin=1", NULL, NULL, NULL),
                     TETHER_COAP_METHOD_NOT_ALLOWED); /* nothing to observe */
    assert_int_equal(o_attrs(&h, "3303/9", "pmin=1", NULL, NULL, NULL), TETHER_COAP_NOT_FOUND);
    assert_int_equal(o_attrs(&h, "0/0", "pmin=1", NULL, NULL, NULL), TETHER_COAP_UNAUTHORIZED);
    /* Nothing changed: */
    assert_int_equal(h_get(&h, "3303/0/5700", TETHER_FMT_LINK, &d), TETHER_COAP_CONTENT);
    assert_string_equal(h_payload(&d, buf, sizeof(buf)),
                        "</3303/0/5700>;pmin=3;pmax=9;gt=30;lt=10");
    /* st that fits: 10 + 2 * 9.5 < 30 */
    assert_int_equal(o_attrs(&h, "3303/0/5700", "st=9.5", NULL, NULL, NULL), TETHER_COAP_CHANGED);
}

static void test_write_attributes_shows_in_discover(void **state)
{
    harness h;
    sensor s;
    h_dgram d;
    char buf[512];
    (void)state;

    setup(&h, &s);
    assert_int_equal(o_attrs(&h, "3303", "pmin=10", NULL, NULL, NULL), TETHER_COAP_CHANGED);
    assert_int_equal(o_attrs(&h, "3303/0", "pmax=60", NULL, NULL, NULL), TETHER_COAP_CHANGED);
    assert_int_equal(o_attrs(&h, "3303/0/5700", "gt=50", "lt=42.2", NULL, NULL),
                     TETHER_COAP_CHANGED);
    assert_int_equal(h_get(&h, "3303", TETHER_FMT_LINK, &d), TETHER_COAP_CONTENT);
    assert_string_equal(h_payload(&d, buf, sizeof(buf)),
                        "</3303>;pmin=10,</3303/0>;pmax=60,</3303/0/5605>,"
                        "</3303/0/5700>;gt=50;lt=42.2,</3303/0/5701>,</3303/0/5750>,"
                        "</3303/1>,</3303/1/5605>,</3303/1/5700>,</3303/1/5701>,</3303/1/5750>");
    assert_int_equal(h_get(&h, "3303/0", TETHER_FMT_LINK, &d), TETHER_COAP_CONTENT);
    assert_string_equal(h_payload(&d, buf, sizeof(buf)),
                        "</3303/0>;pmax=60,</3303/0/5605>,</3303/0/5700>;gt=50;lt=42.2,"
                        "</3303/0/5701>,</3303/0/5750>");
    /* A resource shows what it inherits (LwM2M 1.0 §5.4.2). */
    assert_int_equal(h_get(&h, "3303/0/5700", TETHER_FMT_LINK, &d), TETHER_COAP_CONTENT);
    assert_string_equal(h_payload(&d, buf, sizeof(buf)),
                        "</3303/0/5700>;pmin=10;pmax=60;gt=50;lt=42.2");
    assert_int_equal(h_get(&h, "3303/1/5700", TETHER_FMT_LINK, &d), TETHER_COAP_CONTENT);
    assert_string_equal(h_payload(&d, buf, sizeof(buf)), "</3303/1/5700>;pmin=10");
    /* Removing them all frees the entry. */
    assert_int_equal(o_attrs(&h, "3303/0/5700", "gt", "lt", NULL, NULL), TETHER_COAP_CHANGED);
    assert_int_equal(h_get(&h, "3303/0/5700", TETHER_FMT_LINK, &d), TETHER_COAP_CONTENT);
    assert_string_equal(h_payload(&d, buf, sizeof(buf)), "</3303/0/5700>;pmin=10;pmax=60");
}

static void test_write_attributes_are_per_server(void **state)
{
    harness h;
    sensor s;
    h_dgram d;
    char buf[256];
    o_req r = {TETHER_COAP_PUT, "3303/0/5700", -1, 1, -1, {"pmin=7", NULL}, NULL};
    (void)state;

    setup(&h, &s);
    h_add_server(&h, 1, 2, LT_LONG, NULL);
    h_register(&h, 1, "rd/two");
    h_expect(&h, &d); /* the first server hears of the new Server instance */
    h_answer(&h, 0, &d, TETHER_COAP_CHANGED, NULL);
    o_request(&h, 1, &r, &d);
    assert_int_equal(d.m.code, TETHER_COAP_CHANGED);
    assert_int_equal(h_get(&h, "3303/0/5700", TETHER_FMT_LINK, &d), TETHER_COAP_CONTENT);
    assert_string_equal(h_payload(&d, buf, sizeof(buf)), "</3303/0/5700>");
}

/* --- NON, CON, and what ends an observation ------------------------------------------ */

static void test_observe_con_at_least_every_24_hours(void **state)
{
    harness h;
    sensor s;
    h_dgram d[32];
    tether_time at[32], t0;
    int n;
    (void)state;

    setup(&h, &s);
    assert_int_equal(o_attrs(&h, "3303/0/5700", "pmax=3600", NULL, NULL, NULL),
                     TETHER_COAP_CHANGED);
    o_observe(&h, "3303/0/5700", 1, -1, &d[0]);
    t0 = h.now;
    n = o_collect(&h, t0 + 23ull * 3600000, d, at, 32);
    assert_int_equal(n, 23);
    for (int i = 0; i < n; i++)
        o_assert_notify(&d[i], TETHER_COAP_NON, 1, TETHER_FMT_TEXT, "21.5");
    /* The 24th hour: CON (RFC 7641 §4.5). */
    assert_int_equal(o_collect(&h, t0 + 24ull * 3600000, d, at, 32), 1);
    o_assert_notify(&d[0], TETHER_COAP_CON, 1, TETHER_FMT_TEXT, "21.5");
    o_empty(&h, 0, &d[0], TETHER_COAP_ACK);
    /* Then NON again for a day. */
    n = o_collect(&h, t0 + 47ull * 3600000, d, at, 32);
    assert_int_equal(n, 23);
    for (int i = 0; i < n; i++)
        assert_int_equal(d[i].m.type, TETHER_COAP_NON);
    assert_int_equal(o_stats(&h, 1).observations, 1);
}

static void con_on_change(harness *h)
{
    h->cfg.notify_con_on_change = 1;
    h->rand_zero = 1; /* first retransmission timeout exactly ACK_TIMEOUT */
}

static void test_observe_con_on_change_when_configured(void **state)
{
    harness h;
    sensor s;
    h_dgram d[4];
    (void)state;

    o_setup(&h, &s, LT_LONG, NULL, con_on_change);
    assert_int_equal(o_attrs(&h, "3303/0/5700", "pmax=30", NULL, NULL, NULL),
                     TETHER_COAP_CHANGED);
    o_observe(&h, "3303/0/5700", 1, -1, &d[0]);
    o_set(&h, &s, 0, 1);
    h_expect(&h, &d[0]);
    o_assert_notify(&d[0], TETHER_COAP_CON, 1, TETHER_FMT_TEXT, "1");
    /* While it waits for its ACK, a newer value waits too. */
    o_set(&h, &s, 0, 2);
    h_expect_none(&h);
    o_empty(&h, 0, &d[0], TETHER_COAP_ACK);
    h_expect(&h, &d[0]);
    o_assert_notify(&d[0], TETHER_COAP_CON, 1, TETHER_FMT_TEXT, "2");
    o_empty(&h, 0, &d[0], TETHER_COAP_ACK);
    /* pmax notifications stay NON. */
    assert_int_equal(o_collect(&h, h.now + 30000, d, NULL, 4), 1);
    o_assert_notify(&d[0], TETHER_COAP_NON, 1, TETHER_FMT_TEXT, "2");
}

static void test_observe_rst_against_a_non_notification_cancels(void **state)
{
    harness h;
    sensor s;
    h_dgram d;
    (void)state;

    setup(&h, &s);
    o_observe(&h, "3303/0/5700", 1, -1, &d);
    o_set(&h, &s, 0, 1);
    h_expect(&h, &d);
    o_assert_notify(&d, TETHER_COAP_NON, 1, TETHER_FMT_TEXT, "1");
    o_empty(&h, 0, &d, TETHER_COAP_RST);
    assert_int_equal(h_last_event(&h, TETHER_CLIENT_EV_OBSERVE_CANCELLED)->err, TETHER_ERR_RESET);
    assert_int_equal(o_stats(&h, 1).observations, 0);
    o_set(&h, &s, 0, 2);
    h_expect_none(&h);
}

static void test_observe_rst_with_another_mid_changes_nothing(void **state)
{
    harness h;
    sensor s;
    h_dgram d, other;
    (void)state;

    setup(&h, &s);
    o_observe(&h, "3303/0/5700", 1, -1, &d);
    o_set(&h, &s, 0, 1);
    h_expect(&h, &d);
    other = d;
    other.m.mid = (uint16_t)(d.m.mid + 100);
    o_empty(&h, 0, &other, TETHER_COAP_RST);
    assert_int_equal(o_stats(&h, 1).observations, 1);
}

static void test_observe_rst_against_a_con_notification_cancels(void **state)
{
    harness h;
    sensor s;
    h_dgram d;
    (void)state;

    o_setup(&h, &s, LT_LONG, NULL, con_on_change);
    o_observe(&h, "3303/0/5700", 1, -1, &d);
    o_set(&h, &s, 0, 1);
    h_expect(&h, &d);
    o_assert_notify(&d, TETHER_COAP_CON, 1, TETHER_FMT_TEXT, "1");
    o_empty(&h, 0, &d, TETHER_COAP_RST);
    assert_int_equal(h_last_event(&h, TETHER_CLIENT_EV_OBSERVE_CANCELLED)->err, TETHER_ERR_RESET);
    assert_int_equal(o_stats(&h, 1).observations, 0);
}

static void test_observe_unanswered_con_notification_cancels(void **state)
{
    harness h;
    sensor s;
    h_dgram d[8];
    tether_time at[8], t0;
    int n;
    (void)state;

    o_setup(&h, &s, LT_LONG, NULL, con_on_change);
    o_observe(&h, "3303/0/5700", 1, -1, &d[0]);
    o_set(&h, &s, 0, 1);
    t0 = h.now;
    /* ACK_TIMEOUT 2 s doubling, MAX_RETRANSMIT 4: sent at 0, 2, 6, 14, 30 s,
     * given up at 62 s. */
    n = o_collect(&h, t0 + 70000, d, at, 8);
    assert_int_equal(n, 5);
    for (int i = 0; i < n; i++) {
        o_assert_notify(&d[i], TETHER_COAP_CON, 1, TETHER_FMT_TEXT, "1");
        assert_int_equal(d[i].m.mid, d[0].m.mid);
    }
    assert_int_equal(at[4], t0 + 30000);
    assert_int_equal(h_last_event(&h, TETHER_CLIENT_EV_OBSERVE_CANCELLED)->err,
                     TETHER_ERR_TIMEOUT);
    assert_int_equal(o_stats(&h, 1).observations, 0);
    o_set(&h, &s, 0, 2);
    h_expect_none(&h);
}

static void test_observe_stop_ends_observations(void **state)
{
    harness h;
    sensor s;
    h_dgram d;
    (void)state;

    setup(&h, &s);
    o_observe(&h, "3303/0/5700", 1, -1, &d);
    assert_int_equal(tether_client_stop(h.c, h.now), 0);
    assert_int_equal(h_last_event(&h, TETHER_CLIENT_EV_OBSERVE_CANCELLED)->err,
                     TETHER_ERR_CANCELLED);
    h_expect(&h, &d);
    assert_int_equal(d.m.code, TETHER_COAP_DELETE);
    o_set(&h, &s, 0, 2);
    h_expect_none(&h);
}

static void test_changed_refuses_a_bad_path(void **state)
{
    harness h;
    sensor s;
    tether_lwm2m_path p = tether_lwm2m_path_make(0, 0, 0, 0, 0);
    (void)state;

    setup(&h, &s);
    assert_int_equal(tether_client_changed(h.c, h.now, &p), TETHER_ERR_INVAL);
    assert_int_equal(tether_client_changed(h.c, h.now, NULL), TETHER_ERR_INVAL);
    p = tether_lwm2m_path_make(1, 65535, 0, 0, 0);
    assert_int_equal(tether_client_changed(h.c, h.now, &p), TETHER_ERR_INVAL);
}

#if TETHER_CLIENT_MAX_BODY >= 2048
/* /32770/0/0: 1500 opaque bytes, more than one datagram. */
static uint8_t blob[1500];
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

static void test_observe_large_value_notifies_its_first_block(void **state)
{
    harness h;
    h_dgram d;
    tether_coap_block blk;
    tether_coap_builder b;
    uint8_t buf[64];
    uint8_t tok[2] = {0x70, 0x42};
    tether_lwm2m_path p = tether_lwm2m_path_make(3, 32770, 0, 0, 0);
    size_t len;
    (void)state;

    for (size_t i = 0; i < sizeof(blob); i++)
        blob[i] = (uint8_t)i;
    h_init_cfg(&h, "dev1");
    h_init_client(&h);
    assert_int_equal(tether_client_add_object(h.c, h.now, &blob_obj, NULL), 0);
    h_add_server(&h, 0, 1, LT_LONG, NULL);
    assert_int_equal(tether_client_start(h.c, h.now), 0);
    h_register(&h, 0, "rd/b");
    o_observe(&h, "32770/0/0", 0x42, -1, &d);
    assert_int_equal(tether_coap_block_get(&d.m, TETHER_COAP_OPT_BLOCK2, &blk), 0);
    assert_true(blk.num == 0 && blk.more);
    blob[0] = 0xEE;
    assert_int_equal(tether_client_changed(h.c, h.now, &p), 0);
    h_expect(&h, &d);
    o_assert_notify(&d, TETHER_COAP_NON, 0x42, TETHER_FMT_OPAQUE, NULL);
    /* RFC 7959 §3.4: the first block, and the server asks for the rest. */
    assert_int_equal(tether_coap_block_get(&d.m, TETHER_COAP_OPT_BLOCK2, &blk), 0);
    assert_true(blk.num == 0 && blk.more);
    assert_int_equal(d.m.payload_len, TETHER_COAP_BLOCK_SIZE(blk.szx));
    assert_memory_equal(d.m.payload, blob, d.m.payload_len);
    blk.num = 1;
    blk.more = 0;
    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_CON, TETHER_COAP_GET, 0x4444, tok, 2);
    tether_coap_build_path(&b, TETHER_COAP_OPT_URI_PATH, "32770/0/0");
    tether_coap_build_block(&b, TETHER_COAP_OPT_BLOCK2, &blk);
    assert_int_equal(tether_coap_build_finish(&b, &len), 0);
    h_deliver(&h, 0, buf, len);
    h_expect(&h, &d);
    assert_int_equal(d.m.code, TETHER_COAP_CONTENT);
    assert_int_equal(tether_coap_block_get(&d.m, TETHER_COAP_OPT_BLOCK2, &blk), 0);
    assert_true(blk.num == 1 && !blk.more);
    assert_int_equal(d.m.payload_len, sizeof(blob) - TETHER_COAP_BLOCK_SIZE(blk.szx));
    assert_memory_equal(d.m.payload, blob + TETHER_COAP_BLOCK_SIZE(blk.szx), d.m.payload_len);
}
#endif

int main(void)
{
#if TETHER_CLIENT_MAX_OBSERVATIONS == 0
    puts("observation compiled out: nothing to test");
    return 0;
#endif
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_observe_resource_answers_with_observe_and_value),
        cmocka_unit_test(test_observe_change_notifies_non_with_growing_observe_values),
        cmocka_unit_test(test_observe_instance_and_object_notify_as_tlv),
        cmocka_unit_test(test_observe_with_accept_keeps_that_format),
        cmocka_unit_test(test_observe_1_cancels_and_answers_as_a_read),
        cmocka_unit_test(test_observe_same_token_replaces_the_observation),
        cmocka_unit_test(test_observe_refused_target_registers_nothing),
        cmocka_unit_test(test_observe_table_full_answers_as_a_plain_read),
        cmocka_unit_test(test_observe_server_write_is_a_change),
        cmocka_unit_test(test_observe_deleted_instance_ends_with_404),
        cmocka_unit_test(test_observe_pmin_holds_a_change_back),
        cmocka_unit_test(test_observe_pmax_notifies_without_change),
        cmocka_unit_test(test_observe_pmax_below_pmin_is_ignored),
        cmocka_unit_test(test_R24_defaults_apply_when_the_observation_has_none),
        cmocka_unit_test(test_R24_absent_default_pmin_is_0_and_pmax_none),
        cmocka_unit_test(test_R24_defaults_changed_while_observing_apply_at_once),
        cmocka_unit_test(test_R24_explicit_attributes_override_the_defaults),
        cmocka_unit_test(test_observe_attributes_inherit_resource_over_instance_over_object),
        cmocka_unit_test(test_observe_gt_and_lt_notify_on_crossing_either_way),
        cmocka_unit_test(test_observe_st_notifies_on_a_step_from_the_last_notified_value),
        cmocka_unit_test(test_observe_crossing_within_pmin_still_notifies_after_it),
        cmocka_unit_test(test_observe_integer_resource_takes_gt),
        cmocka_unit_test(test_write_attributes_refuses_bad_values_and_changes_nothing),
        cmocka_unit_test(test_write_attributes_shows_in_discover),
        cmocka_unit_test(test_write_attributes_are_per_server),
        cmocka_unit_test(test_observe_con_at_least_every_24_hours),
        cmocka_unit_test(test_observe_con_on_change_when_configured),
        cmocka_unit_test(test_observe_rst_against_a_non_notification_cancels),
        cmocka_unit_test(test_observe_rst_with_another_mid_changes_nothing),
        cmocka_unit_test(test_observe_rst_against_a_con_notification_cancels),
        cmocka_unit_test(test_observe_unanswered_con_notification_cancels),
        cmocka_unit_test(test_observe_stop_ends_observations),
        cmocka_unit_test(test_changed_refuses_a_bad_path),
#if TETHER_CLIENT_MAX_BODY >= 2048
        cmocka_unit_test(test_observe_large_value_notifies_its_first_block),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
