#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Applications through ktlsh.ko against real peers: `ktlsh handshake
# client` (the kernel does its handshake, handshaked answers the upcall)
# against openssl s_server, and openssl s_client against `ktlsh handshake
# server`; TLS 1.3 and 1.2, data both ways over kTLS. Guest kernels only,
# with the ktlsh.ko built for them. TAP output.
#
#   interop.sh KTLSH CERTDIR TOP
set -u
KTLSH=$1
C=$2
TOP=$3
PORT=$((20000 + RANDOM % 10000))
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; sleep 0.5; rmmod ktlsh 2>/dev/null; rm -rf "$tmp"' EXIT

echo "TAP version 13"
. "$(dirname "$0")/../tap.sh"

CASES=(app_client_openssl_server_tls13 app_client_openssl_server_tls12
       openssl_client_app_server_tls13 openssl_client_app_server_tls12
       stat_counts_the_four_handshakes)
. "$(dirname "$0")/ko.sh"
ko_load
cat > "$tmp/conf" <<EOF
[authenticate.client]
x509.truststore=$C/ca.pem
x509.certificate=$C/client-ec.pem
x509.private_key=$C/client-ec.key
[authenticate.server]
x509.truststore=$C/ca.pem
x509.certificate=$C/server-ec.pem
x509.private_key=$C/server-ec.key
EOF
daemon_start "$tmp/conf"
TAP_LOGS="$tmp/daemon.log:daemon"

# ktlsh handshake client | openssl s_server -rev: the line comes back reversed
app_client() {	# name tls-version openssl-flag
	PORT=$((PORT + 1))
	openssl s_server -accept "$PORT" -quiet -naccept 1 -rev "$3" \
		-cert "$C/server-ec.pem" -key "$C/server-ec.key" > "$tmp/peer" 2>&1 &
	local peer=$!
	wait_port "$PORT" || { echo "s_server did not listen" >> "$tmp/log"; return 1; }
	printf 'hello through the kernel\n' |
		timeout 20 "$KTLSH" handshake client "127.0.0.1:$PORT" --peername localhost \
			--tls "$2" > "$tmp/out" 2>> "$tmp/log"
	# not a bare wait: the daemon is a job of this shell too
	timeout 10 tail --pid="$peer" -f /dev/null
	kill "$peer" 2>/dev/null
	cat "$tmp/out" "$tmp/peer" >> "$tmp/log"
	grep -q "status=ok version=TLSv$2 " "$tmp/out" &&
		grep -q 'lenrek eht hguorht olleh' "$tmp/out"
}

# openssl s_client | ktlsh handshake server --echo: the line comes back
app_server() {	# name tls-version openssl-flag
	PORT=$((PORT + 1))
	timeout 30 "$KTLSH" handshake server --port "$PORT" --echo --tls "$2" \
		> "$tmp/srv" 2>> "$tmp/log" &
	local srv=$!
	wait_port "$PORT" || { echo "the server did not listen" >> "$tmp/log"; return 1; }
	(printf 'xhello through the kernel\n'; sleep 3) |
		timeout 20 openssl s_client -connect "127.0.0.1:$PORT" "$3" -quiet -no_ign_eof \
			-CAfile "$C/ca.pem" -verify_return_error -servername localhost \
			> "$tmp/out" 2>> "$tmp/log"
	timeout 10 tail --pid="$srv" -f /dev/null
	kill "$srv" 2>/dev/null
	cat "$tmp/out" "$tmp/srv" >> "$tmp/log"
	grep -q "status=ok version=TLSv$2 " "$tmp/srv" &&
		grep -q '^xhello through the kernel' "$tmp/out"
}

check app_client_openssl_server_tls13 app_client x 1.3 -tls1_3
check app_client_openssl_server_tls12 app_client x 1.2 -tls1_2
check openssl_client_app_server_tls13 app_server x 1.3 -tls1_3
check openssl_client_app_server_tls12 app_server x 1.2 -tls1_2

# ktlsh stat: the module's own count of what ended, nothing left in flight
stat_ok() {
	"$KTLSH" stat -j > "$tmp/stat" 2>> "$tmp/log"
	cat "$tmp/stat" >> "$tmp/log"
	grep -q '"submitted":4,"completed":4,"failed":0' "$tmp/stat" &&
		grep -q '"queued":0,"in_flight":0,"by_status":{"0":4},"requests":\[\]' "$tmp/stat"
}
check stat_counts_the_four_handshakes stat_ok

echo "1..$n"
[ "$failed" = 0 ]
