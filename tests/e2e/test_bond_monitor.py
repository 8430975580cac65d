"""Bond monitoring under a live stream, end to end (the set-up is
vswitch_lab/bond_lab.py's, as in test_bond_failover.py: a VM streaming 1000
UDP datagrams/s through the bond into a Linux bridge that echoes them).

ARP target monitoring: the bridge's port for the active member stops
forwarding while both cables stay in, as when an upstream switch port or
path dies: only ARP probes to the echo host (the arp-target) can notice. The
bond must move to the other member because of ARP, say so, lose no more than
the detection time and duplicate nothing; and take the primary back once the
path answers again.

balance-slb: the member carrying the VM's hash bucket loses its link and
gets it back; the VM's traffic moves to the other member and comes home,
without a duplicate."""
import os
import time

import pytest

from vswitch_lab.bond_lab import bond_lab, result, stream

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces")

TARGET = "10.90.0.2"  # the echo host, standing for the gateway


def bridge_port_forwarding(n, phys, port, on):
    """Sets the bridge port to forwarding (3) or disabled (0): a disabled port
    drops everything while its link, and so our member's carrier, stays up."""
    assert n.run(phys, "bridge", "link", "set", "dev", port, "state",
                 "3" if on else "0").returncode == 0


def bond_status(d):
    return d.json("bond", "show", "bond0")[0]


def wait_status(d, *parts, seconds=5.0):
    deadline = time.time() + seconds
    status = ""
    while time.time() < deadline:
        status = bond_status(d)["status"]
        if all(p in status for p in parts):
            return status
        time.sleep(0.05)
    raise AssertionError("bond show says %r, not %r" % (status, parts))


def carrier_up(ifname):
    with open("/sys/class/net/%s/carrier" % ifname) as f:
        return f.read().strip() == "1"


@pytest.mark.parametrize("interval", [None, 50], ids=["arp-default-200ms", "arp-interval-50ms"])
def test_bond_fails_over_when_arp_replies_stop_while_the_carrier_stays_up(workdir, interval):
    options = ["mode=active-backup", "primary={m1}", "arp-target=" + TARGET]
    if interval:
        options.append("arp-interval=%d" % interval)
    with bond_lab(workdir, *options) as (d, n, vm, phys, m1, m2):
        wait_status(d, "%s up active arp ok" % m1, "%s up backup arp ok" % m2)
        events = {}
        for event, forwarding, active in (("path behind active dies", False, m2),
                                          ("path back", True, m1)):
            proc = stream(n, vm, 4.0)
            time.sleep(1.0)
            bridge_port_forwarding(n, phys, "p1", forwarding)
            sent, echoed, dups, gap = result(proc)
            events[event] = {"sent": sent, "lost": sent - echoed, "duplicates": dups,
                             "gap_ms": round(gap * 1000)}
            assert bond_status(d)["active"] == active, events
            assert dups == 0, events
            assert echoed > sent // 2, events  # it resumed
            if not forwarding:
                # Carrier never moved: ARP alone saw it.
                assert carrier_up(m1) and carrier_up(m2)
                status = wait_status(d, "%s up backup arp missed" % m1)
                assert "last: arp-target %s unreachable on %s" % (TARGET, m1) in status, status
        print("bond ARP failover, arp-interval %s:" % (interval or "default 200"), events)
        status = wait_status(d, "%s up active arp ok" % m1, "%s up backup arp ok" % m2)
        assert "failovers 2, last: primary %s back" % m1 in status, status
        assert "arp-target %s unreachable on %s" % (TARGET, m1) in d.log_text()


def bridge_port_of(n, phys, mac, seconds=5.0):
    """The bridge port ("p1" or "p2") on which the physical switch learned
    `mac`, waiting for it to learn; None if it did not."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        for line in n.run(phys, "bridge", "fdb", "show", "br", "br0").stdout.splitlines():
            words = line.split()
            if words and words[0] == mac and "dev" in words:
                return words[words.index("dev") + 1]
        time.sleep(0.1)
    return None


def test_slb_member_failure_and_return_under_a_stream(workdir):
    with bond_lab(workdir, "mode=balance-slb", "rebalance-interval=1000") as (
            d, n, vm, phys, m1, m2):
        vm_mac = n.run(vm, "cat", "/sys/class/net/eth0/address").stdout.strip()
        home = bridge_port_of(n, phys, vm_mac)
        assert home in ("p1", "p2")
        away = "p2" if home == "p1" else "p1"
        member = m1 if home == "p1" else m2
        events = {}
        for event, cmd, port in (("cut the VM's member", "down", away),
                                 ("member back", "up", home)):
            proc = stream(n, vm, 4.0)
            time.sleep(1.0)
            assert n.run(phys, "ip", "link", "set", home, cmd).returncode == 0
            sent, echoed, dups, gap = result(proc)
            events[event] = {"sent": sent, "lost": sent - echoed, "duplicates": dups,
                             "gap_ms": round(gap * 1000)}
            assert dups == 0, events
            assert echoed > sent // 2, events  # it resumed
            # The VM's bucket left the dead member and came home with it.
            assert bridge_port_of(n, phys, vm_mac) == port, events
        print("bond balance-slb failure and return:", events)
        status = bond_status(d)["status"]
        assert "failovers 2, last: %s up" % member in status, status
        # One source is one busy bucket: rebalancing never moves it.
        assert "rebalances 0 every 1000 ms" in status, status
