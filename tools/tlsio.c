// SPDX-License-Identifier: GPL-2.0
/*
 * ktlsh client / ktlsh server: the engine on blocking sockets, with the
 * user-space record layer, like openssl s_client / s_server.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tools/tlsopts.h"

#define BUF (HSD_HASH_MAX + 18 * 1024)

struct io {
	int fd;
	struct hs_conn *c;
	uint8_t in[BUF];
	size_t in_len;		/* received, not yet given to the engine */
	uint8_t app[BUF];
};

static int flush_out(struct io *io)
{
	const uint8_t *p;
	size_t n;
	ssize_t w;

	while ((n = hs_output(io->c, &p))) {
		w = send(io->fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -errno;
		hs_output_consumed(io->c, (size_t)w);
	}
	return 0;
}

static int fill(struct io *io)
{
	ssize_t r;

	do {
		r = recv(io->fd, io->in + io->in_len, sizeof(io->in) - io->in_len, 0);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ECONNRESET;
	io->in_len += (size_t)r;
	return 0;
}

static void drop(struct io *io, size_t n)
{
	memmove(io->in, io->in + n, io->in_len - n);
	io->in_len -= n;
}

/* Run the handshake; bytes after it stay in io->in for the record layer. */
static int do_handshake(struct io *io)
{
	size_t used;
	int err;

	for (;;) {
		err = flush_out(io);
		if (err || hs_is_done(io->c))
			return err;
		if (!io->in_len) {
			err = fill(io);
			if (err)
				return err;
		}
		err = hs_input(io->c, io->in, io->in_len, &used);
		drop(io, used);
		if (err) {
			flush_out(io);	/* the alert */
			return err;
		}
	}
}

/* One application record (or control records) from the peer. */
static int read_app(struct io *io, size_t *n)
{
	size_t used;
	int err;

	for (;;) {
		if (io->in_len) {
			err = hs_app_read(io->c, io->in, io->in_len, &used,
					  io->app, sizeof(io->app), n);
			drop(io, used);
			flush_out(io);	/* KeyUpdate answers, alerts */
			if (err || *n || hs_peer_closed(io->c))
				return err;
		}
		err = fill(io);
		if (err)
			return err;
	}
}

static int write_app(struct io *io, const uint8_t *p, size_t n)
{
	int err = hs_app_write(io->c, p, n);

	return err ? err : flush_out(io);
}

static void print_params(struct hs_conn *c, const char *who)
{
	const struct hs_params *p = hs_params(c);

	fprintf(stderr, "ktlsh %s: %s %s%s%s%s\n", who,
		p->version == HS_TLS13 ? "TLSv1.3" : "TLSv1.2", p->suite->name,
		p->group ? " " : "", p->group ? hsd_group_name(p->group) : "",
		p->resumed ? " resumed" : p->psk ? " psk" : "");
}

static int connect_to(const char *hostport)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	char host[256], *port;
	int fd = -1;

	snprintf(host, sizeof(host), "%s", hostport);
	port = strrchr(host, ':');
	if (!port)
		return -EINVAL;
	*port++ = 0;
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = 0;
	}
	if (getaddrinfo(host, port, &hints, &res))
		return -EHOSTUNREACH;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && !connect(fd, ai->ai_addr, ai->ai_addrlen))
			break;
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd >= 0 ? fd : -ECONNREFUSED;
}

static void client_usage(FILE *f)
{
	fprintf(f, "usage: ktlsh client HOST:PORT [OPTIONS]\n"
		"  sends stdin, writes what it receives to stdout, closes with close_notify\n"
		"  --servername NAME        SNI and the name to verify (default: HOST)\n"
		"  --insecure               do not verify the server\n"
		"  --sess-out FILE / --sess-in FILE   save / resume a session\n"
		"  --keyupdate              request a KeyUpdate after the first exchange\n"
		"  --middlebox-compat       RFC 8446 D.4 compatibility mode\n");
	tls_opts_usage(f);
}

static int client_loop(struct io *io, struct tls_opts *o)
{
	struct pollfd pf[2] = { { .fd = 0, .events = POLLIN },
				{ .fd = io->fd, .events = POLLIN } };
	bool stdin_open = true, exchanged = false;
	uint8_t buf[16384];
	size_t n;
	ssize_t r;
	int err;

	while (!hs_peer_closed(io->c)) {
		pf[0].fd = stdin_open ? 0 : -1;
		if (!io->in_len && poll(pf, 2, -1) < 0 && errno != EINTR)
			return -errno;
		if (stdin_open && (pf[0].revents & (POLLIN | POLLHUP))) {
			r = read(0, buf, sizeof(buf));
			if (r <= 0) {
				/* end of input: close our side, read the rest */
				stdin_open = false;
				hs_send_alert(io->c, HS_ALERT_CLOSE_NOTIFY);
				flush_out(io);
			} else {
				err = write_app(io, buf, (size_t)r);
				if (err)
					return err;
			}
		}
		if (io->in_len || (pf[1].revents & (POLLIN | POLLHUP))) {
			err = read_app(io, &n);
			if (err == -ECONNRESET && !stdin_open)
				return 0;	/* peer closed TCP after our close */
			if (err)
				return err;
			if (n && fwrite(io->app, 1, n, stdout) != n)
				return -EIO;
			fflush(stdout);
			if (n && o->keyupdate && !exchanged) {
				err = hs_key_update(io->c, true);
				if (!err)
					err = flush_out(io);
				if (err)
					return err;
			}
			exchanged |= n > 0;
		}
	}
	hs_send_alert(io->c, HS_ALERT_CLOSE_NOTIFY);
	flush_out(io);
	return 0;
}

int cmd_client(int argc, char **argv, struct hsd_crypto *cr)
{
	struct tls_opts o = { .cr = cr };
	struct io *io = calloc(1, sizeof(*io));
	const char *target = NULL;
	char host[256];
	int i, r, err;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			client_usage(stdout);
			free(io);
			return 0;
		}
		r = tls_opt(&o, argc, argv, &i);
		if (r < 0 || (r == 0 && (argv[i][0] == '-' || target))) {
			client_usage(stderr);
			free(io);
			return 1;
		}
		if (r == 0)
			target = argv[i];
	}
	if (!target || !io) {
		client_usage(stderr);
		free(io);
		return 1;
	}
	if (!o.cfg.server_name) {
		snprintf(host, sizeof(host), "%s", target);
		host[strcspn(host, "]")] = 0;
		*strrchr(host, ':') = 0;
		o.cfg.server_name = host[0] == '[' ? host + 1 : host;
	}
	err = tls_opts_finish(&o, HS_CLIENT);
	if (!err)
		err = io->fd = connect_to(target);
	if (err >= 0)
		err = hs_conn_new(&o.cfg, &io->c);
	if (!err)
		err = hs_start(io->c);
	if (!err)
		err = do_handshake(io);
	if (!err) {
		print_params(io->c, "client");
		err = client_loop(io, &o);
		tls_save_session(&o, io->c);
	}
	if (err)
		tls_report("client", io->c, err);
	if (io->fd > 0)
		close(io->fd);
	hs_conn_free(io->c);
	free(io);
	tls_opts_free(&o);
	return err ? 1 : 0;
}

static int psk_lookup(void *arg, const uint8_t *id, size_t len,
		      struct hs_psk *out)
{
	struct tls_opts *o = arg;
	size_t i;

	for (i = 0; i < o->n_psks; i++) {
		if (o->psks[i].identity_len == len &&
		    !memcmp(o->psks[i].identity, id, len)) {
			*out = o->psks[i];
			return 0;
		}
	}
	return -ENOKEY;
}

/* --www: one HTTP request, however split, answered in one record */
static int serve_www(struct io *io)
{
	char req[8192], resp[512];
	size_t have = 0, n;
	int err, len;

	while (!memmem(req, have, "\r\n\r\n", 4) && !memmem(req, have, "\n\n", 2)) {
		err = read_app(io, &n);
		if (err)
			return err;
		if (hs_peer_closed(io->c))
			return 0;
		if (have + n > sizeof(req))
			return -EMSGSIZE;
		memcpy(req + have, io->app, n);
		have += n;
	}
	len = snprintf(resp, sizeof(resp),
		       "HTTP/1.0 200 ok\r\nContent-type: text/plain\r\n\r\n"
		       "ktlsh: %s %s\r\n",
		       hs_params(io->c)->version == HS_TLS13 ? "TLSv1.3" : "TLSv1.2",
		       hs_params(io->c)->suite->name);
	err = write_app(io, (const uint8_t *)resp, (size_t)len);
	hs_send_alert(io->c, HS_ALERT_CLOSE_NOTIFY);
	flush_out(io);
	return err;
}

static int serve_one(struct io *io, struct tls_opts *o)
{
	size_t n;
	int err;

	err = do_handshake(io);
	if (err)
		return err;
	print_params(io->c, "server");
	if (o->www)
		return serve_www(io);
	while (!hs_peer_closed(io->c)) {
		err = read_app(io, &n);
		if (err)
			return err;
		if (!n)
			continue;
		if (o->echo)
			err = write_app(io, io->app, n);
		else if (fwrite(io->app, 1, n, stdout) != n)
			err = -EIO;
		fflush(stdout);
		if (err)
			return err;
	}
	hs_send_alert(io->c, HS_ALERT_CLOSE_NOTIFY);
	return flush_out(io);
}

static int listen_on(int port)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6,
				   .sin6_port = htons((uint16_t)port) };
	int fd, one = 1, zero = 0;

	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 64)) {
		close(fd);
		return -errno;
	}
	return fd;
}

static void server_usage(FILE *f)
{
	fprintf(f, "usage: ktlsh server --port N --cert FILE --key FILE [OPTIONS]\n"
		"  serves connections one after another until killed\n"
		"  --ca FILE --verify-client   require and verify a client certificate\n"
		"  --echo                      write back what is received\n"
		"  --www                       answer one HTTP request, then close\n"
		"  --once                      serve one connection and exit\n");
	tls_opts_usage(f);
}

int cmd_server(int argc, char **argv, struct hsd_crypto *cr)
{
	struct tls_opts o = { .cr = cr };
	struct io *io = calloc(1, sizeof(*io));
	int i, r, lfd, err = 0, failed = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			server_usage(stdout);
			free(io);
			return 0;
		}
		r = tls_opt(&o, argc, argv, &i);
		if (r <= 0) {
			server_usage(stderr);
			free(io);
			return 1;
		}
	}
	if (!io || o.port <= 0 || o.port > 65535 ||
	    (!o.cert && !o.psk_identity && !o.n_psks)) {
		server_usage(stderr);
		free(io);
		return 1;
	}
	err = tls_opts_finish(&o, HS_SERVER);
	if (err) {
		free(io);
		tls_opts_free(&o);
		return 1;
	}
	if (o.n_psks) {
		o.cfg.psk_lookup = psk_lookup;
		o.cfg.psk_lookup_arg = &o;
	}
	signal(SIGPIPE, SIG_IGN);
	lfd = listen_on(o.port);
	if (lfd < 0) {
		fprintf(stderr, "ktlsh server: port %d: %s\n", o.port,
			strerror(-lfd));
		free(io);
		tls_opts_free(&o);
		return 1;
	}
	fprintf(stderr, "ktlsh server: listening on port %d\n", o.port);
	do {
		io->fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (io->fd < 0)
			continue;
		io->in_len = 0;
		err = hs_conn_new(&o.cfg, &io->c);
		if (!err)
			err = serve_one(io, &o);
		if (err && err != -ECONNRESET) {
			tls_report("server", io->c, err);
			failed++;
		}
		close(io->fd);
		hs_conn_free(io->c);
		io->c = NULL;
	} while (!o.once);
	close(lfd);
	free(io);
	tls_opts_free(&o);
	return failed ? 1 : 0;
}
