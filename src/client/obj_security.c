/* SPDX-License-Identifier: Apache-2.0 */
/* The Security object, /0 (urn:oma:lwm2m:oma:0, LwM2M 1.0 appendix E.1).
 * Its instances are the server accounts themselves (client_server records):
 * LwM2M Server URI (0, kept by pointer), Bootstrap-Server (1), Short Server
 * ID (10) and Client Hold Off Time (11); keys are not kept, this build has
 * no DTLS. Only a Bootstrap-Server may touch it, so for device management it
 * does not exist: it is not in the object table, never in the object list
 * (R18), and every operation on /0 is refused with 4.01 Unauthorized (LwM2M
 * 1.0.2 §E.1: "The LwM2M Client MUST reject with an 'Unauthorized' response
 * code any LwM2M Server operation on the Security Object"). A Security
 * instance with Bootstrap-Server set gets no Server instance and no
 * registration (R25). */
#include "client/client_internal.h"
#include "tether_poison.h"

int client_security_check(const tether_client_server_config *sc)
{
    if (sc == NULL || sc->peer.len == 0 || sc->peer.len > TETHER_PEER_ADDR_MAX)
        return TETHER_ERR_INVAL;
    /* /0/x/10 and /1/x/0: 1..65535 (appendix D.1); 0 is not an id. */
    if (!sc->bootstrap && sc->ssid == 0)
        return TETHER_ERR_INVAL;
    return 0;
}

int client_security_hidden(const tether_lwm2m_path *p)
{
    return p->len >= 1 && p->ids[0] == 0;
}
