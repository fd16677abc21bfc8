/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

#ifndef SWITCH_CONN_H
#define SWITCH_CONN_H 1

/* The OpenFlow connection to the integration bridge and the mirror of the
 * flows havip has installed there.
 *
 * On every (re)connection ofctrl reads the switch's flows that carry
 * havip's cookie, so after a controller restart or a switch reconnect only
 * the difference is sent: unchanged flows keep their counters and no packet
 * sees a gap.  Changes go out as one atomic, ordered OpenFlow 1.5 bundle
 * followed by a barrier; the nb_cfg given to ofctrl_put() counts as
 * installed only when the barrier reply arrives. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "openvswitch/types.h"

struct dp_packet;
struct ds;
struct hflow;
struct hflow_table;
struct metrics_histogram;
struct ofpbuf;
struct ofctrl;

struct ofctrl *ofctrl_create(void);
void ofctrl_destroy(struct ofctrl *);

void ofctrl_run(struct ofctrl *, const char *target);
void ofctrl_wait(struct ofctrl *);
struct ofpbuf *ofctrl_pop_packet_in(struct ofctrl *);
void ofctrl_packet_out(struct ofctrl *, ofp_port_t,
                       const struct dp_packet *);

bool ofctrl_can_put(const struct ofctrl *);
const struct hflow_table *ofctrl_switch_flows(const struct ofctrl *);
bool ofctrl_needs_full_sync(const struct ofctrl *);
void ofctrl_sync_full(struct ofctrl *, const struct hflow_table *want,
                      int64_t nb_cfg, long long int trigger_usec);
void ofctrl_begin(struct ofctrl *);
void ofctrl_flow_mod(struct ofctrl *, const struct hflow *, uint16_t command);
void ofctrl_commit(struct ofctrl *, int64_t nb_cfg,
                   long long int trigger_usec);
int64_t ofctrl_installed_cfg(const struct ofctrl *);
bool ofctrl_is_synced(const struct ofctrl *);
bool ofctrl_is_idle(const struct ofctrl *);
bool ofctrl_is_connected(const struct ofctrl *);
size_t ofctrl_n_flows(const struct ofctrl *);
const struct metrics_histogram *ofctrl_latency_histogram(
    const struct ofctrl *);

void ofctrl_register_unixctl(struct ofctrl *);
void ofctrl_format(const struct ofctrl *, struct ds *);

#endif /* switch-conn.h */
