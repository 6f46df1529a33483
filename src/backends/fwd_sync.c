// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * apply() of the firewalld backend: creates missing objects (the one reload,
 * with every runtime-only setting of the host carried across it), then per
 * family either edits the active ipset entry by entry (small updates) or
 * fills the idle twin with one setEntries and points the policy's rules at it
 * (large updates), and finally makes the permanent configuration say the
 * same. firewalld 1.3 has no runtime addEntries/removeEntries, and its runtime
 * setEntries flushes a set before refilling it in later nftables
 * transactions, so it must never run on an ipset that the rules name and
 * that holds entries: that would reject every CDN node meanwhile. For the same
 * reason the rules of the new twin are added before those of the old one go
 * (setPolicySettings removes before it adds). This file must never reload
 * outside object creation and never touch a zone, policy or ipset not named
 * cdnallow*.
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
 * A family is edited in place up to FWD_SWAP_MIN + n / FWD_SWAP_PER changes
 * (n wanted entries), swapped above. In firewalld 1.3 with nftables 1.0.6
 * every nftables call re-reads the whole interval set, so an addEntry or
 * removeEntry costs O(n) and the fill of the idle twin (setEntries: n / 1000
 * calls on a set growing to n) about n / 2000 of them, plus a fixed part.
 * Measured break-even: ~40 changes at 20k entries, 30-120 at 100k
 * depending on load (docs/benchmarks.md).
 */
#define FWD_SWAP_MIN 20
#define FWD_SWAP_PER 2000

static const struct prefix_set no_entries;

/* setEntries on a big set outlasts the usual D-Bus timeout, at runtime and permanently. */
static int set_entries(struct fwd *f, int i, int k, bool perm, const struct prefix_set *want,
		       struct diag *d)
{
	char **v;
	int r;

	v = fwd_format_strv(want);
	if (!v)
		return -ENOMEM;
	fwd_bus_set_timeout(f->bus, FWD_BULK_TIMEOUT_S);
	if (perm)
		r = fwd_cfg_set_entries(f->bus, f->fam[i].path[k], v, d);
	else
		r = fwd_rt_set_entries(f->bus, fwd_set_name[i][k], v, d);
	fwd_bus_set_timeout(f->bus, FWD_TIMEOUT_S);
	free(v);
	if (r < 0)
		diag_prefix(d, "%sipset %s: ", perm ? "permanent " : "", fwd_set_name[i][k]);
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

	for (char *const *w = want; w && *w; w++)
		grow = grow || !fwd_strv_has(f->rt_rules, *w);
	if (grow && n) {
		both = calloc(n + fwd_strv_len(want) + 1, sizeof(*both));
		if (!both)
			return -ENOMEM;
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

/* addEntry + removeEntry calls that would turn e into want. */
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

/* Additions first, then deletions, each call atomic; an empty set is simply filled. */
static int update_in_place(struct fwd *f, int i, int k, const struct prefix_set *want,
			   struct diag *d)
{
	struct fwd_entries *rt = &f->fam[i].rt[k];
	const char *name = fwd_set_name[i][k];
	char buf[PREFIX_STRLEN];
	size_t done = 0, total;
	int r = 0;

	if (fwd_entries_is_empty(rt))
		return want->n ? set_entries(f, i, k, false, want, d) : 0;
	/* each call costs firewalld's nft a read of every set: tell a terminal */
	total = count_changes(rt, fwd_af[i], want);
	for (size_t n = 0; r >= 0 && n < want->n; n++) {
		if (fwd_set_has(rt->sorted, &want->v[n]))
			continue;
		prefix_format(&want->v[n], buf, sizeof(buf));
		r = fwd_rt_entry(f->bus, name, buf, true, d);
		if (r < 0)
			explain_overlap(rt, name, &want->v[n], d);
		backend_progress(f->cfg, "firewalld", ++done, total);
	}
	for (char **s = rt->raw; r >= 0 && *s; s++) {
		if (is_wanted(*s, fwd_af[i], want))
			continue;
		r = fwd_rt_entry(f->bus, name, *s, false, d);
		if (r < 0)
			diag_prefix(d, "ipset %s: removing %s: ", name, *s);
		backend_progress(f->cfg, "firewalld", ++done, total);
	}
	return r;
}

/* The runtime ipset the zone uses that is closest to want (-1: none), and its distance. */
static int pick_current(const struct fwd_fam *m, int fam, const struct prefix_set *want,
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

/* Runtime entries of family i; *act = the ipset the rules are to name afterwards. */
static int sync_family(struct fwd *f, int i, const struct prefix_set *want, int *act,
		       struct diag *d)
{
	struct fwd_fam *m = &f->fam[i];
	size_t changes = 0;
	int cur, tgt;

	cur = pick_current(m, fwd_af[i], want, &changes);
	/*
	 * Both twins are named only after an interrupted swap. The closer one is
	 * completed in place before the other is dropped: refilling a used set
	 * would empty it first.
	 */
	if (cur >= 0 &&
	    (changes <= FWD_SWAP_MIN || fwd_entries_is_empty(&m->rt[cur]) || m->rt_src[!cur])) {
		*act = cur;
		return update_in_place(f, i, cur, want, d);
	}
	tgt = cur < 0 ? 0 : !cur;
	*act = tgt;
	if (fwd_entries_equal(&m->rt[tgt], want))
		return 0;
	return set_entries(f, i, tgt, false, want, d);
}

/*
 * The permanent configuration follows the runtime in an order where a reload
 * at any moment restores a full list: the new entries, then the policy's
 * rules, and only then the emptied idle twins.
 */
static int sync_permanent(struct fwd *f, struct prefix_set *const want[2], const int act[2],
			  char *const *rules, struct diag *d)
{
	int r = 0;

	for (int i = 0; r >= 0 && i < 2; i++) {
		if (!fwd_entries_equal(&f->fam[i].perm[act[i]], want[i]))
			r = set_entries(f, i, act[i], true, want[i], d);
	}
	if (r >= 0 && (!f->policy_path || !fwd_strv_same(f->perm_rules, rules))) {
		r = fwd_cfg_put_policy(f->bus, FWD_POLICY, f->policy_path, rules, FWD_DESC, d);
		if (r < 0)
			diag_prefix(d, "permanent policy %s: ", FWD_POLICY);
	}
	for (int i = 0; r >= 0 && i < 2; i++) {
		if (!fwd_entries_is_empty(&f->fam[i].perm[!act[i]]))
			r = set_entries(f, i, !act[i], true, &no_entries, d);
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

int fwd_reload_carrying(struct fwd *f, size_t *failed, struct diag *d)
{
	struct fwd_carry *c = NULL;
	int r;

	*failed = 0;
	r = fwd_carry_save(f->bus, "cdnallow", &c, d);
	if (r < 0) {
		diag_prefix(d, "reading firewalld's runtime settings before the reload: ");
		return r;
	}
	f->reloaded = true;
	fwd_bus_set_timeout(f->bus, FWD_BULK_TIMEOUT_S);
	r = fwd_reload(f->bus, d);
	fwd_bus_set_timeout(f->bus, FWD_TIMEOUT_S);
	if (r >= 0)
		r = fwd_carry_restore(f->bus, c, failed, d);
	fwd_carry_free(c);
	return r;
}

/* firewalld creates ipsets and policies only at a reload; everything else survives it. */
static int reload_carrying(struct fwd *f, struct diag *d)
{
	size_t failed = 0;
	int r = fwd_reload_carrying(f, &failed, d);

	if (r >= 0 && !failed)
		diag_warn(d,
			  "firewalld: created policy %s and ipsets; one reload was needed, and "
			  "the runtime-only settings were restored after it",
			  FWD_POLICY);
	else if (r >= 0)
		diag_warn(d,
			  "firewalld: created policy %s and ipsets with one reload; %zu "
			  "object(s) could not get their runtime settings back (see above)",
			  FWD_POLICY, failed);
	return r;
}

/* Creates what is missing; one reload when firewalld has no runtime copy of it yet. */
static int ensure_objects(struct fwd *f, struct diag *d)
{
	char **rules = NULL;
	bool reload = !f->rt_policy, created = !f->policy_path;
	int act[2], r = 0;

	for (int i = 0; r >= 0 && i < 4; i++) {
		reload = reload || !f->fam[i / 2].rt[i % 2].raw;
		if (f->fam[i / 2].path[i % 2])
			continue;
		r = fwd_cfg_add_ipset(f->bus, fwd_set_name[i / 2][i % 2], fwd_set_family[i / 2],
				      FWD_DESC, d);
		created = true;
	}
	/*
	 * firewalld refuses a policy named like a zone: the old permanent zone
	 * goes first; its runtime copy allows the CDN until the reload swaps it
	 * for the policy.
	 */
	if (r >= 0 && !f->policy_path && f->zone_path) {
		r = fwd_cfg_remove(f->bus, f->zone_path, true, d);
		if (r < 0)
			diag_prefix(d, "removing the old zone %s: ", FWD_ZONE);
	}
	if (r >= 0 && !f->policy_path) {
		/* The reload must not switch the rules to another twin. */
		for (int i = 0; i < 2; i++)
			act[i] = fwd_active(&f->fam[i]) == 1;
		r = fwd_want_rules(f, act, &rules);
		if (r >= 0)
			r = fwd_cfg_put_policy(f->bus, FWD_POLICY, NULL, rules, FWD_DESC, d);
	}
	if (r >= 0 && reload)
		r = reload_carrying(f, d);
	/* Paths of the new permanent objects; after a reload, the runtime ones too. */
	if (r >= 0 && (reload || created))
		r = fwd_scan(f, d);
	fwd_strv_free(rules);
	return r;
}

/* One pass: runtime entries, the rules, the old zone, the idle twins, then permanent. */
static int apply_once(struct fwd *f, struct prefix_set *const want[2], int act[2], struct diag *d)
{
	char **rules = NULL;
	int r = 0;

	/* Families are disjoint: each one's additions precede its own deletions. */
	for (int i = 0; r >= 0 && i < 2; i++)
		r = sync_family(f, i, want[i], &act[i], d);
	if (r >= 0)
		r = fwd_want_rules(f, act, &rules);
	if (r >= 0)
		r = put_rt_rules(f, rules, d);
	if (r >= 0)
		r = drop_old_zone(f, d);
	/* Old entries in an unused twin allow nothing but cost memory and the next reload. */
	for (int i = 0; r >= 0 && i < 2; i++) {
		if (!fwd_entries_is_empty(&f->fam[i].rt[!act[i]]))
			r = set_entries(f, i, !act[i], false, &no_entries, d);
	}
	if (r >= 0)
		r = sync_permanent(f, want, act, rules, d);
	fwd_strv_free(rules);
	return r;
}

/* What a fresh scan shows is exactly what apply_once meant to leave. */
static bool settled(const struct fwd *f, struct prefix_set *const want[2], const int act[2])
{
	for (int i = 0; i < 2; i++) {
		const struct fwd_fam *m = &f->fam[i];

		if (fwd_active(m) != act[i] || f->zone_path || fwd_strv_len(f->rt_zone_sources) ||
		    !fwd_entries_equal(&m->rt[act[i]], want[i]) ||
		    !fwd_entries_equal(&m->perm[act[i]], want[i]))
			return false;
	}
	return true;
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
	struct prefix_set *want[2] = { NULL, NULL };
	int act[2] = { 0, 0 };
	int r = 0;

	f->reloaded = false;
	if (!f->scanned || p->create || p->repair)
		r = fwd_scan(f, d);
	if (r >= 0)
		r = ensure_objects(f, d);
	for (int i = 0; r >= 0 && i < 2; i++) {
		want[i] = prefix_set_new();
		r = want[i] ? fwd_family_of(p->want, fwd_af[i], want[i]) : -ENOMEM;
	}
	for (int pass = 1; r >= 0; pass++) {
		r = apply_once(f, want, act, d);
		if (r >= 0)
			r = fwd_scan(f, d);
		if (r < 0 || settled(f, want, act))
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
	for (int i = 0; i < 2; i++)
		prefix_set_free(want[i]);
	/* What firewalld holds changed: the next read must ask again. */
	f->scanned = false;
	f->failed_first = r < 0 && p->create;
	return r;
}

#endif
