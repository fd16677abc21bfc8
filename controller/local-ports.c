/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

/* The VM ports and the uplink on the integration bridge.  See
 * local-ports.h. */

#include <config.h>
#include "local-ports.h"

#include "flow.h"
#include "lib/vswitch-idl.h"
#include "openvswitch/vlog.h"
#include "ovsdb-idl.h"
#include "smap.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(local_ports);

void
local_ports_register_idl(struct ovsdb_idl *ovs_idl)
{
    ovsdb_idl_add_column(ovs_idl, &ovsrec_interface_col_external_ids);
    ovsdb_idl_add_column(ovs_idl, &ovsrec_interface_col_ofport);
}

void
local_ports_init(struct local_ports *lp)
{
    simap_init(&lp->ofports);
    simap_init(&lp->tunnels);
    sset_init(&lp->bfd_up);
    lp->local.ofports = &lp->ofports;
    lp->local.uplink = OFPP_NONE;
    lp->local.chassis = NULL;
    lp->local.tunnels = &lp->tunnels;
    lp->local.active_gateway = false;
    lp->local.gateway_tunnel = OFPP_NONE;
    lp->idl_seqno = 0;
    lp->uplink = NULL;
    lp->br = NULL;
}

void
local_ports_destroy(struct local_ports *lp)
{
    if (lp) {
        simap_destroy(&lp->ofports);
        simap_destroy(&lp->tunnels);
        sset_destroy(&lp->bfd_up);
        free(lp->uplink);
    }
}

static bool
usable_ofport(const struct ovsrec_interface *iface)
{
    return (iface->n_ofport && iface->ofport[0] > 0
            && iface->ofport[0] < ofp_to_u16(OFPP_MAX));
}

/* Reads the interfaces of 'br' (may be NULL) and the uplink named 'uplink'
 * (may be NULL), unless nothing in 'ovs_idl' changed since the last run.
 * Returns true if the result differs from the last run. */
bool
local_ports_run(struct local_ports *lp, const struct ovsdb_idl *ovs_idl,
                const struct ovsrec_bridge *br, const char *uplink)
{
    unsigned int seqno = ovsdb_idl_get_seqno(ovs_idl);

    if (seqno == lp->idl_seqno && br == lp->br
        && nullable_string_is_equal(uplink, lp->uplink)) {
        return false;
    }
    lp->idl_seqno = seqno;
    lp->br = br;
    free(lp->uplink);
    lp->uplink = nullable_xstrdup(uplink);

    struct simap ofports = SIMAP_INITIALIZER(&ofports);
    struct simap tunnels = SIMAP_INITIALIZER(&tunnels);
    struct sset bfd_up = SSET_INITIALIZER(&bfd_up);
    ofp_port_t uplink_ofport = OFPP_NONE;

    for (size_t i = 0; br && i < br->n_ports; i++) {
        const struct ovsrec_port *port = br->ports[i];

        for (size_t j = 0; j < port->n_interfaces; j++) {
            const struct ovsrec_interface *iface = port->interfaces[j];
            const char *iface_id;

            if (!usable_ofport(iface)) {
                continue;
            }
            if (uplink && !strcmp(iface->name, uplink)) {
                uplink_ofport = u16_to_ofp(iface->ofport[0]);
                continue;
            }
            const char *peer = smap_get(&iface->external_ids,
                                        "havip-chassis");
            if (peer) {
                simap_put(&tunnels, peer, iface->ofport[0]);
                if (smap_get_bool(&iface->bfd_status, "forwarding", false)) {
                    sset_add(&bfd_up, peer);
                }
                continue;
            }
            iface_id = smap_get(&iface->external_ids, "iface-id");
            if (iface_id && !simap_put(&ofports, iface_id,
                                       iface->ofport[0])) {
                static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);
                VLOG_WARN_RL(&rl, "two interfaces have iface-id %s; "
                             "using %s", iface_id, iface->name);
            }
        }
    }

    /* BFD's state feeds the gateway election only (gateway.c), which
     * changes the fixed flows alone: not a change of the local ports. */
    bool changed = (uplink_ofport != lp->local.uplink
                    || !simap_equal(&ofports, &lp->ofports)
                    || !simap_equal(&tunnels, &lp->tunnels));
    simap_swap(&ofports, &lp->ofports);
    simap_destroy(&ofports);
    simap_swap(&tunnels, &lp->tunnels);
    simap_destroy(&tunnels);
    sset_swap(&bfd_up, &lp->bfd_up);
    sset_destroy(&bfd_up);
    lp->local.uplink = uplink_ofport;
    return changed;
}
