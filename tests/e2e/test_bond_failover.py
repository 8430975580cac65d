"""Bond failover under a live stream: a VM streams sequence-numbered UDP
through an active-backup bond into a "physical switch" (a Linux bridge in
its own namespace) that echoes every datagram. The active member's link is
cut, then the primary comes back; for each event we count datagrams lost,
duplicated, and the longest outage (stream.py). No duplicate may ever arrive and the
stream must resume after each event. Then, with no traffic at all, a
failover must still move the VM's MAC in the bridge's table: only our
gratuitous RARP can teach it that."""
import contextlib
import os
import tempfile
import time

import pytest

from conftest import Daemon, Netns, unique
from stream import start_echo, start_stream, stream_result

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces")

def stream(n, ns, seconds):
    return start_stream(ns, "10.90.0.2", seconds)


def result(proc):
    """(sent, echoed, duplicates, outage in s) — see stream.py."""
    r = stream_result(proc)
    return r["sent"], r["sent"] - r["lost"], r["duplicates"], r["gap_ms"] / 1000.0


@contextlib.contextmanager
def bond_lab(workdir, *bond_options):
    """A VM (10.90.0.1) behind a bond of two members, m1 and m2, cabled to
    ports p1 and p2 of a Linux bridge in namespace `phys` that holds the echo
    server's address 10.90.0.2. `bond_options` may name the members as {m1}
    and {m2}. Yields (daemon, netns, vm, phys, m1, m2); everything is removed
    afterwards, also when the test fails."""
    n = Netns()
    d = Daemon(tempfile.mkdtemp(dir=workdir), "")
    echo = None
    try:
        vm, phys = n.add("bfvm"), n.add("bfph")
        vm_link = n.veth(unique("vbv"), vm, address="10.90.0.1/24")
        m1 = n.veth(unique("vbm"), phys, ns_name="p1")
        m2 = n.veth(unique("vbm"), phys, ns_name="p2")
        for cmd in (["ip", "link", "add", "br0", "type", "bridge"],
                    ["ip", "link", "set", "p1", "master", "br0"],
                    ["ip", "link", "set", "p2", "master", "br0"],
                    ["ip", "addr", "add", "10.90.0.2/24", "dev", "br0"],
                    ["ip", "link", "set", "br0", "up"]):
            assert n.run(phys, *cmd).returncode == 0
        d.start()
        d.ctl("switch", "add", "sw", "mode", "authoritative")
        d.ctl("port", "add", "sw", "vm", "type", "afpacket", "dev=" + vm_link)
        d.ctl("port", "add", "sw", "bond0", "type", "bond", "members=%s,%s" % (m1, m2),
              *[o.format(m1=m1, m2=m2) for o in bond_options], "uplink", "on")
        echo = start_echo(phys, "10.90.0.2")
        assert n.run(vm, "ping", "-c", "2", "-W", "1", "10.90.0.2").returncode == 0
        yield d, n, vm, phys, m1, m2
    finally:
        if echo and echo.poll() is None:
            echo.kill()
        d.stop()
        n.cleanup()


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
