/* SPDX-License-Identifier: GPL-2.0 */
/* Files served beneath a root directory, never outside it. */
#ifndef HSD_FILES_H
#define HSD_FILES_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

/*
 * Open the request path @path ("/a/b", percent-decoded) beneath the
 * directory @rootfd for reading: a regular file, or a directory's
 * index.html (then *index is true). The fd (with *st filled), or -errno: -EXDEV or -ELOOP when
 * the path would leave the root, -EPERM for what is not a regular file,
 * -EISDIR for a directory without index.html, -ENOENT, ...
 */
int hsd_file_open(int rootfd, const char *path, struct stat *st, bool *index);
/* the HTTP status for hsd_file_open()'s error (404, 403, 503, 500) */
int hsd_file_status(int err);

/*
 * Open files kept for a while (like nginx's open_file_cache): a request
 * for a path opened less than @valid_ms ago shares that open file, no
 * path walk, no dup() and no close() per request (the file is read at
 * explicit offsets only, so one open file serves every reader). A file
 * replaced or removed meanwhile is served as it was for at most
 * @valid_ms. One per thread: no locking.
 */
#define HSD_FILE_CACHE_SLOTS 64

struct hsd_file_cache {
	unsigned int valid_ms;		/* 0: off, every request opens */
	struct hsd_cached_file {
		int fd;			/* -1: empty */
		unsigned int refs;	/* requests using it: not dropped */
		uint64_t hash, expires_ms;
		char *path;
		struct stat st;
		bool index;
	} e[HSD_FILE_CACHE_SLOTS];
	uint64_t hits, misses;
};

void hsd_file_cache_init(struct hsd_file_cache *fc, unsigned int valid_ms);
/*
 * As hsd_file_open(), through the cache. *slot says whose the fd is: the
 * cache's (>= 0), or the caller's (-1, as when the cache is off or the
 * entry is busy with an older open of the path). Either way it goes
 * back with hsd_file_cache_put().
 */
int hsd_file_cache_get(struct hsd_file_cache *fc, int rootfd, const char *path,
		       uint64_t now_ms, struct stat *st, bool *index, int *slot);
void hsd_file_cache_put(struct hsd_file_cache *fc, int fd, int slot);
/* references held: gets not yet matched by a put */
unsigned int hsd_file_cache_in_use(const struct hsd_file_cache *fc);
/* close what expired and is not in use (@now_ms UINT64_MAX: all of it) */
void hsd_file_cache_expire(struct hsd_file_cache *fc, uint64_t now_ms);

#endif
