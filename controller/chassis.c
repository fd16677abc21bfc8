/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

/* This chassis's row in HAVIP_Northbound's Chassis table, and NB_Global's
 * hv_cfg.
 *
 * The module owns the name under which it registered (so that a change of
 * system-id renames the row rather than leaving a stale one behind); every
 * other fact comes from the NB IDL on each call, so a database that comes
 * back empty after a restart simply gets the row inserted again.
 *
 * Acknowledgement protocol: the caller passes 'installed_cfg', the
 * NB_Global.nb_cfg whose flows are installed, and chassis_run() copies it
 * into Chassis.nb_cfg.  Once that write is visible in the IDL, chassis_run()
 * sets NB_Global.hv_cfg to the minimum of every Chassis.nb_cfg if that
 * differs from the current value.  Every controller does this, so the write
 * verifies hv_cfg and every nb_cfg it read: of several controllers that see
 * the same change, one commits and the others retry and find nothing left to
 * do, and none can commit a minimum computed from stale rows.  The
 * acknowledgement itself verifies nothing, so it never conflicts. */

#include <config.h>
#include "chassis.h"

#include <string.h>
#include "coverage.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "ovsdb-idl.h"
#include "ovsdb/havip-nb-idl.h"
#include "timeval.h"
#include "unixctl.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(chassis);

COVERAGE_DEFINE(chassis_register);
COVERAGE_DEFINE(chassis_nb_cfg_ack);
COVERAGE_DEFINE(chassis_hv_cfg_update);

struct chassis {
    struct ovsdb_idl *nb_idl;   /* HAVIP_Northbound (not owned). */
    char *name;                 /* Name registered last, NULL if none. */
    long long int hv_lag_since; /* Since when hv_cfg has been behind the
                                 * chassis' minimum, or LLONG_MAX. */
};

/* NB_Global.hv_cfg has one writer, the chassis with the smallest name, so
 * that a hundred chassis do not race to write it after every change; if it
 * stays behind for this long (that chassis is gone or stuck), any chassis
 * writes it. */
#define CHASSIS_HV_CFG_TAKEOVER_MSEC 2000

static unixctl_cb_func chassis_unixctl_show;

/* Creates the module for the Chassis row in 'nb_idl' (which must outlive
 * it) and registers its unixctl command "chassis/show". */
struct chassis *
chassis_create(struct ovsdb_idl *nb_idl)
{
    struct chassis *chassis = xzalloc(sizeof *chassis);

    chassis->nb_idl = nb_idl;
    chassis->hv_lag_since = LLONG_MAX;
    unixctl_command_register("chassis/show", "", 0, 0,
                             chassis_unixctl_show, chassis);
    return chassis;
}

void
chassis_destroy(struct chassis *chassis)
{
    if (chassis) {
        free(chassis->name);
        free(chassis);
    }
}

static const struct nbrec_chassis *
chassis_find(const struct ovsdb_idl *nb_idl, const char *name)
{
    const struct nbrec_chassis *row;

    NBREC_CHASSIS_FOR_EACH (row, nb_idl) {
        if (!strcmp(row->name, name)) {
            return row;
        }
    }
    return NULL;
}

/* Returns the minimum nb_cfg of the Chassis rows in 'nb_idl' other than
 * 'except' (which may be NULL), or INT64_MAX if there are none. */
static int64_t
chassis_min_nb_cfg(const struct ovsdb_idl *nb_idl,
                   const struct nbrec_chassis *except)
{
    const struct nbrec_chassis *row;
    int64_t min_cfg = INT64_MAX;

    NBREC_CHASSIS_FOR_EACH (row, nb_idl) {
        if (row != except) {
            min_cfg = MIN(min_cfg, row->nb_cfg);
        }
    }
    return min_cfg;
}

/* Returns true if this chassis ('name') writes NB_Global.hv_cfg now: it
 * has the smallest name, or hv_cfg has been behind for too long. */
static bool
chassis_writes_hv_cfg(struct chassis *chassis, const char *name)
{
    const struct nbrec_nb_global *nb = nbrec_nb_global_first(chassis->nb_idl);
    const struct nbrec_chassis *row;
    long long int now = time_msec();

    if (!nb || chassis_min_nb_cfg(chassis->nb_idl, NULL) == nb->hv_cfg) {
        chassis->hv_lag_since = LLONG_MAX;
        return false;
    }
    if (chassis->hv_lag_since == LLONG_MAX) {
        chassis->hv_lag_since = now;
    }
    if (now - chassis->hv_lag_since >= CHASSIS_HV_CFG_TAKEOVER_MSEC) {
        return true;
    }
    NBREC_CHASSIS_FOR_EACH (row, chassis->nb_idl) {
        if (strcmp(row->name, name) < 0) {
            return false;
        }
    }
    return true;
}

/* Within 'nb_txn', sets NB_Global.hv_cfg to the minimum nb_cfg of the
 * Chassis rows other than 'except', if there are any and that differs from
 * the current value. */
static void
chassis_update_hv_cfg(struct ovsdb_idl_txn *nb_txn,
                      const struct ovsdb_idl *nb_idl,
                      const struct nbrec_chassis *except)
{
    const struct nbrec_nb_global *nb = nbrec_nb_global_first(nb_idl);
    const struct nbrec_chassis *row;
    int64_t min_cfg;

    if (!nb) {
        return;
    }
    min_cfg = chassis_min_nb_cfg(nb_idl, except);
    if (min_cfg == INT64_MAX || min_cfg == nb->hv_cfg) {
        return;
    }

    nbrec_nb_global_verify_hv_cfg(nb);
    NBREC_CHASSIS_FOR_EACH (row, nb_idl) {
        if (row != except) {
            nbrec_chassis_verify_nb_cfg(row);
        }
    }
    nbrec_nb_global_set_hv_cfg(nb, min_cfg);
    COVERAGE_INC(chassis_hv_cfg_update);
}

/* Returns the row registered for 'system_id', inserting it into 'nb_txn' or
 * renaming the row of a previous system-id if there is none.  Sets
 * '*is_new' to true if the row was inserted. */
static const struct nbrec_chassis *
chassis_get_row(struct chassis *chassis, struct ovsdb_idl_txn *nb_txn,
                const char *system_id, bool *is_new)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
    const struct nbrec_chassis *row;

    *is_new = false;
    row = chassis_find(chassis->nb_idl, system_id);
    if (row) {
        return row;
    }

    if (chassis->name && strcmp(chassis->name, system_id)) {
        row = chassis_find(chassis->nb_idl, chassis->name);
        if (row) {
            VLOG_INFO_RL(&rl, "renaming chassis %s to %s",
                         chassis->name, system_id);
            nbrec_chassis_set_name(row, system_id);
            return row;
        }
    }

    VLOG_INFO_RL(&rl, "registering chassis %s", system_id);
    COVERAGE_INC(chassis_register);
    row = nbrec_chassis_insert(nb_txn);
    nbrec_chassis_set_name(row, system_id);
    *is_new = true;
    return row;
}

/* Writes into 'row' how other chassis reach this one: its tunnel endpoint
 * and, if it has an uplink, its gateway priority. */
static void
chassis_publish(const struct nbrec_chassis *row,
                const struct chassis_config *cc)
{
    const char *encap_ip = cc->encap_ip ? cc->encap_ip : "";
    const char *encap_type = cc->encap_ip ? cc->encap_type : NULL;
    bool same_type = (encap_type
                      ? row->encap_type && !strcmp(row->encap_type,
                                                   encap_type)
                      : !row->encap_type);

    if (strcmp(row->encap_ip, encap_ip)) {
        nbrec_chassis_set_encap_ip(row, encap_ip);
    }
    if (!same_type) {
        nbrec_chassis_set_encap_type(row, encap_type);
    }

    int64_t priority = cc->gateway_priority;
    if (cc->gateway_priority < 0) {
        if (row->n_gateway_priority) {
            nbrec_chassis_set_gateway_priority(row, NULL, 0);
        }
    } else if (!row->n_gateway_priority
               || row->gateway_priority[0] != priority) {
        nbrec_chassis_set_gateway_priority(row, &priority, 1);
    }
}

/* Keeps this chassis's row in the HAVIP_Northbound database up to date
 * within 'nb_txn': registers it under cc->system_id with cc->hostname and
 * publishes its tunnel endpoint and gateway priority,
 * acknowledges 'installed_cfg' (the NB_Global.nb_cfg whose flows are
 * installed, or CHASSIS_CFG_NONE) into its nb_cfg and then brings
 * NB_Global.hv_cfg up to date.
 *
 * Does nothing if 'nb_txn' is NULL (a transaction is in flight), if
 * 'system_id' is NULL, or before the NB database has been read. */
void
chassis_run(struct chassis *chassis, struct ovsdb_idl_txn *nb_txn,
            const struct chassis_config *cc, int64_t installed_cfg)
{
    const char *system_id = cc->system_id;
    const struct nbrec_chassis *row;
    bool is_new;

    if (!nb_txn || !system_id
        || !ovsdb_idl_has_ever_connected(chassis->nb_idl)) {
        return;
    }

    row = chassis_get_row(chassis, nb_txn, system_id, &is_new);
    if (!nullable_string_is_equal(chassis->name, system_id)) {
        free(chassis->name);
        chassis->name = xstrdup(system_id);
    }
    if (cc->hostname && strcmp(row->hostname, cc->hostname)) {
        nbrec_chassis_set_hostname(row, cc->hostname);
    }
    chassis_publish(row, cc);

    if (installed_cfg != CHASSIS_CFG_NONE && row->nb_cfg != installed_cfg) {
        nbrec_chassis_set_nb_cfg(row, installed_cfg);
        COVERAGE_INC(chassis_nb_cfg_ack);
    } else if (!is_new && chassis_writes_hv_cfg(chassis, system_id)) {
        chassis_update_hv_cfg(nb_txn, chassis->nb_idl, NULL);
    }
}

/* Wakes the main loop when this chassis should take over writing
 * NB_Global.hv_cfg. */
void
chassis_wait(const struct chassis *chassis)
{
    if (chassis->hv_lag_since != LLONG_MAX) {
        poll_timer_wait_until(chassis->hv_lag_since
                              + CHASSIS_HV_CFG_TAKEOVER_MSEC);
    }
}

/* Deletes this chassis's row within 'nb_txn' (if nonnull), updating
 * NB_Global.hv_cfg for the chassis that remain, for a clean exit.  Returns
 * true once the row is gone from the database (or was never registered),
 * false while the caller must keep running the IDL and calling again. */
bool
chassis_cleanup(struct chassis *chassis, struct ovsdb_idl_txn *nb_txn)
{
    const struct nbrec_chassis *row;

    if (!chassis->name) {
        return true;
    }
    row = chassis_find(chassis->nb_idl, chassis->name);
    if (!row) {
        return true;
    }
    if (nb_txn) {
        ovsdb_idl_txn_add_comment(nb_txn, "havip-controller: unregistering "
                                  "chassis %s", chassis->name);
        chassis_update_hv_cfg(nb_txn, chassis->nb_idl, row);
        nbrec_chassis_delete(row);
    }
    return false;
}

/* Appends to 'out' a description of this chassis's registration and of the
 * NB configuration it has acknowledged. */
void
chassis_format(const struct chassis *chassis, struct ds *out)
{
    const struct nbrec_nb_global *nb = nbrec_nb_global_first(chassis->nb_idl);
    const struct nbrec_chassis *row = NULL;

    if (chassis->name) {
        row = chassis_find(chassis->nb_idl, chassis->name);
    }
    if (row) {
        ds_put_format(out, "chassis: %s\nhostname: %s\nnb_cfg: %"PRId64"\n",
                      row->name, row->hostname, row->nb_cfg);
        if (row->encap_ip[0]) {
            ds_put_format(out, "encap: %s %s\n",
                          row->encap_type ? row->encap_type : "?",
                          row->encap_ip);
        }
        if (row->n_gateway_priority) {
            ds_put_format(out, "gateway priority: %"PRId64"\n",
                          row->gateway_priority[0]);
        }
    } else {
        ds_put_format(out, "chassis: %s (not registered)\n",
                      chassis->name ? chassis->name : "<none>");
    }
    if (nb) {
        ds_put_format(out, "NB_Global nb_cfg: %"PRId64"\n"
                      "NB_Global hv_cfg: %"PRId64"\n",
                      nb->nb_cfg, nb->hv_cfg);
    } else {
        ds_put_cstr(out, "NB_Global: missing\n");
    }
}

static void
chassis_unixctl_show(struct unixctl_conn *conn, int argc OVS_UNUSED,
                     const char *argv[] OVS_UNUSED, void *chassis_)
{
    struct chassis *chassis = chassis_;
    struct ds out = DS_EMPTY_INITIALIZER;

    chassis_format(chassis, &out);
    unixctl_command_reply(conn, ds_cstr(&out));
    ds_destroy(&out);
}
