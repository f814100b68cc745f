/* SPDX-License-Identifier: Apache-2.0 */
/* The HTTP daemon: libmicrohttpd in external-epoll mode inside tetherd's
 * loop, the routing of every URL (docs/API.md), the Bearer token, request
 * bodies (capped at HTTP_BODY_MAX: 413 beyond), the embedded static files
 * and the JSON answers. What a route does lives in api_*.c and metrics.c.
 * Invariant: MHD is only run from the loop's thread -- from the watch
 * callback of its epoll descriptor or from tetherd_http_wait() -- and
 * every connection a device-management request suspends is resumed by the
 * request's callback, or by tetherd_http_stop() cancelling it. */
#include "http_internal.h"
#include "api_parse.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

#include "tether/os.h"
#include "tetherd.h"

static tetherd_http *g_http; /* for tetherd_http_on_event(): one front per process */

/* --- answering --------------------------------------------------------------- */

static enum MHD_Result queue(struct MHD_Connection *c, unsigned status, const char *type,
                             char *text, size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    enum MHD_Result ok;

    if (r == NULL) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (status == MHD_HTTP_UNAUTHORIZED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    metrics_http(status);
    return ok;
}

enum MHD_Result http_reply_json(struct MHD_Connection *c, unsigned status, cJSON *body)
{
    char *text = body != NULL ? cJSON_PrintUnformatted(body) : NULL;

    cJSON_Delete(body);
    if (text == NULL)
        return MHD_NO;
    return queue(c, status, "application/json", text, strlen(text));
}

static char *error_text(unsigned status, const char *fmt, va_list ap)
{
    char msg[512];
    cJSON *o = cJSON_CreateObject();
    char *text;

    vsnprintf(msg, sizeof(msg), fmt, ap);
    cJSON_AddNumberToObject(o, "code", status);
    cJSON_AddStringToObject(o, "message", msg);
    text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

char *http_error_text(unsigned status, const char *fmt, ...)
{
    va_list ap;
    char *t;

    va_start(ap, fmt);
    t = error_text(status, fmt, ap);
    va_end(ap);
    return t;
}

enum MHD_Result http_reply_error(struct MHD_Connection *c, unsigned status, const char *fmt, ...)
{
    va_list ap;
    char *t;

    va_start(ap, fmt);
    t = error_text(status, fmt, ap);
    va_end(ap);
    if (t == NULL)
        return MHD_NO;
    return queue(c, status, "application/json", t, strlen(t));
}

const char *http_arg(struct MHD_Connection *c, const char *name)
{
    const char *v;

    if (!MHD_lookup_connection_value_n(c, MHD_GET_ARGUMENT_KIND, name, strlen(name), &v, NULL))
        return NULL;
    return v != NULL ? v : "";
}

/* --- percent-decoding ------------------------------------------------------------
 * MHD's own unescaping is switched off (on_unescape): it would turn %2F
 * into '/' before routing, so an endpoint name holding '/' could not be
 * named. The URL is split first and each part decoded here; the query
 * arguments are decoded in place once per request (decode_args). */

/* A copy of the whole of s, decoded; NULL when out of memory or when it
 * holds a NUL once decoded (*nul then set). Owned by the caller. */
static char *pct_dup(const char *s, int *nul)
{
    size_t n = strlen(s);
    char *out = malloc(n + 1);

    if (out == NULL)
        return NULL;
    api_pct_decode(s, n, out, nul);
    if (*nul) {
        free(out);
        return NULL;
    }
    return out;
}

/* MHD_OPTION_UNESCAPE_CALLBACK: leave the URL and the arguments as they
 * came; MHD calls this for both. */
static size_t on_unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return strlen(s);
}

/* The argument values decoded in place (they live in MHD's connection
 * pool and only shrink). Keys stay as sent: the API's are plain words. */
static enum MHD_Result decode_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    int nul;
    (void)cls;
    (void)kind;
    (void)key;
    if (value != NULL)
        api_pct_decode(value, strlen(value), (char *)(uintptr_t)value, &nul);
    return MHD_YES;
}

static void decode_args(struct MHD_Connection *c)
{
    (void)MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, decode_arg, NULL);
}

void http_resume(tetherd_http *h, struct MHD_Connection *c)
{
    MHD_resume_connection(c);
    h->kick = 1;
}

void http_iso_time(tether_time t, char out[32])
{
    struct timespec ts;
    int64_t wall, mono = (int64_t)tether_os_now_ms();
    time_t sec;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &ts);
    wall = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - (mono - (int64_t)t);
    sec = (time_t)(wall / 1000);
    gmtime_r(&sec, &tm);
    snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (tm.tm_year + 1900) % 10000,
             (tm.tm_mon + 1) % 100, tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100,
             tm.tm_sec % 100, (int)(wall % 1000 + 1000) % 1000);
}

/* --- static files -------------------------------------------------------------- */

static const char *content_type(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=utf-8"},
        {".map", "application/json"},
        {".woff2", "font/woff2"},
        {".webp", "image/webp"},
    };
    const char *dot = strrchr(name, '.');

    for (size_t i = 0; dot != NULL && i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

static enum MHD_Result serve_static(struct MHD_Connection *c, const char *method, const char *url)
{
    const char *name = url + 1;
    struct MHD_Response *r;
    enum MHD_Result ok;

    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return http_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "%s %s: only GET and HEAD",
                                method, url);
    if (strncmp(url, "/ui/", 4) == 0)
        name = url + 4;
    if (*name == '\0')
        name = "index.html";
    for (size_t i = 0; i < tetherd_n_assets; i++) {
        if (strcmp(tetherd_assets[i].name, name) != 0)
            continue;
        r = MHD_create_response_from_buffer(tetherd_assets[i].size,
                                            (void *)(uintptr_t)tetherd_assets[i].data,
                                            MHD_RESPMEM_PERSISTENT);
        if (r == NULL)
            return MHD_NO;
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type(name));
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
        ok = MHD_queue_response(c, MHD_HTTP_OK, r);
        MHD_destroy_response(r);
        metrics_http(MHD_HTTP_OK);
        return ok;
    }
    return http_reply_error(c, MHD_HTTP_NOT_FOUND, "no such file: %s", url);
}

/* --- routing ------------------------------------------------------------------- */

/* Constant-time comparison of the presented credential with the token. */
static int token_equal(const char *got, const char *want)
{
    size_t n = strlen(want), m = strlen(got);
    unsigned diff = (unsigned)(n ^ m);

    for (size_t i = 0; i < n; i++)
        diff |= (unsigned)(unsigned char)want[i] ^ (unsigned)(unsigned char)(i < m ? got[i] : 0);
    return diff == 0;
}

static int authorized(tetherd_http *h, struct MHD_Connection *c, int stream)
{
    const char *auth;

    if (h->token == NULL)
        return 1;
    auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (auth != NULL && strncasecmp(auth, "Bearer ", 7) == 0 && token_equal(auth + 7, h->token))
        return 1;
    /* EventSource cannot send headers: the stream also takes ?access_token=. */
    if (stream) {
        const char *q = http_arg(c, "access_token");
        if (q != NULL && token_equal(q, h->token))
            return 1;
    }
    return 0;
}

static enum MHD_Result route_api(tetherd_http *h, conn *cn, const char *method, const char *url)
{
    struct MHD_Connection *c = cn->c;
    const char *rest;
    int get = strcmp(method, "GET") == 0;

    if (!authorized(h, c, strcmp(url, "/api/event") == 0))
        return http_reply_error(c, MHD_HTTP_UNAUTHORIZED,
                                "this server needs Authorization: Bearer <token> (--http-token)");
    if (strcmp(url, "/api/clients") == 0 || strcmp(url, "/api/clients/") == 0) {
        if (!get)
            return http_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "%s %s: only GET", method,
                                    url);
        return api_clients_list(h, c);
    }
    if (strncmp(url, "/api/clients/", 13) == 0) {
        /* url is still escaped here: the endpoint is the raw segment up to
         * the next '/', decoded on its own, so %2F stays in the name. */
        const char *ep = url + 13, *slash;
        char name[TETHER_SERVER_EP_MAX + 1];
        size_t off;
        enum MHD_Result ok;
        char *dm_path;
        int nul = 0;

        if (api_parse_client_ep(ep, strlen(ep), name, &off) != 0)
            return http_reply_error(c, MHD_HTTP_NOT_FOUND,
                                    "no client with that endpoint name (an empty name, one "
                                    "longer than %u bytes or one holding %%00 cannot be)",
                                    (unsigned)TETHER_SERVER_EP_MAX);
        slash = ep[off] == '/' ? ep + off : NULL;
        if (slash == NULL || slash[1] == '\0') {
            if (!get)
                return http_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "%s %s: only GET",
                                        method, url);
            return api_client_get(h, c, name);
        }
        dm_path = pct_dup(slash, &nul);
        if (dm_path == NULL)
            return nul ? http_reply_error(c, MHD_HTTP_BAD_REQUEST, "%%00 in the path")
                       : http_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
        ok = api_dm(h, cn, method, name, dm_path);
        free(dm_path);
        return ok;
    }
    if (strcmp(url, "/api/objectspecs") == 0 || strncmp(url, "/api/objectspecs/", 17) == 0) {
        if (!get)
            return http_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "%s %s: only GET", method,
                                    url);
        rest = url + 16;
        return api_specs(h, c, rest);
    }
    if (strcmp(url, "/api/event") == 0) {
        if (!get)
            return http_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "%s %s: only GET", method,
                                    url);
        return api_event_open(h, c);
    }
    return http_reply_error(c, MHD_HTTP_NOT_FOUND, "no such API path: %s", url);
}

static enum MHD_Result route_decoded(tetherd_http *h, conn *cn, const char *method,
                                     const char *url);

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    tetherd_http *h = cls;
    conn *cn = *con_cls;
    (void)version;

    if (cn == NULL) {
        const char *cl;
        cn = calloc(1, sizeof(*cn));
        if (cn == NULL)
            return MHD_NO;
        cn->h = h;
        cn->c = c;
        *con_cls = cn;
        decode_args(c);
        cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl != NULL && strtoull(cl, NULL, 10) > HTTP_BODY_MAX) {
            cn->too_large = 1;
            return http_reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
                                    "the request body is larger than %u bytes", HTTP_BODY_MAX);
        }
        return MHD_YES;
    }
    if (*upload_size != 0) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (cn->too_large || cn->len + n > HTTP_BODY_MAX) {
            cn->too_large = 1;
            return MHD_YES; /* discarded; answered 413 below */
        }
        if (cn->len + n + 1 > cn->cap) {
            size_t cap = (cn->len + n + 1) * 2;
            char *p = realloc(cn->body, cap > HTTP_BODY_MAX + 1 ? HTTP_BODY_MAX + 1 : cap);
            if (p == NULL)
                return MHD_NO;
            cn->body = p;
            cn->cap = cap > HTTP_BODY_MAX + 1 ? HTTP_BODY_MAX + 1 : cap;
        }
        memcpy(cn->body + cn->len, upload, n);
        cn->len += n;
        cn->body[cn->len] = '\0';
        return MHD_YES;
    }
    if (cn->answer != NULL) { /* resumed: the device-management answer is ready */
        char *t = cn->answer;
        cn->answer = NULL;
        return queue(c, cn->status, "application/json", t, strlen(t));
    }
    if (cn->suspended)
        return MHD_YES; /* cannot happen: a suspended connection is not called */
    if (cn->too_large)
        return http_reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
                                "the request body is larger than %u bytes", HTTP_BODY_MAX);
    if (strncmp(url, "/api/clients/", 13) == 0) /* the endpoint: decoded by route_api */
        return route_api(h, cn, method, url);
    {
        int nul = 0;
        char *path = pct_dup(url, &nul);
        enum MHD_Result ok;
        if (path == NULL)
            return nul ? http_reply_error(c, MHD_HTTP_BAD_REQUEST, "%%00 in the path")
                       : http_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
        ok = route_decoded(h, cn, method, path);
        free(path);
        return ok;
    }
}

/* The rest of on_request(): url decoded. */
static enum MHD_Result route_decoded(tetherd_http *h, conn *cn, const char *method,
                                     const char *url)
{
    struct MHD_Connection *c = cn->c;

    if (strcmp(url, "/metrics") == 0) {
        if (strcmp(method, "GET") != 0)
            return http_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "%s /metrics: only GET",
                                    method);
        return metrics_reply(h, c);
    }
    if (strcmp(url, "/api") == 0 || strncmp(url, "/api/", 5) == 0)
        return route_api(h, cn, method, url);
    return serve_static(c, method, url);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode why)
{
    conn *cn = *con_cls;
    (void)cls;
    (void)c;
    (void)why;

    if (cn == NULL)
        return;
    if (cn->op != NULL)
        cn->op->cn = NULL; /* the request lives on; its answer goes nowhere */
    free(cn->body);
    free(cn->answer);
    free(cn);
    *con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    size_t n;
    (void)cls;

    vsnprintf(msg, sizeof(msg), fmt, ap);
    n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    tetherd_log(NULL, TETHER_LOG_WARN, "http", msg);
}

static void on_epoll(void *user, int fd, uint32_t events)
{
    tetherd_http *h = user;
    (void)fd;
    (void)events;
    MHD_run(h->d);
}

/* --- start and stop ------------------------------------------------------------ */

static int is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const void *)sa;
        return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const void *)sa;
        const uint8_t *b = s6->sin6_addr.s6_addr;
        static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
            return 1;
        return memcmp(b, v4mapped, 12) == 0 && b[12] == 127;
    }
    return 0;
}

/* Split "HOST:PORT" / "[V6]:PORT" into host and port. Returns 0 or -1. */
static int split_addr(const char *addr, char *host, size_t hcap, char *port, size_t pcap)
{
    const char *colon;
    size_t n;

    if (addr[0] == '[') {
        const char *end = strchr(addr, ']');
        if (end == NULL || end[1] != ':')
            return -1;
        n = (size_t)(end - addr - 1);
        if (n == 0 || n >= hcap)
            return -1;
        memcpy(host, addr + 1, n);
        host[n] = '\0';
        colon = end + 1;
    } else {
        colon = strrchr(addr, ':');
        if (colon == NULL)
            return -1;
        n = (size_t)(colon - addr);
        if (n == 0 || n >= hcap || memchr(addr, ':', n) != NULL)
            return -1;
        memcpy(host, addr, n);
        host[n] = '\0';
    }
    if (colon[1] == '\0' || strlen(colon + 1) >= pcap || strspn(colon + 1, "0123456789") !=
                                                             strlen(colon + 1))
        return -1;
    snprintf(port, pcap, "%s", colon + 1);
    return atoi(port) <= 65535 ? 0 : -1;
}

/* Resolve addr into *ai and check it against the token rule. Returns 0,
 * or 2 after printing why. */
static int resolve(const char *addr, const char *token, char *host, size_t hcap,
                   struct addrinfo **ai)
{
    struct addrinfo hints;
    char port[8];
    int err;

    if (split_addr(addr, host, hcap, port, sizeof(port)) != 0) {
        fprintf(stderr, "tetherd: --http needs HOST:PORT (or [V6]:PORT, or off), got '%s'\n",
                addr);
        return 2;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    *ai = NULL;
    err = getaddrinfo(host, port, &hints, ai);
    if (err != 0 || *ai == NULL) {
        fprintf(stderr, "tetherd: --http %s: %s\n", addr, gai_strerror(err));
        return 2;
    }
    if ((token == NULL || *token == '\0') && !is_loopback((*ai)->ai_addr)) {
        fprintf(stderr,
                "tetherd: --http %s is reachable from other hosts; refusing to serve the API "
                "there without --http-token TOKEN\n",
                addr);
        freeaddrinfo(*ai);
        *ai = NULL;
        return 2;
    }
    return 0;
}

int tetherd_http_check(const char *addr, const char *token)
{
    struct addrinfo *ai;
    char host[256];
    int rc = resolve(addr, token, host, sizeof(host), &ai);

    if (rc == 0)
        freeaddrinfo(ai);
    return rc;
}

int tetherd_http_start(tetherd_http **out, const char *addr, const char *token, tether_udp *udp,
                       tether_server *srv, const tether_model_registry *models)
{
    struct addrinfo *ai = NULL;
    char host[256], msg[512];
    const union MHD_DaemonInfo *info;
    tetherd_http *h;
    unsigned flags;
    uint16_t real_port;
    int rc;

    rc = resolve(addr, token, host, sizeof(host), &ai);
    if (rc != 0)
        return rc;
    if (token != NULL && *token == '\0')
        token = NULL;
    h = calloc(1, sizeof(*h));
    if (h == NULL) {
        freeaddrinfo(ai);
        return 1;
    }
    h->udp = udp;
    h->srv = srv;
    h->models = models;
    h->token = token;
    h->epfd = -1;
    h->ops_deadline = TETHER_TIME_NEVER;
    flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    h->d = MHD_start_daemon(flags, ntohs(ai->ai_family == AF_INET6
                                        ? ((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_port
                                        : ((struct sockaddr_in *)(void *)ai->ai_addr)->sin_port),
                            NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER,
                            on_mhd_log, h, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_CONN_TIMEOUT_S,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
                            MHD_OPTION_CONNECTION_LIMIT, 1024u,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
                            MHD_OPTION_UNESCAPE_CALLBACK, on_unescape, h, MHD_OPTION_END);
    freeaddrinfo(ai);
    if (h->d == NULL) {
        fprintf(stderr, "tetherd: --http %s: cannot listen there (address in use, or not "
                        "an address of this host)\n",
                addr);
        free(h);
        return 1;
    }
    info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
    h->epfd = info != NULL ? info->epoll_fd : -1;
    if (h->epfd < 0 || tether_udp_watch_fd(udp, h->epfd, EPOLLIN, on_epoll, h) != 0) {
        fprintf(stderr, "tetherd: --http %s: cannot join the event loop\n", addr);
        MHD_stop_daemon(h->d);
        free(h);
        return 1;
    }
    info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    real_port = info != NULL ? info->port : 0;
    h->next_keepalive = tether_os_now_ms() + HTTP_SSE_KEEPALIVE_MS;
    g_http = h;
    snprintf(msg, sizeof(msg), "web UI at http://%s%s%s:%u/%s", strchr(host, ':') ? "[" : "",
             host, strchr(host, ':') ? "]" : "", (unsigned)real_port,
             token != NULL ? " (API token required)" : "");
    tetherd_notice(msg);
    *out = h;
    return 0;
}

void tetherd_http_stop(tetherd_http *h)
{
    if (h == NULL)
        return;
    api_dm_cancel_all(h);
    api_event_close_all(h);
    MHD_run(h->d);
    tether_udp_unwatch_fd(h->udp, h->epfd);
    MHD_stop_daemon(h->d);
    if (g_http == h)
        g_http = NULL;
    free(h);
}

int tetherd_http_wait(tetherd_http *h, int wait)
{
    MHD_UNSIGNED_LONG_LONG to;
    tether_time now;
    int mine = -1;

    if (h == NULL)
        return wait;
    now = tether_os_now_ms();
    if (now >= h->next_keepalive) {
        api_event_keepalive(h);
        h->next_keepalive = now + HTTP_SSE_KEEPALIVE_MS;
    }
    if (h->kick || (MHD_get_timeout(h->d, &to) == MHD_YES && to == 0)) {
        h->kick = 0;
        MHD_run(h->d);
    }
    mine = api_dm_expire(h, now);
    if (h->kick)
        mine = 0;
    else if (MHD_get_timeout(h->d, &to) == MHD_YES && (mine < 0 || to < (unsigned)mine))
        mine = to > 60000 ? 60000 : (int)to;
    if (h->n_subs > 0) {
        int k = (int)(h->next_keepalive - now);
        if (mine < 0 || k < mine)
            mine = k < 0 ? 0 : k;
    }
    if (mine < 0)
        return wait;
    if (wait < 0 || mine < wait)
        return mine;
    return wait;
}

void tetherd_http_on_event(tether_time now, const tether_server_event *ev)
{
    (void)now;
    metrics_event(ev->type);
    if (g_http != NULL)
        api_event_publish(g_http, ev);
}
