/* SPDX-License-Identifier: Apache-2.0 */
/* Formats one log line into a stack buffer and hands it to the callback. */
#include "common/log_internal.h"

#include <stdarg.h>
#include <stdio.h>

#include "tether_poison.h"

void tether_log_emit(tether_log_fn fn, void *user, int level, const char *module,
                     const char *fmt, ...)
{
    char line[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fn(user, level, module, line);
}
