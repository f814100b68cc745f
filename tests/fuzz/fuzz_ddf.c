/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the OMA DDF loader: any bytes either load or fail with a sentence,
 * never crash; a failed load leaves the registry exactly as it was, and a
 * successful one leaves only well-formed definitions that can be found by
 * id and decode a TLV payload (the input itself) without harm. */
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

static int count_record(void *user, const tether_model_record *rec)
{
    check(rec->path.len >= 3);
    (*(size_t *)user)++;
    return 0;
}

static int check_object(void *user, const tether_model_object *o)
{
    const tether_model_registry *reg = user;

    check(tether_model_find(reg, o->id) == o);
    check(o->name != NULL && o->urn != NULL && o->version != NULL &&
          o->lwm2m_version != NULL && o->description != NULL);
    check(o->id <= TETHER_LWM2M_ID_MAX);
    for (size_t i = 0; i < o->n_resources; i++) {
        const tether_model_resource *r = &o->resources[i];
        check(r->name != NULL && r->name[0] != '\0');
        check(r->range != NULL && r->units != NULL && r->description != NULL);
        check(i == 0 || r->id > o->resources[i - 1].id);
        check(tether_model_resource_find(o, r->id) == r);
        check(r->ops <= TETHER_LWM2M_OP_E && r->type <= TETHER_LWM2M_CORELNK);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tether_model_registry *reg;
    size_t before, records = 0;
    int rc;

    if (tether_model_registry_new(&reg, NULL, NULL) != 0)
        return 0;
    before = tether_model_count(reg);
    rc = tether_model_load_ddf(reg, "fuzz.xml", data, size);
    if (rc != 0) {
        const char *msg = tether_model_errmsg(reg);
        check(msg[0] != '\0' && strlen(msg) < TETHER_MODEL_ERRMSG_MAX);
        check(strchr(msg, '\n') == NULL);
        check(tether_model_count(reg) == before);
    } else {
        check(tether_model_count(reg) >= before);
    }
    check(tether_model_foreach(reg, check_object, reg) == 0);
    for (size_t i = 0; i < tether_model_count(reg); i++) {
        tether_lwm2m_path p = tether_lwm2m_path_make(1, tether_model_at(reg, i)->id, 0, 0, 0);
        (void)tether_model_decode_tlv(reg, &p, data, size, count_record, &records);
    }
    tether_model_registry_free(reg);
    return 0;
}
