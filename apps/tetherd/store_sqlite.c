/* SPDX-License-Identifier: Apache-2.0 */
/* The store's SQLite back end: one table, one row per registration keyed
 * by endpoint name, written in transactions the front (store.c) batches.
 *
 *   registrations(endpoint TEXT PRIMARY KEY, location_id, address BLOB
 *                 (2-byte big-endian socket index + sockaddr bytes),
 *                 lifetime, binding, version, queue, sms, root, formats,
 *                 objects BLOB (6 bytes each: oid, iid big-endian, ver
 *                 major, minor), registered_ms, updated_ms) WITHOUT ROWID
 *
 * PRAGMA user_version is the schema version: 0 on a new file (the table is
 * created and it becomes TETHERD_STORE_SCHEMA), TETHERD_STORE_SCHEMA is
 * used as is, anything else is refused. journal_mode=WAL keeps readers and
 * the writer apart and makes a commit one append; synchronous=FULL syncs
 * the WAL at each commit, so a committed row survives a power loss.
 * Statements are prepared once. */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"
#include "tether/err.h"

struct store_db {
    sqlite3 *db;
    sqlite3_stmt *put, *touch, *del, *begin, *commit, *rollback, *count;
};

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS registrations ("
    " endpoint TEXT PRIMARY KEY NOT NULL,"
    " location_id TEXT NOT NULL,"
    " address BLOB NOT NULL,"
    " lifetime INTEGER NOT NULL,"
    " binding INTEGER NOT NULL,"
    " version INTEGER NOT NULL,"
    " queue INTEGER NOT NULL,"
    " sms TEXT NOT NULL,"
    " root TEXT NOT NULL,"
    " formats INTEGER NOT NULL,"
    " objects BLOB NOT NULL,"
    " registered_ms INTEGER NOT NULL,"
    " updated_ms INTEGER NOT NULL"
    ") WITHOUT ROWID";

static int db_fail(store_db *db, char *err, size_t cap, const char *what)
{
    snprintf(err, cap, "%s: %s", what, db->db != NULL ? sqlite3_errmsg(db->db) : "out of memory");
    return TETHER_ERR_SYS;
}

static int exec(store_db *db, const char *sql)
{
    return sqlite3_exec(db->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : TETHER_ERR_SYS;
}

static int prepare(store_db *db, const char *sql, sqlite3_stmt **st)
{
    return sqlite3_prepare_v3(db->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) == SQLITE_OK
               ? 0
               : TETHER_ERR_SYS;
}

static int user_version(store_db *db, int *v)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(db->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return TETHER_ERR_SYS;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : TETHER_ERR_SYS;
}

int store_db_open(store_db **out, const char *path, char *err, size_t cap)
{
    store_db *db = calloc(1, sizeof(*db));
    int v = 0, rc;

    if (db == NULL) {
        snprintf(err, cap, "out of memory");
        return TETHER_ERR_NOMEM;
    }
    rc = sqlite3_open_v2(path, &db->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        rc = db_fail(db, err, cap, path);
        store_db_close(db);
        return rc;
    }
    sqlite3_busy_timeout(db->db, 5000);
    if (user_version(db, &v) != 0) {
        /* Not a database at all ("file is not a database"). */
        rc = db_fail(db, err, cap, path);
        store_db_close(db);
        return rc;
    }
    if (v != 0 && v != TETHERD_STORE_SCHEMA) {
        snprintf(err, cap,
                 "%s: schema version %d, but this tetherd knows version %d only (a newer "
                 "tetherd wrote it? use that one, or another --data)",
                 path, v, TETHERD_STORE_SCHEMA);
        store_db_close(db);
        return TETHER_ERR_UNSUPPORTED;
    }
    if (exec(db, "PRAGMA journal_mode=WAL") != 0 || exec(db, "PRAGMA synchronous=FULL") != 0) {
        rc = db_fail(db, err, cap, path);
        store_db_close(db);
        return rc;
    }
    if (v == 0) {
        char sql[64];
        snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", TETHERD_STORE_SCHEMA);
        if (exec(db, "BEGIN IMMEDIATE") != 0 || exec(db, schema_sql) != 0 || exec(db, sql) != 0 ||
            exec(db, "COMMIT") != 0) {
            rc = db_fail(db, err, cap, path);
            store_db_close(db);
            return rc;
        }
    }
    if (prepare(db,
                "INSERT OR REPLACE INTO registrations (endpoint, location_id, address, lifetime, "
                "binding, version, queue, sms, root, formats, objects, registered_ms, "
                "updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                &db->put) != 0 ||
        prepare(db, "UPDATE registrations SET updated_ms = ?2 WHERE endpoint = ?1", &db->touch) != 0 ||
        prepare(db, "DELETE FROM registrations WHERE endpoint = ?1", &db->del) != 0 ||
        prepare(db, "BEGIN", &db->begin) != 0 || prepare(db, "COMMIT", &db->commit) != 0 ||
        prepare(db, "ROLLBACK", &db->rollback) != 0 ||
        prepare(db, "SELECT count(*) FROM registrations", &db->count) != 0) {
        rc = db_fail(db, err, cap, path);
        store_db_close(db);
        return rc;
    }
    *out = db;
    return 0;
}

void store_db_close(store_db *db)
{
    if (db == NULL)
        return;
    sqlite3_finalize(db->put);
    sqlite3_finalize(db->touch);
    sqlite3_finalize(db->del);
    sqlite3_finalize(db->begin);
    sqlite3_finalize(db->commit);
    sqlite3_finalize(db->rollback);
    sqlite3_finalize(db->count);
    sqlite3_close(db->db);
    free(db);
}

const char *store_db_errmsg(store_db *db)
{
    return sqlite3_errmsg(db->db);
}

static int step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : TETHER_ERR_SYS;
}

/* --- encoding ------------------------------------------------------------- */

#define OBJ_BYTES 6

int store_db_put(store_db *db, const store_row *r)
{
    sqlite3_stmt *st = db->put;
    uint8_t addr[2 + TETHER_PEER_ADDR_MAX];
    uint8_t objs_small[64 * OBJ_BYTES];
    uint8_t *objs = objs_small;
    int rc;

    if (r->n_objs > sizeof(objs_small) / OBJ_BYTES) {
        objs = malloc(r->n_objs * OBJ_BYTES);
        if (objs == NULL)
            return TETHER_ERR_NOMEM;
    }
    for (size_t i = 0; i < r->n_objs; i++) {
        uint8_t *p = objs + i * OBJ_BYTES;
        p[0] = (uint8_t)(r->objs[i].oid >> 8);
        p[1] = (uint8_t)r->objs[i].oid;
        p[2] = (uint8_t)(r->objs[i].iid >> 8);
        p[3] = (uint8_t)r->objs[i].iid;
        p[4] = r->objs[i].ver_major;
        p[5] = r->objs[i].ver_minor;
    }
    addr[0] = (uint8_t)(r->peer.iface >> 8);
    addr[1] = (uint8_t)r->peer.iface;
    memcpy(addr + 2, r->peer.addr, r->peer.len);
    sqlite3_bind_text(st, 1, r->ep, (int)r->ep_len, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->id, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, addr, 2 + r->peer.len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, r->lifetime_s);
    sqlite3_bind_int(st, 5, r->binding);
    sqlite3_bind_int(st, 6, r->version);
    sqlite3_bind_int(st, 7, r->queue);
    sqlite3_bind_text(st, 8, r->sms, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, r->root, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 10, r->formats);
    sqlite3_bind_blob(st, 11, objs, (int)(r->n_objs * OBJ_BYTES), SQLITE_STATIC);
    sqlite3_bind_int64(st, 12, r->registered_ms);
    sqlite3_bind_int64(st, 13, r->updated_ms);
    rc = step_done(st);
    if (objs != objs_small)
        free(objs);
    return rc;
}

int store_db_touch(store_db *db, const char *ep, size_t ep_len, int64_t updated_ms)
{
    sqlite3_bind_text(db->touch, 1, ep, (int)ep_len, SQLITE_STATIC);
    sqlite3_bind_int64(db->touch, 2, updated_ms);
    return step_done(db->touch);
}

int store_db_delete(store_db *db, const char *ep, size_t ep_len)
{
    sqlite3_bind_text(db->del, 1, ep, (int)ep_len, SQLITE_STATIC);
    return step_done(db->del);
}

int store_db_begin(store_db *db)
{
    return step_done(db->begin);
}

int store_db_commit(store_db *db)
{
    return step_done(db->commit);
}

void store_db_rollback(store_db *db)
{
    (void)step_done(db->rollback);
}

int64_t store_db_count(store_db *db)
{
    int64_t n = -1;

    if (sqlite3_step(db->count) == SQLITE_ROW)
        n = sqlite3_column_int64(db->count, 0);
    sqlite3_reset(db->count);
    return n;
}

/* --- loading ----------------------------------------------------------------- */

static void copy_text(char *dst, size_t cap, sqlite3_stmt *st, int col, int *ok)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    int n = sqlite3_column_bytes(st, col);

    if (t == NULL || n < 0 || (size_t)n >= cap) {
        dst[0] = '\0';
        if (n != 0)
            *ok = 0;
        return;
    }
    memcpy(dst, t, (size_t)n);
    dst[n] = '\0';
    if (strlen(dst) != (size_t)n)
        *ok = 0; /* an embedded NUL */
}

static int in_range(sqlite3_int64 v, sqlite3_int64 lo, sqlite3_int64 hi)
{
    return v >= lo && v <= hi;
}

static int decode(sqlite3_stmt *st, store_row *r, tether_server_obj *objs, size_t max_objs)
{
    const uint8_t *addr = sqlite3_column_blob(st, 2);
    int alen = sqlite3_column_bytes(st, 2);
    const uint8_t *ob = sqlite3_column_blob(st, 10);
    int olen = sqlite3_column_bytes(st, 10);
    int ok = 1;

    copy_text(r->id, sizeof(r->id), st, 1, &ok);
    if (alen < 3 || alen > 2 + TETHER_PEER_ADDR_MAX || addr == NULL)
        return 0;
    r->peer.iface = (uint16_t)((addr[0] << 8) | addr[1]);
    r->peer.len = (uint8_t)(alen - 2);
    memcpy(r->peer.addr, addr + 2, r->peer.len);
    if (!in_range(sqlite3_column_int64(st, 3), 1, UINT32_MAX) ||
        !in_range(sqlite3_column_int64(st, 4), 0, 255) ||
        !in_range(sqlite3_column_int64(st, 5), 0, 255) ||
        !in_range(sqlite3_column_int64(st, 6), 0, 1) ||
        !in_range(sqlite3_column_int64(st, 9), 0, 255))
        return 0;
    r->lifetime_s = (uint32_t)sqlite3_column_int64(st, 3);
    r->binding = (uint8_t)sqlite3_column_int(st, 4);
    r->version = (uint8_t)sqlite3_column_int(st, 5);
    r->queue = (uint8_t)sqlite3_column_int(st, 6);
    copy_text(r->sms, sizeof(r->sms), st, 7, &ok);
    copy_text(r->root, sizeof(r->root), st, 8, &ok);
    r->formats = (uint8_t)sqlite3_column_int(st, 9);
    if (olen % OBJ_BYTES != 0 || (size_t)olen / OBJ_BYTES > max_objs || (olen > 0 && ob == NULL))
        return 0;
    r->n_objs = (size_t)olen / OBJ_BYTES;
    for (size_t i = 0; i < r->n_objs; i++) {
        const uint8_t *p = ob + i * OBJ_BYTES;
        objs[i].oid = (uint16_t)((p[0] << 8) | p[1]);
        objs[i].iid = (uint16_t)((p[2] << 8) | p[3]);
        objs[i].ver_major = p[4];
        objs[i].ver_minor = p[5];
    }
    r->objs = objs;
    r->registered_ms = sqlite3_column_int64(st, 11);
    r->updated_ms = sqlite3_column_int64(st, 12);
    return ok;
}

int store_db_load(store_db *db, store_row_fn fn, void *user, char *err, size_t cap)
{
    sqlite3_stmt *st;
    tether_server_obj *objs;
    int rc, ret = 0;

    objs = malloc(UINT16_MAX * sizeof(*objs));
    if (objs == NULL) {
        snprintf(err, cap, "out of memory");
        return TETHER_ERR_NOMEM;
    }
    if (sqlite3_prepare_v2(db->db,
                           "SELECT endpoint, location_id, address, lifetime, binding, version, "
                           "queue, sms, root, formats, objects, registered_ms, updated_ms "
                           "FROM registrations",
                           -1, &st, NULL) != SQLITE_OK) {
        free(objs);
        return db_fail(db, err, cap, "reading the registrations");
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_row r;
        memset(&r, 0, sizeof(r));
        r.ep = (const char *)sqlite3_column_text(st, 0);
        r.ep_len = (size_t)sqlite3_column_bytes(st, 0);
        if (r.ep == NULL)
            continue;
        if (!decode(st, &r, objs, UINT16_MAX))
            r.id[0] = '\0';
        if (fn(user, &r) != 0)
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        ret = db_fail(db, err, cap, "reading the registrations");
    sqlite3_finalize(st);
    free(objs);
    return ret;
}
