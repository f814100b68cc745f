/* SPDX-License-Identifier: Apache-2.0 */
/* Tether error codes.
 *
 * Every Tether function that can fail returns 0 or one negative code from this
 * list. One X-macro generates the enum, tether_err_name() and tether_strerror(),
 * so a code can never lack a name or a sentence. Numbers are never reused: a
 * retired code keeps its line as a comment. Bad input is never fatal: the
 * datagram is dropped or answered with a 4.xx, and the engine keeps going;
 * tether_err_is_fatal() names the few codes after which only *_free() may be
 * called.
 */
#ifndef TETHER_ERR_H
#define TETHER_ERR_H

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, number, fatal, sentence) */
#define TETHER_ERR_MAP(X)                                                          \
    X(INVAL, -1, 0, "invalid argument")                                            \
    X(NOMEM, -2, 0, "out of memory or out of a configured slot")                   \
    X(NOSPACE, -3, 0, "output buffer too small")                                   \
    X(MALFORMED, -4, 0, "malformed message")                                       \
    X(BAD_VERSION, -5, 0, "CoAP version is not 1")                                 \
    X(BAD_TOKEN_LEN, -6, 0, "CoAP token length is 9..15")                          \
    X(BAD_OPTION_NIBBLE, -7, 0, "option delta or length nibble 15 outside the payload marker") \
    X(TRUNCATED_OPTION, -8, 0, "option runs past the end of the message")          \
    X(EMPTY_PAYLOAD, -9, 0, "payload marker followed by no payload")               \
    X(OPTION_ORDER, -10, 0, "options not added in ascending number order")         \
    X(NOT_FOUND, -11, 0, "no such item")                                           \
    X(TIMEOUT, -12, 0, "peer did not answer in time")                              \
    X(RESET, -13, 0, "peer answered with a CoAP Reset")                            \
    X(CANCELLED, -14, 0, "operation cancelled")                                    \
    X(REENTRANT, -15, 0, "engine called from its own callback")                    \
    X(CALLBACK, -16, 0, "callback asked to abort")                                 \
    X(BUSY, -17, 0, "no free slot for this operation right now")                  \
    X(SYS, -18, 0, "operating system call failed")                                 \
    X(BLOCK_INCOMPLETE, -19, 0, "block-wise transfer missing a block or out of order") \
    X(TOO_LARGE, -20, 0, "entity larger than the configured maximum")              \
    X(BAD_OPTION, -21, 0, "option value invalid for its number")                   \
    X(UNSUPPORTED, -22, 0, "not supported by this build or peer")                  \
    X(INTERNAL, -23, 1, "internal invariant broken; only *_free() may be called")  \
    X(EXISTS, -24, 0, "item already exists")                                       \
    X(STATE, -25, 0, "operation not allowed in the current state")

typedef enum tether_err {
    TETHER_OK = 0,
#define TETHER_ERR_ENUM_(name, num, fatal, msg) TETHER_ERR_##name = (num),
    TETHER_ERR_MAP(TETHER_ERR_ENUM_)
#undef TETHER_ERR_ENUM_
} tether_err;

/* The code's symbolic name ("TETHER_ERR_TIMEOUT"); "TETHER_OK" for 0; a fixed
 * "TETHER_ERR_UNKNOWN" for anything else. Never NULL, static storage. */
const char *tether_err_name(int err);

/* A lower-case sentence for people ("peer did not answer in time").
 * Never NULL, static storage. */
const char *tether_strerror(int err);

/* Nonzero when, after this code, the object that returned it can only be
 * freed. Bad input is never fatal. */
int tether_err_is_fatal(int err);

#ifdef __cplusplus
}
#endif
#endif /* TETHER_ERR_H */
