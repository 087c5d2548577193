# SPDX-License-Identifier: GPL-2.0
# TAP for the script tests, sourced: result and check, counting into $n
# and $failed. A failure shows the tail of $tmp/log and of each file named
# in $TAP_LOGS ("file:prefix" words); $tmp/log is emptied after each case.
# wait_port: until something listens on a TCP port (5 s at most).
n=0 failed=0
TAP_LOGS=${TAP_LOGS:-}
TAP_T0=${EPOCHREALTIME/./}

result() {	# name ok|fail|skip [reason]
	local f
	n=$((n + 1))
	if [ "$2" = ok ]; then
		echo "ok $n $1"
	elif [ "$2" = skip ]; then
		echo "ok $n $1 # SKIP $3"
	else
		echo "not ok $n $1"
		failed=$((failed + 1))
		sed 's/^/# /' "$tmp/log" 2>/dev/null | tail -n 20
		for f in $TAP_LOGS; do
			sed "s/^/# ${f#*:}: /" "${f%%:*}" 2>/dev/null | tail -n 10
		done
	fi
	: > "$tmp/log"
	# where a suite's time goes: since the previous result
	local t=${EPOCHREALTIME/./}
	echo "#   took $(( (t - TAP_T0) / 1000 )) ms"
	TAP_T0=$t
}

check() {	# name command...: ok when the command succeeds
	local name=$1
	shift
	if "$@" >> "$tmp/log" 2>&1; then result "$name" ok; else result "$name" fail; fi
}

wait_port() {
	local i
	for i in $(seq 100); do
		[ -n "$(ss -Hltn "sport = :$1")" ] && return 0
		sleep 0.05
	done
	return 1
}
