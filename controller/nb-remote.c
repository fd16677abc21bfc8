/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

/* The NB remote and fast retries across cluster members.  See
 * nb-remote.h. */

#include <config.h>
#include "nb-remote.h"

#include <string.h>
#include "coverage.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "ovsdb-idl.h"
#include "svec.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(nb_remote);

COVERAGE_DEFINE(nb_remote_retry);

struct nb_remote {
    char *configured;           /* As configured (havip-remote). */
    char *current;              /* Given to the IDL: 'configured' rotated. */
    size_t rotation;            /* Members 'current' starts after. */
    long long int up_since;     /* Connected since, or LLONG_MAX. */
    long long int retry_at;     /* When to start a new session if still not
                                 * connected for good; LLONG_MAX while
                                 * connected for good. */
};

/* A connection counts as good once it has lasted this long: connecting to
 * a member that is not the leader succeeds for a moment, and must not count
 * as being connected. */
#define NB_REMOTE_STABLE_MSEC 1000

struct nb_remote *
nb_remote_create(void)
{
    struct nb_remote *r = xzalloc(sizeof *r);

    r->up_since = LLONG_MAX;
    r->retry_at = LLONG_MAX;
    return r;
}

void
nb_remote_destroy(struct nb_remote *r)
{
    if (r) {
        free(r->configured);
        free(r->current);
        free(r);
    }
}

/* Returns 'list' (comma-separated) rotated to start at its member 'first'
 * (modulo its length). */
static char *
rotate(const char *list, size_t first)
{
    struct svec members = SVEC_EMPTY_INITIALIZER;
    struct svec rotated = SVEC_EMPTY_INITIALIZER;
    char *copy = xstrdup(list);
    char *save_ptr = NULL;

    for (char *m = strtok_r(copy, ",", &save_ptr); m;
         m = strtok_r(NULL, ",", &save_ptr)) {
        svec_add(&members, m);
    }
    free(copy);
    for (size_t i = 0; i < members.n; i++) {
        svec_add(&rotated, members.names[(first + i) % members.n]);
    }
    char *s = svec_join(&rotated, ",", "");
    svec_destroy(&members);
    svec_destroy(&rotated);
    return s;
}

static void
nb_remote_set(struct nb_remote *r, struct ovsdb_idl *idl, char *current)
{
    free(r->current);
    r->current = current;
    ovsdb_idl_set_remote(idl, r->current, true);
}

/* Points 'idl' at 'configured' (may be NULL: not configured yet), and
 * while a list of members has been unreachable for NB_REMOTE_RETRY_MSEC,
 * starts a new session over them. */
void
nb_remote_run(struct nb_remote *r, struct ovsdb_idl *idl,
              const char *configured)
{
    long long int now = time_msec();

    if (!configured) {
        return;
    }
    if (!nullable_string_is_equal(configured, r->configured)) {
        free(r->configured);
        r->configured = xstrdup(configured);
        r->rotation = 0;
        r->retry_at = now + NB_REMOTE_RETRY_MSEC;
        nb_remote_set(r, idl, xstrdup(configured));
        return;
    }
    if (ovsdb_idl_is_connected(idl)) {
        if (r->up_since == LLONG_MAX) {
            r->up_since = now;
        }
        if (now - r->up_since >= NB_REMOTE_STABLE_MSEC) {
            r->retry_at = LLONG_MAX;
        }
        return;
    }
    r->up_since = LLONG_MAX;
    if (r->retry_at == LLONG_MAX) {
        r->retry_at = now + NB_REMOTE_RETRY_MSEC;
    } else if (now >= r->retry_at && strchr(configured, ',')) {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

        COVERAGE_INC(nb_remote_retry);
        VLOG_INFO_RL(&rl, "no NB cluster member reachable as leader for "
                     "%d ms: trying them all again", NB_REMOTE_RETRY_MSEC);
        r->rotation++;
        r->retry_at = now + NB_REMOTE_RETRY_MSEC;
        nb_remote_set(r, idl, rotate(configured, r->rotation));
    }
}

void
nb_remote_wait(const struct nb_remote *r)
{
    if (r->retry_at != LLONG_MAX) {
        poll_timer_wait_until(r->up_since != LLONG_MAX
                              ? r->up_since + NB_REMOTE_STABLE_MSEC
                              : r->retry_at);
    }
}
