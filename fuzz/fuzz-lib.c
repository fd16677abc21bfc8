/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

/* Helpers shared by the fuzz targets: silencing OVS's logging, failing
 * with a message, and reading the input field by field.  See fuzz.h. */

#include <config.h>
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include "openvswitch/vlog.h"
#include "util.h"

/* Turns OVS's logging off: the targets log on purpose (rate-limited
 * warnings for every malformed row and packet), and writing them would
 * cost more than the code under test. */
void
fuzz_init(void)
{
    static bool done;

    if (!done) {
        done = true;
        vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_OFF);
    }
}

void
fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: property failed: %s\n", file, line, what);
    abort();
}

uint8_t
fuzz_u8(struct fuzz_input *in)
{
    if (!in->size) {
        return 0;
    }
    in->size--;
    return *in->data++;
}

uint16_t
fuzz_u16(struct fuzz_input *in)
{
    uint16_t hi = fuzz_u8(in);

    return (hi << 8) | fuzz_u8(in);
}

uint32_t
fuzz_u32(struct fuzz_input *in)
{
    uint32_t hi = fuzz_u16(in);

    return (hi << 16) | fuzz_u16(in);
}

/* Points '*bytes' at the next at most 'max' bytes of 'in' and consumes
 * them; returns how many. */
size_t
fuzz_bytes(struct fuzz_input *in, const uint8_t **bytes, size_t max)
{
    size_t n = MIN(max, in->size);

    *bytes = in->data;
    in->data += n;
    in->size -= n;
    return n;
}
