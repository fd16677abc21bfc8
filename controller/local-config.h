/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

#ifndef LOCAL_CONFIG_H
#define LOCAL_CONFIG_H 1

/* The chassis's local configuration, read from the external_ids of the
 * local Open_vSwitch database's Open_vSwitch row, the way ovn-controller is
 * configured:
 *
 *   system-id                   this chassis's name (required)
 *   havip-remote                HAVIP_Northbound remote(s)
 *   havip-bridge                integration bridge (default br-int)
 *   havip-bridge-datapath-type  its datapath type, when havip creates it
 *   havip-uplink                OVS port that faces the public network
 *   havip-encap-ip              this chassis's tunnel endpoint (IPv4)
 *   havip-encap-type            geneve (default) or vxlan
 *   havip-gateway-priority      0...65535 (default 0): with an uplink, the
 *                               highest live one is the region's gateway
 *   havip-bfd-interval          BFD interval on gateway tunnels, ms
 *                               (default 300)
 *   havip-metrics-address       IP:PORT of /metrics and /healthz
 *                               (default: none)
 *   hostname                    overrides the system's host name
 *
 * local_config_run() rereads the row on every main loop iteration and logs
 * each change; the getters return the values of the last run, which stay
 * valid until the next one. */

#include <stdbool.h>

struct ovsdb_idl;

#define LOCAL_CONFIG_DEFAULT_REMOTE "unix:/var/run/havip/havip_nb.sock"
#define LOCAL_CONFIG_DEFAULT_BRIDGE "br-int"
#define LOCAL_CONFIG_BFD_INTERVAL 300

struct local_config *local_config_create(void);
void local_config_destroy(struct local_config *);

void local_config_register_idl(struct ovsdb_idl *ovs_idl);
void local_config_run(struct local_config *, const struct ovsdb_idl *ovs_idl);

bool local_config_is_read(const struct local_config *);
const char *local_config_system_id(const struct local_config *);
const char *local_config_hostname(const struct local_config *);
const char *local_config_remote(const struct local_config *);
const char *local_config_bridge(const struct local_config *);
const char *local_config_bridge_datapath_type(const struct local_config *);
const char *local_config_uplink(const struct local_config *);
const char *local_config_encap_ip(const struct local_config *);
const char *local_config_encap_type(const struct local_config *);
int local_config_gateway_priority(const struct local_config *);
int local_config_bfd_interval(const struct local_config *);
const char *local_config_metrics_address(const struct local_config *);

#endif /* controller/local-config.h */
