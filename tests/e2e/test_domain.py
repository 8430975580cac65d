"""The distributed switch's domain in etcd (docs/distributed.md) with the
real vswitchd: one etcd started here on loopback and three vswitchd
"hosts", each on its own socket with pipe ports; host h1 also has two
namespaces on afpacket ports bound to a profile on system VLAN 10, so a
ping proves what forwards. Hosts register and see each other; a profile
edited on h1 reaches the bound ports of all three (the delay is printed);
local edits of a domain port and a MAC bound twice are refused; concurrent
MAC allocations never collide; a SIGKILLed host is down within the lease's
TTL and its MACs are released after the grace period; with etcd killed
forwarding goes on, the domain is headless and refuses profile changes,
and after etcd's restart the change goes through; a host restarted while
etcd is down forwards on its cached system VLANs. A second test kills one
member of a 3-member etcd cluster: the domain keeps working, and a host that
missed compacted history reads everything again. A third joins with etcd's
user/password authentication."""
import os
import signal
import statistics
import tempfile
import threading
import time

import pytest

from vswitch_lab import etcd, wait_until
from vswitch_lab.daemon import Daemon
from vswitch_lab.netns import Netns, unique

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces"),
    pytest.mark.skipif(not etcd.available(), reason="etcd is not installed"),
]

ADDR = {"a": "10.72.0.1", "b": "10.72.0.2"}
GRACE = 3  # --mac-grace for the tests (the default is 60 s)


def host_config(links):
    """h1's startup file: the namespaces' ports and a pipe port; h2 and h3
    have pipe ports only."""
    text = "switch add sw\n"
    for h, link in sorted(links.items()):
        text += "port add sw p%s type afpacket dev=%s\n" % (h, link)
    return text


def start_host(workdir, name, endpoints, config):
    d = Daemon(tempfile.mkdtemp(dir=workdir), config,
               args=["--domain", "lab", "--etcd", endpoints, "--host", name,
                     "--mac-grace", str(GRACE)])
    return d.start()


def state(d):
    return d.json("domain", "show")["state"]


def hosts(d):
    return {h["name"]: h for h in d.json("host", "show")["hosts"]}


def pvid(d, port):
    return d.json("port", "show", port)[0]["pvid"]


def pings(n, ns):
    return n.run(ns["a"], "ping", "-c", "1", "-W", "1", ADDR["b"]).returncode == 0


@pytest.fixture
def lab(workdir):
    n = Netns()
    cluster = etcd.Cluster(members=1, workdir=tempfile.mkdtemp(dir=workdir)).start()
    daemons = []
    try:
        ns, links = {}, {}
        for h in "ab":
            ns[h] = n.add("dm" + h)
            links[h] = n.veth(unique("vd" + h), ns[h], address=ADDR[h] + "/24")
        config = {"h1": host_config(links) + "port add sw vm1 type pipe\n",
                  "h2": "switch add sw\nport add sw vm2 type pipe\n",
                  "h3": "switch add sw\nport add sw vm3 type pipe\nport add sw vm4 type pipe\n"}
        for name in ("h1", "h2", "h3"):
            daemons.append(start_host(workdir, name, cluster.endpoints, config[name]))
        yield cluster, daemons, n, ns
    finally:
        for d in daemons:
            d.stop()
        cluster.stop()
        n.cleanup()


def test_domain_profiles_hosts_macs_headless_and_boot(lab):
    cluster, (h1, h2, h3), n, ns = lab
    every = (h1, h2, h3)

    # Hosts register: each sees all three up.
    assert wait_until(lambda: all(state(d) == "online" for d in every), 10)
    assert wait_until(lambda: len(hosts(h2)) == 3, 5)
    assert {k: v["state"] for k, v in hosts(h2).items()} == {"h1": "up", "h2": "up", "h3": "up"}
    assert "vm2" in hosts(h1)["h2"]["ports"]
    assert cluster.get("/vswitch/lab/version") == "1"

    # Profiles defined on h1; each host binds its own ports.
    h1.ctl("profile", "add", "mgmt", "system-vlans", "10", "pvid", "10")
    h1.ctl("profile", "add", "web", "pvid", "30")
    h1.ctl("port", "bind", "pa", "profile", "mgmt")
    h1.ctl("port", "bind", "pb", "profile", "mgmt")
    h1.ctl("port", "bind", "vm1", "profile", "web")
    h2.ctl("port", "bind", "vm2", "profile", "web")
    h3.ctl("port", "bind", "vm3", "profile", "web", "mac-limit", "7")
    assert pings(n, ns)
    assert [pvid(h1, "vm1"), pvid(h2, "vm2"), pvid(h3, "vm3")] == [30, 30, 30]
    assert h3.json("port", "show", "vm3")[0]["mac_limit"] == 7
    shown = h2.json("profile", "show", "web")[0]
    assert shown["domain"] is True
    assert [b["port"] for b in hosts(h2)["h3"]["bindings"]] == ["vm3"]

    # A profile edit on h1 reaches every bound port on the three hosts.
    delays = []
    for i in range(20):
        vid = 100 + i
        start = time.monotonic()
        h1.ctl("profile", "set", "web", "pvid", str(vid))
        assert pvid(h1, "vm1") == vid  # the command returns once applied here
        assert wait_until(lambda: pvid(h2, "vm2") == vid and pvid(h3, "vm3") == vid, 5,
                          step=0.005)
        delays.append(time.monotonic() - start)
    delays.sort()
    print("\nprofile edit to 3 hosts: p50 %.1f ms, p99 %.1f ms (20 edits, with vswitchctl "
          "polls)" % (statistics.median(delays) * 1e3, delays[-1] * 1e3))

    # running-config (what `save` writes) has a domain port as it runs, not
    # its binding, which lives in etcd.
    assert "port add sw vm2 type pipe pvid 119\n" in h2.ctl("show", "running-config")

    # Local edits of a domain-bound port are refused, naming the profile.
    r = h2.run("port", "set", "vm2", "pvid", "5")
    assert r.returncode != 0 and "profile web" in r.stderr
    # A port name is bound on one host of the domain.
    h2.ctl("port", "add", "sw", "vm3", "type", "pipe")
    r = h2.run("port", "bind", "vm3", "profile", "web")
    assert r.returncode != 0 and "bound on host h3" in r.stderr

    # A profile bound on another host only stays.
    h1.ctl("profile", "add", "db", "pvid", "5")
    h3.ctl("port", "bind", "vm4", "profile", "db")
    r = h1.run("profile", "del", "db")
    assert r.returncode != 0 and "in use by port vm4 on host h3" in r.stderr, r.stderr

    # A MAC bound twice is refused.
    mac = h1.json("mac", "allocate", "port", "vm1")["macs"][0]
    r = h2.run("port", "bind", "vm2", "profile", "web", "mac", mac)
    assert r.returncode != 0 and "already allocated" in r.stderr, r.stderr
    h1.ctl("port", "bind", "vm1", "profile", "web", "mac", mac)  # its own: fine

    # Concurrent allocations from three hosts never collide.
    got = {}

    def allocate(d):
        got[d] = d.json("mac", "allocate", "count", "300")["macs"]

    threads = [threading.Thread(target=allocate, args=(d,)) for d in every]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    macs = [m for d in every for m in got[d]]
    assert len(macs) == 900 and len(set(macs)) == 900
    assert all(int(m[:2], 16) & 3 == 2 for m in macs)  # local, unicast
    assert hosts(h1)["h3"]["macs"] == 300

    # A host killed: down within the TTL (8 s) and a margin, its bindings
    # shown on it; its MACs released after the grace period.
    killed_at = time.monotonic()
    h3.proc.send_signal(signal.SIGKILL)
    h3.proc.wait()
    assert wait_until(lambda: hosts(h1)["h3"]["state"] == "down", 11)
    print("host killed -> down on h1 after %.1f s" % (time.monotonic() - killed_at))
    assert [b["port"] for b in hosts(h1)["h3"]["bindings"]] == ["vm3", "vm4"]
    assert wait_until(lambda: hosts(h1)["h3"]["macs"] == 0, GRACE + 6)
    assert hosts(h1)["h1"]["macs"] == 301

    # etcd killed: forwarding goes on, the domain is headless and refuses
    # profile changes; back: it resyncs and the change goes through.
    cluster.kill(0)
    assert wait_until(lambda: state(h1) == "headless", 5)
    assert h1.json("host", "show")["state"] == "headless"
    assert "is headless since" in h1.ctl("host", "show")
    assert pings(n, ns)
    r = h1.run("profile", "set", "web", "pvid", "40")
    assert r.returncode != 0 and "domain lab is headless" in r.stderr
    assert "keeps forwarding" in r.stderr
    cluster.restart(0)
    assert wait_until(lambda: state(h1) == "online" and state(h2) == "online", 10)
    h1.ctl("profile", "set", "web", "pvid", "40")
    assert wait_until(lambda: pvid(h2, "vm2") == 40, 5)

    # etcd silent (stopped, its connections open: a partition, no reset):
    # the keepalive times out, headless; answering again: online.
    etcd_pid = cluster.members[0].proc.pid
    os.kill(etcd_pid, signal.SIGSTOP)
    try:
        assert wait_until(lambda: state(h2) == "headless", 8)
    finally:
        os.kill(etcd_pid, signal.SIGCONT)
    assert wait_until(lambda: state(h1) == "online" and state(h2) == "online", 8)
    h2.ctl("profile", "set", "web", "pvid", "41")
    h1.ctl("profile", "set", "web", "pvid", "40")
    assert wait_until(lambda: pvid(h2, "vm2") == 40, 5)

    # A host restarted while etcd is down: bound ports forward on their
    # cached system VLANs (mgmt: 10), the others admit nothing; once etcd
    # answers, the full settings.
    cluster.kill(0)
    h1.stop()
    h1.start()
    assert h1.json("domain", "show")["booting"] is True
    assert pvid(h1, "pa") == 10 and pings(n, ns)
    assert pvid(h1, "vm1") == 0  # pvid none: untagged frames dropped
    cluster.restart(0)
    assert wait_until(lambda: state(h1) == "online", 10)
    assert pvid(h1, "vm1") == 40
    assert h1.json("domain", "show")["booting"] is False
    # A clean stop revokes the lease (down at once) and exits 0, sanitizers quiet.
    assert h2.stop() == 0, h2.log_text()[-3000:]
    assert wait_until(lambda: hosts(h1)["h2"]["state"] == "down", 2)
    assert h1.stop() == 0, h1.log_text()[-3000:]


def test_domain_survives_one_member_of_three(workdir):
    """h1 knows the three members, h2 only the first. With the first
    killed, h1's profile change goes through on the other two and h2 is
    headless; the history h2 missed is compacted, so when its member
    returns its watch cannot resume: it reads everything again."""
    with etcd.Cluster(members=3, workdir=tempfile.mkdtemp(dir=workdir)) as cluster:
        h1 = start_host(workdir, "h1", cluster.endpoints,
                        "switch add sw\nport add sw vm1 type pipe\n")
        h2 = start_host(workdir, "h2", cluster.members[0].client_url,
                        "switch add sw\nport add sw vm2 type pipe\n")
        try:
            assert wait_until(lambda: state(h1) == "online" and state(h2) == "online", 10)
            h1.ctl("profile", "add", "web", "pvid", "30")
            h1.ctl("port", "bind", "vm1", "profile", "web")
            h2.ctl("port", "bind", "vm2", "profile", "web")
            cluster.kill(0)  # h1's first endpoint, h2's only one
            assert wait_until(lambda: state(h1) == "online" and state(h2) == "headless", 5)
            h1.ctl("profile", "set", "web", "pvid", "31")
            assert pvid(h1, "vm1") == 31
            h1.ctl("profile", "set", "web", "pvid", "32")
            cluster.call("kv/compaction", {"revision": str(cluster.revision())})
            assert pvid(h2, "vm2") == 30  # headless: its last configuration
            cluster.restart(0)
            assert wait_until(lambda: state(h2) == "online" and pvid(h2, "vm2") == 32, 10)
            assert h2.json("domain", "show")["full_reads"] == 2
            assert "the watch's revision was compacted" in h2.log_text()
        finally:
            h1.stop()
            h2.stop()


def test_domain_with_etcd_authentication(workdir):
    """--etcd-user and --etcd-password-file reach etcd's authentication: the
    right password joins, a wrong one stays out with the reason shown."""
    with etcd.Cluster(members=1, workdir=tempfile.mkdtemp(dir=workdir)) as cluster:
        cluster.enable_auth("s3cret")
        good, bad = os.path.join(workdir, "good"), os.path.join(workdir, "bad")
        with open(good, "w") as f:
            f.write("s3cret\n")
        with open(bad, "w") as f:
            f.write("wrong\n")
        daemons = []
        try:
            for name, path in (("h1", good), ("h2", bad)):
                d = Daemon(tempfile.mkdtemp(dir=workdir), "switch add sw\n",
                           args=["--domain", "lab", "--etcd", cluster.endpoints,
                                 "--host", name, "--etcd-user", "root",
                                 "--etcd-password-file", path])
                daemons.append(d.start())
            h1, h2 = daemons
            assert wait_until(lambda: state(h1) == "online", 10)
            h1.ctl("profile", "add", "web", "pvid", "30")
            assert wait_until(lambda: state(h2) == "headless", 10)
            assert "authentication failed" in h2.json("domain", "show")["last_error"]
            r = h2.run("profile", "add", "db", "pvid", "5")
            assert r.returncode != 0 and "headless" in r.stderr
        finally:
            for d in daemons:
                d.stop()
