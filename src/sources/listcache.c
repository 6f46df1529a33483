// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Keeps each source's parsed, aggregated list in the cache (one slot past
 * every endpoint index), together with the validators of the endpoint bodies
 * it came from. resolve.c sends those validators, and when every endpoint
 * answers 304 it reads this short list instead of loading and parsing the raw
 * bodies again (AWS ip-ranges.json is 2 MB of JSON): the no-op run stays
 * cheap. An entry made by another version or with other endpoints or parse
 * settings is never used; it must never stand in for a list it was not
 * parsed from.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "diag.h"
#include "listcache.h"
#include "prefix_set.h"

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

/* What the list depends on besides the bodies: parser version, endpoints, settings. */
static void settings_id(const struct source *src, char out[17])
{
	uint64_t h = 0xcbf29ce484222325ULL;
	char fmt[16];

	snprintf(fmt, sizeof(fmt), "%d", (int)src->format);
	h = mix(h, "cdnallow-list/1 " CDNALLOW_VERSION);
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
	free(lc->text);
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

/* "@IDX<TAB>ETAG<TAB>LAST-MODIFIED\n" lines, one per endpoint, then the list. */
static int parse_header(struct listcache *lc, size_t nurls, const char *body, size_t len,
			size_t *off)
{
	const char *p = body, *end = body + len;

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
	*off = (size_t)(p - body);
	return 0;
}

int listcache_load(const char *state_dir, const struct source *src, struct listcache *lc)
{
	struct cache_entry e = { 0 };
	char id[17];
	size_t off = 0;
	struct diag d;
	int ret;

	memset(lc, 0, sizeof(*lc));
	diag_init(&d);
	settings_id(src, id);
	ret = cache_load(state_dir, src->name, LISTCACHE_IDX, &e, &d);
	if (ret == 0 && (!e.etag || strcmp(e.etag, id)))
		ret = -ENOENT;
	if (ret == 0)
		ret = parse_header(lc, src->nurls, e.body, e.len, &off);
	if (ret == 0) {
		lc->len = e.len - off;
		memmove(e.body, e.body + off, lc->len + 1);
		lc->text = e.body;
		e.body = NULL;
		lc->valid = true;
	} else {
		listcache_release(lc);
		ret = ret == -ENOMEM ? ret : -ENOENT;
	}
	cache_entry_release(&e);
	diag_release(&d);
	return ret;
}

int listcache_parse(const struct listcache *lc, struct prefix_set *set)
{
	struct diag d;
	int ret;

	if (!lc->valid)
		return -ENOENT;
	diag_init(&d);
	ret = prefix_set_parse_text(set, lc->text, lc->len, "cache", &d);
	diag_release(&d);
	return ret;
}

/* A validator that would break the line format is not kept (the next GET is unconditional). */
static const char *field(const char *v)
{
	if (!v || !*v || strpbrk(v, "\t\r\n") || !strcmp(v, NONE))
		return NONE;
	return v;
}

int listcache_store(const char *state_dir, const struct source *src, const char *const *etags,
		    const char *const *last_modified, const struct prefix_set *set, time_t now,
		    struct diag *d)
{
	struct cache_entry e = { .fetched = now };
	size_t cap = 1, used = 0;
	char id[17];
	int ret;

	for (size_t j = 0; j < src->nurls; j++)
		cap += 32 + strlen(field(etags[j])) + strlen(field(last_modified[j]));
	cap += set->n * (PREFIX_STRLEN + 1);
	e.body = malloc(cap);
	if (!e.body)
		return -ENOMEM;
	for (size_t j = 0; j < src->nurls; j++)
		used += (size_t)snprintf(e.body + used, cap - used, "@%zu\t%s\t%s\n", j,
					 field(etags[j]), field(last_modified[j]));
	for (size_t i = 0; i < set->n; i++) {
		used += (size_t)prefix_format(&set->v[i], e.body + used, cap - used);
		e.body[used++] = '\n';
	}
	e.body[used] = '\0';
	e.len = used;
	settings_id(src, id);
	e.etag = id;
	ret = cache_store(state_dir, src->name, LISTCACHE_IDX, &e, d);
	free(e.body);
	return ret;
}
