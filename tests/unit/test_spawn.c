// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the fork/exec helper: capture, stdin feeding, caps, exit
 * status, signals, timeouts, missing programs. Runs coreutils and /bin/sh as
 * children; needs neither root nor network.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "diag.h"
#include "spawn.h"
#include "tmpdir.h"

static void test_stdout_captured(void **state)
{
	const char *argv[] = { "echo", "hello", "world", NULL };
	struct spawn_opts o = { .argv = argv };
	struct spawn_result r;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(spawn_run_checked(&o, &r, &d), 0);
	assert_string_equal(r.out, "hello world\n");
	assert_int_equal(r.out_len, 12);
	assert_string_equal(r.err, "");
	assert_int_equal(r.status, 0);
	assert_false(r.out_truncated);
	spawn_result_release(&r);
	diag_release(&d);
}

/* 4 MiB through cat both ways: stdin and stdout must be pumped together or both block. */
static void test_stdin_roundtrip_large(void **state)
{
	const char *argv[] = { "cat", NULL };
	size_t n = 4u << 20;
	char *in = malloc(n);
	struct spawn_opts o = { .argv = argv, .timeout_ms = 20000 };
	struct spawn_result r;

	(void)state;
	assert_non_null(in);
	for (size_t i = 0; i < n; i++)
		in[i] = (char)('a' + i % 26);
	o.in = in;
	o.in_len = n;
	assert_int_equal(spawn_run_checked(&o, &r, NULL), 0);
	assert_int_equal(r.out_len, n);
	assert_memory_equal(r.out, in, n);
	spawn_result_release(&r);
	free(in);
}

static void test_empty_stdin_gives_eof(void **state)
{
	const char *argv[] = { "wc", "-c", NULL };
	struct spawn_opts o = { .argv = argv, .in = "", .in_len = 0, .timeout_ms = 5000 };
	struct spawn_result r;

	(void)state;
	assert_int_equal(spawn_run_checked(&o, &r, NULL), 0);
	assert_int_equal(atoi(r.out), 0);
	spawn_result_release(&r);
}

static void test_stdout_cap_truncates(void **state)
{
	const char *argv[] = { "head", "-c", "100000", "/dev/zero", NULL };
	struct spawn_opts o = { .argv = argv, .out_cap = 1000 };
	struct spawn_result r;

	(void)state;
	assert_int_equal(spawn_run(&o, &r, NULL), 0);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.out_len, 1000);
	assert_true(r.out_truncated);
	spawn_result_release(&r);
}

/* A dump cut at the cap is not the dump: the checked run refuses it. */
static void test_checked_refuses_truncated(void **state)
{
	const char *argv[] = { "head", "-c", "3000000", "/dev/zero", NULL };
	struct spawn_opts o = { .argv = argv, .out_cap = 2u << 20, .what = "iptables-save" };
	struct spawn_result r;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(spawn_run_checked(&o, &r, &d), -EFBIG);
	assert_non_null(strstr(d.msg, "iptables-save: output larger than 2 MiB"));
	spawn_result_release(&r);
	o.out_cap = 3000000;
	assert_int_equal(spawn_run_checked(&o, &r, NULL), 0);
	assert_int_equal(r.out_len, 3000000);
	spawn_result_release(&r);
	diag_release(&d);
}

/* A relative PATH entry names a directory under the cwd: never searched. */
static void test_relative_path_entries_ignored(void **state)
{
	char *dir = tmpdir_make(), *prog = NULL, *old = NULL, cwd[4096], path[4096];
	FILE *f;

	(void)state;
	assert_non_null(dir);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(asprintf(&prog, "%s/rel", dir) > 0, 1);
	assert_int_equal(mkdir(prog, 0700), 0);
	free(prog);
	assert_int_equal(asprintf(&prog, "%s/rel/cdnallow-rel-prog", dir) > 0, 1);
	f = fopen(prog, "w");
	assert_non_null(f);
	fputs("#!/bin/sh\nexit 0\n", f);
	fclose(f);
	assert_int_equal(chmod(prog, 0755), 0);
	if (getenv("PATH"))
		old = strdup(getenv("PATH"));
	assert_int_equal(chdir(dir), 0);
	setenv("PATH", "rel:./rel", 1);
	assert_false(spawn_find_program("cdnallow-rel-prog", path, sizeof(path)));
	free(prog);
	assert_int_equal(asprintf(&prog, "%s/rel", dir) > 0, 1);
	setenv("PATH", prog, 1);
	assert_true(spawn_find_program("cdnallow-rel-prog", path, sizeof(path)));
	if (old)
		setenv("PATH", old, 1);
	assert_int_equal(chdir(cwd), 0);
	tmpdir_remove(dir);
	free(prog);
	free(old);
}

static void test_discard_out(void **state)
{
	const char *argv[] = { "echo", "dropped", NULL };
	struct spawn_opts o = { .argv = argv, .discard_out = true };
	struct spawn_result r;

	(void)state;
	assert_int_equal(spawn_run_checked(&o, &r, NULL), 0);
	assert_int_equal(r.out_len, 0);
	assert_non_null(r.out);
	spawn_result_release(&r);
}

static void test_failure_message_from_stderr(void **state)
{
	const char *argv[] = { "sh", "-c", "echo 'bad thing\n  happened' >&2; exit 3", NULL };
	struct spawn_opts o = { .argv = argv, .what = "ipset restore" };
	struct spawn_result r;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(spawn_run_checked(&o, &r, &d), -EIO);
	assert_int_equal(r.status, 3);
	assert_string_equal(d.msg, "ipset restore failed: bad thing happened");
	spawn_result_release(&r);
	diag_release(&d);
}

static void test_failure_message_without_stderr(void **state)
{
	const char *argv[] = { "false", NULL };
	struct spawn_opts o = { .argv = argv };
	struct spawn_result r;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(spawn_run(&o, &r, &d), 0);
	assert_int_equal(r.status, 1);
	spawn_result_release(&r);
	assert_int_equal(spawn_run_checked(&o, &r, &d), -EIO);
	assert_string_equal(d.msg, "false failed: exit status 1");
	spawn_result_release(&r);
	diag_release(&d);
}

static void test_killed_by_signal(void **state)
{
	const char *argv[] = { "sh", "-c", "kill -TERM $$", NULL };
	struct spawn_opts o = { .argv = argv };
	struct spawn_result r;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(spawn_run_checked(&o, &r, &d), -EIO);
	assert_int_equal(r.status, -1);
	assert_int_equal(r.signal, 15);
	assert_string_equal(d.msg, "sh failed: killed by signal 15");
	spawn_result_release(&r);
	diag_release(&d);
}

static void test_missing_program(void **state)
{
	const char *argv[] = { "cdnallow-no-such-program", NULL };
	struct spawn_opts o = { .argv = argv };
	struct spawn_result r;
	struct diag d;
	char path[256];

	(void)state;
	diag_init(&d);
	assert_int_equal(spawn_run(&o, &r, &d), -ENOENT);
	assert_non_null(strstr(d.msg, "not found"));
	spawn_result_release(&r);
	assert_false(spawn_find_program("cdnallow-no-such-program", path, sizeof(path)));
	assert_true(spawn_find_program("sh", path, sizeof(path)));
	assert_true(path[0] == '/');
	diag_release(&d);
}

static void test_timeout_kills(void **state)
{
	const char *argv[] = { "sleep", "10", NULL };
	struct spawn_opts o = { .argv = argv, .timeout_ms = 200 };
	struct spawn_result r;
	struct diag d;
	struct timespec a, b;
	long ms;

	(void)state;
	diag_init(&d);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(spawn_run(&o, &r, &d), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	assert_true(r.timed_out);
	assert_int_equal(r.signal, 9);
	assert_true(ms < 5000);
	assert_non_null(strstr(d.msg, "timed out"));
	spawn_result_release(&r);
	diag_release(&d);
}

/* The child ignores its stdin and exits: the caller must not die of SIGPIPE. */
static void test_child_ignores_stdin(void **state)
{
	const char *argv[] = { "true", NULL };
	size_t n = 8u << 20;
	char *in = calloc(1, n);
	struct spawn_opts o = { .argv = argv, .timeout_ms = 10000 };
	struct spawn_result r;

	(void)state;
	assert_non_null(in);
	o.in = in;
	o.in_len = n;
	assert_int_equal(spawn_run_checked(&o, &r, NULL), 0);
	spawn_result_release(&r);
	free(in);
}

static void test_environment(void **state)
{
	const char *argv[] = { "env", NULL };
	const char *envp[] = { "CDNALLOW_TEST=1", NULL };
	struct spawn_opts o = { .argv = argv, .envp = envp };
	struct spawn_result r;

	(void)state;
	assert_int_equal(spawn_run_checked(&o, &r, NULL), 0);
	assert_string_equal(r.out, "CDNALLOW_TEST=1\n");
	spawn_result_release(&r);
}

static void test_bad_arguments(void **state)
{
	const char *argv[] = { NULL };
	struct spawn_opts o = { .argv = argv };
	struct spawn_result r;

	(void)state;
	assert_int_equal(spawn_run(&o, &r, NULL), -EINVAL);
	spawn_result_release(&r);
	spawn_result_release(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stdout_captured),
		cmocka_unit_test(test_stdin_roundtrip_large),
		cmocka_unit_test(test_empty_stdin_gives_eof),
		cmocka_unit_test(test_stdout_cap_truncates),
		cmocka_unit_test(test_checked_refuses_truncated),
		cmocka_unit_test(test_relative_path_entries_ignored),
		cmocka_unit_test(test_discard_out),
		cmocka_unit_test(test_failure_message_from_stderr),
		cmocka_unit_test(test_failure_message_without_stderr),
		cmocka_unit_test(test_killed_by_signal),
		cmocka_unit_test(test_missing_program),
		cmocka_unit_test(test_timeout_kills),
		cmocka_unit_test(test_child_ignores_stdin),
		cmocka_unit_test(test_environment),
		cmocka_unit_test(test_bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
