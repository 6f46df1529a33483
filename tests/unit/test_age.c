// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of the age policy (docs/architecture.md §5, src/engine/age.c): a
 * fallback older than max_age keeps what the firewall holds and adds nothing
 * (Cloudflare's retired 104.28.0.0/14 stays closed), is refused when nothing
 * of it is installed unless --force, and younger fallbacks are untouched.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "diag.h"
#include "engine.h"
#include "prefix_set.h"
#include "resolve.h"
#include "source.h"

#define DAY 86400L

static char reported[1024];

static void report(const struct diag *d, const char *what)
{
	(void)what;
	if (d->msg[0])
		snprintf(reported, sizeof(reported), "%s", d->msg);
}

static const struct engine_hooks hooks = { .report = report };

static struct prefix_set *set_of(const char *text)
{
	struct prefix_set *s = prefix_set_new();
	struct diag d;

	diag_init(&d);
	assert_non_null(s);
	assert_int_equal(prefix_set_parse_text(s, text, strlen(text), "t", &d), 0);
	assert_int_equal(prefix_set_aggregate(s), 0);
	diag_release(&d);
	return s;
}

struct fx {
	struct engine e;
	struct engine_opts o;
	struct source srcs[2];
	struct source_result results[2];
};

/*
 * Source 0: Cloudflare's cached copy from before 104.28.0.0/14 was retired;
 * the firewall holds today's list. Source 1: a fresh generic list.
 */
static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->srcs[0].name = "cloudflare";
	f->srcs[1].name = "office";
	f->results[0].status = SOURCE_CACHED;
	f->results[0].age_s = 496 * DAY;
	f->results[0].set = set_of("104.16.0.0/13\n104.24.0.0/14\n104.28.0.0/14\n"
				   "2606:4700::/32\n");
	f->results[1].status = SOURCE_FRESH;
	f->results[1].set = set_of("23.1.0.0/16\n");
	f->e.srcs = f->srcs;
	f->e.results = f->results;
	f->e.nsrcs = 2;
	f->e.opts = &f->o;
	f->e.hooks = &hooks;
	f->e.cfg.max_age_s = 90 * DAY;
	f->e.want = set_of("104.16.0.0/13\n104.24.0.0/14\n104.28.0.0/14\n2606:4700::/32\n"
			   "23.1.0.0/16\n");
	f->e.st.set = set_of("104.16.0.0/13\n104.24.0.0/14\n2606:4700::/32\n");
	reported[0] = '\0';
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	for (size_t i = 0; i < 2; i++)
		prefix_set_free(f->results[i].set);
	prefix_set_free(f->e.want);
	prefix_set_free(f->e.st.set);
	for (size_t i = 0; i < f->e.nwarnings; i++)
		free(f->e.warnings[i]);
	free(f->e.warnings);
	free(f);
	return 0;
}

static void assert_set(const struct prefix_set *s, const char *text)
{
	struct prefix_set *want = set_of(text);

	assert_true(prefix_set_equal(s, want));
	prefix_set_free(want);
}

static void test_old_keeps_installed_only(void **state)
{
	struct fx *f = *state;

	assert_int_equal(engine_age_policy(&f->e), 0);
	/* the retired range is withheld, what the firewall holds stays, the fresh source too */
	assert_set(f->results[0].set, "104.16.0.0/13\n104.24.0.0/14\n2606:4700::/32\n");
	assert_set(f->e.want, "104.16.0.0/13\n104.24.0.0/14\n2606:4700::/32\n23.1.0.0/16\n");
	assert_int_equal(f->e.nwarnings, 1);
	assert_non_null(strstr(f->e.warnings[0], "source 'cloudflare': the cached copy is 496 "
						 "days old (max_age is 90 days): keeping the 3"));
}

static void test_young_untouched(void **state)
{
	struct fx *f = *state;

	f->results[0].age_s = 89 * DAY;
	assert_int_equal(engine_age_policy(&f->e), 0);
	assert_set(f->results[0].set, "104.16.0.0/13\n104.24.0.0/14\n104.28.0.0/14\n"
				      "2606:4700::/32\n");
	assert_int_equal(f->e.nwarnings, 0);
}

static void test_partial_overlap(void **state)
{
	struct fx *f = *state;

	/* the firewall holds only part of an old /13: only that part is kept */
	prefix_set_free(f->e.st.set);
	f->e.st.set = set_of("104.16.0.0/14\n");
	assert_int_equal(engine_age_policy(&f->e), 0);
	assert_set(f->results[0].set, "104.16.0.0/14\n");
}

static void test_nothing_installed(void **state)
{
	struct fx *f = *state;

	f->results[0].status = SOURCE_SNAPSHOT;
	prefix_set_clear(f->e.st.set);
	assert_int_equal(engine_age_policy(&f->e), -EPERM);
	assert_non_null(strstr(reported, "source 'cloudflare': the built-in snapshot is 496 days "
					 "old (max_age is 90 days) and the firewall holds none of "
					 "it"));
	/* the firewall is not emptied: nothing is planned at all */
	f->o.force = true;
	reported[0] = '\0';
	assert_int_equal(engine_age_policy(&f->e), 0);
	assert_int_equal(f->results[0].set->n, 2); /* 104.16.0.0/12 and the v6 */
	assert_non_null(strstr(f->e.warnings[0], "ONLY BECAUSE OF --force"));
}

/* one source: want is its list itself (no union copy); the rebuild gives want its own set */
static void test_one_source_shared(void **state)
{
	struct fx *f = *state;

	f->e.nsrcs = 1;
	prefix_set_free(f->e.want);
	f->e.want = f->results[0].set;
	f->e.want_shared = true;
	assert_int_equal(engine_age_policy(&f->e), 0);
	assert_false(f->e.want_shared);
	assert_ptr_not_equal(f->e.want, f->results[0].set);
	assert_set(f->results[0].set, "104.16.0.0/13\n104.24.0.0/14\n2606:4700::/32\n");
	assert_set(f->e.want, "104.16.0.0/13\n104.24.0.0/14\n2606:4700::/32\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_old_keeps_installed_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_young_untouched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_overlap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nothing_installed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_source_shared, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
