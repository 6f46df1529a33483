// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The file primitives of src/core/fileio.c: the size cap of file_read_all
 * (exactly at and one past it, regular files and pipes), NUL termination,
 * the mode and the absence of a temp file after a replacement, a failed one
 * leaving the old content, dir_ensure on nested, existing and blocked paths.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fileio.h"
#include "tmpdir.h"

static int setup(void **state)
{
	*state = tmpdir_make();
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	tmpdir_remove(*state);
	return 0;
}

static void test_read_cap(void **state)
{
	char *path = tmpdir_path(*state, "f");
	char *buf = NULL;
	size_t len = 0;

	assert_int_equal(tmpdir_write(path, "0123456789", 10), 0);
	assert_int_equal(file_read_all(path, 10, &buf, &len), 0);
	assert_int_equal(len, 10);
	assert_string_equal(buf, "0123456789"); /* NUL-terminated */
	free(buf);
	assert_int_equal(file_read_all(path, 9, &buf, &len), -EFBIG);
	assert_null(buf);
	assert_int_equal(len, 0);
	assert_int_equal(file_read_all(*state, 100, &buf, &len), -EISDIR);
	free(path);
	path = tmpdir_path(*state, "missing");
	assert_int_equal(file_read_all(path, 100, &buf, &len), -ENOENT);
	free(path);
}

/* A pipe reports no size: the cap is enforced while reading. */
static void test_read_pipe_cap(void **state)
{
	char path[64], *buf = NULL;
	size_t len = 0;
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "abcdef", 6), 6);
	close(fds[1]);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
	assert_int_equal(file_read_all(path, 5, &buf, &len), -EFBIG);
	assert_null(buf);
	close(fds[0]);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "abcdef", 6), 6);
	close(fds[1]);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
	assert_int_equal(file_read_all(path, 6, &buf, &len), 0);
	assert_int_equal(len, 6);
	assert_string_equal(buf, "abcdef");
	free(buf);
	close(fds[0]);
}

static void test_replace_mode_no_temp(void **state)
{
	char *path = tmpdir_path(*state, "out");
	char *buf = NULL;
	size_t len = 0;

	assert_int_equal(file_write_atomic(path, "one\n", 4, 0600), 0);
	assert_int_equal(tmpdir_mode(path), 0600);
	assert_int_equal(file_replace(path, "two\n", 4, 0644), 0);
	assert_int_equal(tmpdir_mode(path), 0644);
	assert_int_equal(tmpdir_count(*state, NULL), 1); /* no temp file left */
	assert_int_equal(file_read_all(path, 100, &buf, &len), 0);
	assert_string_equal(buf, "two\n");
	free(buf);
	free(path);
}

/* A write that cannot happen (no such directory) fails and leaves nothing behind. */
static void test_replace_failure(void **state)
{
	char *path = tmpdir_path(*state, "no/such/file");

	assert_int_equal(file_write_atomic(path, "x", 1, 0600), -ENOENT);
	assert_int_equal(tmpdir_count(*state, NULL), 0);
	free(path);
}

static void test_dir_ensure(void **state)
{
	char *deep = tmpdir_path(*state, "a/b/c/");
	char *file = tmpdir_path(*state, "plain");
	char *under = tmpdir_path(*state, "plain/sub");

	assert_int_equal(dir_ensure(deep, 0700), 0);
	assert_int_equal(tmpdir_mode(deep), 0700);
	assert_int_equal(dir_ensure(deep, 0700), 0); /* existing: fine */
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
		cmocka_unit_test_setup_teardown(test_read_cap, setup, teardown),
		cmocka_unit_test(test_read_pipe_cap),
		cmocka_unit_test_setup_teardown(test_replace_mode_no_temp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dir_ensure, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
