/* SPDX-License-Identifier: Apache-2.0 */
/* What the HTTP front's files share: the front's state, the per-connection
 * record, the device-management request record and the helpers that
 * answer. http.c owns the daemon and the routing; api_clients.c the client
 * objects, the client list and the event stream; api_dm.c the
 * device-management operations; api_values.c content nodes to and from
 * typed values; api_specs.c the object models; metrics.c the counters.
 * Everything runs in the daemon's one thread. */
#ifndef TETHERD_HTTP_INTERNAL_H
#define TETHERD_HTTP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>
#include <microhttpd.h>

#include "http.h"
#include "tether/model.h"
#include "tether/net.h"
#include "tether/server.h"

/* One embedded file of apps/tetherd/www (generated tetherd_www.c). */
typedef struct tetherd_asset {
    const char *name; /* "index.html", "js/app.js" */
    const unsigned char *data;
    size_t size;
} tetherd_asset;
extern const tetherd_asset tetherd_assets[];
extern const size_t tetherd_n_assets;

/* Largest request body accepted (413 beyond). */
#define HTTP_BODY_MAX (256u * 1024u)
/* An event-stream subscriber that falls this far behind is dropped: room
 * for a registration storm of some 25,000 REGISTRATION events produced
 * faster than the socket drains. */
#define HTTP_SSE_BACKLOG_MAX (16u << 20)
/* Keepalive comment period on the event stream, ms. */
#define HTTP_SSE_KEEPALIVE_MS 15000
/* Idle HTTP connections are closed after this many seconds. */
#define HTTP_CONN_TIMEOUT_S 30
/* Each connection's libmicrohttpd memory pool: the request line, the
 * headers and one entry per query argument (MHD's default, 32 KiB, ran
 * out at about 600 arguments and the client got no answer at all). Pages
 * are only touched as a request uses them. */
#define HTTP_CONN_MEMORY (256u * 1024u)
/* A device-management request's timeout when ?timeout= is absent, s. */
#define HTTP_DM_TIMEOUT_S 30
/* How much longer than ?timeout= the HTTP caller waits for a request that
 * was queued (the engine's timeout starts when it goes out), ms. */
#define HTTP_DM_GRACE_MS 2000

typedef struct dm_op dm_op;
typedef struct sse_sub sse_sub;

typedef struct conn {
    struct tetherd_http *h;
    struct MHD_Connection *c;
    char *body; /* the request body, NUL-terminated; NULL when none */
    size_t len, cap;
    int too_large;
    dm_op *op;  /* the device-management request this connection waits for */
    int suspended;
    /* The answer prepared while suspended, queued on resume. */
    unsigned status;
    char *answer;
} conn;

struct dm_op {
    struct tetherd_http *h;
    conn *cn; /* NULL once the HTTP side has gone (or answered) */
    tether_server_req_id id;
    tether_server_op op;
    tether_time t0;
    tether_time deadline; /* the HTTP caller's patience: t0 + timeout + grace */
    int expired;   /* withdrawn at the deadline (queued for a sleeping client) */
    int answered;  /* the first callback came */
    int observing; /* an established observation: lives on after the answer */
    int cancelling;
    char path[64];
    char *ep;
    dm_op *prev, *next;
};

struct sse_sub {
    struct tetherd_http *h;
    struct MHD_Connection *c;
    char *ep; /* filter, NULL for all */
    char *buf;
    size_t len, cap, off;
    int suspended, closing;
    sse_sub *prev, *next;
};

struct tetherd_http {
    struct MHD_Daemon *d;
    tether_udp *udp;
    tether_server *srv;
    const tether_model_registry *models;
    const char *token;
    int epfd;
    int stopping;
    int kick;   /* a connection was resumed: run MHD at the end of the turn */
    tether_time next_keepalive;
    dm_op *ops; /* requests in flight and live observations */
    tether_time ops_deadline; /* earliest deadline of an unanswered op, or NEVER */
    sse_sub *subs;
    size_t n_subs;
};

/* --- answering (http.c) --- */

/* Queue body (given; freed here) as the JSON answer. Returns an MHD_Result. */
enum MHD_Result http_reply_json(struct MHD_Connection *c, unsigned status, cJSON *body);
/* Queue {"code": status, "message": sentence}. */
enum MHD_Result http_reply_error(struct MHD_Connection *c, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same body as text (given), for an answer prepared while suspended. */
char *http_error_text(unsigned status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A query argument, NULL when absent ("" for "?x" and "?x="). */
const char *http_arg(struct MHD_Connection *c, const char *name);
/* Resume a suspended connection and make the loop run MHD. */
void http_resume(struct tetherd_http *h, struct MHD_Connection *c);

/* --- time --- */

/* ISO 8601 UTC with ms of engine time t (tether_os_now_ms clock). */
void http_iso_time(tether_time t, char out[32]);

/* --- clients and events (api_clients.c) --- */

cJSON *api_client_json(struct tetherd_http *h, const tether_server_reg *r);
enum MHD_Result api_clients_list(struct tetherd_http *h, struct MHD_Connection *c);
enum MHD_Result api_client_get(struct tetherd_http *h, struct MHD_Connection *c, const char *ep);
enum MHD_Result api_event_open(struct tetherd_http *h, struct MHD_Connection *c);
void api_event_publish(struct tetherd_http *h, const tether_server_event *ev);
void api_event_keepalive(struct tetherd_http *h);
void api_event_close_all(struct tetherd_http *h);

/* --- device management (api_dm.c) --- */

/* Route a request under /api/clients/{ep}/ (rest: what follows the ep,
 * starting with '/'). Returns an MHD_Result; may suspend cn. */
enum MHD_Result api_dm(struct tetherd_http *h, conn *cn, const char *method, const char *ep,
                       const char *rest);
void api_dm_cancel_all(struct tetherd_http *h);
/* Withdraw the requests whose HTTP caller waited ?timeout= (plus a grace)
 * without an answer -- those queued for a sleeping client: the engine's
 * own timeout only counts from when a request goes out. Cheap unless a
 * deadline has passed. Returns ms until the next deadline, -1 if none. */
int api_dm_expire(struct tetherd_http *h, tether_time now);

/* --- content nodes (api_values.c) --- */

#include "api_values.h"

/* --- object models (api_specs.c) --- */

enum MHD_Result api_specs(struct tetherd_http *h, struct MHD_Connection *c, const char *rest);

/* --- metrics (metrics.c) --- */

/* One device-management operation ended (its first answer, for Observe).
 * result: "success", "coap_error", "timeout", ... ; ms: its latency. */
void metrics_op(int op, const char *result, tether_time ms);
void metrics_event(int type);
void metrics_http(unsigned status);
enum MHD_Result metrics_reply(struct tetherd_http *h, struct MHD_Connection *c);

#endif /* TETHERD_HTTP_INTERNAL_H */
