"""vhostuser ports (src/port/vhostuser.c) with DPDK's testpmd as the
virtio-user front end: frames of 64 and 1518 bytes (on the wire, FCS
included) cross vswitchd between two vhostuser ports with none lost; a
front end killed and started again (what a QEMU restart does) gets its port
back; and a hostile front end speaking broken vhost-user on a third port (a
wrong size, wrong fds, a bad ring size, a ring outside its memory, a
descriptor loop, garbage) is refused and counted, while the daemon lives
and the other two ports keep forwarding; a message that arrives in pieces
is answered once whole."""
import array
import mmap
import os
import socket
import struct
import time

import pytest

from vswitch_lab import dpdk

PORTS = ("v0", "v1", "v2")
CYCLES = 5
BURSTS = 8  # per cycle and port: 8 x 32 frames, within the 1024-entry rings


@pytest.fixture
def lab(daemon_factory, workdir, request):
    if os.geteuid() != 0:
        pytest.skip("needs root for hugepages")
    dpdk.setup_hugepages()
    sockets = {p: os.path.join(workdir, p + ".sock") for p in PORTS}
    # "two-threads": v0 and v1 on different poll threads (docs/cores.md), so
    # each port's send() runs on the thread that does not receive on it.
    cores = ",".join(str(c) for c in sorted(os.sched_getaffinity(0))[:2])
    threads = getattr(request, "param", "one-thread")
    if threads == "two-threads" and len(os.sched_getaffinity(0)) < 2:
        pytest.skip("two poll threads need two cores")
    config = ("datapath cores %s\n" % cores if threads == "two-threads" else "")
    config += "switch add sw0\n" + "".join(
        "port add sw0 %s type vhostuser socket=%s\n" % (p, sockets[p]) for p in PORTS)
    d = daemon_factory(config)
    pmds = []

    def testpmd():
        t = dpdk.Testpmd([sockets["v0"], sockets["v1"]], os.path.join(workdir, "testpmd.log"))
        pmds.append(t)
        return t.start()

    yield d, sockets, testpmd
    for t in pmds:
        t.stop()


def port(d, name):
    return d.json("port", "show", name)[0]


def wait_carrier(d, names, up=True, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if all(port(d, n)["carrier"] == up for n in names):
            return
        time.sleep(0.1)
    raise AssertionError("carrier of %s not %s: %s" % (names, up, d.ctl("port", "show")))


def exchange(t, frame):
    """CYCLES times, each port sends BURSTS bursts to the other, which
    receives in rxonly mode; returns testpmd's [(rx, tx), (rx, tx)]."""
    t.command("set txpkts %d" % frame)
    for _ in range(CYCLES):
        t.command("start tx_first %d" % BURSTS)
        time.sleep(0.3)
        t.command("stop")
    return t.port_stats()


def assert_none_lost(d, stats, sent_each):
    (rx0, tx0), (rx1, tx1) = stats
    assert tx0 == tx1 == sent_each, stats
    assert rx1 == tx0 and rx0 == tx1, stats
    c0, c1 = port(d, "v0")["counters"], port(d, "v1")["counters"]
    assert c0["rx_packets"] == tx0 and c1["tx_packets"] == tx0, (c0, c1)
    assert c1["rx_packets"] == tx1 and c0["tx_packets"] == tx1, (c0, c1)


@pytest.mark.parametrize("lab", ["one-thread", "two-threads"], indirect=True)
def test_frames_of_64_and_1518_bytes_cross_with_none_lost(lab, request):
    d, _, testpmd = lab
    if "two-threads" in request.node.name:
        assert port(d, "v0")["poll_thread"] != port(d, "v1")["poll_thread"]
    t = testpmd()
    wait_carrier(d, ["v0", "v1"])
    info = port(d, "v0")["vhostuser"]
    assert info["state"] == "connected" and info["queues"] == 1, info
    assert "mrg_rxbuf" in port(d, "v0")["vhostuser"]["status"]
    per_size = CYCLES * BURSTS * 32
    assert_none_lost(d, exchange(t, 60), per_size)
    assert_none_lost(d, exchange(t, 1514), 2 * per_size)
    assert port(d, "v1")["counters"]["tx_bytes"] == per_size * (60 + 1514)
    assert port(d, "v0")["vhostuser"]["refused"] == 0


def test_front_end_restarted_gets_its_port_back(lab):
    d, _, testpmd = lab
    t = testpmd()
    wait_carrier(d, ["v0", "v1"])
    exchange(t, 60)
    t.kill()  # as a crashed QEMU: no goodbye
    wait_carrier(d, ["v0", "v1"], up=False)
    before = port(d, "v0")["counters"]["rx_packets"]
    t = testpmd()
    wait_carrier(d, ["v0", "v1"])
    (rx0, tx0), (rx1, tx1) = exchange(t, 60)
    assert tx0 == rx1 == CYCLES * BURSTS * 32 and tx1 == rx0 == tx0
    assert port(d, "v0")["counters"]["rx_packets"] == before + tx0
    assert port(d, "v0")["vhostuser"]["resets"] == 1


# ---- a hostile front end ------------------------------------------------------

VERSION = 1
GET_FEATURES, SET_FEATURES, SET_OWNER, SET_MEM_TABLE = 1, 2, 3, 5
SET_VRING_NUM, SET_VRING_ADDR, SET_VRING_BASE, SET_VRING_KICK = 8, 9, 10, 12
MEM = 1 << 20
UVA = 0x7F0000000000


def message(request, payload=b"", size=None):
    return struct.pack("<III", request, VERSION, len(payload) if size is None else size) + payload


class FrontEnd:
    """A vhost-user front end that says what the test tells it to."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(path)

    def send(self, data, fds=()):
        self.sock.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                    array.array("i", fds))] if fds else [])

    def dropped(self):
        """True once the back end closed the connection."""
        try:
            while self.sock.recv(4096):
                pass
            return True
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False
        finally:
            self.sock.close()


def memory_table(fd, regions=1):
    payload = struct.pack("<II", regions, 0)
    for i in range(regions):
        payload += struct.pack("<QQQQ", i * MEM // 2, MEM // regions, UVA + i * MEM // 2, 0)
    return payload


def vring_addr(index, base):
    return struct.pack("<IIQQQQ", index, 0, base, base + 0x2000, base + 0x1000, 0)


def looping_ring(fe):
    """A transmit ring whose only chain loops, then a kick."""
    fd = os.memfd_create("guest")
    os.ftruncate(fd, MEM)
    mem = mmap.mmap(fd, MEM)
    # desc 0 -> desc 1 -> desc 0 (NEXT = 1), avail: head 0, idx 1.
    mem[0:32] = struct.pack("<QIHH", 0x10000, 64, 1, 1) + struct.pack("<QIHH", 0x10000, 64, 1, 0)
    mem[0x1000:0x1006] = struct.pack("<HHH", 0, 1, 0)
    fe.send(message(SET_FEATURES, struct.pack("<Q", 1 << 32)))
    fe.send(message(SET_MEM_TABLE, memory_table(fd)), [fd])
    fe.send(message(SET_VRING_NUM, struct.pack("<II", 1, 16)))
    fe.send(message(SET_VRING_BASE, struct.pack("<II", 1, 0)))
    fe.send(message(SET_VRING_ADDR, vring_addr(1, UVA)))
    kick = os.eventfd(0)
    fe.send(message(SET_VRING_KICK, struct.pack("<Q", 1)), [kick])
    os.eventfd_write(kick, 1)
    os.close(kick)
    os.close(fd)
    mem.close()


def bad_size(fe):
    fe.send(message(GET_FEATURES, size=0xFFFFFFF0))


def bad_fds(fe):
    fd = os.memfd_create("guest")
    os.ftruncate(fd, MEM)
    fe.send(message(SET_MEM_TABLE, memory_table(fd, regions=2)), [fd])
    os.close(fd)


def bad_ring_size(fe):
    fe.send(message(SET_VRING_NUM, struct.pack("<II", 1, 300)))


def ring_outside_memory(fe):
    fd = os.memfd_create("guest")
    os.ftruncate(fd, MEM)
    fe.send(message(SET_MEM_TABLE, memory_table(fd)), [fd])
    os.close(fd)
    fe.send(message(SET_VRING_NUM, struct.pack("<II", 0, 256)))
    fe.send(message(SET_VRING_ADDR, vring_addr(0, UVA + MEM - 0x1000)))


def short_payload(fe):
    fe.send(message(SET_FEATURES, b"\x01\x02\x03\x04"))


def garbage(fe):
    fe.send(message(SET_OWNER) + bytes(range(7, 107)))


@pytest.mark.parametrize("attack,counter", [
    (bad_size, "bad-size"), (bad_fds, "bad-fds"), (bad_ring_size, "bad-ring-size"),
    (ring_outside_memory, "bad-ring-address"), (looping_ring, "bad-chain"),
    (short_payload, "bad-size"), (garbage, "bad-")])
def test_hostile_front_end_is_refused_and_others_keep_forwarding(lab, attack, counter):
    d, sockets, testpmd = lab
    t = testpmd()
    wait_carrier(d, ["v0", "v1"])
    fe = FrontEnd(sockets["v2"])
    attack(fe)
    assert fe.dropped(), "the back end kept a connection that broke the protocol"
    v2 = port(d, "v2")["vhostuser"]
    assert v2["refused"] >= 1 and v2["resets"] == 1 and v2["state"] == "listening", v2
    assert counter in v2["status"], v2
    assert d.proc.poll() is None
    # The port takes a front end again, and the others never stopped.
    FrontEnd(sockets["v2"]).sock.close()
    (rx0, tx0), (rx1, tx1) = exchange(t, 60)
    assert tx0 == rx1 == CYCLES * BURSTS * 32 and tx1 == rx0 == tx0


def test_message_in_pieces_is_applied_once_whole(lab):
    d, sockets, _ = lab
    fe = FrontEnd(sockets["v2"])
    header = message(GET_FEATURES)
    fe.sock.sendall(header[:5])
    time.sleep(0.3)
    fe.sock.sendall(header[5:])
    reply = b""
    while len(reply) < 20:
        reply += fe.sock.recv(20 - len(reply))
    request, flags, size, features = struct.unpack("<IIIQ", reply)
    assert (request, flags, size) == (GET_FEATURES, VERSION | 0x4, 8)
    assert features & (1 << 32) and features & (1 << 15)  # VERSION_1, MRG_RXBUF
    assert port(d, "v2")["vhostuser"]["state"] == "connected"
    fe.sock.close()
