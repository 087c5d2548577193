// SPDX-License-Identifier: GPL-2.0
/* X.509: our chains, trust stores, peer chain verification. */
#include <arpa/inet.h>
#include <pthread.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "handshaked/crypto/internal.h"
#include "handshaked/util.h"

/*
 * Parsed certificates by content: OpenSSL 3.0's d2i_X509 decodes each
 * public key through a fresh decoder context, which costs more than the
 * signature checks of a handshake. Peers present the same chains again and
 * again, so parsed X509 objects are kept (by SHA-256 of the DER) and
 * shared. Only parsing is cached: every handshake verifies the chain.
 */
#define CERT_CACHE 64

struct cert_cache_entry {
	uint8_t id[32];
	X509 *x;
	uint64_t used;
};

/*
 * Chains that verified, by SHA-256 over purpose, name and every DER
 * certificate as presented: a peer reconnecting (an NFS client mounting
 * again, a host's queues) presents the identical chain, and building and
 * checking the path again would give the same answer until a certificate
 * expires or the store changes. An entry lives VERIFY_SECONDS at most and
 * never past the earliest notAfter of the chain; a new store (SIGHUP: new
 * trust anchors or CRLs) starts empty. Failures are never kept. The
 * CertificateVerify signature, the proof that the peer holds the key, is
 * checked on every handshake by the engine.
 */
#define VERIFY_CACHE 32
#define VERIFY_SECONDS 300
/*
 * A P-256 leaf answered from the cache (a peer that came back) gets a
 * table of its own (ecq.c: ~20 ms of idle CPU once, ~150 KB), and its
 * CertificateVerify signatures verify in half the time from then on. At
 * most one table per entry, so at most VERIFY_CACHE of them.
 */
#define TABLE_AFTER_HITS 1

struct verify_cache_entry {
	uint8_t id[32];
	EVP_PKEY *leaf;		/* its public key; NULL: empty slot */
	enum hsd_key_type type;	/* leaf's, classified once */
	time_t until;
	uint64_t used;
	unsigned int hits;
	struct hsd_ec_table *table;	/* building or built; a reference */
};

struct hsd_x509_store {
	X509_STORE *st;
	bool crl;
	const struct hsd_crypto *cr;
	pthread_mutex_t lock;
	struct cert_cache_entry cache[CERT_CACHE];
	struct verify_cache_entry verified[VERIFY_CACHE];
	uint64_t tick;
	uint64_t verify_hits;
	bool no_cache;		/* hsd_x509_store_set_cache(false) */
};

/* a parsed certificate (new reference), from the cache when possible */
static X509 *cert_get(struct hsd_x509_store *s, const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	struct cert_cache_entry *e, *victim;
	uint8_t id[32];
	X509 *x;
	int i;

	if (!s || s->no_cache || hsd_hash(s->cr, HSD_SHA256, der, len, id))
		goto parse;
	pthread_mutex_lock(&s->lock);
	victim = &s->cache[0];
	for (i = 0; i < CERT_CACHE; i++) {
		e = &s->cache[i];
		if (e->x && !memcmp(e->id, id, sizeof(id))) {
			e->used = ++s->tick;
			X509_up_ref(e->x);
			x = e->x;
			pthread_mutex_unlock(&s->lock);
			return x;
		}
		if (e->used < victim->used)
			victim = e;
	}
	pthread_mutex_unlock(&s->lock);
	x = d2i_X509(NULL, &p, (long)len);
	if (!x || p != der + len) {
		X509_free(x);
		return NULL;
	}
	pthread_mutex_lock(&s->lock);
	X509_free(victim->x);
	X509_up_ref(x);
	victim->x = x;
	memcpy(victim->id, id, sizeof(id));
	victim->used = ++s->tick;
	pthread_mutex_unlock(&s->lock);
	return x;
parse:
	x = d2i_X509(NULL, &p, (long)len);
	if (x && p != der + len) {
		X509_free(x);
		x = NULL;
	}
	return x;
}

int hsd_x509_store_new(const struct hsd_crypto *c, const char *file,
		       const char *dir, const char *crl,
		       struct hsd_x509_store **out)
{
	struct hsd_x509_store *s = OPENSSL_zalloc(sizeof(*s));
	int ok = 1;

	if (!s)
		return -ENOMEM;
	s->cr = c;
	pthread_mutex_init(&s->lock, NULL);
	s->st = X509_STORE_new();
	if (!s->st)
		goto err;
	if (file)
		ok &= X509_STORE_load_file_ex(s->st, file, c->lib, NULL) == 1;
	if (dir)
		ok &= X509_STORE_load_path(s->st, dir) == 1;
	if (!file && !dir)
		ok &= X509_STORE_set_default_paths_ex(s->st, c->lib, NULL) == 1;
	if (crl) {
		X509_LOOKUP *lu = X509_STORE_add_lookup(s->st, X509_LOOKUP_file());

		ok &= lu && X509_load_crl_file(lu, crl, X509_FILETYPE_PEM) > 0;
		X509_STORE_set_flags(s->st, X509_V_FLAG_CRL_CHECK |
				     X509_V_FLAG_CRL_CHECK_ALL);
		s->crl = true;
	}
	if (!ok)
		goto err;
	*out = s;
	return 0;
err:
	ERR_clear_error();
	hsd_x509_store_free(s);
	return -EINVAL;
}

void hsd_x509_store_free(struct hsd_x509_store *s)
{
	int i;

	if (!s)
		return;
	for (i = 0; i < CERT_CACHE; i++)
		X509_free(s->cache[i].x);
	for (i = 0; i < VERIFY_CACHE; i++) {
		EVP_PKEY_free(s->verified[i].leaf);
		hsd_ec_table_put(s->verified[i].table);
	}
	pthread_mutex_destroy(&s->lock);
	X509_STORE_free(s->st);
	OPENSSL_free(s);
}

static int chain_add(struct hsd_cert_chain *ch, X509 *x)
{
	unsigned char *der = NULL;
	int n;

	if (ch->n >= ARRAY_SIZE(ch->der))
		return -E2BIG;
	n = i2d_X509(x, &der);
	if (n <= 0)
		return -EINVAL;
	ch->der[ch->n] = der;
	ch->len[ch->n] = (size_t)n;
	ch->n++;
	return 0;
}

int hsd_cert_chain_load(const char *path, struct hsd_cert_chain *out)
{
	BIO *b = BIO_new_file(path, "r");
	X509 *x;
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (!b)
		return -ENOENT;
	while (!err && (x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
		err = chain_add(out, x);
		X509_free(x);
	}
	ERR_clear_error();
	BIO_free(b);
	if (!err && !out->n)
		err = -EINVAL;
	if (err)
		hsd_cert_chain_clear(out);
	return err;
}

int hsd_cert_chain_from_der(const uint8_t *der, size_t len,
			    struct hsd_cert_chain *out)
{
	const unsigned char *p = der, *end = der + len;
	X509 *x;
	int err = 0;

	memset(out, 0, sizeof(*out));
	while (!err && p < end) {
		x = d2i_X509(NULL, &p, end - p);
		if (!x) {
			err = -EINVAL;
			break;
		}
		err = chain_add(out, x);
		X509_free(x);
	}
	ERR_clear_error();
	if (!err && !out->n)
		err = -EINVAL;
	if (err)
		hsd_cert_chain_clear(out);
	return err;
}

void hsd_cert_chain_clear(struct hsd_cert_chain *ch)
{
	size_t i;

	for (i = 0; i < ch->n; i++)
		OPENSSL_free(ch->der[i]);
	memset(ch, 0, sizeof(*ch));
}

int hsd_cert_pubkey(const struct hsd_crypto *c, const uint8_t *der, size_t len,
		    struct hsd_pkey **out)
{
	const unsigned char *p = der;
	struct hsd_pkey *w;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	EVP_PKEY *k;

	if (!x || p != der + len) {
		X509_free(x);
		ERR_clear_error();
		return -EBADMSG;
	}
	k = X509_get_pubkey(x);
	X509_free(x);
	if (!k)
		return -EBADMSG;
	w = hsd_pkey_wrap(k);
	if (!w)
		return -ENOMEM;
	*out = w;
	return 0;
}

bool hsd_cert_matches_key(const uint8_t *der, size_t len,
			  const struct hsd_pkey *k)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	bool ok = x && X509_check_private_key(x, k->k) == 1;

	X509_free(x);
	ERR_clear_error();
	return ok;
}

static enum hsd_x509_verdict verdict(int e)
{
	switch (e) {
	case X509_V_OK:
		return HSD_X509_OK;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_CERT_UNTRUSTED:
		return HSD_X509_UNKNOWN_CA;
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return HSD_X509_EXPIRED;
	case X509_V_ERR_CERT_REVOKED:
		return HSD_X509_REVOKED;
	default:
		return HSD_X509_BAD_CERTIFICATE;
	}
}

/* the verification cache's key for one question; -1 if it cannot hash */
static int verify_id(const struct hsd_x509_store *s, const uint8_t *const *der,
		     const size_t *len, size_t n, const char *name,
		     enum hsd_x509_purpose purpose, uint8_t id[32])
{
	struct hsd_hash_ctx *h;
	uint8_t u[5] = { (uint8_t)purpose };
	size_t i;
	int e;

	if (hsd_hash_new(s->cr, HSD_SHA256, &h))
		return -1;
	e = hsd_hash_update(h, u, 1);
	/* the name with its terminator: "a" + "bc" differs from "ab" + "c" */
	e |= hsd_hash_update(h, name ? name : "", name ? strlen(name) + 1 : 1);
	for (i = 0; i < n; i++) {
		u[1] = (uint8_t)(len[i] >> 24), u[2] = (uint8_t)(len[i] >> 16);
		u[3] = (uint8_t)(len[i] >> 8), u[4] = (uint8_t)len[i];
		e |= hsd_hash_update(h, u + 1, 4);
		e |= hsd_hash_update(h, der[i], len[i]);
	}
	e |= hsd_hash_peek(h, id);
	hsd_hash_free(h);
	return e ? -1 : 0;
}

/*
 * A verified chain's leaf key (new reference) if @id is cached and fresh,
 * and in *table its table once built (a reference, or NULL).
 */
static EVP_PKEY *verified_get(struct hsd_x509_store *s, const uint8_t id[32],
			      struct hsd_ec_table **table,
			      enum hsd_key_type *type)
{
	time_t now = time(NULL);
	EVP_PKEY *k = NULL;
	int i;

	*table = NULL;
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < VERIFY_CACHE; i++) {
		struct verify_cache_entry *e = &s->verified[i];

		if (!e->leaf || memcmp(e->id, id, 32))
			continue;
		if (now < e->until && EVP_PKEY_up_ref(e->leaf)) {
			k = e->leaf;
			*type = e->type;
			e->used = ++s->tick;
			s->verify_hits++;
			if (++e->hits == TABLE_AFTER_HITS && !e->table)
				e->table = hsd_ec_table_new_async(e->leaf);
			if (hsd_ec_table_ready(e->table))
				*table = hsd_ec_table_get(e->table);
		}
		break;	/* one entry per id: verified_put replaces in place */
	}
	pthread_mutex_unlock(&s->lock);
	return k;
}

/* the earliest notAfter of the verified chain, trust anchor included */
static time_t chain_not_after(X509_STORE_CTX *ctx)
{
	struct stack_st_X509 *ch = X509_STORE_CTX_get0_chain(ctx);
	time_t until = time(NULL) + VERIFY_SECONDS, t;
	struct tm tm;
	int i;

	for (i = 0; ch && i < sk_X509_num(ch); i++) {
		if (ASN1_TIME_to_tm(X509_get0_notAfter(sk_X509_value(ch, i)), &tm) != 1)
			return 0;
		t = timegm(&tm);
		if (t < until)
			until = t;
	}
	return until;
}

static void verified_put(struct hsd_x509_store *s, const uint8_t id[32],
			 EVP_PKEY *leaf, time_t until)
{
	struct verify_cache_entry *victim = &s->verified[0];
	enum hsd_key_type type;
	int i;

	if (!leaf || until <= time(NULL) || !EVP_PKEY_up_ref(leaf))
		return;
	type = hsd_pkey_classify(leaf);
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < VERIFY_CACHE; i++) {
		/* an expired entry for the same chain is renewed, not doubled */
		if (s->verified[i].leaf && !memcmp(s->verified[i].id, id, 32)) {
			victim = &s->verified[i];
			break;
		}
		if (s->verified[i].used < victim->used)
			victim = &s->verified[i];
	}
	/* the same chain renewed keeps its key's table; another drops it */
	if (memcmp(victim->id, id, 32) || !victim->leaf) {
		hsd_ec_table_put(victim->table);
		victim->table = NULL;
		victim->hits = 0;
	}
	EVP_PKEY_free(victim->leaf);
	victim->leaf = leaf;
	victim->type = type;
	memcpy(victim->id, id, 32);
	victim->until = until;
	victim->used = ++s->tick;
	pthread_mutex_unlock(&s->lock);
}

uint64_t hsd_x509_verify_hits(struct hsd_x509_store *s)
{
	uint64_t n;

	pthread_mutex_lock(&s->lock);
	n = s->verify_hits;
	pthread_mutex_unlock(&s->lock);
	return n;
}

void hsd_x509_store_set_cache(struct hsd_x509_store *s, bool on)
{
	s->no_cache = !on;
}

static enum hsd_x509_verdict verify_full(struct hsd_x509_store *s,
					 const uint8_t *const *der,
					 const size_t *len, size_t n,
					 const char *name,
					 enum hsd_x509_purpose purpose,
					 const uint8_t *id,
					 struct hsd_pkey **leaf_key,
					 char *why, size_t whylen)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	enum hsd_x509_verdict v = HSD_X509_BAD_CERTIFICATE;
	X509_VERIFY_PARAM *vp;
	unsigned char ip[16];
	X509 *leaf = NULL, *x;
	size_t i;
	int e;
	/* STACK_OF(X509), spelled out so checkpatch sees a declaration */
	struct stack_st_X509 *untrusted = sk_X509_new_null();

	snprintf(why, whylen, "malformed certificate");
	if (!untrusted || !ctx || !n)
		goto out;
	for (i = 0; i < n; i++) {
		x = cert_get(s, der[i], len[i]);
		if (!x) {
			snprintf(why, whylen, "certificate %zu does not parse", i);
			goto out;
		}
		if (i == 0)
			leaf = x;
		else if (!sk_X509_push(untrusted, x))
			X509_free(x);
	}
	if (X509_STORE_CTX_init(ctx, s->st, leaf, untrusted) != 1)
		goto out;
	X509_STORE_CTX_set_purpose(ctx, purpose == HSD_X509_SERVER ?
				   X509_PURPOSE_SSL_SERVER :
				   X509_PURPOSE_SSL_CLIENT);
	vp = X509_STORE_CTX_get0_param(ctx);
	if (name && *name) {
		/* an IP literal is checked against IP SANs only, never DNS */
		if (inet_pton(AF_INET, name, ip) == 1 ||
		    inet_pton(AF_INET6, name, ip) == 1)
			X509_VERIFY_PARAM_set1_ip_asc(vp, name);
		else
			X509_VERIFY_PARAM_set1_host(vp, name, 0);
		X509_VERIFY_PARAM_set_hostflags(vp,
			X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	}
	if (X509_verify_cert(ctx) == 1) {
		EVP_PKEY *k = X509_get_pubkey(leaf);

		v = HSD_X509_OK;
		snprintf(why, whylen, "verified");
		if (id)
			verified_put(s, id, k, chain_not_after(ctx));
		if (leaf_key)
			*leaf_key = hsd_pkey_wrap(k);
		else
			EVP_PKEY_free(k);
		goto out;
	}
	e = X509_STORE_CTX_get_error(ctx);
	v = verdict(e);
	snprintf(why, whylen, "%s (depth %d)", X509_verify_cert_error_string(e),
		 X509_STORE_CTX_get_error_depth(ctx));
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_free(leaf);
	sk_X509_pop_free(untrusted, X509_free);
	return v;
}

enum hsd_x509_verdict hsd_x509_verify(struct hsd_x509_store *s,
				      const uint8_t *const *der,
				      const size_t *len, size_t n,
				      const char *name,
				      enum hsd_x509_purpose purpose,
				      struct hsd_pkey **leaf_key,
				      char *why, size_t whylen)
{
	uint8_t id[32];
	bool cacheable = n && !s->no_cache &&
			 !verify_id(s, der, len, n, name, purpose, id);
	struct hsd_ec_table *table = NULL;
	enum hsd_key_type type = HSD_KEY_OTHER;
	EVP_PKEY *hit = cacheable ? verified_get(s, id, &table, &type) : NULL;

	if (hit) {
		snprintf(why, whylen, "verified (cached)");
		if (leaf_key) {
			*leaf_key = hsd_pkey_wrap_as(hit, type);
			if (*leaf_key)
				(*leaf_key)->table = table;
			else
				hsd_ec_table_put(table);
		} else {
			EVP_PKEY_free(hit);
			hsd_ec_table_put(table);
		}
		return HSD_X509_OK;
	}
	return verify_full(s, der, len, n, name, purpose, cacheable ? id : NULL,
			   leaf_key, why, whylen);
}
