/* SPDX-License-Identifier: Apache-2.0 */
/* Device management answered on the client (LwM2M 1.0 §5.4, §8.2.4): Read,
 * Write (PUT replaces, POST updates partially), Execute, Discover, Create
 * and Delete, over the object table. The answer codes are R19's: 4.04 for a
 * path that does not exist, 4.05 for an operation the object or resource
 * does not allow, 4.00 for a value outside its type or range, 4.15 for a
 * Content-Format we cannot take for that target, 4.06 for an Accept we
 * cannot produce, and 4.01 for anything on the Security object (obj_security.c).
 * The checks run in that order, before any handler is called, and a Write
 * runs every handler twice (check, then apply), so a refused request
 * changes nothing. Bodies larger than a datagram move block-wise (RFC
 * 7959): a Read or Discover answer is rendered whole into the body scratch
 * and sliced per Block2 request; a Write in Block1 blocks is reassembled
 * (one transfer at a time) and handled once complete. With
 * TETHER_CLIENT_MAX_BODY 0 answers are encoded straight into the datagram
 * and Block1 requests get 4.13. A GET with Observe and a PUT with only a
 * query are answered here too, but the observation and the attributes are
 * kept by observe.c and attrs.c; a successful Write, Create or Delete tells
 * observe.c that values changed. With observation compiled out, Observe is
 * answered as a plain Read (RFC 7641 §3.1 allows it) and Write-Attributes
 * with 5.01. Content formats -- which ones a Read may be asked for, which
 * a Write may come in, and the code that does each -- are one table,
 * client_fmts[] (see "content formats" below); nothing else here names a
 * format. */
#include <string.h>

#include "client/client_internal.h"
#include "common/log_internal.h"
#include "tether/lwm2m_fmt.h"
#include "tether/lwm2m_link.h"
#include "tether/lwm2m_tlv.h"
#include "tether_poison.h"

#define C_OK 0
#define C_BAD TETHER_COAP_BAD_REQUEST
#define C_UNAUTH TETHER_COAP_UNAUTHORIZED
#define C_NOTFOUND TETHER_COAP_NOT_FOUND
#define C_NOTALLOWED TETHER_COAP_METHOD_NOT_ALLOWED
#define C_NOTACCEPT TETHER_COAP_NOT_ACCEPTABLE
#define C_CT TETHER_COAP_UNSUPPORTED_CONTENT_FORMAT
#define C_INTERNAL TETHER_COAP_INTERNAL_SERVER_ERROR
/* Not an answer: an encoder's "does not fit in the room given", told apart
 * from a failing handler so that the notification store knows dropping old
 * records makes room. Answered as 5.00. */
#define C_TOO_BIG TETHER_COAP_REQUEST_ENTITY_TOO_LARGE

/* What a request addresses, once resolved. */
typedef struct dm_target {
    tether_lwm2m_path p;
    client_server *s; /* the server asking: its attributes show in Discover */
    const client_object_slot *o; /* set when p.len >= 1 */
    const tether_client_res_def *r; /* set when p.len >= 3 */
} dm_target;

typedef struct dm_req {
    tether_client *c;
    client_server *s;
    tether_time now;
    const tether_coap_msg *req;
    tether_coap_incoming *in;
    const uint8_t *payload; /* the request's payload, or the reassembled Block1 body */
    size_t payload_len;
    uint8_t has_block1;     /* the final answer of a Block1 transfer carries block1 */
    tether_coap_block block1;
} dm_req;

/* A handler's return as a CoAP code: 0, its refusal, or 5.00. */
static uint8_t handler_code(tether_client *c, int rc)
{
    int code = -rc;

    if (rc >= 0)
        return C_OK;
    if (code >= TETHER_COAP_CODE(4, 0) && code <= TETHER_COAP_CODE(5, 31))
        return (uint8_t)code;
    TETHER_LOG(c->log, c->log_user, TETHER_LOG_WARN, CLIENT_LOG_MODULE,
               "%s: object handler returned %d, answered 5.00", c->endpoint, rc);
    return C_INTERNAL;
}

static void reply_code(dm_req *q, uint8_t code)
{
    tether_coap_builder b;

    if (!CLIENT_BLOCKWISE || !q->has_block1) { /* a Block1 answer needs block-wise */
        (void)tether_coap_reply_code(q->c->coap, q->now, q->in, code);
        return;
    }
    if (tether_coap_reply_begin(q->c->coap, &b, q->in, code) != 0)
        return;
    (void)tether_coap_build_block(&b, TETHER_COAP_OPT_BLOCK1, &q->block1); /* RFC 7959 §2.3 */
    (void)tether_coap_reply_send(q->c->coap, q->now, q->in, &b);
}

/* --- the object table ------------------------------------------------------------ */

static int instance_exists(const client_object_slot *o, uint16_t iid)
{
    int32_t i;

    for (i = o->def->next_instance(o->user, -1); i >= 0 && i < iid;
         i = o->def->next_instance(o->user, i))
        ;
    return i == iid;
}

static const tether_client_res_def *res_def(const tether_client_object *def, uint16_t rid)
{
    for (uint16_t i = 0; i < def->nres; i++)
        if (def->res[i].id == rid)
            return &def->res[i];
    return NULL;
}

static int res_present(const client_object_slot *o, uint16_t iid, const tether_client_res_def *r)
{
    if (r->ops == 0)
        return 0;
    return o->def->present == NULL || o->def->present(o->user, iid, r->id);
}

static int32_t next_rinst(const client_object_slot *o, uint16_t iid, uint16_t rid, int32_t prev)
{
    if (o->def->next_res_instance == NULL)
        return -1;
    return o->def->next_res_instance(o->user, iid, rid, prev);
}

static int rinst_exists(const client_object_slot *o, uint16_t iid, uint16_t rid, uint16_t riid)
{
    int32_t i;

    for (i = next_rinst(o, iid, rid, -1); i >= 0 && i < riid; i = next_rinst(o, iid, rid, i))
        ;
    return i == riid;
}

/* Resolve p down to what exists. Returns 0 or 4.04. */
static uint8_t resolve(const tether_client *c, const tether_lwm2m_path *p, dm_target *t)
{
    memset(t, 0, sizeof(*t));
    t->p = *p;
    if (p->len == 0)
        return C_OK;
    t->o = client_object(c, p->ids[0]);
    if (t->o == NULL)
        return C_NOTFOUND;
    if (p->len >= 2 && !instance_exists(t->o, p->ids[1]))
        return C_NOTFOUND;
    if (p->len >= 3) {
        t->r = res_def(t->o->def, p->ids[2]);
        if (t->r == NULL || !res_present(t->o, p->ids[1], t->r))
            return C_NOTFOUND;
    }
    if (p->len == 4 && (!t->r->multiple || !rinst_exists(t->o, p->ids[1], p->ids[2], p->ids[3])))
        return C_NOTFOUND;
    return C_OK;
}

static uint8_t read_value(tether_client *c, const client_object_slot *o, uint16_t iid,
                          const tether_client_res_def *r, uint16_t riid, tether_lwm2m_value *v)
{
    uint8_t code;

    if (o->def->read == NULL)
        return C_NOTALLOWED;
    memset(v, 0, sizeof(*v));
    code = handler_code(c, o->def->read(o->user, iid, r->id, riid, v));
    if (code == C_OK && v->type != r->type) {
        TETHER_LOG(c->log, c->log_user, TETHER_LOG_WARN, CLIENT_LOG_MODULE,
                   "%s: /%u/%u/%u read as %s, defined %s", c->endpoint, o->def->oid, iid, r->id,
                   tether_lwm2m_type_name(v->type), tether_lwm2m_type_name(r->type));
        return C_INTERNAL;
    }
    return code;
}

/* --- Read ------------------------------------------------------------------------------ */

/* --- content formats ---------------------------------------------------------------
 *
 * One table, client_fmts[], says which content formats this client speaks
 * (tether/client_config.h's footprint switches decide) and how: each
 * entry is a format's descriptor (tether/lwm2m_fmt.h: number, what it can
 * carry, its codec) and the three operations every request goes through --
 * encode a Read answer or notification, take a Write or Create payload
 * (decode and check it whole), apply it (every value checked by the
 * handlers, then every value written). Text, opaque and TLV, which every
 * build has, use compact code of their own shape; every other format goes
 * through the generic (path, value) record interface of tether/lwm2m_fmt.h
 * (the "records" operations below, which handle any record format, TLV
 * included), linked only when one of them is compiled in. */

/* Answer with a payload in fmt produced by encode (read or discover). */
typedef uint8_t (*encode_fn)(tether_client *c, const dm_target *t, uint32_t fmt, uint8_t *dst,
                             size_t avail, size_t *n);

/* Whether any format beyond text, opaque and TLV is compiled in. */
#define CLIENT_RECORDS (CLIENT_JSON || CLIENT_SENML_JSON || CLIENT_SENML_CBOR || CLIENT_CBOR)

/* A Write or Create payload, taken (decoded, checked) and then applied to
 * instance iid of o. */
typedef struct wr_state {
    tether_client *c;
    const client_object_slot *o;
    uint32_t iid;      /* the instance written; Create: RESERVED until named */
    uint16_t want_rid; /* TLV: the resource the path names, or RESERVED */
    uint8_t check_ops; /* the resources must be writable (Write; a Create sets any) */
    union {
        tether_lwm2m_value v;  /* text/plain, opaque: the one value */
        tether_tlv_iter level; /* TLV: the resource entries of the instance */
#if CLIENT_RECORDS
        struct {
            tether_lwm2m_dec d;
            uint8_t *vs; /* scratch for values (base64 in LwM2M JSON) */
            size_t vcap;
        } rec;
#endif
    } u;
} wr_state;

typedef struct client_fmt_ops client_fmt_ops;
struct client_fmt_ops {
    /* Text, opaque and TLV say here what they are (naming their
     * tether/lwm2m_fmt.h descriptors would link the generic codecs); the
     * others are their descriptor f. */
    uint16_t ct, legacy;
    uint16_t types; /* bit (1 << type) for each type carried */
    uint8_t flags;  /* tether_lwm2m_fmt_flag; f's when f is set */
    encode_fn encode;
    /* Decode q's payload for target t (Create: the object; w->iid gets
     * the instance the payload names, if any). Returns a CoAP code. */
    uint8_t (*take)(const dm_req *q, const client_fmt_ops *x, const dm_target *t, wr_state *w);
    /* Hand every value to the handlers: check (commit 0), then apply. */
    uint8_t (*apply)(wr_state *w);
#if CLIENT_RECORDS
    const tether_lwm2m_fmt *f;
#endif
};

static uint8_t fmt_flags(const client_fmt_ops *x)
{
#if CLIENT_RECORDS
    if (x->f != NULL)
        return x->f->flags;
#endif
    return x->flags;
}

static int fmt_carries(const client_fmt_ops *x, uint8_t type)
{
    return (x->types >> type) & 1u;
}

/* --- text/plain and opaque: one value ------------------------------------------------- */

/* One value as text/plain, or as its own octets (an Opaque: read_format()
 * chose opaque only for one). */
static uint8_t encode_single(tether_client *c, const dm_target *t, uint32_t fmt, uint8_t *dst,
                             size_t avail, size_t *n)
{
    tether_lwm2m_value v;
    uint8_t code = read_value(c, t->o, t->p.ids[1], t->r,
                              t->p.len == 4 ? t->p.ids[3] : TETHER_LWM2M_ID_RESERVED, &v);

    if (code != C_OK)
        return code;
    if (fmt == TETHER_FMT_OPAQUE) {
        if (v.bytes.len > avail)
            return C_TOO_BIG;
        if (v.bytes.len > 0)
            memcpy(dst, v.bytes.ptr, v.bytes.len);
        *n = v.bytes.len;
        return C_OK;
    }
    switch (tether_lwm2m_text_encode(&v, dst, avail, n)) {
    case 0: return C_OK;
    case TETHER_ERR_NOSPACE: return C_TOO_BIG;
    default: return C_INTERNAL;
    }
}

/* The payload is the value of the resource the path names (the caller
 * checked it is a single one). */
static uint8_t take_single(const dm_req *q, const client_fmt_ops *x, const dm_target *t,
                           wr_state *w)
{
    tether_lwm2m_value *v = &w->u.v;
    int rc = tether_lwm2m_single_decode(x->ct, q->payload, q->payload_len, t->r->type, v);

    if (rc == TETHER_ERR_UNSUPPORTED)
        return C_CT; /* opaque as text, or a number as opaque */
    if (rc != 0 || (v->type == TETHER_LWM2M_STRING &&
                    !tether_lwm2m_utf8_valid(v->bytes.ptr, v->bytes.len)))
        return C_BAD;
    w->want_rid = t->r->id;
    return C_OK;
}

static uint8_t apply_single(wr_state *w)
{
    const client_object_slot *o = w->o;
    uint8_t code = C_OK;

    for (int commit = 0; commit <= 1 && code == C_OK; commit++)
        code = handler_code(w->c, o->def->write(o->user, (uint16_t)w->iid, w->want_rid,
                                                TETHER_LWM2M_ID_RESERVED, &w->u.v, commit));
    return code;
}

/* --- LwM2M TLV ------------------------------------------------------------------------- */

/* One resource of an instance as TLV (RESOURCE or MULTIPLE_RESOURCE). A
 * value the handler says is absent (4.04) is left out. */
static uint8_t tlv_resource(tether_client *c, tether_tlv_writer *w, const client_object_slot *o,
                            uint16_t iid, const tether_client_res_def *r)
{
    tether_lwm2m_value v;
    uint8_t code;

    if (r->multiple) {
        (void)tether_tlv_begin(w, TETHER_TLV_MULTIPLE_RESOURCE, r->id);
        for (int32_t ri = next_rinst(o, iid, r->id, -1); ri >= 0;
             ri = next_rinst(o, iid, r->id, ri)) {
            code = read_value(c, o, iid, r, (uint16_t)ri, &v);
            if (code == C_NOTFOUND)
                continue;
            if (code != C_OK)
                return code;
            (void)tether_tlv_write_value(w, TETHER_TLV_RESOURCE_INSTANCE, (uint16_t)ri, &v);
        }
        (void)tether_tlv_end(w);
        return C_OK;
    }
    code = read_value(c, o, iid, r, TETHER_LWM2M_ID_RESERVED, &v);
    if (code == C_NOTFOUND)
        return C_OK;
    if (code == C_OK)
        (void)tether_tlv_write_value(w, TETHER_TLV_RESOURCE, r->id, &v);
    return code;
}

static uint8_t tlv_instance(tether_client *c, tether_tlv_writer *w, const client_object_slot *o,
                            uint16_t iid)
{
    for (uint16_t i = 0; i < o->def->nres; i++) {
        const tether_client_res_def *r = &o->def->res[i];
        uint8_t code;

        if (!(r->ops & TETHER_LWM2M_OP_R) || !res_present(o, iid, r))
            continue;
        code = tlv_resource(c, w, o, iid, r);
        if (code != C_OK)
            return code;
    }
    return C_OK;
}

static uint8_t encode_tlv(tether_client *c, const dm_target *t, uint32_t fmt, uint8_t *dst,
                          size_t avail, size_t *n)
{
    const client_object_slot *o = t->o;
    tether_lwm2m_value v;
    tether_tlv_writer w;
    uint8_t code = C_OK;

    (void)fmt;
    tether_tlv_writer_init(&w, dst, avail);
    switch (t->p.len) {
    case TETHER_LWM2M_OBJECT:
        for (int32_t i = o->def->next_instance(o->user, -1); i >= 0 && code == C_OK;
             i = o->def->next_instance(o->user, i)) {
            (void)tether_tlv_begin(&w, TETHER_TLV_OBJECT_INSTANCE, (uint16_t)i);
            code = tlv_instance(c, &w, o, (uint16_t)i);
            (void)tether_tlv_end(&w);
        }
        break;
    case TETHER_LWM2M_INSTANCE:
        code = tlv_instance(c, &w, o, t->p.ids[1]);
        break;
    case TETHER_LWM2M_RESOURCE:
        code = tlv_resource(c, &w, o, t->p.ids[1], t->r);
        break;
    default: /* a resource instance */
        code = read_value(c, o, t->p.ids[1], t->r, t->p.ids[3], &v);
        if (code == C_OK)
            (void)tether_tlv_write_value(&w, TETHER_TLV_RESOURCE_INSTANCE, t->p.ids[3], &v);
        break;
    }
    if (code != C_OK)
        return code;
    switch (tether_tlv_writer_finish(&w, n)) {
    case 0: return C_OK;
    case TETHER_ERR_NOSPACE: return C_TOO_BIG;
    default: return C_INTERNAL;
    }
}

/* Decode one TLV entry for resource r and hand it to the write handler. */
static uint8_t write_one(tether_client *c, const client_object_slot *o, uint16_t iid,
                         const tether_client_res_def *r, uint16_t riid, const tether_tlv_entry *e,
                         int commit)
{
    tether_lwm2m_value v;

    if (tether_tlv_decode_value(e, r->type, &v) != 0)
        return C_BAD;
    if (v.type == TETHER_LWM2M_STRING && !tether_lwm2m_utf8_valid(v.bytes.ptr, v.bytes.len))
        return C_BAD;
    return handler_code(c, o->def->write(o->user, iid, r->id, riid, &v, commit));
}

/* One RESOURCE or MULTIPLE_RESOURCE entry for instance iid. check_ops: the
 * resource must be writable (Write; a Create may set any resource). */
static uint8_t write_tlv_resource(tether_client *c, const client_object_slot *o, uint16_t iid,
                                  const tether_tlv_entry *e, uint16_t want_rid, int check_ops,
                                  int commit)
{
    const tether_client_res_def *r = res_def(o->def, e->id);
    tether_tlv_iter it;
    tether_tlv_entry ri;
    uint8_t code;
    int rc;

    if (want_rid != TETHER_LWM2M_ID_RESERVED && e->id != want_rid)
        return C_BAD; /* the payload names another resource than the path */
    if (r == NULL || r->ops == 0)
        return C_NOTFOUND;
    if (check_ops && !(r->ops & TETHER_LWM2M_OP_W))
        return C_NOTALLOWED; /* R19 */
    if (e->type == TETHER_TLV_RESOURCE) {
        if (r->multiple)
            return C_BAD;
        return write_one(c, o, iid, r, TETHER_LWM2M_ID_RESERVED, e, commit);
    }
    if (e->type != TETHER_TLV_MULTIPLE_RESOURCE || !r->multiple)
        return C_BAD;
    if (tether_tlv_iter_enter(&it, e) != 0)
        return C_BAD;
    while ((rc = tether_tlv_next(&it, &ri)) == 0) {
        code = write_one(c, o, iid, r, ri.id, &ri, commit);
        if (code != C_OK)
            return code;
    }
    return rc == TETHER_ERR_NOT_FOUND ? C_OK : C_BAD;
}

/* Every resource entry of the level taken, for instance iid: every value
 * is checked first, then all are applied, so nothing changes on a refusal. */
static uint8_t apply_tlv(wr_state *w)
{
    for (int commit = 0; commit <= 1; commit++) {
        tether_tlv_iter it = w->u.level;
        tether_tlv_entry e;
        uint8_t code;
        int rc, count = 0;

        while ((rc = tether_tlv_next(&it, &e)) == 0) {
            code = write_tlv_resource(w->c, w->o, (uint16_t)w->iid, &e, w->want_rid,
                                      w->check_ops, commit);
            if (code != C_OK)
                return code;
            count++;
        }
        if (rc != TETHER_ERR_NOT_FOUND)
            return C_BAD;
        if (w->want_rid != TETHER_LWM2M_ID_RESERVED && count != 1)
            return C_BAD;
    }
    return C_OK;
}

/* The resources of a TLV payload for one instance: either bare resource
 * entries, or a single OBJECT_INSTANCE entry wrapping them (servers send
 * both), whose id must be the path's (Write) or names the new instance
 * (Create, w->iid RESERVED: it stays so without a wrapper). For a
 * resource, its entry. */
static uint8_t take_tlv(const dm_req *q, const client_fmt_ops *x, const dm_target *t,
                        wr_state *w)
{
    tether_tlv_iter top;
    tether_tlv_entry e, extra;

    (void)x;
    if (tether_tlv_validate(q->payload, q->payload_len) != 0)
        return C_BAD;
    tether_tlv_iter_init(&top, q->payload, q->payload_len);
    w->u.level = top;
    w->want_rid = t->p.len == 3 ? t->r->id : TETHER_LWM2M_ID_RESERVED;
    if (t->p.len == 3 || tether_tlv_next(&top, &e) != 0 || e.type != TETHER_TLV_OBJECT_INSTANCE)
        return C_OK; /* bare resources (or nothing) */
    if (tether_tlv_next(&top, &extra) == 0)
        return C_BAD; /* several instances for one target */
    if (w->iid != TETHER_LWM2M_ID_RESERVED && e.id != w->iid)
        return C_BAD;
    w->iid = e.id;
    return tether_tlv_iter_enter(&w->u.level, &e) == 0 ? C_OK : C_BAD;
}

static const client_fmt_ops *fmt_ops(uint32_t ct, uint8_t need);

#if CLIENT_RECORDS
/* --- any record format, through tether/lwm2m_fmt.h ---------------------------------- */

/* A Read answer or notification being written: records go to e, in
 * ascending path order (resources are defined ascending, instances come
 * ascending), which TLV would need. */
typedef struct rd_enc {
    tether_client *c;
    const client_object_slot *o;
    tether_lwm2m_enc e;
    uint8_t empty; /* the format writes empty containers (TLV) */
} rd_enc;

/* The value at p (a resource or resource instance of r); *n counts it. */
static uint8_t put_value(rd_enc *x, const tether_lwm2m_path *p, const tether_client_res_def *r,
                         size_t *n)
{
    tether_lwm2m_value v;
    uint8_t code = read_value(x->c, x->o, p->ids[1], r,
                              p->len == 4 ? p->ids[3] : TETHER_LWM2M_ID_RESERVED, &v);

    if (code == C_OK) {
        (void)tether_lwm2m_enc_write(&x->e, p, &v); /* errors are sticky: finish says */
        (*n)++;
    }
    return code;
}

/* A record without a value at p: an empty container, where the format
 * has them. */
static void put_empty(rd_enc *x, const tether_lwm2m_path *p, size_t *n)
{
    tether_lwm2m_value none;

    if (!x->empty)
        return;
    memset(&none, 0, sizeof(none));
    (void)tether_lwm2m_enc_write(&x->e, p, &none);
    (*n)++;
}

/* One resource of an instance: its value or each of its instances. A value
 * the handler says is absent (4.04) is left out. */
static uint8_t put_resource(rd_enc *x, uint16_t iid, const tether_client_res_def *r, size_t *n)
{
    tether_lwm2m_path p = tether_lwm2m_path_make(3, x->o->def->oid, iid, r->id, 0);
    size_t k = 0;
    uint8_t code;

    if (!r->multiple) {
        code = put_value(x, &p, r, n);
        return code == C_NOTFOUND ? C_OK : code;
    }
    p.len = 4;
    for (int32_t ri = next_rinst(x->o, iid, r->id, -1); ri >= 0;
         ri = next_rinst(x->o, iid, r->id, ri)) {
        p.ids[3] = (uint16_t)ri;
        code = put_value(x, &p, r, &k);
        if (code != C_OK && code != C_NOTFOUND)
            return code;
    }
    p.len = 3;
    if (k == 0)
        put_empty(x, &p, &k);
    *n += k;
    return C_OK;
}

/* The readable resources of an instance; in_object: the answer is for the
 * whole object, where an instance with nothing to show is still listed. */
static uint8_t put_instance(rd_enc *x, uint16_t iid, int in_object)
{
    const tether_client_object *def = x->o->def;
    size_t k = 0;

    for (uint16_t i = 0; i < def->nres; i++) {
        const tether_client_res_def *r = &def->res[i];
        uint8_t code;

        if (!(r->ops & TETHER_LWM2M_OP_R) || !res_present(x->o, iid, r))
            continue;
        code = put_resource(x, iid, r, &k);
        if (code != C_OK)
            return code;
    }
    if (k == 0 && in_object) {
        tether_lwm2m_path p = tether_lwm2m_path_make(2, def->oid, iid, 0, 0);
        put_empty(x, &p, &k);
    }
    return C_OK;
}

static uint8_t encode_records(tether_client *c, const dm_target *t, uint32_t fmt, uint8_t *dst,
                              size_t avail, size_t *n)
{
    const client_fmt_ops *ops = fmt_ops(fmt, TETHER_LWM2M_FMT_ENCODE);
    const tether_lwm2m_fmt *f = ops != NULL ? ops->f : NULL;
    const client_object_slot *o = t->o;
    rd_enc x;
    size_t k = 0;
    uint8_t code = C_OK;

    x.c = c;
    x.o = o;
    x.empty = f != NULL && (f->flags & TETHER_LWM2M_FMT_EMPTY);
    if (tether_lwm2m_enc_start(&x.e, f, &t->p, dst, avail) != 0)
        return C_INTERNAL;
    switch (t->p.len) {
    case TETHER_LWM2M_OBJECT:
        for (int32_t i = o->def->next_instance(o->user, -1); i >= 0 && code == C_OK;
             i = o->def->next_instance(o->user, i))
            code = put_instance(&x, (uint16_t)i, 1);
        break;
    case TETHER_LWM2M_INSTANCE:
        code = put_instance(&x, t->p.ids[1], 0);
        break;
    default: /* one resource, one value (which must be there), or its instances */
        code = t->p.len == TETHER_LWM2M_RESOURCE && t->r->multiple
                   ? put_resource(&x, t->p.ids[1], t->r, &k)
                   : put_value(&x, &t->p, t->r, &k);
        break;
    }
    if (code != C_OK)
        return code;
    switch (tether_lwm2m_enc_finish(&x.e, n)) {
    case 0: return C_OK;
    case TETHER_ERR_NOSPACE: return C_TOO_BIG;
    default: return C_INTERNAL;
    }
}

/* A decoder's refusal as the answer. */
static uint8_t dec_code(int rc)
{
    switch (rc) {
    case TETHER_ERR_UNSUPPORTED: return C_CT;
    case TETHER_ERR_TOO_LARGE:
    case TETHER_ERR_NOSPACE: return TETHER_COAP_REQUEST_ENTITY_TOO_LARGE;
    default: return C_BAD;
    }
}

/* One record: its resource exists, may be written, has the record's shape
 * (a value for a single resource, instances for a multiple one), and the
 * value fits its type; then the handler. An empty instance or multiple
 * resource writes nothing. */
static uint8_t write_record(wr_state *w, const tether_lwm2m_record *rec, int commit)
{
    const tether_lwm2m_path *p = &rec->path;
    const tether_client_res_def *r;
    tether_lwm2m_value v;
    int none = rec->raw == TETHER_LWM2M_RAW_NONE && rec->value.type == TETHER_LWM2M_NONE;
    int rc;

    if (p->len < 2 || p->ids[1] != w->iid)
        return C_BAD; /* another instance than the target */
    if (p->len == 2)
        return none ? C_OK : C_BAD;
    r = res_def(w->o->def, p->ids[2]);
    if (r == NULL || r->ops == 0)
        return C_NOTFOUND;
    if (w->check_ops && !(r->ops & TETHER_LWM2M_OP_W))
        return C_NOTALLOWED; /* R19 */
    if (p->len == 3 && r->multiple)
        return none ? C_OK : C_BAD;
    if ((p->len == 4 && !r->multiple) || none)
        return C_BAD;
    rc = tether_lwm2m_dec_value(&w->u.rec.d, rec, r->type, w->u.rec.vs, w->u.rec.vcap, &v);
    if (rc != 0)
        return dec_code(rc);
    if (v.type == TETHER_LWM2M_STRING && !tether_lwm2m_utf8_valid(v.bytes.ptr, v.bytes.len))
        return C_BAD;
    return handler_code(w->c, w->o->def->write(w->o->user, (uint16_t)w->iid, r->id,
                                               p->len == 4 ? p->ids[3] : TETHER_LWM2M_ID_RESERVED,
                                               &v, commit));
}

static uint8_t apply_records(wr_state *w)
{
    for (int commit = 0; commit <= 1; commit++) {
        tether_lwm2m_dec it = w->u.rec.d;
        tether_lwm2m_record rec;

        while (tether_lwm2m_dec_next(&it, &rec) == 0) {
            uint8_t code = write_record(w, &rec, commit);
            if (code != C_OK)
                return code;
        }
    }
    return C_OK;
}

/* Decode the whole payload for the target (tether_lwm2m_dec_start checks
 * every record lies under it). JSON is tokenized into the engine's tokens
 * and unescaped into a scratch -- the body scratch, idle while a request
 * is decoded, or its own -- split between the decoder (strings) and the
 * values (base64). A Create's records name their instance, one for all. */
static uint8_t take_records(const dm_req *q, const client_fmt_ops *x, const dm_target *t,
                            wr_state *w)
{
    tether_lwm2m_workspace ws;
    tether_lwm2m_dec it;
    tether_lwm2m_record rec;
    int rc;

    memset(&ws, 0, sizeof(ws));
    w->u.rec.vs = NULL;
    w->u.rec.vcap = 0;
#if CLIENT_JSON_DEC
    {
#if CLIENT_BLOCKWISE
        uint8_t *s = q->c->body;
        size_t n = TETHER_CLIENT_MAX_BODY;
#else
        uint8_t *s = q->c->json_scratch;
        size_t n = TETHER_CLIENT_JSON_SCRATCH;
#endif
        ws.tokens = q->c->json_tok;
        ws.ntokens = TETHER_CLIENT_JSON_TOKENS;
        ws.scratch = s;
        ws.scratch_len = n / 2;
        w->u.rec.vs = s + n / 2;
        w->u.rec.vcap = n - n / 2;
    }
#endif
    rc = tether_lwm2m_dec_start(&w->u.rec.d, x->f, &t->p, q->payload, q->payload_len, &ws);
    if (rc != 0)
        return dec_code(rc);
    if (t->p.len == TETHER_LWM2M_RESOURCE && !t->r->multiple &&
        tether_lwm2m_dec_count(&w->u.rec.d) != 1)
        return C_BAD; /* one resource, one value */
    if (t->p.len != TETHER_LWM2M_OBJECT)
        return C_OK;
    it = w->u.rec.d;
    while (tether_lwm2m_dec_next(&it, &rec) == 0) {
        if (w->iid == TETHER_LWM2M_ID_RESERVED)
            w->iid = rec.path.ids[1];
        else if (rec.path.ids[1] != w->iid)
            return C_BAD; /* one instance per Create */
    }
    return C_OK;
}
#endif /* CLIENT_RECORDS */

/* --- the table ------------------------------------------------------------------------- */

#define TYPE_BIT(type) (1u << (type))
#define CARRY_ALL                                                                       \
    (TYPE_BIT(TETHER_LWM2M_STRING) | TYPE_BIT(TETHER_LWM2M_INTEGER) |                   \
     TYPE_BIT(TETHER_LWM2M_FLOAT) | TYPE_BIT(TETHER_LWM2M_BOOLEAN) |                    \
     TYPE_BIT(TETHER_LWM2M_OPAQUE) | TYPE_BIT(TETHER_LWM2M_TIME) |                      \
     TYPE_BIT(TETHER_LWM2M_OBJLNK) | TYPE_BIT(TETHER_LWM2M_UNSIGNED) |                  \
     TYPE_BIT(TETHER_LWM2M_CORELNK))
#ifdef TETHER_LWM2M_NO_FLOAT_TEXT /* what tether_lwm2m_text_supports() says */
#define CARRY_TEXT (CARRY_ALL & ~TYPE_BIT(TETHER_LWM2M_OPAQUE) & ~TYPE_BIT(TETHER_LWM2M_FLOAT))
#else
#define CARRY_TEXT (CARRY_ALL & ~TYPE_BIT(TETHER_LWM2M_OPAQUE))
#endif
#define DEC_ENC (TETHER_LWM2M_FMT_DECODE | TETHER_LWM2M_FMT_ENCODE)
#if CLIENT_RECORDS
#define NO_CODEC , NULL
#else
#define NO_CODEC
#endif
#define RECORDS(ct, legacy, f)                                                          \
    {(ct), (legacy), CARRY_ALL, 0, encode_records, take_records, apply_records, (f)}

static const client_fmt_ops client_fmts[] = {
    /* text/plain first: ct 0 matches it before any legacy 0 below */
    {TETHER_FMT_TEXT, 0, CARRY_TEXT, DEC_ENC, encode_single, take_single,
     apply_single NO_CODEC},
    {TETHER_FMT_OPAQUE, 0, TYPE_BIT(TETHER_LWM2M_OPAQUE), DEC_ENC, encode_single, take_single,
     apply_single NO_CODEC},
    {TETHER_FMT_TLV, TETHER_FMT_TLV_LEGACY, CARRY_ALL, TETHER_LWM2M_FMT_MULTI | DEC_ENC,
     encode_tlv, take_tlv, apply_tlv NO_CODEC},
#if CLIENT_JSON
    RECORDS(TETHER_FMT_JSON, TETHER_FMT_JSON_LEGACY, &tether_lwm2m_fmt_json),
#endif
#if CLIENT_SENML_JSON
    RECORDS(TETHER_FMT_SENML_JSON, 0, &tether_lwm2m_fmt_senml_json),
#endif
#if CLIENT_SENML_CBOR
    RECORDS(TETHER_FMT_SENML_CBOR, 0, &tether_lwm2m_fmt_senml_cbor),
#endif
#if CLIENT_CBOR
    RECORDS(TETHER_FMT_CBOR, 0, &tether_lwm2m_fmt_cbor),
#endif
};

/* The entry for ct that can do need, or NULL. */
static const client_fmt_ops *fmt_ops(uint32_t ct, uint8_t need)
{
    for (size_t i = 0; i < sizeof(client_fmts) / sizeof(client_fmts[0]); i++) {
        const client_fmt_ops *x = &client_fmts[i];
        if ((x->ct == ct || x->legacy == ct) && (fmt_flags(x) & need) == need)
            return x;
    }
    return NULL;
}

int client_fmt_can(uint32_t ct, uint8_t need)
{
    return fmt_ops(ct, need) != NULL;
}

/* Where text/plain, opaque and TLV are in the table. */
enum { FMT_I_TEXT, FMT_I_OPAQUE, FMT_I_TLV };

/* observe: the Observe value to answer with, or -1 for none. Returns 0 when
 * the answer went out with the payload, else the code answered instead. */
static uint8_t reply_payload(dm_req *q, const dm_target *t, uint32_t fmt, encode_fn encode,
                             int64_t observe)
{
    tether_coap_builder b;
    uint8_t *dst;
    size_t avail, n = 0;
    uint8_t code;
#if CLIENT_BLOCKWISE
    tether_block2_slice slice;
    int rc;

    /* The whole body first, then the slice the request asks for (RFC 7959
     * §2.4, stateless: a later block renders the body again). */
    code = encode(q->c, t, fmt, q->c->body, TETHER_CLIENT_MAX_BODY, &n);
    if (code == C_TOO_BIG)
        code = C_INTERNAL;
    if (code != C_OK) {
        if (code == C_INTERNAL)
            TETHER_LOG(q->c->log, q->c->log_user, TETHER_LOG_WARN, CLIENT_LOG_MODULE,
                       "%s: answer larger than TETHER_CLIENT_MAX_BODY", q->c->endpoint);
        reply_code(q, code);
        return code;
    }
    if (tether_coap_reply_begin(q->c->coap, &b, q->in, TETHER_COAP_CONTENT) != 0)
        return C_INTERNAL;
    if (observe >= 0) /* RFC 7641 §4.1: the answer that registers carries it */
        (void)tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_OBSERVE, (uint32_t)observe);
    (void)tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_CONTENT_FORMAT, fmt);
    if (tether_coap_build_payload_reserve(&b, &dst, &avail) != 0) {
        reply_code(q, C_INTERNAL);
        return C_INTERNAL;
    }
    avail = avail > TETHER_BLOCK_OPTS_OVERHEAD ? avail - TETHER_BLOCK_OPTS_OVERHEAD : 0;
    rc = tether_block2_slice_get(q->req, n, avail, TETHER_BLOCK_SZX_MAX, &slice);
    if (rc == 0)
        rc = tether_block2_slice_write(&slice, q->c->body, &b);
    if (rc != 0) {
        code = tether_block_answer_code(rc);
        reply_code(q, code);
        return code;
    }
#else
    if (tether_coap_reply_begin(q->c->coap, &b, q->in, TETHER_COAP_CONTENT) != 0)
        return C_INTERNAL;
    if (observe >= 0)
        (void)tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_OBSERVE, (uint32_t)observe);
    (void)tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_CONTENT_FORMAT, fmt);
    if (tether_coap_build_payload_reserve(&b, &dst, &avail) != 0) {
        reply_code(q, C_INTERNAL);
        return C_INTERNAL;
    }
    code = encode(q->c, t, fmt, dst, avail, &n);
    if (code == C_TOO_BIG)
        code = C_INTERNAL;
    if (code != C_OK) {
        if (code == C_INTERNAL)
            TETHER_LOG(q->c->log, q->c->log_user, TETHER_LOG_WARN, CLIENT_LOG_MODULE,
                       "%s: answer does not fit in %zu bytes", q->c->endpoint, avail);
        reply_code(q, code); /* starts the answer again */
        return code;
    }
    (void)tether_coap_build_payload_commit(&b, n);
#endif
    return tether_coap_reply_send(q->c->coap, q->now, q->in, &b) == 0 ? C_OK : C_INTERNAL;
}

/* The format a Read of t answers in, from the request's Accept: any
 * format this build encodes that can carry the target -- several values
 * need a format with records, one value a format that carries its type.
 * Without Accept: text/plain for one value it carries, opaque for Opaque,
 * TLV otherwise (what every LwM2M 1.0 server reads). *fmt: its number;
 * *xp: its table entry. Returns 0, 4.05 (nothing to read there) or 4.06. */
static uint8_t read_format(const dm_target *t, const tether_coap_msg *req, uint32_t *fmt,
                           const client_fmt_ops **xp)
{
    const client_fmt_ops *x;
    uint32_t accept;
    int single = t->p.len == 4 || (t->p.len == 3 && !t->r->multiple);

    if (t->p.len == 0) /* no Read of the root in LwM2M 1.0 */
        return C_NOTALLOWED;
    if (t->p.len >= 3 && !(t->r->ops & TETHER_LWM2M_OP_R))
        return C_NOTALLOWED; /* R19: E or W-only resource */
    if (tether_coap_accept(req, &accept) != 0) {
        /* A type text/plain cannot carry in this build (a Float with
         * TETHER_LWM2M_NO_FLOAT_TEXT) goes as TLV, which every server reads. */
        x = &client_fmts[!single                                           ? FMT_I_TLV
                         : t->r->type == TETHER_LWM2M_OPAQUE               ? FMT_I_OPAQUE
                         : fmt_carries(&client_fmts[FMT_I_TEXT], t->r->type) ? FMT_I_TEXT
                                                                             : FMT_I_TLV];
        accept = x->ct;
    } else {
        x = fmt_ops(accept, TETHER_LWM2M_FMT_ENCODE);
        if (x == NULL ||
            (single ? !fmt_carries(x, t->r->type) : !(fmt_flags(x) & TETHER_LWM2M_FMT_MULTI)))
            return C_NOTACCEPT;
    }
    *fmt = accept; /* a legacy number is answered as asked */
    *xp = x;
    return C_OK;
}

/* Read, and Observe (LwM2M 1.0 §5.5.1, RFC 7641 §4.1): Observe 0 registers
 * an observation and answers with its first Observe value; Observe 1 ends
 * the one with this token and answers as a Read. */
static void dm_read(dm_req *q, const dm_target *t)
{
    const client_fmt_ops *x;
    uint32_t fmt;
    uint8_t code = read_format(t, q->req, &fmt, &x);
#if CLIENT_OBSERVE
    uint32_t obs, seq;
    int slot;
#endif

    if (code != C_OK)
        { reply_code(q, code); return; }
#if CLIENT_OBSERVE
    if (tether_coap_observe(q->req, &obs) == 0) {
        if (obs == 0) {
            slot = client_obs_begin(q->c, q->s, q->in, &t->p, fmt, q->now, &seq);
            if (slot >= 0) {
                code = reply_payload(q, t, fmt, x->encode, seq);
                client_obs_finish(q->c, slot, q->now, code == C_OK);
                return;
            }
        } else if (obs == 1) {
            client_obs_cancel_token(q->c, q->s, q->in, q->now);
        }
    }
#endif
    (void)reply_payload(q, t, fmt, x->encode, -1);
}

/* --- Discover (LwM2M 1.0 §5.4.2) ------------------------------------------------------- */

static void link_resources(const tether_client *c, const client_server *s,
                           tether_lwm2m_link_writer *w, const client_object_slot *o,
                           uint16_t iid, const tether_client_res_def *only)
{
    for (uint16_t i = 0; i < o->def->nres; i++) {
        const tether_client_res_def *r = &o->def->res[i];
        tether_lwm2m_path p;

        if ((only != NULL && r != only) || !res_present(o, iid, r))
            continue;
        p = tether_lwm2m_path_make(3, o->def->oid, iid, r->id, 0);
        (void)tether_lwm2m_link_write_path(w, &p);
        if (r->multiple) {
            uint32_t dim = 0;
            for (int32_t ri = next_rinst(o, iid, r->id, -1); ri >= 0;
                 ri = next_rinst(o, iid, r->id, ri))
                dim++;
            (void)tether_lwm2m_link_write_attr_uint(w, "dim", dim);
        }
#if CLIENT_OBSERVE
        /* LwM2M 1.0 §5.4.2: a resource Discover shows what it inherits too. */
        if (s != NULL)
            client_attrs_link(c, s, &p, only != NULL, w);
#else
        (void)c;
        (void)s;
#endif
    }
}

static uint8_t encode_discover(tether_client *c, const dm_target *t, uint32_t fmt, uint8_t *dst,
                               size_t avail, size_t *n)
{
    const client_object_slot *o = t->o;
    tether_lwm2m_link_writer w;
    tether_lwm2m_path p;

    (void)fmt;
    (void)tether_lwm2m_link_writer_init(&w, dst, avail, NULL);
    switch (t->p.len) {
    case TETHER_LWM2M_OBJECT:
        p = tether_lwm2m_path_make(1, o->def->oid, 0, 0, 0);
        (void)tether_lwm2m_link_write_path(&w, &p);
#if CLIENT_OBSERVE
        client_attrs_link(c, t->s, &p, 0, &w);
#endif
        for (int32_t i = o->def->next_instance(o->user, -1); i >= 0;
             i = o->def->next_instance(o->user, i)) {
            p = tether_lwm2m_path_make(2, o->def->oid, (uint16_t)i, 0, 0);
            (void)tether_lwm2m_link_write_path(&w, &p);
#if CLIENT_OBSERVE
            client_attrs_link(c, t->s, &p, 0, &w);
#endif
            link_resources(c, t->s, &w, o, (uint16_t)i, NULL);
        }
        break;
    case TETHER_LWM2M_INSTANCE:
        (void)tether_lwm2m_link_write_path(&w, &t->p);
#if CLIENT_OBSERVE
        client_attrs_link(c, t->s, &t->p, 0, &w);
#endif
        link_resources(c, t->s, &w, o, t->p.ids[1], NULL);
        break;
    default:
        link_resources(c, t->s, &w, o, t->p.ids[1], t->r);
        break;
    }
    return tether_lwm2m_link_writer_finish(&w, n) == 0 ? C_OK : C_INTERNAL;
}

static void dm_discover(dm_req *q, const dm_target *t)
{
    if (t->p.len == 0 || t->p.len == 4)
        { reply_code(q, C_NOTALLOWED); return; }
    (void)reply_payload(q, t, TETHER_FMT_LINK, encode_discover, -1);
}

/* --- Write ------------------------------------------------------------------------------ */

static void dm_write(dm_req *q, const dm_target *t, int replace)
{
    tether_client *c = q->c;
    const client_object_slot *o = t->o;
    const client_fmt_ops *x;
    uint32_t fmt = TETHER_FMT_TEXT;
    tether_client_event ev;
    wr_state w;
    uint8_t code;

    if (t->p.len < 2 || t->p.len == 4) /* 1.0: Write targets an instance or a resource */
        { reply_code(q, C_NOTALLOWED); return; }
    if (t->p.len == 3 && !(t->r->ops & TETHER_LWM2M_OP_W))
        { reply_code(q, C_NOTALLOWED); return; } /* R19 */
    if (o->def->write == NULL)
        { reply_code(q, C_NOTALLOWED); return; }
    if (q->payload_len == 0) /* (a PUT with a query and no payload went to dm_attrs) */
        { reply_code(q, C_BAD); return; }
    (void)tether_coap_content_format(q->req, &fmt); /* none: text/plain */
    x = fmt_ops(fmt, TETHER_LWM2M_FMT_DECODE);
    /* One value cannot fill an instance or a multiple resource. */
    if (x == NULL || ((t->p.len == 2 || t->r->multiple) && !(fmt_flags(x) & TETHER_LWM2M_FMT_MULTI)))
        { reply_code(q, C_CT); return; }
    w.c = c;
    w.o = o;
    w.iid = t->p.ids[1];
    w.check_ops = 1;
    code = x->take(q, x, t, &w);
    if (code == C_OK)
        code = x->apply(&w);
    reply_code(q, code == C_OK ? TETHER_COAP_CHANGED : code);
    if (code != C_OK)
        return;
    memset(&ev, 0, sizeof(ev));
    ev.type = TETHER_CLIENT_EV_WRITTEN;
    ev.ssid = q->s->ssid;
    ev.at = TETHER_TIME_NEVER;
    ev.path = t->p;
    client_emit(c, q->now, &ev);
#if CLIENT_OBSERVE
    client_obs_changed(c, &t->p); /* notified once the answer is out */
    if (o->def->oid == 1)
        client_obs_reschedule(c); /* /1/x/2, /1/x/3 are the defaults (R24) */
#endif
    (void)replace; /* PUT and POST write alike here; Write-Attributes is dm_attrs */
}

/* Write-Attributes (LwM2M 1.0 §5.4.4): a PUT with Uri-Query and no payload. */
static void dm_attrs(dm_req *q, const dm_target *t)
{
#if CLIENT_OBSERVE
    uint8_t code;

    if (t->p.len == 0 || t->p.len == 4) /* 1.0: object, instance or resource */
        { reply_code(q, C_NOTALLOWED); return; }
    code = client_attrs_write(q->c, q->s, &t->p, t->r, q->req);
    reply_code(q, code);
    if (code == TETHER_COAP_CHANGED)
        client_obs_reschedule(q->c);
#else
    (void)t;
    reply_code(q, TETHER_COAP_NOT_IMPLEMENTED);
#endif
}

/* --- Execute, Create, Delete ---------------------------------------------------------------- */

static void dm_execute(dm_req *q, const dm_target *t)
{
    const client_object_slot *o = t->o;
    uint8_t code;

    if (t->p.len != 3)
        { reply_code(q, C_NOTALLOWED); return; }
    if (!(t->r->ops & TETHER_LWM2M_OP_E) || o->def->execute == NULL)
        { reply_code(q, C_NOTALLOWED); return; } /* R19 */
    code = handler_code(q->c, o->def->execute(o->user, t->p.ids[1], t->r->id, q->payload,
                                              q->payload_len));
    reply_code(q, code == C_OK ? TETHER_COAP_CHANGED : code);
}

/* Create (LwM2M 1.0 §5.4.5): the payload may name the new instance (a TLV
 * object instance entry, or the instance level of the records' paths);
 * when it does not, the client picks the lowest free id. */
static void dm_create(dm_req *q, const dm_target *t)
{
    tether_client *c = q->c;
    const client_object_slot *o = t->o;
    const client_fmt_ops *x = NULL;
    tether_coap_builder b;
    uint32_t fmt;
    wr_state w;
    uint8_t code = C_OK;
    int has_values = q->payload_len > 0;

    if (!o->def->multi_instance || o->def->create == NULL)
        { reply_code(q, C_NOTALLOWED); return; }
    w.c = c;
    w.o = o;
    w.iid = TETHER_LWM2M_ID_RESERVED;
    w.check_ops = 0;
    if (has_values) {
        if (tether_coap_content_format(q->req, &fmt) != 0 ||
            (x = fmt_ops(fmt, TETHER_LWM2M_FMT_DECODE)) == NULL ||
            !(fmt_flags(x) & TETHER_LWM2M_FMT_MULTI))
            { reply_code(q, C_CT); return; }
        code = x->take(q, x, t, &w);
        if (code != C_OK)
            { reply_code(q, code); return; }
    }
    if (w.iid == TETHER_LWM2M_ID_RESERVED) { /* the lowest free id */
        w.iid = 0;
        for (int32_t i = o->def->next_instance(o->user, -1); i >= 0 && (uint32_t)i == w.iid;
             i = o->def->next_instance(o->user, i))
            w.iid++;
        if (w.iid > TETHER_LWM2M_ID_MAX)
            { reply_code(q, C_BAD); return; }
    } else if (instance_exists(o, (uint16_t)w.iid)) {
        { reply_code(q, C_BAD); return; }
    }
    code = handler_code(c, o->def->create(o->user, (uint16_t)w.iid));
    if (code != C_OK)
        { reply_code(q, code); return; }
    if (x != NULL) {
        code = o->def->write == NULL ? C_NOTALLOWED : x->apply(&w);
        if (code != C_OK) {
            if (o->def->remove != NULL)
                (void)o->def->remove(o->user, (uint16_t)w.iid); /* nothing changes on refusal */
            { reply_code(q, code); return; }
        }
    }
    client_objects_changed(c);
#if CLIENT_OBSERVE
    client_obs_changed(c, &t->p); /* an observed object gained an instance */
#endif
    if (tether_coap_reply_begin(c->coap, &b, q->in, TETHER_COAP_CREATED) != 0)
        return;
    {
        /* Location-Path: oid, then iid (LwM2M 1.0 §5.4.5), from "/oid/iid". */
        tether_lwm2m_path created = tether_lwm2m_path_make(2, o->def->oid, (uint16_t)w.iid, 0, 0);
        char loc[TETHER_LWM2M_PATH_STR_MAX];
        (void)tether_lwm2m_path_format(&created, loc, sizeof(loc), NULL);
        (void)tether_coap_build_path(&b, TETHER_COAP_OPT_LOCATION_PATH, loc);
    }
    (void)tether_coap_reply_send(c->coap, q->now, q->in, &b);
}

static void dm_delete(dm_req *q, const dm_target *t)
{
    const client_object_slot *o = t->o;
    uint8_t code;

    if (t->p.len != 2 || !o->def->multi_instance || o->def->remove == NULL)
        { reply_code(q, C_NOTALLOWED); return; }
    code = handler_code(q->c, o->def->remove(o->user, t->p.ids[1]));
    if (code == C_OK) {
        client_objects_changed(q->c);
#if CLIENT_OBSERVE
        client_obs_changed(q->c, &t->p); /* its observers hear 4.04 */
#endif
    }
    reply_code(q, code == C_OK ? TETHER_COAP_DELETED : code);
}

/* --- dispatch ----------------------------------------------------------------------------- */

static void dm_dispatch(dm_req *q, const dm_target *t)
{
    uint32_t accept;

    switch (q->req->code) {
    case TETHER_COAP_GET:
        if (tether_coap_accept(q->req, &accept) == 0 && accept == TETHER_FMT_LINK)
            dm_discover(q, t);
        else
            dm_read(q, t);
        return;
    case TETHER_COAP_PUT: {
        tether_coap_opt opt;
        if (q->payload_len == 0 && !q->has_block1 &&
            tether_coap_opt_find(q->req, TETHER_COAP_OPT_URI_QUERY, &opt) == 0)
            dm_attrs(q, t);
        else
            dm_write(q, t, 1);
        return;
    }
    case TETHER_COAP_POST:
        if (t->p.len == 1)
            dm_create(q, t);
        else if (t->p.len == 2)
            dm_write(q, t, 0);
        else
            dm_execute(q, t);
        return;
    case TETHER_COAP_DELETE:
        dm_delete(q, t);
        return;
    default:
        reply_code(q, C_NOTALLOWED);
        return;
    }
}

void client_dm_handle(tether_client *c, client_server *s, tether_time now,
                      const tether_coap_msg *req, tether_coap_incoming *in)
{
    dm_req q;
    tether_lwm2m_path p;
    tether_coap_opt blk;
    dm_target t;
    uint8_t code;
    int rx_slot = -1;

    memset(&q, 0, sizeof(q));
    q.c = c;
    q.s = s;
    q.now = now;
    q.req = req;
    q.in = in;
    q.payload = req->payload;
    q.payload_len = req->payload_len;
    if (tether_lwm2m_path_from_msg(&p, req, CLIENT_HAS_ALT_PATH(c) ? c->alt_path + 1 : NULL) != 0) {
        reply_code(&q, C_NOTFOUND);
        return;
    }
    if (client_security_hidden(&p)) {
        reply_code(&q, C_UNAUTH); /* R18, LwM2M 1.0.2 §E.1 */
        return;
    }
    code = resolve(c, &p, &t);
    if (code != C_OK) {
        reply_code(&q, code);
        return;
    }
    t.s = s;
    if (tether_coap_opt_find(req, TETHER_COAP_OPT_BLOCK1, &blk) == 0) {
#if CLIENT_BLOCKWISE
        /* A body in blocks (RFC 7959 §2.5): collect it, answer 2.31 per
         * block, and act on the whole body with the last one. */
        tether_block1_rx_result r;
        int rc = tether_block1_rx_feed(c->rx, now, &in->peer, req, &r);
        if (rc != 0) {
            reply_code(&q, tether_block_answer_code(rc));
            return;
        }
        q.has_block1 = 1;
        q.block1 = r.block1;
        if (r.status == TETHER_BLOCK1_CONTINUE) {
            reply_code(&q, TETHER_COAP_CONTINUE);
            return;
        }
        q.payload = r.body;
        q.payload_len = r.body_len;
        rx_slot = r.slot;
#else
        reply_code(&q, TETHER_COAP_REQUEST_ENTITY_TOO_LARGE); /* block-wise compiled out */
        return;
#endif
    }
    TETHER_LOG(c->log, c->log_user, TETHER_LOG_DEBUG, CLIENT_LOG_MODULE,
               "%s: request %u.%02u on /%u/%u/%u (depth %u) from ssid %u", c->endpoint,
               TETHER_COAP_CLASS(req->code), TETHER_COAP_DETAIL(req->code), p.ids[0], p.ids[1],
               p.ids[2], p.len, s->ssid);
    dm_dispatch(&q, &t);
#if CLIENT_BLOCKWISE
    if (rx_slot >= 0)
        tether_block1_rx_release(c->rx, rx_slot);
#else
    (void)rx_slot;
#endif
}

/* --- for observe.c ------------------------------------------------------------------------ */

#if CLIENT_OBSERVE
uint8_t client_dm_encode(tether_client *c, const tether_lwm2m_path *p, uint32_t fmt,
                         uint8_t *dst, size_t avail, size_t *n)
{
    const client_fmt_ops *x;
    dm_target t;
    uint8_t code = resolve(c, p, &t);

    if (code != C_OK)
        return code;
    if (p->len == 0 || (p->len >= 3 && !(t.r->ops & TETHER_LWM2M_OP_R)))
        return C_NOTALLOWED;
    x = fmt_ops(fmt, TETHER_LWM2M_FMT_ENCODE); /* read_format() chose it */
    return x != NULL ? x->encode(c, &t, fmt, dst, avail, n) : C_INTERNAL;
}

static int numeric_type(uint8_t type)
{
    return type == TETHER_LWM2M_INTEGER || type == TETHER_LWM2M_FLOAT ||
           type == TETHER_LWM2M_UNSIGNED;
}

int client_dm_is_numeric(const tether_client *c, const tether_lwm2m_path *p)
{
    const client_object_slot *o;
    const tether_client_res_def *r;

    if (p->len != 3 || (o = client_object(c, p->ids[0])) == NULL ||
        (r = res_def(o->def, p->ids[2])) == NULL)
        return 0;
    return !r->multiple && (r->ops & TETHER_LWM2M_OP_R) && numeric_type(r->type);
}

int client_dm_read_number(tether_client *c, const tether_lwm2m_path *p, double *out)
{
    tether_lwm2m_value v;
    dm_target t;

    if (!client_dm_is_numeric(c, p) || resolve(c, p, &t) != C_OK ||
        read_value(c, t.o, p->ids[1], t.r, TETHER_LWM2M_ID_RESERVED, &v) != C_OK)
        return -1;
    switch (v.type) {
    case TETHER_LWM2M_INTEGER: *out = (double)v.i; return 0;
    case TETHER_LWM2M_UNSIGNED: *out = (double)v.u; return 0;
    case TETHER_LWM2M_FLOAT: *out = v.f; return 0;
    default: return -1;
    }
}
#endif
