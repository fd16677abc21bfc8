# -*- sh -*-
# tests/cluster.sh: the HAVIP_Northbound database as a 3-member Raft
# cluster (havip_start_nb_cluster).  havip-nbctl and the controller, given
# the comma-separated list of members, follow the leader; a write in
# flight when the leader dies is retried, never lost.

. "$HAVIP_SRCDIR/tests/lib-dataplane.sh"

# Bound on every wait that spans a leader election and the clients'
# reconnection backoff (OVS's, up to 8 s between rounds of the members).
CL_TIMEOUT=40
CL_WAIT="--timeout=$CL_TIMEOUT --wait=hv"

ctl() {
    ovs-appctl -t "$HAVIP_RUNDIR/havip-controller.ctl" "$@"
}

# member_get I TABLE RECORD COLUMN: TABLE's COLUMN of RECORD (a name) as
# member I alone has it, leader or not.
member_get() {
    havip-nbctl --db="$(havip_nb_member_remote $1)" --no-leader-only \
        --timeout=5 get "$2" "$3" "$4" | tr -d '"'
}

# member_names I TABLE: the names of TABLE's rows on member I, sorted, on
# one line.
member_names() {
    havip-nbctl --db="$(havip_nb_member_remote $1)" --no-leader-only \
        --timeout=5 --bare --columns=name list "$2" | sed '/^$/d' | sort |
        tr '\n' ' '
}

# member_is_up I: member I runs and is a member of the cluster.
member_is_up() {
    havip_nb_member_status $1 | grep -q '^Status: cluster member$'
}

# n_leaders: how many running members claim to be the leader.
n_leaders() {
    n_l=0
    for m in $HAVIP_NB_MEMBERS; do
        [ -e "$HAVIP_RUNDIR/havip_nb$m.pid" ] || continue
        if havip_nb_member_status $m 2>/dev/null | grep -q '^Role: leader$'
        then
            n_l=$((n_l + 1))
        fi
    done
    echo $n_l
}

# elapsed_ms START: milliseconds since START (an $EPOCHREALTIME).
elapsed_ms() {
    awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }'
}

# holder_trace PORT: the inbound EIP packet reaches PORT (vm1 or vm2).
holder_trace() {
    case $1 in
        vm1) mac=0a:00:00:00:01:0b ;;
        vm2) mac=0a:00:00:00:01:0c ;;
    esac
    [ "$(trace "$INBOUND")" = \
      "set(eth(src=$GW1,dst=$mac)),set(ipv4(dst=10.0.1.100,ttl=63)),$(dp_port $1)" ]
}

# garp PORT MAC: injects a gratuitous ARP for hv1's IP from PORT.
garp() {
    check ovs-appctl netdev-dummy/receive "$1" "eth(src=$2,dst=ff:ff:ff:ff:ff:ff),eth_type(0x0806),arp(sip=10.0.1.100,tip=10.0.1.100,op=1,sha=$2,tha=00:00:00:00:00:00)"
}

# recompute_is_noop: the controller's desired flows do not change on a full
# recompute.
recompute_is_noop() {
    ctl flows/dump > before.txt
    check ctl recompute
    check havip-nbctl $CL_WAIT sync
    ctl flows/dump > after.txt
    check diff -u before.txt after.txt
}

test_cluster_nbctl() {
    check havip_start_nb_cluster
    expect_eq "$HAVIP_NB_DB" "unix:$HAVIP_RUNDIR/havip_nb1.sock,unix:$HAVIP_RUNDIR/havip_nb2.sock,unix:$HAVIP_RUNDIR/havip_nb3.sock" \
        HAVIP_NB_DB
    for m in $HAVIP_NB_MEMBERS; do
        check member_is_up $m
    done
    expect_eq "$(n_leaders)" 1 "leaders"
    check_output '' havip-nbctl show
    check havip-nbctl region-add r1 0a:ff:00:00:00:01 \
        -- vpc-add r1 vpc1 -- subnet-add vpc1 s1 10.0.1.0/24 \
        -- port-add s1 vm1 0a:00:00:00:01:0b 10.0.1.11 \
        -- havip-add s1 hv1 10.0.1.100 -- havip-associate hv1 vm1
    check havip-nbctl --db="$HAVIP_NB_DB" eip-add r1 e1 203.0.113.10 \
        -- eip-bind e1 hv1
    # Every member has every row.
    for m in $HAVIP_NB_MEMBERS; do
        wait_until '[ "$(member_names '$m' HAVIP)" = "hv1 " ]'
        wait_until '[ "$(member_names '$m' EIP)" = "e1 " ]'
    done

    # A follower down: the list still works and the others have quorum.
    leader=$(havip_nb_leader)
    follower=$((leader % 3 + 1))
    check havip_nb_member_kill $follower
    check havip-nbctl --timeout=$CL_TIMEOUT port-add s1 vm2 \
        0a:00:00:00:01:0c 10.0.1.12
    check_output vm2 havip-nbctl --bare --columns=name find Port ip=10.0.1.12
    # It comes back from its file and catches up.
    check havip_nb_member_start $follower
    wait_until "member_is_up $follower" $CL_TIMEOUT
    wait_until '[ "$(member_names '$follower' Port)" = "vm1 vm2 " ]'
    expect_eq "$(n_leaders)" 1 "leaders"
}

test_cluster_controller_follows_leader() {
    DP_START_NB=havip_start_nb_cluster dp_setup
    check_output "nb: connected ($HAVIP_NB_DB)
ovs: connected (unix:$HAVIP_RUNDIR/db.sock)" ctl connection-status
    check holder_trace vm1

    # The leader crashes; the next --wait=hv write succeeds through the
    # new leader and the controller, reconnected, installs it.
    leader=$(havip_nb_leader)
    check havip_nb_member_kill $leader KILL
    start=$EPOCHREALTIME
    check havip-nbctl $CL_WAIT havip-set-holder hv1 vm2
    echo "MEASURE: havip-nbctl --wait=hv after a leader kill:" \
         "$(elapsed_ms $start) ms" >&2
    check holder_trace vm2
    new_leader=$(havip_nb_leader)
    [ "$new_leader" != "$leader" ] || fail "member $leader is still leader"
    wait_until "ctl connection-status | grep -q '^nb: connected'"

    # The crashed member restarts from its file, rejoins and catches up.
    check havip_nb_member_start $leader
    wait_until "member_is_up $leader" $CL_TIMEOUT
    holder=$(havip-nbctl get HAVIP hv1 holder)
    wait_until '[ "$(member_get '$leader' HAVIP hv1 holder)" = "'$holder'" ]' \
        $CL_TIMEOUT
    expect_eq "$(n_leaders)" 1 "leaders"

    # And the controller keeps up with the next leader change too.
    leader=$(havip_nb_leader)
    check havip_nb_member_kill $leader
    check havip-nbctl $CL_WAIT havip-set-holder hv1 vm1
    check holder_trace vm1
    check havip_nb_member_start $leader
    wait_until "member_is_up $leader" $CL_TIMEOUT
    recompute_is_noop
}

test_cluster_learned_holder_leader_killed() {
    DP_START_NB=havip_start_nb_cluster dp_setup
    check_output vm1 havip-nbctl havip-get-holder hv1

    # The GARP arrives just as the leader crashes: the flows move at once,
    # and the holder reaches the database through the next leader.
    leader=$(havip_nb_leader)
    check havip_nb_member_kill $leader KILL
    garp vm2 0a:00:00:00:01:0c
    wait_until 'holder_trace vm2'
    start=$EPOCHREALTIME
    wait_until '[ "$(havip-nbctl --timeout=5 havip-get-holder hv1)" = vm2 ]' \
        $CL_TIMEOUT
    echo "MEASURE: learned holder in the database after a leader kill:" \
         "$(elapsed_ms $start) ms" >&2
    check_output in-use havip-nbctl get HAVIP hv1 status
    check havip-nbctl $CL_WAIT sync
    check holder_trace vm2
    check havip_nb_member_start $leader
    wait_until "member_is_up $leader" $CL_TIMEOUT
    recompute_is_noop
}

# uncommitted I: member I's count of log entries not yet committed.
uncommitted() {
    havip_nb_member_status $1 | sed -n 's/^Entries not yet committed: //p'
}

test_cluster_write_in_flight_when_leader_dies() {
    DP_START_NB=havip_start_nb_cluster dp_setup
    check havip-nbctl port-add s1 vm5 0a:00:00:00:01:0f 10.0.1.15 \
        -- havip-associate hv1 vm5
    check ovs-vsctl add-port br-int vm5 -- set interface vm5 type=dummy \
        ofport_request=5 external_ids:iface-id=vm5
    wait_until '[ "$(havip-nbctl get Port vm5 up)" = true ]'
    # The controller writes Port.up when it finds it wrong while checking
    # the bindings, which it does only after a change (of the NB rows, the
    # local ports or the switch's state; --wait=hv is one).  Clear it as
    # another writer could: the controller leaves it until the next change.
    check havip-nbctl set Port vm5 up=false

    # Both followers crash: the leader, still connected to the controller,
    # can commit nothing.  A local change (an interface for no NB port)
    # makes the controller check the bindings and write Port.up: that
    # write stays in flight.
    leader=$(havip_nb_leader)
    f1=$((leader % 3 + 1))
    f2=$((f1 % 3 + 1))
    check havip_nb_member_kill $f1 KILL
    check havip_nb_member_kill $f2 KILL
    check ovs-vsctl add-port br-int vm9 -- set interface vm9 type=dummy \
        external_ids:iface-id=vm9
    wait_until '[ "$(uncommitted '$leader')" -gt 0 ]'
    expect_eq "$(member_get $leader Port vm5 up)" false \
        "vm5's up without quorum"

    # Then the leader dies with it, and the followers come back without
    # it: the new leader never saw the write, so the controller must make
    # it again.
    check havip_nb_member_kill $leader KILL
    check havip_nb_member_start $f1
    check havip_nb_member_start $f2
    start=$EPOCHREALTIME
    check havip_nb_wait_leader $CL_TIMEOUT
    echo "MEASURE: leader elected after the restart:" \
         "$(elapsed_ms $start) ms" >&2
    wait_until '[ "$(havip-nbctl --timeout=5 get Port vm5 up)" = true ]' \
        $CL_TIMEOUT
    echo "MEASURE: the controller's write committed after the restart:" \
         "$(elapsed_ms $start) ms" >&2
    wait_until "ctl coverage/show | grep -q '^nb_txn_failed '"
    check havip-nbctl $CL_WAIT sync

    # The old leader rejoins and learns what it missed.
    check havip_nb_member_start $leader
    wait_until "member_is_up $leader" $CL_TIMEOUT
    wait_until '[ "$(member_get '$leader' Port vm5 up)" = true ]' \
        $CL_TIMEOUT
    recompute_is_noop
}
