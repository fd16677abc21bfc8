/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

/* The metrics HTTP server.  See metrics-http.h.
 *
 * This module owns the listening socket, the libevent base and evhttp
 * server, their thread, and the last snapshot published by the main loop.
 * The main thread creates the socket, base and server, starts the thread,
 * and after joining it frees them; in between only the thread touches
 * them.  The two threads share only what 'mutex' guards, the 'published'
 * latch and the 'request' seq; stopping is an event made active from the
 * main thread (libevent's pthreads locking makes that safe). */

#include <config.h>
#include "metrics-http.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>

#include "latch.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "ovs-rcu.h"
#include "ovs-thread.h"
#include "seq.h"
#include "socket-util.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(metrics_http);

/* A snapshot younger than this is served without asking for a new one, so
 * that a flood of requests costs the main loop at most one snapshot per
 * interval. */
#define METRICS_HTTP_FRESH_MSEC 100

/* Requests: header and body sizes, and how long a connection may stay
 * idle or take to send its request. */
#define METRICS_HTTP_MAX_HEADERS 8192
#define METRICS_HTTP_MAX_BODY 4096
#define METRICS_HTTP_TIMEOUT_SEC 10

struct metrics_http {
    char *address;              /* The bound address, as "IP:PORT". */
    struct seq *request;        /* seq_change()d to ask for a snapshot. */
    struct latch published;     /* Set on each metrics_http_publish(). */

    /* Created and freed by the main thread, used by 'thread' only. */
    struct event_base *base;
    struct evhttp *evhttp;
    struct event *stop;         /* Made active to end the thread's loop. */
    pthread_t thread;
    bool started;               /* Is 'thread' running? */

    struct ovs_mutex mutex;
    char *text OVS_GUARDED;     /* Body of /metrics, or NULL. */
    char *unhealthy OVS_GUARDED; /* Why /healthz fails, NULL if it does
                                  * not. */
    uint64_t generation OVS_GUARDED; /* Snapshots published. */
    long long int published_msec OVS_GUARDED; /* When the last one was. */
    bool stopping OVS_GUARDED;  /* Stop waiting for snapshots. */
};

/* Has evthread_use_pthreads() been called?  (Main thread only.) */
static bool libevent_ready;

/* What a request is answered from. */
struct http_snapshot {
    char *text;                 /* NULL if the main loop never answered. */
    char *unhealthy;
    bool fresh;                 /* Answered in time? */
    long long int age_msec;     /* Since it was published. */
};

/* Copies the last snapshot to 's' (free its strings). */
static void
http_snapshot_copy(struct metrics_http *h, bool fresh,
                   struct http_snapshot *s)
{
    ovs_mutex_lock(&h->mutex);
    s->text = nullable_xstrdup(h->text);
    s->unhealthy = nullable_xstrdup(h->unhealthy);
    s->fresh = fresh && h->generation;
    s->age_msec = time_msec() - h->published_msec;
    ovs_mutex_unlock(&h->mutex);
}

/* Returns true if the snapshot after 'generation' is published, or the
 * server is stopping. */
static bool
http_snapshot_arrived(struct metrics_http *h, uint64_t generation)
{
    ovs_mutex_lock(&h->mutex);
    bool arrived = h->generation > generation || h->stopping;
    ovs_mutex_unlock(&h->mutex);
    return arrived;
}

/* Asks the main loop for a snapshot and waits for it at most
 * METRICS_HTTP_WAIT_MSEC, then copies what there is to 's'. */
static void
http_get_snapshot(struct metrics_http *h, struct http_snapshot *s)
{
    long long int now = time_msec();
    long long int deadline = now + METRICS_HTTP_WAIT_MSEC;

    ovs_mutex_lock(&h->mutex);
    uint64_t generation = h->generation;
    bool recent = (generation
                   && now - h->published_msec < METRICS_HTTP_FRESH_MSEC);
    ovs_mutex_unlock(&h->mutex);
    if (recent) {
        http_snapshot_copy(h, true, s);
        return;
    }

    seq_change(h->request);
    for (;;) {
        if (http_snapshot_arrived(h, generation)) {
            http_snapshot_copy(h, true, s);
            return;
        }
        long long int left = deadline - time_msec();
        if (left <= 0) {
            http_snapshot_copy(h, false, s);
            return;
        }
        struct pollfd pfd = { .fd = h->published.fds[0], .events = POLLIN };
        poll(&pfd, 1, left);
        latch_poll(&h->published);
    }
}

/* Sends 'body' with HTTP status 'code'. */
static void
http_reply(struct evhttp_request *req, int code, const char *reason,
           const char *content_type, const char *body)
{
    struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
    struct evbuffer *out = evhttp_request_get_output_buffer(req);

    evhttp_add_header(headers, "Content-Type", content_type);
    evhttp_add_header(headers, "Cache-Control", "no-store");
    evbuffer_add(out, body, strlen(body));
    evhttp_send_reply(req, code, reason, NULL);
}

static void
http_reply_text(struct evhttp_request *req, int code, const char *reason,
                const char *body)
{
    http_reply(req, code, reason, "text/plain; charset=utf-8", body);
}

static void
http_serve_metrics(struct evhttp_request *req, const struct http_snapshot *s)
{
    if (!s->text) {
        http_reply_text(req, 503, "Service Unavailable",
                        "no metrics yet: the controller's main loop has "
                        "not answered\n");
        return;
    }
    http_reply(req, 200, "OK", "text/plain; version=0.0.4", s->text);
}

static void
http_serve_healthz(struct evhttp_request *req, const struct http_snapshot *s)
{
    struct ds body = DS_EMPTY_INITIALIZER;

    if (!s->fresh) {
        ds_put_format(&body, "main loop: no answer within %d ms",
                      METRICS_HTTP_WAIT_MSEC);
        if (s->text) {
            ds_put_format(&body, " (last snapshot %lld ms old)",
                          s->age_msec);
        }
        ds_put_char(&body, '\n');
    }
    if (s->unhealthy) {
        ds_put_cstr(&body, s->unhealthy);
    }
    if (body.length) {
        http_reply_text(req, 503, "Service Unavailable", ds_cstr(&body));
    } else {
        http_reply_text(req, 200, "OK", "ok\n");
    }
    ds_destroy(&body);
}

/* Handles every request. */
static void
http_handle(struct evhttp_request *req, void *h_)
{
    struct metrics_http *h = h_;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    bool metrics = path && !strcmp(path, "/metrics");
    bool healthz = path && !strcmp(path, "/healthz");

    if (!metrics && !healthz) {
        http_reply_text(req, 404, "Not Found",
                        "not found (try /metrics or /healthz)\n");
        return;
    }
    if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
                          "GET, HEAD");
        http_reply_text(req, 405, "Method Not Allowed",
                        "method not allowed (use GET or HEAD)\n");
        return;
    }

    struct http_snapshot s;
    http_get_snapshot(h, &s);
    if (metrics) {
        http_serve_metrics(req, &s);
    } else {
        http_serve_healthz(req, &s);
    }
    free(s.text);
    free(s.unhealthy);
}

static void
http_stop_cb(evutil_socket_t fd OVS_UNUSED, short events OVS_UNUSED,
             void *h_)
{
    struct metrics_http *h = h_;

    event_base_loopbreak(h->base);
}

static void *
http_thread(void *h_)
{
    struct metrics_http *h = h_;

    /* This thread reads nothing that RCU protects: let RCU go on without
     * waiting for it. */
    ovsrcu_quiesce_start();
    event_base_dispatch(h->base);
    return NULL;
}

/* Opens a listening TCP socket on 'ss' and sets 'ss' to the address it
 * got.  Returns it, or a negative errno value. */
static int
http_listen(struct sockaddr_storage *ss)
{
    unsigned int yes = 1;
    socklen_t len = sizeof *ss;
    int fd = socket(ss->ss_family, SOCK_STREAM, 0);
    int error;

    if (fd < 0) {
        return -errno;
    }
    error = set_nonblocking(fd);
    if (!error
        && (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes) < 0
            || bind(fd, (struct sockaddr *) ss, ss_length(ss)) < 0
            || listen(fd, 64) < 0
            || getsockname(fd, (struct sockaddr *) ss, &len) < 0)) {
        error = errno;
    }
    if (error) {
        close(fd);
        return -error;
    }
    return fd;
}

/* Starts serving on 'address' ("IP:PORT", IPv6 in brackets; port 0 lets
 * the kernel choose), asking for snapshots through 'request'.  Returns 0
 * and sets '*httpp', or returns EINVAL if 'address' cannot be parsed or
 * the errno value from binding it. */
int
metrics_http_start(const char *address, struct seq *request,
                   struct metrics_http **httpp)
{
    struct sockaddr_storage ss;

    *httpp = NULL;
    if (!libevent_ready) {
        /* Before any event base: bases made afterwards have locks, so
         * that event_active() from the main thread is safe. */
        evthread_use_pthreads();
        libevent_ready = true;
    }
    if (!inet_parse_active(address, -1, &ss, false, NULL)) {
        return EINVAL;
    }
    int fd = http_listen(&ss);
    if (fd < 0) {
        return -fd;
    }

    struct metrics_http *h = xzalloc(sizeof *h);
    struct ds s = DS_EMPTY_INITIALIZER;
    ss_format_address(&ss, &s);
    ds_put_format(&s, ":%"PRIu16, ss_get_port(&ss));
    h->address = ds_steal_cstr(&s);
    h->request = request;
    latch_init(&h->published);
    ovs_mutex_init(&h->mutex);

    h->base = event_base_new();
    h->evhttp = evhttp_new(h->base);
    h->stop = event_new(h->base, -1, 0, http_stop_cb, h);
    if (!h->base || !h->evhttp || !h->stop
        || !evhttp_accept_socket_with_handle(h->evhttp, fd)) {
        close(fd);
        metrics_http_stop(h);
        return ENOMEM;
    }
    evhttp_set_allowed_methods(h->evhttp,
                               EVHTTP_REQ_GET | EVHTTP_REQ_POST
                               | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT
                               | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS
                               | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT
                               | EVHTTP_REQ_PATCH);
    evhttp_set_max_headers_size(h->evhttp, METRICS_HTTP_MAX_HEADERS);
    evhttp_set_max_body_size(h->evhttp, METRICS_HTTP_MAX_BODY);
    evhttp_set_timeout(h->evhttp, METRICS_HTTP_TIMEOUT_SEC);
    evhttp_set_gencb(h->evhttp, http_handle, h);

    h->thread = ovs_thread_create("metrics", http_thread, h);
    h->started = true;
    *httpp = h;
    return 0;
}

/* Stops serving (if 'h' is nonnull): ends the thread, closes the socket
 * and every connection, and frees 'h'. */
void
metrics_http_stop(struct metrics_http *h)
{
    if (!h) {
        return;
    }
    if (h->started) {
        ovs_mutex_lock(&h->mutex);
        h->stopping = true;
        ovs_mutex_unlock(&h->mutex);
        latch_set(&h->published);
        event_active(h->stop, 0, 0);
        xpthread_join(h->thread, NULL);
    }
    if (h->stop) {
        event_free(h->stop);
    }
    if (h->evhttp) {
        evhttp_free(h->evhttp);
    }
    if (h->base) {
        event_base_free(h->base);
    }
    latch_destroy(&h->published);
    ovs_mutex_destroy(&h->mutex);
    free(h->text);
    free(h->unhealthy);
    free(h->address);
    free(h);
}

/* Returns the address 'h' listens on, as "IP:PORT". */
const char *
metrics_http_address(const struct metrics_http *h)
{
    return h->address;
}

/* Makes 'text' the body of /metrics and 'unhealthy' (one line per failed
 * check, or NULL if none failed) the verdict of /healthz, and wakes the
 * requests waiting for them. */
void
metrics_http_publish(struct metrics_http *h, const char *text,
                     const char *unhealthy)
{
    ovs_mutex_lock(&h->mutex);
    free(h->text);
    h->text = xstrdup(text);
    free(h->unhealthy);
    h->unhealthy = nullable_xstrdup(unhealthy);
    h->generation++;
    h->published_msec = time_msec();
    ovs_mutex_unlock(&h->mutex);
    latch_set(&h->published);
}

/* Frees libevent's global state, once every server has stopped, at exit. */
void
metrics_http_exit(void)
{
    if (libevent_ready) {
        libevent_global_shutdown();
        libevent_ready = false;
    }
}
