// SPDX-License-Identifier: GPL-2.0
/* ClientHello (RFC 8446 4.1.2, RFC 5246 7.4.1.2): build and negotiate. */
#include <arpa/inet.h>
#include <string.h>

#include "handshaked/tls/ext.h"
#include "handshaked/tls/hello.h"
#include "handshaked/tls/session.h"
#include "handshaked/util.h"

static bool offers13(const struct hs_conn *c)
{
	return c->cfg.max_version >= HS_TLS13;
}

static bool offers12(const struct hs_conn *c)
{
	return c->cfg.min_version <= HS_TLS12;
}

bool hs_suite_allowed(const struct hs_conn *c, const struct hs_suite *s)
{
	size_t i;

	if (!s || s->version < c->cfg.min_version ||
	    s->version > c->cfg.max_version)
		return false;
	if (!c->cfg.suites)
		return true;
	for (i = 0; i < c->cfg.n_suites; i++)
		if (c->cfg.suites[i] == s->id)
			return true;
	return false;
}

/* our suites in preference order */
size_t hs_our_suites(const struct hs_conn *c, const struct hs_suite **out,
		     size_t max)
{
	const struct hs_suite *s;
	size_t i, n = 0;

	if (c->cfg.suites) {
		for (i = 0; i < c->cfg.n_suites && n < max; i++) {
			s = hs_suite_find(c->cfg.suites[i]);
			if (hs_suite_allowed(c, s))
				out[n++] = s;
		}
		return n;
	}
	for (i = 0; (s = hs_suite_at(i)) && n < max; i++)
		if (hs_suite_allowed(c, s))
			out[n++] = s;
	return n;
}

static const uint16_t our_sigs[] = {
	HSD_SIG_ECDSA_SECP256R1_SHA256, HSD_SIG_ECDSA_SECP384R1_SHA384,
	HSD_SIG_ECDSA_SECP521R1_SHA512, HSD_SIG_ED25519, HSD_SIG_ED448,
	HSD_SIG_RSA_PSS_RSAE_SHA256,
	HSD_SIG_RSA_PSS_RSAE_SHA384, HSD_SIG_RSA_PSS_RSAE_SHA512,
	HSD_SIG_RSA_PSS_PSS_SHA256, HSD_SIG_RSA_PSS_PSS_SHA384,
	HSD_SIG_RSA_PSS_PSS_SHA512, HSD_SIG_RSA_PKCS1_SHA256,
	HSD_SIG_RSA_PKCS1_SHA384, HSD_SIG_RSA_PKCS1_SHA512,
};

void hs_put_sig_algs(struct hs_conn *c, struct hs_buf *b)
{
	struct hs_vec_mark m = hs_vec_open(b, 2);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(our_sigs); i++) {
		/* RSASSA-PKCS1-v1_5 is TLS 1.2 only (RFC 8446 4.2.3) */
		if (!offers12(c) && (our_sigs[i] & 0xff) == 0x01)
			continue;
		hs_put_u16(b, our_sigs[i]);
	}
	hs_vec_close(b, m);
}

bool hs_we_accept_sig(uint16_t scheme)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(our_sigs); i++)
		if (our_sigs[i] == scheme)
			return true;
	return false;
}

static bool is_ip_literal(const char *s)
{
	uint8_t a[16];

	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

static size_t hybrids(const struct hs_conn *c)
{
	size_t i, n = 0;

	for (i = 0; i < c->n_kex; i++)
		n += hsd_group_is_hybrid(c->kex_group[i]);
	return n;
}

static int make_key_shares(struct hs_conn *c)
{
	uint8_t pub[HSD_KEX_PUB_MAX];
	size_t i, publen;
	uint16_t g;
	int err;

	hs_kex_reset(c);
	for (i = 0; i < c->cfg.n_groups && c->n_kex < 2; i++) {
		g = c->hrr ? c->hrr_group : c->cfg.groups[i];
		if (!hsd_group_supported(c->cr, g))
			continue;
		/*
		 * A hybrid listed first gets its share on top of the classical
		 * ones asked for (as OpenSSL 3.5 sends X25519MLKEM768 and
		 * X25519): a server without ML-KEM needs no HelloRetryRequest.
		 */
		if (!c->hrr && c->n_kex - hybrids(c) >= c->cfg.n_key_shares)
			break;
		err = hs_kex_make(c, g, &c->kex[c->n_kex], pub, &publen);
		if (err)
			return hs_fail(c, HS_ALERT_INTERNAL_ERROR, err,
				       "key generation for %s failed",
				       hsd_group_name(g));
		c->kex_group[c->n_kex++] = g;
		if (c->hrr)
			break;
	}
	return 0;
}

static void put_key_shares(struct hs_conn *c, struct hs_buf *b)
{
	uint8_t pub[HSD_KEX_PUB_MAX];
	struct hs_vec_mark m;
	size_t i, n;

	m = hs_vec_open(b, 2);
	for (i = 0; i < c->n_kex; i++) {
		hs_put_u16(b, c->kex_group[i]);
		if (hsd_kex_public(c->kex[i], pub, &n)) {
			b->err = -EIO;
			return;
		}
		hs_put_vec(b, 2, pub, n);
	}
	hs_vec_close(b, m);
}

/* Transcript-Hash(prefix || @p[0..n)) with hash @h, for PSK binders. */
int hs_hash_with_prefix(struct hs_conn *c, enum hsd_hash_id h,
			const uint8_t *p, size_t n, uint8_t *out)
{
	struct hsd_hash_ctx *x;
	int err;

	err = hsd_hash_new(c->cr, h, &x);
	if (err)
		return err;
	err = hsd_hash_update(x, c->th_buf, c->th_buf_len);
	if (!err)
		err = hsd_hash_update(x, p, n);
	if (!err)
		err = hsd_hash_peek(x, out);
	hsd_hash_free(x);
	return err;
}

/* Known-answer tests: Transcript-Hash of @p alone (SHA-256). */
int hs_hash_with_prefix_test(struct hs_conn *c, const uint8_t *p, size_t n,
			     uint8_t *out)
{
	return hsd_hash(c->cr, HSD_SHA256, p, n, out);
}

/* RFC 8446 4.2.11.2: binders over the ClientHello truncated before them */
static int fill_binders(struct hs_conn *c, struct hs_buf *b, size_t binders_at)
{
	uint8_t *msg = b->p - 4, th[HSD_HASH_MAX], key[HSD_HASH_MAX];
	enum hsd_hash_id th_hash = HSD_HASH_COUNT;	/* th's, if any */
	size_t i, off = binders_at + 2;
	int err = 0;

	msg[0] = HS_MT_CLIENT_HELLO;
	msg[1] = (uint8_t)(b->len >> 16);
	msg[2] = (uint8_t)(b->len >> 8);
	msg[3] = (uint8_t)b->len;
	for (i = 0; i < c->h->n_offers && !err; i++) {
		const struct hs_offer *k = &c->h->offers[i];

		c->ks_hash = k->hash;
		/* one hash of the truncated message per hash function */
		if (k->hash != th_hash)
			err = hs_hash_with_prefix(c, k->hash, msg,
						  4 + binders_at, th);
		th_hash = k->hash;
		if (!err)
			err = hs13_binder_key(c, k->key, k->key_len,
					      !k->resumption, key);
		if (!err)
			err = hs13_finished(c, key, th, b->p + off + 1);
		off += 1 + hsd_hash_len(k->hash);
	}
	hsd_wipe(key, sizeof(key));
	if (err)
		return hs_fail(c, HS_ALERT_INTERNAL_ERROR, err,
			       "cannot compute PSK binders");
	return 0;
}

/* The identities to offer: a TLS 1.3 ticket first, then external PSKs. */
static void make_offers(struct hs_conn *c)
{
	const struct hs_session *r = c->cfg.resume;
	const struct hs_suite *s;
	size_t i;

	c->h->n_offers = 0;
	s = r ? hs_suite_find(r->suite) : NULL;
	if (r && r->version == HS_TLS13 && r->ticket_len && s &&
	    hs_suite_allowed(c, s)) {
		struct hs_offer *o = &c->h->offers[c->h->n_offers++];

		o->id = r->ticket;
		o->id_len = r->ticket_len;
		/* RFC 8446 4.2.11.1: age in ms plus ticket_age_add */
		o->age = (uint32_t)(hs_now(c) - r->received_ms) + r->age_add;
		o->key = r->secret;
		o->key_len = r->secret_len;
		o->hash = s->hash;
		o->resumption = true;
	}
	for (i = 0; i < c->cfg.n_psks && c->h->n_offers <= HS_MAX_PSKS; i++) {
		struct hs_offer *o = &c->h->offers[c->h->n_offers++];

		memset(o, 0, sizeof(*o));
		o->id = c->cfg.psks[i].identity;
		o->id_len = c->cfg.psks[i].identity_len;
		o->key = c->cfg.psks[i].key;
		o->key_len = c->cfg.psks[i].key_len;
		o->hash = c->cfg.psks[i].hash;
		o->ext = &c->cfg.psks[i];
	}
}

int hs_build_client_hello(struct hs_conn *c, struct hs_buf *b)
{
	const struct hs_suite *suites[32];
	struct hs_vec_mark m, m2;
	size_t n, i, binders_at = 0;
	const struct hs_session *r = c->cfg.resume;
	bool psk;
	int err;

	if (!c->hrr && offers13(c))
		make_offers(c);
	psk = offers13(c) && c->h->n_offers;
	if (!c->hrr) {
		err = hs_random(c, c->client_random, 32);
		/* RFC 8446 D.4: a 32-byte session ID in compatibility mode */
		if (!err && offers13(c) && c->cfg.middlebox_compat) {
			c->session_id_len = 32;
			err = hs_random(c, c->session_id, 32);
		}
		/*
		 * RFC 5246 7.4.1.2 / RFC 5077 3.4: the ID to resume, or a
		 * fresh one beside a ticket to tell when it is accepted
		 */
		if (!err && offers12(c) && r && r->version == HS_TLS12) {
			c->session_id_len = r->session_id_len ? r->session_id_len : 32;
			if (r->session_id_len)
				memcpy(c->session_id, r->session_id, r->session_id_len);
			else
				err = hs_random(c, c->session_id, 32);
		}
		if (err)
			return hs_fail(c, HS_ALERT_INTERNAL_ERROR, err,
				       "no randomness");
	}
	if (offers13(c) && !c->cfg.psk_only) {
		err = make_key_shares(c);
		if (err)
			return err;
	}
	hs_put_u16(b, HS_TLS12);	/* legacy_version */
	hs_put_bytes(b, c->client_random, 32);
	hs_put_vec(b, 1, c->session_id, c->session_id_len);
	m = hs_vec_open(b, 2);
	n = hs_our_suites(c, suites, 32);
	for (i = 0; i < n; i++)
		hs_put_u16(b, suites[i]->id);
	hs_vec_close(b, m);
	hs_put_u8(b, 1);		/* legacy_compression_methods: null */
	hs_put_u8(b, 0);

	m = hs_vec_open(b, 2);
	if (c->cfg.server_name && *c->cfg.server_name &&
	    !is_ip_literal(c->cfg.server_name)) {
		/* RFC 6066 3: no IP literals in host_name */
		EXT(c, b, HS_EXT_SERVER_NAME, {
			m2 = hs_vec_open(b, 2);
			hs_put_u8(b, 0);
			hs_put_vec(b, 2, c->cfg.server_name,
				   strlen(c->cfg.server_name));
			hs_vec_close(b, m2);
		});
	}
	if (offers12(c))
		EXT(c, b, HS_EXT_EXTENDED_MASTER_SECRET, {});
	if (offers12(c)) {
		EXT(c, b, HS_EXT_RENEGOTIATION_INFO, { hs_put_u8(b, 0); });
	}
	EXT(c, b, HS_EXT_SUPPORTED_GROUPS, {
		m2 = hs_vec_open(b, 2);
		for (i = 0; i < c->cfg.n_groups; i++)
			if (hsd_group_supported(c->cr, c->cfg.groups[i]) &&
			    (offers13(c) ||
			     !hsd_group_is_hybrid(c->cfg.groups[i])))
				hs_put_u16(b, c->cfg.groups[i]);
		hs_vec_close(b, m2);
	});
	if (offers12(c))
		EXT(c, b, HS_EXT_EC_POINT_FORMATS, { hs_put_u8(b, 1); hs_put_u8(b, 0); });
	if (offers12(c))
		EXT(c, b, HS_EXT_SESSION_TICKET, {
			if (c->cfg.resume)
				hs_put_session_ticket12(c, b);
		});
	if (c->cfg.alpn_len)
		EXT(c, b, HS_EXT_ALPN, { hs_put_vec(b, 2, c->cfg.alpn, c->cfg.alpn_len); });
	EXT(c, b, HS_EXT_SIGNATURE_ALGORITHMS, { hs_put_sig_algs(c, b); });
	if (c->cfg.record_size_limit)
		EXT(c, b, HS_EXT_RECORD_SIZE_LIMIT, {
			hs_put_u16(b, c->cfg.record_size_limit);
		});
	if (offers13(c)) {
		EXT(c, b, HS_EXT_SUPPORTED_VERSIONS, {
			m2 = hs_vec_open(b, 1);
			hs_put_u16(b, HS_TLS13);
			if (offers12(c))
				hs_put_u16(b, HS_TLS12);
			hs_vec_close(b, m2);
		});
		if (c->h->cookie_len)
			EXT(c, b, HS_EXT_COOKIE, {
				hs_put_vec(b, 2, c->h->cookie, c->h->cookie_len);
			});
		if (!c->cfg.psk_only)
			EXT(c, b, HS_EXT_KEY_SHARE, { put_key_shares(c, b); });
		/* always, so that the server may send tickets (4.6.1) */
		EXT(c, b, HS_EXT_PSK_KEY_EXCHANGE_MODES, {
			hs_put_u8(b, 1);
			/* psk_ke (0) alone, or psk_dhe_ke (1) */
			hs_put_u8(b, c->cfg.psk_only ? 0 : 1);
		});
	}
	if (psk) {
		/* RFC 8446 4.2.11: pre_shared_key is the last extension */
		EXT(c, b, HS_EXT_PRE_SHARED_KEY, {
			m2 = hs_vec_open(b, 2);
			for (i = 0; i < c->h->n_offers; i++) {
				hs_put_vec(b, 2, c->h->offers[i].id,
					   c->h->offers[i].id_len);
				/* external PSKs: obfuscated_ticket_age 0 */
				hs_put_u32(b, c->h->offers[i].age);
			}
			hs_vec_close(b, m2);
			binders_at = b->len;
			m2 = hs_vec_open(b, 2);
			for (i = 0; i < c->h->n_offers; i++) {
				size_t hl = hsd_hash_len(c->h->offers[i].hash);

				uint8_t *z;

				hs_put_u8(b, (uint8_t)hl);
				z = hs_buf_reserve(b, hl);
				if (z)
					memset(z, 0, hl);
			}
			hs_vec_close(b, m2);
		});
	}
	hs_vec_close(b, m);
	if (b->err)
		return hs_fail(c, HS_ALERT_INTERNAL_ERROR, b->err,
			       "ClientHello does not fit");
	if (psk)
		return fill_binders(c, b, binders_at);
	return 0;
}
