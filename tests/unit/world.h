/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

#ifndef HAVIP_UNIT_WORLD_H
#define HAVIP_UNIT_WORLD_H 1

/* Hand-built HAVIP_Northbound rows for unit tests: zeroed IDL structs with
 * fresh UUIDs, linked as the IDL would link them. */

#include "havip-rules.h"

extern struct havip_nb_rows world;

/* The standard world of world_setup(): region r1 (external gateway MAC
 * 0a:ff:00:00:00:01) with vpc1 = subnets s1 10.0.1.0/24 (ports p1
 * 10.0.1.11, p2 10.0.1.12) and s2 10.0.2.0/24 (port p3 10.0.2.11); HAVIP
 * h1 10.0.1.100 in s1, associated with p1 and p2, held by p1, bound to EIP
 * e1 203.0.113.10.  Region r2 (no gateway MAC) with vpc2 = subnet s3
 * 10.0.1.0/24; EIP e2 198.51.100.10 in r2. */
extern struct nbrec_region *r1, *r2;
extern struct nbrec_vpc *vpc1, *vpc2;
extern struct nbrec_subnet *s1, *s2, *s3;
extern struct nbrec_port *p1, *p2, *p3;
extern struct nbrec_havip *h1;
extern struct nbrec_eip *e1, *e2;

void world_setup(void);
void world_teardown(void);

struct nbrec_region *add_region(const char *name, const char *gw_mac);
struct nbrec_vpc *add_vpc(const char *name, struct nbrec_region *);
struct nbrec_subnet *add_subnet(const char *name, struct nbrec_vpc *,
                                const char *cidr, const char *gateway_ip);
struct nbrec_port *add_port(const char *name, struct nbrec_subnet *,
                            const char *mac, const char *ip);
struct nbrec_havip *add_havip(const char *name, struct nbrec_subnet *,
                              const char *ip);
void havip_associate(struct nbrec_havip *, struct nbrec_port *);
struct nbrec_eip *add_eip(const char *name, struct nbrec_region *,
                          const char *ip);

#endif /* world.h */
