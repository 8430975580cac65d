"""Fixtures for end-to-end tests: a real vswitchd started from the build
directory on a private socket, vswitchctl to drive it, and network
namespaces with veth pairs, all named uniquely and removed afterwards, also
when a test fails. The classes behind them (Daemon, Netns, unique) live in
python/vswitch_lab/, which this file, pytest's entry point here, puts on the
import path for every test module."""
import os
import shutil
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from vswitch_lab import programs  # noqa: E402
# BUILD, VSWITCHD, VSWITCHCTL, voluntary_switches, unique and sh are here too for tests that
# import them from conftest.
from vswitch_lab.daemon import BUILD, VSWITCHCTL, VSWITCHD, Daemon, voluntary_switches  # noqa: E402,F401
from vswitch_lab.netns import Netns, sh, unique  # noqa: E402,F401


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "serial: asserts a rate or a pause, so it runs alone, after the tests that "
        "run two at a time (tests/run-checks.sh)")


@pytest.fixture(scope="session", autouse=True)
def programs_installed():
    """Stops the whole run with one line when a program the tests call is
    missing (tools/programs.tsv), rather than letting each test fail on it."""
    missing = programs.missing("check")
    if missing:
        pytest.exit(programs.message(missing), returncode=pytest.ExitCode.USAGE_ERROR)


@pytest.fixture
def workdir():
    d = tempfile.mkdtemp(prefix="vswitch-e2e-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def daemon_factory(workdir):
    daemons = []

    def make(config_text=None, start=True, env=None):
        d = Daemon(tempfile.mkdtemp(dir=workdir), config_text, env=env)
        daemons.append(d)
        return d.start() if start else d

    yield make
    for d in daemons:
        d.stop()
        if d.proc and d.proc.poll() is None:
            d.proc.kill()


@pytest.fixture
def daemon(daemon_factory):
    return daemon_factory("")


@pytest.fixture
def netns():
    if os.geteuid() != 0:
        pytest.skip("needs root for network namespaces")
    n = Netns()
    yield n
    n.cleanup()
