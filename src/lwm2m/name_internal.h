/* SPDX-License-Identifier: Apache-2.0 */
/* Record names shared by the LwM2M JSON and SenML codecs (LwM2M 1.0 §6.4.4,
 * 1.1 §7.4.4, RFC 8428 §4.5.1): a record's path is its base name and name
 * concatenated as text, and a writer picks one base name for a payload from
 * the base path and the first record. */
#ifndef TETHER_LWM2M_NAME_INTERNAL_H
#define TETHER_LWM2M_NAME_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tether/lwm2m.h"

/* Longest base name + name that can still be a path ("/65534/..." plus a
 * spare separator); longer ones are refused without being parsed. */
#define TETHER_NAME_MAX (2 * TETHER_LWM2M_PATH_STR_MAX)

/* Parse bn + n as a path. Either may be NULL with length 0. The empty
 * name and anything tether_lwm2m_path_parse() refuses is
 * TETHER_ERR_MALFORMED; p untouched on error. */
int tether_name_resolve(const uint8_t *bn, size_t bn_len, const uint8_t *n, size_t n_len,
                        tether_lwm2m_path *p);

enum tether_name_mode {
    TETHER_NAME_UNSET = 0,
    TETHER_NAME_ROOT = 1,  /* no base name: full paths as names */
    TETHER_NAME_EXACT = 2, /* base name is the base path ("/3/0/0") */
    TETHER_NAME_SLASH = 3, /* base name is the base path and '/' ("/3/0/") */
};

/* Pick the base name for a payload whose base path is base and whose first
 * record is at first (under base; NULL when there is none): ROOT for the
 * root, EXACT when first is the base, else SLASH. bn: out, TETHER_LWM2M_PATH_STR_MAX + 1 bytes, no
 * NUL; bn_len: out. Returns the mode. */
int tether_name_base(const tether_lwm2m_path *base, const tether_lwm2m_path *first, char *bn,
                     size_t *bn_len);

/* The name of p under the base name chosen with mode: p's text without the
 * base name's. name: out, TETHER_LWM2M_PATH_STR_MAX bytes, no NUL.
 * Returns 0, or TETHER_ERR_INVAL when p is not valid or not under it. */
int tether_name_rel(const tether_lwm2m_path *base, int mode, const tether_lwm2m_path *p,
                    char *name, size_t *name_len);

#endif /* TETHER_LWM2M_NAME_INTERNAL_H */
