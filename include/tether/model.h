/* SPDX-License-Identifier: Apache-2.0 */
/* LwM2M object models on the server: a registry of object definitions (what
 * the OMA object registry publishes for each object: id, name, URN, version,
 * multiplicity, and per resource its id, name, operations, type, range and
 * units), built-in definitions of the OMA core objects 0-7 as LwM2M 1.0
 * defines them, loading of OMA DDF XML files (the registry's own format),
 * and typed decoding of TLV and text/plain payloads with those definitions.
 *
 * Why the server needs it: OMA-TLV carries no types, so "4 bytes" in a read
 * answer is an Integer, a Float, a Time or a string of four letters depending
 * on the resource; only the object's definition says which. Unknown objects
 * and resources still decode: their values come out as Opaque.
 *
 * Definitions are plain const data (tether_model_object below): the built-in
 * ones are static tables, loaded ones live in one allocation each, owned by
 * the registry. A definition pointer is valid until the registry is freed or
 * a definition with the same object id replaces it (tether_model_add(),
 * tether_model_load_*()); a server loads its models at start-up and never
 * again, so in practice "until the registry is freed".
 *
 * What it leaves to others: deciding what an operation may do with a
 * resource (the device-management layer reads ops and type from here),
 * rendering definitions as JSON (iterate with tether_model_foreach()), and
 * the content formats themselves (tether/lwm2m.h, tether/lwm2m_tlv.h).
 *
 * Invariant: the registry holds at most one definition per object id, kept
 * sorted by id; every definition's resources are sorted by id with no id
 * twice.
 */
#ifndef TETHER_MODEL_H
#define TETHER_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "tether/err.h"
#include "tether/lwm2m.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The registry. Not thread-safe; lookups are const and may run in several
 * threads at once only while nobody adds or loads. */
typedef struct tether_model_registry tether_model_registry;

/* One resource of an object definition (an <Item> of a DDF file). Every
 * string is NUL-terminated UTF-8, never NULL ("" when the definition has
 * none). */
typedef struct tether_model_resource {
    uint16_t id;
    uint8_t ops;       /* tether_lwm2m_ops bits: R, W, RW, E; 0 for none (the
                          Security object's resources: bootstrap only) */
    uint8_t type;      /* tether_lwm2m_type; NONE for an Executable */
    uint8_t multiple;  /* 1: Multiple instances, 0: Single */
    uint8_t mandatory; /* 1: Mandatory, 0: Optional */
    const char *name;
    const char *range; /* <RangeEnumeration> as written: "1-65535", "0-255 bytes" */
    const char *units; /* "s", "%", "mV" */
    const char *description;
} tether_model_resource;

/* One object definition (an <Object ObjectType="MODefinition">). */
typedef struct tether_model_object {
    uint16_t id;
    uint8_t multiple;  /* 1: Multiple instances, 0: Single */
    uint8_t mandatory; /* 1: Mandatory, 0: Optional */
    const char *name;
    const char *urn;           /* "urn:oma:lwm2m:oma:1" */
    const char *version;       /* <ObjectVersion>, "1.0" when absent */
    const char *lwm2m_version; /* <LWM2MVersion>, "1.0" when absent */
    const char *description;
    size_t n_resources;
    const tether_model_resource *resources; /* sorted by id */
} tether_model_object;

/* Same type as tether_alloc_fn in tether/server.h (C11 lets a typedef be
 * repeated): realloc-shaped, ptr NULL allocates, size 0 frees. Repeated here
 * so that this header needs nothing of the engine's. */
typedef void *(*tether_alloc_fn)(void *user, void *ptr, size_t size);

/* Longest error sentence kept by a registry, NUL included. */
#define TETHER_MODEL_ERRMSG_MAX 512

/* Largest DDF file accepted; a registry file is a few tens of KiB. */
#define TETHER_MODEL_DDF_MAX (8u * 1024u * 1024u)

/* --- registry ------------------------------------------------------------ */

/* A registry holding the built-in definitions of objects 0-7 (Security,
 * Server, Access Control, Device, Connectivity Monitoring, Firmware Update,
 * Location, Connectivity Statistics; LwM2M 1.0 appendix E, object versions
 * 1.0; /1 resources 0..8 exactly as REQUIREMENTS.md's table).
 * out: out, set on success only. alloc: optional (NULL: libc); used for the
 * registry, its index and every loaded definition (the XML parser itself
 * uses libc). alloc_user: passed to alloc.
 * Returns 0 or TETHER_ERR_NOMEM. */
int tether_model_registry_new(tether_model_registry **out, tether_alloc_fn alloc,
                              void *alloc_user);

/* Free the registry and every loaded definition. NULL is fine. */
void tether_model_registry_free(tether_model_registry *reg);

/* The definition of object id, or NULL. O(log n). Valid as said above. */
const tether_model_object *tether_model_find(const tether_model_registry *reg, uint16_t obj);

/* Resource res of definition o, or NULL (also when o is NULL).
 * O(log resources). */
const tether_model_resource *tether_model_resource_find(const tether_model_object *o,
                                                        uint16_t res);

/* Both look-ups at once: resource res of object obj, or NULL. */
const tether_model_resource *tether_model_find_resource(const tether_model_registry *reg,
                                                        uint16_t obj, uint16_t res);

/* Number of definitions, and the i-th in ascending object id (NULL when i
 * is out of range): an index for REST listings and paging. */
size_t tether_model_count(const tether_model_registry *reg);
const tether_model_object *tether_model_at(const tether_model_registry *reg, size_t i);

/* Call fn for every definition in ascending object id. fn must not add or
 * load definitions. A nonzero return from fn stops the walk and is
 * returned; otherwise returns 0. */
typedef int (*tether_model_object_fn)(void *user, const tether_model_object *o);
int tether_model_foreach(const tether_model_registry *reg, tether_model_object_fn fn,
                         void *user);

/* Register a definition the caller built (an application's own objects).
 * It replaces any definition with the same id, built-in or not.
 * def: kept -- the caller keeps it and everything it points to alive and
 * unchanged until the registry is freed or the id is replaced again.
 * Returns 0, TETHER_ERR_INVAL (resources not sorted by id, an id twice, a
 * NULL string, an id of 65535; registry unchanged, errmsg says which) or
 * TETHER_ERR_NOMEM (registry unchanged). */
int tether_model_add(tether_model_registry *reg, const tether_model_object *def);

/* --- OMA DDF XML (the object registry's format, LWM2M.xsd) ----------------
 *
 *   <LWM2M>
 *     <Object ObjectType="MODefinition">            one or more per file
 *       <Name>  <ObjectID>  <ObjectURN>  <ObjectVersion>  <LWM2MVersion>
 *       <MultipleInstances>Single|Multiple  <Mandatory>Mandatory|Optional
 *       <Description1>  <Description2>
 *       <Resources>
 *         <Item ID="0">
 *           <Name>  <Operations>R|W|RW|E|(empty)
 *           <MultipleInstances>  <Mandatory>
 *           <Type>String|Integer|Unsigned Integer|Float|Boolean|Opaque|
 *                 Time|Objlnk|Corelnk|(empty)
 *           <RangeEnumeration>  <Units>  <Description>
 *
 * Required: <Name>, <ObjectID>, <MultipleInstances>, <Mandatory> on the
 * object; the ID attribute, <Name>, <MultipleInstances>, <Mandatory> on each
 * item. Keywords are matched without regard to case or surrounding blanks;
 * other elements are ignored (later schema versions add some). A DOCTYPE is
 * refused, so no entity can expand. Description1 becomes description;
 * Description2 is dropped.
 *
 * A loaded definition replaces the definition with the same object id that
 * the registry already holds -- a built-in one included: `--models` is how
 * an operator brings a newer version of a core object. Within one call, two
 * definitions of the same object are an error, since which one won would
 * depend on directory order.
 *
 * Every load is all-or-nothing: on error the registry is unchanged and
 * tether_model_errmsg() holds one sentence naming the file and line:
 *   "models/3303.xml:12: <Type> 'Strng' is not an LwM2M type" */

/* Load the definitions in one DDF document.
 * name: borrowed NUL-terminated, used only in error sentences (a path).
 * buf: borrowed, len bytes (at most TETHER_MODEL_DDF_MAX), no NUL needed.
 * Returns 0, TETHER_ERR_MALFORMED (not XML, not a DDF, or a bad value),
 * TETHER_ERR_EXISTS (an object defined twice in the document),
 * TETHER_ERR_TOO_LARGE, TETHER_ERR_NOMEM, or TETHER_ERR_UNSUPPORTED (built
 * without libexpat). */
int tether_model_load_ddf(tether_model_registry *reg, const char *name, const void *buf,
                          size_t len);

/* Read and load one file. path: borrowed. Returns what load_ddf returns, or
 * TETHER_ERR_SYS (cannot open or read it). */
int tether_model_load_file(tether_model_registry *reg, const char *path);

/* Load every regular file whose name ends in ".xml" in directory dir (not
 * its subdirectories), in name order. dir: borrowed.
 * Returns what load_file returns (TETHER_ERR_EXISTS also when two files
 * define the same object), TETHER_ERR_SYS (dir cannot be opened) or
 * TETHER_ERR_NOT_FOUND (no *.xml in it: most likely the wrong directory).
 * On success, *n_objects (may be NULL) gets the number of definitions
 * loaded. */
int tether_model_load_dir(tether_model_registry *reg, const char *dir, size_t *n_objects);

/* The sentence for the last failed call ("" after a success); valid until
 * the next call on reg. */
const char *tether_model_errmsg(const tether_model_registry *reg);

/* "R", "W", "RW", "E" or "" (also for anything else): the DDF spelling of
 * a resource's ops. Static storage. */
const char *tether_model_ops_name(int ops);

/* --- typed decoding -------------------------------------------------------
 *
 * A payload decoded with the models becomes records, one per resource value
 * (a single resource) or resource instance value (a multiple resource):
 *
 *   path    /obj/inst/res, or /obj/inst/res/rinst for a resource instance
 *   value   typed by the resource's definition; STRING and OPAQUE values
 *           are views into the payload (kept: valid while it is)
 *   obj     the object's definition, NULL when the registry has none
 *   res     the resource's definition, NULL when the object has no such
 *           resource
 *   err     0 when value has the model's type; otherwise value is the raw
 *           bytes (OPAQUE, or STRING for text/plain when they are UTF-8) and
 *           err says why: TETHER_ERR_NOT_FOUND (no definition: object or
 *           resource unknown), TETHER_ERR_MALFORMED (the bytes do not fit
 *           the type: an Integer of 3 bytes, a Boolean of 2),
 *           TETHER_ERR_UNSUPPORTED (the type cannot travel in that format,
 *           or the resource is an Executable that has no value).
 *
 * A Corelnk resource decodes as a STRING. Decoding never stops at a value
 * that does not fit its type: one odd resource must not hide a whole read. */

typedef struct tether_model_record {
    tether_lwm2m_path path;
    tether_lwm2m_value value;
    const tether_model_object *obj;
    const tether_model_resource *res;
    int err;
} tether_model_record;

/* Called once per record, in payload order. rec: borrowed for the call (its
 * value views stay valid with the payload). Return 0 to go on; anything
 * else stops the decoding and is returned by the decode call. */
typedef int (*tether_model_record_fn)(void *user, const tether_model_record *rec);

/* Decode an OMA-TLV payload (content format 11542 or 1542) that answers a
 * request on path req (a Read, or the body of a Write or a Notify).
 *   req /o      object instances (00) holding resources; resources at the
 *               top level are taken as instance 0 (single-instance objects
 *               answered that way by some clients)
 *   req /o/i    resources and multiple resources, or one object instance
 *               wrapper whose id is i
 *   req /o/i/r  the resource r (single or multiple), or r's instances bare
 *   req /o/i/r/ri  the resource instance ri (or a resource r holding it)
 * reg: borrowed; may be NULL (every value then decodes as OPAQUE).
 * req: borrowed. buf: kept by the records' views; len bytes.
 * The whole payload is validated before the first callback: either fn sees
 * every record, or none and the call fails.
 * Returns 0, TETHER_ERR_INVAL (req not a valid path below the root),
 * TETHER_ERR_MALFORMED (bad TLV, or an entry that does not belong under req:
 * another instance or resource id, a nesting the request level does not
 * allow), or fn's nonzero return. */
int tether_model_decode_tlv(const tether_model_registry *reg, const tether_lwm2m_path *req,
                            const uint8_t *buf, size_t len, tether_model_record_fn fn,
                            void *user);

/* Decode a text/plain payload (content format 0): one value of the
 * resource (or resource instance) at path, with the model's type.
 * Unknown resources, and values that are not valid text for their type,
 * come out as a STRING when the bytes are UTF-8, else as OPAQUE (err says
 * why, as above).
 * out: out, untouched on error. path: borrowed. buf: kept by out's view.
 * Returns 0 or TETHER_ERR_INVAL (path is not a resource or resource
 * instance path). */
int tether_model_decode_text(const tether_model_registry *reg, const tether_lwm2m_path *path,
                             const uint8_t *buf, size_t len, tether_model_record *out);

/* Dispatch on the content format: TLV (11542, 1542), text/plain (0) and
 * opaque (42: one OPAQUE record for path; err 0 when the model says Opaque,
 * TETHER_ERR_NOT_FOUND when it knows no such resource,
 * TETHER_ERR_UNSUPPORTED otherwise) go to fn; any other format is
 * TETHER_ERR_UNSUPPORTED. Text and opaque need a resource or
 * resource instance path (TETHER_ERR_INVAL). Returns as the decoders do. */
int tether_model_decode(const tether_model_registry *reg, uint32_t fmt,
                        const tether_lwm2m_path *path, const uint8_t *buf, size_t len,
                        tether_model_record_fn fn, void *user);

#ifdef __cplusplus
}
#endif
#endif /* TETHER_MODEL_H */
