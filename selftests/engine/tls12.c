// SPDX-License-Identifier: GPL-2.0
/* TLS 1.2 in memory, client <-> server (RFC 5246 flows 1-4), and resumption. */
#include "kselftest_harness.h"

#include "selftests/engine/common.h"
#include "handshaked/tls/internal.h"
#include "handshaked/tls/ext.h"
#include "handshaked/util.h"

static uint64_t fake_now(void *arg)
{
	return *(uint64_t *)arg;
}

FIXTURE(tls12)
{
	struct hsd_crypto *cr;
	struct hsd_x509_store *trust;
	struct cred ec, rsa, client;
	struct hs_config ccfg, scfg;
	struct hs_conn *cl, *sv;
	struct trace ct, st;
	uint64_t now;
	struct hs_ticket_keys *tk;
	struct hs_session_cache *cache;
};

FIXTURE_SETUP(tls12)
{
	ASSERT_EQ(0, hsd_crypto_new(&self->cr));
	ASSERT_EQ(0, hsd_x509_store_new(self->cr, HSD_CERTS "/ca.pem", NULL,
					NULL, &self->trust));
	ASSERT_EQ(0, cred_load(self->cr, "server-ec", &self->ec));
	ASSERT_EQ(0, cred_load(self->cr, "server-rsa", &self->rsa));
	ASSERT_EQ(0, cred_load(self->cr, "client-ec", &self->client));
	self->now = 1700000000000ULL;
	ASSERT_EQ(0, hs_ticket_keys_new(self->cr, 3600, 600, fake_now,
					&self->now, &self->tk));
	ASSERT_EQ(0, hs_session_cache_new(4, 3600, fake_now, &self->now,
					  &self->cache));
	memset(&self->ccfg, 0, sizeof(self->ccfg));
	self->ccfg.crypto = self->cr;
	self->ccfg.role = HS_CLIENT;
	self->ccfg.max_version = HS_TLS12;
	self->ccfg.trust = self->trust;
	self->ccfg.server_name = "server.test";
	self->ccfg.trace = trace_cb;
	self->ccfg.trace_arg = &self->ct;
	self->ccfg.now = fake_now;
	self->ccfg.now_arg = &self->now;
	memset(&self->scfg, 0, sizeof(self->scfg));
	self->scfg.crypto = self->cr;
	self->scfg.role = HS_SERVER;
	self->scfg.chain = &self->ec.chain;
	self->scfg.key = self->ec.key;
	self->scfg.trust = self->trust;
	self->scfg.trace = trace_cb;
	self->scfg.trace_arg = &self->st;
	self->scfg.now = fake_now;
	self->scfg.now_arg = &self->now;
	memset(&self->ct, 0, sizeof(self->ct));
	memset(&self->st, 0, sizeof(self->st));
	self->cl = self->sv = NULL;
}

FIXTURE_TEARDOWN(tls12)
{
	hs_conn_free(self->cl);
	hs_conn_free(self->sv);
	cred_free(&self->ec);
	cred_free(&self->rsa);
	cred_free(&self->client);
	hs_ticket_keys_free(self->tk);
	hs_session_cache_free(self->cache);
	hsd_x509_store_free(self->trust);
	hsd_crypto_free(self->cr);
}

static int run(struct __test_metadata *_metadata, FIXTURE_DATA(tls12) *self)
{
	const char *why;
	uint8_t alert;

	hs_conn_free(self->cl);
	hs_conn_free(self->sv);
	self->cl = self->sv = NULL;
	memset(&self->ct, 0, sizeof(self->ct));
	memset(&self->st, 0, sizeof(self->st));
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

/* application data both ways through the user-space record layer */
static void data_flows(struct __test_metadata *_metadata,
		       FIXTURE_DATA(tls12) *self)
{
	static const char msg[] = "ping over TLS";
	uint8_t out[16384];
	const uint8_t *p;
	size_t n, used, got;

	ASSERT_EQ(0, hs_app_write(self->cl, (const uint8_t *)msg, sizeof(msg)));
	n = hs_output(self->cl, &p);
	ASSERT_EQ(0, hs_app_read(self->sv, p, n, &used, out, sizeof(out), &got));
	hs_output_consumed(self->cl, used);
	ASSERT_EQ(sizeof(msg), got);
	EXPECT_EQ(0, memcmp(out, msg, got));
	ASSERT_EQ(0, hs_app_write(self->sv, out, got));
	n = hs_output(self->sv, &p);
	ASSERT_EQ(0, hs_app_read(self->cl, p, n, &used, out, sizeof(out), &got));
	hs_output_consumed(self->sv, used);
	EXPECT_EQ(sizeof(msg), got);
}

static void ok(struct __test_metadata *_metadata, FIXTURE_DATA(tls12) *self)
{
	struct hs_traffic a, b;

	ASSERT_EQ(0, run(_metadata, self));
	EXPECT_EQ(HS_TLS12, hs_params(self->cl)->version);
	ASSERT_EQ(0, hs_traffic(self->cl, true, &a));
	ASSERT_EQ(0, hs_traffic(self->sv, false, &b));
	EXPECT_EQ(0, memcmp(a.key, b.key, a.aead->key_len));
	EXPECT_EQ(0, memcmp(a.iv, b.iv, 4));
	data_flows(_metadata, self);
}

static void fails_with(struct __test_metadata *_metadata,
		       FIXTURE_DATA(tls12) *self, bool by_client, uint8_t alert)
{
	uint8_t a = 0;

	ASSERT_NE(0, run(_metadata, self));
	ASSERT_NE(0, hs_error(by_client ? self->cl : self->sv, &a, NULL, NULL));
	EXPECT_EQ(alert, a) TH_LOG("got %s", hs_alert_name(a));
}

static void use(FIXTURE_DATA(tls12) *self, struct cred *c)
{
	self->scfg.chain = &c->chain;
	self->scfg.key = c->key;
}

/* RFC 5246 7.3 Figure 1, flow 1 */
TEST_F(tls12, full_ecdhe_message_order)
{
	ok(_metadata, self);
	EXPECT_EQ(HS_ECDHE_ECDSA_AES_128_GCM_SHA256, hs_params(self->cl)->suite->id);
	EXPECT_TRUE(hs_params(self->cl)->extended_master_secret);
	EXPECT_TRUE(hs_params(self->cl)->peer_authenticated);
	/* CH; SH Cert SKE SHD; CKE CCS Fin; CCS Fin */
	EXPECT_STREQ(">1 <2 <11 <12 <14 >16 >20 >20 <20 <20", self->ct.log);
	EXPECT_STREQ("<1 >2 >11 >12 >14 <16 <20 <20 >20 >20", self->st.log);
}

TEST_F(tls12, every_suite)
{
	static const struct { uint16_t id; bool rsa; } t[] = {
		{ HS_ECDHE_ECDSA_AES_128_GCM_SHA256, false },
		{ HS_ECDHE_ECDSA_AES_256_GCM_SHA384, false },
		{ HS_ECDHE_ECDSA_CHACHA20_POLY1305, false },
		{ HS_ECDHE_ECDSA_AES_128_CCM, false },
		{ HS_ECDHE_RSA_AES_128_GCM_SHA256, true },
		{ HS_ECDHE_RSA_AES_256_GCM_SHA384, true },
		{ HS_ECDHE_RSA_CHACHA20_POLY1305, true },
		{ HS_DHE_RSA_AES_128_GCM_SHA256, true },
		{ HS_RSA_AES_128_GCM_SHA256, true },
		{ HS_RSA_AES_256_GCM_SHA384, true },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		self->ccfg.suites = &t[i].id;
		self->ccfg.n_suites = 1;
		use(self, t[i].rsa ? &self->rsa : &self->ec);
		ok(_metadata, self);
		EXPECT_EQ(t[i].id, hs_params(self->sv)->suite->id);
	}
}

/* flow 3: RSA key transport has no ServerKeyExchange */
TEST_F(tls12, rsa_key_transport_message_order)
{
	static const uint16_t s = HS_RSA_AES_128_GCM_SHA256;

	self->ccfg.suites = &s;
	self->ccfg.n_suites = 1;
	use(self, &self->rsa);
	ok(_metadata, self);
	EXPECT_STREQ(">1 <2 <11 <14 >16 >20 >20 <20 <20", self->ct.log);
}

/* flow 2 */
TEST_F(tls12, client_authentication_message_order)
{
	self->scfg.request_client_cert = true;
	self->scfg.require_client_cert = true;
	self->ccfg.chain = &self->client.chain;
	self->ccfg.key = self->client.key;
	ok(_metadata, self);
	EXPECT_TRUE(hs_params(self->sv)->peer_authenticated);
	/* CH; SH Cert SKE CR SHD; Cert CKE CV CCS Fin; CCS Fin */
	EXPECT_STREQ(">1 <2 <11 <12 <13 <14 >11 >16 >15 >20 >20 <20 <20",
		     self->ct.log);
}

TEST_F(tls12, client_certificate_required_but_absent)
{
	self->scfg.request_client_cert = true;
	self->scfg.require_client_cert = true;
	fails_with(_metadata, self, false, HS_ALERT_HANDSHAKE_FAILURE);
}

TEST_F(tls12, untrusted_server_is_unknown_ca)
{
	struct cred u;

	ASSERT_EQ(0, cred_load(self->cr, "untrusted", &u));
	use(self, &u);
	fails_with(_metadata, self, true, HS_ALERT_UNKNOWN_CA);
	cred_free(&u);
}

/* flow 4a: resumption by session ID (RFC 5246 7.3 Figure 2) */
TEST_F(tls12, resumption_by_session_id)
{
	struct hs_session s, s2;

	self->scfg.session_cache = self->cache;
	ok(_metadata, self);
	ASSERT_EQ(0, hs_get_session(self->cl, &s));
	EXPECT_EQ(32U, s.session_id_len);
	EXPECT_EQ(1U, hs_session_cache_count(self->cache));
	self->ccfg.resume = &s;
	ok(_metadata, self);
	EXPECT_TRUE(hs_params(self->cl)->resumed);
	EXPECT_TRUE(hs_params(self->sv)->resumed);
	/* RFC 5246 7.3: the resumed session goes on, and resumes again */
	ASSERT_EQ(0, hs_get_session(self->cl, &s2));
	EXPECT_EQ(0, memcmp(s2.session_id, s.session_id, 32));
	self->ccfg.resume = &s2;
	ok(_metadata, self);
	EXPECT_TRUE(hs_params(self->cl)->resumed);
	EXPECT_TRUE(hs_params(self->sv)->resumed);
	/* CH; SH CCS Fin; CCS Fin */
	EXPECT_STREQ(">1 <2 <20 <20 >20 >20", self->ct.log);
	EXPECT_STREQ("<1 >2 >20 >20 <20 <20", self->st.log);
}

TEST_F(tls12, unknown_session_id_gets_full_handshake_and_new_id)
{
	struct hs_session s;
	uint8_t old[32];

	self->scfg.session_cache = self->cache;
	ok(_metadata, self);
	ASSERT_EQ(0, hs_get_session(self->cl, &s));
	memcpy(old, s.session_id, 32);
	s.session_id[0] ^= 1;
	self->ccfg.resume = &s;
	ok(_metadata, self);
	EXPECT_FALSE(hs_params(self->cl)->resumed);
	ASSERT_EQ(0, hs_get_session(self->cl, &s));
	EXPECT_NE(0, memcmp(old, s.session_id, 32));
	EXPECT_STREQ(">1 <2 <11 <12 <14 >16 >20 >20 <20 <20", self->ct.log);
}

TEST_F(tls12, session_cache_expires_and_is_bounded)
{
	struct hs_session s;
	int i;

	self->scfg.session_cache = self->cache;
	for (i = 0; i < 6; i++)
		ok(_metadata, self);
	EXPECT_EQ(4U, hs_session_cache_count(self->cache));
	ASSERT_EQ(0, hs_get_session(self->cl, &s));
	self->now += 3601 * 1000ULL;
	EXPECT_EQ(0U, hs_session_cache_count(self->cache));
	self->ccfg.resume = &s;
	ok(_metadata, self);
	EXPECT_FALSE(hs_params(self->cl)->resumed);
}

/* a ClientHello's extended_master_secret renamed to an unassigned type */
static void drop_ems(void *arg, uint8_t *msg, size_t *len, size_t cap)
{
	struct hs_cur c = hs_cur_init(msg + 4, *len - 4), v, exts;
	const uint8_t *r;
	uint16_t ver, type;

	if (msg[0] != HS_MT_CLIENT_HELLO)
		return;
	hs_cur_u16(&c, &ver);
	hs_cur_take(&c, 32, &r);
	hs_cur_vec(&c, 1, 0, &v);
	hs_cur_vec(&c, 2, 2, &v);
	hs_cur_vec(&c, 1, 1, &v);
	hs_cur_vec(&c, 2, 0, &exts);
	while (hs_cur_left(&exts)) {
		uint8_t *at = (uint8_t *)exts.p;

		hs_cur_u16(&exts, &type);
		hs_cur_vec(&exts, 2, 0, &v);
		if (type == HS_EXT_EXTENDED_MASTER_SECRET)
			at[0] = 0xfe;
	}
}

/*
 * RFC 7627 5.3: an extended-master-secret session offered without EMS is
 * refused, and the master secret the server looked up is wiped then too.
 */
TEST_F(tls12, ems_mismatch_on_resumption_fails_and_wipes_the_secret)
{
	struct hs_test_hooks hooks = { .tamper = drop_ems };
	struct hs_session s;
	uint8_t alert = 0;

	self->scfg.session_cache = self->cache;
	ok(_metadata, self);
	ASSERT_EQ(0, hs_get_session(self->cl, &s));
	ASSERT_TRUE(s.ems);
	/* a client that offers the session without the extension */
	self->ccfg.resume = &s;
	self->ccfg.test = &hooks;
	ASSERT_NE(0, run(_metadata, self));
	ASSERT_NE(0, hs_error(self->sv, &alert, NULL, NULL));
	EXPECT_EQ(HS_ALERT_HANDSHAKE_FAILURE, alert);
	EXPECT_FALSE(stack_holds(s.secret, 48));
	/* the probe finds a secret that is there */
	leave_on_stack(s.secret, 48);
	EXPECT_TRUE(stack_holds(s.secret, 48));
}

/* the client's DHE ClientKeyExchange with dh_Yc's leading zeros dropped */
struct strip {
	int stripped;
};

static void strip_dh_yc(void *arg, uint8_t *msg, size_t *len, size_t cap)
{
	struct strip *t = arg;
	size_t n = (size_t)msg[4] << 8 | msg[5], z = 0;

	if (msg[0] != HS_MT_CLIENT_KEY_EXCHANGE || *len != 6 + n)
		return;
	while (z < n - 1 && !msg[6 + z])
		z++;
	if (!z)
		return;
	memmove(msg + 6, msg + 6 + z, n - z);
	n -= z;
	msg[4] = (uint8_t)(n >> 8);
	msg[5] = (uint8_t)n;
	msg[1] = 0;
	msg[2] = (uint8_t)((n + 2) >> 8);
	msg[3] = (uint8_t)(n + 2);
	*len = 6 + n;
	t->stripped++;
}

/*
 * RFC 5246 7.4.7.2: dh_Yc is an integer; GnuTLS and older OpenSSL send it
 * without leading zeros (1 share in 256). The server left-pads it and
 * agrees on the premaster secret. (Our tamper hook runs after our own
 * transcript took the message, so the handshake then fails at Finished:
 * the master secrets are compared, without extended_master_secret.)
 */
TEST_F(tls12, dhe_public_value_without_leading_zeros)
{
	static const uint16_t suite = HS_DHE_RSA_AES_128_GCM_SHA256;
	struct strip t = { 0 };
	struct hs_test_hooks hooks = { .tamper = strip_dh_yc, .arg = &t };
	int i;

	use(self, &self->rsa);
	self->ccfg.suites = &suite;
	self->ccfg.n_suites = 1;
	self->ccfg.test = &hooks;
	self->scfg.no_extended_master_secret = true;
	for (i = 0; i < 4000 && !t.stripped; i++)
		run(_metadata, self);
	ASSERT_EQ(1, t.stripped) TH_LOG("no share with a leading zero in %d", i);
	EXPECT_FALSE(hs_params(self->sv)->extended_master_secret);
	EXPECT_EQ(0, memcmp(self->cl->master_secret, self->sv->master_secret, 48));
	/* the server got past the ClientKeyExchange: it failed at Finished */
	EXPECT_EQ(NULL, strstr(self->sv->why, "key share"));
}

/* flow 4b: resumption by ticket (RFC 5077 3.1 Figures 1-2) */
TEST_F(tls12, resumption_by_ticket)
{
	struct hs_session s, s2;

	self->scfg.ticket_keys = self->tk;
	ok(_metadata, self);
	/* ... CKE CCS Fin; NST CCS Fin */
	EXPECT_STREQ(">1 <2 <11 <12 <14 >16 >20 >20 <4 <20 <20", self->ct.log);
	ASSERT_EQ(0, hs_get_session(self->cl, &s));
	EXPECT_LT(0U, s.ticket_len);
	self->ccfg.resume = &s;
	ok(_metadata, self);
	EXPECT_TRUE(hs_params(self->sv)->resumed);
	EXPECT_STREQ(">1 <2 <4 <20 <20 >20 >20", self->ct.log);
	/* RFC 5077 3.3: the ticket renewed in the abbreviated handshake is kept */
	ASSERT_EQ(0, hs_get_session(self->cl, &s2));
	EXPECT_LT(0U, s2.ticket_len);
	EXPECT_FALSE(s2.ticket_len == s.ticket_len && !memcmp(s2.ticket, s.ticket, s.ticket_len));
	EXPECT_EQ(0, memcmp(s2.secret, s.secret, s.secret_len));
	self->ccfg.resume = &s2;
	ok(_metadata, self);
	EXPECT_TRUE(hs_params(self->sv)->resumed);
	EXPECT_TRUE(hs_params(self->cl)->resumed);
}

TEST_F(tls12, ticket_survives_one_rotation_not_two)
{
	struct hs_session s;

	self->scfg.ticket_keys = self->tk;
	ok(_metadata, self);
	ASSERT_EQ(0, hs_get_session(self->cl, &s));
	self->ccfg.resume = &s;
	ASSERT_EQ(0, hs_ticket_keys_rotate(self->tk));
	ok(_metadata, self);
	EXPECT_TRUE(hs_params(self->sv)->resumed);
	ASSERT_EQ(0, hs_ticket_keys_rotate(self->tk));
	ASSERT_EQ(0, hs_ticket_keys_rotate(self->tk));
	ok(_metadata, self);
	EXPECT_FALSE(hs_params(self->sv)->resumed);
}

TEST_F(tls12, tampered_ticket_gets_full_handshake)
{
	struct hs_session s;

	self->scfg.ticket_keys = self->tk;
	ok(_metadata, self);
	ASSERT_EQ(0, hs_get_session(self->cl, &s));
	s.ticket[s.ticket_len - 1] ^= 1;
	self->ccfg.resume = &s;
	ok(_metadata, self);
	EXPECT_FALSE(hs_params(self->sv)->resumed);
}

/* RFC 8446 4.1.3: a TLS 1.3 client sees the downgrade sentinel */
TEST_F(tls12, downgrade_sentinel_detected)
{
	self->scfg.max_version = HS_TLS12;	/* forced 1.2 server ... */
	self->ccfg.max_version = HS_TLS13;	/* ... 1.3-capable client */
	ok(_metadata, self);			/* no sentinel: 1.2 only */
	self->scfg.max_version = HS_TLS13;
	self->scfg.min_version = HS_TLS12;
	self->ccfg.min_version = HS_TLS12;
	self->ccfg.max_version = HS_TLS12;	/* 1.2 client, server marks it */
	ok(_metadata, self);
}

TEST_F(tls12, only_old_versions_get_protocol_version)
{
	/* a TLS 1.1 ClientHello: legacy_version 0x0302, no supported_versions */
	static const uint8_t ch[] = {
		0x16, 0x03, 0x01, 0x00, 0x2d, 0x01, 0x00, 0x00, 0x29, 0x03, 0x02,
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
		20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
		0x00, 0x00, 0x02, 0xc0, 0x2b, 0x01, 0x00,
	};
	uint8_t alert;
	size_t used;

	ASSERT_EQ(0, hs_conn_new(&self->scfg, &self->sv));
	EXPECT_NE(0, hs_input(self->sv, ch, sizeof(ch), &used));
	hs_error(self->sv, &alert, NULL, NULL);
	EXPECT_EQ(HS_ALERT_PROTOCOL_VERSION, alert);
}


static const uint8_t alpn_client[] = {
	2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1',
};
static const uint8_t alpn_server[] = { 8, 'h', 't', 't', 'p', '/', '1', '.', '1' };
static const uint8_t alpn_other[] = { 3, 'f', 'o', 'o' };

/* RFC 7301: the server picks one of the client's protocols */
TEST_F(tls12, alpn_negotiated)
{
	self->ccfg.alpn = alpn_client;
	self->ccfg.alpn_len = sizeof(alpn_client);
	self->scfg.alpn = alpn_server;
	self->scfg.alpn_len = sizeof(alpn_server);
	ok(_metadata, self);
	EXPECT_STREQ("http/1.1", hs_params(self->cl)->alpn);
	EXPECT_STREQ("http/1.1", hs_params(self->sv)->alpn);
	self->ccfg.max_version = HS_TLS13;
	ASSERT_EQ(0, run(_metadata, self));
	EXPECT_STREQ("http/1.1", hs_params(self->cl)->alpn);
}

TEST_F(tls12, malformed_alpn_configuration_is_refused)
{
	/* a length byte of 63 before two bytes */
	static const uint8_t bad[] = { 0x3f, 'o', 'o' };

	self->scfg.alpn = bad;
	self->scfg.alpn_len = 3;
	EXPECT_EQ(-EINVAL, hs_conn_new(&self->scfg, &self->sv));
}

TEST_F(tls12, alpn_without_overlap_is_no_application_protocol)
{
	self->ccfg.alpn = alpn_client;
	self->ccfg.alpn_len = sizeof(alpn_client);
	self->scfg.alpn = alpn_other;
	self->scfg.alpn_len = sizeof(alpn_other);
	fails_with(_metadata, self, false, HS_ALERT_NO_APPLICATION_PROTOCOL);
}

/*
 * RFC 8449: with a 256-byte limit the server's Certificate (some 600
 * bytes) spans several records, and application records stay below it.
 */
TEST_F(tls12, record_size_limit_splits_messages_and_records)
{
	static uint8_t big[3000];
	uint8_t out[16384];
	const uint8_t *p;
	size_t n, used, got, total = 0, records = 0, off;
	int v;

	for (v = 0; v < 2; v++) {
		self->ccfg.max_version = v ? HS_TLS13 : HS_TLS12;
		self->ccfg.record_size_limit = 256;
		self->scfg.record_size_limit = 256;
		ASSERT_EQ(0, run(_metadata, self));
		EXPECT_EQ(256U, hs_params(self->sv)->peer_record_size_limit);
		/* deliver post-handshake records, if any */
		while ((n = hs_output(self->sv, &p))) {
			ASSERT_EQ(0, hs_app_read(self->cl, p, n, &used, out,
						 sizeof(out), &got));
			hs_output_consumed(self->sv, used);
		}
		ASSERT_EQ(0, hs_app_write(self->sv, big, sizeof(big)));
		n = hs_output(self->sv, &p);
		for (off = 0, records = 0; off < n; records++) {
			size_t rl = (size_t)p[off + 3] << 8 | p[off + 4];

			/* plaintext at most 256 (incl. the 1.3 content type) */
			EXPECT_GE((size_t)(256 + 16 + (v ? 0 : 8)), rl);
			off += 5 + rl;
		}
		EXPECT_LE(12U, records);
		for (total = 0; (n = hs_output(self->sv, &p));) {
			ASSERT_EQ(0, hs_app_read(self->cl, p, n, &used, out,
						 sizeof(out), &got));
			hs_output_consumed(self->sv, used);
			total += got;
		}
		EXPECT_EQ(sizeof(big), total);
	}
}

/*
 * RFC 8449 4: a record over the limit we announced is record_overflow,
 * in both versions. The server is made to ignore our limit (its record
 * bound is raised behind the engine's back).
 */
TEST_F(tls12, record_over_our_limit_is_record_overflow)
{
	static uint8_t big[600];
	uint8_t out[16384], alert;
	const uint8_t *p;
	size_t n, used, got;
	int v, err;

	for (v = 0; v < 2; v++) {
		self->ccfg.max_version = v ? HS_TLS13 : HS_TLS12;
		self->ccfg.record_size_limit = 256;
		ASSERT_EQ(0, run(_metadata, self));
		while ((n = hs_output(self->sv, &p))) {
			ASSERT_EQ(0, hs_app_read(self->cl, p, n, &used, out,
						 sizeof(out), &got));
			hs_output_consumed(self->sv, used);
		}
		self->sv->tx.max_plaintext = 300;
		ASSERT_EQ(0, hs_app_write(self->sv, big, sizeof(big)));
		n = hs_output(self->sv, &p);
		err = hs_app_read(self->cl, p, n, &used, out, sizeof(out), &got);
		EXPECT_EQ(-EMSGSIZE, err);
		EXPECT_EQ(-EMSGSIZE, hs_error(self->cl, &alert, NULL, NULL));
		EXPECT_EQ(HS_ALERT_RECORD_OVERFLOW, alert);
	}
}

/*
 * RFC 5746 4.2/4.4: renegotiation is refused with one fatal
 * no_renegotiation, however many HelloRequests (or ClientHellos) came: a
 * warning per request amplified a record of them eightfold.
 */
TEST_F(tls12, renegotiation_is_refused)
{
	static uint8_t hello_requests[4 * 4096];
	const uint8_t *p;
	uint8_t alert = 0;
	bool rcvd = true;
	size_t n;

	ok(_metadata, self);
	EXPECT_EQ(-EPROTO, hs_post_handshake(self->cl, hello_requests,
					     sizeof(hello_requests)));
	n = hs_output(self->cl, &p);
	/* one protected alert record: 5 + 8 explicit nonce + 2 + 16 */
	EXPECT_EQ(31U, n);
	EXPECT_EQ(21, p[0]);
	ASSERT_NE(0, hs_error(self->cl, &alert, &rcvd, NULL));
	EXPECT_EQ(HS_ALERT_NO_RENEGOTIATION, alert);
	EXPECT_FALSE(rcvd);
	EXPECT_NE(0, hs_app_write(self->cl, (const uint8_t *)"x", 1));
	/* the server refuses a ClientHello after its handshake the same way */
	hello_requests[0] = 1;
	EXPECT_GT(0, hs_post_handshake(self->sv, hello_requests, 4));
	ASSERT_NE(0, hs_error(self->sv, &alert, NULL, NULL));
	EXPECT_EQ(HS_ALERT_NO_RENEGOTIATION, alert);
	hello_requests[0] = 0;
}

/* RFC 5246 7.1: a ChangeCipherSpec inside a handshake message is refused */
TEST_F(tls12, change_cipher_spec_inside_a_message_is_unexpected)
{
	/* a ServerHello's first 3 bytes, then a CCS */
	static const uint8_t in[] = { 22, 3, 3, 0, 3, 2, 0, 0,
				      20, 3, 3, 0, 1, 1 };
	uint8_t alert = 0;
	size_t used;

	ASSERT_EQ(0, hs_conn_new(&self->ccfg, &self->cl));
	ASSERT_EQ(0, hs_start(self->cl));
	EXPECT_NE(0, hs_input(self->cl, in, sizeof(in), &used));
	ASSERT_NE(0, hs_error(self->cl, &alert, NULL, NULL));
	EXPECT_EQ(HS_ALERT_UNEXPECTED_MESSAGE, alert);
}

TEST_HARNESS_MAIN
