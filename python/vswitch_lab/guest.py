"""A small Linux guest for end-to-end tests under QEMU: Debian's own kernel and
a busybox initramfs whose /init brings eth0 up, pings a peer, prints marker
lines on the serial console, optionally goes on pinging for a while (so a
test can watch the replies across a restart of the switch), answers pings
until the host says "done", and powers off. Everything comes from Debian
packages (the kernel .deb fetched once with `apt-get download`); the result
is cached and rebuilt only when missing or when its inputs (this file's
/init, busybox, the modules) change. A guest boots on a tap (Vm(guest, TAP,
...)) or on a vhost-user socket (Vm(guest, VhostUser(PATH), ...)), and with
guest_shell set it takes shell commands on its console (Vm.run)."""
import ctypes
import fcntl
import gzip
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time

from vswitch_lab import programs

CACHE = os.environ.get("VSWITCH_GUEST_CACHE", "/var/cache/vswitch-test-guest")
QEMU = "qemu-system-x86_64"
BUSYBOX = "/bin/busybox"  # from busybox-static: no shared libraries to copy in
# What the host needs for a guest (tools/programs.tsv); the test installs
# them when missing.
PACKAGES = programs.packages(n for n in programs.load() if n.what in (QEMU, BUSYBOX))
# Debian builds these as modules (CONFIG_VIRTIO_PCI=m, CONFIG_VIRTIO_NET=m);
# their dependencies (virtio, virtio_ring, net_failover, failover, ...) are
# read from the modules themselves and loaded first. 8021q: VLAN interfaces
# in the guest (its dependencies garp, mrp, stp, llc come with it).
MODULES = ["virtio_pci", "virtio_net", "8021q"]

# Parameters come on the kernel command line: a word with '=' and no '.' that
# the kernel does not know is put in init's environment.
INIT = r"""#!/bin/busybox sh
# /init of the vswitch test guest. Environment from the kernel command line:
# guest_addr (CIDR for eth0), guest_peer (address to ping), guest_stream
# (if set: seconds to go on pinging the peer, 5 a second, each reply on the
# console), guest_linger (seconds to stay up answering pings unless a line
# arrives on the console), guest_shell (if set: after the ping, run each line
# the console sends as a shell command, for as long as the guest lives).
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /modules/order); do
    insmod /modules/$m.ko || echo "GUEST-INSMOD-FAIL $m"
done
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
ip link set lo up
ip link set eth0 up
ip addr add "$guest_addr" dev eth0
echo "GUEST-UP uptime=$(cut -d' ' -f1 /proc/uptime) mac=$(cat /sys/class/net/eth0/address)"
if ping -c 3 -i 0.5 -w 15 "$guest_peer"; then
    echo "GUEST-PING-OK"
else
    echo "GUEST-PING-FAIL"
fi
if [ -n "$guest_stream" ]; then
    echo "GUEST-STREAM"
    ping -i 0.2 -w "$guest_stream" "$guest_peer"
    echo "GUEST-STREAM-END"
fi
if [ -n "$guest_shell" ]; then
    stty -echo
    echo "GUEST-SHELL"
    while read -r line; do sh -c "$line"; done  # a bad line must not end init
fi
echo "GUEST-LISTENING"
read -t "${guest_linger:-5}" line
echo "GUEST-POWEROFF uptime=$(cut -d' ' -f1 /proc/uptime)"
poweroff -f
"""


class Guest:
    """Paths of a built guest: boot it with -kernel KERNEL -initrd INITRD."""

    def __init__(self, kernel, initrd, kernel_package):
        self.kernel = kernel
        self.initrd = initrd
        self.kernel_package = kernel_package


def missing_tools():
    """The PACKAGES that are not installed (asked of dpkg, as
    tools/install-deps.sh does: Debian's plain busybox package also installs
    /bin/busybox, but linked dynamically, which the initramfs cannot run)."""
    missing = []
    for package in PACKAGES:
        r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True,
                           text=True)
        if "install ok installed" not in r.stdout:
            missing.append(package)
    return missing


def install_tools():
    """Installs missing host packages with apt-get (root only). Returns a
    reason the guest cannot run, or None when everything is there."""
    missing = missing_tools()
    if not missing:
        return None
    if os.geteuid() != 0:
        return "needs Debian packages %s (not root, cannot install)" % " ".join(missing)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y", "-q", "--no-install-recommends"] + missing
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    if r.returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], capture_output=True, env=env, timeout=300)
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    still = missing_tools()
    if still:
        return "needs Debian packages %s; apt-get install did not provide them: %s" % (
            " ".join(still), r.stderr.strip()[-300:] or "no error reported")
    return None


def kernel_package():
    """The concrete kernel package behind linux-image-amd64 (e.g.
    linux-image-6.1.0-56-amd64), asking apt-get update once if apt knows none."""
    for attempt in range(2):
        r = subprocess.run(["apt-cache", "depends", "linux-image-amd64"], capture_output=True,
                           text=True, timeout=60)
        for line in r.stdout.splitlines():
            words = line.split()
            if len(words) == 2 and words[0] == "Depends:" and words[1].startswith("linux-image-"):
                return words[1]
        if attempt == 0:
            subprocess.run(["apt-get", "update", "-q"], capture_output=True, timeout=300)
    raise RuntimeError("apt knows no linux-image-amd64: " + r.stderr.strip())


def fetch_kernel_deb(cache):
    """The kernel .deb in the cache, downloaded there the first time."""
    debs = sorted(f for f in os.listdir(cache)
                  if f.startswith("linux-image-") and f.endswith(".deb"))
    if debs:
        return os.path.join(cache, debs[-1])
    download = tempfile.mkdtemp(prefix="download-", dir=cache)
    try:
        for attempt in range(2):
            package = kernel_package()
            # As root, apt's sandbox user could not write here; download as root.
            r = subprocess.run(["apt-get", "download", "-q", "-o", "APT::Sandbox::User=root",
                                package], cwd=download, capture_output=True, text=True,
                               timeout=600)
            got = [f for f in os.listdir(download) if f.endswith(".deb")]
            if r.returncode == 0 and len(got) == 1:
                os.replace(os.path.join(download, got[0]), os.path.join(cache, got[0]))
                return os.path.join(cache, got[0])
            if attempt == 0:  # stale package lists name a version the archive dropped
                subprocess.run(["apt-get", "update", "-q"], capture_output=True, timeout=300)
        raise RuntimeError("apt-get download %s failed: %s" % (package, r.stderr.strip()))
    finally:
        shutil.rmtree(download, ignore_errors=True)


def module_depends(path):
    """The modules a .ko needs, from its .modinfo 'depends=' string."""
    with open(path, "rb") as f:
        data = f.read()
    for field in data.split(b"\0"):
        if field.startswith(b"depends="):
            return [d.decode() for d in field[len(b"depends="):].split(b",") if d]
    return []


def module_order(wanted, paths):
    """wanted and everything they depend on, each after its dependencies."""
    order = []

    def visit(name, seen):
        if name in order:
            return
        if name in seen:
            raise RuntimeError("module dependency loop at " + name)
        if name not in paths:
            raise RuntimeError("module %s not in the kernel package" % name)
        for dep in module_depends(paths[name]):
            visit(dep.replace("-", "_"), seen | {name})
        order.append(name)

    for name in wanted:
        visit(name, set())
    return order


def module_paths(directory):
    return {f[:-3]: os.path.join(directory, f) for f in os.listdir(directory) if f.endswith(".ko")}


def extract_kernel(deb, cache):
    """Unpacks vmlinuz and the modules MODULES need from the .deb once;
    returns (vmlinuz path, modules dir)."""
    version = os.path.basename(deb).split("_")[0][len("linux-image-"):]
    kernel = os.path.join(cache, "vmlinuz-" + version)
    modules = os.path.join(cache, "modules-" + version)
    if os.path.exists(kernel) and os.path.isdir(modules):
        try:
            module_order(MODULES, module_paths(modules))
            return kernel, modules
        except RuntimeError:
            pass  # MODULES grew since the cache was made: unpack again
    work = tempfile.mkdtemp(prefix="extract-", dir=cache)
    try:
        # The kernel and every module that could be in the chain; only those
        # in it are kept.
        dpkg = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", deb], stdout=subprocess.PIPE)
        tar = subprocess.run(["tar", "-x", "-C", work, "--wildcards", "./boot/vmlinuz-*",
                              "./lib/modules/*/kernel/drivers/virtio/*.ko",
                              "./lib/modules/*/kernel/drivers/net/*.ko",
                              "./lib/modules/*/kernel/net/core/*.ko",
                              "./lib/modules/*/kernel/net/8021q/*.ko",
                              "./lib/modules/*/kernel/net/802/*.ko",
                              "./lib/modules/*/kernel/net/llc/*.ko"],
                             stdin=dpkg.stdout, capture_output=True, text=True, timeout=300)
        dpkg.stdout.close()
        if dpkg.wait(timeout=300) != 0 or tar.returncode != 0:
            raise RuntimeError("cannot unpack %s: %s" % (deb, tar.stderr.strip()))
        found = {}
        for root, _, files in os.walk(os.path.join(work, "lib")):
            for f in files:
                if f.endswith(".ko"):
                    found[f[:-3].replace("-", "_")] = os.path.join(root, f)
        flat = os.path.join(work, "modules")
        os.mkdir(flat)
        for name in module_order(MODULES, found):
            os.replace(found[name], os.path.join(flat, name + ".ko"))
        vmlinuz = [f for f in os.listdir(os.path.join(work, "boot")) if f.startswith("vmlinuz-")]
        shutil.rmtree(modules, ignore_errors=True)
        os.replace(flat, modules)
        os.replace(os.path.join(work, "boot", vmlinuz[0]), kernel)
        return kernel, modules
    finally:
        shutil.rmtree(work, ignore_errors=True)


def cpio_newc(entries):
    """A newc cpio archive of (name, mode, data, rdev) entries, every time
    and owner zero, so the same inputs give the same bytes."""
    out = bytearray()

    def pad():
        out.extend(b"\0" * (-len(out) % 4))

    for ino, (name, mode, data, rdev) in enumerate(entries + [("TRAILER!!!", 0, b"", (0, 0))], 1):
        encoded = name.encode() + b"\0"
        if name == "TRAILER!!!":
            ino = 0
        fields = (ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(encoded), 0)
        out.extend(b"070701" + b"".join(b"%08X" % v for v in fields))
        out.extend(encoded)
        pad()
        out.extend(data)
        pad()
    return bytes(out)


def build_initramfs(cache, modules):
    """The gzipped initramfs, named after a hash of what goes in it."""
    order = module_order(MODULES, module_paths(modules))
    with open(BUSYBOX, "rb") as f:
        busybox = f.read()
    directory, regular, char = 0o040755, 0o100755, 0o020600
    entries = [(d, directory, b"", (0, 0)) for d in ("bin", "dev", "modules", "proc", "sys", "tmp")]
    entries.append(("dev/console", char, b"", (5, 1)))  # init's stdio, before devtmpfs
    entries.append(("bin/busybox", regular, busybox, (0, 0)))
    entries.append(("init", regular, INIT.encode(), (0, 0)))
    entries.append(("modules/order", 0o100644, "\n".join(order).encode() + b"\n", (0, 0)))
    for name in order:
        with open(os.path.join(modules, name + ".ko"), "rb") as f:
            entries.append(("modules/%s.ko" % name, 0o100644, f.read(), (0, 0)))
    archive = cpio_newc(entries)
    initrd = os.path.join(cache, "initrd-%s.gz" % hashlib.sha256(archive).hexdigest()[:16])
    if not os.path.exists(initrd):
        tmp = initrd + ".tmp"
        with open(tmp, "wb") as f:
            f.write(gzip.compress(archive, compresslevel=6, mtime=0))
        os.replace(tmp, initrd)
        for old in os.listdir(cache):
            if old.startswith("initrd-") and os.path.join(cache, old) != initrd:
                os.unlink(os.path.join(cache, old))
    return initrd


def build(cache=CACHE):
    """Builds the guest into cache (once; later calls reuse it) and returns
    a Guest. Concurrent callers wait on a lock rather than race."""
    os.makedirs(cache, exist_ok=True)
    with open(os.path.join(cache, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        deb = fetch_kernel_deb(cache)
        kernel, modules = extract_kernel(deb, cache)
        initrd = build_initramfs(cache, modules)
        return Guest(kernel, initrd, os.path.basename(deb).split("_")[0])


# SeaBIOS clears the screen with terminal escapes before the guest speaks.
ESCAPE = re.compile(r"\x1b(\[[0-9;?]*[A-Za-z]|c)")


def die_with_parent():
    """In the child before exec: SIGKILL when the test process dies, so no
    QEMU outlives a killed pytest."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0)


class VhostUser:
    """A guest NIC on a vhost-user socket rather than a tap. server: QEMU
    listens on path and the switch connects (the switch's port in client
    mode); otherwise QEMU connects to the switch and, with reconnect=1,
    connects again after the switch restarts. The guest's offloads (checksum
    and TSO both ways) and mergeable receive buffers are offered."""

    def __init__(self, path, server=False):
        self.path = path
        self.server = server

    def qemu_args(self, mac, memory_mb):
        chardev = "socket,id=c0,path=%s,%s" % (
            self.path, "server=on" if self.server else "reconnect=1")
        # vhost-user: the switch maps the guest's RAM, so RAM is a shared memfd.
        return ["-object", "memory-backend-memfd,id=m0,size=%dM,share=on" % memory_mb,
                "-numa", "node,memdev=m0", "-chardev", chardev,
                "-netdev", "vhost-user,id=n0,chardev=c0",
                "-device", "virtio-net-pci,netdev=n0,mac=%s,romfile=,vectors=0,mrg_rxbuf=on,csum=on,"
                "guest_csum=on,guest_tso4=on,guest_tso6=on,host_tso4=on,host_tso6=on" % mac]


def tap_args(tap, mac):
    return ["-netdev", "tap,id=n0,ifname=%s,script=no,downscript=no" % tap,
            # romfile= : no iPXE option ROM, the kernel is booted directly
            "-device", "virtio-net-pci,netdev=n0,mac=%s,romfile=" % mac]


class Vm:
    """One QEMU running a built guest on an existing tap (link: its name) or
    a vhost-user socket (link: a VhostUser), its serial console
    on stdin/stdout: the console is read line by line in a thread so the
    test can wait for the guest's marker lines.

    Under TCG (no KVM here) and without vhost-net (/dev/vhost-net is not
    available here either, so no vhost=on), QEMU itself moves every frame
    between the tap and the virtio rings in user space: slow, but the same
    tap the switch sees as with KVM."""

    def __init__(self, guest, link, mac, params, memory_mb=256):
        # no_timer_check: under TCG on a busy host the kernel's check of the
        # IO-APIC timer can miss its ticks and panic ("IO-APIC + timer
        # doesn't work"), as seen here with both cores loaded.
        cmdline = "console=ttyS0 quiet panic=-1 ipv6.disable=1 no_timer_check " + " ".join(
            "%s=%s" % kv for kv in params.items())
        nic = (link.qemu_args(mac, memory_mb) if isinstance(link, VhostUser)
               else tap_args(link, mac))
        self.cmd = [QEMU, "-M", "q35", "-accel", "tcg", "-m", str(memory_mb), "-smp", "1",
                    "-nodefaults", "-no-user-config", "-nographic", "-serial", "stdio",
                    "-no-reboot", "-kernel", guest.kernel, "-initrd", guest.initrd,
                    "-append", cmdline] + nic
        self.commands = 0
        self.lines = []
        self.changed = threading.Condition()
        self.started = time.monotonic()
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            line = ESCAPE.sub("", raw.decode(errors="replace")).rstrip("\r\n")
            with self.changed:
                self.lines.append((time.monotonic() - self.started, line))
                self.changed.notify_all()
        with self.changed:
            self.changed.notify_all()

    def wait_for(self, prefix, timeout):
        """The first console line holding prefix, from prefix on, and when it
        came (seconds since QEMU started); raises TimeoutError. The marker
        may follow other output on its line ("Booting from ROM..")."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for at, line in self.lines:
                    if prefix in line:
                        return at, line[line.index(prefix):]
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self.reader.is_alive()):
                    raise TimeoutError("no %r on the guest console after %.0f s:\n%s"
                                       % (prefix, timeout, self.console()))
                self.changed.wait(min(left, 0.5))

    def say(self, text):
        """Types a line on the guest's serial console."""
        self.proc.stdin.write(text.encode() + b"\n")
        self.proc.stdin.flush()

    def run(self, command, timeout=60):
        """Runs a shell command in a guest booted with guest_shell (after
        its GUEST-SHELL line); returns (exit status, its output lines). The
        marker is quoted apart so that no echo of the line could match it."""
        self.commands += 1
        mark = "GUEST-RC-%d " % self.commands
        with self.changed:
            since = len(self.lines)
        self.say("( %s ) 2>&1; echo GUEST\"\"-RC-%d $?" % (command, self.commands))
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                out = [line for _, line in self.lines[since:]]
                for i, line in enumerate(out):
                    if mark in line:
                        return int(line[line.index(mark) + len(mark):].split()[0]), out[:i]
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise TimeoutError("guest command %r unfinished after %.0f s:\n%s"
                                       % (command, timeout, self.console()))
                self.changed.wait(min(left, 0.5))

    def wait(self, timeout):
        return self.proc.wait(timeout)

    def console(self):
        with self.changed:
            return "\n".join("%6.2f %s" % (at, line) for at, line in self.lines)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(5)


if __name__ == "__main__":
    g = build()
    print(g.kernel_package, g.kernel, g.initrd)
