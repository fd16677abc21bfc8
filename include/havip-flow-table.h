/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

#ifndef HAVIP_FLOW_TABLE_H
#define HAVIP_FLOW_TABLE_H 1

/* A set of OpenFlow flows, each owned by one HAVIP_Northbound row.
 *
 * Flows are keyed by (table, priority, match), as the switch keys them.
 * Each flow belongs to the row that caused it ('owner', a UUID; the zero
 * UUID owns the pipeline's fixed flows), so that when a row changes its
 * flows can be removed and computed again without touching the rest.
 * Two owners claiming the same key is a conflict: the first keeps it, the
 * table counts the conflict and remembers the last one for the log.
 *
 * The cookie of each flow is HFLOW_COOKIE with the owner's first 32 UUID
 * bits in the low bits, so 'ovs-ofctl dump-flows' shows which row a flow
 * came from and havip can find its own flows (cookie/HFLOW_COOKIE_MASK). */

#include <stdbool.h>
#include <stdint.h>
#include "openvswitch/hmap.h"
#include "openvswitch/list.h"
#include "openvswitch/match.h"
#include "openvswitch/uuid.h"

struct ds;
struct ofpbuf;
struct ofpact;

#define HFLOW_COOKIE      UINT64_C(0x4856000000000000)  /* "HV". */
#define HFLOW_COOKIE_MASK UINT64_C(0xffff000000000000)

/* One flow. */
struct hflow {
    struct hmap_node node;      /* In hflow_table 'flows'. */
    struct ovs_list list_node;  /* In owner's 'flows'. */
    struct hflow_owner *owner;  /* The row that made this flow. */
    uint64_t cookie;
    uint16_t priority;
    uint8_t table_id;
    struct minimatch match;
    struct ofpact *ofpacts;     /* Actions, owned. */
    size_t ofpacts_len;         /* Size of 'ofpacts' in bytes. */
};

/* The flows of one row. */
struct hflow_owner {
    struct hmap_node node;      /* In hflow_table 'owners'. */
    struct uuid uuid;
    struct ovs_list flows;      /* Contains "struct hflow"s. */
};

struct hflow_table {
    struct hmap flows;          /* Contains "struct hflow"s. */
    struct hmap owners;         /* Contains "struct hflow_owner"s. */
    uint64_t n_conflicts;       /* Flows refused because a key was taken. */
    char *last_conflict;        /* Description of the latest conflict. */
};

void hflow_table_init(struct hflow_table *);
void hflow_table_destroy(struct hflow_table *);
void hflow_table_clear(struct hflow_table *);
size_t hflow_table_count(const struct hflow_table *);

bool hflow_table_add(struct hflow_table *, const struct uuid *owner,
                     uint8_t table_id, uint16_t priority,
                     const struct match *, const struct ofpbuf *ofpacts);
void hflow_table_remove_owner(struct hflow_table *, const struct uuid *);
bool hflow_table_has_owner(const struct hflow_table *, const struct uuid *);
struct hflow *hflow_table_find(const struct hflow_table *, uint8_t table_id,
                               uint16_t priority, const struct minimatch *);

uint32_t hflow_hash(uint8_t table_id, uint16_t priority,
                    const struct minimatch *);
bool hflow_actions_equal(const struct hflow *, const struct ofpact *,
                         size_t ofpacts_len);
void hflow_format(const struct hflow *, struct ds *);
void hflow_table_format(const struct hflow_table *, struct ds *);
uint64_t hflow_cookie(const struct uuid *owner);

struct ofputil_flow_mod;
void hflow_to_flow_mod(const struct hflow *, uint16_t command,
                       struct ofputil_flow_mod *);
void hflow_encode_actions(const struct ofpact *, size_t ofpacts_len,
                          struct ofpbuf *out);

#endif /* havip-flow-table.h */
