/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the server's device management: what a client answers to Read,
 * Discover, Create, Write (Block1), Observe and the rest, and what it
 * notifies -- Block2 reassembly, Discover link parsing, Create's
 * Location-Path, typed value decoding, RFC 7641 freshness -- together with
 * cancellation, timeouts, queue mode and the registration going away.
 *
 * One client "f" registers in queue mode (b=UQ) with a fixed datagram; the
 * input is then a list of records
 *   +-----+--------+--------+--------------+
 *   | ctl | len hi | len lo | data (len)   |
 *   +-----+--------+--------+--------------+
 * ctl & 7:
 *   0  submit: data[0] op (1..9), data[1] path index, data[2] format
 *      index, the rest the payload
 *   1  answer the server's last request (piggybacked ACK, its token):
 *      data[0] the code, the rest raw options and payload after the token
 *   2  notify on the last observation's token: data[0] bit 0 CON/NON,
 *      data[1] the code, the rest raw options and payload
 *   3  advance the clock data[0] seconds and run the timers
 *   4  cancel the last request (data[0] bit 0: active)
 *   5  Update from the client; 6  the same from a new address
 *   7  Register again (replaces the registration)
 * Everything the server sends is taken after each record. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tether/model.h"
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

static void on_resp(void *arg, tether_time now, int status, const tether_server_response *r)
{
    volatile size_t sink = 0;
    (void)arg;
    (void)now;
    (void)status;
    /* Touch what the engine hands over, so the sanitizers check it. */
    for (size_t i = 0; i < r->payload_len; i++)
        sink += r->payload[i];
    for (size_t i = 0; i < r->n_links; i++)
        sink += r->links[i].path.len;
    for (size_t i = 0; i < r->n_values; i++) {
        const tether_lwm2m_value *v = &r->values[i].value;
        if (v->type == TETHER_LWM2M_STRING || v->type == TETHER_LWM2M_OPAQUE)
            for (size_t k = 0; k < v->bytes.len; k++)
                sink += v->bytes.ptr[k];
    }
    sink += strlen(r->reason) + strlen(r->ep);
    (void)sink;
}

static const char *const paths[] = {"/3/0", "/3/0/0", "/1/0/1", "/3303", "/3303/0",
                                    "/3303/0/5700", "/5/0/0", "/3"};
static const uint32_t formats[] = {TETHER_SERVER_NO_FORMAT, TETHER_FMT_TEXT, TETHER_FMT_TLV,
                                   TETHER_FMT_SENML_JSON, TETHER_FMT_SENML_CBOR, TETHER_FMT_JSON,
                                   TETHER_FMT_CBOR, TETHER_FMT_OPAQUE};

/* A CoAP message: header, token, then raw bytes. */
static size_t build(uint8_t *out, uint8_t type, uint8_t code, uint16_t mid, const uint8_t *tok,
                    uint8_t tkl, const uint8_t *rest, size_t n)
{
    size_t k = 0;
    out[k++] = (uint8_t)(0x40 | type << 4 | tkl);
    out[k++] = code;
    out[k++] = (uint8_t)(mid >> 8);
    out[k++] = (uint8_t)mid;
    memcpy(out + k, tok, tkl);
    k += tkl;
    memcpy(out + k, rest, n);
    return k + n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* POST /rd?ep=f&b=UQ&lt=600, </3/0>,</3303/0> */
    static const uint8_t reg[] = {0x44, 0x02, 0x00, 0x01, 0xA1, 0xB2, 0xC3, 0xD4, 0xB2, 'r', 'd',
                                  0x11, 0x28, 0x34, 'e', 'p', '=', 'f', 0x04, 'b', '=', 'U', 'Q',
                                  0x06, 'l', 't', '=', '6', '0', '0', 0xFF, '<', '/', '3', '/', '0',
                                  '>', ',', '<', '/', '3', '3', '0', '3', '/', '0', '>'};
    tether_server_config cfg;
    tether_model_registry *models = NULL;
    tether_server *srv;
    tether_peer peer, moved, to;
    tether_time now = 1000;
    tether_server_req_id last_id = 0;
    uint8_t out[2048], last_req[8], obs_tok[8], buf[70000], loc[16];
    uint8_t last_tkl = 0, obs_tkl = 0;
    uint16_t last_mid = 0, mid = 0x100;
    size_t out_len, loc_len = 0;
    int use_moved = 0;

    rng = 1;
    if (tether_model_registry_new(&models, NULL, NULL) != 0)
        return 0;
    tether_server_config_default(&cfg);
    cfg.rand = frand;
    cfg.models = models;
    cfg.coap.max_exchanges = 8;
    cfg.coap.dedup_entries = 16;
    cfg.coap.txq_bytes = 32768;
    cfg.max_response_body = 4096;
    cfg.max_request_body = 4096;
    cfg.queue_max = 4;
    if (tether_server_new(&srv, &cfg, NULL, NULL) != 0) {
        tether_model_registry_free(models);
        return 0;
    }
    memset(&peer, 0, sizeof(peer));
    peer.len = 16;
    peer.addr[0] = 2;
    moved = peer;
    moved.addr[3] = 9;
    (void)tether_server_recv(srv, now, &peer, reg, sizeof(reg));

    while (size >= 3) {
        uint8_t ctl = data[0];
        size_t len = (size_t)data[1] << 8 | data[2];
        const tether_peer *from = use_moved ? &moved : &peer;

        data += 3;
        size -= 3;
        if (len > size)
            len = size;
        switch (ctl & 7) {
        case 0:
            if (len >= 3) {
                tether_server_request r;
                memset(&r, 0, sizeof(r));
                r.op = (tether_server_op)(data[0] % 10);
                r.path = paths[data[1] % (sizeof(paths) / sizeof(paths[0]))];
                r.format = r.accept = formats[data[2] % (sizeof(formats) / sizeof(formats[0]))];
                r.payload = data + 3;
                r.len = len - 3;
                r.timeout_ms = (uint32_t)(ctl >> 3) * 1000u;
                if (r.op == TETHER_SERVER_OP_WRITE_ATTRS) {
                    static tether_server_attrs a;
                    a.set = data[3 % len] & 0x1F;
                    a.pmin = data[1];
                    a.pmax = data[2];
                    a.st = 1;
                    r.attrs = &a;
                }
                (void)tether_server_submit(srv, now, "f", &r, on_resp, NULL, &last_id);
            }
            break;
        case 1:
            if (len >= 1 && last_tkl <= 8) {
                size_t n = build(buf, 2, data[0], last_mid, last_req, last_tkl, data + 1, len - 1);
                (void)tether_server_recv(srv, now, from, buf, n);
            }
            break;
        case 2:
            if (len >= 2 && obs_tkl > 0) {
                size_t n = build(buf, data[0] & 1, data[1], mid++, obs_tok, obs_tkl, data + 2,
                                 len - 2);
                (void)tether_server_recv(srv, now, from, buf, n);
            }
            break;
        case 3:
            now += (tether_time)(len ? data[0] : 1) * 1000u;
            (void)tether_server_on_timeout(srv, now);
            break;
        case 4:
            (void)tether_server_cancel(srv, now, last_id,
                                       len && (data[0] & 1) ? TETHER_SERVER_CANCEL_ACTIVE
                                                            : TETHER_SERVER_CANCEL_PASSIVE);
            break;
        case 5:
        case 6:
            if (loc_len > 0) {
                /* POST /rd/{id} */
                size_t k = 0;
                buf[k++] = 0x40;
                buf[k++] = 0x02;
                buf[k++] = (uint8_t)(mid >> 8);
                buf[k++] = (uint8_t)mid;
                mid++;
                buf[k++] = 0xB2;
                buf[k++] = 'r';
                buf[k++] = 'd';
                buf[k++] = (uint8_t)loc_len;
                memcpy(buf + k, loc, loc_len);
                k += loc_len;
                if ((ctl & 7) == 6)
                    use_moved = !use_moved;
                (void)tether_server_recv(srv, now, use_moved ? &moved : &peer, buf, k);
            }
            break;
        default: {
            uint8_t again[sizeof(reg)];
            memcpy(again, reg, sizeof(reg));
            again[2] = (uint8_t)(mid >> 8);
            again[3] = (uint8_t)mid;
            mid++;
            (void)tether_server_recv(srv, now, from, again, sizeof(again));
            break;
        }
        }
        data += len;
        size -= len;
        while (tether_server_send(srv, now, &to, out, sizeof(out), &out_len) == 0 && out_len > 0) {
            uint8_t tkl = out[0] & 0x0F;
            if (out_len < 4u + tkl || tkl > 8)
                continue;
            if ((out[0] >> 4 & 3) == 0 && out[1] >= 1 && out[1] <= 4) {
                /* A request: remember it; an Observe 0 (option 6, first,
                 * value 0: byte 0x60) marks an observation's token. */
                memcpy(last_req, out + 4, tkl);
                last_tkl = tkl;
                last_mid = (uint16_t)(out[2] << 8 | out[3]);
                if (out_len > 4u + tkl && out[4 + tkl] == 0x60) {
                    memcpy(obs_tok, out + 4, tkl);
                    obs_tkl = tkl;
                }
            } else if ((out[0] >> 4 & 3) == 2 && out[1] == 0x41 && out_len > 4u + tkl + 4) {
                /* 2.01 to a Register: Location-Path rd, {id} */
                const uint8_t *o = out + 4 + tkl;
                if (o[0] == 0x82 && o[3] >> 4 == 0 && (size_t)(o[3] & 0x0F) <= sizeof(loc) &&
                    out_len >= 4u + tkl + 4 + (o[3] & 0x0F)) {
                    loc_len = o[3] & 0x0F;
                    memcpy(loc, o + 4, loc_len);
                }
            }
        }
    }
    now += 100000000;
    (void)tether_server_on_timeout(srv, now);
    tether_server_free(srv);
    tether_model_registry_free(models);
    return 0;
}
