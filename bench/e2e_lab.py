"""What the benchmarks run on the end-to-end tests' labs share
(bench_failover.py, bench_restart.py, bench_reload.py, bench_idle.py): the labs' directory on the import
path, the check that their programs are here, and one command line: --build DIR [--json FILE] and the bench's own options."""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
import programs  # noqa: E402


def parse_args(doc, name, *options):
    """--build DIR and --json FILE, plus `options` as (flag, argparse
    keywords) pairs, with VSWITCH_BUILD set for the labs to find vswitchd
    (import them after this); None when not root, said on stdout: the
    benchmark is skipped."""
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
    os.environ["VSWITCH_BUILD"] = os.path.abspath(args.build)
    return args


def write_json(args, report):
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
