/* SPDX-License-Identifier: Apache-2.0 */
/* Typed decoding with the object models: OMA-TLV, text/plain and opaque
 * payloads become (path, typed value) records, the type coming from the
 * resource's definition because TLV carries none (LwM2M 1.0 §6.4.3).
 *
 * A TLV payload is walked twice: a dry pass that checks every entry against
 * the request path (tether_tlv_validate() has already checked the TLV
 * itself), then the pass that calls back. So a caller sees all records or
 * none, and needs no undo. A value that does not fit its resource's type
 * is not an error of the payload: it comes out as OPAQUE with a reason.
 * Nothing is allocated; values are views into the payload. */
#include "tether/model.h"

#include <stddef.h>
#include <string.h>

#include "tether/lwm2m_tlv.h"
#include "tether_poison.h"

typedef struct walk {
    const tether_lwm2m_path *req;
    const tether_model_object *obj;
    tether_model_record_fn fn;
    void *user;
    int dry;
} walk;

/* Fill rec's value from raw bytes when the model cannot type them. */
static void untyped(tether_model_record *rec, const uint8_t *val, size_t len, int err)
{
    rec->value = tether_lwm2m_value_opaque(val, len);
    rec->err = err;
}

/* The type a value of res decodes as, or NONE when it has none. */
static int value_type(const tether_model_resource *res)
{
    return res->type == TETHER_LWM2M_CORELNK ? TETHER_LWM2M_STRING : res->type;
}

static int emit(walk *w, uint16_t inst, uint16_t res, int rinst, const tether_tlv_entry *e)
{
    tether_model_record rec;
    int type, rc;

    if (w->dry)
        return 0;
    memset(&rec, 0, sizeof(rec));
    rec.path = rinst < 0 ? tether_lwm2m_path_make(3, w->req->ids[0], inst, res, 0)
                         : tether_lwm2m_path_make(4, w->req->ids[0], inst, res, (uint16_t)rinst);
    rec.obj = w->obj;
    rec.res = tether_model_resource_find(w->obj, res);
    if (rec.res == NULL) {
        untyped(&rec, e->val, e->len, TETHER_ERR_NOT_FOUND);
    } else if ((type = value_type(rec.res)) == TETHER_LWM2M_NONE) {
        untyped(&rec, e->val, e->len, TETHER_ERR_UNSUPPORTED);
    } else if (tether_tlv_decode_value(e, type, &rec.value) != 0) {
        untyped(&rec, e->val, e->len, TETHER_ERR_MALFORMED);
    }
    rc = w->fn(w->user, &rec);
    return rc;
}

/* Nonzero when id may stand at depth (1: instance, 2: resource, 3:
 * resource instance) under the request. */
static int fits(const walk *w, int depth, uint16_t id)
{
    return w->req->len <= depth || w->req->ids[depth] == id;
}

/* A RESOURCE or MULTIPLE_RESOURCE entry of instance inst. */
static int resource(walk *w, uint16_t inst, const tether_tlv_entry *e)
{
    tether_tlv_iter it;
    tether_tlv_entry c;
    int rc;

    if (!fits(w, 2, e->id))
        return TETHER_ERR_MALFORMED;
    if (e->type == TETHER_TLV_RESOURCE) {
        /* A single value answering /o/i/r/ri is that instance's value. */
        int rinst = w->req->len == 4 ? w->req->ids[3] : -1;
        return emit(w, inst, e->id, rinst, e);
    }
    if (e->type != TETHER_TLV_MULTIPLE_RESOURCE || tether_tlv_iter_enter(&it, e) != 0)
        return TETHER_ERR_MALFORMED;
    while ((rc = tether_tlv_next(&it, &c)) == 0) {
        if (!fits(w, 3, c.id))
            return TETHER_ERR_MALFORMED;
        if ((rc = emit(w, inst, e->id, c.id, &c)) != 0)
            return rc;
    }
    return rc == TETHER_ERR_NOT_FOUND ? 0 : rc;
}

static int instance(walk *w, const tether_tlv_entry *e)
{
    tether_tlv_iter it;
    tether_tlv_entry c;
    int rc;

    if (!fits(w, 1, e->id) || tether_tlv_iter_enter(&it, e) != 0)
        return TETHER_ERR_MALFORMED;
    while ((rc = tether_tlv_next(&it, &c)) == 0)
        if ((rc = resource(w, e->id, &c)) != 0)
            return rc;
    return rc == TETHER_ERR_NOT_FOUND ? 0 : rc;
}

static int top(walk *w, const uint8_t *buf, size_t len)
{
    const tether_lwm2m_path *req = w->req;
    tether_tlv_iter it;
    tether_tlv_entry e;
    int rc;

    tether_tlv_iter_init(&it, buf, len);
    while ((rc = tether_tlv_next(&it, &e)) == 0) {
        switch ((tether_tlv_type)e.type) {
        case TETHER_TLV_OBJECT_INSTANCE:
            rc = instance(w, &e);
            break;
        case TETHER_TLV_RESOURCE:
        case TETHER_TLV_MULTIPLE_RESOURCE:
            /* Under /o: instance 0 of a single-instance answer. */
            rc = resource(w, req->len >= 2 ? req->ids[1] : 0, &e);
            break;
        case TETHER_TLV_RESOURCE_INSTANCE:
            if (req->len < 3 || !fits(w, 3, e.id))
                return TETHER_ERR_MALFORMED;
            rc = emit(w, req->ids[1], req->ids[2], e.id, &e);
            break;
        }
        if (rc != 0)
            return rc;
    }
    return rc == TETHER_ERR_NOT_FOUND ? 0 : rc;
}

int tether_model_decode_tlv(const tether_model_registry *reg, const tether_lwm2m_path *req,
                            const uint8_t *buf, size_t len, tether_model_record_fn fn,
                            void *user)
{
    walk w;
    int rc;

    if (req == NULL || fn == NULL || !tether_lwm2m_path_valid(req) || req->len < 1 ||
        (buf == NULL && len > 0))
        return TETHER_ERR_INVAL;
    if (tether_tlv_validate(buf, len) != 0)
        return TETHER_ERR_MALFORMED;
    w.req = req;
    w.obj = tether_model_find(reg, req->ids[0]);
    w.fn = fn;
    w.user = user;
    w.dry = 1;
    rc = top(&w, buf, len);
    if (rc != 0)
        return rc;
    w.dry = 0;
    return top(&w, buf, len);
}

static void text_fallback(tether_model_record *rec, const uint8_t *buf, size_t len, int err)
{
    if (tether_lwm2m_utf8_valid(buf, len))
        rec->value = tether_lwm2m_value_string(buf, len);
    else
        rec->value = tether_lwm2m_value_opaque(buf, len);
    rec->err = err;
}

static int single_path(const tether_lwm2m_path *path)
{
    return path != NULL && tether_lwm2m_path_valid(path) && path->len >= 3;
}

int tether_model_decode_text(const tether_model_registry *reg, const tether_lwm2m_path *path,
                             const uint8_t *buf, size_t len, tether_model_record *out)
{
    tether_model_record rec;
    int type, rc;

    if (!single_path(path) || out == NULL || (buf == NULL && len > 0))
        return TETHER_ERR_INVAL;
    memset(&rec, 0, sizeof(rec));
    rec.path = *path;
    rec.obj = tether_model_find(reg, path->ids[0]);
    rec.res = tether_model_resource_find(rec.obj, path->ids[2]);
    if (rec.res == NULL) {
        text_fallback(&rec, buf, len, TETHER_ERR_NOT_FOUND);
    } else if ((type = value_type(rec.res)) == TETHER_LWM2M_NONE) {
        text_fallback(&rec, buf, len, TETHER_ERR_UNSUPPORTED);
    } else if ((rc = tether_lwm2m_text_decode(buf, len, type, &rec.value)) != 0) {
        text_fallback(&rec, buf, len,
                      rc == TETHER_ERR_UNSUPPORTED ? TETHER_ERR_UNSUPPORTED : TETHER_ERR_MALFORMED);
    }
    *out = rec;
    return 0;
}

int tether_model_decode(const tether_model_registry *reg, uint32_t fmt,
                        const tether_lwm2m_path *path, const uint8_t *buf, size_t len,
                        tether_model_record_fn fn, void *user)
{
    tether_model_record rec;
    int rc;

    if (fn == NULL)
        return TETHER_ERR_INVAL;
    switch (fmt) {
    case TETHER_FMT_TLV:
    case TETHER_FMT_TLV_LEGACY:
        return tether_model_decode_tlv(reg, path, buf, len, fn, user);
    case TETHER_FMT_TEXT:
        rc = tether_model_decode_text(reg, path, buf, len, &rec);
        return rc != 0 ? rc : fn(user, &rec);
    case TETHER_FMT_OPAQUE:
        if (!single_path(path) || (buf == NULL && len > 0))
            return TETHER_ERR_INVAL;
        memset(&rec, 0, sizeof(rec));
        rec.path = *path;
        rec.obj = tether_model_find(reg, path->ids[0]);
        rec.res = tether_model_resource_find(rec.obj, path->ids[2]);
        rec.value = tether_lwm2m_value_opaque(buf, len);
        rec.err = rec.res == NULL                         ? TETHER_ERR_NOT_FOUND
                  : rec.res->type == TETHER_LWM2M_OPAQUE ? 0
                                                          : TETHER_ERR_UNSUPPORTED;
        return fn(user, &rec);
    default:
        return TETHER_ERR_UNSUPPORTED;
    }
}
