// SPDX-License-Identifier: GPL-2.0
/*
 * ktlsh bench: an HTTPS load generator on io_uring and our engine. Each
 * thread owns a ring and its share of the connections; each connection
 * handshakes, then GETs the URL again and again (keep-alive), or once per
 * connection with --new-conn. Requests/s, bytes/s, handshakes/s, latency
 * (request sent -> last body byte) p50/p99/max, and with --server-pid the
 * server's CPU time per GB and per request, from /proc (all its threads).
 * The client's records are opened in user space: the figure of interest
 * is the server's, its CPU counted apart from ours.
 */
#include <errno.h>
#include <liburing.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "handshaked/http/http.h"
#include "handshaked/util.h"
#include "tools/tlsopts.h"

#define RAW (5 + 16384 + 2048)
#define PT (16384 + 256)
#define REQ_MAX 1024
/* latency histogram: 16 steps per power of two, in microseconds */
#define SUB 16
#define BUCKETS (40 * SUB)

enum bst { B_CONNECT, B_HANDSHAKE, B_REQUEST, B_RESPONSE, B_IDLE };
enum bop { BOP_CONNECT = 1, BOP_SEND, BOP_RECV };

struct bconn {
	enum bst st;
	uint32_t gen;
	int fd;
	bool busy;
	struct hs_conn *tls;
	uint8_t raw[RAW];
	size_t raw_len;
	uint8_t head[HTTP_HEAD_MAX];	/* a response head being gathered */
	size_t head_len;
	bool in_body;
	uint64_t body_left;
	bool keep;
	uint64_t t0;			/* the request's start, ns */
};

struct bstats {
	_Atomic uint64_t requests, bytes, handshakes, errors;
	uint64_t hist[BUCKETS];
	uint64_t max_us;
};

struct bench;

struct bthread {
	struct bench *b;
	struct io_uring ring;
	pthread_t th;
	struct bconn *c;
	unsigned int n;
	struct bstats s;
	int err;
};

struct bench {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	const struct hs_config *cfg;
	char req[REQ_MAX];
	size_t req_len;
	bool head_request;
	bool new_conn;
	bool idle;			/* --idle: handshake, then hold, no requests */
	_Atomic bool stop;
	const char *first_error;
	pthread_mutex_t lock;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static unsigned int bucket(uint64_t us)
{
	unsigned int e, m;

	if (us < SUB)
		return (unsigned int)us;
	e = 63 - (unsigned int)__builtin_clzll(us);	/* us >= 2^e */
	m = (unsigned int)(us >> (e - 4)) & (SUB - 1);
	e = (e - 3) * SUB + m;
	return e < BUCKETS ? e : BUCKETS - 1;
}

/* the largest latency a bucket holds: percentiles never flatter */
static uint64_t bucket_top(unsigned int i)
{
	unsigned int e = i / SUB + 3, m = i % SUB;

	if (i < SUB)
		return i;
	return ((uint64_t)(SUB + m + 1) << (e - 4)) - 1;
}

#define UD(op, gen, slot) ((uint64_t)(op) << 56 | \
			   (uint64_t)((gen) & 0xffffff) << 32 | (slot))

static struct io_uring_sqe *get_sqe(struct bthread *t)
{
	struct io_uring_sqe *s = io_uring_get_sqe(&t->ring);

	if (!s) {
		io_uring_submit(&t->ring);
		s = io_uring_get_sqe(&t->ring);
	}
	return s;
}

static void submit_op(struct bthread *t, struct bconn *c, enum bop op,
		      const void *p, size_t n)
{
	struct io_uring_sqe *s = get_sqe(t);
	struct bench *b = t->b;

	if (op == BOP_CONNECT)
		io_uring_prep_connect(s, c->fd, (const struct sockaddr *)&b->addr,
				      b->addrlen);
	else if (op == BOP_SEND)
		io_uring_prep_send(s, c->fd, p, n, MSG_NOSIGNAL);
	else
		io_uring_prep_recv(s, c->fd, (void *)p, n, 0);
	io_uring_sqe_set_data64(s, UD(op, c->gen, (uint32_t)(c - t->c)));
	c->busy = true;
}

static void fail(struct bthread *t, const char *why)
{
	struct bench *b = t->b;

	atomic_fetch_add_explicit(&t->s.errors, 1, memory_order_relaxed);
	pthread_mutex_lock(&b->lock);
	if (!b->first_error)
		b->first_error = why;
	pthread_mutex_unlock(&b->lock);
}

static void open_conn(struct bthread *t, struct bconn *c)
{
	int one = 1;

	c->gen++;
	c->raw_len = c->head_len = 0;
	c->in_body = false;
	c->st = B_CONNECT;
	c->fd = socket(t->b->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		fail(t, "socket");
		return;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	submit_op(t, c, BOP_CONNECT, NULL, 0);
}

static void close_conn(struct bthread *t, struct bconn *c, const char *err)
{
	if (err)
		fail(t, err);
	hs_conn_free(c->tls);
	c->tls = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->busy = false;
	if (!atomic_load_explicit(&t->b->stop, memory_order_relaxed))
		open_conn(t, c);
}

/* what the engine has to send goes first; else the state's read */
static bool flush(struct bthread *t, struct bconn *c)
{
	const uint8_t *p;
	size_t n = hs_output(c->tls, &p);

	if (!n)
		return false;
	submit_op(t, c, BOP_SEND, p, n);
	return true;
}

static void recv_more(struct bthread *t, struct bconn *c)
{
	submit_op(t, c, BOP_RECV, c->raw + c->raw_len, sizeof(c->raw) - c->raw_len);
}

static void send_request(struct bthread *t, struct bconn *c)
{
	struct bench *b = t->b;

	if (atomic_load_explicit(&b->stop, memory_order_relaxed)) {
		close_conn(t, c, NULL);
		return;
	}
	c->st = B_REQUEST;
	c->head_len = 0;
	c->in_body = false;
	c->t0 = now_ns();
	if (hs_app_write(c->tls, (const uint8_t *)b->req, b->req_len)) {
		close_conn(t, c, "sealing the request");
		return;
	}
	flush(t, c);
}

static void handshake_done(struct bthread *t, struct bconn *c)
{
	atomic_fetch_add_explicit(&t->s.handshakes, 1, memory_order_relaxed);
	if (t->b->idle) {
		/* held open: a read notices the server closing it */
		c->st = B_IDLE;
		recv_more(t, c);
		return;
	}
	send_request(t, c);
}

static void response_done(struct bthread *t, struct bconn *c)
{
	uint64_t us = (now_ns() - c->t0) / 1000;

	t->s.hist[bucket(us)]++;
	if (us > t->s.max_us)
		t->s.max_us = us;
	atomic_fetch_add_explicit(&t->s.requests, 1, memory_order_relaxed);
	if (!c->keep || t->b->new_conn) {
		close_conn(t, c, NULL);
		return;
	}
	send_request(t, c);
}

/* plaintext of the response: the head, then body bytes counted */
static int take_plain(struct bthread *t, struct bconn *c, const uint8_t *p,
		      size_t n, bool *done)
{
	struct http_response_head h;
	size_t k;
	int end;

	while (n && !*done) {
		if (c->in_body) {
			k = n < c->body_left ? n : (size_t)c->body_left;
			c->body_left -= k;
			atomic_fetch_add_explicit(&t->s.bytes, k, memory_order_relaxed);
			p += k;
			n -= k;
			if (!c->body_left)
				*done = true;
			continue;
		}
		k = sizeof(c->head) - c->head_len;
		k = n < k ? n : k;
		memcpy(c->head + c->head_len, p, k);
		end = http_parse_response(c->head, c->head_len + k,
					  t->b->head_request, &h);
		if (end < 0)
			return end;
		if (!end) {
			if (c->head_len + k == sizeof(c->head))
				return -EMSGSIZE;
			c->head_len += k;
			p += k;
			n -= k;
			continue;
		}
		if (h.status != 200 && h.status != 206)
			return -EPROTO;
		/* the head ends within this piece: the rest is body */
		k = (size_t)end - c->head_len;
		p += k;
		n -= k;
		c->in_body = true;
		c->body_left = h.body_len;
		c->keep = h.keep_alive;
		if (!c->body_left)
			*done = true;
	}
	/* a server sends nothing unasked: bytes past the body are an error */
	return n ? -EPROTO : 0;
}

static void on_recv(struct bthread *t, struct bconn *c, int res)
{
	uint8_t pt[PT];
	size_t used, got, off = 0;
	bool done = false;
	int err = 0;

	if (res <= 0) {
		close_conn(t, c, res ? "recv failed" : "server closed");
		return;
	}
	c->raw_len += (size_t)res;
	if (c->st == B_HANDSHAKE) {
		err = hs_input(c->tls, c->raw, c->raw_len, &used);
		memmove(c->raw, c->raw + used, c->raw_len - used);
		c->raw_len -= used;
		if (err) {
			close_conn(t, c, "handshake failed");
			return;
		}
		if (flush(t, c))
			return;
		if (!hs_is_done(c->tls)) {
			recv_more(t, c);
			return;
		}
		handshake_done(t, c);
		return;
	}
	if (c->st == B_IDLE) {
		/* tickets, a KeyUpdate: taken; data nobody asked for: an error */
		err = hs_app_read(c->tls, c->raw, c->raw_len, &used, pt,
				  sizeof(pt), &got);
		memmove(c->raw, c->raw + used, c->raw_len - used);
		c->raw_len -= used;
		if (err || got || hs_peer_closed(c->tls)) {
			close_conn(t, c, "an idle connection ended");
			return;
		}
		if (!flush(t, c))
			recv_more(t, c);
		return;
	}
	while (!err && off < c->raw_len && !done) {
		err = hs_app_read(c->tls, c->raw + off, c->raw_len - off, &used,
				  pt, sizeof(pt), &got);
		off += used;
		if (!err && got)
			err = take_plain(t, c, pt, got, &done);
		if (!used && !got)
			break;
	}
	memmove(c->raw, c->raw + off, c->raw_len - off);
	c->raw_len -= off;
	if (err || (hs_peer_closed(c->tls) && !done)) {
		close_conn(t, c, err == -EPROTO ? "unexpected response" :
				 "response failed");
		return;
	}
	if (done) {
		response_done(t, c);
		return;
	}
	/* a KeyUpdate the engine answered goes out first */
	if (!flush(t, c))
		recv_more(t, c);
}

static void on_event(struct bthread *t, struct bconn *c, enum bop op, int res)
{
	c->busy = false;
	switch (op) {
	case BOP_CONNECT:
		if (res < 0) {
			close_conn(t, c, "connect failed");
			return;
		}
		if (hs_conn_new(t->b->cfg, &c->tls) || hs_start(c->tls)) {
			close_conn(t, c, "no engine");
			return;
		}
		c->st = B_HANDSHAKE;
		flush(t, c);
		return;
	case BOP_SEND:
		if (res <= 0) {
			close_conn(t, c, "send failed");
			return;
		}
		hs_output_consumed(c->tls, (size_t)res);
		if (flush(t, c))
			return;
		if (c->st == B_HANDSHAKE && hs_is_done(c->tls)) {
			/* our Finished went last (TLS 1.3, or 1.2 resumed) */
			handshake_done(t, c);
			return;
		}
		if (c->st == B_REQUEST)
			c->st = B_RESPONSE;
		recv_more(t, c);
		return;
	case BOP_RECV:
		on_recv(t, c, res);
		return;
	}
}

static void *thread_main(void *arg)
{
	struct bthread *t = arg;
	struct __kernel_timespec ts = { .tv_nsec = 100 * 1000000 };
	struct io_uring_cqe *cqe;
	unsigned int i, busy;

	for (i = 0; i < t->n; i++) {
		t->c[i].fd = -1;
		open_conn(t, &t->c[i]);
	}
	for (;;) {
		int r;

		io_uring_submit(&t->ring);
		r = io_uring_wait_cqe_timeout(&t->ring, &cqe, &ts);
		if (r && r != -ETIME && r != -EINTR) {
			t->err = r;
			break;
		}
		while (!r && cqe) {
			uint64_t u = io_uring_cqe_get_data64(cqe);
			struct bconn *c = &t->c[(uint32_t)u];
			int res = cqe->res;

			io_uring_cqe_seen(&t->ring, cqe);
			if (((u >> 32) & 0xffffff) == (c->gen & 0xffffff) &&
			    c->fd >= 0)
				on_event(t, c, (enum bop)(u >> 56), res);
			if (io_uring_peek_cqe(&t->ring, &cqe))
				break;
		}
		if (!atomic_load_explicit(&t->b->stop, memory_order_relaxed))
			continue;
		/* stopping: what is idle closes now, the rest is cut */
		for (i = 0, busy = 0; i < t->n; i++) {
			if (t->c[i].fd >= 0 && t->c[i].busy) {
				shutdown(t->c[i].fd, SHUT_RDWR);
				busy++;
			} else if (t->c[i].fd >= 0) {
				close_conn(t, &t->c[i], NULL);
			}
		}
		if (!busy)
			break;
	}
	return NULL;
}

/* user and system time of every thread of @pid, in seconds; -1 if gone */
static double proc_cpu(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* after the command name, which may hold spaces: field 3 on */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			 &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* the CPU time of every process in @pids, summed: -1 if one is gone */
static double procs_cpu(const long *pids, size_t n)
{
	double sum = 0, c;
	size_t i;

	for (i = 0; i < n; i++) {
		c = proc_cpu((int)pids[i]);
		if (c < 0)
			return -1;
		sum += c;
	}
	return sum;
}

/*
 * The whole machine's busy CPU time, s (/proc/stat: user, nice, system,
 * irq, softirq, steal over every CPU): with this process's own taken off,
 * what serving the load cost everywhere, kernel threads included.
 */
static double machine_busy(void)
{
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "r");
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
		   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n != 8)
		return -1;
	return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) /
	       (double)sysconf(_SC_CLK_TCK);
}

static double self_cpu(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return -1;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int parse_url(struct bench *b, const char *url, char *host, size_t hcap,
		     char *path, size_t pcap)
{
	const char *h, *slash, *colon;
	char port[8] = "443";
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	size_t hl;

	if (strncmp(url, "https://", 8))
		return -EINVAL;
	h = url + 8;
	slash = strchr(h, '/');
	if (!slash)
		slash = h + strlen(h);
	if (*h == '[') {
		colon = memchr(h, ']', (size_t)(slash - h));
		if (!colon)
			return -EINVAL;
		hl = (size_t)(colon - h - 1);
		h++;
		colon = colon[1] == ':' ? colon + 1 : NULL;
	} else {
		colon = memchr(h, ':', (size_t)(slash - h));
		hl = (size_t)((colon ? colon : slash) - h);
	}
	if (!hl || hl >= hcap)
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = 0;
	if (colon) {
		size_t pl = (size_t)(slash - colon - 1);

		if (!pl || pl >= sizeof(port))
			return -EINVAL;
		memcpy(port, colon + 1, pl);
		port[pl] = 0;
	}
	snprintf(path, pcap, "%s", *slash ? slash : "/");
	if (getaddrinfo(host, port, &hints, &ai))
		return -EHOSTUNREACH;
	memcpy(&b->addr, ai->ai_addr, ai->ai_addrlen);
	b->addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

/* ---- --plot: result files side by side (gnuplot) ---- */

/* a number field of a result file we wrote (-j): "key": value */
static double field(const char *text, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	p = strstr(text, pat);
	return p ? strtod(p + strlen(pat), NULL) : 0;
}

static int plot(const char *png, int n, char **files)
{
	char dat[] = "/tmp/ktlsh-plot-XXXXXX", cmd[4096];
	FILE *f, *g;
	int i, fd = mkstemp(dat), rc;

	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	for (i = 0; i < n; i++) {
		char text[8192];
		size_t len;
		const char *label = strrchr(files[i], '/');

		g = fopen(files[i], "r");
		if (!g) {
			fprintf(stderr, "ktlsh bench: %s: %s\n", files[i], strerror(errno));
			fclose(f);
			unlink(dat);
			return -ENOENT;
		}
		len = fread(text, 1, sizeof(text) - 1, g);
		fclose(g);
		text[len] = 0;
		fprintf(f, "\"%s\" %.1f %.3f %.1f %.1f\n", label ? label + 1 : files[i],
			field(text, "requests_per_s"),
			field(text, "bytes_per_s") / 1e6, field(text, "p50_us"),
			field(text, "p99_us"));
	}
	fclose(f);
	/* the script beside the data: dat.gp */
	snprintf(cmd, sizeof(cmd), "%s.gp", dat);
	g = fopen(cmd, "w");
	if (!g) {
		unlink(dat);
		return -errno;
	}
	fprintf(g, "set terminal png size 1200,400\n");
	fprintf(g, "set output '%s'\n", png);
	fprintf(g, "set style data histograms\nset style fill solid\n");
	fprintf(g, "set boxwidth 0.8\nset xtics rotate by -20\n");
	fprintf(g, "set multiplot layout 1,3\n");
	fprintf(g, "set title 'requests/s'\nplot '%s' using 2:xtic(1) notitle\n", dat);
	fprintf(g, "set title 'MB/s'\nplot '%s' using 3:xtic(1) notitle\n", dat);
	fprintf(g, "set title 'latency p50, p99 (us)'\n");
	fprintf(g, "plot '%s' using 4:xtic(1) title 'p50', '' using 5 title 'p99'\n", dat);
	fprintf(g, "unset multiplot\n");
	fclose(g);
	snprintf(cmd, sizeof(cmd), "gnuplot %s.gp", dat);
	rc = system(cmd);
	unlink(dat);
	snprintf(cmd, sizeof(cmd), "%s.gp", dat);
	unlink(cmd);
	if (rc) {
		fprintf(stderr, "ktlsh bench: gnuplot failed (is it installed?)\n");
		return -EIO;
	}
	return 0;
}

static void bench_usage(FILE *f)
{
	fprintf(f,
		"usage: ktlsh bench URL [OPTIONS]     (URL: https://host[:port]/path)\n"
		"       ktlsh bench --plot FILE.png RESULT.json...\n"
		"  -c N              connections (default 10)\n"
		"  -d SECONDS        duration (default 10)\n"
		"  --new-conn        a new connection (handshake) per request\n"
		"  --head            HEAD instead of GET\n"
		"  --idle            open -c connections and hold them, no requests\n"
		"                    (\"all N open\" on stderr once they are)\n"
		"  --threads N       rings (default 1)\n"
		"  --server-pid PID  the server's CPU time per GB and per request (repeat:\n"
		"                    the sum of several processes, e.g. a daemon's too)\n"
		"  -j                JSON on stdout\n"
		"TLS options:\n");
	tls_opts_usage(f);
}

int cmd_bench(int argc, char **argv, struct hsd_crypto *cr)
{
	struct tls_opts o = { .cr = cr };
	static struct bench b;
	struct bthread *t = NULL;
	const char *url = NULL;
	long conns = 10, secs = 10, threads = 1, pids[8], pid = 0;
	size_t n_pids = 0;
	double busy0 = -1, busy1, self0 = -1, self1;
	char host[256], path[HTTP_TARGET_MAX];
	double cpu0 = 0, cpu1, el, q[2] = { 0.50, 0.99 }, qv[2] = { 0, 0 };
	uint64_t start, requests = 0, bytes = 0, hs = 0, errors = 0, max_us = 0;
	uint64_t hist[BUCKETS] = { 0 }, seen;
	bool json = false, said = false;
	int i, r, rc = 1;
	unsigned int k, j;

	if (argc > 2 && !strcmp(argv[1], "--plot"))
		return plot(argv[2], argc - 3, argv + 3) ? 1 : 0;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			bench_usage(stdout);
			return 0;
		} else if (!strcmp(a, "-c")) {
			conns = opt_number(v, 100000);
			i++;
		} else if (!strcmp(a, "-d")) {
			secs = opt_number(v, 86400);
			i++;
		} else if (!strcmp(a, "--threads")) {
			threads = opt_number(v, 256);
			i++;
		} else if (!strcmp(a, "--server-pid")) {
			pid = opt_number(v, 1 << 22);
			if (n_pids == ARRAY_SIZE(pids))
				pid = -1;
			else if (pid > 0)
				pids[n_pids++] = pid;
			i++;
		} else if (!strcmp(a, "--new-conn")) {
			b.new_conn = true;
		} else if (!strcmp(a, "--idle")) {
			b.idle = true;
		} else if (!strcmp(a, "--head")) {
			b.head_request = true;
		} else if (!strcmp(a, "-j")) {
			json = true;
		} else {
			r = tls_opt(&o, argc, argv, &i);
			if (r < 0 || (r == 0 && (a[0] == '-' || url))) {
				bench_usage(stderr);
				return 1;
			}
			if (r == 0)
				url = a;
		}
		if (conns < 0 || secs < 0 || threads < 0 || pid < 0) {
			bench_usage(stderr);
			return 1;
		}
	}
	if (!url || parse_url(&b, url, host, sizeof(host), path, sizeof(path))) {
		fprintf(stderr, "ktlsh bench: %s\n", url ? "bad or unknown URL" : "no URL");
		bench_usage(stderr);
		return 1;
	}
	if (threads > conns)
		threads = conns;
	if (!o.cfg.server_name)
		o.cfg.server_name = host;
	if (!o.alpn[0] && tls_opts_add_alpn(&o, "http/1.1"))
		return 1;
	if (tls_opts_finish(&o, HS_CLIENT))
		goto out;
	b.cfg = &o.cfg;
	b.req_len = (size_t)snprintf(b.req, sizeof(b.req),
				     "%s %s HTTP/1.1\r\nHost: %s\r\n%s\r\n",
				     b.head_request ? "HEAD" : "GET", path, host,
				     b.new_conn ? "Connection: close\r\n" : "");
	if (b.req_len >= sizeof(b.req))
		goto out;
	pthread_mutex_init(&b.lock, NULL);
	signal(SIGPIPE, SIG_IGN);
	t = calloc((size_t)threads, sizeof(*t));
	if (!t)
		goto out;
	if (n_pids) {
		cpu0 = procs_cpu(pids, n_pids);
		if (cpu0 < 0) {
			fprintf(stderr, "ktlsh bench: a --server-pid process is not there\n");
			goto out;
		}
	}
	busy0 = machine_busy();
	self0 = self_cpu();
	start = now_ns();
	for (i = 0; i < threads; i++) {
		t[i].b = &b;
		t[i].n = (unsigned int)(conns / threads + (i < conns % threads));
		t[i].c = calloc(t[i].n, sizeof(*t[i].c));
		if (!t[i].c || io_uring_queue_init(t[i].n + 8 < 4096 ? t[i].n + 8 : 4096,
						   &t[i].ring, 0) ||
		    pthread_create(&t[i].th, NULL, thread_main, &t[i])) {
			fprintf(stderr, "ktlsh bench: cannot start thread %d\n", i);
			atomic_store(&b.stop, true);
			threads = i;
			break;
		}
	}
	for (k = 1; k <= (unsigned int)secs && !atomic_load(&b.stop); k++) {
		uint64_t rq = 0, by = 0, hn = 0;

		while (now_ns() < start + (uint64_t)k * 1000000000ULL) {
			usleep(20000);
			for (i = 0, hn = 0; b.idle && !said && i < threads; i++)
				hn += atomic_load_explicit(&t[i].s.handshakes,
							   memory_order_relaxed);
			if (b.idle && !said && hn >= (uint64_t)conns) {
				fprintf(stderr, "ktlsh bench: all %ld open\n", conns);
				said = true;
			}
		}
		for (i = 0; i < threads; i++) {
			rq += atomic_load_explicit(&t[i].s.requests, memory_order_relaxed);
			by += atomic_load_explicit(&t[i].s.bytes, memory_order_relaxed);
		}
		fprintf(stderr, "%sktlsh bench: %us %llu requests %.1f MB%s",
			isatty(2) ? "\r" : "", k, (unsigned long long)rq,
			(double)by / 1e6, isatty(2) ? "" : "\n");
	}
	if (isatty(2))
		fprintf(stderr, "\n");
	atomic_store(&b.stop, true);
	/* the counts at the deadline: what finishes after is not counted */
	for (i = 0; i < threads; i++) {
		requests += atomic_load(&t[i].s.requests);
		bytes += atomic_load(&t[i].s.bytes);
		hs += atomic_load(&t[i].s.handshakes);
		errors += atomic_load(&t[i].s.errors);
	}
	el = (double)(now_ns() - start) / 1e9;
	cpu1 = n_pids ? procs_cpu(pids, n_pids) : 0;
	if (cpu1 < 0)
		cpu1 = cpu0 - 1;	/* the server is gone: no figure */
	busy1 = machine_busy();
	self1 = self_cpu();
	for (i = 0; i < threads; i++) {
		pthread_join(t[i].th, NULL);
		for (k = 0; k < BUCKETS; k++)
			hist[k] += t[i].s.hist[k];
		if (t[i].s.max_us > max_us)
			max_us = t[i].s.max_us;
	}
	for (j = 0; j < 2; j++) {
		uint64_t total = 0;

		for (k = 0; k < BUCKETS; k++)
			total += hist[k];
		for (k = 0, seen = 0; k < BUCKETS && total; k++) {
			seen += hist[k];
			if ((double)seen >= q[j] * (double)total) {
				qv[j] = (double)bucket_top(k);
				break;
			}
		}
	}
	cpu1 -= cpu0;
	if (json) {
		printf("{\"tool\": \"ktlsh bench\", \"url\": \"%s\", ", url);
		printf("\"conns\": %ld, \"threads\": %ld, ", conns, threads);
		printf("\"new_conn\": %s, ", b.new_conn ? "true" : "false");
		printf("\"seconds\": %.3f, \"requests\": %llu, ", el,
		       (unsigned long long)requests);
		printf("\"requests_per_s\": %.1f, ", (double)requests / el);
		printf("\"bytes\": %llu, ", (unsigned long long)bytes);
		printf("\"bytes_per_s\": %.1f, ", (double)bytes / el);
		printf("\"handshakes\": %llu, ", (unsigned long long)hs);
		printf("\"handshakes_per_s\": %.1f, ", (double)hs / el);
		printf("\"errors\": %llu, ", (unsigned long long)errors);
		printf("\"p50_us\": %.0f, \"p99_us\": %.0f, ", qv[0], qv[1]);
		printf("\"max_us\": %llu", (unsigned long long)max_us);
		if (busy0 >= 0 && busy1 >= 0 && self0 >= 0 && self1 >= 0) {
			double rest = (busy1 - busy0) - (self1 - self0);

			/* everything but this load generator, kernel included */
			printf(", \"machine_busy_s\": %.3f, \"client_cpu_s\": %.3f, ",
			       busy1 - busy0, self1 - self0);
			printf("\"rest_cpu_us_per_handshake\": %.2f",
			       hs && rest > 0 ? rest * 1e6 / (double)hs : 0);
		}
		if (n_pids && cpu1 >= 0) {
			printf(", \"server_pid\": %ld, ", pids[0]);
			printf("\"server_pids\": %zu, ", n_pids);
			printf("\"server_cpu_s\": %.3f, ", cpu1);
			printf("\"server_cpu_us_per_handshake\": %.2f, ",
			       hs ? cpu1 * 1e6 / (double)hs : 0);
			printf("\"server_cpu_s_per_gb\": %.4f, ",
			       bytes ? cpu1 / ((double)bytes / 1e9) : 0);
			printf("\"server_cpu_us_per_request\": %.2f",
			       requests ? cpu1 * 1e6 / (double)requests : 0);
		}
		printf("}\n");
	} else {
		printf("%llu requests in %.2f s: ", (unsigned long long)requests, el);
		printf("%.1f requests/s, %.2f MB/s, %.1f handshakes/s\n",
		       (double)requests / el, (double)bytes / el / 1e6, (double)hs / el);
		printf("latency p50 %.0f us, p99 %.0f us, max %llu us\n", qv[0],
		       qv[1], (unsigned long long)max_us);
		if (n_pids && cpu1 >= 0)
			printf("server: %.3f CPU s, %.4f per GB, %.2f us per request\n",
			       cpu1, bytes ? cpu1 / ((double)bytes / 1e9) : 0,
			       requests ? cpu1 * 1e6 / (double)requests : 0);
	}
	if (errors)
		fprintf(stderr, "ktlsh bench: %llu errors, the first: %s\n",
			(unsigned long long)errors, b.first_error);
	rc = (b.idle ? hs >= (uint64_t)conns : requests > 0) && !errors ? 0 : 1;
out:
	for (i = 0; t && i < threads; i++) {
		for (k = 0; k < t[i].n; k++)
			hs_conn_free(t[i].c[k].tls);
		free(t[i].c);
		if (t[i].ring.ring_fd > 0)
			io_uring_queue_exit(&t[i].ring);
	}
	free(t);
	tls_opts_free(&o);
	return rc;
}
