#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# ktlsh.ko through DKMS as a Debian user gets it: `make dkms-install`'s
# source tree (here under a DESTDIR) added to a private DKMS tree, built
# for Debian's 6.12 by DKMS itself, skipped for 6.1 (no handshake upcall),
# and its version the module's own. The private trees leave the system's
# /var/lib/dkms and /lib/modules alone (installing would run depmod on the
# host's module tree, which this test must not touch). TAP output.
#   dkms.sh TOPDIR
set -u
TOP=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "TAP version 13"
. "$(dirname "$0")/../tap.sh"

CASES=(dkms_conf_version_is_the_module_version dkms_builds_for_6_12 dkms_skips_6_1)
if ! command -v dkms > /dev/null; then
	for c in "${CASES[@]}"; do result "$c" fail; done
	echo "# dkms is not installed (make deps installs it)"
	echo "1..$n"
	exit 1
fi

ver=$(sed -n 's/^#define KTLSH_MODULE_VERSION "\(.*\)"/\1/p' "$TOP/kmod/ktlsh.h")
conf=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$TOP/dkms.conf")
echo "kmod/ktlsh.h: '$ver', dkms.conf: '$conf'" >> "$tmp/log"
check dkms_conf_version_is_the_module_version test -n "$ver" -a "$ver" = "$conf"

dkms() {
	command dkms --sourcetree "$tmp/root/usr/src" --dkmstree "$tmp/dkms" \
		--installtree "$tmp/inst" "$@"
}
mkdir -p "$tmp/dkms" "$tmp/inst"
make -s -C "$TOP" dkms-install DESTDIR="$tmp/root" >> "$tmp/log" 2>&1 &&
	dkms add -m ktlsh -v "$ver" >> "$tmp/log" 2>&1

# built by DKMS for 6.12: a module whose vermagic names that kernel
built_for_6_12() {
	local k rel ko
	k=$("$TOP/selftests/vm/kernel" headers 6.12) || return 1
	rel=$(cat "$k/include/config/kernel.release")
	dkms build -m ktlsh -v "$ver" -k "$rel" --kernelsourcedir "$k" || return 1
	ko=$tmp/dkms/ktlsh/$ver/$rel/x86_64/module/ktlsh.ko
	echo "vermagic: $(modinfo -F vermagic "$ko")"
	[ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$rel" ] &&
		[ "$(modinfo -F version "$ko")" = "$ver" ]
}
check dkms_builds_for_6_12 built_for_6_12

# 6.1: BUILD_EXCLUSIVE says no, and nothing is built
skipped_for_6_1() {
	local k rel out
	k=$("$TOP/selftests/vm/kernel" headers 6.1) || return 1
	rel=$(cat "$k/include/config/kernel.release")
	out=$(dkms build -m ktlsh -v "$ver" -k "$rel" --kernelsourcedir "$k" 2>&1)
	echo "$out"
	echo "$out" | grep -q "BUILD_EXCLUSIVE directive which does not match this kernel" &&
		[ ! -e "$tmp/dkms/ktlsh/$ver/$rel/x86_64/module/ktlsh.ko" ]
}
check dkms_skips_6_1 skipped_for_6_1

echo "1..$n"
[ "$failed" -eq 0 ]
