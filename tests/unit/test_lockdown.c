// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The lockdown steps of src/engine/lockdown.c against a fake nftables whose
 * sets live in a file: grow holds old ∪ new, shrink holds new, restore holds
 * old, a process killed between grow and shrink leaves a superset of new and
 * a subset of old ∪ new on disk, and the next run converges.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_backend.h"
#include "tmpdir.h"

#include "../../src/engine/lockdown.h"

#define OLD "198.51.100.0/24"
#define NEW "203.0.113.0/24"
#define BOTH OLD "," NEW

struct fx {
	char *dir;
	struct backend_cfg cfg;
	struct prefix_set *want;
};

static struct prefix_set *set_of(const char *text)
{
	struct prefix_set *s = prefix_set_new();
	char buf[512];
	size_t n = 0;

	assert_non_null(s);
	for (; text[n] && n + 1 < sizeof(buf); n++)
		buf[n] = text[n] == ',' ? '\n' : text[n];
	assert_int_equal(prefix_set_parse_text(s, buf, n, "test", NULL), 0);
	assert_int_equal(prefix_set_aggregate(s), 0);
	return s;
}

static void assert_holds(const char *expect)
{
	char got[1024];

	fake_get(&fake_nft, got, sizeof(got));
	assert_string_equal(got, expect);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = tmpdir_make();
	assert_non_null(f->dir);
	fake_reset(f->dir);
	f->cfg.mode = MODE_LOCKDOWN;
	f->cfg.nft_table = "inet admin";
	f->cfg.nft_chain = "input";
	f->want = set_of(NEW);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	prefix_set_free(f->want);
	tmpdir_remove(f->dir);
	free(f);
	return 0;
}

static void test_grow_then_shrink(void **state)
{
	struct fx *f = *state;
	struct lockdown l;
	struct diag d;

	diag_init(&d);
	assert_int_equal(fake_put(&fake_nft, OLD), 0);
	assert_int_equal(lockdown_open(&l, &fake_nft_ops, &f->cfg, &d), 0);
	/* the own table only: the admin's table and chain are not handed on */
	assert_true(fake_nft.saw_lockdown_only);
	assert_int_equal(lockdown_grow(&l, f->want, &d), 0);
	assert_holds(BOTH);
	assert_false(fake_nft.last_create);
	assert_int_equal(lockdown_shrink(&l, f->want, &d), 0);
	assert_holds(NEW);
	assert_string_equal(fake_events, "nftables:" BOTH ";nftables:" NEW ";");
	lockdown_close(&l);
	assert_string_equal(d.msg, "");
	diag_release(&d);
}

static void test_restore_after_failed_apply(void **state)
{
	struct fx *f = *state;
	struct lockdown l;
	struct diag d;

	diag_init(&d);
	assert_int_equal(fake_put(&fake_nft, OLD), 0);
	assert_int_equal(lockdown_open(&l, &fake_nft_ops, &f->cfg, &d), 0);
	assert_int_equal(lockdown_grow(&l, f->want, &d), 0);
	assert_int_equal(lockdown_restore(&l, &d), 0);
	assert_holds(OLD);
	lockdown_close(&l);
	diag_release(&d);
}

/* Nothing installed yet: the grow creates the table, shrink then is exact. */
static void test_first_run_creates(void **state)
{
	struct fx *f = *state;
	struct lockdown l;
	struct diag d;

	diag_init(&d);
	assert_int_equal(lockdown_open(&l, &fake_nft_ops, &f->cfg, &d), 0);
	assert_int_equal(lockdown_grow(&l, f->want, &d), 0);
	assert_true(fake_nft.last_create);
	assert_holds(NEW);
	/* new ∪ nothing is new: the shrink has nothing left to do and applies nothing */
	assert_int_equal(lockdown_shrink(&l, f->want, &d), 0);
	assert_string_equal(fake_events, "nftables:" NEW ";");
	lockdown_close(&l);
	diag_release(&d);
}

/* A damaged table is repaired by the first step even when the sets hold the right prefixes. */
static void test_damaged_table_repaired(void **state)
{
	struct fx *f = *state;
	struct lockdown l;
	struct diag d;

	diag_init(&d);
	assert_int_equal(fake_put(&fake_nft, NEW), 0);
	fake_nft.incomplete = true;
	assert_int_equal(lockdown_open(&l, &fake_nft_ops, &f->cfg, &d), 0);
	assert_int_equal(lockdown_grow(&l, f->want, &d), 0);
	assert_true(fake_nft.last_repair);
	assert_string_equal(fake_events, "nftables:" NEW ";");
	lockdown_close(&l);
	diag_release(&d);
}

/* A failing nftables apply: the error reaches d, the sets keep what they held. */
static void test_failing_grow_keeps_old(void **state)
{
	struct fx *f = *state;
	struct lockdown l;
	struct diag d;

	diag_init(&d);
	assert_int_equal(fake_put(&fake_nft, OLD), 0);
	fake_nft.fail_apply = -EIO;
	assert_int_equal(lockdown_open(&l, &fake_nft_ops, &f->cfg, &d), 0);
	assert_int_equal(lockdown_grow(&l, f->want, &d), -EIO);
	assert_string_equal(d.msg, "injected failure");
	assert_holds(OLD);
	lockdown_close(&l);
	diag_release(&d);
}

/* Killed between grow and shrink: what is on disk still lets every CDN node in, nobody else. */
static void test_kill_between_steps(void **state)
{
	struct fx *f = *state;
	struct lockdown l;
	struct diag d;
	pid_t pid;
	int status;

	assert_int_equal(fake_put(&fake_nft, OLD), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		diag_init(&d);
		if (lockdown_open(&l, &fake_nft_ops, &f->cfg, &d) == 0 &&
		    lockdown_grow(&l, f->want, &d) == 0)
			raise(SIGKILL);
		_exit(1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_holds(BOTH);
	/* the next run starts from what the killed one left and converges */
	diag_init(&d);
	assert_int_equal(lockdown_open(&l, &fake_nft_ops, &f->cfg, &d), 0);
	assert_int_equal(lockdown_grow(&l, f->want, &d), 0);
	assert_int_equal(lockdown_shrink(&l, f->want, &d), 0);
	assert_holds(NEW);
	lockdown_close(&l);
	diag_release(&d);
}

static void test_flush(void **state)
{
	struct fx *f = *state;
	struct diag d;

	diag_init(&d);
	assert_int_equal(fake_put(&fake_nft, OLD), 0);
	assert_int_equal(lockdown_flush(&fake_nft_ops, &f->cfg, &d), 0);
	assert_true(fake_nft.saw_lockdown_only);
	assert_holds("-");
	diag_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_grow_then_shrink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_after_failed_apply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_first_run_creates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_table_repaired, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failing_grow_keeps_old, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill_between_steps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
