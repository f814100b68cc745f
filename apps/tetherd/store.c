/* SPDX-License-Identifier: Apache-2.0 */
/* The store's front: engine events in, coalesced row changes out to a
 * writer thread that commits them (store.h says what and when; the SQLite
 * back end is store_sqlite.c). --store memory is the absence of all this:
 * every call returns at once.
 *
 *   daemon thread                         writer thread
 *   on_event: lock, find the endpoint     wait until front has a change
 *   in front (hash), merge, unlock        that is window_ms old (or a
 *                                         sync / close asks), then lock,
 *   sync (--sync always): ask, wait       swap front and back, unlock;
 *   until done_seq covers front's seq     BEGIN, one statement per
 *                                         endpoint, COMMIT; free back;
 *                                         lock, done_seq, stats, unlock
 *
 * The mutex guards front, the sequence numbers and the stats; back belongs
 * to the writer between the swap and the end of its commit. Neither thread
 * holds the mutex across I/O. The writer never calls the engine, and logs
 * nothing itself: its error sentences wait for tetherd_store_tick().
 *
 * Coalescing by endpoint: a put (the whole row) replaces whatever is
 * pending for the endpoint; a refresh (an Update that changed nothing)
 * moves the pending put's or refresh's last-update time, or becomes a
 * refresh of its own; a delete replaces whatever is pending. So a batch
 * writes each endpoint at most once, however many Updates it saw. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tether/err.h"
#include "tether/os.h"

#include "metrics.h"
#include "store_internal.h"
#include "tetherd.h"

enum { P_PUT = 1, P_TOUCH = 2, P_DEL = 3 };

typedef struct pend {
    struct pend *hnext, *next;
    uint32_t hash;
    uint8_t op;
    store_row row;             /* P_PUT: everything; P_TOUCH: updated_ms */
    tether_server_obj *objs;   /* P_PUT, malloc'd; NULL when none */
    char ep[];                 /* row.ep points here */
} pend;

typedef struct batch {
    pend **buckets;
    size_t nb, count;
    pend *head, *tail;
    tether_time first;         /* monotonic ms of its first change */
    uint64_t seq;
} batch;

struct tetherd_store {
    tetherd_store_kind kind;
    tetherd_store_sync_mode sync;
    uint32_t window_ms;
    store_db *db;
    int lock_fd;
    tether_server *srv;        /* set by restore: reads reg_updated() */
    pthread_t thread;
    int thread_started;
    pthread_mutex_t mu;
    pthread_cond_t cv;         /* to the writer: work, flush, stop */
    pthread_cond_t done_cv;    /* from the writer: a commit ended */
    batch b[2];
    batch *front, *back;
    uint64_t done_seq;
    int flush_wanted, stop, writing;
    int dirty;                 /* daemon thread only: changes since the last sync */
    tetherd_store_stats st;
    tether_time writing_first; /* back's first change, while writing */
    char werr[256];            /* the writer's last error, for tick() */
    int werr_new;
};

/* --- clocks ----------------------------------------------------------------- */

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The wall-clock time of engine time t (the engine's clock is
 * tether_os_now_ms()). */
static int64_t wall_of(tether_time t)
{
    tether_time mono = tether_os_now_ms();
    return wall_ms() - (int64_t)(mono - t);
}

/* --- the pending batch ----------------------------------------------------- */

static uint32_t hash_ep(const char *ep, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)ep[i]) * 16777619u;
    return h;
}

static pend *batch_find(const batch *b, const char *ep, size_t len, uint32_t h)
{
    if (b->nb == 0)
        return NULL;
    for (pend *p = b->buckets[h & (b->nb - 1)]; p != NULL; p = p->hnext)
        if (p->hash == h && p->row.ep_len == len && memcmp(p->ep, ep, len) == 0)
            return p;
    return NULL;
}

static int batch_grow(batch *b)
{
    size_t nb = b->nb == 0 ? 1024 : b->nb * 2;
    pend **nbk = calloc(nb, sizeof(*nbk));

    if (nbk == NULL)
        return -1;
    for (pend *p = b->head; p != NULL; p = p->next) {
        p->hnext = nbk[p->hash & (nb - 1)];
        nbk[p->hash & (nb - 1)] = p;
    }
    free(b->buckets);
    b->buckets = nbk;
    b->nb = nb;
    return 0;
}

/* The endpoint's pending entry, created (op 0) if absent. NULL: out of
 * memory. */
static pend *batch_get(batch *b, const char *ep, size_t len, tether_time now, int *fresh)
{
    uint32_t h = hash_ep(ep, len);
    pend *p = batch_find(b, ep, len, h);

    *fresh = 0;
    if (p != NULL)
        return p;
    if (b->count >= b->nb && batch_grow(b) != 0)
        return NULL;
    p = calloc(1, sizeof(*p) + len + 1);
    if (p == NULL)
        return NULL;
    memcpy(p->ep, ep, len);
    p->row.ep = p->ep;
    p->row.ep_len = len;
    p->hash = h;
    p->hnext = b->buckets[h & (b->nb - 1)];
    b->buckets[h & (b->nb - 1)] = p;
    if (b->tail != NULL)
        b->tail->next = p;
    else
        b->head = p;
    b->tail = p;
    if (b->count == 0)
        b->first = now;
    b->count++;
    *fresh = 1;
    return p;
}

static void batch_clear(batch *b)
{
    pend *p = b->head;

    while (p != NULL) {
        pend *n = p->next;
        free(p->objs);
        free(p);
        p = n;
    }
    if (b->nb > 0)
        memset(b->buckets, 0, b->nb * sizeof(*b->buckets));
    b->head = b->tail = NULL;
    b->count = 0;
}

/* --- the writer thread ---------------------------------------------------------- */

/* Write back in one transaction. Returns 0 or an error (set in werr). */
static int write_batch(tetherd_store *s, batch *b)
{
    int err = store_db_begin(s->db);

    for (pend *p = b->head; p != NULL && err == 0; p = p->next) {
        switch (p->op) {
        case P_PUT: err = store_db_put(s->db, &p->row); break;
        case P_TOUCH:
            err = store_db_touch(s->db, p->ep, p->row.ep_len, p->row.updated_ms);
            break;
        case P_DEL: err = store_db_delete(s->db, p->ep, p->row.ep_len); break;
        }
    }
    if (err == 0)
        err = store_db_commit(s->db);
    if (err != 0) {
        pthread_mutex_lock(&s->mu);
        snprintf(s->werr, sizeof(s->werr), "store: a commit of %zu rows failed, they are lost: %s",
                 b->count, store_db_errmsg(s->db));
        s->werr_new = 1;
        pthread_mutex_unlock(&s->mu);
        store_db_rollback(s->db);
        return err;
    }
    return 0;
}

static void *writer(void *arg)
{
    tetherd_store *s = arg;

    pthread_mutex_lock(&s->mu);
    for (;;) {
        batch *b;
        uint64_t seq;
        tether_time t0, t1;
        int err;

        if (s->front->count == 0) {
            if (s->stop)
                break;
            if (s->flush_wanted) {
                /* Nothing to write: a sync that raced a swap is covered. */
                s->flush_wanted = 0;
                s->done_seq = s->front->seq - 1;
                pthread_cond_broadcast(&s->done_cv);
            }
            pthread_cond_wait(&s->cv, &s->mu);
            continue;
        }
        if (!s->stop && !s->flush_wanted) {
            tether_time now = tether_os_now_ms();
            tether_time due = s->front->first + s->window_ms;
            if (s->sync == TETHERD_SYNC_ALWAYS) {
                pthread_cond_wait(&s->cv, &s->mu);
                continue;
            }
            if (now < due) {
                struct timespec ts;
                clock_gettime(CLOCK_MONOTONIC, &ts);
                uint64_t ns = (uint64_t)ts.tv_nsec + (due - now) * 1000000u;
                ts.tv_sec += (time_t)(ns / 1000000000u);
                ts.tv_nsec = (long)(ns % 1000000000u);
                pthread_cond_timedwait(&s->cv, &s->mu, &ts);
                continue;
            }
        }
        /* Take front: the daemon fills the other buffer meanwhile. */
        b = s->front;
        s->front = s->back;
        s->back = b;
        seq = b->seq;
        s->front->seq = seq + 1;
        s->flush_wanted = 0;
        s->writing = 1;
        s->writing_first = b->first;
        pthread_mutex_unlock(&s->mu);

        t0 = tether_os_now_ms();
        err = write_batch(s, b);
        t1 = tether_os_now_ms();

        pthread_mutex_lock(&s->mu);
        if (err == 0) {
            s->st.commits++;
            s->st.rows_written += b->count;
        } else {
            s->st.errors++;
        }
        s->st.last_commit_unix_ms = wall_ms();
        s->st.last_commit_ms = t1 - t0;
        if (t1 - b->first > s->st.max_lag_ms)
            s->st.max_lag_ms = t1 - b->first;
        s->writing = 0;
        s->done_seq = seq;
        pthread_cond_broadcast(&s->done_cv);
        pthread_mutex_unlock(&s->mu);
        batch_clear(b); /* frees outside the lock */
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* /metrics' store figures (metrics.h), from tetherd_store_get_stats(). */
static int metrics_fill(void *user, tetherd_store_metrics *out)
{
    tetherd_store_stats st;

    tetherd_store_get_stats(user, &st);
    out->pending = st.pending;
    out->lag_seconds = (double)st.lag_ms / 1000.0;
    out->commits = st.commits;
    out->rows = st.rows_written;
    out->errors = st.errors;
    return 0;
}

/* --- open and close --------------------------------------------------------- */

static int open_dir(tetherd_store *s, const char *dir, char *err, size_t cap)
{
    struct stat sb;
    char path[4096];

    if (dir == NULL || *dir == '\0') {
        snprintf(err, cap, "--data: no directory given");
        return TETHER_ERR_SYS;
    }
    if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
        snprintf(err, cap, "--data %s: cannot create the directory: %s", dir, strerror(errno));
        return TETHER_ERR_SYS;
    }
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        snprintf(err, cap, "--data %s: not a directory", dir);
        return TETHER_ERR_SYS;
    }
    if (access(dir, R_OK | W_OK | X_OK) != 0) {
        snprintf(err, cap, "--data %s: not writable: %s", dir, strerror(errno));
        return TETHER_ERR_SYS;
    }
    if ((size_t)snprintf(path, sizeof(path), "%s/tether.lock", dir) >= sizeof(path)) {
        snprintf(err, cap, "--data: the path is too long");
        return TETHER_ERR_SYS;
    }
    s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (s->lock_fd < 0) {
        snprintf(err, cap, "--data %s: cannot create %s: %s", dir, path, strerror(errno));
        return TETHER_ERR_SYS;
    }
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        snprintf(err, cap, "--data %s: in use by another tetherd (%s is locked)", dir, path);
        return TETHER_ERR_BUSY;
    }
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, TETHERD_STORE_FILE) >= sizeof(path)) {
        snprintf(err, cap, "--data: the path is too long");
        return TETHER_ERR_SYS;
    }
    return store_db_open(&s->db, path, err, cap);
}

static void destroy(tetherd_store *s)
{
    store_db_close(s->db);
    if (s->lock_fd >= 0)
        close(s->lock_fd); /* releases the flock */
    for (int i = 0; i < 2; i++) {
        batch_clear(&s->b[i]);
        free(s->b[i].buckets);
    }
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    pthread_cond_destroy(&s->done_cv);
    free(s);
}

int tetherd_store_open(tetherd_store **out, const tetherd_store_config *cfg, char *err,
                       size_t cap)
{
    tetherd_store *s = calloc(1, sizeof(*s));
    pthread_condattr_t ca;
    int rc;

    if (s == NULL) {
        snprintf(err, cap, "out of memory");
        return TETHER_ERR_NOMEM;
    }
    s->kind = cfg->kind;
    s->sync = cfg->sync;
    s->window_ms = cfg->window_ms != 0 ? cfg->window_ms : TETHERD_STORE_WINDOW_MS;
    s->lock_fd = -1;
    s->front = &s->b[0];
    s->back = &s->b[1];
    s->front->seq = 1;
    s->st.kind = s->kind == TETHERD_STORE_SQLITE ? "sqlite" : "memory";
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&s->done_cv, NULL);
    if (s->kind == TETHERD_STORE_MEMORY) {
        *out = s;
        return 0;
    }
    rc = open_dir(s, cfg->dir, err, cap);
    if (rc == 0) {
        if (pthread_create(&s->thread, NULL, writer, s) != 0) {
            snprintf(err, cap, "store: cannot start the writer thread");
            rc = TETHER_ERR_SYS;
        } else {
            s->thread_started = 1;
            tetherd_metrics_store_hook(metrics_fill, s);
        }
    }
    if (rc != 0) {
        destroy(s);
        return rc;
    }
    *out = s;
    return 0;
}

void tetherd_store_close(tetherd_store *s)
{
    if (s == NULL)
        return;
    if (s->thread_started) {
        tetherd_metrics_store_hook(NULL, NULL);
        pthread_mutex_lock(&s->mu);
        s->stop = 1; /* the writer commits what is left first */
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->thread, NULL);
    }
    tetherd_store_tick(s);
    destroy(s);
}

/* --- restore --------------------------------------------------------------- */

/* Refusals logged one by one at start; the rest only counted. */
#define RESTORE_LOG_MAX 10

typedef struct restore_ctx {
    tetherd_store *s;
    tether_server *srv;
    tether_time now;
    int64_t wall;
    size_t restored, expired, refused;
    char **drop;              /* endpoints to delete */
    size_t n_drop, cap_drop;
} restore_ctx;

static void drop_later(restore_ctx *c, const store_row *r)
{
    char *ep;

    if (c->n_drop == c->cap_drop) {
        size_t n = c->cap_drop ? c->cap_drop * 2 : 64;
        char **d = realloc(c->drop, n * sizeof(*d));
        if (d == NULL)
            return; /* stays; refused again next start */
        c->drop = d;
        c->cap_drop = n;
    }
    ep = malloc(r->ep_len + 1);
    if (ep == NULL)
        return;
    memcpy(ep, r->ep, r->ep_len);
    ep[r->ep_len] = '\0';
    c->drop[c->n_drop++] = ep;
}

static int restore_one(void *user, const store_row *r)
{
    restore_ctx *c = user;
    tether_server_saved_reg sv;
    char msg[512];
    int err;

    if (r->id[0] == '\0') {
        if (++c->refused <= RESTORE_LOG_MAX) {
            snprintf(msg, sizeof(msg), "store: ep=%.*s: a row that does not decode, removed",
                     (int)(r->ep_len > 255 ? 255 : r->ep_len), r->ep);
            tetherd_log(NULL, TETHER_LOG_WARN, "store", msg);
        }
        drop_later(c, r);
        return 0;
    }
    memset(&sv, 0, sizeof(sv));
    sv.ep = r->ep;
    sv.ep_len = r->ep_len;
    sv.id = r->id;
    sv.peer = r->peer;
    sv.lifetime_s = r->lifetime_s;
    sv.binding = r->binding;
    sv.version = r->version;
    sv.queue = r->queue;
    sv.sms = r->sms;
    sv.sms_len = strlen(r->sms);
    sv.root = r->root;
    sv.root_len = strlen(r->root);
    sv.formats = r->formats;
    sv.objs = r->objs;
    sv.n_objs = r->n_objs;
    /* Wall-clock ages onto the engine clock; a time in the future (the
     * wall clock stepped back) counts as now. Wrap-around below the
     * clock's origin is intended (tether_server_saved_reg). */
    sv.updated = c->now - (tether_time)(c->wall > r->updated_ms ? c->wall - r->updated_ms : 0);
    sv.registered =
        c->now - (tether_time)(c->wall > r->registered_ms ? c->wall - r->registered_ms : 0);
    if (c->now - sv.registered < c->now - sv.updated)
        sv.registered = sv.updated;
    err = tether_server_restore(c->srv, c->now, &sv);
    if (err == 0) {
        c->restored++;
        return 0;
    }
    if (err == TETHER_ERR_STATE) {
        c->expired++;
        drop_later(c, r);
        return 0;
    }
    /* Over --max-registrations (NOMEM): the row stays for a later start
     * with a higher limit. Anything else cannot be restored ever. */
    c->refused++;
    if (c->refused <= RESTORE_LOG_MAX) {
        snprintf(msg, sizeof(msg), "store: %s: %s%s", tether_err_name(err),
                 tether_server_errmsg(c->srv),
                 err == TETHER_ERR_NOMEM ? "; the row is kept" : "; the row is removed");
        tetherd_log(NULL, TETHER_LOG_WARN, "store", msg);
    }
    if (err != TETHER_ERR_NOMEM)
        drop_later(c, r);
    return 0;
}

int tetherd_store_restore(tetherd_store *s, tether_server *srv, tether_time now,
                          size_t *restored, size_t *expired, size_t *refused, char *err,
                          size_t cap)
{
    restore_ctx c;
    int rc = 0;

    s->srv = srv;
    memset(&c, 0, sizeof(c));
    if (s->kind == TETHERD_STORE_SQLITE) {
        c.s = s;
        c.srv = srv;
        c.now = now;
        c.wall = wall_of(now);
        /* The writer is idle (no event before the loop), so this thread may
         * use the connection. */
        rc = store_db_load(s->db, restore_one, &c, err, cap);
        if (rc == 0 && c.n_drop > 0) {
            int e = store_db_begin(s->db);
            for (size_t i = 0; i < c.n_drop && e == 0; i++)
                e = store_db_delete(s->db, c.drop[i], strlen(c.drop[i]));
            if (e == 0)
                e = store_db_commit(s->db);
            if (e != 0) {
                snprintf(err, cap, "store: removing expired rows: %s", store_db_errmsg(s->db));
                store_db_rollback(s->db);
                rc = e;
            }
        }
        for (size_t i = 0; i < c.n_drop; i++)
            free(c.drop[i]);
        free(c.drop);
    }
    if (restored != NULL)
        *restored = c.restored;
    if (expired != NULL)
        *expired = c.expired;
    if (refused != NULL)
        *refused = c.refused;
    return rc;
}

/* --- events ------------------------------------------------------------------- */

static int fill_put(tetherd_store *s, pend *p, tether_time now, const tether_server_reg *reg)
{
    size_t n = tether_server_reg_object_count(reg);
    tether_server_obj *objs = NULL;
    store_row *r = &p->row;

    if (n > 0) {
        objs = malloc(n * sizeof(*objs));
        if (objs == NULL)
            return -1;
        for (size_t i = 0; i < n; i++)
            (void)tether_server_reg_object(reg, i, &objs[i]);
    }
    free(p->objs);
    p->objs = objs;
    p->op = P_PUT;
    snprintf(r->id, sizeof(r->id), "%s", tether_server_reg_id(reg));
    r->peer = *tether_server_reg_peer(reg);
    r->lifetime_s = tether_server_reg_lifetime(reg);
    r->binding = (uint8_t)tether_server_reg_binding(reg);
    r->version = (uint8_t)tether_server_reg_version(reg);
    r->queue = (uint8_t)(tether_server_reg_queue(reg) != 0);
    r->formats = (uint8_t)tether_server_reg_formats(reg);
    snprintf(r->sms, sizeof(r->sms), "%s", tether_server_reg_sms(reg));
    snprintf(r->root, sizeof(r->root), "%s", tether_server_reg_root(reg));
    r->objs = objs;
    r->n_objs = n;
    r->registered_ms = wall_of(tether_server_reg_registered(reg));
    r->updated_ms = s->srv != NULL ? wall_of(tether_server_reg_updated(s->srv, reg))
                                   : wall_of(now);
    return 0;
}

void tetherd_store_on_event(tetherd_store *s, tether_time now, const tether_server_event *ev)
{
    const tether_server_reg *reg = ev->reg;
    const char *ep;
    size_t len;
    int op, fresh;
    pend *p;

    if (s == NULL || s->kind != TETHERD_STORE_SQLITE || reg == NULL)
        return;
    switch (ev->type) {
    case TETHER_SERVER_EV_REGISTERED: op = P_PUT; break;
    case TETHER_SERVER_EV_UPDATED: op = ev->changed != 0 ? P_PUT : P_TOUCH; break;
    case TETHER_SERVER_EV_LIFETIME:
        if (ev->status != 0)
            return;
        op = P_PUT;
        break;
    case TETHER_SERVER_EV_DEREGISTERED:
    case TETHER_SERVER_EV_EXPIRED:
    case TETHER_SERVER_EV_REPLACED: op = P_DEL; break;
    default: return;
    }
    ep = tether_server_reg_ep(reg);
    len = strlen(ep);
    pthread_mutex_lock(&s->mu);
    p = batch_get(s->front, ep, len, now, &fresh);
    if (p == NULL) {
        snprintf(s->werr, sizeof(s->werr), "store: out of memory: a change of ep=%s is lost", ep);
        s->werr_new = 1;
        pthread_mutex_unlock(&s->mu);
        return;
    }
    if (!fresh)
        s->st.events_coalesced++;
    if (op == P_TOUCH && !fresh && p->op == P_DEL) {
        /* Cannot happen (a deleted registration is not updated); keep the delete. */
    } else if (op == P_TOUCH && !fresh) {
        p->row.updated_ms = wall_of(now); /* moves a pending put's or touch's time */
    } else if (op == P_TOUCH) {
        p->op = P_TOUCH;
        p->row.updated_ms = wall_of(now);
    } else if (op == P_DEL) {
        free(p->objs);
        p->objs = NULL;
        p->row.objs = NULL;
        p->row.n_objs = 0;
        p->op = P_DEL;
    } else if (fill_put(s, p, now, reg) != 0) {
        p->op = P_TOUCH;
        p->row.updated_ms = wall_of(now);
        snprintf(s->werr, sizeof(s->werr), "store: out of memory: ep=%s only refreshed", ep);
        s->werr_new = 1;
    }
    s->dirty = 1;
    if (fresh && s->front->count == 1)
        pthread_cond_signal(&s->cv); /* the writer starts its window */
    pthread_mutex_unlock(&s->mu);
}

void tetherd_store_sync(tetherd_store *s)
{
    uint64_t want;

    if (s == NULL || !s->dirty || s->sync != TETHERD_SYNC_ALWAYS || !s->thread_started)
        return;
    s->dirty = 0;
    pthread_mutex_lock(&s->mu);
    if (s->front->count > 0) {
        want = s->front->seq;
        s->flush_wanted = 1;
        pthread_cond_signal(&s->cv);
        while (s->done_seq < want)
            pthread_cond_wait(&s->done_cv, &s->mu);
    }
    pthread_mutex_unlock(&s->mu);
}

void tetherd_store_tick(tetherd_store *s)
{
    char msg[sizeof(s->werr)];
    int have = 0;

    if (s == NULL || s->kind != TETHERD_STORE_SQLITE)
        return;
    pthread_mutex_lock(&s->mu);
    if (s->werr_new) {
        memcpy(msg, s->werr, sizeof(msg));
        s->werr_new = 0;
        have = 1;
    }
    pthread_mutex_unlock(&s->mu);
    if (have)
        tetherd_log(NULL, TETHER_LOG_ERROR, "store", msg);
}

void tetherd_store_get_stats(tetherd_store *s, tetherd_store_stats *out)
{
    tether_time now = tether_os_now_ms();

    memset(out, 0, sizeof(*out));
    if (s == NULL) {
        out->kind = "memory";
        return;
    }
    pthread_mutex_lock(&s->mu);
    *out = s->st;
    out->pending = s->front->count + (s->writing ? s->back->count : 0);
    if (s->writing)
        out->lag_ms = now - s->writing_first;
    else if (s->front->count > 0)
        out->lag_ms = now - s->front->first;
    pthread_mutex_unlock(&s->mu);
}
