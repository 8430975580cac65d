"""A TCP transfer between two namespaces, checked byte for byte: the
receiver and the sender each hash what they moved, and the test compares
the two (test_forwarding.py, test_afxdp.py, test_cores.py)."""
import subprocess

RECEIVER = """
import hashlib, socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(1); print("ready", flush=True)
c, _ = s.accept(); h = hashlib.sha256(); n = 0
while True:
    b = c.recv(1 << 20)
    if not b:
        break
    h.update(b); n += len(b)
print(n, h.hexdigest(), flush=True)
"""

SENDER = """
import hashlib, random, socket, sys
total = int(sys.argv[3]); rng = random.Random(7); h = hashlib.sha256()
block = rng.randbytes(1 << 20); s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
sent = 0
while sent < total:
    chunk = block[: min(len(block), total - sent)]
    chunk = bytes([sent // len(block) % 256]) + chunk[1:]  # every MiB differs
    s.sendall(chunk); h.update(chunk); sent += len(chunk)
s.close(); print(sent, h.hexdigest())
"""


def transfer(netns, sender_ns, receiver_ns, address, nbytes, port=5201, timeout=120):
    """Sends nbytes from sender_ns to address:port, served in receiver_ns.
    Returns (sent, received), each [bytes, sha256] as the two ends counted
    them; raises if the sender fails or the receiver does not answer."""
    receiver = subprocess.Popen(["ip", "netns", "exec", receiver_ns, "/usr/bin/python3", "-c",
                                 RECEIVER, address, str(port)], stdout=subprocess.PIPE,
                                text=True)
    try:
        if receiver.stdout.readline().strip() != "ready":
            raise RuntimeError("the TCP receiver in %s did not start" % receiver_ns)
        r = netns.run(sender_ns, "/usr/bin/python3", "-c", SENDER, address, str(port),
                      str(nbytes), timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError("the TCP sender in %s failed: %s" % (sender_ns, r.stderr))
        received = receiver.communicate(timeout=60)[0].split()
        return r.stdout.split(), received
    finally:
        if receiver.poll() is None:
            receiver.kill()
            receiver.wait()
