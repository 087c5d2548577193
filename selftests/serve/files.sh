#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# ktlsh serve, the io_uring HTTPS file server, fetched by curl, ktlsh client
# and openssl s_client: bytes compared by checksum, the path each connection
# took (kTLS with the body spliced where the kernel has kTLS, user space
# otherwise) asserted from /proc/net/tls_stat and the server's own line;
# keep-alive, pipelining, Range, HEAD, 304; traversal refused; bad requests
# answered; many clients at once; slow, stalled and garbage clients cut off
# without holding up a good one; SIGTERM finishes a transfer. TAP output.
#
#   files.sh KTLSH CERTDIR [PLAIN_KTLSH]
# PLAIN_KTLSH: a build without sanitizers, for the memory figure
set -u
KTLSH=$1
C=$2
PLAIN=${3:-$1}
[ -x "$PLAIN" ] || PLAIN=$KTLSH
HERE=$(cd "$(dirname "$0")" && pwd)
PORT=$((20000 + RANDOM % 10000))
tmp=$(mktemp -d)
root=$tmp/root
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
ulimit -n 8192 2>/dev/null

echo "TAP version 13"

. "$HERE/../tap.sh"
TAP_LOGS="$tmp/serve.log:server"

next_port() {
	PORT=$((PORT + 1))
	while [ -n "$(ss -Hant "sport = :$PORT")" ]; do
		PORT=$((PORT + 1))
	done
}

# ---- the served tree: the sizes around a record, 100 MiB, the ways out ----
mkdir -p "$root/dir" "$root/empty"
: > "$root/0.bin"
head -c 1 /dev/urandom > "$root/1.bin"
for s in 16383 16384 16385; do head -c $s /dev/urandom > "$root/$s.bin"; done
head -c $((100 << 20)) /dev/urandom > "$root/100M.bin"
SIZES="0 1 16383 16384 16385 100M"
echo '<p>index</p>' > "$root/dir/index.html"
echo "secret outside the root" > "$tmp/outside.txt"
ln -s ../outside.txt "$root/out"
ln -s /etc/passwd "$root/abs"
ln -s 1.bin "$root/in"
(cd "$root" && sha256sum -- *.bin) > "$tmp/sums"

probe=$("$KTLSH" probe -j)
if grep -q '"ktls":{"present":true' <<< "$probe"; then
	WANT="kTLS (TX and RX, body spliced)"
else
	WANT="user space: no kTLS"
fi
tls_stat() {
	awk -v k="$1" '$1 == k { print $2 }' /proc/net/tls_stat 2>/dev/null
}

SERVE_PID=
serve() {	# options...: ktlsh serve on a new port, -v log in serve.log
	next_port
	"$KTLSH" serve --root "$root" --port "$PORT" --cert "$C/server-ec.pem" \
		--key "$C/server-ec.key" --threads 2 -v "$@" > "$tmp/serve.log" 2>&1 &
	SERVE_PID=$!
	local i
	for i in $(seq 100); do
		grep -q "listening on port" "$tmp/serve.log" && return 0
		sleep 0.05
	done
	echo "ktlsh serve did not start" >> "$tmp/log"
	return 1
}
BAD_EXITS=0
stop() {	# SIGTERM: every server must exit 0 (sanitizer builds: no report)
	local rc
	[ -n "$SERVE_PID" ] || return 0
	kill -TERM "$SERVE_PID" 2>/dev/null
	# a server that cannot stop fails its case, it does not hang the test
	for _ in $(seq 600); do
		kill -0 "$SERVE_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$SERVE_PID" 2>/dev/null &&
		{ echo "ktlsh serve still running 30 s after SIGTERM: killed" >> "$tmp/log"; kill -KILL "$SERVE_PID"; }
	wait "$SERVE_PID" 2>/dev/null
	rc=$?
	SERVE_PID=
	[ $rc = 0 ] && return 0
	BAD_EXITS=$((BAD_EXITS + 1))
	echo "ktlsh serve exited with status $rc" >> "$tmp/log"
	cat "$tmp/serve.log" >> "$tmp/exits.log"
	return 1
}
# no case may hang the whole test: a stall fails its case
CURL=(curl -s --max-time 120 --cacert "$C/ca.pem" --resolve "server.test:@PORT@:127.0.0.1")
curl_() {	# curl with the port filled in
	"${CURL[@]//@PORT@/$PORT}" "$@"
}
url() { echo "https://server.test:$PORT$1"; }

# every fetched file against its checksum: sums of $tmp/got/*.bin
sums_ok() {
	(cd "$tmp/got" && sha256sum -- *.bin) | diff - "$tmp/sums" >> "$tmp/log"
}
# the server's lines for $1 connections all say the path wanted
path_ok() {	# connections
	local got
	got=$(grep -c "path=\"$WANT" "$tmp/serve.log")
	[ "$got" -ge "$1" ] && return 0
	echo "$got of $1 connections took \"$WANT\"" >> "$tmp/log"
	return 1
}
# the kernel's count: +N kTLS sockets each way, or none in user space
stat_begin() { TX0=$(tls_stat TlsTxSw) RX0=$(tls_stat TlsRxSw); return 0; }
stat_ok() {	# kTLS sockets expected where there is kTLS
	local want=0
	[ "${WANT:0:4}" = kTLS ] && want=$1
	if [ ! -r /proc/net/tls_stat ]; then
		[ "$want" = 0 ] && return 0
		echo "/proc/net/tls_stat missing, kTLS expected" >> "$tmp/log"
		return 1
	fi
	local tx=$(( $(tls_stat TlsTxSw) - TX0 )) rx=$(( $(tls_stat TlsRxSw) - RX0 ))
	[ "$tx" = "$want" ] && [ "$rx" = "$want" ] && return 0
	echo "tls_stat: TlsTxSw +$tx TlsRxSw +$rx, want +$want each" >> "$tmp/log"
	return 1
}

# ---- each size, TLS 1.2 and 1.3, curl (one connection) and ktlsh client ----
for v in 1.2 1.3; do
	name=fetch_sizes_curl_tls${v/./}
	rm -rf "$tmp/got" && mkdir "$tmp/got"
	serve "--tls$v"
	args=()
	for s in $SIZES; do args+=("$(url /$s.bin)" -o "$tmp/got/$s.bin"); done
	if stat_begin &&
	   curl_ --tlsv"$v" --tls-max "$v" "${args[@]}" >> "$tmp/log" 2>&1 &&
	   sums_ok && stop && path_ok 1 && stat_ok 1 &&
	   grep -q "requests=6 bytes=$(( (100 << 20) + 16383 + 16384 + 16385 + 1 ))" "$tmp/serve.log"; then
		result "$name" ok
	else
		stop; result "$name" fail
	fi

	name=fetch_sizes_ktlsh_client_tls${v/./}
	rm -rf "$tmp/got" && mkdir "$tmp/got"
	ok=1
	serve "--tls$v" && stat_begin || ok=0
	for s in $SIZES; do
		[ $ok = 1 ] || break
		len=$(stat -c %s "$root/$s.bin")
		printf 'GET /%s.bin HTTP/1.1\r\nHost: server.test\r\nConnection: close\r\n\r\n' "$s" |
			timeout 120 "$KTLSH" client "127.0.0.1:$PORT" --ca "$C/ca.pem" \
			--servername server.test > "$tmp/raw" 2>> "$tmp/log" ||
			{ ok=0; echo "$s.bin: ktlsh client failed or hung" >> "$tmp/log"; }
		# the head, then exactly the file
		head -c 200 "$tmp/raw" | grep -qa "^HTTP/1.1 200 OK" ||
			{ ok=0; echo "$s.bin: no 200" >> "$tmp/log"; }
		tail -c "$len" "$tmp/raw" > "$tmp/got/$s.bin"
		[ "$(stat -c %s "$tmp/raw")" -gt "$len" ] ||
			{ ok=0; echo "$s.bin: no head" >> "$tmp/log"; }
	done
	# ktlsh client takes kTLS too where there is kTLS: two sockets each
	if [ $ok = 1 ] && sums_ok && stop && path_ok 6 && stat_ok 12; then
		result "$name" ok
	else
		stop; result "$name" fail
	fi
done

# ---- wget: another client, its own TLS library (GnuTLS) ----
serve
wget_() {
	local s
	for s in 1 16385 100M; do
		wget -q --ca-certificate="$C/ca.pem" -O "$tmp/wget.$s" \
			--execute use_proxy=off "https://127.0.0.1:$PORT/$s.bin" \
			2>> "$tmp/log" ||
			{ echo "wget $s.bin failed" >> "$tmp/log"; return 1; }
		cmp -s "$tmp/wget.$s" "$root/$s.bin" ||
			{ echo "wget $s.bin differs" >> "$tmp/log"; return 1; }
	done
}
# the certificate names 127.0.0.1 too (wget has no --resolve)
if command -v wget > /dev/null; then
	check fetch_wget wget_
else
	result fetch_wget skip "no wget (Debian: wget, make deps)"
fi
stop

# ---- HTTP on one connection: keep-alive, pipelining, Range, HEAD, 304 ----
serve
pipelined() {
	printf 'GET /dir/index.html HTTP/1.1\r\nHost: x\r\n\r\nHEAD /16384.bin HTTP/1.1\r\nHost: x\r\n\r\nGET /dir/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
		timeout 10 openssl s_client -quiet -connect "127.0.0.1:$PORT" \
		-CAfile "$C/ca.pem" 2>/dev/null > "$tmp/pipe.out"
	[ "$(grep -ac '^HTTP/1.1 200 OK' "$tmp/pipe.out")" = 3 ] &&
	grep -aq '^Content-Length: 16384' "$tmp/pipe.out" &&
	grep -aq '<p>index</p>' "$tmp/pipe.out" &&
	[ "$(stat -c %s "$tmp/pipe.out")" -lt 2000 ]	# HEAD sent no body
}
check pipelined_requests_one_connection pipelined
# 250 requests, ~11 KB, in one TLS record (s_client writes what one read
# of stdin got): more than a head's limit, each answered
many_pipelined() {
	{ for i in $(seq 249); do printf 'HEAD /dir/ HTTP/1.1\r\nHost: x%03d\r\n\r\n' "$i"; done
	  printf 'HEAD /dir/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'; } > "$tmp/many.req"
	timeout 20 openssl s_client -quiet -connect "127.0.0.1:$PORT" -CAfile "$C/ca.pem" \
		< "$tmp/many.req" 2>/dev/null > "$tmp/many.out"
	echo "$(grep -ac '^HTTP/1.1 200 OK' "$tmp/many.out") of 250 answered" >> "$tmp/log"
	[ "$(grep -ac '^HTTP/1.1 200 OK' "$tmp/many.out")" = 250 ]
}
check many_pipelined_requests_in_one_record many_pipelined
ranges() {
	curl_ -r 16380-16389 "$(url /100M.bin)" -o "$tmp/r1" -w '%{http_code}\n' | grep -qx 206 &&
	cmp "$tmp/r1" <(tail -c +16381 "$root/100M.bin" | head -c 10) &&
	curl_ -r -5 "$(url /16385.bin)" -o "$tmp/r2" -w '%{http_code}\n' | grep -qx 206 &&
	cmp "$tmp/r2" <(tail -c 5 "$root/16385.bin") &&
	curl_ -r 99999999999- "$(url /1.bin)" -o /dev/null -w '%{http_code}\n' | grep -qx 416
}
check range_206_and_416 ranges
conditional() {
	local etag
	etag=$(curl_ -I "$(url /16383.bin)" | sed -n 's/^ETag: \(.*\)\r$/\1/p')
	[ -n "$etag" ] &&
	curl_ -H "If-None-Match: $etag" "$(url /16383.bin)" -o /dev/null -w '%{http_code}\n' | grep -qx 304 &&
	curl_ -z "$root/16383.bin" "$(url /16383.bin)" -o /dev/null -w '%{http_code}\n' | grep -qx 304 &&
	curl_ -H 'If-None-Match: "other"' "$(url /16383.bin)" -o /dev/null -w '%{http_code}\n' | grep -qx 200
}
check head_etag_and_304 conditional

# ---- the ways out of the root, and bad requests ----
traversal() {
	local t code
	for t in /../outside.txt /%2e%2e/outside.txt /dir/..%2F..%2Foutside.txt /out /abs \
		 //etc/passwd /dir/../../outside.txt; do
		code=$(curl_ --path-as-is "$(url "$t")" -o "$tmp/t.out" -w '%{http_code}')
		echo "$t -> $code" >> "$tmp/log"
		case $code in 403|404|400) ;; *) return 1 ;; esac
		grep -q secret "$tmp/t.out" && return 1
		grep -q root: "$tmp/t.out" && return 1
	done
	[ "$(curl_ "$(url /in)" -o /dev/null -w '%{http_code}')" = 200 ]
}
check traversal_refused traversal
bad_requests() {
	local req want got
	# s_client -quiet reads until the server closes: a request answered
	# on a kept-alive connection says Connection: close, or the case waits
	# out the timeout (10 s each)
	while IFS='|' read -r want req; do
		got=$(printf "$req" | timeout 10 openssl s_client -quiet -connect "127.0.0.1:$PORT" \
			-CAfile "$C/ca.pem" 2>/dev/null | head -n 1 | cut -d' ' -f2)
		echo "$req -> $got (want $want)" >> "$tmp/log"
		[ "$got" = "$want" ] || return 1
	done <<-'EOF'
	405|DELETE /1.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n
	400|GET /1.bin HTTP/1.1\r\n\r\n
	505|GET / HTTP/2.0\r\nHost: x\r\n\r\n
	400|GET  / HTTP/1.1\r\nHost: x\r\n\r\n
	413|GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n
	501|GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n
	404|GET /missing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n
	EOF
	# a request-line past the limit: 414; a head past it: 431
	got=$( (printf 'GET /%05000d HTTP/1.1\r\nHost: x\r\n\r\n' 0) |
		timeout 10 openssl s_client -quiet -connect "127.0.0.1:$PORT" -CAfile "$C/ca.pem" \
		2>/dev/null | head -n 1 | cut -d' ' -f2)
	[ "$got" = 414 ] || { echo "long target -> $got" >> "$tmp/log"; return 1; }
	got=$( (printf 'GET / HTTP/1.1\r\nHost: x\r\n'; for i in $(seq 100); do printf 'X-%d: %090d\r\n' $i 0; done; printf '\r\n') |
		timeout 10 openssl s_client -quiet -connect "127.0.0.1:$PORT" -CAfile "$C/ca.pem" \
		2>/dev/null | head -n 1 | cut -d' ' -f2)
	[ "$got" = 431 ] || { echo "large head -> $got" >> "$tmp/log"; return 1; }
}
check bad_requests_answered bad_requests
stop

# ---- beyond 4 GiB: a sparse file, by Range (and whole on the host) ----
serve
beyond_4g() {
	local got
	truncate -s $((5 << 30)) "$root/big.sparse"
	printf 'MARKER' | dd of="$root/big.sparse" bs=1 seek=$((9 << 29)) conv=notrunc 2>/dev/null
	got=$(curl_ -r $((9 << 29))-$(( (9 << 29) + 5 )) "$(url /big.sparse)" -w ' %{http_code}')
	echo "range beyond 4 GiB: $got" >> "$tmp/log"
	[ "$got" = "MARKER 206" ] || return 1
	curl_ -I "$(url /big.sparse)" | grep -q "^Content-Length: $((5 << 30))" || return 1
	# whole: 5 GiB through the emulated guest's kTLS would take minutes
	[ "$(hostname)" = hsdvm ] && return 0
	got=$(curl_ "$(url /big.sparse)" -o /dev/null -w '%{http_code} %{size_download}')
	echo "whole: $got" >> "$tmp/log"
	[ "$got" = "200 $((5 << 30))" ]
}
check sparse_file_beyond_4_gib beyond_4g
rm -f "$root/big.sparse"
stop

# ---- TLS 1.3 rekey before the AEAD limit (lowered for the test) ----
rekey() {
	local want=$WANT ok0 ok1
	if [ "${WANT:0:4}" = kTLS ] && ! grep -q '"rekey":{"present":true' <<< "$probe"; then
		want="user space: a TLS 1.3 rekey is needed"
	fi
	serve --tls1.3 --rekey-records 64 || return 1
	ok0=$(tls_stat TlsTxRekeyOk)
	curl_ -r 0-$(( (4 << 20) - 1 )) "$(url /100M.bin)" -o "$tmp/rk" || return 1
	ok1=$(tls_stat TlsTxRekeyOk)
	stop || return 1
	cmp "$tmp/rk" <(head -c $((4 << 20)) "$root/100M.bin") || return 1
	grep -q "path=\"$want" "$tmp/serve.log" ||
		{ echo "path is not \"$want\"" >> "$tmp/log"; return 1; }
	# 256 records of 16 KiB, a new key every 64: the kernel counts them
	if [ "${want:0:4}" = kTLS ]; then
		echo "TlsTxRekeyOk +$((ok1 - ok0))" >> "$tmp/log"
		[ $((ok1 - ok0)) -ge 3 ] || return 1
	fi
}
check rekey_before_the_aead_limit_tls13 rekey

# ---- many at once; memory per idle connection ----
serve
# the test guest (hostname hsdvm) emulates its CPU (TCG): a handshake
# there costs ~50 times the host's, so fewer at once
CONNS=1000
[ "$(hostname)" = hsdvm ] && CONNS=200
many() {
	local got
	got=$(python3 "$HERE/clients.py" many "$PORT" "$C/ca.pem" $CONNS /16385.bin 16385)
	echo "served whole: $got of $CONNS" >> "$tmp/log"
	[ "$got" = $CONNS ]
}
check concurrent_connections_all_served many
stop
# a fresh one, of the plain build (a sanitizer's allocator would be
# measured instead): the pool's memory not yet touched
KTLSH_SAVED=$KTLSH KTLSH=$PLAIN
serve
KTLSH=$KTLSH_SAVED
# hold N connections open for S seconds in the background (pid in
# HELD); once they are all handshaken, the server's resident KiB in RSS
held_rss() {	# N S OUT
	python3 "$HERE/clients.py" idle "$PORT" "$C/ca.pem" "$1" "$2" > "$3" &
	HELD=$!
	for _ in $(seq 600); do grep -q ready "$3" && break; sleep 0.1; done
	grep -q ready "$3" || return 1
	# quiet reads are parked after a tick, what was freed is trimmed at
	# the next: well within 2 s, even in an emulated guest
	sleep 2
	RSS=$(awk '/^VmRSS/ { print $2 }' "/proc/$SERVE_PID/status")
}
idle_memory() {	# what each further idle connection costs the server
	local r1 r2 per p1
	# a first batch warms what is paid once (buffer caches, arenas)...
	held_rss $((CONNS / 4)) 30 "$tmp/idle1.out" || return 1
	r1=$RSS p1=$HELD
	# ...then CONNS more, held open beside them
	held_rss $CONNS 3 "$tmp/idle.out" || return 1
	r2=$RSS
	wait $HELD
	kill $p1 2>/dev/null
	wait $p1 2>/dev/null
	per=$(( (r2 - r1) * 1024 / CONNS ))
	IDLE_PER=$per
	echo "idle: $per bytes per connection ($CONNS after $((CONNS / 4)))" >> "$tmp/log"
	# issue 19: at most 16 KiB of the server's memory per idle connection
	# (the host). A kTLS connection in the guest still keeps the engine's
	# AEAD contexts, unused there, and 200 connections on an emulated CPU
	# measure coarsely (12.8-28 KiB seen across runs of the same build):
	# 32 KiB there until those go. The figure of the issue's target is
	# bench/serve's, 10,000 connections on the host.
	local most=16
	[ "$(hostname)" = hsdvm ] && most=32
	[ "$per" -le $((most * 1024)) ]
}
IDLE_PER=?
check memory_per_idle_connection idle_memory
echo "# idle connection: $IDLE_PER bytes of server memory each ($CONNS open)"
stop

# ---- ktlsh bench: the load generator counts what it fetched exactly ----
serve
bench() {
	local j req by min max
	j=$("$KTLSH" bench "https://127.0.0.1:$PORT/16385.bin" --servername server.test \
		--ca "$C/ca.pem" -c 4 -d 2 -j --server-pid "$SERVE_PID" 2>> "$tmp/log") || return 1
	echo "bench: $j" >> "$tmp/log"
	req=$(echo "$j" | sed -n 's/.*"requests": \([0-9]*\).*/\1/p')
	by=$(echo "$j" | sed -n 's/.*"bytes": \([0-9]*\).*/\1/p')
	# at the deadline up to one body per connection is under way
	min=$((req * 16385)) max=$(((req + 4) * 16385))
	[ "$req" -gt 0 ] && [ "$by" -ge "$min" ] && [ "$by" -le "$max" ] &&
	echo "$j" | grep -q '"errors": 0,' &&
	echo "$j" | grep -q '"server_cpu_s": [0-9]' || return 1
	# a new connection per request: one handshake each
	j=$("$KTLSH" bench "https://127.0.0.1:$PORT/1.bin" --servername server.test \
		--ca "$C/ca.pem" -c 2 -d 1 --new-conn -j 2>> "$tmp/log") || return 1
	echo "bench: $j" >> "$tmp/log"
	req=$(echo "$j" | sed -n 's/.*"requests": \([0-9]*\).*/\1/p')
	hs=$(echo "$j" | sed -n 's/.*"handshakes": \([0-9]*\).*/\1/p')
	[ "$req" -gt 0 ] && [ "$hs" -ge "$req" ] && [ "$hs" -le $((req + 2)) ] || return 1
	# held open without requests: every one handshaken
	"$KTLSH" bench "https://127.0.0.1:$PORT/" --servername server.test \
		--ca "$C/ca.pem" -c 3 -d 1 --idle > /dev/null 2> "$tmp/idle.err" &&
	grep -q "all 3 open" "$tmp/idle.err" || return 1
	# a file that is not there is an error, not a result
	! "$KTLSH" bench "https://127.0.0.1:$PORT/absent" --servername server.test \
		--ca "$C/ca.pem" -c 1 -d 1 > /dev/null 2>&1 || return 1
	# result files side by side, where gnuplot is installed
	if command -v gnuplot > /dev/null; then
		echo "$j" > "$tmp/a.json"
		"$KTLSH" bench --plot "$tmp/p.png" "$tmp/a.json" "$tmp/a.json" &&
		[ "$(head -c 4 "$tmp/p.png" | od -An -c | tr -d ' ')" = "211PNG" ] || return 1
	fi
}
check ktlsh_bench_counts_exactly bench
stop

# ---- slow, stalled and garbage clients: cut off, a good one served ----
serve --header-timeout 1500 --timeout 1500
slow_clients() {
	local t0 t1 status
	# a TCP connection that never says a word, garbage instead of a
	# ClientHello, and a head one byte at a time
	exec 5<>"/dev/tcp/127.0.0.1/$PORT"
	head -c 3000 /dev/urandom > "/dev/tcp/127.0.0.1/$PORT" 2>/dev/null
	python3 "$HERE/clients.py" slow "$PORT" "$C/ca.pem" > "$tmp/slow.out" &
	local spid=$!
	sleep 0.3
	# meanwhile a good client is served at once
	t0=$(date +%s%N)
	curl_ "$(url /16384.bin)" -o "$tmp/good" || return 1
	t1=$(date +%s%N)
	echo "good client: $(( (t1 - t0) / 1000000 )) ms" >> "$tmp/log"
	[ $(( (t1 - t0) / 1000000 )) -lt 1000 ] || return 1
	cmp -s "$tmp/good" "$root/16384.bin" || return 1
	wait "$spid"
	read -r status secs < "$tmp/slow.out"
	echo "slowloris: status $status after $secs s" >> "$tmp/log"
	# cut off at the header deadline, with a 408
	[ "$status" = 408 ] || return 1
	# the silent one is closed at the handshake deadline
	timeout 5 cat <&5 > /dev/null || return 1
	exec 5<&-
}
check slow_stalled_garbage_clients_cut_off slow_clients
stop

# ---- mutual TLS ----
serve --verify-client --ca "$C/ca.pem"
mtls() {
	curl_ --cert "$C/client-ec.pem" --key "$C/client-ec.key" "$(url /1.bin)" -o "$tmp/m" &&
	cmp -s "$tmp/m" "$root/1.bin" &&
	! curl_ "$(url /1.bin)" -o /dev/null
}
check verify_client_mtls mtls
stop

# ---- a file cut short while it is served: that response ends (the
# client sees a short body at once, not at a timeout), the server goes on
# serving and stops cleanly ----
serve
truncated() {
	local t0 rc=0
	cp "$root/100M.bin" "$root/cut.bin" || return 1
	t0=$(date +%s)
	curl_ --limit-rate 4M "$(url /cut.bin)" -o "$tmp/cut" &
	local cpid=$!
	sleep 1
	truncate -s 1M "$root/cut.bin"
	wait "$cpid" && { echo "curl got a whole body from a cut file" >> "$tmp/log"; rc=1; }
	echo "cut short after $(($(date +%s) - t0)) s, got $(stat -c %s "$tmp/cut") bytes" >> "$tmp/log"
	[ $(($(date +%s) - t0)) -lt 60 ] || rc=1
	rm -f "$root/cut.bin"
	curl_ "$(url /16385.bin)" -o "$tmp/after" && cmp -s "$tmp/after" "$root/16385.bin" || rc=1
	stop || rc=1
	grep -q 'end=file read failed' "$tmp/serve.log" || {
		echo "no \"file read failed\" in the server's log" >> "$tmp/log"; rc=1; }
	return $rc
}
check file_cut_short_while_served truncated

# ---- SIGTERM: the transfer in flight completes, then the server exits 0 ----
serve --access-log "$tmp/access.log"
curl_ "$(url /a%0D%0A127.0.0.1%22)" -o /dev/null
sigterm() {
	local rc
	curl_ --limit-rate 20M "$(url /100M.bin)" -o "$tmp/got100" &
	local cpid=$!
	sleep 1
	kill -TERM "$SERVE_PID"
	wait "$cpid" || return 1
	wait "$SERVE_PID"
	rc=$?
	SERVE_PID=
	echo "server exit status $rc" >> "$tmp/log"
	[ $rc = 0 ] && cmp -s "$tmp/got100" "$root/100M.bin" &&
	grep -q "ktlsh serve: stopped" "$tmp/serve.log" &&
	grep -Eq '^127\.0\.0\.1 - - \[[^]]+\] "GET /100M.bin HTTP/1.1" 200 104857600$' "$tmp/access.log"
}
check sigterm_finishes_the_transfer sigterm
# a request cannot forge access log lines: the decoded path is escaped
log_escaped() {
	grep -qF '"GET /a\x0d\x0a127.0.0.1\x22 HTTP/1.1" 404 0' "$tmp/access.log" &&
	[ "$(grep -c '^127\.0\.0\.1 ' "$tmp/access.log")" = "$(wc -l < "$tmp/access.log")" ]
}
check access_log_escapes_the_path log_escaped

# ---- kTLS through pipes of two pages: an unprivileged server whose user
# is over fs.pipe-user-pages-soft gets pipes of 8 KiB (no F_SETPIPE_SZ);
# every body, the head beside it and an unaligned range still go whole ----
small_pipes() {
	local soft rc=0 s
	soft=$(cat /proc/sys/fs/pipe-user-pages-soft)
	echo 1 > /proc/sys/fs/pipe-user-pages-soft || return 1
	# nobody's copies of what the server reads
	mkdir -m 755 "$tmp/np" && cp -r "$root" "$tmp/np/root" &&
		cp "$C/server-ec.pem" "$C/server-ec.key" "$tmp/np/" &&
		chmod -R a+rX "$tmp/np" && chmod 755 "$tmp" || rc=1
	next_port
	setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
		"$KTLSH" serve --root "$tmp/np/root" --port "$PORT" \
		--cert "$tmp/np/server-ec.pem" --key "$tmp/np/server-ec.key" \
		--threads 1 -v > "$tmp/serve.log" 2>&1 &
	SERVE_PID=$!
	for _ in $(seq 100); do grep -q "listening on port" "$tmp/serve.log" && break; sleep 0.05; done
	rm -rf "$tmp/got" && mkdir "$tmp/got"
	local args=()
	for s in 0 1 16383 16384 16385; do args+=("$(url /$s.bin)" -o "$tmp/got/$s.bin"); done
	stat_begin
	[ $rc = 0 ] && curl_ "${args[@]}" &&
		curl_ -r 4095-1052670 "$(url /100M.bin)" -o "$tmp/got/range" &&
		cmp "$tmp/got/range" <(tail -c +4096 "$root/100M.bin" | head -c 1048576) &&
		(cd "$tmp/got" && sha256sum -- *.bin) | diff - <(grep -v 100M "$tmp/sums") &&
		stat_ok 2 || rc=1
	echo "$soft" > /proc/sys/fs/pipe-user-pages-soft
	stop || rc=1
	rm -rf "$tmp/np"
	return $rc
}
if [ "${WANT:0:4}" != kTLS ]; then
	result ktls_through_two_page_pipes skip "no kTLS here"
elif [ -z "${HSD_VM_KERNEL:-}" ] || [ "$(id -u)" != 0 ]; then
	result ktls_through_two_page_pipes skip "changes fs.pipe-user-pages-soft: guests only"
else
	check ktls_through_two_page_pipes small_pipes
fi

exits() {
	[ "$BAD_EXITS" = 0 ] || { cat "$tmp/exits.log" >> "$tmp/log"; return 1; }
}
check every_server_exited_cleanly exits

echo "1..$n"
[ "$failed" = 0 ]
