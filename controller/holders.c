/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

/* Learned holders and HAVIP.status.  See holders.h. */

#include <config.h>
#include "holders.h"

#include "coverage.h"
#include "flow.h"
#include "hash.h"
#include "havip-addr.h"
#include "havip-pipeline.h"
#include "havip-rules.h"
#include "openvswitch/hmap.h"
#include "openvswitch/vlog.h"
#include "ovsdb-idl.h"
#include "ovsdb/havip-nb-idl.h"
#include "simap.h"
#include "util.h"
#include "uuid.h"
#include "uuidset.h"

VLOG_DEFINE_THIS_MODULE(holders);

COVERAGE_DEFINE(holder_learned);
COVERAGE_DEFINE(holder_written);

/* A holder learned here that the database may not have yet. */
struct learned {
    struct havip_holder_override o; /* What the pipeline reads. */
    struct uuid port;               /* o.port's UUID, to re-resolve it. */
};

/* One port that may claim one HAVIP IP. */
struct claim {
    struct hmap_node node;      /* In 'claims', by claim_hash(). */
    ofp_port_t ofport;          /* The port's OpenFlow port here. */
    ovs_be32 ip;                /* The HAVIP's IP. */
    const struct nbrec_havip *havip;
    const struct nbrec_port *port;
};

struct holders {
    struct hmap overrides;      /* Contains "struct learned"s. */
    struct hmap claims;         /* Contains "struct claim"s. */
    struct uuidset status_dirty; /* HAVIPs whose status may be wrong. */
};

static uint32_t
claim_hash(ofp_port_t ofport, ovs_be32 ip)
{
    return hash_2words(ofp_to_u16(ofport), (OVS_FORCE uint32_t) ip);
}

struct holders *
holders_create(void)
{
    struct holders *h = xmalloc(sizeof *h);

    hmap_init(&h->overrides);
    hmap_init(&h->claims);
    uuidset_init(&h->status_dirty);
    return h;
}

static void
claims_clear(struct holders *h)
{
    struct claim *c;

    HMAP_FOR_EACH_POP (c, node, &h->claims) {
        free(c);
    }
}

void
holders_destroy(struct holders *h)
{
    if (h) {
        struct learned *l;

        HMAP_FOR_EACH_POP (l, o.node, &h->overrides) {
            free(l);
        }
        hmap_destroy(&h->overrides);
        claims_clear(h);
        hmap_destroy(&h->claims);
        uuidset_destroy(&h->status_dirty);
        free(h);
    }
}

const struct hmap *
holders_overrides(const struct holders *h)
{
    return &h->overrides;
}

static struct learned *
learned_find(const struct holders *h, const struct uuid *havip)
{
    struct learned *l;

    HMAP_FOR_EACH_WITH_HASH (l, o.node, uuid_hash(havip), &h->overrides) {
        if (uuid_equals(&l->o.havip, havip)) {
            return l;
        }
    }
    return NULL;
}

/* Rebuilds what depends on row pointers after a full recompute: the
 * claims index (which local port may claim which HAVIP IP) and the
 * overrides' port pointers (dropping those whose rows are gone). */
void
holders_reindex(struct holders *h, const struct ovsdb_idl *idl,
                const struct havip_nb_rows *rows,
                const struct havip_local *local)
{
    struct learned *l;

    HMAP_FOR_EACH_SAFE (l, o.node, &h->overrides) {
        const struct nbrec_havip *havip;

        havip = nbrec_havip_get_for_uuid(idl, &l->o.havip);
        l->o.port = nbrec_port_get_for_uuid(idl, &l->port);
        if (!havip || !l->o.port) {
            hmap_remove(&h->overrides, &l->o.node);
            free(l);
        }
    }

    claims_clear(h);
    for (size_t i = 0; i < rows->n_havips; i++) {
        const struct nbrec_havip *havip = rows->havips[i];
        ovs_be32 ip;
        char *error = havip_parse_ip(havip->ip, &ip);

        uuidset_insert(&h->status_dirty, &havip->header_.uuid);
        if (error) {
            free(error);
            continue;
        }
        for (size_t j = 0; j < havip->n_ports; j++) {
            const struct nbrec_port *port = havip->ports[j];
            const struct simap_node *node;

            node = simap_find(local->ofports, port->name);
            if (node) {
                struct claim *c = xmalloc(sizeof *c);

                c->ofport = u16_to_ofp(node->data);
                c->ip = ip;
                c->havip = havip;
                c->port = port;
                hmap_insert(&h->claims, &c->node,
                            claim_hash(c->ofport, ip));
            }
        }
    }
}

/* Finds the HAVIP with IP 'spa' associated with the port on 'ofport'. */
bool
holders_find_claim(const struct holders *h, ofp_port_t ofport,
                   ovs_be32 spa, const struct nbrec_havip **havip,
                   const struct nbrec_port **port)
{
    const struct claim *c;

    HMAP_FOR_EACH_WITH_HASH (c, node, claim_hash(ofport, spa),
                             &h->claims) {
        if (c->ofport == ofport && c->ip == spa) {
            *havip = c->havip;
            *port = c->port;
            return true;
        }
    }
    return false;
}

/* Returns the holder this chassis programs for 'havip': a learned one not
 * in the database yet, or HAVIP.holder. */
const struct nbrec_port *
holders_current(const struct holders *h, const struct nbrec_havip *havip)
{
    const struct learned *l = learned_find(h, &havip->header_.uuid);

    return l ? l->o.port : havip->holder;
}

/* Returns the holder learned here for 'havip' that the database did not
 * have yet when it was learned, or NULL if there is none. */
const struct nbrec_port *
holders_learned(const struct holders *h, const struct nbrec_havip *havip)
{
    const struct learned *l = learned_find(h, &havip->header_.uuid);

    return l ? l->o.port : NULL;
}

/* Makes 'port' the holder of 'havip' here, now. */
void
holders_learn(struct holders *h, const struct nbrec_havip *havip,
              const struct nbrec_port *port)
{
    struct learned *l = learned_find(h, &havip->header_.uuid);

    if (!l) {
        l = xzalloc(sizeof *l);
        l->o.havip = havip->header_.uuid;
        hmap_insert(&h->overrides, &l->o.node,
                    uuid_hash(&havip->header_.uuid));
    }
    l->o.port = port;
    l->port = port->header_.uuid;
    COVERAGE_INC(holder_learned);
    uuidset_insert(&h->status_dirty, &havip->header_.uuid);
}

/* Called when 'havip' changed in the database: drops a learned holder
 * that the database now has. */
void
holders_settle(struct holders *h, const struct nbrec_havip *havip)
{
    struct learned *l = learned_find(h, &havip->header_.uuid);

    if (l && havip->holder == l->o.port) {
        hmap_remove(&h->overrides, &l->o.node);
        free(l);
    }
    uuidset_insert(&h->status_dirty, &havip->header_.uuid);
}

/* Notes that 'havip's status must be checked by the next holders_write(). */
void
holders_check_status(struct holders *h, const struct nbrec_havip *havip)
{
    uuidset_insert(&h->status_dirty, &havip->header_.uuid);
}

size_t
holders_n_pending(const struct holders *h)
{
    return hmap_count(&h->overrides);
}

/* Writes learned holders and corrected statuses into 'txn' (if nonnull;
 * otherwise they wait for the next call). */
void
holders_write(struct holders *h, const struct ovsdb_idl *idl,
              struct ovsdb_idl_txn *txn)
{
    if (!txn) {
        return;
    }

    struct learned *l;
    HMAP_FOR_EACH (l, o.node, &h->overrides) {
        const struct nbrec_havip *havip;

        havip = nbrec_havip_get_for_uuid(idl, &l->o.havip);
        if (havip && havip->holder != l->o.port) {
            COVERAGE_INC(holder_written);
            nbrec_havip_set_holder(havip, l->o.port);
            nbrec_havip_set_status(havip, "in-use");
        }
    }

    /* A status stays dirty until the database has the right one, so a
     * write lost to a conflicting transaction is made again. */
    struct uuidset_node *node;
    UUIDSET_FOR_EACH_SAFE (node, &h->status_dirty) {
        const struct nbrec_havip *havip;

        havip = nbrec_havip_get_for_uuid(idl, &node->uuid);
        if (!havip) {
            uuidset_delete(&h->status_dirty, node);
            continue;
        }
        if (learned_find(h, &node->uuid)) {
            continue;
        }
        const char *want = havip->holder ? "in-use" : "available";
        if (havip->status && !strcmp(havip->status, want)) {
            uuidset_delete(&h->status_dirty, node);
        } else {
            nbrec_havip_set_status(havip, want);
        }
    }
}
