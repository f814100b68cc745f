/* SPDX-License-Identifier: Apache-2.0 */
/* The content formats of the client (src/client/dm.c's format table) beyond
 * text/plain, opaque and TLV (test_client_dm.c has those): LwM2M JSON
 * (11543), SenML JSON (110), SenML CBOR (112) and CBOR (60), for Read of an
 * object, instance, resource and resource instance, Write (replace and
 * partial update), Create and notifications, with the bytes checked against
 * the LwM2M TS examples where there are some (1.0 §6.4.4 JSON, 1.1 §7.4.4
 * SenML JSON: the Device object of the example client); bad payloads of
 * every kind refused with 4.00 and nothing written; and the same formats
 * end to end with the server engine (tether/server.h) decoding what the
 * client answers into typed values, and encoding what the client takes.
 * CBOR cases run when the build has libcbor (the descriptor says). */
#define DUO_SEED 0xF00D
#include "common/duo.h"
#include "tether/lwm2m_fmt.h"

/* --- /32770 "gizmo": one resource of each type -------------------------------------- */

#define G_OID 32770
#define G_MAX 4

typedef struct gizmo {
    int used;
    int64_t count;     /* 0: Integer RW */
    uint8_t blob[16];  /* 1: Opaque RW */
    size_t blob_len;
    int64_t list[3];   /* 2: Integer RW multiple */
    int nlist;
    char name[24];     /* 3: String RW */
    double level;      /* 4: Float RW */
    int on;            /* 5: Boolean RW */
    int64_t stamp;     /* 6: Time R */
    tether_lwm2m_objlnk link; /* 7: Objlnk RW */
} gizmo;

typedef struct gizmos {
    gizmo g[G_MAX];
    int writes; /* committed writes */
} gizmos;

static const tether_client_res_def gizmo_res[] = {
    {0, TETHER_LWM2M_OP_RW, TETHER_LWM2M_INTEGER, 0},
    {1, TETHER_LWM2M_OP_RW, TETHER_LWM2M_OPAQUE, 0},
    {2, TETHER_LWM2M_OP_RW, TETHER_LWM2M_INTEGER, 1},
    {3, TETHER_LWM2M_OP_RW, TETHER_LWM2M_STRING, 0},
    {4, TETHER_LWM2M_OP_RW, TETHER_LWM2M_FLOAT, 0},
    {5, TETHER_LWM2M_OP_RW, TETHER_LWM2M_BOOLEAN, 0},
    {6, TETHER_LWM2M_OP_R, TETHER_LWM2M_TIME, 0},
    {7, TETHER_LWM2M_OP_RW, TETHER_LWM2M_OBJLNK, 0},
};

static int32_t g_next(void *user, int32_t prev)
{
    gizmos *gs = user;
    for (int32_t i = prev + 1; i < G_MAX; i++)
        if (gs->g[i].used)
            return i;
    return -1;
}

static int32_t g_next_ri(void *user, uint16_t iid, uint16_t rid, int32_t prev)
{
    gizmos *gs = user;
    (void)rid;
    return prev + 1 < gs->g[iid].nlist ? prev + 1 : -1;
}

static int g_read(void *user, uint16_t iid, uint16_t rid, uint16_t riid, tether_lwm2m_value *out)
{
    gizmo *g = &((gizmos *)user)->g[iid];

    switch (rid) {
    case 0: *out = tether_lwm2m_value_int(g->count); return 0;
    case 1: *out = tether_lwm2m_value_opaque(g->blob, g->blob_len); return 0;
    case 2: *out = tether_lwm2m_value_int(g->list[riid]); return 0;
    case 3: *out = tether_lwm2m_value_cstr(g->name); return 0;
    case 4: *out = tether_lwm2m_value_float(g->level); return 0;
    case 5: *out = tether_lwm2m_value_bool(g->on); return 0;
    case 6: *out = tether_lwm2m_value_time(g->stamp); return 0;
    case 7: *out = tether_lwm2m_value_objlnk(g->link.obj, g->link.inst); return 0;
    }
    return TETHER_CLIENT_REFUSE(TETHER_COAP_NOT_FOUND);
}

static int g_write(void *user, uint16_t iid, uint16_t rid, uint16_t riid,
                   const tether_lwm2m_value *v, int commit)
{
    gizmos *gs = user;
    gizmo *g = &gs->g[iid];

    switch (rid) {
    case 0:
        if (v->i > 1000) /* the application's range */
            return TETHER_CLIENT_REFUSE(TETHER_COAP_BAD_REQUEST);
        if (commit)
            g->count = v->i;
        break;
    case 1:
        if (v->bytes.len > sizeof(g->blob))
            return TETHER_CLIENT_REFUSE(TETHER_COAP_REQUEST_ENTITY_TOO_LARGE);
        if (commit) {
            memcpy(g->blob, v->bytes.ptr, v->bytes.len);
            g->blob_len = v->bytes.len;
        }
        break;
    case 2:
        if (riid >= 3)
            return TETHER_CLIENT_REFUSE(TETHER_COAP_BAD_REQUEST);
        if (commit) {
            g->list[riid] = v->i;
            if (riid >= g->nlist)
                g->nlist = riid + 1;
        }
        break;
    case 3:
        if (v->bytes.len >= sizeof(g->name))
            return TETHER_CLIENT_REFUSE(TETHER_COAP_BAD_REQUEST);
        if (commit) {
            memcpy(g->name, v->bytes.ptr, v->bytes.len);
            g->name[v->bytes.len] = '\0';
        }
        break;
    case 4:
        if (commit)
            g->level = v->f;
        break;
    case 5:
        if (commit)
            g->on = v->b;
        break;
    case 6: /* read-only: only a Create sets it */
        if (commit)
            g->stamp = v->i;
        break;
    case 7:
        if (commit)
            g->link = v->lnk;
        break;
    default:
        return TETHER_CLIENT_REFUSE(TETHER_COAP_METHOD_NOT_ALLOWED);
    }
    gs->writes += commit;
    return 0;
}

static int g_create(void *user, uint16_t iid)
{
    gizmos *gs = user;
    if (iid >= G_MAX)
        return TETHER_CLIENT_REFUSE(TETHER_COAP_BAD_REQUEST);
    memset(&gs->g[iid], 0, sizeof(gs->g[iid]));
    gs->g[iid].used = 1;
    return 0;
}

static int g_remove(void *user, uint16_t iid)
{
    ((gizmos *)user)->g[iid].used = 0;
    return 0;
}

static const tether_client_object gizmo_obj = {
    G_OID, 1, sizeof(gizmo_res) / sizeof(gizmo_res[0]), gizmo_res, g_next, NULL, g_next_ri,
    g_read, g_write, NULL, g_create, g_remove,
};

static void g_fill(gizmos *gs)
{
    memset(gs, 0, sizeof(*gs));
    gs->g[0].used = 1;
    gs->g[0].count = 7;
    memcpy(gs->g[0].blob, "\x01\x02\x03", 3);
    gs->g[0].blob_len = 3;
    gs->g[0].list[0] = 10;
    gs->g[0].list[1] = -20;
    gs->g[0].nlist = 2;
    strcpy(gs->g[0].name, "a\"b");
    gs->g[0].level = 1.5;
    gs->g[0].on = 1;
    gs->g[0].stamp = 1367491215;
    gs->g[0].link.obj = 3;
    gs->g[0].link.inst = 0;
    gs->g[1].used = 1;
    gs->g[1].count = -1;
    strcpy(gs->g[1].name, "second");
}

static int have_cbor(void)
{
    return (tether_lwm2m_fmt_cbor.flags & TETHER_LWM2M_FMT_ENCODE) != 0;
}

static int have_json_dec(void)
{
    return (tether_lwm2m_fmt_json.flags & TETHER_LWM2M_FMT_DECODE) != 0;
}

/* A registered client with the example client's Device strings and a gizmo. */
static void setup(harness *h, gizmos *gs)
{
    h_dgram d;

    h_init_cfg(h, "dev1");
    h->cfg.manufacturer = "Open Mobile Alliance";
    h->cfg.model = "Lightweight M2M Client";
    h->cfg.serial = "345000123";
    h->cfg.firmware = "1.0";
    h_init_client(h);
    g_fill(gs);
    assert_int_equal(tether_client_add_object(h->c, h->now, &gizmo_obj, gs), 0);
    h_add_server(h, 0, 1, 300, NULL);
    assert_int_equal(tether_client_start(h->c, h->now), 0);
    h_expect(h, &d);
    h_answer(h, 0, &d, TETHER_COAP_CREATED, "rd/x");
}

static uint32_t ct_of(const h_dgram *d)
{
    uint32_t ct = 0;
    assert_int_equal(tether_coap_content_format(&d->m, &ct), 0);
    return ct;
}

/* GET path with Accept; the answer must be 2.05 in that format. */
static void read_as(harness *h, const char *path, int accept, h_dgram *d)
{
    assert_int_equal(h_get(h, path, accept, d), TETHER_COAP_CONTENT);
    assert_int_equal(ct_of(d), (uint32_t)accept);
}

static void assert_payload(const h_dgram *d, const void *want, size_t n)
{
    if (d->m.payload_len != n || memcmp(d->m.payload, want, n) != 0) {
        char got[1024], exp[1024];
        size_t k = 0;
        for (size_t i = 0; i < d->m.payload_len && k + 4 < sizeof(got); i++)
            k += (size_t)snprintf(got + k, sizeof(got) - k, "%02x", d->m.payload[i]);
        got[k] = '\0';
        k = 0;
        for (size_t i = 0; i < n && k + 4 < sizeof(exp); i++)
            k += (size_t)snprintf(exp + k, sizeof(exp) - k, "%02x", ((const uint8_t *)want)[i]);
        exp[k] = '\0';
        fail_msg("payload %.*s\n got  %s\n want %s", (int)d->m.payload_len,
                 (const char *)d->m.payload, got, exp);
    }
}

#define ASSERT_TEXT(d, s) assert_payload((d), (s), sizeof(s) - 1)

/* A request with a payload in ct; returns the answer code. */
static uint8_t send_body(harness *h, uint8_t method, const char *path, int ct, const void *p,
                         size_t n)
{
    h_dgram d;
    h_req r = {method, path, ct, -1, p, n, NULL, 0};
    h_request(h, 0, &r, &d);
    return d.m.code;
}

#define SEND_TEXT(h, m, path, ct, s) send_body((h), (m), (path), (ct), (s), sizeof(s) - 1)

/* --- Read ------------------------------------------------------------------------------ */

/* LwM2M 1.0 §6.4.4 and 1.1 §7.4.4: Read /3/0 of the example client. Our
 * Device object has resources 0-3, 11 and 16 of it; each record is the
 * example's, byte for byte. */
static void test_client_formats_read_device_instance_as_in_the_spec(void **state)
{
    harness h;
    gizmos gs;
    h_dgram d;
    (void)state;

    setup(&h, &gs);
    read_as(&h, "3/0", TETHER_FMT_JSON, &d);
    ASSERT_TEXT(&d, "{\"bn\":\"/3/0/\",\"e\":["
                    "{\"n\":\"0\",\"sv\":\"Open Mobile Alliance\"},"
                    "{\"n\":\"1\",\"sv\":\"Lightweight M2M Client\"},"
                    "{\"n\":\"2\",\"sv\":\"345000123\"},"
                    "{\"n\":\"3\",\"sv\":\"1.0\"},"
                    "{\"n\":\"11/0\",\"v\":0},"
                    "{\"n\":\"16\",\"sv\":\"UQ\"}]}");
    read_as(&h, "3/0", TETHER_FMT_SENML_JSON, &d);
    ASSERT_TEXT(&d, "[{\"bn\":\"/3/0/\",\"n\":\"0\",\"vs\":\"Open Mobile Alliance\"},"
                    "{\"n\":\"1\",\"vs\":\"Lightweight M2M Client\"},"
                    "{\"n\":\"2\",\"vs\":\"345000123\"},"
                    "{\"n\":\"3\",\"vs\":\"1.0\"},"
                    "{\"n\":\"11/0\",\"v\":0},"
                    "{\"n\":\"16\",\"vs\":\"UQ\"}]");
    /* The legacy number is accepted and answered as asked. */
    read_as(&h, "3/0/2", TETHER_FMT_JSON_LEGACY, &d);
    ASSERT_TEXT(&d, "{\"bn\":\"/3/0/2\",\"e\":[{\"sv\":\"345000123\"}]}");
    tether_client_fini(h.c);
}

/* One resource in each format; CBOR (60) is for one value only. */
static void test_client_formats_read_single_resource_in_each_format(void **state)
{
    static const uint8_t senml_cbor[] = {0x81, 0xA2, 0x21, 0x66, '/', '3', '/', '0', '/', '0',
                                         0x03, 0x74, 'O', 'p', 'e', 'n', ' ', 'M', 'o', 'b',
                                         'i', 'l', 'e', ' ', 'A', 'l', 'l', 'i', 'a', 'n', 'c',
                                         'e'};
    harness h;
    gizmos gs;
    h_dgram d;
    (void)state;

    setup(&h, &gs);
    read_as(&h, "3/0/0", TETHER_FMT_SENML_JSON, &d);
    ASSERT_TEXT(&d, "[{\"bn\":\"/3/0/0\",\"vs\":\"Open Mobile Alliance\"}]");
    read_as(&h, "32770/0/0", TETHER_FMT_JSON, &d);
    ASSERT_TEXT(&d, "{\"bn\":\"/32770/0/0\",\"e\":[{\"v\":7}]}");
    read_as(&h, "32770/0/1", TETHER_FMT_SENML_JSON, &d); /* base64url, no padding */
    ASSERT_TEXT(&d, "[{\"bn\":\"/32770/0/1\",\"vd\":\"AQID\"}]");
    read_as(&h, "32770/0/1", TETHER_FMT_JSON, &d); /* base64 in sv */
    ASSERT_TEXT(&d, "{\"bn\":\"/32770/0/1\",\"e\":[{\"sv\":\"AQID\"}]}");
    read_as(&h, "32770/0/7", TETHER_FMT_SENML_JSON, &d);
    ASSERT_TEXT(&d, "[{\"bn\":\"/32770/0/7\",\"vlo\":\"3:0\"}]");
    read_as(&h, "32770/0/2/1", TETHER_FMT_SENML_JSON, &d);
    ASSERT_TEXT(&d, "[{\"bn\":\"/32770/0/2/1\",\"v\":-20}]");
    if (have_cbor()) {
        read_as(&h, "3/0/0", TETHER_FMT_SENML_CBOR, &d);
        assert_payload(&d, senml_cbor, sizeof(senml_cbor));
        read_as(&h, "3/0/0", TETHER_FMT_CBOR, &d);
        assert_payload(&d, senml_cbor + 11, sizeof(senml_cbor) - 11); /* the text string */
        read_as(&h, "32770/0/0", TETHER_FMT_CBOR, &d);
        assert_payload(&d, "\x07", 1);
        read_as(&h, "32770/0/4", TETHER_FMT_CBOR, &d); /* 1.5 is exact as a half */
        assert_payload(&d, "\xF9\x3E\x00", 3);
        read_as(&h, "32770/0/5", TETHER_FMT_CBOR, &d);
        assert_payload(&d, "\xF5", 1);
        read_as(&h, "32770/0/6", TETHER_FMT_CBOR, &d); /* tag 1, epoch seconds */
        assert_payload(&d, "\xC1\x1A\x51\x82\x42\x8F", 6);
        read_as(&h, "32770/0/2/1", TETHER_FMT_CBOR, &d);
        assert_payload(&d, "\x33", 1); /* -20 */
        /* More than one value: 4.06. */
        assert_int_equal(h_get(&h, "32770/0/2", TETHER_FMT_CBOR, &d), TETHER_COAP_NOT_ACCEPTABLE);
        assert_int_equal(h_get(&h, "32770/0", TETHER_FMT_CBOR, &d), TETHER_COAP_NOT_ACCEPTABLE);
        assert_int_equal(h_get(&h, "32770", TETHER_FMT_CBOR, &d), TETHER_COAP_NOT_ACCEPTABLE);
    }
    /* An Accept nobody defined: 4.06. */
    assert_int_equal(h_get(&h, "32770/0/0", 50, &d), TETHER_COAP_NOT_ACCEPTABLE);
    tether_client_fini(h.c);
}

/* Objects, instances and multiple resources: every record, in path order. */
static void test_client_formats_read_object_and_multiple_resource(void **state)
{
    harness h;
    gizmos gs;
    h_dgram d;
    (void)state;

    setup(&h, &gs);
    read_as(&h, "32770", TETHER_FMT_SENML_JSON, &d);
    ASSERT_TEXT(&d, "[{\"bn\":\"/32770/\",\"n\":\"0/0\",\"v\":7},{\"n\":\"0/1\",\"vd\":\"AQID\"},"
                    "{\"n\":\"0/2/0\",\"v\":10},{\"n\":\"0/2/1\",\"v\":-20},"
                    "{\"n\":\"0/3\",\"vs\":\"a\\\"b\"},{\"n\":\"0/4\",\"v\":1.5},"
                    "{\"n\":\"0/5\",\"vb\":true},{\"n\":\"0/6\",\"v\":1367491215},"
                    "{\"n\":\"0/7\",\"vlo\":\"3:0\"},"
                    "{\"n\":\"1/0\",\"v\":-1},{\"n\":\"1/1\",\"vd\":\"\"},"
                    "{\"n\":\"1/3\",\"vs\":\"second\"},{\"n\":\"1/4\",\"v\":0.0},"
                    "{\"n\":\"1/5\",\"vb\":false},{\"n\":\"1/6\",\"v\":0},"
                    "{\"n\":\"1/7\",\"vlo\":\"0:0\"}]");
    read_as(&h, "32770/0/2", TETHER_FMT_JSON, &d);
    ASSERT_TEXT(&d, "{\"bn\":\"/32770/0/2/\",\"e\":[{\"n\":\"0\",\"v\":10},{\"n\":\"1\",\"v\":-20}]}");
    read_as(&h, "32770/1", TETHER_FMT_JSON, &d);
    ASSERT_TEXT(&d, "{\"bn\":\"/32770/1/\",\"e\":[{\"n\":\"0\",\"v\":-1},{\"n\":\"1\",\"sv\":\"\"},"
                    "{\"n\":\"3\",\"sv\":\"second\"},{\"n\":\"4\",\"v\":0.0},"
                    "{\"n\":\"5\",\"bv\":false},{\"n\":\"6\",\"v\":0},{\"n\":\"7\",\"ov\":\"0:0\"}]}");
    /* An empty multiple resource is no record at all. */
    read_as(&h, "32770/1/2", TETHER_FMT_SENML_JSON, &d);
    ASSERT_TEXT(&d, "[]");
    if (have_cbor()) {
        /* [{-2: "/32770/0/2/", 0: "0", 2: 10}, {0: "1", 2: -20}] */
        static const uint8_t want[] = {0x82, 0xA3, 0x21, 0x6B, '/', '3', '2', '7', '7', '0', '/',
                                       '0', '/', '2', '/', 0x00, 0x61, '0', 0x02, 0x0A, 0xA2,
                                       0x00, 0x61, '1', 0x02, 0x33};
        read_as(&h, "32770/0/2", TETHER_FMT_SENML_CBOR, &d);
        assert_payload(&d, want, sizeof(want));
    }
    tether_client_fini(h.c);
}

/* --- Write and Create ------------------------------------------------------------------ */

static void test_client_formats_write_replace_and_partial(void **state)
{
    harness h;
    gizmos gs;
    (void)state;

    setup(&h, &gs);
    if (!have_json_dec()) {
        assert_int_equal(SEND_TEXT(&h, TETHER_COAP_PUT, "32770/0/0", TETHER_FMT_JSON, "{}"),
                         TETHER_COAP_UNSUPPORTED_CONTENT_FORMAT);
        tether_client_fini(h.c);
        return;
    }
    /* LwM2M JSON, partial update of an instance: every type. */
    assert_int_equal(
        SEND_TEXT(&h, TETHER_COAP_POST, "32770/0", TETHER_FMT_JSON,
                  "{\"bn\":\"/32770/0/\",\"e\":[{\"n\":\"0\",\"v\":42},{\"n\":\"1\",\"sv\":\"3q2+7w==\"},"
                  "{\"n\":\"2/2\",\"v\":5},{\"n\":\"3\",\"sv\":\"caf\\u00e9\"},{\"n\":\"4\",\"v\":-0.25},"
                  "{\"n\":\"5\",\"bv\":false},{\"n\":\"7\",\"ov\":\"1:2\"}]}"),
        TETHER_COAP_CHANGED);
    assert_int_equal(gs.g[0].count, 42);
    assert_int_equal(gs.g[0].blob_len, 4);
    assert_memory_equal(gs.g[0].blob, "\xDE\xAD\xBE\xEF", 4);
    assert_int_equal(gs.g[0].list[2], 5);
    assert_int_equal(gs.g[0].nlist, 3);
    assert_string_equal(gs.g[0].name, "caf\xC3\xA9");
    assert_true(gs.g[0].level == -0.25);
    assert_int_equal(gs.g[0].on, 0);
    assert_int_equal(gs.g[0].link.obj, 1);
    assert_int_equal(gs.g[0].link.inst, 2);
    /* SenML JSON, replace of one resource; and of a resource instance set. */
    assert_int_equal(SEND_TEXT(&h, TETHER_COAP_PUT, "32770/1/3", TETHER_FMT_SENML_JSON,
                               "[{\"bn\":\"/32770/1/3\",\"vs\":\"third\"}]"),
                     TETHER_COAP_CHANGED);
    assert_string_equal(gs.g[1].name, "third");
    assert_int_equal(SEND_TEXT(&h, TETHER_COAP_PUT, "32770/1/2", TETHER_FMT_SENML_JSON,
                               "[{\"bn\":\"/32770/1/2/\",\"n\":\"0\",\"v\":1},{\"n\":\"1\",\"v\":2}]"),
                     TETHER_COAP_CHANGED);
    assert_int_equal(gs.g[1].nlist, 2);
    assert_int_equal(gs.g[1].list[1], 2);
    /* SenML JSON with full names and no base, and vd. */
    assert_int_equal(SEND_TEXT(&h, TETHER_COAP_POST, "32770/1", TETHER_FMT_SENML_JSON,
                               "[{\"n\":\"/32770/1/1\",\"vd\":\"_-8\"},{\"n\":\"/32770/1/0\",\"v\":9}]"),
                     TETHER_COAP_CHANGED);
    assert_int_equal(gs.g[1].blob_len, 2);
    assert_memory_equal(gs.g[1].blob, "\xFF\xEF", 2);
    assert_int_equal(gs.g[1].count, 9);
    if (have_cbor()) {
        /* SenML CBOR: [{-2: "/32770/0/", 0: "0", 2: 3}, {0: "5", 4: true}] */
        static const uint8_t senml[] = {0x82, 0xA3, 0x21, 0x69, '/', '3', '2', '7', '7', '0',
                                        '/', '0', '/', 0x00, 0x61, '0', 0x02, 0x03,
                                        0xA2, 0x00, 0x61, '5', 0x04, 0xF5};
        assert_int_equal(send_body(&h, TETHER_COAP_POST, "32770/0", TETHER_FMT_SENML_CBOR, senml,
                                   sizeof(senml)),
                         TETHER_COAP_CHANGED);
        assert_int_equal(gs.g[0].count, 3);
        assert_int_equal(gs.g[0].on, 1);
        /* CBOR: one value, typed. */
        assert_int_equal(send_body(&h, TETHER_COAP_PUT, "32770/0/0", TETHER_FMT_CBOR, "\x38\x63", 2),
                         TETHER_COAP_CHANGED);
        assert_int_equal(gs.g[0].count, -100);
        assert_int_equal(send_body(&h, TETHER_COAP_PUT, "32770/0/3", TETHER_FMT_CBOR, "\x62hi", 3),
                         TETHER_COAP_CHANGED);
        assert_string_equal(gs.g[0].name, "hi");
        assert_int_equal(send_body(&h, TETHER_COAP_PUT, "32770/0/4", TETHER_FMT_CBOR,
                                   "\xFB\x40\x09\x21\xFB\x54\x44\x2D\x18", 9),
                         TETHER_COAP_CHANGED);
        assert_true(gs.g[0].level == 3.141592653589793);
        /* CBOR cannot fill an instance or a multiple resource: 4.15. */
        assert_int_equal(send_body(&h, TETHER_COAP_PUT, "32770/0/2", TETHER_FMT_CBOR, "\x01", 1),
                         TETHER_COAP_UNSUPPORTED_CONTENT_FORMAT);
        assert_int_equal(send_body(&h, TETHER_COAP_POST, "32770/0", TETHER_FMT_CBOR, "\x01", 1),
                         TETHER_COAP_UNSUPPORTED_CONTENT_FORMAT);
    }
    tether_client_fini(h.c);
}

static void test_client_formats_create_with_values(void **state)
{
    harness h;
    gizmos gs;
    h_dgram d;
    char loc[32];
    (void)state;

    setup(&h, &gs);
    if (!have_json_dec()) {
        tether_client_fini(h.c);
        return;
    }
    /* The records name the instance (/32770/3). */
    {
        static const char body[] = "{\"bn\":\"/32770/3/\",\"e\":[{\"n\":\"0\",\"v\":11},"
                                   "{\"n\":\"3\",\"sv\":\"made\"}]}";
        h_req r = {TETHER_COAP_POST, "32770", TETHER_FMT_JSON, -1, body, sizeof(body) - 1, NULL, 0};
        h_request(&h, 0, &r, &d);
        assert_int_equal(d.m.code, TETHER_COAP_CREATED);
        assert_int_equal(tether_coap_path_string(&d.m, TETHER_COAP_OPT_LOCATION_PATH, loc,
                                                 sizeof(loc)),
                         0);
        assert_string_equal(loc, "32770/3");
    }
    h_expect(&h, &d); /* the object list changed: an Update */
    h_answer(&h, 0, &d, TETHER_COAP_CHANGED, NULL);
    assert_true(gs.g[3].used);
    assert_int_equal(gs.g[3].count, 11);
    assert_string_equal(gs.g[3].name, "made");
    /* Read-only resources may be set by a Create: /32770/2/6 (Time). */
    assert_int_equal(SEND_TEXT(&h, TETHER_COAP_POST, "32770", TETHER_FMT_SENML_JSON,
                               "[{\"bn\":\"/32770/2/\",\"n\":\"6\",\"v\":100}]"),
                     TETHER_COAP_CREATED);
    h_expect(&h, &d);
    h_answer(&h, 0, &d, TETHER_COAP_CHANGED, NULL);
    assert_true(gs.g[2].used);
    assert_int_equal(gs.g[2].stamp, 100);
    /* Two instances in one Create, an existing instance, a refused value:
     * 4.00 and no instance made. */
    assert_int_equal(SEND_TEXT(&h, TETHER_COAP_POST, "32770", TETHER_FMT_SENML_JSON,
                               "[{\"n\":\"/32770/2/0\",\"v\":1},{\"n\":\"/32770/3/0\",\"v\":1}]"),
                     TETHER_COAP_BAD_REQUEST);
    assert_int_equal(SEND_TEXT(&h, TETHER_COAP_POST, "32770", TETHER_FMT_SENML_JSON,
                               "[{\"n\":\"/32770/0/0\",\"v\":1}]"),
                     TETHER_COAP_BAD_REQUEST);
    gs.g[3].used = 0;
    assert_int_equal(SEND_TEXT(&h, TETHER_COAP_POST, "32770", TETHER_FMT_SENML_JSON,
                               "[{\"n\":\"/32770/3/0\",\"v\":5000}]"),
                     TETHER_COAP_BAD_REQUEST);
    assert_false(gs.g[3].used);
    /* A single-value format cannot create: 4.15. */
    assert_int_equal(send_body(&h, TETHER_COAP_POST, "32770", TETHER_FMT_CBOR, "\x01", 1),
                     TETHER_COAP_UNSUPPORTED_CONTENT_FORMAT);
    tether_client_fini(h.c);
}

/* Every refusal is 4.00 (or the code named) and leaves the objects as they
 * were: no handler committed anything. */
static void test_client_formats_bad_payloads_change_nothing(void **state)
{
    static const struct {
        const char *path;
        int ct;
        const char *body;
        uint8_t code;
    } cases[] = {
        /* truncated, not JSON, trailing bytes */
        {"32770/0", TETHER_FMT_JSON, "{\"e\":[{\"n\":\"0\",\"v\":1}", TETHER_COAP_BAD_REQUEST},
        {"32770/0", TETHER_FMT_JSON, "{\"e\":[{\"n\":\"0\",\"v\":1}]} x", TETHER_COAP_BAD_REQUEST},
        {"32770/0", TETHER_FMT_SENML_JSON, "[{\"n\":\"/32770/0/0\",\"v\":1},", TETHER_COAP_BAD_REQUEST},
        {"32770/0", TETHER_FMT_SENML_JSON, "{}", TETHER_COAP_BAD_REQUEST},
        /* wrong types: a string for an Integer, a number for a String, a
         * fraction for an Integer, bad base64, a boolean for a Float */
        {"32770/0", TETHER_FMT_JSON, "{\"bn\":\"/32770/0/\",\"e\":[{\"n\":\"0\",\"sv\":\"1\"}]}",
         TETHER_COAP_BAD_REQUEST},
        {"32770/0", TETHER_FMT_SENML_JSON, "[{\"n\":\"/32770/0/3\",\"v\":1}]", TETHER_COAP_BAD_REQUEST},
        {"32770/0/0", TETHER_FMT_SENML_JSON, "[{\"n\":\"/32770/0/0\",\"v\":1.5}]",
         TETHER_COAP_BAD_REQUEST},
        {"32770/0/1", TETHER_FMT_JSON, "{\"e\":[{\"n\":\"/32770/0/1\",\"sv\":\"*\"}]}",
         TETHER_COAP_BAD_REQUEST},
        {"32770/0", TETHER_FMT_SENML_JSON, "[{\"n\":\"/32770/0/4\",\"vb\":true}]", TETHER_COAP_BAD_REQUEST},
        /* paths outside the target, a value where a multiple resource is */
        {"32770/0", TETHER_FMT_SENML_JSON, "[{\"n\":\"/32770/0/0\",\"v\":1},{\"n\":\"/32770/1/0\",\"v\":1}]",
         TETHER_COAP_BAD_REQUEST},
        {"32770/0/0", TETHER_FMT_SENML_JSON, "[{\"n\":\"/32770/0/3\",\"vs\":\"x\"}]", TETHER_COAP_BAD_REQUEST},
        {"32770/0/0", TETHER_FMT_SENML_JSON, "[{\"n\":\"/32770/0/0\",\"v\":1},{\"n\":\"/32770/0/0\",\"v\":2}]",
         TETHER_COAP_BAD_REQUEST},
        {"32770/0", TETHER_FMT_SENML_JSON, "[{\"n\":\"/32770/0/2\",\"v\":1}]", TETHER_COAP_BAD_REQUEST},
        {"32770/0", TETHER_FMT_SENML_JSON, "[{\"n\":\"/32770/0/0/0\",\"v\":1}]", TETHER_COAP_BAD_REQUEST},
        /* a good first value, then one the handler refuses */
        {"32770/0", TETHER_FMT_SENML_JSON, "[{\"n\":\"/32770/0/3\",\"vs\":\"new\"},{\"n\":\"/32770/0/0\",\"v\":5000}]",
         TETHER_COAP_BAD_REQUEST},
        /* a resource that does not exist; one that is read-only */
        {"32770/0", TETHER_FMT_SENML_JSON, "[{\"n\":\"/32770/0/3\",\"vs\":\"new\"},{\"n\":\"/32770/0/9\",\"v\":1}]",
         TETHER_COAP_NOT_FOUND},
        {"32770/0", TETHER_FMT_SENML_JSON, "[{\"n\":\"/32770/0/3\",\"vs\":\"new\"},{\"n\":\"/32770/0/6\",\"v\":1}]",
         TETHER_COAP_METHOD_NOT_ALLOWED},
        /* not UTF-8 */
        {"32770/0/3", TETHER_FMT_SENML_JSON, "[{\"n\":\"/32770/0/3\",\"vs\":\"\\udc00\"}]",
         TETHER_COAP_BAD_REQUEST},
    };
    /* CBOR: truncated, trailing bytes, a text string for an Integer, a
     * SenML record outside the target, an indefinite-length array head. */
    static const struct {
        const char *path;
        int ct;
        const char *body;
        size_t len;
    } cbor[] = {
        {"32770/0/0", TETHER_FMT_CBOR, "\x19\x01", 2},
        {"32770/0/0", TETHER_FMT_CBOR, "\x01\x02", 2},
        {"32770/0/0", TETHER_FMT_CBOR, "\x61x", 2},
        {"32770/0/0", TETHER_FMT_CBOR, "", 0},
        {"32770/0", TETHER_FMT_SENML_CBOR, "\x81\xA2\x00\x6A/32770/1/0\x02\x01", 15},
        {"32770/0", TETHER_FMT_SENML_CBOR, "\x81\xA2\x00\x6A/32770/0/0\x02", 14},
        {"32770/0", TETHER_FMT_SENML_CBOR, "\x81\xA2\x00\x6A/32770/0/3\x02\x01", 15},
    };
    harness h;
    gizmos gs, before;
    (void)state;

    setup(&h, &gs);
    before = gs;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int resource = strchr(strchr(cases[i].path, '/') + 1, '/') != NULL;
        uint8_t code = send_body(&h, resource ? TETHER_COAP_PUT : TETHER_COAP_POST, cases[i].path,
                                 cases[i].ct, cases[i].body, strlen(cases[i].body));
        uint8_t want = have_json_dec() ? cases[i].code : TETHER_COAP_UNSUPPORTED_CONTENT_FORMAT;
        if (code != want)
            fail_msg("case %zu (%s): got %u.%02u, want %u.%02u", i, cases[i].body, code >> 5,
                     code & 31, want >> 5, want & 31);
        assert_int_equal(gs.writes, 0);
        assert_memory_equal(&gs, &before, sizeof(gs));
    }
    for (size_t i = 0; have_cbor() && i < sizeof(cbor) / sizeof(cbor[0]); i++) {
        uint8_t code = send_body(&h, TETHER_COAP_PUT, cbor[i].path, cbor[i].ct, cbor[i].body,
                                 cbor[i].len);
        /* an empty PUT is a bad Write whatever its format */
        if (code != TETHER_COAP_BAD_REQUEST)
            fail_msg("cbor case %zu: got %u.%02u", i, code >> 5, code & 31);
        assert_memory_equal(&gs, &before, sizeof(gs));
    }
    tether_client_fini(h.c);
}

/* A Write with more JSON tokens than TETHER_CLIENT_JSON_TOKENS: 4.13. */
static void test_client_formats_json_beyond_the_tokens_is_4_13(void **state)
{
    harness h;
    gizmos gs;
    char body[1024];
    size_t n = 0;
    (void)state;

    setup(&h, &gs);
    if (!have_json_dec()) {
        tether_client_fini(h.c);
        return;
    }
    n += (size_t)snprintf(body + n, sizeof(body) - n, "[");
    for (int i = 0; i < TETHER_CLIENT_JSON_TOKENS / 5 + 2; i++)
        n += (size_t)snprintf(body + n, sizeof(body) - n, "%s{\"n\":\"/32770/0/0\",\"v\":%d}",
                              i ? "," : "", i);
    n += (size_t)snprintf(body + n, sizeof(body) - n, "]");
    assert_true(n < sizeof(body));
    assert_int_equal(send_body(&h, TETHER_COAP_POST, "32770/0", TETHER_FMT_SENML_JSON, body, n),
                     TETHER_COAP_REQUEST_ENTITY_TOO_LARGE);
    assert_int_equal(gs.writes, 0);
    tether_client_fini(h.c);
}

/* --- notifications --------------------------------------------------------------------- */

/* An Observe with Accept: its answer and every notification in that format. */
static void test_client_formats_notifications_in_the_accept_format(void **state)
{
    harness h;
    gizmos gs;
    h_dgram d;
    tether_lwm2m_path p = tether_lwm2m_path_make(3, G_OID, 0, 0, 0);
    uint8_t tok[2] = {0x70, 0x01};
    uint8_t buf[256];
    tether_coap_builder b;
    size_t len;
    (void)state;

    setup(&h, &gs);
    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_CON, TETHER_COAP_GET, 0x7001, tok, 2);
    tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_OBSERVE, 0);
    tether_coap_build_path(&b, TETHER_COAP_OPT_URI_PATH, "32770/0");
    tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_ACCEPT, TETHER_FMT_SENML_JSON);
    assert_int_equal(tether_coap_build_finish(&b, &len), 0);
    h_deliver(&h, 0, buf, len);
    h_expect(&h, &d);
    assert_int_equal(d.m.code, TETHER_COAP_CONTENT);
    assert_int_equal(ct_of(&d), TETHER_FMT_SENML_JSON);
    {
        tether_coap_opt o;
        assert_int_equal(tether_coap_opt_find(&d.m, TETHER_COAP_OPT_OBSERVE, &o), 0);
    }
    assert_true(d.m.payload_len > 20 && memcmp(d.m.payload, "[{\"bn\":\"/32770/0/\"", 18) == 0);
    gs.g[0].count = 8;
    gs.g[0].nlist = 0;
    gs.g[0].blob_len = 0;
    assert_int_equal(tether_client_changed(h.c, h.now, &p), 0);
    assert_true(h_run_until_sent(&h, 1000, &d));
    assert_int_equal(d.m.code, TETHER_COAP_CONTENT);
    assert_memory_equal(d.m.token, tok, 2);
    assert_int_equal(ct_of(&d), TETHER_FMT_SENML_JSON);
    ASSERT_TEXT(&d, "[{\"bn\":\"/32770/0/\",\"n\":\"0\",\"v\":8},{\"n\":\"1\",\"vd\":\"\"},"
                    "{\"n\":\"3\",\"vs\":\"a\\\"b\"},{\"n\":\"4\",\"v\":1.5},{\"n\":\"5\",\"vb\":true},"
                    "{\"n\":\"6\",\"v\":1367491215},{\"n\":\"7\",\"vlo\":\"3:0\"}]");
    if (have_cbor()) { /* a second observation, of one resource, in CBOR */
        p.len = 3;
        tok[1] = 0x02;
        tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_CON, TETHER_COAP_GET, 0x7002, tok, 2);
        tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_OBSERVE, 0);
        tether_coap_build_path(&b, TETHER_COAP_OPT_URI_PATH, "32770/0/0");
        tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_ACCEPT, TETHER_FMT_CBOR);
        assert_int_equal(tether_coap_build_finish(&b, &len), 0);
        h_deliver(&h, 0, buf, len);
        h_expect(&h, &d);
        assert_payload(&d, "\x08", 1);
        gs.g[0].count = 24;
        assert_int_equal(tether_client_changed(h.c, h.now, &p), 0);
        h_advance(&h, 1000);
        for (int i = 0; i < 2; i++) { /* both observations notify; take the CBOR one */
            assert_true(h_take(&h, &d));
            if (d.m.token[1] == 0x02) {
                assert_int_equal(ct_of(&d), TETHER_FMT_CBOR);
                assert_payload(&d, "\x18\x18", 2);
            }
        }
    }
    tether_client_fini(h.c);
}

/* --- the Register ---------------------------------------------------------------------- */

static void test_client_formats_register_advertises_json_when_asked(void **state)
{
    harness h;
    h_dgram d;
    char p[128];
    (void)state;

    h_init_cfg(&h, "dev1");
    h.cfg.advertise_json = 1;
    h_init_client(&h);
    h_add_server(&h, 0, 1, 300, NULL);
    assert_int_equal(tether_client_start(h.c, h.now), 0);
    h_expect(&h, &d);
    if (have_json_dec())
        assert_string_equal(h_payload(&d, p, sizeof(p)), "</>;rt=\"oma.lwm2m\";ct=11543,</1/0>,</3/0>");
    else /* no JSON decoder in this build: nothing to advertise */
        assert_string_equal(h_payload(&d, p, sizeof(p)), "</1/0>,</3/0>");
    tether_client_fini(h.c);
}

/* --- end to end with the server engine --------------------------------------------------- */

typedef struct world {
    harness h;
    gizmos gs;
    tether_server *srv;
    tether_peer client_peer;
} world;

typedef struct got {
    int calls;
    uint8_t code;
    uint32_t cf;
    int values_status;
    size_t n;
    tether_server_value v[24];
    char str[24][32];
} got;

static void on_got(void *arg, tether_time now, int status, const tether_server_response *r)
{
    got *g = arg;
    (void)now;
    assert_int_equal(status, 0);
    g->calls++;
    g->code = r->code;
    g->cf = r->content_format;
    g->values_status = r->values_status;
    g->n = r->n_values < 24 ? r->n_values : 24;
    for (size_t i = 0; i < g->n; i++) {
        g->v[i] = r->values[i];
        g->str[i][0] = '\0';
        if (r->values[i].value.type == TETHER_LWM2M_STRING ||
            r->values[i].value.type == TETHER_LWM2M_OPAQUE)
            snprintf(g->str[i], sizeof(g->str[i]), "%.*s", (int)r->values[i].value.bytes.len,
                     (const char *)r->values[i].value.bytes.ptr);
    }
}

static void pump(world *w)
{
    duo_pump(&w->h, w->srv, &w->client_peer, NULL, NULL);
}

static void world_setup(world *w)
{
    tether_server_config cfg;

    memset(w, 0, sizeof(*w));
    h_init_cfg(&w->h, "dev1");
    w->h.cfg.advertise_json = 1;
    h_init_client(&w->h);
    g_fill(&w->gs);
    assert_int_equal(tether_client_add_object(w->h.c, w->h.now, &gizmo_obj, &w->gs), 0);
    h_add_server(&w->h, 0, 1, 600, NULL);
    w->client_peer = h_peer(9);
    duo_config(&cfg);
    assert_int_equal(tether_server_new(&w->srv, &cfg, NULL, w), 0);
    assert_int_equal(tether_client_start(w->h.c, w->h.now), 0);
    pump(w);
    assert_int_equal(tether_client_server_state(w->h.c, 1), TETHER_CLIENT_REGISTERED);
}

static const tether_server_value *value_at(const got *g, int len, uint16_t rid, uint16_t riid)
{
    for (size_t i = 0; i < g->n; i++)
        if (g->v[i].path.len == len && g->v[i].path.ids[2] == rid &&
            (len < 4 || g->v[i].path.ids[3] == riid))
            return &g->v[i];
    return NULL;
}

static void check_instance0(const got *g)
{
    const tether_server_value *v;

    assert_int_equal(g->values_status, 0);
    assert_int_equal(g->n, 9);
    v = value_at(g, 3, 0, 0);
    assert_non_null(v);
    assert_true(v->value.type == TETHER_LWM2M_INTEGER || v->value.type == TETHER_LWM2M_UNSIGNED);
    assert_int_equal(v->value.i, 7);
    v = value_at(g, 4, 2, 1);
    assert_non_null(v);
    assert_int_equal(v->value.i, -20);
    v = value_at(g, 3, 3, 0);
    assert_non_null(v);
    assert_int_equal(v->value.type, TETHER_LWM2M_STRING);
    assert_string_equal(g->str[v - g->v], "a\"b");
    v = value_at(g, 3, 4, 0);
    assert_int_equal(v->value.type, TETHER_LWM2M_FLOAT);
    assert_true(v->value.f == 1.5);
    v = value_at(g, 3, 5, 0);
    assert_int_equal(v->value.type, TETHER_LWM2M_BOOLEAN);
    assert_int_equal(v->value.b, 1);
}

static void test_client_formats_server_reads_every_format(void **state)
{
    static const uint32_t multi[] = {TETHER_FMT_JSON, TETHER_FMT_SENML_JSON, TETHER_FMT_SENML_CBOR,
                                     TETHER_FMT_TLV};
    world w;
    got g;
    (void)state;

    world_setup(&w);
    /* The registration names LwM2M JSON in the root link when the build
     * takes it both ways. */
    assert_int_equal(!!(tether_server_reg_formats(tether_server_find_ep(w.srv, "dev1", 4)) &
                        TETHER_CT_JSON),
                     have_json_dec());
    for (size_t i = 0; i < sizeof(multi) / sizeof(multi[0]); i++) {
        if (multi[i] == TETHER_FMT_SENML_CBOR && !have_cbor())
            continue;
        memset(&g, 0, sizeof(g));
        assert_int_equal(tether_server_read(w.srv, w.h.now, "dev1", "/32770/0", multi[i], on_got, &g), 0);
        pump(&w);
        assert_int_equal(g.calls, 1);
        assert_int_equal(g.code, TETHER_COAP_CONTENT);
        assert_int_equal(g.cf, multi[i]);
        if (multi[i] != TETHER_FMT_TLV) /* TLV values need the models to be typed */
            check_instance0(&g);
    }
    if (have_cbor()) {
        memset(&g, 0, sizeof(g));
        assert_int_equal(tether_server_read(w.srv, w.h.now, "dev1", "/32770/0/3", TETHER_FMT_CBOR, on_got, &g),
                         0);
        pump(&w);
        assert_int_equal(g.code, TETHER_COAP_CONTENT);
        assert_int_equal(g.n, 1);
        assert_int_equal(g.v[0].value.type, TETHER_LWM2M_STRING);
        assert_string_equal(g.str[0], "a\"b");
    }
    tether_server_free(w.srv);
    tether_client_fini(w.h.c);
}

static void test_client_formats_server_writes_every_format(void **state)
{
    static const uint32_t fmts[] = {TETHER_FMT_JSON, TETHER_FMT_SENML_JSON, TETHER_FMT_SENML_CBOR};
    world w;
    got g;
    tether_server_request r;
    tether_lwm2m_record recs[3];
    (void)state;

    world_setup(&w);
    for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
        int decodes = fmts[i] == TETHER_FMT_SENML_CBOR ? have_cbor() : have_json_dec();
        if (fmts[i] == TETHER_FMT_SENML_CBOR && !have_cbor())
            continue;
        memset(recs, 0, sizeof(recs));
        recs[0].path = tether_lwm2m_path_make(3, G_OID, 1, 0, 0);
        recs[0].value = tether_lwm2m_value_int(100 + (int64_t)i);
        recs[1].path = tether_lwm2m_path_make(4, G_OID, 1, 2, 0);
        recs[1].value = tether_lwm2m_value_int(-5);
        recs[2].path = tether_lwm2m_path_make(3, G_OID, 1, 3, 0);
        recs[2].value = tether_lwm2m_value_cstr("from server");
        memset(&r, 0, sizeof(r));
        r.op = TETHER_SERVER_OP_WRITE_PARTIAL;
        r.path = "/32770/1";
        r.format = fmts[i];
        memset(&g, 0, sizeof(g));
        assert_int_equal(tether_server_submit_values(w.srv, w.h.now, "dev1", &r, recs, 3, on_got, &g, NULL),
                         0);
        pump(&w);
        assert_int_equal(g.calls, 1);
        if (!decodes) {
            assert_int_equal(g.code, TETHER_COAP_UNSUPPORTED_CONTENT_FORMAT);
            continue;
        }
        assert_int_equal(g.code, TETHER_COAP_CHANGED);
        assert_int_equal(w.gs.g[1].count, 100 + (int64_t)i);
        assert_int_equal(w.gs.g[1].list[0], -5);
        assert_string_equal(w.gs.g[1].name, "from server");
        w.gs.g[1].count = 0;
    }
    tether_server_free(w.srv);
    tether_client_fini(w.h.c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_formats_read_device_instance_as_in_the_spec),
        cmocka_unit_test(test_client_formats_read_single_resource_in_each_format),
        cmocka_unit_test(test_client_formats_read_object_and_multiple_resource),
        cmocka_unit_test(test_client_formats_write_replace_and_partial),
        cmocka_unit_test(test_client_formats_create_with_values),
        cmocka_unit_test(test_client_formats_bad_payloads_change_nothing),
        cmocka_unit_test(test_client_formats_json_beyond_the_tokens_is_4_13),
        cmocka_unit_test(test_client_formats_notifications_in_the_accept_format),
        cmocka_unit_test(test_client_formats_register_advertises_json_when_asked),
        cmocka_unit_test(test_client_formats_server_reads_every_format),
        cmocka_unit_test(test_client_formats_server_writes_every_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
