/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by the crypto layer's files only. */
#ifndef HSD_CRYPTO_INTERNAL_H
#define HSD_CRYPTO_INTERNAL_H

#include <openssl/evp.h>

#include "handshaked/crypto/crypto.h"

struct hsd_crypto {
	OSSL_LIB_CTX *lib;
	EVP_MD *md[HSD_HASH_COUNT];
	EVP_CIPHER *cipher[HSD_AEAD_COUNT];
	/* parameter-only keys to generate EC/DH ephemerals from */
	EVP_PKEY *group_tmpl[4];	/* P-256, P-384, ffdhe2048, ffdhe3072 */
	bool have_mlkem;
};

struct hsd_pkey {
	EVP_PKEY *k;
	/* classified once: EVP_PKEY_is_a() walks the provider's name map */
	enum hsd_key_type type;
	/* ECDSA signing context, made on first use (one thread signs) */
	EVP_PKEY_CTX *sign_ctx;
};

struct hsd_pkey *hsd_pkey_wrap(EVP_PKEY *k);

EVP_PKEY *hsd_group_template(const struct hsd_crypto *c, uint16_t group);
const char *hsd_md_name(enum hsd_hash_id h);

#endif
