// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Shards of the firewalld backend (see fwd_shard.h): their ipset names and
 * the plan that spreads a family's list over them with boundaries taken from
 * what each shard serves now, so that a provider's clustered change refills
 * few of them. Pure data; it must never talk to firewalld.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwd_shard.h"
#include "prefix_set.h"

void fwd_shard_name(char buf[FWD_NAME_MAX], int i, size_t k, int t)
{
	if (k)
		snprintf(buf, FWD_NAME_MAX, "cdnallow%c-%u%s", i ? '6' : '4',
			 (unsigned)(k % FWD_SHARD_MAX), t ? "b" : "");
	else
		snprintf(buf, FWD_NAME_MAX, "cdnallow%c%s", i ? '6' : '4', t ? "b" : "");
}

bool fwd_shard_parse(const char *name, int *i, size_t *k, int *t)
{
	const char *s = name + strlen("cdnallow");
	size_t n = 0;

	if (strncmp(name, "cdnallow", strlen("cdnallow")) || (*s != '4' && *s != '6'))
		return false;
	*i = *s++ == '6';
	/* one spelling per shard: no "-0", no leading zeros */
	if (*s == '-') {
		if (*++s < '1' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9' && n < FWD_SHARD_MAX)
			n = n * 10 + (size_t)(*s++ - '0');
		if (n >= FWD_SHARD_MAX)
			return false;
	}
	*k = n;
	*t = *s == 'b';
	s += *t;
	return !*s;
}

void fwd_part_release(struct fwd_part *p)
{
	for (size_t k = 0; k < p->n; k++)
		prefix_set_free(p->v[k]);
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

/* A shard's slice of the sorted wanted list: w[start .. start + count). */
struct range {
	size_t k, start, count;
	struct prefix lo;
};

static int cmp_prefix(const void *a, const void *b)
{
	return prefix_cmp(a, b);
}

static int cmp_range(const void *a, const void *b)
{
	const struct range *x = a, *y = b;
	int c = prefix_cmp_start(&x->lo, &y->lo);

	return c ? c : (x->k > y->k) - (x->k < y->k);
}

/* The used shards in address order, each with its slice of w (n prefixes, sorted). */
static int find_ranges(const struct prefix_set *const *cur, size_t ncur, const struct prefix *w,
		       size_t n, struct range **out, size_t *nr)
{
	struct range *r = calloc(ncur + 1, sizeof(*r));
	size_t j = 0, at = 0;

	if (!r)
		return -ENOMEM;
	for (size_t k = 0; k < ncur; k++) {
		if (!cur[k] || !cur[k]->n)
			continue;
		r[j].k = k;
		r[j].lo = cur[k]->v[0];
		for (size_t e = 1; e < cur[k]->n; e++) {
			if (prefix_cmp_start(&cur[k]->v[e], &r[j].lo) < 0)
				r[j].lo = cur[k]->v[e];
		}
		j++;
	}
	if (!j)
		j = 1; /* nothing installed: shard 0 takes it all */
	qsort(r, j, sizeof(*r), cmp_range);
	/* the lowest shard also takes what lies below it */
	for (size_t x = 0; x < j; x++) {
		while (x && at < n && prefix_cmp_start(&w[at], &r[x].lo) < 0)
			at++;
		r[x].start = at;
		if (x)
			r[x - 1].count = at - r[x - 1].start;
	}
	r[j - 1].count = n - r[j - 1].start;
	*out = r;
	*nr = j;
	return 0;
}

/* A range below size / 4 joins a neighbour that stays within 2 * size. */
static void merge_small(struct range *r, size_t *nr, size_t size)
{
	for (size_t j = 0; *nr > 1 && j < *nr;) {
		bool prev = j && r[j - 1].count + r[j].count <= 2 * size;
		bool next = j + 1 < *nr && r[j + 1].count + r[j].count <= 2 * size;

		if (r[j].count >= size / 4 || (!prev && !next)) {
			j++;
			continue;
		}
		if (prev) {
			r[j - 1].count += r[j].count;
		} else {
			r[j + 1].start = r[j].start;
			r[j + 1].count += r[j].count;
		}
		memmove(&r[j], &r[j + 1], (*nr - j - 1) * sizeof(*r));
		(*nr)--;
	}
}

/* The lowest index neither serving now nor given out (taken has room for it). */
static size_t free_index(bool *taken)
{
	size_t k = 0;

	while (taken[k])
		k++;
	taken[k] = true;
	return k;
}

static size_t count_free(const bool *taken, size_t limit)
{
	size_t n = 0;

	for (size_t k = 0; k < limit; k++)
		n += !taken[k];
	return n;
}

static int put_slice(struct fwd_part *out, size_t k, const struct prefix *w, size_t n)
{
	if (k >= out->n)
		return -ERANGE;
	for (size_t e = 0; e < n; e++) {
		int r = prefix_set_add(out->v[k], &w[e]);

		if (r < 0)
			return r;
	}
	return 0;
}

/* Where piece p of m of c prefixes starts, p * c / m without its overflow at 1M prefixes. */
static size_t piece_start(size_t p, size_t c, size_t m)
{
	return p * (c / m) + p * (c % m) / m;
}

/*
 * Every range into out, those above 2 * size cut into pieces of about size,
 * fewer when the free indices below limit run out.
 */
static int cut(const struct range *rg, size_t nr, const struct prefix *w, size_t size, size_t limit,
	       bool *taken, struct fwd_part *out)
{
	int r = 0;

	for (size_t j = 0; r >= 0 && j < nr; j++) {
		size_t c = rg[j].count, m = c > 2 * size ? (c + size - 1) / size : 1;
		size_t room = 1 + count_free(taken, limit < out->n ? limit : out->n);

		m = m < room ? m : room;
		for (size_t p = 0; r >= 0 && p < m; p++) {
			size_t a = rg[j].start + piece_start(p, c, m);
			size_t b = rg[j].start + piece_start(p + 1, c, m);
			size_t k = p ? free_index(taken) : rg[j].k;

			if (k >= FWD_SHARD_MAX)
				return -E2BIG;
			r = put_slice(out, k, w + a, b - a);
		}
	}
	return r;
}

/* Room for every index cut() may hand out: the current ones plus one per piece. */
static size_t max_shards(const struct range *rg, size_t nr, size_t ncur, size_t size)
{
	size_t n = ncur + 1;

	for (size_t j = 0; j < nr; j++)
		n += rg[j].count / size + 1;
	return n;
}

int fwd_part_plan(const struct prefix_set *const *cur, size_t ncur, const struct prefix_set *want,
		  size_t size, size_t limit, struct fwd_part *out)
{
	struct prefix_set *w = NULL;
	struct range *rg = NULL;
	bool *taken = NULL;
	size_t nr = 0, n;
	int r;

	memset(out, 0, sizeof(*out));
	if (!size)
		return -EINVAL;
	w = prefix_set_new();
	r = w ? prefix_set_copy(w, want) : -ENOMEM;
	if (r >= 0 && w->n)
		qsort(w->v, w->n, sizeof(*w->v), cmp_prefix);
	if (r >= 0)
		r = find_ranges(cur, ncur, w->v, w->n, &rg, &nr);
	if (r < 0)
		goto out;
	merge_small(rg, &nr, size);
	n = max_shards(rg, nr, ncur, size);
	taken = calloc(n + 1, sizeof(*taken));
	out->v = calloc(n, sizeof(*out->v));
	r = taken && out->v ? 0 : -ENOMEM;
	for (size_t k = 0; r >= 0 && k < n; k++) {
		out->v[out->n++] = prefix_set_new();
		r = out->v[k] ? 0 : -ENOMEM;
		taken[k] = k < ncur && cur[k] && cur[k]->n;
	}
	for (size_t j = 0; r >= 0 && j < nr; j++)
		taken[rg[j].k] = true;
	if (r >= 0)
		r = cut(rg, nr, w->v, size, limit, taken, out);
	/* trailing unused indices are not part of the plan */
	while (r >= 0 && out->n > 1 && out->n > ncur && !out->v[out->n - 1]->n)
		prefix_set_free(out->v[--out->n]);
out:
	if (r < 0)
		fwd_part_release(out);
	prefix_set_free(w);
	free(rg);
	free(taken);
	return r;
}
