# -*- sh -*-
# tests/chassis-harness.sh: the multi-chassis harness
# (utilities/havip-chassis.sh) proved on its own, without the controller's
# tunnels: chassis with their own OVS in their own namespaces, an underlay
# carrying geneve and vxlan between them (bridges, tunnel ports and flows
# made here by hand), the public network through a gateway's uplink,
# keepalived between VMs of two chassis, the daemons of a chassis stopped,
# killed and restarted, and everything gone after havip_stop_all.  Prints
# the first-packet delay and the round-trip time through the tunnel.
# DESIGN.md section 9.  Root only.

. "$HAVIP_SRCDIR/tests/lib-netns.sh"
. "$HAVIP_SRCDIR/utilities/havip-chassis.sh"

# chassis_setup K: the underlay, the public network and chassis 1..K.
chassis_setup() {
    need_root
    unshare --net true 2>/dev/null || skip "cannot create network namespaces"
    for c in ethtool socat; do
        command -v $c >/dev/null 2>&1 || skip "needs $c"
    done
    on_exit havip_ch_destroy
    check havip_ch_create "$1"
}

# harness_bridge N ENCAP KEY: bridge br-test (netdev) on chassis N with tunnel
# port tun0 of type ENCAP towards the other of chassis 1 and 2, with
# options:key=KEY; "flow" makes the bridge secure (only the flows added
# here), a number a learning switch (NORMAL) over that one tunnel.
harness_bridge() {
    if [ "$3" = flow ]; then mode=secure; else mode=standalone; fi
    check havip_ch_vsctl "$1" add-br br-test \
        -- set Bridge br-test datapath_type=netdev fail-mode=$mode \
           other-config:disable-in-band=true \
        -- add-port br-test tun0 \
        -- set Interface tun0 type="$2" \
           options:remote_ip="$(havip_ch_encap_ip $((3 - $1)))" \
           options:key="$3"
}

# add_flows N FLOW...: adds each FLOW to br-test on chassis N.
add_flows() {
    n=$1
    shift
    for flow in "$@"; do
        check havip_ch_ofctl "$n" -O OpenFlow15 add-flow br-test "$flow"
    done
}

# flow_packets N MATCH: n_packets of the flow on chassis N's br-test
# matching MATCH (strictly).
flow_packets() {
    havip_ch_ofctl "$1" -O OpenFlow15 --strict dump-flows br-test "$2" |
        sed -n 's/.*n_packets=\([0-9]*\),.*/\1/p'
}

# tunnel_pair ENCAP: chassis 1 and 2; vm1 (10.0.1.11) on chassis 1 and vm2
# (10.0.1.12) on chassis 2, each alone on br-test with a tunnel of type
# ENCAP to the other: what the VM sends goes into the tunnel with VNI 100,
# what comes out of the tunnel with VNI 100 goes to the VM.
tunnel_pair() {
    HAVIP_CH_ENCAP=$1
    chassis_setup 2
    for n in 1 2; do
        harness_bridge $n "$1" flow
        check havip_ch_add_vm $n vm$n 0a:00:00:00:01:0$n 10.0.1.1$n/24 "" \
            br-test
        add_flows $n "in_port=vm$n,actions=set_field:100->tun_id,output:tun0" \
            "tun_id=100,in_port=tun0,actions=output:vm$n"
    done
}

# first_reply_ms NAME ADDR: pings ADDR from NAME every 20 ms until the
# first reply (10 s at most) and prints the time from the first echo
# request to that reply, in ms.
first_reply_ms() {
    havip_topo_exec "$1" ping -n -c 1 -w 10 -i 0.02 "$2" > first.out 2>&1 ||
        { cat first.out >&2; return 1; }
    cat first.out >&2
    awk '/ bytes from / {
             for (i = 1; i <= NF; i++) {
                 if ($i ~ /^icmp_seq=/) { seq = substr($i, 10) }
                 if ($i ~ /^time=/) { t = substr($i, 6) }
             }
             printf "%d\n", (seq - 1) * 20 + t + 0.5
             exit
         }' first.out
}

# rtt NAME ADDR: 50 pings, 20 ms apart; none may be lost; prints the
# average round-trip time in ms.
rtt() {
    havip_topo_exec "$1" ping -n -q -c 50 -i 0.02 -w 20 "$2" > rtt.out 2>&1
    cat rtt.out >&2
    grep -q ' 0% packet loss' rtt.out || fail "pings lost: $1 to $2"
    sed -n 's|^rtt [^=]*= [^/]*/\([^/]*\)/.*|\1|p' rtt.out
}

# expect_ping NAME ADDR [SIZE]: 3 pings from NAME to ADDR (SIZE bytes of
# payload, don't fragment) get 3 answers.
expect_ping() {
    check havip_topo_exec "$1" ping -n -c 3 -i 0.2 -w 10 -M do \
        -s "${3:-56}" "$2"
}

# expect_no_ping NAME ADDR [SIZE]: 2 pings get no answer.
expect_no_ping() {
    echo "+ ping $1 -> $2 (${3:-56} bytes), expecting no answer" >&2
    ! havip_topo_exec "$1" ping -n -c 2 -i 0.2 -W 1 -M do -s "${3:-56}" \
        "$2" >&2 || fail "$1 reached $2 (${3:-56} bytes)"
}

# bulk_tcp FROM NAME ADDR: 1 MiB of random bytes from FROM to a server in
# NAME at ADDR over TCP (full-size segments), which must arrive intact.
bulk_tcp() {
    head -c 1048576 /dev/urandom > bulk.in
    rm -f bulk.out
    havip_topo_exec "$2" timeout 30 socat -u TCP-LISTEN:9000,reuseaddr \
        OPEN:bulk.out,creat,trunc 2>bulk.err &
    bulk_pid=$!
    on_exit "kill $bulk_pid 2>/dev/null || true"
    wait_until "havip_topo_exec $2 ss -Hltn 'sport = :9000' | grep -q ."
    check havip_topo_exec "$1" timeout 30 socat -u FILE:bulk.in \
        TCP:"$3":9000,connect-timeout=5
    wait_until "! havip_alive $bulk_pid" 30
    cmp bulk.in bulk.out || fail "1 MiB from $1 to $2 arrived damaged"
}

# set_underlay_mtu N MTU: chassis N's underlay NIC and its bridge port.
set_underlay_mtu() {
    check havip_ch_exec "$1" ip link set ul mtu "$2"
    check havip_topo_exec underlay ip link set "ch$1" mtu "$2"
}

# tunnel_checks ENCAP: tunnel_pair ENCAP proved with pings, TCP and the MTU
# the header comment of havip-chassis.sh documents.
tunnel_checks() {
    tunnel_pair "$1"
    check_output "$1" havip_ch_vsctl 1 get Open_vSwitch . \
        external_ids:havip-encap-type
    check_output "\"$(havip_ch_encap_ip 2)\"" havip_ch_vsctl 2 get \
        Open_vSwitch . external_ids:havip-encap-ip

    # Nothing is resolved yet: neither vm1's ARP for vm2 nor chassis 1's
    # for chassis 2.
    first=$(first_reply_ms vm1 10.0.1.12) || fail "no answer from vm2"
    echo "$1: first packet vm1 -> vm2 (cold ARP caches):" \
         "first reply after $first ms" >&2
    avg=$(rtt vm1 10.0.1.12)
    echo "$1: round trip vm1 -> vm2 through the tunnel: $avg ms" \
         "(average of 50)" >&2

    # The packets went through the tunnel: chassis 1 resolved chassis 2's
    # underlay address, encapsulated, and chassis 2's flow for the tunnel
    # counted them.
    havip_ch_appctl 1 ovs-vswitchd tnl/arp/show > arp.txt
    cat arp.txt >&2
    grep -q "^$(havip_ch_encap_ip 2) *0a:77:00:00:00:02 *br-phy" arp.txt ||
        fail "chassis 1 did not resolve chassis 2's underlay address"
    havip_ch_appctl 1 ovs-vswitchd dpctl/dump-flows > dp.txt
    case $1 in geneve) hdr='geneve(' ;; vxlan) hdr='vxlan(' ;; esac
    grep "tnl_push(" dp.txt | grep -qF "$hdr" ||
        fail "no $1 encapsulation in chassis 1's datapath: $(cat dp.txt)"
    n=$(flow_packets 2 "tun_id=100,in_port=tun0")
    [ "$n" -ge 50 ] || fail "chassis 2 got $n packets from the tunnel"

    # TCP both ways, and 1 MiB in full-size segments.
    serve vm2 8080
    serve vm1 8080
    expect_ask "vm2 10.0.1.11" vm1 10.0.1.12 8080
    expect_ask "vm1 10.0.1.12" vm2 10.0.1.11 8080
    bulk_tcp vm1 vm2 10.0.1.12

    # MTU: with the 1600 underlay a VM's 1500-byte packet fits; with a 1500
    # underlay at most 1450 (the tunnel's 50 bytes), and a bigger one is
    # dropped by the sending chassis's NIC.
    expect_ping vm1 10.0.1.12 1472
    expect_ping vm2 10.0.1.11 1472
    set_underlay_mtu 1 1500
    expect_ping vm1 10.0.1.12 1422
    expect_no_ping vm1 10.0.1.12 1423
    grep -q 'error sending Ethernet packet on ul: Message too long' \
        "$(havip_ch_dir 1)/ovs-vswitchd.log" ||
        fail "chassis 1 did not report the packet too big for its NIC"
    set_underlay_mtu 1 "$HAVIP_CH_UNDERLAY_MTU"
    expect_ping vm1 10.0.1.12 1472
}

test_harness_geneve() {
    tunnel_checks geneve
}

test_harness_vxlan() {
    tunnel_checks vxlan
}

# The first-packet delay without the VMs' own ARP: vm1 and vm2 know each
# other's MAC, so only chassis 1's ARP for chassis 2 (and back) is missing.
test_harness_first_packet_underlay_arp() {
    tunnel_pair geneve
    check havip_topo_exec vm1 ip neigh replace 10.0.1.12 \
        lladdr 0a:00:00:00:01:02 dev eth0 nud permanent
    check havip_topo_exec vm2 ip neigh replace 10.0.1.11 \
        lladdr 0a:00:00:00:01:01 dev eth0 nud permanent
    first=$(first_reply_ms vm1 10.0.1.12) || fail "no answer from vm2"
    echo "geneve: first packet vm1 -> vm2 (VM ARP resolved, underlay ARP" \
         "cold): first reply after $first ms" >&2
    if grep -q 'icmp_seq=1 ' first.out; then
        fail "the first echo request was not dropped: $(cat first.out)"
    fi
    [ "$first" -lt 1000 ] ||
        fail "underlay ARP took $first ms"
}

# A gateway's uplink: chassis 1 and 2 are both on the public network
# (priorities 20 and 10).  ext1 (203.0.113.11) is on chassis 1, ext2
# (203.0.113.12) on chassis 2, each alone on br-test.  Chassis 1 is the
# gateway: what comes in on its uplink goes to ext1 and into the tunnel
# (VNI 200), what ext1 sends or comes out of the tunnel leaves on the
# uplink; chassis 2 tunnels ext2's traffic to it.  Then chassis 1's cables
# are cut and chassis 2 takes over with its own uplink.
test_harness_wan() {
    chassis_setup 2
    for n in 1 2; do
        harness_bridge $n geneve flow
    done
    check havip_ch_gateway 1 20 br-test
    check havip_ch_gateway 2 10 br-test
    check_output 'uplink
"20"' havip_ch_vsctl 1 get Open_vSwitch . \
        external_ids:havip-uplink external_ids:havip-gateway-priority
    check_output 'uplink
"10"' havip_ch_vsctl 2 get Open_vSwitch . \
        external_ids:havip-uplink external_ids:havip-gateway-priority
    for n in 1 2; do
        check havip_ch_add_vm $n ext$n 0a:00:00:00:03:0$n 203.0.113.1$n/24 \
            "" br-test
        check havip_topo_exec ext$n ip route add 198.51.100.0/24 dev eth0
    done
    add_flows 1 \
        "in_port=uplink,actions=ext1,set_field:200->tun_id,output:tun0" \
        "in_port=ext1,actions=output:uplink" \
        "tun_id=200,in_port=tun0,actions=output:uplink"
    add_flows 2 \
        "tun_id=200,in_port=tun0,actions=output:ext2" \
        "in_port=ext2,actions=set_field:200->tun_id,output:tun0"

    expect_ping pub 203.0.113.11
    expect_ping pub 203.0.113.12
    expect_ping ext2 "$PUB"
    serve ext2 8080
    serve pub 8081
    expect_ask "ext2 $PUB" pub 203.0.113.12 8080
    expect_ask "pub 203.0.113.12" ext2 "$PUB" 8081
    n=$(flow_packets 1 "in_port=uplink")
    [ "$n" -ge 6 ] || fail "chassis 1's uplink flow counted $n packets"
    # Chassis 2's uplink is wired too: it got pub's broadcasts (ARP).
    rx=$(havip_ch_ofctl 2 dump-ports br-test uplink |
         sed -n 's/.*rx pkts=\([0-9]*\),.*/\1/p')
    [ "$rx" -ge 1 ] || fail "chassis 2's uplink received nothing"

    # Chassis 1 cut off: chassis 2 becomes the gateway.
    check havip_ch_link 1 down
    add_flows 2 "in_port=uplink,actions=output:ext2" \
        "in_port=ext2,actions=output:uplink"
    expect_ping pub 203.0.113.12
    expect_ask "ext2 $PUB" pub 203.0.113.12 8080
    expect_no_ping pub 203.0.113.11
    check havip_ch_link 1 up
    # ext1 is back on the public network through chassis 1's uplink (its
    # flow sends ext1's packets only there).
    wait_until 'havip_topo_exec pub ping -n -c 1 -W 1 203.0.113.11'
}

# keepalived (VRRPv3 for the HAVIP 10.0.1.100) in vm1 on chassis 1 and vm2
# on chassis 2, on a learning switch that spans both chassis over one
# geneve tunnel; the client (10.0.1.13) on chassis 1 pings the HAVIP
# through a crash of vm1, with havip-topology.sh's keepalived and probe
# helpers.
test_harness_keepalived() {
    command -v keepalived >/dev/null 2>&1 || skip "needs keepalived"
    chassis_setup 2
    for n in 1 2; do
        harness_bridge $n geneve 100
    done
    check havip_ch_add_vm 1 vm1 0a:00:00:00:01:01 10.0.1.11/24 "" br-test
    check havip_ch_add_vm 2 vm2 0a:00:00:00:01:02 10.0.1.12/24 "" br-test
    check havip_ch_add_vm 1 client 0a:00:00:00:01:03 10.0.1.13/24 "" \
        br-test
    expect_eq "$(havip_ch_vm_chassis vm2)" 2 "vm2's chassis"
    expect_ping client 10.0.1.12

    check havip_topo_keepalived_start vm1
    wait_until '[ "$(havip_topo_keepalived_master)" = vm1 ]'
    check havip_topo_keepalived_start vm2
    # vm1's advertisements reach vm2 through the tunnel (10 a second), so
    # vm2 stays backup.
    n=$(ip_in_receives vm2)
    wait_until "[ \$(ip_in_receives vm2) -ge $((n + 20)) ]"
    expect_eq "$(havip_topo_keepalived_master)" vm1 "master"
    expect_eq "$(havip_topo_keepalived_state vm2)" BACKUP "vm2's state"

    havip_topo_probe_start client "$HAVIP"
    wait_until 'havip_topo_probe_more 10'
    check havip_topo_keepalived_crash vm1
    wait_until '[ "$(havip_topo_keepalived_master)" = vm2 ]'
    n=$(havip_topo_probe_replies)
    wait_until "havip_topo_probe_more $((n + 10))"
    set -- $(havip_topo_probe_stop)
    detection=$(havip_topo_keepalived_detection_ms 100)
    echo "keepalived crash, vm1 (chassis 1) -> vm2 (chassis 2):" \
         "outage $1 ms (detection $detection ms), $2 of $3 probes lost" >&2
    [ "$1" -ge 0 ] && [ "$1" -le $((detection + 1000)) ] ||
        fail "outage $1 ms"

    # vm1 comes back as backup; stopping vm2 fails back over the tunnel.
    check havip_topo_keepalived_start vm1
    expect_eq "$(havip_topo_keepalived_state vm1)" BACKUP "vm1's state"
    check havip_topo_keepalived_stop vm2
    wait_until '[ "$(havip_topo_keepalived_master)" = vm1 ]'
    expect_ping client "$HAVIP"

    # vm2 migrates to chassis 1 with its addresses and its keepalived.
    check havip_topo_keepalived_start vm2
    check havip_ch_move_vm vm2 1 br-test
    expect_eq "$(havip_ch_vm_chassis vm2)" 1 "vm2's chassis"
    check havip_ch_exec 1 ip link show vm2
    # The VM speaks first (a learning switch still sends its MAC to
    # chassis 2 until then), as a migrated VM announces itself.
    wait_until 'havip_topo_exec vm2 ping -n -c 1 -W 1 10.0.1.13'
    expect_ping client 10.0.1.12
    expect_eq "$(havip_topo_keepalived_state vm2)" BACKUP "vm2's state"
}

# pids_of_run: every pid of the run: the chassis's daemons and whatever
# runs in the run's namespaces.
pids_of_run() {
    cat "$HAVIP_RUNDIR"/ch*/*.pid 2>/dev/null
    for ns in $(ip netns list | awk '{ print $1 }'); do
        case $ns in "$(havip_topo_prefix)"*) ip netns pids "$ns" ;; esac
    done
}

# The daemons of a chassis: controllers registered in the NB database
# stopped, killed and restarted, a chassis killed and brought back (its
# tunnel working again), and nothing of the run left after havip_stop_all.
test_harness_daemons() {
    check havip_start_nb
    HAVIP_CH_ENCAP=vxlan
    chassis_setup 2
    check_output "\"$HAVIP_NB_DB\"" havip_ch_vsctl 1 get Open_vSwitch . \
        external_ids:havip-remote
    check_output 'ch2
netdev
vxlan
"192.168.77.2"' \
        havip_ch_vsctl 2 get Open_vSwitch . external_ids:system-id \
        external_ids:havip-bridge-datapath-type \
        external_ids:havip-encap-type external_ids:havip-encap-ip
    for n in 1 2; do
        check havip_ch_start_controller $n
        harness_bridge $n vxlan 100
    done
    check havip_ch_add_vm 1 vm1 0a:00:00:00:01:01 10.0.1.11/24 "" br-test
    check havip_ch_add_vm 2 vm2 0a:00:00:00:01:02 10.0.1.12/24 "" br-test
    check havip-nbctl --timeout=20 --wait=hv sync
    check_output "ch1
ch2" sh -c 'havip-nbctl chassis-list | sort'
    for n in 1 2; do
        check_output "netdev" havip_ch_vsctl $n get Bridge br-int \
            datapath_type
        check havip_ch_appctl $n havip-controller connection-status
    done
    expect_ping vm1 10.0.1.12

    # Chassis 1's controller crashes and comes back.
    pid=$(cat "$(havip_ch_dir 1)/havip-controller.pid")
    check havip_ch_stop_controller 1 KILL
    if havip_alive "$pid"; then
        fail "chassis 1's controller survived KILL"
    fi
    check havip_ch_restart_controller 1
    havip_alive "$(cat "$(havip_ch_dir 1)/havip-controller.pid")" ||
        fail "chassis 1's controller did not restart"
    check havip-nbctl --timeout=20 --wait=hv sync

    # Chassis 2 crashes: its three daemons are gone, nothing runs in its
    # namespace, vm1 no longer reaches vm2.
    pids=$(cat "$(havip_ch_dir 2)"/*.pid)
    expect_eq "$(echo $pids | wc -w)" 3 "chassis 2's daemons"
    check havip_ch_stop 2 KILL
    for pid in $pids; do
        if havip_alive "$pid"; then
            fail "chassis 2's pid $pid survived KILL"
        fi
    done
    expect_eq "$(ip netns pids "$(havip_ch_ns 2)")" "" \
        "processes in chassis 2's namespace"
    expect_no_ping vm1 10.0.1.12
    # It comes back on its own database: bridges, tunnel and ports as they
    # were, br-phy's address again; its controller is started again.
    check havip_ch_restart 2
    check havip_ch_start_controller 2
    check havip-nbctl --timeout=20 --wait=hv sync
    wait_until 'havip_topo_exec vm1 ping -n -c 1 -W 1 10.0.1.12' 20

    # havip_stop_all (as after every test, and tests/run after a killed
    # run) stops every pid of the run and deletes its namespaces.
    pids=$(pids_of_run)
    [ "$(echo $pids | wc -w)" -ge 6 ] || fail "pids of the run: $pids"
    check havip_stop_all
    for pid in $pids; do
        if havip_alive "$pid"; then
            fail "pid $pid survived havip_stop_all"
        fi
    done
    expect_eq "$(ip netns list | grep -c "^$(havip_topo_prefix)")" 0 \
        "namespaces left"
}
