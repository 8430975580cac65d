"""Security groups end to end: a VM namespace (vm, 10.61.0.1) on a port with
a security group and a peer namespace (peer, 10.61.0.2) on a port without,
both afpacket ports of one switch. Allowed connections pass both ways and
their return traffic passes; what no rule allows is dropped and counted per
rule and per drop reason; forged replies (a SYN-ACK, a UDP answer) without a
request are dropped; a SYN flood fills the connection table to conntrack-max
and no further, counted, while an established connection keeps working."""
import os
import subprocess
import tempfile
import time

import pytest

from vswitch_lab import tcp
from vswitch_lab.daemon import Daemon
from vswitch_lab.netns import Netns, unique

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces")

VM, PEER = "10.61.0.1", "10.61.0.2"

RULES = [
    # to the VM: its TCP service on 5201 and 7000-7001
    "acl add web direction ingress proto tcp port 5201",
    "acl add web direction ingress proto tcp port 7000-7001 remote 10.61.0.0/24",
    # from the VM: ping and DNS only
    "acl add out direction egress proto icmp",
    "acl add out direction egress ethertype ipv4 proto udp port 53",
]


@pytest.fixture
def lab(workdir, request):
    """With a param: vswitchd --cores LIST, the VM port's table shared by
    two poll threads (its receive, and sends to it from the peer's)."""
    n = Netns()
    cores = getattr(request, "param", None)
    d = Daemon(tempfile.mkdtemp(dir=workdir), "", args=["--cores", cores] if cores else [])
    try:
        ns, links = {}, {}
        for i, h in enumerate(("vm", "peer")):
            ns[h] = n.add("sg" + h)
            links[h] = n.veth(unique("vsg"), ns[h], address="10.61.0.%d/24" % (i + 1))
        d.start()
        d.ctl("switch", "add", "sw")
        d.ctl("port", "add", "sw", "pvm", "type", "afpacket", "dev=" + links["vm"])
        d.ctl("port", "add", "sw", "ppeer", "type", "afpacket", "dev=" + links["peer"])
        for rule in RULES:
            d.ctl(*rule.split())
        d.ctl("port", "set", "pvm", "security-group", "web,out", "conntrack-max", "64")
        yield d, n, ns
    finally:
        d.stop()
        n.cleanup()


def drops(d, reason):
    return d.json("counters")["pvm"]["drops"][reason]


def rule_packets(d, group):
    return [r["packets"] for r in d.json("acl", "show", group)[0]["rules"]]


def scapy_in(n, ns, code):
    r = n.run(ns, "/usr/bin/python3", "-c", "from scapy.all import *\nconf.verb = 0\n" + code,
              timeout=60)
    assert r.returncode == 0, r.stderr


def ping(n, ns, address):
    return n.run(ns, "ping", "-c", "1", "-W", "1", address).returncode == 0


@pytest.mark.parametrize("lab", [None, "0,1"], indirect=True, ids=["one-thread", "cores"])
def test_allowed_pass_both_ways_others_dropped_and_counted(lab):
    d, n, ns = lab
    # TCP to the VM's port 5201: the VM's segments back pass as return traffic
    # (no egress rule allows TCP).
    sent, got = tcp.transfer(n, ns["peer"], ns["vm"], VM, 8 << 20, port=5201, timeout=30)
    assert got == sent
    web = rule_packets(d, "web")
    assert web[0] > 20 and web[1] == 0
    # the VM pings out and the replies come back; the peer cannot ping in
    assert ping(n, ns["vm"], PEER)
    assert rule_packets(d, "out")[0] == 2
    before = drops(d, "acl-deny")
    assert not ping(n, ns["peer"], VM)
    assert drops(d, "acl-deny") == before + 1
    # TCP from the VM out, and to a port no rule names: dropped, counted
    assert n.run(ns["vm"], "/usr/bin/python3", "-c",
                 "import socket; socket.create_connection(('%s', 80), timeout=1)" % PEER
                 ).returncode != 0
    assert drops(d, "acl-deny") >= before + 2
    text = d.ctl("acl", "show")
    assert "rule 1: priority 1000 direction ingress proto tcp port 5201" in text
    assert "security group out (ports: pvm)" in text
    assert "security groups web,out" in d.ctl("port", "show", "pvm")


def test_replies_without_a_request_are_dropped(lab):
    d, n, ns = lab
    assert not ping(n, ns["peer"], VM)  # resolves the VM's MAC: ARP always passes
    deny, invalid = drops(d, "acl-deny"), drops(d, "conntrack-invalid")
    scapy_in(n, ns["peer"], """
sendp(Ether(dst=getmacbyip('%(vm)s'))/IP(src='%(peer)s', dst='%(vm)s')/
      TCP(sport=80, dport=40000, flags='SA'), iface='eth0')
sendp(Ether(dst=getmacbyip('%(vm)s'))/IP(src='%(peer)s', dst='%(vm)s')/
      TCP(sport=40000, dport=5201, flags='SA'), iface='eth0')
sendp(Ether(dst=getmacbyip('%(vm)s'))/IP(src='%(peer)s', dst='%(vm)s')/
      UDP(sport=53, dport=5353)/b'answer', iface='eth0')
""" % {"vm": VM, "peer": PEER})
    time.sleep(0.3)
    assert drops(d, "acl-deny") == deny + 2  # SYN-ACK from 80, DNS "answer"
    assert drops(d, "conntrack-invalid") == invalid + 1  # SYN-ACK to an allowed port
    # After the VM asks, the answer passes (counted on the egress DNS rule).
    receiver = subprocess.Popen(
        ["ip", "netns", "exec", ns["vm"], "/usr/bin/python3", "-c",
         "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);"
         "s.bind(('%s', 5353)); s.settimeout(5); s.sendto(b'q', ('%s', 53));"
         "print(s.recvfrom(100)[0].decode(), flush=True)" % (VM, PEER)],
        stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)
        scapy_in(n, ns["peer"], """
sendp(Ether(dst=getmacbyip('%(vm)s'))/IP(src='%(peer)s', dst='%(vm)s')/
      UDP(sport=53, dport=5353)/b'answer', iface='eth0')
""" % {"vm": VM, "peer": PEER})
        assert receiver.communicate(timeout=10)[0].strip() == "answer"
    finally:
        if receiver.poll() is None:
            receiver.kill()
            receiver.wait()
    assert rule_packets(d, "out")[1] == 2


ECHO_SERVER = """
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 7000)); s.listen(1); print("ready", flush=True)
c, _ = s.accept()
while True:
    b = c.recv(100)
    if not b:
        break
    c.sendall(b)
"""

ECHO_CLIENT = """
import socket, sys
s = socket.create_connection((sys.argv[1], 7000), timeout=5)
s.sendall(b"one"); print(s.recv(100).decode(), flush=True)
sys.stdin.readline()
s.sendall(b"two"); print(s.recv(100).decode(), flush=True)
"""


@pytest.mark.parametrize("lab", [None, "0,1"], indirect=True, ids=["one-thread", "cores"])
def test_syn_flood_fills_the_table_to_its_limit_only(lab):
    d, n, ns = lab
    server = subprocess.Popen(["ip", "netns", "exec", ns["vm"], "/usr/bin/python3", "-c",
                               ECHO_SERVER, VM], stdout=subprocess.PIPE, text=True)
    client = None
    try:
        assert server.stdout.readline().strip() == "ready"
        client = subprocess.Popen(["ip", "netns", "exec", ns["peer"], "/usr/bin/python3", "-c",
                                   ECHO_CLIENT, VM], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        assert client.stdout.readline().strip() == "one"
        full = drops(d, "conntrack-full")
        scapy_in(n, ns["peer"], """
mac = getmacbyip('%(vm)s')
# 400 distinct source ports: a random one repeats by chance (~1 in 400 pairs
# collide) and a repeat matches its own entry instead of being refused.
frames = [Ether(dst=mac)/IP(src='%(peer)s', dst='%(vm)s')/
          TCP(sport=20000 + i, dport=5201, flags='S', seq=RandInt()) for i in range(400)]
sendp(frames, iface='eth0')
""" % {"vm": VM, "peer": PEER})
        time.sleep(0.3)
        table = d.json("conntrack", "show", "sw")[0]
        assert table["port"] == "pvm" and table["max"] == 64
        assert table["count"] == 64
        assert table["refused_full"] >= 400 - 64
        assert drops(d, "conntrack-full") >= full + 400 - 64
        client.stdin.write("go\n")
        client.stdin.flush()
        assert client.stdout.readline().strip() == "two"
        # Both ends close (their FINs pass) before the table is flushed, so
        # nothing reopens an entry after it.
        client.wait(timeout=10)
        server.wait(timeout=10)
        time.sleep(0.3)
        d.ctl("conntrack", "flush")
        assert d.json("conntrack", "show")[0]["count"] == 0
    finally:
        for p in (client, server):
            if p and p.poll() is None:
                p.kill()
                p.wait()
