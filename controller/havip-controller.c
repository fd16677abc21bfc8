/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

/* havip-controller: the daemon beside ovs-vswitchd on each chassis.
 *
 * main() owns the two database connections (the local Open_vSwitch
 * database and HAVIP_Northbound), the unixctl server and the poll loop.
 * Each iteration reads the inputs (local configuration, local ports, NB
 * contents), computes the desired flows, pushes their difference to the
 * switch and acknowledges, in this chassis's Chassis row, the NB
 * configuration that the switch has confirmed.  The modules own the rest:
 * local-config.c the Open_vSwitch external_ids, br-int.c the bridge,
 * local-ports.c the bridge's ports, desired.c the computed flows,
 * switch-conn.c the OpenFlow connection to the bridge, chassis.c the Chassis
 * row and NB_Global.hv_cfg. */

#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "binding.h"
#include "br-int.h"
#include "chassis.h"
#include "command-line.h"
#include "coverage.h"
#include "daemon.h"
#include "desired.h"
#include "holders.h"
#include "learn.h"
#include "dirs.h"
#include "fatal-signal.h"
#include "gateway.h"
#include "havip-dirs.h"
#include "havip-version.h"
#include "lib/vswitch-idl.h"
#include "local-config.h"
#include "local-ports.h"
#include "memory.h"
#include "metrics.h"
#include "nb-remote.h"
#include "switch-conn.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vconn.h"
#include "openvswitch/vlog.h"
#include "ovsdb-idl.h"
#include "ovsdb/havip-nb-idl.h"
#include "simap.h"
#include "stream-ssl.h"
#include "stream.h"
#include "timeval.h"
#include "tunnels.h"
#include "unixctl.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(main);

COVERAGE_DEFINE(nb_db_connect);
COVERAGE_DEFINE(nb_txn_failed);
COVERAGE_DEFINE(ovs_db_connect);

/* How long a clean exit waits for the NB database to delete this chassis's
 * row before giving up. */
#define EXIT_CLEANUP_MSEC 5000

/* State of the "exit" unixctl command. */
struct exit_args {
    bool exiting;               /* Leave the main loop? */
    bool restart;               /* "exit --restart": keep the Chassis row. */
    struct unixctl_conn *conn;  /* Connection to reply to once done. */
};

/* What "connection-status" reports on. */
struct controller_dbs {
    struct ovsdb_idl *ovs_idl;  /* Local Open_vSwitch database. */
    const char *ovs_remote;     /* Its remote. */
    struct ovsdb_idl *nb_idl;   /* HAVIP_Northbound. */
    const struct local_config *cfg; /* Names the NB remote. */
};

static unixctl_cb_func controller_exit;
static unixctl_cb_func controller_connection_status;

static char *parse_options(int argc, char *argv[], char **unixctl_path);
OVS_NO_RETURN static void usage(void);

/* Returns the current NB_Global.nb_cfg, or 'prev' if NB_Global cannot be
 * read.  The flows computed in this iteration belong to it: ofctrl reports
 * it as installed once the switch has confirmed them. */
static int64_t
current_nb_cfg(const struct ovsdb_idl *nb_idl, int64_t prev)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 1);
    const struct nbrec_nb_global *nb = nbrec_nb_global_first(nb_idl);

    if (!nb) {
        if (ovsdb_idl_has_ever_connected(nb_idl)) {
            VLOG_WARN_RL(&rl, "HAVIP_Northbound has no NB_Global row "
                         "(run \"havip-nbctl init\"); waiting");
        }
        return prev;
    }
    return nb->nb_cfg;
}

/* Logs a change in the connection state of 'idl', named 'db_name', which
 * was '*was_connected' in the previous iteration.  Returns true if 'idl'
 * has just (re)connected. */
static bool
connection_changed(const struct ovsdb_idl *idl, bool *was_connected,
                   const char *db_name)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
    bool connected = ovsdb_idl_is_connected(idl);

    if (connected == *was_connected) {
        return false;
    }
    VLOG_INFO_RL(&rl, "%s database %s", db_name,
                 connected ? "connected" : "disconnected");
    *was_connected = connected;
    return connected;
}

static void
report_memory(struct ovsdb_idl *ovs_idl, struct ovsdb_idl *nb_idl)
{
    struct simap usage = SIMAP_INITIALIZER(&usage);

    ovsdb_idl_get_memory_usage(ovs_idl, &usage);
    ovsdb_idl_get_memory_usage(nb_idl, &usage);
    memory_report(&usage);
    simap_destroy(&usage);
}

/* After the main loop: deletes this chassis's row from the NB database,
 * running both IDLs and the unixctl server until that has committed, the
 * NB database is unreachable, or EXIT_CLEANUP_MSEC have passed. */
static void
cleanup_chassis(struct chassis *chassis, struct ovsdb_idl_loop *nb_loop,
                struct unixctl_server *unixctl)
{
    long long int deadline = time_msec() + EXIT_CLEANUP_MSEC;

    for (;;) {
        struct ovsdb_idl_txn *nb_txn = ovsdb_idl_loop_run(nb_loop);

        if (chassis_cleanup(chassis, nb_txn)) {
            ovsdb_idl_loop_commit_and_wait(nb_loop);
            return;
        }
        if (!ovsdb_idl_is_connected(nb_loop->idl)) {
            VLOG_WARN("HAVIP_Northbound is not connected: exiting without "
                      "deleting this chassis's row");
            ovsdb_idl_loop_commit_and_wait(nb_loop);
            return;
        }
        if (time_msec() >= deadline) {
            VLOG_WARN("timed out deleting this chassis's row");
            ovsdb_idl_loop_commit_and_wait(nb_loop);
            return;
        }
        unixctl_server_run(unixctl);

        ovsdb_idl_loop_commit_and_wait(nb_loop);
        unixctl_server_wait(unixctl);
        poll_timer_wait_until(deadline);
        poll_block();
    }
}

/* How long a clean exit waits for the switch to drop this gateway's uplink
 * flows. */
#define EXIT_STEP_DOWN_MSEC 2000

struct flows;
static void step_down_gateway(struct flows *, struct ovsdb_idl_loop *,
                              struct unixctl_server *);

/* What turns the databases into flows on the bridge. */
struct flows {
    struct local_ports local_ports; /* VM ports and uplink on the bridge. */
    struct gateway *gateway;        /* The active gateway chassis. */
    bool tunnels_dirty;             /* Tunnel ports may need a change. */
    struct holders *holders;        /* Holders learned here. */
    struct desired *desired;        /* Flows computed from the NB DB. */
    struct ofctrl *ofctrl;          /* Flows on the switch. */
    bool binding_idle;              /* ofctrl idle at the last binding_run. */
    bool binding_waiting;           /* A local port waits to be up. */
    bool binding_dirty;             /* Local ports changed since the last
                                     * binding_run. */
    char *target;                   /* The switch's OpenFlow target. */
    uint64_t binding_recomputes;    /* Recomputes at the last binding_run. */
};

static void
flows_init(struct flows *f)
{
    local_ports_init(&f->local_ports);
    f->binding_idle = false;
    f->binding_waiting = true;
    f->binding_dirty = true;
    f->binding_recomputes = UINT64_MAX;
    f->target = NULL;
    f->gateway = gateway_create();
    f->tunnels_dirty = true;
    f->holders = holders_create();
    f->desired = desired_create(f->holders);
    desired_register_unixctl(f->desired);
    f->ofctrl = ofctrl_create();
    ofctrl_register_unixctl(f->ofctrl);
}

static void
flows_destroy(struct flows *f)
{
    ofctrl_destroy(f->ofctrl);
    desired_destroy(f->desired);
    holders_destroy(f->holders);
    gateway_destroy(f->gateway);
    local_ports_destroy(&f->local_ports);
    free(f->target);
}

/* Inputs -> compute -> diff -> bundle.  Nothing is computed or pushed
 * before both databases have been read, so a restart never installs an
 * empty table over working flows.  'nb_cfg' is acknowledged once the
 * switch confirms the push that carries it. */
static void
flows_run(struct flows *f, const struct ovsrec_bridge *br,
          struct ovsdb_idl_txn *ovs_txn,
          const struct ovsdb_idl *nb_idl, struct ovsdb_idl_txn *nb_txn,
          const struct local_config *cfg, bool local_changed,
          int64_t nb_cfg)
{
    /* A change of the local ports is remembered until binding_run() has
     * seen it: it may come while the bridge is missing or while an NB
     * transaction is in flight. */
    if (local_changed) {
        f->binding_dirty = true;
    }
    if (!br || !ovsdb_idl_has_ever_connected(nb_idl)) {
        return;
    }

    /* Which chassis serves the EIPs. */
    struct havip_local *local = &f->local_ports.local;
    local->chassis = local_config_system_id(cfg);
    bool gateway_changed = gateway_run(f->gateway, nb_idl, local->chassis,
                                       local_config_gateway_priority(cfg),
                                       &f->local_ports.bfd_up, local);

    uint64_t n_recomputes = desired_n_recomputes(f->desired);
    desired_run(f->desired, nb_idl, local, local_changed);
    if (gateway_changed) {
        desired_update_fixed(f->desired, local);
    }

    /* The tunnels follow the ports' chassis and the Chassis table. */
    if (n_recomputes != desired_n_recomputes(f->desired) || local_changed
        || desired_chassis_changed(nb_idl)) {
        f->tunnels_dirty = true;
    }
    if (f->tunnels_dirty && ovs_txn) {
        tunnels_run(ovs_txn, br, nb_idl, local->chassis,
                    local_config_encap_ip(cfg), local->uplink != OFPP_NONE,
                    local_config_bfd_interval(cfg),
                    desired_chassis_needed(f->desired));
        f->tunnels_dirty = false;
    }

    free(f->target);
    f->target = xasprintf("unix:%s/%s.mgmt", ovs_rundir(), br->name);
    ofctrl_run(f->ofctrl, f->target);

    learn_run(f->ofctrl, f->desired, f->holders);
    desired_push(f->desired, f->ofctrl, nb_cfg);
    gateway_announce(f->gateway, f->ofctrl, f->desired, local);

    /* Learned holders reach the database after their flows. */
    if (!desired_has_changes(f->desired)) {
        holders_write(f->holders, nb_idl, nb_txn);
    }
    /* Port.chassis and Port.up change only with the rows, the local ports
     * or the switch catching up: don't walk every port every iteration. */
    bool idle = ofctrl_is_idle(f->ofctrl);
    n_recomputes = desired_n_recomputes(f->desired);
    if (nb_txn && (f->binding_dirty
                   || (idle != f->binding_idle && f->binding_waiting)
                   || n_recomputes != f->binding_recomputes)) {
        f->binding_waiting = binding_run(nb_txn, desired_rows(f->desired),
                                         local,
                    local_config_system_id(cfg), idle);
        f->binding_idle = idle;
        f->binding_recomputes = n_recomputes;
        f->binding_dirty = false;
    }
}

/* On a clean exit of the active gateway, before its Chassis row goes (and
 * with it the next gateway takes over): removes the few flows that make it
 * the active one (the uplink's entry, the way out), so that it stops
 * answering ARP for the EIPs there, waiting until the switch confirms or
 * EXIT_STEP_DOWN_MSEC. */
static void
step_down_gateway(struct flows *f, struct ovsdb_idl_loop *nb_loop,
                  struct unixctl_server *unixctl)
{
    struct havip_local *local = &f->local_ports.local;
    long long int deadline = time_msec() + EXIT_STEP_DOWN_MSEC;

    if (!local->active_gateway || !f->target
        || !ofctrl_is_synced(f->ofctrl)) {
        return;
    }
    VLOG_INFO("stepping down as the active gateway: the uplink's flows go");
    local->active_gateway = false;
    local->gateway_tunnel = OFPP_NONE;
    desired_force_recompute(f->desired);
    for (;;) {
        ovsdb_idl_loop_run(nb_loop);
        ofctrl_run(f->ofctrl, f->target);
        desired_run(f->desired, nb_loop->idl, local, false);
        desired_push(f->desired, f->ofctrl, INT64_MIN);
        ovsdb_idl_track_clear(nb_loop->idl);
        if ((!desired_has_changes(f->desired) && ofctrl_is_idle(f->ofctrl))
            || time_msec() >= deadline) {
            ovsdb_idl_loop_commit_and_wait(nb_loop);
            return;
        }
        unixctl_server_run(unixctl);

        ofctrl_wait(f->ofctrl);
        unixctl_server_wait(unixctl);
        ovsdb_idl_loop_commit_and_wait(nb_loop);
        poll_timer_wait_until(deadline);
        poll_block();
    }
}

/* Called when the NB transaction of an earlier iteration failed: a
 * conflict, or the connection to the database (the leader of a cluster)
 * was lost before the commit was confirmed.  The Chassis row and the
 * learned holders are compared with the database on every run, so they
 * are written again by themselves; Port.chassis and Port.up are written
 * only when something changes, so make the next run redo them. */
static void
flows_nb_txn_failed(struct flows *f)
{
    f->binding_recomputes = UINT64_MAX;
    f->binding_waiting = true;
    f->binding_dirty = true;
}

/* What the metrics are read from. */
struct controller_metrics {
    const struct controller_dbs *dbs;
    struct flows *flows;
};

/* Fills 'v' from the modules that own the numbers (metrics_snapshot_func).
 * The flows are in sync when the switch has confirmed everything and
 * nothing waits to be sent. */
static void
controller_metrics_snapshot(struct metrics_values *v, void *cm_)
{
    const struct controller_metrics *cm = cm_;
    struct flows *f = cm->flows;

    desired_count_bindings(f->desired, cm->dbs->nb_idl, v->bindings);
    desired_count_refused(f->desired, v->refused_by_rule, METRICS_N_RULES);
    v->recomputes_full = desired_n_recomputes(f->desired);
    v->recomputes_incremental = desired_n_incremental(f->desired);
    v->nb_connected = ovsdb_idl_is_connected(cm->dbs->nb_idl);
    v->ovs_connected = ovsdb_idl_is_connected(cm->dbs->ovs_idl);
    v->switch_connected = ofctrl_is_connected(f->ofctrl);
    v->flows_in_sync = (ofctrl_is_idle(f->ofctrl)
                        && !ofctrl_needs_full_sync(f->ofctrl)
                        && !desired_has_changes(f->desired));
    v->flows_installed = ofctrl_n_flows(f->ofctrl);
    v->latency = *ofctrl_latency_histogram(f->ofctrl);
}

int
main(int argc, char *argv[])
{
    struct exit_args exit_args = { .exiting = false };
    struct unixctl_server *unixctl;
    char *unixctl_path = NULL;
    char *ovs_remote;
    int retval;

    havip_dirs_init();
    set_program_name(argv[0]);
    ovs_cmdl_proctitle_init(argc, argv);
    service_start(&argc, &argv);
    ovs_remote = parse_options(argc, argv, &unixctl_path);
    fatal_ignore_sigpipe();

    daemonize_start(false);

    retval = unixctl_server_create(unixctl_path, &unixctl);
    if (retval) {
        exit(EXIT_FAILURE);
    }
    unixctl_command_register("exit", "[--restart]", 0, 1, controller_exit,
                             &exit_args);

    /* The local Open_vSwitch database: only the columns the modules read or
     * write. */
    struct ovsdb_idl_loop ovs_loop = OVSDB_IDL_LOOP_INITIALIZER(
        ovsdb_idl_create(ovs_remote, &ovsrec_idl_class, false, true));
    local_config_register_idl(ovs_loop.idl);
    br_int_register_idl(ovs_loop.idl);
    local_ports_register_idl(ovs_loop.idl);
    tunnels_register_idl(ovs_loop.idl);

    /* HAVIP_Northbound: all of it, since the controller computes its flows
     * from the whole database.  Its remote comes from the local
     * configuration. */
    struct ovsdb_idl_loop nb_loop = OVSDB_IDL_LOOP_INITIALIZER(
        ovsdb_idl_create_unconnected(&nbrec_idl_class, true));
    ovsdb_idl_track_add_all(nb_loop.idl);

    /* The flows: desired (computed) and installed (on the switch). */
    struct flows flows;
    flows_init(&flows);

    struct local_config *cfg = local_config_create();
    struct nb_remote *nb_remote = nb_remote_create();
    struct chassis *chassis = chassis_create(nb_loop.idl);
    struct controller_dbs dbs = {
        .ovs_idl = ovs_loop.idl,
        .ovs_remote = ovs_remote,
        .nb_idl = nb_loop.idl,
        .cfg = cfg,
    };
    unixctl_command_register("connection-status", "", 0, 0,
                             controller_connection_status, &dbs);
    struct controller_metrics cm = { .dbs = &dbs, .flows = &flows };
    struct metrics *metrics = metrics_create(controller_metrics_snapshot,
                                             &cm);

    daemonize_complete();

    int64_t nb_cfg = 0;
    bool ovs_connected = false;
    bool nb_connected = false;
    while (!exit_args.exiting) {
        memory_run();
        if (memory_should_report()) {
            report_memory(ovs_loop.idl, nb_loop.idl);
        }

        /* Inputs. */
        struct ovsdb_idl_txn *ovs_txn = ovsdb_idl_loop_run(&ovs_loop);
        local_config_run(cfg, ovs_loop.idl);
        nb_remote_run(nb_remote, nb_loop.idl, local_config_remote(cfg));
        struct ovsdb_idl_txn *nb_txn = ovsdb_idl_loop_run(&nb_loop);
        if (connection_changed(ovs_loop.idl, &ovs_connected,
                               "Open_vSwitch")) {
            COVERAGE_INC(ovs_db_connect);
        }
        if (connection_changed(nb_loop.idl, &nb_connected,
                               "HAVIP_Northbound")) {
            COVERAGE_INC(nb_db_connect);
        }

        /* Local bridge, then the Chassis row and its acknowledgement. */
        const struct ovsrec_bridge *br;
        br = br_int_run(ovs_txn, ovs_loop.idl, local_config_bridge(cfg),
                        local_config_bridge_datapath_type(cfg));
        bool local_changed = local_ports_run(&flows.local_ports,
                                             ovs_loop.idl, br,
                                             local_config_uplink(cfg));

        nb_cfg = current_nb_cfg(nb_loop.idl, nb_cfg);
        flows_run(&flows, br, ovs_txn, nb_loop.idl, nb_txn, cfg,
                  local_changed, nb_cfg);
        ovsdb_idl_track_clear(nb_loop.idl);

        /* The Chassis row acknowledges what the switch confirmed. */
        int64_t installed_cfg = ofctrl_installed_cfg(flows.ofctrl);
        struct chassis_config cc = {
            .system_id = local_config_system_id(cfg),
            .hostname = local_config_hostname(cfg),
            .encap_ip = local_config_encap_ip(cfg),
            .encap_type = local_config_encap_type(cfg),
            .gateway_priority = (flows.local_ports.local.uplink != OFPP_NONE
                                 ? local_config_gateway_priority(cfg) : -1),
        };
        chassis_run(chassis, nb_txn, &cc,
                    installed_cfg >= 0 ? installed_cfg : CHASSIS_CFG_NONE);

        metrics_run(metrics, local_config_metrics_address(cfg));
        unixctl_server_run(unixctl);

        memory_wait();
        ofctrl_wait(flows.ofctrl);
        gateway_wait(flows.gateway);
        nb_remote_wait(nb_remote);
        chassis_wait(chassis);
        metrics_wait(metrics);
        unixctl_server_wait(unixctl);
        ovsdb_idl_loop_commit_and_wait(&ovs_loop);
        if (!ovsdb_idl_loop_commit_and_wait(&nb_loop)) {
            COVERAGE_INC(nb_txn_failed);
            flows_nb_txn_failed(&flows);
        }
        if (exit_args.exiting) {
            poll_immediate_wake();
        }
        poll_block();
        if (should_service_stop()) {
            exit_args.exiting = true;
        }
    }

    if (!exit_args.restart) {
        step_down_gateway(&flows, &nb_loop, unixctl);
        cleanup_chassis(chassis, &nb_loop, unixctl);
    }
    if (exit_args.conn) {
        unixctl_command_reply(exit_args.conn, NULL);
    }

    metrics_destroy(metrics);
    chassis_destroy(chassis);
    flows_destroy(&flows);
    br_int_destroy();
    local_config_destroy(cfg);
    nb_remote_destroy(nb_remote);
    ovsdb_idl_loop_destroy(&nb_loop);
    ovsdb_idl_loop_destroy(&ovs_loop);
    unixctl_server_destroy(unixctl);
    free(ovs_remote);
    service_stop();
    return 0;
}

static char *
parse_options(int argc, char *argv[], char **unixctl_path)
{
    enum {
        OPT_PEER_CA_CERT = UCHAR_MAX + 1,
        OPT_BOOTSTRAP_CA_CERT,
        OPT_UNIXCTL,
        VLOG_OPTION_ENUMS,
        DAEMON_OPTION_ENUMS,
        SSL_OPTION_ENUMS,
    };
    static const struct option long_options[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"unixctl", required_argument, NULL, OPT_UNIXCTL},
        DAEMON_LONG_OPTIONS,
        VLOG_LONG_OPTIONS,
        STREAM_SSL_LONG_OPTIONS,
        {"peer-ca-cert", required_argument, NULL, OPT_PEER_CA_CERT},
        {"bootstrap-ca-cert", required_argument, NULL, OPT_BOOTSTRAP_CA_CERT},
        {NULL, 0, NULL, 0},
    };
    char *short_options = ovs_cmdl_long_options_to_short_options(long_options);

    for (;;) {
        int c = getopt_long(argc, argv, short_options, long_options, NULL);
        if (c == -1) {
            break;
        }

        switch (c) {
        case 'h':
            usage();

        case 'V':
            ovs_print_version(OFP15_VERSION, OFP15_VERSION);
            printf("HAVIP_Northbound DB Schema %s\n", nbrec_get_db_version());
            printf("havip %s\n", HAVIP_VERSION);
            exit(EXIT_SUCCESS);

        case OPT_UNIXCTL:
            *unixctl_path = optarg;
            break;

        VLOG_OPTION_HANDLERS
        DAEMON_OPTION_HANDLERS
        STREAM_SSL_OPTION_HANDLERS

        case OPT_PEER_CA_CERT:
            stream_ssl_set_peer_ca_cert_file(optarg);
            break;

        case OPT_BOOTSTRAP_CA_CERT:
            stream_ssl_set_ca_cert_file(optarg, true);
            break;

        case '?':
            exit(EXIT_FAILURE);

        default:
            abort();
        }
    }
    free(short_options);

    argc -= optind;
    argv += optind;

    switch (argc) {
    case 0:
        return xasprintf("unix:%s/db.sock", ovs_rundir());

    case 1:
        return xstrdup(argv[0]);

    default:
        ovs_fatal(0, "at most one non-option argument accepted; "
                  "use --help for usage");
    }
}

static void
usage(void)
{
    printf("%s: HAVIP controller for Open vSwitch\n"
           "usage: %s [OPTIONS] [OVS_DB]\n"
           "where OVS_DB is the local Open vSwitch database\n"
           "      (default: \"unix:%s/db.sock\").\n"
           "The HAVIP_Northbound database and the integration bridge are "
           "configured\n"
           "in the Open_vSwitch table's external_ids (see "
           "havip-controller(8)):\n"
           "havip-remote is one remote or, for a clustered database, the "
           "comma-separated\n"
           "list of its members' remotes (the controller follows the "
           "leader).\n",
           program_name, program_name, ovs_rundir());
    stream_usage("OVS_DB", true, false, true);
    daemon_usage();
    vlog_usage();
    printf("\nOther options:\n"
           "  --unixctl=SOCKET        override default control socket name\n"
           "  -h, --help              display this help message\n"
           "  -V, --version           display version information\n");
    exit(EXIT_SUCCESS);
}

static void
controller_exit(struct unixctl_conn *conn, int argc, const char *argv[],
                void *exit_args_)
{
    struct exit_args *exit_args = exit_args_;

    if (argc == 2 && strcmp(argv[1], "--restart")) {
        unixctl_command_reply_error(conn, "unknown option (use --restart)");
        return;
    }
    if (exit_args->conn) {
        unixctl_command_reply_error(conn, "already exiting");
        return;
    }
    exit_args->exiting = true;
    exit_args->restart = argc == 2;
    exit_args->conn = conn;
}

/* Appends to 'out' one line on the connection to 'idl'. */
static void
format_connection(struct ds *out, const char *db_name,
                  const struct ovsdb_idl *idl, const char *remote)
{
    ds_put_format(out, "%s: ", db_name);
    if (!remote) {
        ds_put_cstr(out, "not configured yet\n");
    } else if (ovsdb_idl_is_connected(idl)) {
        ds_put_format(out, "connected (%s)\n", remote);
    } else {
        int error = ovsdb_idl_get_last_error(idl);

        ds_put_format(out, "not connected (%s", remote);
        if (error) {
            ds_put_format(out, ": %s", ovs_retval_to_string(error));
        }
        ds_put_cstr(out, ")\n");
    }
}

static void
controller_connection_status(struct unixctl_conn *conn,
                             int argc OVS_UNUSED,
                             const char *argv[] OVS_UNUSED, void *dbs_)
{
    const struct controller_dbs *dbs = dbs_;
    struct ds out = DS_EMPTY_INITIALIZER;

    format_connection(&out, "nb", dbs->nb_idl,
                      local_config_remote(dbs->cfg));
    format_connection(&out, "ovs", dbs->ovs_idl, dbs->ovs_remote);
    unixctl_command_reply(conn, ds_cstr(&out));
    ds_destroy(&out);
}
