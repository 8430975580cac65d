"""What the benchmarks on the labs (bench/bench_failover.py,
bench_restart.py, bench_reload.py, bench_idle.py) share: one command line,
--build DIR [--json FILE] and the bench's own options, the check that their
programs are here, and the JSON report."""
import argparse
import json
import os

from vswitch_lab import programs
from vswitch_lab.daemon import use_build


def parse_args(doc, name, *options):
    """--build DIR and --json FILE, plus `options` as (flag, argparse
    keywords) pairs, with the labs' daemons set to run --build's vswitchd;
    None when not root, said on stdout: the benchmark is skipped."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--build", required=True)
    for flag, keywords in options:
        ap.add_argument(flag, **keywords)
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("%s: needs root (network namespaces); skipped" % name)
        return None
    programs.require(name)
    use_build(os.path.abspath(args.build))
    return args


def write_json(args, report):
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
