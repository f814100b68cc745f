/* SPDX-License-Identifier: Apache-2.0 */
/* CoRE link-format (RFC 6690) as LwM2M uses it: the object list of a
 * Register / Update payload (LwM2M 1.0 §5.3.1, 1.1 §6.2.1) and Discover
 * answers (1.0 §5.4.2), parsed by an iterator and written by a writer, both
 * in caller memory with no allocation.
 *
 * Grammar accepted (a strict subset of RFC 6690 §2, no whitespace anywhere):
 *
 *   payload = entry *( "," entry )
 *   entry   = "<" uri ">" *( ";" attr )
 *   uri     = "/" | 1*( "/" segment )        segment = 1*( uri char )
 *   attr    = name [ "=" ( token | quoted ) ]
 *   quoted  = DQUOTE *( char but DQUOTE or "\" | "\" char ) DQUOTE
 *
 * What an entry means: the entry carrying rt="oma.lwm2m" names the
 * client's root path (`</>;rt="oma.lwm2m";ct=11543`, or an alternate root
 * such as `</lwm2m>;rt="oma.lwm2m"`); without one the root is "/". The
 * other entries are LwM2M paths under that root: </3>, </3/0> and, in a
 * Discover answer, </3/0/1> and </3/0/6/1>. An entry outside the root, or
 * whose first segment below it does not start with a digit (</lwm2m/3/0>
 * when the root is "/", </1/0> when it is "/lwm2m", </foo>), is foreign:
 * RFC 6690 lets a client list other resources, so it is skipped and only
 * counted (tether_lwm2m_link_foreign_count), rather than failing a whole
 * registration. One that does start with a digit must be a valid path.
 * The iterator validates the whole payload when it starts, so the root is
 * known before the first entry comes out (the root entry may come last)
 * and tether_lwm2m_link_next() cannot fail afterwards.
 *
 * Checked when the iterator starts (TETHER_ERR_MALFORMED otherwise): an
 * empty payload or entry, a '<' without '>', anything between '>' and ';' /
 * ',' / the end, a trailing ',', an unbalanced quote or a dangling '\', a
 * segment that is not decimal 0..65534 (no sign, no leading zeros) or more
 * than four of them in a path (</3/a>, </65535>, </1/2/3/4/5>, </3/>), two
 * root entries, a root path ending in '/', and known
 * attributes with bad values: ver (major.minor), ct (content format 0..65535,
 * or a quoted space-separated list of them), pmin / pmax / dim (decimal
 * uint32), gt / lt / st (decimal number).
 *
 * Security Object entries (</0>, </0/1>) are reported like any other
 * entry: R18 forbids a client to list them, and the server engine decides
 * whether to drop them or refuse the registration; is_security marks them.
 */
#ifndef TETHER_LWM2M_LINK_H
#define TETHER_LWM2M_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "tether/err.h"
#include "tether/lwm2m.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The longest alternate root path accepted, in bytes ("/lwm2m" is 6). */
#ifndef TETHER_LWM2M_LINK_ROOT_MAX
#define TETHER_LWM2M_LINK_ROOT_MAX 64
#endif

/* One entry. Views point into the iterated payload (kept). */
typedef struct tether_lwm2m_link {
    tether_lwm2m_view uri;   /* between '<' and '>', e.g. "/lwm2m/3/0" */
    tether_lwm2m_path path;  /* relative to the root; len 0 for the root entry */
    uint8_t is_root;         /* the rt="oma.lwm2m" entry (path.len == 0) */
    uint8_t is_security;     /* path.ids[0] == 0 (R18) */
    uint8_t has_ver;         /* ver attribute present */
    uint8_t ver_major, ver_minor;
    tether_lwm2m_view ct;    /* ct attribute, quotes stripped; len 0 if absent */
    tether_lwm2m_view rt;    /* rt attribute, quotes stripped; len 0 if absent */
    tether_lwm2m_view attrs; /* every ";..." after '>', for tether_lwm2m_link_attr_next */
} tether_lwm2m_link;

/* Iterator state: private. */
typedef struct tether_lwm2m_link_iter {
    const uint8_t *p, *end;
    tether_lwm2m_view root; /* "" for "/", else like "/lwm2m" */
    uint8_t has_root_entry;
    size_t count;          /* entries, the root entry excluded */
    size_t security_count; /* of those, under object 0 */
    size_t foreign_count;  /* entries skipped as not LwM2M paths */
} tether_lwm2m_link_iter;

/* Validate a whole payload and position the iterator before its first
 * entry. it: out, untouched on error. buf: kept by it and by every entry's
 * views; len bytes, no NUL needed.
 * Returns 0 or TETHER_ERR_MALFORMED (see the list above). */
int tether_lwm2m_link_iter_init(tether_lwm2m_link_iter *it, const uint8_t *buf, size_t len);

/* The next entry, in payload order, the root entry included (is_root),
 * foreign entries skipped.
 * Returns 0, or TETHER_ERR_NOT_FOUND after the last one (e untouched). */
int tether_lwm2m_link_next(tether_lwm2m_link_iter *it, tether_lwm2m_link *e);

/* The root path: "" (len 0) when it is "/", else e.g. "/lwm2m". The view
 * points into the payload. */
tether_lwm2m_view tether_lwm2m_link_root(const tether_lwm2m_link_iter *it);

/* Number of LwM2M path entries (the root entry and foreign ones
 * excluded); number of those that name the Security Object (R18); number
 * of foreign entries skipped. Known after init. */
size_t tether_lwm2m_link_count(const tether_lwm2m_link_iter *it);
size_t tether_lwm2m_link_security_count(const tether_lwm2m_link_iter *it);
size_t tether_lwm2m_link_foreign_count(const tether_lwm2m_link_iter *it);

/* Nonzero when the entry names the Security Object or one of its instances
 * (R18: a client must not list it). */
int tether_lwm2m_link_is_security(const tether_lwm2m_link *e);

/* Walk an entry's attributes. *pos: start at 0; advanced by each call.
 * name, value: out views; value has quotes stripped (escapes kept as sent)
 * and is len 0 for a bare attribute ("dim" in ";dim"). has_value: out, may
 * be NULL. Returns 0, or TETHER_ERR_NOT_FOUND after the last one. */
int tether_lwm2m_link_attr_next(const tether_lwm2m_link *e, size_t *pos,
                                tether_lwm2m_view *name, tether_lwm2m_view *value,
                                int *has_value);

/* Find attribute name (NUL-terminated) in the entry; see attr_next.
 * Returns 0 or TETHER_ERR_NOT_FOUND. */
int tether_lwm2m_link_attr_find(const tether_lwm2m_link *e, const char *name,
                                tether_lwm2m_view *value);

/* Walk a ct value's content formats ("11543", or "60 110 11542" from a
 * quoted list). *pos: start at 0. Returns 0, or TETHER_ERR_NOT_FOUND at
 * the end. Validated by iter_init, so it cannot fail otherwise. */
int tether_lwm2m_link_ct_next(const tether_lwm2m_link *e, size_t *pos, uint16_t *fmt);

/* --- writing -------------------------------------------------------------
 *
 * A writer appends entries to a caller buffer with a sticky error, like
 * tether_coap_builder: after the first failure every call does nothing and
 * the error comes back from tether_lwm2m_link_writer_finish(). Entries are
 * separated by ',' automatically; attributes go to the last entry.
 *
 *   tether_lwm2m_link_writer_init(&w, buf, sizeof(buf), "/lwm2m");
 *   tether_lwm2m_link_write_root(&w, TETHER_FMT_TLV);   </lwm2m>;rt="oma.lwm2m";ct=11542
 *   tether_lwm2m_link_write_path(&w, &p_1_0);           ,</lwm2m/1/0>
 *   tether_lwm2m_link_write_path(&w, &p_3303);          ,</lwm2m/3303>
 *   tether_lwm2m_link_write_attr_token(&w, "ver", "1.1", 3);   ;ver=1.1
 *   tether_lwm2m_link_writer_finish(&w, &len);
 */
typedef struct tether_lwm2m_link_writer {
    uint8_t *buf;
    size_t cap;
    size_t len;
    const char *root; /* kept; "" for "/" */
    uint8_t entries;  /* nonzero once an entry is written */
    int err;          /* sticky */
} tether_lwm2m_link_writer;

/* Start writing. buf: kept until finish; cap bytes. root: kept until
 * finish, NULL or "" or "/" for the plain root, else "/name[/name...]"
 * with no trailing '/'. Returns 0 or TETHER_ERR_INVAL (bad root, which
 * is then the sticky error). */
int tether_lwm2m_link_writer_init(tether_lwm2m_link_writer *w, uint8_t *buf, size_t cap,
                                  const char *root);

/* The root entry: `<root>;rt="oma.lwm2m"` then `;ct=fmt` when fmt >= 0
 * (LwM2M 1.0 §5.3.1: the client names its preferred format this way, e.g.
 * 11543 for JSON). The plain root is written "</>". */
int tether_lwm2m_link_write_root(tether_lwm2m_link_writer *w, int32_t fmt);

/* An entry `<root/ids...>`. p: borrowed, valid, depth 1..4.
 * Returns 0 or the sticky error (TETHER_ERR_INVAL for a bad path). */
int tether_lwm2m_link_write_path(tether_lwm2m_link_writer *w, const tether_lwm2m_path *p);

/* Attributes on the last entry (TETHER_ERR_STATE before any entry).
 * name: borrowed, 1+ chars of [A-Za-z0-9._-] (else TETHER_ERR_INVAL).
 *   flag    ;name
 *   uint    ;name=123           (pmin, pmax, dim, ct)
 *   float   ;name=1.5           (gt, lt, st: shortest round-trip form)
 *   token   ;name=value         value: borrowed, 1+ chars, none of
 *                               , ; " \ < > space or control (else INVAL)
 *   quoted  ;name="value"       value: borrowed, any bytes; '"' and '\'
 *                               are escaped with '\' */
int tether_lwm2m_link_write_attr_flag(tether_lwm2m_link_writer *w, const char *name);
int tether_lwm2m_link_write_attr_uint(tether_lwm2m_link_writer *w, const char *name, uint32_t v);
int tether_lwm2m_link_write_attr_float(tether_lwm2m_link_writer *w, const char *name, double v);
int tether_lwm2m_link_write_attr_token(tether_lwm2m_link_writer *w, const char *name,
                                       const char *value, size_t len);
int tether_lwm2m_link_write_attr_quoted(tether_lwm2m_link_writer *w, const char *name,
                                        const char *value, size_t len);

/* The length written (no NUL is added). Returns 0 or the first error
 * (TETHER_ERR_NOSPACE, TETHER_ERR_INVAL, TETHER_ERR_STATE). */
int tether_lwm2m_link_writer_finish(const tether_lwm2m_link_writer *w, size_t *len);

#ifdef __cplusplus
}
#endif
#endif /* TETHER_LWM2M_LINK_H */
