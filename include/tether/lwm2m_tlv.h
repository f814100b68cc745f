/* SPDX-License-Identifier: Apache-2.0 */
/* OMA-TLV, the LwM2M binary content format (LwM2M 1.0 §6.4.3; content
 * format 11542, legacy 1542): a decoder that iterates entries over a caller
 * buffer, nested for object instances and multiple resources, and an
 * encoder that writes entries, nested ones included, into a caller buffer.
 * No allocation; values are views into the decoded buffer.
 *
 * One entry:
 *
 *     7 6   5   4 3   2 1 0
 *   +-----+---+-----+-------+----------------+-----------------+-------+
 *   |type |idw|lentp| len3  | id: 8 or 16 bit| length: 0,8,16, | value |
 *   +-----+---+-----+-------+  big-endian    | 24 bit BE       |       |
 *                            +----------------+-----------------+-------+
 *   type  00 object instance     (value: resource / multiple resource TLVs)
 *         01 resource instance   (value: the instance's value)
 *         10 multiple resource   (value: resource instance TLVs)
 *         11 resource with value (value: the resource's value)
 *   idw   0: id is 8 bits, 1: id is 16 bits
 *   lentp 00: length is len3 (0..7), 01/10/11: length follows in 8/16/24 bits
 *
 * Strict validation (tether_tlv_validate(), and each iterator step for its
 * own level): every header and value lies inside its parent; a 16-bit id is
 * not 65535 (the 3 length bits are ignored when a length field follows, as
 * the spec leaves them unused there); nesting
 * is only object instance > resource / multiple resource > resource
 * instance; nothing trails the last entry. Iteration stops at the first
 * malformed entry and keeps failing from there.
 *
 * Values (LwM2M 1.0 §6.4.3.1, appendix C):
 *   Integer, Time   1, 2, 4 or 8 bytes, two's complement, big-endian
 *   Unsigned (1.1)  1, 2, 4 or 8 bytes, big-endian
 *   Float           4 or 8 bytes, IEEE 754 binary32 / binary64, big-endian
 *   Boolean         1 byte, 0 or 1
 *   Objlnk          4 bytes: object id, instance id, 16 bits each
 *   String, Opaque  the bytes
 */
#ifndef TETHER_LWM2M_TLV_H
#define TETHER_LWM2M_TLV_H

#include <stddef.h>
#include <stdint.h>

#include "tether/err.h"
#include "tether/lwm2m.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tether_tlv_type {
    TETHER_TLV_OBJECT_INSTANCE = 0,
    TETHER_TLV_RESOURCE_INSTANCE = 1,
    TETHER_TLV_MULTIPLE_RESOURCE = 2,
    TETHER_TLV_RESOURCE = 3,
} tether_tlv_type;

/* The largest value one entry can carry (24-bit length). */
#define TETHER_TLV_LEN_MAX 0xFFFFFFu
/* The largest header: type byte, 16-bit id, 24-bit length. */
#define TETHER_TLV_HEADER_MAX 6u

/* One decoded entry; val points into the decoded buffer (kept). */
typedef struct tether_tlv_entry {
    uint8_t type; /* tether_tlv_type */
    uint16_t id;
    const uint8_t *val;
    size_t len;
} tether_tlv_entry;

/* Iterator over the entries of one level. Private fields. */
typedef struct tether_tlv_iter {
    const uint8_t *start, *p, *end;
    int8_t parent; /* -1 top level, else the tether_tlv_type entered */
    int err;       /* sticky: the first malformation seen */
} tether_tlv_iter;

/* Iterate the top level of buf. buf: kept by it and by every entry; len
 * bytes. Cannot fail; an empty buffer has no entries. */
void tether_tlv_iter_init(tether_tlv_iter *it, const uint8_t *buf, size_t len);

/* Iterate the children of an OBJECT_INSTANCE (resources and multiple
 * resources) or a MULTIPLE_RESOURCE (resource instances).
 * child: out. e: borrowed (its view keeps pointing into the buffer).
 * Returns 0, or TETHER_ERR_INVAL when e has no children (child untouched). */
int tether_tlv_iter_enter(tether_tlv_iter *child, const tether_tlv_entry *e);

/* The next entry of this level. e: out, untouched on error or at the end.
 * Returns 0, TETHER_ERR_NOT_FOUND at the end, or TETHER_ERR_MALFORMED (a
 * header or value runs past the level, a 16-bit id of 65535, or a type not
 * allowed at this level; sticky).
 * Checks only this entry's header: nested levels are checked when entered,
 * or all at once by tether_tlv_validate(). */
int tether_tlv_next(tether_tlv_iter *it, tether_tlv_entry *e);

/* Check a whole payload, every level (at most three deep), without
 * recursion. Returns 0 or TETHER_ERR_MALFORMED. */
int tether_tlv_validate(const uint8_t *buf, size_t len);

/* Find the entry of type and id at this level, from the start of the
 * iterator's level (it is not advanced). Returns 0, TETHER_ERR_NOT_FOUND or
 * TETHER_ERR_MALFORMED. */
int tether_tlv_find(const tether_tlv_iter *it, int type, uint16_t id, tether_tlv_entry *e);

/* --- values --------------------------------------------------------------
 * Each decodes val[0..len) (an entry's value) and leaves *out untouched on
 * error. Returns 0 or TETHER_ERR_MALFORMED (a length the type does not
 * allow, a boolean other than 0/1). */
int tether_tlv_decode_int(const uint8_t *val, size_t len, int64_t *out);
int tether_tlv_decode_uint(const uint8_t *val, size_t len, uint64_t *out);
int tether_tlv_decode_float(const uint8_t *val, size_t len, double *out);
int tether_tlv_decode_bool(const uint8_t *val, size_t len, uint8_t *out);
int tether_tlv_decode_objlnk(const uint8_t *val, size_t len, tether_lwm2m_objlnk *out);

/* An entry's value as type (tether_lwm2m_type). e must be a RESOURCE or a
 * RESOURCE_INSTANCE (else TETHER_ERR_INVAL). STRING and OPAQUE become views
 * into the buffer (kept). Returns 0, TETHER_ERR_MALFORMED or
 * TETHER_ERR_INVAL (NONE or unknown type). out untouched on error. */
int tether_tlv_decode_value(const tether_tlv_entry *e, int type, tether_lwm2m_value *out);

/* --- encoding ------------------------------------------------------------
 *
 * A writer with a sticky error. Nested entries: tether_tlv_begin() opens an
 * OBJECT_INSTANCE or a MULTIPLE_RESOURCE, the entries written until the
 * matching tether_tlv_end() become its value, and end() writes the final
 * header (the shortest length field), moving the value down when the
 * header reserved by begin() was longer. Headers are always the shortest:
 * 8-bit ids below 256, the 3-bit length below 8.
 *
 *   tether_tlv_writer_init(&w, buf, sizeof(buf));
 *   tether_tlv_begin(&w, TETHER_TLV_OBJECT_INSTANCE, 0);
 *     tether_tlv_write_int(&w, TETHER_TLV_RESOURCE, 1, 86400);
 *     tether_tlv_begin(&w, TETHER_TLV_MULTIPLE_RESOURCE, 6);
 *       tether_tlv_write_int(&w, TETHER_TLV_RESOURCE_INSTANCE, 0, 1);
 *     tether_tlv_end(&w);
 *   tether_tlv_end(&w);
 *   tether_tlv_writer_finish(&w, &len);
 *
 * Every write checks the type against the open level (TETHER_ERR_STATE:
 * an object instance holds RESOURCE / MULTIPLE_RESOURCE, a multiple
 * resource holds RESOURCE_INSTANCE, the top level anything) and the id
 * (TETHER_ERR_INVAL for 65535). Values longer than TETHER_TLV_LEN_MAX
 * fail with TETHER_ERR_TOO_LARGE; a full buffer with TETHER_ERR_NOSPACE. */
typedef struct tether_tlv_writer {
    uint8_t *buf;
    size_t cap;
    size_t len;
    size_t open_at[2];  /* where each open entry's reserved header starts */
    uint8_t open_type[2];
    uint16_t open_id[2];
    uint8_t depth;
    int err; /* sticky */
} tether_tlv_writer;

/* buf: kept until finish; cap bytes. */
void tether_tlv_writer_init(tether_tlv_writer *w, uint8_t *buf, size_t cap);

int tether_tlv_begin(tether_tlv_writer *w, int type, uint16_t id);
int tether_tlv_end(tether_tlv_writer *w);

/* An entry with val as its value. val: copied, len bytes. */
int tether_tlv_write_raw(tether_tlv_writer *w, int type, uint16_t id, const void *val,
                         size_t len);

/* Typed values, type RESOURCE or RESOURCE_INSTANCE (else TETHER_ERR_INVAL).
 * Integers and times take the fewest of 1, 2, 4, 8 bytes; floats take 4
 * bytes when the value is exactly a binary32, else 8; non-finite floats
 * are written as they are (IEEE 754). */
int tether_tlv_write_int(tether_tlv_writer *w, int type, uint16_t id, int64_t v);
int tether_tlv_write_uint(tether_tlv_writer *w, int type, uint16_t id, uint64_t v);
int tether_tlv_write_float(tether_tlv_writer *w, int type, uint16_t id, double v);
int tether_tlv_write_bool(tether_tlv_writer *w, int type, uint16_t id, int v);
int tether_tlv_write_objlnk(tether_tlv_writer *w, int type, uint16_t id, uint16_t obj,
                            uint16_t inst);
int tether_tlv_write_string(tether_tlv_writer *w, int type, uint16_t id, const char *s,
                            size_t len);
int tether_tlv_write_opaque(tether_tlv_writer *w, int type, uint16_t id, const void *p,
                            size_t len);

/* Any typed value by its type (NONE is TETHER_ERR_INVAL). v: borrowed. */
int tether_tlv_write_value(tether_tlv_writer *w, int type, uint16_t id,
                           const tether_lwm2m_value *v);

/* The length written. Returns 0, the first error, or TETHER_ERR_STATE when
 * a begin() has no end(). */
int tether_tlv_writer_finish(const tether_tlv_writer *w, size_t *len);

#ifdef __cplusplus
}
#endif
#endif /* TETHER_LWM2M_TLV_H */
