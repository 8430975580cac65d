"""Forwarding features driven through vswitchctl with real kernel peers:
three namespaces on afpacket ports of one switch, frames crafted and sniffed
with scapy, and TCP with every offload on."""
import os
import subprocess
import tempfile
import time

import pytest

from vswitch_lab.daemon import Daemon
from vswitch_lab.netns import Netns, unique

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces")

MACS = {"a": "02:00:00:0a:00:01", "b": "02:00:00:0a:00:02", "c": "02:00:00:0a:00:03"}


@pytest.fixture
def trio(workdir):
    """Namespaces a, b, c on ports pa, pb, pc of switch sw (learning)."""
    n = Netns()
    d = Daemon(tempfile.mkdtemp(dir=workdir), "")
    try:
        ns, links = {}, {}
        for i, h in enumerate("abc"):
            ns[h] = n.add("fw" + h)
            links[h] = n.veth(unique("vf" + h), ns[h], mac=MACS[h],
                              address="10.60.0.%d/24" % (i + 1))
        d.start()
        d.ctl("switch", "add", "sw")
        for h in "abc":
            d.ctl("port", "add", "sw", "p" + h, "type", "afpacket", "dev=" + links[h])
        yield d, n, ns, links
    finally:
        d.stop()
        n.cleanup()


def scapy_in(n, ns, code):
    r = n.run(ns, "/usr/bin/python3", "-c", "from scapy.all import *\n" + code, timeout=120)
    assert r.returncode == 0, r.stderr


def sniff_count(iface, action, match):
    """How many frames seen on iface while action() runs satisfy match."""
    from scapy.all import AsyncSniffer
    s = AsyncSniffer(iface=iface, store=True)
    s.start()
    time.sleep(0.4)
    try:
        action()
        time.sleep(0.4)
    finally:
        frames = s.stop()
    return sum(1 for f in frames if match(f))


def drops(d, port, reason):
    return d.json("counters", port)[port]["drops"][reason]


def fdb(d):
    return {(e["vlan"], e["mac"]): e for e in d.json("fdb", "show", "sw")}


def send_to(n, ns, dst, src, count=5):
    scapy_in(n, ns, "sendp(Ether(dst='%s', src='%s')/IP(dst='10.60.0.99')/UDP(dport=9), "
                    "iface='eth0', count=%d, verbose=0)" % (dst, src, count))


UNKNOWN = "02:00:00:0a:00:99"


def test_unknown_unicast_floods_in_learning_mode(trio):
    d, n, ns, links = trio
    seen = sniff_count(links["c"], lambda: send_to(n, ns["a"], UNKNOWN, MACS["a"]),
                       lambda f: f.dst == UNKNOWN)
    assert seen == 5


def test_unknown_unicast_goes_only_to_uplink_in_authoritative_mode(trio):
    d, n, ns, links = trio
    d.ctl("switch", "set", "sw", "mode", "authoritative")
    d.ctl("port", "set", "pc", "uplink", "on")
    seen_b = sniff_count(links["b"], lambda: send_to(n, ns["a"], UNKNOWN, MACS["a"]),
                         lambda f: f.dst == UNKNOWN)
    seen_c = sniff_count(links["c"], lambda: send_to(n, ns["a"], UNKNOWN, MACS["a"]),
                         lambda f: f.dst == UNKNOWN)
    assert (seen_b, seen_c) == (0, 5)


def test_learned_mac_is_used_and_ages_out(trio):
    d, n, ns, links = trio
    d.ctl("switch", "set", "sw", "ageing", "2")
    send_to(n, ns["b"], "ff:ff:ff:ff:ff:ff", MACS["b"], count=1)
    assert fdb(d)[(1, MACS["b"])]["port"] == "pb"
    # known now: a's frames to b do not reach c
    seen = sniff_count(links["c"], lambda: send_to(n, ns["a"], MACS["b"], MACS["a"]),
                       lambda f: f.dst == MACS["b"])
    assert seen == 0
    deadline = time.time() + 10
    while (1, MACS["b"]) in fdb(d) and time.time() < deadline:
        time.sleep(0.5)
    assert (1, MACS["b"]) not in fdb(d)


def test_static_mac_wins_and_spoofer_is_dropped(trio):
    d, n, ns, links = trio
    d.ctl("fdb", "add", "sw", "vlan", "1", "mac", MACS["c"], "port", "pc")
    assert fdb(d)[(1, MACS["c"])]["type"] == "static"
    before = drops(d, "pa", "static-conflict")
    send_to(n, ns["a"], "ff:ff:ff:ff:ff:ff", MACS["c"], count=3)  # a claims c's MAC
    assert drops(d, "pa", "static-conflict") - before == 3
    assert fdb(d)[(1, MACS["c"])]["port"] == "pc"
    assert "fdb add sw vlan 1 mac %s port pc" % MACS["c"] in d.ctl("show", "running-config")


def test_mac_limit_drops_new_sources(trio):
    d, n, ns, links = trio
    learned = d.json("port", "show", "pa")[0]["macs_learned"]
    d.ctl("port", "set", "pa", "mac-limit", str(learned + 2))
    scapy_in(n, ns["a"], "for i in range(5):\n"
             "    sendp(Ether(dst='ff:ff:ff:ff:ff:ff', src='02:00:00:0b:00:%02x' % i)/IP(), "
             "iface='eth0', verbose=0)")
    assert drops(d, "pa", "mac-limit") == 3
    port = d.json("port", "show", "pa")[0]
    assert port["macs_learned"] == learned + 2 and port["mac_limit"] == learned + 2


def test_counters_count_what_crossed(trio):
    d, n, ns, links = trio
    d.ctl("counters", "clear")
    r = n.run(ns["a"], "ping", "-c", "5", "-i", "0.2", "-W", "1", "10.60.0.2")
    assert r.returncode == 0
    c = d.json("counters")
    assert c["pa"]["rx_packets"] >= 5 and c["pb"]["tx_packets"] >= 5
    assert c["pb"]["rx_packets"] >= 5 and c["pa"]["tx_packets"] >= 5


RECEIVER = """
import hashlib, socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.60.0.2", 5201)); s.listen(1); print("ready", flush=True)
c, _ = s.accept(); h = hashlib.sha256(); n = 0
while True:
    b = c.recv(1 << 20)
    if not b:
        break
    h.update(b); n += len(b)
print(n, h.hexdigest(), flush=True)
"""

SENDER = """
import hashlib, random, socket, sys
total = int(sys.argv[1]); rng = random.Random(7); h = hashlib.sha256()
block = rng.randbytes(1 << 20); s = socket.create_connection(("10.60.0.2", 5201))
sent = 0
while sent < total:
    chunk = block[: min(len(block), total - sent)]
    chunk = bytes([sent // len(block) % 256]) + chunk[1:]  # every MiB differs
    s.sendall(chunk); h.update(chunk); sent += len(chunk)
s.close(); print(sent, h.hexdigest())
"""


def test_tcp_with_all_offloads_on_moves_every_byte(trio):
    d, n, ns, links = trio
    features = n.run(ns["a"], "ethtool", "-k", "eth0").stdout
    assert "tcp-segmentation-offload: on" in features
    receiver = subprocess.Popen(["ip", "netns", "exec", ns["b"], "/usr/bin/python3", "-c",
                                 RECEIVER], stdout=subprocess.PIPE, text=True)
    try:
        assert receiver.stdout.readline().strip() == "ready"
        want = 200 * 1024 * 1024
        r = n.run(ns["a"], "/usr/bin/python3", "-c", SENDER, str(want), timeout=120)
        assert r.returncode == 0, r.stderr
        sent = r.stdout.split()
        got = receiver.communicate(timeout=60)[0].split()
        assert int(sent[0]) == want
        assert got == sent, "received %s, sent %s" % (got, sent)
    finally:
        if receiver.poll() is None:
            receiver.kill()
    # it crossed as GSO super-frames, not 1500-byte segments
    c = d.json("counters")
    assert c["pa"]["rx_bytes"] / c["pa"]["rx_packets"] > 8000
