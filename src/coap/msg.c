/* SPDX-License-Identifier: Apache-2.0 */
/* CoAP message parsing and building (RFC 7252 §3). No allocation; every read
 * is bounded by the length the caller gives. The option sequence is checked
 * in full by tether_coap_parse(), which lets the iterator trust it later. */
#include "tether/coap.h"

#include <string.h>

#include "tether_poison.h"

/* Decode one option header at *pp (bounded by end): adds the delta to *num,
 * sets *val and *vlen. Returns 0, 1 when *pp is the payload marker, or an
 * error. Shared by validation and iteration so both read the wire alike. */
static int opt_decode(const uint8_t **pp, const uint8_t *end, uint32_t *num,
                      const uint8_t **val, size_t *vlen)
{
    const uint8_t *p = *pp;
    uint32_t delta, olen;

    if (*p == 0xFF)
        return 1;
    delta = (uint32_t)(*p >> 4);
    olen = (uint32_t)(*p & 0x0F);
    p++;
    if (delta == 15 || olen == 15)
        return TETHER_ERR_BAD_OPTION_NIBBLE;
    if (delta == 13) {
        if (p >= end)
            return TETHER_ERR_TRUNCATED_OPTION;
        delta = 13u + *p++;
    } else if (delta == 14) {
        if (end - p < 2)
            return TETHER_ERR_TRUNCATED_OPTION;
        delta = 269u + ((uint32_t)p[0] << 8 | p[1]);
        p += 2;
    }
    if (olen == 13) {
        if (p >= end)
            return TETHER_ERR_TRUNCATED_OPTION;
        olen = 13u + *p++;
    } else if (olen == 14) {
        if (end - p < 2)
            return TETHER_ERR_TRUNCATED_OPTION;
        olen = 269u + ((uint32_t)p[0] << 8 | p[1]);
        p += 2;
    }
    if ((size_t)(end - p) < olen)
        return TETHER_ERR_TRUNCATED_OPTION;
    *num += delta;
    if (*num > 0xFFFF)
        return TETHER_ERR_MALFORMED;
    *val = p;
    *vlen = olen;
    *pp = p + olen;
    return 0;
}

int tether_coap_parse(tether_coap_msg *msg, const uint8_t *buf, size_t len)
{
    tether_coap_msg m;
    const uint8_t *p, *end;
    uint32_t num = 0;

    if (buf == NULL || len < TETHER_COAP_HEADER_SIZE)
        return TETHER_ERR_MALFORMED;
    if ((buf[0] >> 6) != 1)
        return TETHER_ERR_BAD_VERSION;
    memset(&m, 0, sizeof(m));
    m.type = (uint8_t)((buf[0] >> 4) & 3);
    m.tkl = (uint8_t)(buf[0] & 0x0F);
    m.code = buf[1];
    m.mid = (uint16_t)(buf[2] << 8 | buf[3]);
    if (m.tkl > TETHER_COAP_MAX_TOKEN)
        return TETHER_ERR_BAD_TOKEN_LEN;
    /* RFC 7252 §4.1: an Empty message is the 4-byte header and nothing else. */
    if (m.code == TETHER_COAP_EMPTY && (len != TETHER_COAP_HEADER_SIZE || m.tkl != 0))
        return TETHER_ERR_MALFORMED;
    if (len - TETHER_COAP_HEADER_SIZE < m.tkl)
        return TETHER_ERR_MALFORMED;
    memcpy(m.token, buf + TETHER_COAP_HEADER_SIZE, m.tkl);

    p = buf + TETHER_COAP_HEADER_SIZE + m.tkl;
    end = buf + len;
    m.opts = p;
    while (p < end) {
        const uint8_t *val;
        size_t vlen;
        int rc = opt_decode(&p, end, &num, &val, &vlen);
        if (rc < 0)
            return rc;
        if (rc == 1) {
            m.opts_len = (size_t)(p - m.opts);
            if (end - p == 1) /* §3: marker followed by a zero-length payload */
                return TETHER_ERR_EMPTY_PAYLOAD;
            m.payload = p + 1;
            m.payload_len = (size_t)(end - p - 1);
            *msg = m;
            return 0;
        }
    }
    m.opts_len = (size_t)(p - m.opts);
    *msg = m;
    return 0;
}

void tether_coap_opt_iter_init(tether_coap_opt_iter *it, const tether_coap_msg *msg)
{
    it->p = msg->opts;
    /* A message that was never parsed has opts NULL: NULL + 0 is undefined. */
    it->end = msg->opts != NULL ? msg->opts + msg->opts_len : NULL;
    it->num = 0;
}

int tether_coap_opt_next(tether_coap_opt_iter *it, tether_coap_opt *opt)
{
    uint32_t num = it->num;
    const uint8_t *val;
    size_t vlen;

    if (it->p == NULL || it->p >= it->end)
        return TETHER_ERR_NOT_FOUND;
    /* Validated by parse: a failure here means the caller forged the view. */
    if (opt_decode(&it->p, it->end, &num, &val, &vlen) != 0) {
        it->p = it->end;
        return TETHER_ERR_NOT_FOUND;
    }
    it->num = (uint16_t)num;
    opt->num = (uint16_t)num;
    opt->len = (uint32_t)vlen; /* at most 269 + 0xFFFF */
    opt->val = val;
    return 0;
}

int tether_coap_opt_find(const tether_coap_msg *msg, uint16_t num, tether_coap_opt *opt)
{
    tether_coap_opt_iter it;
    tether_coap_opt o;

    tether_coap_opt_iter_init(&it, msg);
    while (tether_coap_opt_next(&it, &o) == 0) {
        if (o.num == num) {
            *opt = o;
            return 0;
        }
        if (o.num > num)
            break;
    }
    return TETHER_ERR_NOT_FOUND;
}

int tether_coap_opt_collect(const tether_coap_msg *msg, uint16_t num,
                            tether_coap_opt *out, size_t max, size_t *n)
{
    tether_coap_opt_iter it;
    tether_coap_opt o;
    size_t count = 0;

    tether_coap_opt_iter_init(&it, msg);
    while (tether_coap_opt_next(&it, &o) == 0) {
        if (o.num > num)
            break;
        if (o.num != num)
            continue;
        if (count < max)
            out[count] = o;
        count++;
    }
    *n = count;
    return count > max ? TETHER_ERR_NOSPACE : 0;
}

int tether_coap_uint_decode(const uint8_t *val, size_t len, uint32_t *out)
{
    uint32_t v = 0;

    if (len > 4)
        return TETHER_ERR_BAD_OPTION;
    for (size_t i = 0; i < len; i++)
        v = v << 8 | val[i];
    *out = v;
    return 0;
}

int tether_coap_opt_uint(const tether_coap_msg *msg, uint16_t num, uint32_t *out)
{
    tether_coap_opt o;
    int rc = tether_coap_opt_find(msg, num, &o);

    if (rc != 0)
        return rc;
    return tether_coap_uint_decode(o.val, o.len, out);
}

/* An unsigned option limited to max_len bytes by its definition. */
static int opt_uint_max(const tether_coap_msg *msg, uint16_t num, size_t max_len, uint32_t *out)
{
    tether_coap_opt o;
    int rc = tether_coap_opt_find(msg, num, &o);

    if (rc != 0)
        return rc;
    if (o.len > max_len)
        return TETHER_ERR_BAD_OPTION;
    return tether_coap_uint_decode(o.val, o.len, out);
}

int tether_coap_content_format(const tether_coap_msg *msg, uint32_t *fmt)
{
    return opt_uint_max(msg, TETHER_COAP_OPT_CONTENT_FORMAT, 2, fmt);
}

int tether_coap_accept(const tether_coap_msg *msg, uint32_t *fmt)
{
    return opt_uint_max(msg, TETHER_COAP_OPT_ACCEPT, 2, fmt);
}

int tether_coap_observe(const tether_coap_msg *msg, uint32_t *seq)
{
    return opt_uint_max(msg, TETHER_COAP_OPT_OBSERVE, 3, seq);
}

int tether_coap_block_decode(const uint8_t *val, size_t len, tether_coap_block *blk)
{
    uint32_t v;

    if (len > 3 || tether_coap_uint_decode(val, len, &v) != 0)
        return TETHER_ERR_BAD_OPTION;
    if ((v & 7) == 7) /* RFC 7959 §2.2: SZX 7 is reserved */
        return TETHER_ERR_BAD_OPTION;
    blk->num = v >> 4;
    blk->more = (uint8_t)((v >> 3) & 1);
    blk->szx = (uint8_t)(v & 7);
    return 0;
}

int tether_coap_block_get(const tether_coap_msg *msg, uint16_t num, tether_coap_block *blk)
{
    tether_coap_opt o;
    int rc = tether_coap_opt_find(msg, num, &o);

    if (rc != 0)
        return rc;
    return tether_coap_block_decode(o.val, o.len, blk);
}

uint32_t tether_coap_block_value(const tether_coap_block *blk)
{
    return blk->num << 4 | (uint32_t)(blk->more ? 8 : 0) | (blk->szx & 7u);
}

int tether_coap_query_find(const tether_coap_msg *msg, const char *key,
                           const uint8_t **val, size_t *len)
{
    tether_coap_opt_iter it;
    tether_coap_opt o;
    size_t klen = strlen(key);

    tether_coap_opt_iter_init(&it, msg);
    while (tether_coap_opt_next(&it, &o) == 0) {
        if (o.num > TETHER_COAP_OPT_URI_QUERY)
            break;
        if (o.num != TETHER_COAP_OPT_URI_QUERY || o.len < klen ||
            memcmp(o.val, key, klen) != 0)
            continue;
        if (o.len == klen) {
            *val = o.val + klen;
            *len = 0;
            return 0;
        }
        if (o.val[klen] == '=') {
            *val = o.val + klen + 1;
            *len = o.len - klen - 1;
            return 0;
        }
    }
    return TETHER_ERR_NOT_FOUND;
}

int tether_coap_path_equals(const tether_coap_msg *msg, const char *path)
{
    tether_coap_opt_iter it;
    tether_coap_opt o;
    const char *p = path; /* the next segment; NULL once all are matched */

    /* Split as tether_coap_build_path() does (RFC 7252 §6.4). */
    if (*p == '/')
        p++;
    if (*p == '\0')
        p = NULL;
    tether_coap_opt_iter_init(&it, msg);
    while (tether_coap_opt_next(&it, &o) == 0) {
        size_t seg;
        if (o.num > TETHER_COAP_OPT_URI_PATH)
            break;
        if (o.num != TETHER_COAP_OPT_URI_PATH)
            continue;
        if (p == NULL)
            return 0; /* message has more segments than path */
        seg = strcspn(p, "/");
        if (seg != o.len || memcmp(p, o.val, seg) != 0)
            return 0;
        p = p[seg] == '/' ? p + seg + 1 : NULL;
    }
    return p == NULL;
}

int tether_coap_path_string(const tether_coap_msg *msg, uint16_t num, char *out, size_t cap)
{
    tether_coap_opt_iter it;
    tether_coap_opt o;
    size_t n = 0, sep = 0;

    if (cap == 0)
        return TETHER_ERR_NOSPACE;
    tether_coap_opt_iter_init(&it, msg);
    while (tether_coap_opt_next(&it, &o) == 0) {
        if (o.num > num)
            break;
        if (o.num != num)
            continue;
        /* Every segment but the first gets a '/', even after an empty one. */
        if (n + sep + o.len + 1 > cap) {
            out[0] = '\0';
            return TETHER_ERR_NOSPACE;
        }
        if (sep)
            out[n++] = '/';
        memcpy(out + n, o.val, o.len);
        n += o.len;
        sep = 1;
    }
    out[n] = '\0';
    return 0;
}

/* --- building ------------------------------------------------------------ */

static int fail(tether_coap_builder *b, int err)
{
    if (b->err == 0)
        b->err = err;
    return b->err;
}

int tether_coap_build_init(tether_coap_builder *b, uint8_t *buf, size_t cap, uint8_t type,
                           uint8_t code, uint16_t mid, const uint8_t *token, uint8_t tkl)
{
    memset(b, 0, sizeof(*b));
    b->buf = buf;
    b->cap = cap;
    if (tkl > TETHER_COAP_MAX_TOKEN || type > 3 || (tkl > 0 && token == NULL) ||
        (code == TETHER_COAP_EMPTY && tkl > 0))
        return fail(b, TETHER_ERR_INVAL);
    if (buf == NULL || cap < (size_t)TETHER_COAP_HEADER_SIZE + tkl)
        return fail(b, TETHER_ERR_NOSPACE);
    buf[0] = (uint8_t)(1u << 6 | (unsigned)type << 4 | tkl);
    buf[1] = code;
    buf[2] = (uint8_t)(mid >> 8);
    buf[3] = (uint8_t)mid;
    if (tkl > 0)
        memcpy(buf + TETHER_COAP_HEADER_SIZE, token, tkl);
    b->len = TETHER_COAP_HEADER_SIZE + (size_t)tkl;
    return 0;
}

/* RFC 7252 §4.1: an Empty message is the header alone. The parser refuses
 * anything more, so the builder never makes it. Valid once init succeeded. */
static int is_empty_msg(const tether_coap_builder *b)
{
    return b->buf[1] == TETHER_COAP_EMPTY;
}

/* RFC 7252 §3.1: the 4-bit nibble for v (an option delta or length), with
 * the extended bytes it needs written at *p, which moves past them. */
static uint8_t nibble(uint32_t v, uint8_t **p)
{
    if (v < 13)
        return (uint8_t)v;
    if (v < 269) {
        *(*p)++ = (uint8_t)(v - 13);
        return 13;
    }
    *(*p)++ = (uint8_t)((v - 269) >> 8);
    *(*p)++ = (uint8_t)(v - 269);
    return 14;
}

int tether_coap_build_opt(tether_coap_builder *b, uint16_t num, const void *val, size_t len)
{
    uint8_t h[5], *p = h + 1; /* the option header, built aside first */
    size_t hn;

    if (b->err)
        return b->err;
    if (b->has_payload || num < b->last_opt)
        return fail(b, TETHER_ERR_OPTION_ORDER);
    if (len > 65804 || (len > 0 && val == NULL) || is_empty_msg(b))
        return fail(b, TETHER_ERR_INVAL);
    h[0] = (uint8_t)(nibble((uint32_t)num - b->last_opt, &p) << 4);
    h[0] |= nibble((uint32_t)len, &p);
    hn = (size_t)(p - h);
    if (b->cap - b->len < hn + len)
        return fail(b, TETHER_ERR_NOSPACE);
    memcpy(b->buf + b->len, h, hn);
    if (len > 0)
        memcpy(b->buf + b->len + hn, val, len);
    b->len += hn + len;
    b->last_opt = num;
    return 0;
}

int tether_coap_build_opt_uint(tether_coap_builder *b, uint16_t num, uint32_t v)
{
    uint8_t tmp[4];
    size_t n = 0;

    for (int shift = 24; shift >= 0; shift -= 8)
        if (n > 0 || (v >> shift) & 0xFF)
            tmp[n++] = (uint8_t)(v >> shift);
    return tether_coap_build_opt(b, num, tmp, n);
}

int tether_coap_build_opt_str(tether_coap_builder *b, uint16_t num, const char *s)
{
    return tether_coap_build_opt(b, num, s, s ? strlen(s) : 0);
}

int tether_coap_build_path(tether_coap_builder *b, uint16_t num, const char *path)
{
    const char *p = path;

    if (p == NULL)
        return fail(b, TETHER_ERR_INVAL);
    /* RFC 7252 §6.4 step 8: "" and "/" add nothing; otherwise every segment,
     * empty ones included ("a/" is "a" then ""), is one option. */
    if (*p == '/')
        p++;
    if (*p == '\0')
        return b->err;
    for (;;) {
        size_t seg = strcspn(p, "/");
        int rc = tether_coap_build_opt(b, num, p, seg);
        if (rc != 0)
            return rc;
        if (p[seg] == '\0')
            return 0;
        p += seg + 1;
    }
}

int tether_coap_build_block(tether_coap_builder *b, uint16_t num, const tether_coap_block *blk)
{
    if (blk->szx > 6 || blk->num >= (1u << 20))
        return fail(b, TETHER_ERR_INVAL);
    return tether_coap_build_opt_uint(b, num, tether_coap_block_value(blk));
}

int tether_coap_build_payload_reserve(tether_coap_builder *b, uint8_t **dst, size_t *avail)
{
    size_t marker = b->has_payload ? 0 : 1;

    if (b->err)
        return b->err;
    if (is_empty_msg(b))
        return fail(b, TETHER_ERR_INVAL);
    if (b->cap - b->len < marker) {
        *dst = NULL;
        *avail = 0;
        return 0;
    }
    *dst = b->buf + b->len + marker;
    *avail = b->cap - b->len - marker;
    return 0;
}

int tether_coap_build_payload_commit(tether_coap_builder *b, size_t n)
{
    size_t marker;

    if (b->err)
        return b->err;
    if (n == 0)
        return 0;
    if (is_empty_msg(b))
        return fail(b, TETHER_ERR_INVAL);
    marker = b->has_payload ? 0 : 1;
    if (b->cap - b->len < marker + n)
        return fail(b, TETHER_ERR_NOSPACE);
    if (!b->has_payload)
        b->buf[b->len] = 0xFF;
    b->len += marker + n;
    b->has_payload = 1;
    return 0;
}

int tether_coap_build_payload(tether_coap_builder *b, const void *p, size_t n)
{
    uint8_t *dst;
    size_t avail;
    int rc;

    if (n == 0)
        return b->err;
    if (p == NULL)
        return fail(b, TETHER_ERR_INVAL);
    rc = tether_coap_build_payload_reserve(b, &dst, &avail);
    if (rc != 0)
        return rc;
    if (avail < n)
        return fail(b, TETHER_ERR_NOSPACE);
    memcpy(dst, p, n);
    return tether_coap_build_payload_commit(b, n);
}

int tether_coap_build_finish(const tether_coap_builder *b, size_t *len)
{
    if (b->err)
        return b->err;
    *len = b->len;
    return 0;
}

int tether_coap_build_mid(const tether_coap_builder *b, uint16_t *mid)
{
    if (b == NULL || b->buf == NULL || b->len < TETHER_COAP_HEADER_SIZE)
        return TETHER_ERR_INVAL;
    *mid = (uint16_t)(b->buf[2] << 8 | b->buf[3]);
    return 0;
}

char *tether_coap_code_str(uint8_t code, char out[5])
{
    unsigned d = TETHER_COAP_DETAIL(code);

    out[0] = (char)('0' + TETHER_COAP_CLASS(code));
    out[1] = '.';
    out[2] = (char)('0' + d / 10);
    out[3] = (char)('0' + d % 10);
    out[4] = '\0';
    return out;
}
