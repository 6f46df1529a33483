// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * CDN77: prefixlists.tools.cdn77.com/public_lmax_prefixes.json, one object
 * with "updated_at" and a "prefixes" array of {"prefix": "CIDR"} objects:
 * the ranges CDN77 publishes for allowlisting its servers at the origin (the
 * same host serves its other prefix lists). A missing "prefixes" key, or an
 * entry without a "prefix" string, is an upstream change and refused.
 */
#include "diag.h"
#include "json_util.h"
#include "providers.h"

#define WHO "cdn77"

static int parse_root(const json_t *root, const void *ctx, struct prefix_set *out, struct diag *d)
{
	(void)ctx;
	return json_util_add_objects(WHO, root, "prefixes", "prefix", 0, out, d);
}

static int cdn77_parse(const struct source *src, const char *body, size_t len,
		       struct prefix_set *out, struct diag *d)
{
	(void)src;
	return json_util_parse_object(WHO, body, len, parse_root, NULL, out, d);
}

const struct provider provider_cdn77 = {
	.name = "cdn77",
	.summary = "CDN77 edge and origin-pull ranges (public_lmax_prefixes.json)",
	.urls = { "https://prefixlists.tools.cdn77.com/public_lmax_prefixes.json" },
	.floor = 10,
	.parse = cdn77_parse,
};
