#!/bin/sh
# Runs every unit test (cmocka), every fuzz target, the tree checks and the
# end-to-end tests (pytest) of a sanitizer build,
# prints each runner's summary, and ends with one line "N passed, N failed".
# Usage: tests/run-checks.sh BUILD_DIR FUZZ_SECONDS
set -u
build=$1
fuzz_seconds=$2
passed=0
failed=0
log=$(mktemp -d /tmp/vswitch-check-XXXXXX)
trap 'rm -rf "$log"' EXIT INT TERM

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

echo "== unit tests (cmocka, ASan+UBSan)"
for t in "$build"/tests/test_*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	name=$(basename "$t")
	"$t" >"$log/$name" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log/$name")
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log/$name")
	p=${p:-0}
	f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1 # crashed or a sanitizer stopped it
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -ne 0 ]; then
		echo "-- $name FAILED:"
		cat "$log/$name"
	else
		echo "   $name: $p passed"
	fi
done

echo "== fuzz targets (libFuzzer, ${fuzz_seconds}s each, two at a time)"
# Starts one target in the background; its exit status lands in $log/NAME.rc.
fuzz_start()
{
	name=$(basename "$1")
	mkdir -p "$log/$name.corpus"
	case "$name" in
	fuzz_engine | fuzz_config | fuzz_parse | fuzz_etcd_json) python3 tests/fuzz/make-corpus.py "$log/$name.corpus" "$name" ;;
	fuzz_vxlan | fuzz_domain_schema | fuzz_domain_counters) python3 tests/fuzz/make-corpus.py "$log/$name.corpus" "$name" ;;
	fuzz_overlay) python3 tests/fuzz/make-corpus.py "$log/$name.corpus" "$name" ;;
	fuzz_http | fuzz_lldp | fuzz_mcast) python3 tests/fuzz/make-corpus.py "$log/$name.corpus" "$name" ;;
	fuzz_vhost_message) python3 tests/fuzz/make-vhost-corpus.py "$log/$name.corpus" ;;
	esac
	# Each target has its own artifact directory: two run at once.
	mkdir -p "$log/$name.artifacts"
	("$1" -max_total_time="$fuzz_seconds" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$log/$name.artifacts/" "$log/$name.corpus" >"$log/$name.log" 2>&1
	echo $? >"$log/$name.rc") &
}

fuzz_report()
{
	name=$(basename "$1")
	if [ "$(cat "$log/$name.rc")" -eq 0 ]; then
		passed=$((passed + 1))
		echo "   $name: $(grep -o '#[0-9]*[[:space:]]*DONE.*' "$log/$name.log" | tail -1)"
	else
		failed=$((failed + 1))
		echo "-- $name FAILED:"
		tail -40 "$log/$name.log"
		for crash in "$log/$name.artifacts"/*; do
			[ -f "$crash" ] && echo "   input: $(od -An -tx1 "$crash" | head -5)"
		done
	fi
}

# The machine has two cores and a fuzz target uses one: pairs halve the time.
pending=""
running=0
for f in "$build"/tests/fuzz_*; do
	[ -f "$f" ] && [ -x "$f" ] || continue
	fuzz_start "$f"
	pending="$pending $f"
	running=$((running + 1))
	if [ "$running" -ge 2 ]; then
		wait
		for g in $pending; do fuzz_report "$g"; done
		pending=""
		running=0
	fi
done
wait
for g in $pending; do fuzz_report "$g"; done

# Runs pytest on a directory of tests/ with Debian's interpreter
# (python3-pytest and python3-scapy live there) and adds up its summary.
# Usage: run_pytest LABEL DIR [PYTEST OPTIONS]
run_pytest()
{
	label=$1
	dir=$2
	shift 2
	VSWITCH_BUILD=$(cd "$build" && pwd) /usr/bin/python3 -m pytest -q -p no:cacheprovider \
		"$@" "tests/$dir" >"$log/pytest-$label" 2>&1
	rc=$?
	summary=$(tail -1 "$log/pytest-$label")
	p=$(echo "$summary" | sed -n 's/.* \([0-9][0-9]*\) passed.*/\1/p; s/^\([0-9][0-9]*\) passed.*/\1/p' | head -1)
	f=$(echo "$summary" | grep -o '[0-9]* \(failed\|error\|errors\)' | awk '{s += $1} END {print s + 0}')
	p=${p:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1 # pytest itself failed (collection error, a missing program, no tests)
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -ne 0 ]; then
		cat "$log/pytest-$label"
	else
		echo "   $summary"
	fi
}

echo "== tree checks (pytest: tools/programs.tsv holds everything the tree calls)"
run_pytest tools tools

echo "== end-to-end tests (pytest + scapy, real vswitchd, namespaces)"
# Most of their time is spent waiting (timers, guests booting, failovers):
# two at a time halve it. A file's tests stay together and in order (many
# share one lab); those that assert a rate or a pause run alone.
run_pytest e2e e2e -n 2 --dist loadfile -m "not serial"
echo "== end-to-end tests that measure (alone)"
run_pytest e2e-serial e2e -m serial

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
