# bench/report.py: the table 'make bench' prints, from bench/results.json.
#
# Every row: figure, N, havip's value, the baseline measured in the same run
# (and what it is), their ratio, the target, and whether it is met.
# 'python3 bench/report.py [results.json]' reprints a saved run.

import json
import os
import sys


def le(v, limit):
    """v <= limit, or None when v is unknown."""
    return None if v is None else v <= limit


def fmt(v, spec="%.2f"):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    return spec % v


class Table:
    def __init__(self):
        self.rows = []

    def add(self, figure, n, value, baseline="", base_value=None,
            ratio=None, target="", met=None, spec="%.2f"):
        self.rows.append([figure, fmt(n, "%d") if n else "",
                          fmt(value, spec),
                          ("%s %s" % (fmt(base_value, spec), baseline)
                           if baseline else ""),
                          fmt(ratio, "%.2fx"), target,
                          "" if met is None else ("met" if met else "MISSED")])

    def render(self):
        head = ["figure", "N", "havip", "baseline (same run)", "ratio",
                "target", ""]
        rows = [head] + self.rows
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        lines = []
        for j, r in enumerate(rows):
            cells = [r[0].ljust(widths[0]), r[1].rjust(widths[1])]
            cells += [c.ljust(w) for c, w in zip(r[2:], widths[2:])]
            lines.append("  ".join(cells).rstrip())
            if j == 0:
                lines.append("-" * len(lines[0]))
        return "\n".join(lines) + "\n"


def by_n(items):
    return {x["n"]: x for x in items}


def slope(items, key):
    """Per-binding slope of 'key(item)' between the two largest N."""
    pts = sorted((x["n"], key(x)) for x in items if key(x) is not None)
    if len(pts) < 2:
        return None
    (n0, v0), (n1, v1) = pts[-2], pts[-1]
    return (v1 - v0) / float(n1 - n0)


def havip_rows(t, res):
    hv = res.get("havip", [])
    ovn = by_n(res.get("ovn", []))
    big = max([x["n"] for x in hv] or [0])
    for x in hv:
        n = x["n"]
        c = x.get("converge", {})
        t.add("converge: NB commit -> flows acked (s)", n, c.get("total_s"),
              "replace-flows", c.get("baseline_s"), c.get("ratio"),
              "<= 1.2x at 100k",
              le(c.get("ratio"), 1.2) if n >= 100000 else None)
        if c.get("after_commit_s") is not None:
            t.add("  of which after the NB commit reply (s)", n,
                  c.get("after_commit_s"), "replace-flows",
                  c.get("baseline_s"), c.get("after_commit_ratio"),
                  "<= 1.2x at 100k",
                  le(c.get("after_commit_ratio"), 1.2)
                  if n >= 100000 else None)
    for x in hv:
        n, f = x["n"], x.get("flows", {})
        t.add("flows per binding (HAVIP/EIP-owned)", n, f.get("per_binding"),
              target="<= 10, flat", met=le(f.get("per_binding"), 10),
              spec="%.1f")
    for x in hv:
        n, f = x["n"], x.get("flows", {})
        t.add("flows per binding (all flows / N)", n,
              f.get("total_per_binding"), spec="%.1f")
    s = slope(hv, lambda x: x.get("flows", {}).get("total"))
    if s is not None:
        t.add("flows per binding (slope, two largest N)", "", s, spec="%.1f")
    for x in hv:
        n, m = x["n"], x.get("memory", {})
        t.add("controller RSS per binding (bytes)", n,
              m.get("per_binding_bytes"),
              target="<= 1536", met=le(m.get("per_binding_bytes"), 1536)
              if n == big else None, spec="%.0f")
    for x in hv:
        n, i = x["n"], x.get("idle", {})
        cpu = i.get("cpu_percent", {})
        t.add("idle controller CPU (%%, %ds, traffic on)"
              % (i.get("secs") or 0), n, cpu.get("controller"),
              "vswitchd", cpu.get("vswitchd"), target="~0",
              met=le(cpu.get("controller"), 0.5), spec="%.2f")
    for x in hv:
        n, i = x["n"], x.get("idle", {})
        t.add("packet-ins in steady state", n, i.get("packet_ins"),
              target="0", met=i.get("packet_ins") == 0, spec="%d")
    for x in hv:
        n, fo = x["n"], x.get("failover", {})
        sh, sy = fo.get("set_holder", {}), fo.get("sync_baseline", {})
        if not sh:
            continue
        t.add("failover: NB holder write -> acked, p50 (ms)", n,
              sh.get("p50_ms"), "nb_cfg-only round trip", sy.get("p50_ms"),
              sh.get("ratio_to_sync"), "<= 2 ms at 100k",
              sh.get("p50_ms") <= 2 if n >= 100000 else None)
        t.add("failover: NB holder write -> acked, p99 (ms)", n,
              sh.get("p99_ms"), "nb_cfg-only round trip", sy.get("p99_ms"),
              None if not sy.get("p99_ms") else sh["p99_ms"] / sy["p99_ms"],
              "<= 10 ms at 100k",
              sh.get("p99_ms") <= 10 if n >= 100000 else None)
        ol = fo.get("ofctrl_latency", {})
        ack = ol.get("change to switch ack", {})
        bare = sy.get("ofctrl_latency", {}).get(
            "barrier round trip, no change", {})
        if ack.get("n"):
            t.add("  in controller: change -> switch ack, p50 (ms)", n,
                  ack["p50_ms"], "bare barrier", bare.get("p50_ms"),
                  ratio_(ack["p50_ms"], bare.get("p50_ms")))
            t.add("  in controller: change -> switch ack, p99 (ms)", n,
                  ack["p99_ms"], "bare barrier", bare.get("p99_ms"),
                  ratio_(ack["p99_ms"], bare.get("p99_ms")))
        sent = ol.get("change to bundle sent", {})
        if sent.get("n"):
            t.add("  in controller: change -> bundle sent, p50/p99 (ms)", n,
                  "%.2f / %.2f" % (sent["p50_ms"], sent["p99_ms"]))
        ct = fo.get("controller_trace", {})
        if ct.get("total"):
            t.add("  controller: NB update -> Chassis ack, p50/p99 (ms)", n,
                  "%.0f / %.0f" % (ct["total"]["p50_ms"],
                                   ct["total"]["p99_ms"]))
            t.add("  of which switch: bundle -> barrier reply, p50 (ms)", n,
                  ct["switch"]["p50_ms"], spec="%.0f")
        g = fo.get("garp", {})
        gack = g.get("ofctrl_latency", {}).get("change to switch ack", {})
        if g.get("flows"):
            t.add("failover: GARP -> switch forwards to new holder, p50 (ms)",
                  n, g["flows"]["p50_ms"], target="<= 2 ms at 100k",
                  met=g["flows"]["p50_ms"] <= 2 if n >= 100000 else None)
            t.add("failover: GARP -> switch forwards to new holder, p99 (ms)",
                  n, g["flows"]["p99_ms"], target="<= 10 ms at 100k",
                  met=g["flows"]["p99_ms"] <= 10 if n >= 100000 else None)
            t.add("failover: GARP -> HAVIP.holder in NB, p50 (ms)", n,
                  g["db"]["p50_ms"])
            if gack.get("n"):
                t.add("  in controller: learned -> switch ack, p50/p99 (ms)",
                      n, "%.2f / %.2f" % (gack["p50_ms"], gack["p99_ms"]))
        elif g.get("status"):
            t.add("failover: GARP", n, g["status"])
        nb = fo.get("nbctl")
        if nb:
            t.add("havip-nbctl --wait=hv havip-set-holder, p50 (ms)", n,
                  nb.get("p50_ms"), spec="%.0f")
        ofs = fo.get("ofctrl_show", "")
        for line in ofs.splitlines():
            if line.startswith("pushes:"):
                t.add("  ofctrl/show after failovers", n, line)
    # Control run with few ports.
    x = res.get("havip_control")
    if x and x.get("failover"):
        n, fo = x["n"], x["failover"]
        sh, sy = fo.get("set_holder", {}), fo.get("sync_baseline", {})
        lbl = "[%d ports]" % (2 * x["pairs"])
        t.add("%s failover: NB holder write -> acked, p50/p99 (ms)" % lbl,
              n, "%.2f / %.2f" % (sh["p50_ms"], sh["p99_ms"]),
              "nb_cfg-only", sy.get("p50_ms"), sh.get("ratio_to_sync"))
        ack = fo.get("ofctrl_latency", {}).get("change to switch ack", {})
        bare = sy.get("ofctrl_latency", {}).get(
            "barrier round trip, no change", {})
        if ack.get("n"):
            t.add("%s in controller: change -> switch ack, p50 (ms)" % lbl,
                  n, ack["p50_ms"], "bare barrier", bare.get("p50_ms"),
                  ratio_(ack["p50_ms"], bare.get("p50_ms")))
        g = fo.get("garp", {})
        if g.get("flows"):
            t.add("%s failover: GARP -> switch forwards, p50/p99 (ms)" % lbl,
                  n, "%.2f / %.2f" % (g["flows"]["p50_ms"],
                                      g["flows"]["p99_ms"]))
    # OVN alone.
    for n, o in sorted(ovn.items()):
        if o.get("error"):
            t.add("OVN", n, o["error"][:60])
        oc = o.get("converge", {})
        if oc:
            t.add("OVN: NB commit -> hv_cfg (s)", n, oc.get("total_s"))
        h = o.get("holders", {})
        if h:
            t.add("OVN: bind all holders (SB) -> hv_cfg (s)", n,
                  h.get("synced_s"))
            st, sy = h.get("flows_settled_s"), h.get("synced_s")
            if st is not None and sy is not None and st - sy > 1:
                t.add("  hv_cfg -> holders' flows in the switch (s)", n,
                      "%.1f (OpenFlow reconnections: %d)"
                      % (st - sy, h.get("of_reconnects", 0)))
            elif "flows_settled_s" in h and st is None:
                t.add("  holders' flows in the switch", n, "timed out")
        f = o.get("flows", {})
        if f:
            t.add("OVN: flows per binding (all flows / N)", n,
                  f.get("total_per_binding"), spec="%.1f")
        m = o.get("memory", {})
        if m:
            t.add("OVN: ovn-controller RSS per binding (bytes)", n,
                  m.get("controller_per_binding_bytes"), spec="%.0f")
        c = o.get("change", {})
        if c.get("flows"):
            t.add("OVN: GARP -> routed trace reaches new holder p50/p99 (ms)",
                  n, "%.0f / %.0f%s" % (c["flows"]["p50_ms"],
                                        c["flows"]["p99_ms"],
                                        separate_run(c)))
        elif c.get("status"):
            t.add("OVN: GARP change", n, c["status"][:60])
    s = slope(list(ovn.values()),
              lambda x: x.get("flows", {}).get("total"))
    if s is not None:
        t.add("OVN: flows per binding (slope, two largest N)", "", s,
              spec="%.1f")
    # havip / OVN.
    for n, o in sorted(ovn.items()):
        x = by_n(hv).get(n)
        if not x:
            continue
        oc, hc = o.get("converge", {}), x.get("converge", {})
        t.add("vs OVN: converge (s)", n, hc.get("total_s"), "OVN",
              oc.get("total_s"), ratio_(hc.get("total_s"), oc.get("total_s")))
        of, hf = o.get("flows", {}), x.get("flows", {})
        t.add("vs OVN: flows per binding (all flows / N)", n,
              hf.get("total_per_binding"), "OVN",
              of.get("total_per_binding"),
              ratio_(hf.get("total_per_binding"),
                     of.get("total_per_binding")), spec="%.1f")
        om, hm = o.get("memory", {}), x.get("memory", {})
        t.add("vs OVN: controller RSS (MB)", n, kb_mb(hm.get("rss_kb")),
              "ovn-controller", kb_mb(om.get("controller_rss_kb")),
              ratio_(hm.get("rss_kb"), om.get("controller_rss_kb")),
              spec="%.0f")
        t.add("vs OVN: central RSS, NB (+SB+northd) (MB)", n,
              kb_mb(hm.get("nb_server_rss_kb")), "northd+NB+SB",
              kb_mb(om.get("central_rss_kb")),
              ratio_(hm.get("nb_server_rss_kb"), om.get("central_rss_kb")),
              spec="%.0f")
        ofo = o.get("change", {})
        hg = x.get("failover", {}).get("garp", {}).get("flows") or \
            x.get("failover", {}).get("set_holder")
        if ofo.get("flows"):
            t.add("vs OVN: GARP -> new holder in flows, p50 (ms)", n,
                  hg and hg.get("p50_ms"), "OVN" + separate_run(ofo),
                  ofo["flows"]["p50_ms"],
                  ratio_(hg and hg.get("p50_ms"), ofo["flows"]["p50_ms"]),
                  spec="%.1f")
    if res.get("ovn_not_run"):
        t.add("OVN not run (cap BENCH_OVN_MAX=%d)" % res.get("ovn_cap", 0),
              "", ",".join(str(n) for n in res["ovn_not_run"]))
    if res.get("ovn_status"):
        t.add("OVN", "", res["ovn_status"])


def separate_run(fig):
    """A note for a figure merged from another run (its "separate_run")."""
    return " (separate run)" if fig.get("separate_run") else ""


def ratio_(a, b):
    if a is None or b is None or not b:
        return None
    return a / float(b)


def kb_mb(kb):
    return None if kb is None else kb / 1024.0


def datapath_rows(t, res):
    d = res.get("datapath")
    if not d:
        return
    if d.get("status"):
        t.add("datapath", "", d["status"])
        return
    t.add("datapath: public -> EIP -> holder (Gbit/s)", "", d.get("eip_gbps"),
          "L2 same bridge", d.get("l2_gbps"), d.get("ratio"), ">= 0.9x",
          None if d.get("ratio") is None else d["ratio"] >= 0.9)
    if d.get("eip_reverse_gbps") is not None:
        rr = d.get("reverse_ratio") or ratio_(d.get("eip_reverse_gbps"),
                                              d.get("l2_gbps"))
        t.add("datapath: holder -> SNAT -> public (Gbit/s)", "",
              d.get("eip_reverse_gbps"), "L2 same bridge", d.get("l2_gbps"),
              rr, ">= 0.9x", None if rr is None else rr >= 0.9)


def e2e_rows(t, res):
    e = res.get("end_to_end", {})
    if e.get("status"):
        t.add("end to end: keepalived failover", "", e["status"])
        return
    for mode, what in (("stop", "skew time"), ("crash", "master-down")):
        m = e.get(mode)
        if not m:
            continue
        t.add("end to end: outage, keepalived %s (ms)" % mode, "",
              m["outage_ms"], "keepalived " + what, m["keepalived_ms"],
              ratio_(m["outage_ms"], m["keepalived_ms"]), spec="%.0f")
        t.add("end to end: outage - keepalived, %s (ms, median/max)" % mode,
              "", "%.0f / %.0f" % (m["extra_ms"], m["extra_max_ms"]),
              target="<= 50 ms", met=m["extra_ms"] <= 50, spec="%s")


def chassis_rows(t, res):
    """Several chassis (bench/chassis_bench.py): each figure at C chassis
    against the same with one chassis, same run, same N."""
    c = res.get("chassis")
    if not c:
        return
    if c.get("status"):
        t.add("several chassis", "", c["status"])
        return
    if c.get("error"):
        t.add("several chassis: failed", "", c["error"][:70])
    n, nc = c.get("n"), c.get("chassis")
    many, one = c.get("many") or {}, c.get("one") or {}
    if not nc:
        return
    lbl = "[%d chassis]" % nc
    st = c.get("start", {})
    t.add("%s chassis started (BENCH_CHASSIS=%d), start (s)"
          % (lbl, c.get("chassis_target", 0)), "", st.get("total_s"),
          spec="%.0f")
    if st.get("stopped_by"):
        t.add("  stopped adding chassis", "", st["stopped_by"][:70])
    fm = many.get("failover", {})
    fo = one.get("failover", {})
    sm, so = fm.get("set_holder", {}), fo.get("set_holder", {})
    if sm:
        t.add("%s holder change -> last chassis installed, p50 (ms)" % lbl,
              n, sm.get("p50_ms"), "1 chassis", so.get("p50_ms"),
              c.get("ratio_p50"), spec="%.1f")
        t.add("%s holder change -> last chassis installed, p99 (ms)" % lbl,
              n, sm.get("p99_ms"), "1 chassis", so.get("p99_ms"),
              c.get("ratio_p99"), spec="%.1f")
        ph = sm.get("phases")
        if ph:
            t.add("  first ack / last ack / hv_cfg written, p50 (ms)", n,
                  "%.0f / %.0f / %.0f" % (ph["first_ack"]["p50_ms"],
                                          ph["last_ack"]["p50_ms"],
                                          ph["hv_cfg"]["p50_ms"]))
        ym, yo = fm.get("sync", {}), fo.get("sync", {})
        t.add("  nb_cfg bump alone -> hv_cfg, p50 (ms)", n, ym.get("p50_ms"),
              "1 chassis", yo.get("p50_ms"),
              ratio_(ym.get("p50_ms"), yo.get("p50_ms")), spec="%.1f")
        cov = fm.get("coverage_per_change", {})
        cpu = fm.get("cpu_ms_per_change", {})
        cpu1 = fo.get("cpu_ms_per_change", {})
        t.add("  per change: hv_cfg writes tried / retried", n,
              "%.1f / %.1f" % (cov.get("chassis_hv_cfg_update", 0),
                               cov.get("txn_try_again", 0)))
        t.add("  per change: CPU of all controllers (ms)", n,
              cpu.get("controllers"), "1 chassis", cpu1.get("controllers"),
              ratio_(cpu.get("controllers"), cpu1.get("controllers")),
              spec="%.0f")
        t.add("  per change: CPU of the NB ovsdb-server (ms)", n,
              cpu.get("nb_server"), "1 chassis", cpu1.get("nb_server"),
              ratio_(cpu.get("nb_server"), cpu1.get("nb_server")),
              spec="%.0f")
    cm, co = many.get("converge", {}), one.get("converge", {})
    if cm:
        t.add("%s converge: load -> hv_cfg (s)" % lbl, n, cm.get("total_s"),
              "1 chassis", co.get("total_s"), c.get("converge_ratio"),
              spec="%.1f")
        t.add("  of which after the NB commit reply (s)", n,
              cm.get("after_commit_s"), "1 chassis", co.get("after_commit_s"),
              ratio_(cm.get("after_commit_s"), co.get("after_commit_s")),
              spec="%.1f")
    mm, mo = many.get("memory", {}), one.get("memory", {})
    if mm:
        t.add("%s NB ovsdb-server RSS (MB)" % lbl, n,
              kb_mb(mm.get("nb_server_kb")), "1 chassis",
              kb_mb(mo.get("nb_server_kb")),
              ratio_(mm.get("nb_server_kb"), mo.get("nb_server_kb")),
              spec="%.0f")
        if mm.get("nb_server_hwm_kb"):
            t.add("  NB ovsdb-server peak RSS, VmHWM (MB)", n,
                  kb_mb(mm.get("nb_server_hwm_kb")), "1 chassis",
                  kb_mb(mo.get("nb_server_hwm_kb")),
                  ratio_(mm.get("nb_server_hwm_kb"),
                         mo.get("nb_server_hwm_kb")), spec="%.0f")
        t.add("  NB per chassis, (X_C - X_1) / (C - 1): RSS / peak (MB)", n,
              "%.1f / %s" % (kb_mb(c.get("nb_per_chassis_kb") or 0),
                             fmt(kb_mb(c.get("nb_per_chassis_hwm_kb")),
                                 "%.1f")))
        t.add("  controller RSS: gateway ch1 (MB)", n,
              kb_mb(mm.get("controller_ch1_kb")), "1 chassis",
              kb_mb(mo.get("controller_ch1_kb")),
              ratio_(mm.get("controller_ch1_kb"), mo.get("controller_ch1_kb")),
              spec="%.1f")
        t.add("  ovs-vswitchd RSS: gateway ch1 (MB)", n,
              kb_mb(mm.get("vswitchd_ch1_kb")), "1 chassis",
              kb_mb(mo.get("vswitchd_ch1_kb")),
              ratio_(mm.get("vswitchd_ch1_kb"), mo.get("vswitchd_ch1_kb")),
              spec="%.1f")
        co_ = mm.get("controller_others", {})
        vo_ = mm.get("vswitchd_others", {})
        do_ = mm.get("ovsdb_others", {})
        t.add("  other chassis, median RSS: controller / vswitchd / "
              "ovsdb (MB)", n, "%.1f / %.1f / %.1f"
              % (kb_mb(co_.get("median_kb") or 0),
                 kb_mb(vo_.get("median_kb") or 0),
                 kb_mb(do_.get("median_kb") or 0)))
        t.add("  all chassis daemons RSS (MB)", n,
              kb_mb(mm.get("all_chassis_kb")), spec="%.0f")
    tn = many.get("tunnels")
    if tn:
        t.add("%s tunnels: gateways / others (expected)" % lbl, "",
              "%s / %s (%s)" % (
                  ",".join(str(v) for v in sorted(set(
                      tn["gateways"].values()))),
                  ",".join(str(v) for v in tn["others_counts"]),
                  ",".join(str(v) for v in tn["expected_others"])),
              target="as needed", met=tn.get("all_as_expected"))
    idle = many.get("idle_cpu_percent")
    if idle:
        t.add("%s idle CPU, %% of a core: controllers / vswitchds / "
              "ovsdbs / NB" % lbl, "", "%.1f / %.1f / %.1f / %.1f"
              % (idle["controllers"], idle["vswitchds"],
                 idle["local_ovsdbs"], idle["nb_server"]))
    if c.get("elapsed_s"):
        t.add("%s stage time (s)" % lbl, "", c["elapsed_s"], spec="%.0f")


def table(res):
    t = Table()
    havip_rows(t, res)
    chassis_rows(t, res)
    datapath_rows(t, res)
    e2e_rows(t, res)
    h = res.get("host", {})
    title = ("havip benchmarks  %s  %s x%s  %s  commit %s  (%.0f s)\n"
             % (h.get("date", ""), h.get("cpu", "?"), h.get("cpus", "?"),
                h.get("ovs", ""), h.get("commit", "?"),
                res.get("elapsed_s", 0)))
    return title + t.render()


if __name__ == "__main__":
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "results.json")
    with open(path) as f:
        sys.stdout.write(table(json.load(f)))
