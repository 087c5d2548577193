// SPDX-License-Identifier: GPL-2.0
/*
 * The TLS 1.2 session cache (RFC 5246 7.3: a server resumes a session by
 * its ID): bounded, entries expire, shared by threads.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "handshaked/tls/session.h"

struct cache_entry {
	struct hs_session s;
	uint64_t stored_ms;
	bool used;
};

struct hs_session_cache {
	pthread_mutex_t lock;
	struct cache_entry *e;
	size_t max;
	uint32_t lifetime_s;
	hs_now_fn now;
	void *now_arg;
};

int hs_session_cache_new(size_t max, uint32_t lifetime_s, hs_now_fn now,
			 void *now_arg, struct hs_session_cache **out)
{
	struct hs_session_cache *sc;

	if (!max || !now)
		return -EINVAL;
	sc = calloc(1, sizeof(*sc));
	if (!sc)
		return -ENOMEM;
	sc->e = calloc(max, sizeof(*sc->e));
	if (!sc->e) {
		free(sc);
		return -ENOMEM;
	}
	sc->max = max;
	sc->lifetime_s = lifetime_s;
	sc->now = now;
	sc->now_arg = now_arg;
	pthread_mutex_init(&sc->lock, NULL);
	*out = sc;
	return 0;
}

void hs_session_cache_free(struct hs_session_cache *sc)
{
	if (!sc)
		return;
	hsd_wipe(sc->e, sc->max * sizeof(*sc->e));
	free(sc->e);
	pthread_mutex_destroy(&sc->lock);
	free(sc);
}

size_t hs_session_cache_count(struct hs_session_cache *sc)
{
	uint64_t now = sc->now(sc->now_arg);
	size_t i, n = 0;

	pthread_mutex_lock(&sc->lock);
	for (i = 0; i < sc->max; i++)
		n += sc->e[i].used &&
		     now - sc->e[i].stored_ms < sc->lifetime_s * 1000ULL;
	pthread_mutex_unlock(&sc->lock);
	return n;
}

/* keep @s under its ID, the oldest entry making room */
void hs_cache_store(struct hs_session_cache *sc, const struct hs_session *s)
{
	uint64_t now = sc->now(sc->now_arg);
	size_t i, victim = 0;

	pthread_mutex_lock(&sc->lock);
	for (i = 0; i < sc->max; i++) {
		/* a free or expired slot, else the oldest */
		if (!sc->e[i].used ||
		    now - sc->e[i].stored_ms >= sc->lifetime_s * 1000ULL) {
			victim = i;
			break;
		}
		if (sc->e[i].stored_ms < sc->e[victim].stored_ms)
			victim = i;
	}
	sc->e[victim].s = *s;
	sc->e[victim].stored_ms = now;
	sc->e[victim].used = true;
	pthread_mutex_unlock(&sc->lock);
}

/* the live session under @id: 0, or -ENOKEY */
int hs_cache_find(struct hs_session_cache *sc, const uint8_t *id, size_t n,
		  struct hs_session *out)
{
	uint64_t now = sc->now(sc->now_arg);
	int err = -ENOKEY;
	size_t i;

	pthread_mutex_lock(&sc->lock);
	for (i = 0; i < sc->max && err; i++) {
		struct cache_entry *e = &sc->e[i];

		if (!e->used || e->s.session_id_len != n ||
		    memcmp(e->s.session_id, id, n))
			continue;
		if (now - e->stored_ms >= sc->lifetime_s * 1000ULL) {
			hsd_wipe(e, sizeof(*e));	/* expired */
			continue;
		}
		*out = e->s;
		err = 0;
	}
	pthread_mutex_unlock(&sc->lock);
	return err;
}

