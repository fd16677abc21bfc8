# -*- sh -*-
# tests/multichassis.sh: several chassis with real packets: each chassis its
# own ovs-vswitchd (userspace datapath) in its own namespace and its own
# havip-controller, tunnels over a shared underlay (utilities/havip-chassis.sh).
# keepalived in vm1 on chassis 1 and vm2 on chassis 2, the gateway on
# chassis 3 (priority 200), the VPC client on chassis 4, which is the second
# gateway (priority 100); the public client behind both uplinks.  Issue 7;
# DESIGN.md section 9; docs/multichassis.md.  Root only.

. "$HAVIP_SRCDIR/tests/lib-netns.sh"
. "$HAVIP_SRCDIR/utilities/havip-chassis.sh"

# mc_ctl N ARGS: ovs-appctl to chassis N's controller.
mc_ctl() {
    mc_n=$1
    shift
    havip_ch_appctl "$mc_n" havip-controller "$@"
}

# mc_active_gateway N: the active gateway as chassis N sees it.
mc_active_gateway() {
    mc_ctl "$1" gateway/show | sed -n 's/^active gateway: \([^ ]*\).*/\1/p'
}

# mc_recomputes N: chassis N's full recomputes so far.
mc_recomputes() {
    mc_r=$(mc_ctl "$1" coverage/show |
           sed -n 's/^desired_recompute .*total: \([0-9]*\).*/\1/p')
    echo "${mc_r:-0}"
}

# mc_all_see_gateway NAME: every running chassis elects NAME.
mc_all_see_gateway() {
    for mc_n in $MC_UP; do
        [ "$(mc_active_gateway "$mc_n")" = "$1" ] || return 1
    done
}

# mc_setup [NB]: the NB database (standalone, or the 3-member cluster with
# NB=cluster), 4 chassis, the topology's rows, the VMs, keepalived with vm1
# master, every chassis installed.
mc_setup() {
    need_root
    command -v keepalived >/dev/null 2>&1 || skip "needs keepalived"
    command -v ethtool >/dev/null 2>&1 || skip "needs ethtool"
    unshare --net true 2>/dev/null || skip "cannot create network namespaces"
    if [ "${1:-}" = cluster ]; then
        check havip_start_nb_cluster
    else
        check havip_start_nb
    fi
    on_exit havip_ch_destroy
    check havip_ch_create 4
    check havip_ch_gateway 3 200
    check havip_ch_gateway 4 100
    check havip-nbctl region-add r1 "$HAVIP_TOPO_PUB_MAC" \
        -- vpc-add r1 vpc1 \
        -- subnet-add vpc1 s1 10.0.1.0/24 \
        -- subnet-add vpc1 s2 10.0.2.0/24 \
        -- port-add s1 vm1 0a:00:00:00:01:0b 10.0.1.11 \
        -- port-add s1 vm2 0a:00:00:00:01:0c 10.0.1.12 \
        -- port-add s2 client 0a:00:00:00:02:0d 10.0.2.13 \
        -- havip-add s1 hv1 "$HAVIP" \
        -- havip-associate hv1 vm1 -- havip-associate hv1 vm2 \
        -- eip-add r1 e1 "$EIP" -- eip-bind e1 hv1
    check havip_ch_add_vm 1 vm1 0a:00:00:00:01:0b 10.0.1.11/24 10.0.1.1
    check havip_ch_add_vm 2 vm2 0a:00:00:00:01:0c 10.0.1.12/24 10.0.1.1
    check havip_ch_add_vm 4 client 0a:00:00:00:02:0d 10.0.2.13/24 10.0.2.1
    MC_UP="1 2 3 4"
    for mc_n in $MC_UP; do
        check havip_ch_start_controller "$mc_n"
    done
    check havip-nbctl $WAIT sync
    wait_until 'mc_all_see_gateway ch3'
    check havip_topo_keepalived_start vm1
    wait_until '[ "$(havip_topo_keepalived_master)" = vm1 ]'
    check havip_topo_keepalived_start vm2
    wait_until 'havip_topo_holder_is vm1'
}

# mc_expect_master NAME: NAME holds the HAVIP; the public client reaches it
# through the EIP (gateway chassis 3 -> its chassis), the VPC client on
# chassis 4 through the HAVIP, and its traffic from the HAVIP reaches the
# public client from the EIP.
mc_expect_master() {
    wait_until "havip_topo_holder_is $1"
    expect_ask "$1 $PUB" pub "$EIP" 8080
    expect_ask "$1 10.0.2.13" client "$HAVIP" 8080
    expect_ask "pub $EIP" "$1" "$PUB" 8081 "$HAVIP"
}

test_multichassis_failover_across_chassis() {
    mc_setup
    serve vm1 8080
    serve vm2 8080
    serve pub 8081
    mc_expect_master vm1

    # Tunnels: chassis 1 needs 2 (vm2), 3 and 4 (gateways, with BFD).
    check havip_ch_vsctl 1 --bare --columns=name find Interface \
        external_ids:havip-chassis!=none
    expect_eq "$(grep -c . "$TESTDIR/check.out")" 3 "tunnels on chassis 1"

    # keepalived fails over from chassis 1 to chassis 2 and back, the
    # public client pinging the EIP every 20 ms.  Every chassis changes
    # that HAVIP's flows alone: no full recompute anywhere.
    for mc_n in 1 2 3 4; do
        eval "recomputes_$mc_n=\$(mc_recomputes $mc_n)"
    done
    for mode in stop stop crash; do
        check havip_topo_failover $mode
        set -- $(cat "$TESTDIR/check.out")
        echo "failover ($mode) $1 (chassis $(havip_ch_vm_chassis "$1"))" \
             "-> $2 (chassis $(havip_ch_vm_chassis "$2")): outage $3 ms" \
             "(keepalived's detection $6 ms), $4 of $5 probes lost" >&2
        echo "$mode $3 $6" >> "$TESTDIR/outages"
        mc_expect_master "$2"
    done
    for mc_n in 1 2 3 4; do
        eval "before=\$recomputes_$mc_n"
        expect_eq "$(mc_recomputes $mc_n)" "$before" \
            "full recomputes on chassis $mc_n during the failovers"
    done
}

test_multichassis_gateway_fails() {
    mc_setup
    serve vm1 8080
    serve pub 8081
    mc_expect_master vm1

    # Chassis 3, the active gateway, dies (every daemon killed): chassis 4
    # takes over the EIP once BFD notices, announces it with gratuitous
    # ARPs, and the public client reaches the holder again.
    havip_topo_probe_start pub "$EIP"
    check havip_topo_wait 5 havip_topo_probe_more 10
    check havip_ch_stop 3 KILL
    MC_UP="1 2 4"
    wait_until 'mc_all_see_gateway ch4'
    n=$(( $(havip_topo_probe_replies) + 10 ))
    check havip_topo_wait 10 havip_topo_probe_more $n
    set -- $(havip_topo_probe_stop)
    echo "gateway chassis 3 killed: public outage $1 ms ($2 of $3 probes" \
         "lost)" >&2
    [ "$1" -ge 0 ] || fail "no reply from the EIP"
    mc_ctl 4 gateway/show >&2
    expect_ask "vm1 $PUB" pub "$EIP" 8080
    expect_ask "pub $EIP" vm1 "$PUB" 8081 "$HAVIP"
    expect_ask "vm1 10.0.2.13" client "$HAVIP" 8080
}

test_multichassis_vxlan() {
    HAVIP_CH_ENCAP=vxlan
    mc_setup
    expect_eq "$(nb_field Chassis encap_type | sort -u)" vxlan "encap types"
    serve vm1 8080
    serve vm2 8080
    serve pub 8081
    mc_expect_master vm1
    check havip_topo_keepalived_stop vm1
    mc_expect_master vm2
}

test_multichassis_nb_leader_killed_during_failover() {
    mc_setup cluster
    serve vm1 8080
    serve vm2 8080
    serve pub 8081
    mc_expect_master vm1

    # The Raft leader of the NB cluster dies as keepalived fails over from
    # chassis 1 to chassis 2: chassis 2 switches its flows at once, writes
    # the holder once a new leader is elected, and every chassis follows.
    leader=$(havip_nb_leader) || fail "no NB leader"
    check havip_nb_member_kill "$leader" KILL
    check havip_topo_keepalived_stop vm1
    check havip_nb_wait_leader 20
    mc_expect_master vm2
    check havip-nbctl $WAIT sync
    for mc_n in 1 2 3 4; do
        mc_ctl "$mc_n" connection-status | grep -q '^nb: connected' ||
            fail "chassis $mc_n is not connected to the NB cluster"
    done

    # The killed member rejoins; the other way back works as well.
    check havip_nb_member_start "$leader"
    wait_until "havip_nb_member_status $leader | grep -q '^Status: cluster member'"
    check havip_topo_keepalived_start vm1
    check havip_topo_keepalived_stop vm2
    mc_expect_master vm1
}
