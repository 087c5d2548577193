// SPDX-License-Identifier: GPL-2.0
/*
 * Applications hand their sockets to the kernel's handshake through
 * ktlsh.ko (uapi/ktlsh.yaml): handshaked performs the handshake, kTLS
 * carries the data, the application never holds a key.
 *
 * FIXTURE app: an application client and an application server, both
 * through the module, both served by one handshaked, over a loopback
 * pair; variants over version x cipher x authentication x ALPN.
 * FIXTURE errors: every refusal with its errno, and every way a request
 * can end (CANCEL, timeout, requester gone, daemon killed, socket closed,
 * module unloaded), each ending exactly once with the right status.
 * FIXTURE load: 1,000 sequential and 64 parallel requests; the module's
 * counters and references back to their baseline.
 *
 * Guest kernels only (the host has no kTLS and loads no modules).
 */
#include <errno.h>
#include <keyutils.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/ktlsh.h>

#include "kselftest_harness.h"

#include "handshaked/kernel/ktlsh_nl.h"
#include "handshaked/kernel/probe.h"
#include "selftests/kmod/ktlsh_ko.h"
#include "selftests/upcall/common.h"
#include "selftests/upcall/nfsd.h"
#include "selftests/upcall/nvmet.h"

#define TLS_CIPHER_AES_GCM_128 51
#define TLS_CIPHER_AES_GCM_256 52
#define TLS_CIPHER_CHACHA20_POLY1305 54

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * The guest's setup for every fixture: the module (with @params), tls.ko,
 * and handshaked with the test certificates. "" or why it cannot run.
 */
static const char *env_up(struct daemon *d, const char *params, char *why,
			  size_t cap, int *err)
{
	char conf[1024];

	*err = 0;
	if (!getenv("HSD_VM_KERNEL"))
		return "needs a test kernel (selftests/vm/run)";
	ko_unusable(why, cap);
	if (why[0])
		return why;
	if (hsd_probe_genl("handshake", "tlshd", NULL, NULL))
		return "no handshake netlink family";
	if (system("modprobe -q tls")) {
		*err = -ENOENT;
		return "";
	}
	ko_unload();
	*err = ko_load(params);
	if (*err)
		return "";
	nfs_config(conf, sizeof(conf), HSD_CERTS, "server-ec");
	*err = daemon_start(d, conf);
	return "";
}

/* every fixture: the module, tls.ko, handshaked, a ktlsh socket */
static void fixture_up(struct __test_metadata *_metadata, struct daemon *d,
		       struct hsd_kh **kh, bool *up)
{
	char why[256];
	const char *skip;
	int err;

	skip = env_up(d, "", why, sizeof(why), &err);
	if (skip[0])
		SKIP(return, "%s", skip);
	*up = true;
	ASSERT_EQ(0, err) TH_LOG("setup: %s", strerror(-err));
	ASSERT_EQ(0, hsd_kh_open(kh));
}

/* and down: the daemon must have run cleanly */
static void fixture_down(struct __test_metadata *_metadata, struct daemon *d,
			 struct hsd_kh *kh)
{
	hsd_kh_close(kh);
	if (d->pid > 0)
		kill(d->pid, SIGCONT);	/* fair stops it */
	daemon_stop(d);
	EXPECT_STREQ("", d->unclean) TH_LOG("%s", daemon_log(d));
	EXPECT_EQ(0, ko_unload());
}

/* the next HANDSHAKE-DONE within @ms: 1, 0 (none came) or -errno */
static int wait_done(struct hsd_kh *kh, struct hsd_kh_result *r, int ms)
{
	uint64_t end = mono_ms() + (uint64_t)ms;

	for (;;) {
		struct pollfd p = { .fd = hsd_kh_fd(kh), .events = POLLIN };
		uint64_t now = mono_ms();
		int got = hsd_kh_next(kh, r);

		if (got)
			return got;
		if (now >= end)
			return 0;
		poll(&p, 1, (int)(end - now));
	}
}

/* @n results, by id into @r (ids[i] -> r[i]); the count that came */
static int wait_ids(struct hsd_kh *kh, const uint32_t *ids,
		    struct hsd_kh_result *r, int n, int ms)
{
	uint64_t end = mono_ms() + (uint64_t)ms;
	int got = 0, i;

	while (got < n) {
		struct hsd_kh_result x;
		uint64_t now = mono_ms();

		if (now >= end || wait_done(kh, &x, (int)(end - now)) <= 0)
			break;
		for (i = 0; i < n; i++) {
			if (ids[i] == x.id) {
				r[i] = x;
				got++;
				break;
			}
		}
	}
	return got;
}

/* @msg from @a arrives at @b, over kTLS */
static int one_way(int a, int b, const char *msg)
{
	char buf[256];
	size_t n = strlen(msg), got = 0;

	if (write(a, msg, n) != (ssize_t)n)
		return -errno;
	while (got < n) {
		struct pollfd p = { .fd = b, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, 5000) != 1)
			return -ETIMEDOUT;
		r = read(b, buf + got, sizeof(buf) - got);
		if (r <= 0)
			return r ? -errno : -EPIPE;
		got += (size_t)r;
	}
	return got == n && !memcmp(buf, msg, n) ? 0 : -EBADMSG;
}

static long ko_refcnt(void)
{
	char buf[32];

	if (get("/sys/module/ktlsh/refcnt", buf, sizeof(buf)))
		return -1;
	return atol(buf);
}

/* ---- both ends through the module ---- */

FIXTURE(app)
{
	struct daemon d;
	struct hsd_kh *kh;
	bool up;
};

FIXTURE_VARIANT(app)
{
	uint16_t version_min, version_max;
	const char *ciphers;		/* the client's cipher policy */
	uint32_t client_auth;		/* KTLSH_AUTH_* */
	const char *client_alpn, *server_alpn;	/* comma lists */
	uint16_t want_version, want_cipher;
	const char *want_alpn;
	/*
	 * PSK both ways: the client names a "psk" key, the server a keyring
	 * holding it (as NVMe/TCP's); TLS 1.3 (RFC 8446 2.2)
	 */
	bool psk;
};

FIXTURE_VARIANT_ADD(app, tls13_default)
{
	.client_auth = KTLSH_AUTH_UNAUTH,
	.want_version = 0x0304, .want_cipher = TLS_CIPHER_AES_GCM_128,
};

FIXTURE_VARIANT_ADD(app, tls13_aes256_mutual_x509)
{
	.ciphers = "TLS_AES_256_GCM_SHA384",
	.client_auth = KTLSH_AUTH_X509,
	.want_version = 0x0304, .want_cipher = TLS_CIPHER_AES_GCM_256,
};

FIXTURE_VARIANT_ADD(app, tls13_chacha20_alpn)
{
	.ciphers = "TLS_CHACHA20_POLY1305_SHA256",
	.client_auth = KTLSH_AUTH_UNAUTH,
	.client_alpn = "h2,http/1.1", .server_alpn = "http/1.1",
	.want_version = 0x0304, .want_cipher = TLS_CIPHER_CHACHA20_POLY1305,
	.want_alpn = "http/1.1",
};

FIXTURE_VARIANT_ADD(app, tls13_psk_keyring)
{
	.psk = true,
	.version_min = 0x0304, .version_max = 0x0304,
	.client_auth = KTLSH_AUTH_PSK,
	.want_version = 0x0304, .want_cipher = TLS_CIPHER_AES_GCM_128,
};

FIXTURE_VARIANT_ADD(app, tls12_only)
{
	.version_min = 0x0303, .version_max = 0x0303,
	.client_auth = KTLSH_AUTH_UNAUTH,
	.want_version = 0x0303, .want_cipher = TLS_CIPHER_AES_GCM_128,
};

FIXTURE_VARIANT_ADD(app, tls12_mutual_x509_alpn)
{
	.version_min = 0x0303, .version_max = 0x0303,
	.client_auth = KTLSH_AUTH_X509,
	.client_alpn = "http/1.1", .server_alpn = "h2,http/1.1",
	.want_version = 0x0303, .want_cipher = TLS_CIPHER_AES_GCM_128,
	.want_alpn = "http/1.1",
};

FIXTURE_SETUP(app)
{
	fixture_up(_metadata, &self->d, &self->kh, &self->up);
}

FIXTURE_TEARDOWN(app)
{
	if (self->up)
		fixture_down(_metadata, &self->d, self->kh);
}

static size_t split_alpn(const char *list, char *buf, size_t cap,
			 const char **out)
{
	size_t n = 0;
	char *s;

	if (!list)
		return 0;
	snprintf(buf, cap, "%s", list);
	for (s = strtok(buf, ","); s && n < HSD_KH_ALPN_MAX; s = strtok(NULL, ","))
		out[n++] = s;
	return n;
}

TEST_F(app, client_and_server_through_the_module)
{
	struct hsd_kh_params cp = { .role = KTLSH_ROLE_CLIENT,
				    .auth = variant->client_auth,
				    .peername = "localhost",
				    .version_min = variant->version_min,
				    .version_max = variant->version_max,
				    .cipher_policy = variant->ciphers };
	struct hsd_kh_params sp = { .role = KTLSH_ROLE_SERVER,
				    .auth = KTLSH_AUTH_X509,
				    .version_min = variant->version_min,
				    .version_max = variant->version_max };
	struct hsd_kh_result r[2];
	char ca[256], sa[256], why[256];
	uint32_t ids[2];
	int fds[2], i;

	cp.n_alpn = split_alpn(variant->client_alpn, ca, sizeof(ca), cp.alpn);
	sp.n_alpn = split_alpn(variant->server_alpn, sa, sizeof(sa), sp.alpn);
	if (variant->psk) {
		static const uint8_t secret[32] = "ktlsh.ko test pre-shared key 32";
		key_serial_t ring, k;

		/* the "psk" key type is nvme-keyring's */
		if (system("modprobe -q nvme-keyring"))
			SKIP(return, "no nvme-keyring module (the psk key type)");
		ring = add_key("keyring", "ktlsh-test-psks", NULL, 0,
			       KEY_SPEC_SESSION_KEYRING);
		ASSERT_LT(0, ring) TH_LOG("keyring: %s", strerror(errno));
		k = add_key("psk", "ktlsh-test-identity", secret, sizeof(secret), ring);
		ASSERT_LT(0, k) TH_LOG("psk key: %s", strerror(errno));
		cp.peerids[0] = k;
		cp.n_peerids = 1;
		sp.auth = KTLSH_AUTH_PSK;
		sp.keyring = ring;
	}
	ASSERT_EQ(0, hsd_tcp_loopback_pair(fds));
	ASSERT_EQ(0, hsd_kh_submit(self->kh, fds[1], &sp, &ids[1], why, sizeof(why)))
		TH_LOG("server: %s", why);
	ASSERT_EQ(0, hsd_kh_submit(self->kh, fds[0], &cp, &ids[0], why, sizeof(why)))
		TH_LOG("client: %s", why);
	ASSERT_EQ(2, wait_ids(self->kh, ids, r, 2, DAEMON_WAIT_MS))
		TH_LOG("%s", daemon_log(&self->d));
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, r[i].status) TH_LOG("%s: %s\n%s", i ? "server" : "client",
						 strerror(-r[i].status), daemon_log(&self->d));
		EXPECT_EQ(variant->want_version, r[i].tls_version);
		EXPECT_EQ(variant->want_cipher, r[i].cipher);
		EXPECT_STREQ(variant->want_alpn ? variant->want_alpn : "", r[i].alpn);
		EXPECT_EQ(fds[i], r[i].sockfd);
	}
	/* the server verified the client's certificate: it has an identity */
	if (variant->client_auth == KTLSH_AUTH_X509)
		EXPECT_NE(0, r[1].peer_auth);
	/* PSK: each side names the key the handshake used */
	if (variant->psk) {
		EXPECT_EQ(cp.peerids[0], r[0].peer_auth);
		EXPECT_EQ(cp.peerids[0], r[1].peer_auth);
	}
	/* records both ways through kTLS, which the daemon keyed */
	EXPECT_EQ(0, one_way(fds[0], fds[1], "from the application client"));
	EXPECT_EQ(0, one_way(fds[1], fds[0], "from the application server"));
	/* the daemon logs its line after its DONE: it may still be coming */
	for (i = 0; i < 250 && !daemon_logged2(&self->d, "role=server", " app="); i++)
		usleep(20000);
	EXPECT_TRUE(daemon_logged2(&self->d, "role=server", " app="));
	close(fds[0]);
	close(fds[1]);
}

/* ---- refusals and endings ---- */

FIXTURE(errors)
{
	struct daemon d;
	struct hsd_kh *kh;
	bool up;
};

FIXTURE_SETUP(errors)
{
	fixture_up(_metadata, &self->d, &self->kh, &self->up);
}

FIXTURE_TEARDOWN(errors)
{
	struct hsd_kh_stats s;

	if (!self->up)
		return;
	/*
	 * Nothing left in flight, whatever the case did. The last request
	 * object goes after its HANDSHAKE-DONE (the end gives the socket
	 * and keys back first): a moment for it.
	 */
	if (!hsd_kh_get_stats(self->kh, &s)) {
		EXPECT_EQ(0U, s.queued);
		EXPECT_EQ(0U, s.in_flight);
		for (int i = 0; i < 100 && s.objects; i++) {
			usleep(10000);
			if (hsd_kh_get_stats(self->kh, &s))
				break;
		}
		EXPECT_EQ(0U, s.objects);
	}
	fixture_down(_metadata, &self->d, self->kh);
}

static const struct hsd_kh_params client_anon = {
	.role = KTLSH_ROLE_CLIENT, .auth = KTLSH_AUTH_UNAUTH,
	.peername = "localhost",
};

TEST_F(errors, listening_socket_is_einval)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char why[256];
	uint32_t id;

	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&sa, sizeof(sa)));
	ASSERT_EQ(0, listen(fd, 1));
	EXPECT_EQ(-EINVAL, hsd_kh_submit(self->kh, fd, &client_anon, &id, why, sizeof(why)));
	EXPECT_STREQ("the socket is not connected", why);
	close(fd);
}

TEST_F(errors, udp_socket_is_eopnotsupp)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	char why[256];
	uint32_t id;

	EXPECT_EQ(-EOPNOTSUPP, hsd_kh_submit(self->kh, fd, &client_anon, &id, why, sizeof(why)));
	EXPECT_STREQ("not a TCP socket over IPv4 or IPv6", why);
	close(fd);
}

TEST_F(errors, not_a_socket_is_enotsock)
{
	char why[256];
	uint32_t id;

	EXPECT_EQ(-ENOTSOCK, hsd_kh_submit(self->kh, 0 /* stdin */, &client_anon, &id,
					   why, sizeof(why)));
}

TEST_F(errors, socket_with_a_ulp_is_eopnotsupp)
{
	char why[256];
	uint32_t id;
	int fds[2];

	ASSERT_EQ(0, hsd_tcp_loopback_pair(fds));
	ASSERT_EQ(0, setsockopt(fds[0], SOL_TCP, TCP_ULP, "tls", sizeof("tls")));
	EXPECT_EQ(-EOPNOTSUPP, hsd_kh_submit(self->kh, fds[0], &client_anon, &id,
					     why, sizeof(why)));
	EXPECT_NE(NULL, strstr(why, "upper-layer protocol"));
	close(fds[0]);
	close(fds[1]);
}

TEST_F(errors, bad_combinations_are_einval)
{
	struct hsd_kh_params p = client_anon;
	char why[256];
	uint32_t id;
	int fds[2];

	ASSERT_EQ(0, hsd_tcp_loopback_pair(fds));
	p.role = KTLSH_ROLE_SERVER;	/* a server must authenticate */
	EXPECT_EQ(-EINVAL, hsd_kh_submit(self->kh, fds[1], &p, &id, why, sizeof(why)));
	EXPECT_STREQ("a server authenticates (x509 or psk)", why);
	p = client_anon;
	p.auth = KTLSH_AUTH_PSK;	/* and names no PSK */
	EXPECT_EQ(-EINVAL, hsd_kh_submit(self->kh, fds[0], &p, &id, why, sizeof(why)));
	p = client_anon;
	p.version_min = 0x0304;
	p.version_max = 0x0303;
	EXPECT_EQ(-EINVAL, hsd_kh_submit(self->kh, fds[0], &p, &id, why, sizeof(why)));
	p = client_anon;
	p.version_max = 0x0302;		/* the policy: 1.2 or 1.3 only */
	EXPECT_EQ(-ERANGE, hsd_kh_submit(self->kh, fds[0], &p, &id, why, sizeof(why)));
	close(fds[0]);
	close(fds[1]);
}

TEST_F(errors, second_request_on_a_socket_is_ebusy)
{
	struct hsd_kh_params p = client_anon;
	struct hsd_kh_result r;
	char why[256];
	uint32_t id, id2;
	int fds[2];

	/* the peer never answers: the first request stays in flight */
	ASSERT_EQ(0, hsd_tcp_loopback_pair(fds));
	p.timeout_ms = 3000;
	ASSERT_EQ(0, hsd_kh_submit(self->kh, fds[0], &p, &id, why, sizeof(why)));
	EXPECT_EQ(-EBUSY, hsd_kh_submit(self->kh, fds[0], &p, &id2, why, sizeof(why)));
	EXPECT_STREQ("a handshake is already requested on this socket", why);
	ASSERT_EQ(0, hsd_kh_cancel(self->kh, id));
	ASSERT_EQ(1, wait_done(self->kh, &r, 5000));
	EXPECT_EQ(id, r.id);
	EXPECT_EQ(-ECANCELED, r.status);
	/* the upstream remembers the socket: a later request is refused too */
	EXPECT_EQ(-EBUSY, hsd_kh_submit(self->kh, fds[0], &p, &id2, why, sizeof(why)));
	EXPECT_STREQ("the kernel had a handshake on this socket before", why);
	EXPECT_EQ(0, wait_done(self->kh, &r, 300));	/* and no event */
	close(fds[0]);
	close(fds[1]);
}

/* a "user" key of ours whose payload we may not read */
static key_serial_t unreadable_key(void)
{
	key_serial_t k = add_key("user", "ktlsh-test:unreadable", "x", 1,
				 KEY_SPEC_SESSION_KEYRING);

	if (k > 0 && keyctl_setperm(k, KEY_POS_VIEW | KEY_POS_SETATTR))
		return -1;
	return k;
}

TEST_F(errors, key_the_caller_cannot_read_is_eacces)
{
	struct hsd_kh_params p = client_anon;
	key_serial_t k = unreadable_key();
	char why[256];
	uint32_t id;
	int fds[2];

	ASSERT_LT(0, k);
	ASSERT_EQ(0, hsd_tcp_loopback_pair(fds));
	p.auth = KTLSH_AUTH_X509;
	p.cert = p.privkey = k;
	EXPECT_EQ(-EACCES, hsd_kh_submit(self->kh, fds[0], &p, &id, why, sizeof(why)));
	EXPECT_STREQ("a named key is not readable by the requester", why);
	/* a serial that names nothing */
	p.cert = p.privkey = 0x7ffffff0;
	EXPECT_EQ(-ENOKEY, hsd_kh_submit(self->kh, fds[0], &p, &id, why, sizeof(why)));
	keyctl_invalidate(k);
	close(fds[0]);
	close(fds[1]);
}

TEST_F(errors, no_daemon_fails_at_once)
{
	char why[256];
	uint64_t t0;
	uint32_t id;
	int fds[2];

	daemon_stop(&self->d);
	ASSERT_EQ(0, hsd_tcp_loopback_pair(fds));
	t0 = mono_ms();
	EXPECT_EQ(-ESRCH, hsd_kh_submit(self->kh, fds[0], &client_anon, &id, why, sizeof(why)));
	EXPECT_GT(1000ULL, mono_ms() - t0);
	EXPECT_STREQ("no handshake daemon listens in this network namespace", why);
	close(fds[0]);
	close(fds[1]);
}

TEST_F(errors, timeout_ends_with_etimedout)
{
	struct hsd_kh_params p = client_anon;
	struct hsd_kh_result r;
	struct hsd_kh_stats s;
	char why[256];
	uint64_t t0;
	uint32_t id;
	int fds[2];

	ASSERT_EQ(0, hsd_tcp_loopback_pair(fds));
	p.timeout_ms = 1500;
	t0 = mono_ms();
	ASSERT_EQ(0, hsd_kh_submit(self->kh, fds[0], &p, &id, why, sizeof(why)));
	ASSERT_EQ(1, wait_done(self->kh, &r, 10000));
	EXPECT_EQ(id, r.id);
	EXPECT_EQ(-ETIMEDOUT, r.status);
	EXPECT_LE(1400ULL, mono_ms() - t0);
	ASSERT_EQ(0, hsd_kh_get_stats(self->kh, &s));
	EXPECT_EQ(1U, s.timed_out);
	/* exactly once: nothing else comes for it */
	EXPECT_EQ(0, wait_done(self->kh, &r, 500));
	close(fds[0]);
	close(fds[1]);
}

TEST_F(errors, requester_gone_cancels)
{
	struct hsd_kh_params p = client_anon;
	struct hsd_kh_stats s;
	struct hsd_kh *other;
	char why[256];
	uint32_t id;
	int fds[2], i;

	ASSERT_EQ(0, hsd_tcp_loopback_pair(fds));
	ASSERT_EQ(0, hsd_kh_open(&other));
	p.timeout_ms = 30000;
	ASSERT_EQ(0, hsd_kh_submit(other, fds[0], &p, &id, why, sizeof(why)));
	hsd_kh_close(other);
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(0, hsd_kh_get_stats(self->kh, &s));
		if (s.cancelled)
			break;
		usleep(20000);
	}
	EXPECT_EQ(1U, s.cancelled);
	EXPECT_EQ(0U, s.in_flight);
	close(fds[0]);
	close(fds[1]);
}

TEST_F(errors, daemon_killed_mid_handshake_ends_by_the_timeout)
{
	struct hsd_kh_params p = client_anon;
	struct hsd_kh_result r;
	struct pollfd pf;
	char why[256];
	uint64_t t0;
	uint32_t id;
	int fds[2];

	ASSERT_EQ(0, hsd_tcp_loopback_pair(fds));
	p.timeout_ms = 3000;
	t0 = mono_ms();
	ASSERT_EQ(0, hsd_kh_submit(self->kh, fds[0], &p, &id, why, sizeof(why)));
	/* the daemon took it: its ClientHello arrives at the silent peer */
	pf.fd = fds[1];
	pf.events = POLLIN;
	ASSERT_EQ(1, poll(&pf, 1, 5000));
	kill(self->d.pid, SIGKILL);
	daemon_reap(&self->d);
	ASSERT_EQ(1, wait_done(self->kh, &r, 10000));
	EXPECT_EQ(id, r.id);
	EXPECT_EQ(-ETIMEDOUT, r.status);
	EXPECT_GT(5000ULL, mono_ms() - t0);
	close(fds[0]);
	close(fds[1]);
}

TEST_F(errors, socket_closed_mid_handshake_still_ends_once)
{
	struct hsd_kh_params p = client_anon;
	struct hsd_kh_result r;
	struct pollfd pf;
	char why[256], buf[4096];
	uint32_t id;
	int fds[2];

	ASSERT_EQ(0, hsd_tcp_loopback_pair(fds));
	p.timeout_ms = 2000;
	ASSERT_EQ(0, hsd_kh_submit(self->kh, fds[0], &p, &id, why, sizeof(why)));
	close(fds[0]);
	ASSERT_EQ(1, wait_done(self->kh, &r, 10000));
	EXPECT_EQ(id, r.id);
	EXPECT_NE(0, r.status);
	EXPECT_EQ(0, wait_done(self->kh, &r, 300));
	/* the module let go of the socket: the peer sees the connection end */
	pf.fd = fds[1];
	pf.events = POLLIN;
	while (poll(&pf, 1, 3000) == 1 && read(fds[1], buf, sizeof(buf)) > 0)
		;
	EXPECT_EQ(0, read(fds[1], buf, sizeof(buf)));
	close(fds[1]);
}

TEST_F(errors, module_unload_ends_requests_in_flight)
{
	struct hsd_kh_params p = client_anon;
	struct hsd_kh_result r;
	uint32_t ids[3];
	char why[256];
	int fds[3][2], i, n = 0;

	p.timeout_ms = 30000;
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, hsd_tcp_loopback_pair(fds[i]));
		ASSERT_EQ(0, hsd_kh_submit(self->kh, fds[i][0], &p, &ids[i], why, sizeof(why)));
	}
	ASSERT_EQ(0, ko_unload());
	while (wait_done(self->kh, &r, 3000) == 1) {
		EXPECT_EQ(-ESHUTDOWN, r.status);
		n++;
	}
	EXPECT_EQ(3, n);
	for (i = 0; i < 3; i++) {
		close(fds[i][0]);
		close(fds[i][1]);
	}
	/* the teardown counts on the module: back, empty */
	ASSERT_EQ(0, ko_load(""));
	hsd_kh_close(self->kh);
	ASSERT_EQ(0, hsd_kh_open(&self->kh));
}

/* into a new network namespace with lo up: 0, or -errno */
static int netns_new(void)
{
	if (unshare(CLONE_NEWNET))
		return -errno;
	return system("ip link set lo up") ? -EIO : 0;
}

TEST_F(errors, socket_of_another_netns_is_exdev)
{
	struct hsd_kh_params p = client_anon;
	char why[256];
	uint32_t id;
	int home, fds[2];

	home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, home);
	ASSERT_EQ(0, netns_new());
	ASSERT_EQ(0, hsd_tcp_loopback_pair(fds));
	ASSERT_EQ(0, setns(home, CLONE_NEWNET));
	close(home);
	/* our ktlsh socket is the first namespace's; the TCP socket is not */
	EXPECT_EQ(-EXDEV, hsd_kh_submit(self->kh, fds[0], &p, &id, why, sizeof(why)));
	EXPECT_NE(NULL, strstr(why, "namespace")) TH_LOG("extack: %s", why);
	close(fds[0]);
	close(fds[1]);
}

/*
 * A namespace deleted while requests wait in it: its daemon stopped, so
 * they stay in flight (two upstream, the rest in the module's queue);
 * then everything of the namespace goes (daemon killed, requester and
 * sockets closed, the last reference dropped). The requests end with
 * their requester, the namespace exits, and no request object is left.
 */
TEST_F(errors, netns_deleted_with_requests_in_flight)
{
	struct hsd_kh_params p = client_anon;
	struct hsd_kh_stats s = { 0 };
	struct hsd_kh *kh2;
	struct daemon d2 = { 0 };
	char conf[1024], why[256];
	int home, fds[6][2], i;
	uint32_t id;

	home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, home);
	ASSERT_EQ(0, netns_new());
	nfs_config(conf, sizeof(conf), HSD_CERTS, "server-ec");
	ASSERT_EQ(0, daemon_start(&d2, conf)) TH_LOG("%s", daemon_log(&d2));
	ASSERT_EQ(0, hsd_kh_open(&kh2));
	kill(d2.pid, SIGSTOP);
	p.timeout_ms = 60000;
	for (i = 0; i < 6; i++) {
		ASSERT_EQ(0, hsd_tcp_loopback_pair(fds[i]));
		ASSERT_EQ(0, hsd_kh_submit(kh2, fds[i][0], &p, &id, why, sizeof(why)))
			TH_LOG("%d: %s", i, why);
	}
	ASSERT_EQ(0, hsd_kh_get_stats(kh2, &s));
	EXPECT_EQ(6U, s.queued + s.in_flight);
	/* everything of the namespace goes */
	kill(d2.pid, SIGKILL);
	daemon_reap(&d2);
	hsd_kh_close(kh2);
	for (i = 0; i < 6; i++) {
		close(fds[i][0]);
		close(fds[i][1]);
	}
	ASSERT_EQ(0, setns(home, CLONE_NEWNET));
	close(home);
	/* the namespace's exit runs in a work queue: a moment for it */
	for (i = 0; i < 500; i++) {
		if (hsd_kh_get_stats(self->kh, &s) || !s.objects)
			break;
		usleep(10000);
	}
	EXPECT_EQ(0U, s.objects);
}

TEST_F(errors, per_user_limit_is_emfile)
{
	struct hsd_kh_params p = client_anon;
	struct hsd_kh_stats s;
	struct hsd_kh_result r;
	uint32_t ids[3];
	char why[256];
	int fds[3][2], i;

	/* the module again, with a limit of 2 per user */
	hsd_kh_close(self->kh);
	ASSERT_EQ(0, ko_unload());
	ASSERT_EQ(0, ko_load("max_per_user=2"));
	ASSERT_EQ(0, hsd_kh_open(&self->kh));
	p.timeout_ms = 30000;
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, hsd_tcp_loopback_pair(fds[i]));
	ASSERT_EQ(0, hsd_kh_submit(self->kh, fds[0][0], &p, &ids[0], why, sizeof(why)));
	ASSERT_EQ(0, hsd_kh_submit(self->kh, fds[1][0], &p, &ids[1], why, sizeof(why)));
	EXPECT_EQ(-EMFILE, hsd_kh_submit(self->kh, fds[2][0], &p, &ids[2], why, sizeof(why)));
	EXPECT_STREQ("too many requests of this user (max_per_user)", why);
	ASSERT_EQ(0, hsd_kh_get_stats(self->kh, &s));
	EXPECT_EQ(1U, s.refused);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, hsd_kh_cancel(self->kh, ids[i]));
		EXPECT_EQ(1, wait_done(self->kh, &r, 5000));
	}
	for (i = 0; i < 3; i++) {
		close(fds[i][0]);
		close(fds[i][1]);
	}
}

/* ---- applications never crowd out the kernel's consumers ---- */

#define CROWD 200

FIXTURE(fair)
{
	struct daemon d;
	struct hsd_kh *kh;
	bool up, mounted;
	int fds[CROWD][2];
	uint32_t ids[CROWD];
};

FIXTURE_SETUP(fair)
{
	/*
	 * Before the daemon starts: it links .nvme (nvme-keyring's) into
	 * its keyring then, and reads the NVMe host's PSK through it
	 */
	if (getenv("HSD_VM_KERNEL") &&
	    system("modprobe -q nvme-keyring && modprobe -q nvme-tcp && "
		   "modprobe -q nvmet && modprobe -q nvmet-tcp"))
		TH_LOG("NVMe/TCP modules missing");
	fixture_up(_metadata, &self->d, &self->kh, &self->up);
	ASSERT_EQ(0, system("modprobe -q nfsd && modprobe -q nfsv4"));
	ASSERT_EQ(0, nfs_dirs());
	ASSERT_EQ(0, nfsd_up());
	ASSERT_EQ(0, nfsd_export(NFSEXP_XPRTSEC_TLS | NFSEXP_XPRTSEC_MTLS));
}

FIXTURE_TEARDOWN(fair)
{
	if (!self->up)
		return;
	if (self->mounted)
		umount2(MNT, 0);
	fixture_down(_metadata, &self->d, self->kh);
}

/*
 * CROWD application requests while the daemon takes none (stopped): only
 * upstream_backlog (2) of them go upstream, the rest wait in the module
 */
static void crowd(struct __test_metadata *_metadata, FIXTURE_DATA(fair) *self)
{
	struct hsd_kh_params p = client_anon;
	struct hsd_kh_stats s;
	char why[256];
	int i;

	ASSERT_EQ(0, kill(self->d.pid, SIGSTOP));
	p.timeout_ms = 120000;
	for (i = 0; i < CROWD; i++) {
		ASSERT_EQ(0, hsd_tcp_loopback_pair(self->fds[i]));
		ASSERT_EQ(0, hsd_kh_submit(self->kh, self->fds[i][0], &p, &self->ids[i],
					   why, sizeof(why)))
			TH_LOG("request %d: %s", i, why);
	}
	ASSERT_EQ(0, hsd_kh_get_stats(self->kh, &s));
	EXPECT_EQ(2U, s.in_flight);
	EXPECT_EQ(CROWD - 2U, s.queued);
}

/* the applications' requests are all still there, then end once each */
static void uncrowd(struct __test_metadata *_metadata, FIXTURE_DATA(fair) *self)
{
	struct hsd_kh_result r;
	int i, n = 0;

	for (i = 0; i < CROWD; i++)
		hsd_kh_cancel(self->kh, self->ids[i]);
	while (n < CROWD && wait_done(self->kh, &r, 10000) == 1) {
		EXPECT_EQ(-ECANCELED, r.status);
		n++;
	}
	EXPECT_EQ(CROWD, n);
	for (i = 0; i < CROWD; i++) {
		close(self->fds[i][0]);
		close(self->fds[i][1]);
	}
}

/*
 * 200 application requests while the daemon takes none (stopped): only
 * upstream_backlog of them wait upstream, the rest in the module, so the
 * NFS mount's own request still finds room in the upstream queue (3 to 50
 * places) instead of EAGAIN, and the mount succeeds once the daemon runs.
 */
TEST_F_TIMEOUT(fair, nfs_mounts_while_200_application_requests_wait, 300)
{
	int status = -1;
	long ms;
	pid_t pid;

	crowd(_metadata, self);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(nfs_mount("tls", &ms) ? 1 : 0);
	usleep(500000);
	ASSERT_EQ(0, kill(self->d.pid, SIGCONT));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("the mount failed\n%s", daemon_log(&self->d));
	self->mounted = WIFEXITED(status) && !WEXITSTATUS(status);
	EXPECT_TRUE(daemon_logged(&self->d, "role=client auth=anon version=TLSv1.3"));
	uncrowd(_metadata, self);
}

/*
 * The same with NVMe/TCP: 200 application requests wait (the daemon
 * stopped), and an NVMe/TCP TLS connect (PSK from .nvme) is asked for;
 * it finds room upstream and is live once the daemon runs.
 */
TEST_F_TIMEOUT(fair, nvme_connects_while_200_application_requests_wait, 300)
{
	struct nvmet_target t;
	char path[128], state[32];
	int status = -1, inst = -1;
	long ms;
	pid_t pid;

	ASSERT_EQ(0, system("modprobe -q nvme-keyring && modprobe -q nvme-tcp && "
			    "modprobe -q nvmet && modprobe -q nvmet-tcp"));
	nvmet_init(&t, 40 + getpid() % 50);
	nvmet_down(&t);
	ASSERT_EQ(0, nvmet_psk_add(&t)) TH_LOG("add_key psk: %s", strerror(errno));
	ASSERT_EQ(0, nvmet_up(&t)) TH_LOG("nvmet: %s", strerror(errno));
	crowd(_metadata, self);
	/* the connect blocks until it is live (or fails): in a child */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		inst = nvme_connect(&t, "", &ms);
		_exit(inst < 0 ? 255 : inst);
	}
	usleep(500000);
	ASSERT_EQ(0, kill(self->d.pid, SIGCONT));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	if (WIFEXITED(status) && WEXITSTATUS(status) != 255)
		inst = WEXITSTATUS(status);
	EXPECT_LE(0, inst) TH_LOG("the connect failed\n%s", daemon_log(&self->d));
	if (inst >= 0) {
		snprintf(path, sizeof(path), "/sys/class/nvme/nvme%d/state", inst);
		EXPECT_EQ(0, get(path, state, sizeof(state)));
		EXPECT_STREQ("live\n", state);
		nvme_disconnect(inst);
	}
	EXPECT_TRUE(daemon_wait_logged(&self->d, "role=client auth=psk version=TLSv1.3",
				       DAEMON_WAIT_MS));
	uncrowd(_metadata, self);
	nvme_disconnect_all();
	nvmet_down(&t);
	nvmet_psk_del(&t);
}

/* ---- many ---- */

FIXTURE(load)
{
	struct daemon d;
	struct hsd_kh *kh;
	bool up;
};

FIXTURE_SETUP(load)
{
	fixture_up(_metadata, &self->d, &self->kh, &self->up);
}

FIXTURE_TEARDOWN(load)
{
	if (self->up)
		fixture_down(_metadata, &self->d, self->kh);
}

static const struct hsd_kh_params server_x509 = {
	.role = KTLSH_ROLE_SERVER, .auth = KTLSH_AUTH_X509,
};

/* @pairs connections at once, both ends through the module: failures */
static int round_of(struct __test_metadata *_metadata, struct hsd_kh *kh,
		    int pairs)
{
	struct hsd_kh_result *r = calloc((size_t)pairs * 2, sizeof(*r));
	uint32_t *ids = calloc((size_t)pairs * 2, sizeof(*ids));
	int *fds = calloc((size_t)pairs * 2, sizeof(*fds));
	char why[256];
	int i, bad = 0;

	for (i = 0; i < pairs; i++) {
		if (hsd_tcp_loopback_pair(&fds[2 * i]) ||
		    hsd_kh_submit(kh, fds[2 * i + 1], &server_x509, &ids[2 * i + 1], why, sizeof(why)) ||
		    hsd_kh_submit(kh, fds[2 * i], &client_anon, &ids[2 * i], why, sizeof(why))) {
			TH_LOG("pair %d: %s", i, why);
			bad++;
		}
	}
	if (!bad && wait_ids(kh, ids, r, pairs * 2, 60000) != pairs * 2)
		bad++;
	for (i = 0; !bad && i < pairs * 2; i++)
		bad += r[i].status != 0 || r[i].tls_version != 0x0304;
	for (i = 0; !bad && i < pairs; i++)
		bad += one_way(fds[2 * i], fds[2 * i + 1], "x") != 0;
	for (i = 0; i < pairs * 2; i++)
		close(fds[i]);
	free(r);
	free(ids);
	free(fds);
	return bad;
}

TEST_F_TIMEOUT(load, sequential_1000_and_parallel_64, 600)
{
	struct hsd_kh_stats s;
	int i, bad = 0;

	for (i = 0; i < 500 && !bad; i++)
		bad += round_of(_metadata, self->kh, 1);
	EXPECT_EQ(0, bad) TH_LOG("sequential round %d failed\n%s", i, daemon_log(&self->d));
	bad = round_of(_metadata, self->kh, 32);
	EXPECT_EQ(0, bad) TH_LOG("parallel round failed\n%s", daemon_log(&self->d));
	ASSERT_EQ(0, hsd_kh_get_stats(self->kh, &s));
	EXPECT_EQ(1064U, s.submitted);
	EXPECT_EQ(1064U, s.completed);
	EXPECT_EQ(0U, s.failed + s.cancelled + s.timed_out + s.notify_failed);
	EXPECT_EQ(0U, s.queued);
	EXPECT_EQ(0U, s.in_flight);
	/* nobody holds the module, no request object is left */
	EXPECT_EQ(0, ko_refcnt());
	EXPECT_EQ(0U, s.objects);
}

TEST_HARNESS_MAIN
