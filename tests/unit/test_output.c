// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * [output:NAME] files after a sync (src/engine/output.c, outputs.c), in a
 * throw-away directory with real commands (sh, touch, grep): a plan only
 * compares, a sync creates the file with its mode, an unchanged list neither
 * rewrites (same inode and mtime) nor reloads, a failing test puts the
 * previous file back (or removes the new one), a failing reload keeps the
 * tested file, a bad command touches nothing. The engine is built by hand from
 * a made-up list; nothing touches a firewall.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tmpdir.h"

#include "diag.h"
#include "engine.h"
#include "prefix_set.h"

struct fx {
	struct engine e;
	struct output_def o;
	char *dir;
	char path[512];
	char reloaded[512];
	char cmd[1200];
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

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = tmpdir_make();
	assert_non_null(f->dir);
	snprintf(f->path, sizeof(f->path), "%s/realip.conf", f->dir);
	snprintf(f->reloaded, sizeof(f->reloaded), "%s/reloaded", f->dir);
	f->o.name = "web";
	f->o.format = EXPORT_NGINX;
	f->o.path = f->path;
	f->o.header = "CF-Connecting-IP";
	f->o.mode = 0640;
	f->e.cfg.outputs = &f->o;
	f->e.cfg.noutputs = 1;
	f->e.want = set_of("203.0.113.0/24\n2001:db8:cd::/48\n");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	free(f->e.outputs);
	prefix_set_free(f->e.want);
	tmpdir_remove(f->dir);
	free(f);
	return 0;
}

static char *slurp(const char *path)
{
	FILE *in = fopen(path, "r");
	char *buf = calloc(1, 4096);

	assert_non_null(in);
	assert_non_null(buf);
	assert_true(fread(buf, 1, 4095, in) > 0);
	fclose(in);
	return buf;
}

static enum output_status run(struct fx *f, bool apply, int want_ret, bool want_changed)
{
	bool changed = true;

	assert_int_equal(engine_outputs(&f->e, apply, &changed), want_ret);
	assert_int_equal(changed, want_changed);
	return f->e.outputs[0].status;
}

static void test_create_then_unchanged(void **state)
{
	struct fx *f = *state;
	struct stat a, b;
	char *text;

	snprintf(f->cmd, sizeof(f->cmd), "touch '%s'", f->reloaded);
	f->o.reload = f->cmd;
	assert_int_equal(run(f, false, 0, true), OUTPUT_WOULD_CHANGE);
	assert_int_equal(access(f->path, F_OK), -1);
	assert_int_equal(run(f, true, 0, true), OUTPUT_WRITTEN);
	assert_true(f->e.outputs[0].created);
	text = slurp(f->path);
	assert_non_null(strstr(text, "set_real_ip_from 203.0.113.0/24;\n"
				     "set_real_ip_from 2001:db8:cd::/48;\n"
				     "real_ip_header CF-Connecting-IP;\n"));
	free(text);
	assert_int_equal(stat(f->path, &a), 0);
	assert_int_equal(a.st_mode & 07777, 0640);
	assert_int_equal(f->e.outputs[0].mtime, a.st_mtime);
	assert_int_equal(unlink(f->reloaded), 0);
	/* the same list again: no rewrite, no reload, and a plan sees no drift */
	assert_int_equal(run(f, true, 0, false), OUTPUT_UNCHANGED);
	assert_int_equal(stat(f->path, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	assert_int_equal(a.st_mtim.tv_nsec, b.st_mtim.tv_nsec);
	assert_int_equal(access(f->reloaded, F_OK), -1);
	assert_int_equal(run(f, false, 0, false), OUTPUT_UNCHANGED);
}

static void test_failed_test_restores(void **state)
{
	struct fx *f = *state;
	char *before, *after;
	struct stat st;

	assert_int_equal(run(f, true, 0, true), OUTPUT_WRITTEN);
	before = slurp(f->path);
	prefix_set_free(f->e.want);
	f->e.want = set_of("198.51.100.0/24\n");
	/* the test sees the new file in place, then fails */
	snprintf(f->cmd, sizeof(f->cmd), "sh -c 'grep -q 198.51.100.0/24 \"$0\" && exit 3' '%s'",
		 f->path);
	f->o.test = f->cmd;
	f->o.reload = "touch /nonexistent-dir/never";
	assert_int_equal(run(f, true, -EIO, false), OUTPUT_TEST_FAILED);
	after = slurp(f->path);
	assert_string_equal(before, after);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	free(before);
	free(after);
	/* no previous file: the new one is removed, not left for the server to load */
	assert_int_equal(unlink(f->path), 0);
	assert_int_equal(run(f, true, -EIO, false), OUTPUT_TEST_FAILED);
	assert_int_equal(access(f->path, F_OK), -1);
	assert_int_equal(f->e.outputs[0].mtime, 0);
}

static void test_failed_reload_keeps_file(void **state)
{
	struct fx *f = *state;
	char *text;

	f->o.test = "true";
	f->o.reload = "false";
	assert_int_equal(run(f, true, -EIO, true), OUTPUT_RELOAD_FAILED);
	text = slurp(f->path);
	assert_non_null(strstr(text, "203.0.113.0/24"));
	free(text);
	assert_true(output_status_failed(OUTPUT_RELOAD_FAILED));
	assert_string_equal(output_status_name(OUTPUT_RELOAD_FAILED), "reload-failed");
}

/* No header and no source agreeing on one: X-Forwarded-For, recursive. A link is refused. */
static void test_default_header_and_link(void **state)
{
	struct fx *f = *state;
	char link[600], *text;

	f->o.header = NULL;
	assert_int_equal(run(f, true, 0, true), OUTPUT_WRITTEN);
	text = slurp(f->path);
	assert_non_null(strstr(text, "real_ip_header X-Forwarded-For;\nreal_ip_recursive on;\n"));
	free(text);
	snprintf(link, sizeof(link), "%s/link.conf", f->dir);
	assert_int_equal(symlink(f->path, link), 0);
	f->o.path = link;
	assert_int_equal(run(f, true, -EIO, false), OUTPUT_FAILED);
	assert_int_equal(unlink(f->path), 0);
	/* still a link (dangling now), never replaced by a file */
	assert_int_equal(run(f, true, -EIO, false), OUTPUT_FAILED);
	assert_int_equal(access(f->path, F_OK), -1);
}

static void test_bad_command_touches_nothing(void **state)
{
	struct fx *f = *state;

	f->o.test = "nginx -t 'unbalanced";
	assert_int_equal(run(f, true, -EIO, false), OUTPUT_FAILED);
	assert_int_equal(access(f->path, F_OK), -1);
	f->o.test = NULL;
	/* a header that would break out of its line never reaches the file */
	f->o.header = "X;include";
	assert_int_equal(run(f, true, -EIO, false), OUTPUT_FAILED);
	assert_int_equal(access(f->path, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_then_unchanged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_test_restores, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_reload_keeps_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_header_and_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_command_touches_nothing, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
