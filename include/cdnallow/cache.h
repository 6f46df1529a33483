/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The last good body of every source endpoint in the state dir, with its ETag,
 * Last-Modified and fetch time. Written atomically (temp + fsync + rename,
 * 0600 in a 0700 dir); a corrupt entry reads as missing with a warning.
 */
#ifndef CDNALLOW_CACHE_H
#define CDNALLOW_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct diag;

struct cache_entry {
	char *body; /* owned, NUL-terminated */
	size_t len;
	char *etag;	     /* owned or NULL */
	char *last_modified; /* owned or NULL */
	time_t fetched;
	bool parsed; /* body is the parsed list (one prefix a line), not the payload */
};

/* -ENOENT when there is no (valid) entry for endpoint idx of source. */
int cache_load(const char *state_dir, const char *source, unsigned idx, struct cache_entry *e,
	       struct diag *d);
int cache_store(const char *state_dir, const char *source, unsigned idx,
		const struct cache_entry *e, struct diag *d);
/* Updates only the fetch time (a 304 revalidated the entry). */
int cache_touch(const char *state_dir, const char *source, unsigned idx, time_t when,
		struct diag *d);
/* Removes endpoint idx's entry (metadata first: a lone body is no entry); 0 when there was none. */
int cache_remove(const char *state_dir, const char *source, unsigned idx);
void cache_entry_release(struct cache_entry *e);

#endif
