/* SPDX-License-Identifier: Apache-2.0 */
/* Compile-time sizes of the LwM2M client engine (tether/client.h).
 *
 * The client allocates nothing after init: every table and string it keeps
 * is sized here, once. Each size is an #ifndef default, so a firmware build
 * overrides it with -D (scripts/footprint.sh does). Defaults are the spec's
 * maxima where the spec has one, and otherwise a stated, generous choice;
 * what happens when a value does not fit is written next to each. Per-server
 * RAM is dominated by TETHER_CLIENT_MAX_LOCATION; engine-wide RAM by the CoAP
 * exchange layer's memory (its config in tether_client_config.coap). */
#ifndef TETHER_CLIENT_CONFIG_H
#define TETHER_CLIENT_CONFIG_H

/* Server accounts: Security (/0) instances, each with at most one Server (/1)
 * instance and one registration state machine. LwM2M sets no maximum; a
 * device has a Bootstrap-Server and one or two LwM2M Servers in practice.
 * tether_client_add_server() fails with TETHER_ERR_NOMEM beyond it. */
#ifndef TETHER_CLIENT_MAX_SERVERS
#define TETHER_CLIENT_MAX_SERVERS 4
#endif

/* Application objects added with tether_client_add_object() (the built-in
 * /0, /1 and /3 do not count). Beyond it: TETHER_ERR_NOMEM. */
#ifndef TETHER_CLIENT_MAX_OBJECTS
#define TETHER_CLIENT_MAX_OBJECTS 8
#endif

/* Endpoint Client Name, without the NUL. It travels as one Uri-Query option
 * "ep=NAME", and an option value is at most 255 bytes (RFC 7252 §5.10), so
 * 255 - strlen("ep=") is the spec's own limit. Longer: TETHER_ERR_INVAL. */
#ifndef TETHER_CLIENT_MAX_ENDPOINT
#define TETHER_CLIENT_MAX_ENDPOINT (255 - 3)
#endif

/* SMS Number (MSISDN): E.164 allows 15 digits, plus a leading '+'. 0
 * compiles the sms= parameter out: tether_client_init() then refuses an
 * SMS number (TETHER_ERR_INVAL), which a device without SMS binding never
 * gives. */
#ifndef TETHER_CLIENT_MAX_SMS
#define TETHER_CLIENT_MAX_SMS (15 + 1)
#endif

/* Binding, without the NUL: the longest literal of LwM2M 1.0 §5.3.1.1 is
 * "UQS". */
#ifndef TETHER_CLIENT_MAX_BINDING
#define TETHER_CLIENT_MAX_BINDING (sizeof("UQS") - 1)
#endif

/* The registration's location (the Location-Path of 2.01 Created), stored as
 * its segments, each one length byte plus the bytes. The spec sets no limit;
 * servers answer "rd/" plus a short id (OMA's examples use 4 characters,
 * Leshan 10, tetherd 16). A longer location fails the Register (logged,
 * retried with back-off) rather than be cut. */
#ifndef TETHER_CLIENT_MAX_LOCATION
#define TETHER_CLIENT_MAX_LOCATION 64
#endif

/* The alternate root path ("/lwm2m", LwM2M 1.0 §5.3.1, "rt=oma.lwm2m"),
 * without the NUL. One Uri-Path segment is at most 255 bytes (RFC 7252
 * §5.10); a root of one short segment is what servers use. 0 compiles
 * alternate paths out (objects live at the root, as on most devices):
 * tether_client_init() then refuses an alt_path (TETHER_ERR_INVAL). */
#ifndef TETHER_CLIENT_MAX_ALT_PATH
#define TETHER_CLIENT_MAX_ALT_PATH 16
#endif

/* The largest body moved block-wise (RFC 7959): a Register or Update whose
 * object list does not fit one datagram goes out in Block1 blocks, a Read
 * or Discover answer larger than a datagram in Block2 slices, and a Write
 * arriving in Block1 blocks is reassembled up to this size (larger: 4.13).
 * RFC 7959 allows far more; 4096 holds the object list of some 300
 * instances or a few KB of resource values, which is what a small device
 * has. It costs twice this much RAM (a scratch body and one reassembly
 * slot). 0 compiles block-wise transfer out: every message must then fit
 * one datagram (CoAP max_message). */
#ifndef TETHER_CLIENT_MAX_BODY
#define TETHER_CLIENT_MAX_BODY 4096
#endif

/* Observations (LwM2M 1.0 §5.5, RFC 7641) held at once, all servers
 * together: each is one (server, token) pair on an object, instance or
 * resource, about 90 bytes. A management server observes a handful of
 * resources per device (a sensor value, the battery, the location); 16
 * leaves room for two servers doing that. An Observe beyond it is answered
 * as a plain Read, without the Observe option, which RFC 7641 §4.1 allows:
 * the server then knows it is not observing. 0 compiles observation out
 * (with Write-Attributes and notification storing): Observe is then always
 * a plain Read and Write-Attributes is answered 5.01. */
#ifndef TETHER_CLIENT_MAX_OBSERVATIONS
#define TETHER_CLIENT_MAX_OBSERVATIONS 16
#endif

/* Write-Attributes entries (LwM2M 1.0 §5.4.4), all servers together: one
 * per (server, object / instance / resource) that has any of pmin, pmax,
 * gt, lt, st, about 48 bytes each. One per observed target plus one at
 * object level is the usual pattern, hence the same count as observations.
 * A Write-Attributes that needs a new entry beyond it is answered 5.00 and
 * changes nothing. Ignored (0) when observation is compiled out. */
#ifndef TETHER_CLIENT_MAX_ATTRS
#define TETHER_CLIENT_MAX_ATTRS 16
#endif

/* Notification storing (R21), bytes per server: notifications produced
 * while that server is disabled or the client is offline wait here, each
 * as a 6-byte header plus its encoded payload, and go out in order once the
 * client is registered again. A text/plain temperature is about 10 bytes,
 * so 512 holds some 30 of them. When full the oldest are dropped (counted).
 * 0 compiles storing out: such notifications are then always discarded. */
#ifndef TETHER_CLIENT_NOTIFY_STORE_BYTES
#define TETHER_CLIENT_NOTIFY_STORE_BYTES 512
#endif

/* JSON Writes and Creates (LwM2M JSON 11543, SenML JSON 110) are
 * tokenized with jsmn into this many tokens of the engine (20 bytes each
 * on a 32-bit target) before anything is written: LwM2M JSON needs 3 per
 * record plus 3 ({"e":[ ]}) and 2 more for each "n", "bn", "t" or "bt";
 * SenML JSON 1 plus 5 per {"n":..,"v":..} record. 64 takes a Write of
 * about a dozen values; a larger one is answered 4.13 and changes nothing.
 * Ignored with TETHER_CLIENT_NO_JSON. */
#ifndef TETHER_CLIENT_JSON_TOKENS
#define TETHER_CLIENT_JSON_TOKENS 64
#endif

/* Room for what a JSON Write's values decode to: strings written with
 * escapes (\" \n and the like) are unescaped there, and Opaque values (base64 in
 * LwM2M JSON, base64url "vd" in SenML JSON) decoded, half of it each.
 * With block-wise transfer compiled in the body scratch
 * (TETHER_CLIENT_MAX_BODY) serves and this is ignored; without, 256 bytes
 * of the engine take strings and Opaque values of some 128 bytes. A value
 * that does not fit: 4.13. Ignored with TETHER_CLIENT_NO_JSON. */
#ifndef TETHER_CLIENT_JSON_SCRATCH
#define TETHER_CLIENT_JSON_SCRATCH 256
#endif

/* Strings of the Device object (/3/0/0..3, 16) are kept by pointer (the
 * caller's, typically in flash), so they need no size here. */

/* --- Footprint switches -----------------------------------------------------
 * Each is off unless defined, which gives the full library. A firmware build
 * defines the ones it wants with -D for every library source (they change
 * code in coap/ and lwm2m/ as well as client/; scripts/footprint.sh shows
 * one such build). Each trades something a small device can do without for
 * flash or RAM; what a device loses is written next to it.
 *
 * TETHER_COAP_LINEAR (src/coap/exchange.c): the CoAP exchange layer finds
 * an exchange (by message id or token) and a deduplication entry by
 * scanning its slots, and the next deadline by taking the smallest, instead
 * of through seeded hash indexes and a heap. Behaviour on the wire is the
 * same (tests/coap/test_exchange_linear.c runs every exchange test on it).
 * Loses: constant-time lookups -- each datagram costs up to max_exchanges +
 * dedup_entries comparisons, fine for the few a client keeps, not for a
 * server with thousands. Saves about 1.3 KB of Cortex-M4 code and the index
 * memory (three bucket arrays, the heap, a link per slot and entry). */

/* TETHER_NO_ERRMSG (src/common/errmsg_internal.h): the engines keep no
 * error sentences; tether_client_errmsg() and tether_coap_errmsg() always
 * return "". Loses: the human half of an error report (STYLE.md rule 7);
 * every function still returns the same code, so a program that branches
 * on codes behaves the same. Saves about 1.4 KB of Cortex-M4 code (the
 * sentences, and the code that stores them). */

/* TETHER_LWM2M_NO_FLOAT_TEXT (src/lwm2m/float_text.c, text.c): no decimal
 * text for Float values. Float resources still work in TLV, exactly (binary
 * IEEE 754): a Read of one without Accept is answered in TLV instead of
 * text/plain, and TLV Writes are taken. Loses: text/plain for Float -- a
 * Read with Accept: text/plain gets 4.06, a text/plain Write gets 4.15 --
 * and the float attributes gt, lt and st (a Write-Attributes with one gets
 * 4.00; the link writer refuses them). Saves the
 * exact decimal converter, about 1.9 KB of Cortex-M4 code. A device
 * without Float resources loses nothing. */

/* TETHER_COAP_NO_STATS (src/coap/exchange.c): the CoAP layer keeps no
 * traffic counters: tether_coap_get_stats() (and tether_client_coap_stats())
 * report 0 for rx, tx, rx_malformed, rx_duplicate, retransmissions,
 * timeouts, dedup_evicted and txq_full; exchanges_in_flight and dedup_used
 * are still true. Loses: diagnostics a device without a console or a
 * management object reporting them never shows. Saves about 120 B of
 * Cortex-M4 code. */

/* TETHER_CLIENT_NO_QUEUE_MODE (src/client/queue_mode.c): no Queue Mode
 * (LwM2M 1.0 §5.3.1.1, §8.3). The supported bindings default to "U" and
 * may not contain Q (tether_client_init() refuses them, TETHER_ERR_INVAL),
 * so /1/x/7 refuses UQ, SQ and UQS with 4.00 (R22) and no server is ever
 * asleep: tether_client_listening() is 1 while any server is reachable.
 * Registering as LwM2M 1.1 (config lwm2m_version) goes too: 1.0 only.
 * Loses: sleeping between exchanges -- the device must stay reachable, as
 * a mains-powered or always-listening one does. Saves about 430 B of
 * Cortex-M4 code. */

/* Content formats. text/plain (0), opaque (42), link-format (40, for
 * Discover) and LwM2M TLV (11542, 1542 on input) are always there: every
 * LwM2M 1.0 server speaks TLV. The others come with LwM2M 1.1 (JSON is
 * 1.0's too) and go through the same record interface
 * (tether/lwm2m_fmt.h): a Read, Observe or notification answers in the
 * format its Accept names, for an object, instance, resource or resource
 * instance alike (CBOR: one resource or resource instance only, 4.06
 * otherwise); a Write or Create is decoded whole and checked before
 * anything is written (a bad payload: 4.00, nothing changed). Decoding
 * JSON needs jsmn and CBOR libcbor at build time (TETHER_HAVE_JSMN,
 * TETHER_HAVE_CBOR): without them the format is still encoded where its
 * writer is our own (LwM2M JSON, SenML JSON) and a payload in it is
 * answered 4.15. Three switches take formats out, by encoding or by
 * model; a format goes when either of its halves does:
 *
 *   format                 ct      out with
 *   LwM2M JSON             11543   TETHER_CLIENT_NO_JSON
 *   SenML JSON             110     TETHER_CLIENT_NO_JSON, TETHER_CLIENT_NO_SENML
 *   SenML CBOR             112     TETHER_CLIENT_NO_CBOR, TETHER_CLIENT_NO_SENML
 *   CBOR                   60      TETHER_CLIENT_NO_CBOR
 *
 * A format taken out is answered as one never heard of: Accept 4.06,
 * Content-Format 4.15. */

/* TETHER_CLIENT_NO_JSON (src/client/dm.c): no JSON -- neither LwM2M JSON
 * nor SenML JSON -- and no JSON tokens in the engine
 * (TETHER_CLIENT_JSON_TOKENS, TETHER_CLIENT_JSON_SCRATCH). Loses: servers
 * that read or write in JSON must use TLV (every 1.0 server can) or CBOR.
 * Saves the JSON writers and the jsmn-based decoders, and the token
 * memory. */

/* TETHER_CLIENT_NO_SENML (src/client/dm.c): no SenML (JSON or CBOR).
 * Loses: the LwM2M 1.1 formats most 1.1 servers prefer; they fall back
 * to TLV. Saves the SenML writers and readers. */

/* TETHER_CLIENT_NO_CBOR (src/client/dm.c): no CBOR -- neither CBOR (60)
 * nor SenML CBOR. Loses: the most compact 1.1 encodings. Saves the CBOR
 * codecs and their libcbor calls. */

#endif /* TETHER_CLIENT_CONFIG_H */
