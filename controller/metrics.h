/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

#ifndef METRICS_H
#define METRICS_H 1

/* The controller's metrics, in the Prometheus text format, and its health.
 *
 * The main loop owns every number.  metrics_run() calls the snapshot
 * function given to metrics_create() only when someone asks: the HTTP
 * server (metrics-http.c, on its own thread, started on the address in
 * external_ids:havip-metrics-address) or "metrics/show".  It renders the
 * text for /metrics and the verdict for /healthz and hands both to the
 * server, which never reads controller state itself.
 *
 * Counters that exist as coverage counters (learn_garp, ofctrl_bundle...)
 * are read from OVS's coverage module, whose totals are brought up to date
 * once a second; the snapshot function fills the rest from the modules
 * that own them. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Buckets of havip_change_to_installed_seconds, in seconds (+Inf is
 * implied). */
#define METRICS_LATENCY_BUCKETS \
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, \
    2.5, 5
#define METRICS_N_LATENCY_BUCKETS 13

/* A Prometheus histogram of latencies. */
struct metrics_histogram {
    uint64_t buckets[METRICS_N_LATENCY_BUCKETS]; /* Not cumulative. */
    uint64_t count;             /* Observations, +Inf included. */
    double sum;                 /* Of the observations, in seconds. */
};

/* Adds 'seconds' to 'h'.  Inline, so that the modules that keep a
 * histogram (switch-conn.c) do not pull the metrics server into programs
 * that link them without it (the fuzz replays). */
static inline void
metrics_histogram_observe(struct metrics_histogram *h, double seconds)
{
    static const double bounds[] = { METRICS_LATENCY_BUCKETS };
    size_t i;

    for (i = 0; i < sizeof bounds / sizeof bounds[0]; i++) {
        if (seconds <= bounds[i]) {
            h->buckets[i]++;
            break;
        }
    }
    h->count++;
    h->sum += seconds;
}

/* HAVIPs by state, as "havip/show" shows them. */
enum metrics_binding_state {
    METRICS_BINDING_ACTIVE,     /* A holder is programmed. */
    METRICS_BINDING_NO_HOLDER,  /* No holder: traffic to it is dropped. */
    METRICS_BINDING_REFUSED,    /* It breaks a binding rule: no flows. */
    METRICS_N_BINDING_STATES
};

/* Rules are numbered from 1 (see havip-rules.h); 0 is unused. */
#define METRICS_N_RULES 8

/* What the snapshot function fills in. */
struct metrics_values {
    size_t bindings[METRICS_N_BINDING_STATES];
    size_t refused_by_rule[METRICS_N_RULES]; /* Violations by rule. */
    uint64_t recomputes_full;
    uint64_t recomputes_incremental;
    bool nb_connected;          /* HAVIP_Northbound. */
    bool ovs_connected;         /* The local Open_vSwitch database. */
    bool switch_connected;      /* OpenFlow connection to the bridge. */
    bool flows_in_sync;         /* Desired == installed, none in flight. */
    size_t flows_installed;     /* Flows havip has on the switch. */
    struct metrics_histogram latency; /* Change to barrier reply. */
};

typedef void metrics_snapshot_func(struct metrics_values *, void *aux);

struct metrics *metrics_create(metrics_snapshot_func *, void *aux);
void metrics_destroy(struct metrics *);

void metrics_run(struct metrics *, const char *address);
void metrics_wait(struct metrics *);

#endif /* controller/metrics.h */
