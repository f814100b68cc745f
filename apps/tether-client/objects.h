/* SPDX-License-Identifier: Apache-2.0 */
/* The application objects of tether-client, so that a management server
 * has something to read and observe besides /1 and /3: Connectivity
 * Monitoring (/4/0, LwM2M 1.0 appendix E.5), Location (/6/0, E.7) and an
 * IPSO Temperature sensor (/3303/0) whose value walks slowly and
 * deterministically with the clock, so that observations are visible.
 *
 * They live in the app, not in src/client/: their values are simulated
 * (a fixed position, a made-up radio, a random walk instead of a sensor),
 * and a real device's versions are thin wrappers around its own drivers,
 * written against the same tether_client_object API in a few dozen lines.
 *
 * The temperature moves by -0.1, 0 or +0.1 °C every period (5 s by
 * default), chosen by a fixed pseudo-random sequence and kept between 18
 * and 26 °C, so a run is reproducible from its start time. Min / Max
 * Measured Value (5601 / 5602) follow it; Reset (5605) sets both to the
 * current value. Every change is reported with tether_client_changed(),
 * which is what makes an Observe of /3303/0/5700 notify, subject to pmin,
 * pmax, gt, lt and st. */
#ifndef TETHER_CLIENT_APP_OBJECTS_H
#define TETHER_CLIENT_APP_OBJECTS_H

#include <stdint.h>

#include "tether/client.h"

/* How many /3303 instances a server may create besides the sensor /3303/0. */
#define APP_TEMP_EXTRA 8

typedef struct app_objects {
    /* /4/0 */
    int64_t bearer;            /* 0: Network Bearer (21 = WLAN) */
    int64_t rssi;              /* 2: Radio Signal Strength, dBm */
    char ip[48];               /* 4/0: the address the client talks from */
    /* /6/0 */
    double latitude, longitude; /* 0, 1: degrees */
    int64_t fix_time;          /* 5: Timestamp, s since 1970 */
    /* /3303/0, in tenths of a degree so that 21.3 prints as 21.3 */
    int32_t temp, temp_min, temp_max;
    uint32_t walk;             /* the walk's pseudo-random state */
    uint32_t period_ms;        /* one step per period */
    tether_time next_step;
    uint8_t reset_pending;     /* 5605 executed: report the change after the request */
    /* /3303/1 .. /3303/APP_TEMP_EXTRA: instances a server created (Create,
     * Delete), each a fixed Sensor Value it gave (5700, default 0). */
    uint8_t extra_used[APP_TEMP_EXTRA];
    double extra_value[APP_TEMP_EXTRA];
} app_objects;

/* Initial values. now: the engine clock; wall_s: seconds since 1970 for
 * the Location timestamp; ip: the local address, copied; period_ms: the
 * temperature step period (0: 5000). */
void app_objects_init(app_objects *o, tether_time now, int64_t wall_s, const char *ip,
                      double latitude, double longitude, uint32_t period_ms);

/* Add /4, /6 and /3303 to c. o: kept until c is finished. Returns 0 or
 * the first tether_client_add_object() error. */
int app_objects_add(app_objects *o, tether_client *c, tether_time now);

/* When app_objects_run() has work next. */
tether_time app_objects_deadline(const app_objects *o);

/* Take the temperature steps that are due and report what changed (also
 * a pending Reset). Call outside engine callbacks and handlers. */
void app_objects_run(app_objects *o, tether_client *c, tether_time now);

#endif /* TETHER_CLIENT_APP_OBJECTS_H */
