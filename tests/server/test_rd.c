/* SPDX-License-Identifier: Apache-2.0 */
/* The Registration Interface on the server (src/server/rd.c): Register,
 * Update, De-register, every Table 6 parameter, the object list, Block1,
 * and the codes for everything else. Devices are hand-built datagrams. */
#include "server/server_fixture.h"

#include "tether/lwm2m.h"

/* R1: Register 2.01 + Location-Path rd/{id}, Update 2.04, De-register 2.02;
 * afterwards the location is gone (4.04). */
static void test_R1_register_update_deregister(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    const tether_server_reg *r;
    char id[16];

    assert_int_equal(fx_register(f, &dev, "ep=dev1&lt=300", fx_objects, id), TETHER_COAP_CREATED);
    r = tether_server_find_ep(f->srv, "dev1", 4);
    assert_non_null(r);
    assert_string_equal(tether_server_reg_id(r), id);
    assert_ptr_equal(tether_server_find_id(f->srv, id, strlen(id)), r);
    assert_int_equal(tether_server_reg_lifetime(r), 300);
    assert_int_equal(fx_count(f, TETHER_SERVER_EV_REGISTERED), 1);
    assert_null(tether_server_errmsg(f->srv)[0] ? "unexpected error" : NULL);

    assert_int_equal(fx_update(f, &dev, id, NULL, NULL), TETHER_COAP_CHANGED);
    assert_int_equal(fx_last(f)->type, TETHER_SERVER_EV_UPDATED);
    assert_int_equal(fx_last(f)->changed, 0);

    assert_int_equal(fx_deregister(f, &dev, id), TETHER_COAP_DELETED);
    assert_int_equal(fx_last(f)->type, TETHER_SERVER_EV_DEREGISTERED);
    assert_string_equal(fx_last(f)->ep, "dev1");
    assert_null(tether_server_find_ep(f->srv, "dev1", 4));
    assert_int_equal(tether_server_count(f->srv), 0);

    assert_int_equal(fx_update(f, &dev, id, NULL, NULL), TETHER_COAP_NOT_FOUND);
    assert_int_equal(fx_deregister(f, &dev, id), TETHER_COAP_NOT_FOUND);
    assert_non_null(strstr(tether_server_errmsg(f->srv), "4.04"));
}

/* Location ids: at most 12 characters, base64url, distinct. */
static void test_rd_location_ids_are_short_and_distinct(void **state)
{
    fx *f = *state;
    static char ids[300][16];
    tether_peer dev = fx_peer(0, 1);

    for (int i = 0; i < 300; i++) {
        char q[32];
        snprintf(q, sizeof(q), "ep=d%d&lt=100", i);
        assert_int_equal(fx_register(f, &dev, q, "</3/0>", ids[i]), TETHER_COAP_CREATED);
        assert_int_equal(strlen(ids[i]), TETHER_SERVER_ID_LEN);
        assert_true(strlen(ids[i]) <= 12);
        assert_true(strspn(ids[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
                    strlen(ids[i]));
        for (int j = 0; j < i; j++)
            assert_string_not_equal(ids[i], ids[j]);
    }
    assert_true(TETHER_SERVER_ID_BITS >= 48);
    assert_int_equal(tether_server_count(f->srv), 300);
}

/* R13: ep is required and not empty. */
static void test_R13_register_without_ep_is_400(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);

    assert_int_equal(fx_register(f, &dev, "lt=300", fx_objects, NULL), TETHER_COAP_BAD_REQUEST);
    assert_int_equal(fx_register(f, &dev, "ep=&lt=300", fx_objects, NULL), TETHER_COAP_BAD_REQUEST);
    assert_int_equal(fx_register(f, &dev, "ep", fx_objects, NULL), TETHER_COAP_BAD_REQUEST);
    assert_int_equal(tether_server_count(f->srv), 0);
    assert_int_equal(f->n_ev, 0);
}

/* R13: the endpoint name is unique: a second endpoint gets its own
 * registration, the same endpoint replaces (R15, below). */
static void test_R13_endpoints_are_distinct_registrations(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    char a[16], b[16];

    assert_int_equal(fx_register(f, &dev, "ep=a&lt=60", "</3/0>", a), TETHER_COAP_CREATED);
    assert_int_equal(fx_register(f, &dev, "ep=b&lt=60", "</3/0>", b), TETHER_COAP_CREATED);
    assert_string_not_equal(a, b);
    assert_int_equal(tether_server_count(f->srv), 2);
}

/* R16: lt is an integer 1..4294967295; anything else is 4.00, never 5.00. */
static void test_R16_lifetime_range(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    const char *bad[] = {"ep=x&lt=0", "ep=x&lt=-1", "ep=x&lt=abc", "ep=x&lt=4294967296",
                         "ep=x&lt=", "ep=x&lt=1.5", "ep=x&lt=99999999999999999999"};
    char id[16];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(fx_register(f, &dev, bad[i], fx_objects, NULL), TETHER_COAP_BAD_REQUEST);
    assert_int_equal(tether_server_count(f->srv), 0);
    assert_int_equal(fx_register(f, &dev, "ep=x&lt=4294967295", fx_objects, id), TETHER_COAP_CREATED);
    assert_int_equal(tether_server_reg_lifetime(tether_server_find_ep(f->srv, "x", 1)), 4294967295u);
    assert_int_equal(fx_register(f, &dev, "ep=y&lt=1", fx_objects, id), TETHER_COAP_CREATED);
}

/* R16/R17: lwm2m absent means 1.0; 1.0, 1.1, 1.2 accepted; another
 * well-formed version is 4.12; garbage is 4.00. */
static void test_R16_lwm2m_version(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    char id[16];

    assert_int_equal(fx_register(f, &dev, "ep=v0&lt=60", fx_objects, id), TETHER_COAP_CREATED);
    assert_string_equal(tether_server_reg_version_str(tether_server_find_ep(f->srv, "v0", 2)), "1.0");
    assert_int_equal(fx_register(f, &dev, "ep=v1&lt=60&lwm2m=1.0", fx_objects, id), TETHER_COAP_CREATED);
    assert_int_equal(fx_register(f, &dev, "ep=v2&lt=60&lwm2m=1.1", fx_objects, id), TETHER_COAP_CREATED);
    assert_string_equal(tether_server_reg_version_str(tether_server_find_ep(f->srv, "v2", 2)), "1.1");
    assert_int_equal(fx_register(f, &dev, "ep=v3&lt=60&lwm2m=1.2", fx_objects, id), TETHER_COAP_CREATED);
    assert_int_equal(fx_register(f, &dev, "ep=v4&lt=60&lwm2m=1.3", fx_objects, id),
                     TETHER_COAP_PRECONDITION_FAILED);
    assert_int_equal(fx_register(f, &dev, "ep=v5&lt=60&lwm2m=2.0", fx_objects, id),
                     TETHER_COAP_PRECONDITION_FAILED);
    assert_int_equal(fx_register(f, &dev, "ep=v6&lt=60&lwm2m=abc", fx_objects, id),
                     TETHER_COAP_BAD_REQUEST);
    assert_int_equal(fx_register(f, &dev, "ep=v7&lt=60&lwm2m=", fx_objects, id),
                     TETHER_COAP_BAD_REQUEST);
    assert_int_equal(tether_server_count(f->srv), 4);
}

/* R16: sms is recorded; the other parameters too. */
static void test_R16_all_parameters_recorded(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    const tether_server_reg *r;
    char id[16], b[8];

    assert_int_equal(fx_register(f, &dev, "ep=full&lt=77&lwm2m=1.0&b=UQS&sms=%2B4915112345", fx_objects, id),
                     TETHER_COAP_CREATED);
    r = tether_server_find_ep(f->srv, "full", 4);
    assert_non_null(r);
    assert_int_equal(tether_server_reg_lifetime(r), 77);
    assert_string_equal(tether_server_reg_sms(r), "%2B4915112345");
    assert_string_equal(tether_server_reg_binding_str(r, b, sizeof(b)), "UQS");
    assert_true(tether_server_reg_queue(r));
    assert_int_equal(tether_server_reg_object_count(r), 3);
}

/* R17: every valid 1.0 binding is 2.01, and absent b means U. */
static void test_R17_every_valid_binding_is_accepted(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    const char *ok[] = {"U", "UQ", "S", "SQ", "US", "UQS"};
    char q[64], id[16], b[8];

    for (size_t i = 0; i < 6; i++) {
        snprintf(q, sizeof(q), "ep=b%zu&lt=60&b=%s", i, ok[i]);
        assert_int_equal(fx_register(f, &dev, q, fx_objects, id), TETHER_COAP_CREATED);
        snprintf(q, sizeof(q), "b%zu", i);
        assert_string_equal(
            tether_server_reg_binding_str(tether_server_find_ep(f->srv, q, strlen(q)), b, sizeof(b)),
            ok[i]);
    }
    assert_int_equal(fx_register(f, &dev, "ep=dflt&lt=60", fx_objects, id), TETHER_COAP_CREATED);
    assert_string_equal(
        tether_server_reg_binding_str(tether_server_find_ep(f->srv, "dflt", 4), b, sizeof(b)), "U");
    assert_int_equal(tether_server_reg_binding(tether_server_find_ep(f->srv, "dflt", 4)),
                     TETHER_LWM2M_BIND_U);
}

/* R17: anything else is 4.00 and nothing is registered. */
static void test_R17_invalid_bindings_are_400(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    const char *bad[] = {"",   "Q",   "QU",  "SU",  "USQ", "UU",  "u",   "UQQ",  "T",
                         "N",  "UT",  "U ", "SQU", "UQSQ", "X",  "QS",  "SS",  "UQSU"};
    char q[64];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(q, sizeof(q), "ep=bad%zu&lt=60&b=%s", i, bad[i]);
        assert_int_equal(fx_register(f, &dev, q, fx_objects, NULL), TETHER_COAP_BAD_REQUEST);
    }
    assert_int_equal(tether_server_count(f->srv), 0);
    /* And in an Update: 4.00, nothing changes. */
}

/* R17 with 1.1: the letters, no Q inside b; queue mode is the Q parameter. */
static void test_R17_binding_grammar_of_1_1(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    char id[16];

    assert_int_equal(fx_register(f, &dev, "ep=a&lt=60&lwm2m=1.1&b=UT", fx_objects, id), TETHER_COAP_CREATED);
    assert_int_equal(fx_register(f, &dev, "ep=b&lt=60&lwm2m=1.1&b=U&Q", fx_objects, id), TETHER_COAP_CREATED);
    assert_true(tether_server_reg_queue(tether_server_find_ep(f->srv, "b", 1)));
    assert_int_equal(fx_register(f, &dev, "ep=c&lt=60&lwm2m=1.1&b=UQ", fx_objects, id), TETHER_COAP_BAD_REQUEST);
    assert_int_equal(fx_register(f, &dev, "ep=d&lt=60&lwm2m=1.1&b=UU", fx_objects, id), TETHER_COAP_BAD_REQUEST);
}

/* R18: Security Object entries are not stored, the rest is, and it is logged. */
static void test_R18_security_object_not_stored(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    const tether_server_reg *r;
    tether_server_obj o;
    char id[16], s[128];

    assert_int_equal(fx_register(f, &dev, "ep=sec&lt=60", "</0/0>,</0/1>,</1/0>,</3/0>,</0>", id),
                     TETHER_COAP_CREATED);
    r = tether_server_find_ep(f->srv, "sec", 3);
    assert_int_equal(tether_server_reg_object_count(r), 2);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(tether_server_reg_object(r, i, &o), 0);
        assert_int_not_equal(o.oid, 0);
    }
    assert_int_equal(tether_server_reg_objects_str(r, s, sizeof(s), NULL), 0);
    assert_string_equal(s, "</1/0>,</3/0>");
    assert_non_null(strstr(f->log, "R18"));
    assert_non_null(strstr(f->log, "ep=sec"));
    /* An Update's list is filtered the same way. */
    assert_int_equal(fx_update(f, &dev, id, NULL, "</0/0>,</3/0>"), TETHER_COAP_CHANGED);
    assert_int_equal(tether_server_reg_object_count(tether_server_find_ep(f->srv, "sec", 3)), 1);
}

/* Link-format payload: root path, ct and ver understood. */
static void test_rd_payload_root_ct_ver(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    const tether_server_reg *r;
    tether_server_obj o;
    char id[16];

    assert_int_equal(fx_register(f, &dev, "ep=root&lt=60",
                                 "</lwm2m>;rt=\"oma.lwm2m\";ct=\"11542 110\",</lwm2m/1/0>,"
                                 "</lwm2m/3/0>,</lwm2m/3303>;ver=1.1",
                                 id),
                     TETHER_COAP_CREATED);
    r = tether_server_find_ep(f->srv, "root", 4);
    assert_string_equal(tether_server_reg_root(r), "/lwm2m");
    assert_int_equal(tether_server_reg_formats(r), TETHER_CT_TLV | TETHER_CT_SENML_JSON);
    assert_int_equal(tether_server_reg_object_count(r), 3);
    assert_int_equal(tether_server_reg_object(r, 2, &o), 0);
    assert_int_equal(o.oid, 3303);
    assert_int_equal(o.iid, TETHER_SERVER_NO_IID);
    assert_int_equal(o.ver_major, 1);
    assert_int_equal(o.ver_minor, 1);
    assert_int_equal(tether_server_reg_object(r, 0, &o), 0);
    assert_int_equal(o.oid, 1);
    assert_int_equal(o.iid, 0);
    assert_int_equal(o.ver_major, 0);
}

/* Malformed or missing payloads are 4.00; a non-link Content-Format 4.15. */
static void test_rd_bad_payloads(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    const char *bad[] = {"</1/0", "1/0", "</1/0>,", "</a/b>", "</1/0/1>", "</65535>",
                         "</1/0>junk", "<>"};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(fx_register(f, &dev, "ep=p&lt=60", bad[i], NULL), TETHER_COAP_BAD_REQUEST);
    assert_int_equal(fx_register(f, &dev, "ep=p&lt=60", NULL, NULL), TETHER_COAP_BAD_REQUEST);
    assert_int_equal(fx_request(f, &dev, TETHER_COAP_POST, "rd", "ep=p&lt=60", 0, "</1/0>", 6),
                     TETHER_COAP_UNSUPPORTED_CONTENT_FORMAT);
    /* No Content-Format at all is taken as link-format. */
    assert_int_equal(fx_request(f, &dev, TETHER_COAP_POST, "rd", "ep=p&lt=60", -1, "</1/0>", 6),
                     TETHER_COAP_CREATED);
    assert_int_equal(tether_server_count(f->srv), 1);
    /* Links that are not LwM2M paths are skipped (RFC 6690 allows them). */
    assert_int_equal(fx_register(f, &dev, "ep=q&lt=60", "</1/0>,</a/b>,</3/0>", NULL),
                     TETHER_COAP_CREATED);
    assert_int_equal(tether_server_reg_object_count(tether_server_find_ep(f->srv, "q", 1)), 2);
}

/* R15: Register for a registered endpoint removes the old registration
 * (its location answers 4.04) and performs the new one. */
static void test_R15_register_again_replaces(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1), dev2 = fx_peer(0, 2);
    char old[16], fresh[16];

    assert_int_equal(fx_register(f, &dev, "ep=same&lt=60", fx_objects, old), TETHER_COAP_CREATED);
    f->n_ev = 0;
    assert_int_equal(fx_register(f, &dev2, "ep=same&lt=90&b=UQ", "</3/0>", fresh), TETHER_COAP_CREATED);
    assert_string_not_equal(old, fresh);
    assert_int_equal(f->n_ev, 2);
    assert_int_equal(f->ev[0].type, TETHER_SERVER_EV_REPLACED);
    assert_string_equal(f->ev[0].id, old);
    assert_int_equal(f->ev[1].type, TETHER_SERVER_EV_REGISTERED);
    assert_string_equal(f->ev[1].id, fresh);
    assert_int_equal(tether_server_count(f->srv), 1);
    assert_null(tether_server_find_id(f->srv, old, strlen(old)));
    assert_int_equal(tether_server_reg_lifetime(tether_server_find_ep(f->srv, "same", 4)), 90);
    assert_int_equal(fx_update(f, &dev, old, NULL, NULL), TETHER_COAP_NOT_FOUND);
    assert_int_equal(fx_deregister(f, &dev, old), TETHER_COAP_NOT_FOUND);
    assert_int_equal(fx_update(f, &dev2, fresh, NULL, NULL), TETHER_COAP_CHANGED);
    assert_int_equal(tether_server_reg_object_count(tether_server_find_ep(f->srv, "same", 4)), 1);
}

/* R14: the Register's source is recorded; an Update from elsewhere
 * re-points the registration (and says so). */
static void test_R14_update_from_new_address_repoints(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1), moved = fx_peer(1, 9);
    const tether_server_reg *r;
    char id[16];

    assert_int_equal(fx_register(f, &dev, "ep=nat&lt=60", fx_objects, id), TETHER_COAP_CREATED);
    r = tether_server_find_ep(f->srv, "nat", 3);
    assert_true(tether_peer_equal(tether_server_reg_peer(r), &dev));
    assert_int_equal(fx_update(f, &moved, id, NULL, NULL), TETHER_COAP_CHANGED);
    assert_int_equal(fx_last(f)->changed, TETHER_CHANGED_ADDRESS);
    r = tether_server_find_ep(f->srv, "nat", 3);
    assert_true(tether_peer_equal(tether_server_reg_peer(r), &moved));
    assert_int_equal(tether_server_reg_peer(r)->iface, 1);
}

/* Update: lt, b, sms and a new object list; each change reported. */
static void test_rd_update_changes_what_it_carries(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    const tether_server_reg *r;
    char id[16], s[64], b[8];

    assert_int_equal(fx_register(f, &dev, "ep=u&lt=60&b=U", fx_objects, id), TETHER_COAP_CREATED);
    assert_int_equal(fx_update(f, &dev, id, "lt=120", NULL), TETHER_COAP_CHANGED);
    assert_int_equal(fx_last(f)->changed, TETHER_CHANGED_LIFETIME);
    assert_int_equal(fx_update(f, &dev, id, "b=UQ", NULL), TETHER_COAP_CHANGED);
    assert_int_equal(fx_last(f)->changed, TETHER_CHANGED_BINDING);
    assert_int_equal(fx_update(f, &dev, id, "sms=12345", NULL), TETHER_COAP_CHANGED);
    assert_int_equal(fx_last(f)->changed, TETHER_CHANGED_SMS);
    assert_int_equal(fx_update(f, &dev, id, NULL, "</3/0>,</4/0>"), TETHER_COAP_CHANGED);
    assert_int_equal(fx_last(f)->changed, TETHER_CHANGED_OBJECTS);
    assert_int_equal(fx_update(f, &dev, id, NULL, "</3/0>,</4/0>"), TETHER_COAP_CHANGED);
    assert_int_equal(fx_last(f)->changed, 0);
    r = tether_server_find_id(f->srv, id, strlen(id));
    assert_non_null(r);
    assert_int_equal(tether_server_reg_lifetime(r), 120);
    assert_string_equal(tether_server_reg_binding_str(r, b, sizeof(b)), "UQ");
    assert_string_equal(tether_server_reg_sms(r), "12345");
    assert_int_equal(tether_server_reg_objects_str(r, s, sizeof(s), NULL), 0);
    assert_string_equal(s, "</3/0>,</4/0>");
    assert_ptr_equal(tether_server_find_ep(f->srv, "u", 1), r);
}

/* A refused Update changes nothing. */
static void test_rd_invalid_update_changes_nothing(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1), other = fx_peer(0, 7);
    const tether_server_reg *r;
    tether_time exp;
    char id[16], s[64], b[8];
    size_t n_ev;

    assert_int_equal(fx_register(f, &dev, "ep=k&lt=60&b=U&sms=1", fx_objects, id), TETHER_COAP_CREATED);
    r = tether_server_find_ep(f->srv, "k", 1);
    exp = tether_server_reg_expires(r);
    n_ev = f->n_ev;
    f->now += 5000;
    assert_int_equal(fx_update(f, &other, id, "lt=0", NULL), TETHER_COAP_BAD_REQUEST);
    assert_int_equal(fx_update(f, &other, id, "lt=30&b=X", NULL), TETHER_COAP_BAD_REQUEST);
    assert_int_equal(fx_update(f, &other, id, "lt=30&ep=k", NULL), TETHER_COAP_BAD_REQUEST);
    assert_int_equal(fx_update(f, &other, id, "lt=30&sms=", NULL), TETHER_COAP_BAD_REQUEST);
    assert_int_equal(fx_update(f, &other, id, "lt=30", "</3/0"), TETHER_COAP_BAD_REQUEST);
    assert_int_equal(f->n_ev, n_ev);
    r = tether_server_find_ep(f->srv, "k", 1);
    assert_int_equal(tether_server_reg_lifetime(r), 60);
    assert_int_equal(tether_server_reg_expires(r), exp);
    assert_true(tether_peer_equal(tether_server_reg_peer(r), &dev));
    assert_string_equal(tether_server_reg_binding_str(r, b, sizeof(b)), "U");
    assert_string_equal(tether_server_reg_sms(r), "1");
    assert_int_equal(tether_server_reg_objects_str(r, s, sizeof(s), NULL), 0);
    assert_string_equal(s, "</1/0>,</3/0>,</5>");
}

/* Unknown paths 4.04, wrong methods 4.05, unknown critical options 4.02. */
static void test_rd_unknown_paths_and_methods(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    uint8_t buf[128];
    tether_coap_builder b;
    size_t len;
    char id[16];

    assert_int_equal(fx_request(f, &dev, TETHER_COAP_GET, "", NULL, -1, NULL, 0), TETHER_COAP_NOT_FOUND);
    assert_int_equal(fx_request(f, &dev, TETHER_COAP_POST, "foo", "ep=x", 40, "</1>", 4), TETHER_COAP_NOT_FOUND);
    assert_int_equal(fx_request(f, &dev, TETHER_COAP_POST, "rd/a/b", NULL, -1, NULL, 0), TETHER_COAP_NOT_FOUND);
    assert_int_equal(fx_request(f, &dev, TETHER_COAP_POST, "rdx", "ep=x", 40, "</1>", 4), TETHER_COAP_NOT_FOUND);
    assert_int_equal(fx_request(f, &dev, TETHER_COAP_GET, "rd", NULL, -1, NULL, 0), TETHER_COAP_METHOD_NOT_ALLOWED);
    assert_int_equal(fx_request(f, &dev, TETHER_COAP_PUT, "rd", NULL, -1, NULL, 0), TETHER_COAP_METHOD_NOT_ALLOWED);
    assert_int_equal(fx_request(f, &dev, TETHER_COAP_DELETE, "rd", NULL, -1, NULL, 0), TETHER_COAP_METHOD_NOT_ALLOWED);
    assert_int_equal(fx_register(f, &dev, "ep=m&lt=60", fx_objects, id), TETHER_COAP_CREATED);
    {
        char path[32];
        snprintf(path, sizeof(path), "rd/%s", id);
        assert_int_equal(fx_request(f, &dev, TETHER_COAP_GET, path, NULL, -1, NULL, 0),
                         TETHER_COAP_METHOD_NOT_ALLOWED);
        assert_int_equal(fx_request(f, &dev, TETHER_COAP_PUT, path, NULL, -1, NULL, 0),
                         TETHER_COAP_METHOD_NOT_ALLOWED);
    }
    /* If-Match (1) is critical and means nothing here. */
    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_CON, TETHER_COAP_POST, f->mid++, NULL, 0);
    tether_coap_build_opt(&b, TETHER_COAP_OPT_IF_MATCH, "x", 1);
    tether_coap_build_path(&b, TETHER_COAP_OPT_URI_PATH, "rd");
    assert_int_equal(tether_coap_build_finish(&b, &len), 0);
    assert_int_equal(tether_server_recv(f->srv, f->now, &dev, buf, len), 0);
    assert_true(fx_pop(f));
    assert_int_equal(f->msg.code, TETHER_COAP_BAD_OPTION);
    assert_int_equal(tether_server_count(f->srv), 1);
}

/* Malformed datagrams are dropped or reset; the server keeps serving. */
static void test_rd_malformed_datagrams_do_not_hurt(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    const uint8_t junk[][8] = {{0}, {0xFF, 0xFF}, {0x40}, {0x4F, 1, 0, 1}, {0x40, 0x02, 0, 1, 0xF0},
                               {0x80, 1, 2, 3}, {0x40, 0x02, 0, 2, 0xB5, 'r'}};
    const size_t lens[] = {1, 2, 1, 4, 5, 4, 6};
    char id[16];

    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        (void)tether_server_recv(f->srv, f->now, &dev, junk[i], lens[i]);
        while (fx_pop(f))
            assert_true(f->msg.type == TETHER_COAP_RST || TETHER_COAP_CLASS(f->msg.code) >= 4);
    }
    assert_int_equal(fx_register(f, &dev, "ep=after&lt=60", fx_objects, id), TETHER_COAP_CREATED);
}

/* Block1 Register: a large object list arrives in 64-byte blocks, each
 * middle block answered 2.31, the last one 2.01 with Location-Path and
 * Block1; the object list is complete. */
static void test_rd_block1_register(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 3);
    char links[2048];
    size_t n = 0, off = 0;
    uint32_t num = 0;
    const tether_server_reg *r;
    tether_coap_block got;

    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(links + n, sizeof(links) - n, "%s</%d/0>", i ? "," : "", 1000 + i);
    while (off < n) {
        uint8_t buf[256];
        size_t chunk = n - off > 64 ? 64 : n - off;
        tether_coap_block blk = {num, (uint8_t)(off + chunk < n), 2};
        size_t len = fx_build(f, buf, sizeof(buf), TETHER_COAP_CON, TETHER_COAP_POST, "rd",
                              "ep=big&lt=60", 40, &blk, links + off, chunk);
        assert_int_equal(tether_server_recv(f->srv, f->now, &dev, buf, len), 0);
        assert_true(fx_pop(f));
        assert_int_equal(tether_coap_block_get(&f->msg, TETHER_COAP_OPT_BLOCK1, &got), 0);
        assert_int_equal(got.num, num);
        off += chunk;
        num++;
        if (off < n) {
            assert_int_equal(f->msg.code, TETHER_COAP_CONTINUE);
            assert_int_equal(got.more, 1);
            assert_null(tether_server_find_ep(f->srv, "big", 3));
        } else {
            assert_int_equal(f->msg.code, TETHER_COAP_CREATED);
            assert_int_equal(got.more, 0);
        }
    }
    r = tether_server_find_ep(f->srv, "big", 3);
    assert_non_null(r);
    assert_int_equal(tether_server_reg_object_count(r), 100);
    assert_int_equal(fx_count(f, TETHER_SERVER_EV_REGISTERED), 1);
}

/* A payload beyond the configured maximum is 4.13, in one block or many. */
static void test_rd_block1_too_large_is_413(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 3);
    static char links[20000];
    uint8_t buf[1200];
    tether_coap_block blk = {0, 1, 6};
    size_t len;
    uint32_t size1;

    memset(links, 'x', sizeof(links));
    /* Blocks of 1024: the 17th passes the 16 KiB default. */
    for (uint32_t i = 0; i < 17; i++) {
        blk.num = i;
        len = fx_build(f, buf, sizeof(buf), TETHER_COAP_CON, TETHER_COAP_POST, "rd",
                       "ep=huge&lt=60", 40, &blk, links + i * 1024, 1024);
        assert_int_equal(tether_server_recv(f->srv, f->now, &dev, buf, len), 0);
        assert_true(fx_pop(f));
        if (f->msg.code != TETHER_COAP_CONTINUE)
            break;
    }
    assert_int_equal(f->msg.code, TETHER_COAP_REQUEST_ENTITY_TOO_LARGE);
    assert_int_equal(tether_coap_opt_uint(&f->msg, TETHER_COAP_OPT_SIZE1, &size1), 0);
    assert_int_equal(size1, f->cfg.max_register_payload);
    assert_int_equal(tether_server_count(f->srv), 0);
}

/* The registration limit: 5.03 for a new endpoint, a known one still
 * re-registers. */
static void test_rd_registration_limit(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    char id[16];

    fx_stop(f);
    fx_config(f);
    f->cfg.max_registrations = 2;
    fx_start(f);
    assert_int_equal(fx_register(f, &dev, "ep=a&lt=60", "</3/0>", id), TETHER_COAP_CREATED);
    assert_int_equal(fx_register(f, &dev, "ep=b&lt=60", "</3/0>", id), TETHER_COAP_CREATED);
    assert_int_equal(fx_register(f, &dev, "ep=c&lt=60", "</3/0>", id), TETHER_COAP_SERVICE_UNAVAILABLE);
    assert_int_equal(fx_register(f, &dev, "ep=a&lt=60", "</3/0>", id), TETHER_COAP_CREATED);
    assert_int_equal(tether_server_count(f->srv), 2);
}

/* A retransmitted Register (same message id) gets the same answer from
 * the exchange layer's cache and registers once. */
static void test_rd_retransmitted_register_is_not_repeated(void **state)
{
    fx *f = *state;
    tether_peer dev = fx_peer(0, 1);
    uint8_t buf[256], first[256];
    size_t len, first_len;

    len = fx_build(f, buf, sizeof(buf), TETHER_COAP_CON, TETHER_COAP_POST, "rd", "ep=rt&lt=60", 40,
                   NULL, "</3/0>", 6);
    assert_int_equal(tether_server_recv(f->srv, f->now, &dev, buf, len), 0);
    assert_true(fx_pop(f));
    memcpy(first, f->out, f->out_len);
    first_len = f->out_len;
    f->now += 2000;
    assert_int_equal(tether_server_recv(f->srv, f->now, &dev, buf, len), 0);
    assert_true(fx_pop(f));
    assert_int_equal(f->out_len, first_len);
    assert_memory_equal(f->out, first, first_len);
    assert_int_equal(fx_count(f, TETHER_SERVER_EV_REGISTERED), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_R1_register_update_deregister, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_rd_location_ids_are_short_and_distinct, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R13_register_without_ep_is_400, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R13_endpoints_are_distinct_registrations, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R16_lifetime_range, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R16_lwm2m_version, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R16_all_parameters_recorded, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R17_every_valid_binding_is_accepted, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R17_invalid_bindings_are_400, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R17_binding_grammar_of_1_1, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R18_security_object_not_stored, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_rd_payload_root_ct_ver, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_rd_bad_payloads, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R15_register_again_replaces, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_R14_update_from_new_address_repoints, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_rd_update_changes_what_it_carries, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_rd_invalid_update_changes_nothing, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_rd_unknown_paths_and_methods, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_rd_malformed_datagrams_do_not_hurt, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_rd_block1_register, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_rd_block1_too_large_is_413, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_rd_registration_limit, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_rd_retransmitted_register_is_not_repeated, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
