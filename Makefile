# vswitch — `make demo` and `make check` are the whole set-up on a fresh
# Debian machine: each installs what is missing (as root), builds, and runs.
# The build itself is Meson; these targets only wrap it.

BUILD     ?= build        # optimised build: demo, benchmarks
SAN_BUILD ?= build-san    # clang + AddressSanitizer + UBSan: unit and fuzz tests
FUZZ_SECONDS ?= 20        # per fuzz target in `make check`
DEMO_HOLD ?= 0            # seconds the seed demo and its web view stay up at the end
BUILD     := $(strip $(BUILD))
SAN_BUILD := $(strip $(SAN_BUILD))
FUZZ_SECONDS := $(strip $(FUZZ_SECONDS))
DEMO_HOLD := $(strip $(DEMO_HOLD))

.PHONY: all deps build install demo check unit fuzz format clean
.PHONY: bench bench-engine bench-peers bench-failover bench-restart bench-reload bench-idle
.PHONY: bench-vhost bench-cores bench-acl
.PHONY: bench-acl-peers bench-vxlan
.PHONY: bench-domain

all: build

deps:
	@tools/install-deps.sh

$(BUILD)/build.ninja: | deps
	meson setup $(BUILD) -Dbuildtype=release -Doptimization=3 -Db_lto=true -Dc_args=-march=native

$(SAN_BUILD)/build.ninja: | deps
	CC=clang meson setup $(SAN_BUILD) -Dbuildtype=debug -Db_sanitize=address,undefined \
		-Db_lundef=false -Dfuzz=true

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

# vswitchd and vswitchctl to /usr/local/bin, the systemd units beside the
# system's own (enable with: systemctl enable --now vswitchd, or one instance
# per daemon: vswitchd@hyp vswitchd@vios1; docs/sea.md orders them).
install: build
	meson install -C $(BUILD) --skip-subprojects
	install -D -m 0644 dist/vswitchd.service /usr/local/lib/systemd/system/vswitchd.service
	install -D -m 0644 dist/vswitchd@.service /usr/local/lib/systemd/system/vswitchd@.service
	install -d -m 0755 /etc/vswitch

# The live seed scenario in namespaces needs root; without it the same
# scenario runs in-process on the engine alone. Its web view's URL is the
# first line it prints; DEMO_HOLD=SECONDS keeps it up that long at the end.
demo: build
	@if [ "$$(id -u)" -eq 0 ]; then \
		/usr/bin/python3 examples/seed_demo.py --build $(BUILD) --hold $(DEMO_HOLD) && \
		/usr/bin/python3 examples/sea_demo.py --build $(BUILD) && \
		/usr/bin/python3 examples/domain_demo.py --build $(BUILD); \
	else \
		echo "demo: not root, so no namespaces: running the engine in-process"; \
		./$(BUILD)/vswitch-demo; \
	fi

check: deps $(SAN_BUILD)/build.ninja
	ninja -C $(SAN_BUILD)
	tests/run-checks.sh $(SAN_BUILD) $(FUZZ_SECONDS)

bench-engine: build
	bench/run-engine.sh $(BUILD)

# Security groups: 0, 1, 100 and 10 000 rules (docs/security-groups.md).
bench-acl: build
	bench/run-engine.sh $(BUILD) bench-acl

# vswitch against the Linux bridge and Open vSwitch's userspace datapath,
# side by side in one run (needs root; installs openvswitch-switch).
bench-peers: build
	/usr/bin/python3 bench/bench_peers.py --build $(BUILD) --pktgen $(BUILD)/bench/pktgen

# One poll thread against two (vswitchd --cores): 64-byte frames, two flows
# over four afpacket ports, the ratio in one run (needs root: namespaces).
bench-cores: build
	/usr/bin/python3 bench/bench_cores.py --build $(BUILD) --pktgen $(BUILD)/bench/pktgen

# SEA failover: outage and frames lost per event, default and fast timers
# (needs root: namespaces and two vswitchd processes as two VIOS).
bench-failover: build
	/usr/bin/python3 bench/bench_failover.py --build $(BUILD)

# Reloads of 10 000 to 100 000 static MACs under a 1000/s stream: how long
# forwarding stops (needs root: namespaces).
bench-reload: build
	/usr/bin/python3 bench/bench_reload.py --build $(BUILD)

# A restart of vswitchd by SIGTERM and by SIGKILL under a 100/s ping to the
# host's address on an internal port: the outage (needs root: namespaces).
bench-restart: build
	/usr/bin/python3 bench/bench_restart.py --build $(BUILD)


# Idle cost: wake-ups a second of idle daemons (needs root: namespaces).
bench-idle: build
	/usr/bin/python3 bench/bench_idle.py --build $(BUILD)

BENCHES := bench-engine bench-peers bench-failover bench-restart bench-reload bench-idle
BENCHES += bench-vhost bench-cores bench-acl
BENCHES += bench-acl-peers bench-vxlan
BENCHES += bench-domain
bench: $(BENCHES)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(SAN_BUILD)

# vswitch and OVS-DPDK each between two vhost-user ports of one DPDK testpmd,
# one core for the switch, 64 and 1518-byte frames (needs root: hugepages;
# installs openvswitch-switch-dpdk).
bench-vhost: build
	/usr/bin/python3 bench/bench_vhost.py --build $(BUILD)

# Security groups against OVS-DPDK's conntrack pipeline at 0, 1, 100 and
# 10 000 rules, each beside the same switch without them, on bench-vhost's
# testpmd loop (needs root: hugepages; installs openvswitch-switch-dpdk).
bench-acl-peers: build
	/usr/bin/python3 bench/bench_acl_peers.py --build $(BUILD)

# VXLAN: encapsulation and decapsulation per packet (instructions under
# callgrind, TSC cycles), then a vswitchd VTEP pair beside a kernel vxlan
# pair, TCP and 64-byte frames/s (needs root: network namespaces).
bench-vxlan: build
	bench/run-engine.sh $(BUILD) bench-vxlan
	/usr/bin/python3 bench/bench_vxlan.py --build $(BUILD)

# Configuration propagation in an etcd domain: 1 000 ports bound over 3
# hosts, profile edits to every port, etcd keys, watch events per host,
# 10 000 MACs allocated from 3 hosts at once (docs/distributed.md, "Scale").
bench-domain: build
	/usr/bin/python3 bench/bench_domain.py --build $(BUILD)
