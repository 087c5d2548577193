// SPDX-License-Identifier: GPL-2.0
/*
 * kmod/ktlsh.ko loads into the test kernel it was built for and answers on
 * its generic-netlink family. The module is built against Debian's 6.12
 * headers on this host; other kernels are a skip with the reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "handshaked/kernel/ktlsh_nl.h"

#ifndef KTLSH_KO
#define KTLSH_KO "kmod/ktlsh.ko"
#endif

/* "6.12.117+deb12-amd64 SMP preempt mod_unload modversions " -> release */
static int module_vermagic(const char *path, char *buf, size_t len)
{
	char cmd[512];
	FILE *p;
	int ok;

	snprintf(cmd, sizeof(cmd), "modinfo -F vermagic '%s' 2>/dev/null", path);
	p = popen(cmd, "r");
	if (!p)
		return -errno;
	ok = fgets(buf, len, p) != NULL;
	pclose(p);
	if (!ok)
		return -ENOENT;
	buf[strcspn(buf, "\n ")] = 0;
	return 0;
}

FIXTURE(module)
{
	int loaded;
};

FIXTURE_SETUP(module)
{
	char vermagic[128];
	struct utsname u;
	int fd;

	self->loaded = 0;
	if (module_vermagic(KTLSH_KO, vermagic, sizeof(vermagic)))
		SKIP(return, "%s not built (make modules)", KTLSH_KO);
	ASSERT_EQ(0, uname(&u));
	/* the reason names no host kernel: selftests/expected holds it */
	if (strcmp(vermagic, u.release)) {
		TH_LOG("this kernel is %s", u.release);
		SKIP(return,
		     "ktlsh.ko is built for %s, not this kernel (other kernels need their own kbuild)",
		     vermagic);
	}
	fd = open(KTLSH_KO, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	if (syscall(SYS_finit_module, fd, "", 0) && errno != EEXIST) {
		int err = errno;

		close(fd);
		if (err == EPERM)
			SKIP(return, "cannot load modules here (EPERM)");
		ASSERT_EQ(0, err) TH_LOG("finit_module: %s", strerror(err));
	}
	close(fd);
	self->loaded = 1;
}

FIXTURE_TEARDOWN(module)
{
	if (self->loaded)
		EXPECT_EQ(0, syscall(SYS_delete_module, "ktlsh", O_NONBLOCK));
}

TEST_F(module, family_answers_get_info)
{
	struct hsd_ktlsh_info info;

	ASSERT_EQ(0, hsd_ktlsh_get_info(&info));
	EXPECT_STREQ("0.1", info.version);
	EXPECT_EQ(1U, info.handshake_version);
}

TEST_F(module, family_gone_after_unload)
{
	struct hsd_ktlsh_info info;

	ASSERT_EQ(0, syscall(SYS_delete_module, "ktlsh", O_NONBLOCK));
	self->loaded = 0;
	EXPECT_EQ(-ENOENT, hsd_ktlsh_get_info(&info));
}

TEST_HARNESS_MAIN
