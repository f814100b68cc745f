/* SPDX-License-Identifier: Apache-2.0 */
/* tetherd's command line: every flag documented in --help, every value
 * checked, and a bad flag answered with one clear sentence and exit 2. */
#include "tetherd.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: tetherd [options]\n"
            "\n"
            "The Tether LwM2M server: devices register, update and de-register over\n"
            "CoAP/UDP (LwM2M 1.0 Client Registration Interface). Every event is one line\n"
            "on stderr.\n"
            "\n"
            "options:\n"
            "  --coap HOST:PORT        listen for CoAP on this address; repeat for more\n"
            "                          (default [::]:5683, IPv6 and IPv4 dual stack;\n"
            "                          e.g. 0.0.0.0:5683, 127.0.0.1:0 for a free port)\n"
            "  --default-lifetime S    lifetime in seconds for a Register without lt,\n"
            "                          until the client's Lifetime resource is known\n"
            "                          (1..4294967295, default 86400)\n"
            "  --grace S               seconds added to every lifetime before a\n"
            "                          registration expires (default 0)\n"
            "  --ssid N                this server's Short Server ID, to find its Server\n"
            "                          Object instance (/1/x) on the client (1..65535;\n"
            "                          default: none, the client's only instance)\n"
            "  --lifetime-sync MODE    what to do after a Register without lt (R10):\n"
            "                          read  - read the client's Lifetime and adopt it\n"
            "                                  (default)\n"
            "                          write - write --default-lifetime to the client\n"
            "  --max-registrations N   refuse new endpoints beyond N with 5.03\n"
            "                          (default 0: no limit)\n"
            "  --log-level LEVEL       error, warn, info, debug or trace (default info;\n"
            "                          events are info)\n"
            "  --log-format FORMAT     text (key=value, default) or json (one object\n"
            "                          per line)\n"
            "  --models DIR            load every OMA DDF object definition (*.xml, the\n"
            "                          OMA registry's format) in DIR; they add to, or\n"
            "                          replace, the built-in core objects 0-7. A file\n"
            "                          that does not load stops tetherd (exit 2)\n"
            "  --awake-window S        queue mode: seconds a client listens after its last\n"
            "                          message before it counts as sleeping and requests\n"
            "                          for it wait (1..86400, default 93)\n"
            "  --http HOST:PORT        serve the REST API, the event stream, /metrics and\n"
            "                          the web UI here (default 127.0.0.1:8080; port 0\n"
            "                          picks a free port; 'off' disables HTTP). An address\n"
            "                          other hosts can reach needs --http-token\n"
            "  --http-token TOKEN      every /api request must carry\n"
            "                          'Authorization: Bearer TOKEN' (else 401)\n"
            "  --store KIND            where registrations are kept across restarts:\n"
            "                          sqlite - in --data DIR/tether.db (default)\n"
            "                          memory - nowhere: a restart forgets them\n"
            "  --data DIR              the store's directory, created if missing\n"
            "                          (default ./tether-data; one tetherd per DIR)\n"
            "  --sync MODE             when a change is committed to the store:\n"
            "                          batch  - within 100 ms, many changes per\n"
            "                                   commit (default; a crash loses at\n"
            "                                   most the last 100 ms)\n"
            "                          always - before the answer that acknowledges\n"
            "                                   it is sent (nothing acknowledged is\n"
            "                                   lost; a commit per receive batch)\n"
            "  -h, --help              this text\n"
            "\n"
            "Stop with SIGINT or SIGTERM.\n");
}

__attribute__((format(printf, 1, 2))) static int fail(const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "tetherd: %s (try --help)\n", msg);
    return 2;
}

/* Decimal in [lo, hi], nothing else. */
static int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse_level(const char *s)
{
    static const char *names[] = {"error", "warn", "info", "debug", "trace"};
    for (int i = 0; i < 5; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

int tetherd_parse_args(int argc, char **argv, tetherd_options *o)
{
    memset(o, 0, sizeof(*o));
    o->default_lifetime = 86400;
    o->lifetime_sync = TETHER_SERVER_SYNC_READ;
    o->log_level = TETHER_LOG_INFO;
    o->log_format = TETHERD_LOG_TEXT;
    o->http = "127.0.0.1:8080";
    o->store = TETHERD_STORE_SQLITE;
    o->data = "./tether-data";
    o->sync = TETHERD_SYNC_BATCH;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *val = NULL, *eq;
        char name[32];
        uint64_t v;

        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            usage(stdout);
            return 1;
        }
        if (strncmp(arg, "--", 2) != 0)
            return fail("unexpected argument '%s'", arg);
        eq = strchr(arg, '=');
        if (eq != NULL) {
            size_t n = (size_t)(eq - arg);
            if (n >= sizeof(name))
                return fail("unknown option '%s'", arg);
            memcpy(name, arg, n);
            name[n] = '\0';
            val = eq + 1;
        } else {
            snprintf(name, sizeof(name), "%s", arg);
        }
#define IS(opt) (strcmp(name, opt) == 0)
        if (!IS("--coap") && !IS("--default-lifetime") && !IS("--grace") && !IS("--ssid") &&
            !IS("--lifetime-sync") && !IS("--max-registrations") && !IS("--log-level") &&
            !IS("--log-format") && !IS("--models") && !IS("--http") && !IS("--http-token") &&
            !IS("--store") && !IS("--data") && !IS("--sync") && !IS("--awake-window"))
            return fail("unknown option '%s'", name);
        if (val == NULL) {
            if (i + 1 >= argc)
                return fail("%s needs a value", name);
            val = argv[++i];
        }
        if (IS("--coap")) {
            if (o->n_coap >= TETHERD_MAX_LISTEN)
                return fail("too many --coap addresses (at most %d)", TETHERD_MAX_LISTEN);
            if (*val == '\0')
                return fail("--coap needs HOST:PORT, got '%s'", val);
            o->coap[o->n_coap++] = val;
        } else if (IS("--default-lifetime")) {
            if (parse_u64(val, 1, UINT32_MAX, &v) != 0)
                return fail("--default-lifetime must be 1..4294967295 seconds, got '%s'", val);
            o->default_lifetime = (uint32_t)v;
        } else if (IS("--grace")) {
            if (parse_u64(val, 0, UINT32_MAX, &v) != 0)
                return fail("--grace must be 0..4294967295 seconds, got '%s'", val);
            o->grace = (uint32_t)v;
        } else if (IS("--ssid")) {
            if (parse_u64(val, 1, 65535, &v) != 0)
                return fail("--ssid must be 1..65535, got '%s'", val);
            o->ssid = (uint16_t)v;
        } else if (IS("--lifetime-sync")) {
            if (strcmp(val, "read") == 0)
                o->lifetime_sync = TETHER_SERVER_SYNC_READ;
            else if (strcmp(val, "write") == 0)
                o->lifetime_sync = TETHER_SERVER_SYNC_WRITE;
            else
                return fail("--lifetime-sync must be read or write, got '%s'", val);
        } else if (IS("--max-registrations")) {
            if (parse_u64(val, 0, SIZE_MAX, &v) != 0)
                return fail("--max-registrations must be a number, got '%s'", val);
            o->max_registrations = (size_t)v;
        } else if (IS("--log-level")) {
            int l = parse_level(val);
            if (l < 0)
                return fail("--log-level must be error, warn, info, debug or trace, got '%s'",
                            val);
            o->log_level = l;
        } else if (IS("--log-format")) {
            if (strcmp(val, "text") == 0)
                o->log_format = TETHERD_LOG_TEXT;
            else if (strcmp(val, "json") == 0)
                o->log_format = TETHERD_LOG_JSON;
            else
                return fail("--log-format must be text or json, got '%s'", val);
        } else if (IS("--models")) {
            if (*val == '\0')
                return fail("--models needs a directory");
            o->models = val;
        } else if (IS("--awake-window")) {
            if (parse_u64(val, 1, 86400, &v) != 0)
                return fail("--awake-window must be 1..86400 seconds, got '%s'", val);
            o->awake_window_ms = (uint32_t)v * 1000u;
        } else if (IS("--http")) {
            if (*val == '\0')
                return fail("--http needs HOST:PORT or off");
            o->http = strcmp(val, "off") == 0 ? NULL : val;
        } else if (IS("--http-token")) {
            if (*val == '\0')
                return fail("--http-token needs a token");
            o->http_token = val;
        } else if (IS("--store")) {
            if (strcmp(val, "sqlite") == 0)
                o->store = TETHERD_STORE_SQLITE;
            else if (strcmp(val, "memory") == 0)
                o->store = TETHERD_STORE_MEMORY;
            else
                return fail("--store must be sqlite or memory, got '%s'", val);
        } else if (IS("--data")) {
            if (*val == '\0')
                return fail("--data needs a directory");
            o->data = val;
        } else if (IS("--sync")) {
            if (strcmp(val, "batch") == 0)
                o->sync = TETHERD_SYNC_BATCH;
            else if (strcmp(val, "always") == 0)
                o->sync = TETHERD_SYNC_ALWAYS;
            else
                return fail("--sync must be batch or always, got '%s'", val);
        }
#undef IS
    }
    if (o->n_coap == 0)
        o->coap[o->n_coap++] = "[::]:5683";
    return 0;
}
