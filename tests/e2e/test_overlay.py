"""The VXLAN overlay of the etcd domain (docs/distributed.md "Overlay"),
three hosts (python/vswitch_lab/cluster_lab.py): one etcd, three host
namespaces on a Linux-bridge underlay (192.0.2.1-3), each with its vswitchd
in domain `lab` and a vxlan port: h1 and h2 carry VNI 5000 (VLAN 1) and
5020 (VLAN 20), h3 VNI 5000 only. Two VMs a host, bound to domain profiles
with their MACs: vm11, vm21, vm31, vm32 in VLAN 1, vm12 and vm22 in VLAN 20,
all in one IP subnet so that only the VNIs keep the VLANs apart.

Nothing but the domain configures the overlay (no remote=): the flood lists
come from the hosts' registrations and the static remote MACs from the
bound ports' MACs. A broadcast reaches every other host of its VNI exactly
once and no other host; a unicast to a published MAC that was never learned
reaches one VTEP only; a SIGKILLed host leaves the flood lists and MAC
tables when its lease expires."""
import os
import subprocess
import tempfile
import time

import pytest

from vswitch_lab import etcd, wait_until
from vswitch_lab.cluster_lab import ClusterLab, cleanup_dir

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces"),
    pytest.mark.skipif(not etcd.available(), reason="etcd is not installed"),
]

# name: (host index, address, MAC, profile)
VMS = {
    "vm11": (0, "10.30.0.11", "02:00:00:30:00:11", "v1"),
    "vm12": (0, "10.30.0.12", "02:00:00:30:00:12", "v20"),
    "vm21": (1, "10.30.0.21", "02:00:00:30:00:21", "v1"),
    "vm22": (1, "10.30.0.22", "02:00:00:30:00:22", "v20"),
    "vm31": (2, "10.30.0.31", "02:00:00:30:00:31", "v1"),
    "vm32": (2, "10.30.0.32", "02:00:00:30:00:32", "v1"),
}
ETHERTYPE = 0x88B5

# Counts, for argv[1] seconds on eth0, the frames of ETHERTYPE received
# (argv[2] "vm") or the VXLAN datagrams carrying one (argv[2] "underlay":
# a UDP GSO write crosses a veth as one packet, so only "none" is exact).
COUNT = """
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind(("eth0", 0))
s.settimeout(0.1)
print("ready", flush=True)
n, end = 0, time.time() + float(sys.argv[1])
while time.time() < end:
    try:
        f, addr = s.recvfrom(65536)
    except socket.timeout:
        continue
    if addr[2] == socket.PACKET_OUTGOING:
        continue
    if sys.argv[2] == "underlay":
        if f[12:14] != b"\\x08\\x00" or f[23] != 17:
            continue
        udp = 14 + (f[14] & 15) * 4
        if f[udp + 2:udp + 4] != (4789).to_bytes(2, "big"):
            continue
        f = f[udp + 16:]
    n += f[12:14] == (%d).to_bytes(2, "big")
print(n, flush=True)
""" % ETHERTYPE


@pytest.fixture(scope="module")
def lab():
    workdir = tempfile.mkdtemp(prefix="vswitch-overlay-")
    lab = ClusterLab(workdir, vnis=["5000,20:5020", "5000,20:5020", "5000"])
    try:
        lab.start()
        assert lab.wait_online(), [d.log_text()[-2000:] for d in lab.live()]
        h1 = lab.host(0)
        h1.ctl("profile", "add", "v1", "pvid", "1")
        h1.ctl("profile", "add", "v20", "pvid", "20")
        for name, (i, addr, mac, profile) in VMS.items():
            lab.add_vm(i, name, addr + "/24", mac)
            lab.bind(i, name, profile, mac)
        yield lab
    finally:
        lab.stop()
        cleanup_dir(workdir)


def flood(lab, i):
    """host i's vx flood lists {vni: [vtep...]} as the domain installed them."""
    ports = lab.overlay(i).get("ports", [])
    return {int(k): v for k, v in ports[0]["flood"].items()} if ports else {}


def static_macs(lab, i):
    ports = lab.overlay(i).get("ports", [])
    return ports[0]["static_macs"] if ports else 0


def counted(lab, listeners, send):
    """Starts a frame counter in each listed VM (a name) or host's underlay
    (an index), runs send(), returns {listener: frames of ETHERTYPE}."""
    procs = {}
    for who in listeners:
        ns, mode = (lab.hosts[who], "underlay") if isinstance(who, int) else (lab.vm(who), "vm")
        procs[who] = subprocess.Popen(["ip", "netns", "exec", ns, "/usr/bin/python3", "-c",
                                       COUNT, "2.5", mode], stdout=subprocess.PIPE, text=True)
    for p in procs.values():
        assert p.stdout.readline().strip() == "ready"
    send()
    return {who: int(p.communicate(timeout=10)[0].strip()) for who, p in procs.items()}


def test_flood_lists_and_macs_come_from_the_domain(lab):
    want = {0: {5000: ["192.0.2.2", "192.0.2.3"], 5020: ["192.0.2.2"]},
            1: {5000: ["192.0.2.1", "192.0.2.3"], 5020: ["192.0.2.1"]},
            2: {5000: ["192.0.2.1", "192.0.2.2"]}}
    assert wait_until(lambda: all(flood(lab, i) == want[i] for i in range(3)), 10), \
        [flood(lab, i) for i in range(3)]
    # Published MACs (the agent puts hosts/HOST at its next keepalive):
    # h1 knows h2's two and h3's two, h3 the VNI 5000 ones of h1 and h2.
    assert wait_until(lambda: [static_macs(lab, i) for i in range(3)] == [4, 4, 2], 10), \
        [lab.overlay(i) for i in range(3)]
    ov = lab.overlay(0)
    assert ov["vtep"] == "192.0.2.1" and ov["vnis"] == [5000, 5020]
    assert ov["published_macs"] == 2 and ov["last_error"] == ""
    text = lab.host(0).ctl("domain", "show")
    assert "overlay: VTEP 192.0.2.1, VNIs 5000,5020" in text and "VNI 5020 floods to 192.0.2.2" in text, text


def test_vms_on_different_hosts_talk_and_vlans_stay_apart(lab):
    assert lab.ping("vm11", "10.30.0.21")
    assert lab.ping("vm11", "10.30.0.31")
    assert lab.ping("vm22", "10.30.0.12")
    # VLAN 1 and VLAN 20 share the subnet: only the VNI separates them.
    assert not lab.ping("vm11", "10.30.0.22", count=1, wait=1)
    assert not lab.ping("vm21", "10.30.0.12", count=1, wait=1)


def test_broadcast_reaches_each_host_of_its_vni_once(lab):
    others = ["vm21", "vm22", "vm31", "vm32", "vm12"]
    got = counted(lab, others, lambda: lab.send_frames("vm11", "ff:ff:ff:ff:ff:ff", 20,
                                                       ETHERTYPE))
    assert got == {"vm21": 20, "vm31": 20, "vm32": 20, "vm22": 0, "vm12": 0}, got
    # VLAN 20's broadcast: h2 once per frame, h3 (no VNI 5020) nothing on
    # its underlay.
    got = counted(lab, ["vm22", "vm21", "vm31", 2],
                  lambda: lab.send_frames("vm12", "ff:ff:ff:ff:ff:ff", 20, ETHERTYPE))
    assert got == {"vm22": 20, "vm21": 0, "vm31": 0, 2: 0}, got


def test_unicast_to_a_published_mac_goes_to_one_vtep(lab):
    # vm32 never sent a frame: h1 knows its MAC from the domain only.
    mac32 = VMS["vm32"][2]
    got = counted(lab, ["vm32", 1, 2], lambda: lab.send_frames("vm11", mac32, 20, ETHERTYPE))
    assert got["vm32"] == 20 and got[2] >= 1, got
    assert got[1] == 0, got  # no head-end replication to h2
    remote = lab.host(0).ctl("port", "show", "vx")
    assert mac32 + " vni 5000 at 192.0.2.3:4789 (static)" in remote or \
        static_macs(lab, 0) == 4, remote


def test_a_dead_host_leaves_the_flood_lists(lab):
    lab.kill_host(1)  # SIGKILL: no lease revoked, it expires (TTL 8 s)
    t0 = time.monotonic()
    assert wait_until(lambda: flood(lab, 0) == {5000: ["192.0.2.3"], 5020: []}, 14), \
        flood(lab, 0)
    assert wait_until(lambda: static_macs(lab, 0) == 2, 3)  # h3's VMs only
    assert flood(lab, 2) == {5000: ["192.0.2.1"]}
    print("h2 left the flood lists %.1f s after SIGKILL" % (time.monotonic() - t0))
    assert lab.ping("vm11", "10.30.0.31")  # the rest keeps going
