/* SPDX-License-Identifier: Apache-2.0 */
/* The LwM2M Server object, /1 (urn:oma:lwm2m:oma:1, LwM2M 1.0 appendix D.1,
 * as clarified by the seed's change 3): one instance per LwM2M Server
 * account, resources 0..8, backed by the server records of the engine. It
 * owns the value rules of R19 (what each resource accepts), the effect of
 * writing the Lifetime (R8) and the Binding (R22), and the two executable
 * resources, Disable (R20) and Registration Update Trigger (R23). Effects on
 * the registration are noted as pending work and run after the answer is
 * queued (client.c), so the server always hears its answer first. Create and
 * Delete are refused: server accounts come from the application (and, one
 * day, from a Bootstrap-Server), never from a management server. */
#include <string.h>

#include "client/client_internal.h"
#include "tether_poison.h"

enum {
    RES_SSID = 0,
    RES_LIFETIME = 1,
    RES_PMIN = 2,
    RES_PMAX = 3,
    RES_DISABLE = 4,
    RES_DISABLE_TIMEOUT = 5,
    RES_STORING = 6,
    RES_BINDING = 7,
    RES_TRIGGER = 8,
};

/* R19: operations outside this table are refused with 4.05 by dm.c. */
static const tether_client_res_def server_res[] = {
    {RES_SSID, TETHER_LWM2M_OP_R, TETHER_LWM2M_INTEGER, 0},
    {RES_LIFETIME, TETHER_LWM2M_OP_RW, TETHER_LWM2M_INTEGER, 0},
    {RES_PMIN, TETHER_LWM2M_OP_RW, TETHER_LWM2M_INTEGER, 0},
    {RES_PMAX, TETHER_LWM2M_OP_RW, TETHER_LWM2M_INTEGER, 0},
    {RES_DISABLE, TETHER_LWM2M_OP_E, TETHER_LWM2M_NONE, 0},
    {RES_DISABLE_TIMEOUT, TETHER_LWM2M_OP_RW, TETHER_LWM2M_INTEGER, 0},
    {RES_STORING, TETHER_LWM2M_OP_RW, TETHER_LWM2M_BOOLEAN, 0},
    {RES_BINDING, TETHER_LWM2M_OP_RW, TETHER_LWM2M_STRING, 0},
    {RES_TRIGGER, TETHER_LWM2M_OP_E, TETHER_LWM2M_NONE, 0},
};

int client_binding_supported(const tether_client *c, const char *binding, size_t len)
{
    /* R17: one of U, UQ, S, SQ, US, UQS. R22: "if the LwM2M Client supports
     * the binding": each of its letters is one we support (/3/0/16). */
    if (!tether_lwm2m_binding_valid(binding, len, TETHER_LWM2M_V1_0))
        return 0;
    for (size_t i = 0; i < len; i++)
        if (strchr(c->supported_bindings, binding[i]) == NULL)
            return 0;
    return 1;
}

static int32_t srv_next_instance(void *user, int32_t prev)
{
    tether_client *c = user;
    int32_t best = -1;

    for (size_t i = 0; i < TETHER_CLIENT_MAX_SERVERS; i++) {
        const client_server *s = &c->servers[i];
        if (s->in_use && !s->bootstrap && (int32_t)s->srv_iid > prev &&
            (best < 0 || s->srv_iid < best))
            best = s->srv_iid;
    }
    return best;
}

static int srv_read(void *user, uint16_t iid, uint16_t rid, uint16_t riid, tether_lwm2m_value *out)
{
    const client_server *s = client_server_by_srv_iid(user, iid);

    (void)riid;
    if (s == NULL)
        return TETHER_CLIENT_REFUSE(TETHER_COAP_NOT_FOUND);
    switch (rid) {
    case RES_SSID: *out = tether_lwm2m_value_int(s->ssid); return 0;
    case RES_LIFETIME: *out = tether_lwm2m_value_int(s->lifetime); return 0;
    case RES_PMIN: *out = tether_lwm2m_value_int(s->pmin); return 0;
    case RES_PMAX: *out = tether_lwm2m_value_int(s->pmax); return 0;
    case RES_DISABLE_TIMEOUT: *out = tether_lwm2m_value_int(s->disable_timeout); return 0;
    case RES_STORING: *out = tether_lwm2m_value_bool(s->notif_storing); return 0;
    case RES_BINDING: *out = tether_lwm2m_value_cstr(s->binding); return 0;
    default: break;
    }
    return TETHER_CLIENT_REFUSE(TETHER_COAP_METHOD_NOT_ALLOWED);
}

/* Seconds resources other than the Lifetime: 0 is meaningful (no minimum
 * period, no disable period), a negative number is not. The top is the
 * same as the Lifetime's. */
static int seconds_ok(int64_t v)
{
    return v >= 0 && v <= CLIENT_LIFETIME_MAX;
}

static int srv_write(void *user, uint16_t iid, uint16_t rid, uint16_t riid,
                 const tether_lwm2m_value *v, int commit)
{
    tether_client *c = user;
    client_server *s = client_server_by_srv_iid(c, iid);
    const int bad = TETHER_CLIENT_REFUSE(TETHER_COAP_BAD_REQUEST);

    (void)riid;
    if (s == NULL)
        return TETHER_CLIENT_REFUSE(TETHER_COAP_NOT_FOUND);
    switch (rid) {
    case RES_LIFETIME:
        if (v->i < CLIENT_LIFETIME_MIN || v->i > CLIENT_LIFETIME_MAX)
            return bad; /* R19 */
        if (commit && v->i != s->lifetime) {
            /* R8: the new value is the registration lifetime from now on,
             * and the server hears it in an Update with lt (R9). The same
             * value changes nothing. */
            s->lifetime = v->i;
            s->pending |= PEND_UPDATE;
        }
        return 0;
    case RES_PMIN:
    case RES_PMAX:
    case RES_DISABLE_TIMEOUT:
        if (!seconds_ok(v->i))
            return bad;
        if (commit) {
            if (rid == RES_PMIN)
                s->pmin = v->i;
            else if (rid == RES_PMAX)
                s->pmax = v->i;
            else
                s->disable_timeout = v->i;
        }
        return 0;
    case RES_STORING:
        if (commit)
            s->notif_storing = v->b;
        return 0;
    case RES_BINDING:
        /* R22 (with R17): a binding we do not support is refused with 4.00
         * and changes nothing. */
        if (v->bytes.len > TETHER_CLIENT_MAX_BINDING ||
            !client_binding_supported(c, (const char *)v->bytes.ptr, v->bytes.len))
            return bad;
        if (commit && (strlen(s->binding) != v->bytes.len ||
                       memcmp(s->binding, v->bytes.ptr, v->bytes.len) != 0)) {
            memcpy(s->binding, v->bytes.ptr, v->bytes.len);
            s->binding[v->bytes.len] = '\0';
            s->pending |= PEND_UPDATE; /* R22: used from now on, and announced */
        }
        return 0;
    default:
        break;
    }
    return TETHER_CLIENT_REFUSE(TETHER_COAP_METHOD_NOT_ALLOWED);
}

static int srv_execute(void *user, uint16_t iid, uint16_t rid, const uint8_t *arg, size_t len)
{
    client_server *s = client_server_by_srv_iid(user, iid);

    (void)arg;
    (void)len;
    if (s == NULL)
        return TETHER_CLIENT_REFUSE(TETHER_COAP_NOT_FOUND);
    switch (rid) {
    case RES_DISABLE:
        s->pending |= PEND_DISABLE; /* R20: after the answer, De-register */
        return 0;
    case RES_TRIGGER:
        s->pending |= PEND_UPDATE; /* R23: an Update, right after the answer */
        return 0;
    default:
        break;
    }
    return TETHER_CLIENT_REFUSE(TETHER_COAP_METHOD_NOT_ALLOWED);
}

const tether_client_object client_obj_server = {
    .oid = 1,
    .multi_instance = 0, /* Multiple instances, but not created or deleted by a server */
    .nres = sizeof(server_res) / sizeof(server_res[0]),
    .res = server_res,
    .next_instance = srv_next_instance,
    .read = srv_read,
    .write = srv_write,
    .execute = srv_execute,
};
