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

#include "cache.h"
#include "diag.h"
#include "guard.h"
#include "prefix.h"
#include "prefix_set.h"

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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
