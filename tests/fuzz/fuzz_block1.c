/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the Block1 reassembler with a sequence of fuzzer-chosen requests,
 * and, on the same datagrams, the Block2 slicer, the Block1 sender's and
 * the Block2 receiver's response handling.
 *
 * Input: a sequence of records, each one datagram:
 *
 *   +------+--------+--------+---------------------+
 *   | ctl  | len_hi | len_lo | datagram (len bytes)|
 *   +------+--------+--------+---------------------+
 *   ctl bits 0-1: which of 4 peers sent it
 *       bits 2-5: advance the clock by n * 250 ms first (idle timeout 2 s)
 *       bit 6:    release the slot of a COMPLETE result
 *       bit 7:    release every slot of that peer first
 *
 * A short final record is truncated to what is left. The table is small
 * (2 slots of 256 bytes) so limits, eviction and expiry are all reached. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tether/coap.h"
#include "tether/coap_block.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_BODY 256
#define SLOTS 2

static volatile uint8_t sink;

static void check_result(const tether_block1_rx_result *r)
{
    uint8_t x = 0;

    if (r->status == TETHER_BLOCK1_CONTINUE) {
        if (!r->block1.more || r->body != NULL || r->slot < 0 || r->slot >= SLOTS)
            __builtin_trap();
        return;
    }
    if (r->status != TETHER_BLOCK1_COMPLETE || r->block1.more || r->body_len > MAX_BODY ||
        (r->body_len > 0 && r->body == NULL) || r->slot >= SLOTS)
        __builtin_trap();
    for (size_t i = 0; i < r->body_len; i++) /* every byte must be readable */
        x ^= r->body[i];
    sink = x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static _Alignas(max_align_t) uint8_t mem[SLOTS * (MAX_BODY + 256) + 1024];
    static uint8_t rbody[300], rxbuf[200], out[512];
    tether_block1_rx_config cfg;
    tether_block1_rx *rx;
    tether_block1_tx tx;
    tether_block2_rx b2;
    tether_time now = 1000;
    size_t pos = 0;

    if (tether_block1_rx_mem_size(SLOTS, MAX_BODY) > sizeof(mem))
        __builtin_trap();
    tether_block1_rx_config_default(&cfg);
    cfg.slots = SLOTS;
    cfg.max_body = MAX_BODY;
    cfg.idle_timeout_ms = 2000;
    cfg.szx = 2;
    if (tether_block1_rx_init(&rx, mem, sizeof(mem), &cfg) != 0)
        __builtin_trap();
    for (size_t i = 0; i < sizeof(rbody); i++)
        rbody[i] = (uint8_t)i;
    tether_block1_tx_init(&tx, rbody, sizeof(rbody), 3);
    tether_block2_rx_init(&b2, rxbuf, sizeof(rxbuf), 1);

    while (size - pos >= 3) {
        uint8_t ctl = data[pos];
        size_t len = (size_t)data[pos + 1] << 8 | data[pos + 2];
        const uint8_t *dgram = data + pos + 3;
        tether_peer peer;
        tether_coap_msg m;
        tether_block1_rx_result res;
        tether_block2_slice slice;
        tether_block2_rx_result r2;
        tether_coap_builder b;
        int more, rc;

        pos += 3;
        if (len > size - pos)
            len = size - pos;
        pos += len;

        memset(&peer, 0, sizeof(peer));
        peer.len = 4;
        peer.addr[0] = (uint8_t)(ctl & 3);
        now += (tether_time)((ctl >> 2) & 15) * 250;
        if (ctl & 0x80)
            tether_block1_rx_release_peer(rx, &peer);
        if (tether_coap_parse(&m, dgram, len) != 0)
            continue;

        memset(&res, 0xA5, sizeof(res));
        rc = tether_block1_rx_feed(rx, now, &peer, &m, &res);
        if (rc == 0) {
            check_result(&res);
            if (res.status == TETHER_BLOCK1_COMPLETE && (ctl & 0x40))
                tether_block1_rx_release(rx, res.slot);
        } else {
            const uint8_t *raw = (const uint8_t *)&res;
            for (size_t i = 0; i < sizeof(res); i++) /* untouched on error */
                if (raw[i] != 0xA5)
                    __builtin_trap();
            (void)tether_block_answer_code(rc);
        }

        /* The same datagram as a request for a 300-byte resource ... */
        if (tether_block2_slice_get(&m, sizeof(rbody), (size_t)(ctl & 0x3F) * 16, 6, &slice) ==
            0) {
            if (slice.offset > sizeof(rbody) || slice.len > sizeof(rbody) - slice.offset)
                __builtin_trap();
            tether_coap_build_init(&b, out, sizeof(out), TETHER_COAP_ACK, TETHER_COAP_CONTENT, 1,
                                   NULL, 0);
            (void)tether_block2_slice_write(&slice, rbody, &b);
        }
        /* ... as a response to our Block1 upload, and to our Block2 download. */
        if (tether_block1_tx_on_response(&tx, &m, &more) == 0 && more) {
            tether_coap_build_init(&b, out, sizeof(out), TETHER_COAP_CON, TETHER_COAP_PUT, 1,
                                   NULL, 0);
            (void)tether_block1_tx_write(&tx, &b);
        }
        if (tether_block2_rx_feed(&b2, &m, &r2) == 0 && r2.len > sizeof(rxbuf))
            __builtin_trap();
    }
    return 0;
}
