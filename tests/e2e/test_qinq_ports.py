"""Stacked tags entering through every kind of port that takes frames from
outside the daemon (docs/qinq.md; test_qinq.py covers afpacket and afxdp
with kernel peers on every side): a C+C frame goes by its outer tag with the
inner one intact, an S+C frame is untagged to the switch (the port's PVID)
and keeps its S-tag, and `stacked-tags drop` drops both, counted as
stacked-tag. Each kind has its own daemon with one sender port `k` of that
kind and `pipe` receivers, so `port take` shows the exact bytes the switch
sent, with no kernel taking a tag off on the way out. The way back is tested
too: stacked frames from the pipes leave k with only our outer tag changed,
as k's outside reads them. How frames get in and out of k:

  pipe       `port inject` / `port take`, as the wire has it
  tap        written to / read from the tap's queue with a virtio-net
             header, as QEMU does; the daemon's packet socket gets the outer
             tag (0x8100 or 0x88a8) in its auxdata
  internal   a packet socket on the host-side interface: the tun hands the
             daemon the frame as sent
  bond       a packet socket on the peer of the active member's veth: the
             member's packet socket gets the outer tag in its auxdata
  vhostuser  the rings of a memfd front end (vswitch_lab/vhost_guest.py),
             used as a virtio-net driver uses them

`k` is pvid 2 and tagged in VLAN 3, so one port is both the trunk the C+C
frame comes from and the VLAN-2 access port the S+C frame comes from."""
import fcntl
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time

import pytest

from vswitch_lab.daemon import Daemon
from vswitch_lab.netns import Netns, unique
from vswitch_lab.vhost_guest import VhostGuest

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for taps and namespaces")

# the receivers, all pipes: port: (pvid, vids)
RECEIVERS = {
    "t23": (1, "2,3"),  # VLANs 2 and 3 tagged
    "acc3": (3, None),  # VLAN 3 untagged
    "acc2b": (2, None),  # VLAN 2 untagged
    "acc1": (1, None),  # VLAN 1 only: sees none of it
}

# Run in the bond peers' namespace: sends one frame from an interface, or
# (no frame given) prints each frame the interface receives and its
# auxdata (where the kernel put the outer tag), as hex.
PEER = r"""
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.setsockopt(263, 8, 1)  # SOL_PACKET, PACKET_AUXDATA
s.bind((sys.argv[1], 0))
if len(sys.argv) > 2:
    s.send(bytes.fromhex(sys.argv[2]))
    sys.exit()
print("ready", flush=True)
while True:
    data, anc, _, addr = s.recvmsg(4096, socket.CMSG_SPACE(20))
    if addr[2] != socket.PACKET_OUTGOING:
        print(data.hex(), b"".join(aux for _, _, aux in anc).hex() or "-", flush=True)
"""

TUNSETIFF = 0x400454CA
IFF_TAP, IFF_NO_PI, IFF_VNET_HDR = 0x0002, 0x1000, 0x4000


def tag(tpid, tci):
    return struct.pack("!HH", tpid, tci)


def frame(src, *tags):
    return b"\xff" * 6 + src + b"".join(tags) + b"\x88\xb5" + bytes(range(46))


C3, C100, S3, C2 = tag(0x8100, 3), tag(0x8100, 100), tag(0x88A8, 3), tag(0x8100, 2)
SRC = bytes.fromhex("020000000b01")  # into k
SRC_OUT = bytes.fromhex("020000000b02")  # out of k


def read_all(read):
    """What read() returns until it would block."""
    frames = []
    while True:
        try:
            frames.append(read())
        except BlockingIOError:
            return frames


def with_tag_back(data, anc):
    """A frame a packet socket read, with the tag the kernel took into its
    auxdata put back in front."""
    for level, kind, aux in anc:
        if level == 263 and kind == 8 and len(aux) >= 20:  # SOL_PACKET, PACKET_AUXDATA
            status, _, _, _, _, tci, tpid = struct.unpack("IIIHHHH", aux[:20])
            if status & 0x10:
                tpid = tpid if status & 0x40 else 0x8100
                return data[:12] + tag(tpid, tci) + data[12:]
    return data


class Outside:
    """Port k of one kind, and its outside: what a guest, the host or the
    peer of a member sends into it (transmit) and what it sees leave k
    (received: the frames since last asked)."""

    def __init__(self, kind, d, n, workdir):
        self.closers, self.links = [], []
        settings = ["pvid", "2", "vids", "3"]
        if kind == "pipe":
            d.ctl("port", "add", "sw", "k", "type", "pipe", *settings)
            self.transmit = lambda data: d.ctl("port", "inject", "k", data.hex())
            self.received = lambda: [bytes.fromhex(f["hex"]) for f in d.json("port", "take", "k")]
        elif kind == "tap":
            tap = unique("vqt")
            self.links.append(tap)
            d.ctl("port", "add", "sw", "k", "type", "tap", "dev=" + tap, *settings)
            fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
            self.closers.append(lambda: os.close(fd))
            fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", tap.encode(),
                                                   IFF_TAP | IFF_NO_PI | IFF_VNET_HDR))
            self.transmit = lambda data: os.write(fd, bytes(10) + data)  # no offload
            self.received = lambda: read_all(lambda: os.read(fd, 4096)[10:])
        elif kind == "internal":
            dev = unique("vqi")
            self.links.append(dev)
            d.ctl("port", "add", "sw", "k", "type", "internal", "dev=" + dev, *settings)
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
            self.closers.append(s.close)
            s.setsockopt(263, 8, 1)  # PACKET_AUXDATA
            s.bind((dev, 0))
            s.setblocking(False)

            def read():
                while True:
                    data, anc, _, addr = s.recvmsg(4096, socket.CMSG_SPACE(20))
                    if addr[2] != socket.PACKET_OUTGOING:
                        return with_tag_back(data, anc)
            self.transmit = s.send
            self.received = lambda: read_all(read)
        elif kind == "bond":
            ns = n.add("qb")
            members = [n.veth(unique("vqb"), ns, ns_name="p%d" % i) for i in (1, 2)]
            d.ctl("port", "add", "sw", "k", "type", "bond", "members=" + ",".join(members),
                  "primary=" + members[0], *settings)
            listener = subprocess.Popen(["ip", "netns", "exec", ns, "/usr/bin/python3", "-c",
                                         PEER, "p1"], stdout=subprocess.PIPE, text=True)
            self.closers += [listener.kill, listener.wait]
            assert listener.stdout.readline() == "ready\n"
            lines = []

            def pump():
                for line in listener.stdout:
                    lines.append(line)
            threading.Thread(target=pump, daemon=True).start()

            def received():
                taken = lines[:]
                del lines[:len(taken)]
                return [with_tag_back(bytes.fromhex(data), [(263, 8, bytes.fromhex(aux))]
                                      if aux != "-" else [])
                        for data, aux in (line.split() for line in taken)]

            def transmit(data):
                r = n.run(ns, "/usr/bin/python3", "-c", PEER, "p1", data.hex(), timeout=30)
                assert r.returncode == 0, r.stderr
            self.transmit = transmit
            self.received = received
        else:
            assert kind == "vhostuser"
            path = os.path.join(workdir, "k.sock")
            d.ctl("port", "add", "sw", "k", "type", "vhostuser", "socket=" + path, *settings)
            guest = VhostGuest(path)
            self.closers.append(guest.close)
            self.transmit, self.received = guest.transmit, guest.received

    def close(self):
        for close in self.closers:
            close()
        for link in self.links:
            subprocess.run(["ip", "link", "del", link], capture_output=True)


def wait(condition, what, timeout=10):
    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, what
        time.sleep(0.02)


class Lab:
    """One vswitch: the pipe receivers and port k of one kind."""

    def __init__(self, kind, n, workdir):
        self.d = Daemon(workdir, "switch add sw\n" + "".join(
            "port add sw %s type pipe pvid %d%s\n" % (p, pvid, " vids " + vids if vids else "")
            for p, (pvid, vids) in RECEIVERS.items()))
        self.d.start()
        self.k = Outside(kind, self.d, n, workdir)
        wait(lambda: self.d.json("port", "show", "k")[0]["carrier"],
             "carrier of k: " + self.d.ctl("port", "show", "k"))

    def rx(self):
        return self.d.json("port", "show", "k")[0]["counters"]["rx_packets"]

    def send(self, data, expect):
        """Sends data into k and waits until k received it; each receiver
        in `expect` must get exactly one frame and no other any; returns
        {receiver: the frame it got}."""
        before = self.rx()
        self.k.transmit(data)
        wait(lambda: self.rx() > before, "k did not receive the frame")
        got = {p: [] for p in RECEIVERS}

        def take():
            for p in RECEIVERS:
                got[p] += [f for f in (bytes.fromhex(t["hex"]) for t in
                                       self.d.json("port", "take", p)) if f[6:12] == SRC]
            return all(got[p] for p in expect)
        wait(take, "not received by all of %s: %s" % (expect, got), timeout=3)
        time.sleep(0.05)
        take()  # and nothing more
        assert {p for p in got if got[p]} == set(expect), got
        assert all(len(got[p]) == 1 for p in expect), got
        return {p: got[p][0] for p in expect}

    def out(self, receiver, data, *vlan):
        """Injects data into pipe `receiver` (with `vlan VID`: its outer tag
        in metadata, as a packet socket delivers it); returns the one frame
        that left k for its outside."""
        self.k.received()
        self.d.ctl("port", "inject", receiver, data.hex(), *vlan)
        got = []

        def arrived():
            got.extend(f for f in self.k.received() if f[6:12] == SRC_OUT)
            return got
        wait(arrived, "nothing left k", timeout=3)
        time.sleep(0.05)
        arrived()
        assert len(got) == 1, got
        return got[0]


@pytest.fixture(scope="module", params=["pipe", "tap", "internal", "bond", "vhostuser"])
def lab(request):
    n = Netns()
    workdir = tempfile.mkdtemp(prefix="vswitch-qinqp-")
    lab = None
    try:
        lab = Lab(request.param, n, workdir)
        yield lab
    finally:
        if lab:
            lab.k.close()
            lab.d.stop()
        n.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)


def drops(lab):
    return lab.d.json("counters", "k")["k"]["drops"]["stacked-tag"]


def test_double_tagged_frame_goes_by_outer_tag_with_inner_tag_intact(lab):
    cc = frame(SRC, C3, C100)
    got = lab.send(cc, ["t23", "acc3"])
    assert got["t23"] == cc  # tagged member of VLAN 3: as it came
    assert got["acc3"] == frame(SRC, C100)  # outer tag popped, inner kept
    assert drops(lab) == 0


def test_service_tagged_frame_takes_the_pvid_and_keeps_its_s_tag(lab):
    sc = frame(SRC, S3, C100)
    got = lab.send(sc, ["acc2b", "t23"])  # VLAN 2, not 3 (acc3 gets nothing)
    assert got["acc2b"] == sc  # VLAN 2 untagged: byte for byte
    assert got["t23"] == frame(SRC, C2, S3, C100)  # our C-tag outside the S-tag
    assert drops(lab) == 0


def test_stacked_frames_leave_k_with_only_our_tag_changed(lab):
    cc = frame(SRC_OUT, C3, C100)
    assert lab.out("t23", cc) == cc  # k is tagged in VLAN 3
    # the outer tag in metadata: k's provider puts it back outside the inner one
    assert lab.out("t23", frame(SRC_OUT, C100), "vlan", "3") == cc
    sc = frame(SRC_OUT, S3, C100)
    assert lab.out("acc2b", sc) == sc  # VLAN 2 is k's PVID: untagged, S-tag kept
    assert lab.out("t23", frame(SRC_OUT, C2, S3, C100)) == sc  # only our C-tag popped


def test_guard_drops_both_and_counts(lab):
    lab.d.ctl("port", "set", "k", "stacked-tags", "drop")
    lab.send(frame(SRC, C3, C100), [])
    lab.send(frame(SRC, S3, C100), [])
    assert drops(lab) == 2
    got = lab.send(frame(SRC, C3), ["t23", "acc3"])  # one tag still passes
    assert got["t23"] == frame(SRC, C3) and got["acc3"] == frame(SRC)
    assert drops(lab) == 2
