// SPDX-License-Identifier: GPL-2.0
/*
 * ktlsh - handshaked's command line tool, iproute2 style:
 *   ktlsh probe [-j]     what this kernel offers for TLS offload
 *   ktlsh client, server TLS over stdin/stdout, a socket at a time
 *   ktlsh serve          the io_uring HTTPS file server
 *   ktlsh bench          an HTTPS load generator (io_uring, our engine)
 *   ktlsh handshake      TLS with the handshake done by the kernel (ktlsh.ko)
 *   ktlsh stat           the module's counters and requests in flight
 */
#include <errno.h>
#include <liburing.h>
#include <stdio.h>
#include <string.h>

#include "handshaked/kernel/kabi.h"
#include "handshaked/kernel/probe.h"
#include "handshaked/util.h"
#include "handshaked/crypto/crypto.h"
#include "tools/tlsopts.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ktlsh OBJECT [OPTIONS]\n"
		"  ktlsh probe [-j]              kernel TLS offload features, found by trying\n"
		"  ktlsh client HOST:PORT [...]  TLS client on stdin/stdout (-h for options)\n"
		"  ktlsh server --port N [...]   TLS server (-h for options)\n"
		"  ktlsh serve --root DIR --port N --cert F --key F [...]\n"
		"                                HTTPS file server on io_uring (-h for options)\n"
		"  ktlsh bench URL [-c N] [-d S] [--new-conn] [--threads N] [-j]\n"
		"                                HTTPS load generator (-h for options)\n"
		"  ktlsh handshake client|server [...]\n"
		"                                TLS whose handshake the kernel does through\n"
		"                                ktlsh.ko and handshaked (-h for options)\n"
		"  ktlsh stat [-j]               ktlsh.ko's counters and requests in flight\n"
		"  ktlsh -h                      this help\n");
}

struct probe_row {
	char key[48];
	char what[64];
	int err;
	const char *absent;	/* what its absence means, or NULL */
};

#define MAX_ROWS 40

static struct probe_row *row(struct probe_row *rows, size_t *n,
			     const char *key, const char *what)
{
	struct probe_row *r = &rows[(*n)++];

	r->absent = NULL;
	snprintf(r->key, sizeof(r->key), "%s", key);
	snprintf(r->what, sizeof(r->what), "%s", what);
	return r;
}

/*
 * Everything is found by trying it on loopback sockets, never by kernel
 * version: kTLS, each cipher x version x direction, TLS 1.3 rekey, the
 * newer socket options, the netlink families, the io_uring opcodes.
 */
static size_t probe_all(struct probe_row *rows)
{
	static const struct { uint16_t id; const char *name; } ciphers[] = {
		{ TLS_CIPHER_AES_GCM_128, "aes_gcm_128" },
		{ TLS_CIPHER_AES_GCM_256, "aes_gcm_256" },
		{ TLS_CIPHER_AES_CCM_128, "aes_ccm_128" },
		{ TLS_CIPHER_CHACHA20_POLY1305, "chacha20_poly1305" },
	};
	static const uint8_t uring_ops[] = {
		IORING_OP_ACCEPT, IORING_OP_SEND, IORING_OP_RECV,
		IORING_OP_SENDMSG, IORING_OP_RECVMSG, IORING_OP_SPLICE,
		IORING_OP_CLOSE, IORING_OP_TIMEOUT,
	};
	char key[48], what[64];
	struct probe_row *r;
	size_t n = 0, i, v, d;
	uint8_t missing = 0;
	int ktls;

	r = row(rows, &n, "ktls", "kTLS (TCP_ULP \"tls\")");
	r->err = ktls = hsd_probe_ulp_tls();
	for (v = 0; v < 2; v++) {
		for (i = 0; i < ARRAY_SIZE(ciphers); i++) {
			for (d = 0; d < 2; d++) {
				snprintf(key, sizeof(key), "tls%s_%s_%s",
					 v ? "13" : "12", ciphers[i].name,
					 d ? "rx" : "tx");
				snprintf(what, sizeof(what), "  TLS 1.%c %s %s",
					 v ? '3' : '2', ciphers[i].name,
					 d ? "RX" : "TX");
				r = row(rows, &n, key, what);
				r->err = ktls ? ktls :
					hsd_probe_ktls_cipher(v ? 0x0304 : 0x0303,
							      ciphers[i].id, !d);
			}
		}
	}
	r = row(rows, &n, "rekey", "  TLS 1.3 rekey (KeyUpdate in kTLS)");
	r->err = ktls ? ktls : hsd_probe_ktls_rekey();
	/* without kTLS at all the "ktls" row says enough */
	r->absent = ktls ? NULL :
		"a TLS 1.3 connection that will need a KeyUpdate stays in user space";
	r = row(rows, &n, "rx_expect_no_pad", "  TLS_RX_EXPECT_NO_PAD");
	r->err = ktls ? ktls : hsd_probe_ktls_option(TLS_RX_EXPECT_NO_PAD, true, 4);
	r = row(rows, &n, "tx_max_payload_len", "  TLS_TX_MAX_PAYLOAD_LEN");
	r->err = ktls ? ktls : hsd_probe_ktls_option(TLS_TX_MAX_PAYLOAD_LEN, false, 2);
	r->absent = ktls ? NULL :
		"a peer's record_size_limit below 16384 keeps its connection in user space";
	r = row(rows, &n, "tx_zerocopy_ro", "  TLS_TX_ZEROCOPY_RO (sendfile)");
	r->err = ktls ? ktls : hsd_probe_ktls_option(TLS_TX_ZEROCOPY_RO, false, 4);
	r = row(rows, &n, "handshake_family",
		"netlink family \"handshake\", group \"tlshd\"");
	r->err = hsd_probe_genl(HANDSHAKE_FAMILY_NAME, HANDSHAKE_MCGRP_TLSHD,
				NULL, NULL);
	r->absent =
		"no handshake upcall in this kernel (Linux 6.4+ needed, CONFIG_NET_HANDSHAKE): handshaked cannot serve NFS/NVMe";
	r = row(rows, &n, "ktlsh_module", "netlink family \"ktlsh\" (ktlsh.ko)");
	r->err = hsd_probe_genl("ktlsh", NULL, NULL, NULL);
	r = row(rows, &n, "io_uring", "io_uring opcodes of the data path");
	r->err = hsd_probe_uring_ops(uring_ops, sizeof(uring_ops), &missing);
	if (r->err == -EOPNOTSUPP)
		snprintf(r->what + strlen(r->what), sizeof(r->what) - strlen(r->what),
			 " (opcode %u missing)", missing);
	return n;
}

/* what a missing feature means for the user, if it is missing */
static const char *absent(const struct probe_row *r)
{
	return r->err ? r->absent : NULL;
}

static int cmd_probe(int argc, char **argv)
{
	struct probe_row rows[MAX_ROWS];
	int json = 0;
	size_t i, n;

	for (i = 1; i < (size_t)argc; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			json = 1;
		} else {
			usage(stderr);
			return 1;
		}
	}
	n = probe_all(rows);
	if (json) {
		printf("{");
		for (i = 0; i < n; i++)
			printf("%s\"%s\":{\"present\":%s,\"detail\":\"%s\"%s%s%s}",
			       i ? "," : "", rows[i].key,
			       rows[i].err ? "false" : "true",
			       hsd_probe_strerror(rows[i].err),
			       absent(&rows[i]) ? ",\"meaning\":\"" : "",
			       absent(&rows[i]) ?: "", absent(&rows[i]) ? "\"" : "");
		printf("}\n");
		return 0;
	}
	for (i = 0; i < n; i++) {
		printf("%-46s %s\n", rows[i].what,
		       rows[i].err ? hsd_probe_strerror(rows[i].err) : "yes");
		if (absent(&rows[i]))
			printf("%-46s   -> %s\n", "", absent(&rows[i]));
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "probe"))
		return cmd_probe(argc - 1, argv + 1);
	if (!strcmp(argv[1], "handshake"))
		return cmd_kernel_handshake(argc - 1, argv + 1);
	if (!strcmp(argv[1], "stat"))
		return cmd_stat(argc - 1, argv + 1);
	if (!strcmp(argv[1], "client") || !strcmp(argv[1], "server") ||
	    !strcmp(argv[1], "serve") || !strcmp(argv[1], "bench")) {
		struct hsd_crypto *cr;
		int rc;

		if (hsd_crypto_new(&cr)) {
			fprintf(stderr, "ktlsh: libcrypto initialisation failed\n");
			return 1;
		}
		rc = argv[1][0] == 'c' ? cmd_client(argc - 1, argv + 1, cr) :
		     !strcmp(argv[1], "serve") ? cmd_serve(argc - 1, argv + 1, cr) :
		     !strcmp(argv[1], "bench") ? cmd_bench(argc - 1, argv + 1, cr) :
					 cmd_server(argc - 1, argv + 1, cr);
		hsd_crypto_free(cr);
		return rc;
	}
	fprintf(stderr, "ktlsh: unknown object \"%s\"\n", argv[1]);
	usage(stderr);
	return 1;
}
