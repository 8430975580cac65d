"""Stacked tags with real kernel peers (DESIGN section 3 rule 1, docs/qinq.md):
vswitch is an 802.1Q C-VLAN bridge, so a double-tagged frame goes by its
outer tag with the inner one intact, an 802.1ad S-tagged frame from an
access port is untagged to the switch (it takes the PVID) and keeps its
S-tag, and the per-port guard `stacked-tags drop` drops both, counted as
stacked-tag. The peers are veths: the kernel strips the outer tag of every
frame a packet socket reads into its auxdata, 0x8100 or 0x88a8 alike, which
is exactly the path that must work; afxdp ports read the frame as it is."""
import json
import os
import re
import shutil
import tempfile

import pytest

from vswitch_lab.daemon import Daemon
from vswitch_lab.netns import Netns, unique

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces")

# port: (pvid, vids)
PORTS = {
    "trunk": (1, "3"),  # sends C3+C100
    "t23": (1, "2,3"),  # VLANs 2 and 3 tagged
    "acc3": (3, None),  # VLAN 3 untagged
    "acc2a": (2, None),  # sends an S-tagged frame
    "acc2b": (2, None),  # VLAN 2 untagged
    "acc1": (1, None),  # VLAN 1 only: sees none of it
}

# Run in the peers' namespace: listens on every peer interface, sends one
# frame from one of them, and prints what each received from the sender's
# MAC, as hex, with the tag the kernel took into auxdata put back in front.
PEER = r"""
import json, select, socket, struct, sys, time
ifaces, sender, frame = sys.argv[1].split(","), sys.argv[2], bytes.fromhex(sys.argv[3])
SOL_PACKET, PACKET_AUXDATA = 263, 8
socks = {}
for name in ifaces:
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    s.bind((name, 0))
    socks[s] = name
time.sleep(0.05)
out = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
out.bind((sender, 0))
for _ in range(3):
    out.send(frame)
got = {name: [] for name in ifaces}
end = time.time() + 0.6
while time.time() < end:
    ready, _, _ = select.select(list(socks), [], [], 0.05)
    for s in ready:
        data, anc, _, addr = s.recvmsg(4096, socket.CMSG_SPACE(20))
        if addr[2] == socket.PACKET_OUTGOING or data[6:12] != frame[6:12]:
            continue
        for level, kind, aux in anc:
            if level == SOL_PACKET and kind == PACKET_AUXDATA and len(aux) >= 20:
                status, _, _, _, _, tci, tpid = struct.unpack("IIIHHHH", aux[:20])
                if status & 0x10:  # TP_STATUS_VLAN_VALID
                    tpid = tpid if status & 0x40 else 0x8100
                    data = data[:12] + struct.pack("!HH", tpid, tci) + data[12:]
        got[socks[s]].append(data.hex())
print(json.dumps(got))
"""


def tag(tpid, tci):
    return bytes.fromhex("%04x%04x" % (tpid, tci))


def frame(src, *tags):
    payload = bytes(range(46))
    return b"\xff" * 6 + src + b"".join(tags) + b"\x88\xb5" + payload


@pytest.fixture(scope="module", params=["afpacket", "afxdp"])
def lab(request):
    """One vswitch with the ports of PORTS on veths whose peers share one
    namespace; returns (daemon, send) where send(sender, frame) returns
    {port: [frames received]}. The guard test runs last on each."""
    n = Netns()
    workdir = tempfile.mkdtemp(prefix="vswitch-qinq-")
    d = Daemon(workdir, "")
    try:
        ns = n.add("qq")
        links = {p: n.veth(unique("vq"), ns, ns_name=p) for p in PORTS}
        config = "switch add sw\n"
        for p, (pvid, vids) in PORTS.items():
            config += "port add sw %s type %s dev=%s pvid %d%s\n" % (
                p, request.param, links[p], pvid, " vids " + vids if vids else "")
        with open(d.config, "w") as f:
            f.write(config)
        d.start()

        def send(sender, data):
            r = n.run(ns, "/usr/bin/python3", "-c", PEER, ",".join(PORTS), sender, data.hex(),
                      timeout=30)
            assert r.returncode == 0, r.stderr
            got = json.loads(r.stdout)
            return {p: [bytes.fromhex(h) for h in frames] for p, frames in got.items()}

        yield d, send
    finally:
        d.stop()
        n.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)


def drops(d, port):
    return d.json("counters", port)[port]["drops"]["stacked-tag"]


def only(got, ports):
    """Asserts that exactly `ports` received something; returns got."""
    assert {p for p, frames in got.items() if frames} == set(ports), got
    return got


C3, C100, S3, C2 = tag(0x8100, 3), tag(0x8100, 100), tag(0x88A8, 3), tag(0x8100, 2)
SRC_CC, SRC_SC = bytes.fromhex("020000000a01"), bytes.fromhex("020000000a02")


def test_double_tagged_frame_goes_by_outer_tag_with_inner_tag_intact(lab):
    d, send = lab
    cc = frame(SRC_CC, C3, C100)
    got = only(send("trunk", cc), ["t23", "acc3"])
    assert got["t23"][0] == cc  # tagged member of VLAN 3: as it came
    assert got["acc3"][0] == frame(SRC_CC, C100)  # outer tag popped, inner kept
    assert drops(d, "trunk") == 0
    # learned on the outer VLAN, not on the inner one
    assert re.search(r"^\s*3\s+02:00:00:00:0a:01\s+trunk", d.ctl("fdb", "show", "sw"), re.M)


def test_service_tagged_frame_is_untagged_and_keeps_its_s_tag(lab):
    d, send = lab
    sc = frame(SRC_SC, S3, C100)
    got = only(send("acc2a", sc), ["acc2b", "t23"])
    assert got["acc2b"][0] == sc  # VLAN 2 untagged: byte for byte
    # our C-tag goes outside the S-tag (as the Linux bridge and OVS push theirs)
    assert got["t23"][0] == frame(SRC_SC, C2, S3, C100)
    assert drops(d, "acc2a") == 0


def test_guard_drops_both_and_counts(lab):
    d, send = lab
    d.ctl("port", "set", "trunk", "stacked-tags", "drop")
    d.ctl("port", "set", "acc2a", "stacked-tags", "drop")
    only(send("trunk", frame(SRC_CC, C3, C100)), [])
    only(send("acc2a", frame(SRC_SC, S3, C100)), [])
    assert drops(d, "trunk") == 3 and drops(d, "acc2a") == 3  # three copies each
    # one tag still passes the guard
    only(send("trunk", frame(SRC_CC, C3)), ["t23", "acc3"])
    assert drops(d, "trunk") == 3
    assert "stacked-tags drop" in d.ctl("show", "running-config")
