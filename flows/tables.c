/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

/* The names and purposes of the pipeline's tables (enum havip_table),
 * shared by havip-trace and docs/flow-tables.md.  See havip-tables.h. */

#include <config.h>
#include "havip-tables.h"

#include "havip-pipeline.h"
#include "util.h"

const struct havip_table_info havip_tables[] = {
    { HT_CLASSIFY, "classify",
      "which VPC and subnet a VM port's packet is in; the uplink; tunnels" },
    { HT_FROM_TUNNEL, "from tunnel",
      "delivers what another chassis tunnelled here, by tunnel key" },
    { HT_UPLINK, "uplink",
      "ARP for an EIP; DNAT of an EIP to its HAVIP or pinned port" },
    { HT_UPLINK_SRC, "uplink source",
      "drops a DNATed packet whose source is inside the VPC" },
    { HT_PORT_SEC_L2, "port security L2",
      "the port's own source MAC, no VLAN header, IPv4 or ARP only" },
    { HT_PORT_SEC_L3, "port security L3",
      "the port's own source IP, or a HAVIP IP it is associated with" },
    { HT_HOLDER_ARP, "holder ARP",
      "the holder's gratuitous ARP: flooded, never answered" },
    { HT_CLAIM, "claim",
      "a non-holder's ARP for the HAVIP: holder learning, flooded" },
    { HT_CLAIM_NOLEARN, "claim, no learning",
      "the same for a HAVIP with options:learn=false: flooded only" },
    { HT_ARP_RESPONDER, "ARP responder",
      "answers ARP for port IPs, gateways and held HAVIPs" },
    { HT_L2, "L2",
      "gateway MAC (routed), broadcast and multicast, unicast MAC" },
    { HT_ROUTE, "route",
      "between the VPC's subnets; SNAT to an EIP out of the VPC" },
    { HT_L3, "L3 delivery",
      "delivery by IP; a HAVIP IP to its holder" },
    { HT_TO_UPLINK, "to uplink",
      "SNATed traffic out of the uplink or to the active gateway" },
};
const size_t havip_n_tables = ARRAY_SIZE(havip_tables);

const struct havip_table_info *
havip_table_find(uint8_t id)
{
    for (size_t i = 0; i < havip_n_tables; i++) {
        if (havip_tables[i].id == id) {
            return &havip_tables[i];
        }
    }
    return NULL;
}

const char *
havip_table_name(uint8_t id)
{
    const struct havip_table_info *t = havip_table_find(id);

    return t ? t->name : "unknown";
}
