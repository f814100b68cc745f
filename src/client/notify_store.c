/* SPDX-License-Identifier: Apache-2.0 */
/* Notification storing (R21): one bounded store per server, in the server
 * record, for the notifications produced while that server is disabled or
 * the client is offline. Records are appended in the order they were
 * produced and taken from the front, so they leave in that order.
 *
 *   store: [record][record]...[free]       record, 6 + len bytes:
 *          ^ oldest       store_len ^      +------+-----+--------+--------+---------+
 *                                          | slot | gen | fmt BE | len BE | payload |
 *                                          +------+-----+--------+--------+---------+
 *
 * slot and gen name the observation (a record whose observation ended is
 * dropped when it comes up); the payload is encoded when the notification
 * is produced, so the value is the one of that moment: into a scratch
 * buffer when the engine has one (block-wise builds: the body scratch),
 * which gives its size first, then the oldest records are dropped until it
 * fits (overflow drops oldest, counted in n_dropped) and it is copied in;
 * a notification larger than the whole store is dropped itself and costs
 * no stored one. Without a scratch buffer it is encoded straight into the
 * free space, and on "does not fit" the oldest record is dropped and the
 * encoding tried again -- there one larger than the whole store empties
 * the store before it is found to be too large. Taking the
 * front moves the rest down: the store is small (a few hundred bytes) and
 * that keeps it one linear run with no wrap-around to encode into. This
 * file decides nothing about when to store or send: observe.c does. */
#include <string.h>

#include "client/client_internal.h"
#include "tether_poison.h"

#if CLIENT_STORE

#define REC_HEADER 6

static size_t rec_size(const uint8_t *r)
{
    return REC_HEADER + ((size_t)r[4] << 8 | r[5]);
}

void client_store_pop(client_server *s)
{
    size_t n;

    if (s->store_len == 0)
        return;
    n = rec_size(s->store);
    memmove(s->store, s->store + n, s->store_len - n);
    s->store_len = (uint16_t)(s->store_len - n);
    s->store_count--;
}

void client_store_clear(client_server *s)
{
    s->store_len = 0;
    s->store_count = 0;
}

static void put_header(tether_client *c, client_server *s, const client_obs *o, size_t n)
{
    uint8_t *r = s->store + s->store_len;

    r[0] = (uint8_t)(o - c->obs);
    r[1] = o->gen;
    r[2] = (uint8_t)(o->fmt >> 8);
    r[3] = (uint8_t)o->fmt;
    r[4] = (uint8_t)(n >> 8);
    r[5] = (uint8_t)n;
    s->store_len = (uint16_t)(s->store_len + REC_HEADER + n);
    s->store_count++;
    s->n_stored++;
}

uint8_t client_store_append(tether_client *c, client_server *s, client_obs *o,
                            client_store_encode_fn encode, uint8_t *scratch, size_t cap)
{
    if (scratch != NULL) {
        /* The size is known before anything is dropped: a notification
         * larger than the whole store costs no stored one. */
        size_t n = 0;
        uint8_t code = encode(c, o, scratch, cap, &n);

        if (code != 0)
            return code;
        if (n + REC_HEADER > TETHER_CLIENT_NOTIFY_STORE_BYTES)
            return CLIENT_TOO_BIG;
        while ((size_t)TETHER_CLIENT_NOTIFY_STORE_BYTES - s->store_len < n + REC_HEADER) {
            client_store_pop(s); /* overflow: the oldest goes */
            s->n_dropped++;
        }
        memcpy(s->store + s->store_len + REC_HEADER, scratch, n);
        put_header(c, s, o, n);
        return 0;
    }
    for (;;) {
        size_t room = TETHER_CLIENT_NOTIFY_STORE_BYTES - s->store_len;
        uint8_t code = CLIENT_TOO_BIG;
        size_t n = 0;

        if (room > REC_HEADER)
            code = encode(c, o, s->store + s->store_len + REC_HEADER, room - REC_HEADER, &n);
        if (code == 0) {
            put_header(c, s, o, n);
            return 0;
        }
        if (code != CLIENT_TOO_BIG || s->store_count == 0)
            return code; /* a read error, or larger than the whole store */
        client_store_pop(s); /* overflow: the oldest goes */
        s->n_dropped++;
    }
}

int client_store_peek(const client_server *s, uint8_t *slot, uint8_t *gen, uint16_t *fmt,
                      const uint8_t **payload, size_t *len)
{
    const uint8_t *r = s->store;

    if (s->store_len == 0)
        return -1;
    *slot = r[0];
    *gen = r[1];
    *fmt = (uint16_t)(r[2] << 8 | r[3]);
    *len = rec_size(r) - REC_HEADER;
    *payload = r + REC_HEADER;
    return 0;
}

#else
typedef int client_notify_store_unused; /* storing compiled out */
#endif /* CLIENT_STORE */
