// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * struct diag, the carrier of every message from library code: the first
 * (innermost) error wins, prefixes add context and truncate the tail, NULL is
 * accepted everywhere, warnings move between diags and survive clearing the
 * error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "diag.h"

static void test_diag_first_error_wins_and_prefix(void **state)
{
	struct diag d;

	(void)state;
	diag_init(&d);
	diag_err(&d, "inner %d", 1);
	diag_err(&d, "outer");
	assert_string_equal(d.msg, "inner 1");
	diag_prefix(&d, "source '%s': ", "x");
	assert_string_equal(d.msg, "source 'x': inner 1");
	diag_warn(&d, "w%d", 1);
	diag_warn(&d, "w%d", 2);
	assert_int_equal(d.nwarnings, 2);
	assert_string_equal(d.warnings[1], "w2");
	diag_clear_err(&d);
	assert_string_equal(d.msg, "");
	diag_release(&d);
	assert_int_equal(d.nwarnings, 0);
	/* NULL is allowed everywhere so callers need no checks */
	diag_err(NULL, "x");
	diag_warn(NULL, "x");
	diag_prefix(NULL, "x");
}

static void test_diag_prefix_truncates_tail(void **state)
{
	struct diag d;
	char big[DIAG_MSG_MAX * 2];

	(void)state;
	diag_init(&d);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	diag_err(&d, "%s", big);
	assert_int_equal(strlen(d.msg), DIAG_MSG_MAX - 1);
	diag_prefix(&d, "ctx: ");
	assert_int_equal(strlen(d.msg), DIAG_MSG_MAX - 1);
	assert_memory_equal(d.msg, "ctx: aaa", 8);
	diag_release(&d);
}

static void test_diag_take_warnings(void **state)
{
	struct diag a, b;

	(void)state;
	diag_init(&a);
	diag_init(&b);
	diag_warn(&a, "first");
	diag_warn(&b, "second");
	diag_take_warnings(&a, &b);
	assert_int_equal(a.nwarnings, 2);
	assert_int_equal(b.nwarnings, 0);
	assert_string_equal(a.warnings[1], "second");
	diag_release(&a);
	diag_release(&b);
}

/* The warnings a caller keeps after an error was handled (engine_audit's pattern). */
static void test_diag_clear_keeps_warnings(void **state)
{
	struct diag d;

	(void)state;
	diag_init(&d);
	diag_warn(&d, "kept");
	diag_err(&d, "handled");
	diag_clear_err(&d);
	diag_err(&d, "next");
	assert_string_equal(d.msg, "next"); /* a cleared error no longer wins */
	assert_int_equal(d.nwarnings, 1);
	assert_string_equal(d.warnings[0], "kept");
	diag_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diag_first_error_wins_and_prefix),
		cmocka_unit_test(test_diag_prefix_truncates_tail),
		cmocka_unit_test(test_diag_take_warnings),
		cmocka_unit_test(test_diag_clear_keeps_warnings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
