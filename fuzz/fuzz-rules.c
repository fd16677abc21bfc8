/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

/* Fuzz target for the rule checker (flows/rules.c) and the flow pipeline
 * (flows/pipeline.c, flows/flow-table.c).
 *
 * The input is a program that builds a small world of HAVIP_Northbound
 * rows, as a raw 'ovsdb-client transact' could leave them (dangling
 * references aside, which the IDL never shows): regions, VPCs, subnets,
 * ports, HAVIPs and EIPs with addresses picked from a list of interesting
 * ones or taken raw from the input, associations, holders, EIP bindings,
 * learned holders, after the local facts of one chassis (local ports,
 * uplink, tunnels).  Input: two bytes of local facts (make_local()), then
 * up to 64 operations (run_op()), each an opcode byte and its fields.
 * Then, as the controller does, it checks the rules, computes every row's
 * flows and encodes them as flow mods.  Properties: no crash
 * or leak; the full computation equals the union of every row's recipe
 * (the controller keeps recipes and relies on that); a recipe equals its
 * clone; no flow is owned by a row the checker refused for its addresses;
 * rule 6 checked for one HAVIP alone (what a holder change re-checks)
 * agrees with the full check; a learned holder gives the flows the
 * database will give once it has the same holder. */

#include <config.h>
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>
#include "flow.h"
#include "havip-flow-table.h"
#include "havip-pipeline.h"
#include "havip-rules.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofpbuf.h"
#include "ovsdb/havip-nb-idl.h"
#include "simap.h"
#include "smap.h"
#include "sset.h"
#include "tests/unit/world.h"
#include "util.h"
#include "uuidset.h"

/* At most this many rows of each table, and this many operations. */
#define MAX_ROWS 8
#define MAX_OPS 64

/* Strings taken raw from the input, freed after each run. */
static char *raw_strings[MAX_OPS * 8];
static size_t n_raw_strings;

enum field {
    F_NAME, F_CIDR, F_IP, F_MAC, F_CHASSIS, F_LEARN, N_FIELDS
};

static const char *const names[] = {
    "r1", "r2", "vpc1", "s1", "s2", "p1", "p2", "p3", "h1", "h2", "e1", "",
};
static const char *const cidrs[] = {
    "10.0.1.0/24", "10.0.2.0/24", "10.0.1.0/25", "10.0.1.128/25",
    "10.0.0.0/16", "192.168.0.0/29", "10.0.1.5/24", "10.0.1.0/30",
    "0.0.0.0/0", "10.0.1.256/24", "", "x",
};
static const char *const ips[] = {
    "10.0.1.1", "10.0.1.11", "10.0.1.12", "10.0.1.100", "10.0.1.0",
    "10.0.1.255", "10.0.2.1", "10.0.2.11", "10.0.1.129", "192.168.0.1",
    "192.168.0.6", "203.0.113.10", "198.51.100.10", "", "10.0.1",
};
static const char *const macs[] = {
    "0a:00:00:00:01:0b", "0a:00:00:00:01:0c", "0a:00:00:00:02:0b",
    "0a:ff:00:00:00:01", "0A:00:00:00:01:0B", "01:00:5e:00:00:12",
    "00:00:00:00:00:00", "", "zz",
};
static const char *const chassis[] = { "hv1", "hv2", "hv3", "hv9", "" };
static const char *const learns[] = { "true", "false", "maybe" };

struct choices {
    const char *const *values;
    size_t n;
};

static const struct choices fields[N_FIELDS] = {
    [F_NAME] = { names, ARRAY_SIZE(names) },
    [F_CIDR] = { cidrs, ARRAY_SIZE(cidrs) },
    [F_IP] = { ips, ARRAY_SIZE(ips) },
    [F_MAC] = { macs, ARRAY_SIZE(macs) },
    [F_CHASSIS] = { chassis, ARRAY_SIZE(chassis) },
    [F_LEARN] = { learns, ARRAY_SIZE(learns) },
};

/* A string for 'field': one of the list (byte below 0xe0) or up to 31
 * raw bytes of input. */
static const char *
fuzz_string(struct fuzz_input *in, enum field field)
{
    uint8_t b = fuzz_u8(in);

    if (b < 0xe0 || n_raw_strings >= ARRAY_SIZE(raw_strings)) {
        return fields[field].values[b % fields[field].n];
    }

    const uint8_t *bytes;
    size_t n = fuzz_bytes(in, &bytes, b & 0x1f);
    char *s = xmemdup0((const char *) bytes, n);
    raw_strings[n_raw_strings++] = s;
    return s;
}

/* The rows of each table, in creation order (world.h keeps them too). */
struct rows {
    struct nbrec_region *regions[MAX_ROWS];
    struct nbrec_vpc *vpcs[MAX_ROWS];
    struct nbrec_subnet *subnets[MAX_ROWS];
    struct nbrec_port *ports[MAX_ROWS];
    struct nbrec_havip *havips[MAX_ROWS];
    struct nbrec_eip *eips[MAX_ROWS];
    size_t n_regions, n_vpcs, n_subnets, n_ports, n_havips, n_eips;
    struct hmap overrides;      /* Learned holders, by HAVIP. */
    struct havip_holder_override learned[MAX_ROWS];
    size_t n_learned;
};

/* One of the 'n' rows of 'array', or NULL (a missing reference). */
#define PICK(IN, ARRAY, N) pick(IN, (void **) (ARRAY), N)
static void *
pick(struct fuzz_input *in, void **array, size_t n)
{
    uint8_t b = fuzz_u8(in);

    return n && b < 0xf0 ? array[b % n] : NULL;
}

static int64_t tunnel_keys[MAX_ROWS];
static bool ups[MAX_ROWS];

static void
op_port(struct fuzz_input *in, struct rows *r)
{
    struct nbrec_subnet *subnet = PICK(in, r->subnets, r->n_subnets);
    const char *name = fuzz_string(in, F_NAME);
    const char *mac = fuzz_string(in, F_MAC);
    const char *ip = fuzz_string(in, F_IP);
    struct nbrec_port *p = add_port(name, subnet, mac, ip);
    size_t i = r->n_ports;
    uint8_t flags = fuzz_u8(in);

    r->ports[r->n_ports++] = p;
    if (flags & 1) {
        p->chassis = CONST_CAST(char *, fuzz_string(in, F_CHASSIS));
    }
    if (flags & 2) {
        tunnel_keys[i] = fuzz_u8(in) & 1 ? fuzz_u32(in) : fuzz_u8(in);
        p->tunnel_key = &tunnel_keys[i];
        p->n_tunnel_key = 1;
    }
    if (flags & 4) {
        ups[i] = flags & 8;
        p->up = &ups[i];
        p->n_up = 1;
    }
}

static void
op_havip(struct fuzz_input *in, struct rows *r)
{
    struct nbrec_subnet *subnet = PICK(in, r->subnets, r->n_subnets);
    const char *name = fuzz_string(in, F_NAME);
    const char *ip = fuzz_string(in, F_IP);
    struct nbrec_havip *h = add_havip(name, subnet, ip);

    r->havips[r->n_havips++] = h;
    if (fuzz_u8(in) & 1) {
        smap_add(&h->options, "learn", fuzz_string(in, F_LEARN));
    }
}

/* Runs one operation of the program; returns false when the input ends. */
static bool
run_op(struct fuzz_input *in, struct rows *r)
{
    if (!in->size) {
        return false;
    }

    uint8_t op = fuzz_u8(in) % 11;
    struct nbrec_havip *h;
    struct nbrec_port *p;
    switch (op) {
    case 0:
        if (r->n_regions < MAX_ROWS) {
            const char *name = fuzz_string(in, F_NAME);
            r->regions[r->n_regions++] = add_region(name,
                                                    fuzz_string(in, F_MAC));
        }
        break;
    case 1:
        if (r->n_vpcs < MAX_ROWS) {
            struct nbrec_region *region = PICK(in, r->regions, r->n_regions);
            r->vpcs[r->n_vpcs++] = add_vpc(fuzz_string(in, F_NAME), region);
        }
        break;
    case 2:
        if (r->n_subnets < MAX_ROWS) {
            struct nbrec_vpc *vpc = PICK(in, r->vpcs, r->n_vpcs);
            const char *name = fuzz_string(in, F_NAME);
            const char *cidr = fuzz_string(in, F_CIDR);
            const char *gw = fuzz_string(in, F_IP);
            struct nbrec_subnet *s = add_subnet(name, vpc, cidr, gw);

            s->gateway_mac = CONST_CAST(char *, fuzz_string(in, F_MAC));
            r->subnets[r->n_subnets++] = s;
        }
        break;
    case 3:
        if (r->n_ports < MAX_ROWS) {
            op_port(in, r);
        }
        break;
    case 4:
        if (r->n_havips < MAX_ROWS) {
            op_havip(in, r);
        }
        break;
    case 5:
        if (r->n_eips < MAX_ROWS) {
            struct nbrec_region *region = PICK(in, r->regions, r->n_regions);
            const char *name = fuzz_string(in, F_NAME);
            r->eips[r->n_eips++] = add_eip(name, region,
                                           fuzz_string(in, F_IP));
        }
        break;
    case 6:
        h = PICK(in, r->havips, r->n_havips);
        p = PICK(in, r->ports, r->n_ports);
        if (h && p && h->n_ports < MAX_ROWS) {
            havip_associate(h, p);
        }
        break;
    case 7:
        h = PICK(in, r->havips, r->n_havips);
        if (h) {
            h->holder = PICK(in, r->ports, r->n_ports);
        }
        break;
    case 8:
        h = PICK(in, r->havips, r->n_havips);
        if (h) {
            h->eip = PICK(in, r->eips, r->n_eips);
        }
        break;
    case 9:
        p = PICK(in, r->ports, r->n_ports);
        if (p) {
            p->eip = PICK(in, r->eips, r->n_eips);
        }
        break;
    case 10:
        h = PICK(in, r->havips, r->n_havips);
        p = PICK(in, r->ports, r->n_ports);
        if (h && p && r->n_learned < MAX_ROWS) {
            struct havip_holder_override *o = &r->learned[r->n_learned++];

            /* A second one for the same HAVIP is never found: harmless. */
            o->havip = h->header_.uuid;
            o->port = p;
            hmap_insert(&r->overrides, &o->node, uuid_hash(&o->havip));
        }
        break;
    }
    return true;
}

/* Every flow of 'a' is in 'b', with the same actions and owner. */
static void
check_subset(const struct hflow_table *a, const struct hflow_table *b)
{
    const struct hflow *f;

    HMAP_FOR_EACH (f, node, &a->flows) {
        const struct hflow *g = hflow_table_find(b, f->table_id, f->priority,
                                                 &f->match);

        fuzz_check(g, "flow of the full computation missing from recipes");
        fuzz_check(hflow_actions_equal(g, f->ofpacts, f->ofpacts_len),
                   "recipe flow with other actions");
        fuzz_check(uuid_equals(&g->owner->uuid, &f->owner->uuid),
                   "recipe flow with another owner");
    }
}

/* Emits 'r' into 'flows' after checking that it equals its clone. */
static void
emit_recipe(struct havip_recipe *r, struct hflow_table *flows)
{
    struct havip_recipe copy;

    havip_recipe_clone(&copy, r);
    fuzz_check(havip_recipe_equal(r, &copy), "recipe differs from clone");
    havip_recipe_emit(&copy, flows);
    havip_recipe_destroy(&copy);
}

/* Computes every row's recipe, as desired.c does, into 'flows'. */
static void
compute_recipes(const struct havip_pipeline *p, struct hflow_table *flows)
{
    const struct havip_nb_rows *rows = p->rows;
    struct havip_recipe r;

    havip_recipe_fixed(p, &r);
    emit_recipe(&r, flows);
    havip_recipe_destroy(&r);
    for (size_t i = 0; i < rows->n_subnets; i++) {
        if (havip_recipe_subnet(p, rows->subnets[i], &r)) {
            emit_recipe(&r, flows);
        }
        havip_recipe_destroy(&r);
    }
    for (size_t i = 0; i < rows->n_ports; i++) {
        if (havip_recipe_port(p, rows->ports[i], &r)) {
            emit_recipe(&r, flows);
        }
        havip_recipe_destroy(&r);
    }
    for (size_t i = 0; i < rows->n_havips; i++) {
        if (havip_recipe_havip(p, rows->havips[i], &r)) {
            emit_recipe(&r, flows);
        }
        havip_recipe_destroy(&r);
    }
}

/* Encodes every flow of 'flows' as the controller sends it, and formats
 * the table as flows/dump does. */
static void
encode_flows(const struct hflow_table *flows)
{
    const struct hflow *f;

    HMAP_FOR_EACH (f, node, &flows->flows) {
        struct ofputil_flow_mod fm;

        hflow_to_flow_mod(f, OFPFC_ADD, &fm);
        ofpbuf_delete(ofputil_encode_flow_mod(&fm,
                                              OFPUTIL_P_OF15_OXM));
        hflow_to_flow_mod(f, OFPFC_DELETE_STRICT, &fm);
        ofpbuf_delete(ofputil_encode_flow_mod(&fm,
                                              OFPUTIL_P_OF15_OXM));
    }

    struct ds s = DS_EMPTY_INITIALIZER;
    hflow_table_format(flows, &s);
    ds_destroy(&s);
}

/* The local facts, from the first two bytes of input: which ports are
 * here (a bit per port, by name as iface-id), the uplink, the tunnels.
 * Learned holders come from operation 10. */
static void
make_local(uint8_t here, uint8_t flags, const struct rows *r,
           struct havip_local *local, struct simap *ofports,
           struct simap *tunnels)
{
    for (size_t i = 0; i < r->n_ports; i++) {
        if (here & (1u << i)) {
            simap_put(ofports, r->ports[i]->name, i + 1);
        }
    }
    simap_put(tunnels, "hv2", 20);
    simap_put(tunnels, "hv3", 21);

    *local = (struct havip_local) {
        .ofports = ofports,
        .uplink = flags & 1 ? u16_to_ofp(9) : OFPP_NONE,
        .chassis = flags & 2 ? "hv1" : NULL,
        .tunnels = flags & 4 ? tunnels : NULL,
        .active_gateway = flags & 8,
        .gateway_tunnel = flags & 16 ? u16_to_ofp(20) : OFPP_NONE,
    };
}

/* A row refused for its addresses (rule 5) or for a HAVIP's ports in
 * another subnet (rule 7) has no flows at all. */
static void
check_refused_rows(const struct hflow_table *flows,
                   const struct havip_verdicts *verdicts)
{
    const struct havip_violation *v;

    HMAP_FOR_EACH (v, node, &verdicts->violations) {
        fuzz_check(v->msg && v->msg[0], "violation without a message");
        if (v->rule == HAVIP_RULE_ADDRESSES
            || v->rule == HAVIP_RULE_SAME_SUBNET) {
            fuzz_check(!hflow_table_has_owner(flows, &v->row),
                       "a row refused by rule 5 or 7 has flows");
        }
    }
}

/* desired.c, on a holder change alone, re-checks rule 6 for that HAVIP
 * over a world of just that row: its verdict must be the full check's. */
static void
check_holder_alone(const struct havip_verdicts *verdicts)
{
    for (size_t i = 0; i < world.n_havips; i++) {
        const struct nbrec_havip *havip = world.havips[i];
        const struct uuid *uuid = &havip->header_.uuid;
        struct havip_nb_rows one = { .havips = &havip, .n_havips = 1 };
        struct havip_verdicts found;

        havip_verdicts_init(&found);
        havip_rules_check(&one, &found);
        fuzz_check(!havip_verdicts_find_rule(&found, uuid, HAVIP_RULE_HOLDER)
                   == !havip_verdicts_find_rule(verdicts, uuid,
                                                HAVIP_RULE_HOLDER),
                   "rule 6 alone differs from the full check");
        havip_verdicts_destroy(&found);
    }
}

/* A learned holder (override) gives a HAVIP the flows it will have once
 * the database says the same: "flows first, then the database" must not
 * change the flows a second time.  Checked for each learned holder that
 * learning could have produced (an associated port). */
static void
check_learned_equals_database(struct rows *r, const struct havip_pipeline *p)
{
    for (size_t i = 0; i < r->n_learned; i++) {
        const struct havip_holder_override *o = &r->learned[i];
        struct nbrec_havip *havip = NULL;

        for (size_t j = 0; j < r->n_havips; j++) {
            if (uuid_equals(&r->havips[j]->header_.uuid, &o->havip)) {
                havip = r->havips[j];
            }
        }
        if (!havip || !havip_is_associated(havip, o->port)
            || havip_pipeline_holder(p, havip) != o->port) {
            continue;
        }

        struct havip_recipe learned, stored;
        bool has_learned = havip_recipe_havip(p, havip, &learned);

        struct nbrec_port *old_holder = havip->holder;
        havip->holder = CONST_CAST(struct nbrec_port *, o->port);
        struct havip_verdicts verdicts;
        havip_verdicts_init(&verdicts);
        havip_rules_check(&world, &verdicts);
        struct havip_pipeline db = *p;
        db.verdicts = &verdicts;
        db.holder_overrides = NULL;
        bool has_stored = havip_recipe_havip(&db, havip, &stored);
        havip->holder = old_holder;

        fuzz_check(has_learned == has_stored
                   && (!has_learned || havip_recipe_equal(&learned, &stored)),
                   "learned holder's flows differ from the database's");
        havip_recipe_destroy(&learned);
        havip_recipe_destroy(&stored);
        havip_verdicts_destroy(&verdicts);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size };
    struct rows r;

    fuzz_init();
    memset(&r, 0, sizeof r);
    hmap_init(&r.overrides);
    memset(&world, 0, sizeof world);
    memset(tunnel_keys, 0, sizeof tunnel_keys);

    uint8_t here = fuzz_u8(&in);
    uint8_t flags = fuzz_u8(&in);
    for (int i = 0; i < MAX_OPS && run_op(&in, &r); i++) {
        continue;
    }

    struct simap ofports = SIMAP_INITIALIZER(&ofports);
    struct simap tunnels = SIMAP_INITIALIZER(&tunnels);
    struct havip_local local;
    make_local(here, flags, &r, &local, &ofports, &tunnels);

    struct havip_verdicts verdicts;
    havip_verdicts_init(&verdicts);
    havip_rules_check(&world, &verdicts);

    struct uuidset vpcs = UUIDSET_INITIALIZER(&vpcs);
    bool some = havip_pipeline_vpcs(&world, &local, &vpcs);

    struct hflow_table full, recipes;
    hflow_table_init(&full);
    hflow_table_init(&recipes);
    struct havip_pipeline p = {
        .local = &local, .rows = &world, .verdicts = &verdicts,
        .holder_overrides = &r.overrides, .vpcs = some ? &vpcs : NULL,
        .flows = &full,
    };
    havip_pipeline_compute_all(&p);
    compute_recipes(&p, &recipes);
    fuzz_check(hflow_table_count(&full) == hflow_table_count(&recipes),
               "recipes and full computation differ in size");
    fuzz_check(full.n_conflicts == recipes.n_conflicts,
               "recipes and full computation differ in conflicts");
    check_subset(&full, &recipes);
    check_refused_rows(&full, &verdicts);
    check_holder_alone(&verdicts);
    check_learned_equals_database(&r, &p);
    encode_flows(&full);

    struct sset needed = SSET_INITIALIZER(&needed);
    havip_pipeline_chassis_needed(&p, &needed);
    sset_destroy(&needed);

    hflow_table_destroy(&recipes);
    hflow_table_destroy(&full);
    uuidset_destroy(&vpcs);
    havip_verdicts_destroy(&verdicts);
    hmap_destroy(&r.overrides);
    simap_destroy(&tunnels);
    simap_destroy(&ofports);
    world_teardown();
    for (size_t i = 0; i < n_raw_strings; i++) {
        free(raw_strings[i]);
    }
    n_raw_strings = 0;
    return 0;
}
