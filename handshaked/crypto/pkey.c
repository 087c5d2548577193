// SPDX-License-Identifier: GPL-2.0
/* Private/public keys, signatures (RFC 8446 4.2.3), RSA key transport. */
/*
 * ECDSA_sign_setup/ECDSA_do_sign_ex (nonces made ahead) have no EVP
 * equivalent in OpenSSL 3.0; they are deprecated there, not removed.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "handshaked/crypto/internal.h"
#include "handshaked/util.h"

enum hsd_key_type hsd_pkey_classify(EVP_PKEY *k)
{
	char group[32];
	size_t n;

	if (EVP_PKEY_is_a(k, "RSA"))
		return HSD_KEY_RSA;
	if (EVP_PKEY_is_a(k, "RSA-PSS"))
		return HSD_KEY_RSA_PSS;
	if (EVP_PKEY_is_a(k, "ED25519"))
		return HSD_KEY_ED25519;
	if (EVP_PKEY_is_a(k, "ED448"))
		return HSD_KEY_ED448;
	if (EVP_PKEY_is_a(k, "EC")) {
		if (EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME,
						   group, sizeof(group), &n) != 1)
			return HSD_KEY_EC_OTHER;
		if (!strcmp(group, "prime256v1") || !strcmp(group, "P-256"))
			return HSD_KEY_EC_P256;
		if (!strcmp(group, "secp384r1") || !strcmp(group, "P-384"))
			return HSD_KEY_EC_P384;
		if (!strcmp(group, "secp521r1") || !strcmp(group, "P-521"))
			return HSD_KEY_EC_P521;
		return HSD_KEY_EC_OTHER;
	}
	return HSD_KEY_OTHER;
}

struct hsd_pkey *hsd_pkey_wrap_as(EVP_PKEY *k, enum hsd_key_type type)
{
	struct hsd_pkey *w;

	if (!k)
		return NULL;
	w = OPENSSL_zalloc(sizeof(*w));
	if (!w) {
		EVP_PKEY_free(k);
		return NULL;
	}
	w->k = k;
	w->type = type;
	pthread_mutex_init(&w->lock, NULL);
	return w;
}

/* Take ownership of @k (freed on failure). */
struct hsd_pkey *hsd_pkey_wrap(EVP_PKEY *k)
{
	return k ? hsd_pkey_wrap_as(k, hsd_pkey_classify(k)) : NULL;
}

int hsd_pkey_private_from_mem(const struct hsd_crypto *c, const uint8_t *p,
			      size_t n, struct hsd_pkey **out)
{
	const unsigned char *q = p;
	EVP_PKEY *k = NULL;
	BIO *b;

	ERR_set_mark();
	b = BIO_new_mem_buf(p, (int)n);
	if (b)
		k = PEM_read_bio_PrivateKey_ex(b, NULL, NULL, NULL, c->lib, NULL);
	BIO_free(b);
	if (!k)
		k = d2i_AutoPrivateKey_ex(NULL, &q, (long)n, c->lib, NULL);
	ERR_pop_to_mark();
	*out = hsd_pkey_wrap(k);
	return *out ? 0 : -EINVAL;
}

int hsd_pkey_load_private(const struct hsd_crypto *c, const char *path,
			  struct hsd_pkey **out)
{
	uint8_t *buf;
	long n;
	FILE *f;
	int err;

	f = fopen(path, "rb");
	if (!f)
		return -errno;
	buf = OPENSSL_malloc(1 << 20);
	n = buf ? (long)fread(buf, 1, 1 << 20, f) : -1;
	fclose(f);
	if (n <= 0) {
		OPENSSL_free(buf);
		return -EINVAL;
	}
	err = hsd_pkey_private_from_mem(c, buf, (size_t)n, out);
	OPENSSL_clear_free(buf, (size_t)n);
	return err;
}

static void presign_clear(struct hsd_pkey *k)
{
	while (k->n_pre) {
		k->n_pre--;
		BN_clear_free(k->pre[k->n_pre].kinv);
		BN_clear_free(k->pre[k->n_pre].r);
		k->pre[k->n_pre].kinv = k->pre[k->n_pre].r = NULL;
	}
}

void hsd_pkey_free(struct hsd_pkey *k)
{
	if (!k)
		return;
	presign_clear(k);
	hsd_ec_table_put(k->table);
	EC_KEY_free(k->ec);
	EVP_PKEY_CTX_free(k->sign_ctx);
	EVP_PKEY_free(k->k);
	pthread_mutex_destroy(&k->lock);
	OPENSSL_free(k);
}

enum hsd_key_type hsd_pkey_type(const struct hsd_pkey *k)
{
	return k ? k->type : HSD_KEY_NONE;
}

size_t hsd_pkey_bits(const struct hsd_pkey *k)
{
	return k ? (size_t)EVP_PKEY_get_bits(k->k) : 0;
}

static bool is_ec(enum hsd_key_type t);

struct scheme {
	uint16_t id;
	const char *name;
	enum hsd_hash_id hash;	/* HSD_HASH_COUNT: none (EdDSA) */
	enum hsd_key_type key;
	bool pss;
	bool tls13;		/* allowed in TLS 1.3 CertificateVerify */
};

static const struct scheme schemes[] = {
	{ HSD_SIG_ECDSA_SECP256R1_SHA256, "ecdsa_secp256r1_sha256", HSD_SHA256,
	  HSD_KEY_EC_P256, false, true },
	{ HSD_SIG_ECDSA_SECP384R1_SHA384, "ecdsa_secp384r1_sha384", HSD_SHA384,
	  HSD_KEY_EC_P384, false, true },
	{ HSD_SIG_ECDSA_SECP521R1_SHA512, "ecdsa_secp521r1_sha512", HSD_SHA512,
	  HSD_KEY_EC_P521, false, true },
	{ HSD_SIG_ED25519, "ed25519", HSD_HASH_COUNT, HSD_KEY_ED25519, false,
	  true },
	{ HSD_SIG_ED448, "ed448", HSD_HASH_COUNT, HSD_KEY_ED448, false, true },
	{ HSD_SIG_RSA_PSS_RSAE_SHA256, "rsa_pss_rsae_sha256", HSD_SHA256,
	  HSD_KEY_RSA, true, true },
	{ HSD_SIG_RSA_PSS_RSAE_SHA384, "rsa_pss_rsae_sha384", HSD_SHA384,
	  HSD_KEY_RSA, true, true },
	{ HSD_SIG_RSA_PSS_RSAE_SHA512, "rsa_pss_rsae_sha512", HSD_SHA512,
	  HSD_KEY_RSA, true, true },
	{ HSD_SIG_RSA_PSS_PSS_SHA256, "rsa_pss_pss_sha256", HSD_SHA256,
	  HSD_KEY_RSA_PSS, true, true },
	{ HSD_SIG_RSA_PSS_PSS_SHA384, "rsa_pss_pss_sha384", HSD_SHA384,
	  HSD_KEY_RSA_PSS, true, true },
	{ HSD_SIG_RSA_PSS_PSS_SHA512, "rsa_pss_pss_sha512", HSD_SHA512,
	  HSD_KEY_RSA_PSS, true, true },
	{ HSD_SIG_RSA_PKCS1_SHA256, "rsa_pkcs1_sha256", HSD_SHA256,
	  HSD_KEY_RSA, false, false },
	{ HSD_SIG_RSA_PKCS1_SHA384, "rsa_pkcs1_sha384", HSD_SHA384,
	  HSD_KEY_RSA, false, false },
	{ HSD_SIG_RSA_PKCS1_SHA512, "rsa_pkcs1_sha512", HSD_SHA512,
	  HSD_KEY_RSA, false, false },
};

static const struct scheme *find_scheme(uint16_t id)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(schemes); i++)
		if (schemes[i].id == id)
			return &schemes[i];
	return NULL;
}

const char *hsd_scheme_name(uint16_t id)
{
	const struct scheme *s = find_scheme(id);

	return s ? s->name : "unknown";
}

bool hsd_scheme_fits_key(const struct hsd_pkey *k, uint16_t id, bool tls13)
{
	const struct scheme *s = find_scheme(id);
	enum hsd_key_type t = hsd_pkey_type(k);

	if (!s || (tls13 && !s->tls13))
		return false;
	/*
	 * TLS 1.2 ECDSA schemes name a hash, not the curve (RFC 5246
	 * 7.4.1.4.1): any of our curves signs with any of their hashes.
	 */
	if (!tls13 && is_ec(s->key))
		return is_ec(t) && t != HSD_KEY_EC_OTHER;
	return s->key == t;
}

static int md_ctx_init(const struct hsd_crypto *c, EVP_MD_CTX *mc,
		       const struct scheme *s, struct hsd_pkey *k, bool sign)
{
	const char *md = s->hash < HSD_HASH_COUNT ? hsd_md_name(s->hash) : NULL;
	EVP_PKEY_CTX *pc = NULL;
	int ok;

	ok = sign ? EVP_DigestSignInit_ex(mc, &pc, md, c->lib, NULL, k->k, NULL)
		  : EVP_DigestVerifyInit_ex(mc, &pc, md, c->lib, NULL, k->k,
					    NULL);
	if (ok != 1)
		return -EIO;
	if (s->pss) {
		/* RFC 8446 4.2.3: PSS salt length equal to the digest length */
		if (EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) != 1 ||
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST) != 1)
			return -EIO;
	} else if (s->key == HSD_KEY_RSA &&
		   EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) != 1) {
		return -EIO;
	}
	return 0;
}

static bool is_ec(enum hsd_key_type t)
{
	return t == HSD_KEY_EC_P256 || t == HSD_KEY_EC_P384 ||
	       t == HSD_KEY_EC_P521 || t == HSD_KEY_EC_OTHER;
}

int hsd_pkey_presign_fill_one(struct hsd_pkey *k)
{
	BIGNUM *kinv = NULL, *r = NULL;
	int pid = (int)getpid(), ret = 1;

	if (!k || !is_ec(k->type))
		return 0;
	pthread_mutex_lock(&k->lock);
	if (k->pre_pid != pid) {
		presign_clear(k);
		k->pre_pid = pid;
	}
	if (!k->ec)
		k->ec = EVP_PKEY_get1_EC_KEY(k->k);
	if (!k->ec || k->n_pre == HSD_PRESIGN_MAX)
		ret = k->ec ? 0 : -EIO;
	pthread_mutex_unlock(&k->lock);
	if (ret <= 0) {
		ERR_clear_error();
		return ret;
	}
	/* k from the private DRBG, kG and k^-1 in constant time */
	if (ECDSA_sign_setup(k->ec, NULL, &kinv, &r) != 1) {
		ERR_clear_error();
		return -EIO;
	}
	pthread_mutex_lock(&k->lock);
	if (k->n_pre < HSD_PRESIGN_MAX && k->pre_pid == pid) {
		k->pre[k->n_pre].kinv = kinv;
		k->pre[k->n_pre].r = r;
		k->n_pre++;
		kinv = r = NULL;
	} else {
		ret = 0;
	}
	pthread_mutex_unlock(&k->lock);
	BN_clear_free(kinv);
	BN_clear_free(r);
	return ret;
}

unsigned int hsd_pkey_presigned(const struct hsd_pkey *k)
{
	/* n_pre first: no getpid() system call when none is made ahead */
	return k && k->n_pre && k->pre_pid == (int)getpid() ? k->n_pre : 0;
}

bool hsd_pkey_presign_short(const struct hsd_pkey *k)
{
	return k && is_ec(k->type) && hsd_pkey_presigned(k) < HSD_PRESIGN_MAX;
}

uint64_t hsd_pkey_presigned_used(const struct hsd_pkey *k)
{
	return k ? k->pre_used : 0;
}

/*
 * s = k^-1 (e + r d) mod n with a nonce made ahead, DER into @sig.
 * -EAGAIN when there is none (or it failed: s = 0 needs a fresh nonce).
 */
static int ecdsa_sign_presigned(struct hsd_pkey *k, const uint8_t *dg,
				unsigned int dl, uint8_t *sig, size_t *siglen)
{
	BIGNUM *kinv = NULL, *r = NULL;
	unsigned char *q = sig;
	ECDSA_SIG *es;
	int n, err = -EAGAIN;

	/* popped under the lock: each nonce goes to exactly one signature */
	pthread_mutex_lock(&k->lock);
	if (hsd_pkey_presigned(k)) {
		k->n_pre--;
		kinv = k->pre[k->n_pre].kinv;
		r = k->pre[k->n_pre].r;
		k->pre[k->n_pre].kinv = k->pre[k->n_pre].r = NULL;
	}
	pthread_mutex_unlock(&k->lock);
	if (!kinv)
		return -EAGAIN;
	es = ECDSA_do_sign_ex(dg, (int)dl, kinv, r, k->ec);
	/* used once, whatever happened */
	BN_clear_free(kinv);
	BN_clear_free(r);
	if (!es) {
		ERR_clear_error();
		return -EAGAIN;
	}
	n = i2d_ECDSA_SIG(es, NULL);
	if (n > 0 && n <= HSD_SIG_MAX && i2d_ECDSA_SIG(es, &q) == n) {
		*siglen = (size_t)n;
		__atomic_fetch_add(&k->pre_used, 1, __ATOMIC_RELAXED);
		err = 0;
	}
	ECDSA_SIG_free(es);
	return err;
}

/*
 * ECDSA signs a digest: hash with the fetched digest, sign with a context made
 * once per key. EVP_DigestSign would fetch the digest by name and build two
 * contexts per signature, a sixth of the signature's own cost.
 */
static int ecdsa_sign(const struct hsd_crypto *c, struct hsd_pkey *k,
		      const struct scheme *s, const uint8_t *tbs,
		      size_t tbslen, uint8_t *sig, size_t *siglen)
{
	uint8_t dg[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;
	size_t n = HSD_SIG_MAX;
	EVP_PKEY_CTX *x = NULL;
	bool shared = false;
	int err = 0;

	if (EVP_Digest(tbs, tbslen, dg, &dl, c->md[s->hash], NULL) != 1)
		return -EIO;
	if (!ecdsa_sign_presigned(k, dg, dl, sig, siglen))
		return 0;
	/* the key's context when no other signer holds it, else our own */
	pthread_mutex_lock(&k->lock);
	if (!k->sign_ctx_busy) {
		/* made and initialised once: a fetch per signature costs */
		if (!k->sign_ctx) {
			k->sign_ctx = EVP_PKEY_CTX_new_from_pkey(c->lib, k->k, NULL);
			if (k->sign_ctx && EVP_PKEY_sign_init(k->sign_ctx) != 1) {
				EVP_PKEY_CTX_free(k->sign_ctx);
				k->sign_ctx = NULL;
			}
		}
		if (k->sign_ctx) {
			x = k->sign_ctx;
			k->sign_ctx_busy = shared = true;
		}
	}
	pthread_mutex_unlock(&k->lock);
	if (!x) {
		x = EVP_PKEY_CTX_new_from_pkey(c->lib, k->k, NULL);
		if (!x || EVP_PKEY_sign_init(x) != 1)
			err = -EIO;
	}
	if (!err && EVP_PKEY_sign(x, sig, &n, dg, dl) != 1)
		err = -EIO;
	if (shared) {
		pthread_mutex_lock(&k->lock);
		k->sign_ctx_busy = false;
		pthread_mutex_unlock(&k->lock);
	} else {
		EVP_PKEY_CTX_free(x);
	}
	if (!err)
		*siglen = n;
	return err;
}

int hsd_sign(const struct hsd_crypto *c, struct hsd_pkey *k, uint16_t id,
	     const uint8_t *tbs, size_t tbslen, uint8_t *sig, size_t *siglen)
{
	const struct scheme *s = find_scheme(id);
	EVP_MD_CTX *mc;
	size_t n = HSD_SIG_MAX;
	int err;

	if (!s)
		return -EINVAL;
	if (is_ec(s->key) && is_ec(k->type) && s->hash < HSD_HASH_COUNT)
		return ecdsa_sign(c, k, s, tbs, tbslen, sig, siglen);
	mc = EVP_MD_CTX_new();
	if (!mc)
		return -ENOMEM;
	err = md_ctx_init(c, mc, s, k, true);
	if (!err && EVP_DigestSign(mc, sig, &n, tbs, tbslen) != 1)
		err = -EIO;
	EVP_MD_CTX_free(mc);
	if (!err)
		*siglen = n;
	return err;
}

int hsd_pkey_precompute(struct hsd_pkey *k)
{
	struct hsd_ec_table *t;

	if (k->type != HSD_KEY_EC_P256)
		return -EINVAL;
	if (hsd_ec_table_ready(k->table))
		return 0;
	t = hsd_ec_table_new_now(k->k);
	if (!t)
		return -EIO;
	hsd_ec_table_put(k->table);
	k->table = t;
	return 0;
}

bool hsd_pkey_precomputed(const struct hsd_pkey *k)
{
	return k && hsd_ec_table_ready(k->table);
}

int hsd_verify(const struct hsd_crypto *c, struct hsd_pkey *k, uint16_t id,
	       const uint8_t *tbs, size_t tbslen, const uint8_t *sig,
	       size_t siglen)
{
	const struct scheme *s = find_scheme(id);
	EVP_MD_CTX *mc;
	int err;

	if (!s)
		return -EINVAL;
	/* ECDSA on P-256 (any hash in TLS 1.2) through the key's table */
	if (hsd_pkey_precomputed(k) && is_ec(s->key) && s->hash < HSD_HASH_COUNT) {
		uint8_t dg[EVP_MAX_MD_SIZE];
		unsigned int dl = 0;

		if (EVP_Digest(tbs, tbslen, dg, &dl, c->md[s->hash], NULL) != 1)
			return -EIO;
		err = hsd_ec_table_verify(k->table, dg, dl, sig, siglen);
		if (err != -EIO)
			return err;
	}
	mc = EVP_MD_CTX_new();
	if (!mc)
		return -ENOMEM;
	ERR_set_mark();
	err = md_ctx_init(c, mc, s, k, false);
	if (!err && EVP_DigestVerify(mc, sig, siglen, tbs, tbslen) != 1)
		err = -EBADMSG;
	ERR_pop_to_mark();
	EVP_MD_CTX_free(mc);
	return err;
}

int hsd_rsa_encrypt(const struct hsd_crypto *c, struct hsd_pkey *k,
		    const uint8_t *in, size_t inlen, uint8_t *out,
		    size_t *outlen)
{
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(c->lib, k->k, NULL);
	size_t n = HSD_SIG_MAX;
	int err = -EIO;

	if (pc && EVP_PKEY_encrypt_init(pc) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1 &&
	    EVP_PKEY_encrypt(pc, out, &n, in, inlen) == 1) {
		*outlen = n;
		err = 0;
	}
	EVP_PKEY_CTX_free(pc);
	return err;
}

int hsd_rsa_decrypt_pms(const struct hsd_crypto *c, struct hsd_pkey *k,
			const uint8_t *in, size_t inlen,
			uint16_t client_version, uint8_t pms[48])
{
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(c->lib, k->k, NULL);
	unsigned int cv = client_version, nv = 0x0303;
	OSSL_PARAM params[3] = {
		OSSL_PARAM_construct_uint(
			OSSL_ASYM_CIPHER_PARAM_TLS_CLIENT_VERSION, &cv),
		OSSL_PARAM_construct_uint(
			OSSL_ASYM_CIPHER_PARAM_TLS_NEGOTIATED_VERSION, &nv),
		OSSL_PARAM_END,
	};
	size_t n = 48;
	int err = -EIO;

	/*
	 * RFC 5246 7.4.7.1: the provider's TLS padding mode checks the
	 * PKCS#1 padding and the embedded client_version in constant time and
	 * substitutes a random PreMasterSecret on any failure, without an
	 * error. Only local failures (no key, bad size) are reported.
	 */
	if (!pc || EVP_PKEY_decrypt_init(pc) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_WITH_TLS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_params(pc, params) != 1)
		goto out;
	ERR_set_mark();
	/* a wrong-sized ciphertext also just yields a random PMS */
	if (EVP_PKEY_decrypt(pc, pms, &n, in, inlen) != 1 || n != 48)
		err = hsd_random(pms, 48);
	else
		err = 0;
	ERR_pop_to_mark();
out:
	EVP_PKEY_CTX_free(pc);
	return err;
}
