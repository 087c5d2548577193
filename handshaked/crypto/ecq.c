// SPDX-License-Identifier: GPL-2.0
/*
 * ECDSA P-256 verification with a table for the peer's public key.
 *
 * A verification is u1 G + u2 Q (SEC 1 4.1.4). libcrypto multiplies G
 * through a precomputed table (37 rows of 64 multiples) but Q through a
 * windowed ladder, three quarters of the cost. Peers come back with the
 * same key (an NFS client mounting again, a host's queues, the server a
 * client reconnects to), and libcrypto builds the same table for any
 * generator: a copy of the P-256 group whose generator is Q, precomputed
 * once, makes u2 Q as cheap as u1 G. Verification handles no secret, so
 * nothing here needs constant time.
 *
 * The table costs ~20 ms of CPU and ~150 KB: it is built for keys seen
 * again and again (the verification cache asks, x509.c), on a thread of
 * its own at SCHED_IDLE, and used once ready. Tables are shared by
 * reference count; the thread holds one while it works.
 */
/* EC_GROUP_precompute_mult() is deprecated in OpenSSL 3.0, not removed. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include "handshaked/crypto/internal.h"

struct hsd_ec_table {
	atomic_int refs;
	atomic_bool ready;
	EC_GROUP *std;		/* P-256 with G: u1 G */
	EC_GROUP *q;		/* P-256 with Q as generator: u2 Q */
	EC_POINT *Q;
};

void hsd_ec_table_put(struct hsd_ec_table *t)
{
	if (!t || atomic_fetch_sub(&t->refs, 1) != 1)
		return;
	EC_POINT_free(t->Q);
	EC_GROUP_free(t->q);
	EC_GROUP_free(t->std);
	free(t);
}

struct hsd_ec_table *hsd_ec_table_get(struct hsd_ec_table *t)
{
	if (t)
		atomic_fetch_add(&t->refs, 1);
	return t;
}

bool hsd_ec_table_ready(const struct hsd_ec_table *t)
{
	return t && atomic_load(&t->ready);
}

/* the group and point of a P-256 public key, not yet precomputed */
static struct hsd_ec_table *table_new(EVP_PKEY *pub)
{
	uint8_t pt[65];
	size_t n = 0;
	struct hsd_ec_table *t;
	char grp[32];

	if (!EVP_PKEY_is_a(pub, "EC") ||
	    EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME,
					   grp, sizeof(grp), &n) != 1 ||
	    (strcmp(grp, "prime256v1") && strcmp(grp, "P-256")) ||
	    EVP_PKEY_get_octet_string_param(pub, OSSL_PKEY_PARAM_PUB_KEY, pt,
					    sizeof(pt), &n) != 1) {
		ERR_clear_error();
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	atomic_init(&t->refs, 1);
	atomic_init(&t->ready, false);
	t->std = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	t->q = t->std ? EC_GROUP_dup(t->std) : NULL;
	t->Q = t->std ? EC_POINT_new(t->std) : NULL;
	/* a point at infinity or off the curve never makes a generator */
	if (!t->q || !t->Q || EC_POINT_oct2point(t->std, t->Q, pt, n, NULL) != 1 ||
	    EC_POINT_is_at_infinity(t->std, t->Q) ||
	    EC_POINT_is_on_curve(t->std, t->Q, NULL) != 1 ||
	    EC_GROUP_set_generator(t->q, t->Q, EC_GROUP_get0_order(t->std),
				   EC_GROUP_get0_cofactor(t->std)) != 1) {
		ERR_clear_error();
		hsd_ec_table_put(t);
		return NULL;
	}
	return t;
}

static int table_build(struct hsd_ec_table *t)
{
	if (EC_GROUP_precompute_mult(t->q, NULL) != 1) {
		ERR_clear_error();
		return -EIO;
	}
	atomic_store(&t->ready, true);
	return 0;
}

struct hsd_ec_table *hsd_ec_table_new_now(EVP_PKEY *pub)
{
	struct hsd_ec_table *t = table_new(pub);

	if (t && table_build(t)) {
		hsd_ec_table_put(t);
		return NULL;
	}
	return t;
}

static void *builder(void *arg)
{
	struct sched_param sp = { 0 };
	struct hsd_ec_table *t = arg;

	/* only CPU time nothing else wants */
	pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
	table_build(t);
	hsd_ec_table_put(t);
	OPENSSL_thread_stop();
	return NULL;
}

struct hsd_ec_table *hsd_ec_table_new_async(EVP_PKEY *pub)
{
	struct hsd_ec_table *t = table_new(pub);
	pthread_attr_t a;
	pthread_t th;
	int e;

	if (!t)
		return NULL;
	hsd_ec_table_get(t);	/* the builder's */
	e = pthread_attr_init(&a);
	if (!e)
		e = pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	if (!e)
		e = pthread_create(&th, &a, builder, t);
	pthread_attr_destroy(&a);
	if (e) {
		hsd_ec_table_put(t);	/* the builder's */
		hsd_ec_table_put(t);
		return NULL;
	}
	return t;
}

/* w = 1 / s mod n; s is public (the signature's) */
static bool inverse(BIGNUM *w, const BIGNUM *s, const BIGNUM *n, BN_CTX *ctx)
{
	uint8_t sb[32], nb[32], wb[32];

	if (BN_num_bytes(n) > (int)sizeof(nb))
		return BN_mod_inverse(w, s, n, ctx);
	return BN_bn2binpad(s, sb, sizeof(sb)) == sizeof(sb) &&
	       BN_bn2binpad(n, nb, sizeof(nb)) == sizeof(nb) &&
	       !hsd_modinv256_var(wb, sb, nb) &&
	       BN_bin2bn(wb, sizeof(wb), w);
}

/*
 * SEC 1 4.1.4 with @t ready: 0 when @sig (DER ECDSA-Sig-Value) is valid
 * for the digest @dg, -EBADMSG when not, -EIO on a local failure.
 */
int hsd_ec_table_verify(const struct hsd_ec_table *t, const uint8_t *dg,
			size_t dl, const uint8_t *sig, size_t siglen)
{
	const BIGNUM *n = EC_GROUP_get0_order(t->std), *r, *s;
	const unsigned char *p = sig;
	unsigned char *der = NULL;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)siglen);
	BN_CTX *ctx = BN_CTX_new();
	EC_POINT *R = EC_POINT_new(t->std), *R2 = EC_POINT_new(t->std);
	BIGNUM *e, *w, *u1, *u2, *x;
	int bits, err = -EIO, len;

	if (!ctx || !R || !R2)
		goto out;
	BN_CTX_start(ctx);
	e = BN_CTX_get(ctx);
	w = BN_CTX_get(ctx);
	u1 = BN_CTX_get(ctx);
	u2 = BN_CTX_get(ctx);
	x = BN_CTX_get(ctx);
	if (!x)
		goto end;
	err = -EBADMSG;
	/* DER, exactly: what re-encodes to other bytes is refused, as libcrypto */
	if (!es || p != sig + siglen)
		goto end;
	len = i2d_ECDSA_SIG(es, &der);
	if (len != (int)siglen || memcmp(der, sig, siglen))
		goto end;
	ECDSA_SIG_get0(es, &r, &s);
	/* step 1: r and s in [1, n-1] */
	if (BN_is_zero(r) || BN_is_negative(r) || BN_ucmp(r, n) >= 0 ||
	    BN_is_zero(s) || BN_is_negative(s) || BN_ucmp(s, n) >= 0)
		goto end;
	err = -EIO;
	/* steps 2-3: e from the leftmost bits of the digest */
	bits = BN_num_bits(n);
	if (8 * dl > (size_t)bits)
		dl = ((size_t)bits + 7) / 8;
	if (!BN_bin2bn(dg, (int)dl, e) ||
	    (8 * dl > (size_t)bits && !BN_rshift(e, e, 8 - (bits & 7))))
		goto end;
	/* steps 4-5: u1 = e / s, u2 = r / s mod n; R = u1 G + u2 Q */
	if (!inverse(w, s, n, ctx) ||
	    !BN_mod_mul(u1, e, w, n, ctx) || !BN_mod_mul(u2, r, w, n, ctx) ||
	    EC_POINT_mul(t->std, R, u1, NULL, NULL, ctx) != 1 ||
	    EC_POINT_mul(t->q, R2, u2, NULL, NULL, ctx) != 1 ||
	    EC_POINT_add(t->std, R, R, R2, ctx) != 1)
		goto end;
	err = -EBADMSG;
	/* step 5: R at infinity is invalid; steps 6-8: x(R) mod n = r */
	if (EC_POINT_is_at_infinity(t->std, R))
		goto end;
	if (EC_POINT_get_affine_coordinates(t->std, R, x, NULL, ctx) != 1 ||
	    !BN_nnmod(x, x, n, ctx)) {
		err = -EIO;
		goto end;
	}
	err = BN_cmp(x, r) ? -EBADMSG : 0;
end:
	BN_CTX_end(ctx);
out:
	ERR_clear_error();
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	EC_POINT_free(R);
	EC_POINT_free(R2);
	BN_CTX_free(ctx);
	return err;
}
