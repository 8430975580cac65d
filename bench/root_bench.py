"""What the benchmarks on namespaces (bench_failover.py, bench_idle.py) share:
their command line, the root check, and the build the e2e lab modules use."""
import argparse
import os


def parse_args(doc, name, *options):
    """--build DIR and --json FILE, plus `options` as (flag, argparse keywords)
    pairs; points the e2e modules at the build (VSWITCH_BUILD). Returns None,
    after saying so, when not root: namespaces need it."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--build", required=True)
    for flag, keywords in options:
        ap.add_argument(flag, **keywords)
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("%s: needs root (network namespaces); skipped" % name)
        return None
    os.environ["VSWITCH_BUILD"] = os.path.abspath(args.build)
    return args
