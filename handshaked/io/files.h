/* SPDX-License-Identifier: GPL-2.0 */
/* Files served beneath a root directory, never outside it. */
#ifndef HSD_FILES_H
#define HSD_FILES_H

#include <stdbool.h>
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

#endif
