# -*- sh -*-
# tests/faults.sh: faults under traffic (issue 8, "Faults"): the
# controller, ovs-vswitchd and the NB database killed or stopped, the
# bridge and its ports removed behind havip's back, another OpenFlow client
# deleting havip's flows, and rows that break the binding rules written
# with raw "ovsdb-client transact".  The real-packet tests run a bounded
# probe stream (ping every 20 ms, at most 60 s) from the public client to
# the EIP and from the VPC client to the HAVIP while the fault happens and
# count the probes lost.  docs/reliability-faults.md has the figures.

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
        # The DNAT flow was never re-added: its counter kept counting.
        now_packets=$(dnat_packets)
        [ "$now_packets" -gt "$packets" ] ||
            fail "DNAT counter $now_packets, was $packets"
    done
    probes_stop 0 "controller kill -9 x3"
    [ "$(dnat_age)" -ge 1 ] || fail "DNAT flow is new: $(dnat_age) s"
    ctl flows/dump > desired-after.txt
    sw_flows > sw-after.txt
    havip-nbctl show > show-after.txt
    check diff -u desired-before.txt desired-after.txt
    check diff -u sw-before.txt sw-after.txt
    check diff -u show-before.txt show-after.txt
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
    echo "FIGURE NB back: learned holder written $(ms "$t0" "$(now)") ms" \
         "after the NB server started" >&2
    check havip-nbctl $WAIT sync
    probes_start
    probes_more 10
    probes_stop 0 "NB back"
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

    # Every flow deleted.
    n=$(ctl_log_lines) t0=$(now)
    check ovs-ofctl -O OpenFlow15 del-flows br-int
    restored "all flows deleted" $n $t0
    check havip-nbctl $WAIT sync
    wait_until '[ "$(cookie_flows)" = "$total" ]' 20
    sw_flows > sw-after.txt
    check diff -u sw-before.txt sw-after.txt
    expect_eq "$(coverage ofctrl_foreign_change)" 3 "foreign changes seen"
    probes_more 10
    probes_stop 100 "foreign flow changes"
    # Our own changes are never taken for foreign ones.
    check havip-nbctl $WAIT havip-set-holder hv1 vm2
    check havip-nbctl $WAIT havip-set-holder hv1 vm1
    expect_eq "$(coverage ofctrl_foreign_change)" 3 "foreign changes seen"
}
