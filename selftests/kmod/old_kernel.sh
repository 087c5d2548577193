#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# ktlsh.ko stands on the kernel's handshake upcall (Linux 6.4+): built for
# Debian 12's own 6.1 it is refused with the reason, by kmod/build (make
# modules) and, built some other way (the kernel's own `make M=`, as DKMS
# does), by main.c. TAP output.
#   old_kernel.sh TOPDIR
set -u
TOP=$1
n=0 failed=0
echo "TAP version 13"

result() {	# name, 0|1, detail...
	n=$((n + 1))
	if [ "$2" = 0 ]; then
		echo "ok $n $1"
	else
		echo "not ok $n $1"
		shift 2
		printf '# %s\n' "$@" | tail -n 15
		failed=$((failed + 1))
	fi
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! kdir=$("$TOP/selftests/vm/kernel" headers 6.1 2>"$tmp/err"); then
	result kmod_makefile_refuses_6_1 1 "no 6.1 headers: $(tail -n 3 "$tmp/err")"
	result kbuild_refuses_6_1 1 "no 6.1 headers"
	echo "1..$n"
	exit 1
fi
rel=$(cat "$kdir/include/config/kernel.release")

# kmod/Makefile: before kbuild runs, the reason with the release
out=$(make -s -C "$TOP/kmod" KDIR="$kdir" 2>&1); rc=$?
ok=1
[ "$rc" -ne 0 ] && echo "$out" | grep -q "ktlsh.ko needs Linux 6.4 or later" &&
	echo "$out" | grep -qF "$rel has none" && ok=0
result kmod_makefile_refuses_6_1 $ok "status $rc" "$out"

# kbuild on a copy (the tree's objects stay those of 6.12): main.c's #error
cp -r "$TOP/kmod" "$TOP/uapi" "$tmp/"
rm -f "$tmp"/kmod/*.o "$tmp"/kmod/*.ko "$tmp"/kmod/.*.cmd
out=$(make -s -C "$kdir" M="$tmp/kmod" modules 2>&1); rc=$?
ok=1
[ "$rc" -ne 0 ] && echo "$out" | grep -q "error.*ktlsh.ko needs Linux 6.4 or later" && ok=0
result kbuild_refuses_6_1 $ok "status $rc" "$out"

echo "1..$n"
[ "$failed" -eq 0 ]
