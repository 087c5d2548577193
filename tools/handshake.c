// SPDX-License-Identifier: GPL-2.0
/*
 * ktlsh handshake client|server: TLS through the kernel (ktlsh.ko). The
 * socket goes to the kernel's handshake upcall, handshaked does the
 * handshake and installs kTLS keys, and this process only ever sees the
 * result: it holds no key, links no TLS library for the connection.
 * Then data flows over kTLS (stdin to the peer and the peer to stdout, or
 * echoed back with --echo).
 *
 * ktlsh stat: the module's counters and the requests in flight.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/ktlsh.h>

#include "handshaked/kernel/kabi.h"
#include "handshaked/kernel/ktlsh_nl.h"
#include "tools/tlsopts.h"

#define TLS_RECORD_ALERT 21
#define TLS_RECORD_HANDSHAKE 22
#define TLS_RECORD_DATA 23

struct kh_opts {
	struct hsd_kh_params p;
	char alpn_buf[256];
	const char *target;
	int port;
	bool json, echo, no_data;
	unsigned int count;
};

static void kh_usage(FILE *f)
{
	fprintf(f,
		"usage: ktlsh handshake client HOST:PORT [OPTIONS]\n"
		"       ktlsh handshake server --port N [OPTIONS]\n"
		"The kernel does the handshake (ktlsh.ko, handshaked); this process never\n"
		"holds a key. Then stdin goes to the peer and the peer to stdout.\n"
		"  --auth anon|x509|psk      how this side authenticates (client: anon,\n"
		"                            server: x509)\n"
		"  --peername NAME           server name to send and verify (client:\n"
		"                            HOST by default)\n"
		"  --cert-serial N --key-serial N\n"
		"                            DER certificate and private key in keys\n"
		"                            (default: the daemon's own)\n"
		"  --psk-serial N            a PSK to offer (repeat, up to 5)\n"
		"  --keyring N               keyring with this side's PSKs (server)\n"
		"  --tls 1.2|1.3|1.2-1.3     TLS versions (default 1.2-1.3)\n"
		"  --alpn P1,P2              ALPN protocols in preference order\n"
		"  --ciphers S1:S2           TLS 1.3 suites in preference order\n"
		"  --timeout MS              handshake timeout (default: the module's)\n"
		"  --echo                    server: send back what the peer sends\n"
		"  --count N                 server: N connections, one after another\n"
		"  --no-data                 only the handshake, then close\n"
		"  -j                        the result as JSON\n");
}

static int parse_serial(const char *v, int32_t *out)
{
	char *end;
	long n = strtol(v, &end, 0);

	if (!*v || *end || n == 0 || n < INT32_MIN || n > INT32_MAX)
		return -1;
	*out = (int32_t)n;
	return 0;
}

static int parse_version(const char *v, uint16_t *out)
{
	if (!strcmp(v, "1.2"))
		*out = 0x0303;
	else if (!strcmp(v, "1.3"))
		*out = 0x0304;
	else
		return -1;
	return 0;
}

static int parse_tls(const char *v, struct hsd_kh_params *p)
{
	char a[8], *dash;

	snprintf(a, sizeof(a), "%s", v);
	dash = strchr(a, '-');
	if (dash)
		*dash++ = '\0';
	if (parse_version(a, &p->version_min) ||
	    parse_version(dash ? dash : a, &p->version_max) ||
	    p->version_min > p->version_max)
		return -1;
	return 0;
}

static int parse_alpn(struct kh_opts *o, const char *v)
{
	char *s;

	snprintf(o->alpn_buf, sizeof(o->alpn_buf), "%s", v);
	for (s = strtok(o->alpn_buf, ","); s; s = strtok(NULL, ",")) {
		if (o->p.n_alpn == HSD_KH_ALPN_MAX)
			return -1;
		o->p.alpn[o->p.n_alpn++] = s;
	}
	return o->p.n_alpn ? 0 : -1;
}

/* 0, 1 (help printed), -1 (bad option, said) */
static int kh_parse(struct kh_opts *o, int argc, char **argv, bool server)
{
	int i;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		long n;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			kh_usage(stdout);
			return 1;
		} else if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
			o->json = true;
			continue;
		} else if (!strcmp(a, "--echo")) {
			o->echo = true;
			continue;
		} else if (!strcmp(a, "--no-data")) {
			o->no_data = true;
			continue;
		} else if (a[0] != '-' && !server && !o->target) {
			o->target = a;
			continue;
		}
		if (!v) {
			fprintf(stderr, "ktlsh handshake: %s needs a value\n", a);
			return -1;
		}
		i++;
		if (!strcmp(a, "--auth")) {
			o->p.auth = !strcmp(v, "anon") ? KTLSH_AUTH_UNAUTH :
				    !strcmp(v, "x509") ? KTLSH_AUTH_X509 :
				    !strcmp(v, "psk") ? KTLSH_AUTH_PSK : 0;
			if (!o->p.auth)
				goto bad;
		} else if (!strcmp(a, "--peername")) {
			o->p.peername = v;
		} else if (!strcmp(a, "--cert-serial")) {
			if (parse_serial(v, &o->p.cert))
				goto bad;
		} else if (!strcmp(a, "--key-serial")) {
			if (parse_serial(v, &o->p.privkey))
				goto bad;
		} else if (!strcmp(a, "--psk-serial")) {
			if (o->p.n_peerids == HSD_KH_PEERIDS_MAX ||
			    parse_serial(v, &o->p.peerids[o->p.n_peerids]))
				goto bad;
			o->p.n_peerids++;
		} else if (!strcmp(a, "--keyring")) {
			if (parse_serial(v, &o->p.keyring))
				goto bad;
		} else if (!strcmp(a, "--tls")) {
			if (parse_tls(v, &o->p))
				goto bad;
		} else if (!strcmp(a, "--alpn")) {
			if (parse_alpn(o, v))
				goto bad;
		} else if (!strcmp(a, "--ciphers")) {
			o->p.cipher_policy = v;
		} else if (!strcmp(a, "--timeout")) {
			n = opt_number(v, 600000);
			if (n < 0)
				goto bad;
			o->p.timeout_ms = (uint32_t)n;
		} else if (server && !strcmp(a, "--port")) {
			n = opt_number(v, 65535);
			if (n < 0)
				goto bad;
			o->port = (int)n;
		} else if (server && !strcmp(a, "--count")) {
			n = opt_number(v, 1000000);
			if (n < 0)
				goto bad;
			o->count = (unsigned int)n;
		} else {
			fprintf(stderr, "ktlsh handshake: unknown option %s\n", a);
			kh_usage(stderr);
			return -1;
		}
		continue;
bad:
		fprintf(stderr, "ktlsh handshake: bad value for %s: %s\n", a, v);
		return -1;
	}
	if (!o->p.auth)
		o->p.auth = server ? KTLSH_AUTH_X509 :
			    o->p.n_peerids ? KTLSH_AUTH_PSK :
			    o->p.cert ? KTLSH_AUTH_X509 : KTLSH_AUTH_UNAUTH;
	if (server ? !o->port : !o->target) {
		kh_usage(stderr);
		return -1;
	}
	return 0;
}

static const char *version_name(uint16_t v)
{
	return v == 0x0304 ? "TLSv1.3" : v == 0x0303 ? "TLSv1.2" : "-";
}

static void print_result(const struct kh_opts *o, const struct hsd_kh_result *r)
{
	const char *cipher = hsd_kh_cipher_name(r->cipher, r->tls_version);
	char num[16];

	if (!cipher) {
		snprintf(num, sizeof(num), "%u", r->cipher);
		cipher = r->cipher ? num : "-";
	}
	if (o->json) {
		printf("{\"id\":%u,\"status\":%d,\"error\":\"%s\",\"version\":\"%s\",\"cipher\":\"%s\",\"alpn\":\"%s\",\"peer_auth\":%d}\n",
		       r->id, r->status, r->status ? strerror(-r->status) : "",
		       version_name(r->tls_version), cipher, r->alpn,
		       r->peer_auth);
	} else {
		printf("handshake id=%u status=%s version=%s cipher=%s alpn=%s peer_auth=%d\n",
		       r->id, r->status ? strerror(-r->status) : "ok",
		       version_name(r->tls_version), cipher,
		       r->alpn[0] ? r->alpn : "-", r->peer_auth);
	}
	fflush(stdout);
}

/*
 * One record from a kTLS socket: data into @p; other records (the peer's
 * tickets) skipped; close_notify or EOF is 0; a fatal alert -EPROTO.
 */
static ssize_t ktls_read(int fd, void *p, size_t n)
{
	for (;;) {
		char cbuf[CMSG_SPACE(sizeof(uint8_t))];
		struct iovec iov = { p, n };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *c;
		uint8_t type = TLS_RECORD_DATA;
		ssize_t r = recvmsg(fd, &m, 0);

		if (r < 0)
			return errno == EINTR ? 0 : -errno;
		c = CMSG_FIRSTHDR(&m);
		if (c && c->cmsg_level == SOL_TLS &&
		    c->cmsg_type == TLS_GET_RECORD_TYPE)
			type = *(uint8_t *)CMSG_DATA(c);
		if (type == TLS_RECORD_DATA)
			return r;
		if (type == TLS_RECORD_ALERT)
			return r >= 2 && ((uint8_t *)p)[1] == 0 ? 0 : -EPROTO;
		/* a NewSessionTicket: nothing to keep without the engine */
	}
}

static int write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t w = write(fd, b, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* close_notify as a kTLS alert record (RFC 8446 6.1) */
static void send_close_notify(int fd)
{
	uint8_t alert[2] = { 1, 0 };
	char cbuf[CMSG_SPACE(sizeof(uint8_t))] = { 0 };
	struct iovec iov = { alert, sizeof(alert) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	c->cmsg_level = SOL_TLS;
	c->cmsg_type = TLS_SET_RECORD_TYPE;
	c->cmsg_len = CMSG_LEN(sizeof(uint8_t));
	*CMSG_DATA(c) = TLS_RECORD_ALERT;
	sendmsg(fd, &m, MSG_NOSIGNAL);
}

/* stdin to the peer, the peer to stdout, until both ends are closed */
static int relay(int fd)
{
	struct pollfd pf[2] = { { .fd = 0, .events = POLLIN },
				{ .fd = fd, .events = POLLIN } };
	uint8_t buf[16384];
	bool in_open = true;

	for (;;) {
		ssize_t r;

		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (in_open && pf[0].revents) {
			r = read(0, buf, sizeof(buf));
			if (r <= 0) {
				in_open = false;
				pf[0].fd = -1;
				send_close_notify(fd);
				shutdown(fd, SHUT_WR);
			} else if (write_all(fd, buf, (size_t)r)) {
				return -EPIPE;
			}
		}
		if (pf[1].revents) {
			r = ktls_read(fd, buf, sizeof(buf));
			if (r < 0)
				return (int)r;
			if (r == 0)
				return 0;
			if (write_all(1, buf, (size_t)r))
				return -EPIPE;
		}
	}
}

/* what the peer sends, back to it, until its close_notify */
static int echo(int fd)
{
	uint8_t buf[16384];

	for (;;) {
		ssize_t r = ktls_read(fd, buf, sizeof(buf));

		if (r <= 0) {
			send_close_notify(fd);
			return (int)r;
		}
		if (write_all(fd, buf, (size_t)r))
			return -EPIPE;
	}
}

/* hand @fd over and report; 0 when the handshake succeeded */
static int kernel_handshake(struct kh_opts *o, int fd)
{
	struct hsd_kh_result r;
	char why[256];
	int err;

	err = hsd_kernel_handshake(fd, &o->p, &r, why, sizeof(why));
	if (err) {
		fprintf(stderr, "ktlsh handshake: refused: %s%s%s\n", strerror(-err),
			why[0] ? ": " : "", why);
		return err;
	}
	print_result(o, &r);
	return r.status;
}

static int kh_client(struct kh_opts *o)
{
	char host[256];
	int fd, err;

	fd = tls_connect(o->target, host, sizeof(host));
	if (fd < 0) {
		fprintf(stderr, "ktlsh handshake: connect %s: %s\n", o->target,
			strerror(-fd));
		return 1;
	}
	if (!o->p.peername)
		o->p.peername = host;
	err = kernel_handshake(o, fd);
	if (!err && !o->no_data) {
		err = relay(fd);
		if (err)
			fprintf(stderr, "ktlsh handshake: data: %s\n", strerror(-err));
	}
	close(fd);
	return err ? 1 : 0;
}

static int kh_server(struct kh_opts *o)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6,
				   .sin6_port = htons((uint16_t)o->port),
				   .sin6_addr = IN6ADDR_ANY_INIT };
	unsigned int served = 0, want = o->count ? o->count : 1;
	int one = 1, lfd, fd, err, failed = 0;

	lfd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 128)) {
		fprintf(stderr, "ktlsh handshake: listen on %d: %s\n", o->port,
			strerror(errno));
		return 1;
	}
	fprintf(stderr, "ktlsh handshake: listening on port %d\n", o->port);
	while (served < want) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR)
				continue;
			failed = 1;
			break;
		}
		served++;
		err = kernel_handshake(o, fd);
		if (!err && !o->no_data)
			err = o->echo ? echo(fd) : relay(fd);
		if (err)
			failed = 1;
		close(fd);
	}
	close(lfd);
	return failed;
}

int cmd_kernel_handshake(int argc, char **argv)
{
	struct kh_opts o = { .p.role = KTLSH_ROLE_CLIENT };
	bool server;
	int rc;

	if (argc < 2 || (strcmp(argv[1], "client") && strcmp(argv[1], "server"))) {
		kh_usage(argc >= 2 && !strcmp(argv[1], "-h") ? stdout : stderr);
		return argc >= 2 && !strcmp(argv[1], "-h") ? 0 : 1;
	}
	server = !strcmp(argv[1], "server");
	o.p.role = server ? KTLSH_ROLE_SERVER : KTLSH_ROLE_CLIENT;
	rc = kh_parse(&o, argc - 2, argv + 2, server);
	if (rc)
		return rc > 0 ? 0 : 1;
	return server ? kh_server(&o) : kh_client(&o);
}

static const char *state_name(uint32_t s)
{
	return s == KTLSH_STATE_QUEUED ? "queued" :
	       s == KTLSH_STATE_SUBMITTED ? "submitted" :
	       s == KTLSH_STATE_ACCEPTED ? "accepted" : "?";
}

struct stat_out {
	bool json;
	unsigned int n;
};

static void print_entry(const struct hsd_kh_entry *e, void *arg)
{
	struct stat_out *so = arg;

	if (so->json)
		printf("%s{\"id\":%u,\"state\":\"%s\",\"role\":\"%s\",\"uid\":%u,\"portid\":%u,\"cookie\":%llu,\"peername\":\"%s\"}",
		       so->n++ ? "," : "", e->id, state_name(e->state),
		       e->role == KTLSH_ROLE_SERVER ? "server" : "client",
		       e->uid, e->portid, (unsigned long long)e->cookie,
		       e->peername);
	else
		printf("  id=%u state=%s role=%s uid=%u portid=%u cookie=%llu peer=%s timeout_ms=%u\n",
		       e->id, state_name(e->state),
		       e->role == KTLSH_ROLE_SERVER ? "server" : "client",
		       e->uid, e->portid, (unsigned long long)e->cookie,
		       e->peername[0] ? e->peername : "-", e->timeout_ms);
}

int cmd_stat(int argc, char **argv)
{
	struct hsd_kh_stats s;
	struct hsd_kh *h;
	struct stat_out so = { .json = argc > 1 && (!strcmp(argv[1], "-j") ||
						   !strcmp(argv[1], "--json")) };
	bool json = so.json;
	size_t i;
	int err;

	err = hsd_kh_open(&h);
	if (err) {
		fprintf(stderr, "ktlsh stat: %s\n", err == -ENOENT ?
			"the ktlsh module is not loaded" : strerror(-err));
		return 1;
	}
	err = hsd_kh_get_stats(h, &s);
	if (err) {
		fprintf(stderr, "ktlsh stat: %s\n", strerror(-err));
		hsd_kh_close(h);
		return 1;
	}
	if (json) {
		printf("{\"submitted\":%llu,\"completed\":%llu,\"failed\":%llu,\"cancelled\":%llu,\"timed_out\":%llu,\"refused\":%llu,\"notify_failed\":%llu,\"queued\":%u,\"in_flight\":%u,\"by_status\":{",
		       (unsigned long long)s.submitted, (unsigned long long)s.completed,
		       (unsigned long long)s.failed, (unsigned long long)s.cancelled,
		       (unsigned long long)s.timed_out, (unsigned long long)s.refused,
		       (unsigned long long)s.notify_failed, s.queued, s.in_flight);
		for (i = 0; i < s.n_by_status; i++)
			printf("%s\"%d\":%llu", i ? "," : "", s.by_status[i].status,
			       (unsigned long long)s.by_status[i].count);
		printf("},\"requests\":[");
	} else {
		printf("submitted %llu completed %llu failed %llu cancelled %llu timed_out %llu refused %llu notify_failed %llu\n"
		       "queued %u in_flight %u\n",
		       (unsigned long long)s.submitted, (unsigned long long)s.completed,
		       (unsigned long long)s.failed, (unsigned long long)s.cancelled,
		       (unsigned long long)s.timed_out, (unsigned long long)s.refused,
		       (unsigned long long)s.notify_failed, s.queued, s.in_flight);
		for (i = 0; i < s.n_by_status; i++)
			printf("status %s: %llu\n", s.by_status[i].status ?
			       strerror(-s.by_status[i].status) : "ok",
			       (unsigned long long)s.by_status[i].count);
		printf("requests:\n");
	}
	err = hsd_kh_dump(h, print_entry, &so);
	if (json)
		printf("]}\n");
	hsd_kh_close(h);
	if (err) {
		fprintf(stderr, "ktlsh stat: dump: %s\n", strerror(-err));
		return 1;
	}
	return 0;
}
