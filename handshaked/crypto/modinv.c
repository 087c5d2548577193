// SPDX-License-Identifier: GPL-2.0
/*
 * Modular inversion of public values by Bernstein-Yang divsteps ("Fast
 * constant-time gcd computation and modular inversion", 2019), the
 * variable-time form: it branches on its input, so it takes only values
 * that are public (an ECDSA signature's s in verification, FIPS 186-5
 * 6.4.2 step 4), never a key or a nonce.
 *
 * Why not libcrypto: BN_mod_inverse (binary extended Euclid over BIGNUMs)
 * takes 15.6 us for a 256-bit modulus here, a third of a P-256
 * verification through a peer key's table (ecq.c); this takes ~2 us. The
 * P-256 group's own fast inverse is not reachable through the public API.
 *
 * Numbers are five signed 62-bit limbs (value = sum v[i] 2^(62 i)); limbs
 * 0-3 stay in [0, 2^62), the top one carries the sign.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "handshaked/crypto/internal.h"

typedef __int128 i128;

#define M62 ((UINT64_C(1) << 62) - 1)
#define LIMBS 5
/*
 * Each batch is 62 divsteps; 741 divsteps reach g = 0 for any 256-bit
 * input (the paper's bound (49 d + 57) / 17, d = 256): 12 batches.
 */
#define BATCHES 13

struct s62 {
	int64_t v[LIMBS];
};

/* 2^62 [f'; g'] = [u v; q r] [f; g] */
struct trans {
	int64_t u, v, q, r;
};

static void s62_from_be(struct s62 *a, const uint8_t b[32])
{
	uint64_t w[4] = { 0 };
	int i;

	for (i = 0; i < 32; i++)
		w[3 - i / 8] |= (uint64_t)b[i] << (8 * (7 - i % 8));
	a->v[0] = (int64_t)(w[0] & M62);
	a->v[1] = (int64_t)((w[0] >> 62 | w[1] << 2) & M62);
	a->v[2] = (int64_t)((w[1] >> 60 | w[2] << 4) & M62);
	a->v[3] = (int64_t)((w[2] >> 58 | w[3] << 6) & M62);
	a->v[4] = (int64_t)(w[3] >> 56);
}

/* a in [0, 2^256) with canonical limbs */
static void s62_to_be(uint8_t b[32], const struct s62 *a)
{
	uint64_t w[4];
	int i;

	w[0] = (uint64_t)a->v[0] | (uint64_t)a->v[1] << 62;
	w[1] = (uint64_t)a->v[1] >> 2 | (uint64_t)a->v[2] << 60;
	w[2] = (uint64_t)a->v[2] >> 4 | (uint64_t)a->v[3] << 58;
	w[3] = (uint64_t)a->v[3] >> 6 | (uint64_t)a->v[4] << 56;
	for (i = 0; i < 32; i++)
		b[i] = (uint8_t)(w[3 - i / 8] >> (8 * (7 - i % 8)));
}

static int s62_cmp(const struct s62 *a, const struct s62 *b)
{
	int i;

	for (i = LIMBS - 1; i >= 0; i--)
		if (a->v[i] != b->v[i])
			return a->v[i] < b->v[i] ? -1 : 1;
	return 0;
}

static bool s62_is_zero(const struct s62 *a)
{
	int i;

	for (i = 0; i < LIMBS; i++)
		if (a->v[i])
			return false;
	return true;
}

/* a += k m (k = 1 or -1), limbs made canonical again */
static void s62_add_mul(struct s62 *a, const struct s62 *m, int64_t k)
{
	i128 c = 0;
	int i;

	for (i = 0; i < LIMBS - 1; i++) {
		c += (i128)a->v[i] + (i128)k * m->v[i];
		a->v[i] = (int64_t)((uint64_t)c & M62);
		c >>= 62;
	}
	a->v[LIMBS - 1] = (int64_t)(c + a->v[LIMBS - 1] +
				    (i128)k * m->v[LIMBS - 1]);
}

/*
 * 62 divsteps on the low 64 bits of f and g (enough: step i needs only
 * the parity of g, known to 64 - i bits). delta as in the paper.
 */
static int64_t divsteps_62(int64_t delta, uint64_t f, uint64_t g,
			   struct trans *t)
{
	int64_t u = 1, v = 0, q = 0, r = 1, x, y;
	uint64_t h;
	int i;

	for (i = 0; i < 62; i++) {
		if (delta > 0 && (g & 1)) {
			/* (f, g) = (g, (g - f) / 2) */
			delta = 1 - delta;
			h = f;
			f = g;
			g = (g - h) >> 1;
			x = u;
			y = v;
			u = 2 * q;
			v = 2 * r;
			q -= x;
			r -= y;
		} else if (g & 1) {
			/* (f, g) = (f, (g + f) / 2) */
			delta = 1 + delta;
			g = (g + f) >> 1;
			q += u;
			r += v;
			u *= 2;
			v *= 2;
		} else {
			delta = 1 + delta;
			g >>= 1;
			u *= 2;
			v *= 2;
		}
	}
	t->u = u;
	t->v = v;
	t->q = q;
	t->r = r;
	return delta;
}

/* [f; g] = t [f; g] / 2^62, exactly (the low 62 bits are zero) */
static void update_fg(struct s62 *f, struct s62 *g, const struct trans *t)
{
	i128 cf, cg;
	int i;

	cf = (i128)t->u * f->v[0] + (i128)t->v * g->v[0];
	cg = (i128)t->q * f->v[0] + (i128)t->r * g->v[0];
	cf >>= 62;
	cg >>= 62;
	for (i = 1; i < LIMBS; i++) {
		cf += (i128)t->u * f->v[i] + (i128)t->v * g->v[i];
		cg += (i128)t->q * f->v[i] + (i128)t->r * g->v[i];
		f->v[i - 1] = (int64_t)((uint64_t)cf & M62);
		g->v[i - 1] = (int64_t)((uint64_t)cg & M62);
		cf >>= 62;
		cg >>= 62;
	}
	f->v[LIMBS - 1] = (int64_t)cf;
	g->v[LIMBS - 1] = (int64_t)cg;
}

/*
 * [d; e] = t [d; e] / 2^62 mod m: a multiple of m is added to each so that
 * its low 62 bits are zero (minv = m^-1 mod 2^62), then the exact shift.
 * With d, e in [0, m) and |u| + |v| <= 2^62 the results are in (-2m, 2m);
 * they are brought back to [0, m).
 */
static void update_de(struct s62 *d, struct s62 *e, const struct trans *t,
		      const struct s62 *m, uint64_t minv)
{
	uint64_t md, me;
	i128 cd, ce;
	int i;

	cd = (i128)t->u * d->v[0] + (i128)t->v * e->v[0];
	ce = (i128)t->q * d->v[0] + (i128)t->r * e->v[0];
	md = (0 - (uint64_t)cd * minv) & M62;
	me = (0 - (uint64_t)ce * minv) & M62;
	cd += (i128)md * m->v[0];
	ce += (i128)me * m->v[0];
	cd >>= 62;
	ce >>= 62;
	for (i = 1; i < LIMBS; i++) {
		cd += (i128)t->u * d->v[i] + (i128)t->v * e->v[i] +
		      (i128)md * m->v[i];
		ce += (i128)t->q * d->v[i] + (i128)t->r * e->v[i] +
		      (i128)me * m->v[i];
		d->v[i - 1] = (int64_t)((uint64_t)cd & M62);
		e->v[i - 1] = (int64_t)((uint64_t)ce & M62);
		cd >>= 62;
		ce >>= 62;
	}
	d->v[LIMBS - 1] = (int64_t)cd;
	e->v[LIMBS - 1] = (int64_t)ce;
	while (d->v[LIMBS - 1] < 0)
		s62_add_mul(d, m, 1);
	while (s62_cmp(d, m) >= 0)
		s62_add_mul(d, m, -1);
	while (e->v[LIMBS - 1] < 0)
		s62_add_mul(e, m, 1);
	while (s62_cmp(e, m) >= 0)
		s62_add_mul(e, m, -1);
}

int hsd_modinv256_var(uint8_t out[32], const uint8_t x[32],
		      const uint8_t mod[32])
{
	struct s62 f, g, d = { { 0 } }, e = { { 1 } }, m, one = { { 1 } };
	uint64_t minv, m0;
	struct trans t;
	int64_t delta = 1;
	int i;

	s62_from_be(&m, mod);
	s62_from_be(&g, x);
	m0 = (uint64_t)m.v[0];
	if (!(m0 & 1) || s62_cmp(&g, &m) >= 0 || s62_is_zero(&g))
		return -EINVAL;
	/* m^-1 mod 2^64 by Newton's iteration, each step doubling the bits */
	minv = m0;
	for (i = 0; i < 5; i++)
		minv *= 2 - m0 * minv;
	f = m;
	/* invariant: f = d x, g = e x (mod m) */
	for (i = 0; i < BATCHES && !s62_is_zero(&g); i++) {
		delta = divsteps_62(delta, (uint64_t)f.v[0] |
				    (uint64_t)f.v[1] << 62,
				    (uint64_t)g.v[0] | (uint64_t)g.v[1] << 62,
				    &t);
		update_fg(&f, &g, &t);
		update_de(&d, &e, &t, &m, minv);
	}
	if (!s62_is_zero(&g))
		return -EINVAL;
	/* f = +-gcd(x, m): 1 / x = d or -d */
	if (f.v[LIMBS - 1] < 0) {
		struct s62 neg = { { 0 } };

		s62_add_mul(&neg, &f, -1);
		f = neg;
		if (!s62_is_zero(&d)) {
			neg = m;
			s62_add_mul(&neg, &d, -1);
			d = neg;
		}
	}
	if (s62_cmp(&f, &one))
		return -EINVAL;
	s62_to_be(out, &d);
	return 0;
}
