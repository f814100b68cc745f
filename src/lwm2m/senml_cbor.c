/* SPDX-License-Identifier: Apache-2.0 */
/* SenML CBOR (RFC 8428 §6, LwM2M 1.1 §7.4.5, content format 112): the
 * record iterator and the writer. Records are read with the same state
 * machine in init (validation of the whole pack, base fields carried from
 * record to record) and in next(), which therefore cannot fail. Strings are
 * views into the payload: CBOR needs no unescaping and no scratch.
 *
 * The writer reserves the largest array head it may need, then writes the
 * real (shortest) head at finish and slides the records down, as the TLV
 * writer does: one memmove per payload buys the definite-length arrays that
 * every peer reads. */
#include "tether/lwm2m_senml.h"

#include <math.h>
#include <string.h>

#ifdef TETHER_HAVE_CBOR
#include <cbor/encoding.h>
#endif

#include "cbor_internal.h"
#include "name_internal.h"

#include "tether_poison.h"

/* RFC 8428 §6 labels. */
enum {
    L_BS = -6,
    L_BV = -5,
    L_BU = -4,
    L_BT = -3,
    L_BN = -2,
    L_BVER = -1,
    L_N = 0,
    L_U = 1,
    L_V = 2,
    L_VS = 3,
    L_VB = 4,
    L_S = 5,
    L_T = 6,
    L_UT = 7,
    L_VD = 8,
    L_VLO = 100, /* the text label "vlo"; not a CBOR integer label */
    L_UNKNOWN = 101,
    L_MUST = 102, /* an unknown text label ending in '_' */
};

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

/* A map key as a label. */
static int label_of(const tether_cbor_item *k, int *label)
{
    if (k->kind == TETHER_CBOR_UINT) {
        *label = k->u <= L_VD ? (int)k->u : L_UNKNOWN;
        return 0;
    }
    if (k->kind == TETHER_CBOR_NEGINT) {
        *label = k->u < 6 ? -1 - (int)k->u : L_UNKNOWN;
        return 0;
    }
    if (k->kind == TETHER_CBOR_TEXT) {
        if (k->len == 3 && memcmp(k->ptr, "vlo", 3) == 0)
            *label = L_VLO;
        else if (k->len > 0 && k->ptr[k->len - 1] == '_')
            *label = L_MUST;
        else
            *label = L_UNKNOWN;
        return 0;
    }
    return TETHER_ERR_MALFORMED;
}

/* The value of a known field: read, type-checked, stored. */
static int read_field(int label, const tether_cbor_item *v, tether_lwm2m_record *rec,
                      tether_senml_cbor_iter *st, tether_lwm2m_view *n, double *t,
                      unsigned *bit)
{
    double ignored;

    switch (label) {
    case L_BN:
        *bit = F_BN;
        if (v->kind != TETHER_CBOR_TEXT)
            return TETHER_ERR_MALFORMED;
        st->bn.ptr = v->ptr;
        st->bn.len = v->len;
        st->has_bn = 1;
        return 0;
    case L_BT:
        *bit = F_BT;
        st->has_bt = 1;
        return tether_cbor_double(v, &st->bt);
    case L_BVER:
        *bit = F_BVER;
        /* RFC 8428 §4.4: a version above ours (10) is refused. */
        return v->kind == TETHER_CBOR_UINT && v->u >= 1 && v->u <= 10 ? 0
                                                                       : TETHER_ERR_MALFORMED;
    case L_N:
        *bit = F_N;
        if (v->kind != TETHER_CBOR_TEXT)
            return TETHER_ERR_MALFORMED;
        n->ptr = v->ptr;
        n->len = v->len;
        return 0;
    case L_T:
        *bit = F_T;
        return tether_cbor_double(v, t);
    case L_U:
    case L_BU:
        *bit = label == L_U ? F_U : F_BU;
        return v->kind == TETHER_CBOR_TEXT ? 0 : TETHER_ERR_MALFORMED;
    case L_UT:
        *bit = F_UT;
        return tether_cbor_double(v, &ignored);
    case L_V:
        *bit = F_V;
        if (v->kind == TETHER_CBOR_FLOAT) {
            rec->value = tether_lwm2m_value_float(v->f);
            return 0;
        }
        return tether_cbor_int_value(v, &rec->value);
    case L_VS:
        *bit = F_VS;
        if (v->kind != TETHER_CBOR_TEXT)
            return TETHER_ERR_MALFORMED;
        rec->value = tether_lwm2m_value_string(v->ptr, v->len);
        return 0;
    case L_VB:
        *bit = F_VB;
        if (v->kind != TETHER_CBOR_BOOL)
            return TETHER_ERR_MALFORMED;
        rec->value = tether_lwm2m_value_bool(v->b);
        return 0;
    case L_VD:
        *bit = F_VD;
        if (v->kind != TETHER_CBOR_BYTES)
            return TETHER_ERR_MALFORMED;
        rec->value = tether_lwm2m_value_opaque(v->ptr, v->len);
        return 0;
    case L_VLO: {
        tether_lwm2m_value s;
        *bit = F_VLO;
        if (v->kind != TETHER_CBOR_TEXT)
            return TETHER_ERR_MALFORMED;
        s = tether_lwm2m_value_string(v->ptr, v->len);
        return tether_lwm2m_value_convert(&s, TETHER_LWM2M_OBJLNK, NULL, 0, &rec->value);
    }
    default: /* bv, s, bs, must-understand: refused */
        return TETHER_ERR_MALFORMED;
    }
}

/* Read the record map at *pos, updating the base state in st. */
static int read_record(tether_senml_cbor_iter *st, size_t *pos, tether_lwm2m_record *r)
{
    tether_senml_cbor_iter s = *st;
    tether_lwm2m_record rec;
    tether_lwm2m_view n = {NULL, 0};
    tether_cbor_item m, k, v;
    size_t p = *pos;
    uint64_t pairs;
    unsigned seen = 0;
    double t = 0;
    int indef;

    if (tether_cbor_read(s.buf, s.len, &p, &m) != 0)
        return TETHER_ERR_MALFORMED;
    if (m.kind != TETHER_CBOR_MAP && m.kind != TETHER_CBOR_INDEF_MAP)
        return TETHER_ERR_MALFORMED;
    indef = m.kind == TETHER_CBOR_INDEF_MAP;
    memset(&rec, 0, sizeof(rec));
    for (pairs = 0; indef || pairs < m.u; pairs++) {
        int label;
        unsigned bit = 0;
        if (tether_cbor_read(s.buf, s.len, &p, &k) != 0)
            return TETHER_ERR_MALFORMED;
        if (indef && k.kind == TETHER_CBOR_BREAK)
            break;
        if (label_of(&k, &label) != 0)
            return TETHER_ERR_MALFORMED;
        if (label == L_UNKNOWN) {
            if (tether_cbor_skip(s.buf, s.len, &p) != 0)
                return TETHER_ERR_MALFORMED;
            continue;
        }
        if (tether_cbor_read(s.buf, s.len, &p, &v) != 0 ||
            read_field(label, &v, &rec, &s, &n, &t, &bit) != 0 || (seen & bit))
            return TETHER_ERR_MALFORMED;
        seen |= bit;
    }
    if ((seen & F_VALUES) & ((seen & F_VALUES) - 1))
        return TETHER_ERR_MALFORMED; /* more than one value */
    if (tether_name_resolve(s.has_bn ? s.bn.ptr : NULL, s.has_bn ? s.bn.len : 0, n.ptr, n.len,
                            &rec.path) != 0)
        return TETHER_ERR_MALFORMED;
    if (s.has_bt || (seen & F_T)) {
        rec.time = (s.has_bt ? s.bt : 0) + t;
        rec.has_time = 1;
        if (!isfinite(rec.time))
            return TETHER_ERR_MALFORMED;
    }
    *st = s;
    *pos = p;
    *r = rec;
    return 0;
}

int tether_senml_cbor_iter_init(tether_senml_cbor_iter *it, const uint8_t *buf, size_t len)
{
    tether_senml_cbor_iter t, probe;
    tether_lwm2m_record r;
    tether_cbor_item a;
    size_t p = 0;
    int rc;

    if (it == NULL || (buf == NULL && len > 0))
        return TETHER_ERR_INVAL;
    memset(&t, 0, sizeof(t));
    t.buf = buf;
    t.len = len;
    if (len == 0) {
        *it = t;
        return 0;
    }
    if ((rc = tether_cbor_read(buf, len, &p, &a)) != 0)
        return rc;
    if (a.kind != TETHER_CBOR_ARRAY && a.kind != TETHER_CBOR_INDEF_ARRAY)
        return TETHER_ERR_MALFORMED;
    t.pos = p;
    probe = t;
    for (uint64_t i = 0;; i++) {
        if (a.kind == TETHER_CBOR_ARRAY && i == a.u)
            break;
        if (a.kind == TETHER_CBOR_INDEF_ARRAY && p < len && buf[p] == 0xFF) {
            p++; /* the break */
            break;
        }
        if ((rc = read_record(&probe, &p, &r)) != 0)
            return rc;
        t.count++;
    }
    if (p != len)
        return TETHER_ERR_MALFORMED; /* trailing bytes */
    t.left = t.count;
    *it = t;
    return 0;
}

int tether_senml_cbor_next(tether_senml_cbor_iter *it, tether_lwm2m_record *r)
{
    if (it == NULL || r == NULL)
        return TETHER_ERR_INVAL;
    if (it->left == 0)
        return TETHER_ERR_NOT_FOUND;
    if (read_record(it, &it->pos, r) != 0)
        return TETHER_ERR_INTERNAL; /* validated by init: cannot happen */
    it->left--;
    return 0;
}

size_t tether_senml_cbor_count(const tether_senml_cbor_iter *it)
{
    return it != NULL ? it->count : 0;
}

/* --- encoding ---------------------------------------------------------------- */

/* Room reserved for the array head: 0x9a + 32-bit count. */
#define HEAD_MAX 5u

void tether_senml_cbor_writer_init(tether_senml_cbor_writer *w, uint8_t *buf, size_t cap,
                                   const tether_lwm2m_path *base)
{
    memset(w, 0, sizeof(*w));
    tether_cbor_out_init(&w->out, buf, cap);
    if (base != NULL)
        w->base = *base;
    if (!tether_lwm2m_path_valid(&w->base))
        w->out.err = TETHER_ERR_INVAL;
#ifndef TETHER_HAVE_CBOR
    w->out.err = TETHER_ERR_UNSUPPORTED;
#endif
    if (w->out.err == 0 && w->out.cap < HEAD_MAX)
        w->out.err = TETHER_ERR_NOSPACE;
    if (w->out.err == 0)
        w->out.len = HEAD_MAX;
}

static int value_ok(const tether_lwm2m_value *v, const double *t)
{
    if (v == NULL || (t != NULL && !isfinite(*t)))
        return 0;
    switch ((tether_lwm2m_type)v->type) {
    case TETHER_LWM2M_BOOLEAN:
        return v->b <= 1;
    case TETHER_LWM2M_STRING:
        return (v->bytes.ptr != NULL || v->bytes.len == 0) &&
               tether_lwm2m_utf8_valid(v->bytes.ptr, v->bytes.len);
    case TETHER_LWM2M_OPAQUE:
        return v->bytes.ptr != NULL || v->bytes.len == 0;
    case TETHER_LWM2M_NONE:
    case TETHER_LWM2M_FLOAT:
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

int tether_senml_cbor_write(tether_senml_cbor_writer *w, const tether_lwm2m_path *p,
                            const tether_lwm2m_value *v, const double *t)
{
    char name[TETHER_LWM2M_PATH_STR_MAX], bn[TETHER_LWM2M_PATH_STR_MAX + 1];
    size_t name_len, bn_len = 0, pairs;
    tether_cbor_out *o;

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
    if (w->count >= UINT32_MAX)
        return o->err = TETHER_ERR_TOO_LARGE;
    if (w->count == 0)
        w->mode = (uint8_t)tether_name_base(&w->base, p, bn, &bn_len);
    if (tether_name_rel(&w->base, w->mode, p, name, &name_len) != 0)
        return o->err = TETHER_ERR_INVAL;
    pairs = (bn_len > 0) + (name_len > 0) + (v->type != TETHER_LWM2M_NONE) + (t != NULL);
    tether_cbor_put_map(o, pairs);
    if (bn_len > 0) {
        tether_cbor_put_int(o, L_BN);
        tether_cbor_put_text(o, bn, bn_len);
    }
    if (name_len > 0) {
        tether_cbor_put_uint(o, L_N);
        tether_cbor_put_text(o, name, name_len);
    }
    switch ((tether_lwm2m_type)v->type) {
    case TETHER_LWM2M_INTEGER:
    case TETHER_LWM2M_TIME:
        tether_cbor_put_uint(o, L_V);
        tether_cbor_put_int(o, v->i);
        break;
    case TETHER_LWM2M_UNSIGNED:
        tether_cbor_put_uint(o, L_V);
        tether_cbor_put_uint(o, v->u);
        break;
    case TETHER_LWM2M_FLOAT:
        tether_cbor_put_uint(o, L_V);
        tether_cbor_put_float(o, v->f);
        break;
    case TETHER_LWM2M_BOOLEAN:
        tether_cbor_put_uint(o, L_VB);
        tether_cbor_put_bool(o, v->b);
        break;
    case TETHER_LWM2M_STRING:
        tether_cbor_put_uint(o, L_VS);
        tether_cbor_put_text(o, v->bytes.ptr, v->bytes.len);
        break;
    case TETHER_LWM2M_OPAQUE:
        tether_cbor_put_uint(o, L_VD);
        tether_cbor_put_bytes(o, v->bytes.ptr, v->bytes.len);
        break;
    case TETHER_LWM2M_OBJLNK:
        tether_cbor_put_text(o, "vlo", 3);
        tether_cbor_put_objlnk(o, v->lnk);
        break;
    case TETHER_LWM2M_NONE:
    case TETHER_LWM2M_CORELNK: /* refused by value_ok() */
        break;
    }
    if (t != NULL) {
        tether_cbor_put_uint(o, L_T);
        tether_cbor_put_number(o, *t);
    }
    if (o->err)
        return o->err;
    w->count++;
    return 0;
}

int tether_senml_cbor_writer_finish(tether_senml_cbor_writer *w, size_t *len)
{
    uint8_t head[HEAD_MAX];
    size_t hn = 0;

    if (w == NULL)
        return TETHER_ERR_INVAL;
    if (w->out.err)
        return w->out.err;
    if (w->done)
        return TETHER_ERR_STATE;
#ifdef TETHER_HAVE_CBOR
    hn = cbor_encode_array_start(w->count, head, sizeof(head));
#endif
    if (hn == 0 || hn > HEAD_MAX)
        return w->out.err = TETHER_ERR_INTERNAL;
    memcpy(w->out.buf + HEAD_MAX - hn, head, hn);
    memmove(w->out.buf, w->out.buf + HEAD_MAX - hn, w->out.len - (HEAD_MAX - hn));
    w->out.len -= HEAD_MAX - hn;
    w->done = 1;
    if (len != NULL)
        *len = w->out.len;
    return 0;
}
