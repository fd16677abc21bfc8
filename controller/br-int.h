/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

#ifndef BR_INT_H
#define BR_INT_H 1

/* The integration bridge: the OVS bridge whose flows havip owns.
 *
 * br_int_run() finds it by name in the local Open_vSwitch database and, if
 * it does not exist, creates it with fail-mode "secure" (so that the bridge
 * drops traffic rather than falling back to a normal switch while havip is
 * not connected) and in-band control disabled, as ovn-controller does for
 * its br-int.  Its datapath type is the local configuration's
 * (havip-bridge-datapath-type) or, if that names none, the type the bridge
 * had when last seen, so that a bridge deleted behind havip's back is
 * re-created as it was. */

struct ovsdb_idl;
struct ovsdb_idl_txn;
struct ovsrec_bridge;

void br_int_register_idl(struct ovsdb_idl *ovs_idl);
const struct ovsrec_bridge *br_int_run(struct ovsdb_idl_txn *ovs_txn,
                                       const struct ovsdb_idl *ovs_idl,
                                       const char *name,
                                       const char *datapath_type);
void br_int_destroy(void);

#endif /* controller/br-int.h */
