/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

/* Metrics and health.  See metrics.h.
 *
 * This module owns the metric names, the Prometheus text format, the
 * verdict of /healthz, the configured metrics address and the HTTP server
 * serving it (metrics-http.c), which it starts, restarts on a new address
 * and stops.  It renders only when asked: the main loop waits on the
 * 'request' seq, which the HTTP thread changes for each request. */

#include <config.h>
#include "metrics.h"

#include <errno.h>
#include <limits.h>

#include "coverage.h"
#include "havip-rules.h"
#include "metrics-http.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "seq.h"
#include "timeval.h"
#include "unixctl.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(metrics);

COVERAGE_DEFINE(metrics_bind_error);

BUILD_ASSERT_DECL(HAVIP_RULE_SAME_SUBNET < METRICS_N_RULES);
BUILD_ASSERT_DECL(sizeof (double[]) { METRICS_LATENCY_BUCKETS }
                  == METRICS_N_LATENCY_BUCKETS * sizeof (double));

/* After failing to bind an address that parses (port in use, address not
 * local), try again this often. */
#define METRICS_RETRY_MSEC 5000

struct metrics {
    metrics_snapshot_func *snapshot; /* Fills in the numbers. */
    void *aux;                  /* For 'snapshot'. */
    char *address;              /* havip-metrics-address, or NULL. */
    struct metrics_http *http;  /* Serving 'address', or NULL. */
    long long int retry_msec;   /* When to bind 'address' again, or
                                 * LLONG_MAX. */
    struct seq *request;        /* Changed by the HTTP thread. */
    uint64_t request_seqno;     /* Last 'request' value answered. */
    long long int flush_msec;   /* Wake up then, or LLONG_MAX. */
};

static unixctl_cb_func metrics_unixctl_show;

/* Creates the metrics, whose numbers 'snapshot' fills in (called with
 * 'aux' from metrics_run() and "metrics/show", in the main thread).  No
 * server runs until metrics_run() is given an address. */
struct metrics *
metrics_create(metrics_snapshot_func *snapshot, void *aux)
{
    struct metrics *m = xzalloc(sizeof *m);

    m->snapshot = snapshot;
    m->aux = aux;
    m->retry_msec = LLONG_MAX;
    m->flush_msec = LLONG_MAX;
    m->request = seq_create();
    m->request_seqno = seq_read(m->request);
    unixctl_command_register("metrics/show", "", 0, 0,
                             metrics_unixctl_show, m);
    return m;
}

/* Stops the server, if any, and frees 'm'. */
void
metrics_destroy(struct metrics *m)
{
    if (m) {
        metrics_http_stop(m->http);
        metrics_http_exit();
        seq_destroy(m->request);
        free(m->address);
        free(m);
    }
}

/* The counters that are coverage counters. */
struct metrics_coverage_series {
    const char *label;          /* Label value, or NULL for none. */
    const struct coverage_counter *counter;
};

struct metrics_coverage_family {
    const char *name;
    const char *help;
    const char *label;          /* Label name, or NULL for none. */
    struct metrics_coverage_series series[4]; /* Up to a NULL counter. */
};

#define METRICS_COUNTER(NAME) extern struct coverage_counter counter_##NAME
METRICS_COUNTER(learn_garp);
METRICS_COUNTER(learn_refused);
METRICS_COUNTER(learn_repeat);
METRICS_COUNTER(learn_bad_packet_in);
METRICS_COUNTER(holder_db_change);
METRICS_COUNTER(ofctrl_packet_in);
METRICS_COUNTER(ofctrl_packet_in_overflow);
METRICS_COUNTER(ofctrl_flow_add);
METRICS_COUNTER(ofctrl_flow_modify);
METRICS_COUNTER(ofctrl_flow_delete);
METRICS_COUNTER(ofctrl_bundle);
METRICS_COUNTER(ofctrl_switch_error);
METRICS_COUNTER(ofctrl_reconnect);
METRICS_COUNTER(ofctrl_foreign_change);
METRICS_COUNTER(nb_db_connect);
METRICS_COUNTER(ovs_db_connect);
METRICS_COUNTER(binding_refused);

static const struct metrics_coverage_family holder_families[] = {
    { "havip_holder_changes_total",
      "Holder changes applied on this chassis: learned here from a "
      "gratuitous ARP, or read from the database (an operator's "
      "havip-set-holder or another chassis's learned holder).",
      "source",
      { { "garp", &counter_learn_garp },
        { "db", &counter_holder_db_change } } },
    { "havip_garps_total",
      "Gratuitous ARPs for a HAVIP that reached the controller: learned "
      "(holder moved), refused (port not associated, or learning off), "
      "repeat (already the holder).",
      "result",
      { { "learned", &counter_learn_garp },
        { "refused", &counter_learn_refused },
        { "repeat", &counter_learn_repeat } } },
    { "havip_packet_ins_total",
      "Packet-ins received from the switch.",
      NULL, { { NULL, &counter_ofctrl_packet_in } } },
    { "havip_packet_ins_dropped_total",
      "Packet-ins dropped because too many were queued at once.",
      NULL, { { NULL, &counter_ofctrl_packet_in_overflow } } },
    { "havip_bad_packet_ins_total",
      "Packet-ins refused as not a claim from havip's claim flow.",
      NULL, { { NULL, &counter_learn_bad_packet_in } } },
};

static const struct metrics_coverage_family switch_families[] = {
    { "havip_flow_mods_total",
      "Flow modifications sent to the switch, by operation.",
      "op",
      { { "add", &counter_ofctrl_flow_add },
        { "modify", &counter_ofctrl_flow_modify },
        { "delete", &counter_ofctrl_flow_delete } } },
    { "havip_bundles_total",
      "OpenFlow bundles committed to the switch.",
      NULL, { { NULL, &counter_ofctrl_bundle } } },
    { "havip_switch_errors_total",
      "Changes the switch refused (each makes the controller read the "
      "switch's flows again).",
      NULL, { { NULL, &counter_ofctrl_switch_error } } },
    { "havip_foreign_flow_changes_total",
      "Times another OpenFlow client added, changed or deleted flows with "
      "havip's cookie (each makes the controller read the switch's flows "
      "and restore them).",
      NULL, { { NULL, &counter_ofctrl_foreign_change } } },
};

static const struct metrics_coverage_family connection_families[] = {
    { "havip_connects_total",
      "Connections made (first and later ones) to the databases and the "
      "switch.",
      "peer",
      { { "nb", &counter_nb_db_connect },
        { "ovs", &counter_ovs_db_connect },
        { "switch", &counter_ofctrl_reconnect } } },
    { "havip_bindings_refused_total",
      "Binding rule violations found (each logged once when it appears).",
      NULL, { { NULL, &counter_binding_refused } } },
    { "havip_metrics_bind_errors_total",
      "Failures to serve on havip-metrics-address (unparsable, port in "
      "use...).",
      NULL, { { NULL, &counter_metrics_bind_error } } },
};

static void
put_header(struct ds *s, const char *name, const char *type,
           const char *help)
{
    ds_put_format(s, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Appends 'n' coverage counter families.  Their totals are brought up to
 * date once a second by the coverage module; a plain read of a 64-bit
 * total is all that is needed. */
static void
put_coverage(struct ds *s, const struct metrics_coverage_family *families,
             size_t n)
{
    for (const struct metrics_coverage_family *f = families;
         f < &families[n]; f++) {
        put_header(s, f->name, "counter", f->help);
        for (const struct metrics_coverage_series *series = f->series;
             series < &f->series[ARRAY_SIZE(f->series)] && series->counter;
             series++) {
            ds_put_cstr(s, f->name);
            if (f->label) {
                ds_put_format(s, "{%s=\"%s\"}", f->label, series->label);
            }
            ds_put_format(s, " %llu\n", series->counter->total);
        }
    }
}

static void
put_gauge(struct ds *s, const char *name, const char *help,
          unsigned long long int value)
{
    put_header(s, name, "gauge", help);
    ds_put_format(s, "%s %llu\n", name, value);
}

static void
put_histogram(struct ds *s, const char *name, const char *help,
              const struct metrics_histogram *h)
{
    static const double bounds[] = { METRICS_LATENCY_BUCKETS };
    uint64_t cumulative = 0;

    put_header(s, name, "histogram", help);
    for (size_t i = 0; i < ARRAY_SIZE(bounds); i++) {
        cumulative += h->buckets[i];
        ds_put_format(s, "%s_bucket{le=\"%g\"} %"PRIu64"\n", name, bounds[i],
                      cumulative);
    }
    ds_put_format(s, "%s_bucket{le=\"+Inf\"} %"PRIu64"\n", name, h->count);
    ds_put_format(s, "%s_sum %.6f\n", name, h->sum);
    ds_put_format(s, "%s_count %"PRIu64"\n", name, h->count);
}

/* Appends the Prometheus text of 'v' and the coverage counters to 's'. */
static void
metrics_render(const struct metrics_values *v, struct ds *s)
{
    static const char *const states[] = {
        [METRICS_BINDING_ACTIVE] = "active",
        [METRICS_BINDING_NO_HOLDER] = "no_holder",
        [METRICS_BINDING_REFUSED] = "refused",
    };

    put_header(s, "havip_bindings", "gauge",
               "HAVIPs by state: active (a holder is programmed), "
               "no_holder, refused (a binding rule is broken: no flows).");
    for (size_t i = 0; i < METRICS_N_BINDING_STATES; i++) {
        ds_put_format(s, "havip_bindings{state=\"%s\"} %"PRIuSIZE"\n",
                      states[i], v->bindings[i]);
    }
    put_coverage(s, holder_families, ARRAY_SIZE(holder_families));
    put_coverage(s, switch_families, ARRAY_SIZE(switch_families));

    put_header(s, "havip_recomputes_total", "counter",
               "Desired flow computations: full (every row) or incremental "
               "(one HAVIP's holder).");
    ds_put_format(s, "havip_recomputes_total{kind=\"full\"} %"PRIu64"\n"
                  "havip_recomputes_total{kind=\"incremental\"} %"PRIu64"\n",
                  v->recomputes_full, v->recomputes_incremental);

    put_header(s, "havip_refused_bindings", "gauge",
               "Binding rule violations in the database now, by rule "
               "(see havip-nbctl(8)); their rows have no flows.");
    for (size_t i = 1; i < METRICS_N_RULES; i++) {
        ds_put_format(s, "havip_refused_bindings{rule=\"%"PRIuSIZE"\"} "
                      "%"PRIuSIZE"\n", i, v->refused_by_rule[i]);
    }

    put_header(s, "havip_db_connected", "gauge",
               "1 if connected to the database: nb (HAVIP_Northbound), "
               "ovs (the local Open_vSwitch).");
    ds_put_format(s, "havip_db_connected{db=\"nb\"} %d\n"
                  "havip_db_connected{db=\"ovs\"} %d\n",
                  v->nb_connected, v->ovs_connected);
    put_gauge(s, "havip_switch_connected",
              "1 if the OpenFlow connection to the bridge is up.",
              v->switch_connected);
    put_gauge(s, "havip_flows_in_sync",
              "1 if the switch has every desired flow and confirmed "
              "every change sent.", v->flows_in_sync);
    put_gauge(s, "havip_flows_installed",
              "Flows havip has installed on the switch.",
              v->flows_installed);
    put_coverage(s, connection_families, ARRAY_SIZE(connection_families));
    put_histogram(s, "havip_change_to_installed_seconds",
                  "From a change computed (database update seen, GARP "
                  "learned) to the switch's barrier reply for the bundle "
                  "carrying it.", &v->latency);
}

/* Appends to 's' one line per failed health check in 'v'. */
static void
metrics_check_health(const struct metrics_values *v, struct ds *s)
{
    if (!v->nb_connected) {
        ds_put_cstr(s, "nb: not connected to the HAVIP_Northbound "
                    "database\n");
    }
    if (!v->ovs_connected) {
        ds_put_cstr(s, "ovs: not connected to the local Open_vSwitch "
                    "database\n");
    }
    if (!v->switch_connected) {
        ds_put_cstr(s, "switch: not connected to the bridge\n");
    }
    if (!v->flows_in_sync) {
        ds_put_cstr(s, "flows: not in sync with the switch\n");
    }
}

/* Takes a snapshot and renders it into 'text' and 'unhealthy'. */
static void
metrics_take(struct metrics *m, struct ds *text, struct ds *unhealthy)
{
    struct metrics_values v;

    memset(&v, 0, sizeof v);
    m->snapshot(&v, m->aux);
    metrics_render(&v, text);
    if (unhealthy) {
        metrics_check_health(&v, unhealthy);
    }
}

/* The coverage module adds up a thread's counts only when it polls, and
 * at most once every COVERAGE_CLEAR_INTERVAL: what an iteration counted
 * just before the main loop went idle would wait for the next wake-up.
 * While a server runs, each busy spell ends with one more wake-up, late
 * enough for the totals to catch up. */
static void
metrics_schedule_flush(struct metrics *m)
{
    long long int now = time_msec();

    if (!m->http) {
        m->flush_msec = LLONG_MAX;
    } else if (m->flush_msec != LLONG_MAX && now >= m->flush_msec) {
        m->flush_msec = LLONG_MAX;
    } else {
        m->flush_msec = now + COVERAGE_CLEAR_INTERVAL + 100;
    }
}

/* Starts, moves or stops the server as 'address' (havip-metrics-address,
 * NULL if unset) says, and answers the HTTP thread's requests for a
 * snapshot. */
void
metrics_run(struct metrics *m, const char *address)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

    if (!nullable_string_is_equal(address, m->address)) {
        if (m->http) {
            VLOG_INFO("metrics: stopped serving on %s",
                      metrics_http_address(m->http));
            metrics_http_stop(m->http);
            m->http = NULL;
        }
        free(m->address);
        m->address = nullable_xstrdup(address);
        m->retry_msec = address ? LLONG_MIN : LLONG_MAX;
    }
    if (m->address && !m->http && time_msec() >= m->retry_msec) {
        int error = metrics_http_start(m->address, m->request, &m->http);
        if (!error) {
            VLOG_INFO("metrics: serving http://%s/metrics and /healthz",
                      metrics_http_address(m->http));
        } else {
            COVERAGE_INC(metrics_bind_error);
            if (error == EINVAL) {
                VLOG_WARN_RL(&rl, "external_ids:havip-metrics-address="
                             "\"%s\" is not IP:PORT (e.g. 127.0.0.1:9476):"
                             " not serving metrics", m->address);
                m->retry_msec = LLONG_MAX;
            } else {
                VLOG_WARN_RL(&rl, "metrics: cannot serve on %s (%s): "
                             "trying again every %d s", m->address,
                             ovs_strerror(error), METRICS_RETRY_MSEC / 1000);
                m->retry_msec = time_msec() + METRICS_RETRY_MSEC;
            }
        }
    }

    metrics_schedule_flush(m);

    uint64_t seqno = seq_read(m->request);
    if (seqno != m->request_seqno) {
        m->request_seqno = seqno;
        if (m->http) {
            struct ds text = DS_EMPTY_INITIALIZER;
            struct ds unhealthy = DS_EMPTY_INITIALIZER;

            metrics_take(m, &text, &unhealthy);
            metrics_http_publish(m->http, ds_cstr(&text),
                                 unhealthy.length ? ds_cstr(&unhealthy)
                                 : NULL);
            ds_destroy(&text);
            ds_destroy(&unhealthy);
        }
    }
}

void
metrics_wait(struct metrics *m)
{
    seq_wait(m->request, m->request_seqno);
    if (m->flush_msec != LLONG_MAX) {
        poll_timer_wait_until(m->flush_msec);
    }
    if (m->address && !m->http && m->retry_msec != LLONG_MAX) {
        poll_timer_wait_until(m->retry_msec);
    }
}

/* "metrics/show": the text /metrics serves. */
static void
metrics_unixctl_show(struct unixctl_conn *conn, int argc OVS_UNUSED,
                     const char *argv[] OVS_UNUSED, void *m_)
{
    struct ds text = DS_EMPTY_INITIALIZER;

    metrics_take(m_, &text, NULL);
    unixctl_command_reply(conn, ds_cstr(&text));
    ds_destroy(&text);
}
