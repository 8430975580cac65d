"""The restart lab, shared by the end-to-end tests and `make bench`.

A host (namespace "host") runs vswitchd with one switch: an internal port
int0 that holds the host's address and a route, as libvirt's virbr0 does,
and an afpacket port to a client (namespace "client") behind a veth. The
client holds 10.91.0.2 on the link and 10.92.0.1 behind it, which the host
reaches by a route through the client:

    host: 10.91.0.1/24 on int0, 10.92.0.0/24 via 10.91.0.2
          [vswitchd: int0 (internal) | ph (afpacket)] --veth-- client: eth0 10.91.0.2/24, lo 10.92.0.1

A restart must leave int0 exactly as it was (MAC, address, route, MTU, tun
flags) and traffic must flow again as soon as the daemon is ready."""
import subprocess
import tempfile
import time

from vswitch_lab.daemon import Daemon
from vswitch_lab.netns import Netns

HOST_ADDR, CLIENT_ADDR = "10.91.0.1", "10.91.0.2"
BEHIND_CLIENT, BEHIND_NET = "10.92.0.1", "10.92.0.0/24"
CONFIG = ("switch add sw\n"
          "port add sw ph type afpacket\n"
          "port add sw int0 type internal\n")


class RestartLab:
    def __init__(self, workdir, config=CONFIG, args=()):
        self.workdir = workdir
        self.config = config
        self.args = args
        self.n = Netns()
        self.d = None

    def up(self):
        self.host, self.client = self.n.add("rsh"), self.n.add("rsc")
        self.n.link(self.host, "ph", self.client, "eth0")
        self.sh(self.client, "ip", "addr", "add", CLIENT_ADDR + "/24", "dev", "eth0")
        self.sh(self.client, "ip", "addr", "add", BEHIND_CLIENT + "/32", "dev", "lo")
        self.d = Daemon(tempfile.mkdtemp(dir=self.workdir), self.config, netns=self.host,
                        args=self.args).start()
        self.sh(self.host, "ip", "link", "set", "int0", "mtu", "1400")
        self.sh(self.host, "ip", "addr", "add", HOST_ADDR + "/24", "dev", "int0")
        self.sh(self.host, "ip", "route", "add", BEHIND_NET, "via", CLIENT_ADDR)
        return self

    def down(self):
        if self.d:
            self.d.stop()
        self.n.cleanup()  # int0 goes with its namespace

    def sh(self, ns, *cmd):
        r = self.n.run(ns, *cmd)
        assert r.returncode == 0, (cmd, r.stdout, r.stderr)
        return r.stdout

    def exists(self, ifname):
        return self.n.run(self.host, "ip", "link", "show", "dev", ifname).returncode == 0

    def host_view(self, ifname="int0"):
        """What the host knows of int0 that a restart must keep: MAC, MTU,
        tun flags, IPv4 addresses and routes ("linkdown" only says the
        carrier is down). Partial when int0 is gone."""
        return self.n.run(self.host, "sh", "-c",
                          "cat /sys/class/net/{0}/address /sys/class/net/{0}/mtu "
                          "/sys/class/net/{0}/tun_flags; ip -4 -o addr show dev {0} | "
                          "cut -d' ' -f7; ip route show dev {0} | sed 's/ linkdown//'"
                          .format(ifname)).stdout

    def ping(self, ns, address, wait="0.3"):
        return self.n.run(ns, "ping", "-c", "1", "-W", wait, address).returncode == 0

    def both_ways(self):
        """The client reaches the host's address, and the host reaches the
        network behind the client through its route."""
        return self.ping(self.client, HOST_ADDR) and self.ping(self.host, BEHIND_CLIENT)

    def restart(self, sig):
        """Stops the daemon with `sig`, starts it again on the same startup
        file; returns (seconds from the signal to ready, host view while it
        was down)."""
        start = time.monotonic()
        self.d.stop(sig)
        down = self.host_view()
        self.d.start()
        return time.monotonic() - start, down

    def ping_stream(self, seconds, interval="0.01"):
        """Starts `ping -i interval` from the client to the host's address
        for `seconds`; returns the Popen (read with parse_ping)."""
        return subprocess.Popen(["ip", "netns", "exec", self.client, "ping", "-D", "-n",
                                 "-i", interval, "-W", "1", "-w", str(seconds), HOST_ADDR],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def parse_ping(output):
    """From `ping -D` output: echoes sent, the (time, icmp_seq) of each reply,
    and the longest run of echoes lost in a row. That run times the interval
    is the outage in sending time; the time between two replies would count
    a ping process the machine did not schedule as an outage too."""
    sent, replies = 0, []
    for line in output.splitlines():
        if "bytes from" in line and line.startswith("["):
            seq = int(line.split("icmp_seq=")[1].split()[0])
            replies.append((float(line[1:line.index("]")]), seq))
        elif "packets transmitted" in line:
            sent = int(line.split()[0])
    seqs = sorted(seq for _, seq in replies)
    run = max((b - a - 1 for a, b in zip([0] + seqs, seqs + [sent + 1])), default=sent)
    return sent, replies, run
