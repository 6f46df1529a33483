// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * apply() of the firewalld backend: creates missing objects (the only place
 * besides flush that reloads), then per family either edits the active ipset
 * entry by entry (small updates) or fills the idle twin with one setEntries
 * and swaps the zone's source to it (large updates), and finally makes the
 * permanent configuration say the same. firewalld 1.3 has no runtime
 * addEntries/removeEntries, and its runtime setEntries flushes a set before
 * refilling it in later nftables transactions, so it must never run on an
 * ipset that the zone uses and that holds entries: that would reject every
 * CDN node meanwhile. This file must never reload outside object creation and
 * never touch a zone or ipset not named cdnallow*.
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

static bool is_own_source(const char *s)
{
	for (int i = 0; i < 4; i++) {
		if (!strcmp(s, fwd_set_source[i / 2][i % 2]))
			return true;
	}
	return false;
}

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

/* Adding or removing an ipset source rebuilds the zone's dispatch rules: slow on big sets. */
static int zone_source(struct fwd *f, int i, int k, bool add, struct diag *d)
{
	int r;

	fwd_bus_set_timeout(f->bus, FWD_BULK_TIMEOUT_S);
	r = fwd_rt_zone_source(f->bus, FWD_ZONE, fwd_set_source[i][k], add, d);
	fwd_bus_set_timeout(f->bus, FWD_TIMEOUT_S);
	if (r < 0)
		diag_prefix(d, "zone %s: ", FWD_ZONE);
	else
		f->fam[i].rt_src[k] = add;
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
	int r = 0;

	if (fwd_entries_is_empty(rt))
		return want->n ? set_entries(f, i, k, false, want, d) : 0;
	for (size_t n = 0; r >= 0 && n < want->n; n++) {
		if (fwd_set_has(rt->sorted, &want->v[n]))
			continue;
		prefix_format(&want->v[n], buf, sizeof(buf));
		r = fwd_rt_entry(f->bus, name, buf, true, d);
		if (r < 0)
			explain_overlap(rt, name, &want->v[n], d);
	}
	for (char **s = rt->raw; r >= 0 && *s; s++) {
		if (is_wanted(*s, fwd_af[i], want))
			continue;
		r = fwd_rt_entry(f->bus, name, *s, false, d);
		if (r < 0)
			diag_prefix(d, "ipset %s: removing %s: ", name, *s);
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

/* Runtime entries and zone source of family i; *act = the ipset in use afterwards. */
static int sync_family(struct fwd *f, int i, const struct prefix_set *want, int *act,
		       struct diag *d)
{
	struct fwd_fam *m = &f->fam[i];
	size_t changes = 0;
	int cur, tgt, r = 0;

	cur = pick_current(m, fwd_af[i], want, &changes);
	/*
	 * Both twins are sources only after an interrupted swap. The closer one is
	 * completed in place before the other is dropped: refilling a used set
	 * would empty it first.
	 */
	if (cur >= 0 &&
	    (changes <= FWD_SWAP_MIN || fwd_entries_is_empty(&m->rt[cur]) || m->rt_src[!cur])) {
		r = update_in_place(f, i, cur, want, d);
		if (r >= 0 && m->rt_src[!cur])
			r = zone_source(f, i, !cur, false, d);
		*act = cur;
		return r;
	}
	tgt = cur < 0 ? 0 : !cur;
	if (!fwd_entries_equal(&m->rt[tgt], want))
		r = set_entries(f, i, tgt, false, want, d);
	/* The new set is in use before the old one stops being: no gap, each call atomic. */
	if (r >= 0)
		r = zone_source(f, i, tgt, true, d);
	if (r >= 0 && cur >= 0)
		r = zone_source(f, i, cur, false, d);
	*act = tgt;
	return r;
}

/* Ports changed in the config, or sources someone else added: fixed without reload. */
static int fix_rt_zone(struct fwd *f, struct diag *d)
{
	static const int any[2] = { 0, 0 };
	struct fwd_zone want = { 0 }, z = { 0 };
	int r;

	if (f->rt_ports_ok && !f->rt_foreign)
		return 0;
	r = fwd_want_zone(f, any, &want);
	if (r >= 0)
		r = fwd_rt_zone(f->bus, FWD_ZONE, &z, d);
	for (char **p = want.ports; r >= 0 && *p; p++) {
		if (!fwd_strv_has(z.ports, *p))
			r = fwd_rt_zone_port(f->bus, FWD_ZONE, *p, true, d);
	}
	for (char **p = z.ports; r >= 0 && *p; p++) {
		if (!fwd_strv_has(want.ports, *p))
			r = fwd_rt_zone_port(f->bus, FWD_ZONE, *p, false, d);
	}
	for (char **p = z.sources; r >= 0 && *p; p++) {
		if (!is_own_source(*p))
			r = fwd_rt_zone_source(f->bus, FWD_ZONE, *p, false, d);
	}
	fwd_zone_release(&z);
	fwd_zone_release(&want);
	return r;
}

/*
 * The permanent configuration follows the runtime in an order where a reload
 * at any moment restores a full list: the new entries, then the zone's
 * sources, and only then the emptied idle twins.
 */
static int sync_permanent(struct fwd *f, struct prefix_set *const want[2], const int act[2],
			  struct diag *d)
{
	struct fwd_zone z = { 0 };
	bool put = !f->cfg_ports_ok || f->cfg_foreign;
	int r = 0;

	for (int i = 0; r >= 0 && i < 2; i++) {
		const struct fwd_fam *m = &f->fam[i];

		put = put || !m->perm_src[act[i]] || m->perm_src[!act[i]];
		if (!fwd_entries_equal(&m->perm[act[i]], want[i]))
			r = set_entries(f, i, act[i], true, want[i], d);
	}
	if (r >= 0 && put) {
		r = fwd_want_zone(f, act, &z);
		if (r >= 0)
			r = fwd_cfg_put_zone(f->bus, FWD_ZONE, f->zone_path, &z, FWD_DESC, d);
		if (r < 0)
			diag_prefix(d, "permanent zone %s: ", FWD_ZONE);
	}
	for (int i = 0; r >= 0 && i < 2; i++) {
		if (!fwd_entries_is_empty(&f->fam[i].perm[!act[i]]))
			r = set_entries(f, i, !act[i], true, &no_entries, d);
	}
	fwd_zone_release(&z);
	return r;
}

/* Creates what is missing; one reload when firewalld needs it to see new objects. */
static int ensure_objects(struct fwd *f, struct diag *d)
{
	struct fwd_zone want = { 0 };
	bool created = false, reload;
	int act[2], r = 0;

	for (int i = 0; r >= 0 && i < 4; i++) {
		if (f->fam[i / 2].path[i % 2])
			continue;
		r = fwd_cfg_add_ipset(f->bus, fwd_set_name[i / 2][i % 2], fwd_set_family[i / 2],
				      FWD_DESC, d);
		created = true;
	}
	if (r >= 0 && !f->zone_path) {
		/* The reload must not switch the runtime zone to another twin. */
		for (int i = 0; i < 2; i++)
			act[i] = fwd_active(&f->fam[i]) == 1;
		r = fwd_want_zone(f, act, &want);
		if (r >= 0)
			r = fwd_cfg_put_zone(f->bus, FWD_ZONE, NULL, &want, FWD_DESC, d);
		created = true;
	}
	reload = created || !f->rt_zone;
	for (int i = 0; i < 4; i++)
		reload = reload || !f->fam[i / 2].rt[i % 2].raw;
	if (r >= 0 && reload) {
		fwd_bus_set_timeout(f->bus, FWD_BULK_TIMEOUT_S);
		r = fwd_reload(f->bus, d);
		fwd_bus_set_timeout(f->bus, FWD_TIMEOUT_S);
		if (r >= 0)
			diag_warn(d, "firewalld: created zone %s and ipsets; one reload was needed",
				  FWD_ZONE);
		if (r >= 0)
			r = fwd_scan(f, d);
	}
	fwd_zone_release(&want);
	return r;
}

/* One pass: runtime entries and sources, the zone, the idle twins, then permanent. */
static int apply_once(struct fwd *f, struct prefix_set *const want[2], int act[2], struct diag *d)
{
	int r = 0;

	/* Families are disjoint: each one's additions precede its own deletions. */
	for (int i = 0; r >= 0 && i < 2; i++)
		r = sync_family(f, i, want[i], &act[i], d);
	if (r >= 0)
		r = fix_rt_zone(f, d);
	/* Old entries in an unused twin allow nothing but cost memory and the next reload. */
	for (int i = 0; r >= 0 && i < 2; i++) {
		if (!fwd_entries_is_empty(&f->fam[i].rt[!act[i]]) && !f->fam[i].rt_src[!act[i]])
			r = set_entries(f, i, !act[i], false, &no_entries, d);
	}
	if (r >= 0)
		r = sync_permanent(f, want, act, d);
	return r;
}

/* What a fresh scan shows is exactly what apply_once meant to leave. */
static bool settled(const struct fwd *f, struct prefix_set *const want[2], const int act[2])
{
	for (int i = 0; i < 2; i++) {
		const struct fwd_fam *m = &f->fam[i];

		if (fwd_active(m) != act[i] || !fwd_entries_equal(&m->rt[act[i]], want[i]) ||
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
	return r;
}

#endif
