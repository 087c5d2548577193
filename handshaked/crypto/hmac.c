// SPDX-License-Identifier: GPL-2.0
/*
 * Hashes (the transcript's too), HMAC (RFC 2104), HKDF (RFC 5869) and the
 * TLS 1.2 PRF (RFC 5246 5) on libcrypto's SHA-1/SHA-2 block functions.
 *
 * Why not EVP here: an EVP digest context is an allocation plus provider
 * calls per init and per copy, and an HMAC needs three contexts, two inits
 * and two copies, which on the few dozen tiny inputs of a key schedule cost
 * three times the hashing itself (0.48 -> 0.16 us per HKDF-Expand here;
 * two times under QEMU's TCG). Likewise a transcript hash is read a dozen
 * times a handshake, each an EVP context copy (an allocation and a provider
 * call); here it is a struct copy. These functions are deprecated in
 * OpenSSL 3 but present in every 3.x, same code underneath; the keyed inner
 * and outer states are plain structs copied by value.
 */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <errno.h>
#include <string.h>

#include <openssl/sha.h>

#include "handshaked/crypto/internal.h"

union sha_state {
	SHA_CTX s1;
	SHA256_CTX s256;
	SHA512_CTX s512;	/* SHA-384 too */
};

/* the keyed inner and outer states (RFC 2104 4: pads hashed once) */
struct hmac {
	enum hsd_hash_id h;
	size_t len;
	union sha_state in, out;
};

static void sha_init(enum hsd_hash_id h, union sha_state *x)
{
	switch (h) {
	case HSD_SHA256:
		SHA256_Init(&x->s256);
		break;
	case HSD_SHA384:
		SHA384_Init(&x->s512);
		break;
	case HSD_SHA512:
		SHA512_Init(&x->s512);
		break;
	default:
		SHA1_Init(&x->s1);
		break;
	}
}

static void sha_update(enum hsd_hash_id h, union sha_state *x, const void *p,
		       size_t n)
{
	if (!n)
		return;
	switch (h) {
	case HSD_SHA256:
		SHA256_Update(&x->s256, p, n);
		break;
	case HSD_SHA384:
	case HSD_SHA512:
		SHA512_Update(&x->s512, p, n);
		break;
	default:
		SHA1_Update(&x->s1, p, n);
		break;
	}
}

static void sha_final(enum hsd_hash_id h, union sha_state *x, uint8_t *out)
{
	switch (h) {
	case HSD_SHA256:
		SHA256_Final(out, &x->s256);
		break;
	case HSD_SHA384:
		SHA384_Final(out, &x->s512);
		break;
	case HSD_SHA512:
		SHA512_Final(out, &x->s512);
		break;
	default:
		SHA1_Final(out, &x->s1);
		break;
	}
}

/* ---- hashes ---- */
struct hsd_hash_ctx {
	enum hsd_hash_id h;
	union sha_state st;
};

int hsd_hash_new(const struct hsd_crypto *c, enum hsd_hash_id h,
		 struct hsd_hash_ctx **out)
{
	struct hsd_hash_ctx *x;

	if (h >= HSD_HASH_COUNT)
		return -EINVAL;
	x = OPENSSL_zalloc(sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->h = h;
	sha_init(h, &x->st);
	*out = x;
	return 0;
}

int hsd_hash_update(struct hsd_hash_ctx *x, const void *p, size_t n)
{
	sha_update(x->h, &x->st, p, n);
	return 0;
}

int hsd_hash_peek(struct hsd_hash_ctx *x, uint8_t *out)
{
	return hsd_hash_peek_with(x, NULL, 0, out);
}

int hsd_hash_peek_with(struct hsd_hash_ctx *x, const void *more, size_t n,
		       uint8_t *out)
{
	union sha_state t = x->st;

	sha_update(x->h, &t, more, n);
	sha_final(x->h, &t, out);
	hsd_wipe(&t, sizeof(t));
	return 0;
}

void hsd_hash_free(struct hsd_hash_ctx *x)
{
	if (!x)
		return;
	hsd_wipe(x, sizeof(*x));
	OPENSSL_free(x);
}

int hsd_hash(const struct hsd_crypto *c, enum hsd_hash_id h, const void *p,
	     size_t n, uint8_t *out)
{
	union sha_state t;

	if (h >= HSD_HASH_COUNT)
		return -EINVAL;
	sha_init(h, &t);
	sha_update(h, &t, p, n);
	sha_final(h, &t, out);
	hsd_wipe(&t, sizeof(t));
	return 0;
}

static void hmac_free(struct hmac *m)
{
	hsd_wipe(m, sizeof(*m));
}

static int hmac_key(const struct hsd_crypto *c, enum hsd_hash_id h,
		    const void *key, size_t keylen, struct hmac *m)
{
	uint8_t k[128], pad[128];
	size_t bs, i;

	memset(m, 0, sizeof(*m));
	if (h >= HSD_HASH_COUNT)
		return -EINVAL;
	bs = h == HSD_SHA384 || h == HSD_SHA512 ? 128 : 64;
	m->h = h;
	m->len = hsd_hash_len(h);
	memset(k, 0, sizeof(k));
	if (keylen > bs) {	/* RFC 2104 3: a long key is hashed first */
		sha_init(h, &m->in);
		sha_update(h, &m->in, key, keylen);
		sha_final(h, &m->in, k);
	} else if (keylen) {
		memcpy(k, key, keylen);
	}
	for (i = 0; i < bs; i++)
		pad[i] = k[i] ^ 0x36;
	sha_init(h, &m->in);
	sha_update(h, &m->in, pad, bs);
	for (i = 0; i < bs; i++)
		pad[i] = k[i] ^ 0x5c;
	sha_init(h, &m->out);
	sha_update(h, &m->out, pad, bs);
	hsd_wipe(k, sizeof(k));
	hsd_wipe(pad, sizeof(pad));
	return 0;
}

/* HMAC over the concatenation of up to three parts */
static int hmac_run(struct hmac *m, const void *a, size_t an, const void *b,
		    size_t bn, const void *d, size_t dn, uint8_t *out)
{
	union sha_state t = m->in;
	uint8_t ih[HSD_HASH_MAX];

	sha_update(m->h, &t, a, an);
	sha_update(m->h, &t, b, bn);
	sha_update(m->h, &t, d, dn);
	sha_final(m->h, &t, ih);
	t = m->out;
	sha_update(m->h, &t, ih, m->len);
	sha_final(m->h, &t, out);
	hsd_wipe(ih, sizeof(ih));
	hsd_wipe(&t, sizeof(t));
	return 0;
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
