// SPDX-License-Identifier: GPL-2.0
/*
 * Ticket keys (RFC 5077 4's recommended format, RFC 8446 4.6.1): the
 * server's keys that seal session state into tickets, shared by threads,
 * rotated, the previous key still opening tickets it sealed.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "handshaked/tls/session.h"

#define MAX_LIFETIME (7 * 24 * 3600)	/* RFC 8446 4.6.1 */
#define KEY_NAME_LEN 16

struct tk_key {
	uint8_t name[KEY_NAME_LEN];
	struct hsd_aead *aead;
	uint64_t created_ms;
};

struct hs_ticket_keys {
	const struct hsd_crypto *cr;
	pthread_mutex_t lock;
	struct tk_key cur, prev;
	uint32_t lifetime_s, rotate_s;
	hs_now_fn now;
	void *now_arg;
};

uint32_t hs_ticket_lifetime(const struct hs_ticket_keys *tk)
{
	return tk->lifetime_s;
}

static int tk_make(struct hs_ticket_keys *tk, struct tk_key *k)
{
	uint8_t key[32];
	int err;

	err = hsd_random(k->name, sizeof(k->name));
	if (!err)
		err = hsd_random(key, sizeof(key));
	if (!err)
		err = hsd_aead_new(tk->cr, HSD_AES_256_GCM, key, &k->aead);
	hsd_wipe(key, sizeof(key));
	k->created_ms = tk->now(tk->now_arg);
	return err;
}

int hs_ticket_keys_new(const struct hsd_crypto *cr, uint32_t lifetime_s,
		       uint32_t rotate_s, hs_now_fn now, void *now_arg,
		       struct hs_ticket_keys **out)
{
	struct hs_ticket_keys *tk;
	int err;

	if (!now || !rotate_s)
		return -EINVAL;
	tk = calloc(1, sizeof(*tk));
	if (!tk)
		return -ENOMEM;
	tk->cr = cr;
	tk->lifetime_s = lifetime_s < MAX_LIFETIME ? lifetime_s : MAX_LIFETIME;
	tk->rotate_s = rotate_s;
	tk->now = now;
	tk->now_arg = now_arg;
	pthread_mutex_init(&tk->lock, NULL);
	err = tk_make(tk, &tk->cur);
	if (err) {
		hs_ticket_keys_free(tk);
		return err;
	}
	*out = tk;
	return 0;
}

void hs_ticket_keys_free(struct hs_ticket_keys *tk)
{
	if (!tk)
		return;
	hsd_aead_free(tk->cur.aead);
	hsd_aead_free(tk->prev.aead);
	pthread_mutex_destroy(&tk->lock);
	hsd_wipe(tk, sizeof(*tk));
	free(tk);
}

static int rotate_locked(struct hs_ticket_keys *tk)
{
	struct tk_key k = { 0 };
	int err = tk_make(tk, &k);

	if (err)
		return err;
	hsd_aead_free(tk->prev.aead);
	tk->prev = tk->cur;
	tk->cur = k;
	return 0;
}

int hs_ticket_keys_rotate(struct hs_ticket_keys *tk)
{
	int err;

	pthread_mutex_lock(&tk->lock);
	err = rotate_locked(tk);
	pthread_mutex_unlock(&tk->lock);
	return err;
}

/* ticket = key_name || nonce || AEAD(key, nonce, aad=key_name, state) */
int hs_ticket_seal(struct hs_ticket_keys *tk, const struct hs_session *s,
		   uint8_t *out, size_t cap, size_t *len)
{
	uint8_t state[1024];
	size_t n;
	int err;

	err = hs_session_encode(s, state, sizeof(state), &n);
	if (err || cap < KEY_NAME_LEN + HSD_AEAD_NONCE_LEN + n + HSD_AEAD_TAG_LEN)
		return err ? err : -ENOSPC;
	pthread_mutex_lock(&tk->lock);
	if (tk->now(tk->now_arg) - tk->cur.created_ms >= tk->rotate_s * 1000ULL)
		err = rotate_locked(tk);
	memcpy(out, tk->cur.name, KEY_NAME_LEN);
	if (!err)
		err = hsd_random(out + KEY_NAME_LEN, HSD_AEAD_NONCE_LEN);
	if (!err)
		err = hsd_aead_seal(tk->cur.aead, out + KEY_NAME_LEN, out,
				    KEY_NAME_LEN, state, n,
				    out + KEY_NAME_LEN + HSD_AEAD_NONCE_LEN);
	pthread_mutex_unlock(&tk->lock);
	hsd_wipe(state, sizeof(state));
	*len = KEY_NAME_LEN + HSD_AEAD_NONCE_LEN + n + HSD_AEAD_TAG_LEN;
	return err;
}

int hs_ticket_open(struct hs_ticket_keys *tk, const uint8_t *t, size_t n,
		   struct hs_session *s)
{
	uint8_t state[1024];
	struct tk_key *k = NULL;
	size_t clen;
	uint64_t now;
	int err = -ENOKEY;

	if (n < KEY_NAME_LEN + HSD_AEAD_NONCE_LEN + HSD_AEAD_TAG_LEN ||
	    n - KEY_NAME_LEN - HSD_AEAD_NONCE_LEN > sizeof(state))
		return -ENOKEY;
	clen = n - KEY_NAME_LEN - HSD_AEAD_NONCE_LEN;
	pthread_mutex_lock(&tk->lock);
	if (!memcmp(t, tk->cur.name, KEY_NAME_LEN))
		k = &tk->cur;
	else if (tk->prev.aead && !memcmp(t, tk->prev.name, KEY_NAME_LEN))
		k = &tk->prev;
	if (k && !hsd_aead_open(k->aead, t + KEY_NAME_LEN, t, KEY_NAME_LEN,
				t + KEY_NAME_LEN + HSD_AEAD_NONCE_LEN, clen,
				state))
		err = hs_session_decode(state, clen - HSD_AEAD_TAG_LEN, s) ?
		      -ENOKEY : 0;
	now = tk->now(tk->now_arg);
	pthread_mutex_unlock(&tk->lock);
	hsd_wipe(state, sizeof(state));
	/* received_ms holds the issue time in a server's ticket */
	if (!err && (now < s->received_ms ||
		     now - s->received_ms > s->lifetime * 1000ULL))
		err = -ENOKEY;
	if (err)
		hsd_wipe(s, sizeof(*s));
	return err;
}

