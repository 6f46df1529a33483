// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Gcore CDN: https://api.gcore.com/cdn/public-ip-list, one object with the
 * arrays "addresses" (IPv4) and "addresses_v6", every entry a host route
 * today. Both keys must be present.
 */
#include "json_util.h"
#include "providers.h"

static int gcore_parse(const struct source *src, const char *body, size_t len,
		       struct prefix_set *out, struct diag *d)
{
	(void)src;
	return json_util_parse_pair("gcore", body, len, "addresses", "addresses_v6", out, d);
}

const struct provider provider_gcore = {
	.name = "gcore",
	.summary = "Gcore CDN edge servers (public IP list API, host routes)",
	.urls = { "https://api.gcore.com/cdn/public-ip-list" },
	.floor = 50,
	.parse = gcore_parse,
};
