/* SPDX-License-Identifier: Apache-2.0 */
/* Included last by every engine and codec source: makes the calls a library
 * must not make fail to compile. The library never prints, never exits on
 * input, never reads the environment or a global random source; coap/,
 * lwm2m/ and client/ also allocate nothing (define TETHER_ALLOW_ALLOC in the
 * few server files that go through the allocator hook). Adapters (net/,
 * store/, http/) and apps do not include it: talking to the OS is their job. */
#ifndef TETHER_POISON_H
#define TETHER_POISON_H

#if defined(__GNUC__) && !defined(TETHER_NO_POISON)
#pragma GCC poison printf fprintf sprintf vprintf vfprintf puts putchar perror
/* rand and srand are not poisoned: `rand` is the name every config uses for
 * the injected random source, and poison would forbid the member too.
 * tests/integration/lint_sources.sh catches a call to libc's rand. */
#pragma GCC poison exit abort getenv random srandom system
#ifndef TETHER_ALLOW_ALLOC
#pragma GCC poison malloc calloc realloc free strdup
#endif
#endif

#endif /* TETHER_POISON_H */
