/* SPDX-License-Identifier: Apache-2.0 */
/* Register / Update query parameters (LwM2M 1.0 §5.3.1 Table 6). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tether/lwm2m.h"

static uint8_t wire[512];

/* A POST to path with one Uri-Query per entry of q (NULL-terminated). */
static tether_coap_msg make(const char *path, const char *const *q)
{
    tether_coap_builder b;
    tether_coap_msg m;
    size_t len;
    tether_coap_build_init(&b, wire, sizeof(wire), TETHER_COAP_CON, TETHER_COAP_POST, 1, NULL, 0);
    tether_coap_build_path(&b, TETHER_COAP_OPT_URI_PATH, path);
    tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_CONTENT_FORMAT, TETHER_FMT_LINK);
    for (; q != NULL && *q != NULL; q++)
        tether_coap_build_opt_str(&b, TETHER_COAP_OPT_URI_QUERY, *q);
    tether_coap_build_payload(&b, "</1/0>", 6);
    assert_int_equal(tether_coap_build_finish(&b, &len), 0);
    assert_int_equal(tether_coap_parse(&m, wire, len), 0);
    return m;
}

static int reg(const char *const *q, tether_lwm2m_reg_query *out, tether_lwm2m_query_error *why)
{
    tether_coap_msg m = make("rd", q);
    return tether_lwm2m_reg_query_parse(&m, TETHER_LWM2M_REGISTER, 0, out, why);
}

static int view_is(tether_lwm2m_view v, const char *s)
{
    return v.len == strlen(s) && memcmp(v.ptr, s, v.len) == 0;
}

static void test_query_full_register(void **state)
{
    const char *q[] = {"ep=urn:imei:15", "lt=86400", "lwm2m=1.0", "b=UQ", "sms=+4912345", NULL};
    tether_lwm2m_reg_query r;
    tether_lwm2m_query_error why = TETHER_LWM2M_QERR_DUPLICATE;
    (void)state;
    assert_int_equal(reg(q, &r, &why), 0);
    assert_int_equal(why, TETHER_LWM2M_QERR_NONE);
    assert_int_equal(r.present, TETHER_LWM2M_Q_EP | TETHER_LWM2M_Q_LT | TETHER_LWM2M_Q_LWM2M |
                                    TETHER_LWM2M_Q_B | TETHER_LWM2M_Q_SMS);
    assert_true(view_is(r.ep, "urn:imei:15"));
    assert_int_equal(r.lt, 86400);
    assert_true(view_is(r.lwm2m, "1.0"));
    assert_true(view_is(r.b, "UQ"));
    assert_true(view_is(r.sms, "+4912345"));
    assert_int_equal(r.version, TETHER_LWM2M_V1_0);
    assert_int_equal(r.binding, TETHER_LWM2M_BIND_U | TETHER_LWM2M_BIND_Q);
    assert_int_equal(r.queue, 1);
    /* views point into the message */
    assert_true(r.ep.ptr > wire && r.ep.ptr < wire + sizeof(wire));
}

static void test_R17_register_defaults_to_1_0_and_U(void **state)
{
    const char *q[] = {"ep=dev", NULL};
    tether_lwm2m_reg_query r;
    (void)state;
    assert_int_equal(reg(q, &r, NULL), 0);
    assert_int_equal(r.present, TETHER_LWM2M_Q_EP);
    assert_int_equal(r.version, TETHER_LWM2M_V1_0);
    assert_int_equal(r.binding, TETHER_LWM2M_BIND_U);
    assert_int_equal(r.queue, 0);
}

static void test_R13_register_without_ep_rejected(void **state)
{
    const char *none[] = {NULL};
    const char *other[] = {"lt=60", "b=U", NULL};
    const char *bare[] = {"ep", NULL};
    const char *empty[] = {"ep=", NULL};
    const char *prefix[] = {"epx=dev", "ep2=dev", NULL};
    tether_lwm2m_reg_query r;
    tether_lwm2m_query_error why;
    (void)state;
    memset(&r, 0xAB, sizeof(r));
    assert_int_equal(reg(none, &r, &why), TETHER_ERR_MALFORMED);
    assert_int_equal(why, TETHER_LWM2M_QERR_EP_MISSING);
    assert_int_equal(r.present, 0xAB); /* untouched */
    assert_int_equal(reg(other, &r, &why), TETHER_ERR_MALFORMED);
    assert_int_equal(why, TETHER_LWM2M_QERR_EP_MISSING);
    assert_int_equal(reg(prefix, &r, &why), TETHER_ERR_MALFORMED);
    assert_int_equal(why, TETHER_LWM2M_QERR_EP_MISSING);
    assert_int_equal(reg(bare, &r, &why), TETHER_ERR_MALFORMED);
    assert_int_equal(why, TETHER_LWM2M_QERR_EP_EMPTY);
    assert_int_equal(reg(empty, &r, &why), TETHER_ERR_MALFORMED);
    assert_int_equal(why, TETHER_LWM2M_QERR_EP_EMPTY);
}

static void test_query_lifetime_boundaries(void **state)
{
    static const char *good[] = {"lt=1", "lt=4294967295", "lt=0060"};
    static const uint32_t good_v[] = {1, 4294967295u, 60};
    static const char *bad[] = {"lt=0", "lt=4294967296", "lt=-1", "lt=abc", "lt=", "lt",
                                "lt=+5", "lt= 5", "lt=5s", "lt=1.5", "lt=99999999999999999999"};
    tether_lwm2m_reg_query r;
    tether_lwm2m_query_error why;
    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        const char *q[] = {"ep=dev", good[i], NULL};
        assert_int_equal(reg(q, &r, &why), 0);
        assert_int_equal(r.lt, good_v[i]);
        assert_true(r.present & TETHER_LWM2M_Q_LT);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *q[] = {"ep=dev", bad[i], NULL};
        if (reg(q, &r, &why) != TETHER_ERR_MALFORMED || why != TETHER_LWM2M_QERR_LT_BAD)
            fail_msg("lifetime accepted \"%s\"", bad[i]);
    }
}

static void test_R16_lifetime_edges_1_and_max_accepted(void **state)
{
    /* Table 6 lifetime as a uint32: 1 and 2^32-1 in, 0 and 2^32 out. */
    const char *lo[] = {"ep=a", "lt=1", NULL};
    const char *hi[] = {"ep=a", "lt=4294967295", NULL};
    const char *zero[] = {"ep=a", "lt=0", NULL};
    const char *over[] = {"ep=a", "lt=4294967296", NULL};
    tether_lwm2m_reg_query r;
    (void)state;
    assert_int_equal(reg(lo, &r, NULL), 0);
    assert_int_equal(reg(hi, &r, NULL), 0);
    assert_int_equal(reg(zero, &r, NULL), TETHER_ERR_MALFORMED);
    assert_int_equal(reg(over, &r, NULL), TETHER_ERR_MALFORMED);
}

static void test_query_duplicates_rejected(void **state)
{
    static const char *const dups[][4] = {
        {"ep=a", "ep=b", NULL},
        {"ep=a", "lt=5", "lt=5", NULL},
        {"ep=a", "b=U", "b=U", NULL},
        {"ep=a", "lwm2m=1.0", "lwm2m=1.0", NULL},
        {"ep=a", "sms=1", "sms=2", NULL},
        {"ep=a", "Q", "Q", NULL},
    };
    tether_lwm2m_reg_query r;
    tether_lwm2m_query_error why;
    (void)state;
    for (size_t i = 0; i < sizeof(dups) / sizeof(dups[0]); i++) {
        tether_coap_msg m = make("rd", dups[i]);
        assert_int_equal(tether_lwm2m_reg_query_parse(&m, TETHER_LWM2M_REGISTER, 0, &r, &why),
                         TETHER_ERR_MALFORMED);
        assert_int_equal(why, TETHER_LWM2M_QERR_DUPLICATE);
    }
}

static void test_query_unknown_parameters_ignored(void **state)
{
    const char *q[] = {"ep=a", "foo=bar", "x", "EP=b", "ept=1", "=", "", NULL};
    tether_lwm2m_reg_query r;
    (void)state;
    assert_int_equal(reg(q, &r, NULL), 0);
    assert_true(view_is(r.ep, "a"));
    assert_int_equal(r.present, TETHER_LWM2M_Q_EP);
}

static void test_R17_register_bad_binding_rejected(void **state)
{
    static const char *bad[] = {"b=", "b", "b=Q", "b=UU", "b=T", "b=u", "b=UQSQ"};
    tether_lwm2m_reg_query r;
    tether_lwm2m_query_error why;
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *q[] = {"ep=a", bad[i], NULL};
        if (reg(q, &r, &why) != TETHER_ERR_MALFORMED || why != TETHER_LWM2M_QERR_B_BAD)
            fail_msg("binding accepted \"%s\"", bad[i]);
    }
}

static void test_query_version(void **state)
{
    const char *v11[] = {"ep=a", "lwm2m=1.1", "b=UT", "Q", NULL};
    const char *v11q[] = {"ep=a", "lwm2m=1.1", "b=UQ", NULL};
    const char *v13[] = {"ep=a", "lwm2m=1.3", NULL};
    const char *vbad[] = {"ep=a", "lwm2m=one", NULL};
    const char *qval[] = {"ep=a", "lwm2m=1.1", "Q=1", NULL};
    const char *v10q[] = {"ep=a", "Q", NULL};
    tether_lwm2m_reg_query r;
    tether_lwm2m_query_error why;
    (void)state;
    assert_int_equal(reg(v11, &r, &why), 0);
    assert_int_equal(r.version, TETHER_LWM2M_V1_1);
    assert_int_equal(r.binding, TETHER_LWM2M_BIND_U | TETHER_LWM2M_BIND_T);
    assert_int_equal(r.queue, 1);
    assert_int_equal(reg(v11q, &r, &why), TETHER_ERR_MALFORMED);
    assert_int_equal(why, TETHER_LWM2M_QERR_B_BAD);
    assert_int_equal(reg(v13, &r, &why), TETHER_ERR_UNSUPPORTED);
    assert_int_equal(why, TETHER_LWM2M_QERR_LWM2M_UNSUPPORTED);
    assert_int_equal(reg(vbad, &r, &why), TETHER_ERR_MALFORMED);
    assert_int_equal(why, TETHER_LWM2M_QERR_LWM2M_BAD);
    assert_int_equal(reg(qval, &r, &why), TETHER_ERR_MALFORMED);
    assert_int_equal(why, TETHER_LWM2M_QERR_Q_VALUE);
    /* 1.0 has no Q parameter: it is reported present but queue comes from b */
    assert_int_equal(reg(v10q, &r, &why), 0);
    assert_true(r.present & TETHER_LWM2M_Q_QUEUE);
    assert_int_equal(r.queue, 0);
}

static void test_query_sms_empty_rejected(void **state)
{
    const char *q[] = {"ep=a", "sms=", NULL};
    tether_lwm2m_reg_query r;
    tether_lwm2m_query_error why;
    (void)state;
    assert_int_equal(reg(q, &r, &why), TETHER_ERR_MALFORMED);
    assert_int_equal(why, TETHER_LWM2M_QERR_SMS_EMPTY);
    assert_string_equal(tether_lwm2m_query_strerror(why), "empty SMS number (sms)");
}

static void test_query_update(void **state)
{
    const char *none[] = {NULL};
    const char *some[] = {"lt=120", "b=S", NULL};
    const char *with_ep[] = {"ep=a", NULL};
    const char *with_ver[] = {"lwm2m=1.0", NULL};
    const char *b11[] = {"b=T", NULL};
    tether_lwm2m_reg_query r;
    tether_lwm2m_query_error why;
    tether_coap_msg m;
    (void)state;
    m = make("rd/5a3f", none);
    assert_int_equal(tether_lwm2m_reg_query_parse(&m, TETHER_LWM2M_UPDATE, TETHER_LWM2M_V1_0, &r, &why), 0);
    assert_int_equal(r.present, 0);
    assert_int_equal(r.binding, 0);
    m = make("rd/5a3f", some);
    assert_int_equal(tether_lwm2m_reg_query_parse(&m, TETHER_LWM2M_UPDATE, TETHER_LWM2M_V1_0, &r, &why), 0);
    assert_int_equal(r.lt, 120);
    assert_int_equal(r.binding, TETHER_LWM2M_BIND_S);
    m = make("rd/5a3f", with_ep);
    assert_int_equal(tether_lwm2m_reg_query_parse(&m, TETHER_LWM2M_UPDATE, TETHER_LWM2M_V1_0, &r, &why),
                     TETHER_ERR_MALFORMED);
    assert_int_equal(why, TETHER_LWM2M_QERR_NOT_ALLOWED);
    m = make("rd/5a3f", with_ver);
    assert_int_equal(tether_lwm2m_reg_query_parse(&m, TETHER_LWM2M_UPDATE, TETHER_LWM2M_V1_0, &r, &why),
                     TETHER_ERR_MALFORMED);
    /* b is checked against the registration's version */
    m = make("rd/5a3f", b11);
    assert_int_equal(tether_lwm2m_reg_query_parse(&m, TETHER_LWM2M_UPDATE, TETHER_LWM2M_V1_0, &r, &why),
                     TETHER_ERR_MALFORMED);
    assert_int_equal(tether_lwm2m_reg_query_parse(&m, TETHER_LWM2M_UPDATE, TETHER_LWM2M_V1_1, &r, &why), 0);
    assert_int_equal(tether_lwm2m_reg_query_parse(&m, TETHER_LWM2M_UPDATE, 0, &r, &why), TETHER_ERR_INVAL);
    assert_int_equal(tether_lwm2m_reg_query_parse(&m, 7, TETHER_LWM2M_V1_0, &r, &why), TETHER_ERR_INVAL);
}

static void test_query_build_round_trips(void **state)
{
    uint8_t buf[256];
    const uint8_t want_opts[] = "ep=dev1";
    tether_coap_builder b;
    tether_coap_msg m;
    tether_coap_opt opts[8];
    tether_lwm2m_reg_query q, back;
    size_t len, n;
    (void)state;
    memset(&q, 0, sizeof(q));
    q.present = TETHER_LWM2M_Q_EP | TETHER_LWM2M_Q_LT | TETHER_LWM2M_Q_LWM2M | TETHER_LWM2M_Q_B |
                TETHER_LWM2M_Q_SMS | TETHER_LWM2M_Q_QUEUE;
    q.ep.ptr = want_opts + 3;
    q.ep.len = 4;
    q.lt = 4294967295u;
    q.lwm2m.ptr = (const uint8_t *)"1.1";
    q.lwm2m.len = 3;
    q.b.ptr = (const uint8_t *)"U";
    q.b.len = 1;
    q.sms.ptr = (const uint8_t *)"123";
    q.sms.len = 3;
    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_CON, TETHER_COAP_POST, 9, NULL, 0);
    tether_coap_build_path(&b, TETHER_COAP_OPT_URI_PATH, "rd");
    assert_int_equal(tether_lwm2m_reg_query_build(&b, &q), 0);
    assert_int_equal(tether_coap_build_finish(&b, &len), 0);
    assert_int_equal(tether_coap_parse(&m, buf, len), 0);
    assert_int_equal(tether_coap_opt_collect(&m, TETHER_COAP_OPT_URI_QUERY, opts, 8, &n), 0);
    assert_int_equal(n, 6);
    assert_memory_equal(opts[0].val, "ep=dev1", opts[0].len);
    assert_memory_equal(opts[1].val, "lt=4294967295", opts[1].len);
    assert_memory_equal(opts[2].val, "lwm2m=1.1", opts[2].len);
    assert_memory_equal(opts[3].val, "b=U", opts[3].len);
    assert_memory_equal(opts[4].val, "sms=123", opts[4].len);
    assert_int_equal(opts[5].len, 1);
    assert_memory_equal(opts[5].val, "Q", 1);
    assert_int_equal(tether_lwm2m_reg_query_parse(&m, TETHER_LWM2M_REGISTER, 0, &back, NULL), 0);
    assert_int_equal(back.present, q.present);
    assert_int_equal(back.lt, q.lt);
    assert_int_equal(back.queue, 1);
    assert_true(view_is(back.ep, "dev1"));

    /* lt 0 is refused, and so is a parameter longer than the builder allows */
    q.lt = 0;
    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_CON, TETHER_COAP_POST, 9, NULL, 0);
    assert_int_equal(tether_lwm2m_reg_query_build(&b, &q), TETHER_ERR_INVAL);
    q.lt = 5;
    q.ep.ptr = buf;
    q.ep.len = TETHER_LWM2M_QUERY_OPT_MAX;
    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_CON, TETHER_COAP_POST, 9, NULL, 0);
    assert_int_equal(tether_lwm2m_reg_query_build(&b, &q), TETHER_ERR_TOO_LARGE);
    assert_int_equal(tether_coap_build_finish(&b, &len), TETHER_ERR_TOO_LARGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_full_register),
        cmocka_unit_test(test_R17_register_defaults_to_1_0_and_U),
        cmocka_unit_test(test_R13_register_without_ep_rejected),
        cmocka_unit_test(test_query_lifetime_boundaries),
        cmocka_unit_test(test_R16_lifetime_edges_1_and_max_accepted),
        cmocka_unit_test(test_query_duplicates_rejected),
        cmocka_unit_test(test_query_unknown_parameters_ignored),
        cmocka_unit_test(test_R17_register_bad_binding_rejected),
        cmocka_unit_test(test_query_version),
        cmocka_unit_test(test_query_sms_empty_rejected),
        cmocka_unit_test(test_query_update),
        cmocka_unit_test(test_query_build_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
