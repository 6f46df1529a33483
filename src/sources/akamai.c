// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Akamai publishes no public endpoint: the origin-shield (SiteShield) CIDR
 * lists come as text files from the Control Center, so the admin sets
 * `path = …` in [provider:akamai]. The parser is the plain text list; it must
 * never guess an Akamai URL.
 */
#include <stdio.h>

#include "json_util.h"
#include "providers.h"

static int akamai_parse(const struct source *src, const char *body, size_t len,
			struct prefix_set *out, struct diag *d)
{
	(void)src;
	return json_util_parse_text("akamai", body, len, out, d);
}

static bool akamai_text_who(const struct source *src, char *who, size_t size)
{
	(void)src;
	snprintf(who, size, "akamai");
	return true;
}

const struct provider provider_akamai = {
	.name = "akamai",
	.client_ip_header = "True-Client-IP",
	.summary =
		"Akamai SiteShield/origin CIDR lists (text files; set path = in [provider:akamai])",
	.urls = { NULL },
	.floor = 5,
	.parse = akamai_parse,
	.text_who = akamai_text_who,
};
