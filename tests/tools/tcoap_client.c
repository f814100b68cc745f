/* SPDX-License-Identifier: Apache-2.0 */
/* tcoap_client: a small CoAP client on Tether's core (UDP adapter, exchange
 * layer, block-wise helpers) for interop tests against libcoap's
 * coap-server. One request, confirmable:
 *   tcoap_client [-m get|post|put|delete] [-e TEXT | -u N] [-b SIZE]
 *                [-o FILE] [-T SECONDS] URI
 *   -e TEXT    payload (text/plain)
 *   -u N       upload N deterministic bytes (byte i is 'A' + i mod 26),
 *              in Block1 blocks when they do not fit one
 *   -b SIZE    block size, 16..1024 (default 1024): Block1 blocks, and
 *              the Block2 size asked for from the first GET on
 *   -o FILE    write the response payload (all Block2 blocks) to FILE
 *   -T SECONDS give up after this long (default 20)
 * A GET whose answer comes in Block2 blocks fetches them all. Prints one
 * line: "code=2.05 len=N fnv1a=XXXXXXXX" (FNV-1a 32 of the payload), and
 * exits 0 when an answer (any code) arrived, 1 on timeout, reset or a
 * block-wise failure, 2 on bad usage. A test tool: it prints and exits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "tether/coap.h"
#include "tether/coap_block.h"
#include "tether/coap_exchange.h"
#include "tether/net.h"
#include "tether/os.h"

#define RX_CAP (1u << 20)
#define MAX_QUERIES 16

typedef struct client {
    tether_coap_ctx *coap;
    tether_peer peer;
    uint8_t method;
    char path[512];
    char queries[MAX_QUERIES][128];
    size_t nqueries;
    const uint8_t *body;
    size_t body_len;
    int has_body;
    tether_block1_tx tx;
    int tx_done;
    uint8_t szx;
    int ask_szx; /* -b given: ask for that Block2 size from the first request */
    tether_block2_rx rx;
    uint8_t *rxbuf;
    /* outcome */
    int done, status;
    uint8_t code;
    const uint8_t *payload;
    size_t payload_len;
    uint8_t errbody[1152];
} client;

static uint32_t fnv1a(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decode [s, s+n) into out (cap bytes, NUL-terminated). */
static int pct_decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        }
        if (o + 1 >= cap)
            return -1;
        out[o++] = c;
    }
    out[o] = '\0';
    return 0;
}

/* Path and queries of "coap://host:port/a/b?x=1&y" (host and port went to
 * tether_udp_connect). */
static int parse_target(client *c, const char *uri)
{
    const char *p = strstr(uri, "://"), *q, *end;

    p = p != NULL ? p + 3 : uri;
    p += strcspn(p, "/?#");
    end = p + strcspn(p, "#");
    q = memchr(p, '?', (size_t)(end - p));
    if (*p == '/')
        p++;
    if (pct_decode(p, (size_t)((q ? q : end) - p), c->path, sizeof(c->path)) != 0)
        return -1;
    while (q != NULL && q < end) {
        const char *s = q + 1, *amp = memchr(s, '&', (size_t)(end - s));
        const char *e = amp ? amp : end;
        if (e > s) {
            if (c->nqueries == MAX_QUERIES)
                return -1;
            if (pct_decode(s, (size_t)(e - s), c->queries[c->nqueries], sizeof(c->queries[0])) != 0)
                return -1;
            c->nqueries++;
        }
        q = amp;
    }
    return 0;
}

static void on_done(void *arg, tether_time now, int status, const tether_coap_msg *resp);

/* Build and queue the request; b2: the Block2 option to ask for, or NULL. */
static int send_request(client *c, tether_time now, const tether_coap_block *b2)
{
    tether_coap_builder b;
    int rc;

    rc = tether_coap_msg_begin(c->coap, &b, TETHER_COAP_CON, c->method, NULL, 0);
    if (rc != 0)
        return rc;
    tether_coap_build_path(&b, TETHER_COAP_OPT_URI_PATH, c->path);
    if (c->has_body)
        tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_CONTENT_FORMAT, TETHER_FMT_TEXT);
    for (size_t i = 0; i < c->nqueries; i++)
        tether_coap_build_opt_str(&b, TETHER_COAP_OPT_URI_QUERY, c->queries[i]);
    if (b2 != NULL)
        tether_coap_build_block(&b, TETHER_COAP_OPT_BLOCK2, b2);
    if (c->has_body && b2 == NULL) {
        rc = tether_block1_tx_write(&c->tx, &b);
        if (rc != 0)
            return rc;
    }
    return tether_coap_msg_send(c->coap, now, &c->peer, &b, 0, on_done, c, NULL);
}

static void finish(client *c, int status, const tether_coap_msg *resp)
{
    c->done = 1;
    c->status = status;
    if (resp != NULL)
        c->code = resp->code;
}

static void on_done(void *arg, tether_time now, int status, const tether_coap_msg *resp)
{
    client *c = arg;
    tether_block2_rx_result r;
    int rc, more = 0;

    if (status != 0 || resp == NULL) {
        finish(c, status != 0 ? status : TETHER_ERR_INTERNAL, NULL);
        return;
    }
    if (c->has_body && !c->tx_done) {
        rc = tether_block1_tx_on_response(&c->tx, resp, &more);
        if (rc != 0) {
            finish(c, rc, resp);
            return;
        }
        if (more) {
            rc = send_request(c, now, NULL);
            if (rc != 0)
                finish(c, rc, resp);
            return;
        }
        c->tx_done = 1; /* resp is the answer to the whole body */
    }
    if (TETHER_COAP_CLASS(resp->code) != 2) {
        size_t n = resp->payload_len < sizeof(c->errbody) ? resp->payload_len : sizeof(c->errbody);
        if (n > 0)
            memcpy(c->errbody, resp->payload, n);
        c->payload = c->errbody;
        c->payload_len = n;
        finish(c, 0, resp);
        return;
    }
    rc = tether_block2_rx_feed(&c->rx, resp, &r);
    if (rc != 0) {
        finish(c, rc, resp);
        return;
    }
    if (!r.complete && c->method == TETHER_COAP_GET) {
        rc = send_request(c, now, &r.next);
        if (rc != 0)
            finish(c, rc, resp);
        return;
    }
    c->payload = c->rxbuf;
    c->payload_len = r.len;
    finish(c, 0, resp);
}

static void usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s [-m get|post|put|delete] [-e TEXT | -u N] [-b SIZE] [-o FILE] "
            "[-T SECONDS] URI\n",
            argv0);
    exit(2);
}

int main(int argc, char **argv)
{
    static client c;
    tether_coap_config cfg;
    tether_coap_callbacks cb = {NULL, NULL};
    tether_udp *udp = NULL;
    const char *text = NULL, *outfile = NULL;
    long upload = -1, bsize = 1024, seconds = 20;
    uint8_t *body = NULL;
    void *mem;
    tether_time end;
    tether_coap_block first;
    char codestr[5];
    int opt, rc;

    c.method = TETHER_COAP_GET;
    while ((opt = getopt(argc, argv, "m:e:u:b:o:T:")) != -1) {
        switch (opt) {
        case 'm':
            if (strcasecmp(optarg, "get") == 0) c.method = TETHER_COAP_GET;
            else if (strcasecmp(optarg, "post") == 0) c.method = TETHER_COAP_POST;
            else if (strcasecmp(optarg, "put") == 0) c.method = TETHER_COAP_PUT;
            else if (strcasecmp(optarg, "delete") == 0) c.method = TETHER_COAP_DELETE;
            else usage(argv[0]);
            break;
        case 'e': text = optarg; break;
        case 'u': upload = strtol(optarg, NULL, 10); break;
        case 'b':
            bsize = strtol(optarg, NULL, 10);
            c.ask_szx = 1;
            break;
        case 'o': outfile = optarg; break;
        case 'T': seconds = strtol(optarg, NULL, 10); break;
        default: usage(argv[0]);
        }
    }
    if (optind != argc - 1 || (text != NULL && upload >= 0) || upload > (1L << 24) ||
        seconds <= 0)
        usage(argv[0]);
    for (c.szx = 0; c.szx < 6 && TETHER_COAP_BLOCK_SIZE(c.szx) < (size_t)bsize; c.szx++)
        ;
    if (TETHER_COAP_BLOCK_SIZE(c.szx) != (size_t)bsize)
        usage(argv[0]);

    if (text != NULL) {
        c.body = (const uint8_t *)text;
        c.body_len = strlen(text);
        c.has_body = 1;
    } else if (upload >= 0) {
        body = malloc((size_t)upload + 1);
        if (body == NULL)
            return 1;
        for (long i = 0; i < upload; i++)
            body[i] = (uint8_t)('A' + i % 26);
        c.body = body;
        c.body_len = (size_t)upload;
        c.has_body = 1;
    }
    if (c.has_body && tether_block1_tx_init(&c.tx, c.body, c.body_len, c.szx) != 0) {
        fprintf(stderr, "tcoap_client: body too large\n");
        return 2;
    }
    c.rxbuf = malloc(RX_CAP);
    if (c.rxbuf == NULL || tether_block2_rx_init(&c.rx, c.rxbuf, RX_CAP, c.szx) != 0)
        return 1;
    if (parse_target(&c, argv[optind]) != 0) {
        fprintf(stderr, "tcoap_client: bad URI %s\n", argv[optind]);
        return 2;
    }

    tether_coap_config_default(&cfg);
    cfg.rand = tether_os_random;
    mem = malloc(tether_coap_mem_size(&cfg));
    if (mem == NULL || tether_coap_init(&c.coap, mem, tether_coap_mem_size(&cfg), &cfg, &cb, &c) != 0)
        return 1;
    rc = tether_udp_new(&udp, NULL);
    if (rc == 0)
        rc = tether_udp_connect(udp, argv[optind], &c.peer);
    if (rc != 0) {
        fprintf(stderr, "tcoap_client: %s: %s\n", tether_err_name(rc), tether_udp_errmsg(udp));
        return 1;
    }

    end = tether_os_now_ms() + (tether_time)seconds * 1000u;
    /* A GET with -b asks for that block size from the start (RFC 7959 §2.4). */
    if (c.method == TETHER_COAP_GET && c.ask_szx && tether_block2_rx_next(&c.rx, &first) == 0)
        rc = send_request(&c, tether_os_now_ms(), &first);
    else
        rc = send_request(&c, tether_os_now_ms(), NULL);
    if (rc != 0) {
        fprintf(stderr, "tcoap_client: cannot send: %s\n", tether_strerror(rc));
        return 1;
    }
    while (!c.done && tether_os_now_ms() < end) {
        rc = tether_udp_run_once(udp, &tether_udp_coap_ops, c.coap, 100);
        if (rc != 0) {
            fprintf(stderr, "tcoap_client: %s: %s\n", tether_err_name(rc), tether_udp_errmsg(udp));
            return 1;
        }
    }
    if (!c.done) {
        fprintf(stderr, "tcoap_client: no answer within %ld s\n", seconds);
        return 1;
    }
    if (c.code == 0) {
        fprintf(stderr, "tcoap_client: %s\n", tether_strerror(c.status));
        return 1;
    }
    if (outfile != NULL) {
        FILE *f = fopen(outfile, "wb");
        if (f == NULL || fwrite(c.payload, 1, c.payload_len, f) != c.payload_len) {
            fprintf(stderr, "tcoap_client: cannot write %s\n", outfile);
            return 1;
        }
        fclose(f);
    }
    printf("code=%s len=%zu fnv1a=%08x\n", tether_coap_code_str(c.code, codestr), c.payload_len,
           (unsigned)fnv1a(c.payload, c.payload_len));
    if (c.status != 0)
        fprintf(stderr, "tcoap_client: block-wise transfer failed: %s\n", tether_strerror(c.status));
    tether_udp_free(udp);
    tether_coap_fini(c.coap);
    free(mem);
    free(body);
    free(c.rxbuf);
    return c.status != 0;
}
