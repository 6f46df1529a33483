// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Entry lists of the firewalld backend (see fwd_entries.h): parse firewalld's
 * ipset entries, compare them exactly with the wanted set, format the wanted
 * set for setEntries. Pure data; it must never talk to firewalld.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fwd_dbus.h"
#include "fwd_entries.h"
#include "prefix_set.h"

void fwd_entries_release(struct fwd_entries *e)
{
	fwd_strv_free(e->raw);
	prefix_set_free(e->set);
	prefix_set_free(e->sorted);
	memset(e, 0, sizeof(*e));
}

static int cmp_prefix(const void *a, const void *b)
{
	return prefix_cmp(a, b);
}

/* True when the sorted set s holds exactly p. */
bool fwd_set_has(const struct prefix_set *s, const struct prefix *p)
{
	return s->n && bsearch(p, s->v, s->n, sizeof(*s->v), cmp_prefix);
}

/* Takes ownership of raw. */
int fwd_entries_parse(struct fwd_entries *e, char **raw, int fam)
{
	struct prefix p;
	int r;

	e->raw = raw;
	e->set = prefix_set_new();
	e->sorted = prefix_set_new();
	if (!e->set || !e->sorted)
		return -ENOMEM;
	for (char **s = raw; s && *s; s++) {
		r = prefix_parse(*s, strlen(*s), &p, NULL);
		if (r < 0 || p.family != fam) {
			e->bad++;
			continue;
		}
		r = prefix_set_add(e->set, &p);
		if (r < 0)
			return r;
	}
	r = prefix_set_copy(e->sorted, e->set);
	if (r < 0)
		return r;
	if (e->sorted->n)
		qsort(e->sorted->v, e->sorted->n, sizeof(*e->sorted->v), cmp_prefix);
	return 0;
}

bool fwd_entries_is_empty(const struct fwd_entries *e)
{
	return e->raw && !e->raw[0];
}

/* True when e holds exactly the aggregated set want (which has one family). */
bool fwd_entries_equal(const struct fwd_entries *e, const struct prefix_set *want)
{
	struct prefix_set *agg;
	bool eq;

	if (!e->raw || e->bad || e->set->n != want->n)
		return false;
	agg = prefix_set_new();
	if (!agg || prefix_set_copy(agg, e->set) < 0 || prefix_set_aggregate(agg) < 0) {
		prefix_set_free(agg);
		return false;
	}
	eq = prefix_set_equal(agg, want);
	prefix_set_free(agg);
	return eq;
}

int fwd_family_of(const struct prefix_set *all, int fam, struct prefix_set *out)
{
	int r;

	prefix_set_clear(out);
	for (size_t i = 0; i < all->n; i++) {
		if (all->v[i].family != fam)
			continue;
		r = prefix_set_add(out, &all->v[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* want formatted as a NULL-terminated vector in one allocation. */
char **fwd_format_strv(const struct prefix_set *want)
{
	char **v;
	char *buf;

	v = malloc((want->n + 1) * sizeof(char *) + want->n * PREFIX_STRLEN);
	if (!v)
		return NULL;
	buf = (char *)(v + want->n + 1);
	for (size_t i = 0; i < want->n; i++) {
		v[i] = buf + i * PREFIX_STRLEN;
		prefix_format(&want->v[i], v[i], PREFIX_STRLEN);
	}
	v[want->n] = NULL;
	return v;
}
