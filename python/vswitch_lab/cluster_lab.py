"""A distributed switch in namespaces (docs/distributed.md "Overlay"): one
etcd, N "hosts" each a network namespace with its own vswitchd in the
domain, a vxlan port on the underlay, and VMs as namespaces on afpacket
ports. What the overlay test (tests/e2e/test_overlay.py), the VM-move test
and `make demo`'s third act (examples/domain_demo.py) share.

    underlay namespace: Linux bridge `ulbr`
      host i (namespace): eth0 192.0.2.i/24 (VTEP) and MGMT.i/24 (to etcd)
        vswitchd --domain lab --host hI: switch sw, port vx type vxlan
          local=192.0.2.i vni=SPEC (+ vids of its tagged VLANs)
        VM (namespace): eth0 on the host's afpacket port of the VM's name
    root namespace: a veth into ulbr with MGMT.254/24, where etcd listens

MGMT is a /24 of 198.18.0.0/15 (RFC 2544's benchmark range) chosen at random
and checked unused, so labs running at once do not meet; etcd is reachable
from the root namespace (the lab's put/get) and from every host.

    lab = ClusterLab(workdir, vnis=["5000,20:5020", "5000,20:5020", "5000"])
    try:
        lab.start()
        lab.add_vm(0, "vm1", "10.20.0.1/24", "02:00:00:00:01:01")
        lab.host(0).ctl("profile", "add", "web", "pvid", "1")
        lab.bind(0, "vm1", "web")          # port bind vm1 profile web mac MAC
        lab.ping("vm1", "10.20.0.2")
        lab.kill_host(2)                   # SIGKILL: its lease expires
    finally:
        lab.stop()
"""
import os
import random
import signal
import subprocess
import tempfile

from vswitch_lab import etcd, wait_until
from vswitch_lab.daemon import Daemon
from vswitch_lab.netns import Netns, sh, unique

DOMAIN = "lab"


def _free_mgmt_prefix():
    """ "198.18.X" or "198.19.X" not routed here yet."""
    routes = sh("ip", "-4", "route", "show").stdout
    for _ in range(64):
        prefix = "198.%d.%d" % (random.choice((18, 19)), random.randrange(1, 255))
        if prefix + "." not in routes:
            return prefix
    raise RuntimeError("no free /24 in 198.18.0.0/15 for the lab's management network")


def vids_of(spec):
    """The tagged VLANs of a vni= spec ("5000,20:5020" -> "20"), "" none."""
    vids = []
    for item in spec.split(","):
        if ":" in item:
            vlans = item.split(":")[0]
            vids.append(vlans)
    return ",".join(vids)


class ClusterLab:
    """etcd + len(vnis) hosts on one underlay. vnis[i]: host i's vxlan port's
    vni= spec. mac_grace: --mac-grace of every host (None: the default)."""

    def __init__(self, workdir, vnis=("5000", "5000", "5000"), mac_grace=None, prefix="cl"):
        self.workdir = workdir
        self.vnis = list(vnis)
        self.mac_grace = mac_grace
        self.tag = unique(prefix)[:8]  # namespace and link names of this lab
        self.n = Netns()
        self.etcd = None
        self.mgmt = None
        self.mgmt_link = None
        self.hosts = []  # namespaces
        self.daemons = []  # Daemon per host (None once killed)
        self.vms = {}  # name -> (host index, namespace)

    # ---- set-up and tear-down ---------------------------------------------

    def start(self):
        n = self.n
        self.ul = n.add(self.tag + "u")
        n.run(self.ul, "ip", "link", "add", "ulbr", "type", "bridge", check=True)
        n.run(self.ul, "ip", "link", "set", "ulbr", "up", check=True)
        self.mgmt = _free_mgmt_prefix()
        self.mgmt_link = n.veth(unique("clm"), self.ul, ns_name="mgmt")
        n.run(self.ul, "ip", "link", "set", "mgmt", "master", "ulbr", check=True)
        sh("ip", "addr", "add", self.mgmt + ".254/24", "dev", self.mgmt_link)
        self.etcd = etcd.Cluster(members=1, workdir=tempfile.mkdtemp(dir=self.workdir),
                                 address=self.mgmt + ".254").start()
        for i in range(len(self.vnis)):
            ns = n.add(self.tag + "h%d" % (i + 1))
            self.hosts.append(ns)
            n.link(self.ul, "p%d" % (i + 1), ns, "eth0")
            n.run(self.ul, "ip", "link", "set", "p%d" % (i + 1), "master", "ulbr", check=True)
            for addr in (self.vtep(i) + "/24", "%s.%d/24" % (self.mgmt, i + 1)):
                n.run(ns, "ip", "addr", "add", addr, "dev", "eth0", check=True)
            self.daemons.append(None)
            self.start_host(i)
        return self

    def stop(self):
        for d in self.daemons:
            if d is not None:
                d.stop()
        if self.etcd is not None:
            self.etcd.stop()
        if self.mgmt_link:
            sh("ip", "link", "del", self.mgmt_link, check=False)
            self.mgmt_link = None
        self.n.cleanup()

    # ---- hosts ----------------------------------------------------------------

    def vtep(self, i):
        return "192.0.2.%d" % (i + 1)

    def name(self, i):
        return "h%d" % (i + 1)

    def host(self, i):
        return self.daemons[i]

    def host_config(self, i):
        spec = self.vnis[i]
        text = "switch add sw\nport add sw vx type vxlan local=%s vni=%s" % (self.vtep(i), spec)
        vids = vids_of(spec)
        return text + (" vids %s\n" % vids if vids else "\n")

    def start_host(self, i):
        """Starts host i's vswitchd (again, on its startup file once it ran)."""
        workdir = os.path.join(self.workdir, self.name(i))
        first = not os.path.isdir(workdir)
        os.makedirs(workdir, exist_ok=True)
        args = ["--domain", DOMAIN, "--etcd", self.etcd.endpoints, "--host", self.name(i)]
        if self.mac_grace is not None:
            args += ["--mac-grace", str(self.mac_grace)]
        d = Daemon(workdir, self.host_config(i) if first else None, netns=self.hosts[i],
                   args=args)
        self.daemons[i] = d.start()
        return d

    def kill_host(self, i, sig=signal.SIGKILL):
        """Kills host i's vswitchd by PID (SIGKILL: no lease revoked)."""
        d = self.daemons[i]
        if d is not None:
            d.stop(sig=sig)
        self.daemons[i] = None

    def live(self):
        return [d for d in self.daemons if d is not None]

    def wait_online(self, timeout=15):
        """Every live host online and seeing every live host up."""
        names = {self.name(i) for i, d in enumerate(self.daemons) if d is not None}

        def ready():
            for d in self.live():
                if d.json("domain", "show")["state"] != "online":
                    return False
                up = {h["name"] for h in d.json("host", "show")["hosts"] if h["state"] == "up"}
                if not names <= up:
                    return False
            return True
        return wait_until(ready, timeout, step=0.1)

    # ---- VMs --------------------------------------------------------------------

    def add_vm(self, i, name, address, mac):
        """A VM namespace on host i: its eth0 (address "IP/LEN", mac) on the
        host's afpacket port `name`. Returns the VM's namespace."""
        ns = self.n.add(self.tag + "v")
        self.n.link(self.hosts[i], name, ns, "eth0")
        self.n.run(ns, "ip", "link", "set", "eth0", "address", mac, check=True)
        self.n.run(ns, "ip", "addr", "add", address, "dev", "eth0", check=True)
        self.host(i).ctl("port", "add", "sw", name, "type", "afpacket")
        self.vms[name] = (i, ns)
        return ns

    def bind(self, i, port, profile, mac=None):
        """port bind PORT profile P [mac MAC] on host i (the MAC is what the
        host publishes for the overlay)."""
        words = ["port", "bind", port, "profile", profile]
        if mac:
            words += ["mac", mac]
        return self.host(i).ctl(*words)

    def vm(self, name):
        return self.vms[name][1]

    def ping(self, vm, address, count=2, wait=2):
        """Whether `count` pings from vm to address were answered."""
        r = self.n.run(self.vm(vm), "ping", "-c", str(count), "-i", "0.2", "-W", str(wait),
                       address)
        return r.returncode == 0

    def send_frames(self, vm, dst_mac, count, ethertype=0x88b5):
        """`count` raw frames from vm's eth0 to dst_mac (local experimental
        EtherType, nothing answers them)."""
        script = (
            "import socket,sys\n"
            "s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW)\n"
            "s.bind(('eth0',0))\n"
            "src=s.getsockname()[4]\n"
            "dst=bytes.fromhex(sys.argv[1].replace(':',''))\n"
            "f=dst+src+(%d).to_bytes(2,'big')+bytes(46)\n"
            "for _ in range(int(sys.argv[2])): s.send(f)\n" % ethertype)
        self.n.run(self.vm(vm), "/usr/bin/python3", "-c", script, dst_mac, str(count),
                   check=True)

    # ---- what the hosts show ----------------------------------------------------

    def vxlan_port(self, i):
        """host i's vxlan port as `port show vx --json` gives it."""
        port = self.host(i).json("port", "show", "vx")
        return port[0] if isinstance(port, list) else port

    def overlay(self, i):
        """host i's `domain show --json` overlay object."""
        return self.host(i).json("domain", "show").get("overlay", {})


def cleanup_dir(path):
    subprocess.run(["rm", "-rf", path], check=False)
