// SPDX-License-Identifier: GPL-2.0
/*
 * The comparison: OpenSSL's libssl doing the same full handshakes in
 * memory (memory BIOs, one thread). Links libssl; the product never does.
 *
 *   hs_libssl CERTDIR 1.2|1.3 SECONDS
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void move(SSL *from, SSL *to)
{
	char buf[16384];
	int n;

	while ((n = BIO_read(SSL_get_wbio(from), buf, sizeof(buf))) > 0)
		BIO_write(SSL_get_rbio(to), buf, n);
}

int main(int argc, char **argv)
{
	SSL_CTX *cctx, *sctx;
	char p[512], q[512];
	bool v12;
	double t0, t1, secs;
	long n = 0;
	int rounds;

	if (argc != 4)
		return 2;
	v12 = !strcmp(argv[2], "1.2");
	secs = atof(argv[3]);
	cctx = SSL_CTX_new(TLS_client_method());
	sctx = SSL_CTX_new(TLS_server_method());
	snprintf(p, sizeof(p), "%s/server-ec.pem", argv[1]);
	snprintf(q, sizeof(q), "%s/server-ec.key", argv[1]);
	if (SSL_CTX_use_certificate_chain_file(sctx, p) != 1 ||
	    SSL_CTX_use_PrivateKey_file(sctx, q, SSL_FILETYPE_PEM) != 1)
		return 1;
	snprintf(p, sizeof(p), "%s/ca.pem", argv[1]);
	SSL_CTX_load_verify_locations(cctx, p, NULL);
	SSL_CTX_set_verify(cctx, SSL_VERIFY_PEER, NULL);
	/* full handshakes only: no tickets, no session cache */
	SSL_CTX_set_session_cache_mode(cctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_session_cache_mode(sctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(sctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(sctx, 0);
	if (v12) {
		SSL_CTX_set_max_proto_version(cctx, TLS1_2_VERSION);
		SSL_CTX_set_cipher_list(cctx, "ECDHE-ECDSA-AES128-GCM-SHA256");
		SSL_CTX_set1_groups_list(cctx, "P-256");
		SSL_CTX_set1_groups_list(sctx, "P-256");
	} else {
		SSL_CTX_set_min_proto_version(cctx, TLS1_3_VERSION);
		SSL_CTX_set_ciphersuites(cctx, "TLS_AES_128_GCM_SHA256");
		SSL_CTX_set1_groups_list(cctx, "X25519");
		SSL_CTX_set1_groups_list(sctx, "X25519");
	}
	t0 = now();
	do {
		SSL *c = SSL_new(cctx), *s = SSL_new(sctx);

		SSL_set_bio(c, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
		SSL_set_bio(s, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
		SSL_set_connect_state(c);
		SSL_set_accept_state(s);
		SSL_set_tlsext_host_name(c, "server.test");
		SSL_set1_host(c, "server.test");
		for (rounds = 0; rounds < 10; rounds++) {
			SSL_do_handshake(c);
			move(c, s);
			SSL_do_handshake(s);
			move(s, c);
			if (SSL_is_init_finished(c) && SSL_is_init_finished(s))
				break;
		}
		if (!SSL_is_init_finished(c) || !SSL_is_init_finished(s)) {
			ERR_print_errors_fp(stderr);
			return 1;
		}
		SSL_free(c);
		SSL_free(s);
		n++;
		t1 = now();
	} while (t1 - t0 < secs);
	printf("{\"handshakes\": %ld, \"seconds\": %.3f, \"per_second\": %.1f}\n",
	       n, t1 - t0, n / (t1 - t0));
	return 0;
}
