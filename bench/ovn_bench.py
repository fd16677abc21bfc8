# bench/ovn_bench.py: OVN 23.03 doing havip's job, same shape, same N.
#
# Private instances only (never the host's services), all in one run
# directory: ovsdb-server + ovs-vswitchd (dummy datapath, br-int with the
# shape's 2,000 VM ports, br-ex with the uplink), OVN NB and SB
# ovsdb-servers, ovn-northd and ovn-controller.
#
# Logical topology: one logical switch per subnet with its pairs' ports;
# the VPC's distributed router with a port in every switch (the subnet
# gateway); a join switch to a gateway router bound to this chassis
# (options:chassis) with a port in an external switch that has a localnet
# port (physnet -> br-ex -> uplink).  Per HAVIP, a virtual
# port (type=virtual, options:virtual-ip, virtual-parents = the pair's two
# ports); per EIP, a dnat_and_snat rule EIP <-> HAVIP IP on the gateway
# router.  The holder of a virtual port is learned from a GARP of a parent
# (pinctrl writes Port_Binding.virtual_parent); at load, holders are set by
# writing virtual_parent in the SB, as pinctrl does, in one transaction.
#
# Figures: convergence (NB commit -> NB_Global.hv_cfg, i.e. ovn-nbctl
# --wait=hv), holders bound, flows per binding, RSS of ovn-controller and
# of northd + NB + SB (after the switch has the holders' flows: hv_cfg can
# come first, see bind_holders), and one holder change: GARP injected ->
# ofproto/trace of a packet routed from a client port to the HAVIP reaches
# the new holder (OVN routes to a virtual port's IP by its
# virtual_parent's MAC, which northd turns into logical flows: the GARP
# goes through pinctrl, the SB, northd and back).

import os
import re
import shutil
import time

import lib
import ovsdb
import shape as shape_mod
from lib import log
from ovsdb import named, oset

NB = "OVN_Northbound"
SB = "OVN_Southbound"
EXT_NET = "100.127.255.254/10"
EXT_NEXTHOP = "100.127.255.253"
EXT_MAC = "0a:fd:00:00:00:01"
CLIENT_GW_IP, CLIENT_GW_MAC = "10.200.0.1", "0a:fd:00:00:00:04"
JOIN_IP1, JOIN_IP2 = "192.168.255.1", "192.168.255.2"
JOIN_NET1, JOIN_NET2 = JOIN_IP1 + "/24", JOIN_IP2 + "/24"
JOIN_MAC1, JOIN_MAC2 = "0a:fd:00:00:00:02", "0a:fd:00:00:00:03"


def available():
    if os.geteuid() == 0:
        os.system(os.path.join(lib.SRCDIR, "bench", "install-deps.sh"))
    return all(shutil.which(p) for p in
               ("ovn-northd", "ovn-controller", "ovn-nbctl"))


def vport_mac(k):
    return "0a:01:%02x:%02x:%02x:%02x" % ((k >> 24) & 255, (k >> 16) & 255,
                                          (k >> 8) & 255, k & 255)


def client_name(i):
    return "c%d" % i


def client_mac(i):
    return "0a:00:00:%02x:%02x:0d" % (i >> 8, i & 255)


class OvnBench:
    def __init__(self, n, opts):
        self.n = n
        self.opts = opts
        self.shape = shape_mod.Shape(n, opts["pairs"], opts["subnets"])
        self.run = lib.Run("ovn-%d" % n)
        self.res = {"n": n, "pairs": opts["pairs"],
                    "subnets": self.shape.subnets}
        self.nb_cfg = 0
        self.changes = []        # HAVIPs whose holder change is timed.
        step = max(1, n // max(1, opts["ovn_changes"]))
        self.changes = sorted(set((j * step + j) % n
                                  for j in range(opts["ovn_changes"])))
        self.client_pairs = sorted(set(self.shape.havip_pair(k)
                                       for k in self.changes))

    # Daemons.

    def start(self):
        r = self.run
        # Log lines of this run sort after this (the logs are appended to).
        self.started = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        r.sh("havip_start_ovs dummy")
        sb = "unix:" + r.path("ovnsb_db.sock")
        r.cmd(["ovs-vsctl", "set", "Open_vSwitch", ".",
               "external_ids:ovn-remote=" + sb,
               "external_ids:ovn-encap-type=geneve",
               "external_ids:ovn-encap-ip=127.0.0.1",
               "external_ids:ovn-bridge-mappings=physnet:br-ex",
               "--", "add-br", "br-ex",
               "--", "set", "bridge", "br-ex", "datapath_type=dummy",
               "--", "add-port", "br-ex", shape_mod.UPLINK,
               "--", "set", "Interface", shape_mod.UPLINK, "type=dummy"])
        args = self.shape.vsctl_ports_args(uplink=False)
        for i in self.client_pairs:
            c = client_name(i)
            args += ["--", "add-port", "br-int", c, "--", "set", "Interface",
                     c, "type=dummy", "external_ids:iface-id=%s" % c]
        t = lib.Timer()
        r.cmd(["ovs-vsctl", "--timeout=300"] + args)
        log("OVN N=%d: %d ports added in %.1f s"
            % (self.n, 2 * self.opts["pairs"] + len(self.client_pairs),
               t.elapsed()))
        for db, schema in (("ovnnb_db", "ovn-nb"), ("ovnsb_db", "ovn-sb")):
            f = r.path(db + ".db")
            if os.path.exists(f):
                os.unlink(f)
            r.cmd(["ovsdb-tool", "create", f,
                   "/usr/share/ovn/%s.ovsschema" % schema])
            r.cmd(["ovsdb-server", "--detach", "--no-chdir",
                   "--pidfile=%s" % r.path(db + ".pid"),
                   "--log-file=%s" % r.path(db + ".log"),
                   "--unixctl=%s" % r.path(db + ".ctl"),
                   "--remote=punix:%s" % r.path(db + ".sock"), f])
        self.nb_remote = "unix:" + r.path("ovnnb_db.sock")
        r.cmd(["ovn-nbctl", "--db=" + self.nb_remote, "init"])
        r.cmd(["ovn-northd", "--detach", "--no-chdir",
               "--pidfile=%s" % r.path("ovn-northd.pid"),
               "--log-file=%s" % r.path("ovn-northd.log"),
               "--unixctl=%s" % r.path("ovn-northd.ctl"),
               "--ovnnb-db=" + self.nb_remote, "--ovnsb-db=" + sb])
        r.cmd(["ovn-controller", "--detach", "--no-chdir",
               "--pidfile=%s" % r.path("ovn-controller.pid"),
               "--log-file=%s" % r.path("ovn-controller.log"),
               "unix:" + r.path("db.sock")])
        self.nb = ovsdb.Client(self.nb_remote)
        self.sb = ovsdb.Client(sb)
        self.pids = {k: r.pid(k) for k in
                     ("ovn-controller", "ovn-northd", "ovnnb_db", "ovnsb_db",
                      "ovs-vswitchd")}
        # Wait for the chassis to register, then for a first sync.
        deadline = time.time() + 60
        while not self.sb.select(SB, "Chassis", columns=["name"]):
            if time.time() > deadline:
                raise RuntimeError("ovn-controller did not register")
            time.sleep(0.2)
        self.sync(60)
        time.sleep(1)
        self.res["rss_empty_kb"] = {k: lib.rss_kb(p)
                                    for k, p in self.pids.items()}

    def bump(self):
        self.nb_cfg += 1
        return {"op": "update", "table": "NB_Global", "where": [],
                "row": {"nb_cfg": self.nb_cfg}}

    def wait_hv(self, timeout_s):
        self.nb.wait_until(NB, "NB_Global", [], {"hv_cfg": self.nb_cfg},
                           int(timeout_s * 1000))

    def sync(self, timeout_s=600):
        """ovn-nbctl --wait=hv sync."""
        self.nb_cfg = self.nb.select(NB, "NB_Global",
                                     columns=["nb_cfg"])[0]["nb_cfg"]
        t = lib.Timer()
        self.nb.transact(NB, [self.bump()])
        self.wait_hv(timeout_s)
        return t.elapsed()

    # The NB transaction.

    def nb_ops(self):
        s = self.shape
        ops = []
        vpc_ports, nats = [], []
        ls_ports = [[] for _ in range(s.subnets)]
        for k in range(self.n):
            i = s.havip_pair(k)
            ls_ports[s.subnet_of(i)].append(self.lsp(
                ops, s.havip_name(k),
                ["%s %s" % (vport_mac(k), s.havip_ip(k))], "virtual",
                {"virtual-ip": s.havip_ip(k),
                 "virtual-parents": "%s,%s" % (s.port_name(i, 0),
                                               s.port_name(i, 1))}))
            nat = "nat%d" % k
            ops.append({"op": "insert", "table": "NAT", "uuid-name": nat,
                        "row": {"type": "dnat_and_snat",
                                "external_ip": s.eip_ip(k),
                                "logical_ip": s.havip_ip(k)}})
            nats.append(named(nat))
        for i in range(s.pairs):
            ports = ls_ports[s.subnet_of(i)]
            for side in (0, 1):
                ports.append(self.lsp(ops, s.port_name(i, side),
                                      ["%s %s" % (s.port_mac(i, side),
                                                  s.port_ip(i, side))]))
        for sn in range(s.subnets):
            lrp = "lrp%d" % sn
            ops.append({"op": "insert", "table": "Logical_Router_Port",
                        "uuid-name": lrp,
                        "row": {"name": lrp, "mac": s.gateway_mac(sn),
                                "networks": "%s/%d" % (
                                    s.gateway_ip(sn),
                                    shape_mod.SUBNET_PREFIX)}})
            vpc_ports.append(named(lrp))
            ls_ports[sn].append(self.lsp(ops, "rp%d" % sn, ["router"],
                                         "router", {"router-port": lrp}))
            ops.append({"op": "insert", "table": "Logical_Switch",
                        "row": {"name": "ls%d" % sn,
                                "ports": oset(ls_ports[sn])}})
        # Client ports, for tracing routed traffic to a HAVIP.
        ops.append({"op": "insert", "table": "Logical_Router_Port",
                    "uuid-name": "lrpc",
                    "row": {"name": "lrp-clients", "mac": CLIENT_GW_MAC,
                            "networks": CLIENT_GW_IP + "/24"}})
        vpc_ports.append(named("lrpc"))
        cports = [self.lsp(ops, "rp-clients", ["router"], "router",
                           {"router-port": "lrp-clients"})]
        for i in self.client_pairs:
            cports.append(self.lsp(ops, client_name(i),
                                   ["%s %s" % (client_mac(i),
                                               self.client_ip(i))]))
        ops.append({"op": "insert", "table": "Logical_Switch",
                    "row": {"name": "clients", "ports": oset(cports)}})
        # The VPC's distributed router, a join switch, and the gateway
        # router with the external port and the NAT rules (the layout of
        # ovn-kubernetes: a gateway router with one port per subnet would
        # get an ARP responder flow per port and per NAT rule).
        for name, mac, net in (("vpc1-join", JOIN_MAC1, JOIN_NET1),
                               ("gr-join", JOIN_MAC2, JOIN_NET2),
                               ("lrp-ext", EXT_MAC, EXT_NET)):
            ops.append({"op": "insert", "table": "Logical_Router_Port",
                        "uuid-name": name.replace("-", "_"),
                        "row": {"name": name, "mac": mac, "networks": net}})
        vpc_ports.append(named("vpc1_join"))
        join_ports = [
            self.lsp(ops, "join-vpc1", ["router"], "router",
                     {"router-port": "vpc1-join"}),
            self.lsp(ops, "join-gr", ["router"], "router",
                     {"router-port": "gr-join"})]
        ops.append({"op": "insert", "table": "Logical_Switch",
                    "row": {"name": "join", "ports": oset(join_ports)}})
        ext_ports = [
            self.lsp(ops, "ln-ext", ["unknown"], "localnet",
                     {"network_name": "physnet"}),
            self.lsp(ops, "rp-ext", ["router"], "router",
                     {"router-port": "lrp-ext"})]
        ops.append({"op": "insert", "table": "Logical_Switch",
                    "row": {"name": "ext", "ports": oset(ext_ports)}})
        routes = (("vpc_dflt", "0.0.0.0/0", JOIN_IP2),
                  ("gr_dflt", "0.0.0.0/0", EXT_NEXTHOP),
                  ("gr_vpc", "10.0.0.0/8", JOIN_IP1))
        for uname, prefix, nexthop in routes:
            ops.append({"op": "insert",
                        "table": "Logical_Router_Static_Route",
                        "uuid-name": uname,
                        "row": {"ip_prefix": prefix, "nexthop": nexthop}})
        ops.append({"op": "insert", "table": "Logical_Router",
                    "row": {"name": "vpc1", "ports": oset(vpc_ports),
                            "static_routes": oset([named("vpc_dflt")])}})
        ops.append({"op": "insert", "table": "Logical_Router",
                    "row": {"name": "gr",
                            "ports": oset([named("gr_join"),
                                           named("lrp_ext")]),
                            "nat": oset(nats),
                            "static_routes": oset([named("gr_dflt"),
                                                   named("gr_vpc")]),
                            "options": ["map", [["chassis", "hv1"]]]}})
        return ops

    def client_ip(self, i):
        """The address of the client port that traces pair i's HAVIPs."""
        return "10.200.0.%d" % (10 + self.client_pairs.index(i))

    def lsp(self, ops, name, addresses, type_="", options=None):
        uname = "lsp_" + name.replace("-", "_")
        row = {"name": name, "addresses": oset(addresses)}
        if type_:
            row["type"] = type_
        if options:
            row["options"] = ["map", sorted(options.items())]
        ops.append({"op": "insert", "table": "Logical_Switch_Port",
                    "uuid-name": uname, "row": row})
        return named(uname)

    # Figures.

    def converge(self):
        ops = self.nb_ops()
        self.nb_cfg = self.nb.select(NB, "NB_Global",
                                     columns=["nb_cfg"])[0]["nb_cfg"]
        cpu0 = {k: lib.cpu_seconds(p) for k, p in self.pids.items()}
        t = lib.Timer()
        self.nb.transact(NB, ops + [self.bump()])
        commit = t.elapsed()
        self.wait_hv(3600)
        total = t.elapsed()
        g = self.nb.select(NB, "NB_Global")[0]
        self.res["converge"] = {
            "commit_s": commit, "total_s": total,
            "ovn_timestamps_s": (g["hv_cfg_timestamp"]
                                 - g["nb_cfg_timestamp"]) / 1000.0,
            "cpu_s": {k: lib.cpu_seconds(p) - cpu0[k]
                      for k, p in self.pids.items()},
        }
        log("OVN N=%d: converged in %.1f s (commit %.1f s)"
            % (self.n, total, commit))

    def bind_holders(self):
        """Sets every virtual port's virtual_parent (its holder) in one SB
        transaction, as pinctrl does for a GARP, then waits for hv_cfg."""
        s = self.shape
        ops = [{"op": "update", "table": "Port_Binding",
                "where": [["logical_port", "==", s.havip_name(k)]],
                "row": {"virtual_parent": s.port_name(
                    s.havip_pair(k), s.holder_side(k))}}
               for k in range(self.n)]
        t = lib.Timer()
        self.sb.transact(SB, ops)
        bound = 0
        deadline = time.time() + 1800
        while True:
            rows = self.sb.select(SB, "Port_Binding",
                                  [["type", "==", "virtual"]],
                                  ["_uuid", "chassis"])
            bound = sum(1 for r in rows if r["chassis"] != ["set", []])
            if bound >= self.n or time.time() > deadline:
                break
            time.sleep(0.5)
        claimed = t.elapsed()
        self.sync(3600)
        synced = t.elapsed()
        self.res["holders"] = {"bound": bound, "claimed_s": claimed,
                               "synced_s": synced}
        log("OVN N=%d: %d holders bound in %.1f s, flows synced at %.1f s"
            % (self.n, bound, claimed, synced))
        # hv_cfg is not proof that the switch has the flows: at 10k
        # ovn-controller spends over 60 s in one main-loop iteration binding
        # the holders, ovs-vswitchd drops its OpenFlow connection (no reply
        # to the inactivity probe), and after the reconnection
        # ovn-controller acked nb_cfg while the switch still had the
        # flows of unbound virtual ports (eth.dst = 00:00:00:00:00:00, the
        # ARP-request path).  Wait until the switch routes to the holders.
        settled = self.settle(t, 3600)
        self.res["holders"]["flows_settled_s"] = settled
        self.res["holders"]["of_reconnects"] = self.of_reconnects()
        if settled is not None and settled - synced > 1:
            log("OVN N=%d: the switch had the holders' flows %.1f s after "
                "hv_cfg (ovn-controller OpenFlow reconnections: %d)"
                % (self.n, settled - synced,
                   self.res["holders"]["of_reconnects"]))

    def trace_holder(self, sw, k):
        """The last datapath action of a packet routed from a client port to
        HAVIP k (the holder's datapath port number if it is bound)."""
        s = self.shape
        i = s.havip_pair(k)
        flow = ("in_port=%s,dl_src=%s,dl_dst=%s,ip,nw_src=%s,nw_dst=%s,"
                "nw_ttl=64" % (client_name(i), client_mac(i), CLIENT_GW_MAC,
                               self.client_ip(i), s.havip_ip(k)))
        acts = sw.call("ofproto/trace", ["br-int", flow])
        acts = acts.rsplit("Datapath actions: ", 1)[-1].strip()
        return acts, acts.split(",")[-1]

    def settle(self, t, timeout_s):
        """Waits until ofproto/trace of every timed HAVIP reaches its holder;
        returns t's elapsed time then."""
        s = self.shape
        sw = ovsdb.Client("unix:" + self.run.vswitchd_ctl())
        dp = self.dp_ports()
        try:
            pending = list(self.changes)
            while pending:
                k = pending[0]
                i = s.havip_pair(k)
                acts, last = self.trace_holder(sw, k)
                if last == dp[s.port_name(i, s.holder_side(k))]:
                    pending.pop(0)
                    continue
                if t.elapsed() > timeout_s:
                    log("OVN N=%d: holder flows not in the switch %.0f s "
                        "after the SB write: %s" % (self.n, t.elapsed(), acts))
                    return None
                time.sleep(0.2)
            return t.elapsed()
        finally:
            sw.close()

    def of_reconnects(self):
        """How often ovs-vswitchd dropped an OpenFlow connection for want of
        a reply to its inactivity probe during this run."""
        n = 0
        try:
            with open(self.run.path("ovs-vswitchd.log")) as f:
                for line in f:
                    if (line >= self.started
                            and "no response to inactivity probe" in line):
                        n += 1
        except OSError:
            pass
        return n

    def flows(self):
        out = self.run.cmd(["ovs-ofctl", "-O", "OpenFlow15", "dump-flows",
                            "--no-stats", "br-int"], timeout=600)
        n = len(out.splitlines())
        with open(self.run.path("flows.txt"), "w") as f:
            f.write(out)
        self.res["flows"] = {"total": n,
                             "total_per_binding": n / float(self.n),
                             "logical_flows": len(self.sb.select(
                                 SB, "Logical_Flow", columns=["_uuid"]))}

    def memory(self):
        rss = {k: lib.rss_kb(p) for k, p in self.pids.items()}
        empty = self.res.pop("rss_empty_kb")
        central = sum(rss[k] for k in ("ovn-northd", "ovnnb_db", "ovnsb_db"))
        self.res["memory"] = {
            "rss_kb": rss, "rss_empty_kb": empty,
            "controller_rss_kb": rss["ovn-controller"],
            "central_rss_kb": central,
            "controller_per_binding_bytes":
                (rss["ovn-controller"] - empty["ovn-controller"]) * 1024.0
                / self.n,
        }

    def dp_ports(self):
        out = self.run.cmd(["ovs-appctl", "dpif/show"])
        ports = {}
        for line in out.splitlines():
            m = re.match(r"\s+(\S+) \d+/(\d+):", line)
            if m:
                ports[m.group(1)] = m.group(2)
        return ports

    def change(self):
        """Holder changes by GARP: until ofproto/trace from a client port in
        the same switch reaches the new holder (flows), and until the SB
        says so (virtual_parent)."""
        s = self.shape
        sw = ovsdb.Client("unix:" + self.run.vswitchd_ctl())
        dp = self.dp_ports()
        flows_lat, sb_lat = [], []
        status = None
        for k in self.changes:
            i = s.havip_pair(k)
            old = s.holder_side(k)
            new_side = 1 - old
            new = s.port_name(i, new_side)
            mac = s.port_mac(i, new_side)
            garp = ("eth(src=%s,dst=ff:ff:ff:ff:ff:ff),eth_type(0x0806),"
                    "arp(sip=%s,tip=%s,op=1,sha=%s,tha=00:00:00:00:00:00)"
                    % (mac, s.havip_ip(k), s.havip_ip(k), mac))
            want = dp[new]
            acts, last = self.trace_holder(sw, k)
            if last != dp[s.port_name(i, old)]:
                status = "trace before the change: %s" % acts
                break
            t = lib.Timer()
            sw.call("netdev-dummy/receive", [new, garp])
            while True:
                acts, last = self.trace_holder(sw, k)
                if last == want:
                    break
                if t.elapsed() > 120:
                    status = "holder did not move within 120 s"
                    break
                time.sleep(0.005)
            if status:
                break
            flows_lat.append(t.elapsed())
            self.sb.wait_until(SB, "Port_Binding",
                               [["logical_port", "==", s.havip_name(k)]],
                               {"virtual_parent": new}, 120000)
            sb_lat.append(t.elapsed())
        sw.close()
        if status:
            self.res["change"] = {"status": status}
            log("OVN N=%d: change: %s" % (self.n, status))
            return
        self.res["change"] = {"flows": lib.summary_ms(flows_lat),
                              "sb": lib.summary_ms(sb_lat)}
        log("OVN N=%d: GARP -> flows p50 %.0f ms"
            % (self.n, self.res["change"]["flows"]["p50_ms"]))

    def execute(self):
        try:
            self.start()
            self.converge()
            self.bind_holders()
            self.flows()
            self.memory()
            self.change()
        except Exception as e:      # Report how far OVN got, and why not.
            self.res["error"] = "%s: %s" % (type(e).__name__, e)
            log("OVN N=%d: %s" % (self.n, self.res["error"]))
        finally:
            self.run.stop()
        return self.res
