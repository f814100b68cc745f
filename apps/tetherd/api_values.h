/* SPDX-License-Identifier: Apache-2.0 */
/* Content nodes (api_values.c): the JSON of docs/API.md ("kind": obj /
 * instance / singleResource / multiResource / resourceInstance) to and
 * from typed values. Needs cJSON and libtether only -- no libmicrohttpd --
 * so tests/fuzz/fuzz_api_values.c compiles it as it is. */
#ifndef TETHERD_API_VALUES_H
#define TETHERD_API_VALUES_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "tether/lwm2m.h"
#include "tether/model.h"
#include "tether/server.h"

/* The content node for the values of an answer to a request on req. */
cJSON *api_values_node(const tether_model_registry *models, const tether_lwm2m_path *req,
                       const tether_server_value *v, size_t n);
/* Leshan's name of a CoAP response code ("CONTENT", "NOT_FOUND"). */
const char *api_status_name(uint8_t code);
/* The Leshan type name of a value type ("INTEGER"). */
const char *api_type_name(int type);

/* Records for a Write / Create of node at path req (create: a Create on
 * /o or /o/i). *recs (n of them, free() it) has views into node's strings
 * (opaque hex is decoded in place), so node outlives them. *has_id: the
 * instance id came from the node or the URL (else the paths use 0). why: a
 * sentence on error. Returns 0, TETHER_ERR_INVAL or TETHER_ERR_NOMEM. */
int api_values_records(const tether_model_registry *models, const tether_lwm2m_path *req,
                       cJSON *node, int create, tether_lwm2m_record **recs, size_t *n,
                       int *has_id, char *why, size_t why_cap);

#endif /* TETHERD_API_VALUES_H */
