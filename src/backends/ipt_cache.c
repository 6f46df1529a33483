// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Skips `ipset save` of an unchanged set: after an apply, STATE_DIR/ipt.id
 * holds each set's header block as `ipset list -t` showed it right after (its
 * random initval, entry count, memory size, references), a fingerprint (boot
 * id, network namespace), the prefix count and the identity of what cdnallow
 * put into its ipsets: the applied.rec checksum of that set
 * (state_applied_sum). The prefixes are read from applied.rec, which the
 * engine writes right after the apply, only while it holds that set (a crash
 * before it was written, or another set since: one read back). No second copy
 * of the list. ipset has no generation counter like nftables': an `ipset add`,
 * `del`, `flush` or a re-created set changes the block, but a del + add pair
 * landing in the same hash buckets may not. A cache problem only ever costs a
 * read back: this file must never make read() report something unverified.
 * Version 1 and 2 files (an ipt.applied copy of their own) are stale, never
 * decoded: one read back; the first save removes ipt.applied.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fileio.h"
#include "host_id.h"
#include "ipt_cache.h"
#include "prefix_set.h"
#include "state.h"

#define MAGIC "cdnallow-ipt-cache 3"
#define CACHE_FILE "ipt.id"
#define META_MAX (64u << 10)

/* One line per block: its newlines become '|'; a block holding '|' has no line (never matches). */
static bool encode(const char *block, char *out, size_t size)
{
	size_t n = strlen(block);

	if (!*block || n >= size || strchr(block, '|'))
		return false;
	for (size_t i = 0; i <= n; i++)
		out[i] = block[i] == '\n' ? '|' : block[i];
	return true;
}

static void parse_meta(char *meta, struct ipt_cache_meta *m)
{
	char *line, *save = NULL;

	memset(m, 0, sizeof(*m));
	line = strtok_r(meta, "\n", &save);
	/* another version's file has no fingerprint: stale, its records never decoded */
	if (!line || strcmp(line, MAGIC))
		return;
	for (line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "fingerprint ", 12))
			snprintf(m->fp, sizeof(m->fp), "%.250s", line + 12);
		else if (!strncmp(line, "set4 ", 5))
			snprintf(m->block[0], sizeof(m->block[0]), "%.1000s", line + 5);
		else if (!strncmp(line, "set6 ", 5))
			snprintf(m->block[1], sizeof(m->block[1]), "%.1000s", line + 5);
		else if (sscanf(line, "count %llu", &m->count) == 1 ||
			 sscanf(line, "applied %llx", &m->sum) == 1)
			continue;
	}
}

/* The matched families of the applied set into out (which keeps what it had before). */
static int add_matched(const struct prefix_set *all, const bool match[2], struct prefix_set *out)
{
	int ret = prefix_set_reserve(out, out->n + all->n);

	for (size_t i = 0; ret == 0 && i < all->n; i++)
		if (match[all->v[i].family == AF_INET6])
			out->v[out->n++] = all->v[i];
	return ret;
}

/* The matched families of the applied.rec set (ret of state_*_applied_as) into out. */
static int adopt(int ret, const struct prefix_set *all, bool match[2], struct prefix_set *out)
{
	size_t n0 = out->n;

	if (ret == 0 && (match[0] || match[1]))
		ret = add_matched(all, match, out);
	if (ret < 0) {
		/* nothing half-loaded: the caller reads every set back */
		out->n = n0;
		match[0] = match[1] = false;
	}
	return ret;
}

/* Which live blocks are as recorded; -ESTALE when the record is another version or host's. */
static int match_live(char *meta, const char *want_fp, const char *const live[2],
		      struct ipt_cache_meta *m, bool match[2])
{
	char enc[sizeof(m->block[0])];

	match[0] = match[1] = false;
	parse_meta(meta, m);
	if (!m->fp[0] || strcmp(m->fp, want_fp))
		return -ESTALE;
	for (int f = 0; f < 2; f++)
		match[f] =
			live[f] && encode(live[f], enc, sizeof(enc)) && !strcmp(enc, m->block[f]);
	return 0;
}

int ipt_cache_parse(char *meta, const char *want_fp, const char *const live[2], const char *rec,
		    size_t len, bool match[2], struct prefix_set *out)
{
	struct ipt_cache_meta m;
	struct prefix_set *all;
	int ret = match_live(meta, want_fp, live, &m, match);

	if (ret < 0)
		return ret;
	all = prefix_set_new();
	ret = all ? state_parse_applied_as(rec, len, m.sum, (size_t)m.count, all) : -ENOMEM;
	ret = adopt(ret, all, match, out);
	prefix_set_free(all);
	return ret;
}

int ipt_cache_load(const char *dir, const char *const live[2], bool match[2],
		   struct prefix_set *out, uint64_t *sum)
{
	struct ipt_cache_meta m;
	struct prefix_set *all = NULL;
	char fp[256], *meta = NULL, *p = NULL;
	bool whole = out->n == 0;
	size_t mlen = 0;
	int ret = -ENOENT;

	match[0] = match[1] = false;
	*sum = 0;
	if (!dir)
		return -ENOENT;
	p = file_path(dir, CACHE_FILE);
	if (!p || file_read_private(p, META_MAX, &meta, &mlen) < 0)
		goto out;
	host_fingerprint(fp, sizeof(fp), 0);
	ret = match_live(meta, fp, live, &m, match);
	/* the set is read only when some block still matches */
	if (ret == 0 && (match[0] || match[1])) {
		all = prefix_set_new();
		ret = all ? state_load_applied_as(dir, m.sum, (size_t)m.count, all) : -ENOMEM;
		ret = adopt(ret, all, match, out);
	}
	/* out is then applied.rec's set itself: the engine need not read it again */
	if (ret == 0 && whole && match[0] && match[1])
		*sum = m.sum;
out:
	prefix_set_free(all);
	free(meta);
	free(p);
	return ret;
}

/*
 * Records s as what the sets with header blocks live hold. The engine writes s
 * to applied.rec after this: until it has, the checksums differ (a read back).
 */
void ipt_cache_save(const char *dir, const char *const live[2], const struct prefix_set *s,
		    uint64_t sum)
{
	char fp[256], enc[2][IPT_CACHE_BLOCK_MAX];
	char *meta = NULL, *p = NULL;
	int n;

	ipt_cache_drop(dir);
	if (!dir || (!sum && state_applied_sum(s, &sum) < 0))
		return;
	for (int f = 0; f < 2; f++)
		if (!live[f] || !encode(live[f], enc[f], sizeof(enc[f])))
			snprintf(enc[f], sizeof(enc[f]), "-");
	host_fingerprint(fp, sizeof(fp), 0);
	n = asprintf(&meta, MAGIC "\nfingerprint %s\ncount %zu\napplied %llx\nset4 %s\nset6 %s\n",
		     fp, s->n, (unsigned long long)sum, enc[0], enc[1]);
	p = file_path(dir, CACHE_FILE);
	if (n > 0 && p)
		file_replace(p, meta, (size_t)n, 0600);
	free(meta);
	free(p);
}

void ipt_cache_drop(const char *dir)
{
	const char *files[] = { CACHE_FILE, "ipt.applied" /* versions 1 and 2 */ };

	for (size_t i = 0; dir && i < 2; i++) {
		char *p = file_path(dir, files[i]);

		if (p)
			unlink(p);
		free(p);
	}
}
