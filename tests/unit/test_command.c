// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the admin's commands (src/engine/command.c): the word
 * splitter's quoting and its refusals, and runs of /bin/sh and coreutils
 * with stdin, exit status, the output tail and the timeout that ends a whole
 * process group. Needs neither root nor network.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "command.h"
#include "diag.h"
#include "tmpdir.h"

/* Splits line and compares with the NULL-terminated want. */
static void split_ok(const char *line, const char *const *want)
{
	char **w = NULL;
	size_t n = 0, i;
	struct diag d;

	diag_init(&d);
	if (command_split(line, &w, &n, &d) != 0)
		fail_msg("'%s': %s", line, d.msg);
	for (i = 0; want[i]; i++) {
		assert_true(i < n);
		assert_string_equal(w[i], want[i]);
	}
	assert_int_equal(n, i);
	assert_null(w[n]);
	command_words_free(w);
	diag_release(&d);
}

/* Splitting line fails with a message containing msg. */
static void split_bad(const char *line, const char *msg)
{
	char **w = (char **)1;
	size_t n = 7;
	struct diag d;

	diag_init(&d);
	assert_int_equal(command_split(line, &w, &n, &d), -EINVAL);
	assert_null(w);
	assert_int_equal(n, 0);
	if (!strstr(d.msg, msg))
		fail_msg("'%s': message '%s' lacks '%s'", line, d.msg, msg);
	assert_int_equal(command_check(line, NULL), -EINVAL);
	diag_release(&d);
}

static void test_split_words(void **state)
{
	(void)state;
	split_ok("nginx -t", (const char *const[]){ "nginx", "-t", NULL });
	split_ok("  systemctl\treload   nginx  ",
		 (const char *const[]){ "systemctl", "reload", "nginx", NULL });
	split_ok("/usr/sbin/nginx", (const char *const[]){ "/usr/sbin/nginx", NULL });
}

static void test_split_quotes(void **state)
{
	(void)state;
	split_ok("sh -c 'echo \"$1\" | logger; exit 0'",
		 (const char *const[]){ "sh", "-c", "echo \"$1\" | logger; exit 0", NULL });
	split_ok("echo \"a \\\"b\\\" \\\\ \\n c\"",
		 (const char *const[]){ "echo", "a \"b\" \\ \\n c", NULL });
	split_ok("echo '\\'", (const char *const[]){ "echo", "\\", NULL });
	split_ok("echo a'b c'\"d\"e", (const char *const[]){ "echo", "ab cde", NULL });
	split_ok("echo '' \"\" x", (const char *const[]){ "echo", "", "", "x", NULL });
	split_ok("echo a\\ b \\' \\$HOME \\|",
		 (const char *const[]){ "echo", "a b", "'", "$HOME", "|", NULL });
	split_ok("echo 'it'\\''s'", (const char *const[]){ "echo", "it's", NULL });
}

static void test_split_refusals(void **state)
{
	char *long_line = malloc(COMMAND_MAX_LEN + 2);
	char *many = malloc(COMMAND_MAX_WORDS * 2 + 8);

	(void)state;
	split_bad("", "empty command");
	split_bad("   \t ", "empty command");
	split_bad("echo 'abc", "unbalanced single quote");
	split_bad("echo \"abc", "unbalanced double quote");
	split_bad("echo \"abc\\\"", "unbalanced double quote");
	split_bad("echo abc\\", "ends with a backslash");
	split_bad("nginx -t && systemctl reload nginx", "'&' in a command needs a shell");
	split_bad("echo $HOME", "'$' in a command needs a shell");
	split_bad("cat < /etc/passwd", "'<'");
	split_bad("echo a;b", "';'");
	split_bad("echo `id`", "'`'");
	split_bad("echo a\nb", "control character");
	split_bad("echo 'a\rb'", "control character");
	split_bad("./hook.sh", "absolute path");
	split_bad("bin/hook", "absolute path");
	split_bad("'' x", "empty program name");
	assert_non_null(long_line);
	memset(long_line, 'a', COMMAND_MAX_LEN + 1);
	long_line[COMMAND_MAX_LEN + 1] = '\0';
	split_bad(long_line, "longer than");
	assert_non_null(many);
	strcpy(many, "e");
	for (int i = 0; i < COMMAND_MAX_WORDS; i++)
		strcat(many, " x");
	split_bad(many, "more than");
	free(long_line);
	free(many);
}

static void test_run_ok_with_stdin(void **state)
{
	char *dir = tmpdir_make(), *line = NULL, buf[64] = "";
	struct command_opts o = { .what = "test hook", .in = "{\"a\":1}\n", .in_len = 8 };
	struct command_result r;
	FILE *f;

	(void)state;
	assert_non_null(dir);
	assert_true(asprintf(&line, "sh -c 'cat > \"$1\"' sh %s/in", dir) > 0);
	assert_int_equal(command_run(line, &o, &r, NULL), 0);
	assert_int_equal(r.status, 0);
	assert_false(r.timed_out);
	free(line);
	assert_true(asprintf(&line, "%s/in", dir) > 0);
	f = fopen(line, "r");
	assert_non_null(f);
	assert_int_equal(fread(buf, 1, sizeof(buf) - 1, f), 8);
	fclose(f);
	assert_string_equal(buf, "{\"a\":1}\n");
	free(line);
	tmpdir_remove(dir);
}

static void test_run_failure_message(void **state)
{
	struct command_opts o = { .what = "on_change hook" };
	struct command_result r;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(
		command_run("sh -c 'echo first >&2; echo last  words >&2; exit 3'", &o, &r, &d),
		-EIO);
	assert_int_equal(r.status, 3);
	assert_string_equal(r.tail, "first last words");
	assert_string_equal(d.msg, "on_change hook failed: exit status 3: first last words");
	diag_release(&d);

	/* stdout when stderr is silent */
	diag_init(&d);
	assert_int_equal(command_run("sh -c 'echo said so; exit 1'", NULL, &r, &d), -EIO);
	assert_string_equal(d.msg, "sh failed: exit status 1: said so");
	diag_release(&d);

	diag_init(&d);
	assert_int_equal(command_run("sh -c 'kill -KILL $$'", &o, &r, &d), -EIO);
	assert_int_equal(r.status, -1);
	assert_int_equal(r.signal, 9);
	assert_string_equal(d.msg, "on_change hook failed: killed by signal 9");
	diag_release(&d);
}

/* Only the end of a long error output is kept, and it ends with the last line. */
static void test_run_keeps_tail(void **state)
{
	struct command_result r;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(command_run("sh -c 'i=0; while [ $i -lt 3000 ]; do echo line$i >&2; "
				     "i=$((i+1)); done; exit 1'",
				     NULL, &r, &d),
			 -EIO);
	assert_true(strlen(r.tail) < COMMAND_TAIL_MAX);
	assert_true(strlen(r.tail) > COMMAND_TAIL_MAX / 2);
	assert_non_null(strstr(r.tail, " line2999"));
	assert_null(strstr(r.tail, "line0 "));
	diag_release(&d);
}

static void test_run_missing_program(void **state)
{
	struct command_result r;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(command_run("cdnallow-no-such-program-x --y", NULL, &r, &d), -ENOENT);
	assert_non_null(strstr(d.msg, "'cdnallow-no-such-program-x' not found"));
	assert_int_equal(r.status, -1);
	diag_release(&d);
	diag_init(&d);
	assert_int_equal(command_run("echo 'x", NULL, &r, &d), -EINVAL);
	assert_non_null(strstr(d.msg, "unbalanced"));
	diag_release(&d);
}

/*
 * The timeout ends the whole group: the script's background child holds the
 * write end of a pipe, so EOF on the read end means that child is gone too.
 */
static void test_run_timeout_kills_group(void **state)
{
	struct command_opts o = { .what = "slow hook", .timeout_s = 1 };
	struct command_result r;
	struct pollfd p;
	struct diag d;
	int fds[2];
	char c;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	diag_init(&d);
	assert_int_equal(command_run("sh -c 'sleep 30 & wait'", &o, &r, &d), -ETIMEDOUT);
	close(fds[1]);
	assert_true(r.timed_out);
	assert_int_equal(r.signal, 15);
	assert_string_equal(d.msg, "slow hook timed out after 1 s");
	p = (struct pollfd){ .fd = fds[0], .events = POLLIN };
	assert_int_equal(poll(&p, 1, 10000), 1);
	assert_int_equal(read(fds[0], &c, 1), 0);
	close(fds[0]);
	diag_release(&d);
}

/* A script that ignores SIGTERM gets SIGKILL after the grace period. */
static void test_run_timeout_then_kill(void **state)
{
	struct command_opts o = { .timeout_s = 1 };
	struct command_result r;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(
		command_run("sh -c 'trap \"\" TERM; echo stuck >&2; sleep 30'", &o, &r, &d),
		-ETIMEDOUT);
	assert_true(r.timed_out);
	assert_int_equal(r.signal, 9);
	assert_string_equal(d.msg, "sh timed out after 1 s: stuck");
	diag_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_words),
		cmocka_unit_test(test_split_quotes),
		cmocka_unit_test(test_split_refusals),
		cmocka_unit_test(test_run_ok_with_stdin),
		cmocka_unit_test(test_run_failure_message),
		cmocka_unit_test(test_run_keeps_tail),
		cmocka_unit_test(test_run_missing_program),
		cmocka_unit_test(test_run_timeout_kills_group),
		cmocka_unit_test(test_run_timeout_then_kill),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
