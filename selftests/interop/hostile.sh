#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Hostile servers against `ktlsh client`: after the ClientHello a server
# stalls (before a header, inside a header, inside a record), closes in the
# middle of a record, or sends what no TLS server may: an oversized record,
# an unknown record type, a Certificate first, a ServerHello whose lengths
# lie or that selects TLS 1.2 by supported_versions, an empty handshake record, a 16 MiB handshake message, or its own
# fatal alert. Each time the client must end on its own, within its
# handshake deadline (--timeout) where the server stalls, with a non-zero
# status, the reason on stderr, and the alert the RFC names sent back (or
# nothing, after a stall or the peer's fatal alert). TAP output.
#
#   hostile.sh KTLSH CERTDIR
set -u
KTLSH=$1
C=$2
HERE=$(cd "$(dirname "$0")" && pwd)
n=0 failed=0
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
DEADLINE_MS=1500

echo "TAP version 13"

# alert descriptions (RFC 8446 6): what the client must send back
UNEXPECTED_MESSAGE=10 RECORD_OVERFLOW=22 ILLEGAL_PARAMETER=47 DECODE_ERROR=50

# mode, what stderr must say, what the server must see come back
hostile() {
	local mode=$1 says=$2 back=$3 rc t0 t1 port got ms
	n=$((n + 1))
	rm -f "$tmp/port"
	"$HERE/hostile_server.py" "$mode" "$tmp/port" > "$tmp/srv.out" 2>&1 &
	local spid=$!
	for _ in $(seq 100); do
		[ -s "$tmp/port" ] && break
		sleep 0.05
	done
	port=$(cat "$tmp/port" 2>/dev/null)
	t0=$(date +%s%N)
	# the outer timeout only stops a hang: the client must end by itself
	timeout 20 "$KTLSH" client "127.0.0.1:${port:-1}" --ca "$C/ca.pem" \
		--servername server.test --tls1.3 --timeout "$DEADLINE_MS" \
		< /dev/null > "$tmp/cli.out" 2> "$tmp/cli.err"
	rc=$?
	t1=$(date +%s%N)
	wait "$spid"
	got=$(tail -n 1 "$tmp/srv.out")
	ms=$(( (t1 - t0) / 1000000 ))
	# a stall ends at the deadline, not before, and not much after
	if [[ $mode == stall* ]] && { [ "$ms" -lt "$DEADLINE_MS" ] || [ "$ms" -ge 10000 ]; }; then
		rc=0
	fi
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -q -- "$says" "$tmp/cli.err" &&
	   [ "$got" = "$back" ]; then
		echo "ok $n hostile_server_$mode"
	else
		echo "not ok $n hostile_server_$mode"
		echo "# client status $rc after $ms ms: $(head -c 300 "$tmp/cli.err")"
		echo "# server saw: $got (want: $back); client must say: $says"
		failed=$((failed + 1))
	fi
}

# stalls: the deadline, then the client closes without a word
hostile stall "Connection timed out" closed
hostile stall_in_header "Connection timed out" closed
hostile stall_in_record "Connection timed out" closed
# a close in the middle of a record: an error of its own, not a hang
hostile truncated_then_close "Connection reset" closed-by-us
hostile oversized_record "record_overflow" "alert 2 $RECORD_OVERFLOW"
hostile unknown_record_type "unexpected_message" "alert 2 $UNEXPECTED_MESSAGE"
hostile certificate_first "unexpected_message" "alert 2 $UNEXPECTED_MESSAGE"
hostile server_hello_bad_length "decode_error" "alert 2 $DECODE_ERROR"
hostile supported_versions_names_tls12 "illegal_parameter" "alert 2 $ILLEGAL_PARAMETER"
hostile empty_handshake_record "unexpected_message" "alert 2 $UNEXPECTED_MESSAGE"
hostile huge_handshake_message "decode_error" "alert 2 $DECODE_ERROR"
# RFC 8446 6.2: a fatal alert received is not answered
hostile fatal_alert "handshake_failure" closed

echo "1..$n"
[ "$failed" -eq 0 ]
