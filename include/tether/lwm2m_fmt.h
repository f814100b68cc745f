/* SPDX-License-Identifier: Apache-2.0 */
/* Content formats by number: one place that picks a codec for a
 * Content-Format (a const ops table per format, as Zephyr's lwm2m_rw_*),
 * and one decoder and one encoder shape over all of them, for both engines:
 *
 *   client  decodes Write / Create payloads, encodes Read / Observe answers
 *   server  decodes Read answers and notifications, encodes Write payloads
 *
 *   ct     format           records                      values
 *   0      text/plain       one, at the base path        raw text
 *   42     octet-stream     one, at the base path        raw bytes (Opaque)
 *   60     CBOR             one, at the base path        typed
 *   110    SenML JSON       many, named                  typed, timed
 *   112    SenML CBOR       many, named                  typed, timed
 *   11542  LwM2M TLV        many, ids relative to base   raw TLV values
 *   11543  LwM2M JSON       many, named                  typed, timed
 * 1542 and 1543 (the LwM2M 1.0 draft numbers of TLV and JSON) are accepted
 * and map to the same formats. Link-format (40) is not a record format:
 * see tether/lwm2m_link.h.
 *
 * Decoding yields tether_lwm2m_record (tether/lwm2m.h): a full path and a
 * value. "Typed" formats give the value with the type they carry (a JSON
 * number is INTEGER, UNSIGNED or FLOAT by its spelling); "raw" ones give
 * the undecoded bytes. Either way, tether_lwm2m_record_value() with the
 * resource's type (from its object definition) gives the value to use, and
 * says 4.00 when it does not fit. Initialisation validates the whole
 * payload and checks that every record lies under the base path (the
 * request's path), so next() never fails and a refused Write changes
 * nothing (R19).
 *
 * Encoding writes (path, value) records under a base path into a caller
 * buffer with a sticky error, in whatever shape the format needs (TLV
 * object-instance and multiple-resource entries are opened and closed as
 * the paths go; JSON and SenML get a base name). Nothing is allocated. */
#ifndef TETHER_LWM2M_FMT_H
#define TETHER_LWM2M_FMT_H

#include <stddef.h>
#include <stdint.h>

#include "tether/err.h"
#include "tether/lwm2m.h"
#include "tether/lwm2m_cbor.h"
#include "tether/lwm2m_json.h"
#include "tether/lwm2m_senml.h"
#include "tether/lwm2m_tlv.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tether_lwm2m_dec tether_lwm2m_dec;
typedef struct tether_lwm2m_enc tether_lwm2m_enc;

enum tether_lwm2m_fmt_flag {
    TETHER_LWM2M_FMT_MULTI = 0x01,  /* several records; one otherwise */
    TETHER_LWM2M_FMT_TYPED = 0x02,  /* values carry a type (raw otherwise) */
    TETHER_LWM2M_FMT_TIMED = 0x04,  /* records may carry a time */
    TETHER_LWM2M_FMT_DECODE = 0x08, /* this build can decode it */
    TETHER_LWM2M_FMT_ENCODE = 0x10, /* this build can encode it */
    TETHER_LWM2M_FMT_EMPTY = 0x20,  /* empty object instances and multiple
                                       resources are records of type NONE
                                       (TLV); other formats leave them out */
};

/* Memory the JSON decoders need (other formats ignore it). Both are kept
 * by the decoder until it is dropped; see tether_lwm2m_json_iter_init(). */
typedef struct tether_lwm2m_workspace {
    tether_json_token *tokens;
    size_t ntokens;
    uint8_t *scratch; /* unescaped strings, SenML "vd" bytes */
    size_t scratch_len;
} tether_lwm2m_workspace;

/* One content format: what it is, and its codec. Call the ops through the
 * tether_lwm2m_dec_* / tether_lwm2m_enc_* functions below. */
typedef struct tether_lwm2m_fmt {
    uint16_t ct;     /* the Content-Format to send */
    uint16_t legacy; /* another number accepted on input, or 0 */
    const char *name;
    uint8_t flags;  /* tether_lwm2m_fmt_flag */
    uint16_t types; /* bit (1 << t) for each tether_lwm2m_type t it can carry */
    int (*dec_init)(tether_lwm2m_dec *d, const uint8_t *buf, size_t len,
                    const tether_lwm2m_workspace *ws);
    int (*dec_next)(tether_lwm2m_dec *d, tether_lwm2m_record *r);
    int (*value)(const tether_lwm2m_record *r, int type, uint8_t *scratch, size_t cap,
                 tether_lwm2m_value *out);
    void (*enc_init)(tether_lwm2m_enc *e, uint8_t *buf, size_t cap);
    int (*enc_write)(tether_lwm2m_enc *e, const tether_lwm2m_path *p,
                     const tether_lwm2m_value *v, const double *t);
    int (*enc_finish)(tether_lwm2m_enc *e, size_t *len);
} tether_lwm2m_fmt;

/* The format of a Content-Format number (legacy numbers included), or NULL
 * when it is not a record format we know: the engines answer 4.15. The
 * descriptor is static. Check flags for what this build can do with it. */
const tether_lwm2m_fmt *tether_lwm2m_fmt_find(uint32_t ct);

/* The descriptors themselves, for a program that wants some formats and
 * not the others linked in (the client's footprint switches): name them
 * and pass them to tether_lwm2m_dec_start() / tether_lwm2m_enc_start(). */
extern const tether_lwm2m_fmt tether_lwm2m_fmt_text;
extern const tether_lwm2m_fmt tether_lwm2m_fmt_opaque;
extern const tether_lwm2m_fmt tether_lwm2m_fmt_cbor;
extern const tether_lwm2m_fmt tether_lwm2m_fmt_senml_json;
extern const tether_lwm2m_fmt tether_lwm2m_fmt_senml_cbor;
extern const tether_lwm2m_fmt tether_lwm2m_fmt_tlv;
extern const tether_lwm2m_fmt tether_lwm2m_fmt_json;

/* --- decoding ---------------------------------------------------------------- */

/* Private: the OMA-TLV walker behind the generic decoder. */
typedef struct tether_lwm2m_tlv_walk {
    tether_tlv_iter lv[3];
    tether_lwm2m_path at[3]; /* the path each level's entries hang from */
    uint8_t depth;
} tether_lwm2m_tlv_walk;

/* A decoder for any format: private fields. */
struct tether_lwm2m_dec {
    const tether_lwm2m_fmt *fmt;
    tether_lwm2m_path base;
    size_t count;
    union {
        tether_lwm2m_json_iter json;
        tether_senml_json_iter senml_json;
        tether_senml_cbor_iter senml_cbor;
        tether_lwm2m_tlv_walk tlv;
        struct {
            tether_lwm2m_record rec;
            uint8_t done;
        } single;
    } u;
};

/* Validate a payload of content format ct answering for (or addressed to)
 * base, and position the decoder before its first record.
 * d: out, untouched on error. base: copied; the request's path (NULL is the
 * root: a Read-Composite answer, a Send). buf: kept by d and by the records'
 * views; len bytes. ws: borrowed; its tokens and scratch are kept; may be
 * NULL for formats other than JSON and SenML JSON.
 * Records must lie under base (TETHER_ERR_MALFORMED otherwise). Single-value
 * formats need base to be a resource or resource instance (else
 * TETHER_ERR_MALFORMED: the payload cannot answer for an object); TLV needs
 * at least an object, and its entries take the ids they lack from base: a
 * Create on /3 whose TLV has no object instance entry (LwM2M 1.0 §5.4.5
 * lets the client pick the id) is decoded with base /3/<new id>.
 * Returns 0, or
 *   TETHER_ERR_UNSUPPORTED  ct is not a record format, or not in this
 *                           build: 4.15;
 *   TETHER_ERR_MALFORMED    the payload is not valid: 4.00;
 *   TETHER_ERR_TOO_LARGE    JSON: more tokens or scratch needed: 4.13;
 *   TETHER_ERR_INVAL        d NULL, base invalid, buf NULL with len > 0. */
int tether_lwm2m_dec_init(tether_lwm2m_dec *d, uint32_t ct, const tether_lwm2m_path *base,
                          const uint8_t *buf, size_t len, const tether_lwm2m_workspace *ws);

/* As tether_lwm2m_dec_init() with the format given by its descriptor f
 * (static; NULL, or one this build cannot decode: TETHER_ERR_UNSUPPORTED).
 * Links only f's codec. */
int tether_lwm2m_dec_start(tether_lwm2m_dec *d, const tether_lwm2m_fmt *f,
                           const tether_lwm2m_path *base, const uint8_t *buf, size_t len,
                           const tether_lwm2m_workspace *ws);

/* The next record. r: out; its views are valid while buf lives (and, for
 * JSON strings written with escapes and SenML JSON "vd", until the next
 * call). Returns 0, or TETHER_ERR_NOT_FOUND after the last (r untouched). */
int tether_lwm2m_dec_next(tether_lwm2m_dec *d, tether_lwm2m_record *r);

/* Number of records, known after init (TLV counts values and empty
 * containers, as next() returns them). */
size_t tether_lwm2m_dec_count(const tether_lwm2m_dec *d);

/* A record's value as a resource of type (tether_lwm2m_type): raw values
 * are decoded by their format's rules (text: tether_lwm2m_text_decode;
 * TLV: tether_tlv_decode_value; opaque: OPAQUE only), typed ones converted
 * with tether_lwm2m_value_convert() (scratch, cap for base64 as there).
 * out: untouched on error. Returns 0, TETHER_ERR_MALFORMED (the value does
 * not fit the type: 4.00), TETHER_ERR_UNSUPPORTED (text or octet-stream
 * cannot carry that type: 4.15), TETHER_ERR_NOSPACE (scratch) or
 * TETHER_ERR_INVAL (type NONE or unknown). */
int tether_lwm2m_record_value(const tether_lwm2m_record *r, int type, uint8_t *scratch,
                              size_t cap, tether_lwm2m_value *out);

/* As tether_lwm2m_record_value() for a record d returned, through d's
 * format only (so that a program links only the value decoders of the
 * formats it names). d, r: borrowed. */
int tether_lwm2m_dec_value(const tether_lwm2m_dec *d, const tether_lwm2m_record *r, int type,
                           uint8_t *scratch, size_t cap, tether_lwm2m_value *out);

/* --- encoding ---------------------------------------------------------------- */

/* Private: the OMA-TLV shaper behind the generic encoder. */
typedef struct tether_lwm2m_tlv_shape {
    tether_tlv_writer w;
    tether_lwm2m_path last; /* the previous record */
    uint8_t have_last, last_empty;
    uint8_t open_inst, open_multi;
    uint16_t inst, multi;
} tether_lwm2m_tlv_shape;

/* An encoder for any format: private fields. */
struct tether_lwm2m_enc {
    const tether_lwm2m_fmt *fmt;
    tether_lwm2m_path base;
    int err; /* sticky */
    union {
        tether_lwm2m_json_writer json;
        tether_senml_json_writer senml_json;
        tether_senml_cbor_writer senml_cbor;
        tether_lwm2m_tlv_shape tlv;
        struct {
            uint8_t *buf;
            size_t cap, len;
            uint8_t done;
        } single;
    } u;
};

/* Start a payload of content format ct for base (copied; NULL is the root).
 * buf: kept until finish; cap bytes.
 * Returns 0, TETHER_ERR_UNSUPPORTED (not a record format, or not in this
 * build), TETHER_ERR_INVAL (base invalid; for single-value formats not a
 * resource or resource instance; for TLV the root), or the format
 * writer's error (TETHER_ERR_NOSPACE). A failed init leaves e failed:
 * every later call returns the same error. */
int tether_lwm2m_enc_init(tether_lwm2m_enc *e, uint32_t ct, const tether_lwm2m_path *base,
                          uint8_t *buf, size_t cap);

/* As tether_lwm2m_enc_init() with the format given by its descriptor f
 * (static; NULL, or one this build cannot encode: TETHER_ERR_UNSUPPORTED).
 * Links only f's codec. */
int tether_lwm2m_enc_start(tether_lwm2m_enc *e, const tether_lwm2m_fmt *f,
                           const tether_lwm2m_path *base, uint8_t *buf, size_t cap);

/* Add a record at p (under base) with value v (NONE: a name without a
 * value where the format has one: SenML, and TLV empty object instances and
 * multiple resources). p, v: borrowed, bytes copied.
 * Single-value formats take one record, at the base (TETHER_ERR_STATE for a
 * second); TLV takes records in ascending path order (TETHER_ERR_STATE
 * otherwise: it would split an instance or a multiple resource).
 * Returns 0, TETHER_ERR_NOSPACE, TETHER_ERR_INVAL (p not under base, or a
 * value the format cannot write), TETHER_ERR_UNSUPPORTED (octet-stream and
 * a value that is not Opaque; text and Opaque), TETHER_ERR_STATE. */
int tether_lwm2m_enc_write(tether_lwm2m_enc *e, const tether_lwm2m_path *p,
                           const tether_lwm2m_value *v);

/* As tether_lwm2m_enc_write() with a time in seconds: formats with
 * TETHER_LWM2M_FMT_TIMED only (TETHER_ERR_UNSUPPORTED otherwise). */
int tether_lwm2m_enc_write_timed(tether_lwm2m_enc *e, const tether_lwm2m_path *p,
                                 const tether_lwm2m_value *v, double t);

/* Close the payload. len: out. Returns 0 or the first error;
 * TETHER_ERR_STATE for a single-value format with no record. */
int tether_lwm2m_enc_finish(tether_lwm2m_enc *e, size_t *len);

#ifdef __cplusplus
}
#endif
#endif /* TETHER_LWM2M_FMT_H */
