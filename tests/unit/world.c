/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

/* Hand-built HAVIP_Northbound rows for unit tests. */

#include <config.h>
#include "world.h"

#include <stdlib.h>
#include <string.h>
#include "ovsdb/havip-nb-idl.h"
#include "smap.h"
#include "util.h"
#include "uuid.h"

/* A hand-built set of rows.  Rows are zeroed structs with a fresh UUID;
 * the checker reads only their columns. */
struct havip_nb_rows world;

/* VPCs are not in 'world' (the checker reaches them through subnets). */
static struct nbrec_vpc **vpcs;
static size_t n_vpcs;

#define APPEND(ARRAY, N, ROW)                                           \
    do {                                                                \
        (ARRAY) = xrealloc((void *) (ARRAY),                            \
                           ((N) + 1) * sizeof *(ARRAY));                \
        (ARRAY)[(N)++] = (ROW);                                         \
    } while (0)

static void *
new_row(size_t size)
{
    struct ovsdb_idl_row *row = xzalloc(size);
    uuid_generate(&row->uuid);
    return row;
}

struct nbrec_region *
add_region(const char *name, const char *gw_mac)
{
    struct nbrec_region *r = new_row(sizeof *r);
    r->name = CONST_CAST(char *, name);
    r->external_gateway_mac = CONST_CAST(char *, gw_mac);
    APPEND(world.regions, world.n_regions, r);
    return r;
}

struct nbrec_vpc *
add_vpc(const char *name, struct nbrec_region *region)
{
    struct nbrec_vpc *v = new_row(sizeof *v);
    v->name = CONST_CAST(char *, name);
    v->region = region;
    APPEND(vpcs, n_vpcs, v);
    return v;
}

struct nbrec_subnet *
add_subnet(const char *name, struct nbrec_vpc *vpc, const char *cidr,
           const char *gw)
{
    struct nbrec_subnet *s = new_row(sizeof *s);
    s->name = CONST_CAST(char *, name);
    s->vpc = vpc;
    s->cidr = CONST_CAST(char *, cidr);
    s->gateway_ip = CONST_CAST(char *, gw);
    s->gateway_mac = CONST_CAST(char *, "0a:00:00:00:00:01");
    APPEND(world.subnets, world.n_subnets, s);
    return s;
}

struct nbrec_port *
add_port(const char *name, struct nbrec_subnet *subnet, const char *mac,
         const char *ip)
{
    struct nbrec_port *p = new_row(sizeof *p);
    p->name = CONST_CAST(char *, name);
    p->subnet = subnet;
    p->mac = CONST_CAST(char *, mac);
    p->ip = CONST_CAST(char *, ip);
    APPEND(world.ports, world.n_ports, p);
    return p;
}

struct nbrec_havip *
add_havip(const char *name, struct nbrec_subnet *subnet, const char *ip)
{
    struct nbrec_havip *h = new_row(sizeof *h);
    h->name = CONST_CAST(char *, name);
    h->subnet = subnet;
    h->ip = CONST_CAST(char *, ip);
    smap_init(&h->options);
    APPEND(world.havips, world.n_havips, h);
    return h;
}

void
havip_associate(struct nbrec_havip *h, struct nbrec_port *p)
{
    APPEND(h->ports, h->n_ports, p);
}

struct nbrec_eip *
add_eip(const char *name, struct nbrec_region *region, const char *ip)
{
    struct nbrec_eip *e = new_row(sizeof *e);
    e->name = CONST_CAST(char *, name);
    e->region = region;
    e->ip = CONST_CAST(char *, ip);
    APPEND(world.eips, world.n_eips, e);
    return e;
}

/* Objects of the standard world built by world_setup(). */
struct nbrec_region *r1, *r2;
struct nbrec_vpc *vpc1, *vpc2;
struct nbrec_subnet *s1, *s2, *s3;
struct nbrec_port *p1, *p2, *p3;
struct nbrec_havip *h1;
struct nbrec_eip *e1, *e2;

/* One region with a VPC of two subnets, a HAVIP with two associated
 * ports, one holding it, bound to EIP e1; a second region and VPC. */
void
world_setup(void)
{
    memset(&world, 0, sizeof world);

    r1 = add_region("r1", "0a:ff:00:00:00:01");
    r2 = add_region("r2", "");
    vpc1 = add_vpc("vpc1", r1);
    vpc2 = add_vpc("vpc2", r2);
    s1 = add_subnet("s1", vpc1, "10.0.1.0/24", "10.0.1.1");
    s2 = add_subnet("s2", vpc1, "10.0.2.0/24", "10.0.2.1");
    s3 = add_subnet("s3", vpc2, "10.0.1.0/24", "10.0.1.1");
    p1 = add_port("p1", s1, "0a:00:00:00:01:0b", "10.0.1.11");
    p2 = add_port("p2", s1, "0a:00:00:00:01:0c", "10.0.1.12");
    p3 = add_port("p3", s2, "0a:00:00:00:02:0b", "10.0.2.11");
    h1 = add_havip("h1", s1, "10.0.1.100");
    havip_associate(h1, p1);
    havip_associate(h1, p2);
    h1->holder = p1;
    e1 = add_eip("e1", r1, "203.0.113.10");
    e2 = add_eip("e2", r2, "198.51.100.10");
    h1->eip = e1;
}

static void
free_rows(void **rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rows[i]);
    }
    free(rows);
}

void
world_teardown(void)
{
    for (size_t i = 0; i < world.n_havips; i++) {
        struct nbrec_havip *h = CONST_CAST(struct nbrec_havip *,
                                           world.havips[i]);
        free(h->ports);
        smap_destroy(&h->options);
    }
    free_rows((void **) vpcs, n_vpcs);
    vpcs = NULL;
    n_vpcs = 0;
    free_rows((void **) world.regions, world.n_regions);
    free_rows((void **) world.subnets, world.n_subnets);
    free_rows((void **) world.ports, world.n_ports);
    free_rows((void **) world.havips, world.n_havips);
    free_rows((void **) world.eips, world.n_eips);
}

