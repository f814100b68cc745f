/* SPDX-License-Identifier: Apache-2.0 */
/* tetherd's pieces: the command line (args.c), the log and event lines
 * (eventlog.c) and the daemon (main.c). App code: it prints and allocates
 * freely; the library never does. */
#ifndef TETHERD_H
#define TETHERD_H

#include <stddef.h>
#include <stdint.h>

#include "tether/server.h"

#define TETHERD_MAX_LISTEN 16

typedef enum tetherd_log_format {
    TETHERD_LOG_TEXT = 0,
    TETHERD_LOG_JSON = 1,
} tetherd_log_format;

typedef struct tetherd_options {
    const char *coap[TETHERD_MAX_LISTEN]; /* borrowed from argv */
    size_t n_coap;
    uint32_t default_lifetime;
    uint32_t grace;
    uint16_t ssid;
    tether_server_lifetime_sync lifetime_sync;
    size_t max_registrations;
    int log_level;                 /* tether_log_level */
    tetherd_log_format log_format;
    const char *models;            /* --models DIR, borrowed from argv; NULL if none */
    int store;                     /* --store: tetherd_store_kind (store.h) */
    const char *data;              /* --data DIR, borrowed; default "./tether-data" */
    int sync;                      /* --sync: tetherd_store_sync_mode (store.h) */
    uint32_t awake_window_ms;      /* --awake-window S, 0: the engine's default */
    const char *http;              /* --http HOST:PORT (borrowed); NULL: --http off */
    const char *http_token;        /* --http-token TOKEN (borrowed); NULL if none */
} tetherd_options;

/* Parse argv into *o. Returns 0 to run, 1 when --help was printed (exit
 * 0), 2 after printing an error on stderr (exit 2). */
int tetherd_parse_args(int argc, char **argv, tetherd_options *o);

/* The log sink: level threshold and format, set once at start. */
void tetherd_log_setup(int level, tetherd_log_format fmt);

/* The longest a log line waits in the buffer while the loop runs. */
#define TETHERD_LOG_DELAY_MS 50

/* on = 1: from now on, lines collect in a buffer (whole lines only; one
 * that does not fit flushes it first) until tetherd_log_flush() or
 * tetherd_log_tick(). on = 0: flush, then every line is written at once. */
void tetherd_log_batch(int on);

/* Write the buffered lines to stderr now. */
void tetherd_log_flush(void);

/* Flush if 16 KiB are buffered or the oldest line is TETHERD_LOG_DELAY_MS
 * old. now: monotonic ms (tether_os_now_ms). Returns the ms until a flush
 * is due (for the loop's max wait), or -1 when nothing is buffered. */
int tetherd_log_tick(tether_time now);

/* A library or daemon message (tether_log_fn shape; user unused). */
void tetherd_log(void *user, int level, const char *module, const char *msg);

/* A lifecycle line (listening, ready, stopped): INFO, shown at any
 * --log-level so that an operator always sees where tetherd listens. */
void tetherd_notice(const char *msg);

/* An engine event's name in the event log and the metrics ("registered",
 * "observe_end", ...): a static string; NULL for a type tetherd does not
 * know. */
const char *tetherd_event_name(int t);

/* One event line (tether_server_event_fn shape; user unused). */
void tetherd_on_event(void *user, tether_time now, const tether_server_event *ev);

#endif /* TETHERD_H */
