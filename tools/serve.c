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

#include "handshaked/io/server.h"
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
		"TLS options:\n");
	tls_opts_usage(f);
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
	if (!so.root || o.port <= 0 || o.port > 65535 || !o.cert) {
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
	err = tls_opts_finish(&o, HS_SERVER);
	if (err) {
		tls_opts_free(&o);
		return 1;
	}
	if (access) {
		so.access_log = open(access, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
				     0644);
		if (so.access_log < 0) {
			fprintf(stderr, "ktlsh serve: %s: %s\n", access,
				strerror(errno));
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
	if (err)
		fprintf(stderr, "ktlsh serve: %s\n", strerror(-err));
	else
		fprintf(stderr, "ktlsh serve: stopped\n");
	if (so.stop_fd >= 0)
		close(so.stop_fd);
	if (so.access_log >= 0)
		close(so.access_log);
	tls_opts_free(&o);
	return err ? 1 : 0;
}
