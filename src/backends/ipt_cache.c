// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Skips `ipset save` of an unchanged set: after an apply, STATE_DIR/ipt.applied
 * holds the prefixes cdnallow put into its ipsets (prefix_pack records) and
 * STATE_DIR/ipt.id each set's header block as `ipset list -t` showed it right
 * after (its random initval, entry count, memory size, references), plus a
 * fingerprint (boot id, network namespace) and the count and FNV-1a hash of
 * ipt.applied. ipset has no generation counter like nftables': an `ipset add`,
 * `del`, `flush` or a re-created set changes the block, but a del + add pair
 * landing in the same hash buckets may not. A cache problem only ever costs a
 * read back: this file must never make read() report something unverified.
 * Version 1 files (18-byte records) are stale, never decoded: one read back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fileio.h"
#include "hash.h"
#include "host_id.h"
#include "ipt_cache.h"
#include "prefix_pack.h"
#include "prefix_set.h"

#define MAGIC "cdnallow-ipt-cache 2"
#define MAX_APPLIED (256u << 20)
#define META_MAX (64u << 10)

static void path(const char *dir, const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

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
			 sscanf(line, "hash %llx", &m->hash) == 1)
			continue;
	}
}

/* All records into out, then only the matched families' kept; out back to n0 on failure. */
static int add_matched(const char *applied, size_t len, size_t count, const bool match[2],
		       struct prefix_set *out)
{
	size_t n0 = out->n, k = n0;
	int ret;

	ret = prefix_unpack_all((const uint8_t *)applied, len, count, out);
	if (ret < 0)
		return ret == -ENOMEM ? ret : -EBADMSG;
	for (size_t i = n0; i < out->n; i++)
		if (match[out->v[i].family == AF_INET6])
			out->v[k++] = out->v[i];
	out->n = k;
	return 0;
}

int ipt_cache_parse(char *meta, const char *want_fp, const char *const live[2], const char *applied,
		    size_t len, bool match[2], struct prefix_set *out)
{
	struct ipt_cache_meta m;
	char enc[sizeof(m.block[0])];
	size_t n0 = out->n;
	int ret = 0;

	match[0] = match[1] = false;
	parse_meta(meta, &m);
	if (!m.fp[0] || strcmp(m.fp, want_fp))
		return -ESTALE;
	if (!applied || m.count > len || fnv1a64((const uint8_t *)applied, len) != m.hash)
		return -EBADMSG;
	for (int f = 0; f < 2; f++)
		match[f] = live[f] && encode(live[f], enc, sizeof(enc)) && !strcmp(enc, m.block[f]);
	if (match[0] || match[1])
		ret = add_matched(applied, len, (size_t)m.count, match, out);
	if (ret < 0) {
		/* nothing half-loaded: the caller reads every set back */
		out->n = n0;
		match[0] = match[1] = false;
	}
	return ret;
}

int ipt_cache_load(const char *dir, const char *const live[2], bool match[2],
		   struct prefix_set *out)
{
	char p[4096], fp[256];
	char *meta = NULL, *buf = NULL;
	size_t mlen = 0, len = 0;
	int ret;

	match[0] = match[1] = false;
	if (!dir)
		return -ENOENT;
	path(dir, "ipt.id", p, sizeof(p));
	if (file_read_private(p, META_MAX, &meta, &mlen) < 0) {
		free(meta);
		return -ENOENT;
	}
	path(dir, "ipt.applied", p, sizeof(p));
	if (file_read_private(p, MAX_APPLIED, &buf, &len) < 0) {
		free(buf);
		buf = NULL;
		len = 0;
	}
	host_fingerprint(fp, sizeof(fp), 0);
	ret = ipt_cache_parse(meta, fp, live, buf, len, match, out);
	free(meta);
	free(buf);
	return ret;
}

void ipt_cache_save(const char *dir, const char *const live[2], const struct prefix_set *s)
{
	char p[4096], fp[256], enc[2][IPT_CACHE_BLOCK_MAX];
	char *meta = NULL;
	size_t len = 0;
	uint8_t *buf;
	int n;

	ipt_cache_drop(dir);
	if (!dir)
		return;
	for (int f = 0; f < 2; f++)
		if (!live[f] || !encode(live[f], enc[f], sizeof(enc[f])))
			snprintf(enc[f], sizeof(enc[f]), "-");
	buf = prefix_pack_new(s, &len);
	if (!buf)
		return;
	host_fingerprint(fp, sizeof(fp), 0);
	n = asprintf(&meta,
		     MAGIC "\nfingerprint %s\ncount %zu\nhash %llx\nset4 %s\nset6 "
			   "%s\n",
		     fp, s->n, (unsigned long long)fnv1a64(buf, len), enc[0], enc[1]);
	path(dir, "ipt.applied", p, sizeof(p));
	if (n > 0 && file_replace(p, buf, len, 0600) == 0) {
		path(dir, "ipt.id", p, sizeof(p));
		file_replace(p, meta, (size_t)n, 0600);
	}
	free(meta);
	free(buf);
}

void ipt_cache_drop(const char *dir)
{
	char p[4096];

	if (!dir)
		return;
	path(dir, "ipt.id", p, sizeof(p));
	unlink(p);
}
