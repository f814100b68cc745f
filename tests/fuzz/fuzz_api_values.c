/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz tetherd's REST API content nodes (apps/tetherd/api_values.c): a
 * Write / Create body (JSON, docs/API.md) becomes records, typed by the
 * node's "type" or by the object models. Input:
 *   byte 0: bits 0-1 the models (0 none, 1 built-in, 2 built-in plus
 *           tests/server/models/good), bit 2 create
 *   byte 1: the request path's length (mod 5; mod 3 for a create)
 *   bytes 2-9: object, instance, resource and resource instance ids
 *           (big endian, 65535 -> 65534)
 *   the rest: the JSON body
 * Checked: a refusal leaves a NUL-terminated sentence and no records;
 * every record lies under the request path and below resource level. And
 * the round trip: where the records have distinct paths none of which is
 * a prefix of another, no valueless (NONE) record, integers within 2^53
 * and finite floats, api_values_node() of them, printed and parsed again,
 * gives the same records back (a string JSON cannot carry comes back as
 * OPAQUE bytes). */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "api_values.h"
#include "tether/err.h"
#include "tether/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            __builtin_trap();                                                                      \
    } while (0)

static tether_model_registry *reg_builtin, *reg_good;

static void load_models(void)
{
    size_t n = 0;

    if (reg_builtin != NULL)
        return;
    CHECK(tether_model_registry_new(&reg_builtin, NULL, NULL) == 0);
    CHECK(tether_model_registry_new(&reg_good, NULL, NULL) == 0);
    CHECK(tether_model_load_dir(reg_good, TETHER_FUZZ_MODELS_DIR, &n) == 0 && n > 0);
}

static int by_path(const void *a, const void *b)
{
    const tether_lwm2m_record *x = a, *y = b;
    return tether_lwm2m_path_compare(&x->path, &y->path);
}

static int is_bytes(int t)
{
    return t == TETHER_LWM2M_STRING || t == TETHER_LWM2M_CORELNK || t == TETHER_LWM2M_OPAQUE;
}

/* Whether the round trip is expected to hold for r (sorted by path). */
static int round_trips(const tether_lwm2m_record *r, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        const tether_lwm2m_value *v = &r[k].value;
        if (v->type == TETHER_LWM2M_NONE)
            return 0;
        if ((v->type == TETHER_LWM2M_INTEGER || v->type == TETHER_LWM2M_TIME) &&
            (v->i >= (INT64_C(1) << 53) || v->i <= -(INT64_C(1) << 53)))
            return 0;
        if (v->type == TETHER_LWM2M_UNSIGNED && v->u >= (UINT64_C(1) << 53))
            return 0;
        if (k > 0 && tether_lwm2m_path_is_prefix(&r[k - 1].path, &r[k].path))
            return 0;
    }
    return 1;
}

static void same_value(const tether_lwm2m_value *a, const tether_lwm2m_value *b)
{
    if (is_bytes(a->type)) {
        CHECK(a->type == TETHER_LWM2M_OPAQUE ? b->type == TETHER_LWM2M_OPAQUE
                                             : (b->type == TETHER_LWM2M_STRING ||
                                                b->type == TETHER_LWM2M_OPAQUE));
        CHECK(a->bytes.len == b->bytes.len);
        CHECK(a->bytes.len == 0 || memcmp(a->bytes.ptr, b->bytes.ptr, a->bytes.len) == 0);
        return;
    }
    CHECK(a->type == b->type);
    switch (a->type) {
    case TETHER_LWM2M_INTEGER:
    case TETHER_LWM2M_TIME: CHECK(a->i == b->i); break;
    case TETHER_LWM2M_UNSIGNED: CHECK(a->u == b->u); break;
    case TETHER_LWM2M_FLOAT: CHECK(a->f == b->f); break;
    case TETHER_LWM2M_BOOLEAN: CHECK(a->b == b->b); break;
    case TETHER_LWM2M_OBJLNK:
        CHECK(a->lnk.obj == b->lnk.obj && a->lnk.inst == b->lnk.inst);
        break;
    default: CHECK(0);
    }
}

static void round_trip(const tether_model_registry *models, const tether_lwm2m_path *req,
                       tether_lwm2m_record *r, size_t n)
{
    tether_server_value *sv;
    tether_lwm2m_record *r2 = NULL;
    tether_lwm2m_path rp = *req;
    cJSON *node, *node2;
    char *text, why[256];
    size_t n2 = 0;
    int has_id = 0;

    if (!round_trips(r, n))
        return;
    if (rp.len < TETHER_LWM2M_INSTANCE)
        rp = tether_lwm2m_path_make(2, r[0].path.ids[0], r[0].path.ids[1], 0, 0);
    sv = calloc(n, sizeof(*sv));
    CHECK(sv != NULL);
    for (size_t k = 0; k < n; k++) {
        sv[k].path = r[k].path;
        sv[k].value = r[k].value;
    }
    /* Out without models: the node's type is each value's own. */
    node = api_values_node(NULL, &rp, sv, n);
    text = cJSON_PrintUnformatted(node);
    CHECK(text != NULL);
    node2 = cJSON_Parse(text);
    CHECK(node2 != NULL);
    CHECK(api_values_records(models, &rp, node2, 0, &r2, &n2, &has_id, why, sizeof(why)) == 0);
    CHECK(n2 == n);
    qsort(r2, n2, sizeof(*r2), by_path);
    for (size_t k = 0; k < n; k++) {
        CHECK(tether_lwm2m_path_compare(&r[k].path, &r2[k].path) == 0);
        same_value(&r[k].value, &r2[k].value);
    }
    free(r2);
    cJSON_Delete(node2);
    cJSON_free(text);
    cJSON_Delete(node);
    free(sv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const tether_model_registry *models;
    tether_lwm2m_record *r = (tether_lwm2m_record *)1; /* must not be touched on error */
    tether_lwm2m_path req;
    uint16_t ids[4];
    size_t n = 7777;
    char why[256];
    cJSON *node;
    int create, has_id = 0, err;

    if (size < 10)
        return 0;
    load_models();
    models = (data[0] & 3) == 0 ? NULL : (data[0] & 3) == 1 ? reg_builtin : reg_good;
    create = (data[0] >> 2) & 1;
    for (size_t k = 0; k < 4; k++) {
        ids[k] = (uint16_t)(data[2 + 2 * k] << 8 | data[3 + 2 * k]);
        if (ids[k] == 65535)
            ids[k] = 65534;
    }
    /* Create is on /o or /o/i only (api_dm.c routes /o/i/r to Execute). */
    req = tether_lwm2m_path_make(create ? data[1] % 3 : data[1] % 5, ids[0], ids[1], ids[2],
                                 ids[3]);
    node = cJSON_ParseWithLength((const char *)data + 10, size - 10);
    if (node == NULL)
        return 0;
    memset(why, 'x', sizeof(why));
    err = api_values_records(models, &req, node, create, &r, &n, &has_id, why, sizeof(why));
    if (err != 0) {
        CHECK(err == TETHER_ERR_INVAL || err == TETHER_ERR_NOMEM);
        CHECK(memchr(why, '\0', sizeof(why)) != NULL && why[0] != '\0');
        CHECK(r == (tether_lwm2m_record *)1 && n == 7777);
        cJSON_Delete(node);
        return 0;
    }
    CHECK(n > 0 && r != NULL);
    for (size_t k = 0; k < n; k++) {
        const tether_lwm2m_path *p = &r[k].path;
        CHECK(p->len >= TETHER_LWM2M_RESOURCE && p->len <= TETHER_LWM2M_RINSTANCE);
        CHECK(p->ids[0] == req.ids[0]);
        for (size_t l = 0; l < p->len; l++)
            CHECK(p->ids[l] <= 65534);
        if (req.len >= TETHER_LWM2M_INSTANCE)
            CHECK(tether_lwm2m_path_is_prefix(&req, p) || tether_lwm2m_path_compare(&req, p) == 0);
        CHECK(p->ids[1] == r[0].path.ids[1]);
        if (r[k].value.type == TETHER_LWM2M_FLOAT)
            CHECK(isfinite(r[k].value.f));
        if (r[k].value.type == TETHER_LWM2M_BOOLEAN)
            CHECK(r[k].value.b <= 1);
    }
    qsort(r, n, sizeof(*r), by_path);
    round_trip(models, &req, r, n);
    free(r);
    cJSON_Delete(node);
    return 0;
}
