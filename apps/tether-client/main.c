/* SPDX-License-Identifier: Apache-2.0 */
/* tether-client: a reference LwM2M device on the client engine
 * (tether/client.h) and the UDP adapter (tether/net.h). It registers with
 * every --server given (one Server Object Instance each, Short Server IDs
 * from --ssid upwards), keeps the registrations up, answers device
 * management and observations on its objects (objects.h: /4, /6 and a
 * temperature sensor /3303 whose value walks with the clock), logs every
 * engine event on stderr, and de-registers on SIGINT/SIGTERM. In queue
 * mode (--binding UQ) it honours tether_client_listening(): while the
 * engine says no server can reach it, datagrams that still arrive are
 * read and thrown away unseen, as a device with its radio off would
 * never have received them. Argument errors exit 2, run-time failures 1. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "objects.h"
#include "tether/client.h"
#include "tether/net.h"
#include "tether/os.h"

#define PROG "tether-client"
/* How long a shutdown waits for De-register answers before giving up: the
 * CoAP layer would retransmit for up to 93 s, which nobody waits for at
 * Ctrl-C. A second signal exits at once. */
#define SHUTDOWN_WAIT_MS 5000

static const char usage[] =
    "usage: " PROG " --server coap://HOST:PORT --endpoint NAME [options]\n"
    "\n"
    "A reference LwM2M 1.0 device: registers with each server, keeps the\n"
    "registration alive with Updates, answers Read/Write/Execute/Discover/\n"
    "Observe/Write-Attributes on the Security (/0, hidden), Server (/1),\n"
    "Device (/3), Connectivity Monitoring (/4), Location (/6) and Temperature\n"
    "(/3303, a value that walks by 0.1 Cel per period) objects, and\n"
    "de-registers on SIGINT or SIGTERM. Every event is logged on stderr.\n"
    "\n"
    "  --server URI      LwM2M server, coap://HOST[:PORT] (port 5683 by default).\n"
    "                    Repeat for several servers: each gets its own Server\n"
    "                    Object Instance, with Short Server IDs SSID, SSID+1, ...\n"
    "  --endpoint NAME   Endpoint Client Name (ep), unique on each server; 1..252 bytes.\n"
    "  --lifetime S      registration lifetime in seconds, /1/x/1 (default 300).\n"
    "  --binding B       binding mode, /1/x/7: U or UQ (default U). In queue mode\n"
    "                    (UQ) the client stops listening an awake window after\n"
    "                    its last exchange, until it next sends something.\n"
    "  --lwm2m V         LwM2M version to register with: 1.0 or 1.1 (default 1.0).\n"
    "                    With 1.1, queue mode (UQ) goes as the Q parameter and\n"
    "                    b=U, as LwM2M 1.1 has it.\n"
    "  --awake-window S  queue mode awake window in seconds (default: CoAP's\n"
    "                    MAX_TRANSMIT_WAIT, 93).\n"
    "  --sensor-period MS  how often the temperature may move (default 5000).\n"
    "  --location LAT,LON  the Location object's position (default 52.52,13.405).\n"
    "  --ssid N          Short Server ID of the first server, 1..65535 (default 1).\n"
    "  --log-level L     error, warn, info, debug or trace (default info).\n"
    "  --help            this text.\n"
    "\n"
    "Exit status: 0 after a clean shutdown, 1 on a run-time failure, 2 on bad\n"
    "arguments.\n";

static int log_level = TETHER_LOG_INFO;
static volatile sig_atomic_t signals_seen;
static tether_udp *udp;

static void logf_(int level, const char *fmt, ...)
{
    va_list ap;

    if (level > log_level)
        return;
    fprintf(stderr, PROG ": [%s] ", tether_log_level_name(level));
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void on_log(void *user, int level, const char *module, const char *msg)
{
    (void)user;
    logf_(level, "%s: %s", module, msg);
}

static void usage_error(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, PROG ": ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '" PROG " --help'.\n");
    exit(2);
}

/* Decimal in [lo, hi], the whole string. */
static long long parse_num(const char *flag, const char *s, long long lo, long long hi)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (s[0] == '\0' || *end != '\0' || errno != 0 || v < lo || v > hi)
        usage_error("%s: '%s' is not a number in %lld..%lld", flag, s, lo, hi);
    return v;
}

/* What the loop drives: the engine and the application objects around it. */
typedef struct app {
    tether_client *c;
    app_objects objs;
    uint64_t dropped_asleep; /* datagrams read while not listening */
} app;

static void on_event(void *user, tether_time now, const tether_client_event *ev)
{
    tether_client *c = ((app *)user)->c;
    char path[TETHER_LWM2M_PATH_STR_MAX];
    char code[5];
    char at[32] = "";

    if (ev->at != TETHER_TIME_NEVER && ev->at >= now)
        snprintf(at, sizeof(at), " in %.1f s", (double)(ev->at - now) / 1000.0);
    switch ((tether_client_event_type)ev->type) {
    case TETHER_CLIENT_EV_REGISTERED:
        logf_(TETHER_LOG_INFO, "event REGISTERED ssid=%u location=%s lifetime=%lld (next Update%s)",
              ev->ssid, ev->location, (long long)tether_client_lifetime(c, ev->ssid), at);
        break;
    case TETHER_CLIENT_EV_UPDATED:
        logf_(TETHER_LOG_INFO, "event UPDATED ssid=%u (next Update%s)", ev->ssid, at);
        break;
    case TETHER_CLIENT_EV_REGISTER_FAILED:
        logf_(TETHER_LOG_WARN, "event REGISTER_FAILED ssid=%u: %s (next Register%s)", ev->ssid,
              ev->code ? tether_coap_code_str(ev->code, code) : tether_strerror(ev->err), at);
        break;
    case TETHER_CLIENT_EV_UPDATE_FAILED:
        logf_(TETHER_LOG_WARN, "event UPDATE_FAILED ssid=%u: %s (Registering again)", ev->ssid,
              ev->code ? tether_coap_code_str(ev->code, code) : tether_strerror(ev->err));
        break;
    case TETHER_CLIENT_EV_DEREGISTERED:
        logf_(TETHER_LOG_INFO, "event DEREGISTERED ssid=%u: %s", ev->ssid,
              ev->code ? tether_coap_code_str(ev->code, code) : tether_strerror(ev->err));
        break;
    case TETHER_CLIENT_EV_DISABLED:
        logf_(TETHER_LOG_INFO, "event DISABLED ssid=%u: silent, Register again%s", ev->ssid, at);
        break;
    case TETHER_CLIENT_EV_ENABLED:
        logf_(TETHER_LOG_INFO, "event ENABLED ssid=%u: Registering", ev->ssid);
        break;
    case TETHER_CLIENT_EV_WRITTEN:
        tether_lwm2m_path_format(&ev->path, path, sizeof(path), NULL);
        logf_(TETHER_LOG_INFO, "event WRITTEN ssid=%u path=%s", ev->ssid, path);
        break;
    case TETHER_CLIENT_EV_REBOOT:
        logf_(TETHER_LOG_INFO, "event REBOOT: /3/0/4 executed (a reference device does not "
                               "reboot; ignored)");
        break;
    case TETHER_CLIENT_EV_OBSERVED:
        tether_lwm2m_path_format(&ev->path, path, sizeof(path), NULL);
        logf_(TETHER_LOG_INFO, "event OBSERVED ssid=%u path=%s", ev->ssid, path);
        break;
    case TETHER_CLIENT_EV_OBSERVE_CANCELLED:
        tether_lwm2m_path_format(&ev->path, path, sizeof(path), NULL);
        logf_(TETHER_LOG_INFO, "event OBSERVE_CANCELLED ssid=%u path=%s: %s", ev->ssid, path,
              ev->err != 0 ? tether_strerror(ev->err) : "cancelled by the server");
        break;
    case TETHER_CLIENT_EV_SLEEPING:
        logf_(TETHER_LOG_INFO, "event SLEEPING ssid=%u: queue mode, not listening", ev->ssid);
        break;
    case TETHER_CLIENT_EV_AWAKE:
        logf_(TETHER_LOG_INFO, "event AWAKE ssid=%u: queue mode, listening%s", ev->ssid, at);
        break;
    }
}

/* The engine as the adapter sees it, with the objects' clock beside it. */
static int ops_recv(void *e, tether_time now, const tether_peer *peer, const uint8_t *buf,
                    size_t len)
{
    app *a = e;
    int rc;

    if (!tether_client_listening(a->c)) {
        /* Queue mode, asleep: the radio would be off. */
        a->dropped_asleep++;
        return 0;
    }
    rc = tether_client_recv(a->c, now, peer, buf, len);
    app_objects_run(&a->objs, a->c, now); /* e.g. a Reset executed just now */
    return rc;
}

static int ops_send(void *e, tether_time now, tether_peer *peer, uint8_t *buf, size_t cap,
                    size_t *len)
{
    return tether_client_send(((app *)e)->c, now, peer, buf, cap, len);
}

static tether_time ops_deadline(void *e)
{
    app *a = e;
    tether_time t = tether_client_next_deadline(a->c);
    tether_time o = app_objects_deadline(&a->objs);
    return o < t ? o : t;
}

static int ops_timeout(void *e, tether_time now)
{
    app *a = e;
    app_objects_run(&a->objs, a->c, now);
    return tether_client_on_timeout(a->c, now);
}

/* The local address the kernel picks to reach peer (a sockaddr, as
 * tether_udp_connect() fills it), for /4/0/4. "0.0.0.0" if unknown. */
static void local_ip(const tether_peer *peer, char *out, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    int family = peer->len == sizeof(struct sockaddr_in6) ? AF_INET6 : AF_INET;
    int fd = socket(family, SOCK_DGRAM, 0);

    snprintf(out, cap, "0.0.0.0");
    if (fd < 0)
        return;
    if (connect(fd, (const struct sockaddr *)peer->addr, peer->len) == 0 &&
        getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET)
            inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, out, (socklen_t)cap);
        else
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, out, (socklen_t)cap);
    }
    close(fd);
}

static const tether_engine_ops client_ops = {ops_recv, ops_send, ops_deadline, ops_timeout};

static void on_signal(int sig)
{
    (void)sig;
    signals_seen++;
    if (signals_seen > 1)
        _exit(1);
    if (udp != NULL)
        tether_udp_stop(udp);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"server", required_argument, NULL, 's'},  {"endpoint", required_argument, NULL, 'e'},
        {"lifetime", required_argument, NULL, 'l'}, {"binding", required_argument, NULL, 'b'},
        {"ssid", required_argument, NULL, 'i'},     {"log-level", required_argument, NULL, 'v'},
        {"awake-window", required_argument, NULL, 'w'},
        {"sensor-period", required_argument, NULL, 'p'},
        {"location", required_argument, NULL, 'L'},
        {"lwm2m", required_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    const char *servers[TETHER_CLIENT_MAX_SERVERS];
    int nservers = 0;
    const char *endpoint = NULL, *binding = "U";
    uint8_t version = TETHER_LWM2M_V1_0;
    long long lifetime = 300, ssid = 1, awake_s = 0, sensor_ms = 5000;
    double latitude = 52.52, longitude = 13.405;
    char ip[48] = "0.0.0.0";
    tether_client_config cfg;
    tether_client *c = NULL;
    static app a;
    void *mem;
    size_t memsz;
    struct sigaction sa;
    int opt, rc;

    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (opt) {
        case 's':
            if (nservers == TETHER_CLIENT_MAX_SERVERS)
                usage_error("--server: at most %d servers", TETHER_CLIENT_MAX_SERVERS);
            servers[nservers++] = optarg;
            break;
        case 'e':
            endpoint = optarg;
            break;
        case 'l':
            lifetime = parse_num("--lifetime", optarg, 1, 2147483647);
            break;
        case 'b':
            if (strcmp(optarg, "U") != 0 && strcmp(optarg, "UQ") != 0)
                usage_error("--binding: '%s' is not a binding this client supports (U or UQ)",
                            optarg);
            binding = optarg;
            break;
        case 'V':
            if (strcmp(optarg, "1.0") == 0)
                version = TETHER_LWM2M_V1_0;
            else if (strcmp(optarg, "1.1") == 0)
                version = TETHER_LWM2M_V1_1;
            else
                usage_error("--lwm2m: '%s' is not a version this client speaks (1.0 or 1.1)",
                            optarg);
            break;
        case 'i':
            ssid = parse_num("--ssid", optarg, 1, 65535);
            break;
        case 'w':
            awake_s = parse_num("--awake-window", optarg, 1, 86400);
            break;
        case 'p':
            sensor_ms = parse_num("--sensor-period", optarg, 10, 86400000);
            break;
        case 'L': {
            char *end;
            errno = 0;
            latitude = strtod(optarg, &end);
            if (errno == 0 && *end == ',')
                longitude = strtod(end + 1, &end);
            if (errno != 0 || *end != '\0' || latitude < -90 || latitude > 90 ||
                longitude < -180 || longitude > 180)
                usage_error("--location: '%s' is not LAT,LON in degrees", optarg);
            break;
        }
        case 'v':
            if (strcmp(optarg, "error") == 0)
                log_level = TETHER_LOG_ERROR;
            else if (strcmp(optarg, "warn") == 0)
                log_level = TETHER_LOG_WARN;
            else if (strcmp(optarg, "info") == 0)
                log_level = TETHER_LOG_INFO;
            else if (strcmp(optarg, "debug") == 0)
                log_level = TETHER_LOG_DEBUG;
            else if (strcmp(optarg, "trace") == 0)
                log_level = TETHER_LOG_TRACE;
            else
                usage_error("--log-level: '%s' is not one of error, warn, info, debug, trace",
                            optarg);
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        case ':':
            usage_error("%s needs a value", argv[optind - 1]);
            break;
        default:
            usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        usage_error("unexpected argument '%s'", argv[optind]);
    if (nservers == 0)
        usage_error("--server is required");
    if (endpoint == NULL || endpoint[0] == '\0')
        usage_error("--endpoint is required");
    if (strlen(endpoint) > TETHER_CLIENT_MAX_ENDPOINT)
        usage_error("--endpoint: longer than %d bytes", TETHER_CLIENT_MAX_ENDPOINT);
    if (ssid + nservers - 1 > 65535)
        usage_error("--ssid: %lld servers from %lld go past 65535", (long long)nservers, ssid);

    rc = tether_udp_new(&udp, NULL);
    if (rc != 0) {
        logf_(TETHER_LOG_ERROR, "UDP adapter: %s", tether_strerror(rc));
        return 1;
    }
    tether_client_config_default(&cfg);
    cfg.endpoint = endpoint;
    cfg.manufacturer = "Tether";
    cfg.model = PROG;
    cfg.serial = endpoint;
    cfg.firmware = "0.1.0";
    cfg.rand = tether_os_random;
    cfg.log = on_log;
    cfg.queue_awake_ms = (uint32_t)(awake_s * 1000);
    cfg.lwm2m_version = version;
    memsz = tether_client_mem_size(&cfg);
    mem = memsz > 0 ? aligned_alloc(_Alignof(max_align_t),
                                    (memsz + _Alignof(max_align_t) - 1) /
                                        _Alignof(max_align_t) * _Alignof(max_align_t))
                    : NULL;
    if (mem == NULL || tether_client_init(&c, mem, memsz, &cfg, on_event, &a) != 0) {
        logf_(TETHER_LOG_ERROR, "client engine could not be set up");
        return 1;
    }
    a.c = c;
    for (int i = 0; i < nservers; i++) {
        tether_client_server_config sc;
        tether_client_server_config_default(&sc);
        sc.uri = servers[i];
        sc.ssid = (uint16_t)(ssid + i);
        sc.lifetime = lifetime;
        sc.binding = binding;
        rc = tether_udp_connect(udp, servers[i], &sc.peer);
        if (rc == TETHER_ERR_INVAL || rc == TETHER_ERR_UNSUPPORTED)
            usage_error("--server '%s': %s", servers[i], tether_udp_errmsg(udp));
        if (rc != 0) {
            logf_(TETHER_LOG_ERROR, "--server '%s': %s", servers[i], tether_udp_errmsg(udp));
            return 1;
        }
        if (i == 0)
            local_ip(&sc.peer, ip, sizeof(ip));
        rc = tether_client_add_server(c, tether_os_now_ms(), &sc);
        if (rc != 0) {
            logf_(TETHER_LOG_ERROR, "server %s: %s", servers[i], tether_client_errmsg(c));
            return 1;
        }
        logf_(TETHER_LOG_INFO, "server %s: Short Server ID %lld, lifetime %lld s, binding %s",
              servers[i], ssid + i, lifetime, binding);
    }

    app_objects_init(&a.objs, tether_os_now_ms(), (int64_t)time(NULL), ip, latitude, longitude,
                     (uint32_t)sensor_ms);
    if (app_objects_add(&a.objs, c, tether_os_now_ms()) != 0) {
        logf_(TETHER_LOG_ERROR, "application objects could not be added");
        return 1;
    }

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    logf_(TETHER_LOG_INFO, "endpoint %s: registering with %d server%s", endpoint, nservers,
          nservers > 1 ? "s" : "");
    tether_client_start(c, tether_os_now_ms());
    rc = tether_udp_run(udp, &client_ops, &a);
    if (rc != 0) {
        logf_(TETHER_LOG_ERROR, "event loop: %s (%s)", tether_strerror(rc), tether_udp_errmsg(udp));
        return 1;
    }

    /* R11: De-register from every server, then leave. */
    logf_(TETHER_LOG_INFO, "shutting down: de-registering");
    tether_client_stop(c, tether_os_now_ms());
    {
        tether_time until = tether_os_now_ms() + SHUTDOWN_WAIT_MS;
        while (!tether_client_stopped(c) && tether_os_now_ms() < until) {
            rc = tether_udp_run_once(udp, &client_ops, &a, 100);
            if (rc != 0)
                break;
        }
        if (!tether_client_stopped(c))
            logf_(TETHER_LOG_WARN, "gave up waiting for De-register answers after %d ms",
                  SHUTDOWN_WAIT_MS);
    }
    if (a.dropped_asleep > 0)
        logf_(TETHER_LOG_INFO, "queue mode: %llu datagrams arrived while not listening, dropped",
              (unsigned long long)a.dropped_asleep);
    tether_client_fini(c);
    free(mem);
    tether_udp_free(udp);
    return 0;
}
