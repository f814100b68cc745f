/* SPDX-License-Identifier: Apache-2.0 */
/* tetherd's registration store: what makes registrations survive a restart.
 *
 *   --store sqlite (default)  DIR/tether.db, SQLite in WAL mode, one row per
 *                             registration keyed by endpoint name
 *   --store memory            nothing is kept; a restart forgets everything
 *
 * The engine's events become row changes (REGISTERED, an UPDATED that
 * changed something, LIFETIME: the whole row; an UPDATED that changed
 * nothing: its last-update time only; DEREGISTERED, EXPIRED, REPLACED: a
 * delete). They are coalesced per endpoint in a buffer that a writer thread
 * takes (a pointer swap under a mutex: double buffering) and commits as one
 * transaction at most TETHERD_STORE_WINDOW_MS after its first change, so an
 * Update costs the daemon's thread a hash look-up, never a transaction. The
 * writer thread owns the database connection and never touches the engine.
 *
 * Durability window (--sync batch, the default): a change is on disk
 * (synchronous=FULL, so also across a power loss) at most
 * TETHERD_STORE_WINDOW_MS + one commit's time after the engine reported it;
 * a crash (kill -9, power) loses at most the changes of that window. What
 * is lost is at worst an Update's refresh (the registration comes back with
 * its previous last-update time) or a registration made within the window
 * (its client's next Update gets 4.04 and it registers again, LwM2M 1.0
 * §5.3.2). --sync always: the daemon waits for the commit of every change
 * before the answer that acknowledges it leaves the socket (see
 * tetherd_store_sync()): nothing acknowledged is ever lost, at the cost of
 * a commit (an fsync) per receive batch.
 *
 * Times in the rows are wall-clock ms (Unix epoch), so that a restart, even
 * a reboot, is measured in real time: a registration comes back expiring
 * exactly when it would have (last update + lifetime + grace).
 *
 * The schema is versioned with PRAGMA user_version (TETHERD_STORE_SCHEMA);
 * a database of another version is refused with a clear error. One tetherd
 * at a time may use a --data directory (an flock on DIR/tether.lock). */
#ifndef TETHERD_STORE_H
#define TETHERD_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "tether/server.h"

typedef enum tetherd_store_kind {
    TETHERD_STORE_SQLITE = 0,
    TETHERD_STORE_MEMORY = 1,
} tetherd_store_kind;

typedef enum tetherd_store_sync_mode {
    TETHERD_SYNC_BATCH = 0,  /* commit every TETHERD_STORE_WINDOW_MS */
    TETHERD_SYNC_ALWAYS = 1, /* commit before the acknowledging answer leaves */
} tetherd_store_sync_mode;

/* The most a change waits for its commit in --sync batch (plus the commit). */
#define TETHERD_STORE_WINDOW_MS 100
/* PRAGMA user_version of the database this build writes. */
#define TETHERD_STORE_SCHEMA 1
/* The database file in --data. */
#define TETHERD_STORE_FILE "tether.db"

typedef struct tetherd_store tetherd_store;

typedef struct tetherd_store_config {
    tetherd_store_kind kind;
    const char *dir;         /* --data; borrowed for the open call */
    tetherd_store_sync_mode sync;
    uint32_t window_ms;      /* 0: TETHERD_STORE_WINDOW_MS */
} tetherd_store_config;

/* The store's figures (tetherd_store_get_stats()); a sqlite store also
 * hands them to /metrics (tetherd_metrics_store_hook(), metrics.h) from
 * open to close: tether_store_pending, _lag_seconds, _commits_total,
 * _rows_total, _errors_total. */
typedef struct tetherd_store_stats {
    const char *kind;            /* "sqlite" or "memory", static */
    uint64_t pending;            /* rows changed, not yet committed */
    uint64_t commits;            /* transactions committed */
    uint64_t rows_written;       /* row upserts, refreshes and deletes committed */
    uint64_t events_coalesced;   /* changes merged into a pending row of the same endpoint */
    uint64_t errors;             /* transactions that failed (rows lost; see the log) */
    int64_t last_commit_unix_ms; /* wall clock of the last commit; 0 if none */
    uint64_t last_commit_ms;     /* how long the last commit took */
    uint64_t lag_ms;             /* age of the oldest uncommitted change; 0 if none */
    uint64_t max_lag_ms;         /* the largest lag_ms a commit ended */
} tetherd_store_stats;

/* Open the store: for sqlite, create cfg->dir if missing (one level, mode
 * 0750), lock it, open or create DIR/tether.db (WAL, synchronous=FULL),
 * check the schema version, and start the writer thread. memory: nothing.
 * err: out, cap bytes, one sentence on failure ("--data /x: not a
 * directory").
 * Returns 0 with *out, or TETHER_ERR_SYS (the directory or file is not
 * usable), TETHER_ERR_UNSUPPORTED (a schema version this build does not
 * know; a build without SQLite), TETHER_ERR_BUSY (another tetherd holds the
 * directory) or TETHER_ERR_NOMEM. */
int tetherd_store_open(tetherd_store **out, const tetherd_store_config *cfg, char *err,
                       size_t cap);

/* Put every saved registration back into srv (tether_server_restore()),
 * deleting rows that have expired meanwhile and rows the engine refuses
 * as invalid or duplicate; a row over cfg.max_registrations is kept for a
 * later start (the first refusals are logged at warn, all are counted). Call once, after open and before the
 * loop; srv is kept (the store reads registrations' times through it) and
 * must outlive st's use. now: the engine clock.
 * restored, expired, refused: out, may be NULL. Returns 0 or TETHER_ERR_SYS
 * (err says why: the database could not be read). */
int tetherd_store_restore(tetherd_store *st, tether_server *srv, tether_time now,
                          size_t *restored, size_t *expired, size_t *refused, char *err,
                          size_t cap);

/* Record one engine event (call from the server's event callback, any
 * type: those that change nothing persistent are ignored). ev: borrowed.
 * O(1) expected: a mutex and a hash look-up; allocates only for an
 * endpoint not yet pending in this batch. st may be NULL (no-op). */
void tetherd_store_on_event(tetherd_store *st, tether_time now, const tether_server_event *ev);

/* --sync always: commit what is pending and wait for it. Call before any
 * datagram the engine queued leaves (tetherd calls it from its send hook,
 * so the answers of a receive batch wait for one commit). The engine queues
 * a Register's 2.01 before its REGISTERED event and an Update's 2.04 before
 * its UPDATED event, but both events fire inside tether_server_recv(),
 * before tether_server_send() takes the answer out: the row is committed
 * before the answer is on the wire. --sync batch and memory: returns at once. */
void tetherd_store_sync(tetherd_store *st);

/* Log what the writer thread has to say (a failed commit) through
 * tetherd_log, from the daemon's thread. Cheap; call once per loop turn. */
void tetherd_store_tick(tetherd_store *st);

/* The counters above; st may be NULL (kind "memory", all 0). Takes the
 * store's mutex briefly: fine for a metrics scrape. */
void tetherd_store_get_stats(tetherd_store *st, tetherd_store_stats *out);

/* Commit everything pending, stop the writer, close and unlock. NULL is a
 * no-op. */
void tetherd_store_close(tetherd_store *st);

#endif /* TETHERD_STORE_H */
