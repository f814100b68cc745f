/* SPDX-License-Identifier: Apache-2.0 */
/* LwM2M JSON (LwM2M 1.0 §6.4.4, content format 11543 / legacy 1543): the
 * record iterator and the writer. json_doc.c has already proved the text is
 * JSON; this file checks the LwM2M shape. Init reads every record once, so
 * that the whole payload is known good (and the scratch buffer known big
 * enough) before the engine applies the first value: a refused Write
 * changes nothing (R19). next() then reads the same records again. */
#include "tether/lwm2m_json.h"

#include <math.h>
#include <string.h>

#include "base64_internal.h"
#include "json_internal.h"
#include "name_internal.h"

#include "tether_poison.h"

enum {
    K_N = 0x01,
    K_T = 0x02,
    K_V = 0x04,
    K_SV = 0x08,
    K_BV = 0x10,
    K_OV = 0x20,
};

/* Read the record object at token at into r. */
static int read_record(const tether_lwm2m_json_iter *it, size_t at, uint8_t *scratch,
                       size_t cap, tether_lwm2m_record *r)
{
    const tether_json_doc *d = &it->doc;
    tether_lwm2m_record rec;
    uint8_t bn[TETHER_NAME_MAX], nm[TETHER_NAME_MAX];
    size_t bn_len = 0, nm_len = 0, k, nkeys;
    unsigned seen = 0;
    double t = 0;
    int rc;

    if (tether_json_type(d, at) != TETHER_JSON_OBJECT)
        return TETHER_ERR_MALFORMED;
    memset(&rec, 0, sizeof(rec));
    nkeys = tether_json_size(d, at);
    k = at + 1;
    for (size_t j = 0; j < nkeys; j++, k = tether_json_skip(d, k + 1)) {
        size_t val = k + 1;
        unsigned bit;
        if (tether_json_str_eq(d, k, "n")) {
            bit = K_N;
            rc = tether_json_small_str(d, val, nm, sizeof(nm), &nm_len);
        } else if (tether_json_str_eq(d, k, "t")) {
            bit = K_T;
            rc = tether_json_double(d, val, &t);
        } else if (tether_json_str_eq(d, k, "v")) {
            bit = K_V;
            rc = tether_json_number(d, val, &rec.value);
        } else if (tether_json_str_eq(d, k, "sv")) {
            bit = K_SV;
            rec.value.type = TETHER_LWM2M_STRING;
            rc = tether_json_str_value(d, val, scratch, cap, &rec.value.bytes);
        } else if (tether_json_str_eq(d, k, "bv")) {
            bit = K_BV;
            rec.value.type = TETHER_LWM2M_BOOLEAN;
            rc = tether_json_bool(d, val, &rec.value.b);
        } else if (tether_json_str_eq(d, k, "ov")) {
            bit = K_OV;
            rc = tether_json_objlnk_value(d, val, &rec.value);
        } else {
            return TETHER_ERR_MALFORMED; /* a closed format: no other keys */
        }
        if (rc != 0)
            return rc;
        if (seen & bit)
            return TETHER_ERR_MALFORMED;
        seen |= bit;
    }
    /* Exactly one value. */
    switch (seen & (K_V | K_SV | K_BV | K_OV)) {
    case K_V:
    case K_SV:
    case K_BV:
    case K_OV:
        break;
    default:
        return TETHER_ERR_MALFORMED;
    }
    if (it->bn >= 0 && tether_json_small_str(d, (size_t)it->bn, bn, sizeof(bn), &bn_len) != 0)
        return TETHER_ERR_MALFORMED;
    if (tether_name_resolve(bn, bn_len, nm, nm_len, &rec.path) != 0)
        return TETHER_ERR_MALFORMED;
    if (it->has_bt || (seen & K_T)) {
        rec.time = it->bt + t;
        rec.has_time = 1;
        if (!isfinite(rec.time))
            return TETHER_ERR_MALFORMED;
    }
    *r = rec;
    return 0;
}

int tether_lwm2m_json_iter_init(tether_lwm2m_json_iter *it, const uint8_t *buf, size_t len,
                                tether_json_token *tokens, size_t ntokens, uint8_t *scratch,
                                size_t cap)
{
    tether_lwm2m_json_iter t;
    tether_lwm2m_record r;
    size_t k, nkeys, e = 0;
    unsigned seen = 0;
    int rc;

    if (it == NULL || (buf == NULL && len > 0))
        return TETHER_ERR_INVAL;
    memset(&t, 0, sizeof(t));
    t.bn = -1;
    t.scratch = scratch;
    t.scratch_cap = scratch != NULL ? cap : 0;
    if (len == 0) {
        *it = t;
        return 0;
    }
    if ((rc = tether_json_parse(&t.doc, buf, len, tokens, ntokens)) != 0)
        return rc;
    if (tether_json_type(&t.doc, 0) != TETHER_JSON_OBJECT)
        return TETHER_ERR_MALFORMED;
    nkeys = tether_json_size(&t.doc, 0);
    k = 1;
    for (size_t j = 0; j < nkeys; j++, k = tether_json_skip(&t.doc, k + 1)) {
        unsigned bit;
        if (tether_json_str_eq(&t.doc, k, "bn")) {
            bit = 1;
            if (tether_json_type(&t.doc, k + 1) != TETHER_JSON_STRING)
                return TETHER_ERR_MALFORMED;
            t.bn = (long)(k + 1);
        } else if (tether_json_str_eq(&t.doc, k, "bt")) {
            bit = 2;
            if (tether_json_double(&t.doc, k + 1, &t.bt) != 0)
                return TETHER_ERR_MALFORMED;
            t.has_bt = 1;
        } else if (tether_json_str_eq(&t.doc, k, "e")) {
            bit = 4;
            if (tether_json_type(&t.doc, k + 1) != TETHER_JSON_ARRAY)
                return TETHER_ERR_MALFORMED;
            e = k + 1;
        } else {
            return TETHER_ERR_MALFORMED;
        }
        if (seen & bit)
            return TETHER_ERR_MALFORMED;
        seen |= bit;
    }
    if (e == 0)
        return TETHER_ERR_MALFORMED;
    t.count = t.left = tether_json_size(&t.doc, e);
    t.at = e + 1;
    /* Read every record now: next() must not be able to fail. */
    k = t.at;
    for (size_t j = 0; j < t.count; j++, k = tether_json_skip(&t.doc, k))
        if ((rc = read_record(&t, k, t.scratch, t.scratch_cap, &r)) != 0)
            return rc;
    *it = t;
    return 0;
}

int tether_lwm2m_json_next(tether_lwm2m_json_iter *it, tether_lwm2m_record *r)
{
    if (it == NULL || r == NULL)
        return TETHER_ERR_INVAL;
    if (it->left == 0)
        return TETHER_ERR_NOT_FOUND;
    if (read_record(it, it->at, it->scratch, it->scratch_cap, r) != 0)
        return TETHER_ERR_INTERNAL; /* validated by init: cannot happen */
    it->at = tether_json_skip(&it->doc, it->at);
    it->left--;
    return 0;
}

size_t tether_lwm2m_json_count(const tether_lwm2m_json_iter *it)
{
    return it != NULL ? it->count : 0;
}

/* --- encoding ---------------------------------------------------------------- */

void tether_lwm2m_json_writer_init(tether_lwm2m_json_writer *w, uint8_t *buf, size_t cap,
                                   const tether_lwm2m_path *base)
{
    memset(w, 0, sizeof(*w));
    tether_json_out_init(&w->out, buf, cap);
    if (base != NULL)
        w->base = *base;
    if (!tether_lwm2m_path_valid(&w->base))
        w->out.err = TETHER_ERR_INVAL;
}

static void put_name(tether_json_out *o, const char *s, size_t n)
{
    tether_json_put_n(o, "\"", 1);
    tether_json_put_n(o, s, n);
    tether_json_put_n(o, "\"", 1);
}

/* Start the payload: the base name is decided by the first record (NULL:
 * none, name the base as a parent). */
static void open_payload(tether_lwm2m_json_writer *w, const tether_lwm2m_path *first)
{
    char bn[TETHER_LWM2M_PATH_STR_MAX + 1];
    size_t bn_len;

    w->mode = (uint8_t)tether_name_base(&w->base, first, bn, &bn_len);
    tether_json_put(&w->out, "{");
    if (w->mode != TETHER_NAME_ROOT) {
        tether_json_put(&w->out, "\"bn\":");
        put_name(&w->out, bn, bn_len);
        tether_json_put(&w->out, ",");
    }
    tether_json_put(&w->out, "\"e\":[");
}

static int put_value(tether_json_out *o, const tether_lwm2m_value *v)
{
    switch ((tether_lwm2m_type)v->type) {
    case TETHER_LWM2M_INTEGER:
    case TETHER_LWM2M_TIME:
        tether_json_put(o, "\"v\":");
        tether_json_put_i64(o, v->i);
        return 0;
    case TETHER_LWM2M_UNSIGNED:
        tether_json_put(o, "\"v\":");
        tether_json_put_u64(o, v->u);
        return 0;
    case TETHER_LWM2M_FLOAT:
        if (!isfinite(v->f))
            return TETHER_ERR_INVAL;
        tether_json_put(o, "\"v\":");
        tether_json_put_double(o, v->f, 1);
        return 0;
    case TETHER_LWM2M_BOOLEAN:
        if (v->b > 1)
            return TETHER_ERR_INVAL;
        tether_json_put(o, v->b ? "\"bv\":true" : "\"bv\":false");
        return 0;
    case TETHER_LWM2M_STRING:
        if (!tether_lwm2m_utf8_valid(v->bytes.ptr, v->bytes.len) ||
            (v->bytes.ptr == NULL && v->bytes.len > 0))
            return TETHER_ERR_INVAL;
        tether_json_put(o, "\"sv\":");
        tether_json_put_str(o, v->bytes.ptr, v->bytes.len);
        return 0;
    case TETHER_LWM2M_OPAQUE:
        if (v->bytes.ptr == NULL && v->bytes.len > 0)
            return TETHER_ERR_INVAL;
        tether_json_put(o, "\"sv\":");
        tether_json_put_b64(o, v->bytes.ptr, v->bytes.len, TETHER_B64_STD);
        return 0;
    case TETHER_LWM2M_OBJLNK:
        tether_json_put(o, "\"ov\":");
        tether_json_put_objlnk(o, v->lnk);
        return 0;
    case TETHER_LWM2M_NONE:
    case TETHER_LWM2M_CORELNK: /* carried as a STRING: see tether/lwm2m.h */
    default:
        return TETHER_ERR_INVAL;
    }
}

/* Checked before anything is written, so a refused value leaves no half
 * record behind (the writer still fails: its error is sticky). */
static int value_ok(const tether_lwm2m_value *v, const double *t)
{
    if (v == NULL || (t != NULL && !isfinite(*t)))
        return TETHER_ERR_INVAL;
    switch ((tether_lwm2m_type)v->type) {
    case TETHER_LWM2M_FLOAT:
        return isfinite(v->f) ? 0 : TETHER_ERR_INVAL;
    case TETHER_LWM2M_BOOLEAN:
        return v->b <= 1 ? 0 : TETHER_ERR_INVAL;
    case TETHER_LWM2M_STRING:
        return (v->bytes.ptr != NULL || v->bytes.len == 0) &&
                       tether_lwm2m_utf8_valid(v->bytes.ptr, v->bytes.len)
                   ? 0
                   : TETHER_ERR_INVAL;
    case TETHER_LWM2M_OPAQUE:
        return v->bytes.ptr != NULL || v->bytes.len == 0 ? 0 : TETHER_ERR_INVAL;
    case TETHER_LWM2M_INTEGER:
    case TETHER_LWM2M_TIME:
    case TETHER_LWM2M_UNSIGNED:
    case TETHER_LWM2M_OBJLNK:
        return 0;
    case TETHER_LWM2M_NONE:
    case TETHER_LWM2M_CORELNK: /* carried as a STRING: see tether/lwm2m.h */
    default:
        return TETHER_ERR_INVAL;
    }
}

int tether_lwm2m_json_write(tether_lwm2m_json_writer *w, const tether_lwm2m_path *p,
                            const tether_lwm2m_value *v, const double *t)
{
    char name[TETHER_LWM2M_PATH_STR_MAX];
    size_t name_len;
    int rc;

    if (w == NULL)
        return TETHER_ERR_INVAL;
    if (w->out.err)
        return w->out.err;
    if (w->done)
        return w->out.err = TETHER_ERR_STATE;
    if (p == NULL || !tether_lwm2m_path_valid(p) || !tether_lwm2m_path_is_prefix(&w->base, p) ||
        (rc = value_ok(v, t)) != 0)
        return w->out.err = TETHER_ERR_INVAL;
    if (w->count == 0)
        open_payload(w, p);
    else
        tether_json_put(&w->out, ",");
    if (tether_name_rel(&w->base, w->mode, p, name, &name_len) != 0)
        return w->out.err = TETHER_ERR_INVAL;
    tether_json_put(&w->out, "{");
    if (name_len > 0) {
        tether_json_put(&w->out, "\"n\":");
        put_name(&w->out, name, name_len);
        tether_json_put(&w->out, ",");
    }
    if ((rc = put_value(&w->out, v)) != 0 && w->out.err == 0)
        w->out.err = rc;
    if (t != NULL) {
        tether_json_put(&w->out, ",\"t\":");
        tether_json_put_double(&w->out, *t, 0);
    }
    tether_json_put(&w->out, "}");
    if (w->out.err)
        return w->out.err;
    w->count++;
    return 0;
}

int tether_lwm2m_json_writer_finish(tether_lwm2m_json_writer *w, size_t *len)
{
    if (w == NULL)
        return TETHER_ERR_INVAL;
    if (w->out.err)
        return w->out.err;
    if (w->done)
        return TETHER_ERR_STATE;
    if (w->count == 0)
        open_payload(w, NULL); /* no record to pick the base name from */
    tether_json_put(&w->out, "]}");
    if (w->out.err)
        return w->out.err;
    w->done = 1;
    if (len != NULL)
        *len = w->out.len;
    return 0;
}
