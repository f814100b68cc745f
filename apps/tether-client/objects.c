/* SPDX-License-Identifier: Apache-2.0 */
/* tether-client's application objects: /4/0, /6/0 and /3303/0, plus the
 * /3303 instances a server creates (see objects.h for what they are and
 * why they live here). Each is a static
 * tether_client_object table plus handlers over struct app_objects; the
 * engine checks ids and operations before a handler runs. */
#include "objects.h"

#include <stdio.h>
#include <string.h>

/* --- Connectivity Monitoring, /4 (LwM2M 1.0 E.5): the mandatory resources - */

enum { CM_BEARER = 0, CM_AVAILABLE = 1, CM_RSSI = 2, CM_IP = 4 };

static const tether_client_res_def connmon_res[] = {
    {CM_BEARER, TETHER_LWM2M_OP_R, TETHER_LWM2M_INTEGER, 0},
    {CM_AVAILABLE, TETHER_LWM2M_OP_R, TETHER_LWM2M_INTEGER, 1},
    {CM_RSSI, TETHER_LWM2M_OP_R, TETHER_LWM2M_INTEGER, 0},
    {CM_IP, TETHER_LWM2M_OP_R, TETHER_LWM2M_STRING, 1},
};

/* 21 WLAN and 41 Ethernet (E.5's bearer table): what a host has. */
static const int64_t available_bearers[] = {21, 41};

static int32_t single_instance(void *user, int32_t prev)
{
    (void)user;
    return prev < 0 ? 0 : -1;
}

static int32_t connmon_next_rinst(void *user, uint16_t iid, uint16_t rid, int32_t prev)
{
    int32_t n = rid == CM_AVAILABLE ? 2 : 1;
    (void)user;
    (void)iid;
    return prev + 1 < n ? prev + 1 : -1;
}

static int connmon_read(void *user, uint16_t iid, uint16_t rid, uint16_t riid,
                        tether_lwm2m_value *out)
{
    app_objects *o = user;
    (void)iid;
    switch (rid) {
    case CM_BEARER: *out = tether_lwm2m_value_int(o->bearer); return 0;
    case CM_AVAILABLE: *out = tether_lwm2m_value_int(available_bearers[riid]); return 0;
    case CM_RSSI: *out = tether_lwm2m_value_int(o->rssi); return 0;
    case CM_IP: *out = tether_lwm2m_value_cstr(o->ip); return 0;
    default: return TETHER_CLIENT_REFUSE(TETHER_COAP_NOT_FOUND);
    }
}

static const tether_client_object connmon_obj = {
    .oid = 4,
    .nres = sizeof(connmon_res) / sizeof(connmon_res[0]),
    .res = connmon_res,
    .next_instance = single_instance,
    .next_res_instance = connmon_next_rinst,
    .read = connmon_read,
};

/* --- Location, /6 (LwM2M 1.0 E.7): latitude, longitude, timestamp ----------- */

enum { LOC_LATITUDE = 0, LOC_LONGITUDE = 1, LOC_TIMESTAMP = 5 };

static const tether_client_res_def location_res[] = {
    {LOC_LATITUDE, TETHER_LWM2M_OP_R, TETHER_LWM2M_FLOAT, 0},
    {LOC_LONGITUDE, TETHER_LWM2M_OP_R, TETHER_LWM2M_FLOAT, 0},
    {LOC_TIMESTAMP, TETHER_LWM2M_OP_R, TETHER_LWM2M_TIME, 0},
};

static int location_read(void *user, uint16_t iid, uint16_t rid, uint16_t riid,
                         tether_lwm2m_value *out)
{
    app_objects *o = user;
    (void)iid;
    (void)riid;
    switch (rid) {
    case LOC_LATITUDE: *out = tether_lwm2m_value_float(o->latitude); return 0;
    case LOC_LONGITUDE: *out = tether_lwm2m_value_float(o->longitude); return 0;
    case LOC_TIMESTAMP: *out = tether_lwm2m_value_time(o->fix_time); return 0;
    default: return TETHER_CLIENT_REFUSE(TETHER_COAP_NOT_FOUND);
    }
}

static const tether_client_object location_obj = {
    .oid = 6,
    .nres = sizeof(location_res) / sizeof(location_res[0]),
    .res = location_res,
    .next_instance = single_instance,
    .read = location_read,
};

/* --- Temperature, /3303 (IPSO) ----------------------------------------------- */

enum {
    T_MIN = 5601,
    T_MAX = 5602,
    T_RANGE_MIN = 5603,
    T_RANGE_MAX = 5604,
    T_RESET = 5605,
    T_VALUE = 5700,
    T_UNITS = 5701,
};

/* Where the walk stays, in tenths of a degree, and the sensor's own range. */
#define WALK_LOW 180
#define WALK_HIGH 260
#define WALK_START 213
#define RANGE_LOW (-40.0)
#define RANGE_HIGH 125.0
#define DEFAULT_PERIOD_MS 5000u

static const tether_client_res_def temp_res[] = {
    {T_MIN, TETHER_LWM2M_OP_R, TETHER_LWM2M_FLOAT, 0},
    {T_MAX, TETHER_LWM2M_OP_R, TETHER_LWM2M_FLOAT, 0},
    {T_RANGE_MIN, TETHER_LWM2M_OP_R, TETHER_LWM2M_FLOAT, 0},
    {T_RANGE_MAX, TETHER_LWM2M_OP_R, TETHER_LWM2M_FLOAT, 0},
    {T_RESET, TETHER_LWM2M_OP_E, TETHER_LWM2M_NONE, 0},
    {T_VALUE, TETHER_LWM2M_OP_R, TETHER_LWM2M_FLOAT, 0},
    {T_UNITS, TETHER_LWM2M_OP_R, TETHER_LWM2M_STRING, 0},
};

/* Instances: 0 (the simulated sensor), then the created ones. */
static int32_t temp_next_instance(void *user, int32_t prev)
{
    const app_objects *o = user;

    for (int32_t i = prev + 1; i <= APP_TEMP_EXTRA; i++)
        if (i == 0 || o->extra_used[i - 1])
            return i;
    return -1;
}

static int temp_read(void *user, uint16_t iid, uint16_t rid, uint16_t riid,
                     tether_lwm2m_value *out)
{
    app_objects *o = user;
    (void)riid;
    if (iid != 0) { /* a created instance: its fixed value */
        double v = o->extra_value[iid - 1];
        switch (rid) {
        case T_MIN:
        case T_MAX:
        case T_VALUE: *out = tether_lwm2m_value_float(v); return 0;
        case T_RANGE_MIN: *out = tether_lwm2m_value_float(RANGE_LOW); return 0;
        case T_RANGE_MAX: *out = tether_lwm2m_value_float(RANGE_HIGH); return 0;
        case T_UNITS: *out = tether_lwm2m_value_cstr("Cel"); return 0;
        default: return TETHER_CLIENT_REFUSE(TETHER_COAP_NOT_FOUND);
        }
    }
    switch (rid) {
    case T_MIN: *out = tether_lwm2m_value_float(o->temp_min / 10.0); return 0;
    case T_MAX: *out = tether_lwm2m_value_float(o->temp_max / 10.0); return 0;
    case T_RANGE_MIN: *out = tether_lwm2m_value_float(RANGE_LOW); return 0;
    case T_RANGE_MAX: *out = tether_lwm2m_value_float(RANGE_HIGH); return 0;
    case T_VALUE: *out = tether_lwm2m_value_float(o->temp / 10.0); return 0;
    case T_UNITS: *out = tether_lwm2m_value_cstr("Cel"); return 0;
    default: return TETHER_CLIENT_REFUSE(TETHER_COAP_NOT_FOUND);
    }
}

static int temp_execute(void *user, uint16_t iid, uint16_t rid, const uint8_t *arg, size_t len)
{
    app_objects *o = user;
    (void)iid;
    (void)arg;
    (void)len;
    if (rid != T_RESET)
        return TETHER_CLIENT_REFUSE(TETHER_COAP_METHOD_NOT_ALLOWED);
    if (iid != 0)
        return 0; /* a created instance's min and max are its value */
    o->temp_min = o->temp_max = o->temp;
    o->reset_pending = 1; /* a handler may not call the engine: reported by run */
    return 0;
}

/* Only a Create writes here (the resources are read-only to Write): it
 * may give the Sensor Value, and Units as "Cel"; the rest are derived. */
static int temp_write(void *user, uint16_t iid, uint16_t rid, uint16_t riid,
                      const tether_lwm2m_value *v, int commit)
{
    app_objects *o = user;
    (void)riid;
    if (iid == 0)
        return TETHER_CLIENT_REFUSE(TETHER_COAP_METHOD_NOT_ALLOWED);
    if (rid == T_UNITS) {
        if (v->bytes.len != 3 || memcmp(v->bytes.ptr, "Cel", 3) != 0)
            return TETHER_CLIENT_REFUSE(TETHER_COAP_BAD_REQUEST);
        return 0;
    }
    if (rid != T_VALUE)
        return TETHER_CLIENT_REFUSE(TETHER_COAP_METHOD_NOT_ALLOWED);
    if (!(v->f >= RANGE_LOW && v->f <= RANGE_HIGH))
        return TETHER_CLIENT_REFUSE(TETHER_COAP_BAD_REQUEST);
    if (commit)
        o->extra_value[iid - 1] = v->f;
    return 0;
}

static int temp_create(void *user, uint16_t iid)
{
    app_objects *o = user;
    if (iid == 0 || iid > APP_TEMP_EXTRA)
        return TETHER_CLIENT_REFUSE(TETHER_COAP_BAD_REQUEST);
    o->extra_used[iid - 1] = 1;
    o->extra_value[iid - 1] = 0.0;
    return 0;
}

/* /3303/0 is the sensor itself: it stays. */
static int temp_remove(void *user, uint16_t iid)
{
    app_objects *o = user;
    if (iid == 0)
        return TETHER_CLIENT_REFUSE(TETHER_COAP_METHOD_NOT_ALLOWED);
    o->extra_used[iid - 1] = 0;
    return 0;
}

static const tether_client_object temp_obj = {
    .oid = 3303,
    .multi_instance = 1,
    .nres = sizeof(temp_res) / sizeof(temp_res[0]),
    .res = temp_res,
    .next_instance = temp_next_instance,
    .read = temp_read,
    .write = temp_write,
    .execute = temp_execute,
    .create = temp_create,
    .remove = temp_remove,
};

/* --- the simulation ------------------------------------------------------------ */

void app_objects_init(app_objects *o, tether_time now, int64_t wall_s, const char *ip,
                      double latitude, double longitude, uint32_t period_ms)
{
    memset(o, 0, sizeof(*o));
    o->bearer = 21;
    o->rssi = -58;
    snprintf(o->ip, sizeof(o->ip), "%s", ip != NULL ? ip : "0.0.0.0");
    o->latitude = latitude;
    o->longitude = longitude;
    o->fix_time = wall_s;
    o->temp = o->temp_min = o->temp_max = WALK_START;
    o->walk = 0x5EED1234u;
    o->period_ms = period_ms != 0 ? period_ms : DEFAULT_PERIOD_MS;
    o->next_step = now + o->period_ms;
}

int app_objects_add(app_objects *o, tether_client *c, tether_time now)
{
    int rc = tether_client_add_object(c, now, &connmon_obj, o);
    if (rc == 0)
        rc = tether_client_add_object(c, now, &location_obj, o);
    if (rc == 0)
        rc = tether_client_add_object(c, now, &temp_obj, o);
    return rc;
}

tether_time app_objects_deadline(const app_objects *o)
{
    return o->next_step;
}

static void report(tether_client *c, tether_time now, uint16_t rid)
{
    tether_lwm2m_path p = tether_lwm2m_path_make(3, 3303, 0, rid, 0);
    (void)tether_client_changed(c, now, &p);
}

/* One step of the walk: -1, 0 or +1 tenth, reflected at the ends. */
static void step(app_objects *o)
{
    int32_t d;

    o->walk = o->walk * 1103515245u + 12345u;
    d = (int32_t)((o->walk >> 16) % 3u) - 1;
    o->temp += d;
    if (o->temp < WALK_LOW)
        o->temp = 2 * WALK_LOW - o->temp;
    if (o->temp > WALK_HIGH)
        o->temp = 2 * WALK_HIGH - o->temp;
}

void app_objects_run(app_objects *o, tether_client *c, tether_time now)
{
    int32_t before = o->temp, min = o->temp_min, max = o->temp_max;

    if (o->reset_pending) {
        o->reset_pending = 0;
        report(c, now, T_MIN);
        report(c, now, T_MAX);
        min = o->temp_min;
        max = o->temp_max;
    }
    while (o->next_step <= now) { /* catch up a late turn step by step */
        step(o);
        if (o->temp < o->temp_min)
            o->temp_min = o->temp;
        if (o->temp > o->temp_max)
            o->temp_max = o->temp;
        o->next_step += o->period_ms;
    }
    if (o->temp != before)
        report(c, now, T_VALUE);
    if (o->temp_min != min)
        report(c, now, T_MIN);
    if (o->temp_max != max)
        report(c, now, T_MAX);
}
