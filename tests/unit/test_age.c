// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for age_format: every age a person reads is in days once a day
 * has passed (the plan used to print "42919186 s old"), smaller units below.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "age.h"

static void check(long long secs, const char *want)
{
	char buf[32];

	age_format(secs, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void test_days(void **state)
{
	(void)state;
	check(42919186, "496 days");
	check(86400, "1 day");
	check(2 * 86400 - 1, "1 day");
	check(2 * 86400, "2 days");
}

static void test_below_a_day(void **state)
{
	(void)state;
	check(86399, "23 hours");
	check(3600, "1 hour");
	check(3599, "59 min");
	check(60, "1 min");
	check(59, "59 s");
	check(0, "0 s");
	check(-5, "0 s"); /* a clock step backwards is not a negative age */
}

static void test_truncates_to_buffer(void **state)
{
	char buf[4];

	(void)state;
	age_format(42919186, buf, sizeof(buf));
	assert_string_equal(buf, "496");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_days),
		cmocka_unit_test(test_below_a_day),
		cmocka_unit_test(test_truncates_to_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
