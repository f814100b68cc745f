/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the OMA DDF loader: any bytes either load or fail with a sentence,
 * never crash; a failed load leaves the registry exactly as it was, and a
 * successful one leaves only well-formed definitions that can be found by
 * id. */
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
    size_t before;
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
    tether_model_registry_free(reg);
    return 0;
}
