/* SPDX-License-Identifier: Apache-2.0 */
/* JSON for the LwM2M JSON and SenML JSON codecs. jsmn splits the text into
 * tokens in caller memory; jsmn is a tokenizer, not a validator (it takes
 * "[1 2]", "{,}" and "tru"), so a second pass walks the tokens in document
 * order with a cursor over the text and checks every byte between and
 * inside them against the RFC 8259 grammar: jsmn supplies the tree, the
 * walk supplies the strictness. The walk is iterative with a bounded stack.
 * This is the one file that includes jsmn.h (its functions are static). */
#include "json_internal.h"

#include <limits.h>
#include <math.h>
#include <string.h>

#ifdef TETHER_HAVE_JSMN
#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>
#else
/* jsmn's token layout, so that the accessors compile without it. */
typedef struct {
    int type, start, end, size, parent;
} jsmntok_t;
#endif

#include "base64_internal.h"
#include "num_internal.h"

#include "tether_poison.h"

/* The caller's tether_json_token array holds jsmntok_t entries: the public
 * type only reserves room, so jsmn.h stays out of the public headers. */
_Static_assert(sizeof(jsmntok_t) <= sizeof(tether_json_token), "token storage too small");
_Static_assert(_Alignof(jsmntok_t) <= _Alignof(tether_json_token), "token storage misaligned");

static const jsmntok_t *tok(const tether_json_doc *d, size_t i)
{
    return &((const jsmntok_t *)(const void *)d->tok)[i];
}

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Four hex digits at s (n bytes available) or -1. */
static long hex4(const uint8_t *s, size_t n)
{
    long v = 0;

    if (n < 4)
        return -1;
    for (int k = 0; k < 4; k++) {
        int h = hexval(s[k]);
        if (h < 0)
            return -1;
        v = v << 4 | h;
    }
    return v;
}

/* RFC 8259 §6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
 * *integral: no fraction and no exponent. */
static int check_number(const uint8_t *s, size_t n, int *integral)
{
    size_t i = 0, d;

    *integral = 1;
    if (i < n && s[i] == '-')
        i++;
    if (i >= n)
        return -1;
    if (s[i] == '0') {
        i++;
    } else if (s[i] >= '1' && s[i] <= '9') {
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    } else {
        return -1;
    }
    if (i < n && s[i] == '.') {
        *integral = 0;
        i++;
        for (d = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++, d++)
            ;
        if (d == 0)
            return -1;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        *integral = 0;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        for (d = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++, d++)
            ;
        if (d == 0)
            return -1;
    }
    return i == n ? 0 : -1;
}

#ifdef TETHER_HAVE_JSMN
/* The checks below only run on what jsmn made. */

static int is_ws(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t skip_ws(const uint8_t *b, size_t len, size_t pos)
{
    while (pos < len && is_ws(b[pos]))
        pos++;
    return pos;
}

/* The inside of a string (between the quotes): escapes, surrogate pairs,
 * no raw control characters, UTF-8. */
static int check_string(const uint8_t *s, size_t n)
{
    size_t i = 0;

    if (!tether_lwm2m_utf8_valid(s, n))
        return -1;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x20 || c == '"')
            return -1;
        if (c != '\\') {
            i++;
            continue;
        }
        if (i + 1 >= n)
            return -1;
        switch (s[i + 1]) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
            i += 2;
            break;
        case 'u': {
            long u = hex4(s + i + 2, n - i - 2);
            if (u < 0 || (u >= 0xDC00 && u <= 0xDFFF))
                return -1;
            i += 6;
            if (u >= 0xD800 && u <= 0xDBFF) {
                long lo;
                if (i + 2 > n || s[i] != '\\' || s[i + 1] != 'u')
                    return -1;
                lo = hex4(s + i + 2, n - i - 2);
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return -1;
                i += 6;
            }
            break;
        }
        default:
            return -1;
        }
    }
    return 0;
}

static int check_primitive(const uint8_t *s, size_t n)
{
    int integral;

    if ((n == 4 && memcmp(s, "true", 4) == 0) || (n == 5 && memcmp(s, "false", 5) == 0) ||
        (n == 4 && memcmp(s, "null", 4) == 0))
        return 0;
    return check_number(s, n, &integral);
}

/* Walk n tokens over b[0..len) in document order; see the file comment. */
static int check_doc(const uint8_t *b, size_t len, const jsmntok_t *t, size_t n)
{
    struct {
        size_t tok, left;
        uint8_t obj;
    } st[TETHER_JSON_DEPTH_MAX];
    size_t pos = skip_ws(b, len, 0), i = 0;
    int depth = 0;

    for (;;) {
        const jsmntok_t *k;
        /* A value starts at pos and is token i. */
        if (i >= n || pos >= len)
            return -1;
        k = &t[i];
        if (k->start < 0 || k->end < k->start || (size_t)k->end > len)
            return -1;
        switch (k->type) {
        case 1: /* JSMN_OBJECT */
        case 2: /* JSMN_ARRAY */
            if ((size_t)k->start != pos || b[pos] != (k->type == 1 ? '{' : '[') ||
                depth == TETHER_JSON_DEPTH_MAX || k->size < 0)
                return -1;
            st[depth].tok = i;
            st[depth].left = (size_t)k->size;
            st[depth].obj = k->type == 1;
            depth++;
            i++;
            pos = skip_ws(b, len, pos + 1);
            if (k->size == 0) {
                if (pos >= len || b[pos] != (k->type == 1 ? '}' : ']') ||
                    (size_t)k->end != pos + 1)
                    return -1;
                pos++;
                depth--;
                goto after_value;
            }
            if (k->type == 1)
                goto key;
            continue;
        case 3: /* JSMN_STRING */
            if (b[pos] != '"' || (size_t)k->start != pos + 1 || (size_t)k->end >= len ||
                b[k->end] != '"' ||
                check_string(b + k->start, (size_t)(k->end - k->start)) != 0)
                return -1;
            pos = (size_t)k->end + 1;
            i++;
            goto after_value;
        case 4: /* JSMN_PRIMITIVE */
            if ((size_t)k->start != pos ||
                check_primitive(b + k->start, (size_t)(k->end - k->start)) != 0)
                return -1;
            pos = (size_t)k->end;
            i++;
            goto after_value;
        default:
            return -1;
        }
    after_value:
        pos = skip_ws(b, len, pos);
        if (depth == 0)
            break;
        if (--st[depth - 1].left > 0) {
            if (pos >= len || b[pos] != ',')
                return -1;
            pos = skip_ws(b, len, pos + 1);
            if (st[depth - 1].obj)
                goto key;
            continue;
        }
        if (pos >= len || b[pos] != (st[depth - 1].obj ? '}' : ']') ||
            (size_t)t[st[depth - 1].tok].end != pos + 1)
            return -1;
        pos++;
        depth--;
        goto after_value;
    key:
        /* A key string at pos (token i), then ':' and a value. */
        if (i >= n || pos >= len)
            return -1;
        k = &t[i];
        if (k->type != 3 || b[pos] != '"' || k->start < 0 || (size_t)k->start != pos + 1 ||
            k->end < k->start || (size_t)k->end >= len || b[k->end] != '"' ||
            check_string(b + k->start, (size_t)(k->end - k->start)) != 0)
            return -1;
        i++;
        pos = skip_ws(b, len, (size_t)k->end + 1);
        if (pos >= len || b[pos] != ':')
            return -1;
        pos = skip_ws(b, len, pos + 1);
    }
    return pos == len && i == n ? 0 : -1;
}

#endif /* TETHER_HAVE_JSMN */

int tether_json_parse(tether_json_doc *d, const uint8_t *buf, size_t len,
                      tether_json_token *toks, size_t ntok)
{
#ifdef TETHER_HAVE_JSMN
    jsmn_parser p;
    jsmntok_t *t = (jsmntok_t *)(void *)toks;
    size_t cap;
    int r;

    /* No tokens at all would put jsmn in its counting mode (tokens NULL),
     * which validates even less: refuse before. */
    if (len > INT_MAX || toks == NULL || ntok == 0)
        return TETHER_ERR_TOO_LARGE;
    /* jsmntok_t may be smaller than the storage: use all of it. */
    cap = ntok > UINT_MAX / (sizeof(tether_json_token) / sizeof(jsmntok_t))
              ? UINT_MAX
              : ntok * (sizeof(tether_json_token) / sizeof(jsmntok_t));
    jsmn_init(&p);
    r = jsmn_parse(&p, (const char *)buf, len, t, (unsigned)cap);
    if (r == JSMN_ERROR_NOMEM)
        return TETHER_ERR_TOO_LARGE;
    if (r <= 0)
        return TETHER_ERR_MALFORMED;
    if (check_doc(buf, len, t, (size_t)r) != 0)
        return TETHER_ERR_MALFORMED;
    d->buf = buf;
    d->len = len;
    d->tok = toks;
    d->ntok = (size_t)r;
    return 0;
#else
    (void)d, (void)buf, (void)len, (void)toks, (void)ntok;
    return TETHER_ERR_UNSUPPORTED;
#endif
}

int tether_json_type(const tether_json_doc *d, size_t i)
{
    return i < d->ntok ? tok(d, i)->type : 0;
}

size_t tether_json_size(const tether_json_doc *d, size_t i)
{
    int ty = tether_json_type(d, i);
    return ty == TETHER_JSON_OBJECT || ty == TETHER_JSON_ARRAY ? (size_t)tok(d, i)->size : 0;
}

size_t tether_json_skip(const tether_json_doc *d, size_t i)
{
    int end;

    if (i >= d->ntok)
        return d->ntok;
    /* Tokens are in document order: the subtree is every token that starts
     * before i ends. */
    end = tok(d, i)->end;
    i++;
    while (i < d->ntok && tok(d, i)->start < end)
        i++;
    return i;
}

/* --- strings ------------------------------------------------------------- */

/* Streams the unescaped bytes of a validated string. */
typedef struct unesc {
    const uint8_t *p, *end;
    uint8_t pend[4];
    uint8_t npend, ipend;
} unesc;

static void unesc_init(unesc *u, const tether_json_doc *d, size_t i)
{
    const jsmntok_t *k = tok(d, i);
    u->p = d->buf + k->start;
    u->end = d->buf + k->end;
    u->npend = u->ipend = 0;
}

static size_t utf8_put(uint8_t out[4], unsigned long cp)
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | cp >> 6);
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | cp >> 12);
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | cp >> 18);
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* The next byte into *c; 0 at the end. The string was validated. */
static int unesc_next(unesc *u, uint8_t *c)
{
    if (u->ipend < u->npend) {
        *c = u->pend[u->ipend++];
        return 1;
    }
    if (u->p >= u->end)
        return 0;
    if (*u->p != '\\') {
        *c = *u->p++;
        return 1;
    }
    switch (u->p[1]) {
    case 'b':
        *c = '\b';
        break;
    case 'f':
        *c = '\f';
        break;
    case 'n':
        *c = '\n';
        break;
    case 'r':
        *c = '\r';
        break;
    case 't':
        *c = '\t';
        break;
    case 'u': {
        unsigned long cp = (unsigned long)hex4(u->p + 2, 4);
        u->p += 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            unsigned long lo = (unsigned long)hex4(u->p + 2, 4);
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            u->p += 6;
        }
        u->npend = (uint8_t)utf8_put(u->pend, cp);
        u->ipend = 1;
        *c = u->pend[0];
        return 1;
    }
    default: /* '"', '\\', '/' stand for themselves */
        *c = u->p[1];
        break;
    }
    u->p += 2;
    return 1;
}

int tether_json_str_eq(const tether_json_doc *d, size_t i, const char *lit)
{
    unesc u;
    uint8_t c;

    if (tether_json_type(d, i) != TETHER_JSON_STRING)
        return 0;
    unesc_init(&u, d, i);
    while (unesc_next(&u, &c)) {
        if (*lit == '\0' || (uint8_t)*lit != c)
            return 0;
        lit++;
    }
    return *lit == '\0';
}

int tether_json_str_last(const tether_json_doc *d, size_t i)
{
    unesc u;
    uint8_t c;
    int last = -1;

    if (tether_json_type(d, i) != TETHER_JSON_STRING)
        return -1;
    unesc_init(&u, d, i);
    while (unesc_next(&u, &c))
        last = c;
    return last;
}

int tether_json_str_view(const tether_json_doc *d, size_t i, tether_lwm2m_view *v)
{
    const jsmntok_t *k;
    const uint8_t *s;
    size_t n;

    if (tether_json_type(d, i) != TETHER_JSON_STRING)
        return 0;
    k = tok(d, i);
    s = d->buf + k->start;
    n = (size_t)(k->end - k->start);
    if (n > 0 && memchr(s, '\\', n) != NULL)
        return 0;
    v->ptr = n > 0 ? s : NULL;
    v->len = n;
    return 1;
}

size_t tether_json_str_len(const tether_json_doc *d, size_t i)
{
    unesc u;
    uint8_t c;
    size_t n = 0;

    if (tether_json_type(d, i) != TETHER_JSON_STRING)
        return 0;
    unesc_init(&u, d, i);
    while (unesc_next(&u, &c))
        n++;
    return n;
}

int tether_json_str_copy(const tether_json_doc *d, size_t i, uint8_t *out, size_t cap,
                         size_t *len)
{
    unesc u;
    uint8_t c;
    size_t n = 0;

    if (tether_json_str_len(d, i) > cap)
        return TETHER_ERR_NOSPACE;
    if (tether_json_type(d, i) == TETHER_JSON_STRING) {
        unesc_init(&u, d, i);
        while (unesc_next(&u, &c))
            out[n++] = c;
    }
    *len = n;
    return 0;
}

/* --- primitives ------------------------------------------------------------ */

static int prim(const tether_json_doc *d, size_t i, const uint8_t **s, size_t *n)
{
    const jsmntok_t *k;

    if (tether_json_type(d, i) != TETHER_JSON_PRIMITIVE)
        return -1;
    k = tok(d, i);
    *s = d->buf + k->start;
    *n = (size_t)(k->end - k->start);
    return 0;
}

int tether_json_number(const tether_json_doc *d, size_t i, tether_lwm2m_value *v)
{
    const uint8_t *s;
    size_t n;
    int integral;
    tether_lwm2m_value r;

    if (prim(d, i, &s, &n) != 0 || check_number(s, n, &integral) != 0)
        return TETHER_ERR_MALFORMED;
    memset(&r, 0, sizeof(r));
    if (integral && tether_num_parse_i64(s, n, &r.i) == 0) {
        r.type = TETHER_LWM2M_INTEGER;
    } else if (integral && s[0] != '-' && tether_num_parse_u64(s, n, UINT64_MAX, &r.u) == 0) {
        r.type = TETHER_LWM2M_UNSIGNED;
    } else {
        /* A fraction, an exponent, or an integer past 64 bits. */
        r.type = TETHER_LWM2M_FLOAT;
        if (tether_num_parse_double(s, n, &r.f) != 0)
            return TETHER_ERR_MALFORMED;
    }
    *v = r;
    return 0;
}

int tether_json_double(const tether_json_doc *d, size_t i, double *out)
{
    tether_lwm2m_value v;
    int rc = tether_json_number(d, i, &v);

    if (rc != 0)
        return rc;
    *out = v.type == TETHER_LWM2M_INTEGER    ? (double)v.i
           : v.type == TETHER_LWM2M_UNSIGNED ? (double)v.u
                                             : v.f;
    return 0;
}

int tether_json_bool(const tether_json_doc *d, size_t i, uint8_t *out)
{
    const uint8_t *s;
    size_t n;

    if (prim(d, i, &s, &n) != 0)
        return TETHER_ERR_MALFORMED;
    if (n == 4 && memcmp(s, "true", 4) == 0)
        *out = 1;
    else if (n == 5 && memcmp(s, "false", 5) == 0)
        *out = 0;
    else
        return TETHER_ERR_MALFORMED;
    return 0;
}

/* --- output ------------------------------------------------------------------ */

void tether_json_out_init(tether_json_out *o, uint8_t *buf, size_t cap)
{
    o->buf = buf;
    o->cap = buf != NULL ? cap : 0;
    o->len = 0;
    o->err = 0;
}

static void fail(tether_json_out *o, int err)
{
    if (o->err == 0)
        o->err = err;
}

void tether_json_put_n(tether_json_out *o, const void *s, size_t n)
{
    if (o->err)
        return;
    if (o->cap - o->len < n) {
        fail(o, TETHER_ERR_NOSPACE);
        return;
    }
    if (n > 0)
        memcpy(o->buf + o->len, s, n);
    o->len += n;
}

void tether_json_put(tether_json_out *o, const char *s)
{
    tether_json_put_n(o, s, strlen(s));
}

void tether_json_put_str(tether_json_out *o, const uint8_t *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t run = 0;

    if (o->err)
        return;
    if ((s == NULL && n > 0) || !tether_lwm2m_utf8_valid(s, n)) {
        fail(o, TETHER_ERR_INVAL);
        return;
    }
    tether_json_put_n(o, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        char esc[6];
        size_t el = 2;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        tether_json_put_n(o, s + run, i - run);
        run = i + 1;
        esc[0] = '\\';
        switch (c) {
        case '"':
        case '\\':
            esc[1] = (char)c;
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            el = 6;
            break;
        }
        tether_json_put_n(o, esc, el);
    }
    if (n > run)
        tether_json_put_n(o, s + run, n - run); /* s may be NULL when n is 0 */
    tether_json_put_n(o, "\"", 1);
}

void tether_json_put_b64(tether_json_out *o, const uint8_t *s, size_t n, int alphabet)
{
    int pad = alphabet == TETHER_B64_STD;
    size_t need = tether_b64_encoded_len(n, pad), w;

    if (o->err)
        return;
    if ((s == NULL && n > 0) || need > SIZE_MAX - 2) {
        fail(o, TETHER_ERR_INVAL);
        return;
    }
    if (o->cap - o->len < need + 2) {
        fail(o, TETHER_ERR_NOSPACE);
        return;
    }
    o->buf[o->len++] = '"';
    (void)tether_b64_encode(s, n, alphabet, pad, o->buf + o->len, o->cap - o->len, &w);
    o->len += w;
    o->buf[o->len++] = '"';
}

void tether_json_put_i64(tether_json_out *o, int64_t v)
{
    uint8_t tmp[24];
    tether_json_put_n(o, tmp, tether_num_format_i64(v, tmp, sizeof(tmp)));
}

void tether_json_put_u64(tether_json_out *o, uint64_t v)
{
    uint8_t tmp[24];
    tether_json_put_n(o, tmp, tether_num_format_u64(v, tmp, sizeof(tmp)));
}

void tether_json_put_double(tether_json_out *o, double v, int keep_float)
{
    uint8_t tmp[TETHER_NUM_DOUBLE_MAX + 2];
    size_t n;

    if (o->err)
        return;
    if (!isfinite(v) || (n = tether_num_format_double(v, tmp, TETHER_NUM_DOUBLE_MAX)) == 0) {
        fail(o, TETHER_ERR_INVAL);
        return;
    }
    if (keep_float && memchr(tmp, '.', n) == NULL && memchr(tmp, 'e', n) == NULL) {
        tmp[n++] = '.';
        tmp[n++] = '0';
    }
    tether_json_put_n(o, tmp, n);
}

void tether_json_put_objlnk(tether_json_out *o, tether_lwm2m_objlnk l)
{
    uint8_t tmp[16];
    size_t n = tether_num_format_u64(l.obj, tmp, sizeof(tmp));

    tmp[n++] = ':';
    n += tether_num_format_u64(l.inst, tmp + n, sizeof(tmp) - n);
    tether_json_put_n(o, "\"", 1);
    tether_json_put_n(o, tmp, n);
    tether_json_put_n(o, "\"", 1);
}

int tether_json_small_str(const tether_json_doc *d, size_t i, uint8_t *buf, size_t cap,
                          size_t *len)
{
    if (tether_json_type(d, i) != TETHER_JSON_STRING)
        return TETHER_ERR_MALFORMED;
    return tether_json_str_copy(d, i, buf, cap, len) == 0 ? 0 : TETHER_ERR_MALFORMED;
}

int tether_json_str_value(const tether_json_doc *d, size_t i, uint8_t *scratch, size_t cap,
                          tether_lwm2m_view *v)
{
    size_t n;

    if (tether_json_type(d, i) != TETHER_JSON_STRING)
        return TETHER_ERR_MALFORMED;
    if (tether_json_str_view(d, i, v))
        return 0;
    if (tether_json_str_copy(d, i, scratch, cap, &n) != 0)
        return TETHER_ERR_TOO_LARGE;
    v->ptr = n > 0 ? scratch : NULL;
    v->len = n;
    return 0;
}

int tether_json_objlnk_value(const tether_json_doc *d, size_t i, tether_lwm2m_value *v)
{
    uint8_t tmp[16];
    size_t n;
    tether_lwm2m_value s;

    if (tether_json_small_str(d, i, tmp, sizeof(tmp), &n) != 0)
        return TETHER_ERR_MALFORMED;
    s = tether_lwm2m_value_string(tmp, n);
    return tether_lwm2m_value_convert(&s, TETHER_LWM2M_OBJLNK, NULL, 0, v);
}
