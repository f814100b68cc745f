/* SPDX-License-Identifier: Apache-2.0 */
/* Clients and the event stream: the client object of docs/API.md built
 * from a registration, GET /api/clients (a walk over every registration,
 * filtered by prefix, sorted by endpoint, paged) and GET /api/clients/{ep},
 * and GET /api/event, a Server-Sent Events stream fed from the engine's
 * event callback. Each subscriber has its own backlog; the connection is
 * suspended while it is empty and resumed when an event or the 15 s
 * keepalive arrives, so an idle stream costs nothing, and one that falls
 * HTTP_SSE_BACKLOG_MAX behind (a client that stopped reading) is closed
 * rather than allowed to grow. */
#include "http_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tether/lwm2m.h"
#include "tether/os.h"

/* --- the client object ----------------------------------------------------- */

static cJSON *object_links(const tether_server_reg *r)
{
    cJSON *a = cJSON_CreateArray();
    size_t n = tether_server_reg_object_count(r);

    for (size_t i = 0; i < n; i++) {
        tether_server_obj o;
        char url[16], ver[16];
        cJSON *l, *at;
        if (tether_server_reg_object(r, i, &o) != 0)
            continue;
        if (o.iid == TETHER_SERVER_NO_IID)
            snprintf(url, sizeof(url), "/%u", o.oid);
        else
            snprintf(url, sizeof(url), "/%u/%u", o.oid, o.iid);
        l = cJSON_CreateObject();
        cJSON_AddStringToObject(l, "url", url);
        at = cJSON_AddObjectToObject(l, "attributes");
        if (o.ver_major != 0) {
            snprintf(ver, sizeof(ver), "%u.%u", o.ver_major, o.ver_minor);
            cJSON_AddStringToObject(at, "ver", ver);
        }
        cJSON_AddItemToArray(a, l);
    }
    return a;
}

cJSON *api_client_json(tetherd_http *h, const tether_server_reg *r)
{
    cJSON *o = cJSON_CreateObject();
    char addr[TETHER_UDP_ADDRSTR_MAX], b[8], t[32];
    const char *root = tether_server_reg_root(r);

    tether_udp_peer_str(tether_server_reg_peer(r), addr, sizeof(addr));
    cJSON_AddStringToObject(o, "endpoint", tether_server_reg_ep(r));
    cJSON_AddStringToObject(o, "registrationId", tether_server_reg_id(r));
    cJSON_AddStringToObject(o, "address", addr);
    cJSON_AddNumberToObject(o, "lifetime", tether_server_reg_lifetime(r));
    cJSON_AddStringToObject(o, "bindingMode", tether_server_reg_binding_str(r, b, sizeof(b)));
    cJSON_AddStringToObject(o, "lwM2mVersion", tether_server_reg_version_str(r));
    cJSON_AddStringToObject(o, "smsNumber", tether_server_reg_sms(r));
    cJSON_AddStringToObject(o, "rootPath", root[0] ? root : "/");
    cJSON_AddItemToObject(o, "objectLinks", object_links(r));
    http_iso_time(tether_server_reg_registered(r), t);
    cJSON_AddStringToObject(o, "registrationDate", t);
    http_iso_time(tether_server_reg_updated(h->srv, r), t);
    cJSON_AddStringToObject(o, "lastUpdate", t);
    http_iso_time(tether_server_reg_expires(r), t);
    cJSON_AddStringToObject(o, "expires", t);
    cJSON_AddBoolToObject(o, "queuemode", tether_server_reg_queue(r) != 0);
    cJSON_AddBoolToObject(o, "sleeping", tether_server_reg_sleeping(h->srv, r) != 0);
    return o;
}

/* --- GET /api/clients ----------------------------------------------------------- */

typedef struct pick {
    const char *prefix;
    size_t plen;
    const tether_server_reg **v;
    size_t n, cap;
    int nomem;
} pick;

static int pick_one(void *user, const tether_server_reg *r)
{
    pick *p = user;

    if (p->plen > 0 && strncmp(tether_server_reg_ep(r), p->prefix, p->plen) != 0)
        return 0;
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 256;
        const tether_server_reg **v = realloc(p->v, cap * sizeof(*v));
        if (v == NULL) {
            p->nomem = 1;
            return 1;
        }
        p->v = v;
        p->cap = cap;
    }
    p->v[p->n++] = r;
    return 0;
}

static int by_ep(const void *a, const void *b)
{
    const tether_server_reg *const *x = a, *const *y = b;
    return strcmp(tether_server_reg_ep(*x), tether_server_reg_ep(*y));
}

/* A decimal parameter in [0, max]; def when absent. -1 when bad. */
static long long num_arg(struct MHD_Connection *c, const char *name, long long def,
                         long long max)
{
    const char *s = http_arg(c, name);
    char *end;
    long long v;

    if (s == NULL)
        return def;
    if (*s < '0' || *s > '9')
        return -1;
    v = strtoll(s, &end, 10);
    if (*end != '\0' || v < 0 || v > max)
        return -1;
    return v;
}

enum MHD_Result api_clients_list(tetherd_http *h, struct MHD_Connection *c)
{
    pick p;
    long long off = num_arg(c, "offset", 0, 1LL << 40), lim = num_arg(c, "limit", 100, 1000);
    cJSON *a;
    char total[24], *text;
    struct MHD_Response *r;
    enum MHD_Result ok;

    if (off < 0 || lim < 0)
        return http_reply_error(c, MHD_HTTP_BAD_REQUEST,
                                "offset must be a number >= 0 and limit 0..1000");
    memset(&p, 0, sizeof(p));
    p.prefix = http_arg(c, "prefix");
    p.plen = p.prefix != NULL ? strlen(p.prefix) : 0;
    tether_server_foreach(h->srv, pick_one, &p);
    if (p.nomem) {
        free(p.v);
        return http_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    }
    if (p.n > 1)
        qsort(p.v, p.n, sizeof(*p.v), by_ep);
    a = cJSON_CreateArray();
    for (size_t i = (size_t)off; i < p.n && i < (size_t)off + (size_t)lim; i++)
        cJSON_AddItemToArray(a, api_client_json(h, p.v[i]));
    free(p.v);
    text = cJSON_PrintUnformatted(a);
    cJSON_Delete(a);
    if (text == NULL)
        return MHD_NO;
    r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        free(text);
        return MHD_NO;
    }
    snprintf(total, sizeof(total), "%zu", p.n);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Total-Count", total);
    MHD_add_response_header(r, "Access-Control-Expose-Headers", "X-Total-Count");
    ok = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    metrics_http(MHD_HTTP_OK);
    return ok;
}

enum MHD_Result api_client_get(tetherd_http *h, struct MHD_Connection *c, const char *ep)
{
    const tether_server_reg *r = tether_server_find_ep(h->srv, ep, strlen(ep));

    if (r == NULL)
        return http_reply_error(c, MHD_HTTP_NOT_FOUND, "ep=%s is not registered", ep);
    return http_reply_json(c, MHD_HTTP_OK, api_client_json(h, r));
}

/* --- the event stream ------------------------------------------------------------- */

static void sub_unlink(tetherd_http *h, sse_sub *s)
{
    if (s->prev != NULL)
        s->prev->next = s->next;
    else if (h->subs == s)
        h->subs = s->next;
    if (s->next != NULL)
        s->next->prev = s->prev;
    s->prev = s->next = NULL;
    h->n_subs--;
}

static void sub_wake(tetherd_http *h, sse_sub *s)
{
    if (s->suspended) {
        s->suspended = 0;
        http_resume(h, s->c);
    }
}

static void sub_put(tetherd_http *h, sse_sub *s, const char *text, size_t n)
{
    if (s->closing)
        return;
    if (s->off > 0 && s->off == s->len)
        s->off = s->len = 0;
    if (s->len + n > s->cap) {
        size_t cap;
        char *p;
        if (s->off > 0) { /* compact first */
            memmove(s->buf, s->buf + s->off, s->len - s->off);
            s->len -= s->off;
            s->off = 0;
        }
        if (s->len + n > HTTP_SSE_BACKLOG_MAX) {
            s->closing = 1; /* fell too far behind: end its stream */
            sub_wake(h, s);
            return;
        }
        cap = s->cap ? s->cap : 4096;
        while (cap < s->len + n)
            cap *= 2;
        p = realloc(s->buf, cap);
        if (p == NULL) {
            s->closing = 1;
            sub_wake(h, s);
            return;
        }
        s->buf = p;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, text, n);
    s->len += n;
    sub_wake(h, s);
}

static ssize_t sub_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    sse_sub *s = cls;
    size_t n = s->len - s->off;
    (void)pos;

    if (n == 0) {
        if (s->closing)
            return MHD_CONTENT_READER_END_OF_STREAM;
        s->off = s->len = 0;
        s->suspended = 1;
        MHD_suspend_connection(s->c);
        return 0;
    }
    if (n > max)
        n = max;
    memcpy(buf, s->buf + s->off, n);
    s->off += n;
    return (ssize_t)n;
}

static void sub_free(void *cls)
{
    sse_sub *s = cls;

    sub_unlink(s->h, s);
    free(s->ep);
    free(s->buf);
    free(s);
}

enum MHD_Result api_event_open(tetherd_http *h, struct MHD_Connection *c)
{
    const char *ep = http_arg(c, "ep");
    struct MHD_Response *r;
    enum MHD_Result ok;
    sse_sub *s = calloc(1, sizeof(*s));

    if (s == NULL)
        return MHD_NO;
    s->h = h;
    s->c = c;
    if (ep != NULL && *ep != '\0' && (s->ep = strdup(ep)) == NULL) {
        free(s);
        return MHD_NO;
    }
    s->next = h->subs;
    if (h->subs != NULL)
        h->subs->prev = s;
    h->subs = s;
    h->n_subs++;
    /* A first comment, so the client sees the headers and the stream at
     * once, and a 2 s reconnection delay for EventSource. */
    sub_put(h, s, ": tetherd events\nretry: 2000\n\n", 30);
    r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, sub_read, s, sub_free);
    if (r == NULL) {
        sub_free(s);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    MHD_add_response_header(r, "X-Accel-Buffering", "no");
    ok = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    metrics_http(MHD_HTTP_OK);
    return ok;
}

static char *update_json(tetherd_http *h, const tether_server_event *ev)
{
    cJSON *o = cJSON_CreateObject(), *u;
    const tether_server_reg *r = ev->reg;
    char b[8], *text;

    cJSON_AddItemToObject(o, "registration", api_client_json(h, r));
    u = cJSON_AddObjectToObject(o, "update");
    if (ev->type == TETHER_SERVER_EV_LIFETIME || (ev->changed & TETHER_CHANGED_LIFETIME))
        cJSON_AddNumberToObject(u, "lifetime", tether_server_reg_lifetime(r));
    if (ev->changed & TETHER_CHANGED_BINDING)
        cJSON_AddStringToObject(u, "bindingMode", tether_server_reg_binding_str(r, b, sizeof(b)));
    if (ev->changed & TETHER_CHANGED_SMS)
        cJSON_AddStringToObject(u, "smsNumber", tether_server_reg_sms(r));
    if (ev->changed & TETHER_CHANGED_OBJECTS)
        cJSON_AddItemToObject(u, "objectLinks", object_links(r));
    if (ev->changed & TETHER_CHANGED_ADDRESS) {
        char addr[TETHER_UDP_ADDRSTR_MAX];
        tether_udp_peer_str(tether_server_reg_peer(r), addr, sizeof(addr));
        cJSON_AddStringToObject(u, "address", addr);
    }
    text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

static char *notification_json(tetherd_http *h, const tether_server_event *ev)
{
    const tether_server_response *resp = ev->resp;
    cJSON *o = cJSON_CreateObject();
    char path[TETHER_LWM2M_PATH_STR_MAX], cs[5], *text;

    if (tether_lwm2m_path_format(&resp->path, path, sizeof(path), NULL) != 0)
        path[0] = '\0';
    cJSON_AddStringToObject(o, "ep", tether_server_reg_ep(ev->reg));
    cJSON_AddStringToObject(o, "res", path);
    if (ev->type == TETHER_SERVER_EV_NOTIFICATION) {
        if (resp->values_status == 0 && resp->n_values > 0)
            cJSON_AddItemToObject(o, "val",
                                  api_values_node(h->models, &resp->path, resp->values,
                                                  resp->n_values));
        cJSON_AddStringToObject(o, "code", tether_coap_code_str(resp->code, cs));
        cJSON_AddStringToObject(o, "status", api_status_name(resp->code));
        if (resp->has_seq)
            cJSON_AddNumberToObject(o, "seq", resp->observe_seq);
    } else {
        cJSON_AddStringToObject(o, "reason", resp->reason[0] ? resp->reason
                                             : ev->status == 0 ? "the client ended it"
                                                               : tether_strerror(ev->status));
    }
    text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

void api_event_publish(tetherd_http *h, const tether_server_event *ev)
{
    const char *name = NULL, *ep;
    char *data = NULL, head[64];
    size_t hn, dn;

    if (h->subs == NULL)
        return;
    switch (ev->type) {
    case TETHER_SERVER_EV_REGISTERED: name = "REGISTRATION"; break;
    case TETHER_SERVER_EV_UPDATED: name = "UPDATED"; break;
    case TETHER_SERVER_EV_DEREGISTERED: name = "DEREGISTRATION"; break;
    case TETHER_SERVER_EV_EXPIRED: name = "EXPIRED"; break;
    case TETHER_SERVER_EV_LIFETIME:
        if (ev->status != 0)
            return;
        name = "UPDATED"; /* R10 adopted or wrote a lifetime */
        break;
    case TETHER_SERVER_EV_NOTIFICATION: name = "NOTIFICATION"; break;
    case TETHER_SERVER_EV_OBSERVE_END: name = "OBSERVE_END"; break;
    case TETHER_SERVER_EV_SLEEPING: name = "SLEEPING"; break;
    case TETHER_SERVER_EV_AWAKE: name = "AWAKE"; break;
    case TETHER_SERVER_EV_REPLACED: return; /* the new one's REGISTRATION follows */
    }
    if (name == NULL)
        return;
    ep = tether_server_reg_ep(ev->reg);
    switch (ev->type) {
    case TETHER_SERVER_EV_REGISTERED:
    case TETHER_SERVER_EV_DEREGISTERED:
    case TETHER_SERVER_EV_EXPIRED: {
        cJSON *o = api_client_json(h, ev->reg);
        data = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        break;
    }
    case TETHER_SERVER_EV_UPDATED:
    case TETHER_SERVER_EV_LIFETIME: data = update_json(h, ev); break;
    case TETHER_SERVER_EV_NOTIFICATION:
    case TETHER_SERVER_EV_OBSERVE_END: data = notification_json(h, ev); break;
    default: {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "ep", ep);
        data = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        break;
    }
    }
    if (data == NULL)
        return;
    hn = (size_t)snprintf(head, sizeof(head), "event: %s\ndata: ", name);
    dn = strlen(data);
    for (sse_sub *s = h->subs; s != NULL; s = s->next) {
        if (s->ep != NULL && strcmp(s->ep, ep) != 0)
            continue;
        sub_put(h, s, head, hn);
        sub_put(h, s, data, dn);
        sub_put(h, s, "\n\n", 2);
    }
    free(data);
}

void api_event_keepalive(tetherd_http *h)
{
    for (sse_sub *s = h->subs; s != NULL; s = s->next)
        sub_put(h, s, ": keepalive\n\n", 13);
}

void api_event_close_all(tetherd_http *h)
{
    for (sse_sub *s = h->subs; s != NULL; s = s->next) {
        s->closing = 1;
        sub_wake(h, s);
    }
}
