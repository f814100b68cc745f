/* SPDX-License-Identifier: Apache-2.0 */
/* A minimal LwM2M device on the client engine, for measuring the client's
 * footprint (scripts/footprint.sh; figures in docs/BENCHMARKS.md).
 *
 * On the host it prints the engine memory tether_client_mem_size() asks for
 * in the firmware profile, and the per-server share of it. Built for a
 * microcontroller (-DTETHER_FOOTPRINT_FIRMWARE) it is the whole firmware
 * image minus the radio: one Security + Server account, the Device object,
 * the engine in a static block, and a main loop that feeds datagrams from a
 * radio stub; the image's `size` is the client's cost in flash and RAM.
 * With -DTETHER_FOOTPRINT_PROBE it prints the memory figures on an ARM
 * target run under qemu-arm.
 * The firmware profile's CoAP sizes are chosen here, the compile-time sizes
 * by the script (-DTETHER_CLIENT_MAX_*). */
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>

#include "tether/client.h"

/* CoAP sizes for a small device: LwM2M messages of a few objects fit in
 * 512 bytes (a Register with ten instances is ~150), one exchange per
 * server plus one spare, a dedup cache for a few requests in flight. */
static void firmware_profile(tether_client_config *cfg)
{
    cfg->coap.max_message = 256;
    cfg->coap.max_exchanges = TETHER_CLIENT_MAX_SERVERS + 1;
    cfg->coap.dedup_entries = 4;
    cfg->coap.dedup_reply_max = 64;
    cfg->coap.txq_bytes = 2u * (256u + (uint32_t)TETHER_COAP_TXQ_OVERHEAD);
}

static uint32_t lcg = 12345;

static void rand_bytes(void *user, void *buf, size_t len)
{
    uint8_t *p = buf;
    (void)user;
    for (size_t i = 0; i < len; i++) {
        lcg = lcg * 1103515245u + 12345u;
        p[i] = (uint8_t)(lcg >> 16);
    }
}

static void configure(tether_client_config *cfg)
{
    tether_client_config_default(cfg);
    cfg->endpoint = "urn:dev:ops:0004A3-sensor-000001";
    cfg->manufacturer = "Tether";
    cfg->rand = rand_bytes;
    firmware_profile(cfg);
}

#ifdef TETHER_FOOTPRINT_FIRMWARE

#ifndef FOOTPRINT_MEM
#define FOOTPRINT_MEM 4096
#endif

/* What tether_client_mem_size() returned, kept so the linker keeps it and
 * the script can read it back from the image. */
volatile uint32_t footprint_mem_need;

static alignas(8) uint8_t engine_mem[FOOTPRINT_MEM];

/* The radio and the clock: a board support package provides them. */
__attribute__((weak)) size_t bsp_radio_rx(tether_peer *peer, uint8_t *buf, size_t cap);
__attribute__((weak)) void bsp_radio_tx(const tether_peer *peer, const uint8_t *buf, size_t len);
__attribute__((weak)) tether_time bsp_now_ms(void);

size_t bsp_radio_rx(tether_peer *peer, uint8_t *buf, size_t cap)
{
    (void)peer;
    (void)buf;
    (void)cap;
    return 0;
}

void bsp_radio_tx(const tether_peer *peer, const uint8_t *buf, size_t len)
{
    (void)peer;
    (void)buf;
    (void)len;
}

tether_time bsp_now_ms(void)
{
    static tether_time t;
    return t += 10;
}

int main(void)
{
    static uint8_t dgram[256];
    tether_client_config cfg;
    tether_client_server_config sc;
    tether_client *c;
    tether_peer peer;
    size_t len;

    configure(&cfg);
    footprint_mem_need = (uint32_t)tether_client_mem_size(&cfg);
    if (tether_client_init(&c, engine_mem, sizeof(engine_mem), &cfg, NULL, NULL) != 0)
        return 1;
    tether_client_server_config_default(&sc);
    sc.peer.len = 6;
    sc.lifetime = 300;
    (void)tether_client_add_server(c, bsp_now_ms(), &sc);
    (void)tether_client_start(c, bsp_now_ms());
    for (int turns = 0; turns < 1000; turns++) {
        tether_time now = bsp_now_ms();
        len = bsp_radio_rx(&peer, dgram, sizeof(dgram));
        if (len > 0)
            (void)tether_client_recv(c, now, &peer, dgram, len);
        if (tether_client_next_deadline(c) <= now)
            (void)tether_client_on_timeout(c, now);
        while (tether_client_send(c, now, &peer, dgram, sizeof(dgram), &len) == 0 && len > 0)
            bsp_radio_tx(&peer, dgram, len);
    }
    (void)tether_client_stop(c, bsp_now_ms());
    return 0;
}

#elif defined(TETHER_FOOTPRINT_PROBE)

/* Built for ARM and run under qemu-arm (user mode, Linux system calls, no C
 * library start-up): prints what the firmware profile's tether_client_mem_size()
 * and tether_coap_mem_size() are with the target's own struct layout. */
static long sys3(long n, long a, long b, long c)
{
    register long r0 __asm__("r0") = a;
    register long r1 __asm__("r1") = b;
    register long r2 __asm__("r2") = c;
    register long r7 __asm__("r7") = n;
    __asm__ volatile("svc #0" : "+r"(r0) : "r"(r1), "r"(r2), "r"(r7) : "memory");
    return r0;
}

static void put_line(const char *key, size_t v)
{
    char out[48], tmp[12];
    size_t n = 0, k = 0;

    while (*key != '\0')
        out[n++] = *key++;
    out[n++] = ' ';
    do {
        tmp[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    while (k > 0)
        out[n++] = tmp[--k];
    out[n++] = '\n';
    (void)sys3(4 /* write */, 1, (long)out, (long)n);
}

void _start(void);
void _start(void)
{
    tether_client_config cfg;
    tether_coap_config coap_only;

    configure(&cfg);
    coap_only = cfg.coap;
    coap_only.rand = rand_bytes;
    put_line("client_mem_size", tether_client_mem_size(&cfg));
    put_line("coap_mem_size", tether_coap_mem_size(&coap_only));
    (void)sys3(1 /* exit */, 0, 0, 0);
    for (;;) {
    }
}

#else /* host: print the sizes */

#include <stdio.h>

int main(void)
{
    tether_client_config cfg;
    tether_coap_config coap_only;

    configure(&cfg);
    coap_only = cfg.coap;
    coap_only.rand = rand_bytes;
    printf("client_mem_size %zu\n", tether_client_mem_size(&cfg));
    printf("coap_mem_size %zu\n", tether_coap_mem_size(&coap_only));
    printf("max_servers %d\n", TETHER_CLIENT_MAX_SERVERS);
    return 0;
}

#endif
