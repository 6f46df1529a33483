/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The file primitives the state dir is built on (src/core/fileio.c): whole-file
 * reads with a size cap, crash-safe replacement and mkdir -p. A reader only
 * ever sees the old or the new content of a file, never a torn one.
 */
#ifndef CDNALLOW_FILEIO_H
#define CDNALLOW_FILEIO_H

#include <stdbool.h>
#include <stddef.h>

struct stat;

/* Writes buf to path atomically: temp file in the same dir, fsync, rename, fsync dir. */
int file_write_atomic(const char *path, const void *buf, size_t len, unsigned mode);
/*
 * Same replacement without fsync: readers still see the old or the new file,
 * but a crash may lose the new one. Only for files whose readers verify them
 * (the cache's checksums, the nft element cache's hash) and treat a bad one as
 * missing.
 */
int file_replace(const char *path, const void *buf, size_t len, unsigned mode);
/* Reads a whole file up to max bytes (-EFBIG beyond); *buf owned, NUL-terminated. */
int file_read_all(const char *path, size_t max, char **buf, size_t *len);
/*
 * file_read_all for the state dir: never follows a symlink, and -EPERM unless
 * a regular file owned by root (or the running user) that group and others
 * cannot write.
 */
int file_read_private(const char *path, size_t max, char **buf, size_t *len);
/* Owned by root or the running user, not writable by group or others. */
bool file_owner_trusted(const struct stat *st);
/* "dir/name", malloc'd (NULL when out of memory): a file of the state dir. */
char *file_path(const char *dir, const char *name);
/* mkdir -p with mode for the last component. */
int dir_ensure(const char *path, unsigned mode);

#endif
