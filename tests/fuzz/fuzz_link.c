/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the link-format iterator and everything that reads its entries,
 * then write what was read back with the writer and parse that again: a
 * payload we accept must survive our own round trip. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tether/lwm2m_link.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
    if (!cond)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t out[1 << 16];
    tether_lwm2m_link_iter it, again;
    tether_lwm2m_link_writer w;
    tether_lwm2m_link e;
    tether_lwm2m_view name, val, root;
    char rootz[TETHER_LWM2M_LINK_ROOT_MAX + 1];
    size_t n = 0, sec = 0, len;
    uint16_t fmt;

    if (tether_lwm2m_link_iter_init(&it, data, size) != 0)
        return 0;
    root = tether_lwm2m_link_root(&it);
    check(root.len <= TETHER_LWM2M_LINK_ROOT_MAX);
    if (root.len > 0)
        memcpy(rootz, root.ptr, root.len);
    rootz[root.len] = '\0';
    check(tether_lwm2m_link_writer_init(&w, out, sizeof(out), rootz) == 0);
    if (it.has_root_entry)
        tether_lwm2m_link_write_root(&w, -1);

    while (tether_lwm2m_link_next(&it, &e) == 0) {
        size_t pos = 0;
        int hv;
        check(e.uri.ptr >= data && e.uri.ptr + e.uri.len <= data + size);
        check(e.attrs.ptr + e.attrs.len <= data + size);
        while (tether_lwm2m_link_attr_next(&e, &pos, &name, &val, &hv) == 0)
            check(val.ptr + val.len <= data + size);
        pos = 0;
        while (tether_lwm2m_link_ct_next(&e, &pos, &fmt) == 0)
            ;
        (void)tether_lwm2m_link_attr_find(&e, "ver", &val);
        if (e.is_root)
            continue;
        check(tether_lwm2m_path_valid(&e.path) && e.path.len >= 1);
        n++;
        sec += tether_lwm2m_link_is_security(&e);
        tether_lwm2m_link_write_path(&w, &e.path);
        if (e.has_ver) {
            char v[8];
            v[0] = (char)('0' + e.ver_major % 10);
            v[1] = '.';
            v[2] = (char)('0' + e.ver_minor % 10);
            tether_lwm2m_link_write_attr_token(&w, "ver", v, 3);
        }
    }
    check(n == tether_lwm2m_link_count(&it));
    check(sec == tether_lwm2m_link_security_count(&it));
    if (tether_lwm2m_link_writer_finish(&w, &len) == 0 && len > 0) {
        check(tether_lwm2m_link_iter_init(&again, out, len) == 0);
        check(tether_lwm2m_link_count(&again) == n);
    }
    return 0;
}
