# -*- sh -*-
# tests/lib.sh: helpers for havip's shell tests, in the spirit of OVS's
# autotest macros.  Sourced by tests/run before each test function runs in
# its own subshell and its own directory ($TESTDIR).
#
#   check CMD...                 CMD must exit 0 (its output goes to the log)
#   check_fails RC 'TEXT' CMD... CMD must exit RC and print TEXT (exactly,
#                                one line) on stderr
#   check_output 'TEXT' CMD...   CMD must exit 0 and print exactly TEXT
#   expect_eq ACTUAL EXPECTED [WHAT]
#   wait_until 'SHELL-CONDITION' [SECONDS]   poll every 50 ms, default 10 s
#   skip WHY                     end the test as skipped
#   on_exit 'CMD'                run CMD when the test ends, pass or fail

. "$HAVIP_SRCDIR/utilities/havip-daemons.sh"

fail() {
    echo "FAILED: $*" >&2
    exit 1
}

skip() {
    echo "SKIPPED: $*" >&2
    exit 77
}

check() {
    echo "+ $*" >&2
    if ! "$@" >"$TESTDIR/check.out" 2>&1; then
        cat "$TESTDIR/check.out" >&2
        fail "command failed: $*"
    fi
    cat "$TESTDIR/check.out" >&2
}

check_fails() {
    want_rc=$1 want_err=$2
    shift 2
    echo "+ $* (expect exit $want_rc)" >&2
    rc=0
    "$@" >"$TESTDIR/check.out" 2>"$TESTDIR/check.err" || rc=$?
    cat "$TESTDIR/check.out" "$TESTDIR/check.err" >&2
    [ "$rc" = "$want_rc" ] || fail "exit status $rc, wanted $want_rc: $*"
    got=$(cat "$TESTDIR/check.err")
    [ "$got" = "$want_err" ] || fail "stderr of '$*'
  got:    $got
  wanted: $want_err"
}

check_output() {
    want=$1
    shift
    echo "+ $*" >&2
    rc=0
    got=$("$@" 2>"$TESTDIR/check.err") || rc=$?
    cat "$TESTDIR/check.err" >&2
    [ "$rc" = 0 ] || fail "exit status $rc: $*"
    [ "$got" = "$want" ] || fail "output of '$*'
--- got:
$got
--- wanted:
$want"
}

expect_eq() {
    [ "$1" = "$2" ] || fail "${3:-value}: got '$1', wanted '$2'"
}

wait_until() {
    cond=$1 limit=${2:-10}
    n=$((limit * 20)) i=0
    while ! eval "$cond" >/dev/null 2>&1; do
        i=$((i + 1))
        [ $i -ge $n ] && fail "timed out after ${limit}s waiting for: $cond"
        sleep 0.05
    done
}

on_exit() {
    HAVIP_ON_EXIT="$1; ${HAVIP_ON_EXIT:-}"
}

havip_test_cleanup() {
    # Under the test's "set -e" a failing on_exit command would end the
    # cleanup early and leave daemons behind to meet the next run's sockets.
    set +e
    eval "${HAVIP_ON_EXIT:-}"
    sanitizer_exit_controllers
    havip_stop_all
}

# sanitizer_exit_controllers: in a tree built with SANITIZE, asks every
# controller the test left running to exit by itself ("exit --restart"),
# so that LeakSanitizer checks it at exit: a daemon killed by a signal is
# not checked.  Its report goes where tests/run looks.
sanitizer_exit_controllers() {
    [ -n "$(tr -d ' \n' < "$HAVIP_SRCDIR/.sanitize.stamp" 2>/dev/null)" ] ||
        return 0
    for ctl in $(find "$TESTDIR" -maxdepth 3 -name 'havip-controller*.ctl'); do
        pid=$(cat "${ctl%.ctl}.pid" 2>/dev/null) || continue
        ovs-appctl --timeout=10 -t "$ctl" exit --restart >/dev/null 2>&1 ||
            continue
        i=0
        while havip_alive "$pid" && [ $i -lt 200 ]; do
            sleep 0.05
            i=$((i + 1))
        done
    done
}

# Strips UUIDs from stdin so outputs can be compared exactly.
filter_uuids() {
    sed -E 's/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/<uuid>/g'
}

# need_root: skip the test unless running as root.
need_root() {
    [ "$(id -u)" = 0 ] || skip "needs root"
}

# nb_field TABLE COLUMN...: prints the columns of every row of TABLE, comma
# separated in alphabetical order of column name, one row a line, sorted.
nb_field() {
    table=$1
    shift
    ovsdb-client dump --format=csv --no-headings "$HAVIP_NB_DB" \
        HAVIP_Northbound "$table" "$@" | sed 1d | tr -d '"' | sort
}

# nb_transact OP...: one raw transaction of the JSON operations OP on the
# NB database, bypassing havip-nbctl's checks.
nb_transact() {
    ops=$(IFS=,; echo "$*")
    ovsdb-client transact "$HAVIP_NB_DB" "[\"HAVIP_Northbound\",$ops]"
}

# in_rundir DIR CMD...: runs CMD with the havip environment of DIR, against
# the NB database of the current run directory.
in_rundir() {
    (
        nb_db=$HAVIP_NB_DB
        dir=$1
        shift
        havip_env "$dir"
        HAVIP_NB_DB=$nb_db
        "$@"
    )
}

# stop_rundir DIR: stops the daemons of run directory DIR.
stop_rundir() {
    (havip_env "$1" && havip_stop_all)
}
