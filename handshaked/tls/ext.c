// SPDX-License-Identifier: GPL-2.0
/* Extension descriptors and their parsers. */
#include <string.h>

#include "handshaked/tls/hello.h"
#include "handshaked/util.h"

struct hs_ext {
	uint16_t type;
	const char *name;
	uint16_t allowed;	/* enum hs_ext_ctx mask */
	int (*parse)(struct hs_conn *c, struct hs_cur *d, struct hs_ext_walk *w);
};

static int bad(struct hs_conn *c, const char *what)
{
	return hs_fail(c, HS_ALERT_DECODE_ERROR, -EBADMSG, "malformed %s", what);
}

static int illegal(struct hs_conn *c, const char *what)
{
	return hs_fail(c, HS_ALERT_ILLEGAL_PARAMETER, -EPROTO, "%s", what);
}

/* RFC 6066 3 */
static int p_server_name(struct hs_conn *c, struct hs_cur *d,
			 struct hs_ext_walk *w)
{
	struct hs_cur list, name;
	uint8_t type;

	/* server's answer is empty (RFC 6066 3) */
	if (w->ctx != X_CH) {
		if (hs_cur_left(d))
			return bad(c, "server_name");
		c->sni_acked = true;
		return 0;
	}
	if (hs_cur_vec(d, 2, 1, &list) || hs_cur_end(d))
		return bad(c, "server_name");
	while (hs_cur_left(&list)) {
		if (hs_cur_u8(&list, &type) || hs_cur_vec(&list, 2, 1, &name))
			return bad(c, "server_name");
		/* one host_name; other types are ignored */
		if (type != 0)
			continue;
		if (c->sni[0])
			return illegal(c, "two host_names in server_name");
		if (hs_cur_left(&name) >= sizeof(c->sni) ||
		    memchr(name.p, 0, hs_cur_left(&name)))
			return illegal(c, "bad host_name");
		memcpy(c->sni, name.p, hs_cur_left(&name));
	}
	return 0;
}

static int p_supported_groups(struct hs_conn *c, struct hs_cur *d,
			      struct hs_ext_walk *w)
{
	struct hs_cur list;
	uint16_t g = 0;

	if (hs_cur_vec(d, 2, 2, &list) || hs_cur_end(d) ||
	    hs_cur_left(&list) % 2)
		return bad(c, "supported_groups");
	/* in EE the server's groups are informational (RFC 8446 4.2.7) */
	if (w->ctx != X_CH)
		return 0;
	w->ch->have_groups = true;
	w->ch->groups = list;
	/*
	 * Kept: the groups we implement, once each. A list of thousands of
	 * unknown or repeated values is valid (RFC 8446 4.2.7: ignore what
	 * is unknown) and must not push ours out.
	 */
	while (hs_cur_left(&list)) {
		hs_cur_u16(&list, &g);
		if (!hsd_group_known(g) || hs_peer_has_group(c, g))
			continue;
		if (c->h->n_peer_groups < ARRAY_SIZE(c->h->peer_groups))
			c->h->peer_groups[c->h->n_peer_groups++] = g;
	}
	return 0;
}

static int p_ec_point_formats(struct hs_conn *c, struct hs_cur *d,
			      struct hs_ext_walk *w)
{
	struct hs_cur list;

	if (hs_cur_vec(d, 1, 1, &list) || hs_cur_end(d))
		return bad(c, "ec_point_formats");
	/* RFC 8422 5.1.2: uncompressed (0) must be there */
	if (!memchr(list.p, 0, hs_cur_left(&list)))
		return illegal(c, "ec_point_formats without uncompressed");
	/* RFC 5246 7.4.1.4: a ServerHello answers only what was offered */
	if (w->ctx == X_CH)
		c->peer_ec_point_formats = true;
	return 0;
}

static int p_signature_algorithms(struct hs_conn *c, struct hs_cur *d,
				  struct hs_ext_walk *w)
{
	struct hs_cur list;
	uint16_t s = 0;

	if (hs_cur_vec(d, 2, 2, &list) || hs_cur_end(d) ||
	    hs_cur_left(&list) % 2)
		return bad(c, "signature_algorithms");
	if (w->ch)
		w->ch->have_sigs = true;
	c->h->n_peer_sigs = 0;
	/* kept: the schemes we use, once each, in the peer's order */
	while (hs_cur_left(&list)) {
		size_t i;

		hs_cur_u16(&list, &s);
		if (!hs_we_accept_sig(s))
			continue;
		for (i = 0; i < c->h->n_peer_sigs && c->h->peer_sigs[i] != s; i++)
			;
		if (i == c->h->n_peer_sigs && i < ARRAY_SIZE(c->h->peer_sigs))
			c->h->peer_sigs[c->h->n_peer_sigs++] = s;
	}
	return 0;
}

static int p_signature_algorithms_cert(struct hs_conn *c, struct hs_cur *d,
				       struct hs_ext_walk *w)
{
	struct hs_cur list;

	/* accepted; chain signatures are checked by X509_verify_cert */
	if (hs_cur_vec(d, 2, 2, &list) || hs_cur_end(d) ||
	    hs_cur_left(&list) % 2)
		return bad(c, "signature_algorithms_cert");
	return 0;
}

/* RFC 7301 3.1 */
static int p_alpn(struct hs_conn *c, struct hs_cur *d, struct hs_ext_walk *w)
{
	struct hs_cur list, name = { 0 }, all;

	if (hs_cur_vec(d, 2, 2, &list) || hs_cur_end(d))
		return bad(c, "application_layer_protocol_negotiation");
	all = list;
	while (hs_cur_left(&list))
		if (hs_cur_vec(&list, 1, 1, &name))
			return bad(c, "ALPN protocol name");
	if (w->ctx == X_CH) {
		w->ch->alpn = all.p;
		w->ch->alpn_len = hs_cur_left(&all);
		return 0;
	}
	/* the server selects exactly one of ours */
	hs_cur_vec(&all, 1, 1, &name);
	if (hs_cur_left(&all))
		return illegal(c, "ALPN: more than one protocol selected");
	{
		struct hs_cur mine = hs_cur_init(c->cfg.alpn, c->cfg.alpn_len);
		struct hs_cur m = { 0 };
		size_t n = hs_cur_left(&name);

		while (!hs_cur_vec(&mine, 1, 1, &m)) {
			if (hs_cur_left(&m) == n && !memcmp(m.p, name.p, n)) {
				memcpy(c->p.alpn, name.p, n);
				c->p.alpn[n] = 0;
				return 0;
			}
		}
	}
	return illegal(c, "ALPN: server selected a protocol not offered");
}

static int p_empty_flag(struct hs_conn *c, struct hs_cur *d,
			struct hs_ext_walk *w, bool *flag, const char *what)
{
	if (hs_cur_left(d))
		return bad(c, what);
	*flag = true;
	return 0;
}

/* RFC 7627 5.1 */
static int p_ems(struct hs_conn *c, struct hs_cur *d, struct hs_ext_walk *w)
{
	if (w->ctx == X_CH)
		return p_empty_flag(c, d, w, &c->peer_ems, "extended_master_secret");
	return p_empty_flag(c, d, w, &w->sh->ems, "extended_master_secret");
}

/* RFC 8449 4 */
static int p_record_size_limit(struct hs_conn *c, struct hs_cur *d,
			       struct hs_ext_walk *w)
{
	uint16_t v;

	if (hs_cur_u16(d, &v) || hs_cur_end(d))
		return bad(c, "record_size_limit");
	if (v < 64)
		return illegal(c, "record_size_limit below 64");
	if (w->ch && c->cfg.ignore_record_size_limit)
		return 0;	/* as a server that does not know it */
	c->p.peer_record_size_limit = v;
	if (w->ch)
		w->ch->record_size_limit = v;
	return 0;
}

/* RFC 5077 3.2 */
static int p_session_ticket(struct hs_conn *c, struct hs_cur *d,
			    struct hs_ext_walk *w)
{
	if (w->ctx == X_CH) {
		c->peer_ticket_ext = true;
		w->ch->ticket12 = d->p;
		w->ch->ticket12_len = hs_cur_left(d);
		d->p = d->end;
		return 0;
	}
	return p_empty_flag(c, d, w, &w->sh->ticket, "session_ticket");
}

/* RFC 8446 4.2.11 */
static int p_pre_shared_key(struct hs_conn *c, struct hs_cur *d,
			    struct hs_ext_walk *w)
{
	uint16_t idx;

	if (w->ctx == X_SH) {
		if (hs_cur_u16(d, &idx) || hs_cur_end(d))
			return bad(c, "pre_shared_key");
		w->sh->have_psk = true;
		w->sh->psk_index = idx;
		return 0;
	}
	if (hs_cur_vec(d, 2, 7, &w->ch->identities))
		return bad(c, "pre_shared_key identities");
	w->ch->binders_off = (size_t)(d->p - w->msg);
	if (hs_cur_vec(d, 2, 33, &w->ch->binders) || hs_cur_end(d))
		return bad(c, "pre_shared_key binders");
	w->ch->have_psk = true;
	return 0;
}

static int p_early_data(struct hs_conn *c, struct hs_cur *d,
			struct hs_ext_walk *w)
{
	/*
	 * 0-RTT is never offered nor accepted: a server skips such data
	 * (4.2.10), and as a client we never send the extension, so it
	 * cannot come back in EncryptedExtensions or a ticket.
	 */
	if (w->ctx != X_CH)
		return hs_fail(c, HS_ALERT_UNSUPPORTED_EXTENSION, -EPROTO,
			       "early_data we did not offer");
	return p_empty_flag(c, d, w, &w->ch->early_data, "early_data");
}

/* RFC 8446 4.2.1 */
static int p_supported_versions(struct hs_conn *c, struct hs_cur *d,
				struct hs_ext_walk *w)
{
	struct hs_cur list;
	uint16_t v = 0;

	if (w->ctx != X_CH) {
		if (hs_cur_u16(d, &v) || hs_cur_end(d))
			return bad(c, "supported_versions");
		w->sh->version = v;
		return 0;
	}
	if (hs_cur_vec(d, 1, 2, &list) || hs_cur_end(d) ||
	    hs_cur_left(&list) % 2)
		return bad(c, "supported_versions");
	w->ch->have_versions = true;
	while (hs_cur_left(&list)) {
		hs_cur_u16(&list, &v);
		if (w->ch->n_versions < 16)
			w->ch->versions[w->ch->n_versions++] = v;
	}
	return 0;
}

/* RFC 8446 4.2.2 */
static int p_cookie(struct hs_conn *c, struct hs_cur *d, struct hs_ext_walk *w)
{
	struct hs_cur v;

	if (hs_cur_vec(d, 2, 1, &v) || hs_cur_end(d))
		return bad(c, "cookie");
	if (w->ctx == X_CH) {
		w->ch->have_cookie = true;
		w->ch->cookie = v.p;
		w->ch->cookie_len = hs_cur_left(&v);
	} else {
		w->sh->have_cookie = true;
		w->sh->cookie = v.p;
		w->sh->cookie_len = hs_cur_left(&v);
	}
	return 0;
}

/* RFC 8446 4.2.9 */
static int p_psk_modes(struct hs_conn *c, struct hs_cur *d,
		       struct hs_ext_walk *w)
{
	struct hs_cur list;
	uint8_t m;

	if (hs_cur_vec(d, 1, 1, &list) || hs_cur_end(d))
		return bad(c, "psk_key_exchange_modes");
	w->ch->have_psk_modes = true;
	while (hs_cur_left(&list)) {
		hs_cur_u8(&list, &m);
		if (m == 0)
			w->ch->psk_ke = true;
		else if (m == 1)
			w->ch->psk_dhe_ke = true;
	}
	return 0;
}

static int p_certificate_authorities(struct hs_conn *c, struct hs_cur *d,
				     struct hs_ext_walk *w)
{
	struct hs_cur list;

	if (hs_cur_vec(d, 2, 3, &list) || hs_cur_end(d))
		return bad(c, "certificate_authorities");
	return 0;
}

/* RFC 8446 4.2.8 */
static int p_key_share(struct hs_conn *c, struct hs_cur *d,
		       struct hs_ext_walk *w)
{
	struct hs_cur list, e;
	uint16_t g;

	switch (w->ctx) {
	case X_CH:
		if (hs_cur_vec(d, 2, 0, &list) || hs_cur_end(d))
			return bad(c, "key_share");
		w->ch->key_shares = list;
		w->ch->have_key_share = true;
		/* validate the entries' framing now */
		while (hs_cur_left(&list))
			if (hs_cur_u16(&list, &g) || hs_cur_vec(&list, 2, 1, &e))
				return bad(c, "KeyShareEntry");
		return 0;
	case X_HRR:
		if (hs_cur_u16(d, &w->sh->group) || hs_cur_end(d))
			return bad(c, "key_share");
		w->sh->have_key_share = true;
		return 0;
	default:
		if (hs_cur_u16(d, &w->sh->group) ||
		    hs_cur_vec(d, 2, 1, &w->sh->share) || hs_cur_end(d))
			return bad(c, "key_share");
		w->sh->have_key_share = true;
		return 0;
	}
}

/* RFC 5746 3.2: initial handshake, empty renegotiated_connection */
static int p_renegotiation_info(struct hs_conn *c, struct hs_cur *d,
				struct hs_ext_walk *w)
{
	struct hs_cur v;

	if (hs_cur_vec(d, 1, 0, &v) || hs_cur_end(d))
		return bad(c, "renegotiation_info");
	if (hs_cur_left(&v))
		return hs_fail(c, HS_ALERT_HANDSHAKE_FAILURE, -EPROTO,
			       "renegotiation_info not empty");
	if (w->ctx == X_CH)
		c->peer_reneg_info = true;
	else
		w->sh->reneg = true;
	return 0;
}

static const struct hs_ext exts[] = {
	{ HS_EXT_SERVER_NAME, "server_name", X_CH | X_EE | X_SH12, p_server_name },
	{ HS_EXT_SUPPORTED_GROUPS, "supported_groups", X_CH | X_EE,
	  p_supported_groups },
	{ HS_EXT_EC_POINT_FORMATS, "ec_point_formats", X_CH | X_SH12,
	  p_ec_point_formats },
	{ HS_EXT_SIGNATURE_ALGORITHMS, "signature_algorithms", X_CH | X_CR,
	  p_signature_algorithms },
	{ HS_EXT_ALPN, "application_layer_protocol_negotiation",
	  X_CH | X_EE | X_SH12, p_alpn },
	{ HS_EXT_EXTENDED_MASTER_SECRET, "extended_master_secret",
	  X_CH | X_SH12, p_ems },
	{ HS_EXT_RECORD_SIZE_LIMIT, "record_size_limit", X_CH | X_EE | X_SH12,
	  p_record_size_limit },
	{ HS_EXT_SESSION_TICKET, "session_ticket", X_CH | X_SH12,
	  p_session_ticket },
	{ HS_EXT_PRE_SHARED_KEY, "pre_shared_key", X_CH | X_SH,
	  p_pre_shared_key },
	{ HS_EXT_EARLY_DATA, "early_data", X_CH | X_EE | X_NST, p_early_data },
	{ HS_EXT_SUPPORTED_VERSIONS, "supported_versions", X_CH | X_SH | X_HRR,
	  p_supported_versions },
	{ HS_EXT_COOKIE, "cookie", X_CH | X_HRR, p_cookie },
	{ HS_EXT_PSK_KEY_EXCHANGE_MODES, "psk_key_exchange_modes", X_CH,
	  p_psk_modes },
	{ HS_EXT_CERTIFICATE_AUTHORITIES, "certificate_authorities",
	  X_CH | X_CR, p_certificate_authorities },
	{ HS_EXT_SIGNATURE_ALGORITHMS_CERT, "signature_algorithms_cert",
	  X_CH | X_CR, p_signature_algorithms_cert },
	{ HS_EXT_KEY_SHARE, "key_share", X_CH | X_SH | X_HRR, p_key_share },
	{ HS_EXT_RENEGOTIATION_INFO, "renegotiation_info", X_CH | X_SH12,
	  p_renegotiation_info },
};

static const struct hs_ext *find(uint16_t type)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(exts); i++)
		if (exts[i].type == type)
			return &exts[i];
	return NULL;
}

/* slot for the "we sent it" bitmap; 0 for types we never send */
static size_t sent_slot(uint16_t type)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(exts); i++)
		if (exts[i].type == type)
			return i + 1;
	return 0;
}

void hs_ext_mark_sent(struct hs_conn *c, uint16_t type)
{
	c->h->sent_exts[sent_slot(type)] = true;
}

bool hs_ext_was_sent(const struct hs_conn *c, uint16_t type)
{
	size_t s = sent_slot(type);

	return s && c->h->sent_exts[s];
}

int hs_ext_parse(struct hs_conn *c, struct hs_cur *block, struct hs_ext_walk *w)
{
	/*
	 * One bit per extension type: a ClientHello may carry thousands of
	 * (unknown) extensions, all valid, each type at most once.
	 */
	uint8_t seen[65536 / 8];
	const struct hs_ext *e;
	struct hs_cur d;
	uint16_t type;
	int err;

	memset(seen, 0, sizeof(seen));
	while (hs_cur_left(block)) {
		if (hs_cur_u16(block, &type) || hs_cur_vec(block, 2, 0, &d))
			return bad(c, "extensions");
		/* RFC 8446 4.2: one extension of each type per message */
		if (seen[type / 8] & (1u << (type % 8)))
			return illegal(c, "duplicate extension");
		seen[type / 8] |= (uint8_t)(1u << (type % 8));
		/* RFC 8446 4.2.11: pre_shared_key MUST be the last one */
		if (w->ctx == X_CH && type == HS_EXT_PRE_SHARED_KEY &&
		    hs_cur_left(block))
			return illegal(c, "pre_shared_key not last");
		e = find(type);
		if (!e) {
			/* unknown extensions in requests are ignored */
			if (w->ctx == X_CH || w->ctx == X_CR || w->ctx == X_NST)
				continue;
			return hs_fail(c, HS_ALERT_UNSUPPORTED_EXTENSION, -EPROTO,
				       "unknown extension %u in a response",
				       type);
		}
		/* RFC 8446 4.2: a known extension in the wrong message */
		if (!(e->allowed & w->ctx))
			return illegal(c, "extension not allowed here");
		/* responses only answer what we sent */
		/* (a cookie is the server's own idea, RFC 8446 4.2.2) */
		if ((w->ctx & (X_SH | X_HRR | X_EE | X_SH12)) &&
		    !hs_ext_was_sent(c, type) &&
		    !(w->ctx == X_HRR && type == HS_EXT_COOKIE))
			return hs_fail(c, HS_ALERT_UNSUPPORTED_EXTENSION, -EPROTO,
				       "unsolicited extension %s", e->name);
		err = e->parse(c, &d, w);
		if (err)
			return err;
	}
	return 0;
}
