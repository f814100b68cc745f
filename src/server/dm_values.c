/* SPDX-License-Identifier: Apache-2.0 */
/* Typed values in and out of device management (LwM2M 1.0 §6.4, 1.1 §7.4):
 * records encoded into a Write or Create payload in any content format the
 * build can encode, and the payload of a Read answer or a notification
 * decoded into typed values with the object models (tether/model.h).
 *
 * The codecs are tether/lwm2m_fmt.h's; what this file adds is the server's
 * side of them: TLV wants its records in path order (we sort a copy of the
 * order, not the caller's array), a payload buffer that grows until it fits
 * (up to max_request_body), and, on the way out, one allocation holding the
 * values and every byte they point to -- the formats' own scratch views are
 * valid only until the next record, the embedder's for the whole callback.
 *
 * Typing a value: the model's resource type when cfg.models knows the
 * resource (tether_lwm2m_record_value() converts raw and typed values
 * alike), else the value as the format gave it, with err saying why. */
#define TETHER_ALLOW_ALLOC
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/dm_internal.h"
#include "tether/lwm2m_fmt.h"
#include "tether/model.h"
#include "tether_poison.h"

/* --- in ---------------------------------------------------------------------- */

/* Insertion sort of indexes by path: n is the size of one Write (tens of
 * records), and a stable order keeps the caller's for equal paths. */
static void sort_by_path(const tether_lwm2m_record *recs, size_t *ix, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        size_t v = ix[i], j = i;
        while (j > 0 && tether_lwm2m_path_compare(&recs[ix[j - 1]].path, &recs[v].path) > 0) {
            ix[j] = ix[j - 1];
            j--;
        }
        ix[j] = v;
    }
}

/* Encode recs for fmt under base into a buffer allocated through srv.
 * *out, *len: the payload (free it with tether_server_alloc(srv, p, 0)).
 * *bad: the record that failed, or n. */
static int encode(tether_server *srv, uint32_t fmt, const tether_lwm2m_path *base,
                  const tether_lwm2m_record *recs, const size_t *ix, size_t n, uint8_t **out,
                  size_t *len, size_t *bad)
{
    size_t cap = 256;

    for (;;) {
        tether_lwm2m_enc e;
        uint8_t *buf = tether_server_alloc(srv, NULL, cap);
        int err;

        if (buf == NULL)
            return TETHER_ERR_NOMEM;
        *bad = n;
        err = tether_lwm2m_enc_init(&e, fmt, base, buf, cap);
        for (size_t k = 0; err == 0 && k < n; k++) {
            const tether_lwm2m_record *r = &recs[ix[k]];
            err = r->has_time ? tether_lwm2m_enc_write_timed(&e, &r->path, &r->value, r->time)
                              : tether_lwm2m_enc_write(&e, &r->path, &r->value);
            if (err != 0)
                *bad = ix[k];
        }
        if (err == 0)
            err = tether_lwm2m_enc_finish(&e, len);
        if (err == 0) {
            *out = buf;
            return 0;
        }
        tether_server_alloc(srv, buf, 0);
        if (err != TETHER_ERR_NOSPACE)
            return err;
        if (cap >= srv->cfg.max_request_body)
            return TETHER_ERR_TOO_LARGE;
        cap = cap * 2 > srv->cfg.max_request_body ? srv->cfg.max_request_body : cap * 2;
    }
}

int tether_server_submit_values(tether_server *srv, tether_time now, const char *ep,
                                const tether_server_request *req,
                                const tether_lwm2m_record *recs, size_t n,
                                tether_server_response_fn cb, void *arg,
                                tether_server_req_id *id)
{
    const tether_lwm2m_fmt *f;
    tether_server_request r;
    tether_lwm2m_path base;
    uint8_t *payload = NULL;
    size_t *ix, len = 0, bad = 0;
    char ps[TETHER_LWM2M_PATH_STR_MAX];
    int err;

    if (srv == NULL || ep == NULL || req == NULL || cb == NULL || (n > 0 && recs == NULL))
        return TETHER_ERR_INVAL;
    srv->errmsg[0] = '\0';
    if (req->op != TETHER_SERVER_OP_WRITE && req->op != TETHER_SERVER_OP_WRITE_PARTIAL &&
        req->op != TETHER_SERVER_OP_CREATE) {
        tether_server_set_err(srv, "typed values go with write, write-partial or create, not %s",
                              tether_server_op_name(req->op));
        return TETHER_ERR_INVAL;
    }
    if (req->path == NULL || tether_lwm2m_path_parse(&base, req->path, strlen(req->path)) != 0) {
        tether_server_set_err(srv, "%s is not an LwM2M path", req->path ? req->path : "(null)");
        return TETHER_ERR_INVAL;
    }
    f = tether_lwm2m_fmt_find(req->format);
    if (f == NULL || !(f->flags & TETHER_LWM2M_FMT_ENCODE)) {
        tether_server_set_err(srv, "content format %u cannot be encoded by this build",
                              (unsigned)req->format);
        return TETHER_ERR_UNSUPPORTED;
    }
    if (n == 0) {
        tether_server_set_err(srv, "%s %s: no values", tether_server_op_name(req->op), req->path);
        return TETHER_ERR_INVAL;
    }
    if (n > SIZE_MAX / sizeof(*ix))
        return TETHER_ERR_NOMEM;
    ix = tether_server_alloc(srv, NULL, n * sizeof(*ix));
    if (ix == NULL)
        return TETHER_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        ix[i] = i;
    if (f->ct == TETHER_FMT_TLV)
        sort_by_path(recs, ix, n);
    err = encode(srv, f->ct, &base, recs, ix, n, &payload, &len, &bad);
    tether_server_alloc(srv, ix, 0);
    if (err != 0) {
        if (err == TETHER_ERR_TOO_LARGE) {
            tether_server_set_err(srv, "%s %s: the values take more than max_request_body (%zu)",
                                  tether_server_op_name(req->op), req->path,
                                  srv->cfg.max_request_body);
            return err;
        }
        if (err == TETHER_ERR_NOMEM)
            return err;
        if (bad < n && tether_lwm2m_path_format(&recs[bad].path, ps, sizeof(ps), NULL) == 0)
            tether_server_set_err(srv, "%s %s: %s cannot take the %s value at %s: %s",
                                  tether_server_op_name(req->op), req->path, f->name,
                                  tether_lwm2m_type_name(recs[bad].value.type), ps,
                                  tether_strerror(err));
        else
            tether_server_set_err(srv, "%s %s: %s encoding failed: %s",
                                  tether_server_op_name(req->op), req->path, f->name,
                                  tether_strerror(err));
        return err == TETHER_ERR_UNSUPPORTED ? err : TETHER_ERR_INVAL;
    }
    r = *req;
    r.format = f->ct;
    r.payload = payload;
    r.len = len;
    err = tether_server_submit(srv, now, ep, &r, cb, arg, id);
    tether_server_alloc(srv, payload, 0);
    return err;
}

/* --- out --------------------------------------------------------------------- */

/* Bytes of a value that live outside the payload buffer are copied into the
 * arena, so the whole set stays valid for the callback. */
typedef struct arena {
    uint8_t *p;
    size_t cap, used;
} arena;

static int keep_bytes(arena *a, const uint8_t *payload, size_t plen, tether_lwm2m_value *v)
{
    const uint8_t *b;

    if (v->type != TETHER_LWM2M_STRING && v->type != TETHER_LWM2M_OPAQUE)
        return 0;
    b = v->bytes.ptr;
    if (v->bytes.len == 0 || (b >= payload && b + v->bytes.len <= payload + plen) ||
        (b >= a->p && b + v->bytes.len <= a->p + a->used))
        return 0;
    if (v->bytes.len > a->cap - a->used)
        return TETHER_ERR_NOSPACE;
    memcpy(a->p + a->used, b, v->bytes.len);
    v->bytes.ptr = a->p + a->used;
    a->used += v->bytes.len;
    return 0;
}

/* The value of r typed by the model (scratch from the arena), or as given. */
static void type_value(tether_server *srv, const tether_lwm2m_record *r, arena *a,
                       tether_server_value *out)
{
    const struct tether_model_registry *models = srv->cfg.models;
    const tether_model_resource *res = NULL;
    tether_lwm2m_value v;
    int err = TETHER_ERR_NOT_FOUND;

    out->path = r->path;
    out->has_time = r->has_time;
    out->time = r->time;
    out->value = r->value; /* raw: an OPAQUE view; typed: what the format said */
    if (r->path.len >= TETHER_LWM2M_RESOURCE && models != NULL)
        res = tether_model_find_resource(models, r->path.ids[0], r->path.ids[2]);
    if (res != NULL && res->type != TETHER_LWM2M_NONE) {
        err = tether_lwm2m_record_value(r, res->type, a->p + a->used, a->cap - a->used, &v);
        if (err == 0) {
            if ((v.type == TETHER_LWM2M_STRING || v.type == TETHER_LWM2M_OPAQUE) &&
                v.bytes.len > 0 && v.bytes.ptr == a->p + a->used)
                a->used += v.bytes.len; /* decoded into the arena (base64) */
            out->value = v;
        }
    } else if (r->raw == TETHER_LWM2M_RAW_TEXT) {
        /* No model: text is at least a string. */
        out->value.type = TETHER_LWM2M_STRING;
    } else if (r->value.type == TETHER_LWM2M_NONE && r->raw == TETHER_LWM2M_RAW_NONE) {
        err = 0; /* a node without a value: nothing to type */
    }
    out->err = err;
}

int tether_dm_values(tether_server *srv, const tether_lwm2m_path *path, uint32_t cf,
                     const uint8_t *payload, size_t len, tether_server_response *resp,
                     void **block)
{
    const tether_lwm2m_fmt *f;
    tether_lwm2m_workspace ws;
    tether_lwm2m_dec d;
    tether_lwm2m_record r;
    tether_server_value *vals;
    size_t n, ntok, i = 0;
    uint8_t *work;
    arena a;
    int err;

    *block = NULL;
    if (len == 0)
        return 0;
    if (cf == TETHER_SERVER_NO_FORMAT) {
        /* A single value sent without one is text (LwM2M 1.0 §6.4.1). */
        if (path->len < TETHER_LWM2M_RESOURCE)
            return TETHER_ERR_UNSUPPORTED;
        cf = TETHER_FMT_TEXT;
    }
    f = tether_lwm2m_fmt_find(cf);
    if (f == NULL || !(f->flags & TETHER_LWM2M_FMT_DECODE))
        return TETHER_ERR_UNSUPPORTED;
    /* The decoder's workspace: JSON tokens (a token takes at least two
     * bytes of text, separator included) and its string scratch. */
    ntok = len / 2 + 8;
    if (ntok > (SIZE_MAX - len) / sizeof(tether_json_token) || len > SIZE_MAX / 4)
        return TETHER_ERR_NOMEM;
    work = tether_server_alloc(srv, NULL, ntok * sizeof(tether_json_token) + len);
    if (work == NULL)
        return TETHER_ERR_NOMEM;
    ws.tokens = (tether_json_token *)(void *)work;
    ws.ntokens = ntok;
    ws.scratch = work + ntok * sizeof(tether_json_token);
    ws.scratch_len = len;
    err = tether_lwm2m_dec_init(&d, f->ct, path, payload, len, &ws);
    if (err != 0) {
        tether_server_alloc(srv, work, 0);
        return err == TETHER_ERR_UNSUPPORTED ? err : TETHER_ERR_MALFORMED;
    }
    n = tether_lwm2m_dec_count(&d);
    if (n == 0 || n > (SIZE_MAX - 2 * len) / sizeof(*vals)) {
        tether_server_alloc(srv, work, 0);
        return n == 0 ? 0 : TETHER_ERR_NOMEM;
    }
    /* The values, then an arena for the bytes they keep: copies of views
     * into the decoder's scratch (at most len) and base64-decoded opaque
     * values (at most len). */
    vals = tether_server_alloc(srv, NULL, n * sizeof(*vals) + 2 * len);
    if (vals == NULL) {
        tether_server_alloc(srv, work, 0);
        return TETHER_ERR_NOMEM;
    }
    a.p = (uint8_t *)(vals + n);
    a.cap = 2 * len;
    a.used = 0;
    while (i < n && tether_lwm2m_dec_next(&d, &r) == 0) {
        memset(&vals[i], 0, sizeof(vals[i]));
        if (keep_bytes(&a, payload, len, &r.value) != 0)
            break; /* cannot happen: the arena holds the whole payload twice */
        type_value(srv, &r, &a, &vals[i]);
        i++;
    }
    tether_server_alloc(srv, work, 0);
    resp->values = vals;
    resp->n_values = i;
    *block = vals;
    return 0;
}
