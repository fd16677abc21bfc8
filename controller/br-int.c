/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

/* Finds or creates the integration bridge.  The local Open_vSwitch
 * database is the record of the bridge; the module remembers only the
 * datapath type it last saw the bridge with, so that a bridge deleted
 * behind its back comes back as it was (a userspace "netdev" bridge must
 * not come back as a kernel one) when the local configuration names no
 * type. */

#include <config.h>
#include "br-int.h"

#include <string.h>
#include "coverage.h"
#include "lib/vswitch-idl.h"
#include "openvswitch/vlog.h"
#include "ovsdb-idl.h"
#include "smap.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(br_int);

COVERAGE_DEFINE(br_int_create);

/* The datapath type the bridge had when last seen, or NULL. */
static char *seen_datapath_type;

/* Adds to 'ovs_idl' the columns this module reads or writes. */
void
br_int_register_idl(struct ovsdb_idl *ovs_idl)
{
    ovsdb_idl_add_table(ovs_idl, &ovsrec_table_open_vswitch);
    ovsdb_idl_add_column(ovs_idl, &ovsrec_open_vswitch_col_bridges);

    ovsdb_idl_add_table(ovs_idl, &ovsrec_table_bridge);
    ovsdb_idl_add_column(ovs_idl, &ovsrec_bridge_col_name);
    ovsdb_idl_add_column(ovs_idl, &ovsrec_bridge_col_fail_mode);
    ovsdb_idl_add_column(ovs_idl, &ovsrec_bridge_col_datapath_type);
    ovsdb_idl_add_column(ovs_idl, &ovsrec_bridge_col_ports);
    ovsdb_idl_add_column(ovs_idl, &ovsrec_bridge_col_other_config);
    ovsdb_idl_omit_alert(ovs_idl, &ovsrec_bridge_col_other_config);

    ovsdb_idl_add_table(ovs_idl, &ovsrec_table_port);
    ovsdb_idl_add_column(ovs_idl, &ovsrec_port_col_name);
    ovsdb_idl_add_column(ovs_idl, &ovsrec_port_col_interfaces);

    ovsdb_idl_add_table(ovs_idl, &ovsrec_table_interface);
    ovsdb_idl_add_column(ovs_idl, &ovsrec_interface_col_name);
    ovsdb_idl_add_column(ovs_idl, &ovsrec_interface_col_type);
}

static const struct ovsrec_bridge *
br_int_find(const struct ovsdb_idl *ovs_idl, const char *name)
{
    const struct ovsrec_bridge *br;

    OVSREC_BRIDGE_FOR_EACH (br, ovs_idl) {
        if (!strcmp(br->name, name)) {
            return br;
        }
    }
    return NULL;
}

/* Adds bridge 'name' with its internal port to 'ovs' within 'ovs_txn'. */
static void
br_int_create(struct ovsdb_idl_txn *ovs_txn,
              const struct ovsrec_open_vswitch *ovs, const char *name,
              const char *datapath_type)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
    struct ovsrec_interface *iface;
    struct ovsrec_port *port;
    struct ovsrec_bridge *br;
    struct smap other_config = SMAP_INITIALIZER(&other_config);

    VLOG_INFO_RL(&rl, "creating integration bridge %s", name);
    COVERAGE_INC(br_int_create);
    ovsdb_idl_txn_add_comment(ovs_txn,
                              "havip-controller: creating integration "
                              "bridge %s", name);

    iface = ovsrec_interface_insert(ovs_txn);
    ovsrec_interface_set_name(iface, name);
    ovsrec_interface_set_type(iface, "internal");

    port = ovsrec_port_insert(ovs_txn);
    ovsrec_port_set_name(port, name);
    ovsrec_port_set_interfaces(port, &iface, 1);

    br = ovsrec_bridge_insert(ovs_txn);
    ovsrec_bridge_set_name(br, name);
    ovsrec_bridge_set_fail_mode(br, "secure");
    smap_add(&other_config, "disable-in-band", "true");
    ovsrec_bridge_set_other_config(br, &other_config);
    smap_destroy(&other_config);
    if (datapath_type) {
        ovsrec_bridge_set_datapath_type(br, datapath_type);
    }
    ovsrec_bridge_set_ports(br, &port, 1);

    ovsrec_open_vswitch_update_bridges_addvalue(ovs, br);
}

/* Returns the integration bridge 'name' from 'ovs_idl', or NULL while it
 * does not exist yet.  If it is missing and 'ovs_txn' is nonnull, adds it
 * to 'ovs_txn'.  If 'datapath_type' is nonnull, makes the bridge's datapath
 * type match it. */
const struct ovsrec_bridge *
br_int_run(struct ovsdb_idl_txn *ovs_txn, const struct ovsdb_idl *ovs_idl,
           const char *name, const char *datapath_type)
{
    const struct ovsrec_open_vswitch *ovs = ovsrec_open_vswitch_first(ovs_idl);
    const struct ovsrec_bridge *br;

    if (!ovs || !name) {
        return NULL;
    }

    br = br_int_find(ovs_idl, name);
    if (!br) {
        if (ovs_txn) {
            br_int_create(ovs_txn, ovs, name,
                          datapath_type ? datapath_type
                          : seen_datapath_type);
        }
        return NULL;
    }
    if (ovs_txn && datapath_type && strcmp(br->datapath_type, datapath_type)) {
        ovsrec_bridge_set_datapath_type(br, datapath_type);
    }
    if (br->datapath_type[0] && (!seen_datapath_type
                                 || strcmp(seen_datapath_type,
                                           br->datapath_type))) {
        free(seen_datapath_type);
        seen_datapath_type = xstrdup(br->datapath_type);
    }
    return br;
}

/* Frees what br_int_run() remembers. */
void
br_int_destroy(void)
{
    free(seen_datapath_type);
    seen_datapath_type = NULL;
}
