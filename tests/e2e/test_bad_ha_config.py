"""Bad SEA and bond configuration through the real daemon: vswitchctl exits 1
with a message naming the object and the reason, and the running state is
exactly what it was (show running-config unchanged). Also at start-up: a
startup file with a bad SEA line is refused whole with FILE:LINE."""
import os
import subprocess

import pytest

from vswitch_lab.daemon import VSWITCHD
from vswitch_lab.netns import unique

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces")


@pytest.fixture
def vios(daemon, netns):
    """A switch with a real adapter (a veth), a trunk and a control port
    (internal ports: their link can be lowered), and two spare veths."""
    ns = netns.add("bhc")
    real = netns.veth(unique("bhr"), ns)
    m1, m2 = netns.veth(unique("bhm"), ns, ns_name="m1"), netns.veth(unique("bhm"), ns, ns_name="m2")
    trk, ctl = unique("bht"), unique("bhc")
    netns.links += [trk, ctl]  # internal ports' interfaces outlive the daemon
    daemon.ctl("switch", "add", "vios")
    daemon.ctl("port", "add", "vios", "ent0", "type", "afpacket", "dev=" + real)
    daemon.ctl("port", "add", "vios", "trk", "type", "internal", "dev=" + trk, "vids", "3")
    daemon.ctl("port", "add", "vios", "ctl", "type", "internal", "dev=" + ctl, "pvid", "99")
    yield daemon, real, m1, m2
    netns.cleanup()


def refused(daemon, *words):
    before = daemon.ctl("show", "running-config")
    r = daemon.run(*words)
    assert r.returncode == 1, (words, r.stdout, r.stderr)
    assert daemon.ctl("show", "running-config") == before
    return r.stderr.strip()


def test_bad_sea_configuration_is_refused(vios):
    d, real, m1, m2 = vios
    sea = ["sea", "add", "sea0", "vios", "real", "ent0", "trunks", "trk", "ctl", "ctl"]
    assert refused(d, *sea, "pvid", "5") == \
        "vswitchctl: sea sea0: pvid 5 is not among the VLANs its trunks carry (1,3)"
    assert "sea sea0: netaddr '10.1.1' is not an IPv4 address" in \
        refused(d, *sea, "netaddr", "10.1.1")
    assert "sea sea0: netaddr 'gw.example' is not an IPv4 address" in \
        refused(d, *sea, "netaddr", "gw.example")
    assert "255.255.255.255 is not a host address one can ping" in \
        refused(d, *sea, "netaddr", "255.255.255.255")
    assert "must be auto, standby or sharing" in refused(d, *sea, "ha-mode", "primary")
    # A good one goes in; then changes that would break it are refused.
    d.ctl(*sea, "pvid", "3", "netaddr", "10.1.1.1")
    assert d.json("sea", "show", "sea0")[0]["role"] in ("standby", "active")
    assert "pvid 7 is not among the VLANs" in refused(d, "sea", "set", "sea0", "pvid", "7")
    assert "sea sea0: trunk 'trk' is not a port of switch vios" in refused(d, "port", "del", "trk")
    assert "its VLANs follow the sea" in refused(d, "port", "set", "ent0", "vids", "9")
    assert "control port ctl is in vlan 3, which the sea bridges" in \
        refused(d, "port", "set", "ctl", "pvid", "3")


def test_an_interface_in_two_bonds_or_two_ports_is_refused(vios):
    d, real, m1, m2 = vios
    d.ctl("port", "add", "vios", "bond0", "type", "bond", "members=%s,%s" % (m1, m2),
          "mode=active-backup")
    msg = refused(d, "port", "add", "vios", "bond1", "type", "bond",
                  "members=%s,%s" % (m2, real), "mode=active-backup")
    assert "port bond1: interface %s is already used by port bond0" % m2 in msg, msg
    msg = refused(d, "port", "add", "vios", "p1", "type", "afpacket", "dev=" + m1)
    assert "port p1: interface %s is already used by port bond0" % m1 in msg, msg


def test_bad_sea_line_in_the_startup_file_is_refused_whole(workdir):
    conf = os.path.join(workdir, "bad.conf")
    with open(conf, "w") as f:
        f.write("switch add vios\n"
                "port add vios trk type pipe vids 3\n"
                "sea add sea0 vios real nosuch trunks trk\n")
    r = subprocess.run([VSWITCHD, "--config", conf, "--socket",
                        os.path.join(workdir, "s.sock")], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode != 0
    assert "sea sea0: real adapter 'nosuch' is not a port of switch vios" in r.stderr, r.stderr
