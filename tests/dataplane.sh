# -*- sh -*-
# tests/dataplane.sh: the single-chassis pipeline in a real ovs-vswitchd
# (dummy datapath), checked with ofproto/trace: what a packet becomes and
# where it leaves.  DESIGN.md section 6.

. "$HAVIP_SRCDIR/tests/lib-dataplane.sh"

test_dataplane_eip_inbound_to_holder() {
    dp_setup
    expect_trace "$INBOUND" \
        "set(eth(src=$GW1,dst=0a:00:00:00:01:0b)),set(ipv4(dst=10.0.1.100,ttl=63)),@vm1"
    # Failover: only the holder changes; the EIP binding stays.
    check havip-nbctl $WAIT havip-set-holder hv1 vm2
    expect_trace "$INBOUND" \
        "set(eth(src=$GW1,dst=0a:00:00:00:01:0c)),set(ipv4(dst=10.0.1.100,ttl=63)),@vm2"
    # No holder: dropped, and counted on the HAVIP's own flow.
    check havip-nbctl $WAIT havip-clear-holder hv1
    expect_trace "$INBOUND" "drop"
    check ovs-appctl netdev-dummy/receive pub "$INBOUND_PKT"
    wait_until "ovs-ofctl -O OpenFlow15 dump-flows br-int table=35,ip,nw_dst=10.0.1.100 | grep -q 'n_packets=1,'"
}

test_dataplane_eip_arp_on_uplink() {
    dp_setup
    arp="$PUB,dl_dst=ff:ff:ff:ff:ff:ff,arp,arp_op=1,arp_spa=198.51.100.1,arp_tpa=203.0.113.10,arp_sha=0a:ff:00:00:00:01"
    arp=$(echo "$arp" | sed 's/dl_dst=02:e1:cb:00:71:0a,//')
    expect_trace "$arp" \
        "set(eth(src=02:e1:cb:00:71:0a,dst=0a:ff:00:00:00:01)),set(arp(sip=203.0.113.10,tip=198.51.100.1,op=2,sha=02:e1:cb:00:71:0a,tha=0a:ff:00:00:00:01)),@pub"
    # Same MAC after a failover.
    check havip-nbctl $WAIT havip-set-holder hv1 vm2
    expect_trace "$arp" \
        "set(eth(src=02:e1:cb:00:71:0a,dst=0a:ff:00:00:00:01)),set(arp(sip=203.0.113.10,tip=198.51.100.1,op=2,sha=02:e1:cb:00:71:0a,tha=0a:ff:00:00:00:01)),@pub"
    # The HAVIP's private IP is not reachable from the uplink.
    expect_trace "$(echo "$INBOUND" | sed 's/nw_dst=203.0.113.10/nw_dst=10.0.1.100/')" "drop"
}

test_dataplane_eip_outbound_snat() {
    dp_setup
    out="in_port=vm1,dl_src=0a:00:00:00:01:0b,dl_dst=$GW1,tcp,nw_src=10.0.1.100,nw_dst=198.51.100.7,nw_ttl=64,tp_src=80"
    expect_trace "$out" \
        "set(eth(src=02:e1:cb:00:71:0a,dst=0a:ff:00:00:00:01)),set(ipv4(src=203.0.113.10,ttl=63)),@pub"
    # From its own IP (no EIP pinned) nothing leaves.
    expect_trace "$(echo "$out" | sed 's/nw_src=10.0.1.100/nw_src=10.0.1.11/')" "drop"
    # vm2 is associated: after a failover its traffic leaves as the EIP.
    check havip-nbctl $WAIT havip-set-holder hv1 vm2
    expect_trace "$(echo "$out" | sed 's/vm1/vm2/;s/01:0b/01:0c/')" \
        "set(eth(src=02:e1:cb:00:71:0a,dst=0a:ff:00:00:00:01)),set(ipv4(src=203.0.113.10,ttl=63)),@pub"
}

test_dataplane_anti_spoofing() {
    dp_setup
    # vm3 is not associated with hv1: may not send from its IP or ARP it.
    expect_trace "in_port=vm3,dl_src=0a:00:00:00:02:0d,dl_dst=$GW2,icmp,nw_src=10.0.1.100,nw_dst=10.0.1.11" "drop"
    expect_trace "in_port=vm3,dl_src=0a:00:00:00:02:0d,dl_dst=ff:ff:ff:ff:ff:ff,arp,arp_op=1,arp_spa=10.0.1.100,arp_tpa=10.0.1.100,arp_sha=0a:00:00:00:02:0d" "drop"
    # Wrong source MAC.
    expect_trace "in_port=vm1,dl_src=0a:00:00:00:01:99,dl_dst=0a:00:00:00:01:0c,icmp,nw_src=10.0.1.11,nw_dst=10.0.1.12" "drop"
}

test_dataplane_havip_by_ip() {
    dp_setup
    # A client with a stale ARP entry (old holder's MAC) still reaches the
    # holder: delivery is by IP.
    check havip-nbctl $WAIT havip-set-holder hv1 vm2
    expect_trace "in_port=vm3,dl_src=0a:00:00:00:02:0d,dl_dst=$GW2,icmp,nw_src=10.0.2.13,nw_dst=10.0.1.100,nw_ttl=64" \
        "set(eth(src=$GW1,dst=0a:00:00:00:01:0c)),set(ipv4(ttl=63)),@vm2"
    expect_trace "in_port=vm1,dl_src=0a:00:00:00:01:0b,dl_dst=0a:00:00:00:01:0b,icmp,nw_src=10.0.1.11,nw_dst=10.0.1.100,nw_ttl=64" \
        "set(eth(dst=0a:00:00:00:01:0c)),@vm2"
}

test_dataplane_l2_l3_isolation() {
    dp_setup
    # L2 within the subnet, TTL untouched.
    expect_trace "in_port=vm1,dl_src=0a:00:00:00:01:0b,dl_dst=0a:00:00:00:01:0c,icmp,nw_src=10.0.1.11,nw_dst=10.0.1.12,nw_ttl=64" "@vm2"
    # Routed between subnets of vpc1, TTL decremented.
    expect_trace "in_port=vm1,dl_src=0a:00:00:00:01:0b,dl_dst=$GW1,icmp,nw_src=10.0.1.11,nw_dst=10.0.2.13,nw_ttl=64" \
        "set(eth(src=$GW2,dst=0a:00:00:00:02:0d)),set(ipv4(ttl=63)),@vm3"
    # vm4 (vpc2, same addresses as s1) reaches nothing in vpc1.
    GWT=$(havip-nbctl get Subnet t1 gateway_mac | tr -d '"')
    expect_trace "in_port=vm4,dl_src=0a:00:00:00:09:0e,dl_dst=0a:00:00:00:01:0b,icmp,nw_src=10.0.1.14,nw_dst=10.0.1.11,nw_ttl=64" "drop"
    expect_trace "in_port=vm4,dl_src=0a:00:00:00:09:0e,dl_dst=$GWT,icmp,nw_src=10.0.1.14,nw_dst=10.0.2.13,nw_ttl=64" "drop"
    # VRRP adverts (224.0.0.18) reach the subnet's other ports only.
    expect_trace "in_port=vm1,dl_src=0a:00:00:00:01:0b,dl_dst=01:00:5e:00:00:12,ip,nw_proto=112,nw_src=10.0.1.11,nw_dst=224.0.0.18,nw_ttl=255" "@vm2"
}

test_dataplane_arp_responder() {
    dp_setup
    req="in_port=vm2,dl_src=0a:00:00:00:01:0c,dl_dst=ff:ff:ff:ff:ff:ff,arp,arp_op=1,arp_spa=10.0.1.12,arp_sha=0a:00:00:00:01:0c"
    # HAVIP: answered with the holder's MAC.
    expect_trace "$req,arp_tpa=10.0.1.100" \
        "set(eth(src=0a:00:00:00:01:0b,dst=0a:00:00:00:01:0c)),set(arp(sip=10.0.1.100,tip=10.0.1.12,op=2,sha=0a:00:00:00:01:0b,tha=0a:00:00:00:01:0c)),@vm2"
    expect_trace "$req,arp_tpa=10.0.1.1" \
        "set(eth(src=$GW1,dst=0a:00:00:00:01:0c)),set(arp(sip=10.0.1.1,tip=10.0.1.12,op=2,sha=$GW1,tha=0a:00:00:00:01:0c)),@vm2"
    # The holder's gratuitous ARP is flooded, never answered.
    expect_trace "in_port=vm1,dl_src=0a:00:00:00:01:0b,dl_dst=ff:ff:ff:ff:ff:ff,arp,arp_op=1,arp_spa=10.0.1.100,arp_tpa=10.0.1.100,arp_sha=0a:00:00:00:01:0b" "@vm2"
}

test_dataplane_refused_binding_not_programmed() {
    dp_setup
    # A raw write that binds e1 to vm3 too breaks rule 3: the newcomer's
    # binding is refused, the working one (hv1's, programmed first) and
    # everything else stay programmed.
    check ovsdb-client transact "$HAVIP_NB_DB" \
        "[\"HAVIP_Northbound\",{\"op\":\"update\",\"table\":\"Port\",\"where\":[[\"name\",\"==\",\"vm3\"]],\"row\":{\"eip\":[\"uuid\",\"$(havip-nbctl get EIP e1 _uuid)\"]}}]"
    check havip-nbctl $WAIT sync
    expect_trace "$INBOUND" \
        "set(eth(src=$GW1,dst=0a:00:00:00:01:0b)),set(ipv4(dst=10.0.1.100,ttl=63)),@vm1"
    ovs-appctl -t "$HAVIP_RUNDIR/havip-controller.ctl" havip/show > show.out
    check_output "refused rows: 1
  rule 3 (one binding per EIP): EIP e1 is bound to both port vm3 and HAVIP hv1" \
        sed -n '/^refused rows/,$p' show.out
    expect_trace "in_port=vm1,dl_src=0a:00:00:00:01:0b,dl_dst=0a:00:00:00:01:0c,icmp,nw_src=10.0.1.11,nw_dst=10.0.1.12,nw_ttl=64" "@vm2"
}

test_dataplane_incremental_equals_recompute() {
    dp_setup
    check havip-nbctl $WAIT havip-set-holder hv1 vm2
    ctl="ovs-appctl -t $HAVIP_RUNDIR/havip-controller.ctl"
    $ctl flows/dump > before.txt
    ovs-ofctl -O OpenFlow15 dump-flows --no-stats br-int | sort > sw-before.txt
    check $ctl recompute
    check havip-nbctl $WAIT sync
    $ctl flows/dump > after.txt
    ovs-ofctl -O OpenFlow15 dump-flows --no-stats br-int | sort > sw-after.txt
    check diff -u before.txt after.txt
    check diff -u sw-before.txt sw-after.txt
    [ "$(wc -l < before.txt)" -gt 30 ] || fail "too few flows"
}

test_dataplane_restart_keeps_flows() {
    dp_setup
    # Count a packet on the EIP's DNAT flow, then kill -9 the controller
    # and start it again: the switch's flows are read back, not replaced,
    # so the counter survives.
    check ovs-appctl netdev-dummy/receive pub "$INBOUND_PKT"
    dnat="table=5,ip,nw_dst=203.0.113.10"
    wait_until "ovs-ofctl -O OpenFlow15 dump-flows br-int $dnat | grep -q n_packets=1,"
    n_before=$(ovs-ofctl -O OpenFlow15 dump-flows --no-stats br-int | wc -l)
    check havip_kill "$HAVIP_RUNDIR/havip-controller.pid" KILL
    check havip_start_controller
    check havip-nbctl $WAIT sync
    ovs-ofctl -O OpenFlow15 dump-flows br-int $dnat | grep -q n_packets=1, ||
        fail "DNAT flow was re-added: $(ovs-ofctl -O OpenFlow15 dump-flows br-int $dnat)"
    expect_eq "$(ovs-ofctl -O OpenFlow15 dump-flows --no-stats br-int | wc -l)" "$n_before" "flow count"
    # The restarted controller sent no flow mod at all.
    ovs-appctl -t "$HAVIP_RUNDIR/havip-controller.ctl" ofctrl/show > oc.txt
    grep -q "flow mods: 0 " oc.txt || fail "flow mods after restart: $(cat oc.txt)"
}
