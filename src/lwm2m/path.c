/* SPDX-License-Identifier: Apache-2.0 */
/* LwM2M paths (LwM2M 1.0 §6.1): /object/instance/resource/resource-instance,
 * each id 0..65534. Parsed from text or from a request's Uri-Path options,
 * formatted back, compared. A segment is canonical decimal (no sign, no
 * leading zeros) so that one path has exactly one spelling: "/3/00" is
 * refused rather than quietly taken for "/3/0". */
#include "tether/lwm2m.h"

#include <string.h>

#include "num_internal.h"

#include "tether_poison.h"

tether_lwm2m_path tether_lwm2m_path_make(uint8_t len, uint16_t obj, uint16_t inst,
                                         uint16_t res, uint16_t rinst)
{
    tether_lwm2m_path p;
    uint16_t ids[4] = {obj, inst, res, rinst};

    memset(&p, 0, sizeof(p));
    p.len = len;
    for (unsigned i = 0; i < 4 && i < len; i++)
        p.ids[i] = ids[i];
    return p;
}

int tether_lwm2m_path_valid(const tether_lwm2m_path *p)
{
    if (p == NULL || p->len > 4)
        return 0;
    for (unsigned i = 0; i < 4; i++) {
        if (i < p->len ? p->ids[i] == TETHER_LWM2M_ID_RESERVED : p->ids[i] != 0)
            return 0;
    }
    return 1;
}

/* One canonical decimal id 0..65534. */
static int parse_id(const uint8_t *s, size_t len, uint16_t *id)
{
    uint64_t v;

    if (len == 0 || len > 5 || (len > 1 && s[0] == '0'))
        return -1;
    if (tether_num_parse_u64(s, len, TETHER_LWM2M_ID_MAX, &v) != 0)
        return -1;
    *id = (uint16_t)v;
    return 0;
}

int tether_lwm2m_path_parse(tether_lwm2m_path *p, const char *s, size_t len)
{
    tether_lwm2m_path r;
    const uint8_t *b = (const uint8_t *)s;
    size_t i = 1;

    if (s == NULL || len == 0 || b[0] != '/')
        return TETHER_ERR_MALFORMED;
    memset(&r, 0, sizeof(r));
    if (len == 1) {
        *p = r;
        return 0;
    }
    while (i <= len) {
        size_t start = i;
        while (i < len && b[i] != '/')
            i++;
        if (r.len == 4 || parse_id(b + start, i - start, &r.ids[r.len]) != 0)
            return TETHER_ERR_MALFORMED;
        r.len++;
        if (i == len)
            break;
        i++; /* the '/'; a trailing one leaves an empty last segment */
        if (i == len)
            return TETHER_ERR_MALFORMED;
    }
    *p = r;
    return 0;
}

int tether_lwm2m_path_from_msg(tether_lwm2m_path *p, const tether_coap_msg *msg,
                               const char *root)
{
    tether_lwm2m_path r;
    tether_coap_opt_iter it;
    tether_coap_opt o;
    const char *rp = root != NULL ? root : "";

    if (msg == NULL)
        return TETHER_ERR_INVAL;
    while (*rp == '/')
        rp++;
    memset(&r, 0, sizeof(r));
    tether_coap_opt_iter_init(&it, msg);
    while (tether_coap_opt_next(&it, &o) == 0) {
        if (o.num > TETHER_COAP_OPT_URI_PATH)
            break;
        if (o.num != TETHER_COAP_OPT_URI_PATH)
            continue;
        if (*rp != '\0') {
            size_t seg = strcspn(rp, "/");
            if (seg != o.len || memcmp(rp, o.val, seg) != 0)
                return TETHER_ERR_NOT_FOUND;
            rp += seg;
            while (*rp == '/')
                rp++;
            continue;
        }
        if (r.len == 4 || parse_id(o.val, o.len, &r.ids[r.len]) != 0)
            return TETHER_ERR_MALFORMED;
        r.len++;
    }
    if (*rp != '\0')
        return TETHER_ERR_NOT_FOUND; /* shorter than the root */
    *p = r;
    return 0;
}

int tether_lwm2m_path_build(tether_coap_builder *b, const tether_lwm2m_path *p,
                            const char *root)
{
    uint8_t seg[8];
    int rc;

    if (b == NULL)
        return TETHER_ERR_INVAL;
    if (b->err)
        return b->err;
    if (!tether_lwm2m_path_valid(p)) {
        b->err = TETHER_ERR_INVAL;
        return b->err;
    }
    if (root != NULL && (rc = tether_coap_build_path(b, TETHER_COAP_OPT_URI_PATH, root)) != 0)
        return rc;
    for (unsigned i = 0; i < p->len; i++) {
        size_t n = tether_num_format_u64(p->ids[i], seg, sizeof(seg));
        if ((rc = tether_coap_build_opt(b, TETHER_COAP_OPT_URI_PATH, seg, n)) != 0)
            return rc;
    }
    return 0;
}

int tether_lwm2m_path_format(const tether_lwm2m_path *p, char *out, size_t cap, size_t *len)
{
    char tmp[TETHER_LWM2M_PATH_STR_MAX];
    size_t n = 0;

    if (!tether_lwm2m_path_valid(p) || out == NULL)
        return TETHER_ERR_INVAL;
    if (p->len == 0)
        tmp[n++] = '/';
    for (unsigned i = 0; i < p->len; i++) {
        tmp[n++] = '/';
        n += tether_num_format_u64(p->ids[i], (uint8_t *)tmp + n, sizeof(tmp) - n);
    }
    if (n + 1 > cap)
        return TETHER_ERR_NOSPACE;
    memcpy(out, tmp, n);
    out[n] = '\0';
    if (len != NULL)
        *len = n;
    return 0;
}

int tether_lwm2m_path_equal(const tether_lwm2m_path *a, const tether_lwm2m_path *b)
{
    if (a->len != b->len)
        return 0;
    for (unsigned i = 0; i < a->len && i < 4; i++)
        if (a->ids[i] != b->ids[i])
            return 0;
    return 1;
}

int tether_lwm2m_path_is_prefix(const tether_lwm2m_path *prefix, const tether_lwm2m_path *p)
{
    if (prefix->len > p->len)
        return 0;
    for (unsigned i = 0; i < prefix->len && i < 4; i++)
        if (prefix->ids[i] != p->ids[i])
            return 0;
    return 1;
}

int tether_lwm2m_path_compare(const tether_lwm2m_path *a, const tether_lwm2m_path *b)
{
    unsigned n = a->len < b->len ? a->len : b->len;

    for (unsigned i = 0; i < n && i < 4; i++)
        if (a->ids[i] != b->ids[i])
            return a->ids[i] < b->ids[i] ? -1 : 1;
    return (a->len > b->len) - (a->len < b->len);
}
