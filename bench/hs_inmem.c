// SPDX-License-Identifier: GPL-2.0
/*
 * Full handshakes per second, in memory, one thread: our engine
 * (client + server in one loop). Same certificates, suite and group as
 * hs_libssl.c, which measures OpenSSL's libssl doing the same.
 *
 *   hs_inmem CERTDIR 1.2|1.3 SECONDS
 * Prints: {"handshakes": N, "seconds": S, "per_second": R}
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "selftests/engine/common.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const uint16_t s12 = HS_ECDHE_ECDSA_AES_128_GCM_SHA256;
	static const uint16_t s13 = HS_TLS_AES_128_GCM_SHA256;
	static const uint16_t g256 = HSD_GROUP_SECP256R1, gx = HSD_GROUP_X25519;
	struct hsd_crypto *cr;
	struct hsd_x509_store *trust;
	struct hsd_cert_chain chain;
	struct hsd_pkey *key;
	struct hs_config cc = { 0 }, sc = { 0 };
	struct hs_conn *c, *s;
	char p[512];
	bool v12;
	double t0, t1, secs;
	long n = 0;

	if (argc != 4)
		return 2;
	v12 = !strcmp(argv[2], "1.2");
	secs = atof(argv[3]);
	snprintf(p, sizeof(p), "%s/server-ec.pem", argv[1]);
	if (hsd_crypto_new(&cr) || hsd_cert_chain_load(p, &chain))
		return 1;
	snprintf(p, sizeof(p), "%s/server-ec.key", argv[1]);
	if (hsd_pkey_load_private(cr, p, &key))
		return 1;
	snprintf(p, sizeof(p), "%s/ca.pem", argv[1]);
	if (hsd_x509_store_new(cr, p, NULL, NULL, &trust))
		return 1;
	cc.crypto = sc.crypto = cr;
	cc.role = HS_CLIENT;
	sc.role = HS_SERVER;
	cc.trust = trust;
	cc.server_name = "server.test";
	cc.suites = v12 ? &s12 : &s13;
	cc.n_suites = 1;
	cc.groups = v12 ? &g256 : &gx;
	cc.n_groups = 1;
	sc.groups = cc.groups;
	sc.n_groups = 1;
	sc.chain = &chain;
	sc.key = key;
	t0 = now();
	do {
		if (hs_conn_new(&cc, &c) || hs_conn_new(&sc, &s) || hs_start(c) ||
		    pump(c, s)) {
			fprintf(stderr, "handshake failed\n");
			return 1;
		}
		hs_conn_free(c);
		hs_conn_free(s);
		n++;
		t1 = now();
	} while (t1 - t0 < secs);
	printf("{\"handshakes\": %ld, \"seconds\": %.3f, \"per_second\": %.1f}\n",
	       n, t1 - t0, n / (t1 - t0));
	return 0;
}
