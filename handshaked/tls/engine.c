// SPDX-License-Identifier: GPL-2.0
/*
 * Engine core: connection lifetime, errors and alerts, record intake and
 * handshake message reassembly, and the dispatcher that walks the step
 * tables. What goes out: flight.c; ephemeral keys, random bytes and the
 * key log: secrets.c; message contents: the per-message files.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handshaked/tls/hello.h"
#include "handshaked/tls/internal.h"
#include "handshaked/util.h"

/*
 * The post-quantum hybrid first where the libcrypto has ML-KEM (skipped where
 * not): a client sends its share and X25519's, a server takes it when offered
 * and never asks for it by HelloRetryRequest when X25519 was sent instead.
 */
static const uint16_t default_groups[] = {
	HSD_GROUP_X25519MLKEM768, HSD_GROUP_X25519, HSD_GROUP_SECP256R1, HSD_GROUP_SECP384R1,
	HSD_GROUP_SECP521R1, HSD_GROUP_X448, HSD_GROUP_FFDHE2048, HSD_GROUP_FFDHE3072,
};

int hs_conn_new(const struct hs_config *cfg, struct hs_conn **out)
{
	struct hs_conn *c;

	if (!cfg->crypto || (cfg->role != HS_CLIENT && cfg->role != HS_SERVER))
		return -EINVAL;
	/* ALPN: a well-formed ProtocolNameList (RFC 7301 3.1) or none */
	if (cfg->alpn_len) {
		struct hs_cur l = hs_cur_init(cfg->alpn, cfg->alpn_len), n;

		while (hs_cur_left(&l))
			if (hs_cur_vec(&l, 1, 1, &n))
				return -EINVAL;
		if (cfg->alpn_len > 0xfffe)
			return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->h = calloc(1, sizeof(*c->h));
	if (!c->h) {
		free(c);
		return -ENOMEM;
	}
	c->cfg = *cfg;
	c->cr = cfg->crypto;
	c->role = cfg->role;
	if (!c->cfg.min_version)
		c->cfg.min_version = HS_TLS12;
	if (!c->cfg.max_version)
		c->cfg.max_version = HS_TLS13;
	/* only versions some configured suite can run at */
	if (c->cfg.suites) {
		uint16_t lo = 0xffff, hi = 0;
		size_t i;

		for (i = 0; i < c->cfg.n_suites; i++) {
			const struct hs_suite *su = hs_suite_find(c->cfg.suites[i]);

			if (!su)
				continue;
			lo = su->version < lo ? su->version : lo;
			hi = su->version > hi ? su->version : hi;
		}
		if (lo > c->cfg.min_version && lo != 0xffff)
			c->cfg.min_version = lo;
		if (hi && hi < c->cfg.max_version)
			c->cfg.max_version = hi;
		/*
		 * Nothing left to offer (RFC 8446 4.1.2, RFC 5246 7.4.1.2:
		 * cipher_suites has at least one) or to accept: the
		 * configuration is wrong, said here, not by every peer.
		 */
		for (i = 0; i < c->cfg.n_suites; i++)
			if (hs_suite_allowed(c, hs_suite_find(c->cfg.suites[i])))
				break;
		if (i == c->cfg.n_suites) {
			hs_conn_free(c);
			return -EINVAL;
		}
	}
	if (!c->cfg.groups) {
		c->cfg.groups = default_groups;
		c->cfg.n_groups = ARRAY_SIZE(default_groups);
	}
	if (!c->cfg.n_key_shares)
		c->cfg.n_key_shares = 1;
	if (c->role == HS_SERVER && !cfg->tickets_to_send && cfg->ticket_keys)
		c->cfg.tickets_to_send = 1;
	c->psk_index = -1;
	c->shape = SHAPE_13_FULL;
	/*
	 * Buffers start small and grow: a handshake needs a few KiB, and
	 * large fixed buffers would each cost an mmap per connection.
	 */
	c->rec = malloc(HS_RECORD_HEADER + HS_MAX_CIPHERTEXT12);
	c->hmsg_cap = 4096;
	c->hmsg = malloc(c->hmsg_cap);
	c->scratch_cap = 4096 + 4;
	if (cfg->chain) {
		size_t i;

		for (i = 0; i < cfg->chain->n; i++)
			c->scratch_cap += cfg->chain->len[i] + 8;
		if (c->scratch_cap > HS_MAX_HANDSHAKE + 4)
			c->scratch_cap = HS_MAX_HANDSHAKE + 4;
	}
	c->scratch = malloc(c->scratch_cap);
	c->th_cap = 4096;
	c->th_buf = malloc(c->th_cap);
	c->out_cap = 32 * 1024;
	c->out = malloc(c->out_cap);
	if (!c->rec || !c->hmsg || !c->scratch || !c->th_buf || !c->out) {
		hs_conn_free(c);
		return -ENOMEM;
	}
	c->rx.max_plaintext = HS_MAX_PLAINTEXT;
	c->tx.max_plaintext = HS_MAX_PLAINTEXT;
	*out = c;
	return 0;
}

void hs_conn_free(struct hs_conn *c)
{
	size_t i;

	if (!c)
		return;
	hs_dir_clear(&c->rx);
	hs_dir_clear(&c->tx);
	hsd_hash_free(c->th);
	for (i = 0; i < 2; i++)
		hsd_kex_free(c->kex[i]);
	hsd_pkey_free(c->peer_key);
	hsd_cert_chain_clear(&c->peer_chain);
	if (c->th_buf)
		hsd_wipe(c->th_buf, c->th_buf_len);
	if (c->hmsg)
		hsd_wipe(c->hmsg, c->hmsg_len);
	if (c->rec)
		hsd_wipe(c->rec, c->rec_len);
	free(c->th_buf);
	free(c->hmsg);
	free(c->rec);
	if (c->pend)
		hsd_wipe(c->pend, HS_MAX_PLAINTEXT);
	free(c->pend);
	free(c->scratch);
	free(c->out);
	if (c->session) {
		hsd_wipe(c->session, sizeof(*c->session));
		free(c->session);
	}
	if (c->h) {
		/* the shared secret, the early and handshake secrets */
		hsd_wipe(c->h, sizeof(*c->h));
		free(c->h);
	}
	/* every secret in the struct: key schedule, PSK */
	hsd_wipe(c, sizeof(*c));
	free(c);
}

/*
 * After the handshake a connection needs its keys and a few counters,
 * not the buffers the handshake grew: these are freed here and come back
 * on first use (a post-handshake message, an alert), so a server holding
 * many idle connections pays for the state, not for the handshake.
 */
int hs_conn_shed(struct hs_conn *c)
{
	if (!c->done || c->rec_len || c->hmsg_len || c->pend_len ||
	    c->out_len != c->out_off)
		return -EBUSY;
	hsd_hash_free(c->th);
	c->th = NULL;
	hs_kex_reset(c);
	hsd_wipe(c->h, sizeof(*c->h));
	free(c->h);
	c->h = NULL;
	hsd_pkey_free(c->peer_key);
	c->peer_key = NULL;
	/* the transcript's messages: the peer's Certificate among them */
	hsd_wipe(c->th_buf, c->th_buf_len);
	free(c->th_buf);
	free(c->hmsg);
	free(c->rec);
	free(c->pend);
	free(c->scratch);
	free(c->out);
	c->th_buf = c->hmsg = c->rec = c->pend = c->scratch = c->out = NULL;
	c->th_buf_len = c->th_cap = c->hmsg_cap = c->scratch_cap = 0;
	c->out_len = c->out_off = c->out_cap = 0;
	return 0;
}

struct hs_session *hs_session_slot(struct hs_conn *c)
{
	if (!c->session)
		c->session = calloc(1, sizeof(*c->session));
	return c->session;
}

/* ---- errors and alerts ---- */
int hs_fail(struct hs_conn *c, uint8_t alert, int err, const char *fmt, ...)
{
	uint8_t a[2] = { 2, alert };	/* fatal */
	va_list ap;

	if (c->err)
		return c->err;
	c->err = err ? err : -EPROTO;
	c->alert = alert;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	/* RFC 8446 6.2: send the alert under the current write keys */
	hs_queue_record(c, HS_CT_ALERT, a, sizeof(a));
	return c->err;
}

int hs_send_alert(struct hs_conn *c, uint8_t alert)
{
	uint8_t a[2] = { alert == HS_ALERT_CLOSE_NOTIFY ||
			 alert == HS_ALERT_USER_CANCELED ? 1 : 2, alert };

	if (alert == HS_ALERT_CLOSE_NOTIFY) {
		/* RFC 8446 6.2: after a fatal alert, nothing more */
		if (c->err)
			return c->err;
		if (c->sent_close)
			return 0;
		c->sent_close = true;
		return hs_queue_record(c, HS_CT_ALERT, a, sizeof(a));
	}
	return hs_fail(c, alert, -ECANCELED, "local: %s", hs_alert_name(alert));
}

int hs_error(const struct hs_conn *c, uint8_t *alert, bool *received,
	     const char **why)
{
	if (alert)
		*alert = c->alert;
	if (received)
		*received = c->alert_received;
	if (why)
		*why = c->why;
	return c->err;
}

/*
 * Grow a buffer that may hold secrets to at least @need (at most @max):
 * the old copy is wiped, never left to realloc.
 */
int hs_grow(uint8_t **buf, size_t *cap, size_t len, size_t need, size_t max)
{
	size_t n = *cap ? *cap : 4096;	/* 0: shed (hs_conn_shed) */
	uint8_t *p;

	if (need <= *cap)
		return 0;
	if (need > max)
		return -EMSGSIZE;
	while (n < need)
		n *= 2;
	if (n > max)
		n = max;
	p = malloc(n);
	if (!p)
		return -ENOMEM;
	if (len) {
		memcpy(p, *buf, len);
		hsd_wipe(*buf, len);
	}
	free(*buf);
	*buf = p;
	*cap = n;
	return 0;
}

/* ---- the dispatcher ---- */
static const uint8_t *cur_steps(const struct hs_conn *c)
{
	return hs_shapes[c->shape].steps;
}

static bool hrr_shape(enum hs_shape_id shape)
{
	return shape == SHAPE_13_HRR || shape == SHAPE_13_HRR_PSK;
}

/*
 * The one place the handshake's shape is chosen: after each hello the
 * peer sent (@mt), from what it settled: the version, a HelloRetryRequest
 * (just received, or to be sent: hrr_next), a TLS 1.3 PSK (RFC 8446
 * 2.2), a resumed TLS 1.2 session (RFC 5246 7.3 Figure 2). The position
 * moves to the same message in that shape; a ServerHello that was an HRR
 * is the HelloRetryRequest step.
 */
static int choose_shape(struct hs_conn *c, uint8_t mt)
{
	bool psk = c->psk_index >= 0;
	enum hs_shape_id shape;
	enum hs_step_id at;
	const uint8_t *s;
	size_t i;

	if (!hs_is13(c))
		shape = c->resumed12 ? SHAPE_12_RESUMED : SHAPE_12_FULL;
	else if (c->hrr || c->hrr_next)
		shape = psk ? SHAPE_13_HRR_PSK : SHAPE_13_HRR;
	else
		shape = psk ? SHAPE_13_PSK : SHAPE_13_FULL;
	if (mt == HS_MT_CLIENT_HELLO)
		at = c->hrr ? S_CLIENT_HELLO_2 : S_CLIENT_HELLO;
	else
		at = c->hrr && !hrr_shape(c->shape) ? S_HELLO_RETRY_REQUEST :
						       S_SERVER_HELLO;
	s = hs_shapes[shape].steps;
	for (i = 0; s[i] != S_END; i++) {
		if (s[i] == at) {
			c->shape = shape;
			c->pos = i;
			return 0;
		}
	}
	return hs_fail(c, HS_ALERT_INTERNAL_ERROR, -EINVAL,
		       "step %s not in shape %s", hs_steps[at].name,
		       hs_shapes[shape].name);
}

static int send_step(struct hs_conn *c, const struct hs_step *st)
{
	struct hs_buf b = hs_buf_init(c->scratch + 4, c->scratch_cap - 4);
	static const uint8_t ccs = 1;
	bool first_hello;
	size_t n, at;
	int err;

	if (c->cfg.trace)
		c->cfg.trace(c->cfg.trace_arg, true, st->content_type,
			     st->msg_type);
	if (st->msg_type == HS_MT_CCS)
		return hs_queue_record(c, HS_CT_CHANGE_CIPHER_SPEC, &ccs, 1);
	err = st->build(c, &b);
	if (err)
		return err;
	if (b.err)
		return hs_fail(c, HS_ALERT_INTERNAL_ERROR, b.err,
			       "%s does not fit", st->name);
	c->scratch[0] = st->msg_type;
	c->scratch[1] = (uint8_t)(b.len >> 16);
	c->scratch[2] = (uint8_t)(b.len >> 8);
	c->scratch[3] = (uint8_t)b.len;
	n = b.len + 4;
	first_hello = st->msg_type == HS_MT_CLIENT_HELLO && !c->hrr;
	if (first_hello && c->cfg.test && c->cfg.test->client_hello &&
	    c->cfg.test->client_hello_len <= c->scratch_cap) {
		n = c->cfg.test->client_hello_len;
		memcpy(c->scratch, c->cfg.test->client_hello, n);
	}
	err = hs_transcript_add(c, c->scratch, n);
	if (err)
		return err;
	if (c->cfg.test && c->cfg.test->tamper)
		c->cfg.test->tamper(c->cfg.test->arg, c->scratch, &n,
				    c->scratch_cap);
	if (!n)
		return 0;	/* a test held the message back */
	at = c->out_len;
	err = hs_queue_handshake(c, c->scratch, n);
	if (err)
		return hs_fail(c, HS_ALERT_INTERNAL_ERROR, err,
			       "cannot queue %s", st->name);
	/* RFC 8446 5.1: the first ClientHello record may say TLS 1.0 */
	if (first_hello && !c->tx.aead)
		c->out[at + 2] = 1;
	return 0;
}

/* Send every step that is ours, until the peer's turn or the end. */
static int run_steps(struct hs_conn *c)
{
	const struct hs_step *st;
	int err;

	while (!c->err) {
		uint8_t id = cur_steps(c)[c->pos];

		if (id == S_END) {
			c->done = true;
			return 0;
		}
		st = &hs_steps[id];
		if (st->sender != c->role)
			return 0;
		if (st->when && !st->when(c)) {
			c->pos++;
			continue;
		}
		err = send_step(c, st);
		if (!err && st->after)
			err = st->after(c);
		if (err)
			return err;
		c->pos++;
	}
	return c->err;
}

/* our steps until the peer's turn; the flight's last record sealed */
static int run_sends(struct hs_conn *c)
{
	int err = run_steps(c), f;

	f = hs_flush_pending(c);
	if (f && !err)
		err = hs_fail(c, HS_ALERT_INTERNAL_ERROR, f, "cannot seal the flight");
	return err;
}

int hs_start(struct hs_conn *c)
{
	if (c->role != HS_CLIENT || c->pos)
		return -EINVAL;
	return run_sends(c);
}

static int dispatch(struct hs_conn *c, uint8_t ct, uint8_t mt,
		    const uint8_t *body, size_t len, const uint8_t *raw,
		    size_t rawlen)
{
	const struct hs_step *st;
	struct hs_cur cur;
	int err;

	for (;;) {
		uint8_t id = cur_steps(c)[c->pos];

		if (id == S_END)
			return hs_fail(c, HS_ALERT_UNEXPECTED_MESSAGE, -EPROTO,
				       "message %u after the handshake", mt);
		st = &hs_steps[id];
		/* the peer speaks while it is our turn */
		if (st->sender == c->role)
			return hs_fail(c, HS_ALERT_UNEXPECTED_MESSAGE, -EPROTO,
				       "handshake message %u before our %s",
				       mt, st->name);
		if (st->when && !st->when(c)) {
			c->pos++;
			continue;
		}
		if (st->content_type == ct && st->msg_type == mt)
			break;
		if (st->flags & HS_STEP_OPTIONAL) {
			c->pos++;
			continue;
		}
		/* RFC 8446 4 / RFC 5246 7.4: out-of-order messages */
		return hs_fail(c, HS_ALERT_UNEXPECTED_MESSAGE, -EPROTO,
			       "handshake message %u where %s was expected",
			       mt, st->name);
	}
	if (c->cfg.trace)
		c->cfg.trace(c->cfg.trace_arg, false, ct, mt);
	cur = hs_cur_init(body, len);
	err = st->parse(c, &cur);
	if (err)
		return err;
	/* a hello settles the handshake's shape (and what it was: an HRR) */
	if (ct == HS_CT_HANDSHAKE &&
	    (mt == HS_MT_CLIENT_HELLO || mt == HS_MT_SERVER_HELLO)) {
		err = choose_shape(c, mt);
		if (err)
			return err;
	}
	st = &hs_steps[cur_steps(c)[c->pos]];
	if (raw) {
		err = hs_transcript_add(c, raw, rawlen);
		if (err)
			return err;
	}
	if (st->after) {
		err = st->after(c);
		if (err)
			return err;
	}
	c->pos++;
	return run_sends(c);
}

/*
 * Append a handshake record's fragment and hand each complete message to
 * @one (the handshake's dispatcher, or the post-handshake handler), until
 * the handshake is done. Messages may span records and records may hold
 * several; a key change must fall on a record boundary (RFC 8446 5.1).
 */
int hs_reassemble(struct hs_conn *c, const uint8_t *p, size_t n,
		  int (*one)(struct hs_conn *c, const uint8_t *msg, size_t len))
{
	size_t off = 0;
	uint32_t mlen;
	bool during = !c->done;
	int err;

	/* RFC 8446 5.1: zero-length handshake fragments are forbidden */
	if (!n)
		return hs_fail(c, HS_ALERT_UNEXPECTED_MESSAGE, -EPROTO,
			       "empty handshake record");
	if (hs_grow(&c->hmsg, &c->hmsg_cap, c->hmsg_len, c->hmsg_len + n,
		    HS_MAX_HANDSHAKE + 4))
		return hs_fail(c, HS_ALERT_UNEXPECTED_MESSAGE, -EMSGSIZE,
			       "handshake message too large");
	memcpy(c->hmsg + c->hmsg_len, p, n);
	c->hmsg_len += n;
	while (c->hmsg_len - off >= 4 && !(during && c->done)) {
		uint32_t epoch = c->rx.epoch;

		mlen = (uint32_t)c->hmsg[off + 1] << 16 |
		       (uint32_t)c->hmsg[off + 2] << 8 | c->hmsg[off + 3];
		if (mlen > HS_MAX_HANDSHAKE)
			return hs_fail(c, HS_ALERT_DECODE_ERROR, -EMSGSIZE,
				       "handshake message of %u bytes", mlen);
		if (c->hmsg_len - off < 4 + mlen)
			break;
		err = one(c, c->hmsg + off, 4 + mlen);
		/* sticky: a callback's error without an alert gets one */
		if (err)
			return hs_fail(c, HS_ALERT_INTERNAL_ERROR, err,
				       "message %u failed (%s)", c->hmsg[off],
				       strerror(-err));
		off += 4 + mlen;
		if (c->rx.epoch != epoch && off != c->hmsg_len)
			return hs_fail(c, HS_ALERT_UNEXPECTED_MESSAGE, -EPROTO,
				       "handshake data across a key change");
	}
	if (during && c->done && off != c->hmsg_len)
		return hs_fail(c, HS_ALERT_UNEXPECTED_MESSAGE, -EPROTO,
			       "handshake data after Finished");
	memmove(c->hmsg, c->hmsg + off, c->hmsg_len - off);
	c->hmsg_len -= off;
	return 0;
}

static int dispatch_message(struct hs_conn *c, const uint8_t *msg, size_t len)
{
	return dispatch(c, HS_CT_HANDSHAKE, msg[0], msg + 4, len - 4, msg, len);
}

static int handle_handshake(struct hs_conn *c, const uint8_t *p, size_t n)
{
	return hs_reassemble(c, p, n, dispatch_message);
}

int hs_count_control(struct hs_conn *c)
{
	/*
	 * Records that carry no data (empty ones, warnings, tickets, key
	 * updates) each cost work and produce nothing: a peer sending them
	 * without end would keep a connection busy forever.
	 */
	if (++c->control_in_a_row > HS_MAX_CONTROL_IN_A_ROW)
		return hs_fail(c, HS_ALERT_UNEXPECTED_MESSAGE, -EPROTO,
			       "%u records in a row without data",
			       c->control_in_a_row);
	return 0;
}

void hs_app_data_received(struct hs_conn *c)
{
	c->control_in_a_row = 0;
}

int hs_handle_alert(struct hs_conn *c, const uint8_t *p, size_t n)
{
	/* RFC 8446 5.1: zero-length alert fragments MUST NOT be sent */
	if (!n)
		return hs_fail(c, HS_ALERT_UNEXPECTED_MESSAGE, -EPROTO,
			       "empty alert record");
	if (n != 2)
		return hs_fail(c, HS_ALERT_DECODE_ERROR, -EBADMSG,
			       "alert of %zu bytes", n);
	/*
	 * RFC 5746 4.5: in TLS 1.2 a refused renegotiation is a warning; RFC
	 * 8446 6: in TLS 1.3 every alert but close_notify is an error.
	 */
	if (p[0] == 1 && p[1] == HS_ALERT_NO_RENEGOTIATION &&
	    c->p.version == HS_TLS12)
		return hs_count_control(c);
	if (p[1] == HS_ALERT_CLOSE_NOTIFY) {
		c->closed = true;
		if (!c->done) {
			c->err = -ECONNRESET;
			c->alert = p[1];
			c->alert_received = true;
			snprintf(c->why, sizeof(c->why),
				 "peer closed during the handshake");
		}
		return c->err;
	}
	/* RFC 8446 6.2: every other alert ends the connection */
	c->err = hs_alert_errno(p[1]);
	c->alert = p[1];
	c->alert_received = true;
	snprintf(c->why, sizeof(c->why), "peer sent %s", hs_alert_name(p[1]));
	return c->err;
}

static int handle_record(struct hs_conn *c)
{
	uint8_t type, *p;
	size_t n;
	int err;

	type = c->rec[0];
	if (type == HS_CT_CHANGE_CIPHER_SPEC) {
		size_t blen = c->rec_len - HS_RECORD_HEADER;
		const uint8_t *b = c->rec + HS_RECORD_HEADER;

		if (blen != 1 || b[0] != 1)
			return hs_fail(c, HS_ALERT_UNEXPECTED_MESSAGE, -EPROTO,
				       "malformed ChangeCipherSpec");
		/* RFC 5246 7.1, RFC 8446 5: never inside a handshake message */
		if (c->hmsg_len)
			return hs_fail(c, HS_ALERT_UNEXPECTED_MESSAGE, -EPROTO,
				       "ChangeCipherSpec inside a handshake message");
		/*
		 * RFC 8446 5: in TLS 1.3 a ChangeCipherSpec of one byte 0x01
		 * before the peer's Finished is dropped (middlebox
		 * compatibility). TLS 1.2 has it as a handshake step.
		 */
		if (c->p.version == HS_TLS12)
			return dispatch(c, HS_CT_CHANGE_CIPHER_SPEC, HS_MT_CCS,
					b, 1, NULL, 0);
		if (c->role == HS_SERVER && c->pos == 0)
			return hs_fail(c, HS_ALERT_UNEXPECTED_MESSAGE, -EPROTO,
				       "ChangeCipherSpec before ClientHello");
		/* D.4: one compatibility CCS; a second one is no one's */
		if (c->ccs_dropped)
			return hs_fail(c, HS_ALERT_UNEXPECTED_MESSAGE, -EPROTO,
				       "second ChangeCipherSpec");
		c->ccs_dropped = true;
		return 0;
	}
	/*
	 * RFC 8446 5.2: protected records say application_data outside. An
	 * alert in the clear while our keys are on comes from a peer that
	 * failed before it had its keys (a client refusing the ServerHello):
	 * an alert all the same.
	 */
	if (type == HS_CT_ALERT && c->rx.aead && c->rx.version == HS_TLS13 &&
	    !c->done)
		return hs_handle_alert(c, c->rec + HS_RECORD_HEADER,
				       c->rec_len - HS_RECORD_HEADER);
	err = hs_open(&c->rx, c->rec, c->rec_len, &type, &p, &n);
	if (err)
		return hs_fail_open(c, err);
	switch (type) {
	case HS_CT_HANDSHAKE:
		return handle_handshake(c, p, n);
	case HS_CT_ALERT:
		return hs_handle_alert(c, p, n);
	case HS_CT_CHANGE_CIPHER_SPEC:
		return hs_fail(c, HS_ALERT_UNEXPECTED_MESSAGE, -EPROTO,
			       "encrypted ChangeCipherSpec");
	default:
		return hs_fail(c, HS_ALERT_UNEXPECTED_MESSAGE, -EPROTO,
			       "record type %u during the handshake", type);
	}
}

/*
 * The alert for a protected record that does not open (RFC 8446 5.2, RFC
 * 5246 6.2.3): one mapping for the handshake and for application data.
 */
int hs_fail_open(struct hs_conn *c, int err)
{
	if (err == -EBADMSG)
		return hs_fail(c, HS_ALERT_BAD_RECORD_MAC, err,
			       "record does not authenticate");
	if (err == -EMSGSIZE)
		return hs_fail(c, HS_ALERT_RECORD_OVERFLOW, err,
			       "record too large");
	return hs_fail(c, HS_ALERT_UNEXPECTED_MESSAGE, err,
		       "malformed protected record");
}

/*
 * Move bytes from @in into the record buffer. Returns 1 when a whole record
 * is there, 0 when more input is needed, or a negative error (already
 * failed with an alert). *off advances by what was taken.
 */
/* RFC 5246 6.2.1, 6.2.3: what a record header may say, before its body */
int hs_record_header(struct hs_conn *c, const uint8_t hdr[HS_RECORD_HEADER])
{
	size_t rl = (size_t)hdr[3] << 8 | hdr[4];

	if (hdr[0] < HS_CT_CHANGE_CIPHER_SPEC || hdr[0] > HS_CT_APPLICATION_DATA)
		return hs_fail(c, HS_ALERT_UNEXPECTED_MESSAGE, -EPROTO,
			       "not a TLS record (type %u)", hdr[0]);
	if (rl > HS_MAX_CIPHERTEXT12)
		return hs_fail(c, HS_ALERT_RECORD_OVERFLOW, -EMSGSIZE,
			       "record of %zu bytes", rl);
	return 0;
}

int hs_take_record(struct hs_conn *c, const uint8_t *in, size_t len,
		   size_t *off)
{
	size_t want, take, had;

	for (;;) {
		want = HS_RECORD_HEADER;
		if (c->rec_len >= HS_RECORD_HEADER)
			want += (size_t)c->rec[3] << 8 | c->rec[4];
		/* complete, including records of length 0 */
		if (c->rec_len >= HS_RECORD_HEADER && c->rec_len == want)
			return 1;
		if (*off >= len)
			return 0;
		take = want - c->rec_len;
		if (take > len - *off)
			take = len - *off;
		if (!c->rec) {	/* shed since the handshake */
			c->rec = malloc(HS_RECORD_HEADER + HS_MAX_CIPHERTEXT12);
			if (!c->rec)
				return -ENOMEM;
		}
		had = c->rec_len;
		memcpy(c->rec + c->rec_len, in + *off, take);
		c->rec_len += take;
		*off += take;
		if (had < HS_RECORD_HEADER && c->rec_len == HS_RECORD_HEADER) {
			int err = hs_record_header(c, c->rec);

			if (err)
				return err;
		}
	}
}

int hs_input(struct hs_conn *c, const uint8_t *in, size_t len, size_t *used)
{
	size_t off = 0;
	int err = 0;

	while (!c->err && !c->done && off < len) {
		err = hs_take_record(c, in, len, &off);
		if (err <= 0)
			break;
		err = handle_record(c);
		hsd_wipe(c->rec, c->rec_len);
		c->rec_len = 0;
	}
	if (used)
		*used = off;
	if (c->err)
		return c->err;
	return err < 0 ? err : 0;
}

bool hs_is_done(const struct hs_conn *c)
{
	return c->done && !c->err;
}

const struct hs_params *hs_params(const struct hs_conn *c)
{
	return &c->p;
}

int hs_peer_certificate(const struct hs_conn *c, const uint8_t **der,
			size_t *len)
{
	if (!c->peer_chain.n)
		return -ENOENT;
	*der = c->peer_chain.der[0];
	*len = c->peer_chain.len[0];
	return 0;
}

int hs_traffic(const struct hs_conn *c, bool tx, struct hs_traffic *out)
{
	const struct hs_dir *d = tx ? &c->tx : &c->rx;

	if (!c->done || !d->aead)
		return -EAGAIN;
	memset(out, 0, sizeof(*out));
	out->version = d->version;
	out->aead = d->desc;
	memcpy(out->key, d->key, sizeof(out->key));
	memcpy(out->iv, d->iv, sizeof(out->iv));
	out->seq = d->seq;
	if (d->version == HS_TLS13) {
		out->secret_len = hs_hash_len(c);
		memcpy(out->secret, d->secret, out->secret_len);
	}
	return 0;
}

size_t hs_hash_len(const struct hs_conn *c)
{
	return hsd_hash_len(c->suite ? c->suite->hash : HSD_SHA256);
}

bool hs_is13(const struct hs_conn *c)
{
	return c->p.version == HS_TLS13;
}
