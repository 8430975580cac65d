"""A MAC flood (issue 11 item 7, docs/engine.md "MAC floods"): one port sends
1 million frames with random source MACs as fast as the kernel takes them
(bench/pktgen --random-src) while a steady unicast flow between two other
ports runs at a fixed modest rate. With `mac-limit` on the flooding port the
steady flow loses at most 5 %, the limit holds (learned MACs, drops counted
as mac-limit), and the static entry stays. Without a limit the flood fills
the table, and the table gives way fairly: the flooding port churns its own
entries, other ports keep theirs and still learn new MACs. Each runs with
one poll thread and with two (`--cores 0,1`: the flooding port's thread
refuses past its limit without the table's lock, and evicts under it while
the other thread looks up). Counts, never times, are asserted."""
import json
import os
import shutil
import subprocess
import tempfile

import pytest

from vswitch_lab.daemon import BUILD, Daemon
from vswitch_lab.netns import Netns, unique

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces")

PKTGEN = os.path.join(BUILD, "bench", "pktgen")
MAC = {"a": "02:00:00:00:0a:01", "b": "02:00:00:00:0b:02", "c": "02:00:00:00:0c:03",
       "c2": "02:00:00:00:0c:04"}
LIMIT = 64
CAPACITY = 4096
STEADY_PPS, STEADY_COUNT = 10000, 30000  # 3 s, well below what the switch forwards


@pytest.fixture(params=[[], ["--cores", "0,1"]], ids=["1-thread", "2-threads"])
def lab(request):
    """Ports flood, a, b, c on veths whose peers share one namespace; B's MAC
    is static on b, the flood goes to C's (static on c)."""
    n = Netns()
    workdir = tempfile.mkdtemp(prefix="vswitch-macflood-")
    if request.param and len(os.sched_getaffinity(0)) < 2:
        pytest.skip("needs two cores")
    d = Daemon(workdir, "", args=request.param)
    procs = []
    try:
        ns = n.add("mf")
        links = {p: n.veth(unique("vm"), ns, ns_name="eth" + p) for p in ("flood", "a", "b", "c")}
        with open(d.config, "w") as f:
            f.write("switch add sw fdb-capacity %d\n" % CAPACITY)
            for p, link in links.items():
                f.write("port add sw %s type afpacket dev=%s%s\n"
                        % (p, link, " mac-limit %d" % LIMIT if p == "flood" else ""))
            f.write("fdb add sw vlan 1 mac %s port b\n" % MAC["b"])
            f.write("fdb add sw vlan 1 mac %s port c\n" % MAC["c"])
        d.start()

        def pktgen(*args):
            p = subprocess.Popen(["ip", "netns", "exec", ns, PKTGEN] + [str(a) for a in args],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            procs.append(p)
            return p

        yield d, pktgen
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        d.stop()
        n.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)


def result(proc, timeout=60):
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err
    return json.loads(out)


def flood_beside_steady_flow(pktgen, flood_count):
    """The steady flow a -> b at STEADY_PPS with the flood from `flood`
    starting inside it; returns (steady sent, steady received, flood)."""
    sink = pktgen("sink", "ethb", "--dst", MAC["b"], "--seconds", 30, "--idle-ms", 1000)
    assert sink.stderr.readline().strip() == "ready"
    steady = pktgen("send", "etha", "--src", MAC["a"], "--dst", MAC["b"], "--pps", STEADY_PPS,
                    "--count", STEADY_COUNT)
    flood = result(pktgen("send", "ethflood", "--random-src", 11, "--dst", MAC["c"],
                          "--count", flood_count))
    sent = result(steady)["sent"]
    return sent, result(sink)["received"], flood


def port(d, name):
    return d.json("port", "show", name)[0]


def fdb(d):
    """{mac: (port, "static" or "dynamic")}"""
    return {e["mac"]: (e["port"], e["type"]) for e in d.json("fdb", "show", "sw")}


def test_flood_with_mac_limit_leaves_others_untouched(lab):
    d, pktgen = lab
    sent, received, flood = flood_beside_steady_flow(pktgen, 1000000)
    assert flood["sent"] == 1000000
    assert sent == STEADY_COUNT
    assert received >= 0.95 * sent, (received, sent, flood)
    f = port(d, "flood")
    print("flood %d frames at %.0f/s, switch received %d (rx-overflow %d); steady %d/%d"
          % (flood["sent"], flood["pps"], f["counters"]["rx_packets"],
             f["counters"]["drops"]["rx-overflow"], received, sent))
    # the limit holds, every frame past it counted
    assert f["macs_learned"] == LIMIT
    rx, drops = f["counters"]["rx_packets"], f["counters"]["drops"]
    assert rx > 10 * LIMIT, f  # the flood reached the switch
    assert drops["mac-limit"] >= rx - LIMIT - 5, f  # (a random MAC may repeat)
    table = fdb(d)
    assert table[MAC["b"]] == ("b", "static")
    assert table[MAC["a"]] == ("a", "dynamic")
    assert d.json("switch", "show")[0]["fdb_full"] == 0


def test_flood_without_limit_churns_only_its_own_entries(lab):
    d, pktgen = lab
    d.ctl("port", "set", "flood", "mac-limit", 0)
    sent, received, flood = flood_beside_steady_flow(pktgen, 200000)
    assert received >= 0.95 * sent, (received, sent, flood)
    sw = d.json("switch", "show")[0]
    assert sw["fdb_full"] > 0, sw  # the flood filled the table
    # a new MAC of another port is still learned in the full table
    result(pktgen("send", "ethc", "--src", MAC["c2"], "--dst", MAC["b"], "--count", 3))
    table = fdb(d)
    assert table.get(MAC["c2"]) == ("c", "dynamic"), "c's new MAC was not learned"
    assert table.get(MAC["a"]) == ("a", "dynamic"), "a's entry was evicted"
    assert table[MAC["b"]] == ("b", "static")
    assert port(d, "flood")["macs_learned"] <= CAPACITY - 3
