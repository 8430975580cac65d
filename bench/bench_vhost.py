#!/usr/bin/python3
"""bench_vhost.py -- `make bench-vhost`: vswitch and OVS-DPDK, each in turn
the switch between two vhost-user ports, driven by the same single DPDK
testpmd process whose two net_virtio_user ports are the two "VMs".

testpmd runs --forward-mode=io on one forwarding lcore and starts with
`start tx_first N`: each port sends N bursts of 32 frames from its own MAC to
the other port's, and from then on every frame received on one port is sent
again, unchanged, from the other. Frames from port 0 enter the switch at
port 0 again, so both switches learn two MACs once and forward known unicast
(vswitch: its learning bridge; OVS: the NORMAL action). A closed loop, as
in the PVP tests with testpmd io in the guest: the frames in flight (N x 32
each way; a ring only ever holds one direction's, and 1024 slots hold them
all, so no ring can overflow) go round as fast as the slowest stage lets
them, and
  mpps     = frames received by testpmd on both ports per second,
  loss_pct = frames sent but not received over the same interval / sent
(not 0 only when the switch drops frames; the loop then slows down).
(testpmd's flowgen mode cannot be used: in DPDK 22.11 it sends from the same
fixed MAC on both ports, so a learning switch sees the MAC move every burst.)
One core for the switch (vswitchd pinned with taskset; OVS: pmd-cpu-mask),
testpmd's two lcores both on the other core (its main lcore sleeps on the
command line); all of it at nice -20, so that other jobs of a shared machine
take less from the measurement. Frame sizes are on the wire with the FCS: 64 B is a 60-byte
virtio buffer, 1518 B a 1514-byte one.

Prints one JSON line per system and frame size,
  {"system": "vswitch"|"ovs-dpdk", "frame": 64|1518, "mpps": N, "loss_pct": N},
then the ratios vswitch / OVS-DPDK and the goals (>= 1.5x at 64 B, >= 1.0x
at 1518 B). vswitch's line also carries cycles_per_packet: vswitchd's CPU time
(all threads, /proc) over the measured interval, in TSC cycles, divided by
the frames that crossed it: the whole cost of a frame on the vhost-user path,
rings, engine and wake-ups included. OVS-DPDK's line carries its PMD's own
figure (dpif-netdev/pmd-stats-show, "avg processing cycles per packet").

To find what bounds the figure: vswitch's line also carries empty_poll_pct
and frames_per_busy_poll (its ports' recv() calls), every line testpmd's
receive bursts; system dpdk-vhost is a second testpmd as the switch (DPDK's
own vhost back end, io forwarding), vswitch-ref the vswitchd of --ref-build
in the same runs, and --ceiling measures the generator's halves alone.

Usage (as root): bench/bench_vhost.py --build DIR [--seconds S] [--repeat N]
                 [--systems vswitch,ovs-dpdk[,dpdk-vhost][,vswitch-ref]]
                 [--ref-build DIR] [--frames 64,1518] [--json FILE] [--ceiling]
See docs/benchmarks.md.
"""
import argparse
import fcntl
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from vswitch_lab import programs  # noqa: E402
from vswitch_lab.daemon import Daemon, use_build  # noqa: E402
from vswitch_lab.dpdk import Testpmd, setup_hugepages  # noqa: E402
from vswitch_lab.ovs_dpdk import OvsDpdk  # noqa: E402

GOALS = {64: 1.5, 1518: 1.0}
SWITCH_CPU, TESTPMD_CPU = 1, 0


def log(*words):
    print("bench-vhost:", *words, file=sys.stderr, flush=True)


def emit(obj):
    print(json.dumps(obj), flush=True)


def tsc_hz():
    """The TSC's rate: the CPU's MHz in /proc/cpuinfo, which is the TSC's on
    a CPU with constant_tsc (this machine: 2300 MHz, tsc_known_freq)."""
    with open("/proc/cpuinfo") as f:
        mhz = [float(line.split(":")[1]) for line in f if line.startswith("cpu MHz")]
    return mhz[0] * 1e6


def cpu_seconds(pid):
    """utime + stime of a process, all threads, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def raise_autogroup():
    """With the kernel's autogroups on (Debian's default), nice works only
    inside one session's group and the sessions share the CPUs evenly; so
    the session's group is raised to nice -20 too. Returns the old value."""
    try:
        with open("/proc/self/autogroup") as f:
            old = int(f.read().split()[-1])
        with open("/proc/self/autogroup", "w") as f:
            f.write("-20")
        return old
    except (OSError, ValueError):
        return None


def restore_autogroup(old):
    if old is not None:
        with open("/proc/self/autogroup", "w") as f:
            f.write(str(old))


class VswitchSystem:
    name = "vswitch"

    def __init__(self, workdir):
        self.dir = workdir

    def start(self, sockets):
        config = "switch add sw\n" + "".join(
            "port add sw v%d type vhostuser socket=%s mode=client\n" % (i, s)
            for i, s in enumerate(sockets))
        self.daemon = Daemon(self.dir, config)
        self.daemon.prefix = ["taskset", "-c", str(SWITCH_CPU)]
        self.daemon.start()

    def attached(self):
        return all(self.daemon.json("port", "show", p)[0]["carrier"] for p in ("v0", "v1"))

    def polls(self):
        """(recv() calls, those that found nothing) summed over both ports."""
        total = [0, 0]
        for p in ("v0", "v1"):
            status = self.daemon.json("port", "show", p)[0]["vhostuser"]["status"]
            m = re.search(r"polls (\d+), empty (\d+)", status)
            if m:  # (a build before these counters: none)
                total = [total[0] + int(m.group(1)), total[1] + int(m.group(2))]
        return total

    def mark(self):
        return cpu_seconds(self.daemon.proc.pid), self.polls()

    def extra(self, mark, packets):
        busy = cpu_seconds(self.daemon.proc.pid) - mark[0]
        polls, empty = [b - a for a, b in zip(mark[1], self.polls())]
        # Whether the switch is the bottleneck: a switch with time to spare
        # often finds a ring empty and takes small batches.
        return {"cycles_per_packet": round(busy * tsc_hz() / packets, 1) if packets else None,
                "empty_poll_pct": round(100.0 * empty / polls, 1) if polls else None,
                "frames_per_busy_poll": round(packets / (polls - empty), 1)
                if polls > empty else None}

    def stop(self):
        self.daemon.stop()


class VswitchRefSystem(VswitchSystem):
    """vswitch of another build (--ref-build), in the same run: what a
    change gained, measured beside the change under the same load."""
    name = "vswitch-ref"
    build = None

    def start(self, sockets):
        use_build(self.build)
        try:
            super().start(sockets)
        finally:
            use_build(VswitchRefSystem.main_build)


class OvsSystem:
    name = "ovs-dpdk"

    def __init__(self, workdir):
        self.ovs = OvsDpdk(workdir, pmd_cpu=SWITCH_CPU, other_cpu=TESTPMD_CPU)

    def start(self, sockets):
        self.ovs.start()
        for i, s in enumerate(sockets):
            self.ovs.add_vhost_client("v%d" % i, s)

    def appctl(self, *words):
        ctl = os.path.join(self.ovs.dir, "ovs-vswitchd.ctl")
        return subprocess.run(["ovs-appctl", "-t", ctl] + list(words), capture_output=True,
                              text=True, timeout=30).stdout

    def attached(self):
        return all(self.ovs.vsctl("get", "Interface", p, "link_state").strip() == "up"
                   for p in ("v0", "v1"))

    def mark(self):
        self.appctl("dpif-netdev/pmd-stats-clear")

    def extra(self, mark, packets):
        out = self.appctl("dpif-netdev/pmd-stats-show")
        m = re.search(r"avg processing cycles per packet: ([0-9.]+)", out)
        return {"pmd_cycles_per_packet": float(m.group(1)) if m else None}

    def stop(self):
        self.ovs.stop()


class DpdkVhostSystem:
    """The ceiling reference: a second testpmd as the "switch", its two
    net_vhost ports (DPDK's librte_vhost, the back end OVS-DPDK uses)
    clients of the generator's sockets, io forwarding port 0 <-> 1 on
    SWITCH_CPU: no learning, no lookup, one copy each way. What the
    generator and the rings give when the switch costs next to nothing."""
    name = "dpdk-vhost"

    def __init__(self, workdir, mode="io"):
        self.dir = workdir
        self.mode = mode
        self.pmd = None

    def start(self, sockets):
        pmd = Testpmd([], os.path.join(self.dir, "switch-testpmd.log"), mode=self.mode,
                      frame=60, extra=["--nb-cores=1", "--record-burst-stats"])
        at = pmd.cmd.index("-l")
        pmd.cmd[at:at + 2] = ["--lcores", "0@%d,1@%d" % (SWITCH_CPU, SWITCH_CPU)]
        at = pmd.cmd.index("--")
        pmd.cmd[at:at] = sum((["--vdev", "net_vhost%d,iface=%s,client=1,queues=1" % (i, s)]
                              for i, s in enumerate(sockets)), [])
        self.pmd = pmd.start()
        self.pmd.command("start")

    def attached(self):
        return all("Link status: up" in answer(self.pmd, "show port info %d" % i,
                                               r"Link status: \w+", 1) for i in (0, 1))

    def mark(self):
        self.pmd.command("clear fwd stats all")

    def extra(self, mark, packets):
        return {"switch_rx_bursts": rx_bursts(self.pmd)}

    def stop(self):
        if self.pmd:
            self.pmd.stop()


SYSTEMS = {"vswitch": VswitchSystem, "ovs-dpdk": OvsSystem, "dpdk-vhost": DpdkVhostSystem,
           "vswitch-ref": VswitchRefSystem}


def generator(sockets, frame, log_path):
    """testpmd, both virtio-user ports listening for the switch, io on one
    forwarding lcore; frame is on the wire, FCS included."""
    pmd = Testpmd(sockets, log_path, mode="io", frame=frame - 4, server=True,
                  extra=["--nb-cores=1", "--record-burst-stats"])
    # Both lcores on TESTPMD_CPU (the main one sleeps at the prompt), so the
    # switch has SWITCH_CPU to itself.
    at = pmd.cmd.index("-l")
    pmd.cmd[at:at + 2] = ["--lcores", "0@%d,1@%d" % (TESTPMD_CPU, TESTPMD_CPU)]
    return pmd


def answer(pmd, line, pattern, count):
    """testpmd's answer to line, once pattern matched count times in it:
    an event testpmd reports on its own (a port's link) redraws the prompt
    too, so the next prompt does not always end the answer."""
    with pmd.cond:
        since = len(pmd.out)
    pmd.command(line)
    deadline = time.monotonic() + 30
    with pmd.cond:
        while len(re.findall(pattern, pmd.out[since:])) < count:
            if time.monotonic() > deadline:
                raise RuntimeError("testpmd: no answer to %r:\n%s" % (line, pmd.out[since:]))
            pmd.cond.wait(0.2)
        return pmd.out[since:]


def port_stats(pmd):
    """[(rx_packets, tx_packets)] of ports 0 and 1."""
    out = answer(pmd, "show port stats all", r"Tx-pps:\s*\d+", 2)
    rx = [int(n) for n in re.findall(r"RX-packets:\s*(\d+)", out)]
    tx = [int(n) for n in re.findall(r"TX-packets:\s*(\d+)", out)]
    return list(zip(rx, tx))[:2]


def rx_bursts(pmd):
    """testpmd's receive bursts since `clear fwd stats all`, per port, as
    it prints them ("N [x% of 32 pkts + y% of 0 pkts + z% of other]",
    empty polls included): mostly full bursts at a stage mean frames wait
    for it (the bottleneck of the loop), mostly empty ones that it waits."""
    out = answer(pmd, "show fwd stats all", r"Accumulated forward statistics", 1)
    return [re.sub(r"\s+", " ", b).strip() for b in re.findall(r"RX-bursts\s*:\s*([^\]]*\])", out)]


def aim_each_port_at_the_other(pmd):
    """tx_first sends from each port's MAC to its peer MAC: port 0 to
    port 1 and back."""
    macs = [re.search(r"MAC address: ([0-9A-Fa-f:]{17})",
                      answer(pmd, "show port info %d" % i, "MAC address: .{17}", 1)).group(1)
            for i in (0, 1)]
    pmd.command("set eth-peer 0 " + macs[1])
    pmd.command("set eth-peer 1 " + macs[0])


def measure(system_cls, frame, args, workdir):
    """One run of one system at one frame size: the switch up first (both
    connect to testpmd's sockets and retry until they exist), then testpmd,
    warm-up, counters cleared, `seconds` of traffic, counters read."""
    sockets = [os.path.join(workdir, "tp%d.sock" % i) for i in range(2)]
    system = system_cls(tempfile.mkdtemp(prefix=system_cls.name + "-", dir=workdir))
    pmd = None
    try:
        system.start(sockets)
        pmd = generator(sockets, frame, os.path.join(
            workdir, "testpmd-%s-%d.log" % (system_cls.name, frame))).start()
        aim_each_port_at_the_other(pmd)
        # A frame sent before both ports are up is lost, and with it its
        # place in the loop: a direction can die before it starts.
        deadline = time.monotonic() + 20
        while not system.attached():
            if time.monotonic() > deadline:
                raise RuntimeError("the switch did not bring both ports up in 20 s")
            time.sleep(0.1)
        pmd.command("start tx_first %d" % args.bursts)
        time.sleep(args.warmup)
        pmd.command("clear port stats all")
        pmd.command("clear fwd stats all")
        started = time.monotonic()
        mark = system.mark()
        time.sleep(args.seconds)
        stats = port_stats(pmd)
        seconds = time.monotonic() - started
        rx = sum(r for r, _ in stats)
        # Each direction carries half the loop: one that carried little
        # lost its frames (the switch dropped them) and the figure is not
        # the switch's rate.
        if min(r for r, _ in stats) < 0.4 * rx:
            raise RuntimeError("one direction of the loop died (testpmd rx/tx per port %s)"
                               % stats)
        tx = sum(t for _, t in stats)
        extra = system.extra(mark, rx)
        extra["generator_rx_bursts"] = rx_bursts(pmd)
        pmd.command("stop")
        result = {"mpps": rx / seconds / 1e6,
                  "loss_pct": 100.0 * max(tx - rx, 0) / tx if tx else 100.0,
                  "per_port": [{"rx": r, "tx": t} for r, t in stats]}
        result.update(extra)
        return result
    finally:
        if pmd:
            pmd.stop()
        system.stop()


def parts(build):
    """The switch's parts alone on its CPU, warm and without the guest: the
    engine (bench-engine, 2 ports, 64 B) and the ring walker (bench-virtio-
    ring, 60-byte frames off a transmit ring and into a receive ring), so
    vswitch's cycles_per_packet above can be read against them (what is
    left is the cross-core traffic and the poll loop)."""
    for cmd in (["bench/bench-engine", "--case", "2-ports", "--seconds", "1"],
                ["bench/bench-virtio-ring", "60", "32"]):
        exe = os.path.join(build, cmd[0])
        if not os.path.exists(exe):
            continue
        out = subprocess.run(["taskset", "-c", str(SWITCH_CPU), exe] + cmd[1:],
                             capture_output=True, text=True, timeout=60).stdout
        for line in out.splitlines():
            if line.startswith("{"):
                emit(dict({"part": os.path.basename(exe)}, **json.loads(line)))


def ceiling(args, workdir):
    """The generator's own limit, half a loop at a time: testpmd's two
    virtio-user ports in txonly mode into a dpdk-vhost sink in rxonly mode
    (the sink on the switch's CPU), then rxonly fed by a txonly dpdk-vhost
    source. A stage that waits shows empty receive bursts. The io loop's
    generator does both halves for every frame, but not all of each: txonly
    also allocates every mbuf and writes its headers, rxonly frees it, which
    io forwarding does once per frame, not twice. So 1 / (1 / tx + 1 / rx)
    is a floor of the generator's io rate, not its ceiling."""
    rates = {}
    for gen_mode, other_mode in (("txonly", "rxonly"), ("rxonly", "txonly")):
        sockets = [os.path.join(workdir, "c%s%d.sock" % (gen_mode, i)) for i in range(2)]
        other = DpdkVhostSystem(tempfile.mkdtemp(prefix="ceiling-", dir=workdir), other_mode)
        pmd = None
        try:
            other.start(sockets)
            pmd = Testpmd(sockets, os.path.join(workdir, "ceiling-%s.log" % gen_mode),
                          mode=gen_mode, frame=60, server=True,
                          extra=["--nb-cores=1", "--record-burst-stats"])
            at = pmd.cmd.index("-l")
            pmd.cmd[at:at + 2] = ["--lcores", "0@%d,1@%d" % (TESTPMD_CPU, TESTPMD_CPU)]
            pmd.start()
            deadline = time.monotonic() + 20
            while not other.attached():
                if time.monotonic() > deadline:
                    raise RuntimeError("dpdk-vhost did not bring both ports up in 20 s")
                time.sleep(0.1)
            pmd.command("start")
            time.sleep(args.warmup)
            pmd.command("clear port stats all")
            pmd.command("clear fwd stats all")
            other.mark()
            started = time.monotonic()
            time.sleep(args.seconds)
            stats = port_stats(pmd)
            seconds = time.monotonic() - started
            n = sum(t if gen_mode == "txonly" else r for r, t in stats)
            rates[gen_mode] = n / seconds / 1e6
            line = {"ceiling": "generator " + gen_mode, "frame": 64,
                    "mpps": round(rates[gen_mode], 3),
                    "other_rx_bursts": other.extra(None, n)["switch_rx_bursts"]}
            if gen_mode == "rxonly":
                line["generator_rx_bursts"] = rx_bursts(pmd)
            emit(line)
            pmd.command("stop")
        finally:
            if pmd:
                pmd.stop()
            other.stop()
    if rates.get("txonly") and rates.get("rxonly"):
        emit({"ceiling": "generator io loop", "frame": 64, "mpps_at_least": round(
            1 / (1 / rates["txonly"] + 1 / rates["rxonly"]), 3)})


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", required=True)
    ap.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_VHOST_SECONDS", 5)))
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--bursts", type=int, default=16,
                    help="bursts of 32 frames each port puts in the loop (at most 32)")
    ap.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_VHOST_REPEAT", 3)))
    ap.add_argument("--systems", default="vswitch,ovs-dpdk")
    ap.add_argument("--frames", default="64,1518")
    ap.add_argument("--json", help="also write every run here")
    ap.add_argument("--ref-build", help="system vswitch-ref: vswitchd of this build")
    ap.add_argument("--ceiling", action="store_true",
                    help="only the generator's own limit (txonly and rxonly halves)")
    args = ap.parse_args()
    if not 1 <= args.bursts <= 32:
        ap.error("--bursts: 1 to 32 (a direction's N x 32 frames must fit a 1024-slot ring)")
    if os.geteuid() != 0:
        print("bench-vhost: needs root (hugepages, OVS-DPDK); skipped")
        return 0
    programs.require("bench-vhost", install_missing=True)
    use_build(os.path.abspath(args.build))
    VswitchRefSystem.main_build = os.path.abspath(args.build)
    if args.ref_build:
        VswitchRefSystem.build = os.path.abspath(args.ref_build)
    elif "vswitch-ref" in args.systems.split(","):
        ap.error("--systems vswitch-ref needs --ref-build DIR")
    # Two runs at once would share the cores and the hugepages, and each
    # measure the other: the second waits.
    lock = open("/run/lock/vswitch-bench-vhost.lock", "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        log("another bench-vhost is running; waiting for it")
        fcntl.flock(lock, fcntl.LOCK_EX)
    setup_hugepages(1024)  # testpmd's 256 MB and OVS's 512 MB
    # Everything it starts inherits this: on a shared machine the two busy
    # loops (testpmd's and the switch's) then lose little to other jobs.
    os.nice(-20)
    autogroup = raise_autogroup()
    workdir = tempfile.mkdtemp(prefix="bench-vhost-")
    frames = [int(f) for f in args.frames.split(",")]
    systems = args.systems.split(",")
    runs = {(name, frame): [] for name in systems for frame in frames}
    report, best = [], {}
    emit({"conditions": {"cpus": os.cpu_count(), "loadavg_before": os.getloadavg()[0],
                         "seconds": args.seconds, "repeat": args.repeat}})
    try:
        if args.ceiling:
            ceiling(args, workdir)
            return 0
        parts(os.path.abspath(args.build))
        # Repeats outermost, systems alternating: a load that comes and goes
        # on a shared machine then falls on both systems alike.
        for i in range(args.repeat):
            for frame in frames:
                for name in systems:
                    try:
                        r = measure(SYSTEMS[name], frame, args, workdir)
                    except Exception as e:  # one system failing must not hide the other
                        log("%s frame %d run %d failed: %s" % (name, frame, i + 1, e))
                        continue
                    runs[(name, frame)].append(r)
                    log("%s %d B run %d: %.3f Mpps, loss %.2f %%" % (
                        name, frame, i + 1, r["mpps"], r["loss_pct"]))
        for frame in frames:
            for name in systems:
                got = runs[(name, frame)]
                if not got:
                    continue
                median = statistics.median_low([r["mpps"] for r in got])
                chosen = next(r for r in got if r["mpps"] == median)
                line = {"system": name, "frame": frame, "mpps": round(chosen["mpps"], 3),
                        "loss_pct": round(chosen["loss_pct"], 3)}
                line.update({k: v for k, v in chosen.items()
                             if k in ("cycles_per_packet", "pmd_cycles_per_packet",
                                      "empty_poll_pct", "frames_per_busy_poll",
                                      "generator_rx_bursts", "switch_rx_bursts")})
                line["runs_mpps"] = [round(r["mpps"], 3) for r in got]
                emit(line)
                best[(name, frame)] = chosen["mpps"]
                report.append(dict(line, runs=got))
        for frame, goal in GOALS.items():
            ours, peer = best.get(("vswitch", frame)), best.get(("ovs-dpdk", frame))
            if ours is not None and peer:
                ratio = ours / peer
                emit({"ratio": "vswitch/ovs-dpdk", "frame": frame, "value": round(ratio, 2),
                      "goal": goal, "met": ratio >= goal})
        emit({"conditions": {"loadavg_after": os.getloadavg()[0]}})
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        restore_autogroup(autogroup)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
