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

# havip_topo_add_ns NAME MAC ADDR/LEN [GATEWAY [HOST]]: a namespace for
# NAME with "eth0" (MAC, ADDR/LEN, default route via GATEWAY unless "") and
# its peer NAME in HOST's namespace (default: host), all up, IPv6 and
# offloads off.
havip_topo_add_ns() {
    havip_t_ns=$(havip_topo_ns "$1")
    havip_t_host=$(havip_topo_ns "${5:-host}")
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

# keepalived: VRRP for the HAVIP in the VM namespaces.
#
#   havip_topo_keepalived_start NAME [PRIORITY]
#                              writes $HAVIP_RUNDIR/keepalived-NAME.conf
#                              (priority: default 150 for vm1, 100 for vm2)
#                              and starts keepalived (VRRP only,
#                              --dont-fork, in the background) in NAME's
#                              namespace, pid in keepalived-NAME.pid, log
#                              keepalived-NAME.log; returns once it is
#                              BACKUP
#   havip_topo_keepalived_stop NAME [SIGNAL]
#                              stops it by pid and waits until it is gone
#                              (SIGTERM: it sends a priority-0 advertisement
#                              and drops the address, so the backup takes
#                              over after its skew time)
#   havip_topo_keepalived_crash NAME
#                              as if NAME's VM died: keepalived is killed
#                              without a word (SIGKILL) and the address
#                              removed; the backup takes over after its
#                              master-down interval
#   havip_topo_keepalived_state NAME
#                              prints MASTER, BACKUP, FAULT, INIT or STOPPED
#   havip_topo_keepalived_master
#                              prints the VM of HAVIP_TOPO_VRRP_VMS that
#                              has the HAVIP address, or nothing
#   havip_topo_keepalived_detection_ms PRIORITY
#   havip_topo_keepalived_skew_ms PRIORITY
#                              a backup of PRIORITY's master-down interval
#                              (3 x advert_int + skew) and skew time, in ms
#
# Both instances start as BACKUP with "nopreempt": the first one started
# becomes master after its master-down interval, and an instance that comes
# back stays backup until the master goes, so bringing one back never
# causes a failover of its own.  VRRPv3 with one advertisement every
# HAVIP_TOPO_ADVERT_INT seconds (keepalived 2.2.7 takes centiseconds);
# virtual_ipaddress is the HAVIP as a /32 on eth0, so a new master sends
# gratuitous ARPs for it, and repeats one every second
# (vrrp_garp_master_refresh) so that a healed split brain converges.
# HAVIP_TOPO_VRRP_VMS names the two VMs that run keepalived for the HAVIP
# (default "vm1 vm2"; the multi-chassis harness, havip-chassis.sh, may
# name others): the first has priority 150 by default, the other 100.

HAVIP_TOPO_ADVERT_INT=${HAVIP_TOPO_ADVERT_INT:-0.1}
HAVIP_TOPO_VRID=100
HAVIP_TOPO_VRRP_VMS=${HAVIP_TOPO_VRRP_VMS:-vm1 vm2}

# havip_topo_priority NAME: NAME's default VRRP priority.
havip_topo_priority() {
    case " $HAVIP_TOPO_VRRP_VMS " in
        " $1 "*) echo 150 ;;
        *) echo 100 ;;
    esac
}

# havip_topo_keepalived_conf NAME PRIORITY: prints NAME's keepalived.conf.
havip_topo_keepalived_conf() {
    cat <<EOF
# keepalived for havip's topology: $1 (written by havip-topology.sh).
global_defs {
    router_id havip-$1
    vrrp_version 3
    vrrp_garp_master_refresh 1
}

vrrp_instance hv1 {
    state BACKUP
    nopreempt
    interface eth0
    virtual_router_id $HAVIP_TOPO_VRID
    priority $2
    advert_int $HAVIP_TOPO_ADVERT_INT
    virtual_ipaddress {
        $HAVIP_TOPO_HAVIP/32 dev eth0
    }
}
EOF
}

havip_topo_keepalived_start() {
    havip_t_conf=$HAVIP_RUNDIR/keepalived-$1.conf
    havip_t_pid=$HAVIP_RUNDIR/keepalived-$1.pid
    havip_topo_keepalived_conf "$1" "${2:-$(havip_topo_priority "$1")}" \
        > "$havip_t_conf" || return 1
    rm -f "$havip_t_pid"
    echo "--- havip_topo_keepalived_start $*" \
        >> "$HAVIP_RUNDIR/keepalived-$1.log"
    # Started from a subshell, so that it is no job of the caller's shell
    # (which would report its death).
    havip_t_bg=$( (ip netns exec "$(havip_topo_ns "$1")" keepalived \
        --dont-fork --vrrp --log-console --log-detail --no-syslog \
        --use-file="$havip_t_conf" --pid="$havip_t_pid" \
        --vrrp_pid="$HAVIP_RUNDIR/keepalived-$1.vrrp-pid" \
        --checkers_pid="$HAVIP_RUNDIR/keepalived-$1.checkers-pid" \
        >> "$HAVIP_RUNDIR/keepalived-$1.log" 2>&1 </dev/null & echo $!) )
    havip_t_i=0
    until [ -s "$havip_t_pid" ] &&
          [ "$(havip_topo_keepalived_state "$1")" != INIT ]; do
        havip_alive $havip_t_bg && [ $havip_t_i -lt 200 ] || {
            echo "keepalived in $1 did not start; see" \
                 "$HAVIP_RUNDIR/keepalived-$1.log" >&2
            return 1
        }
        havip_t_i=$((havip_t_i + 1))
        sleep 0.05
    done
}

havip_topo_keepalived_stop() {
    havip_kill "$HAVIP_RUNDIR/keepalived-$1.pid" "${2:-TERM}"
}

havip_topo_keepalived_crash() {
    # SIGSTOP first: keepalived's VRRP child must not see its parent die
    # (it would stop cleanly, with a priority-0 advertisement).
    havip_t_pids=$(cat "$HAVIP_RUNDIR/keepalived-$1.pid" \
        "$HAVIP_RUNDIR/keepalived-$1.vrrp-pid" 2>/dev/null)
    [ -n "$havip_t_pids" ] || return 1
    havip_t_ns=$(havip_topo_ns "$1")
    kill -STOP $havip_t_pids 2>/dev/null
    ip -n "$havip_t_ns" addr del "$HAVIP_TOPO_HAVIP/32" dev eth0 2>/dev/null
    kill -KILL $havip_t_pids 2>/dev/null
    for havip_t_p in $havip_t_pids; do
        havip_t_i=0
        while havip_alive "$havip_t_p" && [ $havip_t_i -lt 200 ]; do
            havip_t_i=$((havip_t_i + 1))
            sleep 0.05
        done
    done
    rm -f "$HAVIP_RUNDIR/keepalived-$1.pid" \
        "$HAVIP_RUNDIR/keepalived-$1.vrrp-pid"
}

havip_topo_keepalived_state() {
    havip_t_pid=$(cat "$HAVIP_RUNDIR/keepalived-$1.pid" 2>/dev/null)
    if [ -z "$havip_t_pid" ] || ! havip_alive "$havip_t_pid"; then
        echo STOPPED
        return 0
    fi
    # The log of this run: what follows the last start marker.
    awk '/^--- havip_topo_keepalived_start/ { s = "INIT" }
         /Entering [A-Z]+ STATE/ {
             for (i = 1; i < NF; i++) {
                 if ($i == "Entering") { s = $(i + 1) }
             }
         }
         END { print s == "" ? "INIT" : s }' \
        "$HAVIP_RUNDIR/keepalived-$1.log"
}

havip_topo_keepalived_master() {
    for havip_t_name in $HAVIP_TOPO_VRRP_VMS; do
        if ip -n "$(havip_topo_ns "$havip_t_name")" -o -4 addr show dev eth0 \
                2>/dev/null | grep -q " $HAVIP_TOPO_HAVIP/32 "; then
            echo "$havip_t_name"
        fi
    done
}

# VRRPv3 (RFC 5798): Skew_Time = ((256 - Priority) * Advert_Interval) / 256,
# Master_Down_Interval = 3 * Advert_Interval + Skew_Time.
havip_topo_keepalived_skew_ms() {
    awk -v a="$HAVIP_TOPO_ADVERT_INT" -v p="$1" \
        'BEGIN { printf "%d\n", (256 - p) * a * 1000 / 256 }'
}

havip_topo_keepalived_detection_ms() {
    awk -v a="$HAVIP_TOPO_ADVERT_INT" -v p="$1" \
        'BEGIN { printf "%d\n", 3 * a * 1000 + (256 - p) * a * 1000 / 256 }'
}

# Traffic: servers, clients, probes and GARPs.
#
#   havip_topo_serve NAME PORT [http]
#                              a TCP server in NAME's namespace answering
#                              each connection with "NAME <peer address>"
#                              (as an HTTP/1.0 response with "http"); pid in
#                              $HAVIP_RUNDIR/serve-NAME-PORT.pid
#   havip_topo_ask NAME ADDR PORT [SOURCE]
#                              connects from NAME to ADDR:PORT (from SOURCE)
#                              and prints the answer; fails after
#                              $HAVIP_TOPO_ASK_TIMEOUT (default 5) seconds
#   havip_topo_probe_start NAME ADDR
#                              pings ADDR from NAME every
#                              HAVIP_TOPO_PROBE_INT (0.02) seconds, for at
#                              most 60 s, into $HAVIP_RUNDIR/PROBE.out,
#                              PROBE being $HAVIP_TOPO_PROBE (default
#                              "probe"): set it to run several at once
#   havip_topo_probe_replies   prints the echo replies received so far
#   havip_topo_probe_stop      stops the probe and prints "OUTAGE LOST SENT":
#                              the longest time without a reply less one
#                              interval, in ms (0 when nothing was lost,
#                              the probe interval is the resolution), and
#                              the probes lost of those sent
#   havip_topo_median FILE     prints the median of the numbers in FILE,
#                              one a line
#   havip_topo_garp NAME [reply]
#                              3 gratuitous ARP requests (replies) for the
#                              HAVIP from NAME's eth0 (Thomas Habets' arping)

HAVIP_TOPO_PROBE_INT=${HAVIP_TOPO_PROBE_INT:-0.02}
HAVIP_TOPO_PROBE=${HAVIP_TOPO_PROBE:-probe}

havip_topo_serve() {
    havip_t_base=$HAVIP_RUNDIR/serve-$1-$2
    if [ "${3:-}" = http ]; then
        printf '%s\n' "printf 'HTTP/1.0 200 OK\\r\\n\\r\\n%s %s\\n' \\" \
            "    $1 \"\$SOCAT_PEERADDR\"" > "$havip_t_base.sh"
    else
        printf '%s\n' "echo $1 \"\$SOCAT_PEERADDR\"" > "$havip_t_base.sh"
    fi
    (ip netns exec "$(havip_topo_ns "$1")" socat \
        TCP-LISTEN:"$2",reuseaddr,fork SYSTEM:"sh $havip_t_base.sh" \
        >> "$havip_t_base.log" 2>&1 </dev/null & echo $! > "$havip_t_base.pid")
    havip_t_i=0
    until havip_topo_exec "$1" ss -Hltn "sport = :$2" | grep -q .; do
        havip_t_i=$((havip_t_i + 1))
        [ $havip_t_i -lt 200 ] || return 1
        sleep 0.05
    done
}

havip_topo_ask() {
    havip_t_to=${HAVIP_TOPO_ASK_TIMEOUT:-5}
    havip_topo_exec "$1" timeout 10 socat -T5 - \
        TCP:"$2:$3",connect-timeout=$havip_t_to${4:+,bind=$4} </dev/null
}

havip_topo_probe_start() {
    havip_t_probe=$HAVIP_RUNDIR/$HAVIP_TOPO_PROBE
    rm -f "$havip_t_probe.out"
    ip netns exec "$(havip_topo_ns "$1")" \
        ping -D -n -i "$HAVIP_TOPO_PROBE_INT" -w 60 "$2" \
        > "$havip_t_probe.out" 2>&1 &
    echo $! > "$havip_t_probe.pid"
}

havip_topo_probe_replies() {
    grep -c ' bytes from ' "$HAVIP_RUNDIR/$HAVIP_TOPO_PROBE.out" \
        2>/dev/null || true
}

havip_topo_probe_stop() {
    havip_t_end=$(date +%s.%N)
    havip_kill "$HAVIP_RUNDIR/$HAVIP_TOPO_PROBE.pid" INT
    awk -v step="$HAVIP_TOPO_PROBE_INT" -v end="$havip_t_end" '
        / bytes from / {
            t = substr($1, 2, length($1) - 2)
            for (i = 2; i <= NF; i++) {
                if ($i ~ /^icmp_seq=/) { seq = substr($i, 10) + 0 }
            }
            if (n && t - last > gap) { gap = t - last }
            if (!n) { first = seq }
            last = t; lastseq = seq; n++
        }
        END {
            if (!n) { print "-1 0 0"; exit }
            if (end - last > gap) { gap = end - last }
            ms = (gap - step) * 1000
            printf "%d %d %d\n", ms < 0 ? 0 : ms + 0.5,
                   lastseq - first + 1 - n, lastseq - first + 1
        }' "$HAVIP_RUNDIR/$HAVIP_TOPO_PROBE.out"
}

havip_topo_median() {
    sort -n "$1" | awk '{ v[NR] = $1 }
        END {
            if (NR % 2) { print v[(NR + 1) / 2] }
            else if (NR) { print (v[NR / 2] + v[NR / 2 + 1]) / 2 }
        }'
}

havip_topo_garp() {
    havip_topo_exec "$1" arping -q -U ${2:+-P} -S "$HAVIP_TOPO_HAVIP" \
        -i eth0 -c 3 -W 0.05 "$HAVIP_TOPO_HAVIP" >/dev/null 2>&1
    return 0
}

# Failover.
#
#   havip_topo_wait SECONDS CMD...
#                              runs CMD every 20 ms until it succeeds; fails
#                              after SECONDS
#   havip_topo_holder_is NAME  true if NAME has the HAVIP address (keepalived
#                              master) and is hv1's holder in the database
#   havip_topo_failover stop|crash
#                              fails over from the master to the backup
#                              (the other of HAVIP_TOPO_VRRP_VMS;
#                              havip_topo_keepalived_stop or _crash) with a
#                              probe from pub to the EIP running, waits
#                              until the backup holds the HAVIP and answers,
#                              brings the old master back as backup and
#                              prints "FROM TO OUTAGE LOST SENT DETECTION"
#                              (havip_topo_probe_stop; the new master's
#                              master-down interval, in ms)

havip_topo_wait() {
    havip_t_n=$(awk -v s="$1" 'BEGIN { printf "%d\n", s * 50 }')
    shift
    havip_t_i=0
    until "$@" >/dev/null 2>&1; do
        havip_t_i=$((havip_t_i + 1))
        [ $havip_t_i -lt "$havip_t_n" ] || return 1
        sleep 0.02
    done
}

havip_topo_holder_is() {
    [ "$(havip_topo_keepalived_master)" = "$1" ] &&
        [ "$(havip-nbctl havip-get-holder hv1)" = "$1" ]
}

# havip_topo_probe_more N: true once the probe has N replies.
havip_topo_probe_more() {
    [ "$(havip_topo_probe_replies)" -ge "$1" ]
}

havip_topo_failover() {
    havip_t_from=$(havip_topo_keepalived_master)
    havip_t_to= havip_t_found=false
    for havip_t_name in $HAVIP_TOPO_VRRP_VMS; do
        if [ "$havip_t_name" = "$havip_t_from" ]; then
            havip_t_found=true
        else
            havip_t_to=$havip_t_name
        fi
    done
    $havip_t_found || {
        echo "havip_topo_failover: no master" >&2
        return 1
    }
    [ "$(havip_topo_keepalived_state "$havip_t_to")" = BACKUP ] || {
        echo "havip_topo_failover: $havip_t_to is not backup" >&2
        return 1
    }
    havip_topo_probe_start pub "$HAVIP_TOPO_EIP"
    havip_topo_wait 5 havip_topo_probe_more 10 || {
        havip_topo_probe_stop >/dev/null
        echo "havip_topo_failover: no answer from the EIP" >&2
        return 1
    }
    "havip_topo_keepalived_$1" "$havip_t_from" || return 1
    havip_t_ok=true
    havip_topo_wait 10 havip_topo_holder_is "$havip_t_to" || havip_t_ok=false
    havip_t_n=$(( $(havip_topo_probe_replies) + 10 ))
    $havip_t_ok && havip_topo_wait 5 havip_topo_probe_more $havip_t_n ||
        havip_t_ok=false
    havip_t_result=$(havip_topo_probe_stop)
    $havip_t_ok || {
        echo "havip_topo_failover: $havip_t_to did not take over" \
             "(probe: $havip_t_result)" >&2
        return 1
    }
    havip_topo_keepalived_start "$havip_t_from" </dev/null || return 1
    echo "$havip_t_from $havip_t_to $havip_t_result" \
         "$(havip_topo_keepalived_detection_ms \
                "$(havip_topo_priority "$havip_t_to")")"
}
