"""Real virtual machines on vhostuser ports: QEMU (TCG, virtio-net over
vhost-user, guest RAM in a shared memfd) boots the test guest of
vswitch_lab/guest.py on a port of vswitchd, beside namespaces on afpacket
ports of the same switch. Proven with the guest's offloads on: ping both
ways, TCP 8 MiB down and 4 MiB up with matching SHA-256, VLAN isolation and
a VLAN the guest tags itself, two guests talking VM to VM, vswitchd killed
(SIGKILL) and restarted with QEMU untouched (one guest on a server-mode
port, QEMU reconnecting; one on a client-mode port, vswitchd reconnecting),
and QEMU killed and started again on the same port.

The guests boot once per module (each boot costs 7-20 s under TCG) and the
tests run in file order on them. Skipped without root, or when QEMU is
missing and cannot be installed."""
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from vswitch_lab import guest, wait_until
from vswitch_lab.daemon import Daemon
from vswitch_lab.netns import Netns, unique

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for namespaces")

BOOT_SECONDS = 120  # QEMU start to eth0 up under TCG: 10 s idle, two guests at once; over 80 s
# with both cores loaded by other jobs
PING_SECONDS = 20  # the guest's own ping gives up after 15 s
BACK_SECONDS = 20  # a restarted vswitchd to traffic: reconnects every second
NET = "10.72."  # inside this test's namespaces and guests only

# virtio-net feature bits the guest must have taken (Linux's
# /sys/bus/virtio/devices/*/features: one character per bit, bit 0 first).
OFFLOAD_BITS = {"CSUM": 0, "GUEST_CSUM": 1, "GUEST_TSO4": 7, "HOST_TSO4": 11, "MRG_RXBUF": 15}

# A one-connection TCP end in a namespace: "send N" serves N random bytes,
# "recv" takes bytes to EOF; either prints the SHA-256 of what went.
TCP_END = r"""
import hashlib, os, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(1)
s.settimeout(120)
print("LISTENING", flush=True)
c, _ = s.accept()
h = hashlib.sha256()
if sys.argv[2] == "send":
    left = int(sys.argv[3])
    while left:
        chunk = os.urandom(min(left, 65536))
        c.sendall(chunk)
        h.update(chunk)
        left -= len(chunk)
else:
    while True:
        chunk = c.recv(65536)
        if not chunk:
            break
        h.update(chunk)
c.close()
print(h.hexdigest(), flush=True)
"""


def random_mac():
    return "52:54:00:%02x:%02x:%02x" % tuple(random.randrange(256) for _ in range(3))


class Lab:
    """One switch: vm1 (server mode: vswitchd listens, QEMU connects with
    reconnect=1) with VLAN 3 tagged, vm2 (client mode: QEMU listens,
    vswitchd connects), and three namespaces on afpacket ports: na on VLAN 1
    (the guests' own), nb on VLAN 3 untagged, nc on VLAN 2 with an address
    in VLAN 1's subnet too (it must stay unreachable)."""

    def __init__(self, image, workdir):
        self.image = image
        self.n = Netns()
        self.vms = {}
        self.dir = workdir
        self.sock = {p: os.path.join(workdir, p + ".sock") for p in ("vm1", "vm2")}
        self.mac = {p: random_mac() for p in ("vm1", "vm2")}
        self.addr = {"vm1": NET + "1.2", "vm2": NET + "1.4"}
        veth = {k: unique("vhv") for k in ("na", "nb", "nc")}
        self.daemon = Daemon(workdir, (
            "switch add sw\n"
            "port add sw vm1 type vhostuser socket=%s vids 3\n"
            "port add sw vm2 type vhostuser socket=%s mode=client\n"
            "port add sw pa type afpacket dev=%s\n"
            "port add sw pb type afpacket dev=%s pvid 3\n"
            "port add sw pc type afpacket dev=%s pvid 2\n"
            % (self.sock["vm1"], self.sock["vm2"], veth["na"], veth["nb"], veth["nc"])))
        self.ns = {}
        for name, address in (("na", NET + "1.1/24"), ("nb", NET + "3.1/24"),
                              ("nc", NET + "1.3/24")):
            self.ns[name] = self.n.add("vh" + name)
            self.n.veth(veth[name], self.ns[name], address=address)
        self.n.run(self.ns["nc"], "ip", "addr", "add", NET + "2.1/24", "dev", "eth0", check=True)
        self.daemon.start()

    def boot(self, port):
        """A guest on port (QEMU listening when the port is in client mode),
        pinging na once it is up, then taking shell commands."""
        link = guest.VhostUser(self.sock[port], server=(port == "vm2"))
        self.vms[port] = guest.Vm(self.image, link, self.mac[port], {
            "guest_addr": self.addr[port] + "/24", "guest_peer": NET + "1.1",
            "guest_shell": "1"})
        return self.vms[port]

    def ready(self, port):
        vm = self.vms[port]
        vm.wait_for("GUEST-UP", BOOT_SECONDS)
        _, result = vm.wait_for("GUEST-PING-", PING_SECONDS)
        assert result == "GUEST-PING-OK", vm.console()
        vm.wait_for("GUEST-SHELL", 5)
        return vm

    def port(self, name):
        return self.daemon.json("port", "show", name)[0]

    def ns_ping(self, ns, address, count=3):
        return self.n.run(self.ns[ns], "ping", "-c", str(count), "-i", "0.2", "-W", "2",
                          address, timeout=30)

    def close(self):
        for vm in self.vms.values():
            vm.kill()
        self.daemon.stop()
        self.n.cleanup()


@pytest.fixture(scope="module")
def lab():
    reason = guest.install_tools()
    if reason:
        pytest.skip(reason)
    image = guest.build()
    workdir = tempfile.mkdtemp(prefix="vswitch-vhost-e2e-")
    lab = None
    try:
        lab = Lab(image, workdir)
        lab.boot("vm1")
        lab.boot("vm2")
        yield lab
    finally:
        if lab:
            lab.close()
        shutil.rmtree(workdir, ignore_errors=True)


def guest_ping(vm, address, count=3):
    rc, out = vm.run("ping -c %d -i 0.3 -W 2 %s" % (count, address), timeout=30)
    return rc, "\n".join(out)


def test_guest_and_namespace_ping_each_other_through_a_vhostuser_port(lab):
    vm = lab.ready("vm1")  # the guest's own ping of na succeeded
    r = lab.ns_ping("na", lab.addr["vm1"])
    assert r.returncode == 0, r.stdout + r.stderr + "\n" + vm.console()
    port = lab.port("vm1")
    assert port["carrier"], port
    assert port["counters"]["rx_packets"] > 0 and port["counters"]["tx_packets"] > 0, port
    learned = {(e["vlan"], e["mac"]): e["port"] for e in lab.daemon.json("fdb", "show", "sw")}
    assert learned.get((1, lab.mac["vm1"])) == "vm1", learned


def test_guest_offloads_are_negotiated(lab):
    vm = lab.ready("vm1")
    rc, out = vm.run("cat /sys/bus/virtio/devices/virtio*/features")
    bits = [line for line in out if set(line) <= {"0", "1"} and len(line) >= 32]
    assert rc == 0 and len(bits) == 1, out
    missing = [name for name, bit in OFFLOAD_BITS.items() if bits[0][bit] != "1"]
    assert not missing, "guest did not take %s: %s" % (missing, bits[0])


def tcp_end(lab, ns, port, *mode):
    end = subprocess.Popen(["ip", "netns", "exec", lab.ns[ns], "/usr/bin/python3", "-c", TCP_END,
                            str(port)] + list(mode), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    assert end.stdout.readline().strip() == "LISTENING"
    return end


def sha_line(out):
    words = [line.split()[0] for line in out if len(line.split()) >= 1
             and len(line.split()[0]) == 64]
    assert len(words) == 1, out
    return words[0]


def test_tcp_8mib_down_and_4mib_up_arrive_intact(lab):
    vm = lab.ready("vm1")
    down = tcp_end(lab, "na", 5201, "send", str(8 << 20))
    try:
        rc, out = vm.run("nc %s1.1 5201 </dev/null | sha256sum" % NET, timeout=120)
        sent = down.communicate(timeout=30)[0].strip()
    finally:
        down.kill()
    assert rc == 0 and sha_line(out) == sent, (out, sent)

    rc, out = vm.run("head -c %d /dev/urandom >/tmp/up && sha256sum /tmp/up" % (4 << 20))
    assert rc == 0, out
    made = sha_line(out)
    up = tcp_end(lab, "na", 5202, "recv")
    try:
        rc, out = vm.run("nc %s1.1 5202 </tmp/up" % NET, timeout=120)
        received = up.communicate(timeout=30)[0].strip()
    finally:
        up.kill()
    assert rc == 0 and received == made, (out, received, made)


def test_vlans_isolate_the_guest_and_carry_the_vlan_it_tags(lab):
    vm = lab.ready("vm1")
    # nc is on VLAN 2: its VLAN 1 address is out of the guest's reach.
    rc, out = guest_ping(vm, NET + "1.3", count=2)
    assert rc != 0, out
    assert lab.ns_ping("nc", lab.addr["vm1"], count=2).returncode != 0
    # VLAN 3, tagged by the guest (vm1 carries it), reaches nb, untagged on VLAN 3.
    rc, out = vm.run("vconfig add eth0 3 && ip addr add %s3.2/24 dev eth0.3 && "
                     "ip link set eth0.3 up" % NET)
    assert rc == 0, out
    rc, out = guest_ping(vm, NET + "3.1")
    assert rc == 0, out
    r = lab.ns_ping("nb", NET + "3.2")
    assert r.returncode == 0, r.stdout + r.stderr
    learned = {(e["vlan"], e["mac"]): e["port"] for e in lab.daemon.json("fdb", "show", "sw")}
    assert learned.get((3, lab.mac["vm1"])) == "vm1", learned
    # VLAN 2 tagged by the guest: vm1 is no member, the switch drops it.
    rc, out = vm.run("vconfig add eth0 2 && ip addr add %s2.2/24 dev eth0.2 && "
                     "ip link set eth0.2 up" % NET)
    assert rc == 0, out
    rc, out = guest_ping(vm, NET + "2.1", count=2)
    assert rc != 0, out


def test_two_guests_talk_vm_to_vm(lab):
    vm1, vm2 = lab.ready("vm1"), lab.ready("vm2")
    rc, out = guest_ping(vm1, lab.addr["vm2"])
    assert rc == 0, out
    rc, out = guest_ping(vm2, lab.addr["vm1"])
    assert rc == 0, out
    # 4 MiB guest to guest: both ends offload, the frames cross as they are.
    # The receiver's input must stay open: nc closes its sending side when
    # its input ends, and the sender's nc quits when it sees that.
    rc, out = vm2.run("sleep 100 | nc -l -p 5203 | sha256sum >/tmp/got &")
    assert rc == 0, out
    rc, out = vm1.run("head -c %d /dev/urandom >/tmp/vm && sha256sum /tmp/vm && "
                      "sleep 1 && nc %s 5203 </tmp/vm" % (4 << 20, lab.addr["vm2"]), timeout=120)
    assert rc == 0, out
    made = sha_line(out)
    got = []

    def arrived():
        got[:] = vm2.run("cat /tmp/got")[1]
        return any(made in line for line in got)

    assert wait_until(arrived, 30), (made, got)


def test_vswitchd_sigkill_and_restart_both_socket_modes_come_back(lab):
    vm1, vm2 = lab.ready("vm1"), lab.ready("vm2")
    lab.daemon.stop(signal.SIGKILL)
    rc, out = guest_ping(vm1, NET + "1.1", count=1)
    assert rc != 0, out  # no switch, no traffic
    started = time.monotonic()
    lab.daemon.start()
    # vm1: QEMU reconnects to the socket vswitchd listens on again; vm2:
    # vswitchd connects to QEMU's socket again.
    for port, vm in (("vm1", vm1), ("vm2", vm2)):
        assert wait_until(lambda: lab.port(port)["carrier"], BACK_SECONDS), (
            port, lab.port(port), lab.daemon.log_text())
        assert wait_until(lambda: guest_ping(vm, NET + "1.1", count=1)[0] == 0, BACK_SECONDS), (
            port, vm.console())
    r = lab.ns_ping("na", lab.addr["vm2"])
    assert r.returncode == 0, r.stdout + r.stderr
    for vm in (vm1, vm2):
        assert vm.proc.poll() is None and vm.console().count("GUEST-UP") == 1
    print("vswitchd restarted: both guests reach na after %.1f s" % (time.monotonic() - started))


def test_qemu_killed_and_started_again_gets_traffic_back(lab):
    lab.ready("vm1")
    before = lab.port("vm1")["counters"]
    lab.vms["vm1"].kill()
    assert wait_until(lambda: not lab.port("vm1")["carrier"], 5), lab.port("vm1")
    vm = lab.boot("vm1")
    lab.ready("vm1")  # the new guest's own ping of na came back
    assert wait_until(lambda: lab.port("vm1")["carrier"], 5)
    r = lab.ns_ping("na", lab.addr["vm1"])
    assert r.returncode == 0, r.stdout + r.stderr + "\n" + vm.console()
    after = lab.port("vm1")["counters"]
    # The port outlived its QEMU: its counters went on from where they were.
    assert after["rx_packets"] > before["rx_packets"], (before, after)
