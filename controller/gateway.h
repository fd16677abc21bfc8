/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

#ifndef GATEWAY_H
#define GATEWAY_H 1

/* Which chassis serves the EIPs, and the gratuitous ARPs of a takeover.
 *
 * Gateway chassis are those with an uplink (Chassis.gateway_priority is
 * set).  Each chassis elects the same one from what it sees: the live
 * gateway with the highest priority, ties broken by the smaller name.  A
 * gateway is live if its Chassis row exists and, seen from another
 * chassis, BFD on the tunnel to it forwards (tunnels.h); a chassis always
 * counts itself live while it has its uplink.  A gateway that stops
 * cleanly ("exit") deletes its Chassis row; one that dies stops answering
 * BFD: either way the next one takes over within BFD's detection time.
 *
 * When this chassis becomes the active gateway, once its flows are
 * installed, it announces every EIP it serves with gratuitous ARPs on its
 * uplink, so the public network's switches learn where the EIPs' MACs
 * moved (GATEWAY_GARP_ROUNDS rounds, GATEWAY_GARP_INTERVAL ms apart). */

#include <stdbool.h>
#include "openvswitch/types.h"

struct desired;
struct ds;
struct havip_local;
struct ofctrl;
struct ovsdb_idl;
struct sset;

#define GATEWAY_GARP_ROUNDS 3
#define GATEWAY_GARP_INTERVAL 1000

struct gateway *gateway_create(void);
void gateway_destroy(struct gateway *);

bool gateway_run(struct gateway *, const struct ovsdb_idl *nb_idl,
                 const char *chassis, int priority,
                 const struct sset *bfd_up, struct havip_local *);
void gateway_announce(struct gateway *, struct ofctrl *,
                      const struct desired *, const struct havip_local *);
void gateway_wait(const struct gateway *);
const char *gateway_active(const struct gateway *);
void gateway_format(const struct gateway *, struct ds *);

#endif /* controller/gateway.h */
