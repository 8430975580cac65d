"""Forwarding through the real vswitchd without root, as Open vSwitch drives
most of its autotest suite with netdev-dummy/receive: every port is a `pipe`,
the control socket is in a temp dir, `port inject` puts a frame into a port
and `port take` reads exactly what each port sent, tag included. What needs
real interfaces (the kernel's I/O, TCP and offloads, devices, link events)
stays in the namespace tests."""
import itertools
import json
import os
import pwd
import socket
import struct
import time

import pytest

BROADCAST = "ff:ff:ff:ff:ff:ff"
UNKNOWN = "02:00:00:0a:00:99"


def mac(n):
    return "02:00:00:0a:00:%02x" % n


def frame(dst, src, tag=None, pcp=0, size=60):
    """An IPv4 frame from src to dst, 802.1Q-tagged with VID `tag` if given,
    zero-padded to `size` bytes."""
    head = bytes.fromhex(dst.replace(":", "") + src.replace(":", ""))
    if tag is not None:
        head += struct.pack("!HH", 0x8100, pcp << 13 | tag)
    return (head + b"\x08\x00\x45").ljust(size, b"\0")


def vid_of(data):
    """The VID of a frame as it left, None when it left untagged."""
    return struct.unpack("!H", data[14:16])[0] & 0xfff if data[12:14] == b"\x81\x00" else None


class CtlError(Exception):
    pass


class Hub:
    """A vswitchd driven over one connection to its control socket (a
    process per command would cost more than the forwarding): switches and
    pipe ports are added by name, frames go in and come out by port."""

    def __init__(self, daemon):
        self.daemon = daemon
        self.ports = []
        self.ids = itertools.count(1)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(daemon.socket)
        self.replies = self.sock.makefile("rb")

    def call(self, *words, json_output=False):
        """Runs one command; returns its output, raises CtlError on refusal."""
        request = {"jsonrpc": "2.0", "id": next(self.ids), "method": "execute",
                   "params": {"argv": [str(w) for w in words], "json": json_output}}
        self.sock.sendall(json.dumps(request).encode() + b"\n")
        answer = json.loads(self.replies.readline())
        if "error" in answer:
            raise CtlError(answer["error"]["message"])
        output = answer["result"]["output"]
        return json.loads(output) if json_output else output

    def switch(self, name="sw", *settings):
        self.call("switch", "add", name, *settings)

    def port(self, name, *settings, switch="sw"):
        self.call("port", "add", switch, name, "type", "pipe", *settings)
        self.ports.append(name)

    def inject(self, port, data, vlan=None):
        self.call("port", "inject", port, data.hex(), *(["vlan", vlan] if vlan is not None else []))

    def take(self, port):
        """The frames port sent since last asked, as bytes, oldest first."""
        taken = self.call("port", "take", port, json_output=True)
        assert all(len(bytes.fromhex(f["hex"])) == f["len"] for f in taken)
        return [bytes.fromhex(f["hex"]) for f in taken]

    def take_all(self):
        """{port: [VID or None of each frame it sent]} for every port that sent."""
        out = {p: [vid_of(f) for f in self.take(p)] for p in self.ports}
        return {p: vids for p, vids in out.items() if vids}

    def send(self, port, dst, src, tag=None, vlan=None, pcp=0):
        """Injects one frame into port; returns take_all() after it."""
        self.inject(port, frame(dst, src, tag, pcp), vlan)
        return self.take_all()

    def drops(self, port, reason):
        return self.call("counters", port, json_output=True)[port]["drops"][reason]

    def fdb(self, switch="sw"):
        return {(e["vlan"], e["mac"]): e for e in self.call("fdb", "show", switch,
                                                            json_output=True)}

    def close(self):
        self.replies.close()
        self.sock.close()


@pytest.fixture
def hub(daemon):
    h = Hub(daemon)
    h.switch()
    yield h
    h.close()


def test_untagged_frame_gets_the_pvid_and_leaves_tagged_only_where_the_vlan_is_not_native(hub):
    hub.port("a", "pvid", 2)
    hub.port("b", "pvid", 2)
    hub.port("x")  # pvid 1
    hub.port("t", "vids", 2)
    assert hub.send("a", BROADCAST, mac(1)) == {"b": [None], "t": [2]}


def test_tagged_frame_keeps_its_vlan_and_priority_in_band_or_in_metadata(hub):
    hub.port("t1", "vids", "2,3")
    hub.port("t2", "vids", "2,3")
    hub.port("a", "pvid", 2)
    hub.port("c", "pvid", 3)
    hub.inject("t1", frame(BROADCAST, mac(1), tag=3, pcp=5))
    tagged = hub.take("t2")
    assert [vid_of(f) for f in tagged] == [3] and tagged[0][14] >> 5 == 5
    assert hub.take_all() == {"c": [None]}
    # as a packet socket delivers it: the tag stripped into metadata
    assert hub.send("t1", BROADCAST, mac(1), vlan=3) == {"t2": [3], "c": [None]}


def test_frame_tagged_for_a_vlan_the_port_is_not_in_is_dropped_and_counted(hub):
    # VLAN hopping from an access port, with the tag in the frame or in metadata
    hub.port("a")
    hub.port("b")
    hub.port("t", "vids", 3)
    assert hub.send("a", BROADCAST, mac(1), tag=3) == {}
    assert hub.send("a", BROADCAST, mac(1), vlan=3) == {}
    assert hub.drops("a", "vlan-not-member") == 2


def test_learned_mac_gets_unicast_to_its_port_only(hub):
    for p in "abc":
        hub.port(p)
    assert hub.send("b", BROADCAST, mac(2)) == {"a": [None], "c": [None]}
    assert hub.fdb()[(1, mac(2))]["port"] == "b"
    assert hub.send("a", mac(2), mac(1)) == {"b": [None]}


def test_unknown_unicast_and_broadcast_flood_within_their_vlan_only(hub):
    hub.port("a")
    hub.port("b")
    hub.port("c", "pvid", 2)
    hub.port("t", "vids", 2)  # VLAN 1 untagged, 2 tagged
    assert hub.send("a", UNKNOWN, mac(1)) == {"b": [None], "t": [None]}
    assert hub.send("a", BROADCAST, mac(1)) == {"b": [None], "t": [None]}
    assert hub.send("c", UNKNOWN, mac(3)) == {"t": [2]}
    assert hub.send("c", BROADCAST, mac(3)) == {"t": [2]}


def test_authoritative_switch_sends_unknown_unicast_to_the_uplink_only(hub):
    hub.call("switch", "set", "sw", "mode", "authoritative")
    hub.port("a")
    hub.port("b")
    hub.port("up", "uplink", "on")
    assert hub.send("a", UNKNOWN, mac(1)) == {"up": [None]}
    assert hub.send("a", BROADCAST, mac(1)) == {"b": [None], "up": [None]}
    # without an uplink it goes nowhere, and says so
    hub.call("port", "set", "up", "uplink", "off")
    assert hub.send("a", UNKNOWN, mac(1)) == {}
    assert hub.drops("a", "no-route") == 1


def test_frames_never_go_from_uplink_to_uplink(hub):
    hub.port("up1", "uplink", "on", "trunk-priority", 1)
    hub.port("up2", "uplink", "on", "trunk-priority", 2)
    hub.port("a")
    assert hub.send("up1", BROADCAST, mac(9)) == {"a": [None]}
    hub.call("fdb", "add", "sw", "vlan", 1, "mac", mac(8), "port", "up2")
    assert hub.send("up1", mac(8), mac(9)) == {}
    assert hub.drops("up1", "uplink-loop") == 1
    # the standby uplink carries nothing in either direction
    assert hub.send("up2", BROADCAST, mac(7)) == {}
    assert hub.drops("up2", "uplink-inactive") == 1


def test_hairpin_off_never_sends_a_frame_back_and_hairpin_on_does(hub):
    hub.port("a")
    hub.port("b")
    assert hub.send("a", BROADCAST, mac(1)) == {"b": [None]}
    assert hub.send("a", mac(1), mac(5)) == {}
    assert hub.drops("a", "same-port") == 1
    hub.call("port", "set", "a", "hairpin", "on")
    assert hub.send("a", mac(1), mac(5)) == {"a": [None]}
    assert hub.send("a", BROADCAST, mac(5)) == {"a": [None], "b": [None]}


def test_private_port_talks_to_the_uplink_only(hub):
    hub.port("p", "mode", "private")
    hub.port("b")
    hub.port("up", "uplink", "on")
    assert hub.send("p", BROADCAST, mac(1)) == {"up": [None]}
    assert hub.send("b", BROADCAST, mac(2)) == {"up": [None]}
    assert hub.send("p", mac(2), mac(1)) == {}
    assert hub.send("b", mac(1), mac(2)) == {}
    assert hub.drops("p", "port-isolation") == 1 and hub.drops("b", "port-isolation") == 1
    assert hub.send("up", BROADCAST, mac(9)) == {"p": [None], "b": [None]}
    assert hub.send("up", mac(1), mac(9)) == {"p": [None]}


def test_vepa_port_sends_everything_to_the_uplink_which_reflects_it(hub):
    hub.port("v", "mode", "vepa")
    hub.port("b")
    hub.port("up", "uplink", "on")
    assert hub.send("b", BROADCAST, mac(2)) == {"up": [None]}  # floods reach v from the uplink only
    assert hub.send("v", BROADCAST, mac(1)) == {"up": [None]}
    assert hub.send("v", mac(2), mac(1)) == {"up": [None]}  # b is local, yet it goes out
    # the external switch reflects it: it reaches b, and v's MAC stays on v
    assert hub.send("up", mac(2), mac(1)) == {"b": [None]}
    assert hub.fdb()[(1, mac(1))]["port"] == "v"
    assert hub.send("up", BROADCAST, mac(9)) == {"v": [None], "b": [None]}


def test_static_mac_wins_and_a_spoofer_is_dropped(hub):
    for p in "abc":
        hub.port(p)
    hub.call("fdb", "add", "sw", "vlan", 1, "mac", mac(3), "port", "c")
    assert hub.fdb()[(1, mac(3))]["type"] == "static"
    assert hub.send("a", mac(3), mac(1)) == {"c": [None]}
    for _ in range(3):  # a claims c's MAC
        assert hub.send("a", BROADCAST, mac(3)) == {}
    assert hub.drops("a", "static-conflict") == 3
    assert hub.fdb()[(1, mac(3))]["port"] == "c"
    assert "fdb add sw vlan 1 mac %s port c" % mac(3) in hub.call("show", "running-config")


def test_mac_limit_drops_new_sources_and_keeps_known_ones(hub):
    hub.port("a", "mac-limit", 2)
    hub.port("b")
    flooded = [hub.send("a", BROADCAST, mac(0x10 + i)) for i in range(5)]
    assert flooded == [{"b": [None]}] * 2 + [{}] * 3
    assert hub.drops("a", "mac-limit") == 3
    port = hub.call("port", "show", "a", json_output=True)[0]
    assert port["macs_learned"] == 2 and port["mac_limit"] == 2
    assert hub.send("a", BROADCAST, mac(0x10)) == {"b": [None]}


def test_learned_mac_ages_out_and_is_flooded_again(hub):
    hub.call("switch", "set", "sw", "ageing", 2)
    for p in "abc":
        hub.port(p)
    hub.send("b", BROADCAST, mac(2))
    assert hub.send("a", mac(2), mac(1)) == {"b": [None]}
    deadline = time.time() + 10
    while (1, mac(2)) in hub.fdb() and time.time() < deadline:
        time.sleep(0.2)
    assert (1, mac(2)) not in hub.fdb()
    assert hub.send("a", mac(2), mac(1)) == {"b": [None], "c": [None]}


def test_counters_count_what_crossed(hub):
    for p in "abc":
        hub.port(p)
    hub.send("b", BROADCAST, mac(2))
    hub.call("counters", "clear")
    for _ in range(5):
        hub.inject("a", frame(mac(2), mac(1), size=100))
    assert len(hub.take("b")) == 5
    c = hub.call("counters", json_output=True)
    assert (c["a"]["rx_packets"], c["a"]["rx_bytes"]) == (5, 500)
    assert (c["b"]["tx_packets"], c["b"]["tx_bytes"]) == (5, 500)
    assert c["c"]["tx_packets"] == 0 and c["b"]["rx_packets"] == 0


def test_config_changes_apply_to_the_next_frame_and_keep_learned_macs(hub):
    hub.port("a")
    hub.port("b")
    hub.port("c", "pvid", 2)
    hub.send("b", BROADCAST, mac(2))
    hub.call("port", "set", "a", "pvid", 2)
    assert hub.send("a", BROADCAST, mac(1)) == {"c": [None]}
    hub.call("port", "set", "a", "pvid", 1)
    hub.call("port", "set", "b", "mac-limit", 5, "hairpin", "on")  # b reconfigured in place
    assert hub.fdb()[(1, mac(2))]["port"] == "b"
    assert hub.call("counters", "b", json_output=True)["b"]["rx_packets"] == 1
    assert hub.send("a", mac(2), mac(1)) == {"b": [None]}
    hub.call("switch", "set", "sw", "mode", "authoritative")
    assert hub.send("a", UNKNOWN, mac(1)) == {}  # no uplink: no more flooding
    hub.call("port", "del", "c")
    hub.ports.remove("c")
    hub.call("port", "set", "a", "pvid", 2)
    assert hub.send("a", BROADCAST, mac(1)) == {}
    assert hub.drops("a", "no-route") == 2


def test_patch_port_joins_two_switches(hub):
    hub.switch("core")
    # a two-level bridge: VLAN 7 untagged on the edge ports, tagged on the patch
    hub.call("port", "add", "sw", "up", "type", "patch", "peer=down", "vids", 7)
    hub.call("port", "add", "core", "down", "type", "patch", "peer=up", "vids", 7)
    hub.port("pa", "pvid", 7)
    hub.port("pb", "pvid", 7, switch="core")
    hub.inject("pa", frame(BROADCAST, mac(1)))
    # the far switch takes it from the patch on its own poll: give it a pass
    deadline, got = time.time() + 5, []
    while not got and time.time() < deadline:
        got = hub.take("pb")
    assert [vid_of(f) for f in got] == [None]
    c = hub.call("counters", json_output=True)
    assert c["up"]["tx_packets"] == 1 and c["down"]["rx_packets"] == 1
    vlans = {(v["switch"], v["vlan"]): v for v in hub.call("vlan", "show", json_output=True)}
    assert vlans[("sw", 7)]["tagged"] == ["up"] and vlans[("sw", 7)]["untagged"] == ["pa"]
    hub.call("port", "del", "down")
    assert hub.call("port", "show", "up", json_output=True)[0]["carrier"] is False
    assert hub.send("pa", BROADCAST, mac(1)) == {}
    assert hub.drops("pa", "no-route") == 1  # the link is down: VLAN 7 has no other member


def test_cli_injects_and_takes_and_refuses_what_is_not_a_frame_for_a_pipe(daemon):
    d = daemon
    d.ctl("switch", "add", "sw")
    d.ctl("port", "add", "sw", "a", "type", "pipe")
    d.ctl("port", "add", "sw", "t", "type", "pipe", "vids", 5)
    d.ctl("port", "add", "sw", "up", "type", "patch", "peer=nowhere")
    broadcast = frame(BROADCAST, mac(1)).hex()
    assert d.ctl("port", "inject", "a", broadcast) == ""
    assert d.ctl("port", "inject", "a", broadcast) == ""
    assert d.ctl("port", "take", "t", "count", 1) == broadcast + "\n"
    assert d.json("port", "take", "t") == [{"len": 60, "hex": broadcast}]
    assert d.json("port", "take", "t") == []
    d.ctl("port", "inject", "t", broadcast, "vlan", 5)
    assert d.json("port", "take", "a") == []  # a is not in VLAN 5
    for words, message in [
            (("inject", "up", broadcast), "port up: a patch port has no queue to inject into"),
            (("take", "up"), "port up: a patch port keeps no log of what it sent"),
            (("inject", "a", "0x" + broadcast), "port a: frame: 'x' at character 2 is not a hex"),
            (("inject", "a", broadcast[:26]), "port a: a frame of 13 bytes is outside 14-65535"),
            (("inject", "a", broadcast, "vlan", 4096), "port a: vlan '4096' is not a number"),
            (("inject", "nosuch", broadcast), "port nosuch: no such port")]:
        r = d.run("port", *words)
        assert r.returncode == 1 and message in r.stderr, (words, r.stderr)
    assert d.json("counters", "a")["a"]["rx_packets"] == 2  # the refused ones never went in


def voluntary_switches(pid):
    """How often a process's threads have slept and woken so far (/proc)."""
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
            total += sum(int(line.split()[1]) for line in f
                         if line.startswith("voluntary_ctxt_switches:"))
    return total


def test_idle_daemon_with_pipe_ports_sleeps_and_still_forwards_at_once(hub):
    # A port without a wait fd would make the data plane poll every
    # millisecond; the pipe's eventfd lets it sleep until a frame waits.
    hub.port("a")
    hub.port("b")
    time.sleep(0.3)
    before = voluntary_switches(hub.daemon.proc.pid)
    time.sleep(1)
    wakeups = voluntary_switches(hub.daemon.proc.pid) - before
    assert wakeups < 100, "%d wake-ups in an idle second" % wakeups
    assert hub.send("a", BROADCAST, mac(1)) == {"b": [None]}


def test_daemon_with_pipe_ports_needs_no_privilege(daemon_factory):
    """Run as root (make check), the daemon is started as nobody: every
    test above would pass as an ordinary user too."""
    d = daemon_factory("", start=False)
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chmod(os.path.dirname(d.workdir), 0o711)  # the test's own temp dir
        os.chown(d.workdir, nobody.pw_uid, nobody.pw_gid)
        d.prefix = ["setpriv", "--reuid=%d" % nobody.pw_uid, "--regid=%d" % nobody.pw_gid,
                    "--clear-groups", "--inh-caps=-all", "--bounding-set=-all"]
    d.start()
    with open("/proc/%d/status" % d.proc.pid) as f:
        status = dict(line.split(":", 1) for line in f)
    assert status["Uid"].split()[1] != "0" and int(status["CapEff"], 16) == 0
    h = Hub(d)
    try:
        h.switch()
        h.port("a", "pvid", 3)
        h.port("t", "vids", 3)
        assert h.send("a", BROADCAST, mac(1)) == {"t": [3]}
    finally:
        h.close()
