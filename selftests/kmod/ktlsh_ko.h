/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Loading kmod/ktlsh.ko in a test kernel: only into the kernel it was
 * built for (its vermagic), else a skip with the reason.
 */
#ifndef HSD_TEST_KTLSH_KO_H
#define HSD_TEST_KTLSH_KO_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef KTLSH_KO
#define KTLSH_KO "kmod/ktlsh.ko"
#endif

/* "6.12.117+deb12-amd64 SMP preempt mod_unload modversions " -> release */
static inline int ko_vermagic(const char *path, char *buf, size_t len)
{
	char cmd[512];
	FILE *p;
	int ok;

	snprintf(cmd, sizeof(cmd), "modinfo -F vermagic '%s' 2>/dev/null", path);
	p = popen(cmd, "r");
	if (!p)
		return -errno;
	ok = fgets(buf, (int)len, p) != NULL;
	pclose(p);
	if (!ok)
		return -ENOENT;
	buf[strcspn(buf, "\n ")] = 0;
	return 0;
}

/*
 * Why ktlsh.ko cannot be loaded here (into @why), or "" if it can: not
 * built, or built for another kernel.
 */
static inline void ko_unusable(char *why, size_t cap)
{
	char vermagic[128];
	struct utsname u;

	why[0] = 0;
	if (ko_vermagic(KTLSH_KO, vermagic, sizeof(vermagic))) {
		snprintf(why, cap, "%s not built (make modules)", KTLSH_KO);
		return;
	}
	/* the reason names no host kernel: selftests/expected holds it */
	if (uname(&u) || strcmp(vermagic, u.release))
		snprintf(why, cap,
			 "ktlsh.ko is built for %s, not this kernel (other kernels need their own kbuild)",
			 vermagic);
}

/* load it with @params ("" for none): 0, or -errno (EEXIST: it was) */
static inline int ko_load(const char *params)
{
	int fd = open(KTLSH_KO, O_RDONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, params, 0))
		err = -errno;
	close(fd);
	return err;
}

static inline int ko_unload(void)
{
	return syscall(SYS_delete_module, "ktlsh", O_NONBLOCK) ? -errno : 0;
}

#endif
