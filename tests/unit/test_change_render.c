// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the direct formatter of the change document
 * (src/core/change_render.c) against the jansson tree it replaced
 * (change_json_ref.h): the same bytes for the records of the history corpus,
 * a big mixed record, every kind of name jansson escapes, an empty change; the
 * same refusal of a name that is not UTF-8. No root, no network.
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

#include "change.h"
#include "change_json_ref.h"
#include "diag.h"
#include "fileio.h"
#include "history.h"
#include "prefix_set.h"

static void add(struct prefix_set *s, const char *cidr)
{
	struct prefix p;

	assert_int_equal(prefix_parse(cidr, strlen(cidr), &p, NULL), 0);
	assert_int_equal(prefix_set_add(s, &p), 0);
}

/* Both renderers give the same answer and, when they succeed, the same bytes. */
static void same(const struct change *c, bool ok)
{
	char *doc = NULL, *ref = NULL;
	int ret = change_render(c, &doc), want = ref_change_render(c, &ref);

	assert_int_equal(ret == 0, want == 0);
	assert_int_equal(ret == 0, ok);
	if (ok)
		assert_string_equal(doc, ref);
	else
		assert_null(doc);
	free(doc);
	free(ref);
}

static void render_file(const char *path, size_t *records)
{
	struct history h = { 0 };
	struct diag d;
	char *buf = NULL;
	size_t len = 0;

	diag_init(&d);
	/* file_read_all: a git archive extracts files group-writable (umask 002) */
	assert_int_equal(file_read_all(path, 1u << 20, &buf, &len), 0);
	assert_int_equal(history_parse(buf, len, path, &h, &d), 0);
	for (size_t i = 0; i < h.n; i++)
		same(&h.v[i], true);
	*records += h.n;
	history_release(&h);
	diag_release(&d);
	free(buf);
}

static void test_corpus_records(void **state)
{
	const char *dir = TESTS_DIR "/fuzz/corpus/history";
	DIR *dp = opendir(dir);
	struct dirent *e;
	size_t records = 0;

	(void)state;
	assert_non_null(dp);
	while ((e = readdir(dp))) {
		char path[4096];
		size_t n = strlen(e->d_name);

		if (n < 6 || strcmp(e->d_name + n - 6, ".jsonl"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		render_file(path, &records);
	}
	closedir(dp);
	assert_true(records >= 3);
}

/* Some thousands of prefixes of both families and every length class, several sources. */
static void fill(struct prefix_set *s, unsigned seed, unsigned n)
{
	char t[64];

	for (unsigned i = 0; i < n; i++) {
		unsigned v = (seed * 2654435761u) ^ (i * 40503u);

		if (i % 5 == 4)
			snprintf(t, sizeof(t), "2001:db8:%x:%x::/64", v & 0xffff, i & 0xffff);
		else if (i % 7 == 3)
			snprintf(t, sizeof(t), "%u.%u.%u.0/24", 1 + v % 223, (v >> 8) & 0xff,
				 i & 0xff);
		else
			snprintf(t, sizeof(t), "%u.%u.%u.%u/32", 1 + v % 223, (v >> 8) & 0xff,
				 (i >> 8) & 0xff, i & 0xff);
		add(s, t);
	}
}

static void test_big_record(void **state)
{
	struct change c;
	struct change_delta *dl;

	(void)state;
	assert_int_equal(change_init(&c), 0);
	c.time = 1796337600;
	strcpy(c.backend, "iptables");
	strcpy(c.mode, "lockdown");
	c.fw_changed = true;
	fill(c.fw.add, 1, 20000);
	fill(c.fw.del, 2, 3000);
	add(c.fw.add, "198.51.100.128/25");
	add(c.fw.add, "2001:db8::/32");
	add(c.fw.del, "2001:db8:0:1::1/128");
	assert_int_equal(change_add_output(&c, "nginx"), 0);
	assert_int_equal(change_add_output(&c, "caddy"), 0);
	assert_int_equal(change_add_source(&c, "https://example.com/ips-v4", &dl), 0);
	fill(dl->add, 3, 5000);
	assert_int_equal(change_add_source(&c, "empty", &dl), 0);
	assert_int_equal(change_add_source(&c, "/etc/cdnallow/local.txt", &dl), 0);
	fill(dl->del, 4, 100);
	same(&c, true);
	c.fw_changed = false;
	same(&c, true);
	change_release(&c);
}

static void test_empty_change(void **state)
{
	struct change c;

	(void)state;
	assert_int_equal(change_init(&c), 0);
	same(&c, true);
	strcpy(c.backend, "none");
	strcpy(c.mode, "allow");
	same(&c, true);
	change_release(&c);
}

static void named(const char *name, bool ok)
{
	struct change c;
	struct change_delta *dl;

	assert_int_equal(change_init(&c), 0);
	strcpy(c.backend, "nftables");
	strcpy(c.mode, "allow");
	assert_int_equal(change_add_source(&c, name, &dl), 0);
	add(dl->add, "192.0.2.0/24");
	same(&c, ok);
	change_release(&c);
	assert_int_equal(change_init(&c), 0);
	strcpy(c.backend, "nftables");
	snprintf(c.mode, sizeof(c.mode), "%.15s", name);
	assert_int_equal(change_add_output(&c, name), 0);
	same(&c, ok);
	change_release(&c);
}

static void test_names_escaped(void **state)
{
	static const char *const ok[] = {
		"office",	    "a\"quote",	 "back\\slash",
		"http://x/y?z=1&w", "tab\there", "nl\ncr\rbs\bff\f",
		"\x01\x1f",	    "del\x7f",	 "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		"\xef\xbf\xbf",	    "<script>",
	};
	static const char *const bad[] = { "\xff", "cut\xc3", "\xc0\xaf", "\xed\xa0\x80",
					   "\xf4\x90\x80\x80" };
	char longname[CHANGE_NAME_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		named(ok[i], true);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		named(bad[i], false);
	memset(longname, '"', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	named(longname, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_records),
		cmocka_unit_test(test_big_record),
		cmocka_unit_test(test_empty_change),
		cmocka_unit_test(test_names_escaped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
