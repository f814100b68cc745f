/* SPDX-License-Identifier: Apache-2.0 */
/* Putting a saved registration back into the engine (tetherd's store on
 * start-up): tether_server_restore(). It checks a record as strictly as
 * rd.c checks a Register -- a store file is input like any datagram --
 * builds the same compact record, and inserts it with the deadline it had
 * before the restart (updated + lifetime + grace), so a registration
 * outlives a restart by exactly its remaining lifetime. Reading and writing
 * the storage is the embedder's job; nothing here knows a file or a clock.
 *
 * Invariant: either the registration is in the registry with its session
 * state (queue mode) set up, or nothing changed and errmsg says why. */
#define TETHER_ALLOW_ALLOC
#include <stdint.h>
#include <string.h>

#include "common/log_internal.h"
#include "server/dm_internal.h"
#include "server/server_internal.h"
#include "tether/lwm2m.h"
#include "tether_poison.h"

static int b64url_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
}

/* Every binding bit this build knows (tether/lwm2m.h). */
#define KNOWN_BINDING                                                                      \
    (TETHER_LWM2M_BIND_U | TETHER_LWM2M_BIND_S | TETHER_LWM2M_BIND_Q | TETHER_LWM2M_BIND_T | \
     TETHER_LWM2M_BIND_N | TETHER_LWM2M_BIND_M | TETHER_LWM2M_BIND_H)
#define KNOWN_FORMATS 0xFFu

/* Returns NULL, or why s cannot be restored (TETHER_ERR_INVAL). */
static const char *check(tether_time now, const tether_server_saved_reg *s)
{
    if (s->ep == NULL || s->ep_len == 0 || s->ep_len > TETHER_SERVER_EP_MAX)
        return "the endpoint name is empty or too long";
    for (size_t i = 0; i < s->ep_len; i++)
        if ((unsigned char)s->ep[i] < 0x20 || s->ep[i] == 0x7F)
            return "the endpoint name has control characters";
    if (s->id == NULL)
        return "no location id";
    for (size_t i = 0; i < TETHER_SERVER_ID_LEN; i++)
        if (!b64url_char(s->id[i]))
            return "the location id is not base64url of the server's length";
    if (s->sms_len > TETHER_SERVER_SMS_MAX || (s->sms_len > 0 && s->sms == NULL))
        return "the SMS number is too long";
    if (s->root_len > TETHER_SERVER_ROOT_MAX || (s->root_len > 0 && s->root == NULL) ||
        (s->root_len > 0 && s->root[0] != '/'))
        return "the root path is too long or not a path";
    if (s->lifetime_s == 0)
        return "the lifetime is 0";
    if (s->binding == 0 || (s->binding & ~(unsigned)KNOWN_BINDING) != 0)
        return "the binding is empty or has unknown bits";
    if (s->version != TETHER_LWM2M_V1_0 && s->version != TETHER_LWM2M_V1_1 &&
        s->version != TETHER_LWM2M_V1_2)
        return "the LwM2M version is not one this server speaks";
    if ((s->formats & ~KNOWN_FORMATS) != 0)
        return "the content formats have unknown bits";
    if (s->n_objs > UINT16_MAX || (s->n_objs > 0 && s->objs == NULL))
        return "the object list is too long";
    for (size_t i = 0; i < s->n_objs; i++)
        if (s->objs[i].oid == 0)
            return "the object list names the Security Object (/0, R18)";
    if (s->peer.len == 0 || s->peer.len > TETHER_PEER_ADDR_MAX)
        return "the address is empty or too long";
    /* Ages, modulo 2^64 (see tether_server_saved_reg): negative means "in
     * the future". */
    if ((int64_t)(now - s->updated) < 0 || (int64_t)(now - s->registered) < 0)
        return "a time is after now";
    if (now - s->registered < now - s->updated)
        return "registered after its last update";
    return NULL;
}

/* Queue mode: awake for what is left of the window its last message
 * opened, else asleep at once (no SLEEPING event: this is not a change). */
static void restore_queue(tether_server *srv, tether_time now, struct tether_server_reg *rec,
                          tether_time updated)
{
    uint64_t age = now - updated;
    dm_sess *s = tether_dm_sess_get(srv, rec);

    if (s == NULL) {
        /* As rd.c does: without a session it never sleeps, and requests go
         * out at once. */
        TETHER_LOG(srv->cfg.log, srv->cfg.log_user, TETHER_LOG_WARN, "server",
                   "id=%s: out of memory: queue mode not tracked", rec->id);
        return;
    }
    tether_dm_queue_mode(srv, now, s, 1);
    if (!tether_heap_contains(&s->awake))
        return;
    if (age >= srv->cfg.awake_window_ms) {
        tether_heap_remove(&srv->dm->sleeps, &s->awake);
        s->sleeping = 1;
    } else {
        tether_heap_update(&srv->dm->sleeps, &s->awake, now + (srv->cfg.awake_window_ms - age));
    }
}

int tether_server_restore(tether_server *srv, tether_time now, const tether_server_saved_reg *s)
{
    struct tether_server_reg *rec;
    const char *bad;
    uint64_t span;
    int err;

    if (srv->depth > 0)
        return TETHER_ERR_REENTRANT;
    srv->errmsg[0] = '\0';
    if (s == NULL) {
        tether_server_set_err(srv, "restore: no record");
        return TETHER_ERR_INVAL;
    }
    bad = check(now, s);
    if (bad != NULL) {
        tether_server_set_err(srv, "restore of ep=%.*s refused: %s",
                              (int)(s->ep == NULL ? 0 : s->ep_len > 64 ? 64 : s->ep_len),
                              s->ep != NULL ? s->ep : "", bad);
        return TETHER_ERR_INVAL;
    }
    if (tether_registry_find_ep(&srv->reg, s->ep, s->ep_len) != NULL) {
        tether_server_set_err(srv, "restore of ep=%.*s refused: the endpoint is registered",
                              (int)s->ep_len, s->ep);
        return TETHER_ERR_EXISTS;
    }
    if (tether_registry_find_id(&srv->reg, s->id, TETHER_SERVER_ID_LEN) != NULL) {
        tether_server_set_err(srv, "restore of ep=%.*s refused: location id %.*s is in use",
                              (int)s->ep_len, s->ep, TETHER_SERVER_ID_LEN, s->id);
        return TETHER_ERR_EXISTS;
    }
    span = ((uint64_t)s->lifetime_s + srv->cfg.grace_s) * 1000u;
    if (now - s->updated >= span) {
        tether_server_set_err(srv, "restore of ep=%.*s refused: expired %llu ms ago",
                              (int)s->ep_len, s->ep,
                              (unsigned long long)(now - s->updated - span));
        return TETHER_ERR_STATE;
    }
    if (srv->cfg.max_registrations != 0 &&
        tether_registry_count(&srv->reg) >= srv->cfg.max_registrations) {
        tether_server_set_err(srv, "restore of ep=%.*s refused: the limit of %zu registrations "
                              "is reached", (int)s->ep_len, s->ep, srv->cfg.max_registrations);
        return TETHER_ERR_NOMEM;
    }
    rec = tether_registry_new_record(&srv->reg, s->ep, s->ep_len, s->sms_len, s->root_len,
                                     s->n_objs);
    if (rec == NULL) {
        tether_server_set_err(srv, "restore of ep=%.*s refused: out of memory", (int)s->ep_len,
                              s->ep);
        return TETHER_ERR_NOMEM;
    }
    memcpy(rec->id, s->id, TETHER_SERVER_ID_LEN);
    rec->id[TETHER_SERVER_ID_LEN] = '\0';
    rec->peer = s->peer;
    rec->registered = s->registered;
    rec->lifetime_s = s->lifetime_s;
    rec->binding = (uint8_t)s->binding;
    rec->version = (uint8_t)s->version;
    rec->formats = (uint8_t)s->formats;
    rec->flags = s->queue ? TETHER_REG_QUEUE : 0;
    if (s->sms_len > 0)
        memcpy(tether_reg_sms(rec), s->sms, s->sms_len);
    if (s->root_len > 0)
        memcpy(tether_reg_root(rec), s->root, s->root_len);
    if (s->n_objs > 0)
        memcpy(rec->objs, s->objs, s->n_objs * sizeof(rec->objs[0]));
    /* now + what is left: never wraps, unlike updated + span could. */
    err = tether_registry_insert(&srv->reg, rec, now + (span - (now - s->updated)));
    if (err != 0) {
        tether_registry_free_record(&srv->reg, rec);
        tether_server_set_err(srv, "restore of ep=%.*s refused: out of memory", (int)s->ep_len,
                              s->ep);
        return err;
    }
    if (rec->flags & TETHER_REG_QUEUE)
        restore_queue(srv, now, rec, s->updated);
    TETHER_LOG(srv->cfg.log, srv->cfg.log_user, TETHER_LOG_DEBUG, "server",
               "ep=%s id=%s: restored, expires in %llu ms", tether_reg_ep(rec), rec->id,
               (unsigned long long)(span - (now - s->updated)));
    return 0;
}
