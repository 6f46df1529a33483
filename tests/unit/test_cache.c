// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Cache and file primitives: round trips, revalidation (touch), and every way
 * an entry can be damaged (short body, flipped byte, garbage or missing
 * metadata) reading as "no entry" with a warning. Also permissions and that
 * atomic writes never leave temp files. Inputs are made up.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tmpdir.h"

#include "cache.h"
#include "hash.h"
#include "fileio.h"
#include "diag.h"

struct fx {
	char *dir;
	char *cache;
	struct diag d;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = tmpdir_make();
	assert_non_null(f->dir);
	f->cache = tmpdir_path(f->dir, "cache");
	diag_init(&f->d);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	diag_release(&f->d);
	free(f->cache);
	tmpdir_remove(f->dir);
	free(f);
	return 0;
}

static void store(struct fx *f, const char *source, unsigned idx, const char *body,
		  const char *etag, const char *lm, time_t when)
{
	struct cache_entry e = { .body = (char *)body,
				 .len = strlen(body),
				 .etag = (char *)etag,
				 .last_modified = (char *)lm,
				 .fetched = when };

	assert_int_equal(cache_store(f->dir, source, idx, &e, &f->d), 0);
	assert_string_equal(f->d.msg, "");
}

/* The one file in the cache dir whose name ends with suffix and contains sub. */
static char *find_file(struct fx *f, const char *sub, const char *suffix)
{
	struct dirent *e;
	DIR *d = opendir(f->cache);
	char *found = NULL;

	assert_non_null(d);
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name), s = strlen(suffix);

		if (n > s && !strcmp(e->d_name + n - s, suffix) && strstr(e->d_name, sub)) {
			assert_null(found);
			found = tmpdir_path(f->cache, e->d_name);
		}
	}
	closedir(d);
	assert_non_null(found);
	return found;
}

static void test_round_trip(void **state)
{
	struct fx *f = *state;
	struct cache_entry e;

	store(f, "cloudflare", 0, "192.0.2.0/24\n", "\"abc\"", "Tue, 01 Jul 2025 00:00:00 GMT",
	      1700000000);
	store(f, "cloudflare", 1, "2001:db8::/32\n", NULL, NULL, 1700000001);

	assert_int_equal(cache_load(f->dir, "cloudflare", 0, &e, &f->d), 0);
	assert_string_equal(e.body, "192.0.2.0/24\n");
	assert_int_equal(e.len, 13);
	assert_string_equal(e.etag, "\"abc\"");
	assert_string_equal(e.last_modified, "Tue, 01 Jul 2025 00:00:00 GMT");
	assert_int_equal(e.fetched, 1700000000);
	cache_entry_release(&e);
	assert_null(e.body);

	assert_int_equal(cache_load(f->dir, "cloudflare", 1, &e, &f->d), 0);
	assert_string_equal(e.body, "2001:db8::/32\n");
	assert_null(e.etag);
	assert_null(e.last_modified);
	assert_int_equal(e.fetched, 1700000001);
	cache_entry_release(&e);
	assert_int_equal(f->d.nwarnings, 0);

	/* a newer store replaces the entry */
	store(f, "cloudflare", 0, "198.51.100.0/24\n", "\"def\"", NULL, 1700000100);
	assert_int_equal(cache_load(f->dir, "cloudflare", 0, &e, &f->d), 0);
	assert_string_equal(e.body, "198.51.100.0/24\n");
	assert_string_equal(e.etag, "\"def\"");
	assert_null(e.last_modified);
	cache_entry_release(&e);
}

static void test_empty_body_and_binary(void **state)
{
	struct fx *f = *state;
	const char bin[] = { 'a', '\0', 'b', '\n' };
	struct cache_entry in = { .body = (char *)bin, .len = sizeof(bin), .fetched = 5 };
	struct cache_entry e;

	store(f, "x", 0, "", NULL, NULL, 1);
	assert_int_equal(cache_load(f->dir, "x", 0, &e, &f->d), 0);
	assert_int_equal(e.len, 0);
	assert_string_equal(e.body, "");
	cache_entry_release(&e);

	assert_int_equal(cache_store(f->dir, "y", 0, &in, &f->d), 0);
	assert_int_equal(cache_load(f->dir, "y", 0, &e, &f->d), 0);
	assert_int_equal(e.len, sizeof(bin));
	assert_memory_equal(e.body, bin, sizeof(bin));
	assert_int_equal(e.body[e.len], '\0');
	cache_entry_release(&e);
}

static void test_missing(void **state)
{
	struct fx *f = *state;
	struct cache_entry e;

	assert_int_equal(cache_load(f->dir, "nothing", 0, &e, &f->d), -ENOENT);
	assert_null(e.body);
	store(f, "something", 0, "192.0.2.0/24\n", NULL, NULL, 1);
	assert_int_equal(cache_load(f->dir, "something", 1, &e, &f->d), -ENOENT);
	assert_int_equal(cache_touch(f->dir, "nothing", 0, 5, &f->d), -ENOENT);
	assert_int_equal(f->d.nwarnings, 0);
	assert_string_equal(f->d.msg, "");
}

static void expect_corrupt(struct fx *f, const char *source, const char *why)
{
	struct cache_entry e;

	assert_int_equal(cache_load(f->dir, source, 0, &e, &f->d), -ENOENT);
	assert_null(e.body);
	assert_int_equal(f->d.nwarnings, 1);
	assert_non_null(strstr(f->d.warnings[0], "cache entry for '"));
	assert_non_null(strstr(f->d.warnings[0], source));
	assert_non_null(strstr(f->d.warnings[0], "is corrupt"));
	assert_non_null(strstr(f->d.warnings[0], "ignoring it"));
	assert_non_null(strstr(f->d.warnings[0], why));
	assert_string_equal(f->d.msg, "");
	diag_release(&f->d);
	diag_init(&f->d);
}

static void test_truncated_body(void **state)
{
	struct fx *f = *state;
	char *body;

	store(f, "fastly", 0, "192.0.2.0/24\n198.51.100.0/24\n", NULL, NULL, 1);
	body = find_file(f, "fastly", ".body");
	assert_int_equal(truncate(body, 13), 0);
	expect_corrupt(f, "fastly", "body has 13 bytes, metadata says 29");
	free(body);
}

static void expect_rewrite_corrupt(struct fx *f, const char *stored, const char *written,
				   const char *why)
{
	char *body;

	store(f, "fastly", 0, stored, NULL, NULL, 1);
	body = find_file(f, "fastly", ".body");
	assert_int_equal(tmpdir_write(body, written, strlen(written)), 0);
	expect_corrupt(f, "fastly", why);
	free(body);
}

/* An entry written before "sum64" carries "fnv1a64": still read, and still checked. */
static void test_fnv_meta_of_older_versions(void **state)
{
	static const char body[] = "192.0.2.0/24\n";
	struct fx *f = *state;
	struct cache_entry e;
	char *meta = NULL, text[512];

	store(f, "fastly", 0, body, NULL, NULL, 1);
	meta = find_file(f, "fastly", ".json");
	snprintf(text, sizeof(text),
		 "{\"version\": 1, \"source\": \"fastly\", \"index\": 0, \"fetched\": 1, "
		 "\"length\": 13, \"fnv1a64\": \"%016llx\"}",
		 (unsigned long long)fnv1a64(body, 13));
	assert_int_equal(tmpdir_write(meta, text, strlen(text)), 0);
	assert_int_equal(cache_load(f->dir, "fastly", 0, &e, &f->d), 0);
	assert_memory_equal(e.body, body, 13);
	cache_entry_release(&e);
	text[strlen(text) - 3] ^= 1;
	assert_int_equal(tmpdir_write(meta, text, strlen(text)), 0);
	expect_corrupt(f, "fastly", "checksum mismatch");
	free(meta);
}

static void test_longer_body(void **state)
{
	expect_rewrite_corrupt(*state, "192.0.2.0/24\n", "192.0.2.0/24\n203.0.113.0/24\n",
			       "body longer than the recorded 13 bytes");
}

/* same length, one digit changed: only the checksum can tell */
static void test_flipped_byte(void **state)
{
	expect_rewrite_corrupt(*state, "192.0.2.0/24\n", "193.0.2.0/24\n", "checksum mismatch");
}

static void test_bad_metadata(void **state)
{
	static const struct {
		const char *meta, *why;
	} cases[] = {
		{ "garbage{", "metadata is not JSON" },
		{ "[1,2]", "not a JSON object" },
		{ "{\"source\":\"other\",\"index\":0}", "another source" },
		{ "{\"source\":\"fastly\",\"index\":3}", "another endpoint" },
		{ "{\"source\":\"fastly\",\"index\":0,\"length\":-1}", "no valid length" },
		{ "{\"source\":\"fastly\",\"index\":0,\"length\":13,\"fetched\":\"x\"}",
		  "no valid fetch time" },
		{ "{\"source\":\"fastly\",\"index\":0,\"length\":13,\"fetched\":1}",
		  "no checksum" },
		{ "{\"source\":\"fastly\",\"index\":0,\"length\":13,\"fetched\":1,"
		  "\"fnv1a64\":\"0\",\"etag\":5}",
		  "bad etag" },
		{ "", "metadata is not JSON" },
	};
	struct fx *f = *state;
	char *meta;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		store(f, "fastly", 0, "192.0.2.0/24\n", NULL, NULL, 1);
		meta = find_file(f, "fastly", ".json");
		assert_int_equal(tmpdir_write(meta, cases[i].meta, strlen(cases[i].meta)), 0);
		expect_corrupt(f, "fastly", cases[i].why);
		/* touch refuses to revive a damaged entry too */
		assert_int_equal(cache_touch(f->dir, "fastly", 0, 9, &f->d), -ENOENT);
		assert_int_equal(f->d.nwarnings, 1);
		diag_release(&f->d);
		diag_init(&f->d);
		free(meta);
	}
}

static void test_missing_body(void **state)
{
	struct fx *f = *state;
	char *body;

	store(f, "fastly", 0, "192.0.2.0/24\n", NULL, NULL, 1);
	body = find_file(f, "fastly", ".body");
	assert_int_equal(unlink(body), 0);
	expect_corrupt(f, "fastly", "body: No such file or directory");
	free(body);
}

static void test_touch(void **state)
{
	struct fx *f = *state;
	struct cache_entry e;

	store(f, "google", 2, "192.0.2.0/24\n", "\"e1\"", "Mon, 01 Jan 2024 00:00:00 GMT", 100);
	assert_int_equal(cache_touch(f->dir, "google", 2, 12345, &f->d), 0);
	assert_int_equal(cache_load(f->dir, "google", 2, &e, &f->d), 0);
	assert_int_equal(e.fetched, 12345);
	assert_string_equal(e.body, "192.0.2.0/24\n");
	assert_string_equal(e.etag, "\"e1\"");
	assert_string_equal(e.last_modified, "Mon, 01 Jan 2024 00:00:00 GMT");
	cache_entry_release(&e);
}

static void test_names_are_safe(void **state)
{
	static const char *const names[] = { "../../escape", "a/b", "a_b",
					     ".hidden",	     "x y", "cloudflare" };
	struct fx *f = *state;
	struct cache_entry e;
	char body[64];

	for (size_t i = 0; i < 6; i++) {
		snprintf(body, sizeof(body), "192.0.2.%zu/32\n", i);
		store(f, names[i], 0, body, NULL, NULL, 1);
	}
	/* nothing outside the cache dir: the state dir holds only "cache" */
	assert_int_equal(tmpdir_count(f->dir, NULL), 1);
	assert_int_equal(tmpdir_count(f->cache, NULL), 12);
	for (size_t i = 0; i < 6; i++) {
		snprintf(body, sizeof(body), "192.0.2.%zu/32\n", i);
		assert_int_equal(cache_load(f->dir, names[i], 0, &e, &f->d), 0);
		assert_string_equal(e.body, body);
		cache_entry_release(&e);
	}
	assert_int_equal(f->d.nwarnings, 0);
}

static void test_permissions_and_no_temp_files(void **state)
{
	struct fx *f = *state;
	char *body, *meta, *sub;
	mode_t old;

	sub = tmpdir_path(f->dir, "deep/state");
	/* modes must not depend on the caller's umask */
	old = umask(0);
	{
		struct cache_entry e = { .body = (char *)"192.0.2.0/24\n", .len = 13 };

		assert_int_equal(cache_store(sub, "p", 0, &e, &f->d), 0);
		assert_int_equal(cache_touch(sub, "p", 0, 7, &f->d), 0);
	}
	umask(old);
	assert_int_equal(tmpdir_mode(sub), 0700);
	free(f->cache);
	f->cache = tmpdir_path(sub, "cache");
	assert_int_equal(tmpdir_mode(f->cache), 0700);
	body = find_file(f, "p", ".body");
	meta = find_file(f, "p", ".json");
	assert_int_equal(tmpdir_mode(body), 0600);
	assert_int_equal(tmpdir_mode(meta), 0600);
	assert_int_equal(tmpdir_count(f->cache, NULL), 2);
	assert_int_equal(tmpdir_count(f->cache, ".tmp."), 0);
	free(body);
	free(meta);
	free(sub);
}

static void test_file_write_atomic(void **state)
{
	struct fx *f = *state;
	char *path = tmpdir_path(f->dir, "file");
	char *missing = tmpdir_path(f->dir, "no/such/dir/file");
	char *buf = NULL;
	size_t len = 0;

	assert_int_equal(file_write_atomic(path, "one", 3, 0640), 0);
	assert_int_equal(file_write_atomic(path, "second", 6, 0600), 0);
	assert_int_equal(tmpdir_mode(path), 0600);
	assert_int_equal(file_read_all(path, 6, &buf, &len), 0);
	assert_int_equal(len, 6);
	assert_string_equal(buf, "second");
	free(buf);
	assert_int_equal(file_read_all(path, 5, &buf, &len), -EFBIG);
	assert_null(buf);
	assert_int_equal(file_read_all(f->dir, 5, &buf, &len), -EISDIR);
	assert_int_equal(file_write_atomic(missing, "x", 1, 0600), -ENOENT);
	assert_int_equal(tmpdir_count(f->dir, NULL), 1);
	free(path);
	free(missing);
}

static void test_file_read_pipe(void **state)
{
	char *buf = NULL;
	size_t len = 0;

	(void)state;
	/* not a regular file: no size hint, read to EOF */
	assert_int_equal(file_read_all("/proc/self/status", 1 << 20, &buf, &len), 0);
	assert_true(len > 0);
	assert_int_equal(strlen(buf), len);
	free(buf);
	assert_int_equal(file_read_all("/proc/self/status", 10, &buf, &len), -EFBIG);
	assert_null(buf);
}

static void test_dir_ensure(void **state)
{
	struct fx *f = *state;
	char *deep = tmpdir_path(f->dir, "a/b/c/");
	char *file = tmpdir_path(f->dir, "plain");
	char *under = tmpdir_path(f->dir, "plain/x");

	assert_int_equal(dir_ensure(deep, 0700), 0);
	assert_int_equal(dir_ensure(deep, 0700), 0);
	assert_int_equal(tmpdir_mode(deep), 0700);
	assert_int_equal(tmpdir_write(file, "x", 1), 0);
	assert_int_equal(dir_ensure(file, 0700), -ENOTDIR);
	assert_int_equal(dir_ensure(under, 0700), -ENOTDIR);
	assert_int_equal(dir_ensure("", 0700), -EINVAL);
	free(deep);
	free(file);
	free(under);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fnv_meta_of_older_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_body_and_binary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_longer_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flipped_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_metadata, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_touch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names_are_safe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_permissions_and_no_temp_files, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_file_write_atomic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_read_pipe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dir_ensure, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
