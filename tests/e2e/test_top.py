"""vswitchctl top against a live daemon: while frames flow from port a to
port b of sw0 (injected into a pipe port a few times a second), `top
--count 2 --interval 1` shows a nonzero rx rate on a, the same tx rate on
b, zero on the idle port c of another switch; the switch filter keeps only
its switch's ports, and an unknown switch is refused."""
import json
import subprocess
import threading
import time

import pytest

from vswitch_lab.daemon import VSWITCHCTL

# A broadcast from 02:00:00:00:00:03, untagged, 60 bytes.
BROADCAST = "ffffffffffff020000000003080045" + "00" * 45


@pytest.fixture
def flowing(daemon):
    d = daemon
    d.ctl("switch", "add", "sw0")
    d.ctl("switch", "add", "sw1")
    for sw, port in [("sw0", "a"), ("sw0", "b"), ("sw1", "c")]:
        d.ctl("port", "add", sw, port, "type", "pipe")
    done = threading.Event()

    def inject():
        while not done.is_set():
            d.ctl("port", "inject", "a", BROADCAST)
            time.sleep(0.05)

    t = threading.Thread(target=inject)
    t.start()
    try:
        yield d
    finally:
        done.set()
        t.join()


def top(d, *words):
    return subprocess.run([VSWITCHCTL, "--socket", d.socket] + list(words),
                          capture_output=True, text=True, timeout=30)


def test_top_shows_the_rates_of_the_busy_port_and_zero_on_the_idle_one(flowing):
    r = top(flowing, "--json", "top", "--count", "2", "--interval", "1")
    assert r.returncode == 0, r.stderr
    frames = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(frames) == 2
    for frame in frames:
        rows = {row["port"]: row for row in frame}
        assert set(rows) == {"a", "b", "c"}
        assert rows["a"]["switch"] == "sw0" and rows["c"]["switch"] == "sw1"
        assert rows["a"]["rx_packets_per_s"] > 3
        assert rows["a"]["rx_bits_per_s"] == pytest.approx(rows["a"]["rx_packets_per_s"] * 480)
        assert rows["b"]["tx_packets_per_s"] == pytest.approx(rows["a"]["rx_packets_per_s"],
                                                              rel=0.3)
        assert rows["c"]["rx_packets_per_s"] == 0 and rows["c"]["tx_bits_per_s"] == 0
        assert frame[-1]["port"] == "c"  # busiest first
    # The text table: the same ports, a's line with a rate, c's all zeroes.
    r = top(flowing, "top", "--once", "--interval", "1")
    assert r.returncode == 0, r.stderr
    lines = {line.split()[1]: line.split() for line in r.stdout.splitlines()[2:] if line}
    assert lines["a"][0] == "sw0" and lines["a"][2] != "0"
    assert lines["c"][2:] == ["0"] * 5
    assert "\033[" not in r.stdout  # no terminal: no escape sequences


def test_top_switch_filter_and_errors(flowing):
    r = top(flowing, "--json", "top", "--once", "--interval", "0.5", "sw1")
    assert r.returncode == 0, r.stderr
    assert [row["port"] for row in json.loads(r.stdout)] == ["c"]
    r = top(flowing, "top", "--once", "nosuch")
    assert r.returncode == 1 and "no such switch" in r.stderr
    r = top(flowing, "top", "--interval", "0")
    assert r.returncode == 2 and "--interval" in r.stderr
