"""An idle daemon sleeps (src/ha/schedule.c): with an uplink and no traffic
it wakes for its once-a-second housekeeping, not a hundred times a second to
poll carriers. And a carrier lost while it sleeps, of which the kernel has
not said a word yet, is still read before the next frame is forwarded: that
frame takes the surviving uplink."""
import json
import os
import subprocess
import tempfile
import time

import pytest

from vswitch_lab.daemon import Daemon
from vswitch_lab.netns import Netns

pytestmark = [pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces"),
              pytest.mark.serial]

# Holds the queues of the taps named on the command line, as QEMU or a VIOS
# would, and answers one JSON line per command on stdin:
#   lower TAP   -> {"at": t}: lowers TAP's carrier (TUNSETCARRIER) right after
#                  another link event, so the kernel's link watch, which runs
#                  at most once a second, reports it about a second late;
#   count MARK  -> {tap: frames that carried MARK, ...} so far;
#   reported TAP -> {"at": t or null}: when rtnetlink said TAP lost its carrier.
# Times are CLOCK_MONOTONIC seconds, the same in every namespace.
TAPS = r"""
import fcntl, json, os, select, socket, struct, sys, threading, time
TUNSETIFF, TUNSETCARRIER = 0x400454ca, 0x400454e2
IFF_TAP, IFF_NO_PI, IFF_LOWER_UP = 0x2, 0x1000, 0x10000
def queue(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    return fd
taps = {name: queue(name) for name in sys.argv[1:]}
poke = queue("poke0")  # a tap of our own, gone with us
index = {socket.if_nametoindex(name): name for name in taps}
frames = {name: [] for name in taps}
lost = {}
nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
nl.bind((0, 1))  # RTMGRP_LINK
def watch():
    while True:
        data, at, off = nl.recv(65536), time.monotonic(), 0
        while off + 32 <= len(data):
            length, kind = struct.unpack_from("IH", data, off)
            _, _, _, ifindex, flags, _ = struct.unpack_from("BBHiII", data, off + 16)
            if kind == 16 and ifindex in index and not flags & IFF_LOWER_UP:
                lost.setdefault(index[ifindex], at)
            off += (length + 3) & ~3
threading.Thread(target=watch, daemon=True).start()
def drain():
    for name, fd in taps.items():
        while True:
            try:
                frames[name].append(os.read(fd, 65536))
            except BlockingIOError:
                break
print(json.dumps("ready"), flush=True)
for line in sys.stdin:
    word, arg = line.split()
    drain()
    if word == "lower":
        fcntl.ioctl(poke, TUNSETCARRIER, struct.pack("i", 0))
        time.sleep(0.02)
        at = time.monotonic()
        fcntl.ioctl(taps[arg], TUNSETCARRIER, struct.pack("i", 0))
        answer = {"at": at}
    elif word == "count":
        answer = {n: sum(arg.encode() in f for f in fs) for n, fs in frames.items()}
    else:
        answer = {"at": lost.get(arg)}
    print(json.dumps(answer), flush=True)
"""

# Sends a broadcast frame carrying the word it reads on eth0; answers with
# the time it sent it.
SENDER = r"""
import json, socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
src = s.getsockname()[4]
print(json.dumps("ready"), flush=True)
for line in sys.stdin:
    mark = line.strip().encode()
    s.send(b"\xff" * 6 + src + b"\x88\xb6" + mark + b"\0" * 46)
    print(json.dumps({"at": time.monotonic()}), flush=True)
"""


class Helper:
    """A helper script in a namespace, asked one line at a time."""

    def __init__(self, ns, script, *args):
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, "/usr/bin/python3", "-c", script] + list(args),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert json.loads(self.proc.stdout.readline()) == "ready"

    def ask(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def lab(workdir):
    """Namespaces, daemons and helpers made by a test, all removed after it."""
    made = {"netns": Netns(), "daemons": [], "helpers": []}
    yield made
    for h in made["helpers"]:
        h.stop()
    for d in made["daemons"]:
        d.stop()
    made["netns"].cleanup()


def active_uplink(d, switch, vid=1):
    return {v["vlan"]: v["active_uplink"] for v in d.json("vlan", "show", switch)}[vid]


def test_idle_daemon_with_an_uplink_sleeps(lab, workdir):
    n = lab["netns"]
    sw_ns, lan = n.add("ids"), n.add("idl")
    n.link(sw_ns, "up0", lan, "eth0")
    d = Daemon(tempfile.mkdtemp(dir=workdir),
               "switch add sw mode authoritative\nport add sw up0 type afpacket uplink on\n",
               netns=sw_ns)
    lab["daemons"].append(d.start())
    assert active_uplink(d, "sw") == "up0"  # an uplink whose carrier matters
    time.sleep(1.0)
    wakeups = d.wakeups(3.0)
    # Polling carriers every 10 ms was 100 a second; asleep it is about 1.
    assert wakeups < 20, wakeups


def test_idle_threads_sleep_with_ports_from_the_startup_file(lab, workdir):
    """Two poll threads whose ports all came from the startup file, before
    any change: each sleeps on its own ports (a thread that never built its
    wait set spun a whole core)."""
    n = lab["netns"]
    sw_ns, a, b = n.add("itt"), n.add("ita"), n.add("itb")
    n.link(sw_ns, "pa", a, "eth0")
    n.link(sw_ns, "pb", b, "eth0")
    d = Daemon(tempfile.mkdtemp(dir=workdir),
               "switch add sw\nport add sw pa type afpacket\nport add sw pb type afpacket\n",
               netns=sw_ns, args=["--cores", "0,1"])
    lab["daemons"].append(d.start())
    threads = {p["name"]: p.get("poll_thread") for p in d.json("port", "show")}
    assert sorted(threads.values()) == [0, 1], threads  # one port each
    time.sleep(0.5)
    share = d.cpu_share(2.0)
    assert share < 0.1, "idle daemon used %.0f%% of a core" % (share * 100)
    # Asleep, not deaf: a frame on either thread's port still crosses.
    n.run(a, "ip", "addr", "add", "10.203.0.1/24", "dev", "eth0", check=True)
    n.run(b, "ip", "addr", "add", "10.203.0.2/24", "dev", "eth0", check=True)
    n.run(a, "ping", "-c", "2", "-i", "0.2", "-W", "2", "10.203.0.2", check=True)


def test_carrier_lost_while_idle_is_read_before_the_next_frame(lab, workdir):
    n = lab["netns"]
    hv, client = n.add("idh"), n.add("idc")
    n.link(client, "eth0", hv, "c1")
    d = Daemon(tempfile.mkdtemp(dir=workdir), "\n".join([
        "switch add hv mode authoritative",
        "port add hv c1 type afpacket",
        "port add hv u1 type tap uplink on trunk-priority 1",
        "port add hv u2 type tap uplink on trunk-priority 2"]) + "\n", netns=hv)
    lab["daemons"].append(d.start())
    taps = Helper(hv, TAPS, "u1", "u2")
    sender = Helper(client, SENDER)
    lab["helpers"] += [taps, sender]
    deadline = time.time() + 5
    while active_uplink(d, "hv") != "u1" and time.time() < deadline:
        time.sleep(0.05)
    assert active_uplink(d, "hv") == "u1"
    sender.ask("before")
    time.sleep(0.3)
    assert taps.ask("count before") == {"u1": 1, "u2": 0}

    time.sleep(1.5)  # the daemon is asleep: no frame, no timer due
    lowered = taps.ask("lower u1")["at"]
    sent = sender.ask("after")["at"]
    time.sleep(0.3)
    frames = taps.ask("count after")
    reported = taps.ask("reported u1")["at"]
    # The kernel had not reported the loss when the frame went: only reading
    # the carrier on waking can have sent it to u2.
    assert sent > lowered and (reported is None or reported > sent), (lowered, sent, reported)
    assert frames == {"u1": 0, "u2": 1}, frames
    assert active_uplink(d, "hv") == "u2"
