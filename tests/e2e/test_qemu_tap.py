"""A real virtual machine on a tap port: QEMU (TCG, virtio-net) boots Debian's
kernel with a busybox initramfs (vswitch_lab/guest.py) on a tap vswitchd created, and the
guest and a namespace on an afpacket port ping each other through the switch;
and the guest goes on pinging through a SIGKILL and restart of vswitchd,
QEMU untouched. Skipped without root, or when QEMU is missing and cannot be
installed."""
import os
import random
import re
import signal
import subprocess
import tempfile
import time

import pytest

from vswitch_lab import guest, wait_until
from vswitch_lab.daemon import Daemon
from vswitch_lab.netns import Netns, unique

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for taps and namespaces")

BOOT_SECONDS = 40  # QEMU start to eth0 up under TCG: 5 s here idle, 19 s with both cores busy
PING_SECONDS = 20  # the guest's own ping gives up after 15 s
STREAM_SECONDS = 15  # the guest's ping across the restart
REPLY = re.compile(r"bytes from [0-9.]+: seq=\d+")
SEQ = re.compile(r"bytes from [0-9.]+: seq=(\d+)")


@pytest.fixture(scope="module")
def image():
    reason = guest.install_tools()
    if reason:
        pytest.skip(reason)
    return guest.build()


def tear_down(vm, d, n, tap):
    """Whatever a test got to: QEMU killed, vswitchd stopped, the namespace
    and the tap (which outlives vswitchd) removed."""
    if vm is not None:
        vm.kill()
    d.stop()
    n.cleanup()
    if os.path.exists("/sys/class/net/" + tap):
        subprocess.run(["ip", "link", "del", tap], capture_output=True)


def test_guest_and_namespace_ping_each_other_through_a_tap_port(image, workdir):
    n = Netns()
    d = Daemon(tempfile.mkdtemp(dir=workdir), "")
    tap = unique("vqt")
    mac = "52:54:00:%02x:%02x:%02x" % tuple(random.randrange(256) for _ in range(3))
    vm = None
    try:
        ns = n.add("vqn")
        veth = n.veth(unique("vqv"), ns, address="10.70.0.1/24")
        d.start()
        d.ctl("switch", "add", "sw")
        d.ctl("port", "add", "sw", "vm1", "type", "tap", "dev=" + tap)
        d.ctl("port", "add", "sw", "pns", "type", "afpacket", "dev=" + veth)
        assert os.path.exists("/sys/class/net/" + tap), "port add did not create the tap"

        vm = guest.Vm(image, tap, mac, {"guest_addr": "10.70.0.2/24",
                                        "guest_peer": "10.70.0.1", "guest_linger": "30"})
        vm.wait_for("GUEST-UP", BOOT_SECONDS)
        at, result = vm.wait_for("GUEST-PING-", PING_SECONDS)
        assert result == "GUEST-PING-OK", vm.console()

        # The guest answers pings until told it may power off.
        vm.wait_for("GUEST-LISTENING", 5)
        r = n.run(ns, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.70.0.2", timeout=15)
        assert r.returncode == 0, r.stdout + r.stderr + "\n" + vm.console()

        assert wait_until(lambda: d.json("port", "show", "vm1")[0]["carrier"], 3)
        port = d.json("port", "show", "vm1")[0]
        assert port["counters"]["rx_packets"] > 0 and port["counters"]["tx_packets"] > 0, port
        learned = {(e["vlan"], e["mac"]): e["port"] for e in d.json("fdb", "show", "sw")}
        assert learned.get((1, mac)) == "vm1", learned

        vm.say("done")
        vm.wait_for("GUEST-POWEROFF", 10)
        assert vm.wait(10) == 0, vm.console()
        # QEMU gone: the queue is closed, the carrier drops, and the tap the
        # port created goes with the port.
        assert wait_until(lambda: not d.json("port", "show", "vm1")[0]["carrier"], 3)
        d.ctl("port", "del", "vm1")
        assert not os.path.exists("/sys/class/net/" + tap)
        print("guest console:\n%s\nnamespace ping:\n%s" % (vm.console(), r.stdout))
    finally:
        tear_down(vm, d, n, tap)


def tap_view(tap):
    """What the guest's vNIC must keep across a restart of the switch: MAC,
    tun flags (IFF_VNET_HDR: QEMU's virtio header), interface flags (up,
    promiscuous while the switch listens)."""
    out = []
    for name in ("address", "tun_flags", "flags"):
        with open("/sys/class/net/%s/%s" % (tap, name)) as f:
            out.append(f.read().strip())
    return out


def reply_times(vm):
    """When each of the guest's ping replies reached its console (seconds
    since QEMU started)."""
    with vm.changed:
        return [at for at, line in vm.lines if REPLY.search(line)]


def reply_seqs(vm):
    """The sequence numbers of the guest's ping replies, in order."""
    with vm.changed:
        return [int(m.group(1)) for _, line in vm.lines for m in [SEQ.search(line)] if m]


def longest_gap(seqs):
    """The longest run of sequence numbers missing between two replies."""
    return max((b - a - 1 for a, b in zip(seqs, seqs[1:])), default=0)


def test_guest_keeps_pinging_through_a_tap_across_a_switch_restart(image, workdir):
    n = Netns()
    tap, veth = unique("vqt"), unique("vqv")
    mac = "52:54:00:%02x:%02x:%02x" % tuple(random.randrange(256) for _ in range(3))
    d = Daemon(tempfile.mkdtemp(dir=workdir),
               "switch add sw\n"
               "port add sw vm1 type tap dev=%s\n"
               "port add sw pns type afpacket dev=%s\n" % (tap, veth))
    vm = None
    try:
        ns = n.add("vqn")
        n.veth(veth, ns, address="10.71.0.1/24")
        d.start()
        vm = guest.Vm(image, tap, mac, {"guest_addr": "10.71.0.2/24", "guest_peer": "10.71.0.1",
                                        "guest_stream": str(STREAM_SECONDS),
                                        "guest_linger": "30"})
        vm.wait_for("GUEST-UP", BOOT_SECONDS)
        at, result = vm.wait_for("GUEST-PING-", PING_SECONDS)
        assert result == "GUEST-PING-OK", vm.console()
        vm.wait_for("GUEST-STREAM", 5)
        assert wait_until(lambda: len(reply_times(vm)) >= 3, 5), vm.console()
        before = tap_view(tap)
        assert int(before[1], 16) & 0x4000, before  # IFF_VNET_HDR
        assert int(before[2], 16) & 0x100, before  # IFF_PROMISC

        killed = time.monotonic() - vm.started
        d.stop(signal.SIGKILL)
        assert os.path.exists("/sys/class/net/" + tap)
        time.sleep(1.0)
        d.start()
        ready = time.monotonic() - vm.started
        assert wait_until(lambda: reply_times(vm)[-1] > ready, 3), vm.console()
        after = time.monotonic() - vm.started
        # The kill took effect: the guest's 5-a-second pings lost a run of
        # replies while no switch ran. Told by sequence numbers, not by when
        # the host read each line: a loaded host reads the console late.
        assert longest_gap(reply_seqs(vm)) >= 3, vm.console()
        assert tap_view(tap) == before
        assert vm.proc.poll() is None and vm.console().count("GUEST-UP") == 1
        print("SIGKILL at %.2f s, ready at %.2f s, first reply after it at %.2f s"
              % (killed, ready, after))

        vm.wait_for("GUEST-STREAM-END", STREAM_SECONDS + 10)
        vm.wait_for("GUEST-LISTENING", 5)
        vm.say("done")
        vm.wait_for("GUEST-POWEROFF", 10)
        assert vm.wait(10) == 0, vm.console()
        # Adopted after the restart, and still known as vswitchd's own: the
        # port's removal removes it.
        d.ctl("port", "del", "vm1")
        assert not os.path.exists("/sys/class/net/" + tap)
    finally:
        tear_down(vm, d, n, tap)
