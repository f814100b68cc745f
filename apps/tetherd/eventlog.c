/* SPDX-License-Identifier: Apache-2.0 */
/* tetherd's output: every event and every library message is one line on
 * stderr. Lines are written whole, never split across write(2) calls, so
 * lines from one process never interleave. While the loop runs
 * (tetherd_log_batch(1)) complete lines collect in a buffer, written out
 * when 16 KiB have collected or the oldest line is TETHERD_LOG_DELAY_MS
 * old (main.c calls tetherd_log_tick() after every loop turn and sleeps no
 * longer than it says). A busy server then pays one write(2) per hundred
 * or so events instead of one per event (at 50,000 Updates a second the
 * per-line write was a sixth of tetherd's CPU), and a server answering a
 * request now and then does not write to its log between two requests.
 * Text lines are "TIME LEVEL key=value ..." (values with
 * spaces, quotes or '=' are double-quoted with \" and \\ escapes); JSON
 * lines are one object each, with valid UTF-8 guaranteed (bytes of an
 * invalid sequence are escaped as \u00XX). */
#include "tetherd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tether/lwm2m.h"
#include "tether/net.h"
#include "tether/os.h"
#include "http.h"

static int g_level = TETHER_LOG_INFO;
static tetherd_log_format g_fmt = TETHERD_LOG_TEXT;

/* Whole lines waiting for tetherd_log_flush(); used while g_batch is set.
 * g_first: when the oldest of them was buffered (monotonic ms). */
#define OUT_CAP (64 * 1024)
#define OUT_FLUSH (16 * 1024)
static char g_out[OUT_CAP];
static size_t g_out_len;
static int g_batch;
static tether_time g_first;

void tetherd_log_setup(int level, tetherd_log_format fmt)
{
    g_level = level;
    g_fmt = fmt;
}

/* --- a growable line ------------------------------------------------------ */

typedef struct line {
    char *p;
    size_t len, cap;
    char small[1024];
} line;

static void line_init(line *l)
{
    l->p = l->small;
    l->len = 0;
    l->cap = sizeof(l->small);
}

static void line_free(line *l)
{
    if (l->p != l->small)
        free(l->p);
}

static void line_put(line *l, const char *s, size_t n)
{
    if (l->len + n + 2 > l->cap) {
        size_t cap = (l->len + n + 2) * 2;
        char *p = l->p == l->small ? malloc(cap) : realloc(l->p, cap);
        if (p == NULL)
            return; /* the line gets cut; the daemon goes on */
        if (l->p == l->small)
            memcpy(p, l->small, l->len);
        l->p = p;
        l->cap = cap;
    }
    memcpy(l->p + l->len, s, n);
    l->len += n;
}

static void line_str(line *l, const char *s)
{
    line_put(l, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void line_fmt(line *l, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > 0)
        line_put(l, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static void write_all(const char *p, size_t n)
{
    size_t off = 0;

    while (off < n) {
        ssize_t w = write(2, p + off, n - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
}

void tetherd_log_flush(void)
{
    write_all(g_out, g_out_len);
    g_out_len = 0;
}

void tetherd_log_batch(int on)
{
    tetherd_log_flush();
    g_batch = on;
}

int tetherd_log_tick(tether_time now)
{
    if (g_out_len == 0)
        return -1;
    if (g_out_len >= OUT_FLUSH || now >= g_first + TETHERD_LOG_DELAY_MS) {
        tetherd_log_flush();
        return -1;
    }
    return (int)(g_first + TETHERD_LOG_DELAY_MS - now);
}

static void line_emit(line *l)
{
    line_put(l, "\n", 1);
    if (g_batch && g_out_len + l->len > OUT_CAP)
        tetherd_log_flush();
    if (g_batch && l->len <= OUT_CAP) {
        if (g_out_len == 0)
            g_first = tether_os_now_ms();
        memcpy(g_out + g_out_len, l->p, l->len);
        g_out_len += l->len;
    } else {
        write_all(l->p, l->len);
    }
    line_free(l);
}

/* --- values ---------------------------------------------------------------- */

static void text_value(line *l, const char *s)
{
    int quote = *s == '\0' || strpbrk(s, " \"=\\") != NULL;

    if (!quote) {
        line_str(l, s);
        return;
    }
    line_put(l, "\"", 1);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            line_put(l, "\\", 1);
        line_put(l, s, 1);
    }
    line_put(l, "\"", 1);
}

static void json_string(line *l, const char *s)
{
    size_t n = strlen(s);
    int utf8 = tether_lwm2m_utf8_valid((const uint8_t *)s, n);

    line_put(l, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            line_put(l, "\\", 1);
            line_put(l, &s[i], 1);
        } else if (c < 0x20 || c == 0x7F || (c >= 0x80 && !utf8)) {
            line_fmt(l, "\\u%04x", c);
        } else {
            line_put(l, &s[i], 1);
        }
    }
    line_put(l, "\"", 1);
}

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" for now, UTC. The part up
 * to the seconds is formatted once per second: gmtime_r and snprintf on
 * every line were a visible cost at tens of thousands of events a second. */
static void timestamp(char out[72])
{
    static time_t cached_sec = (time_t)-1;
    static char cached[64];
    struct timespec ts;
    unsigned ms;
    size_t n;

    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != cached_sec) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        snprintf(cached, sizeof(cached), "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        cached_sec = ts.tv_sec;
    }
    ms = (unsigned)(ts.tv_nsec / 1000000) % 1000u;
    n = strlen(cached);
    memcpy(out, cached, n);
    out[n] = '.';
    out[n + 1] = (char)('0' + ms / 100);
    out[n + 2] = (char)('0' + ms / 10 % 10);
    out[n + 3] = (char)('0' + ms % 10);
    out[n + 4] = 'Z';
    out[n + 5] = '\0';
}

static void start(line *l, int level)
{
    char t[72];

    timestamp(t);
    line_init(l);
    if (g_fmt == TETHERD_LOG_JSON) {
        char lv[8];
        size_t i;
        const char *name = tether_log_level_name(level);
        for (i = 0; name[i] && i < sizeof(lv) - 1; i++)
            lv[i] = (char)(name[i] | 0x20);
        lv[i] = '\0';
        line_fmt(l, "{\"ts\":\"%s\",\"level\":\"%s\"", t, lv);
    } else {
        const char *name = tether_log_level_name(level);
        size_t n = strlen(name);
        line_str(l, t);
        line_put(l, " ", 1);
        line_put(l, name, n);
        if (n < 5)
            line_put(l, "     ", 5 - n); /* "%-5s" */
    }
}

static void field_str(line *l, const char *key, const char *val)
{
    if (g_fmt == TETHERD_LOG_JSON) {
        line_fmt(l, ",\"%s\":", key);
        json_string(l, val);
    } else {
        line_put(l, " ", 1);
        line_str(l, key);
        line_put(l, "=", 1);
        text_value(l, val);
    }
}

static void field_uint(line *l, const char *key, unsigned long long v)
{
    char digits[24];
    size_t n = sizeof(digits);

    do {
        digits[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    if (g_fmt == TETHERD_LOG_JSON) {
        line_put(l, ",\"", 2);
        line_str(l, key);
        line_put(l, "\":", 2);
    } else {
        line_put(l, " ", 1);
        line_str(l, key);
        line_put(l, "=", 1);
    }
    line_put(l, digits + n, sizeof(digits) - n);
}

static void finish(line *l)
{
    if (g_fmt == TETHERD_LOG_JSON)
        line_put(l, "}", 1);
    line_emit(l);
}

/* --- library messages ------------------------------------------------------ */

static void log_line(int level, const char *module, const char *msg)
{
    line l;

    start(&l, level);
    if (g_fmt == TETHERD_LOG_JSON) {
        field_str(&l, "module", module);
        field_str(&l, "msg", msg);
    } else {
        line_fmt(&l, " %s: ", module);
        line_str(&l, msg);
    }
    finish(&l);
}

void tetherd_log(void *user, int level, const char *module, const char *msg)
{
    (void)user;
    if (level <= g_level)
        log_line(level, module, msg);
}

void tetherd_notice(const char *msg)
{
    log_line(TETHER_LOG_INFO, "tetherd", msg);
}

/* --- events ------------------------------------------------------------------ */

const char *tetherd_event_name(int t)
{
    switch (t) {
    case TETHER_SERVER_EV_REGISTERED: return "registered";
    case TETHER_SERVER_EV_UPDATED: return "updated";
    case TETHER_SERVER_EV_DEREGISTERED: return "deregistered";
    case TETHER_SERVER_EV_EXPIRED: return "expired";
    case TETHER_SERVER_EV_REPLACED: return "replaced";
    case TETHER_SERVER_EV_LIFETIME: return "lifetime";
    case TETHER_SERVER_EV_NOTIFICATION: return "notification";
    case TETHER_SERVER_EV_OBSERVE_END: return "observe_end";
    case TETHER_SERVER_EV_SLEEPING: return "sleeping";
    case TETHER_SERVER_EV_AWAKE: return "awake";
    default: return NULL;
    }
}

static void field_objects(line *l, const tether_server_reg *r)
{
    size_t n = tether_server_reg_object_count(r);

    if (g_fmt == TETHERD_LOG_JSON) {
        line_str(l, ",\"objects\":[");
        for (size_t i = 0; i < n; i++) {
            tether_server_obj o;
            tether_server_reg_object(r, i, &o);
            if (o.iid == TETHER_SERVER_NO_IID)
                line_fmt(l, "%s\"/%u\"", i ? "," : "", o.oid);
            else
                line_fmt(l, "%s\"/%u/%u\"", i ? "," : "", o.oid, o.iid);
        }
        line_str(l, "]");
    } else {
        line_str(l, " objects=");
        for (size_t i = 0; i < n; i++) {
            tether_server_obj o;
            tether_server_reg_object(r, i, &o);
            if (o.iid == TETHER_SERVER_NO_IID)
                line_fmt(l, "%s</%u>", i ? "," : "", o.oid);
            else
                line_fmt(l, "%s</%u/%u>", i ? "," : "", o.oid, o.iid);
        }
    }
}

static void field_changes(line *l, unsigned changed)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{TETHER_CHANGED_LIFETIME, "lt"},    {TETHER_CHANGED_BINDING, "b"},
                 {TETHER_CHANGED_SMS, "sms"},        {TETHER_CHANGED_OBJECTS, "objects"},
                 {TETHER_CHANGED_ADDRESS, "addr"}};
    char buf[64] = "";

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (changed & names[i].bit) {
            if (buf[0])
                strcat(buf, ",");
            strcat(buf, names[i].name);
        }
    }
    field_str(l, "changed", buf[0] ? buf : "none");
}

void tetherd_on_event(void *user, tether_time now, const tether_server_event *ev)
{
    const tether_server_reg *r = ev->reg;
    const char *name = tetherd_event_name(ev->type);
    char addr[TETHER_UDP_ADDRSTR_MAX], b[8];
    int level = TETHER_LOG_INFO;
    line l;
    (void)user;

    tetherd_http_on_event(now, ev); /* the event stream and the metrics */
    if (ev->type == TETHER_SERVER_EV_LIFETIME && ev->status != 0)
        level = TETHER_LOG_WARN;
    if (level > g_level)
        return;
    tether_udp_peer_str(tether_server_reg_peer(r), addr, sizeof(addr));
    start(&l, level);
    field_str(&l, "event", name ? name : "?");
    field_str(&l, "ep", tether_server_reg_ep(r));
    field_str(&l, "id", tether_server_reg_id(r));
    field_str(&l, "addr", addr);
    switch (ev->type) {
    case TETHER_SERVER_EV_REGISTERED:
        field_uint(&l, "lt", tether_server_reg_lifetime(r));
        field_str(&l, "b", tether_server_reg_binding_str(r, b, sizeof(b)));
        if (tether_server_reg_queue(r) && tether_server_reg_version(r) != TETHER_LWM2M_V1_0)
            field_str(&l, "q", "1");
        field_str(&l, "lwm2m", tether_server_reg_version_str(r));
        if (tether_server_reg_sms(r)[0])
            field_str(&l, "sms", tether_server_reg_sms(r));
        if (tether_server_reg_root(r)[0])
            field_str(&l, "root", tether_server_reg_root(r));
        field_objects(&l, r);
        break;
    case TETHER_SERVER_EV_UPDATED:
        field_uint(&l, "lt", tether_server_reg_lifetime(r));
        field_str(&l, "b", tether_server_reg_binding_str(r, b, sizeof(b)));
        field_changes(&l, ev->changed);
        if (ev->changed & TETHER_CHANGED_OBJECTS)
            field_objects(&l, r);
        break;
    case TETHER_SERVER_EV_EXPIRED:
        field_uint(&l, "lt", tether_server_reg_lifetime(r));
        break;
    case TETHER_SERVER_EV_LIFETIME: {
        char cs[5];
        field_str(&l, "via", ev->via == TETHER_SERVER_SYNC_READ ? "read" : "write");
        field_str(&l, "status", ev->status == 0 ? "ok" : tether_strerror(ev->status));
        if (ev->code != 0)
            field_str(&l, "code", tether_coap_code_str(ev->code, cs));
        field_uint(&l, "lt", tether_server_reg_lifetime(r));
        break;
    }
    case TETHER_SERVER_EV_NOTIFICATION:
    case TETHER_SERVER_EV_OBSERVE_END: {
        char cs[5], path[TETHER_LWM2M_PATH_STR_MAX];
        if (tether_lwm2m_path_format(&ev->resp->path, path, sizeof(path), NULL) != 0)
            path[0] = '\0';
        field_str(&l, "path", path);
        if (ev->type == TETHER_SERVER_EV_NOTIFICATION) {
            field_uint(&l, "seq", ev->resp->observe_seq);
            field_str(&l, "code", tether_coap_code_str(ev->resp->code, cs));
            field_uint(&l, "bytes", (uint32_t)ev->resp->payload_len);
        } else {
            field_str(&l, "status", ev->status == 0 ? "ok" : tether_strerror(ev->status));
            if (ev->resp->code != 0)
                field_str(&l, "code", tether_coap_code_str(ev->resp->code, cs));
            if (ev->resp->reason[0])
                field_str(&l, "reason", ev->resp->reason);
        }
        break;
    }
    case TETHER_SERVER_EV_SLEEPING:
    case TETHER_SERVER_EV_AWAKE:
        field_uint(&l, "queued", ev->queued);
        break;
    case TETHER_SERVER_EV_DEREGISTERED:
    case TETHER_SERVER_EV_REPLACED:
        break;
    }
    finish(&l);
}
