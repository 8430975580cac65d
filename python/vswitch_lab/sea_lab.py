"""The SEA failover lab, shared by the end-to-end tests, the demo and `make bench`.

Like a Power server with two VIOS: a hypervisor switch (a vswitchd in
namespace "hyp") holds a client partition's port and two trunk taps, one per
VIOS, plus two control-channel taps in a VLAN of their own. Each VIOS is a
vswitchd in its own namespace whose SEA bridges its trunk (a vnic port on the
hypervisor's tap) to its real adapter, a veth into the external LAN (a Linux
bridge in namespace "ext" that also holds the external host's addresses).
Each VIOS has an internal port with an address, from which its SEA pings its
netaddr (one address per VIOS on the external host, so a test can take one
away).

    client --- [hyp: c1 | trA trB | ctA ctB] --tap-- [viosA: trk ctl | en0 | ent0] --+
                                             \\-tap-- [viosB: trk ctl | en0 | ent0] --+-- br0 (ext)

A stream of sequence-numbered UDP datagrams (1000 a second, stream.py) goes
from the client to an echo server on the external host and back; for each
event we count datagrams lost, duplicated, and the longest outage."""
import signal
import tempfile
import time

from vswitch_lab.daemon import Daemon
from vswitch_lab.netns import Netns
from vswitch_lab.stream import measure, start_echo

FAST = {"hello": 50, "dead": 150, "netaddr-interval": 50, "netaddr-retries": 3,
        "failback-delay": 500}


class SeaLab:
    """Builds the lab; `timers` are SEA keywords (FAST, or {} for defaults)."""

    def __init__(self, workdir, timers=FAST, ha_mode="auto"):
        self.workdir = workdir
        self.timers = dict(timers)
        self.ha_mode = ha_mode
        self.n = Netns()
        self.echo = None
        self.hyp = self.vios = None

    # ---- building -----------------------------------------------------------

    def _run(self, ns, *cmd):
        r = self.n.run(ns, *cmd)
        assert r.returncode == 0, (cmd, r.stderr)
        return r

    def vios_config(self, which):
        priority = 1 if which == "A" else 2
        netaddr = "10.77.0.201" if which == "A" else "10.77.0.202"
        timers = " ".join("%s %s" % kv for kv in self.timers.items())
        trunks = "trk" if self.ha_mode != "sharing" else "trk,trk3"
        lines = [
            "switch add sea",
            "port add sea ent0 type afpacket",
            "port add sea trk type vnic dev=tr%s netns=%s" % (which, self.hyp_ns),
            "port add sea ctl type vnic dev=ct%s netns=%s pvid 99" % (which, self.hyp_ns),
            "port add sea en type internal dev=en0",
            "sea add sea0 sea real ent0 trunks %s ctl ctl priority %d netaddr %s ha-mode %s %s"
            % (trunks, priority, netaddr, self.ha_mode, timers),
        ]
        if self.ha_mode == "sharing":
            lines.insert(3, "port add sea trk3 type vnic dev=tr%s3 netns=%s pvid 3"
                         % (which, self.hyp_ns))
        return "\n".join(lines) + "\n"

    def hyp_config(self):
        lines = ["switch add hv mode authoritative",
                 "port add hv c1 type afpacket",
                 "port add hv trA type tap uplink on trunk-priority 1",
                 "port add hv trB type tap uplink on trunk-priority 2",
                 "port add hv ctA type tap pvid 4000",
                 "port add hv ctB type tap pvid 4000"]
        if self.ha_mode == "sharing":
            lines += ["port add hv trA3 type tap pvid 3 uplink on trunk-priority 1",
                      "port add hv trB3 type tap pvid 3 uplink on trunk-priority 2"]
        return "\n".join(lines) + "\n"

    def up(self):
        n = self.n
        self.hyp_ns, self.ext_ns, self.cl_ns = n.add("slh"), n.add("sle"), n.add("slc")
        self.vios_ns = {"A": n.add("sla"), "B": n.add("slb")}
        self.n.link(self.cl_ns, "eth0", self.hyp_ns, "c1")
        self._run(self.cl_ns, "ip", "addr", "add", "10.77.0.1/24", "dev", "eth0")
        self._run(self.ext_ns, "ip", "link", "add", "br0", "type", "bridge")
        for which in "AB":
            self.n.link(self.vios_ns[which], "ent0", self.ext_ns, "p" + which)
            self._run(self.ext_ns, "ip", "link", "set", "p" + which, "master", "br0")
        for addr in ("10.77.0.2/24", "10.77.0.201/24", "10.77.0.202/24"):
            self._run(self.ext_ns, "ip", "addr", "add", addr, "dev", "br0")
        self._run(self.ext_ns, "ip", "link", "set", "br0", "up")
        self.hyp = Daemon(tempfile.mkdtemp(dir=self.workdir), self.hyp_config(),
                          netns=self.hyp_ns).start()
        self.vios = {}
        for which in "AB":
            self.start_vios(which)
        self.echo = start_echo(self.ext_ns, "10.77.0.2")
        if self.ha_mode == "sharing":
            self.wait_roles("sharing", "sharing", timeout=10)
        else:
            self.wait_roles("active", "standby", timeout=10)
        assert self.n.run(self.cl_ns, "ping", "-c", "2", "-W", "1", "10.77.0.2").returncode == 0
        return self

    def start_vios(self, which):
        d = Daemon(tempfile.mkdtemp(dir=self.workdir), self.vios_config(which),
                   netns=self.vios_ns[which])
        self.vios[which] = d.start()
        address = "10.77.0.11/24" if which == "A" else "10.77.0.12/24"
        # replace: after a restart en0 is the same interface, address and all.
        self._run(self.vios_ns[which], "ip", "addr", "replace", address, "dev", "en0")
        return d

    def down(self):
        if self.echo and self.echo.poll() is None:
            self.echo.kill()
        for d in (self.vios or {}).values():
            d.stop()
        if self.hyp:
            self.hyp.stop()
        self.n.cleanup()

    # ---- looking -------------------------------------------------------------

    def sea(self, which):
        return self.vios[which].json("sea", "show", "sea0")[0]

    def roles(self):
        out = {}
        for which in "AB":
            d = self.vios[which]
            alive = d.proc and d.proc.poll() is None
            out[which] = self.sea(which)["role"] if alive else "dead"
        return out

    def wait_roles(self, a, b, timeout=5):
        deadline = time.time() + timeout
        roles = None
        while time.time() < deadline:
            roles = self.roles()
            if roles == {"A": a, "B": b}:
                return roles
            time.sleep(0.05)
        raise AssertionError("roles %s, wanted A %s, B %s; A log:\n%s\nB log:\n%s" % (
            roles, a, b, self.vios["A"].log_text()[-3000:], self.vios["B"].log_text()[-3000:]))

    def trunk_rx(self):
        """Frames the hypervisor switch received from each trunk."""
        ports = {p["name"]: p for p in self.hyp.json("port", "show")}
        return {name: ports[name]["counters"]["rx_packets"] for name in ("trA", "trB")}

    # ---- events ----------------------------------------------------------------

    def kill_primary(self):
        self.vios["A"].proc.send_signal(signal.SIGKILL)
        self.vios["A"].proc.wait()

    def restart_primary(self):
        self.start_vios("A")

    def primary_link(self, up):
        self._run(self.ext_ns, "ip", "link", "set", "pA", "up" if up else "down")

    def primary_netaddr(self, reachable):
        verb = "add" if reachable else "del"
        self._run(self.ext_ns, "ip", "addr", verb, "10.77.0.201/24", "dev", "br0")

    def control_channel(self, connected):
        self.hyp.ctl("port", "set", "ctA", "pvid", "4000" if connected else "4001")

    # ---- measuring ---------------------------------------------------------------

    def measure(self, event, seconds=3.0, at=1.0):
        """Streams from the client for `seconds`, runs `event` `at` seconds
        in; returns {sent, lost, duplicates, gap_ms} (stream.py)."""
        return measure(self.cl_ns, "10.77.0.2", event, seconds, at)
