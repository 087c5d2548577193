/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by the crypto layer's files only. */
#ifndef HSD_CRYPTO_INTERNAL_H
#define HSD_CRYPTO_INTERNAL_H

#include <pthread.h>
#include <openssl/evp.h>

#include "handshaked/crypto/crypto.h"

struct hsd_crypto {
	OSSL_LIB_CTX *lib;
	EVP_MD *md[HSD_HASH_COUNT];
	EVP_CIPHER *cipher[HSD_AEAD_COUNT];
	/* parameter-only keys to generate EC/DH ephemerals from */
	/* P-256, P-384, ffdhe2048, ffdhe3072, P-521 */
	EVP_PKEY *group_tmpl[5];
	bool have_mlkem;
	/* X25519 public keys from a comb over this table (x25519.c) */
	struct hsd_x25519_table *x25519;
	/* a public X25519 key: its context imports keys without a fetch */
	EVP_PKEY *x25519_tmpl;
};

struct hsd_pkey {
	EVP_PKEY *k;
	/* classified once: EVP_PKEY_is_a() walks the provider's name map */
	enum hsd_key_type type;
	/*
	 * Several threads may sign with one key (a multi-threaded server):
	 * @lock guards the nonces made ahead (one popped per signature, never
	 * twice: a (k^-1, r) pair used for two signatures gives the key away)
	 * and @sign_ctx, which one signer holds at a time; another signer
	 * meanwhile makes a context of its own.
	 */
	pthread_mutex_t lock;
	/* ECDSA signing context, made on first use */
	EVP_PKEY_CTX *sign_ctx;
	bool sign_ctx_busy;
	/* ECDSA nonces made ahead (hsd_pkey_presign_fill_one) */
	struct ec_key_st *ec;	/* EC_KEY: ECDSA_do_sign_ex's view of k */
	struct hsd_presig {
		struct bignum_st *kinv, *r;
	} pre[HSD_PRESIGN_MAX];
	unsigned int n_pre;
	uint64_t pre_used;	/* signatures made with one */
	int pre_pid;		/* the process that made them */
	/* P-256 public key: its table once ready (ecq.c), a reference */
	struct hsd_ec_table *table;
};

/* P-256 verification tables (ecq.c) */
struct hsd_ec_table;
struct hsd_ec_table *hsd_ec_table_new_now(EVP_PKEY *pub);
struct hsd_ec_table *hsd_ec_table_new_async(EVP_PKEY *pub);
struct hsd_ec_table *hsd_ec_table_get(struct hsd_ec_table *t);
void hsd_ec_table_put(struct hsd_ec_table *t);
bool hsd_ec_table_ready(const struct hsd_ec_table *t);
int hsd_ec_table_verify(const struct hsd_ec_table *t, const uint8_t *dg,
			size_t dl, const uint8_t *sig, size_t siglen);

struct hsd_pkey *hsd_pkey_wrap(EVP_PKEY *k);
/* @k's type by name lookups in the provider: a verification cache keeps it */
enum hsd_key_type hsd_pkey_classify(EVP_PKEY *k);
struct hsd_pkey *hsd_pkey_wrap_as(EVP_PKEY *k, enum hsd_key_type type);

struct hsd_x25519_table;
int hsd_x25519_table_new(struct hsd_x25519_table **out);
void hsd_x25519_table_free(struct hsd_x25519_table *tb);
/* RFC 7748 5: X25519(priv, 9), constant time in priv */
void hsd_x25519_base(const struct hsd_x25519_table *tb, uint8_t pub[32],
		     const uint8_t priv[32]);

EVP_PKEY *hsd_group_template(const struct hsd_crypto *c, uint16_t group);
const char *hsd_md_name(enum hsd_hash_id h);

#endif
