// SPDX-License-Identifier: GPL-2.0
/* TLS 1.3 key schedule (RFC 8446 7.1-7.3). */
#include <errno.h>
#include <string.h>

#include "handshaked/tls/internal.h"

/* The key schedule hash: the suite's, or a PSK's while computing binders. */
static enum hsd_hash_id hash_of(const struct hs_conn *c)
{
	return c->ks_hash;
}

static size_t hl_of(const struct hs_conn *c)
{
	return hsd_hash_len(c->ks_hash);
}

/* RFC 8446 7.1: HKDF-Expand-Label with HkdfLabel = len, "tls13 "+label, ctx */
int hs13_expand_label(struct hs_conn *c, const uint8_t *secret,
		      const char *label, const uint8_t *ctx, size_t ctxlen,
		      uint8_t *out, size_t outlen)
{
	uint8_t info[2 + 1 + 255 + 1 + 255];
	struct hs_buf b = hs_buf_init(info, sizeof(info));
	struct hs_vec_mark m;

	hs_put_u16(&b, (uint16_t)outlen);
	m = hs_vec_open(&b, 1);
	hs_put_bytes(&b, "tls13 ", 6);
	hs_put_bytes(&b, label, strlen(label));
	hs_vec_close(&b, m);
	hs_put_vec(&b, 1, ctx, ctxlen);
	if (b.err)
		return -EINVAL;
	return hsd_hkdf_expand(c->cr, hash_of(c), secret, info, b.len, out,
			       outlen);
}

/* Derive-Secret(secret, label, Transcript-Hash(messages)) */
static int derive_secret(struct hs_conn *c, const uint8_t *secret,
			 const char *label, const uint8_t *th, uint8_t *out)
{
	return hs13_expand_label(c, secret, label, th, hl_of(c), out,
				 hl_of(c));
}

static int empty_hash(struct hs_conn *c, uint8_t *out)
{
	return hsd_hash(c->cr, hash_of(c), "", 0, out);
}

int hs13_derive_early(struct hs_conn *c, const uint8_t *psk, size_t psklen)
{
	uint8_t zeros[HSD_HASH_MAX] = { 0 };
	size_t hl = hl_of(c);

	/* no PSK: IKM is HashLen zeros */
	return hsd_hkdf_extract(c->cr, hash_of(c), NULL, 0, psk ? psk : zeros,
				psk ? psklen : hl, c->h->early_secret);
}

int hs13_binder_key(struct hs_conn *c, const uint8_t *psk, size_t psklen,
		    bool external, uint8_t *out)
{
	uint8_t eh[HSD_HASH_MAX];
	int err;

	err = hs13_derive_early(c, psk, psklen);
	if (!err)
		err = empty_hash(c, eh);
	if (!err)
		err = derive_secret(c, c->h->early_secret,
				    external ? "ext binder" : "res binder", eh,
				    out);
	return err;
}

int hs13_set_traffic(struct hs_conn *c, struct hs_dir *d,
		     const uint8_t *secret)
{
	const struct hsd_aead_desc *a = hsd_aead_desc(c->suite->aead);
	uint8_t key[HSD_AEAD_KEY_MAX], iv[HSD_AEAD_NONCE_LEN];
	int err;

	err = hs13_expand_label(c, secret, "key", NULL, 0, key, a->key_len);
	if (!err)
		err = hs13_expand_label(c, secret, "iv", NULL, 0, iv, sizeof(iv));
	if (!err)
		err = hs_dir_set(c, d, HS_TLS13, a, key, iv);
	if (!err)
		memcpy(d->secret, secret, hl_of(c));
	hsd_wipe(key, sizeof(key));
	hsd_wipe(iv, sizeof(iv));
	return err;
}

int hs13_derive_handshake(struct hs_conn *c)
{
	uint8_t eh[HSD_HASH_MAX], derived[HSD_HASH_MAX], th[HSD_HASH_MAX];
	uint8_t zeros[HSD_HASH_MAX] = { 0 };
	size_t hl = hl_of(c);
	int err;

	/* early secret: already from the PSK, else from zeros */
	if (c->psk_index < 0)
		err = hs13_derive_early(c, NULL, 0);
	else
		err = hs13_derive_early(c, c->psk.key, c->psk.key_len);
	if (!err)
		err = empty_hash(c, eh);
	if (!err)
		err = derive_secret(c, c->h->early_secret, "derived", eh, derived);
	/* psk_ke: no (EC)DHE, the IKM is zeros */
	if (!err)
		err = hsd_hkdf_extract(c->cr, hash_of(c), derived, hl,
				       c->h->shared_len ? c->h->shared : zeros,
				       c->h->shared_len ? c->h->shared_len : hl,
				       c->h->handshake_secret);
	if (!err)
		err = hs_transcript_hash(c, th);
	if (!err)
		err = derive_secret(c, c->h->handshake_secret, "c hs traffic", th,
				    c->h->c_hs);
	if (!err)
		err = derive_secret(c, c->h->handshake_secret, "s hs traffic", th,
				    c->h->s_hs);
	hsd_wipe(derived, sizeof(derived));
	hsd_wipe(c->h->shared, sizeof(c->h->shared));
	if (err)
		return hs_fail(c, HS_ALERT_INTERNAL_ERROR, err,
			       "handshake key schedule failed");
	hs_keylog(c, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", c->h->c_hs, hl);
	hs_keylog(c, "SERVER_HANDSHAKE_TRAFFIC_SECRET", c->h->s_hs, hl);
	err = hs13_set_traffic(c, &c->tx, c->role == HS_CLIENT ? c->h->c_hs : c->h->s_hs);
	if (!err)
		err = hs13_set_traffic(c, &c->rx,
				       c->role == HS_CLIENT ? c->h->s_hs : c->h->c_hs);
	if (err)
		return hs_fail(c, HS_ALERT_INTERNAL_ERROR, err,
			       "cannot install handshake keys");
	return 0;
}

/* After the server Finished: master secret, application traffic secrets. */
int hs13_derive_application(struct hs_conn *c)
{
	uint8_t eh[HSD_HASH_MAX], derived[HSD_HASH_MAX], th[HSD_HASH_MAX];
	uint8_t zeros[HSD_HASH_MAX] = { 0 };
	size_t hl = hl_of(c);
	int err;

	err = empty_hash(c, eh);
	if (!err)
		err = derive_secret(c, c->h->handshake_secret, "derived", eh,
				    derived);
	if (!err)
		err = hsd_hkdf_extract(c->cr, hash_of(c), derived, hl, zeros, hl,
				       c->master_secret);
	if (!err)
		err = hs_transcript_hash(c, th);
	if (!err)
		err = derive_secret(c, c->master_secret, "c ap traffic", th,
				    c->c_ap);
	if (!err)
		err = derive_secret(c, c->master_secret, "s ap traffic", th,
				    c->s_ap);
	if (!err)
		err = derive_secret(c, c->master_secret, "exp master", th,
				    c->exporter_master);
	hsd_wipe(derived, sizeof(derived));
	if (err)
		return hs_fail(c, HS_ALERT_INTERNAL_ERROR, err,
			       "application key schedule failed");
	hs_keylog(c, "CLIENT_TRAFFIC_SECRET_0", c->c_ap, hl);
	hs_keylog(c, "SERVER_TRAFFIC_SECRET_0", c->s_ap, hl);
	hs_keylog(c, "EXPORTER_SECRET", c->exporter_master, hl);
	return 0;
}

int hs13_derive_resumption(struct hs_conn *c)
{
	uint8_t th[HSD_HASH_MAX];
	int err;

	err = hs_transcript_hash(c, th);
	if (!err)
		err = derive_secret(c, c->master_secret, "res master", th,
				    c->resumption_master);
	return err;
}

/*
 * RFC 8446 4.6.1 (note): a server that did not request a client certificate
 * knows the rest of the transcript, the client's Finished, before it arrives,
 * and may derive resumption_master_secret with its own Finished.
 */
int hs13_derive_resumption_early(struct hs_conn *c)
{
	uint8_t th[HSD_HASH_MAX], fin[4 + HSD_HASH_MAX];
	size_t hl = hl_of(c);
	int err;

	err = hs_transcript_hash(c, th);
	if (!err)
		err = hs13_finished(c, c->h->c_hs, th, fin + 4);
	fin[0] = HS_MT_FINISHED;
	fin[1] = 0;
	fin[2] = 0;
	fin[3] = (uint8_t)hl;
	if (!err && hsd_hash_peek_with(c->th, fin, 4 + hl, th))
		err = -EIO;
	hsd_wipe(fin, sizeof(fin));
	if (!err)
		err = derive_secret(c, c->master_secret, "res master", th,
				    c->resumption_master);
	return err;
}

/* RFC 8446 4.4.4: verify_data = HMAC(finished_key, Transcript-Hash) */
int hs13_finished(struct hs_conn *c, const uint8_t *base, const uint8_t *th,
		  uint8_t *out)
{
	uint8_t fk[HSD_HASH_MAX];
	size_t hl = hl_of(c);
	int err;

	err = hs13_expand_label(c, base, "finished", NULL, 0, fk, hl);
	if (!err)
		err = hsd_hmac(c->cr, hash_of(c), fk, hl, th, hl, out);
	hsd_wipe(fk, sizeof(fk));
	return err;
}

/* RFC 8446 7.2: application_traffic_secret_N+1 */
int hs13_next_secret(struct hs_conn *c, struct hs_dir *d)
{
	uint8_t next[HSD_HASH_MAX];
	int err;

	err = hs13_expand_label(c, d->secret, "traffic upd", NULL, 0, next,
				hl_of(c));
	if (!err)
		err = hs13_set_traffic(c, d, next);
	hsd_wipe(next, sizeof(next));
	return err;
}
