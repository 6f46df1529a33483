// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * apply() of the firewalld backend: spreads each family's list over its
 * shards (fwd_shard.c), creates missing objects (fwd_create.c), then per
 * changed shard either edits the active ipset entry by entry (few changes) or
 * fills the idle twin with one setEntries and points the policy's rules at it
 * (many), and finally makes the permanent configuration say the same.
 * firewalld 1.3 has no runtime addEntries/removeEntries, and its runtime
 * setEntries flushes a set before refilling it in later nftables
 * transactions, so it must never run on an ipset that the rules name and
 * that holds entries: that would reject every CDN node meanwhile. For the same
 * reason every addition of every shard comes first, then the rules of the new
 * twins are added before those of the old ones go (setPolicySettings removes
 * before it adds), and only then are entries removed and old twins emptied:
 * a prefix moving to another shard is never missing. This file must never
 * reload (fwd_create.c does, to create objects) and never touch a zone,
 * policy or ipset not named cdnallow*.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "diag.h"
#include "fwd_int.h"
#include "plan.h"
#include "prefix_set.h"

#if HAVE_LIBSYSTEMD

/*
 * A shard is edited in place up to FWD_SWAP_MIN + n / FWD_SWAP_PER changes
 * (n wanted entries), swapped above. In firewalld 1.3 with nftables 1.0.6
 * every nftables call re-reads every interval set of its table, so an
 * addEntry or removeEntry costs as much as one of the n / 1000 calls that
 * fill the idle twin, and the swap adds one call to empty the old twin
 * (the two policy calls are shared by every swapped shard). Measured at
 * 100k in shards of 2000: 0.3 s per call (docs/benchmarks.md).
 */
#define FWD_SWAP_MIN 4
#define FWD_SWAP_PER 1000

static const struct prefix_set no_entries;

/*
 * What apply means to leave: each family's shards' entries and act, the twin
 * each one's rules are to name (-1: unused), chosen from a scan by
 * choose_twins() and kept for settled() after the next one.
 */
struct goal {
	struct prefix_set *want[2];
	struct fwd_part part[2];
	int *act[2];
	size_t nact[2];
	size_t calls, done; /* a pass's addEntry/removeEntry calls, for the progress line */
};

static const struct prefix_set *want_of(const struct goal *g, int i, size_t k)
{
	return k < g->part[i].n ? g->part[i].v[k] : &no_entries;
}

static int act_of(const struct fwd *f, int i, size_t k, const void *arg)
{
	const struct goal *g = arg;

	(void)f;
	return k < g->nact[i] ? g->act[i][k] : -1;
}

static bool has_entries(const struct fwd_entries *e)
{
	return e->raw && e->raw[0];
}

/* The twin the rules are to name is the one they name now and holds entries: edited in place. */
static bool is_edited(const struct fwd_shard *m, int act)
{
	return act >= 0 && m->rt_src[act] && has_entries(&m->rt[act]);
}

/* setEntries on a big set outlasts the usual D-Bus timeout, at runtime and permanently. */
static int set_entries(struct fwd *f, int i, size_t k, int t, bool perm,
		       const struct prefix_set *want, struct diag *d)
{
	char name[FWD_NAME_MAX], **v;
	int r;

	fwd_shard_name(name, i, k, t);
	v = fwd_format_strv(want);
	if (!v)
		return -ENOMEM;
	fwd_bus_set_timeout(f->bus, FWD_BULK_TIMEOUT_S);
	if (perm)
		r = fwd_cfg_set_entries(f->bus, f->fam[i].sh[k].path[t], v, d);
	else
		r = fwd_rt_set_entries(f->bus, name, v, d);
	fwd_bus_set_timeout(f->bus, FWD_TIMEOUT_S);
	free(v);
	if (r < 0)
		diag_prefix(d, "%sipset %s: ", perm ? "permanent " : "", name);
	return r;
}

/*
 * Makes the runtime rules exactly want without a moment where a wanted rule
 * is missing: firewalld applies a setPolicySettings by removing first, so new
 * rules are added in a first call that keeps the old ones.
 */
static int put_rt_rules(struct fwd *f, char *const *want, struct diag *d)
{
	char **both = NULL;
	size_t n = fwd_strv_len(f->rt_rules), j = 0;
	bool grow = false;
	int r = 0;

	/* each rule added or removed is an nftables call of its own: 100 swapped shards take
	 * minutes */
	fwd_bus_set_timeout(f->bus, FWD_BULK_TIMEOUT_S);
	for (char *const *w = want; w && *w; w++)
		grow = grow || !fwd_strv_has(f->rt_rules, *w);
	if (grow && n) {
		both = calloc(n + fwd_strv_len(want) + 1, sizeof(*both));
		r = both ? 0 : -ENOMEM;
	}
	if (r >= 0 && grow && n) {
		for (size_t i = 0; i < n; i++)
			both[j++] = f->rt_rules[i];
		for (char *const *w = want; *w; w++) {
			if (!fwd_strv_has(f->rt_rules, *w))
				both[j++] = *w;
		}
		r = fwd_rt_set_policy_rules(f->bus, FWD_POLICY, both, d);
		free(both);
	}
	if (r >= 0 && !fwd_strv_same(f->rt_rules, want))
		r = fwd_rt_set_policy_rules(f->bus, FWD_POLICY, want, d);
	fwd_bus_set_timeout(f->bus, FWD_TIMEOUT_S);
	if (r < 0)
		diag_prefix(d, "policy %s: ", FWD_POLICY);
	return r;
}

static bool is_wanted(const char *raw, int fam, const struct prefix_set *want)
{
	struct prefix p;

	return prefix_parse(raw, strlen(raw), &p, NULL) == 0 && p.family == fam &&
	       fwd_set_has(want, &p);
}

/* addEntry + removeEntry calls that would turn e into want (sorted). */
static size_t count_changes(const struct fwd_entries *e, int fam, const struct prefix_set *want)
{
	size_t n = 0;

	for (size_t k = 0; k < want->n; k++)
		n += !fwd_set_has(e->sorted, &want->v[k]);
	for (char **s = e->raw; s && *s; s++)
		n += !is_wanted(*s, fam, want);
	return n;
}

static void explain_overlap(const struct fwd_entries *rt, const char *name, const struct prefix *p,
			    struct diag *d)
{
	char want[PREFIX_STRLEN];

	prefix_format(p, want, sizeof(want));
	for (size_t k = 0; k < rt->set->n; k++) {
		if (!prefix_contains(&rt->set->v[k], p) && !prefix_contains(p, &rt->set->v[k]))
			continue;
		diag_prefix(d,
			    "ipset %s: %s overlaps entry %s added outside cdnallow; remove it with "
			    "'firewall-cmd --ipset=%s --remove-entry=%s' (and --permanent): ",
			    name, want, rt->raw[k], name, rt->raw[k]);
		return;
	}
	diag_prefix(d, "ipset %s: adding %s: ", name, want);
}

/*
 * Each call costs firewalld's nft a read of every set: a terminal is told how
 * many of the pass's calls are done.
 */
static void count_call(struct fwd *f, struct goal *g)
{
	backend_progress(f->cfg, "firewalld", ++g->done, g->calls);
}

/* The additions to the twin act of shard k, each call atomic; an empty set is simply filled. */
static int add_in_place(struct fwd *f, struct goal *g, int i, size_t k, struct diag *d)
{
	const struct prefix_set *want = want_of(g, i, k);
	int t = g->act[i][k], r = 0;
	const struct fwd_entries *rt = &f->fam[i].sh[k].rt[t];
	char name[FWD_NAME_MAX], buf[PREFIX_STRLEN];

	if (fwd_entries_is_empty(rt))
		return want->n ? set_entries(f, i, k, t, false, want, d) : 0;
	fwd_shard_name(name, i, k, t);
	for (size_t n = 0; r >= 0 && n < want->n; n++) {
		if (fwd_set_has(rt->sorted, &want->v[n]))
			continue;
		prefix_format(&want->v[n], buf, sizeof(buf));
		r = fwd_rt_entry(f->bus, name, buf, true, d);
		if (r < 0)
			explain_overlap(rt, name, &want->v[n], d);
		count_call(f, g);
	}
	return r;
}

/* The deletions from the twin act of shard k, once every shard has its additions. */
static int remove_in_place(struct fwd *f, struct goal *g, int i, size_t k, struct diag *d)
{
	const struct prefix_set *want = want_of(g, i, k);
	int t = g->act[i][k], r = 0;
	const struct fwd_entries *rt = &f->fam[i].sh[k].rt[t];
	char name[FWD_NAME_MAX];

	fwd_shard_name(name, i, k, t);
	for (char **s = rt->raw; r >= 0 && s && *s; s++) {
		if (is_wanted(*s, fwd_af[i], want))
			continue;
		r = fwd_rt_entry(f->bus, name, *s, false, d);
		if (r < 0)
			diag_prefix(d, "ipset %s: removing %s: ", name, *s);
		count_call(f, g);
	}
	return r;
}

/* The twin the rules name that is closest to want (-1: none), and its distance. */
static int pick_current(const struct fwd_shard *m, int fam, const struct prefix_set *want,
			size_t *changes)
{
	size_t c[2] = { SIZE_MAX, SIZE_MAX };
	int k;

	for (k = 0; k < 2; k++) {
		if (m->rt_src[k] && m->rt[k].raw)
			c[k] = count_changes(&m->rt[k], fam, want);
	}
	k = c[1] < c[0];
	*changes = c[k];
	return c[k] == SIZE_MAX ? -1 : k;
}

/*
 * The twin shard k's rules are to name (-1: none; shard 0 is always named, as
 * in the one-set layout): the one named now when few changes make it want, or
 * it is empty; else the idle one, to be filled and swapped in.
 */
static int choose_twin(const struct fwd_shard *m, int fam, size_t k, const struct prefix_set *want)
{
	size_t changes = 0;
	int cur;

	if (!want->n && k)
		return -1;
	cur = pick_current(m, fam, want, &changes);
	/*
	 * Both twins are named only after an interrupted swap. The closer one is
	 * completed in place before the other is dropped: refilling a used set
	 * would empty it first.
	 */
	if (cur >= 0 && (changes <= FWD_SWAP_MIN + want->n / FWD_SWAP_PER ||
			 fwd_entries_is_empty(&m->rt[cur]) || m->rt_src[!cur]))
		return cur;
	return cur < 0 ? 0 : !cur;
}

/* Shards of family i that the plan or firewalld know of. */
static size_t nshards(const struct fwd *f, const struct goal *g, int i)
{
	return g->part[i].n > f->fam[i].n ? g->part[i].n : f->fam[i].n;
}

/* act of every shard the plan or firewalld know of, from the last scan, and the calls to make. */
static int choose_twins(struct fwd *f, struct goal *g)
{
	g->calls = g->done = 0;
	for (int i = 0; i < 2; i++) {
		size_t n = nshards(f, g, i);

		if (n && !fwd_shard_at(f, i, n - 1))
			return -ENOMEM;
		free(g->act[i]);
		g->nact[i] = n;
		g->act[i] = calloc(n + 1, sizeof(int));
		if (!g->act[i])
			return -ENOMEM;
		for (size_t k = 0; k < n; k++) {
			const struct fwd_shard *m = &f->fam[i].sh[k];
			const struct prefix_set *want = want_of(g, i, k);
			int act = choose_twin(m, fwd_af[i], k, want);

			g->act[i][k] = act;
			if (is_edited(m, act))
				g->calls += count_changes(&m->rt[act], fwd_af[i], want);
		}
	}
	return 0;
}

/* The additions of shard k of family i to its twin act. */
static int fill_shard(struct fwd *f, struct goal *g, int i, size_t k, struct diag *d)
{
	const struct fwd_shard *m = &f->fam[i].sh[k];
	const struct prefix_set *want = want_of(g, i, k);
	int act = g->act[i][k];

	if (act < 0)
		return 0;
	if (m->rt_src[act] && m->rt[act].raw)
		return add_in_place(f, g, i, k, d);
	if (fwd_entries_equal(&m->rt[act], want))
		return 0;
	return set_entries(f, i, k, act, false, want, d);
}

/* After the rules: removals in place, then the twins no rule names any more are emptied. */
static int drain_shard(struct fwd *f, struct goal *g, int i, size_t k, struct diag *d)
{
	const struct fwd_shard *m = &f->fam[i].sh[k];
	int act = g->act[i][k], r = 0;

	if (is_edited(m, act))
		r = remove_in_place(f, g, i, k, d);
	/* Old entries in an unused twin allow nothing but cost memory and the next reload. */
	for (int t = 0; r >= 0 && t < 2; t++) {
		if (t != act && has_entries(&m->rt[t]))
			r = set_entries(f, i, k, t, false, &no_entries, d);
	}
	return r;
}

/* The permanent entries of shard k's twin act (the additions of the permanent side). */
static int fill_permanent(struct fwd *f, const struct goal *g, int i, size_t k, struct diag *d)
{
	int act = g->act[i][k];

	if (act < 0 || fwd_entries_equal(&f->fam[i].sh[k].perm[act], want_of(g, i, k)))
		return 0;
	return set_entries(f, i, k, act, true, want_of(g, i, k), d);
}

static int put_perm_rules(struct fwd *f, char *const *rules, struct diag *d)
{
	int r;

	if (f->policy_path && fwd_strv_same(f->perm_rules, rules))
		return 0;
	r = fwd_cfg_put_policy(f->bus, FWD_POLICY, f->policy_path, rules, FWD_DESC, d);
	if (r < 0)
		diag_prefix(d, "permanent policy %s: ", FWD_POLICY);
	return r;
}

/* The permanent twins no rule names any more are emptied. */
static int drain_permanent(struct fwd *f, const struct goal *g, int i, size_t k, struct diag *d)
{
	const struct fwd_shard *m = &f->fam[i].sh[k];
	int r = 0;

	for (int t = 0; r >= 0 && t < 2; t++) {
		if (t != g->act[i][k] && m->path[t] && has_entries(&m->perm[t]))
			r = set_entries(f, i, k, t, true, &no_entries, d);
	}
	return r;
}

/* The zone of earlier builds goes once the policy allows the same: at runtime without reload. */
static int drop_old_zone(struct fwd *f, struct diag *d)
{
	int r = 0;

	for (char **s = f->rt_zone_sources; r >= 0 && s && *s; s++)
		r = fwd_rt_zone_source(f->bus, FWD_ZONE, *s, false, d);
	if (r >= 0 && f->zone_path)
		r = fwd_cfg_remove(f->bus, f->zone_path, true, d);
	if (r < 0)
		diag_prefix(d, "removing the old zone %s: ", FWD_ZONE);
	return r;
}

/*
 * One side, runtime or permanent (perm), in the one order in which no wanted
 * prefix is ever missing, not even across a reload between two calls: every
 * shard's additions (in place, or an idle twin filled), the policy's rules
 * (at runtime the new ones added before the old ones go), and only then the
 * removals and the emptying of the twins no rule names any more. The zone of
 * earlier builds goes once the rules allow what it did.
 */
static int apply_side(struct fwd *f, struct goal *g, char *const *rules, bool perm, struct diag *d)
{
	int r = 0;

	for (int i = 0; i < 2; i++) {
		for (size_t k = 0; r >= 0 && k < g->nact[i]; k++)
			r = perm ? fill_permanent(f, g, i, k, d) : fill_shard(f, g, i, k, d);
	}
	if (r >= 0)
		r = perm ? put_perm_rules(f, rules, d) : put_rt_rules(f, rules, d);
	if (r >= 0 && !perm)
		r = drop_old_zone(f, d);
	for (int i = 0; i < 2; i++) {
		for (size_t k = 0; r >= 0 && k < g->nact[i]; k++)
			r = perm ? drain_permanent(f, g, i, k, d) : drain_shard(f, g, i, k, d);
	}
	return r;
}

/* One pass: the runtime, then the permanent configuration the same way. */
static int apply_once(struct fwd *f, struct goal *g, struct diag *d)
{
	char **rules = NULL;
	int r;

	r = choose_twins(f, g);
	if (r >= 0)
		r = fwd_want_rules(f, act_of, g, &rules);
	if (r >= 0)
		r = apply_side(f, g, rules, false, d);
	if (r >= 0)
		r = apply_side(f, g, rules, true, d);
	fwd_strv_free(rules);
	return r;
}

/* What a fresh scan shows is exactly what apply_once meant to leave. */
static bool settled(const struct fwd *f, const struct goal *g)
{
	if (f->zone_path || fwd_strv_len(f->rt_zone_sources))
		return false;
	for (int i = 0; i < 2; i++) {
		for (size_t k = 0; k < f->fam[i].n; k++) {
			const struct fwd_shard *m = &f->fam[i].sh[k];
			int act = act_of(f, i, k, g);

			if (act < 0 && (m->rt_src[0] || m->rt_src[1]))
				return false;
			if (act >= 0 && (fwd_active(m) != act ||
					 !fwd_entries_equal(&m->rt[act], want_of(g, i, k)) ||
					 !fwd_entries_equal(&m->perm[act], want_of(g, i, k))))
				return false;
		}
	}
	return true;
}

/* The shards below the first that firewalld has no runtime copy of. */
static size_t runtime_shards(const struct fwd_fam *m)
{
	size_t k = 0;

	while (k < m->n && m->sh[k].rt[0].raw && m->sh[k].rt[1].raw)
		k++;
	return k;
}

/*
 * The wanted entries of each family, spread over its shards from where they
 * stand now; with only firewalld's runtime shards when limited.
 */
static int plan_goal(const struct fwd *f, const struct plan *p, bool limited, struct goal *g)
{
	const struct prefix_set **cur = NULL;
	int r = 0;

	for (int i = 0; r >= 0 && i < 2; i++) {
		const struct fwd_fam *m = &f->fam[i];
		size_t limit = limited ? runtime_shards(m) : FWD_SHARD_MAX;

		prefix_set_free(g->want[i]);
		fwd_part_release(&g->part[i]);
		g->want[i] = prefix_set_new();
		r = g->want[i] ? fwd_family_of(p->want, fwd_af[i], g->want[i]) : -ENOMEM;
		cur = r >= 0 ? calloc(m->n + 1, sizeof(*cur)) : NULL;
		if (r >= 0 && !cur)
			r = -ENOMEM;
		for (size_t k = 0; r >= 0 && k < m->n; k++) {
			const struct fwd_shard *s = &m->sh[k];

			if (s->rt_src[0] && s->rt[0].raw)
				cur[k] = s->rt[0].set;
			else if (s->rt_src[1] && s->rt[1].raw)
				cur[k] = s->rt[1].set;
		}
		if (r >= 0)
			r = fwd_part_plan(cur, m->n, g->want[i], f->shard_size, limit, &g->part[i]);
		free(cur);
		cur = NULL;
	}
	return r;
}

static void goal_release(struct goal *g)
{
	for (int i = 0; i < 2; i++) {
		prefix_set_free(g->want[i]);
		fwd_part_release(&g->part[i]);
		free(g->act[i]);
	}
}

/*
 * A `firewall-cmd --reload` by someone else while we apply puts the old
 * permanent list back into the runtime between two of our calls, undoing the
 * entries added so far (seen in the fault suite: success reported, one new
 * prefix missing). So the result is read back, and applied again if it is not
 * what was meant.
 */
#define FWD_PASSES 3

int fwd_sync_apply(struct fwd *f, const struct plan *p, struct diag *d)
{
	struct goal g = { 0 };
	bool limited = false;
	int r = 0;

	f->reloaded = false;
	if (!f->scanned || p->create || p->repair)
		r = fwd_scan(f, d);
	if (r >= 0)
		r = plan_goal(f, p, false, &g);
	if (r >= 0)
		r = fwd_ensure_objects(f, g.part, &limited, d);
	if (r >= 0 && limited)
		r = plan_goal(f, p, true, &g);
	for (int pass = 1; r >= 0; pass++) {
		r = apply_once(f, &g, d);
		if (r >= 0)
			r = fwd_scan(f, d);
		if (r < 0 || settled(f, &g))
			break;
		if (pass == FWD_PASSES) {
			diag_err(d,
				 "firewalld: its ipsets kept changing under the sync (%d passes; "
				 "reloads?); run the sync again when it is quiet",
				 FWD_PASSES);
			r = -EAGAIN;
			break;
		}
		diag_warn(d, "firewalld: its ipsets changed during the sync (a reload?); "
			     "applied the difference again");
	}
	goal_release(&g);
	/* What firewalld holds changed: the next read must ask again. */
	f->scanned = false;
	f->failed_first = r < 0 && p->create;
	return r;
}

#endif
