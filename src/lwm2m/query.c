/* SPDX-License-Identifier: Apache-2.0 */
/* Register / Update query parameters (LwM2M 1.0 §5.3.1 Table 6, §8.2.3):
 * one pass over the Uri-Query options, each known key at most once,
 * unknown keys ignored, then the checks that depend on more than one key
 * (binding against version). Parameters are views into the message. */
#include "tether/lwm2m.h"

#include <stddef.h>
#include <string.h>

#include "num_internal.h"

#include "tether_poison.h"

const char *tether_lwm2m_query_strerror(int why)
{
    switch ((tether_lwm2m_query_error)why) {
    case TETHER_LWM2M_QERR_NONE:
        return "no error";
    case TETHER_LWM2M_QERR_EP_MISSING:
        return "register without an endpoint client name (ep)";
    case TETHER_LWM2M_QERR_EP_EMPTY:
        return "empty endpoint client name (ep)";
    case TETHER_LWM2M_QERR_LT_BAD:
        return "lifetime (lt) is not a number of seconds from 1 to 4294967295";
    case TETHER_LWM2M_QERR_LWM2M_BAD:
        return "lwm2m version is not major.minor";
    case TETHER_LWM2M_QERR_LWM2M_UNSUPPORTED:
        return "lwm2m version not supported";
    case TETHER_LWM2M_QERR_B_BAD:
        return "binding (b) is not valid for the lwm2m version";
    case TETHER_LWM2M_QERR_SMS_EMPTY:
        return "empty SMS number (sms)";
    case TETHER_LWM2M_QERR_Q_VALUE:
        return "queue mode parameter (Q) takes no value";
    case TETHER_LWM2M_QERR_DUPLICATE:
        return "a query parameter appears twice";
    case TETHER_LWM2M_QERR_NOT_ALLOWED:
        return "ep and lwm2m are not allowed in an update";
    }
    return "unknown query error";
}

/* The keys in the order a Register writes them; view: where the builder
 * finds a text value in tether_lwm2m_reg_query (0 for lt, a number, and
 * for Q, which has no value). The keys are arrays, not pointers, so the
 * table does not pull in the section of string literals it would share
 * with tether_lwm2m_query_strerror(). */
static const struct {
    char key[sizeof("lwm2m")];
    uint8_t field;
    uint8_t view;
} keys[] = {
    {"ep", TETHER_LWM2M_Q_EP, offsetof(tether_lwm2m_reg_query, ep)},
    {"lt", TETHER_LWM2M_Q_LT, 0},
    {"lwm2m", TETHER_LWM2M_Q_LWM2M, offsetof(tether_lwm2m_reg_query, lwm2m)},
    {"b", TETHER_LWM2M_Q_B, offsetof(tether_lwm2m_reg_query, b)},
    {"sms", TETHER_LWM2M_Q_SMS, offsetof(tether_lwm2m_reg_query, sms)},
    {"Q", TETHER_LWM2M_Q_QUEUE, 0},
};

static int refuse(tether_lwm2m_query_error *why, tether_lwm2m_query_error w, int err)
{
    if (why != NULL)
        *why = w;
    return err;
}

int tether_lwm2m_reg_query_parse(const tether_coap_msg *msg, int op, int version,
                                 tether_lwm2m_reg_query *q, tether_lwm2m_query_error *why)
{
    tether_lwm2m_reg_query r;
    tether_coap_opt_iter it;
    tether_coap_opt o;
    int has_q_value = 0;

    if (why != NULL)
        *why = TETHER_LWM2M_QERR_NONE;
    if (msg == NULL || q == NULL || (op != TETHER_LWM2M_REGISTER && op != TETHER_LWM2M_UPDATE))
        return TETHER_ERR_INVAL;
    if (op == TETHER_LWM2M_UPDATE && version != TETHER_LWM2M_V1_0 &&
        version != TETHER_LWM2M_V1_1 && version != TETHER_LWM2M_V1_2)
        return TETHER_ERR_INVAL;
    memset(&r, 0, sizeof(r));

    tether_coap_opt_iter_init(&it, msg);
    while (tether_coap_opt_next(&it, &o) == 0) {
        const uint8_t *eq;
        size_t klen, k;
        tether_lwm2m_view val;
        if (o.num > TETHER_COAP_OPT_URI_QUERY)
            break;
        if (o.num != TETHER_COAP_OPT_URI_QUERY)
            continue;
        eq = o.len > 0 ? memchr(o.val, '=', o.len) : NULL;
        klen = eq != NULL ? (size_t)(eq - o.val) : o.len;
        for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
            if (strlen(keys[k].key) == klen && memcmp(keys[k].key, o.val, klen) == 0)
                break;
        if (k == sizeof(keys) / sizeof(keys[0]))
            continue; /* unknown: a later version's parameter */
        if (r.present & keys[k].field)
            return refuse(why, TETHER_LWM2M_QERR_DUPLICATE, TETHER_ERR_MALFORMED);
        r.present |= keys[k].field;
        val.ptr = eq != NULL ? eq + 1 : o.val + o.len;
        val.len = eq != NULL ? o.len - klen - 1 : 0;
        switch (keys[k].field) {
        case TETHER_LWM2M_Q_EP:
            r.ep = val;
            break;
        case TETHER_LWM2M_Q_LT: {
            uint64_t lt;
            if (tether_num_parse_u64(val.ptr, val.len, UINT32_MAX, &lt) != 0 || lt == 0)
                return refuse(why, TETHER_LWM2M_QERR_LT_BAD, TETHER_ERR_MALFORMED);
            r.lt = (uint32_t)lt;
            break;
        }
        case TETHER_LWM2M_Q_LWM2M:
            r.lwm2m = val;
            break;
        case TETHER_LWM2M_Q_B:
            r.b = val;
            break;
        case TETHER_LWM2M_Q_SMS:
            r.sms = val;
            break;
        case TETHER_LWM2M_Q_QUEUE:
            has_q_value = eq != NULL;
            break;
        }
    }

    if (op == TETHER_LWM2M_UPDATE && (r.present & (TETHER_LWM2M_Q_EP | TETHER_LWM2M_Q_LWM2M)))
        return refuse(why, TETHER_LWM2M_QERR_NOT_ALLOWED, TETHER_ERR_MALFORMED);
    if (op == TETHER_LWM2M_REGISTER) {
        if (!(r.present & TETHER_LWM2M_Q_EP))
            return refuse(why, TETHER_LWM2M_QERR_EP_MISSING, TETHER_ERR_MALFORMED);
        if (r.ep.len == 0)
            return refuse(why, TETHER_LWM2M_QERR_EP_EMPTY, TETHER_ERR_MALFORMED);
        version = TETHER_LWM2M_V1_0; /* R17: the default */
        if (r.present & TETHER_LWM2M_Q_LWM2M) {
            tether_lwm2m_version v;
            int rc = tether_lwm2m_version_parse((const char *)r.lwm2m.ptr, r.lwm2m.len, &v);
            if (rc == TETHER_ERR_UNSUPPORTED)
                return refuse(why, TETHER_LWM2M_QERR_LWM2M_UNSUPPORTED, rc);
            if (rc != 0)
                return refuse(why, TETHER_LWM2M_QERR_LWM2M_BAD, TETHER_ERR_MALFORMED);
            version = v;
        }
    }
    if ((r.present & TETHER_LWM2M_Q_SMS) && r.sms.len == 0)
        return refuse(why, TETHER_LWM2M_QERR_SMS_EMPTY, TETHER_ERR_MALFORMED);
    if (has_q_value)
        return refuse(why, TETHER_LWM2M_QERR_Q_VALUE, TETHER_ERR_MALFORMED);
    if (r.present & TETHER_LWM2M_Q_B) {
        if (tether_lwm2m_binding_parse((const char *)r.b.ptr, r.b.len, version, &r.binding) != 0)
            return refuse(why, TETHER_LWM2M_QERR_B_BAD, TETHER_ERR_MALFORMED);
    } else if (op == TETHER_LWM2M_REGISTER) {
        r.binding = TETHER_LWM2M_BIND_U; /* R17: the default */
    }
    r.version = (uint8_t)version;
    if (version == TETHER_LWM2M_V1_0)
        r.queue = (r.binding & TETHER_LWM2M_BIND_Q) != 0;
    else
        r.queue = (r.present & TETHER_LWM2M_Q_QUEUE) != 0;
    *q = r;
    return 0;
}

/* "key=value" (or bare "key" when value is NULL) as one Uri-Query. */
static int add_param(tether_coap_builder *b, const char *key, const uint8_t *val, size_t len)
{
    uint8_t tmp[TETHER_LWM2M_QUERY_OPT_MAX];
    size_t klen = strlen(key);

    if (val == NULL)
        return tether_coap_build_opt(b, TETHER_COAP_OPT_URI_QUERY, key, klen);
    if (len > sizeof(tmp) - klen - 1) {
        if (b->err == 0)
            b->err = TETHER_ERR_TOO_LARGE;
        return b->err;
    }
    memcpy(tmp, key, klen);
    tmp[klen] = '=';
    if (len > 0)
        memcpy(tmp + klen + 1, val, len);
    return tether_coap_build_opt(b, TETHER_COAP_OPT_URI_QUERY, tmp, klen + 1 + len);
}

int tether_lwm2m_reg_query_build(tether_coap_builder *b, const tether_lwm2m_reg_query *q)
{
    static const uint8_t empty[1];
    int rc = 0;

    if (b == NULL || q == NULL)
        return TETHER_ERR_INVAL;
    if (b->err)
        return b->err;
    if ((q->present & TETHER_LWM2M_Q_LT) && q->lt == 0) {
        b->err = TETHER_ERR_INVAL;
        return b->err;
    }
    for (size_t k = 0; rc == 0 && k < sizeof(keys) / sizeof(keys[0]); k++) {
        uint8_t num[10];
        const uint8_t *val = NULL;
        size_t len = 0;
        if (!(q->present & keys[k].field))
            continue;
        if (keys[k].view != 0) {
            const tether_lwm2m_view *v =
                (const tether_lwm2m_view *)(const void *)((const char *)q + keys[k].view);
            val = v->ptr != NULL ? v->ptr : empty;
            len = v->len;
        } else if (keys[k].field == TETHER_LWM2M_Q_LT) {
            val = num;
            len = tether_num_format_u64(q->lt, num, sizeof(num));
        }
        rc = add_param(b, keys[k].key, val, len);
    }
    return rc;
}
