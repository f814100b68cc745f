/* SPDX-License-Identifier: Apache-2.0 */
/* OMA DDF XML loading (the object registry's format, LWM2M.xsd) with
 * libexpat: a streaming parse into one pending definition at a time, each
 * finished definition packed into a single allocation (the object, its
 * resources, then its strings), and a staging list that reaches the
 * registry only when every file of the call has loaded, so that a failed
 * load leaves the registry as it was.
 *
 * The parser is a small state machine over element depth: LWM2M > Object >
 * (fields | Resources > Item > fields). Unknown elements are skipped with
 * their subtree; a field holding an element is an error. Expat checks the
 * XML itself (well-formedness, encodings); a DOCTYPE is refused before any
 * entity can be declared, so expansion attacks have nothing to expand.
 * Errors stop the parser at once and name the file and the line of the
 * element at fault. */
#define TETHER_ALLOW_ALLOC
#include "tether/model.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#ifdef TETHER_HAVE_EXPAT
#include <expat.h>
#endif

#include "server/model_internal.h"
#include "tether_poison.h"

/* Longest text of one field; registry descriptions stay below 4 KiB. */
#define DDF_TEXT_MAX 65536u

/* Definitions loaded by the current call, not yet in the registry. src is
 * the file name (borrowed from the caller for the length of the call). */
typedef struct staged {
    tether_model_entry e;
    const char *src;
    unsigned long line;
} staged;

typedef struct stage {
    tether_model_registry *reg;
    staged *v;
    size_t n, cap;
} stage;

static void stage_drop(stage *st)
{
    for (size_t i = 0; i < st->n; i++)
        tether_model_alloc(st->reg, st->v[i].e.owned, 0);
    if (st->v != NULL)
        tether_model_alloc(st->reg, st->v, 0);
    st->v = NULL;
    st->n = st->cap = 0;
}

/* Move every staged definition into the registry (all or nothing). */
static int stage_commit(stage *st)
{
    tether_model_entry *e;
    int rc;

    if (st->n == 0)
        return 0;
    e = tether_model_alloc(st->reg, NULL, st->n * sizeof(*e));
    if (e == NULL) {
        stage_drop(st);
        return tether_model_set_err(st->reg, TETHER_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < st->n; i++)
        e[i] = st->v[i].e;
    rc = tether_model_commit(st->reg, e, st->n);
    tether_model_alloc(st->reg, e, 0);
    if (rc != 0) {
        stage_drop(st);
        return rc;
    }
    /* The registry owns the blocks now. */
    tether_model_alloc(st->reg, st->v, 0);
    st->v = NULL;
    st->n = st->cap = 0;
    return 0;
}

#ifdef TETHER_HAVE_EXPAT

/* A growable byte buffer through the registry's allocator. */
typedef struct dbuf {
    char *p;
    size_t n, cap;
} dbuf;

static int dbuf_add(tether_model_registry *reg, dbuf *b, const void *s, size_t len)
{
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        char *p;
        while (cap < b->n + len + 1)
            cap *= 2;
        p = tether_model_alloc(reg, b->p, cap);
        if (p == NULL)
            return TETHER_ERR_NOMEM;
        b->p = p;
        b->cap = cap;
    }
    if (len > 0)
        memcpy(b->p + b->n, s, len);
    b->n += len;
    b->p[b->n] = '\0';
    return 0;
}

static void dbuf_free(tether_model_registry *reg, dbuf *b)
{
    if (b->p != NULL)
        tether_model_alloc(reg, b->p, 0);
    b->p = NULL;
    b->n = b->cap = 0;
}

/* The fields, as bits of "seen" (a field given twice is an error). */
enum field {
    F_NONE = 0,
    F_NAME = 1u << 0,
    F_DESC = 1u << 1,
    F_ID = 1u << 2,
    F_URN = 1u << 3,
    F_VERSION = 1u << 4,
    F_LWM2M_VERSION = 1u << 5,
    F_MULTIPLE = 1u << 6,
    F_MANDATORY = 1u << 7,
    F_OPS = 1u << 8,
    F_TYPE = 1u << 9,
    F_RANGE = 1u << 10,
    F_UNITS = 1u << 11,
    F_RESOURCES = 1u << 12,
};

typedef struct field_name {
    const char *tag;
    unsigned field;
} field_name;

static const field_name object_fields[] = {
    {"Name", F_NAME},
    {"Description1", F_DESC},
    {"ObjectID", F_ID},
    {"ObjectURN", F_URN},
    {"ObjectVersion", F_VERSION},
    {"LWM2MVersion", F_LWM2M_VERSION},
    {"MultipleInstances", F_MULTIPLE},
    {"Mandatory", F_MANDATORY},
};

static const field_name item_fields[] = {
    {"Name", F_NAME},
    {"Operations", F_OPS},
    {"MultipleInstances", F_MULTIPLE},
    {"Mandatory", F_MANDATORY},
    {"Type", F_TYPE},
    {"RangeEnumeration", F_RANGE},
    {"Units", F_UNITS},
    {"Description", F_DESC},
};

/* A resource being read. Strings are offsets into the object's pool; offset
 * 0 is the pool's leading "" (so an absent field reads as ""). */
typedef struct pres {
    uint16_t id;
    uint8_t ops, type, multiple, mandatory;
    unsigned seen;
    unsigned long line;
    size_t name, range, units, desc;
} pres;

typedef struct pobj {
    uint16_t id;
    uint8_t multiple, mandatory;
    unsigned seen;
    unsigned long line;
    size_t name, urn, version, lwm2m_version, desc;
    pres *res;
    size_t n_res, cap_res;
    dbuf pool;
} pobj;

enum where { W_DOC, W_ROOT, W_OBJECT, W_RESOURCES, W_ITEM, W_DONE };

typedef struct ddf {
    tether_model_registry *reg;
    stage *st;
    const char *name;
    XML_Parser p;
    int err;
    enum where where;
    unsigned skip;      /* depth inside an ignored element, 0 when none */
    unsigned leaf;      /* the field being read, F_NONE when none */
    const char *leaf_tag;
    unsigned long leaf_line;
    dbuf text;
    pobj obj;
    size_t objects; /* definitions this document produced */
} ddf;

static unsigned long line_now(const ddf *d)
{
    return (unsigned long)XML_GetCurrentLineNumber(d->p);
}

__attribute__((format(__printf__, 4, 5))) static void fail(ddf *d, int err, unsigned long line,
                                                        const char *fmt, ...)
{
    char msg[TETHER_MODEL_ERRMSG_MAX];
    va_list ap;

    if (d->err != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    tether_model_set_err(d->reg, err, "%s:%lu: %s", d->name, line, msg);
    d->err = err;
    XML_StopParser(d->p, XML_FALSE);
}

static void fail_nomem(ddf *d)
{
    fail(d, TETHER_ERR_NOMEM, line_now(d), "out of memory");
}

/* A value quoted in an error sentence: at most 40 bytes, control bytes as
 * '?', so the sentence stays one line whatever the file holds. */
static const char *quote(const char *s, char *out, size_t cap)
{
    size_t i = 0;

    for (; s[i] != '\0' && i + 4 < cap && i < 40; i++)
        out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7F ? '?' : s[i];
    if (s[i] != '\0' && i + 4 <= cap) {
        memcpy(out + i, "...", 3);
        i += 3;
    }
    out[i] = '\0';
    return out;
}

/* The field's text without surrounding blanks, NUL-terminated in place. */
static char *trimmed(dbuf *t, size_t *len)
{
    char *s = t->p != NULL ? t->p : (char *)"";
    size_t n = t->n;

    while (n > 0 && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' ||
                     s[n - 1] == '\n'))
        n--;
    if (t->p != NULL)
        s[n] = '\0';
    *len = n;
    return s;
}

/* Decimal 0..65534, digits only. */
static int parse_id(const char *s, uint16_t *out)
{
    unsigned long v = 0;

    if (*s == '\0')
        return -1;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (unsigned long)(*s - '0');
        if (v > TETHER_LWM2M_ID_MAX)
            return -1;
    }
    *out = (uint16_t)v;
    return 0;
}

static int parse_type(const char *s, uint8_t *out)
{
    static const struct {
        const char *word;
        uint8_t type;
    } types[] = {
        {"", TETHER_LWM2M_NONE},
        {"String", TETHER_LWM2M_STRING},
        {"Integer", TETHER_LWM2M_INTEGER},
        {"Unsigned Integer", TETHER_LWM2M_UNSIGNED},
        {"Float", TETHER_LWM2M_FLOAT},
        {"Boolean", TETHER_LWM2M_BOOLEAN},
        {"Opaque", TETHER_LWM2M_OPAQUE},
        {"Time", TETHER_LWM2M_TIME},
        {"Objlnk", TETHER_LWM2M_OBJLNK},
        {"Corelnk", TETHER_LWM2M_CORELNK},
    };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (strcasecmp(s, types[i].word) == 0) {
            *out = types[i].type;
            return 0;
        }
    return -1;
}

static int parse_ops(const char *s, uint8_t *out)
{
    static const char *ops[] = {"", "R", "W", "RW", "E"};
    static const uint8_t val[] = {0, TETHER_LWM2M_OP_R, TETHER_LWM2M_OP_W, TETHER_LWM2M_OP_RW,
                                  TETHER_LWM2M_OP_E};
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (strcasecmp(s, ops[i]) == 0) {
            *out = val[i];
            return 0;
        }
    return -1;
}

static int parse_pair(const char *s, const char *one, const char *zero, uint8_t *out)
{
    if (strcasecmp(s, one) == 0)
        *out = 1;
    else if (strcasecmp(s, zero) == 0)
        *out = 0;
    else
        return -1;
    return 0;
}

static const char *attr(const XML_Char **atts, const char *name)
{
    for (size_t i = 0; atts[i] != NULL; i += 2)
        if (strcmp(atts[i], name) == 0)
            return atts[i + 1];
    return NULL;
}

static void obj_reset(ddf *d)
{
    dbuf pool = d->obj.pool;
    pres *res = d->obj.res;
    size_t cap_res = d->obj.cap_res;

    memset(&d->obj, 0, sizeof(d->obj));
    /* Keep the buffers: the next object of the file reuses them. */
    pool.n = 0;
    d->obj.pool = pool;
    d->obj.res = res;
    d->obj.cap_res = cap_res;
    if (dbuf_add(d->reg, &d->obj.pool, "", 0) != 0) /* offset 0 is "" */
        fail_nomem(d);
    else
        d->obj.pool.n = 1;
}

static pres *cur_res(ddf *d)
{
    return &d->obj.res[d->obj.n_res - 1];
}

static void start_item(ddf *d, const XML_Char **atts)
{
    const char *id = attr(atts, "ID");
    char q[48];
    pres *r;

    if (id == NULL) {
        fail(d, TETHER_ERR_MALFORMED, line_now(d), "<Item> has no ID attribute");
        return;
    }
    if (d->obj.n_res == d->obj.cap_res) {
        size_t cap = d->obj.cap_res ? 2 * d->obj.cap_res : 16;
        pres *v = tether_model_alloc(d->reg, d->obj.res, cap * sizeof(*v));
        if (v == NULL) {
            fail_nomem(d);
            return;
        }
        d->obj.res = v;
        d->obj.cap_res = cap;
    }
    r = &d->obj.res[d->obj.n_res++];
    memset(r, 0, sizeof(*r));
    r->line = line_now(d);
    if (parse_id(id, &r->id) != 0)
        fail(d, TETHER_ERR_MALFORMED, r->line, "<Item ID=\"%s\"> is not a resource id (0..65534)",
             quote(id, q, sizeof(q)));
}

static void on_start(void *user, const XML_Char *name, const XML_Char **atts)
{
    ddf *d = user;
    const field_name *fields = NULL;
    size_t n_fields = 0;
    unsigned *seen = NULL;

    if (d->err != 0)
        return;
    if (d->skip > 0) {
        d->skip++;
        return;
    }
    if (d->leaf != F_NONE) {
        fail(d, TETHER_ERR_MALFORMED, line_now(d), "<%s> must hold text, not an element <%s>",
             d->leaf_tag, name);
        return;
    }
    switch (d->where) {
    case W_DOC:
        if (strcmp(name, "LWM2M") != 0) {
            char q[48];
            fail(d, TETHER_ERR_MALFORMED, line_now(d),
                 "the root element is <%s>, not <LWM2M>: not an OMA DDF file",
                 quote(name, q, sizeof(q)));
            return;
        }
        d->where = W_ROOT;
        return;
    case W_ROOT:
        if (strcmp(name, "Object") == 0) {
            const char *type = attr(atts, "ObjectType");
            if (type != NULL && strcmp(type, "MODefinition") != 0) {
                char q[48];
                fail(d, TETHER_ERR_MALFORMED, line_now(d),
                     "<Object ObjectType=\"%s\"> is not an object definition (MODefinition)",
                     quote(type, q, sizeof(q)));
                return;
            }
            obj_reset(d);
            d->obj.line = line_now(d);
            d->where = W_OBJECT;
        } else {
            d->skip = 1;
        }
        return;
    case W_OBJECT:
        if (strcmp(name, "Resources") == 0) {
            if (d->obj.seen & F_RESOURCES) {
                fail(d, TETHER_ERR_MALFORMED, line_now(d), "a second <Resources> in <Object>");
                return;
            }
            d->obj.seen |= F_RESOURCES;
            d->where = W_RESOURCES;
            return;
        }
        fields = object_fields;
        n_fields = sizeof(object_fields) / sizeof(object_fields[0]);
        seen = &d->obj.seen;
        break;
    case W_RESOURCES:
        if (strcmp(name, "Item") == 0) {
            start_item(d, atts);
            d->where = W_ITEM;
        } else {
            d->skip = 1;
        }
        return;
    case W_ITEM:
        fields = item_fields;
        n_fields = sizeof(item_fields) / sizeof(item_fields[0]);
        seen = &cur_res(d)->seen;
        break;
    case W_DONE:
        /* Expat refuses a second root element itself. */
        d->skip = 1;
        return;
    }
    for (size_t i = 0; i < n_fields; i++) {
        if (strcmp(name, fields[i].tag) != 0)
            continue;
        if (*seen & fields[i].field) {
            fail(d, TETHER_ERR_MALFORMED, line_now(d), "a second <%s> in <%s>", fields[i].tag,
                 d->where == W_ITEM ? "Item" : "Object");
            return;
        }
        *seen |= fields[i].field;
        d->leaf = fields[i].field;
        d->leaf_tag = fields[i].tag;
        d->leaf_line = line_now(d);
        d->text.n = 0;
        return;
    }
    d->skip = 1; /* an element this loader does not use */
}

static void on_text(void *user, const XML_Char *s, int len)
{
    ddf *d = user;

    if (d->err != 0 || d->skip > 0 || d->leaf == F_NONE || len <= 0)
        return;
    if (d->text.n + (size_t)len > DDF_TEXT_MAX) {
        fail(d, TETHER_ERR_MALFORMED, d->leaf_line, "<%s> is longer than %u bytes", d->leaf_tag,
             DDF_TEXT_MAX);
        return;
    }
    if (dbuf_add(d->reg, &d->text, s, (size_t)len) != 0)
        fail_nomem(d);
}

/* Copy the field's text into the object's pool; *off gets its offset. */
static void keep(ddf *d, const char *s, size_t len, size_t *off)
{
    *off = d->obj.pool.n;
    if (dbuf_add(d->reg, &d->obj.pool, s, len) != 0) {
        *off = 0;
        fail_nomem(d);
        return;
    }
    d->obj.pool.n++; /* count the NUL that dbuf_add wrote after the text */
}

static void end_leaf(ddf *d)
{
    size_t len;
    char *s = trimmed(&d->text, &len);
    char q[48];
    int item = d->where == W_ITEM;
    pres *r = item ? cur_res(d) : NULL;
    unsigned long line = d->leaf_line;
    int bad = 0;

    switch ((enum field)d->leaf) {
    case F_NAME:
        if (len == 0) {
            fail(d, TETHER_ERR_MALFORMED, line, "<Name> is empty");
            return;
        }
        keep(d, s, len, item ? &r->name : &d->obj.name);
        break;
    case F_DESC:
        keep(d, s, len, item ? &r->desc : &d->obj.desc);
        break;
    case F_URN:
        keep(d, s, len, &d->obj.urn);
        break;
    case F_VERSION:
        keep(d, s, len, &d->obj.version);
        break;
    case F_LWM2M_VERSION:
        keep(d, s, len, &d->obj.lwm2m_version);
        break;
    case F_RANGE:
        keep(d, s, len, &r->range);
        break;
    case F_UNITS:
        keep(d, s, len, &r->units);
        break;
    case F_ID:
        if (parse_id(s, &d->obj.id) != 0)
            fail(d, TETHER_ERR_MALFORMED, line, "<ObjectID> '%s' is not an object id (0..65534)",
                 quote(s, q, sizeof(q)));
        break;
    case F_MULTIPLE:
        bad = parse_pair(s, "Multiple", "Single", item ? &r->multiple : &d->obj.multiple);
        if (bad)
            fail(d, TETHER_ERR_MALFORMED, line,
                 "<MultipleInstances> '%s' is not Single or Multiple", quote(s, q, sizeof(q)));
        break;
    case F_MANDATORY:
        bad = parse_pair(s, "Mandatory", "Optional", item ? &r->mandatory : &d->obj.mandatory);
        if (bad)
            fail(d, TETHER_ERR_MALFORMED, line, "<Mandatory> '%s' is not Mandatory or Optional",
                 quote(s, q, sizeof(q)));
        break;
    case F_OPS:
        if (parse_ops(s, &r->ops) != 0)
            fail(d, TETHER_ERR_MALFORMED, line, "<Operations> '%s' is not R, W, RW, E or empty",
                 quote(s, q, sizeof(q)));
        break;
    case F_TYPE:
        if (parse_type(s, &r->type) != 0)
            fail(d, TETHER_ERR_MALFORMED, line, "<Type> '%s' is not an LwM2M type",
                 quote(s, q, sizeof(q)));
        break;
    case F_NONE:
    case F_RESOURCES:
        break;
    }
}

static void end_item(ddf *d)
{
    pres *r = cur_res(d);
    static const field_name required[] = {
        {"Name", F_NAME}, {"MultipleInstances", F_MULTIPLE}, {"Mandatory", F_MANDATORY}};

    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
        if (!(r->seen & required[i].field)) {
            fail(d, TETHER_ERR_MALFORMED, r->line, "<Item ID=\"%u\"> has no <%s>",
                 (unsigned)r->id, required[i].tag);
            return;
        }
}

static int cmp_pres(const void *a, const void *b)
{
    const pres *x = a, *y = b;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

/* Pack the finished object into one block and stage it. */
static void end_object(ddf *d)
{
    static const field_name required[] = {{"Name", F_NAME},
                                          {"ObjectID", F_ID},
                                          {"MultipleInstances", F_MULTIPLE},
                                          {"Mandatory", F_MANDATORY}};
    pobj *o = &d->obj;
    tether_model_object *def;
    tether_model_resource *res;
    char *strs, *blk;
    size_t size;

    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
        if (!(o->seen & required[i].field)) {
            fail(d, TETHER_ERR_MALFORMED, o->line, "<Object> has no <%s>", required[i].tag);
            return;
        }
    if (o->n_res > 1)
        qsort(o->res, o->n_res, sizeof(o->res[0]), cmp_pres);
    for (size_t i = 1; i < o->n_res; i++)
        if (o->res[i].id == o->res[i - 1].id) {
            fail(d, TETHER_ERR_MALFORMED, o->res[i].line,
                 "resource %u of object %u is defined twice (also at line %lu)",
                 (unsigned)o->res[i].id, (unsigned)o->id, o->res[i - 1].line);
            return;
        }
    for (size_t i = 0; i < d->st->n; i++)
        if (d->st->v[i].e.def->id == o->id) {
            fail(d, TETHER_ERR_EXISTS, o->line, "object %u is defined twice (also at %s:%lu)",
                 (unsigned)o->id, d->st->v[i].src, d->st->v[i].line);
            return;
        }
    if (d->st->n == d->st->cap) {
        size_t cap = d->st->cap ? 2 * d->st->cap : 8;
        staged *v = tether_model_alloc(d->reg, d->st->v, cap * sizeof(*v));
        if (v == NULL) {
            fail_nomem(d);
            return;
        }
        d->st->v = v;
        d->st->cap = cap;
    }
    /* Object, then resources (pointer-aligned, as the object's size is a
     * multiple of its pointer alignment), then the strings. */
    size = sizeof(*def) + o->n_res * sizeof(*res) + o->pool.n;
    blk = tether_model_alloc(d->reg, NULL, size);
    if (blk == NULL) {
        fail_nomem(d);
        return;
    }
    def = (tether_model_object *)(void *)blk;
    res = (tether_model_resource *)(void *)(blk + sizeof(*def));
    strs = (char *)(res + o->n_res);
    memcpy(strs, o->pool.p, o->pool.n);
    for (size_t i = 0; i < o->n_res; i++) {
        const pres *p = &o->res[i];
        res[i].id = p->id;
        res[i].ops = p->ops;
        res[i].type = p->type;
        res[i].multiple = p->multiple;
        res[i].mandatory = p->mandatory;
        res[i].name = strs + p->name;
        res[i].range = strs + p->range;
        res[i].units = strs + p->units;
        res[i].description = strs + p->desc;
    }
    memset(def, 0, sizeof(*def));
    def->id = o->id;
    def->multiple = o->multiple;
    def->mandatory = o->mandatory;
    def->name = strs + o->name;
    def->urn = strs + o->urn;
    def->version = (o->seen & F_VERSION) && strs[o->version] != '\0' ? strs + o->version : "1.0";
    def->lwm2m_version = (o->seen & F_LWM2M_VERSION) && strs[o->lwm2m_version] != '\0'
                             ? strs + o->lwm2m_version
                             : "1.0";
    def->description = strs + o->desc;
    def->n_resources = o->n_res;
    def->resources = o->n_res > 0 ? res : NULL;

    d->st->v[d->st->n].e.def = def;
    d->st->v[d->st->n].e.owned = blk;
    d->st->v[d->st->n].src = d->name;
    d->st->v[d->st->n].line = o->line;
    d->st->n++;
    d->objects++;
}

static void on_end(void *user, const XML_Char *name)
{
    ddf *d = user;

    (void)name;
    if (d->err != 0)
        return;
    if (d->skip > 0) {
        d->skip--;
        return;
    }
    if (d->leaf != F_NONE) {
        end_leaf(d);
        d->leaf = F_NONE;
        return;
    }
    switch (d->where) {
    case W_ITEM:
        end_item(d);
        d->where = W_RESOURCES;
        break;
    case W_RESOURCES:
        d->where = W_OBJECT;
        break;
    case W_OBJECT:
        end_object(d);
        d->where = W_ROOT;
        break;
    case W_ROOT:
        d->where = W_DONE;
        break;
    case W_DOC:
    case W_DONE:
        break;
    }
}

static void on_doctype(void *user, const XML_Char *name, const XML_Char *sysid,
                       const XML_Char *pubid, int has_internal_subset)
{
    ddf *d = user;

    (void)name;
    (void)sysid;
    (void)pubid;
    (void)has_internal_subset;
    fail(d, TETHER_ERR_MALFORMED, line_now(d), "a DOCTYPE is not accepted in a DDF file");
}

/* Parse one document into st. The registry's errmsg is set on error. */
static int parse_doc(tether_model_registry *reg, stage *st, const char *name, const void *buf,
                     size_t len)
{
    ddf d;
    enum XML_Status status;

    if (len > TETHER_MODEL_DDF_MAX)
        return tether_model_set_err(reg, TETHER_ERR_TOO_LARGE,
                                    "%s: larger than %u bytes: not a DDF file", name,
                                    TETHER_MODEL_DDF_MAX);
    memset(&d, 0, sizeof(d));
    d.reg = reg;
    d.st = st;
    d.name = name;
    d.p = XML_ParserCreate(NULL);
    if (d.p == NULL)
        return tether_model_set_err(reg, TETHER_ERR_NOMEM, "%s: out of memory", name);
    XML_SetUserData(d.p, &d);
    XML_SetElementHandler(d.p, on_start, on_end);
    XML_SetCharacterDataHandler(d.p, on_text);
    XML_SetStartDoctypeDeclHandler(d.p, on_doctype);
    status = XML_Parse(d.p, buf, (int)len, XML_TRUE);
    if (status != XML_STATUS_OK && d.err == 0) {
        enum XML_Error code = XML_GetErrorCode(d.p);
        d.err = code == XML_ERROR_NO_MEMORY ? TETHER_ERR_NOMEM : TETHER_ERR_MALFORMED;
        tether_model_set_err(reg, d.err, "%s:%lu: XML: %s", name, line_now(&d),
                             XML_ErrorString(code));
    }
    if (d.err == 0 && d.objects == 0) {
        d.err = TETHER_ERR_MALFORMED;
        tether_model_set_err(reg, d.err, "%s: no <Object> definition in the file", name);
    }
    XML_ParserFree(d.p);
    dbuf_free(reg, &d.text);
    dbuf_free(reg, &d.obj.pool);
    if (d.obj.res != NULL)
        tether_model_alloc(reg, d.obj.res, 0);
    return d.err;
}

#else /* !TETHER_HAVE_EXPAT */

static int parse_doc(tether_model_registry *reg, stage *st, const char *name, const void *buf,
                     size_t len)
{
    (void)st;
    (void)buf;
    (void)len;
    return tether_model_set_err(reg, TETHER_ERR_UNSUPPORTED,
                                "%s: this build has no libexpat: DDF files cannot be read", name);
}

#endif /* TETHER_HAVE_EXPAT */

int tether_model_load_ddf(tether_model_registry *reg, const char *name, const void *buf,
                          size_t len)
{
    stage st = {reg, NULL, 0, 0};
    int rc;

    if (reg == NULL || (buf == NULL && len > 0))
        return TETHER_ERR_INVAL;
    reg->errmsg[0] = '\0';
    if (name == NULL)
        name = "(buffer)";
    rc = parse_doc(reg, &st, name, buf != NULL ? buf : "", len);
    if (rc != 0) {
        stage_drop(&st);
        return rc;
    }
    return stage_commit(&st);
}

/* Read path whole through the registry's allocator. *buf is freed by the
 * caller with tether_model_alloc(reg, *buf, 0). */
static int read_file(tether_model_registry *reg, const char *path, char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    size_t cap = 4096, n = 0;
    char *b = NULL;

    if (f == NULL)
        return tether_model_set_err(reg, TETHER_ERR_SYS, "%s: cannot open: %s", path,
                                    strerror(errno));
    for (;;) {
        size_t got;
        if (n == cap || b == NULL) {
            char *nb;
            if (b != NULL)
                cap *= 2;
            if (cap > TETHER_MODEL_DDF_MAX + 1)
                cap = TETHER_MODEL_DDF_MAX + 1;
            nb = tether_model_alloc(reg, b, cap);
            if (nb == NULL) {
                if (b != NULL)
                    tether_model_alloc(reg, b, 0);
                fclose(f);
                return tether_model_set_err(reg, TETHER_ERR_NOMEM, "%s: out of memory", path);
            }
            b = nb;
        }
        got = fread(b + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
        if (n > TETHER_MODEL_DDF_MAX) {
            tether_model_alloc(reg, b, 0);
            fclose(f);
            return tether_model_set_err(reg, TETHER_ERR_TOO_LARGE,
                                        "%s: larger than %u bytes: not a DDF file", path,
                                        TETHER_MODEL_DDF_MAX);
        }
    }
    if (ferror(f)) {
        int e = errno;
        tether_model_alloc(reg, b, 0);
        fclose(f);
        return tether_model_set_err(reg, TETHER_ERR_SYS, "%s: cannot read: %s", path,
                                    strerror(e));
    }
    fclose(f);
    *buf = b;
    *len = n;
    return 0;
}

static int load_one(tether_model_registry *reg, stage *st, const char *path)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = read_file(reg, path, &buf, &len);

    if (rc != 0)
        return rc;
    rc = parse_doc(reg, st, path, buf, len);
    tether_model_alloc(reg, buf, 0);
    return rc;
}

int tether_model_load_file(tether_model_registry *reg, const char *path)
{
    stage st = {reg, NULL, 0, 0};
    int rc;

    if (reg == NULL || path == NULL)
        return TETHER_ERR_INVAL;
    reg->errmsg[0] = '\0';
    rc = load_one(reg, &st, path);
    if (rc != 0) {
        stage_drop(&st);
        return rc;
    }
    return stage_commit(&st);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_xml_name(const char *s)
{
    size_t n = strlen(s);
    return n > 4 && s[0] != '.' && strcasecmp(s + n - 4, ".xml") == 0;
}

int tether_model_load_dir(tether_model_registry *reg, const char *dir, size_t *n_objects)
{
    stage st = {reg, NULL, 0, 0};
    DIR *dh;
    struct dirent *de;
    char **paths = NULL;
    size_t n = 0, cap = 0, dlen;
    int rc = 0;

    if (reg == NULL || dir == NULL)
        return TETHER_ERR_INVAL;
    reg->errmsg[0] = '\0';
    dh = opendir(dir);
    if (dh == NULL)
        return tether_model_set_err(reg, TETHER_ERR_SYS, "%s: cannot open the directory: %s",
                                    dir, strerror(errno));
    dlen = strlen(dir);
    while (dlen > 1 && dir[dlen - 1] == '/')
        dlen--;
    while (rc == 0 && (de = readdir(dh)) != NULL) {
        struct stat sb;
        size_t plen;
        char *p;
        if (!is_xml_name(de->d_name))
            continue;
        plen = dlen + 1 + strlen(de->d_name) + 1;
        p = tether_model_alloc(reg, NULL, plen);
        if (p == NULL) {
            rc = tether_model_set_err(reg, TETHER_ERR_NOMEM, "%s: out of memory", dir);
            break;
        }
        snprintf(p, plen, "%.*s/%s", (int)dlen, dir, de->d_name);
        if (stat(p, &sb) != 0 || !S_ISREG(sb.st_mode)) {
            tether_model_alloc(reg, p, 0);
            continue;
        }
        if (n == cap) {
            size_t nc = cap ? 2 * cap : 16;
            char **np = tether_model_alloc(reg, paths, nc * sizeof(*np));
            if (np == NULL) {
                tether_model_alloc(reg, p, 0);
                rc = tether_model_set_err(reg, TETHER_ERR_NOMEM, "%s: out of memory", dir);
                break;
            }
            paths = np;
            cap = nc;
        }
        paths[n++] = p;
    }
    closedir(dh);
    if (rc == 0 && n == 0)
        rc = tether_model_set_err(reg, TETHER_ERR_NOT_FOUND, "%s: no *.xml file in the directory",
                                  dir);
    if (rc == 0) {
        qsort(paths, n, sizeof(paths[0]), cmp_str);
        for (size_t i = 0; i < n && rc == 0; i++)
            rc = load_one(reg, &st, paths[i]);
    }
    if (rc == 0) {
        size_t loaded = st.n;
        rc = stage_commit(&st);
        if (rc == 0 && n_objects != NULL)
            *n_objects = loaded;
    } else {
        stage_drop(&st);
    }
    /* The staged entries' src pointed into paths: free them last. */
    for (size_t i = 0; i < n; i++)
        tether_model_alloc(reg, paths[i], 0);
    if (paths != NULL)
        tether_model_alloc(reg, paths, 0);
    return rc;
}
