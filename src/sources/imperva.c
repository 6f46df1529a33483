// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Imperva (Incapsula): my.imperva.com/api/integration/v1/ips answers one
 * object with "ipRanges" and "ipv6Ranges" and a "res" status. The real API
 * wants a POST, which the fetcher does not do, so the admin downloads it
 * (curl -X POST …) and sets `path = …`. A non-zero "res" is an API error,
 * never an empty list.
 */
#include <errno.h>

#include "diag.h"
#include "json_util.h"
#include "providers.h"

#define WHO "imperva"

static int parse_root(const json_t *root, const void *ctx, struct prefix_set *out, struct diag *d)
{
	const json_t *res = json_object_get(root, "res"), *msg;

	(void)ctx;
	if (res && !(json_is_integer(res) && json_integer_value(res) == 0)) {
		msg = json_object_get(root, "res_message");
		diag_err(d, WHO ": API error (res %lld): %s",
			 json_is_integer(res) ? (long long)json_integer_value(res) : -1LL,
			 json_is_string(msg) ? json_string_value(msg) : "no res_message");
		return -EBADMSG;
	}
	return json_util_add_pair(WHO, NULL, root, "ipRanges", "ipv6Ranges", out, d);
}

static int imperva_parse(const struct source *src, const char *body, size_t len,
			 struct prefix_set *out, struct diag *d)
{
	(void)src;
	return json_util_parse_object(WHO, body, len, parse_root, NULL, out, d);
}

const struct provider provider_imperva = {
	.name = "imperva",
	.client_ip_header = "Incap-Client-IP",
	.summary = "Imperva/Incapsula proxies (POST-only API: download it, set path =)",
	.urls = { NULL },
	.alt_url = "https://my.imperva.com/api/integration/v1/ips",
	.floor = 5,
	.parse = imperva_parse,
};
