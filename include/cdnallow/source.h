/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where ranges come from: one const struct provider per built-in CDN (its
 * endpoints, floor and parser), listed in one registry, and struct source, a
 * configured instance (a provider with overrides, or a generic URL/file).
 */
#ifndef CDNALLOW_SOURCE_H
#define CDNALLOW_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

struct diag;
struct prefix_set;

#define SOURCE_MAX_URLS 4

enum source_format {
	FORMAT_AUTO = 0, /* sniff: cdnallow JSON, other JSON (needs json_path), else text */
	FORMAT_TEXT,
	FORMAT_JSON,
	FORMAT_CDNALLOW,
};

struct source;

struct provider {
	const char *name;
	const char *summary;
	/* Default endpoints, all fetched and united; NULL-terminated. Empty: the admin sets `path`.
	 */
	const char *urls[SOURCE_MAX_URLS + 1];
	/* Alternative endpoint(s) in another format, documented in `providers` output; may be NULL.
	 */
	const char *alt_url;
	size_t floor; /* a list with fewer prefixes is refused */
	const char
		*default_filter; /* service/tag selector (cloudfront, azure-frontdoor), or NULL */
	/*
	 * Endpoints from this index on are exclusion lists: their prefixes are
	 * removed from what the others yield (google: goog.json minus cloud.json).
	 * 0: none.
	 */
	unsigned exclude_from;
	/* Documented fixed prefixes added after the exclusion; NULL-terminated, may be NULL. */
	const char *const *always;
	/* The header carrying the visitor's address (CF-Connecting-IP), or NULL: X-Forwarded-For.
	 */
	const char *client_ip_header;
	/* Parses one fetched body of src into out (appends). */
	int (*parse)(const struct source *src, const char *body, size_t len, struct prefix_set *out,
		     struct diag *d);
	/*
	 * Optional: true when a body of src that is not blank, HTML or JSON is a
	 * text list that parse hands to json_util_parse_text(who, …); fills who.
	 * Such bodies are then parsed in chunks (source_stream.h), never whole.
	 */
	bool (*text_who)(const struct source *src, char *who, size_t size);
};

struct source {
	char *name;		     /* provider name, [source:NAME], or the -s argument */
	const struct provider *prov; /* built-in provider, or &provider_generic */
	char *urls[SOURCE_MAX_URLS]; /* https URLs or local paths (owned) */
	size_t nurls;
	enum source_format format; /* generic sources */
	char *json_path;	   /* generic JSON: "a.b[].c" */
	char *filter;		   /* provider selector, or NULL for the provider default */
	bool insecure;		   /* plain http allowed */
	size_t floor;
	double max_addresses[2]; /* guard budget, IPv4 and IPv6 addresses (max_addresses) */
};

/* NULL-terminated; the built-in providers only, never provider_generic. */
extern const struct provider *const provider_registry[];
extern const struct provider provider_generic;

/* A built-in provider by name (so never provider_generic), or NULL. */
const struct provider *provider_find(const char *name);

/* Fills src from a built-in provider's defaults (urls, floor, filter). */
int source_init_provider(struct source *src, const struct provider *prov);
/*
 * The default address-space budget of a provider with a given filter
 * (docs/architecture.md §5): GUARD_BUDGET_HEADROOM times what its built-in
 * snapshot covers, at least GUARD_BUDGET_MIN_*; the generic constants when it
 * has no snapshot or another filter selects other data.
 */
void provider_default_budget(const struct provider *prov, const char *filter, double out[2]);
/* Fills src for a generic URL or path (from -s or [source:NAME]). */
int source_init_generic(struct source *src, const char *name, const char *url_or_path);
void source_release(struct source *src);
/* True when s is a URL (has a scheme), false for a local path. */
bool source_is_url(const char *s);

/* Parses body with src's provider; appends to out. */
int source_parse(const struct source *src, const char *body, size_t len, struct prefix_set *out,
		 struct diag *d);
/* True when endpoint idx of src is an exclusion list (provider exclude_from). */
bool source_endpoint_excludes(const struct source *src, size_t idx);
/*
 * Parses the body of endpoint idx: into out, or into exclude when that
 * endpoint is an exclusion list. Then source_finish() once over all bodies.
 */
int source_parse_endpoint(const struct source *src, size_t idx, const char *body, size_t len,
			  struct prefix_set *out, struct prefix_set *exclude, struct diag *d);
/* out = aggregate(out - exclude) + the provider's fixed prefixes; exclude may be NULL. */
int source_finish(const struct source *src, struct prefix_set *out, struct prefix_set *exclude,
		  struct diag *d);

/* Built-in snapshot compiled from the real provider lists (generated source). */
struct snapshot {
	const char *provider;
	const char *text; /* aggregated text list */
	long long taken;  /* unix time the upstream list was published/captured */
};
/* Returns the snapshot of a provider, or NULL. */
const struct snapshot *snapshot_find(const char *provider);

#endif
