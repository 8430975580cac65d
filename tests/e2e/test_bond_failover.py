"""Bond failover under a live stream: a VM streams sequence-numbered UDP
through an active-backup bond into a "physical switch" (a Linux bridge in
its own namespace) that echoes every datagram (the lab is
vswitch_lab/bond_lab.py). The active member's link is cut, then the primary
comes back; for each event we count datagrams lost, duplicated, and the
longest outage (vswitch_lab/stream.py). No duplicate may ever arrive and the
stream must resume after each event. Then, with no traffic at all, a
failover must still move the VM's MAC in the bridge's table: only our
gratuitous RARP can teach it that."""
import os
import time

import pytest

from vswitch_lab.bond_lab import bond_lab, result, stream

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces")


@pytest.fixture(params=[None, 50], ids=["default-timers", "miimon-50ms"])
def lab(workdir, request):
    miimon = ["miimon=%d" % request.param] if request.param else []
    with bond_lab(workdir, "mode=active-backup", "primary={m1}", *miimon) as lab:
        yield lab + (request.param,)


def test_bond_failover_and_failback_under_a_stream(lab):
    d, n, vm, phys, m1, m2, miimon = lab
    events = {}
    for event, cmd, active in (("cut active link", "down", m2), ("primary back", "up", m1)):
        proc = stream(n, vm, 4.0)
        time.sleep(1.0)
        assert n.run(phys, "ip", "link", "set", "p1", cmd).returncode == 0
        sent, echoed, dups, gap = result(proc)
        events[event] = {"sent": sent, "lost": sent - echoed, "duplicates": dups,
                         "gap_ms": round(gap * 1000)}
        assert d.json("bond", "show", "bond0")[0]["active"] == active
        assert dups == 0, events
        assert echoed > sent // 2, events  # it resumed: most of the stream came back
    print("bond failover, miimon %s:" % (miimon or "default 1000"), events)
    assert d.json("bond", "show", "bond0")[0]["failovers"] == 2

    # Silence, then a failover: the bridge learns where the VM went from
    # the announcement alone.
    vm_mac = n.run(vm, "cat", "/sys/class/net/eth0/address").stdout.strip()
    n.run(phys, "ip", "link", "set", "p1", "down")
    deadline = time.time() + 5
    fdb = ""
    while time.time() < deadline:
        fdb = n.run(phys, "bridge", "fdb", "show", "br", "br0").stdout
        if any(vm_mac in line and "dev p2" in line for line in fdb.splitlines()):
            break
        time.sleep(0.2)
    assert any(vm_mac in line and "dev p2" in line for line in fdb.splitlines()), fdb
    assert "port bond0: announced 1 client MAC/VLAN pairs through %s" % m2 in d.log_text()
