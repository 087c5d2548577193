// SPDX-License-Identifier: GPL-2.0
/*
 * One connection of the file server (server.h), from its accepted socket
 * to its close: the handshake on our engine, fed by RECV completions;
 * then io/path.c decides kTLS or user space. kTLS: the response head is
 * SENT with MSG_MORE and the body SPLICEd file -> pipe -> socket; requests
 * come with RECVMSG, whose control message types each record (alerts,
 * KeyUpdate: doc/KERNEL-ABI.md §3.6). User space: the file is READ into a
 * registered buffer and sealed by the engine, records go out with SEND.
 * With the kernel's handshake (--kernel-handshake) the engine is not
 * used: the socket goes to ktlsh.ko and comes back with kTLS keys that
 * this process never sees. At most one operation is in flight per
 * connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "handshaked/crypto/crypto.h"
#include "handshaked/io/files.h"
#include "handshaked/io/server_int.h"
#include "handshaked/kernel/kabi.h"
#include "handshaked/kernel/ktls.h"

/* ---- operations: each connection has at most one in flight ---- */

static void op_recv(struct worker *w, struct conn *c, void *p, size_t n)
{
	struct io_uring_sqe *s = sqe(w);

	io_uring_prep_recv(s, c->fd, p, n, 0);
	io_uring_sqe_set_data64(s, ud(w, c, OP_RECV));
	c->busy = true;
	c->op = OP_RECV;
}

static void op_send(struct worker *w, struct conn *c, const void *p, size_t n,
		    int flags)
{
	struct io_uring_sqe *s = sqe(w);

	io_uring_prep_send(s, c->fd, p, n, flags | MSG_NOSIGNAL);
	io_uring_sqe_set_data64(s, ud(w, c, OP_SEND));
	c->busy = true;
	c->op = OP_SEND;
}

/* kTLS RX: one record's data, its type in the control message */
static void op_recvmsg(struct worker *w, struct conn *c)
{
	struct io_uring_sqe *s = sqe(w);

	c->iov.iov_base = c->io->req + c->req_len;
	c->iov.iov_len = sizeof(c->io->req) - c->req_len;
	memset(&c->msg, 0, sizeof(c->msg));
	c->msg.msg_iov = &c->iov;
	c->msg.msg_iovlen = 1;
	c->msg.msg_control = c->cbuf;
	c->msg.msg_controllen = sizeof(c->cbuf);
	io_uring_prep_recvmsg(s, c->fd, &c->msg, 0);
	/*
	 * Nothing buffered (a response just ended): the next request is
	 * rarely there yet, so wait for it first rather than try a read that
	 * fails, then wait (Linux 5.19+).
	 */
	if (!c->req_len)
		s->ioprio |= IORING_RECVSEND_POLL_FIRST;
	io_uring_sqe_set_data64(s, ud(w, c, OP_RECVMSG));
	c->busy = true;
	c->op = OP_RECVMSG;
}

int srv_io_get(struct worker *w, struct conn *c)
{
	if (c->io)
		return 0;
	c->io = w->n_io_cache ? w->io_cache[--w->n_io_cache] :
				malloc(sizeof(*c->io));
	return c->io ? 0 : -ENOMEM;
}

void srv_io_put(struct worker *w, struct conn *c)
{
	if (!c->io)
		return;
	hsd_wipe(c->io->raw, c->raw_len);
	/* what memmove left behind too: Cookie, Authorization */
	hsd_wipe(c->io->req, c->req_hw);
	c->raw_len = c->req_len = c->req_hw = 0;
	if (w->n_io_cache < IO_CACHE) {
		w->io_cache[w->n_io_cache++] = c->io;
	} else {
		free(c->io);
		w->freed++;
	}
	c->io = NULL;
}

/* wait for the socket without a buffer: POLLIN (OP_POLL), POLLOUT (OP_POLL_OUT) */
static void op_poll_for(struct worker *w, struct conn *c, enum op op)
{
	struct io_uring_sqe *s = sqe(w);

	io_uring_prep_poll_add(s, c->fd, op == OP_POLL ? POLLIN : POLLOUT);
	io_uring_sqe_set_data64(s, ud(w, c, op));
	c->busy = true;
	c->op = op;
}

static void op_poll(struct worker *w, struct conn *c)
{
	op_poll_for(w, c, OP_POLL);
}

void srv_conn_free(struct worker *w, struct conn *c, const char *end)
{
	srv_log_conn(w, c, end);
	if (c->st == C_KERNEL) {
		/*
		 * Ended before its DONE (a deadline, the server stopping):
		 * the request goes too. A DONE already on its way names an
		 * id no connection has, and is dropped.
		 */
		hsd_kh_cancel(w->kh, c->kh_id);
		w->kh_slot[c->fd] = -1;
	}
	if (c->fd >= 0)
		close(c->fd);
	srv_file_put(w, c);
	srv_pipe_put(w, c, false);
	if (c->buf >= 0)
		w->free_bufs[w->n_free_bufs++] = c->buf;
	hs_conn_free(c->tls);
	srv_io_put(w, c);
	c->tls = NULL;
	c->st = C_FREE;
	c->gen++;
	c->busy = c->shut = c->ktls_tx = c->ktls_rx = c->in_head = false;
	c->parking = false;
	c->parks = 0;
	c->quiet_since = 0;
	c->reset = false;
	c->end_why = NULL;
	c->raw_len = c->req_len = c->req_hw = c->head_len = c->head_off = 0;
	c->piped = c->piped_head = 0;
	c->linked = c->link_failed = false;
	c->tx_records = c->bytes = c->left = c->off = 0;
	c->requests = 0;
	c->kh_id = 0;
	c->kh_version = c->kh_cipher = 0;
	c->kh_record = 0;
	c->kh_peer_closed = false;
	c->path.why[0] = 0;
	w->free_slots[w->n_free++] = (unsigned int)(c - w->c);
	w->active--;
}

/*
 * Close: the engine's fatal alert or our close_notify goes out first
 * when it can (RFC 8446 6.1), without waiting for a peer that stalls.
 */
static void end_conn(struct worker *w, struct conn *c, const char *why)
{
	static const uint8_t close_notify[2] = { 1, HS_ALERT_CLOSE_NOTIFY };
	const uint8_t *p;
	uint8_t alert;
	bool received;
	size_t n;

	if (c->st == C_LINGER) {
		srv_conn_free(w, c, c->end_why);
		return;
	}
	/* with the kernel's handshake: no engine, kTLS both ways */
	if ((c->tls || c->ktls_tx) && !c->shut && !c->reset) {
		bool failed = c->tls && hs_error(c->tls, &alert, &received, NULL);

		if (c->ktls_tx && !failed)
			hsd_ktls_send_record(c->fd, HS_CT_ALERT, close_notify,
					     sizeof(close_notify), MSG_DONTWAIT);
		else if (!c->ktls_tx && hs_is_done(c->tls) && !failed)
			hs_send_alert(c->tls, HS_ALERT_CLOSE_NOTIFY);
		if (!c->ktls_tx) {
			ssize_t sent;

			n = hs_output(c->tls, &p);
			sent = n ? send(c->fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL) : 0;
			if (sent > 0)
				hs_output_consumed(c->tls, (size_t)sent);
		}
		if (!shutdown(c->fd, SHUT_WR)) {
			/*
			 * Nothing is in flight: the file goes back now, not
			 * after the linger (a busy cache entry is never
			 * replaced), and the pipe is closed.
			 */
			srv_file_put(w, c);
			srv_pipe_put(w, c, false);
			c->st = C_LINGER;
			c->end_why = why;
			c->deadline = now_ms() + LINGER_MS;
			op_recv(w, c, w->sink, sizeof(w->sink));
			return;
		}
	}
	srv_conn_free(w, c, why);
}

/* ---- the handshake ---- */

static void after_handshake(struct worker *w, struct conn *c);
static void next_request(struct worker *w, struct conn *c);
static void read_request(struct worker *w, struct conn *c);
static void park(struct worker *w, struct conn *c);
static void respond_more(struct worker *w, struct conn *c);

/* send what the engine has to send, or go on reading */
static void handshake_step(struct worker *w, struct conn *c)
{
	const uint8_t *p;
	size_t n = hs_output(c->tls, &p);

	if (n) {
		op_send(w, c, p, n, 0);
		return;
	}
	if (hs_error(c->tls, NULL, NULL, NULL)) {
		end_conn(w, c, "handshake failed");
		return;
	}
	if (hs_is_done(c->tls)) {
		after_handshake(w, c);
		return;
	}
	op_recv(w, c, c->io->raw + c->raw_len, sizeof(c->io->raw) - c->raw_len);
}

static void handshake_input(struct worker *w, struct conn *c)
{
	size_t used = 0;

	hs_input(c->tls, c->io->raw, c->raw_len, &used);
	memmove(c->io->raw, c->io->raw + used, c->raw_len - used);
	c->raw_len -= used;
	handshake_step(w, c);
}

/*
 * Open the records read so far straight into the request buffer: the
 * engine decrypts from conn_io.raw into conn_io.req, no copy between. A
 * head is refused (431) before it reaches HTTP_HEAD_MAX, so a read always
 * finds room for a whole record after it; -ENOBUFS all the same is a
 * head too large. 0, or -errno.
 */
static int open_records(struct conn *c)
{
	size_t off = 0, used, got;
	int err = 0;

	while (off < c->raw_len) {
		err = hs_app_read(c->tls, c->io->raw + off, c->raw_len - off,
				  &used, c->io->req + c->req_len,
				  sizeof(c->io->req) - c->req_len, &got);
		if (err)
			break;
		off += used;
		c->req_len += got;
		if (c->req_len > c->req_hw)
			c->req_hw = c->req_len;
		if (!used && !got)
			break;	/* a part of a record: the engine keeps it */
	}
	memmove(c->io->raw, c->io->raw + off, c->raw_len - off);
	c->raw_len -= off;
	return err == -ENOBUFS ? -EMSGSIZE : err;
}

/*
 * The keys go to the kernel once nothing is half-read or half-sent. RX
 * first: refused, nothing is in the kernel yet and the connection stays
 * whole in user space; TX refused after it, our records are sealed in
 * user space and the kernel opens the peer's (a key taken by the kernel
 * cannot be taken back, so RX then TX never leaves a dead end).
 */
static void install_ktls(struct worker *w, struct conn *c)
{
	uint64_t seq;
	int err;

	err = hsd_ktls_install_rx(c->fd, c->tls);
	if (err) {
		snprintf(c->path.why, sizeof(c->path.why),
			 "user space: kTLS refused the RX key (%s)", strerror(-err));
		c->path.ktls = false;
		next_request(w, c);
		return;
	}
	c->ktls_rx = true;
	err = hsd_ktls_install_tx(c->fd, c->tls, &seq);
	if (err) {
		snprintf(c->path.why, sizeof(c->path.why),
			 "kTLS RX, user-space TX: kTLS refused the TX key (%s)",
			 strerror(-err));
		next_request(w, c);
		return;
	}
	c->ktls_tx = true;
	c->tx_records = seq;
	hs_tx_offloaded(c->tls, seq);
	snprintf(c->path.why, sizeof(c->path.why), "kTLS (TX and RX, body spliced)");
	/* --no-pad: trusted clients, records decrypted in place (§3.2) */
	if (w->o->path.rx_no_pad && hs_params(c->tls)->version == HS_TLS13) {
		unsigned int on = 1;

		if (setsockopt(c->fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &on,
			       sizeof(on)))
			snprintf(c->path.why, sizeof(c->path.why),
				 "kTLS (TX and RX, body spliced), RX_EXPECT_NO_PAD refused");
	}
	next_request(w, c);
}

/* kTLS next: records already read are opened here first, whole */
static void drain(struct worker *w, struct conn *c)
{
	const uint8_t *p;
	size_t need, n;
	int err = open_records(c);

	if (err) {
		end_conn(w, c, "records with the Finished failed");
		return;
	}
	need = hs_rx_partial_need(c->tls);
	if (need) {
		n = sizeof(c->io->raw) - c->raw_len;
		c->st = C_DRAIN;
		op_recv(w, c, c->io->raw + c->raw_len, need < n ? need : n);
		return;
	}
	/* what the engine answered meanwhile goes out under its key */
	n = hs_output(c->tls, &p);
	if (n) {
		c->st = C_DRAIN;
		op_send(w, c, p, n, 0);
		return;
	}
	install_ktls(w, c);
}

static void fallback_input(struct worker *w, struct conn *c);

static void after_handshake(struct worker *w, struct conn *c)
{
	struct hsd_path_opts po = w->o->path;

	po.needs_rekey = po.needs_rekey || w->o->rekey_records;
	if (hsd_path_decide(c->fd, c->tls, &po, &c->path)) {
		if (w->o->rekey_records && w->o->rekey_records < c->path.tx_limit)
			c->path.tx_limit = w->o->rekey_records;
		drain(w, c);
		return;
	}
	/* records that came with the Finished are the first request's */
	fallback_input(w, c);
}

/* ---- the kernel's handshake (ktlsh.ko) ---- */

/*
 * What the kernel's handshake agreed bounds what we send: the record
 * size the daemon gave the kernel for the peer's record_size_limit
 * (TLS_TX_MAX_PAYLOAD_LEN, where the kernel has it; RFC 8449 4), to count
 * records, and RFC 8446 5.5's per-key limit of the AEAD (TLS 1.3).
 */
static void kernel_limits(struct conn *c)
{
	enum hsd_aead_id id = HSD_AEAD_COUNT;
	uint16_t v = 0;
	socklen_t l = sizeof(v);
	uint64_t limit;

	c->kh_record = 16384;
	if (!getsockopt(c->fd, SOL_TLS, TLS_TX_MAX_PAYLOAD_LEN, &v, &l) && v)
		c->kh_record = v;
	c->path.tx_limit = UINT64_MAX;
	switch (c->kh_cipher) {
	case TLS_CIPHER_AES_GCM_128:
		id = HSD_AES_128_GCM;
		break;
	case TLS_CIPHER_AES_GCM_256:
		id = HSD_AES_256_GCM;
		break;
	case TLS_CIPHER_AES_CCM_128:
		id = HSD_AES_128_CCM;
		break;
	case TLS_CIPHER_CHACHA20_POLY1305:
		id = HSD_CHACHA20_POLY1305;
		break;
	}
	if (c->kh_version != 0x0304 || id == HSD_AEAD_COUNT)
		return;
	limit = hsd_aead_desc(id)->record_limit;
	c->path.tx_limit = limit - (limit >> 4);
}

/* the module's HANDSHAKE-DONE for @c: the socket is back, with kTLS */
static void kernel_done(struct worker *w, struct conn *c,
			const struct hsd_kh_result *r)
{
	c->st = C_HANDSHAKE;	/* no longer the module's */
	if (r->status) {
		snprintf(c->path.why, sizeof(c->path.why),
			 "the kernel's handshake failed (%s)", strerror(-r->status));
		end_conn(w, c, "handshake failed");
		return;
	}
	/*
	 * The module read version and cipher back from the socket's kTLS
	 * state: without them no key is installed, and nothing may be sent
	 * (it would go out in the clear).
	 */
	if (!r->tls_version || !r->cipher) {
		snprintf(c->path.why, sizeof(c->path.why),
			 "the kernel's handshake reported success without kTLS keys");
		end_conn(w, c, "handshake failed");
		return;
	}
	c->kh_version = r->tls_version;
	c->kh_cipher = r->cipher;
	c->ktls_tx = c->ktls_rx = true;
	c->path.ktls = true;
	kernel_limits(c);
	snprintf(c->path.why, sizeof(c->path.why),
		 "kTLS (TX and RX, body spliced), the kernel's handshake: no key here");
	/* --no-pad: trusted clients, records decrypted in place (§3.2) */
	if (w->o->path.rx_no_pad && c->kh_version == 0x0304) {
		unsigned int on = 1;

		if (setsockopt(c->fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &on, sizeof(on)))
			snprintf(c->path.why, sizeof(c->path.why),
				 "kTLS (TX and RX, body spliced), the kernel's handshake, RX_EXPECT_NO_PAD refused");
	}
	if (srv_io_get(w, c)) {
		end_conn(w, c, "out of memory");
		return;
	}
	next_request(w, c);
}

static int kernel_slot_room(struct worker *w, int fd)
{
	unsigned int cap = w->kh_slot_cap ? w->kh_slot_cap : 1024, i;
	int *n;

	while (cap <= (unsigned int)fd)
		cap *= 2;
	if (cap == w->kh_slot_cap)
		return 0;
	n = realloc(w->kh_slot, cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	for (i = w->kh_slot_cap; i < cap; i++)
		n[i] = -1;
	w->kh_slot = n;
	w->kh_slot_cap = cap;
	return 0;
}

/*
 * The socket goes to ktlsh.ko, which queues it for the kernel's upcall;
 * handshaked does the handshake and installs the keys, and the module's
 * HANDSHAKE-DONE (srv_kh_events) gives it back. Nothing here touches the
 * socket meanwhile; the handshake deadline still holds (the tick cancels).
 */
static void kernel_submit(struct worker *w, struct conn *c)
{
	char why[128] = "";
	int err;

	err = kernel_slot_room(w, c->fd);
	if (!err)
		err = hsd_kh_submit(w->kh, c->fd, w->o->kernel_handshake,
				    &c->kh_id, why, sizeof(why));
	if (err) {
		snprintf(c->path.why, sizeof(c->path.why),
			 "ktlsh.ko refused the socket (%s%s%s)", strerror(-err),
			 why[0] ? ": " : "", why);
		end_conn(w, c, "kernel handshake refused");
		return;
	}
	c->st = C_KERNEL;
	w->kh_slot[c->fd] = (int)(c - w->c);
	/* DONE events read while the reply was awaited are kept: now */
	srv_kh_events(w);
}

/* each DONE read (or kept by the library) to its connection */
static void kernel_drain(struct worker *w)
{
	struct hsd_kh_result r;
	struct conn *c;
	int slot;

	while (hsd_kh_next(w->kh, &r) > 0) {
		if (r.sockfd < 0 || (unsigned int)r.sockfd >= w->kh_slot_cap)
			continue;
		slot = w->kh_slot[r.sockfd];
		if (slot < 0)
			continue;
		c = &w->c[slot];
		/* that fd may be another connection's now: the id decides */
		if (c->st != C_KERNEL || c->fd != r.sockfd || c->kh_id != r.id)
			continue;
		w->kh_slot[r.sockfd] = -1;
		kernel_done(w, c, &r);
	}
}

struct id_set {
	uint32_t *v;
	size_t n, cap;
	bool failed;
};

static void id_add(const struct hsd_kh_entry *e, void *arg)
{
	struct id_set *s = arg;
	uint32_t *n;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		n = realloc(s->v, s->cap * sizeof(*n));
		if (!n) {
			s->failed = true;
			return;
		}
		s->v = n;
	}
	s->v[s->n++] = e->id;
}

static int id_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The socket overflowed and the kernel dropped messages: a connection
 * whose request is no longer in flight has ended unheard. Ended here
 * rather than left to its deadline (its DONE, if not lost, came first).
 */
static void kernel_reconcile(struct worker *w)
{
	struct id_set ids = { 0 };
	unsigned int i;

	if (hsd_kh_dump(w->kh, id_add, &ids) || ids.failed) {
		free(ids.v);
		return;		/* the deadlines will do */
	}
	kernel_drain(w);	/* what came with the dump */
	qsort(ids.v, ids.n, sizeof(*ids.v), id_cmp);
	for (i = 0; i < w->n; i++) {
		struct conn *c = &w->c[i];

		if (c->st != C_KERNEL ||
		    bsearch(&c->kh_id, ids.v, ids.n, sizeof(*ids.v), id_cmp))
			continue;
		w->kh_slot[c->fd] = -1;
		c->st = C_HANDSHAKE;	/* ended: nothing to cancel */
		snprintf(c->path.why, sizeof(c->path.why),
			 "the kernel's handshake ended unheard (netlink overflow)");
		end_conn(w, c, "handshake lost");
	}
	free(ids.v);
}

void srv_kh_events(struct worker *w)
{
	kernel_drain(w);
	if (hsd_kh_take_overrun(w->kh))
		kernel_reconcile(w);
}

/* ---- requests ---- */

static void respond_error(struct worker *w, struct conn *c, int status);

static void start_body(struct worker *w, struct conn *c,
		       const struct http_response *resp)
{
	c->off = resp->body_off;
	c->left = resp->body_from_file ? resp->body_len : 0;
	if (!c->left)
		srv_file_put(w, c);
}

/* queue the head: kTLS sends it as it is, user space seals it first */
static bool queue_head(struct worker *w, struct conn *c)
{
	int err;

	c->head_off = 0;
	if (c->ktls_tx)
		return true;
	err = hs_app_write(c->tls, (const uint8_t *)c->io->head, c->head_len);
	if (err) {
		end_conn(w, c, "sealing failed");
		return false;
	}
	c->head_len = 0;
	return true;
}

/* a response head made: its body's source, the access line, then out */
static void start_response(struct worker *w, struct conn *c,
			   const struct http_response *resp)
{
	c->status = resp->status;
	c->head_len = resp->head_len;
	c->keep = !resp->close && !w->stopping;
	start_body(w, c, resp);
	srv_access_line(w, c, c->left);
	c->st = C_RESPOND;
	c->deadline = now_ms() + w->o->write_ms;
	if (queue_head(w, c))
		respond_more(w, c);
}

static void respond_error(struct worker *w, struct conn *c, int status)
{
	struct http_response resp;

	if (http_respond(c->io->r.status || c->io->r.path[0] ? &c->io->r : NULL, NULL,
			 status, time(NULL), c->io->head, sizeof(c->io->head), &resp)) {
		end_conn(w, c, "response head");
		return;
	}
	start_response(w, c, &resp);
}

static void serve_request(struct worker *w, struct conn *c)
{
	struct http_response resp;
	struct http_file f;
	struct stat st;
	bool index;
	int fd, slot;

	c->requests++;
	if (c->io->r.method == HTTP_OTHER) {
		respond_error(w, c, 405);
		return;
	}
	fd = hsd_file_cache_get(&w->files, w->rootfd, c->io->r.path, now_ms(),
				&st, &index, &slot);
	if (fd < 0) {
		respond_error(w, c, hsd_file_status(fd));
		return;
	}
	f.size = (uint64_t)st.st_size;
	f.mtime = st.st_mtim;
	f.ino = st.st_ino;
	f.dev = st.st_dev;
	f.name = index ? "index.html" : c->io->r.path;
	c->file = fd;
	c->file_slot = slot;
	if (http_respond(&c->io->r, &f, 0, time(NULL), c->io->head, sizeof(c->io->head),
			 &resp)) {
		end_conn(w, c, "response head");
		return;
	}
	start_response(w, c, &resp);
}

/* a whole request in the buffer: answer it; else read on */
static void next_request(struct worker *w, struct conn *c)
{
	int n;

	c->st = C_REQUEST;
	n = http_parse_request(c->io->req, c->req_len, &c->io->r);
	if (n != 0)
		c->in_head = false;
	if (n > 0) {
		memmove(c->io->req, c->io->req + n, c->req_len - (size_t)n);
		c->req_len -= (size_t)n;
		serve_request(w, c);
		return;
	}
	if (n < 0) {
		c->req_len = 0;
		respond_error(w, c, c->io->r.status);
		return;
	}
	/*
	 * RFC 8446 6.1: the peer's close_notify ends what it sends, not
	 * what it may receive: the requests before it were answered above.
	 */
	if (c->tls ? hs_peer_closed(c->tls) : c->kh_peer_closed) {
		end_conn(w, c, "close_notify");
		return;
	}
	/*
	 * The kernel's handshake left no keys here to rekey with (RFC 8446
	 * 5.5): past half the AEAD's limit, no further request is read.
	 */
	if (!c->tls && c->tx_records >= c->path.tx_limit / 2) {
		end_conn(w, c, "AEAD limit near, no key here to rekey with");
		return;
	}
	if (w->stopping && !c->req_len) {
		end_conn(w, c, "server stopping");
		return;
	}
	/* user space: what the engine answered (a KeyUpdate) goes first */
	if (!c->ktls_tx) {
		const uint8_t *p;
		size_t out = hs_output(c->tls, &p);

		if (out) {
			op_send(w, c, p, out, 0);
			return;
		}
	}
	/* the head's deadline runs from its first byte: never extended */
	if (!c->req_len)
		c->deadline = now_ms() + w->o->idle_ms;
	else if (!c->in_head)
		c->deadline = now_ms() + w->o->header_ms;
	c->in_head = c->req_len > 0;
	/*
	 * Nothing buffered: read on with the buffers a while (a keep-alive
	 * client's next request comes at once, one operation); the tick
	 * parks a connection that stays quiet (srv_conn_tick).
	 */
	c->quiet_since = !c->req_len && !c->raw_len ? now_ms() : 0;
	read_request(w, c);
}

/* quiet: wait for the next request without buffers (struct conn_io) */
static void park(struct worker *w, struct conn *c)
{
	c->quiet_since = 0;
	c->parks++;
	srv_io_put(w, c);
	if (c->tls && !hs_conn_shed(c->tls))
		w->freed++;
	op_poll(w, c);
}

/* a read for the request under way, into the connection's conn_io */
static void read_request(struct worker *w, struct conn *c)
{
	if (srv_io_get(w, c)) {
		end_conn(w, c, "out of memory");
		return;
	}
	if (c->ktls_rx)
		op_recvmsg(w, c);
	else
		op_recv(w, c, c->io->raw + c->raw_len, sizeof(c->io->raw) - c->raw_len);
}

/* user-space RX: records in, requests out */
static void fallback_input(struct worker *w, struct conn *c)
{
	int err = open_records(c);

	if (err == -EMSGSIZE) {
		memset(&c->io->r, 0, sizeof(c->io->r));	/* not the last request's */
		c->io->r.status = 431;
		respond_error(w, c, 431);
		return;
	}
	if (err) {
		end_conn(w, c, "record error");
		return;
	}
	next_request(w, c);
}

/* kTLS RX: a record of data, or a control record (doc/KERNEL-ABI.md §3.6) */
static void ktls_input(struct worker *w, struct conn *c, int res)
{
	struct cmsghdr *cm = CMSG_FIRSTHDR(&c->msg);
	uint8_t type = cm && cm->cmsg_level == SOL_TLS &&
		       cm->cmsg_type == TLS_GET_RECORD_TYPE ? *CMSG_DATA(cm) : 0;
	uint8_t *p = c->io->req + c->req_len, msg[5];
	int err;

	if (!type || type == HS_CT_APPLICATION_DATA) {
		if (!res) {
			end_conn(w, c, "peer closed");
			return;
		}
		if (c->tls)
			hs_app_data_received(c->tls);
		c->req_len += (size_t)res;
		if (c->req_len > c->req_hw)
			c->req_hw = c->req_len;
		next_request(w, c);
		return;
	}
	if (type == HS_CT_ALERT && !c->tls) {
		/* RFC 8446 6: close_notify ends what the peer sends; others end all */
		if (res == 2 && p[1] == HS_ALERT_CLOSE_NOTIFY) {
			c->kh_peer_closed = true;
			next_request(w, c);
		} else {
			end_conn(w, c, "alert");
		}
		return;
	}
	if (!c->tls) {
		/*
		 * A KeyUpdate (RFC 8446 4.6.3) needs the traffic secrets,
		 * which only handshaked held: the connection cannot go on.
		 */
		hsd_wipe(p, (size_t)res);
		end_conn(w, c, "post-handshake message, and no key here (the kernel's handshake)");
		return;
	}
	if (type == HS_CT_ALERT) {
		err = hs_handle_alert_public(c->tls, p, (size_t)res);
		if (err || !hs_peer_closed(c->tls))
			end_conn(w, c, "alert");
		else
			next_request(w, c);	/* requests before it, then the end */
		return;
	}
	err = type == HS_CT_HANDSHAKE ?
	      hs_post_handshake(c->tls, p, (size_t)res) : -EPROTO;
	hsd_wipe(p, (size_t)res);
	if (err == HS_POST_KEY_UPDATE) {
		/* RFC 8446 4.6.3: the next RX key; reads wait for it */
		err = hsd_ktls_install_rx(c->fd, c->tls);
		if (!err && hs_take_key_update(c->tls, msg)) {
			err = hsd_ktls_send_record(c->fd, HS_CT_HANDSHAKE, msg,
						   sizeof(msg), MSG_DONTWAIT);
			if (!err)
				err = hsd_ktls_install_tx(c->fd, c->tls, NULL);
			c->tx_records = 0;
		}
	}
	if (err < 0) {
		end_conn(w, c, "post-handshake message refused");
		return;
	}
	next_request(w, c);
}

/* ---- responses ---- */

/* TLS 1.3 over kTLS: a KeyUpdate before the AEAD limit (RFC 8446 5.5) */
static int ktls_account(struct conn *c, size_t n)
{
	uint8_t msg[5];
	int err;

	if (!c->tls) {
		/* the kernel's handshake: no key here to rekey with */
		c->tx_records += n / c->kh_record + 1;
		return c->tx_records < c->path.tx_limit ? 0 : -EKEYEXPIRED;
	}
	/* at most this many records: the peer's record_size_limit counts */
	c->tx_records += n / hs_tx_max_plaintext(c->tls) + 1;
	if (c->tx_records < c->path.tx_limit ||
	    hs_params(c->tls)->version != HS_TLS13)
		return 0;
	if (!hsd_path_can_rekey(&c->path))
		return -EOPNOTSUPP;
	err = hs_key_update(c->tls, false);
	if (!err && hs_take_key_update(c->tls, msg))
		err = hsd_ktls_send_record(c->fd, HS_CT_HANDSHAKE, msg,
					   sizeof(msg), MSG_DONTWAIT);
	if (!err)
		err = hsd_ktls_install_tx(c->fd, c->tls, NULL);
	c->tx_records = 0;
	return err;
}

static int take_buf(struct worker *w, struct conn *c)
{
	if (c->buf < 0 && w->n_free_bufs)
		c->buf = w->free_bufs[--w->n_free_bufs];
	return c->buf;
}

static void put_buf(struct worker *w, struct conn *c)
{
	if (c->buf >= 0)
		w->free_bufs[w->n_free_bufs++] = c->buf;
	c->buf = -1;
}

static void response_done(struct worker *w, struct conn *c)
{
	srv_file_put(w, c);
	put_buf(w, c);
	srv_pipe_put(w, c, true);
	if (!c->keep) {
		end_conn(w, c, "response with Connection: close");
		return;
	}
	next_request(w, c);
}

/* the response's file back to the cache, or closed */
void srv_file_put(struct worker *w, struct conn *c)
{
	if (c->file >= 0)
		hsd_file_cache_put(&w->files, c->file, c->file_slot);
	c->file = c->file_slot = -1;
}

void srv_pipe_put(struct worker *w, struct conn *c, bool spare)
{
	if (c->pipe[0] < 0)
		return;
	/*
	 * Only a response that ended well leaves it empty; what any other
	 * end left in it is nobody's to send: closed.
	 */
	if (spare && !c->piped && !c->linked && w->n_pipes < PIPE_CACHE) {
		w->pipes[w->n_pipes++] = (struct spare_pipe){
			.fd = { c->pipe[0], c->pipe[1] }, .size = c->pipe_size };
	} else {
		close(c->pipe[0]);
		close(c->pipe[1]);
	}
	c->pipe[0] = c->pipe[1] = -1;
	c->piped = c->piped_head = 0;
}

/* a pipe for the body, as large as the kernel lets us have */
static int open_pipe(struct worker *w, struct conn *c)
{
	int sz;

	if (c->pipe[0] >= 0)
		return 0;
	if (w->n_pipes) {
		w->n_pipes--;
		c->pipe[0] = w->pipes[w->n_pipes].fd[0];
		c->pipe[1] = w->pipes[w->n_pipes].fd[1];
		c->pipe_size = w->pipes[w->n_pipes].size;
		return 0;
	}
	if (pipe2(c->pipe, O_CLOEXEC))
		return -errno;
	/*
	 * The write end non-blocking: a file splice into a pipe with no free
	 * slot fails with -EAGAIN (a short splice, handled) instead of
	 * waiting in io-wq for room that never comes; the head's write
	 * never waits either. The read end blocks: the splice out never
	 * starts on a pipe we count as empty.
	 */
	fcntl(c->pipe[1], F_SETFL, O_NONBLOCK);
	/* a larger pipe: fewer round trips per file */
	sz = fcntl(c->pipe[1], F_SETPIPE_SZ, PIPE_SIZE);
	if (sz < 0)
		sz = fcntl(c->pipe[1], F_GETPIPE_SZ);
	c->pipe_size = sz > 0 ? (unsigned int)sz : (unsigned int)w->page;
	return 0;
}

/* the file's next @n bytes into the connection's buffer */
static void op_read(struct worker *w, struct conn *c, size_t n)
{
	struct io_uring_sqe *s = sqe(w);
	uint8_t *p = w->bufs + (size_t)c->buf * CHUNK;

	if (w->registered)
		io_uring_prep_read_fixed(s, c->file, p, (unsigned int)n, c->off,
					 c->buf);
	else
		io_uring_prep_read(s, c->file, p, (unsigned int)n, c->off);
	io_uring_sqe_set_data64(s, ud(w, c, OP_READ));
	c->busy = true;
	c->op = OP_READ;
}

/*
 * Is the head worth a SEND of its own? In the pipe it takes a page, and
 * a body that fits the pipe's pages exactly (1 MiB in a 1 MiB pipe) then
 * needs one more splice pair, one more io-wq wakeup, for its last page.
 */
static bool head_costs_a_chunk(const struct worker *w, const struct conn *c)
{
	uint64_t pipe = c->pipe_size;
	uint64_t odd = c->off % (uint64_t)w->page ? (uint64_t)w->page : 0;

	return (c->left + odd + (uint64_t)w->page + pipe - 1) / pipe >
	       (c->left + odd + pipe - 1) / pipe;
}

/* the file's next @n bytes into the pipe, completing as @op */
static struct io_uring_sqe *op_splice_in(struct worker *w, struct conn *c,
					 size_t n, enum op op)
{
	struct io_uring_sqe *s = sqe(w);

	io_uring_prep_splice(s, c->file, (int64_t)c->off, c->pipe[1], -1,
			     (unsigned int)n, 0);
	io_uring_sqe_set_data64(s, ud(w, c, op));
	return s;
}

/* the pipe into the socket; kTLS closes no record while @more */
static void op_splice_out(struct worker *w, struct conn *c, size_t n, bool more)
{
	struct io_uring_sqe *s = sqe(w);

	io_uring_prep_splice(s, c->pipe[0], -1, c->fd, -1, (unsigned int)n,
			     more ? SPLICE_F_MORE : 0);
	io_uring_sqe_set_data64(s, ud(w, c, OP_SPLICE_OUT));
	c->busy = true;
	c->op = OP_SPLICE_OUT;
}

/*
 * kTLS TX. A head without a body is SENT. Otherwise the head is written
 * into the (empty) pipe, and the file's next chunk is SPLICEd in behind it
 * by an operation linked to the SPLICE out: io_uring runs a splice only in
 * an io-wq worker, and the linked pair runs in one worker, one wakeup, and
 * the head and the body's start leave in one record. What a short splice
 * in or a short splice out leaves in the pipe goes out on its own first.
 */
static void respond_ktls(struct worker *w, struct conn *c)
{
	struct io_uring_sqe *s;
	long room;
	ssize_t r;
	size_t n;

	if (c->head_off < c->head_len && !c->left) {
		op_send(w, c, c->io->head + c->head_off, c->head_len - c->head_off, 0);
		return;
	}
	if (c->left && open_pipe(w, c)) {
		end_conn(w, c, "no pipe");
		return;
	}
	if (!c->piped && c->head_off < c->head_len) {
		if (head_costs_a_chunk(w, c)) {
			op_send(w, c, c->io->head + c->head_off,
				c->head_len - c->head_off, MSG_MORE);
			return;
		}
		/* an empty pipe of at least a page: never blocks */
		r = write(c->pipe[1], c->io->head + c->head_off,
			  c->head_len - c->head_off);
		if (r <= 0) {
			end_conn(w, c, "pipe write failed");
			return;
		}
		c->head_off += (size_t)r;
		c->piped = c->piped_head = (size_t)r;
	}
	/* the pipe holds more than a head: that goes first, on its own */
	if (c->piped && (c->piped != c->piped_head || c->head_off < c->head_len ||
			 !c->left)) {
		op_splice_out(w, c, c->piped, c->left || c->head_off < c->head_len);
		return;
	}
	if (!c->left) {
		response_done(w, c);
		return;
	}
	/*
	 * The chunk must fit the pipe's free slots (a page each; the head
	 * takes one, an unaligned offset one more): a file splice into a
	 * full pipe would wait for room that only the splice out behind it
	 * could make.
	 */
	room = (long)c->pipe_size - (c->piped ? w->page : 0) -
	       (c->off % (uint64_t)w->page ? w->page : 0);
	if (room < w->page && c->piped) {
		/* a pipe of a page or two (the user's pipe pages ran out) */
		op_splice_out(w, c, c->piped, true);
		return;
	}
	if (room < w->page)	/* to the page's end */
		room = w->page - (long)(c->off % (uint64_t)w->page);
	n = c->left < (uint64_t)room ? (size_t)c->left : (size_t)room;
	/* both in one submission: a link cut in two is no link */
	if (io_uring_sq_space_left(&w->ring) < 2)
		io_uring_submit(&w->ring);
	if (io_uring_sq_space_left(&w->ring) < 2) {
		/* still no room for two: the splice in alone */
		s = op_splice_in(w, c, n, OP_SPLICE_IN);
		c->busy = true;
		c->op = OP_SPLICE_IN;
		return;
	}
	s = op_splice_in(w, c, n, OP_SPLICE_LINK);
	/*
	 * A short or failed splice in posts its completion and ends the
	 * pair: the splice out behind it is cancelled without one (the
	 * kernel skips a failed link's CQEs after a CQE_SKIP_SUCCESS head).
	 */
	s->flags |= IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS;
	c->link_len = n;
	c->linked = true;	/* link_failed is false until its CQE says */
	op_splice_out(w, c, c->piped + n, c->left > n);
}

/* the next operation of a response */
static void respond_more(struct worker *w, struct conn *c)
{
	const uint8_t *p;
	size_t n;

	if (c->ktls_tx) {
		respond_ktls(w, c);
		return;
	}
	/*
	 * User space: sealed records out, then the next chunk. What is
	 * less than a chunk (the head, a short send's rest) waits for the
	 * next chunk's records: one SEND, one wakeup of the peer, not two.
	 */
	n = hs_output(c->tls, &p);
	if (n && (!c->left || n >= CHUNK)) {
		op_send(w, c, p, n, 0);
		return;
	}
	if (c->left) {
		if (take_buf(w, c) < 0 && n) {
			op_send(w, c, p, n, 0);	/* no chunk yet: what is sealed */
			return;
		}
		if (c->buf < 0) {
			/* every buffer busy: the tick retries */
			c->deadline = now_ms() + w->o->write_ms;
			return;
		}
		n = c->left < CHUNK ? (size_t)c->left : CHUNK;
		op_read(w, c, n);
		return;
	}
	response_done(w, c);
}

void srv_conn_start(struct worker *w, struct conn *c, int fd)
{
	int one = 1;

	c->fd = fd;
	c->start = now_ms();
	c->deadline = c->start + w->o->handshake_ms;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	hsd_peer_name(fd, c->peer, sizeof(c->peer));
	if (w->o->kernel_handshake) {
		kernel_submit(w, c);
		return;
	}
	/* a silent connection holds no engine and no buffers */
	op_poll(w, c);
}

/* the first bytes of a connection, or of its next request */
static void readable(struct worker *w, struct conn *c)
{
	if (c->st != C_HANDSHAKE) {
		read_request(w, c);
		return;
	}
	if (hs_conn_new(&w->tls, &c->tls) || srv_io_get(w, c)) {
		end_conn(w, c, "no engine");
		return;
	}
	handshake_step(w, c);
}

/*
 * A linked pair ended: with the splice out's completion when the splice
 * in moved all it was asked, or with the splice in's own when it fell
 * short or failed (the splice out then never ran). What the splice in
 * moved is in the pipe, counted here whatever becomes of the connection;
 * its error, if any, is returned.
 */
static int settle_link(struct conn *c)
{
	int got = c->link_failed ? c->link_res : (int)c->link_len;

	c->linked = c->link_failed = false;
	if (got <= 0)
		return got ? got : -ENODATA;	/* 0: the file shrank */
	c->piped += (size_t)got;
	c->off += (uint64_t)got;
	c->left -= (uint64_t)got;
	return 0;
}

void srv_conn_event(struct worker *w, struct conn *c, enum op op, int res)
{
	int link_err = 0;

	if (op == OP_SPLICE_LINK) {
		/* short or failed: the pair ends here, the splice out unrun */
		c->link_failed = true;
		c->link_res = res;
		op = OP_SPLICE_OUT;
		res = 0;
	}
	c->busy = false;
	if (op == OP_SPLICE_OUT && c->linked)
		link_err = settle_link(c);
	if (c->st == C_LINGER) {
		if (res > 0 && !c->shut)
			op_recv(w, c, w->sink, sizeof(w->sink));	/* dropped */
		else
			srv_conn_free(w, c, c->end_why);
		return;
	}
	if (c->shut) {
		end_conn(w, c, w->stopping ? "server stopping" : "deadline");
		return;
	}
	c->parking = false;
	if (link_err && link_err != -EAGAIN && link_err != -EINTR) {
		end_conn(w, c, "file read failed");
		return;
	}
	/* the tick's cancel of a quiet read: what was read, if any, stays */
	if (res == -ECANCELED && (op == OP_RECV || op == OP_RECVMSG) &&
	    c->st == C_REQUEST && !c->req_len && !c->raw_len) {
		park(w, c);
		return;
	}
	if (res < 0 && res != -EAGAIN && res != -EINTR) {
		c->reset = true;
		end_conn(w, c, res == -ECONNRESET ? "reset" : "socket error");
		return;
	}
	switch (op) {
	case OP_RECV:
		if (res == 0) {
			end_conn(w, c, "peer closed");
			return;
		}
		if (res < 0)
			res = 0;
		if (c->st == C_HANDSHAKE) {
			c->raw_len += (size_t)res;
			handshake_input(w, c);
		} else if (c->st == C_DRAIN) {
			c->raw_len += (size_t)res;
			drain(w, c);
		} else {
			c->raw_len += (size_t)res;
			fallback_input(w, c);
		}
		return;
	case OP_POLL:
		readable(w, c);
		return;
	case OP_RECVMSG:
		if (res < 0)
			next_request(w, c);	/* -EAGAIN: read again */
		else
			ktls_input(w, c, res);
		return;
	case OP_SEND:
		if (res < 0)
			res = 0;
		if (c->st == C_HANDSHAKE) {
			hs_output_consumed(c->tls, (size_t)res);
			handshake_step(w, c);
		} else if (c->st == C_DRAIN) {
			hs_output_consumed(c->tls, (size_t)res);
			drain(w, c);
		} else if (c->ktls_tx) {
			c->head_off += (size_t)res;
			c->deadline = now_ms() + w->o->write_ms;
			if (res && ktls_account(c, (size_t)res)) {
				end_conn(w, c, "rekey needed and refused");
				return;
			}
			respond_more(w, c);
		} else {
			hs_output_consumed(c->tls, (size_t)res);
			/* a head half read keeps its deadline (no slowloris) */
			if (c->st == C_REQUEST) {
				next_request(w, c);
				return;
			}
			c->deadline = now_ms() + w->o->write_ms;
			respond_more(w, c);
		}
		return;
	case OP_SPLICE_IN:
		if (res == -EAGAIN || res == -EINTR) {
			respond_more(w, c);
			return;
		}
		if (res <= 0) {
			end_conn(w, c, "file read failed");
			return;
		}
		c->piped += (size_t)res;
		c->off += (uint64_t)res;
		c->left -= (uint64_t)res;
		respond_more(w, c);
		return;
	case OP_POLL_OUT:
		respond_more(w, c);	/* room again: the splice resumes */
		return;
	case OP_SPLICE_OUT:
		/*
		 * The socket is non-blocking: a full send buffer (a slow
		 * peer) ends the splice with -EAGAIN instead of holding an
		 * io-wq worker; it resumes when POLLOUT says there is room.
		 */
		if (res == -EAGAIN) {
			op_poll_for(w, c, OP_POLL_OUT);
			return;
		}
		if (res > 0) {
			size_t h = (size_t)res < c->piped_head ? (size_t)res : c->piped_head;

			c->piped -= (size_t)res;
			c->piped_head -= h;
			c->bytes += (uint64_t)res - h;
			c->deadline = now_ms() + w->o->write_ms;
			if (ktls_account(c, (size_t)res)) {
				end_conn(w, c, "rekey needed and refused");
				return;
			}
		}
		respond_more(w, c);
		return;
	case OP_READ:
		if (res == -EAGAIN || res == -EINTR) {
			respond_more(w, c);	/* again, with the same buffer */
			return;
		}
		if (res <= 0) {
			end_conn(w, c, "file read failed");
			return;
		}
		if (hs_app_write(c->tls, w->bufs + (size_t)c->buf * CHUNK,
				 (size_t)res)) {
			end_conn(w, c, "sealing failed");
			return;
		}
		put_buf(w, c);
		c->off += (uint64_t)res;
		c->left -= (uint64_t)res;
		c->bytes += (uint64_t)res;
		respond_more(w, c);
		return;
	default:
		return;
	}
}

/*
 * Deadlines: a connection past its own is shut down, which ends the
 * operation in flight; a header deadline with part of a head read gets a
 * 408 first, best effort. A stalled peer costs nothing meanwhile.
 */
void srv_conn_tick(struct worker *w, struct conn *c, uint64_t now,
		   bool grace_over)
{
	if (c->st == C_FREE || c->shut)
		return;
	if (c->st == C_RESPOND && !c->busy && c->buf < 0 && c->left &&
	    !c->ktls_tx) {
		respond_more(w, c);	/* waited for a buffer */
		return;
	}
	/* a read with buffers and nothing in them for a tick: park it */
	if (c->st == C_REQUEST && c->busy && !c->parking && c->quiet_since &&
	    (c->op == OP_RECV || c->op == OP_RECVMSG) && !c->req_len &&
	    !c->raw_len && now - c->quiet_since >= TICK_MS) {
		struct io_uring_sqe *s = sqe(w);

		io_uring_prep_cancel64(s, ud(w, c, c->op), 0);
		io_uring_sqe_set_data64(s, UD(OP_CANCEL, 0, 0));
		c->parking = true;
	}
	if (now < c->deadline && !grace_over &&
	    !(w->stopping && c->st == C_REQUEST && !c->req_len))
		return;
	if (c->st == C_REQUEST && c->req_len && !grace_over)
		srv_say_408(c);
	if (c->st == C_LINGER && !c->busy) {
		srv_conn_free(w, c, c->end_why);
		return;
	}
	c->shut = true;
	if (c->busy)
		shutdown(c->fd, SHUT_RDWR);
	else
		end_conn(w, c, "deadline");
}
