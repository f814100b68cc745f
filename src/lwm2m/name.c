/* SPDX-License-Identifier: Apache-2.0 */
/* Record names for LwM2M JSON and SenML: resolving base name + name into a
 * path, and the writers' choice of base name. Resolution is textual, as the
 * specs define it ("/3/0/1" + "1/0" is "/3/0/11/0"), then strict: the
 * result must be a canonical path. */
#include "name_internal.h"

#include <string.h>

#include "tether_poison.h"

int tether_name_resolve(const uint8_t *bn, size_t bn_len, const uint8_t *n, size_t n_len,
                        tether_lwm2m_path *p)
{
    char tmp[TETHER_NAME_MAX];

    if (bn_len + n_len == 0 || bn_len > sizeof(tmp) || n_len > sizeof(tmp) - bn_len)
        return TETHER_ERR_MALFORMED;
    if (bn_len > 0)
        memcpy(tmp, bn, bn_len);
    if (n_len > 0)
        memcpy(tmp + bn_len, n, n_len);
    return tether_lwm2m_path_parse(p, tmp, bn_len + n_len) == 0 ? 0 : TETHER_ERR_MALFORMED;
}

int tether_name_base(const tether_lwm2m_path *base, const tether_lwm2m_path *first, char *bn,
                     size_t *bn_len)
{
    char tmp[TETHER_LWM2M_PATH_STR_MAX];
    size_t n = 0;

    if (base->len == 0) {
        *bn_len = 0;
        return TETHER_NAME_ROOT;
    }
    (void)tether_lwm2m_path_format(base, tmp, sizeof(tmp), &n);
    memcpy(bn, tmp, n);
    if (first != NULL && tether_lwm2m_path_equal(base, first)) {
        *bn_len = n;
        return TETHER_NAME_EXACT;
    }
    bn[n++] = '/';
    *bn_len = n;
    return TETHER_NAME_SLASH;
}

int tether_name_rel(const tether_lwm2m_path *base, int mode, const tether_lwm2m_path *p,
                    char *name, size_t *name_len)
{
    char full[TETHER_LWM2M_PATH_STR_MAX], bt[TETHER_LWM2M_PATH_STR_MAX];
    size_t fn, bl = 0;

    if (!tether_lwm2m_path_valid(p) || !tether_lwm2m_path_is_prefix(base, p))
        return TETHER_ERR_INVAL;
    (void)tether_lwm2m_path_format(p, full, sizeof(full), &fn);
    if (mode == TETHER_NAME_ROOT) {
        memcpy(name, full, fn);
        *name_len = fn;
        return 0;
    }
    (void)tether_lwm2m_path_format(base, bt, sizeof(bt), &bl);
    if (mode == TETHER_NAME_SLASH) {
        /* The base name ends in '/': p must lie strictly below the base. */
        if (p->len == base->len)
            return TETHER_ERR_INVAL;
        bl++;
    }
    memcpy(name, full + bl, fn - bl);
    *name_len = fn - bl;
    return 0;
}
