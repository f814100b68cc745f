/* SPDX-License-Identifier: Apache-2.0 */
/* Names and sentences for tether_err, generated from TETHER_ERR_MAP so that a
 * new code cannot be added without both. */
#include "tether/err.h"

const char *tether_err_name(int err)
{
    switch (err) {
    case 0: return "TETHER_OK";
#define NAME_(name, num, fatal, msg) case (num): return "TETHER_ERR_" #name;
    TETHER_ERR_MAP(NAME_)
#undef NAME_
    }
    return "TETHER_ERR_UNKNOWN";
}

const char *tether_strerror(int err)
{
    switch (err) {
    case 0: return "success";
#define MSG_(name, num, fatal, msg) case (num): return msg;
    TETHER_ERR_MAP(MSG_)
#undef MSG_
    }
    return "unknown error";
}

int tether_err_is_fatal(int err)
{
    switch (err) {
#define FATAL_(name, num, fatal, msg) case (num): return (fatal);
    TETHER_ERR_MAP(FATAL_)
#undef FATAL_
    }
    return 0;
}
