"""Open vSwitch with DPDK (Debian's openvswitch-switch-dpdk) as a private
peer for the vhost-user benchmark and tests: its own ovsdb-server and
ovs-vswitchd-dpdk on a fresh database in a temporary directory, so a system
Open vSwitch, if any, is never touched. One netdev bridge, ports of type
dpdkvhostuserclient (OVS connects to a socket the other side listens on,
OVS's recommended mode), the NORMAL action (a learning switch, as vswitch
is), and one PMD thread pinned to one core."""
import os
import shutil
import subprocess
import time

from vswitch_lab.guest import die_with_parent

OVS_VSWITCHD = "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"
SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"
BRIDGE = "br0"


class OvsDpdk:
    """One private OVS-DPDK: start(), add_vhost_client(), stop()."""

    def __init__(self, workdir, pmd_cpu, other_cpu, socket_mem_mb=512):
        self.dir = workdir
        self.pmd_cpu = pmd_cpu
        self.other_cpu = other_cpu
        self.socket_mem_mb = socket_mem_mb
        self.db_sock = os.path.join(workdir, "db.sock")
        self.env = dict(os.environ, OVS_RUNDIR=workdir, OVS_LOGDIR=workdir, OVS_DBDIR=workdir,
                        OVS_SYSCONFDIR=workdir)
        self.procs = []

    def vsctl(self, *words, wait=False):
        cmd = ["ovs-vsctl", "--db=unix:" + self.db_sock, "--timeout=30"]
        if not wait:
            cmd.append("--no-wait")
        r = subprocess.run(cmd + list(words), capture_output=True, text=True, env=self.env,
                           timeout=60)
        if r.returncode != 0:
            raise RuntimeError("ovs-vsctl %s: %s\n%s" % (" ".join(words), r.stderr.strip(),
                                                          self.log_tail()))
        return r.stdout

    def _spawn(self, name, cmd):
        log = open(os.path.join(self.dir, name + ".out"), "w")
        proc = subprocess.Popen(["taskset", "-c", str(self.other_cpu)] + cmd, stdout=log,
                                stderr=subprocess.STDOUT, env=self.env,
                                preexec_fn=die_with_parent)
        self.procs.append(proc)
        return proc

    def start(self):
        db = os.path.join(self.dir, "conf.db")
        subprocess.run(["ovsdb-tool", "create", db, SCHEMA], check=True, capture_output=True)
        self._spawn("ovsdb-server", [
            "ovsdb-server", db, "--remote=punix:" + self.db_sock,
            "--unixctl=" + os.path.join(self.dir, "ovsdb-server.ctl"),
            "--log-file=" + os.path.join(self.dir, "ovsdb-server.log")])
        deadline = time.monotonic() + 10
        while not os.path.exists(self.db_sock):
            if time.monotonic() > deadline:
                raise RuntimeError("ovsdb-server did not come up")
            time.sleep(0.05)
        self.vsctl("init")
        # EAL: no PCI devices, one file per memory segment list (a
        # vhost-user peer maps few regions), memory for the mbuf pools;
        # non-PMD threads on other_cpu, the one PMD thread on pmd_cpu.
        self.vsctl("set", "Open_vSwitch", ".",
                   "other_config:dpdk-init=true",
                   'other_config:dpdk-extra="--no-pci --single-file-segments '
                   '--file-prefix=ovs%d"' % os.getpid(),
                   "other_config:dpdk-socket-mem=%d" % self.socket_mem_mb,
                   "other_config:dpdk-lcore-mask=0x%x" % (1 << self.other_cpu),
                   "other_config:pmd-cpu-mask=0x%x" % (1 << self.pmd_cpu),
                   "other_config:vhost-sock-dir=" + self.dir)
        self.vswitchd = self._spawn("ovs-vswitchd", [
            OVS_VSWITCHD, "unix:" + self.db_sock,
            "--unixctl=" + os.path.join(self.dir, "ovs-vswitchd.ctl"),
            "--log-file=" + os.path.join(self.dir, "ovs-vswitchd.log")])
        self.vsctl("add-br", BRIDGE, "--", "set", "bridge", BRIDGE, "datapath_type=netdev",
                   wait=True)
        return self

    def add_vhost_client(self, name, socket_path):
        """A dpdkvhostuserclient port: OVS connects to socket_path (and
        reconnects when the other side comes back)."""
        self.vsctl("add-port", BRIDGE, name, "--", "set", "Interface", name,
                   "type=dpdkvhostuserclient", "options:vhost-server-path=" + socket_path,
                   wait=True)

    def stats(self, name):
        out = self.vsctl("get", "Interface", name, "statistics")
        pairs = out.strip().strip("{}").split(", ")
        return {k: int(v) for k, v in (p.split("=") for p in pairs if "=" in p)}

    def log_tail(self, lines=30):
        path = os.path.join(self.dir, "ovs-vswitchd.log")
        if not os.path.exists(path):
            return ""
        with open(path) as f:
            return "".join(f.readlines()[-lines:])

    def stop(self):
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self.procs = []
        # EAL's runtime directory for our file prefix
        shutil.rmtree("/var/run/dpdk/ovs%d" % os.getpid(), ignore_errors=True)
