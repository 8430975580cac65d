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


def test_frames_up_to_one_page_cross_and_the_mtu_stops_above(pair):
    d, n, ns, links = pair
    # The program is not multi-buffer aware: the veth caps its peer's MTU at
    # what one 4096-byte UMEM frame holds, and a frame up to that crosses.
    for h in "ab":
        assert "maxmtu 3506" in n.run(ns[h], "ip", "-d", "link", "show", "eth0").stdout
        assert n.run(ns[h], "ip", "link", "set", "eth0", "mtu", "3600").returncode != 0
        n.run(ns[h], "ip", "link", "set", "eth0", "mtu", "3500", check=True)
        sh("ip", "link", "set", links[h], "mtu", "3500")  # the switch's end takes them too
    big = ["ping", "-n", "-q", "-c", "3", "-i", "0.2", "-W", "1", "-M", "do", "-s", "3400",
           "10.61.0.2"]
    # AF_XDP delivered them: the switch's own MTU (1500) refused them
    assert n.run(ns["a"], *big).returncode != 0
    assert d.json("counters")["pa"]["drops"]["oversize"] == 3
    d.ctl("switch", "set", "sw", "mtu", "3500")
    r = n.run(ns["a"], *big)
    assert r.returncode == 0, r.stdout + r.stderr


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
