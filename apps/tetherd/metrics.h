/* SPDX-License-Identifier: Apache-2.0 */
/* tetherd's Prometheus metrics (GET /metrics, text format 0.0.4): what the
 * engine's stats say, plus what the HTTP front counts itself (operations
 * by kind and result, their latency, events by type, HTTP answers). The
 * store plugs its own figures in through tetherd_metrics_store_hook(). */
#ifndef TETHERD_METRICS_H
#define TETHERD_METRICS_H

#include <stdint.h>

/* The store's figures, filled by its hook at each scrape. */
typedef struct tetherd_store_metrics {
    const char *kind;       /* "sqlite", "memory" */
    uint64_t pending;       /* changes accepted, not yet durable */
    double lag_seconds;     /* age of the oldest of them; 0 when none */
    double max_lag_seconds; /* the largest lag a commit ended */
    double last_commit_seconds; /* how long the last commit took */
    uint64_t commits;       /* transactions committed so far */
    uint64_t rows;          /* registration rows written so far */
    uint64_t coalesced;     /* changes merged into a pending row */
    uint64_t errors;        /* failed transactions so far */
} tetherd_store_metrics;

/* Fill *out; return 0, or nonzero to leave the store metrics out. */
typedef int (*tetherd_store_metrics_fn)(void *user, tetherd_store_metrics *out);

/* STORE HOOK: main.c calls this once at start with the store's figures
 * function (tetherd_metrics_from_store below, user the tetherd_store);
 * NULL removes it. fn, user: kept. Without it, /metrics has no
 * tether_store_* lines. */
void tetherd_metrics_store_hook(tetherd_store_metrics_fn fn, void *user);

/* A tetherd_store_metrics_fn over store.h's tetherd_store_get_stats();
 * user: the tetherd_store (NULL: the memory store's zeros). */
int tetherd_metrics_from_store(void *user, tetherd_store_metrics *out);

#endif /* TETHERD_METRICS_H */
