// SPDX-License-Identifier: GPL-2.0
/* TLS 1.3 in memory, client <-> server (RFC 8446). */
#include "kselftest_harness.h"

#include "selftests/engine/common.h"
#include "handshaked/util.h"
#include "handshaked/tls/internal.h"
#include "handshaked/tls/ext.h"

FIXTURE(tls13)
{
	struct hsd_crypto *cr;
	struct hsd_x509_store *trust;
	struct cred server, client;
	struct hs_config ccfg, scfg;
	struct hs_conn *cl, *sv;
	struct trace ct, st;
};

FIXTURE_SETUP(tls13)
{
	ASSERT_EQ(0, hsd_crypto_new(&self->cr));
	ASSERT_EQ(0, hsd_x509_store_new(self->cr, HSD_CERTS "/ca.pem", NULL,
					NULL, &self->trust));
	ASSERT_EQ(0, cred_load(self->cr, "server-ec", &self->server));
	ASSERT_EQ(0, cred_load(self->cr, "client-ec", &self->client));
	memset(&self->ccfg, 0, sizeof(self->ccfg));
	self->ccfg.crypto = self->cr;
	self->ccfg.role = HS_CLIENT;
	self->ccfg.min_version = HS_TLS13;
	self->ccfg.trust = self->trust;
	self->ccfg.server_name = "server.test";
	self->ccfg.trace = trace_cb;
	self->ccfg.trace_arg = &self->ct;
	memset(&self->scfg, 0, sizeof(self->scfg));
	self->scfg.crypto = self->cr;
	self->scfg.role = HS_SERVER;
	self->scfg.chain = &self->server.chain;
	self->scfg.key = self->server.key;
	self->scfg.trust = self->trust;
	self->scfg.trace = trace_cb;
	self->scfg.trace_arg = &self->st;
	memset(&self->ct, 0, sizeof(self->ct));
	memset(&self->st, 0, sizeof(self->st));
	self->cl = self->sv = NULL;
}

FIXTURE_TEARDOWN(tls13)
{
	hs_conn_free(self->cl);
	hs_conn_free(self->sv);
	cred_free(&self->server);
	cred_free(&self->client);
	hsd_x509_store_free(self->trust);
	hsd_crypto_free(self->cr);
}

/* both ends freed, for the next handshake of the same test */
static void drop_conns(FIXTURE_DATA(tls13) *self)
{
	hs_conn_free(self->cl);
	hs_conn_free(self->sv);
	self->cl = self->sv = NULL;
}

static int run(struct __test_metadata *_metadata, FIXTURE_DATA(tls13) *self)
{
	const char *why;
	uint8_t alert;

	if (hs_conn_new(&self->ccfg, &self->cl) ||
	    hs_conn_new(&self->scfg, &self->sv) || hs_start(self->cl))
		return -1;
	if (pump(self->cl, self->sv)) {
		if (hs_error(self->cl, &alert, NULL, &why))
			TH_LOG("client: %s (%s)", why, hs_alert_name(alert));
		if (hs_error(self->sv, &alert, NULL, &why))
			TH_LOG("server: %s (%s)", why, hs_alert_name(alert));
		return -1;
	}
	return 0;
}

/* the first of the engine's default groups this libcrypto has */
static uint16_t default_group(FIXTURE_DATA(tls13) *self)
{
	return hsd_group_supported(self->cr, HSD_GROUP_X25519MLKEM768) ?
	       HSD_GROUP_X25519MLKEM768 : HSD_GROUP_X25519;
}

/* both directions' keys agree: client tx = server rx and vice versa */
static void keys_agree(struct __test_metadata *_metadata,
		       FIXTURE_DATA(tls13) *self)
{
	struct hs_traffic a, b;

	ASSERT_EQ(0, hs_traffic(self->cl, true, &a));
	ASSERT_EQ(0, hs_traffic(self->sv, false, &b));
	EXPECT_EQ(0, memcmp(a.key, b.key, a.aead->key_len));
	EXPECT_EQ(0, memcmp(a.iv, b.iv, sizeof(a.iv)));
	EXPECT_EQ(a.seq, b.seq);
	ASSERT_EQ(0, hs_traffic(self->sv, true, &a));
	ASSERT_EQ(0, hs_traffic(self->cl, false, &b));
	EXPECT_EQ(0, memcmp(a.key, b.key, a.aead->key_len));
	EXPECT_EQ(a.seq, b.seq);
}

TEST_F(tls13, full_handshake_message_order)
{
	ASSERT_EQ(0, run(_metadata, self));
	EXPECT_EQ(HS_TLS13, hs_params(self->cl)->version);
	EXPECT_EQ(HS_TLS_AES_128_GCM_SHA256, hs_params(self->cl)->suite->id);
	EXPECT_EQ(default_group(self), hs_params(self->sv)->group);
	EXPECT_TRUE(hs_params(self->cl)->peer_authenticated);
	/* RFC 8446 2: CH; SH EE Cert CV Fin; Fin */
	EXPECT_STREQ(">1 <2 <8 <11 <15 <20 >20", self->ct.log);
	EXPECT_STREQ("<1 >2 >8 >11 >15 >20 <20", self->st.log);
	keys_agree(_metadata, self);
}


/* move whatever @from has queued into @to's record layer */
static size_t deliver(struct __test_metadata *_metadata, struct hs_conn *from,
		      struct hs_conn *to, uint8_t *out, size_t cap)
{
	const uint8_t *p;
	size_t n, used, got = 0, total = 0;

	while ((n = hs_output(from, &p))) {
		EXPECT_EQ(0, hs_app_read(to, p, n, &used, out + total,
					 cap - total, &got));
		hs_output_consumed(from, used);
		total += got;
		if (!used)
			break;
	}
	return total;
}

static void ok(struct __test_metadata *_metadata, FIXTURE_DATA(tls13) *self)
{
	uint8_t buf[64];

	ASSERT_EQ(0, run(_metadata, self));
	/* post-handshake records (tickets) reach the client first */
	EXPECT_EQ(0U, deliver(_metadata, self->sv, self->cl, buf, sizeof(buf)));
	keys_agree(_metadata, self);
}

/* Expect the handshake to fail with @alert sent by @by (client or server). */
static void fails_with(struct __test_metadata *_metadata,
		       FIXTURE_DATA(tls13) *self, bool by_client, uint8_t alert)
{
	uint8_t a = 0;
	bool rcvd = true;

	ASSERT_NE(0, run(_metadata, self));
	ASSERT_NE(0, hs_error(by_client ? self->cl : self->sv, &a, &rcvd, NULL));
	EXPECT_FALSE(rcvd);
	EXPECT_EQ(alert, a) TH_LOG("got %s", hs_alert_name(a));
	/* the peer received it, unless it had finished (then it is data) */
	if (hs_is_done(by_client ? self->sv : self->cl))
		return;
	ASSERT_NE(0, hs_error(by_client ? self->sv : self->cl, &a, &rcvd, NULL));
	EXPECT_TRUE(rcvd);
	EXPECT_EQ(alert, a);
}

/*
 * A suite list that leaves nothing to offer or accept (empty, only
 * unknown code points, or only suites of versions not enabled) is a
 * configuration error, said at once: a client would send an empty
 * cipher_suites (RFC 8446 4.1.2 needs at least one) and a server could
 * only refuse every peer.
 */
TEST_F(tls13, suite_list_with_nothing_usable_is_refused)
{
	static const uint16_t unknown[] = { 0x1234, 0xff00 };
	static const uint16_t tls12_only[] = { 0xc02b };	/* ECDHE-ECDSA-AES128-GCM */
	static const uint16_t one[] = { HS_TLS_AES_256_GCM_SHA384 };

	self->ccfg.suites = one;
	self->ccfg.n_suites = 0;
	EXPECT_EQ(-EINVAL, hs_conn_new(&self->ccfg, &self->cl));
	self->scfg.suites = unknown;
	self->scfg.n_suites = ARRAY_SIZE(unknown);
	EXPECT_EQ(-EINVAL, hs_conn_new(&self->scfg, &self->sv));
	/* the client allows TLS 1.3 only (fixture) */
	self->ccfg.suites = tls12_only;
	self->ccfg.n_suites = ARRAY_SIZE(tls12_only);
	EXPECT_EQ(-EINVAL, hs_conn_new(&self->ccfg, &self->cl));
	EXPECT_EQ(NULL, self->cl);
	EXPECT_EQ(NULL, self->sv);
	/* one usable suite is enough, and it is what both agree on */
	self->ccfg.suites = one;
	self->ccfg.n_suites = ARRAY_SIZE(one);
	self->scfg.suites = NULL;
	self->scfg.n_suites = 0;
	ok(_metadata, self);
	EXPECT_EQ(HS_TLS_AES_256_GCM_SHA384, hs_params(self->sv)->suite->id);
}

TEST_F(tls13, every_suite)
{
	static const uint16_t suites[] = {
		HS_TLS_AES_128_GCM_SHA256, HS_TLS_AES_256_GCM_SHA384,
		HS_TLS_CHACHA20_POLY1305_SHA256, HS_TLS_AES_128_CCM_SHA256,
	};
	size_t i;

	for (i = 0; i < 4; i++) {
		self->ccfg.suites = &suites[i];
		self->ccfg.n_suites = 1;
		ok(_metadata, self);
		EXPECT_EQ(suites[i], hs_params(self->sv)->suite->id);
		drop_conns(self);
	}
}

TEST_F(tls13, every_group)
{
	static const uint16_t groups[] = {
		HSD_GROUP_X25519, HSD_GROUP_SECP256R1, HSD_GROUP_SECP384R1,
		HSD_GROUP_SECP521R1, HSD_GROUP_X448,
		HSD_GROUP_FFDHE2048, HSD_GROUP_FFDHE3072,
		HSD_GROUP_X25519MLKEM768,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(groups); i++) {
		if (!hsd_group_supported(self->cr, groups[i]))
			continue;	/* ML-KEM: OpenSSL >= 3.5 */
		self->ccfg.groups = &groups[i];
		self->ccfg.n_groups = 1;
		memset(&self->ct, 0, sizeof(self->ct));
		ok(_metadata, self);
		EXPECT_EQ(groups[i], hs_params(self->sv)->group);
		EXPECT_STREQ(">1 <2 <8 <11 <15 <20 >20", self->ct.log);
		drop_conns(self);
	}
}

static bool have_mlkem(FIXTURE_DATA(tls13) *self)
{
	return hsd_group_supported(self->cr, HSD_GROUP_X25519MLKEM768);
}

/*
 * X25519MLKEM768 by default where libcrypto has ML-KEM: the client sends its
 * share and X25519's, so a server with either needs no HelloRetryRequest.
 */
TEST_F(tls13, x25519mlkem768_by_default_without_hrr_either_way)
{
	static const uint16_t x25519[] = { HSD_GROUP_X25519 };
	static const uint16_t hybrid[] = { HSD_GROUP_X25519MLKEM768 };
	const uint16_t *sg[] = { NULL, hybrid, x25519 };
	const uint16_t want[] = { HSD_GROUP_X25519MLKEM768,
				  HSD_GROUP_X25519MLKEM768, HSD_GROUP_X25519 };
	size_t i;

	if (!have_mlkem(self))
		SKIP(return, "this libcrypto has no ML-KEM (OpenSSL < 3.5)");
	for (i = 0; i < 3; i++) {
		self->scfg.groups = sg[i];
		self->scfg.n_groups = sg[i] ? 1 : 0;
		memset(&self->ct, 0, sizeof(self->ct));
		ASSERT_EQ(0, run(_metadata, self));
		EXPECT_EQ(want[i], hs_params(self->cl)->group);
		EXPECT_EQ(want[i], hs_params(self->sv)->group);
		EXPECT_STREQ(">1 <2 <8 <11 <15 <20 >20", self->ct.log);
		EXPECT_FALSE(hs_params(self->cl)->hello_retry);
		EXPECT_FALSE(hs_params(self->sv)->hello_retry);
		keys_agree(_metadata, self);
		drop_conns(self);
	}
}

/*
 * Key shares made ahead (the daemon's idle time) are what both sides send,
 * each once; with the pools empty, keys are made on demand.
 */
TEST_F(tls13, key_shares_made_ahead_are_used_once)
{
	static const uint16_t x25519[] = { HSD_GROUP_X25519 };
	struct hsd_kex_pool *pc, *ps;
	struct hsd_kex *k;
	uint8_t pub[HSD_KEX_PUB_MAX];
	size_t n;
	int round;

	ASSERT_EQ(0, hsd_kex_pool_new(self->cr, HSD_GROUP_X25519, 1, &pc));
	ASSERT_EQ(0, hsd_kex_pool_new(self->cr, HSD_GROUP_X25519, 1, &ps));
	ASSERT_EQ(1, hsd_kex_pool_fill_one(pc));
	ASSERT_EQ(1, hsd_kex_pool_fill_one(ps));
	self->ccfg.groups = self->scfg.groups = x25519;
	self->ccfg.n_groups = self->scfg.n_groups = 1;
	self->ccfg.kex_pool = pc;
	self->scfg.kex_pool = ps;
	for (round = 0; round < 2; round++) {
		ASSERT_EQ(0, run(_metadata, self));
		EXPECT_EQ(HSD_GROUP_X25519, hs_params(self->sv)->group);
		keys_agree(_metadata, self);
		/* taken by the handshake: nothing left in either pool */
		EXPECT_FALSE(hsd_kex_pool_full(pc));
		EXPECT_FALSE(hsd_kex_pool_full(ps));
		EXPECT_EQ(-ENOENT, hsd_kex_pool_take(pc, HSD_GROUP_X25519, &k,
						     pub, &n));
		drop_conns(self);
	}
	hsd_kex_pool_free(pc);
	hsd_kex_pool_free(ps);
}

/*
 * Records of @p[0..n): how many protected (application_data) ones, the
 * largest protected length; -1 on a torn record.
 */
static int count_protected(const uint8_t *p, size_t n, size_t *largest)
{
	size_t len;
	int k = 0;

	*largest = 0;
	while (n) {
		if (n < 5)
			return -1;
		len = (size_t)p[3] << 8 | p[4];
		if (n < 5 + len)
			return -1;
		if (p[0] == 23) {
			k++;
			if (len > *largest)
				*largest = len;
		}
		p += 5 + len;
		n -= 5 + len;
	}
	return k;
}

/*
 * RFC 8446 5.1: a flight's protected messages share records: the server's
 * EncryptedExtensions .. Finished (with a CertificateRequest) is one
 * record, the client's Certificate, CertificateVerify, Finished another;
 * with a small record_size_limit (RFC 8449) they split within it.
 */
TEST_F(tls13, protected_flight_shares_records)
{
	const uint8_t *p;
	size_t n, used, largest;
	int limit;

	for (limit = 0; limit < 2; limit++) {
		self->scfg.request_client_cert = true;
		self->ccfg.chain = &self->client.chain;
		self->ccfg.key = self->client.key;
		self->ccfg.record_size_limit = limit ? 256 : 0;
		ASSERT_EQ(0, hs_conn_new(&self->ccfg, &self->cl));
		ASSERT_EQ(0, hs_conn_new(&self->scfg, &self->sv));
		ASSERT_EQ(0, hs_start(self->cl));
		n = hs_output(self->cl, &p);
		ASSERT_EQ(0, hs_input(self->sv, p, n, &used));
		ASSERT_EQ(n, used);
		hs_output_consumed(self->cl, used);
		n = hs_output(self->sv, &p);
		if (!limit) {
			EXPECT_EQ(1, count_protected(p, n, &largest));
		} else {
			/* 256 counts the inner type: 255 + 1 + the 16-byte tag */
			EXPECT_LT(2, count_protected(p, n, &largest));
			EXPECT_GE(256U + 16U, largest);
		}
		ASSERT_EQ(0, hs_input(self->cl, p, n, &used));
		ASSERT_EQ(n, used);
		hs_output_consumed(self->sv, used);
		n = hs_output(self->cl, &p);
		EXPECT_EQ(1, count_protected(p, n, &largest));
		ASSERT_EQ(0, pump(self->cl, self->sv));
		EXPECT_TRUE(hs_params(self->sv)->peer_authenticated);
		keys_agree(_metadata, self);
		drop_conns(self);
	}
}

/*
 * RFC 8449 is optional: a server told to ignore record_size_limit (the
 * daemon, when kTLS cannot bound its records) neither answers it nor
 * bounds its records by it; otherwise it answers and keeps it.
 */
TEST_F(tls13, server_may_ignore_record_size_limit)
{
	int ignore;

	for (ignore = 0; ignore < 2; ignore++) {
		self->ccfg.record_size_limit = 256;
		self->scfg.ignore_record_size_limit = ignore;
		ASSERT_EQ(0, hs_conn_new(&self->ccfg, &self->cl));
		ASSERT_EQ(0, hs_conn_new(&self->scfg, &self->sv));
		ASSERT_EQ(0, hs_start(self->cl));
		ASSERT_EQ(0, pump(self->cl, self->sv));
		ASSERT_TRUE(hs_is_done(self->cl) && hs_is_done(self->sv));
		/* 256 counts the inner content type in TLS 1.3 */
		EXPECT_EQ(ignore ? 16384U : 255U, hs_tx_max_plaintext(self->sv));
		EXPECT_EQ(ignore ? 0 : 256, hs_params(self->sv)->peer_record_size_limit);
		EXPECT_EQ(ignore ? 0 : 16385, hs_params(self->cl)->peer_record_size_limit);
		keys_agree(_metadata, self);
		drop_conns(self);
	}
}

/* random bytes drawn ahead (the daemon's idle time) are what both sides use */
TEST_F(tls13, random_bytes_drawn_ahead_are_used)
{
	struct hsd_rand_pool *pc, *ps;
	size_t full, lc, ls;

	ASSERT_EQ(0, hsd_rand_pool_new(&pc));
	ASSERT_EQ(0, hsd_rand_pool_new(&ps));
	ASSERT_EQ(0, hsd_rand_pool_fill(pc));
	ASSERT_EQ(0, hsd_rand_pool_fill(ps));
	full = hsd_rand_pool_left(pc);
	self->ccfg.rand_pool = pc;
	self->scfg.rand_pool = ps;
	ASSERT_EQ(0, run(_metadata, self));
	keys_agree(_metadata, self);
	lc = hsd_rand_pool_left(pc);
	ls = hsd_rand_pool_left(ps);
	/* at least the hello randoms (RFC 8446 4.1.2, 4.1.3) came from them */
	EXPECT_LE(lc, full - 32);
	EXPECT_LE(ls, full - 32);
	drop_conns(self);
	ASSERT_EQ(0, run(_metadata, self));
	keys_agree(_metadata, self);
	EXPECT_LT(hsd_rand_pool_left(pc), lc);
	EXPECT_LT(hsd_rand_pool_left(ps), ls);
	hsd_rand_pool_free(pc);
	hsd_rand_pool_free(ps);
}

/* RFC 8446 4.1.4 with the hybrid: asked for by HelloRetryRequest, then sent */
TEST_F(tls13, x25519mlkem768_after_hello_retry_request)
{
	static const uint16_t cg[] = { HSD_GROUP_X25519,
				       HSD_GROUP_X25519MLKEM768 };
	static const uint16_t sg[] = { HSD_GROUP_X25519MLKEM768 };

	if (!have_mlkem(self))
		SKIP(return, "this libcrypto has no ML-KEM (OpenSSL < 3.5)");
	self->ccfg.groups = cg;
	self->ccfg.n_groups = 2;
	self->scfg.groups = sg;
	self->scfg.n_groups = 1;
	ASSERT_EQ(0, run(_metadata, self));
	EXPECT_EQ(HSD_GROUP_X25519MLKEM768, hs_params(self->cl)->group);
	/* CH; HRR; CH; SH EE Cert CV Fin; Fin */
	EXPECT_STREQ(">1 <2 >1 <2 <8 <11 <15 <20 >20", self->ct.log);
	keys_agree(_metadata, self);
}

/* draft-ietf-tls-ecdhe-mlkem 3: never in TLS 1.2, even when listed first */
TEST_F(tls13, x25519mlkem768_never_in_tls12)
{
	static const uint16_t g[] = { HSD_GROUP_X25519MLKEM768,
				      HSD_GROUP_X25519 };

	if (!have_mlkem(self))
		SKIP(return, "this libcrypto has no ML-KEM (OpenSSL < 3.5)");
	self->ccfg.min_version = HS_TLS12;
	self->ccfg.max_version = HS_TLS12;
	self->ccfg.groups = g;
	self->ccfg.n_groups = 2;
	self->scfg.groups = g;
	self->scfg.n_groups = 2;
	ASSERT_EQ(0, run(_metadata, self));
	EXPECT_EQ(HS_TLS12, hs_params(self->sv)->version);
	EXPECT_EQ(HSD_GROUP_X25519, hs_params(self->sv)->group);
}

/* RFC 8446 4.1.4: share for x25519, server only does P-256 */
TEST_F(tls13, hello_retry_request)
{
	static const uint16_t cg[] = { HSD_GROUP_X25519, HSD_GROUP_SECP256R1 };
	static const uint16_t sg[] = { HSD_GROUP_SECP256R1 };

	self->ccfg.groups = cg;
	self->ccfg.n_groups = 2;
	self->scfg.groups = sg;
	self->scfg.n_groups = 1;
	ok(_metadata, self);
	EXPECT_EQ(HSD_GROUP_SECP256R1, hs_params(self->cl)->group);
	EXPECT_TRUE(hs_params(self->cl)->hello_retry);
	EXPECT_TRUE(hs_params(self->sv)->hello_retry);
	EXPECT_STREQ(">1 <2 >1 <2 <8 <11 <15 <20 >20", self->ct.log);
	EXPECT_STREQ("<1 >2 <1 >2 >8 >11 >15 >20 <20", self->st.log);
	/* RFC 8446 4.2.2: a stateful server sends no cookie */
	EXPECT_EQ(0U, self->cl->h->cookie_len);
	EXPECT_FALSE(hs_ext_was_sent(self->cl, HS_EXT_COOKIE));
}

/* a server configured stateless sends one, and gets it back */
TEST_F(tls13, hello_retry_request_with_a_cookie_when_configured)
{
	static const uint16_t cg[] = { HSD_GROUP_X25519, HSD_GROUP_SECP256R1 };
	static const uint16_t sg[] = { HSD_GROUP_SECP256R1 };

	self->ccfg.groups = cg;
	self->ccfg.n_groups = 2;
	self->scfg.groups = sg;
	self->scfg.n_groups = 1;
	self->scfg.hrr_cookie = true;
	ok(_metadata, self);
	EXPECT_EQ(32U, self->cl->h->cookie_len);
	EXPECT_TRUE(hs_ext_was_sent(self->cl, HS_EXT_COOKIE));
	EXPECT_EQ(0, memcmp(self->cl->h->cookie, self->sv->h->cookie, 32));
}

/*
 * RFC 8446 D.4: in compatibility mode each side sends one
 * change_cipher_spec (20): the server right after its HelloRetryRequest,
 * the client before its second flight (its second ClientHello, or, as
 * ours does, its encrypted flight); nothing else in the clear but
 * handshake records (22) before the protected ones (23).
 */
TEST_F(tls13, hello_retry_request_compat_mode)
{
	static const uint16_t cg[] = { HSD_GROUP_X25519, HSD_GROUP_SECP384R1 };
	static const uint16_t sg[] = { HSD_GROUP_SECP384R1 };
	struct wire w = { 0 };
	uint8_t buf[64];

	self->ccfg.groups = cg;
	self->ccfg.n_groups = 2;
	self->ccfg.middlebox_compat = true;
	self->scfg.groups = sg;
	self->scfg.n_groups = 1;
	ASSERT_EQ(0, hs_conn_new(&self->ccfg, &self->cl));
	ASSERT_EQ(0, hs_conn_new(&self->scfg, &self->sv));
	ASSERT_EQ(0, hs_start(self->cl));
	ASSERT_EQ(0, pump_wire(self->cl, self->sv, &w));
	EXPECT_EQ(0U, deliver(_metadata, self->sv, self->cl, buf, sizeof(buf)));
	keys_agree(_metadata, self);
	EXPECT_EQ(32U, self->cl->session_id_len);
	EXPECT_STREQ(">1 <2 >1 <2 <8 <11 <15 <20 >20", self->ct.log);
	/* CH1, CH2, CCS, then Finished protected (or CH1, CCS, CH2, ...) */
	EXPECT_TRUE(!strcmp("22 22 20 23", w.to_server) ||
		    !strcmp("22 20 22 23", w.to_server)) TH_LOG("%s", w.to_server);
	/* HRR, CCS, ServerHello, then EE..Finished protected */
	EXPECT_EQ(0, strncmp("22 20 22 23", w.to_client, 11)) TH_LOG("%s", w.to_client);
	EXPECT_EQ(NULL, strstr(w.to_client + 6, "20"));
}

/* without compatibility mode: no change_cipher_spec either way */
TEST_F(tls13, no_change_cipher_spec_without_compat_mode)
{
	static const uint16_t cg[] = { HSD_GROUP_X25519, HSD_GROUP_SECP384R1 };
	static const uint16_t sg[] = { HSD_GROUP_SECP384R1 };
	struct wire w = { 0 };

	self->ccfg.groups = cg;
	self->ccfg.n_groups = 2;
	self->scfg.groups = sg;
	self->scfg.n_groups = 1;
	ASSERT_EQ(0, hs_conn_new(&self->ccfg, &self->cl));
	ASSERT_EQ(0, hs_conn_new(&self->scfg, &self->sv));
	ASSERT_EQ(0, hs_start(self->cl));
	ASSERT_EQ(0, pump_wire(self->cl, self->sv, &w));
	EXPECT_EQ(0U, self->cl->session_id_len);
	EXPECT_STREQ("22 22 23", w.to_server);
	EXPECT_EQ(0, strncmp("22 22 23", w.to_client, 8)) TH_LOG("%s", w.to_client);
	EXPECT_EQ(NULL, strstr(w.to_client, "20"));
}

TEST_F(tls13, no_common_group_is_handshake_failure)
{
	static const uint16_t cg[] = { HSD_GROUP_X25519 };
	static const uint16_t sg[] = { HSD_GROUP_SECP384R1 };

	self->ccfg.groups = cg;
	self->ccfg.n_groups = 1;
	self->scfg.groups = sg;
	self->scfg.n_groups = 1;
	fails_with(_metadata, self, false, HS_ALERT_HANDSHAKE_FAILURE);
}

/* found by fuzz_client_hello: no TLS 1.3 suite in common used to crash */
TEST_F(tls13, no_common_suite_is_handshake_failure)
{
	static const uint16_t cs = HS_TLS_AES_128_CCM_SHA256;
	static const uint16_t ss = HS_TLS_AES_256_GCM_SHA384;

	self->ccfg.suites = &cs;
	self->ccfg.n_suites = 1;
	self->scfg.suites = &ss;
	self->scfg.n_suites = 1;
	fails_with(_metadata, self, false, HS_ALERT_HANDSHAKE_FAILURE);
}

TEST_F(tls13, mutual_authentication)
{
	self->scfg.request_client_cert = true;
	self->scfg.require_client_cert = true;
	self->ccfg.chain = &self->client.chain;
	self->ccfg.key = self->client.key;
	ok(_metadata, self);
	EXPECT_TRUE(hs_params(self->sv)->peer_authenticated);
	EXPECT_TRUE(hs_params(self->sv)->peer_cert_presented);
	EXPECT_STREQ(">1 <2 <8 <13 <11 <15 <20 >11 >15 >20", self->ct.log);
	EXPECT_STREQ("<1 >2 >8 >13 >11 >15 >20 <11 <15 <20", self->st.log);
}

TEST_F(tls13, client_without_certificate_when_optional)
{
	self->scfg.request_client_cert = true;
	ok(_metadata, self);
	EXPECT_FALSE(hs_params(self->sv)->peer_cert_presented);
	EXPECT_STREQ(">1 <2 <8 <13 <11 <15 <20 >11 >20", self->ct.log);
}

TEST_F(tls13, client_without_certificate_when_required)
{
	self->scfg.request_client_cert = true;
	self->scfg.require_client_cert = true;
	fails_with(_metadata, self, false, HS_ALERT_CERTIFICATE_REQUIRED);
}

static void server_cert(struct __test_metadata *_metadata,
			FIXTURE_DATA(tls13) *self, const char *name)
{
	cred_free(&self->server);
	ASSERT_EQ(0, cred_load(self->cr, name, &self->server));
	self->scfg.chain = &self->server.chain;
	self->scfg.key = self->server.key;
}

TEST_F(tls13, every_certificate_type)
{
	static const struct { const char *name; uint16_t sig; } t[] = {
		{ "server-ec", HSD_SIG_ECDSA_SECP256R1_SHA256 },
		{ "server-p384", HSD_SIG_ECDSA_SECP384R1_SHA384 },
		{ "server-rsa", HSD_SIG_RSA_PSS_RSAE_SHA256 },
		{ "server-pss", HSD_SIG_RSA_PSS_PSS_SHA256 },
		{ "server-ed25519", HSD_SIG_ED25519 },
		{ "server-p521", HSD_SIG_ECDSA_SECP521R1_SHA512 },
		{ "server-ed448", HSD_SIG_ED448 },
		{ "server-ec-chain", HSD_SIG_ECDSA_SECP256R1_SHA256 },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		if (!strcmp(t[i].name, "server-ec-chain")) {
			char p[512];

			server_cert(_metadata, self, "server-ec");
			hsd_cert_chain_clear(&self->server.chain);
			snprintf(p, sizeof(p), "%s/server-ec-chain.pem", HSD_CERTS);
			ASSERT_EQ(0, hsd_cert_chain_load(p, &self->server.chain));
			EXPECT_EQ(2U, self->server.chain.n);
		} else {
			server_cert(_metadata, self, t[i].name);
		}
		ok(_metadata, self);
		EXPECT_EQ(t[i].sig, hs_params(self->cl)->peer_sig)
			TH_LOG("%s", t[i].name);
		drop_conns(self);
	}
}

TEST_F(tls13, untrusted_chain_is_unknown_ca)
{
	server_cert(_metadata, self, "untrusted");
	fails_with(_metadata, self, true, HS_ALERT_UNKNOWN_CA);
}

TEST_F(tls13, wrong_name_is_bad_certificate)
{
	self->ccfg.server_name = "other.test";
	fails_with(_metadata, self, true, HS_ALERT_BAD_CERTIFICATE);
}

TEST_F(tls13, ip_literal_checked_against_ip_san)
{
	self->ccfg.server_name = "127.0.0.1";
	ok(_metadata, self);
	drop_conns(self);
	self->ccfg.server_name = "127.0.0.2";
	fails_with(_metadata, self, true, HS_ALERT_BAD_CERTIFICATE);
}

TEST_F(tls13, expired_certificate)
{
	server_cert(_metadata, self, "expired");
	fails_with(_metadata, self, true, HS_ALERT_CERTIFICATE_EXPIRED);
}

TEST_F(tls13, wrong_eku_is_bad_certificate)
{
	server_cert(_metadata, self, "client-only");
	fails_with(_metadata, self, true, HS_ALERT_BAD_CERTIFICATE);
}

/* ---- external PSK (RFC 8446 4.2.11), as NVMe/TCP uses it ---- */
static const struct hs_psk test_psks[] = {
	{ .identity = "id-sha256", .identity_len = 9, .key_len = 32,
	  .hash = HSD_SHA256, .tag = 1 },
	{ .identity = "id-sha384", .identity_len = 9, .key_len = 48,
	  .hash = HSD_SHA384, .tag = 2 },
};

static int lookup(void *arg, const uint8_t *id, size_t len, struct hs_psk *out)
{
	size_t i;

	for (i = 0; i < 2; i++) {
		if (len == test_psks[i].identity_len &&
		    !memcmp(id, test_psks[i].identity, len)) {
			*out = test_psks[i];
			memset(out->key, 0x40 + (int)i, out->key_len);
			return 0;
		}
	}
	return -ENOKEY;
}

static int nvme_lookup(void *arg, const uint8_t *id, size_t len,
		       struct hs_psk *out)
{
	const struct hs_psk *p = arg;

	if (len != p->identity_len || memcmp(id, p->identity, len))
		return -ENOKEY;
	*out = *p;
	return 0;
}

static void use_psks(FIXTURE_DATA(tls13) *self, struct hs_psk *mine, size_t n,
		     bool psk_only)
{
	size_t i;

	for (i = 0; i < n; i++)
		memset(mine[i].key, 0x40 + (int)(mine[i].tag - 1), mine[i].key_len);
	self->ccfg.psks = mine;
	self->ccfg.n_psks = n;
	self->ccfg.psk_only = psk_only;
	self->scfg.psk_lookup = lookup;
	self->scfg.chain = NULL;
	self->scfg.key = NULL;
}

TEST_F(tls13, psk_dhe_ke_sha256)
{
	struct hs_psk p[1] = { test_psks[0] };

	use_psks(self, p, 1, false);
	ok(_metadata, self);
	EXPECT_TRUE(hs_params(self->sv)->psk);
	EXPECT_EQ(1U, hs_params(self->sv)->psk_used->tag);
	EXPECT_EQ(default_group(self), hs_params(self->sv)->group);
	EXPECT_STREQ(">1 <2 <8 <20 >20", self->ct.log);
	EXPECT_STREQ("<1 >2 >8 >20 <20", self->st.log);
}

TEST_F(tls13, psk_ke_sha384)
{
	struct hs_psk p[1] = { test_psks[1] };

	use_psks(self, p, 1, true);
	ok(_metadata, self);
	EXPECT_EQ(HS_TLS_AES_256_GCM_SHA384, hs_params(self->sv)->suite->id);
	EXPECT_EQ(0, hs_params(self->sv)->group);
}

TEST_F(tls13, psk_second_identity_selected)
{
	struct hs_psk p[2] = { test_psks[0], test_psks[1] };

	memcpy(p[0].identity, "unknown!!", 9);
	use_psks(self, p, 2, false);
	ok(_metadata, self);
	EXPECT_EQ(2U, hs_params(self->sv)->psk_used->tag);
	EXPECT_EQ(2U, hs_params(self->cl)->psk_used->tag);
}

/* binders of same-hash identities share one hash of the truncated hello */
TEST_F(tls13, psk_same_hash_identities_any_one_selected)
{
	struct hs_psk p[3] = { test_psks[0], test_psks[0], test_psks[0] };
	size_t pick;

	for (pick = 0; pick < 3; pick++) {
		memcpy(p[0].identity, "unknown!0", 9);
		memcpy(p[1].identity, "unknown!1", 9);
		memcpy(p[2].identity, "unknown!2", 9);
		memcpy(p[pick].identity, test_psks[0].identity, 9);
		use_psks(self, p, 3, false);
		ok(_metadata, self);
		EXPECT_EQ(1U, hs_params(self->sv)->psk_used->tag);
		drop_conns(self);
	}
}

TEST_F(tls13, psk_with_hello_retry_request)
{
	static const uint16_t cg[] = { HSD_GROUP_X25519, HSD_GROUP_SECP256R1 };
	static const uint16_t sg[] = { HSD_GROUP_SECP256R1 };
	struct hs_psk p[1] = { test_psks[0] };

	use_psks(self, p, 1, false);
	self->ccfg.groups = cg;
	self->ccfg.n_groups = 2;
	self->scfg.groups = sg;
	self->scfg.n_groups = 1;
	ok(_metadata, self);
	EXPECT_STREQ(">1 <2 >1 <2 <8 <20 >20", self->ct.log);
}

/* doc/KERNEL-ABI.md §2: the identity's hash field picks hash and suite */
TEST_F(tls13, nvme_identities_choose_hash_and_suite)
{
	static const char *const ids[] = {
		"NVMe0R01 nqn.2014-08.org.nvmexpress:uuid:host nqn.io:sub",
		"NVMe1R02 nqn.2014-08.org.nvmexpress:uuid:host nqn.io:sub ZGlnZXN0",
	};
	struct hs_psk p[1];
	size_t i;

	for (i = 0; i < 2; i++) {
		memset(p, 0, sizeof(p));
		p[0].identity_len = strlen(ids[i]);
		memcpy(p[0].identity, ids[i], p[0].identity_len);
		p[0].key_len = i ? 48 : 32;
		memset(p[0].key, 0x42, p[0].key_len);
		ASSERT_EQ(0, hs_psk_nvme_params(&p[0]));
		EXPECT_EQ((int)(i ? HSD_SHA384 : HSD_SHA256), (int)p[0].hash);
		/* a key of the other size does not fit the identity */
		p[0].key_len = i ? 32 : 48;
		EXPECT_EQ(-EINVAL, hs_psk_nvme_params(&p[0]));
		p[0].key_len = i ? 48 : 32;
		hs_psk_nvme_params(&p[0]);
		self->ccfg.psks = p;
		self->ccfg.n_psks = 1;
			self->scfg.psk_lookup = nvme_lookup;
		self->scfg.psk_lookup_arg = &p[0];
		self->scfg.chain = NULL;
		self->scfg.key = NULL;
		ok(_metadata, self);
		EXPECT_EQ(i ? HS_TLS_AES_256_GCM_SHA384 : HS_TLS_AES_128_GCM_SHA256,
			  hs_params(self->sv)->suite->id);
		drop_conns(self);
	}
	memcpy(p[0].identity, "HTTP0R01 ", 9);
	EXPECT_EQ(-ENOENT, hs_psk_nvme_params(&p[0]));
}

TEST_F(tls13, unknown_psk_identity)
{
	struct hs_psk p[1] = { test_psks[0] };

	memcpy(p[0].identity, "unknown!!", 9);
	use_psks(self, p, 1, false);
	fails_with(_metadata, self, false, HS_ALERT_UNKNOWN_PSK_IDENTITY);
}

TEST_F(tls13, wrong_psk_key_is_decrypt_error)
{
	struct hs_psk p[1] = { test_psks[0] };

	use_psks(self, p, 1, false);
	p[0].key[0] ^= 1;
	fails_with(_metadata, self, false, HS_ALERT_DECRYPT_ERROR);
}

TEST_F(tls13, tls12_only_client_with_tls13_only_server)
{
	self->ccfg.min_version = HS_TLS12;
	self->ccfg.max_version = HS_TLS12;
	self->scfg.min_version = HS_TLS13;
	fails_with(_metadata, self, false, HS_ALERT_PROTOCOL_VERSION);
}

struct keylog {
	char labels[512];
};

static void keylog_cb(void *arg, const char *line)
{
	struct keylog *k = arg;
	size_t n = strlen(k->labels);

	/* keep the label; the rest is client_random and secret in hex */
	snprintf(k->labels + n, sizeof(k->labels) - n, "%.*s;",
		 (int)strcspn(line, " "), line);
}

TEST_F(tls13, keylog_has_every_secret)
{
	struct keylog k = { "" };

	self->ccfg.keylog = keylog_cb;
	self->ccfg.keylog_arg = &k;
	ok(_metadata, self);
	EXPECT_STREQ("CLIENT_HANDSHAKE_TRAFFIC_SECRET;SERVER_HANDSHAKE_TRAFFIC_SECRET;"
		     "CLIENT_TRAFFIC_SECRET_0;SERVER_TRAFFIC_SECRET_0;EXPORTER_SECRET;",
		     k.labels);
}


static uint64_t fake_now(void *arg)
{
	return *(uint64_t *)arg;
}

/* the server issues tickets valid @lifetime_s; both sides' clock is *now */
static struct hs_ticket_keys *use_tickets(struct __test_metadata *_metadata,
					  FIXTURE_DATA(tls13) *self,
					  uint32_t lifetime_s, uint64_t *now)
{
	struct hs_ticket_keys *tk = NULL;

	EXPECT_EQ(0, hs_ticket_keys_new(self->cr, lifetime_s, 600, fake_now,
					now, &tk));
	self->scfg.ticket_keys = tk;
	self->scfg.now = self->ccfg.now = fake_now;
	self->scfg.now_arg = self->ccfg.now_arg = now;
	return tk;
}

TEST_F(tls13, resumption_with_ticket)
{
	struct hs_ticket_keys *tk;
	struct hs_session s;
	uint8_t buf[20000];
	uint64_t now = 1700000000000ULL;

	tk = use_tickets(_metadata, self, 3600, &now);
	ASSERT_NE(NULL, tk);
	ASSERT_EQ(0, run(_metadata, self));
	/* the ticket follows the handshake: the client reads it as a record */
	EXPECT_EQ(0U, deliver(_metadata, self->sv, self->cl, buf, sizeof(buf)));
	keys_agree(_metadata, self);
	ASSERT_EQ(0, hs_get_session(self->cl, &s));
	drop_conns(self);
	memset(&self->ct, 0, sizeof(self->ct));
	now += 5000;
	self->ccfg.resume = &s;
	ok(_metadata, self);
	EXPECT_TRUE(hs_params(self->cl)->resumed);
	EXPECT_TRUE(hs_params(self->sv)->resumed);
	EXPECT_TRUE(hs_params(self->cl)->peer_authenticated);
	/* RFC 8446 2.2: CH+psk; SH EE Fin; Fin */
	EXPECT_STREQ(">1 <2 <8 <20 >20", self->ct.log);
	hs_ticket_keys_free(tk);
}

/*
 * RFC 8446 4.6.1: a server that asked for no client certificate knows the
 * client's Finished in advance, and its tickets go with its own flight; one
 * that asked waits for the client's Finished. Resumption works either way.
 */
TEST_F(tls13, tickets_with_the_server_flight_unless_a_certificate_is_asked)
{
	struct hs_ticket_keys *tk;
	struct hs_session s;
	uint8_t buf[64];
	uint64_t now = 1700000000000ULL;
	const uint8_t *p;
	size_t n, used;
	int mutual;

	tk = use_tickets(_metadata, self, 3600, &now);
	ASSERT_NE(NULL, tk);
	for (mutual = 0; mutual < 2; mutual++) {
		self->scfg.request_client_cert = mutual;
		self->ccfg.chain = mutual ? &self->client.chain : NULL;
		self->ccfg.key = mutual ? self->client.key : NULL;
		self->ccfg.resume = NULL;
		ASSERT_EQ(0, hs_conn_new(&self->ccfg, &self->cl));
		ASSERT_EQ(0, hs_conn_new(&self->scfg, &self->sv));
		ASSERT_EQ(0, hs_start(self->cl));
		n = hs_output(self->cl, &p);
		ASSERT_EQ(0, hs_input(self->sv, p, n, &used));
		hs_output_consumed(self->cl, used);
		/* the server's flight: the client's handshake ends in it */
		n = hs_output(self->sv, &p);
		ASSERT_EQ(0, hs_input(self->cl, p, n, &used));
		ASSERT_TRUE(hs_is_done(self->cl));
		/* mutual: nothing after Finished; else a ticket record follows */
		EXPECT_EQ(mutual, used == n);
		hs_output_consumed(self->sv, used);
		ASSERT_EQ(0, pump(self->cl, self->sv));
		EXPECT_EQ(0U, deliver(_metadata, self->sv, self->cl, buf,
				      sizeof(buf)));
		keys_agree(_metadata, self);
		ASSERT_EQ(0, hs_get_session(self->cl, &s));
		drop_conns(self);
		/* the ticket resumes: its secret matched the real transcript */
		memset(&self->ct, 0, sizeof(self->ct));
		self->ccfg.resume = &s;
		ok(_metadata, self);
		EXPECT_TRUE(hs_params(self->sv)->resumed);
		EXPECT_EQ(mutual, hs_params(self->sv)->peer_authenticated);
		EXPECT_STREQ(">1 <2 <8 <20 >20", self->ct.log);
		drop_conns(self);
	}
	hs_ticket_keys_free(tk);
}

/* a full handshake; the session of the ticket that follows it into @s */
static void full_then_session(struct __test_metadata *_metadata,
			      FIXTURE_DATA(tls13) *self, struct hs_session *s)
{
	uint8_t buf[20000];

	ASSERT_EQ(0, run(_metadata, self));
	deliver(_metadata, self->sv, self->cl, buf, sizeof(buf));
	ASSERT_EQ(0, hs_get_session(self->cl, s));
	drop_conns(self);
}

/*
 * A ticket the server opens but cannot use (the client offers psk_ke
 * only, RFC 8446 4.6.1 tickets need psk_dhe_ke here): its resumption
 * secret is wiped from the stack on that path too.
 */
TEST_F(tls13, unusable_ticket_secret_is_wiped)
{
	struct hs_ticket_keys *tk;
	struct hs_session s;
	uint64_t now = 1700000000000ULL;

	tk = use_tickets(_metadata, self, 3600, &now);
	ASSERT_NE(NULL, tk);
	full_then_session(_metadata, self, &s);
	self->ccfg.resume = &s;
	self->ccfg.psk_only = true;
	run(_metadata, self);
	EXPECT_FALSE(hs_params(self->sv)->resumed);
	EXPECT_FALSE(stack_holds(s.secret, s.secret_len));
	leave_on_stack(s.secret, s.secret_len);
	EXPECT_TRUE(stack_holds(s.secret, s.secret_len));
	hs_ticket_keys_free(tk);
}

TEST_F(tls13, expired_ticket_gets_full_handshake)
{
	struct hs_ticket_keys *tk;
	struct hs_session s;
	uint64_t now = 1700000000000ULL;

	tk = use_tickets(_metadata, self, 60, &now);
	ASSERT_NE(NULL, tk);
	full_then_session(_metadata, self, &s);
	memset(&self->ct, 0, sizeof(self->ct));
	now += 61 * 1000;
	self->ccfg.resume = &s;
	ok(_metadata, self);
	EXPECT_FALSE(hs_params(self->sv)->resumed);
	EXPECT_STREQ(">1 <2 <8 <11 <15 <20 >20", self->ct.log);
	hs_ticket_keys_free(tk);
}

/*
 * Client and server up to the server's HelloRetryRequest: the client's
 * ClientHello 1 offers the PSK @p with an X25519 share, the server only
 * does P-256. The HRR is left queued at the server.
 */
static void up_to_hrr(struct __test_metadata *_metadata,
		      FIXTURE_DATA(tls13) *self, struct hs_psk *p)
{
	static const uint16_t cg[] = { HSD_GROUP_X25519, HSD_GROUP_SECP256R1 };
	static const uint16_t sg[] = { HSD_GROUP_SECP256R1 };
	const uint8_t *q;
	size_t n, used;

	memset(p->key, 0x40, p->key_len);
	self->ccfg.psks = p;
	self->ccfg.n_psks = 1;
	self->ccfg.groups = cg;
	self->ccfg.n_groups = 2;
	self->scfg.groups = sg;
	self->scfg.n_groups = 1;
	self->scfg.psk_lookup = lookup;
	ASSERT_EQ(0, hs_conn_new(&self->ccfg, &self->cl));
	ASSERT_EQ(0, hs_conn_new(&self->scfg, &self->sv));
	ASSERT_EQ(0, hs_start(self->cl));
	n = hs_output(self->cl, &q);
	ASSERT_EQ(0, hs_input(self->sv, q, n, &used));
	hs_output_consumed(self->cl, used);
	ASSERT_TRUE(self->sv->hrr);
	ASSERT_EQ(0, self->sv->psk_index);
}

/*
 * RFC 8446 4.1.2: the second ClientHello is a new offer. A victim's PSK
 * ClientHello 1 that draws an HRR, answered by a ClientHello 2 without
 * pre_shared_key (as an attacker replaying ClientHello 1 would), must not
 * leave the first one's PSK authentication behind: neither in the
 * handshake's parameters nor in the ticket the server then issues.
 */
TEST_F(tls13, hrr_second_client_hello_without_psk_gets_no_psk_authentication)
{
	struct hs_psk p[1] = { test_psks[0] };
	struct hs_ticket_keys *tk;
	uint64_t now = 1700000000000ULL;
	struct hs_session s;
	uint8_t buf[64];

	tk = use_tickets(_metadata, self, 3600, &now);
	ASSERT_NE(NULL, tk);
	up_to_hrr(_metadata, self, p);
	self->cl->h->n_offers = 0;		/* ClientHello 2 without the PSK */
	ASSERT_EQ(0, pump(self->cl, self->sv));
	EXPECT_STREQ(">1 <2 >1 <2 <8 <11 <15 <20 >20", self->ct.log);
	EXPECT_FALSE(hs_params(self->sv)->psk);
	EXPECT_EQ(NULL, hs_params(self->sv)->psk_used);
	EXPECT_FALSE(hs_params(self->sv)->resumed);
	EXPECT_FALSE(hs_params(self->sv)->peer_authenticated);
	EXPECT_TRUE(hs_params(self->cl)->peer_authenticated);
	/* the ticket issued now resumes without peer authentication */
	EXPECT_EQ(0U, deliver(_metadata, self->sv, self->cl, buf, sizeof(buf)));
	ASSERT_EQ(0, hs_get_session(self->cl, &s));
	drop_conns(self);
	self->ccfg.psks = NULL;
	self->ccfg.n_psks = 0;
	self->ccfg.resume = &s;
	ok(_metadata, self);
	EXPECT_TRUE(hs_params(self->sv)->resumed);
	EXPECT_FALSE(hs_params(self->sv)->peer_authenticated);
	EXPECT_FALSE(hs_params(self->sv)->psk);
	hs_ticket_keys_free(tk);
}

/* RFC 8446 4.1.2: ClientHello 2 may drop PSKs, never bring a new one */
TEST_F(tls13, hrr_second_client_hello_cannot_switch_psk)
{
	struct hs_psk p[1] = { test_psks[0] };
	uint8_t a = 0;

	up_to_hrr(_metadata, self, p);
	/* ClientHello 2 offers another identity the server also knows */
	self->cl->h->offers[0].id = (const uint8_t *)"id-sha384";
	ASSERT_NE(0, pump(self->cl, self->sv));
	EXPECT_FALSE(hs_params(self->sv)->psk);
	EXPECT_FALSE(hs_params(self->sv)->peer_authenticated);
	/* the server went on with its certificate: the PSK client refuses */
	ASSERT_NE(0, hs_error(self->cl, &a, NULL, NULL));
	EXPECT_EQ(HS_ALERT_HANDSHAKE_FAILURE, a);
}

/*
 * A PSK client (the daemon's NVMe host) offered only PSKs: a server that
 * ignores them and sends a certificate, even one the client's trust store
 * accepts, must not complete the handshake.
 */
TEST_F(tls13, psk_client_refuses_a_server_that_selects_no_psk)
{
	struct hs_psk p[1] = { test_psks[0] };
	bool rcvd = true;
	int insecure;
	uint8_t a = 0;

	for (insecure = 0; insecure < 2; insecure++) {
		memset(p[0].key, 0x40, p[0].key_len);
		self->ccfg.psks = p;
		self->ccfg.n_psks = 1;
		self->ccfg.no_verify_peer = insecure;
		self->scfg.psk_lookup = NULL;	/* certificate-only server */
		ASSERT_NE(0, run(_metadata, self));
		ASSERT_NE(0, hs_error(self->cl, &a, &rcvd, NULL));
		EXPECT_FALSE(rcvd);
		EXPECT_EQ(HS_ALERT_HANDSHAKE_FAILURE, a);
		EXPECT_FALSE(hs_is_done(self->cl));
		EXPECT_FALSE(hs_is_done(self->sv));
		/*
		 * the client had no keys yet: its alert went in the clear, and
		 * the server (keys on) takes it as an alert all the same
		 */
		ASSERT_NE(0, hs_error(self->sv, &a, &rcvd, NULL));
		EXPECT_TRUE(rcvd);
		EXPECT_EQ(HS_ALERT_HANDSHAKE_FAILURE, a);
		EXPECT_FALSE(hs_params(self->cl)->peer_authenticated);
		drop_conns(self);
	}
}

/* tls.h: a zeroed configuration verifies the server */
TEST_F(tls13, zeroed_client_config_verifies_the_server)
{
	self->ccfg.trust = NULL;
	fails_with(_metadata, self, true, HS_ALERT_UNKNOWN_CA);
	drop_conns(self);
	self->ccfg.no_verify_peer = true;
	ok(_metadata, self);
	EXPECT_FALSE(hs_params(self->cl)->peer_authenticated);
}

/* RFC 8446 4.6.3: both directions, data before and after, answered requests */
TEST_F(tls13, key_update_both_directions)
{
	static const char a[] = "before", b[] = "after";
	struct hs_traffic before, after;
	uint8_t buf[20000];
	const uint8_t *q;

	ok(_metadata, self);
	ASSERT_EQ(0, hs_app_write(self->cl, (const uint8_t *)a, sizeof(a)));
	ASSERT_EQ(sizeof(a), deliver(_metadata, self->cl, self->sv, buf, sizeof(buf)));
	ASSERT_EQ(0, hs_traffic(self->cl, true, &before));
	/* client asks: the server updates both ways */
	ASSERT_EQ(0, hs_key_update(self->cl, true));
	ASSERT_EQ(0, hs_app_write(self->cl, (const uint8_t *)b, sizeof(b)));
	ASSERT_EQ(sizeof(b), deliver(_metadata, self->cl, self->sv, buf, sizeof(buf)));
	EXPECT_STREQ(b, (char *)buf);
	ASSERT_EQ(0, hs_traffic(self->cl, true, &after));
	EXPECT_NE(0, memcmp(before.key, after.key, 16));
	EXPECT_EQ(1U, after.seq);	/* "after" is record 0, counter restarted */
	/* the server's answering KeyUpdate reaches the client, then data */
	ASSERT_EQ(0, hs_app_write(self->sv, (const uint8_t *)a, sizeof(a)));
	ASSERT_EQ(sizeof(a), deliver(_metadata, self->sv, self->cl, buf, sizeof(buf)));
	keys_agree(_metadata, self);
	/* server-initiated, no request: only that direction changes */
	ASSERT_EQ(0, hs_key_update(self->sv, false));
	ASSERT_EQ(0, hs_app_write(self->sv, (const uint8_t *)b, sizeof(b)));
	ASSERT_EQ(sizeof(b), deliver(_metadata, self->sv, self->cl, buf, sizeof(buf)));
	EXPECT_EQ(0U, hs_output(self->cl, &q));
	keys_agree(_metadata, self);
}

/*
 * RFC 8446 4.6.3: two update_requested in one read are answered by one
 * KeyUpdate, and the send key moves forward once per KeyUpdate sent.
 */
TEST_F(tls13, key_update_requests_in_one_read_get_one_answer)
{
	static const char a[] = "after two requests", b[] = "answered once";
	uint8_t buf[20000];
	const uint8_t *q;
	size_t big, n;

	ok(_metadata, self);
	ASSERT_EQ(0, hs_key_update(self->cl, true));
	ASSERT_EQ(0, hs_key_update(self->cl, true));
	ASSERT_EQ(0, hs_app_write(self->cl, (const uint8_t *)a, sizeof(a)));
	ASSERT_EQ(sizeof(a), deliver(_metadata, self->cl, self->sv, buf, sizeof(buf)));
	EXPECT_EQ(2U, hs_keyupdates_rx(self->sv));
	EXPECT_EQ(1U, self->sv->keyupdates_tx);
	n = hs_output(self->sv, &q);
	EXPECT_EQ(1, count_protected(q, n, &big));
	ASSERT_EQ(0, hs_app_write(self->sv, (const uint8_t *)b, sizeof(b)));
	ASSERT_EQ(sizeof(b), deliver(_metadata, self->sv, self->cl, buf, sizeof(buf)));
	EXPECT_STREQ(b, (char *)buf);
	keys_agree(_metadata, self);
}

/* the same with TX in the kernel: one KeyUpdate handed out, key N+1 */
TEST_F(tls13, key_update_requests_coalesce_with_tx_offloaded)
{
	struct hs_traffic before, after;
	uint8_t buf[20000], want[HSD_HASH_MAX], msg[5];

	ok(_metadata, self);
	ASSERT_EQ(0, hs_traffic(self->sv, true, &before));
	hs_tx_offloaded(self->sv, before.seq);
	ASSERT_EQ(0, hs_key_update(self->cl, true));
	ASSERT_EQ(0, hs_key_update(self->cl, true));
	EXPECT_EQ(0U, deliver(_metadata, self->cl, self->sv, buf, sizeof(buf)));
	ASSERT_EQ(1, hs_take_key_update(self->sv, msg));
	EXPECT_EQ(0, hs_take_key_update(self->sv, msg));
	EXPECT_EQ(HS_MT_KEY_UPDATE, msg[0]);
	EXPECT_EQ(0, msg[4]);		/* update_not_requested */
	ASSERT_EQ(0, hs_traffic(self->sv, true, &after));
	ASSERT_EQ(0, hs13_expand_label(self->sv, before.secret, "traffic upd",
				       NULL, 0, want, before.secret_len));
	EXPECT_EQ(0, memcmp(want, after.secret, before.secret_len));
	EXPECT_EQ(0U, after.seq);
	/* one request after the answer was taken: answered again */
	ASSERT_EQ(0, hs_key_update(self->cl, true));
	EXPECT_EQ(0U, deliver(_metadata, self->cl, self->sv, buf, sizeof(buf)));
	EXPECT_EQ(1, hs_take_key_update(self->sv, msg));
	EXPECT_EQ(2U, self->sv->keyupdates_tx);
}

/*
 * A KeyUpdate that arrived through kTLS RX (hs_post_handshake) is said
 * so, and the RX key it brings is the sender's next TX key (RFC 8446
 * 4.6.3); a repeat of the message is another update.
 */
TEST_F(tls13, key_update_through_post_handshake_is_reported)
{
	struct hs_traffic before, after, peer;
	uint8_t msg[5];

	ok(_metadata, self);
	ASSERT_EQ(0, hs_traffic(self->cl, true, &peer));
	hs_tx_offloaded(self->cl, peer.seq);
	ASSERT_EQ(0, hs_traffic(self->sv, false, &before));
	ASSERT_EQ(0, hs_key_update(self->cl, false));
	ASSERT_EQ(1, hs_take_key_update(self->cl, msg));
	EXPECT_EQ(HS_POST_KEY_UPDATE, hs_post_handshake(self->sv, msg, sizeof(msg)));
	ASSERT_EQ(0, hs_traffic(self->sv, false, &after));
	EXPECT_NE(0, memcmp(before.secret, after.secret, before.secret_len));
	ASSERT_EQ(0, hs_traffic(self->cl, true, &peer));
	EXPECT_EQ(0, memcmp(peer.secret, after.secret, after.secret_len));
	EXPECT_EQ(HS_POST_KEY_UPDATE, hs_post_handshake(self->sv, msg, sizeof(msg)));
	EXPECT_EQ(2U, hs_keyupdates_rx(self->sv));
}

/*
 * A connection shed after its handshake (hs_conn_shed: the handshake's
 * buffers freed) still carries data both ways, answers and sends
 * KeyUpdates, and closes: what it needs comes back on use.
 */
TEST_F(tls13, shed_connection_keeps_working)
{
	static const char a[] = "after shedding", b[] = "and after a KeyUpdate";
	uint8_t buf[20000];
	const uint8_t *q;
	size_t n, used, got;

	ok(_metadata, self);
	ASSERT_EQ(0, hs_conn_shed(self->cl));
	ASSERT_EQ(0, hs_conn_shed(self->sv));
	EXPECT_EQ(0U, hs_output(self->sv, &q));
	ASSERT_EQ(0, hs_app_write(self->cl, (const uint8_t *)a, sizeof(a)));
	/* queued output: not now */
	EXPECT_EQ(-EBUSY, hs_conn_shed(self->cl));
	ASSERT_EQ(sizeof(a), deliver(_metadata, self->cl, self->sv, buf, sizeof(buf)));
	EXPECT_STREQ(a, (char *)buf);
	ASSERT_EQ(0, hs_conn_shed(self->sv));
	ASSERT_EQ(0, hs_key_update(self->cl, true));
	ASSERT_EQ(0, hs_app_write(self->cl, (const uint8_t *)b, sizeof(b)));
	ASSERT_EQ(sizeof(b), deliver(_metadata, self->cl, self->sv, buf, sizeof(buf)));
	EXPECT_STREQ(b, (char *)buf);
	ASSERT_EQ(0, hs_app_write(self->sv, (const uint8_t *)a, sizeof(a)));
	ASSERT_EQ(sizeof(a), deliver(_metadata, self->sv, self->cl, buf, sizeof(buf)));
	EXPECT_STREQ(a, (char *)buf);
	keys_agree(_metadata, self);
	ASSERT_EQ(0, hs_conn_shed(self->cl));
	ASSERT_EQ(0, hs_conn_shed(self->sv));
	/* a record split across reads after shedding */
	ASSERT_EQ(0, hs_app_write(self->sv, (const uint8_t *)b, sizeof(b)));
	n = hs_output(self->sv, &q);
	ASSERT_EQ(0, hs_app_read(self->cl, q, 3, &used, buf, sizeof(buf), &got));
	EXPECT_EQ(3U, used);
	EXPECT_EQ(0U, got);
	EXPECT_EQ(-EBUSY, hs_conn_shed(self->cl));	/* a partial record */
	ASSERT_EQ(0, hs_app_read(self->cl, q + 3, n - 3, &used, buf, sizeof(buf), &got));
	hs_output_consumed(self->sv, n);
	EXPECT_EQ(sizeof(b), got);
	ASSERT_EQ(0, hs_conn_shed(self->sv));
	/* close_notify from a shed connection */
	ASSERT_EQ(0, hs_send_alert(self->sv, HS_ALERT_CLOSE_NOTIFY));
	n = hs_output(self->sv, &q);
	ASSERT_LT(0U, n);
	EXPECT_EQ(0, hs_app_read(self->cl, q, n, &used, buf, sizeof(buf), &got));
	hs_output_consumed(self->sv, used);
	EXPECT_TRUE(hs_peer_closed(self->cl));
}

/* RFC 8446 6.1: no KeyUpdate after our close_notify */
TEST_F(tls13, no_key_update_after_close_notify)
{
	const uint8_t *q;
	size_t n;

	ok(_metadata, self);
	ASSERT_EQ(0, hs_send_alert(self->cl, HS_ALERT_CLOSE_NOTIFY));
	n = hs_output(self->cl, &q);
	hs_output_consumed(self->cl, n);
	EXPECT_EQ(-EPIPE, hs_key_update(self->cl, true));
	EXPECT_EQ(0U, hs_output(self->cl, &q));
}

/* the client reads what the server queued; the error it ends with */
static int client_reads(struct __test_metadata *_metadata,
			FIXTURE_DATA(tls13) *self, uint8_t *alert, bool *rcvd)
{
	static uint8_t buf[20000];
	const uint8_t *q;
	size_t n, used, got;
	int err = 0;

	while (!err && (n = hs_output(self->sv, &q))) {
		err = hs_app_read(self->cl, q, n, &used, buf, sizeof(buf), &got);
		hs_output_consumed(self->sv, used);
		if (!used)
			break;
	}
	hs_error(self->cl, alert, rcvd, NULL);
	return err;
}

/*
 * Records without data each cost work: empty application data,
 * KeyUpdates, tickets. HS_MAX_CONTROL_IN_A_ROW are fine, one more ends the
 * connection; data in between starts the count again.
 */
TEST_F(tls13, records_without_data_are_capped)
{
	uint8_t alert = 0;
	bool rcvd = true;
	int i, kind;

	for (kind = 0; kind < 2; kind++) {
		ok(_metadata, self);
		for (i = 0; i < HS_MAX_CONTROL_IN_A_ROW; i++) {
			int err = kind ? hs_key_update(self->sv, false) :
				  hs_queue_record(self->sv,
						  HS_CT_APPLICATION_DATA, NULL, 0);

			ASSERT_EQ(0, err);
		}
		ASSERT_EQ(0, hs_app_write(self->sv, (const uint8_t *)"d", 1));
		for (i = 0; i < HS_MAX_CONTROL_IN_A_ROW; i++)
			ASSERT_EQ(0, hs_queue_record(self->sv,
				HS_CT_APPLICATION_DATA, NULL, 0));
		EXPECT_EQ(0, client_reads(_metadata, self, &alert, &rcvd));
		ASSERT_EQ(0, hs_queue_record(self->sv, HS_CT_APPLICATION_DATA,
					     NULL, 0));
		EXPECT_NE(0, client_reads(_metadata, self, &alert, &rcvd));
		EXPECT_EQ(HS_ALERT_UNEXPECTED_MESSAGE, alert);
		EXPECT_FALSE(rcvd);
		drop_conns(self);
	}
}

/* RFC 8446 6: in TLS 1.3 a warning (but close_notify) is an error */
TEST_F(tls13, warning_alert_is_an_error)
{
	static const uint8_t warn[2] = { 1, HS_ALERT_NO_RENEGOTIATION };
	uint8_t alert = 0;
	bool rcvd = false;

	ok(_metadata, self);
	ASSERT_EQ(0, hs_queue_record(self->sv, HS_CT_ALERT, warn, 2));
	EXPECT_NE(0, client_reads(_metadata, self, &alert, &rcvd));
	EXPECT_EQ(HS_ALERT_NO_RENEGOTIATION, alert);
	EXPECT_TRUE(rcvd);
}

/* RFC 8446 5.1: an alert record of length 0 is unexpected_message */
TEST_F(tls13, empty_alert_record_is_unexpected_message)
{
	uint8_t alert = 0;
	bool rcvd = true;

	ok(_metadata, self);
	ASSERT_EQ(0, hs_queue_record(self->sv, HS_CT_ALERT, NULL, 0));
	EXPECT_NE(0, client_reads(_metadata, self, &alert, &rcvd));
	EXPECT_EQ(HS_ALERT_UNEXPECTED_MESSAGE, alert);
	EXPECT_FALSE(rcvd);
}

/*
 * RFC 8446 5, D.4: one compatibility ChangeCipherSpec is dropped; a second
 * one before the client's Finished is unexpected_message at once (it used
 * to leave the server waiting until its timeout).
 */
TEST_F(tls13, second_change_cipher_spec_is_unexpected_message)
{
	static const uint8_t ccs[6] = { 20, 3, 3, 0, 1, 1 };
	const uint8_t *q;
	uint8_t alert = 0;
	size_t n, used;

	self->ccfg.middlebox_compat = true;
	ASSERT_EQ(0, hs_conn_new(&self->ccfg, &self->cl));
	ASSERT_EQ(0, hs_conn_new(&self->scfg, &self->sv));
	ASSERT_EQ(0, hs_start(self->cl));
	n = hs_output(self->cl, &q);
	ASSERT_EQ(0, hs_input(self->sv, q, n, &used));
	hs_output_consumed(self->cl, used);
	ASSERT_EQ(0, hs_input(self->sv, ccs, sizeof(ccs), &used));
	EXPECT_NE(0, hs_input(self->sv, ccs, sizeof(ccs), &used));
	ASSERT_NE(0, hs_error(self->sv, &alert, NULL, NULL));
	EXPECT_EQ(HS_ALERT_UNEXPECTED_MESSAGE, alert);
}

TEST_F(tls13, close_notify_ends_the_stream)
{
	uint8_t buf[100];

	ok(_metadata, self);
	ASSERT_EQ(0, hs_send_alert(self->cl, HS_ALERT_CLOSE_NOTIFY));
	deliver(_metadata, self->cl, self->sv, buf, sizeof(buf));
	EXPECT_TRUE(hs_peer_closed(self->sv));
	EXPECT_EQ(-EPIPE, hs_app_write(self->cl, buf, 1));
}

TEST_F(tls13, large_writes_split_at_16k)
{
	static uint8_t big[50000], got[50000];
	const uint8_t *p;
	size_t n, used, g, total = 0, i;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)i;
	ok(_metadata, self);
	ASSERT_EQ(0, hs_app_write(self->cl, big, sizeof(big)));
	n = hs_output(self->cl, &p);
	/* 4 records: 3 x 16384 + 848, each 5 + 1 + 16 bytes of overhead */
	EXPECT_EQ(sizeof(big) + 4 * 22, n);
	while ((n = hs_output(self->cl, &p))) {
		ASSERT_EQ(0, hs_app_read(self->sv, p, n, &used, got + total,
					 sizeof(got) - total, &g));
		hs_output_consumed(self->cl, used);
		total += g;
	}
	ASSERT_EQ(sizeof(big), total);
	EXPECT_EQ(0, memcmp(big, got, total));
}

/* hs_app_write() queues all records or none: never a guess for the caller */
TEST_F(tls13, writes_are_all_or_nothing)
{
	static uint8_t big[HS_APP_WRITE_MAX], got[HS_APP_WRITE_MAX];
	const uint8_t *p;
	size_t queued;

	memset(big, 0x42, sizeof(big));
	ok(_metadata, self);
	ASSERT_EQ(0, hs_app_write(self->cl, big, sizeof(big)));
	queued = hs_output(self->cl, &p);
	/* a second one does not fit next to undrained output */
	EXPECT_EQ(-ENOBUFS, hs_app_write(self->cl, big, sizeof(big)));
	EXPECT_EQ(queued, hs_output(self->cl, &p));
	EXPECT_EQ(sizeof(big), deliver(_metadata, self->cl, self->sv, got,
				       sizeof(got)));
	EXPECT_EQ(0, memcmp(big, got, sizeof(big)));
	ASSERT_EQ(0, hs_app_write(self->cl, big, sizeof(big)));
	EXPECT_EQ(sizeof(big), deliver(_metadata, self->cl, self->sv, got,
				       sizeof(got)));
}

/*
 * A whole record opens straight into the caller's buffer; a record in
 * pieces, or bigger than the buffer, is gathered first. Same data either
 * way; a forged record leaves no plaintext behind in the buffer.
 */
TEST_F(tls13, records_open_whole_or_in_pieces)
{
	static uint8_t msg[3000], rec[4000], out[4000];
	const uint8_t *p;
	size_t n, i, used, got;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 1);
	ok(_metadata, self);
	/* whole */
	ASSERT_EQ(0, hs_app_write(self->cl, msg, sizeof(msg)));
	n = hs_output(self->cl, &p);
	ASSERT_EQ(0, hs_app_read(self->sv, p, n, &used, out, sizeof(out), &got));
	EXPECT_EQ(n, used);
	ASSERT_EQ(sizeof(msg), got);
	EXPECT_EQ(0, memcmp(msg, out, got));
	hs_output_consumed(self->cl, n);
	/* byte by byte */
	ASSERT_EQ(0, hs_app_write(self->cl, msg, sizeof(msg)));
	n = hs_output(self->cl, &p);
	memset(out, 0, sizeof(out));
	for (i = 0, got = 0; i < n && !got; i++) {
		ASSERT_EQ(0, hs_app_read(self->sv, p + i, 1, &used, out,
					 sizeof(out), &got));
		EXPECT_EQ(1U, used);
	}
	EXPECT_EQ(n, i);
	ASSERT_EQ(sizeof(msg), got);
	EXPECT_EQ(0, memcmp(msg, out, got));
	hs_output_consumed(self->cl, n);
	/* forged: one bit of the ciphertext */
	ASSERT_EQ(0, hs_app_write(self->cl, msg, sizeof(msg)));
	n = hs_output(self->cl, &p);
	ASSERT_LE(n, sizeof(rec));
	memcpy(rec, p, n);
	rec[100] ^= 1;
	memset(out, 0, sizeof(out));
	EXPECT_EQ(-EBADMSG, hs_app_read(self->sv, rec, n, &used, out,
					sizeof(out), &got));
	EXPECT_EQ(0U, got);
	for (i = 0; i < sizeof(out) && !out[i]; i++)
		;
	EXPECT_EQ(sizeof(out), i) TH_LOG("unauthenticated byte at %zu", i);
}

TEST_HARNESS_MAIN
