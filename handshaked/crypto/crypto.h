/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The crypto layer: the only code that includes the OpenSSL headers (libcrypto,
 * never libssl). The engine sees const descriptors and opaque handles.
 *
 * struct hsd_crypto holds every algorithm fetched once at start (OpenSSL 3:
 * implicit fetches per call cost more than the cryptography on
 * handshake-sized inputs). It is immutable after hsd_crypto_new() and may be
 * shared by threads; the per-use contexts below are not shareable.
 */
#ifndef HSD_CRYPTO_H
#define HSD_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hsd_crypto;

int hsd_crypto_new(struct hsd_crypto **out);
/* the libcrypto this process runs on, e.g. "OpenSSL 3.0.19 ..." */
const char *hsd_crypto_version(void);
void hsd_crypto_free(struct hsd_crypto *c);

/* Wipe a secret (never optimised away). */
void hsd_wipe(void *p, size_t n);
/* Constant-time compare: 0 if equal. */
int hsd_ct_memcmp(const void *a, const void *b, size_t n);
/* Cryptographically secure random bytes: 0 or -EIO. */
int hsd_random(void *p, size_t n);
/*
 * Random bytes drawn ahead in one libcrypto call, in a caller's idle time:
 * each libcrypto call is a DRBG generate whatever its size, on a
 * handshake's critical path otherwise. Bytes are wiped as they are handed
 * out; the pool's page is wiped in a forked child (MADV_WIPEONFORK), which
 * then draws afresh. take() refills an empty pool itself. Not thread-safe:
 * one owner.
 */
struct hsd_rand_pool;
int hsd_rand_pool_new(struct hsd_rand_pool **out);
int hsd_rand_pool_fill(struct hsd_rand_pool *p);
/* less than half left: worth a fill() when idle */
bool hsd_rand_pool_low(const struct hsd_rand_pool *p);
size_t hsd_rand_pool_left(const struct hsd_rand_pool *p);
int hsd_rand_pool_take(struct hsd_rand_pool *p, void *out, size_t n);
void hsd_rand_pool_free(struct hsd_rand_pool *p);

/* ---- hashes, HMAC, HKDF (RFC 5869), TLS 1.2 PRF (RFC 5246 5) ---- */
enum hsd_hash_id {
	HSD_SHA256,
	HSD_SHA384,
	HSD_SHA512,
	HSD_SHA1,	/* legacy signatures from peers only */
	HSD_HASH_COUNT,
};

#define HSD_HASH_MAX 64

size_t hsd_hash_len(enum hsd_hash_id h);

struct hsd_hash_ctx;
int hsd_hash_new(const struct hsd_crypto *c, enum hsd_hash_id h,
		 struct hsd_hash_ctx **out);
int hsd_hash_update(struct hsd_hash_ctx *x, const void *p, size_t n);
/* Digest of what was hashed so far; the running hash continues. */
int hsd_hash_peek(struct hsd_hash_ctx *x, uint8_t *out);
/* The digest so far with @more appended, without appending it. */
int hsd_hash_peek_with(struct hsd_hash_ctx *x, const void *more, size_t n,
		       uint8_t *out);
void hsd_hash_free(struct hsd_hash_ctx *x);
int hsd_hash(const struct hsd_crypto *c, enum hsd_hash_id h, const void *p,
	     size_t n, uint8_t *out);

int hsd_hmac(const struct hsd_crypto *c, enum hsd_hash_id h, const void *key,
	     size_t keylen, const void *p, size_t n, uint8_t *out);
int hsd_hkdf_extract(const struct hsd_crypto *c, enum hsd_hash_id h,
		     const uint8_t *salt, size_t saltlen, const uint8_t *ikm,
		     size_t ikmlen, uint8_t *prk);
int hsd_hkdf_expand(const struct hsd_crypto *c, enum hsd_hash_id h,
		    const uint8_t *prk, const uint8_t *info, size_t infolen,
		    uint8_t *out, size_t outlen);
int hsd_tls12_prf(const struct hsd_crypto *c, enum hsd_hash_id h,
		  const uint8_t *secret, size_t secretlen, const char *label,
		  const uint8_t *seed, size_t seedlen, uint8_t *out,
		  size_t outlen);

/* ---- AEADs ---- */
enum hsd_aead_id {
	HSD_AES_128_GCM,
	HSD_AES_256_GCM,
	HSD_AES_128_CCM,
	HSD_CHACHA20_POLY1305,
	HSD_AEAD_COUNT,
};

#define HSD_AEAD_TAG_LEN 16
#define HSD_AEAD_NONCE_LEN 12
#define HSD_AEAD_KEY_MAX 32

struct hsd_aead_desc {
	enum hsd_aead_id id;
	const char *name;
	uint8_t key_len;
	/* TLS 1.2 (RFC 5288/6655/7905): implicit part of the nonce */
	uint8_t fixed_iv_len;
	/* TLS 1.2: explicit nonce carried in each record (0 for ChaCha) */
	uint8_t record_iv_len;
	/* RFC 8446 5.5 / RFC 9147 4.5.3: records per key before a rekey */
	uint64_t record_limit;
};

const struct hsd_aead_desc *hsd_aead_desc(enum hsd_aead_id id);

struct hsd_aead;
int hsd_aead_new(const struct hsd_crypto *c, enum hsd_aead_id id,
		 const uint8_t *key, struct hsd_aead **out);
/* out holds inlen + HSD_AEAD_TAG_LEN bytes; out may equal in. */
int hsd_aead_seal(struct hsd_aead *a, const uint8_t nonce[HSD_AEAD_NONCE_LEN],
		  const uint8_t *aad, size_t aadlen, const uint8_t *in,
		  size_t inlen, uint8_t *out);
/*
 * Seal in || tail (a TLS 1.3 inner content type) into out without first
 * copying in next to tail: out holds inlen + taillen + HSD_AEAD_TAG_LEN
 * bytes and does not overlap in unless out == in.
 */
int hsd_aead_seal_tail(struct hsd_aead *a,
		       const uint8_t nonce[HSD_AEAD_NONCE_LEN],
		       const uint8_t *aad, size_t aadlen, const uint8_t *in,
		       size_t inlen, const uint8_t *tail, size_t taillen,
		       uint8_t *out);
/* inlen includes the tag; -EBADMSG when it does not verify. */
int hsd_aead_open(struct hsd_aead *a, const uint8_t nonce[HSD_AEAD_NONCE_LEN],
		  const uint8_t *aad, size_t aadlen, const uint8_t *in,
		  size_t inlen, uint8_t *out);
/* The same AEAD with a new key (RFC 8446 7.3 key changes), in place. */
int hsd_aead_rekey(struct hsd_aead *a, const uint8_t *key);
void hsd_aead_free(struct hsd_aead *a);

/* ---- key exchange (TLS NamedGroup values) ---- */
enum hsd_group {
	HSD_GROUP_SECP256R1 = 0x0017,
	HSD_GROUP_SECP384R1 = 0x0018,
	HSD_GROUP_SECP521R1 = 0x0019,
	HSD_GROUP_X25519 = 0x001d,
	HSD_GROUP_X448 = 0x001e,
	HSD_GROUP_FFDHE2048 = 0x0100,
	HSD_GROUP_FFDHE3072 = 0x0101,
	HSD_GROUP_X25519MLKEM768 = 0x11ec,
};

#define HSD_KEX_PUB_MAX 1568	/* X25519MLKEM768 client share is 1216 */
#define HSD_KEX_SECRET_MAX 384

/* Does the run-time libcrypto have this group (ML-KEM: OpenSSL >= 3.5)? */
bool hsd_group_supported(const struct hsd_crypto *c, uint16_t group);
const char *hsd_group_name(uint16_t group);
/* bytes of a public share on the wire (FFDHE: |p|), 0 if unknown */
size_t hsd_group_share_len(uint16_t group);
/* a group we implement (whatever this libcrypto has) */
bool hsd_group_known(uint16_t group);
/* the group a name means (IANA, OpenSSL or NIST spelling), 0 if none */
uint16_t hsd_group_by_name(const char *name);
/* A KEM hybrid (TLS 1.3 only): the two sides' shares differ in kind. */
bool hsd_group_is_hybrid(uint16_t group);

struct hsd_kex;
/* Ephemeral key pair; the public share in TLS encoding goes to @pub. */
int hsd_kex_new(const struct hsd_crypto *c, uint16_t group,
		struct hsd_kex **out, uint8_t *pub, size_t *publen);
/* Test hook: a fixed private key (X25519/P-256/P-384 raw scalar). */
int hsd_kex_new_private(const struct hsd_crypto *c, uint16_t group,
			const uint8_t *priv, size_t privlen,
			struct hsd_kex **out, uint8_t *pub, size_t *publen);
/*
 * The responder's (TLS 1.3 server's) half of a KEM group (the hybrid): our
 * share and the shared secret from the initiator's share in one step, as
 * encapsulation needs. -EBADMSG: invalid share; -EOPNOTSUPP for (EC)DH
 * groups, whose responder is hsd_kex_new() then hsd_kex_derive().
 */
int hsd_kex_respond(const struct hsd_crypto *c, uint16_t group,
		    const uint8_t *peer, size_t peerlen, struct hsd_kex **out,
		    uint8_t *pub, size_t *publen, uint8_t *secret,
		    size_t *secretlen);
/* Shared secret from the peer's share: -EBADMSG when the share is invalid. */
int hsd_kex_derive(struct hsd_kex *k, const uint8_t *peer, size_t peerlen,
		   uint8_t *secret, size_t *secretlen);
/* The public share again (TLS encoding). */
int hsd_kex_public(struct hsd_kex *k, uint8_t *pub, size_t *publen);
uint16_t hsd_kex_group(const struct hsd_kex *k);
/* TLS 1.2 DHE (RFC 5246 7.4.3): the group's p and g, big-endian. */
int hsd_kex_dh_params(struct hsd_kex *k, uint8_t *p, size_t *plen,
		      uint8_t *g, size_t *glen);
/* Which RFC 7919 group has this p and g? 0 if none of ours. */
uint16_t hsd_dh_group_of(const struct hsd_crypto *c, const uint8_t *p,
			 size_t plen, const uint8_t *g, size_t glen);
void hsd_kex_free(struct hsd_kex *k);

/*
 * Ephemeral key pairs of one group made ahead, in a caller's idle time, so
 * that making one is off a handshake's critical path. Each is handed out
 * once and freed (wiped) by whoever takes it. Not thread-safe: one owner.
 */
struct hsd_kex_pool;
int hsd_kex_pool_new(const struct hsd_crypto *c, uint16_t group, size_t cap,
		     struct hsd_kex_pool **out);
/* 1 if a key was made, 0 if the pool is full, -errno */
int hsd_kex_pool_fill_one(struct hsd_kex_pool *p);
bool hsd_kex_pool_full(const struct hsd_kex_pool *p);
/* A key of @group and its share; -ENOENT if none ready (make one then). */
int hsd_kex_pool_take(struct hsd_kex_pool *p, uint16_t group,
		      struct hsd_kex **out, uint8_t *pub, size_t *publen);
void hsd_kex_pool_free(struct hsd_kex_pool *p);
/* the pool's group, and how many of its keys handshakes have taken */
uint16_t hsd_kex_pool_group(const struct hsd_kex_pool *p);
uint64_t hsd_kex_pool_used(const struct hsd_kex_pool *p);
/*
 * true while @k (an X25519 key from a pool) has its derivation context and
 * peer key made ahead; its first derivation uses them up.
 */
bool hsd_kex_prepared(const struct hsd_kex *k);

/* ---- keys, signatures (TLS SignatureScheme values) ---- */
enum hsd_sig_scheme {
	HSD_SIG_RSA_PKCS1_SHA256 = 0x0401,
	HSD_SIG_RSA_PKCS1_SHA384 = 0x0501,
	HSD_SIG_RSA_PKCS1_SHA512 = 0x0601,
	HSD_SIG_ECDSA_SECP256R1_SHA256 = 0x0403,
	HSD_SIG_ECDSA_SECP384R1_SHA384 = 0x0503,
	HSD_SIG_ECDSA_SECP521R1_SHA512 = 0x0603,
	HSD_SIG_RSA_PSS_RSAE_SHA256 = 0x0804,
	HSD_SIG_RSA_PSS_RSAE_SHA384 = 0x0805,
	HSD_SIG_RSA_PSS_RSAE_SHA512 = 0x0806,
	HSD_SIG_ED25519 = 0x0807,
	HSD_SIG_ED448 = 0x0808,
	HSD_SIG_RSA_PSS_PSS_SHA256 = 0x0809,
	HSD_SIG_RSA_PSS_PSS_SHA384 = 0x080a,
	HSD_SIG_RSA_PSS_PSS_SHA512 = 0x080b,
	HSD_SIG_RSA_PKCS1_SHA1 = 0x0201,
	HSD_SIG_ECDSA_SHA1 = 0x0203,
};

enum hsd_key_type {
	HSD_KEY_NONE,
	HSD_KEY_RSA,		/* rsaEncryption */
	HSD_KEY_RSA_PSS,	/* id-RSASSA-PSS */
	HSD_KEY_EC_P256,
	HSD_KEY_EC_P384,
	HSD_KEY_EC_P521,
	HSD_KEY_EC_OTHER,
	HSD_KEY_ED25519,
	HSD_KEY_ED448,
	HSD_KEY_OTHER,
};

struct hsd_pkey;
/* PEM or DER private key from a file or memory. */
int hsd_pkey_load_private(const struct hsd_crypto *c, const char *path,
			  struct hsd_pkey **out);
int hsd_pkey_private_from_mem(const struct hsd_crypto *c, const uint8_t *p,
			      size_t n, struct hsd_pkey **out);
enum hsd_key_type hsd_pkey_type(const struct hsd_pkey *k);
size_t hsd_pkey_bits(const struct hsd_pkey *k);
void hsd_pkey_free(struct hsd_pkey *k);
/* Can this key make/check signatures of @scheme (RFC 8446 4.2.3)? */
bool hsd_scheme_fits_key(const struct hsd_pkey *k, uint16_t scheme,
			 bool tls13);
const char *hsd_scheme_name(uint16_t scheme);

/*
 * ECDSA signatures with their nonce made ahead, in a caller's idle time:
 * k, r = x(kG) mod n and k^-1 mod n are the scalar multiplication and the
 * inversion, all of a signature's cost but a few products mod n (SEC 1
 * 4.1.3 steps 1-3 ahead, 4-6 when signing). hsd_sign() takes one if @k
 * has any; each is used once and wiped. Secret like the key itself; not
 * handed to a child: one made before a fork() is dropped, never reused.
 * Returns 1 if one was made, 0 if @k holds HSD_PRESIGN_MAX or is not an
 * ECDSA key, -errno. The thread that signs with @k fills it.
 */
#define HSD_PRESIGN_MAX 8
int hsd_pkey_presign_fill_one(struct hsd_pkey *k);
/*
 * How many @k holds; is it an ECDSA key short of HSD_PRESIGN_MAX; how many
 * signatures used one.
 */
unsigned int hsd_pkey_presigned(const struct hsd_pkey *k);
bool hsd_pkey_presign_short(const struct hsd_pkey *k);
uint64_t hsd_pkey_presigned_used(const struct hsd_pkey *k);

/*
 * A P-256 public key's own multiplication table, built now (~20 ms): its
 * ECDSA signatures then verify in half the time. The verification cache
 * builds them in the background for keys it sees again (x509.c). -EINVAL
 * for other keys. true once @k verifies through one.
 */
int hsd_pkey_precompute(struct hsd_pkey *k);
bool hsd_pkey_precomputed(const struct hsd_pkey *k);

int hsd_sign(const struct hsd_crypto *c, struct hsd_pkey *k, uint16_t scheme,
	     const uint8_t *tbs, size_t tbslen, uint8_t *sig, size_t *siglen);
/* 0 when valid, -EBADMSG when not. */
int hsd_verify(const struct hsd_crypto *c, struct hsd_pkey *k, uint16_t scheme,
	       const uint8_t *tbs, size_t tbslen, const uint8_t *sig,
	       size_t siglen);
#define HSD_SIG_MAX 1024

/*
 * 1 / x mod m for an odd 256-bit m and 0 < x < m, big-endian; variable time
 * (modinv.c): public values only. -EINVAL when x is not invertible.
 */
int hsd_modinv256_var(uint8_t out[32], const uint8_t x[32],
		      const uint8_t mod[32]);

/* RSA key transport (RFC 5246 7.4.7.1). */
int hsd_rsa_encrypt(const struct hsd_crypto *c, struct hsd_pkey *k,
		    const uint8_t *in, size_t inlen, uint8_t *out,
		    size_t *outlen);
/*
 * Decrypt a PreMasterSecret with the Bleichenbacher countermeasure: on any
 * padding or version failure, @pms (48 bytes) is random, in constant time,
 * and no error is returned. Errors only for local failures (-EIO).
 */
int hsd_rsa_decrypt_pms(const struct hsd_crypto *c, struct hsd_pkey *k,
			const uint8_t *in, size_t inlen,
			uint16_t client_version, uint8_t pms[48]);

/* ---- X.509 ---- */
struct hsd_x509_store;
/*
 * Trust store from a PEM bundle file and/or directory; both NULL: the
 * system's default locations. @crl: optional PEM CRL file (checked for the
 * whole chain when set).
 */
int hsd_x509_store_new(const struct hsd_crypto *c, const char *file,
		       const char *dir, const char *crl,
		       struct hsd_x509_store **out);
void hsd_x509_store_free(struct hsd_x509_store *s);

/* A certificate chain of our own: DER certificates, leaf first. */
struct hsd_cert_chain {
	size_t n;
	uint8_t *der[10];
	size_t len[10];
};
int hsd_cert_chain_load(const char *path, struct hsd_cert_chain *out);
int hsd_cert_chain_from_der(const uint8_t *der, size_t len,
			    struct hsd_cert_chain *out);
void hsd_cert_chain_clear(struct hsd_cert_chain *ch);
/* Public key of a DER certificate. */
int hsd_cert_pubkey(const struct hsd_crypto *c, const uint8_t *der, size_t len,
		    struct hsd_pkey **out);
/* Does the private key belong to the leaf certificate? */
bool hsd_cert_matches_key(const uint8_t *der, size_t len,
			  const struct hsd_pkey *k);

enum hsd_x509_purpose {
	HSD_X509_SERVER,
	HSD_X509_CLIENT,
};

/* Verdicts map onto TLS alerts (RFC 8446 6.2). */
enum hsd_x509_verdict {
	HSD_X509_OK = 0,
	HSD_X509_BAD_CERTIFICATE,	/* malformed, wrong name, wrong EKU */
	HSD_X509_UNKNOWN_CA,
	HSD_X509_EXPIRED,
	HSD_X509_REVOKED,
	HSD_X509_UNSUPPORTED,
};

/*
 * Verify a peer's chain (DER, leaf first) against @s: path to a trust anchor,
 * validity, CRLs if loaded, EKU for @purpose, and @name when not NULL (DNS
 * SAN, or IP SAN for an IP literal). Fills @why with a reason. On success
 * and with @leaf_key, hands out the leaf's public key. Parsed certificates
 * and chains that verified (identical chain, name and purpose, for at most
 * 5 minutes and never past a notAfter) are cached in the store
 * (thread-safe); a new store starts empty. Failures are never cached.
 */
enum hsd_x509_verdict hsd_x509_verify(struct hsd_x509_store *s,
				      const uint8_t *const *der,
				      const size_t *len, size_t n,
				      const char *name,
				      enum hsd_x509_purpose purpose,
				      struct hsd_pkey **leaf_key,
				      char *why, size_t whylen);
/* how many verifications the cache answered */
uint64_t hsd_x509_verify_hits(struct hsd_x509_store *s);
/*
 * Caching on (the default) or off: off, every certificate is parsed and
 * every chain verified anew, as libssl does (benchmarks' cold figures).
 * Set before the store is shared.
 */
void hsd_x509_store_set_cache(struct hsd_x509_store *s, bool on);

#endif
