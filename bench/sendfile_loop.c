// SPDX-License-Identifier: GPL-2.0
/*
 * sendfile_loop CERTDIR PORT FILE: the least a kTLS file server can do, the
 * reference `ktlsh serve` is held to in bench/vm-serve (issue 19: >= 95% of
 * it per server CPU second).
 *
 * One thread per connection on blocking sockets. The handshake runs on our
 * engine (TLS 1.3, TLS_AES_128_GCM_SHA256, X25519, no ticket), the keys go
 * into the kernel (both directions, or the connection is refused), and then
 * every request, whatever it asks for, is answered with FILE: the head with
 * send(MSG_MORE), the body with sendfile(2), which kTLS seals; TCP_NODELAY,
 * as every HTTP server sets for keep-alive. No parsing
 * beyond the end of the head, no logging, no timeouts, no file lookup.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "handshaked/io/output.h"
#include "handshaked/io/stream.h"

#define BUF (HSD_HASH_MAX + 18 * 1024)

static const uint16_t suite = HS_TLS_AES_128_GCM_SHA256;
static const uint16_t group = HSD_GROUP_X25519;

struct loop {
	struct hs_config cfg;
	int file;
	off_t size;
	char head[128];
	size_t head_len;
};

struct one {
	const struct loop *l;
	int fd;
	uint8_t in[BUF];	/* the handshake's bytes, then requests */
};

static int handshake(int fd, struct hs_conn *c, uint8_t *in, size_t *have)
{
	size_t used;
	ssize_t r;
	int err;

	for (;;) {
		err = hsd_send_output(c, fd, 0);
		if (err < 0 || hs_is_done(c))
			return err < 0 ? err : 0;
		if (!*have) {
			r = recv(fd, in, BUF, 0);
			if (r <= 0)
				return r ? -errno : -ECONNRESET;
			*have = (size_t)r;
		}
		err = hs_input(c, in, *have, &used);
		memmove(in, in + used, *have - used);
		*have -= used;
		if (err) {
			hsd_send_output(c, fd, 0);	/* the alert */
			return err;
		}
	}
}

/* FILE whole: the head shares the body's first record */
static int answer(const struct loop *l, int fd)
{
	off_t off = 0;
	ssize_t w;

	if (send(fd, l->head, l->head_len, MSG_MORE | MSG_NOSIGNAL) !=
	    (ssize_t)l->head_len)
		return -EIO;
	while (off < l->size) {
		w = sendfile(fd, l->file, &off, (size_t)(l->size - off));
		if (w <= 0)
			return -EIO;
	}
	return 0;
}

static void *serve(void *arg)
{
	struct one *o = arg;
	struct hsd_path_opts po = { .kernel_rekey = -1 };
	uint8_t *in = o->in;
	struct hsd_stream *s = NULL;
	struct hs_conn *c;
	size_t have = 0, scan = 0;
	ssize_t r;
	char *end;

	if (hs_conn_new(&o->l->cfg, &c)) {
		close(o->fd);
		free(o);
		return NULL;
	}
	if (handshake(o->fd, c, in, &have) ||
	    hsd_stream_new(o->fd, c, in, have, &po, &s)) {
		hs_conn_free(c);
		close(o->fd);
		free(o);
		return NULL;
	}
	if (!hsd_stream_ktls(s, true) || !hsd_stream_ktls(s, false)) {
		fprintf(stderr, "sendfile_loop: not kTLS: %s\n", hsd_stream_why(s));
		goto out;
	}
	/* requests: everything up to each blank line; the bytes after it stay */
	have = 0;
	for (;;) {
		end = memmem(in + scan, have - scan, "\r\n\r\n", 4);
		if (end) {
			size_t done = (size_t)((uint8_t *)end + 4 - in);

			if (answer(o->l, o->fd))
				break;
			memmove(in, in + done, have - done);
			have -= done;
			scan = 0;
			continue;
		}
		scan = have > 3 ? have - 3 : 0;
		if (have == BUF)
			break;
		r = hsd_stream_recv(s, in + have, BUF - have);
		if (r <= 0)
			break;
		have += (size_t)r;
	}
out:
	hsd_stream_close(s);
	free(o);
	return NULL;
}

static int setup(struct loop *l, const char *dir, const char *file)
{
	static struct hsd_cert_chain chain;
	struct hsd_crypto *cr;
	struct hsd_pkey *key;
	struct stat st;
	char path[512];

	snprintf(path, sizeof(path), "%s/server-ec.pem", dir);
	if (hsd_crypto_new(&cr) || hsd_cert_chain_load(path, &chain))
		return -1;
	snprintf(path, sizeof(path), "%s/server-ec.key", dir);
	if (hsd_pkey_load_private(cr, path, &key))
		return -1;
	l->cfg = (struct hs_config){
		.crypto = cr, .role = HS_SERVER,
		.min_version = HS_TLS13, .max_version = HS_TLS13,
		.suites = &suite, .n_suites = 1, .groups = &group, .n_groups = 1,
		.chain = &chain, .key = key,
	};
	l->file = open(file, O_RDONLY | O_CLOEXEC);
	if (l->file < 0 || fstat(l->file, &st))
		return -1;
	l->size = st.st_size;
	l->head_len = (size_t)snprintf(l->head, sizeof(l->head),
		"HTTP/1.1 200 OK\r\nContent-Length: %lld\r\n\r\n",
		(long long)l->size);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	static struct loop l;
	pthread_attr_t attr;
	int lfd, fd, one = 1;

	if (argc != 4) {
		fprintf(stderr, "usage: sendfile_loop CERTDIR PORT FILE\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (setup(&l, argv[1], argv[3])) {
		fprintf(stderr, "sendfile_loop: cannot load %s or %s\n", argv[1], argv[3]);
		return 1;
	}
	sa.sin_port = htons((uint16_t)atoi(argv[2]));
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 128)) {
		perror("sendfile_loop: listen");
		return 1;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (;;) {
		struct one *o;
		pthread_t t;

		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		o = malloc(sizeof(*o));
		if (!o) {
			close(fd);
			continue;
		}
		/* a response's last record goes out now, not after the peer's ACK */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		o->l = &l;
		o->fd = fd;
		if (pthread_create(&t, &attr, serve, o)) {
			close(fd);
			free(o);
		}
	}
}
