#!/usr/bin/python3
"""bench_vxlan.py -- VXLAN end to end, `make bench-vxlan`: a vswitchd VTEP
pair and a Linux kernel vxlan pair (vxlan device in a Linux bridge) carry the
same traffic one after the other in the same run: iperf3 TCP (-t 3) and
64-byte frames per second (bench/pktgen) from VM a to VM b. Prints one JSON
line per system and case, then the ratio vswitchd / kernel per case.
See docs/vxlan.md, "Benchmarks".

Topology, made again for each system: namespaces ul (a Linux bridge, the
underlay), host-a and host-b (192.0.2.1/.2 on eth0 to ul, the VTEPs) and
vm-a, vm-b (10.202.0.1/.2, eth0 to their host, MTU 1450 so the 1500-byte
underlay carries every frame whole). vswitchd: one daemon per host, a switch
with a vxlan port (VNI 5000) and an afpacket port to the VM. kernel: a vxlan
device for VNI 5000 and the VM's link in a Linux bridge.

Usage (as root): bench/bench_vxlan.py [--build DIR] [--pktgen PATH] [--seconds S]
Everything carries a random tag and is removed on success, failure or
Ctrl-C; processes are ended by PID.
"""
import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from vswitch_lab import programs  # noqa: E402
from bench_peers import (Cleanup, case_tcp, in_ns, read_line, run, spawn,  # noqa: E402
                         stop_pid)


def log(*words):
    print("bench-vxlan:", *words, file=sys.stderr, flush=True)


class Topology:
    def __init__(self, tag, cleanup):
        self.tag = tag
        self.cleanup = cleanup
        names = ("ul", "ha", "hb", "va", "vb")
        self.n = {k: "vxb-%s-%s" % (tag, k) for k in names}
        self.ns = {"a": self.n["va"], "b": self.n["vb"]}
        self.ip = {"a": "10.202.0.1", "b": "10.202.0.2"}
        self.mac = {"a": "02:00:00:20:20:01", "b": "02:00:00:20:20:02"}

    def link(self, ns_a, name_a, ns_b, name_b):
        tmp_a, tmp_b = "vxb%sx" % self.tag, "vxb%sy" % self.tag
        run(["ip", "link", "add", tmp_a, "type", "veth", "peer", "name", tmp_b])
        for tmp, ns, name in ((tmp_a, ns_a, name_a), (tmp_b, ns_b, name_b)):
            run(["ip", "link", "set", tmp, "netns", ns])
            run(in_ns(ns, "ip", "link", "set", tmp, "name", name))
            run(in_ns(ns, "ip", "link", "set", name, "up"))

    def create(self):
        for name in self.n.values():
            run(["ip", "netns", "add", name])
            self.cleanup.push("netns " + name,
                              lambda name=name: run(["ip", "netns", "del", name], check=False))
            run(in_ns(name, "ip", "link", "set", "lo", "up"))
            run(in_ns(name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"))
        ul = self.n["ul"]
        run(in_ns(ul, "ip", "link", "add", "ulbr", "type", "bridge"))
        run(in_ns(ul, "ip", "link", "set", "ulbr", "up"))
        for i, side in enumerate("ab"):
            host, vm = self.n["h" + side], self.n["v" + side]
            self.link(ul, "p" + side, host, "eth0")
            run(in_ns(ul, "ip", "link", "set", "p" + side, "master", "ulbr"))
            run(in_ns(host, "ip", "addr", "add", "192.0.2.%d/24" % (i + 1), "dev", "eth0"))
            self.link(host, "vm", vm, "eth0")
            run(in_ns(vm, "ip", "link", "set", "eth0", "address", self.mac[side], "mtu",
                      "1450"))
            run(in_ns(vm, "ip", "addr", "add", self.ip[side] + "/24", "dev", "eth0"))


class Kernel:
    name = "kernel"

    def __init__(self, args, cleanup):
        self.args = args

    def attach(self, topo):
        for i, side in enumerate("ab"):
            host = topo.n["h" + side]
            run(in_ns(host, "ip", "link", "add", "vx", "type", "vxlan", "id", "5000", "local",
                      "192.0.2.%d" % (i + 1), "remote", "192.0.2.%d" % (2 - i), "dstport",
                      "4789"))
            run(in_ns(host, "ip", "link", "add", "vbr", "type", "bridge"))
            for dev in ("vx", "vm"):
                run(in_ns(host, "ip", "link", "set", dev, "master", "vbr"))
            run(in_ns(host, "ip", "link", "set", "vx", "up"))
            run(in_ns(host, "ip", "link", "set", "vbr", "up"))


class Vswitchd:
    name = "vswitchd"

    def __init__(self, args, cleanup):
        self.args = args
        self.cleanup = cleanup
        self.ctls = []

    def report(self):
        """The vxlan ports' counters (GRO reads, GSO writes), to stderr."""
        for side, ctl in zip("ab", self.ctls):
            log("host-%s:" % side, ctl("port", "show", "vx").stdout.strip())

    def attach(self, topo):
        for i, side in enumerate("ab"):
            host = topo.n["h" + side]
            work = tempfile.mkdtemp(prefix="vswitch-bench-vxlan-")
            self.cleanup.push("workdir", lambda work=work: run(["rm", "-rf", work]))
            sock, conf = os.path.join(work, "sock"), os.path.join(work, "conf")
            open(conf, "w").close()
            logf = open(os.path.join(work, "log"), "w")
            proc = spawn(self.cleanup, in_ns(host, os.path.join(self.args.build, "vswitchd"),
                                             "--config", conf, "--socket", sock),
                         "vswitchd", stdout=logf, stderr=subprocess.STDOUT)

            def ctl(*words, sock=sock):
                return run([os.path.join(self.args.build, "vswitchctl"), "--socket", sock] +
                           list(words), check=False)
            deadline = time.time() + 10
            while ctl("show").returncode != 0:
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("vswitchd did not come up")
                time.sleep(0.05)
            self.ctls.append(ctl)
            for words in (("switch", "add", "sw"),
                          ("port", "add", "sw", "vx", "type", "vxlan",
                           "local=192.0.2.%d" % (i + 1), "remote=192.0.2.%d" % (2 - i),
                           "vni=5000"),
                          ("port", "add", "sw", "vm", "type", "afpacket")):
                r = ctl(*words)
                if r.returncode != 0:
                    raise RuntimeError(" ".join(words) + ": " + r.stderr)


def case_pps(args, topo, cleanup, seconds):
    """64-byte frames vm-a -> vm-b with pktgen; frames/s received at vm-b."""
    a, b = topo.ns["a"], topo.ns["b"]
    run(in_ns(b, args.pktgen, "send", "eth0", "--src", topo.mac["b"], "--dst", topo.mac["a"],
              "--count", "1"))
    run(in_ns(a, args.pktgen, "send", "eth0", "--src", topo.mac["a"], "--dst", topo.mac["b"],
              "--count", "1"))
    time.sleep(0.3)
    mark = len(cleanup.actions)
    try:
        sink = spawn(cleanup, in_ns(b, args.pktgen, "sink", "eth0", "--dst", topo.mac["b"],
                                    "--seconds", str(seconds + 10), "--idle-ms", "500"),
                     "pktgen sink", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if read_line(sink.stderr, 5).strip() != "ready":
            return None, {"error": "pktgen sink did not start"}
        sender = subprocess.Popen(in_ns(a, args.pktgen, "send", "eth0", "--src", topo.mac["a"],
                                        "--dst", topo.mac["b"], "--size", "64", "--seconds",
                                        str(seconds)), stdout=subprocess.PIPE, text=True)
        cleanup.push("pktgen send", lambda: stop_pid(sender))
        sent = json.loads(sender.communicate(timeout=seconds + 30)[0])
        received = json.loads(sink.communicate(timeout=30)[0])
        return received["pps"], {"sent_pps": sent["pps"], "sent": sent["sent"],
                                 "received": received["received"]}
    finally:
        cleanup.run_from(mark)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", default=os.environ.get("VSWITCH_BUILD", "build"))
    p.add_argument("--pktgen", default=None)
    p.add_argument("--seconds", type=int, default=3)
    args = p.parse_args()
    args.pktgen = args.pktgen or os.path.join(args.build, "bench", "pktgen")
    if os.geteuid() != 0:
        log("needs root (network namespaces)")
        return 1
    programs.require("bench-vxlan", install_missing=True)
    tag = secrets.token_hex(2)
    results, failed = {}, False
    for cls in (Vswitchd, Kernel):
        cleanup = Cleanup()
        try:
            topo = Topology(tag, cleanup)
            topo.create()
            system = cls(args, cleanup)
            system.attach(topo)
            ping = run(in_ns(topo.ns["a"], "ping", "-c", "3", "-i", "0.2", "-W", "2",
                             topo.ip["b"]), check=False)
            if ping.returncode != 0:
                raise RuntimeError("vm-a cannot ping vm-b: " + ping.stdout[-200:])
            for case, unit, fn in (
                    ("tcp", "Gbit/s", lambda: case_tcp(topo, cleanup, args.seconds)),
                    ("pps-64", "frames/s", lambda: case_pps(args, topo, cleanup,
                                                            args.seconds))):
                value, extra = fn()
                results[(cls.name, case)] = value
                line = {"system": cls.name, "case": case, "value": value, "unit": unit}
                line.update(extra)
                print(json.dumps(line), flush=True)
            if hasattr(system, "report"):
                system.report()
        except (RuntimeError, subprocess.TimeoutExpired, OSError, ValueError) as e:
            failed = True
            log("%s: failed: %s" % (cls.name, e))
        finally:
            cleanup.run_all()
    for case in ("tcp", "pps-64"):
        ours, theirs = results.get(("vswitchd", case)), results.get(("kernel", case))
        ratio = round(ours / theirs, 3) if ours and theirs else None
        print(json.dumps({"case": case, "ratio_vswitchd_to_kernel": ratio}), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
