/* SPDX-License-Identifier: Apache-2.0 */
/* Queue mode on the client (LwM2M 1.0 §5.3.1.1, §8.3; binding "UQ"): per
 * server, an awake window that every datagram to or from that server
 * restarts, and that only ends while nothing with the server is in flight
 * (a Register, Update or De-register waiting for its answer, a CON
 * notification waiting for its ACK). When it ends the server is "asleep":
 * client.c drops what it sends, and tether_client_listening() may turn 0 so
 * the adapter can stop receiving. The next datagram the client sends to it
 * (a notification, an Update: whatever the engine's timers produce) wakes
 * it. The binding is read each time, so a server writing /1/x/7 (R22)
 * switches queue mode on or off from the next datagram. Events:
 * TETHER_CLIENT_EV_SLEEPING and TETHER_CLIENT_EV_AWAKE, per server. With
 * TETHER_CLIENT_NO_QUEUE_MODE (tether/client_config.h) only
 * tether_client_listening() is left, and the hooks are nothing
 * (client_internal.h). */
#include <string.h>

#include "client/client_internal.h"
#include "common/log_internal.h"
#include "tether_poison.h"

/* States in which the server may talk to us at all. */
static int reachable_state(const client_server *s)
{
    return s->state != TETHER_CLIENT_IDLE && s->state != TETHER_CLIENT_DISABLED;
}

#ifndef TETHER_CLIENT_NO_QUEUE_MODE
int client_queue_mode(const client_server *s)
{
    return strchr(s->binding, 'Q') != NULL;
}

static int busy(const tether_client *c, const client_server *s)
{
#if CLIENT_OBSERVE
    if (client_obs_inflight(c, s))
        return 1;
#else
    (void)c;
#endif
    return s->xid != 0;
}

static void queue_event(tether_client *c, client_server *s, tether_time now, int type)
{
    tether_client_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.type = type;
    ev.ssid = s->ssid;
    ev.at = type == TETHER_CLIENT_EV_AWAKE ? s->awake_until : TETHER_TIME_NEVER;
    client_emit(c, now, &ev);
}

void client_queue_sent(tether_client *c, client_server *s, tether_time now)
{
    if (!client_queue_mode(s)) {
        s->asleep = 0;
        return;
    }
    s->awake_until = now + c->awake_ms;
    if (s->asleep) {
        s->asleep = 0;
        TETHER_LOG(c->log, c->log_user, TETHER_LOG_DEBUG, CLIENT_LOG_MODULE,
                   "%s: queue mode: awake for ssid %u", c->endpoint, s->ssid);
        queue_event(c, s, now, TETHER_CLIENT_EV_AWAKE);
    }
}

void client_queue_heard(tether_client *c, client_server *s, tether_time now)
{
    if (client_queue_mode(s) && !s->asleep)
        s->awake_until = now + c->awake_ms;
}

int client_queue_asleep(const client_server *s)
{
    return client_queue_mode(s) && s->asleep;
}

void client_queue_run(tether_client *c, tether_time now)
{
    for (size_t i = 0; i < TETHER_CLIENT_MAX_SERVERS; i++) {
        client_server *s = &c->servers[i];
        if (!s->in_use || s->bootstrap || !client_queue_mode(s) || s->asleep ||
            !reachable_state(s) || busy(c, s) || now < s->awake_until)
            continue;
        s->asleep = 1;
        TETHER_LOG(c->log, c->log_user, TETHER_LOG_DEBUG, CLIENT_LOG_MODULE,
                   "%s: queue mode: ssid %u asleep", c->endpoint, s->ssid);
        queue_event(c, s, now, TETHER_CLIENT_EV_SLEEPING);
    }
}

tether_time client_queue_deadline(const tether_client *c)
{
    tether_time t = TETHER_TIME_NEVER;

    for (size_t i = 0; i < TETHER_CLIENT_MAX_SERVERS; i++) {
        const client_server *s = &c->servers[i];
        if (s->in_use && !s->bootstrap && client_queue_mode(s) && !s->asleep &&
            reachable_state(s) && !busy(c, s) && s->awake_until < t)
            t = s->awake_until;
    }
    return t;
}

#endif /* TETHER_CLIENT_NO_QUEUE_MODE */

int tether_client_listening(const tether_client *c)
{
    for (size_t i = 0; i < TETHER_CLIENT_MAX_SERVERS; i++) {
        const client_server *s = &c->servers[i];
        if (s->in_use && !s->bootstrap && reachable_state(s) && !client_queue_asleep(s))
            return 1;
    }
    return 0;
}
