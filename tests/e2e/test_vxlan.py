"""The vxlan port against the Linux kernel's vxlan device (docs/vxlan.md).

Underlay: a Linux bridge in namespace `ul` joins three hosts, 192.0.2.1-3/24
(MTU 1500). Host A runs vswitchd with a vxlan port (VNI 5000 = its untagged
VLAN 1, VNI 5020 = VLAN 20) and two VMs on afpacket ports: a1 (VLAN 1,
10.10.0.1) and a2 (VLAN 20, 10.10.0.11). Host B is a kernel VTEP: vxlan
devices for VNI 5000 and 5020 in Linux bridges, VMs b1 (10.10.0.2) and b2
(10.10.0.12). Host C is a second kernel VTEP for VNI 5000 only, its bridge
holding 10.10.0.3. Both VLANs share one IP subnet, so only the VNIs keep
them apart. B and C send their flood copies to every other VTEP (the
all-zero fdb entries of a head-end replicating kernel VTEP)."""
import os
import struct
import subprocess
import tempfile
import time

import pytest

from vswitch_lab import tcp
from vswitch_lab.daemon import Daemon
from vswitch_lab.netns import Netns

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces")

VX = ["local=192.0.2.1", "remote=192.0.2.2,192.0.2.3", "vni=5000,20:5020"]


def kernel_vtep(n, host, address, vnis):
    """Kernel vxlan devices in Linux bridges on `host`: {vni: bridge}."""
    bridges = {}
    for vni, peers in vnis.items():
        vx, br = "vx%d" % vni, "br%d" % vni
        n.run(host, "ip", "link", "add", vx, "type", "vxlan", "id", str(vni), "local", address,
              "dstport", "4789", check=True)
        # The inner MTU of a VM's 1500: the outer packet (1550) is then
        # fragmented on the 1500-byte underlay, df unset being Linux's default.
        n.run(host, "ip", "link", "set", vx, "mtu", "1500", check=True)
        for peer in peers:
            n.run(host, "bridge", "fdb", "append", "00:00:00:00:00:00", "dev", vx, "dst", peer,
                  check=True)
        n.run(host, "ip", "link", "add", br, "type", "bridge", check=True)
        n.run(host, "ip", "link", "set", vx, "master", br, "up", check=True)
        n.run(host, "ip", "link", "set", br, "up", check=True)
        bridges[vni] = br
    return bridges


@pytest.fixture(scope="module")
def lab():
    n = Netns()
    workdir = tempfile.mkdtemp(prefix="vswitch-vxlan-")
    d = Daemon(workdir, "")
    try:
        ul = n.add("vxu")
        n.run(ul, "ip", "link", "add", "ulbr", "type", "bridge", check=True)
        n.run(ul, "ip", "link", "set", "ulbr", "up", check=True)
        hosts = {"ul": ul}
        for i, h in enumerate("abc"):
            hosts[h] = n.add("vxh" + h)
            n.link(ul, "p" + h, hosts[h], "eth0")
            n.run(ul, "ip", "link", "set", "p" + h, "master", "ulbr", check=True)
            n.run(hosts[h], "ip", "addr", "add", "192.0.2.%d/24" % (i + 1), "dev", "eth0",
                  check=True)
            if h != "a":
                # Veth hands the far namespace an inner checksum still to be
                # done (CHECKSUM_PARTIAL), which no UDP socket can see: a NIC
                # would have filled it in, so the kernel VTEPs do it here.
                n.run(hosts[h], "ethtool", "-K", "eth0", "tx", "off", check=True)
        vms = {}
        for name, addr in (("a1", 1), ("a2", 11), ("b1", 2), ("b2", 12)):
            vms[name] = n.add("vxv" + name)
            n.link(hosts[name[0]], name, vms[name], "eth0")
            n.run(vms[name], "ip", "addr", "add", "10.10.0.%d/24" % addr, "dev", "eth0",
                  check=True)
        b = kernel_vtep(n, hosts["b"], "192.0.2.2",
                        {5000: ["192.0.2.1", "192.0.2.3"], 5020: ["192.0.2.1"]})
        n.run(hosts["b"], "ip", "link", "set", "b1", "master", b[5000], check=True)
        n.run(hosts["b"], "ip", "link", "set", "b2", "master", b[5020], check=True)
        c = kernel_vtep(n, hosts["c"], "192.0.2.3", {5000: ["192.0.2.1", "192.0.2.2"]})
        n.run(hosts["c"], "ip", "addr", "add", "10.10.0.3/24", "dev", c[5000], check=True)

        d.netns = hosts["a"]
        d.start()
        d.ctl("switch", "add", "sw")
        d.ctl("port", "add", "sw", "vx", "type", "vxlan", *VX, "vids", "20")
        d.ctl("port", "add", "sw", "a1", "type", "afpacket")
        d.ctl("port", "add", "sw", "a2", "type", "afpacket", "pvid", "20")
        yield d, n, hosts, vms, workdir
    finally:
        d.stop()
        n.cleanup()
        subprocess.run(["rm", "-rf", workdir])


def ping(n, ns, address, count=2, check=True):
    r = n.run(ns, "ping", "-c", str(count), "-i", "0.2", "-W", "2" if check else "1", address)
    if check:
        assert r.returncode == 0, r.stdout + r.stderr
    return r.returncode == 0


def vxlan_status(d):
    port = d.json("port", "show", "vx")
    port = port[0] if isinstance(port, list) else port
    return port["vxlan"]


def test_ping_and_tcp_both_ways_with_a_kernel_vtep(lab):
    d, n, hosts, vms, _ = lab
    ping(n, vms["a1"], "10.10.0.2")
    ping(n, vms["b1"], "10.10.0.1")
    ping(n, vms["a1"], "10.10.0.3")  # the second kernel VTEP
    # Full-size frames: the outer packets are fragmented both ways.
    r = n.run(vms["a1"], "ping", "-c", "2", "-i", "0.2", "-M", "do", "-s", "1472", "10.10.0.2")
    assert r.returncode == 0, r.stdout
    for src, dst, addr in (("a1", "b1", "10.10.0.2"), ("b1", "a1", "10.10.0.1")):
        sent, got = tcp.transfer(n, vms[src], vms[dst], addr, 4 << 20, timeout=30)
        assert got == sent and int(sent[0]) == 4 << 20
    st = vxlan_status(d)
    assert st["remote-macs"] >= 2  # b1 behind B, C's bridge behind C
    # 1514-byte segments do not fit a 1500-byte underlay whole: the kernel
    # refused the first UDP GSO write, sent again datagram by datagram
    # (fragmented), and GSO stayed off.
    assert st["gso-refused"] == 1 and st["gso-writes"] == 0, st
    assert " ".join(VX) in d.ctl("show", "running-config")
    show = d.ctl("vxlan", "show")
    assert show.startswith("vxlan vx (switch sw): local 192.0.2.1:4789"), show
    mac_b1 = n.run(vms["b1"], "cat", "/sys/class/net/eth0/address").stdout.strip()
    assert "%s vni 5000 at 192.0.2.2:4789" % mac_b1 in show or ", ..." in show, show


def test_two_vlans_stay_on_their_vnis(lab):
    d, n, hosts, vms, _ = lab
    ping(n, vms["a2"], "10.10.0.12")  # VLAN 20 = VNI 5020
    ping(n, vms["b2"], "10.10.0.11")
    # Same subnet, other VLAN: nothing crosses.
    assert not ping(n, vms["a1"], "10.10.0.12", count=1, check=False)
    assert not ping(n, vms["a2"], "10.10.0.2", count=1, check=False)
    assert not ping(n, vms["b2"], "10.10.0.1", count=1, check=False)


def test_broadcast_reaches_each_vtep_once_and_unicast_only_its_own(lab):
    d, n, hosts, vms, workdir = lab
    from scapy.all import ARP, Ether
    ping(n, vms["a1"], "10.10.0.2")  # b1's MAC learned behind B
    mac_b1 = n.run(vms["b1"], "cat", "/sys/class/net/eth0/address").stdout.strip()
    probe = "02:00:5e:00:00:%02x" % (os.getpid() % 256)

    def send(dst):
        frame = Ether(src=probe, dst=dst) / ARP(psrc="10.10.0.99", pdst="10.10.0.98")
        code = "import sys; from scapy.all import sendp, Ether; " \
               "sendp(Ether(bytes.fromhex(sys.argv[1])), iface='eth0', count=3, verbose=0)"
        n.run(vms["a1"], "/usr/bin/python3", "-c", code, bytes(frame).hex(), check=True)

    for dst, want in (("ff:ff:ff:ff:ff:ff", {"b": 3, "c": 3}), (mac_b1, {"b": 3, "c": 0})):
        def counts(seen):
            return {h: [f.src for f in frames].count(probe) for h, frames in seen.items()}
        seen = both_captures(n, hosts, workdir, lambda: send(dst),
                             lambda seen: all(v >= want[h] for h, v in counts(seen).items()))
        assert counts(seen) == want, (dst, counts(seen))


def read_pcap(path):
    from scapy.all import rdpcap
    try:
        return rdpcap(path) if os.path.getsize(path) > 24 else []
    except Exception:  # a record half written
        return []


def both_captures(n, hosts, workdir, action, done):
    """Frames B's and C's kernel VTEPs decapsulated from VNI 5000 (tcpdump
    on their vx5000 devices) while action() ran, waiting (up to 10 s: the
    machine may be busy) until done(seen) holds, then a little longer for
    any that should not come. On the underlay a run of datagrams vswitchd
    sent as one UDP GSO write shows as one packet, cut only where it is
    received; the vxlan device sees each frame."""
    dumps, paths = {}, {}
    try:
        for h in "bc":
            paths[h] = os.path.join(workdir, "dump-%s.pcap" % h)
            dumps[h] = subprocess.Popen(
                ["ip", "netns", "exec", hosts[h], "tcpdump", "-n", "-U", "-Z", "root", "-i",
                 "vx5000", "-w", paths[h]],
                stderr=subprocess.PIPE, text=True)
            assert "listening on" in dumps[h].stderr.readline()
        action()
        deadline = time.time() + 10
        while time.time() < deadline and not done({h: read_pcap(p) for h, p in paths.items()}):
            time.sleep(0.2)
        time.sleep(0.5)
    finally:
        for p in dumps.values():
            p.terminate()
            p.wait(10)
    return {h: read_pcap(p) for h, p in paths.items()}


def test_malformed_datagrams_are_counted_and_dropped(lab):
    d, n, hosts, vms, _ = lab
    before = vxlan_status(d)
    inner = bytes.fromhex("ffffffffffff02000000abcd0806") + bytes(46)
    good_header = struct.pack("!II", 0x08000000, 5000 << 8)
    bad = [b"\x08\x00\x00",  # short
           struct.pack("!II", 0, 5000 << 8) + inner,  # I flag clear
           struct.pack("!II", 0x08000000, (5000 << 8) | 1) + inner,  # reserved bits
           struct.pack("!II", 0x08000000, 7777 << 8) + inner,  # unknown VNI
           good_header + inner[:10],  # inner runt
           good_header + inner[:12] + b"\x81\x00\x00\x14" + inner[12:]]  # inner tag
    code = "import socket, sys\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n" \
           "for h in sys.argv[1:]: s.sendto(bytes.fromhex(h), ('192.0.2.1', 4789))\n"
    n.run(hosts["b"], "/usr/bin/python3", "-c", code, *[b.hex() for b in bad], check=True)
    deadline = time.time() + 5
    while time.time() < deadline:
        after = vxlan_status(d)
        if after["rx-inner-tagged"] > before["rx-inner-tagged"]:
            break
        time.sleep(0.1)
    for key in ("rx-short", "rx-bad-flags", "rx-reserved", "rx-unknown-vni", "rx-inner-short",
                "rx-inner-tagged"):
        assert after[key] == before[key] + 1, (key, before, after)
    # None reached the switch: its source MAC was never learned. (The port's
    # rx count is no witness: the lab's VMs may send a frame of their own
    # meanwhile, ARP or IPv6 chatter, when another test ran before this one.)
    assert "02:00:00:00:ab:cd" not in {e["mac"] for e in d.json("fdb", "show", "sw")}
    assert d.proc.poll() is None
    text = d.ctl("port", "show", "vx")
    assert "rx-unknown-vni" in text and "rx-inner-tagged" in text, text


def test_df_on_counts_frames_too_big_for_the_underlay(lab):
    d, n, hosts, vms, _ = lab
    ping(n, vms["a1"], "10.10.0.2")
    d.ctl("port", "del", "vx")
    d.ctl("port", "add", "sw", "vx", "type", "vxlan", *VX, "df=on", "vids", "20")
    try:
        ping(n, vms["a1"], "10.10.0.2")  # small frames still pass
        r = n.run(vms["a1"], "ping", "-c", "2", "-i", "0.2", "-W", "1", "-M", "do", "-s", "1472",
                  "10.10.0.2")
        assert r.returncode != 0
        st = vxlan_status(d)
        assert st["tx-too-big"] >= 2, st
        assert "tx-too-big" in d.ctl("port", "show", "vx")
    finally:
        d.ctl("port", "del", "vx")
        d.ctl("port", "add", "sw", "vx", "type", "vxlan", *VX, "vids", "20")


# Serial: TCP sizes its TSO frames from its pacing rate, and a neighbour on
# the second core slowed it to one segment a frame once: no GSO write to see.
@pytest.mark.serial
def test_tcp_super_frames_from_a_kernel_vtep_and_source_port_entropy(lab):
    """VMs at MTU 1450 (no fragments) and GRO on host A's underlay veth (a
    veth runs GRO only when asked): the kernel VTEP's datagrams of a TCP
    stream reach vswitchd's UDP_GRO socket as multi-datagram reads, which
    the port rebuilds into super-frames (gro-frames) for a1, byte for byte;
    the other way vswitchd's GSO writes reach the kernel VTEP. Then 8 UDP
    flows from a1 leave host A from several outer source ports, none 4789,
    and B still answers (it learns the IP, not the port)."""
    d, n, hosts, vms, workdir = lab
    ul = hosts["ul"]
    try:
        for vm in ("a1", "b1"):
            n.run(vms[vm], "ip", "link", "set", "eth0", "mtu", "1450", check=True)
        # veth runs GRO (NAPI) on a device asked for it, and only for frames
        # from a peer without TSO (veth_skb_is_eligible_for_gro()).
        n.run(hosts["a"], "ethtool", "-K", "eth0", "gro", "on", check=True)
        n.run(ul, "ethtool", "-K", "pa", "tso", "off", check=True)
        before = vxlan_status(d)
        for src, dst, addr in (("b1", "a1", "10.10.0.1"), ("a1", "b1", "10.10.0.2")):
            sent, got = tcp.transfer(n, vms[src], vms[dst], addr, 8 << 20, timeout=30)
            assert got == sent and int(sent[0]) == 8 << 20
        st = vxlan_status(d)
        assert st["gro-frames"] > before["gro-frames"], (before, st)
        assert st["gro-reads"] > before["gro-reads"], (before, st)
        # every inner checksum verified (tx off on B): none left unmerged
        assert st["gro-bad-csum"] == before["gro-bad-csum"], (before, st)
        assert st["gso-writes"] > before["gso-writes"], (before, st)

        path = os.path.join(workdir, "underlay.pcap")
        dump = subprocess.Popen(
            ["ip", "netns", "exec", hosts["b"], "tcpdump", "-n", "-U", "-Z", "root", "-i",
             "eth0", "-w", path, "udp and src host 192.0.2.1 and dst port 4789"],
            stderr=subprocess.PIPE, text=True)
        try:
            assert "listening on" in dump.stderr.readline()
            code = "import socket\nfor p in range(41000, 41008):\n" \
                   "    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n" \
                   "    s.bind(('10.10.0.1', p)); s.sendto(b'x' * 32, ('10.10.0.2', 9))\n"
            n.run(vms["a1"], "/usr/bin/python3", "-c", code, check=True)
            deadline = time.time() + 5
            while time.time() < deadline and len(read_pcap(path)) < 8:
                time.sleep(0.2)
        finally:
            dump.terminate()
            dump.wait(10)
        from scapy.all import UDP
        ports = {f[UDP].sport for f in read_pcap(path) if UDP in f}
        assert len(ports) >= 2 and 4789 not in ports, ports
        ping(n, vms["a1"], "10.10.0.2")
    finally:
        n.run(hosts["a"], "ethtool", "-K", "eth0", "gro", "off")
        n.run(ul, "ethtool", "-K", "pa", "tso", "on")
        for vm in ("a1", "b1"):
            n.run(vms[vm], "ip", "link", "set", "eth0", "mtu", "1500")
