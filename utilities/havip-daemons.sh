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
    export HAVIP_LOGDIR=$HAVIP_RUNDIR HAVIP_DBDIR=$HAVIP_RUNDIR
    export OVS_RUNDIR=$HAVIP_RUNDIR OVS_LOGDIR=$HAVIP_RUNDIR \
           OVS_DBDIR=$HAVIP_RUNDIR OVS_SYSCONFDIR=$HAVIP_RUNDIR \
           OVS_PKGDATADIR=/usr/share/openvswitch
    export HAVIP_NB_DB=unix:$HAVIP_RUNDIR/havip_nb.sock
    export PATH=$HAVIP_SRCDIR/controller:$HAVIP_SRCDIR/utilities:$PATH
}

# havip_start_nb: a stock ovsdb-server serving HAVIP_Northbound, on a new
# database file, with NB_Global.
havip_start_nb() {
    rm -f "$HAVIP_RUNDIR/havip_nb.db"
    havip_run_nb_server
}

# havip_run_nb_server: (re)starts the NB ovsdb-server on the database file
# as the packages' units do (havip-ctl start_nb): the file is created when
# missing and converted to the checkout's schema when it is of another
# version.
havip_run_nb_server() {
    "$HAVIP_SRCDIR/utilities/havip-ctl" \
        --db-nb-schema="$HAVIP_SRCDIR/ovsdb/havip-nb.ovsschema" start_nb \
        || return 1
    havip-nbctl --timeout=10 --may-exist init
}

# The NB database as a 3-member Raft cluster.  Member I (1, 2, 3) has its
# own database file havip_nb<I>.db, serves clients on
# unix:havip_nb<I>.sock, talks Raft to the others on unix:havip_nb<I>.raft
# and has its pidfile, log and control socket under the same prefix.
HAVIP_NB_MEMBERS="1 2 3"

# havip_nb_member_remote I: the client remote of member I.
havip_nb_member_remote() {
    echo "unix:$HAVIP_RUNDIR/havip_nb$1.sock"
}

# havip_nb_cluster_remotes: the comma-separated client remotes of every
# member, as HAVIP_NB_DB, havip-remote and --db take them.
havip_nb_cluster_remotes() {
    havip_r=
    for havip_i in $HAVIP_NB_MEMBERS; do
        havip_r=$havip_r${havip_r:+,}$(havip_nb_member_remote $havip_i)
    done
    echo "$havip_r"
}

# havip_start_nb_cluster: creates the cluster (member 1 with
# "ovsdb-tool create-cluster", 2 and 3 with "join-cluster"), starts the
# three ovsdb-servers, points HAVIP_NB_DB at all of them, waits until every
# member has joined and one is the leader, then creates NB_Global.  Call it
# before havip_start_ovs, which hands HAVIP_NB_DB to the controller.
havip_start_nb_cluster() {
    havip_nb_schema=$HAVIP_SRCDIR/ovsdb/havip-nb.ovsschema
    for havip_i in $HAVIP_NB_MEMBERS; do
        rm -f "$HAVIP_RUNDIR/havip_nb$havip_i.db" \
              "$HAVIP_RUNDIR/.havip_nb$havip_i.db.~lock~"
    done
    ovsdb-tool create-cluster "$HAVIP_RUNDIR/havip_nb1.db" \
        "$havip_nb_schema" "unix:$HAVIP_RUNDIR/havip_nb1.raft" || return 1
    for havip_i in $HAVIP_NB_MEMBERS; do
        [ $havip_i = 1 ] && continue
        ovsdb-tool join-cluster "$HAVIP_RUNDIR/havip_nb$havip_i.db" \
            HAVIP_Northbound "unix:$HAVIP_RUNDIR/havip_nb$havip_i.raft" \
            "unix:$HAVIP_RUNDIR/havip_nb1.raft" || return 1
    done
    for havip_i in $HAVIP_NB_MEMBERS; do
        havip_nb_member_start $havip_i || return 1
    done
    HAVIP_NB_DB=$(havip_nb_cluster_remotes)
    export HAVIP_NB_DB
    for havip_i in $HAVIP_NB_MEMBERS; do
        ovsdb-client --timeout=30 -vreconnect:warn wait \
            "$(havip_nb_member_remote $havip_i)" HAVIP_Northbound connected \
            || return 1
    done
    havip_nb_wait_leader 30 || return 1
    havip-nbctl --timeout=30 --may-exist init
}

# havip_nb_member_start I: (re)starts member I's ovsdb-server on its
# existing database file; a restarted member rejoins the cluster by itself.
havip_nb_member_start() {
    ovsdb-server --detach --no-chdir -vconsole:off \
        --pidfile="$HAVIP_RUNDIR/havip_nb$1.pid" \
        --log-file="$HAVIP_RUNDIR/havip_nb$1.log" \
        --unixctl="$HAVIP_RUNDIR/havip_nb$1.ctl" \
        --remote="punix:$HAVIP_RUNDIR/havip_nb$1.sock" \
        "$HAVIP_RUNDIR/havip_nb$1.db"
}

# havip_nb_member_kill I [SIGNAL]: kills member I (default SIGTERM; KILL
# for a crash) and waits until it is gone.
havip_nb_member_kill() {
    havip_kill "$HAVIP_RUNDIR/havip_nb$1.pid" "${2:-TERM}"
}

# havip_nb_member_status I: member I's "cluster/status" (fails if it is
# not running).
havip_nb_member_status() {
    ovs-appctl --timeout=5 -t "$HAVIP_RUNDIR/havip_nb$1.ctl" \
        cluster/status HAVIP_Northbound
}

# havip_nb_leader: prints the index of the member that is the leader now,
# or fails if none of the running members is.
havip_nb_leader() {
    for havip_i in $HAVIP_NB_MEMBERS; do
        [ -e "$HAVIP_RUNDIR/havip_nb$havip_i.pid" ] || continue
        if havip_nb_member_status $havip_i 2>/dev/null \
                | grep -q '^Role: leader$'; then
            echo $havip_i
            return 0
        fi
    done
    return 1
}

# havip_nb_wait_leader [SECONDS]: waits (default 10 s) until a member is
# the leader.
havip_nb_wait_leader() {
    havip_n=$((${1:-10} * 20))
    while ! havip_nb_leader >/dev/null; do
        havip_n=$((havip_n - 1))
        [ $havip_n -gt 0 ] || return 1
        sleep 0.05
    done
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
