// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The nftables backend (docs/architecture.md §4): where cdnallow's sets live (its own table
 * inet cdnallow, or the admin's table for allow mode), reading them back, and
 * applying a plan as one element transaction with a generation check. It owns
 * only objects named cdnallow… and the rules commented "cdnallow"; it must never
 * flush, reorder or edit anything else, nor run `nft` on the update path.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/netfilter.h>

#include "backend.h"
#include "diag.h"
#include "nft_int.h"
#include "plan.h"
#include "prefix_set.h"

static void target_own(struct nft_target *t, bool lockdown)
{
	memset(t, 0, sizeof(*t));
	t->family = NFPROTO_INET;
	snprintf(t->table, sizeof(t->table), "%s", NFT_OWN_TABLE);
	t->set4 = "cdn4";
	t->set6 = "cdn6";
	t->ports = "ports";
	t->own = true;
	t->lockdown = lockdown;
}

static void nft_close(void *handle)
{
	struct nft_handle *h = handle;

	if (!h)
		return;
	for (size_t i = 0; i < h->ntg; i++)
		prefix_set_free(h->tg[i].have);
	nft_nl_close(&h->nl);
	free(h);
}

static int nft_open(const struct backend_cfg *cfg, void **handle, struct diag *d)
{
	struct nft_handle *h = calloc(1, sizeof(*h));
	struct nft_target admin;
	bool have_admin = false;
	int ret;

	*handle = NULL;
	if (!h)
		return -ENOMEM;
	h->cfg = *cfg;
	ret = nft_nl_open(&h->nl, d);
	if (ret < 0)
		goto out;
	if (cfg->lockdown_only) {
		target_own(&h->tg[h->ntg++], true);
		goto out;
	}
	if (cfg->mode == MODE_SETS && !cfg->nft_table && !cfg->removing) {
		diag_err(d, "mode sets needs [nftables] table = inet NAME: the table of the rules "
			    "that use the sets (nftables rules see only sets of their own table)");
		ret = -EINVAL;
		goto out;
	}
	if (cfg->nft_table) {
		ret = nft_configured_target(h, &admin, d);
		have_admin = ret == 0;
	} else {
		ret = nft_discover_target(h, &admin, &have_admin, d);
	}
	if (ret < 0)
		goto out;
	if (have_admin)
		h->tg[h->ntg++] = admin;
	if (!have_admin || cfg->mode == MODE_LOCKDOWN)
		target_own(&h->tg[h->ntg++], cfg->mode == MODE_LOCKDOWN);
out:
	if (ret < 0)
		nft_close(h);
	else
		*handle = h;
	return ret;
}

static void describe(const struct nft_handle *h, struct backend_state *st)
{
	const struct nft_target *t = &h->tg[0];

	if (t->sets_only)
		snprintf(st->where, sizeof(st->where),
			 "table inet %s (sets %s/%s, no rule: mode sets)", t->table, t->set4,
			 t->set6);
	else if (t->own)
		snprintf(st->where, sizeof(st->where), "table inet %s (sets %s/%s%s)", t->table,
			 t->set4, t->set6, t->lockdown ? ", prerouting lockdown chain" : "");
	else
		snprintf(st->where, sizeof(st->where), "table %s %s chain %s (sets %s/%s)%s",
			 nft_family_name(t->family), t->table, t->chain, t->set4, t->set6,
			 h->ntg > 1 ? " + table inet cdnallow lockdown chain" : "");
}

static bool target_complete(const struct nft_target *t)
{
	return t->has_table && t->has_sets && t->ports_ok && t->rules_ok && !t->stale_chain;
}

static int read_full(struct nft_handle *h, struct backend_state *st, struct diag *d)
{
	int ret = 0;

	st->complete = true;
	for (size_t i = 0; i < h->ntg && ret == 0; i++) {
		struct nft_target *t = &h->tg[i];

		ret = nft_read_objects(h, t, d);
		if (ret == 0 && i > 0) {
			prefix_set_free(t->have);
			t->have = prefix_set_new();
			ret = t->have ? nft_read_elems(&h->nl, t, t->have, d) : -ENOMEM;
		} else if (ret == 0) {
			ret = nft_read_elems(&h->nl, t, st->set, d);
		}
		st->complete = st->complete && target_complete(t) &&
			       (i == 0 || (ret == 0 && prefix_set_equal(st->set, t->have)));
	}
	if (ret == 0 && !h->tg[0].own && !h->cfg.lockdown_only && h->cfg.mode != MODE_LOCKDOWN)
		ret = nft_table_exists(&h->nl, NFPROTO_INET, NFT_OWN_TABLE, &h->stale_own);
	if (ret < 0)
		return ret;
	st->present = h->tg[0].has_table && h->tg[0].has_sets;
	st->complete = st->complete && st->present && !h->stale_own;
	return 0;
}

static int nft_read(void *handle, struct backend_state *st, struct diag *d)
{
	struct nft_handle *h = handle;
	uint32_t after = 0;
	int ret;

	prefix_set_clear(st->set);
	st->present = st->complete = false;
	describe(h, st);
	if (h->ambiguous[0])
		diag_warn(d, "nftables: %s", h->ambiguous);
	ret = nft_nl_genid(&h->nl, &h->genid);
	if (ret < 0) {
		diag_err(d, "reading the nftables generation id: %s", strerror(-ret));
		return ret;
	}
	h->have_genid = true;
	if (nft_cache_load(h, h->genid, st->set, &st->applied_sum) == 0) {
		for (size_t i = 1; i < h->ntg; i++) {
			prefix_set_free(h->tg[i].have);
			h->tg[i].have = prefix_set_new();
			if (!h->tg[i].have || prefix_set_copy(h->tg[i].have, st->set) < 0)
				return -ENOMEM;
		}
		st->present = st->complete = true;
		return 0;
	}
	ret = read_full(h, st, d);
	if (ret < 0)
		return ret;
	/* Nothing committed during the dump: what we read is the state at h->genid. */
	if (st->complete && nft_nl_genid(&h->nl, &after) == 0 && after == h->genid)
		nft_cache_save(h, h->genid, st->set, 0);
	return 0;
}

/* add/del point at the plan's sets for the primary target (no copy of 100k prefixes). */
struct diffs {
	const struct prefix_set *add[2], *del[2];
	struct prefix_set *own[4];
};

static void diffs_release(struct diffs *df)
{
	for (size_t i = 0; i < 4; i++)
		prefix_set_free(df->own[i]);
	memset(df, 0, sizeof(*df));
}

/* Per-target element diffs against what each target holds (re-read when fresh). */
static int compute_diffs(struct nft_handle *h, const struct plan *p, bool reread, struct diffs *df,
			 struct diag *d)
{
	size_t unchanged[2];
	int ret = 0;

	for (size_t i = 0; i < h->ntg && ret == 0; i++) {
		struct nft_target *t = &h->tg[i];

		if (i == 0 && !reread) {
			df->add[i] = p->add;
			df->del[i] = p->del;
			continue;
		}
		df->own[2 * i] = prefix_set_new();
		df->own[2 * i + 1] = prefix_set_new();
		df->add[i] = df->own[2 * i];
		df->del[i] = df->own[2 * i + 1];
		if (!df->own[2 * i] || !df->own[2 * i + 1])
			return -ENOMEM;
		if (reread || !t->have) {
			prefix_set_free(t->have);
			t->have = prefix_set_new();
			ret = t->have ? nft_read_elems(&h->nl, t, t->have, d) : -ENOMEM;
		}
		if (ret == 0)
			ret = prefix_set_diff(p->want, t->have, df->own[2 * i], df->own[2 * i + 1],
					      unchanged);
	}
	return ret;
}

static int commit_diffs(struct nft_handle *h, struct diffs *df, uint32_t genid, bool *sent,
			struct diag *d)
{
	struct nft_batch *b;
	size_t total = 0;
	int ret = 0;

	*sent = false;
	for (size_t i = 0; i < h->ntg; i++)
		total += df->add[i]->n + df->del[i]->n;
	if (total == 0)
		return 0;
	b = nft_batch_new(total, genid);
	if (!b)
		return -ENOMEM;
	/* Deletions first: a shrinking prefix must leave before its replacement may overlap. */
	for (size_t i = 0; i < h->ntg && ret == 0; i++)
		ret = nft_batch_elems(b, &h->tg[i], df->del[i], true);
	for (size_t i = 0; i < h->ntg && ret == 0; i++)
		ret = nft_batch_elems(b, &h->tg[i], df->add[i], false);
	if (ret == 0) {
		ret = nft_batch_commit(b, &h->nl, d);
		*sent = ret == 0;
	} else {
		diag_err(d, "building the nftables batch: %s", strerror(-ret));
	}
	nft_batch_free(b);
	return ret;
}

/*
 * Chain and rules go in after the elements (a lockdown chain over empty sets
 * would drop the CDN). Listening to the generation events while they go in
 * proves that every commit since our batch (which made gen) was ours, so the
 * next run may skip the dump.
 */
static int rules_then_cache(struct nft_handle *h, const struct plan *p, uint32_t gen,
			    struct diag *d)
{
	struct nft_nl ev;
	uint32_t last = 0, now = 0;
	bool listening = nft_nl_open_events(&ev, NULL) == 0;
	int ret = nft_objects_ensure_rules(h, d);

	if (ret == 0 && listening && nft_nl_events_ours(&ev, (uint32_t)getpid(), gen, &last) &&
	    nft_nl_genid(&h->nl, &now) == 0 && now == last) {
		nft_cache_save(h, now, p->want, p->want_sum);
		h->genid = now; /* a second apply on this handle starts from here */
	}
	if (listening)
		nft_nl_close(&ev);
	return ret;
}

static void forget_new(struct nft_handle *h)
{
	for (size_t i = 0; i < h->ntg; i++)
		h->tg[i].made_table = h->tg[i].made_sets = false;
}

/* backend_ops.undo_new: the table and sets the failed apply created go again (issue 15 item 4). */
static int nft_undo_new(void *handle, struct diag *d)
{
	struct nft_handle *h = handle;
	bool any = false;
	int ret;

	for (size_t i = 0; i < h->ntg; i++)
		any |= h->tg[i].made_table || h->tg[i].made_sets;
	if (!any)
		return 0;
	ret = nft_objects_remove_new(h, d);
	forget_new(h);
	return ret < 0 ? ret : 1;
}

static int nft_apply(void *handle, const struct plan *p, struct diag *d)
{
	struct nft_handle *h = handle;
	bool objects = p->create || p->repair, sent = false;
	struct diffs df;
	uint32_t genid = h->genid, after = 0;
	int ret;

	memset(&df, 0, sizeof(df));
	if (h->ambiguous[0]) {
		diag_err(d, "%s", h->ambiguous);
		return -EEXIST;
	}
	for (size_t i = 0; objects && i < h->ntg; i++) {
		if (!h->tg[i].own && !h->tg[i].sets_only && !h->tg[i].has_table) {
			diag_err(d, "table %s %s does not exist", nft_family_name(h->tg[i].family),
				 h->tg[i].table);
			return -ENOENT;
		}
	}
	nft_cache_drop(h);
	forget_new(h);
	if (objects) {
		nft_objects_mark_new(h);
		ret = nft_objects_ensure_sets(h, d);
		if (ret == 0)
			ret = nft_nl_genid(&h->nl, &genid);
		if (ret < 0)
			return ret;
	}
	ret = compute_diffs(h, p, false, &df, d);
	if (ret == 0)
		ret = commit_diffs(h, &df, genid, &sent, d);
	if (ret == -ERESTART) {
		/* Someone committed since we read: re-read, re-diff, retry once; never blindly. */
		diag_clear_err(d);
		diag_warn(d, "nftables: the ruleset changed between reading and committing; "
			     "re-read the sets and applied the difference to what they hold now");
		diffs_release(&df);
		ret = nft_nl_genid(&h->nl, &genid);
		if (ret == 0)
			ret = compute_diffs(h, p, true, &df, d);
		if (ret == 0)
			ret = commit_diffs(h, &df, genid, &sent, d);
		if (ret == -ERESTART)
			diag_err(d,
				 "the ruleset kept changing during the sync; nothing was applied");
	}
	diffs_release(&df);
	if (ret == 0 && objects)
		ret = rules_then_cache(h, p, sent ? genid + 1 : genid, d);
	else if (ret == 0 && sent && nft_nl_genid(&h->nl, &after) == 0 && after == genid + 1) {
		nft_cache_save(h, after, p->want, p->want_sum);
		h->genid = after;
	}
	if (ret == 0)
		forget_new(h); /* only a failed apply's objects are undo_new()'s */
	return ret;
}

static int nft_flush(void *handle, struct diag *d)
{
	struct nft_handle *h = handle;

	nft_cache_drop(h);
	return nft_objects_flush(h, d);
}

/* An accept in one table never overrides a drop in another (docs/architecture.md §4). */
static int nft_audit(void *handle, struct diag *d)
{
	struct nft_handle *h = handle;
	const struct nft_target *t = &h->tg[0];
	struct nft_chain_info *v = NULL;
	size_t n = 0;
	int ret = nft_list_chains(&h->nl, &v, &n, d);

	/* mode sets: the admin's own rules decide; doctor says whether any uses the sets */
	if (ret < 0 || h->cfg.lockdown_only || h->cfg.mode == MODE_SETS)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const char *owner = nft_chain_owner(&v[i]);

		if (!nft_is_input_drop(&v[i]) ||
		    (!t->own && v[i].family == t->family && !strcmp(v[i].table, t->table) &&
		     !strcmp(v[i].name, t->chain)))
			continue;
		diag_warn(d,
			  "table %s %s chain %s%s%s%s drops by default: the CDN accepted in %s %s "
			  "is still dropped there%s",
			  nft_family_name(v[i].family), v[i].table, v[i].name, owner ? " (" : "",
			  owner ? owner : "", owner ? ")" : "", t->own ? "table inet" : "table",
			  t->table,
			  owner ? "; use that firewall's backend"
				: "; set [nftables] table/chain to it");
	}
out:
	free(v);
	return ret;
}

static void count(int64_t *slot, uint64_t packets)
{
	*slot = (*slot < 0 ? 0 : *slot) + (int64_t)packets;
}

/*
 * The admin chain's accepts count as accepted; in the lockdown chain the negated lookups
 * are the drops and the plain ones the CDN packets let through. Mode sets has no rule.
 */
static int nft_counters(void *handle, struct backend_counters *c, struct diag *d)
{
	struct nft_handle *h = handle;
	int ret = 0;

	backend_counters_unknown(c);
	for (size_t i = 0; i < h->ntg && ret == 0; i++) {
		const struct nft_target *t = &h->tg[i];
		struct nft_rule_list rl;

		if (t->sets_only)
			continue;
		ret = nft_list_our_rules(&h->nl, t->family, t->table,
					 t->own ? NFT_OWN_CHAIN : t->chain, &rl);
		for (size_t k = 0; ret == 0 && k < rl.n; k++) {
			const struct nft_rule_ref *r = &rl.v[k];
			int f = r->set_family == 6;

			/* with an admin chain too, its accept counts the CDN (not twice) */
			if (!r->counter || !r->set_family || (t->own && !r->inverted && i > 0))
				continue;
			count(t->own && r->inverted ? &c->dropped[f] : &c->accepted[f], r->packets);
		}
	}
	if (ret < 0)
		diag_err(d, "reading the counters of cdnallow's rules: %s", strerror(-ret));
	return ret;
}

/* Native tables (not iptables-nft, ufw, firewalld, Docker or ours) mean nftables is in use. */
static int nft_detect(struct diag *d)
{
	struct nft_chain_info *v = NULL;
	struct nft_nl nl;
	size_t n = 0;
	int ret = nft_nl_open(&nl, d), score = 0;

	if (ret < 0)
		return ret;
	ret = nft_list_chains(&nl, &v, &n, d);
	for (size_t i = 0; ret == 0 && i < n; i++)
		if (!nft_chain_owner(&v[i]))
			score = 20;
	free(v);
	nft_nl_close(&nl);
	return ret < 0 ? ret : score;
}

const struct backend_ops backend_nftables = {
	.name = "nftables",
	.summary = "nftables sets via libnftnl, one kernel transaction per sync",
	.sets = "sets cdnallow4/cdnallow6 in [nftables] table",
	.detect = nft_detect,
	.open = nft_open,
	.read = nft_read,
	.apply = nft_apply,
	.undo_new = nft_undo_new,
	.flush = nft_flush,
	.audit = nft_audit,
	.counters = nft_counters,
	.close = nft_close,
};
