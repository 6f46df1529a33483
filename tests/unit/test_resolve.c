// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of resolve_sources without network: sources are local fixture
 * files (read through fetch_many with the same cap), and URLs only appear
 * with offline set or as refused plain http, so nothing is downloaded. They
 * check fresh data, the cache written and reused, the fallback order (cache,
 * then built-in snapshot, then refused) and that every fallback says why.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define LISTCACHE_IDX 64u /* listcache.c's slot */

#include "tmpdir.h"

#include "../../src/sources/listcache.h"
#include "cache.h"
#include "fileio.h"
#include "diag.h"
#include "prefix_set.h"
#include "resolve.h"
#include "source.h"

struct fx {
	char *dir;
	struct resolve_opts o;
	struct diag d;
};

static char *fixture(const char *name)
{
	char *p = NULL;

	assert_true(asprintf(&p, "%s/%s", FIXTURES_DIR, name) > 0);
	return p;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = tmpdir_make();
	assert_non_null(f->dir);
	f->o.state_dir = f->dir;
	f->o.fetch.timeout_s = 5;
	f->o.fetch.max_size = 16u << 20;
	f->o.fetch.offline = true; /* unit tests never download; local files still read */
	f->o.guard.max_shrink = 30;
	f->o.write_cache = true;
	diag_init(&f->d);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	tmpdir_remove(f->dir);
	diag_release(&f->d);
	free(f);
	return 0;
}

/* A source of a built-in provider whose endpoints are the given paths or URLs. */
static void src_provider(struct source *s, const char *prov, const char *const *urls)
{
	memset(s, 0, sizeof(*s));
	s->prov = provider_find(prov);
	assert_non_null(s->prov);
	s->name = strdup(prov);
	s->floor = s->prov->floor;
	for (size_t i = 0; urls[i]; i++)
		s->urls[s->nurls++] = strchr(urls[i], '/') ? strdup(urls[i]) : fixture(urls[i]);
}

static void src_generic(struct source *s, const char *name, const char *path)
{
	memset(s, 0, sizeof(*s));
	s->prov = &provider_generic;
	s->name = strdup(name);
	s->format = FORMAT_TEXT;
	s->floor = 1;
	s->urls[s->nurls++] = strdup(path);
}

/* The built-in snapshot was parsed from the same fixtures with the same parsers. */
static struct prefix_set *snapshot_set(const char *prov)
{
	const struct snapshot *snap = snapshot_find(prov);
	struct prefix_set *s = prefix_set_new();
	struct diag d;

	assert_non_null(snap);
	assert_non_null(s);
	diag_init(&d);
	assert_int_equal(prefix_set_parse_text(s, snap->text, strlen(snap->text), prov, &d), 0);
	assert_int_equal(prefix_set_aggregate(s), 0);
	diag_release(&d);
	return s;
}

static struct prefix_set *text_fixtures_set(const char *a, const char *b)
{
	const char *names[] = { a, b };
	struct prefix_set *s = prefix_set_new();
	struct diag d;

	diag_init(&d);
	for (size_t i = 0; i < 2 && names[i]; i++) {
		char *p = fixture(names[i]), *buf = NULL;
		size_t len = 0;

		assert_int_equal(file_read_all(p, 1 << 20, &buf, &len), 0);
		assert_int_equal(prefix_set_parse_text(s, buf, len, p, &d), 0);
		free(buf);
		free(p);
	}
	assert_int_equal(prefix_set_aggregate(s), 0);
	diag_release(&d);
	return s;
}

static void write_file(const char *path, const char *text)
{
	assert_int_equal(tmpdir_write(path, text, strlen(text)), 0);
}

static bool has_warning(const struct diag *d, const char *needle)
{
	for (size_t i = 0; i < d->nwarnings; i++) {
		if (strstr(d->warnings[i], needle))
			return true;
	}
	return false;
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("'%s' does not contain '%s'", hay, needle);
}

static const char *const cf_files[] = { "cloudflare-ips-v4.txt", "cloudflare-ips-v6.txt", NULL };

static void age_cache(struct fx *f, const char *name, unsigned idx, long by)
{
	struct cache_entry e = { 0 };

	assert_int_equal(cache_load(f->dir, name, idx, &e, &f->d), 0);
	e.fetched = time(NULL) - by;
	assert_int_equal(cache_store(f->dir, name, idx, &e, &f->d), 0);
	cache_entry_release(&e);
}

static void resolve_file(struct fx *f, const char *path, struct prefix_set *out,
			 enum source_status want)
{
	struct source_result r[1] = { 0 };
	struct source s;

	src_generic(&s, "local", path);
	assert_int_equal(resolve_sources(&s, 1, &f->o, r, &f->d), 0);
	if (r[0].status != want)
		fail_msg("status %s, want %s: %s", source_status_name(r[0].status),
			 source_status_name(want), r[0].error);
	prefix_set_clear(out);
	assert_int_equal(prefix_set_copy(out, r[0].set), 0);
	source_result_release(&r[0]);
	source_release(&s);
}

/*
 * An unchanged local file is not parsed again: the cached list is used as is.
 * Proof: a cached list that differs from the file (made here with the file's
 * own validator) comes back, until the file or a setting changes.
 */
static void test_local_unchanged_not_parsed(void **state)
{
	struct fx *f = *state;
	char *path = tmpdir_path(f->dir, "list.txt");
	struct prefix_set *got = prefix_set_new(), *planted = prefix_set_new();
	struct listcache lc;
	struct source s;
	struct prefix p;

	f->o.guard.allow_test_ranges = true;
	write_file(path, "198.51.100.0/24\n");
	resolve_file(f, path, got, SOURCE_FRESH);
	assert_int_equal(got->n, 1);
	src_generic(&s, "local", path);
	assert_int_equal(listcache_load(f->dir, &s, &f->o.guard, &lc), 0);
	assert_int_equal(prefix_parse("203.0.113.0/24", 14, &p, NULL), 0);
	assert_int_equal(prefix_set_add(planted, &p), 0);
	assert_int_equal(listcache_store(f->dir, &s, &f->o.guard, (const char *const *)lc.etag,
					 (const char *const *)lc.last_modified, planted, time(NULL),
					 &f->d),
			 0);
	listcache_release(&lc);
	resolve_file(f, path, got, SOURCE_FRESH);
	assert_true(prefix_set_equal(got, planted));
	/* another guard setting: parsed and guarded again (documentation ranges now refused) */
	f->o.guard.allow_test_ranges = false;
	resolve_file(f, path, got, SOURCE_REFUSED);
	f->o.guard.allow_test_ranges = true;
	/* one byte changed: parsed again */
	write_file(path, "198.51.100.0/25\n");
	resolve_file(f, path, got, SOURCE_FRESH);
	assert_int_equal(got->n, 1);
	assert_int_equal(got->v[0].len, 25);
	source_release(&s);
	prefix_set_free(got);
	prefix_set_free(planted);
	free(path);
}

/* A local file that turns bad or unreadable falls back to its last good list. */
static void test_local_fallback(void **state)
{
	struct fx *f = *state;
	char *path = tmpdir_path(f->dir, "list.txt");
	struct prefix_set *good = prefix_set_new(), *got = prefix_set_new();

	f->o.guard.allow_test_ranges = true;
	write_file(path, "198.51.100.0/24\n203.0.113.0/24\n");
	resolve_file(f, path, good, SOURCE_FRESH);
	age_cache(f, "local", LISTCACHE_IDX, 3600);
	write_file(path, "198.51.100.0/2x\n");
	resolve_file(f, path, got, SOURCE_CACHED);
	assert_true(prefix_set_equal(got, good));
	assert_true(has_warning(&f->d, "using the last good cached copy (1 h"));
	unlink(path);
	resolve_file(f, path, got, SOURCE_CACHED);
	assert_true(prefix_set_equal(got, good));
	prefix_set_free(good);
	prefix_set_free(got);
	free(path);
}

/* A host upgraded with a copy of the file in the cache: still the fallback, removed once replaced.
 */
static void test_local_old_copy(void **state)
{
	static const char body[] = "192.0.2.0/24\n";
	struct fx *f = *state;
	struct cache_entry e = { .body = (char *)body, .len = sizeof(body) - 1, .fetched = 1 };
	char *path = tmpdir_path(f->dir, "list.txt");
	struct prefix_set *got = prefix_set_new();

	f->o.guard.allow_test_ranges = true;
	assert_int_equal(cache_store(f->dir, "local", 0, &e, &f->d), 0);
	resolve_file(f, path, got, SOURCE_CACHED);
	assert_int_equal(got->n, 1);
	assert_int_equal(got->v[0].len, 24);
	write_file(path, "198.51.100.0/24\n");
	resolve_file(f, path, got, SOURCE_FRESH);
	assert_int_equal(cache_load(f->dir, "local", 0, &e, &f->d), -ENOENT);
	prefix_set_free(got);
	free(path);
}

static void test_fresh_files_write_cache(void **state)
{
	struct fx *f = *state;
	struct prefix_set *want = text_fixtures_set(cf_files[0], cf_files[1]);
	struct source_result r[1] = { 0 };
	struct cache_entry e = { 0 };
	struct listcache lc;
	struct source s;
	char *v4 = fixture(cf_files[0]), *buf = NULL;
	size_t len = 0;

	src_provider(&s, "cloudflare", cf_files);
	assert_int_equal(resolve_sources(&s, 1, &f->o, r, &f->d), 0);
	assert_int_equal(r[0].status, SOURCE_FRESH);
	assert_string_equal(source_status_name(r[0].status), "fresh");
	assert_string_equal(r[0].error, "");
	assert_int_equal(r[0].age_s, 0);
	assert_int_equal(r[0].set->n, 22);
	assert_true(prefix_set_equal(r[0].set, want));

	/* the cache holds the parsed list with each file's length and checksum, no copy of a file
	 */
	assert_int_equal(cache_load(f->dir, "cloudflare", 0, &e, &f->d), -ENOENT);
	assert_int_equal(file_read_all(v4, 1 << 20, &buf, &len), 0);
	assert_int_equal(listcache_load(f->dir, &s, &f->o.guard, &lc), 0);
	assert_true(lc.valid && lc.count == 22 && lc.len < 22 * 18);
	assert_non_null(lc.etag[0]);
	assert_non_null(strstr(lc.etag[0], "local:"));
	assert_true(time(NULL) - lc.fetched < 60);
	listcache_release(&lc);

	cache_entry_release(&e);
	free(buf);
	free(v4);
	source_result_release(&r[0]);
	source_release(&s);
	prefix_set_free(want);
}

static void test_no_cache_write_when_disabled(void **state)
{
	struct fx *f = *state;
	struct source_result r[1] = { 0 };
	struct cache_entry e = { 0 };
	struct source s;

	f->o.write_cache = false;
	src_provider(&s, "cloudflare", cf_files);
	assert_int_equal(resolve_sources(&s, 1, &f->o, r, &f->d), 0);
	assert_int_equal(r[0].status, SOURCE_FRESH);
	assert_int_equal(cache_load(f->dir, "cloudflare", 0, &e, &f->d), -ENOENT);
	source_result_release(&r[0]);
	source_release(&s);
}

static void test_cache_fallback_on_parse_error(void **state)
{
	static const char *const broken[] = { "cloudflare-ips-v4-error-500.html",
					      "cloudflare-ips-v6.txt", NULL };
	struct fx *f = *state;
	struct prefix_set *want = text_fixtures_set(cf_files[0], cf_files[1]);
	struct source_result r[1] = { 0 };
	struct source s;

	src_provider(&s, "cloudflare", cf_files);
	assert_int_equal(resolve_sources(&s, 1, &f->o, r, &f->d), 0);
	assert_int_equal(r[0].status, SOURCE_FRESH);
	source_result_release(&r[0]);
	source_release(&s);
	/* age the cache by two hours */
	age_cache(f, "cloudflare", LISTCACHE_IDX, 7200);

	memset(r, 0, sizeof(r));
	src_provider(&s, "cloudflare", broken);
	assert_int_equal(resolve_sources(&s, 1, &f->o, r, &f->d), 0);
	assert_int_equal(r[0].status, SOURCE_CACHED);
	assert_true(prefix_set_equal(r[0].set, want));
	assert_in_range(r[0].age_s, 7200, 7260);
	assert_contains(r[0].error, "source 'cloudflare'");
	assert_contains(r[0].error, "error-500.html");
	assert_contains(r[0].error, "cannot be parsed");

	source_result_release(&r[0]);
	source_release(&s);
	prefix_set_free(want);
}

static void test_snapshot_fallback(void **state)
{
	static const char *const missing[] = { "/nonexistent/ips-v4", "cloudflare-ips-v6.txt",
					       NULL };
	struct fx *f = *state;
	struct prefix_set *want = text_fixtures_set(cf_files[0], cf_files[1]);
	struct source_result r[1] = { 0 };
	struct source s;

	src_provider(&s, "cloudflare", missing);
	assert_int_equal(resolve_sources(&s, 1, &f->o, r, &f->d), 0);
	assert_int_equal(r[0].status, SOURCE_SNAPSHOT);
	assert_true(prefix_set_equal(r[0].set, want));
	assert_true(r[0].age_s > 86400);
	assert_contains(r[0].error, "source 'cloudflare': '/nonexistent/ips-v4': cannot read");
	assert_true(has_warning(&f->d, "source 'cloudflare': using the built-in snapshot"));
	assert_true(has_warning(&f->d, "days old"));
	source_result_release(&r[0]);
	source_release(&s);
	prefix_set_free(want);
}

static void test_every_failed_endpoint_is_named(void **state)
{
	static const char *const missing[] = { "/nonexistent/a", "/nonexistent/b", NULL };
	struct fx *f = *state;
	struct source_result r[1] = { 0 };
	struct source s;

	src_provider(&s, "cloudflare", missing);
	assert_int_equal(resolve_sources(&s, 1, &f->o, r, &f->d), 0);
	assert_int_equal(r[0].status, SOURCE_SNAPSHOT);
	assert_contains(r[0].error,
			"source 'cloudflare': '/nonexistent/a': cannot read '/nonexistent/a'"
			": No such file or directory; '/nonexistent/b': cannot read");
	source_result_release(&r[0]);
	source_release(&s);
}

static void test_empty_endpoint_is_refused(void **state)
{
	static const char *const half[] = { "cloudflare-ips-v4.txt", "fastly-error-empty.txt",
					    NULL };
	struct fx *f = *state;
	struct source_result r[1] = { 0 };
	struct source s;

	src_provider(&s, "cloudflare", half);
	assert_int_equal(resolve_sources(&s, 1, &f->o, r, &f->d), 0);
	assert_int_equal(r[0].status, SOURCE_SNAPSHOT);
	assert_contains(r[0].error, "fastly-error-empty.txt' gave an empty list (0 prefixes)");
	source_result_release(&r[0]);
	source_release(&s);
}

static void test_refused_when_nothing_usable(void **state)
{
	struct fx *f = *state;
	struct source_result r[1] = { 0 };
	struct source s;

	src_generic(&s, "office", "/nonexistent/office.txt");
	assert_int_equal(resolve_sources(&s, 1, &f->o, r, &f->d), 0);
	assert_int_equal(r[0].status, SOURCE_REFUSED);
	assert_string_equal(source_status_name(r[0].status), "refused");
	assert_non_null(r[0].set);
	assert_int_equal(r[0].set->n, 0);
	assert_contains(r[0].error, "source 'office': '/nonexistent/office.txt': cannot read");
	assert_contains(r[0].error, "nothing from this source can be applied");
	source_result_release(&r[0]);
	source_release(&s);
}

static void test_guard_refusal_falls_back_to_cache(void **state)
{
	struct fx *f = *state;
	struct source_result r[1] = { 0 };
	char path[4096];
	struct source s;

	snprintf(path, sizeof(path), "%s/office.txt", f->dir);
	write_file(path, "# made up\n23.1.0.0/16\n23.2.0.0/16\n");
	src_generic(&s, "office", path);
	assert_int_equal(resolve_sources(&s, 1, &f->o, r, &f->d), 0);
	assert_int_equal(r[0].status, SOURCE_FRESH);
	assert_int_equal(r[0].set->n, 2);
	source_result_release(&r[0]);

	/* poisoned with a default route: refused, the cached good copy is used */
	write_file(path, "23.1.0.0/16\n23.2.0.0/16\n0.0.0.0/0\n");
	memset(r, 0, sizeof(r));
	assert_int_equal(resolve_sources(&s, 1, &f->o, r, &f->d), 0);
	assert_int_equal(r[0].status, SOURCE_CACHED);
	assert_int_equal(r[0].set->n, 2);
	assert_contains(r[0].error, "source 'office': prefix 0.0.0.0/0 refused (default route");
	source_result_release(&r[0]);

	/* the refused list did not replace the cache: a good list comes back fresh */
	write_file(path, "23.1.0.0/16\n23.2.0.0/16\n23.5.0.0/16\n");
	memset(r, 0, sizeof(r));
	assert_int_equal(resolve_sources(&s, 1, &f->o, r, &f->d), 0);
	assert_int_equal(r[0].status, SOURCE_FRESH);
	assert_int_equal(r[0].set->n, 3);
	source_result_release(&r[0]);
	source_release(&s);
}

static void test_shrink_against_last_count(void **state)
{
	struct fx *f = *state;
	struct source_result r[1] = { 0 };
	struct guard_history last[1] = { { .known = true, .count = { 10, 0 } } };
	char path[4096];
	struct source s;

	snprintf(path, sizeof(path), "%s/office.txt", f->dir);
	write_file(path, "23.1.0.0/16\n23.3.0.0/16\n23.5.0.0/16\n23.7.0.0/16\n");
	src_generic(&s, "office", path);
	f->o.history = last;
	f->o.write_cache = false;
	assert_int_equal(resolve_sources(&s, 1, &f->o, r, &f->d), 0);
	assert_int_equal(r[0].status, SOURCE_REFUSED);
	assert_contains(r[0].error, "shrank from 10 to 4 prefixes (-60%, max_shrink is 30%)");
	source_result_release(&r[0]);

	/* a cached copy is checked against the floor only */
	write_file(path, "23.1.0.0/16\n");
	f->o.history = NULL;
	f->o.write_cache = true;
	memset(r, 0, sizeof(r));
	assert_int_equal(resolve_sources(&s, 1, &f->o, r, &f->d), 0);
	assert_int_equal(r[0].status, SOURCE_FRESH);
	source_result_release(&r[0]);
	f->o.history = last;
	write_file(path, "");
	memset(r, 0, sizeof(r));
	assert_int_equal(resolve_sources(&s, 1, &f->o, r, &f->d), 0);
	assert_int_equal(r[0].status, SOURCE_CACHED);
	assert_int_equal(r[0].set->n, 1);
	assert_contains(r[0].error, "list is empty (0 prefixes)");
	source_result_release(&r[0]);

	/* --force accepts the shrink, loudly */
	write_file(path, "23.1.0.0/16\n23.3.0.0/16\n");
	f->o.guard.force = true;
	memset(r, 0, sizeof(r));
	assert_int_equal(resolve_sources(&s, 1, &f->o, r, &f->d), 0);
	assert_int_equal(r[0].status, SOURCE_FRESH);
	assert_true(has_warning(&f->d, "ACCEPTED ONLY BECAUSE OF --force"));
	source_result_release(&r[0]);
	source_release(&s);
}

static void test_offline_and_plain_http(void **state)
{
	static const char *const urls[] = { "https://127.0.0.1:9/ips-v4",
					    "https://127.0.0.1:9/ips-v6", NULL };
	struct fx *f = *state;
	struct source_result r[2] = { 0 };
	struct source s[2];

	src_provider(&s[0], "cloudflare", urls);
	src_generic(&s[1], "plain", "http://127.0.0.1:9/list.txt");
	assert_int_equal(resolve_sources(s, 2, &f->o, r, &f->d), 0);
	assert_int_equal(r[0].status, SOURCE_SNAPSHOT);
	assert_contains(r[0].error, "'https://127.0.0.1:9/ips-v4': offline");
	assert_int_equal(r[1].status, SOURCE_REFUSED);
	assert_contains(r[1].error, "source 'plain': plain http URL 'http://127.0.0.1:9/list.txt' "
				    "refused");
	for (size_t i = 0; i < 2; i++) {
		source_result_release(&r[i]);
		source_release(&s[i]);
	}
}

static void test_many_sources_at_once(void **state)
{
	static const char *const fastly[] = { "fastly.json", NULL };
	static const char *const cloudfront[] = { "aws-ip-ranges.json", NULL };
	static const char *const gcore[] = { "gcore.json", NULL };
	static const char *const names[] = { "cloudflare", "fastly", "cloudfront", "gcore" };
	const char *const *files[] = { cf_files, fastly, cloudfront, gcore };
	struct fx *f = *state;
	struct source_result r[4] = { 0 };
	struct source s[4];

	for (size_t i = 0; i < 4; i++)
		src_provider(&s[i], names[i], files[i]);
	assert_int_equal(resolve_sources(s, 4, &f->o, r, &f->d), 0);
	for (size_t i = 0; i < 4; i++) {
		struct prefix_set *want = snapshot_set(names[i]);

		if (r[i].status != SOURCE_FRESH)
			fail_msg("%s: %s: %s", names[i], source_status_name(r[i].status),
				 r[i].error);
		assert_true(prefix_set_equal(r[i].set, want));
		prefix_set_free(want);
		source_result_release(&r[i]);
		source_release(&s[i]);
	}
}

static void test_size_cap_applies_to_files(void **state)
{
	static const char *const cloudfront[] = { "aws-ip-ranges.json", NULL };
	struct fx *f = *state;
	struct source_result r[1] = { 0 };
	struct source s;

	f->o.fetch.max_size = 1u << 20;
	src_provider(&s, "cloudfront", cloudfront);
	assert_int_equal(resolve_sources(&s, 1, &f->o, r, &f->d), 0);
	assert_int_equal(r[0].status, SOURCE_SNAPSHOT);
	assert_contains(r[0].error, "body larger than the 1 MiB cap (max_size)");
	source_result_release(&r[0]);
	source_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fresh_files_write_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_unchanged_not_parsed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_fallback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_old_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_cache_write_when_disabled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_fallback_on_parse_error, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_fallback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_failed_endpoint_is_named, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_empty_endpoint_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_when_nothing_usable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guard_refusal_falls_back_to_cache, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_shrink_against_last_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_offline_and_plain_http, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_sources_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_size_cap_applies_to_files, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
