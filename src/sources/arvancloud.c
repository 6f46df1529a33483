// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ArvanCloud: www.arvancloud.ir/en/ips.txt, the CDN servers' ranges ArvanCloud
 * tells origins to allowlist, one CIDR a line, IPv4 only, no final newline.
 * Outside Iran the site may answer with an HTML page instead; the text parser
 * refuses it.
 */
#include <stdio.h>

#include "json_util.h"
#include "providers.h"

static int arvancloud_parse(const struct source *src, const char *body, size_t len,
			    struct prefix_set *out, struct diag *d)
{
	(void)src;
	return json_util_parse_text("arvancloud", body, len, out, d);
}

static bool arvancloud_text_who(const struct source *src, char *who, size_t size)
{
	(void)src;
	snprintf(who, size, "arvancloud");
	return true;
}

const struct provider provider_arvancloud = {
	.name = "arvancloud",
	.client_ip_header = "AR-Real-IP",
	.summary = "ArvanCloud CDN servers that connect to origins (ips.txt)",
	.urls = { "https://www.arvancloud.ir/en/ips.txt" },
	.floor = 5,
	.parse = arvancloud_parse,
	.text_who = arvancloud_text_who,
};
