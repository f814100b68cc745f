/* SPDX-License-Identifier: Apache-2.0 */
/* Error sentences (STYLE.md rule 7), and the footprint switch that drops
 * them. An engine keeps a static sentence next to each error it returns,
 * read back with *_errmsg(); every store and read of it goes through these
 * macros, so a build with TETHER_NO_ERRMSG (tether/client_config.h) has
 * neither the sentences' bytes nor the code that stores them, and
 * *_errmsg() always gives "". Return codes are the same either way: only
 * the human half of the report goes. */
#ifndef TETHER_ERRMSG_INTERNAL_H
#define TETHER_ERRMSG_INTERNAL_H

#ifdef TETHER_NO_ERRMSG
#define TETHER_SET_ERRMSG(field, sentence) ((void)0)
#define TETHER_GET_ERRMSG(field) ""
#else
/* field: a const char * member; sentence: a literal (static storage). */
#define TETHER_SET_ERRMSG(field, sentence) ((void)((field) = (sentence)))
#define TETHER_GET_ERRMSG(field) (field)
#endif

#endif /* TETHER_ERRMSG_INTERNAL_H */
