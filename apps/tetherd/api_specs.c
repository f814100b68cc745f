/* SPDX-License-Identifier: Apache-2.0 */
/* GET /api/objectspecs[/{id}]: the object models tetherd knows (the
 * built-in core objects and --models), as JSON, in ascending object id. */
#include "http_internal.h"

#include <stdlib.h>
#include <string.h>

static const char *type_word(int type)
{
    switch (type) {
    case TETHER_LWM2M_STRING: return "string";
    case TETHER_LWM2M_INTEGER: return "integer";
    case TETHER_LWM2M_UNSIGNED: return "unsigned";
    case TETHER_LWM2M_FLOAT: return "float";
    case TETHER_LWM2M_BOOLEAN: return "boolean";
    case TETHER_LWM2M_OPAQUE: return "opaque";
    case TETHER_LWM2M_TIME: return "time";
    case TETHER_LWM2M_OBJLNK: return "objlnk";
    case TETHER_LWM2M_CORELNK: return "corelnk";
    default: return "none";
    }
}

static cJSON *spec_json(const tether_model_object *o)
{
    cJSON *j = cJSON_CreateObject(), *a;

    cJSON_AddNumberToObject(j, "id", o->id);
    cJSON_AddStringToObject(j, "name", o->name);
    cJSON_AddStringToObject(j, "instancetype", o->multiple ? "multiple" : "single");
    cJSON_AddBoolToObject(j, "mandatory", o->mandatory != 0);
    cJSON_AddStringToObject(j, "version", o->version);
    cJSON_AddStringToObject(j, "urn", o->urn);
    cJSON_AddStringToObject(j, "description", o->description);
    a = cJSON_AddArrayToObject(j, "resources");
    for (size_t i = 0; i < o->n_resources; i++) {
        const tether_model_resource *r = &o->resources[i];
        cJSON *rj = cJSON_CreateObject();
        cJSON_AddNumberToObject(rj, "id", r->id);
        cJSON_AddStringToObject(rj, "name", r->name);
        cJSON_AddStringToObject(rj, "operations", tether_model_ops_name(r->ops));
        cJSON_AddStringToObject(rj, "instancetype", r->multiple ? "multiple" : "single");
        cJSON_AddBoolToObject(rj, "mandatory", r->mandatory != 0);
        cJSON_AddStringToObject(rj, "type", type_word(r->type));
        cJSON_AddStringToObject(rj, "range", r->range);
        cJSON_AddStringToObject(rj, "units", r->units);
        cJSON_AddStringToObject(rj, "description", r->description);
        cJSON_AddItemToArray(a, rj);
    }
    return j;
}

enum MHD_Result api_specs(tetherd_http *h, struct MHD_Connection *c, const char *rest)
{
    if (rest[0] == '/' && rest[1] != '\0') {
        char *end;
        unsigned long id = strtoul(rest + 1, &end, 10);
        const tether_model_object *o;
        if (rest[1] < '0' || rest[1] > '9' || *end != '\0' || id > 65534)
            return http_reply_error(c, MHD_HTTP_BAD_REQUEST, "'%s' is not an object id",
                                    rest + 1);
        o = tether_model_find(h->models, (uint16_t)id);
        if (o == NULL)
            return http_reply_error(c, MHD_HTTP_NOT_FOUND, "no object model for object %lu",
                                    id);
        return http_reply_json(c, MHD_HTTP_OK, spec_json(o));
    }
    {
        cJSON *a = cJSON_CreateArray();
        size_t n = tether_model_count(h->models);
        for (size_t i = 0; i < n; i++)
            cJSON_AddItemToArray(a, spec_json(tether_model_at(h->models, i)));
        return http_reply_json(c, MHD_HTTP_OK, a);
    }
}
