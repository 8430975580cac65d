#!/usr/bin/env python3
"""`make demo`: the seed scenario of DESIGN section 3, live. Builds the
namespaces and starts vswitchd (vswitch_lab/seed_lab.py), pings every pair of
hosts, prints who reached whom next to what DESIGN says, shows the switch's
VLAN table and counters, and cleans everything up."""
import argparse
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from vswitch_lab import programs  # noqa: E402
from vswitch_lab.seed_lab import ENDPOINTS, SeedLab, expected  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--build", default="build")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("seed_demo: needs root (network namespaces)")
    programs.require("demo")
    workdir = tempfile.mkdtemp(prefix="vswitch-demo-")
    lab = SeedLab(args.build, workdir)
    try:
        print(__doc__.split("\n")[0].replace("`make demo`: ", ""))
        print("""
  LPAR1 pvid 1 + vid 3   LPAR2 pvid 1   LPAR3 pvid 2 + vid 3   LPAR4 pvid 2
  VIOS trunk pvid 1 + vid 3 (uplink) -> external switch port: EXT.v1 untagged, EXT.v3 tagged
  VLANs 1 and 2 share the subnet 10.12.0.0/24: only layer 2 keeps them apart.
""")
        lab.start()
        print("switch running; pinging every pair (2 pings each, all at once)...\n")
        result = lab.ping_all()
        names = [e[0] for e in ENDPOINTS]
        print("  from \\ to  " + "".join("%-9s" % n for n in names))
        wrong = 0
        for a in names:
            row = "  %-10s " % a
            for b in names:
                if a == b:
                    row += "%-9s" % "-"
                    continue
                ok, want = result[(a, b)], expected(a, b)
                cell = ("ok" if ok else ".") + ("" if ok == want else "!")
                wrong += ok != want
                row += "%-9s" % cell
            print(row)
        print("\n  ok = ping answered, . = no answer, ! = differs from DESIGN section 3")
        print("  VLAN 1 = LPAR1, LPAR2, EXT.v1   VLAN 2 = LPAR3, LPAR4   "
              "VLAN 3 = LPAR1.v3, LPAR3.v3, EXT.v3\n")
        print("$ vswitchctl vlan show")
        print(lab.ctl("hv", "vlan", "show").stdout)
        print("$ vswitchctl fdb show hv")
        print(lab.ctl("hv", "fdb", "show", "hv").stdout)
        print("$ vswitchctl counters")
        print(lab.ctl("hv", "counters").stdout)
        total = len(names) * (len(names) - 1)
        print("%s: %d of %d pairs as DESIGN section 3 says" % ("OK" if not wrong else "FAIL",
                                                               total - wrong, total))
        return 1 if wrong else 0
    finally:
        lab.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
