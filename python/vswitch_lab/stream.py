"""A live stream for failover tests and benchmarks: sequence-numbered UDP
datagrams, 1000 a second, from one namespace to an echo server in another
and back. For each run it reports datagrams sent, lost and duplicated, and
the outage: the longest run of datagrams in a row that never came back,
measured in sending time (so a sender that the machine did not schedule for
a while is not mistaken for an outage)."""
import subprocess
import time

ECHO = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 9999))
print("ready", flush=True)
while True:
    data, peer = s.recvfrom(64)
    s.sendto(data, peer)
"""

# Prints: sent, distinct echoes, duplicate echoes, outage (s).
STREAM = """
import socket, struct, sys, time
target, seconds = sys.argv[1], float(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setblocking(False)
start = time.monotonic(); seq = 0; echoes = {}; sent_at = []
def drain():
    while True:
        try:
            data = s.recv(64)
        except BlockingIOError:
            return
        n = struct.unpack("!I", data[:4])[0]
        echoes[n] = echoes.get(n, 0) + 1
while time.monotonic() - start < seconds:
    sent_at.append(time.monotonic())
    s.sendto(struct.pack("!I", seq), (target, 9999)); seq += 1
    deadline = time.monotonic() + 0.001
    while time.monotonic() < deadline:
        drain()
time.sleep(0.3)
drain()
dups = sum(c - 1 for c in echoes.values() if c > 1)
outage, first_lost = 0.0, None
for n in range(seq):
    if n not in echoes:
        if first_lost is None:
            first_lost = n
    elif first_lost is not None:
        outage = max(outage, sent_at[n] - sent_at[first_lost]); first_lost = None
if first_lost is not None:
    outage = max(outage, sent_at[-1] - sent_at[first_lost])
print(seq, len(echoes), dups, outage)
"""


def start_echo(ns, address):
    """An echo server on address:9999 in namespace ns, ready when returned."""
    echo = subprocess.Popen(["ip", "netns", "exec", ns, "/usr/bin/python3", "-c", ECHO, address],
                            stdout=subprocess.PIPE, text=True)
    assert echo.stdout.readline().strip() == "ready"
    return echo


def start_stream(ns, address, seconds):
    return subprocess.Popen(["ip", "netns", "exec", ns, "/usr/bin/python3", "-c", STREAM,
                             address, str(seconds)], stdout=subprocess.PIPE, text=True)


def stream_result(proc):
    """{sent, lost, duplicates, gap_ms (the outage)} of a finished stream."""
    out, _ = proc.communicate(timeout=60)
    sent, echoed, dups, outage = out.split()
    return {"sent": int(sent), "lost": int(sent) - int(echoed), "duplicates": int(dups),
            "gap_ms": round(float(outage) * 1000)}


def measure(ns, address, event, seconds=3.0, at=1.0):
    """Streams for `seconds` and runs event() `at` seconds in."""
    proc = start_stream(ns, address, seconds)
    time.sleep(at)
    event()
    return stream_result(proc)
