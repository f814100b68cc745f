/* SPDX-License-Identifier: Apache-2.0 */
/* Formatting log calls for the library's modules. A call above
 * TETHER_LOG_MAX_LEVEL compiles to nothing, so a firmware build can drop
 * every string and the formatter with them. The library never prints: the
 * line goes to the instance's callback, or nowhere. */
#ifndef TETHER_LOG_INTERNAL_H
#define TETHER_LOG_INTERNAL_H

#include "tether/types.h"

#ifndef TETHER_LOG_MAX_LEVEL
#define TETHER_LOG_MAX_LEVEL TETHER_LOG_TRACE
#endif

#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
void tether_log_emit(tether_log_fn fn, void *user, int level, const char *module,
                     const char *fmt, ...);

#define TETHER_LOG(fn, user, level, module, ...)                                   \
    do {                                                                           \
        if ((level) <= TETHER_LOG_MAX_LEVEL && (fn) != NULL)                       \
            tether_log_emit((fn), (user), (level), (module), __VA_ARGS__);         \
    } while (0)

#endif /* TETHER_LOG_INTERNAL_H */
