/* SPDX-License-Identifier: Apache-2.0 */
/* tetherd: the LwM2M server daemon. It binds the --coap sockets, builds a
 * server engine from the flags, and drives it with the UDP adapter's epoll
 * loop until SIGINT or SIGTERM, then frees everything and exits 0. The
 * engine is sans-I/O; this file is where time (tether_os_now_ms), randomness
 * (tether_os_random) and sockets come in. Exit codes: 0 after a clean stop,
 * 1 when it cannot start (bind failed ...), 2 for a bad command line or a
 * --models directory that does not load. */
#include "tetherd.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "tether/model.h"
#include "tether/net.h"
#include "tether/os.h"
#include "http.h"
#include "metrics.h"

#include "store.h"

/* The receive buffer asked for on every --coap socket (SO_RCVBUFFORCE,
 * which root may set beyond net.core.rmem_max; else SO_RCVBUF, capped by
 * it). A registration storm arrives faster than one core answers: each
 * queued small datagram costs about 1 KiB of buffer accounting, and with
 * the adapter's 4 MiB default a fill with 16,000 Registers in flight lost
 * about 2% of them to the kernel (UDP RcvbufErrors) and waited for the
 * clients' retransmissions. 32 MiB (the kernel doubles it) holds tens of
 * thousands; it is a limit, not an allocation. */
#define TETHERD_RCVBUF_BYTES (32u << 20)

static tether_udp *g_udp;
static tetherd_store *g_store; /* store.h: registrations across restarts */

static void on_signal(int sig)
{
    (void)sig;
    if (g_udp != NULL)
        tether_udp_stop(g_udp); /* async-signal-safe */
}

/* The adapter's engine table, over the server's four sans-I/O calls. */
static int e_recv(void *e, tether_time now, const tether_peer *peer, const uint8_t *buf,
                  size_t len)
{
    return tether_server_recv(e, now, peer, buf, len);
}

static int e_send(void *e, tether_time now, tether_peer *peer, uint8_t *buf, size_t cap,
                  size_t *len)
{
    /* --sync always: what the answers below acknowledge is committed first. */
    tetherd_store_sync(g_store);
    return tether_server_send(e, now, peer, buf, cap, len);
}

static tether_time e_deadline(void *e)
{
    return tether_server_next_deadline(e);
}

static int e_timeout(void *e, tether_time now)
{
    return tether_server_on_timeout(e, now);
}

/* Every event: its log line, then the store. */
static void on_event(void *user, tether_time now, const tether_server_event *ev)
{
    tetherd_on_event(user, now, ev);
    tetherd_store_on_event(g_store, now, ev);
}

static const tether_engine_ops server_ops = {e_recv, e_send, e_deadline, e_timeout};

int main(int argc, char **argv)
{
    tetherd_options o;
    tether_udp_config ucfg;
    tether_server_config scfg;
    tether_server_callbacks cb = {on_event};
    tether_server *srv = NULL;
    tether_model_registry *models = NULL;
    tetherd_http *http = NULL;
    struct sigaction sa;
    char msg[256];
    int rc, err, wait = -1;

    rc = tetherd_parse_args(argc, argv, &o);
    if (rc == 1)
        return 0;
    if (rc != 0)
        return 2;
    tetherd_log_setup(o.log_level, o.log_format);
    if (o.http != NULL && tetherd_http_check(o.http, o.http_token) != 0)
        return 2;

    /* Object models: the built-in core objects, plus --models. Loaded
     * before any socket opens, so a bad file costs nothing but exit 2. */
    err = tether_model_registry_new(&models, NULL, NULL);
    if (err != 0) {
        fprintf(stderr, "tetherd: cannot create the object models: %s\n", tether_strerror(err));
        return 1;
    }
    if (o.models != NULL) {
        size_t n = 0;
        err = tether_model_load_dir(models, o.models, &n);
        if (err != 0) {
            fprintf(stderr, "tetherd: --models: %s\n", tether_model_errmsg(models));
            tether_model_registry_free(models);
            return 2;
        }
        snprintf(msg, sizeof(msg), "models: %zu object definitions loaded from %s, %zu known",
                 n, o.models, tether_model_count(models));
        tetherd_notice(msg);
    }

    /* The store, before any socket opens: a bad --data costs nothing but
     * exit 1. */
    {
        tetherd_store_config stc = {(tetherd_store_kind)o.store, o.data,
                                    (tetherd_store_sync_mode)o.sync, 0};
        char serr[512];
        err = tetherd_store_open(&g_store, &stc, serr, sizeof(serr));
        if (err != 0) {
            fprintf(stderr, "tetherd: %s\n", serr);
            tether_model_registry_free(models);
            return 1;
        }
    }

    tether_udp_config_default(&ucfg);
    ucfg.rcvbuf_bytes = TETHERD_RCVBUF_BYTES;
    err = tether_udp_new(&g_udp, &ucfg);
    if (err != 0) {
        fprintf(stderr, "tetherd: cannot start the UDP adapter: %s\n", tether_strerror(err));
        tetherd_store_close(g_store);
        tether_model_registry_free(models);
        return 1;
    }
    for (size_t i = 0; i < o.n_coap; i++) {
        uint16_t iface;
        err = tether_udp_listen(g_udp, o.coap[i], &iface);
        if (err != 0) {
            fprintf(stderr, "tetherd: --coap %s: %s\n", o.coap[i], tether_udp_errmsg(g_udp));
            tether_udp_free(g_udp);
            tetherd_store_close(g_store);
            tether_model_registry_free(models);
            return 1;
        }
        snprintf(msg, sizeof(msg), "listening on %s (port %u)", o.coap[i],
                 (unsigned)tether_udp_port(g_udp, iface));
        tetherd_notice(msg);
    }

    tether_server_config_default(&scfg);
    scfg.default_lifetime_s = o.default_lifetime;
    scfg.grace_s = o.grace;
    scfg.ssid = o.ssid;
    scfg.lifetime_sync = o.lifetime_sync;
    scfg.max_registrations = o.max_registrations;
    if (o.awake_window_ms != 0)
        scfg.awake_window_ms = o.awake_window_ms;
    scfg.rand = tether_os_random;
    scfg.log = tetherd_log;
    scfg.models = models; /* types the values of reads and notifications */
    err = tether_server_new(&srv, &scfg, &cb, NULL);
    if (err != 0) {
        fprintf(stderr, "tetherd: cannot create the server: %s\n", tether_strerror(err));
        tether_udp_free(g_udp);
        tetherd_store_close(g_store);
        tether_model_registry_free(models);
        return 1;
    }

    {
        size_t nr = 0, nx = 0, nbad = 0;
        char serr[512];
        err = tetherd_store_restore(g_store, srv, tether_os_now_ms(), &nr, &nx, &nbad, serr,
                                    sizeof(serr));
        if (err != 0) {
            fprintf(stderr, "tetherd: %s\n", serr);
            tether_server_free(srv);
            tether_udp_free(g_udp);
            tetherd_store_close(g_store);
            tether_model_registry_free(models);
            return 1;
        }
        if (o.store == TETHERD_STORE_SQLITE) {
            int n = snprintf(msg, sizeof(msg),
                             "store: sqlite in %s, sync %s: restored %zu registrations (%zu "
                             "expired removed)",
                             o.data, o.sync == TETHERD_SYNC_ALWAYS ? "always" : "batch", nr, nx);
            if (nbad > 0 && n > 0 && (size_t)n < sizeof(msg))
                snprintf(msg + n, sizeof(msg) - (size_t)n, "; %zu refused and removed", nbad);
            tetherd_notice(msg);
        } else {
            tetherd_notice("store: memory: registrations are not kept across restarts");
        }
    }

    tetherd_metrics_store_hook(tetherd_metrics_from_store, g_store); /* /metrics */
    if (o.http != NULL) {
        rc = tetherd_http_start(&http, o.http, o.http_token, g_udp, srv, models);
        if (rc != 0) {
            tether_server_free(srv);
            tether_udp_free(g_udp);
            tetherd_store_close(g_store);
            tether_model_registry_free(models);
            return rc;
        }
    }

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    snprintf(msg, sizeof(msg), "ready: default lifetime %u s, grace %u s, lifetime sync %s%s",
             (unsigned)o.default_lifetime, (unsigned)o.grace,
             o.lifetime_sync == TETHER_SERVER_SYNC_READ ? "read" : "write",
             o.ssid ? "" : ", no --ssid");
    tetherd_notice(msg);

    /* tether_udp_run() unrolled, so that the event lines are written in
     * batches (eventlog.c): the loop sleeps no longer than the oldest
     * buffered line may wait. */
    tetherd_log_batch(1);
    err = 0;
    while (err == 0 && !tether_udp_stopping(g_udp)) {
        err = tether_udp_run_once(g_udp, &server_ops, srv, wait);
        wait = tetherd_http_wait(http, tetherd_log_tick(tether_os_now_ms()));
        tetherd_store_tick(g_store);
    }
    tetherd_log_batch(0);
    rc = 0;
    if (err != 0) {
        snprintf(msg, sizeof(msg), "loop stopped: %s: %s", tether_err_name(err),
                 tether_strerror(err));
        tetherd_log(NULL, TETHER_LOG_ERROR, "tetherd", msg);
        rc = 1;
    } else {
        tether_server_stats st;
        tether_server_get_stats(srv, &st);
        snprintf(msg, sizeof(msg),
                 "stopped: %zu registrations live; %llu registered, %llu updated, %llu "
                 "deregistered, %llu expired, %llu replaced, %llu rejected",
                 st.registrations, (unsigned long long)st.registered,
                 (unsigned long long)st.updated, (unsigned long long)st.deregistered,
                 (unsigned long long)st.expired, (unsigned long long)st.replaced,
                 (unsigned long long)st.rejected);
        tetherd_notice(msg);
    }
    tetherd_http_stop(http);
    tetherd_store_close(g_store); /* commits what is pending */
    g_store = NULL;
    tether_server_free(srv);
    tether_udp_free(g_udp);
    tether_model_registry_free(models);
    g_udp = NULL;
    return rc;
}
