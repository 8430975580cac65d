#!/bin/sh
# Installs the Debian packages vswitch needs, only those missing.
# Usage: tools/install-deps.sh   (as root; otherwise it names what to install)
set -eu

packages="clang libclang-rt-dev meson ninja-build pkg-config libcmocka-dev libpcap-dev
tcpdump valgrind libcjson-dev libsystemd-dev
python3 python3-pytest python3-scapy iproute2 iperf3 ethtool
qemu-system-x86 busybox-static"

missing=""
for p in $packages; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing Debian packages:$missing" >&2
	echo "install-deps: run 'sudo apt-get install$missing' or run make as root" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
