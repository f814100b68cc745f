/* SPDX-License-Identifier: Apache-2.0 */
/* The REST API's URL parsing as pure functions (api_parse.c): the
 * /api/clients/{ep}/{path}[/suffix] route and the values of ?format=,
 * ?timeout= and the ?pmin= .. ?st= attributes. No libmicrohttpd, no cJSON:
 * tetherd's http.c / api_dm.c and tests/fuzz/fuzz_api_parse.c compile the
 * same file. Every function takes its input with a length or as a
 * NUL-terminated query value (libmicrohttpd hands those out) and
 * returns 0 or a negative value. */
#ifndef TETHERD_API_PARSE_H
#define TETHERD_API_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "tether/lwm2m.h"
#include "tether/server.h"

/* A device-management request's target, from what follows the endpoint
 * name: "/3/0/1", "/3/0/1/observe" (a trailing '/' is dropped). */
typedef struct api_dm_target {
    tether_lwm2m_path p;
    char path[64];      /* the LwM2M path as text, NUL-terminated */
    const char *suffix; /* "", "discover", "attributes" or "observe" (static) */
    /* On error: the part of the input the error message quotes. */
    size_t bad_off, bad_len;
} api_dm_target;

#define API_PARSE_NO_SUCH_SUFFIX (-1) /* .../name with an unknown name: 404 */
#define API_PARSE_BAD_PATH (-2)       /* not an LwM2M path (or too long): 400 */

/* Parse rest (len bytes, need not be NUL-terminated) into *t (owned by the
 * caller, always written). Returns 0, API_PARSE_NO_SUCH_SUFFIX or
 * API_PARSE_BAD_PATH. */
int api_parse_dm_target(const char *rest, size_t len, api_dm_target *t);

/* Decode n bytes of s (%XY escapes) into out (room for n + 1; out may be
 * s), as libmicrohttpd does: a '%' not followed by two hex digits stays.
 * Returns the decoded length; *nul is set when out holds a NUL before its
 * end (%00, or a NUL byte in s). */
size_t api_pct_decode(const char *s, size_t n, char *out, int *nul);

/* Split url (len bytes, still escaped) after "/api/clients/": the endpoint
 * name, its raw segment decoded, into name (NUL-terminated, at most
 * TETHER_SERVER_EP_MAX bytes) and *rest_off, the offset of the '/' that
 * follows the raw segment, or len when none. Returns 0, or -1 when the
 * name is empty, too long or holds a NUL once decoded. */
int api_parse_client_ep(const char *url, size_t len, char name[TETHER_SERVER_EP_MAX + 1],
                        size_t *rest_off);

/* ?format=: s (NULL when absent) a content-format name (TEXT, OPAQUE, TLV,
 * JSON, SENML_JSON, SENML_CBOR, CBOR, LINK; any case) or a number 0..65535.
 * *ct: TETHER_SERVER_NO_FORMAT when s is NULL or "". Returns 0 or -1. */
int api_parse_format(const char *s, uint32_t *ct);

/* ?timeout=: s (NULL when absent) seconds, decimals allowed, 0 < t <= 3600;
 * *ms the default (def_ms) when absent. Returns 0 or -1. */
int api_parse_timeout(const char *s, uint32_t def_ms, uint32_t *ms);

/* A query argument by name: NULL when absent, "" for "?x" and "?x=". */
typedef const char *(*api_arg_fn)(void *user, const char *name);

/* Write-Attributes from ?pmin= ?pmax= (seconds) ?gt= ?lt= ?st= (numbers);
 * an empty value clears the attribute. *a: owned by the caller. why: a
 * sentence on error. Returns 0, or -1 when a value is bad or none is given. */
int api_parse_attrs(api_arg_fn arg, void *user, tether_server_attrs *a, char *why, size_t cap);

#endif /* TETHERD_API_PARSE_H */
