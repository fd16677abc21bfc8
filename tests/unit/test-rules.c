/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

/* Unit tests for flows/rules.c, on rows built by hand (no database). */

#include <config.h>
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>
#include "havip-rules.h"
#include "ovsdb/havip-nb-idl.h"
#include "unit.h"
#include "world.h"
#include "util.h"

static struct havip_verdicts verdicts;

/* Runs the check and asserts that 'row' has a violation of 'rule' with
 * message 'msg'. */
static void
assert_violation(const struct ovsdb_idl_row *row, enum havip_rule rule,
                 const char *msg)
{
    const struct havip_violation *v;

    v = havip_verdicts_find_rule(&verdicts, &row->uuid, rule);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_STRING_EQUAL(v->msg, msg);
}

static void
setup(void)
{
    world_setup();
    havip_verdicts_init(&verdicts);
}

static void
teardown(void)
{
    havip_verdicts_destroy(&verdicts);
    world_teardown();
}

static void
check(void)
{
    havip_verdicts_clear(&verdicts);
    havip_rules_check(&world, &verdicts);
}

/* Asserts the violations of HAVIP h2 on port p2's IP, of port p4 on port
 * p1's MAC, of subnet s4 around subnet s1, and that of 'row' when port p3
 * is bound to HAVIP h1's EIP e1 too. */
static void
assert_h2_on_p2_ip(const struct nbrec_havip *h2)
{
    assert_violation(&h2->header_, HAVIP_RULE_ADDRESSES,
                     "rule 5 (addresses): HAVIP h2: 10.0.1.12 is also used "
                     "by port p2 in VPC vpc1");
}

static void
assert_p4_on_p1_mac(const struct nbrec_port *p4)
{
    assert_violation(&p4->header_, HAVIP_RULE_ADDRESSES,
                     "rule 5 (addresses): port p4: MAC 0a:00:00:00:01:0b is "
                     "also used by port p1 in subnet s1");
}

static void
assert_s4_around_s1(const struct nbrec_subnet *s4)
{
    assert_violation(&s4->header_, HAVIP_RULE_ADDRESSES,
                     "rule 5 (addresses): subnet s4 (10.0.0.0/16) overlaps "
                     "subnet s1 (10.0.1.0/24) in VPC vpc1");
}

static void
assert_e1_bound_twice(const struct ovsdb_idl_row *row)
{
    assert_violation(row, HAVIP_RULE_ONE_BINDING,
                     "rule 3 (one binding per EIP): EIP e1 is bound to "
                     "both port p3 and HAVIP h1");
}

static void
test_valid_world(void)
{
    setup();
    /* Same addresses in another VPC are fine: VPCs are isolated. */
    add_port("q1", s3, "0a:00:00:00:01:0b", "10.0.1.11");
    add_havip("hq", s3, "10.0.1.100");
    check();
    CU_ASSERT_EQUAL(havip_verdicts_count(&verdicts), 0);
    teardown();
}

static void
test_same_region(void)
{
    setup();
    h1->eip = e2;
    check();
    CU_ASSERT_EQUAL(havip_verdicts_count(&verdicts), 1);
    assert_violation(&h1->header_, HAVIP_RULE_SAME_REGION,
                     "rule 1 (same region): EIP e2 is in region r2 but "
                     "HAVIP h1 is in region r1");
    teardown();
}

static void
test_one_binding(void)
{
    setup();
    p3->eip = e1;
    check();
    CU_ASSERT_EQUAL(havip_verdicts_count(&verdicts), 2);
    assert_e1_bound_twice(&h1->header_);
    assert_e1_bound_twice(&p3->header_);
    teardown();
}

static void
test_host_addresses(void)
{
    setup();
    p2->ip = CONST_CAST(char *, "10.0.2.12");
    p3->ip = CONST_CAST(char *, "10.0.2.1");
    h1->ip = CONST_CAST(char *, "10.0.1.255");
    check();
    CU_ASSERT_EQUAL(havip_verdicts_count(&verdicts), 3);
    assert_violation(&p2->header_, HAVIP_RULE_ADDRESSES,
                     "rule 5 (addresses): port p2: 10.0.2.12 is outside "
                     "10.0.1.0/24");
    assert_violation(&p3->header_, HAVIP_RULE_ADDRESSES,
                     "rule 5 (addresses): port p3: 10.0.2.1 is the gateway "
                     "address of 10.0.2.0/24");
    assert_violation(&h1->header_, HAVIP_RULE_ADDRESSES,
                     "rule 5 (addresses): HAVIP h1: 10.0.1.255 is the "
                     "broadcast address of 10.0.1.0/24");
    teardown();
}

static void
test_collisions(void)
{
    setup();
    struct nbrec_havip *h2 = add_havip("h2", s1, "10.0.1.12");
    struct nbrec_port *p4 = add_port("p4", s1, "0a:00:00:00:01:0b",
                                     "10.0.1.14");
    check();
    CU_ASSERT_EQUAL(havip_verdicts_count(&verdicts), 4);
    assert_violation(&p2->header_, HAVIP_RULE_ADDRESSES,
                     "rule 5 (addresses): port p2: 10.0.1.12 is also used "
                     "by HAVIP h2 in VPC vpc1");
    assert_h2_on_p2_ip(h2);
    assert_p4_on_p1_mac(p4);
    assert_violation(&p1->header_, HAVIP_RULE_ADDRESSES,
                     "rule 5 (addresses): port p1: MAC 0a:00:00:00:01:0b is "
                     "also used by port p4 in subnet s1");
    teardown();
}

static void
test_malformed(void)
{
    setup();
    r2->external_gateway_mac = CONST_CAST(char *, "zz");
    s3->cidr = CONST_CAST(char *, "10.0.1.7/24");
    p1->mac = CONST_CAST(char *, "0a:00:00:00:01");
    e2->ip = CONST_CAST(char *, "198.51.100");
    check();
    assert_violation(&r2->header_, HAVIP_RULE_ADDRESSES,
                     "rule 5 (addresses): region r2: external gateway MAC "
                     "zz: invalid MAC address");
    assert_violation(&s3->header_, HAVIP_RULE_ADDRESSES,
                     "rule 5 (addresses): subnet s3: 10.0.1.7/24: host bits "
                     "set in CIDR (the network is 10.0.1.0/24)");
    assert_violation(&p1->header_, HAVIP_RULE_ADDRESSES,
                     "rule 5 (addresses): port p1: 0a:00:00:00:01: invalid "
                     "MAC address");
    assert_violation(&e2->header_, HAVIP_RULE_ADDRESSES,
                     "rule 5 (addresses): EIP e2: 198.51.100: invalid IPv4 "
                     "address");
    CU_ASSERT_EQUAL(havip_verdicts_count(&verdicts), 4);
    teardown();
}

/* A havip_rules_prior callback: 'aux' is a NULL-terminated array of the
 * rows that hold whatever they claim. */
static bool
holds_listed(const void *aux, const struct uuid *row,
             enum havip_claim kind OVS_UNUSED, uint64_t addr OVS_UNUSED)
{
    const struct ovsdb_idl_row *const *rows = aux;

    for (; *rows; rows++) {
        if (uuid_equals(&(*rows)->uuid, row)) {
            return true;
        }
    }
    return false;
}

static void
check_prior(const struct ovsdb_idl_row *const *holders)
{
    struct havip_rules_prior prior = { .holds = holds_listed,
                                       .aux = holders };

    havip_verdicts_clear(&verdicts);
    havip_rules_check_prior(&world, &prior, &verdicts);
}

static void
test_prior_newcomer_refused(void)
{
    setup();
    struct nbrec_havip *h2 = add_havip("h2", s1, "10.0.1.12");
    struct nbrec_port *p4 = add_port("p4", s1, "0a:00:00:00:01:0b",
                                     "10.0.1.14");
    struct nbrec_subnet *s4 = add_subnet("s4", vpc1, "10.0.0.0/16",
                                         "10.0.0.1");
    p3->eip = e1;
    const struct ovsdb_idl_row *holders[] = {
        &p1->header_, &p2->header_, &h1->header_, &s1->header_, NULL,
    };

    /* Newcomers with the smallest UUIDs: the holders keep all the same. */
    memset(&h2->header_.uuid, 0, sizeof h2->header_.uuid);
    memset(&p4->header_.uuid, 0, sizeof p4->header_.uuid);
    memset(&s4->header_.uuid, 0, sizeof s4->header_.uuid);
    h2->header_.uuid.parts[3] = 1;
    p4->header_.uuid.parts[3] = 2;
    s4->header_.uuid.parts[3] = 3;
    memset(&p3->header_.uuid, 0, sizeof p3->header_.uuid);
    check_prior(holders);
    CU_ASSERT_EQUAL(havip_verdicts_count(&verdicts), 4);
    assert_h2_on_p2_ip(h2);
    assert_p4_on_p1_mac(p4);
    assert_e1_bound_twice(&p3->header_);
    assert_s4_around_s1(s4);

    /* Nobody holds anything: the smaller UUID keeps the address. */
    static const struct ovsdb_idl_row *const none[] = { NULL };
    memset(&p1->header_.uuid, 0xff, sizeof p1->header_.uuid);
    check_prior(none);
    CU_ASSERT_PTR_NOT_NULL(havip_verdicts_find_rule(
                               &verdicts, &p1->header_.uuid,
                               HAVIP_RULE_ADDRESSES));
    CU_ASSERT_PTR_NULL(havip_verdicts_find(&verdicts, &p4->header_.uuid));
    CU_ASSERT_PTR_NULL(havip_verdicts_find(&verdicts, &p3->header_.uuid));
    CU_ASSERT_PTR_NOT_NULL(havip_verdicts_find(&verdicts,
                                               &h1->header_.uuid));
    teardown();
}

static void
test_overlapping_subnets(void)
{
    setup();
    struct nbrec_subnet *s4 = add_subnet("s4", vpc1, "10.0.0.0/16",
                                         "10.0.0.1");
    check();
    assert_s4_around_s1(s4);
    assert_violation(&s1->header_, HAVIP_RULE_ADDRESSES,
                     "rule 5 (addresses): subnet s1 (10.0.1.0/24) overlaps "
                     "subnet s4 (10.0.0.0/16) in VPC vpc1");
    teardown();
}

static void
test_holder(void)
{
    setup();
    h1->holder = p3;
    check();
    assert_violation(&h1->header_, HAVIP_RULE_HOLDER,
                     "rule 6 (holder): holder p3 of HAVIP h1 is not one of "
                     "its associated ports");
    CU_ASSERT_EQUAL(havip_verdicts_count(&verdicts), 1);
    teardown();
}

static void
test_same_subnet(void)
{
    setup();
    havip_associate(h1, p3);
    check();
    assert_violation(&h1->header_, HAVIP_RULE_SAME_SUBNET,
                     "rule 7 (same subnet): port p3 (subnet s2) is "
                     "associated with HAVIP h1 in subnet s1");
    CU_ASSERT_EQUAL(havip_verdicts_count(&verdicts), 1);
    teardown();
}

static void
test_verdicts_has(void)
{
    struct havip_verdicts before;

    setup();
    check();
    havip_verdicts_init(&before);
    havip_rules_check(&world, &before);
    h1->holder = p3;
    check();
    /* The new violation is not in 'before'. */
    const struct havip_violation *v = havip_verdicts_find(&verdicts,
                                                          &h1->header_.uuid);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_FALSE(havip_verdicts_has(&before, v));
    CU_ASSERT_TRUE(havip_verdicts_has(&verdicts, v));
    havip_verdicts_destroy(&before);
    teardown();
}

void
unit_rules_register(void)
{
    CU_pSuite suite = CU_add_suite("rules", NULL, NULL);

    CU_add_test(suite, "a valid world has no violation", test_valid_world);
    CU_add_test(suite, "rule 1: same region", test_same_region);
    CU_add_test(suite, "rule 3: one binding per EIP", test_one_binding);
    CU_add_test(suite, "rule 5: host addresses", test_host_addresses);
    CU_add_test(suite, "rule 5: collisions in a VPC", test_collisions);
    CU_add_test(suite, "rule 5: malformed rows", test_malformed);
    CU_add_test(suite, "rule 5: overlapping subnets",
                test_overlapping_subnets);
    CU_add_test(suite, "rule 5, 3 with a prior: only the newcomer",
                test_prior_newcomer_refused);
    CU_add_test(suite, "rule 6: holder is associated", test_holder);
    CU_add_test(suite, "rule 7: same subnet", test_same_subnet);
    CU_add_test(suite, "verdicts: new violations", test_verdicts_has);
}
