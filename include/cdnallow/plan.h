/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The difference between the wanted set and what a backend holds, per family,
 * plus whether the backend's objects must be created or repaired. A plan is
 * pure data: building it never touches a firewall.
 */
#ifndef CDNALLOW_PLAN_H
#define CDNALLOW_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct prefix_set;

enum { PLAN_V4 = 0, PLAN_V6 = 1 };

struct plan {
	const struct prefix_set *want; /* borrowed, aggregated */
	/*
	 * want's applied.rec checksum (state_applied_sum) when the engine packed
	 * it already, for the backend's cache; 0: not known, the cache computes it
	 */
	uint64_t want_sum;
	struct prefix_set *add; /* owned: want - installed */
	struct prefix_set *del; /* owned: installed - want */
	size_t unchanged[2];	/* per family */
	size_t installed[2];	/* per family, before the apply */
	bool create;		/* the backend's objects are missing */
	bool repair;		/* objects exist but differ from what they must be */
};

/* Fills p (which must be zeroed) from two aggregated sets. */
int plan_build(struct plan *p, const struct prefix_set *want, const struct prefix_set *installed);
/* The one place that derives create/repair from what a backend found (present, complete). */
void plan_set_flags(struct plan *p, bool present, bool complete);
void plan_release(struct plan *p);
/* True when applying p would change nothing. */
bool plan_is_noop(const struct plan *p);

#endif
