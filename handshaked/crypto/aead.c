// SPDX-License-Identifier: GPL-2.0
/* AEADs for record protection: AES-GCM, AES-CCM, ChaCha20-Poly1305. */
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "handshaked/crypto/internal.h"

/*
 * Record limits: RFC 8446 5.5 (AES-GCM 2^24.5 full-size records; ChaCha
 * effectively unlimited, 2^62 here) and RFC 9147 4.5.3 / draft-irtf-cfrg-
 * aead-limits for AES-CCM (2^23 records at a 2^-57 margin).
 */
static const struct hsd_aead_desc descs[HSD_AEAD_COUNT] = {
	[HSD_AES_128_GCM] = { HSD_AES_128_GCM, "AES-128-GCM", 16, 4, 8, 23726566ULL },
	[HSD_AES_256_GCM] = { HSD_AES_256_GCM, "AES-256-GCM", 32, 4, 8, 23726566ULL },
	[HSD_AES_128_CCM] = { HSD_AES_128_CCM, "AES-128-CCM", 16, 4, 8, 1ULL << 23 },
	[HSD_CHACHA20_POLY1305] = { HSD_CHACHA20_POLY1305, "CHACHA20-POLY1305",
				    32, 12, 0, 1ULL << 62 },
};

const struct hsd_aead_desc *hsd_aead_desc(enum hsd_aead_id id)
{
	return id < HSD_AEAD_COUNT ? &descs[id] : NULL;
}

struct hsd_aead {
	EVP_CIPHER_CTX *x;
	const EVP_CIPHER *cipher;
	enum hsd_aead_id id;
	/*
	 * CCM only: OpenSSL 3.0's CCM does not take a new nonce on a keyed
	 * context reliably, so each record runs the documented full sequence
	 * (ivlen, tag, key+nonce). The key is kept for that.
	 */
	uint8_t key[HSD_AEAD_KEY_MAX];
};

static int ccm_init(struct hsd_aead *a, const uint8_t *nonce, int enc,
		    const uint8_t *tag)
{
	if (EVP_CipherInit_ex2(a->x, a->cipher, NULL, NULL, enc, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(a->x, EVP_CTRL_AEAD_SET_IVLEN,
				HSD_AEAD_NONCE_LEN, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(a->x, EVP_CTRL_AEAD_SET_TAG, HSD_AEAD_TAG_LEN,
				(void *)tag) != 1 ||
	    EVP_CipherInit_ex2(a->x, NULL, a->key, nonce, enc, NULL) != 1)
		return -EIO;
	return 0;
}

int hsd_aead_new(const struct hsd_crypto *c, enum hsd_aead_id id,
		 const uint8_t *key, struct hsd_aead **out)
{
	struct hsd_aead *a;

	if (id >= HSD_AEAD_COUNT)
		return -EINVAL;
	a = OPENSSL_zalloc(sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->id = id;
	a->cipher = c->cipher[id];
	if (id == HSD_AES_128_CCM)
		memcpy(a->key, key, descs[id].key_len);
	a->x = EVP_CIPHER_CTX_new();
	if (!a->x || EVP_EncryptInit_ex2(a->x, c->cipher[id], NULL, NULL, NULL) != 1)
		goto err;
	/* CCM: nonce and tag sizes must be set before the key */
	if (EVP_CIPHER_CTX_ctrl(a->x, EVP_CTRL_AEAD_SET_IVLEN,
				HSD_AEAD_NONCE_LEN, NULL) != 1)
		goto err;
	if (id == HSD_AES_128_CCM &&
	    EVP_CIPHER_CTX_ctrl(a->x, EVP_CTRL_AEAD_SET_TAG, HSD_AEAD_TAG_LEN,
				NULL) != 1)
		goto err;
	if (EVP_EncryptInit_ex2(a->x, NULL, key, NULL, NULL) != 1)
		goto err;
	*out = a;
	return 0;
err:
	hsd_aead_free(a);
	return -EIO;
}

int hsd_aead_rekey(struct hsd_aead *a, const uint8_t *key)
{
	if (a->id == HSD_AES_128_CCM) {
		memcpy(a->key, key, descs[a->id].key_len);
		return 0;
	}
	/* the cipher and the nonce length stay; each record sets its nonce */
	return EVP_EncryptInit_ex2(a->x, NULL, key, NULL, NULL) == 1 ? 0 : -EIO;
}

void hsd_aead_free(struct hsd_aead *a)
{
	if (!a)
		return;
	EVP_CIPHER_CTX_free(a->x);
	OPENSSL_clear_free(a, sizeof(*a));
}

int hsd_aead_seal_tail(struct hsd_aead *a,
		       const uint8_t nonce[HSD_AEAD_NONCE_LEN],
		       const uint8_t *aad, size_t aadlen, const uint8_t *in,
		       size_t inlen, const uint8_t *tail, size_t taillen,
		       uint8_t *out)
{
	size_t total = inlen + taillen;
	int n, m, t = 0;

	if (total > INT32_MAX || total < inlen)
		return -EINVAL;
	if (a->id == HSD_AES_128_CCM) {
		/*
		 * CCM takes the message in one update, after its length:
		 * gather it in out and seal in place.
		 */
		if (out != in)
			memmove(out, in, inlen);
		if (taillen)
			memcpy(out + inlen, tail, taillen);
		if (ccm_init(a, nonce, 1, NULL) ||
		    EVP_CipherUpdate(a->x, NULL, &n, NULL, (int)total) != 1 ||
		    EVP_CipherUpdate(a->x, NULL, &n, aad, (int)aadlen) != 1 ||
		    EVP_CipherUpdate(a->x, out, &n, out, (int)total) != 1)
			return -EIO;
	} else if (EVP_CipherInit_ex2(a->x, NULL, NULL, nonce, 1, NULL) != 1 ||
		   EVP_CipherUpdate(a->x, NULL, &n, aad, (int)aadlen) != 1 ||
		   EVP_CipherUpdate(a->x, out, &n, in, (int)inlen) != 1 ||
		   (taillen && EVP_CipherUpdate(a->x, out + n, &t, tail,
						(int)taillen) != 1)) {
		return -EIO;
	}
	n += t;
	if (EVP_CipherFinal_ex(a->x, out + n, &m) != 1 ||
	    EVP_CIPHER_CTX_ctrl(a->x, EVP_CTRL_AEAD_GET_TAG, HSD_AEAD_TAG_LEN,
				out + total) != 1)
		return -EIO;
	return 0;
}

int hsd_aead_seal(struct hsd_aead *a, const uint8_t nonce[HSD_AEAD_NONCE_LEN],
		  const uint8_t *aad, size_t aadlen, const uint8_t *in,
		  size_t inlen, uint8_t *out)
{
	return hsd_aead_seal_tail(a, nonce, aad, aadlen, in, inlen, NULL, 0,
				  out);
}

int hsd_aead_open(struct hsd_aead *a, const uint8_t nonce[HSD_AEAD_NONCE_LEN],
		  const uint8_t *aad, size_t aadlen, const uint8_t *in,
		  size_t inlen, uint8_t *out)
{
	size_t clen;
	int n, m;

	if (inlen < HSD_AEAD_TAG_LEN || inlen > INT32_MAX)
		return -EBADMSG;
	clen = inlen - HSD_AEAD_TAG_LEN;
	if (a->id == HSD_AES_128_CCM) {
		/* the expected tag goes in before the nonce */
		if (ccm_init(a, nonce, 0, in + clen) ||
		    EVP_CipherUpdate(a->x, NULL, &n, NULL, (int)clen) != 1 ||
		    EVP_CipherUpdate(a->x, NULL, &n, aad, (int)aadlen) != 1)
			return -EIO;
		/* CCM verifies the tag inside the final update */
		return EVP_CipherUpdate(a->x, out, &n, in, (int)clen) == 1 ?
			0 : -EBADMSG;
	}
	if (EVP_CipherInit_ex2(a->x, NULL, NULL, nonce, 0, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(a->x, EVP_CTRL_AEAD_SET_TAG, HSD_AEAD_TAG_LEN,
				(void *)(in + clen)) != 1)
		return -EIO;
	if (EVP_CipherUpdate(a->x, NULL, &n, aad, (int)aadlen) != 1 ||
	    EVP_CipherUpdate(a->x, out, &n, in, (int)clen) != 1)
		return -EIO;
	return EVP_CipherFinal_ex(a->x, out + n, &m) == 1 ? 0 : -EBADMSG;
}
