// SPDX-License-Identifier: GPL-2.0
/*
 * After the handshake: application data, alerts, NewSessionTicket
 * (RFC 8446 4.6.1), KeyUpdate (4.6.3), refused renegotiation (RFC 5746).
 */
#include <stdio.h>
#include <string.h>

#include "handshaked/tls/hello.h"
#include "handshaked/tls/session.h"

bool hs_peer_closed(const struct hs_conn *c)
{
	return c->closed;
}

/* Rekey margin: update this many records before the AEAD limit. */
#define HS_REKEY_MARGIN 4096

void hs_tx_offloaded(struct hs_conn *c, uint64_t next_seq)
{
	c->tx_offloaded = true;
	c->tx.seq = next_seq;
}

int hs_take_key_update(struct hs_conn *c, uint8_t msg[5])
{
	if (!c->ku_ready)
		return 0;
	memcpy(msg, c->ku_msg, 5);
	c->ku_ready = false;
	return 1;
}

int hs_key_update(struct hs_conn *c, bool request)
{
	uint8_t m[5] = { HS_MT_KEY_UPDATE, 0, 0, 1, request };
	int err;

	if (!c->done || !hs_is13(c))
		return -EINVAL;
	/* RFC 8446 6.1: nothing is sent after close_notify */
	if (c->sent_close)
		return -EPIPE;
	/* RFC 8446 4.6.3: sent under the old key, then the new key */
	if (c->tx_offloaded) {
		/* the kernel sends it under the key it holds */
		memcpy(c->ku_msg, m, sizeof(m));
		c->ku_ready = true;
		err = 0;
	} else {
		err = hs_queue_record(c, HS_CT_HANDSHAKE, m, sizeof(m));
	}
	if (!err)
		err = hs13_next_secret(c, &c->tx);
	if (err)
		return hs_fail(c, HS_ALERT_INTERNAL_ERROR, err, "KeyUpdate failed");
	c->keyupdates_tx++;
	c->key_update_pending = false;
	return 0;
}

/*
 * RFC 8446 4.6.3: update_requested is answered with a KeyUpdate of our own
 * before our next record. Requests that arrive before the answer went out
 * share it: one answer, the send key moved forward once per KeyUpdate
 * actually sent. With TX in the kernel, a KeyUpdate still waiting for the
 * driver (hs_take_key_update) is that answer.
 */
static int answer_key_update(struct hs_conn *c)
{
	if (!c->key_update_pending || c->err)
		return 0;
	if ((c->tx_offloaded && c->ku_ready) || c->sent_close) {
		c->key_update_pending = false;
		return 0;
	}
	return hs_key_update(c, false);
}

int hs_app_write(struct hs_conn *c, const uint8_t *p, size_t n)
{
	size_t chunk;
	int err;

	if (c->err)
		return c->err;
	if (!c->done)
		return -EAGAIN;
	if (c->sent_close)
		return -EPIPE;
	err = answer_key_update(c);
	if (err)
		return err;
	/*
	 * All or nothing, so a caller never has to guess which records were
	 * queued: per record at most a header, an explicit nonce or the inner
	 * type, and the tag; one KeyUpdate record besides.
	 */
	if (n + (n / c->tx.max_plaintext + 1) * (HS_RECORD_HEADER + 8 +
	    HSD_AEAD_TAG_LEN) + 64 > hs_out_room(c))
		return -ENOBUFS;
	while (n) {
		chunk = n < c->tx.max_plaintext ? n : c->tx.max_plaintext;
		/* RFC 8446 5.5: rekey before the usage limit */
		if (hs_is13(c) &&
		    c->tx.seq + HS_REKEY_MARGIN >= c->tx.desc->record_limit) {
			err = hs_key_update(c, false);
			if (err)
				return err;
		}
		err = hs_queue_record(c, HS_CT_APPLICATION_DATA, p, chunk);
		if (err)
			return err;
		p += chunk;
		n -= chunk;
	}
	return 0;
}

/* RFC 8446 4.6.1 */
static int new_session_ticket13(struct hs_conn *c, struct hs_cur *b)
{
	struct hs_session *s = NULL;
	struct hs_cur nonce, ticket, exts;
	uint32_t lifetime, age_add;
	int err;

	if (c->role == HS_CLIENT)
		s = hs_session_slot(c);
	if (c->role == HS_CLIENT && !s)
		return hs_fail(c, HS_ALERT_INTERNAL_ERROR, -ENOMEM,
			       "no memory for a session");
	if (c->role != HS_CLIENT)
		return hs_fail(c, HS_ALERT_UNEXPECTED_MESSAGE, -EPROTO,
			       "NewSessionTicket from a client");
	if (hs_cur_u32(b, &lifetime) || hs_cur_u32(b, &age_add) ||
	    hs_cur_vec(b, 1, 0, &nonce) || hs_cur_vec(b, 2, 1, &ticket) ||
	    hs_cur_vec(b, 2, 0, &exts) || hs_cur_end(b))
		return hs_fail(c, HS_ALERT_DECODE_ERROR, -EBADMSG,
			       "malformed NewSessionTicket");
	/* at most seven days */
	if (lifetime > 604800)
		return hs_fail(c, HS_ALERT_ILLEGAL_PARAMETER, -EPROTO,
			       "ticket lifetime %u", lifetime);
	if (hs_cur_left(&ticket) > sizeof(s->ticket))
		return 0;	/* too large to keep: ignore it */
	memset(s, 0, sizeof(*s));
	s->version = HS_TLS13;
	s->suite = c->suite->id;
	s->peer_authenticated = c->p.peer_authenticated;
	s->received_ms = hs_now(c);
	s->lifetime = lifetime;
	s->age_add = age_add;
	s->secret_len = hs_hash_len(c);
	memcpy(s->ticket, ticket.p, hs_cur_left(&ticket));
	s->ticket_len = hs_cur_left(&ticket);
	if (c->cfg.server_name)
		snprintf(s->server_name, sizeof(s->server_name), "%s",
			 c->cfg.server_name);
	/* the PSK: HKDF-Expand-Label(resumption_master_secret, "resumption", nonce) */
	err = hs13_expand_label(c, c->resumption_master, "resumption", nonce.p,
				hs_cur_left(&nonce), s->secret, s->secret_len);
	if (err)
		return hs_fail(c, HS_ALERT_INTERNAL_ERROR, err, "ticket PSK");
	c->have_session = lifetime > 0;
	return 0;
}

/* RFC 8446 4.6.3 */
static int key_update(struct hs_conn *c, struct hs_cur *b)
{
	uint8_t req;
	int err;

	if (hs_cur_u8(b, &req) || hs_cur_end(b))
		return hs_fail(c, HS_ALERT_DECODE_ERROR, -EBADMSG,
			       "malformed KeyUpdate");
	if (req > 1)
		return hs_fail(c, HS_ALERT_ILLEGAL_PARAMETER, -EPROTO,
			       "KeyUpdate request_update %u", req);
	err = hs13_next_secret(c, &c->rx);
	if (err)
		return hs_fail(c, HS_ALERT_INTERNAL_ERROR, err, "KeyUpdate failed");
	c->keyupdates_rx++;
	/* answered once the input at hand is read (answer_key_update) */
	if (req)
		c->key_update_pending = true;
	return 0;
}

static int one_message(struct hs_conn *c, uint8_t type, struct hs_cur *b)
{
	if (hs_is13(c)) {
		int err = hs_count_control(c);

		if (err)
			return err;
		switch (type) {
		case HS_MT_NEW_SESSION_TICKET:
			return new_session_ticket13(c, b);
		case HS_MT_KEY_UPDATE:
			return key_update(c, b);
		default:
			/* post-handshake client auth is not offered */
			return hs_fail(c, HS_ALERT_UNEXPECTED_MESSAGE, -EPROTO,
				       "post-handshake message %u", type);
		}
	}
	/*
	 * RFC 5746 4.2/4.4: renegotiation is refused, here with a fatal
	 * no_renegotiation: a warning per request would answer a record of
	 * HelloRequests with eight times its size in alerts.
	 */
	if ((type == HS_MT_HELLO_REQUEST && c->role == HS_CLIENT) ||
	    (type == HS_MT_CLIENT_HELLO && c->role == HS_SERVER))
		return hs_fail(c, HS_ALERT_NO_RENEGOTIATION, -EPROTO,
			       "renegotiation refused");
	return hs_fail(c, HS_ALERT_UNEXPECTED_MESSAGE, -EPROTO,
		       "handshake message %u after the handshake", type);
}

static int post_message(struct hs_conn *c, const uint8_t *msg, size_t len)
{
	struct hs_cur b = hs_cur_init(msg + 4, len - 4);

	return one_message(c, msg[0], &b);
}

int hs_post_handshake(struct hs_conn *c, const uint8_t *p, size_t n)
{
	uint64_t ku = c->keyupdates_rx;
	int err = hs_reassemble(c, p, n, post_message);

	if (!err)
		err = answer_key_update(c);
	if (err)
		return err;
	return c->keyupdates_rx != ku ? HS_POST_KEY_UPDATE : 0;
}

/*
 * The next record from @in at @off: straight from @in into @out when it is
 * there whole and its plaintext fits (@direct: no copy into c->rec, none
 * out of it, nothing to wipe there), else gathered in c->rec and opened in
 * place. 1: a record was opened (or failed to), 0: need more input.
 */
static int next_record(struct hs_conn *c, const uint8_t *in, size_t len,
		       size_t *off, uint8_t *out, size_t cap, bool *direct,
		       uint8_t *type, uint8_t **p, size_t *n, int *err)
{
	size_t rl = 0;
	int r;

	*direct = false;
	if (!c->rec_len && c->rx.aead && len - *off >= HS_RECORD_HEADER) {
		rl = (size_t)in[*off + 3] << 8 | in[*off + 4];
		*direct = len - *off - HS_RECORD_HEADER >= rl && cap >= rl &&
			  rl >= HSD_AEAD_TAG_LEN;
	}
	if (*direct) {
		r = hs_record_header(c, in + *off);
		if (r)
			return r;
		*err = hs_open_to(&c->rx, in + *off, HS_RECORD_HEADER + rl,
				  out, type, n);
		*off += HS_RECORD_HEADER + rl;
		*p = out;
		if (*err) {
			hsd_wipe(out, rl);
			*n = 0;
		}
		return 1;
	}
	r = hs_take_record(c, in, len, off);
	if (r > 0)
		*err = hs_open(&c->rx, c->rec, c->rec_len, type, p, n);
	return r;
}

int hs_app_read(struct hs_conn *c, const uint8_t *in, size_t len,
		size_t *used, uint8_t *out, size_t cap, size_t *outlen)
{
	size_t off = 0, n = 0;
	uint8_t type = 0, *p = NULL;
	bool direct;
	int err = 0, r;

	*outlen = 0;
	if (!c->done)
		return c->err ? c->err : -EAGAIN;
	while (!c->err && !c->closed && !*outlen && off < len) {
		r = next_record(c, in, len, &off, out, cap, &direct, &type,
				&p, &n, &err);
		if (r <= 0) {
			err = r;
			break;
		}
		if (err)
			err = hs_fail_open(c, err);
		else if (type == HS_CT_APPLICATION_DATA && n > cap)
			err = -ENOBUFS;
		else if (type == HS_CT_APPLICATION_DATA) {
			/* a handshake message may not be split around data */
			if (c->hmsg_len)
				err = hs_fail(c, HS_ALERT_UNEXPECTED_MESSAGE,
					      -EPROTO, "data inside a message");
			else if (!n)
				err = hs_count_control(c);
			else {
				if (!direct)
					memcpy(out, p, n);
				*outlen = n;
				c->control_in_a_row = 0;
			}
		} else if (type == HS_CT_ALERT)
			err = hs_handle_alert(c, p, n);
		else if (type == HS_CT_HANDSHAKE)
			err = hs_reassemble(c, p, n, post_message);
		else
			err = hs_fail(c, HS_ALERT_UNEXPECTED_MESSAGE, -EPROTO,
				      "record type %u after the handshake", type);
		if (direct && !*outlen)
			hsd_wipe(out, n);	/* control content, not the caller's */
		if (!direct) {
			hsd_wipe(c->rec, c->rec_len);
			c->rec_len = 0;
		}
	}
	if (used)
		*used = off;
	if (!err)
		err = answer_key_update(c);
	if (c->err)
		return c->err;
	return err < 0 ? err : 0;
}

int hs_get_session(const struct hs_conn *c, struct hs_session *out)
{
	if (!c->have_session)
		return -ENOENT;
	*out = *c->session;
	return 0;
}

int hs_handle_alert_public(struct hs_conn *c, const uint8_t *p, size_t n)
{
	return hs_handle_alert(c, p, n);
}

uint64_t hs_keyupdates_rx(const struct hs_conn *c)
{
	return c->keyupdates_rx;
}

size_t hs_tx_max_plaintext(const struct hs_conn *c)
{
	return c->tx.max_plaintext;
}

size_t hs_rx_partial_need(const struct hs_conn *c)
{
	if (!c->rec_len)
		return 0;
	if (c->rec_len < HS_RECORD_HEADER)
		return HS_RECORD_HEADER - c->rec_len;
	return HS_RECORD_HEADER + ((size_t)c->rec[3] << 8 | c->rec[4]) -
	       c->rec_len;
}
