// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Skips the element dump when nothing changed: STATE_DIR/nft.genid records the
 * ruleset generation id of what cdnallow last saw committed, a fingerprint
 * (boot id, network namespace cookie, targets, ports), the prefix count and
 * the identity of the set: the applied.rec checksum it has (state_applied_sum).
 * The set itself is read from applied.rec, which the engine writes right after
 * the apply, when its checksum is that one: no second copy of the list. The
 * kernel bumps the generation on every commit by anyone, so an equal id means
 * the sets are exactly as recorded. A crash between the commit and the
 * applied.rec write, an applied.rec another run replaced, a torn or other
 * version record: the checksums differ, the cost is one dump. This file must
 * never make read() report something unverified. Files of versions 1-3 (their
 * own nft.applied copy) are stale, never decoded: one dump.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "host_id.h"
#include "nft_int.h"
#include "prefix_set.h"
#include "state.h"

#define MAGIC "cdnallow-nft-cache 4"
#define CACHE_FILE "nft.genid"
#define OLD_COPY "nft.applied" /* versions 1-3: removed by the first save */

static void fingerprint(const struct nft_handle *h, char *buf, size_t size)
{
	size_t len;

	host_fingerprint(buf, size, nft_nl_netns_id(&h->nl));
	len = strlen(buf);
	/* rules=2: the counted rules; a cache from builds before them must not skip their repair */
	len += (size_t)snprintf(buf + len, size - len, " rules=2");
	for (size_t i = 0; i < h->ntg && len < size; i++) {
		const struct nft_target *t = &h->tg[i];

		len += (size_t)snprintf(buf + len, size - len, " %s:%s:%s:%s:%s:%d",
					nft_family_name(t->family), t->table, t->chain, t->set4,
					t->set6, t->lockdown);
	}
	for (size_t i = 0; i < h->cfg.nports && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%u",
					i ? "," : " ports=", h->cfg.ports[i]);
}

static void parse_meta(char *meta, char *fp, size_t fpsize, unsigned long *gen,
		       unsigned long long *count, unsigned long long *sum)
{
	char *line, *save = NULL;

	fp[0] = '\0';
	line = strtok_r(meta, "\n", &save);
	/* another version's file has no fingerprint: stale, its records never decoded */
	if (!line || strcmp(line, MAGIC))
		return;
	for (line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "fingerprint ", 12))
			snprintf(fp, fpsize, "%.1000s", line + 12);
		else if (sscanf(line, "genid %lu", gen) == 1 ||
			 sscanf(line, "count %llu", count) == 1 ||
			 sscanf(line, "applied %llx", sum) == 1)
			continue;
	}
}

/* The recorded count and applied.rec checksum when meta is this version, generation and host. */
static int check_meta(char *meta, const char *want_fp, uint32_t genid, unsigned long long *count,
		      uint64_t *sum)
{
	unsigned long long c = 0, x = 0;
	unsigned long gen = 0;
	char fp[1024];

	parse_meta(meta, fp, sizeof(fp), &gen, &c, &x);
	if (gen != genid || !fp[0] || strcmp(fp, want_fp))
		return -ESTALE;
	*count = c;
	*sum = (uint64_t)x;
	return 0;
}

int nft_cache_parse(char *meta, const char *want_fp, uint32_t genid, const char *rec, size_t len,
		    struct prefix_set *s)
{
	unsigned long long count = 0;
	uint64_t sum = 0;
	int ret;

	prefix_set_clear(s);
	ret = check_meta(meta, want_fp, genid, &count, &sum);
	return ret < 0 ? ret : state_parse_applied_as(rec, len, sum, (size_t)count, s);
}

int nft_cache_load(const struct nft_handle *h, uint32_t genid, struct prefix_set *s,
		   uint64_t *applied_sum)
{
	char want_fp[1024], *meta = NULL, *p = NULL;
	unsigned long long count = 0;
	uint64_t sum = 0;
	size_t mlen = 0;
	int ret = -ENOENT;

	*applied_sum = 0;
	if (!h->cfg.state_dir)
		return -ENOENT;
	p = file_path(h->cfg.state_dir, CACHE_FILE);
	if (!p || file_read_private(p, 64u << 10, &meta, &mlen) < 0)
		goto out;
	fingerprint(h, want_fp, sizeof(want_fp));
	prefix_set_clear(s);
	/* the set is read only once the generation matches: a stale cache costs no read */
	ret = check_meta(meta, want_fp, genid, &count, &sum);
	if (ret == 0)
		ret = state_load_applied_as(h->cfg.state_dir, sum, (size_t)count, s);
	*applied_sum = ret == 0 ? sum : 0;
out:
	free(meta);
	free(p);
	return ret;
}

/*
 * Records s as what generation genid holds. The engine writes s to applied.rec
 * after this: until it has, the checksums differ and a read() dumps the sets.
 */
void nft_cache_save(const struct nft_handle *h, uint32_t genid, const struct prefix_set *s,
		    uint64_t sum)
{
	char fp[1024], *meta = NULL, *p = NULL;
	int n;

	if (!h->cfg.state_dir)
		return;
	nft_cache_drop(h);
	if (!sum && state_applied_sum(s, &sum) < 0)
		return;
	fingerprint(h, fp, sizeof(fp));
	n = asprintf(&meta, MAGIC "\nfingerprint %s\ngenid %lu\ncount %zu\napplied %llx\n", fp,
		     (unsigned long)genid, s->n, (unsigned long long)sum);
	p = file_path(h->cfg.state_dir, CACHE_FILE);
	if (n > 0 && p)
		file_replace(p, meta, (size_t)n, 0600);
	free(meta);
	free(p);
}

void nft_cache_drop(const struct nft_handle *h)
{
	const char *files[] = { CACHE_FILE, OLD_COPY };

	for (size_t i = 0; h->cfg.state_dir && i < 2; i++) {
		char *p = file_path(h->cfg.state_dir, files[i]);

		if (p)
			unlink(p);
		free(p);
	}
}
