// SPDX-License-Identifier: GPL-2.0
/*
 * Certificates, keys, trust stores and CRLs named in the config file,
 * parsed once at start and on SIGHUP, never per handshake. Handshakes in
 * flight hold a reference to the set they started with. And the keyrings
 * whose keys consumers name per request, linked into ours.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "handshaked/daemon/daemon.h"
#include "handshaked/kernel/keys.h"

static int side(const struct hsd_crypto *cr, const struct hsd_cfg_x509 *x,
		const char *name, struct hsd_x509_store **trust,
		struct hsd_cert_chain *chain, struct hsd_pkey **key,
		char *err, size_t errlen)
{
	int e;

	e = hsd_x509_store_new(cr, x->truststore[0] ? x->truststore : NULL,
			       NULL, x->crl[0] ? x->crl : NULL, trust);
	if (e) {
		snprintf(err, errlen, "%s trust store %s%s%s: %s", name,
			 x->truststore[0] ? x->truststore : "(system)",
			 x->crl[0] ? " with CRL " : "", x->crl, strerror(-e));
		return e;
	}
	if (!x->certificate[0] && !x->private_key[0])
		return 0;
	if (!x->certificate[0] || !x->private_key[0]) {
		snprintf(err, errlen, "%s: x509.certificate and x509.private_key go together",
			 name);
		return -EINVAL;
	}
	e = hsd_cert_chain_load(x->certificate, chain);
	if (e) {
		snprintf(err, errlen, "%s certificate %s: %s", name,
			 x->certificate, strerror(-e));
		return e;
	}
	e = hsd_pkey_load_private(cr, x->private_key, key);
	if (e) {
		snprintf(err, errlen, "%s private key %s: %s", name,
			 x->private_key, strerror(-e));
		return e;
	}
	if (!hsd_cert_matches_key(chain->der[0], chain->len[0], *key)) {
		snprintf(err, errlen, "%s: %s does not match %s", name,
			 x->private_key, x->certificate);
		return -EINVAL;
	}
	return 0;
}

int hsd_creds_load(const struct hsd_crypto *cr, const struct hsd_cfg *cfg,
		   struct hsd_creds **out, char *err, size_t errlen)
{
	struct hsd_creds *c = calloc(1, sizeof(*c));
	int e;

	if (!c)
		return -ENOMEM;
	c->refs = 1;
	e = side(cr, &cfg->client, "[authenticate.client]", &c->client_trust,
		 &c->client_chain, &c->client_key, err, errlen);
	if (!e)
		e = side(cr, &cfg->server, "[authenticate.server]",
			 &c->server_trust, &c->server_chain, &c->server_key,
			 err, errlen);
	if (e) {
		hsd_creds_put(c);
		return e;
	}
	*out = c;
	return 0;
}

void hsd_creds_put(struct hsd_creds *c)
{
	if (!c || --c->refs)
		return;
	hsd_x509_store_free(c->client_trust);
	hsd_x509_store_free(c->server_trust);
	hsd_cert_chain_clear(&c->client_chain);
	hsd_cert_chain_clear(&c->server_chain);
	hsd_pkey_free(c->client_key);
	hsd_pkey_free(c->server_key);
	free(c);
}

/*
 * The keyrings consumers put credentials in, and the configured ones,
 * linked into our process keyring (possession lets us read their keys).
 */
void hsd_link_keyrings(struct hsd_daemon *d)
{
	static const char *const named[] = { ".nvme", ".nfs", ".nfsd" };
	int32_t k;
	size_t i;

	d->n_rings = 0;
	d->linked_us = hsd_now_us();
	/*
	 * The process keyring lives in each thread's credentials, shared by
	 * the threads cloned after it exists: made here, before the
	 * acceptor thread, it is one for all. Otherwise the kernel makes
	 * one for the acceptor alone when an ACCEPT links a consumer's
	 * keyring (ktlsh.ko's always), and the thread that reads the keys
	 * does not possess them (EACCES).
	 */
	if (hsd_keys_process_keyring() < 0)
		hsd_log(d, LOG_WARNING, "handshaked: no process keyring: keys lent with a request cannot be read");
	for (i = 0; i < 3 + d->cfg.n_keyrings; i++) {
		k = hsd_keys_link_named(i < 3 ? named[i] : d->cfg.keyrings[i - 3]);
		if (k > 0)
			d->rings[d->n_rings++] = k;
		else if (i >= 3)
			hsd_log(d, LOG_WARNING, "handshaked: keyring %s not found",
				d->cfg.keyrings[i - 3]);
	}
}
