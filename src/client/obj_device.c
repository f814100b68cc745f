/* SPDX-License-Identifier: Apache-2.0 */
/* The Device object, /3 (urn:oma:lwm2m:oma:3, LwM2M 1.0 appendix E.4): one
 * instance, with its mandatory resources Reboot (4), Error Code (11) and
 * Supported Binding and Modes (16), plus Manufacturer, Model Number, Serial
 * Number and Firmware Version (0..3) when the application gives them. The
 * strings are the application's, kept by pointer (in flash on a device).
 * Reboot is only reported: the application owns the hardware, so the event
 * fires once the answer is queued and the application reboots when it has
 * sent it. Supported Binding and Modes is also what /1/x/7 may take (R22). */
#include <string.h>

#include "client/client_internal.h"
#include "tether_poison.h"

enum {
    RES_MANUFACTURER = 0,
    RES_MODEL = 1,
    RES_SERIAL = 2,
    RES_FIRMWARE = 3,
    RES_REBOOT = 4,
    RES_ERROR_CODE = 11,
    RES_BINDINGS = 16,
};

static const tether_client_res_def device_res[] = {
    {RES_MANUFACTURER, TETHER_LWM2M_OP_R, TETHER_LWM2M_STRING, 0},
    {RES_MODEL, TETHER_LWM2M_OP_R, TETHER_LWM2M_STRING, 0},
    {RES_SERIAL, TETHER_LWM2M_OP_R, TETHER_LWM2M_STRING, 0},
    {RES_FIRMWARE, TETHER_LWM2M_OP_R, TETHER_LWM2M_STRING, 0},
    {RES_REBOOT, TETHER_LWM2M_OP_E, TETHER_LWM2M_NONE, 0},
    {RES_ERROR_CODE, TETHER_LWM2M_OP_R, TETHER_LWM2M_INTEGER, 1},
    {RES_BINDINGS, TETHER_LWM2M_OP_R, TETHER_LWM2M_STRING, 0},
};

static const char *device_string(const tether_client *c, uint16_t rid)
{
    switch (rid) {
    case RES_MANUFACTURER: return c->manufacturer;
    case RES_MODEL: return c->model;
    case RES_SERIAL: return c->serial;
    case RES_FIRMWARE: return c->firmware;
    case RES_BINDINGS: return c->supported_bindings;
    default: return NULL;
    }
}

static int32_t dev_next_instance(void *user, int32_t prev)
{
    (void)user;
    return prev < 0 ? 0 : -1;
}

static int dev_present(void *user, uint16_t iid, uint16_t rid)
{
    (void)iid;
    if (rid == RES_REBOOT || rid == RES_ERROR_CODE)
        return 1;
    return device_string(user, rid) != NULL;
}

static int32_t dev_next_res_instance(void *user, uint16_t iid, uint16_t rid, int32_t prev)
{
    (void)user;
    (void)iid;
    (void)rid;
    return prev < 0 ? 0 : -1; /* Error Code has one instance: 0, "no error" */
}

static int dev_read(void *user, uint16_t iid, uint16_t rid, uint16_t riid,
                    tether_lwm2m_value *out)
{
    const char *str;

    (void)iid;
    (void)riid;
    if (rid == RES_ERROR_CODE) {
        *out = tether_lwm2m_value_int(0);
        return 0;
    }
    str = device_string(user, rid);
    if (str == NULL)
        return TETHER_CLIENT_REFUSE(TETHER_COAP_NOT_FOUND);
    *out = tether_lwm2m_value_cstr(str);
    return 0;
}

static int dev_execute(void *user, uint16_t iid, uint16_t rid, const uint8_t *arg, size_t len)
{
    tether_client *c = user;

    (void)iid;
    (void)arg;
    (void)len;
    if (rid != RES_REBOOT)
        return TETHER_CLIENT_REFUSE(TETHER_COAP_METHOD_NOT_ALLOWED);
    c->reboot_pending = 1;
    return 0;
}

const tether_client_object client_obj_device = {
    .oid = 3,
    .multi_instance = 0,
    .nres = sizeof(device_res) / sizeof(device_res[0]),
    .res = device_res,
    .next_instance = dev_next_instance,
    .present = dev_present,
    .next_res_instance = dev_next_res_instance,
    .read = dev_read,
    .execute = dev_execute,
};
