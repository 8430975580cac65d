"""What vswitch needs installed, read from tools/programs.tsv (the one list;
tools/install-deps.sh installs from it too), and the check every entry point
makes before it starts: the demo, the end-to-end tests and the benchmarks
stop with one line naming what is missing and its Debian package.

    from vswitch_lab import programs
    programs.require("demo")          # exits with the line when something is missing

As a command: PYTHONPATH=python python3 -m vswitch_lab.programs USE  (exit 1
and the line on stderr)."""
import collections
import importlib.util
import os
import shutil
import subprocess
import sys

from vswitch_lab import ROOT

# The map stays in tools/: tools/install-deps.sh, a shell script make runs
# before anything else, reads it too.
MAP = os.path.join(ROOT, "tools", "programs.tsv")

# what: a program ("ping", or a path outside PATH), "import:MODULE" (Python),
# "dependency:NAME" (pkg-config, for Meson) or "sanitizer:NAME" (clang's runtime).
Need = collections.namedtuple("Need", "what package used_by installed_by")


def load(path=MAP):
    """Every row of the map."""
    rows = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            if len(words) != 4:
                raise ValueError("%s:%d: want 4 columns, found %d" % (path, number, len(words)))
            rows.append(Need(words[0], words[1], tuple(words[2].split(",")), words[3]))
    return rows


def present(need, search_path=None):
    """Whether a program or Python module is there (None when the map entry
    is neither: Meson reports libraries itself). Programs are looked for on
    search_path, by default PATH and the sbin directories: root's PATH has
    them, a user's may not, and what lives there (ip, sysctl) runs as root."""
    kind, _, name = need.what.rpartition(":")
    if kind == "import":
        return importlib.util.find_spec(name) is not None
    if kind:
        return None
    if name.startswith("/"):
        return os.access(name, os.X_OK)
    if search_path is None:
        search_path = os.pathsep.join([os.environ.get("PATH", os.defpath), "/usr/sbin", "/sbin"])
    return shutil.which(name, path=search_path) is not None


def missing(use, path=MAP, search_path=None, leave_out=()):
    """The rows used by `use` (demo, check, bench-peers ...) that are not
    there, optional ones (installed by nobody) and leave_out aside."""
    return [n for n in load(path) if use in n.used_by and n.installed_by != "nobody"
            and n.what not in leave_out and present(n, search_path) is False]


def packages(needs):
    return sorted({n.package for n in needs})


def message(needs):
    """One line: what is missing and the apt-get command that brings it."""
    names = ", ".join("'%s'" % n.what.replace("import:", "python3 module ") for n in needs)
    return "vswitch: %s not found: apt-get install %s (or run make as root)" % (
        names, " ".join(packages(needs)))


def install(needs):
    """apt-get install of the packages of needs, as root; quietly nothing
    otherwise (the check that follows names what is still missing)."""
    if not needs or os.geteuid() != 0 or not shutil.which("apt-get"):
        return
    print("vswitch: installing " + " ".join(packages(needs)), file=sys.stderr, flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends"]
                   + packages(needs), env=env, stdout=subprocess.DEVNULL)


def require(use, leave_out=(), install_missing=False):
    """Exits with message() when a program or module `use` needs is missing;
    with install_missing (a benchmark's own packages), apt-get first."""
    needs = missing(use, leave_out=leave_out)
    if needs and install_missing:
        install(needs)
        needs = missing(use, leave_out=leave_out)
    if needs:
        sys.exit(message(needs))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python3 -m vswitch_lab.programs USE   (build, demo, check ...)")
    require(sys.argv[1])
