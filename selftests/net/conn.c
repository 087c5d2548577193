// SPDX-License-Identifier: GPL-2.0
/*
 * hsd_stream: kTLS when the kernel has it (the test VMs), our record layer
 * when not (a host without kTLS) — the same behaviour either way.
 * The peer is the engine in user space on the other end of a loopback TCP
 * pair. Variant 12: TLS 1.2; 13: TLS 1.3 with tickets; *_small_records:
 * the server sends record_size_limit 512 (RFC 8449); 13_budget: a byte
 * budget beyond one key's AEAD limit; 13_no_pad: TLS_RX_EXPECT_NO_PAD.
 * Fixture conn runs every variant; conn13 the TLS 1.3 ones (tickets,
 * KeyUpdate), conn_small_records the record_size_limit ones, conn_ku_asked
 * the server that asks for a KeyUpdate at the hand-over: a case is only
 * generated where it applies, never skipped for the variant.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "handshaked/io/stream.h"
#include "handshaked/kernel/kabi.h"
#include "handshaked/kernel/probe.h"
#include "handshaked/tls/internal.h"
#include "selftests/engine/common.h"

static uint64_t now_ms(void *arg)
{
	return 1700000000000ULL;
}

struct conn_fx {
	struct hsd_crypto *cr;
	struct cred server;
	struct hs_ticket_keys *tk;
	struct hs_conn *cl, *sv;
	int fd[2];
	struct hsd_stream *conn;	/* wraps the client */
	uint8_t raw[70000];
	size_t raw_len;
};

struct conn_variant {
	uint16_t version;
	uint16_t record_size_limit;	/* the server's, 0: none */
	uint64_t byte_budget;
	bool no_pad;
	/* the server asks for a KeyUpdate before the client's hand-over */
	bool ku_request;
};

#define V_12 { .version = HS_TLS12 }
#define V_13 { .version = HS_TLS13 }
#define V_12_SMALL { .version = HS_TLS12, .record_size_limit = 512 }
#define V_13_SMALL { .version = HS_TLS13, .record_size_limit = 512 }
/* 2^45 bytes: past AES-128-GCM's 2^24.5 records of 2^14 (RFC 8446 5.5) */
#define V_13_BUDGET { .version = HS_TLS13, .byte_budget = 1ULL << 45 }
#define V_13_NO_PAD { .version = HS_TLS13, .no_pad = true }
#define V_13_KU { .version = HS_TLS13, .ku_request = true }

static int flush(struct hs_conn *c, int fd)
{
	const uint8_t *p;
	size_t n;

	while ((n = hs_output(c, &p))) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return -errno;
		hs_output_consumed(c, (size_t)w);
	}
	return 0;
}

/* the user-space peer (server) reads application data */
static size_t peer_read(struct conn_fx *self, uint8_t *out, size_t want)
{
	uint8_t buf[17000];
	size_t total = 0, used, got;
	ssize_t r;

	while (total < want) {
		if (!self->raw_len) {
			r = recv(self->fd[1], self->raw, sizeof(self->raw), 0);
			if (r <= 0)
				break;
			self->raw_len = (size_t)r;
		}
		if (hs_app_read(self->sv, self->raw, self->raw_len, &used, buf,
				sizeof(buf), &got))
			break;
		memmove(self->raw, self->raw + used, self->raw_len - used);
		self->raw_len -= used;
		memcpy(out + total, buf, got);
		total += got;
		flush(self->sv, self->fd[1]);
		if (hs_peer_closed(self->sv))
			break;
	}
	return total;
}

static void handshake_then_hand_over(struct __test_metadata *_metadata,
		       struct conn_fx *self, const struct conn_variant *variant)
{
	static const char early[] = "sent with the Finished";
	struct hs_config cc = { 0 }, sc = { 0 };
	struct hsd_path_opts o = {
		.byte_budget = variant->byte_budget,
		.rx_no_pad = variant->no_pad,
		.kernel_rekey = -1,
	};
	uint8_t buf[20000], got[64];
	size_t used, pending = 0, n;
	ssize_t r;
	int i;

	ASSERT_EQ(0, hsd_crypto_new(&self->cr));
	ASSERT_EQ(0, cred_load(self->cr, "server-ec", &self->server));
	ASSERT_EQ(0, hs_ticket_keys_new(self->cr, 3600, 600, now_ms, NULL, &self->tk));
	ASSERT_EQ(0, hsd_tcp_loopback_pair(self->fd));
	cc.crypto = sc.crypto = self->cr;
	cc.role = HS_CLIENT;
	cc.no_verify_peer = true;
	sc.role = HS_SERVER;
	cc.min_version = cc.max_version = variant->version;
	cc.now = sc.now = now_ms;
	sc.chain = &self->server.chain;
	sc.key = self->server.key;
	sc.ticket_keys = self->tk;
	/* RFC 8449 4: the server's limit only answers the client's */
	sc.record_size_limit = variant->record_size_limit;
	cc.record_size_limit = variant->record_size_limit ? 16384 : 0;
	ASSERT_EQ(0, hs_conn_new(&cc, &self->cl));
	ASSERT_EQ(0, hs_conn_new(&sc, &self->sv));
	ASSERT_EQ(0, hs_start(self->cl));
	self->raw_len = 0;
	/* driven by poll: each side reads what arrived; a stall is a failure */
	while (!hs_is_done(self->cl)) {
		struct pollfd p[2] = { { .fd = self->fd[1], .events = POLLIN },
				       { .fd = self->fd[0], .events = POLLIN } };

		ASSERT_EQ(0, flush(self->cl, self->fd[0]));
		ASSERT_LT(0, poll(p, 2, 10000)) TH_LOG("the handshake stalled");
		/* server side: user space all along */
		r = p[0].revents ? recv(self->fd[1], buf, sizeof(buf), 0) : 0;
		if (p[0].revents) {
			ASSERT_LT(0, r);
			ASSERT_EQ(0, hs_input(self->sv, buf, (size_t)r, &used));
			ASSERT_EQ((size_t)r, used);
			/*
			 * TLS 1.2: the server finishes last; its data leaves
			 * with its Finished, in the same flush.
			 */
			if (hs_is_done(self->sv))
				ASSERT_EQ(0, hs_app_write(self->sv,
					(const uint8_t *)early, sizeof(early)));
			ASSERT_EQ(0, flush(self->sv, self->fd[1]));
		}
		if (p[1].revents) {
			r = recv(self->fd[0], buf + pending, sizeof(buf) - pending, 0);
			ASSERT_LT(0, r);
			n = pending + (size_t)r;
			ASSERT_EQ(0, hs_input(self->cl, buf, n, &used));
			pending = n - used;
			memmove(buf, buf + used, pending);
		}
	}
	ASSERT_TRUE(hs_is_done(self->cl));
	ASSERT_EQ(0, flush(self->cl, self->fd[0]));
	/* the server takes the client's Finished (1.3) and sends a ticket */
	if (variant->version == HS_TLS13) {
		for (i = 0; i < 100 && !hs_is_done(self->sv); i++) {
			r = recv(self->fd[1], self->raw, sizeof(self->raw), 0);
			ASSERT_LT(0, r);
			ASSERT_EQ(0, hs_input(self->sv, self->raw, (size_t)r, &used));
		}
		if (variant->ku_request)
			ASSERT_EQ(0, hs_key_update(self->sv, true));
		ASSERT_EQ(0, hs_app_write(self->sv, (const uint8_t *)early,
					  sizeof(early)));
		ASSERT_EQ(0, flush(self->sv, self->fd[1]));
		/* read by the client before the hand-over, as with a Finished */
		if (variant->ku_request) {
			r = recv(self->fd[0], buf + pending, sizeof(buf) - pending, 0);
			ASSERT_LT(0, r);
			pending += (size_t)r;
		}
	}
	ASSERT_EQ(0, hsd_stream_new(self->fd[0], self->cl, buf, pending, &o,
				  &self->conn));
	TH_LOG("%s, %zu bytes pending at the hand-over",
	       hsd_stream_why(self->conn), pending);
	/* in 1.2 the early data came with the Finished: it must not be lost */
	ASSERT_EQ((ssize_t)sizeof(early), hsd_stream_recv(self->conn, got, sizeof(got)));
	EXPECT_STREQ(early, (char *)got);
}

static void close_both(struct conn_fx *self)
{
	hsd_stream_close(self->conn);	/* closes fd[0], frees cl */
	hs_conn_free(self->sv);
	close(self->fd[1]);
	cred_free(&self->server);
	hs_ticket_keys_free(self->tk);
	hsd_crypto_free(self->cr);
}

/* one fixture per set of variants a case applies to, same set-up */
#define CONN_FIXTURE(f)							\
	FIXTURE(f) { struct conn_fx x; };				\
	FIXTURE_VARIANT(f) { struct conn_variant v; };			\
	FIXTURE_SETUP(f) { handshake_then_hand_over(_metadata, &self->x, &variant->v); } \
	FIXTURE_TEARDOWN(f) { close_both(&self->x); }

CONN_FIXTURE(conn);
FIXTURE_VARIANT_ADD(conn, 12) { .v = V_12 };
FIXTURE_VARIANT_ADD(conn, 13) { .v = V_13 };
FIXTURE_VARIANT_ADD(conn, 12_small_records) { .v = V_12_SMALL };
FIXTURE_VARIANT_ADD(conn, 13_small_records) { .v = V_13_SMALL };
FIXTURE_VARIANT_ADD(conn, 13_budget) { .v = V_13_BUDGET };
FIXTURE_VARIANT_ADD(conn, 13_no_pad) { .v = V_13_NO_PAD };
FIXTURE_VARIANT_ADD(conn, 13_key_update_at_hand_over) { .v = V_13_KU };

/* TLS 1.3 only: tickets after the handshake, KeyUpdate */
CONN_FIXTURE(conn13);
FIXTURE_VARIANT_ADD(conn13, 13) { .v = V_13 };
FIXTURE_VARIANT_ADD(conn13, 13_small_records) { .v = V_13_SMALL };
FIXTURE_VARIANT_ADD(conn13, 13_budget) { .v = V_13_BUDGET };
FIXTURE_VARIANT_ADD(conn13, 13_no_pad) { .v = V_13_NO_PAD };
FIXTURE_VARIANT_ADD(conn13, 13_key_update_at_hand_over) { .v = V_13_KU };

/* the server sent record_size_limit */
CONN_FIXTURE(conn_small_records);
FIXTURE_VARIANT_ADD(conn_small_records, 12) { .v = V_12_SMALL };
FIXTURE_VARIANT_ADD(conn_small_records, 13) { .v = V_13_SMALL };

/* the server asked for a KeyUpdate before the client's hand-over */
CONN_FIXTURE(conn_ku_asked);
FIXTURE_VARIANT_ADD(conn_ku_asked, 13) { .v = V_13_KU };

TEST_F(conn, kernel_or_fallback_as_the_kernel_allows)
{
	struct conn_fx *t = &self->x;
	const struct conn_variant *v = &variant->v;
	const char *why = hsd_stream_why(t->conn);
	bool kernel = getenv("HSD_VM_KERNEL") != NULL;

	if (!kernel) {
		EXPECT_FALSE(hsd_stream_ktls(t->conn, true));
		EXPECT_FALSE(hsd_stream_ktls(t->conn, false));
		if (hsd_probe_ulp_tls())
			EXPECT_NE(NULL, strstr(why, "no kTLS"));
		return;
	}
	/* a peer's small records need the kernel's TX bound (6.19+) */
	if (v->record_size_limit &&
	    hsd_probe_ktls_option(TLS_TX_MAX_PAYLOAD_LEN, false, 2)) {
		EXPECT_FALSE(hsd_stream_ktls(t->conn, true));
		EXPECT_NE(NULL, strstr(why, "TLS_TX_MAX_PAYLOAD_LEN"));
		return;
	}
	/* a budget past one key needs a kernel that rekeys (6.14+) */
	if (v->byte_budget && hsd_probe_ktls_rekey()) {
		EXPECT_FALSE(hsd_stream_ktls(t->conn, true));
		EXPECT_NE(NULL, strstr(why, "rekey is needed"));
		return;
	}
	EXPECT_TRUE(hsd_stream_ktls(t->conn, true));
	EXPECT_TRUE(hsd_stream_ktls(t->conn, false));
	if (v->no_pad)
		EXPECT_NE(NULL, strstr(why, "RX expects no padding"));
}

/* RFC 8449 4: nothing we send is larger than the peer said it takes */
TEST_F(conn_small_records, records_fit_the_peers_limit)
{
	struct conn_fx *t = &self->x;
	const struct conn_variant *v = &variant->v;
	static uint8_t data[5000], got[5000];
	uint8_t raw[8192];
	size_t have = 0, off = 0, records = 0, len;
	ssize_t r;

	memset(data, 'r', sizeof(data));
	ASSERT_EQ((ssize_t)sizeof(data), hsd_stream_send(t->conn, data, sizeof(data)));
	/* the wire, before the peer opens it: every record's length */
	for (;;) {
		while (off + 5 <= have) {
			len = (size_t)raw[off + 3] << 8 | raw[off + 4];
			/* ciphertext: plaintext, content type, tag, nonce */
			ASSERT_GE(v->record_size_limit + 24u, len);
			if (off + 5 + len > have)
				break;
			off += 5 + len;
			records++;
		}
		if (off == have && records >= sizeof(data) / 512)
			break;
		ASSERT_LT(have, sizeof(raw));
		ASSERT_LT(0, poll(&(struct pollfd){ .fd = t->fd[1],
						   .events = POLLIN }, 1, 5000));
		r = recv(t->fd[1], raw + have, sizeof(raw) - have, 0);
		ASSERT_LT(0, r);
		have += (size_t)r;
	}
	EXPECT_LE(sizeof(data) / 512, records);
	/* and they still open to the same bytes */
	memcpy(t->raw, raw, have);
	t->raw_len = have;
	ASSERT_EQ(sizeof(data), peer_read(t, got, sizeof(got)));
	EXPECT_EQ(0, memcmp(data, got, sizeof(data)));
}

TEST_F(conn, data_both_ways_across_records)
{
	struct conn_fx *t = &self->x;
	static uint8_t data[40000], got[40000];
	size_t i, total = 0;
	ssize_t r;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13);
	ASSERT_EQ((ssize_t)sizeof(data), hsd_stream_send(t->conn, data, sizeof(data)));
	ASSERT_EQ(sizeof(data), peer_read(t, got, sizeof(got)));
	EXPECT_EQ(0, memcmp(data, got, sizeof(data)));
	ASSERT_EQ(0, hs_app_write(t->sv, data, sizeof(data)));
	ASSERT_EQ(0, flush(t->sv, t->fd[1]));
	while (total < sizeof(got)) {
		r = hsd_stream_recv(t->conn, got + total, sizeof(got) - total);
		ASSERT_LT(0, r);
		total += (size_t)r;
	}
	EXPECT_EQ(0, memcmp(data, got, sizeof(data)));
}

/* the 1.3 ticket travelled as a control record before the data */
TEST_F(conn13, ticket_taken_on_the_way)
{
	struct conn_fx *t = &self->x;
	struct hs_session s;

	EXPECT_EQ(0, hs_get_session(hsd_stream_tls(t->conn), &s));
}

TEST_F(conn, close_notify_is_end_of_stream)
{
	struct conn_fx *t = &self->x;
	uint8_t b[16];

	ASSERT_EQ(0, hs_send_alert(t->sv, HS_ALERT_CLOSE_NOTIFY));
	ASSERT_EQ(0, flush(t->sv, t->fd[1]));
	EXPECT_EQ(0, hsd_stream_recv(t->conn, b, sizeof(b)));
}

/*
 * RFC 8446 6.1: one close_notify, however often the application shuts
 * down, and nothing after it: no KeyUpdate, no second alert at close.
 */
TEST_F(conn, close_notify_goes_out_once)
{
	struct conn_fx *t = &self->x;
	uint8_t b[64];

	ASSERT_EQ(0, hsd_stream_shutdown(t->conn));
	ASSERT_EQ(0, hsd_stream_shutdown(t->conn));
	EXPECT_EQ(-EPIPE, hsd_stream_key_update(t->conn, true));
	EXPECT_EQ(0U, peer_read(t, b, sizeof(b)));
	EXPECT_TRUE(hs_peer_closed(t->sv));
	EXPECT_EQ(0U, t->raw_len);
	EXPECT_EQ(0, hsd_stream_close(t->conn));
	t->conn = NULL;
	EXPECT_EQ(0, recv(t->fd[1], b, sizeof(b), 0));
}

/*
 * RFC 8446 6.2: a bad record from the peer (an empty alert, RFC 8446 5.1)
 * is answered by one fatal alert and nothing after it: no close_notify
 * at shutdown or close.
 */
TEST_F(conn, fatal_alert_goes_out_alone)
{
	struct conn_fx *t = &self->x;
	uint8_t b[64], all[512], alert = 0;
	size_t n = 0, used = 0, got;
	bool rcvd = false;
	ssize_t r;

	ASSERT_EQ(0, hs_queue_record(t->sv, HS_CT_ALERT, NULL, 0));
	ASSERT_EQ(0, flush(t->sv, t->fd[1]));
	EXPECT_GT(0, hsd_stream_recv(t->conn, b, sizeof(b)));
	EXPECT_EQ(0, hsd_stream_shutdown(t->conn));
	EXPECT_EQ(0, hsd_stream_close(t->conn));
	t->conn = NULL;
	while (n < sizeof(all) &&
	       (r = recv(t->fd[1], all + n, sizeof(all) - n, 0)) > 0)
		n += (size_t)r;
	ASSERT_LT(0U, n);
	EXPECT_NE(0, hs_app_read(t->sv, all, n, &used, b, sizeof(b), &got));
	ASSERT_NE(0, hs_error(t->sv, &alert, &rcvd, NULL));
	EXPECT_TRUE(rcvd);
	EXPECT_EQ(HS_ALERT_UNEXPECTED_MESSAGE, alert);
	EXPECT_EQ(n, used) TH_LOG("%zu bytes after the fatal alert", n - used);
}

/* a reset is an error, and closing after it sends nothing (no EPIPE) */
TEST_F(conn, no_close_notify_after_a_reset)
{
	struct conn_fx *t = &self->x;
	struct linger l = { .l_onoff = 1, .l_linger = 0 };
	uint8_t b[16];

	ASSERT_EQ(0, setsockopt(t->fd[1], SOL_SOCKET, SO_LINGER, &l,
				sizeof(l)));
	ASSERT_EQ(0, close(t->fd[1]));
	t->fd[1] = -1;
	EXPECT_EQ(-ECONNRESET, hsd_stream_recv(t->conn, b, sizeof(b)));
	EXPECT_EQ(0, hsd_stream_close(t->conn));
	t->conn = NULL;
}

TEST_F(conn, fatal_alert_is_an_error)
{
	struct conn_fx *t = &self->x;
	uint8_t b[16];

	hs_send_alert(t->sv, HS_ALERT_INTERNAL_ERROR);
	ASSERT_EQ(0, flush(t->sv, t->fd[1]));
	EXPECT_EQ(-EIO, hsd_stream_recv(t->conn, b, sizeof(b)));
}

/* RFC 8446 4.6.3: the peer updates and asks us to, with data after */
TEST_F(conn13, key_update_from_the_peer)
{
	struct conn_fx *t = &self->x;
	static const char a[] = "after the update", b[] = "our answer";
	bool rekey = !hsd_stream_ktls(t->conn, false) || !hsd_probe_ktls_rekey();
	uint8_t got[64];
	ssize_t r;

	ASSERT_EQ(0, hs_key_update(t->sv, true));
	ASSERT_EQ(0, hs_app_write(t->sv, (const uint8_t *)a, sizeof(a)));
	ASSERT_EQ(0, flush(t->sv, t->fd[1]));
	r = hsd_stream_recv(t->conn, got, sizeof(got));
	if (!rekey) {
		/* 6.12: no rekey in kTLS: a clean error with the reason */
		EXPECT_GT(0, r);
		EXPECT_NE(NULL, strstr(hsd_stream_why(t->conn), "cannot rekey"));
		return;
	}
	ASSERT_EQ((ssize_t)sizeof(a), r);
	EXPECT_STREQ(a, (char *)got);
	/* our KeyUpdate went out, then data under the new key */
	ASSERT_EQ((ssize_t)sizeof(b), hsd_stream_send(t->conn, b, sizeof(b)));
	ASSERT_EQ(sizeof(b), peer_read(t, got, sizeof(b)));
	EXPECT_STREQ(b, (char *)got);
}

/*
 * RFC 8446 4.6.3: a KeyUpdate request read before the hand-over to kTLS
 * is answered before our first data, on every kernel (with TX still in
 * user space, then the next key goes to the kernel).
 */
TEST_F(conn_ku_asked, key_update_request_at_the_hand_over_is_answered)
{
	struct conn_fx *t = &self->x;
	static const char b[] = "after our answer";
	uint8_t got[64];

	ASSERT_EQ((ssize_t)sizeof(b), hsd_stream_send(t->conn, b, sizeof(b)));
	ASSERT_EQ(sizeof(b), peer_read(t, got, sizeof(b)));
	EXPECT_STREQ(b, (char *)got);
	EXPECT_EQ(1U, hs_keyupdates_rx(t->sv));
}

/* our own KeyUpdate, on demand, asking the peer to answer */
TEST_F(conn13, key_update_on_demand)
{
	struct conn_fx *t = &self->x;
	static const char a[] = "under our next key", b[] = "and the peer's";
	bool kernel = hsd_stream_ktls(t->conn, true);
	uint8_t got[64];
	int err;

	err = hsd_stream_key_update(t->conn, true);
	if (kernel && hsd_probe_ktls_rekey()) {
		/* refused before anything went out: the stream goes on */
		EXPECT_EQ(-EOPNOTSUPP, err);
		ASSERT_EQ((ssize_t)sizeof(a), hsd_stream_send(t->conn, a, sizeof(a)));
		ASSERT_EQ(sizeof(a), peer_read(t, got, sizeof(a)));
		TH_LOG("refused: this kernel's kTLS cannot rekey: %s",
		       hsd_stream_why(t->conn));
		return;
	}
	ASSERT_EQ(0, err);
	ASSERT_EQ((ssize_t)sizeof(a), hsd_stream_send(t->conn, a, sizeof(a)));
	ASSERT_EQ(sizeof(a), peer_read(t, got, sizeof(a)));
	EXPECT_STREQ(a, (char *)got);
	/* the peer answered update_requested; its data comes under its new key */
	ASSERT_EQ(0, hs_app_write(t->sv, (const uint8_t *)b, sizeof(b)));
	ASSERT_EQ(0, flush(t->sv, t->fd[1]));
	ASSERT_EQ((ssize_t)sizeof(b), hsd_stream_recv(t->conn, got, sizeof(got)));
	EXPECT_STREQ(b, (char *)got);
}

TEST_HARNESS_MAIN
