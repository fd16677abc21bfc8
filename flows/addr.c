/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

/* Strict parsing of the addresses stored in HAVIP_Northbound and the
 * host-address checks of rule 5.  OVS's parsers accept more than an operator
 * means (a MAC of "1:2:3:4:5:6", a CIDR with host bits set); the functions
 * here accept exactly the canonical forms. */

#include <config.h>
#include "havip-addr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "openvswitch/util.h"
#include "packets.h"
#include "util.h"

char *
havip_parse_ip(const char *s, ovs_be32 *ip)
{
    if (!s || !s[0]) {
        return xstrdup("missing IPv4 address");
    }
    if (!ip_parse(s, ip)) {
        return xasprintf("%s: invalid IPv4 address", s);
    }
    return NULL;
}

/* Parses 's' as a unicast MAC address "xx:xx:xx:xx:xx:xx". */
char *
havip_parse_mac(const char *s, struct eth_addr *mac)
{
    if (!s || !s[0]) {
        return xstrdup("missing MAC address");
    }
    bool ok = strlen(s) == ETH_ADDR_STRLEN;
    for (size_t i = 0; ok && i < ETH_ADDR_STRLEN; i++) {
        ok = i % 3 == 2 ? s[i] == ':' : isxdigit((unsigned char) s[i]);
    }
    if (!ok || !eth_addr_from_string(s, mac)) {
        return xasprintf("%s: invalid MAC address", s);
    }
    if (eth_addr_is_multicast(*mac) || eth_addr_is_zero(*mac)) {
        return xasprintf("%s: not a unicast MAC address", s);
    }
    return NULL;
}

/* Parses the prefix length 's' of a CIDR: decimal digits with no sign,
 * space or leading zero, at most 32. */
static bool
parse_plen(const char *s, unsigned int *plen)
{
    size_t n = strspn(s, "0123456789");

    if (!n || n > 2 || s[n] || (n == 2 && s[0] == '0')) {
        return false;
    }
    *plen = atoi(s);
    return *plen <= 32;
}

/* Parses 's' as "A.B.C.D/LEN" in its canonical form, with no host bits set
 * and LEN below 31, so that the subnet has room for a gateway and hosts.
 *
 * OVS's ip_parse_cidr() is not used: its scanf-style parser takes octets
 * modulo 256 ("10.0.1.256/24" is 10.0.1.0/24, "10.0.1.261/24" is
 * 10.0.1.5/24), leading zeros and spaces, signs and dotted masks, so a
 * stored CIDR could mean something other than what it says. */
char *
havip_parse_cidr(const char *s, struct havip_cidr *cidr)
{
    if (!s || !s[0]) {
        return xstrdup("missing CIDR");
    }

    const char *slash = strchr(s, '/');
    char addr[INET_ADDRSTRLEN];
    size_t addr_len = slash ? slash - s : 0;
    if (!slash || addr_len >= sizeof addr) {
        return xasprintf("%s: invalid CIDR (expected A.B.C.D/LEN)", s);
    }
    memcpy(addr, s, addr_len);
    addr[addr_len] = '\0';
    if (!ip_parse(addr, &cidr->net) || !parse_plen(slash + 1, &cidr->plen)) {
        return xasprintf("%s: invalid CIDR (expected A.B.C.D/LEN)", s);
    }
    if (cidr->plen > 29) {
        return xasprintf("%s: prefix too long for a subnet (at most /29)", s);
    }
    if (cidr->net & ~havip_cidr_mask(cidr)) {
        return xasprintf("%s: host bits set in CIDR (the network is "
                         IP_FMT"/%u)", s,
                         IP_ARGS(cidr->net & havip_cidr_mask(cidr)),
                         cidr->plen);
    }
    return NULL;
}

ovs_be32
havip_cidr_mask(const struct havip_cidr *cidr)
{
    return be32_prefix_mask(cidr->plen);
}

ovs_be32
havip_cidr_broadcast(const struct havip_cidr *cidr)
{
    return cidr->net | ~havip_cidr_mask(cidr);
}

bool
havip_cidr_contains(const struct havip_cidr *cidr, ovs_be32 ip)
{
    return (ip & havip_cidr_mask(cidr)) == cidr->net;
}

ovs_be32
havip_cidr_first_host(const struct havip_cidr *cidr)
{
    return htonl(ntohl(cidr->net) + 1);
}

/* Checks that 'ip' can be given to a host (port or HAVIP) in 'cidr' whose
 * gateway is 'gateway_ip': inside the subnet, and not its network,
 * broadcast or gateway address. */
char *
havip_check_host_ip(ovs_be32 ip, const struct havip_cidr *cidr,
                    ovs_be32 gateway_ip)
{
    if (!havip_cidr_contains(cidr, ip)) {
        return xasprintf(IP_FMT" is outside "IP_FMT"/%u",
                         IP_ARGS(ip), IP_ARGS(cidr->net), cidr->plen);
    }
    if (ip == cidr->net) {
        return xasprintf(IP_FMT" is the network address of "IP_FMT"/%u",
                         IP_ARGS(ip), IP_ARGS(cidr->net), cidr->plen);
    }
    if (ip == havip_cidr_broadcast(cidr)) {
        return xasprintf(IP_FMT" is the broadcast address of "IP_FMT"/%u",
                         IP_ARGS(ip), IP_ARGS(cidr->net), cidr->plen);
    }
    if (ip == gateway_ip) {
        return xasprintf(IP_FMT" is the gateway address of "IP_FMT"/%u",
                         IP_ARGS(ip), IP_ARGS(cidr->net), cidr->plen);
    }
    return NULL;
}
