/* SPDX-License-Identifier: Apache-2.0 */
/* What the client engine's files share: the engine record, one record per
 * server account (Security instance + Server instance + registration state
 * machine), the object table, and the calls between client.c (engine shell),
 * register.c (the state machine), dm.c (device management) and the built-in
 * objects (obj_security.c, obj_server.c, obj_device.c).
 *
 * Invariant: a server slot with in_use set is a Security instance; if it is
 * not a bootstrap account it is also a Server instance (R25), with a unique
 * ssid and srv_iid. At most one exchange per server is in flight (the one in
 * xid), and the state says which kind it is. */
#ifndef TETHER_CLIENT_INTERNAL_H
#define TETHER_CLIENT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tether/client.h"
#include "tether/coap_block.h"
#include "tether/coap_exchange.h"

/* Block-wise transfer is compiled in when the body limit is not 0. */
#define CLIENT_BLOCKWISE (TETHER_CLIENT_MAX_BODY > 0)

#define CLIENT_LOG_MODULE "client"

/* Largest Short Server ID (LwM2M 1.0 appendix D.1: 1..65535). */
#define CLIENT_SSID_MAX 65535
/* Lifetime range we accept for /1/x/1. The spec gives none. 0 would lapse
 * the registration at once and make the client Update in a loop, and a
 * negative lifetime means nothing; the top keeps seconds * 1000 and the
 * Update arithmetic well inside 64 bits and is 68 years. */
#define CLIENT_LIFETIME_MIN 1
#define CLIENT_LIFETIME_MAX INT32_MAX
/* When the CoAP layer has no free slot, try again this much later. */
#define CLIENT_BUSY_RETRY_MS 1000u

/* Pending work noted while answering a request and run after the answer is
 * queued, so that the response always leaves first (R20, R23). */
enum client_pending {
    PEND_UPDATE = 0x01,  /* send an Update as soon as the state allows */
    PEND_DISABLE = 0x02, /* /1/x/4 executed */
};

/* What a Register or Update carries besides its path (sent_flags). */
enum client_msg_flags {
    MSG_LT = 0x01,   /* lt= */
    MSG_B = 0x02,    /* b= */
    MSG_LIST = 0x04, /* the object list as payload */
};

/* Inputs of the registration state machine (register.c, reg_step()). */
enum client_reg_input {
    REG_IN_START,      /* the engine started, or the server was added after */
    REG_IN_TIMER,      /* the server's deadline passed */
    REG_IN_DONE,       /* the exchange in flight finished (status, resp) */
    REG_IN_UPDATE_NOW, /* something to tell the server (R8, R22, R23, objects) */
    REG_IN_DISABLE,    /* /1/x/4 executed, answer already queued (R20) */
    REG_IN_STOP,       /* tether_client_stop() (R11) */
};

typedef struct client_server {
    struct tether_client *owner; /* for the exchange callbacks */
    uint8_t in_use;
    /* --- Security object instance (/0/sec_iid) --- */
    uint8_t bootstrap;   /* /0/x/1; R25: no Server instance, no registration */
    uint16_t sec_iid;
    const char *uri;     /* /0/x/0, kept */
    uint32_t hold_off_s; /* /0/x/11 */
    tether_peer peer;
    /* --- Server object instance (/1/srv_iid) --- */
    uint16_t srv_iid;
    uint16_t ssid;            /* /1/x/0 and /0/x/10 */
    int64_t lifetime;         /* /1/x/1 */
    int64_t pmin, pmax;       /* /1/x/2, /1/x/3 */
    int64_t disable_timeout;  /* /1/x/5 */
    uint8_t notif_storing;    /* /1/x/6 */
    char binding[TETHER_CLIENT_MAX_BINDING + 1]; /* /1/x/7 */
    /* --- registration --- */
    uint8_t state;       /* tether_client_reg_state */
    uint8_t pending;     /* client_pending bits */
    uint8_t disabling;   /* DEREGISTER_SENT because of Disable, not stop */
    uint8_t failures;    /* consecutive failed Registers, for the back-off */
    tether_coap_xid xid; /* the exchange in flight, 0 if none */
    tether_time deadline;  /* the state's timer, TETHER_TIME_NEVER if none */
    tether_time sent_at;   /* when the Register/Update in flight left */
    tether_time expires;   /* our (early) view of when the registration lapses */
    /* What the last successful Register/Update told the server, and what the
     * one in flight tells it: an Update carries only what differs. */
    int64_t acked_lt, sent_lt;
    char acked_b[TETHER_CLIENT_MAX_BINDING + 1], sent_b[TETHER_CLIENT_MAX_BINDING + 1];
    uint32_t acked_gen, sent_gen; /* object list generation */
    uint8_t sent_full;            /* the message in flight is a Register */
    uint8_t sent_flags;           /* what it carries (MSG_*), fixed for all its blocks */
#if CLIENT_BLOCKWISE
    uint8_t btx_active;           /* its object list goes out in Block1 blocks */
    tether_block1_tx btx;
#endif
    /* Location-Path segments of 2.01, each a length byte then the bytes. */
    uint8_t loc[TETHER_CLIENT_MAX_LOCATION];
    uint8_t loc_len;
} client_server;

typedef struct client_object_slot {
    const tether_client_object *def;
    void *user;
} client_object_slot;

/* Built-in objects other than Security, plus the application's. */
#define CLIENT_MAX_OBJECT_SLOTS (2 + TETHER_CLIENT_MAX_OBJECTS)

struct tether_client {
    tether_coap_ctx *coap;
    tether_client_event_fn on_event;
    void *user;
    tether_rand_fn rand_fn;
    void *rand_user;
    tether_log_fn log;
    void *log_user;
    uint64_t max_transmit_wait_ms; /* from the CoAP config, RFC 7252 §4.8.2 */
    uint32_t retry_initial_s, retry_max_s;
    uint8_t started;
    uint8_t stopping;
    uint8_t in_callback; /* the event callback is running: mutators refuse */
    uint8_t reboot_pending;
    uint32_t objects_gen; /* bumped when objects or instances come or go */
    char endpoint[TETHER_CLIENT_MAX_ENDPOINT + 1];
    char sms[TETHER_CLIENT_MAX_SMS + 1];
    char alt_path[TETHER_CLIENT_MAX_ALT_PATH + 1]; /* "/lwm2m" or "" */
    const char *manufacturer, *model, *serial, *firmware;
    char supported_bindings[TETHER_CLIENT_MAX_BINDING + 1];
    client_server servers[TETHER_CLIENT_MAX_SERVERS];
    client_object_slot objects[CLIENT_MAX_OBJECT_SLOTS]; /* ascending oid */
    uint8_t nobjects;
#if CLIENT_BLOCKWISE
    uint8_t *body;         /* TETHER_CLIENT_MAX_BODY bytes of scratch in the caller's
                              block: a whole body is rendered here, then cut into blocks */
    tether_block1_rx *rx;  /* one reassembly slot for Block1 Writes */
#endif
    const char *errmsg; /* static sentence, "" when none (STYLE rule 7) */
};

/* --- client.c --- */
void client_emit(tether_client *c, tether_time now, tether_client_event *ev);
/* msg: static storage (a literal): a fixed sentence costs no RAM and no
 * formatter, which a firmware build would otherwise have to link. */
void client_set_errmsg(tether_client *c, const char *msg);
uint32_t client_rand32(tether_client *c);
client_server *client_server_by_ssid(tether_client *c, uint16_t ssid);
client_server *client_server_by_srv_iid(tether_client *c, uint16_t iid);
const client_object_slot *client_object(const tether_client *c, uint16_t oid);
/* Note a change of objects or instances: every server will hear of it. */
void client_objects_changed(tether_client *c);
/* Run the work noted in each server's pending bits. */
void client_run_pending(tether_client *c, tether_time now);

/* --- register.c --- */
void client_reg_step(tether_client *c, client_server *s, int input, tether_time now,
                     int status, const tether_coap_msg *resp);
/* The Update delay for a lifetime, without jitter (ms). Exposed for tests of
 * the schedule through the header's formula. */
uint64_t client_update_delay_ms(const tether_client *c, int64_t lifetime_s);
/* Write the object list (R18: never /0) into a link-format writer. */
struct tether_lwm2m_link_writer;
int client_write_object_list(const tether_client *c, struct tether_lwm2m_link_writer *w);

/* --- dm.c --- */
void client_dm_handle(tether_client *c, client_server *s, tether_time now,
                      const tether_coap_msg *req, tether_coap_incoming *in);

/* --- objects --- */
extern const tether_client_object client_obj_server;
extern const tether_client_object client_obj_device;
/* R17 + R22: nonzero when binding (len bytes) is valid for 1.0 and every
 * letter of it is in the client's supported bindings (/3/0/16). */
int client_binding_supported(const tether_client *c, const char *binding, size_t len);
/* Security object rules (obj_security.c). */
int client_security_check(const tether_client_server_config *sc);
/* Nonzero when a device management request on p must be refused with 4.01
 * because it touches the Security object. */
int client_security_hidden(const tether_lwm2m_path *p);

#endif /* TETHER_CLIENT_INTERNAL_H */
