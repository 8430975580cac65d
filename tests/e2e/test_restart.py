"""Restarts keep the host's network (issue 14): the devices vswitchd makes
outlive the daemon, whether it stops (SIGTERM), is killed (SIGKILL) or
crashes (SIGSEGV), and the next start adopts them with their addresses,
routes, MAC and MTU; traffic flows again as soon as it is ready. Only the
model removes them: `port del`, `switch del`, a port rebuilt with another
type or device, or a shutdown with --remove-devices. A vnic started before
its tap waits for it. The lab is vswitch_lab/restart_lab.py; the QEMU guest's side is in
test_qemu_tap.py."""
import os
import signal
import tempfile
import time

import pytest

from vswitch_lab import wait_until
from vswitch_lab.daemon import Daemon
from vswitch_lab.netns import Netns, unique
from vswitch_lab.restart_lab import CONFIG, HOST_ADDR, RestartLab

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for namespaces")


@pytest.fixture
def lab(workdir):
    lab = RestartLab(workdir)
    try:
        yield lab.up()
    finally:
        lab.down()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL, signal.SIGSEGV],
                         ids=["sigterm", "sigkill", "crash"])
def test_internal_port_keeps_address_route_and_mtu_across_a_restart(lab, sig):
    assert lab.both_ways()
    before = lab.host_view()
    assert HOST_ADDR + "/24" in before and "10.92.0.0/24 via 10.91.0.2" in before
    assert "\n1400\n" in before

    took, down = lab.restart(sig)
    # While no daemon ran, the host kept its interface as it was.
    assert down == before
    ready = time.monotonic()
    assert wait_until(lab.both_ways, 3), lab.d.log_text()
    print("%s: signal to ready %.2f s, ready to traffic %.2f s"
          % (sig.name, took, time.monotonic() - ready))
    assert lab.host_view() == before
    assert "adopted interface 'int0'" in lab.d.log_text()
    assert lab.d.json("port", "show", "int0")[0]["carrier"] is True


def test_port_del_removes_the_devices_a_restart_kept(workdir):
    lab = RestartLab(workdir, config=CONFIG + "port add sw vm0 type tap\n")
    try:
        lab.up()
        lab.restart(signal.SIGKILL)
        assert lab.exists("int0") and lab.exists("vm0")
        # Adopted, not made by this daemon: still its own to remove.
        lab.d.ctl("port", "del", "int0")
        lab.d.ctl("port", "del", "vm0")
        assert not lab.exists("int0") and not lab.exists("vm0")
    finally:
        lab.down()


def test_remove_devices_removes_them_at_shutdown_and_only_then(workdir):
    lab = RestartLab(workdir, args=["--remove-devices"])
    try:
        lab.up()
        lab.d.stop(signal.SIGKILL)  # a crash removes nothing, even so
        assert lab.exists("int0")
        lab.d.start()
        assert lab.d.stop(signal.SIGTERM) == 0
        assert not lab.exists("int0")
    finally:
        lab.down()


def reload(lab, config):
    with open(lab.d.config, "w") as f:
        f.write(config)
    lab.d.ctl("reload")


def ifindex(lab, ifname):
    return lab.sh(lab.host, "cat", "/sys/class/net/%s/ifindex" % ifname).strip()


def test_rebuilt_port_keeps_its_device_unless_type_or_device_changes(lab):
    base = "switch add sw\nswitch add sw2\nport add sw ph type afpacket\n"
    before, index = lab.host_view(), ifindex(lab, "int0")
    # Moved to another switch: the same device, address and route kept.
    reload(lab, base + "port add sw2 int0 type internal\n")
    assert lab.d.json("port", "show", "int0")[0]["switch"] == "sw2"
    assert ifindex(lab, "int0") == index and lab.host_view() == before
    # Another device: the old one goes.
    reload(lab, base + "port add sw2 int0 type internal dev=int1\n")
    assert not lab.exists("int0") and lab.exists("int1")
    index = ifindex(lab, "int1")
    # Another type on the same name: the old device goes, a new one comes.
    reload(lab, base + "port add sw2 int0 type tap dev=int1\n")
    assert lab.exists("int1") and ifindex(lab, "int1") != index
    assert "made by vswitchd for port int0" in lab.sh(lab.host, "ip", "link", "show", "int1")
    # The switch goes with its ports, and their devices with them.
    lab.d.ctl("switch", "del", "sw2")
    assert not lab.exists("int1")


def test_vnic_started_before_its_tap_comes_up_when_the_tap_appears(workdir):
    """A VIOS daemon starts before the hypervisor switch, even before its
    namespace exists: its trunk waits, link down, and attaches when the
    hypervisor switch makes the tap; traffic then crosses."""
    n = Netns()
    hyp_ns = unique("rvh")
    vios = hyp = None
    try:
        vios_ns, client_ns = n.add("rvv"), n.add("rvc")
        vios = Daemon(tempfile.mkdtemp(dir=workdir),
                      "switch add sea\n"
                      "port add sea trk type vnic dev=trA netns=%s\n"
                      "port add sea en type internal dev=en0\n" % hyp_ns, netns=vios_ns).start()
        n.run(vios_ns, "ip", "addr", "add", "10.94.0.1/24", "dev", "en0", check=True)
        assert vios.json("port", "show", "trk")[0]["carrier"] is False
        assert "waiting for it" in vios.log_text()

        n.add(name=hyp_ns)
        n.link(hyp_ns, "c1", client_ns, "eth0")
        n.run(client_ns, "ip", "addr", "add", "10.94.0.2/24", "dev", "eth0", check=True)
        hyp = Daemon(tempfile.mkdtemp(dir=workdir),
                     "switch add hv\n"
                     "port add hv c1 type afpacket\n"
                     "port add hv trA type tap\n", netns=hyp_ns).start()
        assert wait_until(lambda: vios.json("port", "show", "trk")[0]["carrier"], 3), \
            vios.log_text()
        assert wait_until(lambda: hyp.json("port", "show", "trA")[0]["carrier"], 3)
        assert "tap 'trA' is there: attached" in vios.log_text()
        r = n.run(client_ns, "ping", "-c", "3", "-i", "0.2", "-W", "1", "10.94.0.1")
        assert r.returncode == 0, r.stdout + vios.log_text() + hyp.log_text()
    finally:
        for d in (vios, hyp):
            if d:
                d.stop()
        n.cleanup()
