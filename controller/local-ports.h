/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

#ifndef LOCAL_PORTS_H
#define LOCAL_PORTS_H 1

/* Which VM ports and which uplink are on the integration bridge.
 *
 * A VM port is local when an Interface on the bridge has
 * external_ids:iface-id equal to a Port.name in HAVIP_Northbound and an
 * OpenFlow port number; the uplink is the Interface named by the
 * havip-uplink key; a tunnel is an Interface with
 * external_ids:havip-chassis (tunnels.c).  local_ports_run() reports whether anything moved, so
 * the controller recomputes only then. */

#include <stdbool.h>
#include "havip-pipeline.h"
#include "simap.h"
#include "sset.h"

struct ovsdb_idl;
struct ovsrec_bridge;

struct local_ports {
    struct simap ofports;       /* iface-id to OpenFlow port number. */
    struct simap tunnels;       /* Chassis name to its tunnel's port. */
    struct sset bfd_up;         /* Chassis whose tunnel's BFD forwards. */
    struct havip_local local;   /* What the pipeline reads. */
    unsigned int idl_seqno;     /* Open_vSwitch IDL seqno last read. */
    char *uplink;               /* Uplink name last read, or NULL. */
    const struct ovsrec_bridge *br; /* Bridge last read. */
};

void local_ports_register_idl(struct ovsdb_idl *ovs_idl);
void local_ports_init(struct local_ports *);
void local_ports_destroy(struct local_ports *);
bool local_ports_run(struct local_ports *, const struct ovsdb_idl *,
                     const struct ovsrec_bridge *, const char *uplink);

#endif /* local-ports.h */
