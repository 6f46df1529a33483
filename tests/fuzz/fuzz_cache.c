// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the readers of cdnallow's own files in the state dir,
 * which a crash, a full disk or a curious admin may have damaged: state.json
 * (state_load), applied.rec and the older applied.txt (state_load_applied), a body cache entry's
 * metadata (cache_load) and the parsed-list cache (listcache_load/parse). The
 * first byte picks the reader, the rest is the file, written once per input
 * into a private directory made at start (tmpfs when there is one) and
 * removed at exit. What loads must save and load back the same. nft_cache.c
 * is not covered: its fingerprint needs an open netlink socket.
 * Seeds: tests/fuzz/corpus/cache/ (first byte = selector).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/sources/listcache.h"
#include "cache.h"
#include "diag.h"
#include "prefix_set.h"
#include "state.h"
#include "fuzz.h"

#define LISTCACHE_IDX 64 /* listcache.c's slot; init checks it still is */

/* new modes go last: the seeds' first bytes must keep their meaning */
enum mode { M_STATE, M_APPLIED, M_META, M_LIST, M_APPLIED_REC, M_MODES };

static char root[64], dir[96], rt[96], path[160], meta_path[256];
static struct source src;
static char *list_id;

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static void cleanup(void)
{
	nftw(root, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	source_release(&src);
	free(list_id);
}

static void write_file(const char *p, const uint8_t *buf, size_t len)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	check(fd >= 0);
	check(len == 0 || write(fd, buf, len) == (ssize_t)len);
	close(fd);
}

static int find_meta(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	size_t n = strlen(p);

	(void)st;
	(void)f;
	if (flag == FTW_F && n > 7 && !strcmp(p + n - 7, ".0.json"))
		snprintf(meta_path, sizeof(meta_path), "%s", p);
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char body[] = "192.0.2.0/24\n";
	struct cache_entry e = { .body = (char *)body, .len = sizeof(body) - 1, .fetched = 1 };
	const char *etags[SOURCE_MAX_URLS] = { "\"abc\"" }, *lm[SOURCE_MAX_URLS] = { NULL };
	struct prefix_set *empty = prefix_set_new();
	struct diag d;

	(void)argc;
	(void)argv;
	snprintf(root, sizeof(root), "%s",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm/cdnallow-fuzz-cache-XXXXXX"
					       : "/tmp/cdnallow-fuzz-cache-XXXXXX");
	check(mkdtemp(root));
	atexit(cleanup);
	snprintf(dir, sizeof(dir), "%s/s", root);
	snprintf(rt, sizeof(rt), "%s/rt", root);
	diag_init(&d);
	/* the body cache entry whose metadata M_META replaces */
	check(cache_store(dir, "fuzz", 0, &e, &d) == 0);
	nftw(dir, find_meta, 8, FTW_PHYS);
	check(meta_path[0]);
	/* the list cache's settings id, to make entries listcache_load accepts */
	check(source_init_provider(&src, provider_find("cloudflare")) == 0 && src.nurls >= 1);
	check(empty && listcache_store(dir, &src, NULL, etags, lm, empty, 1, &d) == 0);
	check(cache_load(dir, src.name, LISTCACHE_IDX, &e, &d) == 0 && e.etag);
	list_id = e.etag;
	e.etag = NULL;
	cache_entry_release(&e);
	prefix_set_free(empty);
	diag_release(&d);
	return 0;
}

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void fuzz_state(struct diag *d)
{
	struct state st, back;
	int ret = state_load(dir, &st, d);

	check(ret == 0 || ret == -EBADMSG || ret == -ENOMEM);
	check((ret == -EBADMSG) == (d->msg[0] != '\0'));
	if (ret == 0) {
		check(st.nsources <= STATE_MAX_SOURCES);
		check(state_save(rt, &st, d) == 0);
		check(state_load(rt, &back, d) == 0);
		check(back.last_run == st.last_run && back.last_success == st.last_success);
		check(back.result == st.result && back.nsources == st.nsources);
		check(str_eq(back.backend, st.backend) && str_eq(back.mode, st.mode));
		check(back.count[0] == st.count[0] && back.count[1] == st.count[1]);
		for (size_t i = 0; i < st.nsources; i++) {
			const struct state_source *a = &st.sources[i], *b = &back.sources[i];

			check(a->name && str_eq(a->name, b->name) && str_eq(a->status, b->status));
			check(a->count == b->count && a->data_time == b->data_time);
			check(state_source_count(&st, a->name) ==
			      state_source_count(&back, a->name));
		}
		state_release(&back);
	}
	state_release(&st);
}

static void fuzz_applied(struct diag *d)
{
	struct prefix_set *set = prefix_set_new(), *back = prefix_set_new(),
			  *agg = prefix_set_new();
	int ret;

	check(set && back && agg);
	ret = state_load_applied(dir, set, d);
	check(ret == 0 || ret == -EBADMSG || ret == -ESTALE || ret == -ENOMEM);
	check((ret == -EBADMSG || ret == -ESTALE) == (d->msg[0] != '\0'));
	if (ret < 0) {
		check(set->n == 0);
	} else {
		check(prefix_set_copy(agg, set) == 0 && prefix_set_aggregate(agg) == 0);
		check(prefix_set_equal(agg, set));
		check(state_save_applied(rt, set, NULL, d) == 0);
		check(state_load_applied(rt, back, d) == 0 && prefix_set_equal(back, set));
	}
	prefix_set_free(set);
	prefix_set_free(back);
	prefix_set_free(agg);
}

static void fuzz_meta(struct diag *d)
{
	struct cache_entry e;
	int ret = cache_load(dir, "fuzz", 0, &e, d);

	check(ret == 0 || ret == -ENOENT || ret == -ENOMEM);
	check(d->msg[0] == '\0'); /* a corrupt entry is a warning, never an error */
	if (ret == 0)
		check(e.len == 13 && !memcmp(e.body, "192.0.2.0/24\n", 14));
	cache_entry_release(&e);
}

/* What a stored validator reads back as: listcache.c keeps only those fit for
 * its lines. */
static const char *kept(const char *v)
{
	return !v || !*v || strpbrk(v, "\t\r\n") || !strcmp(v, "-") ? NULL : v;
}

static void list_round_trip(const struct listcache *lc, struct prefix_set *set, struct diag *d)
{
	struct prefix_set *back = prefix_set_new();
	struct listcache again;

	check(back);
	check(listcache_store(rt, &src, NULL, (const char *const *)lc->etag,
			      (const char *const *)lc->last_modified, set, 1, d) == 0);
	check(listcache_load(rt, &src, NULL, &again) == 0 && again.valid);
	for (size_t j = 0; j < src.nurls; j++) {
		check(str_eq(again.etag[j], kept(lc->etag[j])));
		check(str_eq(again.last_modified[j], kept(lc->last_modified[j])));
	}
	check(listcache_parse(&again, back) == 0);
	check(prefix_set_aggregate(back) == 0 && prefix_set_aggregate(set) == 0);
	check(prefix_set_equal(back, set));
	listcache_release(&again);
	prefix_set_free(back);
}

static void fuzz_list(const uint8_t *data, size_t size, struct diag *d)
{
	struct cache_entry e = { .body = (char *)data, .len = size, .etag = list_id };
	struct prefix_set *set = prefix_set_new();
	struct listcache lc;
	int ret;

	check(set);
	check(cache_store(dir, src.name, LISTCACHE_IDX, &e, d) == 0);
	ret = listcache_load(dir, &src, NULL, &lc);
	check(ret == 0 || ret == -ENOENT || ret == -ESTALE || ret == -ENOMEM);
	check((ret == 0) == lc.valid && (ret == 0 || ret == -ESTALE) == lc.usable);
	if (ret == 0 || ret == -ESTALE) {
		check(lc.len <= size && lc.rec + lc.len == (const uint8_t *)lc.buf + size);
		ret = listcache_parse(&lc, set);
		check(ret == 0 || ret == -EBADMSG || ret == -ENOMEM);
		if (ret == 0)
			list_round_trip(&lc, set, d);
	} else {
		check(listcache_parse(&lc, set) == -ENOENT);
	}
	listcache_release(&lc);
	prefix_set_free(set);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag d;

	if (size < 1)
		return 0;
	diag_init(&d);
	switch ((enum mode)(data[0] % M_MODES)) {
	case M_STATE:
		snprintf(path, sizeof(path), "%s/state.json", dir);
		write_file(path, data + 1, size - 1);
		fuzz_state(&d);
		break;
	case M_APPLIED:
		snprintf(path, sizeof(path), "%s/applied.rec", dir);
		unlink(path); /* applied.txt is read only when there is no applied.rec */
		snprintf(path, sizeof(path), "%s/applied.txt", dir);
		write_file(path, data + 1, size - 1);
		fuzz_applied(&d);
		break;
	case M_APPLIED_REC:
		snprintf(path, sizeof(path), "%s/applied.rec", dir);
		write_file(path, data + 1, size - 1);
		fuzz_applied(&d);
		break;
	case M_META:
		write_file(meta_path, data + 1, size - 1);
		fuzz_meta(&d);
		break;
	case M_LIST:
	case M_MODES:
		fuzz_list(data + 1, size - 1, &d);
		break;
	}
	diag_release(&d);
	return 0;
}
