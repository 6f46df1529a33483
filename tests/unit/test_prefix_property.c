// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Property tests for the prefix set: thousands of seeded random sets drawn
 * from small address spaces (an IPv4 /20, an IPv6 /116, including the very
 * top of each address space) so that overlaps, duplicates and sibling
 * cascades are the rule. Each result is checked against a brute-force model:
 * a bitmap of covered addresses, and the minimal cover computed
 * independently as the maximal fully covered aligned blocks of that bitmap.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "prefix_set.h"

#define SPACE_BITS 12
#define SPACE_SIZE (1u << SPACE_BITS)
#define ITERATIONS 4000

struct space {
	struct prefix base; /* a /20 or /116: SPACE_SIZE addresses */
	bool map[SPACE_SIZE];
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)((rng_state >> 11) % n);
}

static const char *const bases[] = {
	"198.51.96.0/20",
	"0.0.0.0/20",
	"255.255.240.0/20",
	"2001:db8::/116",
	"::/116",
	"ffff:ffff:ffff:ffff:ffff:ffff:ffff:f000/116",
	"2001:db8:0:1:ffff:ffff:ffff:f000/116",
};

static void space_init(struct space *sp, const char *base)
{
	static const uint8_t zero[16];

	memset(sp, 0, sizeof(*sp));
	/* the parser refuses ::/116 (IPv4-compatible space); the set must not care */
	if (strcmp(base, "::/116") == 0)
		assert_int_equal(prefix_from_bytes(AF_INET6, zero, 116, &sp->base), 0);
	else
		assert_int_equal(prefix_parse(base, strlen(base), &sp->base, NULL), 0);
}

/* The block of 2^h addresses at index i of the space. */
static struct prefix block(const struct space *sp, uint32_t i, unsigned h)
{
	struct prefix p = sp->base;

	if (p.family == AF_INET)
		p.hi += (uint64_t)i << 32;
	else
		p.lo += i;
	p.len = (uint8_t)(prefix_width(&p) - h);
	return p;
}

static struct prefix random_block(const struct space *sp, uint32_t *start, unsigned *h)
{
	*h = rnd(SPACE_BITS + 1);
	/* small blocks dominate, so the space does not fill up at once */
	if (rnd(3))
		*h = rnd(*h + 1);
	*start = rnd(SPACE_SIZE) & ~((1u << *h) - 1);
	return block(sp, *start, *h);
}

static void mark(struct space *sp, uint32_t start, unsigned h)
{
	for (uint32_t j = start; j < start + (1u << h); j++)
		sp->map[j] = true;
}

/* Appends the maximal fully covered aligned blocks, in address order. */
static void model_cover(const struct space *sp, uint32_t start, unsigned h, struct prefix_set *out)
{
	uint32_t set = 0;

	for (uint32_t j = start; j < start + (1u << h); j++)
		set += sp->map[j];
	if (set == 0)
		return;
	if (set == 1u << h) {
		struct prefix p = block(sp, start, h);

		assert_int_equal(prefix_set_add(out, &p), 0);
		return;
	}
	model_cover(sp, start, h - 1, out);
	model_cover(sp, start + (1u << (h - 1)), h - 1, out);
}

static void fill_random(struct prefix_set *s, struct space *v4, struct space *v6)
{
	uint32_t n = 1 + rnd(48), start;
	unsigned h;

	for (uint32_t i = 0; i < n; i++) {
		struct space *sp = rnd(2) ? v4 : v6;
		struct prefix p = random_block(sp, &start, &h);

		mark(sp, start, h);
		assert_int_equal(prefix_set_add(s, &p), 0);
		/* duplicates on purpose */
		if (rnd(8) == 0)
			assert_int_equal(prefix_set_add(s, &p), 0);
	}
}

static void pick_spaces(struct space *v4, struct space *v6)
{
	space_init(v4, bases[rnd(3)]);
	space_init(v6, bases[3 + rnd(4)]);
}

static void test_aggregate_matches_model(void **state)
{
	struct prefix_set *s = prefix_set_new(), *want = prefix_set_new();
	struct space v4, v6;

	(void)state;
	for (int it = 0; it < ITERATIONS; it++) {
		pick_spaces(&v4, &v6);
		prefix_set_clear(s);
		prefix_set_clear(want);
		fill_random(s, &v4, &v6);
		assert_int_equal(prefix_set_aggregate(s), 0);
		model_cover(&v4, 0, SPACE_BITS, want);
		model_cover(&v6, 0, SPACE_BITS, want);
		if (!prefix_set_equal(s, want))
			fail_msg("iteration %d: %zu prefixes, model has %zu", it, s->n, want->n);
		/* sorted, disjoint, no mergeable siblings (implied, but cheap to state) */
		for (size_t i = 1; i < s->n; i++) {
			const struct prefix *a = &s->v[i - 1], *b = &s->v[i];
			uint8_t next[16], first[16];

			assert_true(prefix_cmp(a, b) < 0);
			if (a->family != b->family)
				continue;
			assert_false(prefix_contains(a, b));
			if (prefix_next_bytes(a, next) && a->len == b->len) {
				prefix_first_bytes(b, first);
				if (memcmp(next, first, 16) == 0) {
					struct prefix parent = *a;

					parent.len--;
					assert_false(prefix_contains(&parent, b));
				}
			}
		}
		/* containment agrees with the bitmap */
		for (int k = 0; k < 16; k++) {
			struct space *sp = rnd(2) ? &v4 : &v6;
			uint32_t start, all = 1;
			unsigned h;
			struct prefix p = random_block(sp, &start, &h);

			for (uint32_t j = start; j < start + (1u << h); j++)
				all &= sp->map[j];
			assert_int_equal(prefix_set_contains(s, &p), all);
		}
	}
	prefix_set_free(s);
	prefix_set_free(want);
}

static bool has(const struct prefix_set *s, const struct prefix *p)
{
	for (size_t i = 0; i < s->n; i++) {
		if (prefix_equal(&s->v[i], p))
			return true;
	}
	return false;
}

/* Reference diff: exact membership by linear search. */
static void model_diff(const struct prefix_set *a, const struct prefix_set *b,
		       struct prefix_set *only_a, size_t same[2])
{
	prefix_set_clear(only_a);
	for (size_t i = 0; i < a->n; i++) {
		if (!has(b, &a->v[i]))
			assert_int_equal(prefix_set_add(only_a, &a->v[i]), 0);
		else if (same)
			same[a->v[i].family == AF_INET ? 0 : 1]++;
	}
}

static void test_diff_matches_model(void **state)
{
	struct prefix_set *a = prefix_set_new(), *b = prefix_set_new();
	struct prefix_set *add = prefix_set_new(), *del = prefix_set_new();
	struct prefix_set *ref_add = prefix_set_new(), *ref_del = prefix_set_new();
	struct space v4, v6;

	(void)state;
	for (int it = 0; it < ITERATIONS; it++) {
		size_t unchanged[2], same[2] = { 0, 0 };

		pick_spaces(&v4, &v6);
		prefix_set_clear(a);
		prefix_set_clear(b);
		fill_random(a, &v4, &v6);
		fill_random(b, &v4, &v6);
		/* b often shares most of a, like a list that changed a little */
		if (rnd(2))
			assert_int_equal(prefix_set_extend(b, a), 0);
		assert_int_equal(prefix_set_aggregate(a), 0);
		assert_int_equal(prefix_set_aggregate(b), 0);
		assert_int_equal(prefix_set_diff(a, b, add, del, unchanged), 0);
		model_diff(a, b, ref_add, same);
		model_diff(b, a, ref_del, NULL);
		assert_true(prefix_set_equal(add, ref_add));
		assert_true(prefix_set_equal(del, ref_del));
		assert_int_equal(unchanged[0], same[0]);
		assert_int_equal(unchanged[1], same[1]);
		assert_int_equal(add->n + unchanged[0] + unchanged[1], a->n);
		assert_int_equal(del->n + unchanged[0] + unchanged[1], b->n);
	}
	prefix_set_free(a);
	prefix_set_free(b);
	prefix_set_free(add);
	prefix_set_free(del);
	prefix_set_free(ref_add);
	prefix_set_free(ref_del);
}

static void test_add_range_matches_model(void **state)
{
	struct prefix_set *s = prefix_set_new(), *want = prefix_set_new();
	struct space sp;

	(void)state;
	for (int it = 0; it < ITERATIONS; it++) {
		uint32_t first = rnd(SPACE_SIZE), next = first + 1 + rnd(SPACE_SIZE - first);
		struct prefix f, x;
		uint8_t fb[16], nb[16];
		bool top;

		space_init(&sp, bases[rnd(7)]);
		f = block(&sp, first, 0);
		prefix_first_bytes(&f, fb);
		/* next may be one past the space: at the top of the address space that is NULL */
		x = block(&sp, next - 1, 0);
		top = !prefix_next_bytes(&x, nb);
		prefix_set_clear(s);
		prefix_set_clear(want);
		assert_int_equal(prefix_set_add_range(s, sp.base.family, fb, top ? NULL : nb), 0);
		mark(&sp, first, 0);
		for (uint32_t j = first; j < next; j++)
			sp.map[j] = true;
		model_cover(&sp, 0, SPACE_BITS, want);
		assert_true(prefix_set_equal(s, want));
	}
	prefix_set_free(s);
	prefix_set_free(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aggregate_matches_model),
		cmocka_unit_test(test_diff_matches_model),
		cmocka_unit_test(test_add_range_matches_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
