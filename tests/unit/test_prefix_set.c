// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the prefix set (src/core/prefix_set.c, prefix_text.c):
 * aggregation edge cases, diff, containment and ranges on made-up inputs
 * (documentation ranges where the value does not matter). The text parser
 * and the real fixtures are in test_prefix_text.c.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "diag.h"
#include "parse_helpers.h"
#include "prefix_set.h"

/* Parses text (no error allowed) into a fresh set. */
static struct prefix_set *set_of(const char *text, bool aggregate)
{
	struct prefix_set *s = prefix_set_new();
	struct diag d;

	assert_non_null(s);
	diag_init(&d);
	if (prefix_set_parse_text(s, text, strlen(text), "t", &d) != 0)
		fail_msg("parse failed: %s", d.msg);
	diag_release(&d);
	if (aggregate)
		assert_int_equal(prefix_set_aggregate(s), 0);
	return s;
}

static void assert_aggregates(const char *in, const char *want)
{
	struct prefix_set *s = set_of(in, true);

	assert_set(s, want);
	/* aggregation is idempotent */
	assert_int_equal(prefix_set_aggregate(s), 0);
	assert_set(s, want);
	prefix_set_free(s);
}

static void test_lifecycle(void **state)
{
	struct prefix_set *s = prefix_set_new(), *t = prefix_set_new();
	struct prefix p = { .hi = 0xc0000200ull << 32, .len = 24, .family = AF_INET };
	struct prefix bad = p;

	(void)state;
	prefix_set_free(NULL);
	assert_int_equal(s->n, 0);
	assert_int_equal(prefix_set_reserve(s, 1000), 0);
	assert_true(s->cap >= 1000);
	assert_int_equal(prefix_set_reserve(s, 10), 0);
	assert_true(s->cap >= 1000);
	assert_int_equal(prefix_set_add(s, &p), 0);
	assert_int_equal(s->n, 1);
	bad.family = AF_UNIX;
	assert_int_equal(prefix_set_add(s, &bad), -EINVAL);
	bad.family = AF_INET;
	bad.len = 33;
	assert_int_equal(prefix_set_add(s, &bad), -EINVAL);
	bad.family = AF_INET6;
	bad.len = 129;
	assert_int_equal(prefix_set_add(s, &bad), -EINVAL);
	assert_int_equal(s->n, 1);
	for (int i = 0; i < 5000; i++)
		assert_int_equal(prefix_set_add(s, &p), 0);
	assert_int_equal(s->n, 5001);
	assert_int_equal(prefix_set_copy(t, s), 0);
	assert_int_equal(t->n, 5001);
	assert_int_equal(prefix_set_extend(t, s), 0);
	assert_int_equal(t->n, 10002);
	assert_int_equal(prefix_set_aggregate(t), 0);
	assert_set(t, "192.0.2.0/24");
	/* aggregation gives back the over-reserved memory */
	assert_true(t->cap < 100);
	prefix_set_clear(s);
	assert_int_equal(s->n, 0);
	assert_int_equal(prefix_set_aggregate(s), 0);
	assert_int_equal(s->n, 0);
	assert_int_equal(prefix_set_copy(t, s), 0);
	assert_int_equal(t->n, 0);
	prefix_set_free(s);
	prefix_set_free(t);
}

static void test_aggregate_edges(void **state)
{
	(void)state;
	assert_aggregates("", "");
	assert_aggregates("192.0.2.0/24", "192.0.2.0/24");
	/* duplicates, containment, overlap */
	assert_aggregates("192.0.2.0/24\n192.0.2.0/24\n192.0.2.0/24", "192.0.2.0/24");
	assert_aggregates("192.0.2.0/25\n192.0.2.0/24\n192.0.2.77", "192.0.2.0/24");
	assert_aggregates("10.0.0.0/8\n10.1.0.0/16\n11.0.0.0/8", "10.0.0.0/7");
	/* adjacent but not siblings: stays two */
	assert_aggregates("10.0.0.0/8\n9.0.0.0/8", "9.0.0.0/8 10.0.0.0/8");
	/* a sibling cascade: four /26 then a /25 make a /23 */
	assert_aggregates("198.51.100.0/26\n198.51.100.64/26\n198.51.100.128/26\n"
			  "198.51.100.192/26\n198.51.101.0/25\n198.51.101.128/25",
			  "198.51.100.0/23");
	/* a gap keeps the cover minimal but not a single block */
	assert_aggregates("192.0.2.1\n192.0.2.2\n192.0.2.3\n192.0.2.4",
			  "192.0.2.1/32 192.0.2.2/31 192.0.2.4/32");
	/* whole spaces and the top of the space */
	assert_aggregates("0.0.0.0/0\n192.0.2.0/24\n255.255.255.255", "0.0.0.0/0");
	assert_aggregates("0.0.0.0/1\n128.0.0.0/1", "0.0.0.0/0");
	assert_aggregates("255.255.255.255\n255.255.255.254", "255.255.255.254/31");
	assert_aggregates("255.255.255.255", "255.255.255.255/32");
	assert_aggregates("0.0.0.0\n0.0.0.1", "0.0.0.0/31");
	assert_aggregates("::/0\n2001:db8::/32\nffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::/0");
	assert_aggregates("::/1\n8000::/1", "::/0");
	assert_aggregates("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\n"
			  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe",
			  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127");
	assert_aggregates("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
			  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
	/* merge across the hi/lo word boundary */
	assert_aggregates("2001:db8:0:0::/65\n2001:db8:0:0:8000::/65\n2001:db8:0:1::/64",
			  "2001:db8::/63");
	/* mixed families: IPv4 first, each merged on its own */
	assert_aggregates("2001:db8::/33\n192.0.2.128/25\n2001:db8:8000::/33\n192.0.2.0/25\n"
			  "0.0.0.0/0\n::/0",
			  "0.0.0.0/0 ::/0");
	assert_aggregates("2001:db8::/33\n192.0.2.128/25\n2001:db8:8000::/33\n192.0.2.0/25",
			  "192.0.2.0/24 2001:db8::/32");
	/* an IPv4 /0 and an IPv6 :: must not merge into each other */
	assert_aggregates("0.0.0.0/0\n::/128", "0.0.0.0/0 ::/128");
}

/* Sorted input with gaps keeps its order; what only looks sorted still goes through the sort. */
static void test_aggregate_sorted_input(void **state)
{
	(void)state;
	assert_aggregates(
		"192.0.2.1\n192.0.2.3\n198.51.100.0/24\n2001:db8::/32\n2001:db9::1",
		"192.0.2.1/32 192.0.2.3/32 198.51.100.0/24 2001:db8::/32 2001:db9::1/128");
	/* ascending but adjacent siblings, overlapping or equal: merged */
	assert_aggregates("192.0.2.0/25\n192.0.2.128/25", "192.0.2.0/24");
	assert_aggregates("192.0.2.0/24\n192.0.2.128/25", "192.0.2.0/24");
	assert_aggregates("192.0.2.7\n192.0.2.7", "192.0.2.7/32");
	/* the 64-bit IPv4 check at the ends of the space */
	assert_aggregates("0.0.0.0/1\n128.0.0.0/1", "0.0.0.0/0");
	assert_aggregates("255.255.255.254\n255.255.255.255", "255.255.255.254/31");
	assert_aggregates("0.0.0.0/0\n255.255.255.255", "0.0.0.0/0");
	assert_aggregates("10.0.0.0/8\n11.0.0.1", "10.0.0.0/8 11.0.0.1/32");
	/* IPv6 before IPv4, or descending within a family: sorted */
	assert_aggregates("2001:db8::/32\n192.0.2.0/24", "192.0.2.0/24 2001:db8::/32");
	assert_aggregates("192.0.2.9\n192.0.2.1\n2001:dba::/32\n2001:db8::/32",
			  "192.0.2.1/32 192.0.2.9/32 2001:db8::/32 2001:dba::/32");
	/* the top of the space next to anything: no end+1 to compare with */
	assert_aggregates("255.255.255.255\n::/128", "255.255.255.255/32 ::/128");
	assert_aggregates("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/128\n"
			  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
			  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127");
}

static void test_aggregate_cascade_big(void **state)
{
	struct prefix_set *s = prefix_set_new();
	struct prefix p = { .family = AF_INET, .len = 32 };

	(void)state;
	/* every /32 of 10.0.0.0/16 in reverse order collapses to one /16 */
	for (uint32_t i = 65536; i-- > 0;) {
		p.hi = (uint64_t)(0x0a000000u + i) << 32;
		assert_int_equal(prefix_set_add(s, &p), 0);
	}
	p.family = AF_INET6;
	p.len = 128;
	for (uint32_t i = 0; i < 4096; i++) {
		p.hi = 0x20010db800000000ull;
		p.lo = i;
		assert_int_equal(prefix_set_add(s, &p), 0);
	}
	assert_int_equal(prefix_set_aggregate(s), 0);
	assert_set(s, "10.0.0.0/16 2001:db8::/116");
	prefix_set_free(s);
}

static void test_aggregate_host_bits(void **state)
{
	struct prefix_set *s = prefix_set_new();
	struct prefix p = { .hi = 0xc0000201ull << 32, .len = 24, .family = AF_INET };
	struct prefix q = { .hi = 0x20010db800000000ull, .lo = 5, .len = 64, .family = AF_INET6 };

	(void)state;
	/* callers filling v directly may leave host bits: aggregation masks them */
	assert_int_equal(prefix_set_add(s, &q), 0);
	assert_int_equal(prefix_set_add(s, &p), 0);
	p.hi = 0xc0000000ull << 32;
	p.len = 32;
	assert_int_equal(prefix_set_add(s, &p), 0);
	assert_int_equal(prefix_set_aggregate(s), 0);
	assert_set(s, "192.0.0.0/32 192.0.2.0/24 2001:db8::/64");
	s->v[0].family = 99;
	assert_int_equal(prefix_set_aggregate(s), -EINVAL);
	/* ascending with a gap only before masking: the minimal check must see masked values */
	prefix_set_clear(s);
	p.hi = 0xc0000205ull << 32;
	p.len = 32;
	assert_int_equal(prefix_set_add(s, &p), 0);
	p.hi = 0xc0000207ull << 32;
	p.len = 30;
	assert_int_equal(prefix_set_add(s, &p), 0);
	assert_int_equal(prefix_set_aggregate(s), 0);
	assert_set(s, "192.0.2.4/30");
	s->v[0].len = 33;
	assert_int_equal(prefix_set_aggregate(s), -EINVAL);
	prefix_set_free(s);
}

static void test_count_equal(void **state)
{
	struct prefix_set *a = set_of("192.0.2.0/24\n2001:db8::/32\n198.51.100.0/24", true);
	struct prefix_set *b = set_of("198.51.100.0/25\n198.51.100.128/25\n2001:db8::/32\n"
				      "192.0.2.0/24",
				      true);
	struct prefix_set *c = set_of("192.0.2.0/24\n2001:db8::/32", true);

	(void)state;
	assert_int_equal(prefix_set_count(a, AF_INET), 2);
	assert_int_equal(prefix_set_count(a, AF_INET6), 1);
	assert_int_equal(prefix_set_count(c, AF_INET), 1);
	assert_true(prefix_set_equal(a, b));
	assert_false(prefix_set_equal(a, c));
	assert_false(prefix_set_equal(c, a));
	prefix_set_clear(c);
	assert_int_equal(prefix_set_count(c, AF_INET), 0);
	assert_true(prefix_set_equal(c, c));
	prefix_set_free(a);
	prefix_set_free(b);
	prefix_set_free(c);
}

/* one pass gives what prefix_set_count and prefix_set_addresses give per family */
static void test_tally(void **state)
{
	struct prefix_set *s = set_of("192.0.2.0/24\n198.51.100.7\n10.0.0.0/8\n2001:db8::/32\n"
				      "2001:db8::1/128\n::/0",
				      false);
	struct prefix odd = { .len = 40, .family = AF_INET }, other = { .len = 8, .family = 99 };
	size_t count[2];
	double addr[2];

	(void)state;
	prefix_set_tally(s, count, addr);
	assert_int_equal(count[0], 3);
	assert_int_equal(count[1], 3);
	assert_true(addr[0] == 256.0 + 1.0 + 16777216.0);
	assert_true(addr[1] == ldexp(1.0, 96) + 1.0 + ldexp(1.0, 128));
	/* filled directly: a length past the width is counted, never summed; a bad family neither
	 */
	assert_int_equal(prefix_set_reserve(s, s->n + 2), 0);
	s->v[s->n++] = odd;
	s->v[s->n++] = other;
	prefix_set_tally(s, count, addr);
	assert_int_equal(count[0], prefix_set_count(s, AF_INET));
	assert_int_equal(count[1], prefix_set_count(s, AF_INET6));
	assert_int_equal(count[0], 4);
	assert_true(addr[0] == prefix_set_addresses(s, AF_INET));
	assert_true(addr[1] == prefix_set_addresses(s, AF_INET6));
	prefix_set_clear(s);
	prefix_set_tally(s, count, addr);
	assert_true(count[0] == 0 && count[1] == 0 && addr[0] == 0 && addr[1] == 0);
	prefix_set_free(s);
}

static void test_diff(void **state)
{
	struct prefix_set *want = set_of("192.0.2.0/24\n198.51.100.0/24\n2001:db8:1::/48\n"
					 "2001:db8:2::/48\n203.0.113.0/25",
					 true);
	struct prefix_set *have = set_of("192.0.2.0/24\n203.0.113.0/24\n2001:db8:2::/48\n"
					 "2001:db8:5::/48",
					 true);
	struct prefix_set *add = prefix_set_new(), *del = prefix_set_new();
	size_t unchanged[2] = { 99, 99 };
	struct prefix junk = { .family = AF_INET, .len = 0 };

	(void)state;
	/* stale content in add/del is cleared */
	assert_int_equal(prefix_set_add(add, &junk), 0);
	assert_int_equal(prefix_set_add(del, &junk), 0);
	assert_int_equal(prefix_set_diff(want, have, add, del, unchanged), 0);
	assert_set(add, "198.51.100.0/24 203.0.113.0/25 2001:db8:1::/48");
	assert_set(del, "203.0.113.0/24 2001:db8:5::/48");
	assert_int_equal(unchanged[0], 1);
	assert_int_equal(unchanged[1], 1);
	/* against an empty set everything is new, and back */
	prefix_set_clear(have);
	assert_int_equal(prefix_set_diff(want, have, add, del, unchanged), 0);
	assert_true(prefix_set_equal(add, want));
	assert_int_equal(del->n, 0);
	assert_int_equal(unchanged[0] + unchanged[1], 0);
	assert_int_equal(prefix_set_diff(have, want, add, del, NULL), 0);
	assert_true(prefix_set_equal(del, want));
	assert_int_equal(add->n, 0);
	assert_int_equal(prefix_set_diff(want, want, add, del, unchanged), 0);
	assert_int_equal(add->n + del->n, 0);
	assert_int_equal(unchanged[0], 3);
	assert_int_equal(unchanged[1], 2);
	prefix_set_free(want);
	prefix_set_free(have);
	prefix_set_free(add);
	prefix_set_free(del);
}

static bool contains_text(const struct prefix_set *s, const char *text)
{
	struct prefix p;

	assert_int_equal(prefix_parse(text, strlen(text), &p, NULL), 0);
	return prefix_set_contains(s, &p);
}

static void test_contains(void **state)
{
	struct prefix_set *s = set_of("192.0.2.0/24\n198.51.100.0/25\n2001:db8::/32\n"
				      "255.255.255.255\nffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
				      true);
	struct prefix_set *e = prefix_set_new();

	(void)state;
	assert_true(contains_text(s, "192.0.2.0/24"));
	assert_true(contains_text(s, "192.0.2.0"));
	assert_true(contains_text(s, "192.0.2.255"));
	assert_true(contains_text(s, "192.0.2.128/25"));
	assert_false(contains_text(s, "192.0.2.0/23"));
	assert_false(contains_text(s, "192.0.3.0"));
	assert_false(contains_text(s, "192.0.1.255"));
	assert_true(contains_text(s, "198.51.100.127"));
	assert_false(contains_text(s, "198.51.100.128"));
	assert_false(contains_text(s, "198.51.100.0/24"));
	assert_false(contains_text(s, "0.0.0.0"));
	assert_true(contains_text(s, "255.255.255.255"));
	assert_false(contains_text(s, "255.255.255.254"));
	assert_true(contains_text(s, "2001:db8:ffff::/48"));
	assert_false(contains_text(s, "2001:db9::"));
	assert_false(contains_text(s, "::"));
	assert_true(contains_text(s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	assert_false(contains_text(s, "::/0"));
	/* an IPv6 address with the same bits as a covered IPv4 one */
	assert_false(contains_text(s, "c000:200::/24"));
	assert_false(contains_text(e, "192.0.2.0"));
	prefix_set_free(s);
	prefix_set_free(e);
}

static void test_add_range(void **state)
{
	struct prefix_set *s = prefix_set_new();
	static const uint8_t zero6[16] = { 0 };
	static const uint8_t db8[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	static const uint8_t db9[16] = { 0x20, 0x01, 0x0d, 0xb9 };

	(void)state;
	assert_int_equal(prefix_set_add_range(s, AF_INET, (const uint8_t[]){ 192, 0, 2, 0 },
					      (const uint8_t[]){ 192, 0, 3, 0 }),
			 0);
	assert_set(s, "192.0.2.0/24");
	prefix_set_clear(s);
	assert_int_equal(prefix_set_add_range(s, AF_INET, (const uint8_t[]){ 192, 0, 2, 1 },
					      (const uint8_t[]){ 192, 0, 2, 255 }),
			 0);
	assert_set(s, "192.0.2.1/32 192.0.2.2/31 192.0.2.4/30 192.0.2.8/29 192.0.2.16/28 "
		      "192.0.2.32/27 192.0.2.64/26 192.0.2.128/26 192.0.2.192/27 "
		      "192.0.2.224/28 192.0.2.240/29 192.0.2.248/30 192.0.2.252/31 "
		      "192.0.2.254/32");
	prefix_set_clear(s);
	assert_int_equal(prefix_set_add_range(s, AF_INET, (const uint8_t[]){ 0, 0, 0, 0 }, NULL),
			 0);
	assert_set(s, "0.0.0.0/0");
	prefix_set_clear(s);
	assert_int_equal(
		prefix_set_add_range(s, AF_INET, (const uint8_t[]){ 255, 255, 255, 255 }, NULL), 0);
	assert_set(s, "255.255.255.255/32");
	prefix_set_clear(s);
	assert_int_equal(prefix_set_add_range(s, AF_INET, (const uint8_t[]){ 0, 0, 0, 1 }, NULL),
			 0);
	assert_int_equal(s->n, 32);
	assert_int_equal(prefix_set_aggregate(s), 0);
	assert_int_equal(s->n, 32);
	prefix_set_clear(s);
	/* empty range adds nothing; a reversed one is an error */
	assert_int_equal(prefix_set_add_range(s, AF_INET, (const uint8_t[]){ 192, 0, 2, 9 },
					      (const uint8_t[]){ 192, 0, 2, 9 }),
			 0);
	assert_int_equal(s->n, 0);
	assert_int_equal(prefix_set_add_range(s, AF_INET, (const uint8_t[]){ 192, 0, 2, 9 },
					      (const uint8_t[]){ 192, 0, 2, 8 }),
			 -EINVAL);
	assert_int_equal(prefix_set_add_range(s, AF_UNIX, (const uint8_t[]){ 192, 0, 2, 9 }, NULL),
			 -EINVAL);
	assert_int_equal(prefix_set_add_range(s, AF_INET6, db8, db9), 0);
	assert_int_equal(prefix_set_add_range(s, AF_INET6, zero6, NULL), 0);
	assert_set(s, "2001:db8::/32 ::/0");
	prefix_set_clear(s);
	/* [::1, top]: one prefix per bit, 128 of them */
	assert_int_equal(prefix_set_add_range(s, AF_INET6, (const uint8_t[16]){ [15] = 1 }, NULL),
			 0);
	assert_int_equal(s->n, 128);
	prefix_set_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lifecycle),
		cmocka_unit_test(test_aggregate_edges),
		cmocka_unit_test(test_aggregate_sorted_input),
		cmocka_unit_test(test_aggregate_cascade_big),
		cmocka_unit_test(test_aggregate_host_bits),
		cmocka_unit_test(test_tally),
		cmocka_unit_test(test_count_equal),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_contains),
		cmocka_unit_test(test_add_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
