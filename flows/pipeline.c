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
#include "uuid.h"

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

/* What a subnet contributes to its hosts' flows. */
struct subnet_view {
    uint64_t vpc_key;
    uint32_t key;
    struct havip_cidr cidr;
    ovs_be32 gateway_ip;
    struct eth_addr gateway_mac;
    const struct nbrec_region *region;
};

/* A port's parsed addresses and where it is. */
struct port_view {
    struct eth_addr mac;
    ovs_be32 ip;
    ofp_port_t ofport;          /* OFPP_NONE if not on this chassis. */
};

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

/* Fills 'sv' from 'subnet'.  Returns false if the subnet is refused (its
 * violation says why) or not fully linked to a VPC and region. */
static bool
subnet_view_init(const struct havip_pipeline *p,
                 const struct nbrec_subnet *subnet, struct subnet_view *sv)
{
    char *error;

    if (!subnet || !subnet->vpc || !subnet->vpc->region
        || refused(p, &subnet->header_)) {
        return false;
    }
    error = havip_parse_cidr(subnet->cidr, &sv->cidr);
    if (!error) {
        error = havip_parse_ip(subnet->gateway_ip, &sv->gateway_ip);
    }
    if (!error) {
        error = havip_parse_mac(subnet->gateway_mac, &sv->gateway_mac);
    }
    if (error) {
        /* havip_rules_check() would have refused it. */
        free(error);
        return false;
    }
    sv->vpc_key = havip_vpc_key(&subnet->vpc->header_.uuid);
    sv->key = havip_subnet_key(&subnet->header_.uuid);
    sv->region = subnet->vpc->region;
    return true;
}

static ofp_port_t
local_ofport(const struct havip_pipeline *p, const char *name)
{
    const struct simap_node *node = simap_find(p->local->ofports, name);

    return node ? u16_to_ofp(node->data) : OFPP_NONE;
}

/* Fills 'pv' from 'port'.  Returns false if the port is refused for its
 * addresses. */
static bool
port_view_init(const struct havip_pipeline *p, const struct nbrec_port *port,
               struct port_view *pv)
{
    char *error;

    if (refused_rule(p, &port->header_, HAVIP_RULE_ADDRESSES)) {
        return false;
    }
    error = havip_parse_mac(port->mac, &pv->mac);
    if (!error) {
        error = havip_parse_ip(port->ip, &pv->ip);
    }
    if (error) {
        free(error);
        return false;
    }
    pv->ofport = local_ofport(p, port->name);
    return true;
}

/* Returns the parsed IP of 'eip' if it can be bound for the object 'row':
 * the EIP row is valid, the binding breaks neither rule 1 nor rule 3, and
 * this chassis has an uplink.  Otherwise returns 0. */
static ovs_be32
eip_usable(const struct havip_pipeline *p, const struct nbrec_eip *eip,
           const struct ovsdb_idl_row *row)
{
    ovs_be32 ip;

    if (!eip || p->local->uplink == OFPP_NONE
        || refused(p, &eip->header_)
        || refused_rule(p, row, HAVIP_RULE_SAME_REGION)
        || refused_rule(p, row, HAVIP_RULE_ONE_BINDING)) {
        return 0;
    }
    char *error = havip_parse_ip(eip->ip, &ip);
    if (error) {
        free(error);
        return 0;
    }
    return ip;
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
match_vpc(struct match *m, const struct subnet_view *sv)
{
    match_set_metadata(m, htonll(sv->vpc_key));
}

static void
match_subnet(struct match *m, const struct subnet_view *sv)
{
    match_vpc(m, sv);
    match_set_reg(m, REG_SUBNET, sv->key);
}

static void
match_arp_request(struct match *m, ovs_be32 tpa)
{
    match_set_dl_type(m, htons(ETH_TYPE_ARP));
    match_set_nw_proto(m, ARP_OP_REQUEST);
    match_set_nw_dst(m, tpa);
}

static void
add_flow(const struct havip_pipeline *p, const struct uuid *owner,
         enum havip_table table, uint16_t priority, const struct match *m,
         const struct ofpbuf *ofpacts)
{
    hflow_table_add(p->flows, owner, table, priority, m, ofpacts);
}

/* Adds, for 'owner', the ARP responder flow "'ip' is at 'mac'" within the
 * subnet 'sv'. */
static void
add_arp_responder(const struct havip_pipeline *p, const struct uuid *owner,
                  const struct subnet_view *sv, ovs_be32 ip,
                  struct eth_addr mac)
{
    uint64_t stub[1024 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
    struct match m;

    match_init_catchall(&m);
    match_subnet(&m, sv);
    match_arp_request(&m, ip);
    put_arp_reply(&ofpacts, mac, ip);
    add_flow(p, owner, HT_ARP_RESPONDER, 100, &m, &ofpacts);
    ofpbuf_uninit(&ofpacts);
}

/* Adds, for 'owner', the public side of EIP 'eip' bound to private IP
 * 'private_ip' in subnet 'sv': ARP and DNAT on the uplink, and SNAT of
 * traffic from 'private_ip' leaving the VPC. */
static void
add_eip_flows(const struct havip_pipeline *p, const struct uuid *owner,
              const struct subnet_view *sv, ovs_be32 eip,
              ovs_be32 private_ip)
{
    uint64_t stub[1024 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
    struct eth_addr eip_mac = havip_eip_mac(eip);
    struct match m;

    /* ARP for the EIP, on the uplink: a MAC that never changes. */
    match_init_catchall(&m);
    match_arp_request(&m, eip);
    put_arp_reply(&ofpacts, eip_mac, eip);
    add_flow(p, owner, HT_UPLINK, 100, &m, &ofpacts);

    /* DNAT: EIP to the private IP, into the VPC, routed once. */
    ofpbuf_clear(&ofpacts);
    match_init_catchall(&m);
    match_set_dl_type(&m, htons(ETH_TYPE_IP));
    match_set_nw_dst(&m, eip);
    put_set_be32(&ofpacts, MFF_IPV4_DST, private_ip);
    put_set_field(&ofpacts, MFF_METADATA, &(ovs_be64) {
                      htonll(sv->vpc_key) });
    put_set_field(&ofpacts, MFF_REG6, &(ovs_be32) { htonl(sv->key) });
    put_set_mac(&ofpacts, MFF_ETH_SRC, sv->gateway_mac);
    put_dec_ttl(&ofpacts);
    put_goto(&ofpacts, HT_L3);
    add_flow(p, owner, HT_UPLINK, 100, &m, &ofpacts);

    /* SNAT: from the private IP to outside the VPC (no subnet route
     * matched), out of the uplink to the region's external gateway. */
    struct eth_addr gw_mac;
    const char *gw_mac_s = sv->region->external_gateway_mac;
    char *error = havip_parse_mac(gw_mac_s, &gw_mac);
    if (error) {
        /* Empty (no public next hop) or refused by rule 5. */
        free(error);
    } else {
        ofpbuf_clear(&ofpacts);
        match_init_catchall(&m);
        match_vpc(&m, sv);
        match_set_dl_type(&m, htons(ETH_TYPE_IP));
        match_set_nw_src(&m, private_ip);
        put_set_be32(&ofpacts, MFF_IPV4_SRC, eip);
        put_set_mac(&ofpacts, MFF_ETH_SRC, eip_mac);
        put_set_mac(&ofpacts, MFF_ETH_DST, gw_mac);
        put_output(&ofpacts, p->local->uplink);
        add_flow(p, owner, HT_ROUTE, 50, &m, &ofpacts);
    }
    ofpbuf_uninit(&ofpacts);
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

/* Fixed flows: each table's default, and the uplink's entry. */
void
havip_pipeline_fixed(const struct havip_pipeline *p)
{
    static const enum havip_table drops[] = {
        HT_CLASSIFY, HT_PORT_SEC_L2, HT_PORT_SEC_L3, HT_L2, HT_ROUTE, HT_L3,
        HT_UPLINK,
    };
    uint64_t stub[64 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
    struct match m;

    /* Default: drop (each table's priority-0 flow counts its drops). */
    match_init_catchall(&m);
    for (size_t i = 0; i < ARRAY_SIZE(drops); i++) {
        add_flow(p, &zero_uuid, drops[i], 0, &m, &ofpacts);
    }

    /* Holder's ARP that is not its GARP: to the responder.  Same for IP
     * from a HAVIP address. */
    put_goto(&ofpacts, HT_ARP_RESPONDER);
    add_flow(p, &zero_uuid, HT_HOLDER_ARP, 0, &m, &ofpacts);

    /* A non-holder's ARP claiming a HAVIP IP: to the controller (which
     * makes the port the holder) and flooded, never answered; without
     * learning, only flooded.  IP from a HAVIP IP: on as usual. */
    add_flow(p, &zero_uuid, HT_CLAIM, 0, &m, &ofpacts);
    add_flow(p, &zero_uuid, HT_CLAIM_NOLEARN, 0, &m, &ofpacts);
    ofpbuf_clear(&ofpacts);
    match_set_dl_type(&m, htons(ETH_TYPE_ARP));
    put_goto(&ofpacts, HT_L2);
    add_flow(p, &zero_uuid, HT_CLAIM_NOLEARN, 10, &m, &ofpacts);
    ofpbuf_clear(&ofpacts);
    put_learn(&ofpacts);
    put_goto(&ofpacts, HT_L2);
    add_flow(p, &zero_uuid, HT_CLAIM, 10, &m, &ofpacts);

    /* Not an ARP request we answer: on to L2. */
    ofpbuf_clear(&ofpacts);
    put_goto(&ofpacts, HT_L2);
    match_init_catchall(&m);
    add_flow(p, &zero_uuid, HT_ARP_RESPONDER, 0, &m, &ofpacts);

    /* IPv4 not to a gateway and not multicast: by destination IP. */
    ofpbuf_clear(&ofpacts);
    match_set_dl_type(&m, htons(ETH_TYPE_IP));
    put_goto(&ofpacts, HT_L3);
    add_flow(p, &zero_uuid, HT_L2, 90, &m, &ofpacts);

    if (p->local->uplink != OFPP_NONE) {
        ofpbuf_clear(&ofpacts);
        match_init_catchall(&m);
        match_set_in_port(&m, p->local->uplink);
        put_goto(&ofpacts, HT_UPLINK);
        add_flow(p, &zero_uuid, HT_CLASSIFY, 100, &m, &ofpacts);
    }
    ofpbuf_uninit(&ofpacts);
}

/* Flows of 'subnet': its gateway (ARP, routing into and out of it) and
 * flooding to its local ports. */
void
havip_pipeline_subnet(const struct havip_pipeline *p,
                      const struct nbrec_subnet *subnet)
{
    const struct uuid *owner = &subnet->header_.uuid;
    uint64_t stub[1024 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
    struct subnet_view sv;
    struct match m;

    if (!subnet_view_init(p, subnet, &sv)) {
        return;
    }

    add_arp_responder(p, owner, &sv, sv.gateway_ip, sv.gateway_mac);

    /* To the gateway: routed, TTL decremented once. */
    match_init_catchall(&m);
    match_subnet(&m, &sv);
    match_set_dl_type(&m, htons(ETH_TYPE_IP));
    match_set_dl_dst(&m, sv.gateway_mac);
    put_dec_ttl(&ofpacts);
    put_goto(&ofpacts, HT_ROUTE);
    add_flow(p, owner, HT_L2, 110, &m, &ofpacts);

    /* Into this subnet from another subnet of the VPC. */
    ofpbuf_clear(&ofpacts);
    match_init_catchall(&m);
    match_vpc(&m, &sv);
    match_set_dl_type(&m, htons(ETH_TYPE_IP));
    match_set_nw_dst_masked(&m, sv.cidr.net, havip_cidr_mask(&sv.cidr));
    put_set_mac(&ofpacts, MFF_ETH_SRC, sv.gateway_mac);
    put_set_field(&ofpacts, MFF_REG6, &(ovs_be32) { htonl(sv.key) });
    put_goto(&ofpacts, HT_L3);
    add_flow(p, owner, HT_ROUTE, 100, &m, &ofpacts);

    /* Broadcast and multicast (ARP requests, VRRP adverts): to every
     * local port of the subnet but the one it came from. */
    ofpbuf_clear(&ofpacts);
    for (size_t i = 0; i < p->rows->n_ports; i++) {
        const struct nbrec_port *port = p->rows->ports[i];
        struct port_view pv;

        if (port->subnet == subnet && port_view_init(p, port, &pv)
            && pv.ofport != OFPP_NONE) {
            put_output(&ofpacts, pv.ofport);
        }
    }
    if (ofpacts.size) {
        match_init_catchall(&m);
        match_subnet(&m, &sv);
        match_set_dl_dst_masked(&m, eth_addr_broadcast,
                                (struct eth_addr) ETH_ADDR_C(01, 00, 00,
                                                             00, 00, 00));
        add_flow(p, owner, HT_L2, 100, &m, &ofpacts);
    }
    ofpbuf_uninit(&ofpacts);
}

/* Flows of 'port' when it is on this chassis: ingress, port security,
 * ARP, delivery; and its pinned EIP, if any. */
void
havip_pipeline_port(const struct havip_pipeline *p,
                    const struct nbrec_port *port)
{
    const struct uuid *owner = &port->header_.uuid;
    uint64_t stub[1024 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
    struct subnet_view sv;
    struct port_view pv;
    struct match m;

    if (!subnet_view_init(p, port->subnet, &sv)
        || !port_view_init(p, port, &pv) || pv.ofport == OFPP_NONE) {
        return;
    }

    /* Ingress: which VPC and subnet. */
    match_init_catchall(&m);
    match_set_in_port(&m, pv.ofport);
    put_set_field(&ofpacts, MFF_METADATA, &(ovs_be64) {
                      htonll(sv.vpc_key) });
    put_set_field(&ofpacts, MFF_REG6, &(ovs_be32) { htonl(sv.key) });
    put_goto(&ofpacts, HT_PORT_SEC_L2);
    add_flow(p, owner, HT_CLASSIFY, 100, &m, &ofpacts);

    /* Port security, L2: own MAC; IPv4 and ARP only. */
    ofpbuf_clear(&ofpacts);
    match_init_catchall(&m);
    match_set_in_port(&m, pv.ofport);
    match_set_dl_src(&m, pv.mac);
    match_set_dl_type(&m, htons(ETH_TYPE_IP));
    put_move(&ofpacts, MFF_IPV4_SRC, MFF_REG4);
    put_goto(&ofpacts, HT_PORT_SEC_L3);
    add_flow(p, owner, HT_PORT_SEC_L2, 100, &m, &ofpacts);

    ofpbuf_clear(&ofpacts);
    match_set_dl_type(&m, htons(ETH_TYPE_ARP));
    match_set_arp_sha(&m, pv.mac);
    put_move(&ofpacts, MFF_ARP_SPA, MFF_REG4);
    put_goto(&ofpacts, HT_PORT_SEC_L3);
    add_flow(p, owner, HT_PORT_SEC_L2, 100, &m, &ofpacts);

    /* Port security, L3: own IP. */
    ofpbuf_clear(&ofpacts);
    match_init_catchall(&m);
    match_set_in_port(&m, pv.ofport);
    match_set_reg(&m, REG_SRC_IP, ntohl(pv.ip));
    put_goto(&ofpacts, HT_ARP_RESPONDER);
    add_flow(p, owner, HT_PORT_SEC_L3, 100, &m, &ofpacts);

    add_arp_responder(p, owner, &sv, pv.ip, pv.mac);

    /* Unicast to its MAC (non-IP, such as ARP replies). */
    ofpbuf_clear(&ofpacts);
    match_init_catchall(&m);
    match_subnet(&m, &sv);
    match_set_dl_dst(&m, pv.mac);
    put_output(&ofpacts, pv.ofport);
    add_flow(p, owner, HT_L2, 50, &m, &ofpacts);

    /* IPv4 to its IP. */
    ofpbuf_clear(&ofpacts);
    match_init_catchall(&m);
    match_vpc(&m, &sv);
    match_set_dl_type(&m, htons(ETH_TYPE_IP));
    match_set_nw_dst(&m, pv.ip);
    put_set_mac(&ofpacts, MFF_ETH_DST, pv.mac);
    put_output(&ofpacts, pv.ofport);
    add_flow(p, owner, HT_L3, 100, &m, &ofpacts);

    ovs_be32 eip = eip_usable(p, port->eip, &port->header_);
    if (eip) {
        add_eip_flows(p, owner, &sv, eip, pv.ip);
    }
    ofpbuf_uninit(&ofpacts);
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

/* Flows of 'havip': who may send from its IP, its holder (ARP, delivery),
 * and its EIP.  Only the flows that name the holder change on failover. */
void
havip_pipeline_havip(const struct havip_pipeline *p,
                     const struct nbrec_havip *havip)
{
    const struct uuid *owner = &havip->header_.uuid;
    uint64_t stub[1024 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
    struct subnet_view sv;
    struct match m;
    ovs_be32 ip;

    if (!subnet_view_init(p, havip->subnet, &sv)
        || refused_rule(p, &havip->header_, HAVIP_RULE_ADDRESSES)
        || refused_rule(p, &havip->header_, HAVIP_RULE_SAME_SUBNET)) {
        return;
    }
    char *error = havip_parse_ip(havip->ip, &ip);
    if (error) {
        free(error);
        return;
    }

    /* The holder, if it is valid and here. */
    const struct nbrec_port *holder = havip_pipeline_holder(p, havip);
    struct port_view holder_pv;
    if (holder
        && ((holder == havip->holder
             && refused_rule(p, &havip->header_, HAVIP_RULE_HOLDER))
            || !port_view_init(p, holder, &holder_pv)
            || holder_pv.ofport == OFPP_NONE)) {
        holder = NULL;
    }

    /* Associated ports may send from the HAVIP IP: the holder's ARPs go
     * to HT_HOLDER_ARP, anyone else's are a claim. */
    for (size_t i = 0; i < havip->n_ports; i++) {
        const struct nbrec_port *port = havip->ports[i];
        struct port_view pv;

        if (!port_view_init(p, port, &pv) || pv.ofport == OFPP_NONE
            || port->subnet != havip->subnet) {
            continue;
        }
        ofpbuf_clear(&ofpacts);
        match_init_catchall(&m);
        match_set_in_port(&m, pv.ofport);
        match_set_reg(&m, REG_SRC_IP, ntohl(ip));
        put_goto(&ofpacts, (port == holder ? HT_HOLDER_ARP
                            : havip_learns(havip) ? HT_CLAIM
                            : HT_CLAIM_NOLEARN));
        add_flow(p, owner, HT_PORT_SEC_L3, 100, &m, &ofpacts);
    }

    /* The holder's gratuitous ARP is flooded, never answered. */
    ofpbuf_clear(&ofpacts);
    match_init_catchall(&m);
    match_set_dl_type(&m, htons(ETH_TYPE_ARP));
    match_set_nw_dst(&m, ip);
    match_set_reg(&m, REG_SRC_IP, ntohl(ip));
    put_goto(&ofpacts, HT_L2);
    add_flow(p, owner, HT_HOLDER_ARP, 100, &m, &ofpacts);

    /* Delivery by IP to the holder (whatever destination MAC the sender
     * used), or a counted drop when there is none. */
    ofpbuf_clear(&ofpacts);
    match_init_catchall(&m);
    match_vpc(&m, &sv);
    match_set_dl_type(&m, htons(ETH_TYPE_IP));
    match_set_nw_dst(&m, ip);
    if (holder) {
        put_set_mac(&ofpacts, MFF_ETH_DST, holder_pv.mac);
        put_output(&ofpacts, holder_pv.ofport);
        add_arp_responder(p, owner, &sv, ip, holder_pv.mac);
    }
    add_flow(p, owner, HT_L3, 100, &m, &ofpacts);

    ovs_be32 eip = eip_usable(p, havip->eip, &havip->header_);
    if (eip) {
        add_eip_flows(p, owner, &sv, eip, ip);
    }
    ofpbuf_uninit(&ofpacts);
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
