// SPDX-License-Identifier: GPL-2.0
/*
 * ServerHello, HelloRetryRequest (RFC 8446 4.1.3-4.1.4) and
 * EncryptedExtensions (4.3.1), both roles.
 */
#include <string.h>

#include "handshaked/tls/hello.h"

const uint8_t hs_hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02,
	0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e,
	0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* RFC 8446 4.1.3: last 8 bytes of ServerHello.random on a downgrade */
static const uint8_t downgrade12[8] = { 'D', 'O', 'W', 'N', 'G', 'R', 'D', 1 };
static const uint8_t downgrade11[8] = { 'D', 'O', 'W', 'N', 'G', 'R', 'D', 0 };

/* RFC 8446 4.4.1: CH1 is replaced by message_hash(CH1) after an HRR */
static int transcript_to_message_hash(struct hs_conn *c)
{
	uint8_t h[4 + HSD_HASH_MAX];
	size_t hl = hsd_hash_len(c->suite->hash);
	int err;

	err = hsd_hash(c->cr, c->suite->hash, c->th_buf, c->th_buf_len, h + 4);
	if (err)
		return hs_fail(c, HS_ALERT_INTERNAL_ERROR, err, "hash failed");
	h[0] = HS_MT_MESSAGE_HASH;
	h[1] = 0;
	h[2] = 0;
	h[3] = (uint8_t)hl;
	hsd_hash_free(c->th);
	c->th = NULL;
	c->th_buf_len = 0;
	err = hs_transcript_add(c, h, 4 + hl);
	if (!err)
		err = hs_transcript_set_hash(c, c->suite->hash);
	return err;
}

static void put_hello_head(struct hs_conn *c, struct hs_buf *b,
			   const uint8_t *random)
{
	hs_put_u16(b, HS_TLS12);	/* legacy_version */
	hs_put_bytes(b, random, 32);
	hs_put_vec(b, 1, c->session_id, c->session_id_len);
	hs_put_u16(b, c->suite->id);
	hs_put_u8(b, 0);		/* legacy_compression_method */
}

int hs_build_hello_retry_request(struct hs_conn *c, struct hs_buf *b)
{
	struct hs_vec_mark m;
	int err;

	err = transcript_to_message_hash(c);
	if (!err && c->cfg.hrr_cookie)
		err = hs_random(c, c->h->cookie, 32);
	if (err)
		return hs_fail(c, HS_ALERT_INTERNAL_ERROR, err, "HRR failed");
	c->h->cookie_len = c->cfg.hrr_cookie ? 32 : 0;
	put_hello_head(c, b, hs_hrr_random);
	m = hs_vec_open(b, 2);
	EXT(c, b, HS_EXT_SUPPORTED_VERSIONS, { hs_put_u16(b, HS_TLS13); });
	EXT(c, b, HS_EXT_KEY_SHARE, { hs_put_u16(b, c->hrr_group); });
	if (c->h->cookie_len)
		EXT(c, b, HS_EXT_COOKIE, {
			hs_put_vec(b, 2, c->h->cookie, c->h->cookie_len);
		});
	hs_vec_close(b, m);
	c->hrr = true;
	c->p.hello_retry = true;
	return 0;
}

static int server_key_share(struct hs_conn *c, uint8_t *pub, size_t *publen)
{
	int err;

	hs_kex_reset(c);
	err = hs_kex_respond(c, c->p.group, &c->kex[0], pub, publen);
	/* draft-ietf-tls-ecdhe-mlkem 6: a malformed share is illegal_parameter */
	if (err == -EBADMSG)
		return hs_fail(c, HS_ALERT_ILLEGAL_PARAMETER, err,
			       "invalid %s key share", hsd_group_name(c->p.group));
	if (err)
		return hs_fail(c, HS_ALERT_INTERNAL_ERROR, err, "key generation");
	c->n_kex = 1;
	c->kex_group[0] = c->p.group;
	return 0;
}



int hs_build_server_hello(struct hs_conn *c, struct hs_buf *b)
{
	uint8_t pub[HSD_KEX_PUB_MAX];
	struct hs_vec_mark m;
	size_t publen = 0;
	int err;

	err = hs_random(c, c->server_random, 32);
	if (err)
		return hs_fail(c, HS_ALERT_INTERNAL_ERROR, err, "no randomness");
	if (c->p.version != HS_TLS13) {
		/* RFC 8446 4.1.3: a 1.3-capable server marks the downgrade */
		if (c->cfg.max_version >= HS_TLS13)
			memcpy(c->server_random + 24, downgrade12, 8);
		return hs_build_server_hello12(c, b);
	}
	if (c->psk_dhe) {
		err = server_key_share(c, pub, &publen);
		if (err)
			return err;
	}
	put_hello_head(c, b, c->server_random);
	/* the order of RFC 8448's traces: psk, key_share, versions */
	m = hs_vec_open(b, 2);
	if (c->psk_index >= 0)
		EXT(c, b, HS_EXT_PRE_SHARED_KEY, { hs_put_u16(b, (uint16_t)c->psk_index); });
	if (c->psk_dhe)
		EXT(c, b, HS_EXT_KEY_SHARE, {
			hs_put_u16(b, c->p.group);
			hs_put_vec(b, 2, pub, publen);
		});
	EXT(c, b, HS_EXT_SUPPORTED_VERSIONS, { hs_put_u16(b, HS_TLS13); });
	hs_vec_close(b, m);
	return 0;
}

/* Which version does this ServerHello select? 0: not one we offered. */
/*
 * The version the server selected (RFC 8446 4.1.3, 4.2.1), or the alert
 * to end with, negated: a malformed extension block is decode_error, a
 * supported_versions naming a version we did not offer (or one before
 * TLS 1.3) illegal_parameter, no TLS 1.3 and a TLS 1.2 we do not speak
 * protocol_version.
 */
static int sh_version(struct hs_conn *c, uint16_t legacy, struct hs_cur exts)
{
	uint16_t type, v;
	struct hs_cur d;

	while (hs_cur_left(&exts)) {
		if (hs_cur_u16(&exts, &type) || hs_cur_vec(&exts, 2, 0, &d))
			return -HS_ALERT_DECODE_ERROR;
		if (type != HS_EXT_SUPPORTED_VERSIONS)
			continue;
		if (hs_cur_u16(&d, &v) || hs_cur_left(&d))
			return -HS_ALERT_DECODE_ERROR;
		if (v != HS_TLS13 || c->cfg.max_version < HS_TLS13)
			return -HS_ALERT_ILLEGAL_PARAMETER;
		return HS_TLS13;
	}
	if (legacy == HS_TLS12 && c->cfg.min_version <= HS_TLS12)
		return HS_TLS12;
	return -HS_ALERT_PROTOCOL_VERSION;
}

static bool we_offered_suite(struct hs_conn *c, uint16_t id)
{
	const struct hs_suite *s = hs_suite_find(id);

	return hs_suite_allowed(c, s);
}

static int parse_hrr(struct hs_conn *c, struct hs_sh_info *sh)
{
	size_t i;
	int err;

	/* RFC 8446 4.1.4: one HelloRetryRequest at most */
	if (c->hrr)
		return hs_fail(c, HS_ALERT_UNEXPECTED_MESSAGE, -EPROTO,
			       "second HelloRetryRequest");
	if (!sh->have_key_share && !sh->have_cookie)
		return hs_fail(c, HS_ALERT_ILLEGAL_PARAMETER, -EPROTO,
			       "HelloRetryRequest asks for nothing");
	if (sh->have_key_share) {
		bool listed = false;

		for (i = 0; i < c->cfg.n_groups; i++)
			listed |= c->cfg.groups[i] == sh->group &&
				  hsd_group_supported(c->cr, sh->group);
		for (i = 0; i < c->n_kex; i++)
			if (c->kex_group[i] == sh->group)
				listed = false;
		if (!listed)
			return hs_fail(c, HS_ALERT_ILLEGAL_PARAMETER, -EPROTO,
				       "HelloRetryRequest for group %#x",
				       sh->group);
		c->hrr_group = sh->group;
	} else {
		c->hrr_group = c->n_kex ? c->kex_group[0] : 0;
	}
	if (sh->have_cookie) {
		if (sh->cookie_len > sizeof(c->h->cookie))
			return hs_fail(c, HS_ALERT_ILLEGAL_PARAMETER, -EPROTO,
				       "cookie too large");
		memcpy(c->h->cookie, sh->cookie, sh->cookie_len);
		c->h->cookie_len = sh->cookie_len;
	}
	c->hrr = true;
	c->p.hello_retry = true;
	err = transcript_to_message_hash(c);
	return err;
}

static bool offered_external_psk(const struct hs_conn *c)
{
	size_t i;

	for (i = 0; i < c->h->n_offers; i++)
		if (c->h->offers[i].ext)
			return true;
	return false;
}

static int parse_sh13(struct hs_conn *c, struct hs_sh_info *sh)
{
	size_t i;
	int err;

	if (sh->have_psk) {
		const struct hs_offer *o = &c->h->offers[sh->psk_index];

		if (sh->psk_index >= c->h->n_offers)
			return hs_fail(c, HS_ALERT_ILLEGAL_PARAMETER, -EPROTO,
				       "server chose PSK %u of %zu",
				       sh->psk_index, c->h->n_offers);
		memset(&c->psk, 0, sizeof(c->psk));
		memcpy(c->psk.key, o->key, o->key_len);
		c->psk.key_len = o->key_len;
		c->psk.hash = o->hash;
		c->psk_index = sh->psk_index;
		/* RFC 8446 4.2.11: the suite's hash must be the PSK's */
		if (c->psk.hash != c->suite->hash)
			return hs_fail(c, HS_ALERT_ILLEGAL_PARAMETER, -EPROTO,
				       "suite hash differs from the PSK's");
		if (o->resumption) {
			c->p.resumed = true;
			c->psk_resumption = true;
			c->p.peer_authenticated = c->cfg.resume->peer_authenticated;
		} else {
			c->p.psk = true;
			c->p.psk_used = o->ext;
			c->p.peer_authenticated = true;
		}
	}
	/*
	 * A client that offered external PSKs authenticates the server by one
	 * of them: a server that ignores them and sends some certificate
	 * must not complete the handshake (the daemon's PSK mode, NVMe/TCP).
	 */
	if (!sh->have_psk && offered_external_psk(c))
		return hs_fail(c, HS_ALERT_HANDSHAKE_FAILURE, -EACCES,
			       "server selected none of the offered PSKs");
	if (sh->have_key_share) {
		for (i = 0; i < c->n_kex; i++)
			if (c->kex_group[i] == sh->group)
				break;
		if (i == c->n_kex)
			return hs_fail(c, HS_ALERT_ILLEGAL_PARAMETER, -EPROTO,
				       "server share for a group we did not send");
		err = hsd_kex_derive(c->kex[i], sh->share.p,
				     hs_cur_left(&sh->share), c->h->shared,
				     &c->h->shared_len);
		if (err)
			return hs_fail(c, HS_ALERT_ILLEGAL_PARAMETER, err,
				       "invalid server key share");
		c->p.group = sh->group;
	} else if (!sh->have_psk || !c->cfg.psk_only) {
		/* RFC 8446 9.2 */
		return hs_fail(c, HS_ALERT_MISSING_EXTENSION, -EPROTO,
			       "ServerHello without key_share");
	}
	return 0;
}




int hs_parse_server_hello(struct hs_conn *c, struct hs_cur *body)
{
	struct hs_sh_info sh = { 0 };
	struct hs_ext_walk w = { .sh = &sh };
	const uint8_t *random;
	struct hs_cur sid, exts;
	uint16_t legacy, id;
	uint8_t comp;
	int err;

	w.msg = body->p;
	exts = hs_cur_init(NULL, 0);
	if (hs_cur_u16(body, &legacy) || hs_cur_take(body, 32, &random) ||
	    hs_cur_vec(body, 1, 0, &sid) || hs_cur_left(&sid) > 32 ||
	    hs_cur_u16(body, &id) || hs_cur_u8(body, &comp) ||
	    (hs_cur_left(body) &&
	     (hs_cur_vec(body, 2, 0, &exts) || hs_cur_end(body))))
		return hs_fail(c, HS_ALERT_DECODE_ERROR, -EBADMSG,
			       "malformed ServerHello");
	err = sh_version(c, legacy, exts);
	if (err == -HS_ALERT_DECODE_ERROR)
		return hs_fail(c, HS_ALERT_DECODE_ERROR, -EBADMSG,
			       "malformed ServerHello extensions");
	if (err < 0)
		return hs_fail(c, (uint8_t)-err, -EPROTONOSUPPORT,
			       "server chose a version we did not offer");
	c->p.version = (uint16_t)err;
	if (c->hrr && c->p.version != HS_TLS13)
		return hs_fail(c, HS_ALERT_ILLEGAL_PARAMETER, -EPROTO,
			       "TLS 1.2 after HelloRetryRequest");
	/* RFC 8446 4.1.3: refuse a downgrade we can see */
	if (c->p.version == HS_TLS12 && c->cfg.max_version >= HS_TLS13 &&
	    (!memcmp(random + 24, downgrade12, 8) ||
	     !memcmp(random + 24, downgrade11, 8)))
		return hs_fail(c, HS_ALERT_ILLEGAL_PARAMETER, -EPROTO,
			       "downgrade sentinel in ServerHello.random");
	if (!we_offered_suite(c, id) ||
	    hs_suite_find(id)->version != c->p.version)
		return hs_fail(c, HS_ALERT_ILLEGAL_PARAMETER, -EPROTO,
			       "server chose suite %#06x we did not offer", id);
	if (comp)
		return hs_fail(c, HS_ALERT_ILLEGAL_PARAMETER, -EPROTO,
			       "compression method %u", comp);
	if (c->p.version == HS_TLS12) {
		hs_set_suite(c, hs_suite_find(id));
		memcpy(c->server_random, random, 32);
		return hs_parse_server_hello12(c, &exts, sid.p, hs_cur_left(&sid));
	}
	/* RFC 8446 4.1.3: legacy_session_id_echo echoes ours */
	if (hs_cur_left(&sid) != c->session_id_len ||
	    memcmp(sid.p, c->session_id, c->session_id_len))
		return hs_fail(c, HS_ALERT_ILLEGAL_PARAMETER, -EPROTO,
			       "legacy_session_id_echo differs");
	if (c->hrr && id != c->suite->id)
		return hs_fail(c, HS_ALERT_ILLEGAL_PARAMETER, -EPROTO,
			       "suite changed after HelloRetryRequest");
	hs_set_suite(c, hs_suite_find(id));
	w.ctx = memcmp(random, hs_hrr_random, 32) ? X_SH : X_HRR;
	err = hs_ext_parse(c, &exts, &w);
	if (err)
		return err;
	if (w.ctx == X_HRR) {
		err = hs_transcript_set_hash(c, c->suite->hash);
		return err ? err : parse_hrr(c, &sh);
	}
	memcpy(c->server_random, random, 32);
	err = hs_transcript_set_hash(c, c->suite->hash);
	return err ? err : parse_sh13(c, &sh);
}

int hs_build_encrypted_extensions(struct hs_conn *c, struct hs_buf *b)
{
	struct hs_vec_mark m = hs_vec_open(b, 2);

	/* RFC 6066 3: an empty server_name acknowledges the name */
	if (c->sni[0])
		EXT(c, b, HS_EXT_SERVER_NAME, {});
	hs_put_server_alpn_rsl(c, b);
	hs_vec_close(b, m);
	return 0;
}

/*
 * The server's ALPN choice (RFC 7301 3.1) and its record_size_limit
 * (RFC 8449 4: ours, which in TLS 1.3 counts the content type byte), in
 * EncryptedExtensions or a TLS 1.2 ServerHello.
 */
void hs_put_server_alpn_rsl(struct hs_conn *c, struct hs_buf *b)
{
	size_t n = strlen(c->p.alpn);
	uint16_t rsl = c->cfg.record_size_limit;

	if (n)
		EXT(c, b, HS_EXT_ALPN, {
			struct hs_vec_mark m2 = hs_vec_open(b, 2);

			hs_put_vec(b, 1, c->p.alpn, n);
			hs_vec_close(b, m2);
		});
	if (c->p.peer_record_size_limit)
		EXT(c, b, HS_EXT_RECORD_SIZE_LIMIT, {
			/* never above the version's maximum */
			hs_put_u16(b, rsl && rsl < HS_MAX_PLAINTEXT + hs_is13(c) ?
				   rsl : HS_MAX_PLAINTEXT + hs_is13(c));
		});
}

int hs_parse_encrypted_extensions(struct hs_conn *c, struct hs_cur *body)
{
	struct hs_ext_walk w = { .ctx = X_EE };
	struct hs_sh_info sh = { 0 };
	struct hs_cur exts;
	int err;

	w.sh = &sh;
	if (hs_cur_vec(body, 2, 0, &exts) || hs_cur_end(body))
		return hs_fail(c, HS_ALERT_DECODE_ERROR, -EBADMSG,
			       "malformed EncryptedExtensions");
	err = hs_ext_parse(c, &exts, &w);
	if (err)
		return err;
	hs_apply_record_limits(c);
	/* a PSK handshake authenticates the server by the PSK alone */
	return 0;
}
