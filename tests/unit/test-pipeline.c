/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

/* Unit tests for flows/pipeline.c and flows/flow-table.c. */

#include <config.h>
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>
#include "flow.h"
#include "havip-flow-table.h"
#include "havip-pipeline.h"
#include "havip-rules.h"
#include "havip-tables.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-errors.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofpbuf.h"
#include "ovsdb/havip-nb-idl.h"
#include "simap.h"
#include "smap.h"
#include "sset.h"
#include "unit.h"
#include "util.h"
#include "uuidset.h"
#include "world.h"

/* The standard world on chassis "hv1" where p1, p2 and p3 are ports 1, 2
 * and 3 and the uplink is port 9: the active gateway.  Chassis "hv2" and
 * "hv3" are behind tunnel ports 20 and 21. */
static struct simap ofports;
static struct simap tunnels;
static struct havip_local local;
static struct havip_verdicts verdicts;
static struct hflow_table flows;
static struct havip_pipeline pipeline;

static void
setup(void)
{
    world_setup();
    simap_init(&ofports);
    simap_put(&ofports, "p1", 1);
    simap_put(&ofports, "p2", 2);
    simap_put(&ofports, "p3", 3);
    simap_init(&tunnels);
    simap_put(&tunnels, "hv2", 20);
    simap_put(&tunnels, "hv3", 21);
    local = (struct havip_local) {
        .ofports = &ofports,
        .uplink = u16_to_ofp(9),
        .chassis = "hv1",
        .tunnels = &tunnels,
        .active_gateway = true,
        .gateway_tunnel = OFPP_NONE,
    };
    havip_verdicts_init(&verdicts);
    hflow_table_init(&flows);
    pipeline = (struct havip_pipeline) {
        .local = &local, .rows = &world, .verdicts = &verdicts,
        .flows = &flows,
    };
}

static void
teardown(void)
{
    hflow_table_destroy(&flows);
    havip_verdicts_destroy(&verdicts);
    simap_destroy(&ofports);
    simap_destroy(&tunnels);
    world_teardown();
}

static void
compute(void)
{
    havip_verdicts_clear(&verdicts);
    havip_rules_check(&world, &verdicts);
    hflow_table_clear(&flows);
    havip_pipeline_compute_all(&pipeline);
}

/* Replaces every occurrence of 'from' in 's' by 'to'. */
static void
replace_all(struct ds *s, const char *from, const char *to)
{
    struct ds out = DS_EMPTY_INITIALIZER;
    const char *p = ds_cstr(s);
    const char *hit;

    while ((hit = strstr(p, from))) {
        ds_put_buffer(&out, p, hit - p);
        ds_put_cstr(&out, to);
        p = hit + strlen(from);
    }
    ds_put_cstr(&out, p);
    ds_swap(s, &out);
    ds_destroy(&out);
}

/* Formats 'f' with the keys of the world's VPCs and subnets replaced by
 * their names, since they come from random UUIDs. */
static void
format_flow(const struct hflow *f, struct ds *s)
{
    const struct {
        const char *fmt;
        uint64_t key;
        const char *name;
    } keys[] = {
        { "0x%"PRIx64, havip_vpc_key(&vpc1->header_.uuid), "VPC1" },
        { "0x%"PRIx64, havip_vpc_key(&vpc2->header_.uuid), "VPC2" },
        { "0x%"PRIx64, havip_subnet_key(&s1->header_.uuid), "S1" },
        { "0x%"PRIx64, havip_subnet_key(&s2->header_.uuid), "S2" },
        { "0x%"PRIx64, havip_subnet_key(&s3->header_.uuid), "S3" },
    };

    hflow_format(f, s);
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
        char *from = xasprintf(keys[i].fmt, keys[i].key);
        replace_all(s, from, keys[i].name);
        free(from);
    }
}

static int
compare_strings(const void *a_, const void *b_)
{
    const char *const *a = a_;
    const char *const *b = b_;
    return strcmp(*a, *b);
}

/* Returns the flows of 'owner' (all flows if NULL) in table 'table_id' (all
 * tables if negative), formatted, sorted, one per line. */
static char *
flows_of(const struct uuid *owner, int table_id)
{
    char **lines = xmalloc((hflow_table_count(&flows) + 1) * sizeof *lines);
    struct ds out = DS_EMPTY_INITIALIZER;
    const struct hflow *f;
    size_t n = 0;

    HMAP_FOR_EACH (f, node, &flows.flows) {
        if ((!owner || uuid_equals(&f->owner->uuid, owner))
            && (table_id < 0 || f->table_id == table_id)) {
            struct ds s = DS_EMPTY_INITIALIZER;
            format_flow(f, &s);
            lines[n++] = ds_steal_cstr(&s);
        }
    }
    qsort(lines, n, sizeof *lines, compare_strings);
    for (size_t i = 0; i < n; i++) {
        ds_put_format(&out, "%s\n", lines[i]);
        free(lines[i]);
    }
    free(lines);
    return ds_steal_cstr(&out);
}

static void
assert_flows(const struct uuid *owner, int table_id, const char *want)
{
    char *got = flows_of(owner, table_id);
    if (strcmp(got, want)) {
        fprintf(stderr, "\n--- got:\n%s--- wanted:\n%s", got, want);
    }
    CU_ASSERT_STRING_EQUAL(got, want);
    free(got);
}

static size_t
owner_count(const struct uuid *owner)
{
    const struct hflow *f;
    size_t n = 0;

    HMAP_FOR_EACH (f, node, &flows.flows) {
        n += uuid_equals(&f->owner->uuid, owner);
    }
    return n;
}

#define ARP_REPLY(MAC, IP)                                              \
    "actions=move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],"                  \
    "set_field:"MAC"->eth_src,set_field:2->arp_op,"                     \
    "move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],set_field:"MAC"->arp_sha," \
    "move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],set_field:"IP"->arp_spa,"  \
    "IN_PORT\n"

static void
test_eip_inbound(void)
{
    setup();
    compute();
    assert_flows(&h1->header_.uuid, HT_UPLINK,
        "table=5, priority=100, arp,arp_tpa=203.0.113.10,arp_op=1, "
        ARP_REPLY("02:e1:cb:00:71:0a", "203.0.113.10")
        "table=5, priority=100, ip,nw_dst=203.0.113.10, "
        "actions=set_field:10.0.1.100->ip_dst,set_field:VPC1->metadata,"
        "set_field:S1->reg6,set_field:0a:00:00:00:00:01->eth_src,dec_ttl,"
        "goto_table:6\n");
    /* After DNAT, a source inside the VPC is spoofed: dropped, per subnet
     * of the VPC, on a chassis with an uplink only. */
    assert_flows(NULL, HT_UPLINK_SRC,
        "table=6, priority=0, actions=goto_table:35\n"
        "table=6, priority=100, ip,metadata=VPC1,nw_src=10.0.1.0/24, "
        "actions=drop\n"
        "table=6, priority=100, ip,metadata=VPC1,nw_src=10.0.2.0/24, "
        "actions=drop\n"
        "table=6, priority=100, ip,metadata=VPC2,nw_src=10.0.1.0/24, "
        "actions=drop\n");
    local.uplink = OFPP_NONE;
    compute();
    assert_flows(NULL, HT_UPLINK_SRC,
        "table=6, priority=0, actions=goto_table:35\n");
    local.uplink = u16_to_ofp(9);
    compute();
    assert_flows(&h1->header_.uuid, HT_L3,
        "table=35, priority=100, ip,metadata=VPC1,nw_dst=10.0.1.100, "
        "actions=set_field:0a:00:00:00:01:0b->eth_dst,output:1\n");
    teardown();
}

static void
test_eip_outbound(void)
{
    setup();
    compute();
    assert_flows(&h1->header_.uuid, HT_ROUTE,
        "table=31, priority=50, ip,metadata=VPC1,nw_src=10.0.1.100, "
        "actions=set_field:203.0.113.10->ip_src,"
        "set_field:02:e1:cb:00:71:0a->eth_src,"
        "set_field:0a:ff:00:00:00:01->eth_dst,goto_table:40\n");
    assert_flows(NULL, HT_TO_UPLINK,
        "table=40, priority=0, actions=drop\n"
        "table=40, priority=100, actions=output:9\n");
    /* No external gateway MAC: inbound only. */
    r1->external_gateway_mac = CONST_CAST(char *, "");
    compute();
    assert_flows(&h1->header_.uuid, HT_ROUTE, "");
    CU_ASSERT_EQUAL(owner_count(&h1->header_.uuid), 7);
    teardown();
}

/* p2 is on chassis hv2 (tunnel port 20) with key 7 there and holds h1:
 * this chassis reaches it and the HAVIP through the tunnel, answers ARP
 * for both, floods the subnet there too, and p1 claims the HAVIP. */
static void
test_remote_holder(void)
{
    setup();
    simap_find_and_delete(&ofports, "p2");
    p2->chassis = CONST_CAST(char *, "hv2");
    int64_t key = 7;
    p2->tunnel_key = &key;
    p2->n_tunnel_key = 1;
    h1->holder = p2;
    compute();
    assert_flows(&h1->header_.uuid, HT_L3,
        "table=35, priority=100, ip,metadata=VPC1,nw_dst=10.0.1.100, "
        "actions=set_field:0a:00:00:00:01:0c->eth_dst,"
        "set_field:0x7->tun_id,output:20\n");
    assert_flows(&h1->header_.uuid, HT_ARP_RESPONDER,
        "table=20, priority=100, arp,reg6=S1,metadata=VPC1,"
        "arp_tpa=10.0.1.100,arp_op=1, "
        ARP_REPLY("0a:00:00:00:01:0c", "10.0.1.100"));
    assert_flows(&h1->header_.uuid, HT_PORT_SEC_L3,
        "table=11, priority=100, reg4=0xa000164,in_port=1, "
        "actions=goto_table:13\n");
    assert_flows(&p2->header_.uuid, HT_L2,
        "table=30, priority=50, reg6=S1,metadata=VPC1,"
        "dl_dst=0a:00:00:00:01:0c, actions=set_field:0x7->tun_id,"
        "output:20\n");
    assert_flows(&p2->header_.uuid, HT_L3,
        "table=35, priority=100, ip,metadata=VPC1,nw_dst=10.0.1.12, "
        "actions=set_field:0a:00:00:00:01:0c->eth_dst,"
        "set_field:0x7->tun_id,output:20\n");
    /* No port security or ingress for a port elsewhere. */
    assert_flows(&p2->header_.uuid, HT_CLASSIFY, "");
    assert_flows(&p2->header_.uuid, HT_PORT_SEC_L3, "");
    assert_flows(&s1->header_.uuid, HT_L2,
        "table=30, priority=100, reg6=S1,metadata=VPC1,"
        "dl_dst=01:00:00:00:00:00/01:00:00:00:00:00, "
        "actions=output:1,set_field:0x7->tun_id,output:20\n"
        "table=30, priority=110, ip,reg6=S1,metadata=VPC1,"
        "dl_dst=0a:00:00:00:00:01, actions=dec_ttl,goto_table:31\n");

    /* Its chassis unreachable (no tunnel): no holder here, a counted
     * drop. */
    simap_find_and_delete(&tunnels, "hv2");
    compute();
    assert_flows(&h1->header_.uuid, HT_L3,
        "table=35, priority=100, ip,metadata=VPC1,nw_dst=10.0.1.100, "
        "actions=drop\n");
    CU_ASSERT_EQUAL(owner_count(&p2->header_.uuid), 0);
    p2->tunnel_key = NULL;
    p2->n_tunnel_key = 0;
    teardown();
}

/* Tunnels in: to table 1, then by key to the local port; the uplink key
 * goes out of the active gateway's uplink. */
static void
test_tunnels_in(void)
{
    setup();
    compute();
    assert_flows(&p1->header_.uuid, HT_FROM_TUNNEL,
        "table=1, priority=100, tun_id=0x1, actions=output:1\n");
    assert_flows(NULL, HT_CLASSIFY,
        "table=0, priority=0, actions=drop\n"
        "table=0, priority=100, in_port=1, actions=set_field:VPC1->metadata,"
        "set_field:S1->reg6,goto_table:10\n"
        "table=0, priority=100, in_port=2, actions=set_field:VPC1->metadata,"
        "set_field:S1->reg6,goto_table:10\n"
        "table=0, priority=100, in_port=20, actions=goto_table:1\n"
        "table=0, priority=100, in_port=21, actions=goto_table:1\n"
        "table=0, priority=100, in_port=3, actions=set_field:VPC1->metadata,"
        "set_field:S2->reg6,goto_table:10\n"
        "table=0, priority=100, in_port=9,vlan_tci=0x0000/0x1fff, "
        "actions=goto_table:5\n");
    assert_flows(&(struct uuid) { .parts = { 0 } }, HT_FROM_TUNNEL,
        "table=1, priority=0, actions=drop\n"
        "table=1, priority=100, tun_id=0xffffff, actions=output:9\n");
    teardown();
}

/* The gateway roles: a standby gateway keeps its EIP flows but neither
 * listens on its uplink nor sends out of it (SNATed traffic goes to the
 * active gateway, hv3); a chassis without an uplink has no EIP flows but
 * SNATs its own ports' traffic; with no gateway at all, that is dropped. */
static void
test_gateway_roles(void)
{
    setup();
    local.active_gateway = false;
    local.gateway_tunnel = u16_to_ofp(21);
    compute();
    assert_flows(NULL, HT_TO_UPLINK,
        "table=40, priority=0, actions=drop\n"
        "table=40, priority=100, actions=set_field:0xffffff->tun_id,"
        "output:21\n");
    CU_ASSERT_EQUAL(owner_count(&h1->header_.uuid), 8);
    char *classify = flows_of(NULL, HT_CLASSIFY);
    CU_ASSERT_PTR_NULL(strstr(classify, "in_port=9"));
    free(classify);
    assert_flows(&(struct uuid) { .parts = { 0 } }, HT_FROM_TUNNEL,
        "table=1, priority=0, actions=drop\n");

    local.uplink = OFPP_NONE;
    compute();
    assert_flows(&h1->header_.uuid, HT_UPLINK, "");
    assert_flows(&h1->header_.uuid, HT_ROUTE,
        "table=31, priority=50, ip,metadata=VPC1,nw_src=10.0.1.100, "
        "actions=set_field:203.0.113.10->ip_src,"
        "set_field:02:e1:cb:00:71:0a->eth_src,"
        "set_field:0a:ff:00:00:00:01->eth_dst,goto_table:40\n");
    CU_ASSERT_EQUAL(owner_count(&h1->header_.uuid), 6);

    local.gateway_tunnel = OFPP_NONE;
    compute();
    assert_flows(NULL, HT_TO_UPLINK, "table=40, priority=0, actions=drop\n");
    teardown();
}

/* A chassis without an uplink computes flows only for the VPCs of its
 * ports, and needs tunnels only to the chassis of their ports. */
static void
test_relevant_vpcs(void)
{
    setup();
    struct nbrec_port *q = add_port("q", s3, "0a:00:00:00:03:0b",
                                    "10.0.1.50");
    q->chassis = CONST_CAST(char *, "hv3");
    p2->chassis = CONST_CAST(char *, "hv2");
    simap_find_and_delete(&ofports, "p2");
    local.uplink = OFPP_NONE;

    struct uuidset vpcs = UUIDSET_INITIALIZER(&vpcs);
    CU_ASSERT(havip_pipeline_vpcs(&world, &local, &vpcs));
    CU_ASSERT_EQUAL(uuidset_count(&vpcs), 1);
    CU_ASSERT(uuidset_contains(&vpcs, &vpc1->header_.uuid));
    pipeline.vpcs = &vpcs;
    compute();
    CU_ASSERT_EQUAL(owner_count(&s3->header_.uuid), 0);
    CU_ASSERT(owner_count(&s1->header_.uuid) > 0);

    struct sset needed = SSET_INITIALIZER(&needed);
    havip_pipeline_chassis_needed(&pipeline, &needed);
    CU_ASSERT_EQUAL(sset_count(&needed), 1);
    CU_ASSERT(sset_contains(&needed, "hv2"));
    sset_destroy(&needed);

    /* A gateway chassis needs every VPC. */
    local.uplink = u16_to_ofp(9);
    uuidset_clear(&vpcs);
    CU_ASSERT(!havip_pipeline_vpcs(&world, &local, &vpcs));
    uuidset_destroy(&vpcs);
    pipeline.vpcs = NULL;
    teardown();
}

static void
test_port_security(void)
{
    setup();
    compute();
    /* Own IP to the responder; HAVIP IP: holder p1 to HT_HOLDER_ARP, p2 to
     * HT_CLAIM; p3 (not associated) may not use it. */
    assert_flows(NULL, HT_PORT_SEC_L3,
        "table=11, priority=0, actions=drop\n"
        "table=11, priority=100, reg4=0xa00010b,in_port=1, "
        "actions=goto_table:20\n"
        "table=11, priority=100, reg4=0xa00010c,in_port=2, "
        "actions=goto_table:20\n"
        "table=11, priority=100, reg4=0xa000164,in_port=1, "
        "actions=goto_table:12\n"
        "table=11, priority=100, reg4=0xa000164,in_port=2, "
        "actions=goto_table:13\n"
        "table=11, priority=100, reg4=0xa00020b,in_port=3, "
        "actions=goto_table:20\n");
    assert_flows(&p1->header_.uuid, HT_PORT_SEC_L2,
        "table=10, priority=100, arp,in_port=1,vlan_tci=0x0000/0x1fff,"
        "dl_src=0a:00:00:00:01:0b,arp_sha=0a:00:00:00:01:0b, "
        "actions=move:NXM_OF_ARP_SPA[]->NXM_NX_REG4[],goto_table:11\n"
        "table=10, priority=100, ip,in_port=1,vlan_tci=0x0000/0x1fff,"
        "dl_src=0a:00:00:00:01:0b, "
        "actions=move:NXM_OF_IP_SRC[]->NXM_NX_REG4[],goto_table:11\n");
    teardown();
}

static void
test_no_holder(void)
{
    setup();
    h1->holder = NULL;
    compute();
    /* Dropped (counted by this flow), and ARP for it not answered. */
    assert_flows(&h1->header_.uuid, HT_L3,
        "table=35, priority=100, ip,metadata=VPC1,nw_dst=10.0.1.100, "
        "actions=drop\n");
    assert_flows(&h1->header_.uuid, HT_ARP_RESPONDER, "");
    teardown();
}

static void
test_refused_binding(void)
{
    setup();
    h1->eip = e2;               /* Rule 1: e2 is in another region. */
    compute();
    assert_flows(&h1->header_.uuid, HT_UPLINK, "");
    assert_flows(&h1->header_.uuid, HT_ROUTE, "");
    /* The HAVIP itself still works inside the VPC. */
    CU_ASSERT_EQUAL(owner_count(&h1->header_.uuid), 5);

    h1->eip = e1;
    h1->holder = p3;            /* Rule 6: not associated. */
    compute();
    assert_flows(&h1->header_.uuid, HT_L3,
        "table=35, priority=100, ip,metadata=VPC1,nw_dst=10.0.1.100, "
        "actions=drop\n");

    h1->holder = p1;
    h1->ip = CONST_CAST(char *, "10.0.1.12");  /* Rule 5: p2's IP. */
    compute();
    CU_ASSERT_EQUAL(owner_count(&h1->header_.uuid), 0);
    CU_ASSERT_EQUAL(owner_count(&p2->header_.uuid), 0);
    CU_ASSERT(owner_count(&p1->header_.uuid) > 0);
    teardown();
}

static void
test_not_local(void)
{
    setup();
    simap_find_and_delete(&ofports, "p2");
    compute();
    CU_ASSERT_EQUAL(owner_count(&p2->header_.uuid), 0);
    assert_flows(&s1->header_.uuid, HT_L2,
        "table=30, priority=100, reg6=S1,metadata=VPC1,"
        "dl_dst=01:00:00:00:00:00/01:00:00:00:00:00, actions=output:1\n"
        "table=30, priority=110, ip,reg6=S1,metadata=VPC1,"
        "dl_dst=0a:00:00:00:00:01, actions=dec_ttl,goto_table:31\n");
    /* No uplink: no EIP flows at all. */
    local.uplink = OFPP_NONE;
    compute();
    assert_flows(NULL, HT_UPLINK, "table=5, priority=0, actions=drop\n");
    teardown();
}

/* Returns the number of flows in 'a' that are not in 'b' with the same
 * actions. */
static size_t
count_missing(const struct hflow_table *a, const struct hflow_table *b)
{
    const struct hflow *f;
    size_t n = 0;

    HMAP_FOR_EACH (f, node, &a->flows) {
        const struct hflow *g = hflow_table_find(b, f->table_id,
                                                 f->priority, &f->match);
        if (!g || !hflow_actions_equal(g, f->ofpacts, f->ofpacts_len)
            || g->cookie != f->cookie) {
            n++;
        }
    }
    return n;
}

/* A holder change recomputed for that HAVIP alone gives exactly the flows
 * of a full recompute, and changes four flows. */
static void
test_incremental_holder_change(void)
{
    struct hflow_table before;

    setup();
    compute();
    hflow_table_init(&before);
    havip_pipeline_compute_all(&(struct havip_pipeline) {
        .local = &local, .rows = &world, .verdicts = &verdicts,
        .flows = &before });

    h1->holder = p2;
    hflow_table_remove_owner(&flows, &h1->header_.uuid);
    havip_pipeline_havip(&pipeline, h1);

    struct hflow_table full;
    hflow_table_init(&full);
    havip_pipeline_compute_all(&(struct havip_pipeline) {
        .local = &local, .rows = &world, .verdicts = &verdicts,
        .flows = &full });
    CU_ASSERT_EQUAL(hflow_table_count(&full), hflow_table_count(&flows));
    CU_ASSERT_EQUAL(count_missing(&full, &flows), 0);
    CU_ASSERT_EQUAL(count_missing(&flows, &full), 0);
    CU_ASSERT_EQUAL(count_missing(&flows, &before), 4);
    CU_ASSERT_EQUAL(count_missing(&before, &flows), 4);

    hflow_table_destroy(&full);
    hflow_table_destroy(&before);
    teardown();
}

/* Every flow survives encoding to OpenFlow 1.5 and decoding unchanged, so
 * the controller can compare its flows with the switch's. */
static void
test_openflow_round_trip(void)
{
    const struct hflow *f;

    setup();
    compute();
    HMAP_FOR_EACH (f, node, &flows.flows) {
        struct ofputil_flow_mod fm, fm2;
        struct ofpbuf ofpacts, a, b;

        hflow_to_flow_mod(f, OFPFC_ADD, &fm);
        struct ofpbuf *msg = ofputil_encode_flow_mod(&fm,
                                                     OFPUTIL_P_OF15_OXM);
        ofpbuf_init(&ofpacts, 64);
        enum ofperr error = ofputil_decode_flow_mod(&fm2, msg->data,
                                                    OFPUTIL_P_OF15_OXM,
                                                    NULL, NULL, &ofpacts,
                                                    OFPP_MAX, 255);
        if (error) {
            struct ds x = DS_EMPTY_INITIALIZER;
            hflow_format(f, &x);
            fprintf(stderr, "%s: %s\n", ofperr_to_string(error),
                    ds_cstr(&x));
            ds_destroy(&x);
        }
        CU_ASSERT_EQUAL_FATAL(error, 0);
        CU_ASSERT(minimatch_equal(&fm2.match, &f->match));
        CU_ASSERT_EQUAL(fm2.priority, f->priority);
        CU_ASSERT_EQUAL(fm2.table_id, f->table_id);
        CU_ASSERT_EQUAL(ntohll(fm2.new_cookie), f->cookie);

        ofpbuf_init(&a, 64);
        ofpbuf_init(&b, 64);
        hflow_encode_actions(f->ofpacts, f->ofpacts_len, &a);
        hflow_encode_actions(fm2.ofpacts, fm2.ofpacts_len, &b);
        CU_ASSERT(ofpbuf_equal(&a, &b));

        ofpbuf_uninit(&a);
        ofpbuf_uninit(&b);
        minimatch_destroy(&fm2.match);
        ofpbuf_uninit(&ofpacts);
        ofpbuf_delete(msg);
    }
    teardown();
}

/* Flows per HAVIP+EIP binding stay at 8 however many bindings share the
 * two ports, and a conflict is counted, never silently overwritten. */
static void
test_flows_per_binding(void)
{
    enum { N = 150 };
    char names[N][16], ips[N][16], eips[N][16];
    struct nbrec_havip *havips[N];

    setup();
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "hv%d", i);
        snprintf(ips[i], sizeof ips[i], "10.0.1.%d", 101 + i);
        snprintf(eips[i], sizeof eips[i], "203.0.114.%d", i);
        havips[i] = add_havip(names[i], s1, ips[i]);
        havip_associate(havips[i], p1);
        havip_associate(havips[i], p2);
        havips[i]->holder = p2;
        havips[i]->eip = add_eip(eips[i], r1, eips[i]);
    }
    compute();
    CU_ASSERT_EQUAL(havip_verdicts_count(&verdicts), 0);
    for (int i = 0; i < N; i++) {
        CU_ASSERT_EQUAL(owner_count(&havips[i]->header_.uuid), 8);
    }
    CU_ASSERT_EQUAL(flows.n_conflicts, 0);
    teardown();
}

/* A learned holder (an override, before the database has it) programs the
 * same flows as the database saying so; options:learn=false sends the
 * non-holder's claims to the table that never reaches the controller. */
static void
test_holder_override_and_learn_option(void)
{
    struct hmap overrides = HMAP_INITIALIZER(&overrides);
    struct havip_holder_override o;

    setup();
    o.port = p2;
    o.havip = h1->header_.uuid;
    hmap_insert(&overrides, &o.node, uuid_hash(&o.havip));
    pipeline.holder_overrides = &overrides;
    compute();
    char *learned = flows_of(&h1->header_.uuid, -1);

    pipeline.holder_overrides = NULL;
    h1->holder = p2;
    compute();
    char *stored = flows_of(&h1->header_.uuid, -1);
    CU_ASSERT_STRING_EQUAL(learned, stored);
    assert_flows(&h1->header_.uuid, HT_PORT_SEC_L3,
        "table=11, priority=100, reg4=0xa000164,in_port=1, "
        "actions=goto_table:13\n"
        "table=11, priority=100, reg4=0xa000164,in_port=2, "
        "actions=goto_table:12\n");
    assert_flows(&(struct uuid) { .parts = { 0 } }, HT_ARP_RESPONDER,
        "table=20, priority=0, actions=goto_table:30\n");
    assert_flows(NULL, HT_CLAIM,
        "table=13, priority=0, actions=goto_table:20\n"
        "table=13, priority=10, arp,arp_op=1, actions=controller("
        "max_len=128,meter_id=1),goto_table:30\n"
        "table=13, priority=10, arp,arp_op=2, actions=controller("
        "max_len=128,meter_id=1),goto_table:30\n"
        "table=13, priority=5, arp, actions=drop\n");
    assert_flows(NULL, HT_CLAIM_NOLEARN,
        "table=14, priority=0, actions=goto_table:20\n"
        "table=14, priority=10, arp,arp_op=1, actions=goto_table:30\n"
        "table=14, priority=10, arp,arp_op=2, actions=goto_table:30\n"
        "table=14, priority=5, arp, actions=drop\n");

    smap_add(&h1->options, "learn", "false");
    compute();
    assert_flows(&h1->header_.uuid, HT_PORT_SEC_L3,
        "table=11, priority=100, reg4=0xa000164,in_port=1, "
        "actions=goto_table:14\n"
        "table=11, priority=100, reg4=0xa000164,in_port=2, "
        "actions=goto_table:12\n");
    free(learned);
    free(stored);
    hmap_destroy(&overrides);
    teardown();
}

/* Equal inputs give equal recipes; a holder change changes only that
 * HAVIP's recipe; a recipe's flows are the row's flows. */
static void
test_recipes(void)
{
    struct havip_recipe a, b, c;

    setup();
    compute();
    CU_ASSERT_TRUE(havip_recipe_havip(&pipeline, h1, &a));
    CU_ASSERT_TRUE(havip_recipe_havip(&pipeline, h1, &b));
    CU_ASSERT_TRUE(havip_recipe_equal(&a, &b));
    havip_recipe_clone(&c, &a);
    CU_ASSERT_TRUE(havip_recipe_equal(&a, &c));
    havip_recipe_destroy(&b);

    h1->holder = p2;
    CU_ASSERT_TRUE(havip_recipe_havip(&pipeline, h1, &b));
    CU_ASSERT_FALSE(havip_recipe_equal(&a, &b));

    struct hflow_table t;
    hflow_table_init(&t);
    havip_recipe_emit(&a, &t);
    CU_ASSERT_EQUAL(hflow_table_count(&t), owner_count(&h1->header_.uuid));
    hflow_table_destroy(&t);

    /* A port on another chassis has no recipe. */
    simap_find_and_delete(&ofports, "p3");
    struct havip_recipe d;
    CU_ASSERT_FALSE(havip_recipe_port(&pipeline, p3, &d));
    havip_recipe_destroy(&d);

    havip_recipe_destroy(&a);
    havip_recipe_destroy(&b);
    havip_recipe_destroy(&c);
    teardown();
}

static void
test_conflict_counted(void)
{
    struct uuid a, b;
    struct match m;
    struct ofpbuf ofpacts;

    hflow_table_init(&flows);
    uuid_generate(&a);
    uuid_generate(&b);
    match_init_catchall(&m);
    ofpbuf_init(&ofpacts, 0);
    CU_ASSERT_TRUE(hflow_table_add(&flows, &a, 1, 10, &m, &ofpacts));
    CU_ASSERT_TRUE(hflow_table_add(&flows, &a, 1, 10, &m, &ofpacts));
    CU_ASSERT_FALSE(hflow_table_add(&flows, &b, 1, 10, &m, &ofpacts));
    CU_ASSERT_EQUAL(flows.n_conflicts, 1);
    CU_ASSERT_EQUAL(hflow_table_count(&flows), 1);
    CU_ASSERT_PTR_NOT_NULL(flows.last_conflict);
    hflow_table_remove_owner(&flows, &a);
    CU_ASSERT_EQUAL(hflow_table_count(&flows), 0);
    ofpbuf_uninit(&ofpacts);
    hflow_table_destroy(&flows);
}

/* Every table the pipeline writes to (flows and goto_table) has a name
 * and purpose in flows/tables.c, which havip-trace and the docs use, and
 * that list has no table the pipeline does not use. */
static void
test_table_names(void)
{
    bool used[256] = { false };
    const struct hflow *f;

    setup();
    compute();
    HMAP_FOR_EACH (f, node, &flows.flows) {
        const struct ofpact *a;

        used[f->table_id] = true;
        CU_ASSERT_PTR_NOT_NULL(havip_table_find(f->table_id));
        OFPACT_FOR_EACH (a, f->ofpacts, f->ofpacts_len) {
            if (a->type == OFPACT_GOTO_TABLE) {
                uint8_t id = ofpact_get_GOTO_TABLE(a)->table_id;

                CU_ASSERT_PTR_NOT_NULL(havip_table_find(id));
            }
        }
    }
    for (size_t i = 0; i < havip_n_tables; i++) {
        CU_ASSERT(used[havip_tables[i].id]);
        CU_ASSERT(!i || havip_tables[i - 1].id < havip_tables[i].id);
    }
    CU_ASSERT_STRING_EQUAL(havip_table_name(HT_L3), "L3 delivery");
    CU_ASSERT_STRING_EQUAL(havip_table_name(99), "unknown");
    teardown();
}

void
unit_pipeline_register(void)
{
    CU_pSuite suite = CU_add_suite("pipeline", NULL, NULL);

    CU_add_test(suite, "EIP inbound: ARP and DNAT", test_eip_inbound);
    CU_add_test(suite, "EIP outbound: SNAT", test_eip_outbound);
    CU_add_test(suite, "port security", test_port_security);
    CU_add_test(suite, "holder on another chassis", test_remote_holder);
    CU_add_test(suite, "tunnels in", test_tunnels_in);
    CU_add_test(suite, "gateway roles", test_gateway_roles);
    CU_add_test(suite, "relevant VPCs and chassis", test_relevant_vpcs);
    CU_add_test(suite, "no holder: counted drop", test_no_holder);
    CU_add_test(suite, "refused bindings", test_refused_binding);
    CU_add_test(suite, "ports on other chassis, no uplink",
                test_not_local);
    CU_add_test(suite, "holder change: incremental == full",
                test_incremental_holder_change);
    CU_add_test(suite, "OpenFlow 1.5 round trip", test_openflow_round_trip);
    CU_add_test(suite, "flows per binding", test_flows_per_binding);
    CU_add_test(suite, "conflicts counted", test_conflict_counted);
    CU_add_test(suite, "recipes", test_recipes);
    CU_add_test(suite, "learned holder, options:learn",
                test_holder_override_and_learn_option);
    CU_add_test(suite, "table names", test_table_names);
}
