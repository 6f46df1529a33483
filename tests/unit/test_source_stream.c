// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the chunked source parsing (src/sources/source_stream.c,
 * local_read.c) and checksum64 fed in pieces: a body fed in chunks must give
 * what source_parse_endpoint gives whole (text lists streamed, JSON, HTML
 * and blank bodies handed whole to the provider), for generic sources of
 * every format and the text providers, over every fixture payload; a local
 * file read in chunks gives the same list and the checksum of its bytes, and
 * a file over the cap fails rather than being cut.
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
#include "hash.h"
#include "parse_helpers.h"
#include "prefix_set.h"
#include "source.h"
#include "source_stream.h"
#include "tmpdir.h"

static void chunked(const struct source *src, const char *buf, size_t len, unsigned *seed,
		    size_t most, struct outcome *o)
{
	struct source_stream *ss;
	size_t off = 0;

	outcome_init(o);
	ss = source_stream_new(src, 0, o->s, o->s, &o->d);
	assert_non_null(ss);
	if (*seed & 1)
		source_stream_expect(ss, len);
	o->ret = 0;
	while (off < len && o->ret == 0) {
		size_t n = 1 + (size_t)rand_r(seed) % most;

		n = n < len - off ? n : len - off;
		o->ret = source_stream_feed(ss, buf + off, n);
		off += n;
	}
	if (o->ret == 0)
		o->ret = source_stream_finish(ss);
	source_stream_free(ss);
}

static void check_body(const struct source *src, const char *buf, size_t len)
{
	static const size_t most[] = { 1, 7, 100, 70000 };
	struct outcome want, got;
	unsigned seed = (unsigned)len;

	outcome_init(&want);
	want.ret = source_parse_endpoint(src, 0, buf, len, want.s, want.s, &want.d);
	for (size_t i = 0; i < sizeof(most) / sizeof(most[0]); i++) {
		chunked(src, buf, len, &seed, most[i], &got);
		assert_same(&want, &got);
		outcome_release(&got);
	}
	outcome_release(&want);
}

static char *file_bytes(const char *path, size_t *len)
{
	char *buf = malloc(1 << 22);
	FILE *f = fopen(path, "rb");

	assert_non_null(buf);
	if (!f) {
		free(buf);
		return NULL;
	}
	*len = fread(buf, 1, 1 << 22, f);
	fclose(f);
	return buf;
}

/* Every fixture through generic sources of each format and the text providers. */
static void test_fixtures(void **state)
{
	static const enum source_format fmts[] = { FORMAT_AUTO, FORMAT_TEXT, FORMAT_JSON,
						   FORMAT_CDNALLOW };
	static const char *const provs[] = { "akamai", "arvancloud", "fastly", "cloudflare" };
	struct source srcs[8];
	size_t nsrc = 0, files = 0, len;
	char path[4096];
	struct dirent *e;
	DIR *dp;

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(source_init_generic(&srcs[nsrc], "/x/list", "/x/list"), 0);
		srcs[nsrc++].format = fmts[i];
	}
	srcs[2].json_path = strdup("prefixes[].ip_prefix");
	for (size_t i = 0; i < 4; i++) {
		memset(&srcs[nsrc], 0, sizeof(srcs[nsrc]));
		assert_int_equal(source_init_provider(&srcs[nsrc++], provider_find(provs[i])), 0);
	}
	dp = opendir(FIXTURES_DIR);
	assert_non_null(dp);
	while ((e = readdir(dp))) {
		char *buf;

		snprintf(path, sizeof(path), "%s/%s", FIXTURES_DIR, e->d_name);
		buf = e->d_name[0] == '.' ? NULL : file_bytes(path, &len);
		for (size_t i = 0; buf && i < nsrc; i++)
			check_body(&srcs[i], buf, len);
		files += buf != NULL;
		free(buf);
	}
	closedir(dp);
	assert_true(files > 10);
	for (size_t i = 0; i < nsrc; i++)
		source_release(&srcs[i]);
}

static void test_checksum_pieces(void **state)
{
	unsigned char buf[300];
	unsigned seed = 7;

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)rand_r(&seed);
	for (size_t len = 0; len <= sizeof(buf); len += 1 + len / 8) {
		for (int k = 0; k < 20; k++) {
			struct checksum64_ctx c;
			size_t off = 0;

			checksum64_init(&c, len);
			while (off < len) {
				size_t n = (size_t)rand_r(&seed) % (k < 10 ? 4 : 40);

				n = n < len - off ? n : len - off;
				checksum64_add(&c, buf + off, n);
				off += n;
			}
			assert_true(checksum64_final(&c) == checksum64(buf, len));
		}
	}
}

/* Values recorded in applied.rec, history and cache files of earlier versions: never change. */
static void test_checksum_pinned(void **state)
{
	(void)state;
	assert_true(checksum64("", 0) == 0xf8bb92ce26585846ULL);
	assert_true(checksum64("a", 1) == 0xbfaac9fc31821f67ULL);
	assert_true(checksum64("12345678", 8) == 0xf6b1ddd73556e09fULL);
	assert_true(checksum64("123456789abcdefgh", 17) == 0x13ed6d77b87b24d0ULL);
	assert_true(checksum64("cdnallow applied set", 20) == 0xfcf57147da5758f6ULL);
}

/* A file of several chunks: the list of a whole parse, the checksum of its bytes; the cap. */
static void test_read_local(void **state)
{
	char *dir = tmpdir_make(), path[4096], *body = malloc(400000);
	struct outcome want, got;
	struct source src;
	size_t n = 0, len = 0;
	uint64_t sum = 0;
	FILE *f;

	(void)state;
	assert_non_null(dir);
	assert_non_null(body);
	for (unsigned i = 0; n < 300000; i++)
		n += (size_t)sprintf(body + n, "%u.%u.%u.%u/32%s\n", 11, i >> 16 & 255,
				     i >> 8 & 255, i & 255, i % 3 ? "" : "\r");
	n += (size_t)sprintf(body + n, "2001:db8::/32");
	snprintf(path, sizeof(path), "%s/list", dir);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(body, 1, n, f), n);
	fclose(f);
	assert_int_equal(source_init_generic(&src, path, path), 0);
	outcome_init(&want);
	want.ret = source_parse_endpoint(&src, 0, body, n, want.s, want.s, &want.d);
	assert_int_equal(want.ret, 0);
	outcome_init(&got);
	got.ret = source_read_local(&src, 0, path, n, got.s, got.s, &len, &sum, &got.d);
	assert_same(&want, &got);
	assert_int_equal(len, n);
	assert_true(sum == checksum64(body, n));
	assert_int_equal(source_sum_local(path, n, &len, &sum), 0);
	assert_true(sum == checksum64(body, n) && len == n);
	outcome_release(&got);
	/* one byte over the cap: an error, nothing added */
	outcome_init(&got);
	assert_int_equal(source_read_local(&src, 0, path, n - 1, got.s, got.s, &len, &sum, &got.d),
			 -EFBIG);
	assert_int_equal(got.s->n, 0);
	assert_int_equal(source_sum_local(path, n - 1, &len, &sum), -EFBIG);
	outcome_release(&got);
	outcome_release(&want);
	source_release(&src);
	tmpdir_remove(dir);
	free(body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_checksum_pieces),
		cmocka_unit_test(test_checksum_pinned),
		cmocka_unit_test(test_read_local),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
