# -*- sh -*-
# havip-topology.sh: a real-packet topology in network namespaces on the
# userspace datapath, for the namespace tests and the demo.  Sourced after
# havip-daemons.sh (and havip_env RUNDIR); needs root.
#
#   havip_topo_host            before havip_start_ovs netdev: removes the run
#                              directory's leftovers and makes the "host"
#                              namespace ovs-vswitchd will run in
#   havip_topo_create [HOLDER] NB rows, namespaces and ports (below); HOLDER
#                              (default vm1, "" for none) is set with
#                              havip-set-holder and gets the HAVIP address
#   havip_topo_destroy         deletes the VM and pub namespaces (ending the
#                              processes left in them) and their ports;
#                              havip_stop_all deletes the host namespace
#   havip_topo_ns NAME         prints NAME's namespace (vm1 vm2 client pub
#                              host)
#   havip_topo_exec NAME CMD.. runs CMD in NAME's namespace
#   havip_topo_move_vip FROM TO moves the HAVIP address from namespace FROM
#                              to TO, as keepalived would (either may be "")
#
# On br-int (datapath_type=netdev) in the host namespace:
#
#   namespace  port    subnet          MAC                address
#   vm1        vm1     s1 10.0.1.0/24  0a:00:00:00:01:0b  10.0.1.11 (+HAVIP)
#   vm2        vm2     s1              0a:00:00:00:01:0c  10.0.1.12
#   client     client  s2 10.0.2.0/24  0a:00:00:00:02:0d  10.0.2.13
#   pub        pub     (the internet)  0a:ff:00:00:00:01  198.51.100.1/24
#
# HAVIP hv1 10.0.1.100 in s1 is associated with vm1 and vm2 and bound to EIP
# e1 203.0.113.10; region r1's external gateway MAC is pub's MAC; pub has an
# on-link route to the EIP.  Each namespace has one veth, "eth0"; its peer,
# in the host namespace, is named after the namespace and is a port of
# br-int: external_ids:iface-id = the NB Port for a VM; for pub, the uplink
# (Open_vSwitch external_ids:havip-uplink=pub).
#
# Why a host namespace: the userspace datapath creates kernel tap devices
# named "ovs-netdev" and "br-int"; in the root namespace two runs (or a
# benchmark and a test) would collide.  Inside it, nothing the topology makes
# is visible in the root namespace, and the names of the OVS ports are
# simply vm1, vm2, client and pub.
#
# Namespace names start with a prefix derived from the run directory
# (havip_topo_prefix), so parallel runs never collide and a killed run's
# leftovers are found again: havip_topo_host purges them first, and
# havip_stop_all purges the prefix written to $HAVIP_RUNDIR/netns.prefix
# (havip_netns_purge in havip-daemons.sh), processes in them included.

HAVIP_TOPO_HAVIP=10.0.1.100
HAVIP_TOPO_EIP=203.0.113.10
HAVIP_TOPO_PUB_IP=198.51.100.1
HAVIP_TOPO_PUB_MAC=0a:ff:00:00:00:01
HAVIP_TOPO_NAMES="vm1 vm2 client pub"

# havip_topo_prefix: prints the namespace prefix of the current run
# directory: "hv", 6 hex digits of a hash of its path, "-".
havip_topo_prefix() {
    printf 'hv%s-' "$(printf %s "$HAVIP_RUNDIR" | md5sum | cut -c1-6)"
}

# havip_topo_ns NAME: prints the namespace of NAME.
havip_topo_ns() {
    printf '%s%s' "$(havip_topo_prefix)" "$1"
}

# havip_topo_exec NAME CMD...: runs CMD in NAME's namespace.
havip_topo_exec() {
    havip_t_ns=$(havip_topo_ns "$1")
    shift
    ip netns exec "$havip_t_ns" "$@"
}

# havip_topo_host: removes what a previous run in this run directory left
# (namespaces and the processes in them) and creates the host namespace,
# with HAVIP_OVS_NETNS naming it for havip_start_ovs.
havip_topo_host() {
    havip_t_prefix=$(havip_topo_prefix)
    havip_netns_purge "$havip_t_prefix"
    echo "$havip_t_prefix" > "$HAVIP_RUNDIR/netns.prefix"
    HAVIP_OVS_NETNS=$(havip_topo_ns host)
    export HAVIP_OVS_NETNS
    ip netns add "$HAVIP_OVS_NETNS" || return 1
    ip -n "$HAVIP_OVS_NETNS" link set lo up || return 1
    ip netns exec "$HAVIP_OVS_NETNS" sysctl -qw \
        net.ipv6.conf.all.disable_ipv6=1 \
        net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1 || true
}

# havip_topo_quiet_link NS DEV: no IPv6 and no checksum offload on DEV in
# namespace NS.  The userspace datapath reads veths with AF_PACKET: a packet
# with a partial checksum (or a TSO super-packet) would come out of NAT with
# a wrong checksum, so TCP needs tx offload off on both ends; rx off makes
# the receiving kernel verify every checksum the datapath rewrote.
havip_topo_quiet_link() {
    ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1" \
        >/dev/null 2>&1 || true
    if command -v ethtool >/dev/null 2>&1; then
        ip netns exec "$1" ethtool -K "$2" tx off rx off >/dev/null 2>&1 \
            || true
    fi
}

# havip_topo_add_ns NAME MAC ADDR/LEN [GATEWAY]: a namespace for NAME with
# "eth0" (MAC, ADDR/LEN, default route via GATEWAY) and its peer NAME in
# the host namespace, all up, IPv6 and offloads off.
havip_topo_add_ns() {
    havip_t_ns=$(havip_topo_ns "$1")
    havip_t_host=$(havip_topo_ns host)
    ip netns add "$havip_t_ns" || return 1
    ip netns exec "$havip_t_ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
        net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1 || true
    ip -n "$havip_t_host" link add "$1" type veth peer name eth0 \
        netns "$havip_t_ns" || return 1
    havip_topo_quiet_link "$havip_t_host" "$1"
    havip_topo_quiet_link "$havip_t_ns" eth0
    ip -n "$havip_t_host" link set "$1" up || return 1
    ip -n "$havip_t_ns" link set lo up || return 1
    ip -n "$havip_t_ns" link set eth0 address "$2" || return 1
    ip -n "$havip_t_ns" link set eth0 up || return 1
    ip -n "$havip_t_ns" addr add "$3" dev eth0 || return 1
    if [ -n "${4:-}" ]; then
        ip -n "$havip_t_ns" route add default via "$4" || return 1
    fi
}

# havip_topo_add_vm NAME SUBNET MAC IP GATEWAY: NB Port NAME and its
# namespace, attached to br-int with iface-id NAME.
havip_topo_add_vm() {
    havip-nbctl port-add "$2" "$1" "$3" "$4" || return 1
    havip_topo_add_ns "$1" "$3" "$4/24" "$5" || return 1
    ovs-vsctl add-port br-int "$1" \
        -- set Interface "$1" external_ids:iface-id="$1"
}

# havip_topo_create [HOLDER]: builds the topology (see the top of this
# file) in the current run directory.  NB and OVS (netdev br-int, started
# after havip_topo_host) must be running; the controller may be started
# before or after.
havip_topo_create() {
    havip_t_holder=${1-vm1}
    [ -n "${HAVIP_OVS_NETNS:-}" ] || {
        echo "havip_topo_create: call havip_topo_host first" >&2
        return 1
    }
    havip-nbctl region-add r1 "$HAVIP_TOPO_PUB_MAC" \
        -- vpc-add r1 vpc1 \
        -- subnet-add vpc1 s1 10.0.1.0/24 \
        -- subnet-add vpc1 s2 10.0.2.0/24 || return 1
    havip_topo_add_vm vm1 s1 0a:00:00:00:01:0b 10.0.1.11 10.0.1.1 || return 1
    havip_topo_add_vm vm2 s1 0a:00:00:00:01:0c 10.0.1.12 10.0.1.1 || return 1
    havip_topo_add_vm client s2 0a:00:00:00:02:0d 10.0.2.13 10.0.2.1 \
        || return 1

    havip_topo_add_ns pub "$HAVIP_TOPO_PUB_MAC" "$HAVIP_TOPO_PUB_IP/24" \
        || return 1
    ip -n "$(havip_topo_ns pub)" route add "$HAVIP_TOPO_EIP/32" dev eth0 \
        || return 1
    ovs-vsctl add-port br-int pub \
        -- set Open_vSwitch . external_ids:havip-uplink=pub || return 1

    havip-nbctl havip-add s1 hv1 "$HAVIP_TOPO_HAVIP" \
        -- havip-associate hv1 vm1 -- havip-associate hv1 vm2 \
        -- eip-add r1 e1 "$HAVIP_TOPO_EIP" -- eip-bind e1 hv1 || return 1
    if [ -n "$havip_t_holder" ]; then
        havip-nbctl havip-set-holder hv1 "$havip_t_holder" || return 1
        havip_topo_move_vip "" "$havip_t_holder"
    fi
}

# havip_topo_move_vip FROM TO: removes the HAVIP address from namespace
# FROM and adds it, as a secondary /32, to TO ("" for none), the way a
# keepalived master change moves it.
havip_topo_move_vip() {
    if [ -n "$1" ]; then
        ip -n "$(havip_topo_ns "$1")" addr del "$HAVIP_TOPO_HAVIP/32" \
            dev eth0 || return 1
    fi
    if [ -n "$2" ]; then
        ip -n "$(havip_topo_ns "$2")" addr add "$HAVIP_TOPO_HAVIP/32" \
            dev eth0 || return 1
    fi
}

# havip_topo_destroy: removes the topology's ports from br-int (when OVS
# still runs) and its VM and pub namespaces, ending the processes left in
# them; deleting a namespace deletes its veth pair.  The host namespace
# goes with havip_stop_all, after ovs-vswitchd; the NB rows with the run
# directory's database.
havip_topo_destroy() {
    for havip_t_name in $HAVIP_TOPO_NAMES; do
        if [ -S "$HAVIP_RUNDIR/db.sock" ]; then
            ovs-vsctl --timeout=5 --if-exists del-port br-int \
                "$havip_t_name" >/dev/null 2>&1 || true
        fi
        havip_netns_purge "$(havip_topo_ns "$havip_t_name")"
    done
}
