# -*- sh -*-
# tests/controller.sh: havip-controller against private OVS and NB daemons:
# Chassis registration, nb_cfg acknowledgement and hv_cfg, restarts of
# either database and of the controller, unixctl, bad local configuration.

CTL_TIMEOUT=20

# ctl [ARGS]: ovs-appctl to the controller of the current run directory.
ctl() {
    ovs-appctl -t "$HAVIP_RUNDIR/havip-controller.ctl" "$@"
}

# start_all: the NB database, OVS and the controller, controller registered.
start_all() {
    check havip_start_nb
    check havip_start_ovs
    check havip_start_controller
    wait_until '[ "$(havip-nbctl chassis-list)" = hv1 ]'
}

# sync_hv: havip-nbctl --wait=hv sync, which must succeed.
sync_hv() {
    check havip-nbctl --timeout=$CTL_TIMEOUT --wait=hv sync
}

# check_rc RC CMD...: CMD must exit with status RC.
check_rc() {
    want_rc=$1
    shift
    echo "+ $* (expect exit $want_rc)" >&2
    rc=0
    "$@" >&2 || rc=$?
    [ "$rc" = "$want_rc" ] || fail "exit status $rc, wanted $want_rc: $*"
}

# controller_alive: the controller of the current run directory is running.
controller_alive() {
    havip_alive "$(cat "$HAVIP_RUNDIR/havip-controller.pid")"
}


test_controller_registers_chassis() {
    start_all
    expect_eq "$(nb_field Chassis name hostname)" "$(hostname),hv1" \
        "Chassis row"
    check controller_alive
    check_output 'nb: connected (unix:'"$HAVIP_RUNDIR"'/havip_nb.sock)
ovs: connected (unix:'"$HAVIP_RUNDIR"'/db.sock)' ctl connection-status
}

test_controller_acks_nb_cfg() {
    start_all
    for i in 1 2 3; do
        sync_hv
    done
    expect_eq "$(nb_field NB_Global hv_cfg nb_cfg)" "3,3" "hv_cfg,nb_cfg"
    expect_eq "$(nb_field Chassis name nb_cfg)" "hv1,3" "Chassis nb_cfg"

    # A raw bump, as another client would write it, is acknowledged too.
    check ovsdb-client transact "$HAVIP_NB_DB" '["HAVIP_Northbound",
        {"op": "mutate", "table": "NB_Global", "where": [],
         "mutations": [["nb_cfg", "+=", 10]]}]'
    wait_until '[ "$(nb_field NB_Global hv_cfg)" = 13 ]'
    expect_eq "$(nb_field Chassis nb_cfg)" 13 "Chassis nb_cfg"
}

test_controller_wait_hv_times_out_without_controller() {
    check havip_start_nb
    check_rc 1 havip-nbctl --timeout=1 --wait=hv sync

    # A chassis whose controller is gone blocks --wait=hv the same way.
    check havip_start_ovs
    check havip_start_controller
    wait_until '[ "$(havip-nbctl chassis-list)" = hv1 ]'
    sync_hv
    check havip_kill "$HAVIP_RUNDIR/havip-controller.pid"
    check_rc 1 havip-nbctl --timeout=1 --wait=hv sync
    expect_eq "$(havip-nbctl chassis-list)" hv1 "chassis after SIGTERM"
}

test_controller_nb_restart() {
    start_all
    sync_hv

    # Same database file: the controller reconnects and keeps acking.
    check havip_kill "$HAVIP_RUNDIR/havip_nb.pid"
    wait_until "ctl connection-status | grep -q '^nb: not connected'"
    check havip_run_nb_server
    sync_hv
    expect_eq "$(nb_field Chassis name)" hv1 "Chassis rows"

    # A database that comes back empty: the row is registered again.
    check havip_kill "$HAVIP_RUNDIR/havip_nb.pid"
    check havip_start_nb
    wait_until '[ "$(havip-nbctl chassis-list)" = hv1 ]' $CTL_TIMEOUT
    sync_hv
    expect_eq "$(nb_field Chassis name nb_cfg)" "hv1,1" "Chassis row"
    check controller_alive
}

test_controller_ovs_restart() {
    start_all
    check havip_kill "$HAVIP_RUNDIR/ovs-vswitchd.pid"
    check havip_kill "$HAVIP_RUNDIR/ovsdb-server.pid"
    wait_until "ctl connection-status | grep -q '^ovs: not connected'"
    check havip_start_ovs
    wait_until "ctl connection-status | grep -q '^ovs: connected'" \
        $CTL_TIMEOUT
    sync_hv
    check controller_alive
}

test_controller_restart() {
    start_all
    sync_hv
    check havip_kill "$HAVIP_RUNDIR/havip-controller.pid"
    check havip_start_controller
    sync_hv
    expect_eq "$(nb_field Chassis name nb_cfg)" "hv1,2" "Chassis row"

    # "exit --restart" leaves the row for the next instance.
    check ctl exit --restart
    wait_until '[ ! -e "$HAVIP_RUNDIR/havip-controller.pid" ]'
    expect_eq "$(havip-nbctl chassis-list)" hv1 "chassis after --restart"
    check havip_start_controller
    sync_hv
    expect_eq "$(nb_field Chassis name nb_cfg)" "hv1,3" "Chassis row"
}

test_controller_exit_deletes_chassis() {
    start_all
    sync_hv
    check ctl exit
    expect_eq "$(havip-nbctl chassis-list)" "" "chassis after exit"
    wait_until '[ ! -e "$HAVIP_RUNDIR/havip-controller.pid" ]'
    check_rc 1 havip-nbctl --timeout=1 --wait=hv sync
}

test_controller_missing_system_id() {
    check havip_start_nb
    check havip_start_ovs
    check ovs-vsctl remove Open_vSwitch . external_ids system-id
    check havip_start_controller
    wait_until "grep -q 'external_ids:system-id is not set' \
        '$HAVIP_RUNDIR/havip-controller.log'"
    check controller_alive
    expect_eq "$(havip-nbctl chassis-list)" "" "chassis without system-id"

    check ovs-vsctl set Open_vSwitch . external_ids:system-id=hv7
    wait_until '[ "$(havip-nbctl chassis-list)" = hv7 ]'
    sync_hv

    # A new system-id renames the row rather than adding a second one.
    check ovs-vsctl set Open_vSwitch . external_ids:system-id=hv8
    wait_until '[ "$(havip-nbctl chassis-list)" = hv8 ]'
    sync_hv
}

test_controller_missing_nb_global() {
    rm -f "$HAVIP_RUNDIR/havip_nb.db"
    check ovsdb-tool create "$HAVIP_RUNDIR/havip_nb.db" \
        "$HAVIP_SRCDIR/ovsdb/havip-nb.ovsschema"
    check ovsdb-server --detach --no-chdir \
        --pidfile="$HAVIP_RUNDIR/havip_nb.pid" \
        --log-file="$HAVIP_RUNDIR/havip_nb.log" \
        --remote="punix:$HAVIP_RUNDIR/havip_nb.sock" \
        "$HAVIP_RUNDIR/havip_nb.db"
    check havip_start_ovs
    check havip_start_controller
    wait_until '[ "$(havip-nbctl chassis-list)" = hv1 ]'
    wait_until "grep -q 'has no NB_Global row' \
        '$HAVIP_RUNDIR/havip-controller.log'"
    check controller_alive

    check havip-nbctl init
    sync_hv
}

test_controller_follows_remote() {
    check havip_start_nb
    check havip_start_ovs
    # Start against an NB database that is not there yet.
    check ovs-vsctl set Open_vSwitch . \
        external_ids:havip-remote="unix:$HAVIP_RUNDIR/elsewhere.sock"
    check havip_start_controller
    wait_until "ctl connection-status | grep -q \
        '^nb: not connected (unix:$HAVIP_RUNDIR/elsewhere.sock'"
    check controller_alive

    check ovs-vsctl set Open_vSwitch . external_ids:havip-remote="$HAVIP_NB_DB"
    wait_until '[ "$(havip-nbctl chassis-list)" = hv1 ]' $CTL_TIMEOUT
    sync_hv
}

test_controller_creates_bridge() {
    check havip_start_nb
    check havip_start_ovs
    check ovs-vsctl set Open_vSwitch . external_ids:havip-bridge=br-test \
        external_ids:havip-bridge-datapath-type=dummy \
        external_ids:havip-uplink=eth-pub
    check havip_start_controller
    wait_until 'ovs-vsctl br-exists br-test'
    expect_eq "$(ovs-vsctl get Bridge br-test fail_mode datapath_type)" \
        "secure
dummy" "br-test settings"
    expect_eq "$(ovs-vsctl get Interface br-test type)" internal \
        "br-test interface"
    wait_until "grep -q 'havip-uplink is \"eth-pub\"' \
        '$HAVIP_RUNDIR/havip-controller.log'"
    sync_hv
}

test_controller_two_chassis() {
    start_all
    hv2=$TESTDIR/hv2
    on_exit "stop_rundir '$hv2'"
    HAVIP_CHASSIS=hv2 check in_rundir "$hv2" havip_start_ovs
    check in_rundir "$hv2" havip_start_controller
    wait_until '[ "$(havip-nbctl chassis-list | tr "\n" " ")" = "hv1 hv2 " ]'
    sync_hv
    expect_eq "$(nb_field Chassis name nb_cfg)" "hv1,1
hv2,1" "Chassis rows"

    # With hv2 stopped (row kept), hv_cfg waits for it.
    check in_rundir "$hv2" ctl exit --restart
    wait_until '[ ! -e "$hv2/havip-controller.pid" ]'
    check_rc 1 havip-nbctl --timeout=1 --wait=hv sync
    expect_eq "$(nb_field Chassis name nb_cfg)" "hv1,2
hv2,1" "Chassis rows"
    expect_eq "$(nb_field NB_Global hv_cfg)" 1 "hv_cfg"

    # Back up, it catches up and hv_cfg with it.
    check in_rundir "$hv2" havip_start_controller
    sync_hv
    expect_eq "$(nb_field NB_Global hv_cfg nb_cfg)" "3,3" "hv_cfg,nb_cfg"

    # A clean exit of hv2 removes it from the minimum.
    check in_rundir "$hv2" ctl exit
    expect_eq "$(havip-nbctl chassis-list)" hv1 "chassis after exit"
    sync_hv
}

test_controller_options() {
    check havip-controller --help
    grep -q 'usage: havip-controller' "$TESTDIR/check.out" \
        || fail "--help output"
    check havip-controller --version
    grep -q 'HAVIP_Northbound DB Schema' "$TESTDIR/check.out" \
        || fail "--version output"
    check_rc 1 havip-controller --no-such-option
    check_rc 1 havip-controller a b
    check man -P cat -l "$HAVIP_SRCDIR/controller/havip-controller.8"
}

test_sandbox_no_shell() {
    sb=$TESTDIR/sb
    on_exit "'$HAVIP_SRCDIR/utilities/havip-sandbox' --stop --rundir '$sb'"
    check "$HAVIP_SRCDIR/utilities/havip-sandbox" --no-shell --rundir "$sb"
    grep -q -- "--stop --rundir=$sb" "$TESTDIR/check.out" \
        || fail "no stop instructions"
    (
        . "$sb/env.sh"
        check_output hv1 havip-nbctl chassis-list
        check havip-nbctl --timeout=$CTL_TIMEOUT --wait=hv sync
        check ovs-vsctl br-exists br-int
        check ovs-appctl -t "$sb/havip-controller.ctl" connection-status
    ) || fail "sandbox not usable"

    # A running sandbox is not started over, nor a foreign directory used.
    check_rc 1 "$HAVIP_SRCDIR/utilities/havip-sandbox" --no-shell \
        --rundir "$sb"
    mkdir "$TESTDIR/other" && touch "$TESTDIR/other/precious"
    check_rc 1 "$HAVIP_SRCDIR/utilities/havip-sandbox" --no-shell \
        --rundir "$TESTDIR/other"
    [ -e "$TESTDIR/other/precious" ] || fail "foreign directory cleared"

    pids=$(cat "$sb"/*.pid)
    expect_eq "$(echo "$pids" | wc -l)" 4 "number of daemons"
    check "$HAVIP_SRCDIR/utilities/havip-sandbox" --stop --rundir "$sb"
    for pid in $pids; do
        ! havip_alive "$pid" || fail "daemon $pid still running"
    done
    [ -z "$(ls "$sb"/*.pid 2>/dev/null)" ] || fail "pidfiles left"
}

test_sandbox_shell() {
    sb=$TESTDIR/sb
    on_exit "'$HAVIP_SRCDIR/utilities/havip-sandbox' --stop --rundir '$sb'"
    # The shell gets the environment; leaving it stops every daemon.
    echo 'havip-nbctl chassis-list > chassis.out; echo $HAVIP_NB_DB > db.out' \
        | SHELL=/bin/sh check "$HAVIP_SRCDIR/utilities/havip-sandbox" \
                              --rundir "$sb"
    expect_eq "$(cat chassis.out)" hv1 "chassis in the sandbox shell"
    expect_eq "$(cat db.out)" "unix:$sb/havip_nb.sock" "HAVIP_NB_DB"
    [ -z "$(ls "$sb"/*.pid 2>/dev/null)" ] || fail "daemons left running"
}
