#!/usr/bin/python3
"""Restart benchmark: how long the host's traffic stops when vswitchd is
restarted, by SIGTERM and by SIGKILL, started again at once.

The lab is the end-to-end tests' (vswitch_lab/restart_lab.py): a host
namespace whose vswitchd has an internal port with the host's address and a
route, and a client behind an afpacket port. A `ping -i 0.01` stream runs
from the client to the host's address; one second in, the daemon is stopped
and started again on the same startup file. For each restart we report the
outage (the longest run of echoes lost in a row, times the interval: in
sending time, so a ping process the machine did not schedule for a while is
not taken for an outage), the echoes lost, and the time from the signal to
ready (the startup file applied, the control socket answering; the harness
polls it every 50 ms). Goal (issue 14): replies within 3 s of ready.

A last row runs the same with --remove-devices, which is what a stop did
before issue 14: the host's interface comes back without its address, and
no reply comes at all.

Usage: bench_restart.py --build DIR [--rounds N] [--json FILE]"""
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from vswitch_lab import bench  # noqa: E402
from vswitch_lab.restart_lab import RestartLab, parse_ping  # noqa: E402

STREAM_SECONDS = 4
RESTART_AT = 1.0
INTERVAL = 0.01


def one_restart(lab, sig):
    """Streams pings across one restart; returns a dict of figures."""
    ping = lab.ping_stream(STREAM_SECONDS, interval=str(INTERVAL))
    time.sleep(RESTART_AT)
    took, _ = lab.restart(sig)
    ready = time.time()
    output, _ = ping.communicate(timeout=STREAM_SECONDS + 10)
    sent, replies, run = parse_ping(output)
    first = min((t for t, _ in replies if t > ready), default=None)
    return {"outage_ms": run * INTERVAL * 1000, "lost": sent - len(replies),
            "ready_ms": took * 1000,
            "reply_after_ready_ms": None if first is None else (first - ready) * 1000}


def run_case(label, sig, rounds, args=()):
    workdir = tempfile.mkdtemp(prefix="vswitch-bench-restart-")
    lab = RestartLab(workdir, args=args)
    results = []
    try:
        lab.up()
        time.sleep(0.5)
        for _ in range(rounds):
            results.append(one_restart(lab, sig))
    finally:
        lab.down()
        shutil.rmtree(workdir, ignore_errors=True)
    return results


def spread(values, fmt="%5d (%4d-%4d)"):
    return fmt % (statistics.median(values), min(values), max(values))


def main():
    args = bench.parse_args(__doc__, "bench-restart", ("--rounds", {"type": int, "default": 5}))
    if not args:
        return 0

    cases = [("SIGTERM, restart", signal.SIGTERM, args.rounds, ()),
             ("SIGKILL, restart", signal.SIGKILL, args.rounds, ()),
             ("SIGTERM with --remove-devices", signal.SIGTERM, 1, ("--remove-devices",))]
    report = {}
    print("Restart of vswitchd, internal port with the host's address, ping every %d ms, "
          "%d rounds:" % (INTERVAL * 1000, args.rounds))
    print("  %-32s %16s %14s %16s %14s" % ("event", "outage ms", "lost", "signal-ready ms",
                                           "goal"))
    for label, sig, rounds, extra in cases:
        results = run_case(label, sig, rounds, extra)
        report[label] = results
        late = [r["reply_after_ready_ms"] for r in results]
        if any(v is None for v in late):
            print("  %-32s %16s %14s %16s %14s" % (
                label, "no reply", "all after", spread([r["ready_ms"] for r in results]),
                "NOT MET"))
            continue
        met = max(late) <= 3000
        print("  %-32s %16s %14s %16s %14s" % (
            label, spread([r["outage_ms"] for r in results]),
            spread([r["lost"] for r in results], "%3d (%3d-%3d)"),
            spread([r["ready_ms"] for r in results]), "met" if met else "NOT MET"))
    bench.write_json(args, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
