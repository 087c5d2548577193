// SPDX-License-Identifier: GPL-2.0
/*
 * The engine's keys in kernel TLS, for every version x cipher: after a real
 * handshake over loopback TCP, data sent through kTLS arrives through kTLS,
 * and kTLS records open in our user-space record layer and ours in kTLS
 * (byte-exact, both directions, several records across 16 KiB).
 * Needs kTLS: runs in the test VMs; elsewhere a skip with the reason.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "handshaked/kernel/kabi.h"
#include "handshaked/kernel/ktls.h"
#include "handshaked/kernel/probe.h"
#include "selftests/engine/common.h"

#define DATA 40000

FIXTURE(ktls)
{
	struct hsd_crypto *cr;
	struct cred server;
	struct hs_conn *cl, *sv;
	int fd[2];	/* client, server */
	uint8_t *data, *got;
};

FIXTURE_VARIANT(ktls)
{
	uint16_t suite;
};

FIXTURE_VARIANT_ADD(ktls, 13_aes_gcm_128) { .suite = HS_TLS_AES_128_GCM_SHA256 };
FIXTURE_VARIANT_ADD(ktls, 13_aes_gcm_256) { .suite = HS_TLS_AES_256_GCM_SHA384 };
FIXTURE_VARIANT_ADD(ktls, 13_aes_ccm_128) { .suite = HS_TLS_AES_128_CCM_SHA256 };
FIXTURE_VARIANT_ADD(ktls, 13_chacha) { .suite = HS_TLS_CHACHA20_POLY1305_SHA256 };
FIXTURE_VARIANT_ADD(ktls, 12_aes_gcm_128) { .suite = HS_ECDHE_ECDSA_AES_128_GCM_SHA256 };
FIXTURE_VARIANT_ADD(ktls, 12_aes_gcm_256) { .suite = HS_ECDHE_ECDSA_AES_256_GCM_SHA384 };
FIXTURE_VARIANT_ADD(ktls, 12_aes_ccm_128) { .suite = HS_ECDHE_ECDSA_AES_128_CCM };
FIXTURE_VARIANT_ADD(ktls, 12_chacha) { .suite = HS_ECDHE_ECDSA_CHACHA20_POLY1305 };

/* move queued engine output to the socket */
static int flush(struct hs_conn *c, int fd)
{
	const uint8_t *p;
	size_t n;
	ssize_t w;

	while ((n = hs_output(c, &p))) {
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return -errno;
		hs_output_consumed(c, (size_t)w);
	}
	return 0;
}

/* feed what the socket has (without blocking) to the engine */
static int pull(struct hs_conn *c, int fd)
{
	uint8_t buf[20000];
	ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	size_t used = 0;

	if (r < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (r == 0)
		return -ECONNRESET;
	if (hs_input(c, buf, (size_t)r, &used))
		return -EPROTO;
	/* nothing follows the handshake here: no tickets, no early data */
	return used == (size_t)r ? 0 : -EMSGSIZE;
}

FIXTURE_SETUP(ktls)
{
	struct hs_config cc = { 0 }, sc = { 0 };
	int i, err = hsd_probe_ulp_tls();

	if (err && !getenv("HSD_VM_KERNEL"))
		SKIP(return, "kTLS %s", hsd_probe_strerror(err));
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, hsd_crypto_new(&self->cr));
	ASSERT_EQ(0, cred_load(self->cr, "server-ec", &self->server));
	ASSERT_EQ(0, hsd_tcp_loopback_pair(self->fd));
	cc.crypto = sc.crypto = self->cr;
	cc.role = HS_CLIENT;
	cc.no_verify_peer = true;
	sc.role = HS_SERVER;
	cc.suites = &variant->suite;
	cc.n_suites = 1;
	sc.chain = &self->server.chain;
	sc.key = self->server.key;
	ASSERT_EQ(0, hs_conn_new(&cc, &self->cl));
	ASSERT_EQ(0, hs_conn_new(&sc, &self->sv));
	ASSERT_EQ(0, hs_start(self->cl));
	for (i = 0; i < 100 && !(hs_is_done(self->cl) && hs_is_done(self->sv)); i++) {
		ASSERT_EQ(0, flush(self->cl, self->fd[0]));
		ASSERT_EQ(0, flush(self->sv, self->fd[1]));
		poll(NULL, 0, 1);
		ASSERT_EQ(0, pull(self->sv, self->fd[1]));
		ASSERT_EQ(0, pull(self->cl, self->fd[0]));
	}
	ASSERT_EQ(0, flush(self->cl, self->fd[0]));
	ASSERT_TRUE(hs_is_done(self->cl) && hs_is_done(self->sv));
	self->data = malloc(DATA);
	self->got = malloc(DATA);
	for (i = 0; i < DATA; i++)
		self->data[i] = (uint8_t)(i * 7 + i / 251);
}

FIXTURE_TEARDOWN(ktls)
{
	if (!self->cr)
		return;
	hs_conn_free(self->cl);
	hs_conn_free(self->sv);
	close(self->fd[0]);
	close(self->fd[1]);
	cred_free(&self->server);
	hsd_crypto_free(self->cr);
	free(self->data);
	free(self->got);
}

static size_t recv_all(int fd, uint8_t *p, size_t n)
{
	size_t have = 0;
	ssize_t r;

	while (have < n) {
		r = recv(fd, p + have, n - have, 0);
		if (r <= 0)
			break;
		have += (size_t)r;
	}
	return have;
}

TEST_F(ktls, kernel_to_kernel)
{
	ASSERT_EQ(0, hsd_ktls_install(self->fd[0], self->cl));
	ASSERT_EQ(0, hsd_ktls_install(self->fd[1], self->sv));
	ASSERT_EQ(DATA, send(self->fd[0], self->data, DATA, 0));
	ASSERT_EQ((size_t)DATA, recv_all(self->fd[1], self->got, DATA));
	EXPECT_EQ(0, memcmp(self->data, self->got, DATA));
	ASSERT_EQ(DATA, send(self->fd[1], self->data, DATA, 0));
	ASSERT_EQ((size_t)DATA, recv_all(self->fd[0], self->got, DATA));
	EXPECT_EQ(0, memcmp(self->data, self->got, DATA));
}

/* kTLS on the client, our record layer on the server, both directions */
TEST_F(ktls, kernel_and_user_space_records_interoperate)
{
	uint8_t buf[20000], out[17000];
	size_t have = 0, used, got, total = 0;
	ssize_t r;

	ASSERT_EQ(0, hsd_ktls_install(self->fd[0], self->cl));
	/* kernel-sealed records -> our record layer */
	ASSERT_EQ(DATA, send(self->fd[0], self->data, DATA, 0));
	while (total < DATA) {
		r = recv(self->fd[1], buf + have, sizeof(buf) - have, 0);
		ASSERT_LT(0, r);
		have += (size_t)r;
		while (have) {
			ASSERT_EQ(0, hs_app_read(self->sv, buf, have, &used, out,
						 sizeof(out), &got));
			memmove(buf, buf + used, have - used);
			have -= used;
			ASSERT_GE((size_t)DATA, total + got);
			memcpy(self->got + total, out, got);
			total += got;
			if (!used)
				break;
		}
	}
	EXPECT_EQ(0, memcmp(self->data, self->got, DATA));
	/* our records -> the kernel */
	ASSERT_EQ(0, hs_app_write(self->sv, self->data, DATA));
	ASSERT_EQ(0, flush(self->sv, self->fd[1]));
	ASSERT_EQ((size_t)DATA, recv_all(self->fd[0], self->got, DATA));
	EXPECT_EQ(0, memcmp(self->data, self->got, DATA));
}

/*
 * A client's record_size_limit (RFC 8449) bounds the records kTLS seals
 * for it: hsd_ktls_install sets TLS_TX_MAX_PAYLOAD_LEN, and every record
 * the server's kernel sends holds at most 511 bytes (512 less TLS 1.3's
 * content type). A kernel without the option (before 6.19) makes the
 * install fail rather than break the limit (the daemon, knowing that,
 * ignores the extension: tls13.server_may_ignore_record_size_limit).
 */
TEST(peer_record_size_limit_bounds_kernel_records)
{
	struct hs_config cc = { 0 }, sc = { 0 };
	struct hs_conn *cl = NULL, *sv = NULL;
	uint8_t data[5000], hdr[5], body[1024];
	struct hsd_crypto *cr = NULL;
	struct cred server;
	size_t total = 0, len;
	int fd[2], i, err = hsd_probe_ulp_tls();

	if (err && !getenv("HSD_VM_KERNEL"))
		SKIP(return, "kTLS %s", hsd_probe_strerror(err));
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, hsd_crypto_new(&cr));
	ASSERT_EQ(0, cred_load(cr, "server-ec", &server));
	ASSERT_EQ(0, hsd_tcp_loopback_pair(fd));
	cc.crypto = sc.crypto = cr;
	cc.role = HS_CLIENT;
	cc.no_verify_peer = true;
	cc.record_size_limit = 512;
	cc.min_version = HS_TLS13;
	sc.role = HS_SERVER;
	sc.chain = &server.chain;
	sc.key = server.key;
	ASSERT_EQ(0, hs_conn_new(&cc, &cl));
	ASSERT_EQ(0, hs_conn_new(&sc, &sv));
	ASSERT_EQ(0, hs_start(cl));
	for (i = 0; i < 100 && !(hs_is_done(cl) && hs_is_done(sv)); i++) {
		ASSERT_EQ(0, flush(cl, fd[0]));
		ASSERT_EQ(0, flush(sv, fd[1]));
		poll(NULL, 0, 1);
		ASSERT_EQ(0, pull(sv, fd[1]));
		ASSERT_EQ(0, pull(cl, fd[0]));
	}
	ASSERT_EQ(0, flush(cl, fd[0]));
	ASSERT_TRUE(hs_is_done(cl) && hs_is_done(sv));
	ASSERT_EQ(511U, hs_tx_max_plaintext(sv));
	err = hsd_ktls_install(fd[1], sv);
	if (hsd_probe_ktls_option(TLS_TX_MAX_PAYLOAD_LEN, false, 2)) {
		EXPECT_EQ(-ENOPROTOOPT, err);
	} else {
		ASSERT_EQ(0, err);
		memset(data, 0x5a, sizeof(data));
		ASSERT_EQ((ssize_t)sizeof(data), send(fd[1], data, sizeof(data), 0));
		/* the records on the wire, read raw: each within the limit */
		while (total < sizeof(data)) {
			ASSERT_EQ(sizeof(hdr), recv_all(fd[0], hdr, sizeof(hdr)));
			len = (size_t)hdr[3] << 8 | hdr[4];
			/* 511 bytes, the content type, the 16-byte tag */
			ASSERT_GE(511U + 1 + 16, len);
			ASSERT_EQ(len, recv_all(fd[0], body, len));
			total += len - 1 - 16;
		}
		EXPECT_EQ(sizeof(data), total);
	}
	hs_conn_free(cl);
	hs_conn_free(sv);
	close(fd[0]);
	close(fd[1]);
	cred_free(&server);
	hsd_crypto_free(cr);
}

TEST_HARNESS_MAIN
