// SPDX-License-Identifier: GPL-2.0
/*
 * Server: parse a ClientHello and choose version, suite, PSK, group and
 * signature scheme (RFC 8446 4.1.1, 4.2; RFC 5246 7.4.1.2).
 */
#include <string.h>

#include "handshaked/tls/hello.h"
#include "handshaked/tls/session.h"

#define MAX_CLIENT_SUITES 128

struct offer {
	struct hs_ch_info ch;
	uint16_t legacy_version;
	uint16_t suites[MAX_CLIENT_SUITES];
	size_t n_suites;
	struct hs_cur comp;
	const uint8_t *msg;	/* body start, for binder truncation */
};

void hs_set_suite(struct hs_conn *c, const struct hs_suite *s)
{
	c->suite = s;
	c->p.suite = s;
	c->ks_hash = s->hash;
}

static bool offered(const struct offer *o, uint16_t id)
{
	return hs_listed(o->suites, o->n_suites, id);
}

bool hs_peer_has_group(const struct hs_conn *c, uint16_t g)
{
	return hs_listed(c->h->peer_groups, c->h->n_peer_groups, g);
}

static uint16_t pick_version(struct hs_conn *c, const struct offer *o)
{
	static const uint16_t ours[] = { HS_TLS13, HS_TLS12 };
	size_t i, j;

	if (!o->ch.have_versions) {
		/* RFC 8446 4.2.1: without the extension, legacy_version rules */
		if (o->legacy_version >= HS_TLS12 &&
		    c->cfg.min_version <= HS_TLS12)
			return HS_TLS12;
		return 0;
	}
	for (i = 0; i < 2; i++) {
		if (ours[i] < c->cfg.min_version || ours[i] > c->cfg.max_version)
			continue;
		for (j = 0; j < o->ch.n_versions; j++)
			if (o->ch.versions[j] == ours[i])
				return ours[i];
	}
	return 0;
}

/* Our preference among the client's TLS 1.3 suites, optionally of one hash. */
static const struct hs_suite *pick_suite13(struct hs_conn *c,
					   const struct offer *o,
					   const struct hs_psk *psk)
{
	const struct hs_suite *mine[32];
	size_t n = hs_our_suites(c, mine, 32), i;

	for (i = 0; i < n; i++) {
		if (mine[i]->version != HS_TLS13 || !offered(o, mine[i]->id))
			continue;
		if (psk && (mine[i]->hash != psk->hash ||
			    (psk->suite && psk->suite != mine[i]->id)))
			continue;
		return mine[i];
	}
	return NULL;
}

static int verify_binder(struct hs_conn *c, const struct offer *o,
			 size_t index, const struct hs_psk *psk, bool external)
{
	uint8_t th[HSD_HASH_MAX], key[HSD_HASH_MAX], want[HSD_HASH_MAX];
	uint8_t hdr[4];
	size_t hl = hsd_hash_len(psk->hash), i, n;
	struct hs_cur bl = o->ch.binders, b;
	struct hsd_hash_ctx *x = NULL;
	int err;

	for (i = 0; i <= index; i++)
		if (hs_cur_vec(&bl, 1, 32, &b))
			return hs_fail(c, HS_ALERT_ILLEGAL_PARAMETER, -EPROTO,
				       "fewer binders than identities");
	if (hs_cur_left(&b) != hl)
		return hs_fail(c, HS_ALERT_ILLEGAL_PARAMETER, -EPROTO,
			       "binder length does not match the PSK hash");
	/* the truncated ClientHello keeps the full message's length */
	n = (size_t)(o->ch.binders.end - o->msg);
	hdr[0] = HS_MT_CLIENT_HELLO;
	hdr[1] = (uint8_t)(n >> 16);
	hdr[2] = (uint8_t)(n >> 8);
	hdr[3] = (uint8_t)n;
	err = hsd_hash_new(c->cr, psk->hash, &x);
	if (!err)
		err = hsd_hash_update(x, c->th_buf, c->th_buf_len);
	if (!err)
		err = hsd_hash_update(x, hdr, 4);
	if (!err)
		err = hsd_hash_update(x, o->msg, o->ch.binders_off);
	if (!err)
		err = hsd_hash_peek(x, th);
	hsd_hash_free(x);
	c->ks_hash = psk->hash;
	if (!err)
		err = hs13_binder_key(c, psk->key, psk->key_len, external, key);
	if (!err)
		err = hs13_finished(c, key, th, want);
	hsd_wipe(key, sizeof(key));
	if (err)
		return hs_fail(c, HS_ALERT_INTERNAL_ERROR, err, "binder failed");
	/* RFC 8446 4.2.11.2: a wrong binder is decrypt_error */
	if (hsd_ct_memcmp(want, b.p, hl))
		return hs_fail(c, HS_ALERT_DECRYPT_ERROR, -EACCES,
			       "PSK binder does not verify");
	return 0;
}

static int remember_identity(struct hs_conn *c, const uint8_t *id, size_t n)
{
	int err = hsd_hash(c->cr, HSD_SHA256, id, n, c->ch1_psk_id);

	if (err)
		return hs_fail(c, HS_ALERT_INTERNAL_ERROR, err, "hash failed");
	c->ch1_psk_selected = true;
	return 0;
}

static bool same_identity(struct hs_conn *c, const uint8_t *id, size_t n)
{
	uint8_t d[32];

	return c->ch1_psk_selected && !hsd_hash(c->cr, HSD_SHA256, id, n, d) &&
	       !memcmp(d, c->ch1_psk_id, sizeof(d));
}

/*
 * RFC 8446 4.1.2: a second ClientHello is a new offer. Nothing the first
 * one's PSK gave (the PSK, its authentication, resumption) may survive
 * into a handshake the second one makes without it.
 */
static void forget_psk(struct hs_conn *c)
{
	hsd_wipe(&c->psk, sizeof(c->psk));
	c->psk_index = -1;
	c->psk_resumption = false;
	c->p.psk = false;
	c->p.psk_used = NULL;
	c->p.resumed = false;
	c->p.peer_authenticated = false;
}

/*
 * Identity @i of the offer: 1 when it is selected, 0 when it is not usable
 * (unknown: *unknown stays set), or an error. @psk and @sess are the
 * caller's scratch, wiped by it whatever the answer.
 */
static int try_identity(struct hs_conn *c, struct offer *o, size_t i,
			const struct hs_cur *id, bool *unknown,
			struct hs_psk *psk, struct hs_session *sess)
{
	const struct hs_suite *s;
	bool resumption;
	int err;

	/* RFC 8446 4.1.2: after HRR, only the PSK ClientHello 1 chose */
	if (c->hrr && !same_identity(c, id->p, hs_cur_left(id)))
		return 0;
	/* RFC 8446 2.2: our own ticket, else an external identity */
	resumption = !hs13_ticket_psk(c, id->p, hs_cur_left(id), psk, sess);
	if (!resumption &&
	    (!c->cfg.psk_lookup ||
	     c->cfg.psk_lookup(c->cfg.psk_lookup_arg, id->p, hs_cur_left(id),
			       psk)))
		return 0;
	*unknown = false;
	s = pick_suite13(c, o, psk);
	/* psk_dhe_ke needs a group; psk_ke is fine without */
	if (!s || (!o->ch.psk_dhe_ke && !o->ch.psk_ke) ||
	    (resumption && !o->ch.psk_dhe_ke))
		return 0;
	err = verify_binder(c, o, i, psk, !resumption);
	if (!err && !c->hrr)
		err = remember_identity(c, id->p, hs_cur_left(id));
	if (err)
		return err;
	c->psk_resumption = resumption;
	c->psk = *psk;
	c->psk_index = (int)i;
	hs_set_suite(c, s);
	if (resumption) {
		c->p.resumed = true;
		c->p.peer_authenticated = sess->peer_authenticated;
	} else {
		c->p.psk = true;
		c->p.psk_used = &c->psk;
		c->p.peer_authenticated = true;
	}
	return 1;
}

/* RFC 8446 4.2.11: the first identity we know, with a usable suite. */
static int choose_psk(struct hs_conn *c, struct offer *o, bool *unknown)
{
	struct hs_cur ids = o->ch.identities, id;
	struct hs_session sess;
	struct hs_psk psk;
	uint32_t age;
	size_t i;
	int r = 0;

	*unknown = false;
	if (!o->ch.have_psk)
		return 0;
	/* RFC 8446 4.2.9: pre_shared_key needs psk_key_exchange_modes */
	if (!o->ch.have_psk_modes)
		return hs_fail(c, HS_ALERT_MISSING_EXTENSION, -EPROTO,
			       "pre_shared_key without psk_key_exchange_modes");
	if (!c->cfg.psk_lookup && !c->cfg.ticket_keys)
		return 0;
	*unknown = true;
	/*
	 * One ClientHello holds thousands of identities and each lookup
	 * searches keyrings (~2 us each) in a loop other handshakes share:
	 * only the first HS_MAX_PSK_LOOKUPS are looked at, as other stacks
	 * cap them.
	 */
	for (i = 0; !r && hs_cur_left(&ids) && i < HS_MAX_PSK_LOOKUPS; i++) {
		if (hs_cur_vec(&ids, 2, 1, &id) || hs_cur_u32(&ids, &age))
			return hs_fail(c, HS_ALERT_DECODE_ERROR, -EBADMSG,
				       "malformed PskIdentity");
		memset(&psk, 0, sizeof(psk));
		memset(&sess, 0, sizeof(sess));
		r = try_identity(c, o, i, &id, unknown, &psk, &sess);
		/* the key and the resumption secret, on every path */
		hsd_wipe(&psk, sizeof(psk));
		hsd_wipe(&sess, sizeof(sess));
	}
	return r < 0 ? r : 0;
}

/* Find the client's share for @g; 0 and *share when present. */
static int find_share(struct hs_conn *c, const struct offer *o, uint16_t g,
		      struct hs_cur *share)
{
	struct hs_cur list = o->ch.key_shares, e;
	uint16_t eg;

	while (hs_cur_left(&list)) {
		hs_cur_u16(&list, &eg);
		hs_cur_vec(&list, 2, 1, &e);
		if (eg == g) {
			*share = e;
			return 0;
		}
	}
	return -ENOENT;
}

static bool listed(struct hs_cur list, uint16_t g)
{
	uint16_t v;

	while (!hs_cur_u16(&list, &v))
		if (v == g)
			return true;
	return false;
}

/*
 * RFC 8446 4.2.8: every KeyShareEntry is for a group supported_groups
 * lists, one per group; a server may check, and does (illegal_parameter).
 */
static int check_shares(struct hs_conn *c, const struct offer *o)
{
	const struct hs_cur all = o->ch.key_shares;
	struct hs_cur list = all, e, before;
	uint16_t g, h;

	while (hs_cur_left(&list)) {
		before = hs_cur_init(all.p, hs_cur_left(&all) - hs_cur_left(&list));
		hs_cur_u16(&list, &g);
		hs_cur_vec(&list, 2, 1, &e);
		if (!listed(o->ch.groups, g))
			return hs_fail(c, HS_ALERT_ILLEGAL_PARAMETER, -EPROTO,
				       "key share for %#06x, not in supported_groups",
				       g);
		while (!hs_cur_u16(&before, &h) && !hs_cur_vec(&before, 2, 1, &e))
			if (h == g)
				return hs_fail(c, HS_ALERT_ILLEGAL_PARAMETER, -EPROTO,
					       "two key shares for %#06x", g);
	}
	return 0;
}

static int choose_group(struct hs_conn *c, const struct offer *o, bool *hrr)
{
	struct hs_cur share;
	size_t i;
	int err;

	*hrr = false;
	/* RFC 8446 9.2: (EC)DHE needs supported_groups and key_share */
	if (!o->ch.have_groups || !o->ch.have_key_share)
		return hs_fail(c, HS_ALERT_MISSING_EXTENSION, -EPROTO,
			       "ClientHello without %s",
			       o->ch.have_groups ? "key_share" : "supported_groups");
	err = check_shares(c, o);
	if (err)
		return err;
	for (i = 0; i < c->cfg.n_groups; i++) {
		uint16_t g = c->cfg.groups[i];

		if (!hsd_group_supported(c->cr, g) || !hs_peer_has_group(c, g) ||
		    find_share(c, o, g, &share))
			continue;
		if (c->hrr && g != c->hrr_group)
			break;
		c->p.group = g;
		if (hs_cur_left(&share) > sizeof(c->h->peer_share))
			return hs_fail(c, HS_ALERT_ILLEGAL_PARAMETER, -EPROTO,
				       "key share too large");
		memcpy(c->h->peer_share, share.p, hs_cur_left(&share));
		c->h->peer_share_len = hs_cur_left(&share);
		return 0;
	}
	/* RFC 8446 4.1.4: after HRR the share must be for the HRR group */
	if (c->hrr)
		return hs_fail(c, HS_ALERT_ILLEGAL_PARAMETER, -EPROTO,
			       "second ClientHello lacks the requested share");
	for (i = 0; i < c->cfg.n_groups; i++) {
		uint16_t g = c->cfg.groups[i];

		if (hsd_group_supported(c->cr, g) && hs_peer_has_group(c, g)) {
			c->hrr_group = g;
			*hrr = true;
			return 0;
		}
	}
	return hs_fail(c, HS_ALERT_HANDSHAKE_FAILURE, -EPROTO,
		       "no key exchange group in common");
}

/* RFC 7301 3.2: our first protocol the client offers */
int hs_choose_alpn(struct hs_conn *c, const struct hs_ch_info *ch)
{
	struct hs_cur mine = hs_cur_init(c->cfg.alpn, c->cfg.alpn_len), m, t, n;

	if (!ch->alpn || !c->cfg.alpn_len)
		return 0;
	/* ours is checked at hs_conn_new, the client's by its parser */
	while (!hs_cur_vec(&mine, 1, 1, &m)) {
		t = hs_cur_init(ch->alpn, ch->alpn_len);
		while (!hs_cur_vec(&t, 1, 1, &n)) {
			if (hs_cur_left(&n) == hs_cur_left(&m) &&
			    !memcmp(n.p, m.p, hs_cur_left(&m))) {
				memcpy(c->p.alpn, m.p, hs_cur_left(&m));
				c->p.alpn[hs_cur_left(&m)] = 0;
				return 0;
			}
		}
	}
	return hs_fail(c, HS_ALERT_NO_APPLICATION_PROTOCOL, -EPROTO,
		       "no ALPN protocol in common");
}

static int negotiate13(struct hs_conn *c, struct offer *o)
{
	const struct hs_suite *first = c->suite, *s;
	bool unknown = false, hrr = false;
	uint8_t m;
	int err;

	/* RFC 8446 4.1.2: legacy_compression_methods is exactly [0] */
	if (hs_cur_left(&o->comp) != 1 || hs_cur_u8(&o->comp, &m) || m)
		return hs_fail(c, HS_ALERT_ILLEGAL_PARAMETER, -EPROTO,
			       "legacy_compression_methods is not [null]");
	/* RFC 8446 4.2.2: the cookie of our HRR back, unchanged; none else */
	if (c->hrr && (o->ch.have_cookie != (c->h->cookie_len > 0) ||
		       o->ch.cookie_len != c->h->cookie_len ||
		       hsd_ct_memcmp(o->ch.cookie, c->h->cookie, c->h->cookie_len)))
		return hs_fail(c, HS_ALERT_ILLEGAL_PARAMETER, -EPROTO,
			       "cookie missing or changed after HelloRetryRequest");
	forget_psk(c);
	/* after HRR a PSK counts only if ClientHello 1 had one selected */
	if (!c->hrr || c->ch1_psk_selected) {
		err = choose_psk(c, o, &unknown);
		if (err)
			return err;
	}
	if (c->psk_index < 0) {
		if (unknown && !c->cfg.chain)
			return hs_fail(c, HS_ALERT_UNKNOWN_PSK_IDENTITY, -ENOKEY,
				       "no PSK identity known");
		if (!c->cfg.chain || !c->cfg.key)
			return hs_fail(c, HS_ALERT_HANDSHAKE_FAILURE, -ENOKEY,
				       "no certificate and no usable PSK");
		/* RFC 8446 4.1.4: after HRR the suite is the one it named */
		s = first ? (offered(o, first->id) ? first : NULL) :
			    pick_suite13(c, o, NULL);
		if (!s)
			return hs_fail(c, HS_ALERT_HANDSHAKE_FAILURE, -EPROTO,
				       "no cipher suite in common");
		hs_set_suite(c, s);
		if (!o->ch.have_sigs)
			return hs_fail(c, HS_ALERT_MISSING_EXTENSION, -EPROTO,
				       "no signature_algorithms");
		err = hs_choose_sig(c);
		if (err)
			return err;
	}
	c->peer_psk_dhe = o->ch.psk_dhe_ke;
	/* RFC 8446 4.1.4: the suite may not change after HRR */
	if (first && first != c->suite)
		return hs_fail(c, HS_ALERT_ILLEGAL_PARAMETER, -EPROTO,
			       "cipher suite changed after HelloRetryRequest");
	c->psk_dhe = c->psk_index < 0 || o->ch.psk_dhe_ke;
	if (c->psk_dhe) {
		err = choose_group(c, o, &hrr);
		if (err)
			return err;
	}
	err = hs_choose_alpn(c, &o->ch);
	if (err)
		return err;
	err = hs_transcript_set_hash(c, c->suite->hash);
	if (err)
		return err;
	/* the dispatcher's choose_shape() reads this */
	c->hrr_next = hrr;
	return 0;
}


int hs_parse_client_hello(struct hs_conn *c, struct hs_cur *body)
{
	struct hs_ext_walk w = { .ctx = X_CH };
	struct offer o = { .msg = body->p };
	struct hs_cur sid, suites, exts;
	const uint8_t *random;
	uint16_t s;
	int err;

	w.ch = &o.ch;
	w.msg = body->p;
	/* a second ClientHello is parsed afresh */
	c->h->n_peer_groups = 0;
	c->h->n_peer_sigs = 0;
	c->peer_ec_point_formats = false;
	memset(c->sni, 0, sizeof(c->sni));
	if (hs_cur_u16(body, &o.legacy_version) ||
	    hs_cur_take(body, 32, &random) || hs_cur_vec(body, 1, 0, &sid) ||
	    hs_cur_vec(body, 2, 2, &suites) || hs_cur_vec(body, 1, 1, &o.comp))
		return hs_fail(c, HS_ALERT_DECODE_ERROR, -EBADMSG,
			       "malformed ClientHello");
	if (hs_cur_left(&sid) > 32 || hs_cur_left(&suites) % 2)
		return hs_fail(c, HS_ALERT_DECODE_ERROR, -EBADMSG,
			       "malformed ClientHello");
	exts = hs_cur_init(NULL, 0);
	/* RFC 5246 7.4.1.2: a TLS 1.2 ClientHello may end before extensions */
	if (hs_cur_left(body) &&
	    (hs_cur_vec(body, 2, 0, &exts) || hs_cur_end(body)))
		return hs_fail(c, HS_ALERT_DECODE_ERROR, -EBADMSG,
			       "malformed ClientHello extensions");
	/*
	 * Kept: the suites we implement and the two signalling ones, once
	 * each: thousands of unknown or repeated values are a valid offer
	 * (RFC 5246 7.4.1.2, RFC 8446 4.1.2) and must not push ours out.
	 */
	while (hs_cur_left(&suites)) {
		hs_cur_u16(&suites, &s);
		if ((hs_suite_find(s) || s == TLS_FALLBACK_SCSV ||
		     s == TLS_EMPTY_RENEGOTIATION_INFO_SCSV) &&
		    !offered(&o, s) && o.n_suites < MAX_CLIENT_SUITES)
			o.suites[o.n_suites++] = s;
	}
	err = hs_ext_parse(c, &exts, &w);
	if (err)
		return err;
	if (c->hrr) {
		/* RFC 8446 4.1.2: CH2 repeats random and session id */
		if (memcmp(random, c->client_random, 32) ||
		    hs_cur_left(&sid) != c->session_id_len ||
		    memcmp(sid.p, c->session_id, c->session_id_len))
			return hs_fail(c, HS_ALERT_ILLEGAL_PARAMETER, -EPROTO,
				       "second ClientHello changed");
	}
	memcpy(c->client_random, random, 32);
	memcpy(c->session_id, sid.p, hs_cur_left(&sid));
	c->session_id_len = hs_cur_left(&sid);
	c->client_version = o.legacy_version;
	/* RFC 8446 D.5: legacy_version 0x0300 or less MUST be refused */
	if (o.legacy_version <= 0x0300)
		return hs_fail(c, HS_ALERT_PROTOCOL_VERSION, -EPROTONOSUPPORT,
			       "ClientHello legacy_version %#06x",
			       o.legacy_version);
	c->p.version = pick_version(c, &o);
	if (!c->p.version)
		return hs_fail(c, HS_ALERT_PROTOCOL_VERSION, -EPROTONOSUPPORT,
			       "no protocol version in common (client offers %#06x)",
			       o.ch.n_versions ? o.ch.versions[0] : o.legacy_version);
	if (c->hrr && c->p.version != HS_TLS13)
		return hs_fail(c, HS_ALERT_ILLEGAL_PARAMETER, -EPROTO,
			       "version changed after HelloRetryRequest");
	hs_apply_record_limits(c);
	if (c->p.version == HS_TLS13)
		return negotiate13(c, &o);
	return hs_negotiate12(c, &o.ch, o.suites, o.n_suites, &o.comp);
}
