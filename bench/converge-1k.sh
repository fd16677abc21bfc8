#!/bin/bash
# bench/converge-1k.sh [N]: a rough figure for "DB commit -> flows installed"
# with N (default 1,000) HAVIP+EIP bindings on one chassis, through the
# operator's path: one havip-nbctl --wait=hv transaction.  bench/run is the
# rigorous benchmark; this is the quick check behind issue 4's closing note.
#
# Shape (as bench/shape.py): N pairs of local VM ports (dummy interfaces on
# br-int, dummy datapath), each pair in its own /24 subnet of one VPC; HAVIP
# k is associated with pair k's two ports, held by the first and bound to
# its own EIP.  Steps:
#   1. region, VPC, subnets and ports (2N ports on br-int), waited for;
#   2. timed: N bindings (havip-add, 2 x havip-associate, havip-set-holder,
#      eip-add, eip-bind) in ONE havip-nbctl transaction with --wait=hv;
#   3. baseline: the same flows, dumped from the switch, removed and added
#      back by one 'ovs-ofctl --bundle add-flows' (controller stopped).
# Prints the times, the controller's ofctrl/show and the flows per binding.
#
# Needs nothing but a build ('make'); does not need root.  Run directory:
# $HAVIP_BENCH_RUNDIR (default /tmp/havip-converge-1k), cleared first.

set -eu

N=${1:-1000}
srcdir=$(cd "$(dirname "$0")/.." && pwd)
rundir=${HAVIP_BENCH_RUNDIR:-/tmp/havip-converge-1k}
export HAVIP_SRCDIR=$srcdir
. "$srcdir/utilities/havip-daemons.sh"

[ "$N" -ge 1 ] && [ "$N" -le 60000 ] || {
    echo "converge-1k: N must be 1..60000" >&2
    exit 1
}
havip_env "$rundir"
havip_stop_all
rm -f "$rundir"/*.db "$rundir"/*.log
trap havip_stop_all EXIT

now() {
    date +%s.%N
}

secs() {
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'
}

ctl() {
    ovs-appctl -t "$HAVIP_RUNDIR/havip-controller.ctl" "$@"
}

havip_flows() {
    ovs-ofctl -O OpenFlow15 dump-flows --no-stats br-int \
        cookie=0x4856000000000000/0xffff000000000000 | grep -c 'table='
}

# Pair i: subnet 10.<i/256>.<i%256>.0/24 (sets $net), its ports .11 and
# .12 (sets $mac for side 11 or 12).  No subshells: the loops stay fast.
set_net() {
    net=10.$(($1 / 256)).$(($1 % 256))
}

set_mac() {
    printf -v mac '0a:00:00:%02x:%02x:%02x' $(($1 >> 8)) $(($1 & 255)) $2
}

havip_start_nb
havip_start_ovs
havip_start_controller
havip-nbctl --timeout=30 --wait=hv sync

# 1. Ports, subnets, uplink.
nb=() vsctl=(-- set Open_vSwitch . external_ids:havip-uplink=pub
             -- add-port br-int pub -- set interface pub type=dummy)
for ((i = 0; i < N; i++)); do
    set_net $i
    nb+=(-- subnet-add vpc1 s$i $net.0/24)
    for side in 11 12; do
        p=p$i; [ $side = 11 ] && p+=a || p+=b
        set_mac $i $side
        nb+=(-- port-add s$i $p $mac $net.$side)
        vsctl+=(-- add-port br-int $p
                -- set interface $p type=dummy external_ids:iface-id=$p)
    done
done
t0=$(now)
havip-nbctl --timeout=600 region-add r1 0a:ff:00:00:00:01 -- vpc-add r1 vpc1 \
    "${nb[@]}"
ta=$(now)
ovs-vsctl --timeout=600 "${vsctl[@]}"
tb=$(now)
havip-nbctl --timeout=600 --wait=hv sync
t1=$(now)
f_ports=$(havip_flows)
echo "step 1: $N subnets, $((2 * N)) ports on br-int: $(secs $t0 $t1) s" \
     "(havip-nbctl $(secs $t0 $ta) s, ovs-vsctl $(secs $ta $tb) s," \
     "then installed in $(secs $tb $t1) s), $f_ports flows"

# 2. N bindings, one transaction, timed from the command's start to its
# return with every flow acknowledged by the switch (--wait=hv).
args=()
for ((k = 0; k < N; k++)); do
    set_net $k
    args+=(-- havip-add s$k hv$k $net.100
           -- havip-associate hv$k p${k}a -- havip-associate hv$k p${k}b
           -- havip-set-holder hv$k p${k}a
           -- eip-add r1 e$k 100.64.$((k / 250)).$((k % 250 + 1))
           -- eip-bind e$k hv$k)
done
t0=$(now)
havip-nbctl --timeout=600 --wait=hv "${args[@]:1}"
t1=$(now)
f_all=$(havip_flows)
echo "step 2: $N HAVIP+EIP bindings in one havip-nbctl --wait=hv" \
     "transaction: $(secs $t0 $t1) s"
# The same once more, split into havip-nbctl's own time (checks and commit,
# --wait=none) and the controller's (DB commit -> flows acknowledged).
dels=()
for ((k = 0; k < N; k++)); do
    dels+=(-- havip-del hv$k -- eip-del e$k)
done
havip-nbctl --timeout=600 --wait=hv "${dels[@]:1}"
t0=$(now)
havip-nbctl --timeout=600 "${args[@]:1}"
ta=$(now)
havip-nbctl --timeout=600 --wait=hv sync
t1=$(now)
echo "        again, without --wait: havip-nbctl $(secs $t0 $ta) s, then" \
     "installed $(secs $ta $t1) s later (one 'sync' round trip included)"
echo "controller ofctrl/show after step 2:"
ctl ofctrl/show | sed 's/^/  /'
if ctl list-commands 2>/dev/null | grep -q 'ofctrl/latency'; then
    echo "controller ofctrl/latency:"
    ctl ofctrl/latency | sed 's/^/  /'
fi
echo "flows: $f_all in all; $f_ports for subnets and ports;" \
     "$((f_all - f_ports)) for the bindings:" \
     "$(awk -v a=$((f_all - f_ports)) -v n=$N 'BEGIN { printf "%.1f", a / n }')" \
     "per binding ($(awk -v a=$f_all -v n=$N 'BEGIN { printf "%.1f", a / n }')" \
     "per binding with its port pair and subnet)"

# 3. Baseline: the same flows in one bundle, straight into the switch.
ovs-ofctl -O OpenFlow15 dump-flows --no-stats br-int \
    cookie=0x4856000000000000/0xffff000000000000 \
    | sed 's/^ *//' > "$rundir/flows.txt"
havip_kill "$rundir/havip-controller.pid"
ovs-ofctl -O OpenFlow15 del-flows br-int
t0=$(now)
ovs-ofctl -O OpenFlow15 --bundle add-flows br-int "$rundir/flows.txt"
ovs-ofctl -O OpenFlow15 dump-flows br-int table=0 >/dev/null
t1=$(now)
echo "baseline: ovs-ofctl --bundle add-flows of the same $f_all flows:" \
     "$(secs $t0 $t1) s"
