# -*- sh -*-
# tests/chassis.sh: several chassis on one machine, each its own OVS
# (dummy datapath) and controller, one NB database: what each publishes in
# its Chassis row, the tunnels each keeps to the others and the flows that
# use them.  Packets across chassis: tests/multichassis.sh.  Issue 7;
# DESIGN.md section 9.

WAIT="--timeout=20 --wait=hv"

# chassis_start NAME ENCAP_IP [UPLINK PRIORITY]: OVS and the controller of
# chassis NAME in $TESTDIR/NAME, tunnel endpoint ENCAP_IP; with UPLINK, a
# gateway whose uplink is a dummy port of that name.
chassis_start() {
    cs_dir=$TESTDIR/$1
    on_exit "stop_rundir '$cs_dir'"
    HAVIP_CHASSIS=$1 check in_rundir "$cs_dir" havip_start_ovs
    check in_rundir "$cs_dir" ovs-vsctl set Open_vSwitch . \
        external_ids:havip-encap-ip="$2"
    if [ -n "${3:-}" ]; then
        check in_rundir "$cs_dir" ovs-vsctl \
            -- set Open_vSwitch . external_ids:havip-uplink="$3" \
               external_ids:havip-gateway-priority="$4" \
            -- add-port br-int "$3" -- set interface "$3" type=dummy
    fi
    check in_rundir "$cs_dir" havip_start_controller
}

# on NAME CMD...: runs CMD against chassis NAME's OVS.
on() {
    on_name=$1
    shift
    in_rundir "$TESTDIR/$on_name" "$@"
}

# vm_add CHASSIS PORT: a dummy interface bound to NB port PORT on CHASSIS.
vm_add() {
    check on "$1" ovs-vsctl add-port br-int "$2" \
        -- set interface "$2" type=dummy external_ids:iface-id="$2"
}

# tunnels CHASSIS: "PEER TYPE REMOTE_IP BFD;" for each tunnel of CHASSIS,
# sorted.
tunnels() {
    for tn_if in $(on "$1" ovs-vsctl --bare --columns=name find Interface \
                       external_ids:havip-chassis!=none); do
        on "$1" ovs-vsctl get Interface "$tn_if" \
            external_ids:havip-chassis type options:remote_ip |
            tr -d '"' | tr '\n' ' '
        if on "$1" ovs-vsctl get Interface "$tn_if" bfd |
                grep -q 'enable="*true'; then
            echo "bfd;"
        else
            echo "no-bfd;"
        fi
    done | sort | tr -d '\n'
}

# tunnel_ofport CHASSIS PEER: the OpenFlow port of CHASSIS's tunnel to PEER.
tunnel_ofport() {
    on "$1" ovs-vsctl --bare --columns=ofport find Interface \
        external_ids:havip-chassis="$2"
}

# of_trace CHASSIS FLOW: ofproto/trace of FLOW on CHASSIS's br-int, into
# $TESTDIR/trace.out.
of_trace() {
    on "$1" ovs-appctl ofproto/trace br-int "$2" > "$TESTDIR/trace.out" 2>&1
}

# expect_in_trace TEXT...: each TEXT is in the last trace.
expect_in_trace() {
    for eit_text in "$@"; do
        grep -qF -- "$eit_text" "$TESTDIR/trace.out" ||
            fail "not in the trace: $eit_text
$(cat "$TESTDIR/trace.out")"
    done
}

# expect_not_in_trace TEXT: TEXT is not in the last trace.
expect_not_in_trace() {
    ! grep -qF -- "$1" "$TESTDIR/trace.out" ||
        fail "in the trace: $1
$(cat "$TESTDIR/trace.out")"
}

# mc_setup: NB; chassis hv1 (vm1), hv2 (vm2), gateway hv3 (uplink pub,
# priority 200).  HAVIP h1 10.0.1.100 associated with vm1 and vm2, held by
# vm1, bound to EIP e1 203.0.113.10.
mc_setup() {
    check havip_start_nb
    check havip-nbctl region-add r1 0a:ff:00:00:00:01 \
        -- vpc-add r1 vpc1 -- vpc-add r1 vpc2 \
        -- subnet-add vpc1 s1 10.0.1.0/24 \
        -- subnet-add vpc2 t1 10.0.1.0/24 \
        -- port-add s1 vm1 0a:00:00:00:01:0b 10.0.1.11 \
        -- port-add s1 vm2 0a:00:00:00:01:0c 10.0.1.12 \
        -- port-add t1 vm9 0a:00:00:00:09:0e 10.0.1.14 \
        -- havip-add s1 h1 10.0.1.100 \
        -- havip-associate h1 vm1 -- havip-associate h1 vm2 \
        -- havip-set-holder h1 vm1 \
        -- eip-add r1 e1 203.0.113.10 -- eip-bind e1 h1
    chassis_start hv1 192.0.2.1
    chassis_start hv2 192.0.2.2
    chassis_start hv3 192.0.2.3 pub 200
    vm_add hv1 vm1
    vm_add hv2 vm2
    wait_until '[ "$(havip-nbctl chassis-list | tr "\n" " ")" = "hv1 hv2 hv3 " ]'
    check havip-nbctl $WAIT sync
}

test_chassis_publish_and_tunnels() {
    mc_setup
    # What each chassis publishes.
    expect_eq "$(nb_field Chassis name encap_ip encap_type gateway_priority)" \
"192.0.2.1,geneve,[],hv1
192.0.2.2,geneve,[],hv2
192.0.2.3,geneve,200,hv3" "Chassis rows"
    # Where each port is, and its key there (its OpenFlow port).
    vm1_key=$(on hv1 ovs-vsctl get Interface vm1 ofport)
    vm2_key=$(on hv2 ovs-vsctl get Interface vm2 ofport)
    expect_eq "$(nb_field Port name chassis tunnel_key)" \
"[],vm9,[]
hv1,vm1,$vm1_key
hv2,vm2,$vm2_key" "Port rows"

    # hv1 and hv2 reach each other (ports in one VPC) and the gateway,
    # with BFD towards it; the gateway reaches both, with BFD.
    wait_until '[ "$(tunnels hv1)" = "hv2 geneve 192.0.2.2 no-bfd;hv3 geneve 192.0.2.3 bfd;" ]'
    wait_until '[ "$(tunnels hv2)" = "hv1 geneve 192.0.2.1 no-bfd;hv3 geneve 192.0.2.3 bfd;" ]'
    wait_until '[ "$(tunnels hv3)" = "hv1 geneve 192.0.2.1 bfd;hv2 geneve 192.0.2.2 bfd;" ]'

    # vxlan: the others follow hv2's type.
    check on hv2 ovs-vsctl set Open_vSwitch . \
        external_ids:havip-encap-type=vxlan
    wait_until '[ "$(tunnels hv1)" = "hv2 vxlan 192.0.2.2 no-bfd;hv3 geneve 192.0.2.3 bfd;" ]'
    wait_until '[ "$(tunnels hv3)" = "hv1 geneve 192.0.2.1 bfd;hv2 vxlan 192.0.2.2 bfd;" ]'

    # vm2 leaves hv2: hv1 no longer needs hv2 (the gateway still does).
    check on hv2 ovs-vsctl del-port br-int vm2
    wait_until '[ "$(tunnels hv1)" = "hv3 geneve 192.0.2.3 bfd;" ]'
    check havip-nbctl $WAIT sync
    expect_eq "$(nb_field Port name chassis tunnel_key | grep vm2)" "[],vm2,[]" \
        "vm2 unbound"

    # A clean exit of the active gateway: it first drops the flows that
    # listen on its uplink (the rest stay), then its row: nobody keeps a
    # tunnel to it.
    on hv3 ovs-ofctl -O OpenFlow15 dump-flows --names br-int table=0 |
        grep -q "in_port=pub[ ,]" || fail "hv3 does not listen on its uplink"
    check on hv3 ovs-appctl -t "$TESTDIR/hv3/havip-controller.ctl" exit
    ! on hv3 ovs-ofctl -O OpenFlow15 dump-flows --names br-int table=0 |
        grep "in_port=pub[ ,]" || fail "hv3 still listens on its uplink"
    on hv3 ovs-ofctl -O OpenFlow15 dump-flows br-int table=5 |
        grep -q "nw_dst=203.0.113.10" || fail "hv3 lost its EIP flows"
    wait_until '[ "$(tunnels hv1)" = "" ]'
    wait_until '[ "$(tunnels hv2)" = "" ]'
}

test_chassis_remote_delivery_flows() {
    mc_setup
    t12=$(tunnel_ofport hv1 hv2)
    t32=$(tunnel_ofport hv3 hv2)
    t31=$(tunnel_ofport hv3 hv1)
    vm1_key=$(on hv1 ovs-vsctl get Interface vm1 ofport)
    vm2_key=$(on hv2 ovs-vsctl get Interface vm2 ofport)

    # hv1: vm1 to vm2 goes through the tunnel to hv2 with vm2's key.
    check of_trace hv1 "in_port=vm1,dl_src=0a:00:00:00:01:0b,dl_dst=0a:00:00:00:01:0c,ip,nw_src=10.0.1.11,nw_dst=10.0.1.12"
    expect_in_trace "set_field:0x$(printf %x "$vm2_key")->tun_id" \
        "output:$t12"

    # Isolation and port security hold across chassis: vm9 (vpc2, same
    # addresses as vpc1) is on hv2 too, but vm1 cannot reach it, nor send
    # from vm2's address; neither leaves hv1.
    vm_add hv2 vm9
    check havip-nbctl $WAIT sync
    check of_trace hv1 "in_port=vm1,dl_src=0a:00:00:00:01:0b,dl_dst=0a:00:00:00:09:0e,ip,nw_src=10.0.1.11,nw_dst=10.0.1.14"
    expect_in_trace "35. priority 0" "Datapath actions: drop"
    expect_not_in_trace "tun_id"
    check of_trace hv1 "in_port=vm1,dl_src=0a:00:00:00:01:0b,dl_dst=0a:00:00:00:01:0c,ip,nw_src=10.0.1.12,nw_dst=10.0.1.12"
    expect_in_trace "11. priority 0" "Datapath actions: drop"
    expect_not_in_trace "tun_id"

    # hv2: what comes from the tunnel with vm2's key goes to vm2.
    t21=$(tunnel_ofport hv2 hv1)
    check of_trace hv2 "in_port=$t21,tun_id=$vm2_key,dl_dst=0a:00:00:00:01:0c,ip,nw_dst=10.0.1.12"
    expect_in_trace "output:$(on hv2 ovs-vsctl get Interface vm2 ofport)"

    # The gateway: the EIP is DNATed and tunnelled to the holder's chassis.
    INBOUND="in_port=pub,dl_src=0a:ff:00:00:00:01,dl_dst=02:e1:cb:00:71:0a,tcp,nw_src=198.51.100.7,nw_dst=203.0.113.10,nw_ttl=64,tp_dst=80"
    check of_trace hv3 "$INBOUND"
    expect_in_trace "set_field:10.0.1.100->ip_dst" \
        "set_field:0x$(printf %x "$vm1_key")->tun_id" "output:$t31"

    # Failover to vm2: each chassis changes only the HAVIP's flows.
    check havip-nbctl $WAIT havip-set-holder h1 vm2
    check of_trace hv3 "$INBOUND"
    expect_in_trace "set_field:0x$(printf %x "$vm2_key")->tun_id" \
        "output:$t32"
    check of_trace hv1 "in_port=vm1,dl_src=0a:00:00:00:01:0b,dl_dst=0a:00:00:00:01:0c,ip,nw_src=10.0.1.11,nw_dst=10.0.1.100"
    expect_in_trace "set_field:0x$(printf %x "$vm2_key")->tun_id" \
        "output:$t12"

    # The holder's traffic to the internet is SNATed where it is and sent
    # to the live gateway, which sends it out of its uplink.  (BFD cannot
    # come up between dummy datapaths: hv2 sees no live gateway and drops
    # it; tests/multichassis.sh has the real thing.)
    gw=$(havip-nbctl get Subnet s1 gateway_mac | tr -d '"')
    check of_trace hv2 "in_port=vm2,dl_src=0a:00:00:00:01:0c,dl_dst=$gw,tcp,nw_src=10.0.1.100,nw_dst=198.51.100.7,nw_ttl=64"
    expect_in_trace "set_field:203.0.113.10->ip_src" "goto_table:40" \
        "40. priority 0" "Datapath actions: drop"
    check_output "active gateway: none
gratuitous ARPs sent: 0" on hv2 ovs-appctl \
        -t "$TESTDIR/hv2/havip-controller.ctl" gateway/show
    check on hv3 ovs-appctl -t "$TESTDIR/hv3/havip-controller.ctl" \
        gateway/show
    grep -q "active gateway: hv3 (priority 200)" "$TESTDIR/check.out" ||
        fail "hv3 is not its own active gateway"
    check of_trace hv3 "in_port=$t32,tun_id=0xffffff,dl_src=02:e1:cb:00:71:0a,dl_dst=0a:ff:00:00:00:01,tcp,nw_src=203.0.113.10,nw_dst=198.51.100.7,nw_ttl=63"
    expect_in_trace "output:$(on hv3 ovs-vsctl get Interface pub ofport)"
}
