/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

/* Reads the chassis's configuration from the local Open_vSwitch row's
 * external_ids.  This module owns the copies of those values: the IDL row
 * they come from is only borrowed for the length of one main loop
 * iteration. */

#include <config.h>
#include "local-config.h"

#include <limits.h>
#include <string.h>
#include <unistd.h>
#include "lib/vswitch-idl.h"
#include "packets.h"
#include "openvswitch/vlog.h"
#include "ovsdb-idl.h"
#include "smap.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(local_config);

struct local_config {
    bool is_read;               /* Has an Open_vSwitch row been read? */
    char *system_id;            /* external_ids:system-id, NULL if unset. */
    char *hostname;             /* Host name for the Chassis row. */
    char *remote;               /* HAVIP_Northbound remote. */
    char *bridge;               /* Integration bridge name. */
    char *bridge_datapath_type; /* Its datapath type, NULL for default. */
    char *uplink;               /* Uplink port name, NULL if unset. */
    char *encap_ip;             /* Tunnel endpoint, NULL if unset. */
    char *encap_type;           /* "geneve" or "vxlan". */
    char *gateway_priority;     /* Decimal 0...65535, as given. */
    int gw_priority;            /* 'gateway_priority' parsed. */
    int bfd_interval;           /* havip-bfd-interval, in ms. */
    char *metrics_address;      /* havip-metrics-address, NULL if unset. */
};

/* Returns a new, empty configuration: nothing is known until
 * local_config_run() has read the Open_vSwitch row. */
struct local_config *
local_config_create(void)
{
    return xzalloc(sizeof(struct local_config));
}

void
local_config_destroy(struct local_config *cfg)
{
    if (cfg) {
        free(cfg->system_id);
        free(cfg->hostname);
        free(cfg->remote);
        free(cfg->bridge);
        free(cfg->bridge_datapath_type);
        free(cfg->uplink);
        free(cfg->encap_ip);
        free(cfg->encap_type);
        free(cfg->gateway_priority);
        free(cfg->metrics_address);
        free(cfg);
    }
}

/* Adds to 'ovs_idl' the columns this module reads. */
void
local_config_register_idl(struct ovsdb_idl *ovs_idl)
{
    ovsdb_idl_add_table(ovs_idl, &ovsrec_table_open_vswitch);
    ovsdb_idl_add_column(ovs_idl, &ovsrec_open_vswitch_col_external_ids);
}

/* Returns 'value', or NULL if it is NULL or empty: an empty external_ids
 * value means the same as a missing one. */
static const char *
nonempty(const char *value)
{
    return value && value[0] ? value : NULL;
}

/* Returns the value of 'key' in 'ids', or 'def' if it is missing or
 * empty. */
static const char *
local_config_get_def(const struct smap *ids, const char *key,
                     const char *def)
{
    const char *value = nonempty(smap_get(ids, key));
    return value ? value : def;
}

/* Sets '*field', the setting named 'key', to 'value' (which may be NULL),
 * logging the change if there is one. */
static void
local_config_set(char **field, const char *key, const char *value)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(10, 20);

    if (nullable_string_is_equal(*field, value)) {
        return;
    }
    if (value) {
        VLOG_INFO_RL(&rl, "%s is \"%s\"", key, value);
    } else {
        VLOG_INFO_RL(&rl, "%s is not set", key);
    }
    free(*field);
    *field = nullable_xstrdup(value);
}

/* Returns the host name to register: external_ids:hostname, else the
 * system's.  Returns "" if the system has none. */
static const char *
local_config_get_hostname(const struct smap *ids, char *buf, size_t size)
{
    const char *hostname = nonempty(smap_get(ids, "hostname"));
    if (hostname) {
        return hostname;
    }
    if (gethostname(buf, size)) {
        buf[0] = '\0';
    }
    buf[size - 1] = '\0';
    return buf;
}

/* Returns external_ids:havip-encap-ip if it is an IPv4 address, else NULL
 * (logging why). */
static const char *
local_config_get_encap_ip(const struct smap *ids)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);
    const char *ip = nonempty(smap_get(ids, "havip-encap-ip"));
    ovs_be32 addr;

    if (ip && !ip_parse(ip, &addr)) {
        VLOG_ERR_RL(&rl, "external_ids:havip-encap-ip=\"%s\" is not an "
                    "IPv4 address: no tunnels", ip);
        return NULL;
    }
    return ip;
}

/* Returns external_ids:havip-encap-type: "geneve" (the default) or
 * "vxlan". */
static const char *
local_config_get_encap_type(const struct smap *ids)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);
    const char *type = nonempty(smap_get(ids, "havip-encap-type"));

    if (!type || !strcmp(type, "geneve") || !strcmp(type, "vxlan")) {
        return type ? type : "geneve";
    }
    VLOG_ERR_RL(&rl, "external_ids:havip-encap-type=\"%s\" is neither "
                "geneve nor vxlan: using geneve", type);
    return "geneve";
}

/* Returns external_ids:'key', an integer between 'min' and 'max', or 'def'
 * if it is missing or not such an integer (logging why). */
static int
local_config_get_int(const struct smap *ids, const char *key, int min,
                     int max, int def)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);
    const char *s = nonempty(smap_get(ids, key));
    int value;

    if (!s) {
        return def;
    }
    if (!str_to_int(s, 10, &value) || value < min || value > max) {
        VLOG_ERR_RL(&rl, "external_ids:%s=\"%s\" is not an integer "
                    "between %d and %d: using %d", key, s, min, max, def);
        return def;
    }
    return value;
}

/* Rereads the configuration from the Open_vSwitch row in 'ovs_idl'.  Keeps
 * the previous values when the row is missing (the local database is not
 * connected yet or is being reinitialized). */
void
local_config_run(struct local_config *cfg, const struct ovsdb_idl *ovs_idl)
{
    static struct vlog_rate_limit row_rl = VLOG_RATE_LIMIT_INIT(1, 1);
    static struct vlog_rate_limit id_rl = VLOG_RATE_LIMIT_INIT(1, 1);
    const struct ovsrec_open_vswitch *ovs;

    ovs = ovsrec_open_vswitch_first(ovs_idl);
    if (!ovs) {
        if (ovsdb_idl_has_ever_connected(ovs_idl)) {
            VLOG_WARN_RL(&row_rl, "local database has no Open_vSwitch row "
                         "(run \"ovs-vsctl init\"); waiting");
        }
        return;
    }

    const struct smap *ids = &ovs->external_ids;
    const char *system_id = nonempty(smap_get(ids, "system-id"));
    char buf[HOST_NAME_MAX + 1];

    if (!system_id) {
        VLOG_ERR_RL(&id_rl, "Open_vSwitch external_ids:system-id is not set: "
                    "this chassis will not register until it is (e.g. "
                    "\"ovs-vsctl set Open_vSwitch . "
                    "external_ids:system-id=NAME\")");
    }
    local_config_set(&cfg->system_id, "system-id", system_id);
    local_config_set(&cfg->hostname, "hostname",
                     local_config_get_hostname(ids, buf, sizeof buf));
    local_config_set(&cfg->remote, "havip-remote",
                     local_config_get_def(ids, "havip-remote",
                                          LOCAL_CONFIG_DEFAULT_REMOTE));
    local_config_set(&cfg->bridge, "havip-bridge",
                     local_config_get_def(ids, "havip-bridge",
                                          LOCAL_CONFIG_DEFAULT_BRIDGE));
    local_config_set(&cfg->bridge_datapath_type, "havip-bridge-datapath-type",
                     nonempty(smap_get(ids, "havip-bridge-datapath-type")));
    local_config_set(&cfg->uplink, "havip-uplink",
                     nonempty(smap_get(ids, "havip-uplink")));
    local_config_set(&cfg->encap_ip, "havip-encap-ip",
                     local_config_get_encap_ip(ids));
    local_config_set(&cfg->encap_type, "havip-encap-type",
                     local_config_get_encap_type(ids));
    local_config_set(&cfg->metrics_address, "havip-metrics-address",
                     nonempty(smap_get(ids, "havip-metrics-address")));

    char prio[16];
    cfg->gw_priority = local_config_get_int(ids, "havip-gateway-priority",
                                            0, 65535, 0);
    cfg->bfd_interval = local_config_get_int(ids, "havip-bfd-interval",
                                             50, 10000,
                                             LOCAL_CONFIG_BFD_INTERVAL);
    snprintf(prio, sizeof prio, "%d", cfg->gw_priority);
    local_config_set(&cfg->gateway_priority, "havip-gateway-priority", prio);
    cfg->is_read = true;
}

/* Returns true once an Open_vSwitch row has been read: until then every
 * getter returns NULL. */
bool
local_config_is_read(const struct local_config *cfg)
{
    return cfg->is_read;
}

/* Returns external_ids:system-id, or NULL if it is not set. */
const char *
local_config_system_id(const struct local_config *cfg)
{
    return cfg->system_id;
}

/* Returns the host name to write into the Chassis row. */
const char *
local_config_hostname(const struct local_config *cfg)
{
    return cfg->hostname;
}

/* Returns the HAVIP_Northbound remote: external_ids:havip-remote or the
 * default. */
const char *
local_config_remote(const struct local_config *cfg)
{
    return cfg->remote;
}

/* Returns the integration bridge's name: external_ids:havip-bridge or
 * "br-int". */
const char *
local_config_bridge(const struct local_config *cfg)
{
    return cfg->bridge;
}

/* Returns the datapath type for the integration bridge, or NULL to leave it
 * to Open vSwitch. */
const char *
local_config_bridge_datapath_type(const struct local_config *cfg)
{
    return cfg->bridge_datapath_type;
}

/* Returns the name of the uplink port, or NULL if this chassis has none. */
const char *
local_config_uplink(const struct local_config *cfg)
{
    return cfg->uplink;
}

/* Returns this chassis's tunnel endpoint (external_ids:havip-encap-ip), or
 * NULL if it has none: then it reaches no other chassis. */
const char *
local_config_encap_ip(const struct local_config *cfg)
{
    return cfg->encap_ip;
}

/* Returns the tunnel type other chassis use to reach this one: "geneve" or
 * "vxlan". */
const char *
local_config_encap_type(const struct local_config *cfg)
{
    return cfg->encap_type;
}

/* Returns the priority of this chassis as a gateway (higher wins), which
 * matters only if it has an uplink. */
int
local_config_gateway_priority(const struct local_config *cfg)
{
    return cfg->gw_priority;
}

/* Returns the BFD interval, in ms, for tunnels to and from gateways. */
int
local_config_bfd_interval(const struct local_config *cfg)
{
    return cfg->bfd_interval;
}

/* Returns the address to serve metrics on (external_ids:
 * havip-metrics-address, "IP:PORT"), or NULL to serve none. */
const char *
local_config_metrics_address(const struct local_config *cfg)
{
    return cfg->metrics_address;
}
