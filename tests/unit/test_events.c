// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for change events (src/engine/events.c, engine_changes) on the
 * fake firewall of fake_backend.h: which syncs make an event, what each
 * source's difference is (a source changed behind an unchanged firewall, a
 * source dropped from the config, an upgrade without sources.json), that
 * the on_change hook runs exactly for the events, and the running totals.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "engine.h"
#include "fake_backend.h"
#include "fileio.h"
#include "history.h"
#include "tmpdir.h"

static char reported[4096];

static void report(const struct diag *d, const char *what)
{
	size_t len = strlen(reported);

	(void)what;
	for (size_t i = 0; i < d->nwarnings; i++)
		len += (size_t)snprintf(reported + len, sizeof(reported) - len, "warning: %s\n",
					d->warnings[i]);
	if (d->msg[0])
		snprintf(reported + len, sizeof(reported) - len, "error: %s\n", d->msg);
}

static const struct engine_hooks hooks = { .report = report };

struct fx {
	char *dir, *conf, *a, *b, *hook_out, *state;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = tmpdir_make();
	assert_non_null(f->dir);
	f->conf = tmpdir_path(f->dir, "cdnallow.conf");
	f->a = tmpdir_path(f->dir, "a.txt");
	f->b = tmpdir_path(f->dir, "b.txt");
	f->hook_out = tmpdir_path(f->dir, "hook.out");
	f->state = tmpdir_path(f->dir, "state");
	fake_reset(f->dir);
	reported[0] = '\0';
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	free(f->conf);
	free(f->a);
	free(f->b);
	free(f->hook_out);
	free(f->state);
	tmpdir_remove(f->dir);
	free(f);
	return 0;
}

static void write_list(const char *path, const char *list)
{
	char text[1024];
	int n = snprintf(text, sizeof(text), "%s\n", list);

	for (char *c = text; *c; c++)
		*c = *c == ',' ? '\n' : *c;
	assert_int_equal(tmpdir_write(path, text, (size_t)n), 0);
}

/*
 * One sync of sources a (and b when blist is not NULL) through the fake
 * firewall, then engine_changes() as cmd_sync calls it. *total: a's
 * ranges_changed_total after it.
 */
static void sync_once(struct fx *f, const char *alist, const char *blist, unsigned long long *total)
{
	struct engine_opts o = { .config_path = f->conf, .config_explicit = true, .offline = true };
	struct engine e;
	char conf[1024];
	bool changed;
	int n;

	n = snprintf(conf, sizeof(conf),
		     "[cdnallow]\nproviders =\nstate_dir = %s\n[guard]\nallow_test_ranges = true\n"
		     "[hooks]\non_change = /bin/sh -c 'cat >> \"$1\"' sh %s\n",
		     f->state, f->hook_out);
	assert_int_equal(tmpdir_write(f->conf, conf, (size_t)n), 0);
	write_list(f->a, alist);
	o.sources[o.nsources++] = f->a;
	if (blist) {
		write_list(f->b, blist);
		o.sources[o.nsources++] = f->b;
	}
	assert_int_equal(engine_init(&e, &o, &hooks), 0);
	e.be = &fake_wall_ops;
	e.lockdown_be = &fake_nft_ops;
	assert_int_equal(engine_sync(&e, true, &changed), 0);
	engine_changes(&e, changed);
	assert_non_null(e.records);
	*total = 0;
	for (size_t i = 0; i < e.records->n; i++)
		if (!strcmp(e.records->v[i].name, f->a))
			*total = e.records->v[i].changed_total;
	engine_release(&e);
}

static void read_history(struct fx *f, struct history *h)
{
	struct diag d;

	diag_init(&d);
	memset(h, 0, sizeof(*h));
	assert_int_equal(history_read(f->state, h, &d), 0);
	assert_int_equal(d.nwarnings, 0);
	diag_release(&d);
}

/* The hook's output file: one document a line, like history.jsonl. */
static size_t hook_runs(struct fx *f)
{
	struct history h = { 0 };
	char *buf = NULL;
	size_t len = 0, n;

	if (file_read_all(f->hook_out, 1 << 20, &buf, &len) == -ENOENT)
		return 0;
	assert_int_equal(history_parse(buf, len, "hook", &h, NULL), 0);
	n = h.n;
	history_release(&h);
	free(buf);
	return n;
}

static void assert_delta(const struct change_delta *dl, const char *name, size_t add4, size_t del4)
{
	assert_string_equal(dl->name, name);
	assert_int_equal(change_count(dl->add, AF_INET), add4);
	assert_int_equal(change_count(dl->del, AF_INET), del4);
}

static void test_first_change_noop(void **state)
{
	struct fx *f = *state;
	unsigned long long total;
	struct history h;

	sync_once(f, "198.51.100.0/24,203.0.113.0/24", NULL, &total);
	assert_int_equal(total, 2);
	sync_once(f, "203.0.113.0/24,192.0.2.0/25", NULL, &total);
	assert_int_equal(total, 4);
	sync_once(f, "203.0.113.0/24,192.0.2.0/25", NULL, &total);
	assert_int_equal(total, 4);
	read_history(f, &h);
	assert_int_equal(h.n, 2);
	assert_true(h.v[0].fw_changed);
	assert_delta(&h.v[0].src[0], f->a, 2, 0);
	assert_int_equal(h.v[1].nsrc, 1);
	assert_delta(&h.v[1].src[0], f->a, 1, 1);
	assert_delta(&h.v[1].fw, "", 1, 1);
	assert_string_equal(h.v[1].backend, "fakewall");
	history_release(&h);
	assert_int_equal(hook_runs(f), 2);
	assert_string_equal(reported, "");
}

/* b's list moves inside what a covers: b changed, the firewall did not. */
static void test_source_change_behind_same_firewall(void **state)
{
	struct fx *f = *state;
	unsigned long long total;
	struct history h;

	sync_once(f, "198.51.100.0/24", "198.51.100.0/25,203.0.113.0/24", &total);
	sync_once(f, "198.51.100.0/24", "198.51.100.128/25,203.0.113.0/24", &total);
	assert_int_equal(total, 1);
	read_history(f, &h);
	assert_int_equal(h.n, 2);
	assert_false(h.v[1].fw_changed);
	assert_int_equal(h.v[1].nsrc, 1);
	assert_delta(&h.v[1].src[0], f->b, 1, 1);
	history_release(&h);
	assert_int_equal(hook_runs(f), 2);
}

/* A source taken out of the config removed all it had. */
static void test_source_dropped(void **state)
{
	struct fx *f = *state;
	unsigned long long total;
	struct history h;

	sync_once(f, "198.51.100.0/24", "203.0.113.0/24,192.0.2.0/25", &total);
	sync_once(f, "198.51.100.0/24", NULL, &total);
	read_history(f, &h);
	assert_int_equal(h.n, 2);
	assert_int_equal(h.v[1].nsrc, 1);
	assert_delta(&h.v[1].src[0], f->b, 0, 2);
	assert_delta(&h.v[1].fw, "", 0, 2);
	history_release(&h);
}

/* An upgraded state dir: no sources record and nothing to change is no event, only the record. */
static void test_upgrade_is_silent(void **state)
{
	struct fx *f = *state;
	unsigned long long total;
	struct history h;
	char *path;

	assert_int_equal(fake_put(&fake_wall, "198.51.100.0/24"), 0);
	sync_once(f, "198.51.100.0/24", NULL, &total);
	assert_int_equal(total, 0);
	read_history(f, &h);
	assert_int_equal(h.n, 0);
	history_release(&h);
	assert_int_equal(hook_runs(f), 0);
	path = tmpdir_path(f->state, HISTORY_SOURCES_REC);
	assert_int_equal(tmpdir_mode(path), 0600);
	free(path);
	/* from then on changes count */
	sync_once(f, "198.51.100.0/24,203.0.113.0/24", NULL, &total);
	assert_int_equal(total, 1);
	assert_int_equal(hook_runs(f), 1);
}

/* A failed sync still has the counters for the metrics file: sources.rec as it is. */
static void test_failed_sync_keeps_totals(void **state)
{
	struct fx *f = *state;
	struct engine_opts o = { .config_path = f->conf, .config_explicit = true, .offline = true };
	unsigned long long total;
	struct engine e;

	sync_once(f, "198.51.100.0/24,203.0.113.0/24", NULL, &total);
	o.sources[o.nsources++] = f->a;
	assert_int_equal(engine_init(&e, &o, &hooks), 0);
	engine_load_changes(&e);
	assert_non_null(e.records);
	assert_int_equal(e.records->n, 1);
	assert_string_equal(e.records->v[0].name, f->a);
	assert_int_equal(e.records->v[0].changed_total, 2);
	engine_release(&e);
}

/* A damaged sources.rec costs the per-source difference of one sync, never the sync. */
static void test_damaged_record(void **state)
{
	struct fx *f = *state;
	unsigned long long total;
	char *path;

	sync_once(f, "198.51.100.0/24", NULL, &total);
	path = tmpdir_path(f->state, HISTORY_SOURCES_REC);
	assert_int_equal(tmpdir_write(path, "CDNASRC2 cut short", 18), 0);
	reported[0] = '\0';
	sync_once(f, "198.51.100.0/24,203.0.113.0/24", NULL, &total);
	assert_non_null(strstr(reported, "per-source changes start again"));
	assert_non_null(strstr(reported, HISTORY_SOURCES_REC));
	/* like a first run that changed the firewall: the whole list, the total from 0 */
	assert_int_equal(total, 2);
	/* rewritten whole: the next sync reads it again */
	reported[0] = '\0';
	sync_once(f, "198.51.100.0/24,203.0.113.0/24,192.0.2.0/24", NULL, &total);
	assert_null(strstr(reported, "start again"));
	assert_int_equal(total, 3);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_first_change_noop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_source_change_behind_same_firewall, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_source_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_is_silent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_sync_keeps_totals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_record, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
