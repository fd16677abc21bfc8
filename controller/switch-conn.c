/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

/* The OpenFlow connection to the integration bridge.  See switch-conn.h.
 *
 * States: DISCONNECTED until rconn connects; DUMPING while the switch's
 * havip flows are read back into 'dumped'; SYNCED afterwards.  The first
 * push after a dump is ofctrl_sync_full(): everything wanted, compared with
 * 'dumped', then 'dumped' is freed.  Later pushes are flow mods the caller
 * computed (ofctrl_begin(), ofctrl_flow_mod(), ofctrl_commit()), sent as
 * one bundle.  Any error from the switch sends us back to DUMPING, so what
 * the caller believes installed never drifts from the switch.
 *
 * On each connection a flow monitor (OpenFlow 1.4's OFPMP_FLOW_MONITOR)
 * watches every table: the switch reports each flow added, changed or
 * removed by another client in full (our own changes come abbreviated).
 * One that carries havip's cookie sends us back to DUMPING, so a flow
 * deleted or changed behind our back is restored within a round trip.
 * Another client that keeps changing havip's flows (a second controller
 * fighting this one) must not make us read every flow again for each of
 * its changes: after one such re-read, the next waits at least
 * FOREIGN_DUMP_MIN_MSEC, doubling while the changes go on, up to
 * FOREIGN_DUMP_MAX_MSEC.
 *
 * rconn backs off up to 8 s between attempts to connect; after
 * ovs-vswitchd restarts (or the bridge is re-created) that would leave the
 * bridge without flows for seconds.  So while disconnected we watch the
 * management socket and try at once whenever a new one appears. */

#include <config.h>
#include "switch-conn.h"

#include <malloc.h>

#include "byte-order.h"
#include "coverage.h"
#include "dp-packet.h"
#include "havip-flow-table.h"
#include "havip-pipeline.h"
#include "metrics.h"
#include "socket-id.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/list.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofp-bundle.h"
#include "openvswitch/ofp-connection.h"
#include "openvswitch/ofp-errors.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-meter.h"
#include "openvswitch/ofp-monitor.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-packet.h"
#include "openvswitch/ofp-print.h"
#include "openvswitch/ofp-util.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/rconn.h"
#include "openvswitch/vlog.h"
#include "openvswitch/poll-loop.h"
#include "timeval.h"
#include "unixctl.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(ofctrl);

COVERAGE_DEFINE(ofctrl_reconnect);
COVERAGE_DEFINE(ofctrl_bundle);
COVERAGE_DEFINE(ofctrl_flow_add);
COVERAGE_DEFINE(ofctrl_flow_modify);
COVERAGE_DEFINE(ofctrl_flow_delete);
COVERAGE_DEFINE(ofctrl_switch_error);
COVERAGE_DEFINE(ofctrl_reconciled_kept);
COVERAGE_DEFINE(ofctrl_packet_in);
COVERAGE_DEFINE(ofctrl_packet_in_overflow);
COVERAGE_DEFINE(ofctrl_foreign_change);
COVERAGE_DEFINE(ofctrl_socket_retry);
COVERAGE_DEFINE(ofctrl_dump);

/* The flow monitor's ID on each connection. */
#define FLOW_MONITOR_ID 1

/* While disconnected: how often the management socket is looked at, and
 * how many quick attempts a new socket gets before rconn's backoff. */
#define SOCKET_WATCH_MSEC 50
#define SOCKET_RETRIES 20

/* Re-reads of the switch's flows for another client's changes: the least
 * and the most time between two (see the top). */
#define FOREIGN_DUMP_MIN_MSEC 100
#define FOREIGN_DUMP_MAX_MSEC 4000

/* Packet-ins (holder learning) at most this many per second per chassis,
 * and queued at most this many between two main loop iterations. */
#define LEARN_RATE 1000
#define MAX_PACKET_INS 1000

enum ofctrl_state {
    S_DISCONNECTED,
    S_DUMPING,                  /* Reading the switch's flows. */
    S_SYNCED,                   /* The switch's flows were read. */
};

/* A barrier in flight: when its reply arrives, 'nb_cfg' is installed. */
struct pending_barrier {
    struct ovs_list list_node;  /* In 'pending'. */
    ovs_be32 xid;
    int64_t nb_cfg;
    long long int trigger_usec; /* When its changes were computed, or 0. */
    long long int sent_usec;    /* When the barrier was sent. */
};

/* Latencies from a change computed to the switch's barrier reply, for the
 * last LATENCY_SAMPLES pushes that changed flows. */
#define LATENCY_SAMPLES 1024

struct ofctrl {
    struct rconn *rconn;
    char *target;               /* "unix:.../br-int.mgmt". */
    unsigned int seqno;         /* rconn connection seqno we handled. */
    enum ofctrl_state state;
    ovs_be32 dump_xid;          /* Flow stats request in DUMPING. */
    struct rconn_packet_counter *tx_counter;

    struct hflow_table dumped;  /* The switch's flows, read on connect and
                                 * held until ofctrl_sync_full(). */
    bool full_sync;             /* ofctrl_sync_full() is due. */
    struct ofctrl_put_state {
        bool open;              /* Between begin and commit. */
        uint32_t bundle_id;
        size_t n_mods;
    } put;
    uint32_t next_bundle_id;

    struct ovs_list pending;    /* Contains "struct pending_barrier"s. */
    struct ovs_list packet_ins; /* Contains "struct ofpbuf"s. */
    size_t n_packet_ins;
    ovs_be32 meter_xid;         /* Meter ADD in flight. */
    ovs_be32 monitor_xid;       /* Flow monitor request. */
    uint64_t n_foreign;         /* Our flows changed by another client. */

    /* Re-reads of the switch's flows for another client's changes. */
    struct {
        bool pending;           /* One is due at 'next_msec'. */
        long long int last_msec; /* When the last one started. */
        long long int next_msec; /* Not before then. */
        long long int backoff;  /* Current least interval, in ms. */
    } redump;

    /* The management socket while disconnected (see the top). */
    struct {
        struct socket_id last;  /* Last connected through. */
        ino_t try_ino;          /* Of the socket being tried. */
        int n_tries;            /* Quick attempts left on it. */
        long long int next_msec; /* When to look again. */
    } sock;
    int64_t put_cfg;            /* nb_cfg of the latest put. */
    int64_t installed_cfg;      /* nb_cfg acked by a barrier. */

    /* Latencies (microseconds), rings of the last LATENCY_SAMPLES:
     * change computed to barrier reply; change computed to bundle sent
     * (havip's own share); barrier round trip with no change (the
     * switch's floor). */
    struct latency_ring {
        long long int v[LATENCY_SAMPLES];
        size_t n;               /* Samples taken, ever. */
    } total, compute, idle_rtt;
    struct metrics_histogram latency; /* 'total', for ever, in seconds. */
    size_t n_flows;             /* Flows on the switch, as far as sent. */

    /* Statistics for ofctrl_format(). */
    uint64_t n_puts;
    uint64_t n_flow_mods;
    size_t last_put_mods;
};

static void ofctrl_start_dump(struct ofctrl *);

struct ofctrl *
ofctrl_create(void)
{
    struct ofctrl *oc = xzalloc(sizeof *oc);

    oc->rconn = rconn_create(0, 8, 0, 1u << OFP15_VERSION);
    oc->tx_counter = rconn_packet_counter_create();
    hflow_table_init(&oc->dumped);
    ovs_list_init(&oc->pending);
    ovs_list_init(&oc->packet_ins);
    oc->state = S_DISCONNECTED;
    oc->next_bundle_id = 1;
    oc->put_cfg = -1;
    oc->installed_cfg = -1;
    return oc;
}

static void
pending_clear(struct ofctrl *oc)
{
    struct pending_barrier *pb;

    LIST_FOR_EACH_POP (pb, list_node, &oc->pending) {
        free(pb);
    }
}

void
ofctrl_destroy(struct ofctrl *oc)
{
    if (oc) {
        rconn_destroy(oc->rconn);
        rconn_packet_counter_destroy(oc->tx_counter);
        hflow_table_destroy(&oc->dumped);
        pending_clear(oc);
        struct ofpbuf *msg;
        LIST_FOR_EACH_POP (msg, list_node, &oc->packet_ins) {
            ofpbuf_delete(msg);
        }
        free(oc->target);
        free(oc);
    }
}

static void
ofctrl_send(struct ofctrl *oc, struct ofpbuf *msg)
{
    rconn_send(oc->rconn, msg, oc->tx_counter);
}

/* Sends 'packet' out of 'port' with a packet-out, if connected. */
void
ofctrl_packet_out(struct ofctrl *oc, ofp_port_t port,
                  const struct dp_packet *packet)
{
    uint64_t ofpacts_stub[64 / 8];
    struct ofpbuf ofpacts;

    if (!rconn_is_connected(oc->rconn)) {
        return;
    }
    ofpbuf_use_stub(&ofpacts, ofpacts_stub, sizeof ofpacts_stub);
    ofpact_put_OUTPUT(&ofpacts)->port = port;

    struct ofputil_packet_out po = {
        .packet = dp_packet_data(packet),
        .packet_len = dp_packet_size(packet),
        .buffer_id = UINT32_MAX,
        .ofpacts = ofpacts.data,
        .ofpacts_len = ofpacts.size,
    };
    match_init_catchall(&po.flow_metadata);
    match_set_in_port(&po.flow_metadata, OFPP_CONTROLLER);
    ofctrl_send(oc, ofputil_encode_packet_out(&po, OFPUTIL_P_OF15_OXM));
    ofpbuf_uninit(&ofpacts);
}

/* Asks the switch for every flow with havip's cookie. */
static void
ofctrl_start_dump(struct ofctrl *oc)
{
    struct ofputil_flow_stats_request fsr = {
        .aggregate = false,
        .cookie = htonll(HFLOW_COOKIE),
        .cookie_mask = htonll(HFLOW_COOKIE_MASK),
        .out_port = OFPP_ANY,
        .out_group = OFPG_ANY,
        .table_id = 0xff,
    };
    match_init_catchall(&fsr.match);

    struct ofpbuf *msg = ofputil_encode_flow_stats_request(
        &fsr, OFPUTIL_P_OF15_OXM);
    oc->dump_xid = ((struct ofp_header *) msg->data)->xid;
    hflow_table_clear(&oc->dumped);
    pending_clear(oc);
    oc->state = S_DUMPING;
    oc->full_sync = false;
    oc->redump.pending = false;
    COVERAGE_INC(ofctrl_dump);
    ofctrl_send(oc, msg);
}

/* Starts the re-read that another client's change made due, if it is time
 * (see the top).  A change that arrives while one is in flight or waiting
 * needs one more after it, which 'pending' remembers. */
static void
ofctrl_redump_run(struct ofctrl *oc)
{
    long long int now = time_msec();

    if (!oc->redump.pending || now < oc->redump.next_msec) {
        return;
    }
    if (oc->redump.backoff
        && now - oc->redump.last_msec < 2 * oc->redump.backoff) {
        /* Still going on: back off further. */
        oc->redump.backoff = MIN(2 * oc->redump.backoff,
                                 FOREIGN_DUMP_MAX_MSEC);
    } else {
        oc->redump.backoff = FOREIGN_DUMP_MIN_MSEC;
    }
    oc->redump.last_msec = now;
    oc->redump.next_msec = now + oc->redump.backoff;
    ofctrl_start_dump(oc);
}

/* Notes that the switch's flows are not what we believe (another client
 * changed them, or changes went unreported): reads them again, at once or
 * after the backoff. */
static void
ofctrl_foreign_change(struct ofctrl *oc)
{
    COVERAGE_INC(ofctrl_foreign_change);
    oc->n_foreign++;
    oc->redump.pending = true;
    ofctrl_redump_run(oc);
}

/* Adds the flows of one flow stats reply to 'dumped'.  Returns true
 * when it was the last reply. */
static bool
ofctrl_handle_dump_reply(struct ofctrl *oc, const struct ofp_header *oh)
{
    static const struct uuid zero;
    struct ofpbuf b = ofpbuf_const_initializer(oh, ntohs(oh->length));
    uint64_t stub[1024 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);

    for (;;) {
        struct ofputil_flow_stats fs;
        int error = ofputil_decode_flow_stats_reply(&fs, &b, false,
                                                    &ofpacts);
        if (error) {
            if (error != EOF) {
                static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
                VLOG_WARN_RL(&rl, "bad flow stats reply: %s",
                             ofperr_to_string(error));
            }
            break;
        }
        struct ofpbuf acts = ofpbuf_const_initializer(fs.ofpacts,
                                                      fs.ofpacts_len);
        if (hflow_table_add(&oc->dumped, &zero, fs.table_id,
                            fs.priority, &fs.match, &acts)) {
            struct minimatch mm;
            minimatch_init(&mm, &fs.match);
            struct hflow *f = hflow_table_find(&oc->dumped, fs.table_id,
                                               fs.priority, &mm);
            minimatch_destroy(&mm);
            if (f) {
                f->cookie = ntohll(fs.cookie);
            }
        }
    }
    ofpbuf_uninit(&ofpacts);
    return !ofpmp_more(oh);
}

static void
latency_add(struct latency_ring *ring, long long int usec)
{
    ring->v[ring->n++ % LATENCY_SAMPLES] = usec;
}

static void
ofctrl_handle_barrier_reply(struct ofctrl *oc, const struct ofp_header *oh)
{
    struct pending_barrier *pb;

    /* The switch answers barriers in order: a reply completes its barrier
     * and every one sent before it. */
    LIST_FOR_EACH (pb, list_node, &oc->pending) {
        if (pb->xid == oh->xid) {
            break;
        }
    }
    if (&pb->list_node == &oc->pending) {
        return;
    }
    while (!ovs_list_is_empty(&oc->pending)) {
        struct pending_barrier *first = CONTAINER_OF(
            ovs_list_pop_front(&oc->pending), struct pending_barrier,
            list_node);
        bool last = first->xid == oh->xid;

        oc->installed_cfg = first->nb_cfg;
        if (first->trigger_usec) {
            long long int usec = time_usec() - first->trigger_usec;

            latency_add(&oc->total, usec);
            metrics_histogram_observe(&oc->latency, usec / 1e6);
            latency_add(&oc->compute,
                        first->sent_usec - first->trigger_usec);
        } else {
            latency_add(&oc->idle_rtt, time_usec() - first->sent_usec);
        }
        free(first);
        if (last) {
            break;
        }
    }
}

/* Sends the learning meter with 'command' (OFPMC13_ADD or _MODIFY). */
static void
ofctrl_send_meter(struct ofctrl *oc, uint16_t command)
{
    struct ofputil_meter_band band = {
        .type = OFPMBT13_DROP,
        .rate = LEARN_RATE,
        .burst_size = LEARN_RATE,
    };
    struct ofputil_meter_mod mm = {
        .command = command,
        .meter = {
            .meter_id = HAVIP_LEARN_METER,
            .flags = OFPMF13_PKTPS | OFPMF13_BURST,
            .n_bands = 1,
            .bands = &band,
        },
    };
    struct ofpbuf *msg = ofputil_encode_meter_mod(OFP15_VERSION, &mm);

    oc->meter_xid = ((struct ofp_header *) msg->data)->xid;
    ofctrl_send(oc, msg);
}

/* Asks the switch for packet-ins from "controller" actions on this
 * (service) connection and sets the meter that caps them. */
static void
ofctrl_setup_learning(struct ofctrl *oc)
{
    struct ofputil_async_cfg ac = OFPUTIL_ASYNC_CFG_INIT;

    ac.primary[OAM_PACKET_IN] = 1u << OFPR_ACTION;
    ac.secondary[OAM_PACKET_IN] = 1u << OFPR_ACTION;
    ofctrl_send(oc, ofputil_encode_set_async_config(
                    &ac, 1u << OAM_PACKET_IN, OFP15_VERSION));
    ofctrl_send_meter(oc, OFPMC13_ADD);
}

static void
ofctrl_handle_error(struct ofctrl *oc, const struct ofp_header *oh)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);

    if (oh->xid == oc->meter_xid) {
        enum ofperr error = ofperr_decode_msg(oh, NULL);

        oc->meter_xid = 0;
        if (error == OFPERR_OFPMMFC_METER_EXISTS) {
            ofctrl_send_meter(oc, OFPMC13_MODIFY);
        } else {
            VLOG_WARN_RL(&rl, "switch refused the learning meter (%s): "
                         "packet-ins are not rate-limited",
                         ofperr_to_string(error));
        }
        return;
    }

    if (oh->xid == oc->monitor_xid) {
        char *s = ofp_to_string(oh, ntohs(oh->length), NULL, NULL, 2);

        oc->monitor_xid = 0;
        VLOG_WARN_RL(&rl, "switch refused the flow monitor: flows changed "
                     "by another client go unnoticed until the next "
                     "reconnection (%s)", s);
        free(s);
        return;
    }

    char *s = ofp_to_string(oh, ntohs(oh->length), NULL, NULL, 2);

    COVERAGE_INC(ofctrl_switch_error);
    VLOG_WARN_RL(&rl, "switch refused a change, reading its flows again: "
                 "%s", s);
    free(s);
    ofctrl_start_dump(oc);
}

/* Asks the switch to report every flow another client adds, changes or
 * removes, in any table. */
static void
ofctrl_start_monitor(struct ofctrl *oc)
{
    struct ofputil_flow_monitor_request fmr = {
        .id = FLOW_MONITOR_ID,
        .command = OFPFMC_ADD,
        .flags = OFPFMF_ADD | OFPFMF_REMOVED | OFPFMF_MODIFY,
        .out_port = OFPP_ANY,
        .out_group = OFPG_ANY,
        .table_id = 0xff,
    };
    match_init_catchall(&fmr.match);

    struct ofpbuf *msg = ofpbuf_new(0);
    ofputil_append_flow_monitor_request(&fmr, msg, OFPUTIL_P_OF15_OXM);
    ofpmsg_update_length(msg);
    oc->monitor_xid = ((struct ofp_header *) msg->data)->xid;
    ofctrl_send(oc, msg);
}

/* Handles a flow monitor reply or update: any full update (from another
 * client) about a flow with havip's cookie means the switch's flows are no
 * longer what we believe, so they are read again. */
static void
ofctrl_handle_flow_update(struct ofctrl *oc, const struct ofp_header *oh)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
    struct ofpbuf b = ofpbuf_const_initializer(oh, ntohs(oh->length));
    uint64_t stub[1024 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
    bool foreign = false;

    for (;;) {
        struct ofputil_flow_update fu;
        int error = ofputil_decode_flow_update(&fu, &b, &ofpacts);

        if (error) {
            if (error != EOF) {
                VLOG_WARN_RL(&rl, "bad flow monitor update (%s): reading "
                             "the switch's flows again",
                             ofperr_to_string(error));
                foreign = true;
            }
            break;
        }
        if (fu.event == OFPFME_ABBREV || fu.event == OFPFME_PAUSED) {
            continue;           /* Our own change; or wait for RESUMED. */
        }
        if (fu.event == OFPFME_RESUMED) {
            /* Changes made while the monitor was paused were not
             * reported. */
            foreign = true;
            continue;
        }
        if ((ntohll(fu.cookie) & HFLOW_COOKIE_MASK) == HFLOW_COOKIE) {
            if (!foreign) {
                static const char *const events[] = {
                    [OFPFME_ADDED] = "added",
                    [OFPFME_REMOVED] = "removed",
                    [OFPFME_MODIFIED] = "modified",
                };
                VLOG_WARN_RL(&rl, "another client %s a havip flow (table "
                             "%"PRIu8", priority %"PRIu16", cookie %#"
                             PRIx64"): reading the switch's flows again",
                             (fu.event < ARRAY_SIZE(events)
                              && events[fu.event] ? events[fu.event]
                              : "changed"),
                             fu.table_id, fu.priority, ntohll(fu.cookie));
            }
            foreign = true;
        }
    }
    ofpbuf_uninit(&ofpacts);
    if (foreign) {
        ofctrl_foreign_change(oc);
    }
}

static void
ofctrl_recv(struct ofctrl *oc, const struct ofp_header *oh)
{
    enum ofptype type;

    if (ofptype_decode(&type, oh)) {
        return;
    }
    switch (type) {
    case OFPTYPE_ECHO_REQUEST:
        ofctrl_send(oc, ofputil_encode_echo_reply(oh));
        break;
    case OFPTYPE_FLOW_STATS_REPLY:
        if (oc->state == S_DUMPING && oh->xid == oc->dump_xid
            && ofctrl_handle_dump_reply(oc, oh)) {
            VLOG_INFO("switch has %"PRIuSIZE" havip flows",
                      hflow_table_count(&oc->dumped));
            oc->state = S_SYNCED;
            oc->full_sync = true;
            ofctrl_setup_learning(oc);
        }
        break;
    case OFPTYPE_BARRIER_REPLY:
        ofctrl_handle_barrier_reply(oc, oh);
        break;
    case OFPTYPE_ERROR:
        ofctrl_handle_error(oc, oh);
        break;
    case OFPTYPE_FLOW_MONITOR_STATS_REPLY:
        ofctrl_handle_flow_update(oc, oh);
        break;
    case OFPTYPE_FLOW_MONITOR_RESUMED:
        /* Updates were lost while the monitor was paused. */
        ofctrl_foreign_change(oc);
        break;
    case OFPTYPE_PACKET_IN:
        COVERAGE_INC(ofctrl_packet_in);
        if (oc->n_packet_ins >= MAX_PACKET_INS) {
            COVERAGE_INC(ofctrl_packet_in_overflow);
        } else {
            struct ofpbuf *copy = ofpbuf_clone_data(oh, ntohs(oh->length));
            ovs_list_push_back(&oc->packet_ins, &copy->list_node);
            oc->n_packet_ins++;
        }
        break;
    default:
        /* Bundle replies, port status and the like: nothing to do. */
        break;
    }
}

/* While disconnected: if a management socket appeared that is not the one
 * last connected through (ovs-vswitchd restarted, the bridge came back),
 * tries to connect at once instead of waiting out rconn's backoff, every
 * SOCKET_WATCH_MSEC, at most SOCKET_RETRIES times per socket. */
static void
ofctrl_watch_socket(struct ofctrl *oc)
{
    struct socket_id now;

    if (time_msec() < oc->sock.next_msec) {
        return;
    }
    oc->sock.next_msec = time_msec() + SOCKET_WATCH_MSEC;
    socket_id_read(oc->target, &now);
    if (!now.valid || socket_id_equal(&now, &oc->sock.last)) {
        return;                 /* None, or the dead switch's socket. */
    }
    if (now.ino != oc->sock.try_ino) {
        oc->sock.try_ino = now.ino;
        oc->sock.n_tries = SOCKET_RETRIES;
    }
    if (oc->sock.n_tries > 0
        && !strcmp(rconn_get_state(oc->rconn), "BACKOFF")) {
        oc->sock.n_tries--;
        COVERAGE_INC(ofctrl_socket_retry);
        rconn_connect(oc->rconn, oc->target, oc->target);
    }
}

/* Remembers the management socket just connected through. */
static void
ofctrl_note_socket(struct ofctrl *oc)
{
    socket_id_read(oc->target, &oc->sock.last);
    oc->sock.try_ino = 0;
    oc->sock.n_tries = 0;
}

/* Connects to 'target' (if it changed) and handles the switch's messages. */
void
ofctrl_run(struct ofctrl *oc, const char *target)
{
    if (!oc->target || strcmp(oc->target, target)) {
        free(oc->target);
        oc->target = xstrdup(target);
        oc->sock.last.valid = false;
        rconn_connect(oc->rconn, target, target);
    }

    rconn_run(oc->rconn);
    if (!rconn_is_connected(oc->rconn)) {
        oc->state = S_DISCONNECTED;
        ofctrl_watch_socket(oc);
        return;
    }
    if (oc->seqno != rconn_get_connection_seqno(oc->rconn)) {
        oc->seqno = rconn_get_connection_seqno(oc->rconn);
        COVERAGE_INC(ofctrl_reconnect);
        VLOG_INFO("%s: connected, reading havip's flows", target);
        ofctrl_note_socket(oc);
        ofctrl_start_monitor(oc);
        ofctrl_start_dump(oc);
    }

    for (int i = 0; i < 50; i++) {
        struct ofpbuf *msg = rconn_recv(oc->rconn);
        if (!msg) {
            break;
        }
        ofctrl_recv(oc, msg->data);
        ofpbuf_delete(msg);
    }
    ofctrl_redump_run(oc);
}

/* Returns the oldest packet-in received and not yet taken (the caller owns
 * it), or NULL. */
struct ofpbuf *
ofctrl_pop_packet_in(struct ofctrl *oc)
{
    if (ovs_list_is_empty(&oc->packet_ins)) {
        return NULL;
    }
    oc->n_packet_ins--;
    return CONTAINER_OF(ovs_list_pop_front(&oc->packet_ins), struct ofpbuf,
                        list_node);
}

void
ofctrl_wait(struct ofctrl *oc)
{
    rconn_run_wait(oc->rconn);
    rconn_recv_wait(oc->rconn);
    if (rconn_packet_counter_n_packets(oc->tx_counter)) {
        /* A put may be waiting for the backlog to drain. */
        poll_timer_wait(10);
    }
    if (oc->target && !rconn_is_connected(oc->rconn)) {
        poll_timer_wait_until(oc->sock.next_msec);
    }
    if (oc->redump.pending && rconn_is_connected(oc->rconn)) {
        poll_timer_wait_until(oc->redump.next_msec);
    }
}

/* Returns true if ofctrl_put() would send now: connected, synchronised
 * and with nothing queued to the switch. */
bool
ofctrl_can_put(const struct ofctrl *oc)
{
    return (oc->state == S_SYNCED
            && !rconn_packet_counter_n_packets(oc->tx_counter));
}

bool
ofctrl_is_synced(const struct ofctrl *oc)
{
    return oc->state == S_SYNCED;
}

/* Returns true if the switch has confirmed everything sent to it. */
bool
ofctrl_is_idle(const struct ofctrl *oc)
{
    return oc->state == S_SYNCED && ovs_list_is_empty(&oc->pending);
}

int64_t
ofctrl_installed_cfg(const struct ofctrl *oc)
{
    return oc->installed_cfg;
}

/* Returns true if the OpenFlow connection to the switch is up. */
bool
ofctrl_is_connected(const struct ofctrl *oc)
{
    return rconn_is_connected(oc->rconn);
}

/* Returns the number of havip flows on the switch, counting those sent
 * and not confirmed yet. */
size_t
ofctrl_n_flows(const struct ofctrl *oc)
{
    return oc->n_flows;
}

/* Returns the histogram of the latencies from a change computed to the
 * switch's barrier reply for it, since start-up. */
const struct metrics_histogram *
ofctrl_latency_histogram(const struct ofctrl *oc)
{
    return &oc->latency;
}

/* Returns true if flows 'a' and 'b' (same key) need no change on the
 * switch.  Actions decoded from the switch may be in another form than
 * ours (set_field for mod_dl_dst and such), so unequal ofpacts are
 * compared again as encoded OpenFlow 1.5. */
static bool
flows_same(const struct hflow *a, const struct hflow *b)
{
    if (a->cookie != b->cookie) {
        return false;
    }
    if (hflow_actions_equal(a, b->ofpacts, b->ofpacts_len)) {
        return true;
    }

    struct ofpbuf ea, eb;
    ofpbuf_init(&ea, 128);
    ofpbuf_init(&eb, 128);
    hflow_encode_actions(a->ofpacts, a->ofpacts_len, &ea);
    hflow_encode_actions(b->ofpacts, b->ofpacts_len, &eb);
    bool same = ofpbuf_equal(&ea, &eb);
    ofpbuf_uninit(&ea);
    ofpbuf_uninit(&eb);
    return same;
}

/* Sends bundle control 'type' (open or commit) for the open put. */
static void
send_bundle_ctrl(struct ofctrl *oc, uint16_t type)
{
    struct ofputil_bundle_ctrl_msg bc = {
        .bundle_id = oc->put.bundle_id,
        .type = type,
        .flags = OFPBF_ATOMIC | OFPBF_ORDERED,
    };
    ofctrl_send(oc, ofputil_encode_bundle_ctrl_request(OFP15_VERSION, &bc));
}

/* Starts a set of changes: flow mods go into one atomic, ordered bundle,
 * opened when the first one is sent. */
void
ofctrl_begin(struct ofctrl *oc)
{
    oc->put.open = true;
    oc->put.bundle_id = oc->next_bundle_id++;
    oc->put.n_mods = 0;
}

/* Sends 'f' with 'command' (OFPFC_ADD, OFPFC_MODIFY_STRICT or
 * OFPFC_DELETE_STRICT) in the open bundle. */
void
ofctrl_flow_mod(struct ofctrl *oc, const struct hflow *f, uint16_t command)
{
    struct ofputil_flow_mod fm;

    ovs_assert(oc->put.open);
    hflow_to_flow_mod(f, command, &fm);
    struct ofpbuf *msg = ofputil_encode_flow_mod(&fm, OFPUTIL_P_OF15_OXM);

    if (!oc->put.n_mods) {
        send_bundle_ctrl(oc, OFPBCT_OPEN_REQUEST);
    }

    struct ofputil_bundle_add_msg bam = {
        .bundle_id = oc->put.bundle_id,
        .flags = OFPBF_ATOMIC | OFPBF_ORDERED,
        .msg = msg->data,
    };
    ofctrl_send(oc, ofputil_encode_bundle_add(OFP15_VERSION, &bam));
    ofpbuf_delete(msg);
    oc->put.n_mods++;

    switch (command) {
    case OFPFC_ADD:
        COVERAGE_INC(ofctrl_flow_add);
        oc->n_flows++;
        break;
    case OFPFC_MODIFY_STRICT:
        COVERAGE_INC(ofctrl_flow_modify);
        break;
    case OFPFC_DELETE_STRICT:
        COVERAGE_INC(ofctrl_flow_delete);
        oc->n_flows -= oc->n_flows > 0;
        break;
    default:
        OVS_NOT_REACHED();
    }
}

/* Commits the bundle (if any flow mod was sent) and sends a barrier whose
 * reply marks 'nb_cfg' installed.  'trigger_usec' is when the changes
 * were computed, for ofctrl/latency. */
void
ofctrl_commit(struct ofctrl *oc, int64_t nb_cfg, long long int trigger_usec)
{
    size_t n_mods = oc->put.n_mods;

    ovs_assert(oc->put.open);
    oc->put.open = false;
    if (n_mods) {
        send_bundle_ctrl(oc, OFPBCT_COMMIT_REQUEST);
        COVERAGE_INC(ofctrl_bundle);
    }
    if (n_mods || nb_cfg != oc->put_cfg) {
        struct ofpbuf *barrier = ofputil_encode_barrier_request(
            OFP15_VERSION);
        struct pending_barrier *pb = xmalloc(sizeof *pb);

        pb->xid = ((struct ofp_header *) barrier->data)->xid;
        pb->nb_cfg = nb_cfg;
        pb->trigger_usec = n_mods ? trigger_usec : 0;
        pb->sent_usec = time_usec();
        ovs_list_push_back(&oc->pending, &pb->list_node);
        ofctrl_send(oc, barrier);
    }
    oc->put_cfg = nb_cfg;
    oc->n_puts++;
    oc->n_flow_mods += n_mods;
    oc->last_put_mods = n_mods;
}

/* Returns true if the switch's flows were just read (after a connection
 * or an error) and ofctrl_sync_full() must compare them with everything
 * havip wants. */
bool
ofctrl_needs_full_sync(const struct ofctrl *oc)
{
    return oc->state == S_SYNCED && oc->full_sync;
}

/* Returns the switch's flows as just read back, while
 * ofctrl_needs_full_sync() (otherwise NULL).  Their owners are not known,
 * only their cookies. */
const struct hflow_table *
ofctrl_switch_flows(const struct ofctrl *oc)
{
    return ofctrl_needs_full_sync(oc) ? &oc->dumped : NULL;
}

/* Logs (at debug level) a change a synchronisation makes. */
static void
log_sync(const char *what, const struct hflow *f, const struct hflow *old)
{
    if (VLOG_IS_DBG_ENABLED()) {
        struct ds s = DS_EMPTY_INITIALIZER;

        hflow_format(f, &s);
        if (old) {
            ds_put_format(&s, " (cookie %#"PRIx64", was cookie %#"PRIx64
                          ", ", f->cookie, old->cookie);
            hflow_format(old, &s);
            ds_put_char(&s, ')');
        }
        VLOG_DBG("reconcile: %s %s", what, ds_cstr(&s));
        ds_destroy(&s);
    }
}

/* Makes the switch's havip flows equal to 'want', sending only the
 * difference from what it has: unchanged flows keep their counters. */
void
ofctrl_sync_full(struct ofctrl *oc, const struct hflow_table *want,
                 int64_t nb_cfg, long long int trigger_usec)
{
    const struct hflow *f;

    ofctrl_begin(oc);
    oc->n_flows = hflow_table_count(&oc->dumped);
    HMAP_FOR_EACH (f, node, &want->flows) {
        const struct hflow *old = hflow_table_find(&oc->dumped, f->table_id,
                                                   f->priority, &f->match);
        if (!old) {
            log_sync("adding", f, NULL);
            ofctrl_flow_mod(oc, f, OFPFC_ADD);
        } else if (!flows_same(f, old)) {
            log_sync("changing", f, old);
            ofctrl_flow_mod(oc, f, OFPFC_MODIFY_STRICT);
        } else {
            COVERAGE_INC(ofctrl_reconciled_kept);
        }
    }
    HMAP_FOR_EACH (f, node, &oc->dumped.flows) {
        if (!hflow_table_find(want, f->table_id, f->priority, &f->match)) {
            log_sync("deleting", f, NULL);
            ofctrl_flow_mod(oc, f, OFPFC_DELETE_STRICT);
        }
    }
    ofctrl_commit(oc, nb_cfg, trigger_usec);
    VLOG_INFO("synchronised with the switch: %"PRIuSIZE" flows wanted, "
              "%"PRIuSIZE" changed", hflow_table_count(want),
              oc->last_put_mods);
    hflow_table_clear(&oc->dumped);
    oc->full_sync = false;
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

void
ofctrl_format(const struct ofctrl *oc, struct ds *s)
{
    static const char *const states[] = {
        [S_DISCONNECTED] = "disconnected",
        [S_DUMPING] = "reading the switch's flows",
        [S_SYNCED] = "in sync",
    };

    ds_put_format(s, "switch %s: %s\n", oc->target ? oc->target : "(none)",
                  states[oc->state]);
    ds_put_format(s, "installed nb_cfg: %"PRId64"\n", oc->installed_cfg);
    ds_put_format(s, "pushes: %"PRIu64", flow mods: %"PRIu64
                  " (last: %"PRIuSIZE")\n", oc->n_puts, oc->n_flow_mods,
                  oc->last_put_mods);
    ds_put_format(s, "flows changed by another client: %"PRIu64"\n",
                  oc->n_foreign);
}

static void
ofctrl_unixctl_show(struct unixctl_conn *conn, int argc OVS_UNUSED,
                    const char *argv[] OVS_UNUSED, void *oc_)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    ofctrl_format(oc_, &s);
    unixctl_command_reply(conn, ds_cstr(&s));
    ds_destroy(&s);
}

static int
compare_llong(const void *a_, const void *b_)
{
    const long long int *a = a_;
    const long long int *b = b_;
    return *a < *b ? -1 : *a > *b;
}

/* Appends "WHAT: n, p50, p90, p99, max" for 'ring' to 's'. */
static void
latency_format(struct ds *s, const char *what,
               const struct latency_ring *ring)
{
    size_t n = MIN(ring->n, LATENCY_SAMPLES);
    long long int *v = xmemdup(ring->v, MAX(n, 1) * sizeof *v);

    qsort(v, n, sizeof *v, compare_llong);
    ds_put_format(s, "%s: %"PRIuSIZE" samples", what, n);
    if (n) {
        ds_put_format(s, ", p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, "
                      "max %.3f ms", v[n / 2] / 1000.0,
                      v[n * 9 / 10] / 1000.0, v[n * 99 / 100] / 1000.0,
                      v[n - 1] / 1000.0);
    }
    ds_put_char(s, '\n');
    free(v);
}

/* "ofctrl/latency [reset]": from a change computed (a database update or
 * a learned holder) to the switch confirming its flows, the share before
 * the bundle leaves havip, and the switch's bare barrier round trip. */
static void
ofctrl_unixctl_latency(struct unixctl_conn *conn, int argc,
                       const char *argv[], void *oc_)
{
    struct ofctrl *oc = oc_;

    if (argc > 1 && !strcmp(argv[1], "reset")) {
        oc->total.n = oc->compute.n = oc->idle_rtt.n = 0;
        unixctl_command_reply(conn, NULL);
        return;
    }

    struct ds s = DS_EMPTY_INITIALIZER;
    latency_format(&s, "change to switch ack", &oc->total);
    latency_format(&s, "change to bundle sent", &oc->compute);
    latency_format(&s, "barrier round trip, no change", &oc->idle_rtt);
    unixctl_command_reply(conn, ds_cstr(&s));
    ds_destroy(&s);
}

/* Registers "ofctrl/show" (the switch connection and what was pushed) and
 * "ofctrl/latency". */
void
ofctrl_register_unixctl(struct ofctrl *oc)
{
    unixctl_command_register("ofctrl/show", "", 0, 0, ofctrl_unixctl_show,
                             oc);
    unixctl_command_register("ofctrl/latency", "[reset]", 0, 1,
                             ofctrl_unixctl_latency, oc);
}
