/* SPDX-License-Identifier: Apache-2.0 */
/* Built-in definitions of the OMA core objects 0-7, object version 1.0, as
 * LwM2M 1.0 appendix E and the OMA registry's 1.0 DDF files
 * (LWM2M_<Name>-v1_0.xml) define them: ids, names, operations,
 * multiplicity, mandatory, types, ranges and units. The Server Object (/1)
 * is also REQUIREMENTS.md's table, resource for resource.
 *
 * Where the 1.0 DDF files and the TS tables differ in a detail, the DDF
 * file wins (it is what a registry download gives, and what loading it
 * with --models produces), but for one typing slip: the file names
 * Security /0/0 "LWM2M  Server URI" with two spaces; here it has one. Kept
 * as the file has them although they look odd: Device /3/21 Memory Total
 * has no units (its description says kilobytes) and Connectivity
 * Monitoring /4/9 SMNC has the units "%". Resource descriptions are left
 * out to keep the tables small; loading the registry's DDF files with
 * --models brings them.
 *
 * Static const data: nothing here is allocated or changed at run time. */
#include "tether/model.h"

#include <stddef.h>

#include "server/model_internal.h"
#include "tether_poison.h"

#define R_ TETHER_LWM2M_OP_R
#define W_ TETHER_LWM2M_OP_W
#define RW TETHER_LWM2M_OP_RW
#define E_ TETHER_LWM2M_OP_E
#define NO 0 /* no operation: Security resources are for bootstrap only */

#define S 0 /* Single */
#define M 1 /* Multiple */
#define MAND 1
#define OPT 0

#define STR TETHER_LWM2M_STRING
#define INT TETHER_LWM2M_INTEGER
#define FLT TETHER_LWM2M_FLOAT
#define BOO TETHER_LWM2M_BOOLEAN
#define OPQ TETHER_LWM2M_OPAQUE
#define TIM TETHER_LWM2M_TIME
#define LNK TETHER_LWM2M_OBJLNK
#define EXE TETHER_LWM2M_NONE

#define RES(id, name, ops, multi, mand, type, range, units) \
    {(id), (ops), (type), (multi), (mand), (name), (range), (units), ""}

#define OBJ(id, name, multi, mand, desc, res)                                              \
    {(id),  (multi), (mand), (name), "urn:oma:lwm2m:oma:" #id, "1.0", "1.0", (desc),         \
     sizeof(res) / sizeof((res)[0]), (res)}

/* E.1 LwM2M Security, /0 */
static const tether_model_resource security_res[] = {
    RES(0, "LWM2M Server URI", NO, S, MAND, STR, "0-255 bytes", ""),
    RES(1, "Bootstrap-Server", NO, S, MAND, BOO, "", ""),
    RES(2, "Security Mode", NO, S, MAND, INT, "0-4", ""),
    RES(3, "Public Key or Identity", NO, S, MAND, OPQ, "", ""),
    RES(4, "Server Public Key", NO, S, MAND, OPQ, "", ""),
    RES(5, "Secret Key", NO, S, MAND, OPQ, "", ""),
    RES(6, "SMS Security Mode", NO, S, OPT, INT, "0-255", ""),
    RES(7, "SMS Binding Key Parameters", NO, S, OPT, OPQ, "6 bytes", ""),
    RES(8, "SMS Binding Secret Key(s)", NO, S, OPT, OPQ, "16-32-48 bytes", ""),
    RES(9, "LwM2M Server SMS Number", NO, S, OPT, STR, "", ""),
    RES(10, "Short Server ID", NO, S, OPT, INT, "1-65534", ""),
    RES(11, "Client Hold Off Time", NO, S, OPT, INT, "", "s"),
    RES(12, "Bootstrap-Server Account Timeout", NO, S, OPT, INT, "", "s"),
};

/* E.2 (D.1 in the seed) LwM2M Server, /1: REQUIREMENTS.md's table. */
static const tether_model_resource server_res[] = {
    RES(0, "Short Server ID", R_, S, MAND, INT, "1-65535", ""),
    RES(1, "Lifetime", RW, S, MAND, INT, "", "s"),
    RES(2, "Default Minimum Period", RW, S, OPT, INT, "", "s"),
    RES(3, "Default Maximum Period", RW, S, OPT, INT, "", "s"),
    RES(4, "Disable", E_, S, OPT, EXE, "", ""),
    RES(5, "Disable Timeout", RW, S, OPT, INT, "", "s"),
    RES(6, "Notification Storing When Disabled or Offline", RW, S, MAND, BOO, "", ""),
    RES(7, "Binding", RW, S, MAND, STR, "The possible values of Resource are listed in 5.3.1.1",
        ""),
    RES(8, "Registration Update Trigger", E_, S, MAND, EXE, "", ""),
};

/* E.3 LwM2M Access Control, /2 */
static const tether_model_resource acl_res[] = {
    RES(0, "Object ID", R_, S, MAND, INT, "1-65534", ""),
    RES(1, "Object Instance ID", R_, S, MAND, INT, "0-65535", ""),
    RES(2, "ACL", RW, M, OPT, INT, "16-bit", ""),
    RES(3, "Access Control Owner", RW, S, MAND, INT, "0-65535", ""),
};

/* E.4 Device, /3 */
static const tether_model_resource device_res[] = {
    RES(0, "Manufacturer", R_, S, OPT, STR, "", ""),
    RES(1, "Model Number", R_, S, OPT, STR, "", ""),
    RES(2, "Serial Number", R_, S, OPT, STR, "", ""),
    RES(3, "Firmware Version", R_, S, OPT, STR, "", ""),
    RES(4, "Reboot", E_, S, MAND, EXE, "", ""),
    RES(5, "Factory Reset", E_, S, OPT, EXE, "", ""),
    RES(6, "Available Power Sources", R_, M, OPT, INT, "0-7", ""),
    RES(7, "Power Source Voltage", R_, M, OPT, INT, "", "mV"),
    RES(8, "Power Source Current", R_, M, OPT, INT, "", "mA"),
    RES(9, "Battery Level", R_, S, OPT, INT, "0-100", "%"),
    RES(10, "Memory Free", R_, S, OPT, INT, "", "KB"),
    RES(11, "Error Code", R_, M, MAND, INT, "0-8", ""),
    RES(12, "Reset Error Code", E_, S, OPT, EXE, "", ""),
    RES(13, "Current Time", RW, S, OPT, TIM, "", ""),
    RES(14, "UTC Offset", RW, S, OPT, STR, "", ""),
    RES(15, "Timezone", RW, S, OPT, STR, "", ""),
    RES(16, "Supported Binding and Modes", R_, S, MAND, STR, "", ""),
    RES(17, "Device Type", R_, S, OPT, STR, "", ""),
    RES(18, "Hardware Version", R_, S, OPT, STR, "", ""),
    RES(19, "Software Version", R_, S, OPT, STR, "", ""),
    RES(20, "Battery Status", R_, S, OPT, INT, "0-6", ""),
    RES(21, "Memory Total", R_, S, OPT, INT, "", ""),
    RES(22, "ExtDevInfo", R_, M, OPT, LNK, "", ""),
};

/* E.5 Connectivity Monitoring, /4 */
static const tether_model_resource connmon_res[] = {
    RES(0, "Network Bearer", R_, S, MAND, INT, "", ""),
    RES(1, "Available Network Bearer", R_, M, MAND, INT, "", ""),
    RES(2, "Radio Signal Strength", R_, S, MAND, INT, "", "dBm"),
    RES(3, "Link Quality", R_, S, OPT, INT, "", ""),
    RES(4, "IP Addresses", R_, M, MAND, STR, "", ""),
    RES(5, "Router IP Addresses", R_, M, OPT, STR, "", ""),
    RES(6, "Link Utilization", R_, S, OPT, INT, "0-100", "%"),
    RES(7, "APN", R_, M, OPT, STR, "", ""),
    RES(8, "Cell ID", R_, S, OPT, INT, "", ""),
    RES(9, "SMNC", R_, S, OPT, INT, "", "%"),
    RES(10, "SMCC", R_, S, OPT, INT, "", ""),
};

/* E.6 Firmware Update, /5 (1.0 has no resource 4) */
static const tether_model_resource firmware_res[] = {
    RES(0, "Package", W_, S, MAND, OPQ, "", ""),
    RES(1, "Package URI", RW, S, MAND, STR, "0-255 bytes", ""),
    RES(2, "Update", E_, S, MAND, EXE, "", ""),
    RES(3, "State", R_, S, MAND, INT, "0-3", ""),
    RES(5, "Update Result", R_, S, MAND, INT, "0-9", ""),
    RES(6, "PkgName", R_, S, OPT, STR, "0-255 bytes", ""),
    RES(7, "PkgVersion", R_, S, OPT, STR, "0-255 bytes", ""),
    RES(8, "Firmware Update Protocol Support", R_, M, OPT, INT, "", ""),
    RES(9, "Firmware Update Delivery Method", R_, S, MAND, INT, "", ""),
};

/* E.7 Location, /6 */
static const tether_model_resource location_res[] = {
    RES(0, "Latitude", R_, S, MAND, FLT, "", "Deg"),
    RES(1, "Longitude", R_, S, MAND, FLT, "", "Deg"),
    RES(2, "Altitude", R_, S, OPT, FLT, "", "m"),
    RES(3, "Radius", R_, S, OPT, FLT, "", "m"),
    RES(4, "Velocity", R_, S, OPT, OPQ, "", ""),
    RES(5, "Timestamp", R_, S, MAND, TIM, "", ""),
    RES(6, "Speed", R_, S, OPT, FLT, "", "Meters per second"),
};

/* E.8 Connectivity Statistics, /7 */
static const tether_model_resource connstats_res[] = {
    RES(0, "SMS Tx Counter", R_, S, OPT, INT, "", ""),
    RES(1, "SMS Rx Counter", R_, S, OPT, INT, "", ""),
    RES(2, "Tx Data", R_, S, OPT, INT, "", "Kilo-Bytes"),
    RES(3, "Rx Data", R_, S, OPT, INT, "", "Kilo-Bytes"),
    RES(4, "Max Message Size", R_, S, OPT, INT, "", "Byte"),
    RES(5, "Average Message Size", R_, S, OPT, INT, "", "Byte"),
    RES(6, "Start", E_, S, MAND, EXE, "", ""),
    RES(7, "Stop", E_, S, MAND, EXE, "", ""),
    RES(8, "Collection Period", RW, S, OPT, INT, "", "Seconds"),
};

static const tether_model_object security_obj =
    OBJ(0, "LWM2M Security", M, MAND,
        "Keying material for reaching one LwM2M Server or Bootstrap-Server; written by "
        "bootstrap only.",
        security_res);
static const tether_model_object server_obj =
    OBJ(1, "LwM2M Server", M, MAND,
        "The data related to one LwM2M Server. A Bootstrap-Server has no such instance.",
        server_res);
static const tether_model_object acl_obj =
    OBJ(2, "LwM2M Access Control", M, OPT,
        "Which LwM2M Server may perform which operation on an object instance.", acl_res);
static const tether_model_object device_obj =
    OBJ(3, "Device", S, MAND,
        "Device information the LwM2M Server can query, and reboot and factory reset.",
        device_res);
static const tether_model_object connmon_obj =
    OBJ(4, "Connectivity Monitoring", S, OPT,
        "Parameters of the network connection in use, for monitoring.", connmon_res);
static const tether_model_object firmware_obj =
    OBJ(5, "Firmware Update", S, OPT,
        "Firmware download (push to Package or pull from Package URI) and update.",
        firmware_res);
static const tether_model_object location_obj =
    OBJ(6, "Location", S, OPT, "Where the device is, and how fast it moves.", location_res);
static const tether_model_object connstats_obj =
    OBJ(7, "Connectivity Statistics", S, OPT,
        "Traffic counters over a collection period the LwM2M Server starts and stops.",
        connstats_res);

const tether_model_object *const tether_model_builtins[] = {
    &security_obj, &server_obj,   &acl_obj,      &device_obj,
    &connmon_obj,  &firmware_obj, &location_obj, &connstats_obj,
};
const size_t tether_model_n_builtins =
    sizeof(tether_model_builtins) / sizeof(tether_model_builtins[0]);
