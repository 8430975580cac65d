"""Security-group rule sets written twice, for the benchmark that sets
vswitch beside Open vSwitch with conntrack (bench/bench_acl_peers.py): as
vswitch `acl add` commands and as OpenFlow flows of a Neutron-style
conntrack pipeline, the same matches in both, so that the two switches
classify the same rules.

A set of n rules is n - 1 generated rules that match none of the
benchmark's frames plus one that matches them (UDP to port 9 within
198.18.0.0/24, RFC 2544's benchmark range, which testpmd's generator
sends). The generated ones come in five shapes, as bench/bench_acl.c's do
and as security groups are written: a TCP service from one host, the same
from a /24, an aligned range of four TCP ports from a host, a UDP service
from a host, and a whole /16 for TCP. Each rule is unique, so OVS keeps
all n flows (add-flows replaces a flow with the same match)."""
import ipaddress
import os
import subprocess
import tempfile

# What testpmd sends (bench_acl_peers.py passes these to it explicitly).
TRAFFIC_NET = "198.18.0.0/24"
TRAFFIC_PORT = 9
GROUP = "bench"


class Rule:
    """proto "tcp"|"udp", ports (lo, hi) with hi - lo + 1 a power of two
    aligned on it, or None for any; remote an ipaddress.IPv4Network."""

    def __init__(self, proto, ports, remote):
        self.proto, self.ports, self.remote = proto, ports, remote


def generated(i):
    """The i-th rule that matches no benchmark frame (10.0.0.0/8 and
    11.0.0.0/8-110.0.0.0/8 only, never 198.18.0.0/24)."""
    host = "10.%d.%d.%d" % (2 + i // 65536, (i >> 8) & 255, i & 255)
    port = 1000 + i % 20000
    shape = i % 5
    if shape == 0:
        return Rule("tcp", (port, port), ipaddress.ip_network(host + "/32"))
    if shape == 1:
        return Rule("tcp", (port, port), ipaddress.ip_network(host + "/24", strict=False))
    if shape == 2:
        lo = 30000 + 4 * (i % 5000)
        return Rule("tcp", (lo, lo + 3), ipaddress.ip_network(host + "/32"))
    if shape == 3:
        return Rule("udp", (port, port), ipaddress.ip_network(host + "/32"))
    return Rule("tcp", None, ipaddress.ip_network(
        "%d.%d.0.0/16" % (11 + (i // 250) % 100, i % 250)))


def rule_set(n):
    """n rules, the matching one last (no rule set is given for n = 0)."""
    return [generated(i) for i in range(n - 1)] + [
        Rule("udp", (TRAFFIC_PORT, TRAFFIC_PORT), ipaddress.ip_network(TRAFFIC_NET))]


def vswitch_commands(rules):
    """`acl add` lines of group GROUP: every rule once per direction (the
    remote prefix is the destination of egress, the source of ingress
    traffic), so each direction's classifier holds len(rules) rules."""
    lines = []
    for direction in ("egress", "ingress"):
        for r in rules:
            words = ["acl add", GROUP, "direction", direction, "proto", r.proto]
            if r.ports:
                lo, hi = r.ports
                words += ["port", str(lo) if lo == hi else "%d-%d" % (lo, hi)]
            lines.append(" ".join(words + ["remote", str(r.remote)]))
    return lines


def ovs_flows(rules):
    """The Neutron-style pipeline: every IP packet through conntrack
    (table 0), established connections forwarded (table 1), a new one
    committed and forwarded when a rule allows it, anything else dropped.
    Frames that are not IP (ARP) go to NORMAL in table 0."""
    flows = ["table=0,priority=100,ct_state=-trk,ip,actions=ct(table=1)",
             "table=0,priority=0,actions=NORMAL",
             "table=1,priority=200,ct_state=+trk+est,actions=NORMAL",
             "table=1,priority=0,actions=drop"]
    for r in rules:
        match = "%s,nw_dst=%s" % (r.proto, r.remote)
        if r.ports:
            lo, hi = r.ports
            # an aligned block of 2^k ports: the low k bits wildcarded
            match += ",tp_dst=%d" % lo if lo == hi else ",tp_dst=%d/0x%x" % (
                lo, 0xffff & ~(hi - lo))
        flows.append("table=1,priority=100,ct_state=+trk+new,%s,actions=ct(commit),NORMAL" % match)
    return flows


def add_flows(ovs, bridge, flows):
    """Replaces every flow of a private OVS's bridge (vswitch_lab.ovs_dpdk)
    by flows, through a file: ovs-ofctl add-flows takes 10 000 in one
    transaction."""
    ofctl = ["ovs-ofctl", "--timeout=120"]
    with tempfile.NamedTemporaryFile("w", dir=ovs.dir, suffix=".flows", delete=False) as f:
        f.write("\n".join(flows) + "\n")
    try:
        for words in (["del-flows", bridge], ["add-flows", bridge, f.name]):
            r = subprocess.run(ofctl + words, capture_output=True, text=True, env=ovs.env,
                               timeout=180)
            if r.returncode != 0:
                raise RuntimeError("ovs-ofctl %s: %s" % (words[0], r.stderr.strip()))
    finally:
        os.unlink(f.name)


def flow_packets(ovs, bridge, table):
    """{match: n_packets} of one table's flows."""
    r = subprocess.run(["ovs-ofctl", "--timeout=60", "dump-flows", bridge, "table=%d" % table],
                       capture_output=True, text=True, env=ovs.env, timeout=120)
    out = {}
    for line in r.stdout.splitlines():
        fields = dict(f.split("=", 1) for f in line.strip().split(", ") if "=" in f)
        if "n_packets" in fields:
            rest = line.split("priority=", 1)[-1]
            out[rest.split(" actions=")[0]] = int(fields["n_packets"])
    return out
