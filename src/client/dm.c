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
 * with 5.01. */
#include <string.h>

#include "client/client_internal.h"
#include "common/log_internal.h"
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

static int is_tlv(uint32_t fmt)
{
    return fmt == TETHER_FMT_TLV || fmt == TETHER_FMT_TLV_LEGACY;
}

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

/* Encode the target as fmt into dst. Returns a CoAP code; C_TOO_BIG when it
 * does not fit in avail. */
static uint8_t encode_read(tether_client *c, const dm_target *t, uint32_t fmt, uint8_t *dst,
                           size_t avail, size_t *n)
{
    const client_object_slot *o = t->o;
    tether_lwm2m_value v;
    tether_tlv_writer w;
    uint8_t code = C_OK;
    uint16_t riid = t->p.len == 4 ? t->p.ids[3] : TETHER_LWM2M_ID_RESERVED;

    if (!is_tlv(fmt)) { /* one value: text/plain or opaque */
        code = read_value(c, o, t->p.ids[1], t->r, riid, &v);
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
        code = read_value(c, o, t->p.ids[1], t->r, riid, &v);
        if (code == C_OK)
            (void)tether_tlv_write_value(&w, TETHER_TLV_RESOURCE_INSTANCE, riid, &v);
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

/* Answer with a payload in fmt produced by encode (read or discover). */
typedef uint8_t (*encode_fn)(tether_client *c, const dm_target *t, uint32_t fmt, uint8_t *dst,
                             size_t avail, size_t *n);

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

/* The format a Read of t answers in, from the request's Accept. Returns 0,
 * 4.05 (nothing to read there) or 4.06. */
static uint8_t read_format(const dm_target *t, const tether_coap_msg *req, uint32_t *fmt)
{
    uint32_t accept;
    int has_accept = tether_coap_accept(req, &accept) == 0;
    int single = t->p.len == 4 || (t->p.len == 3 && !t->r->multiple);

    if (t->p.len == 0) /* no Read of the root in LwM2M 1.0 */
        return C_NOTALLOWED;
    if (t->p.len >= 3 && !(t->r->ops & TETHER_LWM2M_OP_R))
        return C_NOTALLOWED; /* R19: E or W-only resource */
    if (has_accept && is_tlv(accept)) {
        *fmt = accept;
    } else if (!single) {
        if (has_accept) /* several values: only TLV carries them here */
            return C_NOTACCEPT;
        *fmt = TETHER_FMT_TLV;
    } else if (!has_accept) {
        /* A type text/plain cannot carry in this build (a Float with
         * TETHER_LWM2M_NO_FLOAT_TEXT) goes as TLV, which every server reads. */
        *fmt = t->r->type == TETHER_LWM2M_OPAQUE           ? TETHER_FMT_OPAQUE
               : tether_lwm2m_text_supports(t->r->type) ? TETHER_FMT_TEXT
                                                         : TETHER_FMT_TLV;
    } else if (accept == TETHER_FMT_TEXT && tether_lwm2m_text_supports(t->r->type)) {
        *fmt = TETHER_FMT_TEXT;
    } else if (accept == TETHER_FMT_OPAQUE && t->r->type == TETHER_LWM2M_OPAQUE) {
        *fmt = TETHER_FMT_OPAQUE;
    } else {
        return C_NOTACCEPT;
    }
    return C_OK;
}

/* Read, and Observe (LwM2M 1.0 §5.5.1, RFC 7641 §4.1): Observe 0 registers
 * an observation and answers with its first Observe value; Observe 1 ends
 * the one with this token and answers as a Read. */
static void dm_read(dm_req *q, const dm_target *t)
{
    uint32_t fmt;
    uint8_t code = read_format(t, q->req, &fmt);
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
                code = reply_payload(q, t, fmt, encode_read, seq);
                client_obs_finish(q->c, slot, q->now, code == C_OK);
                return;
            }
        } else if (obs == 1) {
            client_obs_cancel_token(q->c, q->s, q->in, q->now);
        }
    }
#endif
    (void)reply_payload(q, t, fmt, encode_read, -1);
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
    if (o->def->write == NULL)
        return C_NOTALLOWED;
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

/* Every resource entry of one level, for instance iid: every value is
 * checked first, then all are applied, so nothing changes on a refusal. */
static uint8_t write_tlv_level(tether_client *c, const client_object_slot *o, uint16_t iid,
                               const tether_tlv_iter *level, uint16_t want_rid, int check_ops)
{
    for (int commit = 0; commit <= 1; commit++) {
        tether_tlv_iter it = *level;
        tether_tlv_entry e;
        uint8_t code;
        int rc, count = 0;

        while ((rc = tether_tlv_next(&it, &e)) == 0) {
            code = write_tlv_resource(c, o, iid, &e, want_rid, check_ops, commit);
            if (code != C_OK)
                return code;
            count++;
        }
        if (rc != TETHER_ERR_NOT_FOUND)
            return C_BAD;
        if (want_rid != TETHER_LWM2M_ID_RESERVED && count != 1)
            return C_BAD;
    }
    return C_OK;
}

/* The resources of a TLV payload for one instance: either bare resource
 * entries, or a single OBJECT_INSTANCE entry wrapping them (servers send
 * both). *iid: in, the instance the path names, or TETHER_LWM2M_ID_RESERVED
 * (Create) to take the wrapper's id, which stays RESERVED if none. */
static uint8_t tlv_instance_level(const dm_req *q, tether_tlv_iter *level, uint16_t *iid)
{
    tether_tlv_iter top;
    tether_tlv_entry e, extra;

    if (tether_tlv_validate(q->payload, q->payload_len) != 0)
        return C_BAD;
    tether_tlv_iter_init(&top, q->payload, q->payload_len);
    *level = top;
    if (tether_tlv_next(&top, &e) != 0 || e.type != TETHER_TLV_OBJECT_INSTANCE)
        return C_OK; /* bare resources (or nothing) */
    if (tether_tlv_next(&top, &extra) == 0)
        return C_BAD; /* several instances for one target */
    if (*iid != TETHER_LWM2M_ID_RESERVED && e.id != *iid)
        return C_BAD;
    *iid = e.id;
    return tether_tlv_iter_enter(level, &e) == 0 ? C_OK : C_BAD;
}

static void dm_write(dm_req *q, const dm_target *t, int replace)
{
    tether_client *c = q->c;
    const client_object_slot *o = t->o;
    uint32_t fmt = TETHER_FMT_TEXT;
    uint16_t iid = t->p.ids[1];
    tether_client_event ev;
    uint8_t code = C_OK;

    if (t->p.len < 2 || t->p.len == 4) /* 1.0: Write targets an instance or a resource */
        { reply_code(q, C_NOTALLOWED); return; }
    if (t->p.len == 3 && (!(t->r->ops & TETHER_LWM2M_OP_W) || o->def->write == NULL))
        { reply_code(q, C_NOTALLOWED); return; } /* R19 */
    if (t->p.len == 2 && o->def->write == NULL)
        { reply_code(q, C_NOTALLOWED); return; }
    if (q->payload_len == 0) /* (a PUT with a query and no payload went to dm_attrs) */
        { reply_code(q, C_BAD); return; }
    (void)tether_coap_content_format(q->req, &fmt); /* none: text/plain */

    if (t->p.len == 3 && !is_tlv(fmt)) {
        tether_lwm2m_value v;
        int rc;
        if (fmt != TETHER_FMT_TEXT && fmt != TETHER_FMT_OPAQUE)
            { reply_code(q, C_CT); return; }
        if (t->r->multiple) /* several values need TLV */
            { reply_code(q, C_CT); return; }
        rc = tether_lwm2m_single_decode(fmt, q->payload, q->payload_len, t->r->type, &v);
        if (rc == TETHER_ERR_UNSUPPORTED)
            { reply_code(q, C_CT); return; } /* opaque as text, or a number as opaque */
        if (rc != 0 || (v.type == TETHER_LWM2M_STRING &&
                        !tether_lwm2m_utf8_valid(v.bytes.ptr, v.bytes.len)))
            { reply_code(q, C_BAD); return; }
        for (int commit = 0; commit <= 1 && code == C_OK; commit++)
            code = handler_code(c, o->def->write(o->user, iid, t->r->id,
                                                 TETHER_LWM2M_ID_RESERVED, &v, commit));
    } else {
        tether_tlv_iter level;
        if (!is_tlv(fmt))
            { reply_code(q, C_CT); return; } /* an instance needs TLV */
        if (t->p.len == 3) {
            if (tether_tlv_validate(q->payload, q->payload_len) != 0)
                { reply_code(q, C_BAD); return; }
            tether_tlv_iter_init(&level, q->payload, q->payload_len);
        } else {
            code = tlv_instance_level(q, &level, &iid);
        }
        if (code == C_OK)
            code = write_tlv_level(c, o, iid, &level,
                                   t->p.len == 3 ? t->r->id : TETHER_LWM2M_ID_RESERVED, 1);
    }
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

static void dm_create(dm_req *q, const dm_target *t)
{
    tether_client *c = q->c;
    const client_object_slot *o = t->o;
    uint16_t iid = TETHER_LWM2M_ID_RESERVED;
    tether_coap_builder b;
    tether_tlv_iter level;
    uint32_t fmt = TETHER_FMT_TLV;
    uint8_t code = C_OK;
    int has_values = q->payload_len > 0;

    if (!o->def->multi_instance || o->def->create == NULL)
        { reply_code(q, C_NOTALLOWED); return; }
    if (has_values) {
        if (tether_coap_content_format(q->req, &fmt) != 0 || !is_tlv(fmt))
            { reply_code(q, C_CT); return; }
        code = tlv_instance_level(q, &level, &iid);
        if (code != C_OK)
            { reply_code(q, code); return; }
    }
    if (iid == TETHER_LWM2M_ID_RESERVED) { /* the lowest free id */
        iid = 0;
        for (int32_t i = o->def->next_instance(o->user, -1); i >= 0 && i == iid;
             i = o->def->next_instance(o->user, i))
            iid++;
        if (iid > TETHER_LWM2M_ID_MAX)
            { reply_code(q, C_BAD); return; }
    } else if (instance_exists(o, iid)) {
        { reply_code(q, C_BAD); return; }
    }
    code = handler_code(c, o->def->create(o->user, iid));
    if (code != C_OK)
        { reply_code(q, code); return; }
    if (has_values) {
        if (o->def->write == NULL)
            code = C_NOTALLOWED;
        if (code == C_OK)
            code = write_tlv_level(c, o, iid, &level, TETHER_LWM2M_ID_RESERVED, 0);
        if (code != C_OK) {
            if (o->def->remove != NULL)
                (void)o->def->remove(o->user, iid); /* nothing changes on refusal */
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
        tether_lwm2m_path created = tether_lwm2m_path_make(2, o->def->oid, iid, 0, 0);
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
    dm_target t;
    uint8_t code = resolve(c, p, &t);

    if (code != C_OK)
        return code;
    if (p->len == 0 || (p->len >= 3 && !(t.r->ops & TETHER_LWM2M_OP_R)))
        return C_NOTALLOWED;
    return encode_read(c, &t, fmt, dst, avail, n);
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
