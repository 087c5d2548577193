// SPDX-License-Identifier: GPL-2.0
/*
 * TLS 1.2 (RFC 5246) messages: server negotiation, ServerHello,
 * ServerKeyExchange, ServerHelloDone, ClientKeyExchange, ChangeCipherSpec,
 * the key block, with ECDHE (RFC 8422), DHE (RFC 7919), RSA key transport
 * and the extended master secret (RFC 7627).
 */
#include <string.h>

#include "handshaked/tls/hello.h"
#include "handshaked/tls/session.h"


static bool key_fits_auth(const struct hs_conn *c, const struct hs_suite *s)
{
	enum hsd_key_type t = hsd_pkey_type(c->cfg.key);

	if (!c->cfg.chain || !c->cfg.key)
		return false;
	if (s->auth == HS_AUTH_ECDSA)
		return t == HSD_KEY_EC_P256 || t == HSD_KEY_EC_P384 ||
		       t == HSD_KEY_EC_P521;
	return t == HSD_KEY_RSA;
}

/* an (EC)DHE group for this suite; 0 if none */
static uint16_t group_for(const struct hs_conn *c, const struct hs_suite *s)
{
	bool peer_ffdhe = false;
	size_t i;

	for (i = 0; i < c->h->n_peer_groups; i++)
		peer_ffdhe |= (c->h->peer_groups[i] >> 8) == 1;
	for (i = 0; i < c->cfg.n_groups; i++) {
		uint16_t g = c->cfg.groups[i];
		bool ff = (g >> 8) == 1;

		/* a KEM hybrid is TLS 1.3 only (draft-ietf-tls-ecdhe-mlkem 3) */
		if (!hsd_group_supported(c->cr, g) || hsd_group_is_hybrid(g))
			continue;
		if (s->kx == HS_KX_ECDHE && !ff &&
		    (hs_peer_has_group(c, g) ||
		     /* RFC 8422 4: no extension means any curve, take P-256 */
		     (!c->h->n_peer_groups && g == HSD_GROUP_SECP256R1)))
			return g;
		/* RFC 7919 4: without listed FFDHE groups, any will do */
		if (s->kx == HS_KX_DHE && ff && (hs_peer_has_group(c, g) || !peer_ffdhe))
			return g;
	}
	return 0;
}

int hs_negotiate12(struct hs_conn *c, struct hs_ch_info *ch,
		   const uint16_t *suites, size_t n_suites, struct hs_cur *comp)
{
	const struct hs_suite *mine[32], *s = NULL;
	size_t n = hs_our_suites(c, mine, 32), i;
	int err;

	/* RFC 5246 7.4.1.2: the null method must be offered */
	if (!memchr(comp->p, 0, hs_cur_left(comp)))
		return hs_fail(c, HS_ALERT_ILLEGAL_PARAMETER, -EPROTO,
			       "null compression not offered");
	/* RFC 7507 3: a fallback below our best version is refused */
	if (hs_listed(suites, n_suites, TLS_FALLBACK_SCSV) &&
	    c->cfg.max_version > HS_TLS12)
		return hs_fail(c, HS_ALERT_INAPPROPRIATE_FALLBACK, -EPROTO,
			       "TLS_FALLBACK_SCSV from a TLS 1.2 client");
	if (hs_listed(suites, n_suites, TLS_EMPTY_RENEGOTIATION_INFO_SCSV))
		c->peer_reneg_info = true;
	err = hs_resume12_server(c, ch, suites, n_suites);
	if (err)
		return err;
	if (c->resumed12)
		return hs_transcript_set_hash(c, c->suite->hash);
	for (i = 0; i < n && !s; i++) {
		if (mine[i]->version != HS_TLS12 ||
		    !hs_listed(suites, n_suites, mine[i]->id) ||
		    !key_fits_auth(c, mine[i]))
			continue;
		if (mine[i]->kx != HS_KX_RSA && !group_for(c, mine[i]))
			continue;
		hs_set_suite(c, mine[i]);
		c->p.group = mine[i]->kx == HS_KX_RSA ? 0 : group_for(c, mine[i]);
		/* ECDSA/RSA signature for the ServerKeyExchange */
		if (mine[i]->kx != HS_KX_RSA && hs_pick_sig(c))
			continue;
		s = mine[i];
	}
	if (!s)
		return hs_fail(c, HS_ALERT_HANDSHAKE_FAILURE, -EPROTO,
			       "no TLS 1.2 cipher suite in common");
	c->p.extended_master_secret = c->peer_ems &&
				      !c->cfg.no_extended_master_secret;
	err = hs_choose_alpn(c, ch);
	if (err)
		return err;
	err = hs_session_new_id12(c);
	if (!err)
		err = hs_transcript_set_hash(c, c->suite->hash);
	return err;
}

int hs_build_server_hello12(struct hs_conn *c, struct hs_buf *b)
{
	struct hs_vec_mark m;

	hs_put_u16(b, HS_TLS12);
	hs_put_bytes(b, c->server_random, 32);
	hs_put_vec(b, 1, c->session_id, c->session_id_len);
	hs_put_u16(b, c->suite->id);
	hs_put_u8(b, 0);
	m = hs_vec_open(b, 2);
	if (c->peer_reneg_info)
		EXT(c, b, HS_EXT_RENEGOTIATION_INFO, { hs_put_u8(b, 0); });
	if (c->p.extended_master_secret)
		EXT(c, b, HS_EXT_EXTENDED_MASTER_SECRET, {});
	/* RFC 5246 7.4.1.4 / RFC 8422 5.2: only if the client sent it */
	if (c->suite->kx == HS_KX_ECDHE && c->peer_ec_point_formats)
		EXT(c, b, HS_EXT_EC_POINT_FORMATS, { hs_put_u8(b, 1); hs_put_u8(b, 0); });
	if (c->send_ticket12)
		EXT(c, b, HS_EXT_SESSION_TICKET, {});
	if (c->sni[0] && !c->resumed12)
		EXT(c, b, HS_EXT_SERVER_NAME, {});
	hs_put_server_alpn_rsl(c, b);
	hs_vec_close(b, m);
	if (c->resumed12)
		return hs12_keys_from_master(c);
	return 0;
}

int hs_parse_server_hello12(struct hs_conn *c, struct hs_cur *exts,
			    const uint8_t *sid, size_t sidlen)
{
	struct hs_ext_walk w = { .ctx = X_SH12 };
	struct hs_sh_info sh = { 0 };
	int err;

	w.sh = &sh;
	err = hs_ext_parse(c, exts, &w);
	if (err)
		return err;
	err = hs_transcript_set_hash(c, c->suite->hash);
	if (err)
		return err;
	c->p.extended_master_secret = sh.ems;
	c->send_ticket12 = sh.ticket;
	hs_apply_record_limits(c);
	/* compare with the ID we offered before taking the server's */
	err = hs_resume12_client(c, sid, sidlen);
	if (err)
		return err;
	memcpy(c->session_id, sid, sidlen);
	c->session_id_len = sidlen;
	return c->resumed12 ? hs12_keys_from_master(c) : 0;
}

/* ServerKeyExchange signed_params: client_random, server_random, params */
static int ske_tbs(struct hs_conn *c, const uint8_t *params, size_t n,
		   uint8_t *out, size_t cap, size_t *len)
{
	if (64 + n > cap)
		return -ENOSPC;
	memcpy(out, c->client_random, 32);
	memcpy(out + 32, c->server_random, 32);
	memcpy(out + 64, params, n);
	*len = 64 + n;
	return 0;
}

int hs12_build_server_key_exchange(struct hs_conn *c, struct hs_buf *b)
{
	uint8_t pub[HSD_KEX_PUB_MAX], tbs[64 + 1200], sig[HSD_SIG_MAX];
	uint8_t p[512], g[8];
	size_t publen, plen, glen, start = b->len, tbslen, siglen;
	int err;

	hs_kex_reset(c);
	err = hs_kex_make(c, c->p.group, &c->kex[0], pub, &publen);
	if (err)
		return hs_fail(c, HS_ALERT_INTERNAL_ERROR, err, "key generation");
	c->n_kex = 1;
	c->kex_group[0] = c->p.group;
	if (c->suite->kx == HS_KX_ECDHE) {
		/* RFC 8422 5.4: ECParameters (named_curve), ECPoint */
		hs_put_u8(b, 3);
		hs_put_u16(b, c->p.group);
		hs_put_vec(b, 1, pub, publen);
	} else {
		if (hsd_kex_dh_params(c->kex[0], p, &plen, g, &glen))
			return hs_fail(c, HS_ALERT_INTERNAL_ERROR, -EIO, "DH params");
		hs_put_vec(b, 2, p, plen);
		hs_put_vec(b, 2, g, glen);
		hs_put_vec(b, 2, pub, publen);
	}
	if (b->err || ske_tbs(c, b->p + start, b->len - start, tbs, sizeof(tbs),
			      &tbslen))
		return hs_fail(c, HS_ALERT_INTERNAL_ERROR, -ENOSPC, "SKE too big");
	err = hsd_sign(c->cr, c->cfg.key, c->my_sig, tbs, tbslen, sig, &siglen);
	if (err)
		return hs_fail(c, HS_ALERT_INTERNAL_ERROR, err, "signing failed");
	hs_put_u16(b, c->my_sig);
	hs_put_vec(b, 2, sig, siglen);
	return 0;
}

static bool we_offered_group(const struct hs_conn *c, uint16_t g)
{
	size_t i;

	for (i = 0; i < c->cfg.n_groups; i++)
		if (c->cfg.groups[i] == g)
			return hsd_group_supported(c->cr, g) &&
			       !hsd_group_is_hybrid(g);
	return false;
}

/*
 * RFC 5246 7.4.3/7.4.7.2: dh_Ys and dh_Yc are integers, and GnuTLS and
 * older OpenSSL send them without leading zero bytes (1 in 256 shares).
 * Our key exchange takes them as RFC 7919 / RFC 8446 4.2.8.1 do: left-
 * padded to the size of p.
 */
static int dh_y_padded(struct hs_conn *c, const uint8_t *y, size_t n,
		       uint8_t *out, size_t cap, size_t *outlen)
{
	size_t pl = hsd_group_share_len(c->p.group);

	if (!pl || !n || n > pl || pl > cap)
		return hs_fail(c, HS_ALERT_ILLEGAL_PARAMETER, -EPROTO,
			       "DH public value of %zu bytes", n);
	memset(out, 0, pl - n);
	memcpy(out + pl - n, y, n);
	*outlen = pl;
	return 0;
}

int hs12_parse_server_key_exchange(struct hs_conn *c, struct hs_cur *body)
{
	const uint8_t *params = body->p;
	struct hs_cur pt, dp, dg, ys, sig;
	uint8_t tbs[64 + 1200], curve_type;
	size_t tbslen;
	uint16_t scheme;

	if (c->suite->kx == HS_KX_ECDHE) {
		if (hs_cur_u8(body, &curve_type) ||
		    hs_cur_u16(body, &c->p.group) || hs_cur_vec(body, 1, 1, &pt))
			goto bad;
		/* RFC 8422 5.4: named curves only, ones we offered */
		if (curve_type != 3 || !we_offered_group(c, c->p.group) ||
		    (c->p.group >> 8) == 1)
			return hs_fail(c, HS_ALERT_ILLEGAL_PARAMETER, -EPROTO,
				       "server chose curve %#x", c->p.group);
	} else {
		if (hs_cur_vec(body, 2, 1, &dp) || hs_cur_vec(body, 2, 1, &dg) ||
		    hs_cur_vec(body, 2, 1, &ys))
			goto bad;
		/* only the RFC 7919 groups: no weak or crafted primes */
		c->p.group = hsd_dh_group_of(c->cr, dp.p, hs_cur_left(&dp),
					     dg.p, hs_cur_left(&dg));
		if (!c->p.group)
			return hs_fail(c, HS_ALERT_INSUFFICIENT_SECURITY, -EPROTO,
				       "DHE group is not ffdhe2048/3072");
		pt = ys;
	}
	if (c->suite->kx == HS_KX_DHE) {
		int err = dh_y_padded(c, pt.p, hs_cur_left(&pt), c->h->peer_share,
				      sizeof(c->h->peer_share), &c->h->peer_share_len);

		if (err)
			return err;
	} else {
		if (hs_cur_left(&pt) > sizeof(c->h->peer_share))
			goto bad;
		memcpy(c->h->peer_share, pt.p, hs_cur_left(&pt));
		c->h->peer_share_len = hs_cur_left(&pt);
	}
	if (ske_tbs(c, params, (size_t)(body->p - params), tbs, sizeof(tbs),
		    &tbslen))
		goto bad;
	if (hs_cur_u16(body, &scheme) || hs_cur_vec(body, 2, 1, &sig) ||
	    hs_cur_end(body))
		goto bad;
	if (!hs_we_accept_sig(scheme) ||
	    !hsd_scheme_fits_key(c->peer_key, scheme, false) ||
	    (c->suite->auth == HS_AUTH_ECDSA) !=
	    ((scheme & 0xff) == 0x03))
		return hs_fail(c, HS_ALERT_ILLEGAL_PARAMETER, -EPROTO,
			       "ServerKeyExchange signed with %s",
			       hsd_scheme_name(scheme));
	if (hsd_verify(c->cr, c->peer_key, scheme, tbs, tbslen, sig.p,
		       hs_cur_left(&sig)))
		return hs_fail(c, HS_ALERT_DECRYPT_ERROR, -EACCES,
			       "ServerKeyExchange signature does not verify");
	c->p.peer_sig = scheme;
	return 0;
bad:
	return hs_fail(c, HS_ALERT_DECODE_ERROR, -EBADMSG,
		       "malformed ServerKeyExchange");
}

int hs12_build_server_hello_done(struct hs_conn *c, struct hs_buf *b)
{
	return 0;
}

int hs12_parse_server_hello_done(struct hs_conn *c, struct hs_cur *body)
{
	if (hs_cur_end(body))
		return hs_fail(c, HS_ALERT_DECODE_ERROR, -EBADMSG,
			       "ServerHelloDone is not empty");
	return 0;
}

/* RFC 5246 8.1.2: leading zero bytes of Z are stripped */
static void strip_zeros(struct hs_conn *c)
{
	size_t z = 0;

	while (z < c->h->shared_len && !c->h->shared[z])
		z++;
	memmove(c->h->shared, c->h->shared + z, c->h->shared_len - z);
	c->h->shared_len -= z;
}

int hs12_build_client_key_exchange(struct hs_conn *c, struct hs_buf *b)
{
	uint8_t pub[HSD_KEX_PUB_MAX];
	size_t publen;
	int err;

	if (c->suite->kx == HS_KX_RSA) {
		/* RFC 5246 7.4.7.1: client_version, then 46 random bytes */
		c->h->shared[0] = (uint8_t)(HS_TLS12 >> 8);
		c->h->shared[1] = (uint8_t)HS_TLS12;
		c->h->shared_len = 48;
		err = hs_random(c, c->h->shared + 2, 46);
		if (!err)
			err = hsd_rsa_encrypt(c->cr, c->peer_key, c->h->shared, 48,
					      pub, &publen);
		if (err)
			return hs_fail(c, HS_ALERT_INTERNAL_ERROR, err,
				       "RSA key transport failed");
		hs_put_vec(b, 2, pub, publen);
		return 0;
	}
	/* the TLS 1.3 shares of our ClientHello are not used in 1.2 */
	hs_kex_reset(c);
	err = hs_kex_make(c, c->p.group, &c->kex[0], pub, &publen);
	if (err)
		return hs_fail(c, HS_ALERT_INTERNAL_ERROR, err, "key generation");
	c->n_kex = 1;
	err = hsd_kex_derive(c->kex[0], c->h->peer_share, c->h->peer_share_len,
			     c->h->shared, &c->h->shared_len);
	if (err)
		return hs_fail(c, HS_ALERT_ILLEGAL_PARAMETER, err,
			       "invalid server key share");
	if (c->suite->kx == HS_KX_DHE) {
		strip_zeros(c);
		hs_put_vec(b, 2, pub, publen);
	} else {
		hs_put_vec(b, 1, pub, publen);
	}
	return 0;
}

int hs12_parse_client_key_exchange(struct hs_conn *c, struct hs_cur *body)
{
	struct hs_cur v;
	int err;

	if (hs_cur_vec(body, c->suite->kx == HS_KX_ECDHE ? 1 : 2, 1, &v) ||
	    hs_cur_end(body))
		return hs_fail(c, HS_ALERT_DECODE_ERROR, -EBADMSG,
			       "malformed ClientKeyExchange");
	if (c->suite->kx == HS_KX_RSA) {
		/*
		 * RFC 5246 7.4.7.1: no distinguishable error. A bad padding or
		 * version yields a random PreMasterSecret and the handshake
		 * fails later at Finished, like any wrong key.
		 */
		err = hsd_rsa_decrypt_pms(c->cr, c->cfg.key, v.p, hs_cur_left(&v),
					  c->client_version, c->h->shared);
		if (err)
			return hs_fail(c, HS_ALERT_INTERNAL_ERROR, err,
				       "RSA decryption failed");
		c->h->shared_len = 48;
		return 0;
	}
	if (c->suite->kx == HS_KX_DHE) {
		err = dh_y_padded(c, v.p, hs_cur_left(&v), c->h->peer_share,
				  sizeof(c->h->peer_share), &c->h->peer_share_len);
		if (err)
			return err;
		v = hs_cur_init(c->h->peer_share, c->h->peer_share_len);
	}
	err = hsd_kex_derive(c->kex[0], v.p, hs_cur_left(&v), c->h->shared,
			     &c->h->shared_len);
	if (err)
		return hs_fail(c, HS_ALERT_ILLEGAL_PARAMETER, err,
			       "invalid client key share");
	if (c->suite->kx == HS_KX_DHE)
		strip_zeros(c);
	return 0;
}

/* RFC 5246 6.3: key_block from the master secret */
int hs12_keys_from_master(struct hs_conn *c)
{
	const struct hsd_aead_desc *a = hsd_aead_desc(c->suite->aead);
	uint8_t seed[64], kb[2 * HSD_AEAD_KEY_MAX + 2 * HSD_AEAD_NONCE_LEN];
	size_t kl = a->key_len, il = a->fixed_iv_len;
	int err;

	memcpy(seed, c->server_random, 32);
	memcpy(seed + 32, c->client_random, 32);
	err = hsd_tls12_prf(c->cr, c->suite->hash, c->master_secret, 48,
			    "key expansion", seed, 64, kb, 2 * kl + 2 * il);
	if (err)
		return hs_fail(c, HS_ALERT_INTERNAL_ERROR, err, "key block");
	memcpy(c->kb_ckey, kb, kl);
	memcpy(c->kb_skey, kb + kl, kl);
	memcpy(c->kb_civ, kb + 2 * kl, il);
	memcpy(c->kb_siv, kb + 2 * kl + il, il);
	hsd_wipe(kb, sizeof(kb));
	hs_keylog(c, "CLIENT_RANDOM", c->master_secret, 48);
	return 0;
}

int hs12_after_key_exchange(struct hs_conn *c)
{
	uint8_t seed[64];
	int err;

	if (c->p.extended_master_secret) {
		/* RFC 7627 4: session_hash through ClientKeyExchange */
		err = hs_transcript_hash(c, seed);
		if (!err)
			err = hsd_tls12_prf(c->cr, c->suite->hash, c->h->shared,
					    c->h->shared_len,
					    "extended master secret", seed,
					    hs_hash_len(c), c->master_secret, 48);
	} else {
		memcpy(seed, c->client_random, 32);
		memcpy(seed + 32, c->server_random, 32);
		err = hsd_tls12_prf(c->cr, c->suite->hash, c->h->shared,
				    c->h->shared_len, "master secret", seed, 64,
				    c->master_secret, 48);
	}
	hsd_wipe(c->h->shared, sizeof(c->h->shared));
	if (err)
		return hs_fail(c, HS_ALERT_INTERNAL_ERROR, err, "master secret");
	return hs12_keys_from_master(c);
}

int hs12_parse_ccs(struct hs_conn *c, struct hs_cur *body)
{
	/* the record layer checked the single 0x01 byte */
	body->p = body->end;
	return 0;
}

static int install(struct hs_conn *c, struct hs_dir *d, bool client_keys)
{
	int err;

	err = hs_dir_set(c, d, HS_TLS12, hsd_aead_desc(c->suite->aead),
			 client_keys ? c->kb_ckey : c->kb_skey,
			 client_keys ? c->kb_civ : c->kb_siv);
	if (err)
		return hs_fail(c, HS_ALERT_INTERNAL_ERROR, err, "key install");
	return 0;
}

/* RFC 5246 7.1: ChangeCipherSpec switches that direction to the new keys */
int hs12_after_ccs_client(struct hs_conn *c)
{
	return install(c, c->role == HS_CLIENT ? &c->tx : &c->rx, true);
}

int hs12_after_ccs_server(struct hs_conn *c)
{
	return install(c, c->role == HS_SERVER ? &c->tx : &c->rx, false);
}

int hs12_after_server_finished(struct hs_conn *c)
{
	int err = c->resumed12 ? hs_session_keep12(c) : hs_session_save12(c);

	return err ? hs_fail(c, HS_ALERT_INTERNAL_ERROR, err, "no memory for a session") : 0;
}

int hs12_after_client_finished(struct hs_conn *c)
{
	return 0;
}
