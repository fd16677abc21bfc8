# -*- sh -*-
# tests/learn.sh: holder learning from gratuitous ARP (dummy datapath):
# a claim from an associated port moves the holder, flows first, then the
# database; the holder's own GARPs and non-associated ports never reach the
# controller; options:learn=false; split brain; a holder port that goes
# away.

. "$HAVIP_SRCDIR/tests/lib-dataplane.sh"

ctl() {
    ovs-appctl -t "$HAVIP_RUNDIR/havip-controller.ctl" "$@"
}

# garp PORT MAC [OP]: injects a gratuitous ARP for hv1's IP from PORT.
garp() {
    check ovs-appctl netdev-dummy/receive "$1" "eth(src=$2,dst=ff:ff:ff:ff:ff:ff),eth_type(0x0806),arp(sip=10.0.1.100,tip=10.0.1.100,op=${3:-1},sha=$2,tha=00:00:00:00:00:00)"
}

# n_packets TABLE REGEX: packets counted by the flows of TABLE whose line
# in dump-flows matches REGEX, summed.
n_packets() {
    ovs-ofctl -O OpenFlow15 dump-flows br-int "table=$1" | grep -E -- "$2" |
        sed -n 's/.*n_packets=\([0-9]*\),.*/\1/p' |
        awk '{ n += $1 } END { print n + 0 }'
}

test_learn_garp_moves_holder() {
    dp_setup
    check_output vm1 havip-nbctl havip-get-holder hv1
    garp vm2 0a:00:00:00:01:0c
    wait_until '[ "$(havip-nbctl havip-get-holder hv1)" = vm2 ]'
    check_output in-use havip-nbctl get HAVIP hv1 status
    check havip-nbctl $WAIT sync
    expect_trace "$INBOUND" \
        "set(eth(src=$GW1,dst=0a:00:00:00:01:0c)),set(ipv4(dst=10.0.1.100,ttl=63)),@vm2"
    # A GARP reply works as well.
    garp vm1 0a:00:00:00:01:0b 2
    wait_until '[ "$(havip-nbctl havip-get-holder hv1)" = vm1 ]'
    # The database ends equal to the flows, and recompute changes nothing.
    ctl flows/dump > before.txt
    check ctl recompute
    check havip-nbctl $WAIT sync
    ctl flows/dump > after.txt
    check diff -u before.txt after.txt
}

test_learn_holder_garp_stays_in_datapath() {
    dp_setup
    # vm1 holds hv1: its periodic GARPs are flooded (table 12), never sent
    # to the controller (table 13).
    for i in 1 2 3; do
        garp vm1 0a:00:00:00:01:0b
    done
    wait_until '[ "$(n_packets 12 'priority=100,arp')" = 3 ]'
    expect_eq "$(n_packets 13 'priority=10,arp')" 0 "packets sent to learning"
    check havip-nbctl $WAIT sync
    check_output vm1 havip-nbctl havip-get-holder hv1
}

test_learn_non_associated_dropped() {
    dp_setup
    # vm3 is not associated with hv1: its claim is dropped by port
    # security (counted in table 11) and the holder does not move.
    want=$(($(n_packets 11 'priority=0 ') + 1))
    garp vm3 0a:00:00:00:02:0d
    wait_until '[ "$(n_packets 11 "priority=0 ")" = $want ]'
    expect_eq "$(n_packets 13 'priority=10,arp')" 0 "packets sent to learning"
    check havip-nbctl $WAIT sync
    check_output vm1 havip-nbctl havip-get-holder hv1
}

test_learn_disabled() {
    dp_setup
    check havip-nbctl $WAIT set HAVIP hv1 options:learn=false
    garp vm2 0a:00:00:00:01:0c
    wait_until '[ "$(n_packets 14 'priority=10,arp')" = 1 ]'
    expect_eq "$(n_packets 13 'priority=10,arp')" 0 "packets sent to learning"
    check havip-nbctl $WAIT sync
    check_output vm1 havip-nbctl havip-get-holder hv1
    # Only the operator moves it.
    check havip-nbctl $WAIT havip-set-holder hv1 vm2
    expect_trace "$INBOUND" \
        "set(eth(src=$GW1,dst=0a:00:00:00:01:0c)),set(ipv4(dst=10.0.1.100,ttl=63)),@vm2"
}

test_learn_split_brain_last_wins() {
    dp_setup
    # Both think they are master: vm2 claims, then vm1 claims again.  The
    # last one wins, and the database ends equal to the flows.
    garp vm2 0a:00:00:00:01:0c
    garp vm1 0a:00:00:00:01:0b
    garp vm2 0a:00:00:00:01:0c
    wait_until '[ "$(n_packets 13 'priority=10,arp')" -ge 2 ]'
    wait_until '[ "$(havip-nbctl havip-get-holder hv1)" = vm2 ]'
    check havip-nbctl $WAIT sync
    check_output vm2 havip-nbctl havip-get-holder hv1
    expect_trace "$INBOUND" \
        "set(eth(src=$GW1,dst=0a:00:00:00:01:0c)),set(ipv4(dst=10.0.1.100,ttl=63)),@vm2"
}

test_learn_holder_port_gone() {
    dp_setup
    check_output hv1 havip-nbctl get Port vm1 chassis
    wait_until '[ "$(havip-nbctl get Port vm1 up)" = true ]'
    # The holder's interface is removed: the holder is cleared, traffic is
    # dropped (and counted), not sent to a dead port.
    check ovs-vsctl del-port br-int vm1
    wait_until '[ -z "$(havip-nbctl havip-get-holder hv1)" ]'
    check_output available havip-nbctl get HAVIP hv1 status
    check_output '[]' havip-nbctl get Port vm1 chassis
    check havip-nbctl $WAIT sync
    expect_trace "$INBOUND" "drop"
    # vm2 takes over with its GARP.
    garp vm2 0a:00:00:00:01:0c
    wait_until '[ "$(havip-nbctl havip-get-holder hv1)" = vm2 ]'
}

test_learn_bad_packet_in_counted() {
    dp_setup
    # An ARP whose sender hardware address is not the Ethernet source is
    # dropped by port security; the controller never sees it.
    want=$(($(n_packets 10 'priority=0 ') + 1))
    check ovs-appctl netdev-dummy/receive vm2 "eth(src=0a:00:00:00:01:0c,dst=ff:ff:ff:ff:ff:ff),eth_type(0x0806),arp(sip=10.0.1.100,tip=10.0.1.100,op=1,sha=0a:00:00:00:01:99,tha=00:00:00:00:00:00)"
    wait_until '[ "$(n_packets 10 "priority=0 ")" = $want ]'
    check havip-nbctl $WAIT sync
    check_output vm1 havip-nbctl havip-get-holder hv1
}
