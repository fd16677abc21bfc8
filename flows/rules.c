/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

/* The binding rules of DESIGN.md section 3 over a whole set of rows.
 *
 * One pass over each table, with hash maps for the checks that span rows
 * (addresses that collide within a VPC, an EIP bound twice).  Rows are
 * visited sorted by name (havip_nb_rows_from_idl() sorts them), so that
 * when two rows collide the message always names them in the same order.
 *
 * When two rows collide, havip_rules_check() refuses both (havip-nbctl
 * cannot tell which came first); havip_rules_check_prior() refuses only
 * the newcomer, as its caller's 'prior' tells, so that a row written
 * behind the CLI's back never takes an address away from a binding that
 * works. */

#include <config.h>
#include "havip-rules.h"

#include <stdlib.h>
#include <string.h>
#include "havip-addr.h"
#include "hash.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/util.h"
#include "ovsdb/havip-nb-idl.h"
#include "packets.h"
#include "util.h"
#include "uuid.h"

const char *
havip_rule_name(enum havip_rule rule)
{
    switch (rule) {
    case HAVIP_RULE_SAME_REGION: return "same region";
    case HAVIP_RULE_EIP_FREE: return "EIP free";
    case HAVIP_RULE_ONE_BINDING: return "one binding per EIP";
    case HAVIP_RULE_BIND_TO_HAVIP: return "bind to the HAVIP";
    case HAVIP_RULE_ADDRESSES: return "addresses";
    case HAVIP_RULE_HOLDER: return "holder";
    case HAVIP_RULE_SAME_SUBNET: return "same subnet";
    }
    OVS_NOT_REACHED();
}

void
havip_verdicts_init(struct havip_verdicts *verdicts)
{
    hmap_init(&verdicts->violations);
}

void
havip_verdicts_clear(struct havip_verdicts *verdicts)
{
    struct havip_violation *v;

    HMAP_FOR_EACH_POP (v, node, &verdicts->violations) {
        free(v->msg);
        free(v);
    }
}

void
havip_verdicts_destroy(struct havip_verdicts *verdicts)
{
    if (verdicts) {
        havip_verdicts_clear(verdicts);
        hmap_destroy(&verdicts->violations);
    }
}

size_t
havip_verdicts_count(const struct havip_verdicts *verdicts)
{
    return hmap_count(&verdicts->violations);
}

/* Returns a violation of any rule by 'row', or NULL. */
const struct havip_violation *
havip_verdicts_find(const struct havip_verdicts *verdicts,
                    const struct uuid *row)
{
    const struct havip_violation *v;

    HMAP_FOR_EACH_WITH_HASH (v, node, uuid_hash(row),
                             &verdicts->violations) {
        if (uuid_equals(&v->row, row)) {
            return v;
        }
    }
    return NULL;
}

/* Returns the violation of 'rule' by 'row', or NULL. */
const struct havip_violation *
havip_verdicts_find_rule(const struct havip_verdicts *verdicts,
                         const struct uuid *row, enum havip_rule rule)
{
    const struct havip_violation *v;

    HMAP_FOR_EACH_WITH_HASH (v, node, uuid_hash(row),
                             &verdicts->violations) {
        if (uuid_equals(&v->row, row) && v->rule == rule) {
            return v;
        }
    }
    return NULL;
}

/* Returns true if 'verdicts' has a violation of the same rule by the same
 * row as 'v'. */
bool
havip_verdicts_has(const struct havip_verdicts *verdicts,
                   const struct havip_violation *v)
{
    return havip_verdicts_find_rule(verdicts, &v->row, v->rule) != NULL;
}

/* Adds a violation of 'rule' by 'row' unless one is already there. */
static void OVS_PRINTF_FORMAT(4, 5)
add_violation(struct havip_verdicts *verdicts, const struct uuid *row,
              enum havip_rule rule, const char *format, ...)
{
    if (havip_verdicts_find_rule(verdicts, row, rule)) {
        return;
    }

    struct havip_violation *v = xmalloc(sizeof *v);
    struct ds msg = DS_EMPTY_INITIALIZER;
    va_list args;

    ds_put_format(&msg, "rule %d (%s): ", rule, havip_rule_name(rule));
    va_start(args, format);
    ds_put_format_valist(&msg, format, args);
    va_end(args);

    v->row = *row;
    v->rule = rule;
    v->msg = ds_steal_cstr(&msg);
    hmap_insert(&verdicts->violations, &v->node, uuid_hash(row));
}

const struct nbrec_region *
havip_subnet_region(const struct nbrec_subnet *subnet)
{
    return subnet && subnet->vpc ? subnet->vpc->region : NULL;
}

/* A subnet's parsed addresses. */
struct subnet_info {
    struct hmap_node node;      /* In 'subnets', by uuid_hash(). */
    const struct nbrec_subnet *nb;
    struct havip_cidr cidr;
    ovs_be32 gateway_ip;
};

/* An IP (or MAC) and the first row that uses it, in one VPC (subnet). */
struct addr_user {
    struct hmap_node node;      /* In 'users', by hash of 'scope', 'addr'. */
    const struct uuid *scope;   /* VPC (for IPs) or Subnet (for MACs). */
    uint64_t addr;              /* IPv4 address or MAC, as an integer. */
    const struct uuid *row;     /* First row using 'addr'. */
    char *what;                 /* "port p1", "HAVIP h1". */
};

/* State of one havip_rules_check() run. */
struct rules_ctx {
    struct havip_verdicts *verdicts;
    const struct havip_rules_prior *prior; /* NULL: refuse both. */
    struct hmap subnets;        /* Contains "struct subnet_info"s. */
    struct subnet_info **subnet_list; /* Same, in the order checked. */
    size_t n_subnets;
    struct hmap ips;            /* Contains "struct addr_user"s, per VPC. */
    struct hmap macs;           /* Contains "struct addr_user"s, per subnet. */
    struct hmap eips;           /* Contains "struct addr_user"s, per EIP. */
};

static const struct subnet_info *
subnet_info_find(const struct rules_ctx *ctx, const struct nbrec_subnet *nb)
{
    const struct subnet_info *si;

    if (!nb) {
        return NULL;
    }
    HMAP_FOR_EACH_WITH_HASH (si, node, uuid_hash(&nb->header_.uuid),
                             &ctx->subnets) {
        if (si->nb == nb) {
            return si;
        }
    }
    return NULL;
}

/* Records that 'row', described as 'what', uses 'addr' within 'scope'.
 * Returns the description of an earlier user of the same address, or
 * NULL. */
static struct addr_user *
addr_claim(struct hmap *users, const struct uuid *scope, uint64_t addr,
           const struct uuid *row, const char *what)
{
    uint32_t hash = hash_uint64_basis(addr, uuid_hash(scope));
    struct addr_user *u;

    HMAP_FOR_EACH_WITH_HASH (u, node, hash, users) {
        if (u->addr == addr && uuid_equals(u->scope, scope)) {
            return u;
        }
    }
    u = xmalloc(sizeof *u);
    u->scope = scope;
    u->addr = addr;
    u->row = row;
    u->what = xstrdup(what);
    hmap_insert(users, &u->node, hash);
    return NULL;
}

/* Rows 'first' (which claimed it first in this check) and 'second' both
 * claim 'addr' of 'kind'.  Sets '*first_loses' and '*second_loses' to
 * which of them must be refused: both without a prior; otherwise the one
 * that does not hold it already, or if both or neither do, the one with
 * the greater UUID. */
static void
collision(const struct rules_ctx *ctx, const struct uuid *first,
          const struct uuid *second, enum havip_claim kind, uint64_t addr,
          bool *first_loses, bool *second_loses)
{
    const struct havip_rules_prior *prior = ctx->prior;

    if (!prior) {
        *first_loses = *second_loses = true;
        return;
    }

    bool a = prior->holds(prior->aux, first, kind, addr);
    bool b = prior->holds(prior->aux, second, kind, addr);
    if (a == b) {
        a = uuid_compare_3way(first, second) <= 0;
    }
    *first_loses = !a;
    *second_loses = a;
}

/* After collision(): if the first user of 'u' lost to 'row' ('what'),
 * 'row' becomes the user that later claims are compared with. */
static void
addr_user_replace(struct addr_user *u, bool first_loses, bool second_loses,
                  const struct uuid *row, const char *what)
{
    if (first_loses && !second_loses) {
        u->row = row;
        free(u->what);
        u->what = xstrdup(what);
    }
}

static void
addr_users_destroy(struct hmap *users)
{
    struct addr_user *u;

    HMAP_FOR_EACH_POP (u, node, users) {
        free(u->what);
        free(u);
    }
    hmap_destroy(users);
}

static void
check_region(struct rules_ctx *ctx, const struct nbrec_region *region)
{
    const char *mac = region->external_gateway_mac;
    struct eth_addr ea;

    if (mac[0]) {
        char *error = havip_parse_mac(mac, &ea);
        if (error) {
            add_violation(ctx->verdicts, &region->header_.uuid,
                          HAVIP_RULE_ADDRESSES,
                          "region %s: external gateway MAC %s",
                          region->name, error);
            free(error);
        }
    }
}

/* Parses 'subnet' into ctx->subnets when its CIDR and gateway are valid;
 * otherwise records why not. */
static void
check_subnet(struct rules_ctx *ctx, const struct nbrec_subnet *subnet)
{
    const struct uuid *row = &subnet->header_.uuid;
    struct havip_cidr cidr;
    ovs_be32 gateway_ip;
    struct eth_addr mac;
    char *error;

    error = havip_parse_cidr(subnet->cidr, &cidr);
    if (!error) {
        error = havip_parse_ip(subnet->gateway_ip, &gateway_ip);
    }
    if (!error) {
        error = havip_check_host_ip(gateway_ip, &cidr, htonl(0));
    }
    if (!error) {
        error = havip_parse_mac(subnet->gateway_mac, &mac);
    }
    if (error) {
        add_violation(ctx->verdicts, row, HAVIP_RULE_ADDRESSES,
                      "subnet %s: %s", subnet->name, error);
        free(error);
        return;
    }

    /* Subnets of one VPC must not overlap. */
    for (size_t i = 0; i < ctx->n_subnets; ) {
        struct subnet_info *other = ctx->subnet_list[i];
        unsigned int plen = MIN(cidr.plen, other->cidr.plen);
        ovs_be32 mask = be32_prefix_mask(plen);
        bool other_loses, this_loses;

        if (other->nb->vpc != subnet->vpc
            || (cidr.net & mask) != (other->cidr.net & mask)) {
            i++;
            continue;
        }
        collision(ctx, &other->nb->header_.uuid, row, HAVIP_CLAIM_CIDR, 0,
                  &other_loses, &this_loses);
        if (this_loses) {
            add_violation(ctx->verdicts, row, HAVIP_RULE_ADDRESSES,
                          "subnet %s (%s) overlaps subnet %s (%s) in "
                          "VPC %s", subnet->name, subnet->cidr,
                          other->nb->name, other->nb->cidr,
                          subnet->vpc ? subnet->vpc->name : "?");
        }
        if (other_loses) {
            add_violation(ctx->verdicts, &other->nb->header_.uuid,
                          HAVIP_RULE_ADDRESSES,
                          "subnet %s (%s) overlaps subnet %s (%s) in "
                          "VPC %s", other->nb->name, other->nb->cidr,
                          subnet->name, subnet->cidr,
                          subnet->vpc ? subnet->vpc->name : "?");
        }
        if (this_loses) {
            return;
        }
        /* The other subnet gives way: this one may take its place.  The
         * last one moves to slot 'i', which is looked at next. */
        hmap_remove(&ctx->subnets, &other->node);
        ctx->n_subnets--;
        ctx->subnet_list[i] = ctx->subnet_list[ctx->n_subnets];
        free(other);
    }

    struct subnet_info *si = xmalloc(sizeof *si);
    si->nb = subnet;
    si->cidr = cidr;
    si->gateway_ip = gateway_ip;
    hmap_insert(&ctx->subnets, &si->node, uuid_hash(row));
    ctx->subnet_list[ctx->n_subnets++] = si;
}

/* Checks the IP address 'ip_s' of the host described as 'what' (a port or
 * a HAVIP, row 'row') in 'subnet'. */
static void
check_host_ip(struct rules_ctx *ctx, const struct uuid *row,
              const char *what, const struct nbrec_subnet *subnet,
              const char *ip_s)
{
    const struct subnet_info *si = subnet_info_find(ctx, subnet);
    ovs_be32 ip;
    char *error;

    error = havip_parse_ip(ip_s, &ip);
    if (!error && si) {
        error = havip_check_host_ip(ip, &si->cidr, si->gateway_ip);
    }
    if (error) {
        add_violation(ctx->verdicts, row, HAVIP_RULE_ADDRESSES,
                      "%s: %s", what, error);
        free(error);
        return;
    }
    if (!si || !subnet->vpc) {
        /* The subnet has its own violation. */
        return;
    }

    const struct uuid *vpc = &subnet->vpc->header_.uuid;
    struct addr_user *u = addr_claim(&ctx->ips, vpc, ntohl(ip), row, what);
    if (u) {
        const char *vpc_name = subnet->vpc->name;
        bool first_loses, second_loses;

        collision(ctx, u->row, row, HAVIP_CLAIM_IP, ntohl(ip),
                  &first_loses, &second_loses);
        if (second_loses) {
            add_violation(ctx->verdicts, row, HAVIP_RULE_ADDRESSES,
                          "%s: "IP_FMT" is also used by %s in VPC %s",
                          what, IP_ARGS(ip), u->what, vpc_name);
        }
        if (first_loses) {
            add_violation(ctx->verdicts, u->row, HAVIP_RULE_ADDRESSES,
                          "%s: "IP_FMT" is also used by %s in VPC %s",
                          u->what, IP_ARGS(ip), what, vpc_name);
        }
        addr_user_replace(u, first_loses, second_loses, row, what);
    }
}

/* Checks that EIP 'eip', bound to the object 'what' (row 'row') in
 * 'subnet', is in the same region and bound to nothing else. */
static void
check_eip_binding(struct rules_ctx *ctx, const struct uuid *row,
                  const char *what, const struct nbrec_subnet *subnet,
                  const struct nbrec_eip *eip)
{
    const struct nbrec_region *region = havip_subnet_region(subnet);

    if (region && eip->region != region) {
        add_violation(ctx->verdicts, row, HAVIP_RULE_SAME_REGION,
                      "EIP %s is in region %s but %s is in region %s",
                      eip->name, eip->region ? eip->region->name : "?",
                      what, region->name);
    }

    const struct uuid *eip_uuid = &eip->header_.uuid;
    struct addr_user *u = addr_claim(&ctx->eips, eip_uuid, 0, row, what);
    if (u) {
        bool first_loses, second_loses;
        ovs_be32 ip = 0;
        char *error = havip_parse_ip(eip->ip, &ip);

        free(error);            /* The EIP has its own violation. */
        collision(ctx, u->row, row, HAVIP_CLAIM_EIP, ntohl(ip),
                  &first_loses, &second_loses);
        if (second_loses) {
            add_violation(ctx->verdicts, row, HAVIP_RULE_ONE_BINDING,
                          "EIP %s is bound to both %s and %s",
                          eip->name, u->what, what);
        }
        if (first_loses) {
            add_violation(ctx->verdicts, u->row, HAVIP_RULE_ONE_BINDING,
                          "EIP %s is bound to both %s and %s",
                          eip->name, u->what, what);
        }
        addr_user_replace(u, first_loses, second_loses, row, what);
    }
}

static void
check_port(struct rules_ctx *ctx, const struct nbrec_port *port)
{
    const struct uuid *row = &port->header_.uuid;
    char *what = xasprintf("port %s", port->name);
    struct eth_addr mac;
    char *error;

    error = havip_parse_mac(port->mac, &mac);
    if (error) {
        add_violation(ctx->verdicts, row, HAVIP_RULE_ADDRESSES,
                      "%s: %s", what, error);
        free(error);
    } else if (port->subnet) {
        uint64_t addr = eth_addr_to_uint64(mac);
        struct addr_user *u;

        u = addr_claim(&ctx->macs, &port->subnet->header_.uuid, addr,
                       row, what);
        if (u) {
            bool first_loses, second_loses;

            collision(ctx, u->row, row, HAVIP_CLAIM_MAC, addr,
                      &first_loses, &second_loses);
            if (second_loses) {
                add_violation(ctx->verdicts, row, HAVIP_RULE_ADDRESSES,
                              "%s: MAC %s is also used by %s in subnet %s",
                              what, port->mac, u->what, port->subnet->name);
            }
            if (first_loses) {
                add_violation(ctx->verdicts, u->row, HAVIP_RULE_ADDRESSES,
                              "%s: MAC %s is also used by %s in subnet %s",
                              u->what, port->mac, what, port->subnet->name);
            }
            addr_user_replace(u, first_loses, second_loses, row, what);
        }
    }
    check_host_ip(ctx, row, what, port->subnet, port->ip);
    if (port->eip) {
        check_eip_binding(ctx, row, what, port->subnet, port->eip);
    }
    free(what);
}

static void
check_havip(struct rules_ctx *ctx, const struct nbrec_havip *havip)
{
    const struct uuid *row = &havip->header_.uuid;
    char *what = xasprintf("HAVIP %s", havip->name);

    check_host_ip(ctx, row, what, havip->subnet, havip->ip);
    if (havip->eip) {
        check_eip_binding(ctx, row, what, havip->subnet, havip->eip);
    }
    for (size_t i = 0; i < havip->n_ports; i++) {
        const struct nbrec_port *port = havip->ports[i];
        if (port->subnet != havip->subnet) {
            add_violation(ctx->verdicts, row, HAVIP_RULE_SAME_SUBNET,
                          "port %s (subnet %s) is associated with %s in "
                          "subnet %s", port->name,
                          port->subnet ? port->subnet->name : "?", what,
                          havip->subnet ? havip->subnet->name : "?");
        }
    }
    if (havip->holder && !havip_is_associated(havip, havip->holder)) {
        add_violation(ctx->verdicts, row, HAVIP_RULE_HOLDER,
                      "holder %s of %s is not one of its associated ports",
                      havip->holder->name, what);
    }
    free(what);
}

static void
check_eip(struct rules_ctx *ctx, const struct nbrec_eip *eip)
{
    ovs_be32 ip;
    char *error = havip_parse_ip(eip->ip, &ip);

    if (error) {
        add_violation(ctx->verdicts, &eip->header_.uuid,
                      HAVIP_RULE_ADDRESSES, "EIP %s: %s", eip->name, error);
        free(error);
    }
}

void
havip_rules_check(const struct havip_nb_rows *rows,
                  struct havip_verdicts *verdicts)
{
    havip_rules_check_prior(rows, NULL, verdicts);
}

void
havip_rules_check_prior(const struct havip_nb_rows *rows,
                        const struct havip_rules_prior *prior,
                        struct havip_verdicts *verdicts)
{
    struct rules_ctx ctx = {
        .verdicts = verdicts,
        .prior = prior,
        .subnets = HMAP_INITIALIZER(&ctx.subnets),
        .ips = HMAP_INITIALIZER(&ctx.ips),
        .macs = HMAP_INITIALIZER(&ctx.macs),
        .eips = HMAP_INITIALIZER(&ctx.eips),
    };

    for (size_t i = 0; i < rows->n_regions; i++) {
        check_region(&ctx, rows->regions[i]);
    }
    ctx.subnet_list = xmalloc(MAX(rows->n_subnets, 1)
                              * sizeof *ctx.subnet_list);
    for (size_t i = 0; i < rows->n_subnets; i++) {
        check_subnet(&ctx, rows->subnets[i]);
    }
    for (size_t i = 0; i < rows->n_eips; i++) {
        check_eip(&ctx, rows->eips[i]);
    }
    for (size_t i = 0; i < rows->n_ports; i++) {
        check_port(&ctx, rows->ports[i]);
    }
    for (size_t i = 0; i < rows->n_havips; i++) {
        check_havip(&ctx, rows->havips[i]);
    }

    struct subnet_info *si;
    HMAP_FOR_EACH_POP (si, node, &ctx.subnets) {
        free(si);
    }
    hmap_destroy(&ctx.subnets);
    free(ctx.subnet_list);
    addr_users_destroy(&ctx.ips);
    addr_users_destroy(&ctx.macs);
    addr_users_destroy(&ctx.eips);
}
