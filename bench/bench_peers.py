#!/usr/bin/python3
"""bench_peers.py -- the peer benchmark of `make bench`: vswitch, the Linux
bridge and Open vSwitch (userspace datapath) each join the same two network
namespaces, one after the other in the same run, and carry the same traffic:
iperf3 TCP with and without offloads, 64-byte frames per second (bench/pktgen),
and ping round trips. vswitch runs twice: on afpacket ports (vswitch) and on
afxdp ports (afxdp; TCP with offloads off only, AF_XDP sees no partial
checksum). Prints one JSON line per case and system, then the
ratios of vswitch to each peer and the goals of the issue.
See docs/benchmarks-peers.md.

Usage (as root):
  bench/bench_peers.py [--build DIR] [--pktgen PATH] [--seconds S] [--repeat N]
                       [--systems vswitch,afxdp,bridge,ovs] [--out DIR] [--no-perf] [--no-pin]
                       [--port-options 'OPT=V ...']
Environment: VSWITCH_BUILD (default build), PKTGEN (default BUILD/bench/pktgen),
  BENCH_PEERS_SECONDS (seconds per TCP and pps run, default 4),
  BENCH_PEERS_REPEAT (runs per TCP and pps case, median reported, default 3).

Everything it creates carries a random tag (namespaces vsb-TAG-a/-b, links
vsbTAGa/b, bridges vsbTAGbr/ov), so two runs cannot collide, and it is all
removed again on success, failure or Ctrl-C. Processes are ended by PID.
"""
import argparse
import json
import os
import re
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from vswitch_lab import programs  # noqa: E402

OVS_CTL = "/usr/share/openvswitch/scripts/ovs-ctl"
SUBNET = "10.201.0."  # inside the namespaces only, so runs cannot collide
IP_A, IP_B = SUBNET + "1", SUBNET + "2"
OFFLOADS_OFF = ["tx", "off", "tso", "off", "gso", "off", "gro", "off"]
STALL_GBPS = 0.01  # below this a TCP run counts as stalled


def log(*words):
    print("bench-peers:", *words, file=sys.stderr, flush=True)


def emit(obj):
    print(json.dumps(obj), flush=True)


def run(cmd, check=True, timeout=60, capture=True):
    r = subprocess.run(cmd, capture_output=capture, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd), r.returncode,
                                                 (r.stderr or r.stdout or "").strip()))
    return r


def in_ns(ns, *cmd):
    return ["ip", "netns", "exec", ns] + list(cmd)


class Cleanup:
    """Undo actions, run last-in first-out; each runs once, errors logged."""

    def __init__(self):
        self.actions = []

    def push(self, what, fn):
        self.actions.append((what, fn))
        return len(self.actions) - 1

    def run_from(self, index):
        while len(self.actions) > index:
            what, fn = self.actions.pop()
            try:
                fn()
            except Exception as e:  # cleanup goes on whatever failed
                log("cleanup of %s: %s" % (what, e))

    def run_all(self):
        self.run_from(0)


def stop_pid(proc, timeout=5):
    """Ends one process we started, by its PID: SIGTERM, then SIGKILL."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout)


def spawn(cleanup, cmd, what, **kwargs):
    proc = subprocess.Popen(cmd, **kwargs)
    cleanup.push(what, lambda: stop_pid(proc))
    return proc


def median_of(runs):
    """runs: [(value, extra)] of one case repeated. Returns the median run's
    (value, extra) with every run's value added as extra["runs"]. A failed
    run (value None) counts as 0, so a case that sometimes stalls shows it."""
    values = [0.0 if v is None else v for v, _ in runs]
    order = sorted(range(len(runs)), key=lambda i: values[i])
    value, extra = runs[order[(len(order) - 1) // 2]]
    extra = dict(extra)
    if len(runs) > 1:
        extra["runs"] = [round(v, 3) for v in values]
    return value, extra


def percentile(sorted_values, p):
    """Nearest-rank percentile."""
    if not sorted_values:
        return None
    rank = max(1, -(-len(sorted_values) * p // 100))
    return sorted_values[int(rank) - 1]


# ---- topology --------------------------------------------------------------

class Topology:
    """Namespaces A and B, each with eth0 on a veth whose other end is in the
    root namespace (vsbTAGa, vsbTAGb), for a switch to join."""

    def __init__(self, tag, cleanup):
        self.ns = {"a": "vsb-%s-a" % tag, "b": "vsb-%s-b" % tag}
        self.root = {"a": "vsb%sa" % tag, "b": "vsb%sb" % tag}
        self.ip = {"a": IP_A, "b": IP_B}
        self.mac = {}
        self.cleanup = cleanup

    def create(self):
        for side in "ab":
            ns, root = self.ns[side], self.root[side]
            run(["ip", "netns", "add", ns])
            self.cleanup.push("namespace " + ns,
                              lambda ns=ns: run(["ip", "netns", "del", ns]))
            run(in_ns(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                      "net.ipv6.conf.default.disable_ipv6=1"))
            run(["ip", "link", "add", root, "type", "veth", "peer", "name", "eth0",
                 "netns", ns])
            self.cleanup.push("link " + root, lambda root=root: run(
                ["ip", "link", "del", root], check=False))
            # No IPv6 chatter (router and neighbour solicitations) on the
            # switch ports: only our traffic crosses the switch.
            with open("/proc/sys/net/ipv6/conf/%s/disable_ipv6" % root, "w") as f:
                f.write("1")
            run(in_ns(ns, "ip", "addr", "add", self.ip[side] + "/24", "dev", "eth0"))
            run(in_ns(ns, "ip", "link", "set", "lo", "up"))
            run(in_ns(ns, "ip", "link", "set", "eth0", "up"))
            run(["ip", "link", "set", root, "up"])
            out = run(in_ns(ns, "ip", "-j", "link", "show", "eth0")).stdout
            self.mac[side] = json.loads(out)[0]["address"]

    def offloads_off(self):
        for side in "ab":
            run(in_ns(self.ns[side], "ethtool", "-K", "eth0", *OFFLOADS_OFF))
            run(["ethtool", "-K", self.root[side], *OFFLOADS_OFF])


# ---- the systems -------------------------------------------------------------

class Bridge:
    name = "bridge"

    def __init__(self, args, tag, cleanup):
        self.br = "vsb%sbr" % tag
        self.cleanup = cleanup

    def attach(self, topo):
        run(["ip", "link", "add", self.br, "type", "bridge"])
        self.cleanup.push("bridge " + self.br,
                          lambda: run(["ip", "link", "del", self.br], check=False))
        with open("/proc/sys/net/ipv6/conf/%s/disable_ipv6" % self.br, "w") as f:
            f.write("1")
        for side in "ab":
            run(["ip", "link", "set", topo.root[side], "master", self.br])
        run(["ip", "link", "set", self.br, "up"])

    def pid(self):
        return None


class Ovs:
    name = "ovs"

    def __init__(self, args, tag, cleanup):
        self.br = "vsb%sov" % tag
        self.cleanup = cleanup

    @staticmethod
    def running():
        return run(["ovs-vsctl", "--timeout=2", "show"], check=False).returncode == 0

    def attach(self, topo):
        if not self.running():
            log("starting Open vSwitch (ovs-ctl start; stopped again at the end)")
            run([OVS_CTL, "start", "--no-monitor", "--system-id=random"], timeout=60)

            def stop_ovs():
                others = run(["ovs-vsctl", "--timeout=5", "list-br"], check=False).stdout
                if others.strip():
                    log("leaving Open vSwitch running: other bridges exist: "
                        + " ".join(others.split()))
                else:
                    run([OVS_CTL, "stop"], timeout=60)
            self.cleanup.push("Open vSwitch", stop_ovs)
        run(["ovs-vsctl", "--timeout=10", "add-br", self.br, "--", "set", "bridge", self.br,
             "datapath_type=netdev"])
        self.cleanup.push("OVS bridge " + self.br, lambda: run(
            ["ovs-vsctl", "--timeout=10", "--if-exists", "del-br", self.br], check=False))
        for side in "ab":
            run(["ovs-vsctl", "--timeout=10", "add-port", self.br, topo.root[side]])
        time.sleep(0.5)  # the ports' receive sockets are opened asynchronously

    def pid(self):
        try:
            with open("/var/run/openvswitch/ovs-vswitchd.pid") as f:
                return int(f.read().strip())
        except OSError:
            return None


class VswitchUnavailable(Exception):
    pass


class Vswitch:
    name = "vswitch"
    port_type = "afpacket"
    # Whether TCP runs with the namespaces' offloads on: AF_XDP sees no
    # partial checksum, so the afxdp row measures TCP with them off only.
    offloads = True

    def __init__(self, args, tag, cleanup):
        self.vswitchd = os.path.join(args.build, "vswitchd")
        self.vswitchctl = os.path.join(args.build, "vswitchctl")
        self.workdir = args.out
        self.socket = os.path.join(args.out, "vswitchd.sock")
        self.cleanup = cleanup
        self.proc = None
        self.args = args

    def ctl(self, *words, check=True):
        return run([self.vswitchctl, "--socket", self.socket] + list(words), check=check)

    def attach(self, topo):
        if not os.access(self.vswitchd, os.X_OK):
            raise VswitchUnavailable("%s not built (make build)" % self.vswitchd)
        config = os.path.join(self.workdir, "vswitch.conf")
        open(config, "w").close()
        self.log = open(os.path.join(self.workdir, "vswitchd.log"), "w")
        # Its poll thread pinned to the last CPU, as a user-space switch is
        # deployed (OVS-DPDK's pmd-cpu-mask): unpinned, the scheduler's
        # wake-affine pulls it onto the sender's CPU at every wake-up.
        pin = ["--cores", str(max(os.sched_getaffinity(0)))] if self.args.pin else []
        self.proc = spawn(self.cleanup, [self.vswitchd, "--config", config,
                                         "--socket", self.socket] + pin, "vswitchd",
                          stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while self.ctl("show", check=False).returncode != 0:
            if self.proc.poll() is not None or time.time() > deadline:
                raise VswitchUnavailable("vswitchd did not come up; see %s" % self.log.name)
            time.sleep(0.05)
        self.ctl("switch", "add", "bench")
        for side in "ab":
            r = self.ctl("port", "add", "bench", "p" + side, "type", self.port_type,
                         "dev=" + topo.root[side], *self.args.port_options.split(),
                         check=False)
            if r.returncode != 0:
                raise VswitchUnavailable("port add ... type %s: %s" % (
                    self.port_type, (r.stderr or r.stdout).strip()))

    def pid(self):
        return self.proc.pid if self.proc else None

    def counters(self):
        r = self.ctl("--json", "counters", check=False)
        return r.stdout if r.returncode == 0 else r.stderr


class VswitchAfxdp(Vswitch):
    """vswitch again, its ports on AF_XDP sockets (the afxdp type)."""
    name = "afxdp"
    port_type = "afxdp"
    offloads = False


SYSTEMS = {"vswitch": Vswitch, "afxdp": VswitchAfxdp, "bridge": Bridge, "ovs": Ovs}


# ---- the cases -----------------------------------------------------------------

def case_ping(topo, count=200):
    """ping A -> B, count probes 10 ms apart; RTT p50/p99 in microseconds."""
    r = run(in_ns(topo.ns["a"], "ping", "-n", "-c", str(count), "-i", "0.01", "-W", "1",
                  topo.ip["b"]), check=False, timeout=count * 0.01 + 30)
    rtts = sorted(float(m) * 1000 for m in re.findall(r"time=([0-9.]+) ms", r.stdout))
    if not rtts:
        return None, {"lost": count}
    return percentile(rtts, 50), {"p50": round(percentile(rtts, 50), 1),
                                  "p99": round(percentile(rtts, 99), 1),
                                  "lost": count - len(rtts)}


def wait_listening(ns, port, timeout=5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        out = run(in_ns(ns, "ss", "-Hltn", "sport = :%d" % port), check=False).stdout
        if out.strip():
            return True
        time.sleep(0.05)
    return False


def case_tcp(topo, cleanup, seconds, port=5201, on_start=None):
    """iperf3 TCP A -> B for `seconds`; Gbit/s received."""
    mark = len(cleanup.actions)
    try:
        server = spawn(cleanup, in_ns(topo.ns["b"], "iperf3", "-s", "-1", "-p", str(port)),
                       "iperf3 server", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_listening(topo.ns["b"], port):
            return None, {"error": "iperf3 server did not start"}
        if on_start:
            on_start()
        try:
            r = run(in_ns(topo.ns["a"], "iperf3", "-c", topo.ip["b"], "-p", str(port),
                          "-t", str(seconds), "-J", "--connect-timeout", "3000"),
                    check=False, timeout=seconds + 20)
        except subprocess.TimeoutExpired:
            return 0.0, {"stalled": True, "error": "iperf3 client hung (killed)"}
        try:
            result = json.loads(r.stdout)
        except ValueError:
            return 0.0, {"stalled": True, "error": (r.stderr or r.stdout).strip()[:200]}
        intervals = [round(i["sum"]["bits_per_second"] / 1e9, 2)
                     for i in result.get("intervals", [])]
        end = result.get("end", {})
        gbps = end.get("sum_received", {}).get("bits_per_second", 0) / 1e9
        extra = {"per_second": intervals,
                 "retransmits": end.get("sum_sent", {}).get("retransmits")}
        if "error" in result:
            extra["error"] = result["error"]
        if gbps < STALL_GBPS:
            extra["stalled"] = True
        del server
        return gbps, extra
    finally:
        cleanup.run_from(mark)


def link_counters(topo):
    """Packet counters of the switch's two ports as the kernel sees them."""
    counters = {}
    for side in "ab":
        for name in ("rx_packets", "tx_packets", "rx_dropped", "tx_dropped"):
            with open("/sys/class/net/%s/statistics/%s" % (topo.root[side], name)) as f:
                counters["%s_%s" % (side, name)] = int(f.read())
    return counters


def socket_drops(pid):
    """Frames the kernel dropped because the packet sockets of process pid
    were full (sk_drops, the d of ss's skmem), summed; None if unknown."""
    if pid is None:
        return None
    r = run(["ss", "-0", "-m", "-p", "-n"], check=False)
    drops, found = 0, False
    entries = re.split(r"\n(?=\S)", r.stdout)
    for entry in entries:
        if "pid=%d," % pid in entry:
            m = re.search(r"skmem:\([^)]*\bd(\d+)", entry)
            if m:
                drops += int(m.group(1))
                found = True
    return drops if found else None


def read_line(stream, timeout):
    ready, _, _ = select.select([stream], [], [], timeout)
    return stream.readline() if ready else ""


def case_pps(args, topo, cleanup, seconds, on_sending=None, pid=None):
    """64-byte frames A -> B with bench/pktgen; frames/s received at B.
    Also says where the frames that were sent and not received were lost:
    into port a (a_rx), out of port b (b_tx), in the switch's sockets."""
    a, b = topo.ns["a"], topo.ns["b"]
    mac_a, mac_b = topo.mac["a"], topo.mac["b"]
    # One frame each way first, so a learning switch knows both MACs and
    # forwards the stream as known unicast instead of flooding it.
    run(in_ns(b, args.pktgen, "send", "eth0", "--src", mac_b, "--dst", mac_a, "--count", "1"))
    run(in_ns(a, args.pktgen, "send", "eth0", "--src", mac_a, "--dst", mac_b, "--count", "1"))
    time.sleep(0.2)
    links_before, sockets_before = link_counters(topo), socket_drops(pid)
    mark = len(cleanup.actions)
    try:
        sink = spawn(cleanup, in_ns(b, args.pktgen, "sink", "eth0", "--dst", mac_b,
                                    "--seconds", str(seconds + 10), "--idle-ms", "500"),
                     "pktgen sink", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if read_line(sink.stderr, 5).strip() != "ready":
            return None, {"error": "pktgen sink did not start"}
        sender = subprocess.Popen(in_ns(a, args.pktgen, "send", "eth0", "--src", mac_a,
                                        "--dst", mac_b, "--size", "64",
                                        "--seconds", str(seconds)),
                                  stdout=subprocess.PIPE, text=True)
        cleanup.push("pktgen send", lambda: stop_pid(sender))
        if on_sending:
            on_sending()
        sent = json.loads(sender.communicate(timeout=seconds + 30)[0])
        received = json.loads(sink.communicate(timeout=30)[0])
        links_after, sockets_after = link_counters(topo), socket_drops(pid)
        delta = {k: links_after[k] - links_before[k] for k in links_after}
        extra = {"sent_pps": sent["pps"], "sent": sent["sent"],
                 "port_a_rx": delta["a_rx_packets"], "port_b_tx": delta["b_tx_packets"],
                 "received": received["received"],
                 "sink_ring_drops": received["ring_drops"]}
        extra.update({k: v for k, v in delta.items() if k.endswith("dropped") and v})
        if sockets_before is not None and sockets_after is not None:
            extra["switch_socket_drops"] = sockets_after - sockets_before
        return received["pps"], extra
    finally:
        cleanup.run_from(mark)


# ---- perf ----------------------------------------------------------------------

def perf_profile(args, pid, label, seconds=3):
    """Starts `perf record -e cpu-clock -g -p PID` for `seconds`; returns a
    function that waits for it and writes the report files."""
    if not args.perf or pid is None or not shutil.which("perf"):
        return lambda: None
    data = os.path.join(args.out, "perf-%s.data" % label)
    proc = subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock", "-g", "-p", str(pid),
                             "-o", data, "--", "sleep", str(seconds)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def finish():
        proc.wait(seconds + 30)
        report = os.path.join(args.out, "perf-%s.txt" % label)
        r = run(["perf", "report", "-i", data, "--stdio", "--no-children", "-g", "none",
                 "--sort", "dso,symbol", "--percent-limit", "0.5"], check=False, timeout=120)
        with open(report, "w") as f:
            f.write(r.stdout)
        rows = [line for line in r.stdout.splitlines() if line.strip() and
                not line.startswith("#")]
        log("perf %s: top of %s (self time, all vswitchd threads):" % (label, report))
        for line in rows[:15]:
            print("    " + re.sub(r"[\s-]+$", "", line), file=sys.stderr)
    return finish


# ---- the run -----------------------------------------------------------------------

def run_system(args, cls, tag, cleanup, results):
    topo_mark = len(cleanup.actions)
    topo = Topology(tag, cleanup)
    system = cls(args, tag, cleanup)
    name = system.name
    secs = args.seconds
    reps = range(args.repeat)

    def record(case, value, unit, extra):
        line = {"case": case, "system": name,
                "value": None if value is None else round(value, 3 if unit == "Gbit/s" else 1),
                "unit": unit}
        line.update(extra)
        if case == "pps-64" and extra.get("sent"):
            # Forwarding (nearly) every frame sent says the generator set the
            # rate, not the switch: then the switch's capacity is unknown.
            line["bound"] = ("generator" if extra.get("received", 0) >= 0.995 * extra["sent"]
                             else "switch")
            results[(case + "-bound", name)] = line["bound"]
        results[(case, name)] = line["value"]
        emit(line)

    def profile(run_case, label):
        """Runs a case once more with perf recording vswitchd for 3 s of it."""
        finishers = []
        run_case(lambda: finishers.append(perf_profile(args, system.pid(), label)))
        for finish in finishers:
            finish()

    try:
        topo.create()
        try:
            system.attach(topo)
        except VswitchUnavailable as e:
            log("vswitch cannot run: %s" % e)
            for case, unit in (("tcp-offload-on", "Gbit/s"), ("tcp-offload-off", "Gbit/s"),
                               ("pps-64", "frames/s"), ("ping-rtt", "us")):
                record(case, None, unit, {"error": "vswitch unavailable: %s" % e})
            return
        log("%s: ready (%s <-> %s)" % (name, topo.root["a"], topo.root["b"]))

        # Warm up ARP and the switch's tables; check that A reaches B at all.
        run(in_ns(topo.ns["a"], "ping", "-n", "-c", "3", "-i", "0.05", "-W", "1",
                  topo.ip["b"]), check=False)

        value, extra = case_ping(topo)
        record("ping-rtt", value, "us", extra)

        if getattr(system, "offloads", True):
            value, extra = median_of([case_tcp(topo, cleanup, secs) for _ in reps])
            record("tcp-offload-on", value, "Gbit/s", extra)

        value, extra = median_of([case_pps(args, topo, cleanup, secs, pid=system.pid())
                                  for _ in reps])
        record("pps-64", value, "frames/s", extra)

        if isinstance(system, Vswitch):
            with open(os.path.join(args.out, "%s-counters-after-pps.json" % name), "w") as f:
                f.write(system.counters())
            # Profiles in runs of their own, so that perf does not slow the
            # measured ones.
            if args.perf:
                log("%s: profiling pps-64 and tcp-offload-on with perf" % name)
                profile(lambda start: case_pps(args, topo, cleanup, 4, on_sending=start),
                        name + "-pps-64")
                if system.offloads:
                    profile(lambda start: case_tcp(topo, cleanup, 4, on_start=start),
                            name + "-tcp-offload-on")

        topo.offloads_off()
        value, extra = median_of([case_tcp(topo, cleanup, secs) for _ in reps])
        record("tcp-offload-off", value, "Gbit/s", extra)
        if isinstance(system, Vswitch) and args.perf:
            profile(lambda start: case_tcp(topo, cleanup, 4, on_start=start),
                    name + "-tcp-offload-off")
    finally:
        cleanup.run_from(topo_mark)


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return round(a / b, 2)


def summarise(results, systems):
    ours = [s for s in ("vswitch", "afxdp") if s in systems]
    if not ours or len(systems) < 2:
        return
    cases = ["tcp-offload-on", "tcp-offload-off", "pps-64", "ping-rtt"]
    for case in cases:
        line = {"case": case}
        for us in ours:
            for peer in ("bridge", "ovs"):
                if peer in systems and (case, us) in results:
                    line["%s/%s" % (us, peer)] = ratio(results.get((case, us)),
                                                       results.get((case, peer)))
        if case == "ping-rtt":
            line["note"] = "p50 RTT, lower is better"
        emit(line)

    vs = results.get
    goals = []
    if "ovs" in systems:
        ovs_best = max([v for v in (vs(("tcp-offload-on", "ovs")),
                                    vs(("tcp-offload-off", "ovs"))) if v is not None],
                       default=None)
        goals.append(("tcp-offload-on >= 10x best OVS userspace TCP (offloads on or off)",
                      ratio(vs(("tcp-offload-on", "vswitch")), ovs_best), 10.0))
        goals.append(("pps-64 >= 3x OVS userspace",
                      ratio(vs(("pps-64", "vswitch")), vs(("pps-64", "ovs"))), 3.0))
    if "bridge" in systems:
        for case in ("tcp-offload-on", "tcp-offload-off"):
            goals.append(("%s >= 1.0x Linux bridge" % case,
                          ratio(vs((case, "vswitch")), vs((case, "bridge"))), 1.0))
    if "afxdp" in systems:
        for peer, target in (("bridge", 1.5), ("ovs", 3.0)):
            if peer in systems:
                goals.append(("afxdp pps-64 >= %gx %s" % (target, peer),
                              ratio(vs(("pps-64", "afxdp")), vs(("pps-64", peer))), target))
    if "vswitch" not in systems:
        goals = [g for g in goals if g[0].startswith("afxdp")]
    for goal, value, target in goals:
        line = {"goal": goal, "ratio": value,
                "met": None if value is None else value >= target}
        if goal.startswith("afxdp pps-64") and line["met"] is False and \
                vs(("pps-64-bound", "afxdp")) == "generator":
            line["note"] = ("afxdp forwarded every frame pktgen sent: the ratio is a floor, "
                            "set by the generator")
        emit(line)


def ensure_tools(systems):
    """Installs what the run needs (tools/programs.tsv, bench-peers) when it
    is missing, Open vSwitch only if it runs; stops with one line naming
    whatever still is. perf is optional."""
    leave_out = [] if "ovs" in systems else ["ovs-vsctl", OVS_CTL]
    programs.require("bench-peers", leave_out=leave_out, install_missing=True)


def main():
    build = os.environ.get("VSWITCH_BUILD", "build")
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build", default=build, help="build dir with vswitchd (default %(default)s)")
    p.add_argument("--pktgen", default=os.environ.get("PKTGEN"),
                   help="pktgen binary (default $PKTGEN or BUILD/bench/pktgen)")
    p.add_argument("--seconds", type=int,
                   default=int(os.environ.get("BENCH_PEERS_SECONDS", "4")),
                   help="seconds per TCP and pps case (default %(default)s)")
    p.add_argument("--repeat", type=int,
                   default=int(os.environ.get("BENCH_PEERS_REPEAT", "3")),
                   help="runs of each TCP and pps case; the median is reported "
                        "(default %(default)s)")
    p.add_argument("--systems", default="vswitch,afxdp,bridge,ovs")
    p.add_argument("--out", help="directory for perf data and logs (default a new /tmp dir)")
    p.add_argument("--no-perf", dest="perf", action="store_false")
    p.add_argument("--port-options", default="",
                   help="more options for vswitch's two ports, e.g. 'rx-ring=0'")
    p.add_argument("--no-pin", dest="pin", action="store_false",
                   help="run vswitchd's poll thread unpinned (default: --cores LAST_CPU)")
    args = p.parse_args()

    if os.geteuid() != 0:
        sys.exit("bench-peers: needs root (network namespaces, packet sockets)")
    args.pktgen = os.path.abspath(args.pktgen or os.path.join(args.build, "bench", "pktgen"))
    if not os.access(args.pktgen, os.X_OK):
        sys.exit("bench-peers: %s not found; build it (ninja -C %s, or gcc -O2 -o %s "
                 "bench/pktgen.c)" % (args.pktgen, args.build, args.pktgen))
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    for s in systems:
        if s not in SYSTEMS:
            sys.exit("bench-peers: unknown system %r (%s)" % (s, ", ".join(SYSTEMS)))
    ensure_tools(systems)
    args.out = os.path.abspath(args.out or tempfile.mkdtemp(prefix="vswitch-bench-peers-"))
    os.makedirs(args.out, exist_ok=True)

    # Ctrl-C, SIGTERM and SIGHUP unwind through the cleanup below (SIGINT is
    # set explicitly: a shell starts background jobs with it ignored).
    def interrupted(signo, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)

    tag = secrets.token_hex(3)
    log("tag %s, %d runs of %d s per throughput case, %d CPUs, output in %s"
        % (tag, args.repeat, args.seconds, os.cpu_count(), args.out))
    cleanup = Cleanup()
    results = {}
    failed = False
    try:
        for s in systems:
            try:
                run_system(args, SYSTEMS[s], tag, cleanup, results)
            except (RuntimeError, subprocess.TimeoutExpired, OSError, ValueError) as e:
                failed = True
                log("%s: failed: %s" % (s, e))
        summarise(results, systems)
    except KeyboardInterrupt:
        log("interrupted; cleaning up")
        failed = True
    finally:
        cleanup.run_all()
    log("done; logs and perf data in %s" % args.out)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
