"""vswitch_lab: what the end-to-end tests (tests/e2e), the demo (examples/)
and the benchmarks (bench/) share — a vswitchd to start and drive, network
namespaces, the labs built from them, a UDP stream to measure outages, a
QEMU guest, and the check that every program they call is installed. It
holds no tests and no programs; those import it.

An entry point (a script in examples/ or bench/, a conftest.py under tests/)
finds the package with one line, the directory python/ first on the path:

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

Modules import each other as vswitch_lab.NAME, never through sys.path."""
import os
import time

# The repository: build/ (the default build), examples/ and tools/ are in it.
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def wait_until(what, timeout, step=0.05):
    """Polls what() until it is true (True) or timeout seconds pass
    (False): the tests' way to wait for a carrier, a reply, a guest."""
    deadline = time.monotonic() + timeout
    while not what():
        if time.monotonic() > deadline:
            return False
        time.sleep(step)
    return True
