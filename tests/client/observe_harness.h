/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers for the information-reporting tests (test_observe.c,
 * test_notify_store.c, test_queue_mode.c) on top of client_harness.h: a
 * temperature object (3303, IPSO) whose value the test sets, requests with
 * an Observe option and a chosen token, and readers for what a
 * notification carries (type, token, Observe value, format, payload). */
#ifndef TETHER_TESTS_CLIENT_OBSERVE_HARNESS_H
#define TETHER_TESTS_CLIENT_OBSERVE_HARNESS_H

#include "client/client_harness.h"

/* --- a temperature object: /3303/0 and /3303/1 -------------------------- */

#define T_OID 3303
#define T_VALUE 5700    /* Float, R */
#define T_UNITS 5701    /* String, R */
#define T_COUNT 5750    /* Integer, R: not IPSO, a numeric Integer for the tests */
#define T_RESET 5605    /* E */

typedef struct sensor {
    double value[2];
    int64_t count[2];
    uint8_t exists[2];
    int reads; /* read handler calls */
} sensor;

static const tether_client_res_def sensor_res[] = {
    {T_RESET, TETHER_LWM2M_OP_E, TETHER_LWM2M_NONE, 0},
    {T_VALUE, TETHER_LWM2M_OP_R, TETHER_LWM2M_FLOAT, 0},
    {T_UNITS, TETHER_LWM2M_OP_R, TETHER_LWM2M_STRING, 0},
    {T_COUNT, TETHER_LWM2M_OP_RW, TETHER_LWM2M_INTEGER, 0},
};

static int32_t sensor_next(void *user, int32_t prev)
{
    sensor *s = user;
    for (int32_t i = prev + 1; i < 2; i++)
        if (s->exists[i])
            return i;
    return -1;
}

static int sensor_read(void *user, uint16_t iid, uint16_t rid, uint16_t riid,
                       tether_lwm2m_value *out)
{
    sensor *s = user;
    (void)riid;
    s->reads++;
    switch (rid) {
    case T_VALUE: *out = tether_lwm2m_value_float(s->value[iid]); return 0;
    case T_UNITS: *out = tether_lwm2m_value_cstr("Cel"); return 0;
    case T_COUNT: *out = tether_lwm2m_value_int(s->count[iid]); return 0;
    default: return TETHER_CLIENT_REFUSE(TETHER_COAP_NOT_FOUND);
    }
}

static int sensor_write(void *user, uint16_t iid, uint16_t rid, uint16_t riid,
                        const tether_lwm2m_value *v, int commit)
{
    sensor *s = user;
    (void)riid;
    if (rid != T_COUNT)
        return TETHER_CLIENT_REFUSE(TETHER_COAP_METHOD_NOT_ALLOWED);
    if (commit)
        s->count[iid] = v->i;
    return 0;
}

static int sensor_exec(void *user, uint16_t iid, uint16_t rid, const uint8_t *a, size_t n)
{
    (void)user;
    (void)iid;
    (void)rid;
    (void)a;
    (void)n;
    return 0;
}

static int sensor_create(void *user, uint16_t iid)
{
    sensor *s = user;
    if (iid > 1)
        return TETHER_CLIENT_REFUSE(TETHER_COAP_BAD_REQUEST);
    s->exists[iid] = 1;
    return 0;
}

static int sensor_remove(void *user, uint16_t iid)
{
    sensor *s = user;
    s->exists[iid] = 0;
    return 0;
}

static const tether_client_object sensor_obj = {
    .oid = T_OID,
    .multi_instance = 1,
    .nres = sizeof(sensor_res) / sizeof(sensor_res[0]),
    .res = sensor_res,
    .next_instance = sensor_next,
    .read = sensor_read,
    .write = sensor_write,
    .execute = sensor_exec,
    .create = sensor_create,
    .remove = sensor_remove,
};

/* A client "dev1" with the sensor (two instances, 21.5 and 30), one server
 * (ssid 1, lifetime lt, binding), registered at rd/o. The caller sets
 * fields of h->cfg first with cfg_fn, or NULL. */
H_UNUSED static void o_setup(harness *h, sensor *s, int64_t lt, const char *binding,
                             void (*cfg_fn)(harness *h))
{
    h_init_cfg(h, "dev1");
    if (cfg_fn != NULL)
        cfg_fn(h);
    h_init_client(h);
    memset(s, 0, sizeof(*s));
    s->value[0] = 21.5;
    s->value[1] = 30;
    s->exists[0] = s->exists[1] = 1;
    assert_int_equal(tether_client_add_object(h->c, h->now, &sensor_obj, s), 0);
    h_add_server(h, 0, 1, lt, binding);
    assert_int_equal(tether_client_start(h->c, h->now), 0);
    h_register(h, 0, "rd/o");
    h_expect_none(h);
}

/* --- requests with Observe and a chosen token ---------------------------- */

typedef struct o_req {
    uint8_t code;
    const char *path;
    int observe;           /* -1: none */
    uint8_t tok;           /* the token is {0x70, tok} */
    int accept;            /* -1: none */
    const char *query[4];  /* Uri-Query options, NULL-ended */
    const char *payload;   /* text/plain, or NULL */
} o_req;

/* Send r from server n; when d is not NULL the next datagram must answer it. */
H_UNUSED static void o_request(harness *h, int n, const o_req *r, h_dgram *d)
{
    uint8_t buf[512];
    uint8_t tok[2] = {0x70, r->tok};
    tether_coap_builder b;
    size_t len;

    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_CON, r->code, h->next_mid++, tok, 2);
    if (r->observe >= 0)
        tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_OBSERVE, (uint32_t)r->observe);
    tether_coap_build_path(&b, TETHER_COAP_OPT_URI_PATH, r->path);
    if (r->payload != NULL)
        tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_CONTENT_FORMAT, TETHER_FMT_TEXT);
    for (int i = 0; i < 4 && r->query[i] != NULL; i++)
        tether_coap_build_opt_str(&b, TETHER_COAP_OPT_URI_QUERY, r->query[i]);
    if (r->accept >= 0)
        tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_ACCEPT, (uint32_t)r->accept);
    if (r->payload != NULL)
        tether_coap_build_payload(&b, r->payload, strlen(r->payload));
    assert_int_equal(tether_coap_build_finish(&b, &len), 0);
    h_deliver(h, n, buf, len);
    if (d == NULL)
        return;
    h_expect(h, d);
    assert_int_equal(d->m.type, TETHER_COAP_ACK);
    assert_int_equal(d->m.tkl, 2);
    assert_memory_equal(d->m.token, tok, 2);
}

/* Observe path with token {0x70, tok}; the answer must be 2.05 with an
 * Observe option. Returns its Observe value. */
H_UNUSED static uint32_t o_observe(harness *h, const char *path, uint8_t tok, int accept,
                                   h_dgram *d)
{
    o_req r = {TETHER_COAP_GET, path, 0, tok, accept, {NULL}, NULL};
    uint32_t seq;

    o_request(h, 0, &r, d);
    assert_int_equal(d->m.code, TETHER_COAP_CONTENT);
    assert_int_equal(tether_coap_observe(&d->m, &seq), 0);
    return seq;
}

/* Write-Attributes on path: up to four "name=value" queries. Returns the code. */
H_UNUSED static uint8_t o_attrs(harness *h, const char *path, const char *q0, const char *q1,
                                const char *q2, const char *q3)
{
    o_req r = {TETHER_COAP_PUT, path, -1, 0x55, -1, {q0, q1, q2, q3}, NULL};
    h_dgram d;

    o_request(h, 0, &r, &d);
    return d.m.code;
}

/* The sensor's value changed. */
H_UNUSED static void o_set(harness *h, sensor *s, int iid, double v)
{
    tether_lwm2m_path p = tether_lwm2m_path_make(3, T_OID, (uint16_t)iid, T_VALUE, 0);
    s->value[iid] = v;
    assert_int_equal(tether_client_changed(h->c, h->now, &p), 0);
}

/* Assert d is a notification: type, token {0x70, tok}, code 2.05, format
 * fmt, payload text (NULL: not checked). Returns its Observe value. */
H_UNUSED static uint32_t o_assert_notify(const h_dgram *d, uint8_t type, uint8_t tok, int fmt,
                                         const char *payload)
{
    uint8_t want[2] = {0x70, tok};
    uint32_t seq;
    char buf[512];

    assert_int_equal(d->m.type, type);
    assert_int_equal(d->m.code, TETHER_COAP_CONTENT);
    assert_int_equal(d->m.tkl, 2);
    assert_memory_equal(d->m.token, want, 2);
    assert_int_equal(tether_coap_observe(&d->m, &seq), 0);
    assert_int_equal(h_ct(d), fmt);
    if (payload != NULL)
        assert_string_equal(h_payload(d, buf, sizeof(buf)), payload);
    return seq;
}

/* Acknowledge (empty ACK) or reject (RST) the client's message d. */
H_UNUSED static void o_empty(harness *h, int n, const h_dgram *d, uint8_t type)
{
    uint8_t buf[4];
    tether_coap_builder b;
    size_t len;

    tether_coap_build_init(&b, buf, sizeof(buf), type, TETHER_COAP_EMPTY, d->m.mid, NULL, 0);
    assert_int_equal(tether_coap_build_finish(&b, &len), 0);
    h_deliver(h, n, buf, len);
}

/* Run the clock to `to`, collecting every datagram the client sends on the
 * way (at most max) with the time it left. Returns how many. */
H_UNUSED static int o_collect(harness *h, tether_time to, h_dgram *out, tether_time *at, int max)
{
    int n = 0;

    for (;;) {
        tether_time d;
        while (n < max && h_take(h, &out[n])) {
            if (at != NULL)
                at[n] = h->now;
            n++;
        }
        d = tether_client_next_deadline(h->c);
        if (d > to)
            break;
        if (d > h->now)
            h->now = d;
        assert_int_equal(tether_client_on_timeout(h->c, h->now), 0);
    }
    if (to > h->now)
        h->now = to;
    return n;
}

H_UNUSED static tether_client_notify_stats o_stats(harness *h, uint16_t ssid)
{
    tether_client_notify_stats st;
    assert_int_equal(tether_client_get_notify_stats(h->c, ssid, &st), 0);
    return st;
}

#endif /* TETHER_TESTS_CLIENT_OBSERVE_HARNESS_H */
