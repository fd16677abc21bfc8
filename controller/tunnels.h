/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

#ifndef TUNNELS_H
#define TUNNELS_H 1

/* The tunnel ports of the integration bridge: one to each other chassis
 * this one needs and nothing more, as ovn-controller keeps them.
 *
 * A chassis is needed if it has a port in a VPC this chassis computes flows
 * for (havip_pipeline_chassis_needed()), or if either end is a gateway
 * chassis (one with Chassis.gateway_priority): gateway liveness comes from
 * BFD on those tunnels, which both ends enable by the same rule.  Each
 * tunnel is an Interface of type Chassis.encap_type with
 * options:remote_ip=Chassis.encap_ip and options:key=flow (the pipeline
 * sets the key per packet), named "hvt-" and 8 hex digits of a hash of the
 * chassis name, marked external_ids:havip-chassis=NAME; local-ports.c reads
 * their OpenFlow ports and BFD state back.
 *
 * Nothing is created until this chassis has its own havip-encap-ip. */

#include <stdbool.h>

struct ovsdb_idl;
struct ovsdb_idl_txn;
struct ovsrec_bridge;
struct sset;

void tunnels_register_idl(struct ovsdb_idl *ovs_idl);
void tunnels_run(struct ovsdb_idl_txn *ovs_txn, const struct ovsrec_bridge *,
                 const struct ovsdb_idl *nb_idl, const char *chassis,
                 const char *encap_ip, bool gateway, int bfd_interval,
                 const struct sset *needed);

#endif /* controller/tunnels.h */
