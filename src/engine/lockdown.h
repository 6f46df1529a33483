/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The steps of a lockdown sync with a backend other than nftables (see
 * lockdown.c for why this order is safe). They know a backend_cfg and the
 * nftables ops, never struct engine: engine.c orders them around the backend's
 * apply, and only engine.c includes this header.
 */
#ifndef CDNALLOW_ENGINE_LOCKDOWN_H
#define CDNALLOW_ENGINE_LOCKDOWN_H

#include <stdbool.h>

#include "backend.h"

struct diag;
struct prefix_set;

struct lockdown {
	const struct backend_ops *nft;
	void *h;
	struct prefix_set *have; /* what the lockdown sets hold now */
	struct prefix_set *old;	 /* what they held before lockdown_grow() */
	bool present, complete;
	bool existed; /* the sets were there before lockdown_grow() */
};

/* Opens nft for the own lockdown table only (cfg's table and chain ignored) and reads its sets. */
int lockdown_open(struct lockdown *l, const struct backend_ops *nft, const struct backend_cfg *cfg,
		  struct diag *d);
/* Step 1: the sets hold what they held ∪ want; remembers what they held. */
int lockdown_grow(struct lockdown *l, const struct prefix_set *want, struct diag *d);
/* Step 3, after the backend applied: the sets hold exactly want. */
int lockdown_shrink(struct lockdown *l, const struct prefix_set *want, struct diag *d);
/*
 * Instead of step 3 when the backend kept its old list: the sets hold what they
 * held before, or the table goes when grow() created it (empty sets would drop everyone).
 */
int lockdown_restore(struct lockdown *l, struct diag *d);
/* Safe on a zeroed or closed l. */
void lockdown_close(struct lockdown *l);
/* Removes the lockdown table. */
int lockdown_flush(const struct backend_ops *nft, const struct backend_cfg *cfg, struct diag *d);

#endif
