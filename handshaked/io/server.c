// SPDX-License-Identifier: GPL-2.0
/*
 * The io_uring file server (server.h): threads, rings, listeners, logs, the
 * connection pool, deadlines (a 408 to an unfinished head) and stopping. Each thread owns a ring, a
 * listener (SO_REUSEPORT, multishot accept) and a fixed pool of
 * connections; an operation's user_data carries (op, slot, generation),
 * never a pointer, so a completion for a slot since reused is recognised
 * and dropped. A connection's life is server_conn.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "handshaked/io/server_int.h"

/* ---- logs: a line per connection (-v), a line per response ---- */

void srv_log_conn(struct worker *w, struct conn *c, const char *end)
{
	const struct hs_params *p = c->tls ? hs_params(c->tls) : NULL;
	/* the kernel's handshake: what the module read back from kTLS */
	uint16_t v = p ? p->version : c->kh_version;
	const char *suite = p && p->suite ? p->suite->name :
			    hsd_kh_cipher_name(c->kh_cipher, c->kh_version);

	if (!w->o->verbose || !w->o->log)
		return;
	fprintf(w->o->log,
		"serve: peer=%s version=%s suite=%s path=\"%s\" requests=%u bytes=%llu ms=%llu parked=%u end=%s\n",
		c->peer, v == HS_TLS13 ? "TLSv1.3" : v == HS_TLS12 ? "TLSv1.2" : "-",
		suite ? suite : "-",
		c->path.why[0] ? c->path.why : "-", c->requests,
		(unsigned long long)c->bytes,
		(unsigned long long)(now_ms() - c->start), c->parks, end);
	fflush(w->o->log);
}

/*
 * A decoded path as a log may show it: control bytes, quotes, backslashes
 * and bytes above 0x7e as \xNN, so a request can never forge a line.
 */
static void escape(char *out, size_t cap, const char *in)
{
	size_t n = 0;

	for (; *in && n + 5 < cap; in++) {
		unsigned char b = (unsigned char)*in;

		if (b < 0x20 || b >= 0x7f || b == '"' || b == '\\')
			n += (size_t)snprintf(out + n, cap - n, "\\x%02x", b);
		else
			out[n++] = (char)b;
	}
	out[n] = 0;
}

/* the access log: common log format */
void srv_access_write(struct worker *w, struct conn *c, uint64_t len)
{
	char line[4 * HTTP_TARGET_MAX + 256], when[64], peer[sizeof(c->peer)];
	char path[4 * HTTP_TARGET_MAX + 1];
	static const char *const m[] = { "-", "GET", "HEAD", "-" };
	time_t t = time(NULL);
	struct tm tm;
	char *colon;
	int n;

	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%d/%b/%Y:%H:%M:%S %z", &tm);
	/* the address alone: "[v6]:port" or "v4:port" without the port */
	memcpy(peer, c->peer[0] == '[' ? c->peer + 1 : c->peer, sizeof(peer) - 1);
	peer[sizeof(peer) - 1] = 0;
	colon = strrchr(peer, c->peer[0] == '[' ? ']' : ':');
	if (colon)
		*colon = 0;
	escape(path, sizeof(path), c->io->r.path[0] ? c->io->r.path : "-");
	n = snprintf(line, sizeof(line), "%s - - [%s] \"%s %s HTTP/1.%u\" %d %llu\n",
		     peer, when, m[c->io->r.method < 4 ? c->io->r.method : 0], path,
		     c->io->r.minor, c->status, (unsigned long long)len);
	if (n > 0 && write(w->o->access_log, line,
			   (size_t)n < sizeof(line) ? (size_t)n : sizeof(line)) < 0)
		w->err = -errno;
}

/* RFC 9110 15.5.9: a head that never finished, best effort, then close */
void srv_say_408(struct conn *c)
{
	struct http_response r;
	const uint8_t *p;
	ssize_t sent;
	char h[512];
	size_t n;

	/* a SEND of engine output in flight owns it: no 408 then */
	if (c->busy && c->op != OP_RECV && c->op != OP_RECVMSG)
		return;
	if (http_respond(NULL, NULL, 408, time(NULL), h, sizeof(h), &r))
		return;
	if (c->ktls_tx) {
		send(c->fd, h, r.head_len, MSG_DONTWAIT | MSG_NOSIGNAL);
		return;
	}
	if (hs_app_write(c->tls, (const uint8_t *)h, r.head_len))
		return;
	n = hs_output(c->tls, &p);
	sent = n ? send(c->fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL) : 0;
	if (sent > 0)
		hs_output_consumed(c->tls, (size_t)sent);
}

/* ---- the pool ---- */

static struct conn *take_slot(struct worker *w)
{
	struct conn *c;

	if (!w->n_free)
		return NULL;
	c = &w->c[w->free_slots[--w->n_free]];
	c->st = C_HANDSHAKE;
	c->fd = c->file = c->file_slot = c->pipe[0] = c->pipe[1] = c->buf = -1;
	w->active++;
	return c;
}

/* ---- completions ---- */

static void on_accept(struct worker *w, struct io_uring_cqe *cqe)
{
	struct conn *c;
	int fd = cqe->res;

	if (!(cqe->flags & IORING_CQE_F_MORE))
		w->accepting = false;	/* re-armed by the loop */
	/* out of descriptors: accept again at the next tick, not in a spin */
	if (fd == -EMFILE || fd == -ENFILE || fd == -ENOBUFS || fd == -ENOMEM)
		w->accept_paused = true;
	if (fd < 0)
		return;
	c = w->stopping ? NULL : take_slot(w);
	if (!c) {
		close(fd);	/* at max_conns: refused at once */
		return;
	}
	srv_conn_start(w, c, fd);
}

/* ---- the loop ---- */

static void arm_accept(struct worker *w)
{
	struct io_uring_sqe *s = sqe(w);

	/*
	 * Non-blocking sockets: the ring's own operations poll as they
	 * would anyway, and a splice into a full socket (io-wq runs every
	 * splice) returns -EAGAIN at once instead of holding a worker
	 * thread for as long as the peer does not read.
	 */
	io_uring_prep_multishot_accept(s, w->lfd, NULL, NULL,
				       SOCK_CLOEXEC | SOCK_NONBLOCK);
	io_uring_sqe_set_data64(s, UD(OP_ACCEPT, 0, 0));
	w->accepting = true;
}

static void arm_tick(struct worker *w)
{
	struct io_uring_sqe *s = sqe(w);

	w->tick.tv_sec = 0;
	w->tick.tv_nsec = TICK_MS * 1000000LL;
	io_uring_prep_timeout(s, &w->tick, 0, 0);
	io_uring_sqe_set_data64(s, UD(OP_TICK, 0, 0));
}

/* the ktlsh socket's events (multishot: re-armed only when it ends) */
static void arm_kh(struct worker *w)
{
	struct io_uring_sqe *s = sqe(w);

	io_uring_prep_poll_multishot(s, hsd_kh_fd(w->kh), POLLIN);
	io_uring_sqe_set_data64(s, UD(OP_KH, 0, 0));
	w->kh_armed = true;
}

static void arm_wake(struct worker *w)
{
	struct io_uring_sqe *s = sqe(w);

	io_uring_prep_read(s, w->wake, &w->wake_v, sizeof(w->wake_v), 0);
	io_uring_sqe_set_data64(s, UD(OP_WAKE, 0, 0));
}

/* every TICK_MS: each connection's deadlines (srv_conn_tick) */
static void on_tick(struct worker *w)
{
	uint64_t now = now_ms();
	bool grace_over = w->stopping && now >= w->stop_deadline;
	unsigned int i;

	for (i = 0; i < w->n; i++) {
		if (w->c[i].st != C_FREE && !w->c[i].shut)
			srv_conn_tick(w, &w->c[i], now, grace_over);
	}
	w->accept_paused = false;
	hsd_file_cache_expire(&w->files, now);
	/*
	 * Buffers of connections gone idle or closed went back to malloc,
	 * whose heap keeps the pages: a burst of handshakes would stay in
	 * the resident size for good. Given back to the kernel here, at
	 * most once a tick, and only after a good many were freed.
	 */
	if (w->freed >= IO_CACHE) {
		malloc_trim(0);
		w->freed = 0;
	}
	arm_tick(w);
}

static void on_wake(struct worker *w)
{
	struct io_uring_sqe *s;

	if (w->stopping)
		return;
	w->stopping = true;
	w->stop_deadline = now_ms() + w->o->grace_ms;
	if (w->accepting) {
		s = sqe(w);
		io_uring_prep_cancel64(s, UD(OP_ACCEPT, 0, 0), 0);
		io_uring_sqe_set_data64(s, UD(OP_CANCEL, 0, 0));
	}
}

static int listener(int port)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons((uint16_t)port) };
	struct sockaddr_in a4 = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };
	int one = 1, zero = 0, fd, err;

	/* IPv6 and IPv4 on one socket; without IPv6, an IPv4 socket */
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (!setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) &&
		    !bind(fd, (struct sockaddr *)&a6, sizeof(a6)) &&
		    !listen(fd, 1024))
			return fd;
		err = -errno;
		close(fd);
		if (err != -EAFNOSUPPORT && err != -EADDRNOTAVAIL)
			return err;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&a4, sizeof(a4)) || listen(fd, 1024)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	struct io_uring_cqe *cqe;
	unsigned int head, seen;
	int r;

	if (w->ring_flags & IORING_SETUP_R_DISABLED) {
		/* liburing 2.3 declares io_uring_enable_rings() but lacks it */
		if (syscall(__NR_io_uring_register, w->ring.ring_fd,
			    IORING_REGISTER_ENABLE_RINGS, NULL, 0) < 0) {
			w->err = -errno;
			/* no connection may wait on a listener nobody serves */
			close(w->lfd);
			w->lfd = -1;
			return NULL;
		}
	}
	arm_accept(w);
	arm_tick(w);
	arm_wake(w);
	if (w->kh)
		arm_kh(w);
	while (!(w->stopping && !w->active && !w->accepting)) {
		r = io_uring_submit_and_wait(&w->ring, 1);
		if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY) {
			/* the listener stops with the thread: said, not hidden */
			w->err = r;
			break;
		}
		seen = 0;
		io_uring_for_each_cqe(&w->ring, head, cqe) {
			uint64_t u = cqe->user_data;
			struct conn *c;

			seen++;
			switch (UD_OP(u)) {
			case OP_ACCEPT:
				on_accept(w, cqe);
				break;
			case OP_TICK:
				on_tick(w);
				break;
			case OP_WAKE:
				on_wake(w);
				break;
			case OP_CANCEL:
				break;
			case OP_KH:
				if (!(cqe->flags & IORING_CQE_F_MORE))
					w->kh_armed = false;
				srv_kh_events(w);
				break;
			default:
				if (UD_SLOT(u) >= w->n)
					break;
				c = &w->c[UD_SLOT(u)];
				/* a completion for a slot since reused: dropped */
				if (c->st == C_FREE || UD_GEN(u) != (c->gen & 0xffffff))
					break;
				srv_conn_event(w, c, UD_OP(u), cqe->res);
			}
		}
		io_uring_cq_advance(&w->ring, seen);
		if (!w->accepting && !w->stopping && !w->accept_paused)
			arm_accept(w);
		/*
		 * A cancel or a submission above may have read DONE events
		 * while it awaited its reply: kept by the library, they do
		 * not make the socket readable, so they are taken here.
		 */
		if (w->kh && hsd_kh_pending(w->kh))
			srv_kh_events(w);
		if (w->kh && !w->kh_armed)
			arm_kh(w);
	}
	return NULL;
}

static void worker_free(struct worker *w)
{
	unsigned int i;

	for (i = 0; w->c && i < w->n; i++)
		if (w->c[i].st != C_FREE)
			srv_conn_free(w, &w->c[i], "exit");
	if (w->ring.ring_fd > 0)
		io_uring_queue_exit(&w->ring);
	/* its requests, if any were left, end with it (NETLINK_URELEASE) */
	hsd_kh_close(w->kh);
	free(w->kh_slot);
	if (w->lfd >= 0)
		close(w->lfd);
	if (w->wake >= 0)
		close(w->wake);
	if (w->rootfd >= 0)
		close(w->rootfd);
	/* every response gave its file back: anything else is our bug, said */
	if (hsd_file_cache_in_use(&w->files) && !w->err)
		w->err = -EBADFD;
	hsd_file_cache_expire(&w->files, UINT64_MAX);
	while (w->n_io_cache)
		free(w->io_cache[--w->n_io_cache]);
	while (w->n_pipes) {
		w->n_pipes--;
		close(w->pipes[w->n_pipes].fd[0]);
		close(w->pipes[w->n_pipes].fd[1]);
	}
	free(w->c);
	free(w->free_slots);
	free(w->free_bufs);
	free(w->bufs);
	hsd_rand_pool_free(w->rand_pool);
	w->rand_pool = NULL;
}

static int worker_init(struct worker *w, const struct hsd_server_opts *o,
		       unsigned int conns)
{
	/* one operation per connection, plus accept, tick, wake, cancel */
	unsigned int entries = conns + 8 < 4096 ? conns + 8 : 4096;
	struct iovec *iov;
	unsigned int i;
	int err;

	w->o = o;
	if (o->tls) {
		w->tls = *o->tls;
		/* none: the engine asks libcrypto each time */
		w->tls.rand_pool = hsd_rand_pool_new(&w->rand_pool) ? NULL : w->rand_pool;
	}
	w->lfd = w->wake = w->rootfd = -1;
	w->n = conns;
	w->page = sysconf(_SC_PAGESIZE);
	if (w->page <= 0)
		w->page = 4096;
	hsd_file_cache_init(&w->files, o->file_cache_ms);
	/* buffers for user-space bodies: no more than the connections */
	w->n_bufs = conns < 64 ? (int)conns : 64;
	w->c = calloc(conns, sizeof(*w->c));
	w->free_slots = calloc(conns, sizeof(*w->free_slots));
	w->free_bufs = calloc((size_t)w->n_bufs, sizeof(*w->free_bufs));
	w->bufs = aligned_alloc(4096, (size_t)w->n_bufs * CHUNK);
	iov = calloc((size_t)w->n_bufs, sizeof(*iov));
	if (!w->c || !w->free_slots || !w->free_bufs || !w->bufs || !iov) {
		free(iov);
		return -ENOMEM;
	}
	for (i = 0; i < conns; i++) {
		w->c[i].fd = w->c[i].file = w->c[i].buf = -1;
		w->c[i].pipe[0] = w->c[i].pipe[1] = -1;
		w->free_slots[i] = conns - 1 - i;
	}
	w->n_free = conns;
	for (i = 0; i < (unsigned int)w->n_bufs; i++) {
		iov[i].iov_base = w->bufs + (size_t)i * CHUNK;
		iov[i].iov_len = CHUNK;
		w->free_bufs[i] = (int)i;
	}
	w->n_free_bufs = w->n_bufs;
	/*
	 * One thread submits to its ring, and waits on it for every
	 * completion: DEFER_TASKRUN runs the completions' task work when the
	 * thread asks for events, in one batch, instead of interrupting it
	 * as each arrives (Linux 6.1+; older kernels get a plain ring). The
	 * ring starts disabled: the worker thread enables it and so becomes
	 * its one submitter (SINGLE_ISSUER).
	 */
	w->ring_flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
			IORING_SETUP_R_DISABLED;
	err = io_uring_queue_init(entries, &w->ring, w->ring_flags);
	if (err == -EINVAL) {
		w->ring_flags = 0;
		err = io_uring_queue_init(entries, &w->ring, 0);
	}
	/*
	 * io-wq: file reads that miss the page cache (bounded workers) and
	 * splices (unbounded), neither of which waits on a peer: a few
	 * suffice, and no burst of them grows threads without end (5.15+;
	 * older kernels keep their defaults).
	 */
	if (!err) {
		unsigned int most[2] = { 16, 64 };

		io_uring_register_iowq_max_workers(&w->ring, most);
	}
	/*
	 * Registered buffers are pinned memory, counted against the user's
	 * RLIMIT_MEMLOCK: refused (not root, a low limit), the reads go
	 * through plain READ into the same buffers.
	 */
	if (!err)
		w->registered = !io_uring_register_buffers(&w->ring, iov,
							   (unsigned int)w->n_bufs);
	free(iov);
	if (err)
		return err;
	w->wake = eventfd(0, EFD_CLOEXEC);
	w->rootfd = open(o->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (w->wake < 0 || w->rootfd < 0)
		return -errno;
	/* one ktlsh socket per thread: its requests' DONE come to it alone */
	if (o->kernel_handshake) {
		err = hsd_kh_open(&w->kh);
		if (err)
			return err;
	}
	w->lfd = listener(o->port);
	return w->lfd < 0 ? w->lfd : 0;
}

int hsd_server_run(const struct hsd_server_opts *o)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int n = o->threads ? o->threads : cpus > 0 ? (unsigned int)cpus : 1;
	unsigned int per = (o->max_conns + n - 1) / n, i, started = 0;
	struct worker *w = calloc(n, sizeof(*w));
	struct pollfd pfd = { .fd = o->stop_fd, .events = POLLIN };
	uint64_t one = 1;
	int err = 0;

	if (!w)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		w[i].lfd = w[i].wake = w[i].rootfd = -1;
		hsd_file_cache_init(&w[i].files, 0);
	}
	if (!per)
		per = 1;
	for (i = 0; i < n && !err; i++)
		err = worker_init(&w[i], o, per);
	for (i = 0; i < n && !err; i++) {
		err = -pthread_create(&w[i].th, NULL, run, &w[i]);
		if (!err)
			started++;
	}
	if (!err && o->ready)
		o->ready(o->ready_arg, o->port);
	while (!err && poll(&pfd, 1, -1) < 0 && errno == EINTR)
		;
	for (i = 0; i < started; i++)
		if (write(w[i].wake, &one, sizeof(one)) < 0)
			err = err ? err : -errno;
	for (i = 0; i < started; i++)
		pthread_join(w[i].th, NULL);
	for (i = 0; i < n; i++) {
		worker_free(&w[i]);
		if (!err && w[i].err)
			err = w[i].err;
	}
	free(w);
	return err;
}
