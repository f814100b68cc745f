/* SPDX-License-Identifier: Apache-2.0 */
/* The content-format selector: one const ops table per format, adapting
 * each codec to the generic record decoder and encoder, and the two pieces
 * that only exist at this level: the OMA-TLV record walker (nested entries
 * to full paths, relative to the request path) and the TLV shaper (full
 * paths back to nested entries). Validation is done once, in init, by
 * walking a copy of the decoder over every record. */
#include "tether/lwm2m_fmt.h"

#include <string.h>

#include "tether_poison.h"

#ifdef TETHER_HAVE_JSMN
#define JSON_DEC TETHER_LWM2M_FMT_DECODE
#else
#define JSON_DEC 0
#endif
#ifdef TETHER_HAVE_CBOR
#define CBOR_BOTH (TETHER_LWM2M_FMT_DECODE | TETHER_LWM2M_FMT_ENCODE)
#else
#define CBOR_BOTH 0
#endif
#define BOTH (TETHER_LWM2M_FMT_DECODE | TETHER_LWM2M_FMT_ENCODE)

/* --- single-value formats: text/plain, octet-stream, CBOR ------------------- */

static int single_base_ok(const tether_lwm2m_path *base)
{
    return base->len >= TETHER_LWM2M_RESOURCE;
}

static int single_raw_init(tether_lwm2m_dec *d, const uint8_t *buf, size_t len, int raw)
{
    tether_lwm2m_record *r = &d->u.single.rec;

    if (!single_base_ok(&d->base))
        return TETHER_ERR_MALFORMED;
    memset(r, 0, sizeof(*r));
    r->path = d->base;
    r->value = tether_lwm2m_value_opaque(buf, len);
    r->raw = (uint8_t)raw;
    d->u.single.done = 0;
    d->count = 1;
    return 0;
}

static int text_dec_init(tether_lwm2m_dec *d, const uint8_t *buf, size_t len,
                         const tether_lwm2m_workspace *ws)
{
    (void)ws;
    return single_raw_init(d, buf, len, TETHER_LWM2M_RAW_TEXT);
}

static int opaque_dec_init(tether_lwm2m_dec *d, const uint8_t *buf, size_t len,
                           const tether_lwm2m_workspace *ws)
{
    (void)ws;
    return single_raw_init(d, buf, len, TETHER_LWM2M_RAW_OPAQUE);
}

static int cbor_dec_init(tether_lwm2m_dec *d, const uint8_t *buf, size_t len,
                         const tether_lwm2m_workspace *ws)
{
    tether_lwm2m_record *r = &d->u.single.rec;
    tether_lwm2m_value v;
    int rc;

    (void)ws;
    if (!single_base_ok(&d->base))
        return TETHER_ERR_MALFORMED;
    if ((rc = tether_lwm2m_cbor_decode(buf, len, &v)) != 0)
        return rc;
    memset(r, 0, sizeof(*r));
    r->path = d->base;
    r->value = v;
    d->u.single.done = 0;
    d->count = 1;
    return 0;
}

static int single_dec_next(tether_lwm2m_dec *d, tether_lwm2m_record *r)
{
    if (d->u.single.done)
        return TETHER_ERR_NOT_FOUND;
    d->u.single.done = 1;
    *r = d->u.single.rec;
    return 0;
}

static void single_enc_init(tether_lwm2m_enc *e, uint8_t *buf, size_t cap)
{
    e->u.single.buf = buf;
    e->u.single.cap = buf != NULL ? cap : 0;
    e->u.single.len = 0;
    e->u.single.done = 0;
    if (!single_base_ok(&e->base))
        e->err = TETHER_ERR_INVAL;
}

/* The checks every single-value write shares. */
static int single_enc_check(tether_lwm2m_enc *e, const tether_lwm2m_path *p, const double *t)
{
    if (e->u.single.done)
        return TETHER_ERR_STATE;
    if (t != NULL)
        return TETHER_ERR_UNSUPPORTED;
    if (!tether_lwm2m_path_equal(p, &e->base))
        return TETHER_ERR_INVAL;
    return 0;
}

static int text_enc_write(tether_lwm2m_enc *e, const tether_lwm2m_path *p,
                          const tether_lwm2m_value *v, const double *t)
{
    size_t n;
    int rc = single_enc_check(e, p, t);

    if (rc == 0)
        rc = tether_lwm2m_text_encode(v, e->u.single.buf, e->u.single.cap, &n);
    if (rc != 0)
        return rc;
    e->u.single.len = n;
    e->u.single.done = 1;
    return 0;
}

static int opaque_enc_write(tether_lwm2m_enc *e, const tether_lwm2m_path *p,
                            const tether_lwm2m_value *v, const double *t)
{
    int rc = single_enc_check(e, p, t);

    if (rc != 0)
        return rc;
    if (v->type != TETHER_LWM2M_OPAQUE)
        return v->type == TETHER_LWM2M_NONE ? TETHER_ERR_INVAL : TETHER_ERR_UNSUPPORTED;
    if (v->bytes.ptr == NULL && v->bytes.len > 0)
        return TETHER_ERR_INVAL;
    if (v->bytes.len > e->u.single.cap)
        return TETHER_ERR_NOSPACE;
    if (v->bytes.len > 0)
        memcpy(e->u.single.buf, v->bytes.ptr, v->bytes.len);
    e->u.single.len = v->bytes.len;
    e->u.single.done = 1;
    return 0;
}

static int cbor_enc_write(tether_lwm2m_enc *e, const tether_lwm2m_path *p,
                          const tether_lwm2m_value *v, const double *t)
{
    size_t n;
    int rc = single_enc_check(e, p, t);

    if (rc == 0)
        rc = tether_lwm2m_cbor_encode(v, e->u.single.buf, e->u.single.cap, &n);
    if (rc != 0)
        return rc;
    e->u.single.len = n;
    e->u.single.done = 1;
    return 0;
}

static int single_enc_finish(tether_lwm2m_enc *e, size_t *len)
{
    if (!e->u.single.done)
        return TETHER_ERR_STATE;
    *len = e->u.single.len;
    return 0;
}

/* --- LwM2M JSON, SenML JSON, SenML CBOR: thin adapters ------------------------ */

static int json_dec_init(tether_lwm2m_dec *d, const uint8_t *buf, size_t len,
                         const tether_lwm2m_workspace *ws)
{
    int rc = tether_lwm2m_json_iter_init(&d->u.json, buf, len, ws ? ws->tokens : NULL,
                                         ws ? ws->ntokens : 0, ws ? ws->scratch : NULL,
                                         ws ? ws->scratch_len : 0);
    d->count = rc == 0 ? tether_lwm2m_json_count(&d->u.json) : 0;
    return rc;
}

static int json_dec_next(tether_lwm2m_dec *d, tether_lwm2m_record *r)
{
    return tether_lwm2m_json_next(&d->u.json, r);
}

static void json_enc_init(tether_lwm2m_enc *e, uint8_t *buf, size_t cap)
{
    tether_lwm2m_json_writer_init(&e->u.json, buf, cap, &e->base);
    e->err = e->u.json.out.err;
}

static int json_enc_write(tether_lwm2m_enc *e, const tether_lwm2m_path *p,
                          const tether_lwm2m_value *v, const double *t)
{
    return tether_lwm2m_json_write(&e->u.json, p, v, t);
}

static int json_enc_finish(tether_lwm2m_enc *e, size_t *len)
{
    return tether_lwm2m_json_writer_finish(&e->u.json, len);
}

static int senml_json_dec_init(tether_lwm2m_dec *d, const uint8_t *buf, size_t len,
                               const tether_lwm2m_workspace *ws)
{
    int rc = tether_senml_json_iter_init(&d->u.senml_json, buf, len, ws ? ws->tokens : NULL,
                                         ws ? ws->ntokens : 0, ws ? ws->scratch : NULL,
                                         ws ? ws->scratch_len : 0);
    d->count = rc == 0 ? tether_senml_json_count(&d->u.senml_json) : 0;
    return rc;
}

static int senml_json_dec_next(tether_lwm2m_dec *d, tether_lwm2m_record *r)
{
    return tether_senml_json_next(&d->u.senml_json, r);
}

static void senml_json_enc_init(tether_lwm2m_enc *e, uint8_t *buf, size_t cap)
{
    tether_senml_json_writer_init(&e->u.senml_json, buf, cap, &e->base);
    e->err = e->u.senml_json.out.err;
}

static int senml_json_enc_write(tether_lwm2m_enc *e, const tether_lwm2m_path *p,
                                const tether_lwm2m_value *v, const double *t)
{
    return tether_senml_json_write(&e->u.senml_json, p, v, t);
}

static int senml_json_enc_finish(tether_lwm2m_enc *e, size_t *len)
{
    return tether_senml_json_writer_finish(&e->u.senml_json, len);
}

static int senml_cbor_dec_init(tether_lwm2m_dec *d, const uint8_t *buf, size_t len,
                               const tether_lwm2m_workspace *ws)
{
    int rc;

    (void)ws;
    rc = tether_senml_cbor_iter_init(&d->u.senml_cbor, buf, len);
    d->count = rc == 0 ? tether_senml_cbor_count(&d->u.senml_cbor) : 0;
    return rc;
}

static int senml_cbor_dec_next(tether_lwm2m_dec *d, tether_lwm2m_record *r)
{
    return tether_senml_cbor_next(&d->u.senml_cbor, r);
}

static void senml_cbor_enc_init(tether_lwm2m_enc *e, uint8_t *buf, size_t cap)
{
    tether_senml_cbor_writer_init(&e->u.senml_cbor, buf, cap, &e->base);
    e->err = e->u.senml_cbor.out.err;
}

static int senml_cbor_enc_write(tether_lwm2m_enc *e, const tether_lwm2m_path *p,
                                const tether_lwm2m_value *v, const double *t)
{
    return tether_senml_cbor_write(&e->u.senml_cbor, p, v, t);
}

static int senml_cbor_enc_finish(tether_lwm2m_enc *e, size_t *len)
{
    return tether_senml_cbor_writer_finish(&e->u.senml_cbor, len);
}

/* --- OMA-TLV: nested entries <-> full paths --------------------------------------
 *
 * An entry's type says which path level its id fills: object instance 2,
 * resource and multiple resource 3, resource instance 4. It takes the ids
 * above that level from the path it hangs from (the base at the top, its
 * parent entry below), which must have them: a resource at the top of a
 * payload for /3 has no instance. Where the base already fixes the entry's
 * level (an object instance entry in a payload for /3/0), the ids must
 * agree, and the deeper base stays the context for the entry's children.
 * Values are leaves; an empty object instance or multiple resource is a
 * record of type NONE at its own path. */

static int tlv_level(int type)
{
    switch (type) {
    case TETHER_TLV_OBJECT_INSTANCE:
        return TETHER_LWM2M_INSTANCE;
    case TETHER_TLV_RESOURCE:
    case TETHER_TLV_MULTIPLE_RESOURCE:
        return TETHER_LWM2M_RESOURCE;
    default:
        return TETHER_LWM2M_RINSTANCE;
    }
}

/* The entry's own path into *own, the context for its children into *ctx. */
static int tlv_entry_path(const tether_lwm2m_path *from, const tether_tlv_entry *e,
                          tether_lwm2m_path *own, tether_lwm2m_path *ctx)
{
    int lvl = tlv_level(e->type);

    if (from->len < lvl - 1)
        return TETHER_ERR_MALFORMED;
    if (from->len >= lvl && from->ids[lvl - 1] != e->id)
        return TETHER_ERR_MALFORMED;
    *own = tether_lwm2m_path_make((uint8_t)lvl, from->ids[0], from->ids[1], from->ids[2],
                                  from->ids[3]);
    own->ids[lvl - 1] = e->id;
    *ctx = from->len > lvl ? *from : *own;
    return 0;
}

static int tlv_walk_next(tether_lwm2m_tlv_walk *w, tether_lwm2m_record *r)
{
    tether_tlv_entry e;
    tether_lwm2m_path own, ctx;
    int rc;

    for (;;) {
        rc = tether_tlv_next(&w->lv[w->depth], &e);
        if (rc == TETHER_ERR_NOT_FOUND) {
            if (w->depth == 0)
                return TETHER_ERR_NOT_FOUND;
            w->depth--;
            continue;
        }
        if (rc != 0)
            return TETHER_ERR_MALFORMED;
        if ((rc = tlv_entry_path(&w->at[w->depth], &e, &own, &ctx)) != 0)
            return rc;
        memset(r, 0, sizeof(*r));
        r->path = own;
        if (e.type == TETHER_TLV_OBJECT_INSTANCE || e.type == TETHER_TLV_MULTIPLE_RESOURCE) {
            if (e.len == 0)
                return 0; /* empty: a record without a value */
            if (w->depth == 2)
                return TETHER_ERR_MALFORMED;
            (void)tether_tlv_iter_enter(&w->lv[w->depth + 1], &e);
            w->depth++;
            w->at[w->depth] = ctx;
            continue;
        }
        r->value = tether_lwm2m_value_opaque(e.val, e.len);
        r->raw = TETHER_LWM2M_RAW_TLV;
        return 0;
    }
}

static int tlv_dec_init(tether_lwm2m_dec *d, const uint8_t *buf, size_t len,
                        const tether_lwm2m_workspace *ws)
{
    (void)ws;
    if (d->base.len < TETHER_LWM2M_OBJECT || tether_tlv_validate(buf, len) != 0)
        return TETHER_ERR_MALFORMED;
    memset(&d->u.tlv, 0, sizeof(d->u.tlv));
    tether_tlv_iter_init(&d->u.tlv.lv[0], buf, len);
    d->u.tlv.at[0] = d->base;
    return 0; /* the generic init counts the records and checks the paths */
}

static int tlv_dec_next(tether_lwm2m_dec *d, tether_lwm2m_record *r)
{
    return tlv_walk_next(&d->u.tlv, r);
}

static void tlv_enc_init(tether_lwm2m_enc *e, uint8_t *buf, size_t cap)
{
    memset(&e->u.tlv, 0, sizeof(e->u.tlv));
    tether_tlv_writer_init(&e->u.tlv.w, buf, cap);
    if (e->base.len < TETHER_LWM2M_OBJECT)
        e->err = TETHER_ERR_INVAL;
}

static void tlv_close_multi(tether_lwm2m_tlv_shape *s)
{
    if (s->open_multi) {
        tether_tlv_end(&s->w);
        s->open_multi = 0;
    }
}

static void tlv_close_inst(tether_lwm2m_tlv_shape *s)
{
    tlv_close_multi(s);
    if (s->open_inst) {
        tether_tlv_end(&s->w);
        s->open_inst = 0;
    }
}

/* The instance wrapper is there when the base is an object; the multiple
 * resource wrapper for resource instances unless the base is the resource
 * instance itself. */
static int tlv_enc_write(tether_lwm2m_enc *e, const tether_lwm2m_path *p,
                         const tether_lwm2m_value *v, const double *t)
{
    tether_lwm2m_tlv_shape *s = &e->u.tlv;
    int b = e->base.len, none = v->type == TETHER_LWM2M_NONE;

    if (t != NULL)
        return TETHER_ERR_UNSUPPORTED;
    if (p->len < TETHER_LWM2M_INSTANCE || (p->len == TETHER_LWM2M_INSTANCE && (b > 1 || !none)) ||
        (p->len == TETHER_LWM2M_RINSTANCE && none))
        return TETHER_ERR_INVAL;
    if (s->have_last && (tether_lwm2m_path_compare(&s->last, p) >= 0 ||
                         (s->last_empty && tether_lwm2m_path_is_prefix(&s->last, p))))
        return TETHER_ERR_STATE;
    if (s->open_inst && s->inst != p->ids[1])
        tlv_close_inst(s);
    if (s->open_multi && (p->len != TETHER_LWM2M_RINSTANCE || s->multi != p->ids[2]))
        tlv_close_multi(s);
    if (b < TETHER_LWM2M_INSTANCE && !s->open_inst) {
        tether_tlv_begin(&s->w, TETHER_TLV_OBJECT_INSTANCE, p->ids[1]);
        s->open_inst = 1;
        s->inst = p->ids[1];
    }
    if (p->len == TETHER_LWM2M_INSTANCE) {
        tlv_close_inst(s); /* an empty instance */
    } else if (p->len == TETHER_LWM2M_RESOURCE && none) {
        tether_tlv_begin(&s->w, TETHER_TLV_MULTIPLE_RESOURCE, p->ids[2]);
        tether_tlv_end(&s->w);
    } else if (p->len == TETHER_LWM2M_RESOURCE) {
        tether_tlv_write_value(&s->w, TETHER_TLV_RESOURCE, p->ids[2], v);
    } else if (b == TETHER_LWM2M_RINSTANCE) {
        tether_tlv_write_value(&s->w, TETHER_TLV_RESOURCE_INSTANCE, p->ids[3], v);
    } else {
        if (!s->open_multi) {
            tether_tlv_begin(&s->w, TETHER_TLV_MULTIPLE_RESOURCE, p->ids[2]);
            s->open_multi = 1;
            s->multi = p->ids[2];
        }
        tether_tlv_write_value(&s->w, TETHER_TLV_RESOURCE_INSTANCE, p->ids[3], v);
    }
    if (s->w.err)
        return s->w.err;
    s->last = *p;
    s->have_last = 1;
    s->last_empty = (uint8_t)none;
    return 0;
}

static int tlv_enc_finish(tether_lwm2m_enc *e, size_t *len)
{
    tlv_close_inst(&e->u.tlv);
    return tether_tlv_writer_finish(&e->u.tlv.w, len);
}

/* --- typing a record's value, per format --------------------------------------- */

static int text_value(const tether_lwm2m_record *r, int type, uint8_t *scratch, size_t cap,
                      tether_lwm2m_value *out)
{
    (void)scratch;
    (void)cap;
    return tether_lwm2m_text_decode(r->value.bytes.ptr, r->value.bytes.len, type, out);
}

static int opaque_value(const tether_lwm2m_record *r, int type, uint8_t *scratch, size_t cap,
                        tether_lwm2m_value *out)
{
    (void)scratch;
    (void)cap;
    return tether_lwm2m_opaque_decode(r->value.bytes.ptr, r->value.bytes.len, type, out);
}

static int tlv_value(const tether_lwm2m_record *r, int type, uint8_t *scratch, size_t cap,
                     tether_lwm2m_value *out)
{
    tether_tlv_entry e;

    (void)scratch;
    (void)cap;
    e.type = TETHER_TLV_RESOURCE;
    e.id = 0;
    e.val = r->value.bytes.ptr;
    e.len = r->value.bytes.len;
    return tether_tlv_decode_value(&e, type, out);
}

static int typed_value(const tether_lwm2m_record *r, int type, uint8_t *scratch, size_t cap,
                       tether_lwm2m_value *out)
{
    return tether_lwm2m_value_convert(&r->value, type, scratch, cap, out);
}

/* --- the table ----------------------------------------------------------------
 *
 * One const descriptor per format, each its own object so that a program
 * that names only some of them (the client, tether/client_config.h) links
 * only their codecs; tether_lwm2m_fmt_find() goes through all of them. */

/* Types text/plain carries (tether_lwm2m_text_supports()), and all types. */
#define T(x) (1u << (x))
#define ALL_TYPES                                                                               \
    (T(TETHER_LWM2M_STRING) | T(TETHER_LWM2M_INTEGER) | T(TETHER_LWM2M_FLOAT) |                 \
     T(TETHER_LWM2M_BOOLEAN) | T(TETHER_LWM2M_OPAQUE) | T(TETHER_LWM2M_TIME) |                  \
     T(TETHER_LWM2M_OBJLNK) | T(TETHER_LWM2M_UNSIGNED) | T(TETHER_LWM2M_CORELNK))
#ifdef TETHER_LWM2M_NO_FLOAT_TEXT
#define TEXT_TYPES (ALL_TYPES & ~T(TETHER_LWM2M_OPAQUE) & ~T(TETHER_LWM2M_FLOAT))
#else
#define TEXT_TYPES (ALL_TYPES & ~T(TETHER_LWM2M_OPAQUE))
#endif

const tether_lwm2m_fmt tether_lwm2m_fmt_text = {
    TETHER_FMT_TEXT, 0, "text/plain", BOTH, TEXT_TYPES, text_dec_init, single_dec_next,
    text_value, single_enc_init, text_enc_write, single_enc_finish};
const tether_lwm2m_fmt tether_lwm2m_fmt_opaque = {
    TETHER_FMT_OPAQUE, 0, "application/octet-stream", BOTH, T(TETHER_LWM2M_OPAQUE),
    opaque_dec_init, single_dec_next, opaque_value, single_enc_init, opaque_enc_write,
    single_enc_finish};
const tether_lwm2m_fmt tether_lwm2m_fmt_cbor = {
    TETHER_FMT_CBOR, 0, "application/cbor", TETHER_LWM2M_FMT_TYPED | CBOR_BOTH, ALL_TYPES,
    cbor_dec_init, single_dec_next, typed_value, single_enc_init, cbor_enc_write,
    single_enc_finish};
const tether_lwm2m_fmt tether_lwm2m_fmt_senml_json = {
    TETHER_FMT_SENML_JSON, 0, "application/senml+json",
    TETHER_LWM2M_FMT_MULTI | TETHER_LWM2M_FMT_TYPED | TETHER_LWM2M_FMT_TIMED | JSON_DEC |
        TETHER_LWM2M_FMT_ENCODE,
    ALL_TYPES, senml_json_dec_init, senml_json_dec_next, typed_value, senml_json_enc_init,
    senml_json_enc_write, senml_json_enc_finish};
const tether_lwm2m_fmt tether_lwm2m_fmt_senml_cbor = {
    TETHER_FMT_SENML_CBOR, 0, "application/senml+cbor",
    TETHER_LWM2M_FMT_MULTI | TETHER_LWM2M_FMT_TYPED | TETHER_LWM2M_FMT_TIMED | CBOR_BOTH,
    ALL_TYPES, senml_cbor_dec_init, senml_cbor_dec_next, typed_value, senml_cbor_enc_init,
    senml_cbor_enc_write, senml_cbor_enc_finish};
const tether_lwm2m_fmt tether_lwm2m_fmt_tlv = {
    TETHER_FMT_TLV, TETHER_FMT_TLV_LEGACY, "application/vnd.oma.lwm2m+tlv",
    TETHER_LWM2M_FMT_MULTI | TETHER_LWM2M_FMT_EMPTY | BOTH, ALL_TYPES, tlv_dec_init,
    tlv_dec_next, tlv_value, tlv_enc_init, tlv_enc_write, tlv_enc_finish};
const tether_lwm2m_fmt tether_lwm2m_fmt_json = {
    TETHER_FMT_JSON, TETHER_FMT_JSON_LEGACY, "application/vnd.oma.lwm2m+json",
    TETHER_LWM2M_FMT_MULTI | TETHER_LWM2M_FMT_TYPED | TETHER_LWM2M_FMT_TIMED | JSON_DEC |
        TETHER_LWM2M_FMT_ENCODE,
    ALL_TYPES, json_dec_init, json_dec_next, typed_value, json_enc_init, json_enc_write,
    json_enc_finish};

static const tether_lwm2m_fmt *const formats[] = {
    &tether_lwm2m_fmt_text,       &tether_lwm2m_fmt_opaque, &tether_lwm2m_fmt_cbor,
    &tether_lwm2m_fmt_senml_json, &tether_lwm2m_fmt_senml_cbor, &tether_lwm2m_fmt_tlv,
    &tether_lwm2m_fmt_json,
};

const tether_lwm2m_fmt *tether_lwm2m_fmt_find(uint32_t ct)
{
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
        if (formats[i]->ct == ct || (formats[i]->legacy != 0 && formats[i]->legacy == ct))
            return formats[i];
    return NULL;
}

/* --- generic decoder ---------------------------------------------------------- */

int tether_lwm2m_dec_init(tether_lwm2m_dec *d, uint32_t ct, const tether_lwm2m_path *base,
                          const uint8_t *buf, size_t len, const tether_lwm2m_workspace *ws)
{
    return tether_lwm2m_dec_start(d, tether_lwm2m_fmt_find(ct), base, buf, len, ws);
}

int tether_lwm2m_dec_start(tether_lwm2m_dec *d, const tether_lwm2m_fmt *f,
                           const tether_lwm2m_path *base, const uint8_t *buf, size_t len,
                           const tether_lwm2m_workspace *ws)
{
    tether_lwm2m_dec t, probe;
    tether_lwm2m_record r;
    size_t n = 0;
    int rc;

    if (d == NULL || (buf == NULL && len > 0))
        return TETHER_ERR_INVAL;
    if (f == NULL || !(f->flags & TETHER_LWM2M_FMT_DECODE))
        return TETHER_ERR_UNSUPPORTED;
    memset(&t, 0, sizeof(t));
    t.fmt = f;
    if (base != NULL)
        t.base = *base;
    if (!tether_lwm2m_path_valid(&t.base))
        return TETHER_ERR_INVAL;
    if ((rc = f->dec_init(&t, buf, len, ws)) != 0)
        return rc;
    /* Every record, once, on a copy: paths under the base, and the count. */
    probe = t;
    while ((rc = f->dec_next(&probe, &r)) == 0) {
        if (!tether_lwm2m_path_is_prefix(&t.base, &r.path))
            return TETHER_ERR_MALFORMED;
        n++;
    }
    if (rc != TETHER_ERR_NOT_FOUND)
        return TETHER_ERR_MALFORMED;
    t.count = n;
    *d = t;
    return 0;
}

int tether_lwm2m_dec_next(tether_lwm2m_dec *d, tether_lwm2m_record *r)
{
    if (d == NULL || r == NULL || d->fmt == NULL)
        return TETHER_ERR_INVAL;
    return d->fmt->dec_next(d, r);
}

size_t tether_lwm2m_dec_count(const tether_lwm2m_dec *d)
{
    return d != NULL ? d->count : 0;
}

int tether_lwm2m_dec_value(const tether_lwm2m_dec *d, const tether_lwm2m_record *r, int type,
                          uint8_t *scratch, size_t cap, tether_lwm2m_value *out)
{
    if (d == NULL || d->fmt == NULL || r == NULL || out == NULL)
        return TETHER_ERR_INVAL;
    return d->fmt->value(r, type, scratch, cap, out);
}

int tether_lwm2m_record_value(const tether_lwm2m_record *r, int type, uint8_t *scratch,
                              size_t cap, tether_lwm2m_value *out)
{
    if (r == NULL || out == NULL)
        return TETHER_ERR_INVAL;
    switch ((tether_lwm2m_raw)r->raw) {
    case TETHER_LWM2M_RAW_TEXT:
        return text_value(r, type, scratch, cap, out);
    case TETHER_LWM2M_RAW_OPAQUE:
        return opaque_value(r, type, scratch, cap, out);
    case TETHER_LWM2M_RAW_TLV:
        return tlv_value(r, type, scratch, cap, out);
    case TETHER_LWM2M_RAW_NONE:
        return typed_value(r, type, scratch, cap, out);
    }
    return TETHER_ERR_INVAL;
}

/* --- generic encoder ------------------------------------------------------------ */

int tether_lwm2m_enc_init(tether_lwm2m_enc *e, uint32_t ct, const tether_lwm2m_path *base,
                          uint8_t *buf, size_t cap)
{
    return tether_lwm2m_enc_start(e, tether_lwm2m_fmt_find(ct), base, buf, cap);
}

int tether_lwm2m_enc_start(tether_lwm2m_enc *e, const tether_lwm2m_fmt *f,
                           const tether_lwm2m_path *base, uint8_t *buf, size_t cap)
{
    if (e == NULL)
        return TETHER_ERR_INVAL;
    memset(e, 0, sizeof(*e));
    if (f == NULL || !(f->flags & TETHER_LWM2M_FMT_ENCODE))
        return e->err = TETHER_ERR_UNSUPPORTED;
    e->fmt = f;
    if (base != NULL)
        e->base = *base;
    if (!tether_lwm2m_path_valid(&e->base))
        return e->err = TETHER_ERR_INVAL;
    f->enc_init(e, buf, cap);
    return e->err;
}

static int enc_write(tether_lwm2m_enc *e, const tether_lwm2m_path *p,
                     const tether_lwm2m_value *v, const double *t)
{
    int rc;

    if (e == NULL)
        return TETHER_ERR_INVAL;
    if (e->err)
        return e->err;
    if (p == NULL || v == NULL || !tether_lwm2m_path_valid(p) ||
        !tether_lwm2m_path_is_prefix(&e->base, p))
        return e->err = TETHER_ERR_INVAL;
    if (t != NULL && !(e->fmt->flags & TETHER_LWM2M_FMT_TIMED))
        return e->err = TETHER_ERR_UNSUPPORTED;
    if ((rc = e->fmt->enc_write(e, p, v, t)) != 0)
        e->err = rc;
    return rc;
}

int tether_lwm2m_enc_write(tether_lwm2m_enc *e, const tether_lwm2m_path *p,
                           const tether_lwm2m_value *v)
{
    return enc_write(e, p, v, NULL);
}

int tether_lwm2m_enc_write_timed(tether_lwm2m_enc *e, const tether_lwm2m_path *p,
                                 const tether_lwm2m_value *v, double t)
{
    return enc_write(e, p, v, &t);
}

int tether_lwm2m_enc_finish(tether_lwm2m_enc *e, size_t *len)
{
    size_t n;
    int rc;

    if (e == NULL || len == NULL)
        return TETHER_ERR_INVAL;
    if (e->err)
        return e->err;
    if ((rc = e->fmt->enc_finish(e, &n)) != 0)
        return e->err = rc;
    *len = n;
    return 0;
}
