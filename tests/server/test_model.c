/* SPDX-License-Identifier: Apache-2.0 */
/* Object models on the server: the built-in core objects 0-7 (the Server
 * Object /1 against REQUIREMENTS.md's table), OMA DDF loading from
 * tests/server/models/ and from strings (every malformation with its exact
 * sentence, and a failed load leaving the registry as it was), and typed
 * decoding of TLV and text/plain with the models, on the LwM2M 1.0 §6.4.3
 * example payloads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "server_fixture.h" /* fx_alloc, the counting allocator */
#include "tether/lwm2m_tlv.h"
#include "tether/model.h"

/* --- helpers -------------------------------------------------------------- */

static tether_model_registry *new_reg(void)
{
    tether_model_registry *reg = NULL;
    assert_int_equal(tether_model_registry_new(&reg, NULL, NULL), 0);
    assert_non_null(reg);
    return reg;
}

/* tests/server/models/<sub>: under the source tree ctest names, or else
 * next to this file (CMake compiles it by its absolute path). */
static const char *models_dir(const char *sub)
{
    static char path[1024];
    const char *src = getenv("TETHER_SOURCE_DIR");
    if (src != NULL) {
        snprintf(path, sizeof(path), "%s/tests/server/models/%s", src, sub);
    } else {
        const char *slash = strrchr(__FILE__, '/');
        int dir = slash != NULL ? (int)(slash - __FILE__) : 1;
        snprintf(path, sizeof(path), "%.*s/models/%s", dir, slash != NULL ? __FILE__ : ".",
                 sub);
    }
    return path;
}

/* --- built-in definitions ------------------------------------------------- */

static void test_model_builtins_core_objects(void **state)
{
    static const struct {
        uint16_t id;
        size_t n_res;
        uint8_t multiple, mandatory;
        const char *name;
    } want[] = {
        {0, 13, 1, 1, "LWM2M Security"},
        {1, 9, 1, 1, "LwM2M Server"},
        {2, 4, 1, 0, "LwM2M Access Control"},
        {3, 23, 0, 1, "Device"},
        {4, 11, 0, 0, "Connectivity Monitoring"},
        {5, 9, 0, 0, "Firmware Update"},
        {6, 7, 0, 0, "Location"},
        {7, 9, 0, 0, "Connectivity Statistics"},
    };
    tether_model_registry *reg = new_reg();
    char urn[32];

    (void)state;
    assert_int_equal(tether_model_count(reg), 8);
    for (size_t i = 0; i < 8; i++) {
        const tether_model_object *o = tether_model_find(reg, want[i].id);
        assert_non_null(o);
        assert_ptr_equal(tether_model_at(reg, i), o);
        assert_string_equal(o->name, want[i].name);
        assert_int_equal(o->n_resources, want[i].n_res);
        assert_int_equal(o->multiple, want[i].multiple);
        assert_int_equal(o->mandatory, want[i].mandatory);
        snprintf(urn, sizeof(urn), "urn:oma:lwm2m:oma:%u", (unsigned)want[i].id);
        assert_string_equal(o->urn, urn);
        assert_string_equal(o->version, "1.0");
        assert_string_equal(o->lwm2m_version, "1.0");
        for (size_t k = 1; k < o->n_resources; k++)
            assert_true(o->resources[k].id > o->resources[k - 1].id);
    }
    assert_null(tether_model_find(reg, 8));
    assert_null(tether_model_find(reg, 3303));

    /* Key properties, one or two per object. */
    const tether_model_resource *r;
    r = tether_model_find_resource(reg, 0, 2); /* Security Mode: bootstrap only */
    assert_string_equal(r->name, "Security Mode");
    assert_int_equal(r->ops, 0);
    assert_int_equal(r->type, TETHER_LWM2M_INTEGER);
    assert_string_equal(r->range, "0-4");
    assert_int_equal(tether_model_find_resource(reg, 0, 5)->type, TETHER_LWM2M_OPAQUE);
    r = tether_model_find_resource(reg, 2, 2); /* ACL */
    assert_int_equal(r->multiple, 1);
    assert_int_equal(r->ops, TETHER_LWM2M_OP_RW);
    r = tether_model_find_resource(reg, 3, 13);
    assert_string_equal(r->name, "Current Time");
    assert_int_equal(r->type, TETHER_LWM2M_TIME);
    assert_int_equal(r->ops, TETHER_LWM2M_OP_RW);
    r = tether_model_find_resource(reg, 3, 22);
    assert_string_equal(r->name, "ExtDevInfo");
    assert_int_equal(r->type, TETHER_LWM2M_OBJLNK);
    assert_int_equal(r->multiple, 1);
    r = tether_model_find_resource(reg, 3, 4);
    assert_string_equal(r->name, "Reboot");
    assert_int_equal(r->ops, TETHER_LWM2M_OP_E);
    assert_int_equal(r->type, TETHER_LWM2M_NONE);
    assert_int_equal(r->mandatory, 1);
    assert_string_equal(tether_model_find_resource(reg, 3, 7)->units, "mV");
    assert_int_equal(tether_model_find_resource(reg, 3, 11)->mandatory, 1);
    assert_string_equal(tether_model_find_resource(reg, 4, 2)->units, "dBm");
    assert_int_equal(tether_model_find_resource(reg, 4, 4)->type, TETHER_LWM2M_STRING);
    assert_null(tether_model_find_resource(reg, 5, 4)); /* gone in 1.0 */
    r = tether_model_find_resource(reg, 5, 0);
    assert_string_equal(r->name, "Package");
    assert_int_equal(r->ops, TETHER_LWM2M_OP_W);
    assert_int_equal(r->type, TETHER_LWM2M_OPAQUE);
    r = tether_model_find_resource(reg, 6, 0);
    assert_string_equal(r->name, "Latitude");
    assert_int_equal(r->type, TETHER_LWM2M_FLOAT);
    assert_string_equal(r->units, "Deg");
    assert_int_equal(tether_model_find_resource(reg, 6, 5)->type, TETHER_LWM2M_TIME);
    r = tether_model_find_resource(reg, 7, 6);
    assert_string_equal(r->name, "Start");
    assert_int_equal(r->ops, TETHER_LWM2M_OP_E);
    assert_null(tether_model_find_resource(reg, 7, 9));
    tether_model_registry_free(reg);
}

/* REQUIREMENTS.md, "LwM2M Server Object, ID 1": the table, row by row. */
static void test_R4_server_object_model_matches_requirements(void **state)
{
    static const struct {
        uint16_t id;
        const char *name;
        uint8_t ops, mandatory, type;
        const char *range, *units;
    } table[] = {
        {0, "Short Server ID", TETHER_LWM2M_OP_R, 1, TETHER_LWM2M_INTEGER, "1-65535", ""},
        {1, "Lifetime", TETHER_LWM2M_OP_RW, 1, TETHER_LWM2M_INTEGER, "", "s"},
        {2, "Default Minimum Period", TETHER_LWM2M_OP_RW, 0, TETHER_LWM2M_INTEGER, "", "s"},
        {3, "Default Maximum Period", TETHER_LWM2M_OP_RW, 0, TETHER_LWM2M_INTEGER, "", "s"},
        {4, "Disable", TETHER_LWM2M_OP_E, 0, TETHER_LWM2M_NONE, "", ""},
        {5, "Disable Timeout", TETHER_LWM2M_OP_RW, 0, TETHER_LWM2M_INTEGER, "", "s"},
        {6, "Notification Storing When Disabled or Offline", TETHER_LWM2M_OP_RW, 1,
         TETHER_LWM2M_BOOLEAN, "", ""},
        {7, "Binding", TETHER_LWM2M_OP_RW, 1, TETHER_LWM2M_STRING,
         "The possible values of Resource are listed in 5.3.1.1", ""},
        {8, "Registration Update Trigger", TETHER_LWM2M_OP_E, 1, TETHER_LWM2M_NONE, "", ""},
    };
    tether_model_registry *reg = new_reg();
    const tether_model_object *o = tether_model_find(reg, 1);

    (void)state;
    assert_non_null(o);
    assert_string_equal(o->urn, "urn:oma:lwm2m:oma:1");
    assert_int_equal(o->multiple, 1);
    assert_int_equal(o->mandatory, 1);
    assert_int_equal(o->n_resources, 9);
    for (size_t i = 0; i < 9; i++) {
        const tether_model_resource *r = &o->resources[i];
        assert_int_equal(r->id, table[i].id);
        assert_string_equal(r->name, table[i].name);
        assert_int_equal(r->ops, table[i].ops);
        assert_int_equal(r->mandatory, table[i].mandatory);
        assert_int_equal(r->type, table[i].type);
        assert_int_equal(r->multiple, 0);
        assert_string_equal(r->range, table[i].range);
        assert_string_equal(r->units, table[i].units);
        assert_ptr_equal(tether_model_find_resource(reg, 1, table[i].id), r);
    }
    assert_null(tether_model_find_resource(reg, 1, 9)); /* 1.0 ends at 8 */
    tether_model_registry_free(reg);
}

/* R19: what the model allows is what the table allows; everything else is
 * an operation the DM layer refuses with 4.05. */
static void test_R19_server_object_operations_from_model(void **state)
{
    tether_model_registry *reg = new_reg();
    const tether_model_resource *ssid = tether_model_find_resource(reg, 1, 0);
    const tether_model_resource *lt = tether_model_find_resource(reg, 1, 1);
    const tether_model_resource *dis = tether_model_find_resource(reg, 1, 4);
    const tether_model_resource *nsto = tether_model_find_resource(reg, 1, 6);
    const tether_model_resource *trig = tether_model_find_resource(reg, 1, 8);

    (void)state;
    assert_true(ssid->ops & TETHER_LWM2M_OP_R);
    assert_false(ssid->ops & TETHER_LWM2M_OP_W); /* write /1/x/0: 4.05 */
    assert_false(ssid->ops & TETHER_LWM2M_OP_E);
    assert_true((lt->ops & TETHER_LWM2M_OP_RW) == TETHER_LWM2M_OP_RW);
    assert_false(lt->ops & TETHER_LWM2M_OP_E); /* execute /1/x/1: 4.05 */
    assert_int_equal(dis->ops, TETHER_LWM2M_OP_E); /* read or write /1/x/4: 4.05 */
    assert_int_equal(trig->ops, TETHER_LWM2M_OP_E);
    /* Types that decide 4.00 on a write: a Boolean, an Integer 1..65535. */
    assert_int_equal(nsto->type, TETHER_LWM2M_BOOLEAN);
    assert_string_equal(ssid->range, "1-65535");
    assert_string_equal(tether_model_ops_name(ssid->ops), "R");
    assert_string_equal(tether_model_ops_name(lt->ops), "RW");
    assert_string_equal(tether_model_ops_name(dis->ops), "E");
    assert_string_equal(tether_model_ops_name(0), "");
    tether_model_registry_free(reg);
}

typedef struct id_list {
    uint16_t id[16];
    size_t n, stop_after;
} id_list;

static int note_id(void *user, const tether_model_object *o)
{
    id_list *c = user;
    assert_true(c->n < 16);
    c->id[c->n++] = o->id;
    return c->n == c->stop_after ? 42 : 0;
}

static void test_model_foreach_ascending_and_stops(void **state)
{
    tether_model_registry *reg = new_reg();
    id_list c;

    (void)state;
    memset(&c, 0, sizeof(c));
    assert_int_equal(tether_model_foreach(reg, note_id, &c), 0);
    assert_int_equal(c.n, 8);
    for (size_t i = 0; i < 8; i++)
        assert_int_equal(c.id[i], i);
    memset(&c, 0, sizeof(c));
    c.stop_after = 3;
    assert_int_equal(tether_model_foreach(reg, note_id, &c), 42);
    assert_int_equal(c.n, 3);
    assert_null(tether_model_at(reg, 8));
    tether_model_registry_free(reg);
}

/* --- tether_model_add ------------------------------------------------------ */

static const tether_model_resource own_res[] = {
    {0, TETHER_LWM2M_OP_R, TETHER_LWM2M_CORELNK, 0, 1, "Links", "", "", ""},
    {1, TETHER_LWM2M_OP_RW, TETHER_LWM2M_UNSIGNED, 0, 0, "Count", "", "", ""},
};
static const tether_model_object own_obj = {
    32770, 1, 0, "Own", "urn:oma:lwm2m:x:32770", "1.0", "1.1", "", 2, own_res};

static const tether_model_resource unsorted_res[] = {
    {1, TETHER_LWM2M_OP_R, TETHER_LWM2M_STRING, 0, 1, "B", "", "", ""},
    {0, TETHER_LWM2M_OP_R, TETHER_LWM2M_STRING, 0, 1, "A", "", "", ""},
};
static const tether_model_object unsorted_obj = {
    3, 0, 1, "Device?", "urn:oma:lwm2m:oma:3", "1.0", "1.0", "", 2, unsorted_res};

static void test_model_add_checks_and_replaces(void **state)
{
    tether_model_registry *reg = new_reg();
    const tether_model_object *dev = tether_model_find(reg, 3);

    (void)state;
    assert_int_equal(tether_model_add(reg, &unsorted_obj), TETHER_ERR_INVAL);
    assert_string_equal(tether_model_errmsg(reg),
                        "object 3: resources are not sorted by id, or an id is there twice");
    assert_ptr_equal(tether_model_find(reg, 3), dev);
    assert_int_equal(tether_model_add(reg, &own_obj), 0);
    assert_string_equal(tether_model_errmsg(reg), "");
    assert_int_equal(tether_model_count(reg), 9);
    assert_ptr_equal(tether_model_find(reg, 32770), &own_obj);
    assert_ptr_equal(tether_model_at(reg, 8), &own_obj);
    tether_model_registry_free(reg);
}

/* --- DDF loading ----------------------------------------------------------- */

static void test_model_load_dir_good(void **state)
{
    tether_model_registry *reg = new_reg();
    const tether_model_object *t;
    const tether_model_resource *r;
    size_t n = 0;

    (void)state;
    assert_int_equal(tether_model_load_dir(reg, models_dir("good"), &n), 0);
    assert_string_equal(tether_model_errmsg(reg), "");
    assert_int_equal(n, 2);
    assert_int_equal(tether_model_count(reg), 10);
    t = tether_model_find(reg, 3303);
    assert_non_null(t);
    assert_string_equal(t->name, "Temperature");
    assert_string_equal(t->urn, "urn:oma:lwm2m:ext:3303");
    assert_string_equal(t->version, "1.0");
    assert_string_equal(t->lwm2m_version, "1.0");
    assert_int_equal(t->multiple, 1);
    assert_int_equal(t->mandatory, 0);
    assert_string_equal(t->description,
                        "A temperature sensor: the measured value, the minimum and maximum "
                        "measured, and the range the sensor can measure.");
    assert_int_equal(t->n_resources, 7);
    /* Sorted by id, whatever the file's order. */
    static const uint16_t ids[] = {5601, 5602, 5603, 5604, 5605, 5700, 5701};
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(t->resources[i].id, ids[i]);
    r = tether_model_find_resource(reg, 3303, 5700);
    assert_string_equal(r->name, "Sensor Value");
    assert_int_equal(r->ops, TETHER_LWM2M_OP_R);
    assert_int_equal(r->type, TETHER_LWM2M_FLOAT);
    assert_int_equal(r->mandatory, 1);
    assert_int_equal(r->multiple, 0);
    assert_string_equal(r->range, "");
    assert_string_equal(r->description, "Last or current measured value.");
    r = tether_model_find_resource(reg, 3303, 5605);
    assert_int_equal(r->ops, TETHER_LWM2M_OP_E);
    assert_int_equal(r->type, TETHER_LWM2M_NONE);
    r = tether_model_find_resource(reg, 3311, 5851);
    assert_string_equal(r->name, "Dimmer");
    assert_string_equal(r->range, "0-100");
    assert_string_equal(r->units, "%");
    assert_int_equal(r->type, TETHER_LWM2M_INTEGER);
    assert_int_equal(tether_model_find_resource(reg, 3311, 5850)->type, TETHER_LWM2M_BOOLEAN);
    /* CDATA text comes through as text. */
    assert_string_equal(tether_model_find(reg, 3311)->description,
                        "A light source (LED or other) that can be switched on and off and "
                        "dimmed.");
    tether_model_registry_free(reg);
}

static void test_model_load_dir_broken_names_file_and_line(void **state)
{
    tether_model_registry *reg = new_reg();
    char want[1200];
    size_t n = 99;

    (void)state;
    assert_int_equal(tether_model_load_dir(reg, models_dir("broken"), &n), TETHER_ERR_MALFORMED);
    snprintf(want, sizeof(want), "%s/3303.xml:15: <Type> 'Strng' is not an LwM2M type",
             models_dir("broken"));
    assert_string_equal(tether_model_errmsg(reg), want);
    assert_int_equal(n, 99);
    assert_int_equal(tether_model_count(reg), 8);
    assert_null(tether_model_find(reg, 3303));
    tether_model_registry_free(reg);
}

static const char device_override[] =
    "<?xml version=\"1.0\"?>\n"
    "<LWM2M>\n"
    "  <Object ObjectType=\"MODefinition\">\n"
    "    <Name>Device</Name><ObjectID>3</ObjectID>\n"
    "    <ObjectURN>urn:oma:lwm2m:oma:3:1.1</ObjectURN>\n"
    "    <LWM2MVersion>1.1</LWM2MVersion><ObjectVersion>1.1</ObjectVersion>\n"
    "    <MultipleInstances>Single</MultipleInstances><Mandatory>Mandatory</Mandatory>\n"
    "    <Future>ignored<Deeper/></Future>\n"
    "    <Resources>\n"
    "      <Item ID=\"13\"><Name>Current Time</Name><Operations>RW</Operations>\n"
    "        <MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory>\n"
    "        <Type>Time</Type><Unknown>x</Unknown></Item>\n"
    "      <Item ID=\"0\"><Name>Manufacturer</Name><Operations> r </Operations>\n"
    "        <MultipleInstances>single</MultipleInstances><Mandatory>OPTIONAL</Mandatory>\n"
    "        <Type> string </Type></Item>\n"
    "      <Item ID=\"24\"><Name>Count</Name><Operations>R</Operations>\n"
    "        <MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory>\n"
    "        <Type>Unsigned Integer</Type></Item>\n"
    "    </Resources>\n"
    "  </Object>\n"
    "</LWM2M>\n";

static void test_model_load_overrides_builtin(void **state)
{
    tether_model_registry *reg = new_reg();
    const tether_model_object *dev;

    (void)state;
    assert_int_equal(
        tether_model_load_ddf(reg, "dev.xml", device_override, strlen(device_override)), 0);
    assert_int_equal(tether_model_count(reg), 8);
    dev = tether_model_find(reg, 3);
    assert_string_equal(dev->version, "1.1");
    assert_string_equal(dev->lwm2m_version, "1.1");
    assert_string_equal(dev->urn, "urn:oma:lwm2m:oma:3:1.1");
    assert_string_equal(dev->description, "");
    assert_int_equal(dev->n_resources, 3);
    assert_int_equal(dev->resources[0].id, 0);
    assert_int_equal(dev->resources[0].ops, TETHER_LWM2M_OP_R);
    assert_int_equal(dev->resources[0].type, TETHER_LWM2M_STRING);
    assert_int_equal(dev->resources[1].type, TETHER_LWM2M_TIME);
    assert_int_equal(dev->resources[2].type, TETHER_LWM2M_UNSIGNED);
    assert_null(tether_model_find_resource(reg, 3, 4)); /* the built-in Reboot is gone */
    /* And once more: the loaded one is replaced (and freed: ASan). */
    assert_int_equal(
        tether_model_load_ddf(reg, "dev.xml", device_override, strlen(device_override)), 0);
    assert_int_equal(tether_model_count(reg), 8);
    tether_model_registry_free(reg);
}

/* One malformed document, the code and the exact sentence it must give. */
static const struct {
    const char *xml;
    int rc;
    const char *msg;
} bad_docs[] = {
    {"", TETHER_ERR_MALFORMED, "t.xml:1: XML: no element found"},
    {"hello", TETHER_ERR_MALFORMED, "t.xml:1: XML: syntax error"},
    {"<LWM2M><Object>\n<Name>x</Nam></Object></LWM2M>", TETHER_ERR_MALFORMED,
     "t.xml:2: XML: mismatched tag"},
    {"<LWM2M><Object><Name>x</Name>", TETHER_ERR_MALFORMED, "t.xml:1: XML: no element found"},
    {"<foo/>", TETHER_ERR_MALFORMED,
     "t.xml:1: the root element is <foo>, not <LWM2M>: not an OMA DDF file"},
    {"<LWM2M/>", TETHER_ERR_MALFORMED, "t.xml: no <Object> definition in the file"},
    {"<LWM2M><Other/></LWM2M>", TETHER_ERR_MALFORMED,
     "t.xml: no <Object> definition in the file"},
    {"<?xml version=\"1.0\"?>\n<!DOCTYPE LWM2M [<!ENTITY a \"b\">]>\n<LWM2M/>",
     TETHER_ERR_MALFORMED, "t.xml:2: a DOCTYPE is not accepted in a DDF file"},
    {"<LWM2M><Object ObjectType=\"MOInstance\"/></LWM2M>", TETHER_ERR_MALFORMED,
     "t.xml:1: <Object ObjectType=\"MOInstance\"> is not an object definition (MODefinition)"},
    {"<LWM2M>\n<Object>\n<Name>X</Name><MultipleInstances>Single</MultipleInstances>"
     "<Mandatory>Optional</Mandatory>\n</Object></LWM2M>",
     TETHER_ERR_MALFORMED, "t.xml:2: <Object> has no <ObjectID>"},
    {"<LWM2M><Object>\n<ObjectID>65535</ObjectID></Object></LWM2M>", TETHER_ERR_MALFORMED,
     "t.xml:2: <ObjectID> '65535' is not an object id (0..65534)"},
    {"<LWM2M><Object><ObjectID>-1</ObjectID></Object></LWM2M>", TETHER_ERR_MALFORMED,
     "t.xml:1: <ObjectID> '-1' is not an object id (0..65534)"},
    {"<LWM2M><Object><Name> </Name></Object></LWM2M>", TETHER_ERR_MALFORMED,
     "t.xml:1: <Name> is empty"},
    {"<LWM2M><Object><Name>a</Name>\n<Name>b</Name></Object></LWM2M>", TETHER_ERR_MALFORMED,
     "t.xml:2: a second <Name> in <Object>"},
    {"<LWM2M><Object><Name>a<b>c</b></Name></Object></LWM2M>", TETHER_ERR_MALFORMED,
     "t.xml:1: <Name> must hold text, not an element <b>"},
    {"<LWM2M><Object><MultipleInstances>Many</MultipleInstances></Object></LWM2M>",
     TETHER_ERR_MALFORMED, "t.xml:1: <MultipleInstances> 'Many' is not Single or Multiple"},
    {"<LWM2M><Object><Mandatory>Yes</Mandatory></Object></LWM2M>", TETHER_ERR_MALFORMED,
     "t.xml:1: <Mandatory> 'Yes' is not Mandatory or Optional"},
    {"<LWM2M><Object><Resources>\n<Item><Name>x</Name></Item></Resources></Object></LWM2M>",
     TETHER_ERR_MALFORMED, "t.xml:2: <Item> has no ID attribute"},
    {"<LWM2M><Object><Resources><Item ID=\"7x\"/></Resources></Object></LWM2M>",
     TETHER_ERR_MALFORMED, "t.xml:1: <Item ID=\"7x\"> is not a resource id (0..65534)"},
    {"<LWM2M><Object><Resources><Item ID=\"1\">\n<Operations>RX</Operations>"
     "</Item></Resources></Object></LWM2M>",
     TETHER_ERR_MALFORMED, "t.xml:2: <Operations> 'RX' is not R, W, RW, E or empty"},
    {"<LWM2M><Object><Resources><Item ID=\"1\"><Type>Strng\n</Type>"
     "</Item></Resources></Object></LWM2M>",
     TETHER_ERR_MALFORMED, "t.xml:1: <Type> 'Strng' is not an LwM2M type"},
    {"<LWM2M><Object><Resources><Item ID=\"1\"><Type>\x01\x02</Type>"
     "</Item></Resources></Object></LWM2M>",
     TETHER_ERR_MALFORMED, "t.xml:1: XML: not well-formed (invalid token)"},
    {"<LWM2M><Object><Resources><Item ID=\"1\"><Type>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "</Type></Item></Resources></Object></LWM2M>",
     TETHER_ERR_MALFORMED,
     "t.xml:1: <Type> 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' is not an LwM2M type"},
    {"<LWM2M><Object><Resources>\n<Item ID=\"1\"><Name>x</Name>"
     "<Mandatory>Optional</Mandatory></Item></Resources></Object></LWM2M>",
     TETHER_ERR_MALFORMED, "t.xml:2: <Item ID=\"1\"> has no <MultipleInstances>"},
    {"<LWM2M><Object><Name>O</Name><ObjectID>9</ObjectID>"
     "<MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory>"
     "<Resources>\n"
     "<Item ID=\"1\"><Name>a</Name><MultipleInstances>Single</MultipleInstances>"
     "<Mandatory>Optional</Mandatory></Item>\n"
     "<Item ID=\"1\"><Name>b</Name><MultipleInstances>Single</MultipleInstances>"
     "<Mandatory>Optional</Mandatory></Item>\n"
     "</Resources></Object></LWM2M>",
     TETHER_ERR_MALFORMED, "t.xml:3: resource 1 of object 9 is defined twice (also at line 2)"},
    {"<LWM2M><Object><Resources/><Resources/></Object></LWM2M>", TETHER_ERR_MALFORMED,
     "t.xml:1: a second <Resources> in <Object>"},
    {"<LWM2M>\n<Object><Name>O</Name><ObjectID>9</ObjectID>"
     "<MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory></Object>\n"
     "<Object><Name>P</Name><ObjectID>9</ObjectID>"
     "<MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory></Object>\n"
     "</LWM2M>",
     TETHER_ERR_EXISTS, "t.xml:3: object 9 is defined twice (also at t.xml:2)"},
};

static void test_model_load_malformed_documents(void **state)
{
    tether_model_registry *reg = new_reg();

    (void)state;
    for (size_t i = 0; i < sizeof(bad_docs) / sizeof(bad_docs[0]); i++) {
        int rc = tether_model_load_ddf(reg, "t.xml", bad_docs[i].xml, strlen(bad_docs[i].xml));
        if (rc != bad_docs[i].rc || strcmp(tether_model_errmsg(reg), bad_docs[i].msg) != 0)
            fail_msg("document %zu: got %d \"%s\", want %d \"%s\"", i, rc,
                     tether_model_errmsg(reg), bad_docs[i].rc, bad_docs[i].msg);
        assert_int_equal(tether_model_count(reg), 8);
        assert_null(tether_model_find(reg, 9));
    }
    /* A good document after a bad one: the sentence is cleared. */
    assert_int_equal(
        tether_model_load_ddf(reg, "dev.xml", device_override, strlen(device_override)), 0);
    assert_string_equal(tether_model_errmsg(reg), "");
    tether_model_registry_free(reg);
}

static void test_model_load_atomic_across_objects(void **state)
{
    /* The first object is fine, the second is broken: neither goes in. */
    static const char doc[] =
        "<LWM2M><Object><Name>O</Name><ObjectID>9</ObjectID>"
        "<MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory></Object>"
        "<Object><Name>P</Name><ObjectID>3</ObjectID></Object></LWM2M>";
    tether_model_registry *reg = new_reg();
    const tether_model_object *dev = tether_model_find(reg, 3);

    (void)state;
    assert_int_equal(tether_model_load_ddf(reg, "a.xml", doc, strlen(doc)),
                     TETHER_ERR_MALFORMED);
    assert_string_equal(tether_model_errmsg(reg), "a.xml:1: <Object> has no <MultipleInstances>");
    assert_null(tether_model_find(reg, 9));
    assert_ptr_equal(tether_model_find(reg, 3), dev);
    tether_model_registry_free(reg);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[1024];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void remove_file(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    unlink(path);
}

static void test_model_load_dir_errors(void **state)
{
    static const char obj9[] =
        "<LWM2M><Object><Name>O</Name><ObjectID>9</ObjectID>"
        "<MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory>"
        "</Object></LWM2M>\n";
    tether_model_registry *reg = new_reg();
    char tmpl[] = "/tmp/tether-models-XXXXXX";
    char want[512];
    const char *dir = mkdtemp(tmpl);
    size_t n = 0;

    (void)state;
    assert_non_null(dir);
    assert_int_equal(tether_model_load_dir(reg, "/nonexistent/models", &n), TETHER_ERR_SYS);
    assert_string_equal(tether_model_errmsg(reg),
                        "/nonexistent/models: cannot open the directory: No such file or "
                        "directory");
    /* Nothing ending in .xml: the wrong directory, most likely. */
    write_file(dir, "README", "not a model\n");
    assert_int_equal(tether_model_load_dir(reg, dir, &n), TETHER_ERR_NOT_FOUND);
    snprintf(want, sizeof(want), "%s: no *.xml file in the directory", dir);
    assert_string_equal(tether_model_errmsg(reg), want);
    /* Two files, one object: which would win depends on order: refused. */
    write_file(dir, "a.xml", obj9);
    write_file(dir, "b.XML", obj9);
    assert_int_equal(tether_model_load_dir(reg, dir, &n), TETHER_ERR_EXISTS);
    snprintf(want, sizeof(want), "%s/b.XML:1: object 9 is defined twice (also at %s/a.xml:1)",
             dir, dir);
    assert_string_equal(tether_model_errmsg(reg), want);
    assert_null(tether_model_find(reg, 9));
    remove_file(dir, "b.XML");
    /* A trailing slash is fine; a subdirectory named x.xml is not a file. */
    snprintf(want, sizeof(want), "%s/sub.xml", dir);
    assert_int_equal(mkdir(want, 0700), 0);
    snprintf(want, sizeof(want), "%s/", dir);
    assert_int_equal(tether_model_load_dir(reg, want, &n), 0);
    assert_int_equal(n, 1);
    assert_non_null(tether_model_find(reg, 9));
    /* load_file on its own, and on a missing file. */
    snprintf(want, sizeof(want), "%s/a.xml", dir);
    assert_int_equal(tether_model_load_file(reg, want), 0);
    snprintf(want, sizeof(want), "%s/none.xml", dir);
    assert_int_equal(tether_model_load_file(reg, want), TETHER_ERR_SYS);
    assert_non_null(strstr(tether_model_errmsg(reg), "none.xml: cannot open: "));

    snprintf(want, sizeof(want), "%s/sub.xml", dir);
    rmdir(want);
    remove_file(dir, "a.xml");
    remove_file(dir, "README");
    rmdir(dir);
    tether_model_registry_free(reg);
}

static void test_model_allocator_hook_sees_everything(void **state)
{
    fx_alloc_stats mem = {0, 0};
    tether_model_registry *reg = NULL;

    (void)state;
    assert_int_equal(tether_model_registry_new(&reg, fx_alloc, &mem), 0);
    assert_true(mem.live > 0);
    assert_int_equal(tether_model_load_dir(reg, models_dir("good"), NULL), 0);
    assert_int_equal(tether_model_load_dir(reg, models_dir("broken"), NULL),
                     TETHER_ERR_MALFORMED);
    assert_int_equal(tether_model_load_ddf(reg, "x", bad_docs[24].xml, strlen(bad_docs[24].xml)),
                     TETHER_ERR_MALFORMED);
    tether_model_registry_free(reg);
    assert_int_equal(mem.live, 0);
}

/* --- typed TLV decoding ------------------------------------------------------ */

static tether_lwm2m_path P(int len, int o, int i, int r, int ri)
{
    return tether_lwm2m_path_make((uint8_t)len, (uint16_t)o, (uint16_t)i, (uint16_t)r,
                                  (uint16_t)ri);
}

#define MAX_RECS 64

typedef struct recs {
    tether_model_record r[MAX_RECS];
    size_t n;
    size_t stop_after; /* 0: never stop */
} recs;

static int collect(void *user, const tether_model_record *rec)
{
    recs *c = user;
    assert_true(c->n < MAX_RECS);
    c->r[c->n++] = *rec;
    if (c->stop_after != 0 && c->n == c->stop_after)
        return TETHER_ERR_CALLBACK;
    return 0;
}

/* The record with path p, or fail. */
static const tether_model_record *rec_at(const recs *c, tether_lwm2m_path p)
{
    for (size_t i = 0; i < c->n; i++)
        if (tether_lwm2m_path_equal(&c->r[i].path, &p))
            return &c->r[i];
    fail_msg("no record for the path");
    return NULL;
}

static void assert_str_value(const tether_model_record *r, const char *s)
{
    assert_int_equal(r->err, 0);
    assert_int_equal(r->value.type, TETHER_LWM2M_STRING);
    assert_int_equal(r->value.bytes.len, strlen(s));
    assert_memory_equal(r->value.bytes.ptr, s, strlen(s));
}

static void assert_int_value(const tether_model_record *r, int type, int64_t v)
{
    assert_int_equal(r->err, 0);
    assert_int_equal(r->value.type, type);
    assert_true(r->value.i == v);
}


/* LwM2M 1.0 §6.4.3.1: Read /3/0 (as in tests/lwm2m/test_tlv.c). */
static const uint8_t device_0[] = {
    0xC8, 0x00, 0x14, 'O', 'p', 'e', 'n', ' ', 'M', 'o', 'b', 'i', 'l', 'e', ' ', 'A', 'l', 'l',
    'i', 'a', 'n', 'c', 'e',
    0xC8, 0x01, 0x16, 'L', 'i', 'g', 'h', 't', 'w', 'e', 'i', 'g', 'h', 't', ' ', 'M', '2', 'M',
    ' ', 'C', 'l', 'i', 'e', 'n', 't',
    0xC8, 0x02, 0x09, '3', '4', '5', '0', '0', '0', '1', '2', '3',
    0xC3, 0x03, '1', '.', '0',
    0x86, 0x06, 0x41, 0x00, 0x01, 0x41, 0x01, 0x05,
    0x88, 0x07, 0x08, 0x42, 0x00, 0x0E, 0xD8, 0x42, 0x01, 0x13, 0x88,
    0x87, 0x08, 0x41, 0x00, 0x7D, 0x42, 0x01, 0x03, 0x84,
    0xC1, 0x09, 0x64,
    0xC1, 0x0A, 0x0F,
    0x83, 0x0B, 0x41, 0x00, 0x00,
    0xC4, 0x0D, 0x51, 0x82, 0x42, 0x8F,
    0xC6, 0x0E, '+', '0', '2', ':', '0', '0',
    0xC1, 0x10, 'U',
};

/* §6.4.3.2: Read /1, one instance (length 0x0F, see test_tlv.c). */
static const uint8_t server_one[] = {
    0x08, 0x00, 0x0F,
    0xC1, 0x00, 0x01,
    0xC4, 0x01, 0x00, 0x01, 0x51, 0x80,
    0xC1, 0x06, 0x01,
    0xC1, 0x07, 'U',
};

static void check_device_records(const recs *c)
{
    assert_int_equal(c->n, 16);
    assert_str_value(rec_at(c, P(3, 3, 0, 0, 0)), "Open Mobile Alliance");
    assert_str_value(rec_at(c, P(3, 3, 0, 1, 0)), "Lightweight M2M Client");
    assert_str_value(rec_at(c, P(3, 3, 0, 2, 0)), "345000123");
    assert_str_value(rec_at(c, P(3, 3, 0, 3, 0)), "1.0");
    assert_int_value(rec_at(c, P(4, 3, 0, 6, 0)), TETHER_LWM2M_INTEGER, 1);
    assert_int_value(rec_at(c, P(4, 3, 0, 6, 1)), TETHER_LWM2M_INTEGER, 5);
    assert_int_value(rec_at(c, P(4, 3, 0, 7, 0)), TETHER_LWM2M_INTEGER, 3800);
    assert_int_value(rec_at(c, P(4, 3, 0, 7, 1)), TETHER_LWM2M_INTEGER, 5000);
    assert_int_value(rec_at(c, P(4, 3, 0, 8, 0)), TETHER_LWM2M_INTEGER, 125);
    assert_int_value(rec_at(c, P(4, 3, 0, 8, 1)), TETHER_LWM2M_INTEGER, 900);
    assert_int_value(rec_at(c, P(3, 3, 0, 9, 0)), TETHER_LWM2M_INTEGER, 100);
    assert_int_value(rec_at(c, P(3, 3, 0, 10, 0)), TETHER_LWM2M_INTEGER, 15);
    assert_int_value(rec_at(c, P(4, 3, 0, 11, 0)), TETHER_LWM2M_INTEGER, 0);
    assert_int_value(rec_at(c, P(3, 3, 0, 13, 0)), TETHER_LWM2M_TIME, 1367491215);
    assert_str_value(rec_at(c, P(3, 3, 0, 14, 0)), "+02:00");
    assert_str_value(rec_at(c, P(3, 3, 0, 16, 0)), "U");
    /* Records carry their definitions. */
    assert_string_equal(rec_at(c, P(3, 3, 0, 13, 0))->res->name, "Current Time");
    assert_string_equal(rec_at(c, P(3, 3, 0, 13, 0))->obj->name, "Device");
}

static void test_model_decode_tlv_device_instance(void **state)
{
    tether_model_registry *reg = new_reg();
    tether_lwm2m_path req = P(2, 3, 0, 0, 0);
    recs c;

    (void)state;
    memset(&c, 0, sizeof(c));
    assert_int_equal(tether_model_decode_tlv(reg, &req, device_0, sizeof(device_0), collect, &c),
                     0);
    check_device_records(&c);
    /* Payload order. */
    assert_true(tether_lwm2m_path_equal(&c.r[0].path, &(tether_lwm2m_path){{3, 0, 0, 0}, 3}));
    assert_true(tether_lwm2m_path_equal(&c.r[15].path, &(tether_lwm2m_path){{3, 0, 16, 0}, 3}));
    tether_model_registry_free(reg);
}

static void test_model_decode_tlv_device_object(void **state)
{
    /* §6.4.3.2: the same wrapped in object instance 0, as Read /3 gets it. */
    uint8_t buf[3 + sizeof(device_0)] = {0x08, 0x00, 0x79};
    tether_model_registry *reg = new_reg();
    tether_lwm2m_path req = P(1, 3, 0, 0, 0);
    recs c;

    (void)state;
    assert_int_equal(sizeof(device_0), 0x79);
    memcpy(buf + 3, device_0, sizeof(device_0));
    memset(&c, 0, sizeof(c));
    assert_int_equal(tether_model_decode_tlv(reg, &req, buf, sizeof(buf), collect, &c), 0);
    check_device_records(&c);
    /* And with /3/0 too: the wrapper's id matches the request. */
    req = P(2, 3, 0, 0, 0);
    memset(&c, 0, sizeof(c));
    assert_int_equal(tether_model_decode_tlv(reg, &req, buf, sizeof(buf), collect, &c), 0);
    check_device_records(&c);
    /* A single-instance object answered without the wrapper: instance 0. */
    req = P(1, 3, 0, 0, 0);
    memset(&c, 0, sizeof(c));
    assert_int_equal(tether_model_decode_tlv(reg, &req, device_0, sizeof(device_0), collect, &c),
                     0);
    check_device_records(&c);
    tether_model_registry_free(reg);
}

static void test_R4_model_decode_tlv_server_object(void **state)
{
    tether_model_registry *reg = new_reg();
    tether_lwm2m_path req = P(1, 1, 0, 0, 0);
    recs c;

    (void)state;
    memset(&c, 0, sizeof(c));
    assert_int_equal(
        tether_model_decode_tlv(reg, &req, server_one, sizeof(server_one), collect, &c), 0);
    assert_int_equal(c.n, 4);
    assert_int_value(rec_at(&c, P(3, 1, 0, 0, 0)), TETHER_LWM2M_INTEGER, 1);
    assert_int_value(rec_at(&c, P(3, 1, 0, 1, 0)), TETHER_LWM2M_INTEGER, 86400); /* Lifetime */
    assert_int_equal(rec_at(&c, P(3, 1, 0, 6, 0))->value.type, TETHER_LWM2M_BOOLEAN);
    assert_int_equal(rec_at(&c, P(3, 1, 0, 6, 0))->value.b, 1);
    assert_str_value(rec_at(&c, P(3, 1, 0, 7, 0)), "U");
    /* Read /1/0/1 alone: the Lifetime (R10). */
    static const uint8_t lt[] = {0xC4, 0x01, 0x00, 0x00, 0x0E, 0x10};
    req = P(3, 1, 0, 1, 0);
    memset(&c, 0, sizeof(c));
    assert_int_equal(tether_model_decode_tlv(reg, &req, lt, sizeof(lt), collect, &c), 0);
    assert_int_equal(c.n, 1);
    assert_int_value(&c.r[0], TETHER_LWM2M_INTEGER, 3600);
    tether_model_registry_free(reg);
}

static void test_model_decode_tlv_unknown_is_opaque(void **state)
{
    /* /3303/0: Sensor Value 21.5 as binary64, Sensor Units "Cel", and a
     * resource 9999 no definition has. */
    static const uint8_t temp[] = {
        0xE8, 0x16, 0x44, 0x08, 0x40, 0x35, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
        0xE8, 0x16, 0x45, 0x03, 'C', 'e', 'l',
        0xE8, 0x27, 0x0F, 0x02, 0xAB, 0xCD,
    };
    tether_model_registry *reg = new_reg();
    tether_lwm2m_path req = P(2, 3303, 0, 0, 0);
    recs c;

    (void)state;
    memset(&c, 0, sizeof(c));
    assert_int_equal(tether_model_decode_tlv(reg, &req, temp, sizeof(temp), collect, &c), 0);
    assert_int_equal(c.n, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_null(c.r[i].obj);
        assert_null(c.r[i].res);
        assert_int_equal(c.r[i].err, TETHER_ERR_NOT_FOUND);
        assert_int_equal(c.r[i].value.type, TETHER_LWM2M_OPAQUE);
    }
    assert_int_equal(c.r[0].value.bytes.len, 8);
    assert_ptr_equal(c.r[0].value.bytes.ptr, temp + 4);
    /* With no registry at all: the same. */
    memset(&c, 0, sizeof(c));
    assert_int_equal(tether_model_decode_tlv(NULL, &req, temp, sizeof(temp), collect, &c), 0);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.r[1].value.type, TETHER_LWM2M_OPAQUE);
    /* Once 3303 is known: typed, but 9999 stays opaque with its object. */
    assert_int_equal(tether_model_load_dir(reg, models_dir("good"), NULL), 0);
    memset(&c, 0, sizeof(c));
    assert_int_equal(tether_model_decode_tlv(reg, &req, temp, sizeof(temp), collect, &c), 0);
    assert_int_equal(c.r[0].err, 0);
    assert_int_equal(c.r[0].value.type, TETHER_LWM2M_FLOAT);
    assert_true(c.r[0].value.f == 21.5);
    assert_str_value(&c.r[1], "Cel");
    assert_non_null(c.r[2].obj);
    assert_null(c.r[2].res);
    assert_int_equal(c.r[2].err, TETHER_ERR_NOT_FOUND);
    assert_int_equal(c.r[2].value.type, TETHER_LWM2M_OPAQUE);
    assert_int_equal(c.r[2].value.bytes.len, 2);
    tether_model_registry_free(reg);
}

static void test_model_decode_tlv_value_not_fitting_type(void **state)
{
    /* /1/0: SSID in 3 bytes, Notification Storing = 2, Disable (an
     * Executable) with a value: each comes out opaque with a reason, and
     * the Lifetime after them still decodes. */
    static const uint8_t odd[] = {
        0xC3, 0x00, 0x00, 0x00, 0x01,
        0xC1, 0x06, 0x02,
        0xC1, 0x04, 0x01,
        0xC2, 0x01, 0x0E, 0x10,
    };
    tether_model_registry *reg = new_reg();
    tether_lwm2m_path req = P(2, 1, 0, 0, 0);
    recs c;

    (void)state;
    memset(&c, 0, sizeof(c));
    assert_int_equal(tether_model_decode_tlv(reg, &req, odd, sizeof(odd), collect, &c), 0);
    assert_int_equal(c.n, 4);
    assert_int_equal(c.r[0].err, TETHER_ERR_MALFORMED);
    assert_int_equal(c.r[0].value.type, TETHER_LWM2M_OPAQUE);
    assert_int_equal(c.r[0].value.bytes.len, 3);
    assert_non_null(c.r[0].res);
    assert_int_equal(c.r[1].err, TETHER_ERR_MALFORMED);
    assert_int_equal(c.r[2].err, TETHER_ERR_UNSUPPORTED);
    assert_int_value(&c.r[3], TETHER_LWM2M_INTEGER, 3600);
    tether_model_registry_free(reg);
}

static void test_model_decode_tlv_checks_request_path(void **state)
{
    static const uint8_t inst1[] = {0x08, 0x01, 0x03, 0xC1, 0x00, 0x01};
    static const uint8_t res2[] = {0xC1, 0x02, 0x05};
    static const uint8_t rinst[] = {0x41, 0x00, 0x05};
    static const uint8_t multi6[] = {0x86, 0x06, 0x41, 0x00, 0x01, 0x41, 0x01, 0x05};
    static const uint8_t bad[] = {0xC8, 0x00, 0x14, 'O'};
    tether_model_registry *reg = new_reg();
    tether_lwm2m_path req;
    recs c;

    (void)state;
    memset(&c, 0, sizeof(c));
    req = P(2, 3, 0, 0, 0); /* instance 1 answering /3/0 */
    assert_int_equal(tether_model_decode_tlv(reg, &req, inst1, sizeof(inst1), collect, &c),
                     TETHER_ERR_MALFORMED);
    req = P(3, 3, 0, 1, 0); /* resource 2 answering /3/0/1 */
    assert_int_equal(tether_model_decode_tlv(reg, &req, res2, sizeof(res2), collect, &c),
                     TETHER_ERR_MALFORMED);
    req = P(2, 3, 0, 0, 0); /* a bare resource instance answering /3/0 */
    assert_int_equal(tether_model_decode_tlv(reg, &req, rinst, sizeof(rinst), collect, &c),
                     TETHER_ERR_MALFORMED);
    req = P(3, 3, 0, 6, 0); /* bad TLV */
    assert_int_equal(tether_model_decode_tlv(reg, &req, bad, sizeof(bad), collect, &c),
                     TETHER_ERR_MALFORMED);
    req = P(4, 3, 0, 6, 1); /* /3/0/6/1 answered with instances 0 and 1 */
    assert_int_equal(tether_model_decode_tlv(reg, &req, multi6, sizeof(multi6), collect, &c),
                     TETHER_ERR_MALFORMED);
    assert_int_equal(c.n, 0); /* no record from any failed call */
    req = P(0, 0, 0, 0, 0);
    assert_int_equal(tether_model_decode_tlv(reg, &req, res2, sizeof(res2), collect, &c),
                     TETHER_ERR_INVAL);

    /* What does fit: /3/0/6 as a multiple resource or as bare instances,
     * /3/0/6/0 as the instance itself. */
    req = P(3, 3, 0, 6, 0);
    assert_int_equal(tether_model_decode_tlv(reg, &req, multi6, sizeof(multi6), collect, &c), 0);
    assert_int_equal(c.n, 2);
    assert_int_value(rec_at(&c, P(4, 3, 0, 6, 1)), TETHER_LWM2M_INTEGER, 5);
    memset(&c, 0, sizeof(c));
    assert_int_equal(tether_model_decode_tlv(reg, &req, rinst, sizeof(rinst), collect, &c), 0);
    assert_int_value(rec_at(&c, P(4, 3, 0, 6, 0)), TETHER_LWM2M_INTEGER, 5);
    memset(&c, 0, sizeof(c));
    req = P(4, 3, 0, 6, 0);
    assert_int_equal(tether_model_decode_tlv(reg, &req, rinst, sizeof(rinst), collect, &c), 0);
    assert_int_equal(c.n, 1);
    assert_true(tether_lwm2m_path_equal(&c.r[0].path, &req));
    /* An empty payload has no records. */
    memset(&c, 0, sizeof(c));
    assert_int_equal(tether_model_decode_tlv(reg, &req, NULL, 0, collect, &c), 0);
    assert_int_equal(c.n, 0);
    tether_model_registry_free(reg);
}

static void test_model_decode_tlv_callback_stops(void **state)
{
    tether_model_registry *reg = new_reg();
    tether_lwm2m_path req = P(2, 3, 0, 0, 0);
    recs c;

    (void)state;
    memset(&c, 0, sizeof(c));
    c.stop_after = 5;
    assert_int_equal(tether_model_decode_tlv(reg, &req, device_0, sizeof(device_0), collect, &c),
                     TETHER_ERR_CALLBACK);
    assert_int_equal(c.n, 5);
    tether_model_registry_free(reg);
}

/* --- text/plain and the dispatcher ------------------------------------------ */

static void decode_text(tether_model_registry *reg, tether_lwm2m_path p, const char *s,
                        tether_model_record *out)
{
    assert_int_equal(
        tether_model_decode_text(reg, &p, (const uint8_t *)s, strlen(s), out), 0);
}

static void test_model_decode_text_typed(void **state)
{
    tether_model_registry *reg = new_reg();
    tether_model_record r;
    tether_lwm2m_path p;

    (void)state;
    decode_text(reg, P(3, 1, 0, 1, 0), "86400", &r);
    assert_int_value(&r, TETHER_LWM2M_INTEGER, 86400);
    assert_string_equal(r.res->name, "Lifetime");
    decode_text(reg, P(3, 1, 0, 6, 0), "0", &r);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.value.type, TETHER_LWM2M_BOOLEAN);
    assert_int_equal(r.value.b, 0);
    decode_text(reg, P(3, 3, 0, 13, 0), "1367491215", &r);
    assert_int_value(&r, TETHER_LWM2M_TIME, 1367491215);
    decode_text(reg, P(4, 3, 0, 7, 1), "5000", &r);
    assert_int_value(&r, TETHER_LWM2M_INTEGER, 5000);
    decode_text(reg, P(3, 6, 0, 0, 0), "-43.5723", &r);
    assert_int_equal(r.value.type, TETHER_LWM2M_FLOAT);
    assert_true(r.value.f == -43.5723);
    decode_text(reg, P(3, 1, 0, 7, 0), "UQ", &r);
    assert_str_value(&r, "UQ");

    /* Not an integer: the text as a string, and why. */
    decode_text(reg, P(3, 1, 0, 1, 0), "soon", &r);
    assert_int_equal(r.err, TETHER_ERR_MALFORMED);
    assert_int_equal(r.value.type, TETHER_LWM2M_STRING);
    /* Unknown resource: a string when UTF-8, else opaque. */
    decode_text(reg, P(3, 9999, 0, 0, 0), "hi", &r);
    assert_int_equal(r.err, TETHER_ERR_NOT_FOUND);
    assert_int_equal(r.value.type, TETHER_LWM2M_STRING);
    assert_null(r.obj);
    decode_text(reg, P(3, 9999, 0, 0, 0), "\xff\xfe", &r);
    assert_int_equal(r.value.type, TETHER_LWM2M_OPAQUE);
    /* An Executable has no value; an Opaque has no text form in 1.0. */
    decode_text(reg, P(3, 1, 0, 8, 0), "x", &r);
    assert_int_equal(r.err, TETHER_ERR_UNSUPPORTED);
    decode_text(reg, P(3, 5, 0, 0, 0), "x", &r);
    assert_int_equal(r.err, TETHER_ERR_UNSUPPORTED);
    /* Corelnk is text. */
    assert_int_equal(tether_model_add(reg, &own_obj), 0);
    decode_text(reg, P(3, 32770, 0, 0, 0), "</3/0>", &r);
    assert_str_value(&r, "</3/0>");
    decode_text(reg, P(3, 32770, 0, 1, 0), "18446744073709551615", &r);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.value.type, TETHER_LWM2M_UNSIGNED);
    assert_true(r.value.u == UINT64_MAX);

    /* Only a resource or a resource instance has one text value. */
    memset(&r, 0x5A, sizeof(r));
    p = P(2, 1, 0, 0, 0);
    assert_int_equal(tether_model_decode_text(reg, &p, (const uint8_t *)"1", 1, &r),
                     TETHER_ERR_INVAL);
    assert_int_equal(r.err, 0x5A5A5A5A); /* untouched */
    tether_model_registry_free(reg);
}

static void test_model_decode_dispatch(void **state)
{
    static const uint8_t pkg[] = {0xDE, 0xAD};
    tether_model_registry *reg = new_reg();
    tether_lwm2m_path p = P(3, 5, 0, 0, 0);
    recs c;

    (void)state;
    memset(&c, 0, sizeof(c));
    assert_int_equal(tether_model_decode(reg, TETHER_FMT_OPAQUE, &p, pkg, 2, collect, &c), 0);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.r[0].err, 0);
    assert_int_equal(c.r[0].value.type, TETHER_LWM2M_OPAQUE);
    p = P(3, 1, 0, 1, 0);
    assert_int_equal(tether_model_decode(reg, TETHER_FMT_OPAQUE, &p, pkg, 2, collect, &c), 0);
    assert_int_equal(c.r[1].err, TETHER_ERR_UNSUPPORTED);
    assert_int_equal(tether_model_decode(reg, TETHER_FMT_TEXT, &p, (const uint8_t *)"60", 2,
                                         collect, &c),
                     0);
    assert_int_value(&c.r[2], TETHER_LWM2M_INTEGER, 60);
    p = P(2, 3, 0, 0, 0);
    memset(&c, 0, sizeof(c));
    assert_int_equal(tether_model_decode(reg, TETHER_FMT_TLV_LEGACY, &p, device_0,
                                         sizeof(device_0), collect, &c),
                     0);
    check_device_records(&c);
    assert_int_equal(tether_model_decode(reg, TETHER_FMT_SENML_JSON, &p, pkg, 2, collect, &c),
                     TETHER_ERR_UNSUPPORTED);
    assert_int_equal(tether_model_decode(reg, TETHER_FMT_OPAQUE, &p, pkg, 2, collect, &c),
                     TETHER_ERR_INVAL);
    tether_model_registry_free(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_builtins_core_objects),
        cmocka_unit_test(test_R4_server_object_model_matches_requirements),
        cmocka_unit_test(test_R19_server_object_operations_from_model),
        cmocka_unit_test(test_model_foreach_ascending_and_stops),
        cmocka_unit_test(test_model_add_checks_and_replaces),
        cmocka_unit_test(test_model_load_dir_good),
        cmocka_unit_test(test_model_load_dir_broken_names_file_and_line),
        cmocka_unit_test(test_model_load_overrides_builtin),
        cmocka_unit_test(test_model_load_malformed_documents),
        cmocka_unit_test(test_model_load_atomic_across_objects),
        cmocka_unit_test(test_model_load_dir_errors),
        cmocka_unit_test(test_model_allocator_hook_sees_everything),
        cmocka_unit_test(test_model_decode_tlv_device_instance),
        cmocka_unit_test(test_model_decode_tlv_device_object),
        cmocka_unit_test(test_R4_model_decode_tlv_server_object),
        cmocka_unit_test(test_model_decode_tlv_unknown_is_opaque),
        cmocka_unit_test(test_model_decode_tlv_value_not_fitting_type),
        cmocka_unit_test(test_model_decode_tlv_checks_request_path),
        cmocka_unit_test(test_model_decode_tlv_callback_stops),
        cmocka_unit_test(test_model_decode_text_typed),
        cmocka_unit_test(test_model_decode_dispatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
