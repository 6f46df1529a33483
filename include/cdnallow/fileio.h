/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The file primitives the state dir is built on (src/core/fileio.c): whole-file
 * reads with a size cap, crash-safe replacement and mkdir -p. A reader only
 * ever sees the old or the new content of a file, never a torn one.
 */
#ifndef CDNALLOW_FILEIO_H
#define CDNALLOW_FILEIO_H

#include <stddef.h>

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
/* mkdir -p with mode for the last component. */
int dir_ensure(const char *path, unsigned mode);

#endif
