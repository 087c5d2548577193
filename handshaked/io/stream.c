// SPDX-License-Identifier: GPL-2.0
/*
 * The blocking stream API: a socket after its handshake, records through
 * kTLS or our record layer (doc/KERNEL-ABI.md §3.7, §4) as io/path.c
 * decided before any key was set; alerts, close_notify, tickets and
 * KeyUpdate handled alike in both.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "handshaked/io/stream.h"
#include "handshaked/io/output.h"
#include "handshaked/kernel/kabi.h"
#include "handshaked/kernel/ktls.h"

#define REC_MAX (5 + 16384 + 2048)

struct hsd_stream {
	int fd;
	struct hs_conn *tls;
	bool ktls_tx, ktls_rx;
	/* records the kernel sealed under the current TX key (upper bound) */
	uint64_t tx_records;
	struct hsd_path path;	/* kTLS or user space, why, rekey */
	bool eof;
	bool closed_tx;		/* our close_notify went out */
	bool reset;		/* the peer reset the connection */
	int err;		/* met while opening buffered records */
	/* fallback RX: raw bytes not yet opened; opened data not yet read */
	uint8_t *raw;
	size_t raw_len;
	uint8_t *app;
	size_t app_off, app_len;
	uint8_t *file;		/* fallback sendfile: file data to seal */
};

/* queued engine output: to the wire (user-space TX), or dropped (kTLS TX) */
static int flush(struct hsd_stream *c)
{
	const uint8_t *p;
	int err;

	if (c->ktls_tx) {
		hs_output_consumed(c->tls, hs_output(c->tls, &p));
		return 0;
	}
	err = hsd_send_output(c->tls, c->fd, 0);
	return err < 0 ? err : 0;
}

/*
 * RFC 8446 6.2: the fatal alert the engine raised goes out once, and
 * nothing after it, no close_notify either; one received gets no answer.
 * With TX in the kernel the engine's sealed copy is dropped (its TX state
 * is stale) and the kernel sends the alert.
 */
static void fatal_out(struct hsd_stream *c)
{
	uint8_t a[2] = { 2, 0 };
	bool received = true;

	if (c->closed_tx || !hs_error(c->tls, &a[1], &received, NULL))
		return;
	c->closed_tx = true;
	flush(c);
	if (c->ktls_tx && !received && !c->reset)
		hsd_ktls_send_record(c->fd, HS_CT_ALERT, a, sizeof(a), 0);
}

/* RFC 8446 4.6.3 with TX in the kernel: the message, then the next key */
static int ktls_key_update(struct hsd_stream *c)
{
	uint8_t msg[5];
	int err;

	if (!c->ktls_tx || !hs_take_key_update(c->tls, msg))
		return 0;
	err = hsd_ktls_send_record(c->fd, HS_CT_HANDSHAKE, msg, sizeof(msg), 0);
	if (!err)
		err = hsd_ktls_install_tx(c->fd, c->tls, NULL);
	if (err)
		snprintf(c->path.why, sizeof(c->path.why),
			 "kTLS TX rekey failed (%s): connection closed",
			 strerror(-err));
	else
		c->tx_records = 0;
	return err;
}

int hsd_stream_key_update(struct hsd_stream *c, bool request)
{
	int err;

	/* RFC 8446 6.1: nothing goes out after our close_notify */
	if (c->closed_tx)
		return -EPIPE;
	/* nothing goes out that the kernel could not follow with a new key */
	if (c->ktls_tx && !hsd_path_can_rekey(&c->path)) {
		snprintf(c->path.why, sizeof(c->path.why),
			 "KeyUpdate needed: this kernel's kTLS cannot rekey; closing");
		return -EOPNOTSUPP;
	}
	err = hs_key_update(c->tls, request);
	if (!err)
		err = c->ktls_tx ? ktls_key_update(c) : flush(c);
	return err;
}

/* count what the kernel will seal; rekey first when a key is used up */
static int ktls_account(struct hsd_stream *c, size_t n)
{
	/* records are at most the peer's bound: count the worst case */
	c->tx_records += n / hs_tx_max_plaintext(c->tls) + 1;
	if (c->tx_records < c->path.tx_limit ||
	    hs_params(c->tls)->version != HS_TLS13)
		return 0;
	return hsd_stream_key_update(c, false);
}

/*
 * Records that arrived with or after the peer's Finished were read before
 * the kernel could see them: open them here (completing a partial one from
 * the socket) so the kernel's RX starts at a record boundary with the
 * right sequence number. Their data is kept for hsd_stream_recv().
 */
static int drain_pending(struct hsd_stream *c)
{
	uint8_t out[16384 + 256];
	size_t used, got, need;
	ssize_t r;
	int err;

	for (;;) {
		if (c->raw_len) {
			err = hs_app_read(c->tls, c->raw, c->raw_len, &used,
					  out, sizeof(out), &got);
			if (err)
				return err;
			memmove(c->raw, c->raw + used, c->raw_len - used);
			c->raw_len -= used;
			memcpy(c->app + c->app_len, out, got);
			c->app_len += got;
			continue;
		}
		/* a record the engine holds in part: read exactly its rest */
		need = hs_rx_partial_need(c->tls);
		if (!need)
			return 0;
		r = recv(c->fd, c->raw, need, MSG_WAITALL);
		if (r <= 0)
			return r ? -errno : -ECONNRESET;
		c->raw_len = (size_t)r;
	}
}

/* opt-in TLS_RX_EXPECT_NO_PAD (6.0+); the kernel may say no */
static void rx_no_pad(struct hsd_stream *c)
{
	unsigned int on = 1;
	size_t n = strlen(c->path.why);

	if (setsockopt(c->fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &on, sizeof(on)))
		snprintf(c->path.why + n, sizeof(c->path.why) - n,
			 ", RX_EXPECT_NO_PAD refused (%s)", strerror(errno));
	else
		snprintf(c->path.why + n, sizeof(c->path.why) - n, ", RX expects no padding");
}

int hsd_stream_new(int fd, struct hs_conn *tls, const uint8_t *pending,
		   size_t n, const struct hsd_path_opts *o,
		   struct hsd_stream **out)
{
	struct hsd_stream *c = calloc(1, sizeof(*c));
	uint64_t seq;
	int err;

	if (!c)
		return -ENOMEM;
	c->fd = fd;
	c->tls = tls;
	/* whatever was read past the handshake, however many records */
	c->raw = malloc(n > REC_MAX ? n : REC_MAX);
	c->app = malloc(REC_MAX + n);
	if (!c->raw || !c->app) {
		free(c->raw);
		free(c->app);
		free(c);
		return -ENOMEM;
	}
	memcpy(c->raw, pending, n);
	c->raw_len = n;
	*out = c;
	if (!hsd_path_decide(fd, tls, o, &c->path))
		return 0;
	/*
	 * What came with the peer's Finished first, with TX still ours: a
	 * KeyUpdate request among it is answered from user space under the
	 * current key (RFC 8446 4.6.3), and the kernel gets the key after it,
	 * also on kernels that cannot rekey. A failure (a fatal alert, a bad
	 * record) stays the engine's sticky error for hsd_stream_recv().
	 */
	err = drain_pending(c);
	if (!err)
		err = flush(c);
	if (err) {
		snprintf(c->path.why, sizeof(c->path.why),
			 "user space: records with the Finished failed (%s)",
			 strerror(-err));
		c->path.ktls = false;
		return 0;
	}
	/* TX next: nothing of ours is in flight */
	err = hsd_ktls_install_tx(fd, tls, &seq);
	if (err) {
		snprintf(c->path.why, sizeof(c->path.why),
			 "user space: kTLS refused %s for TLS 1.%c (%s)",
			 hsd_aead_desc(hs_params(tls)->suite->aead)->name,
			 hs_params(tls)->version == HS_TLS13 ? '3' : '2',
			 strerror(-err));
		c->path.ktls = false;
		return 0;
	}
	c->ktls_tx = true;
	c->tx_records = seq;
	hs_tx_offloaded(tls, seq);
	err = hsd_ktls_install_rx(fd, tls);
	if (err) {
		/* RX stays in user space; TX is already the kernel's */
		snprintf(c->path.why, sizeof(c->path.why),
			 "kTLS TX, user-space RX (%s)", strerror(-err));
		return 0;
	}
	c->ktls_rx = true;
	snprintf(c->path.why, sizeof(c->path.why), "kTLS (TX and RX)");
	if (o && o->rx_no_pad && hs_params(tls)->version == HS_TLS13)
		rx_no_pad(c);
	return 0;
}

/*
 * Open the next record(s) of c->raw into c->app (user-space RX), then do
 * what they asked: a KeyUpdate answered, a fatal alert sent. *used: raw
 * bytes taken. 0 or -errno.
 */
static int open_raw(struct hsd_stream *c, size_t *used)
{
	size_t got;
	int err;

	err = hs_app_read(c->tls, c->raw, c->raw_len, used, c->app, REC_MAX,
			  &got);
	memmove(c->raw, c->raw + *used, c->raw_len - *used);
	c->raw_len -= *used;
	c->app_len = got;
	c->app_off = 0;
	if (err)
		fatal_out(c);
	if (!err)
		err = ktls_key_update(c);
	if (!err)
		err = flush(c);
	return err;
}

bool hsd_stream_ktls(const struct hsd_stream *c, bool tx)
{
	return tx ? c->ktls_tx : c->ktls_rx;
}

const char *hsd_stream_why(const struct hsd_stream *c)
{
	return c->path.why;
}

bool hsd_stream_buffered(struct hsd_stream *c)
{
	size_t used;

	/*
	 * Whole records already read are opened now: a control record (a
	 * ticket that came with the server's flight, a KeyUpdate) is handled
	 * here, so "buffered" means data, the end or an error, and a caller
	 * never blocks in hsd_stream_recv() on bytes that held no data.
	 */
	while (!c->ktls_rx && c->raw_len && c->app_len == c->app_off &&
	       !c->err) {
		c->err = open_raw(c, &used);
		if (!used)
			break;
	}
	return c->app_len > c->app_off || c->err || c->eof ||
	       hs_peer_closed(c->tls);
}

struct hs_conn *hsd_stream_tls(struct hsd_stream *c)
{
	return c->tls;
}

ssize_t hsd_stream_send(struct hsd_stream *c, const void *p, size_t n)
{
	ssize_t w;
	int err;

	if (!c->ktls_tx) {
		const uint8_t *b = p;
		size_t done = 0, k;

		/* bounded slices: the engine's output never has to grow */
		while (done < n) {
			k = n - done < HS_APP_WRITE_MAX ? n - done : HS_APP_WRITE_MAX;
			err = hs_app_write(c->tls, b + done, k);
			if (!err)
				err = flush(c);
			if (err)
				return done ? (ssize_t)done : err;
			done += k;
		}
		return (ssize_t)n;
	}
	err = ktls_account(c, n);
	if (err)
		return err;
	do {
		w = send(c->fd, p, n, MSG_NOSIGNAL);
	} while (w < 0 && errno == EINTR);
	return w < 0 ? -errno : w;
}

ssize_t hsd_stream_sendfile(struct hsd_stream *c, int in_fd, off_t *off,
			  size_t n)
{
	ssize_t r, w;

	/* the kernel seals what sendfile(2) moves */
	if (c->ktls_tx) {
		r = ktls_account(c, n);
		if (r)
			return r;
		r = sendfile(c->fd, in_fd, off, n);
		return r < 0 ? -errno : r;
	}
	/* one slice per call: 8 full records per read and write */
	if (!c->file) {
		c->file = malloc(HS_APP_WRITE_MAX);
		if (!c->file)
			return -ENOMEM;
	}
	r = pread(in_fd, c->file, n < HS_APP_WRITE_MAX ? n : HS_APP_WRITE_MAX,
		  *off);
	if (r <= 0)
		return r < 0 ? -errno : 0;
	w = hsd_stream_send(c, c->file, (size_t)r);
	if (w > 0)
		*off += w;
	return w;
}

/* a control record from kTLS RX (RFC 8446 5.1 content types) */
static int ktls_control(struct hsd_stream *c, uint8_t type, const uint8_t *p,
			size_t n)
{
	int err;

	if (type == HS_CT_ALERT) {
		err = hs_handle_alert_public(c->tls, p, n);
		if (hs_peer_closed(c->tls))
			c->eof = true;
		return err;
	}
	if (type != HS_CT_HANDSHAKE)
		return -EPROTO;
	err = hs_post_handshake(c->tls, p, n);
	if (err < 0)
		return err;
	/* not a KeyUpdate: a KeyUpdate of ours may still be due */
	if (err != HS_POST_KEY_UPDATE)
		return ktls_key_update(c);
	/*
	 * The peer's KeyUpdate: reads pause (EKEYEXPIRED, 6.14+) until the
	 * next RX key is in. A kernel that cannot rekey (EBUSY) ends the
	 * connection here, before we answer: our close_notify still goes out
	 * under the key the peer reads with.
	 */
	err = hsd_ktls_install_rx(c->fd, c->tls);
	if (err) {
		uint8_t drop[5];

		hs_take_key_update(c->tls, drop);
		snprintf(c->path.why, sizeof(c->path.why),
			 "peer KeyUpdate: this kernel's kTLS cannot rekey (%s); closing",
			 strerror(-err));
		return -ECONNABORTED;
	}
	return ktls_key_update(c);
}

static ssize_t ktls_recv(struct hsd_stream *c, void *p, size_t n)
{
	char cbuf[CMSG_SPACE(sizeof(uint8_t))];
	struct iovec iov = { .iov_base = p, .iov_len = n };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	uint8_t type;
	ssize_t r;
	int err;

	for (;;) {
		m.msg_control = cbuf;
		m.msg_controllen = sizeof(cbuf);
		r = recvmsg(c->fd, &m, 0);
		if (r < 0 && errno == EINTR)
			continue;
		c->reset = r < 0 && errno == ECONNRESET;
		if (r < 0)
			return -errno;
		/* a record of length 0 (an empty alert) has its type too */
		cm = CMSG_FIRSTHDR(&m);
		type = cm && cm->cmsg_level == SOL_TLS &&
		       cm->cmsg_type == TLS_GET_RECORD_TYPE ? *CMSG_DATA(cm) : 0;
		if (r == 0 && !type)
			return c->eof ? 0 : -ECONNRESET;
		if (!type || type == HS_CT_APPLICATION_DATA) {
			hs_app_data_received(c->tls);
			return r;
		}
		err = ktls_control(c, type, p, (size_t)r);
		if (err) {
			fatal_out(c);
			return err;
		}
		if (c->eof)
			return 0;
	}
}

ssize_t hsd_stream_recv(struct hsd_stream *c, void *p, size_t n)
{
	size_t used, take;
	ssize_t r;
	int err;

	for (;;) {
		if (c->app_len > c->app_off) {
			take = c->app_len - c->app_off < n ? c->app_len - c->app_off : n;
			memcpy(p, c->app + c->app_off, take);
			c->app_off += take;
			if (c->app_off == c->app_len)
				c->app_off = c->app_len = 0;
			return (ssize_t)take;
		}
		if (c->err)
			return c->err;
		if (c->eof || hs_peer_closed(c->tls))
			return 0;
		if (c->ktls_rx)
			return ktls_recv(c, p, n);
		if (!c->raw_len) {
			r = recv(c->fd, c->raw, REC_MAX, 0);
			if (r < 0 && errno == EINTR)
				continue;
			c->reset = r < 0 && errno == ECONNRESET;
			if (r <= 0)
				return r ? -errno : -ECONNRESET;
			c->raw_len = (size_t)r;
		}
		err = open_raw(c, &used);
		if (err)
			return err;
	}
}

int hsd_stream_shutdown(struct hsd_stream *c)
{
	static const uint8_t close_notify[2] = { 1, 0 };
	int err;

	/* RFC 8446 6.1: a reset connection has no one left to notify */
	if (c->closed_tx || c->reset)
		return 0;
	/* RFC 8446 6.2: after a fatal alert, that alert and nothing else */
	if (hs_error(c->tls, NULL, NULL, NULL)) {
		fatal_out(c);
		return 0;
	}
	c->closed_tx = true;
	if (c->ktls_tx)
		return hsd_ktls_send_record(c->fd, HS_CT_ALERT, close_notify, 2, 0);
	err = hs_send_alert(c->tls, HS_ALERT_CLOSE_NOTIFY);
	return err ? err : flush(c);
}

int hsd_stream_close(struct hsd_stream *c)
{
	int err;

	if (!c)
		return 0;
	err = hsd_stream_shutdown(c);
	close(c->fd);
	hs_conn_free(c->tls);
	explicit_bzero(c->app, c->app_len);
	free(c->app);
	free(c->raw);
	free(c->file);
	free(c);
	return err;
}
