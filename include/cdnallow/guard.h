/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Decides whether a fetched list may be used (docs/architecture.md §5). Pure: it only
 * looks at the list and numbers it is given. Every refusal names the source,
 * the rule and the numbers, and says what to do.
 */
#ifndef CDNALLOW_GUARD_H
#define CDNALLOW_GUARD_H

#include <stdbool.h>
#include <stddef.h>

struct diag;
struct prefix;
struct prefix_set;

struct guard_opts {
	unsigned max_shrink;	/* percent, against the last applied count */
	bool allow_test_ranges; /* accept documentation ranges (tests only) */
	bool force;		/* override floor and shrink, never the bogon/default-route rules */
};

/* Why a single prefix is not allowed, or NULL when it is. */
const char *guard_prefix_reason(const struct prefix *p, bool allow_test_ranges);

/*
 * Checks one source's aggregated list. floor: minimum count; last_count: count
 * applied last time from this source (0 = unknown, no shrink check).
 * Returns 0 (warnings may be added when force overrode a rule) or -EPERM.
 */
int guard_check_list(const char *source, const struct prefix_set *list, size_t floor,
		     size_t last_count, const struct guard_opts *o, struct diag *d);
/* Refuses plain http unless insecure; -EPERM. */
int guard_check_url(const char *source, const char *url, bool insecure, struct diag *d);

#endif
