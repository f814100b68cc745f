/* SPDX-License-Identifier: Apache-2.0 */
/* The counters behind GET /metrics and their Prometheus text rendering.
 * Counted here: device-management operations by kind and result with a
 * latency histogram (from submit to the first answer), engine events by
 * type and HTTP answers by status. Taken from the engine at scrape time:
 * registrations, queue depth, requests in flight, observations,
 * notifications. Every series is printed from the start (zeros included),
 * so rate() works from the first scrape. */
#include "metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_internal.h"
#include "store.h"
#include "tetherd.h"

#define N_OPS 10 /* tether_server_op 1..9 */
#define N_EVENTS 11

static const char *const results[] = {"success", "coap_error", "timeout", "reset",
                                      "cancelled", "failed", "rejected"};
#define N_RESULTS (sizeof(results) / sizeof(results[0]))
static const double buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                 0.5,   1,      2.5,   5,    10,    30,   60};
#define N_BUCKETS (sizeof(buckets) / sizeof(buckets[0]))

static struct {
    uint64_t ops[N_OPS][N_RESULTS];
    uint64_t hist[N_OPS][N_BUCKETS + 1]; /* last: +Inf */
    double sum[N_OPS];
    uint64_t count[N_OPS];
    uint64_t events[N_EVENTS];
    uint64_t http[600];
    tetherd_store_metrics_fn store_fn;
    void *store_user;
} g;

void tetherd_metrics_store_hook(tetherd_store_metrics_fn fn, void *user)
{
    g.store_fn = fn;
    g.store_user = user;
}

int tetherd_metrics_from_store(void *user, tetherd_store_metrics *out)
{
    tetherd_store_stats s;

    tetherd_store_get_stats(user, &s);
    out->kind = s.kind;
    out->pending = s.pending;
    out->lag_seconds = (double)s.lag_ms / 1000.0;
    out->max_lag_seconds = (double)s.max_lag_ms / 1000.0;
    out->last_commit_seconds = (double)s.last_commit_ms / 1000.0;
    out->commits = s.commits;
    out->rows = s.rows_written;
    out->coalesced = s.events_coalesced;
    out->errors = s.errors;
    return 0;
}

void metrics_op(int op, const char *result, tether_time ms)
{
    size_t r;
    double s = (double)ms / 1000.0;

    if (op < 1 || op >= N_OPS)
        return;
    for (r = 0; r < N_RESULTS; r++)
        if (strcmp(results[r], result) == 0)
            break;
    if (r == N_RESULTS)
        r = N_RESULTS - 2; /* "failed" */
    g.ops[op][r]++;
    if (strcmp(result, "rejected") == 0)
        return; /* never sent: no latency */
    for (size_t b = 0; b < N_BUCKETS; b++)
        if (s <= buckets[b])
            g.hist[op][b]++;
    g.hist[op][N_BUCKETS]++;
    g.sum[op] += s;
    g.count[op]++;
}

void metrics_event(int type)
{
    if (type >= 0 && type < N_EVENTS)
        g.events[type]++;
}

void metrics_http(unsigned status)
{
    if (status < 600)
        g.http[status]++;
}

/* --- rendering ------------------------------------------------------------- */

typedef struct out {
    char *p;
    size_t len, cap;
    int nomem;
} out;

__attribute__((format(printf, 2, 3))) static void put(out *o, const char *fmt, ...)
{
    va_list ap;
    int n;

    for (;;) {
        size_t room = o->cap - o->len;
        va_start(ap, fmt);
        n = vsnprintf(o->p + o->len, room, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if ((size_t)n < room) {
            o->len += (size_t)n;
            return;
        }
        {
            size_t cap = o->cap * 2 + (size_t)n;
            char *p = realloc(o->p, cap);
            if (p == NULL) {
                o->nomem = 1;
                return;
            }
            o->p = p;
            o->cap = cap;
        }
    }
}

static void head(out *o, const char *name, const char *type, const char *help)
{
    put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

enum MHD_Result metrics_reply(tetherd_http *h, struct MHD_Connection *c)
{
    tether_server_stats st;
    struct MHD_Response *r;
    enum MHD_Result ok;
    out o = {malloc(16384), 0, 16384, 0};

    if (o.p == NULL)
        return MHD_NO;
    tether_server_get_stats(h->srv, &st);
    head(&o, "tether_registrations", "gauge", "Live registrations.");
    put(&o, "tether_registrations %zu\n", st.registrations);
    head(&o, "tether_registrations_total", "counter",
         "Registration interface outcomes since start, by event.");
    put(&o, "tether_registrations_total{event=\"registered\"} %llu\n",
        (unsigned long long)st.registered);
    put(&o, "tether_registrations_total{event=\"updated\"} %llu\n",
        (unsigned long long)st.updated);
    put(&o, "tether_registrations_total{event=\"deregistered\"} %llu\n",
        (unsigned long long)st.deregistered);
    put(&o, "tether_registrations_total{event=\"expired\"} %llu\n",
        (unsigned long long)st.expired);
    put(&o, "tether_registrations_total{event=\"replaced\"} %llu\n",
        (unsigned long long)st.replaced);
    put(&o, "tether_registrations_total{event=\"rejected\"} %llu\n",
        (unsigned long long)st.rejected);
    head(&o, "tether_lifetime_sync_total", "counter",
         "Lifetime reads or writes after a Register without lt (R10), by result.");
    put(&o, "tether_lifetime_sync_total{result=\"ok\"} %llu\n", (unsigned long long)st.sync_ok);
    put(&o, "tether_lifetime_sync_total{result=\"failed\"} %llu\n",
        (unsigned long long)st.sync_failed);
    head(&o, "tether_events_total", "counter", "Engine events since start, by type.");
    for (int t = 1; t < N_EVENTS; t++)
        if (tetherd_event_name(t) != NULL)
            put(&o, "tether_events_total{type=\"%s\"} %llu\n", tetherd_event_name(t),
                (unsigned long long)g.events[t]);
    head(&o, "tether_operations_total", "counter",
         "Device-management operations through the REST API, by kind and result.");
    for (int op = 1; op < N_OPS; op++)
        for (size_t k = 0; k < N_RESULTS; k++)
            put(&o, "tether_operations_total{op=\"%s\",result=\"%s\"} %llu\n",
                tether_server_op_name(op), results[k], (unsigned long long)g.ops[op][k]);
    head(&o, "tether_operation_duration_seconds", "histogram",
         "Time from submitting a device-management operation to its (first) answer.");
    for (int op = 1; op < N_OPS; op++) {
        const char *name = tether_server_op_name(op);
        for (size_t b = 0; b < N_BUCKETS; b++)
            put(&o, "tether_operation_duration_seconds_bucket{op=\"%s\",le=\"%g\"} %llu\n", name,
                buckets[b], (unsigned long long)g.hist[op][b]);
        put(&o, "tether_operation_duration_seconds_bucket{op=\"%s\",le=\"+Inf\"} %llu\n", name,
            (unsigned long long)g.hist[op][N_BUCKETS]);
        put(&o, "tether_operation_duration_seconds_sum{op=\"%s\"} %.6f\n", name, g.sum[op]);
        put(&o, "tether_operation_duration_seconds_count{op=\"%s\"} %llu\n", name,
            (unsigned long long)g.count[op]);
    }
    head(&o, "tether_requests_total", "counter",
         "Device-management requests the engine accepted, and those that failed "
         "(no answer, reset, cancelled), all sources.");
    put(&o, "tether_requests_total{result=\"submitted\"} %llu\n",
        (unsigned long long)st.requests);
    put(&o, "tether_requests_total{result=\"failed\"} %llu\n",
        (unsigned long long)st.requests_failed);
    head(&o, "tether_requests_in_flight", "gauge",
         "Requests sent to devices and not answered yet (observations excluded).");
    put(&o, "tether_requests_in_flight %zu\n", st.in_flight);
    head(&o, "tether_queue_depth", "gauge", "Requests waiting for sleeping (queue mode) clients.");
    put(&o, "tether_queue_depth %zu\n", st.queued);
    head(&o, "tether_queued_total", "counter",
         "Requests that had to wait for a sleeping client, since start.");
    put(&o, "tether_queued_total %llu\n", (unsigned long long)st.queued_total);
    head(&o, "tether_observations", "gauge", "Live observations.");
    put(&o, "tether_observations %zu\n", st.observations);
    head(&o, "tether_notifications_total", "counter", "Notifications since start, by fate.");
    put(&o, "tether_notifications_total{result=\"delivered\"} %llu\n",
        (unsigned long long)st.notifications);
    put(&o, "tether_notifications_total{result=\"stale\"} %llu\n",
        (unsigned long long)st.stale_notifications);
    head(&o, "tether_coap_exchanges_in_flight", "gauge", "CoAP exchanges open now.");
    put(&o, "tether_coap_exchanges_in_flight %u\n", (unsigned)st.coap.exchanges_in_flight);
    head(&o, "tether_coap_datagrams_total", "counter", "CoAP datagrams, by direction.");
    put(&o, "tether_coap_datagrams_total{dir=\"rx\"} %llu\n", (unsigned long long)st.coap.rx);
    put(&o, "tether_coap_datagrams_total{dir=\"tx\"} %llu\n", (unsigned long long)st.coap.tx);
    head(&o, "tether_coap_retransmissions_total", "counter", "CoAP retransmissions.");
    put(&o, "tether_coap_retransmissions_total %llu\n",
        (unsigned long long)st.coap.retransmissions);
    head(&o, "tether_event_stream_subscribers", "gauge", "Open GET /api/event streams.");
    put(&o, "tether_event_stream_subscribers %zu\n", h->n_subs);
    head(&o, "tether_http_responses_total", "counter", "HTTP answers since start, by status.");
    for (unsigned s = 100; s < 600; s++)
        if (g.http[s] != 0)
            put(&o, "tether_http_responses_total{code=\"%u\"} %llu\n", s,
                (unsigned long long)g.http[s]);
    if (g.store_fn != NULL) {
        tetherd_store_metrics sm;
        memset(&sm, 0, sizeof(sm));
        if (g.store_fn(g.store_user, &sm) == 0) {
            head(&o, "tether_store_info", "gauge", "The registration store in use (--store).");
            put(&o, "tether_store_info{kind=\"%s\"} 1\n", sm.kind != NULL ? sm.kind : "");
            head(&o, "tether_store_pending", "gauge",
                 "Registration changes accepted, not yet committed.");
            put(&o, "tether_store_pending %llu\n", (unsigned long long)sm.pending);
            head(&o, "tether_store_lag_seconds", "gauge",
                 "Age of the oldest change not yet committed.");
            put(&o, "tether_store_lag_seconds %.3f\n", sm.lag_seconds);
            head(&o, "tether_store_max_lag_seconds", "gauge",
                 "The largest lag a commit has ended since start.");
            put(&o, "tether_store_max_lag_seconds %.3f\n", sm.max_lag_seconds);
            head(&o, "tether_store_last_commit_seconds", "gauge",
                 "How long the last commit took.");
            put(&o, "tether_store_last_commit_seconds %.3f\n", sm.last_commit_seconds);
            head(&o, "tether_store_commits_total", "counter", "Store transactions committed.");
            put(&o, "tether_store_commits_total %llu\n", (unsigned long long)sm.commits);
            head(&o, "tether_store_rows_total", "counter",
                 "Row upserts, refreshes and deletes committed.");
            put(&o, "tether_store_rows_total %llu\n", (unsigned long long)sm.rows);
            head(&o, "tether_store_coalesced_total", "counter",
                 "Changes merged into a pending row of the same endpoint.");
            put(&o, "tether_store_coalesced_total %llu\n", (unsigned long long)sm.coalesced);
            head(&o, "tether_store_errors_total", "counter",
                 "Store transactions that failed (rows lost; see the log).");
            put(&o, "tether_store_errors_total %llu\n", (unsigned long long)sm.errors);
        }
    }
    if (o.nomem) {
        free(o.p);
        return http_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    }
    r = MHD_create_response_from_buffer(o.len, o.p, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        free(o.p);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; version=0.0.4");
    ok = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    metrics_http(MHD_HTTP_OK);
    return ok;
}
