# -*- sh -*-
# tests/netns.sh: real packets through havip's flows, on the userspace
# datapath, between network namespaces on veth pairs
# (utilities/havip-topology.sh): EIP inbound and outbound, HAVIP inside the
# VPC, a failover by havip-set-holder, and a controller restart under
# traffic.  DESIGN.md section 6.  Root only.

. "$HAVIP_SRCDIR/tests/lib-netns.sh"

test_netns_eip_inbound() {
    netns_setup
    serve vm1 8080
    # The public client reaches the holder through the EIP; the holder sees
    # the client's own public address.
    expect_ask "vm1 $PUB" pub "$EIP" 8080
    check havip_topo_exec pub ping -c 3 -i 0.2 -W 5 "$EIP"
    # The HAVIP's private address is not reachable from the uplink, even
    # sent straight to the EIP's MAC: no IPv4 packet reaches the holder.
    eip_mac=$(printf '02:e1:%02x:%02x:%02x:%02x' $(echo "$EIP" | tr . ' '))
    check havip_topo_exec pub ip route add "$HAVIP/32" dev eth0
    check havip_topo_exec pub ip neigh replace "$HAVIP" lladdr "$eip_mac" \
        dev eth0
    n=$(ip_in_receives vm1)
    rc=0
    ASK_TIMEOUT=2 ask pub "$HAVIP" 8080 || rc=$?
    [ "$rc" != 0 ] || fail "the HAVIP's private IP answered from the uplink"
    expect_eq "$(ip_in_receives vm1)" "$n" \
        "IPv4 packets received by vm1 sent to the HAVIP from the uplink"
}

test_netns_eip_outbound() {
    netns_setup
    serve pub 8081
    # From the HAVIP address: leaves with the EIP as source.
    expect_ask "pub $EIP" vm1 "$PUB" 8081 "$HAVIP"
    # From the holder's own address (no EIP pinned): nothing arrives.
    n=$(ip_in_receives pub)
    rc=0
    havip_topo_exec vm1 timeout 10 socat -T2 - \
        TCP:"$PUB:8081",connect-timeout=2,bind=10.0.1.11 </dev/null || rc=$?
    [ "$rc" != 0 ] || fail "connected to the public client from 10.0.1.11"
    expect_eq "$(ip_in_receives pub)" "$n" \
        "IPv4 packets received by pub while vm1 sent from 10.0.1.11"
    # vm2 is not the holder and does not have the HAVIP address: its own
    # address does not leave either.
    rc=0
    havip_topo_exec vm2 timeout 10 socat -T2 - \
        TCP:"$PUB:8081",connect-timeout=2 </dev/null || rc=$?
    [ "$rc" != 0 ] || fail "connected to the public client from vm2"
    expect_eq "$(ip_in_receives pub)" "$n" \
        "IPv4 packets received by pub while vm2 sent from 10.0.1.12"
}

test_netns_failover() {
    netns_setup
    for vm in vm1 vm2; do
        serve $vm 8080
    done
    serve pub 8081
    expect_ask "vm1 10.0.2.13" client "$HAVIP" 8080
    expect_ask "vm1 $PUB" pub "$EIP" 8080
    # Fail over to vm2 the way an operator (or, with learning, keepalived)
    # would: move the holder and the address.
    check havip-nbctl $WAIT havip-set-holder hv1 vm2
    check havip_topo_move_vip vm1 vm2
    expect_ask "vm2 10.0.2.13" client "$HAVIP" 8080
    expect_ask "vm2 $PUB" pub "$EIP" 8080
    expect_ask "pub $EIP" vm2 "$PUB" 8081 "$HAVIP"
    # And back.
    check havip-nbctl $WAIT havip-set-holder hv1 vm1
    check havip_topo_move_vip vm2 vm1
    expect_ask "vm1 10.0.2.13" client "$HAVIP" 8080
    expect_ask "vm1 $PUB" pub "$EIP" 8080
}

test_netns_restart_under_traffic() {
    netns_setup
    # 200 pings through the EIP, 50 ms apart (10 s), bounded by a 30 s
    # deadline; the controller is killed and restarted in the middle.
    havip_topo_exec pub ping -q -i 0.05 -c 200 -w 30 "$EIP" \
        > "$TESTDIR/ping.out" 2>&1 &
    ping_pid=$!
    on_exit "kill $ping_pid 2>/dev/null || true"
    wait_until '[ "$(dnat_packets)" -ge 20 ]'
    wait_until '[ "$(dnat_age)" -ge 1 ]'
    n1=$(dnat_packets)
    age1=$(dnat_age)
    check havip_kill "$HAVIP_RUNDIR/havip-controller.pid" KILL
    check havip_start_controller
    check havip-nbctl $WAIT sync
    havip_alive $ping_pid || fail "ping ended before the restart was done"
    # The restarted controller read the switch's flows back and sent none.
    ctl ofctrl/show > oc.txt
    grep -q "flow mods: 0 " oc.txt ||
        fail "flow mods after restart: $(cat oc.txt)"
    n2=$(dnat_packets)
    [ "$n2" -ge "$n1" ] || fail "DNAT flow counter reset: $n1 then $n2"
    [ "$(dnat_age)" -ge "$age1" ] ||
        fail "DNAT flow re-added: duration $age1 s then $(dnat_age) s"
    wait_until "! havip_alive $ping_pid" 30
    cat "$TESTDIR/ping.out" >&2
    grep -q '^200 packets transmitted, 200 received,' "$TESTDIR/ping.out" ||
        fail "pings lost across the restart: $(cat "$TESTDIR/ping.out")"
    # Every echo request went through the one DNAT flow, never re-added
    # (the datapath pushes its counters to the flow within a second or so).
    wait_until '[ "$(dnat_packets)" -ge 200 ]' 5
}
