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
#include "socket-id.h"
#include "svec.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(nb_remote);

COVERAGE_DEFINE(nb_remote_retry);
COVERAGE_DEFINE(nb_remote_socket_back);

/* How often a single "unix:" remote's socket is looked at while the
 * database is unreachable. */
#define NB_REMOTE_SOCKET_MSEC 100

struct nb_remote {
    char *configured;           /* As configured (havip-remote). */
    char *current;              /* Given to the IDL: 'configured' rotated. */
    size_t rotation;            /* Members 'current' starts after. */
    long long int up_since;     /* Connected since, or LLONG_MAX. */
    long long int retry_at;     /* When to start a new session if still not
                                 * connected for good; LLONG_MAX while
                                 * connected for good. */

    /* A single "unix:" remote's socket: the one last connected through or
     * tried, so that a server started again is tried at once instead of
     * after the IDL's backoff (up to 8 s). */
    struct socket_id sock;
    long long int sock_next;    /* When to look at it again. */
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

/* Returns the socket file of 'remote' if it is a single "unix:" remote,
 * else NULL. */
static const char *
unix_socket(const char *remote)
{
    return (!strncmp(remote, "unix:", 5) && !strchr(remote, ',')
            ? remote + 5 : NULL);
}

/* Remembers the socket of the single unix remote 'configured' just
 * connected through, if it is one. */
static void
note_socket(struct nb_remote *r, const char *configured)
{
    if (unix_socket(configured)) {
        socket_id_read(configured, &r->sock);
    } else {
        r->sock.valid = false;
    }
}

/* While disconnected from the single unix remote 'configured': if its
 * socket is a new one (the server was started again), starts a new
 * session at once, whose first attempt has no backoff. */
static void
watch_socket(struct nb_remote *r, struct ovsdb_idl *idl,
             const char *configured, long long int now)
{
    struct socket_id sock;

    if (!unix_socket(configured) || now < r->sock_next) {
        return;
    }
    r->sock_next = now + NB_REMOTE_SOCKET_MSEC;
    socket_id_read(configured, &sock);
    if (!sock.valid || socket_id_equal(&sock, &r->sock)) {
        return;
    }
    r->sock = sock;
    COVERAGE_INC(nb_remote_socket_back);
    VLOG_INFO("%s: a new socket appeared: connecting at once", configured);
    ovsdb_idl_set_remote(idl, NULL, true);
    nb_remote_set(r, idl, xstrdup(configured));
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
        /* The session just opened tries the socket there is now. */
        note_socket(r, configured);
        return;
    }
    if (ovsdb_idl_is_connected(idl)) {
        if (r->up_since == LLONG_MAX) {
            r->up_since = now;
            note_socket(r, configured);
        }
        if (now - r->up_since >= NB_REMOTE_STABLE_MSEC) {
            r->retry_at = LLONG_MAX;
        }
        return;
    }
    r->up_since = LLONG_MAX;
    watch_socket(r, idl, configured, now);
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
    if (r->up_since == LLONG_MAX && r->configured
        && unix_socket(r->configured)) {
        poll_timer_wait_until(r->sock_next);
    }
    if (r->retry_at != LLONG_MAX) {
        poll_timer_wait_until(r->up_since != LLONG_MAX
                              ? r->up_since + NB_REMOTE_STABLE_MSEC
                              : r->retry_at);
    }
}
