# -*- sh -*-
# tests/failover.sh: the real thing end to end: keepalived doing VRRP for
# the HAVIP in the two VM namespaces, the holder learned from its
# gratuitous ARPs, the public client's traffic through the EIP across
# failovers, and the outage measured.  Issue 5; DESIGN.md section 6.  Root
# only; skipped without keepalived.

. "$HAVIP_SRCDIR/tests/lib-netns.sh"

# failover_setup: the namespace topology with no holder, keepalived in vm1
# (priority 150) and, once vm1 is master, in vm2 (100); hv1's holder is
# learned from vm1's GARPs.
failover_setup() {
    need_root
    command -v keepalived >/dev/null 2>&1 || skip "needs keepalived"
    netns_setup ""
    check havip_topo_keepalived_start vm1
    wait_until '[ "$(havip_topo_keepalived_master)" = vm1 ]'
    check havip_topo_keepalived_start vm2
    wait_until 'havip_topo_holder_is vm1'
}

# dropped_sends: packets dropped by port security for a source address the
# port may not use (table 11's default drop).
dropped_sends() {
    ovs-ofctl -O OpenFlow15 dump-flows br-int table=11 |
        sed -n 's/.*n_packets=\([0-9]*\),.*priority=0 .*/\1/p'
}

# expect_master NAME: NAME holds the HAVIP, and the public client reaches
# it through the EIP, the VPC client through the HAVIP, and its traffic
# from the HAVIP address reaches the public client from the EIP.
expect_master() {
    wait_until "havip_topo_holder_is $1"
    check_output "$1" havip-nbctl havip-get-holder hv1
    expect_ask "$1 $PUB" pub "$EIP" 8080
    expect_ask "$1 10.0.2.13" client "$HAVIP" 8080
    expect_ask "pub $EIP" "$1" "$PUB" 8081 "$HAVIP"
}

test_failover_keepalived() {
    failover_setup
    serve vm1 8080
    serve vm2 8080
    serve pub 8081
    # vm1 is master: everything reaches it, its HAVIP traffic leaves as
    # the EIP; from its own address (no EIP pinned) nothing leaves.
    expect_master vm1
    n=$(ip_in_receives pub)
    rc=0
    ASK_TIMEOUT=2 ask vm1 "$PUB" 8081 10.0.1.11 || rc=$?
    [ "$rc" != 0 ] || fail "connected to the public client from 10.0.1.11"
    expect_eq "$(ip_in_receives pub)" "$n" \
        "IPv4 packets received by pub while vm1 sent from 10.0.1.11"

    # Stop vm1's keepalived: vm2 takes over, learned from its GARPs.
    check havip_topo_keepalived_stop vm1
    expect_master vm2
    # vm1 comes back as backup (nopreempt): vm2 keeps the HAVIP.
    check havip_topo_keepalived_start vm1
    expect_eq "$(havip_topo_keepalived_state vm1)" BACKUP "vm1's state"
    check havip-nbctl $WAIT sync
    expect_master vm2
    # Stop vm2's: back to vm1.
    check havip_topo_keepalived_stop vm2
    expect_master vm1
    grep 'holder is now port' "$HAVIP_RUNDIR/havip-controller.log" >&2
}

test_failover_garp_not_associated() {
    failover_setup
    command -v arping >/dev/null 2>&1 || skip "needs arping"
    serve vm1 8080
    # The client's namespace is not associated with hv1: its GARPs for the
    # HAVIP (requests and replies) are dropped by port security, so they
    # never reach the controller.
    n=$(dropped_sends)
    check havip_topo_garp client
    check havip_topo_garp client reply
    wait_until "[ \"\$(dropped_sends)\" -ge $((n + 6)) ]"
    check havip-nbctl $WAIT sync
    check_output vm1 havip-nbctl havip-get-holder hv1
    expect_ask "vm1 $PUB" pub "$EIP" 8080
    ctl coverage/show > coverage.txt
    ! grep -q learn_refused coverage.txt ||
        fail "a claim reached the controller: $(cat coverage.txt)"
}

# failovers MODE N: N failovers back and forth (havip_topo_failover MODE),
# each outage printed, then the median; every one bounded by the
# master-down interval plus a second.
failovers() {
    : > outages.txt
    check ctl ofctrl/latency reset
    i=1
    while [ $i -le "$2" ]; do
        r=$(havip_topo_failover "$1") || fail "failover $i did not happen"
        set -- "$1" "$2" $r
        echo "failover $i ($1): $3 -> $4, outage: $5 ms" \
             "(detection: $8 ms), $6 of $7 probes lost" >&2
        [ "$5" -ge 0 ] && [ "$5" -le $(($8 + 1000)) ] ||
            fail "failover $i: outage $5 ms"
        echo "$5" >> outages.txt
        set -- "$1" "$2"
        i=$((i + 1))
    done
    median=$(havip_topo_median outages.txt)
    echo "median outage over $2 failovers ($1): $median ms" \
         "(detection: $(havip_topo_keepalived_detection_ms 150) ms to vm1," \
         "$(havip_topo_keepalived_detection_ms 100) ms to vm2;" \
         "advert_int $HAVIP_TOPO_ADVERT_INT s)" >&2
    echo "GARP -> flows installed, $2 failovers (ofctrl/latency):" >&2
    ctl ofctrl/latency >&2
}

# The public client's outage when the master's keepalived is stopped:
# keepalived sends a priority-0 advertisement and the backup takes over
# after its skew time.
test_failover_outage_stop() {
    failover_setup
    failovers stop 5
}

# The same when the master dies (keepalived killed without a word, the
# address gone): the backup takes over after its master-down interval.
test_failover_outage_crash() {
    failover_setup
    failovers crash 5
}
