# -*- sh -*-
# havip-daemons.sh: start and stop private Open vSwitch and HAVIP_Northbound
# daemons in one run directory.  Sourced by utilities/havip-sandbox and by
# the test suite (tests/lib.sh); never touches the host's own OVS.
#
# Callers set HAVIP_SRCDIR (the checkout) and call havip_env RUNDIR first.
# Every daemon writes a pidfile into RUNDIR; havip_stop_all kills exactly
# those pids.

OVS_SCHEMA=${OVS_SCHEMA:-/usr/share/openvswitch/vswitch.ovsschema}

# havip_env RUNDIR: points every OVS and havip tool at RUNDIR.
havip_env() {
    HAVIP_RUNDIR=$1
    mkdir -p "$HAVIP_RUNDIR"
    export HAVIP_RUNDIR
    export OVS_RUNDIR=$HAVIP_RUNDIR OVS_LOGDIR=$HAVIP_RUNDIR \
           OVS_DBDIR=$HAVIP_RUNDIR OVS_SYSCONFDIR=$HAVIP_RUNDIR \
           OVS_PKGDATADIR=/usr/share/openvswitch
    export HAVIP_NB_DB=unix:$HAVIP_RUNDIR/havip_nb.sock
    export PATH=$HAVIP_SRCDIR/controller:$HAVIP_SRCDIR/utilities:$PATH
}

# havip_start_nb: a stock ovsdb-server serving HAVIP_Northbound, with NB_Global.
havip_start_nb() {
    rm -f "$HAVIP_RUNDIR/havip_nb.db"
    ovsdb-tool create "$HAVIP_RUNDIR/havip_nb.db" \
        "$HAVIP_SRCDIR/ovsdb/havip-nb.ovsschema" || return 1
    havip_run_nb_server
}

# havip_run_nb_server: (re)starts the NB ovsdb-server on the existing file.
havip_run_nb_server() {
    ovsdb-server --detach --no-chdir \
        --pidfile="$HAVIP_RUNDIR/havip_nb.pid" \
        --log-file="$HAVIP_RUNDIR/havip_nb.log" \
        --unixctl="$HAVIP_RUNDIR/havip_nb.ctl" \
        --remote="punix:$HAVIP_RUNDIR/havip_nb.sock" \
        "$HAVIP_RUNDIR/havip_nb.db" || return 1
    havip-nbctl --timeout=10 --may-exist init
}

# havip_start_ovs [DATAPATH_TYPE]: ovsdb-server with conf.db, ovs-vswitchd
# (--enable-dummy, so dummy and userspace datapaths both work) and the
# integration bridge br-int of DATAPATH_TYPE (default "dummy").  With
# HAVIP_OVS_NETNS set, ovs-vswitchd runs in that network namespace: the
# userspace datapath makes kernel tap devices named "ovs-netdev" and after
# each bridge, which two runs in one namespace would fight over.
havip_start_ovs() {
    dp=${1:-dummy}
    rm -f "$HAVIP_RUNDIR/conf.db"
    ovsdb-tool create "$HAVIP_RUNDIR/conf.db" "$OVS_SCHEMA" || return 1
    ovsdb-server --detach --no-chdir --pidfile --log-file \
        --remote=punix:"$HAVIP_RUNDIR/db.sock" "$HAVIP_RUNDIR/conf.db" \
        || return 1
    ovs-vsctl --no-wait -- init \
        -- set Open_vSwitch . external_ids:system-id=${HAVIP_CHASSIS:-hv1} \
        -- set Open_vSwitch . \
           external_ids:havip-remote="$HAVIP_NB_DB" || return 1
    ${HAVIP_OVS_NETNS:+ip netns exec "$HAVIP_OVS_NETNS"} \
    ovs-vswitchd --detach --no-chdir --pidfile --log-file \
        --enable-dummy --disable-system -vconsole:off || return 1
    ovs-vsctl --timeout=10 -- --may-exist add-br br-int \
        -- set bridge br-int datapath_type="$dp" \
           fail-mode=secure other-config:disable-in-band=true
}

# havip_start_controller [ARGS]: the controller, daemonized, on conf.db.
# HAVIP_CONTROLLER_OPTS adds options (e.g. -vofctrl:file:dbg).
havip_start_controller() {
    havip-controller --detach --no-chdir \
        --pidfile="$HAVIP_RUNDIR/havip-controller.pid" \
        --log-file="$HAVIP_RUNDIR/havip-controller.log" \
        --unixctl="$HAVIP_RUNDIR/havip-controller.ctl" \
        -vconsole:off ${HAVIP_CONTROLLER_OPTS:-} "$@" \
        "unix:$HAVIP_RUNDIR/db.sock"
}

# havip_alive PID: true if process PID is running.  A zombie counts as gone:
# detached daemons are children of PID 1, which may take a second or two to
# reap them.
havip_alive() {
    kill -0 "$1" 2>/dev/null || return 1
    havip_stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    havip_stat=${havip_stat##*) }
    [ "${havip_stat%% *}" != Z ]
}

# havip_kill PIDFILE [SIGNAL]: kills the daemon in PIDFILE and waits (up to
# 10 s) until it is gone.
havip_kill() {
    [ -f "$1" ] || return 0
    pid=$(cat "$1" 2>/dev/null)
    rm -f "$1"
    [ -n "$pid" ] || return 0
    kill -"${2:-TERM}" "$pid" 2>/dev/null || return 0
    i=0
    while havip_alive "$pid" && [ $i -lt 200 ]; do
        sleep 0.05
        i=$((i + 1))
    done
    kill -KILL "$pid" 2>/dev/null || true
}

# havip_netns_purge PREFIX: deletes every network namespace whose name
# starts with PREFIX, first killing, by pid, the processes left in it (a
# namespace's veths go with it).  PREFIX is a run directory's own
# (havip-topology.sh), so nothing else is touched.
havip_netns_purge() {
    [ -n "$1" ] || return 0
    for havip_ns in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
        case $havip_ns in "$1"*) ;; *) continue ;; esac
        for havip_pid in $(ip netns pids "$havip_ns" 2>/dev/null); do
            kill -KILL "$havip_pid" 2>/dev/null || true
        done
        ip netns delete "$havip_ns" 2>/dev/null || true
    done
    return 0
}

# havip_stop_all: stops every daemon whose pidfile is in HAVIP_RUNDIR, and
# removes the network namespaces of a topology built there
# (havip-topology.sh), if any.
havip_stop_all() {
    for f in "$HAVIP_RUNDIR"/*.pid; do
        [ -e "$f" ] && havip_kill "$f"
    done
    if [ -f "$HAVIP_RUNDIR/netns.prefix" ]; then
        havip_netns_purge "$(cat "$HAVIP_RUNDIR/netns.prefix")"
        rm -f "$HAVIP_RUNDIR/netns.prefix"
    fi
    return 0
}
