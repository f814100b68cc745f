/* SPDX-License-Identifier: Apache-2.0 */
/* Block-wise transfer in the client (RFC 7959, src/client/dm.c and
 * register.c): a Write arriving in Block1 blocks, a Read answer larger than
 * a datagram sliced in Block2, and a Register whose object list does not
 * fit one datagram sent in Block1 blocks. */
#include "client/client_harness.h"

/* /32769 with n instances and one long string resource. */
static int ninst = 1;
static char longname[3000];

static int32_t obj_next(void *user, int32_t prev)
{
    (void)user;
    return prev + 1 < ninst ? prev + 1 : -1;
}

static int obj_read(void *user, uint16_t iid, uint16_t rid, uint16_t riid, tether_lwm2m_value *out)
{
    (void)user;
    (void)iid;
    (void)rid;
    (void)riid;
    *out = tether_lwm2m_value_cstr(longname);
    return 0;
}

static const tether_client_res_def obj_res[] = {{0, TETHER_LWM2M_OP_R, TETHER_LWM2M_STRING, 0}};
static const tether_client_object obj = {
    .oid = 32769, .multi_instance = 1, .nres = 1, .res = obj_res,
    .next_instance = obj_next, .read = obj_read,
};

static void setup(harness *h, int instances)
{
    ninst = instances;
    for (size_t i = 0; i < sizeof(longname) - 1; i++)
        longname[i] = (char)('a' + i % 26);
    longname[sizeof(longname) - 1] = '\0';
    h_init_cfg(h, "dev1");
    h_init_client(h);
    h_add_server(h, 0, 1, 300, NULL);
    assert_int_equal(tether_client_add_object(h->c, h->now, &obj, NULL), 0);
    assert_int_equal(tether_client_start(h->c, h->now), 0);
}

/* Send a request with a Block1 or Block2 option from server 0. */
static void block_request(harness *h, uint8_t code, const char *path, int ct, uint16_t blkopt,
                          uint32_t num, int more, uint8_t szx, const void *p, size_t n,
                          h_dgram *d)
{
    uint8_t buf[1200], tok[2] = {0x5A, (uint8_t)h->next_mid};
    tether_coap_builder b;
    tether_coap_block blk = {num, (uint8_t)more, szx};
    size_t len;

    tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_CON, code, h->next_mid++, tok, 2);
    tether_coap_build_path(&b, TETHER_COAP_OPT_URI_PATH, path);
    if (ct >= 0)
        tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_CONTENT_FORMAT, (uint32_t)ct);
    tether_coap_build_block(&b, blkopt, &blk);
    tether_coap_build_payload(&b, p, n);
    assert_int_equal(tether_coap_build_finish(&b, &len), 0);
    assert_int_equal(tether_client_recv(h->c, h->now, &h->peers[0], buf, len), 0);
    h_expect(h, d);
    assert_memory_equal(d->m.token, tok, 2);
}

static void test_block_write_in_block1_blocks(void **state)
{
    /* 19 bytes of TLV for /1/0 in 16-byte blocks. */
    static const uint8_t tlv[] = {0xC1, 0x01, 0x78, 0xC1, 0x02, 0x05, 0xC1, 0x03, 0x32, 0xC1,
                                  0x05, 0x3C, 0xC1, 0x06, 0x01, 0xC2, 0x07, 'U', 'Q'};
    harness h;
    h_dgram d;
    tether_coap_block blk;
    (void)state;

    setup(&h, 1);
    h_register(&h, 0, "rd/s");
    block_request(&h, TETHER_COAP_PUT, "1/0", TETHER_FMT_TLV, TETHER_COAP_OPT_BLOCK1, 0, 1, 0,
                  tlv, 16, &d);
    assert_int_equal(d.m.code, TETHER_COAP_CONTINUE);
    assert_int_equal(tether_coap_block_get(&d.m, TETHER_COAP_OPT_BLOCK1, &blk), 0);
    assert_int_equal(blk.num, 0);
    assert_int_equal(blk.more, 1);
    assert_int_equal(tether_client_lifetime(h.c, 1), 300); /* nothing applied yet */
    h_expect_none(&h);
    block_request(&h, TETHER_COAP_PUT, "1/0", TETHER_FMT_TLV, TETHER_COAP_OPT_BLOCK1, 1, 0, 0,
                  tlv + 16, 3, &d);
    assert_int_equal(d.m.code, TETHER_COAP_CHANGED);
    assert_int_equal(tether_coap_block_get(&d.m, TETHER_COAP_OPT_BLOCK1, &blk), 0);
    assert_int_equal(blk.num, 1);
    assert_int_equal(blk.more, 0);
    assert_int_equal(tether_client_lifetime(h.c, 1), 120);
    h_expect(&h, &d);
    h_assert_request(&d, TETHER_COAP_POST, "rd/s", "lt=120&b=UQ", NULL);

    /* A block out of the blue: 4.08; a refused whole body: nothing applied. */
    block_request(&h, TETHER_COAP_PUT, "1/0", TETHER_FMT_TLV, TETHER_COAP_OPT_BLOCK1, 3, 0, 0,
                  tlv, 3, &d);
    assert_int_equal(d.m.code, TETHER_COAP_REQUEST_ENTITY_INCOMPLETE);
    {
        uint8_t bad[19];
        memcpy(bad, tlv, sizeof(bad));
        bad[2] = 0; /* lifetime 0 */
        block_request(&h, TETHER_COAP_PUT, "1/0", TETHER_FMT_TLV, TETHER_COAP_OPT_BLOCK1, 0, 1, 0,
                      bad, 16, &d);
        assert_int_equal(d.m.code, TETHER_COAP_CONTINUE);
        block_request(&h, TETHER_COAP_PUT, "1/0", TETHER_FMT_TLV, TETHER_COAP_OPT_BLOCK1, 1, 0, 0,
                      bad + 16, 3, &d);
        assert_int_equal(d.m.code, TETHER_COAP_BAD_REQUEST);
        assert_int_equal(tether_client_lifetime(h.c, 1), 120);
    }
}

static void test_block_read_answer_in_block2_slices(void **state)
{
    harness h;
    h_dgram d;
    tether_coap_block blk;
    char got[4096];
    size_t n = 0;
    uint32_t size2;
    (void)state;

    setup(&h, 1);
    h_register(&h, 0, "rd/s");
    /* No Block2 in the request: the answer is too large for one datagram,
     * so it comes as block 0 of 1024 bytes, with Size2. */
    h_get(&h, "32769/0/0", -1, &d);
    assert_int_equal(d.m.code, TETHER_COAP_CONTENT);
    assert_int_equal(tether_coap_block_get(&d.m, TETHER_COAP_OPT_BLOCK2, &blk), 0);
    assert_int_equal(blk.num, 0);
    assert_int_equal(blk.more, 1);
    assert_int_equal(blk.szx, 6);
    assert_int_equal(tether_coap_opt_uint(&d.m, TETHER_COAP_OPT_SIZE2, &size2), 0);
    assert_int_equal(size2, strlen(longname));
    memcpy(got, d.m.payload, d.m.payload_len);
    n = d.m.payload_len;
    for (uint32_t num = 1; blk.more; num++) {
        block_request(&h, TETHER_COAP_GET, "32769/0/0", -1, TETHER_COAP_OPT_BLOCK2, num, 0, 6,
                      NULL, 0, &d);
        assert_int_equal(d.m.code, TETHER_COAP_CONTENT);
        assert_int_equal(tether_coap_block_get(&d.m, TETHER_COAP_OPT_BLOCK2, &blk), 0);
        assert_int_equal(blk.num, num);
        memcpy(got + n, d.m.payload, d.m.payload_len);
        n += d.m.payload_len;
    }
    assert_int_equal(n, strlen(longname));
    assert_memory_equal(got, longname, n);
    /* Early negotiation of small blocks, and a block past the end. */
    block_request(&h, TETHER_COAP_GET, "32769/0/0", -1, TETHER_COAP_OPT_BLOCK2, 2, 0, 0, NULL,
                  0, &d);
    assert_int_equal(d.m.payload_len, 16);
    assert_memory_equal(d.m.payload, longname + 32, 16);
    block_request(&h, TETHER_COAP_GET, "32769/0/0", -1, TETHER_COAP_OPT_BLOCK2, 9999, 0, 0,
                  NULL, 0, &d);
    assert_int_equal(d.m.code, TETHER_COAP_BAD_OPTION);
}

static void test_block_register_object_list_in_block1_blocks(void **state)
{
    harness h;
    h_dgram d;
    tether_coap_block blk;
    char body[4096], q0[256], q[256];
    size_t n = 0;
    int blocks = 0;
    (void)state;

    setup(&h, 150); /* </32769/0>..</32769/149>: about 2 KB */
    h_expect(&h, &d);
    assert_string_equal(h_query(&d, q0, sizeof(q0)), "ep=dev1&lt=300&lwm2m=1.0&b=U");
    for (;;) {
        char path[16];
        assert_string_equal(h_path(&d, path, sizeof(path)), "rd");
        assert_string_equal(h_query(&d, q, sizeof(q)), q0); /* same options on every block */
        assert_int_equal(h_ct(&d), TETHER_FMT_LINK);
        assert_int_equal(tether_coap_block_get(&d.m, TETHER_COAP_OPT_BLOCK1, &blk), 0);
        assert_int_equal(blk.num, (uint32_t)blocks);
        memcpy(body + n, d.m.payload, d.m.payload_len);
        n += d.m.payload_len;
        blocks++;
        if (!blk.more)
            break;
        {
            uint8_t buf[64];
            tether_coap_builder b;
            size_t len;
            tether_coap_build_init(&b, buf, sizeof(buf), TETHER_COAP_ACK, TETHER_COAP_CONTINUE,
                                   d.m.mid, d.m.token, d.m.tkl);
            tether_coap_build_block(&b, TETHER_COAP_OPT_BLOCK1, &blk);
            assert_int_equal(tether_coap_build_finish(&b, &len), 0);
            assert_int_equal(tether_client_recv(h.c, h.now, &h.peers[0], buf, len), 0);
        }
        assert_int_equal(tether_client_server_state(h.c, 1), TETHER_CLIENT_REGISTER_SENT);
        h_expect(&h, &d);
    }
    assert_true(blocks >= 2);
    body[n] = '\0';
    assert_true(strncmp(body, "</1/0>,</3/0>,</32769/0>,</32769/1>,", 36) == 0);
    assert_non_null(strstr(body, ",</32769/149>"));
    assert_int_equal(n, strlen(body));
    h_answer(&h, 0, &d, TETHER_COAP_CREATED, "rd/big");
    assert_int_equal(tether_client_server_state(h.c, 1), TETHER_CLIENT_REGISTERED);
    /* The next Update carries no list, so no blocks. */
    assert_int_equal(tether_client_trigger_update(h.c, h.now, 1), 0);
    h_expect(&h, &d);
    h_assert_request(&d, TETHER_COAP_POST, "rd/big", "", NULL);
}

static void test_block_register_refused_midway_backs_off(void **state)
{
    harness h;
    h_dgram d;
    (void)state;

    setup(&h, 150);
    h_expect(&h, &d);
    h_answer(&h, 0, &d, TETHER_COAP_REQUEST_ENTITY_INCOMPLETE, NULL);
    assert_int_equal(tether_client_server_state(h.c, 1), TETHER_CLIENT_WAIT_REGISTER);
    assert_int_equal(h_count_events(&h, TETHER_CLIENT_EV_REGISTER_FAILED), 1);
    h_expect_none(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_block_write_in_block1_blocks),
        cmocka_unit_test(test_block_read_answer_in_block2_slices),
        cmocka_unit_test(test_block_register_object_list_in_block1_blocks),
        cmocka_unit_test(test_block_register_refused_midway_backs_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
