// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The Prometheus textfile of --metrics-file (src/cli/metrics.c, compiled in
 * here because the CLI is not part of cdnallow_core): exact output of a
 * successful, a failed and an early-failed run, the exposition format rules
 * (HELP/TYPE before samples, escaped label values) and the atomic write. The
 * engine is built by hand from made-up lists; nothing touches a firewall.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tmpdir.h"

#include "../../src/cli/metrics.c"
#include "diag.h"
#include "resolve.h"

#define NOW 1700000000

static const struct backend_ops fake_backend = { .name = "nftables" };

struct fx {
	struct engine e;
	struct source srcs[2];
	struct source_result results[2];
	struct prefix_set *installed;
	char *dir;
};

static struct prefix_set *set_of(const char *text)
{
	struct prefix_set *s = prefix_set_new();
	struct diag d;

	assert_non_null(s);
	diag_init(&d);
	assert_int_equal(prefix_set_parse_text(s, text, strlen(text), "test", &d), 0);
	diag_release(&d);
	assert_int_equal(prefix_set_aggregate(s), 0);
	return s;
}

/*
 * Two sources: a fresh one and a cached one whose name needs escaping; the
 * firewall held 198.51.100.0/24 and gets 203.0.113.0/24 + 192.0.2.0/24 + one v6.
 */
static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct engine *e;

	assert_non_null(f);
	e = &f->e;
	f->srcs[0].name = "cloudflare";
	f->srcs[1].name = "/etc/cdn \"x\"\\y\nz";
	f->results[0].status = SOURCE_FRESH;
	f->results[0].set = set_of("203.0.113.0/24\n2001:db8:cd::/48\n");
	f->results[1].status = SOURCE_CACHED;
	f->results[1].set = set_of("192.0.2.0/24\n");
	f->results[1].age_s = 86400 * 3;
	e->srcs = f->srcs;
	e->results = f->results;
	e->nsrcs = 2;
	e->want = set_of("203.0.113.0/24\n192.0.2.0/24\n2001:db8:cd::/48\n");
	e->be = &fake_backend;
	e->cfg.mode = MODE_ALLOW;
	f->installed = set_of("198.51.100.0/24\n");
	assert_int_equal(plan_build(&e->plan, e->want, f->installed), 0);
	e->have_prev = true;
	e->prev.last_success = NOW - 3600;
	f->dir = tmpdir_make();
	assert_non_null(f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	plan_release(&f->e.plan);
	prefix_set_free(f->e.want);
	prefix_set_free(f->installed);
	prefix_set_free(f->results[0].set);
	prefix_set_free(f->results[1].set);
	tmpdir_remove(f->dir);
	free(f);
	return 0;
}

static char *render(const struct engine *e, int result, double duration)
{
	char *buf = NULL;
	size_t len = 0;

	assert_int_equal(metrics_render(e, result, duration, NOW, &buf, &len), 0);
	assert_non_null(buf);
	assert_int_equal(len, strlen(buf));
	return buf;
}

/*
 * Exposition format: every line is "# HELP name text", "# TYPE name gauge" or
 * a sample of the metric announced last; every file ends with a newline.
 */
static void check_format(const char *text)
{
	char name[128] = "", line[1024];
	const char *p = text, *nl;
	int helped = 0;

	assert_true(*text && text[strlen(text) - 1] == '\n');
	for (; *p; p = nl + 1) {
		size_t n;

		nl = strchr(p, '\n');
		assert_non_null(nl);
		n = (size_t)(nl - p);
		assert_true(n < sizeof(line));
		memcpy(line, p, n);
		line[n] = '\0';
		if (!strncmp(line, "# HELP ", 7)) {
			assert_int_equal(sscanf(line + 7, "%127s", name), 1);
			helped = 1;
		} else if (!strncmp(line, "# TYPE ", 7)) {
			char type_line[256];
			size_t k = strlen(name);
			/* Prometheus: a name ending in _total is a counter, the rest gauges */
			bool total = k > 6 && !strcmp(name + k - 6, "_total");

			assert_true(helped);
			snprintf(type_line, sizeof(type_line), "# TYPE %s %s", name,
				 total ? "counter" : "gauge");
			assert_string_equal(line, type_line);
		} else {
			size_t k = strlen(name);
			char *end;

			assert_true(helped);
			assert_memory_equal(line, name, k);
			assert_true(line[k] == ' ' || line[k] == '{');
			/* the value after the last blank is a number */
			strtod(strrchr(line, ' ') + 1, &end);
			assert_int_equal(*end, '\0');
		}
	}
}

static void test_success_exact(void **state)
{
	struct fx *f = *state;
	char *out = render(&f->e, 0, 1.25);
	static const char want[] =
		"# HELP cdnallow_last_run_timestamp_seconds Unix time the last sync ended.\n"
		"# TYPE cdnallow_last_run_timestamp_seconds gauge\n"
		"cdnallow_last_run_timestamp_seconds 1700000000\n"
		"# HELP cdnallow_last_success_timestamp_seconds Unix time of the last successful "
		"sync (0: never).\n"
		"# TYPE cdnallow_last_success_timestamp_seconds gauge\n"
		"cdnallow_last_success_timestamp_seconds 1700000000\n"
		"# HELP cdnallow_sync_success 1 when the last sync succeeded, else 0.\n"
		"# TYPE cdnallow_sync_success gauge\n"
		"cdnallow_sync_success 1\n"
		"# HELP cdnallow_sync_duration_seconds Wall time of the last sync.\n"
		"# TYPE cdnallow_sync_duration_seconds gauge\n"
		"cdnallow_sync_duration_seconds 1.250\n"
		"# HELP cdnallow_backend_info Backend and mode of the last sync.\n"
		"# TYPE cdnallow_backend_info gauge\n"
		"cdnallow_backend_info{backend=\"nftables\",mode=\"allow\"} 1\n"
		"# HELP cdnallow_prefixes Prefixes in the firewall allowlist after the run.\n"
		"# TYPE cdnallow_prefixes gauge\n"
		"cdnallow_prefixes{family=\"ipv4\"} 2\n"
		"cdnallow_prefixes{family=\"ipv6\"} 1\n"
		"# HELP cdnallow_source_prefixes Prefixes each source contributed, by freshness.\n"
		"# TYPE cdnallow_source_prefixes gauge\n"
		"cdnallow_source_prefixes{source=\"cloudflare\",status=\"fresh\"} 2\n"
		"cdnallow_source_prefixes{source=\"/etc/cdn "
		"\\\"x\\\"\\\\y\\nz\",status=\"cached\"} "
		"1\n"
		"# HELP cdnallow_source_age_seconds Age of the data each source used: 0 fresh, "
		"else "
		"since the cached copy was fetched or the snapshot published.\n"
		"# TYPE cdnallow_source_age_seconds gauge\n"
		"cdnallow_source_age_seconds{source=\"cloudflare\"} 0\n"
		"cdnallow_source_age_seconds{source=\"/etc/cdn \\\"x\\\"\\\\y\\nz\"} 259200\n"
		"# HELP cdnallow_source_refusals Sources whose fresh list was not used (cached, "
		"snapshot or refused).\n"
		"# TYPE cdnallow_source_refusals gauge\n"
		"cdnallow_source_refusals 1\n"
		"# HELP cdnallow_changes_applied Prefixes added and removed by the run.\n"
		"# TYPE cdnallow_changes_applied gauge\n"
		"cdnallow_changes_applied{op=\"add\"} 3\n"
		"cdnallow_changes_applied{op=\"remove\"} 1\n";
	const char *a = out, *b = want;

	/* line by line, so a failure names the first differing line */
	while (*a && *b) {
		size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
		char ga[1024], gb[1024];

		snprintf(ga, sizeof(ga), "%.*s", (int)la, a);
		snprintf(gb, sizeof(gb), "%.*s", (int)lb, b);
		assert_string_equal(ga, gb);
		a += la + (a[la] == '\n');
		b += lb + (b[lb] == '\n');
	}
	assert_string_equal(a, b);
	check_format(out);
	free(out);
}

/* The failed apply kept the old state: counts of what was installed, no changes, old success. */
static void test_failure_keeps_previous(void **state)
{
	struct fx *f = *state;
	char *out = render(&f->e, -EIO, 0.5);

	check_format(out);
	assert_non_null(strstr(out, "\ncdnallow_sync_success 0\n"));
	assert_non_null(strstr(out, "\ncdnallow_last_success_timestamp_seconds 1699996400\n"));
	assert_non_null(strstr(out, "\ncdnallow_last_run_timestamp_seconds 1700000000\n"));
	assert_non_null(strstr(out, "\ncdnallow_prefixes{family=\"ipv4\"} 1\n"));
	assert_non_null(strstr(out, "\ncdnallow_prefixes{family=\"ipv6\"} 0\n"));
	assert_non_null(strstr(out, "\ncdnallow_changes_applied{op=\"add\"} 0\n"));
	assert_non_null(strstr(out, "\ncdnallow_changes_applied{op=\"remove\"} 0\n"));
	free(out);
}

/* A run that failed before resolving (lock, config) claims nothing about sources or prefixes. */
static void test_early_failure(void **state)
{
	struct fx *f = *state;
	struct engine e = { 0 };
	char *out;

	(void)f;
	out = render(&e, -EWOULDBLOCK, 0.001);
	check_format(out);
	assert_non_null(strstr(out, "\ncdnallow_sync_success 0\n"));
	assert_non_null(strstr(out, "\ncdnallow_last_success_timestamp_seconds 0\n"));
	assert_non_null(strstr(out, "\ncdnallow_sync_duration_seconds 0.001\n"));
	assert_null(strstr(out, "cdnallow_prefixes"));
	assert_null(strstr(out, "cdnallow_source_prefixes"));
	assert_null(strstr(out, "cdnallow_backend_info"));
	free(out);
}

static void test_lockdown_snapshot_refusals(void **state)
{
	struct fx *f = *state;
	char *out;

	f->e.cfg.mode = MODE_LOCKDOWN;
	f->results[0].status = SOURCE_NOT_MODIFIED;
	f->results[1].status = SOURCE_SNAPSHOT;
	out = render(&f->e, 0, 2);
	check_format(out);
	assert_non_null(strstr(out, "{backend=\"nftables\",mode=\"lockdown\"} 1\n"));
	assert_non_null(strstr(out, "{source=\"cloudflare\",status=\"not-modified\"} 2\n"));
	assert_non_null(strstr(out, ",status=\"snapshot\"} 1\n"));
	/* not-modified is as good as fresh; the snapshot is a refusal */
	assert_non_null(strstr(out, "\ncdnallow_source_refusals 1\n"));
	free(out);
}

/* Per output: in place or not, and its file's mtime; label values escaped like the others. */
static void test_outputs(void **state)
{
	struct fx *f = *state;
	struct output_def defs[2] = { { .name = "nginx" }, { .name = "f2b \"x\"" } };
	struct output_result res[2] = { { .status = OUTPUT_WRITTEN, .mtime = NOW - 60 },
					{ .status = OUTPUT_TEST_FAILED } };
	char *out;

	f->e.cfg.outputs = defs;
	f->e.cfg.noutputs = 2;
	f->e.outputs = res;
	out = render(&f->e, 0, 1.0);
	check_format(out);
	assert_non_null(strstr(out, "# TYPE cdnallow_output_write_ok gauge\n"
				    "cdnallow_output_write_ok{output=\"nginx\"} 1\n"
				    "cdnallow_output_write_ok{output=\"f2b \\\"x\\\"\"} 0\n"));
	assert_non_null(strstr(out,
			       "cdnallow_output_last_write_timestamp_seconds{output=\"nginx\"} "
			       "1699999940\n"
			       "cdnallow_output_last_write_timestamp_seconds{output=\"f2b "
			       "\\\"x\\\"\"} 0\n"));
	free(out);
	/* a run that never got to the outputs reports none */
	f->e.outputs = NULL;
	out = render(&f->e, -EIO, 1.0);
	assert_null(strstr(out, "cdnallow_output"));
	free(out);
	f->e.cfg.outputs = NULL;
	f->e.cfg.noutputs = 0;
}

/* Counters: type counter, per family; unavailable ones left out, never written as 0. */
static void test_counters(void **state)
{
	struct fx *f = *state;
	char *out;

	out = render(&f->e, 0, 1.0);
	assert_null(strstr(out, "packets_total"));
	free(out);
	f->e.counters_read = true;
	backend_counters_unknown(&f->e.counters);
	out = render(&f->e, 0, 1.0);
	assert_null(strstr(out, "packets_total"));
	free(out);
	f->e.counters.accepted[0] = 42;
	f->e.counters.dropped[1] = 0;
	out = render(&f->e, 0, 1.0);
	check_format(out);
	assert_non_null(strstr(out, "# TYPE cdnallow_accepted_packets_total counter\n"
				    "cdnallow_accepted_packets_total{family=\"ipv4\"} 42\n# "));
	assert_null(strstr(out, "cdnallow_accepted_packets_total{family=\"ipv6\"}"));
	assert_non_null(strstr(out,
			       "# TYPE cdnallow_lockdown_dropped_packets_total counter\n"
			       "cdnallow_lockdown_dropped_packets_total{family=\"ipv6\"} 0\n"));
	assert_null(strstr(out, "cdnallow_lockdown_dropped_packets_total{family=\"ipv4\"}"));
	free(out);
	f->e.counters_read = false;
}

static void test_write_atomic(void **state)
{
	struct fx *f = *state;
	char *path = tmpdir_path(f->dir, "cdnallow.prom");
	char *bad = tmpdir_path(f->dir, "missing/cdnallow.prom");
	char *buf = NULL, *want = NULL;
	const char *tail;
	size_t len = 0, wlen = 0;
	struct stat st1, st2;

	assert_int_equal(tmpdir_write(path, "stale\n", 6), 0);
	assert_int_equal(stat(path, &st1), 0);
	assert_int_equal(metrics_write(path, &f->e, 0, 0.25), 0);
	assert_int_equal(tmpdir_mode(path), 0644);
	/* replaced by rename, not rewritten in place: the exporter never sees half a file */
	assert_int_equal(stat(path, &st2), 0);
	assert_int_not_equal(st1.st_ino, st2.st_ino);
	assert_int_equal(tmpdir_count(f->dir, NULL), 1);
	assert_int_equal(file_read_all(path, 1 << 20, &buf, &len), 0);
	check_format(buf);
	/* same content as rendered, apart from the wall-clock timestamps */
	assert_int_equal(metrics_render(&f->e, 0, 0.25, NOW, &want, &wlen), 0);
	assert_non_null(strstr(buf, "\ncdnallow_sync_duration_seconds 0.250\n"));
	tail = strstr(want, "# HELP cdnallow_sync_success");
	assert_non_null(tail); /* a missing line fails here instead of crashing in strstr */
	assert_non_null(strstr(buf, tail));
	assert_int_equal(metrics_write(bad, &f->e, 0, 0.25), -ENOENT);
	assert_int_equal(tmpdir_count(f->dir, NULL), 1);
	free(buf);
	free(want);
	free(path);
	free(bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_success_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_keeps_previous, setup, teardown),
		cmocka_unit_test_setup_teardown(test_early_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lockdown_snapshot_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outputs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_atomic, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
