/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

#ifndef HAVIP_PIPELINE_H
#define HAVIP_PIPELINE_H 1

/* The OpenFlow pipeline: HAVIP_Northbound rows and local facts in, flows
 * out (into a struct hflow_table).  Pure: no I/O, no global state.
 *
 * Each generator produces the flows of one row, owned by that row, so the
 * controller can recompute one row after a change: a holder change
 * recomputes only that HAVIP's flows, whatever the number of bindings.
 * docs/flow-tables.md describes every table. */

#include <stdbool.h>
#include <stdint.h>
#include "havip-addr.h"
#include "openvswitch/hmap.h"
#include "openvswitch/types.h"
#include "packets.h"
#include "openvswitch/types.h"
#include "openvswitch/uuid.h"

struct havip_nb_rows;
struct havip_verdicts;
struct hflow_table;
struct nbrec_havip;
struct nbrec_port;
struct nbrec_subnet;
struct simap;
struct sset;
struct uuid;
struct uuidset;

/* OpenFlow tables. */
enum havip_table {
    HT_CLASSIFY = 0,        /* in_port: VM port (VPC, subnet), uplink or
                             * tunnel. */
    HT_FROM_TUNNEL = 1,     /* tun_id: a local port, or the uplink. */
    HT_UPLINK = 5,          /* From the public network: EIP ARP, DNAT. */
    HT_UPLINK_SRC = 6,      /* After DNAT: a source inside the VPC is
                             * spoofed. */
    HT_PORT_SEC_L2 = 10,    /* Source MAC; source IP or SPA into reg4. */
    HT_PORT_SEC_L3 = 11,    /* Source IP: the port's own or a HAVIP's. */
    HT_HOLDER_ARP = 12,     /* The holder's ARP for its HAVIP: no reply. */
    HT_CLAIM = 13,          /* A non-holder's ARP for a HAVIP: learn. */
    HT_CLAIM_NOLEARN = 14,  /* Same, for a HAVIP with options:learn=false. */
    HT_ARP_RESPONDER = 20,  /* ARP for ports, gateways and HAVIPs. */
    HT_L2 = 30,             /* Gateway MAC, multicast, unicast MAC. */
    HT_ROUTE = 31,          /* Between subnets; SNAT to an EIP. */
    HT_L3 = 35,             /* Delivery by IP; HAVIP to its holder. */
    HT_TO_UPLINK = 40,      /* SNATed traffic: out of the uplink, or to the
                             * active gateway chassis. */
};

/* Tunnel keys (tun_id: the Geneve or VXLAN VNI).  A packet is tunnelled to
 * the chassis where its destination is, with the key of that port there
 * (Port.tunnel_key, the port's OpenFlow port number on its chassis), or
 * HAVIP_TUNNEL_KEY_UPLINK for traffic already SNATed to an EIP, which the
 * active gateway sends out of its uplink. */
#define HAVIP_TUNNEL_KEY_UPLINK 0xffffff

/* Local facts of this chassis. */
struct havip_local {
    const struct simap *ofports; /* Port name (iface-id) to OpenFlow port. */
    ofp_port_t uplink;           /* OFPP_NONE if this chassis has none. */
    const char *chassis;         /* This chassis's name, or NULL. */
    const struct simap *tunnels; /* Other chassis's name to the OpenFlow
                                  * port of the tunnel to it (NULL: none). */
    bool active_gateway;         /* Has the uplink that serves the EIPs. */
    ofp_port_t gateway_tunnel;   /* Tunnel to the active gateway when it is
                                  * another chassis, else OFPP_NONE. */
};

/* The meter that caps packet-ins (holder learning) per chassis. */
#define HAVIP_LEARN_METER 1

/* A holder this chassis learned and has not yet seen in the database: its
 * flows use 'port' instead of HAVIP.holder. */
struct havip_holder_override {
    struct hmap_node node;      /* In 'holder_overrides', by uuid_hash(). */
    struct uuid havip;          /* HAVIP row. */
    const struct nbrec_port *port;
};

/* Everything one computation reads and writes. */
struct havip_pipeline {
    const struct havip_local *local;
    const struct havip_nb_rows *rows;      /* All rows (for subnets). */
    const struct havip_verdicts *verdicts; /* Rule violations. */
    const struct hmap *holder_overrides;   /* May be NULL. */
    const struct uuidset *vpcs;            /* VPCs with flows here (see
                                            * havip_pipeline_vpcs()), or
                                            * NULL for all. */
    struct hflow_table *flows;             /* Output. */
};

/* A port on another chassis, as seen from here. */
struct havip_remote {
    ofp_port_t tunnel;          /* Tunnel to its chassis. */
    uint32_t key;               /* Its Port.tunnel_key there. */
};

/* What one row's flows depend on, parsed and checked.  Flows are a pure
 * function of a recipe (havip_recipe_emit()): two equal recipes give equal
 * flows, so a controller may keep recipes instead of flows and compare
 * them to find what changed. */
enum havip_recipe_type {
    HAVIP_RECIPE_FIXED,         /* The pipeline's fixed flows. */
    HAVIP_RECIPE_SUBNET,
    HAVIP_RECIPE_PORT,
    HAVIP_RECIPE_HAVIP,
};

struct havip_recipe {
    struct uuid owner;          /* Row (zero for the fixed flows). */
    enum havip_recipe_type type;
    bool learn;                 /* HAVIP: options:learn. */
    bool active_gateway;        /* FIXED: this chassis serves the EIPs. */
    ofp_port_t ofport;          /* PORT: its port; HAVIP: the holder's, or
                                 * OFPP_NONE (elsewhere or none). */
    struct havip_remote remote; /* PORT elsewhere, or a HAVIP's holder
                                 * elsewhere: how to reach it; tunnel
                                 * OFPP_NONE otherwise. */
    ofp_port_t uplink;          /* FIXED, SUBNET, and with an EIP: this
                                 * gateway chassis's uplink, or
                                 * OFPP_NONE. */
    ofp_port_t gateway_tunnel;  /* FIXED: see struct havip_local. */
    uint32_t subnet_key;
    uint64_t vpc_key;
    struct havip_cidr cidr;     /* The subnet's. */
    ovs_be32 gateway_ip;
    ovs_be32 ip;                /* PORT or HAVIP. */
    ovs_be32 eip;               /* Bound EIP, or 0. */
    struct eth_addr gateway_mac;
    struct eth_addr mac;        /* PORT: its MAC; HAVIP: the holder's. */
    struct eth_addr ext_gw_mac; /* Region's, or all-zeros. */
    size_t n_ofports;
    ofp_port_t *ofports;        /* SUBNET: its local ports; HAVIP: its
                                 * associated local ports; FIXED: the
                                 * tunnels. */
    size_t n_remotes;
    struct havip_remote *remotes; /* SUBNET: its ports elsewhere. */
};

void havip_recipe_fixed(const struct havip_pipeline *, struct havip_recipe *);
bool havip_recipe_subnet(const struct havip_pipeline *,
                         const struct nbrec_subnet *, struct havip_recipe *);
bool havip_recipe_port(const struct havip_pipeline *,
                       const struct nbrec_port *, struct havip_recipe *);
bool havip_recipe_havip(const struct havip_pipeline *,
                        const struct nbrec_havip *, struct havip_recipe *);
void havip_recipe_emit(const struct havip_recipe *, struct hflow_table *);
bool havip_recipe_equal(const struct havip_recipe *,
                        const struct havip_recipe *);
void havip_recipe_clone(struct havip_recipe *, const struct havip_recipe *);
void havip_recipe_destroy(struct havip_recipe *);

void havip_pipeline_fixed(const struct havip_pipeline *);
void havip_pipeline_subnet(const struct havip_pipeline *,
                           const struct nbrec_subnet *);
void havip_pipeline_port(const struct havip_pipeline *,
                         const struct nbrec_port *);
void havip_pipeline_havip(const struct havip_pipeline *,
                          const struct nbrec_havip *);
void havip_pipeline_compute_all(const struct havip_pipeline *);
bool havip_pipeline_vpcs(const struct havip_nb_rows *,
                         const struct havip_local *, struct uuidset *);
void havip_pipeline_chassis_needed(const struct havip_pipeline *,
                                   struct sset *);
const struct nbrec_port *havip_pipeline_holder(const struct havip_pipeline *,
                                               const struct nbrec_havip *);
bool havip_learns(const struct nbrec_havip *);

/* Keys the pipeline puts in metadata (VPC) and reg6 (subnet). */
uint64_t havip_vpc_key(const struct uuid *vpc);
uint32_t havip_subnet_key(const struct uuid *subnet);

/* The MAC that answers ARP for an EIP on the uplink: 02:e1 followed by the
 * EIP's four bytes, so it never changes on failover. */
struct eth_addr havip_eip_mac(ovs_be32 eip);

#endif /* havip-pipeline.h */
