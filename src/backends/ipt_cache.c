// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Skips `ipset save` of an unchanged set: after an apply, STATE_DIR/ipt.applied
 * holds the prefixes cdnallow put into its ipsets (18 bytes each) and
 * STATE_DIR/ipt.id each set's header block as `ipset list -t` showed it right
 * after (its random initval, entry count, memory size, references), plus a
 * fingerprint (boot id, network namespace) and the count and FNV-1a hash of
 * ipt.applied. ipset has no generation counter like nftables': an `ipset add`,
 * `del`, `flush` or a re-created set changes the block, but a del + add pair
 * landing in the same hash buckets may not. A cache problem only ever costs a
 * read back: this file must never make read() report something unverified.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "hash.h"
#include "ipt_cache.h"
#include "prefix_set.h"

#define REC 18
#define MAX_APPLIED (256u << 20)
#define META_MAX (64u << 10)

static void path(const char *dir, const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

void ipt_cache_fingerprint(char *buf, size_t size)
{
	char boot[64] = "";
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	struct stat st = { 0 };

	if (f) {
		if (!fgets(boot, sizeof(boot), f))
			boot[0] = '\0';
		fclose(f);
	}
	boot[strcspn(boot, "\n")] = '\0';
	if (stat("/proc/self/ns/net", &st) < 0)
		st.st_ino = 0;
	snprintf(buf, size, "boot=%s netns=%" PRIu64, boot, (uint64_t)st.st_ino);
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
	for (line = strtok_r(meta, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
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

static int add_family(const char *applied, size_t len, int family, struct prefix_set *out)
{
	int ret = 0;

	for (size_t i = 0; ret == 0 && i < len; i += REC) {
		const uint8_t *r = (const uint8_t *)applied + i;
		struct prefix pf;

		if (r[0] != 4 && r[0] != 6)
			return -EBADMSG;
		if ((r[0] == 6) != (family == AF_INET6))
			continue;
		ret = prefix_from_bytes(family, r + 2, r[1], &pf);
		if (ret == 0)
			ret = prefix_set_add(out, &pf);
	}
	return ret == -ENOENT || ret == -EINVAL ? -EBADMSG : ret;
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
	if (strcmp(m.fp, want_fp))
		return -ESTALE;
	if (!applied || m.count > len / REC || len != m.count * REC ||
	    fnv1a64((const uint8_t *)applied, len) != m.hash)
		return -EBADMSG;
	for (int f = 0; f < 2 && ret == 0; f++) {
		if (!live[f] || !encode(live[f], enc, sizeof(enc)) || strcmp(enc, m.block[f]))
			continue;
		ret = add_family(applied, len, f ? AF_INET6 : AF_INET, out);
		match[f] = ret == 0;
	}
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
	ipt_cache_fingerprint(fp, sizeof(fp));
	ret = ipt_cache_parse(meta, fp, live, buf, len, match, out);
	free(meta);
	free(buf);
	return ret;
}

static uint8_t *records(const struct prefix_set *s, size_t *len)
{
	uint8_t *buf = malloc(s->n * REC + 1);

	if (!buf)
		return NULL;
	for (size_t i = 0; i < s->n; i++) {
		uint8_t *r = buf + i * REC;

		memset(r, 0, REC);
		r[0] = s->v[i].family == AF_INET ? 4 : 6;
		r[1] = s->v[i].len;
		prefix_first_bytes(&s->v[i], r + 2);
	}
	*len = s->n * REC;
	return buf;
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
	buf = records(s, &len);
	if (!buf)
		return;
	ipt_cache_fingerprint(fp, sizeof(fp));
	n = asprintf(&meta,
		     "cdnallow-ipt-cache 1\nfingerprint %s\ncount %zu\nhash %llx\nset4 %s\nset6 "
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
