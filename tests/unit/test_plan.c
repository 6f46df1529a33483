// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the plan (per-family diff + object flags). Made-up
 * documentation prefixes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "diag.h"
#include "plan.h"
#include "prefix_set.h"

static struct prefix_set *set_of(const char *text)
{
	struct prefix_set *s = prefix_set_new();
	struct diag d;

	diag_init(&d);
	assert_non_null(s);
	assert_int_equal(prefix_set_parse_text(s, text, strlen(text), "test", &d), 0);
	assert_int_equal(prefix_set_aggregate(s), 0);
	diag_release(&d);
	return s;
}

static void test_plan_diff_per_family(void **state)
{
	struct prefix_set *want = set_of("192.0.2.0/25\n198.51.100.0/24\n2001:db8::/48\n");
	struct prefix_set *have = set_of("192.0.2.0/24\n198.51.100.0/24\n2001:db8:1::/48\n");
	struct plan p = { 0 };
	char buf[PREFIX_STRLEN];

	(void)state;
	assert_int_equal(plan_build(&p, want, have), 0);
	assert_int_equal(p.installed[PLAN_V4], 2);
	assert_int_equal(p.installed[PLAN_V6], 1);
	assert_int_equal(p.unchanged[PLAN_V4], 1);
	assert_int_equal(p.unchanged[PLAN_V6], 0);
	assert_int_equal(p.add->n, 2);
	assert_int_equal(p.del->n, 2);
	prefix_format(&p.add->v[0], buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.0/25");
	prefix_format(&p.del->v[1], buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8:1::/48");
	assert_false(plan_is_noop(&p));
	plan_release(&p);
	prefix_set_free(want);
	prefix_set_free(have);
}

static void test_plan_noop_needs_objects(void **state)
{
	struct prefix_set *want = set_of("203.0.113.0/24\n");
	struct prefix_set *have = set_of("203.0.113.0/24\n");
	struct plan p = { 0 };

	(void)state;
	assert_int_equal(plan_build(&p, want, have), 0);
	assert_true(plan_is_noop(&p));
	p.create = true;
	assert_false(plan_is_noop(&p));
	p.create = false;
	p.repair = true;
	assert_false(plan_is_noop(&p));
	plan_release(&p);
	assert_null(p.add);
	prefix_set_free(want);
	prefix_set_free(have);
}

static void test_plan_set_flags(void **state)
{
	struct plan p = { 0 };

	(void)state;
	plan_set_flags(&p, false, false);
	assert_true(p.create);
	assert_false(p.repair);
	plan_set_flags(&p, true, false);
	assert_false(p.create);
	assert_true(p.repair);
	plan_set_flags(&p, true, true);
	assert_false(p.create || p.repair);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_diff_per_family),
		cmocka_unit_test(test_plan_noop_needs_objects),
		cmocka_unit_test(test_plan_set_flags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
