"""The afxdp port type with real kernel peers: the seed scenario of DESIGN
section 3 (test_seed_vios.py's tests, run again with the hypervisor switch's
ports on AF_XDP), a TCP transfer checked byte for byte (vswitch_lab.tcp's
sender and receiver), the XDP program's life across close and SIGKILL, and
the operator's errors when something AF_XDP needs is missing."""
import errno
import os
import signal
import socket
import tempfile
import time

import pytest

from vswitch_lab import tcp
from vswitch_lab.daemon import Daemon
from vswitch_lab.netns import Netns, sh, unique
from vswitch_lab.seed_lab import SeedLab

# The seed scenario's tests, collected here again against the `lab` below.
from test_seed_vios import (  # noqa: F401
    test_frames_are_untagged_on_pvid_and_tagged_elsewhere,
    test_malformed_burst_is_counted_and_good_traffic_flows, test_seed_reachability_matrix)

BUILD = os.environ.get("VSWITCH_BUILD", "build")
AF_XDP = 44


def kernel_has_af_xdp():
    try:
        socket.socket(AF_XDP, socket.SOCK_RAW, 0).close()
    except OSError as e:
        return e.errno != errno.EAFNOSUPPORT
    return True


pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces"),
    pytest.mark.skipif(not kernel_has_af_xdp(), reason="the kernel has no AF_XDP sockets"),
]


@pytest.fixture(scope="module")
def lab():
    workdir = tempfile.mkdtemp(prefix="vswitch-afxdp-seed-")
    lab = SeedLab(BUILD, workdir, port_type="afxdp")
    try:
        lab.start()
        yield lab
    finally:
        lab.stop()


def test_seed_lab_runs_on_afxdp(lab):
    """The tests imported above ran over AF_XDP, not afpacket."""
    for p, link in lab.links.items():
        assert "prog/xdp" in sh("ip", "-d", "link", "show", link).stdout, p
    show = lab.ctl("hv", "port", "show", "lpar1").stdout
    assert "type afxdp" in show and "AF_XDP on " + lab.links["lpar1"] in show


def xdp_attached(link):
    return "prog/xdp" in sh("ip", "-d", "link", "show", link).stdout


@pytest.fixture
def pair(workdir):
    """Namespaces a (10.61.0.1) and b (10.61.0.2) on afxdp ports pa, pb."""
    n = Netns()
    d = None
    try:
        ns, links = {}, {}
        for i, h in enumerate("ab"):
            ns[h] = n.add("xd" + h)
            links[h] = n.veth(unique("vx" + h), ns[h], address="10.61.0.%d/24" % (i + 1))
            # AF_XDP sees no partial checksum: the peers fill them in (afxdp.c)
            n.run(ns[h], "ethtool", "-K", "eth0", "tx", "off", check=True)
        config = "switch add sw\n" + "".join(
            "port add sw p%s type afxdp dev=%s\n" % (h, links[h]) for h in "ab")
        d = Daemon(tempfile.mkdtemp(dir=workdir), config).start()
        yield d, n, ns, links
    finally:
        if d:
            d.stop()
        n.cleanup()


def ping(n, ns, address, count=3):
    return n.run(ns, "ping", "-n", "-q", "-c", str(count), "-i", "0.2", "-W", "2",
                 address).returncode == 0


def test_tcp_moves_every_byte(pair):
    d, n, ns, links = pair
    want = 100 * 1024 * 1024
    sent, got = tcp.transfer(n, ns["a"], ns["b"], "10.61.0.2", want)
    assert int(sent[0]) == want
    assert got == sent, "received %s, sent %s" % (got, sent)
    c = d.json("counters")
    # every byte crossed through the AF_XDP rings, in MTU-sized frames
    assert c["pa"]["rx_bytes"] > want
    assert c["pa"]["rx_bytes"] / c["pa"]["rx_packets"] < 1600


def test_program_detached_at_close_and_reattached_after_sigkill(pair):
    d, n, ns, links = pair
    assert ping(n, ns["a"], "10.61.0.2")
    d.ctl("port", "del", "pb")
    assert not xdp_attached(links["b"])
    d.ctl("port", "add", "sw", "pb", "type", "afxdp", "dev=" + links["b"])
    assert xdp_attached(links["b"]) and ping(n, ns["a"], "10.61.0.2")
    d.ctl("save")
    # A killed daemon leaves its programs attached; the next one takes over.
    d.stop(sig=signal.SIGKILL)
    assert xdp_attached(links["a"]) and xdp_attached(links["b"])
    d.start()
    assert "detached a stale AF_XDP program from '%s'" % links["a"] in d.log_text()
    assert ping(n, ns["a"], "10.61.0.2")


def refused(d, *words):
    r = d.run(*words)
    assert r.returncode != 0, r.stdout
    return r.stderr + r.stdout


def test_missing_device_is_named(daemon):
    daemon.ctl("switch", "add", "sw")
    msg = refused(daemon, "port", "add", "sw", "px", "type", "afxdp", "dev=nosuchdev0")
    assert "port px: no such interface 'nosuchdev0'" in msg


def test_missing_bpffs_is_named_with_the_fallback(workdir, netns):
    ns = netns.add("xdf")
    link = netns.veth(unique("vxf"), ns)
    gone = os.path.join(workdir, "no-such-dir")
    d = Daemon(tempfile.mkdtemp(dir=workdir), "", env={"LIBXDP_BPFFS": gone}).start()
    try:
        d.ctl("switch", "add", "sw")
        msg = refused(d, "port", "add", "sw", "px", "type", "afxdp", "dev=" + link)
        assert "AF_XDP needs a BPF filesystem (bpffs) at %s" % gone in msg
        assert "mount -t bpf bpf %s" % gone in msg
        assert "type afpacket reaches the same interface" in msg
        assert not xdp_attached(link)
    finally:
        d.stop()


def jumbo(n, ns, links):
    """MTU 9000 on both veths of a pair, offloads off in the namespaces: TCP
    then moves in 9000-byte segments, checksummed in software."""
    for h in "ab":
        n.run(ns[h], "ip", "link", "set", "eth0", "mtu", "9000", check=True)
        sh("ip", "link", "set", links[h], "mtu", "9000")
        n.run(ns[h], "ethtool", "-K", "eth0", "tso", "off", "gso", "off", "gro", "off",
              "tx", "off", "rx", "off")


def jumbo_crosses(d, n, ns):
    """Pings of 8028-byte packets that may not fragment, both ways, and a
    TCP transfer checked byte for byte; returns the counters."""
    d.ctl("switch", "set", "sw", "mtu", "9000")
    for src, dst in (("a", "10.61.0.2"), ("b", "10.61.0.1")):
        r = n.run(ns[src], "ping", "-n", "-q", "-c", "3", "-i", "0.2", "-W", "2", "-M", "do",
                  "-s", "8000", dst)
        assert r.returncode == 0, "%s -> %s: %s" % (src, dst, r.stdout + r.stderr)
    want = 16 * 1024 * 1024
    sent, got = tcp.transfer(n, ns["a"], ns["b"], "10.61.0.2", want)
    assert int(sent[0]) == want and got == sent, "received %s, sent %s" % (got, sent)
    return d.json("counters")


def test_frames_above_one_page_cross_as_chains_at_mtu_9000(pair):
    """Multi-buffer: the program is frags-aware, so the veth lets its peer
    take MTU 9000 (a program that is not caps it at 3506), and a frame
    crosses as a chain of 4096-byte UMEM chunks both ways."""
    d, n, ns, links = pair
    show = d.ctl("port", "show", "pa")
    assert "multi-buffer" in show and "single-buffer" not in show, show
    jumbo(n, ns, links)
    c = jumbo_crosses(d, n, ns)
    # the data came in 9014-byte frames: received as chains, sent as chains
    assert c["pa"]["rx_bytes"] / c["pa"]["rx_packets"] > 8000, c["pa"]
    assert c["pb"]["tx_bytes"] / c["pb"]["tx_packets"] > 8000, c["pb"]
    for p in ("pa", "pb"):
        assert c[p]["drops"]["rx-chain-long"] == 0 and c[p]["drops"]["rx-chain-broken"] == 0


def test_single_buffer_port_caps_the_mtu_and_counts_longer_frames(pair):
    """The fallback when the kernel refuses XDP_USE_SG, forced with
    multi-buffer=no on pb: it says so, its program is not frags-aware so its
    veth keeps the peer's MTU at 3506, and a 9000-byte frame from the
    multi-buffer port pa that must leave by pb is a counted tx-error."""
    d, n, ns, links = pair
    d.ctl("port", "del", "pb")
    d.ctl("port", "add", "sw", "pb", "type", "afxdp", "dev=" + links["b"], "multi-buffer=no")
    show = d.ctl("port", "show", "pb")
    assert "single-buffer (multi-buffer=no)" in show, show
    assert "maxmtu 3506" in n.run(ns["b"], "ip", "-d", "link", "show", "eth0").stdout
    assert n.run(ns["b"], "ip", "link", "set", "eth0", "mtu", "9000").returncode != 0
    n.run(ns["a"], "ip", "link", "set", "eth0", "mtu", "9000", check=True)
    sh("ip", "link", "set", links["a"], "mtu", "9000")
    d.ctl("switch", "set", "sw", "mtu", "9000")
    assert ping(n, ns["a"], "10.61.0.2")  # small frames still cross
    r = n.run(ns["a"], "ping", "-n", "-q", "-c", "3", "-i", "0.2", "-W", "1", "-M", "do", "-s",
              "8000", "10.61.0.2")
    assert r.returncode != 0
    assert d.json("counters")["pb"]["drops"]["tx-error"] >= 3
    assert d.run("show").returncode == 0  # the daemon lives on


def test_frames_above_one_page_cross_afpacket_too(workdir):
    """The same over afpacket ports, for comparison: a packet socket takes
    9000-byte frames whole."""
    n = Netns()
    d = None
    try:
        ns, links = {}, {}
        for i, h in enumerate("ab"):
            ns[h] = n.add("xj" + h)
            links[h] = n.veth(unique("vj" + h), ns[h], address="10.61.0.%d/24" % (i + 1))
        config = "switch add sw\n" + "".join(
            "port add sw p%s type afpacket dev=%s\n" % (h, links[h]) for h in "ab")
        d = Daemon(tempfile.mkdtemp(dir=workdir), config).start()
        jumbo(n, ns, links)
        c = jumbo_crosses(d, n, ns)
        assert c["pa"]["rx_bytes"] / c["pa"]["rx_packets"] > 8000, c["pa"]
    finally:
        if d:
            d.stop()
        n.cleanup()


def two_queue_veth(n, name, ns, address):
    """A veth of two queues each way, its peer eth0 in ns sending every frame
    through its queue 1 (XPS), so they reach the switch's end on queue 1."""
    tmp = unique("vtq")
    sh("ip", "link", "add", name, "numtxqueues", "2", "numrxqueues", "2", "type", "veth", "peer",
       "name", tmp, "numtxqueues", "2", "numrxqueues", "2")
    n.links.append(name)
    sh("ip", "link", "set", tmp, "netns", ns)
    sh("ip", "-n", ns, "link", "set", tmp, "name", "eth0")
    sh("ip", "-n", ns, "addr", "add", address, "dev", "eth0")
    n.run(ns, "sh", "-c", "echo 0 > /sys/class/net/eth0/queues/tx-0/xps_cpus && "
          "echo 3 > /sys/class/net/eth0/queues/tx-1/xps_cpus", check=True)
    n.run(ns, "ethtool", "-K", "eth0", "tx", "off", check=True)
    sh("ip", "-n", ns, "link", "set", "eth0", "up")
    sh("ip", "link", "set", name, "up")
    return name


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two cores")
def test_queues_each_thread_sends_through_its_own_queue(workdir):
    """queues=2 and two poll threads (pa received on one, pb on the other):
    each thread sends through its own queue, so pa's frames and pb's leave
    by different queues; and the idle daemon wakes for frames that arrive
    on queue 1 (its wait set holds every queue's socket, not only queue 0's)."""
    n = Netns()
    d = None
    try:
        ns, links = {}, {}
        for i, h in enumerate("ab"):
            ns[h] = n.add("xq" + h)
            links[h] = two_queue_veth(n, unique("vq" + h), ns[h], "10.63.0.%d/24" % (i + 1))
        config = "switch add sw\n" + "".join(
            "port add sw p%s type afxdp dev=%s queues=2\n" % (h, links[h]) for h in "ab")
        d = Daemon(tempfile.mkdtemp(dir=workdir), config, args=["--cores", "0,1"]).start()
        for _ in range(2):  # the second round after the threads slept
            assert ping(n, ns["a"], "10.63.0.2", count=3)
            time.sleep(0.3)
        sent = {}
        for p in ("pa", "pb"):
            q = d.json("port", "show", p)[0]["afxdp"]
            sent[p] = (q["queue0-tx"], q["queue1-tx"])
        # one queue each, not the same one
        for p in ("pa", "pb"):
            assert min(sent[p]) == 0 and max(sent[p]) >= 6, sent
        assert sent["pa"].index(max(sent["pa"])) != sent["pb"].index(max(sent["pb"])), sent
    finally:
        if d:
            d.stop()
        n.cleanup()


def limited_daemon(workdir, memlock):
    """A daemon with a memlock limit and neither CAP_IPC_LOCK nor
    CAP_SYS_RESOURCE: the kernel charges the UMEM to the limit."""
    d = Daemon(tempfile.mkdtemp(dir=workdir), "switch add sw\n")
    d.prefix = ["prlimit", "--memlock=%d" % memlock, "setpriv",
                "--bounding-set=-ipc_lock,-sys_resource", "--"]
    return d.start()


def test_memlock_limit_without_cap_ipc_lock_shrinks_the_rings(workdir, netns):
    """The issue's machine: 8 MiB of memlock: the rings shrink to fit half of
    it, and traffic flows. (The kernel counts locked memory per user, so
    what else root locks decides how many such ports fit: two here.)"""
    links, spaces = {}, {}
    for i, h in enumerate("ab"):
        spaces[h] = netns.add("xdm" + h)
        links[h] = netns.veth(unique("vxm" + h), spaces[h], address="10.62.0.%d/24" % (i + 1))
    d = limited_daemon(workdir, 8 << 20)
    try:
        for h in "ab":
            d.ctl("port", "add", "sw", "p" + h, "type", "afxdp", "dev=" + links[h])
        assert "512 rx + 128 tx frames" in d.ctl("port", "show", "pa")
        assert ping(netns, spaces["a"], "10.62.0.2")
    finally:
        d.stop()


def test_memlock_limit_too_small_is_named(workdir, netns):
    ns = netns.add("xdl")
    link = netns.veth(unique("vxl"), ns)
    d = limited_daemon(workdir, 256 << 10)
    try:
        msg = refused(d, "port", "add", "sw", "px", "type", "afxdp", "dev=" + link)
        assert "port px: the memlock limit (256 KiB, ulimit -l) cannot hold 1 AF_XDP queue(s) " \
               "of 512 KiB: raise it (LimitMEMLOCK=) or grant CAP_IPC_LOCK" in msg, msg
        assert "type afpacket reaches the same interface" in msg
        assert not xdp_attached(link)
    finally:
        d.stop()
