#!/usr/bin/python3
"""bench_domain.py -- `make bench-domain`: configuration propagation in a
distributed switch's etcd domain (docs/distributed.md, "Scale"). One etcd
member on loopback and three vswitchd "hosts" on this machine, each with
PORTS/3 pipe ports bound (through etcd) to one profile:

  bind:        the bindings written to etcd by an orchestrator (one put
               each, as fast as the gateway takes them), until every host
               applied its share;
  propagation: `profile set web pvid V` on host 1 until the three hosts
               applied it (their `domain show` revision reached the edit's;
               then every bound port is checked to run V), EDITS times:
               p50 / p99; local_apply: the command alone (it returns once
               applied on host 1);
  etcd:        keys under the domain and the store's size after the run;
  per host:    watch events, full reads and model rebuilds (`domain show`);
  macs:        `mac allocate count N/3` on the three hosts at once: no
               duplicate, time.

Prints one JSON object. The figures go to docs/distributed.md."""
import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from vswitch_lab import etcd, wait_until  # noqa: E402
from vswitch_lab import daemon as daemon_mod  # noqa: E402


def start_hosts(workdir, endpoints, ports):
    hosts = []
    for h in range(3):
        names = ["vm%d" % i for i in range(ports) if i % 3 == h]
        config = "switch add sw\n" + "".join("port add sw %s type pipe\n" % n for n in names)
        d = daemon_mod.Daemon(tempfile.mkdtemp(dir=workdir), config,
                              args=["--domain", "bench", "--etcd", endpoints,
                                    "--host", "h%d" % (h + 1)])
        d.names = names
        hosts.append(d.start())
    return hosts


def all_pvid(d, vid):
    return all(p["pvid"] == vid for p in d.json("port", "show") if p["name"] in d.names_set)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--ports", type=int, default=1000)
    ap.add_argument("--edits", type=int, default=20)
    ap.add_argument("--macs", type=int, default=10000)
    args = ap.parse_args()
    daemon_mod.use_build(args.build)
    workdir = tempfile.mkdtemp(prefix="vswitch-bench-domain-")
    cluster, hosts = None, []
    result = {"ports": args.ports, "hosts": 3}
    try:
        cluster = etcd.Cluster(members=1, workdir=tempfile.mkdtemp(dir=workdir)).start()
        hosts = start_hosts(workdir, cluster.endpoints, args.ports)
        for d in hosts:
            d.names_set = set(d.names)
        assert wait_until(lambda: all(d.json("domain", "show")["state"] == "online"
                                      for d in hosts), 15)
        hosts[0].ctl("profile", "add", "web", "pvid", "10")

        start = time.monotonic()
        for h, d in enumerate(hosts):
            for name in d.names:
                cluster.put("/vswitch/bench/bindings/" + name, json.dumps(
                    {"host": "h%d" % (h + 1), "switch": "sw", "profile": "web",
                     "overrides": {}}))
        put_done = time.monotonic() - start
        assert wait_until(lambda: all(all_pvid(d, 10) for d in hosts), 120, step=0.1)
        result["bind_puts_s"] = round(put_done, 2)
        result["bind_applied_s"] = round(time.monotonic() - start, 2)

        delays, local = [], []
        for i in range(args.edits):
            vid = 100 + i
            start = time.monotonic()
            hosts[0].ctl("profile", "set", "web", "pvid", str(vid))
            local.append(time.monotonic() - start)
            # Applied on a host: its `domain show` revision reached the edit's
            # (cheap to ask, unlike 1 000 ports' `port show`).
            rev = cluster.revision()
            assert wait_until(lambda: all(d.json("domain", "show")["revision"] >= rev
                                          for d in hosts), 30, step=0.002)
            delays.append(time.monotonic() - start)
            assert all(all_pvid(d, vid) for d in hosts)
        local.sort()
        result["local_apply_ms_p50"] = round(statistics.median(local) * 1e3, 1)
        delays.sort()
        result["propagation_ms_p50"] = round(statistics.median(delays) * 1e3, 1)
        result["propagation_ms_p99"] = round(delays[min(len(delays) - 1,
                                                        int(len(delays) * 0.99))] * 1e3, 1)

        got = {}

        def allocate(d, n):
            got[d] = d.json("mac", "allocate", "count", str(n))["macs"]

        share = [args.macs // 3 + (1 if h < args.macs % 3 else 0) for h in range(3)]
        start = time.monotonic()
        threads = [threading.Thread(target=allocate, args=(d, n)) for d, n in zip(hosts, share)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        macs = [m for d in hosts for m in got.get(d, [])]
        result["macs_allocated"] = len(macs)
        result["macs_duplicates"] = len(macs) - len(set(macs))
        result["macs_s"] = round(time.monotonic() - start, 2)

        result["etcd_keys"] = len(cluster.get_prefix("/vswitch/bench/"))
        status = json.loads(cluster.etcdctl("endpoint", "status", "-w", "json"))
        result["etcd_db_bytes"] = status[0]["Status"]["dbSize"]
        for h, d in enumerate(hosts):
            shown = d.json("domain", "show")
            result["h%d" % (h + 1)] = {k: shown[k] for k in
                                       ("keys", "events", "full_reads", "applies")}
        print(json.dumps(result))
    finally:
        for d in hosts:
            d.stop()
        if cluster:
            cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
