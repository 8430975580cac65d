"""Forwarding with real kernel peers: two namespaces on afpacket ports of one
switch, and TCP with every offload on, checked byte for byte. The
forwarding rules themselves (flooding, learning, ageing, static MACs, MAC
limits, counters) are proven without root in test_pipe_forwarding.py."""
import os
import subprocess
import tempfile

import pytest

from vswitch_lab.daemon import Daemon
from vswitch_lab.netns import Netns, unique

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces")


@pytest.fixture
def pair(workdir):
    """Namespaces a (10.60.0.1) and b (10.60.0.2) on ports pa, pb of switch sw."""
    n = Netns()
    d = Daemon(tempfile.mkdtemp(dir=workdir), "")
    try:
        ns, links = {}, {}
        for i, h in enumerate("ab"):
            ns[h] = n.add("fw" + h)
            links[h] = n.veth(unique("vf" + h), ns[h], address="10.60.0.%d/24" % (i + 1))
        d.start()
        d.ctl("switch", "add", "sw")
        for h in "ab":
            d.ctl("port", "add", "sw", "p" + h, "type", "afpacket", "dev=" + links[h])
        yield d, n, ns
    finally:
        d.stop()
        n.cleanup()


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


def test_tcp_with_all_offloads_on_moves_every_byte(pair):
    d, n, ns = pair
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
