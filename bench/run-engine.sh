#!/bin/sh
# run-engine.sh — `make bench-engine`: runs every case of bench-engine twice,
# once under callgrind for instructions per packet (the VM has no hardware
# counters) and once natively, pinned to one core, for cycles and Mpps; then
# prints the JSON lines and a summary against the anchors of DESIGN §8.
# See docs/benchmarks.md, "Engine benchmark".
#
# Usage: bench/run-engine.sh BUILD_DIR [BENCH]  (BENCH: bench-engine, or
#   bench-acl for `make bench-acl`, bench-vxlan for `make bench-vxlan`, which
#   take the same options)
# Environment: BENCH_SECONDS (timed seconds per native run, default 2),
#   CALLGRIND_PACKETS (packets timed under callgrind, default 262144),
#   CALLGRIND_BUILD (build dir for the callgrind binary, default BUILD_DIR-callgrind).
set -eu

build=${1:?usage: bench/run-engine.sh BUILD_DIR}
build=${build%/}
bench=${2:-bench-engine}
exe=$build/bench/$bench
seconds=${BENCH_SECONDS:-2}
cg_packets=${CALLGRIND_PACKETS:-262144}

if [ ! -x "$exe" ]; then
	echo "run-engine: $exe not found; build first (ninja -C $build)" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# One core, away from CPU 0 where interrupts tend to land, so the numbers do
# not depend on where the scheduler puts the process.
pin=""
cpus=$(nproc 2>/dev/null || echo 1)
if command -v taskset >/dev/null 2>&1 && [ "$cpus" -gt 1 ]; then
	pin="taskset -c $((cpus - 1))"
fi

# Valgrind 3.19 cannot execute AVX-512, which -march=native enables on CPUs
# that have it (GCC uses it even in flood_ports()). The instruction count then
# comes from a twin build with the same options plus -mno-avx512f: the same
# code, at most a few vector instructions more per packet.
cg_exe=""
if ! command -v valgrind >/dev/null 2>&1; then
	echo "run-engine: valgrind not found: instructions_per_packet will be null" \
	     "(apt-get install valgrind)" >&2
elif [ "$(uname -m)" = x86_64 ] && grep -qw avx512f /proc/cpuinfo; then
	cg_build=${CALLGRIND_BUILD:-$build-callgrind}
	if [ ! -f "$cg_build/build.ninja" ]; then
		# The options of the native build, as "-Dname=value" lines.
		meson introspect "$build" --buildoptions | python3 -c '
import json, shlex, sys
opts = {o["name"]: o["value"] for o in json.load(sys.stdin)}
c_args = list(opts.get("c_args", [])) + ["-mno-avx512f"]
print("-Dbuildtype=%s" % opts["buildtype"])
print("-Doptimization=%s" % opts["optimization"])
print("-Db_lto=%s" % str(opts.get("b_lto", False)).lower())
print("-Dc_args=%s" % " ".join(shlex.quote(a) for a in c_args))
' >"$tmp/options"
		echo "run-engine: configuring $cg_build for callgrind (no AVX-512)" >&2
		# Each line of $tmp/options is one argument.
		set --
		while IFS= read -r option; do
			set -- "$@" "$option"
		done <"$tmp/options"
		meson setup "$cg_build" "$@" >"$tmp/setup.log" 2>&1 || {
			cat "$tmp/setup.log" >&2
			exit 1
		}
	fi
	ninja -C "$cg_build" "bench/$bench" >"$tmp/ninja.log" 2>&1 || {
		cat "$tmp/ninja.log" >&2
		exit 1
	}
	cg_exe=$cg_build/bench/$bench
else
	cg_exe=$exe
fi

# Instructions per packet of one case under callgrind, or "" when unknown.
# Warm-up and learning run uninstrumented; only pipeline_run() is collected.
instructions_per_packet()
{
	out=$tmp/callgrind.$1.out
	log=$tmp/callgrind.$1.log
	if ! valgrind -q --tool=callgrind --instr-atstart=no --collect-atstart=no \
		--callgrind-out-file="$out" "$cg_exe" --case "$1" --packets "$cg_packets" \
		>/dev/null 2>"$log"; then
		echo "run-engine: $1: the callgrind run failed:" >&2
		cat "$log" >&2
		return 0
	fi
	# "totals:" is the sum over the collected regions; "summary:" stays 0
	# when collection is off at exit.
	ir=$(sed -n 's/^totals: *\([0-9][0-9]*\).*/\1/p' "$out" | head -n 1)
	packets=$(sed -n 's/.*timed \([0-9][0-9]*\) packets.*/\1/p' "$log" | head -n 1)
	if [ -z "$ir" ] || [ -z "$packets" ] || [ "$ir" -eq 0 ]; then
		echo "run-engine: $1: no instruction count in the callgrind output" >&2
		return 0
	fi
	awk -v ir="$ir" -v n="$packets" 'BEGIN { printf "%.1f", ir / n }'
}

status=0
: >"$tmp/results"
for case in $("$exe" --list); do
	ipp=""
	if [ -n "$cg_exe" ]; then
		ipp=$(instructions_per_packet "$case")
	fi
	# shellcheck disable=SC2086
	if $pin "$exe" --case "$case" --seconds "$seconds" ${ipp:+--instructions "$ipp"} \
		>"$tmp/line"; then
		cat "$tmp/line"
		cat "$tmp/line" >>"$tmp/results"
	else
		echo "run-engine: $case FAILED" >&2
		status=1
	fi
done

# The summary: our cycles per packet against VPP's published L2 bridge
# numbers and our goals (DESIGN §8).
echo
awk '
function field(name,    re) {
	re = "\"" name "\": [0-9.]+"
	if (!match($0, re))
		return ""
	return substr($0, RSTART + length(name) + 4, RLENGTH - length(name) - 4)
}
BEGIN {
	print "Engine alone, one core, 64-byte frames; cycles are TSC ticks (nominal clock)."
	printf "%-16s %8s %10s %10s   %s\n", "case", "Mpps", "cycles/pkt", "instr/pkt", "against"
}
{
	match($0, /"case": "[^"]*"/)
	name = substr($0, RSTART + 9, RLENGTH - 10)
	cycles = field("cycles_per_packet") + 0 # a number: "113.1" <= 60 is true as strings
	ipp = field("instructions_per_packet")
	if (ipp == "")
		ipp = "-"
	note = ""
	if (name == "2-ports" || name == "8-ports") {
		note = sprintf("VPP 106-139 (small table), goal <= 60: %s; VPP best / ours = %.2f",
			       cycles <= 60 ? "met" : "NOT met", 106 / cycles)
	} else if (name == "l2bdscale-1m") {
		note = sprintf("VPP 236 (1M MACs), goal <= 120: %s; VPP / ours = %.2f",
			       cycles <= 120 ? "met" : "NOT met", 236 / cycles)
	} else if (name ~ /^l2bdscale/) {
		note = "no anchor quoted (VPP: 106-139 small table, 236 at 1M)"
	} else if (name == "flood") {
		note = "per received frame, 7 copies out; no anchor"
	}
	printf "%-16s %8s %10s %10s   %s\n", name, field("mpps"), cycles, ipp, note
}
' "$tmp/results"
exit $status
