// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pipeline of src/engine/engine.c, end to end through engine_sync() with a
 * real config file, a real list file and two fake firewalls
 * (fake_backend.h): the lockdown order around the backend's apply, with the
 * apply failing too; the plan's create/repair flags; the shrink refusal
 * without sync history and --force; flush of both firewalls. Nothing touches
 * a real firewall or the network.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine.h"
#include "state.h"
#include "fake_backend.h"
#include "tmpdir.h"

#define OLD "198.51.100.0/24"
#define NEW "203.0.113.0/24"
#define BOTH OLD "," NEW
/* eight prefixes that do not aggregate: one remaining is a shrink of 87 % */
#define EIGHT                                                                                   \
	"192.0.2.0/28,192.0.2.32/28,192.0.2.64/28,192.0.2.96/28,192.0.2.128/28,192.0.2.160/28," \
	"192.0.2.192/28,192.0.2.224/28"

static char reported[4096];

static void report(const struct diag *d, const char *what)
{
	size_t len = strlen(reported);

	for (size_t i = 0; i < d->nwarnings; i++)
		len += (size_t)snprintf(reported + len, sizeof(reported) - len, "warning: %s\n",
					d->warnings[i]);
	if (d->msg[0])
		snprintf(reported + len, sizeof(reported) - len, "error: %s%s%s\n",
			 what ? what : "", what ? ": " : "", d->msg);
}

static const struct engine_hooks hooks = { .report = report };

struct fx {
	char *dir, *conf, *list;
	struct engine_opts o;
	struct engine e;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = tmpdir_make();
	assert_non_null(f->dir);
	f->conf = tmpdir_path(f->dir, "cdnallow.conf");
	f->list = tmpdir_path(f->dir, "list.txt");
	assert_non_null(f->conf);
	assert_non_null(f->list);
	fake_reset(f->dir);
	reported[0] = '\0';
	f->o.config_path = f->conf;
	f->o.config_explicit = true;
	f->o.sources[0] = f->list;
	f->o.nsources = 1;
	f->o.offline = true;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	engine_release(&f->e);
	free(f->conf);
	free(f->list);
	tmpdir_remove(f->dir);
	free(f);
	return 0;
}

/* Writes the config (mode) and the source list (comma list), starts the engine on the fakes. */
static void start(struct fx *f, const char *mode, const char *list)
{
	char conf[1024], text[1024];
	int n;

	n = snprintf(conf, sizeof(conf),
		     "[cdnallow]\nmode = %s\nstate_dir = %s/state\n[guard]\nallow_test_ranges = "
		     "true\n",
		     mode, f->dir);
	assert_int_equal(tmpdir_write(f->conf, conf, (size_t)n), 0);
	n = snprintf(text, sizeof(text), "%s\n", list);
	for (char *c = text; *c; c++)
		*c = *c == ',' ? '\n' : *c;
	assert_int_equal(tmpdir_write(f->list, text, (size_t)n), 0);
	assert_int_equal(engine_init(&f->e, &f->o, &hooks), 0);
	f->e.be = &fake_wall_ops;
	f->e.lockdown_be = &fake_nft_ops;
}

static void assert_holds(const struct fake_fw *fw, const char *expect)
{
	char got[1024];

	fake_get(fw, got, sizeof(got));
	assert_string_equal(got, expect);
}

static void test_lockdown_order(void **state)
{
	struct fx *f = *state;
	bool changed;

	assert_int_equal(fake_put(&fake_wall, OLD), 0);
	assert_int_equal(fake_put(&fake_nft, OLD), 0);
	start(f, "lockdown", NEW);
	assert_int_equal(engine_sync(&f->e, true, &changed), 0);
	assert_true(changed);
	/* grow to old ∪ new, then the backend, then shrink to new */
	assert_string_equal(fake_events, "nftables:" BOTH ";fakewall:" NEW ";nftables:" NEW ";");
	assert_holds(&fake_wall, NEW);
	assert_holds(&fake_nft, NEW);
	assert_string_equal(reported, "");
	assert_int_equal(tmpdir_count(f->e.cfg.state_dir, "state.json"), 1);
}

/* The backend keeps its old list: so does the lockdown table, and the error says so. */
/*
 * The engine packs applied.rec's image once: the backend's cache gets its
 * checksum with the plan (no second pack), the same applied.rec then holds.
 */
static void test_want_sum_handed(void **state)
{
	struct fx *f = *state;
	uint64_t sum = 0;
	bool changed;

	assert_int_equal(fake_put(&fake_wall, OLD), 0);
	start(f, "allow", NEW);
	assert_int_equal(engine_sync(&f->e, true, &changed), 0);
	assert_int_equal(state_applied_sum(f->e.want, &sum), 0);
	assert_true(sum != 0);
	assert_true(fake_wall.last_want_sum == sum);
	assert_true(f->e.applied_known);
	assert_true(f->e.applied_sum == sum);
	assert_true(state_applied_is(f->e.cfg.state_dir, f->e.want, NULL));
	assert_null(f->e.want_img.buf); /* released once written */
}

/*
 * A no-op: applied.rec is compared with want's image, or, when the backend
 * read the installed set from applied.rec (a cache hit), not even packed.
 */
static void test_noop_applied_known(void **state)
{
	struct fx *f = *state;
	uint64_t sum;
	bool changed;

	assert_int_equal(fake_put(&fake_wall, OLD), 0);
	start(f, "allow", NEW);
	assert_int_equal(engine_sync(&f->e, true, &changed), 0);
	sum = f->e.applied_sum;
	engine_release(&f->e);
	start(f, "allow", NEW);
	assert_int_equal(engine_sync(&f->e, true, &changed), 0);
	assert_false(changed);
	assert_true(f->e.applied_known && f->e.applied_sum == sum);
	assert_true(f->e.want_img.sum == sum); /* packed to compare */
	engine_release(&f->e);
	fake_wall.read_sum = sum;
	start(f, "allow", NEW);
	assert_int_equal(engine_sync(&f->e, true, &changed), 0);
	assert_true(f->e.applied_known && f->e.applied_sum == sum);
	assert_true(f->e.want_img.sum == 0); /* never packed */
	assert_true(state_applied_is(f->e.cfg.state_dir, f->e.want, NULL));
}

static void test_lockdown_failing_apply(void **state)
{
	struct fx *f = *state;
	bool changed;

	assert_int_equal(fake_put(&fake_wall, OLD), 0);
	assert_int_equal(fake_put(&fake_nft, OLD), 0);
	fake_wall.fail_apply = -EIO;
	start(f, "lockdown", NEW);
	assert_int_equal(engine_sync(&f->e, true, &changed), -EIO);
	assert_false(changed);
	assert_string_equal(fake_events, "nftables:" BOTH ";fakewall:FAIL;nftables:" OLD ";");
	assert_holds(&fake_wall, OLD);
	assert_holds(&fake_nft, OLD);
	assert_string_equal(reported, "error: fakewall: applying the plan (the previous state is "
				      "kept): injected failure\n");
}

/* The lockdown table cannot grow: the backend is not touched at all. */
static void test_lockdown_failing_grow(void **state)
{
	struct fx *f = *state;
	bool changed;

	assert_int_equal(fake_put(&fake_wall, OLD), 0);
	assert_int_equal(fake_put(&fake_nft, OLD), 0);
	fake_nft.fail_apply = -EIO;
	start(f, "lockdown", NEW);
	assert_int_equal(engine_sync(&f->e, true, &changed), -EIO);
	assert_string_equal(fake_events, "nftables:FAIL;");
	assert_holds(&fake_wall, OLD);
	assert_non_null(strstr(reported, "nftables lockdown table (nothing applied): "));
}

/* Allow mode leaves the lockdown table alone. */
static void test_allow_has_no_companion(void **state)
{
	struct fx *f = *state;
	bool changed;

	start(f, "allow", NEW);
	assert_int_equal(engine_sync(&f->e, true, &changed), 0);
	assert_string_equal(fake_events, "fakewall:" NEW ";");
	assert_holds(&fake_nft, "-");
}

/* A backend without sets of its own refuses mode sets before it is opened: nothing applied. */
static void test_sets_refused(void **state)
{
	struct fx *f = *state;
	bool changed = false;

	start(f, "sets", NEW);
	assert_int_equal(engine_sync(&f->e, true, &changed), -ENOTSUP);
	assert_false(changed);
	assert_string_equal(fake_events, "");
	assert_holds(&fake_wall, "-");
	assert_holds(&fake_nft, "-");
	assert_non_null(strstr(reported, "mode sets: the fakewall backend cannot keep the list as "
					 "sets without rules of its own; use backend nftables"));
}

/* A backend without counters reports them unavailable (-1), never 0, in lockdown too. */
static void test_counters_unavailable(void **state)
{
	struct fx *f = *state;
	bool changed;

	start(f, "lockdown", NEW);
	assert_int_equal(engine_sync(&f->e, true, &changed), 0);
	engine_counters(&f->e);
	assert_true(f->e.counters_read);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(f->e.counters.accepted[i], -1);
		assert_int_equal(f->e.counters.dropped[i], -1);
	}
}

static void test_plan_flags(void **state)
{
	struct fx *f = *state;
	bool drift;

	start(f, "allow", NEW);
	assert_int_equal(engine_sync(&f->e, false, &drift), 0);
	assert_true(drift);
	assert_true(f->e.plan.create);
	assert_false(f->e.plan.repair);
	assert_string_equal(fake_events, ""); /* a plan applies nothing */
	engine_release(&f->e);

	assert_int_equal(fake_put(&fake_wall, NEW), 0);
	fake_wall.incomplete = true;
	start(f, "allow", NEW);
	assert_int_equal(engine_sync(&f->e, false, &drift), 0);
	assert_true(drift); /* the right prefixes in damaged objects are drift */
	assert_false(f->e.plan.create);
	assert_true(f->e.plan.repair);
	engine_release(&f->e);

	fake_wall.incomplete = false;
	start(f, "allow", NEW);
	assert_int_equal(engine_sync(&f->e, false, &drift), 0);
	assert_false(drift);
	assert_false(f->e.plan.create || f->e.plan.repair);
}

/* No sync history: a list far smaller than what the firewall holds is refused, nothing applied. */
static void test_shrink_refused(void **state)
{
	struct fx *f = *state;
	bool changed;

	assert_int_equal(fake_put(&fake_wall, EIGHT), 0);
	start(f, "allow", NEW);
	assert_int_equal(engine_sync(&f->e, true, &changed), -EPERM);
	assert_false(changed);
	assert_string_equal(fake_events, "");
	assert_holds(&fake_wall, EIGHT);
	assert_non_null(strstr(reported, "error: the firewall was not changed: the sources (no "
					 "sync history: compared with what the firewall holds): "
					 "IPv4 shrank from 8 to 1 prefixes (-88%, max_shrink is "
					 "30%)"));
}

/* --force applies it, and the warning goes through diag (so --json carries it too). */
static void test_shrink_forced(void **state)
{
	struct fx *f = *state;
	bool changed;

	assert_int_equal(fake_put(&fake_wall, EIGHT), 0);
	f->o.force = true;
	start(f, "allow", NEW);
	assert_int_equal(engine_sync(&f->e, true, &changed), 0);
	assert_true(changed);
	assert_holds(&fake_wall, NEW);
	assert_int_equal(f->e.nwarnings, 1);
	assert_non_null(strstr(f->e.warnings[0], "IPv4 shrank from 8 to 1 prefixes"));
	assert_non_null(strstr(f->e.warnings[0], "ACCEPTED ONLY BECAUSE OF --force"));
	assert_non_null(strstr(reported, "warning: the sources (no sync history"));
}

static void test_flush_both(void **state)
{
	struct fx *f = *state;
	struct diag d;

	assert_int_equal(fake_put(&fake_wall, OLD), 0);
	assert_int_equal(fake_put(&fake_nft, OLD), 0);
	start(f, "lockdown", NEW);
	assert_int_equal(engine_open_backend(&f->e, true), 0);
	diag_init(&d);
	assert_int_equal(engine_flush(&f->e, &d), 0);
	diag_release(&d);
	assert_string_equal(fake_events, "fakewall:flush;nftables:flush;");
	assert_holds(&fake_wall, "-");
	assert_holds(&fake_nft, "-");
	assert_true(fake_nft.saw_lockdown_only);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lockdown_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_want_sum_handed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_noop_applied_known, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lockdown_failing_apply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lockdown_failing_grow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_allow_has_no_companion, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sets_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counters_unavailable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shrink_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shrink_forced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_both, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
