/* SPDX-License-Identifier: Apache-2.0 */
/* The server engine's core (src/server/server.c): expiry on a virtual clock
 * (R6, R4, R8), the loop's deadline, bounded expiry work, the allocation-free
 * update path, construction errors and the measured memory per
 * registration. */
#include "server/server_fixture.h"

/* R6: removed at exactly last Register + lifetime, reported as expired;
 * the location answers 4.04 afterwards. */
static void test_R6_expires_at_exactly_lifetime(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    tether_time t0 = f->now;
    char id[16];

    assert_int_equal(fx_register(f, &dev, "ep=e&lt=60", "</3/0>", id), TETHER_COAP_CREATED);
    assert_int_equal(tether_server_reg_expires(tether_server_find_ep(f->srv, "e", 1)), t0 + 60000);
    assert_true(tether_server_next_deadline(f->srv) <= t0 + 60000);
    fx_at(f, t0 + 59999);
    assert_non_null(tether_server_find_ep(f->srv, "e", 1));
    assert_int_equal(fx_count(f, TETHER_SERVER_EV_EXPIRED), 0);
    fx_at(f, t0 + 60000);
    assert_null(tether_server_find_ep(f->srv, "e", 1));
    assert_int_equal(fx_last(f)->type, TETHER_SERVER_EV_EXPIRED);
    assert_string_equal(fx_last(f)->ep, "e");
    assert_string_equal(fx_last(f)->id, id);
    assert_int_equal(tether_server_count(f->srv), 0);
    assert_int_equal(fx_update(f, &dev, id, NULL, NULL), TETHER_COAP_NOT_FOUND);
}

/* R6: every Update restarts the lifetime from its own arrival. */
static void test_R6_update_restarts_lifetime(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    tether_time t0 = f->now;
    char id[16];

    assert_int_equal(fx_register(f, &dev, "ep=e&lt=60", "</3/0>", id), TETHER_COAP_CREATED);
    fx_at(f, t0 + 50000);
    assert_int_equal(fx_update(f, &dev, id, NULL, NULL), TETHER_COAP_CHANGED);
    fx_at(f, t0 + 60000);
    assert_non_null(tether_server_find_ep(f->srv, "e", 1));
    assert_int_equal(tether_server_next_deadline(f->srv), t0 + 110000);
    fx_at(f, t0 + 109999);
    assert_non_null(tether_server_find_ep(f->srv, "e", 1));
    fx_at(f, t0 + 110000);
    assert_null(tether_server_find_ep(f->srv, "e", 1));
}

/* R6 with an operator grace period: removed at lifetime + grace. */
static void test_R6_grace_period(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    tether_time t0;
    char id[16];

    fx_stop(f);
    fx_config(f);
    f->cfg.grace_s = 15;
    fx_start(f);
    t0 = f->now;
    assert_int_equal(fx_register(f, &dev, "ep=g&lt=60", "</3/0>", id), TETHER_COAP_CREATED);
    fx_at(f, t0 + 74999);
    assert_non_null(tether_server_find_ep(f->srv, "g", 1));
    fx_at(f, t0 + 75000);
    assert_null(tether_server_find_ep(f->srv, "g", 1));
}

/* R4/R8: an Update with lt changes the lifetime used for expiry. */
static void test_R8_update_with_lt_changes_expiry(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    tether_time t0 = f->now;
    char id[16];

    assert_int_equal(fx_register(f, &dev, "ep=e&lt=600", "</3/0>", id), TETHER_COAP_CREATED);
    fx_at(f, t0 + 1000);
    assert_int_equal(fx_update(f, &dev, id, "lt=10", NULL), TETHER_COAP_CHANGED);
    assert_int_equal(tether_server_reg_lifetime(tether_server_find_ep(f->srv, "e", 1)), 10);
    fx_at(f, t0 + 10999);
    assert_non_null(tether_server_find_ep(f->srv, "e", 1));
    fx_at(f, t0 + 11000);
    assert_null(tether_server_find_ep(f->srv, "e", 1));
    assert_int_equal(fx_last(f)->type, TETHER_SERVER_EV_EXPIRED);
}

/* R4: without lt the registration lives for the default lifetime (until
 * R10 says otherwise). */
static void test_R4_default_lifetime_applies_until_synchronised(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    tether_time t0;
    char id[16];

    fx_stop(f);
    fx_config(f);
    f->cfg.default_lifetime_s = 30;
    fx_start(f);
    t0 = f->now;
    assert_int_equal(fx_register(f, &dev, "ep=d", "</1/0>", id), TETHER_COAP_CREATED);
    assert_true(fx_pop(f)); /* the R10 read, left unanswered */
    assert_int_equal(tether_server_reg_lifetime(tether_server_find_ep(f->srv, "d", 1)), 30);
    fx_at(f, t0 + 30000);
    assert_null(tether_server_find_ep(f->srv, "d", 1));
}

/* Expiry work is bounded per call: 3,000 registrations due at once are
 * removed 1,024 per on_timeout, and the deadline says "now" until done. */
static void test_server_mass_expiry_is_sliced(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    tether_time t0 = f->now;
    char q[32], id[16];

    for (int i = 0; i < 3000; i++) {
        snprintf(q, sizeof(q), "ep=m%d&lt=5", i);
        assert_int_equal(fx_register(f, &dev, q, "</3/0>", id), TETHER_COAP_CREATED);
    }
    f->n_ev = 0;
    fx_at(f, t0 + 5000);
    assert_int_equal(tether_server_count(f->srv), 3000 - 1024);
    assert_true(tether_server_next_deadline(f->srv) <= f->now);
    fx_at(f, f->now);
    fx_at(f, f->now);
    assert_int_equal(tether_server_count(f->srv), 0);
    assert_int_equal(tether_server_next_deadline(f->srv) == TETHER_TIME_NEVER ||
                         tether_server_next_deadline(f->srv) > f->now,
                     1);
}

/* The update path allocates nothing: 1,000 Updates (with lt, b, and from
 * a new address) after the first. */
static void test_server_update_path_allocates_nothing(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1), other = fx_peer(1, 2);
    size_t allocs;
    char id[16];

    assert_int_equal(fx_register(f, &dev, "ep=hot&lt=60", "</3/0>", id), TETHER_COAP_CREATED);
    assert_int_equal(fx_update(f, &dev, id, NULL, NULL), TETHER_COAP_CHANGED);
    /* The first switch into queue mode sets up its bookkeeping once (a
     * session, its index table and heap); later switches reuse them. */
    assert_int_equal(fx_update(f, &dev, id, "b=UQ", NULL), TETHER_COAP_CHANGED);
    assert_int_equal(fx_update(f, &dev, id, "b=U", NULL), TETHER_COAP_CHANGED);
    allocs = f->mem.allocs;
    for (int i = 0; i < 1000; i++) {
        f->now += 10;
        assert_int_equal(fx_update(f, (i & 1) ? &dev : &other, id, (i & 2) ? "lt=61&b=UQ" : "lt=60",
                                   NULL),
                         TETHER_COAP_CHANGED);
    }
    assert_int_equal(f->mem.allocs, allocs);
}

/* Bad configurations are refused and nothing leaks. */
static void test_server_new_rejects_bad_config(void **state)
{
    fx *f = *state;
    tether_server *s = (tether_server *)0x1;
    tether_server_config c = f->cfg;

    c.rand = NULL;
    assert_int_equal(tether_server_new(&s, &c, NULL, NULL), TETHER_ERR_INVAL);
    c = f->cfg;
    c.default_lifetime_s = 0;
    assert_int_equal(tether_server_new(&s, &c, NULL, NULL), TETHER_ERR_INVAL);
    c = f->cfg;
    c.coap.max_exchanges = 0;
    assert_int_not_equal(tether_server_new(&s, &c, NULL, NULL), 0);
    assert_ptr_equal(s, (tether_server *)0x1);
    tether_server_free(NULL);
}

/* Memory per registration through the real protocol: 20,000 devices with
 * a 24-character name and a three-entry object list. Printed; the target
 * (issue 3) is under 400 bytes including the allocator's overhead. */
static void test_server_memory_per_registration(void **state)
{
    enum { N = 20000 };
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    size_t base = f->mem.live;
    const tether_server_reg *r;
    tether_server_stats st;
    char q[64], id[16];
    double per;

    for (int i = 0; i < N; i++) {
        snprintf(q, sizeof(q), "ep=urn:imei:%015d&lt=600", i);
        assert_int_equal(fx_register(f, &dev, q, "</1/0>,</3/0>,</5/0>", id), TETHER_COAP_CREATED);
    }
    r = tether_server_find_ep(f->srv, "urn:imei:000000000000007", 24);
    assert_non_null(r);
    tether_server_get_stats(f->srv, &st);
    per = (double)(f->mem.live - base) / N;
    printf("server: sizeof record header %zu, record %zu bytes; %d registrations: "
           "%.1f bytes each (+ ~%zu malloc overhead); buckets %zu, heap slots %zu\n",
           (size_t)(tether_server_reg_record_bytes(r) - 24 - 3 * sizeof(tether_server_obj) - 3),
           tether_server_reg_record_bytes(r), N, per,
           (size_t)((tether_server_reg_record_bytes(r) + 8 + 15) / 16 * 16 -
                    tether_server_reg_record_bytes(r)),
           st.index_buckets, st.heap_capacity);
    assert_true(per + 16 < 400);
    assert_int_equal(st.registrations, N);
    assert_int_equal(st.registered, N);
}

static int count_one(void *user, const tether_server_reg *reg)
{
    int *seen = user;
    const char *ep = tether_server_reg_ep(reg);
    seen[ep[0] - 'a']++;
    return ep[0] == 'z' ? 7 : 0;
}

/* Registration and refresh times, and the walk over every registration
 * (what the REST API and the store read). */
static void test_server_times_and_foreach(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    tether_time t0 = f->now;
    int seen[26] = {0};
    char id[16];

    assert_int_equal(fx_register(f, &dev, "ep=a&lt=60", "</3/0>", id), TETHER_COAP_CREATED);
    fx_at(f, t0 + 5000);
    assert_int_equal(fx_register(f, &dev, "ep=b&lt=60", "</3/0>", NULL), TETHER_COAP_CREATED);
    fx_at(f, t0 + 9000);
    assert_int_equal(fx_update(f, &dev, id, "lt=120", "</3/0>,</4/0>"), TETHER_COAP_CHANGED);
    const tether_server_reg *a = tether_server_find_ep(f->srv, "a", 1);
    assert_int_equal(tether_server_reg_registered(a), t0);
    assert_int_equal(tether_server_reg_updated(f->srv, a), t0 + 9000);
    assert_int_equal(tether_server_reg_updated(f->srv, tether_server_find_ep(f->srv, "b", 1)),
                     t0 + 5000);
    assert_int_equal(tether_server_foreach(f->srv, count_one, seen), 0);
    assert_int_equal(seen[0], 1);
    assert_int_equal(seen[1], 1);
    assert_int_equal(fx_register(f, &dev, "ep=z&lt=60", "</3/0>", NULL), TETHER_COAP_CREATED);
    assert_int_equal(tether_server_foreach(f->srv, count_one, seen), 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_R6_expires_at_exactly_lifetime, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_server_times_and_foreach, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R6_update_restarts_lifetime, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R6_grace_period, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R8_update_with_lt_changes_expiry, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R4_default_lifetime_applies_until_synchronised, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_server_mass_expiry_is_sliced, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_server_update_path_allocates_nothing, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_server_new_rejects_bad_config, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_server_memory_per_registration, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
