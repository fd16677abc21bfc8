/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

#ifndef CHASSIS_H
#define CHASSIS_H 1

#include <stdbool.h>
#include <stdint.h>

/* This chassis's row in the HAVIP_Northbound 'Chassis' table.
 *
 * The module registers the row (name = Open_vSwitch external_ids:system-id),
 * keeps its hostname current, acknowledges the NB_Global.nb_cfg whose flows
 * are installed into Chassis.nb_cfg, and, like every controller, keeps
 * NB_Global.hv_cfg equal to the minimum Chassis.nb_cfg so that
 * "havip-nbctl --wait=hv" returns once every chassis has caught up.  On a
 * clean exit it deletes the row. */

struct chassis;
struct ds;
struct ovsdb_idl;
struct ovsdb_idl_txn;

/* Value of 'installed_cfg' that means "no NB configuration installed yet":
 * chassis_run() then registers the row but acknowledges nothing. */
#define CHASSIS_CFG_NONE INT64_MIN

struct chassis *chassis_create(struct ovsdb_idl *nb_idl);
void chassis_destroy(struct chassis *);

/* What this chassis publishes in its row. */
struct chassis_config {
    const char *system_id;      /* Row name; NULL: do not register. */
    const char *hostname;       /* May be NULL. */
    const char *encap_ip;       /* Tunnel endpoint, NULL if none. */
    const char *encap_type;     /* "geneve" or "vxlan". */
    int gateway_priority;       /* -1 if this chassis has no uplink. */
};

void chassis_run(struct chassis *, struct ovsdb_idl_txn *nb_txn,
                 const struct chassis_config *, int64_t installed_cfg);
void chassis_wait(const struct chassis *);
bool chassis_cleanup(struct chassis *, struct ovsdb_idl_txn *nb_txn);

void chassis_format(const struct chassis *, struct ds *);

#endif /* controller/chassis.h */
