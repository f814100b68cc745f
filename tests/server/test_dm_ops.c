/* SPDX-License-Identifier: Apache-2.0 */
/* Device management from the server (src/server/dm.c, dm_ops.c): what each
 * operation puts on the wire (method, path, Accept, Content-Format,
 * Uri-Query, payload), what its answer becomes (created instance id,
 * Discover links), block-wise bodies both ways, per-request timeouts, the
 * exactly-once callback, cancellation, and requests failing promptly when
 * their registration goes away (R6, R15). Devices are hand-built datagrams
 * on a virtual clock. */
#include "server/server_fixture.h"

#include <math.h>

#include "tether/lwm2m_tlv.h"

/* --- helpers ------------------------------------------------------------------ */

typedef struct rlog {
    int calls;
    int status;
    uint8_t code;
    uint32_t cf;
    uint8_t final;
    size_t len;
    uint8_t payload[4096];
    char reason[512];
    char ep[64];
    uint16_t created_iid;
    size_t n_links;
    tether_server_link links[8];
    tether_server_req_id id;
    int op;
} rlog;

static void on_resp(void *arg, tether_time now, int status, const tether_server_response *r)
{
    rlog *l = arg;
    (void)now;
    assert_non_null(r);
    assert_non_null(r->reason);
    l->calls++;
    l->status = status;
    l->code = r->code;
    l->cf = r->content_format;
    l->final = r->final;
    l->len = r->payload_len;
    if (r->payload_len > 0 && r->payload_len <= sizeof(l->payload))
        memcpy(l->payload, r->payload, r->payload_len);
    snprintf(l->reason, sizeof(l->reason), "%s", r->reason);
    snprintf(l->ep, sizeof(l->ep), "%s", r->ep ? r->ep : "");
    l->created_iid = r->created_iid;
    l->n_links = r->n_links;
    for (size_t i = 0; i < r->n_links && i < 8; i++)
        l->links[i] = r->links[i];
    l->id = r->id;
    l->op = r->op;
    /* status 0 <=> an answer with a code */
    assert_int_equal(status == 0, r->code != 0);
}

/* An answer to the request in f->msg, piggybacked, with what it needs. */
typedef struct ans_opts {
    int cf;                          /* < 0: none */
    const char *location;            /* "3303/7": Location-Path segments */
    const tether_coap_block *block2;
    const tether_coap_block *block1;
    uint32_t size2;                  /* 0: none */
} ans_opts;

static void answer(fx *f, const tether_peer *from, uint8_t code, const ans_opts *o,
                   const void *payload, size_t len)
{
    uint8_t buf[2048];
    tether_coap_builder b;
    size_t n;

    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_ACK, code, f->msg.mid, f->msg.token,
                           f->msg.tkl);
    if (o != NULL && o->location != NULL)
        tether_coap_build_path(&b, TETHER_COAP_OPT_LOCATION_PATH, o->location);
    if (o != NULL && o->cf >= 0)
        tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_CONTENT_FORMAT, (uint32_t)o->cf);
    if (o != NULL && o->block2 != NULL)
        tether_coap_build_block(&b, TETHER_COAP_OPT_BLOCK2, o->block2);
    if (o != NULL && o->block1 != NULL)
        tether_coap_build_block(&b, TETHER_COAP_OPT_BLOCK1, o->block1);
    if (o != NULL && o->size2 != 0)
        tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_SIZE2, o->size2);
    if (len > 0)
        tether_coap_build_payload(&b, payload, len);
    assert_int_equal(tether_coap_build_finish(&b, &n), 0);
    assert_int_equal(tether_server_recv(f->srv, f->now, from, buf, n), 0);
}

/* An empty ACK for the request in f->msg (the answer comes later). */
static void empty_ack(fx *f, const tether_peer *from)
{
    uint8_t buf[4];
    tether_coap_builder b;
    size_t n;

    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_ACK, TETHER_COAP_EMPTY, f->msg.mid,
                           NULL, 0);
    assert_int_equal(tether_coap_build_finish(&b, &n), 0);
    assert_int_equal(tether_server_recv(f->srv, f->now, from, buf, n), 0);
}

/* The Uri-Query options of f->msg joined with '&'. */
static const char *queries(fx *f)
{
    static char out[256];
    tether_coap_opt q[8];
    size_t n = 0, at = 0;

    assert_int_equal(tether_coap_opt_collect(&f->msg, TETHER_COAP_OPT_URI_QUERY, q, 8, &n), 0);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        at += (size_t)snprintf(out + at, sizeof(out) - at, "%s%.*s", i ? "&" : "", (int)q[i].len,
                               (const char *)q[i].val);
    return out;
}

static tether_peer reg(fx *f, const char *q, const char *links)
{
    tether_peer dev = fx_peer(0, 1);
    char id[16];
    assert_int_equal(fx_register(f, &dev, q, links, id), TETHER_COAP_CREATED);
    return dev;
}

static int opt_absent(fx *f, uint16_t num)
{
    tether_coap_opt o;
    return tether_coap_opt_find(&f->msg, num, &o) == TETHER_ERR_NOT_FOUND;
}

/* --- operations on the wire ----------------------------------------------------- */

static void test_dm_ops_read_with_accept_under_the_root(void **state)
{
    fx *f = *state;
    tether_peer dev = reg(f, "ep=d&lt=60", "</lwm2m>;rt=\"oma.lwm2m\",</lwm2m/3/0>");
    tether_server_request r = {0};
    tether_server_req_id id = 0;
    rlog l = {0};
    uint32_t v;

    r.op = TETHER_SERVER_OP_READ;
    r.path = "/3/0";
    r.accept = TETHER_FMT_TLV;
    assert_int_equal(tether_server_submit(f->srv, f->now, "d", &r, on_resp, &l, &id), 0);
    assert_int_not_equal(id, 0);
    assert_true(fx_pop(f));
    assert_int_equal(f->msg.type, TETHER_COAP_CON);
    assert_int_equal(f->msg.code, TETHER_COAP_GET);
    assert_string_equal(fx_path(f), "lwm2m/3/0");
    assert_int_equal(tether_coap_accept(&f->msg, &v), 0);
    assert_int_equal(v, TETHER_FMT_TLV);
    assert_true(opt_absent(f, TETHER_COAP_OPT_OBSERVE));
    assert_true(opt_absent(f, TETHER_COAP_OPT_CONTENT_FORMAT));
    assert_int_equal(f->msg.payload_len, 0);
    answer(f, &dev, TETHER_COAP_CONTENT, &(ans_opts){.cf = TETHER_FMT_TLV}, "\xC1\x00\x2A", 3);
    assert_int_equal(l.calls, 1);
    assert_int_equal(l.status, 0);
    assert_int_equal(l.final, 1);
    assert_int_equal(l.code, TETHER_COAP_CONTENT);
    assert_int_equal(l.cf, TETHER_FMT_TLV);
    assert_int_equal(l.len, 3);
    assert_string_equal(l.ep, "d");
    assert_int_equal(l.id, id);
    assert_int_equal(l.op, TETHER_SERVER_OP_READ);
    assert_string_equal(l.reason, "");
}

static void test_dm_ops_discover_parses_links_and_attributes(void **state)
{
    fx *f = *state;
    tether_peer dev = reg(f, "ep=d&lt=60", "</3/0>");
    static const char links[] = "</3/0>;pmin=10;pmax=60,</3/0/1>,</3/0/7>;dim=3;gt=2.5;lt=-1;st=0.25";
    rlog l = {0};
    uint32_t v;

    assert_int_equal(tether_server_discover(f->srv, f->now, "d", "/3/0/1/2", on_resp, &l),
                     TETHER_ERR_INVAL);
    assert_int_equal(tether_server_discover(f->srv, f->now, "d", "/3/0", on_resp, &l), 0);
    assert_true(fx_pop(f));
    assert_int_equal(f->msg.code, TETHER_COAP_GET);
    assert_string_equal(fx_path(f), "3/0");
    assert_int_equal(tether_coap_accept(&f->msg, &v), 0);
    assert_int_equal(v, TETHER_FMT_LINK);
    answer(f, &dev, TETHER_COAP_CONTENT, &(ans_opts){.cf = TETHER_FMT_LINK}, links,
           strlen(links));
    assert_int_equal(l.calls, 1);
    assert_int_equal(l.n_links, 3);
    assert_int_equal(l.links[0].path.len, 2);
    assert_int_equal(l.links[0].attrs.set, TETHER_ATTR_PMIN | TETHER_ATTR_PMAX);
    assert_int_equal(l.links[0].attrs.pmin, 10);
    assert_int_equal(l.links[0].attrs.pmax, 60);
    assert_int_equal(l.links[1].path.len, 3);
    assert_int_equal(l.links[1].path.ids[2], 1);
    assert_int_equal(l.links[1].attrs.set, 0);
    assert_int_equal(l.links[2].attrs.set,
                     TETHER_ATTR_DIM | TETHER_ATTR_GT | TETHER_ATTR_LT | TETHER_ATTR_ST);
    assert_int_equal(l.links[2].attrs.dim, 3);
    assert_true(l.links[2].attrs.gt == 2.5);
    assert_true(l.links[2].attrs.lt == -1.0);
    assert_true(l.links[2].attrs.st == 0.25);
    /* The raw payload is there too. */
    assert_int_equal(l.len, strlen(links));

    /* An error answer has no links. */
    assert_int_equal(tether_server_discover(f->srv, f->now, "d", "/9", on_resp, &l), 0);
    assert_true(fx_pop(f));
    answer(f, &dev, TETHER_COAP_NOT_FOUND, NULL, NULL, 0);
    assert_int_equal(l.calls, 2);
    assert_int_equal(l.status, 0);
    assert_int_equal(l.code, TETHER_COAP_NOT_FOUND);
    assert_int_equal(l.n_links, 0);
}

static void test_dm_ops_create_reads_the_new_instance_id(void **state)
{
    fx *f = *state;
    tether_peer dev = reg(f, "ep=d&lt=60", "</lwm2m>;rt=\"oma.lwm2m\",</lwm2m/3303>");
    uint8_t tlv[32];
    tether_tlv_writer w;
    size_t len;
    uint32_t cf;
    rlog l = {0};

    tether_tlv_writer_init(&w, tlv, sizeof(tlv));
    tether_tlv_write_float(&w, TETHER_TLV_RESOURCE, 5700, 21.5);
    assert_int_equal(tether_tlv_writer_finish(&w, &len), 0);
    assert_int_equal(tether_server_create(f->srv, f->now, "d", "/3303/0", TETHER_FMT_TLV, tlv, len,
                                          on_resp, &l),
                     TETHER_ERR_INVAL);
    assert_int_equal(tether_server_create(f->srv, f->now, "d", "/3303", TETHER_SERVER_NO_FORMAT,
                                          tlv, len, on_resp, &l),
                     TETHER_ERR_INVAL);
    assert_non_null(strstr(tether_server_errmsg(f->srv), "Content-Format"));
    assert_int_equal(tether_server_create(f->srv, f->now, "d", "/3303", TETHER_FMT_TLV, tlv, len,
                                          on_resp, &l),
                     0);
    assert_true(fx_pop(f));
    assert_int_equal(f->msg.code, TETHER_COAP_POST);
    assert_string_equal(fx_path(f), "lwm2m/3303");
    assert_int_equal(tether_coap_content_format(&f->msg, &cf), 0);
    assert_int_equal(cf, TETHER_FMT_TLV);
    assert_int_equal(f->msg.payload_len, len);
    assert_memory_equal(f->msg.payload, tlv, len);
    answer(f, &dev, TETHER_COAP_CREATED, &(ans_opts){.cf = -1, .location = "lwm2m/3303/7"}, NULL, 0);
    assert_int_equal(l.calls, 1);
    assert_int_equal(l.code, TETHER_COAP_CREATED);
    assert_int_equal(l.created_iid, 7);

    /* No Location-Path: no id. */
    assert_int_equal(tether_server_create(f->srv, f->now, "d", "/3303", TETHER_FMT_TLV, tlv, len,
                                          on_resp, &l),
                     0);
    assert_true(fx_pop(f));
    answer(f, &dev, TETHER_COAP_CREATED, NULL, NULL, 0);
    assert_int_equal(l.created_iid, TETHER_SERVER_NO_IID);
}

static void test_dm_ops_delete_an_instance(void **state)
{
    fx *f = *state;
    tether_peer dev = reg(f, "ep=d&lt=60", "</3303/7>");
    rlog l = {0};

    assert_int_equal(tether_server_delete(f->srv, f->now, "d", "/3303", on_resp, &l), TETHER_ERR_INVAL);
    assert_int_equal(tether_server_delete(f->srv, f->now, "d", "/3303/7/1", on_resp, &l),
                     TETHER_ERR_INVAL);
    assert_false(fx_pop(f));
    assert_int_equal(tether_server_delete(f->srv, f->now, "d", "/3303/7", on_resp, &l), 0);
    assert_true(fx_pop(f));
    assert_int_equal(f->msg.code, TETHER_COAP_DELETE);
    assert_string_equal(fx_path(f), "3303/7");
    assert_int_equal(f->msg.payload_len, 0);
    answer(f, &dev, TETHER_COAP_DELETED, NULL, NULL, 0);
    assert_int_equal(l.calls, 1);
    assert_int_equal(l.code, TETHER_COAP_DELETED);
}

static void test_dm_ops_write_attributes_query(void **state)
{
    fx *f = *state;
    tether_peer dev = reg(f, "ep=d&lt=60", "</3303/0>");
    tether_server_attrs a = {0};
    rlog l = {0};

    a.set = TETHER_ATTR_PMIN | TETHER_ATTR_PMAX | TETHER_ATTR_GT | TETHER_ATTR_LT | TETHER_ATTR_ST;
    a.pmin = 10;
    a.pmax = 60;
    a.gt = 25.5;
    a.lt = -3;
    a.st = 0.1;
    assert_int_equal(tether_server_write_attrs(f->srv, f->now, "d", "/3303/0/5700", &a, on_resp, &l), 0);
    assert_true(fx_pop(f));
    assert_int_equal(f->msg.code, TETHER_COAP_PUT);
    assert_string_equal(fx_path(f), "3303/0/5700");
    assert_string_equal(queries(f), "pmin=10&pmax=60&gt=25.5&lt=-3&st=0.1");
    assert_true(opt_absent(f, TETHER_COAP_OPT_CONTENT_FORMAT));
    assert_int_equal(f->msg.payload_len, 0);
    answer(f, &dev, TETHER_COAP_CHANGED, NULL, NULL, 0);
    assert_int_equal(l.calls, 1);
    assert_int_equal(l.code, TETHER_COAP_CHANGED);

    /* Clearing sends the bare name. */
    memset(&a, 0, sizeof(a));
    a.set = TETHER_ATTR_PMAX;
    a.pmax = 0;
    a.clear = TETHER_ATTR_PMIN | TETHER_ATTR_ST;
    assert_int_equal(tether_server_write_attrs(f->srv, f->now, "d", "/3303", &a, on_resp, &l), 0);
    assert_true(fx_pop(f));
    assert_string_equal(queries(f), "pmin&pmax=0&st");
    answer(f, &dev, TETHER_COAP_CHANGED, NULL, NULL, 0);
    assert_int_equal(l.calls, 2);
}

static void test_dm_ops_write_attributes_validation(void **state)
{
    fx *f = *state;
    tether_server_attrs a;
    const char *why;
    rlog l = {0};

    (void)reg(f, "ep=d&lt=60", "</3303/0>");
    memset(&a, 0, sizeof(a));
    assert_int_equal(tether_server_attrs_check(&a, &why), TETHER_ERR_INVAL); /* nothing */
    a.set = TETHER_ATTR_PMIN | TETHER_ATTR_PMAX;
    a.pmin = 61;
    a.pmax = 60;
    assert_int_equal(tether_server_attrs_check(&a, &why), TETHER_ERR_INVAL);
    assert_non_null(strstr(why, "pmax"));
    assert_int_equal(tether_server_write_attrs(f->srv, f->now, "d", "/3303/0", &a, on_resp, &l),
                     TETHER_ERR_INVAL);
    assert_non_null(strstr(tether_server_errmsg(f->srv), "pmax must not be less than pmin"));
    a.pmax = 61;
    assert_int_equal(tether_server_attrs_check(&a, &why), 0);
    a.set = TETHER_ATTR_GT;
    a.gt = NAN;
    assert_int_equal(tether_server_attrs_check(&a, &why), TETHER_ERR_INVAL);
    a.gt = INFINITY;
    assert_int_equal(tether_server_attrs_check(&a, &why), TETHER_ERR_INVAL);
    a.set = TETHER_ATTR_ST;
    a.st = -1;
    assert_int_equal(tether_server_attrs_check(&a, &why), TETHER_ERR_INVAL);
    a.set = TETHER_ATTR_GT | TETHER_ATTR_LT;
    a.gt = 10;
    a.lt = 10;
    assert_int_equal(tether_server_attrs_check(&a, &why), TETHER_ERR_INVAL);
    a.lt = 5;
    assert_int_equal(tether_server_attrs_check(&a, &why), 0);
    a.set |= TETHER_ATTR_ST;
    a.st = 2.5; /* 5 + 5 is not < 10 */
    assert_int_equal(tether_server_attrs_check(&a, &why), TETHER_ERR_INVAL);
    a.st = 2;
    assert_int_equal(tether_server_attrs_check(&a, &why), 0);
    a.set = TETHER_ATTR_DIM;
    assert_int_equal(tether_server_attrs_check(&a, &why), TETHER_ERR_INVAL);
    a.set = TETHER_ATTR_PMIN;
    a.clear = TETHER_ATTR_PMIN;
    assert_int_equal(tether_server_attrs_check(&a, &why), TETHER_ERR_INVAL);
    assert_int_equal(tether_server_write_attrs(f->srv, f->now, "d", "/3303/0", NULL, on_resp, &l),
                     TETHER_ERR_INVAL);
    assert_false(fx_pop(f));
    assert_int_equal(l.calls, 0);
}

static void test_dm_ops_execute_arguments(void **state)
{
    fx *f = *state;
    tether_peer dev = reg(f, "ep=d&lt=60", "</3/0>");
    static const char *bad[] = {"a", "0=abc", "0='a b'", "0='x", "0,", ",0", "10", "0='\\'", "0=''x"};
    rlog l = {0};
    uint32_t cf;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(tether_server_execute(f->srv, f->now, "d", "/3/0/4", bad[i], strlen(bad[i]),
                                               on_resp, &l),
                         TETHER_ERR_INVAL);
    assert_false(fx_pop(f));
    assert_int_equal(tether_server_execute(f->srv, f->now, "d", "/3/0/4", "0='abc',1,2=''", 14,
                                           on_resp, &l),
                     0);
    assert_true(fx_pop(f));
    assert_int_equal(f->msg.code, TETHER_COAP_POST);
    assert_string_equal(fx_path(f), "3/0/4");
    assert_int_equal(tether_coap_content_format(&f->msg, &cf), 0);
    assert_int_equal(cf, TETHER_FMT_TEXT);
    assert_int_equal(f->msg.payload_len, 14);
    assert_memory_equal(f->msg.payload, "0='abc',1,2=''", 14);
    answer(f, &dev, TETHER_COAP_CHANGED, NULL, NULL, 0);
    assert_int_equal(l.calls, 1);
    assert_int_equal(l.code, TETHER_COAP_CHANGED);
}

/* --- timeouts and the exactly-once rule ----------------------------------------- */

static void test_dm_ops_timeout_per_call_and_default(void **state)
{
    fx *f = *state;
    tether_peer dev;
    tether_server_request r = {0};
    rlog a = {0}, b = {0};
    uint8_t late[64];
    tether_coap_builder bb;
    size_t n;
    tether_coap_msg saved;
    uint8_t saved_buf[256];
    size_t saved_len;
    tether_time t0;

    fx_stop(f);
    fx_config(f);
    f->cfg.request_timeout_ms = 20000;
    fx_start(f);
    dev = reg(f, "ep=d&lt=600", "</3/0>");
    t0 = f->now;
    r.op = TETHER_SERVER_OP_READ;
    r.path = "/3/0/0";
    r.accept = TETHER_SERVER_NO_FORMAT;
    r.timeout_ms = 5000;
    assert_int_equal(tether_server_submit(f->srv, f->now, "d", &r, on_resp, &a, NULL), 0);
    assert_true(fx_pop(f));
    memcpy(saved_buf, f->out, f->out_len);
    saved_len = f->out_len;
    empty_ack(f, &dev); /* the client will answer separately... */
    assert_int_equal(tether_server_read(f->srv, f->now, "d", "/3/0/1", TETHER_SERVER_NO_FORMAT,
                                        on_resp, &b),
                     0);
    assert_true(fx_pop(f));
    empty_ack(f, &dev);
    assert_true(tether_server_next_deadline(f->srv) <= t0 + 5000);
    fx_at(f, t0 + 4999);
    assert_int_equal(a.calls, 0);
    fx_at(f, t0 + 5000);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.status, TETHER_ERR_TIMEOUT);
    assert_int_equal(a.code, 0);
    assert_non_null(strstr(a.reason, "ep=d did not answer read within 5000 ms"));
    fx_at(f, t0 + 19999);
    assert_int_equal(b.calls, 0);
    fx_at(f, t0 + 20000);
    assert_int_equal(b.calls, 1);
    assert_int_equal(b.status, TETHER_ERR_TIMEOUT);
    assert_non_null(strstr(b.reason, "20000 ms"));
    /* ...too late: the separate response is refused with RST, nobody is
     * called again. */
    assert_int_equal(tether_coap_parse(&saved, saved_buf, saved_len), 0);
    tether_coap_build_init(&bb, late, sizeof(late), TETHER_COAP_CON, TETHER_COAP_CONTENT, 0x7777,
                           saved.token, saved.tkl);
    tether_coap_build_payload(&bb, "x", 1);
    assert_int_equal(tether_coap_build_finish(&bb, &n), 0);
    assert_int_equal(tether_server_recv(f->srv, f->now, &dev, late, n), 0);
    assert_true(fx_pop(f));
    assert_int_equal(f->msg.type, TETHER_COAP_RST);
    assert_int_equal(a.calls, 1);
    assert_int_equal(b.calls, 1);
    {
        tether_server_stats st;
        tether_server_get_stats(f->srv, &st);
        assert_int_equal(st.requests, 2);
        assert_int_equal(st.requests_failed, 2);
        assert_int_equal(st.in_flight, 0);
    }
}

/* Without an answer the CoAP layer gives up first (about 93 s with the
 * RFC 7252 defaults, under the 120 s default timeout). */
static void test_dm_ops_coap_gives_up_before_the_default_timeout(void **state)
{
    fx *f = *state;
    rlog l = {0};

    (void)reg(f, "ep=d&lt=600", "</3/0>");
    assert_int_equal(tether_server_read(f->srv, f->now, "d", "/3/0/0", TETHER_SERVER_NO_FORMAT,
                                        on_resp, &l),
                     0);
    for (int i = 0; i < 200 && l.calls == 0; i++) {
        fx_at(f, f->now + 1000);
        while (fx_pop(f))
            ;
    }
    assert_int_equal(l.calls, 1);
    assert_int_equal(l.status, TETHER_ERR_TIMEOUT);
    assert_non_null(strstr(l.reason, "CoAP gave up"));
}

static void test_dm_ops_cancel_by_the_caller(void **state)
{
    fx *f = *state;
    tether_peer dev = reg(f, "ep=d&lt=60", "</3/0>");
    tether_server_request r = {0};
    tether_server_req_id id = 0;
    rlog l = {0};

    r.op = TETHER_SERVER_OP_READ;
    r.path = "/3/0";
    r.accept = TETHER_SERVER_NO_FORMAT;
    assert_int_equal(tether_server_submit(f->srv, f->now, "d", &r, on_resp, &l, &id), 0);
    assert_true(fx_pop(f));
    assert_int_equal(tether_server_cancel(f->srv, f->now, id, TETHER_SERVER_CANCEL_PASSIVE), 0);
    assert_int_equal(l.calls, 1);
    assert_int_equal(l.status, TETHER_ERR_CANCELLED);
    assert_string_equal(l.reason, "cancelled by the caller");
    assert_int_equal(tether_server_cancel(f->srv, f->now, id, TETHER_SERVER_CANCEL_PASSIVE),
                     TETHER_ERR_NOT_FOUND);
    /* The answer that still comes is nobody's: RST. */
    answer(f, &dev, TETHER_COAP_CONTENT, NULL, "x", 1);
    assert_int_equal(l.calls, 1);
}

/* A callback that submits another request and cancels a third. */
typedef struct chain {
    fx *f;
    rlog first, second, third;
    tether_server_req_id third_id;
} chain;

static void on_first(void *arg, tether_time now, int status, const tether_server_response *r)
{
    chain *c = arg;
    on_resp(&c->first, now, status, r);
    assert_int_equal(tether_server_read(c->f->srv, now, "d", "/3/0/2", TETHER_SERVER_NO_FORMAT,
                                        on_resp, &c->second),
                     0);
    assert_int_equal(tether_server_cancel(c->f->srv, now, c->third_id, TETHER_SERVER_CANCEL_PASSIVE),
                     0);
    assert_int_equal(c->third.calls, 1);
}

static void test_dm_ops_callbacks_chain_requests(void **state)
{
    fx *f = *state;
    tether_peer dev = reg(f, "ep=d&lt=60", "</3/0>");
    tether_server_request r = {0};
    chain c;
    uint8_t first[256];
    size_t first_len;

    memset(&c, 0, sizeof(c));
    c.f = f;
    assert_int_equal(tether_server_read(f->srv, f->now, "d", "/3/0/0", TETHER_SERVER_NO_FORMAT,
                                        on_first, &c),
                     0);
    assert_true(fx_pop(f));
    memcpy(first, f->out, f->out_len);
    first_len = f->out_len;
    r.op = TETHER_SERVER_OP_READ;
    r.path = "/3/0/1";
    r.accept = TETHER_SERVER_NO_FORMAT;
    assert_int_equal(tether_server_submit(f->srv, f->now, "d", &r, on_resp, &c.third, &c.third_id), 0);
    assert_true(fx_pop(f));
    assert_int_equal(tether_coap_parse(&f->msg, first, first_len), 0);
    answer(f, &dev, TETHER_COAP_CONTENT, NULL, "a", 1);
    assert_int_equal(c.first.calls, 1);
    assert_int_equal(c.third.status, TETHER_ERR_CANCELLED);
    assert_true(fx_pop(f));
    assert_string_equal(fx_path(f), "3/0/2");
    answer(f, &dev, TETHER_COAP_CONTENT, NULL, "b", 1);
    assert_int_equal(c.second.calls, 1);
    assert_int_equal(c.second.status, 0);
}

/* --- the registration going away -------------------------------------------------- */

static void test_R6_requests_fail_when_the_registration_expires(void **state)
{
    fx *f = *state;
    rlog l = {0};
    tether_time t0 = f->now;

    (void)reg(f, "ep=d&lt=30", "</3/0>");
    assert_int_equal(tether_server_read(f->srv, f->now, "d", "/3/0/0", TETHER_SERVER_NO_FORMAT,
                                        on_resp, &l),
                     0);
    /* Lost in the network: the CoAP layer keeps retransmitting. */
    while (fx_pop(f))
        ;
    f->now = t0 + 29999;
    fx_at(f, f->now);
    assert_int_equal(l.calls, 0);
    fx_at(f, t0 + 30000);
    assert_null(tether_server_find_ep(f->srv, "d", 1));
    assert_int_equal(l.calls, 1);
    assert_int_equal(l.status, TETHER_ERR_CANCELLED);
    assert_string_equal(l.reason, "ep=d's registration expired (R6)");
    assert_string_equal(l.ep, "d");
    /* And no retransmission goes out any more (what was queued before the
     * expiry drains first). */
    while (fx_pop(f))
        ;
    fx_at(f, f->now + 60000);
    if (fx_pop(f))
        fail_msg("sent type %d code %d path %s", f->msg.type, f->msg.code, fx_path(f));
}

static void test_dm_ops_requests_fail_on_deregister(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    char id[16];
    rlog l = {0};

    assert_int_equal(fx_register(f, &dev, "ep=d&lt=60", "</3/0>", id), TETHER_COAP_CREATED);
    assert_int_equal(tether_server_read(f->srv, f->now, "d", "/3/0/0", TETHER_SERVER_NO_FORMAT,
                                        on_resp, &l),
                     0);
    assert_true(fx_pop(f));
    assert_int_equal(fx_deregister(f, &dev, id), TETHER_COAP_DELETED);
    assert_int_equal(l.calls, 1);
    assert_int_equal(l.status, TETHER_ERR_CANCELLED);
    assert_string_equal(l.reason, "ep=d de-registered");
    /* A request after that: the endpoint is unknown. */
    assert_int_equal(tether_server_read(f->srv, f->now, "d", "/3/0/0", TETHER_SERVER_NO_FORMAT,
                                        on_resp, &l),
                     TETHER_ERR_NOT_FOUND);
    assert_int_equal(l.calls, 1);
}

static void test_R15_requests_fail_when_the_registration_is_replaced(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    char id[16];
    rlog l = {0};

    assert_int_equal(fx_register(f, &dev, "ep=d&lt=60", "</3/0>", id), TETHER_COAP_CREATED);
    assert_int_equal(tether_server_read(f->srv, f->now, "d", "/3/0/0", TETHER_SERVER_NO_FORMAT,
                                        on_resp, &l),
                     0);
    assert_true(fx_pop(f));
    assert_int_equal(fx_register(f, &dev, "ep=d&lt=60", "</3/0>", id), TETHER_COAP_CREATED);
    assert_int_equal(l.calls, 1);
    assert_int_equal(l.status, TETHER_ERR_CANCELLED);
    assert_non_null(strstr(l.reason, "registered again (R15)"));
    assert_int_equal(fx_count(f, TETHER_SERVER_EV_REPLACED), 1);
}

/* --- block-wise ----------------------------------------------------------------- */

static void test_dm_ops_block2_answer_is_reassembled(void **state)
{
    fx *f = *state;
    tether_peer dev = reg(f, "ep=d&lt=60", "</lwm2m>;rt=\"oma.lwm2m\",</lwm2m/3/0>");
    uint8_t body[150];
    tether_coap_block blk;
    rlog l = {0};
    uint32_t v;

    for (size_t i = 0; i < sizeof(body); i++)
        body[i] = (uint8_t)(i * 7);
    assert_int_equal(tether_server_read(f->srv, f->now, "d", "/3/0", TETHER_FMT_TLV, on_resp, &l), 0);
    assert_true(fx_pop(f));
    assert_true(opt_absent(f, TETHER_COAP_OPT_BLOCK2));
    /* 64-byte blocks: 0 and 1 full, 2 with the last 22 bytes. */
    for (uint32_t n = 0; n < 3; n++) {
        tether_coap_block b2 = {n, n < 2, 2};
        size_t off = n * 64, len = n < 2 ? 64 : sizeof(body) - 128;
        if (n > 0) {
            assert_true(fx_pop(f));
            assert_int_equal(f->msg.code, TETHER_COAP_GET);
            assert_string_equal(fx_path(f), "lwm2m/3/0");
            assert_int_equal(tether_coap_accept(&f->msg, &v), 0);
            assert_int_equal(v, TETHER_FMT_TLV);
            assert_int_equal(tether_coap_block_get(&f->msg, TETHER_COAP_OPT_BLOCK2, &blk), 0);
            assert_int_equal(blk.num, n);
            assert_int_equal(blk.szx, 2);
            assert_int_equal(blk.more, 0);
        }
        answer(f, &dev, TETHER_COAP_CONTENT,
               &(ans_opts){.cf = n == 0 ? TETHER_FMT_TLV : -1, .block2 = &b2,
                           .size2 = n == 0 ? sizeof(body) : 0},
               body + off, len);
        assert_int_equal(l.calls, n < 2 ? 0 : 1);
    }
    assert_int_equal(l.status, 0);
    assert_int_equal(l.cf, TETHER_FMT_TLV);
    assert_int_equal(l.len, sizeof(body));
    assert_memory_equal(l.payload, body, sizeof(body));
    assert_false(fx_pop(f));
}

/* An Execute (POST) answered with a body in Block2 blocks: RFC 7959 §2.4
 * asks for the rest "with the same options as the initial request", and
 * §3.3 shows it for POST: POST again with Block2, no payload, not GET. */
static void test_dm_ops_block2_answer_to_execute_continues_with_post(void **state)
{
    fx *f = *state;
    tether_peer dev = reg(f, "ep=d&lt=60", "</3/0>");
    uint8_t body[100];
    tether_coap_block blk;
    rlog l = {0};
    uint32_t cf;

    for (size_t i = 0; i < sizeof(body); i++)
        body[i] = (uint8_t)('a' + i % 26);
    assert_int_equal(tether_server_execute(f->srv, f->now, "d", "/3/0/4", "5", 1, on_resp, &l), 0);
    assert_true(fx_pop(f));
    assert_int_equal(f->msg.code, TETHER_COAP_POST);
    assert_int_equal(f->msg.payload_len, 1);
    for (uint32_t n = 0; n < 4; n++) {
        tether_coap_block b2 = {n, n < 3, 1}; /* 32-byte blocks: 32, 32, 32, 4 */
        size_t off = n * 32, len = n < 3 ? 32 : sizeof(body) - 96;
        if (n > 0) {
            assert_true(fx_pop(f));
            assert_int_equal(f->msg.code, TETHER_COAP_POST);
            assert_string_equal(fx_path(f), "3/0/4");
            assert_int_equal(tether_coap_block_get(&f->msg, TETHER_COAP_OPT_BLOCK2, &blk), 0);
            assert_int_equal(blk.num, n);
            assert_int_equal(blk.szx, 1);
            assert_int_equal(f->msg.payload_len, 0); /* the arguments are not sent again */
            assert_int_not_equal(tether_coap_content_format(&f->msg, &cf), 0);
        }
        answer(f, &dev, TETHER_COAP_CHANGED,
               &(ans_opts){.cf = n == 0 ? TETHER_FMT_TEXT : -1, .block2 = &b2}, body + off, len);
        assert_int_equal(l.calls, n < 3 ? 0 : 1);
    }
    assert_int_equal(l.status, 0);
    assert_int_equal(l.code, TETHER_COAP_CHANGED);
    assert_int_equal(l.cf, TETHER_FMT_TEXT);
    assert_int_equal(l.len, sizeof(body));
    assert_memory_equal(l.payload, body, sizeof(body));
    assert_false(fx_pop(f));
}

/* A Create sent in Block1 blocks whose last answer starts a Block2 body
 * (RFC 7959 §3.3): the rest comes with POST and Block2 only. */
static void test_dm_ops_block1_create_then_block2_answer(void **state)
{
    fx *f = *state;
    tether_peer dev = reg(f, "ep=d&lt=60", "</3303>");
    static uint8_t req[1500];
    uint8_t ans[40];
    tether_coap_block blk;
    rlog l = {0};
    int blocks = 0;

    memset(req, 0x11, sizeof(req));
    memset(ans, 'z', sizeof(ans));
    assert_int_equal(tether_server_create(f->srv, f->now, "d", "/3303", TETHER_FMT_OPAQUE, req,
                                          sizeof(req), on_resp, &l),
                     0);
    for (;;) {
        assert_true(fx_pop(f));
        assert_int_equal(f->msg.code, TETHER_COAP_POST);
        assert_int_equal(tether_coap_block_get(&f->msg, TETHER_COAP_OPT_BLOCK1, &blk), 0);
        blocks++;
        if (!blk.more)
            break;
        answer(f, &dev, TETHER_COAP_CONTINUE, &(ans_opts){.cf = -1, .block1 = &blk}, NULL, 0);
    }
    assert_int_equal(blocks, 2);
    {
        tether_coap_block b2 = {0, 1, 1};
        answer(f, &dev, TETHER_COAP_CREATED,
               &(ans_opts){.cf = -1, .block1 = &blk, .block2 = &b2, .location = "3303/4"}, ans, 32);
    }
    assert_int_equal(l.calls, 0);
    assert_true(fx_pop(f));
    assert_int_equal(f->msg.code, TETHER_COAP_POST);
    assert_string_equal(fx_path(f), "3303");
    assert_int_equal(tether_coap_block_get(&f->msg, TETHER_COAP_OPT_BLOCK2, &blk), 0);
    assert_int_equal(blk.num, 1);
    assert_true(opt_absent(f, TETHER_COAP_OPT_BLOCK1));
    assert_int_equal(f->msg.payload_len, 0);
    {
        tether_coap_block b2 = {1, 0, 1};
        answer(f, &dev, TETHER_COAP_CREATED, &(ans_opts){.cf = -1, .block2 = &b2}, ans + 32, 8);
    }
    assert_int_equal(l.calls, 1);
    assert_int_equal(l.status, 0);
    assert_int_equal(l.code, TETHER_COAP_CREATED);
    assert_int_equal(l.len, sizeof(ans));
    assert_false(fx_pop(f));
}

static void test_dm_ops_block2_answer_too_large(void **state)
{
    fx *f = *state;
    tether_peer dev;
    tether_coap_block b2 = {0, 1, 6};
    static uint8_t block[1024];
    rlog l = {0};

    fx_stop(f);
    fx_config(f);
    f->cfg.max_response_body = 2048;
    fx_start(f);
    dev = reg(f, "ep=d&lt=60", "</3/0>");
    /* Size2 says it will not fit: refused at once. */
    assert_int_equal(tether_server_read(f->srv, f->now, "d", "/3/0", TETHER_SERVER_NO_FORMAT,
                                        on_resp, &l),
                     0);
    assert_true(fx_pop(f));
    answer(f, &dev, TETHER_COAP_CONTENT, &(ans_opts){.cf = -1, .block2 = &b2, .size2 = 4096}, block,
           sizeof(block));
    assert_int_equal(l.calls, 1);
    assert_int_equal(l.status, TETHER_ERR_TOO_LARGE);
    assert_non_null(strstr(l.reason, "max_response_body"));
    /* Without Size2: the third block overflows. */
    assert_int_equal(tether_server_read(f->srv, f->now, "d", "/3/0", TETHER_SERVER_NO_FORMAT,
                                        on_resp, &l),
                     0);
    for (uint32_t n = 0; n < 3; n++) {
        tether_coap_block b = {n, 1, 6};
        assert_true(fx_pop(f));
        answer(f, &dev, TETHER_COAP_CONTENT, &(ans_opts){.cf = -1, .block2 = &b}, block,
               sizeof(block));
    }
    assert_int_equal(l.calls, 2);
    assert_int_equal(l.status, TETHER_ERR_TOO_LARGE);
    assert_false(fx_pop(f));
}

static void test_dm_ops_block1_write_of_a_large_payload(void **state)
{
    fx *f = *state;
    tether_peer dev = reg(f, "ep=d&lt=60", "</3/0>");
    static uint8_t body[2500];
    tether_coap_block blk;
    uint32_t size1, cf;
    size_t got = 0;
    rlog l = {0};

    for (size_t i = 0; i < sizeof(body); i++)
        body[i] = (uint8_t)(i ^ (i >> 8));
    assert_int_equal(tether_server_write(f->srv, f->now, "d", "/3/0/1", TETHER_FMT_OPAQUE, body,
                                         sizeof(body), 0, on_resp, &l),
                     0);
    for (uint32_t n = 0;; n++) {
        assert_true(fx_pop(f));
        assert_int_equal(f->msg.code, TETHER_COAP_PUT);
        assert_string_equal(fx_path(f), "3/0/1");
        assert_int_equal(tether_coap_content_format(&f->msg, &cf), 0);
        assert_int_equal(cf, TETHER_FMT_OPAQUE);
        assert_int_equal(tether_coap_block_get(&f->msg, TETHER_COAP_OPT_BLOCK1, &blk), 0);
        assert_int_equal(blk.num, n);
        assert_int_equal(blk.szx, 6);
        assert_int_equal(tether_coap_opt_uint(&f->msg, TETHER_COAP_OPT_SIZE1, &size1),
                         n == 0 ? 0 : TETHER_ERR_NOT_FOUND);
        if (n == 0)
            assert_int_equal(size1, sizeof(body));
        assert_memory_equal(f->msg.payload, body + got, f->msg.payload_len);
        got += f->msg.payload_len;
        if (!blk.more) {
            answer(f, &dev, TETHER_COAP_CHANGED, &(ans_opts){.cf = -1, .block1 = &blk}, NULL, 0);
            break;
        }
        assert_int_equal(f->msg.payload_len, 1024);
        answer(f, &dev, TETHER_COAP_CONTINUE, &(ans_opts){.cf = -1, .block1 = &blk}, NULL, 0);
        assert_int_equal(l.calls, 0);
    }
    assert_int_equal(got, sizeof(body));
    assert_int_equal(l.calls, 1);
    assert_int_equal(l.status, 0);
    assert_int_equal(l.code, TETHER_COAP_CHANGED);
}

/* The client asks for smaller blocks (RFC 7959 §2.5): the next block
 * starts where the acknowledged bytes end, in the new size. */
static void test_dm_ops_block1_follows_a_smaller_block_size(void **state)
{
    fx *f = *state;
    tether_peer dev = reg(f, "ep=d&lt=60", "</3/0>");
    static uint8_t body[1500];
    tether_coap_block blk, ask = {0, 1, 4}; /* 256 */
    rlog l = {0};

    memset(body, 0x5A, sizeof(body));
    assert_int_equal(tether_server_write(f->srv, f->now, "d", "/3/0/1", TETHER_FMT_OPAQUE, body,
                                         sizeof(body), 1, on_resp, &l),
                     0);
    assert_true(fx_pop(f));
    assert_int_equal(f->msg.code, TETHER_COAP_POST);
    assert_int_equal(tether_coap_block_get(&f->msg, TETHER_COAP_OPT_BLOCK1, &blk), 0);
    assert_int_equal(blk.szx, 6);
    answer(f, &dev, TETHER_COAP_CONTINUE, &(ans_opts){.cf = -1, .block1 = &ask}, NULL, 0);
    assert_true(fx_pop(f));
    assert_int_equal(tether_coap_block_get(&f->msg, TETHER_COAP_OPT_BLOCK1, &blk), 0);
    assert_int_equal(blk.szx, 4);
    assert_int_equal(blk.num, 4); /* byte 1024 in 256-byte blocks */
    assert_int_equal(f->msg.payload_len, 256);
    /* The client gives up with 4.13 it cannot be helped with. */
    answer(f, &dev, TETHER_COAP_REQUEST_ENTITY_TOO_LARGE, NULL, NULL, 0);
    assert_int_equal(l.calls, 1);
    assert_int_equal(l.status, 0);
    assert_int_equal(l.code, TETHER_COAP_REQUEST_ENTITY_TOO_LARGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dm_ops_read_with_accept_under_the_root, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_dm_ops_discover_parses_links_and_attributes, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_dm_ops_create_reads_the_new_instance_id, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_dm_ops_delete_an_instance, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_dm_ops_write_attributes_query, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_dm_ops_write_attributes_validation, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_dm_ops_execute_arguments, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_dm_ops_timeout_per_call_and_default, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_dm_ops_coap_gives_up_before_the_default_timeout, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_dm_ops_cancel_by_the_caller, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_dm_ops_callbacks_chain_requests, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R6_requests_fail_when_the_registration_expires, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_dm_ops_requests_fail_on_deregister, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R15_requests_fail_when_the_registration_is_replaced, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_dm_ops_block2_answer_is_reassembled, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_dm_ops_block2_answer_too_large, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_dm_ops_block2_answer_to_execute_continues_with_post, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_dm_ops_block1_create_then_block2_answer, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_dm_ops_block1_write_of_a_large_payload, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_dm_ops_block1_follows_a_smaller_block_size, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
