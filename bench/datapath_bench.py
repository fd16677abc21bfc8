# bench/datapath_bench.py: datapath throughput, EIP path vs plain L2.
#
# Real packets on the userspace (netdev) datapath, in network namespaces
# built by utilities/havip-topology.sh (vm1 holds hv1 10.0.1.100 with EIP
# 203.0.113.10; vm2 is in the same subnet; pub is the public side).  iperf3
# TCP, one stream each:
#
#   eip      pub -> 203.0.113.10 (DNAT to the HAVIP, delivered to vm1)
#   eip -R   the same connection, vm1 sending (SNAT to the EIP, out pub)
#   l2       vm2 -> vm1 (10.0.1.11), same subnet, same bridge
#
# BENCH_IPERF_ROUNDS interleaved rounds; medians.  ratio = the median over
# rounds of eip / l2 (target >= 0.9).

import json
import os
import time

import lib
from lib import log


def iperf(run, client_ns, server_ns, addr, secs, reverse=False):
    """Gbit/s received in one iperf3 TCP test from 'client_ns' to 'addr'
    served in 'server_ns'."""
    pidfile = run.path("iperf3-%s.pid" % server_ns)
    run.sh("havip_topo_exec %s iperf3 -s -1 -D -I %s --logfile %s"
           % (server_ns, pidfile, run.path("iperf3-server.log")))
    time.sleep(0.5)
    args = "-c %s -t %d -J -O 1" % (addr, secs)
    if reverse:
        args += " -R"
    out = run.sh("havip_topo_exec %s iperf3 %s" % (client_ns, args),
                 capture=True)
    r = json.loads(out)
    return r["end"]["sum_received"]["bits_per_second"] / 1e9


def run(opts):
    r = lib.Run("datapath")
    topo = os.path.join(lib.SRCDIR, "utilities", "havip-topology.sh")
    if os.geteuid() != 0:
        return {"status": "skipped: needs root (namespaces)"}
    if not os.path.exists(topo):
        return {"status": "skipped: utilities/havip-topology.sh not there"}
    secs = opts["iperf_secs"]
    res = {"iperf_secs": secs}
    try:
        r.sh("havip_start_nb >/dev/null && havip_topo_host && "
             "havip_start_ovs netdev && havip_start_controller && "
             "havip_topo_create vm1")
        r.sh("havip-nbctl --timeout=30 --wait=hv sync")
        eip = r.sh("echo $HAVIP_TOPO_EIP", capture=True).strip()
        # Warm-up: ARP and the first upcalls.
        r.sh("havip_topo_exec pub ping -c 3 -i 0.2 -W 2 %s >/dev/null" % eip)
        r.sh("havip_topo_exec vm2 ping -c 3 -i 0.2 -W 2 10.0.1.11 "
             ">/dev/null")
        # Interleaved rounds, medians: this machine is noisy.
        runs = {"eip": [], "l2": [], "eip_reverse": []}
        for _ in range(opts["iperf_rounds"]):
            runs["eip"].append(iperf(r, "pub", "vm1", eip, secs))
            runs["l2"].append(iperf(r, "vm2", "vm1", "10.0.1.11", secs))
            runs["eip_reverse"].append(iperf(r, "pub", "vm1", eip, secs,
                                             reverse=True))
        res["rounds"] = runs
        for k, v in runs.items():
            res[k + "_gbps"] = lib.percentile(v, 50)
        # Each round's tests run back to back: the median of the per-round
        # ratios cancels most of the machine's drift.
        res["ratio"] = lib.percentile(
            [e / l for e, l in zip(runs["eip"], runs["l2"])], 50)
        res["reverse_ratio"] = lib.percentile(
            [e / l for e, l in zip(runs["eip_reverse"], runs["l2"])], 50)
        log("datapath: EIP %.2f Gbit/s, reverse %.2f, L2 %.2f: ratio %.2f"
            % (res["eip_gbps"], res["eip_reverse_gbps"], res["l2_gbps"],
               res["ratio"]))
    except Exception as e:
        res["status"] = "failed: %s" % e
        log("datapath: %s" % res["status"])
    finally:
        r.sh("havip_topo_destroy", check=False)
        r.stop()
    return res
