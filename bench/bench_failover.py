#!/usr/bin/python3
"""Failover benchmark: how long traffic stops and how much of it is lost when
the primary SEA fails, or a bond's active member, at the default timers and
at fast timers.

The lab is the end-to-end tests' (vswitch_lab/sea_lab.py): a hypervisor switch
with a client, two VIOS daemons each running an SEA, an external LAN with an
echo server; a 1000/s stream of sequence-numbered UDP datagrams runs from the
client to the echo server and back. For each event we report the outage (the
longest run of datagrams in a row that never came back, as sending time),
datagrams lost, and duplicates. Goals (issue "SEA failover"): outage <= 1 s
at the defaults, <= 300 ms with fast timers, duplicates 0.

Bonds (the lab of vswitch_lab/bond_lab.py: a VM behind an
active-backup bond of two veths into a Linux bridge that echoes): the active
member's link cut (miimon default 1000 ms, and 50 ms), and the path behind
it dying while its carrier stays up (ARP monitor, default 200 ms interval,
and 50 ms); then the primary's return.

Usage: bench_failover.py --build DIR [--rounds N] [--json FILE]"""
import os
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from vswitch_lab import bench  # noqa: E402
from vswitch_lab.sea_lab import FAST, SeaLab  # noqa: E402
from vswitch_lab.stream import measure  # noqa: E402
from vswitch_lab.bond_lab import bond_lab  # noqa: E402

EVENTS = [
    # name, what happens, how long to stream, whether it is a failover
    ("SIGKILL primary", "kill_primary", 3.0, True),
    ("primary back (failback)", "restart_primary", None, False),
    ("primary link down", "link_down", 3.0, True),
    ("primary link up (failback)", "link_up", None, False),
    ("primary netaddr unreachable", "netaddr_down", None, True),
    ("primary netaddr back (failback)", "netaddr_up", None, False),
]


def run_round(lab, timers):
    actions = {
        "kill_primary": lab.kill_primary,
        "restart_primary": lab.restart_primary,
        "link_down": lambda: lab.primary_link(False),
        "link_up": lambda: lab.primary_link(True),
        "netaddr_down": lambda: lab.primary_netaddr(False),
        "netaddr_up": lambda: lab.primary_netaddr(True),
    }
    # Long enough for the failback hold-down, or the netaddr retries, plus the
    # time to see traffic resume.
    delay = timers.get("failback-delay", 3000) / 1000.0
    detect = timers.get("netaddr-interval", 200) * (timers.get("netaddr-retries", 3) + 2) / 1000.0
    results = {}
    for name, action, seconds, _ in EVENTS:
        if seconds is None:
            seconds = 2.0 + (delay if "failback" in name else detect)
        results[name] = lab.measure(actions[action], seconds=seconds, at=1.0)
        want = ("active", "standby") if "failback" in name else (
            "dead" if action == "kill_primary" else "standby", "active")
        lab.wait_roles(*want, timeout=10)
    return results


def bond_cases():
    """(label, bond options, break, repair) for each bond case."""
    def link(up):
        return lambda n, phys: n.run(phys, "ip", "link", "set", "p1", "up" if up else "down")

    def path(up):
        return lambda n, phys: n.run(phys, "bridge", "link", "set", "dev", "p1", "state",
                                     "3" if up else "0")
    arp = ["mode=active-backup", "primary={m1}", "arp-target=10.90.0.2"]
    return [
        ("link cut, miimon 1000 (default)", ["mode=active-backup", "primary={m1}"],
         link(False), link(True), 1000),
        ("link cut, miimon 50", ["mode=active-backup", "primary={m1}", "miimon=50"],
         link(False), link(True), 300),
        ("path dead, arp-interval 200 (default)", arp, path(False), path(True), 1000),
        ("path dead, arp-interval 50", arp + ["arp-interval=50"], path(False), path(True), 300),
    ]


def run_bonds(rounds):
    report = {}
    print("Bond active-backup failover, %d rounds, 1000 datagrams/s:" % rounds)
    print("  %-40s %12s %12s %6s %6s %14s" % ("case", "outage ms", "lost", "dups", "goal",
                                             "failback lost"))
    for label, options, cut, repair, goal_ms in bond_cases():
        outages, lost, back, dups = [], [], [], 0
        for _ in range(rounds):
            workdir = tempfile.mkdtemp(prefix="vswitch-bench-bond-")
            try:
                with bond_lab(workdir, *options) as (d, n, vm, phys, m1, m2):
                    time.sleep(1.5)  # the ARP monitor proves both members first
                    r = measure(vm, "10.90.0.2", lambda: cut(n, phys), seconds=3.0)
                    f = measure(vm, "10.90.0.2", lambda: repair(n, phys), seconds=3.0)
                outages.append(r["gap_ms"])
                lost.append(r["lost"])
                back.append(f["lost"])
                dups += r["duplicates"] + f["duplicates"]
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
        met = max(outages) <= goal_ms and dups == 0
        print("  %-40s %5d (%4d-%4d) %5d (%3d-%3d) %6d %6s %14d" % (
            label, statistics.median(outages), min(outages), max(outages),
            statistics.median(lost), min(lost), max(lost), dups, "met" if met else "NOT MET",
            max(back)))
        report[label] = {"outage_ms": outages, "lost": lost, "failback_lost": back,
                         "duplicates": dups, "goal_outage_ms": goal_ms}
    return report


def main():
    args = bench.parse_args(__doc__, "bench-failover", ("--rounds", {"type": int, "default": 3}))
    if args is None:
        return 0
    report = {}
    for label, timers, goal_ms in (("default timers", {}, 1000), ("fast timers", FAST, 300)):
        rounds = []
        for _ in range(args.rounds):
            workdir = tempfile.mkdtemp(prefix="vswitch-bench-failover-")
            lab = SeaLab(workdir, timers)
            try:
                lab.up()
                rounds.append(run_round(lab, timers))
            finally:
                lab.down()
                shutil.rmtree(workdir, ignore_errors=True)
        report[label] = {"timers": timers or "defaults", "goal_outage_ms": goal_ms, "events": {}}
        print("SEA failover, %s (%s), %d rounds, 1000 datagrams/s:" % (
            label, " ".join("%s %s" % kv for kv in timers.items()) or "hello 200 dead 600 "
            "netaddr-interval 200 netaddr-retries 3 failback-delay 3000", args.rounds))
        print("  %-34s %12s %12s %8s %6s" % ("event", "outage ms", "lost", "dups", "goal"))
        for name, _, _, failover in EVENTS:
            outages = [r[name]["gap_ms"] for r in rounds]
            lost = [r[name]["lost"] for r in rounds]
            dups = sum(r[name]["duplicates"] for r in rounds)
            met = max(outages) <= goal_ms and dups == 0
            print("  %-34s %5d (%4d-%4d) %5d (%3d-%3d) %8d %6s" % (
                name, statistics.median(outages), min(outages), max(outages),
                statistics.median(lost), min(lost), max(lost), dups,
                ("met" if met else "NOT MET") if failover else "-"))
            report[label]["events"][name] = {"outage_ms": outages, "lost": lost,
                                             "duplicates": dups}
    report["bonds"] = run_bonds(args.rounds)
    bench.write_json(args, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
