// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Keeps each source's parsed, aggregated list in the cache (one slot past
 * every endpoint index), together with the validators of the endpoint bodies
 * it came from: for a download its ETag and Last-Modified, for a local file
 * its length and checksum64 (resolve.c's local_validator). resolve.c sends
 * the download validators, and when every endpoint answers 304, or every
 * local file is the one the list came from, it reads this list instead of
 * loading and parsing the bodies again (AWS ip-ranges.json is 2 MB of JSON, a
 * 100k-line file 44 M instructions to parse): the no-op run stays cheap. It is
 * also a local file's last good list, where older versions kept a copy of
 * the file. The list is prefix_pack records after the validator lines, so
 * reading it back is a copy, not a parse. An entry made by another version
 * or with other endpoints, parse or guard settings is never used; it must
 * never stand in for a list it was not parsed from.
 */
#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "diag.h"
#include "guard.h"
#include "listcache.h"
#include "prefix_pack.h"
#include "prefix_set.h"
#include "strbuf.h"

#define LISTCACHE_IDX 64u /* past any endpoint index (SOURCE_MAX_URLS) */
#define NONE "-"

static uint64_t mix(uint64_t h, const char *s)
{
	if (!s)
		s = "";
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return (h ^ 0xff) * 0x100000001b3ULL; /* field separator */
}

/*
 * What the list, and its passing the guard, depend on besides the bodies:
 * format version, parser version, endpoints, parse and guard settings.
 */
static void settings_id(const struct source *src, const struct guard_opts *g, char out[17])
{
	uint64_t h = 0xcbf29ce484222325ULL;
	char fmt[96];

	snprintf(fmt, sizeof(fmt), "%d %zu %.17g %.17g %d", (int)src->format, src->floor,
		 src->max_addresses[0], src->max_addresses[1], g ? g->allow_test_ranges : 0);
	h = mix(h, "cdnallow-list/2 " CDNALLOW_VERSION);
	h = mix(h, src->prov ? src->prov->name : "");
	h = mix(h, src->filter);
	h = mix(h, src->json_path);
	h = mix(h, fmt);
	for (size_t j = 0; j < src->nurls; j++)
		h = mix(h, src->urls[j]);
	snprintf(out, 17, "%016" PRIx64, h);
}

void listcache_release(struct listcache *lc)
{
	if (!lc)
		return;
	for (size_t j = 0; j < SOURCE_MAX_URLS; j++) {
		free(lc->etag[j]);
		free(lc->last_modified[j]);
	}
	free(lc->buf);
	memset(lc, 0, sizeof(*lc));
}

static int dup_field(const char *s, size_t n, char **out)
{
	*out = NULL;
	if (n == 1 && s[0] == '-')
		return 0;
	*out = strndup(s, n);
	return *out ? 0 : -ENOMEM;
}

/* "@IDX<TAB>ETAG<TAB>LAST-MODIFIED\n" lines, one per endpoint, "=COUNT\n", then the records. */
static int parse_header(struct listcache *lc, size_t nurls, const char *body, size_t len,
			size_t *off)
{
	const char *p = body, *end = body + len, *eol;
	char num[24], *e;

	for (size_t j = 0; j < nurls; j++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *t1, *t2;
		char want[16];
		size_t wn;

		wn = (size_t)snprintf(want, sizeof(want), "@%zu\t", j);
		if (!nl || (size_t)(nl - p) < wn || memcmp(p, want, wn))
			return -EBADMSG;
		t1 = p + wn;
		t2 = memchr(t1, '\t', (size_t)(nl - t1));
		if (!t2)
			return -EBADMSG;
		if (dup_field(t1, (size_t)(t2 - t1), &lc->etag[j]) < 0 ||
		    dup_field(t2 + 1, (size_t)(nl - t2 - 1), &lc->last_modified[j]) < 0)
			return -ENOMEM;
		p = nl + 1;
	}
	eol = memchr(p, '\n', (size_t)(end - p));
	if (!eol || eol - p < 2 || eol - p >= (ptrdiff_t)sizeof(num) || p[0] != '=' || p[1] < '0' ||
	    p[1] > '9')
		return -EBADMSG;
	memcpy(num, p + 1, (size_t)(eol - p - 1));
	num[eol - p - 1] = '\0';
	errno = 0;
	lc->count = strtoull(num, &e, 10);
	if (errno || *e)
		return -EBADMSG;
	*off = (size_t)(eol + 1 - body);
	return 0;
}

int listcache_load(const char *state_dir, const struct source *src, const struct guard_opts *g,
		   struct listcache *lc)
{
	struct cache_entry e = { 0 };
	char id[17];
	size_t off = 0;
	struct diag d;
	int ret;

	memset(lc, 0, sizeof(*lc));
	diag_init(&d);
	settings_id(src, g, id);
	ret = cache_load(state_dir, src->name, LISTCACHE_IDX, &e, &d);
	if (ret == 0)
		ret = parse_header(lc, src->nurls, e.body, e.len, &off);
	if (ret == 0) {
		lc->buf = e.body;
		lc->rec = (const uint8_t *)e.body + off;
		lc->len = e.len - off;
		lc->fetched = e.fetched;
		e.body = NULL;
		lc->usable = true;
		lc->valid = e.etag && !strcmp(e.etag, id);
	} else {
		listcache_release(lc);
	}
	if (ret == 0 && !lc->valid)
		ret = -ESTALE;
	else if (ret < 0 && ret != -ENOMEM)
		ret = -ENOENT;
	cache_entry_release(&e);
	diag_release(&d);
	return ret;
}

int listcache_parse(const struct listcache *lc, struct prefix_set *set)
{
	if (!lc->usable)
		return -ENOENT;
	return prefix_unpack_all(lc->rec, lc->len, lc->count, set);
}

/* A validator that would break the line format is not kept (the next GET is unconditional). */
static const char *field(const char *v)
{
	if (!v || !*v || strpbrk(v, "\t\r\n") || !strcmp(v, NONE))
		return NONE;
	return v;
}

int listcache_store(const char *state_dir, const struct source *src, const struct guard_opts *g,
		    const char *const *etags, const char *const *last_modified,
		    const struct prefix_set *set, time_t now, struct diag *d)
{
	struct cache_entry e = { .fetched = now };
	struct strbuf sb = { 0 };
	char id[17];
	int ret;

	for (size_t j = 0; j < src->nurls; j++)
		strbuf_addf(&sb, "@%zu\t%s\t%s\n", j, field(etags[j]), field(last_modified[j]));
	strbuf_addf(&sb, "=%zu\n", set->n);
	prefix_pack(&sb, set);
	if (sb.err) {
		ret = sb.err;
		strbuf_release(&sb);
		return ret;
	}
	e.body = sb.buf;
	e.len = sb.len;
	settings_id(src, g, id);
	e.etag = id;
	ret = cache_store(state_dir, src->name, LISTCACHE_IDX, &e, d);
	strbuf_release(&sb);
	return ret;
}
