/* SPDX-License-Identifier: Apache-2.0 */
/* CoRE link-format (RFC 6690 §2) for LwM2M object lists and Discover
 * answers. One scanner reads an entry; iter_init runs it over the whole
 * payload twice (syntax and the root entry first, then every path against
 * that root, since the root entry may come last), so that next() afterwards
 * only re-reads entries already known to be good. The writer is the
 * mirror image, with the coap builder's sticky-error habit. */
#include "tether/lwm2m_link.h"

#include <string.h>

#include "num_internal.h"

#include "tether_poison.h"

/* RFC 5988 parmname: attr-char. */
static int is_attr_char(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr("!#$&+-.^_`|~", c) != NULL);
}

/* RFC 6690 ptokenchar. */
static int is_ptoken_char(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr("!#$%&'()*+-./:<=>?@[]^_`{|}~", c) != NULL);
}

/* Characters allowed in the URI between '<' and '>': printable ASCII but
 * the delimiters of this grammar. Paths are checked more strictly later. */
static int is_uri_char(uint8_t c)
{
    return c > 0x20 && c < 0x7F && c != '<' && c != '>' && c != '"' && c != '\\';
}

enum {
    ATTR_VER = 1,
    ATTR_CT = 2,
    ATTR_RT = 4,
    ATTR_PMIN = 8,
    ATTR_PMAX = 16,
    ATTR_DIM = 32,
    ATTR_GT = 64,
    ATTR_LT = 128,
    ATTR_ST = 256,
};

static int name_is(const uint8_t *n, size_t len, const char *s)
{
    return strlen(s) == len && memcmp(n, s, len) == 0;
}

/* "1.1": canonical decimal major and minor, each <= 255. */
static int parse_ver(const uint8_t *v, size_t len, uint8_t *major, uint8_t *minor)
{
    const uint8_t *dot = len > 0 ? memchr(v, '.', len) : NULL;
    uint64_t a, b;
    size_t al, bl;

    if (dot == NULL)
        return -1;
    al = (size_t)(dot - v);
    bl = len - al - 1;
    if (tether_num_parse_u64(v, al, 255, &a) != 0 || tether_num_parse_u64(dot + 1, bl, 255, &b) != 0 ||
        (al > 1 && v[0] == '0') || (bl > 1 && dot[1] == '0'))
        return -1;
    *major = (uint8_t)a;
    *minor = (uint8_t)b;
    return 0;
}

/* ct: one content format, or several separated by single spaces. */
static int valid_ct(const uint8_t *v, size_t len)
{
    size_t i = 0;

    if (len == 0)
        return 0;
    while (i < len) {
        size_t s = i;
        uint64_t f;
        while (i < len && v[i] != ' ')
            i++;
        if (tether_num_parse_u64(v + s, i - s, 65535, &f) != 0)
            return 0;
        if (i < len) {
            i++;
            if (i == len)
                return 0; /* trailing space */
        }
    }
    return 1;
}

/* rt is a space-separated list of types (RFC 6690 §3.1). */
static int rt_has_lwm2m(const uint8_t *v, size_t len)
{
    size_t i = 0;

    while (i < len) {
        size_t s = i;
        while (i < len && v[i] != ' ')
            i++;
        if (name_is(v + s, i - s, "oma.lwm2m"))
            return 1;
        i++;
    }
    return 0;
}

/* A scanned entry before paths are resolved. */
typedef struct raw_entry {
    tether_lwm2m_view uri;
    tether_lwm2m_view attrs;
    tether_lwm2m_view ct, rt;
    uint8_t has_ver, ver_major, ver_minor;
    uint8_t is_root; /* rt names oma.lwm2m */
} raw_entry;

/* Scan one attribute at p: ";" name [ "=" value ]. Sets the views (value
 * without quotes) and returns the position after it, or NULL. */
static const uint8_t *scan_attr(const uint8_t *p, const uint8_t *end, tether_lwm2m_view *name,
                                tether_lwm2m_view *value, int *has_value)
{
    const uint8_t *s;

    if (p >= end || *p != ';')
        return NULL;
    p++;
    s = p;
    while (p < end && is_attr_char(*p))
        p++;
    if (p == s)
        return NULL;
    name->ptr = s;
    name->len = (size_t)(p - s);
    value->ptr = p;
    value->len = 0;
    *has_value = 0;
    if (p == end || *p != '=')
        return p;
    p++;
    *has_value = 1;
    if (p < end && *p == '"') {
        p++;
        s = p;
        while (p < end && *p != '"') {
            if (*p == '\\') {
                if (end - p < 2)
                    return NULL; /* dangling escape */
                p++;
            }
            p++;
        }
        if (p == end)
            return NULL; /* unbalanced quote */
        value->ptr = s;
        value->len = (size_t)(p - s);
        return p + 1;
    }
    s = p;
    while (p < end && is_ptoken_char(*p))
        p++;
    if (p == s)
        return NULL; /* "name=" with nothing */
    value->ptr = s;
    value->len = (size_t)(p - s);
    return p;
}

/* Scan one entry at p; returns the position after it (at ',' or end), or
 * NULL when malformed. Checks syntax and the known attributes' values. */
static const uint8_t *scan_entry(const uint8_t *p, const uint8_t *end, raw_entry *e)
{
    const uint8_t *s;
    unsigned seen = 0;

    memset(e, 0, sizeof(*e));
    if (p >= end || *p != '<')
        return NULL;
    p++;
    s = p;
    while (p < end && is_uri_char(*p))
        p++;
    if (p == end || *p != '>' || p == s)
        return NULL; /* unterminated '<', bad char, or "<>" */
    e->uri.ptr = s;
    e->uri.len = (size_t)(p - s);
    p++;
    e->attrs.ptr = p;
    while (p < end && *p == ';') {
        tether_lwm2m_view name, val;
        int has_value;
        unsigned bit = 0;
        uint64_t u;
        p = scan_attr(p, end, &name, &val, &has_value);
        if (p == NULL)
            return NULL;
        if (name_is(name.ptr, name.len, "ver")) {
            bit = ATTR_VER;
            if (!has_value || parse_ver(val.ptr, val.len, &e->ver_major, &e->ver_minor) != 0)
                return NULL;
            e->has_ver = 1;
        } else if (name_is(name.ptr, name.len, "ct")) {
            bit = ATTR_CT;
            if (!has_value || !valid_ct(val.ptr, val.len))
                return NULL;
            e->ct = val;
        } else if (name_is(name.ptr, name.len, "rt")) {
            bit = ATTR_RT;
            if (!has_value)
                return NULL;
            e->rt = val;
            e->is_root = (uint8_t)rt_has_lwm2m(val.ptr, val.len);
        } else if (name_is(name.ptr, name.len, "pmin") || name_is(name.ptr, name.len, "pmax") ||
                   name_is(name.ptr, name.len, "dim")) {
            bit = name.len == 3 ? ATTR_DIM : name.ptr[2] == 'i' ? ATTR_PMIN : ATTR_PMAX;
            if (!has_value || tether_num_parse_u64(val.ptr, val.len, UINT32_MAX, &u) != 0)
                return NULL;
        } else if (name_is(name.ptr, name.len, "gt") || name_is(name.ptr, name.len, "lt") ||
                   name_is(name.ptr, name.len, "st")) {
            bit = name.ptr[0] == 'g' ? ATTR_GT : name.ptr[0] == 'l' ? ATTR_LT : ATTR_ST;
            if (!has_value || !tether_num_is_decimal(val.ptr, val.len, 0))
                return NULL;
        }
        if (seen & bit)
            return NULL; /* a known attribute twice */
        seen |= bit;
    }
    e->attrs.len = (size_t)(p - e->attrs.ptr);
    if (p < end && *p != ',')
        return NULL; /* junk after the entry */
    return p;
}

/* Resolve a non-root URI against root ("" for "/"). Returns 0 with the
 * LwM2M path below the root (depth 1..4), 1 when uri is the root itself,
 * 2 when it is foreign (outside the root, or not starting with a digit
 * below it, e.g. </lwm2m/3/0> when the root is "/"), or -1 when it looks
 * like an LwM2M path but is not one (</3/a>, </65535>, </1/2/3/4/5>). */
static int resolve(const tether_lwm2m_view *uri, const tether_lwm2m_view *root,
                   tether_lwm2m_path *path)
{
    const uint8_t *u = uri->ptr;
    size_t n = uri->len;

    if (root->len > 0) {
        if (n < root->len || memcmp(u, root->ptr, root->len) != 0)
            return 2;
        if (n == root->len)
            return 1;
        u += root->len;
        n -= root->len;
    }
    if (u[0] != '/')
        return 2; /* </lwm2mx/1> is not under </lwm2m>; <1/0> is relative */
    if (n == 1 && u[0] == '/')
        return root->len == 0 ? 1 : 2;
    if (n < 2 || u[1] < '0' || u[1] > '9')
        return 2;
    if (tether_lwm2m_path_parse(path, (const char *)u, n) != 0 || path->len == 0)
        return -1;
    return 0;
}

/* A root path: "/" or "/seg[/seg...]" without a trailing '/'. */
static int valid_root(const uint8_t *r, size_t len)
{
    if (len == 0 || len > TETHER_LWM2M_LINK_ROOT_MAX || r[0] != '/')
        return 0;
    if (len == 1)
        return 1;
    for (size_t i = 1; i < len; i++)
        if (r[i] == '/' && (r[i - 1] == '/' || i == len - 1))
            return 0;
    return 1;
}

int tether_lwm2m_link_iter_init(tether_lwm2m_link_iter *it, const uint8_t *buf, size_t len)
{
    tether_lwm2m_link_iter r;
    const uint8_t *p, *end;
    raw_entry e;

    if (it == NULL || buf == NULL || len == 0)
        return TETHER_ERR_MALFORMED;
    memset(&r, 0, sizeof(r));
    end = buf + len;

    /* Pass 1: syntax, and which entry (if any) names the root. */
    for (p = buf;;) {
        p = scan_entry(p, end, &e);
        if (p == NULL)
            return TETHER_ERR_MALFORMED;
        if (e.is_root) {
            if (r.has_root_entry || !valid_root(e.uri.ptr, e.uri.len))
                return TETHER_ERR_MALFORMED;
            r.has_root_entry = 1;
            r.root = e.uri;
            if (r.root.len == 1)
                r.root.len = 0; /* "/" is stored as "" */
        }
        if (p == end)
            break;
        p++; /* ',' */
    }

    /* Pass 2: every other entry is an LwM2M path under that root. */
    for (p = buf;;) {
        tether_lwm2m_path path;
        p = scan_entry(p, end, &e);
        if (!e.is_root) {
            int rc = resolve(&e.uri, &r.root, &path);
            if (rc < 0)
                return TETHER_ERR_MALFORMED;
            if (rc == 0) {
                r.count++;
                if (path.ids[0] == 0)
                    r.security_count++;
            } else if (rc == 2) {
                r.foreign_count++;
            }
        }
        if (p == end)
            break;
        p++;
    }
    r.p = buf;
    r.end = end;
    *it = r;
    return 0;
}

int tether_lwm2m_link_next(tether_lwm2m_link_iter *it, tether_lwm2m_link *out)
{
    tether_lwm2m_link l;
    const uint8_t *p;
    raw_entry e;
    int rc;

    if (it == NULL || out == NULL || it->p == NULL)
        return TETHER_ERR_NOT_FOUND;
    for (;;) {
        if (it->p >= it->end)
            return TETHER_ERR_NOT_FOUND;
        p = scan_entry(it->p, it->end, &e);
        if (p == NULL)
            return TETHER_ERR_NOT_FOUND; /* not reachable after a good init */
        memset(&l, 0, sizeof(l));
        rc = e.is_root ? 1 : resolve(&e.uri, &it->root, &l.path);
        it->p = p < it->end ? p + 1 : p;
        if (rc == 0 || rc == 1)
            break;
        /* foreign entries are skipped (counted by init) */
    }
    l.uri = e.uri;
    l.attrs = e.attrs;
    l.ct = e.ct;
    l.rt = e.rt;
    l.has_ver = e.has_ver;
    l.ver_major = e.ver_major;
    l.ver_minor = e.ver_minor;
    if (rc == 1) {
        l.is_root = 1;
        memset(&l.path, 0, sizeof(l.path));
    }
    l.is_security = l.path.len > 0 && l.path.ids[0] == 0;
    *out = l;
    return 0;
}

tether_lwm2m_view tether_lwm2m_link_root(const tether_lwm2m_link_iter *it)
{
    return it->root;
}

size_t tether_lwm2m_link_count(const tether_lwm2m_link_iter *it)
{
    return it->count;
}

size_t tether_lwm2m_link_security_count(const tether_lwm2m_link_iter *it)
{
    return it->security_count;
}

size_t tether_lwm2m_link_foreign_count(const tether_lwm2m_link_iter *it)
{
    return it->foreign_count;
}

int tether_lwm2m_link_is_security(const tether_lwm2m_link *e)
{
    return e != NULL && !e->is_root && e->path.len > 0 && e->path.ids[0] == 0;
}

int tether_lwm2m_link_attr_next(const tether_lwm2m_link *e, size_t *pos,
                                tether_lwm2m_view *name, tether_lwm2m_view *value,
                                int *has_value)
{
    tether_lwm2m_view n, v;
    const uint8_t *p, *end;
    int hv;

    if (e == NULL || pos == NULL || e->attrs.ptr == NULL || *pos >= e->attrs.len)
        return TETHER_ERR_NOT_FOUND;
    p = e->attrs.ptr + *pos;
    end = e->attrs.ptr + e->attrs.len;
    p = scan_attr(p, end, &n, &v, &hv);
    if (p == NULL)
        return TETHER_ERR_NOT_FOUND;
    *pos = (size_t)(p - e->attrs.ptr);
    if (name != NULL)
        *name = n;
    if (value != NULL)
        *value = v;
    if (has_value != NULL)
        *has_value = hv;
    return 0;
}

int tether_lwm2m_link_attr_find(const tether_lwm2m_link *e, const char *name,
                                tether_lwm2m_view *value)
{
    tether_lwm2m_view n, v;
    size_t pos = 0;

    if (name == NULL)
        return TETHER_ERR_NOT_FOUND;
    while (tether_lwm2m_link_attr_next(e, &pos, &n, &v, NULL) == 0) {
        if (name_is(n.ptr, n.len, name)) {
            if (value != NULL)
                *value = v;
            return 0;
        }
    }
    return TETHER_ERR_NOT_FOUND;
}

int tether_lwm2m_link_ct_next(const tether_lwm2m_link *e, size_t *pos, uint16_t *fmt)
{
    size_t i, s;
    uint64_t f;

    if (e == NULL || pos == NULL || e->ct.ptr == NULL || *pos >= e->ct.len)
        return TETHER_ERR_NOT_FOUND;
    i = s = *pos;
    while (i < e->ct.len && e->ct.ptr[i] != ' ')
        i++;
    if (tether_num_parse_u64(e->ct.ptr + s, i - s, 65535, &f) != 0)
        return TETHER_ERR_NOT_FOUND;
    *pos = i < e->ct.len ? i + 1 : i;
    if (fmt != NULL)
        *fmt = (uint16_t)f;
    return 0;
}

/* --- writing ------------------------------------------------------------- */

static int wfail(tether_lwm2m_link_writer *w, int err)
{
    if (w->err == 0)
        w->err = err;
    return w->err;
}

static int put(tether_lwm2m_link_writer *w, const void *p, size_t n)
{
    if (w->err)
        return w->err;
    if (w->cap - w->len < n)
        return wfail(w, TETHER_ERR_NOSPACE);
    if (n > 0)
        memcpy(w->buf + w->len, p, n);
    w->len += n;
    return 0;
}

static int put_s(tether_lwm2m_link_writer *w, const char *s)
{
    return put(w, s, strlen(s));
}

int tether_lwm2m_link_writer_init(tether_lwm2m_link_writer *w, uint8_t *buf, size_t cap,
                                  const char *root)
{
    if (w == NULL)
        return TETHER_ERR_INVAL;
    memset(w, 0, sizeof(*w));
    w->buf = buf;
    w->cap = buf != NULL ? cap : 0;
    w->root = "";
    if (root != NULL && root[0] != '\0' && !(root[0] == '/' && root[1] == '\0')) {
        size_t n = strlen(root);
        for (size_t i = 0; i < n; i++)
            if (!is_uri_char((uint8_t)root[i]))
                return wfail(w, TETHER_ERR_INVAL);
        if (!valid_root((const uint8_t *)root, n))
            return wfail(w, TETHER_ERR_INVAL);
        w->root = root;
    }
    return 0;
}

static int begin_entry(tether_lwm2m_link_writer *w)
{
    if (w->entries && put(w, ",", 1) != 0)
        return w->err;
    w->entries = 1;
    return put(w, "<", 1);
}

int tether_lwm2m_link_write_root(tether_lwm2m_link_writer *w, int32_t fmt)
{
    if (w->err)
        return w->err;
    if (fmt > 65535)
        return wfail(w, TETHER_ERR_INVAL);
    begin_entry(w);
    put_s(w, w->root[0] != '\0' ? w->root : "/");
    put_s(w, ">;rt=\"oma.lwm2m\"");
    if (fmt >= 0)
        tether_lwm2m_link_write_attr_uint(w, "ct", (uint32_t)fmt);
    return w->err;
}

int tether_lwm2m_link_write_path(tether_lwm2m_link_writer *w, const tether_lwm2m_path *p)
{
    char tmp[TETHER_LWM2M_PATH_STR_MAX];

    if (w->err)
        return w->err;
    if (!tether_lwm2m_path_valid(p) || p->len == 0)
        return wfail(w, TETHER_ERR_INVAL);
    (void)tether_lwm2m_path_format(p, tmp, sizeof(tmp), NULL);
    begin_entry(w);
    put_s(w, w->root);
    put_s(w, tmp);
    return put(w, ">", 1);
}

static int attr_name(tether_lwm2m_link_writer *w, const char *name)
{
    if (w->err)
        return w->err;
    if (!w->entries)
        return wfail(w, TETHER_ERR_STATE);
    if (name == NULL || name[0] == '\0')
        return wfail(w, TETHER_ERR_INVAL);
    for (const char *c = name; *c != '\0'; c++) {
        uint8_t ch = (uint8_t)*c;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            return wfail(w, TETHER_ERR_INVAL);
    }
    put(w, ";", 1);
    return put_s(w, name);
}

int tether_lwm2m_link_write_attr_flag(tether_lwm2m_link_writer *w, const char *name)
{
    return attr_name(w, name);
}

int tether_lwm2m_link_write_attr_uint(tether_lwm2m_link_writer *w, const char *name, uint32_t v)
{
    uint8_t num[10];
    size_t n = tether_num_format_u64(v, num, sizeof(num));

    if (attr_name(w, name) != 0)
        return w->err;
    put(w, "=", 1);
    return put(w, num, n);
}

int tether_lwm2m_link_write_attr_float(tether_lwm2m_link_writer *w, const char *name, double v)
{
    uint8_t num[TETHER_NUM_DOUBLE_MAX];
    size_t n;

    if (w->err)
        return w->err;
    if ((n = tether_num_format_double(v, num, sizeof(num))) == 0)
        return wfail(w, TETHER_ERR_INVAL); /* infinity or NaN */
    if (attr_name(w, name) != 0)
        return w->err;
    put(w, "=", 1);
    return put(w, num, n);
}

int tether_lwm2m_link_write_attr_token(tether_lwm2m_link_writer *w, const char *name,
                                       const char *value, size_t len)
{
    if (w->err)
        return w->err;
    if (value == NULL || len == 0)
        return wfail(w, TETHER_ERR_INVAL);
    for (size_t i = 0; i < len; i++)
        if (!is_ptoken_char((uint8_t)value[i]) || value[i] == '<' || value[i] == '>')
            return wfail(w, TETHER_ERR_INVAL);
    if (attr_name(w, name) != 0)
        return w->err;
    put(w, "=", 1);
    return put(w, value, len);
}

int tether_lwm2m_link_write_attr_quoted(tether_lwm2m_link_writer *w, const char *name,
                                        const char *value, size_t len)
{
    if (w->err)
        return w->err;
    if (value == NULL && len > 0)
        return wfail(w, TETHER_ERR_INVAL);
    if (attr_name(w, name) != 0)
        return w->err;
    put(w, "=\"", 2);
    for (size_t i = 0; i < len; i++) {
        if (value[i] == '"' || value[i] == '\\')
            put(w, "\\", 1);
        put(w, value + i, 1);
    }
    return put(w, "\"", 1);
}

int tether_lwm2m_link_writer_finish(const tether_lwm2m_link_writer *w, size_t *len)
{
    if (w == NULL)
        return TETHER_ERR_INVAL;
    if (w->err)
        return w->err;
    if (len != NULL)
        *len = w->len;
    return 0;
}
