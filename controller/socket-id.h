/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

#ifndef SOCKET_ID_H
#define SOCKET_ID_H 1

/* The identity of a "unix:" remote's socket file, to tell a server started
 * again (a new socket) from the dead one's socket left behind, while a
 * connection waits out its reconnection backoff. */

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

struct socket_id {
    bool valid;                 /* A socket file was there. */
    ino_t ino;                  /* Its inode... */
    struct timespec ctime;      /* ...and its change time (inodes are
                                 * reused). */
};

void socket_id_read(const char *remote, struct socket_id *);
bool socket_id_equal(const struct socket_id *, const struct socket_id *);

#endif /* socket-id.h */
