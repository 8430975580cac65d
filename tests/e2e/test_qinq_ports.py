"""Stacked tags entering through every kind of port that takes frames from
outside the daemon (docs/qinq.md; test_qinq.py covers afpacket and afxdp
with kernel peers on every side): a C+C frame goes by its outer tag with the
inner one intact, an S+C frame is untagged to the switch (the port's PVID)
and keeps its S-tag, and `stacked-tags drop` drops both, counted as
stacked-tag. Each kind has its own daemon with one sender port `k` of that
kind and `pipe` receivers, so `port take` shows the exact bytes the switch
sent, with no kernel taking a tag off on the way out. How the frames get in:

  pipe       `port inject`, as the wire has it
  tap        written to the tap's queue with a virtio-net header, as QEMU
             does; the daemon's packet socket gets the outer tag (0x8100 or
             0x88a8) in its auxdata
  internal   sent from a packet socket on the host-side interface: the tun
             hands the daemon the frame as sent
  bond       sent from the peer of the active member's veth: the member's
             packet socket gets the outer tag in its auxdata
  vhostuser  put on the transmit ring by a memfd front end
             (vswitch_lab/vhost_guest.py), as a virtio-net driver does

`k` is pvid 2 and tagged in VLAN 3, so one port is both the trunk the C+C
frame comes from and the VLAN-2 access port the S+C frame comes from."""
import fcntl
import os
import shutil
import socket
import struct
import subprocess
import tempfile
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

# Run in the bond peers' namespace: sends one frame from an interface.
SEND = r"""
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
s.send(bytes.fromhex(sys.argv[2]))
"""

TUNSETIFF = 0x400454CA
IFF_TAP, IFF_NO_PI, IFF_VNET_HDR = 0x0002, 0x1000, 0x4000


def tag(tpid, tci):
    return struct.pack("!HH", tpid, tci)


def frame(src, *tags):
    return b"\xff" * 6 + src + b"".join(tags) + b"\x88\xb5" + bytes(range(46))


C3, C100, S3, C2 = tag(0x8100, 3), tag(0x8100, 100), tag(0x88A8, 3), tag(0x8100, 2)
SRC = bytes.fromhex("020000000b01")


def sender(kind, d, n, workdir, links):
    """Adds port k of `kind`; returns (transmit(frame), close())."""
    settings = ["pvid", "2", "vids", "3"]
    if kind == "pipe":
        d.ctl("port", "add", "sw", "k", "type", "pipe", *settings)
        return (lambda data: d.ctl("port", "inject", "k", data.hex())), (lambda: None)
    if kind == "tap":
        tap = unique("vqt")
        links.append(tap)
        d.ctl("port", "add", "sw", "k", "type", "tap", "dev=" + tap, *settings)
        fd = os.open("/dev/net/tun", os.O_RDWR)
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", tap.encode(),
                                               IFF_TAP | IFF_NO_PI | IFF_VNET_HDR))
        return (lambda data: os.write(fd, bytes(10) + data)), (lambda: os.close(fd))
    if kind == "internal":
        dev = unique("vqi")
        links.append(dev)
        d.ctl("port", "add", "sw", "k", "type", "internal", "dev=" + dev, *settings)
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((dev, 0))
        return s.send, s.close
    if kind == "bond":
        ns = n.add("qb")
        members = [n.veth(unique("vqb"), ns, ns_name="p%d" % i) for i in (1, 2)]
        d.ctl("port", "add", "sw", "k", "type", "bond", "members=" + ",".join(members),
              "primary=" + members[0], *settings)

        def transmit(data):
            r = n.run(ns, "/usr/bin/python3", "-c", SEND, "p1", data.hex(), timeout=30)
            assert r.returncode == 0, r.stderr
        return transmit, (lambda: None)
    assert kind == "vhostuser"
    path = os.path.join(workdir, "k.sock")
    d.ctl("port", "add", "sw", "k", "type", "vhostuser", "socket=" + path, *settings)
    guest = VhostGuest(path)
    return guest.transmit, guest.close


def wait(condition, what, timeout=10):
    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, what
        time.sleep(0.02)


@pytest.fixture(scope="module", params=["pipe", "tap", "internal", "bond", "vhostuser"])
def lab(request):
    """One vswitch: the receivers and port k of the kind; returns (daemon,
    send) where send(frame) puts the frame into k, waits until k received
    it, and returns {receiver: [frames from SRC it sent]}."""
    n = Netns()
    workdir = tempfile.mkdtemp(prefix="vswitch-qinqp-")
    d = Daemon(workdir, "switch add sw\n" + "".join(
        "port add sw %s type pipe pvid %d%s\n" % (p, pvid, " vids " + vids if vids else "")
        for p, (pvid, vids) in RECEIVERS.items()))
    links, close = [], (lambda: None)
    try:
        d.start()
        transmit, close = sender(request.param, d, n, workdir, links)
        wait(lambda: d.json("port", "show", "k")[0]["carrier"], "carrier of k: " +
             d.ctl("port", "show", "k"))

        def rx():
            return d.json("port", "show", "k")[0]["counters"]["rx_packets"]

        def send(data, expect):
            """Sends data; `expect` receivers must each get one frame."""
            before = rx()
            transmit(data)
            wait(lambda: rx() > before, "k did not receive the frame")
            got = {p: [] for p in RECEIVERS}

            def take():
                for p in RECEIVERS:
                    got[p] += [bytes.fromhex(f["hex"]) for f in d.json("port", "take", p)
                               if bytes.fromhex(f["hex"])[6:12] == SRC]
                return all(got[p] for p in expect)
            wait(take, "not received by all of %s: %s" % (expect, got), timeout=3)
            time.sleep(0.05)
            take()  # and nothing more
            assert {p for p in got if got[p]} == set(expect), got
            assert all(len(got[p]) == 1 for p in expect), got
            return {p: got[p][0] for p in expect}

        yield d, send
    finally:
        close()
        d.stop()
        for link in links:
            subprocess.run(["ip", "link", "del", link], capture_output=True)
        n.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)


def drops(d):
    return d.json("counters", "k")["k"]["drops"]["stacked-tag"]


def test_double_tagged_frame_goes_by_outer_tag_with_inner_tag_intact(lab):
    d, send = lab
    cc = frame(SRC, C3, C100)
    got = send(cc, ["t23", "acc3"])
    assert got["t23"] == cc  # tagged member of VLAN 3: as it came
    assert got["acc3"] == frame(SRC, C100)  # outer tag popped, inner kept
    assert drops(d) == 0


def test_service_tagged_frame_takes_the_pvid_and_keeps_its_s_tag(lab):
    d, send = lab
    sc = frame(SRC, S3, C100)
    got = send(sc, ["acc2b", "t23"])  # VLAN 2, not 3 (acc3 gets nothing)
    assert got["acc2b"] == sc  # VLAN 2 untagged: byte for byte
    assert got["t23"] == frame(SRC, C2, S3, C100)  # our C-tag outside the S-tag
    assert drops(d) == 0


def test_guard_drops_both_and_counts(lab):
    d, send = lab
    d.ctl("port", "set", "k", "stacked-tags", "drop")
    send(frame(SRC, C3, C100), [])
    send(frame(SRC, S3, C100), [])
    assert drops(d) == 2
    got = send(frame(SRC, C3), ["t23", "acc3"])  # one tag still passes
    assert got["t23"] == frame(SRC, C3) and got["acc3"] == frame(SRC)
    assert drops(d) == 2
