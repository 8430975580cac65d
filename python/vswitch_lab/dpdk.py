"""DPDK's testpmd as a virtio-user front end of vhostuser ports, for tests:
hugetlbfs set up (mounted and pages reserved, both left in place), one
testpmd process with one net_virtio_user port per socket (one process: two
busy-polling testpmds and the switch starve a 2-vCPU machine), driven on
its interactive prompt, with a unique --file-prefix so parallel runs do not
share DPDK's runtime files, and everything removed by stop()."""
import os
import re
import shutil
import subprocess
import threading
import time
import uuid

from vswitch_lab.guest import die_with_parent

HUGEPAGES = "/dev/hugepages"


def setup_hugepages(pages=512):
    """hugetlbfs on /dev/hugepages and at least `pages` 2 MiB pages."""
    os.makedirs(HUGEPAGES, exist_ok=True)
    with open("/proc/mounts") as f:
        mounted = any(line.split()[1:3] == [HUGEPAGES, "hugetlbfs"] for line in f)
    if not mounted:
        subprocess.run(["mount", "-t", "hugetlbfs", "nodev", HUGEPAGES], check=True)
    with open("/proc/sys/vm/nr_hugepages") as f:
        have = int(f.read())
    if have < pages:
        with open("/proc/sys/vm/nr_hugepages", "w") as f:
            f.write(str(pages))


class Testpmd:
    """testpmd with port i on sockets[i] (virtio-user, client of the
    switch's server socket unless server=True), `mode` its forwarding mode,
    on lcores 0 and 1."""

    def __init__(self, sockets, log_path, mode="rxonly", frame=64, ring=1024, server=False,
                 extra=()):
        self.prefix = "vst" + uuid.uuid4().hex[:8]
        vdevs = []
        for i, path in enumerate(sockets):
            vdevs += ["--vdev", "net_virtio_user%d,path=%s,queues=1,queue_size=%d%s"
                      % (i, path, ring, ",server=1" if server else "")]
        self.cmd = (["dpdk-testpmd", "-l", "0,1", "--no-pci", "--single-file-segments",
                     "--file-prefix", self.prefix, "-m", "256"] + vdevs +
                    ["--", "-i", "--forward-mode=" + mode, "--txpkts=%d" % frame,
                     "--rxd=%d" % ring, "--txd=%d" % ring, "--total-num-mbufs=8192"] +
                    list(extra))
        self.log_path = log_path
        self.out = ""
        self.cond = threading.Condition()
        self.proc = None
        self.tty = None

    def start(self, timeout=60):
        self.log = open(self.log_path, "a")
        # A terminal: testpmd's stdio would hold its output back in a pipe.
        master, slave = os.openpty()
        self.proc = subprocess.Popen(self.cmd, stdin=slave, stdout=slave, stderr=slave,
                                     preexec_fn=die_with_parent)
        os.close(slave)
        self.tty = master
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_for("testpmd> ", 0, timeout)
        return self

    def _read(self):
        while True:
            try:
                data = os.read(self.tty, 65536)
            except OSError:
                data = b""
            text = data.decode(errors="replace")
            with self.cond:
                self.out += text
                self.cond.notify_all()
            if not data:
                return
            self.log.write(text)

    def wait_for(self, pattern, since, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while pattern not in self.out[since:]:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("testpmd: no %r:\n%s" % (pattern, self.out[-3000:]))
                self.cond.wait(0.2)
            return self.out[since:]

    def command(self, line, timeout=30):
        """Types a command; returns its output up to the next prompt."""
        with self.cond:
            since = len(self.out)
        os.write(self.tty, line.encode() + b"\n")
        return self.wait_for("testpmd> ", since, timeout)

    def port_stats(self):
        """[(rx_packets, tx_packets), ...] per port, from `show port stats`."""
        out = self.command("show port stats all")
        rx = [int(n) for n in re.findall(r"RX-packets:\s*(\d+)", out)]
        tx = [int(n) for n in re.findall(r"TX-packets:\s*(\d+)", out)]
        return list(zip(rx, tx))

    def kill(self):
        """Dies as a crashed QEMU would: no goodbye on the sockets."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.write(self.tty, b"quit\n")
                self.proc.wait(15)
            except (OSError, subprocess.TimeoutExpired):
                self.kill()
        if self.tty is not None:
            os.close(self.tty)
            self.tty = None
            self.log.close()
        shutil.rmtree("/var/run/dpdk/" + self.prefix, ignore_errors=True)
        for name in os.listdir(HUGEPAGES):
            if name.startswith(self.prefix):
                os.unlink(os.path.join(HUGEPAGES, name))
