// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Google: www.gstatic.com/ipranges/goog.json (cloud.json has the same shape
 * plus "service" and "scope"): one "prefixes" array of objects, each with
 * either "ipv4Prefix" or "ipv6Prefix". An entry with neither, or both, is an
 * upstream change and refused rather than skipped.
 *
 * goog.json is every Google address, including the external addresses Google
 * Cloud rents to its customers (cloud.json): taken whole it lets any VM anyone
 * rents pass the allowlist. `google` therefore follows Google's own recipe for
 * its own services (goog.json minus cloud.json, support.google.com/a/answer/
 * 10026322) and adds the fixed ranges Google's load balancers, Cloud CDN and
 * health checks connect to backends from (cloud.google.com/load-balancing/
 * docs/firewall-rules: 35.191.0.0/16, 130.211.0.0/22, 2600:2d00:1:b029::/64,
 * 2600:2d00:1:1::/64; internet NEG origins: 34.96.0.0/20, 34.127.192.0/18).
 * `google-all` keeps the old meaning, goog.json whole.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>

#include "diag.h"
#include "json_util.h"
#include "providers.h"

#define WHO "google"

static int add_entry(const char *who, const json_t *e, size_t i, struct prefix_set *out,
		     struct diag *d)
{
	const json_t *v4, *v6;
	char path[96];

	snprintf(path, sizeof(path), "prefixes[%zu]", i);
	if (json_util_check(who, path, e, JSON_OBJECT, d) < 0)
		return -EBADMSG;
	v4 = json_object_get(e, "ipv4Prefix");
	v6 = json_object_get(e, "ipv6Prefix");
	if (!v4 == !v6) {
		diag_err(d, "%s: %s: expected exactly one of ipv4Prefix, ipv6Prefix", who, path);
		return -EBADMSG;
	}
	snprintf(path, sizeof(path), "prefixes[%zu].%s", i, v4 ? "ipv4Prefix" : "ipv6Prefix");
	return json_util_add_prefix(who, path, v4 ? v4 : v6, v4 ? AF_INET : AF_INET6, out, d);
}

static int parse_root(const json_t *root, const void *ctx, struct prefix_set *out, struct diag *d)
{
	const json_t *prefixes, *e;
	const char *who = ctx;
	size_t i;
	int ret;

	ret = json_util_get(who, "prefixes", root, "prefixes", JSON_ARRAY, &prefixes, d);
	if (ret < 0)
		return ret;
	json_array_foreach (prefixes, i, e) {
		ret = add_entry(who, e, i, out, d);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int google_parse(const struct source *src, const char *body, size_t len,
			struct prefix_set *out, struct diag *d)
{
	const char *who = src && src->prov ? src->prov->name : WHO;

	return json_util_parse_object(who, body, len, parse_root, who, out, d);
}

static const char *const front_ends[] = {
	"35.191.0.0/16",	 "130.211.0.0/22",     "34.96.0.0/20", "34.127.192.0/18",
	"2600:2d00:1:b029::/64", "2600:2d00:1:1::/64", NULL,
};

const struct provider provider_google = {
	.name = "google",
	.summary = "Google's own front ends: load balancers, Cloud CDN, health checks "
		   "(goog.json minus cloud.json, plus their documented source ranges)",
	.urls = { "https://www.gstatic.com/ipranges/goog.json",
		  "https://www.gstatic.com/ipranges/cloud.json" },
	.floor = 20,
	.exclude_from = 1,
	.always = front_ends,
	.parse = google_parse,
};

const struct provider provider_google_all = {
	.name = "google-all",
	.summary = "every Google address incl. Google Cloud customers' VMs (goog.json whole); "
		   "rarely what an origin wants",
	.urls = { "https://www.gstatic.com/ipranges/goog.json" },
	.alt_url = "https://www.gstatic.com/ipranges/cloud.json",
	.floor = 20,
	.parse = google_parse,
};
