"""vswitchd --cores 0,1: two pinned poll threads, the ports' receive queues
spread over them (docs/cores.md). The seed scenario forwards as with one
thread; a TCP transfer between ports of two threads arrives intact; a MAC
moving between ports of two threads ends on the port that saw it last;
configuration changes under traffic keep their all-or-nothing rule; show
names the thread of every port; steady uplink carriers, read every 10 ms
while frames flow, do not pause the second thread."""
import os
import subprocess
import tempfile
import time

import pytest

from vswitch_lab import tcp
from vswitch_lab.daemon import Daemon
from vswitch_lab.netns import Netns, unique
from vswitch_lab.seed_lab import SeedLab, expected

BUILD = os.environ.get("VSWITCH_BUILD", "build")

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces"),
    pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two cores"),
]

CORES = ",".join(str(c) for c in sorted(os.sched_getaffinity(0))[:2])

# Sends raw frames (hex) out of eth0 of the namespace it runs in.
SEND_RAW = """
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
for frame in sys.argv[1:]:
    s.send(bytes.fromhex(frame))
"""




def threads_of(d):
    """{port: poll thread} from port show --json."""
    return {p["name"]: p.get("poll_thread") for p in d.json("port", "show")}


@pytest.fixture(scope="module")
def seed():
    workdir = tempfile.mkdtemp(prefix="vswitch-cores-seed-")
    lab = SeedLab(BUILD, workdir, hv_args=["--cores", CORES])
    try:
        lab.start()
        yield lab
    finally:
        lab.stop()


def test_seed_scenario_on_two_threads(seed):
    result = seed.ping_all()
    wrong = [(a, b, ok) for (a, b), ok in result.items() if ok != expected(a, b)]
    assert not wrong, "pairs differing from DESIGN section 3: %r" % wrong
    out = seed.ctl("hv", "show").stdout
    lines = [line.split(":")[1].split() for line in out.splitlines()
             if line.strip().startswith("poll thread")]
    assert len(lines) == 2 and all(lines), out  # both threads have ports
    assert sorted(sum(lines, [])) == ["lpar1", "lpar2", "lpar3", "lpar4", "vios"], out


@pytest.fixture
def four(workdir):
    """vswitchd --cores on sw with ports p1..p4 to namespaces h1..h4
    (10.77.0.1-4); p1, p3 on thread 0 and p2, p4 on thread 1."""
    n = Netns()
    d = Daemon(tempfile.mkdtemp(dir=workdir), "", args=["--cores", CORES])
    try:
        d.start()
        d.ctl("switch", "add", "sw")
        hosts = []
        for i in range(1, 5):
            ns = n.add("vc%d" % i)
            link = n.veth(unique("vc%d" % i), ns, address="10.77.0.%d/24" % i)
            d.ctl("port", "add", "sw", "p%d" % i, "type", "afpacket", "dev=" + link)
            hosts.append(ns)
        yield d, n, hosts
    finally:
        d.stop()
        n.cleanup()


def test_show_names_the_thread_of_every_port(four):
    d, n, hosts = four
    assert threads_of(d) == {"p1": 0, "p2": 1, "p3": 0, "p4": 1}
    assert "received by poll thread 1" in d.ctl("port", "show", "p2")
    out = d.ctl("show")
    assert "poll thread 0: p1 p3" in out and "poll thread 1: p2 p4" in out, out


def test_tcp_transfer_between_threads_arrives_intact(four):
    d, n, hosts = four
    want = 32 * 1024 * 1024
    sent, got = tcp.transfer(n, hosts[0], hosts[1], "10.77.0.2", want)
    assert int(sent[0]) == want
    assert got == sent, "received %s, sent %s" % (got, sent)


def frame(src, dst="ffffffffffff"):
    return dst + src + "88b5" + "00" * 46  # local experimental EtherType


def fdb_port(d, mac):
    out = d.ctl("fdb", "show", "sw")
    for line in out.splitlines():
        words = line.split()
        if len(words) >= 3 and words[1] == mac:
            return words[2]
    return None


def test_mac_move_between_threads_ends_where_seen_last(four):
    d, n, hosts = four
    mac, mac_hex = "02:00:00:77:00:01", "020000770001"
    # p1 is polled by thread 0, p2 by thread 1: the MAC flaps between them.
    # Each burst is let through before the next is sent: two threads may
    # take two bursts in either order, and the last taken is the last seen.
    for rounds in range(20):
        for host, port in ((hosts[0], "p1"), (hosts[1], "p2")):
            r = n.run(host, "/usr/bin/python3", "-c", SEND_RAW, *[frame(mac_hex)] * 5)
            assert r.returncode == 0, r.stderr
            deadline = time.time() + 5
            while fdb_port(d, mac) != port and time.time() < deadline:
                time.sleep(0.01)
            assert fdb_port(d, mac) == port
    counters = d.json("counters")
    moves = {p: (c["mac_moves"], c["rx_packets"]) for p, c in counters.items()}
    # every burst moved it once: the first on p1 is a new MAC, not a move
    assert moves["p1"] == (19, 100) and moves["p2"] == (20, 100), moves
    n.run(hosts[0], "/usr/bin/python3", "-c", SEND_RAW, frame(mac_hex))
    time.sleep(0.2)
    assert fdb_port(d, mac) == "p1"
    # one entry, counted once, on the port that has it
    assert d.ctl("fdb", "show", "sw").count(mac) == 1
    learned = {p["name"]: p["macs_learned"] for p in d.json("port", "show")}
    assert learned["p2"] == 0 and learned["p1"] >= 1, learned


def test_live_changes_under_traffic_keep_all_or_nothing(four):
    d, n, hosts = four
    assert n.run(hosts[0], "ping", "-c", "2", "-W", "1", "10.77.0.2").returncode == 0
    ping = subprocess.Popen(["ip", "netns", "exec", hosts[0], "ping", "-q", "-c", "500", "-i",
                             "0.01", "-W", "1", "10.77.0.2"], stdout=subprocess.PIPE, text=True)
    time.sleep(0.3)
    for i in range(10):
        # ports come and go on both threads while p1 -> p2 carries the ping
        d.ctl("port", "add", "sw", "x%d" % i, "type", "pipe")
        d.ctl("port", "set", "p3", "pvid", str(2 + i))
        if i % 2:
            d.ctl("port", "del", "x%d" % (i - 1))
    d.ctl("save")
    # A change that fails half-way (a device that cannot be opened) leaves
    # everything as it was, the good half too.
    good_and_bad = ("port add sw y1 type pipe\n"
                    "port add sw y2 type afpacket dev=%s\n" % unique("nodev"))
    with open(d.config, "a") as f:
        f.write(good_and_bad)
    r = d.run("reload")
    assert r.returncode != 0 and "y2" in r.stderr, r.stderr
    names = threads_of(d)
    assert "y1" not in names and "y2" not in names, names
    assert ping.poll() is None  # the stream covered every change
    out, _ = ping.communicate(timeout=60)
    assert "500 packets transmitted" in out, out
    assert " 0% packet loss" in out, (out, d.ctl("counters"))
    # the new ports went to the thread with fewer ports, and poll
    threads = threads_of(d)
    assert set(threads.values()) == {0, 1}
    assert n.run(hosts[2], "ping", "-c", "1", "-W", "1", "10.77.0.4").returncode != 0  # p3 moved VLAN
    d.ctl("port", "set", "p3", "pvid", "1")
    assert n.run(hosts[2], "ping", "-c", "2", "-W", "1", "10.77.0.4").returncode == 0


def test_steady_uplink_carriers_do_not_pause_the_other_thread(four):
    """While frames flow thread 0 reads the uplinks' carriers every 10 ms;
    it pauses thread 1 only for the housekeeping (once a second) and for a
    carrier that changed, not for every read (show --json "pauses")."""
    d, n, hosts = four
    d.ctl("port", "set", "p4", "uplink", "on")
    assert n.run(hosts[0], "ping", "-c", "2", "-W", "1", "10.77.0.2").returncode == 0
    before = d.json("show")["pauses"]
    started = time.time()
    # p1 is thread 0's: each echo request wakes it, the carriers are read
    r = n.run(hosts[0], "ping", "-q", "-c", "200", "-i", "0.01", "-W", "1", "10.77.0.2")
    assert r.returncode == 0, r.stdout
    seconds = time.time() - started
    pauses = d.json("show")["pauses"] - before
    # housekeeping once a second, the two show commands: a few, not ~100 a second
    assert pauses <= 3 * seconds + 4, (pauses, seconds)
    assert "paused" in d.ctl("show")


def test_startup_file_names_the_cores_and_a_live_change_is_refused(workdir):
    """`datapath cores LIST` in the startup file starts the threads, show
    running-config writes it back, and another list needs a restart."""
    config = "datapath cores %s\nswitch add sw\nport add sw a type pipe\nport add sw b type pipe\n"
    d = Daemon(tempfile.mkdtemp(dir=workdir), config % CORES)
    try:
        d.start()
        assert d.ctl("show", "running-config").splitlines()[0] == "datapath cores " + CORES
        assert threads_of(d) == {"a": 0, "b": 1}
        r = d.run("datapath", "cores", CORES.split(",")[0])
        assert r.returncode != 0 and "restart needed" in r.stderr, r.stderr
        assert d.run("datapath", "cores", CORES).returncode == 0  # the same list: no change
        assert d.ctl("show", "running-config").splitlines()[0] == "datapath cores " + CORES
    finally:
        d.stop()
    # --cores that disagrees with the file is refused at start
    r = subprocess.run([os.path.join(os.path.abspath(BUILD), "vswitchd"), "--config", d.config,
                        "--socket", os.path.join(workdir, "other.sock"), "--cores",
                        CORES.split(",")[0]], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "disagree" in r.stderr, r.stderr
