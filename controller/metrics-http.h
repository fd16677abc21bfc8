/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

#ifndef METRICS_HTTP_H
#define METRICS_HTTP_H 1

/* The HTTP server of /metrics and /healthz: libevent's evhttp, on a thread
 * of its own so that the flow loop never waits for a client.
 *
 * The thread knows nothing of the controller.  For each request it asks
 * the main loop for a fresh snapshot (seq_change() on the 'request' seq
 * the main loop waits on), waits for metrics_http_publish() at most
 * METRICS_HTTP_WAIT_MSEC, and serves what it has: the text of the last
 * snapshot for /metrics, and for /healthz 200 "ok" or 503 with the
 * reasons the snapshot gave (or that the main loop did not answer).
 * Anything else gets 404, a method other than GET or HEAD 405; evhttp
 * itself refuses malformed or oversized requests. */

struct metrics_http;
struct seq;

/* How long a request waits for the main loop's snapshot. */
#define METRICS_HTTP_WAIT_MSEC 500

int metrics_http_start(const char *address, struct seq *request,
                       struct metrics_http **);
void metrics_http_stop(struct metrics_http *);
const char *metrics_http_address(const struct metrics_http *);
void metrics_http_exit(void);

void metrics_http_publish(struct metrics_http *, const char *text,
                          const char *unhealthy);

#endif /* controller/metrics-http.h */
