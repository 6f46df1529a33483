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
	unsigned max_shrink;	/* percent of prefixes, per family, against the last good list */
	unsigned max_grow;	/* percent of addresses, per family, against the last good list */
	bool allow_test_ranges; /* accept documentation ranges (tests only) */
	/* override floor, shrink, growth and budget; never the prefix rules */
	bool force;
};

/* One source's last good list, per family ([0] IPv4, [1] IPv6), from state.json. */
struct guard_history {
	bool known; /* false: no per-family record, the shrink and growth rules are skipped */
	size_t count[2];
	double addresses[2];
	/* a state file older than the per-family record: its count of both families, or 0 */
	size_t legacy_total;
};

/* What one source's list is checked against. */
struct guard_limits {
	size_t floor;		   /* minimum number of prefixes (both families) */
	double max_addresses[2];   /* address-space budget per family; 0: none */
	struct guard_history last; /* for max_shrink and max_grow */
	bool local;		   /* a local file: messages name the file, not a URL */
};

/*
 * The generic source's budget (docs/architecture.md §5): 2^28 IPv4 addresses
 * (AWS's whole ip-ranges.json, the largest real list, covers 2^26.5) and
 * 2^108 IPv6 addresses (Akamai's three prefixes cover 2^104).
 */
#define GUARD_GENERIC_MAX_V4 268435456.0
#define GUARD_GENERIC_MAX_V6 324518553658426726783156020576256.0
/*
 * A built-in provider's budget: its snapshot times this, at least a /10 and a
 * /32 (CloudFront's edge-list format, 2^21.5, must pass the budget its
 * origin-facing snapshot, 2^18.2, gives).
 */
#define GUARD_BUDGET_HEADROOM 4
#define GUARD_BUDGET_MIN_V4 4194304.0
#define GUARD_BUDGET_MIN_V6 79228162514264337593543950336.0
/*
 * A prefix written with host bits set ("8.8.8.8/8") is refused when it is
 * broader than these (it opens more than a /24 or a /48 its author may not
 * have meant), and only warned about otherwise.
 */
#define GUARD_HOST_BITS_MIN_V4 24
#define GUARD_HOST_BITS_MIN_V6 48

/* Why a single prefix is not allowed, or NULL when it is. */
const char *guard_prefix_reason(const struct prefix *p, bool allow_test_ranges);

/* True when a prefix parsed with host bits set must be refused (see above). */
bool guard_host_bits_refused(const struct prefix *masked);

/*
 * Checks one source's aggregated list: prefixes, floor, budget, and per
 * family shrink and growth against lim->last. Returns 0 (warnings may be
 * added when force overrode a rule) or -EPERM.
 */
int guard_check_list(const char *source, const struct prefix_set *list,
		     const struct guard_limits *lim, const struct guard_opts *o, struct diag *d);
/*
 * The shrink rule alone, for one family (AF_UNSPEC: both together, for old
 * state files): had → now prefixes. who names what
 * shrank ("source 'x'"); one family that had prefixes and has none is
 * refused whatever max_shrink says. 0, or -EPERM (a warning with force).
 */
int guard_check_shrink(const char *who, int family, size_t had, size_t now,
		       const struct guard_opts *o, struct diag *d);
/* Refuses plain http unless insecure; -EPERM. */
int guard_check_url(const char *source, const char *url, bool insecure, struct diag *d);

#endif
