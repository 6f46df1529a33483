// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Cloudflare: the text lists www.cloudflare.com/ips-v4 and /ips-v6 (no final
 * newline), or the API api.cloudflare.com/client/v4/ips, told apart by the
 * first byte. The API body counts only when "success" is true: its error
 * envelope also parses as JSON and must not read as an empty list.
 *
 * cloudflare-china: the same API with ?networks=jdcloud answers the global
 * ranges plus jdcloud_cidrs (both families mixed), the JD Cloud data centres
 * that serve China-network zones and connect to their origins; such an origin
 * must admit both, so both are taken. A body without jdcloud_cidrs is the
 * plain /ips answer (the query was lost on the way) and refused, never read
 * as "no JD Cloud".
 */
#include <errno.h>
#include <stdbool.h>

#include "diag.h"
#include "json_util.h"
#include "providers.h"

struct api_want {
	const char *who;
	bool jdcloud;
};

static int parse_api(const json_t *root, const void *ctx, struct prefix_set *out, struct diag *d)
{
	const struct api_want *w = ctx;
	const json_t *success = json_object_get(root, "success"), *result, *msg;
	int ret;

	if (!json_is_true(success)) {
		msg = json_object_get(json_array_get(json_object_get(root, "errors"), 0),
				      "message");
		diag_err(d, "%s: API reported %s%s%s", w->who,
			 success ? "failure" : "no \"success\" field",
			 json_is_string(msg) ? ": " : "",
			 json_is_string(msg) ? json_string_value(msg) : "");
		return -EBADMSG;
	}
	ret = json_util_get(w->who, "result", root, "result", JSON_OBJECT, &result, d);
	if (ret == 0)
		ret = json_util_add_pair(w->who, "result", result, "ipv4_cidrs", "ipv6_cidrs", out,
					 d);
	if (ret == 0 && w->jdcloud)
		ret = json_util_add_key(w->who, "result", result, "jdcloud_cidrs", 0, out, d);
	return ret;
}

static int cloudflare_parse(const struct source *src, const char *body, size_t len,
			    struct prefix_set *out, struct diag *d)
{
	static const struct api_want want = { "cloudflare", false };

	(void)src;
	if (json_util_sniff(body, len) == BODY_JSON)
		return json_util_parse_object(want.who, body, len, parse_api, &want, out, d);
	return json_util_parse_text(want.who, body, len, out, d);
}

static int cloudflare_china_parse(const struct source *src, const char *body, size_t len,
				  struct prefix_set *out, struct diag *d)
{
	static const struct api_want want = { "cloudflare-china", true };

	(void)src;
	return json_util_parse_object(want.who, body, len, parse_api, &want, out, d);
}

const struct provider provider_cloudflare = {
	.name = "cloudflare",
	.client_ip_header = "CF-Connecting-IP",
	.summary = "Cloudflare proxy ranges (text lists ips-v4, ips-v6)",
	.urls = { "https://www.cloudflare.com/ips-v4", "https://www.cloudflare.com/ips-v6" },
	.alt_url = "https://api.cloudflare.com/client/v4/ips",
	.floor = 10,
	.parse = cloudflare_parse,
};

const struct provider provider_cloudflare_china = {
	.name = "cloudflare-china",
	.client_ip_header = "CF-Connecting-IP",
	.summary = "Cloudflare China network: global ranges plus JD Cloud (API, networks=jdcloud)",
	.urls = { "https://api.cloudflare.com/client/v4/ips?networks=jdcloud" },
	.floor = 40,
	.parse = cloudflare_china_parse,
};
