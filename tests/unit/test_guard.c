// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of the guard (docs/architecture.md §5): which prefixes are never allowed,
 * which only with allow_test_ranges, the list rules (empty, floor, shrink,
 * bad prefixes) with and without --force, and the URL rule. The prefixes are
 * made up for the rules they probe; the positive lists are the real fixtures.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <jansson.h>

#include "fileio.h"
#include "diag.h"
#include "guard.h"
#include "prefix.h"
#include "prefix_set.h"
#include "source.h"

static struct prefix pfx(const char *s)
{
	struct prefix p;

	assert_int_equal(prefix_parse(s, strlen(s), &p, NULL), 0);
	return p;
}

static const char *reason(const char *s, bool allow_test)
{
	struct prefix p = pfx(s);

	return guard_prefix_reason(&p, allow_test);
}

static struct prefix_set *set_of(const char *const *list)
{
	struct prefix_set *s = prefix_set_new();

	assert_non_null(s);
	for (size_t i = 0; list[i]; i++) {
		struct prefix p = pfx(list[i]);

		assert_int_equal(prefix_set_add(s, &p), 0);
	}
	return s;
}

/* A made-up list of n distinct public /24s (in 23.0.0.0/8). */
static struct prefix_set *set_of_n(size_t n)
{
	struct prefix_set *s = prefix_set_new();

	assert_non_null(s);
	for (size_t i = 0; i < n; i++) {
		char buf[32];

		snprintf(buf, sizeof(buf), "23.%zu.%zu.0/24", i / 128, (i % 128) * 2);
		struct prefix p = pfx(buf);
		assert_int_equal(prefix_set_add(s, &p), 0);
	}
	assert_int_equal(prefix_set_aggregate(s), 0);
	assert_int_equal(s->n, n);
	return s;
}

/* The list rules with a floor and an IPv4-only history of last_v4 prefixes (0: none). */
static int chk(const char *source, const struct prefix_set *s, size_t floor, size_t last_v4,
	       const struct guard_opts *o, struct diag *d)
{
	struct guard_limits lim = { .floor = floor };

	lim.last.known = last_v4 > 0;
	lim.last.count[0] = last_v4;
	return guard_check_list(source, s, &lim, o, d);
}

/* The list rules against a history equal to the list itself, with the generic budget. */
static int chk_same(const char *source, const struct prefix_set *s, const struct guard_opts *o,
		    struct diag *d)
{
	struct guard_limits lim = { .floor = 1 };

	lim.max_addresses[0] = GUARD_GENERIC_MAX_V4;
	lim.max_addresses[1] = GUARD_GENERIC_MAX_V6;
	lim.last.known = true;
	lim.last.count[0] = prefix_set_count(s, AF_INET);
	lim.last.count[1] = prefix_set_count(s, AF_INET6);
	lim.last.addresses[0] = prefix_set_addresses(s, AF_INET);
	lim.last.addresses[1] = prefix_set_addresses(s, AF_INET6);
	return guard_check_list(source, s, &lim, o, d);
}

static void test_default_route(void **state)
{
	(void)state;
	assert_string_equal(reason("0.0.0.0/0", false), "default route 0.0.0.0/0");
	assert_string_equal(reason("::/0", true), "default route ::/0");
}

static void test_too_broad(void **state)
{
	(void)state;
	assert_string_equal(reason("2.0.0.0/7", false), "broader than /8");
	assert_null(reason("1.0.0.0/8", false));
	assert_string_equal(reason("2400::/23", false), "broader than /24");
	assert_null(reason("2400:cb00::/32", false));
	assert_null(reason("2400:cb00::/24", false));
}

struct bogon_case {
	const char *prefix;
	const char *reason; /* NULL: allowed */
};

static void test_special_ranges(void **state)
{
	static const struct bogon_case cases[] = {
		{ "0.1.2.0/24", "'this network' 0.0.0.0/8" },
		{ "10.20.30.0/24", "private-use 10.0.0.0/8" },
		{ "100.100.0.0/16", "shared address space (CGNAT) 100.64.0.0/10" },
		{ "100.128.0.0/16", NULL }, /* just past CGNAT */
		{ "127.0.0.1/32", "loopback 127.0.0.0/8" },
		{ "169.254.169.254/32", "link-local 169.254.0.0/16" },
		{ "172.31.255.0/24", "private-use 172.16.0.0/12" },
		{ "172.32.0.0/16", NULL },
		{ "192.0.0.8/29", "IETF protocol assignments 192.0.0.0/24" },
		{ "192.88.99.1/32", "6to4 relay anycast 192.88.99.0/24" },
		{ "192.168.1.0/24", "private-use 192.168.0.0/16" },
		{ "198.19.0.0/16", "benchmarking 198.18.0.0/15" },
		{ "198.20.0.0/16", NULL },
		{ "224.0.0.251/32", "multicast 224.0.0.0/4" },
		{ "250.0.0.0/8", "reserved 240.0.0.0/4" },
		{ "255.255.255.255/32", "reserved 240.0.0.0/4" },
		/* a broad prefix that covers a special range is refused too */
		{ "172.0.0.0/8", "private-use 172.16.0.0/12" },
		{ "198.0.0.0/8", "benchmarking 198.18.0.0/15" },
		{ "::/128", "unspecified ::/128" },
		{ "::1/128", "loopback ::1/128" },
		{ "::/24", "unspecified ::/128" },
		{ "64:ff9b::/96", "NAT64 64:ff9b::/96" },
		{ "64:ff9b:1::/64", "local-use NAT64 64:ff9b:1::/48" },
		{ "100::/64", "discard-only 100::/64" },
		{ "2001::/32", "Teredo 2001::/32" },
		{ "2001:10::/28", "ORCHID 2001:10::/28" },
		{ "2002:c000:0204::/48", "6to4 2002::/16" },
		{ "fd00::/48", "unique-local fc00::/7" },
		{ "fe80::/64", "link-local fe80::/10" },
		{ "fec0::/32", "site-local fec0::/10" },
		{ "ff02::1/128", "multicast ff00::/8" },
		{ "2001::/24", "Teredo 2001::/32" },
		{ "2001:4860::/32", NULL },
		{ "2606:4700::/32", NULL },
		{ "104.16.0.0/13", NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = reason(cases[i].prefix, true);

		if (!cases[i].reason) {
			if (got)
				fail_msg("%s: refused (%s), expected allowed", cases[i].prefix,
					 got);
			continue;
		}
		if (!got || strcmp(got, cases[i].reason))
			fail_msg("%s: got '%s', expected '%s'", cases[i].prefix,
				 got ? got : "(allowed)", cases[i].reason);
	}
}

static void test_documentation_ranges(void **state)
{
	static const char *const doc[] = { "192.0.2.0/24",  "198.51.100.7/32", "203.0.113.0/25",
					   "2001:db8::/32", "2001:db8:1::/48", "3fff::/24",
					   "3fff:fff::/32" };

	(void)state;
	for (size_t i = 0; i < sizeof(doc) / sizeof(doc[0]); i++) {
		const char *r = reason(doc[i], false);

		if (!r || !strstr(r, "documentation"))
			fail_msg("%s: got '%s'", doc[i], r ? r : "(allowed)");
		assert_null(reason(doc[i], true));
	}
	/* next to documentation ranges, not in them */
	assert_null(reason("192.0.3.0/24", false));
	assert_null(reason("2a06:98c0::/29", false));
	assert_string_equal(reason("2000::/3", true), "broader than /24");
}

static void test_fixture_lists_pass(void **state)
{
	static const char *const files[] = { "cloudflare-ips-v4.txt", "cloudflare-ips-v6.txt",
					     "akamai-v4.txt", "akamai-v6.txt" };
	struct guard_opts o = { .max_shrink = 30 };

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct prefix_set *s = prefix_set_new();
		char path[4096], *buf = NULL;
		struct diag d;
		size_t len = 0;

		diag_init(&d);
		snprintf(path, sizeof(path), "%s/%s", FIXTURES_DIR, files[i]);
		assert_int_equal(file_read_all(path, 1 << 20, &buf, &len), 0);
		assert_int_equal(prefix_set_parse_text(s, buf, len, files[i], &d), 0);
		assert_int_equal(prefix_set_aggregate(s), 0);
		assert_int_equal(chk_same(files[i], s, &o, &d), 0);
		assert_string_equal(d.msg, "");
		assert_int_equal(d.nwarnings, 0);
		free(buf);
		prefix_set_free(s);
		diag_release(&d);
	}
}

static void test_empty(void **state)
{
	struct guard_opts o = { .max_shrink = 30, .force = true };
	struct prefix_set *s = prefix_set_new();
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(chk("x", s, 0, 0, &o, &d), -EPERM);
	assert_string_equal(d.msg, "source 'x': list is empty (0 prefixes); keeping the last good "
				   "list — check the URL / the HTTP response");
	/* a local file has no URL to check */
	diag_release(&d);
	diag_init(&d);
	struct guard_limits lim = { .local = true };
	assert_int_equal(guard_check_list("/etc/x.txt", s, &lim, &o, &d), -EPERM);
	assert_string_equal(d.msg, "source '/etc/x.txt': list is empty (0 prefixes); keeping the "
				   "last good list — check the file's contents");
	prefix_set_free(s);
	diag_release(&d);
}

static void test_floor(void **state)
{
	struct guard_opts o = { .max_shrink = 30 };
	struct prefix_set *s = set_of_n(3);
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(chk("x", s, 10, 0, &o, &d), -EPERM);
	assert_string_equal(d.msg, "source 'x': has 3 prefixes, fewer than the floor of 10 for "
				   "this provider; set [provider:x] floor = 3 if this is expected, "
				   "or --force");
	diag_release(&d);

	diag_init(&d);
	assert_int_equal(chk("x", s, 3, 0, &o, &d), 0);
	assert_string_equal(d.msg, "");
	diag_release(&d);

	o.force = true;
	diag_init(&d);
	assert_int_equal(chk("x", s, 10, 0, &o, &d), 0);
	assert_string_equal(d.msg, "");
	assert_int_equal(d.nwarnings, 1);
	assert_non_null(strstr(d.warnings[0], "fewer than the floor of 10"));
	assert_non_null(strstr(d.warnings[0], "--force"));
	diag_release(&d);
	prefix_set_free(s);
}

static void test_shrink(void **state)
{
	struct guard_opts o = { .max_shrink = 30 };
	struct prefix_set *s90 = set_of_n(90), *s140 = set_of_n(140), *s139 = set_of_n(139);
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(chk("cf", s90, 10, 200, &o, &d), -EPERM);
	assert_string_equal(
		d.msg, "source 'cf': IPv4 shrank from 200 to 90 prefixes (-55%, "
		       "max_shrink is 30%); keeping the last good list — raise [guard] max_shrink "
		       "if this is expected, or --force to accept");
	diag_release(&d);

	/* exactly 30 % is allowed, one more prefix lost is not */
	diag_init(&d);
	assert_int_equal(chk("cf", s140, 10, 200, &o, &d), 0);
	assert_int_equal(chk("cf", s139, 10, 200, &o, &d), -EPERM);
	assert_non_null(strstr(d.msg, "shrank from 200 to 139 prefixes (-31%"));
	diag_release(&d);

	/* no history, or growth: no shrink check */
	diag_init(&d);
	assert_int_equal(chk("cf", s90, 10, 0, &o, &d), 0);
	assert_int_equal(chk("cf", s90, 10, 50, &o, &d), 0);
	diag_release(&d);

	o.force = true;
	diag_init(&d);
	assert_int_equal(chk("cf", s90, 10, 200, &o, &d), 0);
	assert_int_equal(d.nwarnings, 1);
	assert_non_null(strstr(d.warnings[0], "shrank from 200 to 90 prefixes"));
	assert_non_null(strstr(d.warnings[0], "--force"));
	diag_release(&d);
	prefix_set_free(s90);
	prefix_set_free(s140);
	prefix_set_free(s139);
}

static void test_bad_prefixes_beat_force(void **state)
{
	static const char *const poisoned[] = { "104.16.0.0/13", "0.0.0.0/0", "10.0.0.0/8",
						"2606:4700::/32", NULL };
	static const char *const doc[] = { "104.16.0.0/13", "192.0.2.0/24", NULL };
	struct guard_opts o = { .max_shrink = 30, .force = true };
	struct prefix_set *s = set_of(poisoned), *t = set_of(doc);
	struct diag d;

	(void)state;
	assert_int_equal(prefix_set_aggregate(s), 0);
	diag_init(&d);
	assert_int_equal(chk("cf", s, 1, 0, &o, &d), -EPERM);
	assert_non_null(strstr(d.msg, "source 'cf': prefix 0.0.0.0/0 refused (default route "
				      "0.0.0.0/0)"));
	assert_non_null(strstr(d.msg, "--force cannot override"));
	diag_release(&d);

	/* aggregation folded 10/8 into 0/0; without it both count */
	prefix_set_free(s);
	s = set_of((const char *const[]){ "10.0.0.0/8", "104.16.0.0/13", "127.0.0.0/8", NULL });
	diag_init(&d);
	assert_int_equal(chk("cf", s, 1, 0, &o, &d), -EPERM);
	assert_non_null(strstr(d.msg, "prefix 10.0.0.0/8 refused (private-use 10.0.0.0/8)"));
	assert_non_null(strstr(d.msg, "2 of 3 prefixes"));
	diag_release(&d);

	diag_init(&d);
	assert_int_equal(chk("t", t, 1, 0, &o, &d), -EPERM);
	assert_non_null(strstr(d.msg, "documentation 192.0.2.0/24"));
	diag_release(&d);
	o.allow_test_ranges = true;
	o.force = false;
	diag_init(&d);
	assert_int_equal(chk("t", t, 1, 0, &o, &d), 0);
	diag_release(&d);
	prefix_set_free(s);
	prefix_set_free(t);
}

static void test_special_ranges_v6(void **state)
{
	static const struct bogon_case cases[] = {
		{ "::ffff:0:0:0/96", "IPv4-translated (SIIT) ::ffff:0:0:0/96" },
		{ "::ffff:0:c000:200/120", "IPv4-translated (SIIT) ::ffff:0:0:0/96" },
		{ "2001:2::/48", "benchmarking 2001:2::/48" },
		{ "2001:2:0:1::/64", "benchmarking 2001:2::/48" },
		{ "2001:3::/32", "AMT 2001:3::/32" },
		{ "2001:4:112::/48", "AS112-v6 2001:4:112::/48" },
		{ "2001:30::/28", "drone remote ID 2001:30::/28" },
		{ "2001:100::/32", "IETF protocol assignments 2001::/23" },
		{ "100:0:0:1::/64", "dummy IPv6 prefix 100:0:0:1::/64" },
		{ "2620:4f:8000::/48", "direct delegation AS112 2620:4f:8000::/48" },
		{ "5f00::/24", "SRv6 SIDs 5f00::/16" },
		{ "5f00:1::/32", "SRv6 SIDs 5f00::/16" },
		{ "4000::/24", "outside global unicast 2000::/3" },
		{ "1000::/24", "outside global unicast 2000::/3" },
		{ "e000::/24", "outside global unicast 2000::/3" },
		{ "2001:200::/32", NULL }, /* just past the IETF block: WIDE, a real allocation */
		{ "3ffe:ffff::/32", NULL },
		{ "2a06:98c0::/29", NULL },
	};
	static const struct bogon_case v4[] = {
		{ "192.31.196.0/24", "AS112-v4 192.31.196.0/24" },
		{ "192.52.193.0/24", "AMT 192.52.193.0/24" },
		{ "192.175.48.0/24", "direct delegation AS112 192.175.48.0/24" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *r = reason(cases[i].prefix, true);

		if (!cases[i].reason)
			assert_null(r);
		else
			assert_string_equal(r, cases[i].reason);
	}
	for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++)
		assert_string_equal(reason(v4[i].prefix, false), v4[i].reason);
}

static void test_host_bits_threshold(void **state)
{
	(void)state;
	assert_true(guard_host_bits_refused(&(struct prefix){ .len = 8, .family = AF_INET }));
	assert_true(guard_host_bits_refused(&(struct prefix){ .len = 23, .family = AF_INET }));
	assert_false(guard_host_bits_refused(&(struct prefix){ .len = 24, .family = AF_INET }));
	assert_true(guard_host_bits_refused(&(struct prefix){ .len = 47, .family = AF_INET6 }));
	assert_false(guard_host_bits_refused(&(struct prefix){ .len = 64, .family = AF_INET6 }));
}

/*
 * check_prefixes skips the table for IPv4 prefixes whose first octet starts
 * no special range: it must refuse exactly what guard_prefix_reason refuses,
 * for every /16 and the /24s and /32s at the special ranges' starts.
 */
static void test_octet_fast_path(void **state)
{
	static const unsigned third[] = { 0, 2, 48, 99, 100, 113, 193, 196, 255 };
	struct guard_limits lim = { .floor = 1 };
	struct guard_opts o = { .max_shrink = 100, .max_grow = 100 };
	struct prefix_set *s = prefix_set_new();

	(void)state;
	assert_non_null(s);
	lim.max_addresses[0] = GUARD_GENERIC_MAX_V4;
	lim.max_addresses[1] = GUARD_GENERIC_MAX_V6;
	for (unsigned a = 0; a < 256; a++)
		for (unsigned b = 0; b < 256; b++)
			for (size_t k = 0; k < 2 * sizeof(third) / sizeof(third[0]) + 1; k++) {
				struct prefix p = { .family = AF_INET, .len = 16 };
				struct diag d;

				p.hi = ((uint64_t)a << 56) | ((uint64_t)b << 48);
				if (k > 0) {
					p.len = k % 2 ? 24 : 32;
					p.hi |= (uint64_t)third[(k - 1) / 2] << 40;
					p.hi |= p.len == 32 ? (uint64_t)b << 32 : 0;
				}
				s->n = 0;
				assert_int_equal(prefix_set_add(s, &p), 0);
				diag_init(&d);
				assert_int_equal(guard_check_list("one", s, &lim, &o, &d) == -EPERM,
						 guard_prefix_reason(&p, false) != NULL);
				diag_release(&d);
			}
	prefix_set_free(s);
}

/* Every clean public /8 minus its first /24: 215 x 16 = 3,440 prefixes, none broader than /9. */
static struct prefix_set *every_public_slash8(void)
{
	struct prefix_set *s = prefix_set_new();

	assert_non_null(s);
	for (unsigned a = 1; a < 224; a++) {
		struct prefix p8 = { .hi = (uint64_t)a << 56, .len = 8, .family = AF_INET };

		if (guard_prefix_reason(&p8, false))
			continue;
		for (unsigned len = 9; len <= 24; len++) {
			struct prefix p = { .len = (uint8_t)len, .family = AF_INET };

			p.hi = ((uint64_t)a << 56) | ((uint64_t)1 << (64 - len));
			assert_int_equal(prefix_set_add(s, &p), 0);
		}
	}
	assert_int_equal(prefix_set_aggregate(s), 0);
	assert_int_equal(s->n, 3440);
	return s;
}

static void test_budget(void **state)
{
	struct guard_limits lim = { .floor = 1 };
	struct guard_opts o = { .max_shrink = 30, .max_grow = 100 };
	struct prefix_set *s = every_public_slash8();
	struct diag d;

	(void)state;
	lim.max_addresses[0] = GUARD_GENERIC_MAX_V4;
	lim.max_addresses[1] = GUARD_GENERIC_MAX_V6;
	/* each prefix passes the prefix rules: only the budget stops it */
	for (size_t i = 0; i < s->n; i++)
		assert_null(guard_prefix_reason(&s->v[i], false));
	diag_init(&d);
	assert_int_equal(guard_check_list("everything", s, &lim, &o, &d), -EPERM);
	assert_string_equal(d.msg, "source 'everything': IPv4 list covers 3607046400 addresses, "
				   "more than its budget of 268435456; keeping the last good list "
				   "— raise max_addresses for this source if this is expected, or "
				   "--force to accept");
	diag_release(&d);

	o.force = true;
	diag_init(&d);
	assert_int_equal(guard_check_list("everything", s, &lim, &o, &d), 0);
	assert_int_equal(d.nwarnings, 1);
	assert_non_null(strstr(d.warnings[0], "ACCEPTED ONLY BECAUSE OF --force"));
	diag_release(&d);

	/* IPv6 is measured on its own, in powers of two */
	o.force = false;
	prefix_set_clear(s);
	for (unsigned i = 0; i < 32; i++) {
		struct prefix p = { .hi = 0x2a00000000000000ULL | (uint64_t)i << 41,
				    .len = 24,
				    .family = AF_INET6 };
		assert_int_equal(prefix_set_add(s, &p), 0);
	}
	assert_int_equal(prefix_set_aggregate(s), 0);
	diag_init(&d);
	assert_int_equal(guard_check_list("v6", s, &lim, &o, &d), -EPERM);
	assert_non_null(strstr(d.msg, "IPv6 list covers 2^109.0 addresses, more than its budget "
				      "of 2^108.0"));
	diag_release(&d);
	prefix_set_free(s);
}

static void test_grow(void **state)
{
	struct guard_limits lim = { .floor = 1 };
	struct guard_opts o = { .max_shrink = 30, .max_grow = 100 };
	struct prefix_set *s = set_of_n(3);
	struct diag d;

	(void)state;
	lim.last.known = true;
	lim.last.count[0] = 1;
	lim.last.addresses[0] = 256; /* one /24 before, three now: +200% */
	diag_init(&d);
	assert_int_equal(guard_check_list("cf", s, &lim, &o, &d), -EPERM);
	assert_string_equal(d.msg, "source 'cf': IPv4 grew from 256 to 768 addresses (+200%, "
				   "max_grow is 100%); keeping the last good list — raise [guard] "
				   "max_grow if this is expected, or --force to accept");
	diag_release(&d);
	/* doubling is allowed */
	lim.last.addresses[0] = 384;
	diag_init(&d);
	assert_int_equal(guard_check_list("cf", s, &lim, &o, &d), 0);
	diag_release(&d);
	lim.last.addresses[0] = 256;
	o.force = true;
	diag_init(&d);
	assert_int_equal(guard_check_list("cf", s, &lim, &o, &d), 0);
	assert_non_null(strstr(d.warnings[0], "grew from 256 to 768 addresses"));
	diag_release(&d);
	prefix_set_free(s);
}

/* Cloudflare's 15 + 7 prefixes, then the same IPv4 and no IPv6 (the reproduction). */
static void test_family_gone(void **state)
{
	static const char *const v4only[] = { "173.245.48.0/20", "103.21.244.0/22", NULL };
	struct guard_limits lim = { .floor = 1 };
	struct guard_opts o = { .max_shrink = 100, .max_grow = 100 };
	struct prefix_set *s = set_of(v4only);
	struct diag d;

	(void)state;
	assert_int_equal(prefix_set_aggregate(s), 0);
	lim.last.known = true;
	lim.last.count[0] = 2;
	lim.last.count[1] = 7;
	lim.last.addresses[0] = prefix_set_addresses(s, AF_INET);
	lim.last.addresses[1] = 1e30;
	diag_init(&d);
	/* even max_shrink = 100 does not let a family vanish */
	assert_int_equal(guard_check_list("cloudflare", s, &lim, &o, &d), -EPERM);
	assert_string_equal(d.msg, "source 'cloudflare': had 7 IPv6 prefixes and now has none; "
				   "keeping the last good list — a family that disappears cuts "
				   "the CDN's IPv6 traffic, use --force if it really stopped "
				   "using IPv6");
	diag_release(&d);
	/* per family: 7 -> 3 IPv6 (-57%) is refused although 9 -> 5 overall is -44% */
	o.max_shrink = 50;
	lim.last.count[0] = 2;
	diag_init(&d);
	assert_int_equal(guard_check_shrink("x", AF_INET6, 7, 3, &o, &d), -EPERM);
	assert_non_null(strstr(d.msg, "x: IPv6 shrank from 7 to 3 prefixes (-57%"));
	diag_release(&d);
	o.force = true;
	diag_init(&d);
	assert_int_equal(guard_check_list("cloudflare", s, &lim, &o, &d), 0);
	assert_int_equal(d.nwarnings, 1);
	assert_non_null(strstr(d.warnings[0], "IPv6 shrank from 7 to 0 prefixes"));
	diag_release(&d);
	prefix_set_free(s);
}

/* Each built-in provider's real payloads in the test data (google: both files it unites). */
static const struct {
	const char *provider;
	const char *files[3];
} payloads[] = {
	{ "cloudflare", { "cloudflare-ips-v4.txt", "cloudflare-ips-v6.txt" } },
	{ "cloudflare",
	  { "cloudflare-ips-v4-trailing-newline.txt", "cloudflare-ips-v6-trailing-newline.txt" } },
	{ "fastly", { "fastly.json" } },
	{ "cloudfront", { "aws-ip-ranges.json" } },
	{ "cloudfront", { "aws-cloudfront-list.json" } },
	{ "google", { "google-goog.json", "google-cloud.json" } },
	{ "gcore", { "gcore.json" } },
	{ "akamai", { "akamai-v4.txt", "akamai-v6.txt" } },
	{ "azure-frontdoor", { "azure-servicetags-public.json" } },
	{ "imperva", { "imperva.json" } },
	{ "cdn77", { "cdn77.json" } },
	{ "quic-cloud", { "quic-cloud-ips.html" } },
	{ "google-all", { "google-goog.json" } },
	{ "cloudflare-china", { "cloudflare-jdcloud.json" } },
	{ "cloudflare", { "cloudflare-jdcloud.json" } },
	{ "arvancloud", { "arvancloud-ips.txt" } },
};

static char *read_fixture(const char *file, size_t *len)
{
	char path[4096], *buf = NULL;

	snprintf(path, sizeof(path), "%s/%s", FIXTURES_DIR, file);
	assert_int_equal(file_read_all(path, 64 << 20, &buf, len), 0);
	return buf;
}

static void expect_pass(const char *what, const struct source *src, struct prefix_set *s)
{
	struct guard_limits lim = { .floor = src->floor };
	struct guard_opts o = { .max_shrink = 30, .max_grow = 100 };
	struct diag d;
	int ret;

	lim.max_addresses[0] = src->max_addresses[0];
	lim.max_addresses[1] = src->max_addresses[1];
	diag_init(&d);
	assert_int_equal(prefix_set_aggregate(s), 0);
	ret = guard_check_list(src->name, s, &lim, &o, &d);
	if (ret < 0)
		print_error("%s: %s\n", what, d.msg);
	assert_int_equal(ret, 0);
	assert_int_equal(d.nwarnings, 0);
	diag_release(&d);
}

/* The defaults admit every built-in provider's snapshot and real payloads. */
static void test_real_lists_pass_defaults(void **state)
{
	size_t nsnap = 0;

	(void)state;
	for (size_t i = 0; provider_registry[i]; i++) {
		const struct snapshot *snap = snapshot_find(provider_registry[i]->name);
		struct prefix_set *s = prefix_set_new();
		struct source src;
		struct diag d;

		if (!snap || !snap->text) {
			prefix_set_free(s);
			continue;
		}
		diag_init(&d);
		assert_int_equal(source_init_provider(&src, provider_registry[i]), 0);
		assert_int_equal(
			prefix_set_parse_text(s, snap->text, strlen(snap->text), "snap", &d), 0);
		expect_pass(snap->provider, &src, s);
		nsnap++;
		source_release(&src);
		prefix_set_free(s);
		diag_release(&d);
	}
	assert_true(nsnap >= 13);
	for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		struct prefix_set *s = prefix_set_new(), *excl = prefix_set_new();
		struct source src;
		struct diag d;

		diag_init(&d);
		assert_int_equal(source_init_provider(&src, provider_find(payloads[i].provider)),
				 0);
		for (size_t j = 0; j < 3 && payloads[i].files[j]; j++) {
			size_t len = 0;
			char *buf = read_fixture(payloads[i].files[j], &len);

			assert_int_equal(source_parse_endpoint(&src, j, buf, len, s, excl, &d), 0);
			free(buf);
		}
		assert_int_equal(source_finish(&src, s, excl, &d), 0);
		expect_pass(payloads[i].files[0], &src, s);
		source_release(&src);
		prefix_set_free(s);
		prefix_set_free(excl);
		diag_release(&d);
	}
}

/* Every prefix-shaped string anywhere in a JSON document. */
static void collect_json(const json_t *v, struct prefix_set *s)
{
	const char *key;
	json_t *e;
	size_t i;
	struct prefix p;

	if (json_is_string(v) &&
	    prefix_parse(json_string_value(v), json_string_length(v), &p, NULL) == 0) {
		assert_int_equal(prefix_set_add(s, &p), 0);
	} else if (json_is_array(v)) {
		json_array_foreach (v, i, e)
			collect_json(e, s);
	} else if (json_is_object(v)) {
		json_object_foreach ((json_t *)v, key, e)
			collect_json(e, s);
	}
}

/*
 * The generic budget admits any real provider's whole payload served as a
 * file or URL: all of AWS, all of Azure, all of Google, every CDN.
 */
static void test_generic_budget_admits_whole_payloads(void **state)
{
	static const char *const files[] = {
		"aws-ip-ranges.json",
		"azure-servicetags-public.json",
		"google-goog.json",
		"google-cloud.json",
		"gcore.json",
		"fastly.json",
		"akamai-v4.txt",
		"akamai-v6.txt",
		"cloudflare-ips-v4.txt",
		"cloudflare-ips-v6.txt",
		"aws-cloudfront-list.json",
		"cdn77.json",
		"imperva.json",
		"cloudflare-jdcloud.json",
		"arvancloud-ips.txt",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct prefix_set *s = prefix_set_new();
		struct source src;
		size_t len = 0;
		char *buf = read_fixture(files[i], &len);
		struct diag d;

		diag_init(&d);
		assert_int_equal(source_init_generic(&src, files[i], files[i]), 0);
		if (strstr(files[i], ".json")) {
			json_t *root = json_loadb(buf, len, 0, NULL);

			assert_non_null(root);
			collect_json(root, s);
			json_decref(root);
		} else {
			assert_int_equal(prefix_set_parse_text(s, buf, len, files[i], &d), 0);
		}
		assert_true(s->n > 0);
		expect_pass(files[i], &src, s);
		free(buf);
		source_release(&src);
		prefix_set_free(s);
		diag_release(&d);
	}
}

/* A state file from before the per-family record: the total is still checked. */
static void test_legacy_total(void **state)
{
	struct guard_limits lim = { .floor = 1 };
	struct guard_opts o = { .max_shrink = 30, .max_grow = 100 };
	struct prefix_set *s = set_of_n(90);
	struct diag d;

	(void)state;
	lim.last.legacy_total = 200;
	diag_init(&d);
	assert_int_equal(guard_check_list("cf", s, &lim, &o, &d), -EPERM);
	assert_non_null(strstr(d.msg, "source 'cf': shrank from 200 to 90 prefixes (-55%"));
	diag_release(&d);
	lim.last.legacy_total = 100;
	diag_init(&d);
	assert_int_equal(guard_check_list("cf", s, &lim, &o, &d), 0);
	diag_release(&d);
	prefix_set_free(s);
}

static void test_url(void **state)
{
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(guard_check_url("x", "https://example.net/list", false, &d), 0);
	assert_int_equal(guard_check_url("x", "HTTPS://example.net/list", false, &d), 0);
	assert_int_equal(guard_check_url("x", "/etc/cdnallow/extra.txt", false, &d), 0);
	assert_int_equal(guard_check_url("x", "http://example.net/list", true, &d), 0);
	assert_string_equal(d.msg, "");
	assert_int_equal(guard_check_url("x", "http://example.net/list", false, &d), -EPERM);
	assert_string_equal(d.msg, "source 'x': plain http URL 'http://example.net/list' refused: "
				   "lists must come over https (set insecure = true for this "
				   "source to allow it)");
	diag_clear_err(&d);
	assert_int_equal(guard_check_url("x", "ftp://example.net/list", true, &d), -EPERM);
	assert_non_null(strstr(d.msg, "only https"));
	diag_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_route),
		cmocka_unit_test(test_too_broad),
		cmocka_unit_test(test_special_ranges),
		cmocka_unit_test(test_documentation_ranges),
		cmocka_unit_test(test_fixture_lists_pass),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_floor),
		cmocka_unit_test(test_shrink),
		cmocka_unit_test(test_bad_prefixes_beat_force),
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_special_ranges_v6),
		cmocka_unit_test(test_host_bits_threshold),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_octet_fast_path),
		cmocka_unit_test(test_grow),
		cmocka_unit_test(test_family_gone),
		cmocka_unit_test(test_legacy_total),
		cmocka_unit_test(test_real_lists_pass_defaults),
		cmocka_unit_test(test_generic_budget_admits_whole_payloads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
