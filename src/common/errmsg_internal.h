/* SPDX-License-Identifier: Apache-2.0 */
/* Error sentences (STYLE.md rule 7), and the footprint switch that drops
 * them. An engine keeps a static sentence next to each error it returns,
 * read back with *_errmsg(); every sentence goes through TETHER_WHY(), so
 * a build with TETHER_NO_ERRMSG (tether/client_config.h) links none of
 * their bytes and *_errmsg() always gives "". Return codes are the same
 * either way: only the human half of the report goes. */
#ifndef TETHER_ERRMSG_INTERNAL_H
#define TETHER_ERRMSG_INTERNAL_H

#ifdef TETHER_NO_ERRMSG
#define TETHER_WHY(sentence) ""
#else
#define TETHER_WHY(sentence) (sentence)
#endif

#endif /* TETHER_ERRMSG_INTERNAL_H */
