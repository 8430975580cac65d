#!/usr/bin/python3
"""bench_acl_peers.py -- `make bench-acl-peers`: what security groups cost
vswitch and what conntrack firewalling costs Open vSwitch, each against the
same switch without them, in one run, on bench_vhost.py's harness: one
testpmd process whose two net_virtio_user ports are the two "VMs", a closed
loop through the switch under test, one core for the switch (see
bench_vhost.py and docs/benchmarks.md, "vhost-user benchmark").

Systems and rule counts (the same rule sets for both, python/vswitch_lab/
sg_rules.py: n - 1 generated rules that match no frame, in five shapes,
plus one that matches the traffic):
  vswitch, rules 0:   two vhostuser ports, no security group;
  vswitch, rules n:   security group "bench" on both ports, each rule once
                      per direction (n rules in each direction's classifier),
                      so every frame is checked on leaving its VM's port and
                      on entering the other's, each in that port's table;
  ovs-dpdk, rules 0:  OVS-DPDK, dpdkvhostuserclient ports, NORMAL only;
  ovs-dpdk, rules n:  the Neutron-style pipeline: table 0
                      `ct_state=-trk,ip actions=ct(table=1)`, table 1
                      `ct_state=+trk+est actions=NORMAL` and one
                      `ct_state=+trk+new,<rule> actions=ct(commit),NORMAL` flow
                      per rule, the rest dropped (ovs-ofctl add-flows FILE).

The frames: testpmd's tx_first bursts are its txonly frames, IPv4/UDP,
given here explicitly (--tx-ip 198.18.0.1,198.18.0.2 --tx-udp 9,9, which
are testpmd's defaults). --mode 5tswap (the default): each port sends back
on itself what it received, MACs, addresses and ports swapped
(--port-topology=loop), so each of the two loops is a request and its reply
crossing the switch both ways, one UDP connection seen in both directions,
what conntrack calls established: after the first frames, vswitch's
connection tables and OVS's +est flow pass every frame. --mode io:
bench_vhost's io loop, frames forwarded unchanged, so both directions carry
198.18.0.1:9 -> 198.18.0.2:9 and no reply is ever seen: OVS keeps such a
one-way UDP flow +new, and every frame takes the +new flow and ct(commit);
vswitch's tables pass it as "UDP, one way". What each switch tracked is
printed with its figures (vswitch: `conntrack show`; OVS: the packets its
+est and +new flows counted, and dpctl/dump-conntrack).

Prints one JSON line per system and rule count,
  {"system": "vswitch"|"ovs-dpdk", "rules": N, "mpps": M, "vs_no_acl": R, ...}
(vs_no_acl: mpps over the same system's rules-0 figure, medians), then a
summary line per rule count with both slow-downs side by side and, with
--engine, the engine-only instructions per packet of `make bench-acl`
(callgrind) for the same rule counts.

Usage (as root): bench/bench_acl_peers.py --build DIR [--seconds S] [--repeat N]
                 [--rules 1,100,10000] [--systems vswitch,ovs-dpdk]
                 [--mode 5tswap|io] [--engine] [--json FILE]
See docs/benchmarks.md, "Security groups against OVS conntrack".
"""
import argparse
import fcntl
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
sys.path.insert(0, HERE)
import bench_vhost  # noqa: E402  (its harness: generator, measure, systems)
from vswitch_lab import programs, sg_rules  # noqa: E402
from vswitch_lab.daemon import Daemon, use_build  # noqa: E402
from vswitch_lab.dpdk import setup_hugepages  # noqa: E402
from vswitch_lab.ovs_dpdk import BRIDGE  # noqa: E402

SRC, DST = "198.18.0.1", "198.18.0.2"
FRAME = 64
# bench-acl's cases (bench/bench_acl.c) by rule count: the established
# stream, which is what the loop's frames are after their first.
ENGINE_CASES = {0: "acl-off", 1: "acl-1-established", 100: "acl-100-established",
                10000: "acl-10k-established"}


def log(*words):
    print("bench-acl-peers:", *words, file=sys.stderr, flush=True)


def log_tail(rundir, lines=15):
    """The end of a failed run's testpmd log."""
    for name in os.listdir(rundir):
        if name.startswith("testpmd-"):
            with open(os.path.join(rundir, name), errors="replace") as f:
                log("%s ends:\n%s" % (name, "".join(f.readlines()[-lines:])))


def emit(obj):
    print(json.dumps(obj), flush=True)


class VswitchSg(bench_vhost.VswitchSystem):
    """vswitch with `rules` rules per direction in a group on both ports."""
    rules = 0

    def start(self, sockets):
        config = ["switch add sw"] + [
            "port add sw v%d type vhostuser socket=%s mode=client" % (i, s)
            for i, s in enumerate(sockets)]
        if self.rules:
            config += sg_rules.vswitch_commands(sg_rules.rule_set(self.rules))
            config += ["port set v%d security-group %s" % (i, sg_rules.GROUP) for i in (0, 1)]
        self.daemon = Daemon(self.dir, "\n".join(config) + "\n")
        self.daemon.prefix = ["taskset", "-c", str(bench_vhost.SWITCH_CPU)]
        self.daemon.start()  # 20 000 rules: about 2 s before the socket answers

    def extra(self, mark, packets):
        out = super().extra(mark, packets)
        if self.rules:
            tables = self.daemon.json("conntrack", "show", "sw")
            out["conntrack"] = sorted("%s local %s remote %s" % (t["port"], c["local"], c["remote"])
                                      for t in tables for c in t["connections"])
            drops = self.daemon.json("counters")
            out["drops"] = {p: {k: v for k, v in drops[p]["drops"].items() if v}
                            for p in ("v0", "v1")}
        return out


class OvsSg(bench_vhost.OvsSystem):
    """OVS-DPDK with NORMAL (rules 0) or the conntrack pipeline."""
    rules = 0

    def start(self, sockets):
        super().start(sockets)
        if self.rules:
            sg_rules.add_flows(self.ovs, BRIDGE,
                               sg_rules.ovs_flows(sg_rules.rule_set(self.rules)))

    def extra(self, mark, packets):
        out = super().extra(mark, packets)
        if self.rules:
            # Since the start, warm-up included: which path the frames took.
            t1 = sg_rules.flow_packets(self.ovs, BRIDGE, 1)
            out["est_packets"] = sum(n for m, n in t1.items() if "+est" in m)
            out["new_packets"] = sum(n for m, n in t1.items() if "+new" in m)
            out["dropped_packets"] = sum(n for m, n in t1.items() if m.startswith("0"))
            out["ct_entries"] = self.appctl("dpctl/dump-conntrack").strip().splitlines()[:4]
        return out


def system_class(name, rules):
    base = {"vswitch": VswitchSg, "ovs-dpdk": OvsSg}[name]
    return type(base.__name__ + str(rules), (base,), {"rules": rules, "name": name})


def use_frames(mode):
    """bench_vhost's generator with the IPv4/UDP tuple given explicitly and,
    for --mode 5tswap, the swapping forwarder on each port instead of io
    from one port to the other."""
    plain = bench_vhost.generator

    def generator(sockets, frame, log_path):
        pmd = plain(sockets, frame, log_path)
        if mode == "5tswap":
            # Each port answers what it received on itself: the reply of a
            # frame goes back the way it came, as a VM's would.
            pmd.cmd[pmd.cmd.index("--forward-mode=io")] = "--forward-mode=5tswap"
            pmd.cmd.append("--port-topology=loop")
        pmd.cmd += ["--tx-ip=%s,%s" % (SRC, DST), "--tx-udp=%d,%d" % (
            sg_rules.TRAFFIC_PORT, sg_rules.TRAFFIC_PORT)]
        return pmd

    bench_vhost.generator = generator


def engine_figures(build, counts):
    """`make bench-acl`'s instructions per packet (callgrind, established
    stream) for the rule counts it has: {rules: instructions}."""
    env = dict(os.environ, CALLGRIND_PACKETS="65536", BENCH_SECONDS="0.2")
    r = subprocess.run([os.path.join(HERE, "run-engine.sh"), build, "bench-acl"],
                       capture_output=True, text=True, env=env, timeout=1800,
                       cwd=os.path.join(HERE, ".."))
    by_case = {}
    for line in r.stdout.splitlines():
        if line.startswith("{"):
            d = json.loads(line)
            by_case[d.get("case")] = d.get("instructions_per_packet")
    if r.returncode != 0 or not by_case:
        log("bench-acl failed:", r.stderr.strip()[-500:])
    return {n: by_case.get(ENGINE_CASES[n]) for n in [0] + counts if n in ENGINE_CASES}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", required=True)
    ap.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_ACL_SECONDS", 3)))
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--bursts", type=int, default=16)
    ap.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_ACL_REPEAT", 2)))
    ap.add_argument("--rules", default="1,100,10000")
    ap.add_argument("--systems", default="vswitch,ovs-dpdk")
    ap.add_argument("--mode", default="5tswap", choices=("5tswap", "io"))
    ap.add_argument("--engine", action="store_true",
                    help="also bench-acl's instructions per packet (callgrind)")
    ap.add_argument("--json", help="also write every run here")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("bench-acl-peers: needs root (hugepages, OVS-DPDK); skipped")
        return 0
    for use in ("bench-vhost", "bench-acl-peers"):
        programs.require(use, install_missing=True)
    build = os.path.abspath(args.build)
    use_build(build)
    use_frames(args.mode)
    counts = [int(n) for n in args.rules.split(",")]
    systems = args.systems.split(",")
    # Shares bench-vhost's lock: the same cores and hugepages.
    lock = open("/run/lock/vswitch-bench-vhost.lock", "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        log("a bench-vhost or bench-acl-peers is running; waiting for it")
        fcntl.flock(lock, fcntl.LOCK_EX)
    setup_hugepages(1024)
    os.nice(-20)
    autogroup = bench_vhost.raise_autogroup()
    workdir = tempfile.mkdtemp(prefix="bench-acl-peers-")
    runs = {(s, n): [] for s in systems for n in [0] + counts}
    medians, best, report = {}, {}, []
    emit({"conditions": {"cpus": os.cpu_count(), "loadavg_before": os.getloadavg()[0],
                         "seconds": args.seconds, "repeat": args.repeat, "mode": args.mode,
                         "frame": FRAME}})
    try:
        # Repeats outermost, systems alternating (as bench_vhost).
        for i in range(args.repeat):
            for n in [0] + counts:
                for name in systems:
                    # A directory per run: a testpmd that had to be killed
                    # leaves its sockets behind, and the next could not bind.
                    rundir = tempfile.mkdtemp(prefix="run-", dir=workdir)
                    try:
                        r = bench_vhost.measure(system_class(name, n), FRAME, args, rundir)
                    except Exception as e:  # one failing must not hide the others
                        log("%s rules %d run %d failed: %s" % (name, n, i + 1, str(e)[-300:]))
                        log_tail(rundir)
                        continue
                    runs[(name, n)].append(r)
                    log("%s rules %d run %d: %.3f Mpps, loss %.2f %%" % (
                        name, n, i + 1, r["mpps"], r["loss_pct"]))
        for name in systems:
            for n in [0] + counts:
                got = runs[(name, n)]
                if not got:
                    continue
                median = statistics.median_low([r["mpps"] for r in got])
                chosen = next(r for r in got if r["mpps"] == median)
                medians[(name, n)] = median
                best[(name, n)] = max(r["mpps"] for r in got)
                base = medians.get((name, 0))
                line = {"system": name, "rules": n, "mpps": round(median, 3),
                        "vs_no_acl": round(median / base, 3) if base else None,
                        # Load from other jobs only ever slows a run down:
                        # the best runs' ratio is the one it disturbs least.
                        "vs_no_acl_best": round(best[(name, n)] / best[(name, 0)], 3)
                        if (name, 0) in best else None,
                        "runs_mpps": [round(r["mpps"], 3) for r in got],
                        "loss_pct": round(chosen["loss_pct"], 3)}
                line.update({k: v for k, v in chosen.items()
                             if k in ("cycles_per_packet", "pmd_cycles_per_packet",
                                      "est_packets", "new_packets", "dropped_packets",
                                      "conntrack", "ct_entries", "drops")})
                emit(line)
                report.append(dict(line, runs=got))
        engine = engine_figures(build, counts) if args.engine else {}
        for n in [0] + counts:
            s = {"summary": "mpps against the same switch without ACL", "rules": n}
            for name in systems:
                base, got = medians.get((name, 0)), medians.get((name, n))
                s[name] = round(got / base, 3) if base and got else None
                if (name, 0) in best and (name, n) in best:
                    s[name + "_best"] = round(best[(name, n)] / best[(name, 0)], 3)
            if medians.get(("vswitch", n)) and medians.get(("ovs-dpdk", n)):
                s["vswitch/ovs-dpdk"] = round(medians[("vswitch", n)] /
                                              medians[("ovs-dpdk", n)], 2)
            if engine.get(n) and engine.get(0):
                s["engine_instructions"] = engine[n]
                s["engine_instructions_x_no_acl"] = round(engine[n] / engine[0], 2)
            emit(s)
        emit({"conditions": {"loadavg_after": os.getloadavg()[0]}})
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        bench_vhost.restore_autogroup(autogroup)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
