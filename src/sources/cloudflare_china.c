// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Cloudflare's China network: api.cloudflare.com/client/v4/ips?networks=jdcloud
 * answers the global ranges (ipv4_cidrs, ipv6_cidrs) plus jdcloud_cidrs, the
 * JD Cloud data centres that serve China-network zones and connect to their
 * origins; such an origin must admit both, so both are taken. jdcloud_cidrs
 * mixes the families. A body without jdcloud_cidrs is the plain /ips answer
 * (the query was lost on the way) and refused, never read as "no JD Cloud";
 * "success" must be true, as for the cloudflare provider.
 */
#include <errno.h>

#include "diag.h"
#include "json_util.h"
#include "providers.h"

#define WHO "cloudflare-china"

static int parse_api(const json_t *root, const void *ctx, struct prefix_set *out, struct diag *d)
{
	const json_t *success = json_object_get(root, "success"), *result, *msg;
	int ret;

	(void)ctx;
	if (!json_is_true(success)) {
		msg = json_object_get(json_array_get(json_object_get(root, "errors"), 0),
				      "message");
		diag_err(d, WHO ": API reported %s%s%s",
			 success ? "failure" : "no \"success\" field",
			 json_is_string(msg) ? ": " : "",
			 json_is_string(msg) ? json_string_value(msg) : "");
		return -EBADMSG;
	}
	ret = json_util_get(WHO, "result", root, "result", JSON_OBJECT, &result, d);
	if (ret == 0)
		ret = json_util_add_pair(WHO, "result", result, "ipv4_cidrs", "ipv6_cidrs", out, d);
	if (ret == 0)
		ret = json_util_add_key(WHO, "result", result, "jdcloud_cidrs", 0, out, d);
	return ret;
}

static int cloudflare_china_parse(const struct source *src, const char *body, size_t len,
				  struct prefix_set *out, struct diag *d)
{
	(void)src;
	return json_util_parse_object(WHO, body, len, parse_api, NULL, out, d);
}

const struct provider provider_cloudflare_china = {
	.name = "cloudflare-china",
	.client_ip_header = "CF-Connecting-IP",
	.summary = "Cloudflare China network: global ranges plus JD Cloud (API, networks=jdcloud)",
	.urls = { "https://api.cloudflare.com/client/v4/ips?networks=jdcloud" },
	.floor = 40,
	.parse = cloudflare_china_parse,
};
