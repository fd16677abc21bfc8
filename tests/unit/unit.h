/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

#ifndef HAVIP_UNIT_H
#define HAVIP_UNIT_H 1

/* Each suite file registers its CUnit suite with one function. */
void unit_addr_register(void);
void unit_rules_register(void);
void unit_pipeline_register(void);

#endif /* unit.h */
