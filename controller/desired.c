/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

/* The desired flow table.  See desired.h. */

#include <config.h>
#include "desired.h"

#include <malloc.h>
#include <string.h>

#include "coverage.h"
#include "havip-flow-table.h"
#include "holders.h"
#include "metrics.h"
#include "switch-conn.h"
#include "openvswitch/ofp-flow.h"
#include "havip-pipeline.h"
#include "havip-rules.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "ovsdb-idl.h"
#include "ovsdb/havip-nb-idl.h"
#include "openvswitch/poll-loop.h"
#include "timeval.h"
#include "unixctl.h"
#include "util.h"
#include "sset.h"
#include "uuidset.h"

VLOG_DEFINE_THIS_MODULE(desired);

COVERAGE_DEFINE(desired_recompute);
COVERAGE_DEFINE(desired_incremental);
COVERAGE_DEFINE(binding_refused);
COVERAGE_DEFINE(flow_conflict);
COVERAGE_DEFINE(holder_db_change);

/* A recipe in 'installed' or 'pending'. */
struct recipe_node {
    struct hmap_node node;      /* By uuid_hash(&owner). */
    struct uuid owner;
    bool present;               /* In 'pending': false means "no flows". */
    struct havip_recipe r;      /* Valid if 'present'. */
};

struct desired {
    struct hmap installed;      /* Recipes given to ofctrl, by owner. */
    struct hmap pending;        /* Changes not given yet, by owner. */
    struct havip_nb_rows rows;  /* Valid until a row is added or deleted,
                                 * which forces a recompute. */
    struct havip_verdicts verdicts;
    bool need_recompute;        /* Next run recomputes everything. */
    long long int dirty_since;  /* time_usec() of the first change not yet
                                 * handed to ofctrl, or 0. */
    const struct havip_local *local;
    struct holders *holders;    /* Learned holders (not owned). */
    struct uuidset vpcs;        /* VPCs with flows here, if 'some_vpcs'. */
    bool some_vpcs;             /* False: every VPC (a gateway chassis). */
    struct sset chassis_needed; /* Other chassis with ports in them. */

    /* Which of two rows that claim one address keeps it (see
     * desired_holds()). */
    const struct ofctrl *switch_prior; /* Also ask the switch, or NULL. */
    size_t n_collisions;        /* In the last recompute. */
    const struct ovsdb_idl *nb_idl; /* Of the last desired_run(). */
    bool unlogged;              /* 'verdicts' not logged yet: computed
                                 * before the switch's flows were read. */

    /* Statistics. */
    uint64_t n_recomputes;
    uint64_t n_incremental;
    long long int last_recompute_msec;

    /* HAVIPs by state, for metrics: counted from 'rows', which are valid
     * only while the NB IDL is at 'rows_seqno', and counted again only
     * after something was staged. */
    unsigned int rows_seqno;    /* IDL seqno at the last desired_run(). */
    uint64_t n_staged;          /* stage() calls, ever. */
    uint64_t counted_staged;    /* 'n_staged' when last counted. */
    size_t n_bindings[METRICS_N_BINDING_STATES];
};

/* Creates the desired flow table; 'holders' gives it the holders learned
 * on this chassis. */
struct desired *
desired_create(struct holders *holders)
{
    struct desired *d = xzalloc(sizeof *d);

    d->holders = holders;
    hmap_init(&d->installed);
    hmap_init(&d->pending);
    havip_verdicts_init(&d->verdicts);
    uuidset_init(&d->vpcs);
    sset_init(&d->chassis_needed);
    d->need_recompute = true;
    d->counted_staged = UINT64_MAX;
    return d;
}

static void
recipe_node_destroy(struct recipe_node *rn)
{
    if (rn->present) {
        havip_recipe_destroy(&rn->r);
    }
    free(rn);
}

static void
recipes_clear(struct hmap *recipes)
{
    struct recipe_node *rn;

    HMAP_FOR_EACH_POP (rn, node, recipes) {
        recipe_node_destroy(rn);
    }
}

void
desired_destroy(struct desired *d)
{
    if (d) {
        recipes_clear(&d->installed);
        hmap_destroy(&d->installed);
        recipes_clear(&d->pending);
        hmap_destroy(&d->pending);
        havip_nb_rows_destroy(&d->rows);
        havip_verdicts_destroy(&d->verdicts);
        uuidset_destroy(&d->vpcs);
        sset_destroy(&d->chassis_needed);
        free(d);
    }
}

static struct recipe_node *
recipe_find(const struct hmap *recipes, const struct uuid *owner)
{
    struct recipe_node *rn;

    HMAP_FOR_EACH_WITH_HASH (rn, node, uuid_hash(owner), recipes) {
        if (uuid_equals(&rn->owner, owner)) {
            return rn;
        }
    }
    return NULL;
}

/* Records that 'owner' should now have the flows of 'r' (moved into the
 * desired state; the caller must not destroy it), or none if 'r' is NULL.
 * Nothing is recorded when that is what ofctrl already has. */
static void
stage(struct desired *d, const struct uuid *owner, struct havip_recipe *r)
{
    struct recipe_node *old = recipe_find(&d->installed, owner);
    struct recipe_node *pending = recipe_find(&d->pending, owner);

    d->n_staged++;
    if (pending) {
        hmap_remove(&d->pending, &pending->node);
        recipe_node_destroy(pending);
    }
    if (r ? old && havip_recipe_equal(&old->r, r) : !old) {
        if (r) {
            havip_recipe_destroy(r);
        }
        return;
    }

    struct recipe_node *rn = xmalloc(sizeof *rn);
    rn->owner = *owner;
    rn->present = r != NULL;
    if (r) {
        rn->r = *r;
    }
    hmap_insert(&d->pending, &rn->node, uuid_hash(owner));
    if (!d->dirty_since) {
        d->dirty_since = time_usec();
    }
}

void
desired_force_recompute(struct desired *d)
{
    d->need_recompute = true;
}

/* Logs each violation that was not in 'old'. */
static void
log_new_violations(const struct havip_verdicts *old,
                   const struct havip_verdicts *new)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(10, 10);
    const struct havip_violation *v;

    HMAP_FOR_EACH (v, node, &new->violations) {
        if (!havip_verdicts_has(old, v)) {
            COVERAGE_INC(binding_refused);
            VLOG_WARN_RL(&rl, "not programmed: %s", v->msg);
        }
    }
}

/* stage() for a row seen in a full recompute. */
static void
stage_row(struct desired *d, struct uuidset *seen, const struct uuid *owner,
          struct havip_recipe *r)
{
    uuidset_insert(seen, owner);
    stage(d, owner, r);
}

/* Returns true if the switch's flows just read from 'oc' include one of
 * 'row' (by its cookie) that matches on the claim 'kind' of 'addr' as its
 * source or destination (an IP or EIP, a MAC), or any of 'row' for a
 * CIDR. */
static bool
switch_holds(const struct ofctrl *oc, const struct uuid *row,
             enum havip_claim kind, uint64_t addr)
{
    const struct hflow_table *flows = ofctrl_switch_flows(oc);
    uint64_t cookie = hflow_cookie(row);
    const struct hflow *f;

    if (!flows) {
        return false;
    }
    HMAP_FOR_EACH (f, node, &flows->flows) {
        struct match m;

        if (f->cookie != cookie) {
            continue;
        }
        minimatch_expand(&f->match, &m);
        switch (kind) {
        case HAVIP_CLAIM_IP:
        case HAVIP_CLAIM_EIP:
            if ((m.wc.masks.nw_src == OVS_BE32_MAX
                 && ntohl(m.flow.nw_src) == addr)
                || (m.wc.masks.nw_dst == OVS_BE32_MAX
                    && ntohl(m.flow.nw_dst) == addr)) {
                return true;
            }
            break;
        case HAVIP_CLAIM_MAC:
            if ((eth_addr_is_broadcast(m.wc.masks.dl_src)
                 && eth_addr_to_uint64(m.flow.dl_src) == addr)
                || (eth_addr_is_broadcast(m.wc.masks.dl_dst)
                    && eth_addr_to_uint64(m.flow.dl_dst) == addr)) {
                return true;
            }
            break;
        case HAVIP_CLAIM_CIDR:
            return true;
        }
    }
    return false;
}

/* havip_rules_prior callback: returns true if 'row' has flows in ofctrl
 * that use the claim 'kind' of 'addr', so that a row that collides with
 * it is the one refused. */
static bool
desired_holds(const void *d_, const struct uuid *row, enum havip_claim kind,
              uint64_t addr)
{
    struct desired *d = CONST_CAST(struct desired *, d_);
    const struct recipe_node *rn = recipe_find(&d->installed, row);

    d->n_collisions++;
    if (!rn || !rn->present) {
        /* Just started: the switch's flows, read back, say what was
         * programmed before. */
        return d->switch_prior && switch_holds(d->switch_prior, row, kind,
                                               addr);
    }
    switch (kind) {
    case HAVIP_CLAIM_IP:
        return ((rn->r.type == HAVIP_RECIPE_PORT
                 || rn->r.type == HAVIP_RECIPE_HAVIP)
                && ntohl(rn->r.ip) == addr);
    case HAVIP_CLAIM_MAC:
        return (rn->r.type == HAVIP_RECIPE_PORT
                && eth_addr_to_uint64(rn->r.mac) == addr);
    case HAVIP_CLAIM_EIP:
        return rn->r.eip && ntohl(rn->r.eip) == addr;
    case HAVIP_CLAIM_CIDR:
        return rn->r.type == HAVIP_RECIPE_SUBNET;
    }
    return false;
}

static void
recompute(struct desired *d, const struct ovsdb_idl *nb_idl)
{
    long long int start = time_msec();
    struct havip_verdicts old;

    COVERAGE_INC(desired_recompute);
    havip_nb_rows_destroy(&d->rows);
    havip_nb_rows_from_idl(nb_idl, &d->rows);

    havip_verdicts_init(&old);
    hmap_swap(&old.violations, &d->verdicts.violations);
    struct havip_rules_prior prior = { .holds = desired_holds, .aux = d };
    d->n_collisions = 0;
    havip_rules_check_prior(&d->rows, &prior, &d->verdicts);
    if (hmap_is_empty(&d->installed) && !d->switch_prior) {
        /* Just started: which of two colliding rows keeps the address may
         * change once the switch's flows are read (desired_push()). */
        d->unlogged = true;
    } else {
        if (d->unlogged) {
            havip_verdicts_clear(&old);
            d->unlogged = false;
        }
        log_new_violations(&old, &d->verdicts);
    }
    havip_verdicts_destroy(&old);
    holders_reindex(d->holders, nb_idl, &d->rows, d->local);

    /* Which VPCs this chassis needs, and so which other chassis. */
    uuidset_clear(&d->vpcs);
    d->some_vpcs = havip_pipeline_vpcs(&d->rows, d->local, &d->vpcs);

    /* Every row's recipe; only those that differ from what ofctrl has
     * become pending, so an unchanged row costs no flow at all. */
    const struct havip_nb_rows *rows = &d->rows;
    struct havip_pipeline p = {
        .local = d->local, .rows = rows, .verdicts = &d->verdicts,
        .holder_overrides = holders_overrides(d->holders),
        .vpcs = d->some_vpcs ? &d->vpcs : NULL,
    };
    sset_clear(&d->chassis_needed);
    havip_pipeline_chassis_needed(&p, &d->chassis_needed);
    struct uuidset seen = UUIDSET_INITIALIZER(&seen);
    struct havip_recipe r;

    havip_recipe_fixed(&p, &r);
    uuidset_insert(&seen, &r.owner);
    stage(d, &r.owner, &r);
    for (size_t i = 0; i < rows->n_subnets; i++) {
        const struct uuid *owner = &rows->subnets[i]->header_.uuid;
        bool has = havip_recipe_subnet(&p, rows->subnets[i], &r);
        stage_row(d, &seen, owner, has ? &r : NULL);
    }
    for (size_t i = 0; i < rows->n_ports; i++) {
        const struct uuid *owner = &rows->ports[i]->header_.uuid;
        bool has = havip_recipe_port(&p, rows->ports[i], &r);
        stage_row(d, &seen, owner, has ? &r : NULL);
    }
    for (size_t i = 0; i < rows->n_havips; i++) {
        const struct uuid *owner = &rows->havips[i]->header_.uuid;
        bool has = havip_recipe_havip(&p, rows->havips[i], &r);
        stage_row(d, &seen, owner, has ? &r : NULL);
    }

    /* Rows that are gone lose their flows. */
    struct recipe_node *rn;
    HMAP_FOR_EACH (rn, node, &d->installed) {
        if (!uuidset_contains(&seen, &rn->owner)) {
            stage(d, &rn->owner, NULL);
        }
    }
    uuidset_destroy(&seen);

    d->need_recompute = false;
    d->n_recomputes++;
    d->last_recompute_msec = time_msec() - start;
    VLOG_DBG("recomputed in %lld ms, %"PRIuSIZE" rows changed",
             d->last_recompute_msec, hmap_count(&d->pending));
}

/* Returns true if the tracked changes to 'havip' are only to columns that
 * a failover writes. */
static bool
only_holder_changed(const struct nbrec_havip *havip)
{
    if (nbrec_havip_is_new(havip) || nbrec_havip_is_deleted(havip)) {
        return false;
    }
    for (int i = 0; i < NBREC_HAVIP_N_COLUMNS; i++) {
        if (i != NBREC_HAVIP_COL_HOLDER && i != NBREC_HAVIP_COL_STATUS
            && nbrec_havip_is_updated(havip, i)) {
            return false;
        }
    }
    return true;
}

/* Returns true if the tracked changes to 'port' can change flows: not
 * Port.up, which controllers write.  (Port.chassis and Port.tunnel_key,
 * which they write too, say where the port is.) */
static bool
port_change_matters(const struct nbrec_port *port)
{
    if (nbrec_port_is_new(port) || nbrec_port_is_deleted(port)) {
        return true;
    }
    for (int i = 0; i < NBREC_PORT_N_COLUMNS; i++) {
        if (i != NBREC_PORT_COL_UP && nbrec_port_is_updated(port, i)) {
            return true;
        }
    }
    return false;
}

/* Returns true if the tracked changes to 'ch' can change flows: a chassis
 * that appears or goes, or moves its tunnel endpoint (tunnels.c follows;
 * then the tunnels' ports change). */
static bool
chassis_change_matters(const struct nbrec_chassis *ch)
{
    return (nbrec_chassis_is_new(ch) || nbrec_chassis_is_deleted(ch)
            || nbrec_chassis_is_updated(ch, NBREC_CHASSIS_COL_NAME)
            || nbrec_chassis_is_updated(ch, NBREC_CHASSIS_COL_ENCAP_IP)
            || nbrec_chassis_is_updated(ch, NBREC_CHASSIS_COL_ENCAP_TYPE)
            || nbrec_chassis_is_updated(ch,
                                        NBREC_CHASSIS_COL_GATEWAY_PRIORITY));
}

/* Returns true if 'nb_idl' has tracked changes to the Chassis table other
 * than acknowledgements (nb_cfg), which the controllers write all the
 * time. */
bool
desired_chassis_changed(const struct ovsdb_idl *nb_idl)
{
    const struct nbrec_chassis *ch;

    NBREC_CHASSIS_FOR_EACH_TRACKED (ch, nb_idl) {
        if (chassis_change_matters(ch)) {
            return true;
        }
    }
    return false;
}

/* Returns true if any table but HAVIP has tracked changes that can change
 * flows. */
static bool
other_tables_changed(const struct ovsdb_idl *nb_idl)
{
    if (desired_chassis_changed(nb_idl)) {
        return true;
    }

    if (nbrec_region_track_get_first(nb_idl)
        || nbrec_vpc_track_get_first(nb_idl)
        || nbrec_subnet_track_get_first(nb_idl)
        || nbrec_eip_track_get_first(nb_idl)) {
        return true;
    }

    const struct nbrec_port *port;
    NBREC_PORT_FOR_EACH_TRACKED (port, nb_idl) {
        if (port_change_matters(port)) {
            return true;
        }
    }
    return false;
}

/* Re-checks rule 6 for 'havip' alone (the only rule a holder change can
 * break) and recomputes its flows. */
static void
recompute_havip(struct desired *d, const struct nbrec_havip *havip)
{
    /* Rule 6 for a learned holder was checked when it was learned. */
    const struct uuid *uuid = &havip->header_.uuid;
    const struct havip_violation *v;

    v = havip_verdicts_find_rule(&d->verdicts, uuid, HAVIP_RULE_HOLDER);
    if (v) {
        hmap_remove(&d->verdicts.violations,
                    CONST_CAST(struct hmap_node *, &v->node));
        free(v->msg);
        free(CONST_CAST(struct havip_violation *, v));
    }
    struct havip_nb_rows one = {
        .havips = &havip, .n_havips = 1,
    };
    struct havip_verdicts found;
    havip_verdicts_init(&found);
    havip_rules_check(&one, &found);
    v = havip_verdicts_find_rule(&found, uuid, HAVIP_RULE_HOLDER);
    if (v) {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(10, 10);
        struct havip_violation *copy = xmemdup(v, sizeof *v);

        copy->msg = xstrdup(v->msg);
        hmap_insert(&d->verdicts.violations, &copy->node, uuid_hash(uuid));
        COVERAGE_INC(binding_refused);
        VLOG_WARN_RL(&rl, "not programmed: %s", v->msg);
    }
    havip_verdicts_destroy(&found);

    struct havip_pipeline p = {
        .local = d->local, .rows = &d->rows, .verdicts = &d->verdicts,
        .holder_overrides = holders_overrides(d->holders),
        .vpcs = d->some_vpcs ? &d->vpcs : NULL,
    };
    struct havip_recipe r;
    bool has = havip_recipe_havip(&p, havip, &r);
    stage(d, uuid, has ? &r : NULL);
}

/* Counts the holder changes in 'nb_idl''s tracked changes that this
 * chassis did not learn itself (its own writes of learned holders come
 * back too: those were counted as learned). */
static void
count_db_holder_changes(const struct desired *d,
                        const struct ovsdb_idl *nb_idl)
{
    const struct nbrec_havip *havip;

    NBREC_HAVIP_FOR_EACH_TRACKED (havip, nb_idl) {
        if (!nbrec_havip_is_new(havip) && !nbrec_havip_is_deleted(havip)
            && nbrec_havip_is_updated(havip, NBREC_HAVIP_COL_HOLDER)) {
            const struct nbrec_port *learned;

            learned = holders_learned(d->holders, havip);
            if (!learned || learned != havip->holder) {
                COVERAGE_INC(holder_db_change);
            }
        }
    }
}

/* Brings the desired flows up to date with 'nb_idl' (whose change tracking
 * must be on) and 'local'. */
void
desired_run(struct desired *d, const struct ovsdb_idl *nb_idl,
            const struct havip_local *local, bool local_changed)
{
    d->local = local;
    d->nb_idl = nb_idl;
    d->rows_seqno = ovsdb_idl_get_seqno(nb_idl);
    count_db_holder_changes(d, nb_idl);
    if (d->need_recompute || local_changed || other_tables_changed(nb_idl)) {
        recompute(d, nb_idl);
        return;
    }

    const struct nbrec_havip *havip;
    NBREC_HAVIP_FOR_EACH_TRACKED (havip, nb_idl) {
        if (!only_holder_changed(havip)) {
            recompute(d, nb_idl);
            return;
        }
    }
    NBREC_HAVIP_FOR_EACH_TRACKED (havip, nb_idl) {
        holders_settle(d->holders, havip);
        if (nbrec_havip_is_updated(havip, NBREC_HAVIP_COL_HOLDER)) {
            COVERAGE_INC(desired_incremental);
            d->n_incremental++;
            recompute_havip(d, havip);
        }
        /* A change of HAVIP.status alone changes no flow. */
    }
}

/* Recomputes the fixed flows alone, after a change of the active gateway
 * (local->active_gateway, local->gateway_tunnel), which nothing else
 * depends on. */
void
desired_update_fixed(struct desired *d, const struct havip_local *local)
{
    struct havip_pipeline p = { .local = local };
    struct havip_recipe r;

    d->local = local;
    if (d->need_recompute) {
        return;
    }
    havip_recipe_fixed(&p, &r);
    stage(d, &r.owner, &r);
}

/* Makes 'port' the holder of 'havip' on this chassis at once (before the
 * database knows) and recomputes that HAVIP's flows. */
void
desired_learn(struct desired *d, const struct nbrec_havip *havip,
              const struct nbrec_port *port)
{
    holders_learn(d->holders, havip, port);
    if (!d->need_recompute) {
        COVERAGE_INC(desired_incremental);
        d->n_incremental++;
        recompute_havip(d, havip);
    }
}

uint64_t
desired_n_recomputes(const struct desired *d)
{
    return d->n_recomputes;
}

/* Returns the number of incremental recomputes (one HAVIP's holder). */
uint64_t
desired_n_incremental(const struct desired *d)
{
    return d->n_incremental;
}

/* Sets 'n[]' to the number of HAVIPs in each state, as "havip/show" shows
 * them: refused if a rule names the row, else active if it has a holder
 * (learned here or in the database), else no holder.  The rows are read
 * only if 'nb_idl' has not changed since the last desired_run(), which
 * validated them, and only if a row's flows may have changed since they
 * were last counted (every recompute and learned holder stages recipes);
 * otherwise the last counts are given. */
void
desired_count_bindings(struct desired *d, const struct ovsdb_idl *nb_idl,
                       size_t n[])
{
    if (d->rows_seqno == ovsdb_idl_get_seqno(nb_idl)
        && d->counted_staged != d->n_staged) {
        d->counted_staged = d->n_staged;
        memset(d->n_bindings, 0, sizeof d->n_bindings);
        for (size_t i = 0; i < d->rows.n_havips; i++) {
            const struct nbrec_havip *h = d->rows.havips[i];

            d->n_bindings[havip_verdicts_find(&d->verdicts, &h->header_.uuid)
                          ? METRICS_BINDING_REFUSED
                          : holders_current(d->holders, h)
                          ? METRICS_BINDING_ACTIVE
                          : METRICS_BINDING_NO_HOLDER]++;
        }
    }
    memcpy(n, d->n_bindings, sizeof d->n_bindings);
}

/* Adds the number of violations of each rule to 'by_rule[rule]', for
 * rules below 'n'. */
void
desired_count_refused(const struct desired *d, size_t by_rule[], size_t n)
{
    const struct havip_violation *v;

    HMAP_FOR_EACH (v, node, &d->verdicts.violations) {
        if (v->rule < n) {
            by_rule[v->rule]++;
        }
    }
}

/* The other chassis that have ports in the VPCs this chassis computes
 * flows for, as of the last full recompute. */
const struct sset *
desired_chassis_needed(const struct desired *d)
{
    return &d->chassis_needed;
}

/* Sets '*eips' to a new array of the EIPs whose ARP and DNAT flows this
 * chassis has (as a gateway) and returns its length. */
size_t
desired_eips(const struct desired *d, ovs_be32 **eips)
{
    const struct recipe_node *rn;
    size_t n = 0;

    *eips = xmalloc(MAX(1, hmap_count(&d->installed)) * sizeof **eips);
    HMAP_FOR_EACH (rn, node, &d->installed) {
        if (rn->present && rn->r.eip && rn->r.uplink != OFPP_NONE) {
            (*eips)[n++] = rn->r.eip;
        }
    }
    return n;
}

/* The rows of the last full recompute (valid until the next run). */
const struct havip_nb_rows *
desired_rows(const struct desired *d)
{
    return &d->rows;
}

/* Returns when the oldest change not yet given to ofctrl was computed
 * (time_usec()), or 0. */
long long int
desired_dirty_since(const struct desired *d)
{
    return d->dirty_since;
}

bool
desired_has_changes(const struct desired *d)
{
    return !hmap_is_empty(&d->pending);
}

/* Adds the flows of every recipe ofctrl has, with the pending changes
 * applied, to 'flows'. */
static void
emit_all(const struct desired *d, struct hflow_table *flows)
{
    const struct recipe_node *rn;

    HMAP_FOR_EACH (rn, node, &d->installed) {
        if (!recipe_find(&d->pending, &rn->owner)) {
            havip_recipe_emit(&rn->r, flows);
        }
    }
    HMAP_FOR_EACH (rn, node, &d->pending) {
        if (rn->present) {
            havip_recipe_emit(&rn->r, flows);
        }
    }
}

/* Sends the flow mods that turn 'owner''s flows from 'old' into 'new'
 * (either may be NULL: no flows). */
static void
push_owner(struct ofctrl *oc, const struct havip_recipe *old,
           const struct havip_recipe *new)
{
    struct hflow_table a, b;
    const struct hflow *f;

    hflow_table_init(&a);
    hflow_table_init(&b);
    if (old) {
        havip_recipe_emit(old, &a);
    }
    if (new) {
        havip_recipe_emit(new, &b);
    }
    HMAP_FOR_EACH (f, node, &b.flows) {
        const struct hflow *g = hflow_table_find(&a, f->table_id,
                                                 f->priority, &f->match);
        if (!g) {
            ofctrl_flow_mod(oc, f, OFPFC_ADD);
        } else if (g->cookie != f->cookie
                   || !hflow_actions_equal(g, f->ofpacts, f->ofpacts_len)) {
            ofctrl_flow_mod(oc, f, OFPFC_MODIFY_STRICT);
        }
    }
    HMAP_FOR_EACH (f, node, &a.flows) {
        if (!hflow_table_find(&b, f->table_id, f->priority, &f->match)) {
            ofctrl_flow_mod(oc, f, OFPFC_DELETE_STRICT);
        }
    }
    hflow_table_destroy(&a);
    hflow_table_destroy(&b);
}

/* Moves the pending changes into 'installed'. */
static void
apply_pending(struct desired *d)
{
    struct recipe_node *rn;

    HMAP_FOR_EACH_POP (rn, node, &d->pending) {
        struct recipe_node *old = recipe_find(&d->installed, &rn->owner);
        if (old) {
            hmap_remove(&d->installed, &old->node);
            recipe_node_destroy(old);
        }
        if (rn->present) {
            hmap_insert(&d->installed, &rn->node, uuid_hash(&rn->owner));
        } else {
            recipe_node_destroy(rn);
        }
    }
    d->dirty_since = 0;
}

/* Gives ofctrl what changed (or, after it (re)connected, everything to
 * compare with the switch's flows), tagged with 'nb_cfg'.  Does nothing
 * while ofctrl cannot take it; the changes wait. */
void
desired_push(struct desired *d, struct ofctrl *oc, int64_t nb_cfg)
{
    if (!ofctrl_can_put(oc)) {
        return;
    }

    long long int trigger = d->dirty_since;
    if (ofctrl_needs_full_sync(oc)) {
        struct hflow_table want;

        if (d->n_collisions && hmap_is_empty(&d->installed) && d->nb_idl) {
            /* Just started with rows that collide: which of them keeps the
             * address was decided by UUID, before the switch's flows were
             * read; decide again with what the switch has. */
            d->switch_prior = oc;
            recompute(d, d->nb_idl);
            d->switch_prior = NULL;
        } else if (d->unlogged) {
            struct havip_verdicts none;

            havip_verdicts_init(&none);
            log_new_violations(&none, &d->verdicts);
            havip_verdicts_destroy(&none);
            d->unlogged = false;
        }

        hflow_table_init(&want);
        emit_all(d, &want);
        if (want.n_conflicts) {
            static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);
            COVERAGE_INC(flow_conflict);
            VLOG_WARN_RL(&rl, "%"PRIu64" flows claimed twice, e.g. %s",
                         want.n_conflicts, want.last_conflict);
        }
        ofctrl_sync_full(oc, &want, nb_cfg, trigger);
        hflow_table_destroy(&want);
        apply_pending(d);
        return;
    }

    ofctrl_begin(oc);
    struct recipe_node *rn;
    size_t n_changed = hmap_count(&d->pending);
    HMAP_FOR_EACH (rn, node, &d->pending) {
        struct recipe_node *old = recipe_find(&d->installed, &rn->owner);
        push_owner(oc, old ? &old->r : NULL, rn->present ? &rn->r : NULL);
    }
    ofctrl_commit(oc, nb_cfg, trigger);
    apply_pending(d);
#ifdef __GLIBC__
    if (n_changed > 10000) {
        /* A big push (a load, a recompute) freed much; give it back. */
        malloc_trim(0);
    }
#endif
}

void
desired_format_flows(const struct desired *d, struct ds *s)
{
    struct hflow_table flows;

    hflow_table_init(&flows);
    emit_all(d, &flows);
    hflow_table_format(&flows, s);
    hflow_table_destroy(&flows);
}

/* Appends a summary of each HAVIP (holder, EIP) and each refused row. */
void
desired_format_status(const struct desired *d, struct ds *s)
{
    const struct havip_nb_rows *rows = &d->rows;

    ds_put_format(s, "rows with flows: %"PRIuSIZE" (pending: %"PRIuSIZE
                  "), recomputes: %"PRIu64" (last %lld ms), "
                  "incremental: %"PRIu64"\n",
                  hmap_count(&d->installed), hmap_count(&d->pending),
                  d->n_recomputes, d->last_recompute_msec,
                  d->n_incremental);
    for (size_t i = 0; i < rows->n_havips; i++) {
        const struct nbrec_havip *h = rows->havips[i];
        const struct havip_violation *v;

        ds_put_format(s, "HAVIP %s %s holder=%s eip=%s%s%s\n", h->name,
                      h->ip, h->holder ? h->holder->name : "(none)",
                      h->eip ? h->eip->name : "(none)",
                      h->eip ? " " : "", h->eip ? h->eip->ip : "");
        v = havip_verdicts_find(&d->verdicts, &h->header_.uuid);
        if (v) {
            ds_put_format(s, "  refused: %s\n", v->msg);
        }
    }

    const struct havip_violation *v;
    size_t n = havip_verdicts_count(&d->verdicts);
    ds_put_format(s, "refused rows: %"PRIuSIZE"\n", n);
    HMAP_FOR_EACH (v, node, &d->verdicts.violations) {
        ds_put_format(s, "  %s\n", v->msg);
    }
}

static void
desired_unixctl_recompute(struct unixctl_conn *conn, int argc OVS_UNUSED,
                          const char *argv[] OVS_UNUSED, void *d_)
{
    struct desired *d = d_;

    desired_force_recompute(d);
    poll_immediate_wake();
    unixctl_command_reply(conn, NULL);
}

static void
desired_unixctl_flows_dump(struct unixctl_conn *conn, int argc OVS_UNUSED,
                           const char *argv[] OVS_UNUSED, void *d_)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    desired_format_flows(d_, &s);
    unixctl_command_reply(conn, ds_cstr(&s));
    ds_destroy(&s);
}

static void
desired_unixctl_show(struct unixctl_conn *conn, int argc OVS_UNUSED,
                     const char *argv[] OVS_UNUSED, void *d_)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    desired_format_status(d_, &s);
    unixctl_command_reply(conn, ds_cstr(&s));
    ds_destroy(&s);
}

/* Registers "recompute", "flows/dump" (the desired flows, sorted) and
 * "havip/show" (holders, EIPs, refused rows). */
void
desired_register_unixctl(struct desired *d)
{
    unixctl_command_register("recompute", "", 0, 0,
                             desired_unixctl_recompute, d);
    unixctl_command_register("flows/dump", "", 0, 0,
                             desired_unixctl_flows_dump, d);
    unixctl_command_register("havip/show", "", 0, 0,
                             desired_unixctl_show, d);
}
