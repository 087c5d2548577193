// SPDX-License-Identifier: GPL-2.0
/*
 * X25519 public keys by a fixed-base comb on the birationally equivalent
 * Edwards curve (RFC 7748 4.1, RFC 8032 5.1).
 *
 * Why not libcrypto: OpenSSL 3.0 derives an X25519 public key with the
 * same variable-base Montgomery ladder it uses for the shared secret
 * (39 us here), and every TLS 1.3 handshake makes one ephemeral key. A
 * comb over a table of 256 multiples of the base point, built once per
 * hsd_crypto (~1 ms), takes 17 us. The shared secret (the peer's point,
 * variable base) stays with libcrypto.
 *
 * Secret-dependent data (the scalar, its digits, the running point) never
 * selects a branch or a memory address: table entries are picked by masks
 * over all eight candidates. Field elements are five 51-bit limbs.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>

#include "handshaked/crypto/internal.h"

typedef unsigned __int128 u128;

#define MASK51 ((UINT64_C(1) << 51) - 1)

struct fe {
	uint64_t v[5];
};

/* x = X/Z, y = Y/Z, x*y = T/Z */
struct ge_p3 {
	struct fe X, Y, Z, T;
};

/* a completed point: x = X/Z, y = Y/T */
struct ge_p1p1 {
	struct fe X, Y, Z, T;
};

/* four limbs at once (SSE2 pairs on x86-64), at any 8-byte alignment */
typedef uint64_t v4u64 __attribute__((vector_size(32), aligned(8)));

/* an affine point ready for mixed addition; q[] for selecting it whole */
union ge_niels {
	struct {
		struct fe ypx, ymx, xy2d;
	};
	v4u64 q[4];
};

#define COMB_ROWS 32
#define COMB_COLS 8

/* row i, column j: (j + 1) * 256^i * B */
struct hsd_x25519_table {
	union ge_niels t[COMB_ROWS][COMB_COLS];
};

/* 2d, d = -121665/121666 (RFC 7748 4.1) */
static const struct fe fe_2d = { { 0x69b9426b2f159ULL, 0x35050762add7aULL,
	0x3cf44c0038052ULL, 0x6738cc7407977ULL, 0x2406d9dc56dffULL } };
/* the base point B (RFC 8032 5.1): y = 4/5, x positive */
static const struct fe fe_bx = { { 0x62d608f25d51aULL, 0x412a4b4f6592aULL,
	0x75b7171a4b31dULL, 0x1ff60527118feULL, 0x216936d3cd6e5ULL } };
static const struct fe fe_by = { { 0x6666666666658ULL, 0x4ccccccccccccULL,
	0x1999999999999ULL, 0x3333333333333ULL, 0x6666666666666ULL } };

static void fe_set(struct fe *h, uint64_t v)
{
	memset(h, 0, sizeof(*h));
	h->v[0] = v;
}

/* limbs below 2^52 afterwards, whatever they were below 2^64 */
static __always_inline void fe_carry(struct fe *h)
{
	uint64_t c;
	int i;

	for (i = 0; i < 4; i++) {
		c = h->v[i] >> 51;
		h->v[i] &= MASK51;
		h->v[i + 1] += c;
	}
	c = h->v[4] >> 51;
	h->v[4] &= MASK51;
	h->v[0] += c * 19;
}

static __always_inline void fe_add(struct fe *h, const struct fe *f, const struct fe *g)
{
	int i;

	for (i = 0; i < 5; i++)
		h->v[i] = f->v[i] + g->v[i];
	fe_carry(h);
}

/*
 * Without the carry, for the mixed addition's hot path: its inputs come
 * straight from a multiplication (limbs below 2^51 + 2^18), so sums stay
 * below 2^54, which fe_mul takes (each product term below 2^115).
 */
static __always_inline void fe_add_lazy(struct fe *h, const struct fe *f,
			   const struct fe *g)
{
	int i;

	for (i = 0; i < 5; i++)
		h->v[i] = f->v[i] + g->v[i];
}

/* f + 4p - g: no limb underflows while g's limbs stay below 2^53 */
static __always_inline void fe_sub_lazy(struct fe *h, const struct fe *f,
			   const struct fe *g)
{
	h->v[0] = f->v[0] + 0x1FFFFFFFFFFFB4ULL - g->v[0];
	h->v[1] = f->v[1] + 0x1FFFFFFFFFFFFCULL - g->v[1];
	h->v[2] = f->v[2] + 0x1FFFFFFFFFFFFCULL - g->v[2];
	h->v[3] = f->v[3] + 0x1FFFFFFFFFFFFCULL - g->v[3];
	h->v[4] = f->v[4] + 0x1FFFFFFFFFFFFCULL - g->v[4];
}

static __always_inline void fe_sub(struct fe *h, const struct fe *f, const struct fe *g)
{
	fe_sub_lazy(h, f, g);
	fe_carry(h);
}

/* r[0..4] (each below 2^115) reduced into h, limbs below 2^52 */
static __always_inline void fe_reduce(struct fe *h, u128 r0, u128 r1, u128 r2, u128 r3,
		      u128 r4)
{
	u128 t;

	r1 += r0 >> 51;
	r2 += r1 >> 51;
	r3 += r2 >> 51;
	r4 += r3 >> 51;
	t = (u128)((uint64_t)(r4 >> 51)) * 19 + ((uint64_t)r0 & MASK51);
	h->v[0] = (uint64_t)t & MASK51;
	h->v[1] = ((uint64_t)r1 & MASK51) + (uint64_t)(t >> 51);
	h->v[2] = (uint64_t)r2 & MASK51;
	h->v[3] = (uint64_t)r3 & MASK51;
	h->v[4] = (uint64_t)r4 & MASK51;
}

static __always_inline void fe_mul(struct fe *h, const struct fe *f, const struct fe *g)
{
	const uint64_t *a = f->v, *b = g->v;
	uint64_t b1 = b[1] * 19, b2 = b[2] * 19, b3 = b[3] * 19, b4 = b[4] * 19;
	u128 r0, r1, r2, r3, r4;

	/* 2^255 = 19 (mod p): a limb product past 2^255 wraps times 19 */
	r0 = (u128)a[0] * b[0] + (u128)a[1] * b4 + (u128)a[2] * b3 +
	     (u128)a[3] * b2 + (u128)a[4] * b1;
	r1 = (u128)a[0] * b[1] + (u128)a[1] * b[0] + (u128)a[2] * b4 +
	     (u128)a[3] * b3 + (u128)a[4] * b2;
	r2 = (u128)a[0] * b[2] + (u128)a[1] * b[1] + (u128)a[2] * b[0] +
	     (u128)a[3] * b4 + (u128)a[4] * b3;
	r3 = (u128)a[0] * b[3] + (u128)a[1] * b[2] + (u128)a[2] * b[1] +
	     (u128)a[3] * b[0] + (u128)a[4] * b4;
	r4 = (u128)a[0] * b[4] + (u128)a[1] * b[3] + (u128)a[2] * b[2] +
	     (u128)a[3] * b[1] + (u128)a[4] * b[0];
	fe_reduce(h, r0, r1, r2, r3, r4);
}

static __always_inline void fe_sq(struct fe *h, const struct fe *f)
{
	const uint64_t *a = f->v;
	uint64_t d0 = a[0] * 2, d1 = a[1] * 2, d2 = a[2] * 2, d3 = a[3] * 2;
	uint64_t a3_19 = a[3] * 19, a4_19 = a[4] * 19;
	u128 r0, r1, r2, r3, r4;

	r0 = (u128)a[0] * a[0] + (u128)d1 * a4_19 + (u128)d2 * a3_19;
	r1 = (u128)d0 * a[1] + (u128)d2 * a4_19 + (u128)a[3] * a3_19;
	r2 = (u128)d0 * a[2] + (u128)a[1] * a[1] + (u128)d3 * a4_19;
	r3 = (u128)d0 * a[3] + (u128)d1 * a[2] + (u128)a[4] * a4_19;
	r4 = (u128)d0 * a[4] + (u128)d1 * a[3] + (u128)a[2] * a[2];
	fe_reduce(h, r0, r1, r2, r3, r4);
}

static void fe_sqn(struct fe *h, const struct fe *f, int n)
{
	fe_sq(h, f);
	while (--n > 0)
		fe_sq(h, h);
}

/* z^(p-2) = 1/z (Fermat), p - 2 = 2^255 - 21 */
static void fe_invert(struct fe *out, const struct fe *z)
{
	struct fe z2, z9, z11, a, b, c;

	fe_sq(&z2, z);
	fe_sqn(&a, &z2, 2);
	fe_mul(&z9, &a, z);
	fe_mul(&z11, &z9, &z2);
	fe_sq(&a, &z11);
	fe_mul(&a, &a, &z9);		/* z^(2^5 - 1) */
	fe_sqn(&b, &a, 5);
	fe_mul(&a, &b, &a);		/* z^(2^10 - 1) */
	fe_sqn(&b, &a, 10);
	fe_mul(&b, &b, &a);		/* z^(2^20 - 1) */
	fe_sqn(&c, &b, 20);
	fe_mul(&b, &c, &b);		/* z^(2^40 - 1) */
	fe_sqn(&b, &b, 10);
	fe_mul(&a, &b, &a);		/* z^(2^50 - 1) */
	fe_sqn(&b, &a, 50);
	fe_mul(&b, &b, &a);		/* z^(2^100 - 1) */
	fe_sqn(&c, &b, 100);
	fe_mul(&b, &c, &b);		/* z^(2^200 - 1) */
	fe_sqn(&b, &b, 50);
	fe_mul(&b, &b, &a);		/* z^(2^250 - 1) */
	fe_sqn(&b, &b, 5);
	fe_mul(out, &b, &z11);		/* z^(2^255 - 32 + 11) */
}

/* the canonical little-endian encoding (RFC 7748 5: below p) */
static void fe_tobytes(uint8_t out[32], const struct fe *f)
{
	struct fe t = *f;
	uint64_t q, w[4];
	int i;

	fe_carry(&t);
	/* q = 1 exactly when t >= p, i.e. when t + 19 reaches 2^255 */
	q = (t.v[0] + 19) >> 51;
	for (i = 1; i < 5; i++)
		q = (t.v[i] + q) >> 51;
	t.v[0] += 19 * q;
	for (i = 0; i < 4; i++) {
		t.v[i + 1] += t.v[i] >> 51;
		t.v[i] &= MASK51;
	}
	t.v[4] &= MASK51;
	w[0] = t.v[0] | t.v[1] << 51;
	w[1] = t.v[1] >> 13 | t.v[2] << 38;
	w[2] = t.v[2] >> 26 | t.v[3] << 25;
	w[3] = t.v[3] >> 39 | t.v[4] << 12;
	for (i = 0; i < 32; i++)
		out[i] = (uint8_t)(w[i / 8] >> (8 * (i % 8)));
}

static __always_inline void fe_cmov(struct fe *f, const struct fe *g, uint64_t bit)
{
	uint64_t mask = 0 - bit;
	int i;

	for (i = 0; i < 5; i++)
		f->v[i] ^= mask & (f->v[i] ^ g->v[i]);
}

static void p1p1_to_p3(struct ge_p3 *r, const struct ge_p1p1 *p)
{
	fe_mul(&r->X, &p->X, &p->T);
	fe_mul(&r->Y, &p->Y, &p->Z);
	fe_mul(&r->Z, &p->Z, &p->T);
	fe_mul(&r->T, &p->X, &p->Y);
}

/*
 * The a = -1 twisted Edwards formulas of Hisil, Wong, Carter and Dawson
 * ("Twisted Edwards curves revisited", 2008), which RFC 8032 5.1.4 uses:
 * with A, B, C, D as there, E = B - A, F = D - C, G = D + C, H = B + A,
 * x = E/G and y = H/F.
 */
static void p1p1_from(struct ge_p1p1 *r, const struct fe *a,
		      const struct fe *b, const struct fe *c, const struct fe *d)
{
	/* a, b, c products, d below 2^53: every result below 2^54 */
	fe_sub_lazy(&r->X, b, a);
	fe_add_lazy(&r->Y, b, a);
	fe_add_lazy(&r->Z, d, c);
	fe_sub_lazy(&r->T, d, c);
}

/* p + q, q affine (Z = 1) */
static void ge_madd(struct ge_p1p1 *r, const struct ge_p3 *p,
		    const union ge_niels *q)
{
	struct fe a, b, c, d;

	fe_sub_lazy(&a, &p->Y, &p->X);
	fe_mul(&a, &a, &q->ymx);
	fe_add_lazy(&b, &p->Y, &p->X);
	fe_mul(&b, &b, &q->ypx);
	fe_mul(&c, &p->T, &q->xy2d);
	fe_add_lazy(&d, &p->Z, &p->Z);
	p1p1_from(r, &a, &b, &c, &d);
}

/* p + q, both projective (table building only) */
static void ge_add(struct ge_p1p1 *r, const struct ge_p3 *p,
		   const struct ge_p3 *q)
{
	struct fe a, b, c, d, t;

	fe_sub(&a, &p->Y, &p->X);
	fe_sub(&t, &q->Y, &q->X);
	fe_mul(&a, &a, &t);
	fe_add(&b, &p->Y, &p->X);
	fe_add(&t, &q->Y, &q->X);
	fe_mul(&b, &b, &t);
	fe_mul(&c, &p->T, &q->T);
	fe_mul(&c, &c, &fe_2d);
	fe_mul(&d, &p->Z, &q->Z);
	fe_add(&d, &d, &d);
	p1p1_from(r, &a, &b, &c, &d);
}

/* 2p; RFC 8032 5.1.4 doubling with A = X^2, B = Y^2, C = 2Z^2 */
static void ge_dbl(struct ge_p1p1 *r, const struct ge_p3 *p)
{
	struct fe a, b, c, e, g, h, t;

	fe_sq(&a, &p->X);
	fe_sq(&b, &p->Y);
	fe_sq(&c, &p->Z);
	fe_add(&c, &c, &c);
	fe_add(&t, &p->X, &p->Y);
	fe_sq(&t, &t);
	fe_add(&h, &a, &b);
	fe_sub(&e, &h, &t);		/* -E: signs folded below */
	fe_sub(&g, &a, &b);		/* -G */
	/* x = E/G = (-E)/(-G); y = H/F with H = -(A+B), F = G - C */
	r->X = e;
	r->Z = g;
	fe_add(&r->T, &g, &c);		/* -F */
	r->Y = h;			/* -H */
}

static void ge_identity(struct ge_p3 *p)
{
	fe_set(&p->X, 0);
	fe_set(&p->Y, 1);
	fe_set(&p->Z, 1);
	fe_set(&p->T, 0);
}

static void niels_from_p3(union ge_niels *n, const struct ge_p3 *p)
{
	struct fe zi, x, y;

	fe_invert(&zi, &p->Z);
	fe_mul(&x, &p->X, &zi);
	fe_mul(&y, &p->Y, &zi);
	fe_add(&n->ypx, &y, &x);
	fe_sub(&n->ymx, &y, &x);
	fe_mul(&n->xy2d, &x, &y);
	fe_mul(&n->xy2d, &n->xy2d, &fe_2d);
}

int hsd_x25519_table_new(struct hsd_x25519_table **out)
{
	struct hsd_x25519_table *tb = OPENSSL_zalloc(sizeof(*tb));
	struct ge_p3 row, m;
	struct ge_p1p1 r;
	int i, j;

	if (!tb)
		return -ENOMEM;
	row.X = fe_bx;
	row.Y = fe_by;
	fe_set(&row.Z, 1);
	fe_mul(&row.T, &fe_bx, &fe_by);
	for (i = 0; i < COMB_ROWS; i++) {
		m = row;
		for (j = 0; j < COMB_COLS; j++) {
			niels_from_p3(&tb->t[i][j], &m);
			ge_add(&r, &m, &row);
			p1p1_to_p3(&m, &r);
		}
		for (j = 0; j < 8; j++) {	/* row *= 256 */
			ge_dbl(&r, &row);
			p1p1_to_p3(&row, &r);
		}
	}
	*out = tb;
	return 0;
}

void hsd_x25519_table_free(struct hsd_x25519_table *tb)
{
	OPENSSL_free(tb);
}

/* 1 when a == b, else 0, without a branch */
static uint64_t ct_eq(uint8_t a, uint8_t b)
{
	return ((uint64_t)(a ^ b) - 1) >> 63;
}

/* t = e * row's base, -8 <= e <= 8, reading all eight entries */
static void comb_select(union ge_niels *t, const union ge_niels row[8],
			int8_t e)
{
	uint64_t neg = (uint8_t)e >> 7;
	uint8_t abs = (uint8_t)(e - (int8_t)((0 - neg) & (uint64_t)e) * 2);
	union ge_niels minus;
	uint64_t mask[COMB_COLS];
	int j, k;

	/* at most one entry matches: OR them together under masks */
	for (j = 0; j < COMB_COLS; j++)
		mask[j] = 0 - ct_eq(abs, (uint8_t)(j + 1));
	for (k = 0; k < 4; k++) {
		v4u64 acc = { 0 };

		for (j = 0; j < COMB_COLS; j++)
			acc |= mask[j] & row[j].q[k];
		t->q[k] = acc;
	}
	/* e = 0: the identity, (y + x, y - x, 2dxy) = (1, 1, 0) */
	t->ypx.v[0] |= ct_eq(abs, 0);
	t->ymx.v[0] |= ct_eq(abs, 0);
	/* -(x, y) = (-x, y): swap y+x and y-x, negate 2dxy */
	minus.ypx = t->ymx;
	minus.ymx = t->ypx;
	fe_set(&minus.xy2d, 0);
	fe_sub(&minus.xy2d, &minus.xy2d, &t->xy2d);
	fe_cmov(&t->ypx, &minus.ypx, neg);
	fe_cmov(&t->ymx, &minus.ymx, neg);
	fe_cmov(&t->xy2d, &minus.xy2d, neg);
	OPENSSL_cleanse(&minus, sizeof(minus));
}

/* h += e_i * 16^i * B for i = first, first + 2, ... < 64 */
static void comb_pass(const struct hsd_x25519_table *tb, struct ge_p3 *h,
		      const int8_t e[64], int first)
{
	union ge_niels t;
	struct ge_p1p1 r;
	int i;

	for (i = first; i < 64; i += 2) {
		comb_select(&t, tb->t[i / 2], e[i]);
		ge_madd(&r, h, &t);
		p1p1_to_p3(h, &r);
	}
	OPENSSL_cleanse(&t, sizeof(t));
	OPENSSL_cleanse(&r, sizeof(r));
}

void hsd_x25519_base(const struct hsd_x25519_table *tb, uint8_t pub[32],
		     const uint8_t priv[32])
{
	uint8_t k[32];
	int8_t e[64], carry = 0;
	struct ge_p3 h;
	struct ge_p1p1 r;
	struct fe num, den;
	int i;

	/* RFC 7748 5: decodeScalar25519 */
	memcpy(k, priv, sizeof(k));
	k[0] &= 248;
	k[31] &= 127;
	k[31] |= 64;
	/* signed radix-16 digits, each in [-8, 8) but the last (<= 8) */
	for (i = 0; i < 32; i++) {
		e[2 * i] = (int8_t)(k[i] & 15);
		e[2 * i + 1] = (int8_t)(k[i] >> 4);
	}
	for (i = 0; i < 63; i++) {
		e[i] = (int8_t)(e[i] + carry);
		carry = (int8_t)((e[i] + 8) >> 4);
		e[i] = (int8_t)(e[i] - carry * 16);
	}
	e[63] = (int8_t)(e[63] + carry);

	ge_identity(&h);
	comb_pass(tb, &h, e, 1);
	for (i = 0; i < 4; i++) {
		ge_dbl(&r, &h);
		p1p1_to_p3(&h, &r);
	}
	comb_pass(tb, &h, e, 0);

	/* RFC 7748 4.1: u = (1 + y) / (1 - y) = (Z + Y) / (Z - Y) */
	fe_add(&num, &h.Z, &h.Y);
	fe_sub(&den, &h.Z, &h.Y);
	fe_invert(&den, &den);
	fe_mul(&num, &num, &den);
	fe_tobytes(pub, &num);

	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(e, sizeof(e));
	OPENSSL_cleanse(&h, sizeof(h));
	OPENSSL_cleanse(&r, sizeof(r));
	OPENSSL_cleanse(&num, sizeof(num));
	OPENSSL_cleanse(&den, sizeof(den));
}
