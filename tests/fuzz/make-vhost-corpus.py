#!/usr/bin/env python3
"""Writes seed inputs for fuzz_vhost_message into DIR: the start sequence
QEMU sends (features, a memfd memory table, rings 0 and 1 with kicks and
calls), then rings the guest fills (a frame to send, buffers to fill, an
indirect table), so the fuzzer starts with rings ready instead of at the
first message. Record format: see fuzz_vhost_message.c."""
import os
import struct
import sys

UVA = 0x7F0000000000
RING = 16


def record(request, payload=b"", fds=0, memfd=False, flags=1):
    spec = fds | (4 if memfd else 0)
    return struct.pack("<BBBH", spec, request, flags, len(payload)) + payload


def state(request, index, num):
    return record(request, struct.pack("<II", index, num))


def start(features):
    out = record(2, struct.pack("<Q", features))  # SET_FEATURES
    out += record(5, struct.pack("<IIQQQQ", 1, 0, 0, 1 << 20, UVA, 0), fds=1, memfd=True)
    for ring in (0, 1):
        base = ring * 0x10000
        out += state(8, ring, RING) + state(10, ring, 0)
        out += record(9, struct.pack("<IIQQQQ", ring, 0, UVA + base, UVA + base + 0x2000,
                                     UVA + base + 0x1000, 0))
        out += record(12, struct.pack("<Q", ring), fds=1) + record(13, struct.pack("<Q", ring), fds=1)
    return out


def guest_write(offset, data):
    return record(0xFF, struct.pack("<I", offset) + data)


def desc(addr, length, flags=0, nxt=0):
    return struct.pack("<QIHH", addr, length, flags, nxt)


def seeds():
    v1, mrg, indirect = 1 << 32, 1 << 15, 1 << 28
    frame = bytes(12) + b"\xff" * 6 + b"\x02" * 6 + b"\x08\x00" + b"x" * 46
    tx = 0x10000  # ring 1: desc at 0x10000, avail +0x1000, used +0x2000
    send = (guest_write(0x40000, frame) + guest_write(tx, desc(0x40000, len(frame))) +
            guest_write(tx + 0x1000, struct.pack("<HHH", 0, 1, 0)))
    recv = (guest_write(0, desc(0x50000, 2048, 2)) +
            guest_write(0x1000, struct.pack("<HHH", 0, 1, 0)))
    table = desc(0x40000, 12, 1, 1) + desc(0x4000C, len(frame) - 12)
    indirect_send = (guest_write(0x40000, frame) + guest_write(0x60000, table) +
                     guest_write(tx, desc(0x60000, len(table), 4)) +
                     guest_write(tx + 0x1000, struct.pack("<HHH", 0, 1, 0)))
    return {
        "start": start(v1),
        "send": start(v1) + send,
        "recv-mergeable": start(v1 | mrg) + recv,
        "indirect": start(v1 | indirect) + indirect_send,
    }


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, data in seeds().items():
        with open(os.path.join(out, "seed-" + name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
