/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz typed decoding with the object models: the first byte picks a
 * request path (object, depth), the rest is a TLV payload decoded at that
 * path with the built-in models, then the same bytes as text/plain and as
 * opaque. Checks: every record lies under the request, its views point
 * into the payload, a value with err 0 has the model's type, and a failed
 * decode called back nothing. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tether/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
    if (!cond)
        __builtin_trap();
}

typedef struct ctx {
    const tether_lwm2m_path *req;
    const uint8_t *buf;
    size_t len, n;
} ctx;

static void check_record(const ctx *c, const tether_model_record *r)
{
    check(tether_lwm2m_path_valid(&r->path));
    check(r->path.len >= 3 && r->path.len <= 4);
    check(tether_lwm2m_path_is_prefix(c->req, &r->path) ||
          tether_lwm2m_path_equal(c->req, &r->path));
    if (r->value.type == TETHER_LWM2M_STRING || r->value.type == TETHER_LWM2M_OPAQUE) {
        if (r->value.bytes.len > 0)
            check(r->value.bytes.ptr >= c->buf &&
                  r->value.bytes.ptr + r->value.bytes.len <= c->buf + c->len);
    }
    if (r->err == 0 && r->res != NULL) {
        int want = r->res->type == TETHER_LWM2M_CORELNK ? TETHER_LWM2M_STRING : r->res->type;
        check(r->value.type == want);
    }
    if (r->res == NULL)
        check(r->err != 0);
}

static int on_record(void *user, const tether_model_record *r)
{
    ctx *c = user;
    check_record(c, r);
    c->n++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint16_t objs[] = {0, 1, 3, 4, 5, 6, 7, 3303};
    static tether_model_registry *reg;
    tether_lwm2m_path req;
    tether_model_record rec;
    ctx c;
    int rc;

    if (reg == NULL && tether_model_registry_new(&reg, NULL, NULL) != 0)
        return 0;
    if (size < 1)
        return 0;
    req = tether_lwm2m_path_make((uint8_t)(1 + (data[0] & 3)), objs[(data[0] >> 2) & 7], 0,
                                 (uint16_t)((data[0] >> 5) & 7), 1);
    data++;
    size--;
    memset(&c, 0, sizeof(c));
    c.req = &req;
    c.buf = data;
    c.len = size;
    rc = tether_model_decode_tlv(reg, &req, data, size, on_record, &c);
    if (rc != 0)
        check(c.n == 0);
    if (req.len >= 3) {
        check(tether_model_decode_text(reg, &req, data, size, &rec) == 0);
        check_record(&c, &rec);
        c.n = 0;
        check(tether_model_decode(reg, TETHER_FMT_OPAQUE, &req, data, size, on_record, &c) == 0);
        check(c.n == 1);
    }
    return 0;
}
