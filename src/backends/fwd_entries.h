/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Entry lists of the firewalld backend: firewalld's raw ipset entries parsed
 * into prefixes (raw strings kept, since removeEntry needs them verbatim),
 * exact comparisons and formatting for setEntries. Pure data: nothing here
 * talks to firewalld. Private to src/backends/firewalld*.c.
 */
#ifndef CDNALLOW_FWD_ENTRIES_H
#define CDNALLOW_FWD_ENTRIES_H

#include <stdbool.h>
#include <stddef.h>

struct prefix;
struct prefix_set;

/* One family's entries as firewalld holds them, raw strings kept for removeEntry. */
struct fwd_entries {
	char **raw;		   /* NULL when the ipset does not exist */
	struct prefix_set *set;	   /* parsed, in raw order */
	struct prefix_set *sorted; /* set sorted, for exact lookups */
	size_t bad;		   /* entries that are not a prefix of this family */
};

void fwd_entries_release(struct fwd_entries *e);
/* Takes ownership of raw (NULL-terminated); fam is AF_INET or AF_INET6. */
int fwd_entries_parse(struct fwd_entries *e, char **raw, int fam);
/* True when the ipset exists and holds nothing. */
bool fwd_entries_is_empty(const struct fwd_entries *e);
/* True when e holds exactly the aggregated one-family set want. */
bool fwd_entries_equal(const struct fwd_entries *e, const struct prefix_set *want);
/* True when the sorted set s holds exactly p. */
bool fwd_set_has(const struct prefix_set *s, const struct prefix *p);
/* out = the prefixes of all in family fam. */
int fwd_family_of(const struct prefix_set *all, int fam, struct prefix_set *out);
/* The prefixes as a NULL-terminated vector in one allocation (free() it). */
char **fwd_format_strv(const struct prefix_set *want);

#endif
