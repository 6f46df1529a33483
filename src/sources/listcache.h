/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The parsed-list cache of resolve.c: a source's last good aggregated list
 * with the validators of the endpoint bodies it was parsed from (ETag and
 * Last-Modified of a download, length and checksum of a local file). For
 * resolve.c only.
 */
#ifndef CDNALLOW_LISTCACHE_H
#define CDNALLOW_LISTCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "source.h"

struct diag;
struct guard_opts;
struct prefix_set;

struct listcache {
	bool valid;  /* made by this version with these endpoints, parse and guard settings */
	bool usable; /* decodes, whatever made it: a last good list for a fallback */
	char *etag[SOURCE_MAX_URLS];
	char *last_modified[SOURCE_MAX_URLS];
	time_t fetched;	    /* when the list was stored */
	size_t count;	    /* prefixes in rec */
	const uint8_t *rec; /* the list: prefix_pack records, len bytes */
	size_t len;
	char *buf; /* owns rec */
};

/*
 * Loads src's entry; -ENOENT when missing or corrupt, -ESTALE (valid false,
 * usable true) when made with other settings or by another version. g may be NULL.
 */
int listcache_load(const char *state_dir, const struct source *src, const struct guard_opts *g,
		   struct listcache *lc);
/* Decodes the stored list (usable) into set (appends); -EBADMSG when the records are damaged. */
int listcache_parse(const struct listcache *lc, struct prefix_set *set);
/* Stores set as src's entry; etags/last_modified per endpoint, NULL for none. */
int listcache_store(const char *state_dir, const struct source *src, const struct guard_opts *g,
		    const char *const *etags, const char *const *last_modified,
		    const struct prefix_set *set, time_t now, struct diag *d);
void listcache_release(struct listcache *lc);

#endif
