/* SPDX-License-Identifier: Apache-2.0 */
/* Between the store's front (store.c: events, coalescing, the writer
 * thread) and its SQLite back end (store_sqlite.c: schema, rows,
 * transactions). The back end is called from one thread at a time: the
 * daemon's thread while it opens and restores, the writer thread after. */
#ifndef TETHERD_STORE_INTERNAL_H
#define TETHERD_STORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tether/server.h"

/* One registration as a row. Strings are NUL-terminated; times are
 * wall-clock ms since the Unix epoch. */
typedef struct store_row {
    const char *ep;
    size_t ep_len;
    char id[TETHER_SERVER_ID_LEN + 1];
    tether_peer peer;
    uint32_t lifetime_s;
    uint8_t binding, version, queue, formats;
    char sms[TETHER_SERVER_SMS_MAX + 1];
    char root[TETHER_SERVER_ROOT_MAX + 1];
    const tether_server_obj *objs;
    size_t n_objs;
    int64_t registered_ms, updated_ms;
} store_row;

typedef struct store_db store_db;

/* Open or create path (WAL, synchronous=FULL) and check the schema. err:
 * one sentence. Returns 0, TETHER_ERR_SYS, TETHER_ERR_UNSUPPORTED (schema
 * version) or TETHER_ERR_NOMEM. */
int store_db_open(store_db **out, const char *path, char *err, size_t cap);
void store_db_close(store_db *db);

/* Call fn for every row (row and its strings valid for the call); fn
 * returns 0 to go on. A row that does not decode is passed with ep set and
 * id[0] == '\0' so the caller can delete it. Returns 0 or TETHER_ERR_SYS. */
typedef int (*store_row_fn)(void *user, const store_row *row);
int store_db_load(store_db *db, store_row_fn fn, void *user, char *err, size_t cap);

/* A transaction of puts (insert or replace by endpoint), touches (the
 * last-update time only) and deletes. Each returns 0 or TETHER_ERR_SYS. */
int store_db_begin(store_db *db);
int store_db_put(store_db *db, const store_row *row);
int store_db_touch(store_db *db, const char *ep, size_t ep_len, int64_t updated_ms);
int store_db_delete(store_db *db, const char *ep, size_t ep_len);
int store_db_commit(store_db *db);
void store_db_rollback(store_db *db);

/* The last SQLite error sentence of db. */
const char *store_db_errmsg(store_db *db);

/* Rows in the table (SELECT count(*)); -1 on error. */
int64_t store_db_count(store_db *db);

#endif /* TETHERD_STORE_INTERNAL_H */
