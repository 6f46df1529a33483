// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The growing buffer of src/core/strbuf.c: appends across the first growth,
 * formatted pieces longer than the room left, NUL termination, detach of an
 * empty buffer ("" not NULL), reset keeping the allocation, and the sticky
 * error (nothing appended after it, detach returns NULL); the one-line copy
 * for messages, with either set of blanks, cut to its buffer.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "strbuf.h"

static void test_add_and_grow(void **state)
{
	struct strbuf sb = { 0 };
	char chunk[3000];
	size_t len;
	char *out;

	(void)state;
	memset(chunk, 'x', sizeof(chunk));
	for (int i = 0; i < 5; i++)
		assert_int_equal(strbuf_add(&sb, chunk, sizeof(chunk)), 0);
	assert_int_equal(sb.len, 5 * sizeof(chunk));
	assert_int_equal(sb.buf[sb.len], '\0');
	strbuf_addf(&sb, "|%s=%d|", "n", 42);
	assert_int_equal(sb.err, 0);
	out = strbuf_detach(&sb, &len);
	assert_int_equal(len, 5 * sizeof(chunk) + 6);
	assert_string_equal(out + 5 * sizeof(chunk), "|n=42|");
	assert_null(sb.buf);
	free(out);
}

/* A body of known length: one allocation of exactly that, kept while it is appended. */
static void test_reserve(void **state)
{
	struct strbuf sb = { 0 };
	char chunk[1000];

	(void)state;
	memset(chunk, 'y', sizeof(chunk));
	assert_int_equal(strbuf_add(&sb, chunk, 10), 0);
	assert_int_equal(strbuf_reserve(&sb, 5 * sizeof(chunk)), 0);
	assert_int_equal(sb.alloc, 10 + 5 * sizeof(chunk) + 1);
	for (int i = 0; i < 5; i++)
		assert_int_equal(strbuf_add(&sb, chunk, sizeof(chunk)), 0);
	assert_int_equal(sb.alloc, 10 + 5 * sizeof(chunk) + 1);
	assert_int_equal(sb.len, 10 + 5 * sizeof(chunk));
	assert_int_equal(strbuf_reserve(&sb, 0), 0); /* room enough: nothing moves */
	assert_int_equal(sb.alloc, sb.len + 1);
	assert_int_equal(strbuf_reserve(&sb, (size_t)-1 / 2), -ENOMEM);
	assert_int_equal(sb.err, -ENOMEM);
	strbuf_release(&sb);
}

/* A formatted piece longer than the whole first allocation. */
static void test_addf_long(void **state)
{
	struct strbuf sb = { 0 };
	char big[10000];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	strbuf_addf(&sb, "<%s>", big);
	assert_int_equal(sb.err, 0);
	assert_int_equal(sb.len, sizeof(big) + 1);
	assert_int_equal(sb.buf[0], '<');
	assert_int_equal(sb.buf[sb.len - 1], '>');
	assert_int_equal(strlen(sb.buf), sb.len);
	strbuf_release(&sb);
	strbuf_release(NULL);
}

static void test_empty_detach_and_reset(void **state)
{
	struct strbuf sb = { 0 };
	size_t len = 99;
	char *out = strbuf_detach(&sb, &len);

	(void)state;
	assert_non_null(out);
	assert_string_equal(out, "");
	assert_int_equal(len, 0);
	free(out);
	assert_int_equal(strbuf_add(&sb, "old body", 8), 0);
	strbuf_reset(&sb);
	assert_int_equal(sb.len, 0);
	assert_string_equal(sb.buf, ""); /* a retry never sees the last attempt's bytes */
	assert_true(sb.alloc > 0);
	strbuf_release(&sb);
}

static void test_sticky_error(void **state)
{
	struct strbuf sb = { 0 };

	(void)state;
	assert_int_equal(strbuf_add(&sb, "keep", 4), 0);
	sb.err = -ENOMEM; /* as after a failed realloc */
	assert_int_equal(strbuf_add(&sb, "more", 4), -ENOMEM);
	strbuf_addf(&sb, "%s", "more");
	assert_int_equal(sb.len, 4);
	assert_null(strbuf_detach(&sb, NULL));
	assert_null(sb.buf);
}

static void test_one_line(void **state)
{
	const char *text = "  first\tline\r\n\n second \x1b[1m\x7f end \n";
	char buf[64];
	char small[8];

	(void)state;
	/* a tool's stderr: only line breaks and tabs are blanks, the rest is escaped later */
	strbuf_one_line(buf, sizeof(buf), text, STRBUF_BLANK_BREAKS);
	assert_string_equal(buf, "first line second \x1b[1m\x7f end");
	/* a hook's output: every control character is a blank */
	strbuf_one_line(buf, sizeof(buf), text, STRBUF_BLANK_CONTROLS);
	assert_string_equal(buf, "first line second [1m end");
	strbuf_one_line(buf, sizeof(buf), NULL, STRBUF_BLANK_BREAKS);
	assert_string_equal(buf, "");
	strbuf_one_line(buf, sizeof(buf), " \n\t ", STRBUF_BLANK_CONTROLS);
	assert_string_equal(buf, "");
	/* cut to the buffer, and a blank at the cut dropped */
	strbuf_one_line(small, sizeof(small), "abc\n\ndef ghi", STRBUF_BLANK_BREAKS);
	assert_string_equal(small, "abc def");
	strbuf_one_line(small, sizeof(small), "abcdef\tghi", STRBUF_BLANK_BREAKS);
	assert_string_equal(small, "abcdef");
	strbuf_one_line(small, 1, "abc", STRBUF_BLANK_BREAKS);
	assert_string_equal(small, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_and_grow), cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_addf_long),    cmocka_unit_test(test_empty_detach_and_reset),
		cmocka_unit_test(test_sticky_error), cmocka_unit_test(test_one_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
