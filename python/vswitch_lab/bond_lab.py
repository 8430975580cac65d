"""The bond lab, shared by the end-to-end tests (test_bond_failover.py,
test_bond_monitor.py) and `make bench-failover`: a VM behind a vswitchd
bond of two veths, cabled to a "physical switch" (a Linux bridge in its own
namespace) that holds an echo server, and a stream of sequence-numbered UDP
datagrams from the VM to it (stream.py).

    vm: eth0 10.90.0.1 -- [vswitchd: vm | bond0 (m1, m2)] --m1-- p1 \\
                                                          --m2-- p2 -- br0 10.90.0.2 (phys)"""
import contextlib
import tempfile

from vswitch_lab.daemon import Daemon
from vswitch_lab.netns import Netns, unique
from vswitch_lab.stream import start_echo, start_stream, stream_result


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
