/* SPDX-License-Identifier: Apache-2.0 */
/* What each device-management operation may address and carries
 * (LwM2M 1.0 §5.4, §8.2.4, with 1.1's resource-instance paths), checked
 * before anything is built, and what its answer means: the Write-Attributes
 * query (§5.1.2), the Execute arguments grammar (§5.4.5), the instance id a
 * Create's 2.01 names in its Location-Path, and a Discover answer's
 * link-format entries with their attributes (parsed through
 * tether/lwm2m_link.h). The request lifecycle itself is dm.c's.
 *
 *   op                depth of the path     needs
 *   Read, Observe     1..4                  -
 *   Discover          1..3                  -
 *   Write (both)      2..4                  a Content-Format
 *   Execute           3                     arguments, if any, in §5.4.5 form
 *   Create            1                     a Content-Format
 *   Delete            2                     -
 *   Write-Attributes  1..4                  attributes that pass
 *                                           tether_server_attrs_check() */
#define TETHER_ALLOW_ALLOC
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "server/dm_internal.h"
#include "tether/lwm2m_link.h"
#include "tether_poison.h"

const char *tether_server_op_name(int op)
{
    switch (op) {
    case TETHER_SERVER_OP_READ: return "read";
    case TETHER_SERVER_OP_WRITE: return "write";
    case TETHER_SERVER_OP_WRITE_PARTIAL: return "write-partial";
    case TETHER_SERVER_OP_EXECUTE: return "execute";
    case TETHER_SERVER_OP_DISCOVER: return "discover";
    case TETHER_SERVER_OP_CREATE: return "create";
    case TETHER_SERVER_OP_DELETE: return "delete";
    case TETHER_SERVER_OP_WRITE_ATTRS: return "write-attributes";
    case TETHER_SERVER_OP_OBSERVE: return "observe";
    }
    return "?";
}

uint8_t tether_dm_op_method(int op)
{
    switch (op) {
    case TETHER_SERVER_OP_WRITE:
    case TETHER_SERVER_OP_WRITE_ATTRS:
        return TETHER_COAP_PUT;
    case TETHER_SERVER_OP_WRITE_PARTIAL:
    case TETHER_SERVER_OP_EXECUTE:
    case TETHER_SERVER_OP_CREATE:
        return TETHER_COAP_POST;
    case TETHER_SERVER_OP_DELETE:
        return TETHER_COAP_DELETE;
    default:
        return TETHER_COAP_GET;
    }
}

/* --- attributes ---------------------------------------------------------------- */

#define WRITABLE_ATTRS \
    (TETHER_ATTR_PMIN | TETHER_ATTR_PMAX | TETHER_ATTR_GT | TETHER_ATTR_LT | TETHER_ATTR_ST)

int tether_server_attrs_check(const tether_server_attrs *a, const char **why)
{
    const char *w = NULL;

    if (a == NULL)
        w = "no attributes";
    else if ((a->set | a->clear) & ~(unsigned)WRITABLE_ATTRS)
        w = "only pmin, pmax, gt, lt and st can be written";
    else if ((a->set | a->clear) == 0)
        w = "no attribute to write";
    else if (a->set & a->clear)
        w = "an attribute is both set and cleared";
    else if (((a->set & TETHER_ATTR_GT) && !isfinite(a->gt)) ||
             ((a->set & TETHER_ATTR_LT) && !isfinite(a->lt)) ||
             ((a->set & TETHER_ATTR_ST) && !isfinite(a->st)))
        w = "gt, lt and st must be finite numbers";
    else if ((a->set & TETHER_ATTR_ST) && a->st < 0)
        w = "st must not be negative";
    else if ((a->set & TETHER_ATTR_PMIN) && (a->set & TETHER_ATTR_PMAX) && a->pmax < a->pmin)
        w = "pmax must not be less than pmin";
    else if ((a->set & TETHER_ATTR_GT) && (a->set & TETHER_ATTR_LT) && !(a->lt < a->gt))
        w = "lt must be less than gt (LwM2M 1.0 5.1.2)";
    else if ((a->set & (TETHER_ATTR_GT | TETHER_ATTR_LT | TETHER_ATTR_ST)) ==
                 (TETHER_ATTR_GT | TETHER_ATTR_LT | TETHER_ATTR_ST) &&
             !(a->lt + 2 * a->st < a->gt))
        w = "lt + 2*st must be less than gt (LwM2M 1.0 5.1.2)";
    if (why != NULL)
        *why = w;
    return w == NULL ? 0 : TETHER_ERR_INVAL;
}

static const struct {
    unsigned bit;
    const char *name;
} attr_names[] = {
    {TETHER_ATTR_PMIN, "pmin"}, {TETHER_ATTR_PMAX, "pmax"}, {TETHER_ATTR_GT, "gt"},
    {TETHER_ATTR_LT, "lt"},     {TETHER_ATTR_ST, "st"},     {TETHER_ATTR_DIM, "dim"},
};

int tether_dm_build_attrs(tether_coap_builder *b, const tether_server_attrs *a)
{
    for (size_t i = 0; i < sizeof(attr_names) / sizeof(attr_names[0]); i++) {
        unsigned bit = attr_names[i].bit;
        char opt[48];
        int n;

        if (a->clear & bit) {
            tether_coap_build_opt_str(b, TETHER_COAP_OPT_URI_QUERY, attr_names[i].name);
            continue;
        }
        if (!(a->set & bit))
            continue;
        n = snprintf(opt, sizeof(opt), "%s=", attr_names[i].name);
        if (bit == TETHER_ATTR_GT || bit == TETHER_ATTR_LT || bit == TETHER_ATTR_ST) {
            tether_lwm2m_value v = tether_lwm2m_value_float(
                bit == TETHER_ATTR_GT ? a->gt : bit == TETHER_ATTR_LT ? a->lt : a->st);
            size_t len = 0;
            /* Shortest text that reads back to the same double, no locale. */
            if (tether_lwm2m_text_encode(&v, (uint8_t *)opt + n, sizeof(opt) - (size_t)n, &len) != 0)
                return TETHER_ERR_INVAL;
            n += (int)len;
        } else {
            n += snprintf(opt + n, sizeof(opt) - (size_t)n, "%u",
                          (unsigned)(bit == TETHER_ATTR_PMIN ? a->pmin
                                     : bit == TETHER_ATTR_PMAX ? a->pmax
                                                               : a->dim));
        }
        tether_coap_build_opt(b, TETHER_COAP_OPT_URI_QUERY, opt, (size_t)n);
    }
    return b->err;
}

/* --- Execute arguments (LwM2M 1.0 §5.4.5) ---------------------------------------
 *
 *   arglist  = argument *( "," argument )
 *   argument = DIGIT [ "=" "'" *CHAR "'" ]
 *   CHAR     = %x21 / %x23-26 / %x28-5B / %x5D-7E   (no space, ", ', \) */

static int arg_char(uint8_t c)
{
    return c == 0x21 || (c >= 0x23 && c <= 0x26) || (c >= 0x28 && c <= 0x5B) ||
           (c >= 0x5D && c <= 0x7E);
}

static int args_valid(const uint8_t *p, size_t len)
{
    size_t i = 0;

    if (len == 0)
        return 1;
    for (;;) {
        if (i >= len || p[i] < '0' || p[i] > '9')
            return 0;
        i++;
        if (i < len && p[i] == '=') {
            i++;
            if (i >= len || p[i] != '\'')
                return 0;
            i++;
            while (i < len && p[i] != '\'') {
                if (!arg_char(p[i]))
                    return 0;
                i++;
            }
            if (i >= len)
                return 0; /* no closing quote */
            i++;
        }
        if (i == len)
            return 1;
        if (p[i] != ',')
            return 0;
        i++;
    }
}

/* --- the checks ----------------------------------------------------------------- */

int tether_dm_op_check(const tether_server_request *r, const tether_lwm2m_path *p,
                       const char **why)
{
    uint8_t lo = 1, hi = 4;
    int needs_format = 0;

    *why = NULL;
    switch (r->op) {
    case TETHER_SERVER_OP_READ:
    case TETHER_SERVER_OP_OBSERVE:
        break;
    case TETHER_SERVER_OP_DISCOVER:
        hi = 3;
        break;
    case TETHER_SERVER_OP_WRITE:
    case TETHER_SERVER_OP_WRITE_PARTIAL:
        lo = 2;
        needs_format = 1;
        break;
    case TETHER_SERVER_OP_EXECUTE:
        lo = hi = 3;
        if (!args_valid(r->payload, r->len)) {
            *why = "the arguments are not digit[='value'] separated by commas (LwM2M 1.0 5.4.5)";
            return TETHER_ERR_INVAL;
        }
        break;
    case TETHER_SERVER_OP_CREATE:
        lo = hi = 1;
        needs_format = 1;
        break;
    case TETHER_SERVER_OP_DELETE:
        lo = hi = 2;
        break;
    case TETHER_SERVER_OP_WRITE_ATTRS:
        if (tether_server_attrs_check(r->attrs, why) != 0)
            return TETHER_ERR_INVAL;
        break;
    default:
        *why = "unknown operation";
        return TETHER_ERR_INVAL;
    }
    if (p->len < lo || p->len > hi) {
        static const char *const depth[] = {
            "", "the path must name an object", "the path must name an instance",
            "the path must name a resource", ""};
        if (lo == hi)
            *why = depth[lo];
        else
            *why = p->len < lo ? "the path is too short for this operation"
                               : "the path is too deep for this operation";
        return TETHER_ERR_INVAL;
    }
    if (needs_format && (r->format == TETHER_SERVER_NO_FORMAT || r->format > 0xFFFF)) {
        *why = "the payload needs a Content-Format";
        return TETHER_ERR_INVAL;
    }
    return 0;
}

/* --- answers -------------------------------------------------------------------- */

/* A decimal id 0..65534 of len bytes. */
static int parse_id(const uint8_t *p, size_t len, uint16_t *out)
{
    tether_lwm2m_path path;

    if (len == 0 || len > 5)
        return TETHER_ERR_MALFORMED;
    /* "/" + id is a one-level path: reuse its strict parser. */
    {
        char buf[8];
        buf[0] = '/';
        memcpy(buf + 1, p, len);
        if (tether_lwm2m_path_parse(&path, buf, len + 1) != 0)
            return TETHER_ERR_MALFORMED;
    }
    *out = path.ids[0];
    return 0;
}

static int attr_uint(tether_lwm2m_view v, uint32_t *out)
{
    tether_lwm2m_value x;

    if (tether_lwm2m_text_decode(v.ptr, v.len, TETHER_LWM2M_INTEGER, &x) != 0 || x.i < 0 ||
        x.i > (int64_t)UINT32_MAX)
        return TETHER_ERR_MALFORMED;
    *out = (uint32_t)x.i;
    return 0;
}

static int attr_float(tether_lwm2m_view v, double *out)
{
    tether_lwm2m_value x;

    if (tether_lwm2m_text_decode(v.ptr, v.len, TETHER_LWM2M_FLOAT, &x) != 0)
        return TETHER_ERR_MALFORMED;
    *out = x.f;
    return 0;
}

static void link_attrs(const tether_lwm2m_link *e, tether_server_link *out)
{
    tether_lwm2m_view name, value;
    size_t pos = 0;
    int has_value;

    memset(out, 0, sizeof(*out));
    out->path = e->path;
    out->has_ver = e->has_ver;
    out->ver_major = e->ver_major;
    out->ver_minor = e->ver_minor;
    while (tether_lwm2m_link_attr_next(e, &pos, &name, &value, &has_value) == 0) {
        tether_server_attrs *a = &out->attrs;
        if (!has_value)
            continue;
        for (size_t i = 0; i < sizeof(attr_names) / sizeof(attr_names[0]); i++) {
            unsigned bit = attr_names[i].bit;
            int err;
            if (name.len != strlen(attr_names[i].name) ||
                memcmp(name.ptr, attr_names[i].name, name.len) != 0)
                continue;
            switch (bit) {
            case TETHER_ATTR_PMIN: err = attr_uint(value, &a->pmin); break;
            case TETHER_ATTR_PMAX: err = attr_uint(value, &a->pmax); break;
            case TETHER_ATTR_DIM: err = attr_uint(value, &a->dim); break;
            case TETHER_ATTR_GT: err = attr_float(value, &a->gt); break;
            case TETHER_ATTR_LT: err = attr_float(value, &a->lt); break;
            default: err = attr_float(value, &a->st); break;
            }
            if (err == 0)
                a->set |= bit;
        }
    }
}

void tether_dm_parse_answer(tether_server *srv, const dm_req *req, const tether_coap_msg *msg,
                            tether_server_response *resp, tether_server_link **links)
{
    *links = NULL;
    if (req->op == TETHER_SERVER_OP_CREATE && msg->code == TETHER_COAP_CREATED) {
        tether_coap_opt lp[8];
        size_t n = 0;
        uint16_t iid;
        /* rd-like "/3303/1", possibly under the client's root: the last
         * segment is the new instance. */
        (void)tether_coap_opt_collect(msg, TETHER_COAP_OPT_LOCATION_PATH, lp, 8, &n);
        if (n > 0 && n <= 8 && parse_id(lp[n - 1].val, lp[n - 1].len, &iid) == 0)
            resp->created_iid = iid;
    }
    if (req->op == TETHER_SERVER_OP_DISCOVER && msg->code == TETHER_COAP_CONTENT &&
        (resp->content_format == TETHER_FMT_LINK ||
         resp->content_format == TETHER_SERVER_NO_FORMAT) &&
        resp->payload_len > 0) {
        tether_lwm2m_link_iter it;
        tether_lwm2m_link e;
        tether_server_link *arr;
        size_t n, i = 0;

        if (tether_lwm2m_link_iter_init(&it, resp->payload, resp->payload_len) != 0)
            return;
        n = tether_lwm2m_link_count(&it);
        if (n == 0 || n > SIZE_MAX / sizeof(*arr))
            return;
        arr = tether_server_alloc(srv, NULL, n * sizeof(*arr));
        if (arr == NULL)
            return;
        while (i < n && tether_lwm2m_link_next(&it, &e) == 0) {
            if (e.is_root)
                continue;
            link_attrs(&e, &arr[i++]);
        }
        resp->links = arr;
        resp->n_links = i;
        *links = arr;
    }
}

void tether_dm_links_free(tether_server *srv, tether_server_link *links)
{
    if (links != NULL)
        tether_server_alloc(srv, links, 0);
}
