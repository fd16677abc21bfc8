/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

/* Fuzz target for the address parsers of flows/addr.c, which havip-nbctl
 * uses for every MAC, IP and CIDR argument and both havip-nbctl and the
 * controller use for every address stored in the database.
 *
 * The input is split at its first newline: the first part is given to
 * each parser, the second (if any) is an IPv4 address checked as a host of
 * the first part's CIDR.  Besides not crashing or leaking, each parser
 * must accept only its canonical form: whatever it accepts must print back
 * as the same text (case aside, for MACs), so that what the database says
 * is what the flows do. */

#include <config.h>
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "havip-addr.h"
#include "packets.h"
#include "util.h"

static void
fuzz_ip(const char *s)
{
    ovs_be32 ip;
    char *error = havip_parse_ip(s, &ip);

    if (!error) {
        char *back = xasprintf(IP_FMT, IP_ARGS(ip));

        fuzz_check(!strcmp(back, s), "accepted IPv4 address not canonical");
        free(back);
    }
    free(error);
}

static void
fuzz_mac(const char *s)
{
    struct eth_addr mac;
    char *error = havip_parse_mac(s, &mac);

    if (!error) {
        char *back = xasprintf(ETH_ADDR_FMT, ETH_ADDR_ARGS(mac));

        fuzz_check(!strcasecmp(back, s), "accepted MAC not canonical");
        fuzz_check(!eth_addr_is_multicast(mac) && !eth_addr_is_zero(mac),
                   "accepted MAC not unicast");
        free(back);
    }
    free(error);
}

/* Checks havip_check_host_ip() on 'ip' against what it promises. */
static void
fuzz_host(const struct havip_cidr *cidr, ovs_be32 ip, ovs_be32 gateway)
{
    char *error = havip_check_host_ip(ip, cidr, gateway);
    bool ok = (havip_cidr_contains(cidr, ip) && ip != cidr->net
               && ip != havip_cidr_broadcast(cidr) && ip != gateway);

    fuzz_check(!error == ok, "host IP check disagrees with the CIDR");
    free(error);
}

static void
fuzz_cidr(const char *s, const char *host)
{
    struct havip_cidr cidr;
    char *error = havip_parse_cidr(s, &cidr);

    if (error) {
        free(error);
        return;
    }

    char *back = xasprintf(IP_FMT"/%u", IP_ARGS(cidr.net), cidr.plen);
    fuzz_check(!strcmp(back, s), "accepted CIDR not canonical");
    free(back);
    fuzz_check(cidr.plen <= 29, "accepted CIDR too long for a subnet");
    fuzz_check(!(cidr.net & ~havip_cidr_mask(&cidr)),
               "accepted CIDR has host bits set");

    ovs_be32 gateway = havip_cidr_first_host(&cidr);
    fuzz_check(havip_cidr_contains(&cidr, gateway),
               "first host outside its CIDR");
    fuzz_host(&cidr, cidr.net, gateway);
    fuzz_host(&cidr, gateway, gateway);
    fuzz_host(&cidr, havip_cidr_broadcast(&cidr), gateway);
    fuzz_host(&cidr, htonl(ntohl(gateway) + 1), gateway);

    ovs_be32 ip;
    if (host) {
        error = havip_parse_ip(host, &ip);
        if (!error) {
            fuzz_host(&cidr, ip, gateway);
        }
        free(error);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();

    /* The parsers take C strings: stop at a NUL, as a C caller would. */
    char *s = xmemdup0((const char *) data, size);
    char *host = strchr(s, '\n');
    if (host) {
        *host++ = '\0';
    }

    fuzz_ip(s);
    fuzz_mac(s);
    fuzz_cidr(s, host);
    if (host) {
        fuzz_ip(host);
    }
    free(s);
    return 0;
}
