"""The HTTP listener and its Prometheus metrics against a real Prometheus
(Debian's /usr/bin/prometheus): vswitchd --metrics on a free loopback
port, a known number of frames injected into pipe ports (exact counts:
no kernel chatter), and Prometheus' query API must return exactly the
counters those frames produced. Then the listener itself: garbage and
oversized requests get their 4xx and the listener keeps serving, HEAD
has no body, keep-alive carries several requests, and a port in use
stops the start with a clear error."""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

import pytest

PROMETHEUS = "/usr/bin/prometheus"

# A broadcast from 02:00:00:00:00:03, untagged, 60 bytes.
BROADCAST = "ffffffffffff020000000003080045" + "00" * 45


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture
def metrics_daemon(daemon_factory):
    port = free_port()
    d = daemon_factory("metrics listen 127.0.0.1:%d\n" % port, start=False)
    d.start()
    d.http_port = port
    d.ctl("switch", "add", "sw0")
    d.ctl("port", "add", "sw0", "a", "type", "pipe")
    d.ctl("port", "add", "sw0", "b", "type", "pipe")
    return d


@pytest.fixture
def prometheus(workdir):
    """A function that starts Prometheus scraping a target every second; the
    process is killed by PID and its directory removed, also on failure."""
    started = []

    def start(target):
        tmp = tempfile.mkdtemp(prefix="prom-", dir=workdir)
        with open(os.path.join(tmp, "prometheus.yml"), "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: vswitch\n    static_configs:\n"
                    "      - targets: ['%s']\n" % target)
        port = free_port()
        log = open(os.path.join(tmp, "prometheus.log"), "w")
        proc = subprocess.Popen(
            [PROMETHEUS, "--config.file=" + os.path.join(tmp, "prometheus.yml"),
             "--storage.tsdb.path=" + os.path.join(tmp, "data"),
             "--web.listen-address=127.0.0.1:%d" % port],
            stdout=log, stderr=subprocess.STDOUT, cwd=tmp)
        started.append((proc, tmp, log))
        return "http://127.0.0.1:%d" % port

    yield start
    for proc, tmp, log in started:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


def query(base, expr):
    """The instant vector of expr as {labels-without-__name__: value}."""
    url = base + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            doc = json.load(r)
    except OSError:
        return None  # not up yet
    assert doc["status"] == "success", doc
    return {tuple(sorted((k, v) for k, v in s["metric"].items() if k != "__name__")):
            float(s["value"][1]) for s in doc["data"]["result"]}


def wait_for(base, expr, want, timeout=15):
    deadline = time.time() + timeout
    got = None
    while time.time() < deadline:
        got = query(base, expr)
        if got is not None and list(got.values()) == [want]:
            return got
        time.sleep(0.25)
    raise AssertionError("%s: %r, want one series of %r" % (expr, got, want))


def test_prometheus_scrapes_the_counters_of_known_traffic(metrics_daemon, prometheus):
    d = metrics_daemon
    for _ in range(7):
        d.ctl("port", "inject", "a", BROADCAST)
    # zero source MAC: one drop with reason zero-source
    d.ctl("port", "inject", "a", "ffffffffffff000000000000" + "0800" + "00" * 46)
    base = prometheus("127.0.0.1:%d" % d.http_port)
    sel = '{job="vswitch",switch="sw0",port="%s"}'
    wait_for(base, "vswitch_port_rx_packets_total" + sel % "a", 8)
    wait_for(base, "vswitch_port_tx_packets_total" + sel % "b", 7)
    wait_for(base, "vswitch_port_tx_bytes_total" + sel % "b", 7 * 60)
    wait_for(base, "vswitch_port_rx_packets_total" + sel % "b", 0)
    wait_for(base, 'vswitch_port_drops_total{port="a",reason="zero-source"}', 1)
    wait_for(base, 'vswitch_port_drops_total{port="b",reason="zero-source"}', 0)
    wait_for(base, 'vswitch_fdb_entries{switch="sw0"}', 1)
    wait_for(base, 'up{job="vswitch"}', 1)
    # More traffic shows up at the next scrape, exactly.
    for _ in range(3):
        d.ctl("port", "inject", "a", BROADCAST)
    wait_for(base, "vswitch_port_tx_packets_total" + sel % "b", 10)


# An IGMPv2 report for 239.1.2.3 and an LLDPDU from tor1's eth1 (TTL 120):
# the frames of tests/unit/obs_frames.h.
IGMP_JOIN = ("01005e01020302000000000108004500001c00000000010200000a000001ef0102"
             "0316000000ef010203" + "00" * 18)
LLDPDU = ("0180c200000e02aabbccdd0188cc02070402aabbccdd0104050565746831060200780a04"
          "746f72310000" + "00" * 18)


def test_lldp_mcast_and_ipfix_series_of_known_frames(metrics_daemon):
    d = metrics_daemon
    port = d.http_port
    d.ctl("switch", "set", "sw0", "mcast-snooping", "on")
    d.ctl("port", "set", "b", "lldp", "rx")
    d.ctl("ipfix", "add", "fx", "switch", "sw0", "collector", "127.0.0.1:%d" % free_port())
    wait_lines(port, ['vswitch_lldp_neighbors{switch="sw0",port="b"} 0',
                      'vswitch_mcast_groups{switch="sw0"} 0'])
    for _ in range(3):  # one group, three reports
        d.ctl("port", "inject", "a", IGMP_JOIN)
    d.ctl("port", "inject", "b", LLDPDU)
    wait_lines(port, ['vswitch_mcast_groups{switch="sw0"} 1',
                      'vswitch_mcast_vlan_groups{switch="sw0",vlan="1"} 1',
                      'vswitch_mcast_reports_received_total{switch="sw0"} 3',
                      'vswitch_mcast_refused_joins_total{switch="sw0",reason="switch-limit"} 0',
                      'vswitch_lldp_neighbors{switch="sw0",port="b"} 1',
                      'vswitch_lldp_frames_rx_total{switch="sw0",port="b"} 1',
                      'vswitch_lldp_frames_discarded_total{switch="sw0",port="b"} 0',
                      'vswitch_ipfix_flows_refused_total{exporter="fx",switch="sw0"} 0',
                      'vswitch_ipfix_send_errors_total{exporter="fx",switch="sw0"} 0'])


def exchange(port, payload, timeout=5):
    """Sends raw bytes, returns everything until the server closes."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(payload)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return data
            data += chunk
    finally:
        s.close()


def get(port, method="GET", path="/metrics"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request(method, path)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r, body


def test_listener_refuses_bad_requests_and_keeps_serving(metrics_daemon):
    port = metrics_daemon.http_port
    cases = [
        (b"GARBAGE\r\n\r\n", b"400"),
        (b"GET /../etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", b"400"),
        (b"POST /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n", b"405"),
        (b"GET / HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n", b"505"),
        (b"GET /" + b"a" * 9000, b"414"),
        (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX: " + b"x" * 9000, b"431"),
    ]
    for payload, status in cases:
        answer = exchange(port, payload)
        assert answer.startswith(b"HTTP/1.1 " + status + b" "), (payload[:40], answer[:80])
        assert b"\r\nContent-Length: " in answer
        assert b"\r\nConnection: close\r\n" in answer
        r, body = get(port)  # still serving
        assert r.status == 200 and b"vswitch_port_rx_packets_total" in body
    # Every refusal is counted, by status.
    text = scrape(port)
    for code, n in [("400", 2), ("405", 1), ("414", 1), ("431", 1), ("505", 1)]:
        assert '\nvswitch_http_responses_total{code="%s"} %d\n' % (code, n) in text, code


def test_loopback_listener_refuses_a_rebound_dns_name(metrics_daemon):
    """DNS rebinding: a page of evil.example, re-pointed to 127.0.0.1, sends
    Host: evil.example; only IP literals and localhost are served."""
    port = metrics_daemon.http_port
    for host in [b"evil.example", b"evil.example:%d" % port, b"localhost.evil.example"]:
        answer = exchange(port, b"GET /metrics HTTP/1.1\r\nHost: " + host + b"\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 403 Forbidden\r\n"), (host, answer[:80])
        assert b"vswitch_" not in answer
    answer = exchange(port, b"GET /api/v1/switches HTTP/1.1\r\nHost: evil.example\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 403 "), answer[:80]
    for host in [b"127.0.0.1:%d" % port, b"localhost", b"localhost:%d" % port, b"[::1]"]:
        answer = exchange(port, b"GET /metrics HTTP/1.1\r\nHost: " + host +
                          b"\r\nConnection: close\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 200 OK\r\n"), (host, answer[:80])
    assert '\nvswitch_http_responses_total{code="403"} 4\n' in scrape(port)


def test_head_keep_alive_and_pipelining(metrics_daemon):
    port = metrics_daemon.http_port
    r, body = get(port)
    assert r.status == 200
    assert r.getheader("Content-Type").startswith("text/plain; version=0.0.4")
    assert int(r.getheader("Content-Length")) == len(body)
    r, head_body = get(port, "HEAD")
    assert r.status == 200 and head_body == b""
    assert int(r.getheader("Content-Length")) == len(body)
    # keep-alive: three requests on one connection
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    for path in ["/metrics", "/nowhere", "/metrics"]:
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        assert r.status == (200 if path == "/metrics" else 404)
        assert r.getheader("Connection") == "keep-alive"
    first_sock = c.sock
    c.request("GET", "/metrics")
    c.getresponse().read()
    assert c.sock is first_sock  # the same connection throughout
    c.close()
    # pipelined: two requests in one write, two answers in order, then close
    answer = exchange(port, b"HEAD /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                      b"GET /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert answer.count(b"HTTP/1.1 ") == 2
    assert b"HTTP/1.1 404 Not Found\r\n" in answer


def test_listener_times_out_a_half_request(daemon_factory):
    port = free_port()
    d = daemon_factory("metrics listen %d\n" % port, start=False,
                       env={"VSWITCH_CONTROL_TIMEOUTS": "2,1,2"})
    d.start()
    start = time.time()
    answer = exchange(port, b"GET /metrics HTTP/1.1\r\nHo", timeout=10)
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert time.time() - start < 5
    r, _ = get(port)
    assert r.status == 200
    # A client that sends and never reads holds one reply, then is closed.
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" * 2000)
    deadline = time.time() + 8
    while "did not read its reply" not in d.log_text() and time.time() < deadline:
        time.sleep(0.2)
    assert "did not read its reply for 2 s" in d.log_text()
    data = b""
    try:
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            data += chunk
    except ConnectionResetError:
        pass
    s.close()
    assert 0 < data.count(b"HTTP/1.1 200 OK") < 2000
    assert "\nvswitch_http_stalled_total 1\n" in scrape(port)
    assert '\nvswitch_http_responses_total{code="408"} 1\n' in scrape(port)


def test_port_in_use_and_disagreement_stop_the_start(daemon_factory):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    try:
        port = busy.getsockname()[1]
        d = daemon_factory("", start=False)
        d.args = ["--metrics", "127.0.0.1:%d" % port]
        with pytest.raises(RuntimeError, match="Address already in use"):
            d.start()
        assert d.proc.wait(5) == 2
    finally:
        busy.close()
    d = daemon_factory("metrics listen 127.0.0.1:9\n", start=False)
    d.args = ["--metrics", ":10"]
    with pytest.raises(RuntimeError, match="disagree"):
        d.start()


def scrape(port):
    r, body = get(port)
    assert r.status == 200
    return body.decode()


def wait_lines(port, lines, timeout=10):
    deadline = time.time() + timeout
    text = ""
    while time.time() < deadline:
        text = scrape(port)
        if all(("\n" + line + "\n") in text for line in lines):
            return text
        time.sleep(0.1)
    missing = [line for line in lines if ("\n" + line + "\n") not in text]
    raise AssertionError("missing %s in:\n%s" % (missing, text))


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root for veths")
def test_bond_members_and_failover(workdir):
    from vswitch_lab.netns import Netns, unique
    from vswitch_lab.daemon import Daemon
    n = Netns()
    port = free_port()
    d = Daemon(tempfile.mkdtemp(dir=workdir), "", args=["--metrics", str(port)])
    try:
        phys = n.add("mtb")
        m1 = n.veth(unique("vmb"), phys, ns_name="p1")
        m2 = n.veth(unique("vmb"), phys, ns_name="p2")
        d.start()
        d.ctl("switch", "add", "sw")
        d.ctl("port", "add", "sw", "bond0", "type", "bond", "members=%s,%s" % (m1, m2),
              "uplink", "on")
        lab = '{switch="sw",port="bond0",member="%s"}'
        wait_lines(port, ["vswitch_bond_member_up" + lab % m1 + " 1",
                          "vswitch_bond_member_up" + lab % m2 + " 1",
                          "vswitch_bond_member_active" + lab % m1 + " 1",
                          "vswitch_bond_member_active" + lab % m2 + " 0",
                          'vswitch_bond_failovers_total{switch="sw",port="bond0"} 0',
                          'vswitch_port_uplink_active{switch="sw",port="bond0"} 1'])
        assert n.run(phys, "ip", "link", "set", "p1", "down").returncode == 0
        wait_lines(port, ["vswitch_bond_member_up" + lab % m1 + " 0",
                          "vswitch_bond_member_active" + lab % m1 + " 0",
                          "vswitch_bond_member_active" + lab % m2 + " 1",
                          'vswitch_bond_failovers_total{switch="sw",port="bond0"} 1'])
    finally:
        d.stop()
        n.cleanup()
