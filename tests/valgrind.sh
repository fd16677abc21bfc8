# -*- sh -*-
# tests/valgrind.sh: havip-controller under valgrind's memcheck on the
# dummy datapath: started, given bindings, holder changes (a database
# write and a GARP learned through netdev-dummy/receive), a recompute, and
# a clean "exit"; valgrind must report no error and no definite leak.

. "$HAVIP_SRCDIR/tests/lib-dataplane.sh"

VALGRIND_RC=99

# havip_start_controller, as dp_setup calls it: the controller in the
# foreground of a background valgrind (so the pidfile names valgrind's
# process, which is the controller's), then wait for its control socket.
havip_start_controller() {
    valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite \
        --show-leak-kinds=definite --error-exitcode=$VALGRIND_RC \
        --num-callers=30 --log-file="$HAVIP_RUNDIR/valgrind.log" \
        havip-controller --no-chdir \
        --pidfile="$HAVIP_RUNDIR/havip-controller.pid" \
        --log-file="$HAVIP_RUNDIR/havip-controller.log" \
        --unixctl="$HAVIP_RUNDIR/havip-controller.ctl" \
        -vconsole:off "unix:$HAVIP_RUNDIR/db.sock" \
        >"$HAVIP_RUNDIR/valgrind.out" 2>&1 &
    VALGRIND_PID=$!
    wait_until '[ -S "$HAVIP_RUNDIR/havip-controller.ctl" ]' 60
}

test_valgrind_controller() {
    command -v valgrind >/dev/null || skip "valgrind is not installed"
    [ -s "$HAVIP_SRCDIR/.sanitize.stamp" ] &&
        [ "$(tr -d ' \n' < "$HAVIP_SRCDIR/.sanitize.stamp")" ] &&
        skip "built with sanitizers (valgrind cannot run ASan binaries)"
    WAIT="--timeout=60 --wait=hv"
    dp_setup
    ctl="ovs-appctl --timeout=60 -t $HAVIP_RUNDIR/havip-controller.ctl"

    # Holder changes: an operator's write, then a learned GARP.
    check havip-nbctl $WAIT havip-set-holder hv1 vm2
    check ovs-appctl netdev-dummy/receive vm1 "eth(src=0a:00:00:00:01:0b,dst=ff:ff:ff:ff:ff:ff),eth_type(0x0806),arp(sip=10.0.1.100,tip=10.0.1.100,op=1,sha=0a:00:00:00:01:0b,tha=00:00:00:00:00:00)"
    wait_until '[ "$(havip-nbctl havip-get-holder hv1)" = vm1 ]' 60
    # More bindings, a binding refused by a rule, a port going away.
    check havip-nbctl $WAIT havip-add s1 hv2 10.0.1.101 \
        -- havip-associate hv2 vm1 -- havip-associate hv2 vm2 \
        -- eip-add r1 e2 203.0.113.11 -- eip-bind e2 hv2
    check ovsdb-client transact "$HAVIP_NB_DB" \
        "[\"HAVIP_Northbound\",{\"op\":\"update\",\"table\":\"Port\",\"where\":[[\"name\",\"==\",\"vm3\"]],\"row\":{\"eip\":[\"uuid\",\"$(havip-nbctl get EIP e2 _uuid)\"]}}]"
    check havip-nbctl $WAIT sync
    check ovs-vsctl del-port br-int vm4
    check havip-nbctl $WAIT sync
    check $ctl recompute
    check $ctl flows/dump
    check $ctl havip/show
    check havip-nbctl $WAIT havip-del hv2

    check $ctl exit
    rc=0
    wait "$VALGRIND_PID" || rc=$?
    cat "$HAVIP_RUNDIR/valgrind.log" >&2
    [ "$rc" = 0 ] || fail "valgrind exited $rc (error exit code $VALGRIND_RC)"
    if grep -E 'Invalid (read|write|free)|uninitialised|Mismatched free|are definitely lost|Syscall param' \
            "$HAVIP_RUNDIR/valgrind.log"; then
        fail "valgrind reported errors or definite leaks"
    fi
    # The controller ran all along (a crash would have ended it early).
    check_output '' havip-nbctl --bare --columns=name list Chassis
}
