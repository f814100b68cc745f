/* SPDX-License-Identifier: Apache-2.0 */
/* The UDP adapter on real loopback sockets (127.0.0.1 and ::1, port 0):
 * binding and its error sentences, address parsing and printing, datagram
 * round trips through tether_udp_run_once() with a small echo engine, peer
 * normal form, and answers leaving through the socket they came in on.
 * Time here is the real clock, but no case waits for it: every wait is for
 * a datagram already on loopback, bounded by a timeout that only a failure
 * reaches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tether/coap.h"
#include "tether/coap_exchange.h"
#include "tether/net.h"
#include "tether/os.h"

#define WAIT_MS 2000 /* only reached when a datagram went missing */

/* --- a tiny engine: records what arrives, echoes it when asked ---------- */

#define ECHO_Q 8
typedef struct echo {
    int echo;   /* answer each datagram with the same bytes */
    int recvs, timeouts;
    tether_time deadline;
    tether_peer peer[ECHO_Q];
    uint8_t data[ECHO_Q][256];
    size_t len[ECHO_Q];
    size_t head, n; /* pending answers */
    tether_peer last_peer;
    uint8_t last[256];
    size_t last_len;
} echo;

static int echo_recv(void *e, tether_time now, const tether_peer *p, const uint8_t *buf,
                     size_t len)
{
    echo *x = e;
    (void)now;
    x->recvs++;
    x->last_peer = *p;
    x->last_len = len < sizeof(x->last) ? len : sizeof(x->last);
    memcpy(x->last, buf, x->last_len);
    if (x->echo && x->n < ECHO_Q) {
        size_t i = (x->head + x->n) % ECHO_Q;
        x->peer[i] = *p;
        x->len[i] = x->last_len;
        memcpy(x->data[i], buf, x->last_len);
        x->n++;
    }
    return 0;
}

static int echo_send(void *e, tether_time now, tether_peer *p, uint8_t *buf, size_t cap,
                     size_t *len)
{
    echo *x = e;
    (void)now;
    *len = 0;
    if (x->n == 0)
        return 0;
    if (cap < x->len[x->head])
        return TETHER_ERR_NOSPACE;
    *p = x->peer[x->head];
    memcpy(buf, x->data[x->head], x->len[x->head]);
    *len = x->len[x->head];
    x->head = (x->head + 1) % ECHO_Q;
    x->n--;
    return 0;
}

static tether_time echo_deadline(void *e)
{
    return ((echo *)e)->deadline;
}

static int echo_timeout(void *e, tether_time now)
{
    echo *x = e;
    (void)now;
    x->timeouts++;
    x->deadline = TETHER_TIME_NEVER;
    return 0;
}

static const tether_engine_ops echo_ops = {echo_recv, echo_send, echo_deadline, echo_timeout};

static void echo_init(echo *x, int do_echo)
{
    memset(x, 0, sizeof(*x));
    x->echo = do_echo;
    x->deadline = TETHER_TIME_NEVER;
}

/* Turn u's loop until engine x has seen `want` datagrams (or time is up). */
static void run_until(tether_udp *u, echo *x, int want)
{
    tether_time end = tether_os_now_ms() + WAIT_MS;
    while (x->recvs < want && tether_os_now_ms() < end)
        assert_int_equal(tether_udp_run_once(u, &echo_ops, x, 100), 0);
    assert_int_equal(x->recvs, want);
}

static tether_udp *new_udp(void)
{
    tether_udp *u = NULL;
    assert_int_equal(tether_udp_new(&u, NULL), 0);
    assert_non_null(u);
    return u;
}

static int ipv6_loopback_works(void)
{
    int fd = socket(AF_INET6, SOCK_DGRAM, 0);
    struct sockaddr_in6 a;
    int ok;

    if (fd < 0)
        return 0;
    memset(&a, 0, sizeof(a));
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
}

/* --- binding ------------------------------------------------------------ */

static void test_udp_ephemeral_port_is_readable(void **state)
{
    tether_udp *u = new_udp();
    uint16_t i4 = 99, i6 = 99;
    struct sockaddr_in a;
    socklen_t al = sizeof(a);
    (void)state;

    assert_int_equal(tether_udp_listen(u, "127.0.0.1:0", &i4), 0);
    assert_int_equal(i4, 0);
    assert_string_equal(tether_udp_errmsg(u), "");
    assert_int_not_equal(tether_udp_port(u, i4), 0);
    assert_int_equal(getsockname(tether_udp_fd(u, i4), (struct sockaddr *)&a, &al), 0);
    assert_int_equal(ntohs(a.sin_port), tether_udp_port(u, i4));
    if (ipv6_loopback_works()) {
        assert_int_equal(tether_udp_listen(u, "[::1]:0", &i6), 0);
        assert_int_equal(i6, 1);
        assert_int_not_equal(tether_udp_port(u, i6), 0);
        assert_int_equal(tether_udp_count(u), 2);
    }
    assert_int_equal(tether_udp_port(u, 7), 0);
    assert_int_equal(tether_udp_fd(u, 7), -1);
    tether_udp_free(u);
}

static void test_udp_bind_in_use_gives_sentence(void **state)
{
    tether_udp *a = new_udp(), *b = new_udp();
    char addr[64], want[128];
    (void)state;

    assert_int_equal(tether_udp_listen(a, "127.0.0.1:0", NULL), 0);
    snprintf(addr, sizeof(addr), "127.0.0.1:%u", (unsigned)tether_udp_port(a, 0));
    /* A second adapter (a second tetherd) must not silently share the port. */
    assert_int_equal(tether_udp_listen(b, addr, NULL), TETHER_ERR_SYS);
    snprintf(want, sizeof(want), "bind %s: Address already in use", addr);
    assert_string_equal(tether_udp_errmsg(b), want);
    assert_int_equal(tether_udp_count(b), 0); /* nothing left open */
    /* The sentence is cleared by the next call that succeeds. */
    assert_int_equal(tether_udp_listen(b, "127.0.0.1:0", NULL), 0);
    assert_string_equal(tether_udp_errmsg(b), "");
    tether_udp_free(a);
    tether_udp_free(b);
}

static void test_udp_bind_foreign_address_fails(void **state)
{
    tether_udp *u = new_udp();
    (void)state;
    /* TEST-NET-1 is not on any local interface. */
    assert_int_equal(tether_udp_listen(u, "192.0.2.1:0", NULL), TETHER_ERR_SYS);
    assert_string_equal(tether_udp_errmsg(u), "bind 192.0.2.1:0: Cannot assign requested address");
    tether_udp_free(u);
}

static void test_udp_bad_addresses_are_refused(void **state)
{
    static const struct {
        const char *s;
        int code;
        const char *msg;
    } bad[] = {
        {"", TETHER_ERR_INVAL, "empty address"},
        {"127.0.0.1:70000", TETHER_ERR_INVAL, "port 70000 out of range in 127.0.0.1:70000"},
        {"127.0.0.1:99999999999", TETHER_ERR_INVAL, "out of range"},
        {"127.0.0.1:", TETHER_ERR_INVAL, "missing port after ':' in 127.0.0.1:"},
        {"127.0.0.1:12a", TETHER_ERR_INVAL, "bad port \"12a\" in 127.0.0.1:12a"},
        {"127.0.0.1:-1", TETHER_ERR_INVAL, "bad port"},
        {"::1:5683", TETHER_ERR_INVAL, "IPv6 address needs brackets"},
        {"[::1", TETHER_ERR_INVAL, "missing ']'"},
        {"[::1]5683", TETHER_ERR_INVAL, "expected ':' after ']'"},
        {"[127.0.0.1]:5683", TETHER_ERR_INVAL, "brackets hold an IPv6 address"},
        {"[::zz]:5683", TETHER_ERR_INVAL, "bad IPv6 address"},
        {"256.1.1.1:5683", TETHER_ERR_INVAL, "bad IPv4 address"},
        {"1.2:5683", TETHER_ERR_INVAL, "bad IPv4 address"},
        {":5683", TETHER_ERR_INVAL, "missing host"},
        {"coaps://127.0.0.1:5684", TETHER_ERR_UNSUPPORTED, "needs DTLS"},
        {"http://127.0.0.1:80", TETHER_ERR_UNSUPPORTED, "unsupported scheme"},
        {"127.0.0.1:5683/rd", TETHER_ERR_INVAL, "expected HOST:PORT"},
        {"coap://127.0.0.1:5683/rd", TETHER_ERR_INVAL, "a path is not allowed here"},
    };
    tether_udp *u = new_udp();
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = tether_udp_listen(u, bad[i].s, NULL);
        if (rc != bad[i].code || strstr(tether_udp_errmsg(u), bad[i].msg) == NULL)
            fail_msg("\"%s\": got %s \"%s\", want %s \"%s\"", bad[i].s, tether_err_name(rc),
                     tether_udp_errmsg(u), tether_err_name(bad[i].code), bad[i].msg);
    }
    assert_int_equal(tether_udp_count(u), 0);
    tether_udp_free(u);
}

static void test_udp_config_out_of_range_is_refused(void **state)
{
    tether_udp_config cfg;
    tether_udp *u = (tether_udp *)&cfg;
    (void)state;

    tether_udp_config_default(&cfg);
    assert_int_equal(cfg.rcvbuf_bytes, 4u << 20);
    cfg.batch = 0;
    assert_int_equal(tether_udp_new(&u, &cfg), TETHER_ERR_INVAL);
    assert_null(u);
    tether_udp_config_default(&cfg);
    cfg.max_datagram = 65535;
    assert_int_equal(tether_udp_new(&u, &cfg), TETHER_ERR_INVAL);
    tether_udp_free(NULL);
}

static void test_udp_receive_buffer_is_raised(void **state)
{
    tether_udp *u = new_udp();
    int plain = socket(AF_INET, SOCK_DGRAM, 0), got = 0, def = 0;
    socklen_t l = sizeof(int);
    (void)state;

    assert_int_equal(tether_udp_listen(u, "127.0.0.1:0", NULL), 0);
    assert_int_equal(getsockopt(plain, SOL_SOCKET, SO_RCVBUF, &def, &l), 0);
    l = sizeof(int);
    assert_int_equal(getsockopt(tether_udp_fd(u, 0), SOL_SOCKET, SO_RCVBUF, &got, &l), 0);
    /* As root SO_RCVBUFFORCE gives 4 MiB (reported doubled); otherwise
     * SO_RCVBUF up to rmem_max, which is still above a fresh socket's. */
    assert_true(got > def);
    if (geteuid() == 0)
        assert_true(got >= (4 << 20));
    close(plain);
    tether_udp_free(u);
}

/* --- addresses ---------------------------------------------------------- */

static void test_udp_addr_parse_good_strings(void **state)
{
    tether_peer p;
    char s[TETHER_UDP_ADDRSTR_MAX], err[128];
    (void)state;

    assert_int_equal(tether_udp_addr_parse("coap://127.0.0.1:5684/rd?ep=a", &p, err, sizeof(err)), 0);
    assert_string_equal(err, "");
    assert_int_equal(p.iface, 0);
    assert_int_equal(p.len, sizeof(struct sockaddr_in));
    assert_int_equal(tether_udp_peer_port(&p), 5684);
    assert_int_equal(tether_udp_peer_str(&p, s, sizeof(s)), 0);
    assert_string_equal(s, "127.0.0.1:5684");

    assert_int_equal(tether_udp_addr_parse("COAP://[::1]", &p, NULL, 0), 0);
    assert_int_equal(p.len, sizeof(struct sockaddr_in6));
    assert_int_equal(tether_udp_peer_str(&p, s, sizeof(s)), 0);
    assert_string_equal(s, "[::1]:5683");

    assert_int_equal(tether_udp_addr_parse("10.1.2.3", &p, NULL, 0), 0);
    assert_int_equal(tether_udp_peer_str(&p, s, sizeof(s)), 0);
    assert_string_equal(s, "10.1.2.3:5683");

    assert_int_equal(tether_udp_addr_parse("[::ffff:127.0.0.1]:7", &p, NULL, 0), 0);
    assert_int_equal(tether_udp_peer_str(&p, s, sizeof(s)), 0);
    assert_string_equal(s, "[::ffff:127.0.0.1]:7");

    assert_int_equal(tether_udp_addr_parse("[2001:db8::1]:65535", &p, NULL, 0), 0);
    assert_int_equal(tether_udp_peer_str(&p, s, sizeof(s)), 0);
    assert_string_equal(s, "[2001:db8::1]:65535");

    assert_int_equal(tether_udp_addr_parse("localhost:1234", &p, err, sizeof(err)), 0);
    assert_int_equal(tether_udp_peer_str(&p, s, sizeof(s)), 0);
    if (strcmp(s, "127.0.0.1:1234") != 0 && strcmp(s, "[::1]:1234") != 0)
        fail_msg("localhost resolved to %s", s);
}

static void test_udp_addr_parse_bad_strings(void **state)
{
    tether_peer p, before;
    char err[128];
    (void)state;

    memset(&p, 0xAB, sizeof(p));
    before = p;
    assert_int_equal(tether_udp_addr_parse("1.2.3.4:65536", &p, err, sizeof(err)), TETHER_ERR_INVAL);
    assert_string_equal(err, "port 65536 out of range in 1.2.3.4:65536");
    assert_memory_equal(&p, &before, sizeof(p)); /* untouched on error */
    assert_int_equal(tether_udp_addr_parse("coap://", &p, err, sizeof(err)), TETHER_ERR_INVAL);
    assert_string_equal(err, "missing host in coap://");
    assert_int_equal(tether_udp_addr_parse("coaps://h", &p, NULL, 0), TETHER_ERR_UNSUPPORTED);
    assert_int_equal(tether_udp_addr_parse(NULL, &p, NULL, 0), TETHER_ERR_INVAL);
    assert_int_equal(tether_udp_addr_parse("fe80::1", &p, NULL, 0), TETHER_ERR_INVAL);
}

static void test_udp_peer_str_edges(void **state)
{
    tether_peer p;
    char s[TETHER_UDP_ADDRSTR_MAX], tiny[6];
    (void)state;

    memset(&p, 0, sizeof(p));
    assert_int_equal(tether_udp_peer_str(&p, s, sizeof(s)), TETHER_ERR_INVAL);
    assert_string_equal(s, "?");
    assert_int_equal(tether_udp_peer_port(&p), 0);
    assert_int_equal(tether_udp_addr_parse("127.0.0.1:40000", &p, NULL, 0), 0);
    assert_int_equal(tether_udp_peer_str(&p, tiny, sizeof(tiny)), TETHER_ERR_NOSPACE);
    assert_string_equal(tiny, "127.0"); /* cut, still terminated */
}

/* --- datagrams ------------------------------------------------------------ */

/* Client c sends "ping" to server s's socket 0 at `addr`; s echoes; c reads. */
static void round_trip(const char *listen_addr, const char *connect_fmt)
{
    tether_udp *s = new_udp(), *c = new_udp();
    echo se, ce;
    tether_peer srv;
    char uri[64], ps[TETHER_UDP_ADDRSTR_MAX];
    tether_udp_stats st;

    echo_init(&se, 1);
    echo_init(&ce, 0);
    assert_int_equal(tether_udp_listen(s, listen_addr, NULL), 0);
    snprintf(uri, sizeof(uri), connect_fmt, (unsigned)tether_udp_port(s, 0));
    assert_int_equal(tether_udp_connect(c, uri, &srv), 0);
    assert_int_equal(tether_udp_count(c), 1);
    assert_int_equal(tether_udp_send(c, &srv, (const uint8_t *)"ping", 4), 0);

    run_until(s, &se, 1);
    assert_int_equal(se.last_len, 4);
    assert_memory_equal(se.last, "ping", 4);
    assert_int_equal(tether_udp_peer_port(&se.last_peer), tether_udp_port(c, srv.iface));
    assert_int_equal(tether_udp_peer_str(&se.last_peer, ps, sizeof(ps)), 0);

    run_until(c, &ce, 1);
    assert_memory_equal(ce.last, "ping", 4);
    /* The answer comes from the address the client sent to. */
    assert_true(tether_peer_equal(&ce.last_peer, &srv));

    tether_udp_get_stats(s, &st);
    assert_int_equal(st.rx, 1);
    assert_int_equal(st.tx, 1);
    assert_int_equal(st.rx_bytes, 4);
    assert_int_equal(st.tx_dropped + st.tx_errors, 0);
    tether_udp_free(s);
    tether_udp_free(c);
}

static void test_udp_round_trip_v4(void **state)
{
    (void)state;
    round_trip("127.0.0.1:0", "coap://127.0.0.1:%u/ignored?q=1");
}

static void test_udp_round_trip_v6(void **state)
{
    (void)state;
    if (!ipv6_loopback_works())
        skip();
    round_trip("[::1]:0", "[::1]:%u");
}

static void test_udp_dual_stack_sees_v4_mapped(void **state)
{
    tether_udp *s = new_udp(), *c = new_udp();
    echo se, ce;
    tether_peer srv;
    char uri[64], ps[TETHER_UDP_ADDRSTR_MAX], want[64];
    (void)state;

    if (!ipv6_loopback_works()) {
        tether_udp_free(s);
        tether_udp_free(c);
        skip();
    }
    echo_init(&se, 1);
    echo_init(&ce, 0);
    assert_int_equal(tether_udp_listen(s, "[::]:0", NULL), 0);
    snprintf(uri, sizeof(uri), "127.0.0.1:%u", (unsigned)tether_udp_port(s, 0));
    assert_int_equal(tether_udp_connect(c, uri, &srv), 0);
    assert_int_equal(tether_udp_send(c, &srv, (const uint8_t *)"v4", 2), 0);
    run_until(s, &se, 1);
    /* Kept as it arrived: a v4-mapped IPv6 address. */
    assert_int_equal(se.last_peer.len, sizeof(struct sockaddr_in6));
    assert_int_equal(tether_udp_peer_str(&se.last_peer, ps, sizeof(ps)), 0);
    snprintf(want, sizeof(want), "[::ffff:127.0.0.1]:%u", (unsigned)tether_udp_port(c, 0));
    assert_string_equal(ps, want);
    run_until(c, &ce, 1);
    assert_memory_equal(ce.last, "v4", 2);
    tether_udp_free(s);
    tether_udp_free(c);
}

static void test_udp_same_remote_gives_equal_peers(void **state)
{
    tether_udp *s = new_udp(), *c1 = new_udp(), *c2 = new_udp();
    echo se;
    tether_peer to1, to2, first, second, third;
    char uri[64];
    (void)state;

    echo_init(&se, 0);
    assert_int_equal(tether_udp_listen(s, "127.0.0.1:0", NULL), 0);
    snprintf(uri, sizeof(uri), "127.0.0.1:%u", (unsigned)tether_udp_port(s, 0));
    assert_int_equal(tether_udp_connect(c1, uri, &to1), 0);
    assert_int_equal(tether_udp_connect(c2, uri, &to2), 0);

    assert_int_equal(tether_udp_send(c1, &to1, (const uint8_t *)"a", 1), 0);
    run_until(s, &se, 1);
    first = se.last_peer;
    assert_int_equal(tether_udp_send(c1, &to1, (const uint8_t *)"b", 1), 0);
    run_until(s, &se, 2);
    second = se.last_peer;
    assert_int_equal(tether_udp_send(c2, &to2, (const uint8_t *)"c", 1), 0);
    run_until(s, &se, 3);
    third = se.last_peer;

    /* Byte for byte, padding included, so engines may memcmp and hash. */
    assert_memory_equal(&first, &second, sizeof(first));
    assert_true(tether_peer_equal(&first, &second));
    assert_int_equal(tether_peer_hash(&first), tether_peer_hash(&second));
    assert_false(tether_peer_equal(&first, &third));
    tether_udp_free(s);
    tether_udp_free(c1);
    tether_udp_free(c2);
}

static void test_udp_answer_leaves_through_arrival_socket(void **state)
{
    tether_udp *s = new_udp(), *c = new_udp();
    echo se, ce;
    tether_peer to;
    uint16_t i0, i1;
    char uri[64];
    (void)state;

    echo_init(&se, 1);
    echo_init(&ce, 0);
    assert_int_equal(tether_udp_listen(s, "127.0.0.1:0", &i0), 0);
    assert_int_equal(tether_udp_listen(s, "127.0.0.1:0", &i1), 0);
    assert_int_equal(i1, 1);
    snprintf(uri, sizeof(uri), "127.0.0.1:%u", (unsigned)tether_udp_port(s, i1));
    assert_int_equal(tether_udp_connect(c, uri, &to), 0);
    assert_int_equal(tether_udp_send(c, &to, (const uint8_t *)"x", 1), 0);
    run_until(s, &se, 1);
    assert_int_equal(se.last_peer.iface, i1);
    run_until(c, &ce, 1);
    /* From socket 1's port, not socket 0's. */
    assert_int_equal(tether_udp_peer_port(&ce.last_peer), tether_udp_port(s, i1));
    assert_int_not_equal(tether_udp_peer_port(&ce.last_peer), tether_udp_port(s, i0));
    tether_udp_free(s);
    tether_udp_free(c);
}

static void test_udp_connect_reuses_client_socket_per_family(void **state)
{
    tether_udp *c = new_udp();
    tether_peer a, b, v6;
    (void)state;

    assert_int_equal(tether_udp_connect(c, "127.0.0.1:5683", &a), 0);
    assert_int_equal(tether_udp_connect(c, "coap://127.0.0.2:5684", &b), 0);
    assert_int_equal(a.iface, b.iface);
    assert_int_equal(tether_udp_count(c), 1);
    if (ipv6_loopback_works()) {
        assert_int_equal(tether_udp_connect(c, "[::1]:5683", &v6), 0);
        assert_int_not_equal(v6.iface, a.iface);
        assert_int_equal(tether_udp_count(c), 2);
    }
    /* Closed: a new connect opens a fresh socket with a new index. */
    assert_int_equal(tether_udp_close(c, a.iface), 0);
    assert_int_equal(tether_udp_send(c, &a, (const uint8_t *)"x", 1), TETHER_ERR_INVAL);
    assert_non_null(strstr(tether_udp_errmsg(c), "no open socket"));
    assert_int_equal(tether_udp_connect(c, "127.0.0.1:5683", &b), 0);
    assert_int_not_equal(b.iface, a.iface);
    assert_int_equal(tether_udp_close(c, 999), TETHER_ERR_INVAL);
    tether_udp_free(c);
}

static void test_udp_oversized_datagram_is_dropped_and_counted(void **state)
{
    tether_udp_config cfg;
    tether_udp *s = NULL, *c = new_udp();
    echo se;
    tether_peer to;
    uint8_t big[200], small[10];
    char uri[64];
    tether_udp_stats st;
    (void)state;

    tether_udp_config_default(&cfg);
    cfg.max_datagram = 64;
    assert_int_equal(tether_udp_new(&s, &cfg), 0);
    echo_init(&se, 0);
    memset(big, 'B', sizeof(big));
    memset(small, 'S', sizeof(small));
    assert_int_equal(tether_udp_listen(s, "127.0.0.1:0", NULL), 0);
    snprintf(uri, sizeof(uri), "127.0.0.1:%u", (unsigned)tether_udp_port(s, 0));
    assert_int_equal(tether_udp_connect(c, uri, &to), 0);
    assert_int_equal(tether_udp_send(c, &to, big, sizeof(big)), 0);
    assert_int_equal(tether_udp_send(c, &to, small, sizeof(small)), 0);
    run_until(s, &se, 1);
    assert_int_equal(se.last_len, sizeof(small));
    tether_udp_get_stats(s, &st);
    assert_int_equal(st.rx_truncated, 1);
    assert_int_equal(st.rx, 1);
    tether_udp_free(s);
    tether_udp_free(c);
}

static void test_udp_recv_one_at_a_time(void **state)
{
    tether_udp *s = new_udp(), *c = new_udp();
    tether_peer to, from;
    uint8_t buf[16];
    size_t len = 99;
    char uri[64];
    (void)state;

    assert_int_equal(tether_udp_listen(s, "127.0.0.1:0", NULL), 0);
    assert_int_equal(tether_udp_recv(s, &from, buf, sizeof(buf), &len), 0);
    assert_int_equal(len, 0); /* nothing waiting, no blocking */
    snprintf(uri, sizeof(uri), "127.0.0.1:%u", (unsigned)tether_udp_port(s, 0));
    assert_int_equal(tether_udp_connect(c, uri, &to), 0);
    assert_int_equal(tether_udp_send(c, &to, (const uint8_t *)"hello", 5), 0);
    /* Loopback delivers during sendto. */
    assert_int_equal(tether_udp_recv(s, &from, buf, sizeof(buf), &len), 0);
    assert_int_equal(len, 5);
    assert_memory_equal(buf, "hello", 5);
    assert_int_equal(from.iface, 0);
    assert_int_equal(tether_udp_peer_port(&from), tether_udp_port(c, to.iface));
    tether_udp_free(s);
    tether_udp_free(c);
}

/* --- the loop ------------------------------------------------------------ */

static void test_udp_loop_runs_due_timeout_without_sleeping(void **state)
{
    tether_udp *u = new_udp();
    echo x;
    tether_time t0;
    (void)state;

    echo_init(&x, 0);
    x.deadline = tether_os_now_ms(); /* already due */
    t0 = tether_os_now_ms();
    assert_int_equal(tether_udp_run_once(u, &echo_ops, &x, 5000), 0);
    assert_int_equal(x.timeouts, 1);
    assert_true(tether_os_now_ms() - t0 < 1000);
    /* Nothing due and max_wait 0: returns at once, no timeout call. */
    assert_int_equal(tether_udp_run_once(u, &echo_ops, &x, 0), 0);
    assert_int_equal(x.timeouts, 1);
    tether_udp_free(u);
}

static int g_fd_events;
static tether_udp *g_loop;

static void on_pipe(void *user, int fd, uint32_t events)
{
    char b[8];
    ssize_t r = read(fd, b, sizeof(b));
    (void)r;
    (void)events;
    g_fd_events++;
    *(int *)user += 1;
    /* Nested turns are refused, the loop is not re-entered. */
    assert_int_equal(tether_udp_run_once(g_loop, NULL, NULL, 0), TETHER_ERR_REENTRANT);
}

static void test_udp_watched_fd_wakeup_and_stop(void **state)
{
    tether_udp *u = new_udp();
    int p[2], calls = 0;
    ssize_t r;
    (void)state;

    g_loop = u;
    assert_int_equal(pipe(p), 0);
    assert_int_equal(tether_udp_watch_fd(u, p[0], EPOLLIN, on_pipe, &calls), 0);
    assert_int_equal(tether_udp_watch_fd(u, p[0], EPOLLIN, on_pipe, &calls), TETHER_ERR_EXISTS);
    r = write(p[1], "x", 1);
    assert_int_equal(r, 1);
    assert_int_equal(tether_udp_run_once(u, NULL, NULL, WAIT_MS), 0);
    assert_int_equal(calls, 1);
    assert_int_equal(tether_udp_unwatch_fd(u, p[0]), 0);
    assert_int_equal(tether_udp_unwatch_fd(u, p[0]), TETHER_ERR_NOT_FOUND);
    r = write(p[1], "y", 1);
    assert_int_equal(r, 1);
    /* A wakeup ends the wait; the unwatched pipe gets no callback. */
    tether_udp_wakeup(u);
    assert_int_equal(tether_udp_run_once(u, NULL, NULL, WAIT_MS), 0);
    assert_int_equal(calls, 1);
    /* Stop before run: run returns at once and clears the flag. */
    tether_udp_stop(u);
    assert_true(tether_udp_stopping(u));
    assert_int_equal(tether_udp_run(u, NULL, NULL), 0);
    assert_false(tether_udp_stopping(u));
    assert_true(tether_udp_epoll_fd(u) >= 0);
    close(p[0]);
    close(p[1]);
    tether_udp_free(u);
}

/* An engine whose datagram does not fit: run_once reports it. */
static int big_send(void *e, tether_time now, tether_peer *p, uint8_t *buf, size_t cap,
                    size_t *len)
{
    (void)e, (void)now, (void)p, (void)buf, (void)cap;
    *len = 0;
    return TETHER_ERR_NOSPACE;
}

static void test_udp_engine_datagram_too_big_is_reported(void **state)
{
    static const tether_engine_ops ops = {NULL, big_send, NULL, NULL};
    tether_udp *u = new_udp();
    (void)state;
    assert_int_equal(tether_udp_run_once(u, &ops, NULL, 0), TETHER_ERR_NOSPACE);
    assert_non_null(strstr(tether_udp_errmsg(u), "larger than max_datagram 2048"));
    tether_udp_free(u);
}

static void test_udp_burst_is_batched_and_answered(void **state)
{
    tether_udp *s = new_udp(), *c = new_udp();
    echo se, ce;
    tether_peer to;
    char uri[64];
    tether_udp_stats st;
    (void)state;

    /* 8 datagrams (the echo queue) arrive before the server turns once: one
     * recvmmsg batch in, one sendmmsg batch out. */
    echo_init(&se, 1);
    echo_init(&ce, 0);
    assert_int_equal(tether_udp_listen(s, "127.0.0.1:0", NULL), 0);
    snprintf(uri, sizeof(uri), "127.0.0.1:%u", (unsigned)tether_udp_port(s, 0));
    assert_int_equal(tether_udp_connect(c, uri, &to), 0);
    for (int i = 0; i < ECHO_Q; i++) {
        uint8_t d = (uint8_t)('0' + i);
        assert_int_equal(tether_udp_send(c, &to, &d, 1), 0);
    }
    assert_int_equal(tether_udp_run_once(s, &echo_ops, &se, WAIT_MS), 0);
    assert_int_equal(se.recvs, ECHO_Q);
    tether_udp_get_stats(s, &st);
    assert_int_equal(st.tx, ECHO_Q);
    assert_int_equal(st.turns, 1);
    run_until(c, &ce, ECHO_Q);
    assert_int_equal(ce.last[0], '0' + ECHO_Q - 1); /* in order, last one last */
    tether_udp_free(s);
    tether_udp_free(c);
}

/* The exchange layer through tether_udp_coap_ops, both ends on loopback. */
static void coap_answer(void *user, tether_time now, const tether_coap_msg *req,
                        const tether_coap_incoming *cin)
{
    tether_coap_ctx *ctx = *(tether_coap_ctx **)user;
    tether_coap_incoming in = *cin;
    tether_coap_builder b;

    assert_true(tether_coap_path_equals(req, "hi"));
    assert_int_equal(tether_coap_reply_begin(ctx, &b, &in, TETHER_COAP_CONTENT), 0);
    tether_coap_build_payload(&b, "there", 5);
    assert_int_equal(tether_coap_reply_send(ctx, now, &in, &b), 0);
}

typedef struct coap_outcome {
    int done, status;
    uint8_t code;
    char payload[16];
} coap_outcome;

static void coap_done(void *arg, tether_time now, int status, const tether_coap_msg *resp)
{
    coap_outcome *o = arg;
    (void)now;
    o->done = 1;
    o->status = status;
    if (resp != NULL) {
        o->code = resp->code;
        memcpy(o->payload, resp->payload, resp->payload_len < 15 ? resp->payload_len : 15);
    }
}

static void test_udp_drives_coap_exchange_layer(void **state)
{
    tether_udp *su = new_udp(), *cu = new_udp();
    tether_coap_config cfg;
    tether_coap_callbacks scb = {coap_answer, NULL}, ccb = {NULL, NULL};
    tether_coap_ctx *sctx = NULL, *cctx = NULL;
    void *smem, *cmem;
    tether_coap_builder b;
    tether_peer to;
    coap_outcome out = {0};
    char uri[64];
    tether_time end;
    (void)state;

    tether_coap_config_default(&cfg);
    cfg.rand = tether_os_random;
    smem = test_malloc(tether_coap_mem_size(&cfg));
    cmem = test_malloc(tether_coap_mem_size(&cfg));
    assert_int_equal(tether_coap_init(&sctx, smem, tether_coap_mem_size(&cfg), &cfg, &scb, &sctx), 0);
    assert_int_equal(tether_coap_init(&cctx, cmem, tether_coap_mem_size(&cfg), &cfg, &ccb, NULL), 0);
    assert_int_equal(tether_udp_listen(su, "127.0.0.1:0", NULL), 0);
    snprintf(uri, sizeof(uri), "coap://127.0.0.1:%u/hi", (unsigned)tether_udp_port(su, 0));
    assert_int_equal(tether_udp_connect(cu, uri, &to), 0);

    assert_int_equal(tether_coap_msg_begin(cctx, &b, TETHER_COAP_CON, TETHER_COAP_GET, NULL, 0), 0);
    tether_coap_build_path(&b, TETHER_COAP_OPT_URI_PATH, "hi");
    assert_int_equal(tether_coap_msg_send(cctx, tether_os_now_ms(), &to, &b, 0, coap_done, &out, NULL), 0);
    /* The CON is queued in the client context; the loops carry it over. */
    end = tether_os_now_ms() + WAIT_MS;
    while (!out.done && tether_os_now_ms() < end) {
        assert_int_equal(tether_udp_run_once(cu, &tether_udp_coap_ops, cctx, 0), 0);
        assert_int_equal(tether_udp_run_once(su, &tether_udp_coap_ops, sctx, 10), 0);
        assert_int_equal(tether_udp_run_once(cu, &tether_udp_coap_ops, cctx, 10), 0);
    }
    assert_int_equal(out.done, 1);
    assert_int_equal(out.status, 0);
    assert_int_equal(out.code, TETHER_COAP_CONTENT);
    assert_string_equal(out.payload, "there");
    tether_coap_fini(sctx);
    tether_coap_fini(cctx);
    test_free(smem);
    test_free(cmem);
    tether_udp_free(su);
    tether_udp_free(cu);
}

/* --- os helpers ----------------------------------------------------------- */

static void test_udp_os_clock_and_random(void **state)
{
    uint8_t a[32], b[32], zero[32] = {0};
    tether_time t1, t2;
    (void)state;

    t1 = tether_os_now_ms();
    t2 = tether_os_now_ms();
    assert_true(t2 >= t1);
    assert_true(t1 != TETHER_TIME_NEVER);
    tether_os_random(NULL, a, sizeof(a));
    tether_os_random(NULL, b, sizeof(b));
    assert_memory_not_equal(a, b, sizeof(a));
    assert_memory_not_equal(a, zero, sizeof(a));
    tether_os_random(NULL, a, 0); /* nothing to do, nothing touched */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_udp_ephemeral_port_is_readable),
        cmocka_unit_test(test_udp_bind_in_use_gives_sentence),
        cmocka_unit_test(test_udp_bind_foreign_address_fails),
        cmocka_unit_test(test_udp_bad_addresses_are_refused),
        cmocka_unit_test(test_udp_config_out_of_range_is_refused),
        cmocka_unit_test(test_udp_receive_buffer_is_raised),
        cmocka_unit_test(test_udp_addr_parse_good_strings),
        cmocka_unit_test(test_udp_addr_parse_bad_strings),
        cmocka_unit_test(test_udp_peer_str_edges),
        cmocka_unit_test(test_udp_round_trip_v4),
        cmocka_unit_test(test_udp_round_trip_v6),
        cmocka_unit_test(test_udp_dual_stack_sees_v4_mapped),
        cmocka_unit_test(test_udp_same_remote_gives_equal_peers),
        cmocka_unit_test(test_udp_answer_leaves_through_arrival_socket),
        cmocka_unit_test(test_udp_connect_reuses_client_socket_per_family),
        cmocka_unit_test(test_udp_oversized_datagram_is_dropped_and_counted),
        cmocka_unit_test(test_udp_recv_one_at_a_time),
        cmocka_unit_test(test_udp_loop_runs_due_timeout_without_sleeping),
        cmocka_unit_test(test_udp_watched_fd_wakeup_and_stop),
        cmocka_unit_test(test_udp_engine_datagram_too_big_is_reported),
        cmocka_unit_test(test_udp_burst_is_batched_and_answered),
        cmocka_unit_test(test_udp_drives_coap_exchange_layer),
        cmocka_unit_test(test_udp_os_clock_and_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
