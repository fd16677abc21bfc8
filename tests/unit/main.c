/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

/* test-unit: runs every CUnit suite of havip's pure libraries.  Exits
 * nonzero if any test fails. */

#include <config.h>
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include "unit.h"

int
main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS) {
        fprintf(stderr, "test-unit: %s\n", CU_get_error_msg());
        return EXIT_FAILURE;
    }

    unit_addr_register();
    unit_rules_register();
    unit_pipeline_register();

    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned int failures = CU_get_number_of_failures();
    CU_cleanup_registry();
    return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}
