/* SPDX-License-Identifier: Apache-2.0 */
/* Restoring saved registrations (src/server/restore.c): a registration
 * read through the accessors and restored into a new engine is the same
 * registration (same location id, fields, object list), answers its
 * client's Update 2.04, and expires exactly when it would have; bad,
 * duplicate and expired records are refused with nothing changed; queue
 * mode comes back asleep or awake as the last message says. */
#include "server/server_fixture.h"

#include "tether/lwm2m.h"

/* A saved registration's storage, as a store would keep it. */
typedef struct saved {
    tether_server_saved_reg s;
    char ep[64], id[16], sms[40], root[72];
    tether_server_obj objs[16];
} saved;

static void save(const fx *f, const tether_server_reg *r, saved *out)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->ep, sizeof(out->ep), "%s", tether_server_reg_ep(r));
    snprintf(out->id, sizeof(out->id), "%s", tether_server_reg_id(r));
    snprintf(out->sms, sizeof(out->sms), "%s", tether_server_reg_sms(r));
    snprintf(out->root, sizeof(out->root), "%s", tether_server_reg_root(r));
    out->s.ep = out->ep;
    out->s.ep_len = strlen(out->ep);
    out->s.id = out->id;
    out->s.peer = *tether_server_reg_peer(r);
    out->s.lifetime_s = tether_server_reg_lifetime(r);
    out->s.binding = tether_server_reg_binding(r);
    out->s.version = tether_server_reg_version(r);
    out->s.queue = tether_server_reg_queue(r);
    out->s.sms = out->sms;
    out->s.sms_len = strlen(out->sms);
    out->s.root = out->root;
    out->s.root_len = strlen(out->root);
    out->s.formats = tether_server_reg_formats(r);
    out->s.n_objs = tether_server_reg_object_count(r);
    assert_true(out->s.n_objs <= 16);
    for (size_t i = 0; i < out->s.n_objs; i++)
        assert_int_equal(tether_server_reg_object(r, i, &out->objs[i]), 0);
    out->s.objs = out->objs;
    out->s.registered = tether_server_reg_registered(r);
    out->s.updated = tether_server_reg_updated(f->srv, r);
}

/* A plain record, made by hand: ep "dev", lifetime 60 s, updated at now. */
static void make(const fx *f, saved *out, const char *ep, const char *id)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->ep, sizeof(out->ep), "%s", ep);
    snprintf(out->id, sizeof(out->id), "%s", id);
    out->s.ep = out->ep;
    out->s.ep_len = strlen(ep);
    out->s.id = out->id;
    out->s.peer = fx_peer(0, 9);
    out->s.lifetime_s = 60;
    out->s.binding = TETHER_LWM2M_BIND_U;
    out->s.version = TETHER_LWM2M_V1_1;
    out->objs[0].oid = 3;
    out->objs[0].iid = 0;
    out->s.objs = out->objs;
    out->s.n_objs = 1;
    out->s.registered = f->now;
    out->s.updated = f->now;
}

/* Register, read everything back, restart the engine on a clock whose
 * origin moved (a new process), restore: same registration, and the
 * client's Update to its old location is answered 2.04. */
static void test_restore_round_trip(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(1, 4);
    const tether_server_reg *r;
    saved sv;
    char id[16], objs[128], bind[8];
    tether_time t0 = f->now, reg_at, upd_at;

    assert_int_equal(fx_register(f, &dev, "ep=meter-7&lt=300&lwm2m=1.1&b=US&sms=+4412345&Q",
                                 "</lwm2m>;rt=\"oma.lwm2m\";ct=\"110 112\",</lwm2m/1/0>,"
                                 "</lwm2m/3/0>,</lwm2m/3303>;ver=1.1,</lwm2m/3303/2>",
                                 id),
                     TETHER_COAP_CREATED);
    fx_at(f, t0 + 40000);
    assert_int_equal(fx_update(f, &dev, id, NULL, NULL), TETHER_COAP_CHANGED);
    r = tether_server_find_ep(f->srv, "meter-7", 7);
    assert_non_null(r);
    save(f, r, &sv);
    assert_string_equal(sv.id, id);
    /* The saved times, as offsets on the old clock. */
    reg_at = sv.s.registered - t0;
    upd_at = sv.s.updated - t0;
    assert_int_equal(reg_at, 0);
    assert_int_equal(upd_at, 40000);

    /* A new engine 10 s later, its clock 5,000,000 ms further on. */
    fx_stop(f);
    fx_config(f);
    fx_start(f);
    f->now = 5000000;
    sv.s.registered = f->now - 10000 - (40000 - reg_at);
    sv.s.updated = f->now - 10000;
    assert_int_equal(tether_server_restore(f->srv, f->now, &sv.s), 0);
    assert_int_equal(f->n_ev, 0); /* no event */
    assert_int_equal(tether_server_count(f->srv), 1);
    r = tether_server_find_id(f->srv, id, strlen(id));
    assert_non_null(r);
    assert_ptr_equal(r, tether_server_find_ep(f->srv, "meter-7", 7));
    assert_string_equal(tether_server_reg_sms(r), "+4412345");
    assert_string_equal(tether_server_reg_root(r), "/lwm2m");
    assert_true(tether_peer_equal(tether_server_reg_peer(r), &dev));
    assert_int_equal(tether_server_reg_lifetime(r), 300);
    assert_string_equal(tether_server_reg_binding_str(r, bind, sizeof(bind)), "US");
    assert_int_equal(tether_server_reg_version(r), TETHER_LWM2M_V1_1);
    assert_true(tether_server_reg_queue(r));
    assert_int_equal(tether_server_reg_formats(r), TETHER_CT_SENML_JSON | TETHER_CT_SENML_CBOR);
    assert_int_equal(tether_server_reg_objects_str(r, objs, sizeof(objs), NULL), 0);
    assert_string_equal(objs, "</1/0>,</3/0>,</3303>,</3303/2>");
    assert_int_equal(sv.objs[2].ver_major, 1);
    assert_int_equal(sv.objs[2].ver_minor, 1);
    assert_int_equal(tether_server_reg_registered(r), f->now - 50000);
    assert_int_equal(tether_server_reg_updated(f->srv, r), f->now - 10000);
    assert_int_equal(tether_server_reg_expires(r), f->now - 10000 + 300000);

    /* The client does not know about the restart. */
    assert_int_equal(fx_update(f, &dev, id, NULL, NULL), TETHER_COAP_CHANGED);
    assert_int_equal(fx_last(f)->type, TETHER_SERVER_EV_UPDATED);
    assert_int_equal(fx_last(f)->changed, 0);
    assert_int_equal(tether_server_reg_expires(tether_server_find_id(f->srv, id, strlen(id))),
                     f->now + 300000);
}

/* R6 across a restart: updated 50 s ago with lt 60 and grace 2 s, it
 * expires 12 s after the restore, not a lifetime later. */
static void test_R6_restored_expires_on_time(void **state)
{
    fx *f = *state;
    saved sv;

    fx_stop(f);
    fx_config(f);
    f->cfg.grace_s = 2;
    fx_start(f);
    make(f, &sv, "dev", "AAAAAAAAAA");
    sv.s.registered = f->now - 500000;
    sv.s.updated = f->now - 50000;
    assert_int_equal(tether_server_restore(f->srv, f->now, &sv.s), 0);
    assert_int_equal(tether_server_next_deadline(f->srv), f->now + 12000);
    tether_time t = f->now;
    fx_at(f, t + 11999);
    assert_non_null(tether_server_find_ep(f->srv, "dev", 3));
    fx_at(f, t + 12000);
    assert_null(tether_server_find_ep(f->srv, "dev", 3));
    assert_int_equal(fx_count(f, TETHER_SERVER_EV_EXPIRED), 1);
    assert_string_equal(fx_last(f)->id, "AAAAAAAAAA");
}

/* Expired, duplicate and malformed records: refused, nothing changed,
 * errmsg says why. */
static void test_restore_refuses(void **state)
{
    fx *f = *state;
    saved a, b;
    struct {
        const char *what;
        int err;
    } cases[] = {
        {"expired", TETHER_ERR_STATE}, {"ep dup", TETHER_ERR_EXISTS},
        {"id dup", TETHER_ERR_EXISTS}, {"id char", TETHER_ERR_INVAL},
        {"id short", TETHER_ERR_INVAL}, {"lt 0", TETHER_ERR_INVAL},
        {"version", TETHER_ERR_INVAL}, {"binding", TETHER_ERR_INVAL},
        {"oid 0", TETHER_ERR_INVAL}, {"future", TETHER_ERR_INVAL},
        {"order", TETHER_ERR_INVAL}, {"ep ctl", TETHER_ERR_INVAL},
        {"ep empty", TETHER_ERR_INVAL}, {"root", TETHER_ERR_INVAL},
        {"peer", TETHER_ERR_INVAL}, {"sms", TETHER_ERR_INVAL},
    };

    make(f, &a, "dev", "AAAAAAAAAA");
    assert_int_equal(tether_server_restore(f->srv, f->now, &a.s), 0);
    assert_int_equal(tether_server_restore(f->srv, f->now, NULL), TETHER_ERR_INVAL);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *w = cases[i].what;
        make(f, &b, "other", "BBBBBBBBBB");
        if (strcmp(w, "expired") == 0) {
            b.s.updated = f->now - 60000; /* exactly lifetime ago: due now */
            b.s.registered = b.s.updated;
        } else if (strcmp(w, "ep dup") == 0) {
            b.s.ep = "dev";
            b.s.ep_len = 3;
        } else if (strcmp(w, "id dup") == 0) {
            b.s.id = "AAAAAAAAAA";
        } else if (strcmp(w, "id char") == 0) {
            b.s.id = "BBBBB.BBBB";
        } else if (strcmp(w, "id short") == 0) {
            b.s.id = "BBB";
        } else if (strcmp(w, "lt 0") == 0) {
            b.s.lifetime_s = 0;
        } else if (strcmp(w, "version") == 0) {
            b.s.version = 0x13;
        } else if (strcmp(w, "binding") == 0) {
            b.s.binding = 0;
        } else if (strcmp(w, "oid 0") == 0) {
            b.objs[0].oid = 0;
        } else if (strcmp(w, "future") == 0) {
            b.s.updated = f->now + 1;
        } else if (strcmp(w, "order") == 0) {
            b.s.registered = f->now;
            b.s.updated = f->now - 1;
        } else if (strcmp(w, "ep ctl") == 0) {
            b.s.ep = "ot\nher";
            b.s.ep_len = 6;
        } else if (strcmp(w, "ep empty") == 0) {
            b.s.ep_len = 0;
        } else if (strcmp(w, "root") == 0) {
            b.s.root = "lwm2m";
            b.s.root_len = 5;
        } else if (strcmp(w, "peer") == 0) {
            b.s.peer.len = 0;
        } else if (strcmp(w, "sms") == 0) {
            b.s.sms = "123456789012345678901234567890123";
            b.s.sms_len = 33;
        }
        print_message("case %s\n", w);
        assert_int_equal(tether_server_restore(f->srv, f->now, &b.s), cases[i].err);
        assert_true(tether_server_errmsg(f->srv)[0] != '\0');
        assert_int_equal(tether_server_count(f->srv), 1);
        assert_null(tether_server_find_ep(f->srv, "other", 5));
        assert_null(tether_server_find_id(f->srv, "BBBBBBBBBB", 10));
    }
    /* The one that was restored is untouched. */
    assert_non_null(tether_server_find_id(f->srv, "AAAAAAAAAA", 10));
    assert_int_equal(f->n_ev, 0);
}

/* The limit of registrations counts restored ones too. */
static void test_restore_respects_limit(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    saved a, b;

    fx_stop(f);
    fx_config(f);
    f->cfg.max_registrations = 1;
    fx_start(f);
    make(f, &a, "a", "AAAAAAAAAA");
    make(f, &b, "b", "BBBBBBBBBB");
    assert_int_equal(tether_server_restore(f->srv, f->now, &a.s), 0);
    assert_int_equal(tether_server_restore(f->srv, f->now, &b.s), TETHER_ERR_NOMEM);
    assert_int_equal(fx_register(f, &dev, "ep=c&lt=60", "</3/0>", NULL),
                     TETHER_COAP_SERVICE_UNAVAILABLE);
}

/* A host rebooted since the save: the engine clock (since boot) is younger
 * than the registration. Times before its origin wrap; the expiry is still
 * right, and the accessors give back what was restored. */
static void test_restore_before_clock_origin(void **state)
{
    fx *f = *state;
    saved a;
    const tether_server_reg *r;

    f->now = 5000;
    make(f, &a, "old", "AAAAAAAAAA");
    a.s.lifetime_s = 86400;
    a.s.registered = f->now - 7200000u; /* wraps */
    a.s.updated = f->now - 3600000u;
    assert_int_equal(tether_server_restore(f->srv, f->now, &a.s), 0);
    r = tether_server_find_ep(f->srv, "old", 3);
    assert_non_null(r);
    assert_int_equal(tether_server_reg_expires(r), f->now + 86400000u - 3600000u);
    assert_int_equal(tether_server_reg_updated(f->srv, r), a.s.updated);
    assert_int_equal(tether_server_reg_registered(r), a.s.registered);
    assert_int_equal(f->now - tether_server_reg_updated(f->srv, r), 3600000u);
}

static void on_read(void *arg, tether_time now, int status, const tether_server_response *resp)
{
    (void)now;
    (void)resp;
    *(int *)arg = status;
}

/* Queue mode: a client silent for longer than the awake window is asleep
 * after the restore (a request waits for it); one that spoke just before
 * is awake for the rest of its window. */
static void test_restore_queue_mode(void **state)
{
    fx *f = *state;
    saved a, b;
    int st = 1;

    make(f, &a, "sleepy", "AAAAAAAAAA");
    a.s.queue = 1;
    a.s.registered = a.s.updated = f->now - f->cfg.awake_window_ms;
    a.s.lifetime_s = 3600;
    make(f, &b, "awake", "BBBBBBBBBB");
    b.s.queue = 1;
    b.s.registered = b.s.updated = f->now - 1000;
    b.s.lifetime_s = 3600;
    assert_int_equal(tether_server_restore(f->srv, f->now, &a.s), 0);
    assert_int_equal(tether_server_restore(f->srv, f->now, &b.s), 0);
    assert_true(tether_server_reg_sleeping(f->srv, tether_server_find_ep(f->srv, "sleepy", 6)));
    assert_false(tether_server_reg_sleeping(f->srv, tether_server_find_ep(f->srv, "awake", 5)));

    assert_int_equal(tether_server_read(f->srv, f->now, "sleepy", "/3/0", TETHER_SERVER_NO_FORMAT,
                                        on_read, &st),
                     0);
    assert_false(fx_pop(f)); /* queued */
    assert_int_equal(tether_server_reg_queued(f->srv, tether_server_find_ep(f->srv, "sleepy", 6)),
                     1);
    /* The awake one falls asleep when the rest of its window has passed. */
    fx_at(f, f->now + f->cfg.awake_window_ms - 1000 - 1);
    assert_int_equal(fx_count(f, TETHER_SERVER_EV_SLEEPING), 0);
    fx_at(f, f->now + 1);
    assert_int_equal(fx_count(f, TETHER_SERVER_EV_SLEEPING), 1);
    assert_string_equal(fx_last(f)->ep, "awake");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_restore_round_trip, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R6_restored_expires_on_time, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_restore_refuses, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_restore_respects_limit, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_restore_before_clock_origin, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_restore_queue_mode, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
