/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

/* Snapshots of HAVIP_Northbound rows as arrays, sorted by name, for
 * havip_rules_check(), lookups in them by name or UUID, and whether a port
 * is associated with a HAVIP. */

#include <config.h>
#include "havip-rules.h"

#include <stdlib.h>
#include <string.h>
#include "openvswitch/util.h"
#include "ovsdb/havip-nb-idl.h"
#include "util.h"
#include "uuid.h"

/* Collects the rows of one table, then sorts them by name.  'NAME' is the
 * column used to sort; every table here has one. */
#define COLLECT_ROWS(ROWS, N, TYPE, FOR_EACH, IDL, CMP)         \
    do {                                                        \
        const struct TYPE *row_;                                \
        size_t allocated_ = 0;                                  \
                                                                \
        (ROWS) = NULL;                                          \
        (N) = 0;                                                \
        FOR_EACH (row_, IDL) {                                  \
            if ((N) >= allocated_) {                            \
                (ROWS) = x2nrealloc((ROWS), &allocated_,        \
                                    sizeof *(ROWS));            \
            }                                                   \
            (ROWS)[(N)++] = row_;                               \
        }                                                       \
        if (N) {                                                \
            qsort((ROWS), (N), sizeof *(ROWS), CMP);            \
        }                                                       \
    } while (0)

#define DEFINE_NAME_CMP(TYPE)                                   \
    static int                                                  \
    compare_##TYPE(const void *a_, const void *b_)              \
    {                                                           \
        const struct nbrec_##TYPE *const *a = a_;               \
        const struct nbrec_##TYPE *const *b = b_;               \
        int cmp = strcmp((*a)->name, (*b)->name);               \
        return cmp ? cmp : uuid_compare_3way(                   \
            &(*a)->header_.uuid, &(*b)->header_.uuid);          \
    }

DEFINE_NAME_CMP(region)
DEFINE_NAME_CMP(subnet)
DEFINE_NAME_CMP(port)
DEFINE_NAME_CMP(havip)
DEFINE_NAME_CMP(eip)

void
havip_nb_rows_from_idl(const struct ovsdb_idl *idl,
                       struct havip_nb_rows *rows)
{
    COLLECT_ROWS(rows->regions, rows->n_regions, nbrec_region,
                 NBREC_REGION_FOR_EACH, idl, compare_region);
    COLLECT_ROWS(rows->subnets, rows->n_subnets, nbrec_subnet,
                 NBREC_SUBNET_FOR_EACH, idl, compare_subnet);
    COLLECT_ROWS(rows->ports, rows->n_ports, nbrec_port,
                 NBREC_PORT_FOR_EACH, idl, compare_port);
    COLLECT_ROWS(rows->havips, rows->n_havips, nbrec_havip,
                 NBREC_HAVIP_FOR_EACH, idl, compare_havip);
    COLLECT_ROWS(rows->eips, rows->n_eips, nbrec_eip,
                 NBREC_EIP_FOR_EACH, idl, compare_eip);
}

void
havip_nb_rows_destroy(struct havip_nb_rows *rows)
{
    if (rows) {
        free(rows->regions);
        free(rows->subnets);
        free(rows->ports);
        free(rows->havips);
        free(rows->eips);
    }
}

/* Returns true if 'row' is named 'name' or has UUID 'name'. */
static bool
row_is(const struct ovsdb_idl_row *row, const char *row_name,
       const char *name)
{
    struct uuid uuid;

    return (!strcmp(row_name, name)
            || (uuid_from_string(&uuid, name)
                && uuid_equals(&uuid, &row->uuid)));
}

const struct nbrec_port *
havip_nb_rows_find_port(const struct havip_nb_rows *rows, const char *name)
{
    for (size_t i = 0; i < rows->n_ports; i++) {
        if (row_is(&rows->ports[i]->header_, rows->ports[i]->name, name)) {
            return rows->ports[i];
        }
    }
    return NULL;
}

const struct nbrec_havip *
havip_nb_rows_find_havip(const struct havip_nb_rows *rows, const char *name)
{
    for (size_t i = 0; i < rows->n_havips; i++) {
        if (row_is(&rows->havips[i]->header_, rows->havips[i]->name, name)) {
            return rows->havips[i];
        }
    }
    return NULL;
}

bool
havip_is_associated(const struct nbrec_havip *havip,
                    const struct nbrec_port *port)
{
    for (size_t i = 0; i < havip->n_ports; i++) {
        if (havip->ports[i] == port) {
            return true;
        }
    }
    return false;
}
