"""IPFIX export (docs/ipfix.md) with real traffic: a vswitchd in its own
namespace with afpacket ports to hosts a and b, a collector socket on the
daemon namespace's loopback, tcpdump capturing what reaches it and tshark's
cflow dissector decoding the records. Hosts have no addresses and no IPv6
stack: the only frames are the ones the test sends with scapy, so every
flow, packet and byte count is known."""
import json
import os
import subprocess
import tempfile
import time

import pytest

from vswitch_lab.daemon import Daemon
from vswitch_lab.netns import Netns

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces")

MAC_A = "02:00:00:00:aa:01"
MAC_B = "02:00:00:00:bb:02"
PORT4, PORT6 = 4739, 4740


@pytest.fixture
def lab(workdir, request):
    """Switch sw in namespace dp with ports pa, pb to hosts a and b.
    request.param: vswitchd's extra arguments."""
    n = Netns()
    d = None
    procs = []
    try:
        ns = {h: n.add("ipfx" + h) for h in ("dp", "a", "b")}
        for h, mac in (("a", MAC_A), ("b", MAC_B)):
            n.link(ns["dp"], "p" + h, ns[h], "eth0")
            n.run(ns[h], "ip", "link", "set", "eth0", "address", mac, check=True)
        n.run(ns["dp"], "sysctl", "-qw", "net.ipv6.conf.lo.disable_ipv6=0", check=True)
        d = Daemon(tempfile.mkdtemp(dir=workdir), "", netns=ns["dp"],
                   args=getattr(request, "param", ())).start()
        d.ctl("switch", "add", "sw")
        for p in ("pa", "pb"):
            d.ctl("port", "add", "sw", p, "type", "afpacket", "dev=" + p)
        # b speaks first: the switch knows where b is, a's frames are unicast
        n.run(ns["b"], "/usr/bin/python3", "-c", HELLO, check=True)
        yield d, n, ns, procs
        assert d.stop() == 0, d.log_text()
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)
        if d:
            d.stop()
        n.cleanup()


# b's one broadcast frame (EtherType 0x88b6), sent before any exporter
# exists: a raw socket, faster to start than scapy.
HELLO = """
import socket
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
s.send(b"\\xff" * 6 + bytes.fromhex("%s") + b"\\x88\\xb6" + bytes(46))
""" % MAC_B.replace(":", "")


def send(n, ns, *packets):
    """Sends scapy expressions of lists of packets (A and B are the hosts'
    MACs) on ns's eth0, in order."""
    script = ("from scapy.all import *\nA, B = %r, %r\nps = []\n" % (MAC_A, MAC_B) +
              "".join("ps += %s\n" % p for p in packets) +
              "sendp(ps, iface='eth0', verbose=False)\n")
    n.run(ns, "/usr/bin/python3", "-c", script, check=True)


def collector(n, ns, procs, workdir, address, port):
    """A UDP socket at address:port in the daemon's namespace (so that no
    ICMP unreachable comes back) and tcpdump on lo writing what reaches it."""
    family = "AF_INET6" if ":" in address else "AF_INET"
    listener = subprocess.Popen(
        ["ip", "netns", "exec", ns, "/usr/bin/python3", "-c",
         "import socket, time\ns = socket.socket(socket.%s, socket.SOCK_DGRAM)\n"
         "s.bind((%r, %d))\nprint('bound', flush=True)\ntime.sleep(60)\n"
         % (family, address, port)], stdout=subprocess.PIPE, text=True)
    procs.append(listener)
    assert listener.stdout.readline().strip() == "bound"
    path = os.path.join(workdir, "ipfix-%d.pcap" % port)
    dump = subprocess.Popen(["ip", "netns", "exec", ns, "tcpdump", "-n", "-U", "-Z", "root",
                             "-i", "lo", "-w", path, "udp", "port", str(port)],
                            stderr=subprocess.PIPE, text=True)
    procs.append(dump)
    assert "listening on" in dump.stderr.readline()
    return path


def wait_exported(d, name, records, timeout=10):
    """Until the exporter has ended `records` flows (idle timeout 1 s)
    and sent them."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        shown = d.json("ipfix", "show", name)[0]
        if shown["expired"] >= records and shown["flows"] == 0 and \
                shown["records"] >= shown["expired"]:
            time.sleep(0.3)  # tcpdump writes it
            return shown
        time.sleep(0.2)
    raise AssertionError("not exported: %s" % d.json("ipfix", "show", name))


def decode(path, port):
    """Every data record tshark decodes, as a dict of cflow.* fields, and the
    messages' headers with the count of their data records."""
    out = subprocess.run(["tshark", "-r", path, "-d", "udp.port==%d,cflow" % port, "-T", "json",
                          "-J", "cflow"], capture_output=True, text=True, check=True).stdout
    records, headers = [], []

    def walk(node, into):
        if isinstance(node, dict):
            flat = {k: v for k, v in node.items() if not isinstance(v, (dict, list))}
            if "cflow.packets" in flat or "cflow.ethernet_type" in flat or \
                    "cflow.sampling_packet_space" in flat:
                into.append(flat)
            for v in node.values():
                if isinstance(v, (dict, list)):
                    walk(v, into)
        elif isinstance(node, list):
            for v in node:
                walk(v, into)

    for pkt in json.loads(out or "[]"):
        cflow = pkt["_source"]["layers"]["cflow"]
        before = len(records)
        walk(cflow, records)
        headers.append(dict({k: v for k, v in cflow.items() if not isinstance(v, (dict, list))},
                            records=len(records) - before))
    return records, headers


UDP4 = "Ether(src=A, dst=B)/IP(src='10.97.0.1', dst='10.97.0.2')/UDP(sport=5000, dport=%d)/Raw(bytes(%d))"
FLOWS4 = {7001: (5, 100), 7002: (7, 200), 7003: (9, 300)}  # dport: packets, payload bytes


def test_flows_packets_and_bytes_reach_the_collector(lab, workdir):
    d, n, ns, procs = lab
    path = collector(n, ns["dp"], procs, workdir, "127.0.0.1", PORT4)
    d.ctl("ipfix", "add", "fx", "switch", "sw", "collector", "127.0.0.1:%d" % PORT4,
          "obs-domain", "42", "idle-timeout", "1")
    packets = ["[%s]*%d" % (UDP4 % (dport, size), count)
               for dport, (count, size) in FLOWS4.items()]
    send(n, ns["a"], *packets,
         "[Ether(src=A, dst=B)/IP(src='10.97.0.1', dst='10.97.0.2')/TCP(sport=6000, dport=80, flags='S')]",
         "[Ether(src=A, dst=B)/IP(src='10.97.0.1', dst='10.97.0.2')/TCP(sport=6000, dport=80, flags='A')/Raw(bytes(10))]",
         "[Ether(src=A, dst=B)/IPv6(src='fd97::1', dst='fd97::2')/UDP(sport=5000, dport=7006)/Raw(bytes(64))]*4",
         "[Ether(src=A, dst=B, type=0x88b5)/Raw(bytes(46))]*6")
    shown = wait_exported(d, "fx", 6)
    assert shown["refused"] == 0 and shown["dropped"] == 0 and shown["send_errors"] == 0
    ifaces = shown["interfaces"]
    records, headers = decode(path, PORT4)
    # every message from observation domain 42, sequence numbers counting
    # the data records before each message (RFC 7011 §3.1)
    assert all(h["cflow.version"] == "10" and h["cflow.od_id"] == "42" for h in headers)
    seq = 0
    for h in headers:
        assert int(h["cflow.sequence"]) == seq
        seq += h["records"]
    flows = [r for r in records if "cflow.packets" in r]
    assert len(flows) == 6
    by_port = {int(r["cflow.dstport"]): r for r in flows if "cflow.dstport" in r}
    for r in flows:  # all from a's port to b's, learned: one egress port
        assert (r["cflow.inputint"], r["cflow.outputint"]) == (str(ifaces["pa"]),
                                                               str(ifaces["pb"]))
        assert r["cflow.vlanid"] == "1" and r["cflow.flow_end_reason"] == "1"  # idle
    for dport, (count, size) in FLOWS4.items():
        r = by_port[dport]
        assert (r["cflow.srcaddr"], r["cflow.dstaddr"]) == ("10.97.0.1", "10.97.0.2")
        assert (r["cflow.protocol"], r["cflow.srcport"]) == ("17", "5000")
        assert int(r["cflow.packets"]) == count
        assert int(r["cflow.octets"]) == count * (20 + 8 + size)
        assert int(r["cflow.layer2_octet_delta_count"]) == count * (14 + 20 + 8 + size)
    tcp = by_port[80]
    assert tcp["cflow.protocol"] == "6" and int(tcp["cflow.tcpflags"], 16) == 0x12  # SYN|ACK
    assert int(tcp["cflow.packets"]) == 2 and int(tcp["cflow.octets"]) == 40 + 50
    v6 = by_port[7006]
    assert (v6["cflow.srcaddrv6"], v6["cflow.dstaddrv6"]) == ("fd97::1", "fd97::2")
    assert int(v6["cflow.packets"]) == 4 and int(v6["cflow.octets"]) == 4 * (40 + 8 + 64)
    l2 = [r for r in flows if "cflow.ethernet_type" in r]
    assert len(l2) == 1
    assert (l2[0]["cflow.srcmac"], l2[0]["cflow.dstmac"]) == (MAC_A, MAC_B)
    assert l2[0]["cflow.ethernet_type"] == str(0x88b5)
    assert int(l2[0]["cflow.packets"]) == 6
    assert int(l2[0]["cflow.layer2_octet_delta_count"]) == 6 * 60
    # the options record: no sampling (1 selected, 0 skipped)
    options = [r for r in records if "cflow.sampling_packet_space" in r]
    assert options and options[0]["cflow.sampling_packet_space"] == "0"
    assert "flows 0 of 65536" in d.ctl("ipfix", "show")
    # running-config prints it whole; the printed line makes the same model
    config = d.ctl("show", "running-config")
    line = [x for x in config.splitlines() if x.startswith("ipfix add fx ")]
    assert line == ["ipfix add fx switch sw collector 127.0.0.1:%d sampling 1 obs-domain 42 "
                    "active-timeout 60 idle-timeout 1 template-refresh 60 max-flows 65536"
                    % PORT4]
    d.ctl("ipfix", "del", "fx")
    assert "ipfix" not in d.ctl("show", "running-config")
    d.ctl(*line[0].split())
    assert d.ctl("show", "running-config") == config



# Two poll threads: pa and pb on different ones, the cache under its lock.
@pytest.mark.parametrize("lab", [("--cores", "0,1")], indirect=True)
def test_sampling_scales_counts_and_max_flows_bounds_the_cache(lab, workdir):
    """1 in 4 packets, counted on the whole switch (every 4th frame): 40 of
    one flow give a record of 10; then 8 flows of 4 packets give one
    sampled packet each, of which the cache (max-flows 3, the first flow
    still in it) takes 2 and refuses 6. The collector is IPv6."""
    d, n, ns, procs = lab
    path = collector(n, ns["dp"], procs, workdir, "::1", PORT6)
    d.ctl("ipfix", "add", "fs", "switch", "sw", "collector", "[::1]:%d" % PORT6, "sampling", "4",
          "max-flows", "3", "idle-timeout", "2")  # 2: the 72 frames leave well within it
    send(n, ns["a"], "[%s]*40" % (UDP4 % (7100, 100)),
         *["[%s]*4" % (UDP4 % (7200 + i, 10)) for i in range(8)])
    shown = d.json("ipfix", "show", "fs")[0]
    assert (shown["packets"], shown["skipped"], shown["refused"]) == (12, 54, 6)
    assert shown["flows_created"] == 3 and shown["flows"] <= 3
    shown = wait_exported(d, "fs", 3)
    records, headers = decode(path, PORT6)
    flows = {int(r["cflow.dstport"]): r for r in records if "cflow.packets" in r}
    assert sorted(flows) == [7100, 7200, 7201]
    assert int(flows[7100]["cflow.packets"]) * 4 == 40
    assert int(flows[7100]["cflow.octets"]) == 10 * (20 + 8 + 100)
    assert all(int(flows[p]["cflow.packets"]) == 1 for p in (7200, 7201))
    options = [r for r in records if "cflow.sampling_packet_space" in r]
    assert options[0]["cflow.selector_algorithm"] == "1"  # systematic count-based
    assert options[0]["cflow.sampling_packet_interval"] == "1"
    assert options[0]["cflow.sampling_packet_space"] == "3"
    assert "refused 6" in d.ctl("ipfix", "show", "fs")
