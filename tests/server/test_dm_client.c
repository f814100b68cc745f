/* SPDX-License-Identifier: Apache-2.0 */
/* Device management end to end: the server engine's Read, Write (text and
 * typed values), Execute, Discover, Create, Delete and Write-Attributes
 * against the real client engine and its objects (Device /3 and a
 * temperature object /3303 from tests/client/observe_harness.h), both
 * sans-I/O, wired together in memory on one virtual clock. What the
 * server's callbacks receive, and what the client's objects hold after,
 * prove both sides. Observation end to end is in
 * tests/client/test_observe_server.c. */
#define DUO_SEED 0xBEEF
#include "common/duo.h"
#include "client/observe_harness.h"
#include "tether/model.h"

typedef struct got {
    int calls;
    int status;
    uint8_t code;
    uint32_t cf;
    char payload[512];
    size_t len;
    uint16_t created_iid;
    size_t n_links;
    tether_server_link links[16];
    size_t n_values;
    tether_server_value values[16];
    char strs[16][32];
    int values_status;
} got;

typedef struct world {
    harness h;
    sensor s;
    tether_server *srv;
    tether_model_registry *models;
    tether_peer client_peer;
} world;

static void on_got(void *arg, tether_time now, int status, const tether_server_response *r)
{
    got *g = arg;
    (void)now;
    g->calls++;
    g->status = status;
    g->code = r->code;
    g->cf = r->content_format;
    g->len = r->payload_len;
    snprintf(g->payload, sizeof(g->payload), "%.*s", (int)r->payload_len,
             r->payload ? (const char *)r->payload : "");
    g->created_iid = r->created_iid;
    g->n_links = r->n_links < 16 ? r->n_links : 16;
    for (size_t i = 0; i < g->n_links; i++)
        g->links[i] = r->links[i];
    g->values_status = r->values_status;
    g->n_values = r->n_values < 16 ? r->n_values : 16;
    for (size_t i = 0; i < g->n_values; i++) {
        g->values[i] = r->values[i];
        g->strs[i][0] = '\0';
        if (r->values[i].value.type == TETHER_LWM2M_STRING)
            snprintf(g->strs[i], sizeof(g->strs[i]), "%.*s", (int)r->values[i].value.bytes.len,
                     (const char *)r->values[i].value.bytes.ptr);
    }
}

static void pump(world *w)
{
    duo_pump(&w->h, w->srv, &w->client_peer, NULL, NULL);
}

static void setup_world(world *w)
{
    tether_server_config cfg;

    memset(w, 0, sizeof(*w));
    h_init_cfg(&w->h, "dev1");
    h_init_client(&w->h);
    w->s.value[0] = 21.5;
    w->s.exists[0] = 1; /* /3303/1 does not exist yet */
    assert_int_equal(tether_client_add_object(w->h.c, w->h.now, &sensor_obj, &w->s), 0);
    h_add_server(&w->h, 0, 1, 600, NULL);
    w->client_peer = h_peer(9);
    assert_int_equal(tether_model_registry_new(&w->models, NULL, NULL), 0);
    duo_config(&cfg);
    cfg.models = w->models;
    assert_int_equal(tether_server_new(&w->srv, &cfg, NULL, w), 0);
    assert_int_equal(tether_client_start(w->h.c, w->h.now), 0);
    pump(w);
    assert_int_equal(tether_client_server_state(w->h.c, 1), TETHER_CLIENT_REGISTERED);
    assert_non_null(tether_server_find_ep(w->srv, "dev1", 4));
}

static void teardown_world(world *w)
{
    tether_server_free(w->srv);
    tether_client_fini(w->h.c);
    tether_model_registry_free(w->models);
}

static const tether_server_value *value_at(const got *g, uint16_t res)
{
    for (size_t i = 0; i < g->n_values; i++)
        if (g->values[i].path.len >= 3 && g->values[i].path.ids[2] == res)
            return &g->values[i];
    return NULL;
}

static void test_dm_client_read_typed_by_the_models(void **state)
{
    world w;
    got g = {0};
    const tether_server_value *v;
    (void)state;

    setup_world(&w);
    assert_int_equal(tether_server_read(w.srv, w.h.now, "dev1", "/3/0", TETHER_FMT_TLV, on_got, &g), 0);
    pump(&w);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.status, 0);
    assert_int_equal(g.code, TETHER_COAP_CONTENT);
    assert_int_equal(g.cf, TETHER_FMT_TLV);
    assert_int_equal(g.values_status, 0);
    v = value_at(&g, 0); /* Manufacturer */
    assert_non_null(v);
    assert_int_equal(v->err, 0);
    assert_int_equal(v->value.type, TETHER_LWM2M_STRING);
    assert_string_equal(g.strs[v - g.values], "Tether");
    /* A single resource as text. */
    assert_int_equal(tether_server_read(w.srv, w.h.now, "dev1", "/1/0/1", TETHER_FMT_TEXT, on_got, &g),
                     0);
    pump(&w);
    assert_int_equal(g.calls, 2);
    assert_string_equal(g.payload, "600");
    assert_int_equal(g.n_values, 1);
    assert_int_equal(g.values[0].value.type, TETHER_LWM2M_INTEGER);
    assert_int_equal(g.values[0].value.i, 600);
    /* Unknown objects are the client's 4.04, delivered as an answer. */
    assert_int_equal(tether_server_read(w.srv, w.h.now, "dev1", "/9999/0", TETHER_SERVER_NO_FORMAT,
                                        on_got, &g),
                     0);
    pump(&w);
    assert_int_equal(g.status, 0);
    assert_int_equal(g.code, TETHER_COAP_NOT_FOUND);
    teardown_world(&w);
}

static void test_dm_client_write_text_and_typed_values(void **state)
{
    world w;
    got g = {0};
    tether_server_request r = {0};
    tether_lwm2m_record rec;
    (void)state;

    setup_world(&w);
    assert_int_equal(tether_server_write(w.srv, w.h.now, "dev1", "/3303/0/5750", TETHER_FMT_TEXT, "42",
                                         2, 0, on_got, &g),
                     0);
    pump(&w);
    assert_int_equal(g.code, TETHER_COAP_CHANGED);
    assert_int_equal(w.s.count[0], 42);
    /* Typed, partial update of the instance, in TLV. */
    memset(&rec, 0, sizeof(rec));
    rec.path = tether_lwm2m_path_make(3, T_OID, 0, T_COUNT, 0);
    rec.value = tether_lwm2m_value_int(-7);
    r.op = TETHER_SERVER_OP_WRITE_PARTIAL;
    r.path = "/3303/0";
    r.format = TETHER_FMT_TLV;
    assert_int_equal(tether_server_submit_values(w.srv, w.h.now, "dev1", &r, &rec, 1, on_got, &g, NULL),
                     0);
    pump(&w);
    assert_int_equal(g.calls, 2);
    assert_int_equal(g.code, TETHER_COAP_CHANGED);
    assert_int_equal(w.s.count[0], -7);
    /* R19 on the client: a read-only resource refuses, nothing changes. */
    assert_int_equal(tether_server_write(w.srv, w.h.now, "dev1", "/3303/0/5700", TETHER_FMT_TEXT, "1.5",
                                         3, 0, on_got, &g),
                     0);
    pump(&w);
    assert_int_equal(g.code, TETHER_COAP_METHOD_NOT_ALLOWED);
    assert_true(w.s.value[0] == 21.5);
    teardown_world(&w);
}

static void test_dm_client_execute_with_arguments(void **state)
{
    world w;
    got g = {0};
    (void)state;

    setup_world(&w);
    assert_int_equal(tether_server_execute(w.srv, w.h.now, "dev1", "/3303/0/5605", "0='now',1", 9,
                                           on_got, &g),
                     0);
    pump(&w);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.code, TETHER_COAP_CHANGED);
    assert_int_equal(tether_server_execute(w.srv, w.h.now, "dev1", "/3303/0/5700", NULL, 0, on_got, &g),
                     0);
    pump(&w);
    assert_int_equal(g.code, TETHER_COAP_METHOD_NOT_ALLOWED);
    teardown_world(&w);
}

static void test_dm_client_write_attributes_then_discover(void **state)
{
    world w;
    got g = {0};
    tether_server_attrs a = {0};
    int found = 0;
    (void)state;

    setup_world(&w);
    a.set = TETHER_ATTR_PMIN | TETHER_ATTR_PMAX | TETHER_ATTR_ST;
    a.pmin = 5;
    a.pmax = 60;
    a.st = 0.5;
    assert_int_equal(tether_server_write_attrs(w.srv, w.h.now, "dev1", "/3303/0/5700", &a, on_got, &g),
                     0);
    pump(&w);
    assert_int_equal(g.code, TETHER_COAP_CHANGED);
    assert_int_equal(tether_server_discover(w.srv, w.h.now, "dev1", "/3303/0", on_got, &g), 0);
    pump(&w);
    assert_int_equal(g.calls, 2);
    assert_int_equal(g.code, TETHER_COAP_CONTENT);
    assert_int_equal(g.cf, TETHER_FMT_LINK);
    assert_true(g.n_links >= 5); /* the instance and its four resources */
    assert_int_equal(g.links[0].path.len, 2);
    for (size_t i = 0; i < g.n_links; i++) {
        if (g.links[i].path.len == 3 && g.links[i].path.ids[2] == T_VALUE) {
            found = 1;
            assert_int_equal(g.links[i].attrs.set & (TETHER_ATTR_PMIN | TETHER_ATTR_PMAX | TETHER_ATTR_ST),
                             TETHER_ATTR_PMIN | TETHER_ATTR_PMAX | TETHER_ATTR_ST);
            assert_int_equal(g.links[i].attrs.pmin, 5);
            assert_int_equal(g.links[i].attrs.pmax, 60);
            assert_true(g.links[i].attrs.st == 0.5);
        }
    }
    assert_true(found);
    teardown_world(&w);
}

static void test_dm_client_create_then_delete(void **state)
{
    world w;
    got g = {0};
    tether_server_request r = {0};
    tether_lwm2m_record rec;
    (void)state;

    setup_world(&w);
    memset(&rec, 0, sizeof(rec));
    rec.path = tether_lwm2m_path_make(3, T_OID, 1, T_COUNT, 0);
    rec.value = tether_lwm2m_value_int(3);
    r.op = TETHER_SERVER_OP_CREATE;
    r.path = "/3303";
    r.format = TETHER_FMT_TLV;
    assert_int_equal(tether_server_submit_values(w.srv, w.h.now, "dev1", &r, &rec, 1, on_got, &g, NULL),
                     0);
    pump(&w);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.code, TETHER_COAP_CREATED);
    assert_int_equal(g.created_iid, 1);
    assert_true(w.s.exists[1]);
    assert_int_equal(w.s.count[1], 3);
    assert_int_equal(tether_server_delete(w.srv, w.h.now, "dev1", "/3303/1", on_got, &g), 0);
    pump(&w);
    assert_int_equal(g.code, TETHER_COAP_DELETED);
    assert_false(w.s.exists[1]);
    assert_int_equal(tether_server_read(w.srv, w.h.now, "dev1", "/3303/1", TETHER_SERVER_NO_FORMAT,
                                        on_got, &g),
                     0);
    pump(&w);
    assert_int_equal(g.code, TETHER_COAP_NOT_FOUND);
    teardown_world(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dm_client_read_typed_by_the_models),
        cmocka_unit_test(test_dm_client_write_text_and_typed_values),
        cmocka_unit_test(test_dm_client_execute_with_arguments),
        cmocka_unit_test(test_dm_client_write_attributes_then_discover),
        cmocka_unit_test(test_dm_client_create_then_delete),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
