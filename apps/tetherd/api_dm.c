/* SPDX-License-Identifier: Apache-2.0 */
/* Device management over HTTP: /api/clients/{ep}/{path}[/discover |
 * /attributes | /observe] with GET, PUT, POST and DELETE, as docs/API.md
 * lists them. A request is parsed (path, ?format=, ?timeout=, the JSON
 * body), handed to the engine (tether_server_submit() or, with typed
 * values, tether_server_submit_values()), and its HTTP connection is
 * suspended; the engine's callback writes the JSON answer and resumes it.
 * Each request is a dm_op on h->ops until its final callback; an
 * established observation stays there, findable by endpoint and path, so
 * DELETE .../observe can cancel it. A device's CoAP error answer is an
 * HTTP 200 with "success": false; only a missing answer is an HTTP error
 * (504 timeout, 502 reset or broken transfer, 410 registration gone). */
#include "http_internal.h"
#include "api_parse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tether/coap.h"
#include "tether/lwm2m.h"
#include "tether/lwm2m_fmt.h"
#include "tether/os.h"

static const char *query_arg(void *user, const char *name)
{
    return http_arg(user, name);
}

/* --- the answer ---------------------------------------------------------------- */

static void links_json(cJSON *o, const tether_server_response *resp)
{
    cJSON *a = cJSON_AddArrayToObject(o, "objectLinks");

    for (size_t i = 0; i < resp->n_links; i++) {
        const tether_server_link *l = &resp->links[i];
        char url[TETHER_LWM2M_PATH_STR_MAX], num[40];
        cJSON *lj = cJSON_CreateObject(), *at;
        size_t n;
        if (tether_lwm2m_path_format(&l->path, url, sizeof(url), NULL) != 0)
            url[0] = '\0';
        cJSON_AddStringToObject(lj, "url", url);
        at = cJSON_AddObjectToObject(lj, "attributes");
        if (l->attrs.set & TETHER_ATTR_DIM) {
            snprintf(num, sizeof(num), "%u", (unsigned)l->attrs.dim);
            cJSON_AddStringToObject(at, "dim", num);
        }
        if (l->has_ver) {
            snprintf(num, sizeof(num), "%u.%u", l->ver_major, l->ver_minor);
            cJSON_AddStringToObject(at, "ver", num);
        }
        if (l->attrs.set & TETHER_ATTR_PMIN) {
            snprintf(num, sizeof(num), "%u", (unsigned)l->attrs.pmin);
            cJSON_AddStringToObject(at, "pmin", num);
        }
        if (l->attrs.set & TETHER_ATTR_PMAX) {
            snprintf(num, sizeof(num), "%u", (unsigned)l->attrs.pmax);
            cJSON_AddStringToObject(at, "pmax", num);
        }
        {
            static const struct {
                unsigned bit;
                const char *name;
            } fl[] = {{TETHER_ATTR_GT, "gt"}, {TETHER_ATTR_LT, "lt"}, {TETHER_ATTR_ST, "st"}};
            for (size_t k = 0; k < 3; k++) {
                tether_lwm2m_value v;
                if (!(l->attrs.set & fl[k].bit))
                    continue;
                v = tether_lwm2m_value_float(k == 0 ? l->attrs.gt
                                             : k == 1 ? l->attrs.lt
                                                      : l->attrs.st);
                if (tether_lwm2m_text_encode(&v, (uint8_t *)num, sizeof(num) - 1, &n) != 0)
                    continue;
                num[n] = '\0';
                cJSON_AddStringToObject(at, fl[k].name, num);
            }
        }
        cJSON_AddItemToArray(a, lj);
    }
}

static int code_valid(uint8_t code)
{
    return strcmp(api_status_name(code), "UNKNOWN") != 0;
}

/* The 200 answer for a device's response. */
static char *answer_json(tetherd_http *h, const tether_server_response *resp)
{
    cJSON *o = cJSON_CreateObject();
    char cs[5], *text;
    int ok = resp->code >> 5 == 2;

    cJSON_AddStringToObject(o, "status", api_status_name(resp->code));
    cJSON_AddStringToObject(o, "code", tether_coap_code_str(resp->code, cs));
    cJSON_AddBoolToObject(o, "success", ok);
    cJSON_AddBoolToObject(o, "valid", code_valid(resp->code));
    cJSON_AddBoolToObject(o, "failure", !ok);
    if (ok && (resp->op == TETHER_SERVER_OP_READ || resp->op == TETHER_SERVER_OP_OBSERVE)) {
        if (resp->values_status == 0 && resp->n_values > 0)
            cJSON_AddItemToObject(o, "content",
                                  api_values_node(h->models, &resp->path, resp->values,
                                                  resp->n_values));
        else if (resp->values_status != 0)
            cJSON_AddStringToObject(o, "errormessage",
                                    resp->values_status == TETHER_ERR_UNSUPPORTED
                                        ? "the answer's content format cannot be decoded here"
                                        : "the answer's payload does not decode");
    }
    if (ok && resp->op == TETHER_SERVER_OP_DISCOVER)
        links_json(o, resp);
    if (ok && resp->op == TETHER_SERVER_OP_CREATE && resp->created_iid != TETHER_SERVER_NO_IID) {
        char loc[24];
        snprintf(loc, sizeof(loc), "/%u/%u", resp->path.ids[0], resp->created_iid);
        cJSON_AddStringToObject(o, "location", loc);
    }
    if (!ok && resp->payload_len > 0 &&
        tether_lwm2m_utf8_valid(resp->payload, resp->payload_len) &&
        memchr(resp->payload, 0, resp->payload_len) == NULL) {
        char *msg = malloc(resp->payload_len + 1);
        if (msg != NULL) {
            memcpy(msg, resp->payload, resp->payload_len);
            msg[resp->payload_len] = '\0';
            cJSON_AddStringToObject(o, "errormessage", msg);
            free(msg);
        }
    }
    text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

static void op_unlink(tetherd_http *h, dm_op *op)
{
    if (op->prev != NULL)
        op->prev->next = op->next;
    else if (h->ops == op)
        h->ops = op->next;
    if (op->next != NULL)
        op->next->prev = op->prev;
}

static void op_free(dm_op *op)
{
    free(op->ep);
    free(op);
}

static void on_answer(void *arg, tether_time now, int status, const tether_server_response *resp)
{
    dm_op *op = arg;
    tetherd_http *h = op->h;

    if (!op->answered) {
        unsigned st = MHD_HTTP_OK;
        const char *result;
        char *text;
        op->answered = 1;
        switch (status) {
        case 0: result = resp->code >> 5 == 2 ? "success" : "coap_error"; break;
        case TETHER_ERR_TIMEOUT: result = "timeout"; st = MHD_HTTP_GATEWAY_TIMEOUT; break;
        case TETHER_ERR_RESET: result = "reset"; st = MHD_HTTP_BAD_GATEWAY; break;
        case TETHER_ERR_CANCELLED:
            result = op->expired ? "timeout" : "cancelled";
            st = h->stopping ? MHD_HTTP_SERVICE_UNAVAILABLE
                 : op->expired ? MHD_HTTP_GATEWAY_TIMEOUT
                               : MHD_HTTP_GONE;
            break;
        case TETHER_ERR_MALFORMED:
        case TETHER_ERR_TOO_LARGE: result = "failed"; st = MHD_HTTP_BAD_GATEWAY; break;
        default: result = "failed"; st = MHD_HTTP_INTERNAL_SERVER_ERROR; break;
        }
        metrics_op(op->op, result, now >= op->t0 ? now - op->t0 : 0);
        if (op->cn != NULL) {
            conn *cn = op->cn;
            if (status == 0)
                text = answer_json(h, resp);
            else if (h->stopping)
                text = http_error_text(st, "tetherd is stopping");
            else if (op->expired)
                text = http_error_text(st,
                                       "%s %s on ep=%s: no answer within the timeout (the "
                                       "client sleeps in queue mode); the request was withdrawn",
                                       tether_server_op_name(op->op), op->path, op->ep);
            else
                text = http_error_text(st, "%s %s on ep=%s: %s", tether_server_op_name(op->op),
                                       op->path, op->ep,
                                       resp->reason[0] ? resp->reason : tether_strerror(status));
            if (text == NULL)
                text = strdup("{\"code\":500,\"message\":\"out of memory\"}"), st = 500;
            cn->answer = text;
            cn->status = st;
            cn->op = NULL;
            op->cn = NULL;
            if (cn->suspended) {
                cn->suspended = 0;
                http_resume(h, cn->c);
            }
        }
    }
    if (resp->final) {
        op_unlink(h, op);
        op_free(op);
    } else {
        op->observing = 1;
    }
}

/* --- the request ------------------------------------------------------------------ */

static unsigned submit_status(int err)
{
    switch (err) {
    case TETHER_ERR_NOT_FOUND: return MHD_HTTP_NOT_FOUND;
    case TETHER_ERR_INVAL:
    case TETHER_ERR_UNSUPPORTED: return MHD_HTTP_BAD_REQUEST;
    case TETHER_ERR_TOO_LARGE: return MHD_HTTP_CONTENT_TOO_LARGE;
    case TETHER_ERR_BUSY: return MHD_HTTP_SERVICE_UNAVAILABLE;
    default: return MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
}

/* Encode a Create's records ourselves: with an instance id the payload is
 * that instance (base /o), without one its resources alone (base /o/0, the
 * client picks the id). TLV wants them in path order. */
static int by_path(const void *a, const void *b)
{
    const tether_lwm2m_record *x = a, *y = b;
    return tether_lwm2m_path_compare(&x->path, &y->path);
}

static int encode_create(uint32_t ct, const tether_lwm2m_path *obj, int has_id,
                         tether_lwm2m_record *recs, size_t n, uint8_t **out, size_t *len)
{
    tether_lwm2m_path base = has_id ? *obj
                                    : tether_lwm2m_path_make(2, obj->ids[0], 0, 0, 0);
    size_t cap = 512;

    qsort(recs, n, sizeof(*recs), by_path);
    for (;;) {
        tether_lwm2m_enc e;
        uint8_t *buf = malloc(cap);
        int err;
        if (buf == NULL)
            return TETHER_ERR_NOMEM;
        err = tether_lwm2m_enc_init(&e, ct, &base, buf, cap);
        for (size_t k = 0; err == 0 && k < n; k++)
            err = tether_lwm2m_enc_write(&e, &recs[k].path, &recs[k].value);
        if (err == 0)
            err = tether_lwm2m_enc_finish(&e, len);
        if (err == 0) {
            *out = buf;
            return 0;
        }
        free(buf);
        if (err != TETHER_ERR_NOSPACE || cap >= 65536)
            return err == TETHER_ERR_NOSPACE ? TETHER_ERR_TOO_LARGE : err;
        cap *= 4;
    }
}

static enum MHD_Result cancel_observe(tetherd_http *h, struct MHD_Connection *c, const char *ep,
                                      const char *path)
{
    const char *active = http_arg(c, "active");
    tether_server_cancel_mode mode = TETHER_SERVER_CANCEL_PASSIVE;
    size_t n = 0;
    cJSON *o;
    dm_op *op;

    if (active != NULL && (strcmp(active, "true") == 0 || strcmp(active, "1") == 0))
        mode = TETHER_SERVER_CANCEL_ACTIVE;
    for (;;) {
        dm_op *m = NULL;
        for (op = h->ops; op != NULL && m == NULL; op = op->next)
            if (op->op == TETHER_SERVER_OP_OBSERVE && !op->cancelling &&
                strcmp(op->ep, ep) == 0 && strcmp(op->path, path) == 0)
                m = op;
        if (m == NULL)
            break;
        m->cancelling = 1; /* its final callback frees it, unless the engine lost it */
        if (tether_server_cancel(h->srv, tether_os_now_ms(), m->id, mode) == 0)
            n++;
    }
    o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "cancelled", (double)n);
    cJSON_AddBoolToObject(o, "active", mode == TETHER_SERVER_CANCEL_ACTIVE);
    return http_reply_json(c, MHD_HTTP_OK, o);
}

enum MHD_Result api_dm(tetherd_http *h, conn *cn, const char *method, const char *ep,
                       const char *rest)
{
    struct MHD_Connection *c = cn->c;
    char path[64], why[256];
    const char *suffix = "";
    tether_lwm2m_path p;
    tether_server_request req;
    tether_server_attrs attrs;
    api_dm_target t;
    uint32_t ct, tmo;
    dm_op *op;
    int err;

    /* rest: "/3/0/1" or "/3/0/1/observe" (a trailing '/' is dropped). */
    err = api_parse_dm_target(rest, strlen(rest), &t);
    if (err == API_PARSE_NO_SUCH_SUFFIX)
        return http_reply_error(c, MHD_HTTP_NOT_FOUND, "no such API path: .../%.*s",
                                (int)t.bad_len, rest + t.bad_off);
    if (err != 0)
        return http_reply_error(c, MHD_HTTP_BAD_REQUEST, "'%.*s' is not an LwM2M path",
                                (int)t.bad_len, rest + t.bad_off);
    p = t.p;
    suffix = t.suffix;
    memcpy(path, t.path, sizeof(path));
    if (tether_server_find_ep(h->srv, ep, strlen(ep)) == NULL)
        return http_reply_error(c, MHD_HTTP_NOT_FOUND, "ep=%s is not registered", ep);
    if (api_parse_format(http_arg(c, "format"), &ct) != 0)
        return http_reply_error(c, MHD_HTTP_BAD_REQUEST,
                                "format must be TEXT, OPAQUE, TLV, JSON, SENML_JSON, "
                                "SENML_CBOR, CBOR, LINK or a number");
    if (api_parse_timeout(http_arg(c, "timeout"), HTTP_DM_TIMEOUT_S * 1000u, &tmo) != 0)
        return http_reply_error(c, MHD_HTTP_BAD_REQUEST,
                                "timeout must be a number of seconds, 0 < timeout <= 3600");

    memset(&req, 0, sizeof(req));
    req.path = path;
    req.timeout_ms = tmo;
    req.accept = TETHER_SERVER_NO_FORMAT;
    if (strcmp(method, "GET") == 0 && *suffix == '\0') {
        /* A GET with Accept: 40 is a Discover to the device (LwM2M 1.0
         * 5.4.2): say so rather than answer CONTENT that cannot decode. */
        if (ct == TETHER_FMT_LINK)
            return http_reply_error(c, MHD_HTTP_BAD_REQUEST,
                                    "a Read cannot ask for LINK (that is a Discover): use "
                                    "GET /api/clients/%s%s/discover",
                                    ep, path);
        req.op = TETHER_SERVER_OP_READ;
        req.accept = ct;
    } else if (strcmp(method, "GET") == 0 && strcmp(suffix, "discover") == 0) {
        req.op = TETHER_SERVER_OP_DISCOVER;
    } else if (strcmp(method, "PUT") == 0 && strcmp(suffix, "attributes") == 0) {
        if (api_parse_attrs(query_arg, c, &attrs, why, sizeof(why)) != 0)
            return http_reply_error(c, MHD_HTTP_BAD_REQUEST, "%s", why);
        req.op = TETHER_SERVER_OP_WRITE_ATTRS;
        req.attrs = &attrs;
    } else if (strcmp(method, "POST") == 0 && strcmp(suffix, "observe") == 0) {
        req.op = TETHER_SERVER_OP_OBSERVE;
        req.accept = ct;
    } else if (strcmp(method, "DELETE") == 0 && strcmp(suffix, "observe") == 0) {
        return cancel_observe(h, c, ep, path);
    } else if (strcmp(method, "PUT") == 0 && *suffix == '\0') {
        const char *replace = http_arg(c, "replace");
        req.op = replace != NULL && strcmp(replace, "false") == 0
                     ? TETHER_SERVER_OP_WRITE_PARTIAL
                     : TETHER_SERVER_OP_WRITE;
        if (p.len < TETHER_LWM2M_INSTANCE)
            return http_reply_error(c, MHD_HTTP_BAD_REQUEST,
                                    "write needs an instance or resource path, not %s", path);
    } else if (strcmp(method, "POST") == 0 && *suffix == '\0') {
        if (p.len == TETHER_LWM2M_RESOURCE)
            req.op = TETHER_SERVER_OP_EXECUTE;
        else if (p.len <= TETHER_LWM2M_INSTANCE)
            req.op = TETHER_SERVER_OP_CREATE;
        else
            return http_reply_error(c, MHD_HTTP_BAD_REQUEST,
                                    "POST is Execute on /o/i/r or Create on /o[/i], not %s",
                                    path);
    } else if (strcmp(method, "DELETE") == 0 && *suffix == '\0') {
        if (p.len != TETHER_LWM2M_INSTANCE)
            return http_reply_error(c, MHD_HTTP_BAD_REQUEST,
                                    "delete takes an object instance path, not %s", path);
        req.op = TETHER_SERVER_OP_DELETE;
    } else {
        return http_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "%s is not an operation on %s%s%s",
                                method, path, *suffix ? "/" : "", suffix);
    }

    op = calloc(1, sizeof(*op));
    if (op == NULL || (op->ep = strdup(ep)) == NULL) {
        free(op);
        return http_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    }
    op->h = h;
    op->op = req.op;
    op->t0 = tether_os_now_ms();
    op->deadline = op->t0 + tmo + HTTP_DM_GRACE_MS;
    snprintf(op->path, sizeof(op->path), "%s", path);

    if (req.op == TETHER_SERVER_OP_WRITE || req.op == TETHER_SERVER_OP_WRITE_PARTIAL ||
        req.op == TETHER_SERVER_OP_CREATE) {
        cJSON *node = cn->body != NULL ? cJSON_ParseWithLength(cn->body, cn->len) : NULL;
        tether_lwm2m_record *recs = NULL;
        size_t nrec = 0;
        int has_id = 0;
        if (node == NULL) {
            op_free(op);
            return http_reply_error(c, MHD_HTTP_BAD_REQUEST,
                                    "the body must be a JSON content node");
        }
        err = api_values_records(h->models, &p, node, req.op == TETHER_SERVER_OP_CREATE, &recs,
                                 &nrec, &has_id, why, sizeof(why));
        if (err != 0) {
            cJSON_Delete(node);
            op_free(op);
            return http_reply_error(c, err == TETHER_ERR_NOMEM ? 500 : MHD_HTTP_BAD_REQUEST,
                                    "%s", why);
        }
        if (ct == TETHER_SERVER_NO_FORMAT) {
            const cJSON *kind = cJSON_GetObjectItemCaseSensitive(node, "kind");
            int single = cJSON_IsString(kind) && (strcmp(kind->valuestring, "singleResource") == 0 ||
                                                  strcmp(kind->valuestring, "resourceInstance") == 0);
            ct = TETHER_FMT_TLV;
            if (single && req.op != TETHER_SERVER_OP_CREATE)
                ct = recs[0].value.type == TETHER_LWM2M_OPAQUE ? TETHER_FMT_OPAQUE
                                                                : TETHER_FMT_TEXT;
        }
        req.format = ct;
        if (req.op == TETHER_SERVER_OP_CREATE) {
            uint8_t *payload = NULL;
            tether_lwm2m_path obj = tether_lwm2m_path_make(1, p.ids[0], 0, 0, 0);
            char opath[8];
            if (!has_id && ct != TETHER_FMT_TLV) {
                /* Only TLV can leave the id out: the other formats' records
                 * name /o/i/r, so the device would read instance 0. */
                free(recs);
                cJSON_Delete(node);
                op_free(op);
                return http_reply_error(c, MHD_HTTP_BAD_REQUEST,
                                        "create %s in format %u needs the new instance's "
                                        "\"id\" (only TLV can leave it to the device)",
                                        path, (unsigned)ct);
            }
            err = encode_create(ct, &obj, has_id, recs, nrec, &payload, &req.len);
            if (err != 0) {
                free(recs);
                cJSON_Delete(node);
                op_free(op);
                return http_reply_error(c, submit_status(err),
                                        "create %s: the values do not encode in format %u: %s",
                                        path, (unsigned)ct, tether_strerror(err));
            }
            snprintf(opath, sizeof(opath), "/%u", p.ids[0]);
            req.path = opath;
            req.payload = payload;
            err = tether_server_submit(h->srv, op->t0, ep, &req, on_answer, op, &op->id);
            free(payload);
        } else {
            err = tether_server_submit_values(h->srv, op->t0, ep, &req, recs, nrec, on_answer,
                                              op, &op->id);
        }
        free(recs);
        cJSON_Delete(node);
    } else {
        if (req.op == TETHER_SERVER_OP_EXECUTE && cn->len > 0) {
            req.payload = cn->body;
            req.len = cn->len;
        }
        err = tether_server_submit(h->srv, op->t0, ep, &req, on_answer, op, &op->id);
    }
    if (err != 0) {
        metrics_op(req.op, "rejected", 0);
        op_free(op);
        return http_reply_error(c, submit_status(err), "%s %s on ep=%s: %s",
                                tether_server_op_name(req.op), path, ep,
                                tether_server_errmsg(h->srv)[0] ? tether_server_errmsg(h->srv)
                                                                : tether_strerror(err));
    }
    op->next = h->ops;
    if (h->ops != NULL)
        h->ops->prev = op;
    h->ops = op;
    if (op->deadline < h->ops_deadline)
        h->ops_deadline = op->deadline;
    op->cn = cn;
    cn->op = op;
    cn->suspended = 1;
    MHD_suspend_connection(c);
    return MHD_YES;
}

/* The engine no longer knows op (a cancel failed): answer its HTTP caller
 * with status and free it. */
static void op_abandon(tetherd_http *h, dm_op *op, unsigned status, const char *msg)
{
    op_unlink(h, op);
    if (op->cn != NULL) {
        conn *cn = op->cn;
        cn->op = NULL;
        cn->answer = http_error_text(status, "%s", msg);
        cn->status = status;
        if (cn->suspended) {
            cn->suspended = 0;
            http_resume(h, cn->c);
        }
    }
    op_free(op);
}

int api_dm_expire(tetherd_http *h, tether_time now)
{
    tether_time next = TETHER_TIME_NEVER;
    dm_op *op;

    if (h->ops_deadline == TETHER_TIME_NEVER)
        return -1;
    if (now >= h->ops_deadline) {
        /* Withdraw one at a time: a cancel runs the callback, which frees. */
        for (;;) {
            dm_op *due = NULL;
            for (op = h->ops; op != NULL && due == NULL; op = op->next)
                if (!op->answered && !op->expired && now >= op->deadline)
                    due = op;
            if (due == NULL)
                break;
            due->expired = 1;
            if (tether_server_cancel(h->srv, now, due->id, TETHER_SERVER_CANCEL_PASSIVE) != 0)
                op_abandon(h, due, MHD_HTTP_GATEWAY_TIMEOUT, "no answer within the timeout");
        }
    }
    for (op = h->ops; op != NULL; op = op->next)
        if (!op->answered && !op->expired && op->deadline < next)
            next = op->deadline;
    h->ops_deadline = next;
    if (next == TETHER_TIME_NEVER)
        return -1;
    return next - now > 60000 ? 60000 : (int)(next - now);
}

void api_dm_cancel_all(tetherd_http *h)
{
    h->stopping = 1;
    while (h->ops != NULL) {
        dm_op *op = h->ops;
        /* Its final callback answers and frees it; should the engine not
         * know it any more, answer here (the head would never move). */
        tether_server_cancel(h->srv, tether_os_now_ms(), op->id, TETHER_SERVER_CANCEL_PASSIVE);
        if (h->ops == op)
            op_abandon(h, op, MHD_HTTP_SERVICE_UNAVAILABLE, "tetherd is stopping");
    }
}
