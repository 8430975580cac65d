"""LLDP (docs/lldp.md) against a real lldpd (Debian's), both ways: lldpd
runs in a namespace the test makes, in the foreground, on its own control
socket in a temp dir, and is killed by PID. vswitch's `lldp show` lists
lldpd's chassis, port and system name; `lldpcli show neighbors` lists
vswitch's chassis, port name, system name, VLANs and management address.
Also: a port with lldp off sends nothing, and an LLDP frame (link-local,
01:80:c2:00:00:0e) is never relayed to another port, whether the uplink
listens or not."""
import json
import os
import signal
import subprocess
import tempfile
import time

import pytest

from vswitch_lab.netns import unique

LLDPD = "/usr/sbin/lldpd"
CHASSIS = "02:00:00:11:22:33"


class Lldpd:
    """lldpd in namespace ns on its eth0, tx-interval 1 s, system name
    `name`; stop() ends it (its privilege-separated child first, so that
    it is reaped) by PID."""

    def __init__(self, ns, name):
        self.ns = ns
        self.dir = tempfile.mkdtemp(prefix="vswitch-lldpd-")
        os.chmod(self.dir, 0o755)  # lldpd drops to _lldpd, which reads the socket's dir
        self.sock = os.path.join(self.dir, "lldpd.sock")
        conf = os.path.join(self.dir, "lldpd.conf")
        with open(conf, "w") as f:
            f.write("configure system hostname %s\nconfigure lldp tx-interval 1\n" % name)
        os.chmod(conf, 0o644)
        self.log = open(os.path.join(self.dir, "lldpd.log"), "w")
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, LLDPD, "-d", "-u", self.sock, "-O", conf, "-I", "eth0"],
            stdout=self.log, stderr=subprocess.STDOUT)

    def cli(self, *words):
        r = subprocess.run(["ip", "netns", "exec", self.ns, "lldpcli", "-u", self.sock]
                           + list(words), capture_output=True, text=True, timeout=10)
        return r.stdout

    def neighbors(self):
        """What lldpd heard on eth0 ({} for nothing); lldpcli gives one
        interface as an object, several as a list of them."""
        out = self.cli("show", "neighbors", "details", "-f", "json")
        try:
            found = json.loads(out).get("lldp", {}).get("interface", {})
        except json.JSONDecodeError:
            return {}
        for entry in found if isinstance(found, list) else [found]:
            if "eth0" in entry:
                return entry["eth0"]
        return {}

    def stop(self):
        if self.proc.poll() is None:
            children = "/proc/%d/task/%d/children" % (self.proc.pid, self.proc.pid)
            try:
                with open(children) as f:
                    kids = [int(p) for p in f.read().split()]
            except OSError:
                kids = []
            for pid in kids:
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            time.sleep(0.2)
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        subprocess.run(["rm", "-rf", self.dir])


def as_list(v):
    """lldpcli's JSON gives a single item as itself, several as a list."""
    return v if isinstance(v, list) else [v]


def wait_for(what, timeout=8.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = what()
        if v:
            return v
        time.sleep(0.2)
    return what()


def sniff_lldp(ns, seconds):
    """LLDP frames seen on ns's eth0 during `seconds` (tcpdump, ended by PID)."""
    p = subprocess.Popen(["ip", "netns", "exec", ns, "tcpdump", "-i", "eth0", "-nn", "-e", "-l",
                          "ether", "proto", "0x88cc"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    time.sleep(seconds)
    p.terminate()
    out, _ = p.communicate(timeout=10)
    return [line for line in out.splitlines() if line.strip()]


@pytest.fixture
def lab(netns, daemon):
    """tor (lldpd) on the uplink, vm on a VM port; switch sw, VLANs 10, 20."""
    tor, vm = netns.add("vslt"), netns.add("vslv")
    up, vmp = netns.veth(unique("lup"), tor), netns.veth(unique("lvm"), vm)
    daemon.ctl("switch", "add", "sw")
    daemon.ctl("port", "add", "sw", "uplink0", "type", "afpacket", "dev=" + up, "uplink", "on",
               "vids", "10,20")
    daemon.ctl("port", "add", "sw", "vm1", "type", "afpacket", "dev=" + vmp, "pvid", "10")
    yield daemon, tor, vm


def port_field(daemon, name, field):
    shown = daemon.json("port", "show", name)
    return (shown[0] if isinstance(shown, list) else shown)[field]


def port_counters(daemon, name):
    return port_field(daemon, name, "counters")


def lldp_port(daemon, name):
    return next(p for p in daemon.json("lldp", "show") if p["port"] == name)


def test_lldp_both_ways_with_lldpd(lab, netns):
    daemon, tor, vm = lab
    daemon.ctl("lldp", "system-name", "hv-test")
    daemon.ctl("lldp", "chassis-id", CHASSIS)
    daemon.ctl("lldp", "mgmt-address", "192.0.2.10,2001:db8::10")
    daemon.ctl("port", "set", "uplink0", "lldp", "rxtx")
    lldpd = Lldpd(tor, "tor-test")
    try:
        # lldpd's view of us
        n = wait_for(lldpd.neighbors)
        assert n, lldpd.cli("show", "neighbors")
        ch = n["chassis"]
        assert "hv-test" in ch, ch
        c = ch["hv-test"]
        assert c["id"] == {"type": "mac", "value": CHASSIS}
        assert set(as_list(c["mgmt-ip"])) == {"192.0.2.10", "2001:db8::10"}
        assert {"type": "Bridge", "enabled": True} in as_list(c["capability"])
        port = n["port"]
        assert port["id"] == {"type": "ifname", "value": "uplink0"}
        vlans = as_list(n["vlan"])
        assert {v["vlan-id"] for v in vlans} == {"1", "10", "20"}
        assert [v["vlan-id"] for v in vlans if v["pvid"]] == ["1"]
        assert port["ttl"] == "121" and port["descr"] == "vswitch sw port uplink0"

        # our view of lldpd
        def theirs():
            p = lldp_port(daemon, "uplink0")
            return p if p["neighbors"] else None
        p = wait_for(theirs)
        assert p, daemon.ctl("lldp", "show")
        nb = p["neighbors"][0]
        assert nb["system_name"] == "tor-test"
        # lldpd: chassis and port ID are the MAC of its only interface,
        # the port's name goes in its description
        tor_mac = netns.run(tor, "cat", "/sys/class/net/eth0/address").stdout.strip()
        assert nb["chassis_subtype"] == 4 and nb["chassis_id"] == tor_mac
        assert nb["port_subtype"] == 3 and nb["port_id"] == tor_mac
        assert nb["port_description"] == "eth0"
        assert 0 < nb["ttl_left"] <= nb["ttl"]
        assert p["counters"]["rx"] >= 1 and p["counters"]["tx"] >= 1
        assert p["counters"]["discarded"] == 0
        text = daemon.ctl("lldp", "show", "uplink0")
        assert "tor-test" in text and tor_mac in text
        # taken by LLDP, not dropped as link-local
        assert port_counters(daemon, "uplink0")["consumed"] >= 1

        # lldpd going away says so (TTL 0): the neighbour leaves at once
        lldpd.stop()
        assert wait_for(lambda: not lldp_port(daemon, "uplink0")["neighbors"], 4)
        assert lldp_port(daemon, "uplink0")["counters"]["shutdown"] == 1
    finally:
        lldpd.stop()


def test_lldp_off_sends_nothing_and_never_floods(lab, netns):
    daemon, tor, vm = lab
    # uplink default: rx only (listens, sends nothing); VM port: off
    assert port_field(daemon, "uplink0", "lldp") == "rx"
    assert port_field(daemon, "vm1", "lldp") == "off"
    lldpd = Lldpd(tor, "tor-off")
    try:
        # while lldpd talks on the uplink, neither side relays it
        seen_vm = sniff_lldp(vm, 3)
        assert seen_vm == []
        assert not lldpd.neighbors()
        assert lldp_port(daemon, "uplink0")["counters"]["tx"] == 0
        assert wait_for(lambda: lldp_port(daemon, "uplink0")["neighbors"])
        # with LLDP off on the uplink: dropped as link-local, still not relayed
        daemon.ctl("port", "set", "uplink0", "lldp", "off")
        before = port_counters(daemon, "uplink0")["drops"]["link-local"]
        seen_vm = sniff_lldp(vm, 2)
        assert seen_vm == []
        assert port_counters(daemon, "uplink0")["drops"]["link-local"] > before
        r = daemon.run("lldp", "show", "uplink0")
        assert r.returncode != 0 and "does not run LLDP" in r.stderr
        assert "lldp off" in daemon.ctl("show", "running-config")
        # the capture would have seen LLDP on the VM's link: a VM port told to
        # announce (fast start, a frame a second) shows up there
        daemon.ctl("port", "set", "vm1", "lldp", "tx")
        seen_vm = sniff_lldp(vm, 2)
        assert seen_vm and "0x88cc" in seen_vm[0] and "01:80:c2:00:00:0e" in seen_vm[0], seen_vm
    finally:
        lldpd.stop()
