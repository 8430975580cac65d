#!/usr/bin/env python3
"""`make demo`, second act: SEA failover between two VIOS. Two vswitchd
processes, each with a Shared Ethernet Adapter, serve a client partition
behind a third vswitchd (the hypervisor switch); a 1000/s UDP echo stream
runs to an external host while the primary VIOS is killed with SIGKILL and
then comes back. Prints the roles, `vswitchctl sea show`, and for each event
the outage, datagrams lost and duplicates. The lab is the one the end-to-end
tests and `make bench-failover` use (vswitch_lab/sea_lab.py); default timers."""
import argparse
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from vswitch_lab import programs  # noqa: E402
from vswitch_lab.daemon import use_build  # noqa: E402
from vswitch_lab.sea_lab import SeaLab  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--build", default="build")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("sea_demo: needs root (network namespaces)")
    programs.require("demo")
    use_build(os.path.abspath(args.build))
    workdir = tempfile.mkdtemp(prefix="vswitch-demo-sea-")
    lab = SeaLab(workdir, {})
    try:
        print("SEA failover between two VIOS: two vswitchd processes with a Shared Ethernet "
              "Adapter each\n")
        print("""  client -- [hypervisor switch: trunk taps trA (priority 1), trB (priority 2)]
                       trA -- VIOS A: SEA (vnic trunk, real adapter) --+-- external LAN
                       trB -- VIOS B: SEA (vnic trunk, real adapter) --+   (echo server)
""")
        lab.up()
        print("roles:", lab.roles())
        print("$ vswitchctl sea show        # on VIOS B")
        print(lab.vios["B"].ctl("sea", "show"))
        failures = 0
        for name, event, seconds, roles in (
                ("SIGKILL of VIOS A", lab.kill_primary, 3.0, ("dead", "active")),
                ("VIOS A restarted (failback after 3 s)", lab.restart_primary, 5.5,
                 ("active", "standby"))):
            print("streaming 1000 datagrams/s; %s one second in..." % name)
            r = lab.measure(event, seconds=seconds)
            lab.wait_roles(*roles, timeout=10)
            print("  outage %d ms, %d of %d lost, %d duplicates; roles now %s" % (
                r["gap_ms"], r["lost"], r["sent"], r["duplicates"], lab.roles()))
            failures += r["duplicates"] != 0
        print("\n$ vswitchctl sea show        # on VIOS B")
        print(lab.vios["B"].ctl("sea", "show"))
        print("%s: no duplicate frame in any event" % ("OK" if not failures else "FAIL"))
        return 1 if failures else 0
    finally:
        lab.down()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
