/* SPDX-License-Identifier: Apache-2.0 */
/* tetherd's HTTP front: the REST API (docs/API.md), the event stream, the
 * Prometheus metrics and the embedded web UI, served by libmicrohttpd in
 * the daemon's one thread. MHD runs without a thread of its own: its epoll
 * descriptor joins the UDP adapter's loop (tether_udp_watch_fd()), and
 * main.c folds tetherd_http_wait() into the loop's sleep, so the engine --
 * which is not thread-safe -- is only ever called from that loop. A
 * device-management request suspends its HTTP connection until the
 * engine's answer resumes it; nothing here blocks. */
#ifndef TETHERD_HTTP_H
#define TETHERD_HTTP_H

#include "tether/model.h"
#include "tether/net.h"
#include "tether/server.h"

typedef struct tetherd_http tetherd_http;

/* Check --http and --http-token before anything binds: addr parses and
 * resolves, and is loopback unless a token is set. Returns 0, or 2 after
 * printing one sentence on stderr. */
int tetherd_http_check(const char *addr, const char *token);

/* Start serving on addr ("HOST:PORT", "[::1]:8080"; port 0 picks a free
 * port) and print "web UI at http://HOST:PORT/" with the real port.
 * token: kept (argv), NULL or "" for none; when set, every /api request
 * needs "Authorization: Bearer TOKEN". A non-loopback address without a
 * token is refused. udp, srv, models: kept until tetherd_http_stop().
 * Returns 0 (*out set), 1 (cannot start: bind failed ...; a sentence was
 * printed) or 2 (refused configuration; a sentence was printed). */
int tetherd_http_start(tetherd_http **out, const char *addr, const char *token, tether_udp *udp,
                       tether_server *srv, const tether_model_registry *models);

/* Cancel the requests in flight (their HTTP clients get 503), close every
 * connection and free h. Call before tether_server_free(). NULL is fine. */
void tetherd_http_stop(tetherd_http *h);

/* After each loop turn: run MHD when it has work due (a resumed
 * connection, a timeout, an event-stream keepalive) and return the loop's
 * next max wait in ms: the smaller of wait and MHD's own (-1: no limit). */
int tetherd_http_wait(tetherd_http *h, int wait);

/* The engine's events, for the event stream and the metrics (called from
 * tetherd_on_event; a no-op while no HTTP front runs). */
void tetherd_http_on_event(tether_time now, const tether_server_event *ev);

#endif /* TETHERD_HTTP_H */
