// SPDX-License-Identifier: GPL-2.0
/*
 * Ephemeral key exchange: X25519, P-256, P-384 (RFC 8446 4.2.8), FFDHE
 * (RFC 7919), and the X25519MLKEM768 hybrid (draft-ietf-tls-ecdhe-mlkem)
 * when the run-time libcrypto has ML-KEM (OpenSSL >= 3.5).
 */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/bn.h>
#include <openssl/dh.h>
#include <openssl/evp.h>

#include "handshaked/crypto/internal.h"
#include "handshaked/util.h"

/*
 * draft-ietf-tls-ecdhe-mlkem 3: X25519MLKEM768 puts the ML-KEM part first
 * in both shares and in the shared secret.
 */
#define MLKEM768_EK_LEN 1184
#define MLKEM768_CT_LEN 1088
#define MLKEM_SS_LEN 32
#define X25519_LEN 32

struct hsd_kex {
	const struct hsd_crypto *c;
	EVP_PKEY *k;		/* the (EC)DH key; X25519 in the hybrid */
	uint16_t group;
	/* hybrid: the client's decapsulation key, or the server's ciphertext */
	EVP_PKEY *kem;
	bool encapsulated;
	uint8_t ct[MLKEM768_CT_LEN];
	/*
	 * X25519 made ahead (kex_prepare()): a derivation context on k and a
	 * public key for the peer's share, so that the derivation itself
	 * only puts the share in. Used once.
	 */
	EVP_PKEY_CTX *dctx;
	EVP_PKEY *peer;
};

static size_t share_len(uint16_t group);

bool hsd_group_supported(const struct hsd_crypto *c, uint16_t group)
{
	switch (group) {
	case HSD_GROUP_X25519:
	case HSD_GROUP_SECP256R1:
	case HSD_GROUP_SECP384R1:
	case HSD_GROUP_SECP521R1:
	case HSD_GROUP_X448:
	case HSD_GROUP_FFDHE2048:
	case HSD_GROUP_FFDHE3072:
		return true;
	case HSD_GROUP_X25519MLKEM768:
		return c->have_mlkem;
	default:
		return false;
	}
}

bool hsd_group_known(uint16_t group)
{
	return group == HSD_GROUP_X25519MLKEM768 || share_len(group);
}

bool hsd_group_is_hybrid(uint16_t group)
{
	return group == HSD_GROUP_X25519MLKEM768;
}

const char *hsd_group_name(uint16_t group)
{
	switch (group) {
	case HSD_GROUP_X25519:
		return "x25519";
	case HSD_GROUP_SECP256R1:
		return "secp256r1";
	case HSD_GROUP_SECP384R1:
		return "secp384r1";
	case HSD_GROUP_SECP521R1:
		return "secp521r1";
	case HSD_GROUP_X448:
		return "x448";
	case HSD_GROUP_FFDHE2048:
		return "ffdhe2048";
	case HSD_GROUP_FFDHE3072:
		return "ffdhe3072";
	case HSD_GROUP_X25519MLKEM768:
		return "X25519MLKEM768";
	default:
		return "unknown";
	}
}

size_t hsd_group_share_len(uint16_t group)
{
	return share_len(group);
}

uint16_t hsd_group_by_name(const char *name)
{
	static const struct { const char *name; uint16_t id; } names[] = {
		{ "x25519", HSD_GROUP_X25519 },
		{ "P-256", HSD_GROUP_SECP256R1 },
		{ "secp256r1", HSD_GROUP_SECP256R1 },
		{ "prime256v1", HSD_GROUP_SECP256R1 },
		{ "P-384", HSD_GROUP_SECP384R1 },
		{ "secp384r1", HSD_GROUP_SECP384R1 },
		{ "P-521", HSD_GROUP_SECP521R1 },
		{ "secp521r1", HSD_GROUP_SECP521R1 },
		{ "x448", HSD_GROUP_X448 },
		{ "ffdhe2048", HSD_GROUP_FFDHE2048 },
		{ "ffdhe3072", HSD_GROUP_FFDHE3072 },
		{ "X25519MLKEM768", HSD_GROUP_X25519MLKEM768 },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcasecmp(names[i].name, name))
			return names[i].id;
	return 0;
}

/* Size of the public share on the wire (RFC 8446 4.2.8.1/4.2.8.2). */
static size_t share_len(uint16_t group)
{
	switch (group) {
	case HSD_GROUP_X25519:
		return 32;
	case HSD_GROUP_SECP256R1:
		return 65;
	case HSD_GROUP_SECP384R1:
		return 97;
	case HSD_GROUP_SECP521R1:
		return 133;
	case HSD_GROUP_X448:
		return 56;
	case HSD_GROUP_FFDHE2048:
		return 256;
	case HSD_GROUP_FFDHE3072:
		return 384;
	default:
		return 0;
	}
}

static int export_x25519(EVP_PKEY *k, uint8_t *pub)
{
	size_t n = X25519_LEN;

	return EVP_PKEY_get_raw_public_key(k, pub, &n) == 1 &&
	       n == X25519_LEN ? 0 : -EIO;
}

static int export_share(struct hsd_kex *x, uint8_t *pub, size_t *publen)
{
	size_t want = share_len(x->group), n = 0;

	if (hsd_group_is_hybrid(x->group)) {
		/* the client's ek || X25519, or the server's ct || X25519 */
		if (x->encapsulated) {
			memcpy(pub, x->ct, MLKEM768_CT_LEN);
			n = MLKEM768_CT_LEN;
		} else {
			/* exactly the size: OpenSSL 3.5 leaves n alone if larger */
			n = MLKEM768_EK_LEN;
			if (EVP_PKEY_get_raw_public_key(x->kem, pub, &n) != 1 ||
			    n != MLKEM768_EK_LEN)
				return -EIO;
		}
		if (export_x25519(x->k, pub + n))
			return -EIO;
		*publen = n + X25519_LEN;
		return 0;
	}
	if (x->group == HSD_GROUP_X25519 || x->group == HSD_GROUP_X448) {
		n = want;
		return EVP_PKEY_get_raw_public_key(x->k, pub, &n) == 1 &&
		       n == want ? (*publen = n, 0) : -EIO;
	}
	if (EVP_PKEY_get_octet_string_param(x->k,
			OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pub, want, &n) != 1)
		return -EIO;
	if (n < want) {
		/* RFC 8446 4.2.8.1: Diffie-Hellman Y left-padded to p's size */
		memmove(pub + want - n, pub, n);
		memset(pub, 0, want - n);
	}
	*publen = want;
	return 0;
}

/*
 * An X25519 key pair from its raw halves by a context on a key of the type,
 * which needs no provider fetch by name (EVP_PKEY_new_raw_private_key_ex
 * does one each time); the private key comes with its public half, so that
 * libcrypto does not compute it again. (Peer shares: peer_key().)
 */
static EVP_PKEY *x25519_import(const struct hsd_crypto *c, uint8_t *priv,
			       uint8_t *pub)
{
	OSSL_PARAM p[3];
	EVP_PKEY_CTX *pc;
	EVP_PKEY *k = NULL;

	p[0] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PRIV_KEY,
						 priv, X25519_LEN);
	p[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pub,
						 X25519_LEN);
	p[2] = OSSL_PARAM_construct_end();
	pc = EVP_PKEY_CTX_new_from_pkey(c->lib, c->x25519_tmpl, NULL);
	if (!pc || EVP_PKEY_fromdata_init(pc) != 1 ||
	    EVP_PKEY_fromdata(pc, &k, EVP_PKEY_KEYPAIR, p) != 1)
		k = NULL;
	EVP_PKEY_CTX_free(pc);
	return k;
}

/* X25519 with the given private key (RFC 7748 5 clamps it on use) */
static EVP_PKEY *x25519_from_private(const struct hsd_crypto *c,
				     const uint8_t *priv)
{
	uint8_t k[X25519_LEN], pub[X25519_LEN];
	EVP_PKEY *key;

	memcpy(k, priv, sizeof(k));
	hsd_x25519_base(c->x25519, pub, k);
	key = x25519_import(c, k, pub);
	hsd_wipe(k, sizeof(k));
	return key;
}

/* X25519: any 32 random bytes are a private key */
static EVP_PKEY *x25519_new(const struct hsd_crypto *c)
{
	uint8_t priv[X25519_LEN];
	EVP_PKEY *k;

	if (hsd_random(priv, sizeof(priv)))
		return NULL;
	k = x25519_from_private(c, priv);
	hsd_wipe(priv, sizeof(priv));
	return k;
}

static EVP_PKEY *keygen(const struct hsd_crypto *c, uint16_t group)
{
	EVP_PKEY_CTX *pc;
	EVP_PKEY *k = NULL;

	if (group == HSD_GROUP_X25519)
		return x25519_new(c);
	if (hsd_group_is_hybrid(group))
		pc = EVP_PKEY_CTX_new_from_name(c->lib, "ML-KEM-768", NULL);
	else if (group == HSD_GROUP_X448)
		pc = EVP_PKEY_CTX_new_from_name(c->lib, "X448", NULL);
	else
		pc = EVP_PKEY_CTX_new_from_pkey(c->lib,
						hsd_group_template(c, group),
						NULL);
	if (!pc || EVP_PKEY_keygen_init(pc) != 1 || EVP_PKEY_keygen(pc, &k) != 1)
		k = NULL;
	EVP_PKEY_CTX_free(pc);
	return k;
}

static struct hsd_kex *kex_alloc(const struct hsd_crypto *c, uint16_t group)
{
	struct hsd_kex *x = OPENSSL_zalloc(sizeof(*x));

	if (x) {
		x->c = c;
		x->group = group;
	}
	return x;
}

int hsd_kex_new(const struct hsd_crypto *c, uint16_t group,
		struct hsd_kex **out, uint8_t *pub, size_t *publen)
{
	struct hsd_kex *x;
	int err;

	if (!hsd_group_supported(c, group))
		return -EOPNOTSUPP;
	x = kex_alloc(c, group);
	if (!x)
		return -ENOMEM;
	if (hsd_group_is_hybrid(group)) {
		x->kem = keygen(c, group);
		x->k = x->kem ? x25519_new(c) : NULL;
	} else {
		x->k = keygen(c, group);
	}
	if (!x->k) {
		hsd_kex_free(x);
		return -EIO;
	}
	err = export_share(x, pub, publen);
	if (err) {
		hsd_kex_free(x);
		return err;
	}
	*out = x;
	return 0;
}

int hsd_kex_new_private(const struct hsd_crypto *c, uint16_t group,
			const uint8_t *priv, size_t privlen,
			struct hsd_kex **out, uint8_t *pub, size_t *publen)
{
	struct hsd_kex *x;
	int err;

	if (group != HSD_GROUP_X25519)
		return -EOPNOTSUPP;
	x = kex_alloc(c, group);
	if (!x)
		return -ENOMEM;
	x->k = privlen == X25519_LEN ? x25519_from_private(c, priv) : NULL;
	err = x->k ? export_share(x, pub, publen) : -EINVAL;
	if (err) {
		hsd_kex_free(x);
		return err;
	}
	*out = x;
	return 0;
}

/* The (EC)DH group of x->k: the hybrid's is X25519. */
static uint16_t dh_group(const struct hsd_kex *x)
{
	return hsd_group_is_hybrid(x->group) ? HSD_GROUP_X25519 : x->group;
}

static EVP_PKEY *peer_key(struct hsd_kex *x, const uint8_t *peer, size_t n)
{
	uint16_t g = dh_group(x);
	EVP_PKEY *tmpl = hsd_group_template(x->c, g);
	EVP_PKEY *pk;

	if (n != share_len(g))
		return NULL;
	if (g == HSD_GROUP_X25519) {
		/*
		 * A copy of a public key with the peer's put in: half the cost
		 * of EVP_PKEY_fromdata, which walks the provider's name map
		 * to type the new key.
		 */
		pk = EVP_PKEY_dup(x->c->x25519_tmpl);
		if (!pk || EVP_PKEY_set1_encoded_public_key(pk, peer, n) != 1) {
			EVP_PKEY_free(pk);
			return NULL;
		}
		return pk;
	}
	if (g == HSD_GROUP_X448)
		return EVP_PKEY_new_raw_public_key_ex(x->c->lib, "X448", NULL,
						      peer, n);
	/* RFC 8446 4.2.8.2: only the uncompressed point form */
	if ((g == HSD_GROUP_SECP256R1 || g == HSD_GROUP_SECP384R1 ||
	     g == HSD_GROUP_SECP521R1) && peer[0] != 4)
		return NULL;
	pk = EVP_PKEY_new();
	if (!pk || EVP_PKEY_copy_parameters(pk, tmpl) != 1 ||
	    EVP_PKEY_set1_encoded_public_key(pk, peer, n) != 1) {
		EVP_PKEY_free(pk);
		return NULL;
	}
	return pk;
}

/*
 * The parts of an X25519 derivation that do not depend on the peer's
 * share, made while the daemon is idle (the key pool): under emulation
 * the copy of the template and the context's set-up cost a third of the
 * derivation. Without it (or when it failed) dh_derive() makes both.
 */
static void kex_prepare(struct hsd_kex *x)
{
	if (dh_group(x) != HSD_GROUP_X25519 || x->dctx)
		return;
	x->peer = EVP_PKEY_dup(x->c->x25519_tmpl);
	x->dctx = x->peer ? EVP_PKEY_CTX_new_from_pkey(x->c->lib, x->k, NULL) :
			    NULL;
	if (!x->dctx || EVP_PKEY_derive_init(x->dctx) != 1) {
		EVP_PKEY_CTX_free(x->dctx);
		EVP_PKEY_free(x->peer);
		x->dctx = NULL;
		x->peer = NULL;
	}
}

bool hsd_kex_prepared(const struct hsd_kex *x)
{
	return x->dctx;
}

static int dh_derive(struct hsd_kex *x, const uint8_t *peer, size_t peerlen,
		     uint8_t *secret, size_t *secretlen)
{
	EVP_PKEY *pk = NULL;
	EVP_PKEY_CTX *pc = NULL;
	size_t n = *secretlen;
	int err = -EBADMSG;

	if (x->dctx) {
		/* made ahead: taken over here, so used once */
		pc = x->dctx;
		pk = x->peer;
		x->dctx = NULL;
		x->peer = NULL;
		if (peerlen != X25519_LEN ||
		    EVP_PKEY_set1_encoded_public_key(pk, peer, peerlen) != 1)
			goto out;
	} else {
		pk = peer_key(x, peer, peerlen);
		if (!pk)
			return -EBADMSG;
		pc = EVP_PKEY_CTX_new_from_pkey(x->c->lib, x->k, NULL);
		if (!pc || EVP_PKEY_derive_init(pc) != 1)
			goto out;
	}
	/* RFC 8446 7.4.1: the DH secret keeps its leading zeros */
	if ((x->group == HSD_GROUP_FFDHE2048 ||
	     x->group == HSD_GROUP_FFDHE3072) &&
	    EVP_PKEY_CTX_set_dh_pad(pc, 1) != 1)
		goto out;
	/*
	 * Peer key validation, explicitly and no more than needed: P-256 and
	 * P-384 have cofactor 1, so "on the curve, not at infinity" is the full
	 * check (SP 800-56A 5.6.2.3.4; the order multiplication the default
	 * validation adds costs a scalar multiplication); FFDHE needs
	 * 1 < Y < p-1 (RFC 7919 5.1); X25519 and X448 need none (RFC 7748
	 * 6.1/6.2: the all-zero result is refused by the derivation).
	 */
	if (dh_group(x) != HSD_GROUP_X25519 && dh_group(x) != HSD_GROUP_X448) {
		EVP_PKEY_CTX *vc = EVP_PKEY_CTX_new_from_pkey(x->c->lib, pk, NULL);
		int ok = vc && EVP_PKEY_public_check_quick(vc) == 1;

		EVP_PKEY_CTX_free(vc);
		if (!ok)
			goto out;
	}
	if (EVP_PKEY_derive_set_peer_ex(pc, pk, 0) != 1 ||
	    EVP_PKEY_derive(pc, secret, &n) != 1)
		goto out;
	*secretlen = n;
	err = 0;
out:
	EVP_PKEY_CTX_free(pc);
	EVP_PKEY_free(pk);
	return err;
}

/*
 * The client's half of the hybrid: ML-KEM-768 decapsulation of the server's
 * ciphertext, then X25519. A ciphertext of the right size always decapsulates
 * (FIPS 203 implicit rejection: a forged one gives a secret the server does
 * not have, and the handshake fails at Finished).
 */
static int hybrid_decap(struct hsd_kex *x, const uint8_t *peer, size_t n,
			uint8_t *secret, size_t *secretlen)
{
	size_t sl = MLKEM_SS_LEN, xl = X25519_LEN;
	EVP_PKEY_CTX *pc;
	int ok;

	if (n != MLKEM768_CT_LEN + X25519_LEN || x->encapsulated)
		return -EBADMSG;
	pc = EVP_PKEY_CTX_new_from_pkey(x->c->lib, x->kem, NULL);
	ok = pc && EVP_PKEY_decapsulate_init(pc, NULL) == 1 &&
	     EVP_PKEY_decapsulate(pc, secret, &sl, peer,
				  MLKEM768_CT_LEN) == 1 && sl == MLKEM_SS_LEN;
	EVP_PKEY_CTX_free(pc);
	if (!ok)
		return -EBADMSG;
	if (dh_derive(x, peer + MLKEM768_CT_LEN, X25519_LEN, secret + sl, &xl) ||
	    xl != X25519_LEN) {
		hsd_wipe(secret, sl);
		return -EBADMSG;
	}
	*secretlen = sl + xl;
	return 0;
}

int hsd_kex_derive(struct hsd_kex *x, const uint8_t *peer, size_t peerlen,
		   uint8_t *secret, size_t *secretlen)
{
	*secretlen = HSD_KEX_SECRET_MAX;
	if (hsd_group_is_hybrid(x->group))
		return hybrid_decap(x, peer, peerlen, secret, secretlen);
	return dh_derive(x, peer, peerlen, secret, secretlen);
}

/*
 * The server's half of the hybrid: encapsulate to the client's ML-KEM-768
 * key (its import runs FIPS 203 7.2's modulus check: a bad key is the
 * client's fault), then X25519 with a fresh key.
 */
static int hybrid_encap(struct hsd_kex *x, const uint8_t *peer, size_t n,
			uint8_t *secret, size_t *secretlen)
{
	size_t ctl = MLKEM768_CT_LEN, sl = MLKEM_SS_LEN, xl = X25519_LEN;
	EVP_PKEY_CTX *pc = NULL;
	EVP_PKEY *ek;
	int ok;

	if (n != MLKEM768_EK_LEN + X25519_LEN)
		return -EBADMSG;
	ek = EVP_PKEY_new_raw_public_key_ex(x->c->lib, "ML-KEM-768", NULL, peer,
					    MLKEM768_EK_LEN);
	if (!ek)
		return -EBADMSG;
	pc = EVP_PKEY_CTX_new_from_pkey(x->c->lib, ek, NULL);
	ok = pc && EVP_PKEY_encapsulate_init(pc, NULL) == 1 &&
	     EVP_PKEY_encapsulate(pc, x->ct, &ctl, secret, &sl) == 1 &&
	     ctl == MLKEM768_CT_LEN && sl == MLKEM_SS_LEN;
	EVP_PKEY_CTX_free(pc);
	EVP_PKEY_free(ek);
	if (!ok)
		return -EIO;
	x->encapsulated = true;
	if (dh_derive(x, peer + MLKEM768_EK_LEN, X25519_LEN, secret + sl, &xl) ||
	    xl != X25519_LEN) {
		hsd_wipe(secret, sl);
		return -EBADMSG;
	}
	*secretlen = sl + xl;
	return 0;
}

int hsd_kex_respond(const struct hsd_crypto *c, uint16_t group,
		    const uint8_t *peer, size_t peerlen, struct hsd_kex **out,
		    uint8_t *pub, size_t *publen, uint8_t *secret,
		    size_t *secretlen)
{
	struct hsd_kex *x;
	int err;

	if (!hsd_group_is_hybrid(group) || !hsd_group_supported(c, group))
		return -EOPNOTSUPP;
	x = kex_alloc(c, group);
	if (!x)
		return -ENOMEM;
	x->k = x25519_new(c);
	err = x->k ? hybrid_encap(x, peer, peerlen, secret, secretlen) : -EIO;
	if (!err)
		err = export_share(x, pub, publen);
	if (err) {
		hsd_wipe(secret, HSD_KEX_SECRET_MAX);
		hsd_kex_free(x);
		return err;
	}
	*out = x;
	return 0;
}

int hsd_kex_public(struct hsd_kex *x, uint8_t *pub, size_t *publen)
{
	return export_share(x, pub, publen);
}

static int bn_param(EVP_PKEY *k, const char *name, uint8_t *out, size_t *n)
{
	BIGNUM *bn = NULL;
	int len;

	if (EVP_PKEY_get_bn_param(k, name, &bn) != 1)
		return -EIO;
	len = BN_bn2bin(bn, out);
	BN_free(bn);
	if (len <= 0)
		return -EIO;
	*n = (size_t)len;
	return 0;
}

int hsd_kex_dh_params(struct hsd_kex *x, uint8_t *p, size_t *plen,
		      uint8_t *g, size_t *glen)
{
	if (x->group != HSD_GROUP_FFDHE2048 && x->group != HSD_GROUP_FFDHE3072)
		return -EINVAL;
	if (bn_param(x->k, OSSL_PKEY_PARAM_FFC_P, p, plen) ||
	    bn_param(x->k, OSSL_PKEY_PARAM_FFC_G, g, glen))
		return -EIO;
	return 0;
}

uint16_t hsd_dh_group_of(const struct hsd_crypto *c, const uint8_t *p,
			 size_t plen, const uint8_t *g, size_t glen)
{
	static const uint16_t groups[] = { HSD_GROUP_FFDHE2048,
					   HSD_GROUP_FFDHE3072 };
	uint8_t mp[512], mg[8];
	size_t mpl, mgl, i;

	for (i = 0; i < 2; i++) {
		EVP_PKEY *t = hsd_group_template(c, groups[i]);

		if (bn_param(t, OSSL_PKEY_PARAM_FFC_P, mp, &mpl) ||
		    bn_param(t, OSSL_PKEY_PARAM_FFC_G, mg, &mgl))
			continue;
		if (mpl == plen && !memcmp(mp, p, plen) && mgl == glen &&
		    !memcmp(mg, g, glen))
			return groups[i];
	}
	return 0;
}

uint16_t hsd_kex_group(const struct hsd_kex *x)
{
	return x->group;
}

void hsd_kex_free(struct hsd_kex *x)
{
	if (!x)
		return;
	EVP_PKEY_CTX_free(x->dctx);
	EVP_PKEY_free(x->peer);
	EVP_PKEY_free(x->k);
	EVP_PKEY_free(x->kem);
	OPENSSL_clear_free(x, sizeof(*x));
}

/* each key with the share made with it: taking one exports nothing */
struct pooled_kex {
	struct hsd_kex *k;
	size_t publen;
	uint8_t pub[HSD_KEX_PUB_MAX];
};

struct hsd_kex_pool {
	const struct hsd_crypto *c;
	/* the process that made the keys: a forked child must not use them */
	int pid;
	uint16_t group;
	size_t n, cap;
	uint64_t used;
	struct pooled_kex e[];
};

int hsd_kex_pool_new(const struct hsd_crypto *c, uint16_t group, size_t cap,
		     struct hsd_kex_pool **out)
{
	struct hsd_kex_pool *p;

	if (!hsd_group_supported(c, group) || hsd_group_is_hybrid(group))
		return -EOPNOTSUPP;
	p = OPENSSL_zalloc(sizeof(*p) + cap * sizeof(p->e[0]));
	if (!p)
		return -ENOMEM;
	p->c = c;
	p->pid = (int)getpid();
	p->group = group;
	p->cap = cap;
	*out = p;
	return 0;
}

bool hsd_kex_pool_full(const struct hsd_kex_pool *p)
{
	return p->n == p->cap;
}

/*
 * After a fork both processes hold the same keys: the child drops its
 * copies (the parent keeps its own), so no ephemeral key serves twice.
 */
static void pool_fork_guard(struct hsd_kex_pool *p)
{
	if (p->pid == (int)getpid())
		return;
	while (p->n) {
		p->n--;
		hsd_kex_free(p->e[p->n].k);
		p->e[p->n].k = NULL;
	}
	p->pid = (int)getpid();
}

int hsd_kex_pool_fill_one(struct hsd_kex_pool *p)
{
	struct pooled_kex *e;
	int err;

	pool_fork_guard(p);
	if (hsd_kex_pool_full(p))
		return 0;
	e = &p->e[p->n];
	err = hsd_kex_new(p->c, p->group, &e->k, e->pub, &e->publen);
	if (err)
		return err;
	kex_prepare(e->k);
	p->n++;
	return 1;
}

int hsd_kex_pool_take(struct hsd_kex_pool *p, uint16_t group,
		      struct hsd_kex **out, uint8_t *pub, size_t *publen)
{
	struct pooled_kex *e;

	pool_fork_guard(p);
	if (!p->n || group != p->group)
		return -ENOENT;
	e = &p->e[--p->n];
	p->used++;
	*out = e->k;
	memcpy(pub, e->pub, e->publen);
	*publen = e->publen;
	e->k = NULL;
	return 0;
}

uint16_t hsd_kex_pool_group(const struct hsd_kex_pool *p)
{
	return p ? p->group : 0;
}

uint64_t hsd_kex_pool_used(const struct hsd_kex_pool *p)
{
	return p ? p->used : 0;
}

void hsd_kex_pool_free(struct hsd_kex_pool *p)
{
	if (!p)
		return;
	while (p->n)
		hsd_kex_free(p->e[--p->n].k);
	OPENSSL_free(p);
}
