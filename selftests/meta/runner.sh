#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The test machinery itself: selftests/run-tests counts what a binary
# reports (a skip, an XFAIL, an XPASS as a failure, a binary that dies
# without a failed case), selftests/expect holds results to a manifest
# (a case missing, new, skipped for another reason or where a pass is
# expected, passing where a skip is expected), and selftests/vm/run fails
# a guest whose kernel logged a WARNING (with HSD_VM_KERNELS, default 6.12,
# set to "" to leave the guest out). TAP output.
#   runner.sh
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
n=0 failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "TAP version 13"

check() {	# name, then a command that must succeed
	local name=$1
	shift
	n=$((n + 1))
	if "$@" > "$tmp/out" 2>&1; then
		echo "ok $n $name"
	else
		echo "not ok $n $name"
		sed 's/^/# /' "$tmp/out" | tail -n 10
		failed=$((failed + 1))
	fi
}

# a fake test binary: TAP with a pass, a skip, an XFAIL and an XPASS
mkdir -p "$tmp/bin"
cat > "$tmp/bin/fake" <<'EOF'
#!/bin/sh
echo "TAP version 13"
echo "ok 1 f.passes"
echo "ok 2 f.skips # SKIP no such thing here"
echo "ok 3 f.fails_as_expected # XFAIL known bug"
echo "ok 4 f.passes_but_should_fail # XPASS known bug"
exit 0
EOF
printf '#!/bin/sh\necho "TAP version 13"\necho "ok 1 d.first"\nkill -SEGV $$\n' > "$tmp/bin/dies"
chmod +x "$tmp/bin/fake" "$tmp/bin/dies"
"$TOP/selftests/run-tests" lbl "$tmp/bin" fake dies missing > "$tmp/rt" 2>&1
rt_rc=$?
check run_tests_counts_pass_skip_xfail grep -qx "RESULT PASS lbl/fake/f.passes" "$tmp/rt"
check run_tests_keeps_the_skip_reason \
	grep -qx "RESULT SKIP lbl/fake/f.skips: no such thing here" "$tmp/rt"
check run_tests_xfail_is_its_own_column \
	grep -qx "RESULT XFAIL lbl/fake/f.fails_as_expected: known bug" "$tmp/rt"
check run_tests_xpass_fails grep -q "^RESULT FAIL lbl/fake/f.passes_but_should_fail" "$tmp/rt"
check run_tests_a_killed_binary_fails grep -q "^RESULT FAIL lbl/dies: exited with status" "$tmp/rt"
check run_tests_an_unbuilt_binary_fails grep -q "^RESULT FAIL lbl/missing: not built" "$tmp/rt"
check run_tests_exits_1_on_failure test "$rt_rc" = 1

# the manifest: one runner "r"
mkdir -p "$tmp/exp"
cat > "$tmp/exp/r" <<'EOF'
# a comment
PASS t/a
PASS t/b
SKIP t/c: no kTLS here
SKIP t/d: no kTLS here
PASS t/gone
EOF
expect() {	# results... (one per line); prints the check's output
	printf '%s\n' "$@" > "$tmp/res"
	HSD_EXPECTED_DIR=$tmp/exp "$TOP/selftests/expect" check "$tmp/res"
}
same=("RESULT PASS r/t/a" "RESULT PASS r/t/b" "RESULT SKIP r/t/c: no kTLS here"
      "RESULT SKIP r/t/d: no kTLS here" "RESULT PASS r/t/gone")
check expect_passes_the_same_results expect "${same[@]}"
out=$(expect "RESULT PASS r/t/a" "RESULT SKIP r/t/b: modules missing" \
	"RESULT SKIP r/t/c: no tmpfs" "RESULT PASS r/t/d" "RESULT PASS r/t/new")
check expect_fails_a_missing_case grep -q "RESULT FAIL r/t/gone: manifest: expected PASS, did not run" <<< "$out"
check expect_fails_an_unexpected_skip \
	grep -q "RESULT FAIL r/t/b: manifest: expected PASS, got SKIP (modules missing)" <<< "$out"
check expect_fails_a_skip_for_another_reason grep -q "RESULT FAIL r/t/c: manifest: SKIP for another reason" <<< "$out"
check expect_fails_a_pass_where_a_skip_is_expected \
	grep -q "RESULT FAIL r/t/d: manifest: expected SKIP, got PASS" <<< "$out"
check expect_fails_a_new_case grep -q "RESULT FAIL r/t/new: manifest: new case" <<< "$out"
check expect_counts_a_runner_that_reported_nothing \
	test "$(expect "RESULT FAIL r: guest failed (status 125)" | grep -c '^RESULT FAIL r/')" = 5
check expect_fails_a_runner_without_manifest \
	grep -q "RESULT FAIL q/t/x: manifest: runner q has no" <<< "$(expect "${same[@]}" "RESULT PASS q/t/x")"
check expect_update_keeps_a_runner_that_died sh -c "
	printf '%s\n' 'RESULT PASS r/t/a' 'RESULT FAIL r: guest failed (status 124)' > '$tmp/res3' &&
	HSD_EXPECTED_DIR='$tmp/exp' '$TOP/selftests/expect' update '$tmp/res3' | grep -q 'not updated' &&
	grep -qx 'PASS t/gone' '$tmp/exp/r'"
check expect_update_writes_what_ran sh -c "
	printf '%s\n' 'RESULT PASS r/t/a' 'RESULT SKIP r/t/z: why' > '$tmp/res2' &&
	HSD_EXPECTED_DIR='$tmp/exp' '$TOP/selftests/expect' update '$tmp/res2' >/dev/null &&
	grep -qx 'PASS t/a' '$tmp/exp/r' && grep -qx 'SKIP t/z: why' '$tmp/exp/r' &&
	! grep -q 't/gone' '$tmp/exp/r'"

# a kernel WARNING in a guest whose command passed: status 126 and the
# excerpt; at KERN_WARNING, as WARN() prints it (below the console's level)
# (a guest that dies in early boot, which TCG sometimes does, is booted
# once more, as run-all does)
vm() {	# kernel, command...: status of selftests/vm/run, output in $tmp/vm
	local k=$1 rc try
	shift
	for try in 1 2; do
		"$TOP/selftests/vm/run" --kernel "$k" --timeout 300 -- "$@" > "$tmp/vm" 2>&1
		rc=$?
		[ "$rc" = 124 ] || [ "$rc" = 125 ] || break
	done
	return "$rc"
}
for k in ${HSD_VM_KERNELS-6.12}; do
	vm "$k" sh -c 'echo "<4>WARNING: CPU: 0 PID: 1 at selftests/meta/runner.sh" > /dev/kmsg'
	vm_rc=$?
	check "vm_run_fails_a_kernel_warning_on_$k" sh -c "test $vm_rc = 126 || { cat '$tmp/vm'; false; }"
	check "vm_run_shows_the_console_excerpt_on_$k" grep -q "WARNING: CPU: 0 PID: 1 at selftests/meta" "$tmp/vm"
	vm "$k" true
	vm_rc=$?
	check "vm_run_passes_a_quiet_guest_on_$k" sh -c "test $vm_rc = 0 || { cat '$tmp/vm'; false; }"
done

echo "1..$n"
[ "$failed" -eq 0 ]
