/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The parsed-list cache of resolve.c: a source's last good aggregated list
 * with the validators (ETag, Last-Modified) of the endpoint bodies it was
 * parsed from. For resolve.c only.
 */
#ifndef CDNALLOW_LISTCACHE_H
#define CDNALLOW_LISTCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "source.h"

struct diag;
struct prefix_set;

struct listcache {
	bool valid; /* made by this version with these endpoints and parse settings */
	char *etag[SOURCE_MAX_URLS];
	char *last_modified[SOURCE_MAX_URLS];
	char *text; /* the list, one prefix a line */
	size_t len;
};

/* Loads src's entry; -ENOENT (lc->valid false) when missing, stale or corrupt. */
int listcache_load(const char *state_dir, const struct source *src, struct listcache *lc);
/* Parses the stored list into set (appends). */
int listcache_parse(const struct listcache *lc, struct prefix_set *set);
/* Stores set as src's entry; etags/last_modified per endpoint, NULL for none. */
int listcache_store(const char *state_dir, const struct source *src, const char *const *etags,
		    const char *const *last_modified, const struct prefix_set *set, time_t now,
		    struct diag *d);
void listcache_release(struct listcache *lc);

#endif
