/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

#ifndef NB_REMOTE_H
#define NB_REMOTE_H 1

/* The HAVIP_Northbound remote the controller's IDL connects to.
 *
 * For a clustered database (a comma-separated list of members), OVS's IDL
 * tries the members in turn until one is the leader, but after one free
 * pass it waits 1, 2, 4, then 8 seconds between attempts: after a leader
 * dies, a client can take 10 to 20 s to find the new one, while the others
 * elect it in 1 to 3 s.  So while the database is unreachable, every
 * NB_REMOTE_RETRY_MSEC this module starts a new session (the same members,
 * listed from the next one on, which the IDL takes as a new remote), whose
 * first pass over the members is again free.
 *
 * For a single "unix:" remote (the database on this host), while it is
 * unreachable the module watches its socket and starts a new session as
 * soon as a new socket appears: a restarted server is reached at once, not
 * after the IDL's backoff. */

#include <stdbool.h>

struct ovsdb_idl;

#define NB_REMOTE_RETRY_MSEC 1500

struct nb_remote *nb_remote_create(void);
void nb_remote_destroy(struct nb_remote *);
void nb_remote_run(struct nb_remote *, struct ovsdb_idl *,
                   const char *configured);
void nb_remote_wait(const struct nb_remote *);

#endif /* controller/nb-remote.h */
