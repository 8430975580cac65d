"""The daemon at work: configuration changes while traffic flows, two
switches joined by a patch port, and a shutdown with --remove-devices that
removes the host interfaces vswitchd created (without it they stay:
test_restart.py)."""
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


def pair(d, n, sw_a="sw", sw_b="sw"):
    """Namespaces a (10.80.0.1) and b (10.80.0.2) on ports pa, pb."""
    a, b = n.add("lva"), n.add("lvb")
    la = n.veth(unique("vla"), a, address="10.80.0.1/24")
    lb = n.veth(unique("vlb"), b, address="10.80.0.2/24")
    d.ctl("port", "add", sw_a, "pa", "type", "afpacket", "dev=" + la)
    d.ctl("port", "add", sw_b, "pb", "type", "afpacket", "dev=" + lb)
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


def test_patch_port_joins_two_switches(env):
    d, n = env
    d.ctl("switch", "add", "edge")
    d.ctl("switch", "add", "core")
    # a two-level bridge: VLAN 7 untagged on the edge ports, tagged on the patch
    d.ctl("port", "add", "edge", "up", "type", "patch", "peer=down", "vids", "7")
    d.ctl("port", "add", "core", "down", "type", "patch", "peer=up", "vids", "7")
    a, b = pair(d, n, "edge", "core")
    d.ctl("port", "set", "pa", "pvid", "7")
    d.ctl("port", "set", "pb", "pvid", "7")
    time.sleep(1.2)  # the first end sees its peer's carrier at the next housekeeping
    r = n.run(a, "ping", "-c", "3", "-W", "1", "10.80.0.2")
    assert r.returncode == 0, r.stdout
    c = d.json("counters")
    assert c["up"]["tx_packets"] >= 3 and c["down"]["rx_packets"] >= 3
    vlans = {(v["switch"], v["vlan"]): v for v in d.json("vlan", "show")}
    assert vlans[("edge", 7)]["tagged"] == ["up"] and vlans[("edge", 7)]["untagged"] == ["pa"]
    d.ctl("port", "del", "down")
    time.sleep(1.2)
    assert n.run(a, "ping", "-c", "1", "-W", "1", "10.80.0.2").returncode != 0
    assert d.json("port", "show", "up")[0]["carrier"] is False


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
