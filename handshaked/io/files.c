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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "handshaked/io/files.h"

/*
 * O_PATH: nothing is opened for I/O yet, so a device node or a FIFO under
 * the root is looked at (fstat), never opened: no driver's open() runs,
 * no FIFO waits for a writer.
 */
static int open_beneath(int dirfd, const char *path, int flags)
{
	struct open_how how = {
		/* openat2 refuses O_NOCTTY with O_PATH: EINVAL */
		.flags = (unsigned int)flags | O_CLOEXEC |
			 (flags & O_PATH ? 0 : O_NOCTTY),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

/*
 * The regular file behind @pfd (O_PATH), opened for reading. Through its
 * /proc/self/fd link: the very inode that was checked, not the path
 * again (which could have changed meanwhile). Without /proc, the path is
 * opened once more, without blocking, and must be the same inode.
 */
static int reopen(int pfd, int rootfd, const char *path, const struct stat *st)
{
	struct stat again;
	char link[32];
	int fd;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", pfd);
	fd = open(link, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0 || errno != ENOENT)
		return fd >= 0 ? fd : -errno;
	fd = open_beneath(rootfd, path, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return fd;
	if (fstat(fd, &again) || again.st_ino != st->st_ino ||
	    again.st_dev != st->st_dev ||
	    fcntl(fd, F_SETFL, O_RDONLY)) {	/* blocking: io_uring READ waits */
		close(fd);
		return -EAGAIN;
	}
	return fd;
}

int hsd_file_open(int rootfd, const char *path, struct stat *st, bool *index)
{
	int pfd, fd, err;

	*index = false;
	/* the request's "/a/b" is "a/b" beneath the root; "/" the root */
	while (*path == '/')
		path++;
	if (!*path)
		path = ".";
	pfd = open_beneath(rootfd, path, O_PATH);
	if (pfd < 0)
		return pfd;
	if (fstat(pfd, st)) {
		err = -errno;
		close(pfd);
		return err;
	}
	if (S_ISDIR(st->st_mode)) {
		/* a directory is served by its index.html */
		fd = open_beneath(pfd, "index.html", O_PATH);
		if (fd < 0) {
			close(pfd);
			return fd == -ENOENT ? -EISDIR : fd;
		}
		if (fstat(fd, st)) {
			err = -errno;
			close(fd);
			close(pfd);
			return err;
		}
		if (S_ISREG(st->st_mode))
			err = reopen(fd, pfd, "index.html", st);
		else
			err = -EPERM;
		close(fd);
		close(pfd);
		if (err >= 0)
			*index = true;
		return err;
	}
	/* a regular file only: no device, FIFO or socket */
	err = S_ISREG(st->st_mode) ? reopen(pfd, rootfd, path, st) : -EPERM;
	close(pfd);
	return err;
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

/* ---- the open-file cache ---- */

void hsd_file_cache_init(struct hsd_file_cache *fc, unsigned int valid_ms)
{
	size_t i;

	memset(fc, 0, sizeof(*fc));
	fc->valid_ms = valid_ms;
	for (i = 0; i < HSD_FILE_CACHE_SLOTS; i++)
		fc->e[i].fd = -1;
}

static void drop(struct hsd_cached_file *e)
{
	if (e->fd >= 0)
		close(e->fd);
	free(e->path);
	e->path = NULL;
	e->fd = -1;
	e->refs = 0;
}

/* FNV-1a: the slot; the path itself is compared */
static uint64_t path_hash(const char *p)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*p)
		h = (h ^ (uint8_t)*p++) * 0x100000001b3ULL;
	return h;
}

int hsd_file_cache_get(struct hsd_file_cache *fc, int rootfd, const char *path,
		       uint64_t now_ms, struct stat *st, bool *index, int *slot)
{
	uint64_t h = path_hash(path);
	size_t i = h % HSD_FILE_CACHE_SLOTS;
	struct hsd_cached_file *e = &fc->e[i];
	int fd;

	*slot = -1;
	if (!fc->valid_ms)
		return hsd_file_open(rootfd, path, st, index);
	if (e->fd >= 0 && e->hash == h && now_ms < e->expires_ms &&
	    !strcmp(e->path, path)) {
		e->refs++;
		*st = e->st;
		*index = e->index;
		*slot = (int)i;
		fc->hits++;
		return e->fd;
	}
	fc->misses++;
	fd = hsd_file_open(rootfd, path, st, index);
	/* a slot still in use keeps what it has: this open is the caller's */
	if (fd < 0 || e->refs)
		return fd;
	drop(e);
	e->path = strdup(path);
	if (!e->path)
		return fd;	/* not kept: served all the same */
	e->fd = fd;
	e->refs = 1;
	e->hash = h;
	e->st = *st;
	e->index = *index;
	e->expires_ms = now_ms + fc->valid_ms;
	*slot = (int)i;
	return fd;
}

void hsd_file_cache_put(struct hsd_file_cache *fc, int fd, int slot)
{
	if (slot < 0) {
		if (fd >= 0)
			close(fd);
		return;
	}
	if (fc->e[slot].refs)
		fc->e[slot].refs--;
}

unsigned int hsd_file_cache_in_use(const struct hsd_file_cache *fc)
{
	unsigned int n = 0;
	size_t i;

	for (i = 0; i < HSD_FILE_CACHE_SLOTS; i++)
		n += fc->e[i].refs;
	return n;
}

void hsd_file_cache_expire(struct hsd_file_cache *fc, uint64_t now_ms)
{
	size_t i;

	for (i = 0; i < HSD_FILE_CACHE_SLOTS; i++)
		if (fc->e[i].fd >= 0 && now_ms >= fc->e[i].expires_ms &&
		    (!fc->e[i].refs || now_ms == UINT64_MAX))
			drop(&fc->e[i]);
}
