# -*- sh -*-
# tests/faults.sh: faults under traffic (issue 8, "Faults"): the
# controller, ovs-vswitchd and the NB database killed or stopped, the
# bridge and its ports removed behind havip's back, another OpenFlow client
# deleting havip's flows, and rows that break the binding rules written
# with raw "ovsdb-client transact".  The real-packet tests run a bounded
# probe stream (ping every 20 ms, at most 60 s) from the public client to
# the EIP and from the VPC client to the HAVIP while the fault happens and
# count the probes lost.  docs/reliability-faults.md has the figures.

# lib-dataplane.sh (the dummy-datapath topology) first: lib-netns.sh's PUB
# (an address) must win over its PUB (a flow prefix, already in INBOUND).
. "$HAVIP_SRCDIR/tests/lib-dataplane.sh"
. "$HAVIP_SRCDIR/tests/lib-netns.sh"

# probe_start NAME FROM ADDR: probe NAME pings ADDR from FROM's namespace.
probe_start() {
    HAVIP_TOPO_PROBE=$1 havip_topo_probe_start "$2" "$3"
}

# probe_more NAME N: true once probe NAME has N replies.
probe_more() {
    HAVIP_TOPO_PROBE=$1 havip_topo_probe_more "$2"
}

# probe_replies NAME: the replies probe NAME has received so far.
probe_replies() {
    HAVIP_TOPO_PROBE=$1 havip_topo_probe_replies
}

# probe_stop NAME: stops probe NAME and prints "OUTAGE LOST SENT".
probe_stop() {
    HAVIP_TOPO_PROBE=$1 havip_topo_probe_stop
}

# probes_start: probe "eip" from pub to the EIP (DNAT to the holder) and
# probe "vip" from the client to the HAVIP, both answering.
probes_start() {
    probe_start eip pub "$EIP"
    probe_start vip client "$HAVIP"
    wait_until 'probe_more eip 5 && probe_more vip 5' 20
}

# probes_more N: waits until both probes have N more replies than now.
probes_more() {
    e=$(( $(probe_replies eip) + $1 )) v=$(( $(probe_replies vip) + $1 ))
    wait_until "probe_more eip $e && probe_more vip $v" 30
}

# probes_stop MAX WHAT: stops both probes, prints what they saw and fails
# if either lost more than MAX probes.
probes_stop() {
    for p in eip vip; do
        set -- "$1" "$2" $(probe_stop $p)
        echo "FIGURE $2: probe $p: $4 of $5 lost, longest gap $3 ms" >&2
        [ "$4" -le "$1" ] || fail "$2: probe $p lost $4 probes (max $1)"
        set -- "$1" "$2"
    done
}

# log_time FILE PATTERN: the time (seconds since the epoch, to the ms) of
# the last line of vlog file FILE that matches PATTERN.
log_time() {
    lt=$(grep -- "$2" "$1" | tail -1 | cut -d'|' -f1)
    [ -n "$lt" ] || return 1
    date -d "$lt" +%s.%3N
}

# ms FROM TO: milliseconds from FROM to TO (seconds since the epoch).
ms() {
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%d\n", (b - a) * 1000 + 0.5 }'
}

# now: seconds since the epoch, to the ms.
now() {
    date +%s.%3N
}

# sw_flows: br-int's flows without statistics, sorted.
sw_flows() {
    ovs-ofctl -O OpenFlow15 dump-flows --no-stats br-int | sort
}

# coverage NAME: the controller's total count of coverage counter NAME.
coverage() {
    ctl coverage/read-counter "$1"
}

# ctl_log_from N PATTERN: true if the controller's log after its first N
# lines has a line matching PATTERN.
ctl_log_from() {
    tail -n +$(($1 + 1)) "$HAVIP_RUNDIR/havip-controller.log" | grep -q -- "$2"
}

ctl_log_lines() {
    wc -l < "$HAVIP_RUNDIR/havip-controller.log"
}

# recompute_equal: what the controller built incrementally through the
# fault equals a full recompute: the desired flows and the switch's flows
# are the same after "recompute".
recompute_equal() {
    ctl flows/dump > rc-before.txt
    sw_flows > rc-sw-before.txt
    check ctl recompute
    check havip-nbctl $WAIT sync
    ctl flows/dump > rc-after.txt
    sw_flows > rc-sw-after.txt
    check diff -u rc-before.txt rc-after.txt
    check diff -u rc-sw-before.txt rc-sw-after.txt
}

# start_vswitchd: ovs-vswitchd again on the existing conf.db, as
# havip_start_ovs started it.
start_vswitchd() {
    ${HAVIP_OVS_NETNS:+ip netns exec "$HAVIP_OVS_NETNS"} \
    ovs-vswitchd --detach --no-chdir --pidfile --log-file \
        --enable-dummy --disable-system -vconsole:off
}

# readd_ports: the topology's ports on br-int again (after the bridge was
# deleted): VM ports with their iface-id, and the uplink.
readd_ports() {
    for n in vm1 vm2 client; do
        ovs-vsctl --may-exist add-port br-int $n \
            -- set Interface $n external_ids:iface-id=$n || return 1
    done
    ovs-vsctl --may-exist add-port br-int pub
}

# kill -9 the controller and start it again, three times, with traffic
# through the EIP and to the HAVIP: no probe lost, no flow mod (the
# switch's flows are read back and equal what is wanted), the flows'
# counters keep counting, and the state is the same afterwards.
test_faults_controller_kill9() {
    netns_setup
    probes_start
    ctl flows/dump > desired-before.txt
    sw_flows > sw-before.txt
    havip-nbctl show > show-before.txt
    first_kill=$(date +%s)
    for round in 1 2 3; do
        packets=$(dnat_packets)
        check havip_kill "$HAVIP_RUNDIR/havip-controller.pid" KILL
        mv "$HAVIP_RUNDIR/havip-controller.log" "controller-$round.log"
        check havip_start_controller
        wait_until "grep -q 'synchronised with the switch' \
            '$HAVIP_RUNDIR/havip-controller.log'" 20
        log=$HAVIP_RUNDIR/havip-controller.log
        grep -q 'flows wanted, 0 changed' "$log" ||
            fail "restart $round changed flows: $(grep synchronised "$log")"
        echo "FIGURE kill -9 + restart $round: in sync $(ms \
            "$(log_time "$log" 'opened log file')" \
            "$(log_time "$log" 'synchronised with the switch')") ms" \
            "after start" >&2
        check havip-nbctl $WAIT sync
        ctl ofctrl/show > oc.txt
        grep -q "flow mods: 0 " oc.txt || fail "flow mods: $(cat oc.txt)"
        probes_more 10
        # The DNAT flow was never re-added: its counter kept counting (the
        # userspace datapath's statistics lag by up to a second).
        wait_until "[ \"\$(dnat_packets)\" -gt $packets ]" 20
    done
    probes_stop 0 "controller kill -9 x3"
    age=$(( $(date +%s) - first_kill - 1 ))
    [ "$(dnat_age)" -ge "$age" ] ||
        fail "DNAT flow is $(dnat_age) s old, the first kill $age s ago"
    ctl flows/dump > desired-after.txt
    sw_flows > sw-after.txt
    havip-nbctl show > show-after.txt
    check diff -u desired-before.txt desired-after.txt
    check diff -u sw-before.txt sw-after.txt
    check diff -u show-before.txt show-after.txt
    recompute_equal
}

# ovs-vswitchd killed and started again with no flows: the controller
# notices, reconnects as soon as the management socket is back (not after
# rconn's backoff), reinstalls everything, and traffic resumes.
test_faults_vswitchd_restart() {
    netns_setup
    sw_flows > sw-before.txt
    for down in 3.5 0.3; do
        round=${round:-0} round=$((round + 1))
        probes_start
        check havip_kill "$HAVIP_RUNDIR/ovs-vswitchd.pid" KILL
        wait_until "ctl ofctrl/show | grep -q disconnected" 20
        # The switch stays down for a while (deliberately a bare sleep:
        # after 3.5 s rconn's next attempt would come 4 s later).
        sleep $down
        n=$(ctl_log_lines)
        mv "$HAVIP_RUNDIR/ovs-vswitchd.log" "ovs-vswitchd-$round.log"
        check start_vswitchd
        wait_until "ctl_log_from $n 'synchronised with the switch'" 30
        up=$(log_time "$HAVIP_RUNDIR/ovs-vswitchd.log" 'opened log file')
        synced=$(log_time "$HAVIP_RUNDIR/havip-controller.log" \
                 'synchronised with the switch')
        recovery=$(ms "$up" "$synced")
        echo "FIGURE ovs-vswitchd restart $round (down $down s): flows" \
             "back $recovery ms after it started" >&2
        [ "$recovery" -lt 1000 ] || fail "flows back after $recovery ms"
        probes_more 10
        probes_stop 1000 "ovs-vswitchd restart $round"
    done
    check havip-nbctl $WAIT sync
    sw_flows > sw-after.txt
    check diff -u sw-before.txt sw-after.txt
    recompute_equal
}

# The NB database stopped for a while: traffic continues; a failover
# learned meanwhile from the new holder's GARP still switches the local
# flows, and the learned holder reaches the database once it is back.
test_faults_nb_down() {
    netns_setup
    command -v arping >/dev/null 2>&1 || skip "needs arping"
    probes_start
    check havip_kill "$HAVIP_RUNDIR/havip_nb.pid"
    wait_until "ctl connection-status | grep -q '^nb: not connected'" 20
    probes_more 50
    probes_stop 0 "NB down, nothing changed"

    # Fail over to vm2 while the database is down.
    probes_start
    check ctl ofctrl/latency reset
    check havip_topo_move_vip vm1 vm2
    check havip_topo_garp vm2
    # The local flows deliver the HAVIP to vm2's MAC at once.
    wait_until "ovs-ofctl -O OpenFlow15 dump-flows br-int \
        table=35,ip,nw_dst=$HAVIP | grep -q 0a:00:00:00:01:0c" 20
    probes_more 25
    # The probes reach vm2 now: its address answers the pings.
    vm2_in=$(ip_in_receives vm2)
    probes_more 10
    [ "$(ip_in_receives vm2)" -gt "$vm2_in" ] || fail "vm2 receives nothing"
    ctl ofctrl/latency > latency.txt
    echo "FIGURE NB down: GARP -> flows acked:" \
         "$(sed -n 's/^change to switch ack: //p' latency.txt)" >&2
    grep -q '^change to switch ack: [1-9]' latency.txt ||
        fail "no learned change installed: $(cat latency.txt)"
    probes_stop 10 "NB down, failover to vm2 by GARP"

    # The database comes back: the learned holder is written.
    t0=$(now)
    check havip_run_nb_server
    wait_until '[ "$(havip-nbctl havip-get-holder hv1)" = vm2 ]' 30
    written=$(ms "$t0" "$(now)")
    echo "FIGURE NB back: learned holder written $written ms after the NB" \
         "server started" >&2
    # At once, not after the IDL's backoff (by now 2 or 4 s).
    [ "$written" -lt 1500 ] || fail "holder written after $written ms"
    check havip-nbctl $WAIT sync
    probes_start
    probes_more 10
    probes_stop 0 "NB back"
    recompute_equal
}

# The integration bridge deleted: the controller re-creates it at once,
# with its datapath type (netdev, not the kernel's default); once the
# ports are back and the holder announces itself, traffic resumes.
test_faults_bridge_deleted() {
    netns_setup
    command -v arping >/dev/null 2>&1 || skip "needs arping"
    probes_start
    n=$(ctl_log_lines)
    t0=$(now)
    check ovs-vsctl del-br br-int
    wait_until "ctl_log_from $n 'creating integration bridge br-int'" 20
    wait_until 'ovs-vsctl br-exists br-int' 20
    created=$(log_time "$HAVIP_RUNDIR/havip-controller.log" \
              'creating integration bridge')
    echo "FIGURE bridge deleted: re-created $(ms "$t0" "$created") ms" \
         "after del-br" >&2
    check_output netdev ovs-vsctl get Bridge br-int datapath_type
    check_output secure ovs-vsctl get Bridge br-int fail_mode
    # The holder's port left with the bridge: the holder was released.
    wait_until '[ -z "$(havip-nbctl havip-get-holder hv1)" ]' 20
    check readd_ports
    check havip_topo_garp vm1
    wait_until '[ "$(havip-nbctl havip-get-holder hv1)" = vm1 ]' 20
    check havip-nbctl $WAIT sync
    probes_more 10
    probes_stop 100000 "bridge deleted and re-created"
    probes_start
    probes_more 10
    probes_stop 0 "after the bridge came back"
    recompute_equal
}

# The uplink port removed and added again: EIP traffic stops and comes
# back; traffic inside the VPC (to the HAVIP) never notices.
test_faults_uplink_removed() {
    netns_setup
    probe_start vip client "$HAVIP"
    probe_start eip pub "$EIP"
    wait_until 'probe_more eip 5 && probe_more vip 5' 20
    check ovs-vsctl del-port br-int pub
    check havip-nbctl $WAIT sync
    e=$(probe_replies eip)
    v=$(( $(probe_replies vip) + 25 ))
    wait_until "probe_more vip $v" 20
    expect_eq "$(probe_replies eip)" "$e" "EIP replies without an uplink"
    t0=$(now)
    check ovs-vsctl add-port br-int pub
    wait_until "probe_more eip $((e + 1))" 20
    echo "FIGURE uplink re-added: EIP answers $(ms "$t0" "$(now)") ms" \
         "after add-port" >&2
    set -- $(probe_stop vip)
    echo "FIGURE uplink removed: probe vip: $2 of $3 lost" >&2
    expect_eq "$2" 0 "HAVIP probes lost"
    probe_stop eip >/dev/null
    check havip-nbctl $WAIT sync
    probes_start
    probes_more 10
    probes_stop 0 "uplink back"
}

# drops_no_holder: packets to the HAVIP dropped for want of a holder (its
# table-35 flow).
drops_no_holder() {
    ovs-ofctl -O OpenFlow15 dump-flows br-int "table=35,ip,nw_dst=$HAVIP" |
        sed -n 's/.*n_packets=\([0-9]*\),.*actions=drop.*/\1/p'
}

# The holder's VM port removed: the holder is released, traffic to the
# HAVIP is dropped and counted; the port comes back, the VM's GARP makes it
# the holder again and traffic resumes.
test_faults_vm_port_removed() {
    netns_setup
    command -v arping >/dev/null 2>&1 || skip "needs arping"
    probes_start
    check ovs-vsctl del-port br-int vm1
    wait_until '[ -z "$(havip-nbctl havip-get-holder hv1)" ]' 20
    check havip-nbctl $WAIT sync
    wait_until '[ "$(drops_no_holder)" -ge 10 ]' 20
    echo "FIGURE holder's port removed: $(drops_no_holder) packets to the" \
         "HAVIP dropped (no holder)" >&2
    check ovs-vsctl add-port br-int vm1 \
        -- set Interface vm1 external_ids:iface-id=vm1
    t0=$(now)
    check havip_topo_garp vm1
    wait_until '[ "$(havip-nbctl havip-get-holder hv1)" = vm1 ]' 20
    echo "FIGURE holder's port back: holder relearned from its GARP in" \
         "$(ms "$t0" "$(now)") ms (3 GARPs 50 ms apart)" >&2
    probes_more 10
    probes_stop 100000 "holder's port removed"
    probes_start
    probes_more 10
    probes_stop 0 "holder's port back"
    recompute_equal
}

# cookie_flows: the flows of br-int with havip's cookie.
cookie_flows() {
    ovs-ofctl -O OpenFlow15 dump-flows --no-stats br-int \
        cookie=0x4856000000000000/0xffff000000000000 | wc -l
}

# restored WHAT N T0: waits until the controller's log after line N says
# it synchronised again and prints the ms from T0 to that line.
restored() {
    wait_until "ctl_log_from $2 'synchronised with the switch'" 20
    echo "FIGURE $1: restored $(ms "$3" \
        "$(log_time "$HAVIP_RUNDIR/havip-controller.log" \
           'synchronised with the switch')") ms later" >&2
}

# Another OpenFlow client deletes or changes havip's flows: the flow
# monitor reports it and the controller restores them.
test_faults_foreign_flows() {
    netns_setup
    check havip-nbctl $WAIT sync
    sw_flows > sw-before.txt
    total=$(cookie_flows)
    probes_start

    # One flow deleted: the EIP's DNAT.
    n=$(ctl_log_lines) t0=$(now)
    check ovs-ofctl -O OpenFlow15 del-flows --strict br-int \
        "table=5,priority=100,ip,nw_dst=$EIP"
    restored "foreign DNAT flow deletion" $n $t0
    wait_until '[ "$(sw_flows | wc -l)" = "$(wc -l < sw-before.txt)" ]' 20

    # One flow changed: the HAVIP's delivery now drops.
    n=$(ctl_log_lines) t0=$(now)
    check ovs-ofctl -O OpenFlow15 mod-flows br-int \
        "table=35,ip,nw_dst=$HAVIP,actions=drop"
    restored "foreign HAVIP flow change" $n $t0

    # A flow added with havip's cookie that shadows the HAVIP's delivery.
    n=$(ctl_log_lines) t0=$(now)
    check ovs-ofctl -O OpenFlow15 add-flow br-int \
        "cookie=0x4856000012345678,table=35,priority=200,ip,nw_dst=$HAVIP,actions=drop"
    restored "foreign flow with havip's cookie added" $n $t0
    wait_until '[ "$(cookie_flows)" = "$total" ]' 20

    # Every flow deleted.
    n=$(ctl_log_lines) t0=$(now)
    check ovs-ofctl -O OpenFlow15 del-flows br-int
    restored "all flows deleted" $n $t0
    check havip-nbctl $WAIT sync
    wait_until '[ "$(cookie_flows)" = "$total" ]' 20
    sw_flows > sw-after.txt
    check diff -u sw-before.txt sw-after.txt
    expect_eq "$(coverage ofctrl_foreign_change)" 4 "foreign changes seen"
    probes_more 10
    probes_stop 100 "foreign flow changes"
    # Our own changes are never taken for foreign ones.
    check havip-nbctl $WAIT havip-set-holder hv1 vm2
    check havip-nbctl $WAIT havip-set-holder hv1 vm1
    recompute_equal
    expect_eq "$(coverage ofctrl_foreign_change)" 4 "foreign changes seen"
}

# uuid TABLE NAME: the UUID of row NAME of TABLE.
uuid() {
    havip-nbctl get "$1" "$2" _uuid
}

# refused_rows: the controller's list of refused rows (havip/show).
refused_rows() {
    ctl havip/show | sed -n '/^refused rows/,$p'
}

# A small UUID for a raw newcomer: smaller than any random one, so that
# the UUID tie-break alone would let it win.  (Not 00000000-...: a row's
# flows carry the first 32 bits of its UUID in their cookie, and zero is
# the fixed flows'.)
low_uuid() {
    printf '%08x-0000-4000-8000-000000000000\n' "$1"
}

# VM1_OK, HOLDER_OK: traces of the working bindings (vm1's own traffic to
# vm2, and the EIP to hv1's holder vm1).
VM1_TO_VM2="in_port=vm1,dl_src=0a:00:00:00:01:0b,dl_dst=0a:00:00:00:01:0c,icmp,nw_src=10.0.1.11,nw_dst=10.0.1.12,nw_ttl=64"
expect_working() {
    expect_trace "$VM1_TO_VM2" "@vm2"
    expect_trace "$INBOUND" \
        "set(eth(src=$GW1,dst=0a:00:00:00:01:0b)),set(ipv4(dst=10.0.1.100,ttl=63)),@vm1"
}

# Raw rows that take a working binding's address (vm1's IP, its MAC,
# hv1's IP, e1, s1's address space), each with a UUID smaller than the
# working row's: only the newcomer is refused, the programmed row keeps
# working, "havip/show" and "havip-nbctl show" name the newcomer; a
# kill -9 and restart of the controller decides the same from the
# switch's flows.
test_faults_collision_newcomer() {
    dp_setup
    s1=$(uuid Subnet s1) vpc1=$(uuid VPC vpc1) e1=$(uuid EIP e1)
    check nb_transact \
        '{"op":"insert","table":"Port","uuid":"'"$(low_uuid 1)"'","row":{"name":"p1","subnet":["uuid","'"$s1"'"],"mac":"0a:00:00:00:01:51","ip":"10.0.1.11"}}'
    check nb_transact \
        '{"op":"insert","table":"Port","uuid":"'"$(low_uuid 2)"'","row":{"name":"p2","subnet":["uuid","'"$s1"'"],"mac":"0a:00:00:00:01:0b","ip":"10.0.1.52"}}'
    check nb_transact \
        '{"op":"insert","table":"HAVIP","uuid":"'"$(low_uuid 3)"'","row":{"name":"hv3","subnet":["uuid","'"$s1"'"],"ip":"10.0.1.100"}}'
    check nb_transact \
        '{"op":"insert","table":"HAVIP","uuid":"'"$(low_uuid 4)"'","row":{"name":"hv4","subnet":["uuid","'"$s1"'"],"ip":"10.0.1.104","eip":["uuid","'"$e1"'"]}}'
    check nb_transact \
        '{"op":"insert","table":"Subnet","uuid":"'"$(low_uuid 5)"'","row":{"name":"s5","vpc":["uuid","'"$vpc1"'"],"cidr":"10.0.1.128/25","gateway_ip":"10.0.1.129","gateway_mac":"0a:00:00:00:05:01"}}'
    check havip-nbctl $WAIT sync
    expect_working
    refused_want='  rule 3 (one binding per EIP): EIP e1 is bound to both HAVIP hv1 and HAVIP hv4
  rule 5 (addresses): HAVIP hv3: 10.0.1.100 is also used by HAVIP hv1 in VPC vpc1
  rule 5 (addresses): port p1: 10.0.1.11 is also used by port vm1 in VPC vpc1
  rule 5 (addresses): port p2: MAC 0a:00:00:00:01:0b is also used by port vm1 in subnet s1
  rule 5 (addresses): subnet s5 (10.0.1.128/25) overlaps subnet s1 (10.0.1.0/24) in VPC vpc1
refused rows: 5'
    check_output "$refused_want" sh -c "ctl() { ovs-appctl -t '$HAVIP_RUNDIR/havip-controller.ctl' \"\$@\"; }; \
        ctl havip/show | sed -n '/^refused rows/,\$p' | sort"
    expect_eq "$(coverage binding_refused)" 5 "bindings refused"
    grep -c 'not programmed: ' "$HAVIP_RUNDIR/havip-controller.log" > n.txt
    expect_eq "$(cat n.txt)" 5 "refusals logged"
    # havip-nbctl show marks each newcomer (it cannot tell which came first,
    # so it marks the older row too).
    havip-nbctl show > show.txt
    for o in 'port p1' 'port p2' 'havip hv3' 'havip hv4' 'subnet s5'; do
        grep -A1 "^ *$o\$" show.txt | grep -q '! rule' ||
            fail "show does not mark $o: $(cat show.txt)"
    done

    # After kill -9 and a restart the switch's flows decide the same.
    sw_flows > sw-before.txt
    check havip_kill "$HAVIP_RUNDIR/havip-controller.pid" KILL
    check havip_start_controller
    check havip-nbctl $WAIT sync
    expect_working
    check_output "$refused_want" sh -c "ctl() { ovs-appctl -t '$HAVIP_RUNDIR/havip-controller.ctl' \"\$@\"; }; \
        ctl havip/show | sed -n '/^refused rows/,\$p' | sort"
    grep -q 'flows wanted, 0 changed' "$HAVIP_RUNDIR/havip-controller.log" ||
        fail "restart changed flows"
    sw_flows > sw-after.txt
    check diff -u sw-before.txt sw-after.txt
    recompute_equal
    check_output "$refused_want" sh -c "ctl() { ovs-appctl -t '$HAVIP_RUNDIR/havip-controller.ctl' \"\$@\"; }; \
        ctl havip/show | sed -n '/^refused rows/,\$p' | sort"

    # The newcomers go: nothing is refused, the working rows never moved.
    check havip-nbctl port-del p1 -- port-del p2 -- havip-del hv3 \
        -- havip-del hv4 -- subnet-del s5
    check havip-nbctl $WAIT sync
    check_output 'refused rows: 0' refused_rows
    expect_working
}

# A Chassis row written with a garbage encap_ip: no tunnel to it (logged,
# counted), tunnels to the others; fixed, the tunnel comes.
test_faults_chassis_encap_ip() {
    dp_setup
    check ovs-vsctl set Open_vSwitch . external_ids:havip-encap-ip=192.0.2.1
    check nb_transact \
        '{"op":"insert","table":"Chassis","row":{"name":"hv8","hostname":"h8","encap_ip":"192.0.2.8","encap_type":"geneve"}}' \
        '{"op":"insert","table":"Chassis","row":{"name":"hv9","hostname":"h9","encap_ip":"not-an-ip","encap_type":"geneve"}}'
    # (No --wait=hv here: hv8 and hv9 have no controller to acknowledge.)
    wait_until 'ovs-vsctl --bare --columns=options find Interface \
        type=geneve | grep -q 192.0.2.8' 20
    wait_until '[ "$(coverage tunnel_bad_encap)" -ge 1 ]' 20
    expect_eq "$(ovs-vsctl --bare --columns=name find Interface type=geneve \
        | grep -c .)" 1 "tunnel ports"
    ovs-vsctl --bare --columns=options find Interface type=geneve |
        grep -q not-an-ip && fail "a tunnel to not-an-ip"
    grep -q 'chassis hv9: encap_ip "not-an-ip" is not an IP address' \
        "$HAVIP_RUNDIR/havip-controller.log" || fail "not logged"
    check havip-nbctl set Chassis hv9 encap_ip=192.0.2.9
    wait_until '[ "$(ovs-vsctl --bare --columns=name find Interface \
        type=geneve | grep -c .)" = 2 ]' 20
    # Garbage again: the tunnel goes.
    check havip-nbctl set Chassis hv9 'encap_ip="192.0.2.9; rm -rf /"'
    wait_until '[ "$(ovs-vsctl --bare --columns=name find Interface \
        type=geneve | grep -c .)" = 1 ]' 20
    expect_working
}

# raw_refused WHAT OBJECT RULE OP...: the raw transaction of OP breaks
# RULE: the controller refuses exactly one more row, whose message names
# OBJECT ("port p1"), and havip-nbctl show marks OBJECT with the rule.
raw_refused() {
    what=$1 object=$2 rule=$3
    shift 3
    before=$(refused_rows | sed -n 's/^refused rows: //p')
    check nb_transact "$@"
    check havip-nbctl $WAIT sync
    refused_rows > refused.txt
    expect_eq "$(sed -n 's/^refused rows: //p' refused.txt)" \
        $((before + 1)) "refused rows after $what"
    grep "^  rule $rule " refused.txt | grep -q "$object" ||
        fail "$what: havip/show does not name $object: $(cat refused.txt)"
    havip-nbctl show > show.txt
    obj=$(echo "$object" | sed 's/^HAVIP/havip/;s/^EIP/eip/')
    sed -n "/^ *$obj\$/,/^ *[a-z]* [a-z0-9]*\$/p" show.txt |
        grep -q "! rule $rule " ||
        fail "$what: havip-nbctl show does not mark $obj: $(cat show.txt)"
    echo "refused ($what): $(grep "^  rule $rule " refused.txt |
        grep "$object" | head -1)" >&2
    raw_n=$((${raw_n:-0} + 1))
}

# raw_accepted WHAT OP...: the raw transaction of OP breaks no rule.
raw_accepted() {
    what=$1
    shift
    before=$(refused_rows | sed -n 's/^refused rows: //p')
    check nb_transact "$@"
    check havip-nbctl $WAIT sync
    expect_eq "$(refused_rows | sed -n 's/^refused rows: //p')" "$before" \
        "refused rows after $what"
}

# Rows that break each rule of DESIGN.md section 3, written with raw
# transactions behind havip-nbctl's back, while a probe stream runs through
# the EIP and to the HAVIP: each is refused, logged, counted and named;
# the working binding loses no probe.
test_faults_raw_rows() {
    netns_setup
    s1=$(uuid Subnet s1) s2=$(uuid Subnet s2) vpc1=$(uuid VPC vpc1)
    r1=$(uuid Region r1) e1=$(uuid EIP e1) vm1=$(uuid Port vm1)
    vm2=$(uuid Port vm2) client=$(uuid Port client)
    sub='"subnet":["uuid","'"$s1"'"]'
    port() {        # port NAME MAC IP [UUID]
        echo '{"op":"insert","table":"Port",'${4:+'"uuid":"'$4'",'}'"row":{"name":"'$1'",'"$sub"',"mac":"'$2'","ip":"'$3'"}}'
    }
    havip() {       # havip NAME IP [MORE-COLUMNS [UUID]]
        echo '{"op":"insert","table":"HAVIP",'${4:+'"uuid":"'$4'",'}'"row":{"name":"'$1'",'"$sub"',"ip":"'$2'"'${3:+,$3}'}}'
    }
    subnet() {      # subnet NAME CIDR GATEWAY MAC [UUID]
        echo '{"op":"insert","table":"Subnet",'${5:+'"uuid":"'$5'",'}'"row":{"name":"'$1'","vpc":["uuid","'"$vpc1"'"],"cidr":"'$2'","gateway_ip":"'$3'","gateway_mac":"'$4'"}}'
    }
    probes_start
    n0=$(coverage binding_refused)

    # Rule 1: an EIP of another region.
    raw_refused "EIP of region r2" "HAVIP hv2" 1 \
        '{"op":"insert","table":"Region","uuid-name":"r2","row":{"name":"r2"}}' \
        '{"op":"insert","table":"EIP","uuid-name":"e9","row":{"name":"e9","ip":"198.51.100.99","region":["named-uuid","r2"]}}' \
        "$(havip hv2 10.0.1.102 '"eip":["named-uuid","e9"]')"
    # Rules 2 and 3: e1 bound a second time, to a port and to a HAVIP.
    raw_refused "e1 pinned to vm2 too" "port vm2" 3 \
        '{"op":"update","table":"Port","where":[["name","==","vm2"]],"row":{"eip":["uuid","'"$e1"'"]}}'
    raw_refused "e1 bound to hv3 too" "HAVIP hv3" 3 \
        "$(havip hv3 10.0.1.103 '"eip":["uuid","'"$e1"'"]' "$(low_uuid 23)")"
    # Rule 5: port addresses.
    raw_refused "port outside its subnet" "port p1" 5 \
        "$(port p1 0a:00:00:00:01:51 10.0.2.51)"
    raw_refused "port on the network address" "port p2" 5 \
        "$(port p2 0a:00:00:00:01:52 10.0.1.0)"
    raw_refused "port on the broadcast address" "port p3" 5 \
        "$(port p3 0a:00:00:00:01:53 10.0.1.255)"
    raw_refused "port on the gateway address" "port p4" 5 \
        "$(port p4 0a:00:00:00:01:54 10.0.1.1)"
    raw_refused "port with a garbage IP" "port p5" 5 \
        "$(port p5 0a:00:00:00:01:55 ten.zero.one.five)"
    raw_refused "port with an empty IP" "port p6" 5 \
        "$(port p6 0a:00:00:00:01:56 '')"
    raw_refused "port with a garbage MAC" "port p7" 5 \
        "$(port p7 zz:zz:zz:zz:zz:zz 10.0.1.57)"
    raw_refused "port with a MAC and more" "port p8" 5 \
        "$(port p8 '0a:00:00:00:01:58 junk' 10.0.1.58)"
    raw_refused "port with vm1's IP" "port p9" 5 \
        "$(port p9 0a:00:00:00:01:59 10.0.1.11 "$(low_uuid 9)")"
    raw_refused "port with vm1's MAC" "port p10" 5 \
        "$(port p10 0a:00:00:00:01:0b 10.0.1.60 "$(low_uuid 10)")"
    raw_refused "port with the HAVIP's IP" "port p11" 5 \
        "$(port p11 0a:00:00:00:01:61 10.0.1.100 "$(low_uuid 11)")"
    # Rule 5: HAVIP addresses.
    raw_refused "HAVIP with hv1's IP" "HAVIP hv4" 5 \
        "$(havip hv4 10.0.1.100 '' "$(low_uuid 24)")"
    raw_refused "HAVIP with vm2's IP" "HAVIP hv5" 5 \
        "$(havip hv5 10.0.1.12 '' "$(low_uuid 25)")"
    raw_refused "HAVIP with a garbage IP" "HAVIP hv6" 5 \
        "$(havip hv6 300.1.1.1)"
    raw_refused "HAVIP on the gateway address" "HAVIP hv7" 5 \
        "$(havip hv7 10.0.1.1)"
    # Rule 5: subnets, EIPs, regions.
    raw_refused "subnet with a /33" "subnet s9" 5 \
        "$(subnet s9 10.0.9.0/33 10.0.9.1 0a:00:00:00:09:01)"
    raw_refused "subnet with a garbage CIDR" "subnet s10" 5 \
        "$(subnet s10 banana 10.0.10.1 0a:00:00:00:0a:01)"
    raw_refused "subnet inside s1" "subnet s11" 5 \
        "$(subnet s11 10.0.1.128/25 10.0.1.129 0a:00:00:00:0b:01 \
           "$(low_uuid 21)")"
    raw_refused "subnet around s1" "subnet s12" 5 \
        "$(subnet s12 10.0.0.0/16 10.0.0.1 0a:00:00:00:0c:01 \
           "$(low_uuid 22)")"
    raw_refused "subnet gateway outside it" "subnet s13" 5 \
        "$(subnet s13 10.0.13.0/24 10.0.14.1 0a:00:00:00:0d:01)"
    raw_refused "subnet with a garbage gateway MAC" "subnet s14" 5 \
        "$(subnet s14 10.0.14.0/24 10.0.14.1 nope)"
    raw_refused "EIP with a garbage IP" "EIP e8" 5 \
        '{"op":"insert","table":"EIP","row":{"name":"e8","ip":"not-an-ip","region":["uuid","'"$r1"'"]}}'
    raw_refused "region with a garbage gateway MAC" "region r3" 5 \
        '{"op":"insert","table":"Region","row":{"name":"r3","external_gateway_mac":"xx:yy"}}'
    # Rule 6: a holder that is not associated.
    raw_refused "holder not associated" "HAVIP hv8" 6 \
        "$(havip hv8 10.0.1.108 '"ports":["set",[["uuid","'"$vm2"'"]]],"holder":["uuid","'"$vm1"'"]')"
    # Rule 7: an associated port of another subnet.
    raw_refused "port of another subnet associated" "HAVIP hv9" 7 \
        "$(havip hv9 10.0.1.109 '"ports":["set",[["uuid","'"$client"'"]]]')"

    # Dangling references: the server refuses a strong one and drops a weak
    # one, so nothing reaches the controller to refuse.
    rc=0
    nb_transact '{"op":"insert","table":"Port","row":{"name":"p20","subnet":["uuid","0badc0de-0000-4000-8000-000000000000"],"mac":"0a:00:00:00:01:70","ip":"10.0.1.70"}}' \
        > dangling.out 2>&1 || rc=$?
    grep -q 'referential integrity violation' dangling.out ||
        fail "dangling strong reference: $(cat dangling.out)"
    raw_accepted "holder a dangling weak reference" \
        "$(havip hv10 10.0.1.110 '"holder":["uuid","0badc0de-0000-4000-8000-000000000001"]')"
    check_output '' havip-nbctl havip-get-holder hv10
    # Reusing an address in another VPC breaks nothing.
    raw_accepted "vm1's IP and MAC in another VPC" \
        '{"op":"insert","table":"VPC","uuid-name":"v2","row":{"name":"vpc2","region":["uuid","'"$r1"'"]}}' \
        '{"op":"insert","table":"Subnet","uuid-name":"t1","row":{"name":"t1","vpc":["named-uuid","v2"],"cidr":"10.0.1.0/24","gateway_ip":"10.0.1.1","gateway_mac":"0a:00:00:00:0f:01"}}' \
        '{"op":"insert","table":"Port","row":{"name":"q1","subnet":["named-uuid","t1"],"mac":"0a:00:00:00:01:0b","ip":"10.0.1.11"}}'

    expect_eq "$(( $(coverage binding_refused) - n0 ))" "$raw_n" \
        "bindings refused (coverage)"
    echo "FIGURE $raw_n rule-breaking raw rows refused" >&2
    probes_more 10
    probes_stop 0 "$raw_n rule-breaking raw rows"
    # Everything still works end to end.
    serve vm1 8080
    expect_ask "vm1 $PUB" pub "$EIP" 8080
    expect_ask "vm1 10.0.2.13" client "$HAVIP" 8080
    recompute_equal
}

# The same faults on the dummy datapath, without root: bugs 2, 3 and 4 of
# docs/reliability-faults.md, checked with ofproto/trace.

# ovs-vswitchd down 3.5 s: its flows are back well before rconn's next
# attempt (7 s after the kill).
test_faults_dummy_vswitchd_restart() {
    dp_setup
    sw_flows > sw-before.txt
    check havip_kill "$HAVIP_RUNDIR/ovs-vswitchd.pid" KILL
    wait_until "ctl ofctrl/show | grep -q disconnected" 20
    sleep 3.5                   # Down for a while (see above).
    n=$(ctl_log_lines)
    mv "$HAVIP_RUNDIR/ovs-vswitchd.log" ovs-vswitchd-1.log
    check start_vswitchd
    wait_until "ctl_log_from $n 'synchronised with the switch'" 30
    recovery=$(ms "$(log_time "$HAVIP_RUNDIR/ovs-vswitchd.log" \
                     'opened log file')" \
                  "$(log_time "$HAVIP_RUNDIR/havip-controller.log" \
                     'synchronised with the switch')")
    echo "FIGURE dummy ovs-vswitchd restart: flows back $recovery ms" >&2
    [ "$recovery" -lt 1000 ] || fail "flows back after $recovery ms"
    check havip-nbctl $WAIT sync
    sw_flows > sw-after.txt
    check diff -u sw-before.txt sw-after.txt
    expect_working
}

# The bridge deleted: re-created as a dummy bridge, its flows installed.
test_faults_dummy_bridge_deleted() {
    dp_setup
    check ovs-vsctl del-br br-int
    wait_until 'ovs-vsctl br-exists br-int' 20
    check_output dummy ovs-vsctl get Bridge br-int datapath_type
    dp_add_ports
    check havip-nbctl $WAIT havip-set-holder hv1 vm1
    check havip-nbctl $WAIT sync
    expect_working
    recompute_equal
}

# Another client deletes every flow: restored.
test_faults_dummy_foreign_flows() {
    dp_setup
    sw_flows > sw-before.txt
    check ovs-ofctl -O OpenFlow15 del-flows br-int
    wait_until '[ "$(sw_flows | wc -l)" = "$(wc -l < sw-before.txt)" ]' 20
    check havip-nbctl $WAIT sync
    sw_flows > sw-after.txt
    check diff -u sw-before.txt sw-after.txt
    expect_eq "$(coverage ofctrl_foreign_change)" 1 "foreign changes seen"
    expect_working
}

# Another client keeps adding flows with havip's cookie (a second
# controller fighting this one): each is seen, but the switch's flows are
# not read again for each one (the re-reads back off), and once the storm
# ends havip's flows are restored and the foreign ones gone.
test_faults_dummy_foreign_storm() {
    dp_setup
    sw_flows > sw-before.txt
    log0=$(ctl_log_lines)
    nadd=0 end=$(( $(date +%s) + 20 ))
    while [ $nadd -lt 150 ] && [ "$(date +%s)" -lt $end ]; do
        nadd=$((nadd + 1))
        check ovs-ofctl -O OpenFlow15 add-flow br-int \
            "cookie=0x4856000012345678,table=35,priority=200,ip,nw_dst=10.9.$((nadd / 200)).$((nadd % 200 + 1)),actions=drop"
    done
    [ $nadd -ge 50 ] || fail "only $nadd foreign flows added in 20 s"
    wait_until '[ "$(sw_flows | wc -l)" = "$(wc -l < sw-before.txt)" ]' 30
    check havip-nbctl $WAIT sync
    sw_flows > sw-after.txt
    check diff -u sw-before.txt sw-after.txt
    # Every re-read ends with "switch has N havip flows".
    dumps=$(tail -n +$((log0 + 1)) "$HAVIP_RUNDIR/havip-controller.log" \
            | grep -c 'switch has [0-9]* havip flows' || true)
    echo "FIGURE foreign storm: $nadd foreign flows added, $dumps re-reads" >&2
    [ "$dumps" -ge 1 ] || fail "the foreign flows were never seen"
    [ "$dumps" -le 30 ] || fail "$dumps re-reads for $nadd foreign changes"
    # The coverage totals catch up within a second or so.
    wait_until '[ "$(coverage ofctrl_foreign_change)" -ge 1 ]' 20
    expect_working
    recompute_equal
}
