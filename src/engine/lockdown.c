// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Lockdown with a backend other than nftables: the drop lives in cdnallow's own
 * nftables table (docs/architecture.md §4), so one sync changes two firewalls that share
 * no transaction. The order keeps every intermediate state safe: the lockdown
 * sets first grow to old ∪ new, then the backend applies, then the lockdown sets
 * shrink to new. A kill or a failure at any point leaves the lockdown sets a
 * superset of what the backend accepts (no CDN node dropped) and a subset of
 * old ∪ new (nobody else let in); a failed backend apply shrinks them back to old.
 */
#include <errno.h>
#include <string.h>

#include "diag.h"
#include "lockdown.h"
#include "plan.h"
#include "prefix_set.h"
#include "undo.h"

static int open_table(const struct backend_ops *nft, const struct backend_cfg *cfg, void **h,
		      struct diag *d)
{
	struct backend_cfg own = *cfg;

	*h = NULL;
	own.lockdown_only = true;
	own.nft_table = NULL;
	own.nft_chain = NULL;
	return nft->open(&own, h, d);
}

/*
 * Reads the lockdown sets. Cheap when nothing else committed since our last
 * apply (generation-id cache); a backend living in nftables too (firewalld,
 * iptables-nft) does commit, and then the sets are dumped again rather than
 * trusted.
 */
static int lockdown_read(struct lockdown *l, struct diag *d)
{
	struct backend_state st = { .set = l->have };
	int ret = l->nft->read(l->h, &st, d);

	l->present = st.present;
	l->complete = st.complete;
	return ret;
}

int lockdown_open(struct lockdown *l, const struct backend_ops *nft, const struct backend_cfg *cfg,
		  struct diag *d)
{
	int ret;

	memset(l, 0, sizeof(*l));
	l->nft = nft;
	ret = open_table(nft, cfg, &l->h, d);
	if (ret < 0)
		return ret;
	l->have = prefix_set_new();
	return l->have ? lockdown_read(l, d) : -ENOMEM;
}

void lockdown_close(struct lockdown *l)
{
	if (l->h)
		l->nft->close(l->h);
	prefix_set_free(l->have);
	prefix_set_free(l->old);
	memset(l, 0, sizeof(*l));
}

/* Makes the lockdown sets hold exactly want (aggregated). */
static int lockdown_step(struct lockdown *l, const struct prefix_set *want, struct diag *d)
{
	struct plan p = { 0 };
	int ret;

	ret = plan_build(&p, want, l->have);
	plan_set_flags(&p, l->present, l->complete);
	if (ret == 0 && !plan_is_noop(&p))
		ret = undo_apply(l->nft, l->h, &p, d);
	if (ret == 0)
		ret = prefix_set_copy(l->have, want);
	if (ret == 0)
		l->present = l->complete = true;
	plan_release(&p);
	return ret;
}

int lockdown_grow(struct lockdown *l, const struct prefix_set *want, struct diag *d)
{
	struct prefix_set *both = prefix_set_new();
	int ret = -ENOMEM;

	l->existed = l->present;
	prefix_set_free(l->old);
	l->old = prefix_set_new();
	if (!both || !l->old)
		goto out;
	ret = prefix_set_copy(l->old, l->have);
	if (ret == 0)
		ret = prefix_set_copy(both, l->have);
	if (ret == 0)
		ret = prefix_set_extend(both, want);
	if (ret == 0)
		ret = prefix_set_aggregate(both);
	if (ret == 0)
		ret = lockdown_step(l, both, d);
out:
	prefix_set_free(both);
	return ret;
}

/* The backend's apply may have committed to nftables too: read the sets again before a step. */
int lockdown_shrink(struct lockdown *l, const struct prefix_set *want, struct diag *d)
{
	int ret = lockdown_read(l, d);

	return ret < 0 ? ret : lockdown_step(l, want, d);
}

int lockdown_restore(struct lockdown *l, struct diag *d)
{
	int ret;

	if (!l->old)
		return -EINVAL;
	if (!l->existed)
		return l->nft->flush(l->h, d);
	ret = lockdown_read(l, d);
	return ret < 0 ? ret : lockdown_step(l, l->old, d);
}

int lockdown_flush(const struct backend_ops *nft, const struct backend_cfg *cfg, struct diag *d)
{
	void *h = NULL;
	int ret = open_table(nft, cfg, &h, d);

	if (ret < 0)
		return ret;
	ret = nft->flush(h, d);
	nft->close(h);
	return ret;
}
