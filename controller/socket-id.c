/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

/* The identity of a "unix:" remote's socket file.  See socket-id.h. */

#include <config.h>
#include "socket-id.h"

#include <string.h>
#include <sys/stat.h>

/* Reads into 'id' the identity of the socket file of 'remote', if it is a
 * "unix:" remote whose file exists; otherwise 'id->valid' is false. */
void
socket_id_read(const char *remote, struct socket_id *id)
{
    struct stat st;

    id->valid = !strncmp(remote, "unix:", 5) && !stat(remote + 5, &st);
    if (id->valid) {
        id->ino = st.st_ino;
        id->ctime = st.st_ctim;
    }
}

/* Returns true if 'a' and 'b' are both valid and name the same file. */
bool
socket_id_equal(const struct socket_id *a, const struct socket_id *b)
{
    return (a->valid && b->valid && a->ino == b->ino
            && a->ctime.tv_sec == b->ctime.tv_sec
            && a->ctime.tv_nsec == b->ctime.tv_nsec);
}
