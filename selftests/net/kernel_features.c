// SPDX-License-Identifier: GPL-2.0
/*
 * Our kernel-facing calls against the kernel features handshaked stands
 * on: kTLS (TCP_ULP "tls", then keys) and the `handshake` generic-netlink
 * family with its "tlshd" group. What is tested is our code: the probes,
 * hsd_ktls_attach() and hsd_ktls_set_key() and their error paths, the
 * upcall socket, the daemon's start. On our test kernels
 * (selftests/vm/run sets HSD_VM_KERNEL) the features must be there, the
 * upcall from Linux 6.4 on and absent before (Debian 12's 6.1); on
 * another kernel their absence is a skip with the reason, not a pass.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "handshaked/kernel/kabi.h"
#include "handshaked/kernel/ktls.h"
#include "handshaked/kernel/probe.h"
#include "handshaked/kernel/upcall.h"

static int in_test_vm(void)
{
	return getenv("HSD_VM_KERNEL") != NULL;
}

/* the running kernel is @maj.@min or later */
static bool kernel_at_least(int maj, int min)
{
	struct utsname u;
	int a = 0, b = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &a, &b) != 2)
		return false;
	return a > maj || (a == maj && b >= min);
}

/* a test kernel that must have the handshake upcall (net/handshake: 6.4+) */
static bool upcall_expected(void)
{
	return in_test_vm() && kernel_at_least(6, 4);
}

/* a test kernel older than the upcall: its absence is what must be seen */
static bool upcall_absent_expected(void)
{
	return in_test_vm() && !kernel_at_least(6, 4);
}

/* the probe and the attach agree: the ULP on an established connection */
TEST(attach_on_a_connected_socket)
{
	int err = hsd_probe_ulp_tls(), fds[2];

	if (err && !in_test_vm())
		SKIP(return, "kTLS %s", hsd_probe_strerror(err));
	ASSERT_EQ(0, err) TH_LOG("kTLS: %s", hsd_probe_strerror(err));
	ASSERT_EQ(0, hsd_tcp_loopback_pair(fds));
	EXPECT_EQ(0, hsd_ktls_attach(fds[0]));
	close(fds[0]);
	close(fds[1]);
}

/*
 * The ULP attaches only to an established connection: our attach passes
 * the kernel's refusal on as -errno (the daemon then stays in user space).
 */
TEST(attach_refuses_a_listening_socket)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int fd, err = hsd_probe_ulp_tls();

	if (err && !in_test_vm())
		SKIP(return, "kTLS %s", hsd_probe_strerror(err));
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&sa, sizeof(sa)));
	ASSERT_EQ(0, listen(fd, 1));
	err = hsd_ktls_attach(fd);
	EXPECT_TRUE(err == -ENOTCONN || err == -EINVAL) TH_LOG("attach: %d", err);
	close(fd);
}

/* a key for a socket without the ULP: refused with -errno, nothing set */
TEST(set_key_without_attach_is_refused)
{
	struct hs_traffic t = {
		.version = HS_TLS13,
		.aead = hsd_aead_desc(HSD_AES_128_GCM),
	};
	int fds[2], err;

	ASSERT_NE(NULL, t.aead);
	ASSERT_EQ(0, hsd_tcp_loopback_pair(fds));
	err = hsd_ktls_set_key(fds[0], true, &t);
	EXPECT_GT(0, err);
	/* still a plain TCP socket: bytes go out as they are */
	EXPECT_EQ(3, send(fds[0], "abc", 3, 0));
	close(fds[0]);
	close(fds[1]);
}

TEST(handshake_family_has_tlshd_group)
{
	int fid = -1, gid = -1, err;

	err = hsd_probe_genl(HANDSHAKE_FAMILY_NAME, HANDSHAKE_MCGRP_TLSHD,
			     &fid, &gid);
	if (upcall_absent_expected()) {
		EXPECT_EQ(-ENOENT, err);
		return;
	}
	if (err == -ENOENT && !upcall_expected())
		SKIP(return, "handshake netlink family %s",
		     hsd_probe_strerror(err));
	ASSERT_EQ(0, err) TH_LOG("handshake family: %s",
				 hsd_probe_strerror(err));
	EXPECT_LT(0, fid);
	EXPECT_LT(0, gid);
}

/*
 * The READY socket holds thousands: a READY that does not fit fails the
 * request it announces (handshake_genl_notify() -> -ESRCH).
 */
TEST(ready_socket_has_room_for_a_burst)
{
	struct hsd_upcall *u;
	socklen_t len = sizeof(int);
	int sz = 0, err;

	err = hsd_upcall_open(&u);
	if (upcall_absent_expected()) {
		EXPECT_EQ(-ENOENT, err);
		return;
	}
	if (err == -ENOENT && !upcall_expected())
		SKIP(return, "no handshake netlink family here");
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, getsockopt(hsd_upcall_fd(u), SOL_SOCKET, SO_RCVBUF, &sz,
				&len));
	/* the kernel reports twice what was set (socket(7)) */
	EXPECT_LE(4 << 20, sz);
	hsd_upcall_close(u);
}

/* handshaked -f with an empty config; its stderr on @err_fd */
static pid_t daemon_run(int *err_fd)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (!pid) {
		dup2(p[1], 2);
		execl(HANDSHAKED, "handshaked", "-f", "-c", "/dev/null", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	*err_fd = p[0];
	return pid;
}

/* what the daemon wrote to stderr until @until shows up or EOF, at most @ms */
static size_t read_until(int fd, char *buf, size_t cap, const char *until, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t n = 0;
	ssize_t r;

	buf[0] = 0;
	while (n + 1 < cap && !(until && strstr(buf, until)) &&
	       poll(&pfd, 1, ms) == 1) {
		r = read(fd, buf + n, cap - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		buf[n] = 0;
	}
	return n;
}

/*
 * handshaked follows the kernel: with the handshake family it serves
 * (and stops cleanly on SIGTERM); without it (Linux before 6.4, such as
 * Debian 12's 6.1) it exits at once with status 3 and one line saying
 * so, the status handshaked.service does not restart on.
 */
TEST(daemon_serves_or_says_the_upcall_is_missing)
{
	bool family = !hsd_probe_genl(HANDSHAKE_FAMILY_NAME, HANDSHAKE_MCGRP_TLSHD,
				      NULL, NULL);
	char out[4096];
	int fd, st;
	pid_t pid;

	if (upcall_expected())
		ASSERT_TRUE(family);
	if (upcall_absent_expected())
		ASSERT_FALSE(family);
	pid = daemon_run(&fd);
	ASSERT_LT(0, pid);
	if (family) {
		read_until(fd, out, sizeof(out), "serving", 20000);
		EXPECT_NE(NULL, strstr(out, "serving")) TH_LOG("%s", out);
		kill(pid, SIGTERM);
		ASSERT_EQ(pid, waitpid(pid, &st, 0));
		EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) TH_LOG("status %#x", st);
	} else {
		/* EOF: it exited; the pipe holds everything it said */
		read_until(fd, out, sizeof(out), NULL, 10000);
		ASSERT_EQ(pid, waitpid(pid, &st, 0));
		EXPECT_TRUE(WIFEXITED(st)) TH_LOG("status %#x", st);
		EXPECT_EQ(3, WEXITSTATUS(st)) TH_LOG("%s", out);
		EXPECT_NE(NULL, strstr(out, "this kernel has no handshake upcall (Linux 6.4+ needed"))
			TH_LOG("%s", out);
		/* one line */
		EXPECT_EQ(strchr(out, '\n'), strrchr(out, '\n')) TH_LOG("%s", out);
		ASSERT_NE(0U, strlen(out));
		EXPECT_EQ('\n', out[strlen(out) - 1]);
	}
	close(fd);
}

TEST(unknown_genl_family_is_enoent)
{
	EXPECT_EQ(-ENOENT, hsd_probe_genl("hsd-no-such-family", NULL, NULL,
					  NULL));
}

TEST_HARNESS_MAIN
