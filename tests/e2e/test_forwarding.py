"""Forwarding with real kernel peers: two namespaces on afpacket ports of one
switch, and TCP with every offload on, checked byte for byte. The
forwarding rules themselves (flooding, learning, ageing, static MACs, MAC
limits, counters) are proven without root in test_pipe_forwarding.py."""
import os
import tempfile

import pytest

from vswitch_lab import tcp
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



def test_tcp_with_all_offloads_on_moves_every_byte(pair):
    d, n, ns = pair
    features = n.run(ns["a"], "ethtool", "-k", "eth0").stdout
    assert "tcp-segmentation-offload: on" in features
    want = 200 * 1024 * 1024
    sent, got = tcp.transfer(n, ns["a"], ns["b"], "10.60.0.2", want)
    assert int(sent[0]) == want
    assert got == sent, "received %s, sent %s" % (got, sent)
    # it crossed as GSO super-frames, not 1500-byte segments
    c = d.json("counters")
    assert c["pa"]["rx_bytes"] / c["pa"]["rx_packets"] > 8000
