# -*- sh -*-
# havip-demo.sh: the failover demo of "make demo" (havip-sandbox --demo),
# on the topology of havip-topology.sh with keepalived in vm1 and vm2.
# Sourced after havip-daemons.sh and havip-topology.sh, in a run directory
# where havip_demo_topology has built everything.
#
#   havip_demo_topology   NB, OVS (netdev), the namespaces, the controller,
#                         keepalived in vm1 (master) and vm2 (backup), and
#                         TCP servers: vm1, vm2 on 8080 ("NAME <peer>") and
#                         80 (the same over HTTP), pub on 8081
#   havip_demo_run        the steps a-e with their results; returns 0 if
#                         every check passed
#
# Every check prints what it checks, what it saw and OK or FAIL.

# havip_demo_topology: builds and starts everything; fails (leaving the
# cleanup to the caller) if a part does not come up.  HAVIP_START_NB names
# the function that starts the NB database (default havip_start_nb;
# havip_start_nb_cluster for "havip-sandbox --cluster").
havip_demo_topology() {
    havip_topo_host && ${HAVIP_START_NB:-havip_start_nb} &&
        havip_start_ovs netdev &&
        havip_topo_create "" && havip_start_controller &&
        havip-nbctl --timeout=20 --wait=hv sync >/dev/null || return 1
    havip_topo_keepalived_start vm1 &&
        havip_topo_wait 10 havip_topo_holder_is vm1 &&
        havip_topo_keepalived_start vm2 || return 1
    for havip_d_vm in vm1 vm2; do
        havip_topo_serve $havip_d_vm 8080 &&
            havip_topo_serve $havip_d_vm 80 http || return 1
    done
    havip_topo_serve pub 8081
}

HAVIP_DEMO_FAILED=0
HAVIP_DEMO_CHECKS=0

# havip_demo_step LINE...: a step's title, one argument a line.
havip_demo_step() {
    echo
    printf '%s\n' "$@"
}

# havip_demo_result WHAT SEEN OK: one check: "OK" if OK is true, "FAIL".
havip_demo_result() {
    HAVIP_DEMO_CHECKS=$((HAVIP_DEMO_CHECKS + 1))
    if [ "$3" = true ]; then
        printf '  %-62s OK\n      seen: %s\n' "$1" "$2"
    else
        HAVIP_DEMO_FAILED=$((HAVIP_DEMO_FAILED + 1))
        printf '  %-62s FAIL\n      seen: %s\n' "$1" "$2"
    fi
}

# havip_demo_expect WHAT WANT CMD...: CMD's output is WANT.
havip_demo_expect() {
    havip_d_what=$1 havip_d_want=$2
    shift 2
    havip_d_got=$("$@" 2>/dev/null) ||
        havip_d_got="${havip_d_got:-}(no answer)"
    havip_d_ok=false
    [ "$havip_d_got" = "$havip_d_want" ] && havip_d_ok=true
    havip_demo_result "$havip_d_what" "\"$havip_d_got\"" $havip_d_ok
}

# havip_demo_holder NAME: NAME is master and holder, within 10 s.
havip_demo_holder() {
    havip_d_ok=false
    havip_topo_wait 10 havip_topo_holder_is "$1" && havip_d_ok=true
    havip_d_got="master $(havip_topo_keepalived_master), holder"
    havip_d_got="$havip_d_got $(havip-nbctl havip-get-holder hv1)"
    havip_demo_result "keepalived master and havip-get-holder hv1 = $1" \
        "$havip_d_got" $havip_d_ok
}

# havip_demo_reach NAME: the public client reaches NAME through the EIP,
# the VPC client through the HAVIP, and NAME's HAVIP traffic arrives at the
# public client from the EIP.
havip_demo_reach() {
    havip_demo_expect \
        "public client -> EIP $HAVIP_TOPO_EIP:8080 (TCP) reaches $1" \
        "$1 $HAVIP_TOPO_PUB_IP" havip_topo_ask pub "$HAVIP_TOPO_EIP" 8080
    havip_demo_expect "VPC client -> HAVIP $HAVIP_TOPO_HAVIP:8080 reaches $1" \
        "$1 10.0.2.13" havip_topo_ask client "$HAVIP_TOPO_HAVIP" 8080
    havip_demo_expect \
        "$1 from the HAVIP -> public client: arrives from the EIP" \
        "pub $HAVIP_TOPO_EIP" \
        havip_topo_ask "$1" "$HAVIP_TOPO_PUB_IP" 8081 "$HAVIP_TOPO_HAVIP"
}

# havip_demo_ip_in NAME: IPv4 datagrams received so far in NAME.
havip_demo_ip_in() {
    havip_topo_exec "$1" awk '$1 == "Ip:" && $3 ~ /^[0-9]+$/ { print $4 }' \
        /proc/net/snmp
}

# havip_demo_dropped: table 11's port-security drops.
havip_demo_dropped() {
    ovs-ofctl -O OpenFlow15 dump-flows br-int table=11 |
        sed -n 's/.*n_packets=\([0-9]*\),.*priority=0 .*/\1/p'
}

havip_demo_a() {
    havip_demo_step \
        "a. keepalived elects vm1; the controller learns the holder from" \
        "   vm1's gratuitous ARPs; traffic reaches vm1"
    havip_demo_holder vm1
    havip_demo_reach vm1
}

havip_demo_b() {
    havip_demo_step \
        "b. Outbound: from the HAVIP address it leaves as the EIP" \
        "   (above); from vm1's own address it does not leave"
    havip_d_n=$(havip_demo_ip_in pub)
    havip_d_got=$(HAVIP_TOPO_ASK_TIMEOUT=2 havip_topo_ask vm1 \
        "$HAVIP_TOPO_PUB_IP" 8081 10.0.1.11 2>/dev/null) ||
        havip_d_got="no connection"
    havip_d_m=$(havip_demo_ip_in pub)
    havip_d_ok=false
    [ "$havip_d_got" = "no connection" ] && [ "$havip_d_n" = "$havip_d_m" ] &&
        havip_d_ok=true
    havip_demo_result "vm1 from 10.0.1.11 -> public client: nothing arrives" \
        "$havip_d_got; pub received $((havip_d_m - havip_d_n)) IPv4 packets" \
        $havip_d_ok
}

havip_demo_c() {
    havip_demo_step "c. Stop the master's keepalived" \
        "   (kill \$(cat keepalived-vm1.pid)): vm2 takes over"
    havip_topo_keepalived_stop vm1
    havip_demo_holder vm2
    havip_demo_reach vm2
    havip_demo_step \
        "   Bring vm1's keepalived back: it stays backup (nopreempt)"
    havip_topo_keepalived_start vm1
    havip-nbctl --timeout=10 --wait=hv sync >/dev/null 2>&1
    havip_d_got="vm1 $(havip_topo_keepalived_state vm1), holder"
    havip_d_got="$havip_d_got $(havip-nbctl havip-get-holder hv1)"
    havip_d_ok=false
    [ "$havip_d_got" = "vm1 BACKUP, holder vm2" ] && havip_d_ok=true
    havip_demo_result "vm1 is backup, vm2 still holds hv1" "$havip_d_got" \
        $havip_d_ok
    havip_demo_step "   Stop vm2's keepalived: back to vm1"
    havip_topo_keepalived_stop vm2
    havip_demo_holder vm1
    havip_demo_reach vm1
    havip_topo_keepalived_start vm2
}

havip_demo_d() {
    havip_demo_step \
        "d. The VPC client, not associated with hv1, sends gratuitous" \
        "   ARPs for $HAVIP_TOPO_HAVIP (arping -U, requests and replies)"
    havip_d_n=$(havip_demo_dropped)
    havip_topo_garp client
    havip_topo_garp client reply
    havip_topo_wait 5 havip_demo_dropped_since "$havip_d_n"
    havip-nbctl --timeout=10 --wait=hv sync >/dev/null 2>&1
    havip_d_got="$(($(havip_demo_dropped) - havip_d_n)) dropped by port"
    havip_d_got="$havip_d_got security, holder"
    havip_d_got="$havip_d_got $(havip-nbctl havip-get-holder hv1)"
    havip_d_ok=false
    [ "$havip_d_got" = "6 dropped by port security, holder vm1" ] &&
        havip_d_ok=true
    havip_demo_result "the 6 GARPs are dropped; the holder stays vm1" \
        "$havip_d_got" $havip_d_ok
}

# havip_demo_dropped_since N: table 11 dropped at least 6 more than N.
havip_demo_dropped_since() {
    [ "$(havip_demo_dropped)" -ge $(($1 + 6)) ]
}

# havip_demo_failovers MODE N: N failovers with the outage measured.
havip_demo_failovers() {
    : > "$HAVIP_RUNDIR/outages-$1.txt"
    havip_d_i=1
    while [ $havip_d_i -le "$2" ]; do
        if havip_d_r=$(havip_topo_failover "$1" 2>&1); then
            set -- "$1" "$2" $havip_d_r
            havip_demo_result "failover $havip_d_i: $3 -> $4" \
                "outage: $5 ms (detection: $8 ms), $6 of $7 probes lost" true
            echo "$5" >> "$HAVIP_RUNDIR/outages-$1.txt"
            set -- "$1" "$2"
        else
            havip_demo_result "failover $havip_d_i" "$havip_d_r" false
        fi
        havip_d_i=$((havip_d_i + 1))
    done
    havip_d_median=$(havip_topo_median "$HAVIP_RUNDIR/outages-$1.txt")
    echo "  median outage: ${havip_d_median:-?} ms" \
         "(detection: $(havip_topo_keepalived_detection_ms 150) ms to vm1," \
         "$(havip_topo_keepalived_detection_ms 100) ms to vm2)"
}

havip_demo_e() {
    havip_d_ms=$(awk -v i="$HAVIP_TOPO_PROBE_INT" 'BEGIN { print i * 1000 }')
    havip_demo_step "e. The public client's outage: it pings the EIP every" \
        "   $havip_d_ms ms; outage = the longest time without a reply, less" \
        "   one interval.  keepalived's detection time (master-down" \
        "   interval) = 3 x advert_int + skew = 3 x" \
        "   $HAVIP_TOPO_ADVERT_INT s + (256 - priority) / 256 x advert_int"
    ovs-appctl -t "$HAVIP_RUNDIR/havip-controller.ctl" ofctrl/latency reset \
        >/dev/null
    havip_demo_step \
        "   Stop the master's keepalived: it sends priority 0, so the" \
        "   backup takes over after its skew time, not the detection time"
    havip_demo_failovers stop "${HAVIP_DEMO_FAILOVERS:-5}"
    havip_demo_step \
        "   Crash the master (keepalived killed, its address gone):" \
        "   the backup waits for the detection time"
    havip_demo_failovers crash "${HAVIP_DEMO_FAILOVERS:-5}"
    havip_demo_step \
        "   The controller, over these failovers: GARP learned -> flows" \
        "   acknowledged by the switch (ofctrl/latency)"
    ovs-appctl -t "$HAVIP_RUNDIR/havip-controller.ctl" ofctrl/latency |
        sed 's/^/  /'
}

havip_demo_run() {
    havip_demo_a
    havip_demo_b
    havip_demo_c
    havip_demo_d
    havip_demo_e
    echo
    if [ "$HAVIP_DEMO_FAILED" = 0 ]; then
        echo "demo: all $HAVIP_DEMO_CHECKS checks OK"
    else
        echo "demo: $HAVIP_DEMO_FAILED of $HAVIP_DEMO_CHECKS checks FAILED" \
             "(logs in $HAVIP_RUNDIR)"
    fi
    [ "$HAVIP_DEMO_FAILED" = 0 ]
}
