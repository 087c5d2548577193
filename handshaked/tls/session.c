// SPDX-License-Identifier: GPL-2.0
/*
 * Resumption in the handshake: session state and its encoding, TLS 1.2
 * session IDs (RFC 5246 7.3) and tickets (RFC 5077), TLS 1.3 tickets (RFC
 * 8446 4.6.1, 2.2). The keys that seal tickets are in ticket_keys.c, the
 * TLS 1.2 cache in session_cache.c.
 */
#include <stdio.h>
#include <string.h>

#include "handshaked/tls/hello.h"
#include "handshaked/tls/session.h"

#define SESSION_MAGIC 0x48534431	/* "HSD1" */

uint64_t hs_now(const struct hs_conn *c)
{
	return c->cfg.now ? c->cfg.now(c->cfg.now_arg) : 0;
}

/* ---- encoding of session state (tickets, cache, files) ---- */
int hs_session_encode(const struct hs_session *s, uint8_t *out, size_t cap,
		      size_t *len)
{
	struct hs_buf b = hs_buf_init(out, cap);

	hs_put_u32(&b, SESSION_MAGIC);
	hs_put_u16(&b, s->version);
	hs_put_u16(&b, s->suite);
	hs_put_u8(&b, (uint8_t)(s->ems | s->peer_authenticated << 1));
	hs_put_vec(&b, 1, s->secret, s->secret_len);
	hs_put_vec(&b, 1, s->session_id, s->session_id_len);
	hs_put_vec(&b, 2, s->ticket, s->ticket_len);
	hs_put_u32(&b, s->lifetime);
	hs_put_u32(&b, s->age_add);
	hs_put_u32(&b, (uint32_t)(s->received_ms >> 32));
	hs_put_u32(&b, (uint32_t)s->received_ms);
	hs_put_vec(&b, 1, s->server_name, strlen(s->server_name));
	*len = b.len;
	return b.err;
}

int hs_session_decode(const uint8_t *p, size_t n, struct hs_session *s)
{
	struct hs_cur c = hs_cur_init(p, n), v[4];
	uint32_t magic, hi, lo;
	uint8_t flags;

	memset(s, 0, sizeof(*s));
	if (hs_cur_u32(&c, &magic) || magic != SESSION_MAGIC ||
	    hs_cur_u16(&c, &s->version) || hs_cur_u16(&c, &s->suite) ||
	    hs_cur_u8(&c, &flags) || hs_cur_vec(&c, 1, 1, &v[0]) ||
	    hs_cur_vec(&c, 1, 0, &v[1]) || hs_cur_vec(&c, 2, 0, &v[2]) ||
	    hs_cur_u32(&c, &s->lifetime) || hs_cur_u32(&c, &s->age_add) ||
	    hs_cur_u32(&c, &hi) || hs_cur_u32(&c, &lo) ||
	    hs_cur_vec(&c, 1, 0, &v[3]) || hs_cur_end(&c) ||
	    hs_cur_left(&v[0]) > sizeof(s->secret) ||
	    hs_cur_left(&v[1]) > sizeof(s->session_id) ||
	    hs_cur_left(&v[2]) > sizeof(s->ticket) ||
	    hs_cur_left(&v[3]) >= sizeof(s->server_name) ||
	    (s->version != HS_TLS12 && s->version != HS_TLS13) ||
	    !hs_suite_find(s->suite))
		return -EBADMSG;
	s->ems = flags & 1;
	s->peer_authenticated = flags & 2;
	s->secret_len = hs_cur_left(&v[0]);
	memcpy(s->secret, v[0].p, s->secret_len);
	s->session_id_len = hs_cur_left(&v[1]);
	memcpy(s->session_id, v[1].p, s->session_id_len);
	s->ticket_len = hs_cur_left(&v[2]);
	memcpy(s->ticket, v[2].p, s->ticket_len);
	s->received_ms = (uint64_t)hi << 32 | lo;
	memcpy(s->server_name, v[3].p, hs_cur_left(&v[3]));
	return 0;
}

/* ---- TLS 1.2 ---- */
int hs_resume12_server(struct hs_conn *c, struct hs_ch_info *ch,
		       const uint16_t *suites, size_t n_suites)
{
	struct hs_session s;
	int err = -ENOKEY, ret = 0;

	memset(&s, 0, sizeof(s));
	c->send_ticket12 = c->peer_ticket_ext && c->cfg.ticket_keys;
	/* RFC 5077 3.4: a ticket first, then the session ID */
	if (c->cfg.ticket_keys && ch->ticket12_len)
		err = hs_ticket_open(c->cfg.ticket_keys, ch->ticket12,
				     ch->ticket12_len, &s);
	if (err && c->cfg.session_cache && c->session_id_len)
		err = hs_cache_find(c->cfg.session_cache, c->session_id,
				 c->session_id_len, &s);
	/* unknown: a full handshake with a new ID */
	if (err || s.version != HS_TLS12 ||
	    !hs_listed(suites, n_suites, s.suite) ||
	    !hs_suite_allowed(c, hs_suite_find(s.suite)))
		goto out;
	/* RFC 7627 5.3: an EMS session resumes only with EMS */
	if (s.ems && !c->peer_ems) {
		ret = hs_fail(c, HS_ALERT_HANDSHAKE_FAILURE, -EPROTO,
			      "resuming an extended-master-secret session without it");
		goto out;
	}
	if (!s.ems && c->peer_ems)
		goto out;
	hs_set_suite(c, hs_suite_find(s.suite));
	memcpy(c->master_secret, s.secret, 48);
	c->p.extended_master_secret = s.ems;
	c->p.resumed = true;
	c->p.peer_authenticated = s.peer_authenticated;
	c->resumed12 = true;
out:
	/* the master secret, on every path */
	hsd_wipe(&s, sizeof(s));
	return ret;
}

int hs_session_new_id12(struct hs_conn *c)
{
	/* RFC 5246 7.4.1.3: an ID only if the session can be resumed by it */
	if (!c->cfg.session_cache) {
		c->session_id_len = 0;
		return 0;
	}
	c->session_id_len = 32;
	return hs_random(c, c->session_id, 32);
}

static void fill12(struct hs_conn *c, struct hs_session *s)
{
	memset(s, 0, sizeof(*s));
	s->version = HS_TLS12;
	s->suite = c->suite->id;
	s->ems = c->p.extended_master_secret;
	s->peer_authenticated = c->p.peer_authenticated;
	memcpy(s->secret, c->master_secret, 48);
	s->secret_len = 48;
	memcpy(s->session_id, c->session_id, c->session_id_len);
	s->session_id_len = c->session_id_len;
}

int hs_session_save12(struct hs_conn *c)
{
	struct hs_session s;

	if (c->role == HS_SERVER) {
		if (c->cfg.session_cache && c->session_id_len) {
			fill12(c, &s);
			hs_cache_store(c->cfg.session_cache, &s);
			hsd_wipe(&s, sizeof(s));
		}
		return 0;
	}
	/* client: what hs_get_session() hands out, ticket from NST if any */
	if (!hs_session_slot(c))
		return -ENOMEM;
	{
		uint8_t ticket[sizeof(c->session->ticket)];
		size_t tl = c->session->ticket_len;
		uint32_t lt = c->session->lifetime;

		memcpy(ticket, c->session->ticket, tl);
		fill12(c, c->session);
		memcpy(c->session->ticket, ticket, tl);
		c->session->ticket_len = tl;
		c->session->lifetime = lt;
		c->session->received_ms = hs_now(c);
		if (c->cfg.server_name)
			snprintf(c->session->server_name,
				 sizeof(c->session->server_name), "%s",
				 c->cfg.server_name);
		c->have_session = tl || c->session_id_len;
	}
	return 0;
}

/*
 * Client, after a resumed TLS 1.2 handshake: the session goes on as it was
 * (RFC 5246 7.3: the abbreviated handshake resumes it, it does not end
 * it), with the ticket the server renewed in this handshake if it sent one
 * (RFC 5077 3.3), so that hs_get_session() hands out what resumes next.
 */
int hs_session_keep12(struct hs_conn *c)
{
	const struct hs_session *r = c->cfg.resume;
	uint8_t ticket[sizeof(r->ticket)];
	size_t tl;
	uint32_t lt;

	if (c->role != HS_CLIENT || !r)
		return 0;
	if (!hs_session_slot(c))
		return -ENOMEM;
	/* the slot holds a NewSessionTicket of this handshake, if any */
	tl = c->session->ticket_len;
	lt = c->session->lifetime;
	memcpy(ticket, c->session->ticket, tl);
	*c->session = *r;
	if (tl) {
		memcpy(c->session->ticket, ticket, tl);
		c->session->ticket_len = tl;
		c->session->lifetime = lt;
		c->session->received_ms = hs_now(c);
	}
	c->have_session = true;
	return 0;
}

int hs_resume12_client(struct hs_conn *c, const uint8_t *sid, size_t sidlen)
{
	const struct hs_session *r = c->cfg.resume;

	/* RFC 5246 7.4.1.3 / RFC 5077 3.4: resumed iff our ID is echoed */
	if (!r || r->version != HS_TLS12 || !sidlen ||
	    sidlen != c->session_id_len || memcmp(sid, c->session_id, sidlen))
		return 0;
	if (r->suite != c->suite->id)
		return hs_fail(c, HS_ALERT_ILLEGAL_PARAMETER, -EPROTO,
			       "resumed session with another cipher suite");
	/* RFC 7627 5.3 */
	if (r->ems != c->p.extended_master_secret)
		return hs_fail(c, HS_ALERT_HANDSHAKE_FAILURE, -EPROTO,
			       "resumption changes extended_master_secret");
	memcpy(c->master_secret, r->secret, 48);
	c->p.resumed = true;
	c->p.peer_authenticated = r->peer_authenticated;
	c->resumed12 = true;
	return 0;
}

void hs_put_session_ticket12(struct hs_conn *c, struct hs_buf *b)
{
	const struct hs_session *r = c->cfg.resume;

	if (r && r->version == HS_TLS12 && r->ticket_len)
		hs_put_bytes(b, r->ticket, r->ticket_len);
}

/* RFC 5077 3.3 */
int hs12_build_new_session_ticket(struct hs_conn *c, struct hs_buf *b)
{
	uint8_t t[1200];
	struct hs_session s;
	size_t n;
	int err;

	fill12(c, &s);
	s.lifetime = hs_ticket_lifetime(c->cfg.ticket_keys);
	s.received_ms = hs_now(c);	/* issue time */
	err = hs_ticket_seal(c->cfg.ticket_keys, &s, t, sizeof(t), &n);
	hsd_wipe(&s, sizeof(s));
	if (err)
		return hs_fail(c, HS_ALERT_INTERNAL_ERROR, err, "ticket failed");
	hs_put_u32(b, hs_ticket_lifetime(c->cfg.ticket_keys));
	hs_put_vec(b, 2, t, n);
	return 0;
}

int hs12_parse_new_session_ticket(struct hs_conn *c, struct hs_cur *body)
{
	struct hs_cur t;
	uint32_t hint;

	if (hs_cur_u32(body, &hint) || hs_cur_vec(body, 2, 0, &t) ||
	    hs_cur_end(body))
		return hs_fail(c, HS_ALERT_DECODE_ERROR, -EBADMSG,
			       "malformed NewSessionTicket");
	if (!hs_session_slot(c))
		return hs_fail(c, HS_ALERT_INTERNAL_ERROR, -ENOMEM,
			       "no memory for a session");
	if (hs_cur_left(&t) <= sizeof(c->session->ticket)) {
		memcpy(c->session->ticket, t.p, hs_cur_left(&t));
		c->session->ticket_len = hs_cur_left(&t);
		c->session->lifetime = hint;
	}
	return 0;
}

/* ---- TLS 1.3 ---- */
int hs13_ticket_psk(struct hs_conn *c, const uint8_t *id, size_t n,
		    struct hs_psk *out, struct hs_session *s)
{
	const struct hs_suite *su;

	if (!c->cfg.ticket_keys || hs_ticket_open(c->cfg.ticket_keys, id, n, s))
		return -ENOKEY;
	su = hs_suite_find(s->suite);
	if (s->version != HS_TLS13 || !su || su->version != HS_TLS13) {
		hsd_wipe(s, sizeof(*s));
		return -ENOKEY;
	}
	memset(out, 0, sizeof(*out));
	memcpy(out->key, s->secret, s->secret_len);
	out->key_len = s->secret_len;
	out->hash = su->hash;
	return 0;
}

bool hs13_will_send_tickets(const struct hs_conn *c)
{
	/* RFC 8446 4.6.1: only to clients that can use them (psk_dhe_ke) */
	return c->cfg.ticket_keys && c->peer_psk_dhe && c->cfg.now &&
	       c->cfg.tickets_to_send;
}

int hs13_send_tickets(struct hs_conn *c)
{
	uint8_t msg[4 + 4 + 4 + 9 + 2 + 1200 + 2], t[1200];
	struct hs_buf b;
	struct hs_session s;
	uint8_t nonce[8];
	uint32_t age_add;
	size_t n, i;
	int err = 0;

	if (!hs13_will_send_tickets(c))
		return 0;
	for (i = 0; i < c->cfg.tickets_to_send && !err; i++) {
		memset(&s, 0, sizeof(s));
		memset(nonce, 0, sizeof(nonce));
		nonce[7] = (uint8_t)c->tickets_sent++;
		s.version = HS_TLS13;
		s.suite = c->suite->id;
		s.peer_authenticated = c->p.peer_authenticated;
		s.secret_len = hs_hash_len(c);
		s.lifetime = hs_ticket_lifetime(c->cfg.ticket_keys);
		s.received_ms = hs_now(c);
		err = hs_random(c, (uint8_t *)&age_add, sizeof(age_add));
		s.age_add = age_add;
		if (!err)
			err = hs13_expand_label(c, c->resumption_master,
						"resumption", nonce,
						sizeof(nonce), s.secret,
						s.secret_len);
		if (!err)
			err = hs_ticket_seal(c->cfg.ticket_keys, &s, t,
					     sizeof(t), &n);
		hsd_wipe(&s, sizeof(s));
		if (err)
			break;
		b = hs_buf_init(msg, sizeof(msg));
		hs_put_u8(&b, HS_MT_NEW_SESSION_TICKET);
		hs_put_u24(&b, 0);
		hs_put_u32(&b, hs_ticket_lifetime(c->cfg.ticket_keys));
		hs_put_u32(&b, age_add);
		hs_put_vec(&b, 1, nonce, sizeof(nonce));
		hs_put_vec(&b, 2, t, n);
		hs_put_u16(&b, 0);	/* no early_data: 0-RTT is not offered */
		msg[1] = (uint8_t)((b.len - 4) >> 16);
		msg[2] = (uint8_t)((b.len - 4) >> 8);
		msg[3] = (uint8_t)(b.len - 4);
		err = b.err ? b.err : hs_queue_record(c, HS_CT_HANDSHAKE, msg,
						      b.len);
	}
	if (err)
		return hs_fail(c, HS_ALERT_INTERNAL_ERROR, err,
			       "NewSessionTicket failed");
	return 0;
}
