/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

/* replay-TARGET FILE|DIR...: runs a fuzz target's LLVMFuzzerTestOneInput()
 * once on each FILE and on each file in each DIR, without libFuzzer, so
 * 'make check' (gcc) replays the committed corpus and crash reproducers.
 * Prints "N inputs" and exits 0 when none crashed; a failing input aborts,
 * after its name was printed to stderr. */

#include <config.h>
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "util.h"

static size_t n_inputs;

static void
replay_file(const char *name)
{
    FILE *file = fopen(name, "rb");
    if (!file) {
        ovs_fatal(errno, "%s: open failed", name);
    }

    size_t size = 0, allocated = 4096;
    uint8_t *data = xmalloc(allocated);
    size_t n;
    while ((n = fread(data + size, 1, allocated - size, file)) > 0) {
        size += n;
        if (size == allocated) {
            allocated *= 2;
            data = xrealloc(data, allocated);
        }
    }
    if (ferror(file)) {
        ovs_fatal(errno, "%s: read failed", name);
    }
    fclose(file);

    fprintf(stderr, "replay: %s (%"PRIuSIZE" bytes)\n", name, size);
    /* An exact-size copy, so ASan sees a read past the end of the input. */
    uint8_t *copy = xmemdup(data, size);
    LLVMFuzzerTestOneInput(copy, size);
    free(copy);
    free(data);
    n_inputs++;
}

static int
compare_strings(const void *a_, const void *b_)
{
    const char *const *a = a_;
    const char *const *b = b_;

    return strcmp(*a, *b);
}

/* Replays the regular files of 'dir', in name order. */
static void
replay_dir(const char *dir_name)
{
    DIR *dir = opendir(dir_name);
    if (!dir) {
        ovs_fatal(errno, "%s: opendir failed", dir_name);
    }

    char **names = NULL;
    size_t n_names = 0;
    struct dirent *de;
    while ((de = readdir(dir))) {
        if (de->d_name[0] != '.') {
            names = xrealloc(names, (n_names + 1) * sizeof *names);
            names[n_names++] = xasprintf("%s/%s", dir_name, de->d_name);
        }
    }
    closedir(dir);

    qsort(names, n_names, sizeof *names, compare_strings);
    for (size_t i = 0; i < n_names; i++) {
        replay_file(names[i]);
        free(names[i]);
    }
    free(names);
}

int
main(int argc, char *argv[])
{
    set_program_name(argv[0]);
    if (argc < 2) {
        ovs_fatal(0, "usage: %s FILE|DIR...", argv[0]);
    }
    for (int i = 1; i < argc; i++) {
        struct stat s;

        if (stat(argv[i], &s)) {
            ovs_fatal(errno, "%s: stat failed", argv[i]);
        }
        if (S_ISDIR(s.st_mode)) {
            replay_dir(argv[i]);
        } else {
            replay_file(argv[i]);
        }
    }
    printf("%"PRIuSIZE" inputs\n", n_inputs);
    return 0;
}
