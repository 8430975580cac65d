"""The smallest vhost-user front end: a guest's memory in a memfd, a
transmit ring (queue 1) and a receive ring (queue 0); frames go on the
transmit ring one descriptor each, as a virtio-net driver puts them, then a
kick; the receive ring holds RING writable buffers of 2 KB, read back from
its used ring without a call eventfd (the back end needs none). For tests
that need exact frames to enter and leave a vhostuser port
(src/port/vhostuser.c) without DPDK or a VM."""
import array
import mmap
import os
import socket
import struct

VERSION = 1  # the flags word of every message
SET_FEATURES, SET_MEM_TABLE = 2, 5
SET_VRING_NUM, SET_VRING_ADDR, SET_VRING_BASE, SET_VRING_KICK = 8, 9, 10, 12
VIRTIO_F_VERSION_1 = 1 << 32
MEM = 1 << 20
UVA = 0x7F0000000000  # where the "guest" says its memory is mapped
RING = 64  # entries per ring
TX_RING, RX_RING = 0x0000, 0x4000  # guest addresses of the two rings
BUFFERS = 0x10000  # transmit buffers, 2 KB each
RX_BUFFERS = BUFFERS + RING * 2048  # receive buffers, 2 KB each
DESC_F_WRITE = 2
HEADER = bytes(12)  # virtio-net header with VERSION_1: no offload


class VhostGuest:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(path)
        self.memfd = os.memfd_create("vhost-guest")
        os.ftruncate(self.memfd, MEM)
        self.mem = mmap.mmap(self.memfd, MEM)
        self.kicks = {}
        self.sent = 0
        self.used = 0  # receive ring's used entries read so far
        for slot in range(RING):  # every receive buffer made available
            self._put(RX_RING, slot, RX_BUFFERS + slot * 2048, 2048, DESC_F_WRITE)
        self._publish(RX_RING, RING)
        self._send(SET_FEATURES, struct.pack("<Q", VIRTIO_F_VERSION_1))
        self._send(SET_MEM_TABLE, struct.pack("<IIQQQQ", 1, 0, 0, MEM, UVA, 0), [self.memfd])
        for index, base in ((0, RX_RING), (1, TX_RING)):
            self._send(SET_VRING_NUM, struct.pack("<II", index, RING))
            self._send(SET_VRING_BASE, struct.pack("<II", index, 0))
            # index, flags, descriptors, used, available (user addresses), log
            self._send(SET_VRING_ADDR, struct.pack("<IIQQQQ", index, 0, UVA + base,
                                                   UVA + base + 0x2000, UVA + base + 0x1000, 0))
            self.kicks[index] = os.eventfd(0)
            self._send(SET_VRING_KICK, struct.pack("<Q", index), [self.kicks[index]])

    def _send(self, request, payload, fds=()):
        data = struct.pack("<III", request, VERSION, len(payload)) + payload
        self.sock.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                    array.array("i", fds))] if fds else [])

    def transmit(self, frame):
        """Puts one frame on the transmit ring and kicks."""
        slot = self.sent % RING
        buf = BUFFERS + slot * 2048
        data = HEADER + frame
        self.mem[buf:buf + len(data)] = data
        self._put(TX_RING, slot, buf, len(data), 0)
        self.sent += 1
        self._publish(TX_RING, self.sent)
        os.eventfd_write(self.kicks[1], 1)

    def received(self):
        """The frames the back end put in the receive buffers since last
        asked, virtio-net header removed (at most RING in all)."""
        used = RX_RING + 0x2000
        idx, = struct.unpack("<H", self.mem[used + 2:used + 4])
        frames = []
        while self.used != idx:
            entry = used + 4 + 8 * (self.used % RING)
            slot, length = struct.unpack("<II", self.mem[entry:entry + 8])
            buf = RX_BUFFERS + slot * 2048
            frames.append(bytes(self.mem[buf + len(HEADER):buf + length]))
            self.used = (self.used + 1) & 0xFFFF
        return frames

    def _put(self, ring, slot, addr, length, flags):
        """Descriptor `slot` for a buffer, and the same slot of the
        available ring naming it."""
        self.mem[ring + slot * 16:ring + slot * 16 + 16] = struct.pack(
            "<QIHH", addr, length, flags, 0)
        avail = ring + 0x1000
        self.mem[avail + 4 + 2 * slot:avail + 6 + 2 * slot] = struct.pack("<H", slot)

    def _publish(self, ring, idx):
        avail = ring + 0x1000
        self.mem[avail + 2:avail + 4] = struct.pack("<H", idx & 0xFFFF)

    def close(self):
        self.sock.close()
        for fd in self.kicks.values():
            os.close(fd)
        self.mem.close()
        os.close(self.memfd)
