// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The nftables element cache (src/backends/nft_cache.c): what is saved under a
 * generation id loads back exactly under that id, and under no other; the set
 * is read from applied.rec (no copy of its own) only while applied.rec holds
 * the recorded set: a different fingerprint (here: the ports), a flipped or
 * missing byte in applied.rec, an applied.rec replaced behind the cache's back
 * or not yet written (a crash after the commit), a dropped or absent cache all
 * read as "dump the sets" and leave the set empty; the records of versions 1
 * (18-byte records) and 3 (an nft.applied copy) are stale, never decoded, even
 * with a matching count and hash. Needs a netlink socket (no root) for the namespace
 * cookie of the fingerprint; never talks to the kernel's nftables.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include "../../src/backends/nft_int.h"
#include "fileio.h"
#include "hash.h"
#include "prefix_pack.h"
#include "prefix_set.h"
#include "state.h"
#include "tmpdir.h"

#define LIST "192.0.2.0/24\n198.51.100.128/25\n2001:db8:cd::/48\n"

struct fx {
	char *dir;
	struct nft_handle h;
	struct prefix_set *saved, *got;
	uint64_t sum;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = tmpdir_make();
	assert_non_null(f->dir);
	f->h.cfg.state_dir = f->dir;
	f->h.cfg.ports[0] = 443;
	f->h.cfg.nports = 1;
	f->h.nl.sock = mnl_socket_open(NETLINK_NETFILTER);
	assert_non_null(f->h.nl.sock);
	f->saved = prefix_set_new();
	f->got = prefix_set_new();
	assert_non_null(f->saved);
	assert_non_null(f->got);
	assert_int_equal(prefix_set_parse_text(f->saved, LIST, strlen(LIST), "test", NULL), 0);
	assert_int_equal(prefix_set_aggregate(f->saved), 0);
	/* the backend's order: the cache after the commit, then the engine's applied.rec */
	nft_cache_save(&f->h, 41, f->saved, 0);
	assert_int_equal(state_save_applied(f->dir, f->saved, NULL, NULL), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	mnl_socket_close(f->h.nl.sock);
	prefix_set_free(f->saved);
	prefix_set_free(f->got);
	tmpdir_remove(f->dir);
	free(f);
	return 0;
}

static void test_roundtrip(void **state)
{
	struct fx *f = *state;
	uint64_t want = 0;

	assert_int_equal(nft_cache_load(&f->h, 41, f->got, &f->sum), 0);
	assert_true(prefix_set_equal(f->got, f->saved));
	/* the engine is told it is applied.rec's set: sources.rec need not read it again */
	assert_int_equal(state_applied_sum(f->saved, &want), 0);
	assert_true(f->sum == want && want != 0);
}

/* The sum the engine packed is recorded as given (no second pack): a wrong one reads as stale. */
static void test_sum_given(void **state)
{
	struct fx *f = *state;
	uint64_t want = 0;

	assert_int_equal(state_applied_sum(f->saved, &want), 0);
	nft_cache_save(&f->h, 41, f->saved, want);
	assert_int_equal(nft_cache_load(&f->h, 41, f->got, &f->sum), 0);
	assert_true(prefix_set_equal(f->got, f->saved) && f->sum == want);
	nft_cache_save(&f->h, 41, f->saved, want ^ 1);
	assert_int_equal(nft_cache_load(&f->h, 41, f->got, &f->sum), -ESTALE);
	assert_int_equal(f->got->n, 0);
}

static void test_other_generation(void **state)
{
	struct fx *f = *state;

	assert_int_equal(nft_cache_load(&f->h, 42, f->got, &f->sum), -ESTALE);
	assert_int_equal(f->got->n, 0);
}

static void test_other_fingerprint(void **state)
{
	struct fx *f = *state;

	f->h.cfg.ports[0] = 80;
	assert_int_equal(nft_cache_load(&f->h, 41, f->got, &f->sum), -ESTALE);
	assert_int_equal(f->got->n, 0);
}

static void corrupt(struct fx *f, bool truncate)
{
	char *p = tmpdir_path(f->dir, "applied.rec"), *buf = NULL;
	size_t len = 0;

	assert_int_equal(file_read_all(p, 1 << 20, &buf, &len), 0);
	assert_true(len > 32);
	if (truncate)
		len--;
	else
		buf[len - 1] ^= 1;
	assert_int_equal(tmpdir_write(p, buf, len), 0);
	free(buf);
	free(p);
}

static void test_flipped_byte(void **state)
{
	struct fx *f = *state;

	corrupt(f, false);
	assert_int_equal(nft_cache_load(&f->h, 41, f->got, &f->sum), -EBADMSG);
	assert_int_equal(f->got->n, 0);
}

static void test_truncated(void **state)
{
	struct fx *f = *state;

	corrupt(f, true);
	assert_int_equal(nft_cache_load(&f->h, 41, f->got, &f->sum), -EBADMSG);
	assert_int_equal(f->got->n, 0);
}

static void test_dropped_or_absent(void **state)
{
	struct fx *f = *state;

	nft_cache_drop(&f->h);
	assert_int_equal(nft_cache_load(&f->h, 41, f->got, &f->sum), -ENOENT);
	f->h.cfg.state_dir = NULL;
	nft_cache_save(&f->h, 41, f->saved, 0); /* without a state dir: nothing, no crash */
	assert_int_equal(nft_cache_load(&f->h, 41, f->got, &f->sum), -ENOENT);
	assert_int_equal(f->got->n, 0);
}

/* applied.rec replaced behind the cache's back (another set): dump, never its set */
static void test_applied_changed(void **state)
{
	struct fx *f = *state;
	struct prefix_set *other = prefix_set_new();

	assert_non_null(other);
	assert_int_equal(prefix_set_parse_text(other, "192.0.2.0/24\n", 13, "t", NULL), 0);
	assert_int_equal(state_save_applied(f->dir, other, NULL, NULL), 0);
	assert_int_equal(nft_cache_load(&f->h, 41, f->got, &f->sum), -ESTALE);
	assert_int_equal(f->got->n, 0);
	prefix_set_free(other);
}

/* killed after the commit, before the engine wrote applied.rec: the old record, a dump */
static void test_applied_not_yet(void **state)
{
	struct fx *f = *state;
	struct prefix_set *other = prefix_set_new();
	char *p = tmpdir_path(f->dir, "applied.rec");

	assert_non_null(other);
	assert_int_equal(prefix_set_parse_text(other, "192.0.2.0/24\n", 13, "t", NULL), 0);
	nft_cache_save(&f->h, 42, other, 0);
	assert_int_equal(nft_cache_load(&f->h, 42, f->got, &f->sum), -ESTALE);
	assert_int_equal(f->got->n, 0);
	unlink(p);
	nft_cache_save(&f->h, 41, f->saved, 0);
	assert_int_equal(nft_cache_load(&f->h, 41, f->got, &f->sum), -ESTALE);
	assert_int_equal(f->got->n, 0);
	prefix_set_free(other);
	free(p);
}

/* one copy of the set: nft.genid holds its identity, a few hundred bytes */
static void test_no_copy(void **state)
{
	struct fx *f = *state;
	char *g = tmpdir_path(f->dir, "nft.genid"), *a = tmpdir_path(f->dir, "nft.applied");
	char *buf = NULL;
	size_t len = 0;

	assert_int_equal(file_read_all(a, 1 << 20, &buf, &len), -ENOENT);
	assert_int_equal(file_read_all(g, 1 << 20, &buf, &len), 0);
	assert_true(len < 512);
	assert_non_null(strstr(buf, "\napplied "));
	free(buf);
	free(g);
	free(a);
}

/* version 3: its own nft.applied copy with a count and checksum that match it */
static void test_version3(void **state)
{
	struct fx *f = *state;
	char *g = tmpdir_path(f->dir, "nft.genid"), *a = tmpdir_path(f->dir, "nft.applied");
	char *meta = NULL, *old = NULL, *fp;
	uint8_t *rec;
	size_t len = 0, rlen = 0;

	rec = prefix_pack_new(f->saved, &rlen);
	assert_non_null(rec);
	assert_int_equal(file_read_all(g, 1 << 20, &meta, &len), 0);
	fp = strstr(meta, "fingerprint ");
	assert_non_null(fp);
	fp[strcspn(fp, "\n")] = '\0';
	assert_true(asprintf(&old, "cdnallow-nft-cache 3\n%s\ngenid 41\ncount 3\nhash %llx\n", fp,
			     (unsigned long long)checksum64(rec, rlen)) > 0);
	assert_int_equal(tmpdir_write(a, (char *)rec, rlen), 0);
	assert_int_equal(tmpdir_write(g, old, strlen(old)), 0);
	assert_int_equal(nft_cache_load(&f->h, 41, f->got, &f->sum), -ESTALE);
	assert_int_equal(f->got->n, 0);
	nft_cache_drop(&f->h); /* before the next apply: the old copy goes with it */
	free(meta);
	assert_int_equal(file_read_all(a, 1 << 20, &meta, &len), -ENOENT);
	free(old);
	free(meta);
	free(rec);
	free(g);
	free(a);
}

/* the 18-byte records of version 1 with a count and hash that match them */
static void test_old_version(void **state)
{
	struct fx *f = *state;
	char *g = tmpdir_path(f->dir, "nft.genid"), *a = tmpdir_path(f->dir, "nft.applied");
	char *meta = NULL, *old = NULL, *fp;
	uint8_t rec[3 * 18] = { 0 };
	size_t len = 0;

	for (size_t i = 0; i < f->saved->n; i++) {
		rec[i * 18] = f->saved->v[i].family == AF_INET ? 4 : 6;
		rec[i * 18 + 1] = f->saved->v[i].len;
		prefix_first_bytes(&f->saved->v[i], rec + i * 18 + 2);
	}
	assert_int_equal(file_read_all(g, 1 << 20, &meta, &len), 0);
	fp = strstr(meta, "fingerprint ");
	assert_non_null(fp);
	fp[strcspn(fp, "\n")] = '\0';
	assert_true(asprintf(&old, "cdnallow-nft-cache 1\n%s\ngenid 41\ncount 3\nhash %llx\n", fp,
			     (unsigned long long)fnv1a64(rec, sizeof(rec))) > 0);
	assert_int_equal(tmpdir_write(a, (char *)rec, sizeof(rec)), 0);
	assert_int_equal(tmpdir_write(g, old, strlen(old)), 0);
	assert_int_equal(nft_cache_load(&f->h, 41, f->got, &f->sum), -ESTALE);
	assert_int_equal(f->got->n, 0);
	free(old);
	free(meta);
	free(g);
	free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sum_given, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_generation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_fingerprint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flipped_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dropped_or_absent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_applied_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_applied_not_yet, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version3, setup, teardown),
		cmocka_unit_test_setup_teardown(test_old_version, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
