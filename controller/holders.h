/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

#ifndef HOLDERS_H
#define HOLDERS_H 1

/* Holders learned on this chassis, and the writes that tell the database.
 *
 * When an associated port that is not the holder sends an ARP for its
 * HAVIP's IP (keepalived's gratuitous ARP on becoming master), the switch
 * sends it here.  holders_learn() records the port as the HAVIP's holder
 * at once; the desired flows use it (an override) before the database
 * knows, so traffic moves without waiting for a database round trip.
 * holders_write() then sets HAVIP.holder and HAVIP.status; once the
 * database says the same, the override is dropped.  The last claim
 * processed wins, locally and in the database.
 *
 * holders also keeps HAVIP.status equal to "in-use" when a HAVIP has a
 * holder and "available" when it has none. */

#include <stdbool.h>
#include "openvswitch/types.h"

struct havip_local;
struct havip_nb_rows;
struct hmap;
struct nbrec_havip;
struct nbrec_port;
struct ovsdb_idl;
struct ovsdb_idl_txn;
struct uuid;

struct holders *holders_create(void);
void holders_destroy(struct holders *);

void holders_reindex(struct holders *, const struct ovsdb_idl *,
                     const struct havip_nb_rows *,
                     const struct havip_local *);
const struct hmap *holders_overrides(const struct holders *);

bool holders_find_claim(const struct holders *, ofp_port_t, ovs_be32 spa,
                        const struct nbrec_havip **,
                        const struct nbrec_port **);
const struct nbrec_port *holders_current(const struct holders *,
                                        const struct nbrec_havip *);
const struct nbrec_port *holders_learned(const struct holders *,
                                        const struct nbrec_havip *);
void holders_learn(struct holders *, const struct nbrec_havip *,
                   const struct nbrec_port *);
void holders_settle(struct holders *, const struct nbrec_havip *);
void holders_check_status(struct holders *, const struct nbrec_havip *);
void holders_write(struct holders *, const struct ovsdb_idl *,
                   struct ovsdb_idl_txn *);
size_t holders_n_pending(const struct holders *);

#endif /* holders.h */
