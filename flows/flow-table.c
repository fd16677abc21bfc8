/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

/* A set of OpenFlow flows keyed by (table, priority, match), each owned by
 * one row.  See havip-flow-table.h. */

#include <config.h>
#include "havip-flow-table.h"

#include <stdlib.h>
#include <string.h>
#include "byte-order.h"
#include "hash.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/util.h"
#include "util.h"
#include "uuid.h"

void
hflow_table_init(struct hflow_table *t)
{
    hmap_init(&t->flows);
    hmap_init(&t->owners);
    t->n_conflicts = 0;
    t->last_conflict = NULL;
}

static void
hflow_destroy(struct hflow *f)
{
    minimatch_destroy(&f->match);
    free(f->ofpacts);
    free(f);
}

void
hflow_table_clear(struct hflow_table *t)
{
    struct hflow_owner *o;

    HMAP_FOR_EACH_POP (o, node, &t->owners) {
        struct hflow *f;

        LIST_FOR_EACH_POP (f, list_node, &o->flows) {
            hmap_remove(&t->flows, &f->node);
            hflow_destroy(f);
        }
        free(o);
    }
}

void
hflow_table_destroy(struct hflow_table *t)
{
    if (t) {
        hflow_table_clear(t);
        hmap_destroy(&t->flows);
        hmap_destroy(&t->owners);
        free(t->last_conflict);
    }
}

size_t
hflow_table_count(const struct hflow_table *t)
{
    return hmap_count(&t->flows);
}

uint32_t
hflow_hash(uint8_t table_id, uint16_t priority, const struct minimatch *m)
{
    return minimatch_hash(m, hash_int(table_id << 16 | priority, 0));
}

uint64_t
hflow_cookie(const struct uuid *owner)
{
    return HFLOW_COOKIE | owner->parts[0];
}

static struct hflow_owner *
owner_find(const struct hflow_table *t, const struct uuid *uuid)
{
    struct hflow_owner *o;

    HMAP_FOR_EACH_WITH_HASH (o, node, uuid_hash(uuid), &t->owners) {
        if (uuid_equals(&o->uuid, uuid)) {
            return o;
        }
    }
    return NULL;
}

struct hflow *
hflow_table_find(const struct hflow_table *t, uint8_t table_id,
                 uint16_t priority, const struct minimatch *m)
{
    struct hflow *f;

    HMAP_FOR_EACH_WITH_HASH (f, node, hflow_hash(table_id, priority, m),
                             &t->flows) {
        if (f->table_id == table_id && f->priority == priority
            && minimatch_equal(&f->match, m)) {
            return f;
        }
    }
    return NULL;
}

bool
hflow_actions_equal(const struct hflow *f, const struct ofpact *ofpacts,
                    size_t ofpacts_len)
{
    return ofpacts_equal(f->ofpacts, f->ofpacts_len, ofpacts, ofpacts_len);
}

/* Adds the flow (table 'table_id', 'priority', 'match', 'ofpacts') owned by
 * 'owner'.  Returns true if it was added or the same owner already had the
 * identical flow; false, counting a conflict, if another owner has the key
 * or the same owner has it with other actions. */
bool
hflow_table_add(struct hflow_table *t, const struct uuid *owner,
                uint8_t table_id, uint16_t priority,
                const struct match *match, const struct ofpbuf *ofpacts)
{
    struct hflow *f = xmalloc(sizeof *f);
    struct match normalized = *match;

    /* The switch matches Ethernet packets only unless told otherwise, and
     * says so in the flows it reports. */
    match_set_default_packet_type(&normalized);
    minimatch_init(&f->match, &normalized);
    f->table_id = table_id;
    f->priority = priority;
    f->cookie = hflow_cookie(owner);

    struct hflow *old = hflow_table_find(t, table_id, priority, &f->match);
    if (old) {
        bool same = (uuid_equals(&old->owner->uuid, owner)
                     && hflow_actions_equal(old, ofpacts->data,
                                            ofpacts->size));
        if (!same) {
            struct ds s = DS_EMPTY_INITIALIZER;

            t->n_conflicts++;
            ds_put_format(&s, "row "UUID_FMT" and row "UUID_FMT" both "
                          "want flow ", UUID_ARGS(&old->owner->uuid),
                          UUID_ARGS(owner));
            hflow_format(old, &s);
            free(t->last_conflict);
            t->last_conflict = ds_steal_cstr(&s);
        }
        minimatch_destroy(&f->match);
        free(f);
        return same;
    }

    struct hflow_owner *o = owner_find(t, owner);
    if (!o) {
        o = xmalloc(sizeof *o);
        o->uuid = *owner;
        ovs_list_init(&o->flows);
        hmap_insert(&t->owners, &o->node, uuid_hash(owner));
    }
    f->owner = o;
    f->ofpacts = xmemdup(ofpacts->data, ofpacts->size);
    f->ofpacts_len = ofpacts->size;
    ovs_list_push_back(&o->flows, &f->list_node);
    hmap_insert(&t->flows, &f->node,
                hflow_hash(table_id, priority, &f->match));
    return true;
}

/* Removes every flow owned by 'uuid'. */
void
hflow_table_remove_owner(struct hflow_table *t, const struct uuid *uuid)
{
    struct hflow_owner *o = owner_find(t, uuid);
    struct hflow *f;

    if (!o) {
        return;
    }
    LIST_FOR_EACH_POP (f, list_node, &o->flows) {
        hmap_remove(&t->flows, &f->node);
        hflow_destroy(f);
    }
    hmap_remove(&t->owners, &o->node);
    free(o);
}

bool
hflow_table_has_owner(const struct hflow_table *t, const struct uuid *uuid)
{
    return owner_find(t, uuid) != NULL;
}

/* Appends 'f' to 's' as ovs-ofctl would print it, without counters. */
void
hflow_format(const struct hflow *f, struct ds *s)
{
    struct match match;
    struct ofpact_format_params fp = { .s = s };

    minimatch_expand(&f->match, &match);
    ds_put_format(s, "table=%"PRIu8", priority=%"PRIu16", ",
                  f->table_id, f->priority);
    size_t len = s->length;
    match_format(&match, NULL, s, OFP_DEFAULT_PRIORITY);
    if (s->length > len) {
        ds_put_cstr(s, ", ");
    }
    ds_put_cstr(s, "actions=");
    ofpacts_format(f->ofpacts, f->ofpacts_len, &fp);
}

static int
compare_lines(const void *a_, const void *b_)
{
    const char *const *a = a_;
    const char *const *b = b_;
    return strcmp(*a, *b);
}

/* Appends every flow of 't' to 's', one per line, in a stable order (by
 * table, then priority descending, then text). */
void
hflow_table_format(const struct hflow_table *t, struct ds *s)
{
    size_t n = hmap_count(&t->flows);
    char **lines = xmalloc(MAX(n, 1) * sizeof *lines);
    const struct hflow *f;
    size_t i = 0;

    HMAP_FOR_EACH (f, node, &t->flows) {
        struct ds line = DS_EMPTY_INITIALIZER;

        ds_put_format(&line, "%03"PRIu8" %05d ", f->table_id,
                      65535 - f->priority);
        hflow_format(f, &line);
        lines[i++] = ds_steal_cstr(&line);
    }
    qsort(lines, n, sizeof *lines, compare_lines);
    for (i = 0; i < n; i++) {
        ds_put_format(s, "%s\n", lines[i] + 10);
        free(lines[i]);
    }
    free(lines);
}

/* Fills 'fm' to send 'f' to the switch with 'command' (OFPFC_ADD,
 * OFPFC_MODIFY_STRICT or OFPFC_DELETE_STRICT).  'fm' borrows the match and
 * actions of 'f'. */
void
hflow_to_flow_mod(const struct hflow *f, uint16_t command,
                  struct ofputil_flow_mod *fm)
{
    *fm = (struct ofputil_flow_mod) {
        .match = f->match,
        .priority = f->priority,
        .table_id = f->table_id,
        .command = command,
        .buffer_id = UINT32_MAX,
        .out_port = OFPP_ANY,
        .out_group = OFPG_ANY,
        .ofpacts = f->ofpacts,
        .ofpacts_len = f->ofpacts_len,
    };
    if (command == OFPFC_DELETE_STRICT) {
        fm->cookie = htonll(f->cookie);
        fm->cookie_mask = OVS_BE64_MAX;
        fm->new_cookie = OVS_BE64_MAX;
        fm->ofpacts = NULL;
        fm->ofpacts_len = 0;
    } else {
        fm->new_cookie = htonll(f->cookie);
        fm->modify_cookie = command != OFPFC_ADD;
    }
}

/* Appends 'ofpacts' to 'out' as OpenFlow 1.5 instructions.  Two action
 * lists that encode to the same bytes do the same thing on the switch,
 * whatever form each was built or decoded in. */
void
hflow_encode_actions(const struct ofpact *ofpacts, size_t ofpacts_len,
                     struct ofpbuf *out)
{
    ofpacts_put_openflow_instructions(ofpacts, ofpacts_len, out,
                                      OFP15_VERSION);
}
