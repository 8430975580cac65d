#!/bin/sh
# Installs the Debian packages vswitch needs, only those missing: every
# package of tools/programs.tsv that is installed by "deps" (the few a
# benchmark installs itself, and optional ones, are left to it).
# Usage: tools/install-deps.sh          (as root; otherwise it names what to install)
#        tools/install-deps.sh --list   (prints the packages, one a line)
set -eu

# The packages of tools/programs.tsv's "deps" rows, written out so that a
# reader sees what is installed; tests/tools/test_fresh_machine.py fails
# when this list and the map differ.
packages="apt busybox-static clang clang-format coreutils dash dpdk-dev dpkg etcd-client etcd-server
ethtool gcc git grep iperf3 iproute2 iputils-ping libbpf-dev libcjson-dev libclang-rt-dev
libcmocka-dev libcurl4-openssl-dev libpcap-dev libsystemd-dev libxdp-dev lldpd make mawk meson mount
ninja-build openssl pkgconf procps prometheus python3 python3-pytest python3-pytest-xdist python3-scapy python3-selenium
qemu-system-x86 sed systemd tar tcpdump tshark util-linux valgrind chromium chromium-driver"

if [ "${1:-}" = --list ]; then
	# shellcheck disable=SC2086
	printf '%s\n' $packages
	exit 0
fi

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
# Packages with a daemon (lldpd, prometheus, etcd) must not start it: a
# test starts its own in a namespace, and an lldpd on the host would speak
# on the host's real interfaces. Debian asks /usr/sbin/policy-rc.d first.
guard=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	guard=/usr/sbin/policy-rc.d
fi
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing || { [ -z "$guard" ] || rm -f "$guard"; exit 1; }
[ -z "$guard" ] || rm -f "$guard"
