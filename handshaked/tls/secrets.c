// SPDX-License-Identifier: GPL-2.0
/*
 * The secrets a handshake makes: ephemeral key pairs (made ahead from a
 * pool when the configuration has one), random bytes, and the key log
 * (NSS key log format, for debugging only when configured).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handshaked/tls/internal.h"
#include "handshaked/util.h"

/*
 * An ephemeral key pair for @group: one made ahead if the configuration has
 * a pool of them, else now; X25519 keys from 32 bytes of hs_random()'s pool
 * (or the test hook's fixed key).
 */
int hs_kex_make(struct hs_conn *c, uint16_t group, struct hsd_kex **out,
		uint8_t *pub, size_t *publen)
{
	const struct hs_test_hooks *t = c->cfg.test;
	uint8_t priv[32];
	int err;

	if (c->cfg.kex_pool && !(t && t->x25519_private) &&
	    !hsd_kex_pool_take(c->cfg.kex_pool, group, out, pub, publen))
		return 0;
	if (group != HSD_GROUP_X25519)
		return hsd_kex_new(c->cr, group, out, pub, publen);
	if (t && t->x25519_private)
		return hsd_kex_new_private(c->cr, group, t->x25519_private, 32,
					   out, pub, publen);
	err = hs_random(c, priv, sizeof(priv));
	if (!err)
		err = hsd_kex_new_private(c->cr, group, priv, sizeof(priv), out,
					  pub, publen);
	hsd_wipe(priv, sizeof(priv));
	return err;
}

/*
 * The server's share and the shared secret from the client's share;
 * -EBADMSG when that share is invalid.
 */
int hs_kex_respond(struct hs_conn *c, uint16_t group, struct hsd_kex **out,
		   uint8_t *pub, size_t *publen)
{
	int err;

	if (hsd_group_is_hybrid(group))
		return hsd_kex_respond(c->cr, group, c->h->peer_share,
				       c->h->peer_share_len, out, pub, publen,
				       c->h->shared, &c->h->shared_len);
	err = hs_kex_make(c, group, out, pub, publen);
	if (!err) {
		err = hsd_kex_derive(*out, c->h->peer_share, c->h->peer_share_len,
				     c->h->shared, &c->h->shared_len);
		if (err) {
			hsd_kex_free(*out);
			*out = NULL;
		}
	}
	return err;
}

/* Drop every ephemeral key pair (before making the one that is used). */
void hs_kex_reset(struct hs_conn *c)
{
	size_t i;

	for (i = 0; i < 2; i++) {
		hsd_kex_free(c->kex[i]);
		c->kex[i] = NULL;
	}
	c->n_kex = 0;
}

/*
 * Randomness in one libcrypto call per handshake: every RAND_bytes() is a
 * DRBG generate (fork check, reseed check, AES update) whatever its size.
 * Bytes are wiped from the pool as they are handed out.
 */
int hs_random(struct hs_conn *c, uint8_t *p, size_t n)
{
	uint8_t *src;
	int err;

	if (c->cfg.test && c->cfg.test->random)
		return c->cfg.test->random(c->cfg.test->arg, p, n);
	if (c->cfg.rand_pool)
		return hsd_rand_pool_take(c->cfg.rand_pool, p, n);
	if (n > sizeof(c->rnd))
		return hsd_random(p, n);
	if (n > c->rnd_left) {
		err = hsd_random(c->rnd, sizeof(c->rnd));
		if (err)
			return err;
		c->rnd_left = sizeof(c->rnd);
	}
	src = c->rnd + sizeof(c->rnd) - c->rnd_left;
	memcpy(p, src, n);
	hsd_wipe(src, n);
	c->rnd_left -= n;
	return 0;
}

void hs_keylog(struct hs_conn *c, const char *label, const uint8_t *secret,
	       size_t len)
{
	char line[64 + 2 * 32 + 2 * HSD_HASH_MAX + 4];
	size_t i, o;

	if (!c->cfg.keylog)
		return;
	o = (size_t)snprintf(line, sizeof(line), "%s ", label);
	for (i = 0; i < 32; i++, o += 2)
		snprintf(line + o, 3, "%02x", c->client_random[i]);
	line[o++] = ' ';
	for (i = 0; i < len; i++, o += 2)
		snprintf(line + o, 3, "%02x", secret[i]);
	line[o] = 0;
	c->cfg.keylog(c->cfg.keylog_arg, line);
	hsd_wipe(line, sizeof(line));
}
