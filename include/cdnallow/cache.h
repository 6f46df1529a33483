/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The last good body of every source endpoint in the state dir, with its ETag,
 * Last-Modified and fetch time. Written atomically (temp + fsync + rename,
 * 0600 in a 0700 dir); a corrupt entry reads as missing with a warning.
 */
#ifndef CDNALLOW_CACHE_H
#define CDNALLOW_CACHE_H

#include <stddef.h>
#include <time.h>

struct diag;

struct cache_entry {
	char *body; /* owned, NUL-terminated */
	size_t len;
	char *etag;	     /* owned or NULL */
	char *last_modified; /* owned or NULL */
	time_t fetched;
};

/* -ENOENT when there is no (valid) entry for endpoint idx of source. */
int cache_load(const char *state_dir, const char *source, unsigned idx, struct cache_entry *e,
	       struct diag *d);
int cache_store(const char *state_dir, const char *source, unsigned idx,
		const struct cache_entry *e, struct diag *d);
/* Updates only the fetch time (a 304 revalidated the entry). */
int cache_touch(const char *state_dir, const char *source, unsigned idx, time_t when,
		struct diag *d);
void cache_entry_release(struct cache_entry *e);

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
