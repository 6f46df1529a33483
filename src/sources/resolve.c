// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Turns configured sources into guarded, aggregated lists. All endpoints of
 * all sources are fetched in one concurrent fetch_many() call with the cached
 * ETag/Last-Modified; each source's bodies are parsed into one set and put to
 * the guard. Anything wrong with the fresh data falls back to the last good
 * cached copy, then to the built-in snapshot, and only then to "refused" —
 * never silently to an empty list. It must never print, and it writes the
 * cache only for data that passed the guard.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "diag.h"
#include "prefix_set.h"
#include "resolve.h"
#include "source.h"

/*
 * Cache slot (past every endpoint index) of a source's parsed, aggregated
 * list, tagged with a fingerprint of the bodies and parse settings it came
 * from: when every endpoint answers 304, the no-op run reads this short list
 * instead of parsing megabytes of JSON again (AWS ip-ranges.json is 2 MB).
 */
#define DERIVED_IDX 64u

struct endpoint {
	struct cache_entry cache;
	bool cached;
	struct fetch_req *req; /* NULL when the URL was refused before fetching */
	char refusal[DIAG_MSG_MAX];
};

const char *source_status_name(enum source_status s)
{
	switch (s) {
	case SOURCE_FRESH:
		return "fresh";
	case SOURCE_NOT_MODIFIED:
		return "not-modified";
	case SOURCE_CACHED:
		return "cached";
	case SOURCE_SNAPSHOT:
		return "snapshot";
	case SOURCE_REFUSED:
		return "refused";
	}
	return "unknown";
}

void source_result_release(struct source_result *r)
{
	if (!r)
		return;
	prefix_set_free(r->set);
	r->set = NULL;
}

static void set_error(struct source_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_error(struct source_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
}

static void add_problem(struct source_result *r, const char *source, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "source 'x': problem; problem…": every failed endpoint is named, not just the first. */
static void add_problem(struct source_result *r, const char *source, const char *fmt, ...)
{
	size_t n = strlen(r->error);
	va_list ap;

	if (n == 0)
		snprintf(r->error, sizeof(r->error), "source '%s': ", source);
	else
		snprintf(r->error + n, sizeof(r->error) - n, "; ");
	n = strlen(r->error);
	va_start(ap, fmt);
	vsnprintf(r->error + n, sizeof(r->error) - n, fmt, ap);
	va_end(ap);
}

/* The guard's message without its "source 'x': " head, which add_problem() adds. */
static const char *without_source(const char *msg, const char *source)
{
	size_t n = strlen(source);

	if (!strncmp(msg, "source '", 8) && !strncmp(msg + 8, source, n) &&
	    !strncmp(msg + 8 + n, "': ", 3))
		return msg + 8 + n + 3;
	return msg;
}

static int parse_body(const struct source *src, const char *url, const char *body, size_t len,
		      struct prefix_set *set, struct source_result *r, struct diag *d)
{
	struct diag pd;
	int ret;

	diag_init(&pd);
	ret = source_parse(src, body, len, set, &pd);
	if (ret < 0)
		add_problem(r, src->name, "'%s' cannot be parsed: %s", url,
			    pd.msg[0] ? pd.msg : strerror(-ret));
	else
		diag_take_warnings(d, &pd);
	diag_release(&pd);
	return ret;
}

static int guard_list(const struct source *src, struct prefix_set *set, size_t last_count,
		      const struct resolve_opts *o, struct source_result *r, struct diag *d)
{
	struct diag gd;
	int ret;

	diag_init(&gd);
	ret = prefix_set_aggregate(set);
	if (ret == 0)
		ret = guard_check_list(src->name, set, src->floor, last_count, &o->guard, &gd);
	if (ret < 0)
		set_error(r, "%s", gd.msg[0] ? gd.msg : strerror(-ret));
	else
		diag_take_warnings(d, &gd);
	diag_release(&gd);
	return ret;
}

static const char *endpoint_body(const struct endpoint *ep, size_t *len)
{
	*len = ep->req->not_modified ? ep->cache.len : ep->req->len;
	return ep->req->not_modified ? ep->cache.body : ep->req->body;
}

static uint64_t mix(uint64_t h, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t i = 0;

	/* FNV-1a over 64-bit words: a change detector for our own files, not a MAC */
	for (; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 29;
	}
	for (; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static uint64_t mix_str(uint64_t h, const char *s)
{
	if (!s)
		s = "";
	return mix(h, s, strlen(s) + 1);
}

static void fingerprint(const struct source *src, const struct endpoint *eps, char out[17])
{
	uint64_t h = 0xcbf29ce484222325ULL;
	unsigned fmt = (unsigned)src->format;

	h = mix_str(h, CDNALLOW_VERSION);
	h = mix_str(h, src->prov ? src->prov->name : "");
	h = mix_str(h, src->filter);
	h = mix_str(h, src->json_path);
	h = mix(h, &fmt, sizeof(fmt));
	for (size_t j = 0; j < src->nurls; j++) {
		size_t len;
		const char *body = endpoint_body(&eps[j], &len);

		h = mix(h, &len, sizeof(len));
		h = mix(h, body, len);
	}
	snprintf(out, 17, "%016" PRIx64, h);
}

/* Reads the derived list when it was made from exactly these bodies. */
static int load_derived(const struct source *src, const struct endpoint *eps,
			const struct resolve_opts *o, struct prefix_set *set)
{
	struct cache_entry e = { 0 };
	char fp[17];
	struct diag cd;
	int ret;

	diag_init(&cd);
	fingerprint(src, eps, fp);
	ret = cache_load(o->state_dir, src->name, DERIVED_IDX, &e, &cd);
	if (ret == 0 && (!e.etag || strcmp(e.etag, fp)))
		ret = -ESTALE;
	if (ret == 0)
		ret = prefix_set_parse_text(set, e.body, e.len, "cache", &cd);
	if (ret < 0)
		prefix_set_clear(set);
	cache_entry_release(&e);
	diag_release(&cd);
	return ret;
}

static int store_derived(const struct source *src, const struct endpoint *eps,
			 const struct prefix_set *set, const struct resolve_opts *o, time_t now,
			 struct diag *d)
{
	struct cache_entry e = { .fetched = now };
	size_t cap = set->n * (PREFIX_STRLEN + 1) + 1;
	char fp[17];
	int ret;

	e.body = malloc(cap);
	if (!e.body)
		return -ENOMEM;
	for (size_t i = 0; i < set->n; i++) {
		e.len += (size_t)prefix_format(&set->v[i], e.body + e.len, cap - e.len);
		e.body[e.len++] = '\n';
	}
	e.body[e.len] = '\0';
	fingerprint(src, eps, fp);
	e.etag = fp;
	ret = cache_store(o->state_dir, src->name, DERIVED_IDX, &e, d);
	free(e.body);
	return ret;
}

/* Checks every endpoint's outcome; all problems go into r->error. */
static int check_endpoints(const struct source *src, const struct endpoint *eps,
			   struct source_result *r, bool *all_304)
{
	int ret = 0;

	*all_304 = true;
	if (src->nurls == 0) {
		set_error(r, "source '%s': no URL or path configured", src->name);
		return -EINVAL;
	}
	for (size_t j = 0; j < src->nurls; j++) {
		const struct fetch_req *q = eps[j].req;

		if (!q) {
			add_problem(r, src->name, "%s", without_source(eps[j].refusal, src->name));
			ret = -EPERM;
		} else if (q->err < 0) {
			add_problem(r, src->name, "'%s': %s", q->url, q->errmsg);
			ret = q->err;
		} else if (q->not_modified && !eps[j].cached) {
			add_problem(r, src->name, "'%s': HTTP 304 but no cached copy to reuse",
				    q->url);
			ret = -ENOENT;
		} else {
			*all_304 = *all_304 && q->not_modified;
		}
	}
	return ret;
}

static int try_fresh(const struct source *src, struct endpoint *eps, size_t last_count,
		     const struct resolve_opts *o, struct source_result *r, bool *reused,
		     struct diag *d)
{
	bool all_304;
	int ret;

	*reused = false;
	ret = check_endpoints(src, eps, r, &all_304);
	if (ret < 0)
		return ret;
	if (all_304 && o->state_dir && load_derived(src, eps, o, r->set) == 0)
		*reused = true;
	for (size_t j = 0; j < src->nurls && !*reused; j++) {
		size_t len, before = r->set->n;
		const char *body = endpoint_body(&eps[j], &len);

		if (parse_body(src, eps[j].req->url, body, len, r->set, r, d) < 0) {
			ret = -EBADMSG;
			continue;
		}
		/* one empty endpoint of several would silently drop a family */
		if (src->nurls > 1 && r->set->n == before) {
			add_problem(r, src->name,
				    "'%s' gave an empty list (0 prefixes); keeping the last good "
				    "list — check the URL / the HTTP response",
				    eps[j].req->url);
			ret = -EPERM;
		}
	}
	if (ret < 0)
		return ret;
	ret = guard_list(src, r->set, last_count, o, r, d);
	if (ret < 0)
		return ret;
	r->status = all_304 ? SOURCE_NOT_MODIFIED : SOURCE_FRESH;
	r->age_s = 0;
	return 0;
}

static void store_cache(const struct source *src, struct endpoint *eps,
			const struct prefix_set *set, bool reused, const struct resolve_opts *o,
			time_t now, struct diag *d)
{
	struct diag cd;
	int ret = 0;

	diag_init(&cd);
	for (size_t j = 0; j < src->nurls && ret == 0; j++) {
		const struct fetch_req *q = eps[j].req;

		if (q->not_modified) {
			ret = cache_touch(o->state_dir, src->name, (unsigned)j, now, &cd);
		} else {
			struct cache_entry e = {
				.body = q->body,
				.len = q->len,
				.etag = q->new_etag,
				.last_modified = q->new_last_modified,
				.fetched = now,
			};
			ret = cache_store(o->state_dir, src->name, (unsigned)j, &e, &cd);
		}
	}
	if (ret == 0 && !reused)
		ret = store_derived(src, eps, set, o, now, &cd);
	if (ret < 0)
		diag_warn(d, "source '%s': cannot update the cache: %s", src->name,
			  cd.msg[0] ? cd.msg : strerror(-ret));
	diag_take_warnings(d, &cd);
	diag_release(&cd);
}

static int try_cache(const struct source *src, struct endpoint *eps, const struct resolve_opts *o,
		     time_t now, struct source_result *r, struct diag *d)
{
	struct source_result tmp = { 0 };
	time_t oldest = now;
	int ret;

	if (src->nurls == 0)
		return -ENOENT;
	for (size_t j = 0; j < src->nurls; j++) {
		if (!eps[j].cached)
			return -ENOENT;
		if (eps[j].cache.fetched < oldest)
			oldest = eps[j].cache.fetched;
	}
	prefix_set_clear(r->set);
	for (size_t j = 0; j < src->nurls; j++) {
		ret = parse_body(src, src->urls[j], eps[j].cache.body, eps[j].cache.len, r->set,
				 &tmp, d);
		if (ret < 0)
			goto bad;
	}
	/* the cached copy passed the shrink rule when it was stored: floor only */
	ret = guard_list(src, r->set, 0, o, &tmp, d);
	if (ret < 0)
		goto bad;
	r->status = SOURCE_CACHED;
	r->age_s = now > oldest ? (long)(now - oldest) : 0;
	return 0;
bad:
	diag_warn(d, "source '%s': the cached copy is not usable either: %s", src->name,
		  without_source(tmp.error, src->name));
	prefix_set_clear(r->set);
	return ret;
}

static int try_snapshot(const struct source *src, time_t now, struct source_result *r,
			struct diag *d)
{
	const struct provider *prov = src->prov;
	const struct snapshot *snap;
	struct diag sd;
	int ret;

	if (!prov || prov == &provider_generic)
		return -ENOENT;
	/* the snapshot holds the default selection; another filter is other data */
	if (src->filter && (!prov->default_filter || strcmp(src->filter, prov->default_filter)))
		return -ENOENT;
	snap = snapshot_find(prov->name);
	if (!snap || !snap->text)
		return -ENOENT;
	diag_init(&sd);
	prefix_set_clear(r->set);
	ret = prefix_set_parse_text(r->set, snap->text, strlen(snap->text), "snapshot", &sd);
	if (ret == 0)
		ret = prefix_set_aggregate(r->set);
	diag_release(&sd);
	if (ret < 0 || r->set->n == 0) {
		prefix_set_clear(r->set);
		return ret < 0 ? ret : -ENOENT;
	}
	r->status = SOURCE_SNAPSHOT;
	r->age_s = now > (time_t)snap->taken ? (long)(now - (time_t)snap->taken) : 0;
	diag_warn(d, "source '%s': using the built-in snapshot, %ld days old", src->name,
		  r->age_s / 86400);
	return 0;
}

static void resolve_one(const struct source *src, struct endpoint *eps, size_t last_count,
			const struct resolve_opts *o, time_t now, struct source_result *r,
			struct diag *d)
{
	bool reused = false;
	size_t n;

	r->error[0] = '\0';
	if (try_fresh(src, eps, last_count, o, r, &reused, d) == 0) {
		if (o->write_cache && o->state_dir)
			store_cache(src, eps, r->set, reused, o, now, d);
		return;
	}
	if (try_cache(src, eps, o, now, r, d) == 0 || try_snapshot(src, now, r, d) == 0)
		return;
	prefix_set_clear(r->set);
	r->status = SOURCE_REFUSED;
	r->age_s = 0;
	n = strlen(r->error);
	snprintf(r->error + n, sizeof(r->error) - n,
		 "; no usable cached copy or built-in snapshot: nothing from this source can be "
		 "applied until it is fixed");
}

static void prepare(const struct source *src, struct endpoint *eps, struct fetch_req *reqs,
		    size_t *nreqs, const struct resolve_opts *o, struct diag *d)
{
	for (size_t j = 0; j < src->nurls; j++) {
		struct endpoint *ep = &eps[j];
		struct fetch_req *q;
		struct diag cd;

		diag_init(&cd);
		if (o->state_dir &&
		    cache_load(o->state_dir, src->name, (unsigned)j, &ep->cache, &cd) == 0)
			ep->cached = true;
		diag_take_warnings(d, &cd);
		diag_clear_err(&cd);
		if (guard_check_url(src->name, src->urls[j], src->insecure, &cd) < 0) {
			snprintf(ep->refusal, sizeof(ep->refusal), "%s", cd.msg);
			diag_release(&cd);
			continue;
		}
		diag_release(&cd);
		q = &reqs[(*nreqs)++];
		q->url = src->urls[j];
		q->insecure = src->insecure;
		if (ep->cached) {
			q->etag = ep->cache.etag;
			q->last_modified = ep->cache.last_modified;
		}
		ep->req = q;
	}
}

int resolve_sources(const struct source *srcs, size_t n, const struct resolve_opts *o,
		    struct source_result *results, struct diag *d)
{
	struct fetch_req *reqs = NULL;
	struct endpoint *eps = NULL;
	size_t total = 0, nreqs = 0, off = 0;
	time_t now = time(NULL);
	int ret = 0;

	for (size_t i = 0; i < n; i++)
		total += srcs[i].nurls;
	reqs = calloc(total ? total : 1, sizeof(*reqs));
	eps = calloc(total ? total : 1, sizeof(*eps));
	if (!reqs || !eps) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		results[i].set = prefix_set_new();
		if (!results[i].set) {
			ret = -ENOMEM;
			goto out;
		}
		prepare(&srcs[i], eps + off, reqs, &nreqs, o, d);
		off += srcs[i].nurls;
	}
	ret = fetch_many(reqs, nreqs, &o->fetch);
	if (ret < 0) {
		diag_err(d, "cannot start the downloads: %s", strerror(-ret));
		goto out;
	}
	off = 0;
	for (size_t i = 0; i < n; i++) {
		resolve_one(&srcs[i], eps + off, o->last_counts ? o->last_counts[i] : 0, o, now,
			    &results[i], d);
		off += srcs[i].nurls;
	}
out:
	for (size_t k = 0; reqs && k < nreqs; k++)
		fetch_req_release(&reqs[k]);
	for (size_t k = 0; eps && k < total; k++)
		cache_entry_release(&eps[k].cache);
	free(reqs);
	free(eps);
	return ret;
}
