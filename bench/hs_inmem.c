// SPDX-License-Identifier: GPL-2.0
/*
 * Handshakes per second, in memory, one thread: our engine, client and
 * server in one loop. hs_libssl.c measures OpenSSL's libssl doing the same
 * work with the same arguments, certificates, suites and groups.
 *
 *   hs_inmem CERTDIR 1.2|1.3 ec|rsa full|ticket|id warm|cold SECONDS
 *
 * ec: ECDSA P-256 server certificate, rsa: RSA-2048 (PSS in TLS 1.3).
 * TLS 1.3: TLS_AES_128_GCM_SHA256 and X25519; TLS 1.2: ECDHE-ECDSA or
 * ECDHE-RSA with AES-128-GCM and P-256.
 * full: no tickets and no session cache, every handshake full;
 * ticket: each handshake resumes with the newest ticket the last one gave
 * (TLS 1.3: one ticket per handshake, psk_dhe_ke; TLS 1.2: RFC 5077);
 * id: TLS 1.2 resumption by session ID (the server's cache).
 * warm: the client's trust store caches parsed certificates and verified
 * chains (what handshaked and ktlsh do); cold: it caches nothing, so each
 * handshake parses and verifies the chain as libssl does. The server side
 * verifies nothing (no client certificates): cold and warm differ only on
 * the client.
 *
 * The server's calls (its hs_conn_new, hs_input, hs_output and
 * hs_conn_free) are timed apart from the client's: server_us is the
 * server's share of each handshake, the figure rustls publishes. The
 * server draws its random bytes from a page refilled by one libcrypto
 * call (hsd_rand_pool), as ktlsh server and handshaked do; the refills
 * are inside its timed calls.
 *
 * Prints: {"handshakes": N, "seconds": S, "per_second": R,
 *          "server_us": U, "client_us": V, "server_per_second": W,
 *          "libcrypto": the OpenSSL it ran on}
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

/* adds the time since *t to *acc and restarts *t */
static void lap(double *acc, double *t)
{
	double n = now();

	*acc += n - *t;
	*t = n;
}

static uint64_t wall_ms(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct split {
	double server, client;
};

static int failed(const char *who, const struct hs_conn *c)
{
	const char *why = NULL;
	uint8_t alert = 0;
	bool rx = false;

	if (c && hs_error(c, &alert, &rx, &why))
		fprintf(stderr, "%s: %s (alert %u%s)\n", who, why ? why : "failed",
			alert, rx ? ", received" : "");
	else
		fprintf(stderr, "%s: handshake did not finish\n", who);
	return -1;
}

/*
 * One handshake. Server output the client takes after it is done (TLS
 * 1.3 tickets) goes through hs_app_read, as a connection reads it. With
 * @sess, the client offers it and it is replaced by the newest session.
 */
static int handshake(const struct hs_config *cc, const struct hs_config *sc,
		     struct hs_session *sess, struct split *t, bool *resumed)
{
	static uint8_t buf[16384];
	struct hs_conn *c = NULL, *s = NULL;
	const uint8_t *p;
	size_t n, used, outlen;
	double t0 = now();
	int rounds, err = -1;

	if (hs_conn_new(cc, &c) || hs_start(c))
		goto out;
	lap(&t->client, &t0);
	if (hs_conn_new(sc, &s))
		goto out;
	lap(&t->server, &t0);
	for (rounds = 0; rounds < 16; rounds++) {
		n = hs_output(c, &p);
		lap(&t->client, &t0);
		used = 0;
		if (n && hs_input(s, p, n, &used) < 0)
			break;
		lap(&t->server, &t0);
		hs_output_consumed(c, used);
		lap(&t->client, &t0);
		n = hs_output(s, &p);
		lap(&t->server, &t0);
		if (!n && hs_is_done(c) && hs_is_done(s))
			break;
		used = 0;
		if (n && !hs_is_done(c) && hs_input(c, p, n, &used) < 0)
			break;
		while (n > used && hs_is_done(c)) {
			size_t u = 0;

			if (hs_app_read(c, p + used, n - used, &u, buf, sizeof(buf),
					&outlen) < 0 || !u)
				break;
			used += u;
		}
		lap(&t->client, &t0);
		hs_output_consumed(s, used);
		lap(&t->server, &t0);
	}
	if (!hs_is_done(c) || hs_error(c, NULL, NULL, NULL)) {
		failed("client", c);
		goto out;
	}
	if (!hs_is_done(s) || hs_error(s, NULL, NULL, NULL)) {
		failed("server", s);
		goto out;
	}
	*resumed = hs_params(s)->resumed && hs_params(c)->resumed;
	if (sess && hs_get_session(c, sess)) {
		fprintf(stderr, "client: no session to resume\n");
		goto out;
	}
	err = 0;
out:
	t0 = now();
	hs_conn_free(c);
	lap(&t->client, &t0);
	hs_conn_free(s);
	lap(&t->server, &t0);
	return err;
}

int main(int argc, char **argv)
{
	static const uint16_t s12e = HS_ECDHE_ECDSA_AES_128_GCM_SHA256;
	static const uint16_t s12r = HS_ECDHE_RSA_AES_128_GCM_SHA256;
	static const uint16_t s13 = HS_TLS_AES_128_GCM_SHA256;
	static const uint16_t g256 = HSD_GROUP_SECP256R1, gx = HSD_GROUP_X25519;
	static struct hs_session sess;
	struct hsd_crypto *cr;
	struct hsd_x509_store *trust;
	struct hs_ticket_keys *tk = NULL;
	struct hs_session_cache *cache = NULL;
	struct hsd_rand_pool *pool = NULL;
	struct hsd_cert_chain chain;
	struct hsd_pkey *key;
	struct hs_config cc = { 0 }, sc = { 0 };
	struct split t = { 0 };
	const char *kind, *mode;
	char p[512];
	bool v12, resumed, resume;
	double t0, t1, secs;
	long n = 0;

	if (argc != 7) {
		fprintf(stderr, "usage: hs_inmem CERTDIR 1.2|1.3 ec|rsa full|ticket|id "
			"warm|cold SECONDS\n");
		return 2;
	}
	v12 = !strcmp(argv[2], "1.2");
	kind = !strcmp(argv[3], "rsa") ? "rsa" : "ec";
	mode = argv[4];
	resume = strcmp(mode, "full");
	secs = atof(argv[6]);
	if (!v12 && !strcmp(mode, "id")) {
		fprintf(stderr, "TLS 1.3 resumes by ticket only\n");
		return 2;
	}
	snprintf(p, sizeof(p), "%s/server-%s.pem", argv[1], kind);
	if (hsd_crypto_new(&cr) || hsd_cert_chain_load(p, &chain))
		return 1;
	snprintf(p, sizeof(p), "%s/server-%s.key", argv[1], kind);
	if (hsd_pkey_load_private(cr, p, &key))
		return 1;
	snprintf(p, sizeof(p), "%s/ca.pem", argv[1]);
	if (hsd_x509_store_new(cr, p, NULL, NULL, &trust))
		return 1;
	hsd_x509_store_set_cache(trust, strcmp(argv[5], "cold"));
	cc.crypto = sc.crypto = cr;
	cc.role = HS_CLIENT;
	sc.role = HS_SERVER;
	cc.trust = trust;
	cc.server_name = "server.test";
	cc.suites = v12 ? (strcmp(kind, "rsa") ? &s12e : &s12r) : &s13;
	cc.n_suites = 1;
	/* one version offered, as hs_libssl's client does */
	cc.min_version = v12 ? HS_TLS12 : HS_TLS13;
	cc.max_version = v12 ? HS_TLS12 : HS_TLS13;
	cc.groups = v12 ? &g256 : &gx;
	cc.n_groups = 1;
	sc.groups = cc.groups;
	sc.n_groups = 1;
	sc.chain = &chain;
	sc.key = key;
	cc.now = sc.now = wall_ms;
	if (!strcmp(mode, "ticket") &&
	    hs_ticket_keys_new(cr, 7200, 3600, wall_ms, NULL, &tk))
		return 1;
	if (!strcmp(mode, "id") &&
	    hs_session_cache_new(1024, 7200, wall_ms, NULL, &cache))
		return 1;
	sc.ticket_keys = tk;
	sc.session_cache = cache;
	/*
	 * Random bytes as ktlsh server and handshaked draw them: from a page
	 * refilled by one libcrypto call (its refills are timed too)
	 */
	if (hsd_rand_pool_new(&pool))
		return 1;
	sc.rand_pool = pool;
	/* resumption: the first (full) handshake gives the session */
	if (resume) {
		struct split ignored = { 0 };

		if (handshake(&cc, &sc, &sess, &ignored, &resumed))
			return 1;
		cc.resume = &sess;
	}
	t0 = now();
	do {
		if (handshake(&cc, &sc, resume ? &sess : NULL, &t, &resumed))
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
	       n / t.server, hsd_crypto_version());
	hs_ticket_keys_free(tk);
	hs_session_cache_free(cache);
	hsd_rand_pool_free(pool);
	return 0;
}
