# -*- sh -*-
# tests/hostile.sh: hostile packets (issue 8: never lose a binding,
# black-hole traffic, or let one tenant take another's address).  Each
# hostile input is dropped or handled as docs/reliability-hostile.md says,
# counted by the flow or coverage counter named there, and moves no holder
# it may not move.  The figures are printed on stderr as "MEASURE: ..."
# lines (in the test's log).  The dummy datapath (netdev-dummy/receive)
# where that suffices; real packets in namespaces for floods and for
# fragments and IP options through the NAT.

. "$HAVIP_SRCDIR/tests/lib-dataplane.sh"

ctl() {
    ovs-appctl -t "$HAVIP_RUNDIR/havip-controller.ctl" "$@"
}

# measure TEXT: one "MEASURE:" line on stderr.
measure() {
    echo "MEASURE: $*" >&2
}

# coverage NAME: the controller's coverage counter NAME, in total.
coverage() {
    ctl coverage/show | awk -v n="$1" '$1 == n { t = $NF } END { print t + 0 }'
}

# n_packets TABLE REGEX: packets counted by the flows of TABLE whose line
# in dump-flows matches REGEX, summed.
n_packets() {
    ovs-ofctl -O OpenFlow15 dump-flows br-int "table=$1" | grep -E -- "$2" |
        sed -n 's/.*n_packets=\([0-9]*\),.*/\1/p' |
        awk '{ n += $1 } END { print n + 0 }'
}

# tx_total: packets sent out of every port of br-int, summed.
tx_total() {
    ovs-ofctl -O OpenFlow15 dump-ports br-int |
        sed -n 's/.*tx pkts=\([0-9]*\),.*/\1/p' |
        awk '{ n += $1 } END { print n + 0 }'
}

# meter_stats: "IN DROPPED" for the learning meter: packets that reached it
# and packets its band dropped.
meter_stats() {
    ovs-ofctl -O OpenFlow15 meter-stats br-int meter=1 | awk '
        /packet_in_count:/ { sub(/.*packet_in_count:/, ""); i = $1 + 0 }
        /^ *0: packet_count:/ { sub(/.*packet_count:/, ""); d = $1 + 0 }
        END { print i + 0, d + 0 }'
}

# Hexadecimal frames for netdev-dummy/receive and ofproto/trace.
hexmac() {
    echo "$1" | tr -d :
}

hexip() {
    printf '%02x' $(echo "$1" | tr . ' ')
}

# arp_body HTYPE PTYPE HLEN PLEN OP SHA SPA TPA: an ARP header, hex.
arp_body() {
    printf '%04x%04x%02x%02x%04x%s%s000000000000%s' "$1" "$2" "$3" "$4" \
        "$5" "$(hexmac "$6")" "$(hexip "$7")" "$(hexip "$8")"
}

# arp_pkt ETH_SRC SHA OP SPA TPA: a broadcast ARP frame, hex.
arp_pkt() {
    printf 'ffffffffffff%s0806%s\n' "$(hexmac "$1")" \
        "$(arp_body 1 0x0800 6 4 "$3" "$2" "$4" "$5")"
}

# garp_pkt MAC IP [OP]: a gratuitous ARP for IP from MAC, hex.
garp_pkt() {
    arp_pkt "$1" "$1" "${3:-1}" "$2" "$2"
}

# ip_pkt ETH_SRC ETH_DST SRC DST [TTL]: an ICMP echo request, hex.
ip_pkt() {
    printf '%s%s08004500001c00004000%02x010000%s%s0800f7ff00000000\n' \
        "$(hexmac "$2")" "$(hexmac "$1")" "${5:-64}" "$(hexip "$3")" \
        "$(hexip "$4")"
}

# tag_pkt TPID TCI PACKET: PACKET with a VLAN header (TPID, TCI) inserted
# after the MAC addresses.
tag_pkt() {
    echo "$3" | sed -E "s/^(.{24})/\\1$(printf '%04x%04x' "$1" "$2")/"
}

MAC1=0a:00:00:00:01:0b
MAC2=0a:00:00:00:01:0c
MAC3=0a:00:00:00:02:0d
MAC5=0a:00:00:00:01:0f
MAC6=0a:00:00:00:09:10
PUBMAC=0a:ff:00:00:00:01
EIPMAC=02:e1:cb:00:71:0a
HV=10.0.1.100
EIP=203.0.113.10

# hostile_setup: dp_setup (vm1 holds hv1, vm2 is associated, vm3 in s2, vm4
# in vpc2's t1, which has s1's addresses), plus vm5 (ofport 5, 10.0.1.15)
# in s1 and associated with nothing, and vpc2's own HAVIP hv2 with hv1's
# address 10.0.1.100, associated with vm4 and vm6 (ofport 6, 10.0.1.16),
# held by vm4: another tenant with the same address.  PIN0 is the number
# of packet-ins so far.
hostile_setup() {
    dp_setup
    for i in 5 6; do
        check ovs-vsctl add-port br-int vm$i -- set interface vm$i \
            type=dummy ofport_request=$i external_ids:iface-id=vm$i
    done
    check havip-nbctl $WAIT port-add s1 vm5 $MAC5 10.0.1.15 \
        -- port-add t1 vm6 $MAC6 10.0.1.16 \
        -- havip-add t1 hv2 $HV \
        -- havip-associate hv2 vm4 -- havip-associate hv2 vm6 \
        -- havip-set-holder hv2 vm4
    wait_until '[ "$(havip-nbctl get Port vm5 up)" = true ]'
    wait_until '[ "$(havip-nbctl get Port vm6 up)" = true ]'
    check havip-nbctl $WAIT sync
    # The controller's own gratuitous ARPs for the EIP (3 rounds, 1 s
    # apart, when it becomes the active gateway) are out.
    wait_until '[ "$(coverage gateway_garp)" -ge 3 ]'
    PIN0=$(coverage ofctrl_packet_in)
    METER0=$(meter_stats | cut -d' ' -f1)
}

# expect_holders [PACKET-INS]: hv1 is still held by vm1 and hv2 by vm4,
# in the database and in the flows, and the controller received
# PACKET-INS (default 0) packet-ins since hostile_setup.
expect_holders() {
    check havip-nbctl $WAIT sync
    check_output vm1 havip-nbctl havip-get-holder hv1
    check_output vm4 havip-nbctl havip-get-holder hv2
    expect_trace "$INBOUND" \
        "set(eth(src=$GW1,dst=$MAC1)),set(ipv4(dst=$HV,ttl=63)),@vm1"
    n=$(($(meter_stats | cut -d' ' -f1) - METER0))
    measure "holders: hv1 vm1, hv2 vm4 (unchanged); packets to the" \
        "learning meter: $n; packet-ins received (coverage, synced once a" \
        "second): $(($(coverage ofctrl_packet_in) - PIN0))"
    expect_eq "$n" "${1:-0}" "packets sent to the controller since the setup"
}

# dropped WHAT PORT PACKET TABLE REGEX: PACKET (hex) from PORT is dropped:
# ofproto/trace says so, and injected it is counted by the flows of TABLE
# matching REGEX and leaves by no port.
dropped() {
    what=$1 port=$2 pkt=$3 table=$4 re=$5
    echo "+ $what" >&2
    ovs-appctl ofproto/trace br-int "in_port=$port" "$pkt" \
        > "$TESTDIR/trace.out" 2>&1 ||
        fail "$what: ofproto/trace failed: $(cat "$TESTDIR/trace.out")"
    expect_eq "$(sed -n 's/^Datapath actions: //p' "$TESTDIR/trace.out")" \
        drop "$what: datapath actions"
    d_want=$(($(n_packets "$table" "$re") + 1))
    tx=$(tx_total)
    check ovs-appctl netdev-dummy/receive "$port" "$pkt"
    wait_until '[ "$(n_packets "$table" "$re")" -ge "$d_want" ]'
    expect_eq "$(n_packets "$table" "$re")" "$d_want" "$what: n_packets"
    expect_eq "$(tx_total)" "$tx" "$what: packets sent"
    measure "$what: dropped, table $table flow /$re/ n_packets=$d_want"
}

test_hostile_garp_spoof() {
    hostile_setup
    t11='priority=0 '
    # vm5 is in hv1's subnet but not associated: it may not claim the
    # HAVIP (request or reply), the gateway, or another port's address.
    dropped "GARP request for the HAVIP from a non-associated port" \
        vm5 "$(garp_pkt $MAC5 $HV)" 11 "$t11"
    dropped "GARP reply for the HAVIP from a non-associated port" \
        vm5 "$(garp_pkt $MAC5 $HV 2)" 11 "$t11"
    dropped "ARP reply to vm1 claiming the HAVIP from a non-associated port" \
        vm5 "$(arp_pkt $MAC5 $MAC5 2 $HV 10.0.1.11 |
               sed "s/^ffffffffffff/$(hexmac $MAC1)/")" 11 "$t11"
    dropped "GARP for the subnet gateway from a VM" \
        vm5 "$(garp_pkt $MAC5 10.0.1.1)" 11 "$t11"
    dropped "GARP for another port's IP from a non-associated port" \
        vm5 "$(garp_pkt $MAC5 10.0.1.12)" 11 "$t11"
    dropped "GARP for another port's IP from an associated port (holder)" \
        vm1 "$(garp_pkt $MAC1 10.0.1.12)" 11 "$t11"
    dropped "GARP for the holder's IP from an associated port" \
        vm2 "$(garp_pkt $MAC2 10.0.1.11)" 11 "$t11"
    dropped "GARP for the HAVIP from another subnet of the VPC" \
        vm3 "$(garp_pkt $MAC3 $HV)" 11 "$t11"
    # With another port's MAC: port security L2.
    dropped "GARP for another port's IP with its MAC" \
        vm5 "$(garp_pkt $MAC2 10.0.1.12)" 10 'priority=0 '
    dropped "GARP for the HAVIP with the holder's MAC as sender" \
        vm5 "$(arp_pkt $MAC5 $MAC1 1 $HV $HV)" 10 'priority=0 '
    # From the public network: no ARP but requests for an EIP.
    # A GARP (request) for the EIP from the uplink is answered by the
    # EIP's ARP flow, to its sender only, with the EIP's MAC, which never
    # changes: a reply that defends the address and changes nothing.
    n_arp=$(($(n_packets 5 "arp_tpa=$EIP") + 1))
    expect_trace "in_port=pub,dl_src=$PUBMAC,dl_dst=ff:ff:ff:ff:ff:ff,arp,arp_op=1,arp_spa=$EIP,arp_tpa=$EIP,arp_sha=$PUBMAC" \
        "set(eth(src=$EIPMAC,dst=$PUBMAC)),set(arp(op=2,sha=$EIPMAC,tha=$PUBMAC)),@pub"
    check ovs-appctl netdev-dummy/receive pub "$(garp_pkt $PUBMAC $EIP)"
    wait_until '[ "$(n_packets 5 "arp_tpa=$EIP")" = "$n_arp" ]'
    measure "GARP for the EIP from the uplink: answered with $EIPMAC to" \
        "the sender, table 5 EIP ARP flow n_packets=$n_arp"
    dropped "GARP reply for the EIP from the uplink" \
        pub "$(garp_pkt $PUBMAC $EIP 2)" 5 'priority=0 '
    dropped "GARP for the HAVIP from the uplink" \
        pub "$(garp_pkt $PUBMAC $HV)" 5 'priority=0 '
    expect_holders 0

    # Another tenant's HAVIP with the same address: vm6's claim moves
    # hv2 (vpc2) only, never hv1.
    check ovs-appctl netdev-dummy/receive vm6 "$(garp_pkt $MAC6 $HV)"
    wait_until '[ "$(havip-nbctl havip-get-holder hv2)" = vm6 ]'
    wait_until '[ "$(coverage learn_garp)" = 1 ]'
    check havip-nbctl $WAIT sync
    check_output vm1 havip-nbctl havip-get-holder hv1
    expect_trace "$INBOUND" \
        "set(eth(src=$GW1,dst=$MAC1)),set(ipv4(dst=$HV,ttl=63)),@vm1"
    measure "GARP for 10.0.1.100 from vm6 (vpc2): hv2 -> vm6," \
        "hv1 stays vm1; learn_garp=$(coverage learn_garp)"
}

test_hostile_ip_spoof() {
    hostile_setup
    t11='priority=0 '
    dropped "IP from the HAVIP from a non-associated port" \
        vm5 "$(ip_pkt $MAC5 $GW1 $HV 10.0.2.13)" 11 "$t11"
    dropped "IP from the EIP from the holder, to the internet" \
        vm1 "$(ip_pkt $MAC1 $GW1 $EIP 198.51.100.7)" 11 "$t11"
    dropped "IP from the EIP from the holder, to the VPC" \
        vm1 "$(ip_pkt $MAC1 $MAC2 $EIP 10.0.1.12)" 11 "$t11"
    dropped "IP from another port's IP" \
        vm5 "$(ip_pkt $MAC5 $MAC1 10.0.1.12 10.0.1.11)" 11 "$t11"
    dropped "IP from the subnet gateway's IP" \
        vm5 "$(ip_pkt $MAC5 $MAC1 10.0.1.1 10.0.1.11)" 11 "$t11"
    dropped "IP from another port's IP and MAC" \
        vm5 "$(ip_pkt $MAC2 $MAC1 10.0.1.12 10.0.1.11)" 10 'priority=0 '
    dropped "IPv6 (an empty ICMPv6 to all nodes) from a VM" \
        vm5 "333300000001$(hexmac $MAC5)86dd600000000000$(printf 3aff)fe80000000000000080000fffe00010fff020000000000000000000000000001" \
        10 'priority=0 '
    # From the public network: the private addresses are unreachable.
    dropped "uplink: IP to the HAVIP's private IP" \
        pub "$(ip_pkt $PUBMAC $EIPMAC 198.51.100.7 $HV)" 5 'priority=0 '
    dropped "uplink: IP to a port's private IP" \
        pub "$(ip_pkt $PUBMAC $EIPMAC 198.51.100.7 10.0.1.11)" 5 'priority=0 '
    # ... and a source inside the VPC is spoofed: dropped after the DNAT
    # (table 6) instead of reaching the holder as if vm2 or vm3 sent it.
    dropped "uplink: IP to the EIP from a source in the HAVIP's subnet" \
        pub "$(ip_pkt $PUBMAC $EIPMAC 10.0.1.12 $EIP)" 6 \
        'nw_src=10.0.1.0/24 '
    dropped "uplink: IP to the EIP from a source in another subnet of the VPC" \
        pub "$(ip_pkt $PUBMAC $EIPMAC 10.0.2.13 $EIP)" 6 \
        'nw_src=10.0.2.0/24 '
    # A public source still gets through, and vpc2's addresses are not
    # vpc1's: 10.0.1.16 (vm6's, in vpc2) is a source like any other for
    # vpc1's EIP.
    expect_trace "$INBOUND" \
        "set(eth(src=$GW1,dst=$MAC1)),set(ipv4(dst=$HV,ttl=63)),@vm1"
    expect_holders 0
}

test_hostile_malformed_arp() {
    hostile_setup
    # From vm2, associated with hv1 and not its holder: the port whose
    # ARPs for the HAVIP reach the controller.  The switch zeroes the ARP
    # fields of an ARP it cannot parse (truncated, or not Ethernet/IPv4
    # with lengths 6 and 4), so their sender MAC is not vm2's: port
    # security L2 drops them.
    eth="ffffffffffff$(hexmac $MAC2)0806"
    body=$(arp_body 1 0x0800 6 4 1 $MAC2 $HV $HV)
    t10='priority=0 '
    dropped "truncated ARP (20 of 28 bytes)" \
        vm2 "$eth$(echo "$body" | cut -c1-40)" 10 "$t10"
    dropped "ARP with hardware length 8" \
        vm2 "$eth$(arp_body 1 0x0800 8 4 1 $MAC2 $HV $HV)0000" 10 "$t10"
    dropped "ARP with protocol length 16" \
        vm2 "$eth$(arp_body 1 0x0800 6 16 1 $MAC2 $HV $HV)" 10 "$t10"
    dropped "ARP with hardware type 6 (IEEE 802)" \
        vm2 "$eth$(arp_body 6 0x0800 6 4 1 $MAC2 $HV $HV)" 10 "$t10"
    dropped "ARP with protocol type 0x86dd" \
        vm2 "$eth$(arp_body 1 0x86dd 6 4 1 $MAC2 $HV $HV)" 10 "$t10"
    dropped "RARP (ethertype 0x8035) for the HAVIP" \
        vm2 "ffffffffffff$(hexmac $MAC2)8035$body" 10 "$t10"
    dropped "GARP with a sender MAC that is not the Ethernet source" \
        vm2 "$(arp_pkt $MAC2 $MAC1 1 $HV $HV)" 10 "$t10"
    dropped "GARP with another port's Ethernet source" \
        vm2 "$(arp_pkt $MAC1 $MAC2 1 $HV $HV)" 10 "$t10"
    # Well formed but neither request nor reply: a claim of nothing,
    # dropped in the claim table (priority 5), never sent to the
    # controller.
    for op in 0 3 4 8 9 257 65535; do
        dropped "GARP for the HAVIP with ARP opcode $op" \
            vm2 "$(garp_pkt $MAC2 $HV $op)" 13 'priority=5,arp '
    done
    expect_holders 0
    measure "learn_bad_packet_in=$(coverage learn_bad_packet_in)" \
        "learn_refused=$(coverage learn_refused)"
}

test_hostile_bad_packet_in() {
    hostile_setup
    # The controller checks each packet-in itself, whatever the switch let
    # through.  A flow added by hand (cookie 0, not havip's) sends vm2's
    # and vm5's packets straight to the claim table, past port security,
    # and a "controller" action on vm3's packets, outside the claim flow.
    check ovs-ofctl -O OpenFlow15 add-flow br-int \
        "table=0,priority=200,in_port=vm2,actions=goto_table:13"
    check ovs-ofctl -O OpenFlow15 add-flow br-int \
        "table=0,priority=200,in_port=vm5,actions=goto_table:13"
    check ovs-ofctl -O OpenFlow15 add-flow br-int \
        "table=0,priority=200,in_port=vm3,actions=controller"
    bad=$(coverage learn_bad_packet_in)
    refused=$(coverage learn_refused)
    # inject WHAT PORT PACKET COUNTER: the packet reaches the controller,
    # which counts it in COUNTER and moves no holder.
    inject() {
        echo "+ $1" >&2
        check ovs-appctl netdev-dummy/receive "$2" "$3"
        counter=$4
        case $counter in
            learn_bad_packet_in) bad=$((bad + 1)); i_want=$bad ;;
            learn_refused) refused=$((refused + 1)); i_want=$refused ;;
        esac
        wait_until '[ "$(coverage $counter)" = "$i_want" ]'
        check_output vm1 havip-nbctl havip-get-holder hv1
        measure "$1: packet-in counted by $counter (now $i_want)," \
            "no holder change"
    }
    inject "VLAN-tagged GARP for the HAVIP from an associated port" \
        vm2 "$(tag_pkt 0x8100 5 "$(garp_pkt $MAC2 $HV)")" learn_bad_packet_in
    inject "priority-tagged (VLAN 0) GARP from an associated port" \
        vm2 "$(tag_pkt 0x8100 0x2000 "$(garp_pkt $MAC2 $HV)")" \
        learn_bad_packet_in
    inject "GARP whose sender MAC is another port's" \
        vm2 "$(arp_pkt $MAC2 $MAC1 1 $HV $HV)" learn_bad_packet_in
    inject "GARP for the HAVIP from a non-associated port" \
        vm5 "$(garp_pkt $MAC5 $HV)" learn_refused
    inject "GARP for a port's IP (no HAVIP) from an associated port" \
        vm2 "$(garp_pkt $MAC2 10.0.1.12)" learn_refused
    inject "GARP for the HAVIP outside the claim flow" \
        vm3 "$(garp_pkt $MAC3 $HV)" learn_bad_packet_in
    inject "IPv4 outside the claim flow" \
        vm3 "$(ip_pkt $MAC3 $GW1 10.0.2.13 $HV)" learn_bad_packet_in
    # A GARP of 1,382 bytes (garbage after the ARP) reaches the controller
    # cut to 128 bytes: with the real pipeline it is a claim like any
    # other, so it goes last.
    check ovs-ofctl -O OpenFlow15 del-flows br-int "cookie=0/-1"
    big="$(garp_pkt $MAC2 $HV)$(printf 'ab%.0s' $(seq 1340))"
    check ovs-appctl netdev-dummy/receive vm2 "$big"
    wait_until '[ "$(havip-nbctl havip-get-holder hv1)" = vm2 ]'
    check havip-nbctl $WAIT sync
    expect_trace "$INBOUND" \
        "set(eth(src=$GW1,dst=$MAC2)),set(ipv4(dst=$HV,ttl=63)),@vm2"
    check_output vm4 havip-nbctl havip-get-holder hv2
    havip_alive "$(cat "$HAVIP_RUNDIR/havip-controller.pid")" ||
        fail "the controller died"
    measure "1,382-byte GARP from vm2: learned (hv1 -> vm2)," \
        "learn_garp=$(coverage learn_garp)"
}

test_hostile_vlan() {
    hostile_setup
    # OVS matches dl_type on the ethertype inside a VLAN header: port
    # security requires no VLAN header at all, so a tagged frame is
    # dropped whatever it carries.
    t10='priority=0 '
    dropped "VLAN-tagged IP between two ports of a subnet" \
        vm1 "$(tag_pkt 0x8100 5 "$(ip_pkt $MAC1 $MAC2 10.0.1.11 10.0.1.12)")" \
        10 "$t10"
    dropped "VLAN-tagged GARP for the HAVIP from an associated port" \
        vm2 "$(tag_pkt 0x8100 5 "$(garp_pkt $MAC2 $HV)")" 10 "$t10"
    dropped "priority-tagged (VLAN 0) GARP from an associated port" \
        vm2 "$(tag_pkt 0x8100 0x2000 "$(garp_pkt $MAC2 $HV)")" 10 "$t10"
    dropped "802.1ad (QinQ) GARP from an associated port" \
        vm2 "$(tag_pkt 0x88a8 7 "$(tag_pkt 0x8100 5 \
               "$(garp_pkt $MAC2 $HV)")")" 10 "$t10"
    dropped "VLAN-tagged ARP request for the HAVIP" \
        vm5 "$(tag_pkt 0x8100 5 "$(arp_pkt $MAC5 $MAC5 1 10.0.1.15 $HV)")" \
        10 "$t10"
    dropped "VLAN-tagged IP from the HAVIP to the internet (SNAT)" \
        vm1 "$(tag_pkt 0x8100 5 "$(ip_pkt $MAC1 $GW1 $HV 198.51.100.7)")" \
        10 "$t10"
    # The uplink is not a trunk either.
    dropped "uplink: VLAN-tagged IP to the EIP" \
        pub "$(tag_pkt 0x8100 7 "$(ip_pkt $PUBMAC $EIPMAC 198.51.100.7 $EIP)")" \
        0 'priority=0 '
    dropped "uplink: VLAN-tagged ARP request for the EIP" \
        pub "$(tag_pkt 0x8100 7 \
               "$(arp_pkt $PUBMAC $PUBMAC 1 198.51.100.1 $EIP)")" \
        0 'priority=0 '
    # Untagged, the same go through.
    expect_trace "in_port=vm1,dl_src=$MAC1,dl_dst=$MAC2,icmp,nw_src=10.0.1.11,nw_dst=10.0.1.12,nw_ttl=64" "@vm2"
    expect_trace "in_port=pub,dl_src=$PUBMAC,dl_dst=ff:ff:ff:ff:ff:ff,arp,arp_op=1,arp_spa=198.51.100.1,arp_tpa=$EIP,arp_sha=$PUBMAC" \
        "set(eth(src=$EIPMAC,dst=$PUBMAC)),set(arp(sip=$EIP,tip=198.51.100.1,op=2,sha=$EIPMAC,tha=$PUBMAC)),@pub"
    expect_holders 0
}

test_hostile_ttl_expiry() {
    hostile_setup
    # TTL 1 or 0 where havip decrements it (the DNAT from the uplink, the
    # gateway of a subnet, for routing and for the SNAT): dec_ttl drops
    # the packet (no ICMP time exceeded is sent), counted by the flow that
    # decrements.  The switch hands it to its slow path to make an
    # "invalid TTL" packet-in (reason 2), which havip does not ask for (it
    # takes action packet-ins only): nothing reaches the controller.
    # expired WHAT PORT PACKET TABLE REGEX: as dropped(), for dec_ttl.
    expired() {
        echo "+ $1" >&2
        ovs-appctl ofproto/trace br-int "in_port=$2" "$3" \
            > "$TESTDIR/trace.out" 2>&1 || fail "$1: ofproto/trace failed"
        acts=$(sed -n 's/^Datapath actions: //p' "$TESTDIR/trace.out")
        case $acts in
            *"controller(reason=2,"*) ;;
            *) fail "$1: datapath actions $acts" ;;
        esac
        e_table=$4 e_re=$5
        e_want=$(($(n_packets "$e_table" "$e_re") + 1))
        tx=$(tx_total)
        check ovs-appctl netdev-dummy/receive "$2" "$3"
        wait_until '[ "$(n_packets "$e_table" "$e_re")" -ge "$e_want" ]'
        expect_eq "$(n_packets "$e_table" "$e_re")" "$e_want" "$1: n_packets"
        expect_eq "$(tx_total)" "$tx" "$1: packets sent"
        measure "$1: dropped by dec_ttl (slow path)," \
            "table $e_table flow /$e_re/ n_packets=$e_want"
    }
    for ttl in 1 0; do
        expired "uplink: IP to the EIP with TTL $ttl" \
            pub "$(ip_pkt $PUBMAC $EIPMAC 198.51.100.7 $EIP $ttl)" \
            5 "ip,nw_dst=$EIP "
        expired "IP routed to another subnet with TTL $ttl" \
            vm1 "$(ip_pkt $MAC1 $GW1 10.0.1.11 10.0.2.13 $ttl)" \
            30 "dl_dst=$GW1 "
        expired "IP from the HAVIP to the internet (SNAT) with TTL $ttl" \
            vm1 "$(ip_pkt $MAC1 $GW1 $HV 198.51.100.7 $ttl)" \
            30 "dl_dst=$GW1 "
    done
    # TTL 2 goes through, with TTL 1.
    expect_trace "$(echo "$INBOUND" | sed 's/nw_ttl=64/nw_ttl=2/')" \
        "set(eth(src=$GW1,dst=$MAC1)),set(ipv4(dst=$HV,ttl=1)),@vm1"
    expect_holders 0
    n=$(($(wait_stable 'coverage ofctrl_packet_in') - PIN0))
    measure "packet-ins received by the controller: $n"
    expect_eq "$n" 0 "packet-ins"
}

test_hostile_bad_opcode_flood() {
    hostile_setup
    # 2,000 well-formed ARPs with opcode 3 for the HAVIP from vm2 (which
    # may claim it): dropped in the claim table, none reaches the
    # controller or the learning meter, which stays free for real claims.
    pkts=$(for i in $(seq 50); do garp_pkt $MAC2 $HV 3; done)
    read -r m_in m_drop <<EOF
$(meter_stats)
EOF
    for i in $(seq 40); do
        ovs-appctl netdev-dummy/receive vm2 $pkts ||
            fail "netdev-dummy/receive failed"
    done
    wait_until '[ "$(n_packets 13 "priority=5,arp ")" = 2000 ]' 30
    read -r m_in2 m_drop2 <<EOF
$(meter_stats)
EOF
    expect_eq "$((m_in2 - m_in))" 0 "packets through the learning meter"
    measure "2,000 ARPs with opcode 3 from vm2: table 13 priority 5" \
        "n_packets=$(n_packets 13 'priority=5,arp '), meter 1 in" \
        "$((m_in2 - m_in)) dropped $((m_drop2 - m_drop))"
    expect_holders 0
    # A real claim still gets through at once.
    check ovs-appctl netdev-dummy/receive vm2 "$(garp_pkt $MAC2 $HV)"
    wait_until '[ "$(havip-nbctl havip-get-holder hv1)" = vm2 ]'
}

# Floods, with real packets in the namespace topology (tests/lib-netns.sh,
# sourced by each test: its names differ from lib-dataplane.sh's).

# cpu_ticks PID: user plus system CPU time of process PID, in clock ticks.
cpu_ticks() {
    awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# flow_packets MATCH: n_packets of the flows of br-int that dump-flows
# selects with MATCH, summed.
flow_packets() {
    ovs-ofctl -O OpenFlow15 dump-flows br-int "$1" |
        sed -n 's/.*n_packets=\([0-9]*\),.*/\1/p' |
        awk '{ n += $1 } END { print n + 0 }'
}

# wait_stable CMD [SECONDS]: waits until CMD prints the same value three
# times in a row, 0.5 s apart (the datapath pushes its counters to the
# flows about once a second, and the controller syncs its coverage
# counters once a second), at most SECONDS (default 30); prints it.
wait_stable() {
    ws_last= ws_same=0 ws_i=0
    while [ $ws_same -lt 3 ]; do
        ws_v=$(eval "$1")
        if [ "$ws_v" = "$ws_last" ]; then
            ws_same=$((ws_same + 1))
        else
            ws_same=1 ws_last=$ws_v
        fi
        ws_i=$((ws_i + 1))
        [ $ws_i -le $((${2:-30} * 2)) ] ||
            fail "not stable after ${2:-30}s: $1 ($ws_v)"
        [ $ws_same -ge 3 ] || sleep 0.5
    done
    echo "$ws_v"
}

# flood NAME IP COUNT [OP]: NAME sends COUNT gratuitous ARPs (opcode OP,
# default 1) for IP from its eth0 as fast as it can (tests/arp-flood.py);
# prints "SENT SECONDS".
flood() {
    fl_mac=$(havip_topo_exec "$1" cat /sys/class/net/eth0/address)
    havip_topo_exec "$1" python3 "$HAVIP_SRCDIR/tests/arp-flood.py" eth0 \
        "$fl_mac" "$2" "$2" "$3" "${4:-1}"
}

# flood_start: notes the counters before a flood.
flood_start() {
    FL_PID=$(cat "$HAVIP_RUNDIR/havip-controller.pid")
    set -- $(meter_stats)
    FL_MIN=$1 FL_MDROP=$2
    FL_PIN=$(coverage ofctrl_packet_in)
    FL_GARP=$(coverage learn_garp)
    FL_REPEAT=$(coverage learn_repeat)
    FL_WRITTEN=$(coverage holder_written)
    FL_OVERFLOW=$(coverage ofctrl_packet_in_overflow)
    FL_CPU=$(cpu_ticks "$FL_PID")
    FL_T0=$EPOCHREALTIME
}

# flood_end WHAT: waits until the switch and the controller are done with
# the flood, prints its figures and sets FL_PASSED (packets the meter let
# through to the controller), FL_BUDGET (what the meter allows in the
# flood's time: its burst plus its rate times the seconds, plus 10%),
# FL_CPU_MS (the controller's CPU time) and FL_WALL_MS.
flood_end() {
    fl_what=$1
    wait_stable 'meter_stats' >/dev/null
    FL_T1=$EPOCHREALTIME
    wait_stable 'coverage ofctrl_packet_in' >/dev/null
    FL_CPU1=$(cpu_ticks "$FL_PID")
    set -- $(meter_stats)
    m_in=$(($1 - FL_MIN)) m_drop=$(($2 - FL_MDROP))
    FL_PASSED=$((m_in - m_drop))
    FL_WALL_MS=$(awk -v a="$FL_T0" -v b="$FL_T1" \
        'BEGIN { printf "%d", (b - a) * 1000 }')
    FL_BUDGET=$(( (1000 + FL_WALL_MS) * 11 / 10 ))
    FL_CPU_MS=$(( (FL_CPU1 - FL_CPU) * 1000 / $(getconf CLK_TCK) ))
    measure "$fl_what: learning meter: $m_in in, $m_drop dropped," \
        "$FL_PASSED to the controller (budget $FL_BUDGET in" \
        "${FL_WALL_MS} ms);" \
        "controller: packet-ins $(($(coverage ofctrl_packet_in) - FL_PIN))" \
        "(queue overflow $(($(coverage ofctrl_packet_in_overflow) - FL_OVERFLOW)))," \
        "learned $(($(coverage learn_garp) - FL_GARP))," \
        "repeats $(($(coverage learn_repeat) - FL_REPEAT)), holder" \
        "written to the database $(($(coverage holder_written) - FL_WRITTEN))" \
        "times, CPU" \
        "${FL_CPU_MS} ms in ${FL_WALL_MS} ms"
}

# expect_consistent: the database's holder is what the flows have, and a
# recompute changes no flow.
expect_consistent() {
    check havip-nbctl $WAIT sync
    ctl flows/dump > before.txt
    check ctl recompute
    check havip-nbctl $WAIT sync
    ctl flows/dump > after.txt
    check diff -u before.txt after.txt
}

test_hostile_flood_claim() {
    . "$HAVIP_SRCDIR/tests/lib-netns.sh"
    netns_setup
    serve vm2 8080
    # vm2, associated with hv1 and not its holder, floods 20,000 GARPs
    # for it: the first one makes it the holder, the rest are its own
    # GARPs as the holder (table 12), plus the few the switch sent to the
    # controller before its flows changed.
    rx=$(flow_packets "table=10,in_port=vm2,arp")
    flood_start
    set -- $(flood vm2 "$HAVIP" 20000)
    measure "vm2 sent $1 GARPs for $HAVIP in $2 s"
    rx=$(($(wait_stable 'flow_packets "table=10,in_port=vm2,arp"') - rx))
    flood_end "20,000 GARPs from vm2 (associated, not the holder)"
    measure "the switch received $rx of them; table 12 (holder's GARPs):" \
        "$(flow_packets "table=12,arp")"
    [ "$FL_PASSED" -le "$FL_BUDGET" ] ||
        fail "$FL_PASSED packets to the controller, over the meter's $FL_BUDGET"
    wait_until '[ "$(havip-nbctl havip-get-holder hv1)" = vm2 ]'
    expect_consistent
    # Traffic follows: the EIP reaches vm2 once it has the address.
    check havip_topo_move_vip vm1 vm2
    expect_ask "vm2 $PUB" pub "$EIP" 8080
}

test_hostile_flood_split_brain() {
    . "$HAVIP_SRCDIR/tests/lib-netns.sh"
    netns_setup
    # Another HAVIP, hv2 in s2, associated with client only and without a
    # holder: client claims it while the flood goes on.
    check havip-nbctl $WAIT havip-add s2 hv2 10.0.2.100 \
        -- havip-associate hv2 client
    # vm1 and vm2 both flood 100,000 GARPs for hv1 at once (a split brain
    # gone wild, or one tenant's two VMs attacking the chassis): each GARP
    # from the one that is not the holder is a claim that moves the
    # holder, so claims reach the switch's learning meter as fast as the
    # holder changes, and it lets 1,000 a second through.
    flood_start
    (flood vm1 "$HAVIP" 100000 > flood-vm1.out) &
    f1=$!
    (flood vm2 "$HAVIP" 100000 > flood-vm2.out) &
    f2=$!
    wait_until '[ "$(meter_stats | cut -d" " -f2)" -gt "$FL_MDROP" ]'
    # client's claims, 3 GARPs each (as keepalived sends them), every
    # second while the flood lasts, until one is learned.
    tries=0
    while [ -z "$(havip-nbctl havip-get-holder hv2)" ] && [ $tries -lt 5 ] &&
          havip_alive $f2; do
        tries=$((tries + 1))
        havip_topo_exec client arping -q -U -S 10.0.2.100 -i eth0 -c 3 \
            -W 0.05 10.0.2.100 || true
        havip_topo_wait 1 test -n "$(havip-nbctl havip-get-holder hv2)" ||
            true
    done
    hv2=$(havip-nbctl havip-get-holder hv2)
    flooding=no
    havip_alive $f2 && flooding=yes
    wait $f1 $f2
    measure "vm1 sent $(cat flood-vm1.out), vm2 sent $(cat flood-vm2.out)" \
        "(GARPs, seconds)"
    measure "hv2 claimed by client during the flood: holder '$hv2' after" \
        "$tries claim(s) of 3 GARPs (flood still on: $flooding)"
    flood_end "split brain, 2 x 100,000 GARPs from vm1 and vm2"
    # The meter's burst (1,000) and rate (1,000 a second) over the time
    # the senders took, plus a second.
    budget=$(cat flood-vm1.out flood-vm2.out | awk '
        $2 > s { s = $2 } END { printf "%d", 1000 + 1000 * (s + 1) }')
    measure "packets through the meter: $FL_PASSED, its budget over the" \
        "flood: $budget"
    [ "$FL_PASSED" -le "$budget" ] ||
        fail "$FL_PASSED packets to the controller, over the meter's $budget"
    [ "$FL_CPU_MS" -le $((FL_WALL_MS / 2)) ] ||
        fail "the controller used $FL_CPU_MS ms of CPU in $FL_WALL_MS ms"
    expect_eq "$hv2" client "hv2's holder after client's claims"

    # Afterwards the state is whole: one of the two holds hv1, in the
    # database as in the flows, and learning still works: the other one's
    # claim moves it at once.
    h=$(havip-nbctl havip-get-holder hv1)
    case $h in vm1) other=vm2 ;; vm2) other=vm1 ;; *) fail "holder '$h'" ;; esac
    expect_consistent
    check havip_topo_garp $other
    wait_until '[ "$(havip-nbctl havip-get-holder hv1)" = $other ]'
    expect_consistent
    check havip_topo_move_vip vm1 $other
    serve $other 8080
    expect_ask "$other $PUB" pub "$EIP" 8080
    measure "after the flood: hv1 held by $h, then by $other on its GARP;" \
        "database and flows agree; pub reaches $other through the EIP"
}

test_hostile_flood_non_associated() {
    . "$HAVIP_SRCDIR/tests/lib-netns.sh"
    netns_setup
    serve vm1 8080
    # client (s2) is associated with nothing: 20,000 GARPs for hv1 are
    # dropped by port security and none reaches the controller.
    drop0=$(n_packets 11 'priority=0 ')
    flood_start
    set -- $(flood client "$HAVIP" 20000)
    measure "client sent $1 GARPs for $HAVIP in $2 s"
    drops=$(($(wait_stable "n_packets 11 'priority=0 '") - drop0))
    flood_end "20,000 GARPs from client (not associated)"
    measure "table 11 priority 0 (source IP not allowed) dropped $drops"
    [ "$drops" -gt 0 ] || fail "no drop counted"
    expect_eq "$FL_PASSED" 0 "packets to the controller"
    expect_eq "$(($(coverage ofctrl_packet_in) - FL_PIN))" 0 "packet-ins"
    check_output vm1 havip-nbctl havip-get-holder hv1
    expect_ask "vm1 $PUB" pub "$EIP" 8080
}

# udp NAME ARGS...: tests/udp-frag.py ARGS in NAME's namespace.
udp() {
    udp_ns=$1
    shift
    havip_topo_exec "$udp_ns" python3 "$HAVIP_SRCDIR/tests/udp-frag.py" "$@"
}

# udp_csum_errors NAME: UDP datagrams NAME's kernel dropped for a bad
# checksum (InCsumErrors).
udp_csum_errors() {
    havip_topo_exec "$1" awk '$1 == "Udp:" {
            if (!n) { for (i = 2; i <= NF; i++) { f[$i] = i }; n = 1 }
            else { print $(f["InCsumErrors"]) }
        }' /proc/net/snmp
}

# udp_through RECEIVER PORT SENDER DST SIZE [nocsum] [BIND]: SENDER sends 5
# datagrams of SIZE bytes to DST:PORT (from BIND), RECEIVER listens on
# PORT; prints "INTACT CORRUPT CSUM_ERRORS": datagrams received intact,
# received corrupted, and dropped by RECEIVER's kernel for their checksum.
udp_through() {
    ut_csum=$(udp_csum_errors "$1")
    (udp "$1" recv "$2" 3 > "$TESTDIR/udp.out") &
    ut_pid=$!
    havip_topo_wait 5 havip_topo_exec "$1" sh -c \
        "ss -Huln 'sport = :$2' | grep -q ." || fail "no UDP listener"
    udp "$3" send "$4" "$2" "$5" 5 "${6:--}" ${7:+"$7"} ||
        fail "udp send failed"
    wait $ut_pid
    echo "$(grep -c ' intact$' "$TESTDIR/udp.out")" \
         "$(grep -c ' CORRUPT$' "$TESTDIR/udp.out")" \
         "$(($(udp_csum_errors "$1") - ut_csum))"
}

# expect_udp WHAT INTACT CORRUPT CSUM: prints the figures; every datagram
# is accounted for (5 in all).
expect_udp() {
    measure "$1: of 5 datagrams, $2 received intact, $3 received" \
        "corrupted, $4 dropped by the receiver for a bad UDP checksum"
    expect_eq "$(($2 + $3 + $4))" 5 "$1: datagrams accounted for"
}

test_hostile_nat_fragments() {
    . "$HAVIP_SRCDIR/tests/lib-netns.sh"
    netns_setup
    for n in pub vm1; do
        measure "$n: eth0 MTU $(havip_topo_exec $n cat /sys/class/net/eth0/mtu)"
    done
    snat() {
        flow_packets "table=31,ip,nw_src=$HAVIP"
    }
    # ICMP echo of 3,000 bytes: 3 fragments each way, each NATed on its
    # own (stateless: the addresses of every fragment are rewritten; ICMP
    # has no pseudo-header checksum), reassembled by the receiver.
    d0=$(dnat_packets) s0=$(snat)
    check havip_topo_exec pub ping -q -c 3 -i 0.2 -W 5 -s 3000 "$EIP"
    wait_until '[ "$(dnat_packets)" -ge $((d0 + 9)) ] &&
                [ "$(snat)" -ge $((s0 + 9)) ]'
    measure "ping -s 3000 pub -> EIP: 3 of 3 answered; fragments through" \
        "the DNAT flow $(($(dnat_packets) - d0)), the SNAT flow" \
        "$(($(snat) - s0))"
    d0=$(dnat_packets) s0=$(snat)
    check havip_topo_exec vm1 ping -q -c 3 -i 0.2 -W 5 -s 3000 -I "$HAVIP" \
        "$PUB"
    wait_until '[ "$(dnat_packets)" -ge $((d0 + 9)) ] &&
                [ "$(snat)" -ge $((s0 + 9)) ]'
    measure "ping -s 3000 -I HAVIP vm1 -> pub: 3 of 3 answered; fragments" \
        "through the SNAT flow $(($(snat) - s0)), the DNAT flow" \
        "$(($(dnat_packets) - d0))"

    # IP options (record route, IHL 15): the NAT and TTL rewrites work
    # whatever the header length.
    havip_topo_exec pub ping -c 2 -i 0.2 -W 5 -R "$EIP" > rr.out 2>&1 ||
        fail "ping -R to the EIP: $(cat rr.out)"
    grep -q '^RR:' rr.out || fail "no recorded route: $(cat rr.out)"
    measure "ping -R pub -> EIP: 2 of 2 answered, route recorded:" \
        "$(sed -n '/^RR:/,/^$/p' rr.out | head -8 | tr -s ' \t\n' ' ')"
    havip_topo_exec vm1 ping -c 2 -i 0.2 -W 5 -R -I "$HAVIP" "$PUB" \
        > rr.out 2>&1 || fail "ping -R from the HAVIP: $(cat rr.out)"
    grep -q '^RR:' rr.out || fail "no recorded route: $(cat rr.out)"
    measure "ping -R -I HAVIP vm1 -> pub: 2 of 2 answered"

    # UDP: unfragmented datagrams go through intact.
    set -- $(udp_through vm1 9000 pub "$EIP" 1000)
    expect_udp "UDP 1,000 bytes pub -> EIP (DNAT)" "$@"
    expect_eq "$1" 5 "intact 1,000-byte datagrams through the DNAT"
    set -- $(udp_through pub 9001 vm1 "$PUB" 1000 - "$HAVIP")
    expect_udp "UDP 1,000 bytes HAVIP -> pub (SNAT)" "$@"
    expect_eq "$1" 5 "intact 1,000-byte datagrams through the SNAT"
    # Fragmented UDP: on Open vSwitch 3.1's userspace datapath the
    # address rewrite also "fixes" a UDP checksum at the UDP header's
    # offset in the fragments that have no UDP header (lib/packets.c,
    # packet_set_ipv4_addr()), changing 2 bytes of their payload; the
    # kernel datapath leaves them alone.  The receiver then drops the
    # datagram for its checksum, or, without a checksum, gets it
    # corrupted.  Each datagram is accounted for either way.
    set -- $(udp_through vm1 9002 pub "$EIP" 3000)
    expect_udp "UDP 3,000 bytes pub -> EIP (DNAT, 3 fragments)" "$@"
    expect_eq "$2" 0 "corrupted datagrams delivered despite a checksum"
    set -- $(udp_through pub 9003 vm1 "$PUB" 3000 - "$HAVIP")
    expect_udp "UDP 3,000 bytes HAVIP -> pub (SNAT, 3 fragments)" "$@"
    expect_eq "$2" 0 "corrupted datagrams delivered despite a checksum"
    set -- $(udp_through vm1 9004 pub "$EIP" 3000 nocsum)
    expect_udp "UDP 3,000 bytes, no checksum, pub -> EIP (DNAT)" "$@"
    set -- $(udp_through pub 9005 vm1 "$PUB" 3000 nocsum "$HAVIP")
    expect_udp "UDP 3,000 bytes, no checksum, HAVIP -> pub (SNAT)" "$@"
}

test_hostile_ttl_flood() {
    . "$HAVIP_SRCDIR/tests/lib-netns.sh"
    netns_setup
    # 50,000 datagrams from pub to the EIP with TTL 64, then 50,000 with
    # TTL 1, which the DNAT's dec_ttl drops: what each costs the switch
    # (the expired ones take its slow path), and that none reaches the
    # holder or the controller.
    vs=$(cat "$HAVIP_RUNDIR/ovs-vswitchd.pid")
    for ttl in 64 1; do
        d0=$(dnat_packets) rx0=$(ip_in_receives vm1)
        flood_start
        c0=$(cpu_ticks "$vs")
        check udp pub send "$EIP" 9999 18 50000 - - $ttl
        n=$(($(wait_stable dnat_packets) - d0))
        cpu=$(( ($(cpu_ticks "$vs") - c0) * 1000 / $(getconf CLK_TCK) ))
        rx=$(($(ip_in_receives vm1) - rx0))
        flood_end "50,000 UDP datagrams with TTL $ttl to the EIP"
        measure "TTL $ttl: the DNAT flow counted $n, vm1 received $rx IPv4" \
            "datagrams, ovs-vswitchd used $cpu ms of CPU" \
            "($((cpu * 1000 / (n > 0 ? n : 1))) us a packet counted)"
        expect_eq "$FL_PASSED" 0 "packets to the controller"
        if [ $ttl = 1 ]; then
            expect_eq "$rx" 0 "datagrams with TTL 1 received by vm1"
            [ "$n" -gt 0 ] || fail "no datagram with TTL 1 counted"
        fi
    done
    expect_eq "$(($(coverage ofctrl_packet_in) - FL_PIN))" 0 "packet-ins"
}
