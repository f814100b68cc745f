/* SPDX-License-Identifier: Apache-2.0 */
/* tether-bench: a load generator that plays many LwM2M devices at once.
 *
 * Each simulated device has its own UDP socket (so the server sees distinct
 * addresses, as with a real fleet), Registers, then drives Updates,
 * Registers or full register/update/de-register cycles, retransmitting its
 * CON requests exactly as RFC 7252 §4.2 asks (ACK_TIMEOUT 2 s, random factor
 * 1.5, doubling, 4 retransmissions). It answers the server's GET of the
 * Server Object (R10 lifetime sync) so a server that reads /1 is measured
 * too. It prints the registration phase, then ops/s, latency percentiles,
 * counts per response code and timeouts, and ends with one RESULT line of
 * key=value pairs for scripts.
 *
 * Closed loop (default): each device keeps --window requests in flight.
 * Open loop (--rate R): requests leave on a fixed schedule of R per second in
 * all, whatever the answers, which is how service latency is measured.
 * --registrations M fills the server with M registrations, many endpoints
 * per socket, and exits, so the server's memory can be read afterwards.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/heap_internal.h"
#include "tether/coap.h"

#define MAX_WINDOW 16
#define ACK_TIMEOUT_MS 2000
#define MAX_RETRANSMIT 4
#define HIST_US 200000 /* exact microsecond buckets up to 200 ms */
#define EP_PER_SOCKET_FILL 256

enum mode { MODE_UPDATE, MODE_REGISTER, MODE_CHURN, MODE_FILL };
enum phase { PH_REGISTER, PH_RUN, PH_DEREGISTER };
enum kind { K_REGISTER, K_UPDATE, K_DEREGISTER };

/* One request in flight: retransmitted on its own deadline. */
typedef struct req {
    tether_heap_entry timer; /* first member: the heap hands back this pointer */
    struct dev *dev;
    uint64_t sent_ns;       /* first transmission, for latency */
    uint32_t timeout_ms;    /* current retransmission timeout */
    uint16_t mid;
    uint8_t retries, kind, busy, slot;
    uint32_t token;
    uint32_t ep_index;      /* which endpoint of the socket (fill mode) */
    uint16_t len;
    uint8_t buf[160];
} req;

typedef struct dev {
    int fd;
    uint32_t index;
    uint16_t next_mid;
    uint8_t registered, inflight;
    char loc[24]; /* Location-Path id from the 2.01 */
    uint32_t fill_next; /* fill mode: next endpoint number of this socket */
    req win[MAX_WINDOW];
} dev;

static struct {
    const char *server;
    uint32_t clients, window, registrations;
    double duration, rate;
    enum mode mode;
    uint32_t lifetime;
    int send_lt;
    int quiet;
} opt = {NULL, 100, 1, 0, 10, 0, MODE_UPDATE, 86400, 1, 0};

static struct sockaddr_storage srv;
static socklen_t srvlen;
static dev *devs;
static tether_heap timers;
static tether_heap_entry **timer_items;
static int ep_fd;
static volatile sig_atomic_t stop;
static uint32_t run_id;

static struct {
    uint64_t ops, timeouts, retransmits, sent, reads_answered, bad;
    uint64_t codes[256];
    uint32_t *hist;
    uint64_t over, max_us;
} st;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Tokens, jitter and the run id need variety, not secrecy: a splitmix64
 * stream seeded once from getrandom. (A getrandom call for each token and
 * each timeout was two extra syscalls a request, a twentieth of the
 * bench's time.) */
static uint64_t rnd_state;

static uint32_t rnd32(void)
{
    uint64_t z;
    if (rnd_state == 0 && getrandom(&rnd_state, sizeof(rnd_state), 0) != sizeof(rnd_state))
        rnd_state = now_ns();
    z = (rnd_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (uint32_t)((z ^ (z >> 31)) >> 32);
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: tether-bench --server HOST:PORT [options]\n"
        "Simulates many LwM2M devices against a server and prints throughput and latency.\n\n"
        "  --server HOST:PORT    the LwM2M server (required; [v6addr]:port for IPv6)\n"
        "  --clients N           simulated devices, one UDP socket each (default 100)\n"
        "  --duration S          seconds of load after every device registered (default 10)\n"
        "  --window W            requests in flight per device, 1..%d (default 1)\n"
        "  --mode M              update: Update over and over (default)\n"
        "                        register: Register again and again (replacement, R15)\n"
        "                        churn: Register, Update, De-register cycles\n"
        "  --rate R              open loop: R requests per second in all, on a fixed\n"
        "                        schedule (for service latency); default closed loop\n"
        "  --registrations M     fill the server with M registrations (many endpoints\n"
        "                        per socket, --clients sockets) and exit\n"
        "  --lifetime S          lt sent in Register (default 86400)\n"
        "  --no-lt               omit lt from Register (the server then reads /1, R10)\n"
        "  --quiet               only the RESULT line\n"
        "  -h, --help            this text\n\n"
        "Ends with one line: RESULT key=value ... (ops_per_s, p50_us, p90_us, p99_us,\n"
        "max_us, timeouts, retransmits, skipped, reads (server reads answered), codes).\n",
        MAX_WINDOW);
}

static int parse_server(const char *s)
{
    char host[256];
    const char *port;
    struct addrinfo hints, *res;
    size_t hl;

    if (s[0] == '[') {
        const char *end = strchr(s, ']');
        if (end == NULL || end[1] != ':')
            return -1;
        hl = (size_t)(end - s - 1);
        if (hl >= sizeof(host))
            return -1;
        memcpy(host, s + 1, hl);
        port = end + 2;
    } else {
        const char *colon = strrchr(s, ':');
        if (colon == NULL)
            return -1;
        hl = (size_t)(colon - s);
        if (hl >= sizeof(host))
            return -1;
        memcpy(host, s, hl);
        port = colon + 1;
    }
    host[hl] = '\0';
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_DGRAM;
    if (getaddrinfo(host, port, &hints, &res) != 0)
        return -1;
    memcpy(&srv, res->ai_addr, res->ai_addrlen);
    srvlen = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static void record_latency(uint64_t ns)
{
    uint64_t us = ns / 1000;
    if (us > st.max_us)
        st.max_us = us;
    if (us < HIST_US)
        st.hist[us]++;
    else
        st.over++;
}

static uint64_t percentile(double p)
{
    uint64_t total = st.over, want, seen = 0;
    for (uint32_t i = 0; i < HIST_US; i++)
        total += st.hist[i];
    if (total == 0)
        return 0;
    want = (uint64_t)ceil(p * (double)total);
    if (want == 0)
        want = 1;
    for (uint32_t i = 0; i < HIST_US; i++) {
        seen += st.hist[i];
        if (seen >= want)
            return i;
    }
    return st.max_us;
}

/* Endpoint name: unique per run, device and (fill mode) endpoint number. */
static void ep_name(char *out, size_t cap, const dev *d, uint32_t n)
{
    if (opt.mode == MODE_FILL)
        snprintf(out, cap, "bench-%08x-%u-%u", run_id, d->index, n);
    else
        snprintf(out, cap, "bench-%08x-%u", run_id, d->index);
}

static int build(req *r, dev *d, enum kind k)
{
    tether_coap_builder b;
    uint8_t tok[4];
    size_t len;
    char q[96], ep[64];
    static const char links[] = "</1/0>,</3/0>,</5/0>";

    r->mid = d->next_mid++;
    r->token = rnd32();
    memcpy(tok, &r->token, 4);
    tether_coap_build_init(&b, r->buf, sizeof(r->buf), TETHER_COAP_CON,
                           k == K_DEREGISTER ? TETHER_COAP_DELETE : TETHER_COAP_POST,
                           r->mid, tok, 4);
    if (k == K_REGISTER) {
        tether_coap_build_opt_str(&b, TETHER_COAP_OPT_URI_PATH, "rd");
        tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_CONTENT_FORMAT, TETHER_FMT_LINK);
        ep_name(ep, sizeof(ep), d, r->ep_index);
        snprintf(q, sizeof(q), "ep=%s", ep);
        tether_coap_build_opt_str(&b, TETHER_COAP_OPT_URI_QUERY, q);
        if (opt.send_lt) {
            snprintf(q, sizeof(q), "lt=%u", opt.lifetime);
            tether_coap_build_opt_str(&b, TETHER_COAP_OPT_URI_QUERY, q);
        }
        tether_coap_build_opt_str(&b, TETHER_COAP_OPT_URI_QUERY, "lwm2m=1.0");
        tether_coap_build_opt_str(&b, TETHER_COAP_OPT_URI_QUERY, "b=U");
        tether_coap_build_payload(&b, links, sizeof(links) - 1);
    } else {
        tether_coap_build_opt_str(&b, TETHER_COAP_OPT_URI_PATH, "rd");
        tether_coap_build_opt_str(&b, TETHER_COAP_OPT_URI_PATH, d->loc);
    }
    if (tether_coap_build_finish(&b, &len) != 0)
        return -1;
    r->len = (uint16_t)len;
    r->kind = (uint8_t)k;
    return 0;
}

static void transmit(req *r)
{
    if (send(r->dev->fd, r->buf, r->len, 0) < 0 && errno != EAGAIN && errno != ECONNREFUSED)
        st.bad++;
    st.sent++;
}

static void start(dev *d, req *r, enum kind k)
{
    uint64_t now = now_ns();

    if (build(r, d, k) != 0) {
        st.bad++;
        return;
    }
    r->busy = 1;
    r->retries = 0;
    r->sent_ns = now;
    /* RFC 7252 §4.2: first timeout uniform in [ACK_TIMEOUT, 1.5 * ACK_TIMEOUT]. */
    r->timeout_ms = ACK_TIMEOUT_MS + rnd32() % (ACK_TIMEOUT_MS / 2 + 1);
    d->inflight++;
    tether_heap_push(&timers, &r->timer, now / 1000000 + r->timeout_ms);
    transmit(r);
}

/* What the device sends next, in the run phase. */
static enum kind next_kind(dev *d)
{
    switch (opt.mode) {
    case MODE_REGISTER:
        return K_REGISTER;
    case MODE_CHURN:
        return d->registered ? (rnd32() % 2 ? K_UPDATE : K_DEREGISTER) : K_REGISTER;
    case MODE_UPDATE:
    case MODE_FILL:
        break;
    }
    return d->registered ? K_UPDATE : K_REGISTER;
}

static void finish(req *r)
{
    r->busy = 0;
    r->dev->inflight--;
    if (tether_heap_contains(&r->timer))
        tether_heap_remove(&timers, &r->timer);
}

/* Answer a server request (R10: GET /1 or /1/x/1) with the lifetime. */
static void answer_server(dev *d, const tether_coap_msg *m)
{
    uint8_t out[64];
    tether_coap_builder b;
    size_t len;
    char lt[16];
    int n = snprintf(lt, sizeof(lt), "%u", opt.lifetime);

    tether_coap_build_init(&b, out, sizeof(out), TETHER_COAP_ACK,
                           m->code == TETHER_COAP_GET ? TETHER_COAP_CONTENT : TETHER_COAP_CHANGED,
                           m->mid, m->token, m->tkl);
    if (m->code == TETHER_COAP_GET) {
        uint32_t accept = TETHER_FMT_TEXT;
        (void)tether_coap_accept(m, &accept);
        if (accept == TETHER_FMT_TLV || tether_coap_path_equals(m, "1") ||
            tether_coap_path_equals(m, "1/0")) {
            /* TLV of /1/0 with Short Server ID 1 and Lifetime (4-byte integer). */
            uint8_t tlv[16] = {0x08, 0x00, 0x09, 0xC1, 0x00, 0x01, 0xC4, 0x01};
            uint32_t v = opt.lifetime;
            tlv[8] = (uint8_t)(v >> 24);
            tlv[9] = (uint8_t)(v >> 16);
            tlv[10] = (uint8_t)(v >> 8);
            tlv[11] = (uint8_t)v;
            int whole = tether_coap_path_equals(m, "1");
            tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_CONTENT_FORMAT, TETHER_FMT_TLV);
            if (whole)
                tether_coap_build_payload(&b, tlv, 12);
            else
                tether_coap_build_payload(&b, tlv + 3, 9);
        } else {
            tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_CONTENT_FORMAT, TETHER_FMT_TEXT);
            tether_coap_build_payload(&b, lt, (size_t)n);
        }
    }
    if (tether_coap_build_finish(&b, &len) == 0 && send(d->fd, out, len, 0) >= 0)
        st.reads_answered++;
}

static int phase_run; /* set when the run phase counts ops */

static void on_response(dev *d, const tether_coap_msg *m)
{
    uint32_t tok;
    req *r = NULL;

    if (m->tkl != 4)
        return;
    memcpy(&tok, m->token, 4);
    for (uint32_t i = 0; i < opt.window; i++)
        if (d->win[i].busy && d->win[i].token == tok)
            r = &d->win[i];
    if (r == NULL)
        return; /* late answer to a request we gave up on, or a duplicate */
    if (m->type == TETHER_COAP_ACK && m->code == TETHER_COAP_EMPTY)
        return; /* separate response follows; keep waiting (no more retransmits needed) */

    if (phase_run) {
        st.ops++;
        st.codes[m->code]++;
        record_latency(now_ns() - r->sent_ns);
    }
    if (r->kind == K_REGISTER && m->code == TETHER_COAP_CREATED) {
        tether_coap_opt locs[3];
        size_t n = 0;
        tether_coap_opt_collect(m, TETHER_COAP_OPT_LOCATION_PATH, locs, 3, &n);
        if (n >= 2 && locs[n - 1].len < sizeof(d->loc)) {
            memcpy(d->loc, locs[n - 1].val, locs[n - 1].len);
            d->loc[locs[n - 1].len] = '\0';
            d->registered = 1;
        }
    } else if (r->kind == K_DEREGISTER) {
        d->registered = 0;
    } else if (r->kind == K_UPDATE && m->code == TETHER_COAP_NOT_FOUND) {
        d->registered = 0; /* R7: the registration is gone, Register again */
    }
    if (m->type == TETHER_COAP_CON) {
        /* A separate response: acknowledge it. */
        uint8_t ack[4] = {0x60, 0x00, (uint8_t)(m->mid >> 8), (uint8_t)m->mid};
        (void)send(d->fd, ack, sizeof(ack), 0);
    }
    finish(r);
}

static void on_datagram(dev *d, const uint8_t *buf, size_t len)
{
    tether_coap_msg m;

    if (tether_coap_parse(&m, buf, len) != 0) {
        st.bad++;
        return;
    }
    if (m.code >= TETHER_COAP_GET && m.code <= TETHER_COAP_DELETE && m.type == TETHER_COAP_CON)
        answer_server(d, &m);
    else if (m.code == TETHER_COAP_EMPTY && m.type == TETHER_COAP_CON) {
        uint8_t rst[4] = {0x70, 0x00, buf[2], buf[3]};
        (void)send(d->fd, rst, sizeof(rst), 0);
    } else if (m.type == TETHER_COAP_ACK || m.type == TETHER_COAP_CON || m.type == TETHER_COAP_NON)
        on_response(d, &m);
}

static void run_timers(uint64_t now_ms)
{
    tether_heap_entry *e;

    while ((e = tether_heap_top(&timers)) != NULL && e->key <= now_ms) {
        req *r = (req *)e;
        if (r->retries >= MAX_RETRANSMIT) {
            if (phase_run)
                st.timeouts++;
            finish(r);
            if (r->kind == K_UPDATE)
                r->dev->registered = 0; /* R7: silence on Update means Register again */
            continue;
        }
        r->retries++;
        r->timeout_ms *= 2;
        st.retransmits++;
        tether_heap_update(&timers, e, now_ms + r->timeout_ms);
        transmit(r);
    }
}

/* Wait up to wait_ns for answers (0: just look), handle them, run the
 * retransmission timers. epoll_pwait2 takes nanoseconds: the open loop
 * sleeps until its next send instead of spinning, so the bench leaves the
 * second core to the server (on a 2-core machine a spinning bench takes a
 * whole core and the server is what gets preempted). */
static int drain(uint64_t wait_ns)
{
    struct epoll_event evs[256];
    uint8_t buf[1500];
    struct timespec ts = {(time_t)(wait_ns / 1000000000u), (long)(wait_ns % 1000000000u)};
    int n = epoll_pwait2(ep_fd, evs, 256, &ts, NULL);

    /* One datagram per ready socket and call: the epoll set is level
     * triggered, so a socket with more queued is reported again, and
     * reading on to EAGAIN would cost a second recv for every answer. */
    for (int i = 0; i < n; i++) {
        dev *d = evs[i].data.ptr;
        ssize_t got = recv(d->fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (got >= 0)
            on_datagram(d, buf, (size_t)got);
    }
    run_timers(now_ns() / 1000000);
    return n;
}

/* Nanoseconds until the next retransmission is due, at most 50 ms. */
static uint64_t next_wait_ns(void)
{
    tether_heap_entry *e = tether_heap_top(&timers);
    uint64_t now = now_ns(), due;
    if (e == NULL)
        return 50000000u;
    due = e->key * 1000000u;
    if (due <= now)
        return 0;
    return due - now > 50000000u ? 50000000u : due - now;
}

static int open_devices(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    ep_fd = epoll_create1(0);
    for (uint32_t i = 0; i < opt.clients; i++) {
        dev *d = &devs[i];
        struct epoll_event ev;
        int rcv = 1 << 20;
        d->index = i;
        d->next_mid = (uint16_t)rnd32();
        d->fd = socket(srv.ss_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        if (d->fd < 0) {
            fprintf(stderr, "tether-bench: socket %u: %s (raise ulimit -n or lower --clients)\n",
                    i, strerror(errno));
            return -1;
        }
        setsockopt(d->fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
        if (connect(d->fd, (struct sockaddr *)&srv, srvlen) != 0) {
            fprintf(stderr, "tether-bench: connect: %s\n", strerror(errno));
            return -1;
        }
        for (uint32_t w = 0; w < MAX_WINDOW; w++) {
            d->win[w].dev = d;
            d->win[w].slot = (uint8_t)w;
            d->win[w].timer.index = TETHER_HEAP_NONE;
        }
        ev.events = EPOLLIN;
        ev.data.ptr = d;
        epoll_ctl(ep_fd, EPOLL_CTL_ADD, d->fd, &ev);
    }
    return 0;
}

static req *free_slot(dev *d)
{
    for (uint32_t w = 0; w < opt.window; w++)
        if (!d->win[w].busy)
            return &d->win[w];
    return NULL;
}

/* Fill mode: register M endpoints spread over the sockets, window per socket. */
static int fill(void)
{
    uint64_t t0 = now_ns(), done_regs = 0;
    uint32_t per_dev = (opt.registrations + opt.clients - 1) / opt.clients;

    phase_run = 1;
    while (!stop) {
        int idle = 1;
        for (uint32_t i = 0; i < opt.clients; i++) {
            dev *d = &devs[i];
            req *r;
            /* This socket's share: per_dev, less for the last ones when
             * M is not a multiple of the clients (0 for any beyond M). */
            uint64_t first = (uint64_t)i * per_dev;
            uint32_t quota = first >= opt.registrations ? 0
                             : (uint32_t)(opt.registrations - first < per_dev
                                              ? opt.registrations - first
                                              : per_dev);
            while (d->fill_next < quota && (r = free_slot(d)) != NULL) {
                r->ep_index = d->fill_next;
                d->fill_next++;
                start(d, r, K_REGISTER);
            }
            if (d->inflight > 0 || d->fill_next < quota)
                idle = 0;
        }
        if (idle && tether_heap_top(&timers) == NULL)
            break;
        drain(next_wait_ns());
    }
    done_regs = st.codes[TETHER_COAP_CREATED];
    double secs = (double)(now_ns() - t0) / 1e9;
    printf("fill: %" PRIu64 " of %u registrations created in %.2f s (%.0f/s), "
           "%" PRIu64 " retransmissions, %" PRIu64 " timeouts\n",
           done_regs, opt.registrations, secs, (double)done_regs / secs, st.retransmits,
           st.timeouts);
    printf("RESULT mode=fill registrations=%" PRIu64 " seconds=%.3f retransmits=%" PRIu64
           " timeouts=%" PRIu64 "\n",
           done_regs, secs, st.retransmits, st.timeouts);
    return done_regs == opt.registrations ? 0 : 1;
}

static void register_all(void)
{
    uint64_t t0 = now_ns(), last_progress = t0;
    uint32_t registered = 0;

    for (uint32_t i = 0; i < opt.clients; i++)
        start(&devs[i], &devs[i].win[0], K_REGISTER);
    while (!stop) {
        uint32_t pending = 0;
        drain(next_wait_ns());
        registered = 0;
        for (uint32_t i = 0; i < opt.clients; i++) {
            registered += devs[i].registered;
            if (!devs[i].registered && devs[i].inflight == 0) {
                start(&devs[i], &devs[i].win[0], K_REGISTER); /* gave up: try again */
                pending++;
            }
            pending += devs[i].inflight;
        }
        if (registered == opt.clients)
            break;
        if (now_ns() - last_progress > 120ull * 1000000000u)
            break;
        (void)pending;
    }
    double secs = (double)(now_ns() - t0) / 1e9;
    if (!opt.quiet)
        printf("register phase: %u of %u devices registered in %.3f s, %" PRIu64
               " retransmissions\n",
               registered, opt.clients, secs, st.retransmits);
    printf("REGISTERED devices=%u of=%u seconds=%.3f retransmits=%" PRIu64 "\n", registered,
           opt.clients, secs, st.retransmits);
}

static void run_load(void)
{
    uint64_t t0 = now_ns(), end = t0 + (uint64_t)(opt.duration * 1e9), next_open = t0;
    uint64_t interval_ns = opt.rate > 0 ? (uint64_t)(1e9 / opt.rate) : 0;
    uint32_t rr = 0;
    uint64_t base_retx = st.retransmits, dropped = 0;

    phase_run = 1;
    while (!stop && now_ns() < end) {
        if (interval_ns == 0) {
            for (uint32_t i = 0; i < opt.clients; i++) {
                req *r;
                while ((r = free_slot(&devs[i])) != NULL)
                    start(&devs[i], r, next_kind(&devs[i]));
            }
            drain(next_wait_ns());
        } else {
            uint64_t now = now_ns();
            while (next_open <= now) {
                /* Open loop: the next device in turn sends, if it has a free slot. */
                dev *d = &devs[rr++ % opt.clients];
                req *r = free_slot(d);
                if (r != NULL)
                    start(d, r, next_kind(d));
                else
                    dropped++;
                next_open += interval_ns;
            }
            now = now_ns();
            uint64_t wait = next_open > now ? next_open - now : 0, tw = next_wait_ns();
            drain(wait < tw ? wait : tw);
        }
    }
    /* Let answers in flight arrive (they still count), up to a second. */
    uint64_t grace = now_ns() + 1000000000ull;
    while (now_ns() < grace) {
        int busy = 0;
        for (uint32_t i = 0; i < opt.clients && !busy; i++)
            busy = devs[i].inflight > 0;
        if (!busy)
            break;
        drain(10000000u);
    }
    double secs = (double)(end - t0) / 1e9;
    double ops_s = (double)st.ops / secs;
    char codes[512];
    size_t off = 0;
    codes[0] = '\0';
    for (int c = 0; c < 256; c++) {
        if (st.codes[c] == 0)
            continue;
        char cs[5];
        off += (size_t)snprintf(codes + off, sizeof(codes) - off, "%s%s:%" PRIu64,
                                off ? "," : "", tether_coap_code_str((uint8_t)c, cs),
                                st.codes[c]);
        if (off >= sizeof(codes))
            break;
    }
    if (!opt.quiet) {
        printf("load: mode=%s clients=%u window=%u %s%.0f\n",
               opt.mode == MODE_UPDATE ? "update" : opt.mode == MODE_REGISTER ? "register" : "churn",
               opt.clients, opt.window, opt.rate > 0 ? "open-loop rate=" : "closed-loop ",
               opt.rate > 0 ? opt.rate : 0.0);
        printf("  ops: %" PRIu64 " in %.2f s = %.0f ops/s\n", st.ops, secs, ops_s);
        printf("  latency us: p50 %" PRIu64 "  p90 %" PRIu64 "  p99 %" PRIu64 "  max %" PRIu64 "\n",
               percentile(0.50), percentile(0.90), percentile(0.99), st.max_us);
        printf("  codes: %s\n", codes[0] ? codes : "none");
        printf("  timeouts %" PRIu64 ", retransmissions %" PRIu64 ", reads answered %" PRIu64
               ", open-loop sends skipped %" PRIu64 "\n",
               st.timeouts, st.retransmits - base_retx, st.reads_answered, dropped);
    }
    printf("RESULT mode=%s clients=%u window=%u rate=%.0f seconds=%.2f ops=%" PRIu64
           " ops_per_s=%.0f p50_us=%" PRIu64 " p90_us=%" PRIu64 " p99_us=%" PRIu64
           " max_us=%" PRIu64 " timeouts=%" PRIu64 " retransmits=%" PRIu64 " skipped=%" PRIu64
           " reads=%" PRIu64 " codes=%s\n",
           opt.mode == MODE_UPDATE ? "update" : opt.mode == MODE_REGISTER ? "register" : "churn",
           opt.clients, opt.window, opt.rate, secs, st.ops, ops_s, percentile(0.50),
           percentile(0.90), percentile(0.99), st.max_us, st.timeouts,
           st.retransmits - base_retx, dropped, st.reads_answered, codes[0] ? codes : "none");
}

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
    char *end;
    unsigned long v;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || *s == '\0' || *s == '-' || *end != '\0' || v < min || v > max)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"server", required_argument, 0, 's'}, {"clients", required_argument, 0, 'c'},
        {"duration", required_argument, 0, 'd'}, {"window", required_argument, 0, 'w'},
        {"mode", required_argument, 0, 'm'}, {"registrations", required_argument, 0, 'r'},
        {"rate", required_argument, 0, 'R'}, {"lifetime", required_argument, 0, 'l'},
        {"no-lt", no_argument, 0, 'L'}, {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    char *end;

    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 's': opt.server = optarg; break;
        case 'c':
            if (parse_u32(optarg, 1, 60000, &opt.clients) != 0) {
                fprintf(stderr, "tether-bench: --clients must be 1..60000, got '%s'\n", optarg);
                return 2;
            }
            break;
        case 'w':
            if (parse_u32(optarg, 1, MAX_WINDOW, &opt.window) != 0) {
                fprintf(stderr, "tether-bench: --window must be 1..%d, got '%s'\n", MAX_WINDOW, optarg);
                return 2;
            }
            break;
        case 'r':
            if (parse_u32(optarg, 1, 100000000, &opt.registrations) != 0) {
                fprintf(stderr, "tether-bench: --registrations must be 1..100000000, got '%s'\n", optarg);
                return 2;
            }
            opt.mode = MODE_FILL;
            break;
        case 'l':
            if (parse_u32(optarg, 1, UINT32_MAX, &opt.lifetime) != 0) {
                fprintf(stderr, "tether-bench: --lifetime must be 1..4294967295, got '%s'\n", optarg);
                return 2;
            }
            break;
        case 'd':
        case 'R': {
            double v = strtod(optarg, &end);
            if (*optarg == '\0' || *end != '\0' || !(v >= 0) || v > 1e9) {
                fprintf(stderr, "tether-bench: --%s must be a non-negative number, got '%s'\n",
                        c == 'd' ? "duration" : "rate", optarg);
                return 2;
            }
            if (c == 'd')
                opt.duration = v;
            else
                opt.rate = v;
            break;
        }
        case 'm':
            if (strcmp(optarg, "update") == 0)
                opt.mode = MODE_UPDATE;
            else if (strcmp(optarg, "register") == 0)
                opt.mode = MODE_REGISTER;
            else if (strcmp(optarg, "churn") == 0)
                opt.mode = MODE_CHURN;
            else {
                fprintf(stderr, "tether-bench: --mode must be update, register or churn, got '%s'\n", optarg);
                return 2;
            }
            break;
        case 'L': opt.send_lt = 0; break;
        case 'q': opt.quiet = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "tether-bench: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (opt.server == NULL) {
        fprintf(stderr, "tether-bench: --server HOST:PORT is required (try --help)\n");
        return 2;
    }
    if (parse_server(opt.server) != 0) {
        fprintf(stderr, "tether-bench: cannot resolve --server '%s' (want HOST:PORT)\n", opt.server);
        return 2;
    }
    if (opt.mode == MODE_FILL)
        opt.window = MAX_WINDOW;

    run_id = rnd32();
    devs = calloc(opt.clients, sizeof(*devs));
    st.hist = calloc(HIST_US, sizeof(*st.hist));
    timer_items = calloc((size_t)opt.clients * MAX_WINDOW, sizeof(*timer_items));
    if (devs == NULL || st.hist == NULL || timer_items == NULL) {
        fprintf(stderr, "tether-bench: out of memory\n");
        return 1;
    }
    tether_heap_init(&timers, timer_items, (size_t)opt.clients * MAX_WINDOW);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (open_devices() != 0)
        return 1;
    if (opt.mode == MODE_FILL)
        return fill();
    register_all();
    run_load();
    return 0;
}
