#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# ktlsh serve --kernel-handshake in a test kernel: every accepted socket
# goes to ktlsh.ko, handshaked (running here) does the handshake and
# installs the kTLS keys, and the server, which never holds a traffic key,
# serves files over kTLS. curl fetches them byte-exact. TAP output.
#   serve.sh KTLSH CERTS TOPDIR
set -u
KTLSH=$1
C=$2
TOP=$3
PORT=$((20000 + RANDOM % 10000))
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; sleep 0.5; rmmod ktlsh 2>/dev/null; rm -rf "$tmp"' EXIT

echo "TAP version 13"
. "$(dirname "$0")/../tap.sh"

CASES=(curl_fetches_every_size_byte_exact_tls13 curl_fetches_over_tls12
       keys_named_by_serial module_counted_every_handshake
       silent_client_ends_by_the_deadline daemon_options_refused
       refused_without_the_module)
. "$(dirname "$0")/ko.sh"
ko_load
cat > "$tmp/conf" <<EOT
[authenticate.server]
x509.truststore=$C/ca.pem
x509.certificate=$C/server-ec.pem
x509.private_key=$C/server-ec.key
EOT
daemon_start "$tmp/conf"
TAP_LOGS="$tmp/daemon.log:daemon $tmp/serve.log:serve"

# files around the record size (16 KiB) and a large one
mkdir -p "$tmp/www"
sizes=(0 1 16383 16384 16385 1048583)
for s in "${sizes[@]}"; do
	head -c "$s" /dev/urandom > "$tmp/www/f$s"
done

spid=
start_serve() {	# serve options...
	PORT=$((PORT + 1))
	"$KTLSH" serve --root "$tmp/www" --port "$PORT" --kernel-handshake -v "$@" \
		>> "$tmp/serve.log" 2>&1 &
	spid=$!
	wait_port "$PORT" || { echo "ktlsh serve did not listen" >> "$tmp/log"; return 1; }
}

stop_serve() {
	kill "$spid" 2>/dev/null
	timeout 10 tail --pid="$spid" -f /dev/null
}

# one keep-alive connection for every file, each compared with its source
fetch_all() {	# curl options...
	local args=() s
	for s in "${sizes[@]}"; do
		args+=(-o "$tmp/got$s" "https://localhost:$PORT/f$s")
	done
	timeout 60 curl -sS --fail --cacert "$C/ca.pem" --resolve "localhost:$PORT:127.0.0.1" \
		"$@" "${args[@]}" >> "$tmp/log" 2>&1 || return 1
	for s in "${sizes[@]}"; do
		cmp "$tmp/www/f$s" "$tmp/got$s" >> "$tmp/log" 2>&1 || return 1
	done
}

# the connection's -v line: the kernel's handshake, kTLS, the version
said() {	# version
	grep -q "version=$1 .*path=\"kTLS (TX and RX, body spliced), the kernel's handshake" \
		"$tmp/serve.log"
}

tls13() {
	start_serve --cert "$C/server-ec.pem" --key "$C/server-ec.key" || return 1
	fetch_all --tlsv1.3 --http1.1
	local rc=$?
	stop_serve
	[ "$rc" = 0 ] && said TLSv1.3
}
check curl_fetches_every_size_byte_exact_tls13 tls13

tls12() {
	: > "$tmp/serve.log"
	start_serve --cert "$C/server-ec.pem" --key "$C/server-ec.key" --tls1.2 || return 1
	fetch_all --tls-max 1.2 --http1.1
	local rc=$?
	stop_serve
	[ "$rc" = 0 ] && said TLSv1.2
}
check curl_fetches_over_tls12 tls12

fp() { openssl x509 -in "$1" -noout -fingerprint -sha256; }
# the certificate the server sends now (one more handshake)
served_fp() {
	echo | timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost \
		2>> "$tmp/log" | openssl x509 -noout -fingerprint -sha256 | tee -a "$tmp/log"
}

# keys an administrator put in a keyring: the chain in DER, the key as is;
# in the user keyring (@s would be a session keyring made for the keyctl
# process, gone with it, and the keys with it)
serials() {
	local cert key rc
	: > "$tmp/serve.log"
	openssl x509 -in "$C/server-ec.pem" -outform DER > "$tmp/cert.der" || return 1
	cert=$(keyctl padd user "ktlsh test: certificate" @u < "$tmp/cert.der") || return 1
	key=$(keyctl padd user "ktlsh test: private key" @u < "$C/server-ec.key") || return 1
	start_serve --cert-serial "$cert" --key-serial "$key" || return 1
	fetch_all --tlsv1.2 --http1.1
	rc=$?
	# handshaked caches what it parsed of lent keys: a key updated in
	# place is served as it is now (the cache goes by payload digest)
	[ "$(served_fp)" = "$(fp "$C/server-ec.pem")" ] || rc=1
	openssl x509 -in "$C/server-p384.pem" -outform DER | keyctl pupdate "$cert" || rc=1
	keyctl pupdate "$key" < "$C/server-p384.key" || rc=1
	[ "$(served_fp)" = "$(fp "$C/server-p384.pem")" ] || rc=1
	stop_serve
	keyctl invalidate "$cert"
	keyctl invalidate "$key"
	[ "$rc" = 0 ] && said TLSv1.3
}
check keys_named_by_serial serials

# three servers, one curl connection each, and two s_client handshakes:
# each connection one handshake
counted() {
	"$KTLSH" stat -j > "$tmp/stat" 2>> "$tmp/log"
	cat "$tmp/stat" >> "$tmp/log"
	grep -q '"submitted":5,"completed":5,"failed":0' "$tmp/stat" &&
		grep -q '"queued":0,"in_flight":0,' "$tmp/stat"
}
check module_counted_every_handshake counted

# a client that connects and says nothing: the handshake deadline ends it
# (handshaked's, given with the request, or ours, which cancels it),
# without holding the server up
silent() {
	local t0 rc
	: > "$tmp/serve.log"
	start_serve --cert "$C/server-ec.pem" --key "$C/server-ec.key" --timeout 1000 ||
		return 1
	t0=$(date +%s)
	# bash's /dev/tcp: cat ends when the server closes
	timeout 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; cat <&3 > /dev/null"
	rc=$?
	echo "silent client: status $rc after $(( $(date +%s) - t0 ))s" >> "$tmp/log"
	fetch_all --http1.1 || rc=1
	stop_serve
	# the daemon's deadline (the same, passed with the request) or ours
	[ "$rc" = 0 ] && grep -Eq "Connection timed out\).*end=handshake failed|end=deadline" \
		"$tmp/serve.log"
}
check silent_client_ends_by_the_deadline silent

# what handshaked decides for every request is refused with the reason
refusals() {
	local opt out
	for opt in --verify-client "--groups x25519" "--tickets 2" "--ca $C/ca.pem"; do
		# shellcheck disable=SC2086
		out=$(timeout 10 "$KTLSH" serve --root "$tmp/www" --port "$PORT" \
			--kernel-handshake --cert "$C/server-ec.pem" --key "$C/server-ec.key" \
			$opt 2>&1) && { echo "$opt: accepted"; return 1; }
		echo "$out"
		echo "$out" | grep -qe "${opt%% *} is handshaked's to decide" || return 1
	done
	out=$(timeout 10 "$KTLSH" serve --root "$tmp/www" --port "$PORT" \
		--cert-serial 1 --key-serial 2 2>&1) && return 1
	echo "$out"
	echo "$out" | grep -q "need --kernel-handshake"
}
check daemon_options_refused refusals

# without ktlsh.ko: refused at start, with the reason
unloaded() {
	local out rc
	rmmod ktlsh || return 1
	PORT=$((PORT + 1))
	out=$(timeout 10 "$KTLSH" serve --root "$tmp/www" --port "$PORT" --kernel-handshake \
		--cert "$C/server-ec.pem" --key "$C/server-ec.key" 2>&1)
	rc=$?
	echo "$out"
	[ "$rc" = 1 ] && echo "$out" | grep -q "ktlsh.ko is not loaded"
}
check refused_without_the_module unloaded

echo "1..$n"
[ "$failed" = 0 ]
