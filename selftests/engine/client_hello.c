// SPDX-License-Identifier: GPL-2.0
/*
 * ClientHellos built by hand, field by field, that no well-behaved client
 * of ours would send: what a conformance checker or a hostile client
 * sends to a server. Each test names what the server must answer (RFC 8446
 * 4.1.2, 4.2, 6; RFC 5246 7.4.1.2).
 */
#include "kselftest_harness.h"

#include "selftests/engine/common.h"
#include "handshaked/tls/internal.h"

/* what goes into one ClientHello; zero fields take the defaults */
struct raw_ch {
	uint16_t legacy_version;	/* 0: 0x0303 */
	bool tls12_only;		/* no supported_versions */
	size_t n_suites;		/* extra unknown suites before ours */
	size_t n_junk_sigs;		/* unknown schemes before ours */
	uint16_t share_group;		/* 0: x25519 */
	bool share_group_unlisted;	/* supported_groups lacks it */
	size_t pad;			/* an unknown extension this long */
	size_t n_unknown_exts;		/* that many unassigned types, empty */
	bool no_ec_point_formats;
	uint16_t sig_only;		/* signature_algorithms: this alone */
	bool dup_share;			/* the key share twice */
	size_t n_identities;		/* pre_shared_key identities */
	size_t known_identity;		/* 1-based: the one the server knows */
};

/* Appends the ClientHello message (header included) to @b. */
static void raw_ch_build(const struct raw_ch *r, struct hs_buf *b)
{
	struct hs_vec_mark msg, m, e, v;
	uint16_t share = r->share_group ? r->share_group : HSD_GROUP_X25519;
	uint8_t key[32];
	size_t i;

	memset(key, 0x55, sizeof(key));
	hs_put_u8(b, HS_MT_CLIENT_HELLO);
	msg = hs_vec_open(b, 3);
	hs_put_u16(b, r->legacy_version ? r->legacy_version : HS_TLS12);
	for (i = 0; i < 32; i++)
		hs_put_u8(b, (uint8_t)i);
	hs_put_u8(b, 0);				/* legacy_session_id */
	m = hs_vec_open(b, 2);
	for (i = 0; i < r->n_suites; i++)
		hs_put_u16(b, (uint16_t)(0x5a00 + i % 256));
	hs_put_u16(b, HS_TLS_AES_128_GCM_SHA256);
	hs_put_u16(b, HS_ECDHE_ECDSA_AES_128_GCM_SHA256);
	hs_vec_close(b, m);
	hs_put_u8(b, 1);
	hs_put_u8(b, 0);				/* null compression */
	e = hs_vec_open(b, 2);
	for (i = 0; i < r->n_unknown_exts; i++) {
		hs_put_u16(b, (uint16_t)(0xa000 + i));
		hs_put_u16(b, 0);
	}
	if (r->pad) {
		hs_put_u16(b, 0xfe77);			/* unassigned type */
		v = hs_vec_open(b, 2);
		for (i = 0; i < r->pad; i++)
			hs_put_u8(b, 0);
		hs_vec_close(b, v);
	}
	if (!r->tls12_only) {
		hs_put_u16(b, 43);			/* supported_versions */
		hs_put_u16(b, 3);
		hs_put_u8(b, 2);
		hs_put_u16(b, HS_TLS13);
	}
	hs_put_u16(b, 10);				/* supported_groups */
	v = hs_vec_open(b, 2);
	m = hs_vec_open(b, 2);
	if (!r->share_group_unlisted)
		hs_put_u16(b, share);
	hs_put_u16(b, HSD_GROUP_SECP256R1);
	hs_vec_close(b, m);
	hs_vec_close(b, v);
	if (!r->no_ec_point_formats) {
		hs_put_u16(b, 11);			/* ec_point_formats */
		hs_put_u16(b, 2);
		hs_put_u8(b, 1);
		hs_put_u8(b, 0);
	}
	hs_put_u16(b, 13);				/* signature_algorithms */
	v = hs_vec_open(b, 2);
	m = hs_vec_open(b, 2);
	for (i = 0; i < r->n_junk_sigs; i++)
		hs_put_u16(b, (uint16_t)(0x0e00 + i % 256));
	if (r->sig_only) {
		hs_put_u16(b, r->sig_only);
	} else {
		hs_put_u16(b, 0x0403);			/* ecdsa_secp256r1_sha256 */
		hs_put_u16(b, 0x0804);			/* rsa_pss_rsae_sha256 */
	}
	hs_vec_close(b, m);
	hs_vec_close(b, v);
	if (!r->tls12_only) {
		hs_put_u16(b, 51);			/* key_share */
		v = hs_vec_open(b, 2);
		m = hs_vec_open(b, 2);
		hs_put_u16(b, share);
		hs_put_vec(b, 2, key, sizeof(key));
		if (r->dup_share) {
			hs_put_u16(b, share);
			hs_put_vec(b, 2, key, sizeof(key));
		}
		hs_vec_close(b, m);
		hs_vec_close(b, v);
		hs_put_u16(b, 45);			/* psk_key_exchange_modes */
		hs_put_u16(b, 2);
		hs_put_u8(b, 1);
		hs_put_u8(b, 1);
	}
	if (r->n_identities) {
		hs_put_u16(b, 41);			/* pre_shared_key, last */
		v = hs_vec_open(b, 2);
		m = hs_vec_open(b, 2);
		for (i = 1; i <= r->n_identities; i++) {
			char id[16];

			snprintf(id, sizeof(id), i == r->known_identity ?
				 "known" : "id-%05zu", i);
			hs_put_vec(b, 2, id, strlen(id));
			hs_put_u32(b, 0);
		}
		hs_vec_close(b, m);
		m = hs_vec_open(b, 2);
		for (i = 1; i <= r->n_identities; i++) {
			hs_put_u8(b, 32);
			hs_put_bytes(b, key, 32);
		}
		hs_vec_close(b, m);
		hs_vec_close(b, v);
	}
	hs_vec_close(b, e);
	hs_vec_close(b, msg);
}

/* @msg as handshake records of at most @frag bytes each */
static size_t records(const uint8_t *msg, size_t n, size_t frag, uint8_t *out)
{
	size_t o = 0, k;

	while (n) {
		k = n < frag ? n : frag;
		out[o++] = HS_CT_HANDSHAKE;
		out[o++] = 3;
		out[o++] = 1;
		out[o++] = (uint8_t)(k >> 8);
		out[o++] = (uint8_t)k;
		memcpy(out + o, msg, k);
		o += k;
		msg += k;
		n -= k;
	}
	return o;
}

struct lookups {
	unsigned int calls;
};

static int count_lookup(void *arg, const uint8_t *id, size_t len,
			struct hs_psk *out)
{
	struct lookups *l = arg;

	l->calls++;
	if (len != 5 || memcmp(id, "known", 5))
		return -ENOKEY;
	memset(out, 0, sizeof(*out));
	out->identity_len = 5;
	memcpy(out->identity, "known", 5);
	out->key_len = 32;
	out->hash = HSD_SHA256;
	return 0;
}

FIXTURE(ch)
{
	struct hsd_crypto *cr;
	struct cred server;
	struct hs_config scfg;
	struct hs_conn *sv;
	struct lookups lk;
	uint8_t *msg, *wire;
	size_t msg_len;
};

FIXTURE_SETUP(ch)
{
	ASSERT_EQ(0, hsd_crypto_new(&self->cr));
	ASSERT_EQ(0, cred_load(self->cr, "server-ec", &self->server));
	memset(&self->scfg, 0, sizeof(self->scfg));
	self->scfg.crypto = self->cr;
	self->scfg.role = HS_SERVER;
	self->scfg.chain = &self->server.chain;
	self->scfg.key = self->server.key;
	self->lk.calls = 0;
	self->sv = NULL;
	self->msg = malloc(HS_MAX_HANDSHAKE * 2);
	self->wire = malloc(HS_MAX_HANDSHAKE * 4);
	ASSERT_NE(NULL, self->msg);
	ASSERT_NE(NULL, self->wire);
}

FIXTURE_TEARDOWN(ch)
{
	hs_conn_free(self->sv);
	cred_free(&self->server);
	hsd_crypto_free(self->cr);
	free(self->msg);
	free(self->wire);
}

/*
 * The server's answer to @r sent in records of @frag bytes: 0 when it
 * took the ClientHello and answered with a ServerHello, else the alert.
 */
static int answer(struct __test_metadata *_metadata, FIXTURE_DATA(ch) *self,
		  const struct raw_ch *r, size_t frag)
{
	struct hs_buf b = hs_buf_init(self->msg, HS_MAX_HANDSHAKE * 2);
	const uint8_t *out;
	const char *why = "";
	uint8_t alert = 0;
	size_t n, used;

	raw_ch_build(r, &b);
	EXPECT_EQ(0, b.err);
	self->msg_len = b.len;
	n = records(self->msg, b.len, frag, self->wire);
	hs_conn_free(self->sv);
	self->sv = NULL;
	if (hs_conn_new(&self->scfg, &self->sv))
		return -1;
	if (hs_input(self->sv, self->wire, n, &used)) {
		hs_error(self->sv, &alert, NULL, &why);
		TH_LOG("server: %s (%s)", why, hs_alert_name(alert));
		return alert;
	}
	EXPECT_EQ(n, used);
	/* a ServerHello (or HelloRetryRequest) went out */
	n = hs_output(self->sv, &out);
	EXPECT_LT(5U, n);
	if (n > 5) {
		EXPECT_EQ(HS_CT_HANDSHAKE, out[0]);
		EXPECT_EQ(HS_MT_SERVER_HELLO, out[5]);
	}
	return 0;
}

/*
 * One ClientHello may name thousands of identities; each lookup costs
 * keyring searches in the daemon's single loop. Only the first
 * HS_MAX_PSK_LOOKUPS are looked up: one beyond them is not found.
 */
TEST_F(ch, psk_identities_looked_up_are_capped)
{
	struct raw_ch r = { .n_identities = 1000, .known_identity = 1000 };

	self->scfg.chain = NULL;
	self->scfg.key = NULL;
	self->scfg.psk_lookup = count_lookup;
	self->scfg.psk_lookup_arg = &self->lk;
	EXPECT_EQ(HS_ALERT_UNKNOWN_PSK_IDENTITY, answer(_metadata, self, &r, 16384));
	EXPECT_EQ(HS_MAX_PSK_LOOKUPS, (int)self->lk.calls);
	/* within the cap it is found (its binder is wrong: decrypt_error) */
	self->lk.calls = 0;
	r.known_identity = HS_MAX_PSK_LOOKUPS;
	EXPECT_EQ(HS_ALERT_DECRYPT_ERROR, answer(_metadata, self, &r, 16384));
	EXPECT_EQ(HS_MAX_PSK_LOOKUPS, (int)self->lk.calls);
}

/* whether the server's first message (a ServerHello) carries @type */
static bool server_hello_has(FIXTURE_DATA(ch) *self, uint16_t type)
{
	const uint8_t *out;
	size_t n = hs_output(self->sv, &out);
	struct hs_cur c = hs_cur_init(out + 9, n - 9), v, exts;
	uint16_t t;

	hs_cur_take(&c, 2 + 32, &out);
	hs_cur_vec(&c, 1, 0, &v);
	hs_cur_take(&c, 3, &out);
	if (hs_cur_vec(&c, 2, 0, &exts))
		return false;
	while (!hs_cur_u16(&exts, &t) && !hs_cur_vec(&exts, 2, 0, &v))
		if (t == type)
			return true;
	return false;
}

/*
 * RFC 5246 7.4.1.4: an extension type MUST NOT appear in the ServerHello
 * unless it was in the ClientHello: ec_point_formats among them.
 */
TEST_F(ch, tls12_server_hello_answers_only_what_was_offered)
{
	struct raw_ch r = { .tls12_only = true, .no_ec_point_formats = true };

	ASSERT_EQ(0, answer(_metadata, self, &r, 16384));
	EXPECT_EQ(HS_TLS12, hs_params(self->sv)->version);
	EXPECT_FALSE(server_hello_has(self, 11));
	r.no_ec_point_formats = false;
	ASSERT_EQ(0, answer(_metadata, self, &r, 16384));
	EXPECT_TRUE(server_hello_has(self, 11));
}

/*
 * RFC 8446 4.1.2, 4.2.3, 5.1: thousands of unknown or repeated suites and
 * signature schemes, a 32 KiB extension, a ClientHello fragmented over
 * many records: all valid; unknown values are ignored, ours are found
 * at the end of the lists.
 */
TEST_F(ch, large_client_hellos_are_answered)
{
	struct raw_ch big_lists = { .n_suites = 10000, .n_junk_sigs = 12000 };
	struct raw_ch big_ext = { .pad = 32 * 1024 };
	struct raw_ch many_exts = { .n_unknown_exts = 5000 };
	struct raw_ch tls12 = { .tls12_only = true, .n_suites = 10000,
				.n_junk_sigs = 12000 };

	EXPECT_EQ(0, answer(_metadata, self, &big_lists, 16384));
	EXPECT_EQ(HS_TLS_AES_128_GCM_SHA256, hs_params(self->sv)->suite->id);
	EXPECT_EQ(0, answer(_metadata, self, &big_lists, 100));
	EXPECT_EQ(0, answer(_metadata, self, &big_ext, 16384));
	EXPECT_EQ(0, answer(_metadata, self, &big_ext, 1));
	EXPECT_EQ(0, answer(_metadata, self, &many_exts, 16384));
	EXPECT_EQ(0, answer(_metadata, self, &tls12, 1000));
	EXPECT_EQ(HS_ECDHE_ECDSA_AES_128_GCM_SHA256, hs_params(self->sv)->suite->id);
}

/* RFC 8446 D.5: a legacy_version of SSL 3.0 or below is protocol_version */
TEST_F(ch, legacy_version_ssl3_or_below_is_protocol_version)
{
	static const uint16_t v[] = { 0x0200, 0x0300 };
	struct raw_ch r = { 0 };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(v); i++) {
		r.legacy_version = v[i];
		r.tls12_only = false;
		EXPECT_EQ(HS_ALERT_PROTOCOL_VERSION, answer(_metadata, self, &r, 16384));
		r.tls12_only = true;
		EXPECT_EQ(HS_ALERT_PROTOCOL_VERSION, answer(_metadata, self, &r, 16384));
	}
	/* TLS 1.0 in legacy_version with supported_versions: TLS 1.3 */
	r.legacy_version = 0x0301;
	r.tls12_only = false;
	EXPECT_EQ(0, answer(_metadata, self, &r, 16384));
	EXPECT_EQ(HS_TLS13, hs_params(self->sv)->version);
}

/* RFC 8446 4.2.8: shares only for listed groups, one per group */
TEST_F(ch, key_share_not_listed_or_twice_is_illegal_parameter)
{
	struct raw_ch unlisted = { .share_group_unlisted = true };
	struct raw_ch twice = { .dup_share = true };

	EXPECT_EQ(HS_ALERT_ILLEGAL_PARAMETER, answer(_metadata, self, &unlisted, 16384));
	EXPECT_EQ(HS_ALERT_ILLEGAL_PARAMETER, answer(_metadata, self, &twice, 16384));
}

/*
 * RFC 5246 7.4.1.4.1: TLS 1.2 ECDSA schemes name the hash, not the curve:
 * a client offering ECDSA with one hash only gets a ServerKeyExchange
 * signed with that one, whatever our curve.
 */
TEST_F(ch, tls12_ecdsa_signed_with_the_one_hash_offered)
{
	static const uint16_t sigs[] = {
		HSD_SIG_ECDSA_SECP256R1_SHA256, HSD_SIG_ECDSA_SECP384R1_SHA384,
		HSD_SIG_ECDSA_SECP521R1_SHA512,
	};
	struct raw_ch r = { .tls12_only = true };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sigs); i++) {
		r.sig_only = sigs[i];
		ASSERT_EQ(0, answer(_metadata, self, &r, 16384));
		EXPECT_EQ(HS_ECDHE_ECDSA_AES_128_GCM_SHA256,
			  hs_params(self->sv)->suite->id);
		EXPECT_EQ(sigs[i], self->sv->my_sig);
	}
	/* the one scheme is not ECDSA: no ECDSA suite can be signed */
	r.sig_only = HSD_SIG_ED25519;
	EXPECT_EQ(HS_ALERT_HANDSHAKE_FAILURE, answer(_metadata, self, &r, 16384));
}

TEST_HARNESS_MAIN
