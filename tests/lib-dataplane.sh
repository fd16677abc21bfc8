# -*- sh -*-
# tests/lib-dataplane.sh: a single-chassis topology on the dummy datapath
# and ofproto/trace helpers, shared by tests/dataplane.sh and
# tests/learn.sh.

WAIT="--timeout=20 --wait=hv"

# dp_setup: NB topology and a bridge with vm1..vm3 (ofports 1..3) in s1,
# vm4 (ofport 4) in another VPC and the uplink "pub" (ofport 9).
#   hv1 10.0.1.100, associated with vm1 and vm2, held by vm1, bound to EIP
#   e1 203.0.113.10.  Public next hop 0a:ff:00:00:00:01.
# DP_START_NB names the function that starts the NB database (default
# havip_start_nb; tests/cluster.sh uses havip_start_nb_cluster).
dp_setup() {
    check ${DP_START_NB:-havip_start_nb}
    check havip_start_ovs
    check ovs-vsctl set Open_vSwitch . external_ids:havip-uplink=pub
    dp_add_ports
    check havip-nbctl region-add r1 0a:ff:00:00:00:01 \
        -- vpc-add r1 vpc1 -- vpc-add r1 vpc2 \
        -- subnet-add vpc1 s1 10.0.1.0/24 \
        -- subnet-add vpc1 s2 10.0.2.0/24 \
        -- subnet-add vpc2 t1 10.0.1.0/24 \
        -- port-add s1 vm1 0a:00:00:00:01:0b 10.0.1.11 \
        -- port-add s1 vm2 0a:00:00:00:01:0c 10.0.1.12 \
        -- port-add s2 vm3 0a:00:00:00:02:0d 10.0.2.13 \
        -- port-add t1 vm4 0a:00:00:00:09:0e 10.0.1.14 \
        -- havip-add s1 hv1 10.0.1.100 \
        -- havip-associate hv1 vm1 -- havip-associate hv1 vm2 \
        -- havip-set-holder hv1 vm1 \
        -- eip-add r1 e1 203.0.113.10 -- eip-bind e1 hv1
    check havip_start_controller
    check havip-nbctl $WAIT sync
    GW1=$(havip-nbctl get Subnet s1 gateway_mac | tr -d '"')
    GW2=$(havip-nbctl get Subnet s2 gateway_mac | tr -d '"')
}

# dp_add_ports: vm1..vm4 (ofports 1..4) and the uplink "pub" (ofport 9)
# on br-int, as dummy interfaces.
dp_add_ports() {
    for i in 1 2 3 4; do
        check ovs-vsctl add-port br-int vm$i -- set interface vm$i \
            type=dummy ofport_request=$i external_ids:iface-id=vm$i
    done
    check ovs-vsctl add-port br-int pub -- set interface pub type=dummy \
        ofport_request=9
}

# trace FLOW: the datapath actions ofproto/trace gives for FLOW on br-int.
trace() {
    ovs-appctl ofproto/trace br-int "$1" > "$TESTDIR/trace.out" 2>&1 ||
        { cat "$TESTDIR/trace.out"; return 1; }
    sed -n 's/^Datapath actions: //p' "$TESTDIR/trace.out"
}

# dp_port NAME: the datapath port number of interface NAME.
dp_port() {
    ovs-appctl dpif/show |
        sed -n "s/^[[:space:]]*$1 [0-9]*\/\([0-9]*\):.*/\1/p"
}

# expect_trace FLOW WANT: datapath actions for FLOW are exactly WANT, with
# "@NAME" in WANT replaced by NAME's datapath port.
expect_trace() {
    want=$2
    for name in vm1 vm2 vm3 vm4 pub; do
        want=$(echo "$want" | sed "s/@$name\b/$(dp_port $name)/g")
    done
    got=$(trace "$1")
    [ "$got" = "$want" ] || fail "trace $1
  got:    $got
  wanted: $want"
}

PUB="in_port=pub,dl_src=0a:ff:00:00:00:01,dl_dst=02:e1:cb:00:71:0a"
INBOUND="$PUB,tcp,nw_src=198.51.100.7,nw_dst=203.0.113.10,nw_ttl=64,tp_dst=80"
# The same packet in the datapath syntax netdev-dummy/receive takes.
INBOUND_PKT="eth(src=0a:ff:00:00:00:01,dst=02:e1:cb:00:71:0a),eth_type(0x0800),ipv4(src=198.51.100.7,dst=203.0.113.10,proto=6,tos=0,ttl=64,frag=no),tcp(src=1234,dst=80)"

