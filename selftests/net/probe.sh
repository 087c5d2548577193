#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `ktlsh probe -j`: on the test kernels kTLS and every cipher x version x
# direction are there, and rekey / TLS_TX_MAX_PAYLOAD_LEN follow the kernel
# (6.1, 6.12: neither, found by trying; 7.3: both), and what is missing is
# said with what it means (6.1: no handshake upcall); on a host without kTLS
# the probe says so, with the kernel's own errno. kTLS and the handshake family
# are also asked of the kernel directly and must agree. TAP output.
#   probe.sh KTLSH
set -u
KTLSH=$1
n=0 failed=0
echo "TAP version 13"
json=$("$KTLSH" probe -j) || { echo "not ok 1 probe_runs"; echo "1..1"; exit 1; }

check() {	# name, python expression over j (the parsed JSON)
	n=$((n + 1))
	if /usr/bin/python3 -c "import json,sys; j=json.loads(sys.argv[1]); sys.exit(0 if ($2) else 1)" "$json"; then
		echo "ok $n $1"
	else
		echo "not ok $n $1"
		echo "# $json" | cut -c1-400
		failed=$((failed + 1))
	fi
}

# What the kernel says when asked directly, not through our code: the TLS
# ULP on a connected loopback socket (its errno name if refused), and the
# handshake family in the generic netlink controller's list.
ulp=$(/usr/bin/python3 - <<'PY'
import errno, socket
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(1)
c = socket.create_connection(l.getsockname())
try:
    c.setsockopt(socket.IPPROTO_TCP, 31, b"tls")    # TCP_ULP
    print("present")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
PY
)
if genl ctrl get name handshake >/dev/null 2>&1; then family=present; else family=absent; fi
check ktls_as_the_kernel_says \
	"(j['ktls']['present'] and '$ulp' == 'present') or \
	 (not j['ktls']['present'] and '$ulp' != 'present' and '$ulp' in j['ktls']['detail'])"
check handshake_family_as_the_kernel_says \
	"j['handshake_family']['present'] == ('$family' == 'present')"

ciphers="all(j['tls%s_%s_%s' % (v, c, d)]['present'] for v in ('12', '13') \
	for c in ('aes_gcm_128', 'aes_gcm_256', 'aes_ccm_128', 'chacha20_poly1305') \
	for d in ('tx', 'rx'))"
case ${HSD_VM_KERNEL:-} in
6.1)
	# Debian 12's own kernel: kTLS with every cipher, nothing newer
	check ktls_present "j['ktls']['present']"
	check every_cipher_version_direction "$ciphers"
	check rx_expect_no_pad_on_6_1 "j['rx_expect_no_pad']['present']"
	check no_rekey_on_6_1 "not j['rekey']['present'] and 'user space' in j['rekey']['meaning']"
	check no_tx_max_payload_len_on_6_1 \
		"not j['tx_max_payload_len']['present'] and 'user space' in j['tx_max_payload_len']['meaning']"
	check no_handshake_upcall_on_6_1_with_the_reason \
		"not j['handshake_family']['present'] and 'ENOENT' in j['handshake_family']['detail'] and \
		 'Linux 6.4+' in j['handshake_family']['meaning']"
	;;
6.12)
	check ktls_present "j['ktls']['present']"
	check every_cipher_version_direction "$ciphers"
	check no_rekey_on_6_12 "not j['rekey']['present'] and 'user space' in j['rekey']['meaning']"
	check no_tx_max_payload_len_on_6_12 "not j['tx_max_payload_len']['present']"
	check handshake_family "j['handshake_family']['present'] and 'meaning' not in j['handshake_family']"
	;;
7.3)
	check ktls_present "j['ktls']['present']"
	check every_cipher_version_direction "$ciphers"
	check rekey_on_7_3 "j['rekey']['present']"
	check tx_max_payload_len_on_7_3 "j['tx_max_payload_len']['present']"
	check handshake_family "j['handshake_family']['present']"
	;;
*)
	# a host: report what it has (checked against the kernel above)
	check ciphers_follow_ktls "j['ktls']['present'] or not any(v['present'] for k, v in j.items() if k.startswith('tls'))"
	;;
esac
echo "1..$n"
[ "$failed" -eq 0 ]
