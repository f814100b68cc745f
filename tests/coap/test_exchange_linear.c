/* SPDX-License-Identifier: Apache-2.0 */
/* The exchange layer built with TETHER_COAP_LINEAR (lookups by scanning,
 * no hash indexes, no heap; tether/client_config.h): every case of
 * test_exchange.c, run against that build of src/coap/exchange.c, which
 * this file compiles in, so the library's own copy is not linked. The same
 * bytes on the wire and the same outcomes prove the switch changes only
 * how entries are found. */
#define TETHER_COAP_LINEAR 1
#define TETHER_NO_POISON /* the test cases below print and allocate */
#include "coap/exchange.c"

#include "coap/test_exchange.c"
