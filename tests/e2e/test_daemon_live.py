"""The daemon at work on real interfaces: configuration changes while
traffic flows through the kernel, a shutdown with --remove-devices that
removes the host interfaces vswitchd created (without it they stay:
test_restart.py), and a bond failing over. Two switches joined by a patch
port are in test_pipe_forwarding.py."""
import os
import subprocess
import tempfile
import time

import pytest

from vswitch_lab.daemon import Daemon
from vswitch_lab.netns import Netns, unique

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces")


@pytest.fixture
def env(workdir):
    n = Netns()
    d = Daemon(tempfile.mkdtemp(dir=workdir), "")
    try:
        d.start()
        yield d, n
    finally:
        d.stop()
        n.cleanup()


def pair(d, n):
    """Namespaces a (10.80.0.1) and b (10.80.0.2) on ports pa, pb of sw."""
    a, b = n.add("lva"), n.add("lvb")
    la = n.veth(unique("vla"), a, address="10.80.0.1/24")
    lb = n.veth(unique("vlb"), b, address="10.80.0.2/24")
    d.ctl("port", "add", "sw", "pa", "type", "afpacket", "dev=" + la)
    d.ctl("port", "add", "sw", "pb", "type", "afpacket", "dev=" + lb)
    return a, b


def test_config_changes_do_not_interrupt_traffic(env):
    d, n = env
    d.ctl("switch", "add", "sw")
    a, b = pair(d, n)
    d.ctl("port", "add", "sw", "spare", "type", "pipe")
    assert n.run(a, "ping", "-c", "2", "-W", "1", "10.80.0.2").returncode == 0
    # A fixed count, not SIGINT: ping stopped by a signal counts the echo
    # still in flight as lost. 600 echoes (about 10 s) outlast the changes.
    ping = subprocess.Popen(["ip", "netns", "exec", a, "ping", "-q", "-c", "600", "-i", "0.01",
                             "-W", "1", "10.80.0.2"], stdout=subprocess.PIPE, text=True)
    time.sleep(0.3)
    for changes in range(30):
        # changes to other ports, to the switch, and to the ports in use
        vlan = str(2 + changes % 50)
        d.ctl("port", "set", "spare", "pvid", vlan)
        d.ctl("port", "set", "pa", "mac-limit", str(100 + changes))
        d.ctl("switch", "set", "sw", "ageing", str(200 + changes))
        d.ctl("fdb", "add", "sw", "vlan", "1", "mac", "02:00:00:00:%02x:01" % (changes % 256),
              "port", "pb")
    assert ping.poll() is None  # the stream covered every change
    out, _ = ping.communicate(timeout=60)
    assert "600 packets transmitted" in out, out
    assert " 0% packet loss" in out, (out, d.ctl("counters"))


def test_shutdown_with_remove_devices_removes_the_interfaces_vswitchd_created(workdir):
    n = Netns()
    host_if, vm_if = unique("vsi"), unique("vst")
    n.links += [host_if, vm_if]  # removed by the clean-up if the test fails
    d = Daemon(tempfile.mkdtemp(dir=workdir), "", args=["--remove-devices"])
    try:
        d.start()
        d.ctl("switch", "add", "sw")
        d.ctl("port", "add", "sw", "host", "type", "internal", "dev=" + host_if)
        d.ctl("port", "add", "sw", "vm", "type", "tap", "dev=" + vm_if)
        assert os.path.exists("/sys/class/net/" + host_if)
        assert os.path.exists("/sys/class/net/" + vm_if)
        assert d.stop() == 0
        assert not os.path.exists("/sys/class/net/" + host_if)
        assert not os.path.exists("/sys/class/net/" + vm_if)
    finally:
        d.stop()
        n.cleanup()


def test_bond_fails_over_and_says_why(env):
    d, n = env
    ext = n.add("bext")
    m1 = n.veth(unique("vbm"), ext, ns_name="p1")
    m2 = n.veth(unique("vbm"), ext, ns_name="p2")
    d.ctl("switch", "add", "sw", "mode", "authoritative")
    d.ctl("port", "add", "sw", "bond0", "type", "bond", "members=%s,%s" % (m1, m2),
          "mode=active-backup", "primary=" + m1, "uplink", "on")
    bond = d.json("bond", "show")[0]
    assert bond["active"] == m1 and bond["failovers"] == 0
    n.run(ext, "ip", "link", "set", "p1", "down", check=True)
    deadline = time.time() + 5
    while d.json("bond", "show", "bond0")[0]["active"] != m2 and time.time() < deadline:
        time.sleep(0.2)
    bond = d.json("bond", "show", "bond0")[0]
    assert bond["active"] == m2 and bond["failovers"] == 1
    assert "%s down" % m1 in d.ctl("bond", "show")
    r = d.run("port", "add", "sw", "bond1", "type", "bond", "members=%s,%s" % (m2, m1))
    assert r.returncode == 1 and "is already used by port bond0" in r.stderr
