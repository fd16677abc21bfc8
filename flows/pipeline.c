/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

/* The OpenFlow pipeline of one chassis.  See havip-pipeline.h for the
 * interface and docs/flow-tables.md for what each table does.
 *
 * Registers: metadata holds the VPC key, reg6 the subnet key (both set in
 * table 0 from the ingress port, or by the EIP DNAT), reg4 the packet's
 * source IPv4 address or ARP SPA (set by port security). */

#include <config.h>
#include "havip-pipeline.h"

#include <string.h>
#include "havip-addr.h"
#include "havip-flow-table.h"
#include "havip-rules.h"
#include "flow.h"
#include "openvswitch/match.h"
#include "openvswitch/meta-flow.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofpbuf.h"
#include "ovsdb/havip-nb-idl.h"
#include "packets.h"
#include "simap.h"
#include "smap.h"
#include "sset.h"
#include "uuid.h"
#include "uuidset.h"

#include "util.h"

#define REG_SRC_IP 4            /* reg4: source IP / ARP SPA. */
#define REG_SUBNET 6            /* reg6: subnet key. */

uint64_t
havip_vpc_key(const struct uuid *vpc)
{
    return (uint64_t) vpc->parts[0] << 32 | vpc->parts[1];
}

uint32_t
havip_subnet_key(const struct uuid *subnet)
{
    /* Never zero: zero means "no subnet". */
    return subnet->parts[0] | 1;
}

struct eth_addr
havip_eip_mac(ovs_be32 eip)
{
    uint32_t ip = ntohl(eip);

    struct eth_addr mac = { .be16 = { htons(0x02e1), htons(ip >> 16),
                                      htons(ip & 0xffff) } };
    return mac;
}

/* Flow-building helpers. */

/* Puts "set_field:'value'->'id'".  (ofpact_put_set_field() with a value
 * leaves the alignment padding uninitialized, which would make equal
 * actions compare unequal.) */
static void
put_set_field(struct ofpbuf *ofpacts, enum mf_field_id id, const void *value)
{
    const struct mf_field *field = mf_from_id(id);
    struct ofpact_set_field *sf;

    sf = ofpact_put_set_field(ofpacts, field, NULL, NULL);
    memcpy(sf->value, value, field->n_bytes);
    memset(ofpact_set_field_mask(sf), 0xff, field->n_bytes);
}

static void
put_set_be32(struct ofpbuf *ofpacts, enum mf_field_id id, ovs_be32 value)
{
    put_set_field(ofpacts, id, &value);
}

static void
put_set_mac(struct ofpbuf *ofpacts, enum mf_field_id id, struct eth_addr mac)
{
    put_set_field(ofpacts, id, &mac);
}

static void
put_move(struct ofpbuf *ofpacts, enum mf_field_id src, enum mf_field_id dst)
{
    struct ofpact_reg_move *move = ofpact_put_REG_MOVE(ofpacts);

    move->src.field = mf_from_id(src);
    move->src.ofs = 0;
    move->src.n_bits = move->src.field->n_bits;
    move->dst.field = mf_from_id(dst);
    move->dst.ofs = 0;
    move->dst.n_bits = move->dst.field->n_bits;
}

static void
put_output(struct ofpbuf *ofpacts, ofp_port_t port)
{
    ofpact_put_OUTPUT(ofpacts)->port = port;
}

static void
put_goto(struct ofpbuf *ofpacts, enum havip_table table)
{
    ofpact_put_GOTO_TABLE(ofpacts)->table_id = table;
}

static void
put_dec_ttl(struct ofpbuf *ofpacts)
{
    struct ofpact_cnt_ids *ids = ofpact_put_DEC_TTL(ofpacts);
    uint16_t id = 0;

    ofpbuf_put(ofpacts, &id, sizeof id);
    ids = ofpacts->header;
    ids->n_controllers = 1;
    ofpact_finish_DEC_TTL(ofpacts, &ids);
}

/* Actions that turn an ARP request into the reply "'ip' is at 'mac'" and
 * send it back where it came from. */
static void
put_arp_reply(struct ofpbuf *ofpacts, struct eth_addr mac, ovs_be32 ip)
{
    uint8_t op = ARP_OP_REPLY;

    put_move(ofpacts, MFF_ETH_SRC, MFF_ETH_DST);
    put_set_mac(ofpacts, MFF_ETH_SRC, mac);
    put_set_field(ofpacts, MFF_ARP_OP, &(ovs_be16) { htons(op) });
    put_move(ofpacts, MFF_ARP_SHA, MFF_ARP_THA);
    put_set_mac(ofpacts, MFF_ARP_SHA, mac);
    put_move(ofpacts, MFF_ARP_SPA, MFF_ARP_TPA);
    put_set_be32(ofpacts, MFF_ARP_SPA, ip);
    put_output(ofpacts, OFPP_IN_PORT);
}

static void
match_arp_request(struct match *m, ovs_be32 tpa)
{
    match_set_dl_type(m, htons(ETH_TYPE_ARP));
    match_set_nw_proto(m, ARP_OP_REQUEST);
    match_set_nw_dst(m, tpa);
}

/* Recipes.
 *
 * A recipe holds everything one row's flows depend on, parsed and checked:
 * the flows are a pure function of it (havip_recipe_emit()), so two equal
 * recipes give equal flows and a controller can keep recipes instead of
 * flows. */

static const struct uuid zero_uuid;

static bool
refused(const struct havip_pipeline *p, const struct ovsdb_idl_row *row)
{
    return havip_verdicts_find(p->verdicts, &row->uuid) != NULL;
}

static bool
refused_rule(const struct havip_pipeline *p, const struct ovsdb_idl_row *row,
             enum havip_rule rule)
{
    return havip_verdicts_find_rule(p->verdicts, &row->uuid, rule) != NULL;
}

static void
recipe_init(struct havip_recipe *r, enum havip_recipe_type type,
            const struct uuid *owner)
{
    /* Zeroed, padding included, so that recipes compare with memcmp(). */
    memset(r, 0, sizeof *r);
    r->type = type;
    r->owner = *owner;
    r->ofport = OFPP_NONE;
    r->remote.tunnel = OFPP_NONE;
    r->uplink = OFPP_NONE;
    r->gateway_tunnel = OFPP_NONE;
}

/* Returns true if 'p' computes flows for 'vpc' on this chassis. */
static bool
vpc_is_here(const struct havip_pipeline *p, const struct nbrec_vpc *vpc)
{
    return !p->vpcs || uuidset_contains(p->vpcs, &vpc->header_.uuid);
}

/* Fills the subnet part of 'r' from 'subnet'.  Returns false if the subnet
 * is refused (its violation says why) or not linked to a VPC and region. */
static bool
recipe_set_subnet(const struct havip_pipeline *p,
                  const struct nbrec_subnet *subnet, struct havip_recipe *r)
{
    char *error;

    if (!subnet || !subnet->vpc || !subnet->vpc->region
        || !vpc_is_here(p, subnet->vpc) || refused(p, &subnet->header_)) {
        return false;
    }
    error = havip_parse_cidr(subnet->cidr, &r->cidr);
    if (!error) {
        error = havip_parse_ip(subnet->gateway_ip, &r->gateway_ip);
    }
    if (!error) {
        error = havip_parse_mac(subnet->gateway_mac, &r->gateway_mac);
    }
    if (error) {
        /* havip_rules_check() would have refused it. */
        free(error);
        return false;
    }
    r->vpc_key = havip_vpc_key(&subnet->vpc->header_.uuid);
    r->subnet_key = havip_subnet_key(&subnet->header_.uuid);

    const char *gw_mac = subnet->vpc->region->external_gateway_mac;
    error = havip_parse_mac(gw_mac, &r->ext_gw_mac);
    if (error) {
        /* Empty (no public next hop) or refused by rule 5. */
        free(error);
        r->ext_gw_mac = eth_addr_zero;
    }
    return true;
}

static ofp_port_t
local_ofport(const struct havip_pipeline *p, const char *name)
{
    const struct simap_node *node = simap_find(p->local->ofports, name);

    return node ? u16_to_ofp(node->data) : OFPP_NONE;
}

/* Parses 'port''s MAC and IP and finds its OpenFlow port here (OFPP_NONE if
 * it is elsewhere).  Returns false if the port is refused for its
 * addresses. */
static bool
port_addresses(const struct havip_pipeline *p, const struct nbrec_port *port,
               struct eth_addr *mac, ovs_be32 *ip, ofp_port_t *ofport)
{
    char *error;

    if (refused_rule(p, &port->header_, HAVIP_RULE_ADDRESSES)) {
        return false;
    }
    error = havip_parse_mac(port->mac, mac);
    if (!error) {
        error = havip_parse_ip(port->ip, ip);
    }
    if (error) {
        free(error);
        return false;
    }
    *ofport = local_ofport(p, port->name);
    return true;
}

/* Returns true if 'port' is on another chassis that this one has a tunnel
 * to, and sets '*remote' to how to reach it. */
static bool
port_remote(const struct havip_pipeline *p, const struct nbrec_port *port,
            struct havip_remote *remote)
{
    const struct simap_node *node;

    if (!port->chassis || !port->chassis[0] || !port->n_tunnel_key
        || !p->local->tunnels
        || (p->local->chassis && !strcmp(port->chassis, p->local->chassis))) {
        return false;
    }
    node = simap_find(p->local->tunnels, port->chassis);
    if (!node) {
        return false;
    }
    remote->tunnel = u16_to_ofp(node->data);
    remote->key = port->tunnel_key[0];
    return true;
}

/* Where 'port' is: here ('*ofport') or elsewhere ('*remote').  Returns
 * false if it is neither (or refused for its addresses). */
static bool
port_locate(const struct havip_pipeline *p, const struct nbrec_port *port,
            struct eth_addr *mac, ovs_be32 *ip, ofp_port_t *ofport,
            struct havip_remote *remote)
{
    memset(remote, 0, sizeof *remote);    /* Padding too: see memcmp(). */
    remote->tunnel = OFPP_NONE;
    return (port_addresses(p, port, mac, ip, ofport)
            && (*ofport != OFPP_NONE || port_remote(p, port, remote)));
}

/* Sets the EIP part of 'r' if 'eip' can be bound for the object 'row': the
 * EIP row is valid and the binding breaks neither rule 1 nor rule 3.  The
 * uplink is set if this chassis is a gateway. */
static void
recipe_set_eip(const struct havip_pipeline *p, const struct nbrec_eip *eip,
               const struct ovsdb_idl_row *row, struct havip_recipe *r)
{
    if (!eip || refused(p, &eip->header_)
        || refused_rule(p, row, HAVIP_RULE_SAME_REGION)
        || refused_rule(p, row, HAVIP_RULE_ONE_BINDING)) {
        return;
    }
    char *error = havip_parse_ip(eip->ip, &r->eip);
    if (error) {
        free(error);
        r->eip = 0;
        return;
    }
    r->uplink = p->local->uplink;
}

static void
recipe_add_ofport(struct havip_recipe *r, ofp_port_t ofport)
{
    r->ofports = xrealloc(r->ofports, (r->n_ofports + 1) * sizeof *r->ofports);
    r->ofports[r->n_ofports++] = ofport;
}

static void
recipe_add_remote(struct havip_recipe *r, const struct havip_remote *remote)
{
    r->remotes = xrealloc(r->remotes,
                          (r->n_remotes + 1) * sizeof *r->remotes);
    r->remotes[r->n_remotes++] = *remote;
}

static int
compare_ofports(const void *a_, const void *b_)
{
    uint16_t a = ofp_to_u16(*(const ofp_port_t *) a_);
    uint16_t b = ofp_to_u16(*(const ofp_port_t *) b_);

    return a < b ? -1 : a > b;
}

/* The fixed flows' recipe: the uplink, the tunnels and the gateway. */
void
havip_recipe_fixed(const struct havip_pipeline *p, struct havip_recipe *r)
{
    const struct simap_node *node;

    recipe_init(r, HAVIP_RECIPE_FIXED, &zero_uuid);
    r->uplink = p->local->uplink;
    r->active_gateway = p->local->active_gateway && r->uplink != OFPP_NONE;
    r->gateway_tunnel = (r->active_gateway ? OFPP_NONE
                         : p->local->gateway_tunnel);
    if (p->local->tunnels) {
        SIMAP_FOR_EACH (node, p->local->tunnels) {
            recipe_add_ofport(r, u16_to_ofp(node->data));
        }
        if (r->n_ofports) {
            qsort(r->ofports, r->n_ofports, sizeof *r->ofports,
                  compare_ofports);
        }
    }
}

/* The recipe of 'subnet': gateway, routes, flooding to its local ports.
 * Returns false if it has no flows. */
bool
havip_recipe_subnet(const struct havip_pipeline *p,
                    const struct nbrec_subnet *subnet,
                    struct havip_recipe *r)
{
    recipe_init(r, HAVIP_RECIPE_SUBNET, &subnet->header_.uuid);
    if (!recipe_set_subnet(p, subnet, r)) {
        return false;
    }
    r->uplink = p->local->uplink;
    for (size_t i = 0; i < p->rows->n_ports; i++) {
        const struct nbrec_port *port = p->rows->ports[i];
        struct havip_remote remote;
        struct eth_addr mac;
        ofp_port_t ofport;
        ovs_be32 ip;

        if (port->subnet != subnet
            || !port_locate(p, port, &mac, &ip, &ofport, &remote)) {
            continue;
        }
        if (ofport != OFPP_NONE) {
            recipe_add_ofport(r, ofport);
        } else {
            recipe_add_remote(r, &remote);
        }
    }
    return true;
}

/* The recipe of 'port', on this chassis or on another one this chassis
 * has a tunnel to.  Returns false if it has no flows here. */
bool
havip_recipe_port(const struct havip_pipeline *p,
                  const struct nbrec_port *port, struct havip_recipe *r)
{
    recipe_init(r, HAVIP_RECIPE_PORT, &port->header_.uuid);
    if (!recipe_set_subnet(p, port->subnet, r)
        || !port_locate(p, port, &r->mac, &r->ip, &r->ofport, &r->remote)) {
        return false;
    }
    recipe_set_eip(p, port->eip, &port->header_, r);
    return true;
}

/* Returns true unless 'havip' has options:learn=false. */
bool
havip_learns(const struct nbrec_havip *havip)
{
    return smap_get_bool(&havip->options, "learn", true);
}

/* Returns the holder 'p' programs for 'havip': a learned one not yet in the
 * database, or HAVIP.holder. */
const struct nbrec_port *
havip_pipeline_holder(const struct havip_pipeline *p,
                      const struct nbrec_havip *havip)
{
    const struct havip_holder_override *o;

    if (p->holder_overrides) {
        HMAP_FOR_EACH_WITH_HASH (o, node, uuid_hash(&havip->header_.uuid),
                                 p->holder_overrides) {
            if (uuid_equals(&o->havip, &havip->header_.uuid)) {
                return o->port;
            }
        }
    }
    return havip->holder;
}

/* The recipe of 'havip': who may send from its IP, its holder, its EIP.
 * Returns false if it has no flows. */
bool
havip_recipe_havip(const struct havip_pipeline *p,
                   const struct nbrec_havip *havip, struct havip_recipe *r)
{
    recipe_init(r, HAVIP_RECIPE_HAVIP, &havip->header_.uuid);
    if (!recipe_set_subnet(p, havip->subnet, r)
        || refused_rule(p, &havip->header_, HAVIP_RULE_ADDRESSES)
        || refused_rule(p, &havip->header_, HAVIP_RULE_SAME_SUBNET)) {
        return false;
    }
    char *error = havip_parse_ip(havip->ip, &r->ip);
    if (error) {
        free(error);
        return false;
    }
    r->learn = havip_learns(havip);

    /* The holder, if it is valid and here.  A learned holder (override)
     * was checked when it was learned. */
    const struct nbrec_port *holder = havip_pipeline_holder(p, havip);
    if (holder
        && !(holder == havip->holder
             && refused_rule(p, &havip->header_, HAVIP_RULE_HOLDER))) {
        ovs_be32 holder_ip;

        if (!port_locate(p, holder, &r->mac, &holder_ip, &r->ofport,
                         &r->remote)) {
            r->ofport = OFPP_NONE;
            r->remote.tunnel = OFPP_NONE;
            r->remote.key = 0;
        }
    }
    if (r->ofport == OFPP_NONE && r->remote.tunnel == OFPP_NONE) {
        r->mac = eth_addr_zero;
    }

    /* Associated ports here, which may send from the HAVIP IP. */
    for (size_t i = 0; i < havip->n_ports; i++) {
        const struct nbrec_port *port = havip->ports[i];
        struct eth_addr mac;
        ofp_port_t ofport;
        ovs_be32 ip;

        if (port->subnet == havip->subnet
            && port_addresses(p, port, &mac, &ip, &ofport)
            && ofport != OFPP_NONE) {
            recipe_add_ofport(r, ofport);
        }
    }

    recipe_set_eip(p, havip->eip, &havip->header_, r);
    return true;
}

bool
havip_recipe_equal(const struct havip_recipe *a, const struct havip_recipe *b)
{
    struct havip_recipe a1 = *a, b1 = *b;

    a1.ofports = b1.ofports = NULL;
    a1.remotes = b1.remotes = NULL;
    return (!memcmp(&a1, &b1, sizeof a1)
            && (!a->n_ofports
                || !memcmp(a->ofports, b->ofports,
                           a->n_ofports * sizeof *a->ofports))
            && (!a->n_remotes
                || !memcmp(a->remotes, b->remotes,
                           a->n_remotes * sizeof *a->remotes)));
}

/* Makes 'dst' a copy of 'src'.  'dst' must be destroyed later. */
void
havip_recipe_clone(struct havip_recipe *dst, const struct havip_recipe *src)
{
    *dst = *src;
    dst->ofports = (src->n_ofports
                    ? xmemdup(src->ofports,
                              src->n_ofports * sizeof *src->ofports)
                    : NULL);
    dst->remotes = (src->n_remotes
                    ? xmemdup(src->remotes,
                              src->n_remotes * sizeof *src->remotes)
                    : NULL);
}

void
havip_recipe_destroy(struct havip_recipe *r)
{
    if (r) {
        free(r->ofports);
        r->ofports = NULL;
        r->n_ofports = 0;
        free(r->remotes);
        r->remotes = NULL;
        r->n_remotes = 0;
    }
}

/* Emitting flows from recipes. */

static void
match_vpc(struct match *m, const struct havip_recipe *r)
{
    match_set_metadata(m, htonll(r->vpc_key));
}

static void
match_subnet(struct match *m, const struct havip_recipe *r)
{
    match_vpc(m, r);
    match_set_reg(m, REG_SUBNET, r->subnet_key);
}

/* Output of one emission. */
struct emit {
    const struct havip_recipe *r;
    struct hflow_table *flows;
    struct ofpbuf ofpacts;
    uint64_t stub[1024 / 8];
};

static void
emit_flow(struct emit *e, enum havip_table table, uint16_t priority,
          const struct match *m)
{
    hflow_table_add(e->flows, &e->r->owner, table, priority, m, &e->ofpacts);
    ofpbuf_clear(&e->ofpacts);
}

/* "'ip' is at 'mac'" within the recipe's subnet. */
static void
emit_arp_responder(struct emit *e, ovs_be32 ip, struct eth_addr mac)
{
    struct match m;

    match_init_catchall(&m);
    match_subnet(&m, e->r);
    match_arp_request(&m, ip);
    put_arp_reply(&e->ofpacts, mac, ip);
    emit_flow(e, HT_ARP_RESPONDER, 100, &m);
}

/* Puts actions that send the packet to 'remote' through its tunnel. */
static void
put_tunnel_output(struct ofpbuf *ofpacts, const struct havip_remote *remote)
{
    put_set_field(ofpacts, MFF_TUN_ID, &(ovs_be64) {
                      htonll(remote->key) });
    put_output(ofpacts, remote->tunnel);
}

/* Puts actions that deliver the packet to the recipe's port or holder,
 * here or through a tunnel. */
static void
put_deliver(struct ofpbuf *ofpacts, const struct havip_recipe *r)
{
    if (r->ofport != OFPP_NONE) {
        put_output(ofpacts, r->ofport);
    } else {
        put_tunnel_output(ofpacts, &r->remote);
    }
}

/* The public side of the recipe's EIP bound to private IP 'private_ip':
 * on a gateway chassis, ARP and DNAT on the uplink; where a port that may
 * send from 'private_ip' is, SNAT of its traffic leaving the VPC, which
 * HT_TO_UPLINK sends out of the active gateway's uplink. */
static void
emit_eip(struct emit *e, ovs_be32 private_ip, bool source_here)
{
    const struct havip_recipe *r = e->r;
    struct eth_addr eip_mac = havip_eip_mac(r->eip);
    struct match m;

    if (source_here && !eth_addr_is_zero(r->ext_gw_mac)) {
        /* SNAT: from the private IP to outside the VPC (no subnet route
         * matched), to the region's external gateway. */
        match_init_catchall(&m);
        match_vpc(&m, r);
        match_set_dl_type(&m, htons(ETH_TYPE_IP));
        match_set_nw_src(&m, private_ip);
        put_set_be32(&e->ofpacts, MFF_IPV4_SRC, r->eip);
        put_set_mac(&e->ofpacts, MFF_ETH_SRC, eip_mac);
        put_set_mac(&e->ofpacts, MFF_ETH_DST, r->ext_gw_mac);
        put_goto(&e->ofpacts, HT_TO_UPLINK);
        emit_flow(e, HT_ROUTE, 50, &m);
    }
    if (r->uplink == OFPP_NONE) {
        return;
    }

    /* ARP for the EIP, on the uplink: a MAC that never changes. */
    match_init_catchall(&m);
    match_arp_request(&m, r->eip);
    put_arp_reply(&e->ofpacts, eip_mac, r->eip);
    emit_flow(e, HT_UPLINK, 100, &m);

    /* DNAT: EIP to the private IP, into the VPC, routed once. */
    match_init_catchall(&m);
    match_set_dl_type(&m, htons(ETH_TYPE_IP));
    match_set_nw_dst(&m, r->eip);
    put_set_be32(&e->ofpacts, MFF_IPV4_DST, private_ip);
    put_set_field(&e->ofpacts, MFF_METADATA, &(ovs_be64) {
                      htonll(r->vpc_key) });
    put_set_field(&e->ofpacts, MFF_REG6,
                  &(ovs_be32) { htonl(r->subnet_key) });
    put_set_mac(&e->ofpacts, MFF_ETH_SRC, r->gateway_mac);
    put_dec_ttl(&e->ofpacts);
    put_goto(&e->ofpacts, HT_UPLINK_SRC);
    emit_flow(e, HT_UPLINK, 100, &m);
}

/* Actions that send a copy of the packet to the controller, through the
 * learning meter. */
static void
put_learn(struct ofpbuf *ofpacts)
{
    struct ofpact_controller *oc = ofpact_put_CONTROLLER(ofpacts);

    oc->max_len = 128;
    oc->controller_id = 0;
    oc->reason = OFPR_ACTION;
    oc->meter_id = HAVIP_LEARN_METER;
    ofpact_finish_CONTROLLER(ofpacts, &oc);
}


/* Fixed flows: each table's default, the entries from the uplink and the
 * tunnels, and the way out to the public network. */
static void
emit_fixed(struct emit *e)
{
    static const enum havip_table drops[] = {
        HT_CLASSIFY, HT_PORT_SEC_L2, HT_PORT_SEC_L3, HT_L2, HT_ROUTE, HT_L3,
        HT_UPLINK, HT_FROM_TUNNEL, HT_TO_UPLINK,
    };
    const struct havip_recipe *r = e->r;
    struct match m;

    /* Default: drop (each table's priority-0 flow counts its drops). */
    match_init_catchall(&m);
    for (size_t i = 0; i < ARRAY_SIZE(drops); i++) {
        emit_flow(e, drops[i], 0, &m);
    }

    /* Holder's ARP that is not its GARP: to the responder.  Same for IP
     * from a HAVIP address. */
    put_goto(&e->ofpacts, HT_ARP_RESPONDER);
    emit_flow(e, HT_HOLDER_ARP, 0, &m);

    /* A non-holder's ARP request or reply claiming a HAVIP IP: to the
     * controller (which makes the port the holder) and flooded, never
     * answered; without learning, only flooded.  An ARP with any other
     * opcode is dropped here (priority 5, which counts them): it claims
     * nothing, and sent to the controller it would only use up the
     * learning meter that every port of the chassis shares.  IP from a
     * HAVIP IP: on as usual. */
    put_goto(&e->ofpacts, HT_ARP_RESPONDER);
    emit_flow(e, HT_CLAIM, 0, &m);
    put_goto(&e->ofpacts, HT_ARP_RESPONDER);
    emit_flow(e, HT_CLAIM_NOLEARN, 0, &m);
    match_set_dl_type(&m, htons(ETH_TYPE_ARP));
    emit_flow(e, HT_CLAIM, 5, &m);
    emit_flow(e, HT_CLAIM_NOLEARN, 5, &m);
    for (uint8_t op = ARP_OP_REQUEST; op <= ARP_OP_REPLY; op++) {
        match_set_nw_proto(&m, op);
        put_goto(&e->ofpacts, HT_L2);
        emit_flow(e, HT_CLAIM_NOLEARN, 10, &m);
        put_learn(&e->ofpacts);
        put_goto(&e->ofpacts, HT_L2);
        emit_flow(e, HT_CLAIM, 10, &m);
    }

    /* From the uplink, DNATed, from a source outside the VPC: delivered
     * by IP. */
    match_init_catchall(&m);
    put_goto(&e->ofpacts, HT_L3);
    emit_flow(e, HT_UPLINK_SRC, 0, &m);

    /* Not an ARP request we answer: on to L2. */
    match_init_catchall(&m);
    put_goto(&e->ofpacts, HT_L2);
    emit_flow(e, HT_ARP_RESPONDER, 0, &m);

    /* IPv4 not to a gateway and not multicast: by destination IP. */
    match_set_dl_type(&m, htons(ETH_TYPE_IP));
    put_goto(&e->ofpacts, HT_L3);
    emit_flow(e, HT_L2, 90, &m);

    /* From the other chassis: delivered by tunnel key. */
    for (size_t i = 0; i < r->n_ofports; i++) {
        match_init_catchall(&m);
        match_set_in_port(&m, r->ofports[i]);
        put_goto(&e->ofpacts, HT_FROM_TUNNEL);
        emit_flow(e, HT_CLASSIFY, 100, &m);
    }

    /* The active gateway: the public network comes in from its uplink,
     * and SNATed traffic, its own and the other chassis's, goes out of it.
     * Elsewhere, SNATed traffic goes to the active gateway; with none, it
     * is dropped (and counted). */
    match_init_catchall(&m);
    if (r->active_gateway) {
        /* Untagged frames only: a VLAN header would hide behind dl_type
         * (see emit_port()), and the uplink is not a trunk. */
        match_set_in_port(&m, r->uplink);
        match_set_vlan_vid(&m, htons(0));
        put_goto(&e->ofpacts, HT_UPLINK);
        emit_flow(e, HT_CLASSIFY, 100, &m);

        match_init_catchall(&m);
        match_set_tun_id(&m, htonll(HAVIP_TUNNEL_KEY_UPLINK));
        put_output(&e->ofpacts, r->uplink);
        emit_flow(e, HT_FROM_TUNNEL, 100, &m);

        match_init_catchall(&m);
        put_output(&e->ofpacts, r->uplink);
        emit_flow(e, HT_TO_UPLINK, 100, &m);
    } else if (r->gateway_tunnel != OFPP_NONE) {
        struct havip_remote gw = { .tunnel = r->gateway_tunnel,
                                   .key = HAVIP_TUNNEL_KEY_UPLINK };

        put_tunnel_output(&e->ofpacts, &gw);
        emit_flow(e, HT_TO_UPLINK, 100, &m);
    }
}

/* A subnet: its gateway (ARP, routing into and out of it) and flooding to
 * its local ports. */
static void
emit_subnet(struct emit *e)
{
    const struct havip_recipe *r = e->r;
    struct match m;

    emit_arp_responder(e, r->gateway_ip, r->gateway_mac);

    /* To the gateway: routed, TTL decremented once. */
    match_init_catchall(&m);
    match_subnet(&m, r);
    match_set_dl_type(&m, htons(ETH_TYPE_IP));
    match_set_dl_dst(&m, r->gateway_mac);
    put_dec_ttl(&e->ofpacts);
    put_goto(&e->ofpacts, HT_ROUTE);
    emit_flow(e, HT_L2, 110, &m);

    /* Into this subnet from another subnet of the VPC. */
    match_init_catchall(&m);
    match_vpc(&m, r);
    match_set_dl_type(&m, htons(ETH_TYPE_IP));
    match_set_nw_dst_masked(&m, r->cidr.net, havip_cidr_mask(&r->cidr));
    put_set_mac(&e->ofpacts, MFF_ETH_SRC, r->gateway_mac);
    put_set_field(&e->ofpacts, MFF_REG6,
                  &(ovs_be32) { htonl(r->subnet_key) });
    put_goto(&e->ofpacts, HT_L3);
    emit_flow(e, HT_ROUTE, 100, &m);

    /* On a gateway chassis: a packet from the public network DNATed into
     * the VPC with a source address in this subnet is spoofed (the
     * subnet is reached from inside the VPC, never through the uplink):
     * dropped, and counted by this flow, instead of reaching the holder
     * as if a port of the VPC had sent it. */
    if (r->uplink != OFPP_NONE) {
        match_init_catchall(&m);
        match_vpc(&m, r);
        match_set_dl_type(&m, htons(ETH_TYPE_IP));
        match_set_nw_src_masked(&m, r->cidr.net, havip_cidr_mask(&r->cidr));
        emit_flow(e, HT_UPLINK_SRC, 100, &m);
    }

    /* Broadcast and multicast (ARP requests, VRRP adverts): to every
     * local port of the subnet but the one it came from, and a copy to
     * each of its ports elsewhere.  (A copy that came through a tunnel
     * has its port's key: HT_FROM_TUNNEL delivers it there only.) */
    if (r->n_ofports || r->n_remotes) {
        for (size_t i = 0; i < r->n_ofports; i++) {
            put_output(&e->ofpacts, r->ofports[i]);
        }
        for (size_t i = 0; i < r->n_remotes; i++) {
            put_tunnel_output(&e->ofpacts, &r->remotes[i]);
        }
        match_init_catchall(&m);
        match_subnet(&m, r);
        match_set_dl_dst_masked(&m, eth_addr_broadcast,
                                (struct eth_addr) ETH_ADDR_C(01, 00, 00,
                                                             00, 00, 00));
        emit_flow(e, HT_L2, 100, &m);
    }
}

/* Delivery to the recipe's port or HAVIP holder: ARP, unicast to its MAC
 * (for a port) and IPv4 to 'ip', here or through a tunnel. */
static void
emit_delivery(struct emit *e, ovs_be32 ip, bool unicast)
{
    const struct havip_recipe *r = e->r;
    struct match m;

    emit_arp_responder(e, ip, r->mac);

    /* Unicast to its MAC (non-IP, such as ARP replies). */
    if (unicast) {
        match_init_catchall(&m);
        match_subnet(&m, r);
        match_set_dl_dst(&m, r->mac);
        put_deliver(&e->ofpacts, r);
        emit_flow(e, HT_L2, 50, &m);
    }

    /* IPv4 to its IP. */
    match_init_catchall(&m);
    match_vpc(&m, r);
    match_set_dl_type(&m, htons(ETH_TYPE_IP));
    match_set_nw_dst(&m, ip);
    put_set_mac(&e->ofpacts, MFF_ETH_DST, r->mac);
    put_deliver(&e->ofpacts, r);
    emit_flow(e, HT_L3, 100, &m);
}

/* A port: here, ingress, port security and delivery (also of what comes
 * for it through a tunnel); elsewhere, delivery through the tunnel; and
 * its pinned EIP, if any. */
static void
emit_port(struct emit *e)
{
    const struct havip_recipe *r = e->r;
    struct match m;

    if (r->ofport == OFPP_NONE) {
        emit_delivery(e, r->ip, true);
        if (r->eip) {
            emit_eip(e, r->ip, false);
        }
        return;
    }

    /* Ingress: which VPC and subnet. */
    match_init_catchall(&m);
    match_set_in_port(&m, r->ofport);
    put_set_field(&e->ofpacts, MFF_METADATA, &(ovs_be64) {
                      htonll(r->vpc_key) });
    put_set_field(&e->ofpacts, MFF_REG6,
                  &(ovs_be32) { htonl(r->subnet_key) });
    put_goto(&e->ofpacts, HT_PORT_SEC_L2);
    emit_flow(e, HT_CLASSIFY, 100, &m);

    /* Port security, L2: own MAC, no VLAN header; IPv4 and ARP only.  (The
     * switch matches dl_type on the ethertype inside a VLAN header, so
     * without vlan_vid a tagged frame would pass as IPv4 or ARP.) */
    match_set_vlan_vid(&m, htons(0));
    match_set_dl_src(&m, r->mac);
    match_set_dl_type(&m, htons(ETH_TYPE_IP));
    put_move(&e->ofpacts, MFF_IPV4_SRC, MFF_REG4);
    put_goto(&e->ofpacts, HT_PORT_SEC_L3);
    emit_flow(e, HT_PORT_SEC_L2, 100, &m);

    match_set_dl_type(&m, htons(ETH_TYPE_ARP));
    match_set_arp_sha(&m, r->mac);
    put_move(&e->ofpacts, MFF_ARP_SPA, MFF_REG4);
    put_goto(&e->ofpacts, HT_PORT_SEC_L3);
    emit_flow(e, HT_PORT_SEC_L2, 100, &m);

    /* Port security, L3: own IP. */
    match_init_catchall(&m);
    match_set_in_port(&m, r->ofport);
    match_set_reg(&m, REG_SRC_IP, ntohl(r->ip));
    put_goto(&e->ofpacts, HT_ARP_RESPONDER);
    emit_flow(e, HT_PORT_SEC_L3, 100, &m);

    /* What another chassis tunnels to it, with its key. */
    match_init_catchall(&m);
    match_set_tun_id(&m, htonll(ofp_to_u16(r->ofport)));
    put_output(&e->ofpacts, r->ofport);
    emit_flow(e, HT_FROM_TUNNEL, 100, &m);

    emit_delivery(e, r->ip, true);
    if (r->eip) {
        emit_eip(e, r->ip, true);
    }
}

/* A HAVIP: who may send from its IP, its holder (ARP, delivery), and its
 * EIP.  Only the flows that name the holder change on failover. */
static void
emit_havip(struct emit *e)
{
    const struct havip_recipe *r = e->r;
    bool has_holder = (r->ofport != OFPP_NONE
                       || r->remote.tunnel != OFPP_NONE);
    struct match m;

    /* Associated ports may send from the HAVIP IP: the holder's ARPs go
     * to HT_HOLDER_ARP, anyone else's are a claim. */
    for (size_t i = 0; i < r->n_ofports; i++) {
        match_init_catchall(&m);
        match_set_in_port(&m, r->ofports[i]);
        match_set_reg(&m, REG_SRC_IP, ntohl(r->ip));
        put_goto(&e->ofpacts, (r->ofports[i] == r->ofport
                               ? HT_HOLDER_ARP
                               : r->learn ? HT_CLAIM : HT_CLAIM_NOLEARN));
        emit_flow(e, HT_PORT_SEC_L3, 100, &m);
    }

    /* The holder's gratuitous ARP is flooded, never answered. */
    match_init_catchall(&m);
    match_set_dl_type(&m, htons(ETH_TYPE_ARP));
    match_set_nw_dst(&m, r->ip);
    match_set_reg(&m, REG_SRC_IP, ntohl(r->ip));
    put_goto(&e->ofpacts, HT_L2);
    emit_flow(e, HT_HOLDER_ARP, 100, &m);

    /* Delivery by IP to the holder, here or elsewhere (whatever
     * destination MAC the sender used), or a counted drop when there is
     * none. */
    if (has_holder) {
        emit_delivery(e, r->ip, false);
    } else {
        match_init_catchall(&m);
        match_vpc(&m, r);
        match_set_dl_type(&m, htons(ETH_TYPE_IP));
        match_set_nw_dst(&m, r->ip);
        emit_flow(e, HT_L3, 100, &m);
    }

    if (r->eip) {
        emit_eip(e, r->ip, r->n_ofports > 0);
    }
}

/* Adds the flows of 'r' to 'flows', owned by r->owner. */
void
havip_recipe_emit(const struct havip_recipe *r, struct hflow_table *flows)
{
    struct emit e = { .r = r, .flows = flows };

    ofpbuf_use_stub(&e.ofpacts, e.stub, sizeof e.stub);
    switch (r->type) {
    case HAVIP_RECIPE_FIXED:
        emit_fixed(&e);
        break;
    case HAVIP_RECIPE_SUBNET:
        emit_subnet(&e);
        break;
    case HAVIP_RECIPE_PORT:
        emit_port(&e);
        break;
    case HAVIP_RECIPE_HAVIP:
        emit_havip(&e);
        break;
    default:
        OVS_NOT_REACHED();
    }
    ofpbuf_uninit(&e.ofpacts);
}

/* Row-based entry points: recipe, then flows into p->flows. */

void
havip_pipeline_fixed(const struct havip_pipeline *p)
{
    struct havip_recipe r;

    havip_recipe_fixed(p, &r);
    havip_recipe_emit(&r, p->flows);
    havip_recipe_destroy(&r);
}

void
havip_pipeline_subnet(const struct havip_pipeline *p,
                      const struct nbrec_subnet *subnet)
{
    struct havip_recipe r;

    if (havip_recipe_subnet(p, subnet, &r)) {
        havip_recipe_emit(&r, p->flows);
    }
    havip_recipe_destroy(&r);
}

void
havip_pipeline_port(const struct havip_pipeline *p,
                    const struct nbrec_port *port)
{
    struct havip_recipe r;

    if (havip_recipe_port(p, port, &r)) {
        havip_recipe_emit(&r, p->flows);
    }
    havip_recipe_destroy(&r);
}

void
havip_pipeline_havip(const struct havip_pipeline *p,
                     const struct nbrec_havip *havip)
{
    struct havip_recipe r;

    if (havip_recipe_havip(p, havip, &r)) {
        havip_recipe_emit(&r, p->flows);
    }
    havip_recipe_destroy(&r);
}

/* Fills 'vpcs' with the VPCs that have a port on this chassis.  Returns
 * false if this chassis needs flows for every VPC instead (a gateway
 * chassis: any VPC may have an EIP), in which case 'vpcs' is left empty:
 * pass NULL as havip_pipeline's 'vpcs'. */
bool
havip_pipeline_vpcs(const struct havip_nb_rows *rows,
                    const struct havip_local *local, struct uuidset *vpcs)
{
    if (local->uplink != OFPP_NONE) {
        return false;
    }
    for (size_t i = 0; i < rows->n_ports; i++) {
        const struct nbrec_port *port = rows->ports[i];

        if (port->subnet && port->subnet->vpc
            && simap_contains(local->ofports, port->name)) {
            uuidset_insert(vpcs, &port->subnet->vpc->header_.uuid);
        }
    }
    return true;
}

/* Adds to 'chassis' the name of each other chassis that has a port in a
 * VPC this chassis computes flows for: those it needs a tunnel to. */
void
havip_pipeline_chassis_needed(const struct havip_pipeline *p,
                              struct sset *chassis)
{
    for (size_t i = 0; i < p->rows->n_ports; i++) {
        const struct nbrec_port *port = p->rows->ports[i];

        if (port->chassis && port->chassis[0]
            && port->subnet && port->subnet->vpc
            && vpc_is_here(p, port->subnet->vpc)
            && (!p->local->chassis
                || strcmp(port->chassis, p->local->chassis))
            && !simap_contains(p->local->ofports, port->name)) {
            sset_add(chassis, port->chassis);
        }
    }
}

/* Computes every flow of 'p->rows' into 'p->flows'. */
void
havip_pipeline_compute_all(const struct havip_pipeline *p)
{
    const struct havip_nb_rows *rows = p->rows;

    havip_pipeline_fixed(p);
    for (size_t i = 0; i < rows->n_subnets; i++) {
        havip_pipeline_subnet(p, rows->subnets[i]);
    }
    for (size_t i = 0; i < rows->n_ports; i++) {
        havip_pipeline_port(p, rows->ports[i]);
    }
    for (size_t i = 0; i < rows->n_havips; i++) {
        havip_pipeline_havip(p, rows->havips[i]);
    }
}
