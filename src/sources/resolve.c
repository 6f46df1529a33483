// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Turns configured sources into guarded, aggregated lists. All endpoints of
 * all sources are fetched in one concurrent fetch_many_unprivileged() call
 * with the cached validators, which also parses each body (a download in the
 * unprivileged child); each source's lists are merged into one set and put
 * to the guard. A download is cached as its parsed list; a local file is parsed here (as root),
 * read in chunks, and only its length and checksum are kept. When every endpoint of a source
 * answers 304, or every local file is the one the last good list came from, the parsed list kept by
 * listcache.c is reused and the bodies are not parsed again. Anything wrong with the fresh data
 * falls back to the last good cached copy, then to the built-in snapshot, and only then to
 * "refused" — never silently to an empty list. It must never print, and it writes the cache only
 * for data that passed the guard.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "age.h"
#include "cache.h"
#include "diag.h"
#include "hash.h"
#include "listcache.h"
#include "prefix_set.h"
#include "resolve.h"
#include "source.h"
#include "source_stream.h"

struct endpoint {
	struct cache_entry cache;
	bool cache_tried;      /* cache_load() done (lazily: a 304 no-op never needs the body) */
	bool cached;	       /* cache holds a valid entry */
	struct fetch_req *req; /* NULL when the URL was refused before fetching */
	char refusal[DIAG_MSG_MAX];
	char validator[48]; /* a local file's length and checksum: its list cache validator */
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

const char *resolve_without_source(const char *msg, const char *source)
{
	size_t n = strlen(source);

	if (!strncmp(msg, "source '", 8) && !strncmp(msg + 8, source, n) &&
	    !strncmp(msg + 8 + n, "': ", 3))
		return msg + 8 + n + 3;
	return msg;
}

static int parse_body(const struct source *src, size_t idx, const char *url, const char *body,
		      size_t len, struct prefix_set *set, struct prefix_set *excl,
		      struct source_result *r, struct diag *d)
{
	struct diag pd;
	int ret;

	diag_init(&pd);
	ret = source_parse_endpoint(src, idx, body, len, set, excl, &pd);
	/* a -s source is named by its URL/path, which the parser's message already starts with */
	if (ret < 0 && strcmp(url, src->name))
		add_problem(r, src->name, "'%s' cannot be parsed: %s", url,
			    pd.msg[0] ? pd.msg : strerror(-ret));
	else if (ret < 0)
		add_problem(r, src->name, "%s", pd.msg[0] ? pd.msg : strerror(-ret));
	else
		diag_take_warnings(d, &pd);
	diag_release(&pd);
	return ret;
}

/*
 * A cached body: the list the unprivileged downloader parsed (read back with
 * the strict text parser), or the payload itself (a local file, or an entry
 * written before downloads were parsed by the downloader).
 */
static int parse_cached(const struct source *src, size_t idx, const char *url,
			const struct cache_entry *e, struct prefix_set *set,
			struct prefix_set *excl, struct source_result *r, struct diag *d)
{
	struct prefix_set *into = source_endpoint_excludes(src, idx) ? excl : set;
	struct diag pd;
	int ret;

	if (!e->parsed)
		return parse_body(src, idx, url, e->body, e->len, set, excl, r, d);
	diag_init(&pd);
	ret = prefix_set_parse_text(into, e->body, e->len, "cache", &pd);
	if (ret < 0)
		add_problem(r, src->name, "the cached list of '%s' cannot be read: %s", url,
			    pd.msg[0] ? pd.msg : strerror(-ret));
	diag_release(&pd);
	return ret;
}

/* What the parser (in the unprivileged downloader, for a URL) made of a fresh body. */
static int take_parsed(const struct source *src, size_t idx, struct fetch_req *q,
		       struct prefix_set *set, struct prefix_set *excl, struct source_result *r,
		       struct diag *d)
{
	struct prefix_set *into = source_endpoint_excludes(src, idx) ? excl : set;
	const char *msg = q->parse_diag.msg;
	int ret = q->parsed ? q->parse_err : -EPROTO;

	if (ret == 0 && q->prefixes && q->body && into->n == 0) {
		/* a local file's list is not needed again (its cache is the body): moved, not
		 * copied */
		struct prefix_set tmp = *into;

		*into = *q->prefixes;
		*q->prefixes = tmp;
	} else if (ret == 0) {
		ret = q->prefixes ? prefix_set_extend(into, q->prefixes) : -EPROTO;
	}
	if (ret < 0 && strcmp(q->url, src->name))
		add_problem(r, src->name, "'%s' cannot be parsed: %s", q->url,
			    msg[0] ? msg : strerror(-ret));
	else if (ret < 0)
		add_problem(r, src->name, "%s", msg[0] ? msg : strerror(-ret));
	else
		diag_take_warnings(d, &q->parse_diag);
	return ret;
}

static bool all_local(const struct source *src);

/* aggregated: source_finish() just made set minimal; no second pass over it. */
static int guard_list(const struct source *src, struct prefix_set *set, bool aggregated,
		      const struct guard_history *last, const struct resolve_opts *o,
		      struct source_result *r, struct diag *d)
{
	struct guard_limits lim = { .floor = src->floor, .local = all_local(src) };
	struct diag gd;
	int ret;

	lim.max_addresses[0] = src->max_addresses[0];
	lim.max_addresses[1] = src->max_addresses[1];
	if (last)
		lim.last = *last;
	diag_init(&gd);
	ret = aggregated ? 0 : prefix_set_aggregate(set);
	if (ret == 0)
		ret = guard_check_list(src->name, set, &lim, &o->guard, &gd);
	if (ret < 0)
		set_error(r, "%s", gd.msg[0] ? gd.msg : strerror(-ret));
	else
		diag_take_warnings(d, &gd);
	diag_release(&gd);
	return ret;
}

static void ensure_cached(const struct source *src, struct endpoint *ep, unsigned idx,
			  const struct resolve_opts *o, struct diag *d)
{
	struct diag cd;

	if (ep->cache_tried)
		return;
	ep->cache_tried = true;
	if (!o->state_dir)
		return;
	diag_init(&cd);
	ep->cached = cache_load(o->state_dir, src->name, idx, &ep->cache, &cd) == 0;
	diag_take_warnings(d, &cd);
	diag_release(&cd);
}

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
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
			add_problem(r, src->name, "%s",
				    resolve_without_source(eps[j].refusal, src->name));
			ret = -EPERM;
		} else if (q->err < 0) {
			add_problem(r, src->name, "'%s': %s", q->url, q->errmsg);
			ret = q->err;
		} else {
			*all_304 = *all_304 && q->not_modified;
		}
	}
	return ret;
}

/* After a 304: the cached copy of endpoint j, which must match the validators sent. */
static bool cached_for_304(const struct source *src, struct endpoint *ep, unsigned j,
			   const struct resolve_opts *o, struct source_result *r, struct diag *d)
{
	const struct fetch_req *q = ep->req;

	ensure_cached(src, ep, j, o, d);
	/* the validators sent may come from the list cache: the body must match them */
	if (!ep->cached || !same_str(q->etag, ep->cache.etag) ||
	    !same_str(q->last_modified, ep->cache.last_modified)) {
		add_problem(r, src->name, "'%s': HTTP 304 but no matching cached copy", q->url);
		return false;
	}
	return true;
}

static int finish(const struct source *src, struct prefix_set *set, struct prefix_set *excl,
		  struct source_result *r)
{
	struct diag fd;
	int ret;

	diag_init(&fd);
	ret = source_finish(src, set, excl, &fd);
	if (ret < 0)
		add_problem(r, src->name, "%s", resolve_without_source(fd.msg, src->name));
	diag_release(&fd);
	return ret;
}

static void set_validator(struct endpoint *ep, size_t len, uint64_t sum)
{
	snprintf(ep->validator, sizeof(ep->validator), "local:%zu:%016" PRIx64, len, sum);
}

/* The cached list's validator of endpoint j when it is a file of len bytes, else NULL. */
static const char *same_length(const struct listcache *lc, size_t j, size_t len)
{
	char head[32];
	int n = snprintf(head, sizeof(head), "local:%zu:", len);

	return lc->etag[j] && !strncmp(lc->etag[j], head, (size_t)n) ? lc->etag[j] : NULL;
}

/*
 * True when every endpoint is a local file identical (length and checksum) to
 * the one the cached list came from. A file read in chunks (q->local) is
 * checksummed only when its length matches; its validator is then set by
 * parse_local from the bytes parsed. A file read whole gets its validator here.
 */
static bool local_unchanged(const struct source *src, struct endpoint *eps,
			    const struct listcache *lc, const struct resolve_opts *o)
{
	size_t max = fetch_max_size(&o->fetch), len;
	bool same = lc->valid;
	uint64_t sum;

	for (size_t j = 0; j < src->nurls; j++) {
		const struct fetch_req *q = eps[j].req;

		if (!q->local) {
			set_validator(&eps[j], q->len, checksum64(q->body ? q->body : "", q->len));
			same = same && lc->etag[j] && !strcmp(lc->etag[j], eps[j].validator);
		} else if (same && same_length(lc, j, q->len) &&
			   source_sum_local(q->url, max, &len, &sum) == 0) {
			set_validator(&eps[j], len, sum);
			same = !strcmp(lc->etag[j], eps[j].validator);
		} else {
			same = false;
		}
	}
	return same;
}

/* A file fetch_many left to be read here: parsed in chunks, its validator from what was read. */
static int parse_local(const struct source *src, unsigned j, struct endpoint *ep,
		       struct prefix_set *set, struct prefix_set *excl,
		       const struct resolve_opts *o, struct source_result *r, struct diag *d)
{
	size_t max = fetch_max_size(&o->fetch), len = 0;
	const char *url = ep->req->url;
	uint64_t sum = 0;
	struct diag pd;
	int ret;

	diag_init(&pd);
	ret = source_read_local(src, j, url, max, set, excl, &len, &sum, &pd);
	if (ret == 0) {
		set_validator(ep, len, sum);
		diag_take_warnings(d, &pd);
	} else if (!pd.msg[0] && ret == -EAGAIN) {
		add_problem(r, src->name,
			    "'%s' changed while it was read; it is read again next run", url);
	} else if (!pd.msg[0] && ret == -EFBIG) {
		add_problem(r, src->name, "'%s': body larger than the %zu byte cap (max_size)", url,
			    max);
	} else if (!pd.msg[0]) {
		add_problem(r, src->name, "'%s': cannot read '%s': %s", url, url, strerror(-ret));
	} else if (strcmp(url, src->name)) {
		add_problem(r, src->name, "'%s' cannot be parsed: %s", url, pd.msg);
	} else {
		add_problem(r, src->name, "%s", pd.msg);
	}
	diag_release(&pd);
	return ret;
}

static int parse_endpoint(const struct source *src, unsigned j, struct endpoint *ep,
			  struct prefix_set *set, struct prefix_set *excl,
			  const struct resolve_opts *o, struct source_result *r, struct diag *d)
{
	struct fetch_req *q = ep->req;

	if (q->local)
		return parse_local(src, j, ep, set, excl, o, r, d);
	if (q->not_modified)
		return parse_cached(src, j, q->url, &ep->cache, set, excl, r, d);
	if (!q->parsed && q->body) /* a local file */
		return parse_body(src, j, q->url, q->body, q->len, set, excl, r, d);
	return take_parsed(src, j, q, set, excl, r, d);
}

static int try_fresh(const struct source *src, struct endpoint *eps, const struct listcache *lc,
		     const struct guard_history *last, const struct resolve_opts *o,
		     struct source_result *r, bool *reused, struct diag *d)
{
	struct prefix_set *excl = NULL;
	bool all_304, local = all_local(src);
	int ret;

	*reused = false;
	ret = check_endpoints(src, eps, r, &all_304);
	if (ret < 0)
		return ret;
	excl = prefix_set_new();
	if (!excl)
		return -ENOMEM;
	if ((all_304 || (local && local_unchanged(src, eps, lc, o))) && lc->valid &&
	    listcache_parse(lc, r->set) == 0)
		*reused = true;
	else
		prefix_set_clear(r->set);
	for (unsigned j = 0; j < src->nurls && !*reused; j++) {
		struct prefix_set *into = source_endpoint_excludes(src, j) ? excl : r->set;
		size_t before = into->n;
		struct fetch_req *q = eps[j].req;

		if (q->not_modified && !cached_for_304(src, &eps[j], j, o, r, d)) {
			ret = -ENOENT;
			continue;
		}
		if (parse_endpoint(src, j, &eps[j], r->set, excl, o, r, d) < 0) {
			ret = -EBADMSG;
			continue;
		}
		/* one empty endpoint of several would silently drop a family */
		if (src->nurls > 1 && into->n == before) {
			add_problem(r, src->name,
				    "'%s' gave an empty list (0 prefixes); keeping the last good "
				    "list — check the URL / the HTTP response",
				    eps[j].req->url);
			ret = -EPERM;
		}
	}
	if (ret == 0 && !*reused)
		ret = finish(src, r->set, excl, r);
	prefix_set_free(excl);
	if (ret < 0)
		return ret;
	/* the same files with the same settings: the list passed the guard when it was stored */
	if (*reused && local)
		ret = prefix_set_aggregate(r->set);
	else
		ret = guard_list(src, r->set, !*reused, last, o, r, d);
	if (ret < 0)
		return ret;
	r->status = all_304 ? SOURCE_NOT_MODIFIED : SOURCE_FRESH;
	r->age_s = 0;
	return 0;
}

/* A source of local files only: no 304, its files' validators are their checksums. */
static bool all_local(const struct source *src)
{
	for (size_t j = 0; j < src->nurls; j++) {
		if (source_is_url(src->urls[j]))
			return false;
	}
	return true;
}

/* The cached form of a parsed list: one canonical prefix a line. */
static int list_text(const struct prefix_set *set, char **out, size_t *len)
{
	size_t n = set ? set->n : 0, used = 0;
	char *buf = malloc(n * (PREFIX_STRLEN + 1) + 1);

	*out = buf;
	*len = 0;
	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		used += (size_t)prefix_format(&set->v[i], buf + used, PREFIX_STRLEN + 1);
		buf[used++] = '\n';
	}
	buf[used] = '\0';
	*len = used;
	return 0;
}

static void store_cache(const struct source *src, struct endpoint *eps,
			const struct prefix_set *set, bool reused, const struct resolve_opts *o,
			time_t now, struct diag *d)
{
	const char *etags[SOURCE_MAX_URLS] = { 0 }, *lms[SOURCE_MAX_URLS] = { 0 };
	struct diag cd;
	int ret = 0;

	diag_init(&cd);
	if (reused && all_local(src))
		goto out; /* the files did not change: the cached list is current already */
	for (size_t j = 0; j < src->nurls && ret == 0; j++) {
		const struct fetch_req *q = eps[j].req;

		if (!q->parsed && (q->body || q->local)) {
			/* forced past the guard: kept as the last good list, never reused unguarded
			 */
			etags[j] = o->guard.force ? NULL : eps[j].validator;
			/* older versions kept a copy of the file here */
			cache_remove(o->state_dir, src->name, (unsigned)j);
		} else if (q->not_modified) {
			etags[j] = q->etag;
			lms[j] = q->last_modified;
			ret = cache_touch(o->state_dir, src->name, (unsigned)j, now, &cd);
			if (ret == -ENOENT) /* the list cache stood in for it: fine */
				ret = 0;
		} else {
			struct cache_entry e = {
				.body = q->body,
				.len = q->len,
				.etag = q->new_etag,
				.last_modified = q->new_last_modified,
				.fetched = now,
			};
			etags[j] = q->new_etag;
			lms[j] = q->new_last_modified;
			/* a download's payload never reached this process: its parsed list */
			if (!q->body)
				ret = list_text(q->prefixes, &e.body, &e.len);
			e.parsed = !q->body;
			if (ret == 0)
				ret = cache_store(o->state_dir, src->name, (unsigned)j, &e, &cd);
			if (e.body != q->body)
				free(e.body);
		}
	}
	if (ret == 0 && !reused)
		ret = listcache_store(o->state_dir, src, &o->guard, etags, lms, set, now, &cd);
	if (ret < 0)
		diag_warn(d, "source '%s': cannot update the cache: %s", src->name,
			  cd.msg[0] ? cd.msg : strerror(-ret));
out:
	diag_take_warnings(d, &cd);
	diag_release(&cd);
}

static int try_cache(const struct source *src, struct endpoint *eps, const struct listcache *lc,
		     const struct resolve_opts *o, time_t now, struct source_result *r,
		     struct diag *d)
{
	struct source_result tmp = { 0 };
	struct prefix_set *excl = NULL;
	time_t oldest = now;
	int ret;

	if (src->nurls == 0)
		return -ENOENT;
	/* a local file's last good list is the list cache (older versions kept a copy of the file)
	 */
	if (all_local(src) && lc->usable) {
		prefix_set_clear(r->set);
		oldest = lc->fetched;
		ret = listcache_parse(lc, r->set);
		if (ret < 0) {
			set_error(&tmp, "its cached list is damaged");
			goto bad;
		}
		goto guard;
	}
	for (unsigned j = 0; j < src->nurls; j++) {
		ensure_cached(src, &eps[j], j, o, d);
		if (!eps[j].cached)
			return -ENOENT;
		if (eps[j].cache.fetched < oldest)
			oldest = eps[j].cache.fetched;
	}
	prefix_set_clear(r->set);
	excl = prefix_set_new();
	ret = excl ? 0 : -ENOMEM;
	for (size_t j = 0; j < src->nurls && ret == 0; j++)
		ret = parse_cached(src, j, src->urls[j], &eps[j].cache, r->set, excl, &tmp, d);
	if (ret == 0)
		ret = finish(src, r->set, excl, &tmp);
	prefix_set_free(excl);
	if (ret < 0)
		goto bad;
guard:
	/* the cached copy passed shrink and growth when it was stored: floor and budget only */
	ret = guard_list(src, r->set, !all_local(src) || !lc->usable, NULL, o, &tmp, d);
	if (ret < 0)
		goto bad;
	r->status = SOURCE_CACHED;
	r->age_s = now > oldest ? (long)(now - oldest) : 0;
	return 0;
bad:
	diag_warn(d, "source '%s': the cached copy is not usable either: %s", src->name,
		  resolve_without_source(tmp.error, src->name));
	prefix_set_clear(r->set);
	return ret;
}

static int try_snapshot(const struct source *src, time_t now, struct source_result *r)
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
	return 0;
}

/* One warning per fallback: what is used, how old, and why the fresh list was not. */
static void warn_fallback(const struct source *src, const struct source_result *r, struct diag *d)
{
	char age[32];

	age_format(r->age_s, age, sizeof(age));
	diag_warn(d, "source '%s': using the %s (%s old) because %s", src->name,
		  r->status == SOURCE_SNAPSHOT ? "built-in snapshot" : "last good cached copy", age,
		  resolve_without_source(r->error, src->name));
}

static void resolve_one(const struct source *src, struct endpoint *eps, const struct listcache *lc,
			const struct guard_history *last, const struct resolve_opts *o, time_t now,
			struct source_result *r, struct diag *d)
{
	bool reused = false;
	size_t n;

	r->error[0] = '\0';
	if (try_fresh(src, eps, lc, last, o, r, &reused, d) == 0) {
		if (o->write_cache && o->state_dir)
			store_cache(src, eps, r->set, reused, o, now, d);
		return;
	}
	if (try_cache(src, eps, lc, o, now, r, d) == 0 || try_snapshot(src, now, r) == 0) {
		warn_fallback(src, r, d);
		return;
	}
	prefix_set_clear(r->set);
	r->status = SOURCE_REFUSED;
	r->age_s = 0;
	n = strlen(r->error);
	snprintf(r->error + n, sizeof(r->error) - n,
		 "; no usable cached copy or built-in snapshot: nothing from this source can be "
		 "applied until it is fixed");
}

/* A list file anyone can write decides what the firewall admits. */
static void warn_writable(const struct source *src, const char *path, struct diag *d)
{
	struct stat st;

	if (!source_is_url(path) && stat(path, &st) == 0 && (st.st_mode & S_IWOTH))
		diag_warn(d,
			  "source '%s': '%s' is writable by every user, who can then choose what "
			  "the firewall admits; fix: chmod o-w '%s'",
			  src->name, path, path);
}

/* Queues src's endpoints with the validators of the list cache, else of each cached body. */
static void prepare(const struct source *src, struct endpoint *eps, struct listcache *lc,
		    struct fetch_req *reqs, size_t *nreqs, const struct resolve_opts *o,
		    struct diag *d)
{
	if (o->state_dir)
		listcache_load(o->state_dir, src, &o->guard, lc);
	for (unsigned j = 0; j < src->nurls; j++) {
		struct endpoint *ep = &eps[j];
		struct fetch_req *q;
		struct diag cd;

		warn_writable(src, src->urls[j], d);
		diag_init(&cd);
		if (guard_check_url(src->name, src->urls[j], src->insecure, &cd) < 0) {
			snprintf(ep->refusal, sizeof(ep->refusal), "%s", cd.msg);
			diag_release(&cd);
			continue;
		}
		diag_release(&cd);
		q = &reqs[(*nreqs)++];
		q->url = src->urls[j];
		q->insecure = src->insecure;
		/* a local file is parsed by try_fresh, and only when it changed */
		q->src = all_local(src) ? NULL : src;
		q->idx = j;
		ep->req = q;
		if (all_local(src))
			continue;
		if (lc->valid) {
			q->etag = lc->etag[j];
			q->last_modified = lc->last_modified[j];
			continue;
		}
		ensure_cached(src, ep, j, o, d);
		if (ep->cached) {
			q->etag = ep->cache.etag;
			q->last_modified = ep->cache.last_modified;
		}
	}
}

int resolve_sources(const struct source *srcs, size_t n, const struct resolve_opts *o,
		    struct source_result *results, struct diag *d)
{
	struct fetch_req *reqs = NULL;
	struct endpoint *eps = NULL;
	struct listcache *lcs = NULL;
	size_t total = 0, nreqs = 0, off = 0;
	time_t now = time(NULL);
	int ret = 0;

	for (size_t i = 0; i < n; i++)
		total += srcs[i].nurls;
	reqs = calloc(total ? total : 1, sizeof(*reqs));
	eps = calloc(total ? total : 1, sizeof(*eps));
	lcs = calloc(n ? n : 1, sizeof(*lcs));
	if (!reqs || !eps || !lcs) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		results[i].set = prefix_set_new();
		if (!results[i].set) {
			ret = -ENOMEM;
			goto out;
		}
		prepare(&srcs[i], eps + off, &lcs[i], reqs, &nreqs, o, d);
		off += srcs[i].nurls;
	}
	ret = fetch_many_unprivileged(reqs, nreqs, &o->fetch, d);
	if (ret < 0) {
		diag_err(d, "cannot start the downloads: %s", strerror(-ret));
		goto out;
	}
	off = 0;
	for (size_t i = 0; i < n; i++) {
		resolve_one(&srcs[i], eps + off, &lcs[i], o->history ? &o->history[i] : NULL, o,
			    now, &results[i], d);
		off += srcs[i].nurls;
	}
out:
	for (size_t k = 0; reqs && k < nreqs; k++)
		fetch_req_release(&reqs[k]);
	for (size_t k = 0; eps && k < total; k++)
		cache_entry_release(&eps[k].cache);
	for (size_t i = 0; lcs && i < n; i++)
		listcache_release(&lcs[i]);
	free(reqs);
	free(eps);
	free(lcs);
	return ret;
}
