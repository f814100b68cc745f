/* SPDX-License-Identifier: Apache-2.0 */
/* The two things a sans-I/O engine needs from the operating system: a
 * monotonic clock and a random source.
 *
 * Engines never read a clock or draw random numbers themselves (DESIGN.md);
 * apps and adapters on a POSIX host get both here so that tetherd,
 * tether-client, tether-bench and the test tools agree on the time base
 * (milliseconds of CLOCK_MONOTONIC, the unit of tether_time) and on where
 * randomness comes from (getrandom(2)). A firmware port supplies its own. */
#ifndef TETHER_OS_H
#define TETHER_OS_H

#include <stddef.h>

#include "tether/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Milliseconds of CLOCK_MONOTONIC: never decreases, unaffected by changes
 * to the wall clock, undefined origin (boot). Never TETHER_TIME_NEVER. */
tether_time tether_os_now_ms(void);

/* A tether_rand_fn backed by getrandom(2) (the kernel CSPRNG, urandom pool).
 * user: ignored, pass NULL. buf: borrowed, len bytes are written.
 * Never fails and never blocks once the kernel pool is initialised: EINTR is
 * retried, and if getrandom is unavailable /dev/urandom is read; should
 * that fail too, the bytes come from a clock-seeded generator (good enough
 * for message ids, not for secrets) rather than from nowhere. */
void tether_os_random(void *user, void *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* TETHER_OS_H */
