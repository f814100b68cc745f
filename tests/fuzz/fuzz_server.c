/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the server engine with sequences of datagrams from a few peers over
 * virtual time: Register / Update / De-register parsing, Block1, R10
 * answers, expiry, and everything the engine does with what it stored.
 *
 * Input: records of
 *   +--------+--------+--------+------------------+
 *   | ctl    | len hi | len lo | datagram (len)   |
 *   +--------+--------+--------+------------------+
 * ctl bits 0-1: which of four peers sends it; bits 2-6: seconds to advance
 * the clock first (on_timeout runs then). After each datagram everything
 * the server queued is taken; if ctl bit 7 is set, the last server request
 * gets a canned 2.05 "60" answer (so R10 paths are reached). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tether/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rng = 1;

static void frand(void *user, void *buf, size_t len)
{
    uint8_t *p = buf;
    (void)user;
    for (size_t i = 0; i < len; i++) {
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        p[i] = (uint8_t)(rng >> 56);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tether_server_config cfg;
    tether_server *srv;
    tether_peer peers[4], to;
    tether_time now = 1000;
    uint8_t out[2048], last_req[2048];
    size_t out_len, last_len = 0;

    rng = 1;
    tether_server_config_default(&cfg);
    cfg.rand = frand;
    cfg.coap.max_exchanges = 8;
    cfg.coap.dedup_entries = 16;
    cfg.coap.txq_bytes = 16384;
    cfg.max_block1_transfers = 2;
    cfg.max_register_payload = 2048;
    cfg.default_lifetime_s = 30;
    if (tether_server_new(&srv, &cfg, NULL, NULL) != 0)
        return 0;
    memset(peers, 0, sizeof(peers));
    for (int i = 0; i < 4; i++) {
        peers[i].iface = (uint16_t)(i & 1);
        peers[i].len = 16;
        peers[i].addr[0] = 2;
        peers[i].addr[3] = (uint8_t)i;
    }
    while (size >= 3) {
        uint8_t ctl = data[0];
        size_t len = (size_t)data[1] << 8 | data[2];
        const tether_peer *from = &peers[ctl & 3];

        data += 3;
        size -= 3;
        if (len > size)
            len = size;
        if ((ctl >> 2) & 0x1F) {
            now += (tether_time)((ctl >> 2) & 0x1F) * 1000u;
            (void)tether_server_on_timeout(srv, now);
        }
        (void)tether_server_recv(srv, now, from, data, len);
        data += len;
        size -= len;
        for (;;) {
            if (tether_server_send(srv, now, &to, out, sizeof(out), &out_len) != 0 || out_len == 0)
                break;
            /* Remember the last confirmable request the server sent. */
            if (out_len >= 4 && (out[0] >> 4 & 3) == 0 && out[1] >= 1 && out[1] <= 4) {
                memcpy(last_req, out, out_len);
                last_len = out_len;
            }
        }
        if ((ctl & 0x80) && last_len >= 4) {
            uint8_t ans[32];
            uint8_t tkl = last_req[0] & 0x0F;
            size_t n = 0;
            if (tkl <= 8 && last_len >= 4u + tkl) {
                ans[n++] = (uint8_t)(0x60 | tkl); /* ACK */
                ans[n++] = 0x45;                 /* 2.05 */
                ans[n++] = last_req[2];
                ans[n++] = last_req[3];
                memcpy(ans + n, last_req + 4, tkl);
                n += tkl;
                ans[n++] = 0xC0; /* Content-Format: 0 (text) */
                ans[n++] = 0xFF;
                ans[n++] = '6';
                ans[n++] = '0';
                (void)tether_server_recv(srv, now, &to, ans, n);
            }
            last_len = 0;
        }
    }
    now += 100000000;
    (void)tether_server_on_timeout(srv, now);
    tether_server_free(srv);
    return 0;
}
