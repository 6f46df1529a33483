// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The age policy of docs/architecture.md §5 for fallback data (a cached copy
 * or the built-in snapshot): up to [guard] max_age it is applied as it is;
 * older, it may keep what the firewall already holds but never add a prefix,
 * because the provider may have retired and reused a range since (Cloudflare's
 * 104.28.0.0/14 became WARP client space). It never empties the firewall:
 * what is installed and still listed stays. It runs between reading the
 * backend and planning, and only changes e->results and e->want.
 */
#include <errno.h>
#include <string.h>

#include "age.h"
#include "diag.h"
#include "engine.h"
#include "prefix_set.h"

/* out = the parts of list that the aggregated set have covers (CIDR intersection). */
static int intersect(const struct prefix_set *list, const struct prefix_set *have,
		     struct prefix_set *out)
{
	int ret = 0;

	for (size_t i = 0; ret == 0 && i < list->n; i++) {
		const struct prefix *p = &list->v[i];

		if (prefix_set_contains(have, p)) {
			ret = prefix_set_add(out, p);
			continue;
		}
		for (size_t j = 0; ret == 0 && j < have->n; j++) {
			if (have->v[j].family == p->family && prefix_contains(p, &have->v[j]))
				ret = prefix_set_add(out, &have->v[j]);
		}
	}
	return ret < 0 ? ret : prefix_set_aggregate(out);
}

static const char *what(const struct source_result *r)
{
	return r->status == SOURCE_SNAPSHOT ? "built-in snapshot" : "cached copy";
}

/* Restricts one too-old fallback to what is installed; -EPERM when that leaves nothing. */
static int restrict_one(struct engine *e, size_t i, const struct prefix_set *have, struct diag *d)
{
	struct source_result *r = &e->results[i];
	const char *name = e->srcs[i].name;
	struct prefix_set *kept = prefix_set_new();
	char age[32], max[32];
	int ret = kept ? intersect(r->set, have, kept) : -ENOMEM;

	if (ret < 0)
		goto out;
	age_format(r->age_s, age, sizeof(age));
	age_format(e->cfg.max_age_s, max, sizeof(max));
	if (kept->n == 0 && !e->opts->force) {
		diag_err(d,
			 "source '%s': the %s is %s old (max_age is %s) and the firewall holds "
			 "none of it: applying it could re-open ranges the provider has retired "
			 "since; nothing was changed — let a sync fetch the list online, or "
			 "--force",
			 name, what(r), age, max);
		ret = -EPERM;
		goto out;
	}
	if (kept->n == 0) {
		diag_warn(d,
			  "source '%s': the %s is %s old (max_age is %s); applied whole ONLY "
			  "BECAUSE OF --force",
			  name, what(r), age, max);
		goto out;
	}
	if (!prefix_set_equal(kept, r->set))
		diag_warn(d,
			  "source '%s': the %s is %s old (max_age is %s): keeping the %zu of its "
			  "prefixes the firewall holds, withholding the rest (%zu prefixes before "
			  "the cut) — old data never re-opens a range",
			  name, what(r), age, max, kept->n, r->set->n);
	ret = prefix_set_copy(r->set, kept);
out:
	prefix_set_free(kept);
	return ret;
}

static int rebuild_want(struct engine *e)
{
	int ret = 0;

	if (e->want_shared) {
		/* want is results[0].set: clearing it would clear the source's list */
		struct prefix_set *own = prefix_set_new();

		if (!own)
			return -ENOMEM;
		e->want = own;
		e->want_shared = false;
	}
	prefix_set_clear(e->want);
	for (size_t i = 0; ret == 0 && i < e->nsrcs; i++)
		ret = prefix_set_extend(e->want, e->results[i].set);
	return ret < 0 ? ret : prefix_set_aggregate(e->want);
}

/* The firewall's set, aggregated, copied only for a source the policy restricts (rarely any). */
static int installed_copy(const struct engine *e, struct prefix_set **have)
{
	int ret = 0;

	if (*have)
		return 0;
	*have = prefix_set_new();
	if (!*have)
		return -ENOMEM;
	if (e->st.set)
		ret = prefix_set_copy(*have, e->st.set);
	return ret < 0 ? ret : prefix_set_aggregate(*have);
}

int engine_age_policy(struct engine *e)
{
	struct prefix_set *have = NULL;
	bool touched = false;
	struct diag d;
	int ret = 0;

	diag_init(&d);
	for (size_t i = 0; ret == 0 && i < e->nsrcs; i++) {
		const struct source_result *r = &e->results[i];

		if ((r->status != SOURCE_CACHED && r->status != SOURCE_SNAPSHOT) ||
		    r->age_s <= e->cfg.max_age_s)
			continue;
		ret = installed_copy(e, &have);
		if (ret == 0)
			ret = restrict_one(e, i, have, &d);
		touched = true;
	}
	if (ret == 0 && touched)
		ret = rebuild_want(e);
	if (ret == 0 && touched && e->want->n == 0) {
		diag_err(&d, "no source has a prefix left to apply; nothing was changed");
		ret = -ENODATA;
	}
	if (ret < 0 && !d.msg[0])
		diag_err(&d, "age policy: %s", strerror(-ret));
	prefix_set_free(have);
	engine_report(e, &d, NULL);
	return ret;
}
