/* SPDX-License-Identifier: Apache-2.0 */
/* Object models on the server: the built-in core objects 0-7 (the Server
 * Object /1 against REQUIREMENTS.md's table), OMA DDF loading from
 * tests/server/models/ and from strings (every malformation with its exact
 * sentence, and a failed load leaving the registry as it was). */
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
