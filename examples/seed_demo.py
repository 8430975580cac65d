#!/usr/bin/env python3
"""`make demo`: the seed scenario of DESIGN section 3, live. Builds the
namespaces and starts vswitchd (vswitch_lab/seed_lab.py), pings every pair of
hosts, prints who reached whom next to what DESIGN says, shows the switch's
VLAN table and counters, binds one partition to its addresses and shows its
forged frames dropped (port security), and cleans everything up. The
switch's live web view (docs/web.md) is up the whole time: its URL is the
first line printed; --hold SECONDS keeps the lab and the page up that much
longer at the end, with a ping running so the rates move."""
import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from vswitch_lab import programs  # noqa: E402
from vswitch_lab.seed_lab import ENDPOINTS, SeedLab, expected  # noqa: E402


# The web view's documented address (docs/web.md); another free port on
# 127.0.0.1 when something else holds it.
WEB_PORT = 8480


def web_address():
    for port in (WEB_PORT, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return "127.0.0.1:%d" % s.getsockname()[1]
    raise RuntimeError("no free port on 127.0.0.1 for the web view")


def hold(lab, seconds):
    """Keeps the lab (and its web view) up, LPAR1 pinging EXT.v1 twice a second."""
    print("\nholding the lab for %d s: the web view stays up (Ctrl-C ends it)" % seconds)
    pinger = subprocess.Popen(["ip", "netns", "exec", lab.ns["lpar1"], "ping", "-n", "-q",
                               "-i", "0.5", "-I", "en0", "10.12.0.254"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(seconds)
    except KeyboardInterrupt:
        pass
    finally:
        pinger.terminate()
        pinger.wait()


def ping(lab, ns, source, target):
    return subprocess.run(["ip", "netns", "exec", lab.ns[ns], "ping", "-n", "-q", "-c", "2",
                           "-W", "1", "-I", source, target], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


def port_security(lab):
    """Binds LPAR2 to its MAC and address, then lets it claim LPAR1's: the
    switch drops the forged frames and counts them, LPAR2's own traffic
    still flows. Returns whether both held."""
    mac = subprocess.run(["ip", "netns", "exec", lab.ns["lpar2"], "cat",
                          "/sys/class/net/eth0/address"], capture_output=True, text=True,
                         check=True).stdout.strip()
    print("\nPort security: LPAR2 bound to its MAC and address, then it claims LPAR1's.\n")
    print("$ vswitchctl port set lpar2 mac %s,10.12.0.2" % mac)
    lab.ctl("hv", "port", "set", "lpar2", "mac", mac + ",10.12.0.2")
    subprocess.run(["ip", "-n", lab.ns["lpar2"], "addr", "add", "10.12.0.1/32", "dev", "eth0"],
                   check=True)
    forged = ping(lab, "lpar2", "10.12.0.1", "10.12.0.254")
    own = ping(lab, "lpar2", "10.12.0.2", "10.12.0.254")
    print("  LPAR2 -> EXT.v1 from LPAR1's 10.12.0.1: %s" % ("answered!" if forged else "dropped"))
    print("  LPAR2 -> EXT.v1 from its own 10.12.0.2:  %s" % ("ok" if own else "NO ANSWER"))
    shown = lab.ctl("hv", "port", "show", "lpar2").stdout
    print("$ vswitchctl port show lpar2      # (drops)")
    print("\n".join(line for line in shown.splitlines()
                    if "spoof" in line or "forged" in line or "security" in line))
    ok = own and not forged
    print("%s: forged frames dropped and counted, LPAR2's own traffic flows" %
          ("OK" if ok else "FAIL"))
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--build", default="build")
    parser.add_argument("--hold", type=int, default=0, metavar="SECONDS",
                        help="keep the lab and its web view up this long at the end")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("seed_demo: needs root (network namespaces)")
    programs.require("demo")
    workdir = tempfile.mkdtemp(prefix="vswitch-demo-")
    web = web_address()
    lab = SeedLab(args.build, workdir, hv_args=["--metrics", web])
    try:
        print("Web view of the switch: http://%s/  (live while the demo runs; "
              "make demo DEMO_HOLD=300 keeps it up 5 more minutes)\n" % web)
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
        spoof_ok = port_security(lab)
        if args.hold > 0:
            hold(lab, args.hold)
        return 1 if wrong or not spoof_ok else 0
    finally:
        lab.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
