/* SPDX-License-Identifier: Apache-2.0 */
/* SenML JSON (RFC 8428, LwM2M 1.1 §7.4.4, content format 110): the record
 * iterator and the writer. Base fields carry from record to record, so init
 * walks every record with the same state machine next() uses, which is what
 * makes next() unable to fail: the payload was read once already. */
#include "tether/lwm2m_senml.h"

#include <math.h>
#include <string.h>

#include "base64_internal.h"
#include "json_internal.h"
#include "name_internal.h"

#include "tether_poison.h"

enum {
    F_BN = 0x001,
    F_BT = 0x002,
    F_BVER = 0x004,
    F_N = 0x008,
    F_T = 0x010,
    F_U = 0x020,
    F_BU = 0x040,
    F_UT = 0x080,
    F_V = 0x100,
    F_VS = 0x200,
    F_VB = 0x400,
    F_VD = 0x800,
    F_VLO = 0x1000,
    F_VALUES = F_V | F_VS | F_VB | F_VD | F_VLO,
};

/* vd: base64url text (escapes allowed, though nobody needs them) decoded
 * into scratch. */
static int data_value(const tether_json_doc *d, size_t i, uint8_t *scratch, size_t cap,
                      tether_lwm2m_view *v)
{
    tether_lwm2m_view text;
    size_t n;
    int rc;

    if (tether_json_type(d, i) != TETHER_JSON_STRING)
        return TETHER_ERR_MALFORMED;
    if (!tether_json_str_view(d, i, &text)) {
        /* Unescape first, then decode in place. */
        if ((rc = tether_json_str_value(d, i, scratch, cap, &text)) != 0)
            return rc;
    }
    if (tether_b64_decoded_len(text.ptr, text.len, TETHER_B64_URL, &n) != 0)
        return TETHER_ERR_MALFORMED;
    if (n > cap)
        return TETHER_ERR_TOO_LARGE;
    (void)tether_b64_decode(text.ptr, text.len, TETHER_B64_URL, scratch, cap, &n);
    v->ptr = n > 0 ? scratch : NULL;
    v->len = n;
    return 0;
}

static int bver_ok(const tether_json_doc *d, size_t i)
{
    tether_lwm2m_value v;

    /* RFC 8428 §4.4: a version above the one we implement (10) is refused. */
    return tether_json_number(d, i, &v) == 0 && v.type == TETHER_LWM2M_INTEGER && v.i >= 1 &&
           v.i <= 10;
}

/* Read the record at token at, updating the base state in it. */
static int read_record(tether_senml_json_iter *it, size_t at, tether_lwm2m_record *r)
{
    const tether_json_doc *d = &it->doc;
    tether_lwm2m_record rec;
    uint8_t bn[TETHER_NAME_MAX], nm[TETHER_NAME_MAX];
    size_t bn_len = 0, nm_len = 0, k, nkeys;
    unsigned seen = 0;
    double t = 0, ignored;
    long bn_tok = it->bn;
    double bt = it->bt;
    uint8_t has_bt = it->has_bt;
    int rc;

    if (tether_json_type(d, at) != TETHER_JSON_OBJECT)
        return TETHER_ERR_MALFORMED;
    memset(&rec, 0, sizeof(rec));
    nkeys = tether_json_size(d, at);
    k = at + 1;
    for (size_t j = 0; j < nkeys; j++, k = tether_json_skip(d, k + 1)) {
        size_t val = k + 1;
        unsigned bit;
        if (tether_json_str_eq(d, k, "bn")) {
            bit = F_BN;
            rc = tether_json_type(d, val) == TETHER_JSON_STRING ? 0 : TETHER_ERR_MALFORMED;
            bn_tok = (long)val;
        } else if (tether_json_str_eq(d, k, "bt")) {
            bit = F_BT;
            rc = tether_json_double(d, val, &bt);
            has_bt = 1;
        } else if (tether_json_str_eq(d, k, "bver")) {
            bit = F_BVER;
            rc = bver_ok(d, val) ? 0 : TETHER_ERR_MALFORMED;
        } else if (tether_json_str_eq(d, k, "n")) {
            bit = F_N;
            rc = tether_json_small_str(d, val, nm, sizeof(nm), &nm_len);
        } else if (tether_json_str_eq(d, k, "t")) {
            bit = F_T;
            rc = tether_json_double(d, val, &t);
        } else if (tether_json_str_eq(d, k, "u")) {
            bit = F_U;
            rc = tether_json_type(d, val) == TETHER_JSON_STRING ? 0 : TETHER_ERR_MALFORMED;
        } else if (tether_json_str_eq(d, k, "bu")) {
            bit = F_BU;
            rc = tether_json_type(d, val) == TETHER_JSON_STRING ? 0 : TETHER_ERR_MALFORMED;
        } else if (tether_json_str_eq(d, k, "ut")) {
            bit = F_UT;
            rc = tether_json_double(d, val, &ignored);
        } else if (tether_json_str_eq(d, k, "v")) {
            bit = F_V;
            rc = tether_json_number(d, val, &rec.value);
        } else if (tether_json_str_eq(d, k, "vs")) {
            bit = F_VS;
            rec.value.type = TETHER_LWM2M_STRING;
            rc = tether_json_str_value(d, val, it->scratch, it->scratch_cap, &rec.value.bytes);
        } else if (tether_json_str_eq(d, k, "vb")) {
            bit = F_VB;
            rec.value.type = TETHER_LWM2M_BOOLEAN;
            rc = tether_json_bool(d, val, &rec.value.b);
        } else if (tether_json_str_eq(d, k, "vd")) {
            bit = F_VD;
            rec.value.type = TETHER_LWM2M_OPAQUE;
            rc = data_value(d, val, it->scratch, it->scratch_cap, &rec.value.bytes);
        } else if (tether_json_str_eq(d, k, "vlo")) {
            bit = F_VLO;
            rc = tether_json_objlnk_value(d, val, &rec.value);
        } else if (tether_json_str_eq(d, k, "bv") || tether_json_str_eq(d, k, "s") ||
                   tether_json_str_eq(d, k, "bs") || tether_json_str_last(d, k) == '_') {
            return TETHER_ERR_MALFORMED;
        } else {
            continue; /* an unknown field: ignored (RFC 8428 §4.4) */
        }
        if (rc != 0)
            return rc;
        if (seen & bit)
            return TETHER_ERR_MALFORMED;
        seen |= bit;
    }
    /* At most one value; none is a name-only record (type NONE). */
    if ((seen & F_VALUES) & ((seen & F_VALUES) - 1))
        return TETHER_ERR_MALFORMED;
    if (bn_tok >= 0 && tether_json_small_str(d, (size_t)bn_tok, bn, sizeof(bn), &bn_len) != 0)
        return TETHER_ERR_MALFORMED;
    if (tether_name_resolve(bn, bn_len, nm, nm_len, &rec.path) != 0)
        return TETHER_ERR_MALFORMED;
    if (has_bt || (seen & F_T)) {
        rec.time = (has_bt ? bt : 0) + t;
        rec.has_time = 1;
        if (!isfinite(rec.time))
            return TETHER_ERR_MALFORMED;
    }
    it->bn = bn_tok;
    it->bt = bt;
    it->has_bt = has_bt;
    *r = rec;
    return 0;
}

int tether_senml_json_iter_init(tether_senml_json_iter *it, const uint8_t *buf, size_t len,
                                tether_json_token *tokens, size_t ntokens, uint8_t *scratch,
                                size_t cap)
{
    tether_senml_json_iter t, probe;
    tether_lwm2m_record r;
    size_t k;
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
    if (tether_json_type(&t.doc, 0) != TETHER_JSON_ARRAY)
        return TETHER_ERR_MALFORMED;
    t.count = t.left = tether_json_size(&t.doc, 0);
    t.at = 1;
    probe = t;
    k = t.at;
    for (size_t j = 0; j < t.count; j++, k = tether_json_skip(&t.doc, k))
        if ((rc = read_record(&probe, k, &r)) != 0)
            return rc;
    *it = t;
    return 0;
}

int tether_senml_json_next(tether_senml_json_iter *it, tether_lwm2m_record *r)
{
    if (it == NULL || r == NULL)
        return TETHER_ERR_INVAL;
    if (it->left == 0)
        return TETHER_ERR_NOT_FOUND;
    if (read_record(it, it->at, r) != 0)
        return TETHER_ERR_INTERNAL; /* validated by init: cannot happen */
    it->at = tether_json_skip(&it->doc, it->at);
    it->left--;
    return 0;
}

size_t tether_senml_json_count(const tether_senml_json_iter *it)
{
    return it != NULL ? it->count : 0;
}

/* --- encoding ---------------------------------------------------------------- */

void tether_senml_json_writer_init(tether_senml_json_writer *w, uint8_t *buf, size_t cap,
                                   const tether_lwm2m_path *base)
{
    memset(w, 0, sizeof(*w));
    tether_json_out_init(&w->out, buf, cap);
    if (base != NULL)
        w->base = *base;
    if (!tether_lwm2m_path_valid(&w->base))
        w->out.err = TETHER_ERR_INVAL;
}

static void put_name(tether_json_out *o, const char *key, const char *s, size_t n)
{
    tether_json_put(o, key);
    tether_json_put_n(o, "\"", 1);
    tether_json_put_n(o, s, n);
    tether_json_put_n(o, "\"", 1);
}

static int value_ok(const tether_lwm2m_value *v, const double *t)
{
    if (v == NULL || (t != NULL && !isfinite(*t)))
        return 0;
    switch ((tether_lwm2m_type)v->type) {
    case TETHER_LWM2M_FLOAT:
        return isfinite(v->f);
    case TETHER_LWM2M_BOOLEAN:
        return v->b <= 1;
    case TETHER_LWM2M_STRING:
        return (v->bytes.ptr != NULL || v->bytes.len == 0) &&
               tether_lwm2m_utf8_valid(v->bytes.ptr, v->bytes.len);
    case TETHER_LWM2M_OPAQUE:
        return v->bytes.ptr != NULL || v->bytes.len == 0;
    case TETHER_LWM2M_NONE:
    case TETHER_LWM2M_INTEGER:
    case TETHER_LWM2M_TIME:
    case TETHER_LWM2M_UNSIGNED:
    case TETHER_LWM2M_OBJLNK:
        return 1;
    case TETHER_LWM2M_CORELNK: /* carried as a STRING: see tether/lwm2m.h */
        return 0;
    }
    return 0;
}

int tether_senml_json_write(tether_senml_json_writer *w, const tether_lwm2m_path *p,
                            const tether_lwm2m_value *v, const double *t)
{
    char name[TETHER_LWM2M_PATH_STR_MAX], bn[TETHER_LWM2M_PATH_STR_MAX + 1];
    size_t name_len, bn_len = 0;
    tether_json_out *o;
    int comma = 0;

    if (w == NULL)
        return TETHER_ERR_INVAL;
    o = &w->out;
    if (o->err)
        return o->err;
    if (w->done)
        return o->err = TETHER_ERR_STATE;
    if (p == NULL || !tether_lwm2m_path_valid(p) || !tether_lwm2m_path_is_prefix(&w->base, p) ||
        !value_ok(v, t))
        return o->err = TETHER_ERR_INVAL;
    if (w->count == 0)
        w->mode = (uint8_t)tether_name_base(&w->base, p, bn, &bn_len);
    if (tether_name_rel(&w->base, w->mode, p, name, &name_len) != 0)
        return o->err = TETHER_ERR_INVAL;
    tether_json_put(o, w->count == 0 ? "[{" : ",{");
    if (bn_len > 0) {
        put_name(o, "\"bn\":", bn, bn_len);
        comma = 1;
    }
    if (name_len > 0) {
        put_name(o, comma ? ",\"n\":" : "\"n\":", name, name_len);
        comma = 1;
    }
    if (v->type != TETHER_LWM2M_NONE && comma)
        tether_json_put(o, ",");
    switch ((tether_lwm2m_type)v->type) {
    case TETHER_LWM2M_INTEGER:
    case TETHER_LWM2M_TIME:
        tether_json_put(o, "\"v\":");
        tether_json_put_i64(o, v->i);
        break;
    case TETHER_LWM2M_UNSIGNED:
        tether_json_put(o, "\"v\":");
        tether_json_put_u64(o, v->u);
        break;
    case TETHER_LWM2M_FLOAT:
        tether_json_put(o, "\"v\":");
        tether_json_put_double(o, v->f, 1);
        break;
    case TETHER_LWM2M_BOOLEAN:
        tether_json_put(o, v->b ? "\"vb\":true" : "\"vb\":false");
        break;
    case TETHER_LWM2M_STRING:
        tether_json_put(o, "\"vs\":");
        tether_json_put_str(o, v->bytes.ptr, v->bytes.len);
        break;
    case TETHER_LWM2M_OPAQUE:
        tether_json_put(o, "\"vd\":");
        tether_json_put_b64(o, v->bytes.ptr, v->bytes.len, TETHER_B64_URL);
        break;
    case TETHER_LWM2M_OBJLNK:
        tether_json_put(o, "\"vlo\":");
        tether_json_put_objlnk(o, v->lnk);
        break;
    case TETHER_LWM2M_NONE:
    case TETHER_LWM2M_CORELNK: /* refused by value_ok() */
        break;
    }
    if (v->type != TETHER_LWM2M_NONE)
        comma = 1;
    if (t != NULL) {
        tether_json_put(o, comma ? ",\"t\":" : "\"t\":");
        tether_json_put_double(o, *t, 0);
    }
    tether_json_put(o, "}");
    if (o->err)
        return o->err;
    w->count++;
    return 0;
}

int tether_senml_json_writer_finish(tether_senml_json_writer *w, size_t *len)
{
    if (w == NULL)
        return TETHER_ERR_INVAL;
    if (w->out.err)
        return w->out.err;
    if (w->done)
        return TETHER_ERR_STATE;
    tether_json_put(&w->out, w->count == 0 ? "[]" : "]");
    if (w->out.err)
        return w->out.err;
    w->done = 1;
    if (len != NULL)
        *len = w->out.len;
    return 0;
}
