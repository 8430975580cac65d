#!/usr/bin/python3
"""Idle cost: how many times a second an idle vswitchd wakes up.

A wake-up is a voluntary context switch of any of the daemon's threads
(/proc/PID/task/*/status), counted over --seconds with no traffic but what
the daemons themselves send. Three daemons:

- a switch with one afpacket uplink (a veth into an empty namespace), and
  one with an active-backup bond of two such veths as its uplink (default
  miimon: its link check every second);
- the hypervisor switch of the SEA lab (tests/e2e/sea_lab.py, default SEA
  timers): a client port, two tap trunks (uplinks), two control taps; the
  two SEAs' heartbeats cross it, every `hello` ms from each;
- the SEA daemons of that lab (VIOS A active, B standby): each sends a
  heartbeat every `hello` ms, hears the peer's, pings its netaddr every
  `netaddr-interval` and checks its real adapter's link.

Beside the wake-ups it prints the frames each daemon received in the same
seconds (its ports' rx counters), which wake it too.

Usage: bench_idle.py --build DIR [--seconds S] [--json FILE]"""
import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from vswitch_lab import bench  # noqa: E402
from vswitch_lab.daemon import Daemon, voluntary_switches  # noqa: E402
from vswitch_lab.netns import Netns  # noqa: E402
from vswitch_lab.sea_lab import SeaLab  # noqa: E402


def frames_received(daemon):
    return sum(p["counters"]["rx_packets"] for p in daemon.json("port", "show"))


def measure(daemons, seconds):
    """{label: (wake-ups/s, frames received/s)} over the same `seconds`. The
    counters are read outside the window: a control request wakes a daemon."""
    rx = {label: frames_received(d) for label, d in daemons.items()}
    before = {label: voluntary_switches(d.proc.pid) for label, d in daemons.items()}
    time.sleep(seconds)
    after = {label: voluntary_switches(d.proc.pid) for label, d in daemons.items()}
    return {label: ((after[label] - before[label]) / seconds,
                    (frames_received(d) - rx[label]) / seconds) for label, d in daemons.items()}


def plain_uplinks(workdir, seconds):
    n = Netns()
    daemons = {}
    try:
        sw_ns, lan = n.add("bis"), n.add("bil")
        for name in ("up0", "m1", "m2"):
            n.link(sw_ns, name, lan, name)
        for label, port in (("one afpacket uplink", "up0 type afpacket"),
                            ("a bond uplink (active-backup)", "bond0 type bond members=m1,m2")):
            daemons[label] = Daemon(tempfile.mkdtemp(dir=workdir), "switch add sw\n"
                                    "port add sw %s uplink on\n" % port, netns=sw_ns).start()
        time.sleep(2.0)
        return measure(daemons, seconds)
    finally:
        for d in daemons.values():
            d.stop()
        n.cleanup()


def sea_lab(workdir, seconds):
    lab = SeaLab(workdir, {})
    try:
        lab.up()
        time.sleep(2.0)
        return measure({"SEA lab: hypervisor switch (tap trunks)": lab.hyp,
                        "SEA lab: VIOS A (active SEA)": lab.vios["A"],
                        "SEA lab: VIOS B (standby SEA)": lab.vios["B"]}, seconds)
    finally:
        lab.down()


def main():
    args = bench.parse_args(__doc__, "bench-idle", ("--seconds", {"type": float, "default": 10.0}))
    if args is None:
        return 0
    report = {}
    for scenario in (plain_uplinks, sea_lab):
        workdir = tempfile.mkdtemp(prefix="vswitch-bench-idle-")
        try:
            report.update(scenario(workdir, args.seconds))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    print("Idle wake-ups, %g s, no traffic but the daemons' own (SEA default timers):"
          % args.seconds)
    print("  %-42s %12s %18s" % ("daemon", "wake-ups/s", "frames received/s"))
    for label, (wakeups, frames) in report.items():
        print("  %-42s %12.1f %18.1f" % (label, wakeups, frames))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({label: {"wakeups_per_s": w, "frames_per_s": r}
                       for label, (w, r) in report.items()}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
