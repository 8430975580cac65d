"""SEA failover between two vswitchd processes (two VIOS) under a live stream
(the lab is in vswitch_lab/sea_lab.py). For every event the test records datagrams lost,
duplicated and the longest silence, and asserts: no duplicate ever, the
stream resumes, the roles end as the rules say with the cause in `sea show`,
and no frame loops (the hypervisor switch's trunk counters stay bounded)."""
import os
import time

import pytest

from vswitch_lab.sea_lab import FAST, SeaLab

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces")


@pytest.fixture
def lab(workdir):
    lab = SeaLab(workdir, FAST)
    try:
        yield lab.up()
    finally:
        lab.down()


def history(lab, which):
    return [(e["from"], e["to"], e["why"]) for e in lab.sea(which)["history"]]


def check(lab, name, figures, events):
    events[name] = figures
    assert figures["duplicates"] == 0, events
    assert figures["lost"] < figures["sent"] // 2, events  # the stream resumed


def test_failover_and_failback_for_every_cause(lab):
    events = {}
    rx_before = lab.trunk_rx()

    check(lab, "SIGKILL primary", lab.measure(lab.kill_primary), events)
    assert lab.roles() == {"A": "dead", "B": "active"}
    assert ("standby", "active", "no heartbeat from the peer") in history(lab, "B")

    check(lab, "primary restarted: failback", lab.measure(lab.restart_primary, seconds=3.5), events)
    lab.wait_roles("active", "standby")
    assert ("standby", "active", "failback: healthy for the whole hold-down") in history(lab, "A")
    assert ("active", "standby", "the primary forwards") in history(lab, "B")

    check(lab, "primary link down", lab.measure(lambda: lab.primary_link(False)), events)
    lab.wait_roles("standby", "active")
    assert ("active", "standby", "real adapter link down") in history(lab, "A")
    assert ("standby", "active", "the peer's real adapter is down") in history(lab, "B")

    check(lab, "primary link up: failback", lab.measure(lambda: lab.primary_link(True)), events)
    lab.wait_roles("active", "standby")

    check(lab, "primary netaddr unreachable",
          lab.measure(lambda: lab.primary_netaddr(False)), events)
    lab.wait_roles("standby", "active")
    assert ("active", "standby", "netaddr does not answer, the peer's does") in history(lab, "A")
    assert lab.sea("A")["netaddr_answers"] is False

    check(lab, "primary netaddr back: failback",
          lab.measure(lambda: lab.primary_netaddr(True)), events)
    lab.wait_roles("active", "standby")

    # Split brain: with the control channel cut each SEA thinks the other
    # dead and both go active, but the hypervisor switch takes each VLAN
    # from one trunk only (the lowest trunk priority): nothing is lost,
    # duplicated or looped.
    check(lab, "control channel cut", lab.measure(lambda: lab.control_channel(False)), events)
    lab.wait_roles("active", "active")
    assert events["control channel cut"]["lost"] <= 20, events
    check(lab, "control channel back", lab.measure(lambda: lab.control_channel(True)), events)
    lab.wait_roles("active", "standby")

    print("SEA failover, fast timers:", events)
    rx_after = lab.trunk_rx()
    frames = sum(e["sent"] for e in events.values())
    # A loop would multiply frames without bound; echoes plus heartbeats
    # and announcements stay well under twice the stream.
    assert sum(rx_after.values()) - sum(rx_before.values()) < 2 * frames, (rx_after, events)
    drops = lab.hyp.json("port", "show", "trB")[0]["counters"]["drops"]
    assert drops["uplink-inactive"] > 0  # the split brain's frames from B were refused


def bridge_port_of(lab, mac):
    out = lab.n.run(lab.ext_ns, "bridge", "fdb", "show", "br", "br0").stdout
    for line in out.splitlines():
        if line.startswith(mac + " ") and "dev p" in line:
            return line.split("dev ")[1].split()[0]
    return None


def test_new_active_sea_announces_the_clients(lab):
    """With no traffic at all, a failover still moves the client's MAC in the
    external switch's table: only the announcements can teach it that."""
    mac = lab.n.run(lab.cl_ns, "cat", "/sys/class/net/eth0/address").stdout.strip()
    assert bridge_port_of(lab, mac) == "pA"
    lab.vios["A"].ctl("sea", "set", "sea0", "ha-mode", "standby")
    lab.wait_roles("standby", "active")
    deadline = time.time() + 3
    while bridge_port_of(lab, mac) != "pB" and time.time() < deadline:
        time.sleep(0.05)
    assert bridge_port_of(lab, mac) == "pB"
    assert "switch hv: trB is the active uplink of 1 VLAN(s) now: announced 1 client" in \
        lab.hyp.log_text()


def test_operator_forces_standby_and_failback_off(lab):
    events = {}
    check(lab, "forced standby",
          lab.measure(lambda: lab.vios["A"].ctl("sea", "set", "sea0", "ha-mode", "standby")),
          events)
    lab.wait_roles("standby", "active")
    assert ("active", "standby", "ha-mode standby (forced)") in history(lab, "A")
    assert ("standby", "active", "the peer is forced to standby") in history(lab, "B")

    # Back to auto with failback off: the backup keeps the role.
    lab.vios["A"].ctl("sea", "set", "sea0", "ha-mode", "auto", "failback", "off")
    time.sleep(1.5)  # three failback delays
    assert lab.roles() == {"A": "standby", "B": "active"}
    assert lab.sea("A")["why"] == "failback off: the peer keeps forwarding"
    assert lab.sea("B")["peer"]["waiting"] is True

    check(lab, "failback on again",
          lab.measure(lambda: lab.vios["A"].ctl("sea", "set", "sea0", "failback", "on")), events)
    lab.wait_roles("active", "standby")
    # Back at the defaults (auto, failback on, priority 1): not printed.
    assert ("sea add sea0 sea real ent0 trunks trk ctl ctl failback-delay 500 hello 50 dead 150 "
            "netaddr 10.77.0.201 netaddr-interval 50\n") in lab.vios["A"].ctl("show", "running-config")
    print("SEA operator events:", events)


def test_sharing_splits_the_trunks_and_one_takes_all(workdir):
    lab = SeaLab(workdir, FAST, ha_mode="sharing")
    try:
        lab.up()
        a, b = lab.sea("A"), lab.sea("B")
        assert [t["up"] for t in a["trunks"]] == [True, False]
        assert [t["up"] for t in b["trunks"]] == [False, True]
        vlans = {v["vlan"]: v["active_uplink"] for v in lab.hyp.json("vlan", "show", "hv")}
        assert vlans[1] == "trA" and vlans[3] == "trB3", vlans

        figures = lab.measure(lab.kill_primary)
        assert figures["duplicates"] == 0 and figures["lost"] < figures["sent"] // 2, figures
        lab.wait_roles("dead", "active")
        assert [t["up"] for t in lab.sea("B")["trunks"]] == [True, True]
        vlans = {v["vlan"]: v["active_uplink"] for v in lab.hyp.json("vlan", "show", "hv")}
        assert vlans[1] == "trB" and vlans[3] == "trB3", vlans
        print("SEA sharing, primary killed:", figures)
    finally:
        lab.down()
