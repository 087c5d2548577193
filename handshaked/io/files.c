// SPDX-License-Identifier: GPL-2.0
/*
 * Files served beneath a root: openat2() with RESOLVE_BENEATH and
 * RESOLVE_NO_MAGICLINKS (Linux 5.6+), so "..", absolute symlinks and
 * symlinks leading out of the root fail in the kernel's path walk, by
 * construction, whatever the request's bytes were.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "handshaked/io/files.h"

static int open_beneath(int dirfd, const char *path)
{
	struct open_how how = {
		/* O_NONBLOCK: a FIFO under the root must not hang the thread */
		.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

int hsd_file_open(int rootfd, const char *path, struct stat *st, bool *index)
{
	int fd, idx;

	*index = false;
	/* the request's "/a/b" is "a/b" beneath the root; "/" the root */
	while (*path == '/')
		path++;
	fd = open_beneath(rootfd, *path ? path : ".");
	if (fd < 0)
		return fd;
	if (fstat(fd, st)) {
		idx = -errno;
		close(fd);
		return idx;
	}
	if (S_ISDIR(st->st_mode)) {
		/* a directory is served by its index.html */
		idx = open_beneath(fd, "index.html");
		close(fd);
		if (idx < 0)
			return idx == -ENOENT ? -EISDIR : idx;
		fd = idx;
		*index = true;
		if (fstat(fd, st)) {
			idx = -errno;
			close(fd);
			return idx;
		}
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return -EPERM;
	}
	/*
	 * A regular file: blocking again, or io_uring's reads may end in
	 * -EAGAIN on a page-cache miss where the file system cannot wait
	 * without blocking (NFS, FUSE).
	 */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)) {
		idx = -errno;
		close(fd);
		return idx;
	}
	return fd;
}

int hsd_file_status(int err)
{
	switch (err) {
	case -ENOENT:
	case -ENOTDIR:
	case -ENAMETOOLONG:
	case -EISDIR:		/* a directory without index.html */
		return 404;
	case -EXDEV:		/* it would leave the root */
	case -ELOOP:		/* a magic link, or too many links */
	case -EACCES:
	case -EPERM:		/* not a regular file */
		return 403;
	case -EMFILE:
	case -ENFILE:
	case -ENOMEM:
		return 503;
	default:
		return 500;
	}
}
