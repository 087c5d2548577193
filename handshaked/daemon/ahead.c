// SPDX-License-Identifier: GPL-2.0
/*
 * Work done before it is needed. At start, handshakes in memory
 * (libcrypto's first-use set-up off the first request: PSK, then x509).
 * While the loop is idle: random bytes, key shares of the first configured group a pool
 * can hold (X25519 by default; KEX_POOL of them, each used once: a
 * loopback NFS or NVMe/TCP handshake has both its halves here, and two
 * key generations come off its critical path), then ECDSA nonces
 * for the configured keys (HSD_PRESIGN_MAX each, used once: a server's
 * CertificateVerify is then a few products mod n). Credentials from
 * keyrings are per request and get none.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <syslog.h>

#include "handshaked/daemon/daemon.h"

/*
 * Key shares made ahead while the loop is idle: both halves of a
 * loopback handshake (NFS, NVMe/TCP) come to this one daemon, so a burst
 * of this size starts without a key generation on its critical path.
 */
#define KEX_POOL 16

/*
 * The pools; without one, what it holds is made per handshake. The key
 * shares are of the first configured group a pool can hold (not a hybrid,
 * whose ML-KEM half is made per handshake): the one our ClientHello offers
 * a share for and our server prefers. groups=secp384r1 thus gets P-384
 * shares made ahead, two P-384 key generations off a loopback handshake.
 */
void hsd_ahead_init(struct hsd_daemon *d)
{
	size_t i;

	d->kex_pool = NULL;
	for (i = 0; i < d->cfg.n_groups && !d->kex_pool; i++)
		if (hsd_kex_pool_new(d->crypto, d->cfg.groups[i], KEX_POOL,
				     &d->kex_pool))
			d->kex_pool = NULL;
	if (!d->kex_pool &&
	    hsd_kex_pool_new(d->crypto, HSD_GROUP_X25519, KEX_POOL, &d->kex_pool))
		d->kex_pool = NULL;
	if (hsd_rand_pool_new(&d->rand_pool))
		d->rand_pool = NULL;
}

void hsd_ahead_free(struct hsd_daemon *d)
{
	hsd_kex_pool_free(d->kex_pool);
	hsd_rand_pool_free(d->rand_pool);
	d->kex_pool = NULL;
	d->rand_pool = NULL;
}

static int warm_psk(void *arg, const uint8_t *id, size_t len,
		    struct hs_psk *out)
{
	*out = *(const struct hs_psk *)arg;
	return 0;
}

/*
 * A client and a server handshake in memory, logged at debug level as
 * "warm-up @what handshake done|failed in N us[: why]".
 */
static void warm_pump(struct hsd_daemon *d, const char *what,
		      const struct hs_config *cc, const struct hs_config *sc)
{
	struct hs_conn *c = NULL, *s = NULL;
	const char *why = "out of memory";
	uint64_t t = hsd_now_us();
	bool done = false;

	if (!hs_conn_new(cc, &c) && !hs_conn_new(sc, &s) && !hs_start(c))
		done = !hs_pump(c, s, NULL, NULL) && hs_is_done(c) &&
		       hs_is_done(s);
	if (!done && c && s && !hs_error(c, NULL, NULL, &why) &&
	    !hs_error(s, NULL, NULL, &why))
		why = "stalled";
	hs_conn_free(c);
	hs_conn_free(s);
	hsd_log(d, LOG_DEBUG, "handshaked: warm-up %s%shandshake %s in %llu us%s%s",
		what, *what ? " " : "", done ? "done" : "failed",
		(unsigned long long)(hsd_now_us() - t), done ? "" : ": ",
		done ? "" : why);
}

/*
 * With the configured server certificate (NFS's x509 handshakes): the
 * certificate paths of libcrypto (decoding, the key type's signature and
 * verification, chain building) are set up on first use as well, and the
 * first x509 request after start took ~15x the next ones. The client
 * trust store's caches are off for it, so the first real request still
 * verifies its peer from nothing, as it would on any other machine.
 */
static void warm_up_x509(struct hsd_daemon *d)
{
	struct hsd_creds *cr = d->creds;
	struct hs_config cc = {
		.crypto = d->crypto, .role = HS_CLIENT,
		.min_version = HS_TLS13, .max_version = HS_TLS13,
		.groups = d->cfg.groups, .n_groups = d->cfg.n_groups,
	};
	struct hs_config sc;

	if (!cr || !cr->server_key || !cr->server_chain.n)
		return;
	/* as configure(): no cipher_suites, the engine's */
	if (d->cfg.n_suites) {
		cc.suites = d->cfg.suites;
		cc.n_suites = d->cfg.n_suites;
	}
	sc = cc;
	cc.trust = cr->client_trust;
	cc.no_verify_peer = !cr->client_trust;
	sc.role = HS_SERVER;
	sc.chain = &cr->server_chain;
	sc.key = cr->server_key;
	sc.tickets_to_send = 0;
	if (cr->client_trust)
		hsd_x509_store_set_cache(cr->client_trust, false);
	warm_pump(d, "x509", &cc, &sc);
	if (cr->client_trust)
		hsd_x509_store_set_cache(cr->client_trust, true);
}

/*
 * One handshake in memory before serving (TLS 1.3, PSK with the configured
 * groups' first, as NVMe's): libcrypto initialises what a handshake needs
 * on first use, and the first request after start took ~10x the time of
 * the next ones. Then one with the server certificate (warm_up_x509).
 */
void hsd_warm_up(struct hsd_daemon *d)
{
	struct hs_psk psk = { .identity = "warm-up", .identity_len = 7,
			      .key_len = 32, .hash = HSD_SHA256 };
	struct hs_config cc = {
		.crypto = d->crypto, .role = HS_CLIENT,
		.min_version = HS_TLS13, .max_version = HS_TLS13,
		.groups = d->cfg.groups, .n_groups = d->cfg.n_groups,
		.psks = &psk, .n_psks = 1,
	};
	struct hs_config sc = {
		.crypto = d->crypto, .role = HS_SERVER,
		.min_version = HS_TLS13, .max_version = HS_TLS13,
		.groups = d->cfg.groups, .n_groups = d->cfg.n_groups,
		.psk_lookup = warm_psk, .psk_lookup_arg = &psk,
	};

	memset(psk.key, 0x5a, psk.key_len);
	warm_pump(d, "", &cc, &sc);
	hsd_wipe(psk.key, sizeof(psk.key));
	warm_up_x509(d);
}

/* a configured ECDSA key short of nonces made ahead, or NULL */
static struct hsd_pkey *presign_key(const struct hsd_daemon *d)
{
	struct hsd_pkey *k[2] = { d->creds->server_key, d->creds->client_key };
	int i;

	for (i = 0; i < 2 && !d->presign_off; i++)
		if (hsd_pkey_presign_short(k[i]))
			return k[i];
	return NULL;
}

static bool rand_pool_low(const struct hsd_daemon *d)
{
	return d->rand_pool && !d->rand_pool_off &&
	       hsd_rand_pool_low(d->rand_pool);
}

static bool kex_pool_short(const struct hsd_daemon *d)
{
	return d->kex_pool && !d->kex_pool_off &&
	       !hsd_kex_pool_full(d->kex_pool);
}

/* is there anything to make while idle? */
bool hsd_ahead_pending(const struct hsd_daemon *d)
{
	if (d->stopping)
		return false;
	return rand_pool_low(d) || kex_pool_short(d) || presign_key(d);
}

/*
 * One piece of idle work: random bytes for the handshakes to come, else an
 * X25519 key share, else an ECDSA nonce for a configured key (a server's
 * CertificateVerify then costs a few products mod n, not a scalar
 * multiplication and an inversion). Credentials from keyrings are per
 * request and get none.
 */
void hsd_ahead_step(struct hsd_daemon *d)
{
	struct hsd_pkey *k;

	if (rand_pool_low(d)) {
		if (!hsd_rand_pool_fill(d->rand_pool))
			return;
		hsd_log(d, LOG_WARNING, "handshaked: random pool off: libcrypto gave no bytes");
		d->rand_pool_off = true;
		return;
	}
	if (kex_pool_short(d)) {
		if (hsd_kex_pool_fill_one(d->kex_pool) >= 0)
			return;
		hsd_log(d, LOG_WARNING, "handshaked: key pool off: cannot make a key");
		d->kex_pool_off = true;
		return;
	}
	k = presign_key(d);
	if (k && hsd_pkey_presign_fill_one(k) < 0) {
		hsd_log(d, LOG_WARNING, "handshaked: ECDSA nonces off: cannot make one");
		d->presign_off = true;
	}
}

/*
 * Once per quiet spell: no handshake in flight, nothing left to make, so
 * what the next handshakes use is ready (tests wait for this line before
 * measuring what was made ahead). The count tells one spell from another.
 */
void hsd_ahead_said_idle(struct hsd_daemon *d)
{
	uint64_t ended = d->served + d->failed;

	if (d->n_req || atomic_load(&d->taken) || d->stopping || d->idle_said == ended + 1)
		return;
	d->idle_said = ended + 1;
	hsd_log(d, LOG_DEBUG, "handshaked: idle: everything made ahead, %llu handshakes ended",
		(unsigned long long)ended);
}
