"""Port profiles with the real vswitchd (docs/profiles.md): three namespaces
on afpacket ports of one switch, a and b bound to profile `web` (access VLAN
10), c on VLAN 20 by its own setting. Editing the profile moves both bound
ports at once, a port's override keeps it where it was, `profile show`
lists the bound ports, and a restart from the saved file rebuilds the same
model and the same reachability. Pings prove which VLAN each port is in."""
import os
import tempfile

import pytest

from vswitch_lab import wait_until
from vswitch_lab.daemon import Daemon
from vswitch_lab.netns import Netns, unique

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces")

ADDR = {"a": "10.71.0.1", "b": "10.71.0.2", "c": "10.71.0.3"}


@pytest.fixture
def lab(workdir):
    n = Netns()
    d = Daemon(tempfile.mkdtemp(dir=workdir), "")
    try:
        ns, links = {}, {}
        for h in "abc":
            ns[h] = n.add("pf" + h)
            links[h] = n.veth(unique("vp" + h), ns[h], address=ADDR[h] + "/24")
        d.start()
        d.ctl("switch", "add", "sw")
        d.ctl("profile", "add", "web", "pvid", "10", "mac-limit", "16")
        for h in "ab":
            d.ctl("port", "add", "sw", "p" + h, "type", "afpacket", "dev=" + links[h])
            d.ctl("port", "bind", "p" + h, "profile", "web")
        d.ctl("port", "add", "sw", "pc", "type", "afpacket", "dev=" + links["c"], "pvid", "20")
        yield d, n, ns
    finally:
        d.stop()
        n.cleanup()


def reaches(n, ns, src, dst):
    """Whether src's pings reach dst (a few tries: ARP after a VLAN move)."""
    def once():
        return n.run(ns[src], "ping", "-c", "1", "-W", "1", ADDR[dst]).returncode == 0
    return wait_until(once, 3)


def isolated(n, ns, src, dst):
    return n.run(ns[src], "ping", "-c", "1", "-W", "1", ADDR[dst]).returncode != 0


def pvids(d):
    return {p["name"]: p["pvid"] for p in d.json("port", "show")}


def test_profile_edit_moves_bound_ports_and_survives_a_restart(lab):
    d, n, ns = lab
    assert pvids(d) == {"pa": 10, "pb": 10, "pc": 20}
    assert reaches(n, ns, "a", "b")
    assert isolated(n, ns, "a", "c")

    # One edit of the profile moves both bound ports to VLAN 20.
    d.ctl("profile", "set", "web", "pvid", "20")
    assert pvids(d) == {"pa": 20, "pb": 20, "pc": 20}
    assert reaches(n, ns, "a", "c") and reaches(n, ns, "b", "c")

    # An override keeps pb in VLAN 10 whatever the profile says.
    d.ctl("port", "set", "pb", "pvid", "10")
    d.ctl("profile", "set", "web", "pvid", "20", "mac-limit", "32")
    assert pvids(d) == {"pa": 20, "pb": 10, "pc": 20}
    assert reaches(n, ns, "a", "c")
    assert isolated(n, ns, "b", "c") and isolated(n, ns, "b", "a")

    shown = d.json("profile", "show", "web")[0]
    assert [p["name"] for p in shown["ports"]] == ["pa", "pb"]
    assert shown["ports"][1]["overrides"] == {"pvid": "10"}
    assert shown["settings"] == {"pvid": "20", "mac-limit": "32"}
    assert d.json("port", "show", "pb")[0]["profile"] == "web"
    assert d.json("port", "show", "pc")[0]["profile"] is None
    r = d.run("profile", "del", "web")
    assert r.returncode != 0 and "in use by port pa, port pb" in r.stderr

    before = d.ctl("show", "running-config")
    assert "port add sw pb type afpacket dev=" in before and " profile web pvid 10\n" in before
    d.ctl("save")
    d.stop()
    d.start()
    assert d.ctl("show", "running-config") == before
    assert pvids(d) == {"pa": 20, "pb": 10, "pc": 20}
    assert d.json("port", "show", "pa")[0]["mac_limit"] == 32
    assert reaches(n, ns, "a", "c")
    assert isolated(n, ns, "b", "c")
