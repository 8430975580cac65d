"""Rate limits with real kernel peers (docs/rate-limits.md): three namespaces
on afpacket ports of one switch. Ingress policing and egress shaping hold
iperf3's UDP and TCP to the configured rate within 5 %, storm control caps a
broadcast flood to its packets/s while a unicast flow between two other
ports loses nothing, and the settings survive show running-config into a
fresh daemon.

Rates count Ethernet bytes (header and payload, no FCS, preamble or gap), as
Linux tc and Open vSwitch do; iperf3 reports payload, so each check compares
the receiver's rate with the limit times the payload's share of a frame."""
import json
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

ADDRESS = {h: "10.61.0.%d" % (i + 1) for i, h in enumerate("abc")}
UDP_PAYLOAD = 1400
UDP_SHARE = UDP_PAYLOAD / (UDP_PAYLOAD + 8 + 20 + 14)
TCP_SHARE = 1448 / 1514  # MSS with timestamps in a 1514-byte frame
# UDP: 1 Gbit/s of 1442-byte frames is beyond what afpacket ports carry on
# a loaded 2-core machine running the sanitizer build (the kernel drops
# them as rx-overflow from about 200 Mbit/s there), so the third rate is
# the highest one reliably below that. TCP moves as 64 KB super-frames and
# reaches 1 Gbit/s.
UDP_RATES = [10_000_000, 100_000_000, 150_000_000]
TCP_RATES = [10_000_000, 100_000_000, 1_000_000_000]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """Namespaces a, b, c (10.61.0.1-3) on ports pa, pb, pc of switch sw."""
    n = Netns()
    d = Daemon(tempfile.mkdtemp(dir=tmp_path_factory.mktemp("rl")), "")
    try:
        ns, links = {}, {}
        for h in "abc":
            ns[h] = n.add("rl" + h)
            links[h] = n.veth(unique("vr" + h), ns[h], address=ADDRESS[h] + "/24")
        d.start()
        d.ctl("switch", "add", "sw")
        for h in "abc":
            d.ctl("port", "add", "sw", "p" + h, "type", "afpacket", "dev=" + links[h])
        for h in "abc":  # every MAC learned, ARP resolved
            n.run(ns[h], "ping", "-c1", "-W1", ADDRESS["b" if h != "b" else "a"])
        yield d, n, ns
    finally:
        d.stop()
        n.cleanup()


def burst(rate):
    """A burst of 250 ms of the rate, in bytes: the credit a stall of the
    daemon or of iperf3 on a loaded machine would otherwise waste, so that
    the average over the run is the limiter's, not the scheduler's."""
    return rate // 8 // 4


def clear(d):
    """Every port without limits, every counter at 0."""
    for port in ("pa", "pb", "pc"):
        d.ctl("port", "set", port, "ingress-rate", "off", "egress-rate", "off",
              "storm-broadcast", "off", "storm-multicast", "off", "storm-unknown", "off")
    d.ctl("counters", "clear")


def wait_listening(n, ns, port):
    for _ in range(100):
        if ":%d " % port in n.run(ns, "ss", "-Hltnu").stdout:
            return
        time.sleep(0.02)
    raise RuntimeError("iperf3 server did not start")


def iperf(n, ns, sender, receiver, udp_bps=None, seconds=2, port=5301):
    """iperf3 from `sender` to `receiver` for `seconds` after one omitted
    second; the receiver's payload rate in bit/s."""
    server = subprocess.Popen(["ip", "netns", "exec", ns[receiver], "iperf3", "-s", "-1",
                               "-p", str(port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        wait_listening(n, ns[receiver], port)
        cmd = ["iperf3", "-c", ADDRESS[receiver], "-p", str(port), "-t", str(seconds), "-O",
               "1", "-J", "--connect-timeout", "3000"]
        if udp_bps:
            cmd += ["-u", "-b", str(udp_bps), "-l", str(UDP_PAYLOAD)]
        r = n.run(ns[sender], *cmd, timeout=seconds + 20)
        result = json.loads(r.stdout)
        assert "error" not in result, result["error"]
        # What the server received after the omitted second (iperf3 3.12's
        # lost_percent counts the omitted second's datagrams as lost).
        return result["end"]["sum_received"]["bits_per_second"]
    finally:
        if server.poll() is None:
            server.kill()
        server.wait()


def assert_rate(run, want, what):
    """run() measures a rate; it must be within 5 % of want. This 2-core
    machine is shared with other busy work, which can take the CPU from the
    daemon or iperf3 for much of a 2-second run: a second run decides."""
    for attempt in range(2):
        got = run()
        if abs(got - want) <= 0.05 * want:
            return
    raise AssertionError("%s: %.1f Mbit/s, want %.1f Mbit/s +- 5 %%" % (what, got / 1e6,
                                                                       want / 1e6))


@pytest.mark.parametrize("rate", UDP_RATES)
def test_udp_through_ingress_policing_gets_the_rate(lab, rate):
    d, n, ns = lab
    clear(d)
    d.ctl("port", "set", "pa", "ingress-rate", rate)  # the default burst, 100 ms
    # 20 % above the rate empties the burst within the omitted second.
    assert_rate(lambda: iperf(n, ns, "a", "b", udp_bps=int(rate * 1.2)), rate * UDP_SHARE,
                "UDP policed at %d" % rate)
    drops = d.json("port", "show", "pa")[0]["counters"]["drops"]
    assert drops["policed"] > 0


@pytest.mark.parametrize("rate", TCP_RATES)
def test_tcp_through_egress_shaping_gets_the_rate(lab, rate):
    d, n, ns = lab
    clear(d)
    d.ctl("port", "set", "pb", "egress-rate", rate, "egress-burst", burst(rate))
    assert_rate(lambda: iperf(n, ns, "a", "b"), rate * TCP_SHARE, "TCP shaped at %d" % rate)


def test_tcp_through_ingress_policing_with_a_long_burst_gets_the_rate(lab):
    """A policer drops a whole 64 KB super-frame (45 segments) at a time,
    and TCP answers such losses with a sawtooth: about half the rate with
    the default burst of 100 ms (docs/rate-limits.md has the figures). With
    the burst the docs advise for TCP, about 300 ms of the rate, it gets
    the rate."""
    d, n, ns = lab
    rate = 100_000_000
    clear(d)
    d.ctl("port", "set", "pa", "ingress-rate", rate, "ingress-burst", "4M")
    assert_rate(lambda: iperf(n, ns, "a", "b"), rate * TCP_SHARE, "TCP policed at %d" % rate)
    assert d.json("port", "show", "pa")[0]["counters"]["drops"]["policed"] > 0


def test_udp_through_egress_shaping_is_delayed_then_dropped(lab):
    d, n, ns = lab
    rate = 50_000_000
    clear(d)
    d.ctl("port", "set", "pb", "egress-rate", rate)
    assert_rate(lambda: iperf(n, ns, "a", "b", udp_bps=int(rate * 1.2), seconds=1),
                rate * UDP_SHARE, "UDP shaped at %d" % rate)
    pb = d.json("port", "show", "pb")[0]
    assert pb["counters"]["drops"]["shaper-full"] > 0
    assert pb["rate_limits"]["egress_rate"] == rate


BROADCAST_FLOOD = r"""
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
frame = b"\xff" * 6 + bytes.fromhex(sys.argv[1].replace(":", "")) + b"\x88\xb5" + bytes(46)
seconds, rate = float(sys.argv[2]), float(sys.argv[3])
start = time.monotonic(); n = 0
while time.monotonic() - start < seconds:
    due = int((time.monotonic() - start) * rate)
    while n < due:
        s.send(frame); n += 1
    time.sleep(0.001)
print(n)
"""


def storm_passed(d):
    """Broadcasts pa let through so far, and when that was read."""
    c = d.json("port", "show", "pa")[0]["counters"]
    return c["rx_packets"] - c["drops"]["storm-broadcast"], time.monotonic()


def test_storm_control_caps_a_broadcast_flood_while_unicast_flows(lab):
    d, n, ns = lab
    clear(d)
    pps, flood_pps = 2000, 10000
    d.ctl("port", "set", "pa", "storm-broadcast", pps)
    mac = n.run(ns["a"], "cat", "/sys/class/net/eth0/address").stdout.strip()
    # Five times the cap, paced: a flood as fast as Python sends saturates
    # the sanitizer-built daemon, and on a loaded machine a daemon stalled
    # longer than the bucket (100 ms) loses credit, which is the machine,
    # not storm control.
    flood = subprocess.Popen(["ip", "netns", "exec", ns["a"], "/usr/bin/python3", "-c",
                              BROADCAST_FLOOD, mac, "3.5", str(flood_pps)],
                             stdout=subprocess.PIPE, text=True)
    rates, pings = [], []
    try:
        time.sleep(0.5)  # the flood runs, the first bucket is spent
        first, t0 = storm_passed(d)
        for _ in range(2):  # windows of about a second; a second one if the first was off
            pings.append(n.run(ns["c"], "ping", "-q", "-i", "0.01", "-c", "100", "-W", "1",
                               ADDRESS["b"]).stdout)
            last, t1 = storm_passed(d)
            rates.append((last - first) / (t1 - t0))
            if abs(rates[-1] - pps) <= 0.05 * pps:
                break
            first, t0 = last, t1
        sent = int(flood.communicate(timeout=30)[0])
    finally:
        if flood.poll() is None:
            flood.kill()
            flood.wait()
    for text in pings:  # the unicast flow between two other ports lost nothing
        assert " 0% packet loss" in text, text
    pa = d.json("port", "show", "pa")[0]
    assert sent > 4 * pps * 3.5, "the flood was too slow to test the cap: %d" % sent
    assert pa["counters"]["drops"]["storm-broadcast"] > 5 * pps
    assert abs(rates[-1] - pps) <= 0.05 * pps, "broadcasts/s passed %s, cap %d" % (rates, pps)
    assert pa["rate_limits"]["storm"]["broadcast"]["pps"] == pps


def test_settings_survive_running_config_into_a_fresh_daemon(lab, tmp_path):
    d, n, ns = lab
    clear(d)
    d.ctl("port", "set", "pa", "ingress-rate", "100M", "ingress-burst", "64k", "storm-unknown",
          "500")
    d.ctl("port", "set", "pb", "egress-rate", "1500001", "egress-peak", "2G", "egress-burst",
          "1M", "storm-broadcast", "1000", "storm-multicast", "5000")
    text = d.ctl("show", "running-config")
    assert "ingress-rate 100M ingress-burst 64k storm-unknown 500" in text
    assert "egress-rate 1500001 egress-peak 2G egress-burst 1M storm-broadcast 1000 " \
           "storm-multicast 5000" in text
    # The same lines, on pipe ports, load into a daemon of their own.
    fresh_text = re.sub(r" type afpacket dev=\S+", " type pipe", text)
    fresh = Daemon(str(tmp_path), fresh_text).start()
    try:
        assert fresh.ctl("show", "running-config") == fresh_text
        pb = fresh.json("port", "show", "pb")[0]["rate_limits"]
        assert pb["egress_rate"] == 1500001 and pb["egress_burst"] == 1 << 20
    finally:
        fresh.stop()
    clear(d)
