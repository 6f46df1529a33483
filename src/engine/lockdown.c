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

#include "cli.h"
#include "diag.h"
#include "plan.h"
#include "prefix_set.h"

struct lockdown {
	const struct backend_ops *nft;
	void *h;
	struct prefix_set *have; /* what the lockdown sets hold now */
	bool present, complete;
};

int engine_open_lockdown(const struct engine *e, const struct backend_ops **nft, void **h,
			 struct diag *d)
{
	struct backend_cfg cfg = e->bcfg;

	*h = NULL;
	*nft = backend_find("nftables");
	if (!*nft)
		return -ENOENT;
	cfg.lockdown_only = true;
	cfg.nft_table = NULL;
	cfg.nft_chain = NULL;
	return (*nft)->open(&cfg, h, d);
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

static int lockdown_open(const struct engine *e, struct lockdown *l, struct diag *d)
{
	int ret;

	memset(l, 0, sizeof(*l));
	ret = engine_open_lockdown(e, &l->nft, &l->h, d);
	if (ret < 0)
		return ret;
	l->have = prefix_set_new();
	return l->have ? lockdown_read(l, d) : -ENOMEM;
}

static void lockdown_close(struct lockdown *l)
{
	if (l->h)
		l->nft->close(l->h);
	prefix_set_free(l->have);
	memset(l, 0, sizeof(*l));
}

/* Makes the lockdown sets hold exactly want (aggregated). */
static int lockdown_step(struct lockdown *l, const struct prefix_set *want, struct diag *d)
{
	struct plan p = { 0 };
	int ret;

	ret = plan_build(&p, want, l->have);
	p.create = !l->present;
	p.repair = l->present && !l->complete;
	if (ret == 0 && !plan_is_noop(&p))
		ret = l->nft->apply(l->h, &p, d);
	if (ret == 0)
		ret = prefix_set_copy(l->have, want);
	if (ret == 0)
		l->present = l->complete = true;
	plan_release(&p);
	return ret;
}

static int lockdown_grow(struct lockdown *l, const struct prefix_set *want, struct prefix_set **old,
			 struct diag *d)
{
	struct prefix_set *both = prefix_set_new();
	int ret = -ENOMEM;

	*old = prefix_set_new();
	if (!both || !*old)
		goto out;
	ret = prefix_set_copy(*old, l->have);
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

int engine_apply(struct engine *e)
{
	bool companion = e->cfg.mode == MODE_LOCKDOWN && strcmp(e->be->name, "nftables");
	struct prefix_set *old = NULL;
	struct lockdown l = { 0 };
	struct diag d;
	int ret = 0;

	diag_init(&d);
	if (companion) {
		ret = lockdown_open(e, &l, &d);
		if (ret == -ENOENT && !l.nft) {
			diag_warn(&d, "lockdown: nftables backend unavailable; %s handles it alone",
				  e->be->name);
			companion = false;
			ret = 0;
		}
		if (ret == 0)
			ret = lockdown_grow(&l, e->want, &old, &d);
		if (ret < 0) {
			diag_prefix(&d, "nftables lockdown table (nothing applied): ");
			goto out;
		}
	}
	if (!plan_is_noop(&e->plan)) {
		ret = e->be->apply(e->bh, &e->plan, &d);
		if (ret < 0) {
			diag_prefix(&d, "%s: applying the plan (the previous state is kept): ",
				    e->be->name);
			/* The backend kept the old list: so does the lockdown table. */
			if (companion && lockdown_read(&l, &d) == 0)
				lockdown_step(&l, old, &d);
			goto out;
		}
	}
	if (companion) {
		ret = lockdown_read(&l, &d);
		if (ret == 0)
			ret = lockdown_step(&l, e->want, &d);
		if (ret < 0)
			diag_prefix(&d, "nftables lockdown table: ");
	}
out:
	prefix_set_free(old);
	lockdown_close(&l);
	engine_report(e, &d, NULL);
	return ret;
}
