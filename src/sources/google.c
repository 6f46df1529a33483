// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Google: www.gstatic.com/ipranges/goog.json (cloud.json has the same shape
 * plus "service" and "scope"): one "prefixes" array of objects, each with
 * either "ipv4Prefix" or "ipv6Prefix". An entry with neither, or both, is an
 * upstream change and refused rather than skipped.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>

#include "diag.h"
#include "json_util.h"
#include "providers.h"

#define WHO "google"

static int add_entry(const json_t *e, size_t i, struct prefix_set *out, struct diag *d)
{
	const json_t *v4, *v6;
	char path[96];

	snprintf(path, sizeof(path), "prefixes[%zu]", i);
	if (json_util_check(WHO, path, e, JSON_OBJECT, d) < 0)
		return -EBADMSG;
	v4 = json_object_get(e, "ipv4Prefix");
	v6 = json_object_get(e, "ipv6Prefix");
	if (!v4 == !v6) {
		diag_err(d, WHO ": %s: expected exactly one of ipv4Prefix, ipv6Prefix", path);
		return -EBADMSG;
	}
	snprintf(path, sizeof(path), "prefixes[%zu].%s", i, v4 ? "ipv4Prefix" : "ipv6Prefix");
	return json_util_add_prefix(WHO, path, v4 ? v4 : v6, v4 ? AF_INET : AF_INET6, out, d);
}

static int parse_root(const json_t *root, const void *ctx, struct prefix_set *out, struct diag *d)
{
	const json_t *prefixes, *e;
	size_t i;
	int ret;

	(void)ctx;
	ret = json_util_get(WHO, "prefixes", root, "prefixes", JSON_ARRAY, &prefixes, d);
	if (ret < 0)
		return ret;
	json_array_foreach (prefixes, i, e) {
		ret = add_entry(e, i, out, d);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int google_parse(const struct source *src, const char *body, size_t len,
			struct prefix_set *out, struct diag *d)
{
	(void)src;
	return json_util_parse_object(WHO, body, len, parse_root, NULL, out, d);
}

const struct provider provider_google = {
	.name = "google",
	.summary = "Google services incl. Cloud CDN and load balancers (goog.json)",
	.urls = { "https://www.gstatic.com/ipranges/goog.json" },
	.alt_url = "https://www.gstatic.com/ipranges/cloud.json",
	.floor = 20,
	.parse = google_parse,
};
