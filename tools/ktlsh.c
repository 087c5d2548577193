// SPDX-License-Identifier: GPL-2.0
/*
 * ktlsh - handshaked's command line tool, iproute2 style:
 *   ktlsh probe [-j]     what this kernel offers for TLS offload
 * (client, server, serve, bench and stat arrive with their issues.)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "handshaked/kabi.h"
#include "handshaked/probe.h"
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
		"  ktlsh -h                      this help\n");
}

struct probe_row {
	const char *key;
	const char *what;
	int err;
};

static int cmd_probe(int argc, char **argv)
{
	struct probe_row rows[] = {
		{ "ktls", "kTLS (TCP_ULP \"tls\")", 0 },
		{ "handshake_family", "netlink family \"handshake\", group \"tlshd\"", 0 },
	};
	int json = 0;
	size_t i;

	for (i = 1; i < (size_t)argc; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			json = 1;
		} else {
			usage(stderr);
			return 1;
		}
	}
	rows[0].err = hsd_probe_ulp_tls();
	rows[1].err = hsd_probe_genl(HANDSHAKE_FAMILY_NAME,
				     HANDSHAKE_MCGRP_TLSHD, NULL, NULL);
	if (json) {
		printf("{");
		for (i = 0; i < ARRAY_SIZE(rows); i++)
			printf("%s\"%s\":{\"present\":%s,\"detail\":\"%s\"}",
			       i ? "," : "", rows[i].key,
			       rows[i].err ? "false" : "true",
			       hsd_probe_strerror(rows[i].err));
		printf("}\n");
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(rows); i++)
		printf("%-46s %s\n", rows[i].what,
		       hsd_probe_strerror(rows[i].err));
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
	if (!strcmp(argv[1], "client") || !strcmp(argv[1], "server")) {
		struct hsd_crypto *cr;
		int rc;

		if (hsd_crypto_new(&cr)) {
			fprintf(stderr, "ktlsh: libcrypto initialisation failed\n");
			return 1;
		}
		rc = argv[1][0] == 'c' ? cmd_client(argc - 1, argv + 1, cr) :
					 cmd_server(argc - 1, argv + 1, cr);
		hsd_crypto_free(cr);
		return rc;
	}
	fprintf(stderr, "ktlsh: unknown object \"%s\"\n", argv[1]);
	usage(stderr);
	return 1;
}
