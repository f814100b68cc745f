/* SPDX-License-Identifier: Apache-2.0 */
/* tetherd's registration store (apps/tetherd/store.c, store_sqlite.c),
 * built into this test: engine events become rows, coalesced per endpoint
 * (a thousand Updates are one row write), deletes and replacements win,
 * --sync always commits before tetherd_store_sync() returns, a restart
 * restores what was saved and deletes what expired, and an unknown schema
 * version is refused. The engine is real (the server fixture) and its
 * clock is tether_os_now_ms(), as in tetherd, since the store converts
 * engine times to wall-clock times. Nothing sleeps: --sync always and
 * close make every commit happen before the call returns. */
#include "server/server_fixture.h"

#include <sqlite3.h>
#include <unistd.h>

#include "../../apps/tetherd/store.c"
#include "../../apps/tetherd/store_sqlite.c"
#include "tether/os.h"

/* metrics.c's hook: the store registers itself at open, leaves at close. */
static tetherd_store_metrics_fn g_hook;
static void *g_hook_user;

void tetherd_metrics_store_hook(tetherd_store_metrics_fn fn, void *user)
{
    g_hook = fn;
    g_hook_user = user;
}

/* tetherd's log sink (eventlog.c), collected. */
static char g_log[4096];

void tetherd_log(void *user, int level, const char *module, const char *msg)
{
    size_t n = strlen(g_log);
    (void)user;
    (void)module;
    snprintf(g_log + n, sizeof(g_log) - n, "%s %s\n", tether_log_level_name(level), msg);
}

typedef struct tst {
    fx f;
    char dir[64];
    tetherd_store *st;
} tst;

static int setup(void **state)
{
    tst *t = calloc(1, sizeof(tst));
    fx_config(&t->f);
    t->f.now = tether_os_now_ms();
    fx_start(&t->f);
    snprintf(t->dir, sizeof(t->dir), "/tmp/tether-store-test-XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    g_log[0] = '\0';
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    tst *t = *state;
    char cmd[160];
    tetherd_store_close(t->st);
    assert_null(g_hook); /* close takes the store out of /metrics */
    fx_stop(&t->f);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
    assert_int_equal(system(cmd), 0);
    free(t);
    return 0;
}

static void open_store(tst *t, tetherd_store_sync_mode sync)
{
    tetherd_store_config c = {TETHERD_STORE_SQLITE, t->dir, sync, 0};
    char err[256];
    size_t n = 9, x = 9, bad = 9;

    assert_int_equal(tetherd_store_open(&t->st, &c, err, sizeof(err)), 0);
    assert_int_equal(tetherd_store_restore(t->st, t->f.srv, t->f.now, &n, &x, &bad, err,
                                           sizeof(err)),
                     0);
}

static void event(tst *t, tether_server_event_type type, const char *ep, unsigned changed)
{
    tether_server_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = type;
    ev.reg = tether_server_find_ep(t->f.srv, ep, strlen(ep));
    assert_non_null(ev.reg);
    ev.changed = changed;
    tetherd_store_on_event(t->st, t->f.now, &ev);
}

/* SELECT one integer or text column of ep's row; -1 / "" when absent. */
static int64_t row_int(tst *t, const char *ep, const char *col)
{
    char path[128], sql[128];
    sqlite3 *db;
    sqlite3_stmt *s;
    int64_t v = -1;

    snprintf(path, sizeof(path), "%s/tether.db", t->dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    snprintf(sql, sizeof(sql), "SELECT %s FROM registrations WHERE endpoint = ?1", col);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    sqlite3_bind_text(s, 1, ep, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

static int64_t row_count(tst *t)
{
    char path[128];
    sqlite3 *db;
    sqlite3_stmt *s;
    int64_t v = -1;

    snprintf(path, sizeof(path), "%s/tether.db", t->dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM registrations", -1, &s, NULL),
                     SQLITE_OK);
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

/* A thousand Updates of one endpoint in a batch are one row write, and the
 * row has the last one's time. */
static void test_store_coalesces_updates(void **state)
{
    tst *t = *state;
    tether_peer dev = fx_peer(0, 1);
    tetherd_store_stats s;
    char id[16];

    open_store(t, TETHERD_SYNC_ALWAYS);
    assert_int_equal(fx_register(&t->f, &dev, "ep=a&lt=600", "</3/0>", id), TETHER_COAP_CREATED);
    event(t, TETHER_SERVER_EV_REGISTERED, "a", 0);
    tetherd_store_sync(t->st);
    tetherd_store_get_stats(t->st, &s);
    assert_string_equal(s.kind, "sqlite");
    assert_int_equal(s.commits, 1);
    assert_int_equal(s.rows_written, 1);
    assert_int_equal(s.pending, 0);
    assert_int_equal(row_int(t, "a", "lifetime"), 600);

    assert_int_equal(fx_register(&t->f, &dev, "ep=b&lt=60", "</3/0>", NULL), TETHER_COAP_CREATED);
    event(t, TETHER_SERVER_EV_REGISTERED, "b", 0);
    for (int i = 0; i < 1000; i++) {
        t->f.now++;
        assert_int_equal(fx_update(&t->f, &dev, id, NULL, NULL), TETHER_COAP_CHANGED);
        event(t, TETHER_SERVER_EV_UPDATED, "a", 0);
    }
    tetherd_store_get_stats(t->st, &s);
    assert_int_equal(s.pending, 2);
    assert_int_equal(s.events_coalesced, 999);
    tetherd_store_sync(t->st);
    tetherd_store_get_stats(t->st, &s);
    assert_int_equal(s.commits, 2);
    assert_int_equal(s.rows_written, 3); /* a once, b once, after a once */
    assert_int_equal(s.pending, 0);
    /* /metrics sees the same figures through its hook. */
    {
        tetherd_store_metrics m;
        assert_non_null(g_hook);
        assert_ptr_equal(g_hook_user, t->st);
        assert_int_equal(g_hook(g_hook_user, &m), 0);
        assert_int_equal(m.commits, 2);
        assert_int_equal(m.rows, 3);
        assert_int_equal(m.pending, 0);
    }
    assert_int_equal(row_count(t), 2);
    /* a's refresh time moved by the thousand Updates (1 ms each). */
    assert_true(row_int(t, "a", "updated_ms") - row_int(t, "a", "registered_ms") >= 999);
}

/* A replaced registration's row is the new one; a de-registered one's is
 * gone; an Update that changed something rewrites the whole row. */
static void test_store_deletes_and_replacements(void **state)
{
    tst *t = *state;
    tether_peer dev = fx_peer(0, 1);
    char id_a[16], id_b[16], id_a2[16];

    open_store(t, TETHERD_SYNC_ALWAYS);
    assert_int_equal(fx_register(&t->f, &dev, "ep=a&lt=600", "</3/0>", id_a), TETHER_COAP_CREATED);
    event(t, TETHER_SERVER_EV_REGISTERED, "a", 0);
    assert_int_equal(fx_register(&t->f, &dev, "ep=b&lt=600", "</3/0>", id_b), TETHER_COAP_CREATED);
    event(t, TETHER_SERVER_EV_REGISTERED, "b", 0);
    tetherd_store_sync(t->st);
    assert_int_equal(row_count(t), 2);

    /* R15 in one batch: REPLACED (a delete) then REGISTERED (the new row). */
    event(t, TETHER_SERVER_EV_REPLACED, "a", 0);
    assert_int_equal(fx_register(&t->f, &dev, "ep=a&lt=900", "</3/0>,</4/0>", id_a2),
                     TETHER_COAP_CREATED);
    event(t, TETHER_SERVER_EV_REGISTERED, "a", 0);
    assert_int_equal(fx_update(&t->f, &dev, id_b, "lt=1234", NULL), TETHER_COAP_CHANGED);
    event(t, TETHER_SERVER_EV_UPDATED, "b", TETHER_CHANGED_LIFETIME);
    tetherd_store_sync(t->st);
    assert_int_equal(row_int(t, "a", "lifetime"), 900);
    assert_int_equal(row_int(t, "a", "length(objects)"), 12);
    assert_int_equal(row_int(t, "b", "lifetime"), 1234);

    event(t, TETHER_SERVER_EV_DEREGISTERED, "b", 0);
    tetherd_store_sync(t->st);
    assert_int_equal(row_int(t, "b", "lifetime"), -1);
    assert_int_equal(row_count(t), 1);
    (void)id_a;
}

/* Saved rows come back into a new engine with their ids and remaining
 * lifetimes; an expired row is deleted and counted; a row that does not
 * decode is deleted and logged. */
static void test_store_restore_after_restart(void **state)
{
    tst *t = *state;
    tether_peer dev = fx_peer(0, 3);
    tetherd_store_config c = {TETHERD_STORE_SQLITE, t->dir, TETHERD_SYNC_BATCH, 0};
    char id[16], err[256], path[128];
    size_t n, x, bad;
    sqlite3 *db;
    const tether_server_reg *r;

    open_store(t, TETHERD_SYNC_BATCH);
    assert_int_equal(fx_register(&t->f, &dev, "ep=keep&lt=600", "</3/0>,</3303/1>", id),
                     TETHER_COAP_CREATED);
    event(t, TETHER_SERVER_EV_REGISTERED, "keep", 0);
    tetherd_store_close(t->st); /* commits */
    t->st = NULL;
    snprintf(path, sizeof(path), "%s/tether.db", t->dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "INSERT INTO registrations SELECT 'old', 'AAAAAAAAAA', address, 60,"
                                  " binding, version, queue, sms, root, formats, objects,"
                                  " registered_ms - 120000, updated_ms - 61000 FROM registrations;"
                                  "INSERT INTO registrations VALUES ('junk', 'BBBBBBBBBB', x'00',"
                                  " 1, 1, 16, 0, '', '', 0, x'', 0, 0)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);

    /* A new engine, later on its clock. */
    fx_stop(&t->f);
    fx_config(&t->f);
    fx_start(&t->f);
    t->f.now = tether_os_now_ms();
    assert_int_equal(tetherd_store_open(&t->st, &c, err, sizeof(err)), 0);
    assert_int_equal(tetherd_store_restore(t->st, t->f.srv, t->f.now, &n, &x, &bad, err,
                                           sizeof(err)),
                     0);
    assert_int_equal(n, 1);
    assert_int_equal(x, 1);
    assert_int_equal(bad, 1);
    assert_non_null(strstr(g_log, "ep=junk: a row that does not decode, removed"));
    assert_int_equal(row_count(t), 1);
    r = tether_server_find_id(t->f.srv, id, strlen(id));
    assert_non_null(r);
    assert_string_equal(tether_server_reg_ep(r), "keep");
    assert_int_equal(tether_server_reg_object_count(r), 2);
    assert_true(tether_peer_equal(tether_server_reg_peer(r), &dev));
    /* Remaining lifetime: 600 s less the (short) time since the Register. */
    assert_true(tether_server_reg_expires(r) <= t->f.now + 600000);
    assert_true(tether_server_reg_expires(r) > t->f.now + 590000);
    assert_int_equal(fx_update(&t->f, &dev, id, NULL, NULL), TETHER_COAP_CHANGED);
}

/* Rows over --max-registrations are refused but kept for a later start. */
static void test_store_keeps_rows_over_the_limit(void **state)
{
    tst *t = *state;
    tether_peer dev = fx_peer(0, 1);
    tetherd_store_config c = {TETHERD_STORE_SQLITE, t->dir, TETHERD_SYNC_BATCH, 0};
    char err[256];
    size_t n, x, bad;

    open_store(t, TETHERD_SYNC_BATCH);
    assert_int_equal(fx_register(&t->f, &dev, "ep=a&lt=600", "</3/0>", NULL), TETHER_COAP_CREATED);
    event(t, TETHER_SERVER_EV_REGISTERED, "a", 0);
    assert_int_equal(fx_register(&t->f, &dev, "ep=b&lt=600", "</3/0>", NULL), TETHER_COAP_CREATED);
    event(t, TETHER_SERVER_EV_REGISTERED, "b", 0);
    tetherd_store_close(t->st);
    t->st = NULL;

    fx_stop(&t->f);
    fx_config(&t->f);
    t->f.cfg.max_registrations = 1;
    fx_start(&t->f);
    t->f.now = tether_os_now_ms();
    assert_int_equal(tetherd_store_open(&t->st, &c, err, sizeof(err)), 0);
    assert_int_equal(tetherd_store_restore(t->st, t->f.srv, t->f.now, &n, &x, &bad, err,
                                           sizeof(err)),
                     0);
    assert_int_equal(n, 1);
    assert_int_equal(x, 0);
    assert_int_equal(bad, 1);
    assert_non_null(strstr(g_log, "the row is kept"));
    assert_int_equal(row_count(t), 2);
}

/* A database of another schema version is refused with a sentence. */
static void test_store_refuses_unknown_schema(void **state)
{
    tst *t = *state;
    tetherd_store_config c = {TETHERD_STORE_SQLITE, t->dir, TETHERD_SYNC_BATCH, 0};
    char path[128], err[256];
    sqlite3 *db;

    snprintf(path, sizeof(path), "%s/tether.db", t->dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 7", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(tetherd_store_open(&t->st, &c, err, sizeof(err)), TETHER_ERR_UNSUPPORTED);
    assert_null(t->st);
    assert_non_null(strstr(err, "schema version 7"));
}

/* --store memory: nothing kept, nothing to restore, stats say "memory". */
static void test_store_memory_keeps_nothing(void **state)
{
    tst *t = *state;
    tetherd_store_config c = {TETHERD_STORE_MEMORY, NULL, TETHERD_SYNC_ALWAYS, 0};
    tether_peer dev = fx_peer(0, 1);
    tetherd_store_stats s;
    char err[64];
    size_t n = 9;

    assert_int_equal(tetherd_store_open(&t->st, &c, err, sizeof(err)), 0);
    assert_int_equal(tetherd_store_restore(t->st, t->f.srv, t->f.now, &n, NULL, NULL, err,
                                           sizeof(err)),
                     0);
    assert_int_equal(n, 0);
    assert_int_equal(fx_register(&t->f, &dev, "ep=a&lt=600", "</3/0>", NULL), TETHER_COAP_CREATED);
    event(t, TETHER_SERVER_EV_REGISTERED, "a", 0);
    tetherd_store_sync(t->st);
    tetherd_store_get_stats(t->st, &s);
    assert_string_equal(s.kind, "memory");
    assert_int_equal(s.pending + s.commits + s.rows_written, 0);
    assert_int_equal(access("/nonexistent-tether-data", F_OK), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_coalesces_updates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_deletes_and_replacements, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_restore_after_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_keeps_rows_over_the_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_refuses_unknown_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_memory_keeps_nothing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
