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
#include "selftests/kmod/ktlsh_ko.h"

FIXTURE(module)
{
	int loaded;
};

FIXTURE_SETUP(module)
{
	char why[256];
	int err;

	self->loaded = 0;
	ko_unusable(why, sizeof(why));
	if (why[0])
		SKIP(return, "%s", why);
	err = ko_load("");
	if (err == -EPERM)
		SKIP(return, "cannot load modules here (EPERM)");
	ASSERT_TRUE(!err || err == -EEXIST) TH_LOG("finit_module: %s", strerror(-err));
	self->loaded = 1;
}

FIXTURE_TEARDOWN(module)
{
	if (self->loaded)
		EXPECT_EQ(0, ko_unload());
}

TEST_F(module, family_answers_get_info)
{
	struct hsd_ktlsh_info info;

	ASSERT_EQ(0, hsd_ktlsh_get_info(&info));
	EXPECT_STREQ("0.2", info.version);
	EXPECT_EQ(1U, info.handshake_version);
}

TEST_F(module, family_gone_after_unload)
{
	struct hsd_ktlsh_info info;

	ASSERT_EQ(0, ko_unload());
	self->loaded = 0;
	EXPECT_EQ(-ENOENT, hsd_ktlsh_get_info(&info));
}

TEST_HARNESS_MAIN
