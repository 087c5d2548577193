// SPDX-License-Identifier: GPL-2.0
/*
 * Crypto context (algorithms fetched once), hashes, randomness. HMAC, HKDF
 * and the TLS 1.2 PRF are in hmac.c.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "handshaked/crypto/internal.h"
#include "handshaked/util.h"

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

#define RAND_POOL_SIZE (4096 - sizeof(size_t))

/* one page of its own, so that a fork can wipe it whole */
struct hsd_rand_pool {
	size_t left;		/* bytes b[0 .. left) not handed out yet */
	uint8_t b[RAND_POOL_SIZE];
};
_Static_assert(sizeof(struct hsd_rand_pool) == 4096, "one page");

int hsd_rand_pool_new(struct hsd_rand_pool **out)
{
	struct hsd_rand_pool *p;

	p = mmap(NULL, sizeof(*p), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	/* a child must never hand out what its parent will too */
	if (madvise(p, sizeof(*p), MADV_WIPEONFORK)) {
		int err = -errno;

		munmap(p, sizeof(*p));
		return err;
	}
	*out = p;
	return 0;
}

int hsd_rand_pool_fill(struct hsd_rand_pool *p)
{
	int err = hsd_random(p->b, sizeof(p->b));

	p->left = err ? 0 : sizeof(p->b);
	if (err)
		hsd_wipe(p->b, sizeof(p->b));
	return err;
}

bool hsd_rand_pool_low(const struct hsd_rand_pool *p)
{
	return p->left < sizeof(p->b) / 2;
}

size_t hsd_rand_pool_left(const struct hsd_rand_pool *p)
{
	return p->left;
}

int hsd_rand_pool_take(struct hsd_rand_pool *p, void *out, size_t n)
{
	int err;

	if (n > sizeof(p->b) / 4)
		return hsd_random(out, n);
	if (n > p->left) {
		err = hsd_rand_pool_fill(p);
		if (err)
			return err;
	}
	p->left -= n;
	memcpy(out, p->b + p->left, n);
	hsd_wipe(p->b + p->left, n);
	return 0;
}

void hsd_rand_pool_free(struct hsd_rand_pool *p)
{
	if (!p)
		return;
	hsd_wipe(p, sizeof(*p));
	munmap(p, sizeof(*p));
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

const char *hsd_crypto_version(void)
{
	return OpenSSL_version(OPENSSL_VERSION);
}

int hsd_crypto_new(struct hsd_crypto **out)
{
	/* RFC 7748 4.1: the base point, u = 9 */
	static const uint8_t x25519_u9[32] = { 9 };
	static const struct { const char *type, *group; } groups[] = {
		{ "EC", "P-256" }, { "EC", "P-384" },
		{ "DH", "ffdhe2048" }, { "DH", "ffdhe3072" }, { "EC", "P-521" },
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
	for (i = 0; i < (int)ARRAY_SIZE(groups); i++) {
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
	for (i = 0; i < (int)ARRAY_SIZE(c->group_tmpl); i++)
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
	case HSD_GROUP_SECP521R1:
		return c->group_tmpl[4];
	default:
		return NULL;
	}
}


