/* SPDX-License-Identifier: Apache-2.0 */
/* The registration state machine over the exchange layer built with
 * TETHER_COAP_LINEAR, as a firmware build has it (tether/client_config.h):
 * every case of test_register.c, with src/coap/exchange.c compiled in here
 * with the switch, so the library's own copy is not linked. */
#define TETHER_COAP_LINEAR 1
#define TETHER_NO_POISON /* the test cases below print and allocate */
#include "coap/exchange.c"

#include "client/test_register.c"
