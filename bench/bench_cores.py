#!/usr/bin/python3
"""bench_cores.py -- `make bench-cores`: how forwarding scales from one poll
thread to two (vswitchd --cores). Four namespaces on four afpacket ports
carry two flows of 64-byte frames (bench/pktgen) at once, A -> B and D -> C;
with two threads each flow is received by its own thread (ports p1, p3 on
thread 0, p2, p4 on thread 1). The same run measures --cores C0 and then
--cores C0,C1, alternately, --repeat times, and prints the median frames per
second delivered in each case and their ratio.

The generators and sinks run on the same machine: on a 2-vCPU machine they
compete with the switch's threads for the CPUs, so the figure is a lower
bound of what a second core gives, not the switch's capacity. See
docs/cores.md.

Usage (as root): bench/bench_cores.py --build DIR [--pktgen PATH] [--seconds S]
                 [--repeat N] [--json FILE]
Everything it creates has a unique name and is removed on exit; processes
are ended by PID."""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from vswitch_lab import bench  # noqa: E402
from vswitch_lab.daemon import Daemon  # noqa: E402
from vswitch_lab.netns import Netns, unique  # noqa: E402

MACS = {"a": "02:00:00:c0:00:0a", "b": "02:00:00:c0:00:0b", "c": "02:00:00:c0:00:0c",
        "d": "02:00:00:c0:00:0d"}
FLOWS = (("a", "b"), ("d", "c"))  # received on p1 (thread 0) and on p4 (thread 1)


def in_ns(ns, *cmd):
    return ["ip", "netns", "exec", ns] + [str(c) for c in cmd]


def read_ready(proc, timeout=5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = proc.stderr.readline()
        if line.strip() == "ready":
            return True
    return False


def measure(args, hosts, seconds):
    """Both flows at once; frames per second delivered, summed."""
    for src, dst in FLOWS:  # the switch learns every MAC before the run
        for a, b in ((src, dst), (dst, src)):
            subprocess.run(in_ns(hosts[a], args.pktgen, "send", "eth0", "--src", MACS[a],
                                 "--dst", MACS[b], "--count", "1"), check=True,
                           capture_output=True)
    time.sleep(0.2)
    sinks, senders = [], []
    try:
        for src, dst in FLOWS:
            sink = subprocess.Popen(in_ns(hosts[dst], args.pktgen, "sink", "eth0", "--dst",
                                          MACS[dst], "--seconds", seconds + 10, "--idle-ms",
                                          "500"),
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            sinks.append(sink)
            if not read_ready(sink):
                raise RuntimeError("pktgen sink did not start")
        for src, dst in FLOWS:
            senders.append(subprocess.Popen(
                in_ns(hosts[src], args.pktgen, "send", "eth0", "--src", MACS[src], "--dst",
                      MACS[dst], "--size", "64", "--seconds", seconds),
                stdout=subprocess.PIPE, text=True))
        sent = [json.loads(s.communicate(timeout=seconds + 30)[0]) for s in senders]
        got = [json.loads(s.communicate(timeout=30)[0]) for s in sinks]
    finally:
        for p in sinks + senders:
            if p.poll() is None:
                p.kill()
                p.wait()
    return sum(g["pps"] for g in got), sum(s["pps"] for s in sent)


def run_case(args, workdir, n, hosts, links, cores):
    d = Daemon(tempfile.mkdtemp(dir=workdir), "", args=["--cores", cores])
    try:
        d.start()
        d.ctl("switch", "add", "sw")
        for i, h in enumerate("abcd"):
            d.ctl("port", "add", "sw", "p%d" % (i + 1), "type", "afpacket", "dev=" + links[h])
        threads = {p["name"]: p.get("poll_thread") for p in d.json("port", "show")}
        return measure(args, hosts, args.seconds) + (threads,)
    finally:
        d.stop()


def main():
    args = bench.parse_args(
        __doc__, "bench-cores",
        ("--pktgen", {"default": None}),
        ("--seconds", {"type": int, "default": 3}),
        ("--repeat", {"type": int, "default": 3}))
    if args is None:
        return 0
    args.pktgen = args.pktgen or os.path.join(os.path.abspath(args.build), "bench", "pktgen")
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        print("bench-cores: needs two CPUs; skipped")
        return 0
    one, two = str(cpus[-1]), "%d,%d" % (cpus[-2], cpus[-1])
    workdir = tempfile.mkdtemp(prefix="vswitch-bench-cores-")
    n = Netns()
    try:
        hosts, links = {}, {}
        for h in "abcd":
            hosts[h] = n.add("vbc" + h)
            links[h] = n.veth(unique("vbc" + h), hosts[h], mac=MACS[h])
        results = {one: [], two: []}
        for r in range(args.repeat):
            for cores in (one, two):
                pps, sent, threads = run_case(args, workdir, n, hosts, links, cores)
                results[cores].append(pps)
                print(json.dumps({"cores": cores, "run": r, "delivered_pps": round(pps),
                                  "offered_pps": round(sent), "poll_threads": threads}),
                      flush=True)
        report = {"one_core": cores_summary(one, results[one]),
                  "two_cores": cores_summary(two, results[two])}
        report["ratio_two_to_one"] = round(report["two_cores"]["median_pps"] /
                                           max(report["one_core"]["median_pps"], 1), 2)
        report["cpus"] = len(cpus)
        print(json.dumps(report), flush=True)
        print("bench-cores: 64-byte frames, two flows over four afpacket ports: "
              "--cores %s %.0f pps, --cores %s %.0f pps, ratio %.2f (%d CPUs, shared with "
              "the generators)" % (one, report["one_core"]["median_pps"], two,
                                   report["two_cores"]["median_pps"],
                                   report["ratio_two_to_one"], len(cpus)))
        bench.write_json(args, report)
    finally:
        n.cleanup()
    return 0


def cores_summary(cores, runs):
    return {"cores": cores, "median_pps": statistics.median(runs), "runs": [round(x) for x in runs]}


if __name__ == "__main__":
    sys.exit(main())
