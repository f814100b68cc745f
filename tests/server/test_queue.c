/* SPDX-License-Identifier: Apache-2.0 */
/* Queue mode on the server (src/server/queue.c): a client registered with
 * UQ (1.0) or Q (1.1) counts as sleeping after the awake window, requests
 * for it wait in a bounded queue and go out, in order, when it next speaks
 * (Update, Register, a notification, an answer); SLEEPING and AWAKE events;
 * the queue ends with the registration (R6) but moves to a new Register of
 * the same endpoint (R15). Hand-built datagrams on a virtual clock. */
#include "server/server_fixture.h"

#include "server/dm_internal.h"

typedef struct qlog {
    int calls;
    int status;
    uint8_t code;
    char reason[256];
    int order[8];
    int n;
} qlog;

static void on_resp(void *arg, tether_time now, int status, const tether_server_response *r)
{
    qlog *l = arg;
    (void)now;
    l->calls++;
    l->status = status;
    l->code = r->code;
    snprintf(l->reason, sizeof(l->reason), "%s", r->reason);
}

/* Records which of several requests answered, in order. */
typedef struct tagged {
    qlog *log;
    int tag;
} tagged;

static void on_tagged(void *arg, tether_time now, int status, const tether_server_response *r)
{
    tagged *t = arg;
    on_resp(t->log, now, status, r);
    if (t->log->n < 8)
        t->log->order[t->log->n++] = t->tag;
}

static void answer(fx *f, const tether_peer *from, uint8_t code, const char *payload)
{
    fx_answer(f, from, code, payload ? 0 : -1, payload, payload ? strlen(payload) : 0);
}

static const tether_server_reg *the(fx *f)
{
    return tether_server_find_ep(f->srv, "q", 1);
}

static void restart(fx *f)
{
    tether_server_free(f->srv);
    f->srv = NULL;
    fx_start(f);
}

/* Register ep=q in queue mode at f->now; returns the peer, id in id[]. */
static tether_peer reg_q(fx *f, const char *query, char id[16])
{
    tether_peer dev = fx_peer(0, 1);
    assert_int_equal(fx_register(f, &dev, query, "</3/0>", id), TETHER_COAP_CREATED);
    return dev;
}

static void test_queue_client_sleeps_after_the_awake_window(void **state)
{
    fx *f = *state;
    tether_time t0 = f->now;
    char id[16];

    (void)reg_q(f, "ep=q&lt=3600&b=UQ", id);
    assert_true(tether_server_reg_queue(the(f)));
    assert_false(tether_server_reg_sleeping(f->srv, the(f)));
    assert_true(tether_server_next_deadline(f->srv) <= t0 + 93000);
    fx_at(f, t0 + 92999);
    assert_false(tether_server_reg_sleeping(f->srv, the(f)));
    assert_int_equal(fx_count(f, TETHER_SERVER_EV_SLEEPING), 0);
    fx_at(f, t0 + 93000);
    assert_true(tether_server_reg_sleeping(f->srv, the(f)));
    assert_int_equal(fx_count(f, TETHER_SERVER_EV_SLEEPING), 1);
    assert_int_equal(fx_last(f)->type, TETHER_SERVER_EV_SLEEPING);
    assert_string_equal(fx_last(f)->ep, "q");
    assert_int_equal(fx_last(f)->when, t0 + 93000);
    /* Once: nothing more until it speaks. */
    fx_at(f, t0 + 500000);
    assert_int_equal(fx_count(f, TETHER_SERVER_EV_SLEEPING), 1);
    /* What queue mode adds to a registration (besides a hash slot and a
     * heap slot); a request in flight or queued costs one dm_req. */
    printf("server: queue mode: %zu bytes of session per registration; %zu per request "
           "(+ payload)\n",
           sizeof(dm_sess), sizeof(dm_req));
}

static void test_queue_requests_wait_for_the_next_update(void **state)
{
    fx *f = *state;
    tether_time t0 = f->now;
    qlog l = {0};
    tether_server_stats st;
    char id[16];
    tether_peer dev = reg_q(f, "ep=q&lt=3600&b=UQ", id);

    fx_at(f, t0 + 93000);
    assert_int_equal(tether_server_read(f->srv, f->now, "q", "/3/0/0", TETHER_SERVER_NO_FORMAT,
                                        on_resp, &l),
                     0);
    assert_false(fx_pop(f)); /* not to a sleeping client */
    assert_int_equal(tether_server_reg_queued(f->srv, the(f)), 1);
    tether_server_get_stats(f->srv, &st);
    assert_int_equal(st.queued, 1);
    assert_int_equal(st.queued_total, 1);
    /* Hours later it Updates: 2.04 first, then the queued read. */
    f->now = t0 + 3000000;
    assert_int_equal(fx_update(f, &dev, id, NULL, NULL), TETHER_COAP_CHANGED);
    assert_int_equal(f->ev[f->n_ev - 2].type, TETHER_SERVER_EV_UPDATED);
    assert_int_equal(fx_last(f)->type, TETHER_SERVER_EV_AWAKE);
    assert_int_equal(fx_last(f)->queued, 1);
    assert_false(tether_server_reg_sleeping(f->srv, the(f)));
    assert_true(fx_pop(f));
    assert_int_equal(f->msg.code, TETHER_COAP_GET);
    assert_string_equal(fx_path(f), "3/0/0");
    assert_true(tether_peer_equal(&f->out_peer, &dev));
    assert_int_equal(tether_server_reg_queued(f->srv, the(f)), 0);
    answer(f, &dev, TETHER_COAP_CONTENT, "Tether");
    assert_int_equal(l.calls, 1);
    assert_int_equal(l.status, 0);
    assert_int_equal(l.code, TETHER_COAP_CONTENT);
}

/* Requests made while awake go out at once; every message restarts the
 * window: an Update, an answer. */
static void test_queue_awake_window_restarts_on_each_message(void **state)
{
    fx *f = *state;
    tether_time t0 = f->now;
    qlog l = {0};
    char id[16];
    tether_peer dev = reg_q(f, "ep=q&lt=3600&b=UQ", id);

    f->now = t0 + 50000;
    assert_int_equal(fx_update(f, &dev, id, NULL, NULL), TETHER_COAP_CHANGED);
    fx_at(f, t0 + 93000);
    assert_false(tether_server_reg_sleeping(f->srv, the(f)));
    assert_int_equal(tether_server_read(f->srv, f->now, "q", "/3/0/0", TETHER_SERVER_NO_FORMAT,
                                        on_resp, &l),
                     0);
    assert_true(fx_pop(f)); /* awake: sent now */
    f->now = t0 + 100000;
    answer(f, &dev, TETHER_COAP_CONTENT, "x");
    fx_at(f, t0 + 192999);
    assert_false(tether_server_reg_sleeping(f->srv, the(f)));
    fx_at(f, t0 + 193000);
    assert_true(tether_server_reg_sleeping(f->srv, the(f)));
}

static void test_queue_is_bounded(void **state)
{
    fx *f = *state;
    qlog l = {0};
    char id[16];

    fx_stop(f);
    fx_config(f);
    f->cfg.queue_max = 2;
    f->cfg.awake_window_ms = 10000;
    fx_start(f);
    (void)reg_q(f, "ep=q&lt=3600&b=UQ", id);
    fx_at(f, f->now + 10000);
    for (int i = 0; i < 2; i++)
        assert_int_equal(tether_server_read(f->srv, f->now, "q", "/3/0/0", TETHER_SERVER_NO_FORMAT,
                                            on_resp, &l),
                         0);
    assert_int_equal(tether_server_read(f->srv, f->now, "q", "/3/0/0", TETHER_SERVER_NO_FORMAT,
                                        on_resp, &l),
                     TETHER_ERR_BUSY);
    assert_non_null(strstr(tether_server_errmsg(f->srv), "sleeping"));
    assert_non_null(strstr(tether_server_errmsg(f->srv), "queue of 2"));
    assert_int_equal(tether_server_reg_queued(f->srv, the(f)), 2);
    assert_int_equal(l.calls, 0);
    restart(f);
    assert_int_equal(l.calls, 2);
    assert_int_equal(l.status, TETHER_ERR_CANCELLED);
}

/* Time in the queue does not count against the timeout; order is kept. */
static void test_queue_keeps_order_and_times_from_sending(void **state)
{
    fx *f = *state;
    tether_time t0 = f->now, t1;
    tether_server_request r = {0};
    qlog l = {0};
    tagged tags[3] = {{&l, 1}, {&l, 2}, {&l, 3}};
    char id[16];
    tether_peer dev = reg_q(f, "ep=q&lt=3600&b=UQ", id);
    uint8_t saved[3][256];
    size_t saved_len[3];

    fx_at(f, t0 + 93000);
    r.op = TETHER_SERVER_OP_READ;
    r.accept = TETHER_SERVER_NO_FORMAT;
    r.timeout_ms = 5000;
    r.path = "/3/0/0";
    assert_int_equal(tether_server_submit(f->srv, f->now, "q", &r, on_tagged, &tags[0], NULL), 0);
    r.path = "/3/0/1";
    assert_int_equal(tether_server_submit(f->srv, f->now, "q", &r, on_tagged, &tags[1], NULL), 0);
    r.path = "/3/0/2";
    assert_int_equal(tether_server_submit(f->srv, f->now, "q", &r, on_tagged, &tags[2], NULL), 0);
    fx_at(f, t0 + 600000); /* far past any timeout: nothing fails while queued */
    assert_int_equal(l.calls, 0);
    t1 = f->now;
    assert_int_equal(fx_update(f, &dev, id, NULL, NULL), TETHER_COAP_CHANGED);
    for (int i = 0; i < 3; i++) {
        char want[8];
        assert_true(fx_pop(f));
        snprintf(want, sizeof(want), "3/0/%d", i);
        assert_string_equal(fx_path(f), want);
        memcpy(saved[i], f->out, f->out_len);
        saved_len[i] = f->out_len;
    }
    /* Answer the second, then the others time out 5 s after sending. */
    assert_int_equal(tether_coap_parse(&f->msg, saved[1], saved_len[1]), 0);
    answer(f, &dev, TETHER_COAP_CONTENT, "b");
    assert_int_equal(l.calls, 1);
    assert_int_equal(l.order[0], 2);
    fx_at(f, t1 + 4999);
    assert_int_equal(l.calls, 1);
    fx_at(f, t1 + 5000);
    assert_int_equal(l.calls, 3);
    assert_int_equal(l.status, TETHER_ERR_TIMEOUT);
    assert_int_equal(l.order[1], 1);
    assert_int_equal(l.order[2], 3);
    (void)saved_len[0];
}

static void test_queue_1_1_q_parameter_and_plain_u(void **state)
{
    fx *f = *state;
    tether_time t0 = f->now;
    tether_peer other = fx_peer(0, 2);
    qlog l = {0};
    char id[16], id2[16];

    (void)reg_q(f, "ep=q&lt=3600&lwm2m=1.1&b=U&Q", id);
    assert_true(tether_server_reg_queue(the(f)));
    assert_int_equal(fx_register(f, &other, "ep=plain&lt=3600&b=U", "</3/0>", id2),
                     TETHER_COAP_CREATED);
    fx_at(f, t0 + 200000);
    assert_true(tether_server_reg_sleeping(f->srv, the(f)));
    assert_false(tether_server_reg_sleeping(f->srv, tether_server_find_ep(f->srv, "plain", 5)));
    assert_int_equal(fx_count(f, TETHER_SERVER_EV_SLEEPING), 1);
    /* Not in queue mode: requests always go out at once. */
    assert_int_equal(tether_server_read(f->srv, f->now, "plain", "/3/0/0", TETHER_SERVER_NO_FORMAT,
                                        on_resp, &l),
                     0);
    assert_true(fx_pop(f));
    assert_true(tether_peer_equal(&f->out_peer, &other));
    restart(f);
}

/* An Update that drops Q (b=U) wakes it for good and sends the queue. */
static void test_queue_binding_without_q_sends_the_queue(void **state)
{
    fx *f = *state;
    qlog l = {0};
    char id[16];
    tether_peer dev = reg_q(f, "ep=q&lt=3600&b=UQ", id);

    fx_at(f, f->now + 93000);
    assert_int_equal(tether_server_read(f->srv, f->now, "q", "/3/0/0", TETHER_SERVER_NO_FORMAT,
                                        on_resp, &l),
                     0);
    assert_false(fx_pop(f));
    assert_int_equal(fx_update(f, &dev, id, "b=U", NULL), TETHER_COAP_CHANGED);
    assert_false(tether_server_reg_queue(the(f)));
    assert_int_equal(fx_count(f, TETHER_SERVER_EV_AWAKE), 1);
    assert_true(fx_pop(f));
    answer(f, &dev, TETHER_COAP_CONTENT, "x");
    assert_int_equal(l.calls, 1);
    fx_at(f, f->now + 500000);
    assert_false(tether_server_reg_sleeping(f->srv, the(f)));
    assert_int_equal(fx_count(f, TETHER_SERVER_EV_SLEEPING), 1);
}

/* A notification is the client speaking too. */
static void test_queue_notification_wakes_the_client(void **state)
{
    fx *f = *state;
    qlog l = {0}, o = {0};
    char id[16];
    tether_peer dev = reg_q(f, "ep=q&lt=3600&b=UQ", id);
    uint8_t tok[8], tkl, buf[64];
    tether_coap_builder b;
    size_t n;

    assert_int_equal(tether_server_observe(f->srv, f->now, "q", "/3/0/9", TETHER_SERVER_NO_FORMAT,
                                           on_resp, &o, NULL),
                     0);
    assert_true(fx_pop(f));
    tkl = f->msg.tkl;
    memcpy(tok, f->msg.token, tkl);
    fx_answer(f, &dev, TETHER_COAP_CONTENT, -1, "90", 2); /* no Observe: ends it... */
    assert_int_equal(o.calls, 1);
    /* ...so observe again, established this time. */
    assert_int_equal(tether_server_observe(f->srv, f->now, "q", "/3/0/9", TETHER_SERVER_NO_FORMAT,
                                           on_resp, &o, NULL),
                     0);
    assert_true(fx_pop(f));
    tkl = f->msg.tkl;
    memcpy(tok, f->msg.token, tkl);
    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_ACK, TETHER_COAP_CONTENT, f->msg.mid,
                           tok, tkl);
    tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_OBSERVE, 1);
    tether_coap_build_payload(&b, "90", 2);
    assert_int_equal(tether_coap_build_finish(&b, &n), 0);
    assert_int_equal(tether_server_recv(f->srv, f->now, &dev, buf, n), 0);
    fx_at(f, f->now + 93000);
    assert_true(tether_server_reg_sleeping(f->srv, the(f)));
    assert_int_equal(tether_server_read(f->srv, f->now, "q", "/3/0/0", TETHER_SERVER_NO_FORMAT,
                                        on_resp, &l),
                     0);
    assert_false(fx_pop(f));
    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_NON, TETHER_COAP_CONTENT, 0x4242, tok,
                           tkl);
    tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_OBSERVE, 2);
    tether_coap_build_payload(&b, "80", 2);
    assert_int_equal(tether_coap_build_finish(&b, &n), 0);
    assert_int_equal(tether_server_recv(f->srv, f->now, &dev, buf, n), 0);
    assert_int_equal(o.calls, 3);
    assert_false(tether_server_reg_sleeping(f->srv, the(f)));
    assert_int_equal(fx_last(f)->type, TETHER_SERVER_EV_AWAKE);
    assert_true(fx_pop(f));
    assert_string_equal(fx_path(f), "3/0/0");
    answer(f, &dev, TETHER_COAP_CONTENT, "x");
    assert_int_equal(l.calls, 1);
    restart(f);
}

/* R15: a sleeping client that Registers again gets what waited for it. */
static void test_R15_queued_requests_move_to_the_new_registration(void **state)
{
    fx *f = *state;
    qlog l = {0};
    char id[16], id2[16];
    tether_peer dev = reg_q(f, "ep=q&lt=3600&b=UQ", id);

    fx_at(f, f->now + 93000);
    assert_int_equal(tether_server_read(f->srv, f->now, "q", "/3/0/0", TETHER_SERVER_NO_FORMAT,
                                        on_resp, &l),
                     0);
    assert_false(fx_pop(f));
    assert_int_equal(fx_register(f, &dev, "ep=q&lt=3600&b=UQ", "</3/0>", id2), TETHER_COAP_CREATED);
    assert_string_not_equal(id, id2);
    assert_int_equal(fx_count(f, TETHER_SERVER_EV_REPLACED), 1);
    assert_int_equal(l.calls, 0);
    assert_true(fx_pop(f));
    assert_int_equal(f->msg.code, TETHER_COAP_GET);
    assert_string_equal(fx_path(f), "3/0/0");
    answer(f, &dev, TETHER_COAP_CONTENT, "x");
    assert_int_equal(l.calls, 1);
    assert_int_equal(l.status, 0);
    /* The new registration is in queue mode and awake. */
    assert_true(tether_server_reg_queue(the(f)));
    assert_false(tether_server_reg_sleeping(f->srv, the(f)));
}

static void test_R6_queued_requests_fail_when_the_registration_expires(void **state)
{
    fx *f = *state;
    tether_time t0 = f->now;
    qlog l = {0}, d = {0};
    char id[16];
    tether_peer dev;

    (void)reg_q(f, "ep=q&lt=300&b=UQ", id);
    fx_at(f, t0 + 93000);
    assert_int_equal(tether_server_read(f->srv, f->now, "q", "/3/0/0", TETHER_SERVER_NO_FORMAT,
                                        on_resp, &l),
                     0);
    fx_at(f, t0 + 300000);
    assert_null(the(f));
    assert_int_equal(l.calls, 1);
    assert_int_equal(l.status, TETHER_ERR_CANCELLED);
    assert_string_equal(l.reason, "ep=q's registration expired (R6)");
    /* De-register ends the queue the same way. */
    dev = reg_q(f, "ep=q&lt=300&b=UQ", id);
    fx_at(f, f->now + 93000);
    assert_int_equal(tether_server_read(f->srv, f->now, "q", "/3/0/0", TETHER_SERVER_NO_FORMAT,
                                        on_resp, &d),
                     0);
    assert_int_equal(fx_deregister(f, &dev, id), TETHER_COAP_DELETED);
    assert_int_equal(d.calls, 1);
    assert_string_equal(d.reason, "ep=q de-registered");
    assert_false(fx_pop(f));
}

static void test_queue_cancel_a_queued_request(void **state)
{
    fx *f = *state;
    tether_server_request r = {0};
    tether_server_req_id rid = 0;
    qlog l = {0};
    char id[16];
    tether_peer dev = reg_q(f, "ep=q&lt=3600&b=UQ", id);

    fx_at(f, f->now + 93000);
    r.op = TETHER_SERVER_OP_READ;
    r.path = "/3/0/0";
    r.accept = TETHER_SERVER_NO_FORMAT;
    assert_int_equal(tether_server_submit(f->srv, f->now, "q", &r, on_resp, &l, &rid), 0);
    assert_int_equal(tether_server_reg_queued(f->srv, the(f)), 1);
    assert_int_equal(tether_server_cancel(f->srv, f->now, rid, TETHER_SERVER_CANCEL_PASSIVE), 0);
    assert_int_equal(l.calls, 1);
    assert_int_equal(l.status, TETHER_ERR_CANCELLED);
    assert_int_equal(tether_server_reg_queued(f->srv, the(f)), 0);
    assert_int_equal(fx_update(f, &dev, id, NULL, NULL), TETHER_COAP_CHANGED);
    assert_false(fx_pop(f)); /* nothing left to send */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_queue_client_sleeps_after_the_awake_window, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_queue_requests_wait_for_the_next_update, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_queue_awake_window_restarts_on_each_message, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_queue_is_bounded, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_queue_keeps_order_and_times_from_sending, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_queue_1_1_q_parameter_and_plain_u, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_queue_binding_without_q_sends_the_queue, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_queue_notification_wakes_the_client, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R15_queued_requests_move_to_the_new_registration, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R6_queued_requests_fail_when_the_registration_expires, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_queue_cancel_a_queued_request, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
