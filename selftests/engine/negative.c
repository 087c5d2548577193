// SPDX-License-Identifier: GPL-2.0
/*
 * Negative tests: every handshake message of every shape is truncated,
 * extended, given a wrong length, re-typed, and reordered with its
 * neighbour; the receiver must fail with the alert RFC 8446 6 / RFC 5246
 * 7.2 names, never crash or succeed. Plus targeted TLS 1.3 field checks.
 */
#include "kselftest_harness.h"

#include "selftests/engine/common.h"
#include "handshaked/tls/internal.h"

enum mutation {
	M_NONE,
	M_TRUNCATE,	/* last byte dropped, length fixed up */
	M_EXTEND,	/* a zero byte appended, length fixed up */
	M_MISLENGTH,	/* the header claims one byte less than is there */
	M_RETYPE,	/* a message type the receiver cannot expect here */
	M_REORDER,	/* swapped with the next message of the same flight */
	M_FLIP_LAST,	/* last byte flipped (Finished, signatures) */
};

struct tamper {
	int target;		/* index of the message to mutate */
	enum mutation m;
	int seen;
	uint8_t held[70000];
	size_t held_len;
	uint8_t types[64];	/* message types seen, in order */
	uint8_t senders[64];
	int count;
	uint8_t cur_sender;
};

static void put_len(uint8_t *msg, size_t n)
{
	msg[1] = (uint8_t)(n >> 16);
	msg[2] = (uint8_t)(n >> 8);
	msg[3] = (uint8_t)n;
}

static void tamper_cb(void *arg, uint8_t *msg, size_t *len, size_t cap)
{
	struct tamper *t = arg;
	int i = t->seen++;
	size_t body = *len - 4;

	if (t->count < 64) {
		t->types[t->count] = msg[0];
		t->senders[t->count++] = t->cur_sender;
	}
	if (t->held_len && i == t->target + 1) {
		/* the reorder: this message, then the held one */
		memcpy(msg + *len, t->held, t->held_len);
		*len += t->held_len;
		t->held_len = 0;
		return;
	}
	if (i != t->target)
		return;
	switch (t->m) {
	case M_TRUNCATE:
		put_len(msg, body - 1);
		*len -= 1;
		break;
	case M_EXTEND:
		msg[*len] = 0;
		put_len(msg, body + 1);
		*len += 1;
		break;
	case M_MISLENGTH:
		put_len(msg, body - 1);
		break;
	case M_RETYPE:
		msg[0] = msg[0] == HS_MT_NEW_SESSION_TICKET ? 8 : 4;
		break;
	case M_REORDER:
		memcpy(t->held, msg, *len);
		t->held_len = *len;
		*len = 0;
		break;
	case M_FLIP_LAST:
		msg[*len - 1] ^= 0x01;
		break;
	default:
		break;
	}
	(void)cap;
}

struct variant_cfg {
	uint16_t version;
	uint16_t suite;
	bool mutual;
	bool psk;
	const char *server_cert;
};

FIXTURE(neg)
{
	struct hsd_crypto *cr;
	struct hsd_x509_store *trust;
	struct cred server, client;
	struct hs_psk psk;
};

FIXTURE_VARIANT(neg)
{
	struct variant_cfg v;
};

FIXTURE_VARIANT_ADD(neg, 13_full)
{
	.v = { HS_TLS13, 0, false, false, "server-ec" },
};

FIXTURE_VARIANT_ADD(neg, 13_mutual)
{
	.v = { HS_TLS13, 0, true, false, "server-ec" },
};

FIXTURE_VARIANT_ADD(neg, 13_psk)
{
	.v = { HS_TLS13, 0, false, true, "server-ec" },
};

FIXTURE_VARIANT_ADD(neg, 12_ecdhe)
{
	.v = { HS_TLS12, 0, false, false, "server-ec" },
};

FIXTURE_VARIANT_ADD(neg, 12_mutual)
{
	.v = { HS_TLS12, 0, true, false, "server-ec" },
};

FIXTURE_VARIANT_ADD(neg, 12_rsa_kx)
{
	.v = { HS_TLS12, HS_RSA_AES_128_GCM_SHA256, false, false, "server-rsa" },
};

FIXTURE_VARIANT_ADD(neg, 12_dhe)
{
	.v = { HS_TLS12, HS_DHE_RSA_AES_128_GCM_SHA256, false, false, "server-rsa" },
};

FIXTURE_SETUP(neg)
{
	ASSERT_EQ(0, hsd_crypto_new(&self->cr));
	ASSERT_EQ(0, hsd_x509_store_new(self->cr, HSD_CERTS "/ca.pem", NULL,
					NULL, &self->trust));
	ASSERT_EQ(0, cred_load(self->cr, variant->v.server_cert, &self->server));
	ASSERT_EQ(0, cred_load(self->cr, "client-ec", &self->client));
	memset(&self->psk, 0, sizeof(self->psk));
	memcpy(self->psk.identity, "neg", 3);
	self->psk.identity_len = 3;
	self->psk.key_len = 32;
	memset(self->psk.key, 0x77, 32);
	self->psk.hash = HSD_SHA256;
}

FIXTURE_TEARDOWN(neg)
{
	cred_free(&self->server);
	cred_free(&self->client);
	hsd_x509_store_free(self->trust);
	hsd_crypto_free(self->cr);
}

static int lookup(void *arg, const uint8_t *id, size_t n, struct hs_psk *out)
{
	const struct hs_psk *p = arg;

	if (n != p->identity_len || memcmp(id, p->identity, n))
		return -ENOKEY;
	*out = *p;
	return 0;
}

/* One handshake with @t applied to both sides' messages. */
static void handshake(FIXTURE_DATA(neg) *self, const struct variant_cfg *v,
		      struct tamper *t, struct hs_conn **cl, struct hs_conn **sv)
{
	struct hs_test_hooks hooks = { .tamper = tamper_cb, .arg = t };
	struct hs_config cc = { 0 }, sc = { 0 };
	struct hs_conn *from[2], *to[2];
	const uint8_t *p;
	size_t n, used;
	int i, rounds, moved = 1;

	cc.crypto = sc.crypto = self->cr;
	cc.role = HS_CLIENT;
	sc.role = HS_SERVER;
	cc.min_version = cc.max_version = v->version;
	cc.trust = sc.trust = self->trust;
	cc.server_name = "server.test";
	cc.test = sc.test = &hooks;
	if (v->suite) {
		cc.suites = &v->suite;
		cc.n_suites = 1;
	}
	sc.chain = &self->server.chain;
	sc.key = self->server.key;
	if (v->mutual) {
		sc.request_client_cert = sc.require_client_cert = true;
		cc.chain = &self->client.chain;
		cc.key = self->client.key;
	}
	if (v->psk) {
		cc.psks = &self->psk;
		cc.n_psks = 1;
		sc.psk_lookup = lookup;
		sc.psk_lookup_arg = &self->psk;
	}
	hs_conn_new(&cc, cl);
	hs_conn_new(&sc, sv);
	from[0] = to[1] = *cl;
	from[1] = to[0] = *sv;
	t->cur_sender = HS_CLIENT;
	hs_start(*cl);
	for (rounds = 0; moved && rounds < 64; rounds++) {
		moved = 0;
		for (i = 0; i < 2; i++) {
			n = hs_output(from[i], &p);
			if (!n || hs_is_done(to[i]))
				continue;
			t->cur_sender = i ? HS_CLIENT : HS_SERVER;
			hs_input(to[i], p, n, &used);
			hs_output_consumed(from[i], used);
			moved |= used > 0;
		}
	}
}

/* count the messages of a clean run */
static int clean_run(struct __test_metadata *_metadata,
		     FIXTURE_DATA(neg) *self, const struct variant_cfg *v,
		     struct tamper *t)
{
	struct hs_conn *cl, *sv;

	memset(t, 0, sizeof(*t));
	t->target = -1;
	handshake(self, v, t, &cl, &sv);
	EXPECT_TRUE(hs_is_done(cl) && hs_is_done(sv));
	hs_conn_free(cl);
	hs_conn_free(sv);
	return t->count;
}

/* The receiver of message @i fails with @alert (any alert if 0). */
static void expect_failure(struct __test_metadata *_metadata,
			   FIXTURE_DATA(neg) *self,
			   const struct variant_cfg *v, int i,
			   enum mutation m, uint8_t alert,
			   const struct tamper *clean)
{
	struct hs_conn *cl, *sv, *rx;
	struct tamper *t = calloc(1, sizeof(*t));
	const char *why = "";
	uint8_t got = 0;
	bool rcvd = true;

	t->target = i;
	t->m = m;
	handshake(self, v, t, &cl, &sv);
	rx = clean->senders[i] == HS_CLIENT ? sv : cl;
	EXPECT_NE(0, hs_error(rx, &got, &rcvd, &why))
		TH_LOG("message %d (type %u) mutation %d accepted", i,
		       clean->types[i], m);
	EXPECT_FALSE(rcvd) TH_LOG("message %d: the receiver got %s", i,
				  hs_alert_name(got));
	if (alert)
		EXPECT_EQ(alert, got)
			TH_LOG("message %d (type %u) mutation %d: %s (%s)", i,
			       clean->types[i], m, hs_alert_name(got), why);
	hs_conn_free(cl);
	hs_conn_free(sv);
	free(t);
}

TEST_F(neg, truncated_extended_mislength_retyped_messages)
{
	struct tamper *clean = calloc(1, sizeof(*clean));
	int n, i;

	n = clean_run(_metadata, self, &variant->v, clean);
	ASSERT_LT(3, n);
	for (i = 0; i < n; i++) {
		bool empty = clean->types[i] == HS_MT_SERVER_HELLO_DONE;

		if (!empty) {
			expect_failure(_metadata, self, &variant->v, i,
				       M_TRUNCATE, HS_ALERT_DECODE_ERROR, clean);
			expect_failure(_metadata, self, &variant->v, i,
				       M_MISLENGTH, HS_ALERT_DECODE_ERROR, clean);
		}
		expect_failure(_metadata, self, &variant->v, i, M_EXTEND,
			       HS_ALERT_DECODE_ERROR, clean);
		expect_failure(_metadata, self, &variant->v, i, M_RETYPE,
			       HS_ALERT_UNEXPECTED_MESSAGE, clean);
	}
	free(clean);
}

TEST_F(neg, reordered_messages_are_unexpected)
{
	struct tamper *clean = calloc(1, sizeof(*clean));
	int n, i;

	n = clean_run(_metadata, self, &variant->v, clean);
	for (i = 0; i + 1 < n; i++) {
		/* neighbours in one flight only */
		if (clean->senders[i] != clean->senders[i + 1])
			continue;
		expect_failure(_metadata, self, &variant->v, i, M_REORDER,
			       HS_ALERT_UNEXPECTED_MESSAGE, clean);
	}
	free(clean);
}

/* bad Finished and bad CertificateVerify signature: decrypt_error */
TEST_F(neg, bad_finished_and_certificate_verify)
{
	struct tamper *clean = calloc(1, sizeof(*clean));
	int n, i, checked = 0;

	n = clean_run(_metadata, self, &variant->v, clean);
	for (i = 0; i < n; i++) {
		if (clean->types[i] != HS_MT_FINISHED &&
		    clean->types[i] != HS_MT_CERTIFICATE_VERIFY)
			continue;
		/* a flipped signature byte still decodes: decrypt_error */
		expect_failure(_metadata, self, &variant->v, i, M_FLIP_LAST,
			       HS_ALERT_DECRYPT_ERROR, clean);
		checked++;
	}
	EXPECT_LT(0, checked);
	free(clean);
}


/* ---- targeted ClientHello field edits (RFC 8446 4.1.2, 4.2) ---- */
enum ch_edit {
	CH_COMPRESSION,		/* legacy_compression_methods = [1] */
	CH_DUPLICATE_EXT,	/* two extensions of one type */
	CH_DROP_KEY_SHARE,	/* key_share renamed to an unknown type */
	CH_PSK_NOT_LAST,	/* pre_shared_key moved before another */
	CH_SESSION_ID_33,	/* legacy_session_id longer than 32 */
};

struct ch_tamper {
	enum ch_edit e;
	int done;
};

/* offsets of the extension headers in a ClientHello message */
static size_t ch_exts(const uint8_t *msg, size_t len, size_t *off, size_t max,
		      size_t *comp_at)
{
	struct hs_cur c = hs_cur_init(msg + 4, len - 4), v, exts, d;
	const uint8_t *r;
	uint16_t ver, type;
	size_t n = 0;

	hs_cur_u16(&c, &ver);
	hs_cur_take(&c, 32, &r);
	hs_cur_vec(&c, 1, 0, &v);
	hs_cur_vec(&c, 2, 2, &v);
	*comp_at = (size_t)(c.p - msg);
	hs_cur_vec(&c, 1, 1, &v);
	hs_cur_vec(&c, 2, 0, &exts);
	while (hs_cur_left(&exts) && n < max) {
		off[n++] = (size_t)(exts.p - msg);
		hs_cur_u16(&exts, &type);
		hs_cur_vec(&exts, 2, 0, &d);
	}
	return n;
}

static uint16_t ext_type(const uint8_t *msg, size_t at)
{
	return (uint16_t)(msg[at] << 8 | msg[at + 1]);
}

static void ch_tamper_cb(void *arg, uint8_t *msg, size_t *len, size_t cap)
{
	struct ch_tamper *t = arg;
	size_t off[32], n, comp, i;

	if (msg[0] != HS_MT_CLIENT_HELLO || t->done++)
		return;
	n = ch_exts(msg, *len, off, 32, &comp);
	switch (t->e) {
	case CH_COMPRESSION:
		msg[comp + 1] = 1;
		break;
	case CH_DUPLICATE_EXT:
		/* the second extension takes the first one's type */
		msg[off[1]] = msg[off[0]];
		msg[off[1] + 1] = msg[off[0] + 1];
		break;
	case CH_DROP_KEY_SHARE:
		for (i = 0; i < n; i++)
			if (ext_type(msg, off[i]) == 51)
				msg[off[i]] = 0x7a;
		break;
	case CH_PSK_NOT_LAST:
		/* rename the last (pre_shared_key) and the one before */
		msg[off[n - 1]] = msg[off[n - 2]];
		msg[off[n - 1] + 1] = msg[off[n - 2] + 1];
		msg[off[n - 2]] = 0;
		msg[off[n - 2] + 1] = 41;
		break;
	case CH_SESSION_ID_33:
		msg[4 + 2 + 32] = 33;
		break;
	}
	(void)cap;
}

static uint8_t server_alert_for(enum ch_edit e, bool psk)
{
	struct hsd_crypto *cr;
	struct cred sv;
	struct ch_tamper t = { .e = e };
	struct hs_test_hooks hooks = { .tamper = ch_tamper_cb, .arg = &t };
	struct hs_psk p = { .identity = "x", .identity_len = 1, .key_len = 32,
			    .hash = HSD_SHA256 };
	struct hs_config cc = { 0 }, sc = { 0 };
	struct hs_conn *cl = NULL, *s = NULL;
	uint8_t alert = 0;

	if (hsd_crypto_new(&cr) || cred_load(cr, "server-ec", &sv))
		return 0xff;
	cc.crypto = sc.crypto = cr;
	cc.role = HS_CLIENT;
	cc.no_verify_peer = true;
	sc.role = HS_SERVER;
	cc.min_version = HS_TLS13;
	cc.test = &hooks;
	sc.chain = &sv.chain;
	sc.key = sv.key;
	if (psk) {
		cc.psks = &p;
		cc.n_psks = 1;
		sc.psk_lookup = lookup;
		sc.psk_lookup_arg = &p;
	}
	if (!hs_conn_new(&cc, &cl) && !hs_conn_new(&sc, &s) && !hs_start(cl))
		pump(cl, s);
	hs_error(s, &alert, NULL, NULL);
	hs_conn_free(cl);
	hs_conn_free(s);
	cred_free(&sv);
	hsd_crypto_free(cr);
	return alert;
}

TEST(legacy_compression_not_null_is_illegal_parameter)
{
	EXPECT_EQ(HS_ALERT_ILLEGAL_PARAMETER, server_alert_for(CH_COMPRESSION, false));
}

TEST(duplicate_extension_is_illegal_parameter)
{
	EXPECT_EQ(HS_ALERT_ILLEGAL_PARAMETER, server_alert_for(CH_DUPLICATE_EXT, false));
}

TEST(missing_key_share_is_missing_extension)
{
	EXPECT_EQ(HS_ALERT_MISSING_EXTENSION, server_alert_for(CH_DROP_KEY_SHARE, false));
}

TEST(pre_shared_key_not_last_is_illegal_parameter)
{
	EXPECT_EQ(HS_ALERT_ILLEGAL_PARAMETER, server_alert_for(CH_PSK_NOT_LAST, true));
}

TEST(session_id_over_32_bytes_is_decode_error)
{
	EXPECT_EQ(HS_ALERT_DECODE_ERROR, server_alert_for(CH_SESSION_ID_33, false));
}

/* Garbage that is not TLS at all: an alert, no crash, nothing consumed past it. */
TEST(not_tls_is_unexpected_message)
{
	static const uint8_t junk[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	struct hsd_crypto *cr;
	struct hs_config sc = { 0 };
	struct hs_conn *s;
	uint8_t alert = 0;
	size_t used;

	ASSERT_EQ(0, hsd_crypto_new(&cr));
	sc.crypto = cr;
	sc.role = HS_SERVER;
	ASSERT_EQ(0, hs_conn_new(&sc, &s));
	EXPECT_NE(0, hs_input(s, junk, sizeof(junk), &used));
	hs_error(s, &alert, NULL, NULL);
	EXPECT_EQ(HS_ALERT_UNEXPECTED_MESSAGE, alert);
	hs_conn_free(s);
	hsd_crypto_free(cr);
}

/* found by fuzz_record: an empty record used to spin forever */
TEST(empty_records_do_not_hang)
{
	static const uint8_t empty_hs[] = { 0x16, 3, 3, 0, 0 };
	static const uint8_t empty_ad[] = { 0x17, 3, 3, 0, 0 };
	struct hsd_crypto *cr;
	struct hs_config sc = { 0 };
	struct hs_conn *s;
	uint8_t alert = 0;
	size_t used;

	ASSERT_EQ(0, hsd_crypto_new(&cr));
	sc.crypto = cr;
	sc.role = HS_SERVER;
	ASSERT_EQ(0, hs_conn_new(&sc, &s));
	EXPECT_NE(0, hs_input(s, empty_hs, sizeof(empty_hs), &used));
	hs_error(s, &alert, NULL, NULL);
	EXPECT_EQ(HS_ALERT_UNEXPECTED_MESSAGE, alert);
	hs_conn_free(s);
	ASSERT_EQ(0, hs_conn_new(&sc, &s));
	EXPECT_NE(0, hs_input(s, empty_ad, sizeof(empty_ad), &used));
	hs_conn_free(s);
	hsd_crypto_free(cr);
}

TEST_HARNESS_MAIN
