/* SPDX-License-Identifier: Apache-2.0 */
/* Typed values in and out of device management (src/server/dm_values.c):
 * records encoded into Write / Create payloads in TLV, SenML JSON and text,
 * and Read answers and notifications decoded into values typed by the
 * object models (or left as the format gave them, with a reason). */
#include "server/server_fixture.h"

#include "tether/lwm2m_fmt.h"
#include "tether/model.h"

typedef struct vfx {
    fx f;
    tether_model_registry *models;
} vfx;

static int setup(void **state)
{
    vfx *v = calloc(1, sizeof(vfx));
    fx_config(&v->f);
    assert_int_equal(tether_model_registry_new(&v->models, NULL, NULL), 0);
    v->f.cfg.models = v->models;
    fx_start(&v->f);
    *state = v;
    return 0;
}

static int teardown(void **state)
{
    vfx *v = *state;
    fx_stop(&v->f);
    tether_model_registry_free(v->models);
    free(v);
    return 0;
}

/* What a callback saw, values copied out. */
typedef struct vlog {
    int calls;
    int status;
    uint8_t code;
    int values_status;
    size_t n;
    tether_server_value v[16];
    char str[16][32];
} vlog;

static void on_resp(void *arg, tether_time now, int status, const tether_server_response *r)
{
    vlog *l = arg;
    (void)now;
    l->calls++;
    l->status = status;
    l->code = r->code;
    l->values_status = r->values_status;
    l->n = r->n_values;
    assert_true(r->n_values == 0 || r->values != NULL);
    for (size_t i = 0; i < r->n_values && i < 16; i++) {
        l->v[i] = r->values[i];
        if (r->values[i].value.type == TETHER_LWM2M_STRING ||
            r->values[i].value.type == TETHER_LWM2M_OPAQUE) {
            snprintf(l->str[i], sizeof(l->str[i]), "%.*s", (int)r->values[i].value.bytes.len,
                     (const char *)r->values[i].value.bytes.ptr);
            l->v[i].value.bytes.ptr = NULL; /* do not keep the borrowed view */
        }
    }
}

static tether_lwm2m_path P(uint8_t len, uint16_t a, uint16_t b, uint16_t c, uint16_t d)
{
    return tether_lwm2m_path_make(len, a, b, c, d);
}

static tether_lwm2m_record rec(tether_lwm2m_path p, tether_lwm2m_value v)
{
    tether_lwm2m_record r;
    memset(&r, 0, sizeof(r));
    r.path = p;
    r.value = v;
    return r;
}

static tether_peer reg(fx *f)
{
    tether_peer dev = fx_peer(0, 1);
    char id[16];
    assert_int_equal(fx_register(f, &dev, "ep=d&lt=600", "</3/0>,</3303/0>", id), TETHER_COAP_CREATED);
    return dev;
}

/* Decode what the server sent back into records, to check the payload. */
static size_t decode_sent(fx *f, uint32_t ct, const tether_lwm2m_path *base,
                          tether_lwm2m_record *out, size_t max)
{
    static tether_json_token tok[64];
    static uint8_t scratch[256];
    tether_lwm2m_workspace ws = {tok, 64, scratch, sizeof(scratch)};
    tether_lwm2m_dec d;
    size_t n = 0;

    assert_int_equal(tether_lwm2m_dec_init(&d, ct, base, f->msg.payload, f->msg.payload_len, &ws), 0);
    while (n < max && tether_lwm2m_dec_next(&d, &out[n]) == 0)
        n++;
    return n;
}

/* --- in ------------------------------------------------------------------------ */

static void test_dm_values_write_tlv_in_path_order(void **state)
{
    vfx *v = *state;
    fx *f = &v->f;
    tether_peer dev = reg(f);
    tether_server_request r = {0};
    tether_lwm2m_record in[4], got[8];
    tether_lwm2m_path base = P(2, 3303, 0, 0, 0);
    tether_lwm2m_value x;
    uint32_t cf;
    vlog l = {0};
    size_t n;

    /* Out of order on purpose: TLV needs the multiple resource together. */
    in[0] = rec(P(4, 3303, 0, 5750, 1), tether_lwm2m_value_cstr("b"));
    in[1] = rec(P(3, 3303, 0, 5700, 0), tether_lwm2m_value_float(21.5));
    in[2] = rec(P(4, 3303, 0, 5750, 0), tether_lwm2m_value_cstr("a"));
    in[3] = rec(P(3, 3303, 0, 5701, 0), tether_lwm2m_value_cstr("Cel"));
    r.op = TETHER_SERVER_OP_WRITE_PARTIAL;
    r.path = "/3303/0";
    r.format = TETHER_FMT_TLV;
    assert_int_equal(tether_server_submit_values(f->srv, f->now, "d", &r, in, 4, on_resp, &l, NULL), 0);
    assert_true(fx_pop(f));
    assert_int_equal(f->msg.code, TETHER_COAP_POST);
    assert_string_equal(fx_path(f), "3303/0");
    assert_int_equal(tether_coap_content_format(&f->msg, &cf), 0);
    assert_int_equal(cf, TETHER_FMT_TLV);
    n = decode_sent(f, TETHER_FMT_TLV, &base, got, 8);
    assert_int_equal(n, 4);
    assert_int_equal(got[0].path.ids[2], 5700);
    assert_int_equal(tether_lwm2m_record_value(&got[0], TETHER_LWM2M_FLOAT, NULL, 0, &x), 0);
    assert_true(x.f == 21.5);
    assert_int_equal(got[1].path.ids[2], 5701);
    assert_int_equal(got[2].path.len, 4);
    assert_int_equal(got[2].path.ids[3], 0);
    assert_int_equal(got[3].path.ids[3], 1);
    assert_int_equal(tether_lwm2m_record_value(&got[3], TETHER_LWM2M_STRING, NULL, 0, &x), 0);
    assert_int_equal(x.bytes.len, 1);
    assert_memory_equal(x.bytes.ptr, "b", 1);
    fx_answer(f, &dev, TETHER_COAP_CHANGED, -1, NULL, 0);
    assert_int_equal(l.calls, 1);
    assert_int_equal(l.code, TETHER_COAP_CHANGED);
}

static void test_dm_values_write_senml_json_and_text(void **state)
{
    vfx *v = *state;
    fx *f = &v->f;
    tether_peer dev = reg(f);
    tether_server_request r = {0};
    tether_lwm2m_record in[2], got[4];
    tether_lwm2m_path base = P(2, 3, 0, 0, 0);
    vlog l = {0};
    uint32_t cf;

    in[0] = rec(P(3, 3, 0, 14, 0), tether_lwm2m_value_cstr("+02:00"));
    in[1] = rec(P(3, 3, 0, 13, 0), tether_lwm2m_value_time(1700000000));
    r.op = TETHER_SERVER_OP_WRITE_PARTIAL;
    r.path = "/3/0";
    r.format = TETHER_FMT_SENML_JSON;
    assert_int_equal(tether_server_submit_values(f->srv, f->now, "d", &r, in, 2, on_resp, &l, NULL), 0);
    assert_true(fx_pop(f));
    assert_int_equal(tether_coap_content_format(&f->msg, &cf), 0);
    assert_int_equal(cf, TETHER_FMT_SENML_JSON);
    assert_int_equal(decode_sent(f, TETHER_FMT_SENML_JSON, &base, got, 4), 2);
    /* Given order is kept for formats that name each record. */
    assert_int_equal(got[0].path.ids[2], 14);
    assert_int_equal(got[1].path.ids[2], 13);
    fx_answer(f, &dev, TETHER_COAP_CHANGED, -1, NULL, 0);

    in[0] = rec(P(3, 3, 0, 14, 0), tether_lwm2m_value_cstr("+01:00"));
    r.op = TETHER_SERVER_OP_WRITE;
    r.path = "/3/0/14";
    r.format = TETHER_FMT_TEXT;
    assert_int_equal(tether_server_submit_values(f->srv, f->now, "d", &r, in, 1, on_resp, &l, NULL), 0);
    assert_true(fx_pop(f));
    assert_int_equal(f->msg.code, TETHER_COAP_PUT);
    assert_int_equal(f->msg.payload_len, 6);
    assert_memory_equal(f->msg.payload, "+01:00", 6);
    fx_answer(f, &dev, TETHER_COAP_CHANGED, -1, NULL, 0);
    assert_int_equal(l.calls, 2);
}

static void test_dm_values_refused_up_front(void **state)
{
    vfx *v = *state;
    fx *f = &v->f;
    tether_server_request r = {0};
    tether_lwm2m_record in[2];
    vlog l = {0};

    (void)reg(f);
    in[0] = rec(P(3, 3, 0, 14, 0), tether_lwm2m_value_cstr("a"));
    in[1] = rec(P(3, 3, 0, 15, 0), tether_lwm2m_value_cstr("b"));
    r.op = TETHER_SERVER_OP_WRITE;
    r.path = "/3/0/14";
    r.format = TETHER_FMT_TEXT;
    /* text carries one value */
    assert_int_equal(tether_server_submit_values(f->srv, f->now, "d", &r, in, 2, on_resp, &l, NULL),
                     TETHER_ERR_INVAL);
    assert_non_null(strstr(tether_server_errmsg(f->srv), "/3/0/15"));
    /* a record outside the path */
    r.path = "/3/0";
    r.format = TETHER_FMT_TLV;
    in[1] = rec(P(3, 4, 0, 1, 0), tether_lwm2m_value_int(1));
    assert_int_equal(tether_server_submit_values(f->srv, f->now, "d", &r, in, 2, on_resp, &l, NULL),
                     TETHER_ERR_INVAL);
    r.format = 50;
    assert_int_equal(tether_server_submit_values(f->srv, f->now, "d", &r, in, 1, on_resp, &l, NULL),
                     TETHER_ERR_UNSUPPORTED);
    r.format = TETHER_FMT_TLV;
    r.op = TETHER_SERVER_OP_READ;
    assert_int_equal(tether_server_submit_values(f->srv, f->now, "d", &r, in, 1, on_resp, &l, NULL),
                     TETHER_ERR_INVAL);
    r.op = TETHER_SERVER_OP_WRITE;
    assert_int_equal(tether_server_submit_values(f->srv, f->now, "d", &r, in, 0, on_resp, &l, NULL),
                     TETHER_ERR_INVAL);
    assert_false(fx_pop(f));
    assert_int_equal(l.calls, 0);
}

/* --- out ------------------------------------------------------------------------ */

static void test_dm_values_read_tlv_typed_by_the_models(void **state)
{
    vfx *v = *state;
    fx *f = &v->f;
    tether_peer dev = reg(f);
    uint8_t tlv[64];
    tether_tlv_writer w;
    size_t len;
    vlog l = {0};

    tether_tlv_writer_init(&w, tlv, sizeof(tlv));
    tether_tlv_write_string(&w, TETHER_TLV_RESOURCE, 0, "Tether", 6);
    tether_tlv_write_int(&w, TETHER_TLV_RESOURCE, 9, 87);
    tether_tlv_write_int(&w, TETHER_TLV_RESOURCE, 13, 1700000000);
    tether_tlv_write_int(&w, TETHER_TLV_RESOURCE, 999, 5);
    assert_int_equal(tether_tlv_writer_finish(&w, &len), 0);
    assert_int_equal(tether_server_read(f->srv, f->now, "d", "/3/0", TETHER_FMT_TLV, on_resp, &l), 0);
    assert_true(fx_pop(f));
    fx_answer(f, &dev, TETHER_COAP_CONTENT, TETHER_FMT_TLV, tlv, len);
    assert_int_equal(l.calls, 1);
    assert_int_equal(l.values_status, 0);
    assert_int_equal(l.n, 4);
    assert_int_equal(l.v[0].path.ids[2], 0);
    assert_int_equal(l.v[0].err, 0);
    assert_int_equal(l.v[0].value.type, TETHER_LWM2M_STRING);
    assert_string_equal(l.str[0], "Tether");
    assert_int_equal(l.v[1].value.type, TETHER_LWM2M_INTEGER);
    assert_int_equal(l.v[1].value.i, 87);
    assert_int_equal(l.v[2].value.type, TETHER_LWM2M_TIME);
    assert_int_equal(l.v[2].value.i, 1700000000);
    /* Not in the model: the bytes, and why. */
    assert_int_equal(l.v[3].err, TETHER_ERR_NOT_FOUND);
    assert_int_equal(l.v[3].value.type, TETHER_LWM2M_OPAQUE);
}

static void test_dm_values_read_senml_json_with_time_and_escapes(void **state)
{
    vfx *v = *state;
    fx *f = &v->f;
    tether_peer dev = reg(f);
    static const char json[] =
        "[{\"bn\":\"/3/0/\",\"n\":\"0\",\"vs\":\"a\\\"b\"},{\"n\":\"9\",\"v\":87,\"t\":1.5},"
        "{\"n\":\"1\",\"vs\":\"c\\\\d\"}]";
    vlog l = {0};

    assert_int_equal(tether_server_read(f->srv, f->now, "d", "/3/0", TETHER_FMT_SENML_JSON, on_resp,
                                        &l),
                     0);
    assert_true(fx_pop(f));
    fx_answer(f, &dev, TETHER_COAP_CONTENT, TETHER_FMT_SENML_JSON, json, strlen(json));
    assert_int_equal(l.values_status, 0);
    assert_int_equal(l.n, 3);
    /* Escaped strings outlive the decoder's scratch. */
    assert_string_equal(l.str[0], "a\"b");
    assert_string_equal(l.str[2], "c\\d");
    assert_int_equal(l.v[1].value.type, TETHER_LWM2M_INTEGER);
    assert_int_equal(l.v[1].value.i, 87);
    assert_int_equal(l.v[1].has_time, 1);
    assert_true(l.v[1].time == 1.5);
}

static void test_dm_values_without_models_and_bad_payloads(void **state)
{
    vfx *v = *state;
    fx *f = &v->f;
    tether_peer dev;
    vlog l = {0};

    tether_server_free(f->srv);
    f->cfg.models = NULL;
    fx_start(f);
    dev = reg(f);
    /* text without a model is a string */
    assert_int_equal(tether_server_read(f->srv, f->now, "d", "/3/0/9", TETHER_SERVER_NO_FORMAT,
                                        on_resp, &l),
                     0);
    assert_true(fx_pop(f));
    fx_answer(f, &dev, TETHER_COAP_CONTENT, -1, "87", 2);
    assert_int_equal(l.values_status, 0);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.v[0].value.type, TETHER_LWM2M_STRING);
    assert_int_equal(l.v[0].err, TETHER_ERR_NOT_FOUND);
    assert_string_equal(l.str[0], "87");
    /* garbage TLV: the answer is still delivered, values_status says why */
    assert_int_equal(tether_server_read(f->srv, f->now, "d", "/3/0", TETHER_FMT_TLV, on_resp, &l), 0);
    assert_true(fx_pop(f));
    fx_answer(f, &dev, TETHER_COAP_CONTENT, TETHER_FMT_TLV, "\xC8\x00\x09", 3);
    assert_int_equal(l.calls, 2);
    assert_int_equal(l.status, 0);
    assert_int_equal(l.values_status, TETHER_ERR_MALFORMED);
    assert_int_equal(l.n, 0);
    /* a format that is not a record format */
    assert_int_equal(tether_server_read(f->srv, f->now, "d", "/3/0", 50, on_resp, &l), 0);
    assert_true(fx_pop(f));
    fx_answer(f, &dev, TETHER_COAP_CONTENT, 50, "{}", 2);
    assert_int_equal(l.values_status, TETHER_ERR_UNSUPPORTED);
    /* an error answer has no values and no status */
    assert_int_equal(tether_server_read(f->srv, f->now, "d", "/3/0", TETHER_FMT_TLV, on_resp, &l), 0);
    assert_true(fx_pop(f));
    fx_answer(f, &dev, TETHER_COAP_NOT_FOUND, -1, NULL, 0);
    assert_int_equal(l.values_status, 0);
    assert_int_equal(l.n, 0);
}

static void test_dm_values_in_notifications(void **state)
{
    vfx *v = *state;
    fx *f = &v->f;
    tether_peer dev = reg(f);
    uint8_t buf[64];
    tether_coap_builder b;
    size_t n;
    vlog l = {0};

    assert_int_equal(tether_server_observe(f->srv, f->now, "d", "/3/0/9", TETHER_SERVER_NO_FORMAT,
                                           on_resp, &l, NULL),
                     0);
    assert_true(fx_pop(f));
    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_ACK, TETHER_COAP_CONTENT, f->msg.mid,
                           f->msg.token, f->msg.tkl);
    tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_OBSERVE, 1);
    tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_CONTENT_FORMAT, TETHER_FMT_TEXT);
    tether_coap_build_payload(&b, "86", 2);
    assert_int_equal(tether_coap_build_finish(&b, &n), 0);
    assert_int_equal(tether_server_recv(f->srv, f->now, &dev, buf, n), 0);
    assert_int_equal(l.calls, 1);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.v[0].err, 0);
    assert_int_equal(l.v[0].value.type, TETHER_LWM2M_INTEGER);
    assert_int_equal(l.v[0].value.i, 86);
    tether_server_free(f->srv); /* ends the observation while l lives */
    f->srv = NULL;
    fx_start(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dm_values_write_tlv_in_path_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dm_values_write_senml_json_and_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dm_values_refused_up_front, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dm_values_read_tlv_typed_by_the_models, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dm_values_read_senml_json_with_time_and_escapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dm_values_without_models_and_bad_payloads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dm_values_in_notifications, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
