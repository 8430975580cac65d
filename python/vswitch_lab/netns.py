"""Network namespaces and veth pairs for labs and tests, with unique names
(unique()) and removed by cleanup(), which a caller runs also when it
fails."""
import subprocess
import uuid


def unique(prefix):
    """A short unique name (interface names are at most 15 characters)."""
    return prefix + uuid.uuid4().hex[:6]


def sh(*cmd, check=True):
    return subprocess.run(list(cmd), capture_output=True, text=True, check=check)


class Netns:
    """Network namespaces and veth pairs created by one test."""

    def __init__(self):
        self.namespaces = []
        self.links = []

    def add(self, prefix="vsn", name=None):
        """A new namespace: unique(prefix), or `name` chosen beforehand."""
        name = name or unique(prefix)
        sh("ip", "netns", "add", name)
        self.namespaces.append(name)
        sh("ip", "-n", name, "link", "set", "lo", "up")
        # No IPv6 chatter (DAD, MLD, router solicitations) from test hosts:
        # tests count frames and learned MACs.
        sh("ip", "netns", "exec", name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
           "net.ipv6.conf.default.disable_ipv6=1")
        return name

    def veth(self, host_name, ns, ns_name="eth0", mac=None, address=None):
        """A veth with one end (host_name) in the root namespace, the other
        in ns as ns_name, both up."""
        tmp = unique("vtmp")
        sh("ip", "link", "add", host_name, "type", "veth", "peer", "name", tmp)
        self.links.append(host_name)
        sh("ip", "link", "set", tmp, "netns", ns)
        sh("ip", "-n", ns, "link", "set", tmp, "name", ns_name)
        if mac:
            sh("ip", "-n", ns, "link", "set", ns_name, "address", mac)
        if address:
            sh("ip", "-n", ns, "addr", "add", address, "dev", ns_name)
        sh("ip", "-n", ns, "link", "set", ns_name, "up")
        sh("ip", "link", "set", host_name, "up")
        return host_name

    def link(self, ns_a, name_a, ns_b, name_b):
        """A veth between two namespaces of this test, ends named name_a in
        ns_a and name_b in ns_b, both up."""
        tmp_a, tmp_b = unique("vla"), unique("vlb")
        sh("ip", "link", "add", tmp_a, "type", "veth", "peer", "name", tmp_b)
        for tmp, ns, name in ((tmp_a, ns_a, name_a), (tmp_b, ns_b, name_b)):
            sh("ip", "link", "set", tmp, "netns", ns)
            sh("ip", "-n", ns, "link", "set", tmp, "name", name)
            sh("ip", "-n", ns, "link", "set", name, "up")

    def run(self, ns, *cmd, check=False, timeout=60):
        return subprocess.run(["ip", "netns", "exec", ns] + list(cmd), capture_output=True,
                              text=True, check=check, timeout=timeout)

    def cleanup(self):
        for link in self.links:
            sh("ip", "link", "del", link, check=False)
        for ns in self.namespaces:
            sh("ip", "netns", "del", ns, check=False)
