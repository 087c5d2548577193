// SPDX-License-Identifier: GPL-2.0
/*
 * What the engine sends: the transcript of the handshake messages, and
 * the output buffer where messages are sealed into records (at most the
 * peer's record_size_limit each, RFC 8449 4) for the caller to write.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handshaked/tls/internal.h"
#include "handshaked/util.h"

#define HS_OUT_MAX (256 * 1024)
#define HS_TH_MAX (3 * HS_MAX_HANDSHAKE)

/* ---- transcript ---- */
int hs_transcript_add(struct hs_conn *c, const uint8_t *p, size_t n)
{
	if (hs_grow(&c->th_buf, &c->th_cap, c->th_buf_len, c->th_buf_len + n,
		    HS_TH_MAX))
		return hs_fail(c, HS_ALERT_INTERNAL_ERROR, -ENOSPC,
			       "handshake transcript too large");
	memcpy(c->th_buf + c->th_buf_len, p, n);
	c->th_buf_len += n;
	if (c->th && hsd_hash_update(c->th, p, n))
		return hs_fail(c, HS_ALERT_INTERNAL_ERROR, -EIO, "hash failed");
	return 0;
}

/* Fix the transcript hash once the suite is known; hashes what is buffered. */
int hs_transcript_set_hash(struct hs_conn *c, enum hsd_hash_id h)
{
	if (c->th && c->th_hash == h)
		return 0;
	hsd_hash_free(c->th);
	c->th = NULL;
	c->th_hash = h;
	if (hsd_hash_new(c->cr, h, &c->th) ||
	    hsd_hash_update(c->th, c->th_buf, c->th_buf_len))
		return hs_fail(c, HS_ALERT_INTERNAL_ERROR, -EIO, "hash failed");
	return 0;
}

int hs_transcript_hash(struct hs_conn *c, uint8_t *out)
{
	if (!c->th || hsd_hash_peek(c->th, out))
		return hs_fail(c, HS_ALERT_INTERNAL_ERROR, -EIO, "hash failed");
	return 0;
}

/* ---- output ---- */
static int out_reserve(struct hs_conn *c, size_t n)
{
	size_t cap = c->out_cap;
	uint8_t *p;

	if (c->out_off && c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (c->out_len + n <= cap)
		return 0;
	if (c->out_off) {
		/* what was sent makes room before the buffer grows */
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
		if (c->out_len + n <= cap)
			return 0;
	}
	if (c->out_len + n > HS_OUT_MAX)
		return -ENOBUFS;
	if (!cap)
		cap = 4096;	/* shed since the handshake (hs_conn_shed) */
	while (cap < c->out_len + n)
		cap *= 2;
	if (cap > HS_OUT_MAX)
		cap = HS_OUT_MAX;
	p = realloc(c->out, cap);
	if (!p)
		return -ENOMEM;
	c->out = p;
	c->out_cap = cap;
	return 0;
}

/* bytes of records that can still be queued before hs_output() drains */
size_t hs_out_room(const struct hs_conn *c)
{
	return HS_OUT_MAX - (c->out_len - c->out_off);
}

/* Seal @n bytes of @type into records of at most the peer's limit. */
/*
 * RFC 8449 4: a record carries at most the receiver's record_size_limit,
 * which in TLS 1.3 counts the inner content type byte. The peer's bounds
 * what we send; ours bounds what we accept once the peer answered it
 * (a server answers only a client's, so both then sent one).
 */
void hs_apply_record_limits(struct hs_conn *c)
{
	size_t type = hs_is13(c) ? 1 : 0, m;

	if (!c->p.peer_record_size_limit)
		return;
	m = c->p.peer_record_size_limit - type;
	c->tx.max_plaintext = m < HS_MAX_PLAINTEXT ? m : HS_MAX_PLAINTEXT;
	if (c->cfg.record_size_limit) {
		m = c->cfg.record_size_limit - type;
		c->rx.max_plaintext = m < HS_MAX_PLAINTEXT ? m : HS_MAX_PLAINTEXT;
	}
}

static int seal_queue(struct hs_conn *c, uint8_t type, const uint8_t *p,
		      size_t n)
{
	size_t chunk, len;
	int err;

	do {
		chunk = n < c->tx.max_plaintext ? n : c->tx.max_plaintext;
		err = out_reserve(c, hs_seal_len(&c->tx, chunk));
		if (err)
			return err;
		err = hs_seal(&c->tx, type, p, chunk, c->out + c->out_len, &len);
		if (err)
			return err;
		c->out_len += len;
		p += chunk;
		n -= chunk;
	} while (n);
	return 0;
}

int hs_flush_pending(struct hs_conn *c)
{
	size_t n = c->pend_len;

	if (!n)
		return 0;
	c->pend_len = 0;
	return seal_queue(c, HS_CT_HANDSHAKE, c->pend, n);
}

/* whatever is queued goes after the pending handshake messages */
int hs_queue_record(struct hs_conn *c, uint8_t type, const uint8_t *p,
		    size_t n)
{
	int err = hs_flush_pending(c);

	return err ? err : seal_queue(c, type, p, n);
}

/*
 * A protected handshake message joins the pending record while it fits
 * (RFC 8446 5.1 lets messages share records; they may not span a key
 * change, which flushes: hs_dir_set()). Plaintext ones (a ClientHello,
 * whose record may say TLS 1.0) and ones larger than a record go as
 * before.
 */
int hs_queue_handshake(struct hs_conn *c, const uint8_t *p, size_t n)
{
	size_t max = c->tx.max_plaintext;
	int err;

	if (!c->tx.aead || n > max)
		return hs_queue_record(c, HS_CT_HANDSHAKE, p, n);
	if (c->pend_len + n > max) {
		err = hs_flush_pending(c);
		if (err)
			return err;
	}
	if (!c->pend) {
		c->pend = malloc(HS_MAX_PLAINTEXT);
		if (!c->pend)
			return -ENOMEM;
	}
	memcpy(c->pend + c->pend_len, p, n);
	c->pend_len += n;
	return 0;
}

/* RFC 8446 D.4: the compatibility ChangeCipherSpec is never protected. */
int hs_queue_plain_ccs(struct hs_conn *c)
{
	static const uint8_t ccs[6] = { HS_CT_CHANGE_CIPHER_SPEC, 3, 3, 0, 1, 1 };
	int err = hs_flush_pending(c);

	if (!err)
		err = out_reserve(c, sizeof(ccs));
	if (err)
		return err;
	memcpy(c->out + c->out_len, ccs, sizeof(ccs));
	c->out_len += sizeof(ccs);
	return 0;
}

size_t hs_output(struct hs_conn *c, const uint8_t **p)
{
	if (!c->out) {
		*p = NULL;
		return 0;
	}
	*p = c->out + c->out_off;
	return c->out_len - c->out_off;
}

void hs_output_consumed(struct hs_conn *c, size_t n)
{
	if (n > c->out_len - c->out_off)
		n = c->out_len - c->out_off;
	c->out_off += n;
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
}
