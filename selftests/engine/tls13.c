// SPDX-License-Identifier: GPL-2.0
/* TLS 1.3 in memory, client <-> server (RFC 8446). */
#include "kselftest_harness.h"

#include "selftests/engine/common.h"

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
	self->ccfg.verify_peer = true;
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
	EXPECT_EQ(HSD_GROUP_X25519, hs_params(self->sv)->group);
	EXPECT_TRUE(hs_params(self->cl)->peer_authenticated);
	/* RFC 8446 2: CH; SH EE Cert CV Fin; Fin */
	EXPECT_STREQ(">1 <2 <8 <11 <15 <20 >20", self->ct.log);
	EXPECT_STREQ("<1 >2 >8 >11 >15 >20 <20", self->st.log);
	keys_agree(_metadata, self);
}

TEST_HARNESS_MAIN
