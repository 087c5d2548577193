// SPDX-License-Identifier: GPL-2.0
/*
 * Crypto context (algorithms fetched once), hashes, HMAC, HKDF (RFC 5869)
 * and the TLS 1.2 PRF (RFC 5246 section 5).
 */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "handshaked/crypto/internal.h"

static const char *const md_names[HSD_HASH_COUNT] = {
	[HSD_SHA256] = "SHA2-256",
	[HSD_SHA384] = "SHA2-384",
	[HSD_SHA512] = "SHA2-512",
	[HSD_SHA1] = "SHA1",
};

static const size_t md_lens[HSD_HASH_COUNT] = {
	[HSD_SHA256] = 32, [HSD_SHA384] = 48, [HSD_SHA512] = 64, [HSD_SHA1] = 20,
};

static const char *const cipher_names[HSD_AEAD_COUNT] = {
	[HSD_AES_128_GCM] = "AES-128-GCM",
	[HSD_AES_256_GCM] = "AES-256-GCM",
	[HSD_AES_128_CCM] = "AES-128-CCM",
	[HSD_CHACHA20_POLY1305] = "ChaCha20-Poly1305",
};

const char *hsd_md_name(enum hsd_hash_id h)
{
	return md_names[h];
}

size_t hsd_hash_len(enum hsd_hash_id h)
{
	return h < HSD_HASH_COUNT ? md_lens[h] : 0;
}

void hsd_wipe(void *p, size_t n)
{
	/*
	 * explicit_bzero: an optimised memset the compiler may not drop;
	 * OPENSSL_cleanse goes a byte at a time through a volatile pointer.
	 */
	if (p && n)
		explicit_bzero(p, n);
}

int hsd_ct_memcmp(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) ? -EBADMSG : 0;
}

int hsd_random(void *p, size_t n)
{
	return RAND_bytes(p, (int)n) == 1 ? 0 : -EIO;
}

static EVP_PKEY *param_key(OSSL_LIB_CTX *lib, const char *type,
			   const char *group)
{
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(lib, type, NULL);
	OSSL_PARAM params[2] = {
		OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
						 (char *)group, 0),
		OSSL_PARAM_END,
	};
	EVP_PKEY *k = NULL;

	if (!pc)
		return NULL;
	if (EVP_PKEY_paramgen_init(pc) != 1 ||
	    EVP_PKEY_CTX_set_params(pc, params) != 1 ||
	    EVP_PKEY_paramgen(pc, &k) != 1)
		k = NULL;
	EVP_PKEY_CTX_free(pc);
	return k;
}

int hsd_crypto_new(struct hsd_crypto **out)
{
	/* RFC 7748 4.1: the base point, u = 9 */
	static const uint8_t x25519_u9[32] = { 9 };
	static const struct { const char *type, *group; } groups[4] = {
		{ "EC", "P-256" }, { "EC", "P-384" },
		{ "DH", "ffdhe2048" }, { "DH", "ffdhe3072" },
	};
	struct hsd_crypto *c;
	EVP_KEM *kem;
	int i;

	c = OPENSSL_zalloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	for (i = 0; i < HSD_HASH_COUNT; i++) {
		c->md[i] = EVP_MD_fetch(c->lib, md_names[i], NULL);
		if (!c->md[i])
			goto err_free;
	}
	for (i = 0; i < HSD_AEAD_COUNT; i++) {
		c->cipher[i] = EVP_CIPHER_fetch(c->lib, cipher_names[i], NULL);
		if (!c->cipher[i])
			goto err_free;
	}
	for (i = 0; i < 4; i++) {
		c->group_tmpl[i] = param_key(c->lib, groups[i].type,
					     groups[i].group);
		if (!c->group_tmpl[i])
			goto err_free;
	}
	if (hsd_x25519_table_new(&c->x25519))
		goto err_free;
	c->x25519_tmpl = EVP_PKEY_new_raw_public_key_ex(c->lib, "X25519", NULL,
							x25519_u9, 32);
	if (!c->x25519_tmpl)
		goto err_free;
	/* ML-KEM arrived in OpenSSL 3.5: probe, never assume */
	ERR_set_mark();
	kem = EVP_KEM_fetch(c->lib, "ML-KEM-768", NULL);
	ERR_pop_to_mark();
	c->have_mlkem = kem != NULL;
	EVP_KEM_free(kem);
	*out = c;
	return 0;

err_free:
	hsd_crypto_free(c);
	return -EIO;
}

void hsd_crypto_free(struct hsd_crypto *c)
{
	int i;

	if (!c)
		return;
	for (i = 0; i < HSD_HASH_COUNT; i++)
		EVP_MD_free(c->md[i]);
	for (i = 0; i < HSD_AEAD_COUNT; i++)
		EVP_CIPHER_free(c->cipher[i]);
	for (i = 0; i < 4; i++)
		EVP_PKEY_free(c->group_tmpl[i]);
	hsd_x25519_table_free(c->x25519);
	EVP_PKEY_free(c->x25519_tmpl);
	OPENSSL_free(c);
}

EVP_PKEY *hsd_group_template(const struct hsd_crypto *c, uint16_t group)
{
	switch (group) {
	case HSD_GROUP_SECP256R1:
		return c->group_tmpl[0];
	case HSD_GROUP_SECP384R1:
		return c->group_tmpl[1];
	case HSD_GROUP_FFDHE2048:
		return c->group_tmpl[2];
	case HSD_GROUP_FFDHE3072:
		return c->group_tmpl[3];
	default:
		return NULL;
	}
}

/* ---- hashes ---- */
struct hsd_hash_ctx {
	EVP_MD_CTX *md;
	EVP_MD_CTX *tmp;
};

int hsd_hash_new(const struct hsd_crypto *c, enum hsd_hash_id h,
		 struct hsd_hash_ctx **out)
{
	struct hsd_hash_ctx *x = OPENSSL_zalloc(sizeof(*x));

	if (!x)
		return -ENOMEM;
	x->md = EVP_MD_CTX_new();
	x->tmp = EVP_MD_CTX_new();
	if (!x->md || !x->tmp ||
	    EVP_DigestInit_ex2(x->md, c->md[h], NULL) != 1) {
		hsd_hash_free(x);
		return -EIO;
	}
	*out = x;
	return 0;
}

int hsd_hash_update(struct hsd_hash_ctx *x, const void *p, size_t n)
{
	return EVP_DigestUpdate(x->md, p, n) == 1 ? 0 : -EIO;
}

int hsd_hash_peek(struct hsd_hash_ctx *x, uint8_t *out)
{
	return hsd_hash_peek_with(x, NULL, 0, out);
}

int hsd_hash_peek_with(struct hsd_hash_ctx *x, const void *more, size_t n,
		       uint8_t *out)
{
	if (EVP_MD_CTX_copy_ex(x->tmp, x->md) != 1 ||
	    (n && EVP_DigestUpdate(x->tmp, more, n) != 1) ||
	    EVP_DigestFinal_ex(x->tmp, out, NULL) != 1)
		return -EIO;
	return 0;
}

void hsd_hash_free(struct hsd_hash_ctx *x)
{
	if (!x)
		return;
	EVP_MD_CTX_free(x->md);
	EVP_MD_CTX_free(x->tmp);
	OPENSSL_free(x);
}

int hsd_hash(const struct hsd_crypto *c, enum hsd_hash_id h, const void *p,
	     size_t n, uint8_t *out)
{
	return EVP_Digest(p, n, out, NULL, c->md[h], NULL) == 1 ? 0 : -EIO;
}

/* ---- HMAC (RFC 2104), HKDF, PRF ---- */
/*
 * HMAC from the digest with the key's inner and outer pads hashed once
 * (RFC 2104 4): each MAC then costs two context copies and the hashing of
 * the message. EVP_MAC would redo its parameter and key setup per call,
 * which dominates on the few dozen tiny inputs of a key schedule.
 */
struct hmac {
	EVP_MD_CTX *in, *out, *tmp;
	size_t len;
};

static void hmac_free(struct hmac *m)
{
	EVP_MD_CTX_free(m->in);
	EVP_MD_CTX_free(m->out);
	EVP_MD_CTX_free(m->tmp);
}

static int hmac_key(const struct hsd_crypto *c, enum hsd_hash_id h,
		    const void *key, size_t keylen, struct hmac *m)
{
	uint8_t k[144], pad[144];
	size_t bs, i;
	int ok;

	memset(m, 0, sizeof(*m));
	if (h >= HSD_HASH_COUNT)
		return -EINVAL;
	bs = (size_t)EVP_MD_get_block_size(c->md[h]);
	m->len = md_lens[h];
	memset(k, 0, sizeof(k));
	if (keylen > bs) {
		if (EVP_Digest(key, keylen, k, NULL, c->md[h], NULL) != 1)
			return -EIO;
	} else if (keylen) {
		memcpy(k, key, keylen);
	}
	m->in = EVP_MD_CTX_new();
	m->out = EVP_MD_CTX_new();
	m->tmp = EVP_MD_CTX_new();
	for (i = 0; i < bs; i++)
		pad[i] = k[i] ^ 0x36;
	ok = m->in && m->out && m->tmp &&
	     EVP_DigestInit_ex2(m->in, c->md[h], NULL) == 1 &&
	     EVP_DigestUpdate(m->in, pad, bs) == 1;
	for (i = 0; i < bs; i++)
		pad[i] = k[i] ^ 0x5c;
	ok = ok && EVP_DigestInit_ex2(m->out, c->md[h], NULL) == 1 &&
	     EVP_DigestUpdate(m->out, pad, bs) == 1;
	hsd_wipe(k, sizeof(k));
	hsd_wipe(pad, sizeof(pad));
	if (!ok) {
		hmac_free(m);
		return -EIO;
	}
	return 0;
}

/* HMAC over the concatenation of up to three parts */
static int hmac_run(struct hmac *m, const void *a, size_t an, const void *b,
		    size_t bn, const void *d, size_t dn, uint8_t *out)
{
	uint8_t ih[HSD_HASH_MAX];
	int ok;

	ok = EVP_MD_CTX_copy_ex(m->tmp, m->in) == 1 &&
	     (!an || EVP_DigestUpdate(m->tmp, a, an) == 1) &&
	     (!bn || EVP_DigestUpdate(m->tmp, b, bn) == 1) &&
	     (!dn || EVP_DigestUpdate(m->tmp, d, dn) == 1) &&
	     EVP_DigestFinal_ex(m->tmp, ih, NULL) == 1 &&
	     EVP_MD_CTX_copy_ex(m->tmp, m->out) == 1 &&
	     EVP_DigestUpdate(m->tmp, ih, m->len) == 1 &&
	     EVP_DigestFinal_ex(m->tmp, out, NULL) == 1;
	hsd_wipe(ih, sizeof(ih));
	return ok ? 0 : -EIO;
}

int hsd_hmac(const struct hsd_crypto *c, enum hsd_hash_id h, const void *key,
	     size_t keylen, const void *p, size_t n, uint8_t *out)
{
	struct hmac m;
	int err;

	err = hmac_key(c, h, key, keylen, &m);
	if (err)
		return err;
	err = hmac_run(&m, p, n, NULL, 0, NULL, 0, out);
	hmac_free(&m);
	return err;
}

int hsd_hkdf_extract(const struct hsd_crypto *c, enum hsd_hash_id h,
		     const uint8_t *salt, size_t saltlen, const uint8_t *ikm,
		     size_t ikmlen, uint8_t *prk)
{
	uint8_t zeros[HSD_HASH_MAX] = { 0 };

	/* RFC 5869 2.2: absent salt = HashLen zeros */
	if (!salt) {
		salt = zeros;
		saltlen = hsd_hash_len(h);
	}
	return hsd_hmac(c, h, salt, saltlen, ikm, ikmlen, prk);
}

int hsd_hkdf_expand(const struct hsd_crypto *c, enum hsd_hash_id h,
		    const uint8_t *prk, const uint8_t *info, size_t infolen,
		    uint8_t *out, size_t outlen)
{
	size_t hl = hsd_hash_len(h), done = 0, n;
	uint8_t t[HSD_HASH_MAX];
	struct hmac m;
	uint8_t i = 0;
	int err;

	if (!hl || outlen > 255 * hl)
		return -EINVAL;
	err = hmac_key(c, h, prk, hl, &m);
	/* RFC 5869 2.3: T(i) = HMAC(PRK, T(i-1) | info | i) */
	while (!err && done < outlen) {
		i++;
		err = hmac_run(&m, t, i > 1 ? hl : 0, info, infolen, &i, 1, t);
		n = outlen - done < hl ? outlen - done : hl;
		if (!err)
			memcpy(out + done, t, n);
		done += n;
	}
	if (m.in)
		hmac_free(&m);
	hsd_wipe(t, sizeof(t));
	return err;
}

int hsd_tls12_prf(const struct hsd_crypto *c, enum hsd_hash_id h,
		  const uint8_t *secret, size_t secretlen, const char *label,
		  const uint8_t *seed, size_t seedlen, uint8_t *out,
		  size_t outlen)
{
	size_t hl = hsd_hash_len(h), done = 0, n, ll = strlen(label);
	uint8_t a[HSD_HASH_MAX], t[HSD_HASH_MAX];
	struct hmac m;
	int err;

	err = hmac_key(c, h, secret, secretlen, &m);
	if (err)
		return err;
	/* RFC 5246 5: A(1) = HMAC(secret, label + seed) */
	err = hmac_run(&m, label, ll, seed, seedlen, NULL, 0, a);
	while (!err && done < outlen) {
		/* P_hash: HMAC(secret, A(i) + label + seed) */
		err = hmac_run(&m, a, hl, label, ll, seed, seedlen, t);
		n = outlen - done < hl ? outlen - done : hl;
		if (!err)
			memcpy(out + done, t, n);
		done += n;
		if (!err)
			err = hmac_run(&m, a, hl, NULL, 0, NULL, 0, a);
	}
	hmac_free(&m);
	hsd_wipe(a, sizeof(a));
	hsd_wipe(t, sizeof(t));
	return err;
}
