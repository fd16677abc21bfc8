/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

#ifndef HAVIP_RULES_H
#define HAVIP_RULES_H 1

/* The binding rules of DESIGN.md section 3, checked over a whole set of
 * HAVIP_Northbound rows.
 *
 * havip-nbctl runs havip_rules_check() on the database before and after its
 * commands and refuses a transaction that adds a violation; the controller
 * runs it on every recompute and programs nothing a violation names.  The
 * check reads only the rows it is given (no I/O), so unit tests build rows
 * by hand.
 *
 * Each violation is attached to one row (its UUID): the HAVIP or Port whose
 * binding is refused, the Subnet whose CIDR is bad, and so on.  One row may
 * have several violations. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "openvswitch/hmap.h"
#include "openvswitch/uuid.h"

struct nbrec_region;
struct nbrec_subnet;
struct nbrec_port;
struct nbrec_havip;
struct nbrec_eip;

enum havip_rule {
    HAVIP_RULE_SAME_REGION = 1,  /* EIP in the HAVIP's (port's) region. */
    HAVIP_RULE_EIP_FREE = 2,     /* EIP bound to no other HAVIP or port. */
    HAVIP_RULE_ONE_BINDING = 3,  /* One EIP per HAVIP, one binding/EIP. */
    HAVIP_RULE_BIND_TO_HAVIP = 4,/* eip-bind targets a HAVIP. */
    HAVIP_RULE_ADDRESSES = 5,    /* Valid, in subnet, no collision. */
    HAVIP_RULE_HOLDER = 6,       /* Holder is an associated port. */
    HAVIP_RULE_SAME_SUBNET = 7,  /* Associated ports in HAVIP's subnet. */
};

/* "same region", "EIP free", ...: the rule's short name. */
const char *havip_rule_name(enum havip_rule);

/* One broken rule. */
struct havip_violation {
    struct hmap_node node;      /* In havip_verdicts, by uuid_hash(&row). */
    struct uuid row;            /* The row that breaks 'rule'. */
    enum havip_rule rule;
    char *msg;                  /* "rule 2 (EIP free): EIP e1 is bound ..." */
};

/* All violations found in one check. */
struct havip_verdicts {
    struct hmap violations;     /* Contains "struct havip_violation"s. */
};

void havip_verdicts_init(struct havip_verdicts *);
void havip_verdicts_destroy(struct havip_verdicts *);
void havip_verdicts_clear(struct havip_verdicts *);
size_t havip_verdicts_count(const struct havip_verdicts *);
const struct havip_violation *havip_verdicts_find(
    const struct havip_verdicts *, const struct uuid *row);
const struct havip_violation *havip_verdicts_find_rule(
    const struct havip_verdicts *, const struct uuid *row, enum havip_rule);
bool havip_verdicts_has(const struct havip_verdicts *,
                        const struct havip_violation *);

/* The rows to check.  Arrays of borrowed pointers; rows reference each other
 * (Port.subnet, HAVIP.ports, ...) as the IDL gives them. */
struct havip_nb_rows {
    const struct nbrec_region **regions;
    size_t n_regions;
    const struct nbrec_subnet **subnets;
    size_t n_subnets;
    const struct nbrec_port **ports;
    size_t n_ports;
    const struct nbrec_havip **havips;
    size_t n_havips;
    const struct nbrec_eip **eips;
    size_t n_eips;
};

/* Checks every rule over 'rows' and adds each violation to 'verdicts'.
 * When two rows claim the same address (an IP in a VPC, a MAC in a subnet,
 * an EIP, overlapping CIDRs), both get a violation. */
void havip_rules_check(const struct havip_nb_rows *rows,
                       struct havip_verdicts *verdicts);

/* What two rows can both claim. */
enum havip_claim {
    HAVIP_CLAIM_IP,             /* 'addr': an IPv4 address in a VPC. */
    HAVIP_CLAIM_MAC,            /* 'addr': a MAC (as an integer) in a
                                 * subnet. */
    HAVIP_CLAIM_EIP,            /* An EIP's binding ('addr': its IPv4
                                 * address, or 0 if it has none). */
    HAVIP_CLAIM_CIDR,           /* Address space in a VPC ('addr' is 0). */
};

/* Who keeps an address that two rows claim, for a caller that knows what
 * is already in use (the controller: what it has programmed). */
struct havip_rules_prior {
    /* Returns true if 'row' is already programmed with claim 'kind' of
     * 'addr' (see enum havip_claim). */
    bool (*holds)(const void *aux, const struct uuid *row,
                  enum havip_claim kind, uint64_t addr);
    const void *aux;
};

/* Like havip_rules_check(), but of two rows that claim the same address
 * only the newcomer is refused: the one that 'prior' says holds it keeps
 * it; if both or neither do, the one with the smaller UUID keeps it.  So a
 * raw write that collides with a working binding never black-holes it. */
void havip_rules_check_prior(const struct havip_nb_rows *rows,
                             const struct havip_rules_prior *prior,
                             struct havip_verdicts *verdicts);

struct ovsdb_idl;

/* Fills 'rows' with every row of those tables in 'idl' (including rows
 * inserted or changed by an open transaction).  Free the arrays with
 * havip_nb_rows_destroy(). */
void havip_nb_rows_from_idl(const struct ovsdb_idl *idl,
                            struct havip_nb_rows *rows);
void havip_nb_rows_destroy(struct havip_nb_rows *rows);

/* The row of 'rows' named 'name' (or whose UUID is 'name'), or NULL. */
const struct nbrec_port *havip_nb_rows_find_port(const struct havip_nb_rows *,
                                                 const char *name);
const struct nbrec_havip *havip_nb_rows_find_havip(
    const struct havip_nb_rows *, const char *name);

/* Returns true if 'port' is one of the ports associated with 'havip'. */
bool havip_is_associated(const struct nbrec_havip *havip,
                         const struct nbrec_port *port);

/* The region a subnet belongs to, or NULL when the chain is broken. */
const struct nbrec_region *havip_subnet_region(const struct nbrec_subnet *);

#endif /* havip-rules.h */
