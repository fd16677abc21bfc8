# bench/chassis_bench.py: havip on many chassis (issue 7, DESIGN.md
# section 9), on the dummy datapath: no packet crosses a tunnel, the
# figures are about the control plane.
#
# One NB ovsdb-server in bench/work/chassis/, and per chassis chN its own
# run directory bench/work/chassis/chN/ with ovsdb-server (conf.db),
# ovs-vswitchd (dummy datapath, br-int) and havip-controller, as
# tests/chassis.sh starts them: system-id chN, havip-encap-ip 10.255.x.y,
# BENCH_CHASSIS_PORTS dummy VM ports.  ch1 and ch2 are the gateways (dummy
# uplink "pub", havip-gateway-priority 200 and 100).  Chassis are started
# BENCH_CHASSIS_BATCH at a time, in parallel, and no more are started once
# the memory left (MemAvailable) would not hold the ones started after the
# load; the figures then are for the chassis that fit.
#
# Shape (ChassisShape): chassis grouped by BENCH_CHASSIS_PER_VPC neighbours
# into one VPC each (one subnet, its own addresses); in a VPC, port k of
# chassis i is paired with port k of chassis i+1 (i even within the
# group; an odd chassis out is paired with the one before it); N HAVIPs
# spread over the pairs, each with an EIP and a holder.  A non-gateway
# chassis so needs tunnels to the other chassis of its VPC and to the two
# gateways; a gateway needs every chassis.
#
# Figures, each against the same figure with ONE chassis (the same NB
# contents and N; ch1, the gateway, holding every VM port on its own
# br-int), measured in the same run:
#
#   holder change   HAVIP.holder written with NB_Global.nb_cfg bumped in the
#                   same transaction, until NB_Global.hv_cfg (the minimum
#                   Chassis.nb_cfg, which the controllers maintain; each
#                   acks nb_cfg after its switch's barrier reply) reaches
#                   it: "the last chassis installed it".  The holder moves
#                   between two ports on different chassis each time.  Also
#                   the bump alone (no flow change anywhere), and from a
#                   monitor of Chassis and NB_Global: when the first and
#                   the last chassis acked, and when hv_cfg followed.
#   converge        the topology loaded (BENCH_LOAD_BATCH bindings per
#                   transaction, nb_cfg bumped in the last) until hv_cfg;
#                   then until every Port is bound (Port.chassis, written
#                   by the controllers after they see the rows), and a
#                   second bump until hv_cfg: every chassis has the flows
#                   of the others' ports.
#   memory          RSS of the NB ovsdb-server (and its peak, VmHWM), and
#                   of each chassis's controller, ovs-vswitchd and
#                   ovsdb-server, after the failovers; NB memory per
#                   chassis = (RSS_C - RSS_1) / (C - 1).
#   tunnels         Interfaces with external_ids:havip-chassis on every
#                   chassis, against what the shape needs.
#   idle            CPU of every daemon over 5 s with nothing changing.
#   where the time goes: coverage/show of every controller before and
#                   after the holder changes (acks, hv_cfg writes, IDL
#                   transactions retried), CPU of the NB server and of all
#                   the chassis' daemons during them; the controllers of
#                   ch1, ch2, ch3 and the last chassis log every full
#                   recompute (-vdesired:file:dbg); BENCH_PROFILE=1 adds
#                   'perf record -a' and per-process profiles of the NB
#                   server and two controllers during the holder changes.

import glob
import json
import os
import traceback
import re
import signal
import subprocess
import threading
import time

import lib
import ovsdb
from lib import log
from ovsdb import named, oset

NB = "HAVIP_Northbound"
UPLINK = "pub"
EXT_GW_MAC = "0a:ff:00:00:00:01"
SUBNET_BASE = 0x0a000000            # 10.0.0.0; VPC v: 10.v.0.0/16
ENCAP_BASE = 0x0aff0000             # 10.255.0.0: chassis i is .i+1
EIP_BASE = 0x64400000               # 100.64.0.0/10
HAVIP_OFFSET = 4096
GW_PRIORITIES = (200, 100)


def ip(n):
    return "%d.%d.%d.%d" % (n >> 24, (n >> 16) & 255, (n >> 8) & 255,
                            n & 255)


def mem_available_mb():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024
    return 0


class ChassisShape:
    """C chassis, P VM ports each, grouped G by G into VPCs; HA pairs
    between neighbouring chassis of a VPC; N bindings over the pairs."""

    def __init__(self, c, ports, per_vpc, n):
        self.c, self.p, self.n = c, ports, n
        g = max(2, per_vpc)
        # VPC groups of g consecutive chassis; a last group of one joins
        # the one before.
        self.groups = [list(range(s, min(s + g, c))) for s in range(0, c, g)]
        if len(self.groups) > 1 and len(self.groups[-1]) == 1:
            last = self.groups.pop()
            self.groups[-1] += last
        self.vpc_of = {}
        for v, grp in enumerate(self.groups):
            for i in grp:
                self.vpc_of[i] = v
        if len(self.groups) > 254:
            raise ValueError("too many VPCs (%d): raise BENCH_CHASSIS_PER_VPC"
                             % len(self.groups))
        # Chassis pairs (i, j): i even within its group, j = i + 1; an odd
        # chassis out pairs with the one before it.
        cpairs = []
        for grp in self.groups:
            for x in range(0, len(grp) - 1, 2):
                cpairs.append((grp[x], grp[x + 1]))
            if len(grp) % 2 and len(grp) > 1:
                cpairs.append((grp[-2], grp[-1]))
        # Port pairs: port k of i with port k of j.
        self.pairs = [((i, k), (j, k)) for i, j in cpairs
                      for k in range(ports)]
        if not self.pairs:
            raise ValueError("no HA pairs: need 2 chassis and 1 port each")
        # HAVIP index within its VPC.
        self.havip_index = []
        count = [0] * len(self.groups)
        for k in range(n):
            v = self.vpc_of[self.pairs[k % len(self.pairs)][0][0]]
            self.havip_index.append(count[v])
            count[v] += 1
        if 16 + max(len(grp) for grp in self.groups) * ports >= HAVIP_OFFSET \
                or HAVIP_OFFSET + max(count) >= 65534:
            raise ValueError("too many ports or HAVIPs per VPC")

    # Chassis.
    def chassis_name(self, i):
        return "ch%d" % (i + 1)

    def encap_ip(self, i):
        return ip(ENCAP_BASE + i + 1)

    def is_gateway(self, i):
        return i < len(GW_PRIORITIES) and self.c > 1

    # VPC v: one subnet.
    def subnet_base(self, v):
        return SUBNET_BASE + (v << 16)

    # Port k of chassis i.
    def port_name(self, i, k):
        return "c%dp%d" % (i + 1, k)

    def port_mac(self, i, k):
        return "0a:01:%02x:%02x:%02x:%02x" % (i >> 8, i & 255, k >> 8,
                                              k & 255)

    def port_ip(self, i, k):
        v = self.vpc_of[i]
        local = self.groups[v].index(i) * self.p + k
        return ip(self.subnet_base(v) + 16 + local)

    # Binding j.
    def havip_name(self, j):
        return "chv%d" % j

    def eip_ip(self, j):
        return ip(EIP_BASE + j + 1)

    def havip_pair(self, j):
        return self.pairs[j % len(self.pairs)]

    def havip_ip(self, j):
        v = self.vpc_of[self.havip_pair(j)[0][0]]
        return ip(self.subnet_base(v) + HAVIP_OFFSET + self.havip_index[j])

    def holder_side(self, j):
        return (j // len(self.pairs)) & 1

    def tunnels_expected(self, i):
        """The chassis that chassis i needs a tunnel to."""
        if self.is_gateway(i):
            return self.c - 1
        need = set(self.groups[self.vpc_of[i]])
        need.update(g for g in range(self.c) if self.is_gateway(g))
        need.discard(i)
        return len(need)

    def nb_batches(self, batch):
        """Like shape.Shape.havip_nb_batches: the topology without bindings
        first, then 'batch' bindings per transaction (the caller sends the
        first transaction's result into the generator)."""
        ops = [{"op": "insert", "table": "Region", "uuid-name": "r",
                "row": {"name": "r1", "external_gateway_mac": EXT_GW_MAC}}]
        for v in range(len(self.groups)):
            base = self.subnet_base(v)
            ops.append({"op": "insert", "table": "VPC", "uuid-name": "v%d" % v,
                        "row": {"name": "cvpc%d" % v, "region": named("r")}})
            ops.append({"op": "insert", "table": "Subnet",
                        "uuid-name": "s%d" % v,
                        "row": {"name": "cs%d" % v, "vpc": named("v%d" % v),
                                "cidr": "%s/16" % ip(base),
                                "gateway_ip": ip(base + 1),
                                "gateway_mac": "0a:fe:00:00:%02x:%02x"
                                               % (v >> 8, v & 255)}})
        for i in range(self.c):
            for k in range(self.p):
                ops.append({"op": "insert", "table": "Port",
                            "uuid-name": "p%d_%d" % (i, k),
                            "row": {"name": self.port_name(i, k),
                                    "subnet": named("s%d" % self.vpc_of[i]),
                                    "mac": self.port_mac(i, k),
                                    "ip": self.port_ip(i, k)}})
        result = yield ops
        uuids = {op["uuid-name"]: r["uuid"] for op, r in zip(ops, result)}
        step = batch if batch and batch < self.n else self.n
        for start in range(0, self.n, step):
            b = []
            for j in range(start, min(self.n, start + step)):
                pa, pb = self.havip_pair(j)
                ports = [uuids["p%d_%d" % pa], uuids["p%d_%d" % pb]]
                v = self.vpc_of[pa[0]]
                b.append({"op": "insert", "table": "EIP",
                          "uuid-name": "e%d" % j,
                          "row": {"name": "ce%d" % j, "ip": self.eip_ip(j),
                                  "region": uuids["r"]}})
                b.append({"op": "insert", "table": "HAVIP",
                          "row": {"name": self.havip_name(j),
                                  "subnet": uuids["s%d" % v],
                                  "ip": self.havip_ip(j),
                                  "ports": oset(ports),
                                  "holder": ports[self.holder_side(j)],
                                  "eip": named("e%d" % j)}})
            yield b


class Monitor:
    """A monitor of Chassis.nb_cfg and NB_Global.hv_cfg that timestamps
    every update (perf_counter), read by a thread."""

    def __init__(self, remote):
        self.client = ovsdb.Client(remote)
        self.lock = threading.Lock()
        self.events = []                # (t, "ack" | "hv", uuid, value)
        self.closed = False
        self.client._send({"method": "monitor", "id": "mon", "params": [
            NB, "m", {"Chassis": {"columns": ["nb_cfg"]},
                       "NB_Global": {"columns": ["hv_cfg"]}}]})
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _record(self, updates):
        t = time.perf_counter()
        with self.lock:
            for table, rows in updates.items():
                for uuid, change in rows.items():
                    new = change.get("new")
                    if not new:
                        continue
                    if table == "Chassis" and "nb_cfg" in new:
                        self.events.append((t, "ack", uuid, new["nb_cfg"]))
                    elif table == "NB_Global" and "hv_cfg" in new:
                        self.events.append((t, "hv", uuid, new["hv_cfg"]))

    def _loop(self):
        try:
            while True:
                msg = self.client._recv_msg()
                if msg.get("method") == "echo":
                    self.client._send({"result": msg["params"],
                                       "error": None, "id": msg["id"]})
                elif msg.get("method") == "update":
                    self._record(msg["params"][1])
                elif msg.get("id") == "mon" and msg.get("result"):
                    self._record(msg["result"])
        except (OSError, ovsdb.OvsdbError, ValueError):
            pass

    def phases(self, cfg, t0, n_chassis, timeout=2.0):
        """For nb_cfg 'cfg' sent at 't0': seconds to the first and the last
        chassis ack and to hv_cfg, or None if not all were seen."""
        deadline = time.perf_counter() + timeout
        while True:
            with self.lock:
                acks = [t for t, kind, _, v in self.events
                        if kind == "ack" and v == cfg]
                hv = [t for t, kind, _, v in self.events
                      if kind == "hv" and v == cfg]
            if (hv and len(acks) >= n_chassis) \
                    or time.perf_counter() > deadline:
                break
            time.sleep(0.01)
        with self.lock:
            self.events = [e for e in self.events if e[3] > cfg]
        if not hv or len(acks) < n_chassis:
            return None
        return {"first_ack": min(acks) - t0, "last_ack": max(acks) - t0,
                "hv_cfg": hv[0] - t0}

    def close(self):
        self.client.close()


class SystemProfiler:
    """'perf record -a' (every process: with C chassis the time is spread
    over hundreds of them) until stop(); writes the CPU share by command
    and the top symbols to WORKDIR/profile-NAME.txt."""

    def __init__(self, name):
        self.data = os.path.join(lib.WORKDIR, "perf-%s.data" % name)
        self.out = os.path.join(lib.WORKDIR, "profile-%s.txt" % name)
        self.proc = subprocess.Popen(["perf", "record", "-q", "-a", "-g",
                                      "-F", "199", "-o", self.data],
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        time.sleep(0.5)

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait()
        with open(self.out, "w") as f:
            for sort in ("comm", "comm,dso", "comm,symbol"):
                f.flush()
                subprocess.run(["perf", "report", "-i", self.data, "--stdio",
                                "--no-children", "--sort", sort,
                                "--percent-limit", "0.5", "-g", "none"],
                               stdout=f, stderr=subprocess.DEVNULL)
        log("system profile written to %s" % self.out)


class Fleet:
    """Chassis daemons in run directories under 'top', started in parallel
    batches and stopped by pid, all at once (also at exit, on error and on
    SIGINT/SIGTERM: it is registered with lib's run list)."""

    def __init__(self, top, nb_remote):
        self.top = top
        self.nb_remote = nb_remote
        self.dirs = []
        self.env = dict(os.environ)
        self.env.update({
            "HAVIP_SRCDIR": lib.SRCDIR,
            "PATH": "%s/controller:%s/utilities:%s"
                    % (lib.SRCDIR, lib.SRCDIR, os.environ.get("PATH", "")),
        })
        self.stopped = False
        self.starting = []              # Start scripts in flight.
        # Leftovers of a killed run, then a clean directory per chassis.
        self.dirs = sorted(glob.glob(os.path.join(top, "ch*")))
        self.stop()
        for d in self.dirs:
            subprocess.run(["rm", "-rf", d])
        self.dirs = []
        self.stopped = False
        lib._runs.append(self)

    def dir(self, name):
        return os.path.join(self.top, name)

    def start_script(self, shape, i, all_ports=False, traced=False):
        """The shell commands that start chassis 'i' of 'shape' (with every
        VM port of the shape if 'all_ports'; logging each full recompute
        with its time if 'traced')."""
        name = shape.chassis_name(i)
        args = ["--", "set", "Open_vSwitch", ".",
                "external_ids:havip-encap-ip=%s" % shape.encap_ip(i)]
        if shape.is_gateway(i) or all_ports:
            args += ["external_ids:havip-uplink=%s" % UPLINK,
                     "external_ids:havip-gateway-priority=%d"
                     % GW_PRIORITIES[0 if all_ports else i],
                     "--", "add-port", "br-int", UPLINK,
                     "--", "set", "Interface", UPLINK, "type=dummy"]
        chassis = range(shape.c) if all_ports else [i]
        for ci in chassis:
            for k in range(shape.p):
                pn = shape.port_name(ci, k)
                args += ["--", "add-port", "br-int", pn,
                         "--", "set", "Interface", pn, "type=dummy",
                         "external_ids:iface-id=%s" % pn]
        return ("set -e\n"
                ". %s/utilities/havip-daemons.sh\n"
                "havip_env %s >/dev/null\n"
                "export HAVIP_NB_DB=%s\n"
                "HAVIP_CHASSIS=%s havip_start_ovs >/dev/null\n"
                "ovs-vsctl --no-wait %s\n"
                "havip_start_controller %s\n"
                % (lib.SRCDIR, self.dir(name), self.nb_remote, name,
                   " ".join(args), "-vdesired:file:dbg" if traced else ""))

    def start(self, shape, indices, all_ports=False, traced=()):
        """Starts chassis 'indices' in parallel; raises if one fails.  The
        controllers of chassis in 'traced' log their recomputes."""
        procs = []
        for i in indices:
            d = self.dir(shape.chassis_name(i))
            os.makedirs(d, exist_ok=True)
            self.dirs.append(d)
            out = open(os.path.join(d, "start.log"), "w")
            # In a session of its own, so that stop() can end the script
            # and whatever it runs (but not the daemons: they detach).
            p = subprocess.Popen(
                ["bash", "-c", self.start_script(shape, i, all_ports,
                                                 i in traced)],
                env=self.env, cwd=d, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)
            self.starting.append(p)
            procs.append((d, out, p))
        bad = []
        for d, out, p in procs:
            if p.wait():
                bad.append(d)
            out.close()
        self.starting = []
        if bad:
            with open(os.path.join(bad[0], "start.log")) as f:
                tail = f.read()[-2000:]
            raise RuntimeError("could not start chassis %s:\n%s"
                               % (", ".join(os.path.basename(b)
                                            for b in bad), tail))

    def pid(self, d, name):
        try:
            with open(os.path.join(d, name + ".pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def pids(self, name):
        """{chassis name: pid} of daemon 'name' (havip-controller,
        ovs-vswitchd, ovsdb-server)."""
        return {os.path.basename(d): self.pid(d, name) for d in self.dirs
                if self.pid(d, name)}

    def ctl_all(self, names, *args, width=20, timeout=120):
        """Runs the controller unixctl command 'args' on every chassis of
        'names', 'width' at a time; returns {name: output}."""
        out = {}
        names = list(names)
        for s in range(0, len(names), width):
            procs = [(n, subprocess.Popen(
                ["ovs-appctl", "--timeout=%d" % timeout, "-t",
                 os.path.join(self.dir(n), "havip-controller.ctl")]
                + list(args), stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL, universal_newlines=True))
                for n in names[s:s + width]]
            for n, p in procs:
                out[n] = p.communicate()[0]
        return out

    def ctl(self, chassis, *args, timeout=60):
        d = self.dir(chassis)
        r = subprocess.run(["ovs-appctl", "-t",
                            os.path.join(d, "havip-controller.ctl")]
                           + list(args), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, universal_newlines=True,
                           timeout=timeout)
        return r.stdout

    def vsctl(self, chassis, *args):
        d = self.dir(chassis)
        return subprocess.run(["ovs-vsctl", "--timeout=60",
                               "--db=unix:%s/db.sock" % d] + list(args),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True,
                              timeout=120).stdout

    @staticmethod
    def _ours(pid, d):
        """True if 'pid' is a live daemon started in run directory 'd'
        (its environment names it), so that a recycled pid is left
        alone."""
        try:
            with open("/proc/%d/environ" % pid, "rb") as f:
                env = f.read().split(b"\0")
            with open("/proc/%d/stat" % pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            return False
        return state != "Z" and ("OVS_RUNDIR=%s" % d).encode() in env

    def strays(self):
        """Daemons started in one of this fleet's run directories whose
        pidfile is gone (a start interrupted half way)."""
        out = []
        prefix = ("OVS_RUNDIR=%s/ch" % self.top).encode()
        for p in os.listdir("/proc"):
            if not p.isdigit() or int(p) == os.getpid():
                continue
            try:
                with open("/proc/%s/environ" % p, "rb") as f:
                    env = f.read().split(b"\0")
            except OSError:
                continue
            for e in env:
                if e.startswith(prefix):
                    d = e.split(b"=", 1)[1].decode()
                    if self._ours(int(p), d):
                        out.append((int(p), d))
                    break
        return out

    def stop(self):
        """Ends the start scripts in flight, then sends TERM to every
        daemon of every chassis at once (by its pidfile, or found by its
        run directory), KILL to those left after 10 s."""
        if self.stopped:
            return
        self.stopped = True
        # (No Popen.wait() here: on a signal, this runs inside the wait()
        # of start(), whose lock is not reentrant.)
        for p in self.starting:
            if p.returncode is not None:
                continue            # Reaped: its pid may be reused.
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
        if self.starting:
            time.sleep(1)       # Daemons half way through detaching.
        self.starting = []
        pids = []
        for d in self.dirs:
            for f in glob.glob(os.path.join(d, "*.pid")):
                try:
                    with open(f) as fh:
                        pid = int(fh.read().strip())
                except (OSError, ValueError):
                    pid = None
                if pid and self._ours(pid, d):
                    try:
                        os.kill(pid, signal.SIGTERM)
                        pids.append((pid, d))
                    except OSError:
                        pass
                try:
                    os.unlink(f)
                except OSError:
                    pass
        for pid, d in self.strays():
            try:
                os.kill(pid, signal.SIGTERM)
                pids.append((pid, d))
            except OSError:
                pass
        deadline = time.time() + 10
        while pids and time.time() < deadline:
            pids = [(p, d) for p, d in pids if self._ours(p, d)]
            time.sleep(0.05)
        for p, d in pids:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass


def coverage_totals(text):
    out = {}
    for line in text.splitlines():
        m = re.match(r"(\S+)\s+.*total:\s*(\d+)", line.strip())
        if m:
            out[m.group(1)] = int(m.group(2))
    return out


COVERAGE_KEYS = ("chassis_nb_cfg_ack", "chassis_hv_cfg_update",
                 "txn_success", "txn_try_again", "txn_incomplete",
                 "txn_unchanged", "txn_aborted", "txn_error",
                 "desired_recompute", "desired_incremental",
                 "poll_create_node", "poll_zero_timeout", "ofctrl_bundle",
                 "ofctrl_flow_add", "ofctrl_flow_modify", "vconn_received",
                 "tunnel_add", "tunnel_update", "tunnel_delete")


def status_kb(pid, field):
    """A field of /proc/PID/status in kB (VmRSS, VmHWM)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None


RECOMPUTE_RE = re.compile(r"^(\S+)\|\d+\|desired\|DBG\|recomputed in (\d+) ms")


def recomputes(logfile, since=None):
    """Full recomputes logged in 'logfile' (at or after the timestamp
    'since', in the log's own format): count, total and largest ms."""
    ms = []
    try:
        with open(logfile) as f:
            for line in f:
                m = RECOMPUTE_RE.match(line)
                if m and (since is None or m.group(1) >= since):
                    ms.append(int(m.group(2)))
    except OSError:
        pass
    return {"count": len(ms), "total_ms": sum(ms),
            "max_ms": max(ms) if ms else 0}


def log_now():
    """The current time as vlog writes it (UTC, milliseconds)."""
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + (
        ".%03dZ" % (int(t * 1000) % 1000))


def median(values):
    return lib.percentile(values, 50)


class ChassisBench:
    def __init__(self, opts):
        self.opts = opts
        self.c_target = opts["chassis"]
        self.p = opts["chassis_ports"]
        self.n = opts["chassis_n"]
        self.res = {"chassis_target": self.c_target,
                    "ports_per_chassis": self.p, "n": self.n,
                    "per_vpc": opts["chassis_per_vpc"],
                    "batch": opts["chassis_batch"],
                    "mem_reserve_mb": opts["chassis_mem_reserve_mb"]}
        self.nb_cfg = 0
        # Chassis whose controllers log their recomputes: both gateways, a
        # chassis of the gateways' VPC and the last one.
        self.traced = {0, 1, 2, self.c_target - 1}

    # NB helpers.

    def bump(self):
        self.nb_cfg += 1
        return {"op": "update", "table": "NB_Global", "where": [],
                "row": {"nb_cfg": self.nb_cfg}}

    def wait_hv(self, timeout_s=60):
        """Waits until NB_Global.hv_cfg reaches the current nb_cfg, in
        slices of 5 s so that the memory left is watched."""
        deadline = time.time() + timeout_s
        while True:
            left = deadline - time.time()
            try:
                self.nb.wait_until(NB, "NB_Global", [],
                                   {"hv_cfg": self.nb_cfg},
                                   int(min(5.0, max(0.1, left)) * 1000))
                return
            except ovsdb.OvsdbError as e:
                if "timed out" not in str(e) or left <= 0:
                    raise
            self.check_memory()

    def check_memory(self):
        avail = mem_available_mb()
        if avail < self.opts["chassis_mem_floor_mb"]:
            raise RuntimeError("only %d MB of memory left: stopping" % avail)

    def sync(self, timeout_s=120):
        self.nb_cfg = self.nb.select(NB, "NB_Global",
                                     columns=["nb_cfg"])[0]["nb_cfg"]
        self.nb.transact(NB, [self.bump()])
        self.wait_hv(timeout_s)

    def wait_registered(self, count, timeout_s=300):
        """Waits until 'count' Chassis rows have their tunnel endpoint."""
        deadline = time.time() + timeout_s
        while True:
            rows = self.nb.select(NB, "Chassis", columns=["name", "encap_ip"])
            n = sum(1 for r in rows if r["encap_ip"])
            if n >= count:
                return
            if time.time() > deadline:
                raise RuntimeError("%d of %d chassis registered after %d s"
                                   % (n, count, timeout_s))
            time.sleep(0.5)

    def load(self, shape):
        """Loads 'shape' into the NB, nb_cfg bumped in the last transaction.
        Returns (seconds to the last commit's reply, transactions)."""
        t = lib.Timer()
        gen = shape.nb_batches(self.opts["load_batch"])
        first = next(gen)
        result = self.nb.transact(NB, first)
        batches = [gen.send(result)] + list(gen)
        for k, ops in enumerate(batches):
            if k == len(batches) - 1:
                ops = ops + [self.bump()]
            self.nb.transact(NB, ops)
        return t.elapsed(), 1 + len(batches)

    def traced_recomputes(self, since):
        out = {}
        for name, d in ((os.path.basename(d), d) for d in self.fleet.dirs):
            if int(name[2:]) - 1 in self.traced:
                out[name] = recomputes(os.path.join(d, "havip-controller.log"),
                                       since)
        return out

    def idle(self, secs=5.0):
        """CPU (% of one core) of the chassis' daemons and the NB server
        over 'secs' with nothing changing."""
        cpu0 = self.cpu_snapshot()
        t = lib.Timer()
        time.sleep(secs)
        cpu1 = self.cpu_snapshot()
        return {k: (cpu1[k] - cpu0[k]) / t.elapsed() * 100.0 for k in cpu0}

    def converge(self, shape):
        """Load -> hv_cfg; -> every Port bound; bump -> hv_cfg."""
        since = log_now()
        t = lib.Timer()
        commit, n_txns = self.load(shape)
        self.wait_hv(timeout_s=600)
        total = t.elapsed()
        deadline = time.time() + 300
        while True:
            try:
                self.nb.transact(NB, [{
                    "op": "wait", "table": "Port",
                    "where": [["chassis", "==", ["set", []]]],
                    "columns": ["chassis"], "until": "==", "rows": [],
                    "timeout": 5000}])
                break
            except ovsdb.OvsdbError as e:
                if "timed out" not in str(e) or time.time() > deadline:
                    raise
                self.check_memory()
        bound = t.elapsed()
        self.nb.transact(NB, [self.bump()])
        self.wait_hv(timeout_s=600)
        full = t.elapsed()
        return {"commit_s": commit, "transactions": n_txns,
                "total_s": total, "after_commit_s": total - commit,
                "all_bound_s": bound, "full_s": full,
                "recomputes": self.traced_recomputes(since)}

    # Holder changes.

    def pick(self, shape, count):
        step = max(1, self.n // count)
        return [(k * step + k) % self.n for k in range(count)]

    def failovers(self, shape, n_chassis, monitor=None):
        count = self.opts["failovers"]
        ports = {r["name"]: r["_uuid"][1]
                 for r in self.nb.select(NB, "Port",
                                         columns=["_uuid", "name"])}
        havips = {r["name"]: (r["_uuid"][1], r["holder"])
                  for r in self.nb.select(NB, "HAVIP",
                                          columns=["_uuid", "name",
                                                   "holder"])}
        by_uuid = {v: k for k, v in ports.items()}
        js = self.pick(shape, count)
        holder = {}
        for j in js:
            h = havips[shape.havip_name(j)][1]
            holder[j] = by_uuid.get(h[1]) if h[0] == "uuid" else None

        def change(j):
            (ia, ka), (ib, kb) = shape.havip_pair(j)
            a, b = shape.port_name(ia, ka), shape.port_name(ib, kb)
            new = b if holder[j] == a else a
            holder[j] = new
            return [{"op": "update", "table": "HAVIP",
                     "where": [["_uuid", "==",
                                ["uuid", havips[shape.havip_name(j)][0]]]],
                     "row": {"holder": ["uuid", ports[new]]}}, self.bump()]

        def timed(ops_fn, n):
            lat, phases = [], []
            for x in range(n):
                ops = ops_fn(x)
                t0 = time.perf_counter()
                self.nb.transact(NB, ops)
                self.wait_hv()
                lat.append(time.perf_counter() - t0)
                if monitor:
                    ph = monitor.phases(self.nb_cfg, t0, n_chassis)
                    if ph:
                        phases.append(ph)
            out = lib.summary_ms(lat)
            if phases:
                out["phases"] = {k: lib.summary_ms([p[k] for p in phases])
                                 for k in ("first_ack", "last_ack", "hv_cfg")}
            return out

        for j in js[:3]:                       # Warm up.
            self.nb.transact(NB, change(j))
            self.wait_hv()
        fo = {"sync": timed(lambda x: [self.bump()], min(10, count))}
        cov0 = self.coverage()
        since = log_now()
        profile = self.opts["profile"] and SystemProfiler(
            "chassis-%d" % n_chassis)
        # And per process (call chains with BENCH_PROFILE_CALLGRAPH=dwarf):
        # the NB server, a gateway's controller and another chassis's.
        ctls = self.fleet.pids("havip-controller")
        names = ("ch1", "ch%d" % (n_chassis // 2))
        pprofile = self.opts["profile"] and lib.Profiler(
            self.nb_run, "chassis-%d" % n_chassis,
            [self.nb_pid] + [ctls[n] for n in names if n in ctls])
        cpu0 = self.cpu_snapshot()
        t = lib.Timer()
        fo["set_holder"] = timed(lambda x: change(js[x]), count)
        elapsed = t.elapsed()
        cpu1 = self.cpu_snapshot()
        if profile:
            profile.stop()
            pprofile.stop()
        fo["recomputes"] = self.traced_recomputes(since)
        cov1 = self.coverage()
        fo["set_holder"]["ratio_to_sync"] = lib.ratio(
            fo["set_holder"]["p50_ms"], fo["sync"]["p50_ms"])
        fo["cpu_ms_per_change"] = {
            k: (cpu1[k] - cpu0[k]) * 1000.0 / count for k in cpu0}
        fo["cpu_percent"] = {k: (cpu1[k] - cpu0[k]) / elapsed * 100.0
                             for k in cpu0}
        fo["coverage_per_change"] = {
            k: (cov1.get(k, 0) - cov0.get(k, 0)) / float(count)
            for k in set(cov0) | set(cov1)}
        return fo

    # Process statistics.

    def cpu_snapshot(self):
        out = {"nb_server": lib.cpu_seconds(self.nb_pid)}
        for name, key in (("havip-controller", "controllers"),
                          ("ovs-vswitchd", "vswitchds"),
                          ("ovsdb-server", "local_ovsdbs")):
            total = 0.0
            for pid in self.fleet.pids(name).values():
                try:
                    total += lib.cpu_seconds(pid)
                except OSError:
                    pass
            out[key] = total
        return out

    def coverage(self):
        """Sums of COVERAGE_KEYS over every controller.  A daemon adds its
        threads' counts into the totals that coverage/show prints at most
        once a second, when it wakes: wait, wake every controller, then
        read."""
        names = list(self.fleet.pids("havip-controller"))
        time.sleep(1.1)
        self.fleet.ctl_all(names, "version")
        time.sleep(0.2)
        total = {}
        for out in self.fleet.ctl_all(names, "coverage/show").values():
            cov = coverage_totals(out)
            for k in COVERAGE_KEYS:
                total[k] = total.get(k, 0) + cov.get(k, 0)
        return total

    def memory(self):
        def rss(pids):
            out = {}
            for name, pid in pids.items():
                try:
                    out[name] = lib.rss_kb(pid)
                except OSError:
                    pass
            return out

        ctl = rss(self.fleet.pids("havip-controller"))
        vsd = rss(self.fleet.pids("ovs-vswitchd"))
        db = rss(self.fleet.pids("ovsdb-server"))
        gws = ["ch1", "ch2"]
        others = [n for n in ctl if n not in gws]

        def stats(d, names):
            v = [d[n] for n in names if n in d]
            return {"median_kb": median(v), "max_kb": max(v) if v else None,
                    "sum_kb": sum(v)}

        return {
            "nb_server_kb": lib.rss_kb(self.nb_pid),
            "nb_server_hwm_kb": status_kb(self.nb_pid, "VmHWM"),
            "nb_memory_show": subprocess.run(
                ["ovs-appctl", "-t", os.path.join(self.nb_run.dir,
                                                  "havip_nb.ctl"),
                 "memory/show"], stdout=subprocess.PIPE,
                universal_newlines=True).stdout.strip(),
            "controller_ch1_kb": ctl.get("ch1"),
            "vswitchd_ch1_kb": vsd.get("ch1"),
            "ovsdb_ch1_kb": db.get("ch1"),
            "controller_others": stats(ctl, others),
            "vswitchd_others": stats(vsd, others),
            "ovsdb_others": stats(db, others),
            "all_chassis_kb": sum(ctl.values()) + sum(vsd.values())
            + sum(db.values()),
            "mem_available_mb": mem_available_mb(),
        }

    def tunnels(self, shape, names, timeout_s=60):
        """{chassis: tunnels} for 'names', polled until every one has what
        the shape needs or 'timeout_s'."""
        deadline = time.time() + timeout_s
        while True:
            got = {}
            for name in names:
                out = self.fleet.vsctl(name, "--format=json", "--columns=name,"
                                       "external_ids", "list", "Interface")
                try:
                    data = json.loads(out)["data"]
                except ValueError:
                    data = []
                got[name] = sum(1 for row in data
                                if any(k == "havip-chassis"
                                       for k, _ in row[1][1]))
            want = {name: shape.tunnels_expected(int(name[2:]) - 1)
                    for name in names}
            if got == want or time.time() > deadline:
                return got, want
            time.sleep(1)

    # Phases.

    def start_fleet(self):
        """Starts up to the target number of chassis, batch by batch, while
        the memory left holds them after the load.  Returns how many."""
        opts = self.opts
        target = self.c_target
        batch = max(1, opts["chassis_batch"])
        # Memory the chassis take once the NB is loaded: their own start
        # cost is measured on the way, the growth with the load is
        # estimated from N (a controller holds the whole NB in its IDL:
        # ~55 MB at N = 10,000, whatever its share).
        growth_mb = opts["chassis_growth_mb"] or max(8, self.n // 180)
        reserve = opts["chassis_mem_reserve_mb"]
        avail0 = mem_available_mb()
        probe = ChassisShape(target, self.p, opts["chassis_per_vpc"], 1)
        started = 0
        t = lib.Timer()
        stop_reason = None
        while started < target:
            b = min(batch, target - started)
            avail = mem_available_mb()
            per = ((avail0 - avail) / float(started) if started else 40.0)
            need = b * per + (started + b) * growth_mb
            if avail - need < reserve:
                stop_reason = ("memory: %d MB available, %d chassis need "
                               "%.0f MB more after the load (reserve %d MB)"
                               % (avail, started + b, need, reserve))
                break
            self.fleet.start(probe, range(started, started + b),
                             traced=self.traced)
            started += b
            if started % (5 * batch) == 0 or started == target:
                log("chassis: %d started (%.0f s, %d MB available)"
                    % (started, t.elapsed(), mem_available_mb()))
        self.res["start"] = {"secs": t.elapsed(), "mem_available_mb_before":
                             avail0, "mem_available_mb_after":
                             mem_available_mb(), "stopped_by": stop_reason}
        if stop_reason:
            log("chassis: stopped at %d: %s" % (started, stop_reason))
        return started

    def open_fleet(self, name):
        """Starts the NB server of run directory 'name' (self.nb_run) and
        sets up the fleet of chassis under bench/work/'name'."""
        remote = "unix:" + self.nb_run.path("havip_nb.sock")
        self.fleet = Fleet(os.path.join(lib.WORKDIR, name), remote)
        self.nb_run.sh("havip_start_nb >/dev/null")
        self.nb_pid = self.nb_run.pid("havip_nb")
        self.nb = ovsdb.Client(remote)

    def phase_many(self):
        self.fleet = None
        self.nb_run = lib.Run("chassis")
        try:
            self.open_fleet("chassis")
            c = self.start_fleet()
            if c < 2:
                raise RuntimeError("fewer than 2 chassis fit")
            self.c = c
            self.shape = ChassisShape(c, self.p, self.opts["chassis_per_vpc"],
                                      self.n)
            self.res["chassis"] = c
            self.res["vpcs"] = len(self.shape.groups)
            self.res["pairs"] = len(self.shape.pairs)
            t = lib.Timer()
            self.wait_registered(c)
            self.sync()
            self.res["start"]["registered_s"] = t.elapsed()
            self.res["start"]["total_s"] = (self.res["start"]["secs"]
                                            + t.elapsed())
            log("chassis: %d chassis registered and synced; loading N=%d"
                % (c, self.n))
            mem0 = self.memory()
            many = {"memory_empty": mem0}
            many["converge"] = self.converge(self.shape)
            log("chassis: %d chassis converged in %.1f s (commit %.1f s), "
                "all bound %.1f s, then synced %.1f s"
                % (c, many["converge"]["total_s"],
                   many["converge"]["commit_s"],
                   many["converge"]["all_bound_s"],
                   many["converge"]["full_s"]))
            many["memory_loaded"] = self.memory()
            many["idle_cpu_percent"] = self.idle()
            log("chassis: idle CPU of %d chassis: %s" % (c, ", ".join(
                "%s %.0f%%" % kv for kv in
                sorted(many["idle_cpu_percent"].items()))))
            names = sorted(self.fleet.pids("havip-controller"),
                           key=lambda x: int(x[2:]))
            got, want = self.tunnels(self.shape, names)
            gws = [n for n in names if self.shape.is_gateway(int(n[2:]) - 1)]
            others = [n for n in names if n not in gws]
            many["tunnels"] = {
                "gateways": {n: got[n] for n in gws},
                "others_counts": sorted(set(got[n] for n in others)),
                "others_median": median([got[n] for n in others]),
                "others_max": max([got[n] for n in others] or [0]),
                "all_as_expected": got == want,
                "mismatches": {n: [got[n], want[n]] for n in names
                               if got[n] != want[n]},
                "expected_others": sorted(set(want[n] for n in others)),
            }
            log("chassis: tunnels: gateways %s, others %s (expected %s)"
                % (many["tunnels"]["gateways"],
                   many["tunnels"]["others_counts"],
                   many["tunnels"]["expected_others"]))
            mon = Monitor("unix:" + self.nb_run.path("havip_nb.sock"))
            try:
                many["failover"] = self.failovers(self.shape, c, mon)
            finally:
                mon.close()
            fo = many["failover"]
            log("chassis: %d chassis: holder change -> hv_cfg p50 %.1f ms "
                "p99 %.1f ms (bump alone p50 %.1f ms)"
                % (c, fo["set_holder"]["p50_ms"], fo["set_holder"]["p99_ms"],
                   fo["sync"]["p50_ms"]))
            many["memory"] = self.memory()
            many["coverage_show"] = {
                n: self.fleet.ctl(n, "coverage/show")
                for n in ("ch1", "ch3", names[-1])}
            many["nb_coverage_show"] = subprocess.run(
                ["ovs-appctl", "-t", self.nb_run.path("havip_nb.ctl"),
                 "coverage/show"], stdout=subprocess.PIPE,
                universal_newlines=True).stdout
            many["chassis_show"] = self.fleet.ctl("ch3", "chassis/show")
            many["ofctrl_show_ch3"] = self.fleet.ctl("ch3", "ofctrl/show")
            self.res["many"] = many
        finally:
            t = lib.Timer()
            if self.fleet:
                self.fleet.stop()
            self.nb_run.stop()
            self.res["stop_s"] = t.elapsed()

    def phase_one(self):
        """The same NB contents and N with one chassis, ch1, holding every
        VM port."""
        self.nb_run = lib.Run("chassis-1")
        self.fleet = None
        try:
            self.open_fleet("chassis-1")
            t = lib.Timer()
            self.fleet.start(self.shape, [0], all_ports=True, traced={0})
            self.wait_registered(1)
            self.nb_cfg = 0
            self.sync()
            one = {"start_s": t.elapsed()}
            one["converge"] = self.converge(self.shape)
            log("chassis: 1 chassis converged in %.1f s (commit %.1f s)"
                % (one["converge"]["total_s"], one["converge"]["commit_s"]))
            one["memory_loaded"] = self.memory()
            one["idle_cpu_percent"] = self.idle()
            one["failover"] = self.failovers(self.shape, 1)
            fo = one["failover"]
            log("chassis: 1 chassis: holder change -> hv_cfg p50 %.1f ms "
                "p99 %.1f ms (bump alone p50 %.1f ms)"
                % (fo["set_holder"]["p50_ms"], fo["set_holder"]["p99_ms"],
                   fo["sync"]["p50_ms"]))
            one["memory"] = self.memory()
            self.res["one"] = one
        finally:
            if self.fleet:
                self.fleet.stop()
            self.nb_run.stop()

    def execute(self):
        t = lib.Timer()
        try:
            self.phase_many()
            self.phase_one()
        except Exception as e:      # Report what was measured.
            log("chassis: failed: %s\n%s" % (e, traceback.format_exc()))
            self.res["error"] = str(e)[:2000]
        many, one = self.res.get("many"), self.res.get("one")
        if many and one:
            c = self.res["chassis"]
            fm, fo = many["failover"], one["failover"]
            self.res["ratio_p50"] = lib.ratio(fm["set_holder"]["p50_ms"],
                                              fo["set_holder"]["p50_ms"])
            self.res["ratio_p99"] = lib.ratio(fm["set_holder"]["p99_ms"],
                                              fo["set_holder"]["p99_ms"])
            self.res["nb_per_chassis_kb"] = (
                (many["memory"]["nb_server_kb"]
                 - one["memory"]["nb_server_kb"]) / float(c - 1))
            self.res["nb_per_chassis_hwm_kb"] = (
                (many["memory"]["nb_server_hwm_kb"]
                 - one["memory"]["nb_server_hwm_kb"]) / float(c - 1))
            self.res["converge_ratio"] = lib.ratio(
                many["converge"]["total_s"], one["converge"]["total_s"])
        self.res["elapsed_s"] = t.elapsed()
        log("chassis: done in %.0f s" % self.res["elapsed_s"])
        return self.res


def run(opts):
    if opts["chassis"] < 2:
        return {"status": "not run (BENCH_CHASSIS=%d)" % opts["chassis"]}
    return ChassisBench(opts).execute()
