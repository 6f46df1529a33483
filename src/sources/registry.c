// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The one table of built-in providers, lookup by name, and the life cycle of
 * a configured struct source. Adding a provider means one file and one line
 * here; nothing else may keep a list of providers.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "diag.h"
#include "guard.h"
#include "prefix_set.h"
#include "providers.h"
#include "source.h"

/* Order is the order of `cdnallow providers`: the common CDNs first. */
const struct provider *const provider_registry[] = {
	&provider_cloudflare,	    /* text lists, or the API JSON */
	&provider_fastly,	    /* JSON */
	&provider_cloudfront,	    /* AWS ip-ranges.json, service filter */
	&provider_google,	    /* goog.json minus cloud.json, plus LB ranges */
	&provider_gcore,	    /* JSON, host routes */
	&provider_akamai,	    /* text files, path only */
	&provider_azure_frontdoor,  /* ServiceTags JSON, path only, tag filter */
	&provider_bunny,	    /* JSON, XML or text, single addresses */
	&provider_imperva,	    /* JSON, path only (POST API) */
	&provider_google_all,	    /* goog.json whole */
	&provider_cdn77,	    /* JSON, array of {"prefix": …} */
	&provider_quiccloud,	    /* <br />-separated or text, single addresses */
	&provider_cloudflare_china, /* API JSON, global plus jdcloud_cidrs */
	&provider_arvancloud,	    /* text list */
	NULL,
};

const struct provider *provider_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; provider_registry[i]; i++) {
		if (!strcmp(provider_registry[i]->name, name))
			return provider_registry[i];
	}
	return NULL;
}

static bool same_filter(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static int dup_opt(char **dst, const char *s)
{
	*dst = NULL;
	if (!s)
		return 0;
	*dst = strdup(s);
	return *dst ? 0 : -ENOMEM;
}

void provider_default_budget(const struct provider *prov, const char *filter, double out[2])
{
	const struct snapshot *snap = prov ? snapshot_find(prov->name) : NULL;
	struct prefix_set *set = NULL;
	struct diag d;

	out[0] = GUARD_GENERIC_MAX_V4;
	out[1] = GUARD_GENERIC_MAX_V6;
	/* the snapshot holds the default selection only: another filter is other data */
	if (!snap || !snap->text || !same_filter(filter, prov->default_filter))
		return;
	set = prefix_set_new();
	diag_init(&d);
	if (set &&
	    prefix_set_parse_text(set, snap->text, strlen(snap->text), "snapshot", &d) == 0 &&
	    prefix_set_aggregate(set) == 0 && set->n > 0) {
		out[0] = fmax(GUARD_BUDGET_HEADROOM * prefix_set_addresses(set, AF_INET),
			      GUARD_BUDGET_MIN_V4);
		out[1] = fmax(GUARD_BUDGET_HEADROOM * prefix_set_addresses(set, AF_INET6),
			      GUARD_BUDGET_MIN_V6);
	}
	diag_release(&d);
	prefix_set_free(set);
}

int source_init_provider(struct source *src, const struct provider *prov)
{
	int ret;

	memset(src, 0, sizeof(*src));
	if (!prov)
		return -EINVAL;
	src->prov = prov;
	src->format = FORMAT_AUTO;
	src->floor = prov->floor;
	provider_default_budget(prov, prov->default_filter, src->max_addresses);
	ret = dup_opt(&src->name, prov->name);
	if (ret == 0)
		ret = dup_opt(&src->filter, prov->default_filter);
	for (size_t i = 0; ret == 0 && i < SOURCE_MAX_URLS && prov->urls[i]; i++) {
		ret = dup_opt(&src->urls[i], prov->urls[i]);
		src->nurls = i + 1;
	}
	if (ret < 0)
		source_release(src);
	return ret;
}

int source_init_generic(struct source *src, const char *name, const char *url_or_path)
{
	int ret;

	memset(src, 0, sizeof(*src));
	if (!name || !url_or_path || !url_or_path[0])
		return -EINVAL;
	src->prov = &provider_generic;
	src->format = FORMAT_AUTO;
	src->floor = provider_generic.floor;
	src->max_addresses[0] = GUARD_GENERIC_MAX_V4;
	src->max_addresses[1] = GUARD_GENERIC_MAX_V6;
	ret = dup_opt(&src->name, name);
	if (ret == 0)
		ret = dup_opt(&src->urls[0], url_or_path);
	if (ret < 0) {
		source_release(src);
		return ret;
	}
	src->nurls = 1;
	return 0;
}

void source_release(struct source *src)
{
	if (!src)
		return;
	free(src->name);
	for (size_t i = 0; i < SOURCE_MAX_URLS; i++)
		free(src->urls[i]);
	free(src->json_path);
	free(src->filter);
	memset(src, 0, sizeof(*src));
}

bool source_is_url(const char *s)
{
	size_t i = 0;

	if (!s)
		return false;
	/* RFC 3986 scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	while ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
	       (s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '-' || s[i] == '.')
		i++;
	return !strncmp(s + i, "://", 3);
}

int source_parse(const struct source *src, const char *body, size_t len, struct prefix_set *out,
		 struct diag *d)
{
	if (!src || !src->prov || !src->prov->parse || !out) {
		diag_err(d, "source '%s': no parser", src && src->name ? src->name : "?");
		return -EINVAL;
	}
	if (!body)
		len = 0;
	return src->prov->parse(src, body ? body : "", len, out, d);
}

bool source_endpoint_excludes(const struct source *src, size_t idx)
{
	return src && src->prov && src->prov->exclude_from && idx >= src->prov->exclude_from;
}

int source_parse_endpoint(const struct source *src, size_t idx, const char *body, size_t len,
			  struct prefix_set *out, struct prefix_set *exclude, struct diag *d)
{
	if (source_endpoint_excludes(src, idx)) {
		if (!exclude) {
			diag_err(d, "source '%s': no room for the exclusion list", src->name);
			return -EINVAL;
		}
		return source_parse(src, body, len, exclude, d);
	}
	return source_parse(src, body, len, out, d);
}

int source_finish(const struct source *src, struct prefix_set *out, struct prefix_set *exclude,
		  struct diag *d)
{
	const char *const *fixed = src && src->prov ? src->prov->always : NULL;
	int ret = prefix_set_aggregate(out);
	bool added = false;

	if (ret == 0 && exclude && exclude->n) {
		ret = prefix_set_aggregate(exclude);
		if (ret == 0)
			ret = prefix_set_subtract(out, exclude);
	}
	for (size_t i = 0; ret == 0 && fixed && fixed[i]; i++) {
		struct prefix p;

		ret = prefix_parse(fixed[i], strlen(fixed[i]), &p, NULL);
		if (ret == 0)
			ret = prefix_set_add(out, &p);
		added = true;
	}
	/* prefix_set_subtract leaves out aggregated: only added prefixes need another pass */
	if (ret == 0 && added)
		ret = prefix_set_aggregate(out);
	if (ret < 0)
		diag_err(d, "source '%s': combining its lists: %s", src->name, strerror(-ret));
	return ret;
}
