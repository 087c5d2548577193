// SPDX-License-Identifier: GPL-2.0
/*
 * Files are opened beneath the served root only (handshaked/io/files.c):
 * every way out (.., absolute and escaping symlinks, magic links) fails in
 * the kernel's path walk; what stays inside is served; what is not a
 * regular file is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "handshaked/http/http.h"
#include "handshaked/io/files.h"

FIXTURE(root) {
	char top[64];
	int rootfd;
};

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/*
 * top/outside.txt, top/root/ the served root:
 *   a.txt  dir/index.html  empty/  in -> a.txt  out -> ../outside.txt
 *   abs -> /etc/hostname  dirlink -> dir  fifo  null (1,3)  proc -> /proc/self/root
 */
FIXTURE_SETUP(root)
{
	char p[128];

	snprintf(self->top, sizeof(self->top), "/tmp/hsd-beneath.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->top));
#define AT(x) (snprintf(p, sizeof(p), "%s/%s", self->top, x), p)
	put(AT("outside.txt"), "secret\n");
	ASSERT_EQ(0, mkdir(AT("root"), 0755));
	put(AT("root/a.txt"), "a\n");
	ASSERT_EQ(0, mkdir(AT("root/dir"), 0755));
	put(AT("root/dir/index.html"), "<p>index</p>\n");
	ASSERT_EQ(0, mkdir(AT("root/empty"), 0755));
	ASSERT_EQ(0, symlink("a.txt", AT("root/in")));
	ASSERT_EQ(0, symlink("../outside.txt", AT("root/out")));
	ASSERT_EQ(0, symlink("/etc/hostname", AT("root/abs")));
	ASSERT_EQ(0, symlink("dir", AT("root/dirlink")));
	ASSERT_EQ(0, symlink("/proc/self/root", AT("root/proc")));
	ASSERT_EQ(0, mkfifo(AT("root/fifo"), 0644));
	/* a device node (root only): looked at with O_PATH, never opened */
	if (mknod(AT("root/null"), S_IFCHR | 0644, makedev(1, 3)))
		TH_LOG("no device node: %s", strerror(errno));
	self->rootfd = open(AT("root"), O_PATH | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, self->rootfd);
#undef AT
}

FIXTURE_TEARDOWN(root)
{
	char cmd[128];

	close(self->rootfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->top);
	if (system(cmd))
		TH_LOG("could not remove %s", self->top);
}

/* the HTTP status a request path gets: 200 when a file opens */
static int status_of(int rootfd, const char *path)
{
	struct stat st;
	bool index;
	int fd = hsd_file_open(rootfd, path, &st, &index);

	if (fd < 0)
		return hsd_file_status(fd);
	close(fd);
	return 200;
}

/* what a raw request-target resolves to: parsed, decoded, opened */
static int status_of_target(int rootfd, const char *target)
{
	char req[512];
	struct http_request r;

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: h\r\n\r\n", target);
	if (http_parse_request((const uint8_t *)req, strlen(req), &r) <= 0)
		return r.status;
	return status_of(rootfd, r.path);
}

TEST_F(root, inside_is_served)
{
	struct stat st;
	char buf[16] = { 0 };
	bool index;
	int fd;

	EXPECT_EQ(200, status_of(self->rootfd, "/a.txt"));
	EXPECT_EQ(200, status_of(self->rootfd, "/in"));
	EXPECT_EQ(200, status_of(self->rootfd, "/dir/"));
	EXPECT_EQ(200, status_of(self->rootfd, "/dirlink/index.html"));
	/* ".." that stays beneath the root is the kernel's to allow */
	EXPECT_EQ(200, status_of(self->rootfd, "/dir/../a.txt"));
	/* a directory is served by its index.html */
	fd = hsd_file_open(self->rootfd, "/a.txt", &st, &index);
	ASSERT_LE(0, fd);
	EXPECT_FALSE(index);
	close(fd);
	fd = hsd_file_open(self->rootfd, "/dir", &st, &index);
	ASSERT_LE(0, fd);
	EXPECT_TRUE(index);
	EXPECT_EQ(13, read(fd, buf, sizeof(buf)));
	EXPECT_STREQ("<p>index</p>\n", buf);
	EXPECT_EQ(13, st.st_size);
	close(fd);
	fd = hsd_file_open(self->rootfd, "/", &st, &index);
	EXPECT_EQ(-EISDIR, fd);
}

TEST_F(root, every_way_out_is_refused)
{
	EXPECT_EQ(403, status_of(self->rootfd, "/../outside.txt"));
	EXPECT_EQ(403, status_of(self->rootfd, "/dir/../../outside.txt"));
	EXPECT_EQ(403, status_of(self->rootfd, "/out"));
	EXPECT_EQ(403, status_of(self->rootfd, "/abs"));
	EXPECT_EQ(403, status_of(self->rootfd, "/proc/etc/hostname"));
	/* the same through the request parser's decoding */
	EXPECT_EQ(403, status_of_target(self->rootfd, "/%2e%2e/outside.txt"));
	EXPECT_EQ(403, status_of_target(self->rootfd, "/%2E%2E%2Foutside.txt"));
	EXPECT_EQ(403, status_of_target(self->rootfd, "/dir/..%2f..%2foutside.txt"));
	EXPECT_EQ(403, status_of_target(self->rootfd, "http://h/../outside.txt"));
	/* an absolute path inside the target is still beneath the root */
	EXPECT_EQ(404, status_of_target(self->rootfd, "//etc/passwd"));
	EXPECT_EQ(400, status_of_target(self->rootfd, "/a.txt%00.html"));
}

TEST_F(root, what_is_not_a_file)
{
	EXPECT_EQ(404, status_of(self->rootfd, "/missing"));
	EXPECT_EQ(404, status_of(self->rootfd, "/a.txt/x"));
	EXPECT_EQ(404, status_of(self->rootfd, "/empty/"));
	/* a FIFO is refused at once, not waited on */
	EXPECT_EQ(403, status_of(self->rootfd, "/fifo"));
	/* a device node too, without opening it */
	if (!faccessat(self->rootfd, "null", F_OK, AT_SYMLINK_NOFOLLOW))
		EXPECT_EQ(403, status_of(self->rootfd, "/null"));
}

/* the first bytes of what @fd reads, as a string */
static void content(int fd, char *out, size_t cap)
{
	ssize_t n = pread(fd, out, cap - 1, 0);

	out[n > 0 ? n : 0] = 0;
}

/*
 * The open-file cache: a path opened within valid_ms is the same open
 * file, shared (no dup); replaced files are seen once it expires; an
 * entry in use is never dropped (a newer open goes to the caller); every
 * get is matched by a put; refusals are never cached; off means every
 * request opens a file of its own.
 */
TEST_F(root, open_file_cache)
{
	struct hsd_file_cache fc;
	char p[160], q[160], got[32];
	int fd, fd2, s, s2;
	struct stat st;
	bool index;

	hsd_file_cache_init(&fc, 1000);
	fd = hsd_file_cache_get(&fc, self->rootfd, "/a.txt", 5000, &st, &index, &s);
	ASSERT_LE(0, fd);
	ASSERT_LE(0, s);
	content(fd, got, sizeof(got));
	EXPECT_STREQ("a\n", got);
	/* a second reader meanwhile shares the open file itself */
	fd2 = hsd_file_cache_get(&fc, self->rootfd, "/a.txt", 5001, &st, &index, &s2);
	EXPECT_EQ(fd, fd2);
	EXPECT_EQ(s, s2);
	EXPECT_EQ(2U, hsd_file_cache_in_use(&fc));
	hsd_file_cache_put(&fc, fd2, s2);
	hsd_file_cache_put(&fc, fd, s);
	EXPECT_EQ(0U, hsd_file_cache_in_use(&fc));
	/* replaced: within the validity the old file, after it the new */
	snprintf(p, sizeof(p), "%s/root/a.new", self->top);
	put(p, "new\n");
	snprintf(q, sizeof(q), "%s/root/a.txt", self->top);
	ASSERT_EQ(0, rename(p, q));
	fd = hsd_file_cache_get(&fc, self->rootfd, "/a.txt", 5999, &st, &index, &s);
	ASSERT_LE(0, fd);
	content(fd, got, sizeof(got));
	EXPECT_STREQ("a\n", got);
	EXPECT_EQ(2U, fc.hits);
	/* expired while still in use: the entry stays, the new open is ours */
	hsd_file_cache_expire(&fc, 6000);
	EXPECT_LE(0, fcntl(fd, F_GETFD));
	fd2 = hsd_file_cache_get(&fc, self->rootfd, "/a.txt", 6000, &st, &index, &s2);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(-1, s2);
	content(fd2, got, sizeof(got));
	EXPECT_STREQ("new\n", got);
	EXPECT_EQ(4, st.st_size);
	content(fd, got, sizeof(got));	/* the old reader reads on */
	EXPECT_STREQ("a\n", got);
	hsd_file_cache_put(&fc, fd2, s2);	/* closed: it was ours */
	EXPECT_EQ(-1, fcntl(fd2, F_GETFD));
	hsd_file_cache_put(&fc, fd, s);
	/* no longer in use: the next get replaces it */
	fd = hsd_file_cache_get(&fc, self->rootfd, "/a.txt", 6001, &st, &index, &s);
	ASSERT_LE(0, fd);
	EXPECT_LE(0, s);
	content(fd, got, sizeof(got));
	EXPECT_STREQ("new\n", got);
	hsd_file_cache_put(&fc, fd, s);
	EXPECT_LE(0, fcntl(fd, F_GETFD));	/* kept by the cache */
	/* a directory's index.html comes back with its index flag */
	fd = hsd_file_cache_get(&fc, self->rootfd, "/dir/", 6000, &st, &index, &s);
	ASSERT_LE(0, fd);
	hsd_file_cache_put(&fc, fd, s);
	index = false;
	fd = hsd_file_cache_get(&fc, self->rootfd, "/dir/", 6001, &st, &index, &s);
	ASSERT_LE(0, fd);
	EXPECT_TRUE(index);
	hsd_file_cache_put(&fc, fd, s);
	/* refusals are not remembered, nor served from the cache */
	EXPECT_EQ(-EXDEV, hsd_file_cache_get(&fc, self->rootfd, "/../outside.txt",
					     6001, &st, &index, &s));
	EXPECT_EQ(-1, s);
	EXPECT_GT(0, hsd_file_cache_get(&fc, self->rootfd, "/fifo", 6001, &st,
					&index, &s));
	EXPECT_EQ(0U, hsd_file_cache_in_use(&fc));
	/* expiry closes what the cache held */
	hsd_file_cache_expire(&fc, UINT64_MAX);
	for (size_t i = 0; i < HSD_FILE_CACHE_SLOTS; i++)
		EXPECT_EQ(-1, fc.e[i].fd);
	EXPECT_EQ(-1, fcntl(fd, F_GETFD));
	/* off: every request opens, and the put closes */
	hsd_file_cache_init(&fc, 0);
	fd = hsd_file_cache_get(&fc, self->rootfd, "/a.txt", 1, &st, &index, &s);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, s);
	hsd_file_cache_put(&fc, fd, s);
	EXPECT_EQ(-1, fcntl(fd, F_GETFD));
	EXPECT_EQ(0U, fc.hits + fc.misses);
}

TEST_HARNESS_MAIN
