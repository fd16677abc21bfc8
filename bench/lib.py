# bench/lib.py: private daemons, process statistics and small helpers
# shared by the benchmarks.  python3 stdlib only.
#
# Daemons are started through utilities/havip-daemons.sh, the same helpers
# the test suite and the sandbox use, each set in its own run directory
# under bench/work/.  Every daemon writes a pidfile there; Run.stop() (also
# called at exit and on SIGINT/SIGTERM) kills exactly those pids, and
# removes the namespaces of a topology built there (havip-topology.sh).

import atexit
import os
import shlex
import signal
import subprocess
import sys
import time

SRCDIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKDIR = os.path.join(SRCDIR, "bench", "work")

_runs = []


def log(msg):
    sys.stderr.write("bench: %s\n" % msg)
    sys.stderr.flush()


def _cleanup():
    for run in reversed(_runs):
        run.stop()


def _on_signal(signum, frame):
    _cleanup()
    sys.exit(128 + signum)


atexit.register(_cleanup)
signal.signal(signal.SIGINT, _on_signal)
signal.signal(signal.SIGTERM, _on_signal)


def ovs_tree():
    """The cached OVS build tree (from .ovs.mk)."""
    with open(os.path.join(SRCDIR, ".ovs.mk")) as f:
        for line in f:
            if line.startswith("OVS = "):
                return line[len("OVS = "):].strip()
    raise RuntimeError("no OVS tree in .ovs.mk: run make first")


class Run:
    """A run directory with its private daemons."""

    def __init__(self, name, profile=False):
        self.dir = os.path.join(WORKDIR, name)
        os.makedirs(self.dir, exist_ok=True)
        self.env = dict(os.environ)
        self.env.update({
            "HAVIP_SRCDIR": SRCDIR, "HAVIP_RUNDIR": self.dir,
            "OVS_RUNDIR": self.dir, "OVS_LOGDIR": self.dir,
            "OVS_DBDIR": self.dir, "OVS_SYSCONFDIR": self.dir,
            "OVS_PKGDATADIR": "/usr/share/openvswitch",
            "OVN_RUNDIR": self.dir, "OVN_LOGDIR": self.dir,
            "OVN_DBDIR": self.dir, "OVN_SYSCONFDIR": self.dir,
            "HAVIP_NB_DB": "unix:%s/havip_nb.sock" % self.dir,
            "PATH": "%s/controller:%s/utilities:%s"
                    % (SRCDIR, SRCDIR, os.environ.get("PATH", "")),
        })
        if profile:
            # Debian's ovs-vswitchd is stripped: profile the cached build of
            # the same source (build-aux/ovs-cache.sh, -O2 -g) instead.
            bindir = os.path.join(WORKDIR, "profile-bin")
            os.makedirs(bindir, exist_ok=True)
            link = os.path.join(bindir, "ovs-vswitchd")
            if not os.path.exists(link):
                os.symlink(os.path.join(ovs_tree(), "vswitchd",
                                        "ovs-vswitchd"), link)
            self.env["PATH"] = bindir + ":" + self.env["PATH"]
        self.stopped = False
        self.stop()                     # Leftovers of a killed run.
        self.stopped = False
        _runs.append(self)

    def path(self, name):
        return os.path.join(self.dir, name)

    def sh(self, script, check=True, capture=False):
        """Runs shell 'script' with havip-daemons.sh (and havip-topology.sh
        if present) sourced and this run directory set."""
        pre = ". %s/utilities/havip-daemons.sh\n" % shlex.quote(SRCDIR)
        topo = os.path.join(SRCDIR, "utilities", "havip-topology.sh")
        if os.path.exists(topo):
            pre += ". %s\n" % shlex.quote(topo)
        pre += "havip_env %s >/dev/null\n" % shlex.quote(self.dir)
        r = subprocess.run(["bash", "-c", pre + script], env=self.env,
                           stdout=subprocess.PIPE if capture else None,
                           stderr=subprocess.PIPE if capture else None,
                           universal_newlines=True,
                           cwd=self.dir)
        if check and r.returncode:
            raise RuntimeError("failed (%d): %s\n%s" % (
                r.returncode, script, r.stderr if capture else ""))
        return r.stdout if capture else r.returncode

    def cmd(self, args, check=True, input=None, timeout=None):
        """Runs 'args' with this run directory's environment; returns its
        stdout."""
        r = subprocess.run(args, env=self.env, cwd=self.dir, input=input,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, timeout=timeout)
        if check and r.returncode:
            raise RuntimeError("%s: exit %d: %s" % (
                " ".join(args[:4]), r.returncode, r.stderr.strip()))
        return r.stdout

    def pid(self, name):
        try:
            with open(self.path(name + ".pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def vswitchd_ctl(self):
        return self.path("ovs-vswitchd.%d.ctl" % self.pid("ovs-vswitchd"))

    def stop(self):
        if not self.stopped and os.path.isdir(self.dir):
            self.sh("havip_stop_all", check=False)
        self.stopped = True


# Process statistics from /proc.

CLK_TCK = os.sysconf("SC_CLK_TCK")


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    """User + system CPU seconds used so far by 'pid' (all threads)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


# Statistics.

def percentile(values, p):
    """The 'p'th percentile (0..100) of 'values', nearest rank."""
    if not values:
        return None
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def summary_ms(seconds):
    ms = [s * 1000.0 for s in seconds]
    return {"n": len(ms), "p50_ms": percentile(ms, 50),
            "p99_ms": percentile(ms, 99), "min_ms": min(ms) if ms else None,
            "max_ms": max(ms) if ms else None}


def ratio(a, b):
    if a is None or b is None or not b:
        return None
    return a / b


class Timer:
    def __init__(self):
        self.start = time.perf_counter()

    def elapsed(self):
        return time.perf_counter() - self.start


class Profiler:
    """'perf record' of 'pids' until stop(); writes the report's top
    symbols (self, then with children) to WORKDIR/profile-<name>-<pid>.txt.
    """

    def __init__(self, run, name, pids):
        self.name = name
        self.procs = []
        for pid in pids:
            data = os.path.join(run.dir, "perf-%s-%d.data" % (name, pid))
            # BENCH_PROFILE_CALLGRAPH=dwarf for call chains through code
            # built without frame pointers (bigger, slower).
            cg = os.environ.get("BENCH_PROFILE_CALLGRAPH", "fp")
            p = subprocess.Popen(["perf", "record", "-q", "--call-graph", cg,
                                  "-F", "499" if cg == "dwarf" else "999",
                                  "-o", data, "-p", str(pid)],
                                 stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            self.procs.append((pid, data, p))
        time.sleep(0.5)

    def stop(self):
        for pid, data, p in self.procs:
            p.send_signal(signal.SIGINT)
            p.wait()
            out = os.path.join(WORKDIR, "profile-%s-%d.txt" % (self.name, pid))
            with open(out, "w") as f:
                for children in ("--no-children", "--children"):
                    f.flush()
                    subprocess.run(["perf", "report", "-i", data, "--stdio",
                                    children, "--percent-limit", "1",
                                    "-g", "none", "--sort", "symbol"],
                                   stdout=f, stderr=subprocess.DEVNULL)
            log("profile of %d written to %s" % (pid, out))
