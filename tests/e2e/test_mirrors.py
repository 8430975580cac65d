"""Mirrors with real kernel peers (docs/mirrors.md): a vswitchd in its own
namespace with afpacket ports to hosts a and b, and where a test needs them
a mirror output port to a capture namespace or a veth to an ERSPAN
collector namespace. Frames carry
sequence numbers, so each test checks that every mirrored frame appears
once, in order, with its tag as on the wire."""
import os
import signal
import subprocess
import tempfile
import time

import pytest

from vswitch_lab.daemon import VSWITCHCTL, Daemon
from vswitch_lab.netns import Netns

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces")

MAC_A = "02:00:00:00:aa:01"
MAC_B = "02:00:00:00:bb:02"
N = 20


@pytest.fixture
def lab(workdir, request):
    """Switch sw in namespace dp with ports pa, pb (pvid 1, vids 10) to hosts
    a and b. request.param: vswitchd's extra arguments."""
    n = Netns()
    d = None
    try:
        ns = {h: n.add("mr" + h) for h in ("dp", "a", "b")}
        for h, mac in (("a", MAC_A), ("b", MAC_B)):
            n.link(ns["dp"], "p" + h, ns[h], "eth0")
            n.run(ns[h], "ip", "link", "set", "eth0", "address", mac, check=True)
        d = Daemon(tempfile.mkdtemp(dir=workdir), "", netns=ns["dp"],
                   args=getattr(request, "param", ())).start()
        d.ctl("switch", "add", "sw")
        for p in ("pa", "pb"):
            d.ctl("port", "add", "sw", p, "type", "afpacket", "dev=" + p, "vids", "10")
        yield d, n, ns
        # a clean exit: ASan finds no leak or bad access, captures and
        # ERSPAN sockets included
        assert d.stop() == 0, d.log_text()
    finally:
        if d:
            d.stop()
        n.cleanup()


def add_capture_port(d, n, ns):
    """Port pc of sw, a veth to a new namespace cap for tcpdump."""
    ns["cap"] = n.add("mrcap")
    n.link(ns["dp"], "pc", ns["cap"], "eth0")
    d.ctl("port", "add", "sw", "pc", "type", "afpacket", "dev=pc", "vids", "10")


def add_collector(n, ns):
    """A namespace col at 10.99.0.9 on a veth from dp's 10.99.0.1."""
    ns["col"] = n.add("mrcol")
    n.link(ns["dp"], "col0", ns["col"], "eth0")
    n.run(ns["dp"], "ip", "addr", "add", "10.99.0.1/24", "dev", "col0", check=True)
    n.run(ns["col"], "ip", "addr", "add", "10.99.0.9/24", "dev", "eth0", check=True)


SENDER = """
import socket, struct, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
dst, src = (bytes.fromhex(m.replace(":", "")) for m in sys.argv[1:3])
for word in sys.argv[3:]:
    vid, seq = (int(x) for x in word.split("/"))
    tag = struct.pack("!HH", 0x8100, vid) if vid else b""
    s.send(dst + src + tag + struct.pack("!H", 0x88b5) + b"seq=%04d" % seq + bytes(50))
"""


def send(n, ns, src, dst, frames):
    """Sends frames (vid or None, seq) from ns's eth0 in order, payload
    'seq=NNNN' so that copies can be matched (a raw socket: no scapy to
    start for each burst)."""
    words = ["%d/%d" % (vid or 0, seq) for vid, seq in frames]
    n.run(ns, "/usr/bin/python3", "-c", SENDER, dst, src, *words, check=True)


def count_frames(path):
    from scapy.all import rdpcap
    try:
        return len(rdpcap(path))
    except Exception:  # a record half written
        return 0


def dump_during(n, ns, path, action, expect, bpf=()):
    """Frames tcpdump saw on ns's eth0 while action() ran, waiting (up to 10
    s, the machine may be busy) until `expect` of them have come, then a
    little longer for any that should not."""
    from scapy.all import rdpcap
    dump = subprocess.Popen(["ip", "netns", "exec", ns, "tcpdump", "-n", "-U", "-Z", "root",
                             "-i", "eth0", "-w", path] + list(bpf),
                            stderr=subprocess.PIPE, text=True)
    try:
        assert "listening on" in dump.stderr.readline()
        action()
        deadline = time.time() + 10
        while time.time() < deadline and count_frames(path) < expect:
            time.sleep(0.1)
        time.sleep(0.3)
    finally:
        dump.terminate()
        dump.wait(10)
    return rdpcap(path)


def seqs(frames, layer_filter=lambda f: True):
    """(vid or None, seq) of each frame carrying a sequence number."""
    from scapy.all import Dot1Q, Raw
    out = []
    for f in frames:
        raw = bytes(f[Raw].load) if Raw in f else b""
        if raw.startswith(b"seq=") and layer_filter(f):
            out.append((f[Dot1Q].vlan if Dot1Q in f else None, int(raw[4:8])))
    return out


def traffic(n, ns):
    """a sends N frames on VLAN 10 (tagged) and N untagged; then b answers
    the same way; sequence numbers 0-4N in that order."""
    send(n, ns["a"], MAC_A, MAC_B, [(10, i) for i in range(N)] + [(None, N + i) for i in range(N)])
    send(n, ns["b"], MAC_B, MAC_A,
         [(10, 2 * N + i) for i in range(N)] + [(None, 3 * N + i) for i in range(N)])


# With two poll threads pa and pb are polled by different threads: rx copies
# and tx copies of pa come from both, into one output port.
@pytest.mark.parametrize("lab", [(), ("--cores", "0,1")], indirect=True, ids=["1", "2threads"])
def test_span_of_one_vlan_both_directions_sees_every_frame_once_in_order(lab):
    d, n, ns = lab
    add_capture_port(d, n, ns)
    d.ctl("mirror", "add", "sw", "m1", "source", "pa", "direction", "both", "vlan", "10",
          "output", "pc")
    frames = dump_during(n, ns["cap"], os.path.join(d.workdir, "span.pcap"),
                         lambda: traffic(n, ns), 2 * N)
    # rx of pa: a's VLAN 10 frames as they arrived (tagged); tx of pa: b's
    # VLAN 10 frames as they left pa (tagged: 10 is not pa's PVID). VLAN 1
    # frames are not of the mirror's VLAN; nothing else reaches pc.
    want = [(10, i) for i in range(N)] + [(10, 2 * N + i) for i in range(N)]
    assert seqs(frames) == want
    [m] = d.json("mirror", "show")
    assert (m["mirrored"], m["dropped"], m["output"]) == (2 * N, 0, "pc")
    assert "mirror add sw m1 source pa direction both vlan 10 output pc\n" in \
        d.ctl("show", "running-config")


def test_span_rx_only_mirrors_frames_the_switch_then_drops(lab):
    d, n, ns = lab
    add_capture_port(d, n, ns)
    d.ctl("mirror", "add", "sw", "m2", "source", "pa", "direction", "rx", "output", "pc")
    # VLAN 20 is not pa's: the switch drops these, the mirror shows them.
    frames = dump_during(n, ns["cap"], os.path.join(d.workdir, "rx.pcap"), lambda: (
        send(n, ns["a"], MAC_A, MAC_B, [(20, i) for i in range(5)] + [(None, 5 + i)
                                                                        for i in range(5)]),
        send(n, ns["b"], MAC_B, MAC_A, [(None, 10 + i) for i in range(5)])), 10)
    assert seqs(frames) == [(20, i) for i in range(5)] + [(None, 5 + i) for i in range(5)]
    assert d.json("counters")["pa"]["drops"]["vlan-not-member"] == 5
    d.ctl("mirror", "del", "m2")
    assert d.json("mirror", "show") == []


def tshark_fields(path, *fields):
    """One tuple of the fields' values per packet, as tshark decodes them."""
    cmd = ["tshark", "-r", path, "-T", "fields", "-E", "separator=,"]
    for f in fields:
        cmd += ["-e", f]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return [tuple(line.split(",")) for line in r.stdout.splitlines()]


def start_capture(d, *words, stdout):
    return subprocess.Popen(["ip", "netns", "exec", d.netns, VSWITCHCTL, "--socket", d.socket,
                             "capture"] + list(words), stdout=stdout, stderr=subprocess.PIPE)


def wait_for_capture(d, present=True):
    deadline = time.time() + 5
    while time.time() < deadline:
        names = [m["name"] for m in d.json("mirror", "show")]
        if any(x.startswith("capture-") for x in names) == present:
            return
        time.sleep(0.05)
    raise AssertionError("capture %s in mirror show" % ("not" if present else "still"))


def test_capture_count_writes_pcap_that_tcpdump_reads(lab):
    d, n, ns = lab
    path = os.path.join(d.workdir, "capture.pcap")
    with open(path, "wb") as out:
        cap = start_capture(d, "pa", "count", "10", "direction", "rx", stdout=out)
        wait_for_capture(d)
        send(n, ns["a"], MAC_A, MAC_B, [(10, i) for i in range(15)])
        _, err = cap.communicate(timeout=10)
    assert cap.returncode == 0, err
    assert b"10 frames captured, 0 dropped" in err
    r = subprocess.run(["tcpdump", "-n", "-e", "-r", path], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    lines = [x for x in r.stdout.splitlines() if not x.startswith(("\t", " "))]  # no hex
    assert len(lines) == 10 and all("vlan 10" in x for x in lines), r.stdout
    with open(path, "rb") as f:  # as `vswitchctl capture ... | tcpdump -r -` reads it
        piped = subprocess.run(["tcpdump", "-n", "-r", "-"], stdin=f, capture_output=True)
    assert piped.returncode == 0 and piped.stdout.count(b"\n") >= 10, piped.stderr
    from scapy.all import rdpcap
    assert seqs(rdpcap(path)) == [(10, i) for i in range(10)]
    assert tshark_fields(path, "vlan.id") == [("10",)] * 10
    wait_for_capture(d, present=False)


def test_capture_reader_exiting_early_leaves_the_daemon_forwarding(lab):
    d, n, ns = lab
    head = subprocess.Popen(["head", "-c", "200"], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL)
    cap = start_capture(d, "pa", stdout=head.stdin)
    head.stdin.close()
    wait_for_capture(d)
    send(n, ns["a"], MAC_A, MAC_B, [(10, i) for i in range(20)])
    head.wait(10)
    # vswitchctl finds the pipe closed at its next write, or on the next frames
    for _ in range(20):
        if cap.poll() is not None:
            break
        send(n, ns["a"], MAC_A, MAC_B, [(10, 100)])
        time.sleep(0.1)
    assert cap.wait(10) == 0
    wait_for_capture(d, present=False)
    # Ctrl-C ends a capture the same way, the tap removed
    cap = start_capture(d, "pb", stdout=subprocess.DEVNULL)
    wait_for_capture(d)
    cap.send_signal(signal.SIGINT)
    assert cap.wait(10) == 0
    wait_for_capture(d, present=False)
    before = d.json("counters")["pb"]["tx_packets"]
    send(n, ns["a"], MAC_A, MAC_B, [(None, i) for i in range(10)])
    time.sleep(0.2)
    assert d.json("counters")["pb"]["tx_packets"] - before == 10
    assert d.proc.poll() is None


def test_erspan_type_2_and_3_carry_every_frame_in_order(lab):
    from scapy.all import GRE, IP
    from scapy.contrib.erspan import ERSPAN_II, ERSPAN_III
    d, n, ns = lab
    add_collector(n, ns)
    d.ctl("mirror", "add", "sw", "e2", "source", "pa", "direction", "rx", "vlan", "10",
          "output", "erspan", "remote", "10.99.0.9", "local", "10.99.0.1", "session-id", "7")
    d.ctl("mirror", "add", "sw", "e3", "source", "pa", "direction", "tx", "output", "erspan",
          "remote", "10.99.0.9", "session-id", "9", "version", "3")
    path = os.path.join(d.workdir, "erspan.pcap")
    frames = dump_during(n, ns["col"], path, lambda: traffic(n, ns), 3 * N,
                         bpf=["proto", "gre"])
    v2 = [f for f in frames if ERSPAN_II in f]
    v3 = [f for f in frames if ERSPAN_III in f]
    assert all(f[IP].src == "10.99.0.1" and f[IP].dst == "10.99.0.9" for f in frames)
    assert {f[ERSPAN_II].session_id for f in v2} == {7}
    assert {f[ERSPAN_III].session_id for f in v3} == {9}
    assert [f[GRE].sequence_number for f in v2] == list(range(len(v2)))
    assert all(f[ERSPAN_III].d == 1 for f in v3)
    # rx of VLAN 10: a's tagged frames; tx (all VLANs): b's frames as they left pa
    assert seqs(v2) == [(10, i) for i in range(N)]
    assert seqs(v3) == [(10, 2 * N + i) for i in range(N)] + [(None, 3 * N + i)
                                                             for i in range(N)]
    assert all(f[ERSPAN_II].vlan == 10 for f in v2)
    # Wireshark's dissector agrees: version (1 = type II, 2 = type III),
    # session, direction, and the inner frames in order
    decoded = tshark_fields(path, "erspan.version", "erspan.spanid", "erspan.direction",
                            "data.data")
    seq_of = lambda hexdata: int(bytes.fromhex(hexdata)[4:8])  # noqa: E731
    assert [(v, s, seq_of(x)) for v, s, _, x in decoded if v == "1"] == \
        [("1", "7", i) for i in range(N)]
    assert [(v, s, dr, seq_of(x)) for v, s, dr, x in decoded if v == "2"] == \
        [("2", "9", "1", 2 * N + i) for i in range(2 * N)]
    shown = {m["name"]: m for m in d.json("mirror", "show")}
    assert shown["e2"]["mirrored"] == N and shown["e3"]["mirrored"] == 2 * N
    config = d.ctl("show", "running-config")
    assert ("mirror add sw e2 source pa direction rx vlan 10 output erspan remote 10.99.0.9 "
            "local 10.99.0.1 session-id 7 version 2\n") in config
