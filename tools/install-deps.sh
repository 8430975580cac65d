#!/bin/sh
# Installs the Debian packages vswitch needs, only those missing: every
# package of tools/programs.tsv that is installed by "deps" (the few a
# benchmark installs itself, and optional ones, are left to it).
# Usage: tools/install-deps.sh          (as root; otherwise it names what to install)
#        tools/install-deps.sh --list   (prints the packages, one a line)
set -eu

map="$(dirname "$0")/programs.tsv"
# The package column of "deps" rows, comments and blank lines aside.
packages=$(awk '{ sub(/#.*/, "") } NF == 4 && $4 == "deps" { print $2 }' "$map" | sort -u)

if [ "${1:-}" = --list ]; then
	echo "$packages"
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
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
