// SPDX-License-Identifier: GPL-2.0
/*
 * Our kernel-facing calls against the kernel features handshaked stands
 * on: kTLS (TCP_ULP "tls", then keys) and the `handshake` generic-netlink
 * family with its "tlshd" group. What is tested is our code: the probes,
 * hsd_ktls_attach() and hsd_ktls_set_key() and their error paths, the
 * upcall socket. On our test kernels (selftests/vm/run sets
 * HSD_VM_KERNEL) the features must be there; on another kernel their
 * absence is a skip with the reason, not a pass.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "handshaked/kabi.h"
#include "handshaked/ktls.h"
#include "handshaked/probe.h"
#include "handshaked/upcall.h"

static int in_test_vm(void)
{
	return getenv("HSD_VM_KERNEL") != NULL;
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
	if (err == -ENOENT && !in_test_vm())
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
	if (err == -ENOENT && !in_test_vm())
		SKIP(return, "no handshake netlink family here");
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, getsockopt(hsd_upcall_fd(u), SOL_SOCKET, SO_RCVBUF, &sz,
				&len));
	/* the kernel reports twice what was set (socket(7)) */
	EXPECT_LE(4 << 20, sz);
	hsd_upcall_close(u);
}

TEST(unknown_genl_family_is_enoent)
{
	EXPECT_EQ(-ENOENT, hsd_probe_genl("hsd-no-such-family", NULL, NULL,
					  NULL));
}

TEST_HARNESS_MAIN
