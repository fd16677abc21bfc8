/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

#ifndef HAVIP_ADDR_H
#define HAVIP_ADDR_H 1

/* Address parsing and checks shared by havip-nbctl and havip-controller.
 *
 * Every function that can fail returns NULL on success or a malloc'd error
 * string, in lower case and naming the offending text, that the caller must
 * free. */

#include <stdbool.h>
#include "openvswitch/types.h"
#include "compiler.h"

struct eth_addr;

/* An IPv4 subnet. */
struct havip_cidr {
    ovs_be32 net;               /* Network address, no host bits set. */
    unsigned int plen;          /* Prefix length, 0 to 32. */
};

char *havip_parse_ip(const char *s, ovs_be32 *ip) OVS_WARN_UNUSED_RESULT;
char *havip_parse_mac(const char *s, struct eth_addr *mac)
    OVS_WARN_UNUSED_RESULT;
char *havip_parse_cidr(const char *s, struct havip_cidr *cidr)
    OVS_WARN_UNUSED_RESULT;

ovs_be32 havip_cidr_mask(const struct havip_cidr *);
ovs_be32 havip_cidr_broadcast(const struct havip_cidr *);
bool havip_cidr_contains(const struct havip_cidr *, ovs_be32 ip);
ovs_be32 havip_cidr_first_host(const struct havip_cidr *);

char *havip_check_host_ip(ovs_be32 ip, const struct havip_cidr *,
                          ovs_be32 gateway_ip) OVS_WARN_UNUSED_RESULT;

#endif /* havip-addr.h */
