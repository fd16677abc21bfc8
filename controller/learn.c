/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

/* Holder learning from packet-ins.  See learn.h. */

#include <config.h>
#include "learn.h"

#include "coverage.h"
#include "desired.h"
#include "dp-packet.h"
#include "flow.h"
#include "havip-flow-table.h"
#include "havip-pipeline.h"
#include "holders.h"
#include "switch-conn.h"
#include "openvswitch/ofp-errors.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-packet.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/vlog.h"
#include "ovsdb/havip-nb-idl.h"
#include "packets.h"

VLOG_DEFINE_THIS_MODULE(learn);

COVERAGE_DEFINE(learn_garp);
COVERAGE_DEFINE(learn_bad_packet_in);
COVERAGE_DEFINE(learn_refused);
COVERAGE_DEFINE(learn_repeat);

/* Handles 'msg', one OpenFlow message from the switch (normally a
 * packet-in, as ofctrl_pop_packet_in() returns them; anything else, or a
 * truncated message, is counted and dropped).  Reads 'msg' only: what the
 * decoded packet-in points to stays in 'msg', which the caller frees.
 * Needs no switch connection, so the fuzzer calls it on raw buffers. */
void
learn_packet_in(struct desired *d, struct holders *h,
                const struct ofpbuf *msg)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 20);
    const struct ofp_header *oh = msg->data;
    struct ofputil_packet_in pin;
    enum ofptype type;
    size_t total_len;
    uint32_t buffer_id;
    enum ofperr error;

    if (msg->size < sizeof *oh || ntohs(oh->length) != msg->size
        || ofptype_decode(&type, oh) || type != OFPTYPE_PACKET_IN) {
        COVERAGE_INC(learn_bad_packet_in);
        VLOG_WARN_RL(&rl, "bad packet-in: not a complete packet-in message");
        return;
    }
    error = ofputil_decode_packet_in(oh, true, NULL, NULL, &pin, &total_len,
                                     &buffer_id, NULL);
    if (error) {
        COVERAGE_INC(learn_bad_packet_in);
        VLOG_WARN_RL(&rl, "bad packet-in: %s", ofperr_to_string(error));
        return;
    }

    struct dp_packet packet;
    struct flow flow;
    dp_packet_use_const(&packet, pin.packet, pin.packet_len);
    flow_extract(&packet, &flow);
    /* 'pin' points into 'oh' (its packet, and the userdata of an
     * NXT_PACKET_IN2): nothing to free. */
    ofp_port_t in_port = pin.flow_metadata.flow.in_port.ofp_port;

    /* Only the claim flow's packet-ins (table 13, havip's fixed cookie)
     * are claims: a "controller" action someone else put on the bridge
     * bypasses port security. */
    if (pin.table_id != HT_CLAIM || ntohll(pin.cookie) != HFLOW_COOKIE) {
        COVERAGE_INC(learn_bad_packet_in);
        VLOG_WARN_RL(&rl, "packet-in on port %"PRIu16" from table %"PRIu8
                     " cookie %#"PRIx64" is not from havip's claim flow",
                     ofp_to_u16(in_port), pin.table_id, ntohll(pin.cookie));
        return;
    }

    /* Port security already let only untagged ARPs from their sender
     * through; check again what the claim depends on. */
    if (flow.dl_type != htons(ETH_TYPE_ARP)
        || (flow.nw_proto != ARP_OP_REQUEST && flow.nw_proto != ARP_OP_REPLY)
        || flow.vlans[0].tci != htons(0)
        || !eth_addr_equals(flow.arp_sha, flow.dl_src)) {
        COVERAGE_INC(learn_bad_packet_in);
        VLOG_WARN_RL(&rl, "packet-in on port %"PRIu16" is not an untagged "
                     "ARP from its sender", ofp_to_u16(in_port));
        return;
    }

    const struct nbrec_havip *havip;
    const struct nbrec_port *port;
    if (!holders_find_claim(h, in_port, flow.nw_src, &havip, &port)) {
        COVERAGE_INC(learn_refused);
        VLOG_INFO_RL(&rl, "ARP for "IP_FMT" on port %"PRIu16": no HAVIP "
                     "with that IP is associated with the port",
                     IP_ARGS(flow.nw_src), ofp_to_u16(in_port));
        return;
    }
    if (!havip_learns(havip)) {
        COVERAGE_INC(learn_refused);
        VLOG_INFO_RL(&rl, "HAVIP %s: port %s claims it, but learning is "
                     "off (options:learn=false)", havip->name, port->name);
        return;
    }

    if (holders_current(h, havip) == port) {
        /* keepalived sends several GARPs at once; the first one already
         * moved the holder. */
        COVERAGE_INC(learn_repeat);
        return;
    }

    COVERAGE_INC(learn_garp);
    VLOG_INFO_RL(&rl, "HAVIP %s: holder is now port %s (learned from its "
                 "ARP for "IP_FMT")", havip->name, port->name,
                 IP_ARGS(flow.nw_src));
    desired_learn(d, havip, port);
}

/* Handles every packet-in 'oc' has received. */
void
learn_run(struct ofctrl *oc, struct desired *d, struct holders *h)
{
    struct ofpbuf *msg;

    while ((msg = ofctrl_pop_packet_in(oc))) {
        learn_packet_in(d, h, msg);
        ofpbuf_delete(msg);
    }
}
