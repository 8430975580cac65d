"""One vswitchd on its own socket and startup file, and vswitchctl to drive
it. The binaries come from $VSWITCH_BUILD (the end-to-end tests' build),
else build/ at the repository's root; a benchmark or demo names its build
with use_build() before it starts a daemon."""
import json
import os
import signal
import socket
import subprocess
import time

from vswitch_lab import ROOT


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


def use_build(build):
    """Daemons started from now on run the vswitchd and vswitchctl of the
    build directory `build`."""
    global BUILD, VSWITCHD, VSWITCHCTL
    BUILD = build
    VSWITCHD = os.path.abspath(os.path.join(build, "vswitchd"))
    VSWITCHCTL = os.path.abspath(os.path.join(build, "vswitchctl"))


use_build(os.environ.get("VSWITCH_BUILD", os.path.join(ROOT, "build")))


class Daemon:
    """One vswitchd process on its own socket and startup file, in network
    namespace `netns` if given, with extra command-line `args`. It can be
    stopped and started again on the same socket and file (a restart)."""

    def __init__(self, workdir, config_text=None, netns=None, args=(), env=None):
        self.prefix = []  # a command that execs vswitchd: setpriv to drop root
        self.workdir = workdir
        self.netns = netns
        self.args = list(args)
        self.env = dict(os.environ, **(env or {}))
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

    def cpu_share(self, seconds):
        """The CPU the daemon used over `seconds`, all threads, as a share of
        one core (/proc/PID/stat utime + stime): a spinning thread is 1.0."""
        def ticks():
            with open("/proc/%d/stat" % self.proc.pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return int(fields[11]) + int(fields[12])
        before, start = ticks(), time.monotonic()
        time.sleep(seconds)
        used = (ticks() - before) / os.sysconf("SC_CLK_TCK")
        return used / (time.monotonic() - start)

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode if self.proc else None
