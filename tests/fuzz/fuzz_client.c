/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the LwM2M client engine: arbitrary datagrams from its two servers
 * (requests for device management, stray responses), answers to the
 * client's own Register/Update/De-register with any code, local calls, and
 * a clock that the input advances. Each input gets a fresh client in a
 * static block with one application object (every resource kind), and the
 * send queue is drained after every step. Invariants that must hold
 * whatever comes in are checked with __builtin_trap().
 *
 * Input: a sequence of steps, each starting with a control byte
 *   bits 0-2 op: 0-1 datagram from server op (then a length byte and that
 *                many bytes), 2 answer the client's last request to server
 *                (bit 3) with the code in the next byte (2.01 carries
 *                Location-Path rd/f), 3 advance the clock by
 *                (next byte)^2 * 100 ms, 4 set the lifetime of ssid 1 to the
 *                next byte, 5 trigger an Update, 6 objects changed (bit 3
 *                clear) or /32769/0/0 takes the next byte as its value and
 *                tether_client_changed() says so (bit 3 set: notifications),
 *                7 stop
 * The random source counts 0, 1, 2, ... */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tether/client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static _Alignas(max_align_t) uint8_t mem[64 * 1024];

static struct {
    tether_client *c;
    uint8_t counter;
    tether_time now;
    uint8_t last[2][12]; /* header + token of the last CON request to each server */
    size_t last_len[2];
    int64_t value;
    uint8_t blob[8];
    size_t blob_len;
} F;

static void frand(void *user, void *buf, size_t len)
{
    uint8_t *p = buf;
    (void)user;
    for (size_t i = 0; i < len; i++)
        p[i] = F.counter++;
}

static tether_peer peer_n(unsigned n)
{
    tether_peer p;
    memset(&p, 0, sizeof(p));
    p.len = 6;
    p.addr[0] = 10;
    p.addr[3] = (uint8_t)(n + 1);
    return p;
}

/* /32769/0..1 with an integer, an opaque, a multiple integer and an
 * executable resource. */
static const tether_client_res_def res[] = {
    {0, TETHER_LWM2M_OP_RW, TETHER_LWM2M_INTEGER, 0},
    {1, TETHER_LWM2M_OP_RW, TETHER_LWM2M_OPAQUE, 0},
    {2, TETHER_LWM2M_OP_RW, TETHER_LWM2M_INTEGER, 1},
    {3, TETHER_LWM2M_OP_E, TETHER_LWM2M_NONE, 0},
    {4, TETHER_LWM2M_OP_RW, TETHER_LWM2M_STRING, 0},
};
static int instances = 3; /* bit i: instance i exists */

static int32_t next_instance(void *user, int32_t prev)
{
    (void)user;
    for (int32_t i = prev + 1; i < 2; i++)
        if (instances & (1 << i))
            return i;
    return -1;
}

static int32_t next_ri(void *user, uint16_t iid, uint16_t rid, int32_t prev)
{
    (void)user;
    (void)iid;
    (void)rid;
    return prev < 1 ? prev + 1 : -1;
}

static int obj_read(void *user, uint16_t iid, uint16_t rid, uint16_t riid, tether_lwm2m_value *out)
{
    (void)user;
    (void)iid;
    switch (rid) {
    case 0: *out = tether_lwm2m_value_int(F.value); return 0;
    case 1: *out = tether_lwm2m_value_opaque(F.blob, F.blob_len); return 0;
    case 2: *out = tether_lwm2m_value_int(riid); return 0;
    case 4: *out = tether_lwm2m_value_cstr("name"); return 0;
    }
    return TETHER_CLIENT_REFUSE(TETHER_COAP_NOT_FOUND);
}

static int obj_write(void *user, uint16_t iid, uint16_t rid, uint16_t riid,
                     const tether_lwm2m_value *v, int commit)
{
    (void)user;
    (void)iid;
    (void)riid;
    if (rid == 1 && v->bytes.len > sizeof(F.blob))
        return TETHER_CLIENT_REFUSE(TETHER_COAP_REQUEST_ENTITY_TOO_LARGE);
    if (!commit)
        return 0;
    if (rid == 0)
        F.value = v->i;
    if (rid == 1) {
        if (v->bytes.len > 0)
            memcpy(F.blob, v->bytes.ptr, v->bytes.len);
        F.blob_len = v->bytes.len;
    }
    return 0;
}

static int obj_execute(void *user, uint16_t iid, uint16_t rid, const uint8_t *a, size_t n)
{
    (void)user;
    (void)iid;
    (void)rid;
    (void)a;
    return n > 4 ? -1 : 0;
}

static int obj_create(void *user, uint16_t iid)
{
    (void)user;
    if (iid >= 2)
        return TETHER_CLIENT_REFUSE(TETHER_COAP_BAD_REQUEST);
    instances |= 1 << iid;
    return 0;
}

static int obj_remove(void *user, uint16_t iid)
{
    (void)user;
    instances &= ~(1 << iid);
    return 0;
}

static const tether_client_object obj = {
    .oid = 32769, .multi_instance = 1, .nres = 5, .res = res,
    .next_instance = next_instance, .next_res_instance = next_ri, .read = obj_read,
    .write = obj_write, .execute = obj_execute, .create = obj_create, .remove = obj_remove,
};

static void drain(void)
{
    uint8_t buf[1152];
    tether_peer p;
    size_t len;

    for (;;) {
        if (tether_client_send(F.c, F.now, &p, buf, sizeof(buf), &len) != 0)
            __builtin_trap();
        if (len == 0)
            break;
        for (unsigned n = 0; n < 2; n++) {
            tether_peer want = peer_n(n);
            /* Remember a CON request (class 0) so the input can answer it. */
            if (tether_peer_equal(&p, &want) && len >= 4 && (buf[0] >> 4 & 3) == 0 &&
                buf[1] >= 1 && buf[1] <= 31 && 4 + (size_t)(buf[0] & 15) <= len) {
                F.last_len[n] = 4 + (size_t)(buf[0] & 15);
                memcpy(F.last[n], buf, F.last_len[n]);
            }
        }
    }
}

static void answer(unsigned n, uint8_t code)
{
    uint8_t buf[32];
    size_t len = F.last_len[n];
    tether_peer p = peer_n(n);

    if (len == 0)
        return;
    memcpy(buf, F.last[n], len);
    buf[0] = (uint8_t)((buf[0] & 0xCF) | (2 << 4)); /* ACK, same mid and token */
    buf[1] = code;
    if (code == TETHER_COAP_CREATED) {
        static const uint8_t loc[] = {0x82, 'r', 'd', 0x01, 'f'}; /* Location-Path rd/f */
        memcpy(buf + len, loc, sizeof(loc));
        len += sizeof(loc);
    }
    (void)tether_client_recv(F.c, F.now, &p, buf, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tether_client_config cfg;
    tether_client_server_config sc;
    size_t i = 0;

    memset(&F, 0, sizeof(F));
    F.now = 1000;
    instances = 3;
    tether_client_config_default(&cfg);
    cfg.endpoint = "fuzz";
    cfg.rand = frand;
    cfg.retry_initial_s = 1;
    cfg.retry_max_s = 8;
    if (tether_client_init(&F.c, mem, sizeof(mem), &cfg, NULL, NULL) != 0)
        __builtin_trap();
    if (tether_client_add_object(F.c, F.now, &obj, NULL) != 0)
        __builtin_trap();
    for (unsigned n = 0; n < 2; n++) {
        tether_client_server_config_default(&sc);
        sc.peer = peer_n(n);
        sc.ssid = (uint16_t)(n + 1);
        sc.lifetime = 20;
        if (tether_client_add_server(F.c, F.now, &sc) != 0)
            __builtin_trap();
    }
    (void)tether_client_start(F.c, F.now);
    drain();
    while (i < size) {
        uint8_t ctl = data[i++];
        uint8_t arg = i < size ? data[i] : 0;
        switch (ctl & 7) {
        case 0:
        case 1: {
            tether_peer p = peer_n(ctl & 1);
            size_t n = arg;
            i++;
            if (n > size - (i < size ? i : size))
                n = size - (i < size ? i : size);
            (void)tether_client_recv(F.c, F.now, &p, data + i, n);
            i += n;
            break;
        }
        case 2: answer((ctl >> 3) & 1, arg); i++; break;
        case 3: F.now += (uint64_t)arg * arg * 100u; i++; break;
        case 4: (void)tether_client_set_lifetime(F.c, F.now, 1, arg); i++; break;
        case 5: (void)tether_client_trigger_update(F.c, F.now, (uint16_t)(1 + ((ctl >> 3) & 1))); break;
        case 6:
            if (ctl & 8) {
                tether_lwm2m_path p = tether_lwm2m_path_make(3, 32769, 0, 0, 0);
                F.value = arg;
                i++;
                (void)tether_client_changed(F.c, F.now, &p);
            } else {
                (void)tether_client_objects_changed(F.c, F.now);
            }
            break;
        default: (void)tether_client_stop(F.c, F.now); break;
        }
        if (tether_client_next_deadline(F.c) <= F.now)
            (void)tether_client_on_timeout(F.c, F.now);
        drain();
        for (uint16_t s = 1; s <= 2; s++) {
            int st = tether_client_server_state(F.c, s);
            if (st < TETHER_CLIENT_IDLE || st > TETHER_CLIENT_DISABLED)
                __builtin_trap();
            if (tether_client_lifetime(F.c, s) < 1)
                __builtin_trap();
        }
    }
    tether_client_fini(F.c);
    return 0;
}
