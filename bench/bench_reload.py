#!/usr/bin/python3
"""Reload benchmark: how long forwarding stops while vswitchd takes a
startup file of N static MACs, and how long the reload takes.

A 1000/s stream of sequence-numbered UDP datagrams (vswitch_lab/stream.py)
runs between two namespaces through the switch; mid-stream the startup file
is rewritten with N static MACs on a third port and `vswitchctl reload` is
run, then rewritten without them and reloaded again. For each we report the
reload's wall time as vswitchctl sees it, the stream's outage (the longest
run of datagrams that never came back, in sending time) and datagrams lost,
and the longest single step the data plane spent on the change (the
daemon's own log line, "forwarding held at most X ms").

There is no peer column: the Linux bridge and Open vSwitch have no startup
file of static MACs to reload (OVS adds them one `ovs-appctl fdb/add` at a
time). `--old DIR` runs the same against another build, e.g. the code
before the reload moved off the data-plane thread.

Usage: bench_reload.py --build DIR [--old DIR] [--sizes 10000,30000,...]"""
import argparse
import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from vswitch_lab import programs, stream  # noqa: E402
from vswitch_lab.daemon import Daemon, use_build  # noqa: E402
from vswitch_lab.netns import Netns, unique  # noqa: E402


def startup_text(la, lb, statics):
    lines = ["switch add sw fdb-capacity 262144",
             "port add sw pa type afpacket dev=" + la,
             "port add sw pb type afpacket dev=" + lb,
             "port add sw spare type pipe"]
    lines += ["fdb add sw vlan 1 mac 02:%02x:%02x:%02x:00:01 port spare"
              % (i >> 16, (i >> 8) & 0xff, i & 0xff) for i in range(statics)]
    return "\n".join(lines) + "\n"


def held_ms(daemon, before):
    """The daemon's own figure for the last change, if it logged one."""
    text = daemon.log_text()[before:]
    found = re.findall(r"forwarding held at most ([\d.]+) ms", text)
    return float(found[-1]) if found else None


def measure_build(build, sizes):
    use_build(build)
    n = Netns()
    work = tempfile.mkdtemp(prefix="vswitch-bench-reload-")
    d = echo = None
    rows = []
    try:
        a, b = n.add("bra"), n.add("brb")
        la = n.veth(unique("vba"), a, address="10.82.0.1/24")
        lb = n.veth(unique("vbb"), b, address="10.82.0.2/24")
        d = Daemon(work, startup_text(la, lb, 0)).start()
        echo = stream.start_echo(b, "10.82.0.2")
        for size in sizes:
            for target in (size, 0):
                with open(d.config, "w") as f:
                    f.write(startup_text(la, lb, target))
                took = {}
                log_at = len(d.log_text())

                def reload():
                    start = time.monotonic()
                    d.ctl("reload")
                    took["ms"] = (time.monotonic() - start) * 1000

                r = stream.measure(a, "10.82.0.2", reload, seconds=3.0 + size / 20000, at=1.0)
                rows.append({"size": size, "what": "add" if target else "remove",
                             "reload_ms": took["ms"], "gap_ms": r["gap_ms"], "lost": r["lost"],
                             "held_ms": held_ms(d, log_at)})
    finally:
        if echo:
            echo.kill()
            echo.wait()
        if d:
            d.stop()
        n.cleanup()
        shutil.rmtree(work, ignore_errors=True)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", required=True)
    ap.add_argument("--old", help="another build to measure side by side")
    ap.add_argument("--sizes", default="10000,30000,50000,100000")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("bench-reload: needs root (network namespaces); skipped")
        return
    programs.require("bench-reload")
    sizes = [int(s) for s in args.sizes.split(",")]
    builds = [("this build", os.path.abspath(args.build))]
    if args.old:
        builds.append(("--old", os.path.abspath(args.old)))
    print("reload of N static MACs under a 1000/s UDP echo stream")
    print("%-11s %8s %-7s %10s %10s %6s %10s" % ("build", "N", "change", "reload ms",
                                                 "outage ms", "lost", "held ms"))
    for label, build in builds:
        for row in measure_build(build, sizes):
            held = "%.1f" % row["held_ms"] if row["held_ms"] is not None else "-"
            print("%-11s %8d %-7s %10.0f %10d %6d %10s" % (
                label, row["size"], row["what"], row["reload_ms"], row["gap_ms"], row["lost"],
                held))


if __name__ == "__main__":
    main()
