/* SPDX-License-Identifier: Apache-2.0 */
/* LwM2M basics shared by the server and the client engines: paths, typed
 * values, the text/plain and opaque content formats, binding and version
 * strings, and the Register / Update query parameters.
 *
 * Everything here is a pure function over caller memory: nothing is
 * allocated, nothing is kept after a call returns, and every parser takes a
 * (buf, len) pair, reads nothing past it, needs no NUL and leaves its output
 * untouched when it fails. String and opaque values, and query parameter
 * values, are views (pointer + length) into the buffer that was parsed: the
 * caller keeps that buffer alive for as long as it uses the view.
 *
 * Link-format (RFC 6690 as LwM2M uses it) is in tether/lwm2m_link.h, OMA-TLV
 * in tether/lwm2m_tlv.h, LwM2M JSON in tether/lwm2m_json.h, SenML JSON and
 * CBOR in tether/lwm2m_senml.h, CBOR in tether/lwm2m_cbor.h, and choosing
 * among them by Content-Format in tether/lwm2m_fmt.h. The engines decide
 * what a failure means on the wire; the contracts below say which CoAP
 * answer the spec expects.
 */
#ifndef TETHER_LWM2M_H
#define TETHER_LWM2M_H

#include <stddef.h>
#include <stdint.h>

#include "tether/coap.h"
#include "tether/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- paths (LwM2M 1.0 §6.1, §8.2.2) ------------------------------------ */

/* 65535 is reserved (LwM2M 1.0 §6.1: MAX_ID) and never a valid id in a
 * path; an Objlnk value may still hold it (65535:65535 is the null link). */
#define TETHER_LWM2M_ID_MAX 65534u
#define TETHER_LWM2M_ID_RESERVED 65535u

/* Path depth: 0 is the root "/", then object, instance, resource, resource
 * instance. */
enum tether_lwm2m_level {
    TETHER_LWM2M_ROOT = 0,
    TETHER_LWM2M_OBJECT = 1,
    TETHER_LWM2M_INSTANCE = 2,
    TETHER_LWM2M_RESOURCE = 3,
    TETHER_LWM2M_RINSTANCE = 4,
};

/* /ids[0]/ids[1]/.../ids[len-1]; ids at and after len are 0. */
typedef struct tether_lwm2m_path {
    uint16_t ids[4];
    uint8_t len; /* 0..4, a tether_lwm2m_level */
} tether_lwm2m_path;

/* The longest path string, "/65534/65534/65534/65534", plus its NUL. */
#define TETHER_LWM2M_PATH_STR_MAX 25

/* A path of depth len (0..4) from the first len ids; the others are zeroed.
 * Does not validate: check with tether_lwm2m_path_valid(). */
tether_lwm2m_path tether_lwm2m_path_make(uint8_t len, uint16_t obj, uint16_t inst,
                                         uint16_t res, uint16_t rinst);

/* Nonzero when len <= 4, no id in use is 65535, and unused ids are 0. */
int tether_lwm2m_path_valid(const tether_lwm2m_path *p);

/* Parse "/3/0/1". "/" is the root. Each segment is decimal 0..65534 without
 * sign or leading zeros ("0" itself is fine); no trailing '/', no empty
 * segment, at most four segments.
 * p: out, untouched on error. s: borrowed, len bytes, no NUL needed.
 * Returns 0 or TETHER_ERR_MALFORMED. */
int tether_lwm2m_path_parse(tether_lwm2m_path *p, const char *s, size_t len);

/* The path of a request: its Uri-Path options (RFC 7252 §5.10.1), after the
 * client's root path. root: borrowed NUL-terminated, "" or NULL or "/" for
 * none, else segments like "lwm2m" or "a/b" (a leading '/' is ignored, so
 * the "/lwm2m" that tether_lwm2m_link_root() reports works as it is); the
 * request's first segments must equal them. Each remaining segment as in tether_lwm2m_path_parse().
 * p: out, untouched on error. msg: borrowed.
 * Returns 0, TETHER_ERR_NOT_FOUND (the path is not under root: answer 4.04),
 * or TETHER_ERR_MALFORMED (a segment is not an id, or more than four: 4.00
 * or 4.04 as the engine prefers). */
int tether_lwm2m_path_from_msg(tether_lwm2m_path *p, const tether_coap_msg *msg,
                               const char *root);

/* Add Uri-Path options for root (as above) then the path's ids.
 * b: the builder; its sticky error rules apply. Returns 0 or its error;
 * TETHER_ERR_INVAL when p is not valid. */
int tether_lwm2m_path_build(tether_coap_builder *b, const tether_lwm2m_path *p,
                            const char *root);

/* Write "/3/0/1" ("/" for the root) and a NUL into out.
 * out: cap bytes (TETHER_LWM2M_PATH_STR_MAX always suffices); len: out,
 * may be NULL, gets the length without the NUL.
 * Returns 0, TETHER_ERR_INVAL (p not valid) or TETHER_ERR_NOSPACE (out
 * untouched in both cases). */
int tether_lwm2m_path_format(const tether_lwm2m_path *p, char *out, size_t cap, size_t *len);

/* Nonzero when a and b are the same path. */
int tether_lwm2m_path_equal(const tether_lwm2m_path *a, const tether_lwm2m_path *b);

/* Nonzero when prefix is p or one of its ancestors (the root is a prefix of
 * everything): "does an operation on prefix cover p". */
int tether_lwm2m_path_is_prefix(const tether_lwm2m_path *prefix, const tether_lwm2m_path *p);

/* Total order: id by id, an ancestor before its descendants
 * (/1 < /1/0 < /1/0/0 < /1/1 < /2). Returns <0, 0 or >0 like strcmp. */
int tether_lwm2m_path_compare(const tether_lwm2m_path *a, const tether_lwm2m_path *b);

/* --- typed values (LwM2M 1.0 appendix C, 1.1 adds Unsigned Integer) ----- */

/* The data type of a value, and of a resource in an object definition
 * (where NONE marks an Executable resource, which has no value). */
typedef enum tether_lwm2m_type {
    TETHER_LWM2M_NONE = 0,
    TETHER_LWM2M_STRING = 1,
    TETHER_LWM2M_INTEGER = 2,
    TETHER_LWM2M_FLOAT = 3,
    TETHER_LWM2M_BOOLEAN = 4,
    TETHER_LWM2M_OPAQUE = 5,
    TETHER_LWM2M_TIME = 6,     /* seconds since 1970-01-01 UTC, signed */
    TETHER_LWM2M_OBJLNK = 7,   /* object:instance, 65535:65535 is "no link" */
    TETHER_LWM2M_UNSIGNED = 8, /* LwM2M 1.1 Unsigned Integer */
    TETHER_LWM2M_CORELNK = 9,  /* LwM2M 1.1 Corelnk: a String holding CoRE
                                  link-format (RFC 6690). Object definitions
                                  use it; the codecs here do not, and carry
                                  such a value as a STRING. */
} tether_lwm2m_type;

/* Alias used by object definitions. */
typedef tether_lwm2m_type tether_lwm2m_datatype;

/* Operations a resource definition allows (LwM2M 1.0 appendix D tables). */
enum tether_lwm2m_ops {
    TETHER_LWM2M_OP_R = 1,
    TETHER_LWM2M_OP_W = 2,
    TETHER_LWM2M_OP_RW = 3,
    TETHER_LWM2M_OP_E = 4,
};

/* A borrowed run of bytes: a string (UTF-8, no NUL counted or required) or
 * opaque data, or a query parameter's value. Valid while the buffer it
 * points into lives. ptr may be NULL only when len is 0. */
typedef struct tether_lwm2m_view {
    const uint8_t *ptr;
    size_t len;
} tether_lwm2m_view;

typedef struct tether_lwm2m_objlnk {
    uint16_t obj;
    uint16_t inst;
} tether_lwm2m_objlnk;

/* A typed value. type picks the member:
 *   INTEGER, TIME -> i      UNSIGNED -> u     FLOAT -> f
 *   BOOLEAN -> b (0 or 1)   STRING, OPAQUE -> bytes (borrowed view)
 *   OBJLNK -> lnk           NONE -> nothing */
typedef struct tether_lwm2m_value {
    uint8_t type; /* tether_lwm2m_type */
    union {
        int64_t i;
        uint64_t u;
        double f;
        uint8_t b;
        tether_lwm2m_view bytes;
        tether_lwm2m_objlnk lnk;
    };
} tether_lwm2m_value;

/* Value constructors. s/p: kept by the value's view, so the caller keeps the
 * bytes alive while the value is used; tether_lwm2m_value_cstr() counts
 * strlen(s). */
tether_lwm2m_value tether_lwm2m_value_int(int64_t v);
tether_lwm2m_value tether_lwm2m_value_uint(uint64_t v);
tether_lwm2m_value tether_lwm2m_value_float(double v);
tether_lwm2m_value tether_lwm2m_value_bool(int v);
tether_lwm2m_value tether_lwm2m_value_time(int64_t v);
tether_lwm2m_value tether_lwm2m_value_objlnk(uint16_t obj, uint16_t inst);
tether_lwm2m_value tether_lwm2m_value_string(const void *s, size_t len);
tether_lwm2m_value tether_lwm2m_value_cstr(const char *s);
tether_lwm2m_value tether_lwm2m_value_opaque(const void *p, size_t len);

/* "Integer", "String", ... ; "?" for anything else. Static storage. */
const char *tether_lwm2m_type_name(int type);

/* The value in as a value of type (a resource's type from its object
 * definition), for values that came out of a typed content format (LwM2M
 * JSON, SenML, CBOR), which carry the type the sender chose rather than the
 * resource's:
 *   same type                      copied
 *   INTEGER, TIME, UNSIGNED        to each other when the number fits, and
 *                                  to FLOAT (rounded to the nearest double)
 *   FLOAT                          to INTEGER, TIME, UNSIGNED when integral
 *                                  and in range ("v":1.0 for an integer)
 *   STRING -> OBJLNK               "obj:inst", each decimal 0..65535
 *   STRING -> OPAQUE               base64 (RFC 4648 §4, '=' padding optional,
 *                                  zero trailing bits), as LwM2M JSON "sv"
 *                                  carries opaque data; decoded into scratch
 * Everything else (BOOLEAN from anything but BOOLEAN, a NONE input, a
 * STRING for a number...) is a mismatch. For a CORELNK resource ask for
 * STRING: the codecs carry Corelnk as text.
 * in, out: borrowed; out may be in; untouched on error. scratch: cap bytes,
 * only used for base64; the result's view points into it (kept). scratch
 * may be the input's own bytes (decoding works in place) but must not
 * overlap them otherwise.
 * Returns 0, TETHER_ERR_MALFORMED (mismatch, out of range, bad base64: the
 * spec answers 4.00), TETHER_ERR_NOSPACE (scratch too small) or
 * TETHER_ERR_INVAL (type is NONE, CORELNK or unknown). */
int tether_lwm2m_value_convert(const tether_lwm2m_value *in, int type, uint8_t *scratch,
                               size_t cap, tether_lwm2m_value *out);

/* --- records ---------------------------------------------------------------
 *
 * One (path, value) pair as a content-format decoder yields it
 * (tether/lwm2m_fmt.h, and the per-format iterators). */

/* Where a record's value came from when the format carries no type. */
typedef enum tether_lwm2m_raw {
    TETHER_LWM2M_RAW_NONE = 0,   /* typed: value.type is what the format said */
    TETHER_LWM2M_RAW_TEXT = 1,   /* text/plain bytes: decode by the resource type */
    TETHER_LWM2M_RAW_TLV = 2,    /* an OMA-TLV entry's value bytes */
    TETHER_LWM2M_RAW_OPAQUE = 3, /* application/octet-stream: OPAQUE only */
} tether_lwm2m_raw;

typedef struct tether_lwm2m_record {
    tether_lwm2m_path path; /* full and valid: base name + name resolved */
    /* raw == NONE: the value with the type the format carries (a JSON
     * number is INTEGER, UNSIGNED or FLOAT by its spelling), or type NONE
     * for a record that names a node without a value (a SenML record with
     * only a name; an empty TLV object instance or multiple resource).
     * raw != NONE: an OPAQUE view of the undecoded value bytes; use
     * tether_lwm2m_record_value() (tether/lwm2m_fmt.h) with the type. */
    tether_lwm2m_value value;
    double time;      /* seconds, base time + time as sent; when has_time */
    uint8_t has_time; /* a time or base time applied to this record */
    uint8_t raw;      /* tether_lwm2m_raw */
} tether_lwm2m_record;

/* Nonzero when buf[0..len) is well-formed UTF-8 (RFC 3629: no overlongs, no
 * surrogates, nothing past U+10FFFF). The decoders below do not call it: a
 * string is bytes to them; engines that must refuse bad text (R19) do. */
int tether_lwm2m_utf8_valid(const uint8_t *buf, size_t len);

/* --- text/plain, content format 0 (LwM2M 1.0 §6.4.1) -------------------
 *
 *   Integer, Time   decimal, optional '-' ("-42"); int64 range
 *   Unsigned        decimal digits; uint64 range
 *   Float           decimal with optional sign, fraction and exponent
 *                   ("-1.5", "2e3"); no inf, nan or hex; must be finite
 *   Boolean         "0" or "1"
 *   Objlnk          "obj:inst", each decimal 0..65535
 *   String          the bytes themselves (UTF-8, not checked)
 *   Opaque          not representable in text: TETHER_ERR_UNSUPPORTED
 *
 * The float text is independent of the C locale in both directions. A
 * firmware build with TETHER_LWM2M_NO_FLOAT_TEXT (tether/client_config.h)
 * has no float text: Float is then TETHER_ERR_UNSUPPORTED like Opaque. */

/* Nonzero when text/plain is a format for a resource of type in this
 * build: every value type but Opaque (Corelnk travels as its String), and
 * Float only without TETHER_LWM2M_NO_FLOAT_TEXT. */
int tether_lwm2m_text_supports(int type);

/* Decode buf as a value of type. out: untouched on error; for STRING its
 * view points into buf (kept). buf: len bytes, no NUL needed.
 * Returns 0, TETHER_ERR_MALFORMED (syntax or range: the spec answers 4.00),
 * TETHER_ERR_UNSUPPORTED (tether_lwm2m_text_supports() says no), or
 * TETHER_ERR_INVAL (NONE, unknown type). */
int tether_lwm2m_text_decode(const uint8_t *buf, size_t len, int type, tether_lwm2m_value *out);

/* Encode v as text into out (no NUL). out: cap bytes; len: out.
 * Floats are written in the shortest form that reads back to the same
 * double ("0.1", "1e+100"). Returns 0, TETHER_ERR_NOSPACE (*len untouched),
 * TETHER_ERR_UNSUPPORTED (OPAQUE) or TETHER_ERR_INVAL (NONE, non-finite
 * float, boolean not 0/1). */
int tether_lwm2m_text_encode(const tether_lwm2m_value *v, uint8_t *out, size_t cap, size_t *len);

/* --- application/octet-stream, content format 42 (LwM2M 1.0 §6.4.2) ---- */

/* Opaque is the raw bytes: out becomes an OPAQUE view of buf (kept).
 * Returns 0, or TETHER_ERR_UNSUPPORTED when type is not OPAQUE. */
int tether_lwm2m_opaque_decode(const uint8_t *buf, size_t len, int type, tether_lwm2m_value *out);

/* Decode a single value in content format fmt (TETHER_FMT_TEXT or
 * TETHER_FMT_OPAQUE); the other formats carry records (tether/lwm2m_fmt.h
 * decodes every format, these two included). Returns what the format's decoder returns, or TETHER_ERR_UNSUPPORTED
 * for any other fmt (the spec answers 4.15). */
int tether_lwm2m_single_decode(uint32_t fmt, const uint8_t *buf, size_t len, int type,
                               tether_lwm2m_value *out);

/* --- versions and bindings (LwM2M 1.0 §5.3.1.1, 1.1 §6.2.1.1) ----------- */

typedef enum tether_lwm2m_version {
    TETHER_LWM2M_V1_0 = 0x10,
    TETHER_LWM2M_V1_1 = 0x11,
    TETHER_LWM2M_V1_2 = 0x12,
} tether_lwm2m_version;

/* Parse the "lwm2m" parameter: "1.0", "1.1", "1.2".
 * v: out, untouched on error. s: borrowed, len bytes.
 * Returns 0, TETHER_ERR_UNSUPPORTED (a well-formed "major.minor" we do not
 * speak, like "1.3" or "2.0": the server answers 4.12), or
 * TETHER_ERR_MALFORMED (anything else, e.g. "", "1", "1.0.1", "v1.0": 4.00). */
int tether_lwm2m_version_parse(const char *s, size_t len, tether_lwm2m_version *v);

/* "1.0", "1.1", "1.2"; "?" for anything else. Static storage. */
const char *tether_lwm2m_version_str(int v);

/* Binding letters as flags. */
enum tether_lwm2m_binding_flag {
    TETHER_LWM2M_BIND_U = 0x01, /* UDP */
    TETHER_LWM2M_BIND_S = 0x02, /* SMS */
    TETHER_LWM2M_BIND_Q = 0x04, /* queue mode, only inside a 1.0 binding */
    TETHER_LWM2M_BIND_T = 0x08, /* TCP (1.1) */
    TETHER_LWM2M_BIND_N = 0x10, /* Non-IP (1.1) */
    TETHER_LWM2M_BIND_M = 0x20, /* MQTT (1.2) */
    TETHER_LWM2M_BIND_H = 0x40, /* HTTP (1.2) */
};

/* Parse a binding string ("b" parameter, Server resource /1/x/7) for
 * version v into flags.
 *   1.0: exactly one of U, UQ, S, SQ, US, UQS (R17; case-sensitive, no
 *        spaces, nothing else).
 *   1.1: one or more of U, T, S, N, each at most once, any order.
 *   1.2: the same letters plus M (MQTT) and H (HTTP), which 1.2 added.
 *   Q is not accepted from 1.1 on: 1.1 moved queue mode to its own "Q"
 *   parameter (1.1 §6.2.1.1), and a legacy "UQ" from a client that claims
 *   1.1 is a client bug we would rather report than guess at.
 * flags: out, untouched on error; may be NULL. s: borrowed, len bytes.
 * Returns 0, TETHER_ERR_MALFORMED (the server answers 4.00), or
 * TETHER_ERR_INVAL (v is not a tether_lwm2m_version). Implements R17. */
int tether_lwm2m_binding_parse(const char *s, size_t len, int v, uint8_t *flags);

/* Nonzero when s is a valid binding for version v (see above). R17. */
int tether_lwm2m_binding_valid(const char *s, size_t len, int v);

/* Write the flags back as a binding string for version v, in the canonical
 * order (1.0: "U", "UQ", "S", "SQ", "US", "UQS"; 1.1+: U T S N M H), with a
 * NUL. Returns 0, TETHER_ERR_INVAL (flags not valid for v) or
 * TETHER_ERR_NOSPACE. 8 bytes always suffice. */
int tether_lwm2m_binding_format(uint8_t flags, int v, char *out, size_t cap);

/* --- Register / Update query (LwM2M 1.0 §5.3.1 Table 6, §8.2.3) ---------
 *
 * Register:  POST /rd?ep={name}&lt={s}&lwm2m={v}&b={binding}&sms={msisdn}[&Q]
 * Update:    POST /rd/{id}?lt={s}&b={binding}&sms={msisdn}
 *
 * Each parameter is one Uri-Query option "key=value" (a CoAP option value is
 * already unescaped: no percent-decoding). Unknown keys are ignored (they
 * may come from a later version); a key seen twice is an error. */

enum tether_lwm2m_query_field {
    TETHER_LWM2M_Q_EP = 0x01,
    TETHER_LWM2M_Q_LT = 0x02,
    TETHER_LWM2M_Q_LWM2M = 0x04,
    TETHER_LWM2M_Q_B = 0x08,
    TETHER_LWM2M_Q_SMS = 0x10,
    TETHER_LWM2M_Q_QUEUE = 0x20, /* the bare "Q" parameter (1.1) */
};

/* Register / Update parameters. Views point into the parsed message's
 * buffer (kept). A field is meaningful only when its bit is in present. */
typedef struct tether_lwm2m_reg_query {
    uint8_t present; /* tether_lwm2m_query_field bits */
    tether_lwm2m_view ep;
    uint32_t lt; /* 1 .. 4294967295 seconds */
    tether_lwm2m_view lwm2m;
    tether_lwm2m_view b;
    tether_lwm2m_view sms;
    /* Derived by the parser, always set on success: */
    uint8_t version;  /* tether_lwm2m_version: "lwm2m", or 1.0 when absent
                         (Register), or the version passed in (Update) */
    uint8_t binding;  /* flags of "b"; 0 when b is absent (Update) and
                         TETHER_LWM2M_BIND_U when absent from a Register */
    uint8_t queue;    /* 1.0: Q inside b; 1.1+: the Q parameter */
} tether_lwm2m_reg_query;

/* Why a query was refused, for the error sentence and for tests. */
typedef enum tether_lwm2m_query_error {
    TETHER_LWM2M_QERR_NONE = 0,
    TETHER_LWM2M_QERR_EP_MISSING,        /* Register without ep (R13) */
    TETHER_LWM2M_QERR_EP_EMPTY,          /* "ep=" (R13) */
    TETHER_LWM2M_QERR_LT_BAD,            /* not decimal 1..4294967295 */
    TETHER_LWM2M_QERR_LWM2M_BAD,         /* not "major.minor" */
    TETHER_LWM2M_QERR_LWM2M_UNSUPPORTED, /* well-formed, not 1.0..1.2 */
    TETHER_LWM2M_QERR_B_BAD,             /* not a valid binding (R17) */
    TETHER_LWM2M_QERR_SMS_EMPTY,         /* "sms=" */
    TETHER_LWM2M_QERR_Q_VALUE,           /* "Q=..." : Q takes no value */
    TETHER_LWM2M_QERR_DUPLICATE,         /* a known key given twice */
    TETHER_LWM2M_QERR_NOT_ALLOWED,       /* ep or lwm2m in an Update */
} tether_lwm2m_query_error;

/* A lower-case sentence for a tether_lwm2m_query_error. Static storage. */
const char *tether_lwm2m_query_strerror(int why);

typedef enum tether_lwm2m_reg_op {
    TETHER_LWM2M_REGISTER = 0,
    TETHER_LWM2M_UPDATE = 1,
} tether_lwm2m_reg_op;

/* Parse and validate the Uri-Query options of a Register or Update.
 * op: TETHER_LWM2M_REGISTER (ep required; "lwm2m" gives the version, default
 *     1.0, R17) or TETHER_LWM2M_UPDATE (ep and lwm2m are not allowed;
 *     version names the registration's version, used to check "b").
 * q: out, untouched on error. msg: borrowed; the views in *q point into its
 * buffer. why: out, may be NULL; set on every return (NONE on success).
 * Returns 0, or
 *   TETHER_ERR_UNSUPPORTED  lwm2m names a version we do not speak (4.12);
 *   TETHER_ERR_MALFORMED    any other refusal, *why says which (4.00);
 *   TETHER_ERR_INVAL        op or version out of range.
 * Implements R13, R16, R17. */
int tether_lwm2m_reg_query_parse(const tether_coap_msg *msg, int op, int version,
                                 tether_lwm2m_reg_query *q, tether_lwm2m_query_error *why);

/* The longest "key=value" Uri-Query option the builder writes. */
#ifndef TETHER_LWM2M_QUERY_OPT_MAX
#define TETHER_LWM2M_QUERY_OPT_MAX 255
#endif

/* Add the parameters present in q as Uri-Query options, in the order ep, lt,
 * lwm2m, b, sms, Q (the derived fields are not used: set the views). Call
 * after any Uri-Path and Content-Format options (CoAP options ascend).
 * b: the builder, sticky error rules apply. q: borrowed.
 * Returns 0, the builder's error, or TETHER_ERR_TOO_LARGE (a "key=value"
 * longer than TETHER_LWM2M_QUERY_OPT_MAX), TETHER_ERR_INVAL (lt == 0). */
int tether_lwm2m_reg_query_build(tether_coap_builder *b, const tether_lwm2m_reg_query *q);

#ifdef __cplusplus
}
#endif
#endif /* TETHER_LWM2M_H */
