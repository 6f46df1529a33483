// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fastly: https://api.fastly.com/public-ip-list, one object with the arrays
 * "addresses" (IPv4) and "ipv6_addresses". Both keys must be present: a
 * response without them is an upstream change, never an empty list.
 */
#include "json_util.h"
#include "providers.h"

static int fastly_parse(const struct source *src, const char *body, size_t len,
			struct prefix_set *out, struct diag *d)
{
	(void)src;
	return json_util_parse_pair("fastly", body, len, "addresses", "ipv6_addresses", out, d);
}

const struct provider provider_fastly = {
	.name = "fastly",
	.client_ip_header = "Fastly-Client-IP",
	.summary = "Fastly edge and shield nodes (public IP list API)",
	.urls = { "https://api.fastly.com/public-ip-list" },
	.floor = 10,
	.parse = fastly_parse,
};
