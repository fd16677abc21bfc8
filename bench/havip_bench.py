# bench/havip_bench.py: havip at N bindings, on the dummy datapath.
#
# One run directory per N: NB ovsdb-server, ovsdb-server + ovs-vswitchd
# with br-int (dummy datapath) holding the shape's 2,000 VM ports and the
# uplink, and havip-controller.  Figures (DESIGN.md section 8):
#
#   converge   one raw OVSDB transaction inserting the whole topology (and
#              bumping NB_Global.nb_cfg), or BENCH_LOAD_BATCH bindings per
#              transaction, until Chassis.nb_cfg says its flows are
#              installed (the controller acks after the barrier reply): from
#              the first request sent, and from the last commit's reply;
#              baseline: 'ovs-ofctl --bundle replace-flows' of exactly the
#              flows havip installed into a fresh bridge of the same switch.
#   flows      flows per binding: flows whose cookie names a HAVIP or EIP
#              row, / N; and all flows / N.
#   memory     controller RSS after convergence minus RSS with an empty NB.
#   idle       controller CPU over BENCH_IDLE_SECS with steady-state traffic
#              (VRRP adverts, ARP, EIP in both directions) injected; packet-
#              ins counted on the flows whose action sends to the controller.
#   failover   holder changes written to the NB (as havip-set-holder does)
#              until Chassis.nb_cfg acks them, against the same round trip
#              with no change (nb_cfg bump only); the controller's own share
#              from its debug log; GARPs injected into the switch until
#              ofproto/trace shows the new holder; havip-nbctl's wall time.

import os
import re
import subprocess
import time

import lib
import ovsdb
import shape as shape_mod
from lib import log

NB = "HAVIP_Northbound"
COOKIE_RE = re.compile(r"cookie=0x4856([0-9a-f]{4})([0-9a-f]{8})")


class HavipBench:
    def __init__(self, n, opts, name=None):
        self.n = n
        self.opts = opts
        self.shape = shape_mod.Shape(n, opts["pairs"], opts["subnets"])
        self.run = lib.Run(name or "havip-%d" % n, opts["profile"])
        self.res = {"n": n, "pairs": opts["pairs"],
                    "subnets": self.shape.subnets}
        self.nb_cfg = 0

    # Set-up.

    def start(self):
        r = self.run
        r.sh("havip_start_nb >/dev/null && havip_start_ovs dummy")
        r.cmd(["ovs-vsctl", "set", "Open_vSwitch", ".",
               "external_ids:havip-uplink=%s" % shape_mod.UPLINK])
        t = lib.Timer()
        r.cmd(["ovs-vsctl", "--timeout=300"] + self.shape.vsctl_ports_args())
        log("havip N=%d: %d ports added in %.1f s"
            % (self.n, 2 * self.opts["pairs"] + 1, t.elapsed()))
        r.sh("havip_start_controller")
        self.pid = r.pid("havip-controller")
        self.vswitchd_pid = r.pid("ovs-vswitchd")
        self.nb = ovsdb.Client(r.env["HAVIP_NB_DB"])
        self.sync()
        time.sleep(1)
        self.res["rss_empty_kb"] = lib.rss_kb(self.pid)

    def ctl(self, *args):
        return self.run.cmd(["ovs-appctl", "-t",
                             self.run.path("havip-controller.ctl")]
                            + list(args))

    def ctl_ok(self, *args):
        """Runs a controller unixctl command; False if it fails (e.g. the
        controller does not have it)."""
        try:
            self.ctl(*args)
            return True
        except RuntimeError:
            return False

    def bump(self):
        """Returns the operation that sets NB_Global.nb_cfg to the next
        value."""
        self.nb_cfg += 1
        return {"op": "update", "table": "NB_Global", "where": [],
                "row": {"nb_cfg": self.nb_cfg}}

    def wait_ack(self, timeout_s=30):
        """Waits until the chassis acks the current nb_cfg (its flows are
        installed)."""
        self.nb.wait_until(NB, "Chassis", [], {"nb_cfg": self.nb_cfg},
                           int(timeout_s * 1000))

    def sync(self, timeout_s=60):
        rows = self.nb.select(NB, "NB_Global", columns=["nb_cfg"])
        self.nb_cfg = rows[0]["nb_cfg"]
        self.nb.transact(NB, [self.bump()])
        self.wait_ack(timeout_s)

    # 1. Convergence.

    def load(self):
        """Loads the topology, in one transaction or in batches of
        BENCH_LOAD_BATCH bindings, bumping nb_cfg in the last.  Returns the
        number of transactions."""
        batch = self.opts["load_batch"]
        if not batch or batch >= self.n:
            self.nb.transact(NB, self.shape.havip_nb_ops() + [self.bump()])
            return 1
        gen = self.shape.havip_nb_batches(batch)
        batches = [next(gen)]
        result = self.nb.transact(NB, batches[0])
        batches = [gen.send(result)] + list(gen)
        for i, ops in enumerate(batches):
            if i == len(batches) - 1:
                ops = ops + [self.bump()]
            self.nb.transact(NB, ops)
        return 1 + len(batches)

    def converge(self):
        cpu0 = {p: lib.cpu_seconds(p) for p in (self.pid, self.vswitchd_pid)}
        profile = self.opts["profile"] and lib.Profiler(
            self.run, "converge", [self.pid, self.vswitchd_pid])
        t = lib.Timer()
        n_txns = self.load()
        commit = t.elapsed()
        self.wait_ack(timeout_s=3600)
        total = t.elapsed()
        if profile:
            profile.stop()
        show = self.ctl("ofctrl/show").strip()
        self.res["converge"] = {
            "commit_s": commit, "total_s": total, "transactions": n_txns,
            "after_commit_s": total - commit,
            "controller_cpu_s": lib.cpu_seconds(self.pid) - cpu0[self.pid],
            "vswitchd_cpu_s": (lib.cpu_seconds(self.vswitchd_pid)
                               - cpu0[self.vswitchd_pid]),
            "ofctrl_show": show,
        }
        log("havip N=%d: converged in %.2f s (commit %.2f s)"
            % (self.n, total, commit))

    def dump_flows(self, bridge, stats=False):
        args = ["ovs-ofctl", "-O", "OpenFlow15", "dump-flows", bridge]
        if not stats:
            args.insert(4, "--no-stats")
        return self.run.cmd(args, timeout=600)

    def baseline(self):
        """'ovs-ofctl --bundle replace-flows' of the installed flows into a
        fresh bridge."""
        flows = self.dump_flows("br-int")
        fname = self.run.path("flows.txt")
        with open(fname, "w") as f:
            f.write(flows)
        self.flow_lines = flows.splitlines()
        r = self.run
        r.cmd(["ovs-vsctl", "--timeout=60", "--", "--if-exists", "del-br",
               "br-base", "--", "add-br", "br-base", "--", "set", "bridge",
               "br-base", "datapath_type=dummy", "fail-mode=secure",
               "other-config:disable-in-band=true"])
        t = lib.Timer()
        r.cmd(["ovs-ofctl", "-O", "OpenFlow15", "--bundle", "replace-flows",
               "br-base", fname], timeout=3600)
        elapsed = t.elapsed()
        n_base = len(self.dump_flows("br-base").splitlines())
        r.cmd(["ovs-vsctl", "--timeout=120", "del-br", "br-base"])
        c = self.res["converge"]
        c["baseline_s"] = elapsed
        c["ratio"] = lib.ratio(c["total_s"], elapsed)
        c["after_commit_ratio"] = lib.ratio(c["after_commit_s"], elapsed)
        c["n_flows"] = len(self.flow_lines)
        if n_base != len(self.flow_lines):
            c["baseline_warning"] = ("fresh bridge got %d flows, br-int has %d"
                                     % (n_base, len(self.flow_lines)))
        log("havip N=%d: replace-flows of %d flows in %.2f s: ratio %.2f"
            % (self.n, len(self.flow_lines), elapsed, c["ratio"]))

    # 3. Flows per binding, memory, idle.

    def flows_per_binding(self):
        owners = {}
        for table in ("HAVIP", "EIP", "Port", "Subnet", "VPC", "Region"):
            for row in self.nb.select(NB, table, columns=["_uuid"]):
                owners[row["_uuid"][1].replace("-", "")[:8]] = table
        counts = {}
        for line in self.flow_lines:
            m = COOKIE_RE.search(line)
            if not m:
                owner = "other"
            elif m.group(2) == "00000000":
                owner = "fixed"
            else:
                owner = owners.get(m.group(2), "unknown")
            counts[owner] = counts.get(owner, 0) + 1
        per_binding = counts.get("HAVIP", 0) + counts.get("EIP", 0)
        self.res["flows"] = {
            "total": len(self.flow_lines), "by_owner": counts,
            "per_binding": per_binding / float(self.n),
            "total_per_binding": len(self.flow_lines) / float(self.n),
        }

    def memory(self):
        rss = lib.rss_kb(self.pid)
        self.res["memory"] = {
            "rss_empty_kb": self.res.pop("rss_empty_kb"),
            "rss_kb": rss,
            "vswitchd_rss_kb": lib.rss_kb(self.vswitchd_pid),
            "nb_server_rss_kb": lib.rss_kb(self.run.pid("havip_nb")),
            "memory_show": self.ctl("memory/show").strip(),
        }
        m = self.res["memory"]
        m["per_binding_bytes"] = ((rss - m["rss_empty_kb"]) * 1024.0
                                  / self.n)

    def steady_packets(self):
        """Datapath-syntax packets of steady-state traffic: VRRP adverts of
        holders, ARP requests for HAVIPs, EIP traffic in and out."""
        s = self.shape
        pkts = []
        for k in range(0, self.n, max(1, self.n // 20)):
            i = s.havip_pair(k)
            side = s.holder_side(k)
            src = s.port_name(i, side)
            mac = s.port_mac(i, side)
            pkts.append((src, "eth(src=%s,dst=01:00:5e:00:00:12),"
                         "eth_type(0x0800),ipv4(src=%s,dst=224.0.0.18,"
                         "proto=112,tos=0,ttl=255,frag=no)"
                         % (mac, s.port_ip(i, side))))
            other = s.port_name(i, 1 - side)
            omac = s.port_mac(i, 1 - side)
            pkts.append((other, "eth(src=%s,dst=ff:ff:ff:ff:ff:ff),"
                         "eth_type(0x0806),arp(sip=%s,tip=%s,op=1,sha=%s,"
                         "tha=00:00:00:00:00:00)"
                         % (omac, s.port_ip(i, 1 - side), s.havip_ip(k),
                            omac)))
            pkts.append((shape_mod.UPLINK, self.inbound_packet(k)))
            pkts.append((src, "eth(src=%s,dst=%s),eth_type(0x0800),"
                         "ipv4(src=%s,dst=198.51.100.7,proto=6,tos=0,"
                         "ttl=64,frag=no),tcp(src=80,dst=40000)"
                         % (mac, s.gateway_mac(s.subnet_of(i)),
                            s.havip_ip(k))))
        return pkts

    def inbound_packet(self, k):
        eip = self.shape.eip_ip(k)
        emac = "02:e1:" + ":".join("%02x" % int(b) for b in eip.split("."))
        return ("eth(src=%s,dst=%s),eth_type(0x0800),ipv4(src=198.51.100.7,"
                "dst=%s,proto=6,tos=0,ttl=64,frag=no),tcp(src=40000,dst=80)"
                % (shape_mod.EXT_GW_MAC, emac, eip))

    def packet_ins(self):
        """Packets counted by the flows that send to the controller."""
        total = 0
        for line in self.dump_flows("br-int", stats=True).splitlines():
            if "controller" in line:
                m = re.search(r"n_packets=(\d+)", line)
                total += int(m.group(1)) if m else 0
        return total

    def idle(self):
        secs = self.opts["idle_secs"]
        sw = ovsdb.Client("unix:" + self.run.vswitchd_ctl())
        pkts = self.steady_packets()
        pin0 = self.packet_ins()
        pids = {"controller": self.pid, "vswitchd": self.vswitchd_pid,
                "nb_server": self.run.pid("havip_nb")}
        cpu0 = {k: lib.cpu_seconds(p) for k, p in pids.items()}
        t = lib.Timer()
        sent = 0
        while t.elapsed() < secs:
            for port, pkt in pkts:
                sw.call("netdev-dummy/receive", [port, pkt])
                sent += 1
            time.sleep(1.0)
        elapsed = t.elapsed()
        cpu = {k: (lib.cpu_seconds(p) - cpu0[k]) / elapsed * 100.0
               for k, p in pids.items()}
        sw.close()
        self.res["memory"]["rss_after_idle_kb"] = lib.rss_kb(self.pid)
        self.res["idle"] = {
            "secs": elapsed, "packets_injected": sent,
            "cpu_percent": cpu,
            "packet_ins": self.packet_ins() - pin0,
        }
        log("havip N=%d: idle controller CPU %.2f%%, %d packet-ins"
            % (self.n, cpu["controller"], self.res["idle"]["packet_ins"]))

    # 2. Failover.

    def uuids(self, table):
        return {r["name"]: r["_uuid"][1]
                for r in self.nb.select(NB, table,
                                        columns=["name", "_uuid"])}

    def pick_havips(self, count):
        """'count' HAVIPs spread over the table, of distinct pairs when
        'count' <= PAIRS."""
        step = max(1, self.n // count)
        return [(k * step + k) % self.n for k in range(count)]

    def current_holders(self, ks):
        ports = {v: k for k, v in self.port_uuids.items()}
        out = {}
        for row in self.nb.select(NB, "HAVIP", columns=["name", "holder"]):
            h = row["holder"]
            out[row["name"]] = ports.get(h[1]) if h[0] == "uuid" else None
        return {k: out[self.shape.havip_name(k)] for k in ks}

    def other_port(self, k, holder):
        i = self.shape.havip_pair(k)
        a, b = self.shape.port_name(i, 0), self.shape.port_name(i, 1)
        return b if holder == a else a

    def failover_db(self, count, traced=False):
        """'count' holder changes written as havip-set-holder writes them,
        each waited for until the chassis acks it."""
        ks = self.pick_havips(count)
        holders = self.current_holders(ks)
        lat, segs = [], []
        logf = self.run.path("havip-controller.log")
        for k in ks:
            new = self.other_port(k, holders[k])
            # By UUID, as havip-nbctl writes once it has resolved the name
            # (ovsdb-server scans the table for any other condition).
            op = {"op": "update", "table": "HAVIP",
                  "where": [["_uuid", "==",
                             ["uuid", self.havip_uuids[k]]]],
                  "row": {"holder": ["uuid", self.port_uuids[new]]}}
            off = os.path.getsize(logf) if traced else 0
            t = lib.Timer()
            self.nb.transact(NB, [op, self.bump()])
            self.wait_ack()
            lat.append(t.elapsed())
            holders[k] = new
            if traced:
                time.sleep(0.02)        # Let the log reach the file.
                with open(logf) as f:
                    f.seek(off)
                    segs.append(f.read())
        return lat, segs

    def failover_sync(self, count):
        lat = []
        for _ in range(count):
            t = lib.Timer()
            self.nb.transact(NB, [self.bump()])
            self.wait_ack()
            lat.append(t.elapsed())
        return lat

    def failover(self):
        count = self.opts["failovers"]
        self.port_uuids = self.uuids("Port")
        by_name = self.uuids("HAVIP")
        self.havip_uuids = {k: by_name[self.shape.havip_name(k)]
                            for k in range(self.n)}
        fo = {}
        self.ctl("vlog/set", "file:info")
        # Warm up: the first change after a large load may be slower.
        self.failover_db(5)
        has_latency = self.ctl_ok("ofctrl/latency", "reset")
        fo["sync_baseline"] = lib.summary_ms(self.failover_sync(count))
        if has_latency:
            fo["sync_baseline"]["ofctrl_latency"] = parse_latency(
                self.ctl("ofctrl/latency"))
        cpu0 = lib.cpu_seconds(self.pid)
        profile = self.opts["profile"] and lib.Profiler(
            self.run, "failover", [self.pid, self.vswitchd_pid])
        has_latency = self.ctl_ok("ofctrl/latency", "reset")
        lat, _ = self.failover_db(count)
        if has_latency:
            fo["ofctrl_latency"] = parse_latency(self.ctl("ofctrl/latency"))
        if profile:
            profile.stop()
        fo["set_holder"] = lib.summary_ms(lat)
        fo["set_holder"]["controller_cpu_ms_per_change"] = (
            (lib.cpu_seconds(self.pid) - cpu0) * 1000.0 / count)
        fo["set_holder"]["ratio_to_sync"] = lib.ratio(
            fo["set_holder"]["p50_ms"], fo["sync_baseline"]["p50_ms"])
        fo["ofctrl_show"] = self.ctl("ofctrl/show").strip()
        fo["controller_trace"] = self.failover_traced(count)
        has_latency = self.ctl_ok("ofctrl/latency", "reset")
        profile = self.opts["profile"] and lib.Profiler(
            self.run, "garp", [self.pid, self.vswitchd_pid])
        fo["garp"] = self.failover_garp(count)
        if profile:
            profile.stop()
        if has_latency and "status" not in fo["garp"]:
            fo["garp"]["ofctrl_latency"] = parse_latency(
                self.ctl("ofctrl/latency"))
        if self.opts["nbctl_changes"]:
            fo["nbctl"] = self.failover_nbctl(self.opts["nbctl_changes"])
        self.res["failover"] = fo
        log("havip N=%d: set-holder p50 %.2f ms p99 %.2f ms "
            "(sync alone p50 %.2f ms)"
            % (self.n, fo["set_holder"]["p50_ms"], fo["set_holder"]["p99_ms"],
               fo["sync_baseline"]["p50_ms"]))

    def failover_traced(self, count):
        """The controller's own share of a holder change, from its debug
        log (millisecond timestamps): NB update received -> bundle sent ->
        barrier reply -> Chassis.nb_cfg written."""
        self.ctl("vlog/set", "jsonrpc:file:dbg", "vconn:file:dbg")
        try:
            _, segs = self.failover_db(count, traced=True)
        finally:
            self.ctl("vlog/set", "jsonrpc:file:info", "vconn:file:info")
        phases = {"compute": [], "switch": [], "ack": [], "total": []}
        for seg in segs:
            p = parse_trace(seg, "update3", '"HAVIP"')
            if p:
                for k in phases:
                    phases[k].append(p[k])
        return {k: lib.summary_ms(v) for k, v in phases.items() if v}

    def dp_ports(self):
        out = self.run.cmd(["ovs-appctl", "dpif/show"])
        ports = {}
        for line in out.splitlines():
            m = re.match(r"\s+(\S+) \d+/(\d+):", line)
            if m:
                ports[m.group(1)] = m.group(2)
        return ports

    def failover_garp(self, count):
        """GARPs from the standby port, injected into the switch over its
        unixctl socket: until ofproto/trace of an inbound EIP packet goes to
        the new holder, and until HAVIP.holder says so in the NB."""
        s = self.shape
        sw = ovsdb.Client("unix:" + self.run.vswitchd_ctl())
        dp = self.dp_ports()
        ks = self.pick_havips(count)
        holders = self.current_holders(ks)
        flows_lat, db_lat, polls = [], [], []
        learned = True
        for k in ks:
            new = self.other_port(k, holders[k])
            i = s.havip_pair(k)
            side = 0 if new == s.port_name(i, 0) else 1
            mac = s.port_mac(i, side)
            garp = ("eth(src=%s,dst=ff:ff:ff:ff:ff:ff),eth_type(0x0806),"
                    "arp(sip=%s,tip=%s,op=1,sha=%s,tha=00:00:00:00:00:00)"
                    % (mac, s.havip_ip(k), s.havip_ip(k), mac))
            eip = s.eip_ip(k)
            emac = "02:e1:" + ":".join("%02x" % int(b)
                                       for b in eip.split("."))
            flow = ("in_port=%s,dl_src=%s,dl_dst=%s,tcp,nw_src=198.51.100.7,"
                    "nw_dst=%s,nw_ttl=64,tp_dst=80"
                    % (shape_mod.UPLINK, shape_mod.EXT_GW_MAC, emac, eip))
            want = "," + dp[new]
            t = lib.Timer()
            sw.call("netdev-dummy/receive", [new, garp])
            n_polls = 0
            while True:
                out = sw.call("ofproto/trace", ["br-int", flow])
                n_polls += 1
                acts = out.rsplit("Datapath actions: ", 1)[-1].strip()
                if acts.endswith(want):
                    break
                if t.elapsed() > 5:
                    learned = False
                    break
            if not learned:
                break
            flows_lat.append(t.elapsed())
            self.nb.wait_until(NB, "HAVIP",
                               [["name", "==", s.havip_name(k)]],
                               {"holder": ["uuid", self.port_uuids[new]]},
                               5000)
            db_lat.append(t.elapsed())
            polls.append(n_polls)
            holders[k] = new
        sw.close()
        if not learned:
            return {"status": "no holder learning (holder did not move "
                              "within 5 s of a GARP)"}
        return {"flows": lib.summary_ms(flows_lat),
                "db": lib.summary_ms(db_lat),
                "trace_polls_p50": lib.percentile(polls, 50)}

    def failover_nbctl(self, count):
        """Wall time of 'havip-nbctl --wait=hv havip-set-holder' (process
        start, whole-DB download, rule checks, commit, wait)."""
        ks = self.pick_havips(count)
        holders = self.current_holders(ks)
        lat = []
        for k in ks:
            new = self.other_port(k, holders[k])
            t = lib.Timer()
            self.run.cmd(["havip-nbctl", "--timeout=600", "--wait=hv",
                          "havip-set-holder", self.shape.havip_name(k), new],
                         timeout=900)
            lat.append(t.elapsed())
            holders[k] = new
        self.nb_cfg = self.nb.select(NB, "NB_Global",
                                     columns=["nb_cfg"])[0]["nb_cfg"]
        return lib.summary_ms(lat)

    def execute(self):
        try:
            self.start()
            self.converge()
            self.baseline()
            self.flows_per_binding()
            self.memory()
            self.idle()
            self.failover()
        finally:
            self.run.stop()
        return self.res

    def execute_failover_only(self):
        """Load, converge and the failover figures only (the few-ports
        control run)."""
        try:
            self.start()
            self.converge()
            self.res.pop("rss_empty_kb", None)
            self.failover()
        finally:
            self.run.stop()
        return self.res


def parse_latency(text):
    """'ofctrl/latency' output ("WHAT: N samples, p50 X ms, p90 ...") as
    {WHAT: {"n": N, "p50_ms": X, ...}}."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"(.+?): (\d+) samples(.*)", line.strip())
        if not m:
            continue
        d = {"n": int(m.group(2))}
        for key, val in re.findall(r"(p\d+|max) ([\d.]+) ms", m.group(3)):
            d[key + "_ms"] = float(val)
        out[m.group(1)] = d
    return out


# Controller debug-log parsing.

LOG_TS = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:(\d\d\.\d{3}))Z\|")


def log_events(text):
    """Splits a vlog file's text into (seconds-in-the-hour, entry) pairs,
    entries spanning continuation lines."""
    events = []
    for line in text.splitlines():
        m = LOG_TS.match(line)
        if m:
            hhmm = line[11:16]
            secs = (int(hhmm[:2]) * 3600 + int(hhmm[3:5]) * 60
                    + float(m.group(2)))
            events.append([secs, line])
        elif events:
            events[-1][1] += "\n" + line
    return events


def parse_trace(text, trigger, trigger_text):
    """From one change's log segment: the phases of the first change
    started by a message matching 'trigger' and 'trigger_text'."""
    t_in = t_open = t_barrier = t_ack = None
    for ts, e in log_events(text):
        if t_in is None:
            if trigger in e and trigger_text in e:
                t_in = ts
        elif t_open is None:
            if "OPEN_REQUEST" in e and "sent" in e:
                t_open = ts
        elif t_barrier is None:
            if "OFPT_BARRIER_REPLY" in e:
                t_barrier = ts
        elif t_ack is None:
            if "method=\"transact\"" in e and "Chassis" in e \
                    and "send request" in e:
                t_ack = ts
                break
    if None in (t_in, t_open, t_barrier, t_ack):
        return None
    return {"compute": t_open - t_in, "switch": t_barrier - t_open,
            "ack": t_ack - t_barrier, "total": t_ack - t_in}
