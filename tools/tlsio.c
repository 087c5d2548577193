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
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "handshaked/io/stream.h"
#include "handshaked/io/output.h"
#include "tools/tlsopts.h"

#define BUF (HSD_HASH_MAX + 18 * 1024)

struct io {
	int fd;
	/* CLOCK_MONOTONIC ms by which the handshake must be done (0: none) */
	uint64_t deadline_ms;
	struct hs_conn *c;
	struct hsd_stream *conn;	/* after the handshake: kTLS or user space */
	uint8_t in[BUF];
	size_t in_len;		/* received, not yet given to the engine */
	/*
	 * Just accepted: a client speaks first (RFC 8446 4.1.2) and its
	 * ClientHello is mostly there already, so it is read before any
	 * poll: one system call less per connection.
	 */
	bool read_first;
	uint8_t app[BUF];
};

static int flush_out(struct io *io)
{
	int err = hsd_send_output(io->c, io->fd, 0);

	return err < 0 ? err : 0;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* the handshake's deadline from now (tls_opts --timeout, default 30 s) */
static void set_deadline(struct io *io, const struct tls_opts *o)
{
	io->deadline_ms = mono_ms() + (o->timeout_ms ? o->timeout_ms : 30000);
}

/* more bytes from the peer; -ETIMEDOUT once the deadline has passed */
static int fill(struct io *io)
{
	bool first = io->read_first;	/* try before any poll */
	ssize_t r;

	io->read_first = false;
	while (!first && io->deadline_ms) {
		uint64_t now = mono_ms();
		int n;

		if (now >= io->deadline_ms)
			return -ETIMEDOUT;
		n = poll(&(struct pollfd){ .fd = io->fd, .events = POLLIN }, 1,
			 (int)(io->deadline_ms - now));
		if (n > 0)
			break;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
	if (sizeof(io->in) == io->in_len)
		return -EMSGSIZE;
	do {
		r = recv(io->fd, io->in + io->in_len, sizeof(io->in) - io->in_len,
			 first ? MSG_DONTWAIT : 0);
	} while (r < 0 && errno == EINTR);
	if (r < 0 && first && errno == EAGAIN)
		return fill(io);	/* not there yet: wait for it */
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

/* Application data from the peer: >0, 0 at close_notify, -errno. */
static ssize_t read_app(struct io *io, size_t *n)
{
	ssize_t r = hsd_stream_recv(io->conn, io->app, sizeof(io->app));

	*n = r > 0 ? (size_t)r : 0;
	return r < 0 ? r : 0;
}

static int write_app(struct io *io, const uint8_t *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = hsd_stream_send(io->conn, p, n);
		if (w <= 0)
			return w ? (int)w : -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Hand the finished handshake to the data path (kTLS when possible). */
static int to_data_path(struct io *io, const struct tls_opts *o)
{
	struct hsd_path_opts co = { .no_ktls = o->no_ktls, .kernel_rekey = -1,
				    .needs_rekey = o->keyupdate,
				    .rx_no_pad = o->no_pad };
	int err;

	err = hsd_stream_new(io->fd, io->c, io->in, io->in_len, &co, &io->conn);
	if (err)
		return err;
	io->in_len = 0;
	return 0;
}

/* one line on stderr: the alert, or the data path's reason */
static void report(struct io *io, const char *who, int err)
{
	if (io->conn && !hs_error(io->c, NULL, NULL, NULL))
		fprintf(stderr, "ktlsh %s: %s: %s\n", who, strerror(-err),
			hsd_stream_why(io->conn));
	else
		tls_report(who, io->c, err);
}

static bool peer_done(struct io *io)
{
	return hs_peer_closed(hsd_stream_tls(io->conn));
}

static void print_params(struct io *io, const char *who)
{
	const struct hs_params *p = hs_params(io->c);

	fprintf(stderr, "ktlsh %s: %s %s%s%s%s; %s\n", who,
		p->version == HS_TLS13 ? "TLSv1.3" : "TLSv1.2", p->suite->name,
		p->group ? " " : "", p->group ? hsd_group_name(p->group) : "",
		p->resumed ? " resumed" : p->psk ? " psk" : "",
		hsd_stream_why(io->conn));
}

int tls_connect(const char *hostport, char *host, size_t cap)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	char name[256], *port;
	int fd = -1;

	snprintf(name, sizeof(name), "%s", hostport);
	port = strrchr(name, ':');
	if (!port)
		return -EINVAL;
	*port++ = 0;
	if (name[0] == '[') {
		memmove(name, name + 1, strlen(name));
		name[strcspn(name, "]")] = 0;
	}
	if (host)
		snprintf(host, cap, "%s", name);
	if (getaddrinfo(name, port, &hints, &res))
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
	bool stdin_open = true, exchanged = false, sent = false;
	uint8_t buf[16384];
	size_t n;
	ssize_t r;
	int err;

	while (!peer_done(io)) {
		/*
		 * --keyupdate: the first input, its answer, the KeyUpdate, then
		 * the rest (our close_notify among it): nothing follows a
		 * close_notify (RFC 8446 6.1), a KeyUpdate neither.
		 */
		pf[0].fd = stdin_open && !(o->keyupdate && sent && !exchanged) ?
			   0 : -1;
		pf[0].revents = pf[1].revents = 0;
		if (!hsd_stream_buffered(io->conn) && poll(pf, 2, -1) < 0 &&
		    errno != EINTR)
			return -errno;
		if (stdin_open && (pf[0].revents & (POLLIN | POLLHUP))) {
			r = read(0, buf, sizeof(buf));
			if (r <= 0) {
				/* end of input: close our side, read the rest */
				stdin_open = false;
				err = hsd_stream_shutdown(io->conn);
				if (err)
					return err;
			} else {
				err = write_app(io, buf, (size_t)r);
				if (err)
					return err;
				sent = true;
			}
		}
		if (hsd_stream_buffered(io->conn) ||
		    (pf[1].revents & (POLLIN | POLLHUP))) {
			err = (int)read_app(io, &n);
			if ((err == -ECONNRESET || err == -EPIPE) && !stdin_open)
				return 0;	/* peer closed TCP after our close */
			if (err)
				return err;
			if (!n)
				break;		/* close_notify */
			if (fwrite(io->app, 1, n, stdout) != n)
				return -EIO;
			fflush(stdout);
			if (o->keyupdate && !exchanged) {
				err = hsd_stream_key_update(io->conn, true);
				if (err)
					return err;
			}
			exchanged = true;
		}
	}
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
		err = io->fd = tls_connect(target, NULL, 0);
	if (err >= 0)
		err = hs_conn_new(&o.cfg, &io->c);
	if (!err)
		err = hs_start(io->c);
	if (!err) {
		set_deadline(io, &o);
		err = do_handshake(io);
		io->deadline_ms = 0;
	}
	if (!err)
		err = to_data_path(io, &o);
	if (!err) {
		print_params(io, "client");
		err = client_loop(io, &o);
		tls_save_session(&o, io->c);
	}
	if (err)
		report(io, "client", err);
	if (io->conn) {
		hsd_stream_close(io->conn);	/* the socket and the engine */
	} else {
		if (io->fd > 0)
			close(io->fd);
		hs_conn_free(io->c);
	}
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
		err = (int)read_app(io, &n);
		if (err)
			return err;
		if (!n)
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
	return write_app(io, (const uint8_t *)resp, (size_t)len);
}

/* --send FILE: the file through sendfile (sealed by kTLS when it has TX) */
static int send_file(struct io *io, const char *path)
{
	struct stat st;
	off_t off = 0;
	ssize_t w;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		err = -errno;
		fprintf(stderr, "ktlsh server: %s: %s\n", path, strerror(-err));
		if (fd >= 0)
			close(fd);
		return err;
	}
	while (off < st.st_size) {
		w = hsd_stream_sendfile(io->conn, fd, &off, (size_t)(st.st_size - off));
		if (w <= 0) {
			err = w ? (int)w : -EIO;
			break;
		}
	}
	close(fd);
	return err;
}

static int serve_one(struct io *io, struct tls_opts *o)
{
	size_t n;
	int err;

	set_deadline(io, o);
	err = do_handshake(io);
	io->deadline_ms = 0;
	if (!err)
		err = to_data_path(io, o);
	if (err)
		return err;
	if (!o->quiet)
		print_params(io, "server");
	if (o->www)
		return serve_www(io);
	if (o->send_file)
		return send_file(io, o->send_file);
	for (;;) {
		err = (int)read_app(io, &n);
		if (err)
			return err;
		if (!n)
			return 0;	/* close_notify: answered by the close */
		if (o->echo)
			err = write_app(io, io->app, n);
		else if (fwrite(io->app, 1, n, stdout) != n)
			err = -EIO;
		fflush(stdout);
		if (err)
			return err;
	}
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
		"  --send FILE                 send FILE (sendfile(2)), then close\n"
		"  --once                      serve one connection and exit\n"
		"  -q, --quiet                 no line per connection (errors only)\n");
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
	if (!err)
		err = tls_opts_rand_pool(&o);	/* one connection at a time */
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
		io->conn = NULL;
		io->read_first = true;
		err = hs_conn_new(&o.cfg, &io->c);
		if (!err)
			err = serve_one(io, &o);
		if (err && err != -ECONNRESET && err != -EPIPE) {
			report(io, "server", err);
			failed++;
		}
		if (io->conn) {
			hsd_stream_close(io->conn);
		} else {
			close(io->fd);
			hs_conn_free(io->c);
		}
		io->c = NULL;
		io->conn = NULL;
	} while (!o.once);
	close(lfd);
	free(io);
	tls_opts_free(&o);
	return failed ? 1 : 0;
}
