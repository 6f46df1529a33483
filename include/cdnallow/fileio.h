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
 * file_write_atomic without the fsync of the directory: the content is on disk
 * before the rename, so after a crash the name holds the whole old or the
 * whole new file, never a torn one; only which of the two is not settled
 * until the caller's dir_sync(). Several files written this way in one
 * directory then need one directory fsync, not one each: the renames reach
 * the disk in any order before it, so each file must be valid beside either
 * version of the others (the state dir's are: state.json's counts and
 * applied.rec's set are each checked on their own, and a cache that refers to
 * applied.rec verifies its checksum).
 */
int file_write_synced(const char *path, const void *buf, size_t len, unsigned mode);
/* fsync of the directory dir: the renames in it so far are durable. */
int dir_sync(const char *dir);
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
