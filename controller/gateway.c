/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

/* The active gateway and its announcements.  See gateway.h. */

#include <config.h>
#include "gateway.h"

#include <string.h>
#include "coverage.h"
#include "desired.h"
#include "dp-packet.h"
#include "havip-pipeline.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "ovsdb-idl.h"
#include "ovsdb/havip-nb-idl.h"
#include "packets.h"
#include "simap.h"
#include "sset.h"
#include "switch-conn.h"
#include "timeval.h"
#include "unixctl.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(gateway);

COVERAGE_DEFINE(gateway_change);
COVERAGE_DEFINE(gateway_garp);

struct gateway {
    char *active;               /* Elected gateway chassis, or NULL. */
    int active_priority;
    int rounds_left;            /* GARP rounds still to send. */
    long long int next_round;   /* time_msec() of the next round. */
    uint64_t n_garps;           /* GARPs sent, ever. */
};

static unixctl_cb_func gateway_unixctl_show;

struct gateway *
gateway_create(void)
{
    struct gateway *gw = xzalloc(sizeof *gw);

    unixctl_command_register("gateway/show", "", 0, 0, gateway_unixctl_show,
                             gw);
    return gw;
}

void
gateway_destroy(struct gateway *gw)
{
    if (gw) {
        free(gw->active);
        free(gw);
    }
}

/* Considers 'name' with 'priority' for election into '*best'. */
static void
gateway_consider(const char **best, int *best_priority, const char *name,
                 int priority)
{
    if (!*best || priority > *best_priority
        || (priority == *best_priority && strcmp(name, *best) < 0)) {
        *best = name;
        *best_priority = priority;
    }
}

/* Elects the active gateway (see gateway.h) for 'chassis', whose gateway
 * priority is 'priority', from the Chassis rows in 'nb_idl' and the chassis
 * 'bfd_up' says are reachable, and sets local->active_gateway and
 * local->gateway_tunnel.  Returns true if either changed. */
bool
gateway_run(struct gateway *gw, const struct ovsdb_idl *nb_idl,
            const char *chassis, int priority, const struct sset *bfd_up,
            struct havip_local *local)
{
    const struct nbrec_chassis *ch;
    const char *best = NULL;
    int best_priority = -1;

    if (chassis && local->uplink != OFPP_NONE) {
        gateway_consider(&best, &best_priority, chassis, priority);
    }
    NBREC_CHASSIS_FOR_EACH (ch, nb_idl) {
        if (ch->n_gateway_priority
            && (!chassis || strcmp(ch->name, chassis))
            && sset_contains(bfd_up, ch->name)) {
            gateway_consider(&best, &best_priority, ch->name,
                             ch->gateway_priority[0]);
        }
    }

    if (!nullable_string_is_equal(best, gw->active)) {
        COVERAGE_INC(gateway_change);
        VLOG_INFO("active gateway: %s%s", best ? best : "none",
                  best && chassis && !strcmp(best, chassis)
                  ? " (this chassis)" : "");
        free(gw->active);
        gw->active = nullable_xstrdup(best);
        gw->active_priority = best_priority;
    }

    bool active = best && chassis && !strcmp(best, chassis);
    ofp_port_t tunnel = OFPP_NONE;
    if (best && !active && local->tunnels) {
        const struct simap_node *node = simap_find(local->tunnels, best);
        tunnel = node ? u16_to_ofp(node->data) : OFPP_NONE;
    }
    if (active == local->active_gateway && tunnel == local->gateway_tunnel) {
        return false;
    }
    if (active && !local->active_gateway) {
        gw->rounds_left = GATEWAY_GARP_ROUNDS;
        gw->next_round = time_msec();
    } else if (!active) {
        gw->rounds_left = 0;
    }
    local->active_gateway = active;
    local->gateway_tunnel = tunnel;
    return true;
}

/* Sends a gratuitous ARP request for 'eip' out of 'uplink'. */
static void
gateway_send_garp(struct ofctrl *oc, ofp_port_t uplink, ovs_be32 eip)
{
    struct dp_packet packet;
    uint64_t stub[128 / 8];

    dp_packet_use_stub(&packet, stub, sizeof stub);
    compose_arp(&packet, ARP_OP_REQUEST, havip_eip_mac(eip), eth_addr_zero,
                true, eip, eip);
    ofctrl_packet_out(oc, uplink, &packet);
    dp_packet_uninit(&packet);
}

/* Sends a round of gratuitous ARPs for the EIPs this chassis serves, if
 * it has just become the active gateway, its flows are installed and the
 * round is due. */
void
gateway_announce(struct gateway *gw, struct ofctrl *oc,
                 const struct desired *d, const struct havip_local *local)
{
    if (!gw->rounds_left || !local->active_gateway
        || local->uplink == OFPP_NONE || time_msec() < gw->next_round
        || !ofctrl_is_idle(oc) || desired_has_changes(d)) {
        return;
    }

    ovs_be32 *eips;
    size_t n = desired_eips(d, &eips);
    for (size_t i = 0; i < n; i++) {
        gateway_send_garp(oc, local->uplink, eips[i]);
    }
    free(eips);

    gw->n_garps += n;
    COVERAGE_ADD(gateway_garp, n);
    gw->rounds_left--;
    gw->next_round = time_msec() + GATEWAY_GARP_INTERVAL;
    VLOG_INFO("announced %"PRIuSIZE" EIPs with gratuitous ARPs on the "
              "uplink (%d rounds left)", n, gw->rounds_left);
}

void
gateway_wait(const struct gateway *gw)
{
    if (gw->rounds_left) {
        poll_timer_wait_until(gw->next_round);
    }
}

/* Returns the name of the active gateway chassis, or NULL. */
const char *
gateway_active(const struct gateway *gw)
{
    return gw->active;
}

void
gateway_format(const struct gateway *gw, struct ds *out)
{
    if (gw->active) {
        ds_put_format(out, "active gateway: %s (priority %d)\n", gw->active,
                      gw->active_priority);
    } else {
        ds_put_cstr(out, "active gateway: none\n");
    }
    ds_put_format(out, "gratuitous ARPs sent: %"PRIu64"\n", gw->n_garps);
}

static void
gateway_unixctl_show(struct unixctl_conn *conn, int argc OVS_UNUSED,
                     const char *argv[] OVS_UNUSED, void *gw_)
{
    struct ds out = DS_EMPTY_INITIALIZER;

    gateway_format(gw_, &out);
    unixctl_command_reply(conn, ds_cstr(&out));
    ds_destroy(&out);
}
