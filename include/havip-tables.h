/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

#ifndef HAVIP_TABLES_H
#define HAVIP_TABLES_H 1

/* The name and purpose of each OpenFlow table of the pipeline, in one
 * place: havip-trace explains a packet's path with them, and the "table"
 * and "name" columns of docs/flow-tables.md are the same text (a test
 * compares them with "havip-trace --tables"). */

#include <stddef.h>
#include <stdint.h>

/* One table of enum havip_table. */
struct havip_table_info {
    uint8_t id;                 /* enum havip_table. */
    const char *name;           /* "port security L2". */
    const char *does;           /* One sentence: what it decides. */
};

/* The pipeline's tables, in increasing 'id' order. */
extern const struct havip_table_info havip_tables[];
extern const size_t havip_n_tables;

/* The table with 'id', or NULL if the pipeline has no such table. */
const struct havip_table_info *havip_table_find(uint8_t id);

/* The name of table 'id', or "unknown" if the pipeline has none. */
const char *havip_table_name(uint8_t id);

#endif /* havip-tables.h */
