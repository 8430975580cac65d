"""The seed scenario of DESIGN section 3 in network namespaces, shared by
`make demo` and the end-to-end tests.

    LPAR1 (pvid 1 + vid 3)  LPAR2 (pvid 1)  LPAR3 (pvid 2 + vid 3)  LPAR4 (pvid 2)
          \\                   |                 |                    /
           +--------- hv: vswitchd, authoritative ---------------------+
                              | vios: uplink, pvid 1 + vid 3
                         EXT (external switch port, VLAN 1 untagged + VLAN 3 tagged)

Each partition is a namespace joined to the switch by a veth (an afpacket
port). A partition with a tagged VLAN (LPAR1, LPAR3, EXT) runs its own small
vswitchd as its 802.1Q driver: a trunk port on eth0 and one internal port
per VLAN (en0, en0v3), since this kernel has no VLAN devices. VLANs 1 and 2
share one IP subnet on purpose: a ping from VLAN 1 to VLAN 2 fails only if
the switch keeps the VLANs apart at layer 2. `port_type` runs the
hypervisor switch's five ports as another type on the same veths (afxdp);
the partitions' own drivers stay afpacket."""
import os
import subprocess
import time
import uuid

from vswitch_lab import ROOT

# name, namespace, interface, VLAN, address
ENDPOINTS = [
    ("LPAR1", "lpar1", "en0", 1, "10.12.0.1"),
    ("LPAR1.v3", "lpar1", "en0v3", 3, "10.3.0.1"),
    ("LPAR2", "lpar2", "eth0", 1, "10.12.0.2"),
    ("LPAR3", "lpar3", "en0", 2, "10.12.0.3"),
    ("LPAR3.v3", "lpar3", "en0v3", 3, "10.3.0.3"),
    ("LPAR4", "lpar4", "eth0", 2, "10.12.0.4"),
    ("EXT.v1", "ext", "en0", 1, "10.12.0.254"),
    ("EXT.v3", "ext", "en0v3", 3, "10.3.0.254"),
]

# Partitions whose eth0 is a trunk: (pvid, tagged VID) of their driver.
TRUNKS = {"lpar1": (1, 3), "lpar3": (2, 3), "ext": (1, 3)}
SWITCH_PORTS = {"lpar1": "vs-lpar1", "lpar2": "vs-lpar2", "lpar3": "vs-lpar3",
                "lpar4": "vs-lpar4", "ext": "vs-vios"}


def sh(*cmd, check=True, timeout=60):
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, check=check,
                          timeout=timeout)


class SeedLab:
    def __init__(self, build, workdir, port_type="afpacket", hv_args=()):
        self.build = os.path.abspath(build)
        self.port_type = port_type
        self.workdir = workdir
        self.hv_args = list(hv_args)  # extra vswitchd options of the switch under test
        self.tag = uuid.uuid4().hex[:5]
        self.ns = {p: "seed-%s-%s" % (p, self.tag) for p in SWITCH_PORTS}
        self.links = {p: "v%s%s" % (p[:5], self.tag) for p in SWITCH_PORTS}
        self.procs = []
        self.sockets = {}

    # -- building ----------------------------------------------------------
    def start(self):
        for p, ns in self.ns.items():
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            # A host with interfaces on several VLANs must answer ARP only on
            # the interface that owns the address (else it answers VLAN 1's
            # ARP for its VLAN 3 address: "ARP flux", a host effect).
            sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.conf.all.arp_ignore=1",
               "net.ipv4.conf.all.arp_announce=2")
            peer = "p" + self.links[p][1:]
            sh("ip", "link", "add", self.links[p], "type", "veth", "peer", "name", peer)
            sh("ip", "link", "set", peer, "netns", ns)
            sh("ip", "-n", ns, "link", "set", peer, "name", "eth0")
            sh("ip", "-n", ns, "link", "set", "eth0", "up")
            sh("ip", "link", "set", self.links[p], "up")
        config = open(os.path.join(ROOT, "examples", "seed-vios.conf")).read()
        for p, dev in SWITCH_PORTS.items():
            config = config.replace("dev=%s " % dev, "dev=%s " % self.links[p])
            config = config.replace("dev=%s\n" % dev, "dev=%s\n" % self.links[p])
        config = config.replace("type afpacket ", "type %s " % self.port_type)
        self.hv = self._daemon("hv", None, config, self.hv_args)
        for p, (pvid, vid) in TRUNKS.items():
            driver = ("switch add drv\n"
                      "port add drv trunk type afpacket dev=eth0 pvid %d vids %d\n"
                      "port add drv en0 type internal pvid %d\n"
                      "port add drv en0v3 type internal pvid %d\n" % (pvid, vid, pvid, vid))
            self._daemon(p, self.ns[p], driver)
        for name, p, iface, vlan, addr in ENDPOINTS:
            ns = self.ns[p]
            sh("ip", "-n", ns, "addr", "add", addr + "/24", "dev", iface)
            sh("ip", "-n", ns, "link", "set", iface, "up")
        return self

    def _daemon(self, name, ns, config, args=()):
        d = os.path.join(self.workdir, name)
        os.makedirs(d, exist_ok=True)
        conf, sock = os.path.join(d, "vswitch.conf"), os.path.join(d, "sock")
        with open(conf, "w") as f:
            f.write(config)
        cmd = [os.path.join(self.build, "vswitchd"), "--config", conf, "--socket", sock,
               "--packets", "2048"] + list(args)
        if ns:
            cmd = ["ip", "netns", "exec", ns] + cmd
        log = open(os.path.join(d, "log"), "w")
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        self.sockets[name] = sock
        deadline = time.time() + 10
        while time.time() < deadline:
            if proc.poll() is not None:
                raise RuntimeError("vswitchd %s exited: %s" % (name, open(log.name).read()))
            if os.path.exists(sock) and self.ctl(name, "show", check=False).returncode == 0:
                return sock
            time.sleep(0.05)
        raise RuntimeError("vswitchd %s did not start" % name)

    def ctl(self, daemon, *words, check=True):
        return sh(os.path.join(self.build, "vswitchctl"), "--socket", self.sockets[daemon],
                  *words, check=check)

    # -- using -------------------------------------------------------------
    def ping_all(self, count=2, wait=2):
        """Pings every ordered pair at once; returns {(a, b): bool}."""
        procs = {}
        for a in ENDPOINTS:
            for b in ENDPOINTS:
                if a is b:
                    continue
                cmd = ["ip", "netns", "exec", self.ns[a[1]], "ping", "-n", "-q", "-c", str(count),
                       "-W", str(wait), "-I", a[2], b[4]]
                procs[(a[0], b[0])] = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                                       stderr=subprocess.DEVNULL)
        return {pair: p.wait(timeout=60) == 0 for pair, p in procs.items()}

    def stop(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        for link in self.links.values():
            sh("ip", "link", "del", link, check=False)
        for ns in self.ns.values():
            sh("ip", "netns", "del", ns, check=False)


def expected(a, b):
    """DESIGN section 3: two hosts talk iff they share a VLAN."""
    va = next(e[3] for e in ENDPOINTS if e[0] == a)
    vb = next(e[3] for e in ENDPOINTS if e[0] == b)
    return va == vb
