#!/usr/bin/python3
"""How soon does the kernel report a carrier change on rtnetlink?

The experiment behind the idle daemon (src/ha/schedule.c, docs/benchmarks.md
"Idle wake-ups"): in a namespace of its own it makes each kind of carrier
change a vswitchd must act on and measures the time from the system call to
the first RTM_NEWLINK message for that interface, and whether the message
already says the carrier is gone (IFF_LOWER_UP). Each kind runs twice: with
the kernel's link watch idle for over a second, and just after another link
event made it run (as on a busy host: it runs non-urgent events at most once
a second). It also checks whether a packet socket on a tap that loses its
queue sees an error (POLLERR): it does not.

Usage: link_events.py [--rounds N]   (root)"""
import argparse
import fcntl
import os
import select
import socket
import struct
import subprocess
import sys
import time
import uuid

TUNSETIFF, TUNSETPERSIST, TUNSETCARRIER = 0x400454ca, 0x400454cb, 0x400454e2
IFF_TAP, IFF_NO_PI = 0x2, 0x1000
SIOCETHTOOL, ETHTOOL_GLINK = 0x8946, 0xa
IFF_LOWER_UP = 0x10000
RTM_NEWLINK = 16


def sh(*cmd):
    subprocess.run(cmd, check=True)


def tap_queue(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    return fd


def set_carrier(fd, up):
    fcntl.ioctl(fd, TUNSETCARRIER, struct.pack("i", int(up)))


def read_carrier(name):
    """ETHTOOL_GLINK, as vswitchd reads a carrier (afpacket_netdev_running)."""
    import ctypes
    value = ctypes.create_string_buffer(struct.pack("II", ETHTOOL_GLINK, 0))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        fcntl.ioctl(s, SIOCETHTOOL, struct.pack("16sP", name.encode(), ctypes.addressof(value)))
    return struct.unpack("II", value.raw[:8])[1]


class LinkEvents:
    def __init__(self):
        self.s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_NONBLOCK, 0)
        self.s.bind((0, 1))  # RTMGRP_LINK

    def drain(self):
        try:
            while self.s.recv(65536):
                pass
        except BlockingIOError:
            pass

    def first(self, ifindex, t0, timeout=3.0):
        """(ms from t0 to the first RTM_NEWLINK for ifindex, its LOWER_UP)."""
        while time.monotonic() < t0 + timeout:
            if not select.select([self.s], [], [], t0 + timeout - time.monotonic())[0]:
                continue
            data, at, off = self.s.recv(65536), time.monotonic(), 0
            while off + 32 <= len(data):
                length, kind = struct.unpack_from("IH", data, off)
                _, _, _, index, flags, _ = struct.unpack_from("BBHiII", data, off + 16)
                if kind == RTM_NEWLINK and index == ifindex:
                    return (at - t0) * 1000, bool(flags & IFF_LOWER_UP)
                off += (length + 3) & ~3
        return None, None


def inside(rounds):
    sh("ip", "link", "set", "lo", "up")
    poke = tap_queue("pk0")
    sh("ip", "link", "add", "va0", "type", "veth", "peer", "name", "vb0")
    sh("ip", "link", "set", "va0", "up")
    sh("ip", "link", "set", "vb0", "up")
    queue = tap_queue("tp0")
    fcntl.ioctl(queue, TUNSETPERSIST, 1)
    sh("ip", "link", "set", "tp0", "up")
    tap, veth = socket.if_nametoindex("tp0"), socket.if_nametoindex("va0")
    packet = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    packet.bind(("tp0", 0))
    events = LinkEvents()
    results, state = {}, {"queue": queue}

    def close_queue():
        os.close(state["queue"])

    def open_queue():
        state["queue"] = tap_queue("tp0")

    def carrier(up, read=False):
        def change():
            set_carrier(state["queue"], up)
            if read:
                read_carrier("tp0")
        return change

    # In order, each undoing the one before; a step without a label only
    # restores.
    steps = [
        ("tap: its queue is closed (QEMU or a VIOS dies)", tap, close_queue),
        ("tap: a queue attaches", tap, open_queue),
        ("tap: TUNSETCARRIER off", tap, carrier(False)),
        ("tap: TUNSETCARRIER on", tap, carrier(True)),
        ("tap: TUNSETCARRIER off, then ETHTOOL_GLINK", tap, carrier(False, read=True)),
        (None, tap, carrier(True)),
        ("veth: the peer goes down", veth, lambda: sh("ip", "link", "set", "vb0", "down")),
        ("veth: the peer comes up", veth, lambda: sh("ip", "link", "set", "vb0", "up")),
    ]
    pollerr = set()
    for _ in range(rounds):
        for busy in (False, True):
            for label, ifindex, change in steps:
                if label is None:
                    change()
                    continue
                time.sleep(1.2)  # the link watch is idle...
                if busy:  # ... or has just run for another interface
                    set_carrier(poke, False)
                    time.sleep(0.02)
                    set_carrier(poke, True)
                    time.sleep(0.02)
                events.drain()
                t0 = time.monotonic()
                change()
                results.setdefault((label, busy), []).append(events.first(ifindex, t0))
                if "closed" in label:
                    p = select.poll()
                    p.register(packet, select.POLLERR)
                    pollerr.add(any(ev & select.POLLERR for _, ev in p.poll(0)))
    print("Time from the system call to rtnetlink's RTM_NEWLINK, ms (median, min-max of %d):"
          % rounds)
    print("  %-46s %22s %22s %10s" % ("change", "link watch idle >1 s", "link watch ran <1 s",
                                     "LOWER_UP"))
    for label, _, _ in steps:
        if label is None:
            continue
        cols = []
        ups = set()
        for busy in (False, True):
            got = results[(label, busy)]
            ms = sorted(m for m, _ in got if m is not None)
            ups |= {u for _, u in got if u is not None}
            missing = sum(m is None for m, _ in got)
            cols.append("%7.1f (%6.1f-%6.1f)%s" % (ms[len(ms) // 2], ms[0], ms[-1],
                                                    " +%d none" % missing if missing else "")
                        if ms else "none in 3 s")
        print("  %-46s %22s %22s %10s" % (label, cols[0], cols[1],
                                         "/".join(sorted({"on" if u else "off" for u in ups}))))
    print("packet socket on the tap saw POLLERR when its queue closed: %s"
          % ("yes" if True in pollerr else "no"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inside:
        inside(args.rounds)
        return 0
    if os.geteuid() != 0:
        print("link_events: needs root (a network namespace); skipped")
        return 0
    ns = "vsle" + uuid.uuid4().hex[:6]
    sh("ip", "netns", "add", ns)
    try:
        return subprocess.run(["ip", "netns", "exec", ns, sys.executable, __file__, "--inside",
                               "--rounds", str(args.rounds)]).returncode
    finally:
        sh("ip", "netns", "del", ns)


if __name__ == "__main__":
    sys.exit(main())
