# -*- sh -*-
# tests/lib-netns.sh: the namespace topology (utilities/havip-topology.sh)
# set up for a test, and TCP helpers; shared by tests/netns.sh and
# tests/failover.sh.  Root only.

. "$HAVIP_SRCDIR/utilities/havip-topology.sh"

WAIT="--timeout=20 --wait=hv"
EIP=$HAVIP_TOPO_EIP
HAVIP=$HAVIP_TOPO_HAVIP
PUB=$HAVIP_TOPO_PUB_IP

# ctl ARGS: ovs-appctl to the controller of the current run directory.
ctl() {
    ovs-appctl -t "$HAVIP_RUNDIR/havip-controller.ctl" "$@"
}

# netns_setup [HOLDER]: NB, OVS with a netdev br-int, the namespace
# topology (holder HOLDER, default vm1) and the controller, all installed.
netns_setup() {
    need_root
    unshare --net true 2>/dev/null || skip "cannot create network namespaces"
    command -v ethtool >/dev/null 2>&1 ||
        skip "needs ethtool (TCP through the userspace datapath on veths)"
    check havip_topo_host
    check havip_start_nb
    check havip_start_ovs netdev
    on_exit havip_topo_destroy
    check havip_topo_create "$@"
    check havip_start_controller
    check havip-nbctl $WAIT sync
}

# serve NAME PORT: a TCP server in NAME's namespace that answers each
# connection with "NAME <peer address>", so a client learns whom it reached
# and which source address that server saw (havip_topo_serve; its pidfile
# in the run directory stops it at the end).
serve() {
    check havip_topo_serve "$@"
}

# ask NAME ADDR PORT [SOURCE]: connects from NAME's namespace to ADDR:PORT
# (from address SOURCE if given) and prints what the server answered.
# Fails after $ASK_TIMEOUT (default 5) seconds without a connection.
ask() {
    HAVIP_TOPO_ASK_TIMEOUT=${ASK_TIMEOUT:-5} havip_topo_ask "$@"
}

# expect_ask WANT NAME ADDR PORT [SOURCE]: ask's answer is WANT.
expect_ask() {
    want=$1
    shift
    echo "+ ask $*" >&2
    got=$(ask "$@") || fail "no connection: ask $*"
    expect_eq "$got" "$want" "answer to ask $*"
}

# ip_in_receives NAME: IPv4 datagrams received so far in NAME's namespace.
ip_in_receives() {
    havip_topo_exec "$1" awk '$1 == "Ip:" && $3 ~ /^[0-9]+$/ { print $4 }' \
        /proc/net/snmp
}

# dnat_packets: n_packets of the EIP's DNAT flow on br-int.
dnat_packets() {
    ovs-ofctl -O OpenFlow15 dump-flows br-int "table=5,ip,nw_dst=$EIP" |
        sed -n 's/.*n_packets=\([0-9]*\),.*/\1/p'
}

# dnat_age: the EIP's DNAT flow's duration, in whole seconds.
dnat_age() {
    ovs-ofctl -O OpenFlow15 dump-flows br-int "table=5,ip,nw_dst=$EIP" |
        sed -n 's/.*duration=\([0-9]*\)[.s].*/\1/p'
}
