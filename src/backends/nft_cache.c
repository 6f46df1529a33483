// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Skips the element dump when nothing changed: STATE_DIR/nft.applied holds the
 * prefixes cdnallow last saw committed (prefix_pack records, 6 bytes a /32),
 * STATE_DIR/nft.genid the
 * ruleset generation id they belong to plus a fingerprint (boot id, network
 * namespace cookie, targets, ports) and the count and checksum64 of
 * nft.applied. The kernel bumps the generation on every commit by anyone, so an
 * equal id means the sets are exactly as recorded. A cache problem only ever
 * costs a dump: this file must never make read() report something unverified.
 * Files of versions 1 (18-byte records) and 2 (FNV-1a) are stale, never
 * decoded: one dump.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "hash.h"
#include "host_id.h"
#include "nft_int.h"
#include "prefix_pack.h"
#include "prefix_set.h"

#define MAGIC "cdnallow-nft-cache 3"
#define MAX_APPLIED (256u << 20)

static void path(const struct nft_handle *h, const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", h->cfg.state_dir, name);
}

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
		       unsigned long long *count, unsigned long long *hash)
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
			 sscanf(line, "hash %llx", hash) == 1)
			continue;
	}
}

int nft_cache_parse(char *meta, const char *want_fp, uint32_t genid, const char *applied,
		    size_t len, struct prefix_set *s)
{
	unsigned long long count = 0, hash = 0;
	unsigned long gen = 0;
	char fp[1024];
	int ret;

	parse_meta(meta, fp, sizeof(fp), &gen, &count, &hash);
	if (gen != genid || !fp[0] || strcmp(fp, want_fp))
		return -ESTALE;
	if (!applied || count > len || checksum64(applied, len) != hash)
		return -EBADMSG;
	ret = prefix_unpack_all((const uint8_t *)applied, len, (size_t)count, s);
	if (ret == 0)
		ret = prefix_set_aggregate(s);
	if (ret < 0)
		prefix_set_clear(s);
	return ret == -ENOENT || ret == -EINVAL ? -EBADMSG : ret;
}

int nft_cache_load(const struct nft_handle *h, uint32_t genid, struct prefix_set *s)
{
	char p[4096], want_fp[1024];
	char *meta = NULL, *buf = NULL;
	size_t mlen = 0, len = 0;
	int ret;

	if (!h->cfg.state_dir)
		return -ENOENT;
	path(h, "nft.genid", p, sizeof(p));
	if (file_read_private(p, 64u << 10, &meta, &mlen) < 0)
		return -ENOENT;
	fingerprint(h, want_fp, sizeof(want_fp));
	path(h, "nft.applied", p, sizeof(p));
	if (file_read_private(p, MAX_APPLIED, &buf, &len) < 0) {
		free(buf);
		buf = NULL;
		len = 0;
	}
	ret = nft_cache_parse(meta, want_fp, genid, buf, len, s);
	free(meta);
	free(buf);
	return ret;
}

void nft_cache_save(const struct nft_handle *h, uint32_t genid, const struct prefix_set *s)
{
	char p[4096], fp[1024], *meta = NULL;
	size_t len = 0;
	uint8_t *buf;
	int n;

	if (!h->cfg.state_dir)
		return;
	buf = prefix_pack_new(s, &len);
	if (!buf)
		return;
	fingerprint(h, fp, sizeof(fp));
	n = asprintf(&meta, MAGIC "\nfingerprint %s\ngenid %lu\ncount %zu\nhash %llx\n", fp,
		     (unsigned long)genid, s->n, (unsigned long long)checksum64(buf, len));
	nft_cache_drop(h);
	path(h, "nft.applied", p, sizeof(p));
	if (n > 0 && file_replace(p, buf, len, 0600) == 0) {
		path(h, "nft.genid", p, sizeof(p));
		file_replace(p, meta, (size_t)n, 0600);
	}
	free(meta);
	free(buf);
}

void nft_cache_drop(const struct nft_handle *h)
{
	char p[4096];

	if (!h->cfg.state_dir)
		return;
	path(h, "nft.genid", p, sizeof(p));
	unlink(p);
}
