// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the chunked text parser (src/core/prefix_stream.c): every
 * input is parsed whole by prefix_set_parse_text and again fed in chunks (one
 * byte at a time, cut at every offset, and in random sizes), and the return
 * value, the prefixes, the error message and every warning must be the same.
 * Inputs: made-up bodies aimed at the boundaries (CRLF, tokens, comments, the
 * byte order mark, the HTML check, host-bit warnings, errors late in a body),
 * every fixture payload in FIXTURES_DIR and the text fuzz corpus.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "diag.h"
#include "parse_helpers.h"
#include "prefix_set.h"
#include "prefix_stream.h"

static void outcome_init_appending(struct outcome *o)
{
	outcome_init(o);
	/* a stream appends: what is there before must stay, and stay first */
	assert_int_equal(prefix_set_add(o->s, &(struct prefix){ .family = AF_INET, .len = 8 }), 0);
}

/* Chunk sizes come from sizes[] in turn (0: random 1..64 from *seed); expect: announce len. */
static void chunked(const char *buf, size_t len, const size_t *sizes, size_t nsizes, unsigned *seed,
		    bool expect, struct outcome *o)
{
	struct text_stream *t;
	size_t off = 0, k = 0;

	outcome_init_appending(o);
	t = text_stream_new(o->s, "x", &o->d);
	assert_non_null(t);
	if (expect)
		text_stream_expect(t, len);
	o->ret = 0;
	while (off < len && o->ret == 0) {
		size_t n = sizes[k++ % nsizes];

		if (n == 0)
			n = 1 + (size_t)(rand_r(seed) % 64);
		if (n > len - off)
			n = len - off;
		o->ret = text_stream_feed(t, buf + off, n);
		off += n;
	}
	if (o->ret == 0)
		o->ret = text_stream_finish(t);
	else /* sticky: later calls repeat the error */
		assert_int_equal(text_stream_finish(t), o->ret);
	text_stream_free(t);
}

static void check_input(const char *buf, size_t len)
{
	static const size_t ones[] = { 1 }, rnd[] = { 0 }, mixed[] = { 3, 0, 1, 17, 0, 2 };
	static const size_t whole[] = { SIZE_MAX };
	struct outcome want, got;
	unsigned seed = (unsigned)len;

	outcome_init_appending(&want);
	want.ret = prefix_set_parse_text(want.s, buf, len, "x", &want.d);
	chunked(buf, len, whole, 1, &seed, false, &got);
	assert_same(&want, &got);
	outcome_release(&got);
	chunked(buf, len, ones, 1, &seed, true, &got);
	assert_same(&want, &got);
	outcome_release(&got);
	for (int i = 0; i < 8; i++) {
		chunked(buf, len, i % 2 ? rnd : mixed, i % 2 ? 1 : 6, &seed, i < 4, &got);
		assert_same(&want, &got);
		outcome_release(&got);
	}
	/* two chunks cut at every offset of a short body */
	for (size_t cut = 1; len <= 512 && cut < len; cut++) {
		size_t two[] = { cut, SIZE_MAX };

		chunked(buf, len, two, 2, &seed, cut % 2, &got);
		assert_same(&want, &got);
		outcome_release(&got);
	}
	outcome_release(&want);
}

static void test_made_up(void **state)
{
	static const char *const bodies[] = {
		"",
		"\n",
		"1.2.3.0/24",
		"1.2.3.0/24\n",
		"1.2.3.0/24\r\n10.0.0.0/8\r\n",
		"1.2.3.0/24\r\n\r\n\r\n2001:db8::/32\r\n",
		"# comment only\n",
		"1.2.3.0/24 # trailing comment with 9.9.9.9/32\n5.6.7.0/24#x\n",
		"\t 1.2.3.0/24 \t\r\n  2001:db8::/32  \n",
		"\357\273\2771.2.3.0/24\n", /* a byte order mark, in octal: \x would eat the 1 */
		"\xef\xbb\xbf",
		"\xef\xbb",
		"\xef",
		"\xef\xbb\xbf<html>\n",
		"\n\n  \r\n<!DOCTYPE html><html></html>",
		"  \n\t\n",
		"1.2.3.0/24\n<html>\n",
		"1.2.3.4/24\n",
		"1.2.3.0/24\n1.2.3.0/33\n",
		"1.2.3.0/24\n\n\nnot-a-prefix # but a comment\n",
		"1.2.3.0/24\n::ffff:1.2.3.4/128\n",
		"1.2.3.0/24\n1.0.0.1/1\n",
		"2001:db8::1/32\n2001:db8:0:0:0:0:0:1/64\n",
		"255.255.255.255/32\n0.0.0.0/0\n01.2.3.4/32\n1.2.3.4/032\n",
		"1.2.3.0/24\r",
		"1.2.3.0/24\r\r\n",
		"1.2.3.0/24 5.6.7.0/24\n",
	};

	/* a NUL inside a line: strlen would stop there */
	static const char nul_inside[] = "1.2.3.0/24\nabc\0def\n";

	(void)state;
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		check_input(bodies[i], strlen(bodies[i]));
	check_input(nul_inside, sizeof(nul_inside) - 1);
}

/* More host-bit warnings than are shown one by one, then the summary; an error late in a body. */
static void test_long(void **state)
{
	char *buf = malloc(1 << 20);
	size_t n = 0;

	(void)state;
	assert_non_null(buf);
	for (unsigned i = 0; i < 3000; i++)
		n += (size_t)sprintf(buf + n, "%u.%u.%u.%u/%u%s\n", 10 + i % 200, i / 256 % 256,
				     i % 256, i % 7 == 0 ? 1 : 0, i % 7 == 0 ? 24 : 32,
				     i % 5 == 0	   ? "\r"
				     : i % 11 == 0 ? " # c"
						   : "");
	for (unsigned i = 0; i < 500; i++)
		n += (size_t)sprintf(buf + n, "2001:db8:%x::/48\n", i);
	check_input(buf, n);
	n += (size_t)sprintf(buf + n, "1.2.3.4.5\n");
	check_input(buf, n);
	free(buf);
}

static char *file_bytes(const char *path, size_t *len)
{
	char *buf = malloc(1 << 22);
	FILE *f = fopen(path, "rb");

	assert_non_null(buf);
	*len = f ? fread(buf, 1, 1 << 22, f) : 0;
	if (f)
		fclose(f);
	if (!f) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void check_dir(const char *dir)
{
	char path[4096];
	struct dirent *e;
	size_t len, files = 0;
	DIR *dp = opendir(dir);

	assert_non_null(dp);
	while ((e = readdir(dp))) {
		char *buf;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		buf = file_bytes(path, &len);
		if (!buf)
			continue;
		check_input(buf, len);
		free(buf);
		files++;
	}
	closedir(dp);
	assert_true(files > 5);
}

static void test_fixtures(void **state)
{
	(void)state;
	check_dir(FIXTURES_DIR);
	check_dir(TESTS_DIR "/fuzz/corpus/text");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_made_up),
		cmocka_unit_test(test_long),
		cmocka_unit_test(test_fixtures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
