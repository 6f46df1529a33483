// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Cloudflare: the text lists www.cloudflare.com/ips-v4 and /ips-v6 (no final
 * newline), or the API api.cloudflare.com/client/v4/ips, told apart by the
 * first byte. The API body counts only when "success" is true: its error
 * envelope also parses as JSON and must not read as an empty list.
 */
#include <errno.h>

#include "diag.h"
#include "json_util.h"
#include "providers.h"

static int parse_api(const json_t *root, const void *ctx, struct prefix_set *out, struct diag *d)
{
	const json_t *success = json_object_get(root, "success"), *result, *msg;
	int ret;

	(void)ctx;
	if (!json_is_true(success)) {
		msg = json_object_get(json_array_get(json_object_get(root, "errors"), 0),
				      "message");
		diag_err(d, "cloudflare: API reported %s%s%s",
			 success ? "failure" : "no \"success\" field",
			 json_is_string(msg) ? ": " : "",
			 json_is_string(msg) ? json_string_value(msg) : "");
		return -EBADMSG;
	}
	ret = json_util_get("cloudflare", "result", root, "result", JSON_OBJECT, &result, d);
	if (ret < 0)
		return ret;
	return json_util_add_pair("cloudflare", "result", result, "ipv4_cidrs", "ipv6_cidrs", out,
				  d);
}

static int cloudflare_parse(const struct source *src, const char *body, size_t len,
			    struct prefix_set *out, struct diag *d)
{
	(void)src;
	if (json_util_sniff(body, len) == BODY_JSON)
		return json_util_parse_object("cloudflare", body, len, parse_api, NULL, out, d);
	return json_util_parse_text("cloudflare", body, len, out, d);
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
