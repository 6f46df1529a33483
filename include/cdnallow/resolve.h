/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Turns configured sources into guarded, aggregated lists: fetch (conditional
 * GET), parse, guard, and on any failure fall back to the last good cached
 * copy, then to the built-in snapshot, never to "nothing".
 */
#ifndef CDNALLOW_RESOLVE_H
#define CDNALLOW_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "fetch.h"
#include "guard.h"

struct diag;
struct prefix_set;
struct source;

enum source_status {
	SOURCE_FRESH = 0,    /* downloaded now, passed the guard */
	SOURCE_NOT_MODIFIED, /* 304: the cached copy is current */
	SOURCE_CACHED,	     /* fresh copy failed or was refused: last good cached copy */
	SOURCE_SNAPSHOT,     /* no usable cache: built-in snapshot */
	SOURCE_REFUSED,	     /* nothing usable: contributes nothing, the run must not apply */
};

const char *source_status_name(enum source_status s); /* "fresh", "not-modified", … */

struct source_result {
	enum source_status status;
	struct prefix_set *set; /* owned, aggregated; empty when refused */
	long age_s;		/* age of the data used (0 when fresh) */
	char error[512];	/* why fresh data was not used, or "" */
};

struct resolve_opts {
	const char *state_dir; /* cache location; NULL: no cache */
	struct fetch_opts fetch;
	struct guard_opts guard;
	/* per-source last good list (state.json), same order as sources; may be NULL */
	const struct guard_history *history;
	/* Store good fresh bodies. Only under the state-dir lock (the engine sets it when it holds
	 * it, plan included: the cache is a copy of public data, not firewall state). */
	bool write_cache;
};

/* Resolves n sources; results[i] must be zeroed. Returns 0 or -errno on setup failure. */
int resolve_sources(const struct source *srcs, size_t n, const struct resolve_opts *o,
		    struct source_result *results, struct diag *d);
void source_result_release(struct source_result *r);
/* msg without its "source 'NAME': " head, for a caller whose message names the source itself. */
const char *resolve_without_source(const char *msg, const char *source);

#endif
