/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

/* havip-nbctl: the command-line interface to the HAVIP_Northbound database,
 * built on Open vSwitch's db-ctl-base like ovn-nbctl.
 *
 * All commands of one invocation (chained with "--") run in one IDL
 * transaction.  Every command checks the rules of DESIGN.md section 3 that
 * it can break, with a message naming the objects; as a safety net, the
 * whole database is also checked with havip_rules_check() before and after
 * the commands run, and a transaction that adds any violation (for example
 * through a generic "set") is refused.  Rows read to decide that an EIP is
 * free are verified in the transaction, so two concurrent binds of one EIP
 * cannot both commit: the loser gets TRY_AGAIN, reruns its commands on the
 * new contents and fails. */

#include <config.h>

#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command-line.h"
#include "db-ctl-base.h"
#include "fatal-signal.h"
#include "hash.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "ovsdb-data.h"
#include "ovsdb-idl-provider.h"
#include "ovsdb-idl.h"
#include "packets.h"
#include "process.h"
#include "stream-ssl.h"
#include "stream.h"
#include "svec.h"
#include "table.h"
#include "timeval.h"
#include "util.h"

#include "havip-addr.h"
#include "havip-rules.h"
#include "havip-version.h"
#include "ovsdb/havip-nb-idl.h"

VLOG_DEFINE_THIS_MODULE(havip_nbctl);

/* What to wait for after committing. */
enum nbctl_wait_type {
    NBCTL_WAIT_NONE,            /* Return after the commit. */
    NBCTL_WAIT_HV,              /* Wait until every chassis installed it. */
};

/* --db: the database remote(s). */
static const char *db;

/* --wait. */
static enum nbctl_wait_type wait_type = NBCTL_WAIT_NONE;

/* --timeout: seconds to wait for the whole run, 0 for no limit, and the
 * corresponding absolute deadline in time_msec() terms. */
static unsigned int timeout;
static long long int deadline = LLONG_MAX;

/* --dry-run: do not commit. */
static bool dry_run;

/* --oneline: print one line of output per command. */
static bool oneline;

/* --leader-only (the default) / --no-leader-only. */
static int leader_only = true;

/* Format for the output of generic commands such as "list". */
static struct table_style table_style = TABLE_STYLE_DEFAULT;

/* Set by "sync": wait (--wait=hv) even if nothing changed. */
static bool force_wait;

/* Warnings of the current attempt, printed on stderr once it commits. */
static struct svec warnings = SVEC_EMPTY_INITIALIZER;

/* The IDL and its transaction, for nbctl_exit(). */
static struct ovsdb_idl *the_idl;
static struct ovsdb_idl_txn *the_idl_txn;

OVS_NO_RETURN static void nbctl_exit(int status);
OVS_NO_RETURN static void usage(void);
static void nbctl_cmd_init(void);
static void parse_options(int argc, char *argv[],
                          struct shash *local_options);
static void run_prerequisites(struct ctl_command *, size_t n_commands,
                              struct ovsdb_idl *);
static bool do_nbctl(const char *args, struct ctl_command *,
                     size_t n_commands, struct ovsdb_idl *);

int
main(int argc, char *argv[])
{
    struct shash local_options = SHASH_INITIALIZER(&local_options);
    struct ctl_command *commands;
    size_t n_commands;

    set_program_name(argv[0]);
    fatal_ignore_sigpipe();
    vlog_set_levels(NULL, VLF_CONSOLE, VLL_WARN);
    vlog_set_levels_from_string_assert("reconnect:warn");

    nbctl_cmd_init();

    char *args = process_escape_args(argv);
    parse_options(argc, argv, &local_options);
    char *error = ctl_parse_commands(argc - optind, argv + optind,
                                     &local_options, &commands, &n_commands);
    if (error) {
        ctl_fatal("%s", error);
    }
    VLOG(ctl_might_write_to_db(commands, n_commands) ? VLL_INFO : VLL_DBG,
         "Called as %s", args);

    if (timeout) {
        deadline = time_msec() + timeout * 1000LL;
    }

    /* Every table is monitored: the rules span the whole database.  A
     * single remote that cannot be reached fails at once.  A list names
     * the members of a cluster, which are tried in turn until one is the
     * leader (bounded by --timeout): right after the leader fails, the
     * others refuse clients until they have elected a new one.  Losing the
     * leader in the middle of a transaction reconnects to the next one and
     * reruns the commands there. */
    the_idl = ovsdb_idl_create(db, &nbrec_idl_class, true,
                               strchr(db, ',') != NULL);
    ovsdb_idl_set_leader_only(the_idl, leader_only);
    run_prerequisites(commands, n_commands, the_idl);

    /* Runs the commands once per database change until they commit; see
     * ovs-vsctl for why there is no point in retrying without a change. */
    unsigned int seqno = ovsdb_idl_get_seqno(the_idl);
    for (;;) {
        ovsdb_idl_run(the_idl);
        if (!ovsdb_idl_is_alive(the_idl)) {
            int retval = ovsdb_idl_get_last_error(the_idl);
            ctl_fatal("%s: database connection failed (%s)",
                      db, ovs_retval_to_string(retval));
        }

        if (seqno != ovsdb_idl_get_seqno(the_idl)) {
            seqno = ovsdb_idl_get_seqno(the_idl);
            if (do_nbctl(args, commands, n_commands, the_idl)) {
                free(args);
                svec_destroy(&warnings);
                exit(EXIT_SUCCESS);
            }
        }

        if (seqno == ovsdb_idl_get_seqno(the_idl)) {
            ovsdb_idl_wait(the_idl);
            if (deadline != LLONG_MAX) {
                poll_timer_wait_until(deadline);
            }
            poll_block();
            if (time_msec() >= deadline) {
                ctl_fatal("%s: timed out after %u s", db,
                          timeout);
            }
        }
    }
}

static void
parse_options(int argc, char *argv[], struct shash *local_options)
{
    enum {
        OPT_DB = UCHAR_MAX + 1,
        OPT_NO_WAIT,
        OPT_WAIT,
        OPT_DRY_RUN,
        OPT_ONELINE,
        OPT_LOCAL,
        OPT_COMMANDS,
        OPT_OPTIONS,
        OPT_BOOTSTRAP_CA_CERT,
        VLOG_OPTION_ENUMS,
        TABLE_OPTION_ENUMS,
        SSL_OPTION_ENUMS,
    };
    static const struct option global_long_options[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"no-wait", no_argument, NULL, OPT_NO_WAIT},
        {"wait", required_argument, NULL, OPT_WAIT},
        {"timeout", required_argument, NULL, 't'},
        {"dry-run", no_argument, NULL, OPT_DRY_RUN},
        {"oneline", no_argument, NULL, OPT_ONELINE},
        {"leader-only", no_argument, &leader_only, true},
        {"no-leader-only", no_argument, &leader_only, false},
        {"help", no_argument, NULL, 'h'},
        {"commands", no_argument, NULL, OPT_COMMANDS},
        {"options", no_argument, NULL, OPT_OPTIONS},
        {"version", no_argument, NULL, 'V'},
        VLOG_LONG_OPTIONS,
        TABLE_LONG_OPTIONS,
        STREAM_SSL_LONG_OPTIONS,
        {"bootstrap-ca-cert", required_argument, NULL, OPT_BOOTSTRAP_CA_CERT},
        {NULL, 0, NULL, 0},
    };
    const int n_global_long_options = ARRAY_SIZE(global_long_options) - 1;

    char *tmp = ovs_cmdl_long_options_to_short_options(global_long_options);
    char *short_options = xasprintf("+%s", tmp);
    free(tmp);

    /* getopt_long() parses the global options and, after them, the options
     * of every command (--may-exist, --if-exists, ...), which
     * ctl_parse_commands() then hands to the first command. */
    struct option *options = xmemdup(global_long_options,
                                     sizeof global_long_options);
    size_t allocated_options = ARRAY_SIZE(global_long_options);
    size_t n_options = n_global_long_options;
    ctl_add_cmd_options(&options, &n_options, &allocated_options, OPT_LOCAL);

    for (;;) {
        int idx;
        int c = getopt_long(argc, argv, short_options, options, &idx);
        if (c == -1) {
            break;
        }

        switch (c) {
        case OPT_DB:
            db = optarg;
            break;

        case OPT_NO_WAIT:
            wait_type = NBCTL_WAIT_NONE;
            break;

        case OPT_WAIT:
            if (!strcmp(optarg, "none")) {
                wait_type = NBCTL_WAIT_NONE;
            } else if (!strcmp(optarg, "hv")) {
                wait_type = NBCTL_WAIT_HV;
            } else {
                ctl_fatal("argument to --wait must be \"none\" or \"hv\"");
            }
            break;

        case 't':
            if (!str_to_uint(optarg, 10, &timeout) || !timeout) {
                ctl_fatal("value %s on -t or --timeout is invalid", optarg);
            }
            break;

        case OPT_DRY_RUN:
            dry_run = true;
            break;

        case OPT_ONELINE:
            oneline = true;
            break;

        case OPT_LOCAL:
            if (shash_find(local_options, options[idx].name)) {
                ctl_fatal("'%s' option specified multiple times",
                          options[idx].name);
            }
            shash_add_nocopy(local_options,
                             xasprintf("--%s", options[idx].name),
                             nullable_xstrdup(optarg));
            break;

        case 'h':
            usage();

        case OPT_COMMANDS:
            ctl_print_commands();
            /* fall through */

        case OPT_OPTIONS:
            ctl_print_options(global_long_options);
            /* fall through */

        case 'V':
            ovs_print_version(0, 0);
            printf("DB Schema %s\n", nbrec_get_db_version());
            printf("havip %s\n", HAVIP_VERSION);
            exit(EXIT_SUCCESS);

        VLOG_OPTION_HANDLERS
        TABLE_OPTION_HANDLERS(&table_style)
        STREAM_SSL_OPTION_HANDLERS

        case OPT_BOOTSTRAP_CA_CERT:
            stream_ssl_set_ca_cert_file(optarg, true);
            break;

        case '?':
            exit(EXIT_FAILURE);

        case 0:
            break;

        default:
            abort();
        }
    }
    free(short_options);

    if (!db) {
        db = getenv("HAVIP_NB_DB");
        if (!db || !db[0]) {
            db = "unix:/var/run/havip/havip_nb.sock";
        }
    }

    for (size_t i = n_global_long_options; options[i].name; i++) {
        free(CONST_CAST(char *, options[i].name));
    }
    free(options);
}

static void
usage(void)
{
    printf("\
%s: HAVIP_Northbound database management utility\n\
usage: %s [OPTIONS] COMMAND [ARG...]\n\
\n\
General commands:\n\
  init                      initialize the database\n\
  show                      print the database as a tree, marking rows\n\
                            that break a rule\n\
  sync                      wait for earlier changes to take effect\n\
                            (with --wait=hv)\n\
\n\
Region commands:\n\
  region-add REGION [EXT_GW_MAC]  create REGION (next-hop MAC EXT_GW_MAC)\n\
  region-del REGION         delete REGION (it must be empty)\n\
\n\
VPC commands:\n\
  vpc-add REGION VPC        create VPC in REGION\n\
  vpc-del VPC               delete VPC (it must have no subnet)\n\
\n\
Subnet commands:\n\
  subnet-add VPC SUBNET CIDR [GATEWAY_IP]\n\
                            create SUBNET in VPC (gateway: first host)\n\
  subnet-del SUBNET         delete SUBNET (it must be empty)\n\
\n\
Port commands:\n\
  port-add SUBNET PORT MAC IP  create vNIC PORT in SUBNET\n\
  port-del PORT             delete PORT\n\
\n\
HAVIP commands:\n\
  havip-add SUBNET HAVIP [IP]  create HAVIP in SUBNET (IP: lowest free)\n\
  havip-del HAVIP           delete HAVIP\n\
  havip-associate HAVIP PORT     associate PORT with HAVIP\n\
  havip-disassociate HAVIP PORT  disassociate PORT from HAVIP\n\
  havip-set-holder HAVIP PORT    make associated PORT the holder\n\
  havip-clear-holder HAVIP  clear the holder of HAVIP\n\
  havip-get-holder HAVIP    print the holder of HAVIP, if any\n\
\n\
EIP commands:\n\
  eip-add REGION EIP IP     create EIP with public IP in REGION\n\
  eip-del EIP               delete EIP (it must be unbound)\n\
  eip-bind EIP HAVIP        bind EIP to HAVIP (failover-safe)\n\
  eip-bind-port EIP PORT    pin EIP to one vNIC PORT (no failover)\n\
  eip-unbind EIP            unbind EIP from its HAVIP or port\n\
\n\
Chassis commands:\n\
  chassis-list              print the system-id of every chassis\n\
\n\
Every object is named by its name or its UUID.  Every *-add command\n\
takes --may-exist, every *-del command --if-exists.\n\
\n\
%s\
%s\
\n\
Options:\n\
  --db=DATABASE             connect to DATABASE, one remote or the\n\
                            comma-separated remotes of a cluster's\n\
                            members (default: $HAVIP_NB_DB, else\n\
                            unix:/var/run/havip/havip_nb.sock)\n\
  --wait=none|hv            after committing, wait for nothing (default)\n\
                            or until every chassis installed the change\n\
  --no-wait                 same as --wait=none\n\
  -t, --timeout=SECS        give up after SECS seconds\n\
  --dry-run                 do not commit changes to the database\n\
  --oneline                 print exactly one line of output per command\n\
  --no-leader-only          accept a follower of a clustered database\n",
           program_name, program_name, ctl_get_db_cmd_usage(),
           ctl_list_db_tables_usage());
    table_usage();
    vlog_usage();
    stream_usage("database", true, true, true);
    printf("\n\
Other options:\n\
  -h, --help                display this help message\n\
  -V, --version             display version information\n");
    exit(EXIT_SUCCESS);
}

/* Frees the transaction and the IDL, then exits with 'status'; called by
 * ctl_fatal() too, so that an error never commits anything. */
static void
nbctl_exit(int status)
{
    if (the_idl_txn) {
        ovsdb_idl_txn_abort(the_idl_txn);
        ovsdb_idl_txn_destroy(the_idl_txn);
    }
    ovsdb_idl_destroy(the_idl);
    exit(status);
}

/* Looking rows up by name or UUID. */

/* A kind of object that commands name. */
struct nbctl_kind {
    const struct ovsdb_idl_table_class *table;
    const struct ovsdb_idl_column *name;  /* Its "name" column. */
    const char *what;                     /* "region", "HAVIP", ... */
};

static const struct nbctl_kind region_kind = {
    &nbrec_table_classes[NBREC_TABLE_REGION],
    &nbrec_region_columns[NBREC_REGION_COL_NAME], "region",
};
static const struct nbctl_kind vpc_kind = {
    &nbrec_table_classes[NBREC_TABLE_VPC],
    &nbrec_vpc_columns[NBREC_VPC_COL_NAME], "VPC",
};
static const struct nbctl_kind subnet_kind = {
    &nbrec_table_classes[NBREC_TABLE_SUBNET],
    &nbrec_subnet_columns[NBREC_SUBNET_COL_NAME], "subnet",
};
static const struct nbctl_kind port_kind = {
    &nbrec_table_classes[NBREC_TABLE_PORT],
    &nbrec_port_columns[NBREC_PORT_COL_NAME], "port",
};
static const struct nbctl_kind havip_kind = {
    &nbrec_table_classes[NBREC_TABLE_HAVIP],
    &nbrec_havip_columns[NBREC_HAVIP_COL_NAME], "HAVIP",
};
static const struct nbctl_kind eip_kind = {
    &nbrec_table_classes[NBREC_TABLE_EIP],
    &nbrec_eip_columns[NBREC_EIP_COL_NAME], "EIP",
};

/* Returns the value of 'row''s name column 'column'. */
static const char *
row_name(const struct ovsdb_idl_row *row,
         const struct ovsdb_idl_column *column)
{
    const struct ovsdb_datum *d = ovsdb_idl_read(row, column);
    return d->n == 1 ? json_string(d->keys[0].s) : "";
}

/* Finds the row of 'kind' whose UUID or name is 'id' and stores it in
 * '*rowp' (NULL if none).  Rows deleted earlier in this transaction are not
 * found; rows inserted earlier are.  Returns an error if 'must_exist' and
 * there is no such row. */
static char * OVS_WARN_UNUSED_RESULT
nbctl_lookup(struct ctl_context *ctx, const struct nbctl_kind *kind,
             const char *id, bool must_exist,
             const struct ovsdb_idl_row **rowp)
{
    const struct ovsdb_idl_row *by_name = NULL;
    struct uuid uuid;
    bool is_uuid = uuid_from_string(&uuid, id);

    *rowp = NULL;
    for (const struct ovsdb_idl_row *row
             = ovsdb_idl_first_row(ctx->idl, kind->table);
         row; row = ovsdb_idl_next_row(row)) {
        if (is_uuid && uuid_equals(&row->uuid, &uuid)) {
            *rowp = row;
            return NULL;
        }
        if (!by_name && !strcmp(row_name(row, kind->name), id)) {
            by_name = row;
        }
    }
    *rowp = by_name;
    if (!by_name && must_exist) {
        return xasprintf("%s: %s not found", id, kind->what);
    }
    return NULL;
}

#define NBCTL_DEFINE_LOOKUP(TYPE)                                       \
    static char * OVS_WARN_UNUSED_RESULT                                \
    TYPE##_lookup(struct ctl_context *ctx, const char *id,              \
                  bool must_exist, const struct nbrec_##TYPE **p)       \
    {                                                                   \
        const struct ovsdb_idl_row *row;                                \
        char *error = nbctl_lookup(ctx, &TYPE##_kind, id, must_exist,   \
                                   &row);                               \
        *p = row ? CONTAINER_OF(row, struct nbrec_##TYPE, header_)      \
                 : NULL;                                                \
        return error;                                                   \
    }

NBCTL_DEFINE_LOOKUP(region)
NBCTL_DEFINE_LOOKUP(vpc)
NBCTL_DEFINE_LOOKUP(subnet)
NBCTL_DEFINE_LOOKUP(port)
NBCTL_DEFINE_LOOKUP(havip)
NBCTL_DEFINE_LOOKUP(eip)

/* Reports an error for a broken rule, in the same form as
 * havip_rules_check(): "rule N (NAME): ...". */
static void OVS_PRINTF_FORMAT(3, 4)
rule_error(struct ctl_context *ctx, enum havip_rule rule,
           const char *format, ...)
{
    va_list args;

    va_start(args, format);
    char *msg = xvasprintf(format, args);
    va_end(args);

    ctl_error(ctx, "rule %d (%s): %s", rule, havip_rule_name(rule), msg);
    free(msg);
}

/* Checks that 'name' can name a new row of 'kind'. */
static char * OVS_WARN_UNUSED_RESULT
check_new_name(const struct nbctl_kind *kind, const char *name)
{
    struct uuid uuid;

    if (!name[0]) {
        return xasprintf("%s name must not be empty", kind->what);
    }
    if (uuid_from_string(&uuid, name)) {
        return xasprintf("%s: %s name must not be a UUID", name,
                         kind->what);
    }
    return NULL;
}

/* Looks up the row of 'kind' named 'name' for a "*-add" command.  Returns
 * true if the command should go on and create it, false if it is done
 * (the row exists and --may-exist was given: '*rowp' is the row) or failed
 * (ctx->error is set). */
static bool
add_lookup(struct ctl_context *ctx, const struct nbctl_kind *kind,
           const char *name, const struct ovsdb_idl_row **rowp)
{
    char *error = check_new_name(kind, name);
    if (!error) {
        error = nbctl_lookup(ctx, kind, name, false, rowp);
    }
    if (error) {
        ctx->error = error;
        return false;
    }
    if (*rowp) {
        if (!shash_find(&ctx->options, "--may-exist")) {
            ctl_error(ctx, "%s: %s already exists", name, kind->what);
        }
        return false;
    }
    return true;
}

/* Returns the region of 'subnet', or NULL. */
static const struct nbrec_region *
subnet_region(const struct nbrec_subnet *subnet)
{
    return subnet && subnet->vpc ? subnet->vpc->region : NULL;
}

/* Name of 'region', or "?" for NULL (possible only in a broken DB). */
static const char *
region_name(const struct nbrec_region *region)
{
    return region ? region->name : "?";
}

/* Returns true if the stored address 'stored' parses as 'ip'. */
static bool
same_ip(const char *stored, ovs_be32 ip)
{
    ovs_be32 x;
    return ip_parse(stored, &x) && x == ip;
}

/* Returns true if the stored address 'stored' parses as 'mac'. */
static bool
same_mac(const char *stored, struct eth_addr mac)
{
    struct eth_addr x;
    return eth_addr_from_string(stored, &x) && eth_addr_equals(x, mac);
}

/* Removes 'port' from the ports of 'havip' and, if it holds 'havip', clears
 * the holder. */
static void
havip_remove_port(const struct nbrec_havip *havip,
                  const struct nbrec_port *port)
{
    struct nbrec_port **ports = xmalloc(havip->n_ports * sizeof *ports);
    size_t n = 0;

    for (size_t i = 0; i < havip->n_ports; i++) {
        if (havip->ports[i] != port) {
            ports[n++] = havip->ports[i];
        }
    }
    if (n != havip->n_ports) {
        nbrec_havip_set_ports(havip, ports, n);
    }
    free(ports);
    if (havip->holder == port) {
        nbrec_havip_set_holder(havip, NULL);
    }
}

/* Addresses. */

/* Parses 'subnet''s CIDR and gateway.  Returns an error for a subnet
 * written with bad addresses by something other than havip-nbctl. */
static char * OVS_WARN_UNUSED_RESULT
subnet_parse(const struct nbrec_subnet *subnet, struct havip_cidr *cidr,
             ovs_be32 *gateway_ip)
{
    char *error = havip_parse_cidr(subnet->cidr, cidr);
    if (!error) {
        error = havip_parse_ip(subnet->gateway_ip, gateway_ip);
    }
    if (error) {
        char *msg = xasprintf("subnet %s: %s", subnet->name, error);
        free(error);
        return msg;
    }
    return NULL;
}

/* Adds to 'used' every IPv4 address that ports, HAVIPs and subnet gateways
 * use in 'vpc', each mapped to a description of its first user ("port
 * p1"), to be freed by the caller. */
static void
vpc_used_ips(struct ctl_context *ctx, const struct nbrec_vpc *vpc,
             struct shash *used)
{
    const struct nbrec_subnet *subnet;
    const struct nbrec_port *port;
    const struct nbrec_havip *havip;
    ovs_be32 ip;

    NBREC_SUBNET_FOR_EACH (subnet, ctx->idl) {
        if (subnet->vpc == vpc && ip_parse(subnet->gateway_ip, &ip)) {
            char *key = xasprintf(IP_FMT, IP_ARGS(ip));
            char *what = xasprintf("the gateway of subnet %s", subnet->name);
            if (!shash_add_once(used, key, what)) {
                free(what);
            }
            free(key);
        }
    }
    NBREC_PORT_FOR_EACH (port, ctx->idl) {
        if (port->subnet && port->subnet->vpc == vpc
            && ip_parse(port->ip, &ip)) {
            char *key = xasprintf(IP_FMT, IP_ARGS(ip));
            char *what = xasprintf("port %s", port->name);
            if (!shash_add_once(used, key, what)) {
                free(what);
            }
            free(key);
        }
    }
    NBREC_HAVIP_FOR_EACH (havip, ctx->idl) {
        if (havip->subnet && havip->subnet->vpc == vpc
            && ip_parse(havip->ip, &ip)) {
            char *key = xasprintf(IP_FMT, IP_ARGS(ip));
            char *what = xasprintf("HAVIP %s", havip->name);
            if (!shash_add_once(used, key, what)) {
                free(what);
            }
            free(key);
        }
    }
}

/* Checks rule 5 for giving 'ip' to the host 'what' ("port p1") in 'subnet':
 * inside the subnet, not its network, broadcast or gateway address, and
 * used by nothing else in the VPC.  Reports a failure in 'ctx'. */
static void
check_host_ip(struct ctl_context *ctx, const struct nbrec_subnet *subnet,
              const char *what, ovs_be32 ip)
{
    struct havip_cidr cidr;
    ovs_be32 gateway_ip;
    char *error = subnet_parse(subnet, &cidr, &gateway_ip);

    if (error) {
        rule_error(ctx, HAVIP_RULE_ADDRESSES, "%s", error);
        free(error);
        return;
    }
    error = havip_check_host_ip(ip, &cidr, gateway_ip);
    if (error) {
        rule_error(ctx, HAVIP_RULE_ADDRESSES, "%s: %s", what, error);
        free(error);
        return;
    }

    struct shash used = SHASH_INITIALIZER(&used);
    char *key = xasprintf(IP_FMT, IP_ARGS(ip));
    vpc_used_ips(ctx, subnet->vpc, &used);
    const char *user = shash_find_data(&used, key);
    if (user) {
        rule_error(ctx, HAVIP_RULE_ADDRESSES,
                   "%s: %s is also used by %s in VPC %s",
                   what, key, user, subnet->vpc->name);
    }
    free(key);
    shash_destroy_free_data(&used);
}

/* Finds the lowest free host address of 'subnet' for a new HAVIP and
 * stores it in '*ip'. */
static char * OVS_WARN_UNUSED_RESULT
allocate_ip(struct ctl_context *ctx, const struct nbrec_subnet *subnet,
            ovs_be32 *ip)
{
    struct havip_cidr cidr;
    ovs_be32 gateway_ip;
    char *error = subnet_parse(subnet, &cidr, &gateway_ip);
    if (error) {
        return error;
    }

    struct shash used = SHASH_INITIALIZER(&used);
    vpc_used_ips(ctx, subnet->vpc, &used);

    uint32_t first = ntohl(cidr.net) + 1;
    uint32_t last = ntohl(havip_cidr_broadcast(&cidr)) - 1;
    for (uint32_t h = first; h <= last; h++) {
        char *key = xasprintf(IP_FMT, IP_ARGS(htonl(h)));
        bool taken = htonl(h) == gateway_ip || shash_find(&used, key);
        free(key);
        if (!taken) {
            *ip = htonl(h);
            shash_destroy_free_data(&used);
            return NULL;
        }
    }
    shash_destroy_free_data(&used);
    return xasprintf("%s: no free IP address in %s", subnet->name,
                     subnet->cidr);
}

/* Generic prerequisites.  The IDL monitors every column, so there is
 * nothing to add; "sync" only asks to wait. */

static void
pre_sync(struct ctl_context *ctx OVS_UNUSED)
{
    force_wait = true;
}

static void
cmd_init(struct ctl_context *ctx OVS_UNUSED)
{
    /* do_nbctl() creates NB_Global when it is missing. */
}

static void
cmd_sync(struct ctl_context *ctx OVS_UNUSED)
{
    if (wait_type == NBCTL_WAIT_NONE) {
        VLOG_INFO("\"sync\" command has no effect without --wait=hv");
    }
}

/* Region commands. */

static void
cmd_region_add(struct ctl_context *ctx)
{
    const char *name = ctx->argv[1];
    const char *mac = ctx->argc > 2 ? ctx->argv[2] : "";
    const struct ovsdb_idl_row *row;
    struct eth_addr ea;

    if (mac[0]) {
        char *error = havip_parse_mac(mac, &ea);
        if (error) {
            ctx->error = error;
            return;
        }
    }
    if (!add_lookup(ctx, &region_kind, name, &row)) {
        const struct nbrec_region *region
            = row ? CONTAINER_OF(row, struct nbrec_region, header_) : NULL;
        if (!ctx->error && ctx->argc > 2
            && (mac[0] ? !same_mac(region->external_gateway_mac, ea)
                : region->external_gateway_mac[0] != '\0')) {
            ctl_error(ctx, "%s: region exists with external gateway MAC "
                      "\"%s\"", name, region->external_gateway_mac);
        }
        return;
    }

    char *norm_mac = (mac[0] ? xasprintf(ETH_ADDR_FMT, ETH_ADDR_ARGS(ea))
                      : xstrdup(""));
    struct nbrec_region *region = nbrec_region_insert(ctx->txn);
    nbrec_region_set_name(region, name);
    nbrec_region_set_external_gateway_mac(region, norm_mac);
    free(norm_mac);
}

static void
cmd_region_del(struct ctl_context *ctx)
{
    bool must_exist = !shash_find(&ctx->options, "--if-exists");
    const struct nbrec_region *region;
    const struct nbrec_vpc *vpc;
    const struct nbrec_eip *eip;
    const char *child = NULL;
    const char *what = NULL;

    ctx->error = region_lookup(ctx, ctx->argv[1], must_exist, &region);
    if (ctx->error || !region) {
        return;
    }
    NBREC_VPC_FOR_EACH (vpc, ctx->idl) {
        if (vpc->region == region
            && (!child || strcmp(vpc->name, child) < 0)) {
            child = vpc->name;
            what = "VPC";
        }
    }
    if (!child) {
        NBREC_EIP_FOR_EACH (eip, ctx->idl) {
            if (eip->region == region
                && (!child || strcmp(eip->name, child) < 0)) {
                child = eip->name;
                what = "EIP";
            }
        }
    }
    if (child) {
        ctl_error(ctx, "%s: region still has %s %s; delete it first",
                  region->name, what, child);
        return;
    }
    nbrec_region_delete(region);
}

/* VPC commands. */

static void
cmd_vpc_add(struct ctl_context *ctx)
{
    const char *name = ctx->argv[2];
    const struct nbrec_region *region;
    const struct ovsdb_idl_row *row;

    ctx->error = region_lookup(ctx, ctx->argv[1], true, &region);
    if (ctx->error) {
        return;
    }
    if (!add_lookup(ctx, &vpc_kind, name, &row)) {
        const struct nbrec_vpc *vpc
            = row ? CONTAINER_OF(row, struct nbrec_vpc, header_) : NULL;
        if (!ctx->error && vpc->region != region) {
            ctl_error(ctx, "%s: VPC exists in region %s", name,
                      region_name(vpc->region));
        }
        return;
    }

    struct nbrec_vpc *vpc = nbrec_vpc_insert(ctx->txn);
    nbrec_vpc_set_name(vpc, name);
    nbrec_vpc_set_region(vpc, region);
}

static void
cmd_vpc_del(struct ctl_context *ctx)
{
    bool must_exist = !shash_find(&ctx->options, "--if-exists");
    const struct nbrec_subnet *subnet;
    const struct nbrec_vpc *vpc;
    const char *child = NULL;

    ctx->error = vpc_lookup(ctx, ctx->argv[1], must_exist, &vpc);
    if (ctx->error || !vpc) {
        return;
    }
    NBREC_SUBNET_FOR_EACH (subnet, ctx->idl) {
        if (subnet->vpc == vpc
            && (!child || strcmp(subnet->name, child) < 0)) {
            child = subnet->name;
        }
    }
    if (child) {
        ctl_error(ctx, "%s: VPC still has subnet %s; delete it first",
                  vpc->name, child);
        return;
    }
    nbrec_vpc_delete(vpc);
}

/* Subnet commands. */

/* Checks that 'cidr' overlaps no other subnet of 'vpc'. */
static void
check_subnet_overlap(struct ctl_context *ctx, const struct nbrec_vpc *vpc,
                     const char *name, const char *cidr_s,
                     const struct havip_cidr *cidr)
{
    const struct nbrec_subnet *other;
    struct havip_cidr oc;

    NBREC_SUBNET_FOR_EACH (other, ctx->idl) {
        char *error;
        if (other->vpc != vpc) {
            continue;
        }
        error = havip_parse_cidr(other->cidr, &oc);
        if (error) {
            free(error);
            continue;
        }
        ovs_be32 mask = be32_prefix_mask(MIN(cidr->plen, oc.plen));
        if ((cidr->net & mask) == (oc.net & mask)) {
            rule_error(ctx, HAVIP_RULE_ADDRESSES,
                       "subnet %s (%s) overlaps subnet %s (%s) in VPC %s",
                       name, cidr_s, other->name, other->cidr, vpc->name);
            return;
        }
    }
}

/* Checks that an existing 'subnet' matches a "subnet-add --may-exist". */
static void
subnet_add_existing(struct ctl_context *ctx, const struct nbrec_subnet *subnet,
                    const struct nbrec_vpc *vpc,
                    const struct havip_cidr *cidr, const ovs_be32 *gateway)
{
    struct havip_cidr cur;
    char *error = havip_parse_cidr(subnet->cidr, &cur);
    bool same_cidr = !error && cur.net == cidr->net && cur.plen == cidr->plen;

    free(error);
    if (subnet->vpc != vpc) {
        ctl_error(ctx, "%s: subnet exists in VPC %s", subnet->name,
                  subnet->vpc ? subnet->vpc->name : "?");
    } else if (!same_cidr) {
        ctl_error(ctx, "%s: subnet exists with CIDR %s", subnet->name,
                  subnet->cidr);
    } else if (gateway && !same_ip(subnet->gateway_ip, *gateway)) {
        ctl_error(ctx, "%s: subnet exists with gateway %s", subnet->name,
                  subnet->gateway_ip);
    }
}

static void
cmd_subnet_add(struct ctl_context *ctx)
{
    const char *name = ctx->argv[2];
    const char *cidr_s = ctx->argv[3];
    const char *gw_s = ctx->argc > 4 ? ctx->argv[4] : NULL;
    const struct ovsdb_idl_row *row;
    const struct nbrec_vpc *vpc;
    struct havip_cidr cidr;
    ovs_be32 gateway_ip;

    ctx->error = vpc_lookup(ctx, ctx->argv[1], true, &vpc);
    if (!ctx->error) {
        ctx->error = havip_parse_cidr(cidr_s, &cidr);
    }
    if (!ctx->error && gw_s) {
        ctx->error = havip_parse_ip(gw_s, &gateway_ip);
    }
    if (ctx->error) {
        return;
    }
    if (!add_lookup(ctx, &subnet_kind, name, &row)) {
        if (row) {
            subnet_add_existing(ctx, CONTAINER_OF(row, struct nbrec_subnet,
                                                  header_),
                                vpc, &cidr, gw_s ? &gateway_ip : NULL);
        }
        return;
    }

    if (gw_s) {
        char *error = havip_check_host_ip(gateway_ip, &cidr, htonl(0));
        if (error) {
            rule_error(ctx, HAVIP_RULE_ADDRESSES, "subnet %s gateway: %s",
                       name, error);
            free(error);
            return;
        }
    } else {
        gateway_ip = havip_cidr_first_host(&cidr);
    }
    check_subnet_overlap(ctx, vpc, name, cidr_s, &cidr);
    if (ctx->error) {
        return;
    }

    struct eth_addr mac;
    eth_addr_random(&mac);
    char *norm_cidr = xasprintf(IP_FMT"/%u", IP_ARGS(cidr.net), cidr.plen);
    char *gw = xasprintf(IP_FMT, IP_ARGS(gateway_ip));
    char *mac_s = xasprintf(ETH_ADDR_FMT, ETH_ADDR_ARGS(mac));

    struct nbrec_subnet *subnet = nbrec_subnet_insert(ctx->txn);
    nbrec_subnet_set_name(subnet, name);
    nbrec_subnet_set_vpc(subnet, vpc);
    nbrec_subnet_set_cidr(subnet, norm_cidr);
    nbrec_subnet_set_gateway_ip(subnet, gw);
    nbrec_subnet_set_gateway_mac(subnet, mac_s);
    free(norm_cidr);
    free(gw);
    free(mac_s);
}

static void
cmd_subnet_del(struct ctl_context *ctx)
{
    bool must_exist = !shash_find(&ctx->options, "--if-exists");
    const struct nbrec_subnet *subnet;
    const struct nbrec_port *port;
    const struct nbrec_havip *havip;
    const char *child = NULL;
    const char *what = NULL;

    ctx->error = subnet_lookup(ctx, ctx->argv[1], must_exist, &subnet);
    if (ctx->error || !subnet) {
        return;
    }
    NBREC_PORT_FOR_EACH (port, ctx->idl) {
        if (port->subnet == subnet
            && (!child || strcmp(port->name, child) < 0)) {
            child = port->name;
            what = "port";
        }
    }
    if (!child) {
        NBREC_HAVIP_FOR_EACH (havip, ctx->idl) {
            if (havip->subnet == subnet
                && (!child || strcmp(havip->name, child) < 0)) {
                child = havip->name;
                what = "HAVIP";
            }
        }
    }
    if (child) {
        ctl_error(ctx, "%s: subnet still has %s %s; delete it first",
                  subnet->name, what, child);
        return;
    }
    nbrec_subnet_delete(subnet);
}

/* Port commands. */

/* Checks that no other port of 'subnet' has MAC 'mac'. */
static void
check_port_mac(struct ctl_context *ctx, const struct nbrec_subnet *subnet,
               const char *name, const struct eth_addr mac)
{
    const struct nbrec_port *port;
    struct eth_addr other;

    NBREC_PORT_FOR_EACH (port, ctx->idl) {
        if (port->subnet == subnet && eth_addr_from_string(port->mac, &other)
            && eth_addr_equals(mac, other)) {
            rule_error(ctx, HAVIP_RULE_ADDRESSES,
                       "port %s: MAC "ETH_ADDR_FMT" is also used by port %s "
                       "in subnet %s", name, ETH_ADDR_ARGS(mac), port->name,
                       subnet->name);
            return;
        }
    }
}

static void
cmd_port_add(struct ctl_context *ctx)
{
    const char *name = ctx->argv[2];
    const char *mac_s = ctx->argv[3];
    const char *ip_s = ctx->argv[4];
    const struct nbrec_subnet *subnet;
    const struct ovsdb_idl_row *row;
    struct eth_addr mac;
    ovs_be32 ip;

    ctx->error = subnet_lookup(ctx, ctx->argv[1], true, &subnet);
    if (!ctx->error) {
        ctx->error = havip_parse_mac(mac_s, &mac);
    }
    if (!ctx->error) {
        ctx->error = havip_parse_ip(ip_s, &ip);
    }
    if (ctx->error) {
        return;
    }
    if (!add_lookup(ctx, &port_kind, name, &row)) {
        const struct nbrec_port *port
            = row ? CONTAINER_OF(row, struct nbrec_port, header_) : NULL;
        if (ctx->error) {
            return;
        } else if (port->subnet != subnet) {
            ctl_error(ctx, "%s: port exists in subnet %s", name,
                      port->subnet ? port->subnet->name : "?");
        } else if (!same_mac(port->mac, mac) || !same_ip(port->ip, ip)) {
            ctl_error(ctx, "%s: port exists with MAC %s and IP %s", name,
                      port->mac, port->ip);
        }
        return;
    }

    char *what = xasprintf("port %s", name);
    check_host_ip(ctx, subnet, what, ip);
    free(what);
    if (!ctx->error) {
        check_port_mac(ctx, subnet, name, mac);
    }
    if (ctx->error) {
        return;
    }

    char *norm_mac = xasprintf(ETH_ADDR_FMT, ETH_ADDR_ARGS(mac));
    char *norm_ip = xasprintf(IP_FMT, IP_ARGS(ip));
    struct nbrec_port *port = nbrec_port_insert(ctx->txn);
    nbrec_port_set_name(port, name);
    nbrec_port_set_subnet(port, subnet);
    nbrec_port_set_mac(port, norm_mac);
    nbrec_port_set_ip(port, norm_ip);
    free(norm_mac);
    free(norm_ip);
}

static void
cmd_port_del(struct ctl_context *ctx)
{
    bool must_exist = !shash_find(&ctx->options, "--if-exists");
    const struct nbrec_havip *havip;
    const struct nbrec_port *port;

    ctx->error = port_lookup(ctx, ctx->argv[1], must_exist, &port);
    if (ctx->error || !port) {
        return;
    }

    /* The database drops weak references by itself, but the rules are
     * checked on this transaction's view of it, so drop them here. */
    NBREC_HAVIP_FOR_EACH (havip, ctx->idl) {
        havip_remove_port(havip, port);
    }
    nbrec_port_delete(port);
}

/* HAVIP commands. */

static void
cmd_havip_add(struct ctl_context *ctx)
{
    const char *name = ctx->argv[2];
    const char *ip_s = ctx->argc > 3 ? ctx->argv[3] : NULL;
    const struct nbrec_subnet *subnet;
    const struct ovsdb_idl_row *row;
    ovs_be32 ip;

    ctx->error = subnet_lookup(ctx, ctx->argv[1], true, &subnet);
    if (!ctx->error && ip_s) {
        ctx->error = havip_parse_ip(ip_s, &ip);
    }
    if (ctx->error) {
        return;
    }
    if (!add_lookup(ctx, &havip_kind, name, &row)) {
        const struct nbrec_havip *havip
            = row ? CONTAINER_OF(row, struct nbrec_havip, header_) : NULL;
        if (ctx->error) {
            return;
        } else if (havip->subnet != subnet) {
            ctl_error(ctx, "%s: HAVIP exists in subnet %s", name,
                      havip->subnet ? havip->subnet->name : "?");
        } else if (ip_s && !same_ip(havip->ip, ip)) {
            ctl_error(ctx, "%s: HAVIP exists with IP %s", name, havip->ip);
        }
        return;
    }

    if (ip_s) {
        char *what = xasprintf("HAVIP %s", name);
        check_host_ip(ctx, subnet, what, ip);
        free(what);
    } else {
        ctx->error = allocate_ip(ctx, subnet, &ip);
    }
    if (ctx->error) {
        return;
    }

    char *norm_ip = xasprintf(IP_FMT, IP_ARGS(ip));
    struct nbrec_havip *havip = nbrec_havip_insert(ctx->txn);
    nbrec_havip_set_name(havip, name);
    nbrec_havip_set_subnet(havip, subnet);
    nbrec_havip_set_ip(havip, norm_ip);
    free(norm_ip);
}

static void
cmd_havip_del(struct ctl_context *ctx)
{
    bool must_exist = !shash_find(&ctx->options, "--if-exists");
    const struct nbrec_havip *havip;

    ctx->error = havip_lookup(ctx, ctx->argv[1], must_exist, &havip);
    if (!ctx->error && havip) {
        nbrec_havip_delete(havip);
    }
}

/* Looks up the HAVIP in argv[1] and the port in argv[2]. */
static bool
havip_port_lookup(struct ctl_context *ctx, const struct nbrec_havip **havip,
                  const struct nbrec_port **port)
{
    ctx->error = havip_lookup(ctx, ctx->argv[1], true, havip);
    if (!ctx->error) {
        ctx->error = port_lookup(ctx, ctx->argv[2], true, port);
    }
    return !ctx->error;
}

static void
cmd_havip_associate(struct ctl_context *ctx)
{
    const struct nbrec_havip *havip;
    const struct nbrec_port *port;

    if (!havip_port_lookup(ctx, &havip, &port)
        || havip_is_associated(havip, port)) {
        return;
    }
    if (port->subnet != havip->subnet) {
        rule_error(ctx, HAVIP_RULE_SAME_SUBNET,
                   "port %s (subnet %s) is not in subnet %s of HAVIP %s",
                   port->name, port->subnet ? port->subnet->name : "?",
                   havip->subnet ? havip->subnet->name : "?", havip->name);
        return;
    }

    struct nbrec_port **ports = xmalloc((havip->n_ports + 1) * sizeof *ports);
    if (havip->n_ports) {
        /* memcpy() from the NULL of an empty set is undefined (UBSan). */
        memcpy(ports, havip->ports, havip->n_ports * sizeof *ports);
    }
    ports[havip->n_ports] = CONST_CAST(struct nbrec_port *, port);
    nbrec_havip_set_ports(havip, ports, havip->n_ports + 1);
    free(ports);
}

static void
cmd_havip_disassociate(struct ctl_context *ctx)
{
    const struct nbrec_havip *havip;
    const struct nbrec_port *port;

    if (!havip_port_lookup(ctx, &havip, &port)) {
        return;
    }
    if (!havip_is_associated(havip, port)) {
        if (!shash_find(&ctx->options, "--if-exists")) {
            ctl_error(ctx, "%s: port is not associated with HAVIP %s",
                      port->name, havip->name);
        }
        return;
    }
    havip_remove_port(havip, port);
}

static void
cmd_havip_set_holder(struct ctl_context *ctx)
{
    const struct nbrec_havip *havip;
    const struct nbrec_port *port;

    if (!havip_port_lookup(ctx, &havip, &port)) {
        return;
    }
    if (!havip_is_associated(havip, port)) {
        rule_error(ctx, HAVIP_RULE_HOLDER,
                   "port %s is not associated with HAVIP %s",
                   port->name, havip->name);
        return;
    }
    if (havip->holder != port) {
        nbrec_havip_set_holder(havip, port);
    }
}

static void
cmd_havip_clear_holder(struct ctl_context *ctx)
{
    const struct nbrec_havip *havip;

    ctx->error = havip_lookup(ctx, ctx->argv[1], true, &havip);
    if (!ctx->error && havip->holder) {
        nbrec_havip_set_holder(havip, NULL);
    }
}

static void
cmd_havip_get_holder(struct ctl_context *ctx)
{
    const struct nbrec_havip *havip;

    ctx->error = havip_lookup(ctx, ctx->argv[1], true, &havip);
    if (!ctx->error && havip->holder) {
        ds_put_format(&ctx->output, "%s\n", havip->holder->name);
    }
}

/* EIP commands. */

static void
cmd_eip_add(struct ctl_context *ctx)
{
    const char *name = ctx->argv[2];
    const char *ip_s = ctx->argv[3];
    const struct nbrec_region *region;
    const struct ovsdb_idl_row *row;
    const struct nbrec_eip *other;
    ovs_be32 ip, other_ip;

    ctx->error = region_lookup(ctx, ctx->argv[1], true, &region);
    if (!ctx->error) {
        ctx->error = havip_parse_ip(ip_s, &ip);
    }
    if (ctx->error) {
        return;
    }
    if (!add_lookup(ctx, &eip_kind, name, &row)) {
        const struct nbrec_eip *eip
            = row ? CONTAINER_OF(row, struct nbrec_eip, header_) : NULL;
        if (ctx->error) {
            return;
        } else if (eip->region != region) {
            ctl_error(ctx, "%s: EIP exists in region %s", name,
                      region_name(eip->region));
        } else if (!same_ip(eip->ip, ip)) {
            ctl_error(ctx, "%s: EIP exists with IP %s", name, eip->ip);
        }
        return;
    }

    if (ip_is_multicast(ip) || ip_is_local_multicast(ip) || !ip
        || ip == htonl(0xffffffff)) {
        rule_error(ctx, HAVIP_RULE_ADDRESSES,
                   "EIP %s: "IP_FMT" is not a unicast address", name,
                   IP_ARGS(ip));
        return;
    }
    NBREC_EIP_FOR_EACH (other, ctx->idl) {
        if (ip_parse(other->ip, &other_ip) && other_ip == ip) {
            rule_error(ctx, HAVIP_RULE_ADDRESSES,
                       "EIP %s: "IP_FMT" is also used by EIP %s",
                       name, IP_ARGS(ip), other->name);
            return;
        }
    }

    char *norm_ip = xasprintf(IP_FMT, IP_ARGS(ip));
    struct nbrec_eip *eip = nbrec_eip_insert(ctx->txn);
    nbrec_eip_set_name(eip, name);
    nbrec_eip_set_region(eip, region);
    nbrec_eip_set_ip(eip, norm_ip);
    free(norm_ip);
}

/* Finds what 'eip' is bound to: the first HAVIP or port (by name) whose
 * "eip" column refers to it, skipping 'self' (a HAVIP or port row about
 * to be bound).  With 'verify', verifies the "eip" column of every HAVIP
 * and port read, so that a concurrent binding makes the commit fail with
 * TRY_AGAIN.  Returns a description ("HAVIP hv1", to be freed) or NULL. */
static char *
eip_find_binding(struct ctl_context *ctx, const struct nbrec_eip *eip,
                 const struct ovsdb_idl_row *self, bool verify)
{
    const struct nbrec_havip *havip;
    const struct nbrec_port *port;
    const char *havip_name = NULL;
    const char *port_name = NULL;

    NBREC_HAVIP_FOR_EACH (havip, ctx->idl) {
        if (verify) {
            nbrec_havip_verify_eip(havip);
        }
        if (havip->eip == eip && &havip->header_ != self
            && (!havip_name || strcmp(havip->name, havip_name) < 0)) {
            havip_name = havip->name;
        }
    }
    NBREC_PORT_FOR_EACH (port, ctx->idl) {
        if (verify) {
            nbrec_port_verify_eip(port);
        }
        if (port->eip == eip && &port->header_ != self
            && (!port_name || strcmp(port->name, port_name) < 0)) {
            port_name = port->name;
        }
    }
    return (havip_name ? xasprintf("HAVIP %s", havip_name)
            : port_name ? xasprintf("port %s", port_name)
            : NULL);
}

static void
cmd_eip_del(struct ctl_context *ctx)
{
    bool must_exist = !shash_find(&ctx->options, "--if-exists");
    const struct nbrec_eip *eip;

    ctx->error = eip_lookup(ctx, ctx->argv[1], must_exist, &eip);
    if (ctx->error || !eip) {
        return;
    }

    char *binding = eip_find_binding(ctx, eip, NULL, true);
    if (binding) {
        ctl_error(ctx, "%s: EIP is bound to %s; unbind it first",
                  eip->name, binding);
        free(binding);
        return;
    }
    nbrec_eip_delete(eip);
}

/* Checks rules 1 to 3 for binding 'eip' to the HAVIP or port 'self',
 * described as 'what' ("HAVIP hv1"), in 'subnet', whose current EIP is
 * 'cur'.  Returns true if the binding may be written. */
static bool
check_eip_bind(struct ctl_context *ctx, const struct nbrec_eip *eip,
               const struct ovsdb_idl_row *self, const char *what,
               const struct nbrec_subnet *subnet,
               const struct nbrec_eip *cur)
{
    const struct nbrec_region *region = subnet_region(subnet);

    if (eip->region != region) {
        rule_error(ctx, HAVIP_RULE_SAME_REGION,
                   "EIP %s is in region %s but %s is in region %s",
                   eip->name, region_name(eip->region), what,
                   region_name(region));
        return false;
    }

    char *binding = eip_find_binding(ctx, eip, self, true);
    if (binding) {
        rule_error(ctx, HAVIP_RULE_EIP_FREE,
                   "EIP %s is already bound to %s", eip->name, binding);
        free(binding);
        return false;
    }

    if (cur && cur != eip) {
        rule_error(ctx, HAVIP_RULE_ONE_BINDING,
                   "%s already has EIP %s; unbind it first", what,
                   cur->name);
        return false;
    }
    return true;
}

static void
cmd_eip_bind(struct ctl_context *ctx)
{
    const struct nbrec_havip *havip;
    const struct nbrec_port *port;
    const struct nbrec_eip *eip;

    ctx->error = eip_lookup(ctx, ctx->argv[1], true, &eip);
    if (!ctx->error) {
        ctx->error = havip_lookup(ctx, ctx->argv[2], false, &havip);
    }
    if (ctx->error) {
        return;
    }
    if (!havip) {
        /* Naming a vNIC here is the mistake rule 4 is about. */
        ctx->error = port_lookup(ctx, ctx->argv[2], false, &port);
        if (!ctx->error && port) {
            rule_error(ctx, HAVIP_RULE_BIND_TO_HAVIP,
                       "%s is a port, not a HAVIP (eip-bind-port pins an "
                       "EIP to one vNIC, without failover)", port->name);
        } else if (!ctx->error) {
            ctl_error(ctx, "%s: HAVIP not found", ctx->argv[2]);
        }
        return;
    }

    char *what = xasprintf("HAVIP %s", havip->name);
    bool ok = check_eip_bind(ctx, eip, &havip->header_, what, havip->subnet,
                             havip->eip);
    free(what);
    if (ok && havip->eip != eip) {
        nbrec_havip_set_eip(havip, eip);
    }
}

static void
cmd_eip_bind_port(struct ctl_context *ctx)
{
    const struct nbrec_havip *havip;
    const struct nbrec_port *port;
    const struct nbrec_eip *eip;

    ctx->error = eip_lookup(ctx, ctx->argv[1], true, &eip);
    if (!ctx->error) {
        ctx->error = port_lookup(ctx, ctx->argv[2], true, &port);
    }
    if (ctx->error) {
        return;
    }

    char *what = xasprintf("port %s", port->name);
    bool ok = check_eip_bind(ctx, eip, &port->header_, what, port->subnet,
                             port->eip);
    free(what);
    if (!ok) {
        return;
    }
    if (port->eip != eip) {
        nbrec_port_set_eip(port, eip);
    }

    /* Rule 4: pinning to a vNIC of a HAVIP works, but does not fail over. */
    const char *havip_name = NULL;
    NBREC_HAVIP_FOR_EACH (havip, ctx->idl) {
        if (havip_is_associated(havip, port)
            && (!havip_name || strcmp(havip->name, havip_name) < 0)) {
            havip_name = havip->name;
        }
    }
    if (havip_name) {
        svec_add_nocopy(&warnings, xasprintf(
            "warning: rule %d (%s): port %s is associated with HAVIP %s; "
            "EIP %s pinned to it will not fail over (use eip-bind %s %s)",
            HAVIP_RULE_BIND_TO_HAVIP,
            havip_rule_name(HAVIP_RULE_BIND_TO_HAVIP), port->name,
            havip_name, eip->name, eip->name, havip_name));
    }
}

static void
cmd_eip_unbind(struct ctl_context *ctx)
{
    const struct nbrec_havip *havip;
    const struct nbrec_port *port;
    const struct nbrec_eip *eip;

    ctx->error = eip_lookup(ctx, ctx->argv[1], true, &eip);
    if (ctx->error) {
        return;
    }
    NBREC_HAVIP_FOR_EACH (havip, ctx->idl) {
        if (havip->eip == eip) {
            nbrec_havip_set_eip(havip, NULL);
        }
    }
    NBREC_PORT_FOR_EACH (port, ctx->idl) {
        if (port->eip == eip) {
            nbrec_port_set_eip(port, NULL);
        }
    }
}

/* Chassis commands. */

static void
cmd_chassis_list(struct ctl_context *ctx)
{
    const struct nbrec_chassis *chassis;
    struct svec names = SVEC_EMPTY_INITIALIZER;
    const char *name;
    size_t i;

    NBREC_CHASSIS_FOR_EACH (chassis, ctx->idl) {
        svec_add(&names, chassis->name);
    }
    svec_sort(&names);
    SVEC_FOR_EACH (i, name, &names) {
        ds_put_format(&ctx->output, "%s\n", name);
    }
    svec_destroy(&names);
}

/* "show". */

/* The rows of one table that refer to one row ('parent'), sorted by
 * name. */
struct show_group {
    struct hmap_node node;      /* In a show_groups map, by uuid_hash(). */
    struct uuid parent;         /* The referenced row. */
    const struct ovsdb_idl_row **rows;
    size_t n_rows;
    size_t allocated_rows;
};

/* A row and its name, for sorting. */
struct show_row {
    const char *name;
    const struct ovsdb_idl_row *row;
};

static int
compare_show_rows(const void *a_, const void *b_)
{
    const struct show_row *a = a_;
    const struct show_row *b = b_;
    int cmp = strcmp(a->name, b->name);

    return cmp ? cmp : uuid_compare_3way(&a->row->uuid, &b->row->uuid);
}

/* Returns the rows of 'kind' sorted by name, and their number in '*n'. */
static struct show_row *
show_sorted_rows(struct ovsdb_idl *idl, const struct nbctl_kind *kind,
                 size_t *n)
{
    struct show_row *rows = NULL;
    size_t allocated = 0;

    *n = 0;
    for (const struct ovsdb_idl_row *row
             = ovsdb_idl_first_row(idl, kind->table);
         row; row = ovsdb_idl_next_row(row)) {
        if (*n >= allocated) {
            rows = x2nrealloc(rows, &allocated, sizeof *rows);
        }
        rows[*n].name = row_name(row, kind->name);
        rows[(*n)++].row = row;
    }
    if (*n) {
        qsort(rows, *n, sizeof *rows, compare_show_rows);
    }
    return rows;
}

/* Collects the rows of 'kind' into 'groups' by the row that their
 * reference column 'parent' points to. */
static void
show_group_rows(struct ovsdb_idl *idl, const struct nbctl_kind *kind,
                const struct ovsdb_idl_column *parent, struct hmap *groups)
{
    size_t n;
    struct show_row *rows = show_sorted_rows(idl, kind, &n);

    for (size_t i = 0; i < n; i++) {
        const struct ovsdb_datum *d = ovsdb_idl_read(rows[i].row, parent);
        struct uuid uuid = d->n ? d->keys[0].uuid : UUID_ZERO;
        struct show_group *g;

        HMAP_FOR_EACH_WITH_HASH (g, node, uuid_hash(&uuid), groups) {
            if (uuid_equals(&g->parent, &uuid)) {
                break;
            }
        }
        if (!g) {
            g = xzalloc(sizeof *g);
            g->parent = uuid;
            hmap_insert(groups, &g->node, uuid_hash(&uuid));
        }
        if (g->n_rows >= g->allocated_rows) {
            g->rows = x2nrealloc(g->rows, &g->allocated_rows,
                                 sizeof *g->rows);
        }
        g->rows[g->n_rows++] = rows[i].row;
    }
    free(rows);
}

static const struct show_group *
show_group_find(const struct hmap *groups, const struct ovsdb_idl_row *parent)
{
    const struct show_group *g;

    HMAP_FOR_EACH_WITH_HASH (g, node, uuid_hash(&parent->uuid), groups) {
        if (uuid_equals(&g->parent, &parent->uuid)) {
            return g;
        }
    }
    return NULL;
}

static void
show_groups_destroy(struct hmap *groups)
{
    struct show_group *g;

    HMAP_FOR_EACH_POP (g, node, groups) {
        free(g->rows);
        free(g);
    }
    hmap_destroy(groups);
}

/* State of one "show". */
struct show_ctx {
    struct ds *out;
    struct havip_verdicts verdicts;
    struct hmap vpcs;           /* VPCs by region. */
    struct hmap eips;           /* EIPs by region. */
    struct hmap subnets;        /* Subnets by VPC. */
    struct hmap ports;          /* Ports by subnet. */
    struct hmap havips;         /* HAVIPs by subnet. */
};

static int
compare_violations(const void *a_, const void *b_)
{
    const struct havip_violation *const *a = a_;
    const struct havip_violation *const *b = b_;

    return ((*a)->rule != (*b)->rule ? (int) (*a)->rule - (int) (*b)->rule
            : strcmp((*a)->msg, (*b)->msg));
}

/* Prints the header line of 'row' ("KEYWORD NAME") at 'indent', then one
 * "! rule ..." line for each rule it breaks. */
static void
show_row(struct show_ctx *sc, int indent, const char *keyword,
         const struct ovsdb_idl_row *row, const char *name)
{
    const struct havip_violation **vs = NULL;
    const struct havip_violation *v;
    size_t n = 0, allocated = 0;

    ds_put_format(sc->out, "%*s%s %s\n", indent, "", keyword, name);
    HMAP_FOR_EACH_WITH_HASH (v, node, uuid_hash(&row->uuid),
                             &sc->verdicts.violations) {
        if (uuid_equals(&v->row, &row->uuid)) {
            if (n >= allocated) {
                vs = x2nrealloc(vs, &allocated, sizeof *vs);
            }
            vs[n++] = v;
        }
    }
    if (n) {
        qsort(vs, n, sizeof *vs, compare_violations);
    }
    for (size_t i = 0; i < n; i++) {
        ds_put_format(sc->out, "%*s! %s\n", indent + 4, "", vs[i]->msg);
    }
    free(vs);
}

static void
show_eip_ref(struct ds *out, int indent, const struct nbrec_eip *eip)
{
    if (eip) {
        ds_put_format(out, "%*seip: %s (%s)\n", indent, "", eip->name,
                      eip->ip);
    }
}

static void
show_port(struct show_ctx *sc, int indent, const struct nbrec_port *port)
{
    show_row(sc, indent, "port", &port->header_, port->name);
    indent += 4;
    ds_put_format(sc->out, "%*smac: %s\n", indent, "", port->mac);
    ds_put_format(sc->out, "%*sip: %s\n", indent, "", port->ip);
    show_eip_ref(sc->out, indent, port->eip);
    if (port->chassis) {
        ds_put_format(sc->out, "%*schassis: %s", indent, "", port->chassis);
        if (port->n_up) {
            ds_put_cstr(sc->out, port->up[0] ? " (up)" : " (down)");
        }
        ds_put_char(sc->out, '\n');
    }
}

static void
show_havip(struct show_ctx *sc, int indent, const struct nbrec_havip *havip)
{
    show_row(sc, indent, "havip", &havip->header_, havip->name);
    indent += 4;
    ds_put_format(sc->out, "%*sip: %s\n", indent, "", havip->ip);
    if (havip->n_ports) {
        struct svec names = SVEC_EMPTY_INITIALIZER;
        for (size_t i = 0; i < havip->n_ports; i++) {
            svec_add(&names, havip->ports[i]->name);
        }
        svec_sort(&names);
        char *list = svec_join(&names, " ", "");
        ds_put_format(sc->out, "%*sports: %s\n", indent, "", list);
        free(list);
        svec_destroy(&names);
    }
    if (havip->holder) {
        ds_put_format(sc->out, "%*sholder: %s\n", indent, "",
                      havip->holder->name);
    }
    show_eip_ref(sc->out, indent, havip->eip);
    if (havip->status) {
        ds_put_format(sc->out, "%*sstatus: %s\n", indent, "", havip->status);
    }
}

static void
show_subnet(struct show_ctx *sc, int indent,
            const struct nbrec_subnet *subnet)
{
    const struct show_group *g;

    show_row(sc, indent, "subnet", &subnet->header_, subnet->name);
    indent += 4;
    ds_put_format(sc->out, "%*scidr: %s\n", indent, "", subnet->cidr);
    ds_put_format(sc->out, "%*sgateway: %s (%s)\n", indent, "",
                  subnet->gateway_ip, subnet->gateway_mac);
    g = show_group_find(&sc->ports, &subnet->header_);
    for (size_t i = 0; g && i < g->n_rows; i++) {
        show_port(sc, indent, CONTAINER_OF(g->rows[i], struct nbrec_port,
                                           header_));
    }
    g = show_group_find(&sc->havips, &subnet->header_);
    for (size_t i = 0; g && i < g->n_rows; i++) {
        show_havip(sc, indent, CONTAINER_OF(g->rows[i], struct nbrec_havip,
                                            header_));
    }
}

static void
show_eip(struct show_ctx *sc, struct ovsdb_idl *idl, int indent,
         const struct nbrec_eip *eip)
{
    const struct nbrec_havip *havip;
    const struct nbrec_port *port;
    struct svec users = SVEC_EMPTY_INITIALIZER;

    show_row(sc, indent, "eip", &eip->header_, eip->name);
    indent += 4;
    ds_put_format(sc->out, "%*sip: %s\n", indent, "", eip->ip);
    NBREC_HAVIP_FOR_EACH (havip, idl) {
        if (havip->eip == eip) {
            svec_add_nocopy(&users, xasprintf("HAVIP %s", havip->name));
        }
    }
    NBREC_PORT_FOR_EACH (port, idl) {
        if (port->eip == eip) {
            svec_add_nocopy(&users, xasprintf("port %s", port->name));
        }
    }
    if (users.n) {
        svec_sort(&users);
        char *list = svec_join(&users, ", ", "");
        ds_put_format(sc->out, "%*sbound: %s\n", indent, "", list);
        free(list);
    }
    svec_destroy(&users);
}

static void
show_region(struct show_ctx *sc, struct ovsdb_idl *idl,
            const struct nbrec_region *region)
{
    const struct show_group *g, *sg;

    show_row(sc, 0, "region", &region->header_, region->name);
    if (region->external_gateway_mac[0]) {
        ds_put_format(sc->out, "    external_gateway_mac: %s\n",
                      region->external_gateway_mac);
    }
    g = show_group_find(&sc->vpcs, &region->header_);
    for (size_t i = 0; g && i < g->n_rows; i++) {
        const struct nbrec_vpc *vpc = CONTAINER_OF(g->rows[i],
                                                   struct nbrec_vpc, header_);
        show_row(sc, 4, "vpc", &vpc->header_, vpc->name);
        sg = show_group_find(&sc->subnets, &vpc->header_);
        for (size_t j = 0; sg && j < sg->n_rows; j++) {
            show_subnet(sc, 8, CONTAINER_OF(sg->rows[j], struct nbrec_subnet,
                                            header_));
        }
    }
    g = show_group_find(&sc->eips, &region->header_);
    for (size_t i = 0; g && i < g->n_rows; i++) {
        show_eip(sc, idl, 4, CONTAINER_OF(g->rows[i], struct nbrec_eip,
                                          header_));
    }
}

/* Computes the violations of every rule in the transaction's view of the
 * database. */
static void
check_rules(struct ovsdb_idl *idl, struct havip_verdicts *verdicts)
{
    struct havip_nb_rows rows;

    havip_nb_rows_from_idl(idl, &rows);
    havip_rules_check(&rows, verdicts);
    havip_nb_rows_destroy(&rows);
}

static void
cmd_show(struct ctl_context *ctx)
{
    struct show_ctx sc = {
        .out = &ctx->output,
        .vpcs = HMAP_INITIALIZER(&sc.vpcs),
        .eips = HMAP_INITIALIZER(&sc.eips),
        .subnets = HMAP_INITIALIZER(&sc.subnets),
        .ports = HMAP_INITIALIZER(&sc.ports),
        .havips = HMAP_INITIALIZER(&sc.havips),
    };
    havip_verdicts_init(&sc.verdicts);
    check_rules(ctx->idl, &sc.verdicts);

    show_group_rows(ctx->idl, &vpc_kind,
                    &nbrec_vpc_columns[NBREC_VPC_COL_REGION], &sc.vpcs);
    show_group_rows(ctx->idl, &eip_kind,
                    &nbrec_eip_columns[NBREC_EIP_COL_REGION], &sc.eips);
    show_group_rows(ctx->idl, &subnet_kind,
                    &nbrec_subnet_columns[NBREC_SUBNET_COL_VPC],
                    &sc.subnets);
    show_group_rows(ctx->idl, &port_kind,
                    &nbrec_port_columns[NBREC_PORT_COL_SUBNET], &sc.ports);
    show_group_rows(ctx->idl, &havip_kind,
                    &nbrec_havip_columns[NBREC_HAVIP_COL_SUBNET],
                    &sc.havips);

    size_t n;
    struct show_row *regions = show_sorted_rows(ctx->idl, &region_kind, &n);
    for (size_t i = 0; i < n; i++) {
        show_region(&sc, ctx->idl, CONTAINER_OF(regions[i].row,
                                                struct nbrec_region,
                                                header_));
    }
    free(regions);

    show_groups_destroy(&sc.vpcs);
    show_groups_destroy(&sc.eips);
    show_groups_destroy(&sc.subnets);
    show_groups_destroy(&sc.ports);
    show_groups_destroy(&sc.havips);
    havip_verdicts_destroy(&sc.verdicts);
}

/* Running the commands. */

static void
run_prerequisites(struct ctl_command *commands, size_t n_commands,
                  struct ovsdb_idl *idl)
{
    for (struct ctl_command *c = commands; c < &commands[n_commands]; c++) {
        if (c->syntax->prerequisites) {
            struct ctl_context ctx;

            ds_init(&c->output);
            c->table = NULL;

            ctl_context_init(&ctx, c, idl, NULL, NULL, NULL);
            (c->syntax->prerequisites)(&ctx);
            if (ctx.error) {
                ctl_fatal("%s", ctx.error);
            }
            ctl_context_done(&ctx, c);

            ovs_assert(!c->output.string);
            ovs_assert(!c->table);
        }
    }
}

/* Returns true if this transaction inserted or modified the row 'uuid'. */
static bool
row_touched(struct ovsdb_idl *idl, const struct uuid *uuid)
{
    for (size_t i = 0; i < NBREC_N_TABLES; i++) {
        const struct ovsdb_idl_row *row = ovsdb_idl_get_row_for_uuid(
            idl, &nbrec_table_classes[i], uuid);
        if (row) {
            return !row->old_datum || row->written;
        }
    }
    return false;
}

/* Refuses the transaction if the commands introduced a violation of a rule
 * that 'before' did not have (for the same row).  Of several, reports one
 * on a row the commands wrote, with the lowest rule number. */
static void
check_new_violations(struct ovsdb_idl *idl,
                     const struct havip_verdicts *before)
{
    const struct havip_violation *v, *worst = NULL;
    bool worst_touched = false;
    struct havip_verdicts after;

    havip_verdicts_init(&after);
    check_rules(idl, &after);
    HMAP_FOR_EACH (v, node, &after.violations) {
        if (havip_verdicts_has(before, v)) {
            continue;
        }
        bool touched = row_touched(idl, &v->row);
        if (!worst || touched > worst_touched
            || (touched == worst_touched
                && compare_violations(&v, &worst) < 0)) {
            worst = v;
            worst_touched = touched;
        }
    }
    if (worst) {
        ctl_fatal("%s", worst->msg);
    }
    havip_verdicts_destroy(&after);
}

/* Commits 'txn', giving up at the deadline. */
static enum ovsdb_idl_txn_status
commit_txn(struct ovsdb_idl *idl, struct ovsdb_idl_txn *txn)
{
    for (;;) {
        enum ovsdb_idl_txn_status status = ovsdb_idl_txn_commit(txn);
        if (status != TXN_INCOMPLETE) {
            return status;
        }
        ovsdb_idl_run(idl);
        ovsdb_idl_wait(idl);
        ovsdb_idl_txn_wait(txn);
        if (deadline != LLONG_MAX) {
            poll_timer_wait_until(deadline);
        }
        poll_block();
        if (time_msec() >= deadline) {
            ctl_fatal("%s: timed out after %u s waiting for "
                      "the commit", db, timeout);
        }
    }
}

/* Waits until NB_Global.hv_cfg reaches 'next_cfg', that is, every chassis
 * has installed the flows of this transaction. */
static void
wait_for_hv(struct ovsdb_idl *idl, int64_t next_cfg)
{
    ovsdb_idl_enable_reconnect(idl);
    for (;;) {
        ovsdb_idl_run(idl);

        const struct nbrec_nb_global *nb = nbrec_nb_global_first(idl);
        if (nb && nb->hv_cfg >= next_cfg) {
            return;
        }
        ovsdb_idl_wait(idl);
        if (deadline != LLONG_MAX) {
            poll_timer_wait_until(deadline);
        }
        poll_block();
        if (time_msec() >= deadline) {
            ctl_fatal("timed out after %u s waiting for the "
                      "chassis to install nb_cfg %"PRId64" (hv_cfg is "
                      "%"PRId64"); the change is committed", timeout,
                      next_cfg, nb ? nb->hv_cfg : 0);
        }
    }
}

static void
print_output(struct ctl_command *commands, size_t n_commands)
{
    for (struct ctl_command *c = commands; c < &commands[n_commands]; c++) {
        struct ds *ds = &c->output;

        if (c->table) {
            table_print(c->table, &table_style);
        } else if (oneline) {
            ds_chomp(ds, '\n');
            for (size_t j = 0; j < ds->length; j++) {
                int ch = ds->string[j];
                if (ch == '\n') {
                    fputs("\\n", stdout);
                } else if (ch == '\\') {
                    fputs("\\\\", stdout);
                } else {
                    putchar(ch);
                }
            }
            putchar('\n');
        } else {
            fputs(ds_cstr(ds), stdout);
        }
    }
}

static void
free_outputs(struct ctl_command *commands, size_t n_commands)
{
    for (struct ctl_command *c = commands; c < &commands[n_commands]; c++) {
        ds_destroy(&c->output);
        table_destroy(c->table);
        free(c->table);
        c->table = NULL;
    }
}

/* Runs the "run" function of each of 'commands' in 'txn'.  Exits on an
 * error.  Returns false if a command asked to try again later. */
static bool
run_commands(struct ctl_command *commands, size_t n_commands,
             struct ovsdb_idl *idl, struct ovsdb_idl_txn *txn,
             struct ovsdb_symbol_table *symtab)
{
    struct ctl_context ctx;
    bool try_again = false;

    for (struct ctl_command *c = commands; c < &commands[n_commands]; c++) {
        ds_init(&c->output);
        c->table = NULL;
    }
    ctl_context_init(&ctx, NULL, idl, txn, symtab, NULL);
    for (struct ctl_command *c = commands;
         !try_again && c < &commands[n_commands]; c++) {
        /* Never "last": partial updates would hide the last command's
         * changes from check_new_violations(). */
        ctl_context_init_command(&ctx, c, false);
        if (c->syntax->run) {
            (c->syntax->run)(&ctx);
        }
        if (ctx.error) {
            ctl_fatal("%s", ctx.error);
        }
        ctl_context_done_command(&ctx, c);
        try_again = ctx.try_again;
    }
    ctl_context_done(&ctx, NULL);

    struct shash_node *node;
    SHASH_FOR_EACH (node, &symtab->sh) {
        struct ovsdb_symbol *symbol = node->data;
        if (!try_again && !symbol->created) {
            ctl_fatal("row id \"%s\" is referenced but never created (e.g. "
                      "with \"-- --id=%s create ...\")",
                      node->name, node->name);
        }
    }
    return !try_again;
}

/* Runs the "postprocess" function of each of 'commands' after a successful
 * commit of 'txn'. */
static void
postprocess_commands(struct ctl_command *commands, size_t n_commands,
                     struct ovsdb_idl *idl, struct ovsdb_idl_txn *txn,
                     struct ovsdb_symbol_table *symtab)
{
    for (struct ctl_command *c = commands; c < &commands[n_commands]; c++) {
        if (c->syntax->postprocess) {
            struct ctl_context ctx;

            ctl_context_init(&ctx, c, idl, txn, symtab, NULL);
            (c->syntax->postprocess)(&ctx);
            if (ctx.error) {
                ctl_fatal("%s", ctx.error);
            }
            ctl_context_done(&ctx, c);
        }
    }
}

/* Exits unless 'status' (of committing 'txn') is a success.  Returns false
 * if the commands must be rerun on newer contents. */
static bool
check_commit_status(struct ovsdb_idl_txn *txn,
                    enum ovsdb_idl_txn_status status)
{
    switch (status) {
    case TXN_UNCOMMITTED:
    case TXN_INCOMPLETE:
        OVS_NOT_REACHED();

    case TXN_ABORTED:
        ctl_fatal("transaction aborted");

    case TXN_UNCHANGED:
    case TXN_SUCCESS:
        return true;

    case TXN_TRY_AGAIN:
        VLOG_DBG("the database changed under the transaction; retrying");
        return false;

    case TXN_ERROR:
        ctl_fatal("transaction error: %s", ovsdb_idl_txn_get_error(txn));

    case TXN_NOT_LOCKED:
        ctl_fatal("database not locked");

    default:
        OVS_NOT_REACHED();
    }
}

/* Prints the output of 'commands' and the warnings, frees the commands,
 * and with --wait=hv waits for the chassis. */
static void
finish(struct ctl_command *commands, size_t n_commands,
       struct ovsdb_idl *idl, struct ovsdb_idl_txn *txn,
       enum ovsdb_idl_txn_status status)
{
    int64_t next_cfg = 0;
    const char *warning;
    size_t i;

    if (wait_type == NBCTL_WAIT_HV && status == TXN_SUCCESS) {
        next_cfg = ovsdb_idl_txn_get_increment_new_value(txn);
    }

    print_output(commands, n_commands);
    fflush(stdout);
    SVEC_FOR_EACH (i, warning, &warnings) {
        fprintf(stderr, "%s: %s\n", program_name, warning);
    }
    free_outputs(commands, n_commands);
    for (struct ctl_command *c = commands; c < &commands[n_commands]; c++) {
        shash_destroy_free_data(&c->options);
    }
    free(commands);

    if (next_cfg) {
        wait_for_hv(idl, next_cfg);
    }
}

/* Runs 'commands' in one transaction on the current contents of 'idl'.
 * Returns true when done (committed, or nothing to commit), false if the
 * caller should try again once the database changes. */
static bool
do_nbctl(const char *args, struct ctl_command *commands, size_t n_commands,
         struct ovsdb_idl *idl)
{
    struct ovsdb_idl_txn *txn = the_idl_txn = ovsdb_idl_txn_create(idl);
    bool check = ctl_might_write_to_db(commands, n_commands);
    struct havip_verdicts before;

    if (dry_run) {
        ovsdb_idl_txn_set_dry_run(txn);
    }
    ovsdb_idl_txn_add_comment(txn, "havip-nbctl: %s", args);
    svec_clear(&warnings);

    const struct nbrec_nb_global *nb = nbrec_nb_global_first(idl);
    if (!nb) {
        nb = nbrec_nb_global_insert(txn);
    }
    if (wait_type == NBCTL_WAIT_HV) {
        nbrec_nb_global_verify_nb_cfg(nb);
        ovsdb_idl_txn_increment(txn, &nb->header_,
                                &nbrec_nb_global_col_nb_cfg, force_wait);
    }

    havip_verdicts_init(&before);
    if (check) {
        check_rules(idl, &before);
    }

    struct ovsdb_symbol_table *symtab = ovsdb_symbol_table_create();
    enum ovsdb_idl_txn_status status = TXN_UNCOMMITTED;
    bool done = false;
    if (run_commands(commands, n_commands, idl, txn, symtab)) {
        if (check) {
            check_new_violations(idl, &before);
        }
        status = commit_txn(idl, txn);
        done = check_commit_status(txn, status);
    }
    havip_verdicts_destroy(&before);

    if (done) {
        postprocess_commands(commands, n_commands, idl, txn, symtab);
    }
    ovsdb_symbol_table_destroy(symtab);
    if (!done) {
        /* Rerun on newer contents, or a command asked to wait
         * ("wait-until"). */
        ovsdb_idl_txn_abort(txn);
        ovsdb_idl_txn_destroy(txn);
        the_idl_txn = NULL;
        free_outputs(commands, n_commands);
        return false;
    }

    finish(commands, n_commands, idl, txn, status);
    ovsdb_idl_txn_destroy(txn);
    the_idl_txn = NULL;
    ovsdb_idl_destroy(idl);
    the_idl = NULL;
    return true;
}

/* The commands. */

static const struct ctl_command_syntax nbctl_commands[] = {
    {"init", 0, 0, "", NULL, cmd_init, NULL, "--may-exist", RW},
    {"show", 0, 0, "", NULL, cmd_show, NULL, "", RO},
    {"sync", 0, 0, "", pre_sync, cmd_sync, NULL, "", RO},

    {"region-add", 1, 2, "REGION [EXT_GW_MAC]", NULL, cmd_region_add, NULL,
     "--may-exist", RW},
    {"region-del", 1, 1, "REGION", NULL, cmd_region_del, NULL,
     "--if-exists", RW},

    {"vpc-add", 2, 2, "REGION VPC", NULL, cmd_vpc_add, NULL, "--may-exist",
     RW},
    {"vpc-del", 1, 1, "VPC", NULL, cmd_vpc_del, NULL, "--if-exists", RW},

    {"subnet-add", 3, 4, "VPC SUBNET CIDR [GATEWAY_IP]", NULL,
     cmd_subnet_add, NULL, "--may-exist", RW},
    {"subnet-del", 1, 1, "SUBNET", NULL, cmd_subnet_del, NULL,
     "--if-exists", RW},

    {"port-add", 4, 4, "SUBNET PORT MAC IP", NULL, cmd_port_add, NULL,
     "--may-exist", RW},
    {"port-del", 1, 1, "PORT", NULL, cmd_port_del, NULL, "--if-exists", RW},

    {"havip-add", 2, 3, "SUBNET HAVIP [IP]", NULL, cmd_havip_add, NULL,
     "--may-exist", RW},
    {"havip-del", 1, 1, "HAVIP", NULL, cmd_havip_del, NULL, "--if-exists",
     RW},
    {"havip-associate", 2, 2, "HAVIP PORT", NULL, cmd_havip_associate, NULL,
     "", RW},
    {"havip-disassociate", 2, 2, "HAVIP PORT", NULL, cmd_havip_disassociate,
     NULL, "--if-exists", RW},
    {"havip-set-holder", 2, 2, "HAVIP PORT", NULL, cmd_havip_set_holder,
     NULL, "", RW},
    {"havip-clear-holder", 1, 1, "HAVIP", NULL, cmd_havip_clear_holder,
     NULL, "", RW},
    {"havip-get-holder", 1, 1, "HAVIP", NULL, cmd_havip_get_holder, NULL,
     "", RO},

    {"eip-add", 3, 3, "REGION EIP IP", NULL, cmd_eip_add, NULL,
     "--may-exist", RW},
    {"eip-del", 1, 1, "EIP", NULL, cmd_eip_del, NULL, "--if-exists", RW},
    {"eip-bind", 2, 2, "EIP HAVIP", NULL, cmd_eip_bind, NULL, "", RW},
    {"eip-bind-port", 2, 2, "EIP PORT", NULL, cmd_eip_bind_port, NULL, "",
     RW},
    {"eip-unbind", 1, 1, "EIP", NULL, cmd_eip_unbind, NULL, "", RW},

    {"chassis-list", 0, 0, "", NULL, cmd_chassis_list, NULL, "", RO},

    {NULL, 0, 0, NULL, NULL, NULL, NULL, NULL, RO},
};

/* Row identifiers for the generic commands: every table but NB_Global is
 * named by its "name" column, so "list Port p1" works. */
static const struct ctl_table_class tables[NBREC_N_TABLES] = {
    [NBREC_TABLE_CHASSIS].row_ids[0]
        = {&nbrec_chassis_columns[NBREC_CHASSIS_COL_NAME], NULL, NULL},
    [NBREC_TABLE_EIP].row_ids[0]
        = {&nbrec_eip_columns[NBREC_EIP_COL_NAME], NULL, NULL},
    [NBREC_TABLE_HAVIP].row_ids[0]
        = {&nbrec_havip_columns[NBREC_HAVIP_COL_NAME], NULL, NULL},
    [NBREC_TABLE_PORT].row_ids[0]
        = {&nbrec_port_columns[NBREC_PORT_COL_NAME], NULL, NULL},
    [NBREC_TABLE_REGION].row_ids[0]
        = {&nbrec_region_columns[NBREC_REGION_COL_NAME], NULL, NULL},
    [NBREC_TABLE_SUBNET].row_ids[0]
        = {&nbrec_subnet_columns[NBREC_SUBNET_COL_NAME], NULL, NULL},
    [NBREC_TABLE_VPC].row_ids[0]
        = {&nbrec_vpc_columns[NBREC_VPC_COL_NAME], NULL, NULL},
};

static void
nbctl_cmd_init(void)
{
    ctl_init(&nbrec_idl_class, nbrec_table_classes, tables, NULL,
             nbctl_exit);
    ctl_register_commands(nbctl_commands);
}
