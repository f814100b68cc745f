/* SPDX-License-Identifier: Apache-2.0 */
/* The client engine and the server engine (tether/server.h, what tetherd
 * runs) wired together in memory on one virtual clock, both sans-I/O: every
 * datagram one queues is handed to the other. Shared by the end-to-end tests
 * (tests/client/test_client_server.c, test_observe_server.c,
 * test_client_formats.c, tests/server/test_observe_client.c,
 * test_dm_client.c). The client is a harness from client_harness.h whose
 * server 0 is the engine; the engine sees the client as one peer.
 * Define DUO_SEED before the include to choose the server's random stream. */
#ifndef TETHER_TESTS_COMMON_DUO_H
#define TETHER_TESTS_COMMON_DUO_H

#include "client/client_harness.h"
#include "tether/server.h"

#ifndef DUO_SEED
#define DUO_SEED 0xC0FFEE
#endif

static uint32_t duo_rng = DUO_SEED;

/* The server's rand hook: a fixed LCG stream, the same run after run. */
H_UNUSED static void duo_rand(void *user, void *buf, size_t len)
{
    (void)user;
    for (size_t i = 0; i < len; i++) {
        duo_rng = duo_rng * 1103515245u + 12345u;
        ((uint8_t *)buf)[i] = (uint8_t)(duo_rng >> 16);
    }
}

/* Fill *cfg with the defaults, the hook above and the small CoAP limits the
 * end-to-end tests run with; the caller adjusts the rest and owns cfg. */
H_UNUSED static void duo_config(tether_server_config *cfg)
{
    tether_server_config_default(cfg);
    cfg->rand = duo_rand;
    cfg->coap.max_exchanges = 16;
    cfg->coap.dedup_entries = 64;
    cfg->coap.txq_bytes = 64 * 1024;
}

/* Move datagrams both ways until neither engine has anything to send. The
 * server must only ever send to client_peer (R14). down, when not NULL and
 * nonzero, drops every datagram both ways (a partition); rst, when not NULL,
 * counts the RSTs the server delivered to the client. Borrows everything. */
H_UNUSED static void duo_pump(harness *h, tether_server *srv, const tether_peer *client_peer,
                     const int *down, int *rst)
{
    uint8_t buf[1500];
    tether_peer p;
    size_t len;
    int moved;

    do {
        moved = 0;
        while (tether_client_send(h->c, h->now, &p, buf, sizeof(buf), &len) == 0 && len > 0) {
            moved = 1;
            if (!down || !*down)
                (void)tether_server_recv(srv, h->now, client_peer, buf, len);
        }
        while (tether_server_send(srv, h->now, &p, buf, sizeof(buf), &len) == 0 && len > 0) {
            moved = 1;
            assert_true(tether_peer_equal(&p, client_peer)); /* R14 */
            if (down && *down)
                continue;
            if (rst && len >= 4 && (buf[0] >> 4 & 3) == TETHER_COAP_RST)
                (*rst)++;
            (void)tether_client_recv(h->c, h->now, &h->peers[0], buf, len);
        }
    } while (moved);
}

/* Run both engines' timers up to `to`, pumping (as duo_pump) after each;
 * h->now ends at `to`. */
H_UNUSED static void duo_run_until(harness *h, tether_server *srv, const tether_peer *client_peer,
                                   const int *down, int *rst, tether_time to)
{
    duo_pump(h, srv, client_peer, down, rst);
    for (;;) {
        tether_time a = tether_client_next_deadline(h->c);
        tether_time b = tether_server_next_deadline(srv);
        tether_time d = a < b ? a : b;
        if (d > to)
            break;
        if (d > h->now)
            h->now = d;
        assert_int_equal(tether_client_on_timeout(h->c, h->now), 0);
        assert_int_equal(tether_server_on_timeout(srv, h->now), 0);
        duo_pump(h, srv, client_peer, down, rst);
    }
    h->now = to;
}

/* What an observation callback received, for the tests to look at. */
typedef struct note {
    int status;
    uint8_t code;
    uint8_t final;
    char payload[32];
    uint32_t seq;
    tether_time when;
} note;

/* Append what a tether_server_response_fn got to notes[*n] (64 at most);
 * a payload of 32 bytes or more is left empty. Borrows everything. */
H_UNUSED static void duo_note(note *notes, int *n, tether_time now, int status,
                              const tether_server_response *r)
{
    note *x;

    assert_true(*n < 64);
    x = &notes[(*n)++];
    memset(x, 0, sizeof(*x));
    x->status = status;
    x->code = r->code;
    x->final = r->final;
    x->seq = r->has_seq ? r->observe_seq : 0;
    x->when = now;
    if (r->payload_len > 0 && r->payload_len < sizeof(x->payload))
        memcpy(x->payload, r->payload, r->payload_len);
}

#endif
