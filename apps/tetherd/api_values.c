/* SPDX-License-Identifier: Apache-2.0 */
/* Content nodes (docs/API.md, Leshan's "kind"s) to and from typed values.
 * Out: the values of a Read answer or a notification, as the engine typed
 * them with the object models, become an obj / instance / singleResource /
 * multiResource / resourceInstance node for the request's path. In: a
 * Write or Create body becomes tether_lwm2m_records, each value typed by
 * the node's "type" or, without one, by the object model. Integers and
 * floats are written as exact decimals (cJSON would round integers through
 * a double and print a float only to within an epsilon); on input a decimal string is taken too, for integers beyond 2^53, and, as
 * Leshan's own UI sends them, numbers and booleans as text ("21.5",
 * "true"). */
#include "api_values.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tether/coap.h"
#include "tether/lwm2m.h"

const char *api_status_name(uint8_t code)
{
    switch (code) {
    case TETHER_COAP_CREATED: return "CREATED";
    case TETHER_COAP_DELETED: return "DELETED";
    case TETHER_COAP_VALID: return "VALID";
    case TETHER_COAP_CHANGED: return "CHANGED";
    case TETHER_COAP_CONTENT: return "CONTENT";
    case TETHER_COAP_CONTINUE: return "CONTINUE";
    case TETHER_COAP_BAD_REQUEST: return "BAD_REQUEST";
    case TETHER_COAP_UNAUTHORIZED: return "UNAUTHORIZED";
    case TETHER_COAP_BAD_OPTION: return "BAD_OPTION";
    case TETHER_COAP_FORBIDDEN: return "FORBIDDEN";
    case TETHER_COAP_NOT_FOUND: return "NOT_FOUND";
    case TETHER_COAP_METHOD_NOT_ALLOWED: return "METHOD_NOT_ALLOWED";
    case TETHER_COAP_NOT_ACCEPTABLE: return "NOT_ACCEPTABLE";
    case TETHER_COAP_REQUEST_ENTITY_INCOMPLETE: return "REQUEST_ENTITY_INCOMPLETE";
    case TETHER_COAP_PRECONDITION_FAILED: return "PRECONDITION_FAILED";
    case TETHER_COAP_REQUEST_ENTITY_TOO_LARGE: return "REQUEST_ENTITY_TOO_LARGE";
    case TETHER_COAP_UNSUPPORTED_CONTENT_FORMAT: return "UNSUPPORTED_CONTENT_FORMAT";
    case TETHER_COAP_INTERNAL_SERVER_ERROR: return "INTERNAL_SERVER_ERROR";
    case TETHER_COAP_NOT_IMPLEMENTED: return "NOT_IMPLEMENTED";
    case TETHER_COAP_BAD_GATEWAY: return "BAD_GATEWAY";
    case TETHER_COAP_SERVICE_UNAVAILABLE: return "SERVICE_UNAVAILABLE";
    case TETHER_COAP_GATEWAY_TIMEOUT: return "GATEWAY_TIMEOUT";
    default: return "UNKNOWN";
    }
}

static const struct {
    int type;
    const char *name;
} type_names[] = {
    {TETHER_LWM2M_STRING, "STRING"},   {TETHER_LWM2M_INTEGER, "INTEGER"},
    {TETHER_LWM2M_UNSIGNED, "UNSIGNED_INTEGER"}, {TETHER_LWM2M_FLOAT, "FLOAT"},
    {TETHER_LWM2M_BOOLEAN, "BOOLEAN"}, {TETHER_LWM2M_OPAQUE, "OPAQUE"},
    {TETHER_LWM2M_TIME, "TIME"},       {TETHER_LWM2M_OBJLNK, "OBJLNK"},
    {TETHER_LWM2M_CORELNK, "CORELINK"}, {TETHER_LWM2M_NONE, "NONE"},
};

const char *api_type_name(int type)
{
    for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
        if (type_names[i].type == type)
            return type_names[i].name;
    return "NONE";
}

static int type_from_name(const char *s)
{
    for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
        if (strcasecmp(type_names[i].name, s) == 0)
            return type_names[i].type;
    if (strcasecmp(s, "UNSIGNED") == 0)
        return TETHER_LWM2M_UNSIGNED;
    return -1;
}

/* --- out -------------------------------------------------------------------- */

static cJSON *hex_json(const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char *s = malloc(2 * n + 1);
    cJSON *j;

    if (s == NULL)
        return cJSON_CreateNull();
    for (size_t i = 0; i < n; i++) {
        s[2 * i] = digits[p[i] >> 4];
        s[2 * i + 1] = digits[p[i] & 15];
    }
    s[2 * n] = '\0';
    j = cJSON_CreateString(s);
    free(s);
    return j;
}

/* The JSON of v; *type gets the type name it travels as. */
static cJSON *value_json(const tether_lwm2m_value *v, int *type)
{
    char buf[32];

    *type = v->type;
    switch (v->type) {
    case TETHER_LWM2M_STRING:
    case TETHER_LWM2M_CORELNK: {
        char *s;
        cJSON *j;
        if (!tether_lwm2m_utf8_valid(v->bytes.ptr, v->bytes.len) ||
            memchr(v->bytes.ptr, 0, v->bytes.len) != NULL) {
            *type = TETHER_LWM2M_OPAQUE; /* not text JSON can carry */
            return hex_json(v->bytes.ptr, v->bytes.len);
        }
        *type = TETHER_LWM2M_STRING;
        s = malloc(v->bytes.len + 1);
        if (s == NULL)
            return cJSON_CreateNull();
        if (v->bytes.len > 0)
            memcpy(s, v->bytes.ptr, v->bytes.len);
        s[v->bytes.len] = '\0';
        j = cJSON_CreateString(s);
        free(s);
        return j;
    }
    case TETHER_LWM2M_INTEGER:
    case TETHER_LWM2M_TIME:
        snprintf(buf, sizeof(buf), "%lld", (long long)v->i);
        return cJSON_CreateRaw(buf);
    case TETHER_LWM2M_UNSIGNED:
        snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v->u);
        return cJSON_CreateRaw(buf);
    case TETHER_LWM2M_FLOAT:
        /* The shortest of 15..17 digits that reads back as exactly v->f:
         * cJSON's own printing settles for 15 digits within an epsilon,
         * which loses the last bit of 96.53888888888889. */
        if (!isfinite(v->f))
            return cJSON_CreateNull();
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(buf, sizeof(buf), "%.*g", prec, v->f);
            if (strtod(buf, NULL) == v->f)
                break;
        }
        return cJSON_CreateRaw(buf);
    case TETHER_LWM2M_BOOLEAN: return cJSON_CreateBool(v->b != 0);
    case TETHER_LWM2M_OPAQUE: return hex_json(v->bytes.ptr, v->bytes.len);
    case TETHER_LWM2M_OBJLNK:
        snprintf(buf, sizeof(buf), "%u:%u", v->lnk.obj, v->lnk.inst);
        return cJSON_CreateString(buf);
    default: *type = TETHER_LWM2M_NONE; return cJSON_CreateNull();
    }
}

typedef struct vset {
    const tether_model_registry *models;
    const tether_server_value *v;
    const size_t *ix; /* sorted by path */
    size_t n;
} vset;

static const tether_server_value *at(const vset *s, size_t k)
{
    return &s->v[s->ix[k]];
}

/* Values [i, j) share ids[0..2]: one resource. */
static cJSON *resource_node(const vset *s, size_t i, size_t j, uint16_t oid, uint16_t rid)
{
    const tether_model_resource *res =
        s->models != NULL ? tether_model_find_resource(s->models, oid, rid) : NULL;
    int multi = res != NULL && res->multiple;
    cJSON *o = cJSON_CreateObject();
    int type = res != NULL ? res->type : TETHER_LWM2M_NONE;

    for (size_t k = i; k < j; k++)
        if (at(s, k)->path.len == TETHER_LWM2M_RINSTANCE)
            multi = 1;
    if (multi) {
        cJSON *vals = cJSON_CreateObject();
        int seen = 0;
        cJSON_AddStringToObject(o, "kind", "multiResource");
        cJSON_AddNumberToObject(o, "id", rid);
        for (size_t k = i; k < j; k++) {
            const tether_server_value *v = at(s, k);
            char key[8];
            int t;
            if (v->path.len != TETHER_LWM2M_RINSTANCE)
                continue;
            snprintf(key, sizeof(key), "%u", v->path.ids[3]);
            cJSON_AddItemToObject(vals, key, value_json(&v->value, &t));
            if (!seen)
                type = t;
            seen = 1;
        }
        cJSON_AddStringToObject(o, "type", api_type_name(type));
        cJSON_AddItemToObject(o, "values", vals);
    } else {
        const tether_server_value *v = at(s, i);
        int t;
        cJSON *val = value_json(&v->value, &t);
        cJSON_AddStringToObject(o, "kind", "singleResource");
        cJSON_AddNumberToObject(o, "id", rid);
        cJSON_AddStringToObject(o, "type", api_type_name(t));
        cJSON_AddItemToObject(o, "value", val);
    }
    return o;
}

/* Values [i, j) share ids[0..1]: one instance. */
static cJSON *instance_node(const vset *s, size_t i, size_t j, uint16_t oid, uint16_t iid)
{
    cJSON *o = cJSON_CreateObject(), *a;

    cJSON_AddStringToObject(o, "kind", "instance");
    cJSON_AddNumberToObject(o, "id", iid);
    a = cJSON_AddArrayToObject(o, "resources");
    while (i < j) {
        size_t k = i;
        uint16_t rid;
        if (at(s, i)->path.len < TETHER_LWM2M_RESOURCE) {
            i++;
            continue;
        }
        rid = at(s, i)->path.ids[2];
        while (k < j && at(s, k)->path.len >= TETHER_LWM2M_RESOURCE &&
               at(s, k)->path.ids[2] == rid)
            k++;
        cJSON_AddItemToArray(a, resource_node(s, i, k, oid, rid));
        i = k;
    }
    return o;
}

static const tether_server_value *g_sort_v;

static int by_path(const void *a, const void *b)
{
    const size_t *x = a, *y = b;
    int c = tether_lwm2m_path_compare(&g_sort_v[*x].path, &g_sort_v[*y].path);
    return c != 0 ? c : (*x < *y ? -1 : *x > *y);
}

cJSON *api_values_node(const tether_model_registry *models, const tether_lwm2m_path *req,
                       const tether_server_value *v, size_t n)
{
    size_t *ix = malloc((n ? n : 1) * sizeof(*ix));
    vset s = {models, v, ix, n};
    cJSON *node = NULL;

    if (ix == NULL)
        return cJSON_CreateNull();
    for (size_t i = 0; i < n; i++)
        ix[i] = i;
    g_sort_v = v; /* one thread */
    qsort(ix, n, sizeof(*ix), by_path);
    switch (req->len) {
    case TETHER_LWM2M_OBJECT: {
        cJSON *a;
        size_t i = 0;
        node = cJSON_CreateObject();
        cJSON_AddStringToObject(node, "kind", "obj");
        cJSON_AddNumberToObject(node, "id", req->ids[0]);
        a = cJSON_AddArrayToObject(node, "instances");
        while (i < n) {
            size_t k = i;
            uint16_t iid;
            if (at(&s, i)->path.len < TETHER_LWM2M_INSTANCE) {
                i++;
                continue;
            }
            iid = at(&s, i)->path.ids[1];
            while (k < n && at(&s, k)->path.len >= TETHER_LWM2M_INSTANCE &&
                   at(&s, k)->path.ids[1] == iid)
                k++;
            cJSON_AddItemToArray(a, instance_node(&s, i, k, req->ids[0], iid));
            i = k;
        }
        break;
    }
    case TETHER_LWM2M_INSTANCE: node = instance_node(&s, 0, n, req->ids[0], req->ids[1]); break;
    case TETHER_LWM2M_RESOURCE:
        node = n > 0 ? resource_node(&s, 0, n, req->ids[0], req->ids[2]) : cJSON_CreateNull();
        break;
    case TETHER_LWM2M_RINSTANCE: {
        int t;
        cJSON *val;
        if (n == 0) {
            node = cJSON_CreateNull();
            break;
        }
        val = value_json(&at(&s, 0)->value, &t);
        node = cJSON_CreateObject();
        cJSON_AddStringToObject(node, "kind", "resourceInstance");
        cJSON_AddNumberToObject(node, "id", req->ids[3]);
        cJSON_AddStringToObject(node, "type", api_type_name(t));
        cJSON_AddItemToObject(node, "value", val);
        break;
    }
    default: node = cJSON_CreateNull(); break;
    }
    free(ix);
    return node;
}

/* --- in --------------------------------------------------------------------- */

typedef struct recs {
    const tether_model_registry *models;
    tether_lwm2m_record *v;
    size_t n, cap;
    char *why;
    size_t why_cap;
} recs;

static int fail(recs *r, const char *fmt, const char *path, const char *detail)
{
    snprintf(r->why, r->why_cap, fmt, path, detail);
    return TETHER_ERR_INVAL;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* An integer from a JSON number (integral, exact) or a decimal string. */
static int json_int(const cJSON *j, int is_unsigned, int64_t *i, uint64_t *u)
{
    if (cJSON_IsNumber(j)) {
        double d = j->valuedouble;
        /* +-2^53 itself may be a neighbour rounded by the parse
         * (9007199254740993 reads as 2^53): beyond 2^53 - 1 only a
         * decimal string is exact. */
        if (d != floor(d) || fabs(d) >= 9007199254740992.0 || (is_unsigned && d < 0))
            return -1;
        if (is_unsigned)
            *u = (uint64_t)d;
        else
            *i = (int64_t)d;
        return 0;
    }
    if (cJSON_IsString(j) && j->valuestring[0] != '\0') {
        tether_lwm2m_value v;
        const char *s = j->valuestring;
        if (tether_lwm2m_text_decode((const uint8_t *)s, strlen(s),
                                     is_unsigned ? TETHER_LWM2M_UNSIGNED : TETHER_LWM2M_INTEGER,
                                     &v) != 0)
            return -1;
        if (is_unsigned)
            *u = v.u;
        else
            *i = v.i;
        return 0;
    }
    return -1;
}

/* j (a JSON value) as a value of type; strings are views into j's own
 * memory (opaque hex is decoded in place). */
static int json_value(cJSON *j, int type, tether_lwm2m_value *out)
{
    memset(out, 0, sizeof(*out));
    switch (type) {
    case TETHER_LWM2M_STRING:
    case TETHER_LWM2M_CORELNK:
        if (!cJSON_IsString(j))
            return -1;
        *out = tether_lwm2m_value_cstr(j->valuestring);
        return 0;
    case TETHER_LWM2M_INTEGER:
    case TETHER_LWM2M_TIME: {
        int64_t i;
        if (json_int(j, 0, &i, NULL) != 0)
            return -1;
        *out = type == TETHER_LWM2M_TIME ? tether_lwm2m_value_time(i) : tether_lwm2m_value_int(i);
        return 0;
    }
    case TETHER_LWM2M_UNSIGNED: {
        uint64_t u;
        if (json_int(j, 1, NULL, &u) != 0)
            return -1;
        *out = tether_lwm2m_value_uint(u);
        return 0;
    }
    case TETHER_LWM2M_FLOAT:
        if (cJSON_IsString(j)) /* Leshan's UI sends numbers as text */
            return tether_lwm2m_text_decode((const uint8_t *)j->valuestring,
                                            strlen(j->valuestring), TETHER_LWM2M_FLOAT, out) == 0
                       ? 0
                       : -1;
        if (!cJSON_IsNumber(j) || !isfinite(j->valuedouble))
            return -1;
        *out = tether_lwm2m_value_float(j->valuedouble);
        return 0;
    case TETHER_LWM2M_BOOLEAN:
        if (cJSON_IsBool(j))
            *out = tether_lwm2m_value_bool(cJSON_IsTrue(j));
        else if (cJSON_IsNumber(j) && (j->valuedouble == 0 || j->valuedouble == 1))
            *out = tether_lwm2m_value_bool(j->valuedouble == 1);
        else if (cJSON_IsString(j) && (strcmp(j->valuestring, "true") == 0 ||
                                       strcmp(j->valuestring, "1") == 0))
            *out = tether_lwm2m_value_bool(1);
        else if (cJSON_IsString(j) && (strcmp(j->valuestring, "false") == 0 ||
                                       strcmp(j->valuestring, "0") == 0))
            *out = tether_lwm2m_value_bool(0);
        else
            return -1;
        return 0;
    case TETHER_LWM2M_OPAQUE: {
        char *s;
        size_t n;
        if (!cJSON_IsString(j))
            return -1;
        s = j->valuestring;
        n = strlen(s);
        if (n % 2 != 0)
            return -1;
        for (size_t k = 0; k < n / 2; k++) {
            int hi = hexval(s[2 * k]), lo = hexval(s[2 * k + 1]);
            if (hi < 0 || lo < 0)
                return -1;
            s[k] = (char)(hi << 4 | lo);
        }
        s[n / 2] = '\0';
        *out = tether_lwm2m_value_opaque(s, n / 2);
        return 0;
    }
    case TETHER_LWM2M_OBJLNK: {
        tether_lwm2m_value v;
        if (!cJSON_IsString(j) ||
            tether_lwm2m_text_decode((const uint8_t *)j->valuestring, strlen(j->valuestring),
                                     TETHER_LWM2M_OBJLNK, &v) != 0)
            return -1;
        *out = v;
        return 0;
    }
    default: return -1;
    }
}

static int add(recs *r, tether_lwm2m_path p, tether_lwm2m_value v)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        tether_lwm2m_record *nv = realloc(r->v, cap * sizeof(*nv));
        if (nv == NULL)
            return TETHER_ERR_NOMEM;
        r->v = nv;
        r->cap = cap;
    }
    memset(&r->v[r->n], 0, sizeof(r->v[0]));
    r->v[r->n].path = p;
    r->v[r->n].value = v;
    r->n++;
    return 0;
}

/* An id member, or -1 when absent; -2 when not an id. */
static int node_id(const cJSON *node)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(node, "id");

    if (id == NULL)
        return -1;
    if (!cJSON_IsNumber(id) || id->valuedouble < 0 || id->valuedouble > 65534 ||
        id->valuedouble != floor(id->valuedouble))
        return -2;
    return (int)id->valuedouble;
}

static const char *node_kind(const cJSON *node)
{
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(node, "kind");
    return cJSON_IsString(k) ? k->valuestring : "";
}

/* The type of resource node at p: its "type", else the model's. */
static int node_type(recs *r, const cJSON *node, const tether_lwm2m_path *p, int *type)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(node, "type");
    char ps[TETHER_LWM2M_PATH_STR_MAX];

    tether_lwm2m_path_format(p, ps, sizeof(ps), NULL);
    if (t != NULL) {
        if (!cJSON_IsString(t) || (*type = type_from_name(t->valuestring)) < 0)
            return fail(r, "%s: \"type\" %s is not a type name", ps,
                        cJSON_IsString(t) ? t->valuestring : "");
        if (*type == TETHER_LWM2M_NONE)
            return fail(r, "%s: %s cannot be written", ps, "a value of type NONE");
        return 0;
    }
    {
        const tether_model_resource *res =
            r->models != NULL ? tether_model_find_resource(r->models, p->ids[0], p->ids[2])
                              : NULL;
        if (res == NULL)
            return fail(r, "%s: no object model knows this resource%s", ps,
                        "; give its \"type\"");
        if (res->type == TETHER_LWM2M_NONE)
            return fail(r, "%s: %s", ps, "an executable resource has no value");
        *type = res->type;
    }
    return 0;
}

/* A resource node (single or multiple) under instance path ip. want: the
 * resource id the path names, or -1. */
static int resource_recs(recs *r, cJSON *node, tether_lwm2m_path ip, int want)
{
    const char *kind = node_kind(node);
    int id = node_id(node), type, err;
    tether_lwm2m_path p;
    char ps[TETHER_LWM2M_PATH_STR_MAX];
    tether_lwm2m_value v;

    if (!cJSON_IsObject(node))
        return fail(r, "%s: %s", "resource", "a resource node must be an object");
    if (id == -1)
        id = want;
    if (id < 0)
        return fail(r, "%s: %s", "resource", "\"id\" missing or not a resource id");
    if (want >= 0 && id != want)
        return fail(r, "%s: %s", "resource", "the node's \"id\" is not the resource the URL names");
    p = tether_lwm2m_path_make(3, ip.ids[0], ip.ids[1], (uint16_t)id, 0);
    tether_lwm2m_path_format(&p, ps, sizeof(ps), NULL);
    err = node_type(r, node, &p, &type);
    if (err != 0)
        return err;
    if (strcmp(kind, "singleResource") == 0) {
        cJSON *val = cJSON_GetObjectItemCaseSensitive(node, "value");
        if (val == NULL)
            return fail(r, "%s: %s", ps, "\"value\" missing");
        if (json_value(val, type, &v) != 0)
            return fail(r, "%s: \"value\" is not a valid %s", ps, api_type_name(type));
        return add(r, p, v);
    }
    if (strcmp(kind, "multiResource") == 0) {
        cJSON *vals = cJSON_GetObjectItemCaseSensitive(node, "values"), *e;
        if (!cJSON_IsObject(vals))
            return fail(r, "%s: %s", ps, "\"values\" must be an object {\"0\": value, ...}");
        if (vals->child == NULL) {
            memset(&v, 0, sizeof(v)); /* an empty multiple resource */
            return add(r, p, v);
        }
        cJSON_ArrayForEach(e, vals)
        {
            char *end;
            unsigned long ri = strtoul(e->string, &end, 10);
            tether_lwm2m_path rp;
            if (e->string[0] < '0' || e->string[0] > '9' || *end != '\0' || ri > 65534)
                return fail(r, "%s: \"values\" key %s is not a resource instance id", ps,
                            e->string);
            if (json_value(e, type, &v) != 0)
                return fail(r, "%s: a value is not a valid %s", ps, api_type_name(type));
            rp = tether_lwm2m_path_make(4, p.ids[0], p.ids[1], p.ids[2], (uint16_t)ri);
            if ((err = add(r, rp, v)) != 0)
                return err;
        }
        return 0;
    }
    return fail(r, "%s: \"kind\" must be singleResource or multiResource, not '%s'", ps, kind);
}

static int instance_recs(recs *r, cJSON *node, tether_lwm2m_path ip)
{
    cJSON *res = cJSON_GetObjectItemCaseSensitive(node, "resources"), *e;
    int err;

    if (!cJSON_IsArray(res))
        return fail(r, "%s: %s", "instance", "\"resources\" must be an array of resource nodes");
    cJSON_ArrayForEach(e, res)
    {
        if ((err = resource_recs(r, e, ip, -1)) != 0)
            return err;
    }
    if (r->n == 0)
        return fail(r, "%s: %s", "instance", "no resources to write");
    return 0;
}

int api_values_records(const tether_model_registry *models, const tether_lwm2m_path *req,
                       cJSON *node, int create, tether_lwm2m_record **out, size_t *n,
                       int *has_id, char *why, size_t why_cap)
{
    recs r = {models, NULL, 0, 0, why, why_cap};
    const char *kind;
    int err, id;

    *has_id = 0;
    if (!cJSON_IsObject(node)) {
        snprintf(why, why_cap, "the body must be a JSON content node");
        return TETHER_ERR_INVAL;
    }
    kind = node_kind(node);
    id = node_id(node);
    if (id == -2) {
        snprintf(why, why_cap, "\"id\" must be an id 0..65534");
        return TETHER_ERR_INVAL;
    }
    if (create || req->len == TETHER_LWM2M_INSTANCE) {
        tether_lwm2m_path ip;
        int iid = req->len >= TETHER_LWM2M_INSTANCE ? req->ids[1] : -1;
        if (strcmp(kind, "instance") != 0) {
            snprintf(why, why_cap, "the body must be an instance node (\"kind\":\"instance\")");
            return TETHER_ERR_INVAL;
        }
        if (id >= 0 && iid >= 0 && id != iid) {
            snprintf(why, why_cap, "the node's \"id\" %d is not the instance the URL names", id);
            return TETHER_ERR_INVAL;
        }
        if (iid < 0)
            iid = id;
        *has_id = iid >= 0;
        ip = tether_lwm2m_path_make(2, req->ids[0], (uint16_t)(iid >= 0 ? iid : 0), 0, 0);
        err = instance_recs(&r, node, ip);
    } else if (req->len == TETHER_LWM2M_RESOURCE) {
        tether_lwm2m_path ip = tether_lwm2m_path_make(2, req->ids[0], req->ids[1], 0, 0);
        err = resource_recs(&r, node, ip, req->ids[2]);
    } else if (req->len == TETHER_LWM2M_RINSTANCE) {
        int type;
        tether_lwm2m_value v;
        cJSON *val = cJSON_GetObjectItemCaseSensitive(node, "value");
        err = node_type(&r, node, req, &type);
        if (err == 0 && (val == NULL || json_value(val, type, &v) != 0)) {
            snprintf(why, why_cap, "\"value\" missing or not a valid %s", api_type_name(type));
            err = TETHER_ERR_INVAL;
        }
        if (err == 0)
            err = add(&r, *req, v);
    } else {
        snprintf(why, why_cap, "write needs an instance, resource or resource instance path");
        err = TETHER_ERR_INVAL;
    }
    if (err != 0) {
        free(r.v);
        return err;
    }
    *out = r.v;
    *n = r.n;
    return 0;
}
