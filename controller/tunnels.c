/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

/* Tunnel ports to the other chassis.  See tunnels.h. */

#include <config.h>
#include "tunnels.h"

#include <string.h>
#include "coverage.h"
#include "hash.h"
#include "lib/vswitch-idl.h"
#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "packets.h"
#include "ovsdb-idl.h"
#include "ovsdb/havip-nb-idl.h"
#include "smap.h"
#include "sset.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(tunnels);

COVERAGE_DEFINE(tunnel_add);
COVERAGE_DEFINE(tunnel_update);
COVERAGE_DEFINE(tunnel_delete);
COVERAGE_DEFINE(tunnel_bad_encap);

#define TUNNELS_CHASSIS_KEY "havip-chassis"

/* A tunnel as it should be. */
struct tunnel {
    const char *chassis;        /* Remote chassis name (in the NB IDL). */
    const char *type;           /* "geneve" or "vxlan". */
    const char *remote_ip;
    int bfd_interval;           /* BFD's, in ms, or 0 for no BFD. */
};

void
tunnels_register_idl(struct ovsdb_idl *ovs_idl)
{
    ovsdb_idl_add_column(ovs_idl, &ovsrec_port_col_external_ids);
    ovsdb_idl_add_column(ovs_idl, &ovsrec_interface_col_options);
    ovsdb_idl_add_column(ovs_idl, &ovsrec_interface_col_bfd);
    ovsdb_idl_add_column(ovs_idl, &ovsrec_interface_col_bfd_status);
}

static bool
chassis_is_gateway(const struct nbrec_chassis *ch)
{
    return ch->n_gateway_priority > 0;
}

/* Adds to 'want' (chassis name to struct tunnel) the tunnel to 'ch', if it
 * has an endpoint. */
static void
want_tunnel(struct shash *want, const struct nbrec_chassis *ch, bool gateway,
            int bfd_interval)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

    if (shash_find(want, ch->name)) {
        return;
    }
    if (!ch->encap_ip[0] || !ch->encap_type) {
        VLOG_WARN_RL(&rl, "chassis %s has no tunnel endpoint (encap_ip, "
                     "encap_type): it cannot be reached", ch->name);
        return;
    }

    /* The row may have been written by anyone (encap_type is an enum in
     * the schema, encap_ip a plain string): a garbage address would make a
     * tunnel port that ovs-vswitchd refuses or resolves as a host name. */
    ovs_be32 ip4;
    struct in6_addr ip6;
    if (!ip_parse(ch->encap_ip, &ip4) && !ipv6_parse(ch->encap_ip, &ip6)) {
        static struct vlog_rate_limit bad_rl = VLOG_RATE_LIMIT_INIT(1, 5);

        COVERAGE_INC(tunnel_bad_encap);
        VLOG_WARN_RL(&bad_rl, "chassis %s: encap_ip \"%s\" is not an IP "
                     "address: no tunnel to it", ch->name, ch->encap_ip);
        return;
    }

    struct tunnel *t = xmalloc(sizeof *t);
    t->chassis = ch->name;
    t->type = ch->encap_type;
    t->remote_ip = ch->encap_ip;
    t->bfd_interval = (gateway || chassis_is_gateway(ch)
                       ? bfd_interval : 0);
    shash_add(want, ch->name, t);
}

static void
tunnel_options(const struct tunnel *t, struct smap *options,
               struct smap *bfd)
{
    smap_add(options, "remote_ip", t->remote_ip);
    smap_add(options, "key", "flow");
    if (t->bfd_interval) {
        smap_add(bfd, "enable", "true");
        smap_add_format(bfd, "min_rx", "%d", t->bfd_interval);
        smap_add_format(bfd, "min_tx", "%d", t->bfd_interval);
    }
}

/* Makes 'iface' what 't' says, if it differs. */
static void
tunnel_update(const struct ovsrec_interface *iface, const struct tunnel *t)
{
    struct smap options = SMAP_INITIALIZER(&options);
    struct smap bfd = SMAP_INITIALIZER(&bfd);

    tunnel_options(t, &options, &bfd);
    if (strcmp(iface->type, t->type) || !smap_equal(&iface->options, &options)
        || !smap_equal(&iface->bfd, &bfd)) {
        VLOG_INFO("tunnel %s to chassis %s: %s to %s%s", iface->name,
                  t->chassis, t->type, t->remote_ip,
                  t->bfd_interval ? " (BFD)" : "");
        COVERAGE_INC(tunnel_update);
        ovsrec_interface_set_type(iface, t->type);
        ovsrec_interface_set_options(iface, &options);
        ovsrec_interface_set_bfd(iface, &bfd);
    }
    smap_destroy(&options);
    smap_destroy(&bfd);
}

/* Adds the tunnel port 't' to 'br'. */
static void
tunnel_add(struct ovsdb_idl_txn *txn, const struct ovsrec_bridge *br,
           const struct tunnel *t, struct sset *names)
{
    struct smap options = SMAP_INITIALIZER(&options);
    struct smap bfd = SMAP_INITIALIZER(&bfd);
    struct smap ids = SMAP_INITIALIZER(&ids);
    uint32_t hash = hash_string(t->chassis, 0);
    char name[16];

    /* A name that no port has, found by probing from the hash. */
    do {
        snprintf(name, sizeof name, "hvt-%08"PRIx32, hash++);
    } while (sset_contains(names, name));
    sset_add(names, name);

    VLOG_INFO("adding tunnel %s to chassis %s: %s to %s%s", name,
              t->chassis, t->type, t->remote_ip,
              t->bfd_interval ? " (BFD)" : "");
    COVERAGE_INC(tunnel_add);
    tunnel_options(t, &options, &bfd);
    smap_add(&ids, TUNNELS_CHASSIS_KEY, t->chassis);

    struct ovsrec_interface *iface = ovsrec_interface_insert(txn);
    ovsrec_interface_set_name(iface, name);
    ovsrec_interface_set_type(iface, t->type);
    ovsrec_interface_set_options(iface, &options);
    ovsrec_interface_set_bfd(iface, &bfd);
    ovsrec_interface_set_external_ids(iface, &ids);

    struct ovsrec_port *port = ovsrec_port_insert(txn);
    ovsrec_port_set_name(port, name);
    ovsrec_port_set_interfaces(port, &iface, 1);
    ovsrec_port_set_external_ids(port, &ids);
    ovsrec_bridge_update_ports_addvalue(br, port);

    smap_destroy(&options);
    smap_destroy(&bfd);
    smap_destroy(&ids);
}

/* Fills 'want' with the tunnels this chassis needs (see tunnels.h). */
static void
tunnels_wanted(const struct ovsdb_idl *nb_idl, const char *chassis,
               bool gateway, int bfd_interval, const struct sset *needed,
               struct shash *want)
{
    const struct nbrec_chassis *ch;

    NBREC_CHASSIS_FOR_EACH (ch, nb_idl) {
        if (strcmp(ch->name, chassis)
            && (sset_contains(needed, ch->name) || gateway
                || chassis_is_gateway(ch))) {
            want_tunnel(want, ch, gateway, bfd_interval);
        }
    }
}

/* Makes the tunnel ports of 'br' within 'ovs_txn' those 'chassis' needs:
 * to each chassis in 'needed', and to or from each gateway chassis
 * ('gateway' is true if this chassis has an uplink).  Does nothing unless
 * this chassis has 'encap_ip' and 'ovs_txn' and 'br' are nonnull. */
void
tunnels_run(struct ovsdb_idl_txn *ovs_txn, const struct ovsrec_bridge *br,
            const struct ovsdb_idl *nb_idl, const char *chassis,
            const char *encap_ip, bool gateway, int bfd_interval,
            const struct sset *needed)
{
    if (!ovs_txn || !br || !chassis) {
        return;
    }

    struct shash want = SHASH_INITIALIZER(&want);
    struct sset names = SSET_INITIALIZER(&names);

    if (encap_ip) {
        tunnels_wanted(nb_idl, chassis, gateway, bfd_interval, needed,
                       &want);
    }

    /* Existing tunnels: keep (and update) the wanted ones, delete the
     * others. */
    for (size_t i = 0; i < br->n_ports; i++) {
        const struct ovsrec_port *port = br->ports[i];
        const char *peer = smap_get(&port->external_ids,
                                    TUNNELS_CHASSIS_KEY);

        sset_add(&names, port->name);
        if (!peer) {
            continue;
        }

        struct tunnel *t = shash_find_and_delete(&want, peer);
        if (t && port->n_interfaces == 1) {
            tunnel_update(port->interfaces[0], t);
        } else {
            VLOG_INFO("deleting tunnel %s to chassis %s", port->name, peer);
            COVERAGE_INC(tunnel_delete);
            ovsrec_bridge_update_ports_delvalue(br, port);
        }
        free(t);
    }

    struct shash_node *node;
    SHASH_FOR_EACH (node, &want) {
        tunnel_add(ovs_txn, br, node->data, &names);
    }
    shash_destroy_free_data(&want);
    sset_destroy(&names);
}
