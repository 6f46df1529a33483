// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the firewalld backend's shards (src/backends/fwd_shard.c):
 * ipset names both ways, and the plan that spreads a list over shards with
 * stable boundaries: first layout, a clustered change touching one shard,
 * splits into free indices, merges, an upgrade from the one-set layout.
 * Lists are made-up /24s of 20.0.0.0/8 and documentation ranges.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "../../src/backends/fwd_shard.h"
#include "prefix_set.h"

/* The /24s 20.x.y.0 numbered from..to-1 (every other /24, so none merge). */
static struct prefix_set *range_of(unsigned from, unsigned to)
{
	struct prefix_set *s = prefix_set_new();
	char buf[32];
	struct prefix p;

	assert_non_null(s);
	for (unsigned i = from; i < to; i++) {
		snprintf(buf, sizeof(buf), "20.%u.%u.0/24", (2 * i) / 256, (2 * i) % 256);
		assert_int_equal(prefix_parse(buf, strlen(buf), &p, NULL), 0);
		assert_int_equal(prefix_set_add(s, &p), 0);
	}
	return s;
}

static void names(void **state)
{
	char buf[FWD_NAME_MAX];
	size_t k;
	int i, t;

	(void)state;
	fwd_shard_name(buf, 0, 0, 0);
	assert_string_equal(buf, "cdnallow4");
	fwd_shard_name(buf, 1, 0, 1);
	assert_string_equal(buf, "cdnallow6b");
	fwd_shard_name(buf, 0, 17, 1);
	assert_string_equal(buf, "cdnallow4-17b");
	fwd_shard_name(buf, 1, FWD_SHARD_MAX - 1, 1);
	assert_true(fwd_shard_parse(buf, &i, &k, &t));
	assert_true(i == 1 && k == FWD_SHARD_MAX - 1 && t == 1);
	assert_true(fwd_shard_parse("cdnallow6-3", &i, &k, &t));
	assert_true(i == 1 && k == 3 && t == 0);
	assert_true(fwd_shard_parse("cdnallow4b", &i, &k, &t));
	assert_true(i == 0 && k == 0 && t == 1);
	assert_false(fwd_shard_parse("cdnallow4-0", &i, &k, &t));
	assert_false(fwd_shard_parse("cdnallow4-01", &i, &k, &t));
	assert_false(fwd_shard_parse("cdnallow4-", &i, &k, &t));
	assert_false(fwd_shard_parse("cdnallow4-3c", &i, &k, &t));
	assert_false(fwd_shard_parse("cdnallow4-99999", &i, &k, &t));
	assert_false(fwd_shard_parse("cdnallow5", &i, &k, &t));
	assert_false(fwd_shard_parse("cdnallow", &i, &k, &t));
	assert_false(fwd_shard_parse("cdnallow4bb", &i, &k, &t));
}

/* Every wanted prefix in exactly one shard, each shard's slice within bounds. */
static void assert_partition(const struct fwd_part *p, const struct prefix_set *want, size_t size)
{
	size_t total = 0;

	for (size_t k = 0; k < p->n; k++) {
		assert_true(p->v[k]->n <= 2 * size);
		total += p->v[k]->n;
		for (size_t e = 0; e < p->v[k]->n; e++) {
			bool in = false;

			for (size_t w = 0; !in && w < want->n; w++)
				in = prefix_equal(&want->v[w], &p->v[k]->v[e]);
			assert_true(in);
		}
	}
	assert_int_equal(total, want->n);
}

static void small_and_empty(void **state)
{
	struct prefix_set *want = range_of(0, 30), *none = prefix_set_new();
	struct fwd_part p;

	(void)state;
	assert_int_equal(fwd_part_plan(NULL, 0, want, 100, FWD_SHARD_MAX, &p), 0);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.v[0]->n, 30);
	fwd_part_release(&p);
	assert_int_equal(fwd_part_plan(NULL, 0, none, 100, FWD_SHARD_MAX, &p), 0);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.v[0]->n, 0);
	fwd_part_release(&p);
	assert_int_equal(fwd_part_plan(NULL, 0, want, 0, FWD_SHARD_MAX, &p), -EINVAL);
	assert_int_equal(p.n, 0);
	assert_null(p.v);
	prefix_set_free(want);
	prefix_set_free(none);
}

/* A first layout of 1000 at size 100: ten shards of 100; then a clustered change. */
static void first_then_clustered(void **state)
{
	struct prefix_set *want = range_of(0, 1000), *next = range_of(10, 1010);
	const struct prefix_set *cur[16];
	struct fwd_part p, q;

	(void)state;
	assert_int_equal(fwd_part_plan(NULL, 0, want, 100, FWD_SHARD_MAX, &p), 0);
	assert_int_equal(p.n, 10);
	for (size_t k = 0; k < p.n; k++)
		assert_int_equal(p.v[k]->n, 100);
	assert_partition(&p, want, 100);
	/* the first 10 dropped, 10 added at the end: shards 0 and 9 change, no other */
	for (size_t k = 0; k < p.n; k++)
		cur[k] = p.v[k];
	assert_int_equal(fwd_part_plan(cur, p.n, next, 100, FWD_SHARD_MAX, &q), 0);
	assert_int_equal(q.n, 10);
	assert_partition(&q, next, 100);
	for (size_t k = 1; k < 9; k++)
		assert_true(prefix_set_equal(q.v[k], p.v[k]));
	assert_int_equal(q.v[0]->n, 90);
	assert_int_equal(q.v[9]->n, 110);
	fwd_part_release(&p);
	fwd_part_release(&q);
	prefix_set_free(want);
	prefix_set_free(next);
}

/* One shard grows past 2 * size: it splits, the new pieces take the lowest free indices. */
static void split_into_free(void **state)
{
	struct prefix_set *a = range_of(0, 100), *b = range_of(100, 200), *want = range_of(0, 450);
	const struct prefix_set *cur[4] = { a, NULL, b, NULL };
	struct fwd_part p;

	(void)state;
	assert_int_equal(fwd_part_plan(cur, 4, want, 100, FWD_SHARD_MAX, &p), 0);
	assert_partition(&p, want, 100);
	assert_true(prefix_set_equal(p.v[0], a)); /* untouched */
	assert_int_equal(p.v[2]->n, 350 / 4);	  /* 350 in 4 pieces: 2, then 1, 3, 4 */
	assert_int_equal(p.v[1]->n + p.v[3]->n + p.v[4]->n, 350 - 350 / 4);
	assert_int_equal(p.n, 5);
	fwd_part_release(&p);
	prefix_set_free(a);
	prefix_set_free(b);
	prefix_set_free(want);
}

/* A shard shrinking below size / 4 joins its neighbour; an emptied one is unused. */
static void merge_small(void **state)
{
	struct prefix_set *a = range_of(0, 100), *b = range_of(100, 200), *c = range_of(200, 300);
	struct prefix_set *want = range_of(0, 110), *tail = range_of(200, 300);
	const struct prefix_set *cur[3] = { a, b, c };
	struct fwd_part p;

	(void)state;
	assert_int_equal(prefix_set_extend(want, tail), 0);
	assert_int_equal(fwd_part_plan(cur, 3, want, 100, FWD_SHARD_MAX, &p), 0);
	assert_partition(&p, want, 100);
	assert_int_equal(p.v[0]->n, 110); /* b's 10 left joined a */
	assert_int_equal(p.v[1]->n, 0);
	assert_true(prefix_set_equal(p.v[2], c));
	fwd_part_release(&p);
	prefix_set_free(a);
	prefix_set_free(b);
	prefix_set_free(c);
	prefix_set_free(want);
	prefix_set_free(tail);
}

/*
 * A host of the one-set layout (everything in shard 0) is cut into shards of
 * the size, shard 0 keeping the first piece; without free indices below the
 * limit the range stays whole or is cut in fewer, larger pieces.
 */
static void one_set_cut(void **state)
{
	static const struct {
		size_t limit, n, each, bound; /* each: every shard's count, 0 = not all alike */
	} rows[] = {
		{ FWD_SHARD_MAX, 5, 100, 100 },
		{ 3, 3, 0, 250 },
		{ 1, 1, 500, 250 },
	};
	struct prefix_set *all = range_of(0, 500);
	const struct prefix_set *cur[1] = { all };
	struct fwd_part p;

	(void)state;
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		assert_int_equal(fwd_part_plan(cur, 1, all, 100, rows[r].limit, &p), 0);
		assert_int_equal(p.n, rows[r].n);
		assert_partition(&p, all, rows[r].bound);
		for (size_t k = 0; rows[r].each && k < p.n; k++)
			assert_int_equal(p.v[k]->n, rows[r].each);
		assert_true(prefix_equal(&p.v[0]->v[0], &all->v[0]));
		fwd_part_release(&p);
	}
	prefix_set_free(all);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names),
		cmocka_unit_test(small_and_empty),
		cmocka_unit_test(first_then_clustered),
		cmocka_unit_test(split_into_free),
		cmocka_unit_test(merge_small),
		cmocka_unit_test(one_set_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
