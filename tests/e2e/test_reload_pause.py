"""A large reload does not stop forwarding: the control thread reads and
checks the file, and the data plane installs the 30 000 static MACs in
slices between batches. A ping every 10 ms through the switch must never
wait long (the bound is generous: the figure itself is measured by
`make bench-reload`), and the table must hold every MAC afterwards."""
import os
import re
import subprocess
import tempfile
import time

import pytest

from vswitch_lab.daemon import Daemon
from vswitch_lab.netns import Netns, unique

pytestmark = [pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces"),
              pytest.mark.serial]

STATICS = 30000


def startup_text(la, lb, statics):
    lines = ["switch add sw fdb-capacity 65536",
             "port add sw pa type afpacket dev=" + la,
             "port add sw pb type afpacket dev=" + lb,
             "port add sw spare type pipe"]
    lines += ["fdb add sw vlan 1 mac 02:%02x:%02x:00:00:01 port spare" % (i >> 8, i & 0xff)
              for i in range(statics)]
    return "\n".join(lines) + "\n"


@pytest.fixture
def lab(workdir):
    n = Netns()
    d = None
    try:
        a, b = n.add("rla"), n.add("rlb")
        la = n.veth(unique("vra"), a, address="10.81.0.1/24")
        lb = n.veth(unique("vrb"), b, address="10.81.0.2/24")
        d = Daemon(tempfile.mkdtemp(dir=workdir), startup_text(la, lb, 0)).start()
        yield d, n, a, la, lb
    finally:
        if d:
            d.stop()
        n.cleanup()


def rtt_max_ms(out):
    m = re.search(r"rtt min/avg/max/mdev = [\d.]+/[\d.]+/([\d.]+)/", out)
    assert m, out
    return float(m.group(1))


def test_reload_of_30000_static_macs_does_not_stall_forwarding(lab):
    d, n, a, la, lb = lab
    assert n.run(a, "ping", "-c", "2", "-W", "1", "10.81.0.2").returncode == 0
    for statics in (STATICS, 0):  # install them all, then remove them all
        with open(d.config, "w") as f:
            f.write(startup_text(la, lb, statics))
        ping = subprocess.Popen(["ip", "netns", "exec", a, "ping", "-q", "-c", "300", "-i",
                                 "0.01", "-W", "2", "10.81.0.2"], stdout=subprocess.PIPE,
                                text=True)
        time.sleep(0.5)
        started = time.monotonic()
        d.ctl("reload")
        took = time.monotonic() - started
        assert ping.poll() is None, "the ping stream must outlast the reload"
        out, _ = ping.communicate(timeout=60)
        print("reload to %d static MACs: %.0f ms, ping rtt max %.1f ms"
              % (statics, took * 1000, rtt_max_ms(out)))
        assert "300 packets transmitted, 300 received" in out, out
        assert rtt_max_ms(out) < 200, out
        entries = d.json("fdb", "show", "sw", "port", "spare")
        # every static MAC is there, none left over when the file has none
        text = d.ctl("show", "running-config")
        assert text.count("fdb add sw") == statics
        assert d.ctl("fdb", "show", "sw", "port", "spare").count("static") == statics, entries
