// SPDX-License-Identifier: GPL-2.0
/* The crypto layer against published vectors and round trips. */
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "selftests/engine/common.h"

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = 0;
	unsigned int b;

	while (h[0] && h[1]) {
		if (h[0] == ' ') {
			h++;
			continue;
		}
		sscanf(h, "%2x", &b);
		out[n++] = (uint8_t)b;
		h += 2;
	}
	return n;
}

FIXTURE(crypto)
{
	struct hsd_crypto *cr;
};

FIXTURE_SETUP(crypto)
{
	ASSERT_EQ(0, hsd_crypto_new(&self->cr));
}

FIXTURE_TEARDOWN(crypto)
{
	hsd_crypto_free(self->cr);
}

/* RFC 5869 A.1 */
TEST_F(crypto, hkdf_rfc5869_case1)
{
	uint8_t ikm[22], salt[13], info[10], prk[32], okm[42], want[64];

	memset(ikm, 0x0b, sizeof(ikm));
	unhex("000102030405060708090a0b0c", salt);
	unhex("f0f1f2f3f4f5f6f7f8f9", info);
	ASSERT_EQ(0, hsd_hkdf_extract(self->cr, HSD_SHA256, salt, 13, ikm, 22, prk));
	unhex("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5", want);
	EXPECT_EQ(0, memcmp(prk, want, 32));
	ASSERT_EQ(0, hsd_hkdf_expand(self->cr, HSD_SHA256, prk, info, 10, okm, 42));
	unhex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
	      "34007208d5b887185865", want);
	EXPECT_EQ(0, memcmp(okm, want, 42));
}

/* RFC 4231 4.3 and 4.7 (a key longer than the block), RFC 2202 2 (SHA-1) */
TEST_F(crypto, hmac_rfc4231_every_hash)
{
	static const struct {
		enum hsd_hash_id h;
		bool long_key;
		const char *mac;
	} v[] = {
		{ HSD_SHA256, false, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
		{ HSD_SHA384, false, "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649" },
		{ HSD_SHA512, false, "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737" },
		{ HSD_SHA1, false, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79" },
		{ HSD_SHA256, true, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
		{ HSD_SHA384, true, "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952" },
		{ HSD_SHA512, true, "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598" },
	};
	static const char *data = "what do ya want for nothing?";
	static const char *long_data =
		"Test Using Larger Than Block-Size Key - Hash Key First";
	uint8_t key[131], out[64], want[64];
	size_t i, n;

	memset(key, 0xaa, sizeof(key));
	for (i = 0; i < ARRAY_SIZE(v); i++) {
		const char *d = v[i].long_key ? long_data : data;

		n = unhex(v[i].mac, want);
		ASSERT_EQ(0, hsd_hmac(self->cr, v[i].h,
				      v[i].long_key ? key : (const uint8_t *)"Jefe",
				      v[i].long_key ? sizeof(key) : 4, d, strlen(d), out));
		EXPECT_EQ(0, memcmp(out, want, n)) TH_LOG("vector %zu", i);
	}
}

/* TLS 1.2 PRF (P_SHA256), the widely used test vector */
TEST_F(crypto, tls12_prf_sha256)
{
	uint8_t secret[16], seed[16], out[100], want[100];

	unhex("9bbe436ba940f017b17652849a71db35", secret);
	unhex("a0ba9f936cda311827a6f796ffd5198c", seed);
	ASSERT_EQ(0, hsd_tls12_prf(self->cr, HSD_SHA256, secret, 16,
				   "test label", seed, 16, out, 100));
	unhex("e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a"
	      "6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab"
	      "4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701"
	      "87347b66", want);
	EXPECT_EQ(0, memcmp(out, want, 100));
}

/* RFC 7748 6.1 */
TEST_F(crypto, x25519_rfc7748)
{
	uint8_t a[32], bpub[32], pub[HSD_KEX_PUB_MAX], s[64], want[32];
	struct hsd_kex *k;
	size_t n, sl;

	unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", a);
	unhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", bpub);
	ASSERT_EQ(0, hsd_kex_new_private(self->cr, HSD_GROUP_X25519, a, 32, &k,
					 pub, &n));
	unhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", want);
	EXPECT_EQ(0, memcmp(pub, want, 32));
	ASSERT_EQ(0, hsd_kex_derive(k, bpub, 32, s, &sl));
	unhex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", want);
	EXPECT_EQ(32U, sl);
	EXPECT_EQ(0, memcmp(s, want, 32));
	hsd_kex_free(k);
}

/* X25519(k, 9) of @k by our comb and by libcrypto's ladder (peer u = 9) */
static int x25519_base_both(struct hsd_crypto *cr, const uint8_t k[32],
			    uint8_t comb[32], uint8_t ladder[32])
{
	static const uint8_t u9[32] = { 9 };
	uint8_t pub[HSD_KEX_PUB_MAX], s[HSD_KEX_SECRET_MAX];
	struct hsd_kex *x;
	size_t n, sl;
	int err;

	err = hsd_kex_new_private(cr, HSD_GROUP_X25519, k, 32, &x, pub, &n);
	if (err)
		return err;
	err = hsd_kex_derive(x, u9, 32, s, &sl);
	hsd_kex_free(x);
	if (err || n != 32 || sl != 32)
		return err ? err : -EIO;
	memcpy(comb, pub, 32);
	memcpy(ladder, s, 32);
	return 0;
}

/*
 * The public key comes from a fixed-base comb (crypto/x25519.c), not from
 * libcrypto: it must equal the ladder's X25519(k, 9) for every scalar,
 * including the ones whose signed digits sit at the ends of [-8, 8].
 */
TEST_F(crypto, x25519_public_keys_match_the_ladder)
{
	static const uint8_t fill[] = { 0x00, 0xff, 0x88, 0x77, 0x80, 0x08,
					0xf8, 0x8f, 0x01, 0x10 };
	uint8_t k[32], comb[32], ladder[32];
	unsigned int i, bad = 0;

	for (i = 0; i < sizeof(fill) + 3000; i++) {
		if (i < sizeof(fill))
			memset(k, fill[i], sizeof(k));
		else
			ASSERT_EQ(0, hsd_random(k, sizeof(k)));
		ASSERT_EQ(0, x25519_base_both(self->cr, k, comb, ladder));
		if (memcmp(comb, ladder, 32)) {
			bad++;
			TH_LOG("scalar %u (%02x %02x ...) differs", i, k[0], k[1]);
		}
		/* the encoding is canonical: below p, top bit clear */
		EXPECT_EQ(0, comb[31] & 0x80);
	}
	EXPECT_EQ(0U, bad);
}

/*
 * A pool hands out each key it made once, only for its group, with its
 * X25519 derivation made ahead (used once; a bad share uses it up too).
 */
TEST_F(crypto, kex_pool_hands_out_each_key_once)
{
	uint8_t pub[3][HSD_KEX_PUB_MAX], peer[HSD_KEX_PUB_MAX];
	uint8_t s1[HSD_KEX_SECRET_MAX], s2[HSD_KEX_SECRET_MAX];
	struct hsd_kex_pool *p;
	struct hsd_kex *k[3], *b;
	size_t n[3], pn, l1, l2;
	int i;

	EXPECT_EQ(-EOPNOTSUPP, hsd_kex_pool_new(self->cr,
						HSD_GROUP_X25519MLKEM768, 3, &p));
	ASSERT_EQ(0, hsd_kex_pool_new(self->cr, HSD_GROUP_X25519, 3, &p));
	EXPECT_EQ(-ENOENT, hsd_kex_pool_take(p, HSD_GROUP_X25519, &k[0],
					     pub[0], &n[0]));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(1, hsd_kex_pool_fill_one(p));
	EXPECT_EQ(0, hsd_kex_pool_fill_one(p));
	EXPECT_TRUE(hsd_kex_pool_full(p));
	EXPECT_EQ(-ENOENT, hsd_kex_pool_take(p, HSD_GROUP_SECP256R1, &k[0],
					     pub[0], &n[0]));
	ASSERT_EQ(0, hsd_kex_new(self->cr, HSD_GROUP_X25519, &b, peer, &pn));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, hsd_kex_pool_take(p, HSD_GROUP_X25519, &k[i],
					       pub[i], &n[i]));
		EXPECT_EQ(32U, n[i]);
		if (i)
			EXPECT_NE(0, memcmp(pub[i], pub[i - 1], 32));
		/* the share handed out is the key's: both sides agree */
		EXPECT_TRUE(hsd_kex_prepared(k[i]));
		if (i == 2) {
			/* a bad share uses up what was made ahead, and only that */
			EXPECT_EQ(-EBADMSG, hsd_kex_derive(k[i], peer, pn - 1, s1, &l1));
			EXPECT_FALSE(hsd_kex_prepared(k[i]));
		}
		if (i == 1) {
			memset(s1, 0, 32);
			EXPECT_EQ(-EBADMSG, hsd_kex_derive(k[i], s1, 32, s1, &l1));
			EXPECT_FALSE(hsd_kex_prepared(k[i]));
		}
		ASSERT_EQ(0, hsd_kex_derive(k[i], peer, pn, s1, &l1));
		EXPECT_FALSE(hsd_kex_prepared(k[i]));
		ASSERT_EQ(0, hsd_kex_derive(b, pub[i], n[i], s2, &l2));
		EXPECT_EQ(32U, l1);
		EXPECT_EQ(0, memcmp(s1, s2, l1));
		/* and again, made afresh: the same secret */
		ASSERT_EQ(0, hsd_kex_derive(k[i], peer, pn, s2, &l2));
		EXPECT_EQ(0, memcmp(s1, s2, l1));
		hsd_kex_free(k[i]);
	}
	EXPECT_EQ(-ENOENT, hsd_kex_pool_take(p, HSD_GROUP_X25519, &k[0],
					     pub[0], &n[0]));
	hsd_kex_free(b);
	hsd_kex_pool_free(p);
}

/*
 * A random pool hands out each byte once, refills itself when empty, and a
 * forked child never sees its parent's bytes (MADV_WIPEONFORK).
 */
TEST_F(crypto, rand_pool_hands_out_each_byte_once)
{
	uint8_t a[32], b[32], big[2048];
	struct hsd_rand_pool *p;
	size_t full, i;
	int pipefd[2], st;
	pid_t pid;

	ASSERT_EQ(0, hsd_rand_pool_new(&p));
	EXPECT_EQ(0U, hsd_rand_pool_left(p));
	EXPECT_TRUE(hsd_rand_pool_low(p));
	ASSERT_EQ(0, hsd_rand_pool_fill(p));
	EXPECT_FALSE(hsd_rand_pool_low(p));
	full = hsd_rand_pool_left(p);
	EXPECT_GE(full, 4000U);
	ASSERT_EQ(0, hsd_rand_pool_take(p, a, sizeof(a)));
	ASSERT_EQ(0, hsd_rand_pool_take(p, b, sizeof(b)));
	EXPECT_EQ(full - 64, hsd_rand_pool_left(p));
	EXPECT_NE(0, memcmp(a, b, sizeof(a)));
	/* large draws go straight to libcrypto */
	ASSERT_EQ(0, hsd_rand_pool_take(p, big, sizeof(big)));
	EXPECT_EQ(full - 64, hsd_rand_pool_left(p));
	/* the child's pool is empty: it draws its own, never the parent's */
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		size_t left = hsd_rand_pool_left(p);

		if (hsd_rand_pool_take(p, a, sizeof(a)))
			_exit(2);
		if (write(pipefd[1], &left, sizeof(left)) != sizeof(left) ||
		    write(pipefd[1], a, sizeof(a)) != sizeof(a))
			_exit(3);
		_exit(0);
	}
	close(pipefd[1]);
	{
		size_t cleft = 1;

		EXPECT_EQ((ssize_t)sizeof(cleft), read(pipefd[0], &cleft, sizeof(cleft)));
		EXPECT_EQ(0U, cleft);
		EXPECT_EQ((ssize_t)sizeof(b), read(pipefd[0], b, sizeof(b)));
	}
	close(pipefd[0]);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, WEXITSTATUS(st));
	ASSERT_EQ(0, hsd_rand_pool_take(p, a, sizeof(a)));
	EXPECT_NE(0, memcmp(a, b, sizeof(a)));
	EXPECT_EQ(full - 96, hsd_rand_pool_left(p));
	/* drained, it refills itself */
	for (i = 0; i < full / 32 + 2; i++)
		ASSERT_EQ(0, hsd_rand_pool_take(p, a, sizeof(a)));
	EXPECT_GT(hsd_rand_pool_left(p), 0U);
	hsd_rand_pool_free(p);
}

TEST_F(crypto, every_group_agrees)
{
	static const uint16_t g[] = { HSD_GROUP_X25519, HSD_GROUP_SECP256R1,
				      HSD_GROUP_SECP384R1, HSD_GROUP_FFDHE2048,
				      HSD_GROUP_FFDHE3072 };
	uint8_t pa[HSD_KEX_PUB_MAX], pb[HSD_KEX_PUB_MAX];
	uint8_t sa[HSD_KEX_SECRET_MAX], sb[HSD_KEX_SECRET_MAX];
	struct hsd_kex *a, *b;
	size_t na, nb, la, lb, i;

	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, hsd_kex_new(self->cr, g[i], &a, pa, &na));
		ASSERT_EQ(0, hsd_kex_new(self->cr, g[i], &b, pb, &nb));
		ASSERT_EQ(0, hsd_kex_derive(a, pb, nb, sa, &la));
		ASSERT_EQ(0, hsd_kex_derive(b, pa, na, sb, &lb));
		EXPECT_EQ(la, lb);
		EXPECT_EQ(0, memcmp(sa, sb, la));
		/* an off-curve point, or Y = 1 (RFC 7919 5.1), is refused */
		if (g[i] == HSD_GROUP_SECP256R1 || g[i] == HSD_GROUP_SECP384R1)
			pb[nb / 2] ^= 0x55;
		if (g[i] == HSD_GROUP_FFDHE2048 || g[i] == HSD_GROUP_FFDHE3072) {
			memset(pb, 0, nb);
			pb[nb - 1] = 1;
		}
		/* X25519: u = 0 and u = 1 are of small order: all-zero secret */
		if (g[i] == HSD_GROUP_X25519) {
			memset(pb, 0, nb);
			EXPECT_EQ(-EBADMSG, hsd_kex_derive(a, pb, nb, sa, &la));
			pb[0] = 1;
		}
		EXPECT_EQ(-EBADMSG, hsd_kex_derive(a, pb, nb, sa, &la))
			TH_LOG("%s", hsd_group_name(g[i]));
		EXPECT_EQ(-EBADMSG, hsd_kex_derive(a, pb, nb - 1, sa, &la));
		hsd_kex_free(a);
		hsd_kex_free(b);
	}
}

/*
 * X25519MLKEM768 (draft-ietf-tls-ecdhe-mlkem): the client's share is an
 * ML-KEM-768 key || X25519, the server answers with a ciphertext || X25519,
 * both get ML-KEM's secret || X25519's. Only where libcrypto has ML-KEM.
 */
TEST_F(crypto, x25519mlkem768_agrees_and_refuses_bad_shares)
{
	uint8_t pa[HSD_KEX_PUB_MAX], pb[HSD_KEX_PUB_MAX], pc[HSD_KEX_PUB_MAX];
	uint8_t sa[HSD_KEX_SECRET_MAX], sb[HSD_KEX_SECRET_MAX];
	struct hsd_kex *a, *b, *x;
	size_t na, nb, nc, la, lb;

	if (!hsd_group_supported(self->cr, HSD_GROUP_X25519MLKEM768))
		SKIP(return, "this libcrypto has no ML-KEM (OpenSSL < 3.5)");
	ASSERT_TRUE(hsd_group_is_hybrid(HSD_GROUP_X25519MLKEM768));
	ASSERT_EQ(0, hsd_kex_new(self->cr, HSD_GROUP_X25519MLKEM768, &a, pa, &na));
	ASSERT_EQ(1184U + 32, na);
	ASSERT_EQ(0, hsd_kex_respond(self->cr, HSD_GROUP_X25519MLKEM768, pa, na,
				     &b, pb, &nb, sb, &lb));
	ASSERT_EQ(1088U + 32, nb);
	ASSERT_EQ(64U, lb);
	/* the share is what hsd_kex_public says, after encapsulation too */
	ASSERT_EQ(0, hsd_kex_public(b, pc, &nc));
	ASSERT_EQ(nb, nc);
	EXPECT_EQ(0, memcmp(pb, pc, nb));
	ASSERT_EQ(0, hsd_kex_derive(a, pb, nb, sa, &la));
	ASSERT_EQ(64U, la);
	EXPECT_EQ(0, memcmp(sa, sb, 64));
	hsd_kex_free(b);

	/* a second responder: fresh randomness, another secret */
	ASSERT_EQ(0, hsd_kex_respond(self->cr, HSD_GROUP_X25519MLKEM768, pa, na,
				     &b, pc, &nc, sb, &lb));
	EXPECT_NE(0, memcmp(pb, pc, nb));
	EXPECT_NE(0, memcmp(sa, sb, 32));
	hsd_kex_free(b);

	/* FIPS 203 implicit rejection: a forged ciphertext gives another secret */
	pb[100] ^= 1;
	ASSERT_EQ(0, hsd_kex_derive(a, pb, nb, sb, &lb));
	EXPECT_NE(0, memcmp(sa, sb, 32));
	EXPECT_EQ(0, memcmp(sa + 32, sb + 32, 32));
	/* wrong sizes either way, and an X25519 share that gives zero */
	EXPECT_EQ(-EBADMSG, hsd_kex_derive(a, pb, nb - 1, sb, &lb));
	EXPECT_EQ(-EBADMSG, hsd_kex_derive(a, pa, na, sb, &lb));
	memset(pb + 1088, 0, 32);
	EXPECT_EQ(-EBADMSG, hsd_kex_derive(a, pb, nb, sb, &lb));
	EXPECT_EQ(-EBADMSG, hsd_kex_respond(self->cr, HSD_GROUP_X25519MLKEM768,
					    pa, na - 1, &x, pc, &nc, sb, &lb));
	EXPECT_EQ(-EBADMSG, hsd_kex_respond(self->cr, HSD_GROUP_X25519MLKEM768,
					    pb, nb, &x, pc, &nc, sb, &lb));
	/* FIPS 203 7.2: coefficients of the key at or above q are refused */
	memcpy(pc, pa, na);
	memset(pc, 0xff, 384);
	EXPECT_EQ(-EBADMSG, hsd_kex_respond(self->cr, HSD_GROUP_X25519MLKEM768,
					    pc, na, &x, pb, &nb, sb, &lb));
	hsd_kex_free(a);
}

/* Without ML-KEM the group is refused, never half-done. */
TEST_F(crypto, x25519mlkem768_only_with_mlkem)
{
	uint8_t p[HSD_KEX_PUB_MAX], s[HSD_KEX_SECRET_MAX];
	struct hsd_kex *k = NULL;
	size_t n, l;

	if (hsd_group_supported(self->cr, HSD_GROUP_X25519MLKEM768))
		SKIP(return, "this libcrypto has ML-KEM");
	EXPECT_EQ(-EOPNOTSUPP, hsd_kex_new(self->cr, HSD_GROUP_X25519MLKEM768,
					   &k, p, &n));
	memset(p, 1, 1216);
	EXPECT_EQ(-EOPNOTSUPP, hsd_kex_respond(self->cr, HSD_GROUP_X25519MLKEM768,
					       p, 1216, &k, p, &n, s, &l));
	EXPECT_EQ(NULL, k);
}

TEST_F(crypto, every_aead_round_trip_and_tamper)
{
	uint8_t key[32], nonce[12], aad[13], msg[300], ct[316], pt[316];
	struct hsd_aead *e, *d;
	int id;

	memset(key, 7, sizeof(key));
	memset(nonce, 9, sizeof(nonce));
	memset(aad, 1, sizeof(aad));
	memset(msg, 0x5a, sizeof(msg));
	for (id = 0; id < HSD_AEAD_COUNT; id++) {
		ASSERT_EQ(0, hsd_aead_new(self->cr, id, key, &e));
		ASSERT_EQ(0, hsd_aead_new(self->cr, id, key, &d));
		ASSERT_EQ(0, hsd_aead_seal(e, nonce, aad, 13, msg, 300, ct));
		ASSERT_EQ(0, hsd_aead_open(d, nonce, aad, 13, ct, 316, pt))
			TH_LOG("%s", hsd_aead_desc(id)->name);
		EXPECT_EQ(0, memcmp(pt, msg, 300));
		/* the same context seals and opens again (per-record reuse) */
		nonce[11]++;
		ASSERT_EQ(0, hsd_aead_seal(e, nonce, aad, 13, msg, 300, ct));
		ASSERT_EQ(0, hsd_aead_open(d, nonce, aad, 13, ct, 316, pt))
			TH_LOG("%s second record", hsd_aead_desc(id)->name);
		ct[315] ^= 1;
		EXPECT_EQ(-EBADMSG, hsd_aead_open(d, nonce, aad, 13, ct, 316, pt));
		ct[315] ^= 1;
		ct[3] ^= 1;
		EXPECT_EQ(-EBADMSG, hsd_aead_open(d, nonce, aad, 13, ct, 316, pt));
		ct[3] ^= 1;
		/*
		 * A context given a new key seals as a new context with that
		 * key does, and opens only what the new key sealed.
		 */
		{
			uint8_t key2[32], ct2[316];
			struct hsd_aead *f;

			memset(key2, 0x3c, sizeof(key2));
			ASSERT_EQ(0, hsd_aead_new(self->cr, id, key2, &f));
			ASSERT_EQ(0, hsd_aead_seal(f, nonce, aad, 13, msg, 300, ct2));
			ASSERT_EQ(0, hsd_aead_rekey(e, key2));
			ASSERT_EQ(0, hsd_aead_seal(e, nonce, aad, 13, msg, 300, pt));
			EXPECT_EQ(0, memcmp(pt, ct2, 316))
				TH_LOG("%s rekeyed", hsd_aead_desc(id)->name);
			EXPECT_EQ(-EBADMSG, hsd_aead_open(d, nonce, aad, 13, ct2, 316, pt));
			ASSERT_EQ(0, hsd_aead_rekey(d, key2));
			EXPECT_EQ(0, hsd_aead_open(d, nonce, aad, 13, ct2, 316, pt));
			EXPECT_EQ(0, memcmp(pt, msg, 300));
			EXPECT_EQ(-EBADMSG, hsd_aead_open(d, nonce, aad, 13, ct, 316, pt));
			hsd_aead_free(f);
		}
		hsd_aead_free(e);
		hsd_aead_free(d);
	}
}

/* RFC 8448 3: the server's handshake write key/iv and its first record */
TEST_F(crypto, aes128gcm_rfc8448_server_handshake_key)
{
	uint8_t key[16], iv[12], ct[64], pt[64];
	struct hsd_aead *a;

	unhex("3fce516009c21727d0f2e4e86ee403bc", key);
	unhex("5d313eb2671276ee13000b30", iv);
	ASSERT_EQ(0, hsd_aead_new(self->cr, HSD_AES_128_GCM, key, &a));
	memset(pt, 0, sizeof(pt));
	ASSERT_EQ(0, hsd_aead_seal(a, iv, (const uint8_t *)"", 0, pt, 16, ct));
	ASSERT_EQ(0, hsd_aead_open(a, iv, (const uint8_t *)"", 0, ct, 32, pt));
	hsd_aead_free(a);
}

static int verify(struct hsd_x509_store *st,
		  const struct hsd_cert_chain *ch,
		  const char *name, enum hsd_x509_purpose p,
		  bool want_key)
{
	const uint8_t *der[10];
	struct hsd_pkey *k = NULL;
	enum hsd_x509_verdict v;
	char why[128];
	size_t i;

	for (i = 0; i < ch->n; i++)
		der[i] = ch->der[i];
	v = hsd_x509_verify(st, der, ch->len, ch->n, name, p,
			    want_key ? &k : NULL, why, sizeof(why));
	if (want_key && v == HSD_X509_OK && !k)
		v = HSD_X509_UNSUPPORTED;
	hsd_pkey_free(k);
	return v;
}

/* the key type of @ch's leaf as the store answers for it */
static int verified_type(struct hsd_x509_store *st,
			 const struct hsd_cert_chain *ch)
{
	const uint8_t *der[10];
	struct hsd_pkey *k = NULL;
	char why[128];
	size_t i;
	int t = -1;

	for (i = 0; i < ch->n; i++)
		der[i] = ch->der[i];
	if (hsd_x509_verify(st, der, ch->len, ch->n, "server.test",
			    HSD_X509_SERVER, &k, why, sizeof(why)) == HSD_X509_OK && k)
		t = (int)hsd_pkey_type(k);
	hsd_pkey_free(k);
	return t;
}

/*
 * A chain that verified is answered from the store's cache when the same
 * chain, name and purpose come again; any difference, a failure, or a new
 * store goes through the full verification.
 */
TEST_F(crypto, verified_chains_are_cached_exactly)
{
	struct hsd_cert_chain ec = { 0 }, rsa = { 0 }, untrusted = { 0 };
	struct hsd_x509_store *st, *st2;

	ASSERT_EQ(0, hsd_x509_store_new(self->cr, HSD_CERTS "/ca.pem", NULL,
					NULL, &st));
	ASSERT_EQ(0, hsd_cert_chain_load(HSD_CERTS "/server-ec.pem", &ec));
	ASSERT_EQ(0, hsd_cert_chain_load(HSD_CERTS "/server-rsa.pem", &rsa));
	ASSERT_EQ(0, hsd_cert_chain_load(HSD_CERTS "/untrusted.pem", &untrusted));

	EXPECT_EQ(HSD_X509_OK, verify(st, &ec, "server.test", HSD_X509_SERVER, true));
	EXPECT_EQ(0, (int)hsd_x509_verify_hits(st));
	EXPECT_EQ(HSD_X509_OK, verify(st, &ec, "server.test", HSD_X509_SERVER, true));
	EXPECT_EQ(1, (int)hsd_x509_verify_hits(st));
	/* a cached answer's key is typed as the full verification's */
	EXPECT_EQ(HSD_KEY_EC_P256, verified_type(st, &ec));
	EXPECT_EQ(2, (int)hsd_x509_verify_hits(st));
	EXPECT_EQ(HSD_X509_OK, verify(st, &rsa, "server.test", HSD_X509_SERVER, true));
	EXPECT_EQ(HSD_KEY_RSA, verified_type(st, &rsa));
	EXPECT_EQ(3, (int)hsd_x509_verify_hits(st));
	EXPECT_EQ(HSD_X509_OK, verify(st, &ec, "server.test", HSD_X509_SERVER, false));
	EXPECT_EQ(4, (int)hsd_x509_verify_hits(st));
	/* another name: verified again, and a wrong one still fails */
	EXPECT_EQ(HSD_X509_OK, verify(st, &ec, "127.0.0.1", HSD_X509_SERVER, true));
	EXPECT_EQ(4, (int)hsd_x509_verify_hits(st));
	EXPECT_EQ(HSD_X509_BAD_CERTIFICATE,
		  verify(st, &ec, "other.test", HSD_X509_SERVER, true));
	EXPECT_EQ(HSD_X509_BAD_CERTIFICATE,
		  verify(st, &ec, "other.test", HSD_X509_SERVER, true));
	/* another purpose: a server certificate is no client certificate */
	EXPECT_EQ(HSD_X509_BAD_CERTIFICATE,
		  verify(st, &ec, NULL, HSD_X509_CLIENT, true));
	/* the other chain again */
	EXPECT_EQ(HSD_X509_OK, verify(st, &rsa, "server.test", HSD_X509_SERVER, true));
	EXPECT_EQ(5, (int)hsd_x509_verify_hits(st));
	/* failures are never kept */
	EXPECT_EQ(HSD_X509_UNKNOWN_CA,
		  verify(st, &untrusted, "server.test", HSD_X509_SERVER, true));
	EXPECT_EQ(HSD_X509_UNKNOWN_CA,
		  verify(st, &untrusted, "server.test", HSD_X509_SERVER, true));
	EXPECT_EQ(5, (int)hsd_x509_verify_hits(st));
	/* a store without that CA (a reload) knows nothing of the cache */
	ASSERT_EQ(0, hsd_x509_store_new(self->cr, HSD_CERTS "/other-ca.pem",
					NULL, NULL, &st2));
	EXPECT_EQ(HSD_X509_UNKNOWN_CA,
		  verify(st2, &ec, "server.test", HSD_X509_SERVER, true));
	EXPECT_EQ(0, (int)hsd_x509_verify_hits(st2));
	hsd_x509_store_free(st2);
	hsd_x509_store_free(st);
	hsd_cert_chain_clear(&ec);
	hsd_cert_chain_clear(&rsa);
	hsd_cert_chain_clear(&untrusted);
}

/*
 * A store with caching off (the benchmarks' cold figures) verifies every
 * chain in full, and still tells good from bad; turned on again, it
 * caches as before.
 */
TEST_F(crypto, store_without_cache_verifies_every_time)
{
	struct hsd_cert_chain ec = { 0 }, untrusted = { 0 };
	struct hsd_x509_store *st;
	int i;

	ASSERT_EQ(0, hsd_x509_store_new(self->cr, HSD_CERTS "/ca.pem", NULL,
					NULL, &st));
	ASSERT_EQ(0, hsd_cert_chain_load(HSD_CERTS "/server-ec.pem", &ec));
	ASSERT_EQ(0, hsd_cert_chain_load(HSD_CERTS "/untrusted.pem", &untrusted));
	hsd_x509_store_set_cache(st, false);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(HSD_X509_OK, verify(st, &ec, "server.test", HSD_X509_SERVER, true));
		EXPECT_EQ(HSD_KEY_EC_P256, verified_type(st, &ec));
		EXPECT_EQ(HSD_X509_BAD_CERTIFICATE,
			  verify(st, &ec, "other.test", HSD_X509_SERVER, true));
		EXPECT_EQ(HSD_X509_UNKNOWN_CA,
			  verify(st, &untrusted, "server.test", HSD_X509_SERVER, true));
	}
	EXPECT_EQ(0, (int)hsd_x509_verify_hits(st));
	hsd_x509_store_set_cache(st, true);
	EXPECT_EQ(HSD_X509_OK, verify(st, &ec, "server.test", HSD_X509_SERVER, true));
	EXPECT_EQ(HSD_X509_OK, verify(st, &ec, "server.test", HSD_X509_SERVER, true));
	EXPECT_EQ(1, (int)hsd_x509_verify_hits(st));
	hsd_x509_store_free(st);
	hsd_cert_chain_clear(&ec);
	hsd_cert_chain_clear(&untrusted);
}

/* sign @msg with @k: the DER signature in @sig, its length or -1 */
static int sign_msg(struct hsd_crypto *cr, struct hsd_pkey *k, uint16_t scheme,
		    const char *msg, uint8_t *sig)
{
	size_t n = HSD_SIG_MAX;

	if (hsd_sign(cr, k, scheme, (const uint8_t *)msg, strlen(msg), sig, &n))
		return -1;
	return (int)n;
}

/*
 * SEC 1 4.1.3 with k, r and k^-1 made ahead: every signature verifies, each
 * nonce is used once (the same message signed twice with one nonce gives
 * the same signature), then signing goes on without, and a forked child
 * never signs with its parent's.
 */
TEST_F(crypto, ecdsa_nonces_made_ahead_are_used_once)
{
	static const struct { const char *name; uint16_t scheme; } keys[] = {
		{ "server-ec", HSD_SIG_ECDSA_SECP256R1_SHA256 },
		{ "server-p384", HSD_SIG_ECDSA_SECP384R1_SHA384 },
	};
	static const char msg[] = "TLS 1.3, server CertificateVerify";
	uint8_t sig[2 * HSD_PRESIGN_MAX + 1][HSD_SIG_MAX];
	int len[2 * HSD_PRESIGN_MAX + 1], i, j, fd[2], st;
	struct hsd_pkey *pub;
	struct cred c;
	size_t u;
	pid_t pid;

	for (u = 0; u < ARRAY_SIZE(keys); u++) {
		ASSERT_EQ(0, cred_load(self->cr, keys[u].name, &c));
		ASSERT_EQ(0, hsd_cert_pubkey(self->cr, c.chain.der[0], c.chain.len[0], &pub));
		for (i = 0; hsd_pkey_presign_fill_one(c.key) == 1; i++)
			;
		EXPECT_EQ(HSD_PRESIGN_MAX, i);
		EXPECT_EQ(HSD_PRESIGN_MAX, (int)hsd_pkey_presigned(c.key));
		/* a child gets none of them */
		ASSERT_EQ(0, pipe(fd));
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			uint8_t s[HSD_SIG_MAX];
			int n = hsd_pkey_presigned(c.key) ? -1 :
				sign_msg(self->cr, c.key, keys[u].scheme, msg, s);

			_exit(n > 0 && write(fd[1], s, (size_t)n) == n ? 0 : 1);
		}
		close(fd[1]);
		len[2 * HSD_PRESIGN_MAX] = (int)read(fd[0], sig[2 * HSD_PRESIGN_MAX], HSD_SIG_MAX);
		close(fd[0]);
		ASSERT_EQ(pid, waitpid(pid, &st, 0));
		ASSERT_EQ(0, st);
		ASSERT_LT(0, len[2 * HSD_PRESIGN_MAX]);
		for (i = 0; i < 2 * HSD_PRESIGN_MAX; i++) {
			len[i] = sign_msg(self->cr, c.key, keys[u].scheme, msg, sig[i]);
			ASSERT_LT(0, len[i]);
			EXPECT_EQ(i < HSD_PRESIGN_MAX ? HSD_PRESIGN_MAX - 1 - i : 0,
				  (int)hsd_pkey_presigned(c.key));
			EXPECT_EQ(0, hsd_verify(self->cr, pub, keys[u].scheme,
						(const uint8_t *)msg, strlen(msg),
						sig[i], (size_t)len[i]));
		}
		EXPECT_EQ(0, hsd_verify(self->cr, pub, keys[u].scheme,
					(const uint8_t *)msg, strlen(msg),
					sig[2 * HSD_PRESIGN_MAX],
					(size_t)len[2 * HSD_PRESIGN_MAX]));
		/* all different, the child's too: no nonce twice */
		for (i = 0; i <= 2 * HSD_PRESIGN_MAX; i++)
			for (j = i + 1; j <= 2 * HSD_PRESIGN_MAX; j++)
				EXPECT_FALSE(len[i] == len[j] &&
					     !memcmp(sig[i], sig[j], (size_t)len[i]))
					TH_LOG("%s: signatures %d and %d are equal",
					       keys[u].name, i, j);
		/* and a changed message does not verify */
		EXPECT_EQ(-EBADMSG, hsd_verify(self->cr, pub, keys[u].scheme,
					       (const uint8_t *)msg, strlen(msg) - 1,
					       sig[0], (size_t)len[0]));
		hsd_pkey_free(pub);
		cred_free(&c);
	}
	/* not an ECDSA key: nothing to make */
	ASSERT_EQ(0, cred_load(self->cr, "server-rsa", &c));
	EXPECT_EQ(0, hsd_pkey_presign_fill_one(c.key));
	EXPECT_EQ(0, (int)hsd_pkey_presigned(c.key));
	cred_free(&c);
}

/* several threads sign with one key while nonces are made ahead */
#define SIGNERS 4
#define SIGS_EACH 100

struct signer {
	struct hsd_crypto *cr;
	struct hsd_pkey *key;
	uint8_t sig[SIGS_EACH][HSD_SIG_MAX];
	int len[SIGS_EACH];
	volatile bool *stop;
};

static void *sign_many(void *arg)
{
	struct signer *s = arg;
	int i;

	for (i = 0; i < SIGS_EACH; i++)
		s->len[i] = sign_msg(s->cr, s->key, HSD_SIG_ECDSA_SECP256R1_SHA256,
				     "one message, many signers", s->sig[i]);
	return NULL;
}

static void *fill_nonces(void *arg)
{
	struct signer *s = arg;

	while (!*s->stop)
		if (hsd_pkey_presign_fill_one(s->key) < 0)
			break;
	return NULL;
}

/*
 * A key shared by the threads of a server: each nonce made ahead goes to
 * one signature only (one message signed twice with one nonce gives the
 * same signature, and two such signatures of different messages the key),
 * and the key's signing context is never used by two threads at once.
 */
TEST_F(crypto, concurrent_signers_never_share_a_nonce)
{
	static struct signer sg[SIGNERS + 1];
	volatile bool stop = false;
	pthread_t th[SIGNERS + 1];
	struct hsd_pkey *pub;
	struct cred c;
	int i, j, a, b, n = 0;

	ASSERT_EQ(0, cred_load(self->cr, "server-ec", &c));
	ASSERT_EQ(0, hsd_cert_pubkey(self->cr, c.chain.der[0], c.chain.len[0], &pub));
	for (i = 0; i <= SIGNERS; i++) {
		sg[i].cr = self->cr;
		sg[i].key = c.key;
		sg[i].stop = &stop;
	}
	ASSERT_EQ(0, pthread_create(&th[SIGNERS], NULL, fill_nonces, &sg[SIGNERS]));
	for (i = 0; i < SIGNERS; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, sign_many, &sg[i]));
	for (i = 0; i < SIGNERS; i++)
		pthread_join(th[i], NULL);
	stop = true;
	pthread_join(th[SIGNERS], NULL);
	for (i = 0; i < SIGNERS; i++) {
		for (j = 0; j < SIGS_EACH; j++) {
			ASSERT_LT(0, sg[i].len[j]);
			EXPECT_EQ(0, hsd_verify(self->cr, pub,
						HSD_SIG_ECDSA_SECP256R1_SHA256,
						(const uint8_t *)"one message, many signers",
						25, sg[i].sig[j], (size_t)sg[i].len[j]));
		}
	}
	/* no two signatures alike, across threads too */
	for (a = 0; a < SIGNERS * SIGS_EACH; a++)
		for (b = a + 1; b < SIGNERS * SIGS_EACH; b++) {
			struct signer *x = &sg[a / SIGS_EACH], *y = &sg[b / SIGS_EACH];
			int ia = a % SIGS_EACH, ib = b % SIGS_EACH;

			n += x->len[ia] == y->len[ib] &&
			     !memcmp(x->sig[ia], y->sig[ib], (size_t)x->len[ia]);
		}
	EXPECT_EQ(0, n);
	/* the nonces made ahead were used */
	EXPECT_LT(0U, hsd_pkey_presigned_used(c.key));
	hsd_pkey_free(pub);
	cred_free(&c);
}

/* after a fork the child never takes the parent's pooled X25519 keys */
TEST_F(crypto, kex_pool_not_shared_with_a_forked_child)
{
	uint8_t pub[HSD_KEX_PUB_MAX];
	struct hsd_kex_pool *p;
	struct hsd_kex *k;
	size_t n;
	int i, st;
	pid_t pid;

	ASSERT_EQ(0, hsd_kex_pool_new(self->cr, HSD_GROUP_X25519, 4, &p));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(1, hsd_kex_pool_fill_one(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* none to take; one made in the child is its own */
		int e = hsd_kex_pool_take(p, HSD_GROUP_X25519, &k, pub, &n);

		if (e != -ENOENT || hsd_kex_pool_fill_one(p) != 1 ||
		    hsd_kex_pool_take(p, HSD_GROUP_X25519, &k, pub, &n))
			_exit(1);
		hsd_kex_free(k);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, st);
	/* the parent keeps its four */
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, hsd_kex_pool_take(p, HSD_GROUP_X25519, &k, pub, &n));
		hsd_kex_free(k);
	}
	EXPECT_EQ(-ENOENT, hsd_kex_pool_take(p, HSD_GROUP_X25519, &k, pub, &n));
	hsd_kex_pool_free(p);
}

/* P-256's order n, big-endian */
static const uint8_t p256_n[32] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
	0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};

/* a DER INTEGER (up to 33 bytes) into 32 big-endian bytes */
static int der_int(const uint8_t **p, const uint8_t *end, uint8_t out[32])
{
	size_t n;

	if (end - *p < 2 || (*p)[0] != 0x02)
		return -1;
	n = (*p)[1];
	*p += 2;
	if (n > 33 || (size_t)(end - *p) < n)
		return -1;
	memset(out, 0, 32);
	if (n == 33)
		memcpy(out, *p + 1, 32);
	else
		memcpy(out + 32 - n, *p, n);
	*p += n;
	return 0;
}

/* ECDSA-Sig-Value as DER; @pad adds a (non-DER) leading zero to r */
static size_t der_sig(const uint8_t r[32], const uint8_t s[32], bool pad,
		      uint8_t *out)
{
	const uint8_t *v[2] = { r, s };
	size_t n = 2, i, k;

	for (i = 0; i < 2; i++) {
		for (k = 0; k < 31 && !v[i][k]; k++)
			;
		out[n] = 0x02;
		out[n + 1] = (uint8_t)(32 - k + (v[i][k] & 0x80 ? 1 : 0) +
				       (pad && !i));
		n += 2;
		if (v[i][k] & 0x80 || (pad && !i))
			out[n++] = 0;
		if ((v[i][k] & 0x80) && pad && !i)
			out[n++] = 0;
		memcpy(out + n, v[i] + k, 32 - k);
		n += 32 - k;
	}
	out[0] = 0x30;
	out[1] = (uint8_t)(n - 2);
	return n;
}

/* a - b for 32-byte big-endian numbers (a >= b) */
static void sub32(const uint8_t a[32], const uint8_t b[32], uint8_t out[32])
{
	int i, borrow = 0, d;

	for (i = 31; i >= 0; i--) {
		d = a[i] - b[i] - borrow;
		borrow = d < 0;
		out[i] = (uint8_t)(d + (borrow ? 256 : 0));
	}
}

/*
 * ECDSA P-256 through the key's own table (ecq.c) and through libcrypto's
 * EVP_DigestVerify give the same verdict on valid signatures, the other
 * valid one (r, n - s), and on every malformed or out-of-range one.
 */
TEST_F(crypto, ecdsa_p256_table_agrees_with_libcrypto)
{
	const uint16_t sch = HSD_SIG_ECDSA_SECP256R1_SHA256;
	uint8_t sig[HSD_SIG_MAX], bad[HSD_SIG_MAX], r[32], s[32], x[32];
	uint8_t msg[64], one[32] = { [31] = 1 }, zero[32] = { 0 };
	struct hsd_pkey *plain, *tab;
	const uint8_t *p;
	size_t n, bl, k;
	struct cred c;
	int i, a, b, valid = 0;

	ASSERT_EQ(0, cred_load(self->cr, "server-ec", &c));
	ASSERT_EQ(0, hsd_cert_pubkey(self->cr, c.chain.der[0], c.chain.len[0], &plain));
	ASSERT_EQ(0, hsd_cert_pubkey(self->cr, c.chain.der[0], c.chain.len[0], &tab));
	EXPECT_FALSE(hsd_pkey_precomputed(tab));
	ASSERT_EQ(0, hsd_pkey_precompute(tab));
	ASSERT_TRUE(hsd_pkey_precomputed(tab));
	for (i = 0; i < 64; i++) {
		memset(msg, i, sizeof(msg));
		msg[0] = (uint8_t)(i >> 3);
		n = sizeof(sig);
		ASSERT_EQ(0, hsd_sign(self->cr, c.key, sch, msg, sizeof(msg), sig, &n));
		EXPECT_EQ(0, hsd_verify(self->cr, tab, sch, msg, sizeof(msg), sig, n));
		p = sig + 2;
		ASSERT_EQ(0, der_int(&p, sig + n, r));
		ASSERT_EQ(0, der_int(&p, sig + n, s));
		for (k = 0; k < 12; k++) {
			switch (k) {
			case 0:		/* as signed */
				bl = der_sig(r, s, false, bad);
				break;
			case 1:		/* (r, n - s) is valid too */
				sub32(p256_n, s, x);
				bl = der_sig(r, x, false, bad);
				break;
			case 2:
				bl = der_sig(zero, s, false, bad);
				break;
			case 3:
				bl = der_sig(r, zero, false, bad);
				break;
			case 4:
				bl = der_sig(p256_n, s, false, bad);
				break;
			case 5:
				bl = der_sig(r, p256_n, false, bad);
				break;
			case 6:		/* r + n would not fit; r - 1 */
				sub32(r, one, x);
				bl = der_sig(x, s, false, bad);
				break;
			case 7:
				bl = der_sig(s, r, false, bad);
				break;
			case 8:		/* not DER: a leading zero */
				bl = der_sig(r, s, true, bad);
				break;
			case 9:		/* a byte after the sequence */
				bl = der_sig(r, s, false, bad);
				bad[bl++] = 0;
				break;
			case 10:	/* one bit of s */
				bl = der_sig(r, s, false, bad);
				bad[bl - 1 - (size_t)(i % 20)] ^= (uint8_t)(1 << (i & 7));
				break;
			default:	/* truncated */
				bl = der_sig(r, s, false, bad) - 1 - (size_t)(i % 30);
				break;
			}
			a = hsd_verify(self->cr, plain, sch, msg, sizeof(msg), bad, bl);
			b = hsd_verify(self->cr, tab, sch, msg, sizeof(msg), bad, bl);
			EXPECT_EQ(a, b) TH_LOG("signature %d, case %zu", i, k);
			EXPECT_EQ(k < 2 ? 0 : -EBADMSG, b) TH_LOG("signature %d, case %zu", i, k);
			valid += !b;
		}
		/* another message */
		msg[5] ^= 1;
		EXPECT_EQ(-EBADMSG, hsd_verify(self->cr, tab, sch, msg, sizeof(msg), sig, n));
	}
	EXPECT_EQ(128, valid);
	/* the table is P-256's only */
	cred_free(&c);
	ASSERT_EQ(0, cred_load(self->cr, "server-p384", &c));
	EXPECT_EQ(-EINVAL, hsd_pkey_precompute(c.key));
	hsd_pkey_free(plain);
	hsd_pkey_free(tab);
	cred_free(&c);
}

/* a = a + b - (a + b >= m ? m : 0), for a, b < m (32 bytes, big-endian) */
static void addmod32(uint8_t a[32], const uint8_t b[32], const uint8_t m[32])
{
	uint8_t t[32];
	int i, c = 0, ge = 0, d;

	for (i = 31; i >= 0; i--) {
		c += a[i] + b[i];
		t[i] = (uint8_t)c;
		c >>= 8;
	}
	/* the sum is 257 bits: it is >= m when it carried or t >= m */
	ge = c || memcmp(t, m, 32) >= 0;
	for (i = 31, c = 0; i >= 0; i--) {
		d = t[i] - (ge ? m[i] : 0) - c;
		c = d < 0;
		a[i] = (uint8_t)(d + (c ? 256 : 0));
	}
}

/* x y mod m, one bit of x at a time: the test's own oracle */
static void mulmod32(const uint8_t x[32], const uint8_t y[32],
		     const uint8_t m[32], uint8_t out[32])
{
	uint8_t r[32] = { 0 }, t[32];
	int i;

	for (i = 0; i < 256; i++) {
		memcpy(t, r, 32);
		addmod32(r, t, m);
		if (x[i / 8] >> (7 - i % 8) & 1)
			addmod32(r, y, m);
	}
	memcpy(out, r, 32);
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * The divsteps inverse (crypto/modinv.c) ECDSA verification uses: x * (1/x)
 * = 1 mod m by the test's own multiplication, for the P-256 order and
 * field prime, 2^255 - 19, small and random odd moduli, inputs at the ends
 * (1, 2, m - 1, m - 2, powers of two) and random; refused: 0, m and above,
 * an even modulus, x sharing a factor with m.
 */
TEST_F(crypto, modinv256_var_inverts_exactly)
{
	static const uint8_t p256_p[32] = {
		0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, [12 ... 31] = 0,
	};
	uint8_t m[32], x[32], inv[32], prod[32], one[32] = { [31] = 1 };
	uint8_t p2519[32], small[32] = { [31] = 3 };
	uint64_t rs = 0x9e3779b97f4a7c15ULL;
	int i, j, checked = 0;

	memset(p2519, 0xff, 32);
	p2519[0] = 0x7f;
	p2519[31] = 0xed;
	for (i = 0; i < 3000; i++) {
		switch (i % 6) {
		case 0:
			memcpy(m, p256_n, 32);
			break;
		case 1:
			memcpy(m, p256_p, 32);
			memset(m + 20, 0xff, 12);
			break;
		case 2:
			memcpy(m, p2519, 32);
			break;
		case 3:		/* a modulus of 2 to 64 bits */
			memset(m, 0, 32);
			for (j = 0; j < 8; j++)
				m[24 + j] = (uint8_t)xorshift(&rs);
			m[24] >>= i % 8;
			m[31] |= 1;
			if (!memcmp(m, one, 32))
				memcpy(m, small, 32);
			break;
		default:	/* random, odd, any top bits */
			for (j = 0; j < 32; j++)
				m[j] = (uint8_t)xorshift(&rs);
			m[0] >>= i % 5;
			m[31] |= 1;
			break;
		}
		switch (i % 7) {
		case 0:
			memcpy(x, one, 32);
			break;
		case 1:
			memcpy(x, one, 32);
			x[31] = 2;
			break;
		case 2:
			sub32(m, one, x);
			break;
		case 3:
			sub32(m, one, x);
			sub32(x, one, x);
			break;
		case 4:
			memset(x, 0, 32);
			x[31 - (i / 7) % 32] = (uint8_t)(1 << (i % 8));
			break;
		default:
			for (j = 0; j < 32; j++)
				x[j] = (uint8_t)xorshift(&rs);
			break;
		}
		/* x below m: the random ones by reduction (x * 1 mod m) */
		if (memcmp(x, m, 32) >= 0)
			mulmod32(x, one, m, x);
		if (!memcmp(x, (uint8_t[32]){ 0 }, 32))
			continue;
		if (hsd_modinv256_var(inv, x, m)) {
			/* refused: then x must not be invertible (a common factor) */
			uint8_t a[32], b[32], t[32];

			memcpy(a, m, 32);
			memcpy(b, x, 32);
			while (memcmp(b, (uint8_t[32]){ 0 }, 32)) {
				/* gcd by subtraction with halving of the even side */
				while (!(b[31] & 1)) {
					for (j = 31; j >= 0; j--)
						b[j] = (uint8_t)(b[j] >> 1 |
							 (j ? b[j - 1] << 7 : 0));
				}
				if (memcmp(a, b, 32) > 0) {
					memcpy(t, a, 32);
					memcpy(a, b, 32);
					memcpy(b, t, 32);
				}
				sub32(b, a, b);
			}
			EXPECT_NE(0, memcmp(a, one, 32)) TH_LOG("case %d refused an invertible x", i);
			continue;
		}
		EXPECT_LT(memcmp(inv, m, 32), 0) TH_LOG("case %d", i);
		mulmod32(x, inv, m, prod);
		EXPECT_EQ(0, memcmp(prod, one, 32)) TH_LOG("case %d", i);
		checked++;
	}
	EXPECT_GT(checked, 2500);
	/* refused outright */
	memcpy(m, p256_n, 32);
	EXPECT_EQ(-EINVAL, hsd_modinv256_var(inv, (uint8_t[32]){ 0 }, m));
	EXPECT_EQ(-EINVAL, hsd_modinv256_var(inv, m, m));
	memset(x, 0xff, 32);
	EXPECT_EQ(-EINVAL, hsd_modinv256_var(inv, x, m));
	m[31] ^= 1;
	EXPECT_EQ(-EINVAL, hsd_modinv256_var(inv, one, m));
	memset(m, 0, 32);
	m[31] = 15;
	x[31] = 6;
	memset(x, 0, 31);
	EXPECT_EQ(-EINVAL, hsd_modinv256_var(inv, x, m));
}

/*
 * A P-256 leaf the cache answers for again and again gets its own table,
 * built in the background: from then on the key it hands out verifies
 * through it. An RSA leaf never gets one.
 */
TEST_F(crypto, cached_p256_leaf_gets_a_table)
{
	const uint16_t sch = HSD_SIG_ECDSA_SECP256R1_SHA256;
	struct hsd_cert_chain rsa = { 0 };
	struct hsd_x509_store *st;
	const uint8_t *der[10];
	struct hsd_pkey *leaf;
	uint8_t sig[HSD_SIG_MAX];
	char why[128];
	struct cred c;
	size_t i, n;
	int tries;

	ASSERT_EQ(0, hsd_x509_store_new(self->cr, HSD_CERTS "/ca.pem", NULL,
					NULL, &st));
	ASSERT_EQ(0, cred_load(self->cr, "server-ec", &c));
	ASSERT_EQ(0, hsd_cert_chain_load(HSD_CERTS "/server-rsa.pem", &rsa));
	for (i = 0; i < c.chain.n; i++)
		der[i] = c.chain.der[i];
	n = sizeof(sig);
	ASSERT_EQ(0, hsd_sign(self->cr, c.key, sch, (const uint8_t *)"tbs", 3, sig, &n));
	for (tries = 0; tries < 500; tries++) {
		leaf = NULL;
		ASSERT_EQ(HSD_X509_OK,
			  (int)hsd_x509_verify(st, der, c.chain.len, c.chain.n,
					       "server.test", HSD_X509_SERVER,
					       &leaf, why, sizeof(why)));
		ASSERT_NE(NULL, leaf);
		/* not before it came back */
		if (tries < 2)
			EXPECT_FALSE(hsd_pkey_precomputed(leaf));
		EXPECT_EQ(0, hsd_verify(self->cr, leaf, sch, (const uint8_t *)"tbs", 3, sig, n));
		EXPECT_EQ(-EBADMSG, hsd_verify(self->cr, leaf, sch, (const uint8_t *)"tbz", 3, sig, n));
		if (hsd_pkey_precomputed(leaf)) {
			hsd_pkey_free(leaf);
			break;
		}
		hsd_pkey_free(leaf);
		usleep(20000);
	}
	EXPECT_GT(500, tries) TH_LOG("no table after 10 s");
	for (i = 0; i < rsa.n; i++)
		der[i] = rsa.der[i];
	for (tries = 0; tries < 8; tries++) {
		leaf = NULL;
		ASSERT_EQ(HSD_X509_OK,
			  (int)hsd_x509_verify(st, der, rsa.len, rsa.n,
					       "server.test", HSD_X509_SERVER,
					       &leaf, why, sizeof(why)));
		EXPECT_FALSE(hsd_pkey_precomputed(leaf));
		hsd_pkey_free(leaf);
	}
	hsd_x509_store_free(st);
	hsd_cert_chain_clear(&rsa);
	cred_free(&c);
}

/*
 * FIPS 180-4 examples (NIST's "abc" and two-block vectors) for every hash,
 * one-shot and running; a peek leaves the running hash as it was.
 */
TEST_F(crypto, hashes_fips180_and_peeks)
{
	static const char two[] =
		"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	static const struct { enum hsd_hash_id h; const char *abc, *two; } v[] = {
		{ HSD_SHA1, "a9993e364706816aba3e25717850c26c9cd0d89d",
		  "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
		{ HSD_SHA256,
		  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
		{ HSD_SHA384,
		  "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
		  "3391fdddfc8dc7393707a65b1b4709397cf8b1d162af05abfe8f450de5f36bc6b0455a8520bc4e6f5fe95b1fe3c8452b" },
		{ HSD_SHA512,
		  "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
		  "204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c33596fd15c13b1b07f9aa1d3bea57789ca031ad85c7a71dd70354ec631238ca3445" },
	};
	uint8_t want[HSD_HASH_MAX], got[HSD_HASH_MAX];
	struct hsd_hash_ctx *x;
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(v); i++) {
		n = unhex(v[i].abc, want);
		ASSERT_EQ(hsd_hash_len(v[i].h), n);
		ASSERT_EQ(0, hsd_hash(self->cr, v[i].h, "abc", 3, got));
		EXPECT_EQ(0, memcmp(want, got, n)) TH_LOG("hash %zu abc", i);
		/* running: "a", peek "abc" with "bc", then "bc" and the rest */
		ASSERT_EQ(0, hsd_hash_new(self->cr, v[i].h, &x));
		ASSERT_EQ(0, hsd_hash_update(x, "a", 1));
		ASSERT_EQ(0, hsd_hash_peek_with(x, "bc", 2, got));
		EXPECT_EQ(0, memcmp(want, got, n)) TH_LOG("hash %zu peek_with", i);
		ASSERT_EQ(0, hsd_hash_update(x, "bc", 2));
		ASSERT_EQ(0, hsd_hash_peek(x, got));
		EXPECT_EQ(0, memcmp(want, got, n)) TH_LOG("hash %zu peek", i);
		hsd_hash_free(x);
		n = unhex(v[i].two, want);
		ASSERT_EQ(0, hsd_hash_new(self->cr, v[i].h, &x));
		ASSERT_EQ(0, hsd_hash_update(x, two, 10));
		ASSERT_EQ(0, hsd_hash_update(x, two + 10, strlen(two) - 10));
		ASSERT_EQ(0, hsd_hash_peek(x, got));
		EXPECT_EQ(0, memcmp(want, got, n)) TH_LOG("hash %zu two blocks", i);
		/* a peek did not consume: the same again */
		ASSERT_EQ(0, hsd_hash_peek(x, got));
		EXPECT_EQ(0, memcmp(want, got, n));
		hsd_hash_free(x);
	}
}

TEST_HARNESS_MAIN
