#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Interop over loopback with real peers from Debian: ktlsh client against
# openssl s_server and gnutls-serv; ktlsh server against openssl s_client
# and gnutls-cli. Data both ways compared byte for byte. TAP output.
#
#   peers.sh KTLSH CERTDIR
set -u
KTLSH=$1
C=$2
# below the ephemeral range (32768-60999): a client's local port there can
# hold a listening port even with SO_REUSEADDR ("Address already in use")
PORT=$((20000 + RANDOM % 10000))
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

# under another libcrypto's launcher (selftests/vm/kernel openssl), ktlsh
# runs with it too, and `openssl` in PATH is its own
if [ -n "${HSD_RUN:-}" ]; then
	printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$HSD_RUN" "$KTLSH" > "$tmp/ktlsh"
	chmod +x "$tmp/ktlsh"
	KTLSH=$tmp/ktlsh
fi
# X25519MLKEM768 where this libcrypto has ML-KEM (OpenSSL >= 3.5): both
# sides then prefer it by default
if openssl list -kem-algorithms 2>/dev/null | grep -q 'ML-KEM-768'; then
	MLKEM=1 DEFG=X25519MLKEM768
else
	MLKEM=0 DEFG=x25519
fi

echo "TAP version 13"

. "$(dirname "$0")/../tap.sh"

# listening yet? (not by connecting: that would use up -naccept 1)
next_port() {	# the next port no socket uses
	PORT=$((PORT + 1))
	while [ -n "$(ss -Hant "sport = :$PORT")" ]; do
		PORT=$((PORT + 1))
	done
}

# until a line matching $1 shows up in file $2 (at most 10 s)
wait_for() {
	local i
	for i in $(seq 200); do
		grep -q -- "$1" "$2" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# until file $2 holds $1 lines starting with x (the echo came back whole;
# at most 10 s): a client's stdin stays open that long, no longer
wait_lines() {
	local i
	for i in $(seq 200); do
		[ "$(grep -c '^x' "$2" 2>/dev/null)" -ge "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# Where records must go after the handshake: through the kernel when this
# kernel has kTLS (every suite tested here has a kTLS cipher), our user-space
# layer otherwise. A client asked for --keyupdate on a kernel whose kTLS
# cannot rekey stays in user space, decided before any key is set.
probe=$("$KTLSH" probe -j)
dp_want() {	# test name
	if ! grep -q '"ktls":{"present":true' <<< "$probe"; then
		echo "user space: no kTLS"
	elif [[ $1 == *keyupdate* ]] && ! grep -q '"rekey":{"present":true' <<< "$probe"; then
		echo "user space: a TLS 1.3 rekey is needed"
	elif [[ $1 == *small_records* ]] &&
	     ! grep -q '"tx_max_payload_len":{"present":true' <<< "$probe"; then
		echo "user space: the peer's record_size_limit needs TLS_TX_MAX_PAYLOAD_LEN"
	else
		echo "kTLS (TX and RX)"
	fi
}

# The kernel's own count of kTLS sockets (/proc/net/tls_stat), not our
# report: a connection that went to kTLS adds 1 to TlsTxSw and TlsRxSw,
# one in user space adds nothing; our probe whether kTLS can rekey (made
# only when a KeyUpdate of ours is due) adds 1 to TlsTxSw.
# stat_begin before a case, stat_ok after.
tls_stat() {	# counter
	awk -v k="$1" '$1 == k { print $2 }' /proc/net/tls_stat 2>/dev/null
}
stat_begin() {
	TX0=$(tls_stat TlsTxSw) RX0=$(tls_stat TlsRxSw)
}
stat_ok() {	# name [connections [rekey probes]]
	local want=0 tx rx
	[ "$(dp_want "$1")" = "kTLS (TX and RX)" ] && want=${2:-1}
	if [ ! -r /proc/net/tls_stat ]; then
		[ "$want" = 0 ] && return 0
		echo "tls_stat: /proc/net/tls_stat missing, kTLS expected" >> "$tmp/log"
		return 1
	fi
	tx=$(( $(tls_stat TlsTxSw) - TX0 )) rx=$(( $(tls_stat TlsRxSw) - RX0 ))
	[ "$tx" = "$((want + ${3:-0}))" ] && [ "$rx" = "$want" ] && return 0
	echo "tls_stat: TlsTxSw +$tx TlsRxSw +$rx, want +$((want + ${3:-0})) +$want" >> "$tmp/log"
	return 1
}

# input generator: some text, a binary block across the 16 KiB boundary
# lines never start with Q/R/K/k: s_client reads those as commands
head -c 40000 /dev/urandom | base64 -w 76 | sed "s/^/x/" > "$tmp/big"
printf 'hello interop\n' > "$tmp/small"

# ---- ktlsh client against openssl s_server -rev (reversed lines) ----
OS=(openssl s_server -accept @PORT@ -quiet -naccept 1)
OSE=(-cert "$C/server-ec.pem" -key "$C/server-ec.key")
OSR=(-cert "$C/server-rsa.pem" -key "$C/server-rsa.key")
V=(--ca "$C/ca.pem" --servername server.test)

# HELLOS=N: the openssl peer's own trace (-msg -msgfile, added to its
# command) shows N ClientHellos: 2 after a HelloRetryRequest, where the
# negotiated group alone would not tell
msg_args() {
	[ -n "${HELLOS:-}" ] && echo "-msg -msgfile $tmp/msg"
	rm -f "$tmp/msg"
}
hellos_ok() {	# pattern
	[ -z "${HELLOS:-}" ] && return 0
	local got
	got=$(grep -c -- "$1" "$tmp/msg" 2>/dev/null)
	[ "$got" = "$HELLOS" ] && return 0
	echo "the peer saw $got ClientHellos, want $HELLOS" >> "$tmp/log"
	return 1
}

client_vs_expect() {	# name, expect-in-stderr, server cmd..., -- ktlsh args...
	local name=$1 expect=$2 srv=() cli=()
	shift 2
	while [ "$1" != -- ]; do srv+=("$1"); shift; done
	shift
	cli=("$@")
	next_port
	stat_begin
	# shellcheck disable=SC2046
	"${srv[@]//@PORT@/$PORT}" $(msg_args) > "$tmp/srv.out" 2>&1 &
	local spid=$!
	wait_port "$PORT"
	timeout 20 "$KTLSH" client "127.0.0.1:$PORT" "${cli[@]}" < "$tmp/small" \
		> "$tmp/cli.out" 2> "$tmp/cli.err"
	local rc=$?
	kill $spid 2>/dev/null
	wait $spid 2>/dev/null
	cat "$tmp/cli.err" "$tmp/srv.out" > "$tmp/log"
	if [ $rc -eq 0 ] && cmp -s "$tmp/small.want" "$tmp/cli.out" &&
	   grep -q -- "$expect" "$tmp/cli.err" &&
	   grep -qF -- "$(dp_want "$name")" "$tmp/cli.err" && stat_ok "$name" &&
	   hellos_ok '^<<< .*ClientHello'; then
		result "$name" ok
	else
		echo "want data path: $(dp_want "$name")" >> "$tmp/log"
		echo "exit $rc, output: $(head -c 200 "$tmp/cli.out")" >> "$tmp/log"
		result "$name" fail
	fi
}

rev < "$tmp/small" > "$tmp/small.want"

T13="TLSv1.3"
T12="TLSv1.2"
client_vs_expect "ktlsh_client_openssl_server_tls13_x509" "$T13 TLS_AES_128_GCM_SHA256 $DEFG" \
	"${OS[@]}" -rev "${OSE[@]}" -- "${V[@]}"
HELLOS=2 client_vs_expect "ktlsh_client_openssl_server_tls13_hrr" "secp256r1" \
	"${OS[@]}" -rev "${OSE[@]}" -groups P-256 -- "${V[@]}"
client_vs_expect "ktlsh_client_openssl_server_tls13_mutual" "$T13" \
	"${OS[@]}" -rev "${OSE[@]}" -Verify 1 -verify_return_error -CAfile "$C/ca.pem" -- \
	"${V[@]}" --cert "$C/client-ec.pem" --key "$C/client-ec.key"
client_vs_expect "ktlsh_client_openssl_server_tls13_psk" "psk" \
	"${OS[@]}" -rev -nocert -psk 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff \
	-psk_identity client1 -- --psk-identity client1 \
	--psk-key 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff --insecure
# --keyupdate: a line, its echo, our KeyUpdate (update_requested), then a
# second line. s_server's own trace must show the KeyUpdate, then data
# under the new key, then the close_notify and nothing after it; its
# answer (its KeyUpdate) and the echo of the second line come back.
keyupdate_client() {
	local name=ktlsh_client_openssl_server_tls13_keyupdate order
	next_port
	stat_begin
	"${OS[@]//@PORT@/$PORT}" -rev -msg "${OSE[@]}" > "$tmp/srv.out" 2>&1 &
	local spid=$!
	wait_port "$PORT"
	: > "$tmp/cli.out"
	(echo line1; wait_for '^1enil' "$tmp/cli.out"; echo line2
	 wait_for '^2enil' "$tmp/cli.out") |
		timeout 20 "$KTLSH" client "127.0.0.1:$PORT" "${V[@]}" --keyupdate \
		> "$tmp/cli.out" 2> "$tmp/cli.err"
	local rc=$?
	kill $spid 2>/dev/null
	wait $spid 2>/dev/null
	cat "$tmp/cli.err" "$tmp/srv.out" > "$tmp/log"
	# received records in s_server's trace: data (RecordHeader, InnerContent
	# and no message), the KeyUpdate, the close_notify
	order=$(awk '
		/^<<< .*RecordHeader/ { if (inner) print "data"; inner = 0; next }
		/^<<< .*InnerContent/ { inner = 1; next }
		/^<<< .*KeyUpdate/ { print "keyupdate"; inner = 0; next }
		/^<<< .*Alert.*close_notify/ { print "close_notify"; inner = 0; next }
		/^<<< / { inner = 0 }
		END { if (inner) print "data" }' "$tmp/srv.out" | tr '\n' ' ')
	echo "s_server received: $order" >> "$tmp/log"
	if [ $rc -eq 0 ] && [ "$(cat "$tmp/cli.out")" = "$(printf '1enil\n2enil')" ] &&
	   [ "$order" = "data keyupdate data close_notify " ] &&
	   grep -q '^>>> .*KeyUpdate' "$tmp/srv.out" &&
	   grep -qF -- "$(dp_want "$name")" "$tmp/cli.err" && stat_ok "$name" 1 1; then
		result "$name" ok
	else
		result "$name" fail
	fi
}
keyupdate_client
for s in TLS_AES_256_GCM_SHA384 TLS_CHACHA20_POLY1305_SHA256 TLS_AES_128_CCM_SHA256; do
	client_vs_expect "ktlsh_client_openssl_server_tls13_${s,,}" "$s" \
		"${OS[@]}" -rev "${OSE[@]}" -ciphersuites "$s" -- "${V[@]}" --cipher "$s"
done
for g in P-384 ffdhe2048; do
	client_vs_expect "ktlsh_client_openssl_server_tls13_group_${g,,}" "$T13" \
		"${OS[@]}" -rev "${OSE[@]}" -groups "$g" -- "${V[@]}" --groups "$g"
done
if [ "$MLKEM" = 1 ]; then
	# HelloRetryRequest for the hybrid: our first share is X25519's
	HELLOS=2 client_vs_expect "ktlsh_client_openssl_server_tls13_x25519mlkem768_hrr" \
		"$T13 TLS_AES_128_GCM_SHA256 X25519MLKEM768" \
		"${OS[@]}" -rev "${OSE[@]}" -groups X25519MLKEM768 -- "${V[@]}" \
		--groups x25519,X25519MLKEM768
else
	result ktlsh_client_openssl_server_tls13_x25519mlkem768_hrr skip "openssl has no ML-KEM (< 3.5)"
fi
openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 -out "$tmp/dh.pem" 2>/dev/null
for spec in "ec ECDHE-ECDSA-AES128-GCM-SHA256" "ec ECDHE-ECDSA-AES256-GCM-SHA384" \
	    "ec ECDHE-ECDSA-CHACHA20-POLY1305" "ec ECDHE-ECDSA-AES128-CCM" \
	    "rsa ECDHE-RSA-AES128-GCM-SHA256" "rsa DHE-RSA-AES128-GCM-SHA256" \
	    "rsa AES128-GCM-SHA256" "rsa AES256-GCM-SHA384"; do
	set -- $spec
	client_vs_expect "ktlsh_client_openssl_server_tls12_${2,,}" "$T12" \
		"${OS[@]}" -rev -cert "$C/server-$1.pem" -key "$C/server-$1.key" -tls1_2 \
		-cipher "$2" -dhparam "$tmp/dh.pem" -- "${V[@]}" --tls1.2
done
client_vs_expect "ktlsh_client_openssl_server_tls12_mutual" "$T12" \
	"${OS[@]}" -rev "${OSE[@]}" -tls1_2 -Verify 1 -verify_return_error -CAfile "$C/ca.pem" -- \
	"${V[@]}" --cert "$C/client-ec.pem" --key "$C/client-ec.key"

# resumption: two connections to one server process; WANT: what the
# second one must read back (default: s_server -rev's reversed line),
# SRV_SAYS: what the server must print (its own word on the resumption)
resume_vs() {	# name, version flag, server cmd...
	local name=$1 vf=$2 want=${WANT:-$tmp/small.want}
	shift 2
	next_port
	"${@//@PORT@/$PORT}" > "$tmp/srv.out" 2>&1 &
	local spid=$!
	wait_port "$PORT"
	timeout 10 "$KTLSH" client "127.0.0.1:$PORT" "${V[@]}" $vf \
		--sess-out "$tmp/sess" < "$tmp/small" > /dev/null 2> "$tmp/cli.err"
	timeout 10 "$KTLSH" client "127.0.0.1:$PORT" "${V[@]}" $vf \
		--sess-in "$tmp/sess" < "$tmp/small" > "$tmp/cli.out" 2>> "$tmp/cli.err"
	# the server's word comes as it ends (s_server -naccept: its statistics)
	local says=0
	[ -z "${SRV_SAYS:-}" ] || wait_for "$SRV_SAYS" "$tmp/srv.out" || says=1
	kill $spid 2>/dev/null
	wait $spid 2>/dev/null
	cat "$tmp/cli.err" "$tmp/srv.out" > "$tmp/log"
	if grep -q resumed "$tmp/cli.err" && cmp -s "$want" "$tmp/cli.out" &&
	   [ "$says" = 0 ]; then
		result "$name" ok
	else
		result "$name" fail
	fi
}
resume_vs ktlsh_client_openssl_server_tls13_resumption --tls1.3 \
	openssl s_server -accept @PORT@ -quiet -naccept 2 -rev "${OSE[@]}"
resume_vs ktlsh_client_openssl_server_tls12_resumption --tls1.2 \
	openssl s_server -accept @PORT@ -quiet -naccept 2 -rev "${OSE[@]}"
# RFC 5246 7.3: by session ID, the server keeping the session (no ticket;
# its session cache statistics count the hit)
SRV_SAYS=" 1 session cache hits" resume_vs ktlsh_client_openssl_server_tls12_session_id_resumption \
	--tls1.2 openssl s_server -accept @PORT@ -naccept 2 -rev -no_ticket "${OSE[@]}"

# ---- real clients against ktlsh server --echo ----
server_vs() {	# name, expect-in-server-log, server args..., -- client cmd...
	local name=$1 expect=$2 srv=() cli=()
	shift 2
	while [ "$1" != -- ]; do srv+=("$1"); shift; done
	shift
	cli=("$@")
	next_port
	stat_begin
	timeout 20 "$KTLSH" server --port "$PORT" --echo "${srv[@]}" > "$tmp/srv.out" 2>&1 &
	local spid=$!
	wait_port "$PORT"
	# stdin stays open until the echo is back: then the client may close
	: > "$tmp/cli.out"
	# shellcheck disable=SC2046
	(cat "$tmp/big"; wait_lines "$(wc -l < "$tmp/big")" "$tmp/cli.out") |
		timeout 20 "${cli[@]//@PORT@/$PORT}" $(msg_args) \
		> "$tmp/cli.out" 2> "$tmp/cli.err"
	kill $spid 2>/dev/null
	wait $spid 2>/dev/null
	cat "$tmp/srv.out" "$tmp/cli.err" > "$tmp/log"
	# the echoed stream holds the input exactly (clients may add status)
	if grep -q -- "$expect" "$tmp/srv.out" &&
	   grep -qF -- "$(dp_want "$name")" "$tmp/srv.out" &&
	   [ "$(grep -c '^x' "$tmp/cli.out")" = "$(wc -l < "$tmp/big")" ] &&
	   grep '^x' "$tmp/cli.out" | cmp -s - "$tmp/big" && stat_ok "$name" &&
	   hellos_ok '^>>> .*ClientHello'; then
		result "$name" ok
	else
		echo "client output $(wc -c < "$tmp/cli.out") bytes" >> "$tmp/log"
		result "$name" fail
	fi
}

KS=(--cert "$C/server-ec.pem" --key "$C/server-ec.key")
SC=(openssl s_client -connect 127.0.0.1:@PORT@ -quiet -no_ign_eof -nocommands -CAfile "$C/ca.pem"
    -verify_return_error -verify_hostname server.test)
server_vs openssl_client_ktlsh_server_tls13_x509 "$T13" "${KS[@]}" -- "${SC[@]}"
HELLOS=2 server_vs openssl_client_ktlsh_server_tls13_hrr "secp256r1" "${KS[@]}" --groups P-256 -- \
	"${SC[@]}"
server_vs openssl_client_ktlsh_server_tls13_mutual "$T13" "${KS[@]}" --ca "$C/ca.pem" \
	--verify-client -- "${SC[@]}" -cert "$C/client-ec.pem" -key "$C/client-ec.key"
server_vs openssl_client_ktlsh_server_tls13_psk "psk" \
	--psk-identity client1 --psk-key 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff -- \
	openssl s_client -connect 127.0.0.1:@PORT@ -quiet -no_ign_eof -nocommands -psk_identity client1 \
	-psk 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
if [ "$MLKEM" = 1 ]; then
	server_vs openssl_client_ktlsh_server_tls13_x25519mlkem768 "$T13 .* X25519MLKEM768" \
		"${KS[@]}" -- "${SC[@]}"
	# s_client sends X25519's share first: we ask for the hybrid
	HELLOS=2 server_vs openssl_client_ktlsh_server_tls13_x25519mlkem768_hrr "X25519MLKEM768" \
		"${KS[@]}" --groups X25519MLKEM768 -- "${SC[@]}" -groups X25519:X25519MLKEM768
else
	result openssl_client_ktlsh_server_tls13_x25519mlkem768 skip "openssl has no ML-KEM (< 3.5)"
	result openssl_client_ktlsh_server_tls13_x25519mlkem768_hrr skip "openssl has no ML-KEM (< 3.5)"
fi
# groups and certificate types a client may insist on
for g in secp521r1 x448; do
	server_vs "openssl_client_ktlsh_server_tls13_group_$g" "$T13 .* $g" \
		"${KS[@]}" -- "${SC[@]}" -groups "$g"
done
for k in p521 ed448; do
	server_vs "openssl_client_ktlsh_server_tls13_cert_$k" "$T13" \
		--cert "$C/server-$k.pem" --key "$C/server-$k.key" -- "${SC[@]}"
done
server_vs openssl_client_ktlsh_server_tls12_x509 "$T12" "${KS[@]}" -- "${SC[@]}" -tls1_2
# the server role in every kTLS cipher and the other groups, as the client
# role is: over kTLS in the guests (tls_stat), the client insisting
for s in TLS_AES_256_GCM_SHA384 TLS_CHACHA20_POLY1305_SHA256 TLS_AES_128_CCM_SHA256; do
	server_vs "openssl_client_ktlsh_server_tls13_${s,,}" "$T13 $s" "${KS[@]}" -- \
		"${SC[@]}" -ciphersuites "$s"
done
for g in "P-384 secp384r1" "ffdhe2048 ffdhe2048"; do
	set -- $g
	server_vs "openssl_client_ktlsh_server_tls13_group_${1,,}" "$T13 .* $2" "${KS[@]}" -- \
		"${SC[@]}" -groups "$1"
done
for c in "ECDHE-ECDSA-AES256-GCM-SHA384 TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" \
	 "ECDHE-ECDSA-CHACHA20-POLY1305 TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" \
	 "ECDHE-ECDSA-AES128-CCM TLS_ECDHE_ECDSA_WITH_AES_128_CCM"; do
	set -- $c
	server_vs "openssl_client_ktlsh_server_tls12_${1,,}" "$T12 $2" "${KS[@]}" -- \
		"${SC[@]}" -tls1_2 -cipher "$1"
done
# RFC 5246 7.4.1.4.1: a P-256 key signs with the one hash offered
server_vs openssl_client_ktlsh_server_tls12_ecdsa_sha512_only "$T12" "${KS[@]}" -- \
	"${SC[@]}" -tls1_2 -sigalgs ECDSA+SHA512
server_vs openssl_client_ktlsh_server_tls12_rsa_kx "$T12" --cert "$C/server-rsa.pem" \
	--key "$C/server-rsa.key" -- "${SC[@]}" -tls1_2 -cipher AES128-GCM-SHA256
server_vs openssl_client_ktlsh_server_tls12_dhe "$T12" --cert "$C/server-rsa.pem" \
	--key "$C/server-rsa.key" -- "${SC[@]}" -tls1_2 -cipher DHE-RSA-AES128-GCM-SHA256
server_vs openssl_client_ktlsh_server_tls12_mutual "$T12" "${KS[@]}" --ca "$C/ca.pem" \
	--verify-client -- "${SC[@]}" -tls1_2 -cert "$C/client-ec.pem" -key "$C/client-ec.key"

# ktlsh server --send: a file through sendfile(2), sealed by kTLS TX where
# the kernel has it, by our record layer otherwise; the peer gets it whole
send_vs() {	# name, expect-in-server-log, client cmd...
	local name=$1 expect=$2
	shift 2
	next_port
	stat_begin
	timeout 20 "$KTLSH" server --port "$PORT" --once --send "$tmp/big" "${KS[@]}" \
		> "$tmp/srv.out" 2>&1 &
	local spid=$!
	wait_port "$PORT"
	# stdin stays open (clients quit at its end) but is not waited for
	timeout 20 "${@//@PORT@/$PORT}" < <(sleep 10) > "$tmp/cli.out" 2> "$tmp/cli.err"
	wait $spid
	local rc=$?
	cat "$tmp/srv.out" "$tmp/cli.err" > "$tmp/log"
	if [ $rc -eq 0 ] && grep -q -- "$expect" "$tmp/srv.out" &&
	   grep -qF -- "$(dp_want "$name")" "$tmp/srv.out" &&
	   grep '^x' "$tmp/cli.out" | cmp -s - "$tmp/big" && stat_ok "$name"; then
		result "$name" ok
	else
		echo "server exit $rc; client output $(wc -c < "$tmp/cli.out") bytes" >> "$tmp/log"
		result "$name" fail
	fi
}
send_vs openssl_client_ktlsh_server_tls13_sendfile "$T13" "${SC[@]}"
send_vs openssl_client_ktlsh_server_tls12_sendfile "$T12" "${SC[@]}" -tls1_2

# openssl s_client 'K' asks for a KeyUpdate with update_requested
keyupdate_vs() {
	next_port
	timeout 20 "$KTLSH" server --port "$PORT" --echo "${KS[@]}" > "$tmp/srv.out" 2>&1 &
	local spid=$!
	wait_port "$PORT"
	# one line per s_client read (it takes "K" as a command only alone),
	# each after the echo of the last: no timing guesses on a slow guest
	(echo before; wait_for '^before' "$tmp/cli.out"
	 echo K; wait_for '^KEYUPDATE' "$tmp/cli.out"; sleep 0.3
	 echo after; wait_for '^after\|^closed\|errno=' "$tmp/cli.out"; sleep 0.3) |
		timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -no_ign_eof \
		-CAfile "$C/ca.pem" > "$tmp/cli.out" 2>&1
	kill $spid 2>/dev/null
	wait $spid 2>/dev/null
	cat "$tmp/srv.out" "$tmp/cli.out" > "$tmp/log"
	# the echo of "after" proves both sides switched keys; where kTLS
	# cannot rekey (before 6.14) the server must end cleanly, saying why
	if grep -q 'kTLS (TX and RX)' "$tmp/srv.out" && ! "$KTLSH" probe -j |
	   grep -q '"rekey":{"present":true'; then
		if grep -q '^before' "$tmp/cli.out" && grep -q 'cannot rekey' "$tmp/srv.out"; then
			result openssl_client_ktlsh_server_tls13_keyupdate ok
		else
			result openssl_client_ktlsh_server_tls13_keyupdate fail
		fi
	elif grep -q '^before' "$tmp/cli.out" && grep -q '^after' "$tmp/cli.out" &&
	   grep -q KEYUPDATE "$tmp/cli.out"; then
		result openssl_client_ktlsh_server_tls13_keyupdate ok
	else
		result openssl_client_ktlsh_server_tls13_keyupdate fail
	fi
}
keyupdate_vs

# openssl s_client -sess_out / -sess_in against our tickets and session IDs
resume_server() {	# name, s_client version flag
	next_port
	timeout 20 "$KTLSH" server --port "$PORT" --echo "${KS[@]}" > "$tmp/srv.out" 2>&1 &
	local spid=$!
	wait_port "$PORT"
	# each client's stdin stays open until its line is echoed (a TLS 1.3
	# ticket comes before it)
	: > "$tmp/cli1.out"
	(echo xone; wait_for '^xone' "$tmp/cli1.out") | timeout 10 openssl s_client \
		-connect "127.0.0.1:$PORT" $2 -no_ign_eof -CAfile "$C/ca.pem" \
		-sess_out "$tmp/ossl.sess" > "$tmp/cli1.out" 2>&1
	: > "$tmp/cli.out"
	(echo xtwo; wait_for '^xtwo' "$tmp/cli.out") | timeout 10 openssl s_client \
		-connect "127.0.0.1:$PORT" $2 -no_ign_eof -CAfile "$C/ca.pem" \
		-sess_in "$tmp/ossl.sess" > "$tmp/cli.out" 2>&1
	kill $spid 2>/dev/null
	wait $spid 2>/dev/null
	cat "$tmp/srv.out" "$tmp/cli.out" > "$tmp/log"
	# without tickets the session shows none (only its ID)
	if grep -q '^Reused' "$tmp/cli.out" && grep -q '^xtwo' "$tmp/cli.out" &&
	   grep -q 'resumed' "$tmp/srv.out" &&
	   { [[ $2 != *-no_ticket* ]] || ! grep -q 'TLS session ticket:' "$tmp/cli.out"; }; then
		result "$1" ok
	else
		result "$1" fail
	fi
}
resume_server openssl_client_ktlsh_server_tls13_resumption -tls1_3
resume_server openssl_client_ktlsh_server_tls12_resumption -tls1_2
# RFC 5246 7.3: s_client without tickets resumes by our session ID
resume_server openssl_client_ktlsh_server_tls12_session_id_resumption "-tls1_2 -no_ticket"

# s_client -reconnect: one full handshake, then five resumptions
reconnect_server() {	# name, s_client version flag
	next_port
	timeout 30 "$KTLSH" server --port "$PORT" --echo "${KS[@]}" > "$tmp/srv.out" 2>&1 &
	local spid=$!
	wait_port "$PORT"
	(sleep 3) | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" $2 \
		-reconnect -CAfile "$C/ca.pem" > "$tmp/cli.out" 2>&1
	kill $spid 2>/dev/null
	wait $spid 2>/dev/null
	cat "$tmp/srv.out" "$tmp/cli.out" > "$tmp/log"
	if [ "$(grep -c '^Reused' "$tmp/cli.out")" -ge 5 ] &&
	   [ "$(grep -c 'resumed' "$tmp/srv.out")" -ge 5 ]; then
		result "$1" ok
	else
		result "$1" fail
	fi
}
reconnect_server openssl_client_ktlsh_server_tls12_reconnect -tls1_2

# --www: one HTTP request, however split into records, one response record
www_server() {
	next_port
	timeout 20 "$KTLSH" server --port "$PORT" --www "${KS[@]}" > "$tmp/srv.out" 2>&1 &
	local spid=$!
	wait_port "$PORT"
	curl -s --max-time 10 --cacert "$C/ca.pem" \
		--resolve "server.test:$PORT:127.0.0.1" "https://server.test:$PORT/" \
		> "$tmp/curl.out" 2>&1
	# the request in three records, the blank line last
	(printf 'GET / HTTP/1.0\r\n'; sleep 0.3; printf 'Host: x\r\n'; sleep 0.3
	 printf '\r\n'; sleep 1) | timeout 10 openssl s_client -connect "127.0.0.1:$PORT" \
		-quiet -no_ign_eof -nocommands -CAfile "$C/ca.pem" > "$tmp/cli.out" 2>/dev/null
	kill $spid 2>/dev/null
	wait $spid 2>/dev/null
	cat "$tmp/srv.out" "$tmp/curl.out" "$tmp/cli.out" > "$tmp/log"
	if grep -q '^ktlsh: TLSv1.3' "$tmp/curl.out" &&
	   grep -q '^HTTP/1.0 200' "$tmp/cli.out"; then
		result curl_and_openssl_against_ktlsh_server_www ok
	else
		result curl_and_openssl_against_ktlsh_server_www fail
	fi
}

# RFC 8446 6.1: after its response the server sends one close_notify and
# nothing after it, also when the client's close_notify comes back
www_one_close_notify() {	# name, s_client version flag
	local name=$1 ver=$2
	next_port
	timeout 20 "$KTLSH" server --port "$PORT" --www --once "${KS[@]}" > "$tmp/srv.out" 2>&1 &
	local spid=$!
	wait_port "$PORT"
	(printf 'GET / HTTP/1.0\r\n\r\n'; sleep 1.5) | timeout 10 openssl s_client \
		-connect "127.0.0.1:$PORT" -msg -ign_eof "$ver" -CAfile "$C/ca.pem" \
		> "$tmp/cli.out" 2>&1
	wait $spid 2>/dev/null
	cat "$tmp/srv.out" "$tmp/cli.out" > "$tmp/log"
	if grep -q '^HTTP/1.0 200' "$tmp/cli.out" &&
	   [ "$(grep -c '^<<< .*Alert' "$tmp/cli.out")" = 1 ] &&
	   grep -q '^<<< .*Alert.*close_notify' "$tmp/cli.out"; then
		result "$name" ok
	else
		result "$name" fail
	fi
}
# --quiet (as s_server -quiet, for benchmarks): the response, and no line per
# connection on stderr, where without it there is one
www_quiet() {
	local q out=()
	for q in "" --quiet; do
		next_port
		# shellcheck disable=SC2086
		timeout 20 "$KTLSH" server --port "$PORT" --www --once $q "${KS[@]}" \
			> "$tmp/srv.out" 2>&1 &
		local spid=$!
		wait_port "$PORT"
		printf 'GET / HTTP/1.0\r\n\r\n' | timeout 10 openssl s_client \
			-connect "127.0.0.1:$PORT" -quiet -CAfile "$C/ca.pem" > "$tmp/cli.out" 2>&1
		wait $spid 2>/dev/null
		cat "$tmp/srv.out" "$tmp/cli.out" >> "$tmp/log"
		grep -q '^HTTP/1.0 200' "$tmp/cli.out" || out+=(noresponse)
		out+=("$(grep -c '^ktlsh server: TLSv1.3' "$tmp/srv.out")")
	done
	if [ "${out[*]}" = "1 0" ]; then
		result ktlsh_server_quiet_prints_no_line_per_connection ok
	else
		echo "lines without and with --quiet: ${out[*]}" >> "$tmp/log"
		result ktlsh_server_quiet_prints_no_line_per_connection fail
	fi
}
# a --cipher list with nothing that can run at the versions allowed: said
# at start, before any peer (each connection would fail otherwise)
no_usable_suite() {
	local cmd rc
	for cmd in "server --port 1" "client 127.0.0.1:1" "serve --root $tmp --port 1"; do
		# shellcheck disable=SC2086
		timeout 10 "$KTLSH" $cmd "${KS[@]}" --tls1.3 \
			--cipher TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 > "$tmp/cli.out" 2>&1 < /dev/null
		rc=$?
		cat "$tmp/cli.out" >> "$tmp/log"
		[ $rc = 1 ] && grep -q 'no suite of --cipher can run' "$tmp/cli.out" || return 1
	done
}
: > "$tmp/log"
check ktlsh_cipher_list_with_no_usable_suite_is_refused_at_start no_usable_suite
www_quiet
www_server
for v in tls1_3 tls1_2; do
	www_one_close_notify "openssl_client_ktlsh_server_${v}_www_one_close_notify" "-$v"
done

# ---- GnuTLS ----
if command -v gnutls-cli >/dev/null; then
	GC=(gnutls-cli -p @PORT@ 127.0.0.1 --x509cafile "$C/ca.pem")
	server_vs gnutls_client_ktlsh_server_tls13 "$T13" "${KS[@]}" -- "${GC[@]}"
	server_vs gnutls_client_ktlsh_server_tls12 "$T12" "${KS[@]}" -- "${GC[@]}" \
		--priority "NORMAL:-VERS-ALL:+VERS-TLS1.2"
	server_vs gnutls_client_ktlsh_server_tls13_mutual "$T13" "${KS[@]}" --ca "$C/ca.pem" \
		--verify-client -- "${GC[@]}" --x509certfile "$C/client-ec.pem" \
		--x509keyfile "$C/client-ec.key"
	# RFC 8449: GnuTLS refuses records above the limit it announced
	for v in 3 2; do
		send_vs gnutls_client_ktlsh_server_tls1${v}_sendfile_small_records "TLSv1.$v" \
			"${GC[@]}" --recordsize 512 --priority "NORMAL:-VERS-ALL:+VERS-TLS1.$v"
	done
	server_vs gnutls_client_ktlsh_server_tls13_psk "psk" --psk-identity client1 \
		--psk-key 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff -- \
		gnutls-cli -p @PORT@ 127.0.0.1 --pskusername client1 \
		--pskkey 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff \
		--priority "NORMAL:-KX-ALL:+ECDHE-PSK:+DHE-PSK:+PSK"

	GS=(gnutls-serv -p @PORT@ --echo --x509certfile "$C/server-ec.pem"
	    --x509keyfile "$C/server-ec.key")
	gnutls_client() {	# name, expect, serv extra args..., -- ktlsh args
		local name=$1 expect=$2 srv=() cli=()
		shift 2
		while [ "$1" != -- ]; do srv+=("$1"); shift; done
		shift
		next_port
		stat_begin
		"${GS[@]//@PORT@/$PORT}" "${srv[@]}" > "$tmp/srv.out" 2>&1 &
		local spid=$!
		wait_port "$PORT"
		timeout 20 "$KTLSH" client "127.0.0.1:$PORT" "$@" < "$tmp/small" \
			> "$tmp/cli.out" 2> "$tmp/cli.err"
		local rc=$?
		kill $spid 2>/dev/null
		wait $spid 2>/dev/null
		cat "$tmp/cli.err" "$tmp/srv.out" > "$tmp/log"
		if [ $rc -eq 0 ] && cmp -s "$tmp/small" "$tmp/cli.out" &&
		   grep -q -- "$expect" "$tmp/cli.err" &&
		   grep -qF -- "$(dp_want "$name")" "$tmp/cli.err" && stat_ok "$name"; then
			result "$name" ok
		else
			result "$name" fail
		fi
	}
	# gnutls-cli --resume: a full handshake, then a resumed one (tickets
	# in 1.3; in 1.2 with %NO_TICKETS by our session ID, RFC 5246 7.3)
	gnutls_resume() {	# name, priority
		next_port
		timeout 20 "$KTLSH" server --port "$PORT" --echo "${KS[@]}" > "$tmp/srv.out" 2>&1 &
		local spid=$!
		wait_port "$PORT"
		echo | timeout 20 gnutls-cli -p "$PORT" 127.0.0.1 --x509cafile "$C/ca.pem" \
			--resume --priority "$2" > "$tmp/cli.out" 2>&1
		kill $spid 2>/dev/null
		wait $spid 2>/dev/null
		cat "$tmp/srv.out" "$tmp/cli.out" > "$tmp/log"
		if grep -q '^\*\*\* This is a resumed session' "$tmp/cli.out" &&
		   [ "$(grep -c 'resumed' "$tmp/srv.out")" = 1 ] &&
		   { [[ $2 != *NO_TICKETS* ]] ||
		     [ "$(grep '^- Session ID:' "$tmp/cli.out" | sort -u | wc -l)" = 1 ]; }; then
			result "$1" ok
		else
			result "$1" fail
		fi
	}
	gnutls_resume gnutls_client_ktlsh_server_tls13_resumption "NORMAL:-VERS-ALL:+VERS-TLS1.3"
	gnutls_resume gnutls_client_ktlsh_server_tls12_session_id_resumption \
		"NORMAL:-VERS-ALL:+VERS-TLS1.2:%NO_TICKETS"
	WANT=$tmp/small resume_vs ktlsh_client_gnutls_server_tls13_resumption --tls1.3 \
		"${GS[@]}"
	WANT=$tmp/small resume_vs ktlsh_client_gnutls_server_tls12_session_id_resumption --tls1.2 \
		"${GS[@]}" --noticket

	gnutls_client ktlsh_client_gnutls_server_tls13 "$T13" -- "${V[@]}"
	gnutls_client ktlsh_client_gnutls_server_tls12 "$T12" -- "${V[@]}" --tls1.2
	# and we refuse records above ours: GnuTLS must keep to it
	gnutls_client ktlsh_client_gnutls_server_tls13_record_size_limit "$T13" -- "${V[@]}" \
		--record-size-limit 300
	echo "client1:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff" > "$tmp/psk.txt"
	gnutls_client ktlsh_client_gnutls_server_tls13_psk "psk" --pskpasswd "$tmp/psk.txt" \
		--priority "NORMAL:+ECDHE-PSK:+DHE-PSK:+PSK" -- --psk-identity client1 \
		--psk-key 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff --insecure
else
	result gnutls_peers skip "gnutls-bin not installed"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
