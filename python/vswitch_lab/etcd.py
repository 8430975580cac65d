"""etcd for the tests: one member or a 3-member cluster on free loopback
ports, in a temporary directory, started here and killed by PID. A member
can be killed and restarted on its own data directory (it rejoins). Small
helpers read and write keys through etcd's JSON gateway (/v3/...) with
urllib, so the tests need no etcd package for Python.

    with etcd.Cluster(members=3) as cluster:
        cluster.put("/vswitch/x", "1")
        cluster.kill(0); ...; cluster.restart(0)
        client_urls = cluster.endpoints      # "http://127.0.0.1:P1,..."
"""
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

ETCD = "/usr/bin/etcd"
ETCDCTL = "/usr/bin/etcdctl"


def available():
    """Whether etcd is installed (a test skips with this as its reason)."""
    return os.access(ETCD, os.X_OK)


def free_ports(n):
    """n distinct free TCP ports on 127.0.0.1 (held open together while
    chosen so that they differ; a small race with other programs remains)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _b64(text):
    if isinstance(text, str):
        text = text.encode()
    return base64.b64encode(text).decode()


def _unb64(text):
    return base64.b64decode(text)


class Member:
    """One etcd process: its name, ports, data directory and log."""

    def __init__(self, name, workdir, client_port, peer_port, address="127.0.0.1"):
        self.name = name
        self.client_url = "http://%s:%d" % (address, client_port)
        self.peer_url = "http://%s:%d" % (address, peer_port)
        self.data_dir = os.path.join(workdir, name + ".etcd")
        self.log_path = os.path.join(workdir, name + ".log")
        self.proc = None

    def start(self, initial_cluster, state):
        log = open(self.log_path, "a")
        try:
            self.proc = subprocess.Popen(
                [ETCD, "--name", self.name, "--data-dir", self.data_dir,
                 "--listen-client-urls", self.client_url,
                 "--advertise-client-urls", self.client_url,
                 "--listen-peer-urls", self.peer_url,
                 "--initial-advertise-peer-urls", self.peer_url,
                 "--initial-cluster", initial_cluster,
                 "--initial-cluster-state", state,
                 "--initial-cluster-token", "vswitch-test",
                 # Fast elections keep a failover test short.
                 "--heartbeat-interval", "50", "--election-timeout", "500"],
                stdout=log, stderr=subprocess.STDOUT)
        finally:
            log.close()

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        """SIGKILL by PID (a crash: the data directory stays)."""
        if self.running():
            os.kill(self.proc.pid, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait()
        self.proc = None

    def log_text(self):
        try:
            with open(self.log_path) as f:
                return f.read()[-4000:]
        except OSError:
            return ""


class Cluster:
    """A cluster of `members` etcd processes on free loopback ports. A
    context manager: everything is killed and the directory removed on exit,
    also when the body failed."""

    def __init__(self, members=1, workdir=None, address="127.0.0.1"):
        """address: where the members listen (an address of this namespace;
        cluster_lab.py gives one its hosts' namespaces reach)."""
        self.own_dir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="vswitch-etcd-")
        ports = free_ports(2 * members)
        self.members = [Member("m%d" % i, self.workdir, ports[2 * i], ports[2 * i + 1],
                               address) for i in range(members)]
        self.initial_cluster = ",".join("%s=%s" % (m.name, m.peer_url) for m in self.members)

    @property
    def endpoints(self):
        """The client URLs, comma-joined (vswitch's and etcdctl's form)."""
        return ",".join(m.client_url for m in self.members)

    def start(self, timeout=20):
        try:
            for m in self.members:
                m.start(self.initial_cluster, "new")
            for m in self.members:
                self.wait_healthy(m, timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def wait_healthy(self, member, timeout=20):
        """Until the member answers /health with "true" (it has a leader)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not member.running():
                raise RuntimeError("etcd %s exited: %s" % (member.name, member.log_text()))
            try:
                with urllib.request.urlopen(member.client_url + "/health", timeout=1) as r:
                    if json.load(r).get("health") in ("true", True):
                        return
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        raise RuntimeError("etcd %s not healthy after %ss: %s"
                           % (member.name, timeout, member.log_text()))

    def kill(self, index):
        """Kills member `index` (SIGKILL, by PID); its data stays."""
        self.members[index].kill()

    def restart(self, index, timeout=20):
        """Starts member `index` again on its data directory: it rejoins."""
        m = self.members[index]
        m.kill()
        m.start(self.initial_cluster, "existing")
        self.wait_healthy(m, timeout)

    def stop(self):
        for m in self.members:
            m.kill()
        if self.own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # ---- reads and writes through the JSON gateway -----------------------

    def call(self, path, body, member=None):
        """POSTs body (a dict) to /v3/<path> of a running member (the first
        one up, or `member`) and returns the decoded answer."""
        candidates = [self.members[member]] if member is not None else [
            m for m in self.members if m.running()]
        last = None
        for m in candidates:
            req = urllib.request.Request(m.client_url + "/v3/" + path,
                                         data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(req, timeout=5) as r:
                    return json.load(r)
            except urllib.error.HTTPError as e:
                raise RuntimeError("etcd %s %s: %s" % (m.name, path, e.read().decode()))
            except OSError as e:
                last = e
        raise RuntimeError("no etcd member answered %s: %s" % (path, last))

    def put(self, key, value, lease=0):
        """Returns the store's revision after the put."""
        body = {"key": _b64(key), "value": _b64(value)}
        if lease:
            body["lease"] = str(lease)
        return int(self.call("kv/put", body)["header"]["revision"])

    def get(self, key):
        """The value (str) of key, or None."""
        kvs = self.call("kv/range", {"key": _b64(key)}).get("kvs", [])
        return _unb64(kvs[0].get("value", "")).decode() if kvs else None

    def get_prefix(self, prefix):
        """{key: value} of every key under prefix (str)."""
        end = prefix.encode()[:-1] + bytes([prefix.encode()[-1] + 1])
        kvs = self.call("kv/range", {"key": _b64(prefix), "range_end": _b64(end)}).get("kvs", [])
        return {_unb64(kv["key"]).decode(): _unb64(kv.get("value", "")).decode() for kv in kvs}

    def delete(self, key, prefix=False):
        """Returns how many keys went."""
        body = {"key": _b64(key)}
        if prefix:
            body["range_end"] = _b64(key.encode()[:-1] + bytes([key.encode()[-1] + 1]))
        return int(self.call("kv/deleterange", body).get("deleted", "0"))

    def revision(self):
        return int(self.call("kv/range", {"key": _b64("\0")})["header"]["revision"])

    def etcdctl(self, *args, env=None):
        """Runs etcdctl against every endpoint; returns its stdout."""
        return subprocess.run([ETCDCTL, "--endpoints", self.endpoints] + list(args),
                              check=True, capture_output=True, text=True,
                              env=dict(os.environ, ETCDCTL_API="3", **(env or {}))).stdout

    def enable_auth(self, password):
        """Adds user root with `password` and the root role (without it
        auth disable is refused), and turns authentication on."""
        self.etcdctl("user", "add", "root:" + password)
        self.etcdctl("role", "add", "root")
        self.etcdctl("user", "grant-role", "root", "root")
        self.etcdctl("auth", "enable")
