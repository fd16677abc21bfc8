/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

#ifndef DESIRED_H
#define DESIRED_H 1

/* The desired flow table, computed from HAVIP_Northbound and the local
 * ports by the flows/ pipeline.
 *
 * desired_run() looks at what the NB IDL's change tracking says changed.
 * A change to only HAVIP.holder or HAVIP.status (a failover) recomputes
 * just those HAVIPs' flows: O(1) per failover whatever the number of
 * bindings.  Anything else (a row added or deleted, an address, a binding,
 * a local port) recomputes every row's recipe; only rows whose recipe
 * changed get new flows.  desired keeps recipes, not flows: flows are
 * emitted from recipes when they are pushed (old and new recipe, diffed)
 * and thrown away, so memory holds one small recipe per row. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "openvswitch/types.h"

struct ds;
struct havip_local;
struct hflow_table;
struct ovsdb_idl;
struct ofctrl;

struct holders;
struct nbrec_havip;
struct nbrec_port;
struct sset;

struct desired *desired_create(struct holders *);
void desired_destroy(struct desired *);

void desired_run(struct desired *, const struct ovsdb_idl *nb_idl,
                 const struct havip_local *, bool local_changed);
void desired_force_recompute(struct desired *);
void desired_update_fixed(struct desired *, const struct havip_local *);
bool desired_chassis_changed(const struct ovsdb_idl *nb_idl);
void desired_learn(struct desired *, const struct nbrec_havip *,
                   const struct nbrec_port *);

struct havip_nb_rows;
const struct havip_nb_rows *desired_rows(const struct desired *);
bool desired_has_changes(const struct desired *);
uint64_t desired_n_recomputes(const struct desired *);
uint64_t desired_n_incremental(const struct desired *);
void desired_count_bindings(struct desired *, const struct ovsdb_idl *,
                            size_t n[]);
void desired_count_refused(const struct desired *, size_t by_rule[],
                           size_t n);
const struct sset *desired_chassis_needed(const struct desired *);
size_t desired_eips(const struct desired *, ovs_be32 **eips);
long long int desired_dirty_since(const struct desired *);
void desired_push(struct desired *, struct ofctrl *, int64_t nb_cfg);

void desired_register_unixctl(struct desired *);
void desired_format_flows(const struct desired *, struct ds *);
void desired_format_status(const struct desired *, struct ds *);

#endif /* desired.h */
