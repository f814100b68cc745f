/* SPDX-License-Identifier: Apache-2.0 */
/* Queue Mode on the server (LwM2M 1.0 §8.3.1, 1.1 §6.5): a client that
 * registered with Q in its binding (1.0: UQ, SQ, UQS) or the Q parameter
 * (1.1) listens only for a while after each message it sends, then sleeps
 * until it has something to say. The server must not talk to it while it
 * sleeps: requests wait in a queue and go out when it next speaks.
 *
 *   Register ---> awake ----(awake_window_ms with no message)----> sleeping
 *                   ^                                                 |
 *                   +--- Update, a notification, any answer ----------+
 *                        (AWAKE event, then the queue is sent in order)
 *
 * The awake window restarts at each message from the client (Register,
 * Update, an answer, a notification); one min-heap entry per queue-mode
 * registration holds its end, so the check costs O(log n) per message and
 * nothing while idle. The queue holds at most cfg.queue_max requests per
 * registration; one more fails at once with TETHER_ERR_BUSY. Time in the
 * queue does not count against a request's timeout. When the registration
 * goes away the queue ends with it (TETHER_ERR_CANCELLED), except on a new
 * Register of the same endpoint, which inherits it (dm.c). */
#define TETHER_ALLOW_ALLOC
#include <string.h>

#include "common/log_internal.h"
#include "server/dm_internal.h"
#include "tether_poison.h"

#define SESS_OF(ptr, field) ((dm_sess *)(void *)((char *)(ptr) - offsetof(dm_sess, field)))

static void emit(tether_server *srv, tether_time now, dm_sess *s, tether_server_event_type t)
{
    struct tether_server_reg *rec = tether_dm_rec(srv, s);
    tether_server_event ev;

    if (rec == NULL)
        return;
    TETHER_LOG(srv->cfg.log, srv->cfg.log_user, TETHER_LOG_DEBUG, "server", "ep=%s id=%s: %s%s",
               tether_reg_ep(rec), rec->id, t == TETHER_SERVER_EV_AWAKE ? "awake" : "sleeping",
               t == TETHER_SERVER_EV_AWAKE && s->n_queued ? ", sending its queue" : "");
    memset(&ev, 0, sizeof(ev));
    ev.type = t;
    ev.reg = rec;
    ev.queued = s->n_queued;
    tether_server_emit(srv, now, &ev);
}

void tether_dm_queue_mode(tether_server *srv, tether_time now, dm_sess *s, int on)
{
    tether_dm *dm = srv->dm;

    if (on && !s->queue_mode) {
        if (tether_dm_heap_reserve(srv, &dm->sleeps) != 0) {
            /* Without a timer it never sleeps: requests go out at once,
             * which is what a server without queue mode would do. */
            TETHER_LOG(srv->cfg.log, srv->cfg.log_user, TETHER_LOG_WARN, "server",
                       "id=%s: out of memory: queue mode not tracked", s->id);
            return;
        }
        s->queue_mode = 1;
        s->sleeping = 0;
        (void)tether_heap_push(&dm->sleeps, &s->awake, now + srv->cfg.awake_window_ms);
    } else if (!on && s->queue_mode) {
        s->queue_mode = 0;
        if (tether_heap_contains(&s->awake))
            tether_heap_remove(&dm->sleeps, &s->awake);
        if (s->sleeping) {
            s->sleeping = 0;
            emit(srv, now, s, TETHER_SERVER_EV_AWAKE);
        }
        tether_dm_queue_flush(srv, now, s);
    }
}

void tether_dm_queue_touch(tether_server *srv, tether_time now, dm_sess *s)
{
    tether_dm *dm = srv->dm;

    if (!s->queue_mode)
        return;
    if (tether_heap_contains(&s->awake))
        tether_heap_update(&dm->sleeps, &s->awake, now + srv->cfg.awake_window_ms);
    else if (tether_dm_heap_reserve(srv, &dm->sleeps) == 0)
        (void)tether_heap_push(&dm->sleeps, &s->awake, now + srv->cfg.awake_window_ms);
    if (s->sleeping) {
        s->sleeping = 0;
        emit(srv, now, s, TETHER_SERVER_EV_AWAKE);
        tether_dm_queue_flush(srv, now, s);
    }
}

void tether_dm_queue_flush(tether_server *srv, tether_time now, dm_sess *s)
{
    tether_dm *dm = srv->dm;

    s->busy++;
    while (s->q_head != NULL && !(s->queue_mode && s->sleeping)) {
        dm_req *r = s->q_head;
        int err;

        /* Off the queue, then started as if just submitted. */
        if (r->prev == NULL)
            s->q_head = r->next;
        if (r->next != NULL)
            r->next->prev = NULL;
        else
            s->q_tail = NULL;
        r->next = r->prev = NULL;
        s->n_queued--;
        dm->queued--;
        r->state = DS_NEW;
        err = tether_dm_start(srv, now, r);
        if (err != 0) {
            struct tether_server_reg *rec = tether_dm_rec(srv, s);
            tether_dm_fail(srv, now, r, err,
                           "ep=%s woke up but its queued %s could not be sent: %s",
                           rec != NULL ? tether_reg_ep(rec) : "?", tether_server_op_name(r->op),
                           tether_strerror(err));
        }
    }
    s->busy--;
}

void tether_dm_queue_expire(tether_server *srv, tether_time now)
{
    tether_dm *dm = srv->dm;
    tether_heap_entry *e;

    while ((e = tether_heap_top(&dm->sleeps)) != NULL && e->key <= now) {
        dm_sess *s = SESS_OF(e, awake);
        tether_heap_remove(&dm->sleeps, e);
        s->sleeping = 1;
        emit(srv, now, s, TETHER_SERVER_EV_SLEEPING);
    }
}

int tether_server_reg_sleeping(const tether_server *srv, const tether_server_reg *reg)
{
    dm_sess *s = tether_dm_sess_find((tether_server *)srv, reg->id);

    return s != NULL && s->queue_mode && s->sleeping;
}

size_t tether_server_reg_queued(const tether_server *srv, const tether_server_reg *reg)
{
    dm_sess *s = tether_dm_sess_find((tether_server *)srv, reg->id);

    return s != NULL ? s->n_queued : 0;
}
