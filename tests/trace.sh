# -*- sh -*-
# tests/trace.sh: havip-trace explains, in havip's terms, each path of
# docs/flow-tables.md on the dummy datapath: what matched, what the
# pipeline did, where the packet went or why it was dropped (issue 9).
# The topology is tests/lib-dataplane.sh's: vm1 (port 1), vm2 (2) in s1,
# vm3 (3) in s2 of vpc1, vm4 (4) in vpc2, the uplink pub (9); hv1
# 10.0.1.100 associated with vm1 and vm2, held by vm1, bound to EIP e1.

. "$HAVIP_SRCDIR/tests/lib-dataplane.sh"

# explain ARGS...: havip-trace's output, the subnets' random gateway MACs
# replaced by GW1, GW2 and GWT.
explain() {
    havip-trace "$@" > "$TESTDIR/explain.out" 2> "$TESTDIR/explain.err" ||
        { cat "$TESTDIR/explain.err"; return 1; }
    sed "s/$GW1/GW1/g;s/$GW2/GW2/g;s/${GWT:-no-such-mac}/GWT/g" \
        "$TESTDIR/explain.out"
}

# expect_explain INPORT FLOW WANT: havip-trace INPORT FLOW exits 0 and
# prints exactly WANT (after explain's filtering).
expect_explain() {
    echo "+ havip-trace $1 '$2'" >&2
    got=$(explain "$1" "$2") || fail "havip-trace $1 '$2' failed: $got"
    [ "$got" = "$3" ] || fail "havip-trace $1 '$2'
--- got:
$got
--- wanted:
$3"
}

# expect_verdict INPORT FLOW WANT: the last line (--summary) is WANT.
expect_verdict() {
    echo "+ havip-trace --summary $1 '$2'" >&2
    got=$(explain --summary "$1" "$2") ||
        fail "havip-trace --summary $1 '$2' failed: $got"
    [ "$got" = "$3" ] || fail "havip-trace --summary $1 '$2'
  got:    $got
  wanted: $3"
}

VM1_DEFAULTS="dl_src=0a:00:00:00:01:0b,nw_src=10.0.1.11"
# trace_ingress PORT SUBNET VPC MAC IP: what havip-trace says first of a packet
# that PORT (in SUBNET of VPC) sends from its own MAC and IP: the ingress
# port and port security's two checks.
trace_ingress() {
    echo "ingress $1 (subnet $2, $3)
port security: source MAC $4 is $1's own
port security: source $5 is $1's own"
}
VM1_INGRESS=$(trace_ingress vm1 s1 vpc1 0a:00:00:00:01:0b 10.0.1.11)
VM2_INGRESS=$(trace_ingress vm2 s1 vpc1 0a:00:00:00:01:0c 10.0.1.12)
VM3_INGRESS=$(trace_ingress vm3 s2 vpc1 0a:00:00:00:02:0d 10.0.2.13)
VM4_INGRESS=$(trace_ingress vm4 t1 vpc2 0a:00:00:00:09:0e 10.0.1.14)
# A TCP packet from the internet to EIP e1, and what havip-trace says of
# it while vm1 holds hv1.
E1_FLOW="tcp,nw_src=198.51.100.7,nw_dst=203.0.113.10"
E1_TO_VM1="defaults: dl_dst=02:e1:cb:00:71:0a,nw_ttl=64
ingress from the uplink pub
EIP e1 203.0.113.10 bound to HAVIP hv1: DNAT to 10.0.1.100, TTL 64 -> 63
to HAVIP hv1 10.0.1.100 -> holder vm1: dl_dst 0a:00:00:00:01:0b
output to vm1 (port 1)"

# raw_set_ref TABLE ROW COLUMN REFTABLE REF: a raw write, past havip-nbctl's
# checks, of COLUMN of row ROW of TABLE to row REF of REFTABLE; then waits
# until the controller has it.
raw_set_ref() {
    check nb_transact "{\"op\":\"update\",\"table\":\"$1\",\"where\":[[\"name\",\"==\",\"$2\"]],\"row\":{\"$3\":[\"uuid\",\"$(havip-nbctl get "$4" "$5" _uuid)\"]}}"
    check havip-nbctl $WAIT sync
}

test_trace_l2_same_subnet() {
    dp_setup
    expect_explain vm1 "icmp,nw_dst=10.0.1.12" \
"defaults: $VM1_DEFAULTS,dl_dst=0a:00:00:00:01:0c,nw_ttl=64
$VM1_INGRESS
to port vm2 10.0.1.12: dl_dst 0a:00:00:00:01:0c
output to vm2 (port 2)"
    # Unicast that is not IPv4 (an ARP reply) goes by destination MAC;
    # to an unknown MAC it is dropped.
    expect_explain vm1 "arp,arp_op=2,dl_dst=0a:00:00:00:01:0c,arp_tpa=10.0.1.12" \
"defaults: dl_src=0a:00:00:00:01:0b,arp_spa=10.0.1.11,arp_sha=0a:00:00:00:01:0b
$VM1_INGRESS
unicast to vm2's MAC 0a:00:00:00:01:0c
output to vm2 (port 2)"
    expect_verdict vm1 "arp,arp_op=2,dl_dst=0a:00:00:00:01:77,arp_tpa=10.0.1.12" \
        "dropped: unknown destination MAC 0a:00:00:00:01:77 in subnet s1"
    # The same through a Port's UUID.
    expect_verdict "$(havip-nbctl get Port vm1 _uuid)" \
        "icmp,nw_dst=10.0.1.12" "output to vm2 (port 2)"
}

test_trace_routed_ttl() {
    dp_setup
    expect_explain vm1 "icmp,nw_dst=10.0.2.13" \
"defaults: $VM1_DEFAULTS,dl_dst=GW1,nw_ttl=64
$VM1_INGRESS
to the gateway of s1: routed, TTL 64 -> 63
route to subnet s2 10.0.2.0/24
to port vm3 10.0.2.13: dl_dst 0a:00:00:00:02:0d
output to vm3 (port 3)"
    # TTL expiry at the gateway.
    expect_explain vm1 "icmp,nw_dst=10.0.2.13,nw_ttl=1" \
"defaults: $VM1_DEFAULTS,dl_dst=GW1
$VM1_INGRESS
to the gateway of s1: routed, TTL 1 -> 0
dropped: TTL expired (nw_ttl 1) at the gateway of s1"
    # Nothing has the address.
    expect_verdict vm1 "icmp,nw_dst=10.0.1.77" \
        "dropped: unknown destination 10.0.1.77: no port or HAVIP has it in vpc1"
}

test_trace_vpc_isolation() {
    dp_setup
    GWT=$(havip-nbctl get Subnet t1 gateway_mac | tr -d '"')
    # vm4 in vpc2 has the same addresses as s1: vm1's MAC and IP are not
    # reachable, nor is s2 through vm4's gateway.
    expect_explain vm4 "icmp,dl_dst=0a:00:00:00:01:0b,nw_dst=10.0.1.11" \
"defaults: dl_src=0a:00:00:00:09:0e,nw_src=10.0.1.14,nw_ttl=64
$VM4_INGRESS
dropped: unknown destination 10.0.1.11: no port or HAVIP has it in vpc2 (port vm1 of vpc1 has it: VPC isolation)"
    expect_explain vm4 "icmp,nw_dst=10.0.2.13" \
"defaults: dl_src=0a:00:00:00:09:0e,nw_src=10.0.1.14,dl_dst=GWT,nw_ttl=64
$VM4_INGRESS
to the gateway of t1: routed, TTL 64 -> 63
dropped: no route to 10.0.2.13: in no subnet of vpc2 (port vm3 of vpc1 has it: VPC isolation), and source 10.0.1.14 has no EIP (a port's own IP never leaves without one)"
}

test_trace_port_security() {
    dp_setup
    expect_explain vm1 "icmp,dl_src=0a:00:00:00:01:99,nw_dst=10.0.1.12" \
"defaults: nw_src=10.0.1.11,dl_dst=0a:00:00:00:01:0c,nw_ttl=64
ingress vm1 (subnet s1, vpc1)
dropped: port security: source MAC 0a:00:00:00:01:99 is not vm1's (0a:00:00:00:01:0b)"
    expect_explain vm1 "icmp,nw_src=10.0.1.12,nw_dst=10.0.1.12" \
"defaults: dl_src=0a:00:00:00:01:0b,dl_dst=0a:00:00:00:01:0c,nw_ttl=64
ingress vm1 (subnet s1, vpc1)
port security: source MAC 0a:00:00:00:01:0b is vm1's own
dropped: port security: source 10.0.1.12 is neither vm1's (10.0.1.11) nor an associated HAVIP's"
    expect_verdict vm1 "arp,arp_sha=0a:00:00:00:01:99,arp_tpa=10.0.1.12" \
        "dropped: port security: ARP sender MAC 0a:00:00:00:01:99 is not vm1's (0a:00:00:00:01:0b)"
    expect_verdict vm1 "ipv6" \
        "dropped: port security: ethertype 0x86dd from vm1: only IPv4 and ARP are allowed"
    # VLAN-tagged (and priority-tagged) frames from a VM port.
    expect_explain vm1 "icmp,dl_vlan=5,nw_dst=10.0.1.12" \
"defaults: $VM1_DEFAULTS,dl_dst=0a:00:00:00:01:0c,nw_ttl=64
ingress vm1 (subnet s1, vpc1)
dropped: VLAN-tagged frame (VLAN 5) from vm1: VM ports are not trunks"
    expect_verdict vm1 "icmp,dl_vlan=0,nw_dst=10.0.1.12" \
        "dropped: VLAN-tagged frame (VLAN 0) from vm1: VM ports are not trunks"
}

test_trace_havip_source() {
    dp_setup
    # The holder and the other associated port may send from the HAVIP
    # IP; vm3 may not.
    expect_explain vm1 "icmp,nw_src=10.0.1.100,nw_dst=10.0.1.12" \
"defaults: dl_src=0a:00:00:00:01:0b,dl_dst=0a:00:00:00:01:0c,nw_ttl=64
ingress vm1 (subnet s1, vpc1)
port security: source MAC 0a:00:00:00:01:0b is vm1's own
port security: source 10.0.1.100 is HAVIP hv1's, vm1 is its holder
to port vm2 10.0.1.12: dl_dst 0a:00:00:00:01:0c
output to vm2 (port 2)"
    expect_explain vm2 "icmp,nw_src=10.0.1.100,nw_dst=10.0.1.11" \
"defaults: dl_src=0a:00:00:00:01:0c,dl_dst=0a:00:00:00:01:0b,nw_ttl=64
ingress vm2 (subnet s1, vpc1)
port security: source MAC 0a:00:00:00:01:0c is vm2's own
port security: source 10.0.1.100 is HAVIP hv1's, vm2 is associated (not the holder)
to port vm1 10.0.1.11: dl_dst 0a:00:00:00:01:0b
output to vm1 (port 1)"
    expect_verdict vm3 "icmp,nw_src=10.0.1.100,nw_dst=10.0.1.11" \
        "dropped: port security: source 10.0.1.100 is HAVIP hv1's and vm3 is not associated with it"
}

test_trace_havip_to_holder() {
    dp_setup
    expect_explain vm3 "icmp,nw_dst=10.0.1.100" \
"defaults: dl_src=0a:00:00:00:02:0d,nw_src=10.0.2.13,dl_dst=GW2,nw_ttl=64
$VM3_INGRESS
to the gateway of s2: routed, TTL 64 -> 63
route to subnet s1 10.0.1.0/24
to HAVIP hv1 10.0.1.100 -> holder vm1: dl_dst 0a:00:00:00:01:0b
output to vm1 (port 1)"
    # After a failover, even with the old holder's MAC (a stale ARP
    # entry) it reaches the new holder.
    check havip-nbctl $WAIT havip-set-holder hv1 vm2
    expect_explain vm1 "icmp,dl_dst=0a:00:00:00:01:0b,nw_dst=10.0.1.100" \
"defaults: $VM1_DEFAULTS,nw_ttl=64
$VM1_INGRESS
to HAVIP hv1 10.0.1.100 -> holder vm2: dl_dst 0a:00:00:00:01:0c
output to vm2 (port 2)"
    # No holder.
    check havip-nbctl $WAIT havip-clear-holder hv1
    expect_explain vm3 "icmp,nw_dst=10.0.1.100" \
"defaults: dl_src=0a:00:00:00:02:0d,nw_src=10.0.2.13,dl_dst=GW2,nw_ttl=64
$VM3_INGRESS
to the gateway of s2: routed, TTL 64 -> 63
route to subnet s1 10.0.1.0/24
dropped: no holder for HAVIP hv1 10.0.1.100"
    # A holder that is bound nowhere, and one that breaks rule 6 (a raw
    # write: vm3 is not associated).
    check havip-nbctl port-add s1 vm5 0a:00:00:00:01:05 10.0.1.15 \
        -- havip-associate hv1 vm5
    check havip-nbctl $WAIT havip-set-holder hv1 vm5
    expect_verdict vm3 "icmp,nw_dst=10.0.1.100" \
        "dropped: HAVIP hv1 10.0.1.100: its holder vm5 is bound on no chassis"
    raw_set_ref HAVIP hv1 holder Port vm3
    expect_verdict vm1 "icmp,nw_dst=10.0.1.100" \
        "dropped: HAVIP hv1 10.0.1.100: its holder vm3 is refused by rule 6 (holder): holder vm3 of HAVIP hv1 is not one of its associated ports"
}

test_trace_arp_responder() {
    dp_setup
    expect_explain vm2 "arp,arp_tpa=10.0.1.100" \
"defaults: dl_src=0a:00:00:00:01:0c,arp_spa=10.0.1.12,arp_sha=0a:00:00:00:01:0c,dl_dst=ff:ff:ff:ff:ff:ff,arp_op=1
$VM2_INGRESS
ARP responder: 10.0.1.100 is at 0a:00:00:00:01:0b (HAVIP hv1, holder vm1)
reply out of vm2 (port 2)"
    expect_explain vm2 "arp,arp_tpa=10.0.1.11" \
"defaults: dl_src=0a:00:00:00:01:0c,arp_spa=10.0.1.12,arp_sha=0a:00:00:00:01:0c,dl_dst=ff:ff:ff:ff:ff:ff,arp_op=1
$VM2_INGRESS
ARP responder: 10.0.1.11 is at 0a:00:00:00:01:0b (port vm1)
reply out of vm2 (port 2)"
    expect_explain vm2 "arp,arp_tpa=10.0.1.1" \
"defaults: dl_src=0a:00:00:00:01:0c,arp_spa=10.0.1.12,arp_sha=0a:00:00:00:01:0c,dl_dst=ff:ff:ff:ff:ff:ff,arp_op=1
$VM2_INGRESS
ARP responder: 10.0.1.1 is at GW1 (gateway of s1)
reply out of vm2 (port 2)"
    # An address nobody answers for is flooded in the subnet.
    expect_verdict vm2 "arp,arp_tpa=10.0.1.77" "output to vm1 (port 1)"
}

test_trace_garp() {
    dp_setup
    garp="arp,arp_spa=10.0.1.100,arp_tpa=10.0.1.100"
    # The holder's GARP: flooded, never answered.
    expect_explain vm1 "$garp" \
"defaults: dl_src=0a:00:00:00:01:0b,arp_sha=0a:00:00:00:01:0b,dl_dst=ff:ff:ff:ff:ff:ff,arp_op=1
ingress vm1 (subnet s1, vpc1)
port security: source MAC 0a:00:00:00:01:0b is vm1's own
port security: source 10.0.1.100 is HAVIP hv1's, vm1 is its holder
GARP from holder vm1 for HAVIP hv1: flooded, never answered
broadcast ff:ff:ff:ff:ff:ff in subnet s1: to its other ports
output to vm2 (port 2)"
    # An associated port's GARP (reply too) is a claim: learned.
    expect_explain vm2 "$garp,arp_op=2" \
"defaults: dl_src=0a:00:00:00:01:0c,arp_sha=0a:00:00:00:01:0c,dl_dst=ff:ff:ff:ff:ff:ff
ingress vm2 (subnet s1, vpc1)
port security: source MAC 0a:00:00:00:01:0c is vm2's own
port security: source 10.0.1.100 is HAVIP hv1's, vm2 is associated (not the holder)
claim: vm2 (associated, not the holder) announces HAVIP hv1: to havip-controller, which makes vm2 the holder, and flooded, never answered
broadcast ff:ff:ff:ff:ff:ff in subnet s1: to its other ports
output to vm1 (port 1)"
    # Another opcode claims nothing.
    expect_verdict vm2 "$garp,arp_op=3" \
        "dropped: ARP opcode 3 from vm2 for HAVIP hv1 claims nothing (only requests and replies do)"
    # From a port that is not associated: dropped.
    expect_explain vm3 "$garp" \
"defaults: dl_src=0a:00:00:00:02:0d,arp_sha=0a:00:00:00:02:0d,dl_dst=ff:ff:ff:ff:ff:ff,arp_op=1
ingress vm3 (subnet s2, vpc1)
port security: source MAC 0a:00:00:00:02:0d is vm3's own
dropped: GARP for HAVIP hv1 10.0.1.100 from vm3, which is not associated with it"
    # A trace changes nothing: the holder is still vm1.
    check_output vm1 havip-nbctl havip-get-holder hv1
    # Without learning, a claim is only flooded.
    check havip-nbctl $WAIT set HAVIP hv1 options:learn=false
    expect_explain vm2 "$garp" \
"defaults: dl_src=0a:00:00:00:01:0c,arp_sha=0a:00:00:00:01:0c,dl_dst=ff:ff:ff:ff:ff:ff,arp_op=1
ingress vm2 (subnet s1, vpc1)
port security: source MAC 0a:00:00:00:01:0c is vm2's own
port security: source 10.0.1.100 is HAVIP hv1's, vm2 is associated (not the holder)
claim: vm2 announces HAVIP hv1, which does not learn (options:learn=false): flooded only, the holder stays
broadcast ff:ff:ff:ff:ff:ff in subnet s1: to its other ports
output to vm1 (port 1)"
}

test_trace_multicast_vrrp() {
    dp_setup
    expect_explain vm1 "ip,nw_proto=112,nw_dst=224.0.0.18,nw_ttl=255" \
"defaults: $VM1_DEFAULTS,dl_dst=01:00:5e:00:00:12
$VM1_INGRESS
multicast 01:00:5e:00:00:12 in subnet s1: to its other ports
output to vm2 (port 2)"
}

test_trace_uplink_arp_eip() {
    dp_setup
    expect_explain uplink "arp,dl_src=0a:ff:00:00:00:01,arp_sha=0a:ff:00:00:00:01,arp_spa=198.51.100.1,arp_tpa=203.0.113.10" \
"defaults: dl_dst=ff:ff:ff:ff:ff:ff,arp_op=1
ingress from the uplink pub
ARP for EIP e1 203.0.113.10: answered from 02:e1:cb:00:71:0a (the EIP's own MAC, unchanged on failover)
reply out of the uplink pub (port 9)"
    expect_verdict uplink "arp,arp_spa=198.51.100.1,arp_tpa=10.0.1.100" \
        "dropped: ARP for HAVIP hv1's private IP 10.0.1.100: never reachable from the uplink"
}

test_trace_uplink_dnat() {
    dp_setup
    expect_explain uplink "$E1_FLOW" "$E1_TO_VM1"
    check havip-nbctl $WAIT havip-set-holder hv1 vm2
    expect_verdict uplink "$E1_FLOW" "output to vm2 (port 2)"
    check havip-nbctl $WAIT havip-clear-holder hv1
    expect_verdict uplink "$E1_FLOW" "dropped: no holder for HAVIP hv1 10.0.1.100"
    # The HAVIP's private IP is never reachable from the uplink; a source
    # inside the VPC is spoofed; TTL expiry; VLAN tags.
    expect_explain uplink "tcp,nw_src=198.51.100.7,nw_dst=10.0.1.100" \
"defaults: nw_ttl=64
ingress from the uplink pub
dropped: IPv4 to HAVIP hv1's private IP 10.0.1.100: never reachable from the uplink"
    expect_explain uplink "tcp,nw_src=10.0.2.5,nw_dst=203.0.113.10" \
"defaults: dl_dst=02:e1:cb:00:71:0a,nw_ttl=64
ingress from the uplink pub
EIP e1 203.0.113.10 bound to HAVIP hv1: DNAT to 10.0.1.100, TTL 64 -> 63
dropped: source 10.0.2.5 from the uplink is inside vpc1 (subnet s2 10.0.2.0/24): spoofed"
    expect_verdict uplink "$E1_FLOW,nw_ttl=1" \
        "dropped: TTL expired (nw_ttl 1) entering the VPC"
    expect_verdict uplink "$E1_FLOW,dl_vlan=7" \
        "dropped: VLAN-tagged frame (VLAN 7) from the uplink: the uplink is not a trunk"
    expect_verdict uplink "tcp,nw_src=198.51.100.7,nw_dst=203.0.113.99" \
        "dropped: IPv4 to 203.0.113.99 from the uplink: not an EIP"
}

test_trace_outbound_snat() {
    dp_setup
    expect_explain vm1 "tcp,nw_src=10.0.1.100,nw_dst=198.51.100.7" \
"defaults: dl_src=0a:00:00:00:01:0b,dl_dst=GW1,nw_ttl=64
ingress vm1 (subnet s1, vpc1)
port security: source MAC 0a:00:00:00:01:0b is vm1's own
port security: source 10.0.1.100 is HAVIP hv1's, vm1 is its holder
to the gateway of s1: routed, TTL 64 -> 63
SNAT 10.0.1.100 -> EIP e1 203.0.113.10 (HAVIP hv1), next hop 0a:ff:00:00:00:01
SNATed: to the uplink of this chassis, the active gateway
output to the uplink pub (port 9)"
    expect_verdict vm1 "tcp,nw_dst=198.51.100.7" \
        "dropped: no route to 198.51.100.7: in no subnet of vpc1, and source 10.0.1.11 has no EIP (a port's own IP never leaves without one)"
}

test_trace_eip_pinned_port() {
    dp_setup
    check havip-nbctl $WAIT eip-add r1 e2 203.0.113.20 -- eip-bind-port e2 vm3
    expect_explain uplink "udp,nw_src=198.51.100.7,nw_dst=203.0.113.20" \
"defaults: dl_dst=02:e1:cb:00:71:14,nw_ttl=64
ingress from the uplink pub
EIP e2 203.0.113.20 bound to port vm3: DNAT to 10.0.2.13, TTL 64 -> 63
to port vm3 10.0.2.13: dl_dst 0a:00:00:00:02:0d
output to vm3 (port 3)"
    expect_explain vm3 "udp,nw_dst=198.51.100.7" \
"defaults: dl_src=0a:00:00:00:02:0d,nw_src=10.0.2.13,dl_dst=GW2,nw_ttl=64
$VM3_INGRESS
to the gateway of s2: routed, TTL 64 -> 63
SNAT 10.0.2.13 -> EIP e2 203.0.113.20 (pinned to port vm3), next hop 0a:ff:00:00:00:01
SNATed: to the uplink of this chassis, the active gateway
output to the uplink pub (port 9)"
}

test_trace_refused_binding() {
    dp_setup
    # A raw write that binds e1 (hv1's) to vm3 too breaks rule 3: only the
    # newcomer, vm3's pinning, is refused (docs/reliability-faults.md):
    # the EIP still reaches hv1's holder, and vm3's traffic to the
    # internet is dropped with the rule and the rows named.
    raw_set_ref Port vm3 eip EIP e1
    expect_explain uplink "$E1_FLOW" "$E1_TO_VM1"
    expect_verdict vm3 "tcp,nw_dst=198.51.100.7" \
        "dropped: no route to 198.51.100.7: in no subnet of vpc1, and the binding of EIP e1 to port vm3 is refused by rule 3 (one binding per EIP): EIP e1 is bound to both port vm3 and HAVIP hv1"
    # Once hv1's binding goes, vm3's pinning is no longer refused.
    check havip-nbctl $WAIT eip-unbind e1
    raw_set_ref Port vm3 eip EIP e1
    expect_verdict vm3 "tcp,nw_dst=198.51.100.7" "output to the uplink pub (port 9)"
}

test_trace_detailed_summary() {
    dp_setup
    check havip-trace --detailed vm1 "icmp,nw_dst=10.0.1.12"
    out=$(sed "s/0x4856[0-9a-f]*/COOKIE/;s/0x[0-9a-f]*->/KEY->/" \
              "$TESTDIR/check.out")
    expect_eq "$(echo "$out" | sed -n 2,8p)" \
"ingress vm1 (subnet s1, vpc1)
    table 0 (classify), priority 100, Port vm1:
    |  0. in_port=1, priority 100, cookie COOKIE
    |     set_field:KEY->metadata
    |     set_field:KEY->reg6
    |     goto_table:10
port security: source MAC 0a:00:00:00:01:0b is vm1's own" "--detailed"
    expect_eq "$(echo "$out" | tail -2)" "output to vm2 (port 2)
datapath actions: $(dp_port vm2)" "--detailed's end"
    check_output "output to vm2 (port 2)" \
        havip-trace --summary vm1 "icmp,nw_dst=10.0.1.12"
}

test_trace_bad_input() {
    dp_setup
    check_fails 1 'havip-trace: vm9: no such port (a Port, "uplink" or "tunnel:CHASSIS")' \
        havip-trace vm9 ip
    check_fails 1 'havip-trace: bad flow syntax: ip,nw_dst=foo: bad value for nw_dst (foo: invalid IP address)' \
        havip-trace vm1 ip,nw_dst=foo
    check_fails 1 'havip-trace: in_port=3,ip: give the input port as INPORT, not in the flow' \
        havip-trace vm1 in_port=3,ip
    check_fails 1 'havip-trace: bridge br-int has no tunnel to chassis hv9' \
        havip-trace tunnel:hv9 ip
    check_fails 1 'havip-trace: need two arguments, INPORT and FLOW (use --help for help)' \
        havip-trace vm1
    check_fails 1 'havip-trace: no-such-bridge: no such bridge' \
        havip-trace --bridge=no-such-bridge vm1 ip
    check_fails 1 "havip-trace: unix:$TESTDIR/nothing.sock: database connection failed (No such file or directory)" \
        havip-trace --db="unix:$TESTDIR/nothing.sock" vm1 ip
    # A port that is in the database but not on this bridge.
    check havip-nbctl port-add s1 vm5 0a:00:00:00:01:05 10.0.1.15
    check_fails 1 'havip-trace: port vm5 is not on bridge br-int (no interface with external_ids:iface-id=vm5)' \
        havip-trace vm5 ip
    check havip-trace --help
    grep -q "^usage: havip-trace \[OPTIONS\] INPORT FLOW" "$TESTDIR/check.out" ||
        fail "--help has no usage line"
    check havip-trace --version
    grep -q "^DB Schema " "$TESTDIR/check.out" || fail "--version"
}

test_trace_tables_match_docs() {
    # The table names havip-trace uses are those of docs/flow-tables.md.
    check havip-trace --tables
    got=$(sed 's/: .*//' "$TESTDIR/check.out")
    want=$(sed -n 's/^| \([0-9][0-9]*\) | \([^|]*[^ |]\) |.*/\1 \2/p' \
               "$HAVIP_SRCDIR/docs/flow-tables.md")
    expect_eq "$got" "$want" "tables"
}

test_trace_tunnels() {
    . "$HAVIP_SRCDIR/tests/chassis.sh"
    mc_setup
    vm1_key=$(on hv1 ovs-vsctl get Interface vm1 ofport)
    vm2_key=$(on hv2 ovs-vsctl get Interface vm2 ofport)
    t12=$(tunnel_ofport hv1 hv2)
    t21=$(tunnel_ofport hv2 hv1)
    t31=$(tunnel_ofport hv3 hv1)
    pub=$(on hv3 ovs-vsctl get Interface pub ofport)
    GW1=$(havip-nbctl get Subnet s1 gateway_mac | tr -d '"')
    GW2=none
    # hv1: to vm2 on hv2, through the tunnel with vm2's key.
    check on hv1 havip-trace vm1 "icmp,nw_dst=10.0.1.12"
    expect_eq "$(tail -2 "$TESTDIR/check.out")" \
"to port vm2 10.0.1.12: dl_dst 0a:00:00:00:01:0c
output to the tunnel to chassis hv2 (port $t12, key $(printf %#x $vm2_key))" \
        "hv1 to vm2"
    # hv2: what comes from hv1 with vm2's key goes to vm2 (table 1); an
    # unknown key is dropped.
    check on hv2 havip-trace tunnel:hv1 \
        "tun_id=$vm2_key,dl_dst=0a:00:00:00:01:0c,icmp,nw_dst=10.0.1.12"
    expect_eq "$(cat "$TESTDIR/check.out")" \
"defaults: nw_ttl=64
ingress from the tunnel to chassis hv1
tunnel key $(printf %#x $vm2_key): delivered to vm2
output to vm2 (port $vm2_key)" "hv2 from the tunnel"
    check on hv2 havip-trace --summary tunnel:hv1 "tun_id=0x777,icmp"
    expect_eq "$(cat "$TESTDIR/check.out")" \
        "dropped: tunnel key 0x777 is no port of this chassis" "unknown key"
    # The gateway: DNAT, then to the holder's chassis.
    check on hv3 havip-trace uplink "tcp,nw_src=198.51.100.7,nw_dst=203.0.113.10"
    expect_eq "$(tail -3 "$TESTDIR/check.out")" \
"EIP e1 203.0.113.10 bound to HAVIP h1: DNAT to 10.0.1.100, TTL 64 -> 63
to HAVIP h1 10.0.1.100 -> holder vm1: dl_dst 0a:00:00:00:01:0b
output to the tunnel to chassis hv1 (port $t31, key $(printf %#x $vm1_key))" \
        "hv3 inbound"
    # SNATed on the holder's chassis, sent to the gateway (table 40): BFD
    # does not come up between dummy datapaths, so hv1 sees no live
    # gateway and drops it (tests/chassis.sh); the gateway sends what the
    # tunnel brings with key 0xffffff out of its uplink.
    check on hv1 havip-trace vm1 "tcp,nw_src=10.0.1.100,nw_dst=198.51.100.7"
    expect_eq "$(sed "s/$GW1/GW1/" "$TESTDIR/check.out" | sed 1d)" \
"ingress vm1 (subnet s1, vpc1)
port security: source MAC 0a:00:00:00:01:0b is vm1's own
port security: source 10.0.1.100 is HAVIP h1's, vm1 is its holder
to the gateway of s1: routed, TTL 64 -> 63
SNAT 10.0.1.100 -> EIP e1 203.0.113.10 (HAVIP h1), next hop 0a:ff:00:00:00:01
dropped: SNATed traffic and no live gateway chassis" "hv1 outbound"
    check on hv3 havip-trace tunnel:hv1 \
        "tun_id=0xffffff,tcp,nw_src=203.0.113.10,nw_dst=198.51.100.7"
    expect_eq "$(cat "$TESTDIR/check.out")" \
"defaults: nw_ttl=64
ingress from the tunnel to chassis hv1
tunnel key 0xffffff: SNATed traffic, out of the uplink
output to the uplink pub (port $pub)" "hv3 from the tunnel"
}

test_trace_unprogrammed_bridge() {
    dp_setup
    # A bridge the controller does not program: no flow matches.
    check ovs-vsctl add-br br-x -- set bridge br-x datapath_type=dummy \
        fail-mode=secure -- add-port br-x x1 -- set interface x1 \
        type=dummy ofport_request=5 external_ids:iface-id=vm1
    check_output "dropped: no flow of table 0 (classify) matches: havip-controller has not programmed this bridge (is it running?)" \
        havip-trace --summary --bridge=br-x vm1 "icmp,nw_dst=10.0.1.12"
    # A flow that is not havip's is reported as such.
    check ovs-ofctl add-flow br-x "cookie=0x1234,in_port=5,actions=drop"
    check havip-trace --bridge=br-x vm1 "icmp,nw_dst=10.0.1.12"
    expect_eq "$(sed 1d "$TESTDIR/check.out")" \
"table 0: a flow that is not havip's (cookie 0x1234)
dropped in table 0 (classify)" "foreign flow"
}
