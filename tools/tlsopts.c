// SPDX-License-Identifier: GPL-2.0
/* Options shared by ktlsh client and ktlsh server. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "handshaked/util.h"
#include "tools/tlsopts.h"

void tls_opts_usage(FILE *f)
{
	fprintf(f,
		"  --tls1.2 | --tls1.3      only this version\n"
		"  --ca FILE                trust store (PEM); default: the system's\n"
		"  --cert FILE --key FILE   our certificate chain and key\n"
		"  --cipher LIST            suites, IANA names, ':' or ',' separated\n"
		"  --groups LIST            key exchange groups (x25519:P-256:P-384:P-521:x448:ffdhe2048:ffdhe3072)\n"
		"  --alpn LIST              ALPN protocols, comma separated\n"
		"  --psk-identity ID --psk-key HEX   external PSK (SHA-256; 48-byte keys: SHA-384)\n"
		"  --psk-file FILE          PSKs, one 'identity hexkey' per line (up to 5)\n"
		"  --keylog FILE            NSS key log (also $SSLKEYLOGFILE)\n"
		"  --no-ktls                records in user space even where kTLS exists\n"
		"  --no-pad                 TLS 1.3: tell kTLS RX the peer does not pad (trusted peers)\n"
		"  --record-size-limit N    offer/answer RFC 8449 record_size_limit (64..16385)\n"
		"  --tickets N              server: TLS 1.3 tickets per handshake (default 1,\n"
		"                           0: none, no resumption by ticket)\n"
		"  --timeout MS             the handshake's deadline (default 30000): a peer\n"
		"                           that stalls fails it with ETIMEDOUT\n");
}

static int split_list(char *s, int (*one)(struct tls_opts *, const char *),
		      struct tls_opts *o)
{
	char *save = NULL, *t;

	for (t = strtok_r(s, ":,", &save); t; t = strtok_r(NULL, ":,", &save))
		if (one(o, t))
			return -1;
	return 0;
}

static int add_suite(struct tls_opts *o, const char *name)
{
	const struct hs_suite *s = hs_suite_by_name(name);

	if (!s || o->cfg.n_suites == MAX_LIST) {
		fprintf(stderr, "ktlsh: unknown cipher suite %s\n", name);
		return -1;
	}
	o->suites[o->cfg.n_suites++] = s->id;
	return 0;
}

static int add_group(struct tls_opts *o, const char *name)
{
	uint16_t g = hsd_group_by_name(name);

	if (!g) {
		fprintf(stderr, "ktlsh: unknown group %s\n", name);
		return -1;
	}
	if (!hsd_group_supported(o->cr, g)) {
		fprintf(stderr, "ktlsh: group %s not in this libcrypto\n", name);
		return -1;
	}
	o->groups[o->cfg.n_groups++] = g;
	return 0;
}

int tls_opts_add_alpn(struct tls_opts *o, const char *name)
{
	size_t n = strlen(name);

	if (!n || n > 255 || o->cfg.alpn_len + 1 + n > sizeof(o->alpn))
		return -1;
	o->alpn[o->cfg.alpn_len] = (uint8_t)n;
	memcpy(o->alpn + o->cfg.alpn_len + 1, name, n);
	o->cfg.alpn_len += 1 + n;
	return 0;
}

static int add_psk(struct tls_opts *o, const char *id, const char *hex)
{
	struct hs_psk *p;
	size_t n = strlen(hex) / 2, i;
	unsigned int b;

	if (o->n_psks == HS_MAX_PSKS || strlen(id) >= sizeof(p->identity) ||
	    strlen(hex) % 2 || (n != 32 && n != 48 && n != 16)) {
		fprintf(stderr, "ktlsh: bad PSK for identity %s (16, 32 or 48 byte hex key)\n",
			id);
		return -1;
	}
	p = &o->psks[o->n_psks];
	memset(p, 0, sizeof(*p));
	memcpy(p->identity, id, strlen(id));
	p->identity_len = strlen(id);
	for (i = 0; i < n; i++) {
		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			return -1;
		p->key[i] = (uint8_t)b;
	}
	p->key_len = n;
	/* NVMe identities name hash and suite; others: by the key size */
	if (hs_psk_nvme_params(p) == -EINVAL) {
		fprintf(stderr, "ktlsh: NVMe identity %s does not fit a %zu-byte key\n",
			id, n);
		return -1;
	}
	if (!p->suite)
		p->hash = n == 48 ? HSD_SHA384 : HSD_SHA256;
	p->tag = (uint32_t)o->n_psks + 1;
	o->n_psks++;
	return 0;
}

static int psk_file(struct tls_opts *o, const char *path)
{
	char line[1024], *id, *key, *save = NULL;
	FILE *f = fopen(path, "r");
	int err = 0;

	if (!f) {
		fprintf(stderr, "ktlsh: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (!err && fgets(line, sizeof(line), f)) {
		/* "identity hexkey"; the identity may contain spaces (NVMe) */
		key = strrchr(line, ' ');
		if (line[0] == '#' || !key)
			continue;
		*key++ = 0;
		id = strtok_r(line, "\n", &save);
		key[strcspn(key, "\r\n")] = 0;
		err = id ? add_psk(o, id, key) : -1;
	}
	fclose(f);
	return err;
}

int tls_opt(struct tls_opts *o, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	char *v = *i + 1 < argc ? argv[*i + 1] : NULL;

#define ARG(name) (!strcmp(a, name) && (v || (fprintf(stderr, \
		"ktlsh: %s needs a value\n", name), 0)) && ++*i)
	if (!strcmp(a, "--tls1.2")) {
		o->cfg.min_version = o->cfg.max_version = HS_TLS12;
	} else if (!strcmp(a, "--tls1.3")) {
		o->cfg.min_version = o->cfg.max_version = HS_TLS13;
	} else if (ARG("--ca")) {
		o->ca = v;
	} else if (ARG("--cert")) {
		o->cert = v;
	} else if (ARG("--key")) {
		o->key = v;
	} else if (ARG("--servername")) {
		o->cfg.server_name = v;
	} else if (ARG("--sess-out")) {
		o->sess_out = v;
	} else if (ARG("--sess-in")) {
		o->sess_in = v;
	} else if (ARG("--cipher")) {
		return split_list(v, add_suite, o) ? -1 : 1;
	} else if (ARG("--groups")) {
		return split_list(v, add_group, o) ? -1 : 1;
	} else if (ARG("--alpn")) {
		return split_list(v, tls_opts_add_alpn, o) ? -1 : 1;
	} else if (ARG("--psk-identity")) {
		o->psk_identity = v;
	} else if (ARG("--psk-key")) {
		o->psk_key = v;
	} else if (ARG("--psk-file")) {
		return psk_file(o, v) ? -1 : 1;
	} else if (ARG("--keylog")) {
		o->keylog_path = v;
	} else if (!strcmp(a, "--no-ktls")) {
		o->no_ktls = true;
	} else if (!strcmp(a, "--no-pad")) {
		o->no_pad = true;
	} else if (ARG("--record-size-limit")) {
		/* RFC 8449 4: 64 up to 2^14 + 1 (the latter for TLS 1.3) */
		char *end;
		unsigned long n = strtoul(v, &end, 10);

		if (*end || n < 64 || n > 16385) {
			fprintf(stderr, "ktlsh: --record-size-limit takes 64..16385\n");
			return -1;
		}
		o->cfg.record_size_limit = (uint16_t)n;
	} else if (ARG("--timeout")) {
		char *end;
		unsigned long n = strtoul(v, &end, 10);

		if (*end || !n || n > 3600000) {
			fprintf(stderr, "ktlsh: --timeout takes 1..3600000 ms\n");
			return -1;
		}
		o->timeout_ms = (unsigned int)n;
	} else if (ARG("--tickets")) {
		char *end;
		unsigned long n = strtoul(v, &end, 10);

		if (*end || n > 8) {
			fprintf(stderr, "ktlsh: --tickets takes 0..8\n");
			return -1;
		}
		o->tickets_set = true;
		o->cfg.tickets_to_send = (unsigned int)n;
	} else if (!strcmp(a, "--keyupdate")) {
		o->keyupdate = true;
	} else if (!strcmp(a, "--verify-client")) {
		o->verify_client = true;
	} else if (!strcmp(a, "--insecure")) {
		o->insecure = true;
	} else if (!strcmp(a, "--middlebox-compat")) {
		o->cfg.middlebox_compat = true;
	} else if (ARG("--port")) {
		o->port = atoi(v);
	} else if (!strcmp(a, "--echo")) {
		o->echo = true;
	} else if (ARG("--send")) {
		o->send_file = v;
	} else if (!strcmp(a, "--www")) {
		o->www = true;
	} else if (!strcmp(a, "--once")) {
		o->once = true;
	} else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
		o->quiet = true;
	} else {
		return (a[0] == '-' && a[1] == '-' && (!strcmp(a, "--ca") ||
			!strcmp(a, "--cert") || !strcmp(a, "--key") ||
			!strcmp(a, "--port") || !strcmp(a, "--cipher"))) ? -1 : 0;
	}
#undef ARG
	return 1;
}

static uint64_t now_ms(void *arg)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int load_session(struct tls_opts *o)
{
	uint8_t buf[4096];
	FILE *f = fopen(o->sess_in, "rb");
	size_t n;

	if (!f) {
		fprintf(stderr, "ktlsh: %s: %s\n", o->sess_in, strerror(errno));
		return -errno;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (hs_session_decode(buf, n, &o->resume)) {
		fprintf(stderr, "ktlsh: %s is not a session file\n", o->sess_in);
		return -EINVAL;
	}
	o->cfg.resume = &o->resume;
	return 0;
}

void tls_save_session(struct tls_opts *o, struct hs_conn *c)
{
	struct hs_session s;
	uint8_t buf[4096];
	size_t n;
	FILE *f;

	if (!o->sess_out || hs_get_session(c, &s) ||
	    hs_session_encode(&s, buf, sizeof(buf), &n))
		return;
	f = fopen(o->sess_out, "wb");
	if (f) {
		fwrite(buf, 1, n, f);
		fclose(f);
	}
	memset(buf, 0, sizeof(buf));
	memset(&s, 0, sizeof(s));
}

static void keylog_line(void *arg, const char *line)
{
	FILE *f = arg;

	fprintf(f, "%s\n", line);
	fflush(f);
}

int tls_opts_finish(struct tls_opts *o, enum hs_role role)
{
	const char *kl = o->keylog_path ? o->keylog_path : getenv("SSLKEYLOGFILE");
	int err;

	o->cfg.crypto = o->cr;
	o->cfg.role = role;
	o->cfg.now = now_ms;
	if (o->cfg.n_suites)
		o->cfg.suites = o->suites;
	if (o->cfg.n_groups)
		o->cfg.groups = o->groups;
	if (o->cfg.alpn_len)
		o->cfg.alpn = o->alpn;
	if (o->psk_identity || o->psk_key) {
		if (!o->psk_identity || !o->psk_key ||
		    add_psk(o, o->psk_identity, o->psk_key))
			return -EINVAL;
	}
	if (o->cert || o->key) {
		if (!o->cert || !o->key) {
			fprintf(stderr, "ktlsh: --cert and --key go together\n");
			return -EINVAL;
		}
		err = hsd_cert_chain_load(o->cert, &o->chain);
		if (!err)
			err = hsd_pkey_load_private(o->cr, o->key, &o->cfg.key);
		if (err || !hsd_cert_matches_key(o->chain.der[0], o->chain.len[0],
						 o->cfg.key)) {
			fprintf(stderr, "ktlsh: cannot use %s with %s\n", o->cert,
				o->key);
			return -EINVAL;
		}
		o->cfg.chain = &o->chain;
	}
	if (role == HS_CLIENT || o->verify_client || o->ca) {
		err = hsd_x509_store_new(o->cr, o->ca, NULL, NULL, &o->trust);
		if (err) {
			fprintf(stderr, "ktlsh: cannot load trust store %s\n",
				o->ca ? o->ca : "(system)");
			return err;
		}
		o->cfg.trust = o->trust;
	}
	if (role == HS_CLIENT && o->sess_in) {
		err = load_session(o);
		if (err)
			return err;
	}
	if (role == HS_SERVER) {
		/* resumption: tickets (7200 s, rotated hourly) and IDs */
		err = o->tickets_set && !o->cfg.tickets_to_send ? 0 :
		      hs_ticket_keys_new(o->cr, 7200, 3600, now_ms, NULL,
					 &o->tickets);
		if (!err)
			err = hs_session_cache_new(1024, 3600, now_ms, NULL,
						   &o->cache);
		if (err)
			return err;
		o->cfg.ticket_keys = o->tickets;
		o->cfg.session_cache = o->cache;
	}
	if (role == HS_CLIENT) {
		o->cfg.no_verify_peer = o->insecure;
		o->cfg.psks = o->psks;
		o->cfg.n_psks = o->n_psks;
		o->cfg.psk_only = false;
	} else {
		o->cfg.request_client_cert = o->verify_client;
		o->cfg.require_client_cert = o->verify_client;
	}
	/* what every connection would be refused for, said once, at start */
	{
		struct hs_conn *probe;

		err = hs_conn_new(&o->cfg, &probe);
		if (err == -EINVAL && o->cfg.suites) {
			fprintf(stderr,
				"ktlsh: no suite of --cipher can run at the TLS versions allowed\n");
			return err;
		}
		if (err)
			return err;
		hs_conn_free(probe);
	}
	if (kl) {
		o->keylog = fopen(kl, "a");
		if (o->keylog) {
			o->cfg.keylog = keylog_line;
			o->cfg.keylog_arg = o->keylog;
		}
	}
	return 0;
}

int tls_opts_rand_pool(struct tls_opts *o)
{
	int err = hsd_rand_pool_new(&o->rand_pool);

	if (!err)
		o->cfg.rand_pool = o->rand_pool;
	return err;
}

void tls_opts_free(struct tls_opts *o)
{
	hsd_rand_pool_free(o->rand_pool);
	o->rand_pool = NULL;
	o->cfg.rand_pool = NULL;
	hsd_cert_chain_clear(&o->chain);
	hsd_pkey_free(o->cfg.key);
	hsd_x509_store_free(o->trust);
	hs_ticket_keys_free(o->tickets);
	hs_session_cache_free(o->cache);
	memset(&o->resume, 0, sizeof(o->resume));
	if (o->keylog)
		fclose(o->keylog);
	memset(o->psks, 0, sizeof(o->psks));
}

void tls_report(const char *who, struct hs_conn *c, int err)
{
	const char *why = NULL;
	uint8_t alert = 0;
	bool rcvd = false;

	if (c && hs_error(c, &alert, &rcvd, &why))
		fprintf(stderr, "ktlsh %s: %s alert %s: %s\n", who,
			rcvd ? "received" : "sent", hs_alert_name(alert), why);
	else
		fprintf(stderr, "ktlsh %s: %s\n", who, strerror(-err));
}

long opt_number(const char *v, long max)
{
	char *end;
	long n = v ? strtol(v, &end, 10) : -1;

	return v && !*end && n > 0 && n <= max ? n : -1;
}
