// SPDX-License-Identifier: GPL-2.0
/*
 * ktlsh serve: the HTTPS file server (handshaked/io/server.c) from the
 * command line. SIGTERM or SIGINT: stop accepting, finish what is in
 * flight within the grace period, exit 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/ktlsh.h>

#include "handshaked/crypto/crypto.h"
#include "handshaked/io/server.h"
#include "handshaked/kernel/keys.h"
#include "tools/tlsopts.h"

static void serve_usage(FILE *f)
{
	fprintf(f,
		"usage: ktlsh serve --root DIR --port N --cert FILE --key FILE [OPTIONS]\n"
		"  --root DIR               the directory served (nothing outside it, ever)\n"
		"  --port N                 TCP port, IPv6 and IPv4\n"
		"  --threads N              rings and listeners (default: one per online CPU)\n"
		"  --max-conns N            open connections at most (default 10000)\n"
		"  --verify-client --ca FILE  mutual TLS: clients must present a certificate\n"
		"  --access-log FILE        one line per response, common log format\n"
		"  --header-timeout MS      a request head must arrive within (default 10000)\n"
		"  --idle-timeout MS        keep-alive between requests (default 60000)\n"
		"  --write-timeout MS       a client that stops reading (default 30000)\n"
		"  --grace MS               at SIGTERM, for responses in flight (default 10000)\n"
		"  --file-cache MS          reuse an open file this long (default 1000, 0: off):\n"
		"                           a file changed meanwhile is served as it was\n"
		"  --rekey-records N        tests: TLS 1.3 kTLS TX rekeys after N records (a\n"
		"                           kernel that cannot rekey keeps user space)\n"
		"  -v                       a line per connection: peer, version, suite,\n"
		"                           kTLS or user space and why, bytes, duration\n"
		"  --kernel-handshake       the kernel does each handshake (ktlsh.ko and\n"
		"                           handshaked): this process never holds a\n"
		"                           traffic key; --cert/--key go into a keyring\n"
		"  --cert-serial N --key-serial N\n"
		"                           with --kernel-handshake: certificate chain\n"
		"                           (DER) and private key already in keys\n"
		"TLS options:\n");
	tls_opts_usage(f);
}

/* what --kernel-handshake asks the module for, and the keys it made */
struct kernel_hs {
	bool on;
	struct hsd_kh_params p;
	int32_t made_cert, made_key;	/* ours to drop at exit */
	const char *cipher;
	char alpn[256 + HSD_KH_ALPN_MAX];	/* the names, NUL-terminated */
	char cipher_buf[512];		/* every --cipher list, ':' joined */
};

/*
 * --cert and --key for the kernel's handshake: checked here (the key
 * must be the leaf's), then handed to the kernel as two keys only their
 * possessor can read, named by every request. The private key is read,
 * moved into the key and wiped: it is never used here.
 */
static int kernel_credential(struct tls_opts *o, struct kernel_hs *k)
{
	struct hsd_cert_chain chain;
	struct hsd_pkey *pk = NULL;
	uint8_t *der = NULL, *key = NULL;
	size_t n = 0, i, keylen = 0;
	char desc[64];
	int err, fd;

	err = hsd_cert_chain_load(o->cert, &chain);
	if (err) {
		fprintf(stderr, "ktlsh serve: %s: no certificate (%s)\n", o->cert,
			strerror(-err));
		return err;
	}
	/* read(2), not stdio: no buffer of the key's left unwiped */
	fd = open(o->key ? o->key : o->cert, O_RDONLY | O_CLOEXEC);
	key = malloc(65536);
	err = fd < 0 ? -errno : !key ? -ENOMEM : 0;
	while (!err && keylen < 65536) {
		ssize_t r = read(fd, key + keylen, 65536 - keylen);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err = r < 0 ? -errno : 0;
			break;
		}
		keylen += (size_t)r;
	}
	if (!err && keylen == 65536)
		err = -EFBIG;
	if (fd >= 0)
		close(fd);
	if (!err && (hsd_pkey_private_from_mem(o->cr, key, keylen, &pk) ||
		     !hsd_cert_matches_key(chain.der[0], chain.len[0], pk)))
		err = -EKEYREJECTED;
	hsd_pkey_free(pk);
	for (i = 0; i < chain.n; i++)
		n += chain.len[i];
	der = err ? NULL : malloc(n);
	if (!err && !der)
		err = -ENOMEM;
	if (err) {
		fprintf(stderr, "ktlsh serve: %s: %s\n", o->key ? o->key : o->cert,
			err == -EKEYREJECTED ?
			"not a private key of the certificate" : strerror(-err));
		goto out;
	}
	/* the chain as the daemon reads it: DER certificates, leaf first */
	for (n = 0, i = 0; i < chain.n; i++) {
		memcpy(der + n, chain.der[i], chain.len[i]);
		n += chain.len[i];
	}
	snprintf(desc, sizeof(desc), "ktlsh serve %d: certificate", (int)getpid());
	k->made_cert = hsd_keys_add_private(desc, der, n);
	snprintf(desc, sizeof(desc), "ktlsh serve %d: private key", (int)getpid());
	k->made_key = hsd_keys_add_private(desc, key, keylen);
	err = k->made_cert < 0 ? k->made_cert : k->made_key < 0 ? k->made_key : 0;
	if (err)
		fprintf(stderr, "ktlsh serve: the keys for the kernel: %s\n",
			strerror(-err));
	k->p.cert = k->made_cert;
	k->p.privkey = k->made_key;
out:
	if (key) {
		hsd_wipe(key, 65536);
		free(key);
	}
	free(der);
	hsd_cert_chain_clear(&chain);
	return err;
}

/* the parameters of each request, from the options: 0, or 1 (said why) */
static int kernel_params(struct tls_opts *o, struct hsd_server_opts *so,
			 struct kernel_hs *k)
{
	const char *refused = o->verify_client ? "--verify-client" :
			      o->ca ? "--ca" :
			      o->cfg.middlebox_compat ? "--middlebox-compat" :
			      o->no_ktls ? "--no-ktls" :
			      o->cfg.n_groups ? "--groups" :
			      o->n_psks || o->psk_identity ? "--psk-*" :
			      o->keylog_path ? "--keylog" :
			      o->cfg.record_size_limit ? "--record-size-limit" :
			      so->rekey_records ? "--rekey-records" :
			      o->cfg.tickets_to_send ? "--tickets" : NULL;
	size_t i, off = 0;

	if (refused) {
		/* the daemon decides these for every request (handshaked.conf) */
		fprintf(stderr, "ktlsh serve: %s is handshaked's to decide with --kernel-handshake\n",
			refused);
		return 1;
	}
	k->p.role = KTLSH_ROLE_SERVER;
	k->p.auth = KTLSH_AUTH_X509;
	k->p.timeout_ms = so->handshake_ms;
	k->p.version_min = o->cfg.min_version;
	k->p.version_max = o->cfg.max_version;
	k->p.cipher_policy = k->cipher;
	/* the ALPN list on the wire (RFC 7301 3.1) back into names */
	for (i = 0; i < o->cfg.alpn_len;) {
		size_t l = o->alpn[i];

		if (k->p.n_alpn == HSD_KH_ALPN_MAX) {
			fprintf(stderr, "ktlsh serve: at most %d ALPN protocols go to the kernel\n",
				HSD_KH_ALPN_MAX);
			return 1;
		}
		if (!l || i + 1 + l > o->cfg.alpn_len || off + l + 1 > sizeof(k->alpn))
			break;
		memcpy(k->alpn + off, o->alpn + i + 1, l);
		k->alpn[off + l] = '\0';
		k->p.alpn[k->p.n_alpn++] = k->alpn + off;
		off += l + 1;
		i += 1 + l;
	}
	if ((k->p.cert > 0) != (k->p.privkey > 0)) {
		fprintf(stderr, "ktlsh serve: --cert-serial and --key-serial go together\n");
		return 1;
	}
	if (k->p.cert && (o->cert || o->key)) {
		fprintf(stderr, "ktlsh serve: --cert/--key or --cert-serial/--key-serial, not both\n");
		return 1;
	}
	if (!k->p.cert && kernel_credential(o, k))
		return 1;
	so->kernel_handshake = &k->p;
	return 0;
}

static void say_ready(void *arg, int port)
{
	fprintf(stderr, "ktlsh serve: listening on port %d\n", port);
}

int cmd_serve(int argc, char **argv, struct hsd_crypto *cr)
{
	struct tls_opts o = { .cr = cr };
	struct hsd_server_opts so = {
		.max_conns = 10000, .handshake_ms = 10000, .header_ms = 10000,
		.idle_ms = 60000, .write_ms = 30000, .grace_ms = 10000,
		.file_cache_ms = 1000,
		.log = stderr, .access_log = -1,
		.ready = say_ready,
	};
	struct kernel_hs k = { 0 };
	const char *access = NULL;
	sigset_t set;
	struct stat st;
	int i, r, err;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		unsigned int *num = NULL;
		long max = 3600000, n;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			serve_usage(stdout);
			return 0;
		}
		if (!strcmp(a, "--root") && v) {
			so.root = argv[++i];
			continue;
		}
		if (!strcmp(a, "--access-log") && v) {
			access = argv[++i];
			continue;
		}
		if (!strcmp(a, "-v")) {
			so.verbose++;
			continue;
		}
		if (!strcmp(a, "--kernel-handshake")) {
			k.on = true;
			continue;
		}
		if ((!strcmp(a, "--cert-serial") || !strcmp(a, "--key-serial")) && v) {
			n = opt_number(v, INT32_MAX);
			if (n < 0) {
				fprintf(stderr, "ktlsh serve: %s takes a key serial\n", a);
				return 1;
			}
			*(a[2] == 'c' ? &k.p.cert : &k.p.privkey) = (int32_t)n;
			i++;
			continue;
		}
		/*
		 * The names as given, for the kernel's handshake: copied
		 * before tls_opt() splits the string in place
		 */
		if (!strcmp(a, "--cipher") && v) {
			size_t used = strlen(k.cipher_buf);

			if (used + 1 + strlen(v) >= sizeof(k.cipher_buf)) {
				fprintf(stderr, "ktlsh serve: --cipher lists too long\n");
				return 1;
			}
			snprintf(k.cipher_buf + used, sizeof(k.cipher_buf) - used,
				 "%s%s", used ? ":" : "", v);
			k.cipher = k.cipher_buf;
		}
		if (!strcmp(a, "--threads")) {
			num = &so.threads;
			max = 1024;
		} else if (!strcmp(a, "--max-conns")) {
			num = &so.max_conns;
			max = 1000000;
		} else if (!strcmp(a, "--header-timeout")) {
			num = &so.header_ms;
		} else if (!strcmp(a, "--idle-timeout")) {
			num = &so.idle_ms;
		} else if (!strcmp(a, "--write-timeout")) {
			num = &so.write_ms;
		} else if (!strcmp(a, "--grace")) {
			num = &so.grace_ms;
		} else if (!strcmp(a, "--file-cache") && v && !strcmp(v, "0")) {
			so.file_cache_ms = 0;
			i++;
			continue;
		} else if (!strcmp(a, "--file-cache")) {
			num = &so.file_cache_ms;
		} else if (!strcmp(a, "--rekey-records")) {
			n = opt_number(v, 1L << 40);
			if (n < 0) {
				fprintf(stderr, "ktlsh serve: --rekey-records takes a count\n");
				return 1;
			}
			so.rekey_records = (uint64_t)n;
			i++;
			continue;
		}
		if (num) {
			n = opt_number(v, max);
			if (n < 0) {
				fprintf(stderr, "ktlsh serve: %s takes 1..%ld\n", a, max);
				return 1;
			}
			*num = (unsigned int)n;
			i++;
			continue;
		}
		r = tls_opt(&o, argc, argv, &i);
		if (r <= 0) {
			if (!r)
				fprintf(stderr, "ktlsh serve: unknown option %s\n", a);
			serve_usage(stderr);
			return 1;
		}
	}
	if ((k.p.cert || k.p.privkey) && !k.on) {
		fprintf(stderr, "ktlsh serve: --cert-serial and --key-serial need --kernel-handshake\n");
		return 1;
	}
	if (!so.root || o.port <= 0 || o.port > 65535 ||
	    !(o.cert || (k.on && k.p.cert))) {
		serve_usage(stderr);
		return 1;
	}
	if (stat(so.root, &st) || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "ktlsh serve: --root %s is not a directory\n", so.root);
		return 1;
	}
	/* RFC 7301: we speak http/1.1, unless told otherwise */
	if (!o.cfg.alpn_len && tls_opts_add_alpn(&o, "http/1.1"))
		return 1;
	if (o.timeout_ms)
		so.handshake_ms = o.timeout_ms;
	/* the kernel's handshake: no engine, no key loaded here */
	err = k.on ? kernel_params(&o, &so, &k) : tls_opts_finish(&o, HS_SERVER);
	if (err) {
		hsd_keys_drop(k.made_cert);
		hsd_keys_drop(k.made_key);
		tls_opts_free(&o);
		return 1;
	}
	if (access) {
		so.access_log = open(access, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
				     0644);
		if (so.access_log < 0) {
			fprintf(stderr, "ktlsh serve: %s: %s\n", access,
				strerror(errno));
			hsd_keys_drop(k.made_cert);
			hsd_keys_drop(k.made_key);
			tls_opts_free(&o);
			return 1;
		}
	}
	so.port = o.port;
	so.tls = &o.cfg;
	so.path.no_ktls = o.no_ktls;
	so.path.kernel_rekey = -1;
	so.path.rx_no_pad = o.no_pad;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	so.stop_fd = signalfd(-1, &set, SFD_CLOEXEC);
	err = so.stop_fd < 0 ? -errno : hsd_server_run(&so);
	if (err == -ENOENT && k.on)
		fprintf(stderr, "ktlsh serve: ktlsh.ko is not loaded (--kernel-handshake needs it, and handshaked)\n");
	else if (err)
		fprintf(stderr, "ktlsh serve: %s\n", strerror(-err));
	else
		fprintf(stderr, "ktlsh serve: stopped\n");
	if (so.stop_fd >= 0)
		close(so.stop_fd);
	if (so.access_log >= 0)
		close(so.access_log);
	hsd_keys_drop(k.made_cert);
	hsd_keys_drop(k.made_key);
	tls_opts_free(&o);
	return err ? 1 : 0;
}
