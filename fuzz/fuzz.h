/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

#ifndef HAVIP_FUZZ_H
#define HAVIP_FUZZ_H 1

/* What every fuzz target shares.
 *
 * Each fuzz/fuzz-*.c defines LLVMFuzzerTestOneInput(), libFuzzer's entry
 * point.  The same file is linked either with libFuzzer (clang,
 * 'make fuzz') or with fuzz/replay.c, a plain main() that feeds it files
 * (gcc, 'make check' replays the committed corpus).  A target reports a
 * bug by crashing: fuzz_check() aborts when a property fails. */

#include <stddef.h>
#include <stdint.h>
#include "openvswitch/compiler.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

void fuzz_init(void);

/* Aborts, naming 'what', unless 'cond' holds. */
#define fuzz_check(COND, WHAT)                          \
    ((COND) ? (void) 0 : fuzz_fail(__FILE__, __LINE__, WHAT))
OVS_NO_RETURN void fuzz_fail(const char *file, int line, const char *what);

/* Reads the fuzzer's input a field at a time; past its end every read
 * returns zeros, so a short input is a small world, not an error. */
struct fuzz_input {
    const uint8_t *data;
    size_t size;
};

uint8_t fuzz_u8(struct fuzz_input *);
uint16_t fuzz_u16(struct fuzz_input *);
uint32_t fuzz_u32(struct fuzz_input *);
size_t fuzz_bytes(struct fuzz_input *, const uint8_t **bytes, size_t max);

#endif /* fuzz.h */
