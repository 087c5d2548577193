// SPDX-License-Identifier: GPL-2.0
/*
 * One kernel-requested handshake: the engine driven over the socket ACCEPT
 * handed us, kTLS keys installed, the result reported with DONE.
 *
 * The socket is shared with the kernel consumer, whose file flags we leave
 * alone: every call says MSG_DONTWAIT. Input is peeked, given to the
 * engine, and only the bytes it took are read: what follows the peer's
 * last handshake message stays in the socket for kTLS (doc/KERNEL-ABI.md §1.7).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include <keyutils.h>

#include "handshaked/daemon/daemon.h"
#include "handshaked/io/output.h"
#include "handshaked/io/peer.h"
#include "handshaked/kernel/kabi.h"
#include "handshaked/kernel/keys.h"
#include "handshaked/kernel/ktls.h"
#include "handshaked/kernel/ktlsh_nl.h"
#include "handshaked/util.h"

struct hsd_request {
	struct hsd_daemon *d;
	unsigned int slot;	/* its index in d->req */
	unsigned int live_pos;	/* its index in d->live */
	int fd;
	struct hsd_accept acc;
	struct hs_conn *tls;
	struct hsd_creds *creds;	/* a reference */
	struct hs_psk psks[HSD_PEERIDS_MAX];
	size_t n_psks;
	/* a credential from the keyring (ACCEPT's CERTIFICATE) */
	struct hsd_cert_chain chain;
	struct hsd_pkey *key;
	struct hsd_keycred *kc;		/* chain and key from the cache */
	uint64_t start_us, deadline_us;
	/* time the loop spent on this handshake (the rest is waiting) */
	uint64_t busy_us, busy_from;
	/* of which: credentials and engine set-up, the engine, kTLS keys */
	uint64_t queue_us, setup_us, engine_us, ktls_us;
	char peer[HSD_PEER_NAME_MAX];
	const char *auth;
	bool server;
	bool out_wait;		/* EPOLLOUT wanted */
	/* server PSK: ACCEPT's keyring (6.17+), else the daemon's */
	int32_t rings[3 + HSD_CFG_KEYRINGS_MAX];
	size_t n_rings;
	/* an application's request (ktlsh.ko): what it asked; NULL: kernel's */
	struct hsd_kh_app *app;
	uint8_t alpn[HSD_KH_ALPN_MAX * 256];	/* its ALPN list, wire form */
	uint16_t app_suites[16];
};

static const char *auth_name(uint32_t mode)
{
	switch (mode) {
	case HANDSHAKE_AUTH_UNAUTH: return "anon";
	case HANDSHAKE_AUTH_PSK: return "psk";
	case HANDSHAKE_AUTH_X509: return "x509";
	default: return "unknown";
	}
}

/* the server's PSK lookup: the identity among our keyrings' "psk" keys */
static int psk_lookup(void *arg, const uint8_t *id, size_t len,
		      struct hs_psk *out)
{
	struct hsd_request *h = arg;
	struct hsd_daemon *d = h->d;
	int err = hsd_keys_psk_find(h->rings, h->n_rings, id, len, out);

	/*
	 * Not in the daemon's keyrings: one may have been created (or
	 * replaced by a reloaded module) since they were linked. Look again,
	 * at most ten times a second, and retry.
	 */
	if (err == -ENOKEY && !h->acc.keyring &&
	    hsd_now_us() - d->linked_us > 100000) {
		hsd_link_keyrings(d);
		memcpy(h->rings, d->rings, d->n_rings * sizeof(d->rings[0]));
		h->n_rings = d->n_rings;
		err = hsd_keys_psk_find(h->rings, h->n_rings, id, len, out);
	}
	return err;
}

void hsd_keycred_clear(struct hsd_daemon *d)
{
	unsigned int i;

	for (i = 0; i < HSD_KEYCRED_CACHE; i++) {
		struct hsd_keycred *kc = &d->keycred[i];

		hsd_cert_chain_clear(&kc->chain);
		hsd_pkey_free(kc->key);
		memset(kc, 0, sizeof(*kc));
	}
}

/* the entry for these serials and payloads, or a free one, or NULL */
static struct hsd_keycred *keycred_find(struct hsd_daemon *d, int32_t cert,
					int32_t privkey, uint8_t digest[2][32],
					bool *hit)
{
	struct hsd_keycred *spare = NULL, *kc;
	unsigned int i;

	*hit = false;
	for (i = 0; i < HSD_KEYCRED_CACHE; i++) {
		kc = &d->keycred[i];
		if (kc->cert == cert && kc->privkey == privkey &&
		    !hsd_ct_memcmp(kc->digest, digest, sizeof(kc->digest))) {
			*hit = true;
			return kc;
		}
		/* the least recently used of those no handshake holds */
		if (!kc->refs && (!spare || !kc->cert || (spare->cert &&
				  kc->used_us < spare->used_us)))
			spare = kc;
	}
	return spare;
}

/*
 * ACCEPT's CERTIFICATE: DER certificate chain and private key by serial.
 * The payloads are read for every request (a key may have been updated
 * or revoked, and the kernel checks our right to it each time); their
 * parsing is cached by digest (struct hsd_keycred).
 */
static int keyring_credential(struct hsd_daemon *d, struct hsd_request *h)
{
	uint8_t *p[2] = { NULL, NULL }, digest[2][32];
	struct hsd_keycred *kc = NULL;
	size_t n[2] = { 0, 0 };
	bool hit = false;
	int err;

	err = hsd_keys_read(h->acc.cert, &p[0], &n[0]);
	if (!err)
		err = hsd_keys_read(h->acc.privkey, &p[1], &n[1]);
	if (!err)
		err = hsd_hash(d->crypto, HSD_SHA256, p[0], n[0], digest[0]);
	if (!err)
		err = hsd_hash(d->crypto, HSD_SHA256, p[1], n[1], digest[1]);
	if (!err)
		kc = keycred_find(d, h->acc.cert, h->acc.privkey, digest, &hit);
	if (!err && !hit) {
		struct hsd_cert_chain chain;
		struct hsd_pkey *key = NULL;

		err = hsd_cert_chain_from_der(p[0], n[0], &chain);
		if (!err) {
			err = hsd_pkey_private_from_mem(d->crypto, p[1], n[1], &key);
			if (err)
				hsd_cert_chain_clear(&chain);
		}
		if (!err && kc) {
			hsd_cert_chain_clear(&kc->chain);
			hsd_pkey_free(kc->key);
			kc->cert = h->acc.cert;
			kc->privkey = h->acc.privkey;
			memcpy(kc->digest, digest, sizeof(kc->digest));
			kc->chain = chain;
			kc->key = key;
		} else if (!err) {
			/* every entry in use: this request's own */
			h->chain = chain;
			h->key = key;
		}
	}
	if (!err && kc) {
		kc->refs++;
		kc->used_us = hsd_now_us();
		h->kc = kc;
	}
	hsd_wipe(digest, sizeof(digest));
	hsd_keys_free(p[0], n[0]);
	hsd_keys_free(p[1], n[1]);
	return err;
}

/*
 * An application's request (ktlsh.ko, GET-PARAMS): its TLS versions
 * within the daemon's policy ([handshaked] app_min_version), its ALPN
 * list and cipher suites. 0 or -errno.
 */
static int configure_app(const struct hsd_daemon *d, struct hsd_request *h,
			 struct hs_config *cfg)
{
	const struct hsd_kh_app *app = h->app;
	size_t i, off = 0, n = 0;
	char list[256], *name, *save;

	cfg->min_version = app->version_min ? app->version_min : HS_TLS12;
	cfg->max_version = app->version_max ? app->version_max : HS_TLS13;
	if (cfg->min_version < d->cfg.app_min_version)
		cfg->min_version = d->cfg.app_min_version;
	if (cfg->min_version > cfg->max_version)
		return -EPROTONOSUPPORT;
	for (i = 0; i < app->n_alpn; i++) {
		size_t l = strlen(app->alpn[i]);

		if (!l || l > 255 || off + 1 + l > sizeof(h->alpn))
			return -EINVAL;
		h->alpn[off++] = (uint8_t)l;
		memcpy(h->alpn + off, app->alpn[i], l);
		off += l;
	}
	if (off) {
		cfg->alpn = h->alpn;
		cfg->alpn_len = off;
	}
	/* the daemon's cipher_suites are TLS 1.3 ones: a TLS 1.2 range takes the engine's */
	if (cfg->min_version < HS_TLS13) {
		cfg->suites = NULL;
		cfg->n_suites = 0;
	}
	if (!app->cipher_policy[0])
		return 0;
	snprintf(list, sizeof(list), "%s", app->cipher_policy);
	for (name = strtok_r(list, ":;,", &save); name;
	     name = strtok_r(NULL, ":;,", &save)) {
		const struct hs_suite *s = hs_suite_by_name(name);

		if (!s || n == ARRAY_SIZE(h->app_suites))
			return -EINVAL;
		h->app_suites[n++] = s->id;
	}
	cfg->suites = h->app_suites;
	cfg->n_suites = n;
	return 0;
}

/*
 * A PSK is bound to a hash (RFC 8446 4.2.11), an NVMe/TCP one to a suite
 * (NVMe0R01: TLS_AES_128_GCM_SHA256, NVMe0R02: TLS_AES_256_GCM_SHA384):
 * the daemon's cipher_suites come first, then every other TLS 1.3 suite, so
 * that a PSK the list leaves out still connects (with the listed suite where
 * its hash allows). An application's own cipher policy is kept as it is.
 */
static void psk_suites(const struct hsd_daemon *d, struct hsd_request *h,
		       struct hs_config *cfg)
{
	_Static_assert(ARRAY_SIZE(h->app_suites) >= HSD_CFG_SUITES_MAX,
		       "the configured suites fit");
	const struct hs_suite *s;
	size_t i, j, n;

	if (!cfg->n_suites || cfg->suites != d->cfg.suites)
		return;
	n = cfg->n_suites;
	memcpy(h->app_suites, cfg->suites, n * sizeof(h->app_suites[0]));
	for (i = 0; (s = hs_suite_at(i)) && n < ARRAY_SIZE(h->app_suites); i++) {
		if (s->version != HS_TLS13)
			continue;
		for (j = 0; j < n && h->app_suites[j] != s->id; j++)
			;
		if (j == n)
			h->app_suites[n++] = s->id;
	}
	cfg->suites = h->app_suites;
	cfg->n_suites = n;
}

/*
 * The engine's configuration for this request. Kernel consumers need
 * TLS 1.3. 0 or -errno (DONE reports it as a positive status).
 */
static int configure(struct hsd_daemon *d, struct hsd_request *h,
			      struct hs_config *cfg)
{
	const struct hsd_accept *a = &h->acc;
	struct hsd_creds *cr = h->creds;
	size_t i;
	int err;

	cfg->crypto = d->crypto;
	/* a server honours a record_size_limit only if kTLS can keep it */
	cfg->ignore_record_size_limit = !d->ktls_tx_max_payload;
	cfg->kex_pool = d->kex_pool;
	cfg->rand_pool = d->rand_pool;
	cfg->min_version = cfg->max_version = HS_TLS13;
	/* groups the engine lacks (ML-KEM before OpenSSL 3.5) are skipped */
	cfg->groups = d->cfg.groups;
	cfg->n_groups = d->cfg.n_groups;
	if (d->cfg.n_suites) {
		cfg->suites = d->cfg.suites;
		cfg->n_suites = d->cfg.n_suites;
	}
	cfg->role = h->server ? HS_SERVER : HS_CLIENT;
	if (h->app) {
		err = configure_app(d, h, cfg);
		if (err)
			return err;
	}
	if (a->auth_mode == HANDSHAKE_AUTH_X509 && a->cert > 0 && a->privkey > 0) {
		err = keyring_credential(d, h);
		if (err)
			return -ENOKEY;
		cfg->chain = h->kc ? &h->kc->chain : &h->chain;
		cfg->key = h->kc ? h->kc->key : h->key;
	}
	if (!h->server) {
		/* verify the server against PEERNAME; never reverse DNS */
		cfg->server_name = a->peername[0] ? a->peername : NULL;
		if (h->app && h->app->peername[0])
			cfg->server_name = h->app->peername;
		cfg->trust = cr->client_trust;
		switch (a->auth_mode) {
		case HANDSHAKE_AUTH_UNAUTH:
			return 0;
		case HANDSHAKE_AUTH_X509:
			if (!cfg->chain) {
				if (!cr->client_key)
					return -ENOKEY;
				cfg->chain = &cr->client_chain;
				cfg->key = cr->client_key;
			}
			return 0;
		case HANDSHAKE_AUTH_PSK:
			/* every offered identity in one ClientHello */
			for (i = 0; i < a->n_peerids; i++)
				if (!hsd_keys_psk(a->peerids[i], &h->psks[h->n_psks]))
					h->n_psks++;
			if (!h->n_psks)
				return -ENOKEY;
			psk_suites(d, h, cfg);
			cfg->psks = h->psks;
			cfg->n_psks = h->n_psks;
			return 0;
		default:
			return -EOPNOTSUPP;
		}
	}
	/* the kernel's tickets are never used: no NewSessionTicket unasked */
	cfg->tickets_to_send = 0;
	switch (a->auth_mode) {
	case HANDSHAKE_AUTH_X509:
		if (!cfg->chain) {
			if (!cr->server_key)
				return -ENOKEY;
			cfg->chain = &cr->server_chain;
			cfg->key = cr->server_key;
		}
		/* a client certificate is asked for and verified if sent */
		cfg->trust = cr->server_trust;
		cfg->request_client_cert = cr->server_trust != NULL;
		return 0;
	case HANDSHAKE_AUTH_PSK:
		/*
		 * Only the server's keyrings: a client's private keyring,
		 * linked into our process keyring for its own ACCEPT, must
		 * not answer for the server side of the same machine.
		 */
		if (h->app && h->app->keyring > 0) {
			/* the application's own, which ktlsh.ko let us possess */
			h->rings[0] = h->app->keyring;
			h->n_rings = 1;
		} else if (a->keyring > 0) {
			h->rings[0] = a->keyring;
			h->n_rings = 1;
		} else {
			memcpy(h->rings, d->rings, d->n_rings * sizeof(d->rings[0]));
			h->n_rings = d->n_rings;
		}
		psk_suites(d, h, cfg);
		cfg->psk_lookup = psk_lookup;
		cfg->psk_lookup_arg = h;
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

int hsd_request_pool_init(struct hsd_daemon *d, unsigned int cap)
{
	unsigned int i;

	d->req = calloc(cap, sizeof(*d->req));
	d->req_gen = calloc(cap, sizeof(*d->req_gen));
	d->live = calloc(cap, sizeof(*d->live));
	d->free_slots = calloc(cap, sizeof(*d->free_slots));
	if (!d->req || !d->req_gen || !d->live || !d->free_slots) {
		hsd_request_pool_free(d);
		return -ENOMEM;
	}
	/* the lowest index on top: slot 0 is taken first */
	for (i = 0; i < cap; i++)
		d->free_slots[i] = cap - 1 - i;
	d->cap_req = d->n_free = cap;
	d->n_req = 0;
	return 0;
}

void hsd_request_pool_free(struct hsd_daemon *d)
{
	free(d->req);
	free(d->req_gen);
	free(d->live);
	free(d->free_slots);
	d->req = NULL;
	d->req_gen = NULL;
	d->live = d->free_slots = NULL;
	d->cap_req = d->n_free = d->n_req = 0;
}

/* epoll data for slot @s in its current generation */
static uint64_t hs_key(const struct hsd_daemon *d, unsigned int s)
{
	return HSD_EV_REQUEST | (uint64_t)(d->req_gen[s] & 0x7fffffff) << 32 | s;
}

/* a free slot for @h: 0, or -EBUSY when all cap_req are in use */
static int slot_take(struct hsd_daemon *d, struct hsd_request *h)
{
	if (!d->n_free)
		return -EBUSY;
	h->slot = d->free_slots[--d->n_free];
	h->live_pos = d->n_req;
	d->live[d->n_req++] = h->slot;
	d->req[h->slot] = h;
	return 0;
}

static void slot_free(struct hsd_daemon *d, unsigned int s)
{
	struct hsd_request *h = d->req[s];
	unsigned int last;

	hs_conn_free(h->tls);
	hsd_cert_chain_clear(&h->chain);
	hsd_pkey_free(h->key);
	h->key = NULL;
	if (h->kc)
		h->kc->refs--;
	h->kc = NULL;
	explicit_bzero(h->psks, sizeof(h->psks));
	hsd_creds_put(h->creds);
	free(h->app);
	/* the last live slot takes this one's place in the list */
	last = d->live[--d->n_req];
	d->live[h->live_pos] = last;
	d->req[last]->live_pos = h->live_pos;
	d->req[s] = NULL;
	d->req_gen[s]++;		/* events still queued for it are stale */
	d->free_slots[d->n_free++] = s;
	free(h);
}

/*
 * The one place DONE is sent: @status (a positive errno, 0 for success)
 * and the peer's identities for the request on @fd, whose socket is then
 * closed (the consumer holds its own reference); the acceptor gets room
 * for one more. The error DONE itself met, or 0.
 */
static int answer(struct hsd_daemon *d, int fd, unsigned int status,
		  const int32_t *auth, size_t n)
{
	int err = 0;

	if (fd >= 0) {
		err = hsd_upcall_done(d->nl, fd, status, auth, n);
		epoll_ctl(d->epfd, EPOLL_CTL_DEL, fd, NULL);
		close(fd);
	}
	atomic_fetch_sub(&d->taken, 1);
	return err;
}

void hsd_request_refuse(struct hsd_daemon *d, const struct hsd_accept *a, int err,
		   const char *why)
{
	int e = answer(d, a->sockfd, (unsigned int)-err, NULL, 0);

	hsd_log(d, LOG_WARNING, "handshake fd=%d refused: %s (%s), done=%s", a->sockfd,
		why, strerror(-err), e ? strerror(-e) : "ok");
	d->failed++;
}

/*
 * A verified client certificate is reported as a key (REMOTE_AUTH is a
 * serial; the NFS server takes any non-zero one as "authenticated"): a
 * "user" key in our process keyring holding the peer's DER certificate,
 * as tlshd does, expiring by itself.
 */
static int32_t peer_cert_key(const struct hsd_request *h)
{
	const uint8_t *der;
	char desc[128];
	key_serial_t k;
	size_t len;

	if (hs_peer_certificate(h->tls, &der, &len))
		return 0;
	snprintf(desc, sizeof(desc), "handshaked:peer:%s:%llu", h->peer,
		 (unsigned long long)h->start_us);
	k = add_key("user", desc, der, len, KEY_SPEC_PROCESS_KEYRING);
	if (k < 0)
		return 0;
	keyctl_set_timeout(k, 600);
	return k;
}

/* what the log says of the peer: how it was authenticated, if it was */
static const char *peer_auth(const struct hsd_request *h, const struct hs_params *p,
			     unsigned int status, size_t n_remote)
{
	if (status || !p)
		return "-";
	if (p->psk)
		return "psk";
	if (!p->peer_authenticated)
		return "none";
	/* a server that could not make the key reports no peer */
	return h->server && !n_remote ? "x509-unreported" : "x509";
}

/* answer the kernel, log the line, free the slot */
static void finish(struct hsd_daemon *d, unsigned int i, int result,
		   const char *why)
{
	/* DONE carries a positive errno, 0 for success */
	unsigned int status = (unsigned int)-result;
	struct hsd_request *h = d->req[i];
	const struct hs_params *p = h->tls ? hs_params(h->tls) : NULL;
	int32_t auth[HSD_PEERIDS_MAX];
	char app_tag[320] = "";
	size_t n = 0;
	int err;

	if (h->app) {
		snprintf(app_tag, sizeof(app_tag), " app=%u uid=%u alpn=%s",
			 h->app->id, h->app->uid,
			 !status && p && p->alpn[0] ? p->alpn : "-");
		/* what kTLS's state cannot tell the application, before DONE */
		if (!status && p && p->alpn[0] && d->kh)
			hsd_kh_report(d->kh, h->fd, p->alpn);
	}
	if (!status && p && p->psk && p->psk_used)
		auth[n++] = (int32_t)p->psk_used->tag;
	else if (!status && p && h->server && p->peer_authenticated)
		auth[n] = peer_cert_key(h), n += auth[n] != 0;
	err = answer(d, h->fd, status, auth, n);
	hsd_log(d, status ? 3 : 6,
		"handshake peer=%s role=%s auth=%s%s version=%s suite=%s group=%s hrr=%s peer_auth=%s us=%llu queue_us=%llu busy_us=%llu setup_us=%llu engine_us=%llu ktls_us=%llu result=%s reason=\"%s\" done=%s",
		h->peer, h->server ? "server" : "client", h->auth, app_tag,
		p && p->version == HS_TLS13 ? "TLSv1.3" :
		p && p->version == HS_TLS12 && !status ? "TLSv1.2" : "-",
		p && p->suite ? p->suite->name : "-",
		p && p->group ? hsd_group_name(p->group) : "-",
		p && p->hello_retry ? "yes" : "no",
		peer_auth(h, p, status, n),
		(unsigned long long)(hsd_now_us() - h->start_us),
		(unsigned long long)h->queue_us,
		(unsigned long long)(h->busy_us +
				     (h->busy_from ? hsd_now_us() - h->busy_from : 0)),
		(unsigned long long)h->setup_us,
		(unsigned long long)h->engine_us,
		(unsigned long long)h->ktls_us,
		status ? strerror((int)status) : "ok", why,
		err ? strerror(-err) : "ok");
	if (status)
		d->failed++;
	else
		d->served++;
	slot_free(d, i);
}

/* the engine's failure as the -errno consumers understand (doc/KERNEL-ABI.md §1.4) */
static int engine_status(const struct hsd_request *h, const char **why)
{
	uint8_t alert = 0;
	bool rcvd = false;

	*why = "handshake failed";
	if (!hs_error(h->tls, &alert, &rcvd, why))
		return -EIO;
	if (alert == HS_ALERT_UNKNOWN_PSK_IDENTITY)
		return -EKEYREJECTED;
	if (alert == HS_ALERT_INTERNAL_ERROR && !rcvd)
		return -EIO;
	return -EACCES;
}

/* send what the engine has; 1 if all went, 0 if the socket is full */
static int flush(struct hsd_request *h)
{
	return hsd_send_output(h->tls, h->fd, MSG_DONTWAIT);
}

static void want_out(struct hsd_daemon *d, unsigned int i, bool on)
{
	struct hsd_request *h = d->req[i];
	struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0),
				  .data.u64 = hs_key(d, i) };

	if (h->out_wait == on)
		return;
	h->out_wait = on;
	epoll_ctl(d->epfd, EPOLL_CTL_MOD, h->fd, &ev);
}

/* the handshake is done and sent: keys into the kernel, then DONE */
static void complete(struct hsd_daemon *d, unsigned int i)
{
	struct hsd_request *h = d->req[i];
	uint64_t t0 = hsd_now_us();
	int err = hsd_ktls_install(h->fd, h->tls);

	h->ktls_us = hsd_now_us() - t0;
	if (err) {
		char why[96];

		snprintf(why, sizeof(why), "kTLS: %s", strerror(-err));
		finish(d, i, -EIO, why);
		return;
	}
	finish(d, i, 0, "-");
}

/* the socket of slot @i is ready (or its deadline passed: @expired) */
static void hs_event(struct hsd_daemon *d, unsigned int i, bool expired)
{
	struct hsd_request *h = d->req[i];
	uint8_t buf[16384 + 2048];
	const char *why;
	size_t used = 0;
	ssize_t r;
	int f;

	if (!h->busy_from)
		h->busy_from = hsd_now_us();
	if (expired) {
		finish(d, i, -ETIMEDOUT, "deadline passed");
		return;
	}
	f = flush(h);
	if (f < 0) {
		finish(d, i, -ETIMEDOUT, "peer gone (send)");
		return;
	}
	if (!hs_is_done(h->tls)) {
		r = recv(h->fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
		if (r == 0) {
			finish(d, i, -ETIMEDOUT, "peer closed the connection");
			return;
		}
		if (r < 0 && errno != EAGAIN && errno != EINTR) {
			finish(d, i, -ETIMEDOUT, "peer gone (recv)");
			return;
		}
		if (r > 0) {
			uint64_t t0 = hsd_now_us();

			hs_input(h->tls, buf, (size_t)r, &used);
			h->engine_us += hsd_now_us() - t0;
			/* exactly what the engine took; the rest is kTLS's */
			if (used && recv(h->fd, buf, used, MSG_DONTWAIT) != (ssize_t)used) {
				finish(d, i, -EIO, "socket read failed");
				return;
			}
			f = flush(h);
		}
		if (hs_error(h->tls, NULL, NULL, NULL)) {
			int st = engine_status(h, &why);

			finish(d, i, st, why);
			return;
		}
	}
	if (f < 0) {
		finish(d, i, -ETIMEDOUT, "peer gone (send)");
		return;
	}
	want_out(d, i, f == 0);
	if (hs_is_done(h->tls) && f == 1) {
		complete(d, i);
		return;
	}
	h->busy_us += hsd_now_us() - h->busy_from;
	h->busy_from = 0;
}

/*
 * Is @h an application's request (ktlsh.ko)? Its parameters into h->app
 * if so. 0 (either way) or -errno. The module's family is looked for
 * again at most once a second while absent, and dropped when it goes.
 */
static int app_params(struct hsd_daemon *d, struct hsd_request *h)
{
	struct hsd_kh_app app;
	uint64_t now = hsd_now_us();
	int err;

	if (!d->kh) {
		/*
		 * An application's request comes through ktlsh.ko, which is
		 * then loaded: without it, no lookup. Resolving a generic
		 * netlink family the kernel lacks makes it run modprobe for
		 * the family's alias (genl_ctrl's request_module), on the
		 * request's path: ~65 ms under emulation, once a second.
		 */
		if (access("/sys/module/ktlsh", F_OK))
			return 0;
		if (d->kh_looked_us && now - d->kh_looked_us < 1000000)
			return 0;
		d->kh_looked_us = now;
		if (hsd_kh_open(&d->kh))
			return 0;
	}
	err = hsd_kh_get_params(d->kh, h->fd, &app);
	if (err == -ENOENT)
		return 0;	/* a kernel consumer's */
	if (err) {
		/* the module went away (or was reloaded): look again later */
		hsd_kh_close(d->kh);
		d->kh = NULL;
		d->kh_looked_us = now;
		hsd_log(d, LOG_DEBUG, "handshaked: ktlsh GET-PARAMS: %s", strerror(-err));
		return 0;
	}
	h->app = malloc(sizeof(*h->app));
	if (!h->app)
		return -ENOMEM;
	*h->app = app;
	return 0;
}

int hsd_request_start(struct hsd_daemon *d, const struct hsd_accept *a)
{
	struct hs_config cfg = { 0 };
	struct epoll_event ev = { .events = EPOLLIN };
	struct hsd_request *h;
	uint64_t now;
	unsigned int i;
	int st;

	h = calloc(1, sizeof(*h));
	if (!h || slot_take(d, h)) {
		free(h);
		hsd_request_refuse(d, a, h ? -EBUSY : -ENOMEM, "no slot");
		return -ENOMEM;
	}
	h->d = d;
	h->fd = a->sockfd;
	h->acc = *a;
	h->server = a->message_type == HANDSHAKE_MSG_TYPE_SERVERHELLO;
	h->auth = auth_name(a->auth_mode);
	/*
	 * The request's time (log, deadline) counts from the ACCEPT, as the
	 * consumer's does; queue_us is what it waited for the loop.
	 */
	now = hsd_now_us();
	h->start_us = a->taken_us && a->taken_us <= now ? a->taken_us : now;
	h->queue_us = now - h->start_us;
	h->busy_from = now;
	/* the configured bound, or the consumer's own if that is shorter */
	h->deadline_us = h->start_us + 1000ULL *
		(a->timeout_ms && a->timeout_ms < d->cfg.timeout_ms ?
		 a->timeout_ms : d->cfg.timeout_ms);
	h->creds = d->creds;
	h->creds->refs++;
	hsd_peer_name(h->fd, h->peer, sizeof(h->peer));
	i = h->slot;
	st = app_params(d, h);
	if (st) {
		finish(d, i, st, "application's parameters unreadable");
		return st;
	}
	if (h->app && h->app->timeout_ms) {
		uint64_t t = now + 1000ULL * h->app->timeout_ms;

		if (t < h->deadline_us)
			h->deadline_us = t;
	}
	if (a->message_type != HANDSHAKE_MSG_TYPE_CLIENTHELLO && !h->server) {
		finish(d, i, -EOPNOTSUPP, "unknown message type");
		return -EOPNOTSUPP;
	}
	st = configure(d, h, &cfg);
	if (st) {
		finish(d, i, st, st == -ENOKEY ? "no credentials" :
		       "unsupported authentication mode");
		return st;
	}
	if (hs_conn_new(&cfg, &h->tls) || (!h->server && hs_start(h->tls))) {
		hs_conn_free(h->tls);
		h->tls = NULL;
		finish(d, i, -EIO, "engine setup failed");
		return -EIO;
	}
	h->setup_us = hsd_now_us() - now;
	ev.data.u64 = hs_key(d, i);
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, h->fd, &ev)) {
		finish(d, i, -EIO, "epoll");
		return -EIO;
	}
	/*
	 * A client sends its ClientHello now. A server reads the peer's when
	 * epoll reports it: a burst's requests are all taken and started
	 * before any ClientHello is worked on (~2 ms each under emulation),
	 * and the loop takes the requests that came meanwhile between two.
	 */
	if (!h->server) {
		hs_event(d, h->slot, false);
		return 0;
	}
	h->busy_us += hsd_now_us() - h->busy_from;
	h->busy_from = 0;
	return 0;
}

void hsd_request_on_event(struct hsd_daemon *d, uint64_t key)
{
	unsigned int s = (unsigned int)key;

	if (s < d->cap_req && d->req[s] && key == hs_key(d, s))
		hs_event(d, s, false);
}

void hsd_request_expire(struct hsd_daemon *d)
{
	uint64_t now = hsd_now_us();
	unsigned int k = 0, s;

	while (k < d->n_req) {
		s = d->live[k];
		if (d->req[s]->deadline_us <= now) {
			/* frees s: the last live slot moves to k */
			hs_event(d, s, true);
			continue;
		}
		k++;
	}
}

void hsd_request_fail_all(struct hsd_daemon *d, int err, const char *why)
{
	while (d->n_req)
		finish(d, d->live[d->n_req - 1], err, why);
}

int hsd_request_next_deadline(struct hsd_daemon *d)
{
	uint64_t now = hsd_now_us(), min = UINT64_MAX;
	unsigned int k;

	for (k = 0; k < d->n_req; k++)
		if (d->req[d->live[k]]->deadline_us < min)
			min = d->req[d->live[k]]->deadline_us;
	if (min == UINT64_MAX)
		return -1;
	return min <= now ? 0 : (int)((min - now + 999) / 1000);
}
