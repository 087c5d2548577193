# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2154
# Sourced by the kmod script tests (after tap.sh, with $CASES, $TOP and
# $tmp set): every case skipped with one reason, ktlsh.ko for this kernel
# loaded, handshaked started and awaited.
KO=$TOP/build/modules/$(uname -r)/ktlsh.ko

skip_all() {	# reason
	local c
	for c in "${CASES[@]}"; do result "$c" skip "$1"; done
	echo "1..$n"
	exit 0
}

# a guest kernel with the ktlsh.ko built for it, loaded afresh (with tls,
# which the handshakes' kTLS keys need); otherwise every case is skipped
ko_load() {
	[ -n "${HSD_VM_KERNEL:-}" ] || skip_all "needs a test kernel (selftests/vm/run)"
	# the reasons name no kernel: selftests/expected holds them
	[ -r "$KO" ] ||
		skip_all "no ktlsh.ko for this kernel (make modules builds 6.12 and 7.3, KDIR= others)"
	[ "$(modinfo -F vermagic "$KO" 2>/dev/null | cut -d' ' -f1)" = "$(uname -r)" ] ||
		skip_all "the ktlsh.ko for this kernel has another vermagic"
	modprobe -q tls
	rmmod ktlsh 2>/dev/null
	insmod "$KO" || skip_all "insmod failed"
}

# handshaked in the foreground (a job of this shell), its log in
# $tmp/daemon.log, awaited until it serves the upcall
daemon_start() {	# config
	"$TOP/handshaked/handshaked" -f -v -c "$1" 2> "$tmp/daemon.log" &
	for _ in $(seq 100); do
		grep -q serving "$tmp/daemon.log" && return 0
		sleep 0.1
	done
	return 1
}
