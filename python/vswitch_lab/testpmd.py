"""One DPDK testpmd process with two net_virtio_user ports, driven on its
interactive command line: the traffic generator and sink of the vhost-user
benchmark (bench/bench_vhost.py). Both ports listen (server=1) and the
switch under test connects to them, so the same testpmd serves vswitch (port
mode=client) and OVS-DPDK (dpdkvhostuserclient) alike."""
import os
import re
import shutil
import subprocess
import threading
import time

from vswitch_lab.guest import die_with_parent

TESTPMD = "dpdk-testpmd"
HUGEPAGES = "/dev/hugepages"
PORT_MACS = ["02:00:00:00:00:01", "02:00:00:00:00:02"]


def setup_hugepages(pages=1024):
    """hugetlbfs mounted on /dev/hugepages and at least `pages` 2 MiB pages
    reserved (virtio-user and OVS-DPDK both need them); left in place."""
    os.makedirs(HUGEPAGES, exist_ok=True)
    with open("/proc/mounts") as f:
        mounted = any(line.split()[1] == HUGEPAGES and line.split()[2] == "hugetlbfs"
                      for line in f)
    if not mounted:
        subprocess.run(["mount", "-t", "hugetlbfs", "nodev", HUGEPAGES], check=True)
    with open("/proc/sys/vm/nr_hugepages") as f:
        have = int(f.read())
    if have < pages:
        with open("/proc/sys/vm/nr_hugepages", "w") as f:
            f.write(str(pages))


class VirtioUserPair:
    """testpmd, its two lcores on `cpu`, ports 0 and 1 virtio-user servers
    on `sockets`, flowgen frames of `frame` bytes (without FCS) from each
    port to the other's MAC."""

    def __init__(self, sockets, cpu, frame, log_path, queue_size=1024):
        self.prefix = "vsbench%d" % os.getpid()
        vdevs = []
        for i, path in enumerate(sockets):
            vdevs += ["--vdev", "net_virtio_user%d,path=%s,server=1,queues=1,queue_size=%d,mac=%s"
                      % (i, path, queue_size, PORT_MACS[i])]
        self.cmd = [TESTPMD, "--lcores", "0@%d,1@%d" % (cpu, cpu), "--main-lcore", "0",
                    "--no-pci", "--single-file-segments", "--file-prefix", self.prefix,
                    "-m", "256"] + vdevs + [
                    "--", "-i", "--forward-mode=flowgen", "--nb-cores=1",
                    "--txpkts=%d" % frame, "--total-num-mbufs=16384",
                    "--rxd=%d" % queue_size, "--txd=%d" % queue_size,
                    "--eth-peer=0,%s" % PORT_MACS[1], "--eth-peer=1,%s" % PORT_MACS[0]]
        self.log_path = log_path
        self.out = ""
        self.lock = threading.Condition()
        self.proc = None

    def start(self, timeout=60):
        self.log = open(self.log_path, "w")
        # A terminal, not a pipe: testpmd prints with stdio, which a pipe
        # would buffer past the prompt the command line writes directly.
        master, slave = os.openpty()
        self.proc = subprocess.Popen(self.cmd, stdin=slave, stdout=slave, stderr=slave,
                                     preexec_fn=die_with_parent)
        os.close(slave)
        self.tty = master
        threading.Thread(target=self._read, daemon=True).start()
        # Both servers wait for their switch to connect before the prompt.
        self.wait_output("testpmd> ", 0, timeout)

    def _read(self):
        while True:
            try:
                data = os.read(self.tty, 65536)
            except OSError:  # EIO: testpmd closed the terminal
                data = b""
            if not data:
                break
            text = data.decode(errors="replace")
            self.log.write(text)
            with self.lock:
                self.out += text
                self.lock.notify_all()
        with self.lock:
            self.lock.notify_all()

    def wait_output(self, pattern, since, timeout):
        deadline = time.monotonic() + timeout
        with self.lock:
            while pattern not in self.out[since:]:
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise RuntimeError("testpmd: no %r after %.0f s:\n%s"
                                       % (pattern, timeout, self.out[-3000:]))
                self.lock.wait(min(left, 0.5))
            return self.out[since:]

    def command(self, line, timeout=30):
        """Types a line; returns what testpmd printed up to its next prompt."""
        with self.lock:
            since = len(self.out)
        os.write(self.tty, line.encode() + b"\n")
        return self.wait_output("testpmd> ", since, timeout)

    def port_stats(self):
        """[{"rx": N, "tx": N, "rx_missed": N}, ...] for ports 0 and 1."""
        out = self.command("show port stats all")
        rx = [int(v) for v in re.findall(r"RX-packets:\s*(\d+)", out)]
        missed = [int(v) for v in re.findall(r"RX-missed:\s*(\d+)", out)]
        tx = [int(v) for v in re.findall(r"TX-packets:\s*(\d+)", out)]
        if len(rx) != 2 or len(tx) != 2:
            raise RuntimeError("testpmd: cannot read port stats:\n" + out)
        return [{"rx": rx[i], "tx": tx[i], "rx_missed": missed[i]} for i in range(2)]

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.write(self.tty, b"quit\n")
                self.proc.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        os.close(self.tty)
        self.log.close()
        shutil.rmtree("/var/run/dpdk/" + self.prefix, ignore_errors=True)
