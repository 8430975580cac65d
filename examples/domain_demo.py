#!/usr/bin/env python3
"""`make demo`, third act: a distributed switch on etcd with a VXLAN overlay
(docs/distributed.md). One etcd and three hosts (namespaces on one underlay,
each a vswitchd in domain `lab` with a vxlan port); a profile is defined once
on host 1 and bound on all three; VMs on different hosts talk over VXLAN with
flood lists and remote MACs that come from the domain; a profile edit
reaches every host (the delay printed); with etcd killed traffic goes on,
the domain is headless and refuses changes; etcd back, it resyncs and the
change goes through. The lab is the overlay test's
(vswitch_lab/cluster_lab.py)."""
import argparse
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from vswitch_lab import programs, wait_until  # noqa: E402
from vswitch_lab.cluster_lab import ClusterLab  # noqa: E402
from vswitch_lab.daemon import use_build  # noqa: E402

VMS = (("vm1", 0, "10.40.0.1"), ("vm2", 1, "10.40.0.2"), ("vm3", 2, "10.40.0.3"))


def mac(i):
    return "02:00:00:40:00:%02x" % (i + 1)


def show(lab, i, *words):
    print("$ vswitchctl %s        # on h%d" % (" ".join(words), i + 1))
    print("  " + lab.host(i).ctl(*words).rstrip().replace("\n", "\n  ") + "\n")


def pings(lab, pairs):
    ok = True
    for src, dst in pairs:
        good = lab.ping(src, dict((v, a) for v, _, a in VMS)[dst], count=1, wait=2)
        print("  ping %s -> %s: %s" % (src, dst, "ok" if good else "FAILED"))
        ok &= good
    return ok


def pvids(lab, port_hosts):
    return [lab.host(i).json("port", "show", name)[0]["pvid"] for name, i in port_hosts]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--build", default="build")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("domain_demo: needs root (network namespaces)")
    programs.require("demo")
    use_build(os.path.abspath(args.build))
    workdir = tempfile.mkdtemp(prefix="vswitch-demo-domain-")
    lab = ClusterLab(workdir, vnis=["5000,20:5020"] * 3)
    failures = 0
    try:
        print("A distributed switch: one etcd, three hosts (vswitchd --domain lab), "
              "VXLAN between them\n")
        print("""  etcd on a management network (%s.254), reached by every host
  h1 192.0.2.1 --+                 each host: switch sw, port vx type vxlan
  h2 192.0.2.2 --+-- underlay      local=192.0.2.N vni=5000,20:5020
  h3 192.0.2.3 --+                 (VLAN 1 = VNI 5000, VLAN 20 = VNI 5020), no remote=
""" % "198.18.x")
        lab.start()
        lab.wait_online()
        print("1. A profile defined once on h1, bound on every host")
        lab.host(0).ctl("profile", "add", "web", "pvid", "1", "mac-limit", "16")
        print("$ vswitchctl profile add web pvid 1 mac-limit 16        # on h1")
        for name, i, addr in VMS:
            lab.add_vm(i, name, addr + "/24", mac(i))
            lab.bind(i, name, "web", mac(i))
            print("$ vswitchctl port bind %s profile web mac %s        # on h%d"
                  % (name, mac(i), i + 1))
        print()
        # The MACs reach the other hosts with their next keepalive (2 s).
        wait_until(lambda: all(lab.overlay(i).get("ports", [{}])[0].get("static_macs") == 2
                               for i in range(3)), 10)
        show(lab, 1, "host", "show")
        show(lab, 2, "profile", "show", "web")
        show(lab, 0, "domain", "show")
        print("2. VMs on different hosts talk over VXLAN")
        failures += not pings(lab, (("vm1", "vm2"), ("vm1", "vm3"), ("vm3", "vm2")))

        print("\n3. A profile edit on h1 reaches every host: VLAN 20, so VNI 5020")
        ports = [(name, i) for name, i, _ in VMS]
        t0 = time.monotonic()
        lab.host(0).ctl("profile", "set", "web", "pvid", "20")
        ok = wait_until(lambda: pvids(lab, ports) == [20, 20, 20], 10, step=0.01)
        print("$ vswitchctl profile set web pvid 20        # on h1")
        print("  applied on h1, h2, h3 within %.0f ms%s" % (
            (time.monotonic() - t0) * 1000, "" if ok else " -- NOT on every host"))
        failures += not ok
        failures += not pings(lab, (("vm1", "vm2"), ("vm2", "vm3")))

        print("\n4. etcd killed: forwarding goes on, the domain is headless")
        lab.etcd.kill(0)
        wait_until(lambda: lab.host(0).json("domain", "show")["state"] == "headless", 10)
        failures += not pings(lab, (("vm1", "vm3"),))
        print("  h1's domain: %s; h2 keeps its flood lists and remote MACs:"
              % lab.host(0).json("domain", "show")["state"])
        overlay = [line for line in lab.host(1).ctl("domain", "show").splitlines()
                   if line.startswith("  vx:")]
        print("  " + "\n  ".join(overlay))
        r = lab.host(0).run("profile", "set", "web", "pvid", "1")
        print("$ vswitchctl profile set web pvid 1        # on h1\n  refused: %s"
              % r.stderr.strip())
        failures += r.returncode == 0

        print("\n5. etcd back: every host resyncs, the change goes through")
        lab.etcd.restart(0)
        ok = lab.wait_online(20)
        print("  hosts online again: %s" % ("yes" if ok else "NO"))
        failures += not ok
        t0 = time.monotonic()
        lab.host(0).ctl("profile", "set", "web", "pvid", "1")
        ok = wait_until(lambda: pvids(lab, ports) == [1, 1, 1], 10, step=0.01)
        print("$ vswitchctl profile set web pvid 1        # on h1")
        print("  applied on h1, h2, h3 within %.0f ms" % ((time.monotonic() - t0) * 1000))
        failures += not ok
        failures += not pings(lab, (("vm1", "vm2"), ("vm1", "vm3")))
        print("\n%s: one profile on three hosts, VMs over VXLAN, forwarding without etcd"
              % ("OK" if not failures else "FAIL"))
        return 1 if failures else 0
    finally:
        lab.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
