/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

/* havip-trace: what the switch does with one packet, in havip's terms.
 *
 * Reads the HAVIP_Northbound database and the local Open_vSwitch database
 * once, resolves the input port (a Port, the uplink or a tunnel) to its
 * OpenFlow port on the integration bridge, fills in the packet fields the
 * user left out from the Port's row, runs "ofproto/trace" on ovs-vswitchd
 * over its control socket and explains each table the packet went
 * through: which row's flow matched (by cookie), what it did (port
 * security, ARP, routing, NAT, holder) and, for a drop, why.  The names of
 * the tables come from flows/tables.c; the binding rules that explain a
 * refused binding from flows/rules.c.  This file owns the command line,
 * the two database snapshots, the control-socket call, the parsing of the
 * trace and the explanation. */

#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "command-line.h"
#include "daemon.h"
#include "dirs.h"
#include "fatal-signal.h"
#include "flow.h"
#include "havip-addr.h"
#include "havip-flow-table.h"
#include "havip-pipeline.h"
#include "havip-rules.h"
#include "havip-tables.h"
#include "havip-dirs.h"
#include "havip-version.h"
#include "jsonrpc.h"
#include "lib/vswitch-idl.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "ovsdb-idl.h"
#include "ovsdb/havip-nb-idl.h"
#include "packets.h"
#include "smap.h"
#include "svec.h"
#include "timeval.h"
#include "unixctl.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(havip_trace);

/* Command-line options. */
static const char *nb_db;       /* --db. */
static char *ovs_db;            /* --ovs. */
static const char *bridge_opt;  /* --bridge, or NULL for the configured. */
static const char *target;      /* --switch. */
static bool detailed;           /* --detailed. */
static bool summary;            /* --summary. */
static bool tables;             /* --tables. */
static unsigned int timeout = 10;   /* --timeout, in seconds. */

/* An interface of the bridge. */
struct trace_iface {
    int ofport;
    const char *name;           /* Interface name. */
    const char *iface_id;       /* external_ids:iface-id, or NULL. */
    const char *chassis;        /* Tunnel: external_ids:havip-chassis. */
    bool uplink;
};

/* One table the packet went through, as ofproto/trace printed it. */
struct trace_step {
    int table;
    int priority;
    uint64_t cookie;
    char *match;                /* "ip,in_port=1,...", maybe empty. */
    struct svec lines;          /* The heading, then its action lines. */
};

/* How the owner of a flow (its cookie) maps to a row. */
struct trace_owner {
    bool fixed;                 /* Cookie of the fixed flows. */
    const struct nbrec_subnet *subnet;
    const struct nbrec_port *port;
    const struct nbrec_havip *havip;
};

/* An output the trace made. */
struct trace_output {
    int ofport;                 /* OpenFlow port, or -1 for IN_PORT. */
    uint64_t tun_id;            /* The tunnel key set before it, or 0. */
};

/* Everything one trace reads and writes. */
struct tracer {
    struct ovsdb_idl *nb_idl;
    struct ovsdb_idl *ovs_idl;
    struct havip_nb_rows rows;
    struct havip_verdicts verdicts;

    const char *bridge;
    struct trace_iface *ifaces;
    size_t n_ifaces;

    /* The input port. */
    const struct trace_iface *in;
    const struct nbrec_port *in_port;   /* A VM port's row, or NULL. */

    /* The packet, as traced (defaults filled), and the trace. */
    struct flow flow;
    char *flow_string;
    struct trace_step *steps;
    size_t n_steps;
    char *dp_actions;
    struct trace_output *outputs;
    size_t n_outputs;
    bool to_controller;
    char *drop_reason;          /* Set by the step that dropped. */
};

OVS_NO_RETURN static void usage(void);
static void parse_options(int argc, char *argv[]);

static void tracer_destroy(struct tracer *);

/* The tracer main() builds, for trace_fatal() to release (NULL before). */
static struct tracer *the_tracer;

/* Failing with one line on stderr. */

OVS_NO_RETURN static void OVS_PRINTF_FORMAT(1, 2)
trace_fatal(const char *format, ...)
{
    va_list args;

    fprintf(stderr, "%s: ", program_name);
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    putc('\n', stderr);
    if (the_tracer) {
        tracer_destroy(the_tracer);
    }
    free(ovs_db);
    exit(EXIT_FAILURE);
}

/* Databases. */

/* Connects to 'remote' and returns, in '*idlp', its contents once they
 * arrived. */
static void
read_db(const char *remote, const struct ovsdb_idl_class *class,
        struct ovsdb_idl **idlp)
{
    /* Stored in '*idlp' (the tracer's) at once, so that trace_fatal()
     * releases it too. */
    struct ovsdb_idl *idl = *idlp = ovsdb_idl_create(remote, class, true,
                                                     strchr(remote, ',')
                                                     != NULL);
    long long int deadline = time_msec() + timeout * 1000LL;
    unsigned int seqno = ovsdb_idl_get_seqno(idl);

    ovsdb_idl_set_leader_only(idl, false);
    for (;;) {
        ovsdb_idl_run(idl);
        if (!ovsdb_idl_is_alive(idl)) {
            trace_fatal("%s: database connection failed (%s)", remote,
                        ovs_retval_to_string(ovsdb_idl_get_last_error(idl)));
        }
        if (ovsdb_idl_has_ever_connected(idl)
            && seqno != ovsdb_idl_get_seqno(idl)) {
            return;
        }
        ovsdb_idl_wait(idl);
        poll_timer_wait_until(deadline);
        poll_block();
        if (time_msec() >= deadline) {
            trace_fatal("%s: timed out after %u s", remote, timeout);
        }
    }
}

static const char *
nonempty(const char *s)
{
    return s && s[0] ? s : NULL;
}

/* Reads the bridge's interfaces from the Open_vSwitch database. */
static void
read_local(struct tracer *t)
{
    const struct ovsrec_open_vswitch *ovs
        = ovsrec_open_vswitch_first(t->ovs_idl);
    const struct smap *ids = ovs ? &ovs->external_ids : NULL;
    const char *uplink = ids ? nonempty(smap_get(ids, "havip-uplink")) : NULL;
    const struct ovsrec_bridge *br;
    size_t allocated = 0;

    t->bridge = bridge_opt;
    if (!t->bridge) {
        t->bridge = ids ? nonempty(smap_get(ids, "havip-bridge")) : NULL;
        t->bridge = t->bridge ? t->bridge : "br-int";
    }
    OVSREC_BRIDGE_FOR_EACH (br, t->ovs_idl) {
        if (!strcmp(br->name, t->bridge)) {
            break;
        }
    }
    if (!br) {
        trace_fatal("%s: no such bridge", t->bridge);
    }
    for (size_t i = 0; i < br->n_ports; i++) {
        const struct ovsrec_port *port = br->ports[i];

        for (size_t j = 0; j < port->n_interfaces; j++) {
            const struct ovsrec_interface *iface = port->interfaces[j];

            if (!iface->n_ofport || iface->ofport[0] <= 0) {
                continue;
            }
            if (t->n_ifaces >= allocated) {
                t->ifaces = x2nrealloc(t->ifaces, &allocated,
                                       sizeof *t->ifaces);
            }
            struct trace_iface *ti = &t->ifaces[t->n_ifaces++];
            ti->ofport = iface->ofport[0];
            ti->name = iface->name;
            ti->iface_id = nonempty(smap_get(&iface->external_ids,
                                             "iface-id"));
            ti->chassis = nonempty(smap_get(&iface->external_ids,
                                            "havip-chassis"));
            ti->uplink = uplink && !strcmp(uplink, iface->name);
        }
    }
}

static const struct trace_iface *
iface_by_ofport(const struct tracer *t, int ofport)
{
    for (size_t i = 0; i < t->n_ifaces; i++) {
        if (t->ifaces[i].ofport == ofport) {
            return &t->ifaces[i];
        }
    }
    return NULL;
}

/* Says what OpenFlow port 'ofport' is: "vm2 (port 2)", "the uplink pub
 * (port 9)", ... */
static void
format_ofport(const struct tracer *t, int ofport, uint64_t tun_id,
              struct ds *s)
{
    const struct trace_iface *ti = (ofport < 0 ? t->in
                                    : iface_by_ofport(t, ofport));

    if (!ti) {
        ds_put_format(s, "port %d", ofport);
    } else if (ti->uplink) {
        ds_put_format(s, "the uplink %s (port %d)", ti->name, ti->ofport);
    } else if (ti->chassis) {
        ds_put_format(s, "the tunnel to chassis %s (port %d, key %#"PRIx64
                      ")", ti->chassis, ti->ofport, tun_id);
    } else if (ti->iface_id) {
        ds_put_format(s, "%s (port %d)", ti->iface_id, ti->ofport);
    } else {
        ds_put_format(s, "%s (port %d)", ti->name, ti->ofport);
    }
}

/* Finds the input port 'name': a Port, "uplink" or "tunnel:CHASSIS". */
static void
resolve_in_port(struct tracer *t, const char *name)
{
    if (!strcmp(name, "uplink")) {
        for (size_t i = 0; i < t->n_ifaces; i++) {
            if (t->ifaces[i].uplink) {
                t->in = &t->ifaces[i];
                return;
            }
        }
        trace_fatal("bridge %s has no uplink (external_ids:havip-uplink)",
                    t->bridge);
    }
    if (!strncmp(name, "tunnel:", 7)) {
        for (size_t i = 0; i < t->n_ifaces; i++) {
            if (t->ifaces[i].chassis
                && !strcmp(t->ifaces[i].chassis, name + 7)) {
                t->in = &t->ifaces[i];
                return;
            }
        }
        trace_fatal("bridge %s has no tunnel to chassis %s", t->bridge,
                    name + 7);
    }
    t->in_port = havip_nb_rows_find_port(&t->rows, name);
    if (!t->in_port) {
        trace_fatal("%s: no such port (a Port, \"uplink\" or "
                    "\"tunnel:CHASSIS\")", name);
    }
    for (size_t i = 0; i < t->n_ifaces; i++) {
        if (t->ifaces[i].iface_id
            && !strcmp(t->ifaces[i].iface_id, t->in_port->name)) {
            t->in = &t->ifaces[i];
            return;
        }
    }
    trace_fatal("port %s is not on bridge %s (no interface with "
                "external_ids:iface-id=%s)", t->in_port->name, t->bridge,
                t->in_port->name);
}

/* Rows. */

/* Finds the row whose flows carry 'cookie'. */
static struct trace_owner
find_owner(const struct tracer *t, uint64_t cookie)
{
    struct trace_owner o = { .fixed = cookie == HFLOW_COOKIE };
    const struct havip_nb_rows *r = &t->rows;

    for (size_t i = 0; !o.fixed && i < r->n_subnets; i++) {
        if (hflow_cookie(&r->subnets[i]->header_.uuid) == cookie) {
            o.subnet = r->subnets[i];
        }
    }
    for (size_t i = 0; !o.fixed && i < r->n_ports; i++) {
        if (hflow_cookie(&r->ports[i]->header_.uuid) == cookie) {
            o.port = r->ports[i];
        }
    }
    for (size_t i = 0; !o.fixed && i < r->n_havips; i++) {
        if (hflow_cookie(&r->havips[i]->header_.uuid) == cookie) {
            o.havip = r->havips[i];
        }
    }
    return o;
}

static ovs_be32
row_ip(const char *s)
{
    ovs_be32 ip = 0;
    char *error = havip_parse_ip(s, &ip);

    free(error);
    return error ? 0 : ip;
}

static struct eth_addr
row_mac(const char *s)
{
    struct eth_addr mac = eth_addr_zero;
    char *error = havip_parse_mac(s, &mac);

    free(error);
    return error ? eth_addr_zero : mac;
}

static bool
subnet_contains(const struct nbrec_subnet *subnet, ovs_be32 ip)
{
    struct havip_cidr cidr;
    char *error = havip_parse_cidr(subnet->cidr, &cidr);

    free(error);
    return !error && havip_cidr_contains(&cidr, ip);
}

static const struct nbrec_vpc *
port_vpc(const struct nbrec_port *port)
{
    return port && port->subnet ? port->subnet->vpc : NULL;
}

/* The port with IP 'ip' in 'vpc' (any VPC if NULL), or NULL. */
static const struct nbrec_port *
port_by_ip(const struct tracer *t, const struct nbrec_vpc *vpc, ovs_be32 ip)
{
    for (size_t i = 0; i < t->rows.n_ports; i++) {
        const struct nbrec_port *port = t->rows.ports[i];

        if ((!vpc || port_vpc(port) == vpc) && row_ip(port->ip) == ip) {
            return port;
        }
    }
    return NULL;
}

static const struct nbrec_havip *
havip_by_ip(const struct tracer *t, const struct nbrec_vpc *vpc, ovs_be32 ip)
{
    for (size_t i = 0; i < t->rows.n_havips; i++) {
        const struct nbrec_havip *h = t->rows.havips[i];

        if ((!vpc || (h->subnet && h->subnet->vpc == vpc))
            && row_ip(h->ip) == ip) {
            return h;
        }
    }
    return NULL;
}

static const struct nbrec_subnet *
subnet_by_ip(const struct tracer *t, const struct nbrec_vpc *vpc, ovs_be32 ip)
{
    for (size_t i = 0; i < t->rows.n_subnets; i++) {
        const struct nbrec_subnet *s = t->rows.subnets[i];

        if ((!vpc || s->vpc == vpc) && subnet_contains(s, ip)) {
            return s;
        }
    }
    return NULL;
}

static const struct nbrec_eip *
eip_by_ip(const struct tracer *t, ovs_be32 ip)
{
    for (size_t i = 0; i < t->rows.n_eips; i++) {
        if (row_ip(t->rows.eips[i]->ip) == ip) {
            return t->rows.eips[i];
        }
    }
    return NULL;
}

static const struct nbrec_subnet *
subnet_by_key(const struct tracer *t, uint32_t key)
{
    for (size_t i = 0; i < t->rows.n_subnets; i++) {
        const struct nbrec_subnet *s = t->rows.subnets[i];

        if (havip_subnet_key(&s->header_.uuid) == key) {
            return s;
        }
    }
    return NULL;
}

static const struct nbrec_vpc *
vpc_by_key(const struct tracer *t, uint64_t key)
{
    for (size_t i = 0; i < t->rows.n_subnets; i++) {
        const struct nbrec_vpc *vpc = t->rows.subnets[i]->vpc;

        if (vpc && havip_vpc_key(&vpc->header_.uuid) == key) {
            return vpc;
        }
    }
    return NULL;
}

/* The port of 'h' with MAC 'mac', its holder's if any. */
static const struct nbrec_port *
havip_port_by_mac(const struct nbrec_havip *h, struct eth_addr mac)
{
    for (size_t i = 0; i < h->n_ports; i++) {
        if (eth_addr_equals(row_mac(h->ports[i]->mac), mac)) {
            return h->ports[i];
        }
    }
    return NULL;
}

/* The Port or HAVIP 'eip' is bound to (rows are returned through the
 * pointers; both NULL if it is bound to nothing). */
static void
eip_binding(const struct tracer *t, const struct nbrec_eip *eip,
            const struct nbrec_havip **havip, const struct nbrec_port **port)
{
    *havip = NULL;
    *port = NULL;
    for (size_t i = 0; i < t->rows.n_havips; i++) {
        if (t->rows.havips[i]->eip == eip) {
            *havip = t->rows.havips[i];
            return;
        }
    }
    for (size_t i = 0; i < t->rows.n_ports; i++) {
        if (t->rows.ports[i]->eip == eip) {
            *port = t->rows.ports[i];
            return;
        }
    }
}

/* The violation that refuses the binding of 'eip' to 'row', or NULL. */
static const struct havip_violation *
binding_violation(const struct tracer *t, const struct nbrec_eip *eip,
                  const struct ovsdb_idl_row *row)
{
    static const enum havip_rule rules[] = {
        HAVIP_RULE_SAME_REGION, HAVIP_RULE_ONE_BINDING,
        HAVIP_RULE_ADDRESSES, HAVIP_RULE_SAME_SUBNET,
    };
    const struct havip_violation *v;

    v = havip_verdicts_find(&t->verdicts, &eip->header_.uuid);
    for (size_t i = 0; !v && i < ARRAY_SIZE(rules); i++) {
        v = havip_verdicts_find_rule(&t->verdicts, &row->uuid, rules[i]);
    }
    return v;
}

/* The packet. */

static void
put_default(struct ds *defaults, const char *format, ...)
    OVS_PRINTF_FORMAT(2, 3);

static void
put_default(struct ds *defaults, const char *format, ...)
{
    va_list args;

    if (defaults->length) {
        ds_put_char(defaults, ',');
    }
    va_start(args, format);
    ds_put_format_valist(defaults, format, args);
    va_end(args);
}

/* The destination MAC a VM would use for IPv4 to 'dst': the multicast
 * MAC, the MAC of a port or held HAVIP of its subnet, else the subnet's
 * gateway's. */
static struct eth_addr
default_dl_dst(const struct tracer *t, ovs_be32 dst)
{
    const struct nbrec_subnet *subnet = t->in_port->subnet;
    struct eth_addr mac;

    if (ip_is_multicast(dst)) {
        eth_addr_from_uint64(0x01005e000000ULL | (ntohl(dst) & 0x7fffff),
                             &mac);
        return mac;
    }
    if (dst == htonl(0xffffffff)) {
        return eth_addr_broadcast;
    }
    if (subnet && subnet_contains(subnet, dst)) {
        const struct nbrec_port *port = port_by_ip(t, port_vpc(t->in_port),
                                                   dst);
        const struct nbrec_havip *h = havip_by_ip(t, port_vpc(t->in_port),
                                                  dst);

        if (port && port->subnet == subnet) {
            return row_mac(port->mac);
        }
        if (h && h->holder) {
            return row_mac(h->holder->mac);
        }
    }
    return subnet ? row_mac(subnet->gateway_mac) : eth_addr_zero;
}

/* Fills in what the user left out of 'flow' (whose given fields are in
 * 'wc') into 'defaults', as ofproto/trace flow syntax. */
static void
fill_defaults(const struct tracer *t, const struct flow *flow,
              const struct flow_wildcards *wc, struct ds *defaults)
{
    const struct flow_wildcards *m = wc;
    bool is_ip = flow->dl_type == htons(ETH_TYPE_IP);
    bool is_arp = flow->dl_type == htons(ETH_TYPE_ARP);
    struct eth_addr src = flow->dl_src;

    if (t->in_port) {
        if (eth_addr_is_zero(m->masks.dl_src)) {
            src = row_mac(t->in_port->mac);
            put_default(defaults, "dl_src="ETH_ADDR_FMT, ETH_ADDR_ARGS(src));
        }
        if ((is_ip || is_arp) && !m->masks.nw_src) {
            put_default(defaults, "%s=%s", is_ip ? "nw_src" : "arp_spa",
                        t->in_port->ip);
        }
        if (is_ip && eth_addr_is_zero(m->masks.dl_dst)) {
            struct eth_addr dst = default_dl_dst(t, flow->nw_dst);

            put_default(defaults, "dl_dst="ETH_ADDR_FMT, ETH_ADDR_ARGS(dst));
        }
        if (is_arp && eth_addr_is_zero(m->masks.arp_sha)) {
            put_default(defaults, "arp_sha="ETH_ADDR_FMT, ETH_ADDR_ARGS(src));
        }
    } else if (t->in->uplink && is_ip && eth_addr_is_zero(m->masks.dl_dst)) {
        const struct nbrec_eip *eip = eip_by_ip(t, flow->nw_dst);

        if (eip) {
            struct eth_addr dst = havip_eip_mac(flow->nw_dst);

            put_default(defaults, "dl_dst="ETH_ADDR_FMT, ETH_ADDR_ARGS(dst));
        }
    }
    if (is_arp && eth_addr_is_zero(m->masks.dl_dst)) {
        put_default(defaults, "dl_dst=ff:ff:ff:ff:ff:ff");
    }
    if (is_arp && !m->masks.nw_proto) {
        put_default(defaults, "arp_op=1");
    }
    if (is_ip && !m->masks.nw_ttl) {
        put_default(defaults, "nw_ttl=64");
    }
}

/* Parses 'user_flow', fills in the defaults and sets t->flow_string (what
 * ofproto/trace gets) and t->flow. */
static void
build_flow(struct tracer *t, const char *user_flow)
{
    struct flow_wildcards wc;
    struct ds defaults = DS_EMPTY_INITIALIZER;
    struct flow flow;
    char *error;

    error = parse_ofp_exact_flow(&flow, &wc, NULL, user_flow, NULL);
    if (error) {
        trace_fatal("bad flow syntax: %s", error);
    }
    if (wc.masks.in_port.ofp_port) {
        trace_fatal("%s: give the input port as INPORT, not in the flow",
                    user_flow);
    }
    fill_defaults(t, &flow, &wc, &defaults);
    t->flow_string = xasprintf("in_port=%d%s%s%s%s", t->in->ofport,
                               user_flow[0] ? "," : "", user_flow,
                               defaults.length ? "," : "",
                               ds_cstr(&defaults));
    error = parse_ofp_exact_flow(&t->flow, NULL, NULL, t->flow_string, NULL);
    if (error) {
        trace_fatal("bad flow syntax: %s", error);
    }
    if (defaults.length && !summary) {
        printf("defaults: %s\n", ds_cstr(&defaults));
    }
    ds_destroy(&defaults);
}

/* The switch. */

/* Runs "ofproto/trace" for the packet on ovs-vswitchd and returns its
 * output. */
static char *
run_trace(const struct tracer *t)
{
    const char *name = target ? target : "ovs-vswitchd";
    struct jsonrpc *client;
    char *path, *result, *err;
    int error;

    if (strchr(name, '/')) {
        path = xstrdup(name);
    } else {
        char *pidfile = xasprintf("%s/%s.pid", ovs_rundir(), name);
        pid_t pid = read_pidfile(pidfile);

        if (pid < 0) {
            trace_fatal("cannot read pidfile \"%s\" (%s)", pidfile,
                        ovs_strerror(-pid));
        }
        free(pidfile);
        path = xasprintf("%s/%s.%ld.ctl", ovs_rundir(), name, (long) pid);
    }
    error = unixctl_client_create(path, &client);
    if (error) {
        trace_fatal("cannot connect to \"%s\" (%s)", path,
                    ovs_strerror(error));
    }
    char *argv[] = { CONST_CAST(char *, t->bridge), t->flow_string };
    error = unixctl_client_transact(client, "ofproto/trace", 2, argv,
                                    &result, &err);
    jsonrpc_close(client);
    if (error) {
        trace_fatal("%s: transaction error (%s)", path, ovs_strerror(error));
    }
    if (err) {
        char *nl = strchr(err, '\n');

        if (nl) {
            *nl = '\0';
        }
        trace_fatal("%s", err);
    }
    free(path);
    return result;
}

/* Parses a step heading " 5. ip,nw_dst=..., priority 100, cookie 0x...". */
static bool
parse_heading(const char *line, struct trace_step *step)
{
    const char *p = line + strspn(line, " ");
    const char *prio, *cookie;
    int n;

    if (sscanf(p, "%d. %n", &step->table, &n) != 1) {
        return false;
    }
    if (!strncmp(p + n, "No match", 8)) {
        /* No flow in the table: the switch drops the packet. */
        step->priority = -1;
        step->cookie = HFLOW_COOKIE;
        step->match = xstrdup("");
        return true;
    }
    if (!(prio = strstr(p, "priority "))
        || !(cookie = strstr(prio, ", cookie 0x"))) {
        return false;
    }
    step->priority = atoi(prio + 9);
    step->cookie = strtoull(cookie + 9, NULL, 16);
    size_t len = prio - (p + n);
    step->match = xmemdup0(p + n, len >= 2 ? len - 2 : 0);
    return true;
}

/* Splits the output of ofproto/trace into steps. */
static void
parse_trace(struct tracer *t, const char *text)
{
    struct trace_step *step = NULL;
    size_t allocated = 0;
    char *copy = xstrdup(text);
    char *save = NULL;

    for (char *line = strtok_r(copy, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        struct trace_step s;

        if (!strncmp(line, "Datapath actions: ", 18)) {
            t->dp_actions = xstrdup(line + 18);
        } else if (strncmp(line, "    ", 4) && parse_heading(line, &s)) {
            if (t->n_steps >= allocated) {
                t->steps = x2nrealloc(t->steps, &allocated, sizeof *t->steps);
            }
            step = &t->steps[t->n_steps++];
            *step = s;
            svec_init(&step->lines);
            svec_add(&step->lines, line);
        } else if (step && !strncmp(line, "    ", 4)) {
            svec_add(&step->lines, line);
        } else {
            step = NULL;
        }
    }
    free(copy);
}

/* Returns the value of the step's "set_field:VALUE->FIELD", or NULL. */
static const char *
step_set_field(const struct trace_step *step, const char *field,
               char *buf, size_t size)
{
    for (size_t i = 1; i < step->lines.n; i++) {
        const char *line = step->lines.names[i];
        const char *arrow;

        if (!strncmp(line, "    set_field:", 14)
            && (arrow = strstr(line, "->"))
            && !strcmp(arrow + 2, field)) {
            ovs_strlcpy(buf, line + 14, MIN(size, arrow - (line + 14) + 1));
            return buf;
        }
    }
    return NULL;
}

static bool
step_has(const struct trace_step *step, const char *text)
{
    for (size_t i = 1; i < step->lines.n; i++) {
        if (strstr(step->lines.names[i], text)) {
            return true;
        }
    }
    return false;
}

/* Returns true if the step's flow has no actions: the switch drops the
 * packet there. */
static bool
step_drops(const struct trace_step *step)
{
    return step->lines.n == 2 && !strcmp(step->lines.names[1], "    drop");
}

/* Collects the step's outputs into t->outputs. */
static void
step_outputs(struct tracer *t, const struct trace_step *step)
{
    uint64_t tun_id = 0;

    for (size_t i = 1; i < step->lines.n; i++) {
        const char *line = step->lines.names[i];
        const char *next = i + 1 < step->lines.n
                           ? step->lines.names[i + 1] : "";
        int ofport = 0;

        if (!strncmp(line, "    set_field:", 14) && strstr(line, "->tun_id")) {
            tun_id = strtoull(line + 14, NULL, 0);
        } else if (!strncmp(line, "    controller(", 15)) {
            t->to_controller = true;
        } else if (!strcmp(line, "    IN_PORT")
                   || (!strncmp(line, "    output:", 11)
                       && str_to_int(line + 11, 10, &ofport))) {
            ofport = line[4] == 'I' ? -1 : ofport;
            if (strstr(next, ">> skipping output to input port")) {
                continue;
            }
            t->outputs = xrealloc(t->outputs,
                                  (t->n_outputs + 1) * sizeof *t->outputs);
            t->outputs[t->n_outputs].ofport = ofport;
            t->outputs[t->n_outputs++].tun_id = tun_id;
        }
    }
}

/* The explanation. */

static void OVS_PRINTF_FORMAT(2, 3)
say(const struct tracer *t OVS_UNUSED, const char *format, ...)
{
    va_list args;

    if (summary) {
        return;
    }
    va_start(args, format);
    vprintf(format, args);
    va_end(args);
    putchar('\n');
}

static void OVS_PRINTF_FORMAT(2, 3)
drop(struct tracer *t, const char *format, ...)
{
    va_list args;

    if (!t->drop_reason) {
        va_start(args, format);
        t->drop_reason = xvasprintf(format, args);
        va_end(args);
    }
}

/* The packet's source IP (IPv4) or sender IP (ARP). */
static ovs_be32
pkt_src(const struct tracer *t)
{
    return t->flow.nw_src;
}

static bool
pkt_is_arp(const struct tracer *t)
{
    return t->flow.dl_type == htons(ETH_TYPE_ARP);
}

static bool
pkt_is_ip(const struct tracer *t)
{
    return t->flow.dl_type == htons(ETH_TYPE_IP);
}

/* Whether the packet has a VLAN header (802.1Q or 802.1ad, VLAN 0
 * included), and its outer VLAN. */
static bool
pkt_is_tagged(const struct tracer *t)
{
    return (t->flow.vlans[0].tci & htons(VLAN_CFI)) != 0;
}

static int
pkt_vid(const struct tracer *t)
{
    return vlan_tci_to_vid(t->flow.vlans[0].tci);
}

static const char *
port_name(const struct nbrec_port *port)
{
    return port ? port->name : "?";
}

/* Why a packet to 'ip' found nothing in 'vpc': VPC isolation if another
 * VPC has it. */
static void
put_isolation(const struct tracer *t, const struct nbrec_vpc *vpc,
              ovs_be32 ip, struct ds *s)
{
    const struct nbrec_port *port = port_by_ip(t, NULL, ip);
    const struct nbrec_havip *h = havip_by_ip(t, NULL, ip);
    const struct nbrec_subnet *subnet = subnet_by_ip(t, NULL, ip);

    if (port && port_vpc(port) != vpc && port_vpc(port)) {
        ds_put_format(s, " (port %s of %s has it: VPC isolation)",
                      port->name, port_vpc(port)->name);
    } else if (h && h->subnet && h->subnet->vpc != vpc && h->subnet->vpc) {
        ds_put_format(s, " (HAVIP %s of %s has it: VPC isolation)",
                      h->name, h->subnet->vpc->name);
    } else if (subnet && subnet->vpc != vpc && subnet->vpc) {
        ds_put_format(s, " (subnet %s of %s has it: VPC isolation)",
                      subnet->name, subnet->vpc->name);
    }
}

static const struct nbrec_vpc *
pkt_vpc(const struct tracer *t)
{
    return vpc_by_key(t, ntohll(t->flow.metadata));
}

static void
explain_classify(struct tracer *t, const struct trace_step *step,
                 const struct trace_owner *o)
{
    if (step->priority == 0) {
        if (t->in->uplink && pkt_is_tagged(t)) {
            drop(t, "VLAN-tagged frame (VLAN %d) from the uplink: the "
                 "uplink is not a trunk", pkt_vid(t));
        } else if (t->in->uplink) {
            drop(t, "this chassis is not the active gateway: its uplink "
                 "%s takes nothing in", t->in->name);
        } else if (t->in_port) {
            drop(t, "port %s has no flows on this chassis (see "
                 "\"havip-nbctl show\" for a refused row)", t->in_port->name);
        } else {
            drop(t, "%s is no VM port, uplink or tunnel of havip's",
                 t->in->name);
        }
    } else if (o->port) {
        const struct nbrec_subnet *s = o->port->subnet;

        say(t, "ingress %s (subnet %s, %s)", o->port->name,
            s ? s->name : "?", s && s->vpc ? s->vpc->name : "?");
    } else if (t->in->uplink) {
        say(t, "ingress from the uplink %s", t->in->name);
    } else if (t->in->chassis) {
        say(t, "ingress from the tunnel to chassis %s", t->in->chassis);
    }
}

static void
explain_from_tunnel(struct tracer *t, const struct trace_step *step,
                    const struct trace_owner *o)
{
    uint64_t key = ntohll(t->flow.tunnel.tun_id);

    if (step->priority == 0) {
        drop(t, "tunnel key %#"PRIx64" is no port of this chassis", key);
    } else if (o->port) {
        say(t, "tunnel key %#"PRIx64": delivered to %s", key,
            o->port->name);
    } else {
        say(t, "tunnel key %#"PRIx64": SNATed traffic, out of the uplink",
            key);
    }
}

static void
explain_uplink(struct tracer *t, const struct trace_step *step,
               const struct trace_owner *o)
{
    ovs_be32 dst = t->flow.nw_dst;
    const struct nbrec_eip *eip = eip_by_ip(t, dst);
    const char *what = pkt_is_arp(t) ? "ARP for" : "IPv4 to";

    if (step->priority == 0) {
        const struct nbrec_havip *h = havip_by_ip(t, NULL, dst);
        const struct nbrec_havip *bh;
        const struct nbrec_port *bp;

        if (!pkt_is_arp(t) && !pkt_is_ip(t)) {
            drop(t, "from the uplink only ARP and IPv4 to an EIP enter");
        } else if (eip) {
            eip_binding(t, eip, &bh, &bp);
            const struct havip_violation *v = NULL;
            if (bh || bp) {
                v = binding_violation(t, eip,
                                      bh ? &bh->header_ : &bp->header_);
            }
            if (v) {
                drop(t, "EIP %s %s: its binding to %s %s is refused by %s",
                     eip->name, eip->ip, bh ? "HAVIP" : "port",
                     bh ? bh->name : bp->name, v->msg);
            } else if (bh || bp) {
                drop(t, "EIP %s %s is bound to %s %s, which has no flows "
                     "here", eip->name, eip->ip, bh ? "HAVIP" : "port",
                     bh ? bh->name : bp->name);
            } else {
                drop(t, "EIP %s %s is not bound to a HAVIP or port",
                     eip->name, eip->ip);
            }
        } else if (h) {
            drop(t, "%s HAVIP %s's private IP %s: never reachable from "
                 "the uplink", what, h->name, h->ip);
        } else {
            drop(t, "%s "IP_FMT" from the uplink: not an EIP", what,
                 IP_ARGS(dst));
        }
        return;
    }

    const char *kind = o->havip ? "HAVIP" : "port";
    const char *name = o->havip ? o->havip->name : port_name(o->port);
    if (pkt_is_arp(t)) {
        char mac[64];

        say(t, "ARP for EIP %s %s: answered from %s (the EIP's own MAC, "
            "unchanged on failover)", eip ? eip->name : "?",
            eip ? eip->ip : "?",
            step_set_field(step, "eth_src", mac, sizeof mac)
            ? mac : "?");
    } else {
        char ip[64];

        say(t, "EIP %s %s bound to %s %s: DNAT to %s, TTL %d -> %d",
            eip ? eip->name : "?", eip ? eip->ip : "?", kind, name,
            step_set_field(step, "ip_dst", ip, sizeof ip) ? ip : "?",
            t->flow.nw_ttl, t->flow.nw_ttl ? t->flow.nw_ttl - 1 : 0);
        if (t->flow.nw_ttl <= 1 && step_has(step, "decrement TTL")) {
            drop(t, "TTL expired (nw_ttl %d) entering the VPC",
                 t->flow.nw_ttl);
        }
    }
}

static void
explain_uplink_src(struct tracer *t, const struct trace_step *step,
                   const struct trace_owner *o)
{
    if (step->priority && o->subnet) {
        drop(t, "source "IP_FMT" from the uplink is inside %s (subnet %s "
             "%s): spoofed", IP_ARGS(pkt_src(t)),
             o->subnet->vpc ? o->subnet->vpc->name : "?",
             o->subnet->name, o->subnet->cidr);
    }
}

static void
explain_port_sec_l2(struct tracer *t, const struct trace_step *step)
{
    const struct nbrec_port *port = t->in_port;
    struct eth_addr mac = port ? row_mac(port->mac) : eth_addr_zero;

    if (step->priority) {
        say(t, "port security: source MAC "ETH_ADDR_FMT" is %s's own",
            ETH_ADDR_ARGS(t->flow.dl_src), port_name(port));
    } else if (pkt_is_tagged(t)) {
        drop(t, "VLAN-tagged frame (VLAN %d) from %s: VM ports are not "
             "trunks", pkt_vid(t), port_name(port));
    } else if (!eth_addr_equals(t->flow.dl_src, mac)) {
        drop(t, "port security: source MAC "ETH_ADDR_FMT" is not %s's "
             "(%s)", ETH_ADDR_ARGS(t->flow.dl_src), port_name(port),
             port ? port->mac : "?");
    } else if (pkt_is_arp(t) && !eth_addr_equals(t->flow.arp_sha, mac)) {
        drop(t, "port security: ARP sender MAC "ETH_ADDR_FMT" is not %s's "
             "(%s)", ETH_ADDR_ARGS(t->flow.arp_sha), port_name(port),
             port->mac);
    } else if (!pkt_is_arp(t) && !pkt_is_ip(t)) {
        drop(t, "port security: ethertype 0x%04"PRIx16" from %s: only IPv4 "
             "and ARP are allowed", ntohs(t->flow.dl_type), port_name(port));
    } else {
        drop(t, "port security L2 refused the packet from %s",
             port_name(port));
    }
}

static void
explain_port_sec_l3(struct tracer *t, const struct trace_step *step,
                    const struct trace_owner *o)
{
    const struct nbrec_port *port = t->in_port;
    ovs_be32 src = pkt_src(t);

    if (step->priority && o->havip) {
        bool holder = (step_has(step, "goto_table:12"));

        say(t, "port security: source "IP_FMT" is HAVIP %s's, %s %s",
            IP_ARGS(src), o->havip->name, port_name(port),
            holder ? "is its holder" : "is associated (not the holder)");
    } else if (step->priority) {
        say(t, "port security: source "IP_FMT" is %s's own",
            IP_ARGS(src), port_name(port));
    } else {
        const struct nbrec_havip *h = havip_by_ip(t, port_vpc(port), src);
        bool garp = pkt_is_arp(t) && t->flow.nw_dst == src;

        if (h && garp) {
            drop(t, "GARP for HAVIP %s %s from %s, which is not associated "
                 "with it", h->name, h->ip, port_name(port));
        } else if (h) {
            drop(t, "port security: source %s is HAVIP %s's and %s is not "
                 "associated with it", h->ip, h->name, port_name(port));
        } else {
            drop(t, "port security: source "IP_FMT" is neither %s's (%s) "
                 "nor an associated HAVIP's", IP_ARGS(src), port_name(port),
                 port ? port->ip : "?");
        }
    }
}

static void
explain_holder_arp(struct tracer *t, const struct trace_step *step,
                   const struct trace_owner *o)
{
    if (step->priority && o->havip) {
        say(t, "GARP from holder %s for HAVIP %s: flooded, never answered",
            port_name(t->in_port), o->havip->name);
    }
}

static void
explain_claim(struct tracer *t, const struct trace_step *step, bool learn)
{
    const struct nbrec_havip *h = havip_by_ip(t, port_vpc(t->in_port),
                                              pkt_src(t));
    const char *name = h ? h->name : "?";

    if (step->priority == 10 && learn) {
        say(t, "claim: %s (associated, not the holder) announces HAVIP %s: "
            "to havip-controller, which makes %s the holder, and flooded, "
            "never answered", port_name(t->in_port), name,
            port_name(t->in_port));
    } else if (step->priority == 10) {
        say(t, "claim: %s announces HAVIP %s, which does not learn "
            "(options:learn=false): flooded only, the holder stays",
            port_name(t->in_port), name);
    } else if (step->priority == 5) {
        drop(t, "ARP opcode %d from %s for HAVIP %s claims nothing (only "
             "requests and replies do)", t->flow.nw_proto,
             port_name(t->in_port), name);
    }
}

static void
explain_arp_responder(struct tracer *t, const struct trace_step *step,
                      const struct trace_owner *o)
{
    char mac[64];

    if (!step->priority) {
        return;
    }
    if (!step_set_field(step, "eth_src", mac, sizeof mac)) {
        ovs_strlcpy(mac, "?", sizeof mac);
    }
    if (o->subnet) {
        say(t, "ARP responder: %s is at %s (gateway of %s)",
            o->subnet->gateway_ip, mac, o->subnet->name);
    } else if (o->havip) {
        const struct nbrec_port *holder
            = havip_port_by_mac(o->havip, row_mac(mac));

        say(t, "ARP responder: %s is at %s (HAVIP %s, holder %s)",
            o->havip->ip, mac, o->havip->name, port_name(holder));
    } else if (o->port) {
        say(t, "ARP responder: %s is at %s (port %s)", o->port->ip, mac,
            o->port->name);
    }
}

static void
explain_l2(struct tracer *t, const struct trace_step *step,
           const struct trace_owner *o)
{
    switch (step->priority) {
    case 110:
        say(t, "to the gateway of %s: routed, TTL %d -> %d",
            o->subnet ? o->subnet->name : "?", t->flow.nw_ttl,
            t->flow.nw_ttl ? t->flow.nw_ttl - 1 : 0);
        if (step_has(step, "decrement TTL exception")) {
            drop(t, "TTL expired (nw_ttl %d) at the gateway of %s",
                 t->flow.nw_ttl, o->subnet ? o->subnet->name : "?");
        }
        break;
    case 100:
        say(t, "%s "ETH_ADDR_FMT" in subnet %s: to its other ports",
            eth_addr_is_broadcast(t->flow.dl_dst) ? "broadcast"
            : "multicast", ETH_ADDR_ARGS(t->flow.dl_dst),
            o->subnet ? o->subnet->name : "?");
        break;
    case 90:
        break;
    case 50:
        say(t, "unicast to %s's MAC "ETH_ADDR_FMT, port_name(o->port),
            ETH_ADDR_ARGS(t->flow.dl_dst));
        break;
    case 0: {
        const struct nbrec_subnet *s = subnet_by_key(t, t->flow.regs[6]);

        drop(t, "unknown destination MAC "ETH_ADDR_FMT" in subnet %s",
             ETH_ADDR_ARGS(t->flow.dl_dst), s ? s->name : "?");
        break;
    }
    }
}

static void
explain_route(struct tracer *t, const struct trace_step *step,
              const struct trace_owner *o)
{
    ovs_be32 dst = t->flow.nw_dst, src = pkt_src(t);
    const struct nbrec_vpc *vpc = pkt_vpc(t);

    if (step->priority == 100 && o->subnet) {
        say(t, "route to subnet %s %s", o->subnet->name, o->subnet->cidr);
    } else if (step->priority == 50) {
        const struct nbrec_eip *eip = (o->havip ? o->havip->eip
                                       : o->port ? o->port->eip : NULL);
        char mac[64];

        say(t, "SNAT "IP_FMT" -> EIP %s %s (%s %s), next hop %s",
            IP_ARGS(src), eip ? eip->name : "?", eip ? eip->ip : "?",
            o->havip ? "HAVIP" : "pinned to port",
            o->havip ? o->havip->name : port_name(o->port),
            step_set_field(step, "eth_dst", mac, sizeof mac) ? mac : "?");
    } else if (step->priority == 0) {
        const struct nbrec_havip *h = havip_by_ip(t, vpc, src);
        const struct nbrec_port *p = port_by_ip(t, vpc, src);
        const struct nbrec_eip *eip = h ? h->eip : p ? p->eip : NULL;
        struct ds s = DS_EMPTY_INITIALIZER;

        ds_put_format(&s, "no route to "IP_FMT": in no subnet of %s",
                      IP_ARGS(dst), vpc ? vpc->name : "?");
        put_isolation(t, vpc, dst, &s);
        if (eip) {
            const struct havip_violation *v
                = binding_violation(t, eip, h ? &h->header_ : &p->header_);
            const struct nbrec_region *r
                = havip_subnet_region(h ? h->subnet : p->subnet);

            if (v) {
                ds_put_format(&s, ", and the binding of EIP %s to %s %s is "
                              "refused by %s", eip->name,
                              h ? "HAVIP" : "port", h ? h->name : p->name,
                              v->msg);
            } else if (!r || !nonempty(r->external_gateway_mac)) {
                ds_put_format(&s, ", and region %s has no "
                              "external_gateway_mac for EIP %s",
                              r ? r->name : "?", eip->name);
            } else {
                ds_put_format(&s, ", and EIP %s's SNAT is not here (no "
                              "associated port of %s on this chassis)",
                              eip->name, h ? h->name : p->name);
            }
        } else {
            ds_put_format(&s, ", and source "IP_FMT" has no EIP (a port's "
                          "own IP never leaves without one)", IP_ARGS(src));
        }
        drop(t, "%s", ds_cstr(&s));
        ds_destroy(&s);
    }
}

/* Why the flows of 'h' deliver to no holder. */
static void
explain_no_holder(struct tracer *t, const struct nbrec_havip *h)
{
    const struct nbrec_port *holder = h->holder;
    const struct havip_violation *v
        = havip_verdicts_find_rule(&t->verdicts, &h->header_.uuid,
                                   HAVIP_RULE_HOLDER);

    if (!holder) {
        drop(t, "no holder for HAVIP %s %s", h->name, h->ip);
    } else if (v) {
        drop(t, "HAVIP %s %s: its holder %s is refused by %s", h->name,
             h->ip, holder->name, v->msg);
    } else if (nonempty(holder->chassis)) {
        drop(t, "HAVIP %s %s: its holder %s is on chassis %s, which this "
             "chassis has no tunnel to", h->name, h->ip, holder->name,
             holder->chassis);
    } else {
        drop(t, "HAVIP %s %s: its holder %s is bound on no chassis",
             h->name, h->ip, holder->name);
    }
}

static void
explain_l3(struct tracer *t, const struct trace_step *step,
           const struct trace_owner *o)
{
    ovs_be32 dst = t->flow.nw_dst;
    char mac[64];

    if (!step_set_field(step, "eth_dst", mac, sizeof mac)) {
        ovs_strlcpy(mac, "?", sizeof mac);
    }
    if (step->priority && o->port) {
        say(t, "to port %s %s: dl_dst %s", o->port->name, o->port->ip, mac);
    } else if (step->priority && o->havip) {
        if (step_drops(step)) {
            explain_no_holder(t, o->havip);
            return;
        }
        const struct nbrec_port *holder
            = havip_port_by_mac(o->havip, row_mac(mac));
        bool learned = holder && holder != o->havip->holder;

        say(t, "to HAVIP %s %s -> holder %s%s: dl_dst %s", o->havip->name,
            o->havip->ip, port_name(holder),
            learned ? " (learned, not yet in the database)" : "", mac);
    } else if (!step->priority) {
        const struct nbrec_vpc *vpc = pkt_vpc(t);
        struct ds s = DS_EMPTY_INITIALIZER;

        ds_put_format(&s, "unknown destination "IP_FMT": no port or HAVIP "
                      "has it in %s", IP_ARGS(dst), vpc ? vpc->name : "?");
        put_isolation(t, vpc, dst, &s);
        drop(t, "%s", ds_cstr(&s));
        ds_destroy(&s);
    }
}

static void
explain_to_uplink(struct tracer *t, const struct trace_step *step)
{
    if (!step->priority) {
        drop(t, "SNATed traffic and no live gateway chassis");
    } else if (!step_has(step, "tun_id")) {
        say(t, "SNATed: to the uplink of this chassis, the active gateway");
    } else {
        say(t, "tunnelled to the active gateway chassis");
    }
}

/* --detailed: the table, its flow's priority and owner row, and
 * ofproto/trace's own lines for 'step'. */
static void
print_step_details(const struct tracer *t, const struct trace_step *step,
                   const struct trace_owner *o)
{
    const char *owner = (o->fixed ? "fixed flows"
                         : o->havip ? "HAVIP" : o->port ? "Port"
                         : o->subnet ? "Subnet" : "not havip's");
    const char *name = (o->havip ? o->havip->name
                        : o->port ? o->port->name
                        : o->subnet ? o->subnet->name : NULL);

    say(t, "    table %d (%s), priority %d, %s%s%s:", step->table,
        havip_table_name(step->table), step->priority, owner,
        name ? " " : "", name ? name : "");
    for (size_t i = 0; i < step->lines.n; i++) {
        say(t, "    | %s", step->lines.names[i]);
    }
}

static void
explain_havip_step(struct tracer *t, const struct trace_step *step,
                   const struct trace_owner *o)
{
    if (step->priority < 0) {
        drop(t, "no flow of table %d (%s) matches: havip-controller has "
             "not programmed this bridge (is it running?)", step->table,
             havip_table_name(step->table));
        return;
    }
    switch (step->table) {
    case HT_CLASSIFY:
        explain_classify(t, step, o);
        break;
    case HT_FROM_TUNNEL:
        explain_from_tunnel(t, step, o);
        break;
    case HT_UPLINK:
        explain_uplink(t, step, o);
        break;
    case HT_UPLINK_SRC:
        explain_uplink_src(t, step, o);
        break;
    case HT_PORT_SEC_L2:
        explain_port_sec_l2(t, step);
        break;
    case HT_PORT_SEC_L3:
        explain_port_sec_l3(t, step, o);
        break;
    case HT_HOLDER_ARP:
        explain_holder_arp(t, step, o);
        break;
    case HT_CLAIM:
    case HT_CLAIM_NOLEARN:
        explain_claim(t, step, step->table == HT_CLAIM);
        break;
    case HT_ARP_RESPONDER:
        explain_arp_responder(t, step, o);
        break;
    case HT_L2:
        explain_l2(t, step, o);
        break;
    case HT_ROUTE:
        explain_route(t, step, o);
        break;
    case HT_L3:
        explain_l3(t, step, o);
        break;
    case HT_TO_UPLINK:
        explain_to_uplink(t, step);
        break;
    default:
        say(t, "table %d: not a table of havip's pipeline", step->table);
        break;
    }
}

static void
explain_step(struct tracer *t, const struct trace_step *step)
{
    struct trace_owner o = find_owner(t, step->cookie);

    if ((step->cookie & HFLOW_COOKIE_MASK) != HFLOW_COOKIE) {
        say(t, "table %d: a flow that is not havip's (cookie %#"PRIx64")",
            step->table, step->cookie);
    } else {
        explain_havip_step(t, step, &o);
    }
    if (detailed) {
        print_step_details(t, step, &o);
    }
}

/* Applies the step's writes of the fields the explanation reads (VPC and
 * subnet keys, NAT, MACs) to t->flow, so that the next steps are explained
 * with the packet as it is then. */
static void
step_apply(struct tracer *t, const struct trace_step *step)
{
    char buf[64];
    ovs_be32 ip;

    if (step_set_field(step, "metadata", buf, sizeof buf)) {
        t->flow.metadata = htonll(strtoull(buf, NULL, 0));
    }
    if (step_set_field(step, "reg6", buf, sizeof buf)) {
        t->flow.regs[6] = strtoul(buf, NULL, 0);
    }
    if (step_set_field(step, "ip_dst", buf, sizeof buf)
        && ip_parse(buf, &ip)) {
        t->flow.nw_dst = ip;
    }
    if (step_set_field(step, "ip_src", buf, sizeof buf)
        && ip_parse(buf, &ip)) {
        t->flow.nw_src = ip;
    }
    if (step_set_field(step, "eth_src", buf, sizeof buf)) {
        eth_addr_from_string(buf, &t->flow.dl_src);
    }
    if (step_set_field(step, "eth_dst", buf, sizeof buf)) {
        eth_addr_from_string(buf, &t->flow.dl_dst);
    }
    if (step_has(step, "    dec_ttl") && t->flow.nw_ttl) {
        t->flow.nw_ttl--;
    }
}

/* Prints the last line: where the packet went, or why it was dropped. */
static void
print_verdict(struct tracer *t)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    if (t->n_outputs) {
        bool reply = t->n_outputs == 1 && t->outputs[0].ofport < 0;

        ds_put_cstr(&s, reply ? "reply out of " : "output to ");
        for (size_t i = 0; i < t->n_outputs; i++) {
            if (i) {
                ds_put_cstr(&s, ", ");
            }
            format_ofport(t, t->outputs[i].ofport, t->outputs[i].tun_id, &s);
        }
    } else if (t->to_controller) {
        ds_put_cstr(&s, "to havip-controller only (no other port to flood "
                    "to)");
    } else if (t->drop_reason) {
        ds_put_format(&s, "dropped: %s", t->drop_reason);
    } else if (t->n_steps) {
        const struct trace_step *last = &t->steps[t->n_steps - 1];

        ds_put_format(&s, "dropped in table %d (%s)", last->table,
                      havip_table_name(last->table));
    } else {
        ds_put_cstr(&s, "dropped: no flow in table 0 (is havip-controller "
                    "running?)");
    }
    puts(ds_cstr(&s));
    ds_destroy(&s);
}

static void
tracer_destroy(struct tracer *t)
{
    for (size_t i = 0; i < t->n_steps; i++) {
        free(t->steps[i].match);
        svec_destroy(&t->steps[i].lines);
    }
    free(t->steps);
    free(t->outputs);
    free(t->dp_actions);
    free(t->flow_string);
    free(t->drop_reason);
    free(t->ifaces);
    havip_verdicts_destroy(&t->verdicts);
    havip_nb_rows_destroy(&t->rows);
    ovsdb_idl_destroy(t->ovs_idl);
    ovsdb_idl_destroy(t->nb_idl);
}

static void
print_tables(void)
{
    for (size_t i = 0; i < havip_n_tables; i++) {
        printf("%d %s: %s\n", havip_tables[i].id, havip_tables[i].name,
               havip_tables[i].does);
    }
}

int
main(int argc, char *argv[])
{
    struct tracer t;

    havip_dirs_init();
    set_program_name(argv[0]);
    fatal_ignore_sigpipe();
    vlog_set_levels(NULL, VLF_CONSOLE, VLL_WARN);
    vlog_set_levels_from_string_assert("reconnect:warn");
    parse_options(argc, argv);
    if (argc - optind != 2) {
        trace_fatal("need two arguments, INPORT and FLOW (use --help for "
                    "help)");
    }

    memset(&t, 0, sizeof t);
    havip_verdicts_init(&t.verdicts);
    the_tracer = &t;
    read_db(nb_db, &nbrec_idl_class, &t.nb_idl);
    read_db(ovs_db, &ovsrec_idl_class, &t.ovs_idl);
    havip_nb_rows_from_idl(t.nb_idl, &t.rows);
    havip_rules_check(&t.rows, &t.verdicts);
    read_local(&t);
    resolve_in_port(&t, argv[optind]);
    build_flow(&t, argv[optind + 1]);

    char *output = run_trace(&t);
    parse_trace(&t, output);
    for (size_t i = 0; i < t.n_steps; i++) {
        explain_step(&t, &t.steps[i]);
        step_outputs(&t, &t.steps[i]);
        step_apply(&t, &t.steps[i]);
    }
    print_verdict(&t);
    if (detailed && t.dp_actions) {
        printf("datapath actions: %s\n", t.dp_actions);
    }
    free(output);
    tracer_destroy(&t);
    free(ovs_db);
    return EXIT_SUCCESS;
}

static void
parse_options(int argc, char *argv[])
{
    enum {
        OPT_DB = UCHAR_MAX + 1,
        OPT_OVS,
        OPT_BRIDGE,
        OPT_SWITCH,
        OPT_DETAILED,
        OPT_SUMMARY,
        OPT_TABLES,
    };
    static const struct option long_options[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"ovs", required_argument, NULL, OPT_OVS},
        {"bridge", required_argument, NULL, OPT_BRIDGE},
        {"switch", required_argument, NULL, OPT_SWITCH},
        {"detailed", no_argument, NULL, OPT_DETAILED},
        {"summary", no_argument, NULL, OPT_SUMMARY},
        {"tables", no_argument, NULL, OPT_TABLES},
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    char *short_options = ovs_cmdl_long_options_to_short_options(long_options);

    for (;;) {
        int c = getopt_long(argc, argv, short_options, long_options, NULL);

        if (c == -1) {
            break;
        }
        switch (c) {
        case OPT_DB:
            nb_db = optarg;
            break;
        case OPT_OVS:
            ovs_db = xstrdup(optarg);
            break;
        case OPT_BRIDGE:
            bridge_opt = optarg;
            break;
        case OPT_SWITCH:
            target = optarg;
            break;
        case OPT_DETAILED:
            detailed = true;
            summary = false;
            break;
        case OPT_SUMMARY:
            summary = true;
            detailed = false;
            break;
        case OPT_TABLES:
            tables = true;
            break;
        case 't':
            if (!str_to_uint(optarg, 10, &timeout) || !timeout) {
                trace_fatal("value %s on -t or --timeout is invalid",
                            optarg);
            }
            break;
        case 'h':
            usage();
        case 'V':
            ovs_print_version(0, 0);
            printf("DB Schema %s\n", nbrec_get_db_version());
            printf("havip %s\n", HAVIP_VERSION);
            exit(EXIT_SUCCESS);
        case '?':
            exit(EXIT_FAILURE);
        default:
            OVS_NOT_REACHED();
        }
    }
    free(short_options);
    if (tables) {
        print_tables();
        exit(EXIT_SUCCESS);
    }

    if (!nb_db) {
        nb_db = getenv("HAVIP_NB_DB");
        if (!nb_db || !nb_db[0]) {
            nb_db = "unix:/var/run/havip/havip_nb.sock";
        }
    }
    if (!ovs_db) {
        ovs_db = xasprintf("unix:%s/db.sock", ovs_rundir());
    }
}

static void
usage(void)
{
    printf("\
%s: explains what the switch does with one packet, in havip's terms\n\
usage: %s [OPTIONS] INPORT FLOW\n\
\n\
INPORT is a Port (name or UUID) of HAVIP_Northbound on this chassis,\n\
\"uplink\", or \"tunnel:CHASSIS\".  FLOW is a packet in ofproto/trace's\n\
flow syntax, e.g. 'icmp,nw_dst=10.0.1.100' or 'arp,arp_tpa=10.0.1.1';\n\
from a Port, dl_src, nw_src (arp_spa, arp_sha), dl_dst and nw_ttl default\n\
to what the port would send, and the line \"defaults:\" names them.\n\
\n\
Options:\n\
  --db=DATABASE             HAVIP_Northbound (default: $HAVIP_NB_DB, else\n\
                            unix:/var/run/havip/havip_nb.sock)\n\
  --ovs=DATABASE            Open_vSwitch database (default:\n\
                            unix:%s/db.sock)\n\
  --bridge=BRIDGE           integration bridge (default: the\n\
                            configured havip-bridge, else br-int)\n\
  --switch=TARGET           ovs-vswitchd's control socket or program\n\
                            name (default: ovs-vswitchd)\n\
  --detailed                also print ofproto/trace's lines of each table\n\
  --summary                 print only the last line (output or drop)\n\
  --tables                  print the pipeline's tables and exit\n\
  -t, --timeout=SECS        wait at most SECS for a database (default 10)\n\
  -h, --help                display this help message\n\
  -V, --version             display version information\n\
\n\
Exit status: 0 when the packet was traced (delivered or dropped), 1 on\n\
an error (unknown port, bad flow, no database or switch).\n",
           program_name, program_name, ovs_rundir());
    exit(EXIT_SUCCESS);
}
