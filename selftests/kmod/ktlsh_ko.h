/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Loading ktlsh.ko in a test kernel: make modules puts one per kernel
 * in KTLSH_MODULES/RELEASE/ktlsh.ko (kmod/build); the one for the running
 * kernel is loaded if its vermagic names it, else a skip with the reason.
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

#ifndef KTLSH_MODULES
#define KTLSH_MODULES "build/modules"
#endif

/* the module built for the running kernel (which may not exist) */
static inline void ko_path(char *buf, size_t cap)
{
	struct utsname u;

	if (uname(&u))
		snprintf(u.release, sizeof(u.release), "unknown");
	snprintf(buf, cap, "%s/%s/ktlsh.ko", KTLSH_MODULES, u.release);
}

/* "6.12.117+deb12-amd64 SMP preempt mod_unload modversions " -> release */
static inline int ko_vermagic(const char *path, char *buf, size_t len)
{
	char cmd[600];
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
	char vermagic[128], path[512];
	struct utsname u;

	why[0] = 0;
	ko_path(path, sizeof(path));
	/* the reasons name no kernel: selftests/expected holds them */
	if (access(path, R_OK)) {
		snprintf(why, cap,
			 "no ktlsh.ko for this kernel (make modules builds 6.12 and 7.3, KDIR= others)");
		return;
	}
	if (ko_vermagic(path, vermagic, sizeof(vermagic)) || uname(&u) ||
	    strcmp(vermagic, u.release))
		snprintf(why, cap, "the ktlsh.ko for this kernel has another vermagic");
}

/* load it with @params ("" for none): 0, or -errno (EEXIST: it was) */
static inline int ko_load(const char *params)
{
	char path[512];
	int fd, err = 0;

	ko_path(path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
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
