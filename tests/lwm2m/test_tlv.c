/* SPDX-License-Identifier: Apache-2.0 */
/* OMA-TLV (LwM2M 1.0 §6.4.3): the examples of §6.4.3.1 - §6.4.3.3 decoded
 * and re-encoded byte for byte, value helpers, and every malformation. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tether/lwm2m_tlv.h"

/* §6.4.3.1: Read /3/0, the Device Object instance as its resources. The
 * spec prints resource 1 as "Lightweigt M2M Client" with length 0x16; the
 * 22 bytes that length promises are "Lightweight M2M Client", used here. */
static const uint8_t device_0[] = {
    0xC8, 0x00, 0x14, 'O', 'p', 'e', 'n', ' ', 'M', 'o', 'b', 'i', 'l', 'e', ' ', 'A', 'l', 'l',
    'i', 'a', 'n', 'c', 'e',
    0xC8, 0x01, 0x16, 'L', 'i', 'g', 'h', 't', 'w', 'e', 'i', 'g', 'h', 't', ' ', 'M', '2', 'M',
    ' ', 'C', 'l', 'i', 'e', 'n', 't',
    0xC8, 0x02, 0x09, '3', '4', '5', '0', '0', '0', '1', '2', '3',
    0xC3, 0x03, '1', '.', '0',
    0x86, 0x06,                   /* Available Power Sources */
    0x41, 0x00, 0x01,             /*   [0] = 1 (internal battery) */
    0x41, 0x01, 0x05,             /*   [1] = 5 (USB) */
    0x88, 0x07, 0x08,             /* Power Source Voltage */
    0x42, 0x00, 0x0E, 0xD8,       /*   [0] = 3800 */
    0x42, 0x01, 0x13, 0x88,       /*   [1] = 5000 */
    0x87, 0x08,                   /* Power Source Current */
    0x41, 0x00, 0x7D,             /*   [0] = 125 */
    0x42, 0x01, 0x03, 0x84,       /*   [1] = 900 */
    0xC1, 0x09, 0x64,             /* Battery Level = 100 */
    0xC1, 0x0A, 0x0F,             /* Memory Free = 15 */
    0x83, 0x0B,                   /* Error Code */
    0x41, 0x00, 0x00,             /*   [0] = 0 */
    0xC4, 0x0D, 0x51, 0x82, 0x42, 0x8F, /* Current Time = 1367491215 */
    0xC6, 0x0E, '+', '0', '2', ':', '0', '0', /* UTC Offset */
    0xC1, 0x10, 'U',              /* Supported Binding and Modes */
};

/* §6.4.3.2: the same as Read /3, wrapped in Object Instance 0 (121 bytes). */
static const uint8_t device_obj_hdr[] = {0x08, 0x00, 0x79};

/* §6.4.3.2: Read /2 (Access Control), two instances; the second has a
 * resource instance with a 16-bit id (0x61 01 36: id 310). The spec prints
 * that ACL's header as 0x86 (length 6) over 7 bytes of content; the
 * instance length 0x12 agrees with 7, so 0x87 is what it means. */
static const uint8_t acl_two[] = {
    0x08, 0x00, 0x0E,
    0xC1, 0x00, 0x01,
    0xC1, 0x01, 0x00,
    0x83, 0x02, 0x41, 0x7F, 0x07,
    0xC1, 0x03, 0x7F,
    0x08, 0x02, 0x12,
    0xC1, 0x00, 0x03,
    0xC1, 0x01, 0x00,
    0x87, 0x02, 0x41, 0x7F, 0x07, 0x61, 0x01, 0x36, 0x01,
    0xC1, 0x03, 0x7F,
};

/* §6.4.3.2: Read /1 (LwM2M Server), one instance: SSID 1, lifetime 86400,
 * notification storing true, binding "U". The spec prints the instance
 * length as 0x0D; its content is 15 bytes, so 0x0F is what it means. */
static const uint8_t server_one[] = {
    0x08, 0x00, 0x0F,
    0xC1, 0x00, 0x01,
    0xC4, 0x01, 0x00, 0x01, 0x51, 0x80,
    0xC1, 0x06, 0x01,
    0xC1, 0x07, 'U',
};

/* §6.4.3.3: Objlnk resources: a multiple resource of two links (66:0 and
 * 66:1), a string and a 4-byte integer. */
static const uint8_t objlnk_multi[] = {
    0x88, 0x00, 0x0C,
    0x44, 0x00, 0x00, 0x42, 0x00, 0x00,
    0x44, 0x01, 0x00, 0x42, 0x00, 0x01,
    0xC8, 0x01, 0x0D, '8', '6', '1', '3', '8', '0', '0', '7', '5', '5', '5', '0', '0',
    0xC4, 0x02, 0x12, 0x34, 0x56, 0x78,
};

/* §6.4.3.3: two instances, the second holding the null link 65535:65535.
 * The spec prints 0x23 for lengths of 38 bytes; 0x26 is used here. */
static const uint8_t objlnk_instances[] = {
    0x08, 0x00, 0x26,
    0xC8, 0x00, 0x0B, 'm', 'y', 'S', 'e', 'r', 'v', 'i', 'c', 'e', ' ', '1',
    0xC8, 0x01, 0x0F, 'I', 'n', 't', 'e', 'r', 'n', 'e', 't', '.', '1', '5', '.', '2', '3', '4',
    0xC4, 0x02, 0x00, 0x43, 0x00, 0x00,
    0x08, 0x01, 0x26,
    0xC8, 0x00, 0x0B, 'm', 'y', 'S', 'e', 'r', 'v', 'i', 'c', 'e', ' ', '2',
    0xC8, 0x01, 0x0F, 'I', 'n', 't', 'e', 'r', 'n', 'e', 't', '.', '1', '5', '.', '2', '3', '5',
    0xC4, 0x02, 0xFF, 0xFF, 0xFF, 0xFF,
};

static int64_t int_of(const tether_tlv_entry *e)
{
    tether_lwm2m_value v;
    assert_int_equal(tether_tlv_decode_value(e, TETHER_LWM2M_INTEGER, &v), 0);
    return v.i;
}

static int str_is(const tether_tlv_entry *e, const char *s)
{
    return e->len == strlen(s) && memcmp(e->val, s, e->len) == 0;
}

/* Walk the resources of a Device instance and check each value. */
static void check_device_resources(tether_tlv_iter *it)
{
    tether_tlv_entry e, ri;
    tether_tlv_iter sub;
    tether_lwm2m_value v;

    assert_int_equal(tether_tlv_next(it, &e), 0);
    assert_int_equal(e.type, TETHER_TLV_RESOURCE);
    assert_int_equal(e.id, 0);
    assert_true(str_is(&e, "Open Mobile Alliance"));
    assert_int_equal(tether_tlv_next(it, &e), 0);
    assert_int_equal(e.id, 1);
    assert_true(str_is(&e, "Lightweight M2M Client"));
    assert_int_equal(tether_tlv_next(it, &e), 0);
    assert_true(str_is(&e, "345000123"));
    assert_int_equal(tether_tlv_next(it, &e), 0);
    assert_int_equal(e.id, 3);
    assert_int_equal(tether_tlv_decode_value(&e, TETHER_LWM2M_STRING, &v), 0);
    assert_int_equal(v.bytes.len, 3);

    /* 6: Available Power Sources, a multiple resource of two instances */
    assert_int_equal(tether_tlv_next(it, &e), 0);
    assert_int_equal(e.type, TETHER_TLV_MULTIPLE_RESOURCE);
    assert_int_equal(e.id, 6);
    assert_int_equal(e.len, 6);
    assert_int_equal(tether_tlv_iter_enter(&sub, &e), 0);
    assert_int_equal(tether_tlv_next(&sub, &ri), 0);
    assert_int_equal(ri.type, TETHER_TLV_RESOURCE_INSTANCE);
    assert_int_equal(ri.id, 0);
    assert_int_equal(int_of(&ri), 1);
    assert_int_equal(tether_tlv_next(&sub, &ri), 0);
    assert_int_equal(ri.id, 1);
    assert_int_equal(int_of(&ri), 5);
    assert_int_equal(tether_tlv_next(&sub, &ri), TETHER_ERR_NOT_FOUND);

    /* 7: voltages, 2-byte integers behind an 8-bit length */
    assert_int_equal(tether_tlv_next(it, &e), 0);
    assert_int_equal(e.id, 7);
    assert_int_equal(e.len, 8);
    assert_int_equal(tether_tlv_iter_enter(&sub, &e), 0);
    assert_int_equal(tether_tlv_next(&sub, &ri), 0);
    assert_int_equal(int_of(&ri), 3800);
    assert_int_equal(tether_tlv_next(&sub, &ri), 0);
    assert_int_equal(int_of(&ri), 5000);

    /* 8: currents, mixed widths */
    assert_int_equal(tether_tlv_next(it, &e), 0);
    assert_int_equal(e.id, 8);
    assert_int_equal(tether_tlv_iter_enter(&sub, &e), 0);
    assert_int_equal(tether_tlv_next(&sub, &ri), 0);
    assert_int_equal(int_of(&ri), 125);
    assert_int_equal(tether_tlv_next(&sub, &ri), 0);
    assert_int_equal(int_of(&ri), 900);

    assert_int_equal(tether_tlv_next(it, &e), 0);
    assert_int_equal(e.id, 9);
    assert_int_equal(int_of(&e), 100);
    assert_int_equal(tether_tlv_next(it, &e), 0);
    assert_int_equal(e.id, 10);
    assert_int_equal(int_of(&e), 15);
    assert_int_equal(tether_tlv_next(it, &e), 0);
    assert_int_equal(e.id, 11);
    assert_int_equal(tether_tlv_iter_enter(&sub, &e), 0);
    assert_int_equal(tether_tlv_next(&sub, &ri), 0);
    assert_int_equal(int_of(&ri), 0);

    assert_int_equal(tether_tlv_next(it, &e), 0);
    assert_int_equal(e.id, 13);
    assert_int_equal(tether_tlv_decode_value(&e, TETHER_LWM2M_TIME, &v), 0);
    assert_int_equal(v.type, TETHER_LWM2M_TIME);
    assert_int_equal(v.i, 1367491215);
    assert_int_equal(tether_tlv_next(it, &e), 0);
    assert_int_equal(e.id, 14);
    assert_true(str_is(&e, "+02:00"));
    assert_int_equal(tether_tlv_next(it, &e), 0);
    assert_int_equal(e.id, 16);
    assert_true(str_is(&e, "U"));
    assert_int_equal(tether_tlv_next(it, &e), TETHER_ERR_NOT_FOUND);
}

static void test_tlv_decodes_spec_device_instance(void **state)
{
    tether_tlv_iter it;
    (void)state;
    assert_int_equal(tether_tlv_validate(device_0, sizeof(device_0)), 0);
    tether_tlv_iter_init(&it, device_0, sizeof(device_0));
    check_device_resources(&it);
}

/* Write the Device instance's resources as the spec lists them. */
static void write_device_resources(tether_tlv_writer *w)
{
    tether_tlv_write_string(w, TETHER_TLV_RESOURCE, 0, "Open Mobile Alliance", 20);
    tether_tlv_write_string(w, TETHER_TLV_RESOURCE, 1, "Lightweight M2M Client", 22);
    tether_tlv_write_string(w, TETHER_TLV_RESOURCE, 2, "345000123", 9);
    tether_tlv_write_string(w, TETHER_TLV_RESOURCE, 3, "1.0", 3);
    tether_tlv_begin(w, TETHER_TLV_MULTIPLE_RESOURCE, 6);
    tether_tlv_write_int(w, TETHER_TLV_RESOURCE_INSTANCE, 0, 1);
    tether_tlv_write_int(w, TETHER_TLV_RESOURCE_INSTANCE, 1, 5);
    tether_tlv_end(w);
    tether_tlv_begin(w, TETHER_TLV_MULTIPLE_RESOURCE, 7);
    tether_tlv_write_int(w, TETHER_TLV_RESOURCE_INSTANCE, 0, 3800);
    tether_tlv_write_int(w, TETHER_TLV_RESOURCE_INSTANCE, 1, 5000);
    tether_tlv_end(w);
    tether_tlv_begin(w, TETHER_TLV_MULTIPLE_RESOURCE, 8);
    tether_tlv_write_int(w, TETHER_TLV_RESOURCE_INSTANCE, 0, 125);
    tether_tlv_write_int(w, TETHER_TLV_RESOURCE_INSTANCE, 1, 900);
    tether_tlv_end(w);
    tether_tlv_write_int(w, TETHER_TLV_RESOURCE, 9, 100);
    tether_tlv_write_int(w, TETHER_TLV_RESOURCE, 10, 15);
    tether_tlv_begin(w, TETHER_TLV_MULTIPLE_RESOURCE, 11);
    tether_tlv_write_int(w, TETHER_TLV_RESOURCE_INSTANCE, 0, 0);
    tether_tlv_end(w);
    tether_lwm2m_value t = tether_lwm2m_value_time(1367491215);
    tether_tlv_write_value(w, TETHER_TLV_RESOURCE, 13, &t);
    tether_tlv_write_string(w, TETHER_TLV_RESOURCE, 14, "+02:00", 6);
    tether_tlv_write_string(w, TETHER_TLV_RESOURCE, 16, "U", 1);
}

static void test_tlv_encodes_spec_device_instance(void **state)
{
    uint8_t buf[256];
    tether_tlv_writer w;
    size_t len;
    (void)state;
    tether_tlv_writer_init(&w, buf, sizeof(buf));
    write_device_resources(&w);
    assert_int_equal(tether_tlv_writer_finish(&w, &len), 0);
    assert_int_equal(len, sizeof(device_0));
    assert_memory_equal(buf, device_0, len);
}

static void test_tlv_spec_device_object_wrapped(void **state)
{
    uint8_t wrapped[sizeof(device_obj_hdr) + sizeof(device_0)];
    uint8_t buf[256];
    tether_tlv_writer w;
    tether_tlv_iter it, inst;
    tether_tlv_entry e;
    size_t len;
    (void)state;
    memcpy(wrapped, device_obj_hdr, sizeof(device_obj_hdr));
    memcpy(wrapped + sizeof(device_obj_hdr), device_0, sizeof(device_0));
    assert_int_equal(sizeof(device_0), 0x79);

    assert_int_equal(tether_tlv_validate(wrapped, sizeof(wrapped)), 0);
    tether_tlv_iter_init(&it, wrapped, sizeof(wrapped));
    assert_int_equal(tether_tlv_next(&it, &e), 0);
    assert_int_equal(e.type, TETHER_TLV_OBJECT_INSTANCE);
    assert_int_equal(e.id, 0);
    assert_int_equal(e.len, 121);
    assert_int_equal(tether_tlv_iter_enter(&inst, &e), 0);
    check_device_resources(&inst);
    assert_int_equal(tether_tlv_next(&it, &e), TETHER_ERR_NOT_FOUND);

    tether_tlv_writer_init(&w, buf, sizeof(buf));
    tether_tlv_begin(&w, TETHER_TLV_OBJECT_INSTANCE, 0);
    write_device_resources(&w);
    tether_tlv_end(&w);
    assert_int_equal(tether_tlv_writer_finish(&w, &len), 0);
    assert_int_equal(len, sizeof(wrapped));
    assert_memory_equal(buf, wrapped, len);
}

static void test_tlv_spec_access_control_two_instances(void **state)
{
    uint8_t buf[64];
    tether_tlv_writer w;
    tether_tlv_iter it, inst, acl;
    tether_tlv_entry e, r, ri;
    size_t len;
    (void)state;
    assert_int_equal(tether_tlv_validate(acl_two, sizeof(acl_two)), 0);
    tether_tlv_iter_init(&it, acl_two, sizeof(acl_two));
    assert_int_equal(tether_tlv_next(&it, &e), 0);
    assert_int_equal(e.id, 0);
    assert_int_equal(tether_tlv_next(&it, &e), 0);
    assert_int_equal(e.id, 2);
    assert_int_equal(tether_tlv_iter_enter(&inst, &e), 0);
    assert_int_equal(tether_tlv_find(&inst, TETHER_TLV_MULTIPLE_RESOURCE, 2, &r), 0);
    assert_int_equal(tether_tlv_iter_enter(&acl, &r), 0);
    assert_int_equal(tether_tlv_next(&acl, &ri), 0);
    assert_int_equal(ri.id, 127);
    assert_int_equal(int_of(&ri), 7);
    assert_int_equal(tether_tlv_next(&acl, &ri), 0);
    assert_int_equal(ri.id, 310); /* 16-bit id */
    assert_int_equal(int_of(&ri), 1);
    assert_int_equal(tether_tlv_find(&inst, TETHER_TLV_RESOURCE, 3, &r), 0);
    assert_int_equal(int_of(&r), 127);
    assert_int_equal(tether_tlv_find(&inst, TETHER_TLV_RESOURCE, 4, &r), TETHER_ERR_NOT_FOUND);

    tether_tlv_writer_init(&w, buf, sizeof(buf));
    tether_tlv_begin(&w, TETHER_TLV_OBJECT_INSTANCE, 0);
    tether_tlv_write_int(&w, TETHER_TLV_RESOURCE, 0, 1);
    tether_tlv_write_int(&w, TETHER_TLV_RESOURCE, 1, 0);
    tether_tlv_begin(&w, TETHER_TLV_MULTIPLE_RESOURCE, 2);
    tether_tlv_write_int(&w, TETHER_TLV_RESOURCE_INSTANCE, 127, 7);
    tether_tlv_end(&w);
    tether_tlv_write_int(&w, TETHER_TLV_RESOURCE, 3, 127);
    tether_tlv_end(&w);
    tether_tlv_begin(&w, TETHER_TLV_OBJECT_INSTANCE, 2);
    tether_tlv_write_int(&w, TETHER_TLV_RESOURCE, 0, 3);
    tether_tlv_write_int(&w, TETHER_TLV_RESOURCE, 1, 0);
    tether_tlv_begin(&w, TETHER_TLV_MULTIPLE_RESOURCE, 2);
    tether_tlv_write_int(&w, TETHER_TLV_RESOURCE_INSTANCE, 127, 7);
    tether_tlv_write_int(&w, TETHER_TLV_RESOURCE_INSTANCE, 310, 1);
    tether_tlv_end(&w);
    tether_tlv_write_int(&w, TETHER_TLV_RESOURCE, 3, 127);
    tether_tlv_end(&w);
    assert_int_equal(tether_tlv_writer_finish(&w, &len), 0);
    assert_int_equal(len, sizeof(acl_two));
    assert_memory_equal(buf, acl_two, len);
}

static void test_tlv_spec_server_instance(void **state)
{
    /* As printed, with the instance length 0x0D: refused. */
    uint8_t printed[sizeof(server_one)];
    uint8_t buf[64];
    tether_tlv_writer w;
    tether_tlv_iter it, inst;
    tether_tlv_entry e, r;
    tether_lwm2m_value v;
    size_t len;
    (void)state;
    memcpy(printed, server_one, sizeof(printed));
    printed[2] = 0x0D;
    assert_int_equal(tether_tlv_validate(printed, sizeof(printed)), TETHER_ERR_MALFORMED);

    assert_int_equal(tether_tlv_validate(server_one, sizeof(server_one)), 0);
    tether_tlv_iter_init(&it, server_one, sizeof(server_one));
    assert_int_equal(tether_tlv_next(&it, &e), 0);
    assert_int_equal(tether_tlv_iter_enter(&inst, &e), 0);
    assert_int_equal(tether_tlv_find(&inst, TETHER_TLV_RESOURCE, 0, &r), 0);
    assert_int_equal(int_of(&r), 1);
    assert_int_equal(tether_tlv_find(&inst, TETHER_TLV_RESOURCE, 1, &r), 0);
    assert_int_equal(int_of(&r), 86400);
    assert_int_equal(tether_tlv_find(&inst, TETHER_TLV_RESOURCE, 6, &r), 0);
    assert_int_equal(tether_tlv_decode_value(&r, TETHER_LWM2M_BOOLEAN, &v), 0);
    assert_int_equal(v.b, 1);
    assert_int_equal(tether_tlv_find(&inst, TETHER_TLV_RESOURCE, 7, &r), 0);
    assert_true(str_is(&r, "U"));

    tether_tlv_writer_init(&w, buf, sizeof(buf));
    tether_tlv_begin(&w, TETHER_TLV_OBJECT_INSTANCE, 0);
    tether_tlv_write_int(&w, TETHER_TLV_RESOURCE, 0, 1);
    tether_tlv_write_int(&w, TETHER_TLV_RESOURCE, 1, 86400);
    tether_tlv_write_bool(&w, TETHER_TLV_RESOURCE, 6, 1);
    tether_tlv_write_string(&w, TETHER_TLV_RESOURCE, 7, "U", 1);
    tether_tlv_end(&w);
    assert_int_equal(tether_tlv_writer_finish(&w, &len), 0);
    assert_int_equal(len, sizeof(server_one));
    assert_memory_equal(buf, server_one, len);
}

static void test_tlv_spec_objlnk_examples(void **state)
{
    uint8_t buf[128];
    tether_tlv_writer w;
    tether_tlv_iter it, sub;
    tether_tlv_entry e, ri;
    tether_lwm2m_value v;
    size_t len;
    (void)state;
    assert_int_equal(tether_tlv_validate(objlnk_multi, sizeof(objlnk_multi)), 0);
    tether_tlv_iter_init(&it, objlnk_multi, sizeof(objlnk_multi));
    assert_int_equal(tether_tlv_next(&it, &e), 0);
    assert_int_equal(tether_tlv_iter_enter(&sub, &e), 0);
    assert_int_equal(tether_tlv_next(&sub, &ri), 0);
    assert_int_equal(tether_tlv_decode_value(&ri, TETHER_LWM2M_OBJLNK, &v), 0);
    assert_int_equal(v.lnk.obj, 66);
    assert_int_equal(v.lnk.inst, 0);
    assert_int_equal(tether_tlv_next(&sub, &ri), 0);
    assert_int_equal(tether_tlv_decode_value(&ri, TETHER_LWM2M_OBJLNK, &v), 0);
    assert_int_equal(v.lnk.inst, 1);
    assert_int_equal(tether_tlv_next(&it, &e), 0);
    assert_true(str_is(&e, "8613800755500"));
    assert_int_equal(tether_tlv_next(&it, &e), 0);
    assert_int_equal(int_of(&e), 0x12345678);

    tether_tlv_writer_init(&w, buf, sizeof(buf));
    tether_tlv_begin(&w, TETHER_TLV_MULTIPLE_RESOURCE, 0);
    tether_tlv_write_objlnk(&w, TETHER_TLV_RESOURCE_INSTANCE, 0, 66, 0);
    tether_tlv_write_objlnk(&w, TETHER_TLV_RESOURCE_INSTANCE, 1, 66, 1);
    tether_tlv_end(&w);
    tether_tlv_write_string(&w, TETHER_TLV_RESOURCE, 1, "8613800755500", 13);
    tether_tlv_write_int(&w, TETHER_TLV_RESOURCE, 2, 0x12345678);
    assert_int_equal(tether_tlv_writer_finish(&w, &len), 0);
    assert_int_equal(len, sizeof(objlnk_multi));
    assert_memory_equal(buf, objlnk_multi, len);

    assert_int_equal(tether_tlv_validate(objlnk_instances, sizeof(objlnk_instances)), 0);
    tether_tlv_writer_init(&w, buf, sizeof(buf));
    for (uint16_t i = 0; i < 2; i++) {
        tether_lwm2m_value lnk = i == 0 ? tether_lwm2m_value_objlnk(67, 0)
                                        : tether_lwm2m_value_objlnk(65535, 65535);
        tether_tlv_begin(&w, TETHER_TLV_OBJECT_INSTANCE, i);
        tether_tlv_write_string(&w, TETHER_TLV_RESOURCE, 0, i == 0 ? "myService 1" : "myService 2", 11);
        tether_tlv_write_string(&w, TETHER_TLV_RESOURCE, 1,
                                i == 0 ? "Internet.15.234" : "Internet.15.235", 15);
        tether_tlv_write_value(&w, TETHER_TLV_RESOURCE, 2, &lnk);
        tether_tlv_end(&w);
    }
    assert_int_equal(tether_tlv_writer_finish(&w, &len), 0);
    assert_int_equal(len, sizeof(objlnk_instances));
    assert_memory_equal(buf, objlnk_instances, len);
}

static void test_tlv_integer_widths(void **state)
{
    static const struct {
        int64_t v;
        size_t len;
        uint8_t bytes[8];
    } cases[] = {
        {0, 1, {0x00}},
        {-1, 1, {0xFF}},
        {127, 1, {0x7F}},
        {-128, 1, {0x80}},
        {128, 2, {0x00, 0x80}},
        {-129, 2, {0xFF, 0x7F}},
        {32767, 2, {0x7F, 0xFF}},
        {32768, 4, {0x00, 0x00, 0x80, 0x00}},
        {-32769, 4, {0xFF, 0xFF, 0x7F, 0xFF}},
        {INT32_MAX, 4, {0x7F, 0xFF, 0xFF, 0xFF}},
        {(int64_t)INT32_MAX + 1, 8, {0, 0, 0, 0, 0x80, 0, 0, 0}},
        {INT64_MIN, 8, {0x80, 0, 0, 0, 0, 0, 0, 0}},
        {INT64_MAX, 8, {0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t buf[16];
        tether_tlv_writer w;
        size_t len;
        int64_t back = 0;
        tether_tlv_writer_init(&w, buf, sizeof(buf));
        assert_int_equal(tether_tlv_write_int(&w, TETHER_TLV_RESOURCE, 5, cases[i].v), 0);
        assert_int_equal(tether_tlv_writer_finish(&w, &len), 0);
        /* 8 bytes no longer fit the 3-bit length: an 8-bit length follows */
        size_t hdr = cases[i].len < 8 ? 2 : 3;
        assert_int_equal(len, hdr + cases[i].len);
        assert_int_equal(buf[0], cases[i].len < 8 ? (0xC0 | cases[i].len) : 0xC8);
        assert_memory_equal(buf + hdr, cases[i].bytes, cases[i].len);
        assert_int_equal(tether_tlv_decode_int(cases[i].bytes, cases[i].len, &back), 0);
        assert_true(back == cases[i].v);
    }
}

static void test_tlv_value_helpers_reject_bad_lengths(void **state)
{
    const uint8_t b[9] = {0x3F, 0xF0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 7;
    uint64_t u = 7;
    double f = 7;
    uint8_t bo = 7;
    tether_lwm2m_objlnk l = {7, 7};
    const size_t bad_int[] = {0, 3, 5, 6, 7, 9};
    const size_t bad_float[] = {0, 1, 2, 3, 5, 7, 9};
    (void)state;
    for (size_t k = 0; k < sizeof(bad_int) / sizeof(bad_int[0]); k++) {
        assert_int_equal(tether_tlv_decode_int(b, bad_int[k], &i), TETHER_ERR_MALFORMED);
        assert_int_equal(tether_tlv_decode_uint(b, bad_int[k], &u), TETHER_ERR_MALFORMED);
    }
    for (size_t k = 0; k < sizeof(bad_float) / sizeof(bad_float[0]); k++)
        assert_int_equal(tether_tlv_decode_float(b, bad_float[k], &f), TETHER_ERR_MALFORMED);
    assert_int_equal(tether_tlv_decode_bool(b, 1, &bo), TETHER_ERR_MALFORMED); /* 0x3F */
    assert_int_equal(tether_tlv_decode_bool((const uint8_t *)"\x02", 1, &bo), TETHER_ERR_MALFORMED);
    assert_int_equal(tether_tlv_decode_bool((const uint8_t *)"\x00\x01", 2, &bo), TETHER_ERR_MALFORMED);
    assert_int_equal(tether_tlv_decode_objlnk(b, 3, &l), TETHER_ERR_MALFORMED);
    assert_int_equal(tether_tlv_decode_objlnk(b, 5, &l), TETHER_ERR_MALFORMED);
    /* untouched */
    assert_int_equal(i, 7);
    assert_int_equal(u, 7);
    assert_true(f == 7.0);
    assert_int_equal(bo, 7);
    assert_int_equal(l.obj, 7);
    /* good ones */
    assert_int_equal(tether_tlv_decode_float(b, 8, &f), 0);
    assert_true(f == 1.0);
    assert_int_equal(tether_tlv_decode_uint((const uint8_t *)"\xFF\xFF", 2, &u), 0);
    assert_int_equal(u, 65535);
}

static void test_tlv_floats(void **state)
{
    static const double vals[] = {0.0, 1.5, -2.25, 0.1, 1e300, 3.4028234663852886e38, INFINITY};
    static const size_t widths[] = {4, 4, 4, 8, 8, 4, 4};
    (void)state;
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        uint8_t buf[16];
        tether_tlv_writer w;
        tether_tlv_iter it;
        tether_tlv_entry e;
        tether_lwm2m_value v;
        size_t len;
        tether_tlv_writer_init(&w, buf, sizeof(buf));
        assert_int_equal(tether_tlv_write_float(&w, TETHER_TLV_RESOURCE, 1, vals[i]), 0);
        assert_int_equal(tether_tlv_writer_finish(&w, &len), 0);
        assert_int_equal(len, (widths[i] < 8 ? 2 : 3) + widths[i]);
        tether_tlv_iter_init(&it, buf, len);
        assert_int_equal(tether_tlv_next(&it, &e), 0);
        assert_int_equal(tether_tlv_decode_value(&e, TETHER_LWM2M_FLOAT, &v), 0);
        assert_true(v.f == vals[i]);
    }
    {
        /* 1.5 as binary32 is 3F C0 00 00 */
        uint8_t buf[8];
        tether_tlv_writer w;
        tether_tlv_writer_init(&w, buf, sizeof(buf));
        tether_tlv_write_float(&w, TETHER_TLV_RESOURCE, 1, 1.5);
        assert_memory_equal(buf, "\xC4\x01\x3F\xC0\x00\x00", 6);
    }
}

/* What the writer did with C casts before it worked on bits: 4 bytes when
 * binary32 holds v exactly (never for NaN), else 8. */
static size_t ref_float_bytes(double v, uint8_t out[8])
{
    uint64_t u;
    if (!isnan(v) && (isinf(v) || fabs(v) <= FLT_MAX) && (double)(float)v == v) {
        float f = (float)v;
        uint32_t x;
        memcpy(&x, &f, 4);
        for (int i = 0; i < 4; i++)
            out[i] = (uint8_t)(x >> (24 - 8 * i));
        return 4;
    }
    memcpy(&u, &v, 8);
    for (int i = 0; i < 8; i++)
        out[i] = (uint8_t)(u >> (56 - 8 * i));
    return 8;
}

static uint64_t tlv_rng = 0x2545F4914F6CDD1Du;

static uint64_t tlv_rand(void)
{
    tlv_rng ^= tlv_rng << 13;
    tlv_rng ^= tlv_rng >> 7;
    tlv_rng ^= tlv_rng << 17;
    return tlv_rng;
}

static void float_width_is_ref(double v)
{
    uint8_t buf[16], want[8];
    tether_tlv_writer w;
    size_t len, n = ref_float_bytes(v, want);
    tether_tlv_writer_init(&w, buf, sizeof(buf));
    assert_int_equal(tether_tlv_write_float(&w, TETHER_TLV_RESOURCE, 1, v), 0);
    assert_int_equal(tether_tlv_writer_finish(&w, &len), 0);
    if (len != (n == 4 ? 2 : 3) + n || memcmp(buf + len - n, want, n) != 0)
        fail_msg("%a: written as %zu bytes, want %zu", v, len, n);
}

static void test_tlv_float_width_matches_casts(void **state)
{
    static const double edges[] = {0.0, -0.0, FLT_MAX, -FLT_MAX, FLT_MIN, FLT_TRUE_MIN,
                                   -FLT_TRUE_MIN, 0x1p-150, 0x1.8p-149, 0x1p-149 * 3,
                                   0x1.fffffep127, 0x1.ffffffp127, 0x1p128, INFINITY,
                                   -INFINITY, NAN, 0x1p-1074, DBL_MAX, 16777217.0, 16777216.0,
                                   0x1.000002p0, 0x1.000001p0, 0x1p-126 * 0x1.fffffcp-1};
    (void)state;
    for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
        float_width_is_ref(edges[i]);
    for (int i = 0; i < 200000; i++) {
        uint32_t f32 = (uint32_t)tlv_rand();
        float f;
        uint64_t u = tlv_rand();
        double d;
        memcpy(&f, &f32, 4);
        if (!isnan(f))
            float_width_is_ref((double)f); /* every binary32: 4 bytes */
        /* doubles near the binary32 range, with and without low bits */
        u = (u & 0x800FFFFFFFFFFFFFu) | (uint64_t)(1023 - 160 + tlv_rand() % 300) << 52;
        if (i & 1)
            u &= ~(((uint64_t)1 << (tlv_rand() % 53)) - 1);
        memcpy(&d, &u, 8);
        float_width_is_ref(d);
    }
}

static void test_tlv_float_decode_widens_exactly(void **state)
{
    (void)state;
    for (int i = 0; i < 200000; i++) {
        uint32_t x = (uint32_t)tlv_rand();
        uint8_t b[4] = {(uint8_t)(x >> 24), (uint8_t)(x >> 16), (uint8_t)(x >> 8), (uint8_t)x};
        float f;
        double got, want;
        uint64_t gb, wb;
        if (i < 1024) /* subnormals and the smallest normals, both signs */
            x = (uint32_t)(i & 512 ? 0x80000000u : 0) | (uint32_t)(i & 511) << 14 | (x & 0x3FFF);
        b[0] = (uint8_t)(x >> 24), b[1] = (uint8_t)(x >> 16), b[2] = (uint8_t)(x >> 8),
        b[3] = (uint8_t)x;
        memcpy(&f, &x, 4);
        assert_int_equal(tether_tlv_decode_float(b, 4, &got), 0);
        memcpy(&gb, &got, 8);
        if (isnan(f)) { /* payload kept, quieted */
            assert_true(isnan(got));
            assert_true((gb >> 29 & 0x3FFFFF) == (x & 0x3FFFFF));
            assert_true(gb & ((uint64_t)1 << 51));
            continue;
        }
        want = (double)f;
        memcpy(&wb, &want, 8);
        if (gb != wb)
            fail_msg("binary32 %08x: got %a, want %a", (unsigned)x, got, want);
    }
}

static void test_tlv_decode_value_types(void **state)
{
    const uint8_t one[] = {0xC1, 0x05, 0x01};
    const uint8_t none[] = {0xC0, 0x05};
    tether_tlv_iter it;
    tether_tlv_entry e, inst = {TETHER_TLV_OBJECT_INSTANCE, 0, one, 3};
    tether_lwm2m_value v;
    (void)state;
    tether_tlv_iter_init(&it, one, sizeof(one));
    assert_int_equal(tether_tlv_next(&it, &e), 0);
    assert_int_equal(tether_tlv_decode_value(&e, TETHER_LWM2M_UNSIGNED, &v), 0);
    assert_int_equal(v.u, 1);
    assert_int_equal(tether_tlv_decode_value(&e, TETHER_LWM2M_OPAQUE, &v), 0);
    assert_int_equal(v.bytes.len, 1);
    assert_int_equal(tether_tlv_decode_value(&e, TETHER_LWM2M_NONE, &v), TETHER_ERR_INVAL);
    assert_int_equal(tether_tlv_decode_value(&inst, TETHER_LWM2M_INTEGER, &v), TETHER_ERR_INVAL);
    assert_int_equal(tether_tlv_decode_value(&e, TETHER_LWM2M_OBJLNK, &v), TETHER_ERR_MALFORMED);
    /* an empty value: fine for a string, not for an integer */
    tether_tlv_iter_init(&it, none, sizeof(none));
    assert_int_equal(tether_tlv_next(&it, &e), 0);
    assert_int_equal(e.len, 0);
    assert_int_equal(tether_tlv_decode_value(&e, TETHER_LWM2M_STRING, &v), 0);
    assert_int_equal(v.bytes.len, 0);
    assert_int_equal(tether_tlv_decode_value(&e, TETHER_LWM2M_INTEGER, &v), TETHER_ERR_MALFORMED);
}

static void test_tlv_rejects_malformed(void **state)
{
    static const struct {
        const char *what;
        size_t len;
        uint8_t b[12];
    } bad[] = {
        {"type byte only", 1, {0xC1}},
        {"16-bit id cut", 2, {0xE1, 0x00}},
        {"8-bit length cut", 2, {0xC8, 0x00}},
        {"16-bit length cut", 3, {0xD0, 0x00, 0x01}},
        {"24-bit length cut", 4, {0xD8, 0x00, 0x00, 0x01}},
        {"value cut", 3, {0xC2, 0x00, 0x01}},
        {"8-bit length past end", 4, {0xC8, 0x00, 0x02, 0x01}},
        {"24-bit huge length", 6, {0xD8, 0x00, 0xFF, 0xFF, 0xFF, 0x00}},
        {"16-bit id 65535", 3, {0xE0, 0xFF, 0xFF}},
        {"trailing byte", 4, {0xC1, 0x00, 0x01, 0x00}},
        {"trailing partial", 5, {0xC1, 0x00, 0x01, 0xC1, 0x01}},
        {"instance in instance", 5, {0x03, 0x00, 0x00, 0x00, 0x00}},
        {"instance in multiple", 5, {0x83, 0x00, 0x00, 0x00, 0x00}},
        {"resource in multiple", 5, {0x83, 0x00, 0xC1, 0x00, 0x01}},
        {"multiple in multiple", 4, {0x82, 0x00, 0x80, 0x00}},
        {"resource instance in instance", 5, {0x03, 0x00, 0x41, 0x00, 0x01}},
        {"child runs past parent", 6, {0x03, 0x00, 0xC2, 0x00, 0x01, 0x02}},
        {"16-bit id 65535 nested", 5, {0x03, 0x00, 0xE0, 0xFF, 0xFF}},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        /* exact-size heap copy: ASan catches any read past len */
        uint8_t *copy = malloc(bad[i].len);
        memcpy(copy, bad[i].b, bad[i].len);
        if (tether_tlv_validate(copy, bad[i].len) != TETHER_ERR_MALFORMED)
            fail_msg("accepted: %s", bad[i].what);
        free(copy);
    }
}

static void test_tlv_iterator_is_sticky_and_leaves_entry(void **state)
{
    const uint8_t b[] = {0xC1, 0x00, 0x01, 0xC2, 0x01, 0x00};
    tether_tlv_iter it;
    tether_tlv_entry e;
    (void)state;
    tether_tlv_iter_init(&it, b, sizeof(b));
    assert_int_equal(tether_tlv_next(&it, &e), 0);
    assert_int_equal(e.id, 0);
    memset(&e, 0x5A, sizeof(e));
    assert_int_equal(tether_tlv_next(&it, &e), TETHER_ERR_MALFORMED);
    assert_int_equal(e.id, 0x5A5A);
    assert_int_equal(tether_tlv_next(&it, &e), TETHER_ERR_MALFORMED);
    /* the empty payload has no entries and is valid */
    tether_tlv_iter_init(&it, NULL, 0);
    assert_int_equal(tether_tlv_next(&it, &e), TETHER_ERR_NOT_FOUND);
    assert_int_equal(tether_tlv_validate(NULL, 0), 0);
    /* entering something that has no children */
    e.type = TETHER_TLV_RESOURCE;
    e.val = b;
    e.len = 3;
    assert_int_equal(tether_tlv_iter_enter(&it, &e), TETHER_ERR_INVAL);
}

static void test_tlv_length_bits_ignored_with_length_field(void **state)
{
    /* 0xCF: resource, 8-bit id, 8-bit length field, len3 bits 7 (unused) */
    const uint8_t b[] = {0xCF, 0x00, 0x01, 0x2A};
    tether_tlv_iter it;
    tether_tlv_entry e;
    (void)state;
    tether_tlv_iter_init(&it, b, sizeof(b));
    assert_int_equal(tether_tlv_next(&it, &e), 0);
    assert_int_equal(e.len, 1);
    assert_int_equal(e.val[0], 0x2A);
    /* a non-minimal 16-bit id and length are accepted too */
    const uint8_t wide[] = {0xF0, 0x00, 0x05, 0x00, 0x01, 0x2A};
    tether_tlv_iter_init(&it, wide, sizeof(wide));
    assert_int_equal(tether_tlv_next(&it, &e), 0);
    assert_int_equal(e.id, 5);
    assert_int_equal(e.len, 1);
}

static void test_tlv_long_values(void **state)
{
    static uint8_t big[70000], out[70010];
    tether_tlv_writer w;
    tether_tlv_iter it, sub;
    tether_tlv_entry e;
    size_t len;
    (void)state;
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)i;
    /* 24-bit length, 16-bit id */
    tether_tlv_writer_init(&w, out, sizeof(out));
    assert_int_equal(tether_tlv_write_opaque(&w, TETHER_TLV_RESOURCE, 300, big, sizeof(big)), 0);
    assert_int_equal(tether_tlv_writer_finish(&w, &len), 0);
    assert_int_equal(len, 6 + sizeof(big));
    assert_memory_equal(out, "\xF8\x01\x2C\x01\x11\x70", 6);
    tether_tlv_iter_init(&it, out, len);
    assert_int_equal(tether_tlv_next(&it, &e), 0);
    assert_int_equal(e.len, sizeof(big));
    assert_ptr_equal(e.val, out + 6);

    /* a nested entry that needs the full reserved header: no move */
    tether_tlv_writer_init(&w, out, sizeof(out));
    tether_tlv_begin(&w, TETHER_TLV_OBJECT_INSTANCE, 400);
    tether_tlv_write_opaque(&w, TETHER_TLV_RESOURCE, 1, big, 69000);
    assert_int_equal(tether_tlv_end(&w), 0);
    assert_int_equal(tether_tlv_writer_finish(&w, &len), 0);
    assert_int_equal(len, 6 + 5 + 69000);
    assert_int_equal(tether_tlv_validate(out, len), 0);
    tether_tlv_iter_init(&it, out, len);
    assert_int_equal(tether_tlv_next(&it, &e), 0);
    assert_int_equal(e.id, 400);
    assert_int_equal(tether_tlv_iter_enter(&sub, &e), 0);
    assert_int_equal(tether_tlv_next(&sub, &e), 0);
    assert_int_equal(e.len, 69000);
    assert_memory_equal(e.val, big, 69000);

    /* 16-bit length */
    tether_tlv_writer_init(&w, out, sizeof(out));
    tether_tlv_write_opaque(&w, TETHER_TLV_RESOURCE, 1, big, 300);
    assert_int_equal(tether_tlv_writer_finish(&w, &len), 0);
    assert_memory_equal(out, "\xD0\x01\x01\x2C", 4);
}

static void test_tlv_writer_errors(void **state)
{
    uint8_t buf[8];
    tether_tlv_writer w;
    size_t len = 99;
    (void)state;
    /* end without begin */
    tether_tlv_writer_init(&w, buf, sizeof(buf));
    assert_int_equal(tether_tlv_end(&w), TETHER_ERR_STATE);
    /* begin without end */
    tether_tlv_writer_init(&w, buf, sizeof(buf));
    tether_tlv_begin(&w, TETHER_TLV_OBJECT_INSTANCE, 0);
    assert_int_equal(tether_tlv_writer_finish(&w, &len), TETHER_ERR_STATE);
    assert_int_equal(len, 99);
    /* wrong nesting */
    tether_tlv_writer_init(&w, buf, sizeof(buf));
    tether_tlv_begin(&w, TETHER_TLV_OBJECT_INSTANCE, 0);
    assert_int_equal(tether_tlv_write_int(&w, TETHER_TLV_RESOURCE_INSTANCE, 0, 1), TETHER_ERR_STATE);
    tether_tlv_writer_init(&w, buf, sizeof(buf));
    tether_tlv_begin(&w, TETHER_TLV_MULTIPLE_RESOURCE, 0);
    assert_int_equal(tether_tlv_write_int(&w, TETHER_TLV_RESOURCE, 0, 1), TETHER_ERR_STATE);
    tether_tlv_writer_init(&w, buf, sizeof(buf));
    tether_tlv_begin(&w, TETHER_TLV_OBJECT_INSTANCE, 0);
    assert_int_equal(tether_tlv_begin(&w, TETHER_TLV_OBJECT_INSTANCE, 1), TETHER_ERR_STATE);
    /* begin of a type that has no children; values as a container */
    tether_tlv_writer_init(&w, buf, sizeof(buf));
    assert_int_equal(tether_tlv_begin(&w, TETHER_TLV_RESOURCE, 0), TETHER_ERR_INVAL);
    tether_tlv_writer_init(&w, buf, sizeof(buf));
    assert_int_equal(tether_tlv_write_int(&w, TETHER_TLV_OBJECT_INSTANCE, 0, 1), TETHER_ERR_INVAL);
    /* reserved id */
    tether_tlv_writer_init(&w, buf, sizeof(buf));
    assert_int_equal(tether_tlv_write_int(&w, TETHER_TLV_RESOURCE, 65535, 1), TETHER_ERR_INVAL);
    /* sticky: a later good call does nothing */
    assert_int_equal(tether_tlv_write_int(&w, TETHER_TLV_RESOURCE, 1, 1), TETHER_ERR_INVAL);
    assert_int_equal(tether_tlv_writer_finish(&w, &len), TETHER_ERR_INVAL);
    /* no room */
    tether_tlv_writer_init(&w, buf, sizeof(buf));
    assert_int_equal(tether_tlv_write_string(&w, TETHER_TLV_RESOURCE, 1, "1234567", 7),
                     TETHER_ERR_NOSPACE);
    tether_tlv_writer_init(&w, buf, 5);
    assert_int_equal(tether_tlv_begin(&w, TETHER_TLV_OBJECT_INSTANCE, 0), TETHER_ERR_NOSPACE);
    /* a NONE value */
    {
        tether_lwm2m_value none;
        memset(&none, 0, sizeof(none));
        tether_tlv_writer_init(&w, buf, sizeof(buf));
        assert_int_equal(tether_tlv_write_value(&w, TETHER_TLV_RESOURCE, 0, &none), TETHER_ERR_INVAL);
    }
    /* an empty nested entry */
    tether_tlv_writer_init(&w, buf, sizeof(buf));
    tether_tlv_begin(&w, TETHER_TLV_MULTIPLE_RESOURCE, 3);
    tether_tlv_end(&w);
    assert_int_equal(tether_tlv_writer_finish(&w, &len), 0);
    assert_int_equal(len, 2);
    assert_memory_equal(buf, "\x80\x03", 2);
}

static void test_tlv_every_prefix_of_the_spec_example(void **state)
{
    (void)state;
    /* Each proper prefix cuts an entry short somewhere, except at entry
     * boundaries; none may be read past. */
    for (size_t n = 0; n <= sizeof(device_0); n++) {
        uint8_t *copy = malloc(n ? n : 1);
        int rc;
        memcpy(copy, device_0, n);
        rc = tether_tlv_validate(copy, n);
        assert_true(rc == 0 || rc == TETHER_ERR_MALFORMED);
        free(copy);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tlv_decodes_spec_device_instance),
        cmocka_unit_test(test_tlv_encodes_spec_device_instance),
        cmocka_unit_test(test_tlv_spec_device_object_wrapped),
        cmocka_unit_test(test_tlv_spec_access_control_two_instances),
        cmocka_unit_test(test_tlv_spec_server_instance),
        cmocka_unit_test(test_tlv_spec_objlnk_examples),
        cmocka_unit_test(test_tlv_integer_widths),
        cmocka_unit_test(test_tlv_value_helpers_reject_bad_lengths),
        cmocka_unit_test(test_tlv_floats),
        cmocka_unit_test(test_tlv_float_width_matches_casts),
        cmocka_unit_test(test_tlv_float_decode_widens_exactly),
        cmocka_unit_test(test_tlv_decode_value_types),
        cmocka_unit_test(test_tlv_rejects_malformed),
        cmocka_unit_test(test_tlv_iterator_is_sticky_and_leaves_entry),
        cmocka_unit_test(test_tlv_length_bits_ignored_with_length_field),
        cmocka_unit_test(test_tlv_long_values),
        cmocka_unit_test(test_tlv_writer_errors),
        cmocka_unit_test(test_tlv_every_prefix_of_the_spec_example),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
