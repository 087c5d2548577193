// SPDX-License-Identifier: GPL-2.0
/*
 * NVMe/TCP over TLS on loopback with handshaked answering the kernel's
 * upcall for both ends: nvmet target (port with addr_tsas=tls1.3, PSK in
 * .nvme) and the nvme-tcp host connecting with "tls". Guest kernels only.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <keyutils.h>

#include "kselftest_harness.h"

#include "handshaked/kernel/probe.h"
#include "selftests/upcall/common.h"
#include "selftests/upcall/nvmet.h"

FIXTURE(nvme)
{
	struct daemon d;
	struct nvmet_target t;
};

FIXTURE_SETUP(nvme)
{
	static int port;

	if (!getenv("HSD_VM_KERNEL"))
		SKIP(return, "needs a test kernel (selftests/vm/run)");
	if (hsd_probe_genl("handshake", "tlshd", NULL, NULL))
		SKIP(return, "no handshake netlink family");
	/* a test kernel with the upcall has these: their absence is a failure */
	ASSERT_EQ(0, system("modprobe -q nvme-keyring && modprobe -q nvme-tcp && "
			    "modprobe -q nvmet && modprobe -q nvmet-tcp && modprobe -q tls"))
		TH_LOG("NVMe/TCP modules missing");
	nvmet_init(&self->t, ++port + (getpid() % 50) * 10);
	nvmet_down(&self->t);	/* what an aborted run may have left */
	ASSERT_EQ(0, nvmet_psk_add(&self->t)) TH_LOG("add_key psk: %s", strerror(errno));
	ASSERT_EQ(0, nvmet_up(&self->t)) TH_LOG("nvmet: %s", strerror(errno));
	ASSERT_EQ(0, daemon_start(&self->d, NULL));
}

FIXTURE_TEARDOWN(nvme)
{
	if (!getenv("HSD_VM_KERNEL") || !self->t.port)
		return;
	/* every daemon this case ran exited cleanly, without sanitizer reports */
	daemon_stop(&self->d);
	EXPECT_STREQ("", self->d.unclean) TH_LOG("%s", daemon_log(&self->d));
	nvmet_down(&self->t);
	nvmet_psk_del(&self->t);
}


/* the scheduling policy of @pid's thread named @comm, -1 if none */
static int thread_policy(pid_t pid, const char *comm)
{
	char path[320], buf[512], name[32];
	struct dirent *e;
	int policy = -1;
	DIR *dir;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	while (dir && (e = readdir(dir)) && policy < 0) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/comm", pid, e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		name[0] = 0;
		if (!fgets(name, sizeof(name), f))
			name[0] = 0;
		fclose(f);
		name[strcspn(name, "\n")] = 0;
		if (strcmp(name, comm))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", pid, e->d_name);
		f = fopen(path, "r");
		if (f && fgets(buf, sizeof(buf), f)) {
			/* field 41 (policy), counted from after the ")" of comm */
			char *p = strrchr(buf, ')');
			int field = 2;

			for (; p && *p; p++)
				if (*p == ' ' && ++field == 41) {
					policy = atoi(p + 1);
					break;
				}
		}
		if (f)
			fclose(f);
	}
	if (dir)
		closedir(dir);
	return policy;
}

/* the block device of controller @inst, once the namespace is scanned */
static int wait_ns(int inst, char *dev, size_t cap)
{
	struct stat st;
	int i;

	snprintf(dev, cap, "/dev/nvme%dn1", inst);
	for (i = 0; i < 200; i++) {
		if (!stat(dev, &st) && S_ISBLK(st.st_mode))
			return 0;
		usleep(50000);
	}
	return -1;
}

TEST_F(nvme, psk_connect_write_read_disconnect)
{
	char dev[64], state[32], p[128], buf[4096];
	uint8_t *w = NULL, *r = NULL;
	long ms;
	int inst, fd, i;
	FILE *ss;
	bool tls13 = false;

	inst = nvme_connect(&self->t, "", &ms);
	ASSERT_LE(0, inst) TH_LOG("connect: %s\n%s", strerror(-inst),
				  daemon_log(&self->d));
	snprintf(p, sizeof(p), "/sys/class/nvme/nvme%d/state", inst);
	ASSERT_EQ(0, get(p, state, sizeof(state)));
	EXPECT_STREQ("live\n", state);
	ASSERT_EQ(0, wait_ns(inst, dev, sizeof(dev)));
	ASSERT_EQ(0, posix_memalign((void **)&w, 4096, 65536));
	ASSERT_EQ(0, posix_memalign((void **)&r, 4096, 65536));
	for (i = 0; i < 65536; i++)
		w[i] = (uint8_t)(i * 31 + 7);
	fd = open(dev, O_RDWR | O_DIRECT);
	ASSERT_LE(0, fd);
	ASSERT_EQ(65536, pwrite(fd, w, 65536, 0)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(65536, pread(fd, r, 65536, 0));
	close(fd);
	EXPECT_EQ(0, memcmp(w, r, 65536));
	/* and it is in the target's backing file */
	fd = open(NS_FILE, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(65536, pread(fd, r, 65536, 0));
	close(fd);
	EXPECT_EQ(0, memcmp(w, r, 65536));
	/* both ends of each queue are kTLS sockets, TLS 1.3 */
	EXPECT_LE(2, tls_stat("TlsCurrTxSw"));
	EXPECT_LE(2, tls_stat("TlsCurrRxSw"));
	ss = popen("ss -tni 2>/dev/null", "r");
	ASSERT_NE(NULL, ss);
	while (fgets(buf, sizeof(buf), ss))
		tls13 |= strstr(buf, "tcp-ulp-tls version: 1.3") != NULL;
	pclose(ss);
	EXPECT_TRUE(tls13);
	nvme_disconnect(inst);
	/* the loop and the acceptor (READY and ACCEPT off the loop) */
	snprintf(p, sizeof(p), "ls /proc/%d/task | wc -l", self->d.pid);
	ss = popen(p, "r");
	ASSERT_NE(NULL, ss);
	ASSERT_NE(NULL, fgets(buf, sizeof(buf), ss));
	pclose(ss);
	EXPECT_EQ(2, atoi(buf));
	/* the acceptor runs at real-time priority, the loop does not */
	EXPECT_EQ(SCHED_FIFO, thread_policy(self->d.pid, "hsd-acceptor"));
	EXPECT_EQ(SCHED_OTHER, thread_policy(self->d.pid, "handshaked"));
	/* started warm: one handshake in memory before serving */
	EXPECT_TRUE(daemon_logged(&self->d, "warm-up handshake done"));
	EXPECT_TRUE(daemon_logged(&self->d, "role=client auth=psk version=TLSv1.3"));
	EXPECT_TRUE(daemon_logged(&self->d, "role=server auth=psk version=TLSv1.3"));
	free(w);
	free(r);
}

/*
 * The host's PSK sits in a keyring of its own, which the target does not
 * search: the handshake completes with unknown_psk_identity at once, the
 * host sees an error well before its 10 s handshake timeout.
 */
TEST_F(nvme, psk_unknown_to_the_target_fails_fast)
{
	key_serial_t ring, k;
	char extra[64];
	long ms;
	int inst;

	ring = add_key("keyring", "hsd-selftest", NULL, 0,
		       KEY_SPEC_PROCESS_KEYRING);
	ASSERT_LT(0, ring);
	k = add_key("psk", "NVMe0R01 " HOSTNQN " " SUBNQN, psk, sizeof(psk),
		    ring);
	ASSERT_LT(0, k);
	/* the daemon (same uid) must link and read them, as nvme-cli allows */
	ASSERT_EQ(0, keyctl_setperm(ring, KEY_POS_ALL | KEY_USR_ALL));
	ASSERT_EQ(0, keyctl_setperm(k, KEY_POS_ALL | KEY_USR_VIEW |
				    KEY_USR_READ | KEY_USR_SEARCH));
	/* and not in .nvme */
	ASSERT_EQ(0, keyctl_unlink(self->t.key, self->t.nvme));
	self->t.key = 0;
	snprintf(extra, sizeof(extra), ",keyring=%d,tls_key=%d", ring, k);
	inst = nvme_connect(&self->t, extra, &ms);
	if (inst >= 0)
		nvme_disconnect(inst);
	EXPECT_GT(0, inst);
	EXPECT_GT(5000, ms) TH_LOG("took %ld ms", ms);
	/* the lines follow the DONEs that failed the connect */
	EXPECT_TRUE(daemon_wait_logged(&self->d, "role=server auth=psk", DAEMON_WAIT_MS));
	EXPECT_TRUE(daemon_wait_logged(&self->d,
				       "result=Key was rejected by service", DAEMON_WAIT_MS))
		TH_LOG("%s", daemon_log(&self->d));
	keyctl_invalidate(k);
	keyctl_invalidate(ring);
}

/*
 * A PSK host connecting to a TLS server that ignores the PSK and sends a
 * certificate (openssl s_server with one, even one the host would trust)
 * must fail: our client refuses and DONE carries an error, never 0.
 */
TEST_F(nvme, psk_host_refuses_a_certificate_server)
{
	struct nvmet_target fake = self->t;
	struct sockaddr_in a = { .sin_family = AF_INET };
	char port[16];
	long ms;
	int inst, i, fd, up = 0;
	pid_t pid;

	fake.port = self->t.port + 500;
	snprintf(port, sizeof(port), "%d", 4420 + fake.port);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		execlp("openssl", "openssl", "s_server", "-quiet", "-tls1_3",
		       "-accept", port, "-cert", HSD_CERTS "/server-ec.pem",
		       "-key", HSD_CERTS "/server-ec.key", (char *)NULL);
		_exit(127);
	}
	a.sin_port = htons(4420 + fake.port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < 100 && !up; i++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		up = !connect(fd, (struct sockaddr *)&a, sizeof(a));
		close(fd);
		if (!up)
			usleep(50000);
	}
	ASSERT_TRUE(up);
	inst = nvme_connect(&fake, "", &ms);
	if (inst >= 0)
		nvme_disconnect(inst);
	EXPECT_GT(0, inst);
	EXPECT_TRUE(daemon_wait_logged(&self->d,
		"reason=\"server selected none of the offered PSKs\"", DAEMON_WAIT_MS))
		TH_LOG("%s", daemon_log(&self->d));
	EXPECT_FALSE(daemon_logged2(&self->d, "role=client", "result=ok"));
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

/*
 * The daemon offers no FFDHE by default: a client that offers only
 * ffdhe3072 (with the target's PSK) is refused at once, not computed for;
 * the same client with x25519 completes its handshake.
 */
TEST_F(nvme, target_offers_no_ffdhe_by_default)
{
	char cmd[1024], hex[65];
	int i, rc;

	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", psk[i]);
	for (i = 0; i < 2; i++) {
		snprintf(cmd, sizeof(cmd),
			 "timeout 5 %s client 127.0.0.1:%d --tls1.3 --groups %s "
			 "--psk-identity 'NVMe0R01 " HOSTNQN " " SUBNQN "' "
			 "--psk-key %s < /dev/null > /dev/null 2>&1",
			 KTLSH, 4420 + self->t.port, i ? "x25519" : "ffdhe3072",
			 hex);
		rc = system(cmd);
		(void)rc;
	}
	EXPECT_TRUE(daemon_wait_logged(&self->d,
		"reason=\"no key exchange group in common\"", DAEMON_WAIT_MS))
		TH_LOG("%s", daemon_log(&self->d));
	EXPECT_TRUE(daemon_wait_logged(&self->d, "group=x25519", DAEMON_WAIT_MS))
		TH_LOG("%s", daemon_log(&self->d));
}

/* no fd or memory growth in the daemon over 20 connect/disconnect cycles */
TEST_F(nvme, twenty_cycles_no_growth)
{
	unsigned long long served = 0, empty = 0;
	long fds0, rss0, ms;
	int i, inst, fails = 0;
	const char *p;

	inst = nvme_connect(&self->t, "", &ms);
	ASSERT_LE(0, inst);
	nvme_disconnect(inst);
	fds0 = daemon_fds(&self->d);
	rss0 = daemon_rss_kb(&self->d);
	for (i = 0; i < 20; i++) {
		inst = nvme_connect(&self->t, "", &ms);
		if (inst < 0) {
			fails++;
			continue;
		}
		nvme_disconnect(inst);
	}
	EXPECT_EQ(0, fails);
	EXPECT_EQ(fds0, daemon_fds(&self->d));
	/*
	 * The allocator may keep a little; a leak per handshake would not.
	 * Under ASan (HSD_DAEMON) freed memory sits in its quarantine by
	 * design: there its leak check at exit (daemon_stop) is the test.
	 */
	if (!daemon_sanitized())
		EXPECT_GT(rss0 + 2048, daemon_rss_kb(&self->d))
			TH_LOG("rss %ld -> %ld kB", rss0, daemon_rss_kb(&self->d));
	/*
	 * The two ends of a queue are taken with one write of 4 ACCEPTs (two
	 * refused), a wake that finds nothing costs 4: not one ACCEPT then a
	 * batch of 31 refusals per wake (the once-a-second poll adds 4).
	 */
	ASSERT_EQ(0, daemon_stop(&self->d));
	p = strstr(daemon_log(&self->d), "exit, ");
	ASSERT_NE(NULL, p);
	i = sscanf(p, "exit, %llu handshakes served, %*u failed, %llu ACCEPTs",
		   &served, &empty);
	ASSERT_EQ(2, i) TH_LOG("%s", p);
	EXPECT_LE(empty, 4 * served) TH_LOG("%llu refused for %llu served", empty, served);
}

/* a TCP connection to the target's TLS port, or -1 */
static int raw_connect(struct nvmet_target *t)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_port = htons(4420 + t->port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static int count(const char *log, const char *what)
{
	int n = 0;

	for (; (log = strstr(log, what)); log++)
		n++;
	return n;
}

/*
 * until every server handshake the daemon took is logged as ended, and at
 * least @n of them failed: 0 or -ETIMEDOUT
 */
static int wait_server_failures(const struct daemon *d, int n)
{
	const char *l;
	int i, taken, ok, failed;

	for (i = 0; i < 100; i++) {
		l = daemon_log(d);
		taken = count(l, " type 2 auth ");
		ok = count(l, "role=server auth=psk version=TLSv1.3 ");
		failed = count(l, "role=server auth=psk version=- ");
		if (failed >= n && ok + failed == taken)
			return 0;
		usleep(50000);
	}
	return -ETIMEDOUT;
}

/*
 * Hostile peers on the target's port: the target hands each to the daemon
 * as a server handshake. Some stall after half a record header, some
 * promise a full record and never send it, some send a record of garbage,
 * some a ClientHello with lengths pointing past its end. Meanwhile a real
 * host connects at once, the daemon stays up, and every hostile one ends
 * with an error of its own.
 */
TEST_F(nvme, hostile_peers_do_not_block_others)
{
	/* a whole ClientHello whose legacy_session_id runs past its end */
	uint8_t bad_hello[5 + 4 + 42] = {
		0x16, 0x03, 0x01, 0x00, 4 + 42,	/* record */
		0x01, 0x00, 0x00, 42,		/* ClientHello */
		0x03, 0x03,			/* legacy_version */
	};
	uint8_t junk[600];
	int fds[16], i, inst, n = 0;
	long ms;
	ssize_t w = 0;

	for (i = 0; i < (int)sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 7 + 3);
	bad_hello[5 + 4 + 2 + 32] = 0xff;	/* legacy_session_id length */
	/* a handshake record of 595 bytes */
	memcpy(junk, "\x16\x03\x01\x02\x53", 5);
	for (i = 0; i < 16; i++) {
		fds[i] = raw_connect(&self->t);
		ASSERT_LE(0, fds[i]);
		switch (i % 4) {
		case 0:
			w = send(fds[i], "\x16\x03", 2, 0);
			break;
		case 1:
			w = send(fds[i], "\x16\x03\x01\x40\x00", 5, 0);
			break;
		case 2:
			w = send(fds[i], junk, sizeof(junk), 0);
			break;
		case 3:
			w = send(fds[i], bad_hello, sizeof(bad_hello), 0);
			break;
		}
		ASSERT_LT(0, w);
		n++;
	}
	/* the hostile ones are with the daemon; a real host is served */
	usleep(300000);
	inst = nvme_connect(&self->t, "", &ms);
	ASSERT_LE(0, inst) TH_LOG("%s", daemon_log(&self->d));
	nvme_disconnect(inst);
	EXPECT_GT(5000, ms) TH_LOG("connect took %ld ms", ms);
	EXPECT_EQ(0, kill(self->d.pid, 0));
	/*
	 * Garbage fails at once, not at the deadline. The kernel may have
	 * refused some connections itself (a few requests may wait per
	 * netns), so look for one of each kind.
	 */
	for (i = 0; i < 100; i++) {
		if (daemon_logged(&self->d, "reason=\"handshake message of ") &&
		    daemon_logged(&self->d, "reason=\"malformed ClientHello\""))
			break;
		usleep(50000);
	}
	EXPECT_TRUE(daemon_logged(&self->d, "reason=\"handshake message of "))
		TH_LOG("%s", daemon_log(&self->d));
	EXPECT_TRUE(daemon_logged(&self->d, "reason=\"malformed ClientHello\""));
	/* the stalled ones end as soon as their peers go away */
	for (i = 0; i < 16; i++)
		close(fds[i]);
	EXPECT_EQ(0, wait_server_failures(&self->d, n / 4))
		TH_LOG("%s", daemon_log(&self->d));
	EXPECT_TRUE(daemon_logged(&self->d,
				  "result=Connection timed out reason=\"peer closed the connection\""));
	EXPECT_EQ(0, kill(self->d.pid, 0));
}

/*
 * SIGTERM with handshakes in flight (peers that stall): the daemon fails
 * each with DONE, so the target closes them, and is gone within 2 s.
 */
TEST_F(nvme, sigterm_fails_in_flight_and_exits)
{
	int fds[4], i, taken;
	struct timespec a, b;
	long ms;
	char c;

	for (i = 0; i < 4; i++) {
		fds[i] = raw_connect(&self->t);
		ASSERT_LE(0, fds[i]);
		ASSERT_EQ(5, send(fds[i], "\x16\x03\x01\x40\x00", 5, 0));
	}
	for (i = 0; i < 100; i++) {
		taken = count(daemon_log(&self->d), " type 2 auth ");
		if (taken >= 1)
			break;
		usleep(50000);
	}
	ASSERT_LE(1, taken);
	usleep(200000);
	taken = count(daemon_log(&self->d), " type 2 auth ");
	clock_gettime(CLOCK_MONOTONIC, &a);
	ASSERT_EQ(0, daemon_stop(&self->d));
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	/* ASan's leak check at exit runs on an emulated CPU: it gets longer */
	EXPECT_GT(daemon_sanitized() ? 10000 : 2000, ms);
	EXPECT_TRUE(WIFEXITED(self->d.status) && !WEXITSTATUS(self->d.status));
	/* every one taken was answered, and the kernel acknowledged it */
	EXPECT_EQ(taken, count(daemon_log(&self->d), "done=ok"))
		TH_LOG("%s", daemon_log(&self->d));
	/* and the target closed those connections */
	for (i = 0; i < 4; i++) {
		struct pollfd p = { .fd = fds[i], .events = POLLIN };

		EXPECT_EQ(1, poll(&p, 1, DAEMON_WAIT_MS)) TH_LOG("connection %d still open", i);
		EXPECT_GE(0, recv(fds[i], &c, 1, MSG_DONTWAIT));
		close(fds[i]);
	}
}

/*
 * NVMe TCP 3.6.1.3 identities beyond the retained SHA-256 one: "NVMe0R02"
 * (retained, SHA-384: a 48-byte PSK, TLS_AES_256_GCM_SHA384, which the
 * host prefers over SHA-256) and "NVMe0G01" (generated, as the in-band
 * authentication's secure channel concatenation makes them). Both ends
 * find the key by its identity and connect; the suite follows the hash.
 */
static void psk_connects_with(struct __test_metadata *_metadata,
			      FIXTURE_DATA(nvme) *self, const char *identity,
			      size_t len, const char *suite)
{
	uint8_t key[48];
	key_serial_t k;
	long ms;
	int inst;
	size_t i;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0xa5 ^ (i * 29));
	k = add_key("psk", identity, key, len, self->t.nvme);
	ASSERT_LT(0, k) TH_LOG("add_key %s: %s", identity, strerror(errno));
	inst = nvme_connect(&self->t, "", &ms);
	EXPECT_LE(0, inst) TH_LOG("connect: %s\n%s", strerror(-inst),
				  daemon_log(&self->d));
	if (inst >= 0)
		nvme_disconnect(inst);
	keyctl_unlink(k, self->t.nvme);
	EXPECT_TRUE(daemon_wait_logged(&self->d, "role=server auth=psk", DAEMON_WAIT_MS));
	EXPECT_TRUE(daemon_logged2(&self->d, "role=client", suite))
		TH_LOG("%s", daemon_log(&self->d));
	EXPECT_TRUE(daemon_logged2(&self->d, "role=server", suite));
	EXPECT_FALSE(daemon_logged(&self->d, "result=Key"));
}

TEST_F(nvme, retained_sha384_psk_connects)
{
	psk_connects_with(_metadata, self, "NVMe0R02 " HOSTNQN " " SUBNQN, 48,
			  "suite=TLS_AES_256_GCM_SHA384");
}

/*
 * cipher_suites and groups as tlshd negotiates (AES-256-GCM, P-384): the
 * retained NVMe0R01 PSK is bound to SHA-256 (RFC 8446 4.2.11), so both ends
 * take TLS_AES_128_GCM_SHA256 for it, and the listed group. Once refused
 * with "no certificate and no usable PSK". Both key shares are P-384 ones
 * made ahead while the daemon was idle (the pool once made X25519 only).
 */
TEST_F(nvme, sha256_psk_connects_when_cipher_suites_names_aes256_only)
{
	unsigned long long used = 0;
	const char *p;
	long ms;
	int inst, n;

	daemon_stop(&self->d);
	ASSERT_EQ(0, daemon_start(&self->d, "[handshaked]\ngroups=secp384r1\n"
				  "cipher_suites=TLS_AES_256_GCM_SHA384\n"));
	ASSERT_TRUE(daemon_wait_logged(&self->d, "idle: everything made ahead, 0 ",
				       DAEMON_WAIT_MS));
	inst = nvme_connect(&self->t, "", &ms);
	ASSERT_LE(0, inst) TH_LOG("connect: %s\n%s", strerror(-inst),
				  daemon_log(&self->d));
	nvme_disconnect(inst);
	EXPECT_TRUE(daemon_wait_logged(&self->d, "role=server auth=psk", DAEMON_WAIT_MS));
	EXPECT_TRUE(daemon_logged2(&self->d, "role=client auth=psk version=TLSv1.3",
				   "suite=TLS_AES_128_GCM_SHA256 group=secp384r1"))
		TH_LOG("%s", daemon_log(&self->d));
	EXPECT_TRUE(daemon_logged2(&self->d, "role=server auth=psk version=TLSv1.3",
				   "suite=TLS_AES_128_GCM_SHA256 group=secp384r1"));
	ASSERT_EQ(0, daemon_stop(&self->d));
	p = strstr(daemon_log(&self->d), "signatures on nonces made ahead, ");
	ASSERT_NE(NULL, p) TH_LOG("%s", daemon_log(&self->d));
	n = sscanf(p, "signatures on nonces made ahead, %llu secp384r1 key shares",
		   &used);
	EXPECT_EQ(1, n) TH_LOG("%s", p);
	/* a client and a server share for each queue's handshake */
	EXPECT_LE(2ULL, used) TH_LOG("%s", p);
}

TEST_F(nvme, generated_psk_connects)
{
	/* the retained one would be preferred: only the generated one here */
	nvmet_psk_del(&self->t);
	psk_connects_with(_metadata, self, "NVMe0G01 " HOSTNQN " " SUBNQN, 32,
			  "suite=TLS_AES_128_GCM_SHA256");
}

/*
 * A hostile NVMe/TCP "target" for the host side (the daemon in the client
 * role): listens on @t's port, takes one connection, reads the ClientHello
 * and then stalls (@garbage false) or sends a record of an unknown type.
 * Writes the alert description it got back, or -1 for a close without
 * one, to @out_fd, then exits (within 60 s whatever happens: SIGALRM).
 * Returns the child's pid; the caller closes its copy of @out_fd, so a
 * child that died reads as EOF, not as a hang.
 */
static pid_t hostile_target(struct nvmet_target *t, bool garbage, int out_fd)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_port = htons(4420 + t->port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int one = 1, ls, fd, ready[2];
	uint8_t b[16384], got = 0;
	ssize_t r;
	pid_t pid;

	if (pipe(ready))
		return -1;
	pid = fork();
	if (pid) {
		close(ready[1]);
		if (pid > 0 && read(ready[0], &got, 1) != 1)
			pid = -1;
		close(ready[0]);
		return pid;
	}
	close(ready[0]);
	alarm(60);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 4))
		_exit(1);
	if (write(ready[1], "", 1) != 1)
		_exit(1);
	fd = accept(ls, NULL, NULL);
	if (fd < 0 || recv(fd, b, sizeof(b), 0) <= 0)
		_exit(1);
	if (garbage && send(fd, "\x63\x03\x03\x00\x02\x00\x00", 7, 0) != 7)
		_exit(1);
	/* a stall lasts until the peer gives up */
	r = recv(fd, b, sizeof(b), 0);
	got = r >= 7 && b[0] == 21 ? b[6] : 0xff;
	if (write(out_fd, &got, 1) != 1)
		_exit(1);
	_exit(0);
}

/*
 * A target that takes the ClientHello and never answers: the daemon ends
 * the handshake at its own deadline (timeout_ms, here shorter than the
 * kernel's tls_handshake_timeout of 10 s), DONE carries ETIMEDOUT, and the
 * connect fails then, not at the kernel's timeout.
 */
TEST_F(nvme, stalled_target_fails_at_the_deadline)
{
	struct nvmet_target fake = self->t;
	uint8_t got = 0;
	int inst, out[2];
	long ms;
	pid_t pid;

	daemon_stop(&self->d);
	ASSERT_EQ(0, daemon_start(&self->d, "[handshaked]\ntimeout_ms=1500\n"));
	ASSERT_EQ(0, pipe(out));
	fake.port = self->t.port + 600;
	pid = hostile_target(&fake, false, out[1]);
	close(out[1]);
	ASSERT_LT(0, pid);
	inst = nvme_connect(&fake, "", &ms);
	if (inst >= 0)
		nvme_disconnect(inst);
	EXPECT_GT(0, inst);
	EXPECT_GT(10000, ms) TH_LOG("took %ld ms: the kernel's timeout, not ours", ms);
	EXPECT_TRUE(daemon_wait_logged(&self->d, "reason=\"deadline passed\"",
				       DAEMON_WAIT_MS))
		TH_LOG("%s", daemon_log(&self->d));
	EXPECT_TRUE(daemon_logged2(&self->d, "role=client", "deadline passed"));
	/* given up without an alert: the stalled peer sees the close */
	ASSERT_EQ(1, read(out[0], &got, 1));
	EXPECT_EQ(0xff, got);
	waitpid(pid, NULL, 0);
	close(out[0]);
}

/*
 * A target that answers the ClientHello with a record of an unknown type:
 * the daemon's client sends unexpected_message (RFC 8446 5) at once and
 * DONE carries the error.
 */
TEST_F(nvme, garbage_from_the_target_gets_unexpected_message)
{
	struct nvmet_target fake = self->t;
	uint8_t got = 0;
	int inst, out[2];
	long ms;
	pid_t pid;

	ASSERT_EQ(0, pipe(out));
	fake.port = self->t.port + 700;
	pid = hostile_target(&fake, true, out[1]);
	close(out[1]);
	ASSERT_LT(0, pid);
	inst = nvme_connect(&fake, "", &ms);
	if (inst >= 0)
		nvme_disconnect(inst);
	EXPECT_GT(0, inst);
	ASSERT_EQ(1, read(out[0], &got, 1));
	EXPECT_EQ(10, got);	/* unexpected_message */
	EXPECT_TRUE(daemon_wait_logged(&self->d, "reason=\"not a TLS record (type 99)\"",
				       DAEMON_WAIT_MS))
		TH_LOG("%s", daemon_log(&self->d));
	EXPECT_FALSE(daemon_logged2(&self->d, "role=client", "result=ok"));
	waitpid(pid, NULL, 0);
	close(out[0]);
}

/* with no daemon the kernel refuses the request at once */
TEST_F(nvme, no_daemon_fails_at_once)
{
	long ms;
	int inst;

	daemon_stop(&self->d);
	inst = nvme_connect(&self->t, "", &ms);
	if (inst >= 0)
		nvme_disconnect(inst);
	EXPECT_GT(0, inst);
	EXPECT_GT(3000, ms);
}

/* killed mid-handshake: the host gets an error, a new daemon serves */
TEST_F(nvme, daemon_killed_then_restarted)
{
	long ms;
	int inst;

	/* SIGSTOP: requests pile up unanswered, then the daemon dies */
	kill(self->d.pid, SIGSTOP);
	if (fork() == 0) {
		usleep(1500000);
		kill(self->d.pid, SIGKILL);
		_exit(0);
	}
	inst = nvme_connect(&self->t, "", &ms);
	if (inst >= 0)
		nvme_disconnect(inst);
	EXPECT_GT(0, inst);
	wait(NULL);
	daemon_reap(&self->d);
	ASSERT_EQ(0, daemon_start(&self->d, NULL));
	inst = nvme_connect(&self->t, "", &ms);
	ASSERT_LE(0, inst) TH_LOG("%s", daemon_log(&self->d));
	nvme_disconnect(inst);
}

TEST_HARNESS_MAIN
