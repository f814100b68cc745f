/* SPDX-License-Identifier: Apache-2.0 */
/* tcoap_server: a small CoAP server on Tether's core (UDP adapter, exchange
 * layer, block-wise helpers) for interop tests against libcoap's
 * coap-client. Resources:
 *   /large          GET: a 2500-byte deterministic body (byte i is
 *                   'a' + (7*i mod 26)), sent with Block2.
 *   /upload         PUT or POST: a body of up to 64 KiB, Block1 or not;
 *                   answers 2.04 "len=N fnv1a=XXXXXXXX".
 *   /missing...     any method: 4.04.
 *   anything else   GET 2.05, POST 2.04, PUT 2.04, DELETE 2.02, with the
 *                   payload "METHOD /path?q1&q2" and, when the request had
 *                   a payload, a newline and that payload. Other methods 4.05.
 * Usage: tcoap_server PORT [ADDR]   (ADDR defaults to 127.0.0.1; PORT 0 picks
 * one). Prints "ready port=N" on stdout once listening; SIGTERM or SIGINT
 * stops it. A test tool, not part of the library: it prints and exits. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tether/coap.h"
#include "tether/coap_block.h"
#include "tether/coap_exchange.h"
#include "tether/net.h"
#include "tether/os.h"

#define LARGE_LEN 2500
#define UPLOAD_MAX 65536

typedef struct server {
    tether_coap_ctx *coap;
    tether_block1_rx *b1;
    uint8_t large[LARGE_LEN];
    uint16_t max_message;
} server;

static tether_udp *g_udp;

static void on_signal(int sig)
{
    (void)sig;
    tether_udp_stop(g_udp);
}

static uint32_t fnv1a(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static const char *method_name(uint8_t code)
{
    switch (code) {
    case TETHER_COAP_GET: return "GET";
    case TETHER_COAP_POST: return "POST";
    case TETHER_COAP_PUT: return "PUT";
    case TETHER_COAP_DELETE: return "DELETE";
    case TETHER_COAP_FETCH: return "FETCH";
    case TETHER_COAP_PATCH: return "PATCH";
    case TETHER_COAP_IPATCH: return "IPATCH";
    }
    return "?";
}

/* "q1&q2" from the Uri-Query options; "" when none. */
static void query_string(const tether_coap_msg *m, char *out, size_t cap)
{
    tether_coap_opt_iter it;
    tether_coap_opt o;
    size_t n = 0;

    out[0] = '\0';
    tether_coap_opt_iter_init(&it, m);
    while (tether_coap_opt_next(&it, &o) == 0) {
        if (o.num != TETHER_COAP_OPT_URI_QUERY)
            continue;
        int w = snprintf(out + n, cap - n, "%s%.*s", n ? "&" : "", (int)o.len, (const char *)o.val);
        if (w < 0 || (size_t)w >= cap - n)
            break;
        n += (size_t)w;
    }
}

static void reply_error(server *s, tether_time now, tether_coap_incoming *in, int err)
{
    tether_coap_reply_code(s->coap, now, in, tether_block_answer_code(err));
}

static void serve_large(server *s, tether_time now, const tether_coap_msg *req,
                        tether_coap_incoming *in)
{
    tether_block2_slice sl;
    tether_coap_builder b;
    int rc;

    if (req->code != TETHER_COAP_GET) {
        tether_coap_reply_code(s->coap, now, in, TETHER_COAP_METHOD_NOT_ALLOWED);
        return;
    }
    /* Room for the payload after header, token and our few options. */
    rc = tether_block2_slice_get(req, LARGE_LEN, (size_t)s->max_message - 64, 6, &sl);
    if (rc != 0) {
        reply_error(s, now, in, rc);
        return;
    }
    if (tether_coap_reply_begin(s->coap, &b, in, TETHER_COAP_CONTENT) != 0)
        return;
    tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_CONTENT_FORMAT, TETHER_FMT_TEXT);
    tether_block2_slice_write(&sl, s->large, &b);
    tether_coap_reply_send(s->coap, now, in, &b);
}

static void serve_upload(server *s, tether_time now, const tether_coap_msg *req,
                         tether_coap_incoming *in)
{
    tether_block1_rx_result r;
    tether_coap_builder b;
    const uint8_t *body;
    size_t len;
    char text[64];
    int rc, blockwise = 1;

    if (req->code != TETHER_COAP_PUT && req->code != TETHER_COAP_POST) {
        tether_coap_reply_code(s->coap, now, in, TETHER_COAP_METHOD_NOT_ALLOWED);
        return;
    }
    rc = tether_block1_rx_feed(s->b1, now, &in->peer, req, &r);
    if (rc == TETHER_ERR_NOT_FOUND) {
        blockwise = 0;
        body = req->payload;
        len = req->payload_len;
    } else if (rc != 0) {
        if (tether_coap_reply_begin(s->coap, &b, in, tether_block_answer_code(rc)) != 0)
            return;
        if (rc == TETHER_ERR_TOO_LARGE)
            tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_SIZE1,
                                       tether_block1_rx_max_body(s->b1));
        tether_coap_reply_send(s->coap, now, in, &b);
        return;
    } else if (r.status == TETHER_BLOCK1_CONTINUE) {
        if (tether_coap_reply_begin(s->coap, &b, in, TETHER_COAP_CONTINUE) != 0)
            return;
        tether_coap_build_block(&b, TETHER_COAP_OPT_BLOCK1, &r.block1);
        tether_coap_reply_send(s->coap, now, in, &b);
        return;
    } else {
        body = r.body;
        len = r.body_len;
    }
    snprintf(text, sizeof(text), "len=%zu fnv1a=%08x", len, (unsigned)fnv1a(body, len));
    if (tether_coap_reply_begin(s->coap, &b, in, TETHER_COAP_CHANGED) == 0) {
        tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_CONTENT_FORMAT, TETHER_FMT_TEXT);
        if (blockwise)
            tether_coap_build_block(&b, TETHER_COAP_OPT_BLOCK1, &r.block1);
        tether_coap_build_payload(&b, text, strlen(text));
        tether_coap_reply_send(s->coap, now, in, &b);
    }
    if (blockwise)
        tether_block1_rx_release(s->b1, r.slot);
}

static void serve_echo(server *s, tether_time now, const tether_coap_msg *req,
                       tether_coap_incoming *in, const char *path)
{
    char q[512], text[1024];
    tether_coap_builder b;
    uint8_t code;
    int n;

    switch (req->code) {
    case TETHER_COAP_GET: code = TETHER_COAP_CONTENT; break;
    case TETHER_COAP_POST: code = TETHER_COAP_CHANGED; break;
    case TETHER_COAP_PUT: code = TETHER_COAP_CHANGED; break;
    case TETHER_COAP_DELETE: code = TETHER_COAP_DELETED; break;
    default:
        tether_coap_reply_code(s->coap, now, in, TETHER_COAP_METHOD_NOT_ALLOWED);
        return;
    }
    query_string(req, q, sizeof(q));
    n = snprintf(text, sizeof(text), "%s /%s%s%s", method_name(req->code), path,
                 q[0] ? "?" : "", q);
    if (n < 0 || (size_t)n >= sizeof(text))
        n = (int)strlen(text);
    if (req->payload_len > 0)
        n += snprintf(text + n, sizeof(text) - (size_t)n, "\n%.*s", (int)req->payload_len,
                      (const char *)req->payload);
    if (n >= (int)sizeof(text))
        n = (int)sizeof(text) - 1;
    if (tether_coap_reply_begin(s->coap, &b, in, code) != 0)
        return;
    tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_CONTENT_FORMAT, TETHER_FMT_TEXT);
    tether_coap_build_payload(&b, text, (size_t)n);
    tether_coap_reply_send(s->coap, now, in, &b);
}

static void on_request(void *user, tether_time now, const tether_coap_msg *req,
                       const tether_coap_incoming *cin)
{
    server *s = user;
    tether_coap_incoming in = *cin;
    char path[256];

    if (tether_coap_path_string(req, TETHER_COAP_OPT_URI_PATH, path, sizeof(path)) != 0) {
        tether_coap_reply_code(s->coap, now, &in, TETHER_COAP_BAD_REQUEST);
        return;
    }
    if (strcmp(path, "large") == 0)
        serve_large(s, now, req, &in);
    else if (strcmp(path, "upload") == 0)
        serve_upload(s, now, req, &in);
    else if (strncmp(path, "missing", 7) == 0)
        tether_coap_reply_code(s->coap, now, &in, TETHER_COAP_NOT_FOUND);
    else
        serve_echo(s, now, req, &in, path);
}

int main(int argc, char **argv)
{
    static server s;
    tether_coap_config cfg;
    tether_coap_callbacks cb = {on_request, NULL};
    tether_block1_rx_config bcfg;
    void *mem, *bmem;
    size_t memsz, bmemsz;
    char addr[128];
    struct sigaction sa;
    int rc;

    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s PORT [ADDR]\n", argv[0]);
        return 2;
    }
    for (size_t i = 0; i < LARGE_LEN; i++)
        s.large[i] = (uint8_t)('a' + (7 * i) % 26);

    tether_coap_config_default(&cfg);
    cfg.rand = tether_os_random;
    cfg.dedup_reply_max = 1152; /* replay big answers too: blocks are retransmitted */
    s.max_message = cfg.max_message;
    memsz = tether_coap_mem_size(&cfg);
    mem = malloc(memsz);
    if (mem == NULL || tether_coap_init(&s.coap, mem, memsz, &cfg, &cb, &s) != 0) {
        fprintf(stderr, "tcoap_server: coap init failed\n");
        return 1;
    }
    tether_block1_rx_config_default(&bcfg);
    bcfg.max_body = UPLOAD_MAX;
    bmemsz = tether_block1_rx_mem_size(bcfg.slots, bcfg.max_body);
    bmem = malloc(bmemsz);
    if (bmem == NULL || tether_block1_rx_init(&s.b1, bmem, bmemsz, &bcfg) != 0) {
        fprintf(stderr, "tcoap_server: block1 init failed\n");
        return 1;
    }

    rc = tether_udp_new(&g_udp, NULL);
    if (rc != 0) {
        fprintf(stderr, "tcoap_server: %s\n", tether_strerror(rc));
        return 1;
    }
    snprintf(addr, sizeof(addr), "%s:%s", argc == 3 ? argv[2] : "127.0.0.1", argv[1]);
    rc = tether_udp_listen(g_udp, addr, NULL);
    if (rc != 0) {
        fprintf(stderr, "tcoap_server: %s: %s\n", tether_err_name(rc), tether_udp_errmsg(g_udp));
        return 1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    printf("ready port=%u\n", (unsigned)tether_udp_port(g_udp, 0));
    fflush(stdout);

    rc = tether_udp_run(g_udp, &tether_udp_coap_ops, s.coap);
    if (rc != 0)
        fprintf(stderr, "tcoap_server: %s: %s\n", tether_err_name(rc), tether_udp_errmsg(g_udp));
    tether_udp_free(g_udp);
    tether_coap_fini(s.coap);
    free(mem);
    free(bmem);
    return rc != 0;
}
