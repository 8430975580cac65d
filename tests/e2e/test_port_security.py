"""Port security through the real vswitchd (docs/port-security.md): a VM
port with a bound MAC and addresses attacks its neighbours with frames
built by scapy — a forged source MAC, forged IPv4 and IPv6 sources, ARP
poisoning, a spoofed neighbour advertisement, a rogue DHCP offer, a rogue
router advertisement — and each is dropped and counted under its own drop
reason while the same port's legitimate traffic and everyone else's flows.
Most of it on pipe ports (exact: what each port sent is taken back), the
last test with real namespaces, where ping keeps working during the
attacks."""
import os
import subprocess
import tempfile

import pytest
from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.inet import ICMP, IP, UDP
from scapy.layers.inet6 import (ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_RA,
                                ICMPv6NDOptDstLLAddr, IPv6)
from scapy.layers.l2 import ARP, Ether

from test_pipe_forwarding import Hub
from vswitch_lab.daemon import Daemon
from vswitch_lab.netns import Netns, unique

VM1, VM2, SRV, PAIR = "52:54:00:00:00:01", "52:54:00:00:00:02", "52:54:00:00:00:03", "52:54:00:00:00:09"
VM1_IP, VM2_IP, SRV_IP = "10.0.0.1", "10.0.0.2", "10.0.0.3"
VM1_LL = "fe80::5054:ff:fe00:1"  # EUI-64 of VM1
BCAST = "ff:ff:ff:ff:ff:ff"


@pytest.fixture
def lab(daemon):
    """vm1 (MAC and addresses bound, an allowed pair), vm2 (bound), srv (a
    trusted DHCP server port), all on switch sw."""
    h = Hub(daemon)
    h.switch()
    h.port("vm1", "mac", VM1 + "," + VM1_IP + ",fd00::1", "allowed-addresses", PAIR + ",10.9.0.0/24")
    h.port("vm2", "mac", VM2 + "," + VM2_IP)
    h.port("srv", "mac", SRV + "," + SRV_IP, "trusted", "on")
    yield h
    h.close()


def delivered(hub, port, frame):
    """Injects frame into port; the ports that sent something, by name."""
    hub.inject(port, bytes(frame))
    return sorted(p for p in hub.ports if hub.take(p))


ATTACKS = {
    "forged-source-mac": Ether(src="52:54:00:00:00:77", dst=BCAST) / IP(src=VM1_IP, dst=VM2_IP) / ICMP(),
    "forged-source-ip": Ether(src=VM1, dst=BCAST) / IP(src=VM2_IP, dst=SRV_IP) / ICMP(),
    "forged-source-ip-v6": Ether(src=VM1, dst="33:33:00:00:00:01") / IPv6(src="fd00::2", dst="ff02::1")
    / ICMPv6EchoRequest(),
    "arp-spoof": Ether(src=VM1, dst=BCAST) / ARP(op=2, hwsrc=VM1, psrc=SRV_IP, pdst=VM2_IP),
    "nd-spoof": Ether(src=VM1, dst="33:33:00:00:00:01") / IPv6(src=VM1_LL, dst="ff02::1")
    / ICMPv6ND_NA(tgt="fd00::2", R=0, S=0, O=1) / ICMPv6NDOptDstLLAddr(lladdr=VM1),
    "dhcp-server-guard": Ether(src=VM1, dst=BCAST) / IP(src=VM1_IP, dst="255.255.255.255")
    / UDP(sport=67, dport=68) / BOOTP(op=2, yiaddr=VM2_IP) / DHCP(options=[("message-type", "offer"), "end"]),
    "ra-guard": Ether(src=VM1, dst="33:33:00:00:00:01") / IPv6(src=VM1_LL, dst="ff02::1") / ICMPv6ND_RA(),
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attack_is_dropped_under_its_reason_while_legitimate_traffic_flows(lab, attack):
    reason = attack.replace("-v6", "")
    assert delivered(lab, "vm1", ATTACKS[attack]) == []
    assert lab.drops("vm1", reason) == 1
    counters = lab.call("counters", "vm1", json_output=True)["vm1"]["drops"]
    assert sum(counters.values()) == 1, counters  # no other reason counted it
    # the same port's own traffic, and the others', still pass
    assert delivered(lab, "vm1", Ether(src=VM1, dst=BCAST) / IP(src=VM1_IP, dst=VM2_IP) / ICMP()) == ["srv", "vm2"]
    assert delivered(lab, "vm1", Ether(src=VM1, dst="33:33:00:00:00:01") / IPv6(src=VM1_LL, dst="ff02::1")
                     / ICMPv6ND_NA(tgt="fd00::1") / ICMPv6NDOptDstLLAddr(lladdr=VM1)) == ["srv", "vm2"]
    assert delivered(lab, "vm2", Ether(src=VM2, dst=VM1) / IP(src=VM2_IP, dst=VM1_IP) / ICMP()) == ["vm1"]


def test_allowed_pair_dhcp_discover_and_trusted_offer_pass(lab):
    assert delivered(lab, "vm1", Ether(src=PAIR, dst=BCAST) / IP(src="10.9.0.7", dst=VM2_IP) / ICMP()) \
        == ["srv", "vm2"]
    discover = (Ether(src=VM2, dst=BCAST) / IP(src="0.0.0.0", dst="255.255.255.255") / UDP(sport=68, dport=67)
                / BOOTP(chaddr=bytes.fromhex(VM2.replace(":", ""))) / DHCP(options=[("message-type", "discover"), "end"]))
    assert delivered(lab, "vm2", discover) == ["srv", "vm1"]
    offer = (Ether(src=SRV, dst=BCAST) / IP(src=SRV_IP, dst="255.255.255.255") / UDP(sport=67, dport=68)
             / BOOTP(op=2, yiaddr=VM2_IP) / DHCP(options=[("message-type", "offer"), "end"]))
    assert delivered(lab, "srv", offer) == ["vm1", "vm2"]
    # the same offer from an untrusted port: the guard
    lab.call("port", "set", "srv", "trusted", "default")
    assert delivered(lab, "srv", offer) == []
    assert lab.drops("srv", "dhcp-server-guard") == 1


def test_unicast_for_other_macs_reaches_only_a_promiscuous_port(lab):
    unknown = Ether(src=VM2, dst="52:54:00:00:00:55") / IP(src=VM2_IP, dst="10.0.0.55") / ICMP()
    assert delivered(lab, "vm2", unknown) == []  # flooded, but nobody may see it
    assert lab.drops("vm1", "not-promiscuous") == 1
    assert lab.drops("srv", "not-promiscuous") == 1
    lab.call("port", "set", "vm1", "promiscuous", "accept")
    assert delivered(lab, "vm2", unknown) == ["vm1"]
    shown = lab.call("port", "show", "vm1", json_output=True)
    shown = shown[0] if isinstance(shown, list) else shown
    assert shown["security"]["promiscuous"] == "accept"
    assert shown["security"]["forged_transmits"] == "reject"


def test_running_config_round_trip(daemon_factory):
    a = daemon_factory("")
    a.ctl("switch", "add", "sw")
    a.ctl("port", "add", "sw", "vm1", "type", "pipe", "mac", VM1 + ",10.0.0.1,fd00::1,fd01::/64")
    a.ctl("port", "set", "vm1", "allowed-addresses", PAIR + ",10.9.0.0/24", "52:54:00:00:00:0a",
          "promiscuous", "accept", "forged-transmits", "reject", "trusted", "off")
    a.ctl("port", "add", "sw", "vm2", "type", "pipe", "trusted", "off")
    a.ctl("port", "add", "sw", "up", "type", "pipe", "uplink", "on")
    text = a.ctl("show", "running-config")
    assert ("port add sw vm1 type pipe mac 52:54:00:00:00:01,10.0.0.1,fd00::1,fd01::/64 "
            "allowed-addresses 52:54:00:00:00:09,10.9.0.0/24 52:54:00:00:00:0a "
            "promiscuous accept forged-transmits reject trusted off\n") in text
    b = daemon_factory(text)
    assert b.ctl("show", "running-config") == text
    r = a.run("port", "set", "vm2", "forged-transmits", "reject")
    assert r.returncode != 0 and "needs a bound mac" in r.stderr
    r = a.run("port", "set", "vm1", "allowed-addresses", *["52:54:00:00:01:%02x" % i for i in range(17)])
    assert r.returncode != 0 and "at most 16 pairs" in r.stderr
    assert a.ctl("show", "running-config") == text


def scapy_in(n, ns, code):
    r = n.run(ns, "/usr/bin/python3", "-c", "from scapy.all import *\nconf.verb = 0\n" + code, timeout=60)
    assert r.returncode == 0, r.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces")
def test_attacks_from_a_namespace_fail_while_ping_keeps_working(workdir):
    n = Netns()
    d = Daemon(tempfile.mkdtemp(dir=workdir), "")
    try:
        ns, links = {}, {}
        for i, (h, mac) in enumerate((("a", VM1), ("b", VM2))):
            ns[h] = n.add("ps" + h)
            links[h] = n.veth(unique("vps" + h), ns[h], mac=mac, address="10.0.0.%d/24" % (i + 1))
        d.start()
        d.ctl("switch", "add", "sw")
        d.ctl("port", "add", "sw", "pa", "type", "afpacket", "dev=" + links["a"], "mac", VM1 + "," + VM1_IP)
        d.ctl("port", "add", "sw", "pb", "type", "afpacket", "dev=" + links["b"], "mac", VM2 + "," + VM2_IP)

        def ping():
            return n.run(ns["a"], "ping", "-c", "2", "-i", "0.2", "-W", "2", VM2_IP).returncode == 0
        assert ping()
        scapy_in(n, ns["a"], """
sendp(Ether(src="52:54:00:00:00:77", dst="ff:ff:ff:ff:ff:ff")/IP(src="10.0.0.1", dst="10.0.0.2")/ICMP(), iface="eth0")
sendp(Ether(src="%s", dst="ff:ff:ff:ff:ff:ff")/IP(src="10.0.0.3", dst="10.0.0.2")/ICMP(), iface="eth0")
sendp(Ether(src="%s", dst="ff:ff:ff:ff:ff:ff")/ARP(op=2, hwsrc="%s", psrc="10.0.0.3", pdst="10.0.0.2"), iface="eth0")
sendp(Ether(src="%s", dst="ff:ff:ff:ff:ff:ff")/IP(src="10.0.0.1", dst="255.255.255.255")/UDP(sport=67, dport=68)
      /BOOTP(op=2)/DHCP(options=[("message-type", "offer"), "end"]), iface="eth0")
""" % (VM1, VM1, VM1, VM1))
        drops = d.json("counters", "pa")["pa"]["drops"]
        assert {r: drops[r] for r in ("forged-source-mac", "forged-source-ip", "arp-spoof",
                                      "dhcp-server-guard")} == {
            "forged-source-mac": 1, "forged-source-ip": 1, "arp-spoof": 1, "dhcp-server-guard": 1}
        # the poisoning did not reach b's ARP table, and ping still works
        neigh = n.run(ns["b"], "ip", "neigh", "show", "10.0.0.3").stdout
        assert VM1 not in neigh
        assert ping()
    finally:
        d.stop()
        n.cleanup()
