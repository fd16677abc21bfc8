# -*- sh -*-
# havip-chassis.sh: several compute nodes ("chassis") on this one machine,
# with real packets on the userspace datapath, for the multi-chassis tests,
# the sandbox and the benchmarks.  Sourced after havip-daemons.sh (and
# havip_env RUNDIR, which also serves the NB database); sources
# havip-topology.sh for its namespace naming, keepalived, traffic and probe
# helpers.  Needs root.  DESIGN.md section 9.
#
# The picture, with chassis 1 and 2 both gateways (a chassis without
# havip_ch_gateway has no uplink) and VMs as a test might add them.  Each
# labelled box or end point is a network namespace, named with the run
# directory's prefix (havip_topo_ns NAME): pub, wan, ch1, ch2, ...,
# underlay and one per VM.  A line is a veth pair, labelled with the names
# of its ends: "ch1" in the wan and underlay bridges, "uplink" and "ul" in
# chassis 1, "vm1" (a port of br-int, external_ids:iface-id=vm1) and
# "eth0" (in the VM).  ":" is the way of tunnelled packets: the tunnel
# ports on br-int (the controller's) send and receive them through br-phy.
#
#       pub: eth0 198.51.100.1/24, MAC 0a:ff:00:00:00:01,
#        |   route 203.0.113.0/24 dev eth0 (the EIPs, on link)
#        | eth0
#   +----+-------------- wan: Linux bridge "wan" -----------------+
#   |   pub                      ch1                      ch2     |
#   +----------------------------+------------------------+-------+
#                                |                        |
#                                | uplink                 | uplink
#   +-- ch1 (chassis 1) ---------+------+  +-- ch2 -------+-------+
#   |  br-int (netdev)         uplink   |  |  br-int      uplink  |
#   |    vm1  vm3 ...  tunnel ports     |  |    vm2 ...  tunnels  |
#   |     |                 :           |  |     |          :     |
#   |     |   br-phy (netdev,standalone)|  |     |   br-phy       |
#   |     |    br-phy: 192.168.77.1/24  |  |     |  192.168.77.2  |
#   |     |    MAC 0a:77:00:00:00:01 ul |  |     |             ul |
#   +-----+--------------------------+--+  +-----+-------------+--+
#         | vm1                      | ul        | vm2         | ul
#         | eth0                     |           | eth0        |
#   vm1: 10.0.1.11/24                |     vm2: 10.0.1.12/24   |
#   +--------------------------------+-------------------------+--+
#   |  underlay: Linux bridge "underlay"   ch1               ch2  |
#   |  MTU HAVIP_CH_UNDERLAY_MTU (1600) on the bridge and veths   |
#   +-------------------------------------------------------------+
#
# Chassis N has its own run directory $HAVIP_RUNDIR/chN holding conf.db,
# ovsdb-server, ovs-vswitchd and havip-controller (pidfiles, logs, unixctl
# sockets, db.sock, br-int.mgmt).  ovs-vswitchd runs inside chN's namespace
# (its kernel tap devices "ovs-netdev", "br-int", "br-phy" live there);
# ovsdb-server and the controller run in the root namespace and talk to it
# over unix sockets only.  Open_vSwitch external_ids: system-id=chN,
# hostname=chN, havip-remote=$HAVIP_NB_DB (the caller's; a comma-separated
# list works), havip-bridge-datapath-type=netdev,
# havip-encap-type=$HAVIP_CH_ENCAP (geneve or vxlan),
# havip-encap-ip=192.168.77.N; a gateway adds havip-uplink=uplink and
# havip-gateway-priority.
#
# The underlay is the standard userspace-tunnel setup: the chassis's NIC
# "ul" is a port of br-phy (netdev, standalone: NORMAL switching), and
# br-phy's internal interface (a tap in the chassis's namespace) carries
# the encap IP and is up.  ovs-vswitchd copies that route from its
# namespace's kernel table into its own (ovs/route/show; havip_ch_add
# waits for it), resolves the remote's MAC with its own ARP through br-phy
# (tnl/arp/show), and decapsulates what arrives for br-phy's address on
# the tunnel's UDP port (tnl/ports/show).  A packet to a chassis whose MAC
# is not known yet is dropped while that ARP goes out (answered within
# milliseconds here); when the dropped packet is a VM's own ARP request,
# the VM asks again only after a second, so the first ping between two
# VMs of a new chassis pair takes about 1 s (a first TCP SYN would be
# retransmitted after 1 s as well); with the VMs' ARP resolved, about 20 ms
# (the next ping).  tests/chassis-harness.sh measures both.
#
# MTU: geneve without options and vxlan add 50 bytes to the VM's IP packet
# (the outer Ethernet header is not counted: 14 inner Ethernet + 8
# geneve/vxlan + 8 UDP + 20 IP); geneve with one option carrying 4 bytes
# adds 58 (OVN's VM MTU of 1442).  The underlay here has MTU
# HAVIP_CH_UNDERLAY_MTU (default 1600) on the bridge and both veth ends,
# so VMs keep MTU 1500.  With a 1500 underlay a VM's MTU must be at most
# 1450 (1442 with such an option): a bigger packet is dropped by the
# sending chassis (ovs-vswitchd logs "error sending Ethernet packet on ul:
# Message too long"), and no ICMP "fragmentation needed" reaches the VM.
#
# Every veth has IPv6 and tx/rx checksum offload off (havip_topo_quiet_link:
# the userspace datapath reads veths with AF_PACKET, a partially
# checksummed or TSO packet would leave with a wrong checksum).
#
# Building:
#   havip_ch_init              stops the run directory's leftover chassis
#                              and deletes its leftover namespaces, then
#                              creates the underlay, wan and pub namespaces
#   havip_ch_add N             chassis N (1..254): namespace, underlay NIC,
#                              its OVS (br-int and br-phy, netdev), its
#                              external_ids; returns once its tunnel route
#                              is known to ovs-vswitchd
#   havip_ch_create K          havip_ch_init and chassis 1..K
#   havip_ch_gateway N PRIORITY [BRIDGE]
#                              chassis N's uplink NIC "uplink" on the wan
#                              bridge, a port of BRIDGE (default br-int),
#                              havip-uplink and havip-gateway-priority set
#   havip_ch_add_vm N NAME MAC ADDR/LEN [GATEWAY [BRIDGE]]
#                              VM NAME's namespace with eth0 (MAC,
#                              ADDR/LEN, default route via GATEWAY if not
#                              ""), its peer NAME a port of BRIDGE (default
#                              br-int) on chassis N with
#                              external_ids:iface-id=NAME; no NB row
#   havip_ch_move_vm NAME N [BRIDGE]
#                              migrates VM NAME to chassis N: its port
#                              leaves the old chassis's bridge (if that
#                              chassis's database still runs) and its veth
#                              moves, the VM namespace (addresses, ARP
#                              cache, keepalived) untouched; the VM sends
#                              nothing by itself (no announcement)
#   havip_ch_vm_chassis NAME   prints the chassis number NAME is on
#
# Addresses and names:
#   havip_ch_ns N              prints chassis N's namespace
#   havip_ch_dir N             prints chassis N's run directory
#   havip_ch_encap_ip N        prints chassis N's underlay IP
#   havip_ch_list              prints the chassis numbers, one a line
#
# Running things on chassis N:
#   havip_ch_env N CMD...      runs CMD (a shell function too) in a subshell
#                              whose OVS_* variables, HAVIP_RUNDIR (the
#                              chassis's directory: HAVIP_CH_TOP is the
#                              top one), HAVIP_CHASSIS and HAVIP_OVS_NETNS
#                              are chassis N's; HAVIP_NB_DB is kept
#   havip_ch_vsctl N ARGS      ovs-vsctl --timeout=10 on chassis N
#   havip_ch_ofctl N ARGS      ovs-ofctl on chassis N
#   havip_ch_appctl N TARGET ARGS
#                              ovs-appctl -t TARGET (ovs-vswitchd,
#                              ovsdb-server, havip-controller)
#   havip_ch_exec N CMD...     runs CMD in chassis N's namespace
#
# Daemons of chassis N (each stop waits until the process is gone):
#   havip_ch_start_controller N [ARGS]
#                              havip_start_controller with chassis N's
#                              environment
#   havip_ch_stop_controller N [SIGNAL]
#                              SIGTERM by default; KILL for a crash
#   havip_ch_restart_controller N [ARGS]
#   havip_ch_stop N [SIGNAL]   the whole chassis: controller, ovs-vswitchd,
#                              ovsdb-server (KILL: a crash); its namespace,
#                              NICs and VMs stay
#   havip_ch_restart N         ovsdb-server and ovs-vswitchd again on the
#                              existing conf.db, br-phy's address back; the
#                              controller is the caller's to start
#   havip_ch_link N up|down    chassis N's NICs (underlay and uplink) up or
#                              down from the other side: a cut cable
#   havip_ch_destroy           stops every chassis (SIGTERM) and deletes
#                              every namespace of the run directory, ending
#                              the processes left in them
#
# The VM, pub, chassis, underlay and wan namespaces are all named by
# havip_topo_ns, so havip-topology.sh's helpers work on them unchanged:
# havip_topo_exec, havip_topo_serve and havip_topo_ask (TCP),
# havip_topo_probe_start/stop (ping every 20 ms, the longest outage;
# HAVIP_TOPO_PROBE names the probe so that several can run),
# havip_topo_keepalived_* (VRRP for HAVIP_TOPO_HAVIP; HAVIP_TOPO_VRRP_VMS
# lists the VMs running it, default "vm1 vm2"), havip_topo_failover,
# havip_topo_garp, havip_topo_wait.  Do not name a VM "host", "pub",
# "underlay", "wan" or "chN".
#
# Settings (set before the calls that use them):
#   HAVIP_CH_ENCAP             havip-encap-type of the chassis added next
#                              (geneve, the default, or vxlan)
#   HAVIP_CH_UNDERLAY_NET      the underlay's /24, default 192.168.77
#   HAVIP_CH_UNDERLAY_MTU      default 1600 (see MTU above)
#   HAVIP_CH_EIP_NET           pub's on-link route, default 203.0.113.0/24
#
# For example (tests/chassis-harness.sh has more):
#
#   havip_env "$dir" && havip_start_nb && havip_ch_create 2 &&
#   havip_ch_gateway 1 10 &&
#   havip_ch_add_vm 1 vm1 0a:00:00:00:01:0b 10.0.1.11/24 10.0.1.1 &&
#   havip_ch_add_vm 2 vm2 0a:00:00:00:01:0c 10.0.1.12/24 10.0.1.1 &&
#   havip_ch_start_controller 1 && havip_ch_start_controller 2 &&
#   havip_ch_vsctl 1 show && havip_topo_exec pub ping 203.0.113.10
#   ...
#   havip_stop_all
#
# Cleanup: every namespace starts with the run directory's prefix, written
# to $HAVIP_RUNDIR/netns.prefix, and each chassis's pidfiles are linked
# from $HAVIP_RUNDIR (chN-ovsdb-server.pid -> chN/ovsdb-server.pid, ...),
# so havip_stop_all (and tests/run after a killed run) stops every daemon
# by pid and deletes every namespace with the processes left in them.
# Nothing in the root namespace but those daemons and files is created,
# and the host's OVS is never used: parallel runs never collide.

. "$HAVIP_SRCDIR/utilities/havip-topology.sh"

HAVIP_CH_ENCAP=${HAVIP_CH_ENCAP:-geneve}
HAVIP_CH_UNDERLAY_NET=${HAVIP_CH_UNDERLAY_NET:-192.168.77}
HAVIP_CH_UNDERLAY_MTU=${HAVIP_CH_UNDERLAY_MTU:-1600}
HAVIP_CH_EIP_NET=${HAVIP_CH_EIP_NET:-203.0.113.0/24}
HAVIP_CH_DAEMONS="havip-controller ovs-vswitchd ovsdb-server"

havip_ch_ns() {
    havip_topo_ns "ch$1"
}

havip_ch_dir() {
    printf '%s/ch%s' "$HAVIP_RUNDIR" "$1"
}

havip_ch_encap_ip() {
    printf '%s.%s' "$HAVIP_CH_UNDERLAY_NET" "$1"
}

havip_ch_list() {
    for havip_c_d in "$HAVIP_RUNDIR"/ch*/conf.db; do
        [ -e "$havip_c_d" ] || continue
        havip_c_d=${havip_c_d%/conf.db}
        echo "${havip_c_d##*/ch}"
    done | sort -n
}

havip_ch_env() {
    havip_c_top=$HAVIP_RUNDIR
    havip_c_dir=$(havip_ch_dir "$1")
    havip_c_ns=$(havip_ch_ns "$1")
    havip_c_n=$1
    shift
    (
        export HAVIP_CH_TOP=$havip_c_top HAVIP_RUNDIR=$havip_c_dir \
               OVS_RUNDIR=$havip_c_dir OVS_LOGDIR=$havip_c_dir \
               OVS_DBDIR=$havip_c_dir OVS_SYSCONFDIR=$havip_c_dir \
               HAVIP_CHASSIS=ch$havip_c_n HAVIP_OVS_NETNS=$havip_c_ns
        "$@"
    )
}

havip_ch_vsctl() {
    havip_c_n=$1
    shift
    havip_ch_env "$havip_c_n" ovs-vsctl --timeout=10 "$@"
}

havip_ch_ofctl() {
    havip_c_n=$1
    shift
    havip_ch_env "$havip_c_n" ovs-ofctl "$@"
}

havip_ch_appctl() {
    havip_c_n=$1 havip_c_target=$2
    shift 2
    # The controller's socket has a fixed name (havip_start_controller).
    case $havip_c_target in
        havip-controller)
            havip_c_target=$(havip_ch_dir "$havip_c_n")/havip-controller.ctl
            ;;
    esac
    havip_ch_env "$havip_c_n" ovs-appctl --timeout=10 \
        -t "$havip_c_target" "$@"
}

havip_ch_exec() {
    havip_c_ns=$(havip_ch_ns "$1")
    shift
    ip netns exec "$havip_c_ns" "$@"
}

# havip_ch_add_ns NAME: an empty namespace for NAME, loopback up, no IPv6.
havip_ch_add_ns() {
    havip_c_ns=$(havip_topo_ns "$1")
    ip netns add "$havip_c_ns" || return 1
    ip netns exec "$havip_c_ns" sysctl -qw \
        net.ipv6.conf.all.disable_ipv6=1 \
        net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1 || true
    ip -n "$havip_c_ns" link set lo up
}

# havip_ch_add_bridge NAME MTU: namespace NAME with a Linux bridge NAME
# (no STP, no multicast snooping: VRRP and broadcasts are flooded).
havip_ch_add_bridge() {
    havip_ch_add_ns "$1" || return 1
    havip_c_ns=$(havip_topo_ns "$1")
    ip -n "$havip_c_ns" link add "$1" mtu "$2" type bridge stp_state 0 \
        mcast_snooping 0 || return 1
    ip -n "$havip_c_ns" link set "$1" up
}

# havip_ch_plug BRIDGE PORT NS DEV MTU: a veth pair, PORT on Linux bridge
# BRIDGE (in the namespace of that name) and DEV in namespace NS, both up,
# MTU MTU, quiet (havip_topo_quiet_link).
havip_ch_plug() {
    havip_c_bns=$(havip_topo_ns "$1")
    ip -n "$havip_c_bns" link add "$2" mtu "$5" type veth \
        peer name "$4" mtu "$5" netns "$3" || return 1
    havip_topo_quiet_link "$havip_c_bns" "$2"
    havip_topo_quiet_link "$3" "$4"
    ip -n "$havip_c_bns" link set "$2" master "$1" up || return 1
    ip -n "$3" link set "$4" up
}

havip_ch_init() {
    havip_c_prefix=$(havip_topo_prefix)
    for havip_c_n in $(havip_ch_list); do
        havip_ch_stop "$havip_c_n"
    done
    havip_netns_purge "$havip_c_prefix"
    echo "$havip_c_prefix" > "$HAVIP_RUNDIR/netns.prefix"
    havip_ch_add_bridge underlay "$HAVIP_CH_UNDERLAY_MTU" || return 1
    havip_ch_add_bridge wan 1500 || return 1
    havip_ch_add_ns pub || return 1
    havip_c_pub=$(havip_topo_ns pub)
    havip_ch_plug wan pub "$havip_c_pub" eth0 1500 || return 1
    ip -n "$havip_c_pub" link set eth0 address "$HAVIP_TOPO_PUB_MAC" \
        || return 1
    ip -n "$havip_c_pub" addr add "$HAVIP_TOPO_PUB_IP/24" dev eth0 \
        || return 1
    ip -n "$havip_c_pub" route add "$HAVIP_CH_EIP_NET" dev eth0
}

# havip_ch_route_known N: true once chassis N's ovs-vswitchd has the route
# to the underlay subnet through br-phy.
havip_ch_route_known() {
    havip_ch_appctl "$1" ovs-vswitchd ovs/route/show 2>/dev/null |
        grep -q "$HAVIP_CH_UNDERLAY_NET\.0/24 dev br-phy"
}

# havip_ch_phy_up N: chassis N's br-phy interface with its underlay address,
# up; waits until ovs-vswitchd has the route (10 s).
havip_ch_phy_up() {
    havip_c_ns=$(havip_ch_ns "$1")
    ip -n "$havip_c_ns" addr replace "$(havip_ch_encap_ip "$1")/24" \
        dev br-phy || return 1
    ip -n "$havip_c_ns" link set br-phy up || return 1
    havip_topo_wait 10 havip_ch_route_known "$1" || {
        echo "chassis $1: ovs-vswitchd has no route via br-phy" >&2
        return 1
    }
}

# havip_ch_link_pidfiles N: links chassis N's pidfiles from $HAVIP_RUNDIR,
# where havip_stop_all looks for them (havip_kill removes the link).
havip_ch_link_pidfiles() {
    for havip_c_d in $HAVIP_CH_DAEMONS; do
        ln -sfn "ch$1/$havip_c_d.pid" "$HAVIP_RUNDIR/ch$1-$havip_c_d.pid" \
            || return 1
    done
}

havip_ch_add() {
    [ -f "$HAVIP_RUNDIR/netns.prefix" ] || {
        echo "havip_ch_add: call havip_ch_init first" >&2
        return 1
    }
    mkdir -p "$(havip_ch_dir "$1")" || return 1
    havip_ch_link_pidfiles "$1" || return 1
    havip_ch_add_ns "ch$1" || return 1
    havip_ch_plug underlay "ch$1" "$(havip_ch_ns "$1")" ul \
        "$HAVIP_CH_UNDERLAY_MTU" || return 1
    havip_ch_env "$1" havip_start_ovs netdev || return 1
    havip_ch_vsctl "$1" \
        -- set Open_vSwitch . external_ids:hostname="ch$1" \
           external_ids:havip-bridge-datapath-type=netdev \
           external_ids:havip-encap-type="$HAVIP_CH_ENCAP" \
           external_ids:havip-encap-ip="$(havip_ch_encap_ip "$1")" \
        -- add-br br-phy \
        -- set Bridge br-phy datapath_type=netdev fail-mode=standalone \
           other-config:disable-in-band=true \
           other-config:hwaddr="$(printf '0a:77:00:00:00:%02x' "$1")" \
        -- set Interface br-phy mtu_request="$HAVIP_CH_UNDERLAY_MTU" \
        -- add-port br-phy ul || return 1
    havip_ch_phy_up "$1"
}

havip_ch_create() {
    havip_ch_init || return 1
    havip_c_i=1
    while [ "$havip_c_i" -le "$1" ]; do
        havip_ch_add "$havip_c_i" || return 1
        havip_c_i=$((havip_c_i + 1))
    done
}

havip_ch_gateway() {
    havip_ch_plug wan "ch$1" "$(havip_ch_ns "$1")" uplink 1500 || return 1
    havip_ch_vsctl "$1" add-port "${3:-br-int}" uplink \
        -- set Open_vSwitch . external_ids:havip-uplink=uplink \
           external_ids:havip-gateway-priority="$2"
}

havip_ch_add_vm() {
    havip_topo_add_ns "$2" "$3" "$4" "${5:-}" "ch$1" || return 1
    havip_ch_vsctl "$1" add-port "${6:-br-int}" "$2" \
        -- set Interface "$2" external_ids:iface-id="$2" || return 1
    echo "$1" > "$HAVIP_RUNDIR/vm-$2.chassis"
}

havip_ch_vm_chassis() {
    cat "$HAVIP_RUNDIR/vm-$1.chassis"
}

havip_ch_move_vm() {
    havip_c_from=$(havip_ch_vm_chassis "$1") || return 1
    # The old chassis may be dead: its database, if running, forgets the
    # port, and its ovs-vswitchd, if running, closes it first.
    havip_c_wait=--no-wait
    if havip_alive "$(cat "$(havip_ch_dir "$havip_c_from")/ovs-vswitchd.pid" \
            2>/dev/null)"; then
        havip_c_wait=
    fi
    havip_ch_env "$havip_c_from" ovs-vsctl --timeout=5 $havip_c_wait \
        --if-exists del-port "$1" >/dev/null 2>&1 || true
    havip_c_to=$(havip_ch_ns "$2")
    ip -n "$(havip_ch_ns "$havip_c_from")" link set "$1" netns "$havip_c_to" \
        || return 1
    havip_topo_quiet_link "$havip_c_to" "$1"
    ip -n "$havip_c_to" link set "$1" up || return 1
    havip_ch_vsctl "$2" add-port "${3:-br-int}" "$1" \
        -- set Interface "$1" external_ids:iface-id="$1" || return 1
    echo "$2" > "$HAVIP_RUNDIR/vm-$1.chassis"
}

havip_ch_start_controller() {
    havip_c_n=$1
    shift
    havip_ch_link_pidfiles "$havip_c_n" || return 1
    havip_ch_env "$havip_c_n" havip_start_controller "$@"
}

havip_ch_stop_controller() {
    havip_kill "$(havip_ch_dir "$1")/havip-controller.pid" "${2:-TERM}"
}

havip_ch_restart_controller() {
    havip_c_n=$1
    shift
    havip_ch_stop_controller "$havip_c_n" &&
        havip_ch_start_controller "$havip_c_n" "$@"
}

havip_ch_stop() {
    for havip_c_d in $HAVIP_CH_DAEMONS; do
        havip_kill "$(havip_ch_dir "$1")/$havip_c_d.pid" "${2:-TERM}"
    done
}

# havip_ch_start_daemons: in havip_ch_env, ovsdb-server and ovs-vswitchd
# on the existing conf.db, as havip_start_ovs starts them (ovs-vswitchd
# --detach returns once its first configuration is applied).
havip_ch_start_daemons() {
    ovsdb-server --detach --no-chdir --pidfile --log-file \
        --remote=punix:"$HAVIP_RUNDIR/db.sock" "$HAVIP_RUNDIR/conf.db" \
        || return 1
    ip netns exec "$HAVIP_OVS_NETNS" \
    ovs-vswitchd --detach --no-chdir --pidfile --log-file \
        --enable-dummy --disable-system -vconsole:off
}

havip_ch_restart() {
    havip_ch_link_pidfiles "$1" || return 1
    havip_ch_env "$1" havip_ch_start_daemons || return 1
    havip_ch_phy_up "$1"
}

havip_ch_link() {
    ip -n "$(havip_topo_ns underlay)" link set "ch$1" "$2" || return 1
    if ip -n "$(havip_topo_ns wan)" link show "ch$1" >/dev/null 2>&1; then
        ip -n "$(havip_topo_ns wan)" link set "ch$1" "$2" || return 1
    fi
}

havip_ch_destroy() {
    for havip_c_n in $(havip_ch_list); do
        havip_ch_stop "$havip_c_n"
    done
    if [ -f "$HAVIP_RUNDIR/netns.prefix" ]; then
        havip_netns_purge "$(cat "$HAVIP_RUNDIR/netns.prefix")"
    fi
    rm -f "$HAVIP_RUNDIR"/vm-*.chassis
}
