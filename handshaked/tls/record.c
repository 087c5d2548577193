// SPDX-License-Identifier: GPL-2.0
/*
 * Record protection (RFC 8446 5.2-5.3, RFC 5246 6.2.3.3, RFC 7905).
 * Also the software fallback of the data path: the same seal/open produce
 * the wire format kTLS does.
 */
#include <errno.h>
#include <string.h>

#include "handshaked/tls/internal.h"

int hs_dir_set(struct hs_conn *c, struct hs_dir *d, uint16_t version,
	       const struct hsd_aead_desc *desc, const uint8_t *key,
	       const uint8_t *iv)
{
	struct hsd_aead *a;
	int err;

	/* what was queued under the old key is sealed with it */
	if (d == &c->tx) {
		err = hs_flush_pending(c);
		if (err)
			return err;
	}
	/*
	 * The same AEAD again (TLS 1.3's handshake then application keys,
	 * KeyUpdate): the context takes the new key, no new context.
	 */
	if (d->aead && d->desc == desc) {
		err = hsd_aead_rekey(d->aead, key);
		if (err)
			return err;
	} else {
		err = hsd_aead_new(c->cr, desc->id, key, &a);
		if (err)
			return err;
		hsd_aead_free(d->aead);
		d->aead = a;
		d->desc = desc;
	}
	/* a direction set up on its own (no record_size_limit): 2^14 */
	if (!d->max_plaintext)
		d->max_plaintext = HS_MAX_PLAINTEXT;
	d->version = version;
	memcpy(d->key, key, desc->key_len);
	memset(d->iv, 0, sizeof(d->iv));
	memcpy(d->iv, iv, version == HS_TLS13 ? HSD_AEAD_NONCE_LEN :
	       desc->fixed_iv_len);
	/* RFC 8446 5.3 / RFC 5246 6.1: sequence numbers restart per key */
	d->seq = 0;
	d->epoch++;
	return 0;
}

void hs_dir_clear(struct hs_dir *d)
{
	hsd_aead_free(d->aead);
	d->aead = NULL;
	hsd_wipe(d->key, sizeof(d->key));
	hsd_wipe(d->iv, sizeof(d->iv));
	hsd_wipe(d->secret, sizeof(d->secret));
}

/* RFC 8446 5.3: nonce = iv XOR seq (left-padded to the IV length) */
static void nonce13(const struct hs_dir *d, uint8_t *nonce)
{
	int i;

	memcpy(nonce, d->iv, HSD_AEAD_NONCE_LEN);
	for (i = 0; i < 8; i++)
		nonce[HSD_AEAD_NONCE_LEN - 1 - i] ^= (uint8_t)(d->seq >> (8 * i));
}

static void put_be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

size_t hs_seal_len(const struct hs_dir *d, size_t n)
{
	if (!d->aead)
		return HS_RECORD_HEADER + n;
	if (d->version == HS_TLS13)
		return HS_RECORD_HEADER + n + 1 + HSD_AEAD_TAG_LEN;
	return HS_RECORD_HEADER + d->desc->record_iv_len + n + HSD_AEAD_TAG_LEN;
}

/*
 * One record of @type with @n bytes of plaintext into @out
 * (hs_seal_len(n) bytes; @p does not overlap it). The legacy record version is 0x0303 except for
 * the plaintext ClientHello record, which the caller patches (RFC 8446 5.1).
 */
int hs_seal(struct hs_dir *d, uint8_t type, const uint8_t *p, size_t n,
	    uint8_t *out, size_t *outlen)
{
	uint8_t nonce[HSD_AEAD_NONCE_LEN], aad[13];
	size_t len = hs_seal_len(d, n) - HS_RECORD_HEADER;
	uint8_t *body = out + HS_RECORD_HEADER;
	int err;

	if (n > HS_MAX_PLAINTEXT)
		return -EMSGSIZE;
	out[0] = type;
	out[1] = 3;
	out[2] = 3;
	out[3] = (uint8_t)(len >> 8);
	out[4] = (uint8_t)len;
	if (!d->aead) {
		memmove(body, p, n);
		*outlen = HS_RECORD_HEADER + n;
		return 0;
	}
	if (d->seq >= d->desc->record_limit || d->seq == UINT64_MAX)
		return -EKEYEXPIRED;
	if (d->version == HS_TLS13) {
		/* TLSInnerPlaintext: content, real type, no padding */
		out[0] = HS_CT_APPLICATION_DATA;
		nonce13(d, nonce);
		/* sealed from where it is: no copy of 2^14 bytes per record */
		err = hsd_aead_seal_tail(d->aead, nonce, out, HS_RECORD_HEADER,
					 p, n, &type, 1, body);
	} else {
		size_t xl = d->desc->record_iv_len;

		/* RFC 5246 6.2.3.3: additional_data = seq || type || version || length */
		put_be64(aad, d->seq);
		aad[8] = type;
		aad[9] = 3;
		aad[10] = 3;
		aad[11] = (uint8_t)(n >> 8);
		aad[12] = (uint8_t)n;
		if (xl) {
			/* RFC 5288 3: explicit nonce = the sequence number */
			memcpy(nonce, d->iv, 4);
			put_be64(nonce + 4, d->seq);
			memcpy(body, nonce + 4, xl);
		} else {
			/* RFC 7905 2: ChaCha20 nonce as in TLS 1.3 */
			nonce13(d, nonce);
		}
		err = hsd_aead_seal(d->aead, nonce, aad, sizeof(aad), p, n,
				    body + xl);
	}
	if (err)
		return err;
	d->seq++;
	*outlen = HS_RECORD_HEADER + len;
	return 0;
}

/* RFC 5246 6.2.3.3 / RFC 7905: a TLS 1.2 AEAD record, plaintext to dst */
static int open12(struct hs_dir *d, const uint8_t *rec, size_t blen,
		  uint8_t *dst, size_t *n)
{
	uint8_t nonce[HSD_AEAD_NONCE_LEN], aad[13];
	const uint8_t *body = rec + HS_RECORD_HEADER;
	size_t xl = d->desc->record_iv_len, pl;
	int err;

	if (blen > HS_MAX_CIPHERTEXT12)
		return -EMSGSIZE;
	if (blen < xl + HSD_AEAD_TAG_LEN)
		return -EBADMSG;
	pl = blen - xl - HSD_AEAD_TAG_LEN;
	/* RFC 5246 6.2.3, RFC 8449 4: known before decrypting, with AEAD */
	if (pl > d->max_plaintext)
		return -EMSGSIZE;
	if (xl) {
		memcpy(nonce, d->iv, 4);
		memcpy(nonce + 4, body, xl);
	} else {
		nonce13(d, nonce);
	}
	put_be64(aad, d->seq);
	aad[8] = rec[0];
	aad[9] = rec[1];
	aad[10] = rec[2];
	aad[11] = (uint8_t)(pl >> 8);
	aad[12] = (uint8_t)pl;
	err = hsd_aead_open(d->aead, nonce, aad, sizeof(aad), body + xl,
			    blen - xl, dst);
	if (err)
		return err;
	d->seq++;
	*n = pl;
	return 0;
}

/* RFC 8446 5.2: a TLS 1.3 protected record, inner plaintext to dst */
static int open13(struct hs_dir *d, const uint8_t *rec, size_t blen,
		  uint8_t *dst, uint8_t *type, size_t *n)
{
	uint8_t nonce[HSD_AEAD_NONCE_LEN];
	size_t pl;
	int err;

	/* RFC 8446 5.2: protected records carry opaque_type 23 */
	if (rec[0] != HS_CT_APPLICATION_DATA)
		return -EPROTO;
	/* RFC 8449 4: the inner plaintext, type and padding included */
	if (blen > HS_MAX_CIPHERTEXT ||
	    blen > HSD_AEAD_TAG_LEN + d->max_plaintext + 1)
		return -EMSGSIZE;
	if (blen < HSD_AEAD_TAG_LEN + 1)
		return -EBADMSG;
	nonce13(d, nonce);
	err = hsd_aead_open(d->aead, nonce, rec, HS_RECORD_HEADER,
			    rec + HS_RECORD_HEADER, blen, dst);
	if (err)
		return err;
	d->seq++;
	pl = blen - HSD_AEAD_TAG_LEN;
	/* strip zero padding; the last non-zero byte is the type */
	while (pl && !dst[pl - 1])
		pl--;
	if (!pl)
		return -EPROTO;	/* RFC 8446 5.4: unexpected_message */
	*type = dst[pl - 1];
	pl--;
	if (pl > d->max_plaintext)
		return -EMSGSIZE;
	*n = pl;
	return 0;
}

/*
 * Open one whole protected record (@d has keys) from @rec into @dst, which
 * holds @len - HS_RECORD_HEADER bytes and does not overlap @rec: no copy of
 * the record first. Results and errors as hs_open(); on an
 * error @dst may hold unauthenticated bytes the caller wipes.
 */
int hs_open_to(struct hs_dir *d, const uint8_t *rec, size_t len, uint8_t *dst,
	       uint8_t *type, size_t *n)
{
	size_t blen = len - HS_RECORD_HEADER;

	*type = rec[0];
	if (d->version == HS_TLS13)
		return open13(d, rec, blen, dst, type, n);
	return open12(d, rec, blen, dst, n);
}

/*
 * Open one whole record in place. On success, type is the (inner) content
 * type and p, n the plaintext. -EBADMSG: bad_record_mac;
 * -EMSGSIZE: record_overflow; -EPROTO: malformed inner plaintext.
 */
int hs_open(struct hs_dir *d, uint8_t *rec, size_t len, uint8_t *type,
	    uint8_t **p, size_t *n)
{
	uint8_t *body = rec + HS_RECORD_HEADER;
	size_t blen = len - HS_RECORD_HEADER;

	*type = rec[0];
	if (!d->aead) {
		if (blen > HS_MAX_PLAINTEXT)
			return -EMSGSIZE;
		*p = body;
		*n = blen;
		return 0;
	}
	if (d->version == HS_TLS13) {
		*p = body;
		return open13(d, rec, blen, body, type, n);
	}
	/* RFC 5288 3: the explicit nonce stays in front of the plaintext */
	*p = body + d->desc->record_iv_len;
	return open12(d, rec, blen, *p, n);
}
