/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

/* Unit tests for flows/addr.c. */

#include <config.h>
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include "havip-addr.h"
#include "packets.h"
#include "unit.h"

/* Asserts that 'error' is NULL, and frees it otherwise. */
#define ASSERT_OK(ERROR)                        \
    do {                                        \
        char *error_ = (ERROR);                 \
        CU_ASSERT_PTR_NULL(error_);             \
        free(error_);                           \
    } while (0)

/* Asserts that 'error' is exactly 'TEXT'. */
#define ASSERT_ERROR(ERROR, TEXT)               \
    do {                                        \
        char *error_ = (ERROR);                 \
        CU_ASSERT_PTR_NOT_NULL_FATAL(error_);   \
        CU_ASSERT_STRING_EQUAL(error_, TEXT);   \
        free(error_);                           \
    } while (0)

static void
test_parse_ip(void)
{
    ovs_be32 ip;

    ASSERT_OK(havip_parse_ip("10.0.1.5", &ip));
    CU_ASSERT_EQUAL(ip, htonl(0x0a000105));
    ASSERT_ERROR(havip_parse_ip("10.0.1", &ip),
                 "10.0.1: invalid IPv4 address");
    ASSERT_ERROR(havip_parse_ip("10.0.1.256", &ip),
                 "10.0.1.256: invalid IPv4 address");
    ASSERT_ERROR(havip_parse_ip("10.0.1.5/24", &ip),
                 "10.0.1.5/24: invalid IPv4 address");
    ASSERT_ERROR(havip_parse_ip("", &ip), "missing IPv4 address");
}

static void
test_parse_mac(void)
{
    struct eth_addr mac;

    ASSERT_OK(havip_parse_mac("0a:00:00:00:01:05", &mac));
    CU_ASSERT(eth_addr_equals(mac, (struct eth_addr)
                              ETH_ADDR_C(0a, 00, 00, 00, 01, 05)));
    ASSERT_OK(havip_parse_mac("0A:BC:00:00:01:05", &mac));
    ASSERT_ERROR(havip_parse_mac("a:0:0:0:1:5", &mac),
                 "a:0:0:0:1:5: invalid MAC address");
    ASSERT_ERROR(havip_parse_mac("0a:00:00:00:01:0g", &mac),
                 "0a:00:00:00:01:0g: invalid MAC address");
    ASSERT_ERROR(havip_parse_mac("0a-00-00-00-01-05", &mac),
                 "0a-00-00-00-01-05: invalid MAC address");
    ASSERT_ERROR(havip_parse_mac("01:00:5e:00:00:12", &mac),
                 "01:00:5e:00:00:12: not a unicast MAC address");
    ASSERT_ERROR(havip_parse_mac("00:00:00:00:00:00", &mac),
                 "00:00:00:00:00:00: not a unicast MAC address");
}

static void
test_parse_cidr(void)
{
    struct havip_cidr cidr;

    ASSERT_OK(havip_parse_cidr("10.0.1.0/24", &cidr));
    CU_ASSERT_EQUAL(cidr.net, htonl(0x0a000100));
    CU_ASSERT_EQUAL(cidr.plen, 24);
    CU_ASSERT_EQUAL(havip_cidr_broadcast(&cidr), htonl(0x0a0001ff));
    CU_ASSERT_EQUAL(havip_cidr_first_host(&cidr), htonl(0x0a000101));
    ASSERT_ERROR(havip_parse_cidr("10.0.1.5/24", &cidr),
                 "10.0.1.5/24: host bits set in CIDR (the network is "
                 "10.0.1.0/24)");
    ASSERT_OK(havip_parse_cidr("0.0.0.0/0", &cidr));
    CU_ASSERT_EQUAL(cidr.plen, 0);
    ASSERT_OK(havip_parse_cidr("10.0.1.8/29", &cidr));
    CU_ASSERT_EQUAL(cidr.plen, 29);

    /* Only the canonical form: OVS's ip_parse_cidr() takes each of these
     * (the first as 10.0.1.0/24, the second as 10.0.1.5/24). */
    static const char *const non_canonical[] = {
        "10.0.1.256/24", "10.0.1.261/24", "010.0.1.0/24", "10.00.1.0/24",
        "10.0.1.0/024", "10.0.1.0/+24", "10.0.1.0/ 24", " 10.0.1.0/24",
        "10.0.1.0/255.255.255.0", "10.0.1.0/24 ", "10.0.1.0/", "/24",
        "10.0.1/24", "10.0.1.0.0/24", "10.0.1.0/24/24", "10.0.1.0/-0",
        "1000.1000.1000.1000/24",
    };
    for (size_t i = 0; i < ARRAY_SIZE(non_canonical); i++) {
        const char *s = non_canonical[i];
        char *want = xasprintf("%s: invalid CIDR (expected A.B.C.D/LEN)", s);

        ASSERT_ERROR(havip_parse_cidr(s, &cidr), want);
        free(want);
    }
    ASSERT_ERROR(havip_parse_cidr("10.0.1.0", &cidr),
                 "10.0.1.0: invalid CIDR (expected A.B.C.D/LEN)");
    ASSERT_ERROR(havip_parse_cidr("10.0.1.0/33", &cidr),
                 "10.0.1.0/33: invalid CIDR (expected A.B.C.D/LEN)");
    ASSERT_ERROR(havip_parse_cidr("10.0.1.0/30", &cidr),
                 "10.0.1.0/30: prefix too long for a subnet (at most /29)");
}

static void
test_host_ip(void)
{
    struct havip_cidr cidr;
    ovs_be32 gw = htonl(0x0a000101);

    ASSERT_OK(havip_parse_cidr("10.0.1.0/24", &cidr));
    ASSERT_OK(havip_check_host_ip(htonl(0x0a000105), &cidr, gw));
    ASSERT_ERROR(havip_check_host_ip(htonl(0x0a000205), &cidr, gw),
                 "10.0.2.5 is outside 10.0.1.0/24");
    ASSERT_ERROR(havip_check_host_ip(htonl(0x0a000100), &cidr, gw),
                 "10.0.1.0 is the network address of 10.0.1.0/24");
    ASSERT_ERROR(havip_check_host_ip(htonl(0x0a0001ff), &cidr, gw),
                 "10.0.1.255 is the broadcast address of 10.0.1.0/24");
    ASSERT_ERROR(havip_check_host_ip(gw, &cidr, gw),
                 "10.0.1.1 is the gateway address of 10.0.1.0/24");
}

void
unit_addr_register(void)
{
    CU_pSuite suite = CU_add_suite("addr", NULL, NULL);

    CU_add_test(suite, "parse IPv4", test_parse_ip);
    CU_add_test(suite, "parse MAC", test_parse_mac);
    CU_add_test(suite, "parse CIDR", test_parse_cidr);
    CU_add_test(suite, "host IP in subnet", test_host_ip);
}
