// SPDX-License-Identifier: GPL-2.0
/*
 * The comparison: OpenSSL's libssl doing hs_inmem.c's handshakes in memory
 * (memory BIOs, one thread), with the same arguments. Links libssl; the
 * product never does.
 *
 *   hs_libssl CERTDIR 1.2|1.3 ec|rsa full|ticket|id warm|cold SECONDS
 *
 * libssl keeps no verified-chain cache: its X509_STORE holds the parsed
 * trust anchors (as ours does) and every handshake parses and verifies the
 * peer's chain, so warm and cold are the same work here; the argument is
 * taken for symmetry. Resumption as in hs_inmem.c: TLS 1.3 one ticket per
 * handshake (psk_dhe_ke, libssl's default); TLS 1.2 tickets (libssl does
 * not renew a ticket it resumed from, our server sends a new one: more
 * work on our side) or session IDs (libssl's internal server cache).
 * The server's calls (SSL_new, SSL_do_handshake, its BIO reads and writes,
 * SSL_free) are timed apart from the client's, as in hs_inmem.c.
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

static void lap(double *acc, double *t)
{
	double n = now();

	*acc += n - *t;
	*t = n;
}

struct split {
	double server, client;
};

/* bytes @from wrote, read by its side, written into @to by the other */
static void move(SSL *from, SSL *to, double *from_acc, double *to_acc,
		 double *t)
{
	char buf[16384];
	int n;

	for (;;) {
		n = BIO_read(SSL_get_wbio(from), buf, sizeof(buf));
		lap(from_acc, t);
		if (n <= 0)
			break;
		BIO_write(SSL_get_rbio(to), buf, n);
		lap(to_acc, t);
	}
}

static int handshake(SSL_CTX *cctx, SSL_CTX *sctx, SSL_SESSION **sess,
		     struct split *t, bool *resumed)
{
	SSL *c, *s;
	double t0 = now();
	char buf[1];
	int rounds, err = -1;

	c = SSL_new(cctx);
	SSL_set_bio(c, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
	SSL_set_connect_state(c);
	SSL_set_tlsext_host_name(c, "server.test");
	SSL_set1_host(c, "server.test");
	if (sess && *sess)
		SSL_set_session(c, *sess);
	lap(&t->client, &t0);
	s = SSL_new(sctx);
	SSL_set_bio(s, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
	SSL_set_accept_state(s);
	lap(&t->server, &t0);
	for (rounds = 0; rounds < 10; rounds++) {
		SSL_do_handshake(c);
		lap(&t->client, &t0);
		move(c, s, &t->client, &t->server, &t0);
		SSL_do_handshake(s);
		lap(&t->server, &t0);
		move(s, c, &t->server, &t->client, &t0);
		if (SSL_is_init_finished(c) && SSL_is_init_finished(s))
			break;
	}
	/* TLS 1.3: the client reads the tickets after the handshake */
	SSL_read(c, buf, sizeof(buf));
	lap(&t->client, &t0);
	if (!SSL_is_init_finished(c) || !SSL_is_init_finished(s)) {
		ERR_print_errors_fp(stderr);
		goto out;
	}
	*resumed = SSL_session_reused(c) && SSL_session_reused(s);
	if (sess) {
		SSL_SESSION_free(*sess);
		*sess = SSL_get1_session(c);
		if (!*sess || !SSL_SESSION_is_resumable(*sess)) {
			fprintf(stderr, "client: no session to resume\n");
			goto out;
		}
	}
	err = 0;
out:
	/*
	 * Closed as a connection that ended well (ours sends no close_notify
	 * either): libssl makes the session of a connection freed without
	 * a shutdown unresumable, and takes it out of the server's cache.
	 */
	t0 = now();
	SSL_set_shutdown(c, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_free(c);
	lap(&t->client, &t0);
	SSL_set_shutdown(s, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_free(s);
	lap(&t->server, &t0);
	return err;
}

int main(int argc, char **argv)
{
	SSL_CTX *cctx, *sctx;
	SSL_SESSION *sess = NULL;
	struct split t = { 0 };
	const char *kind, *mode;
	char p[512], q[512];
	bool v12, resume, resumed;
	double t0, t1, secs;
	long n = 0;

	if (argc != 7) {
		fprintf(stderr, "usage: hs_libssl CERTDIR 1.2|1.3 ec|rsa full|ticket|id "
			"warm|cold SECONDS\n");
		return 2;
	}
	v12 = !strcmp(argv[2], "1.2");
	kind = !strcmp(argv[3], "rsa") ? "rsa" : "ec";
	mode = argv[4];
	resume = strcmp(mode, "full");
	secs = atof(argv[6]);
	if (!v12 && !strcmp(mode, "id"))
		return 2;
	cctx = SSL_CTX_new(TLS_client_method());
	sctx = SSL_CTX_new(TLS_server_method());
	snprintf(p, sizeof(p), "%s/server-%s.pem", argv[1], kind);
	snprintf(q, sizeof(q), "%s/server-%s.key", argv[1], kind);
	if (SSL_CTX_use_certificate_chain_file(sctx, p) != 1 ||
	    SSL_CTX_use_PrivateKey_file(sctx, q, SSL_FILETYPE_PEM) != 1)
		return 1;
	snprintf(p, sizeof(p), "%s/ca.pem", argv[1]);
	SSL_CTX_load_verify_locations(cctx, p, NULL);
	SSL_CTX_set_verify(cctx, SSL_VERIFY_PEER, NULL);
	/* the client keeps its session itself (SSL_get1_session) */
	SSL_CTX_set_session_cache_mode(cctx, SSL_SESS_CACHE_OFF);
	if (!strcmp(mode, "id")) {
		SSL_CTX_set_session_cache_mode(sctx, SSL_SESS_CACHE_SERVER);
		SSL_CTX_set_options(sctx, SSL_OP_NO_TICKET);
		SSL_CTX_set_options(cctx, SSL_OP_NO_TICKET);
	} else if (!strcmp(mode, "ticket")) {
		SSL_CTX_set_session_cache_mode(sctx, SSL_SESS_CACHE_OFF);
		SSL_CTX_set_num_tickets(sctx, 1);
	} else {
		SSL_CTX_set_session_cache_mode(sctx, SSL_SESS_CACHE_OFF);
		SSL_CTX_set_options(sctx, SSL_OP_NO_TICKET);
		SSL_CTX_set_num_tickets(sctx, 0);
	}
	if (v12) {
		SSL_CTX_set_max_proto_version(cctx, TLS1_2_VERSION);
		SSL_CTX_set_cipher_list(cctx, strcmp(kind, "rsa") ?
					"ECDHE-ECDSA-AES128-GCM-SHA256" :
					"ECDHE-RSA-AES128-GCM-SHA256");
		SSL_CTX_set1_groups_list(cctx, "P-256");
		SSL_CTX_set1_groups_list(sctx, "P-256");
	} else {
		SSL_CTX_set_min_proto_version(cctx, TLS1_3_VERSION);
		SSL_CTX_set_ciphersuites(cctx, "TLS_AES_128_GCM_SHA256");
		SSL_CTX_set1_groups_list(cctx, "X25519");
		SSL_CTX_set1_groups_list(sctx, "X25519");
	}
	if (resume) {
		struct split ignored = { 0 };

		if (handshake(cctx, sctx, &sess, &ignored, &resumed))
			return 1;
	}
	t0 = now();
	do {
		if (handshake(cctx, sctx, resume ? &sess : NULL, &t, &resumed))
			return 1;
		if (resumed != resume) {
			fprintf(stderr, "handshake %ld: %s\n", n,
				resume ? "not resumed" : "resumed");
			return 1;
		}
		n++;
		t1 = now();
	} while (t1 - t0 < secs);
	printf("{\"handshakes\": %ld, \"seconds\": %.3f, \"per_second\": %.1f, "
	       "\"server_us\": %.2f, \"client_us\": %.2f, \"server_per_second\": %.1f, "
	       "\"libcrypto\": \"%s\"}\n",
	       n, t1 - t0, n / (t1 - t0), t.server / n * 1e6, t.client / n * 1e6,
	       n / t.server, OpenSSL_version(OPENSSL_VERSION));
	SSL_SESSION_free(sess);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
	return 0;
}
