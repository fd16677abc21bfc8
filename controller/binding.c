/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

/* Port.chassis, Port.tunnel_key and Port.up.  See binding.h. */

#include <config.h>
#include "binding.h"

#include <string.h>
#include "coverage.h"
#include "havip-pipeline.h"
#include "havip-rules.h"
#include "openvswitch/vlog.h"
#include "ovsdb-idl.h"
#include "ovsdb/havip-nb-idl.h"
#include "simap.h"

VLOG_DEFINE_THIS_MODULE(binding);

COVERAGE_DEFINE(binding_claim);
COVERAGE_DEFINE(binding_release);
COVERAGE_DEFINE(holder_port_gone);

static bool
port_is_up(const struct nbrec_port *port)
{
    return port->n_up && port->up[0];
}

/* Clears the holder of every HAVIP that 'port' holds. */
static void
release_holders(const struct havip_nb_rows *rows,
                const struct nbrec_port *port)
{
    for (size_t i = 0; i < rows->n_havips; i++) {
        const struct nbrec_havip *havip = rows->havips[i];

        if (havip->holder == port) {
            COVERAGE_INC(holder_port_gone);
            VLOG_INFO("HAVIP %s: holder %s is gone from this chassis; "
                      "clearing the holder", havip->name, port->name);
            nbrec_havip_set_holder(havip, NULL);
            nbrec_havip_set_status(havip, "available");
        }
    }
}

/* Updates Port.chassis and Port.up of the ports in 'rows' in 'txn' (if
 * nonnull) for this 'chassis', given which ports are 'local' and whether
 * the switch has confirmed the current flows ('flows_installed').  Returns
 * true if a local port is still waiting to be marked up. */
bool
binding_run(struct ovsdb_idl_txn *txn, const struct havip_nb_rows *rows,
            const struct havip_local *local, const char *chassis,
            bool flows_installed)
{
    bool waiting = false;

    if (!txn || !chassis || !chassis[0]) {
        return false;
    }
    for (size_t i = 0; i < rows->n_ports; i++) {
        const struct nbrec_port *port = rows->ports[i];
        bool here = simap_contains(local->ofports, port->name);
        bool mine = port->chassis && !strcmp(port->chassis, chassis);

        if (here) {
            int64_t key = simap_get(local->ofports, port->name);

            if (!mine) {
                COVERAGE_INC(binding_claim);
                VLOG_INFO("port %s is on this chassis", port->name);
                nbrec_port_set_chassis(port, chassis);
            }
            if (!port->n_tunnel_key || port->tunnel_key[0] != key) {
                nbrec_port_set_tunnel_key(port, &key, 1);
            }
            if (flows_installed && !port_is_up(port)) {
                bool up = true;
                nbrec_port_set_up(port, &up, 1);
            } else if (!port_is_up(port)) {
                waiting = true;
            }
        } else if (mine) {
            COVERAGE_INC(binding_release);
            VLOG_INFO("port %s left this chassis", port->name);
            nbrec_port_set_chassis(port, NULL);
            nbrec_port_set_up(port, NULL, 0);
            nbrec_port_set_tunnel_key(port, NULL, 0);
            release_holders(rows, port);
        }
    }
    return waiting;
}
