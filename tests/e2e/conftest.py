"""Fixtures for end-to-end tests: a real vswitchd started from the build
directory on a private socket, vswitchctl to drive it, and network
namespaces with veth pairs, all named uniquely and removed afterwards, also
when a test fails."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import programs  # noqa: E402

BUILD = os.environ.get("VSWITCH_BUILD", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
VSWITCHD = os.path.abspath(os.path.join(BUILD, "vswitchd"))
VSWITCHCTL = os.path.abspath(os.path.join(BUILD, "vswitchctl"))


def unique(prefix):
    """A short unique name (interface names are at most 15 characters)."""
    return prefix + uuid.uuid4().hex[:6]


def voluntary_switches(pid):
    """Voluntary context switches of all of a process's threads so far: each
    is a sleep that ended in a wake-up."""
    total = 0
    task_dir = "/proc/%d/task" % pid
    for tid in os.listdir(task_dir):
        with open(os.path.join(task_dir, tid, "status")) as f:
            for line in f:
                if line.startswith("voluntary_ctxt_switches:"):
                    total += int(line.split()[1])
    return total


class Daemon:
    """One vswitchd process on its own socket and startup file, in network
    namespace `netns` if given, with extra command-line `args`. It can be
    stopped and started again on the same socket and file (a restart)."""

    def __init__(self, workdir, config_text=None, netns=None, args=(), env=None):
        self.workdir = workdir
        self.netns = netns
        self.args = list(args)
        self.env = dict(os.environ, **(env or {}))
        self.prefix = []  # a command that execs vswitchd: setpriv to drop root
        self.socket = os.path.join(workdir, "vswitchd.sock")
        self.config = os.path.join(workdir, "vswitch.conf")
        self.log = open(os.path.join(workdir, "vswitchd.log"), "w+")
        self.proc = None
        if config_text is not None:
            with open(self.config, "w") as f:
                f.write(config_text)

    def start(self, wait=True):
        prefix = (["ip", "netns", "exec", self.netns] if self.netns else []) + self.prefix
        # `ip netns exec` execs: the PID is vswitchd's own.
        self.proc = subprocess.Popen(
            prefix + [VSWITCHD, "--config", self.config, "--socket", self.socket,
                      "--packets", "4096"] + self.args,
            stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        if wait:
            deadline = time.time() + 10
            while time.time() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError("vswitchd exited: " + self.log_text())
                if os.path.exists(self.socket):
                    try:
                        self.ctl("show")
                        return self
                    except subprocess.CalledProcessError:
                        pass
                time.sleep(0.05)
            raise RuntimeError("vswitchd did not come up: " + self.log_text())
        return self

    def log_text(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def run(self, *words, json_output=False):
        """Runs vswitchctl; returns the CompletedProcess (never raises)."""
        cmd = [VSWITCHCTL, "--socket", self.socket]
        if json_output:
            cmd.append("--json")
        return subprocess.run(cmd + [str(w) for w in words], capture_output=True, text=True,
                              timeout=30)

    def ctl(self, *words):
        """Runs vswitchctl and returns its output; raises on failure."""
        r = self.run(*words)
        if r.returncode != 0:
            raise subprocess.CalledProcessError(r.returncode, words, r.stdout, r.stderr)
        return r.stdout

    def json(self, *words):
        r = self.run(*words, json_output=True)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    def rpc(self, payload, timeout=10):
        """Sends raw bytes to the control socket; returns the raw answer."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(self.socket)
        try:
            try:
                s.sendall(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the daemon may answer and hang up before taking it all
            data = b""
            while not data.endswith(b"\n"):
                try:
                    chunk = s.recv(65536)
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                data += chunk
            return data
        finally:
            s.close()

    def wakeups(self, seconds):
        """How many times a second its threads slept and woke over `seconds`
        (voluntary context switches, /proc): the idle cost."""
        before = voluntary_switches(self.proc.pid)
        time.sleep(seconds)
        return (voluntary_switches(self.proc.pid) - before) / seconds

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode if self.proc else None


@pytest.fixture(scope="session", autouse=True)
def programs_installed():
    """Stops the whole run with one line when a program the tests call is
    missing (tools/programs.tsv), rather than letting each test fail on it."""
    missing = programs.missing("check")
    if missing:
        pytest.exit(programs.message(missing), returncode=pytest.ExitCode.USAGE_ERROR)


@pytest.fixture
def workdir():
    d = tempfile.mkdtemp(prefix="vswitch-e2e-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def daemon_factory(workdir):
    daemons = []

    def make(config_text=None, start=True, env=None):
        d = Daemon(tempfile.mkdtemp(dir=workdir), config_text, env=env)
        daemons.append(d)
        return d.start() if start else d

    yield make
    for d in daemons:
        d.stop()
        if d.proc and d.proc.poll() is None:
            d.proc.kill()


@pytest.fixture
def daemon(daemon_factory):
    return daemon_factory("")


def sh(*cmd, check=True):
    return subprocess.run(list(cmd), capture_output=True, text=True, check=check)


class Netns:
    """Network namespaces and veth pairs created by one test."""

    def __init__(self):
        self.namespaces = []
        self.links = []

    def add(self, prefix="vsn", name=None):
        """A new namespace: unique(prefix), or `name` chosen beforehand."""
        name = name or unique(prefix)
        sh("ip", "netns", "add", name)
        self.namespaces.append(name)
        sh("ip", "-n", name, "link", "set", "lo", "up")
        # No IPv6 chatter (DAD, MLD, router solicitations) from test hosts:
        # tests count frames and learned MACs.
        sh("ip", "netns", "exec", name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
           "net.ipv6.conf.default.disable_ipv6=1")
        return name

    def veth(self, host_name, ns, ns_name="eth0", mac=None, address=None):
        """A veth with one end (host_name) in the root namespace, the other
        in ns as ns_name, both up."""
        tmp = unique("vtmp")
        sh("ip", "link", "add", host_name, "type", "veth", "peer", "name", tmp)
        self.links.append(host_name)
        sh("ip", "link", "set", tmp, "netns", ns)
        sh("ip", "-n", ns, "link", "set", tmp, "name", ns_name)
        if mac:
            sh("ip", "-n", ns, "link", "set", ns_name, "address", mac)
        if address:
            sh("ip", "-n", ns, "addr", "add", address, "dev", ns_name)
        sh("ip", "-n", ns, "link", "set", ns_name, "up")
        sh("ip", "link", "set", host_name, "up")
        return host_name

    def link(self, ns_a, name_a, ns_b, name_b):
        """A veth between two namespaces of this test, ends named name_a in
        ns_a and name_b in ns_b, both up."""
        tmp_a, tmp_b = unique("vla"), unique("vlb")
        sh("ip", "link", "add", tmp_a, "type", "veth", "peer", "name", tmp_b)
        for tmp, ns, name in ((tmp_a, ns_a, name_a), (tmp_b, ns_b, name_b)):
            sh("ip", "link", "set", tmp, "netns", ns)
            sh("ip", "-n", ns, "link", "set", tmp, "name", name)
            sh("ip", "-n", ns, "link", "set", name, "up")

    def run(self, ns, *cmd, check=False, timeout=60):
        return subprocess.run(["ip", "netns", "exec", ns] + list(cmd), capture_output=True,
                              text=True, check=check, timeout=timeout)

    def cleanup(self):
        for link in self.links:
            sh("ip", "link", "del", link, check=False)
        for ns in self.namespaces:
            sh("ip", "netns", "del", ns, check=False)


@pytest.fixture
def netns():
    if os.geteuid() != 0:
        pytest.skip("needs root for network namespaces")
    n = Netns()
    yield n
    n.cleanup()
